// The cursor: the public face of every change to a table, and its batch of TLB invalidations. The work is done by
// functions in this folder (map.ts, region.ts, range.ts) and fast/ (the measured fast paths); map and unmap keep
// their walk-cache fast paths here, inline (W1, W3), where a caller's loop can inline them.
import { addrNumber, checkNumberVa, joinAddr, NUM_ARGS, PAIR, splitAddr } from '../_addr';
import { carry32, isAligned, mod32 } from '../_pairs';
import type { MappingFlags, PageSize } from '../flags';
import type { AddrInput, VirtAddr } from '../interfaces';
import { PROBE_LEVEL } from '../fast/walker';
import { regionInTable } from '../fast/region-in-table';
import { refillWindow, windowEntry } from '../fast/walk-cache';
import { checkVa, index, outVa, paOk } from '../table/address';
import { runMember } from '../table/find';
import { releasePending } from '../table/frames';
import type { MappingInfo, PageTable64 } from '../table/page-table';
import { shareRootEntries } from '../table/share';
import { badPa, checkFlags, checkRange, findLeaf, levelOf, mapBelow, mapOne, notAligned } from './map';
import { RangeVisitor } from './range';
import { breakRun, runLevelOf } from './runs';
import { mapRegion } from './region';
import { type CursorScratch, scratchFor } from './scratch';

/** Source of physical addresses for `mapRegion`: a start address, or a function of the virtual address. */
export type PaddrSource = AddrInput | ((vaddr: VirtAddr) => AddrInput);

/** Options of {@link PageTable64Cursor.mapRegion}. */
export interface MapRegionOptions {
  /**
   * Write the whole aligned runs of identical pages as runs: the AArch64 Contiguous bit (Arm ARM DDI 0487 D8, "The
   * Contiguous bit"), RISC-V Svnapot pages (privileged spec, "Svnapot"). Default false; ignored by a format without
   * runs.
   */
  readonly runs?: boolean;
}

/** `options.runs` of mapRegion, checked. */
function runsOption(options: MapRegionOptions): boolean {
  if (typeof options !== 'object' || options === null) throw new TypeError(`mapRegion: "options" must be an object, got ${options === null ? 'null' : typeof options}`);
  const runs = options.runs ?? false;
  if (typeof runs !== 'boolean') throw new TypeError(`mapRegion: "options.runs" must be a boolean, got ${typeof runs}`);
  return runs;
}

/**
 * Whether the fast path of unmap or unmapNumber may be tried again for the number address in NUM_ARGS[0] (where
 * it left it) after it did not answer: true when va lay outside the walk cache's last-level table and the cache now
 * points at va's (W3: once per last-level table; the full path, which the other cases take, allocates). Not in the
 * fast path itself: the refill's test and call there made each unmap 1 ns slower (W3 unmap with MappingInfo,
 * x86_64, builds side by side), though it runs once per 512 pages. The address goes in NUM_ARGS: as an argument
 * of a call it was boxed (W3 read 0.3 heap bytes per unmap on x86_64, 0.55 on ARMv7).
 */
function refilledForFastPath(t: PageTable64): boolean {
  // true only when the cache now covers va (while an operation runs, mapRegion's callback, it covers nothing), so
  // that the fast path tried again answers, or comes back here with va inside and goes to the full path
  return !inWindow(t) && refillWindow(t) && inWindow(t);
}

/** Whether the walk cache's last-level table covers the number address in NUM_ARGS[0]. */
function inWindow(t: PageTable64): boolean {
  const off = NUM_ARGS[0]! - t._nBase;
  return off >>> 0 === off && off < t._nSpan;
}

/**
 * Whether the entry (lo, hi) of the walk cache's last-level table is a present page that the fast paths may remove:
 * not a member of a run (the full path breaks the run first) nor an ARMv7 Large page (the full path clears its 16
 * entries).
 */
function plainPage(t: PageTable64, lo: number, hi: number): boolean {
  return t._w.isPresent(lo, hi, t._last) && (((lo & t._oddLo) ^ t._plainLo) | (hi & t._oddHi)) === 0;
}

/** Batch size of pending single-page TLB invalidations before one full flush replaces them (as the crate). */
export const FLUSH_BATCH = 32;

