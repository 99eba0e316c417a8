// Writing leaves: one page (map's full path, mapRegion's step), the tables it needs (allocated first, linked
// bottom-up), the rest of a table filled in place, and the undoing of a region that failed half-way. Also the
// argument checks every cursor operation shares.
import { joinAddr, PAIR, splitAddr } from '../_addr';
import { addPow2, carry32, diff, isAligned, mod32, OUT, POW2, TWO32 } from '../_pairs';
import { hex, PagingError } from '../errors';
import { formatPageSize, MAPPING_FLAGS_ALL, type MappingFlags, type PageSize } from '../flags';
import { fieldStep, runEntryIs, writeLeaves } from '../fast/fill-leaves';
import { cached, remember } from '../fast/walk-cache';
import { CORRUPT, FOUND, child, find, lookupError, rootIndex } from '../table/find';
import { checkVa, index, vaOk } from '../table/address';
import { allocTable, freeTable } from '../table/frames';
import type { PageTable64 } from '../table/page-table';
import { freeSubtree } from '../table/tree';
import type { PageTable64Cursor } from './cursor';

/**
 * Writes a leaf for (va -> pa) at level L, creating the missing tables above it. Checks everything before writing;
 * on failure nothing is written and no frame stays allocated.
 */
export function mapOne(c: PageTable64Cursor, vaLo: number, vaHi: number, paLo: number, paHi: number, L: number, flags: number, op: string): void {
  const t = c.table;
  const codec = t._w;
  const ew = t._ew;
  const w = t.handler.words;
  let tbl = rootIndex(t);
  if (t._borrowed[index(t, vaLo, vaHi, 0)] === 1) sharedError(op, vaLo, vaHi);
  let d = -1; // first level whose entry is unused (tables needed below it)
  let e = 0;
  let from = 0;
  const hit = cached(t, vaLo, vaHi, L);
  if (hit >= 0) {
    tbl = hit;
    from = t._cLevel;
  }
  for (let l = from; l < L; l++) {
    e = tbl + index(t, vaLo, vaHi, l) * ew;
    const lo = w[e]!;
    const hi = ew === 2 ? w[e + 1]! : 0;
    if (lo === 0 && hi === 0) {
      d = l;
      break;
    }
    if (!codec.isPresent(lo, hi, l)) {
      throw new PagingError('AlreadyMapped', `${op}: the level-${l} entry for ${hex(joinAddr(vaLo, vaHi))} is in use (non-present, non-zero)`);
    }
    if (codec.isHuge(lo, hi, l)) {
      throw new PagingError('MappedToHugePage', `${op}: ${hex(joinAddr(vaLo, vaHi))} lies in a ${formatPageSize(t.meta.levelSize[l]!)} page`);
    }
    tbl = child(t, lo, hi, l);
    if (tbl < 0) lookupError(t, CORRUPT, op, vaLo, vaHi);
  }
  const huge = L !== t._last;
  if (d < 0) {
    e = tbl + index(t, vaLo, vaHi, L) * ew;
    if (w[e] !== 0 || (ew === 2 && w[e + 1] !== 0)) throw new PagingError('AlreadyMapped', `${op}: ${hex(joinAddr(vaLo, vaHi))} is already mapped`);
    w[e] = codec.newPageLo(paLo, paHi, flags, huge, L);
    if (ew === 2) w[e + 1] = codec.newPageHi(paLo, paHi, flags, huge, L);
    remember(t, vaLo, vaHi, L, tbl);
    return;
  }
  mapBelow(c, e, d, vaLo | 0, vaHi, paLo | 0, paHi, L, flags, op);
}

/**
 * Maps (vaLo, vaHi) -> (paLo, paHi) at level L below the unused entry e of a level-d table (d < L): makes the
 * tables of levels d+1..L (all before writing anything; none left on a failure) and links them in, bottom-up, so
 * that a hardware walker never reaches a half-built subtree. With d = L, e is the leaf's own unused entry, written
 * alone (map's miss path, the cursor's _mapFull). The low words come as int32 (`| 0`): small integers
 * cross a call that V8 does not inline without being boxed. The virtual one stays int32 here (the index and walk
 * cache helpers read it with `>>>`, the same for either form): as a u32 it was boxed again for each of them that V8
 * did not inline (W6a, random maps: 8 heap bytes per map on x86_64).
 */
