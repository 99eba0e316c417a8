// Runs: aligned leaf entries of one level that a hint bit joins into one mapping (AArch64 Contiguous bit, RISC-V
// Svnapot; PTERunHint in interfaces.ts). Marking the whole aligned runs of identical pages a region wrote, and
// breaking a run back into plain pages before anything inside it changes. Both architectures require the second: a
// run whose entries disagree is misprogrammed (Arm ARM DDI 0487 D8, "Misprogramming the Contiguous bit": the TLB may
// hold either translation or report a TLB conflict; RISC-V privileged spec, "Svnapot": the entries of a NAPOT range
// must be identical, or the behaviour is that of one of them or a page fault).
import { addPow2, diff, isAligned, LOW_MASK_HI, LOW_MASK_LO, OUT, POW2 } from '../_pairs';
import type { PageSize } from '../flags';
import { FOUND, find } from '../table/find';
import { index } from '../table/address';
import type { PageTable64 } from '../table/page-table';
import type { PageTable64Cursor } from './cursor';

/**
 * Turns the run holding the member entry e (level l) of the address (vaLo, vaHi) back into plain leaves, each mapping
 * its own page at the address the run gave it, and queues each page's invalidation. Entries of the aligned group that
 * are not members (a run some other software misprogrammed) are left as they are. Allocates nothing and cannot fail.
 */
export function breakRun(c: PageTable64Cursor, e: number, l: number, vaLo: number, vaHi: number): void {
  const t = c.table;
  const w = t.handler.words;
  const codec = t._w;
  const ew = t._ew;
  const rb = t._runBits[l]!;
  const n = 1 << rb;
  const s = t._shift[l]!;
  const rs = s + rb;
  const e0 = e - (index(t, vaLo, vaHi, l) & (n - 1)) * ew;
  // the run's first page, physical and virtual: the member's address with the bits below the run's size cleared
  const lo0 = w[e]!;
  const hi0 = ew === 2 ? w[e + 1]! : 0;
  let pLo = (codec.paddrLo(lo0, hi0, l) & ~LOW_MASK_LO[rs]!) >>> 0;
  let pHi = (codec.paddrHi(lo0, hi0, l) & ~LOW_MASK_HI[rs]!) >>> 0;
  let vLo = (vaLo & ~LOW_MASK_LO[rs]!) >>> 0;
  let vHi = (vaHi & ~LOW_MASK_HI[rs]!) >>> 0;
  const notLo = ~t._runLo;
  const notHi = ~t._runHi;
  for (let j = 0; j < n; j++) {
    const ej = e0 + j * ew;
    const lo = w[ej]!;
    const hi = ew === 2 ? w[ej + 1]! : 0;
    // (a leaf: a table entry of a misprogrammed group keeps its pointer)
    if (((lo & t._runLo) | (hi & t._runHi)) !== 0 && codec.isPresent(lo, hi, l) && (l === t._last || codec.isHuge(lo, hi, l))) {
      const cLo = lo & notLo;
      const cHi = hi & notHi;
      w[ej] = codec.setPaddrLo(cLo, cHi, pLo, pHi, l);
      if (ew === 2) w[ej + 1] = codec.setPaddrHi(cLo, cHi, pLo, pHi, l);
      c._push(vLo, vHi);
    }
    addPow2(pLo, pHi, s);
    pLo = OUT[0]!;
    pHi = OUT[1]!;
    addPow2(vLo, vHi, s);
    vLo = OUT[0]!;
    vHi = OUT[1]!;
  }
}

/**
 * After a region [start, end) was mapped by this cursor: marks as a run every group of entries that a run of the
 * format may join, lies wholly inside the region, and holds identical pages (present leaves of the same level and
 * attributes, physical addresses consecutive from a run-aligned start). Entries the region wrote were not in use
 * before, so no invalidation beyond the region's own is needed. Allocates nothing and cannot fail.
 */
export function markRuns(c: PageTable64Cursor, sLo: number, sHi: number, eLo: number, eHi: number): void {
  const t = c.table;
  if (t._runLo === 0 && t._runHi === 0) return;
  let lo = sLo;
  let hi = sHi;
  while (diff(eLo, eHi, lo, hi) > 0) {
    if (find(t, lo, hi) !== FOUND) break; // cannot happen: the whole region was just mapped
    const l = t._eLvl;
    const s = t._shift[l]!;
    const rs = s + t._runBits[l]!;
    let step = s;
    if (rs > s && isAligned(lo, hi, rs) && diff(eLo, eHi, lo, hi) >= POW2[rs]! && markGroup(t, t._eIdx, l)) step = rs;
    addPow2(lo, hi, step);
    lo = OUT[0]!;
    hi = OUT[1]!;
  }
}

/** Marks the run-aligned group of level-l entries starting at entry e0 when its pages are identical (see markRuns). */
function markGroup(t: PageTable64, e0: number, l: number): boolean {
  const w = t.handler.words;
  const codec = t._w;
  const run = codec.run!;
  const ew = t._ew;
  const n = 1 << t._runBits[l]!;
  const s = t._shift[l]!;
  const lo0 = w[e0]!;
  const hi0 = ew === 2 ? w[e0 + 1]! : 0;
  let pLo = codec.paddrLo(lo0, hi0, l) >>> 0;
  let pHi = codec.paddrHi(lo0, hi0, l) >>> 0;
  if (!isAligned(pLo, pHi, s + t._runBits[l]!)) return false;
  // the attributes: the entry without its address
  const aLo = codec.setPaddrLo(lo0, hi0, 0, 0, l);
  const aHi = codec.setPaddrHi(lo0, hi0, 0, 0, l);
  const leaf = l === t._last;
  for (let j = 0; j < n; j++) {
    const ej = e0 + j * ew;
    const lo = w[ej]!;
    const hi = ew === 2 ? w[ej + 1]! : 0;
    if (!codec.isPresent(lo, hi, l) || (!leaf && !codec.isHuge(lo, hi, l)) || codec.leafShift(lo, hi, l) >= 0) return false;
    if (((lo & t._runLo) | (hi & t._runHi)) !== 0) return false;
    if ((codec.paddrLo(lo, hi, l) >>> 0) !== pLo || (codec.paddrHi(lo, hi, l) >>> 0) !== pHi) return false;
    if ((codec.setPaddrLo(lo, hi, 0, 0, l) | 0) !== (aLo | 0) || (codec.setPaddrHi(lo, hi, 0, 0, l) | 0) !== (aHi | 0)) return false;
    addPow2(pLo, pHi, s);
    pLo = OUT[0]!;
    pHi = OUT[1]!;
  }
  for (let j = 0; j < n; j++) {
    const ej = e0 + j * ew;
    const lo = w[ej]!;
    const hi = ew === 2 ? w[ej + 1]! : 0;
    w[ej] = run.markLo(lo, hi, l);
    if (ew === 2) w[ej + 1] = run.markHi(lo, hi, l);
  }
  return true;
}

/**
 * The level whose runs `map` writes for pages of `size` bytes, or -1 (no run of that size, or the format has no runs,
 * or its runs are not pages: MetaDataSpec.runPages).
 */
export function runLevelOf(t: PageTable64, size: PageSize): number {
  if ((t._runLo === 0 && t._runHi === 0) || t.meta.runPages !== true) return -1;
  for (let l = t._last; l >= 0; l--) {
    const rb = t._runBits[l]!;
    if (rb > 0 && t._leafOk[l] === 1 && t._levelSize[l]! * 2 ** rb === size) return l;
  }
  return -1;
}
