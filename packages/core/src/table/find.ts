// Finding things in a table: the entry that maps an address (the general lookup, every operation's full path), the
// table an entry points to, the leaf's physical address. Pure functions of a table's state.
import { joinAddr } from '../_addr';
import { LOW_MASK_HI, LOW_MASK_LO, OUT, TWO32 } from '../_pairs';
import { hex, PagingError } from '../errors';
import { cached, remember } from '../fast/walk-cache';
import type { DescentFormat } from './descent';
import type { VirtAddr } from '../interfaces';
import type { PageTable64 } from './page-table';

/** {@link find}: a present leaf maps the address. */
export const FOUND = 0;
/** {@link find}: the entry on the way is not present. */
export const ABSENT = 1;
/** {@link find}: a table pointer on the way leads outside the handler's memory. */
export const CORRUPT = 2;

/**
 * Word index of the root table. For a PhysicalMemory it never changes; any other handler may page memory in and
 * out (a dump read on demand), so its index is asked for again on every use.
 */
export function rootIndex(t: PageTable64): number {
  return t._linear ? t._rootIdx : t.handler.wordIndex(t._rootLo, t._rootHi);
}

/** Word index of the table a present non-leaf entry (lo, hi) at level l points to, or -1 outside the memory. */
export function child(t: PageTable64, lo: number, hi: number, l: number): number {
  const c = t._w;
  const aLo = c.paddrLo(lo, hi, l);
  const aHi = c.paddrHi(lo, hi, l);
  const tw = t._tableWords[l + 1]!;
  if (t._linear) {
    // PhysicalMemory.wordIndex, inline: the byte offset from the base, checked against the size
    const off = (aHi - t._memHi) * TWO32 + (aLo - t._memLo);
    if (off < 0 || off + tw * 4 > t._memSize) return -1;
    return off >>> 2; // off < memSize < 2^32
  }
  const i = t.handler.wordIndex(aLo, aHi);
  if (i < 0 || i + tw > t.handler.words.length) return -1;
  return i;
}

/**
 * Finds the entry that maps (vaLo, vaHi), from the walk cache's table when it covers the address; leaves its word
 * index in `t._eIdx` and its level in `t._eLvl`. Returns {@link FOUND}, {@link ABSENT} or {@link CORRUPT}.
 *
 * The general walk of every operation's full path (W2 and W3 with bigints, every map that misses the cache): kept
 * as one loop with everything hoisted into locals, table pointers into a PhysicalMemory translated inline.
 */
export function find(t: PageTable64, vaLo: number, vaHi: number): number {
  const w = t.handler.words;
  const c = t._w;
  const ew = t._ew;
  const last = t._last;
  const shift = t._shift;
  const bits = t._bits;
  const linear = t._linear;
  const memLo = t._memLo;
  const memHi = t._memHi;
  const memSize = t._memSize;
  let tbl = rootIndex(t);
  let l = 0;
  const hit = cached(t, vaLo, vaHi, last);
  if (hit >= 0) {
    tbl = hit;
    l = t._cLevel;
  }
  let e = 0;
  let r = FOUND;
  for (;;) {
    const s = shift[l]!;
    const m = (1 << bits[l]!) - 1;
    // index bits [s, s + bits) of the address; for s < 32 the high word's part is masked off when unused
    const ix = s >= 32 ? (vaHi >>> (s - 32)) & m : ((vaLo >>> s) | (vaHi << (32 - s))) & m;
    e = tbl + ix * ew;
    const lo = w[e]!;
    const hi = ew === 2 ? w[e + 1]! : 0;
    if (!c.isPresent(lo, hi, l)) {
      r = ABSENT;
      break;
    }
    if (l === last || c.isHuge(lo, hi, l)) break;
    if (linear) {
      const off = (c.paddrHi(lo, hi, l) - memHi) * TWO32 + (c.paddrLo(lo, hi, l) - memLo);
      if (off < 0 || off + t._tableWords[l + 1]! * 4 > memSize) {
        r = CORRUPT;
        break;
      }
      tbl = off >>> 2; // off < memSize < 2^32: an integer word index
    } else {
      tbl = child(t, lo, hi, l);
      if (tbl < 0) {
        r = CORRUPT;
        break;
      }
    }
    l++;
  }
  t._eIdx = e;
  t._eLvl = l;
  if (r !== CORRUPT) remember(t, vaLo, vaHi, l, tbl);
  return r;
}

/** Throws the error a lookup result stands for: CorruptTable or NotMapped. */
export function lookupError(t: PageTable64, r: number, op: string, vaLo: number, vaHi: number): never {
  if (r === CORRUPT) corruptError(op, t._eLvl, joinAddr(vaLo, vaHi));
  throw new PagingError('NotMapped', `${op}: ${hex(joinAddr(vaLo, vaHi))} is not mapped`);
}

/** The error for the level-`level` table entry on the way to `va` that points outside physical memory. */
export function corruptError(op: string, level: number, va: VirtAddr): never {
  throw new PagingError('CorruptTable', `${op}: the level-${level} entry for ${hex(va)} points outside physical memory`);
}

/**
 * log2 of the bytes the present leaf (lo, hi) at level l maps: its level's size, unless the codec says otherwise
 * (repeated entries) or the entry is a member of a run (the run's size).
 */
export function leafShift(t: DescentFormat, lo: number, hi: number, l: number): number {
  const s = t._w.leafShift(lo, hi, l);
  if (s >= 0) return s;
  return runMember(t, lo, hi, l) ? t._shift[l]! + t._runBits[l]! : t._shift[l]!;
}

/** Whether the leaf (lo, hi) at level l carries the run hint at a level where the format has runs. */
export function runMember(t: DescentFormat, lo: number, hi: number, l: number): boolean {
  return ((lo & t._runLo) | (hi & t._runHi)) !== 0 && t._runBits[l]! > 0;
}

/** The physical address that (vaLo, vaHi) maps to through a present leaf (lo, hi) mapping 2^s bytes, into OUT. */
export function leafPa(t: PageTable64, lo: number, hi: number, l: number, s: number, vaLo: number, vaHi: number): void {
  const c = t._w;
  const aLo = c.paddrLo(lo, hi, l);
  const aHi = c.paddrHi(lo, hi, l);
  const mLo = LOW_MASK_LO[s]!;
  const mHi = LOW_MASK_HI[s]!;
  OUT[0] = ((aLo & ~mLo) | (vaLo & mLo)) >>> 0;
  OUT[1] = ((aHi & ~mHi) | (vaHi & mHi)) >>> 0;
}

