import { addrNumber, joinAddr, PAIR, splitAddr } from './_addr';
import { addNum, addPow2, diff, isAligned, LOW_MASK_HI, LOW_MASK_LO, mod32, OUT, POW2, TWO32 } from './_pairs';
import { hex, PagingError } from './errors';
import { formatPageSize, MAPPING_FLAGS_ALL, type MappingFlags, type PageSize } from './flags';
import type {
  AddrInput,
  FlushTlb,
  GenericPTE,
  PageTableOptions,
  PagingHandler,
  PagingMetaData,
  PhysAddr,
  PTELayout,
  PTEWords,
  VirtAddr,
} from './interfaces';
import { PhysicalMemory } from './physical-memory';
import { makeWalks, PROBE_LEVEL, type Prober, WALK_PA, WALK_TABLE, type Walker, type Walks, walkContext } from './_walker';
import { wordsOf, wordsToBits } from './words';
import { Descent, DONE, ENTRY, EXIT, TABLES_FREED } from './_descent';

/**
 * A format's geometry as typed arrays (per level, root first), made once per metadata object and shared, read-only,
 * by the tables of that format; and the format's specialised walks per entry layout.
 */
interface Geometry {
  /** VA bit where each level's index starts. */
  readonly shift: Int32Array;
  /** Index width of each level. */
  readonly bits: Int32Array;
  /** u32 words of a table at each level. */
  readonly tableWords: Int32Array;
  /** 1 where map may write a leaf. */
  readonly leafOk: Uint8Array;
  /** shift + bits: log2 of the range one table of that level covers. */
  readonly span: Int32Array;
  /** Page size (bytes) of a leaf at each level. */
  readonly levelSize: Float64Array;
  /** makeWalks' result per layout (null: none for this geometry). */
  readonly walks: Map<PTELayout, Walks | null>;
  /** One zero per root entry: every table's borrowed flags until copyFrom writes them (never written). */
  readonly noRoots: Uint8Array;
  /** The same for the counts of tables that borrowed each root entry. */
  readonly noRefs: Int32Array;
}

const GEOMETRY = new WeakMap<PagingMetaData, Geometry>();

function geometryOf(meta: PagingMetaData): Geometry {
  let g = GEOMETRY.get(meta);
  if (g !== undefined) return g;
  const levels = meta.levels;
  const shift = new Int32Array(levels);
  const bits = new Int32Array(levels);
  const tableWords = new Int32Array(levels);
  const leafOk = new Uint8Array(levels);
  const span = new Int32Array(levels);
  let s = meta.pageShift;
  for (let l = levels - 1; l >= 0; l--) {
    shift[l] = s;
    bits[l] = meta.indexBits[l]!;
    tableWords[l] = meta.tableBytes[l]! >>> 2;
    span[l] = s + bits[l]!;
    s += meta.indexBits[l]!;
  }
  for (const l of meta.leafLevels) leafOk[l] = 1;
  g = { shift, bits, tableWords, leafOk, span, levelSize: new Float64Array(meta.levelSize), walks: new Map(), noRoots: new Uint8Array(1 << bits[0]!), noRefs: new Int32Array(1 << bits[0]!) };
  GEOMETRY.set(meta, g);
  return g;
}

// PhysicalMemory's own allocator methods: a subclass or instance that replaces one goes through the handler API
const PM_ALLOC = PhysicalMemory.prototype.allocFrames;
const PM_FREE = PhysicalMemory.prototype.deallocFrames;

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

/** Source of physical addresses for `mapRegion`: a start address, or a function of the virtual address. */
export type PaddrSource = AddrInput | ((vaddr: VirtAddr) => AddrInput);

// Results of the internal lookup.
const FOUND = 0;
const ABSENT = 1;
const CORRUPT = 2;

// Modes of the internal range visitor.
const CHECK = 0;
const UNMAP = 1;
const PROTECT = 2;
const COMPACT = 3;


/** Batch size of pending single-page TLB invalidations before one full flush replaces them (as the crate). */
export const FLUSH_BATCH = 32;

/**
 * A multi-level page table whose geometry (levels, index widths, entry and table sizes) comes from its
 * {@link PagingMetaData}, so 2-, 3-, 4- and 5-level formats share this code. Entries live in the
 * physical memory of its {@link PagingHandler} and are read and written as (lo, hi) u32 words.
 *
 * Architecture packages give it a name (`X64PageTable`, `Sv39PageTable`, ...) by fixing the metadata
 * and the codec. Modify it through a {@link PageTable64Cursor}.
 */
export class PageTable64 {
  /** The format's geometry and address rules. */
  readonly meta: PagingMetaData;
  /** The entry codec (value level). */
  readonly pte: GenericPTE;
  /** Frames and physical memory the table lives in. */
  readonly handler: PagingHandler;

  /** @internal word-level codec */
  readonly _w: PTEWords;
  /** @internal */ readonly _levels: number;
  /** @internal index of the last level */ readonly _last: number;
  /** @internal u32 words per entry (1 or 2) */ readonly _ew: number;
  /** @internal VA bit where each level's index starts */ readonly _shift: Int32Array;
  /** @internal index width of each level */ readonly _bits: Int32Array;
  /** @internal u32 words of a table at each level */ readonly _tableWords: Int32Array;
  /** @internal 1 where map may write a leaf */ readonly _leafOk: Uint8Array;
  /** @internal */ readonly _rootLo: number;
  /** @internal */ readonly _rootHi: number;
  /** @internal word index of the root table */ readonly _rootIdx: number;
  /** @internal 1 for root entries copied from another table by copyFrom (never freed here) */
  _borrowed: Uint8Array;
  /**
   * @internal per root entry, how many other tables hold its table through copyFrom: while any does, the table
   * below it is neither reclaimed nor replaced, and this table is not destroyed
   */
  _lentRefs: Int32Array;
  /** @internal per borrowed root entry, the table that owns the table below it (null until copyFrom) */
  _lenders: (PageTable64 | null)[] | null = null;
  /** @internal */ _destroyed = false;
  /** @internal attached to a root it did not allocate */ readonly _attached: boolean;
  /** @internal cursors may modify it */ readonly _writable: boolean;
  /**
   * @internal for an attached table: the tables it allocated itself (word index -> address and level),
   * the only ones it ever frees
   */
  readonly _owned: Map<number, { lo: number; hi: number; level: number }> = new Map();
  /** @internal tables unlinked but not yet freed (level, address), waiting for the next flush */
  _pendLevel: number[] = [];
  /** @internal */ _pendLo: number[] = [];
  /** @internal */ _pendHi: number[] = [];
  /** @internal */ readonly _flushTlb: FlushTlb | undefined;
  /** @internal lookup results */ _eIdx = 0;
  /**
   * @internal Walk cache: the last table a lookup or map ended in (level _cLevel > 0, word index _cIdx)
   * and the tag of the address range it covers. A lookup in the same range starts there instead of at
   * the root. Cleared (-1) whenever a table is unlinked or freed.
   */
  _cLevel = -1;
  /** @internal */ _cIdx = 0;
  /** @internal */ _cTagLo = 0;
  /** @internal */ _cTagHi = 0;
  /** @internal range operations run their full check pass (attached tables, formats with repeated leaves) */
  readonly _fullCheck: boolean;
  /** @internal whether copyFrom has borrowed any root entry */
  _anyBorrowed = false;
  /** @internal shift + index bits of each level: log2 of the range one table of that level covers */
  readonly _span: Int32Array;
  /** @internal true when the handler is a PhysicalMemory: table addresses are translated inline */
  readonly _linear: boolean;
  /** @internal the handler when it is a PhysicalMemory (its frames are then taken and given back without a bigint) */
  readonly _pm: PhysicalMemory | null;
  /** @internal */ readonly _memLo: number;
  /** @internal physical addresses are below (_paHiLimit, _paLoLimit) as a pair */
  readonly _paHiLimit: number;
  /** @internal */ readonly _paLoLimit: number;
  /** @internal page size (bytes) of a leaf at each level */
  readonly _levelSize: Float64Array;
  /** @internal */ readonly _memHi: number;
  /** @internal bytes of the linear memory */ readonly _memSize: number;
  /** @internal */ _eLvl = 0;
  /**
   * @internal The walk cache in number form: when it holds a last-level table whose range starts below
   * 2^53 in the lower half, the first virtual address of that range as a number; otherwise Infinity. The
   * fast paths of query, queryNumber, map and unmap compare against it, so a hit costs one subtraction.
   */
  _nBase: number = Infinity;
  /**
   * @internal entry words (as int32) and level of the mapping the last queryNumber/queryWords found (level -1:
   * none); a typed array, so that recording them stores three words and boxes nothing
   */
  readonly _q: Int32Array = Int32Array.of(0, 0, -1);
  /** @internal bytes one last-level table covers (0 while busy: no fast-path window) */ _nSpan: number;
  /** @internal a mapRegion paddr callback is running: no change allowed (see _enter) */ _busy = false;
  /** @internal bytes of the smallest page, and that minus one */ readonly _pageBytes: number;
  /** @internal */ readonly _pageMask: number;
  /** @internal */ readonly _pageShift: number;
  /** @internal the fast paths apply: linear memory and leaves that map their level's size */
  readonly _fast: boolean;
  /** @internal exclusive bound of a physical address given as a number: min(2^paMaxBits, 2^53) */
  readonly _paLimitNum: number;
  /** @internal the high-word bits of an address that index the table (bits 32..vaMaxBits-1) */
  readonly _vaMaskHi: number;
  /** @internal the format's specialised walk (fast tables whose codec has a layout), or null (also once destroyed) */
  _walker: Walker | null;
  /** @internal the same format's walk for map ({@link Prober}), or null with _walker */
  _probe: Prober | null;
  /** @internal the memory as _walker reads it ({@link walkContext}) */
  readonly _walkMem: Int32Array;
  /** @internal a number address is a valid lower-half address when its high word is below this */
  readonly _vaHiLimit: number;

  /**
   * Allocates the root table in `handler` (a fresh {@link PhysicalMemory} when omitted).
   * @throws PagingError 'NoMemory' when the root frame cannot be allocated.
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
    this._leafOk = g.leafOk;
    this._span = g.span;
    this._flushTlb = options.flushTlb;
    const pb = meta.paMaxBits;
    // a physical address is valid when (hi, lo) < 2^paMaxBits, as a pair: (limitHi, limitLo)
    this._paHiLimit = pb >= 64 ? TWO32 : pb >= 32 ? 2 ** (pb - 32) : 0;
    this._paLoLimit = pb >= 32 ? 0 : 2 ** pb;
    this._levelSize = g.levelSize;
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
    this._fullCheck = this._attached || typeof pte.leafShift === 'function';
    this._writable = options.root === undefined || options.writable === true;
    if (options.root !== undefined) {
      splitAddr(options.root, 'attach', 'root');
      const lo = PAIR[0]!;
      const hi = PAIR[1]!;
      const align = meta.tableBytes[0]!;
      if (lo % align !== 0) {
        throw new PagingError('NotAligned', `attach: root ${hex(joinAddr(lo, hi))} is not aligned to ${align} bytes`);
      }
      const t = h.wordIndex(lo, hi);
      if (t < 0 || t + this._tableWords[0]! > h.words.length || !this._paOk(lo, hi)) {
        throw new PagingError('InvalidAddress', `attach: root ${hex(joinAddr(lo, hi))} is not inside the handler's memory`);
      }
      this._rootIdx = t;
      this._rootLo = lo;
      this._rootHi = hi;
    } else {
      const root = this._allocTable(0, 'new');
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
    this._pageBytes = 1 << meta.pageShift;
    this._pageMask = this._pageBytes - 1;
    // 0 (no window) for a last-level table of 2^31 bytes or more, which the fast paths do not handle anyway
    this._nSpan = this._span[levels - 1]! < 31 ? 1 << this._span[levels - 1]! : 0;
    this._fast = this._linear && !this._fullCheck && this._span[levels - 1]! < 31;
    this._paLimitNum = 2 ** Math.min(meta.paMaxBits, 53);
    const vb = meta.vaMaxBits;
    this._vaMaskHi = vb >= 64 ? 0xffffffff : vb <= 32 ? 0 : 2 ** (vb - 32) - 1;
    this._vaHiLimit = meta.vaTopBit >= 53 ? 0x200000 : meta.vaTopBit <= 32 ? 0 : 2 ** (meta.vaTopBit - 32);
    const layout = this._w.layout;
    // the linear memory's physical address as a number (exact whenever a walker is made)
    const memBase = this._memHi * TWO32 + this._memLo;
    this._walkMem = walkContext(memBase, this._memSize);
    const walks =
      this._fast &&
      layout !== undefined &&
      meta.entryBytes === 8 &&
      meta.tableBytes.every((b) => b === 4096) &&
      memBase % 4096 === 0 &&
      memBase + this._memSize <= 2 ** 53;
    let made: Walks | null = null;
    if (walks) {
      const known = g.walks.get(layout);
      made = known === undefined ? makeWalks(g.shift, g.bits, layout) : known;
      if (known === undefined) g.walks.set(layout, made);
    }
    this._walker = made === null ? null : made.walker;
    this._probe = made === null ? null : made.prober;
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
    // Fast path: a 4K-level page in the last-level table of the previous lookup (see _nBase). A bigint
    // below 2^53 converts exactly; anything else misses the window and takes the full path.
    const va = addrNumber(vaddr);
    const off = va - this._nBase;
    if (off >>> 0 === off && off < this._nSpan) {
      const l = this._last;
      const e = this._winEntry(off);
      const w = this.handler.words;
      const lo = w[e]!;
      const hi = this._ew === 2 ? w[e + 1]! : 0;
      const c = this._w;
      if (c.isPresent(lo, hi, l)) {
        const paHi = c.paddrHi(lo, hi, l);
        const pa = joinAddr(((c.paddrLo(lo, hi, l) >>> 0) + (off & this._pageMask)) >>> 0, paHi >>> 0);
        return { paddr: pa, flags: c.flags(lo, hi, l), size: this._pageBytes as PageSize };
      }
    }
    return this._query(vaddr);
  }

  /** @internal word index of the entry at byte offset `off` into the range of the cached last-level table */
  _winEntry(off: number): number {
    return this._cIdx + (off >>> this._pageShift) * this._ew;
  }

