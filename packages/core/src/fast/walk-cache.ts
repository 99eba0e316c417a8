// The walk cache: a table remembers the last table a lookup or map ended in (the paging-structure cache of the
// hardware, one entry deep) and the address range it covers. A lookup in that range starts there instead of at the
// root; for a last-level table whose range starts below 2^53 in the lower half, the range is also kept as a number
// (`_nBase`), so that the fast paths of query, queryNumber, map and unmap (W1-W3) hit it with one subtraction.
//
// It is never stale: whatever could make the cached table wrong for its range forgets it. The table's own changes
// (a table unlinked or freed) call forget(); writes through the PhysicalMemory API tell every table on that memory
// (PhysicalMemory.write*, release, deallocFrames); writes to raw words are the caller's to announce, with
// PageTable64.invalidate(), as the hardware needs an INVLPG or a CR3 reload after such a write.
import { NUM_ARGS } from '../_addr';
import type { PageTable64 } from '../table/page-table';
import { index } from '../table/address';
import { WALK_TABLE } from './walker';

/**
 * The walk cache's table when it covers (vaLo, vaHi) and its level is at most maxLevel, or -1. Only for a
 * PhysicalMemory: another handler's word indices may not stay valid between operations.
 */
export function cached(t: PageTable64, vaLo: number, vaHi: number, maxLevel: number): number {
  const cl = t._cLevel;
  if (cl <= 0 || cl > maxLevel || !t._linear) return -1;
  const k = t._span[cl]!;
  if (k >= 32) return vaHi >>> (k - 32) === t._cTagHi ? t._cIdx : -1;
  return vaHi === t._cTagHi && vaLo >>> k === t._cTagLo ? t._cIdx : -1;
}

/**
 * Remembers the level-l table at word index tbl as the one covering (vaLo, vaHi). The address must be one the
 * table accepts (a valid virtual address, as the lookup was given it): the tag keeps its top bits, so that no
 * non-canonical alias of it matches.
 */
export function remember(t: PageTable64, vaLo: number, vaHi: number, l: number, tbl: number): void {
  if (l === 0) return;
  // tables below a borrowed root entry may be freed by their owner: never cache them
  if (t._anyBorrowed && t._borrowed[index(t, vaLo, vaHi, 0)] === 1) return;
  if (l === t._last && t._fast && vaHi < 0x200000) {
    rememberLast(t, vaLo, vaHi, tbl);
    return;
  }
  const k = t._span[l]!;
  t._cLevel = l;
  t._cIdx = tbl;
  t._cTagHi = k >= 32 ? vaHi >>> (k - 32) : vaHi;
  t._cTagLo = k >= 32 ? 0 : vaLo >>> k;
  t._nBase = Infinity;
}

/**
 * {@link remember} for a last-level table of a fast table whose range starts below 2^53 in the lower half: the tags,
 * and the number form the fast paths compare against (the span of such a table is below 2^31).
 */
export function rememberLast(t: PageTable64, vaLo: number, vaHi: number, tbl: number): void {
  const k = t._span[t._last]!;
  t._cLevel = t._last;
  t._cIdx = tbl;
  t._cTagHi = vaHi;
  t._cTagLo = vaLo >>> k;
  t._nBase = vaHi * 4294967296 + (((vaLo >>> k) << k) >>> 0);
}

/** The leaf's words and level from refillWindow's walk (not the table's `_q`, which lastFlags and lastSize read). */
const REFILL_LEAF = new Int32Array(3);

/**
 * Points the walk cache at the last-level table that maps the number address in NUM_ARGS[0] (where a fast path left
 * it), when the format's walk finds a present page of the last level there: unmap's way back to its fast path when
 * the address lies in another table. Returns whether it did; nothing changes otherwise (no walk, an address that is
 * not a valid lower-half integer, nothing or something else mapped there, a root entry lent by copyFrom).
 */
export function refillWindow(t: PageTable64): boolean {
  const walker = t._walker;
  if (walker === null || t._anyBorrowed) return false;
  const va = NUM_ARGS[0]!;
  // the words of an integer in [0, 2^53): vaHi is a u32 integer then, and for anything else it is not
  const vaLo = va >>> 0;
  const vaHi = (va - vaLo) / 4294967296;
  if (vaHi >>> 0 !== vaHi || vaHi >= t._vaHiLimit) return false;
  if (walker(t.handler.words, t._rootIdx, vaLo | 0, vaHi, t._walkMem, REFILL_LEAF) !== 0) return false;
  rememberLast(t, vaLo | 0, vaHi, WALK_TABLE[0]!);
  return true;
}

/** Empties the walk cache. */
export function forget(t: PageTable64): void {
  t._cLevel = -1;
  t._nBase = Infinity;
}

/** Word index of the entry at byte offset `off` into the range of the cached last-level table. */
export function windowEntry(t: PageTable64, off: number): number {
  return t._cIdx + (off >>> t._pageShift) * t._ew;
}
