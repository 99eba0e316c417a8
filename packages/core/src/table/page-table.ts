// PageTable64: the table's state and its public face. The work is done by functions over the state, one module per
// concern (table/find, table/frames, table/descent, table/share, fast/walk-cache, cursor/*): this file holds the
// fields (all internal: `@internal` members are stripped from the published declarations), the constructor, and
// the methods of the public API. The lookups that benchmarks measure (W2, W6b) keep their fast paths here, inline.
import { addrNumber, checkNumberVa, joinAddr, PAIR, splitAddr } from '../_addr';
import { isAligned, OUT, POW2, TWO32 } from '../_pairs';
import { hex, PagingError } from '../errors';
import type { MappingFlags, PageSize } from '../flags';
import type { AddrInput, FlushTlb, GenericPTE, PageTableOptions, PagingHandler, PagingMetaData, PhysAddr, PTEWords, VirtAddr } from '../interfaces';
import { PhysicalMemory } from '../physical-memory';
import { forget, rememberLast, windowEntry } from '../fast/walk-cache';
import { type Prober, WALK_PA, WALK_TABLE, type Walker, type Walks, makeWalks, walkContext } from '../fast/walker';
import { wordsOf, wordsToBits } from '../words';
import { PageTable64Cursor } from '../cursor/cursor';
import { DONE, ENTRY, EXIT } from './descent';
import { FOUND, CORRUPT, find, leafPa, leafShift, lookupError } from './find';
import { checkVa, outVa, paOk, vaOk } from './address';
import { allocTable, freeTables, heldFrames } from './frames';
import { geometryOf } from './geometry';
import { Slabs } from './slabs';
import { countTables, tableDescent, treeTables } from './tree';
import { lentEntries, releaseBorrowed } from './share';

/** What `query` and `unmap` report about one mapping. */
export interface MappingInfo {
  /** Physical address that the queried virtual address translates to (for `unmap`: the page start). */
  readonly paddr: PhysAddr;
  readonly flags: MappingFlags;
  /** Size of the page (or block) that holds the mapping. */
  readonly size: PageSize;
}

/** One leaf mapping as listed by {@link PageTable64.mappings}. */
export interface LeafMapping {
  /** First virtual address of the page (sign-extended in an upper half). */
  readonly vaddr: VirtAddr;
  readonly paddr: PhysAddr;
  readonly size: PageSize;
  readonly flags: MappingFlags;
  /** Level of the leaf entry (0 = root). */
  readonly level: number;
  /** Raw bits of the entry. */
  readonly bits: bigint;
}

/** Callback of {@link PageTable64.walk}: level (0 = root), index in its table, virtual address, raw bits. */
export type WalkCallback = (level: number, index: number, vaddr: VirtAddr, bits: bigint) => void;

/**
 * A multi-level page table whose geometry (levels, index widths, granule, entry and table sizes) comes from its
 * {@link PagingMetaData}, so 2- to 6-level formats of any granule share this code. Entries live in the physical
 * memory of its {@link PagingHandler} and are read and written as (lo, hi) u32 words.
 *
 * Architecture packages give it a name (`X64PageTable`, `Sv39PageTable`, ...) by fixing the metadata and the codec.
 * Modify it through a {@link PageTable64Cursor}.
 */
export class PageTable64 {
  /** The format's geometry and address rules. */
  readonly meta: PagingMetaData;
  /** The entry codec (value level). */
  readonly pte: GenericPTE;
  /** Frames and physical memory the table lives in. */
  readonly handler: PagingHandler;

  // ---- The state. Every field below is internal to core (functions in table/, fast/, cursor/ read them).