/**
 * Modifies a {@link PageTable64}. Like the crate's cursor it batches TLB invalidations: up to 32 page
 * addresses, then one full flush; they reach the table's `flushTlb` hook on {@link flush} or dispose
 * (`using cursor = table.cursor()`).
 *
 * Every operation validates its input first and either completes or throws a PagingError leaving the
 * table memory and the frame count as they were.
 */
export class PageTable64Cursor {
  /** The table this cursor modifies. */
  readonly table: PageTable64;
  /** @internal pending invalidations, as (lo, hi) pairs (allocated on the first one) */ _pending: Float64Array | null = null;
  /** @internal the other buffer, while flush sends one */ _spare: Float64Array | null = null;
  /** @internal */ _pendingCount = 0;
  /** @internal no more single-page invalidations are recorded: a full flush is due (or there is no hook) */ _full = false;
  /** @internal the working memory of the operation running (cursor/scratch.ts) */ _k: CursorScratch;

  constructor(table: PageTable64) {
    this.table = table;
    this._k = scratchFor(table._levels);
    // with no flushTlb hook there is nobody to tell: the cursor records no invalidation at all
    this._full = table._flushTlb === undefined;
  }

  /**
   * Maps the page of `size` bytes at `vaddr` to the frame at `paddr`. On a format whose runs are pages (metadata
   * `runPages`: RISC-V with Svnapot), `size` may also be the size of a run (64 KiB): its entries are written as one
   * run (see {@link mapRegion}'s `runs`), both addresses aligned to that size.
   * @throws PagingError 'NotAligned' (vaddr or paddr not a multiple of size), 'InvalidAddress',
   *   'InvalidFlags' (empty flags), 'UnsupportedPageSize', 'AlreadyMapped', 'MappedToHugePage',
   *   'NoMemory' (no frame for a needed table); on any of them nothing was written.
   * @example
   * using cursor = table.cursor();
   * cursor.map(0xffff_8000_0000_0000n, 0x20_0000n, PageSize.Size2M, MappingFlags.READ | MappingFlags.WRITE);
   */
  map(vaddr: AddrInput, paddr: AddrInput, size: PageSize, flags: MappingFlags): void {
    // Fast path (W1): a page of the smallest size into an unused entry of the last-level table of the previous
    // lookup (the walk cache's number form), both addresses exact as numbers. Everything else, errors included,
    // takes the full path. 2^32 and MAPPING_FLAGS_ALL (63) are written as literals on the fast paths: V8 reads an
    // imported constant from the module's context, with a type check, at every use (map 0.93-0.97 of the time).
    // Kept short: a caller's loop inlines map only while map and what it inlines fit V8's budget; handing the miss
    // path its addresses through typed-array slots here (48 more bytes of bytecode) made the Sv39 sequential loop
    // stop inlining it (14.7 ns per map, 28 heap bytes per map for the boxed arguments).
    const t = this.table;
    const va = addrNumber(vaddr);
    const pa = addrNumber(paddr);
    const off = va - t._nBase;
    if (off >>> 0 === off && off < t._nSpan && (off & t._pageMask) === 0 && size === t._pageBytes && typeof flags === 'number' && flags !== 0 && (flags & 63) === flags && pa >= 0 && pa < t._paLimitNum) {
      const paHi = Math.floor(pa / 4294967296);
      const paLo = pa - paHi * 4294967296;
      const e = windowEntry(t, off);
      const w = t.handler.words;
      if ((paLo & t._pageMask) === 0 && paLo >>> 0 === paLo && w[e] === 0 && (t._ew === 1 || w[e + 1] === 0)) {
        const c = t._w;
        const l = t._last;
        w[e] = c.newPageLo(paLo, paHi, flags, false, l);
        if (t._ew === 2) w[e + 1] = c.newPageHi(paLo, paHi, flags, false, l);
        if (!this._full) this._push(va >>> 0, Math.floor(va / 4294967296));
        return;
      }
    }
    // Number addresses reach the miss path in NUM_ARGS, -1 in their place: as arguments, those above 2^31 were boxed
    // (W6a, random maps, misses at every page: 16 heap bytes per map for the virtual address alone)
    NUM_ARGS[0] = va;
    NUM_ARGS[1] = pa;
    this._mapFull(typeof vaddr === 'number' ? -1 : vaddr, typeof paddr === 'number' ? -1 : paddr, size, flags);
  }