export function mapBelow(c: PageTable64Cursor, e: number, d: number, vaLo32: number, vaHi: number, paLo32: number, paHi: number, L: number, flags: number, op: string): void {
  const paLo = paLo32 >>> 0;
  const t = c.table;
  const k = c._k;
  const codec = t._w;
  const ew = t._ew;
  const huge = L !== t._last;
  for (let l = d + 1; l <= L; l++) {
    let idx = -1;
    try {
      idx = allocTable(t, l, op);
    } catch (err) {
      freeNew(c, d + 1, l);
      throw err;
    }
    if (idx < 0) {
      freeNew(c, d + 1, l);
      throw new PagingError('NoMemory', `${op}: no frame for a level-${l} ${t.meta.name} table`);
    }
    k._newIdx[l] = idx;
    k._newLo[l] = t._newLo;
    k._newHi[l] = t._newHi;
  }
  const w = t.handler.words;
  // the leaf first, then each table's link from the table above it, and last the link from the existing table (e).
  // One call site per codec function, reached on every call: V8 inlines a call site by how often it ran before
  // the caller was compiled, and a loop for the tables between, which the sequential maps (W1a) hardly ever enter,
  // was left a call when they compiled this first; the table address it passes and the link it returns, both above
  // 2^31 here, were then boxed (W6a, random maps after W1a: 22 heap bytes per map on x86_64).
  const leafTable = d === L ? e - index(t, vaLo32, vaHi, L) * ew : k._newIdx[L]!;
  let ce = leafTable + index(t, vaLo32, vaHi, L) * ew;
  w[ce] = codec.newPageLo(paLo, paHi, flags, huge, L);
  if (ew === 2) w[ce + 1] = codec.newPageHi(paLo, paHi, flags, huge, L);
  for (let l = L - 1; l >= d; l--) {
    const cLo = k._newLo[l + 1]!;
    const cHi = k._newHi[l + 1]!;
    if (l > d) {
      ce = k._newIdx[l]! + index(t, vaLo32, vaHi, l) * ew;
    } else {
      ce = e;
      if (k._logging) k._log(e, d + 1, cLo, cHi);
    }
    w[ce] = codec.newTableLo(cLo, cHi, l);
    if (ew === 2) w[ce + 1] = codec.newTableHi(cLo, cHi, l);
  }
  remember(t, vaLo32, vaHi, L, leafTable);
}

/** Frees the tables of newIdx[from..to) (allocation failed part-way). */
function freeNew(c: PageTable64Cursor, from: number, to: number): void {
  const k = c._k;
  for (let l = from; l < to; l++) freeTable(c.table, k._newLo[l]!, k._newHi[l]!, l);
}

/**
 * After mapOne wrote the level-l page at (vaLo, vaHi) -> (paLo, paHi) into the table the walk cache holds, maps up
 * to `max` following pages of the same size into the unused entries after it in that table (stopping at the
 * table's end or at the first entry in use, which the caller's next mapOne reports). The per-page loop of
 * mapRegion (W4b, W4c).
 * @returns the pages mapped; the scratch's `filled` holds that count if a codec call throws part-way (else -1).
 */
export function fillLeaves(c: PageTable64Cursor, vaLo: number, vaHi: number, paLo: number, paHi: number, max: number, flags: number, l: number): number {
  const t = c.table;
  const k = c._k;
  // the root (never in the walk cache) or the level-l table the walk cache holds
  const tbl = l === 0 ? rootIndex(t) : cached(t, vaLo, vaHi, l);
  if (tbl < 0 || (l !== 0 && t._cLevel !== l)) return 0;
  const first = index(t, vaLo, vaHi, l);
  const room = (1 << t._bits[l]!) - 1 - first;
  const max1 = room < max ? room : max;
  const ew = t._ew;
  const w = t.handler.words;
  // the unused entries that follow (a root entry shared by copyFrom is left to the caller's next mapOne, which
  // reports it), counted before anything is written
  const e0 = tbl + (first + 1) * ew;
  let n = 0;
  for (let e = e0; n < max1; n++, e += ew) {
    if (w[e] !== 0 || (ew === 2 && w[e + 1] !== 0)) break;
    if (l === 0 && t._anyBorrowed && t._borrowed[first + 1 + n] === 1) break;
  }
  if (n === 0) return 0;
  k._fillShift = t._shift[l]!;
  const step = POW2[k._fillShift]!;
  // (fillByLayout's codec calls come before any write: 0 pages written if one throws)
  k._filled = 0;
  const done = t._probe !== null && fillByLayout(t, e0, n, paLo, paHi, step, flags, l);
  k._filled = -1;
  if (!done) fillByCodec(c, e0, n, paLo, paHi, step, flags, l);
  // one invalidation per page while the batch has room (past FLUSH_BATCH of them, push turns them into one full
  // flush): at most that many calls per cursor
  let vLo = vaLo;
  let vHi = vaHi;
  for (let j = 0; j < n && !c._full; j++) {
    vLo += step;
    if (vLo >= TWO32) {
      vLo -= TWO32;
      vHi++;
    }
    c._push(vLo, vHi);
  }
  return n;
}