  /** @internal the word-level codec */ readonly _w: PTEWords;
  /** @internal levels of the format */ readonly _levels: number;
  /** @internal index of the last level */ readonly _last: number;
  /** @internal u32 words per entry (1 or 2) */ readonly _ew: number;
  /** @internal VA bit where each level's index starts */ readonly _shift: Int32Array;
  /** @internal index width of each level */ readonly _bits: Int32Array;
  /** @internal u32 words of a table at each level */ readonly _tableWords: Int32Array;
  /** @internal 1 where map may write a leaf */ readonly _leafOk: Uint8Array;
  /** @internal log2 of the range one table of each level covers */ readonly _span: Int32Array;
  /** @internal page size (bytes) of a leaf at each level */ readonly _levelSize: Float64Array;
  /** @internal log2 of the entries of a run at each level (0: none) */ readonly _runBits: Int32Array;
  /**
   * @internal the codec's run hint masks when the format has runs (0 and 0 otherwise): the fast paths leave an
   * entry with a hint bit to the full path, which reads it as its run
   */
  readonly _runLo: number;
  /** @internal */ readonly _runHi: number;
  /**
   * @internal the fast paths read a last-level entry (lo, hi) as a page of the level's size only when
   * `((lo & _oddLo) ^ _plainLo) | (hi & _oddHi)` is 0: the run hint masks, and for a codec with leafShift the
   * layout's `leaf` test (an ARMv7 Large page fails it); 0, 0 and 0 for the other formats
   */
  readonly _oddLo: number;
  /** @internal */ readonly _plainLo: number;
  /** @internal */ readonly _oddHi: number;
  /** @internal the root's physical address */ readonly _rootLo: number;
  /** @internal */ readonly _rootHi: number;
  /** @internal word index of the root table (for a PhysicalMemory; see table/find rootIndex) */ readonly _rootIdx: number;
  /** @internal 1 for root entries copied from another table by copyFrom (never freed here) */ _borrowed: Uint8Array;
  /** @internal per root entry, how many other tables hold its table through copyFrom (table/share.ts) */ _lentRefs: Int32Array;
  /** @internal per borrowed root entry, the table that owns the table below it (null until copyFrom) */
  _lenders: (PageTable64 | null)[] | null = null;
  /** @internal whether copyFrom has borrowed any root entry */ _anyBorrowed = false;
  /** @internal */ _destroyed = false;
  /** @internal a mapRegion paddr callback is running: no change allowed (see enterChange) */ _busy = false;
  /** @internal attached to a root it did not allocate */ readonly _attached: boolean;
  /** @internal cursors may modify it */ readonly _writable: boolean;
  /** @internal an attached table's own tables (word index -> address and level), the only ones it frees */
  readonly _owned: Map<number, { lo: number; hi: number; level: number }> = new Map();
  /** @internal frames shared by tables smaller than a frame, and those with a free slot (table/slabs.ts) */
  readonly _slabs: Slabs;
  /** @internal a frame held aside by allocTable (level, or -1 for none) and its address */ _heldLevel = -1;
  /** @internal */ _heldLo = 0;
  /** @internal */ _heldHi = 0;
  /** @internal physical address of the last table allocTable made */ _newLo = 0;
  /** @internal */ _newHi = 0;
  /** @internal tables unlinked but not yet freed (level, address), waiting for the next flush */ _pendLevel: number[] = [];
  /** @internal */ _pendLo: number[] = [];
  /** @internal */ _pendHi: number[] = [];
  /** @internal */ readonly _flushTlb: FlushTlb | undefined;
  /** @internal the entry find() ended at: word index and level */ _eIdx = 0;
  /** @internal */ _eLvl = 0;
  /** @internal walk cache (fast/walk-cache.ts): level of the cached table (-1: none), its word index, its tag */
  _cLevel = -1;
  /** @internal */ _cIdx = 0;
  /** @internal */ _cTagLo = 0;
  /** @internal */ _cTagHi = 0;
  /** @internal the walk cache in number form: first address of the cached last-level table's range, or Infinity */
  _nBase: number = Infinity;
  /** @internal bytes one last-level table covers (0 while busy or when too large: no fast-path window) */ _nSpan: number;
  /** @internal range operations run their full check pass (attached tables, formats with repeated leaves) */
  readonly _fullCheck: boolean;
  /** @internal true when the handler is a PhysicalMemory: table addresses are translated inline */ readonly _linear: boolean;
  /** @internal the handler when it is a PhysicalMemory (frames then go by number, without a bigint) */
  readonly _pm: PhysicalMemory | null;
  /** @internal the linear memory's first byte and size */ readonly _memLo: number;
  /** @internal */ readonly _memHi: number;
  /** @internal */ readonly _memSize: number;
  /** @internal physical addresses are below (_paHiLimit, _paLoLimit) as a pair */ readonly _paHiLimit: number;
  /** @internal */ readonly _paLoLimit: number;
  /** @internal entry words (as int32) and level of the mapping the last queryNumber found (level -1: none) */
  readonly _q: Int32Array = Int32Array.of(0, 0, -1);
  /** @internal bytes of the smallest page, that minus one, and its log2 */ readonly _pageBytes: number;
  /** @internal */ readonly _pageMask: number;
  /** @internal */ readonly _pageShift: number;
  /** @internal the fast paths apply: linear memory and leaves that map their level's size */ readonly _fast: boolean;
  /** @internal exclusive bound of a physical address given as a number: min(2^paMaxBits, 2^53) */ readonly _paLimitNum: number;
  /**
   * @internal exclusive bound of the physical end of a region that fast/region-in-table.ts writes by adding page
   * sizes to the entry words: _paLimitNum, or for an address in two parts (PTELayout.addrLo2) the end of the part in
   * place, which the additions must not carry out of
   */
  readonly _regionPaEnd: number;
  /** @internal the high-word bits of an address that index the table (bits 32..vaMaxBits-1) */ readonly _vaMaskHi: number;
  /** @internal a number address is a valid lower-half address when its high word is below this */ readonly _vaHiLimit: number;
  /** @internal the metadata's window as numbers: valid lower-half addresses are in [_winStart, _winEnd) */
  readonly _winStart: number;
  /** @internal */ readonly _winEnd: number;
  /** @internal the window's aligned block of 2^vaMaxBits bytes (its first address as words): listings report addresses in it */
  readonly _outLo: number;
  /** @internal */ readonly _outHi: number;
  /** @internal the format's specialised walk for lookups, or null (none for the format, or destroyed) */ _walker: Walker | null;
  /** @internal the same for map (fast/walker.ts Prober), or null with _walker */ _probe: Prober | null;
  /** @internal the memory as the walks read it (fast/walker.ts walkContext) */ readonly _walkMem: Int32Array;
  /** @internal the Float64Array view of the memory the range scans use (cursor/range.ts), and its words */
  _f64View: Float64Array | null = null;
  /** @internal */ _f64Words: Uint32Array | null = null;