  /** @internal map's full path: every check, the walk, new tables. A number address comes in NUM_ARGS, -1 here. */
  private _mapFull(vaddrArg: AddrInput, paddrArg: AddrInput, size: PageSize, flags: MappingFlags): void {
    const t = this.table;
    t._enter('map');
    // A page of the smallest size that missed the walk cache (W6a, random maps), both addresses numbers (in
    // NUM_ARGS), on a table with a specialised walk: the prober finds the first unused entry on the way, and the
    // leaf, or the tables below it, are written there. Anything else (errors included) goes on to the checks below.
    // Here, not in a function of its own: V8 never inlines a function of more than 460 bytes of bytecode, and this
    // one is now over it. Otherwise map's own optimized code, made when map got hot before the caller's loop did
    // (random maps from the start), inlined this path and took so much of V8's inlining budget that no caller
    // inlined map any more: each call then boxed its address arguments (16 heap bytes per map, every format, W6a
    // run first; packages/bench/test/bench.test.ts).
    if (vaddrArg === -1 && paddrArg === -1 && size === t._pageBytes && t._probe !== null) {
      const vaddr = NUM_ARGS[0]!;
      const paddr = NUM_ARGS[1]!;
      const vaHi = Math.floor(vaddr / 4294967296);
      const vaLo = vaddr - vaHi * 4294967296;
      const paHi = Math.floor(paddr / 4294967296);
      const paLo = paddr - paHi * 4294967296;
      // integers (an in-range low word), a valid lower-half address, a physical address the format holds, both
      // aligned (not `vaHi >>> 0`: that would take 2^64 for 0), and no root entry shared
      const plain = typeof flags === 'number' && flags !== 0 && (flags & 63) === flags && !t._anyBorrowed;
      const inRange = vaLo >>> 0 === vaLo && vaHi >= 0 && vaHi < t._vaHiLimit && paLo >>> 0 === paLo && paddr >= 0 && paddr < t._paLimitNum;
      if (plain && inRange && ((vaLo | paLo) & t._pageMask) === 0) {
        const w = t.handler.words;
        const e = t._probe(w, t._rootIdx, vaLo | 0, vaHi, t._walkMem);
        if (e >= 0 && w[e] === 0 && (t._ew === 1 || w[e + 1] === 0)) {
          // mapBelow writes the entries: there the codec's calls have call sites of their own, which V8 inlines; a
          // leaf's words above 2^31 (the x86 NX bit, an AArch64 descriptor's upper attributes) returned by a call
          // made here, next to the walk, came back boxed (16 heap bytes per map on X86-PAE and the 16K and 64K
          // AArch64 granules). The low words go as int32: a u32 above 2^31 would be boxed for the call.
          mapBelow(this, e, PROBE_LEVEL[0]!, vaLo | 0, vaHi, paLo | 0, paHi, t._last, flags, 'map');
          if (!this._full) this._push(vaLo, vaHi);
          return;
        }
      }
    }
    const vaddr = vaddrArg === -1 ? NUM_ARGS[0]! : vaddrArg;
    const paddr = paddrArg === -1 ? NUM_ARGS[1]! : paddrArg;
    checkFlags(flags, 'map');
    // a run's size (runPages formats): both addresses aligned to it, then its pages written as mapRegion writes a run
    const run = runLevelOf(t, size) >= 0;
    const l = run ? -1 : levelOf(t, size, 'map');
    const s = run ? Math.log2(size) : t._shift[l]!;
    splitAddr(vaddr, 'map', 'vaddr');
    const vaLo = PAIR[0]!;
    const vaHi = PAIR[1]!;
    checkVa(t, vaLo, vaHi, 'map');
    if (!isAligned(vaLo, vaHi, s)) notAligned('map', 'vaddr', vaLo, vaHi, s);
    splitAddr(paddr, 'map', 'paddr');
    const paLo = PAIR[0]!;
    const paHi = PAIR[1]!;
    if (!isAligned(paLo, paHi, s)) notAligned('map', 'paddr', paLo, paHi, s);
    if (run) {
      mapRegion(this, vaddr, paddr, size, flags, true, true, 'map');
      return;
    }
    if (!paOk(t, paLo, paHi)) badPa('map', t, paLo, paHi);
    mapOne(this, vaLo, vaHi, paLo, paHi, l, flags, 'map');
    this._push(vaLo, vaHi);
  }

