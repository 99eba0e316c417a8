// Consecutive leaf entries written without a codec call per page: the codec makes one page's entry words, and each
// following page is those words with the address field one page further. The field is the layout's (PTELayout in
// interfaces.ts): `(lo & addrLo) * 2^addrShift + (hi & addrHi) * 2^(32 + addrShift)` is the address (leafAddrLo in
// place of addrLo for a page where the layout gives one), and presence, flags and size do not depend on those bits,
// so adding step / 2^addrShift to the two words, with the carry from lo into hi, gives the next page's entry as long
// as the field holds the address. The callers make sure it does:
// fast/region-in-table.ts by keeping the region's physical end below the table's _regionPaEnd, cursor/map.ts by
// asking the codec for the last page too and comparing (runEntryIs).
//
// Shared by mapRegion's two fills: a region in one table (W4a) and the rest of a table after a page (W4b, W4c).
// Small and monomorphic so that V8 inlines it into both (node --trace-turbo-inlining on the bench worker: writeLeaves
// and fieldStep into regionInTable, all three into fillByLayout).
import { addNum, OUT, POW2 } from '../_pairs';
import type { PTELayout } from '../interfaces';

/** How far the layout's address field moves for a page of `step` bytes (exact: step >= 2^addrShift, both powers of 2). */
export function fieldStep(layout: PTELayout, step: number): number {
  return step / POW2[layout.addrShift]!;
}

/**
 * Writes `n` entries of `ew` u32 words from word `e` of `w`: (lo, hi), then each the one before it `inc` further in
 * the address field (see {@link fieldStep}). `lo` and `hi` are the codec's u32 words (PTEWords.newPageLo/Hi); a word
 * given as an int32 is read as its u32 value, so the carry out of lo is seen.
 */
export function writeLeaves(w: Uint32Array, e: number, ew: number, n: number, lo: number, hi: number, inc: number): void {
  const incHi = Math.floor(inc / 4294967296);
  const incLo = inc - incHi * 4294967296;
  let eLo = lo >>> 0;
  let eHi = hi >>> 0;
  for (let j = 0, x = e; j < n; j++, x += ew) {
    w[x] = eLo;
    if (ew === 2) w[x + 1] = eHi;
    eLo += incLo;
    eHi += incHi;
    if (eLo >= 4294967296) {
      eLo -= 4294967296;
      eHi++;
    }
  }
}

/**
 * Whether (lastLo, lastHi), the codec's words for the page `k` pages after the one whose words are (lo, hi), are
 * those words `k` times `inc` further in the address field, as {@link writeLeaves} would write them: false where the
 * field does not hold the whole address (a carry out of it, an address part elsewhere in the entry). The high words
 * are compared only for 8-byte entries (`ew` 2).
 */
export function runEntryIs(lo: number, hi: number, inc: number, k: number, lastLo: number, lastHi: number, ew: number): boolean {
  const incHi = Math.floor(inc / 4294967296);
  // exact: k is below a table's entry count (2^21 at most), inc's low part below 2^32
  addNum(lo, hi + k * incHi, k * (inc - incHi * 4294967296));
  return OUT[0] === lastLo && (ew !== 2 || OUT[1] === lastHi);
}