  /**
   * Allocates the root table in `handler` (a fresh {@link PhysicalMemory} when omitted), or attaches to an existing
   * one with `options.root`.
   * @throws PagingError 'NoMemory' when the root frame cannot be allocated; with `root`, 'NotAligned' or
   *   'InvalidAddress' when it is misaligned or outside the handler's memory.
   */
  constructor(meta: PagingMetaData, pte: GenericPTE, handler?: PagingHandler, options: PageTableOptions = {}) {
    this.meta = meta;
    this.pte = pte;
    this.handler = handler ?? new PhysicalMemory();
    this._w = wordsOf(pte);
    const levels = meta.levels;
    this._levels = levels;
    this._last = levels - 1;
    // small integers kept as such (`>>`, `<<`, not `>>>` or `**`): V8 then stores them untagged-small, and the
    // fast paths read them without unboxing
    this._ew = meta.entryBytes >> 2;
    const g = geometryOf(meta);
    this._shift = g.shift;
    this._bits = g.bits;
    this._tableWords = g.tableWords;
    this._slabs = new Slabs(g.tableWords);
    this._leafOk = g.leafOk;
    this._span = g.span;
    this._levelSize = g.levelSize;
    this._runBits = g.runBits;
    const hint = g.runBits.some((b) => b > 0) ? this._w.run : undefined;
    this._runLo = hint === undefined ? 0 : hint.hintLo;
    this._runHi = hint === undefined ? 0 : hint.hintHi;
    this._flushTlb = options.flushTlb;
    const pb = meta.paMaxBits;
    this._paHiLimit = pb >= 64 ? TWO32 : pb >= 32 ? 2 ** (pb - 32) : 0;
    this._paLoLimit = pb >= 32 ? 0 : 2 ** pb;
    const h = this.handler;
    this._linear = h instanceof PhysicalMemory;
    this._pm = h instanceof PhysicalMemory ? h : null;
    if (h instanceof PhysicalMemory) {
      splitAddr(h.base, 'new', 'base');
      this._memLo = PAIR[0]!;
      this._memHi = PAIR[1]!;
      this._memSize = h.size;
    } else {
      this._memLo = 0;
      this._memHi = 0;
      this._memSize = 0;
    }
    this._attached = options.root !== undefined;
    // a codec with leafShift stores some leaves as repeated entries: range operations check each one first, and the
    // fast paths run only when its layout's leaf test tells a plain page (see _oddLo)
    const sized = typeof pte.leafShift === 'function';
    this._fullCheck = this._attached || sized;
    const layout = this._w.layout;
    // (a test of all of `plain`'s bits: without a `leaf`, the page test is any bit of `present`, the same only for
    // one bit; 0 otherwise, and then no fast path)
    const plain = !sized || layout === undefined ? 0 : (layout.leaf ?? ((layout.present & (layout.present - 1)) === 0 ? layout.present : 0));
    this._oddLo = this._runLo | plain;
    this._plainLo = plain;
    this._oddHi = this._runHi;
    this._writable = options.root === undefined || options.writable === true;
    if (options.root !== undefined) {
      splitAddr(options.root, 'attach', 'root');
      const lo = PAIR[0]!;
      const hi = PAIR[1]!;
      const align = meta.tableBytes[0]!;
      if (lo % align !== 0) throw new PagingError('NotAligned', `attach: root ${hex(joinAddr(lo, hi))} is not aligned to ${align} bytes`);
      const t = h.wordIndex(lo, hi);
      if (t < 0 || t + this._tableWords[0]! > h.words.length || !paOk(this, lo, hi)) {
        throw new PagingError('InvalidAddress', `attach: root ${hex(joinAddr(lo, hi))} is not inside the handler's memory`);
      }
      this._rootIdx = t;
      this._rootLo = lo;
      this._rootHi = hi;
    } else {
      const root = allocTable(this, 0, 'new');
      if (root < 0) throw new PagingError('NoMemory', `new: no frame for the ${meta.name} root table`);
      this._rootIdx = root;
      this._rootLo = this._newLo;
      this._rootHi = this._newHi;
    }
    // the format's shared all-zero flags until copyFrom sets one (a typed array of this size is a separate
    // allocation in V8, the largest cost of making a table)
    this._borrowed = g.noRoots;
    this._lentRefs = g.noRefs;
    this._pageShift = meta.pageShift;
    // a small integer, not `2 ** n` (a double in V8): the field then holds a tagged integer, and the fast paths of
    // map, unmap and queryNumber (W1-W3) test `off & _pageMask` and `size === _pageBytes` without unboxing a double
    this._pageBytes = meta.pageShift < 30 ? 1 << meta.pageShift : 2 ** meta.pageShift;
    this._pageMask = this._pageBytes - 1;
    const lastSpan = this._span[levels - 1]!;
    this._fast = this._linear && !this._attached && (!sized || (plain !== 0 && (plain & this._runLo) === 0)) && lastSpan < 31;
    // 0 (no window) for a last-level table of 2^31 bytes or more, which the fast paths do not handle anyway
    this._nSpan = lastSpan < 31 ? 1 << lastSpan : 0;
    this._paLimitNum = 2 ** Math.min(meta.paMaxBits, 53);
    // the part in place ends above the top bit of addrHi (bit 48 with FEAT_LPA, 50 with FEAT_LPA2)
    const placeEnd = layout === undefined || (layout.addrLo2 ?? 0) === 0 ? Infinity : 2 ** (64 - Math.clz32(layout.addrHi) + layout.addrShift);
    this._regionPaEnd = Math.min(this._paLimitNum, placeEnd);
    const vb = meta.vaMaxBits;
    this._vaMaskHi = vb >= 64 ? 0xffffffff : vb <= 32 ? 0 : 2 ** (vb - 32) - 1;
    // (0 for a table without a lower half: no number is one of its addresses, and the number paths check only this)
    // (0 too for a table with a window, whose addresses the number paths do not check, and below 32 bits, where the
    // low word would need a check of its own; 1 for a 32-bit space, ARMv7 and x86 32-bit: any low word, high word 0)
    this._vaHiLimit =
      meta.lowerHalf === false || meta.window !== undefined ? 0 : meta.vaTopBit >= 53 ? 0x200000 : meta.vaTopBit < 32 ? 0 : 2 ** (meta.vaTopBit - 32);
    // a table without a lower half takes no address whose top bits are zero: an empty window there
    const upperOnly = meta.lowerHalf === false;
    this._winStart = upperOnly ? Infinity : meta.window === undefined ? -1 : Number(meta.window.start);
    this._winEnd = meta.window === undefined ? Infinity : Number(meta.window.end);
    const outBase = meta.window === undefined ? 0 : this._winStart - (this._winStart % 2 ** vb);
    // and reports its addresses with bits [vaMaxBits, 64) set (vaMaxBits is below 64 there, defineMetaData checks)
    this._outHi = upperOnly ? (vb >= 32 ? (-1 << (vb - 32)) >>> 0 : 0xffffffff) : Math.floor(outBase / TWO32);
    this._outLo = upperOnly ? (vb >= 32 ? 0 : (-1 << vb) >>> 0) : outBase - Math.floor(outBase / TWO32) * TWO32;
    // the format's specialised walks (made once per metadata object and layout), for a linear memory whose
    // addresses are exact as numbers
    const memBase = this._memHi * TWO32 + this._memLo;
    let made: Walks | null = null;
    if (this._fast && layout !== undefined && memBase + this._memSize <= 2 ** 53) {
      made = g.walks.get(layout) ?? null;
      if (!g.walks.has(layout)) {
        made = makeWalks(g.shift, g.bits, g.tableWords, this._ew, layout, this._oddLo, this._plainLo, this._oddHi);
        g.walks.set(layout, made);
      }
    }
    this._walker = made === null ? null : made.walker;
    this._probe = made === null ? null : made.prober;
    this._walkMem = walkContext(memBase, this._memSize, made === null ? 12 : made.unitShift);
    // writes through the PhysicalMemory API empty the walk cache (see fast/walk-cache.ts)
    this._pm?._watch(this);
  }