  /**
   * Points the existing mapping at `vaddr` (the start of its page) to `paddr` with `flags`.
   * @returns the size of the page.
   * @throws PagingError 'NotMapped' when nothing is mapped there, 'NotAligned' when vaddr is not the
   *   start of its page or paddr is not aligned to its size, 'InvalidAddress', 'InvalidFlags'.
   */
  remap(vaddr: AddrInput, paddr: AddrInput, flags: MappingFlags): PageSize {
    return this._rewrite(vaddr, paddr, true, flags, 'remap');
  }

  /**
   * Replaces the flags of the mapping that starts at `vaddr`.
   * @returns the size of the page.
   * @throws PagingError 'NotMapped', 'NotAligned' (vaddr inside a page, not at its start),
   *   'InvalidAddress', 'InvalidFlags'.
   */
  protect(vaddr: AddrInput, flags: MappingFlags): PageSize {
    return this._rewrite(vaddr, 0, false, flags, 'protect');
  }

  /** remap (`withPa`: paddr is checked and written) and protect: the leaf at vaddr rewritten with `flags`. */
  private _rewrite(vaddr: AddrInput, paddr: AddrInput, withPa: boolean, flags: MappingFlags, op: string): PageSize {
    const t = this.table;
    t._enter(op);
    checkFlags(flags, op);
    const l = findLeaf(t, vaddr, op);
    const vaLo = PAIR[0]!;
    const vaHi = PAIR[1]!;
    const e = t._eIdx;
    let paLo = 0;
    let paHi = 0;
    if (withPa) {
      const s = t._shift[l]!;
      splitAddr(paddr, op, 'paddr');
      paLo = PAIR[0]!;
      paHi = PAIR[1]!;
      if (!isAligned(paLo, paHi, s)) notAligned(op, 'paddr', paLo, paHi, s);
      if (!paOk(t, paLo, paHi)) badPa(op, t, paLo, paHi);
    }
    this._unrun(e, l, vaLo, vaHi);
    const w = t.handler.words;
    const c = t._w;
    const huge = l !== t._last;
    const lo = w[e]!;
    const hi = t._ew === 2 ? w[e + 1]! : 0;
    const lo1 = withPa ? c.setPaddrLo(lo, hi, paLo, paHi, l) : lo;
    const hi1 = withPa ? c.setPaddrHi(lo, hi, paLo, paHi, l) : hi;
    this._update(e, lo, hi, c.setFlagsLo(lo1, hi1, flags, huge, l), c.setFlagsHi(lo1, hi1, flags, huge, l), vaLo, vaHi);
    return t._levelSize[l]!;
  }

  /**
   * Removes the mapping that starts at `vaddr`.
   * @returns what was mapped there.
   * @throws PagingError 'NotMapped' (nothing written), 'NotAligned' (vaddr inside a page), 'InvalidAddress'.
   */
  unmap(vaddr: AddrInput): MappingInfo {
    // Fast path (W3): a present page in the last-level table of the previous lookup, vaddr exact as a number. The
    // steps of plainPage written out here, as those of the window's entry: through two functions W3 read 0.4-1.0 ns
    // more per unmap (builds alternated, x86_64 and Sv39), which unmapNumber (a newer path) pays for plainPage.
    const t = this.table;
    const va = addrNumber(vaddr);
    const off = va - t._nBase;
    if (off >>> 0 === off && off < t._nSpan && (off & t._pageMask) === 0) {
      const e = windowEntry(t, off);
      const w = t.handler.words;
      const lo = w[e]!;
      const hi = t._ew === 2 ? w[e + 1]! : 0;
      const c = t._w;
      const l = t._last;
      if (c.isPresent(lo, hi, l) && (((lo & t._oddLo) ^ t._plainLo) | (hi & t._oddHi)) === 0) {
        const info: MappingInfo = { paddr: joinAddr(c.paddrLo(lo, hi, l) >>> 0, c.paddrHi(lo, hi, l) >>> 0), flags: c.flags(lo, hi, l), size: t._pageBytes };
        w[e] = 0;
        if (t._ew === 2) w[e + 1] = 0;
        if (!this._full) this._push(va >>> 0, Math.floor(va / 4294967296));
        return info;
      }
    }
    NUM_ARGS[0] = va;
    return refilledForFastPath(t) ? this.unmap(vaddr) : this._unmapFull(vaddr);
  }