  /** @internal query's full path: validation, walk, errors */
  _query(vaddr: AddrInput): MappingInfo {
    this._live('query');
    splitAddr(vaddr, 'query', 'vaddr');
    const vaLo = PAIR[0]!;
    const vaHi = PAIR[1]!;
    this._checkVa(vaLo, vaHi, 'query');
    const r = this._find(vaLo, vaHi);
    if (r !== FOUND) this._lookupError(r, 'query', vaLo, vaHi);
    const w = this.handler.words;
    const i = this._eIdx;
    const l = this._eLvl;
    const lo = w[i]!;
    const hi = this._ew === 2 ? w[i + 1]! : 0;
    const s = this._leafShift(lo, hi, l);
    this._leafPa(lo, hi, l, s, vaLo, vaHi);
    return { paddr: joinAddr(OUT[0]!, OUT[1]!), flags: this._w.flags(lo, hi, l), size: POW2[s] as PageSize };
  }

  /** Flags of the mapping found by the last successful {@link queryNumber} / {@link queryWords} (0 before any). */
  get lastFlags(): MappingFlags {
    const q = this._q;
    return q[2]! < 0 ? 0 : this._w.flags(q[0]! >>> 0, q[1]! >>> 0, q[2]!);
  }

  /** Page size of the mapping found by the last successful {@link queryNumber} / {@link queryWords} (0 before any). */
  get lastSize(): number {
    const q = this._q;
    return q[2]! < 0 ? 0 : POW2[this._leafShift(q[0]! >>> 0, q[1]! >>> 0, q[2]!)]!;
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
    if (typeof vaddr !== 'number') return this._queryNumber(vaddr);
    const off = vaddr - this._nBase;
    if (off >>> 0 === off && off < this._nSpan) {
      const l = this._last;
      const e = this._winEntry(off);
      const w = this.handler.words;
      const lo = w[e]!;
      const hi = this._ew === 2 ? w[e + 1]! : 0;
      const c = this._w;
      // the cached table is the one that maps vaddr: an entry that is not present there means unmapped
      if (!c.isPresent(lo, hi, l)) return -1;
      const paHi = c.paddrHi(lo, hi, l);
      if (paHi < 0x200000) {
        this._found(lo, hi, l);
        return paHi * 4294967296 + (c.paddrLo(lo, hi, l) >>> 0) + (off & this._pageMask);
      }
    }
    // A miss: the format's walk, here and not in a method of its own. Kept short on purpose: V8 inlines this
    // method into a caller's loop only while its bytecode stays under 460 bytes, and a call that is not inlined
    // boxes an address above 2^31; with the walk cache updated on every miss, random lookups measured 1.4-1.9x
    // slower (A/B in one process, X64 and Sv39, 100,000 pages).
    const walker = this._walker;
    if (walker !== null) {
      const vaHi = Math.floor(vaddr / 4294967296);
      const vaLo = vaddr - vaHi * 4294967296;
      // (not `vaHi >>> 0`: that would take 2^64 for 0, and every number past it for an address below it)
      if (vaLo >>> 0 === vaLo && vaHi >= 0 && vaHi < this._vaHiLimit) {
        const prev = WALK_TABLE[0]!;
        const r = walker(this.handler.words, this._rootIdx, vaLo | 0, vaHi, this._walkMem, this._q);
        if (r === 0) {
          // a second walk in a row into the same last-level table (a scan): the lookups that follow hit it. The
          // previous walk may have been another table's; a match then only means this table's own `prev` is kept.
          if (WALK_TABLE[0] === prev && !this._anyBorrowed) this._rememberLast(vaLo, vaHi, prev);
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
    if (typeof vaddr !== 'number' || !(vaddr >= 0 && vaddr <= 9007199254740991 && Math.floor(vaddr) === vaddr)) {
      throw new RangeError(`queryNumber: "vaddr" ${String(vaddr)} is not a non-negative safe integer (use query with a bigint)`);
    }
    const lo = vaddr >>> 0;
    return this.queryWords(lo, (vaddr - lo) / TWO32);
  }

  /**
   * {@link queryNumber} for a virtual address given as two u32 halves (upper-half addresses included).
   * @returns the physical address, or -1 when nothing is mapped there.
   */
  queryWords(vaLo: number, vaHi: number): number {
    if (this._destroyed) this._live('queryWords');
    if (vaLo >>> 0 !== vaLo || vaHi >>> 0 !== vaHi) {
      throw new RangeError(`queryWords: the address words (${String(vaLo)}, ${String(vaHi)}) are not two u32 integers`);
    }
    if (!this._vaOk(vaLo, vaHi)) this._checkVa(vaLo >>> 0, vaHi >>> 0, 'queryWords');
    const r = this._find(vaLo, vaHi);
    if (r !== FOUND) {
      if (r === CORRUPT) this._lookupError(r, 'queryWords', vaLo, vaHi);
      return -1;
    }
    const w = this.handler.words;
    const e = this._eIdx;
    const l = this._eLvl;
    const lo = w[e]!;
    const hi = this._ew === 2 ? w[e + 1]! : 0;
    const s = this._leafShift(lo, hi, l);
    this._leafPa(lo, hi, l, s, vaLo, vaHi);
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
   * Visits every present entry, depth first, as the crate's `walk`: `pre` before descending into a
   * table entry, `post` after; at most `limit` present entries per table. A next-level table is
   * followed only when its entry is present and not huge. Upper-half addresses are sign-extended.
   */
  walk(limit: number, pre?: WalkCallback, post?: WalkCallback): void {
    this._live('walk');
    if (typeof limit !== 'number') throw new TypeError(`walk: "limit" must be a number, got ${limit === null ? 'null' : typeof limit}`);
    if (!(limit >= 0)) throw new RangeError(`walk: "limit" ${limit} is not a non-negative number`);
    const d = new Descent(this, limit);
    const calls = pre !== undefined || post !== undefined;
    for (let ev = d.step(); ev !== DONE; ev = d.step()) {
      if (!calls) continue;
      const va = this._outVa(d.vaLo, d.vaHi);
      const bits = wordsToBits(d.lo, d.hi);
      // a table entry gets pre, then its subtree, then post (at its EXIT); a leaf gets both at once
      if (ev === ENTRY) pre?.(d.level, d.index, va, bits);
      if (ev === EXIT || d.leaf) {
        // the callback may have destroyed the table
        this._live('walk');
        post?.(d.level, d.index, va, bits);
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
    const d = new Descent(this);
    for (let ev = d.step(); ev !== DONE; ev = d.step()) {
      if (ev !== ENTRY || !d.leaf) continue;
      const l = d.level;
      const lo = d.lo;
      const hi = d.hi;
      const vLo = d.vaLo;
      const vHi = d.vaHi;
      const s = this._leafShift(lo, hi, l);
      // a leaf stored as several identical entries is listed once, at its first entry
      if (s !== this._shift[l] && !isAligned(vLo, vHi, s)) continue;
      this._leafPa(lo, hi, l, s, vLo, vHi);
      yield {
        vaddr: this._outVa(vLo, vHi),
        paddr: joinAddr(OUT[0]!, OUT[1]!),
        size: POW2[s] as PageSize,
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
    return this._countRec(this._root(), 0, false);
  }

  /** Number of 4 KiB frames those tables occupy (tables smaller than a frame share frames). */
  frameCount(): number {
    this._live('frameCount');
    const held = this._heldLevel >= 0 ? this.meta.tableBytes[this._heldLevel]! : 0;
    return this._countRec(this._root(), 0, true) + this._slabs.size + (held >= 4096 ? Math.ceil(held / 4096) : 0);
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
    let shared = 0;
    for (let i = 0; i < this._lentRefs.length; i++) if (this._lentRefs[i]! > 0) shared++;
    if (shared > 0) {
      throw new PagingError(
        'SharedTable',
        `destroy: ${shared} root ${shared === 1 ? 'entry' : 'entries'} of this ${this.meta.name} table ${shared === 1 ? 'is' : 'are'} shared with other tables by copyFrom; destroy those first`,
      );
    }
    // Every frame to give back, children before their parents, gathered before anything is freed.
    const lo: number[] = [];
    const hi: number[] = [];
    const level: number[] = [];
    const add = (aLo: number, aHi: number, l: number) => {
      lo.push(aLo);
      hi.push(aHi);
      level.push(l);
    };
    for (let k = 0; k < this._pendLevel.length; k++) add(this._pendLo[k]!, this._pendHi[k]!, this._pendLevel[k]!);
    if (this._attached) {
      // only what this table allocated; the attached root and its tree belong to someone else
      for (const o of this._owned.values()) add(o.lo, o.hi, o.level);
    } else {
      const d = new Descent(this);
      const c = this._w;
      for (let ev = d.step(); ev !== DONE; ev = d.step()) {
        // a root entry borrowed by copyFrom leads to tables another table owns
        if (ev === ENTRY && !d.leaf && d.level === 0 && this._borrowed[d.index] === 1) d.skip();
        else if (ev === EXIT && d.opened) add(c.paddrLo(d.lo, d.hi, d.level), c.paddrHi(d.lo, d.hi, d.level), d.level + 1);
      }
      if (this._heldLevel >= 0) add(this._heldLo, this._heldHi, this._heldLevel);
      add(this._rootLo, this._rootHi, 0);
    }
    // what this table borrowed is no longer held by it
    const lenders = this._lenders;
    for (let i = 0; lenders !== null && i < lenders.length; i++) {
      const owner = lenders[i];
      if (owner) owner._lentRefs[i] = owner._lentRefs[i]! - 1;
    }
    this._lenders = null;
    this._pendLevel.length = 0;
    this._pendLo.length = 0;
    this._pendHi.length = 0;
    this._heldLevel = -1;
    this._destroyed = true;
    this._walker = null;
    this._probe = null;
    this._forget();
    this._freeAll(lo, hi, level);
  }

  /** @internal frees the listed tables; a handler that throws does not stop the others (the first error is rethrown) */
  _freeAll(lo: readonly number[], hi: readonly number[], level: readonly number[]): void {
    let failed: unknown = null;
    for (let k = 0; k < lo.length; k++) {
      try {
        this._freeFrames(lo[k]!, hi[k]!, level[k]!);
      } catch (err) {
        failed ??= err;
      }
    }
    if (failed !== null) throw failed;
  }

  [Symbol.dispose](): void {
    this.destroy();
  }

  // ---------------------------------------------------------------- internals

  /** @internal queues an unlinked table for freeing at the next flush */
  _queueFree(lo: number, hi: number, level: number): void {
    this._pendLevel.push(level);
    this._pendLo.push(lo);
    this._pendHi.push(hi);
  }

  /** @internal frees the tables queued by _queueFree (after their TLB invalidation was sent) */
  _releasePending(): void {
    if (this._pendLevel.length === 0) return; // the common case; setting an array's length is a runtime call
    // taken off the queue first: a handler that throws leaves nothing queued to be freed twice
    const lo = this._pendLo;
    const hi = this._pendHi;
    const level = this._pendLevel;
    this._pendLo = [];
    this._pendHi = [];
    this._pendLevel = [];
    this._freeAll(lo, hi, level);
  }

  /** @internal */
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
   * @internal Marks the table busy (true) while user code runs inside one of its operations, or free again (false).
   * While busy, the fast paths are off (their window is empty), so every change reaches a check of {@link _enter}.
   */
  _setBusy(busy: boolean): void {
    this._busy = busy;
    this._nSpan = busy ? 0 : this._span[this._last]! < 31 ? 1 << this._span[this._last]! : 0;
  }

  /** @internal index of (lo, hi) in the table at level l */
  _index(lo: number, hi: number, l: number): number {
    const s = this._shift[l]!;
    const b = this._bits[l]!;
    const m = (1 << b) - 1;
    if (s >= 32) return (hi >>> (s - 32)) & m;
    if (s + b <= 32) return (lo >>> s) & m;
    return ((lo >>> s) | (hi << (32 - s))) & m;
  }

  /** @internal throws InvalidAddress unless (lo, hi) is a valid virtual address */
  _checkVa(lo: number, hi: number, op: string, what = 'vaddr'): void {
    if (!this._vaOk(lo, hi)) {
      throw new PagingError(
        'InvalidAddress',
        `${op}: "${what}" ${hex(joinAddr(lo, hi))} is not a valid ${this.meta.vaMaxBits}-bit ${this.meta.name} virtual address`,
      );
    }
  }

  /** @internal */
  _vaOk(_lo: number, hi: number): boolean {
    const s = this.meta.vaTopBit - 32;
    if (s >= 32) return true;
    const t = (hi | 0) >> s;
    return t === 0 || (t === -1 && this.meta.upperHalf);
  }

  /** @internal whether a page of 2^shift bytes at physical (lo, hi) fits the format's width */
  _paOk(lo: number, hi: number): boolean {
    return hi < this._paHiLimit || (hi === this._paHiLimit && lo < this._paLoLimit);
  }

  /**
   * @internal Finds the entry that maps (vaLo, vaHi); leaves its word index in _eIdx and level in
   * _eLvl. FOUND: a present leaf; ABSENT: the entry there is not present; CORRUPT: a table pointer
   * leads outside the handler's memory.
   */
  _find(vaLo: number, vaHi: number): number {
    // The hot walk: everything it needs is hoisted into locals; table pointers into a PhysicalMemory are
    // translated inline (the same arithmetic as PhysicalMemory.wordIndex).
    const w = this.handler.words;
    const c = this._w;
    const ew = this._ew;
    const last = this._last;
    const shift = this._shift;
    const bits = this._bits;
    const linear = this._linear;
    const memLo = this._memLo;
    const memHi = this._memHi;
    const memSize = this._memSize;
    let t = this._root();
    let l = 0;
    const hit = this._cached(vaLo, vaHi, last);
    if (hit >= 0) {
      t = hit;
      l = this._cLevel;
    }
    let e = 0;
    let r = FOUND;
    for (;;) {
      const s = shift[l]!;
      const m = (1 << bits[l]!) - 1;
      // index bits [s, s + bits) of the address; for s < 32 the high word's part is masked off when unused
      const ix = s >= 32 ? (vaHi >>> (s - 32)) & m : ((vaLo >>> s) | (vaHi << (32 - s))) & m;
      e = t + ix * ew;
      const lo = w[e]!;
      const hi = ew === 2 ? w[e + 1]! : 0;
      if (!c.isPresent(lo, hi, l)) {
        r = ABSENT;
        break;
      }
      if (l === last || c.isHuge(lo, hi, l)) break;
      if (linear) {
        const off = (c.paddrHi(lo, hi, l) - memHi) * TWO32 + (c.paddrLo(lo, hi, l) - memLo);
        if (off < 0 || off + this._tableWords[l + 1]! * 4 > memSize) {
          r = CORRUPT;
          break;
        }
        t = off >>> 2; // off < memSize < 2^32: an integer word index

      } else {
        t = this._child(lo, hi, l);
        if (t < 0) {
          r = CORRUPT;
          break;
        }
      }
      l++;
    }
    this._eIdx = e;
    this._eLvl = l;
    if (r !== CORRUPT) this._remember(vaLo, vaHi, l, t);
    return r;
  }

  /**
   * @internal Word index of the root table. For a PhysicalMemory it never changes; any other handler may
   * page memory in and out (a dump read on demand), so its index is asked for again on every use.
   */
  _root(): number {
    return this._linear ? this._rootIdx : this.handler.wordIndex(this._rootLo, this._rootHi);
  }

  /**
   * @internal The walk cache's table when it covers (vaLo, vaHi) and its level is at most maxLevel, or -1.
   * Only for PhysicalMemory: another handler's word indices may not stay valid between operations.
   */
  _cached(vaLo: number, vaHi: number, maxLevel: number): number {
    const cl = this._cLevel;
    if (cl <= 0 || cl > maxLevel || !this._linear) return -1;
    const k = this._span[cl]!;
    if (k >= 32) return vaHi >>> (k - 32) === this._cTagHi ? this._cIdx : -1;
    return vaHi === this._cTagHi && vaLo >>> k === this._cTagLo ? this._cIdx : -1;
  }

  /** @internal remembers the level-l table t as the one covering (vaLo, vaHi) */
  _remember(vaLo: number, vaHi: number, l: number, t: number): void {
    if (l === 0) return;
    // tables below a borrowed root entry may be freed by their owner: never cache them
    if (this._anyBorrowed && this._borrowed[this._index(vaLo, vaHi, 0)] === 1) return;
    if (l === this._last && this._fast && vaHi < 0x200000) {
      this._rememberLast(vaLo, vaHi, t);
      return;
    }
    const k = this._span[l]!;
    this._cLevel = l;
    this._cIdx = t;
    this._cTagHi = k >= 32 ? vaHi >>> (k - 32) : vaHi;
    this._cTagLo = k >= 32 ? 0 : vaLo >>> k;
    this._nBase = Infinity;
  }

  /**
   * @internal _remember for a last-level table of a fast table whose range starts below 2^53 in the lower
   * half: the tags, and the number form the fast paths compare against (the span of such a table is below 2^31).
   */
  _rememberLast(vaLo: number, vaHi: number, t: number): void {
    const k = this._span[this._last]!;
    this._cLevel = this._last;
    this._cIdx = t;
    this._cTagHi = vaHi;
    this._cTagLo = vaLo >>> k;
    this._nBase = vaHi * 4294967296 + (((vaLo >>> k) << k) >>> 0);
  }

  /** @internal the Float64Array view _f64 made, and the words it was made for */
  _f64View: Float64Array | null = null;
  /** @internal */ _f64Words: Uint32Array | null = null;

  /**
   * @internal The memory of `w` as doubles, for the range scans of a layout format (whose present bit is in the
   * low word, below bit 31) when `w` is 8-byte aligned; null otherwise.
   */
  _f64(w: Uint32Array): Float64Array | null {
    if (this._f64Words !== w) {
      const lay = this._w.layout;
      this._f64Words = w;
      this._f64View =
        lay !== undefined && this._ew === 2 && (lay.present & 0x8000_0000) === 0 && w.byteOffset % 8 === 0
          ? new Float64Array(w.buffer, w.byteOffset, w.length >>> 1)
          : null;
    }
    return this._f64View;
  }

  /** @internal empties the walk cache (a table was unlinked or freed) */
  _forget(): void {
    this._cLevel = -1;
    this._nBase = Infinity;
  }

  /** @internal word index of the table a present non-leaf entry at level l points to, or -1 */
  _child(lo: number, hi: number, l: number): number {
    const c = this._w;
    const aLo = c.paddrLo(lo, hi, l);
    const aHi = c.paddrHi(lo, hi, l);
    const tw = this._tableWords[l + 1]!;
    if (this._linear) {
      // PhysicalMemory.wordIndex, inline: the byte offset from the base, checked against the size
      const off = (aHi - this._memHi) * TWO32 + (aLo - this._memLo);
      if (off < 0 || off + tw * 4 > this._memSize) return -1;
      return off >>> 2; // off < memSize < 2^32

    }
    const t = this.handler.wordIndex(aLo, aHi);
    if (t < 0 || t + tw > this.handler.words.length) return -1;
    return t;
  }

  /** @internal */
  _lookupError(r: number, op: string, vaLo: number, vaHi: number): never {
    const va = hex(joinAddr(vaLo, vaHi));
    if (r === CORRUPT) {
      throw new PagingError('CorruptTable', `${op}: the level-${this._eLvl} entry for ${va} points outside physical memory`);
    }
    throw new PagingError('NotMapped', `${op}: ${va} is not mapped`);
  }

  /** @internal log2 of the bytes the present leaf (lo, hi) at level l maps */
  _leafShift(lo: number, hi: number, l: number): number {
    const s = this._w.leafShift(lo, hi, l);
    return s < 0 ? this._shift[l]! : s;
  }

  /**
   * @internal physical address that (vaLo, vaHi) maps to through a present leaf (lo, hi) that maps
   * 2^s bytes, into OUT
   */
  _leafPa(lo: number, hi: number, l: number, s: number, vaLo: number, vaHi: number): void {
    const c = this._w;
    const aLo = c.paddrLo(lo, hi, l);
    const aHi = c.paddrHi(lo, hi, l);
    const mLo = LOW_MASK_LO[s]!;
    const mHi = LOW_MASK_HI[s]!;
    OUT[0] = ((aLo & ~mLo) | (vaLo & mLo)) >>> 0;
    OUT[1] = ((aHi & ~mHi) | (vaHi & mHi)) >>> 0;
  }

  /** @internal VA of entry i of a level-l table whose first VA is (baseLo, baseHi), into OUT */
  _entryVa(baseLo: number, baseHi: number, l: number, i: number): void {
    const v = i * POW2[this._shift[l]!]!;
    OUT[0] = baseLo + mod32(v);
    OUT[1] = baseHi + Math.floor(v / TWO32);
  }

  /** @internal sign-extends a translated VA for output when the format has an upper half */
  _outVa(lo: number, hi: number): VirtAddr {
    const bits = this.meta.vaMaxBits;
    if (this.meta.signExtend && bits > 32 && bits < 64 && ((hi >>> (bits - 33)) & 1) === 1) {
      return joinAddr(lo, (hi | (-1 << (bits - 32))) >>> 0);
    }
    return joinAddr(lo, hi);
  }

  // Table frames ------------------------------------------------------------

  /** @internal physical address of the last table from _allocTable */
  _newLo = 0;
  /** @internal */ _newHi = 0;

  /**
   * @internal Frames shared by tables smaller than a frame (ARMv7 L2 tables are 1 KiB): frame word
   * index -> its physical address and a bit mask of the slots in use. A frame goes back to the handler
   * when its last table is freed. Free slots are kept zero.
   */
  readonly _slabs: Map<number, { lo: number; hi: number; used: number }> = new Map();

  /**
   * @internal Allocates and zeroes a table for level l; returns its word index (its physical address in
   * _newLo/_newHi), or -1 when the handler has no frame.
   */
  _allocTable(l: number, op: string): number {
    let t = this._allocTableAt(l, op);
    const c = this._w;
    if (t >= 0 && l > 0 && this._heldLevel < 0 && this._newLo === 0 && this._newHi === 0 && c.newTableLo(0, 0, l - 1) === 0 && c.newTableHi(0, 0, l - 1) === 0) {
      // A link to this table would be all zero and read as an unused entry (a LoongArch directory entry
      // is the bare address, so a table at physical 0): keep that frame aside until destroy, take another.
      this._heldLo = this._newLo;
      this._heldHi = this._newHi;
      this._heldLevel = l;
      t = this._allocTableAt(l, op);
    }
    return t;
  }

  /** @internal a frame held aside by _allocTable (level, or -1 for none) and its address */
  _heldLevel = -1;
  /** @internal */ _heldLo = 0;
  /** @internal */ _heldHi = 0;

  /** @internal allocates and zeroes a level-l table wherever the handler puts it */
  _allocTableAt(l: number, op: string): number {
    // tables of 4 KiB or more take whole frames (aligned to their size), smaller ones share a frame
    const words = this._tableWords[l]!;
    const t = words < 1024 ? this._allocSlot(words, op) : this._allocFrames(Math.ceil(words / 1024), Math.max(4096, words * 4), words, op);
    if (t >= 0) {
      // a handler that hands out zeroed frames saves the fill (a cold 4 KiB write per table)
      if (words >= 1024 && this.handler.zeroedFrames !== true) this.handler.words.fill(0, t, t + words);
      if (this._attached) this._owned.set(t, { lo: this._newLo, hi: this._newHi, level: l });
    }
    return t;
  }

  /** @internal frames from the handler, checked to be usable; word index or -1 */
  _allocFrames(frames: number, align: number, words: number, op: string): number {
    const h = this.handler;
    const pm = this._pm;
    // a PhysicalMemory whose allocator is its own (not overridden) hands out a frame number: no bigint per table
    const own = pm !== null && pm.allocFrames === PM_ALLOC && pm.deallocFrames === PM_FREE;
    let f = -1;
    if (own) {
      f = pm._allocFrameNumber(frames, align);
      if (f < 0) return -1;
      pm._frameAddrPair(f);
    } else {
      const pa = h.allocFrames(frames, align);
      if (pa === null) return -1;
      splitAddr(pa, op, 'frame');
    }
    const lo = PAIR[0]!;
    const hi = PAIR[1]!;
    // (a PhysicalMemory's frame f starts at word f * 1024, inside its memory)
    const t = own ? f * 1024 : h.wordIndex(lo, hi);
    if (t < 0 || t + words > h.words.length || !this._paOk(lo, hi) || (align <= 0x8000_0000 ? (lo & (align - 1)) !== 0 : lo % align !== 0)) {
      if (own) pm._freeFrameNumber(f, frames);
      else h.deallocFrames(joinAddr(lo, hi), frames);
      throw new RangeError(`${op}: the handler returned frame ${hex(joinAddr(lo, hi))}, which is unaligned, unreachable or too high for ${this.meta.name}`);
    }
    this._newLo = lo;
    this._newHi = hi;
    return t;
  }

  /** @internal a table of `words` words (< one frame) in a shared frame */
  _allocSlot(words: number, op: string): number {
    const slots = 1024 / words;
    const full = slots >= 32 ? 0xffffffff : (1 << slots) - 1;
    for (const [frame, slab] of this._slabs) {
      if (slab.used === full) continue;
      let k = 0;
      while ((slab.used >>> k) & 1) k++;
      slab.used = (slab.used | (1 << k)) >>> 0;
      this._newLo = slab.lo + k * words * 4;
      this._newHi = slab.hi;
      return frame + k * words;
    }
    const t = this._allocFrames(1, 4096, 1024, op);
    if (t < 0) return -1;
    if (this.handler.zeroedFrames !== true) this.handler.words.fill(0, t, t + 1024);
    this._slabs.set(t, { lo: this._newLo, hi: this._newHi, used: 1 });
    return t;
  }

  /** @internal returns a level-l table (at physical lo, hi) to the handler, or its slot to its frame */
  _freeFrames(lo: number, hi: number, l: number): void {
    this._forget();
    // a descent paused between two entries must not read this table again (see Descent)
    TABLES_FREED[0] = TABLES_FREED[0]! + 1;
    if (this._attached && !this._owned.delete(this.handler.wordIndex(lo, hi))) return; // not ours to free
    const bytes = this.meta.tableBytes[l]!;
    if (bytes < 4096) {
      const t = this.handler.wordIndex(lo, hi);
      const frame = t - (t % 1024);
      const slab = this._slabs.get(frame);
      if (slab === undefined) return;
      const words = this._tableWords[l]!;
      this.handler.words.fill(0, t, t + words);
      slab.used = (slab.used & ~(1 << ((t - frame) / words))) >>> 0;
      if (slab.used === 0) {
        this._slabs.delete(frame);
        this._dealloc(slab.lo, slab.hi, 1);
      }
      return;
    }
    this._dealloc(lo, hi, Math.ceil(bytes / 4096));
  }

  /** Gives `count` frames at (lo, hi) back to the handler (by frame number to a PhysicalMemory's own allocator). */
  private _dealloc(lo: number, hi: number, count: number): void {
    const pm = this._pm;
    if (pm !== null && pm.deallocFrames === PM_FREE) pm._freeFrameNumber(pm.wordIndex(lo, hi) / 1024, count);
    else this.handler.deallocFrames(joinAddr(lo, hi), count);
  }

  /** @internal frees the table that entry (lo, hi) at level l points to, and everything below it */
  _freeTree(lo: number, hi: number, l: number): void {
    const c = this._w;
    const aLo = c.paddrLo(lo, hi, l);
    const aHi = c.paddrHi(lo, hi, l);
    const t = this._child(lo, hi, l);
    if (t < 0) return;
    const cl = l + 1;
    if (cl < this._last) {
      const w = this.handler.words;
      const n = 1 << this._bits[cl]!;
      for (let i = 0; i < n; i++) {
        const e = t + i * this._ew;
        const elo = w[e]!;
        const ehi = this._ew === 2 ? w[e + 1]! : 0;
        if (c.isPresent(elo, ehi, cl) && !c.isHuge(elo, ehi, cl)) this._freeTree(elo, ehi, cl);
      }
    }
    this._freeFrames(aLo, aHi, cl);
  }

  /** @internal */
  _countRec(t: number, l: number, frames: boolean): number {
    const bytes = this.meta.tableBytes[l]!;
    let count = frames ? (bytes < 4096 ? 0 : Math.ceil(bytes / 4096)) : 1;
    if (l === this._last) return count;
    const w = this.handler.words;
    const c = this._w;
    const n = 1 << this._bits[l]!;
    for (let i = 0; i < n; i++) {
      if (l === 0 && this._borrowed[i] === 1) continue;
      const e = t + i * this._ew;
      const lo = w[e]!;
      const hi = this._ew === 2 ? w[e + 1]! : 0;
      if (!c.isPresent(lo, hi, l) || c.isHuge(lo, hi, l)) continue;
      const child = this._child(lo, hi, l);
      if (child >= 0) count += this._countRec(child, l + 1, frames);
    }
    return count;
  }

}

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
  // pending invalidations (allocated on the first one: a cursor that only reads or maps costs no array)
  private pending: Float64Array | null = null;
  /** The other buffer of pending invalidations, while flush sends one (see flush). */
  private spare: Float64Array | null = null;
  /** Scratch arrays shared by all cursors of the same depth (each operation uses them only while it runs). */
  private k: CursorScratch;
  private pendingCount = 0;
  /** No more single-page invalidations are recorded: a full flush is due (or there is no hook to call). */
  private full = false;
  // Number of tables logged by the current mapRegion (in the scratch's log arrays), and whether it logs.
  private logCount = 0;
  private logging = false;
  /** Pages fillLeaves wrote before a codec call threw (-1 when no fill failed), and their log2 size. */
  private filled = -1;
  private fillShift = 0;
  // Range-visitor state.
  private rsLo = 0;
  private rsHi = 0;
  private reLo = 0;
  private reHi = 0;
  private rlLo = 0;
  private rlHi = 0;
  private rFlags = 0;
  private rBytes = 0;
  private rFreed = 0;
  /** High-word bits above vaMaxBits of the range's addresses (an upper half), put back on invalidations. */
  private rTopHi = 0;
  /** Tables needed per level to split the huge pages a range op cuts (counted by its check pass). */
  // Tables reserved for splits: word index, level (-1 once used), address.
  private poolCount = 0;

  constructor(table: PageTable64) {
    this.table = table;
    this.k = scratchFor(table._levels);
    // with no flushTlb hook there is nobody to tell: the cursor records no invalidation at all
    this.full = table._flushTlb === undefined;
  }

  /**
   * Maps the page of `size` bytes at `vaddr` to the frame at `paddr`.
   * @throws PagingError 'NotAligned' (vaddr or paddr not a multiple of size), 'InvalidAddress',
   *   'InvalidFlags' (empty flags), 'UnsupportedPageSize', 'AlreadyMapped', 'MappedToHugePage',
   *   'NoMemory' (no frame for a needed table); on any of them nothing was written.
   * @example
   * using cursor = table.cursor();
   * cursor.map(0xffff_8000_0000_0000n, 0x20_0000n, PageSize.Size2M, MappingFlags.READ | MappingFlags.WRITE);
   */
  map(vaddr: AddrInput, paddr: AddrInput, size: PageSize, flags: MappingFlags): void {
    // Fast path: a page of the smallest size into an unused entry of the last-level table of the previous
    // lookup (see PageTable64._nBase), both addresses exact as numbers. Everything else, errors included,
    // takes the full path. 2^32 and MAPPING_FLAGS_ALL (63) are written as literals on the fast paths: V8 reads an
    // imported constant from the module's context, with a type check, at every use (map 0.93-0.97 of the time).
    // Kept short: a caller's loop inlines map only while map and what it inlines fit V8's budget; handing the miss
    // path its addresses through typed-array slots here (48 more bytes of bytecode) made the Sv39 sequential loop
    // stop inlining it (14.7 ns per map, 28 heap bytes per map for the boxed arguments).
    const t = this.table;
    const va = addrNumber(vaddr);
    const off = va - t._nBase;
    if (off >>> 0 === off && off < t._nSpan && (off & t._pageMask) === 0 && size === t._pageBytes && typeof flags === 'number' && flags !== 0 && (flags & 63) === flags) {
      const pa = addrNumber(paddr);
      if (pa >= 0 && pa < t._paLimitNum) {
        const paHi = Math.floor(pa / 4294967296);
        const paLo = pa - paHi * 4294967296;
        const e = t._winEntry(off);
        const w = t.handler.words;
        if ((paLo & t._pageMask) === 0 && paLo >>> 0 === paLo && w[e] === 0 && (t._ew === 1 || w[e + 1] === 0)) {
          const c = t._w;
          const l = t._last;
          w[e] = c.newPageLo(paLo, paHi, flags, false, l);
          if (t._ew === 2) w[e + 1] = c.newPageHi(paLo, paHi, flags, false, l);
          if (!this.full) this.push(va >>> 0, Math.floor(va / 4294967296));
          return;
        }
      }
    }
    this.mapFull(vaddr, paddr, size, flags);
  }

  /** map's full path: every check, the walk, new tables. */
  private mapFull(vaddr: AddrInput, paddr: AddrInput, size: PageSize, flags: MappingFlags): void {
    const t = this.table;
    t._enter('map');
    if (size === t._pageBytes && t._probe !== null && this.mapProbed(vaddr, paddr, flags)) return;
    checkFlags(flags, 'map');
    const l = this.levelOf(size, 'map');
    const s = t._shift[l]!;
    splitAddr(vaddr, 'map', 'vaddr');
    const vaLo = PAIR[0]!;
    const vaHi = PAIR[1]!;
    t._checkVa(vaLo, vaHi, 'map');
    if (!isAligned(vaLo, vaHi, s)) notAligned('map', 'vaddr', vaLo, vaHi, s);
    splitAddr(paddr, 'map', 'paddr');
    const paLo = PAIR[0]!;
    const paHi = PAIR[1]!;
    if (!isAligned(paLo, paHi, s)) notAligned('map', 'paddr', paLo, paHi, s);
    if (!t._paOk(paLo, paHi)) badPa('map', t, paLo, paHi);
    this.mapOne(vaLo, vaHi, paLo, paHi, l, flags, 'map');
    this.push(vaLo, vaHi);
  }

  /**
   * Points the existing mapping at `vaddr` (the start of its page) to `paddr` with `flags`.
   * @returns the size of the page.
   * @throws PagingError 'NotMapped' when nothing is mapped there, 'NotAligned' when vaddr is not the
   *   start of its page or paddr is not aligned to its size, 'InvalidAddress', 'InvalidFlags'.
   */
  remap(vaddr: AddrInput, paddr: AddrInput, flags: MappingFlags): PageSize {
    const t = this.table;
    t._enter('remap');
    checkFlags(flags, 'remap');
    const l = this.findLeaf(vaddr, 'remap');
    const vaLo = PAIR[0]!;
    const vaHi = PAIR[1]!;
    const e = t._eIdx;
    const s = t._shift[l]!;
    splitAddr(paddr, 'remap', 'paddr');
    const paLo = PAIR[0]!;
    const paHi = PAIR[1]!;
    if (!isAligned(paLo, paHi, s)) notAligned('remap', 'paddr', paLo, paHi, s);
    if (!t._paOk(paLo, paHi)) badPa('remap', t, paLo, paHi);
    const w = t.handler.words;
    const c = t._w;
    const huge = l !== t._last;
    const lo = w[e]!;
    const hi = t._ew === 2 ? w[e + 1]! : 0;
    const lo1 = c.setPaddrLo(lo, hi, paLo, paHi, l);
    const hi1 = c.setPaddrHi(lo, hi, paLo, paHi, l);
    this.update(e, lo, hi, c.setFlagsLo(lo1, hi1, flags, huge, l), c.setFlagsHi(lo1, hi1, flags, huge, l), vaLo, vaHi);
    return t.meta.levelSize[l] as PageSize;
  }

  /**
   * Replaces the flags of the mapping that starts at `vaddr`.
   * @returns the size of the page.
   * @throws PagingError 'NotMapped', 'NotAligned' (vaddr inside a page, not at its start),
   *   'InvalidAddress', 'InvalidFlags'.
   */
  protect(vaddr: AddrInput, flags: MappingFlags): PageSize {
    const t = this.table;
    t._enter('protect');
    checkFlags(flags, 'protect');
    const l = this.findLeaf(vaddr, 'protect');
    const vaLo = PAIR[0]!;
    const vaHi = PAIR[1]!;
    const e = t._eIdx;
    const w = t.handler.words;
    const c = t._w;
    const huge = l !== t._last;
    const lo = w[e]!;
    const hi = t._ew === 2 ? w[e + 1]! : 0;
    this.update(e, lo, hi, c.setFlagsLo(lo, hi, flags, huge, l), c.setFlagsHi(lo, hi, flags, huge, l), vaLo, vaHi);
    return t.meta.levelSize[l] as PageSize;
  }

  /**
   * Removes the mapping that starts at `vaddr`.
   * @returns what was mapped there.
   * @throws PagingError 'NotMapped' (nothing written), 'NotAligned' (vaddr inside a page), 'InvalidAddress'.
   */
  unmap(vaddr: AddrInput): MappingInfo {
    // Fast path: a present page in the last-level table of the previous lookup, vaddr exact as a number.
    const t = this.table;
    const va = addrNumber(vaddr);
    const off = va - t._nBase;
    if (off >>> 0 === off && off < t._nSpan && (off & t._pageMask) === 0) {
      const e = t._winEntry(off);
      const w = t.handler.words;
      const lo = w[e]!;
      const hi = t._ew === 2 ? w[e + 1]! : 0;
      const c = t._w;
      const l = t._last;
      if (c.isPresent(lo, hi, l)) {
        const info: MappingInfo = { paddr: joinAddr(c.paddrLo(lo, hi, l) >>> 0, c.paddrHi(lo, hi, l) >>> 0), flags: c.flags(lo, hi, l), size: t._pageBytes as PageSize };
        w[e] = 0;
        if (t._ew === 2) w[e + 1] = 0;
        if (!this.full) this.push(va >>> 0, Math.floor(va / 4294967296));
        return info;
      }
    }
    return this.unmapFull(vaddr);
  }

  /** unmap's full path. */
  private unmapFull(vaddr: AddrInput): MappingInfo {
    const t = this.table;
    t._enter('unmap');
    const l = this.findLeaf(vaddr, 'unmap');
    const vaLo = PAIR[0]!;
    const vaHi = PAIR[1]!;
    const e = t._eIdx;
    const w = t.handler.words;
    const c = t._w;
    const lo = w[e]!;
    const hi = t._ew === 2 ? w[e + 1]! : 0;
    const info: MappingInfo = {
      paddr: joinAddr(c.paddrLo(lo, hi, l), c.paddrHi(lo, hi, l)),
      flags: c.flags(lo, hi, l),
      size: t.meta.levelSize[l] as PageSize,
    };
    this.write(e, 0, 0);
    this.push(vaLo, vaHi);
    return info;
  }

  /**
   * Maps `size` bytes at `vaddr` to physical memory: from `paddr` on, or to `paddr(va)` per page when a
   * function is given. With `allowHuge`, each step uses the largest page the format allows at which
   * both addresses are aligned and that fits in what remains.
   *
   * All or nothing: on any failure every page and table this call created is removed again and the
   * error is thrown; memory and frame count are as before the call.
   * @throws PagingError 'NotAligned' (vaddr, size or a paddr not 4K-aligned), 'InvalidAddress',
   *   'InvalidFlags', 'AlreadyMapped', 'MappedToHugePage', 'NoMemory'.
   */
  mapRegion(vaddr: AddrInput, paddr: PaddrSource, size: AddrInput, flags: MappingFlags, allowHuge: boolean): void {
    const t = this.table;
    t._enter('mapRegion');
    if (t._probe !== null && typeof vaddr === 'number' && typeof paddr === 'number' && typeof size === 'number') {
      if (this.regionInTable(vaddr, paddr, size, flags, allowHuge)) return;
    }
    checkFlags(flags, 'mapRegion');
    const ps = t.meta.pageShift;
    splitAddr(size, 'mapRegion', 'size');
    const szLo = PAIR[0]!;
    const szHi = PAIR[1]!;
    if (!isAligned(szLo, szHi, ps)) notAligned('mapRegion', 'size', szLo, szHi, ps);
    splitAddr(vaddr, 'mapRegion', 'vaddr');
    const vaLo = PAIR[0]!;
    const vaHi = PAIR[1]!;
    if (!isAligned(vaLo, vaHi, ps)) notAligned('mapRegion', 'vaddr', vaLo, vaHi, ps);
    const fn = typeof paddr === 'function' ? paddr : null;
    let paLo = 0;
    let paHi = 0;
    if (fn === null) {
      // checked even for an empty region: a bad argument is an error whatever the size
      splitAddr(paddr, 'mapRegion', 'paddr');
      paLo = PAIR[0]!;
      paHi = PAIR[1]!;
      if (!isAligned(paLo, paHi, ps)) notAligned('mapRegion', 'paddr', paLo, paHi, ps);
    }
    if (szLo === 0 && szHi === 0) return;
    this.checkRange(vaLo, vaHi, szLo, szHi, 'mapRegion');
    if (fn === null) {
      // the last byte must fit the format too
      const endLo = paLo + szLo;
      const endHi = paHi + szHi + (endLo >= TWO32 ? 1 : 0);
      if (!t._paOk(paLo, paHi) || !this.paEndOk(mod32(endLo), endHi)) badPa('mapRegion', t, paLo, paHi);
    }
    const endLo0 = vaLo + szLo;
    const endLo = mod32(endLo0);
    const endHi = vaHi + szHi + (endLo0 >= TWO32 ? 1 : 0);
    const savedCount = this.pendingCount;
    const savedFull = this.full;
    // user code (the paddr function) runs during this call and may use cursors itself: give this call
    // scratch arrays of its own
    const shared = this.k;
    if (fn !== null) {
      this.k = new CursorScratch(t._levels);
      t._setBusy(true);
    }
    this.logCount = 0;
    this.logging = true;
    let curLo = vaLo;
    let curHi = vaHi;
    try {
      while (diff(endLo, endHi, curLo, curHi) > 0) {
        if (fn !== null) {
          splitAddr(fn(joinAddr(curLo, curHi)), 'mapRegion', 'paddr(vaddr)');
          paLo = PAIR[0]!;
          paHi = PAIR[1]!;
          if (!isAligned(paLo, paHi, ps)) notAligned('mapRegion', 'paddr(vaddr)', paLo, paHi, ps);
          if (!t._paOk(paLo, paHi)) badPa('mapRegion', t, paLo, paHi);
        }
        const rem = diff(endLo, endHi, curLo, curHi);
        let l = t._last;
        if (allowHuge) {
          for (let k = 0; k < t._last; k++) {
            if (t._leafOk[k] !== 1) continue;
            const s = t._shift[k]!;
            if (rem >= POW2[s]! && isAligned(curLo, curHi, s) && isAligned(paLo, paHi, s)) {
              l = k;
              break;
            }
          }
        }
        this.mapOne(curLo, curHi, paLo, paHi, l, flags, 'mapRegion');
        this.push(curLo, curHi);
        const s = t._shift[l]!;
        // the rest of the table the walk cache now holds is filled in place with pages of the same size
        // (a bigger page cannot start before that table's end: its virtual address would not be aligned)
        const pages = fn === null && s < 32 ? 1 + this.fillLeaves(curLo, curHi, paLo, paHi, Math.floor(rem / POW2[s]!) - 1, flags, l) : 1;
        const step = pages * POW2[s]!; // below 2^49: several pages only where s < 32
        addNum(curLo, curHi, step);
        curLo = OUT[0]!;
        curHi = OUT[1]!;
        if (fn === null) {
          addNum(paLo, paHi, step);
          paLo = OUT[0]!;
          paHi = OUT[1]!;
        }
      }
    } catch (err) {
      if (this.filled >= 0) {
        // fillLeaves failed: the page at cur and the `filled` pages after it were written, and are undone too
        addNum(curLo, curHi, (this.filled + 1) * POW2[this.fillShift]!);
        this.filled = -1;
        curLo = OUT[0]!;
        curHi = OUT[1]!;
      }
      this.rollbackMap(vaLo, vaHi, curLo, curHi);
      this.pendingCount = savedCount;
      this.full = savedFull;
      throw err;
    } finally {
      this.logging = false;
      this.logCount = 0;
      this.k = shared;
      if (fn !== null) t._setBusy(false);
    }
  }

  /**
   * mapRegion of a region that is one run of pages of one size in one table (a small region, or huge pages that
   * fit one table), with the addresses and size as numbers, on a table with a specialised walk: the entries are
   * checked unused, then written in one pass, and the tables above them made as map makes them. The entry
   * words come from the codec once, for the first page, and then advance by the page size in the layout's
   * address field. Returns false, having changed nothing, for anything else (errors included), which the
   * general path then maps or reports.
   */
  private regionInTable(va: number, pa: number, size: number, flags: number, allowHuge: boolean): boolean {
    const t = this.table;
    if (typeof flags !== 'number' || flags === 0 || (flags & 63) !== flags || t._anyBorrowed || !(size > 0 && va >= 0 && pa >= 0)) return false;
    // exact numbers, page-aligned, a lower-half range that is valid to its last byte, a physical end the format holds
    const end = va + size;
    if (!(end <= 9007199254740992 && pa + size <= t._paLimitNum)) return false;
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
      for (let k = 0; k < last; k++) {
        const sh = t._shift[k]!;
        if (t._leafOk[k] === 1 && size >= POW2[sh]! && isAligned(vaLo, vaHi, sh) && isAligned(paLo, paHi, sh)) {
          L = k;
          break;
        }
      }
    }
    // all of the region in pages of that size, in one level-L table (inside one table no bigger page can start
    // after the first: its virtual address would not be aligned)
    const step = POW2[t._shift[L]!]!;
    const n = size / step;
    const first = t._index(vaLo, vaHi, L);
    if (n !== Math.floor(n) || first + n > 1 << t._bits[L]!) return false;
    const w = t.handler.words;
    const c = t._w;
    // the walk to the level-L table, from the walk cache when it holds one on the way (mapOne's walk, handing what is
    // in use on the way to the general path; a walk shared with mapOne measured 4-16 ns a call slower here, V8 then
    // no longer inlining the codec's attribute lookup into this method)
    let tbl = t._root();
    let from = 0;
    const hit = t._cached(vaLo, vaHi, L);
    if (hit >= 0) {
      tbl = hit;
      from = t._cLevel;
    }
    let e = 0;
    let d = -1; // the level whose entry is unused (tables needed below it)
    for (let l = from; l < L; l++) {
      e = tbl + t._index(vaLo, vaHi, l) * 2;
      const lo = w[e]!;
      const hi = w[e + 1]!;
      if (lo === 0 && hi === 0) {
        d = l;
        break;
      }
      if (!c.isPresent(lo, hi, l) || c.isHuge(lo, hi, l)) return false;
      tbl = t._child(lo, hi, l);
      if (tbl < 0) return false;
    }
    // the first page's entry words (a codec that throws does so before anything is written)
    const huge = L !== last;
    let lo = c.newPageLo(paLo, paHi, flags, huge, L);
    let hi = c.newPageHi(paLo, paHi, flags, huge, L);
    // one page further is one page size further in the address field, which starts at bit addrShift of the entry
    const inc = step / 2 ** t._w.layout!.addrShift;
    const incHi = Math.floor(inc / 4294967296);
    const incLo = inc - incHi * 4294967296;
    let k = 0;
    if (d >= 0) {
      // a new table: its entries are all unused; map writes the first page and links the tables in
      this.mapBelow(e, d, vaLo | 0, vaHi, paLo | 0, paHi, L, flags, 'mapRegion');
      tbl = this.k.newIdx[L]!;
      k = 1;
      addNum(lo, hi, inc);
      lo = OUT[0]!;
      hi = OUT[1]!;
    } else {
      for (let x = tbl + first * 2, j = 0; j < n; j++, x += 2) if (w[x] !== 0 || w[x + 1] !== 0) return false;
    }
    for (let x = tbl + (first + k) * 2; k < n; k++, x += 2) {
      w[x] = lo;
      w[x + 1] = hi;
      lo += incLo;
      hi += incHi;
      if (lo >= 4294967296) {
        lo -= 4294967296;
        hi++;
      }
    }
    if (d < 0) t._remember(vaLo, vaHi, L, tbl);
    // one invalidation per page (past FLUSH_BATCH of them, push turns them into one full flush)
    for (let j = 0, v = va; j < n && !this.full; j++, v += step) this.push(v >>> 0, Math.floor(v / 4294967296));
    return true;
  }

  /**
   * Unmaps every page in [vaddr, vaddr + size), skipping holes (as munmap does) and absent subtrees.
   * @returns the number of bytes that were mapped and are now unmapped.
   * @throws PagingError 'MappedToHugePage' when a huge page lies only partly inside the range,
   *   'NotAligned', 'InvalidAddress', 'CorruptTable'; nothing is changed when it throws.
   */
  unmapRegion(vaddr: AddrInput, size: AddrInput): bigint {
    return this.rangeOp(vaddr, size, UNMAP, 0, 'unmapRegion');
  }

  /**
   * Sets `flags` on every page in [vaddr, vaddr + size), skipping holes (as mprotect does).
   * @returns the number of bytes whose mappings were updated.
   * @throws PagingError 'MappedToHugePage' when a huge page lies only partly inside the range,
   *   'InvalidFlags', 'NotAligned', 'InvalidAddress', 'CorruptTable'; nothing is changed when it throws.
   */
  protectRegion(vaddr: AddrInput, size: AddrInput, flags: MappingFlags): bigint {
    checkFlags(flags, 'protectRegion');
    return this.rangeOp(vaddr, size, PROTECT, flags, 'protectRegion');
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
    if (!(other instanceof PageTable64)) {
      throw new TypeError(`copyFrom: "other" must be a page table, got ${other === null ? 'null' : typeof other}`);
    }
    if (other === t) throw new TypeError('copyFrom: a table cannot copy from itself');
    other._enter('copyFrom');
    if (other.meta !== t.meta || other.handler !== t.handler) {
      throw new TypeError('copyFrom: the tables must have the same format and the same physical memory');
    }
    splitAddr(size, 'copyFrom', 'size');
    const szLo = PAIR[0]!;
    const szHi = PAIR[1]!;
    splitAddr(start, 'copyFrom', 'start');
    const sLo = PAIR[0]!;
    const sHi = PAIR[1]!;
    if (szLo === 0 && szHi === 0) return;
    this.checkRange(sLo, sHi, szLo, szHi, 'copyFrom');
    const first = t._index(sLo, sHi, 0);
    const lastLo0 = sLo + szLo - 1;
    const lastLo = mod32(lastLo0);
    const lastHi = sHi + szHi + Math.floor(lastLo0 / TWO32);
    const lastIdx = t._index(lastLo, lastHi, 0);
    for (let i = first; i <= lastIdx; i++) {
      if (t._lentRefs[i]! > 0) {
        throw new PagingError('SharedTable', `copyFrom: root entry ${i} of this table is shared with another table by copyFrom; its table cannot be replaced`);
      }
    }
    const w = t.handler.words;
    const c = t._w;
    const ew = t._ew;
    t._forget();
    const g = geometryOf(t.meta);
    if (t._borrowed === g.noRoots) t._borrowed = new Uint8Array(g.noRoots.length);
    if (t._lenders === null) t._lenders = new Array<PageTable64 | null>(g.noRoots.length).fill(null);
    const lenders = t._lenders;
    for (let i = first; i <= lastIdx; i++) {
      const e = t._root() + i * ew;
      const lo = w[e]!;
      const hi = ew === 2 ? w[e + 1]! : 0;
      // what the entry held: a borrowed table is let go, an own one freed
      const held = lenders[i];
      if (held) {
        held._lentRefs[i] = held._lentRefs[i]! - 1;
        lenders[i] = null;
      } else if (t._borrowed[i] !== 1 && t._last > 0 && c.isPresent(lo, hi, 0) && !c.isHuge(lo, hi, 0)) {
        t._freeTree(lo, hi, 0);
      }
      const src = other._rootIdx + i * ew;
      const nlo = w[src]!;
      const nhi = ew === 2 ? w[src + 1]! : 0;
      w[e] = nlo;
      if (ew === 2) w[e + 1] = nhi;
      t._borrowed[i] = 1;
      t._anyBorrowed = true;
      if (t._last > 0 && c.isPresent(nlo, nhi, 0) && !c.isHuge(nlo, nhi, 0)) {
        // the table below is its owner's: other's own, or the one other itself borrowed it from
        const owner = other._borrowed[i] === 1 ? (other._lenders?.[i] ?? null) : other;
        if (owner !== null) {
          if (owner._lentRefs === g.noRefs) owner._lentRefs = new Int32Array(g.noRefs.length);
          owner._lentRefs[i] = owner._lentRefs[i]! + 1;
          lenders[i] = owner;
        }
      }
    }
    this.full = true;
  }

  /** Sends the pending TLB invalidations to the table's `flushTlb` hook and clears them. */
  flush(): void {
    const hook = this.table._flushTlb;
    // The batch is taken before the hook runs: a hook that uses this cursor again starts a new batch (in the other
    // buffer) instead of writing into the one being sent.
    const full = this.full;
    const count = this.pendingCount;
    const pending = this.pending;
    this.pendingCount = 0;
    this.full = hook === undefined;
    if (pending !== null && count > 0) {
      this.pending = this.spare;
      this.spare = pending;
    }
    if (full) {
      hook?.();
    } else if (hook) {
      for (let i = 0; pending !== null && i < count; i++) hook(this.table._outVa(pending[2 * i]!, pending[2 * i + 1]!));
    }
    if (!this.table._destroyed) this.table._releasePending();
  }

  [Symbol.dispose](): void {
    this.flush();
  }

  // ---------------------------------------------------------------- internals

  private push(lo: number, hi: number): void {
    if (this.full) return;
    const n = this.pendingCount;
    let pending = this.pending;
    if (pending === null) {
      pending = new Float64Array(2 * FLUSH_BATCH);
      this.pending = pending;
    }
    // the same page twice in a row (a leaf and the tables unlinked above it) is one invalidation
    if (n > 0 && pending[2 * n - 2] === lo && pending[2 * n - 1] === hi) return;
    if (this.pendingCount === FLUSH_BATCH) {
      this.full = true;
      return;
    }
    pending[2 * n] = lo;
    pending[2 * n + 1] = hi;
    this.pendingCount++;
  }

  /** Writes entry e when its bits change, and only then queues the page's invalidation. */
  private update(e: number, lo: number, hi: number, nlo: number, nhi: number, vaLo: number, vaHi: number): void {
    if ((nlo | 0) === (lo | 0) && (this.table._ew === 1 || (nhi | 0) === (hi | 0))) return;
    this.write(e, nlo, nhi);
    this.push(vaLo, vaHi);
  }

  private write(e: number, lo: number, hi: number): void {
    const w = this.table.handler.words;
    w[e] = lo;
    if (this.table._ew === 2) w[e + 1] = hi;
  }

  private levelOf(size: PageSize, op: string): number {
    const t = this.table;
    const sizes = t._levelSize;
    for (let l = t._last; l >= 0; l--) {
      if (sizes[l] === size && t._leafOk[l] === 1) return l;
    }
    throw new PagingError('UnsupportedPageSize', `${op}: ${t.meta.name} cannot map a page of ${typeof size === 'number' ? formatPageSize(size) : String(size)}`);
  }

  private paEndOk(lo: number, hi: number): boolean {
    // an exclusive end equal to 2^paMaxBits is fine
    const bits = this.table.meta.paMaxBits;
    if (bits >= 64) return true;
    return hi * TWO32 + lo <= POW2[bits]!;
  }

  /** Rejects a range that wraps past 2^64 or leaves the valid part of the address space. */
  private checkRange(vaLo: number, vaHi: number, szLo: number, szHi: number, op: string): void {
    const t = this.table;
    t._checkVa(vaLo, vaHi, op);
    const lastLo0 = vaLo + szLo - 1;
    const lastLo = mod32(lastLo0);
    const lastHi = vaHi + szHi + Math.floor(lastLo0 / TWO32);
    if (lastHi >= TWO32) {
      throw new PagingError('InvalidAddress', `${op}: the range at ${hex(joinAddr(vaLo, vaHi))} runs past 2^64`);
    }
    if (!t._vaOk(lastLo, lastHi) || (lastHi | 0) >> 31 !== (vaHi | 0) >> 31) {
      throw new PagingError(
        'InvalidAddress',
        `${op}: the range [${hex(joinAddr(vaLo, vaHi))}, ${hex(joinAddr(lastLo, lastHi))}] leaves the valid ${t.meta.name} address space`,
      );
    }
  }

  /** Validates vaddr, finds the present leaf that starts there; leaves vaddr in PAIR, the entry in table._eIdx. */
  private findLeaf(vaddr: AddrInput, op: string): number {
    const t = this.table;
    splitAddr(vaddr, op, 'vaddr');
    const vaLo = PAIR[0]!;
    const vaHi = PAIR[1]!;
    t._checkVa(vaLo, vaHi, op);
    const r = t._find(vaLo, vaHi);
    if (r !== FOUND) t._lookupError(r, op, vaLo, vaHi);
    if (t._borrowed[t._index(vaLo, vaHi, 0)] === 1) sharedError(op, vaLo, vaHi);
    const l = t._eLvl;
    const s = t._shift[l]!;
    const e = t._eIdx;
    const w = t.handler.words;
    const ls = t._leafShift(w[e]!, t._ew === 2 ? w[e + 1]! : 0, l);
    if (ls !== s) {
      throw new PagingError(
        'UnsupportedPageSize',
        `${op}: ${hex(joinAddr(vaLo, vaHi))} lies in a ${formatPageSize(2 ** ls)} page stored as repeated entries, which this table reads but does not modify`,
      );
    }
    if (!isAligned(vaLo, vaHi, s)) {
      throw new PagingError(
        'NotAligned',
        `${op}: "vaddr" ${hex(joinAddr(vaLo, vaHi))} is inside a ${formatPageSize(2 ** s)} page, not at its start`,
      );
    }
    return l;
  }

  /**
   * map of a page of the smallest size that missed the walk cache, on a table with a specialised walk: both
   * addresses numbers, valid and aligned, and no root entry shared. The walk finds the first unused entry, and
   * the leaf or the tables below it are written there, as mapOne writes them. Returns false, having done
   * nothing, for anything else (errors included), which the full path then handles or reports.
   */
  private mapProbed(vaddr: AddrInput, paddr: AddrInput, flags: MappingFlags): boolean {
    const t = this.table;
    if (typeof vaddr !== 'number' || typeof paddr !== 'number' || typeof flags !== 'number' || flags === 0 || (flags & 63) !== flags || t._anyBorrowed) {
      return false;
    }
    const vaHi = Math.floor(vaddr / 4294967296);
    const vaLo = vaddr - vaHi * 4294967296;
    const paHi = Math.floor(paddr / 4294967296);
    const paLo = paddr - paHi * 4294967296;
    // integers (an in-range low word), a valid lower-half address, a physical address the format holds, both aligned
    if (vaLo >>> 0 !== vaLo || !(vaHi >= 0 && vaHi < t._vaHiLimit) || paLo >>> 0 !== paLo || !(paddr >= 0 && paddr < t._paLimitNum)) return false;
    if (((vaLo | paLo) & t._pageMask) !== 0) return false;
    const w = t.handler.words;
    const e = t._probe!(w, t._rootIdx, vaLo | 0, vaHi, t._walkMem);
    if (e < 0 || w[e] !== 0 || w[e + 1] !== 0) return false;
    const l = PROBE_LEVEL[0]!;
    const last = t._last;
    if (l < last) {
      this.mapBelow(e, l, vaLo | 0, vaHi, paLo | 0, paHi, last, flags, 'map');
    } else {
      const c = t._w;
      w[e] = c.newPageLo(paLo, paHi, flags, false, last);
      w[e + 1] = c.newPageHi(paLo, paHi, flags, false, last);
      t._rememberLast(vaLo, vaHi, WALK_TABLE[0]!);
    }
    this.push(vaLo, vaHi);
    return true;
  }

  /**
   * Writes a leaf for (va -> pa) at level L, creating the missing tables above it. Checks everything
   * before writing; on failure nothing is written and no frame stays allocated.
   */
  private mapOne(vaLo: number, vaHi: number, paLo: number, paHi: number, L: number, flags: number, op: string): void {
    const t = this.table;
    const c = t._w;
    const ew = t._ew;
    const w = t.handler.words;
    let tbl = t._root();
    if (t._borrowed[t._index(vaLo, vaHi, 0)] === 1) sharedError(op, vaLo, vaHi);
    let d = -1; // first level whose entry is unused (tables needed below it)
    let e = 0;
    let from = 0;
    const hit = t._cached(vaLo, vaHi, L);
    if (hit >= 0) {
      tbl = hit;
      from = t._cLevel;
    }
    for (let l = from; l < L; l++) {
      e = tbl + t._index(vaLo, vaHi, l) * ew;
      const lo = w[e]!;
      const hi = ew === 2 ? w[e + 1]! : 0;
      if (lo === 0 && hi === 0) {
        d = l;
        break;
      }
      if (!c.isPresent(lo, hi, l)) {
        throw new PagingError('AlreadyMapped', `${op}: the level-${l} entry for ${hex(joinAddr(vaLo, vaHi))} is in use (non-present, non-zero)`);
      }
      if (c.isHuge(lo, hi, l)) {
        throw new PagingError(
          'MappedToHugePage',
          `${op}: ${hex(joinAddr(vaLo, vaHi))} lies in a ${formatPageSize(t.meta.levelSize[l]!)} page`,
        );
      }
      tbl = t._child(lo, hi, l);
      if (tbl < 0) t._lookupError(CORRUPT, op, vaLo, vaHi);
    }
    const huge = L !== t._last;
    if (d < 0) {
      e = tbl + t._index(vaLo, vaHi, L) * ew;
      if (w[e] !== 0 || (ew === 2 && w[e + 1] !== 0)) {
        throw new PagingError('AlreadyMapped', `${op}: ${hex(joinAddr(vaLo, vaHi))} is already mapped`);
      }
      w[e] = c.newPageLo(paLo, paHi, flags, huge, L);
      if (ew === 2) w[e + 1] = c.newPageHi(paLo, paHi, flags, huge, L);
      t._remember(vaLo, vaHi, L, tbl);
      return;
    }
    this.mapBelow(e, d, vaLo | 0, vaHi, paLo | 0, paHi, L, flags, op);
  }

  /**
   * Maps (vaLo, vaHi) -> (paLo, paHi) at level L below the unused entry e of a level-d table (d < L): makes the
   * tables of levels d+1..L (all before writing anything; none left on a failure) and links them in, bottom-up.
   */
  private mapBelow(e: number, d: number, vaLo32: number, vaHi: number, paLo32: number, paHi: number, L: number, flags: number, op: string): void {
    // the low words come as int32 (`| 0`): small integers cross a call that V8 does not inline without being boxed
    const vaLo = vaLo32 >>> 0;
    const paLo = paLo32 >>> 0;
    const t = this.table;
    const c = t._w;
    const ew = t._ew;
    const huge = L !== t._last;
    // Allocate the tables for levels d+1..L, all before writing anything.
    for (let l = d + 1; l <= L; l++) {
      let idx = -1;
      try {
        idx = t._allocTable(l, op);
      } catch (err) {
        this.freeNew(d + 1, l);
        throw err;
      }
      if (idx < 0) {
        this.freeNew(d + 1, l);
        throw new PagingError('NoMemory', `${op}: no frame for a level-${l} ${t.meta.name} table`);
      }
      this.k.newIdx[l] = idx;
      this.k.newLo[l] = t._newLo;
      this.k.newHi[l] = t._newHi;
    }
    const w = t.handler.words;
    // Fill bottom-up: the leaf first, then each table entry, and last the link from the existing table,
    // so a concurrent hardware walker never reaches a half-built subtree.
    let ce = this.k.newIdx[L]! + t._index(vaLo, vaHi, L) * ew;
    w[ce] = c.newPageLo(paLo, paHi, flags, huge, L);
    if (ew === 2) w[ce + 1] = c.newPageHi(paLo, paHi, flags, huge, L);
    for (let l = L - 1; l > d; l--) {
      ce = this.k.newIdx[l]! + t._index(vaLo, vaHi, l) * ew;
      const cLo = this.k.newLo[l + 1]!;
      const cHi = this.k.newHi[l + 1]!;
      w[ce] = c.newTableLo(cLo, cHi, l);
      if (ew === 2) w[ce + 1] = c.newTableHi(cLo, cHi, l);
    }
    const topLo = this.k.newLo[d + 1]!;
    const topHi = this.k.newHi[d + 1]!;
    if (this.logging) this.logTable(e, d + 1, topLo, topHi);
    w[e] = c.newTableLo(topLo, topHi, d);
    if (ew === 2) w[e + 1] = c.newTableHi(topLo, topHi, d);
    t._remember(vaLo, vaHi, L, this.k.newIdx[L]!);
  }

  /**
   * After mapOne wrote the level-l page at (vaLo, vaHi) -> (paLo, paHi) into the table the walk cache holds,
   * maps up to `max` following pages of the same size into the unused entries after it in that table
   * (stopping at the table's end or at the first entry in use, which the caller's next mapOne reports).
   * @returns the pages mapped; `filled` holds that count if a codec call throws part-way (else -1).
   */
  private fillLeaves(vaLo: number, vaHi: number, paLo: number, paHi: number, max: number, flags: number, l: number): number {
    const t = this.table;
    // the root (never in the walk cache) or the level-l table the walk cache holds
    const tbl = l === 0 ? t._root() : t._cached(vaLo, vaHi, l);
    if (tbl < 0 || (l !== 0 && t._cLevel !== l)) return 0;
    const first = t._index(vaLo, vaHi, l);
    const room = (1 << t._bits[l]!) - 1 - first;
    const n = room < max ? room : max;
    const ew = t._ew;
    const w = t.handler.words;
    const c = t._w;
    const huge = l !== t._last;
    this.fillShift = t._shift[l]!;
    const step = POW2[this.fillShift]!;
    let pLo = paLo;
    let pHi = paHi;
    let vLo = vaLo;
    let vHi = vaHi;
    let e = tbl + (first + 1) * ew;
    let k = 0;
    try {
      for (; k < n; k++, e += ew) {
        if (w[e] !== 0 || (ew === 2 && w[e + 1] !== 0)) break;
        // a root entry shared by copyFrom is left to the caller's next mapOne (which reports it)
        if (l === 0 && t._anyBorrowed && t._borrowed[first + 1 + k] === 1) break;
        pLo += step;
        if (pLo >= TWO32) {
          pLo -= TWO32;
          pHi++;
        }
        const lo = c.newPageLo(pLo, pHi, flags, huge, l);
        const hi = ew === 2 ? c.newPageHi(pLo, pHi, flags, huge, l) : 0;
        w[e] = lo;
        if (ew === 2) w[e + 1] = hi;
        if (!this.full) {
          vLo += step;
          if (vLo >= TWO32) {
            vLo -= TWO32;
            vHi++;
          }
          this.push(vLo, vHi);
        }
      }
    } finally {
      this.filled = k;
    }
    this.filled = -1;
    return k;
  }

  /** Frees the tables of newIdx[from..to) (allocation failed part-way). */
  private freeNew(from: number, to: number): void {
    for (let l = from; l < to; l++) this.table._freeFrames(this.k.newLo[l]!, this.k.newHi[l]!, l);
  }

  private logTable(parent: number, level: number, lo: number, hi: number): void {
    if (this.logCount === this.k.logParent.length) {
      const n = this.logCount * 2;
      this.k.logParent = grow(this.k.logParent, new Int32Array(n));
      this.k.logLevel = grow(this.k.logLevel, new Int32Array(n));
      this.k.logLo = grow(this.k.logLo, new Float64Array(n));
      this.k.logHi = grow(this.k.logHi, new Float64Array(n));
    }
    this.k.logParent[this.logCount] = parent;
    this.k.logLevel[this.logCount] = level;
    this.k.logLo[this.logCount] = lo;
    this.k.logHi[this.logCount] = hi;
    this.logCount++;
  }

  /** Undoes a partial mapRegion: clears the leaves of [start, cur), then frees the tables it created. */
  private rollbackMap(sLo: number, sHi: number, cLo: number, cHi: number): void {
    const t = this.table;
    let lo = sLo;
    let hi = sHi;
    while (diff(cLo, cHi, lo, hi) > 0) {
      if (t._find(lo, hi) !== FOUND) break; // cannot happen: every page before cur was mapped here
      this.write(t._eIdx, 0, 0);
      addPow2(lo, hi, t._shift[t._eLvl]!);
      lo = OUT[0]!;
      hi = OUT[1]!;
    }
    t._forget();
    // Tables were logged top link first; unlink and free in reverse order.
    for (let k = this.logCount - 1; k >= 0; k--) {
      this.write(this.k.logParent[k]!, 0, 0);
      t._freeTree(
        t._w.newTableLo(this.k.logLo[k]!, this.k.logHi[k]!, this.k.logLevel[k]! - 1),
        t._w.newTableHi(this.k.logLo[k]!, this.k.logHi[k]!, this.k.logLevel[k]! - 1),
        this.k.logLevel[k]! - 1,
      );
    }
  }

  private rangeOp(vaddr: AddrInput, size: AddrInput, mode: number, flags: number, op: string): bigint {
    const t = this.table;
    t._enter(op);
    const ps = t.meta.pageShift;
    splitAddr(size, op, 'size');
    const szLo = PAIR[0]!;
    const szHi = PAIR[1]!;
    if (!isAligned(szLo, szHi, ps)) notAligned(op, 'size', szLo, szHi, ps);
    splitAddr(vaddr, op, 'vaddr');
    const vaLo = PAIR[0]!;
    const vaHi = PAIR[1]!;
    if (!isAligned(vaLo, vaHi, ps)) notAligned(op, 'vaddr', vaLo, vaHi, ps);
    if (szLo === 0 && szHi === 0) return 0n;
    this.checkRange(vaLo, vaHi, szLo, szHi, op);
    const endLo0 = vaLo + szLo;
    // The table indexes the low vaMaxBits bits: visit the range in that form (an upper-half range
    // becomes the top of the index space; checkRange made sure it does not cross into the other half).
    const mask = t._vaMaskHi;
    this.rTopHi = (vaHi & ~mask) >>> 0;
    this.rsLo = vaLo;
    this.rsHi = vaHi & mask;
    this.reLo = mod32(endLo0);
    this.reHi = this.rsHi + szHi + (endLo0 >= TWO32 ? 1 : 0);
    const lastLo0 = vaLo + szLo - 1;
    this.rlLo = mod32(lastLo0);
    this.rlHi = this.rsHi + szHi + Math.floor(lastLo0 / TWO32);
    this.rFlags = flags;
    // Pass 1 changes nothing: it throws for what cannot be done and counts the tables that splitting
    // partly covered huge pages needs. They are all allocated before pass 2 writes anything.
    this.k.splitNeed.fill(0);
    if (t._fullCheck) this.visit(t._root(), 0, 0, 0, CHECK, op);
    else this.checkBoundaries(op);
    this.reserveSplitTables(op);
    this.rBytes = 0;
    this.visit(t._root(), 0, 0, 0, mode, op);
    this.releaseSplitTables();
    return BigInt(this.rBytes);
  }

  /**
   * Frees every intermediate table that holds no entry (in the whole address space), as unmapRegion
   * does for its range. The frames go back to the handler on the next flush(), after the TLB
   * invalidation that makes the tables unreachable.
   * @returns the number of tables unlinked.
   */
  compact(): number {
    const t = this.table;
    t._enter('compact');
    this.rsLo = 0;
    this.rsHi = 0;
    const bits = t.meta.vaMaxBits;
    this.reLo = bits >= 32 ? 0 : 2 ** bits;
    this.reHi = bits >= 32 ? 2 ** (bits - 32) : 0;
    this.rlLo = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
    this.rlHi = t._vaMaskHi;
    this.rFreed = 0;
    this.rTopHi = 0;
    this.visit(t._root(), 0, 0, 0, COMPACT, 'compact');
    return this.rFreed;
  }

  /**
   * Pass 1 for a table this library built: only a huge page that a boundary of the range cuts needs work
   * before the range can be changed (a split), and only a shared root entry forbids it; everything else
   * inside the range can be changed as it is. (Attached tables, and formats with leaves stored as
   * repeated entries, get the full check pass instead.)
   */
  private checkBoundaries(op: string): void {
    const t = this.table;
    // shared root entries anywhere in the range
    if (t._anyBorrowed) {
      const last = t._index(this.rlLo, this.rlHi, 0);
      for (let i = t._index(this.rsLo, this.rsHi, 0); i <= last; i++) {
        if (t._borrowed[i] === 1) throw new PagingError('SharedTable', `${op}: the range reaches a root entry shared by copyFrom (index ${i}); it is read-only here`);
      }
    }
    let prevLo = -1;
    let prevHi = -1;
    for (let k = 0; k < 2; k++) {
      const bLo = k === 0 ? this.rsLo : this.rlLo;
      const bHi = k === 0 ? this.rsHi : this.rlHi;
      // looked up by its full address (the upper half's top bits put back): the walk cache keeps the address a
      // lookup was given, and a cache keyed by the bare index bits would accept their non-canonical alias
      const r = t._find(bLo, (bHi | this.rTopHi) >>> 0);
      if (r === CORRUPT) t._lookupError(r, op, bLo, bHi);
      if (r !== FOUND || t._eLvl === t._last) continue;
      const l = t._eLvl;
      // the huge page holding the boundary byte: cut unless the range starts at its start / ends at its end
      const s = t._shift[l]!;
      const pLo = (bLo & ~LOW_MASK_LO[s]!) >>> 0;
      const pHi = (bHi & ~LOW_MASK_HI[s]!) >>> 0;
      addPow2(pLo, pHi, s);
      const cut = k === 0 ? !isAligned(bLo, bHi, s) : diff(OUT[0]!, OUT[1]!, this.reLo, this.reHi) !== 0;
      if (!cut || (pLo === prevLo && pHi === prevHi)) continue;
      prevLo = pLo;
      prevHi = pHi;
      this.countSplit(pLo, pHi, l);
    }
  }

  /** Allocates the tables pass 1 counted, or frees what it got and throws NoMemory. */
  private reserveSplitTables(op: string): void {
    const t = this.table;
    this.poolCount = 0;
    for (let l = 0; l < t._levels; l++) {
      for (let k = 0; k < this.k.splitNeed[l]!; k++) {
        let idx = -1;
        try {
          idx = t._allocTable(l, op);
        } catch (err) {
          this.releaseSplitTables();
          throw err;
        }
        if (idx < 0) {
          this.releaseSplitTables();
          throw new PagingError('NoMemory', `${op}: no frame for a level-${l} ${t.meta.name} table to split a huge page`);
        }
        if (this.poolCount === this.k.poolIdx.length) {
          const n = this.poolCount * 2;
          this.k.poolIdx = grow(this.k.poolIdx, new Int32Array(n));
          this.k.poolLevel = grow(this.k.poolLevel, new Int32Array(n));
          this.k.poolLo = grow(this.k.poolLo, new Float64Array(n));
          this.k.poolHi = grow(this.k.poolHi, new Float64Array(n));
        }
        this.k.poolIdx[this.poolCount] = idx;
        this.k.poolLevel[this.poolCount] = l;
        this.k.poolLo[this.poolCount] = t._newLo;
        this.k.poolHi[this.poolCount] = t._newHi;
        this.poolCount++;
      }
    }
  }

  /** Returns unused reserved tables to the handler. */
  private releaseSplitTables(): void {
    for (let k = 0; k < this.poolCount; k++) {
      const lv = this.k.poolLevel[k]!;
      if (lv >= 0) this.table._freeFrames(this.k.poolLo[k]!, this.k.poolHi[k]!, lv);
    }
    this.poolCount = 0;
  }

  /** Takes a reserved table of level l from the pool; its address is left in OUT. */
  private takeSplitTable(l: number): number {
    for (let k = 0; k < this.poolCount; k++) {
      if (this.k.poolLevel[k] !== l) continue;
      this.k.poolLevel[k] = -1;
      OUT[0] = this.k.poolLo[k]!;
      OUT[1] = this.k.poolHi[k]!;
      return this.k.poolIdx[k]!;
    }
    throw new Error('internal: no reserved table for a split'); // pass 1 counted every split
  }

  /**
   * Pass 1 for a huge page at (vLo, vHi), level l, that the range only partly covers: one table of
   * level l + 1, and the same again for each of its pieces that a boundary of the range cuts.
   */
  private countSplit(vLo: number, vHi: number, l: number): void {
    const t = this.table;
    const cl = l + 1;
    this.k.splitNeed[cl] = this.k.splitNeed[cl]! + 1;
    if (cl === t._last) return;
    const cs = t._shift[cl]!;
    const s = t._shift[l]!;
    addPow2(vLo, vHi, s);
    const endLo = OUT[0]!;
    const endHi = OUT[1]!;
    let firstPieceLo = -1;
    let firstPieceHi = -1;
    for (let k = 0; k < 2; k++) {
      const bLo = k === 0 ? this.rsLo : this.reLo;
      const bHi = k === 0 ? this.rsHi : this.reHi;
      // a boundary strictly inside the page that is not aligned to the pieces cuts one piece
      if (diff(bLo, bHi, vLo, vHi) <= 0 || diff(endLo, endHi, bLo, bHi) <= 0 || isAligned(bLo, bHi, cs)) continue;
      const pLo = (bLo & ~LOW_MASK_LO[cs]!) >>> 0;
      const pHi = (bHi & ~LOW_MASK_HI[cs]!) >>> 0;
      if (pLo === firstPieceLo && pHi === firstPieceHi) continue;
      firstPieceLo = pLo;
      firstPieceHi = pHi;
      this.countSplit(pLo, pHi, cl);
    }
  }

  /**
   * Replaces the huge page (lo, hi) of level l at entry e, first address (vLo, vHi), by a table of pieces
   * of the next level with the same physical range and flags. The table is filled before the entry is
   * switched to it, and the old page's address is queued for invalidation. Returns the new table's index.
   */
  private splitHuge(e: number, lo: number, hi: number, l: number, vLo: number, vHi: number): number {
    const t = this.table;
    const c = t._w;
    const w = t.handler.words;
    const ew = t._ew;
    const cl = l + 1;
    const child = this.takeSplitTable(cl);
    const tLo = OUT[0]!;
    const tHi = OUT[1]!;
    const flags = c.flags(lo, hi, l);
    const huge = cl !== t._last;
    const cs = t._shift[cl]!;
    let pLo = c.paddrLo(lo, hi, l);
    let pHi = c.paddrHi(lo, hi, l);
    const n = 1 << t._bits[cl]!;
    for (let i = 0; i < n; i++) {
      const ce = child + i * ew;
      w[ce] = c.newPageLo(pLo, pHi, flags, huge, cl);
      if (ew === 2) w[ce + 1] = c.newPageHi(pLo, pHi, flags, huge, cl);
      addPow2(pLo, pHi, cs);
      pLo = OUT[0]!;
      pHi = OUT[1]!;
    }
    w[e] = c.newTableLo(tLo, tHi, l);
    if (ew === 2) w[e + 1] = c.newTableHi(tLo, tHi, l);
    this.push(vLo, (vHi | this.rTopHi) >>> 0);
    return child;
  }

  /**
   * Visits the entries of the level-l table at word index tbl, whose first virtual address is
   * (baseLo, baseHi), that intersect the range [rs, re). CHECK throws on anything the real pass could not
   * complete and counts split tables; UNMAP and PROTECT change what lies inside the range, splitting huge
   * pages it only partly covers; UNMAP and COMPACT unlink intermediate tables left empty.
   */
  private visit(tbl: number, l: number, baseLo: number, baseHi: number, mode: number, op: string): void {
    const t = this.table;
    const c = t._w;
    const ew = t._ew;
    const w = t.handler.words;
    const s = t._shift[l]!;
    const n = 1 << t._bits[l]!;
    const first = diff(this.rsLo, this.rsHi, baseLo, baseHi) > 0 ? t._index(this.rsLo, this.rsHi, l) : 0;
    // the last index is that of the range's last byte when it ends inside this table
    addPow2(baseLo, baseHi, s + t._bits[l]!);
    const lastIdx = diff(OUT[0]!, OUT[1]!, this.rlLo, this.rlHi) > 0 ? t._index(this.rlLo, this.rlHi, l) : n - 1;
    const huge = l !== t._last;
    const f = ew === 2 ? t._f64(w) : null;
    for (let i = first; i <= lastIdx; i++) {
      let e = tbl + i * ew;
      // skip unused entries in a tight loop: sparse tables are mostly zero
      if (f !== null) {
        // four entries at a time as doubles: only +0 and -0 have absolute values that sum to 0, and an entry that
        // reads as either has a zero low word, which a layout format never marks present
        let h = e >>> 1;
        while (i + 4 <= lastIdx && Math.abs(f[h]!) + Math.abs(f[h + 1]!) + Math.abs(f[h + 2]!) + Math.abs(f[h + 3]!) === 0) {
          i += 4;
          h += 4;
        }
        e = h * 2;
      } else if (ew === 2) {
        // four entries at a time while four remain before lastIdx, then one at a time
        while (i + 4 <= lastIdx && (w[e]! | w[e + 1]! | w[e + 2]! | w[e + 3]! | w[e + 4]! | w[e + 5]! | w[e + 6]! | w[e + 7]!) === 0) {
          i += 4;
          e += 8;
        }
      }
      if (ew === 2) {
        while (i < lastIdx && (w[e]! | w[e + 1]!) === 0) {
          i++;
          e += 2;
        }
      }
      const lo = w[e]!;
      const hi = ew === 2 ? w[e + 1]! : 0;
      if (l === 0 && t._borrowed[i] === 1) {
        // a root entry shared with another table by copyFrom: that table owns what is below it
        if (mode === CHECK) {
          throw new PagingError('SharedTable', `${op}: the range reaches a root entry shared by copyFrom (index ${i}); it is read-only here`);
        }
        continue;
      }
      if ((lo === 0 && hi === 0) || !c.isPresent(lo, hi, l)) continue;
      t._entryVa(baseLo, baseHi, l, i);
      const vLo = OUT[0]!;
      const vHi = OUT[1]!;
      if (l === t._last || c.isHuge(lo, hi, l)) {
        if (mode === COMPACT) continue;
        const ls = t._leafShift(lo, hi, l);
        if (mode === CHECK && ls !== s) {
          throw new PagingError(
            'UnsupportedPageSize',
            `${op}: the ${formatPageSize(2 ** ls)} page at ${hex(t._outVa(vLo, vHi))} is stored as repeated entries, which this table reads but does not modify`,
          );
        }
        addPow2(vLo, vHi, s);
        const inside = diff(vLo, vHi, this.rsLo, this.rsHi) >= 0 && diff(this.reLo, this.reHi, OUT[0]!, OUT[1]!) >= 0;
        if (!inside) {
          // a huge page the range only partly covers: split it, then act on its pieces
          if (mode === CHECK) {
            this.countSplit(vLo, vHi, l);
            continue;
          }
          const child = this.splitHuge(e, lo, hi, l, vLo, vHi);
          this.visit(child, l + 1, vLo, vHi, mode, op);
          continue;
        }
        if (mode === UNMAP) {
          w[e] = 0;
          if (ew === 2) w[e + 1] = 0;
          this.push(vLo, (vHi | this.rTopHi) >>> 0);
        } else if (mode === PROTECT) {
          const f = this.rFlags;
          const nlo = c.setFlagsLo(lo, hi, f, huge, l);
          const nhi = ew === 2 ? c.setFlagsHi(lo, hi, f, huge, l) : 0;
          if ((nlo | 0) !== (lo | 0) || (nhi | 0) !== (hi | 0)) {
            w[e] = nlo;
            if (ew === 2) w[e + 1] = nhi;
            this.push(vLo, (vHi | this.rTopHi) >>> 0);
          }
        }
        this.rBytes += POW2[s]!;
        continue;
      }
      const child = t._child(lo, hi, l);
      if (child < 0) {
        if (mode === CHECK) t._lookupError(CORRUPT, op, vLo, vHi);
        continue;
      }
      this.visit(child, l + 1, vLo, vHi, mode, op);
      if ((mode === UNMAP || mode === COMPACT) && !(l === 0 && t._lentRefs[i]! > 0) && this.tableEmpty(child, l + 1)) {
        // unlink the empty table; its frame is freed at the next flush, after the invalidation
        this.unlinkTable(e, l, lo, hi, vLo, vHi);
      }
    }
  }

  private tableEmpty(tbl: number, l: number): boolean {
    const w = this.table.handler.words;
    const end = tbl + (1 << this.table._bits[l]!) * this.table._ew;
    for (let i = tbl; i < end; i++) if (w[i] !== 0) return false;
    return true;
  }

  /** Clears the table entry e (level l, bits lo/hi) and queues its table for freeing at the next flush. */
  private unlinkTable(e: number, l: number, lo: number, hi: number, vLo: number, vHi: number): void {
    const t = this.table;
    const c = t._w;
    t._queueFree(c.paddrLo(lo, hi, l), c.paddrHi(lo, hi, l), l + 1);
    t._forget();
    this.write(e, 0, 0);
    this.push(vLo, (vHi | this.rTopHi) >>> 0);
    this.rFreed++;
  }
}

/** Arrays the cursors share: each operation uses them only while it runs. */
class CursorScratch {
  // Tables created by the current region operation, for rollback: parent entry index, level, address.
  logParent: Int32Array = new Int32Array(16);
  logLevel: Int32Array = new Int32Array(16);
  logLo: Float64Array = new Float64Array(16);
  logHi: Float64Array = new Float64Array(16);
  // The tables map creates, per level.
  readonly newIdx: Int32Array;
  readonly newLo: Float64Array;
  readonly newHi: Float64Array;
  /** Tables needed per level to split the huge pages a range operation cuts (counted by its check pass). */
  readonly splitNeed: Int32Array;
  // Tables reserved for splits: word index, level (-1 once used), address.
  poolIdx: Int32Array = new Int32Array(8);
  poolLevel: Int32Array = new Int32Array(8);
  poolLo: Float64Array = new Float64Array(8);
  poolHi: Float64Array = new Float64Array(8);

  constructor(levels: number) {
    this.newIdx = new Int32Array(levels);
    this.newLo = new Float64Array(levels);
    this.newHi = new Float64Array(levels);
    this.splitNeed = new Int32Array(levels);
  }
}

// One scratch per level count, shared by every cursor: operations use it only while they run and do not nest
// (the one operation that runs user code meanwhile, mapRegion with a paddr function, takes its own).
const SCRATCH: (CursorScratch | undefined)[] = [];
function scratchFor(levels: number): CursorScratch {
  let k = SCRATCH[levels];
  if (k === undefined) {
    k = new CursorScratch(levels);
    SCRATCH[levels] = k;
  }
  return k;
}

function sharedError(op: string, lo: number, hi: number): never {
  throw new PagingError('SharedTable', `${op}: ${hex(joinAddr(lo, hi))} lies below a root entry shared by copyFrom; it is read-only here`);
}

function grow<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

function checkFlags(flags: MappingFlags, op: string): void {
  if (!Number.isInteger(flags) || flags < 0 || flags > MAPPING_FLAGS_ALL) {
    throw new TypeError(`${op}: "flags" ${String(flags)} is not a MappingFlags bit set (an integer in 0..63)`);
  }
  if (flags === 0) {
    throw new PagingError('InvalidFlags', `${op}: empty flags would write a non-present entry; use unmap to remove access`);
  }
}

function notAligned(op: string, what: string, lo: number, hi: number, shift: number): never {
  throw new PagingError('NotAligned', `${op}: "${what}" ${hex(joinAddr(lo, hi))} is not aligned to ${formatPageSize(2 ** shift)}`);
}

function badPa(op: string, t: PageTable64, lo: number, hi: number): never {
  throw new PagingError('InvalidAddress', `${op}: "paddr" ${hex(joinAddr(lo, hi))} is beyond the ${t.meta.paMaxBits}-bit ${t.meta.name} physical address space`);
}