  /**
   * Makes a table like `new`, but returns the PagingError (the handler has no frame for the root: 'NoMemory'; a
   * bad `options.root`: 'NotAligned', 'InvalidAddress') instead of throwing it. Every table class whose constructor
   * takes `(handler?, options?)` has it: `X64PageTable.tryNew(memory)`.
   * @example
   * const table = Sv39PageTable.tryNew(memory);
   * if (table instanceof PagingError) console.log('no room for the root table');
   */
  static tryNew<T>(
    this: new (handler?: PagingHandler, options?: PageTableOptions) => T,
    handler?: PagingHandler,
    options?: PageTableOptions,
  ): T | PagingError {
    try {
      // `this` is the class tryNew is called on (X64PageTable, ...), not PageTable64
      // biome-ignore lint/complexity/noThisInStatic: the subclass's constructor is the point
      return new this(handler, options);
    } catch (err) {
      if (err instanceof PagingError) return err;
      throw err;
    }
  }

  /** Physical address of the root table (what CR3 / TTBR / satp / PGD point at). */
  get rootPaddr(): PhysAddr {
    return joinAddr(this._rootLo, this._rootHi);
  }

  /** Whether {@link destroy} has run. */
  get destroyed(): boolean {
    return this._destroyed;
  }

  /**
   * Translates `vaddr`: the physical address it maps to, the mapping's flags and page size.
   * @throws PagingError 'NotMapped' when no present mapping covers it; 'InvalidAddress' for a
   *   non-canonical address; 'Destroyed' after destroy().
   * @example
   * const { paddr, flags, size } = table.query(0xffff_8000_0000_1234n);
   */
  query(vaddr: AddrInput): MappingInfo {
    // Fast path (W2, bigint API): a page in the last-level table of the previous lookup (the walk cache's number
    // form). A bigint below 2^53 converts exactly; anything else misses the window and takes the full path.
    const va = addrNumber(vaddr);
    const off = va - this._nBase;
    if (off >>> 0 === off && off < this._nSpan) {
      const l = this._last;
      const e = windowEntry(this, off);
      const w = this.handler.words;
      const lo = w[e]!;
      const hi = this._ew === 2 ? w[e + 1]! : 0;
      const c = this._w;
      if (c.isPresent(lo, hi, l) && (((lo & this._oddLo) ^ this._plainLo) | (hi & this._oddHi)) === 0) {
        const paHi = c.paddrHi(lo, hi, l);
        const pa = joinAddr(((c.paddrLo(lo, hi, l) >>> 0) + (off & this._pageMask)) >>> 0, paHi >>> 0);
        return { paddr: pa, flags: c.flags(lo, hi, l), size: this._pageBytes };
      }
    }
    return this._query(vaddr);
  }

