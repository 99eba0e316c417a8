// The common case of a dump's listing: a leaf that only continues the run before it. At the last level of a format
// whose codec states its entry layout (PTEWords.layout), the next page of a run is the entry before it with the
// layout's address field one page further and every other bit the same, and such entries are found by comparing
// words instead of decoding each one. What the listing reads besides the address (presence, flags, leaf size,
// attributes, limits) depends on the bits outside that field only (PTELayout says so, and the shared codec suite
// checks it); whether the hardware refuses an entry may depend on the address (x86 address bits at and above
// MAXPHYADDR), so the inspector is still asked about every entry. Measured by W9 (packages/bench: ptdump over
// 4,194,304 pages in 262,144 runs), where it takes 15 of every 16 leaves.
import { fieldStep } from '../fast/fill-leaves';
import type { PagingMetaData, PTEWords } from '../interfaces';
import type { EntryInspector } from './format';

/** Where the dump walk may scan the runs of a format, and how the address field moves from page to page. */
export class RunScan {
  /** The level whose leaves are scanned (the last), or -1 when none is (no layout, or runs are not coalesced). */
  readonly level: number;
  /** log2 of the bytes a leaf of that level maps: only leaves of the level's own size are scanned. */
  readonly shift: number;
  /** The layout's address field (u32 masks), and one page in it, in the field's units (split into two words). */
  private readonly addrLo: number;
  private readonly addrHi: number;
  private readonly incLo: number;
  private readonly incHi: number;
  /** The run-hint bits (AArch64 Contiguous, RISC-V Svnapot N): a member of a hinted run is left to the walk. */
  private readonly hintLo: number;
  private readonly hintHi: number;
  /** u32 words per entry. */
  private readonly ew: number;
  /** The inspector, when it has a `problem` to ask about each entry. */
  private readonly insp: EntryInspector | null;

  constructor(w: PTEWords, meta: PagingMetaData, insp: EntryInspector, coalesce: boolean) {
    const layout = w.layout;
    const last = meta.levels - 1;
    this.shift = meta.pageShift;
    this.ew = meta.entryBytes === 8 ? 2 : 1;
    this.hintLo = w.run?.hintLo ?? 0;
    this.hintHi = w.run?.hintHi ?? 0;
    this.insp = typeof insp.problem === 'function' ? insp : null;
    if (layout === undefined || !coalesce) {
      this.level = -1;
      this.addrLo = this.addrHi = this.incLo = this.incHi = 0;
      return;
    }
    this.level = last;
    // a page's own address field where it differs from a table pointer's (ARMv7: bits 31:12, not 31:10)
    this.addrLo = (layout.leafAddrLo ?? layout.addrLo) >>> 0;
    this.addrHi = layout.addrHi >>> 0;
    const inc = fieldStep(layout, 2 ** meta.pageShift);
    this.incHi = Math.floor(inc / 4294967296);
    this.incLo = inc - this.incHi * 4294967296;
  }

  /** Whether the leaf (lo, hi) of level `l`, mapping 2^ls bytes, is of the kind whose run this scans. */
  scans(lo: number, hi: number, l: number, ls: number): boolean {
    return l === this.level && ls === this.shift && ((lo & this.hintLo) | (hi & this.hintHi)) === 0;
  }

  /**
   * How many of the `count` entries of `table` from index `from` on continue, one after the other, the run whose
   * last leaf is (lo, hi), the entry just before them: each is the one before it with one page more in the address
   * field, nothing else changed, and not refused by the inspector. Stops at the first that is not, and where the
   * field would carry out of itself. The per-entry path of a listing of millions of pages: no BigInt, no
   * allocation, one comparison of words per entry (and the inspector's check, when it has one).
   */
  continuing(table: Uint32Array, from: number, count: number, lo: number, hi: number): number {
    const ew = this.ew;
    const aLo = this.addrLo;
    const aHi = this.addrHi;
    const incLo = this.incLo;
    const incHi = this.incHi;
    const insp = this.insp;
    // the bits outside the address field, and the field itself as two unsigned numbers
    const keepLo = lo & ~aLo;
    const keepHi = hi & ~aHi;
    let fLo = (lo & aLo) >>> 0;
    let fHi = (hi & aHi) >>> 0;
    let n = 0;
    for (let e = from * ew; n < count; n++, e += ew) {
      fLo += incLo;
      fHi += incHi;
      if (fLo >= 4294967296) {
        fLo -= 4294967296;
        fHi += 1;
      }
      // a carry into a bit outside the field: that address has no such entry
      if ((fLo & ~aLo) !== 0 || (fHi & ~aHi) !== 0 || fHi > 4294967295) break;
      const nLo = table[e]!;
      const nHi = ew === 2 ? table[e + 1]! : 0;
      if (((nLo ^ (keepLo | fLo)) | (nHi ^ (keepHi | fHi))) !== 0) break;
      if (insp !== null && insp.problem!(nLo, nHi, this.level, true) !== undefined) break;
    }
    return n;
  }
}