/**
 * The n pages of fillLeaves for a format with a layout: the codec makes the first page's words, and each following
 * page is the same words one page size further in the layout's address field (fast/fill-leaves.ts), as
 * regionInTable writes them. No codec call per page: a page is two stores and an add (W4c: a table of 512 pages in
 * one pass). The codec also makes the last page's words, which must be the first page's advanced n - 1 times; where
 * they are not (an address field that the layout does not describe whole), nothing is written and false is
 * returned: the caller then asks the codec for every page.
 */
function fillByLayout(t: PageTable64, e0: number, n: number, paLo: number, paHi: number, step: number, flags: number, l: number): boolean {
  const ew = t._ew;
  const codec = t._w;
  const huge = l !== t._last;
  const p = paLo + step;
  const pCarry = Math.floor(p / 4294967296);
  const pLo = p - pCarry * 4294967296;
  const pHi = paHi + pCarry;
  // the first and the last page's words, made before anything is written: a codec that throws leaves the table as
  // it was (the last page is (n - 1) steps further: below 2^53, n <= 2^20 and step <= 2^31)
  const lo = codec.newPageLo(pLo, pHi, flags, huge, l);
  const hi = ew === 2 ? codec.newPageHi(pLo, pHi, flags, huge, l) : 0;
  const q = pLo + (n - 1) * step;
  const qCarry = Math.floor(q / 4294967296);
  const qLo = q - qCarry * 4294967296;
  const lastLo = codec.newPageLo(qLo, pHi + qCarry, flags, huge, l);
  const lastHi = ew === 2 ? codec.newPageHi(qLo, pHi + qCarry, flags, huge, l) : 0;
  const inc = fieldStep(codec.layout!, step);
  if (!runEntryIs(lo, hi, inc, n - 1, lastLo, lastHi, ew)) return false;
  writeLeaves(t.handler.words, e0, ew, n, lo, hi, inc);
  return true;
}

/** The n pages of fillLeaves through the codec, one call per page (formats without a layout). */
function fillByCodec(c: PageTable64Cursor, e0: number, n: number, paLo: number, paHi: number, step: number, flags: number, l: number): void {
  const t = c.table;
  const k = c._k;
  const w = t.handler.words;
  const ew = t._ew;
  const codec = t._w;
  const huge = l !== t._last;
  let pLo = paLo;
  let pHi = paHi;
  let j = 0;
  try {
    for (let e = e0; j < n; j++, e += ew) {
      pLo += step;
      if (pLo >= TWO32) {
        pLo -= TWO32;
        pHi++;
      }
      const lo = codec.newPageLo(pLo, pHi, flags, huge, l);
      const hi = ew === 2 ? codec.newPageHi(pLo, pHi, flags, huge, l) : 0;
      w[e] = lo;
      if (ew === 2) w[e + 1] = hi;
    }
  } finally {
    k._filled = j;
  }
  k._filled = -1;
}

/** Undoes a partial mapRegion: clears the leaves of [start, cur), then frees the tables it created. */
export function rollbackMap(c: PageTable64Cursor, sLo: number, sHi: number, cLo: number, cHi: number): void {
  const t = c.table;
  const k = c._k;
  const w = t.handler.words;
  let lo = sLo;
  let hi = sHi;
  while (diff(cLo, cHi, lo, hi) > 0) {
    if (find(t, lo, hi) !== FOUND) break; // cannot happen: every page before cur was mapped here
    w[t._eIdx] = 0;
    if (t._ew === 2) w[t._eIdx + 1] = 0;
    addPow2(lo, hi, t._shift[t._eLvl]!);
    lo = OUT[0]!;
    hi = OUT[1]!;
  }
  // tables were logged top link first; unlink and free in reverse order
  const logs = k._logs;
  for (let j = 4 * (k._logCount - 1); j >= 0; j -= 4) {
    const parent = logs[j]!;
    w[parent] = 0;
    if (t._ew === 2) w[parent + 1] = 0;
    const l = logs[j + 1]! - 1;
    freeSubtree(t, t._w.newTableLo(logs[j + 2]!, logs[j + 3]!, l), t._w.newTableHi(logs[j + 2]!, logs[j + 3]!, l), l);
  }
}