  /** @internal query's full path: validation, walk, errors */
  _query(vaddr: AddrInput): MappingInfo {
    this._live('query');
    splitAddr(vaddr, 'query', 'vaddr');
    const vaLo = PAIR[0]!;
    const vaHi = PAIR[1]!;
    checkVa(this, vaLo, vaHi, 'query');
    const r = find(this, vaLo, vaHi);
    if (r !== FOUND) lookupError(this, r, 'query', vaLo, vaHi);
    const w = this.handler.words;
    const i = this._eIdx;
    const l = this._eLvl;
    const lo = w[i]!;
    const hi = this._ew === 2 ? w[i + 1]! : 0;
    const s = leafShift(this, lo, hi, l);
    leafPa(this, lo, hi, l, s, vaLo, vaHi);
    return { paddr: joinAddr(OUT[0]!, OUT[1]!), flags: this._w.flags(lo, hi, l), size: POW2[s]! };
  }

  /** Flags of what the last {@link queryNumber} / {@link queryWords} found or unmapNumber removed (0 before any). */
  get lastFlags(): MappingFlags {
    const q = this._q;
    return q[2]! < 0 ? 0 : this._w.flags(q[0]! >>> 0, q[1]! >>> 0, q[2]!);
  }

  /** Page size of what the last {@link queryNumber} / {@link queryWords} found or unmapNumber removed (0 if none). */
  get lastSize(): number {
    const q = this._q;
    return q[2]! < 0 ? 0 : POW2[leafShift(this, q[0]! >>> 0, q[1]! >>> 0, q[2]!)]!;
  }