  /**
   * {@link unmap} for callers that hold addresses as numbers: removes the page that starts at `vaddr` and returns
   * its physical address as a number, with no BigInt and nothing allocated for a page of the smallest size in the
   * last-level table of the previous lookup (a sequential unmap: W3); the page's flags and size are then the
   * table's `lastFlags` and `lastSize`, as after a queryNumber. unmap's result holds its address as a bigint, and
   * making one from two 32-bit halves costs a 64-bit load that waits for the two stores before it (5 of W3's 18 ns).
   * @example
   * const pa = cursor.unmapNumber(0x40_1000); // 0x20_1000; table.lastSize is 4096
   * @throws as {@link unmap}; RangeError when `vaddr` is not a non-negative safe integer, or when the page's
   *   physical address is 2^53 or more (nothing is removed then: use unmap).
   */
  unmapNumber(vaddr: number): number {
    const t = this.table;
    // The word index of the entry for va in the walk cache's last-level table when va starts a page of the table's
    // smallest size there, else -1. (Any other value than a number goes to the full path, which refuses it.)
    const va = typeof vaddr === 'number' ? vaddr : Number.NaN;
    const off = va - t._nBase;
    const e = off >>> 0 === off && off < t._nSpan && (off & t._pageMask) === 0 ? windowEntry(t, off) : -1;
    const w = t.handler.words;
    const lo = e >= 0 ? w[e]! : 0;
    const hi = t._ew === 2 && e >= 0 ? w[e + 1]! : 0;
    if (e >= 0 && plainPage(t, lo, hi)) {
      const c = t._w;
      const l = t._last;
      const paHi = c.paddrHi(lo, hi, l) >>> 0;
      if (paHi < 0x200000) {
        // the entry, for the table's lastFlags and lastSize (decoded when read), as queryNumber records its hit
        t._found(lo, hi, l);
        w[e] = 0;
        if (t._ew === 2) w[e + 1] = 0;
        if (!this._full) this._push(vaddr >>> 0, Math.floor(vaddr / 4294967296));
        return paHi * 4294967296 + (c.paddrLo(lo, hi, l) >>> 0);
      }
    }
    NUM_ARGS[0] = va;
    return refilledForFastPath(t) ? this.unmapNumber(vaddr) : this._unmapNumberFull(vaddr);
  }

  /** @internal unmapNumber's full path: every check of unmap's, and the address's, before anything is removed. */
  private _unmapNumberFull(vaddr: number): number {
    checkNumberVa(vaddr, 'unmapNumber', 'unmap');
    const t = this.table;
    t._enter('unmapNumber');
    const l = findLeaf(t, vaddr, 'unmapNumber');
    const w = t.handler.words;
    const e = t._eIdx;
    const lo = w[e]!;
    const hi = t._ew === 2 ? w[e + 1]! : 0;
    const paHi = t._w.paddrHi(lo, hi, l) >>> 0;
    if (paHi >= 0x200000) {
      throw new RangeError(`unmapNumber: the page at ${String(vaddr)} has a physical address of 2^53 or more, not exact as a number (use unmap)`);
    }
    // a member of a run becomes a plain page first (as unmap does), so that the entry recorded is the page's
    this._unrun(e, l, PAIR[0]!, PAIR[1]!);
    const plainLo = w[e]!;
    const plainHi = t._ew === 2 ? w[e + 1]! : 0;
    const info = this._unmapFull(vaddr);
    t._found(plainLo, plainHi, l);
    return Number(info.paddr);
  }