/** The level at which the format maps pages of `size` bytes. */
export function levelOf(t: PageTable64, size: PageSize, op: string): number {
  const sizes = t._levelSize;
  for (let l = t._last; l >= 0; l--) {
    if (sizes[l] === size && t._leafOk[l] === 1) return l;
  }
  throw new PagingError('UnsupportedPageSize', `${op}: ${t.meta.name} cannot map a page of ${typeof size === 'number' ? formatPageSize(size) : String(size)}`);
}

/** Validates vaddr and finds the present leaf that starts there: its level; vaddr left in PAIR, the entry in t._eIdx. */
export function findLeaf(t: PageTable64, vaddr: unknown, op: string): number {
  splitAddr(vaddr, op, 'vaddr');
  const vaLo = PAIR[0]!;
  const vaHi = PAIR[1]!;
  checkVa(t, vaLo, vaHi, op);
  const r = find(t, vaLo, vaHi);
  if (r !== FOUND) lookupError(t, r, op, vaLo, vaHi);
  if (t._borrowed[index(t, vaLo, vaHi, 0)] === 1) sharedError(op, vaLo, vaHi);
  const l = t._eLvl;
  const s = t._shift[l]!;
  const e = t._eIdx;
  const w = t.handler.words;
  // a leaf the codec stores as repeated entries (a run is changed: the cursor breaks it first)
  const ls = t._w.leafShift(w[e]!, t._ew === 2 ? w[e + 1]! : 0, l);
  if (ls >= 0 && ls !== s) {
    throw new PagingError(
      'UnsupportedPageSize',
      `${op}: ${hex(joinAddr(vaLo, vaHi))} lies in a ${formatPageSize(2 ** ls)} page stored as repeated entries, which this table reads but does not modify`,
    );
  }
  if (!isAligned(vaLo, vaHi, s)) {
    throw new PagingError('NotAligned', `${op}: "vaddr" ${hex(joinAddr(vaLo, vaHi))} is inside a ${formatPageSize(2 ** s)} page, not at its start`);
  }
  return l;
}

/** Whether an exclusive physical end (lo, hi) is at most 2^paMaxBits. */
export function paEndOk(t: PageTable64, lo: number, hi: number): boolean {
  const bits = t.meta.paMaxBits;
  if (bits >= 64) return true;
  return hi * TWO32 + lo <= POW2[bits]!;
}

/** Rejects a range that wraps past 2^64 or leaves the valid part of the address space. */
export function checkRange(t: PageTable64, vaLo: number, vaHi: number, szLo: number, szHi: number, op: string): void {
  checkVa(t, vaLo, vaHi, op);
  const lastLo0 = vaLo + szLo - 1;
  const lastLo = mod32(lastLo0);
  const lastHi = vaHi + szHi + carry32(lastLo0);
  if (lastHi >= TWO32) throw new PagingError('InvalidAddress', `${op}: the range at ${hex(joinAddr(vaLo, vaHi))} runs past 2^64`);
  if (!vaOk(t, lastLo, lastHi) || (lastHi | 0) >> 31 !== (vaHi | 0) >> 31) {
    throw new PagingError(
      'InvalidAddress',
      `${op}: the range [${hex(joinAddr(vaLo, vaHi))}, ${hex(joinAddr(lastLo, lastHi))}] leaves the valid ${t.meta.name} address space`,
    );
  }
}

/** Throws SharedTable for a write below a root entry that copyFrom shares. */
export function sharedError(op: string, lo: number, hi: number): never {
  throw new PagingError('SharedTable', `${op}: ${hex(joinAddr(lo, hi))} lies below a root entry shared by copyFrom; it is read-only here`);
}

/** Throws unless `flags` is a non-empty MappingFlags set. */
export function checkFlags(flags: MappingFlags, op: string): void {
  if (!Number.isInteger(flags) || flags < 0 || flags > MAPPING_FLAGS_ALL) {
    throw new TypeError(`${op}: "flags" ${String(flags)} is not a MappingFlags bit set (an integer in 0..63)`);
  }
  if (flags === 0) throw new PagingError('InvalidFlags', `${op}: empty flags would write a non-present entry; use unmap to remove access`);
}

/** Throws NotAligned for (lo, hi), which is not a multiple of 2^shift. */
export function notAligned(op: string, what: string, lo: number, hi: number, shift: number): never {
  throw new PagingError('NotAligned', `${op}: "${what}" ${hex(joinAddr(lo, hi))} is not aligned to ${formatPageSize(2 ** shift)}`);
}

/** Throws InvalidAddress for a physical address beyond the format's width. */
export function badPa(op: string, t: PageTable64, lo: number, hi: number): never {
  throw new PagingError('InvalidAddress', `${op}: "paddr" ${hex(joinAddr(lo, hi))} is beyond the ${t.meta.paMaxBits}-bit ${t.meta.name} physical address space`);
}