  /**
   * Translation for callers that hold addresses as numbers (an emulator's TLB miss): no BigInt, no
   * allocation, no exception on the common path. Returns the physical address, or -1 when nothing is
   * mapped there; the mapping's flags and page size are then in {@link lastFlags} and {@link lastSize}.
   * A lookup in the same last-level table as the previous one (a sequential scan, a hot page) reads one
   * entry and nothing else.
   * @throws RangeError when `vaddr` is not a non-negative safe integer, or when the physical address is
   *   2^53 or more (not exactly representable: use {@link query}); PagingError 'InvalidAddress' for an
   *   address outside the table's address space.
   * @example
   * table.queryNumber(0x40_1234); // 0x20_1234, or -1 if unmapped
   */
  queryNumber(vaddr: number): number {
    // Fast path (W2, numbers): one entry of the walk cache's last-level table
    if (typeof vaddr !== 'number') return this._queryNumber(vaddr);
    const off = vaddr - this._nBase;
    if (off >>> 0 === off && off < this._nSpan) {
      const l = this._last;
      const e = windowEntry(this, off);
      const w = this.handler.words;
      const lo = w[e]!;
      const hi = this._ew === 2 ? w[e + 1]! : 0;
      const c = this._w;
      // the cached table is the one that maps vaddr: an entry that is not present there means unmapped
      if (!c.isPresent(lo, hi, l)) return -1;
      const paHi = c.paddrHi(lo, hi, l);
      // an address below 2^53 (paHi below 2^21), and a page of the level's size (not a member of a run, which maps
      // the run's page, nor an ARMv7 Large page: the full path reads them): one test, for the 460-byte budget below
      // (the same checks as two tests made 469 bytes, and W2 took 2x as long, not inlined)
      if (!((paHi >>> 21) | ((lo & this._oddLo) ^ this._plainLo) | (hi & this._oddHi))) {
        this._found(lo, hi, l);
        return paHi * 4294967296 + (c.paddrLo(lo, hi, l) >>> 0) + (off & this._pageMask);
      }
    }
    // A miss (W6b): the format's walk, here and not in a method of its own. Kept short on purpose: V8 inlines this
    // method into a caller's loop only while its bytecode stays under 460 bytes, and a call that is not inlined
    // boxes an address above 2^31; with the walk cache updated on every miss, random lookups measured 1.4-1.9x
    // slower (A/B in one process, X64 and Sv39, 100,000 pages). The walk itself is a call V8 never inlines
    // (fast/walker.ts: what this method's own optimized code inlines counts against a caller's budget too).
    const walker = this._walker;
    if (walker !== null) {
      // the words of an integer in [0, 2^53): vaHi is then a u32 integer, and for anything else (negative, fraction,
      // NaN, 2^64 and up) it is not; fewer bytes than Math.floor, which the run test above spent
      const vaLo = vaddr >>> 0;
      const vaHi = (vaddr - vaLo) / 4294967296;
      if (vaHi >>> 0 === vaHi && vaHi < this._vaHiLimit) {
        const prev = WALK_TABLE[0]!;
        const r = walker(this.handler.words, this._rootIdx, vaLo | 0, vaHi, this._walkMem, this._q);
        if (r === 0) {
          // a second walk in a row into the same last-level table (a scan): the lookups that follow hit it. The
          // previous walk may have been another table's; a match then only means this table's own `prev` is kept.
          if (WALK_TABLE[0] === prev && !this._anyBorrowed) rememberLast(this, vaLo, vaHi, prev);
          return WALK_PA[0]! + (vaLo & this._pageMask);
        }
        if (r === -1) return -1;
      }
    }
    // anything else (bad input, blocks, pointers out of memory, formats without a specialised walk): the full path
    return this._queryNumber(vaddr);
  }

  /** @internal queryNumber's full path */
  _queryNumber(vaddr: number): number {
    checkNumberVa(vaddr, 'queryNumber', 'query');
    const lo = vaddr >>> 0;
    return this.queryWords(lo, (vaddr - lo) / TWO32);
  }

  /**
   * {@link queryNumber} for a virtual address given as two u32 halves (upper-half addresses included).
   * @returns the physical address, or -1 when nothing is mapped there.
   * @throws RangeError when the words are not u32 integers, or the physical address is 2^53 or more;
   *   PagingError 'InvalidAddress' for an address outside the table's address space.
   */
  queryWords(vaLo: number, vaHi: number): number {
    if (this._destroyed) this._live('queryWords');
    if (vaLo >>> 0 !== vaLo || vaHi >>> 0 !== vaHi) {
      throw new RangeError(`queryWords: the address words (${String(vaLo)}, ${String(vaHi)}) are not two u32 integers`);
    }
    if (!vaOk(this, vaLo, vaHi)) checkVa(this, vaLo, vaHi, 'queryWords');
    const r = find(this, vaLo, vaHi);
    if (r !== FOUND) {
      if (r === CORRUPT) lookupError(this, r, 'queryWords', vaLo, vaHi);
      return -1;
    }
    const w = this.handler.words;
    const e = this._eIdx;
    const l = this._eLvl;
    const lo = w[e]!;
    const hi = this._ew === 2 ? w[e + 1]! : 0;
    const s = leafShift(this, lo, hi, l);
    leafPa(this, lo, hi, l, s, vaLo, vaHi);
    const paHi = OUT[1]!;
    if (paHi >= 0x200000) {
      throw new RangeError(`queryWords: the physical address ${hex(joinAddr(OUT[0]!, paHi))} is not exact as a number (use query)`);
    }
    this._found(lo, hi, l);
    return paHi * TWO32 + OUT[0]!;
  }