  /** @internal unmap's full path. */
  private _unmapFull(vaddr: AddrInput): MappingInfo {
    const t = this.table;
    t._enter('unmap');
    const l = findLeaf(t, vaddr, 'unmap');
    const vaLo = PAIR[0]!;
    const vaHi = PAIR[1]!;
    const e = t._eIdx;
    this._unrun(e, l, vaLo, vaHi);
    const w = t.handler.words;
    const c = t._w;
    const lo = w[e]!;
    const hi = t._ew === 2 ? w[e + 1]! : 0;
    const info: MappingInfo = { paddr: joinAddr(c.paddrLo(lo, hi, l), c.paddrHi(lo, hi, l)), flags: c.flags(lo, hi, l), size: t._levelSize[l]! };
    w[e] = 0;
    if (t._ew === 2) w[e + 1] = 0;
    this._push(vaLo, vaHi);
    return info;
  }

  /**
   * Maps `size` bytes at `vaddr` to physical memory: from `paddr` on, or to `paddr(va)` per page when a
   * function is given. With `allowHuge`, each step uses the largest page the format allows at which
   * both addresses are aligned and that fits in what remains. With `options.runs`, on a format with runs (the AArch64
   * Contiguous bit, RISC-V Svnapot), every group of entries that can form a run, lies wholly inside the region and
   * holds identical pages (same size and flags, physical addresses consecutive from an address aligned to the run's
   * size) is written as a run; `query` then reports the run's size. A later change to one page of a run (map,
   * remap, protect, unmap, or a range operation that cuts the run) first turns the whole run back into plain pages.
   *
   * All or nothing: on any failure every page and table this call created is removed again and the
   * error is thrown; memory and frame count are as before the call. The paddr function may read the table, not
   * change it (PagingError 'Busy').
   * @throws PagingError 'NotAligned' (vaddr, size or a paddr not aligned to the smallest page), 'InvalidAddress',
   *   'InvalidFlags', 'AlreadyMapped', 'MappedToHugePage', 'NoMemory'; TypeError for `options` that are not a
   *   {@link MapRegionOptions}.
   */
  mapRegion(vaddr: AddrInput, paddr: PaddrSource, size: AddrInput, flags: MappingFlags, allowHuge: boolean, options?: MapRegionOptions): void {
    const t = this.table;
    t._enter('mapRegion');
    const runs = options === undefined ? false : runsOption(options);
    // W4a: a small region as numbers, in one table, on a format with a specialised walk
    if (!runs && t._probe !== null && typeof vaddr === 'number' && typeof paddr === 'number' && typeof size === 'number') {
      if (regionInTable(this, vaddr, paddr, size, flags, allowHuge)) return;
    }
    mapRegion(this, vaddr, paddr, size, flags, allowHuge, runs);
  }

  /**
   * Unmaps every page in [vaddr, vaddr + size), skipping holes (as munmap does) and absent subtrees.
   * @returns the number of bytes that were mapped and are now unmapped.
   * @throws PagingError 'MappedToHugePage' when a huge page lies only partly inside the range,
   *   'NotAligned', 'InvalidAddress', 'CorruptTable'; nothing is changed when it throws.
   */
  unmapRegion(vaddr: AddrInput, size: AddrInput): bigint {
    this.table._enter('unmapRegion');
    return RangeVisitor._for(this)._run(vaddr, size, true, 0, 'unmapRegion');
  }

  /**
   * Sets `flags` on every page in [vaddr, vaddr + size), skipping holes (as mprotect does).
   * @returns the number of bytes whose mappings were updated.
   * @throws PagingError 'MappedToHugePage' when a huge page lies only partly inside the range,
   *   'InvalidFlags', 'NotAligned', 'InvalidAddress', 'CorruptTable'; nothing is changed when it throws.
   */
  protectRegion(vaddr: AddrInput, size: AddrInput, flags: MappingFlags): bigint {
    this.table._enter('protectRegion');
    checkFlags(flags, 'protectRegion');
    return RangeVisitor._for(this)._run(vaddr, size, false, flags, 'protectRegion');
  }

  /**
   * Frees every intermediate table that holds no entry (in the whole address space), as unmapRegion
   * does for its range. The frames go back to the handler on the next flush(), after the TLB
   * invalidation that makes the tables unreachable.
   * @returns the number of tables unlinked.
   */
  compact(): number {
    this.table._enter('compact');
    return RangeVisitor._for(this)._compact();
  }

