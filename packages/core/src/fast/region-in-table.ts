// mapRegion of a small region (W4a): one run of pages of one size inside one table, checked unused and written in
// one pass, with the same memory, mappings and invalidations as the general path.
import { isAligned, POW2 } from '../_pairs';
import type { PageTable64Cursor } from '../cursor/cursor';
import { mapBelow } from '../cursor/map';
import { child, rootIndex } from '../table/find';
import { index } from '../table/address';
import { fieldStep, writeLeaves } from './fill-leaves';
import { cached, remember } from './walk-cache';

/**
 * mapRegion of a region that is one run of pages of one size in one table (a small region, or huge pages that fit
 * one table), with the addresses and size as numbers, on a table with a specialised walk: the entries are checked
 * unused, then written in one pass, and the tables above them made as map makes them. The entry words come from the
 * codec once, for the first page, and then advance by the page size in the layout's address field. Returns false,
 * having changed nothing, for anything else (errors included), which the general path then maps or reports.
 */
export function regionInTable(c: PageTable64Cursor, va: number, pa: number, size: number, flags: number, allowHuge: boolean): boolean {
  const t = c.table;
  if (typeof flags !== 'number' || flags === 0 || (flags & 63) !== flags || t._anyBorrowed || !(size > 0 && va >= 0 && pa >= 0)) return false;
  // exact numbers, page-aligned, a lower-half range that is valid to its last byte, a physical end the format holds
  // (and for an address in two parts, one that the additions below do not carry out of the part in place)
  const end = va + size;
  if (!(end <= 9007199254740992 && pa + size <= t._regionPaEnd)) return false;
  const vaHi = Math.floor(va / 4294967296);
  const vaLo = va - vaHi * 4294967296;
  const paHi = Math.floor(pa / 4294967296);
  const paLo = pa - paHi * 4294967296;
  const szLo = size - Math.floor(size / 4294967296) * 4294967296;
  if (vaLo >>> 0 !== vaLo || paLo >>> 0 !== paLo || szLo >>> 0 !== szLo || ((vaLo | paLo | szLo) & t._pageMask) !== 0) return false;
  if (Math.floor((end - 1) / 4294967296) >= t._vaHiLimit) return false;
  // the page size mapRegion's general path takes first: the largest allowed one both addresses are aligned to
  const last = t._last;
  let L = last;
  if (allowHuge) {
    for (let j = 0; j < last; j++) {
      const sh = t._shift[j]!;
      if (t._leafOk[j] === 1 && size >= POW2[sh]! && isAligned(vaLo, vaHi, sh) && isAligned(paLo, paHi, sh)) {
        L = j;
        break;
      }
    }
  }
  // all of the region in pages of that size, in one level-L table (inside one table no bigger page can start
  // after the first: its virtual address would not be aligned)
  const step = POW2[t._shift[L]!]!;
  const n = size / step;
  const first = index(t, vaLo, vaHi, L);
  if (n !== Math.floor(n) || first + n > 1 << t._bits[L]!) return false;
  const w = t.handler.words;
  const codec = t._w;
  const ew = t._ew;
  // the walk to the level-L table, from the walk cache when it holds one on the way (mapOne's walk, handing what is
  // in use on the way to the general path; a walk shared with mapOne measured 4-16 ns a call slower here, V8 then
  // no longer inlining the codec's attribute lookup into this function)
  let tbl = rootIndex(t);
  let from = 0;
  const hit = cached(t, vaLo, vaHi, L);
  if (hit >= 0) {
    tbl = hit;
    from = t._cLevel;
  }
  let e = 0;
  let d = -1; // the level whose entry is unused (tables needed below it)
  for (let l = from; l < L; l++) {
    e = tbl + index(t, vaLo, vaHi, l) * ew;
    const lo = w[e]!;
    const hi = ew === 2 ? w[e + 1]! : 0;
    if (lo === 0 && hi === 0) {
      d = l;
      break;
    }
    if (!codec.isPresent(lo, hi, l) || codec.isHuge(lo, hi, l)) return false;
    tbl = child(t, lo, hi, l);
    if (tbl < 0) return false;
  }
  // the first page's entry words (a codec that throws does so before anything is written); each next page is one
  // page size further in the layout's address field (fast/fill-leaves.ts; the check of _regionPaEnd above keeps
  // every address of the region in that field)
  const huge = L !== last;
  const lo = codec.newPageLo(paLo, paHi, flags, huge, L);
  const hi = ew === 2 ? codec.newPageHi(paLo, paHi, flags, huge, L) : 0;
  const inc = fieldStep(codec.layout!, step);
  if (d >= 0) {
    // a new table: its entries are all unused; map writes the first page (the same words as below) and links the
    // tables in
    mapBelow(c, e, d, vaLo | 0, vaHi, paLo | 0, paHi, L, flags, 'mapRegion');
    tbl = c._k._newIdx[L]!;
  } else {
    for (let x = tbl + first * ew, j = 0; j < n; j++, x += ew) if (w[x] !== 0 || (ew === 2 && w[x + 1] !== 0)) return false;
  }
  writeLeaves(w, tbl + first * ew, ew, n, lo, hi, inc);
  if (d < 0) remember(t, vaLo, vaHi, L, tbl);
  // one invalidation per page (past FLUSH_BATCH of them, push turns them into one full flush)
  for (let j = 0, v = va; j < n && !c._full; j++, v += step) c._push(v >>> 0, Math.floor(v / 4294967296));
  return true;
}