  /** @internal records the entry (words lo, hi at level l) a number query found, for lastFlags and lastSize */
  _found(lo: number, hi: number, l: number): void {
    const q = this._q;
    q[0] = lo;
    q[1] = hi;
    q[2] = l;
  }

  /**
   * Forgets what the table remembers of its tables: the last table a lookup ended in (its walk cache, the one-entry
   * paging-structure cache of the fast paths). Call it after changing entries in raw memory (`handler.words`, or the
   * bytes of `PhysicalMemory.bytes()`), as the hardware needs an INVLPG or a CR3 reload after such a write (Intel SDM
   * Vol. 3A 4.10.4; RISC-V SFENCE.VMA; AArch64 TLBI). With `vaddr`, after changing the entries that translate that
   * address at any level; like INVLPG, which drops every paging-structure cache entry (SDM 4.10.4.1), it forgets the
   * whole cache. Writes through the PhysicalMemory API (`writeU32`, `writeU64`, `writeBytes`, `release`) and the
   * table's own cursors need no call.
   * @throws PagingError 'InvalidAddress' for a `vaddr` outside the table's address space, 'Destroyed'.
   * @example
   * memory.words[pdEntryIndex] = 0;     // a guest rewrote a directory entry behind the table
   * table.invalidate(0x40_0000);        // as INVLPG 0x400000
   */
  invalidate(vaddr?: AddrInput): void {
    this._live('invalidate');
    if (vaddr !== undefined) {
      splitAddr(vaddr, 'invalidate', 'vaddr');
      checkVa(this, PAIR[0]!, PAIR[1]!, 'invalidate');
    }
    forget(this);
  }

  /**
   * Visits every present entry, depth first, as the crate's `walk`: `pre` before descending into a table entry,
   * `post` after (for a leaf, both in turn); at most `limit` present entries per table. A next-level table is
   * followed only when its entry is present and not huge. Upper-half addresses are sign-extended. The callbacks may
   * change the table: each entry is read when it is reached.
   * @throws TypeError when `limit` is not a number; RangeError when it is negative or NaN; PagingError 'Destroyed'.
   */
  walk(limit: number, pre?: WalkCallback, post?: WalkCallback): void {
    this._live('walk');
    if (typeof limit !== 'number') throw new TypeError(`walk: "limit" must be a number, got ${limit === null ? 'null' : typeof limit}`);
    if (!(limit >= 0)) throw new RangeError(`walk: "limit" ${limit} is not a non-negative number`);
    const d = tableDescent(this, limit);
    const calls = pre !== undefined || post !== undefined;
    for (let ev = d._step(); ev !== DONE; ev = d._step()) {
      if (!calls) continue;
      d._pair();
      const va = outVa(this, OUT[0]!, OUT[1]!);
      const bits = wordsToBits(d._lo, d._hi);
      // a table entry gets pre, then its subtree, then post (at its EXIT); a leaf gets both at once
      if (ev === ENTRY) pre?.(d._level, d._index, va, bits);
      if (ev === EXIT || d._leaf) {
        this._live('walk'); // the callback may have destroyed the table
        post?.(d._level, d._index, va, bits);
      }
      this._live('walk');
    }
  }

  /**
   * Every leaf mapping in virtual-address order. The table may change between two mappings (the loop body may
   * unmap what it is given, say): each mapping is read when it is reached, so what comes is what is mapped then,
   * and addresses already passed are not visited again.
   * @example for (const m of table.mappings()) console.log(m.vaddr, m.paddr, m.size);
   */
  *mappings(): Generator<LeafMapping, void, undefined> {
    this._live('mappings');
    const d = tableDescent(this);
    for (let ev = d._step(); ev !== DONE; ev = d._step()) {
      if (ev !== ENTRY || !d._leaf) continue;
      const l = d._level;
      const lo = d._lo;
      const hi = d._hi;
      const s = leafShift(this, lo, hi, l);
      d._pair();
      const vaLo = OUT[0]!;
      const vaHi = OUT[1]!;
      // a leaf stored as several identical entries is listed once, at its first entry
      if (s !== this._shift[l] && !isAligned(vaLo, vaHi, s)) continue;
      leafPa(this, lo, hi, l, s, vaLo, vaHi);
      yield {
        vaddr: outVa(this, vaLo, vaHi),
        paddr: joinAddr(OUT[0]!, OUT[1]!),
        size: POW2[s]!,
        flags: this._w.flags(lo, hi, l),
        level: l,
        bits: wordsToBits(lo, hi),
      };
      this._live('mappings');
    }
  }