  /**
   * Makes the root entries covering [start, start + size) of this table the same as `other`'s, as the
   * crate's `copy_from`: the subtables are shared, not copied, and stay owned by their owner (`other`, or the
   * table `other` borrowed them from), which is then not destroyed while this table holds them. Subtables this
   * table owned in that range are freed. Requests a full TLB flush.
   * @throws TypeError when `other` is not another table of the same format in the same memory; PagingError
   *   'InvalidAddress', 'SharedTable' (a root entry in the range is itself lent to a third table), 'Busy',
   *   'Destroyed'. Nothing is changed when it throws.
   */
  copyFrom(other: PageTable64, start: AddrInput, size: AddrInput): void {
    const t = this.table;
    t._enter('copyFrom');
    t._copySource(other);
    splitAddr(size, 'copyFrom', 'size');
    const szLo = PAIR[0]!;
    const szHi = PAIR[1]!;
    splitAddr(start, 'copyFrom', 'start');
    const sLo = PAIR[0]!;
    const sHi = PAIR[1]!;
    if (szLo === 0 && szHi === 0) return;
    checkRange(t, sLo, sHi, szLo, szHi, 'copyFrom');
    const lastLo0 = sLo + szLo - 1;
    const lastHi = sHi + szHi + carry32(lastLo0);
    shareRootEntries(t, other, index(t, sLo, sHi, 0), index(t, mod32(lastLo0), lastHi, 0));
    this._full = true;
  }

  /** Sends the pending TLB invalidations to the table's `flushTlb` hook and clears them. */
  flush(): void {
    const hook = this.table._flushTlb;
    // The batch is taken before the hook runs: a hook that uses this cursor again starts a new batch (in the other
    // buffer) instead of writing into the one being sent.
    const full = this._full;
    const count = this._pendingCount;
    const pending = this._pending;
    this._pendingCount = 0;
    this._full = hook === undefined;
    if (pending !== null && count > 0) {
      this._pending = this._spare;
      this._spare = pending;
    }
    if (full) {
      hook?.();
    } else if (hook) {
      for (let i = 0; pending !== null && i < count; i++) hook(outVa(this.table, pending[2 * i]!, pending[2 * i + 1]!));
    }
    if (!this.table._destroyed) releasePending(this.table);
  }

  [Symbol.dispose](): void {
    this.flush();
  }

  /** @internal queues the invalidation of the page at (lo, hi) (index space or full address) */
  _push(lo: number, hi: number): void {
    if (this._full) return;
    const n = this._pendingCount;
    let pending = this._pending;
    if (pending === null) {
      pending = new Float64Array(2 * FLUSH_BATCH);
      this._pending = pending;
    }
    // the same page twice in a row (a leaf and the tables unlinked above it) is one invalidation
    if (n > 0 && pending[2 * n - 2] === lo && pending[2 * n - 1] === hi) return;
    if (n === FLUSH_BATCH) {
      this._full = true;
      return;
    }
    pending[2 * n] = lo;
    pending[2 * n + 1] = hi;
    this._pendingCount = n + 1;
  }

  /** @internal the batch's state (count, and whether full), to put back with _restoreBatch after a failure */
  _saveBatch(): number {
    return this._full ? -1 - this._pendingCount : this._pendingCount;
  }

  /** @internal */
  _restoreBatch(saved: number): void {
    this._full = saved < 0;
    this._pendingCount = saved < 0 ? -1 - saved : saved;
  }

  /**
   * @internal Before a change to the one page at (vaLo, vaHi), whose level-l leaf is entry e: when that leaf is a
   * member of a run, the run becomes plain pages first (cursor/runs.ts), as both architectures require.
   */
  private _unrun(e: number, l: number, vaLo: number, vaHi: number): void {
    const t = this.table;
    const w = t.handler.words;
    if (runMember(t, w[e]!, t._ew === 2 ? w[e + 1]! : 0, l)) breakRun(this, e, l, vaLo, vaHi);
  }

  /** @internal Writes entry e when its bits change, and only then queues the page's invalidation. */
  private _update(e: number, lo: number, hi: number, nlo: number, nhi: number, vaLo: number, vaHi: number): void {
    const t = this.table;
    if ((nlo | 0) === (lo | 0) && (t._ew === 1 || (nhi | 0) === (hi | 0))) return;
    const w = t.handler.words;
    w[e] = nlo;
    if (t._ew === 2) w[e + 1] = nhi;
    this._push(vaLo, vaHi);
  }
}