  /** Number of tables reachable from the root and owned by this table (root included). */
  tableCount(): number {
    this._live('tableCount');
    return countTables(this, false);
  }

  /** Number of frames those tables occupy (tables smaller than a frame share frames). */
  frameCount(): number {
    this._live('frameCount');
    return countTables(this, true) + heldFrames(this);
  }

  /** A cursor to modify the table; its pending TLB invalidations go out on flush() or dispose. */
  cursor(): PageTable64Cursor {
    this._live('cursor');
    if (!this._writable) {
      throw new PagingError('ReadOnly', `cursor: this ${this.meta.name} table is attached read-only (pass writable: true to modify it)`);
    }
    return new PageTable64Cursor(this);
  }

  /**
   * Frees every table frame this table allocated (not the subtables borrowed by copyFrom). Any later
   * use throws PagingError 'Destroyed'; a second destroy() does nothing.
   *
   * The table is destroyed even when the handler's `deallocFrames` throws: every other frame is still given back,
   * and the first error is rethrown at the end.
   * @throws PagingError 'SharedTable' while another table holds subtables of this one through copyFrom (destroy
   *   that table first, or copy over its entries), 'Busy' inside one of its own mapRegion callbacks; nothing is
   *   freed then.
   */
  destroy(): void {
    if (this._destroyed) return;
    this._enter('destroy');
    const shared = lentEntries(this);
    if (shared > 0) {
      throw new PagingError(
        'SharedTable',
        `destroy: ${shared} root ${shared === 1 ? 'entry' : 'entries'} of this ${this.meta.name} table ${shared === 1 ? 'is' : 'are'} shared with other tables by copyFrom; destroy those first`,
      );
    }
    // every table to give back, children before their parents, gathered before anything is freed
    const lo = this._pendLo.slice();
    const hi = this._pendHi.slice();
    const level = this._pendLevel.slice();
    if (this._attached) {
      // only what this table allocated; the attached root and its tree belong to someone else
      for (const o of this._owned.values()) {
        lo.push(o.lo);
        hi.push(o.hi);
        level.push(o.level);
      }
    } else {
      treeTables(this, lo, hi, level);
      if (this._heldLevel >= 0) {
        lo.push(this._heldLo);
        hi.push(this._heldHi);
        level.push(this._heldLevel);
      }
      lo.push(this._rootLo);
      hi.push(this._rootHi);
      level.push(0);
    }
    releaseBorrowed(this);
    this._pendLevel = [];
    this._pendLo = [];
    this._pendHi = [];
    this._heldLevel = -1;
    this._destroyed = true;
    this._walker = null;
    this._probe = null;
    forget(this);
    this._pm?._unwatch(this);
    freeTables(this, lo, hi, level);
  }

  [Symbol.dispose](): void {
    this.destroy();
  }

  /** @internal throws Destroyed after destroy() */
  _live(op: string): void {
    if (this._destroyed) throw new PagingError('Destroyed', `${op}: the ${this.meta.name} table was destroyed`);
  }

  /**
   * @internal The check before any change: the table is alive and not in the middle of an operation that runs user
   * code (a mapRegion paddr callback), which would otherwise see its own work undone by a rollback, or its tables
   * freed under it.
   */
  _enter(op: string): void {
    if (this._destroyed) this._live(op);
    if (this._busy) {
      throw new PagingError('Busy', `${op}: the ${this.meta.name} table is running a mapRegion paddr callback; it can be read, not changed, until that returns`);
    }
  }

  /**
   * @internal Marks the table busy while user code runs inside one of its operations, or free again. While busy,
   * the fast paths are off (their window is empty), so every change reaches a check of {@link _enter}.
   */
  _setBusy(busy: boolean): void {
    this._busy = busy;
    const lastSpan = this._span[this._last]!;
    this._nSpan = busy || lastSpan >= 31 ? 0 : 1 << lastSpan;
  }

  /**
   * @internal Checks a copyFrom source: another live table, not busy, of the same format in the same memory.
   */
  _copySource(other: unknown): PageTable64 {
    if (!(other instanceof PageTable64)) {
      throw new TypeError(`copyFrom: "other" must be a page table, got ${other === null ? 'null' : typeof other}`);
    }
    if (other === this) throw new TypeError('copyFrom: a table cannot copy from itself');
    other._enter('copyFrom');
    if (other.meta !== this.meta || other.handler !== this.handler) {
      throw new TypeError('copyFrom: the tables must have the same format and the same physical memory');
    }
    return other;
  }

  /** @internal forgets the walk cache (a PhysicalMemory API write may have changed a table on its path) */
  _forget(): void {
    forget(this);
  }
}
