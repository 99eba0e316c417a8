// Reading tables that someone else built (a memory dump, a guest, a running system), tolerantly: every mapping
// as coalesced runs in address order, the permissions the levels grant together, and what is wrong with the
// memory as diagnostics instead of exceptions. Architecture-free: what an architecture knows beyond its codec
// (hierarchical limits, reserved bits, attribute names) comes in through an optional EntryInspector.
import { joinAddr, PAIR, splitAddr, toBigAddr } from './_addr';
import { LOW_MASK_HI, LOW_MASK_LO, POW2, TWO32 } from './_pairs';
import { hex } from './errors';
import { MAPPING_FLAGS_ALL, MappingFlags } from './flags';
import type { AddrInput, GenericPTE, PagingHandler, PagingMetaData, PhysAddr, PTEWords, VirtAddr } from './interfaces';
import { PageTable64 } from './table/page-table';
import { wordsOf, wordsToBits } from './words';

const USER = MappingFlags.USER;
const ALL_FLAGS = MAPPING_FLAGS_ALL;

/** A table limit that restricts nothing: every flag kept for kernel and for user mappings. */
export const NO_LIMIT: number = ALL_FLAGS | (ALL_FLAGS << 8);

/**
 * Packs what a table entry lets the entries below it keep: the MappingFlags a kernel (non-USER) mapping may
 * keep in bits 5:0, those a USER mapping may keep in bits 13:8. The walk ANDs the limits of every table entry
 * on the way down and applies the result to the leaf's flags (see {@link EntryInspector.tableLimit}).
 * @example tableLimit(ALL & ~WRITE, ALL & ~WRITE & ~EXECUTE) // no writes below; no user execution below
 */
export function tableLimit(kernel: MappingFlags, user: MappingFlags): number {
  return (kernel & ALL_FLAGS) | ((user & ALL_FLAGS) << 8);
}

/**
 * What an architecture knows about its entries beyond the codec, for dumps. Every member is optional, and a
 * codec may carry these methods itself (a third-party architecture), in which case the dump uses them when no
 * inspector is given. All methods take the entry as (lo, hi) u32 words, pure and allocation-free except where a
 * string is returned for a problem or a listing.
 */
export interface EntryInspector {
  /** Names of the levels, root first, for listings ('PML4', 'PDPT', 'PD', 'PT'). */
  readonly levelNames?: readonly string[];
  /**
   * What a present table (non-leaf) entry at `level` lets the mappings below it keep, packed by
   * {@link tableLimit} (x86: R/W = 0 removes WRITE, U/S = 0 removes USER, XD removes EXECUTE; AArch64:
   * APTable, UXNTable / PXNTable). Absent: {@link NO_LIMIT}.
   */
  tableLimit?(lo: number, hi: number, level: number): number;
  /**
   * A present entry that the hardware would refuse (reserved bits set, a reserved encoding, a misaligned
   * superpage): a one-line description, or undefined when the entry is fine. Such an entry is reported as a
   * 'Reserved' diagnostic and neither listed nor followed.
   */
  problem?(lo: number, hi: number, level: number, leaf: boolean): string | undefined;
  /**
   * The attribute bits of a leaf that decide whether two adjacent leaves are one run (low and high word).
   * Absent: the entry with its address cleared. Leave out bits that vary page by page without changing the
   * mapping (accessed, dirty, software bits).
   */
  attrLo?(lo: number, hi: number, level: number): number;
  /** High word of {@link attrLo}. */
  attrHi?(lo: number, hi: number, level: number): number;
  /** The architecture's names of the attribute bits set in an entry, for listings: `'P RW US A D G XD'`. */
  describe?(lo: number, hi: number, level: number, leaf: boolean): string;
}

/**
 * One root of a dump: a table address and the virtual addresses it translates. Formats with one table for the
 * whole space list it twice when the space has two halves (x86_64 CR3: the lower and the upper half), formats
 * with two registers list each (AArch64 TTBR0/TTBR1, ARMv7 TTBR0/TTBR1, LoongArch PGDL/PGDH).
 */
export interface DumpRoot {
  /** Physical address of the root table (CR3, TTBRn, satp.PPN << 12, PGDL/PGDH). */
  readonly root: AddrInput;
  /** First virtual address this root translates, as the CPU sees it (upper-half addresses in full). */
  readonly vaStart: AddrInput;
  /** One past the last, up to 2^64 (give `1n << 64n` for the top of the upper half). */
  readonly vaEnd: bigint | number;
  /**
   * log2 of the address space the root table indexes (default `meta.vaMaxBits`): 39 for an AArch64 TTBR with
   * TnSZ = 25, 32 - N for an ARMv7 TTBR0 with TTBCR.N. A virtual address is looked up by its low `vaBits` bits.
   */
  readonly vaBits?: number;
  /** Level of the root table in the format's geometry (default 0): 1 when an AArch64 walk starts at level 1. */
  readonly startLevel?: number;
  /** Whether this range is the kernel's (upper half, TTBR1, PGDH): used by the audit. */
  readonly kernel?: boolean;
  /** Whether table entries' hierarchical limits apply (default true; false for AArch64 with TCR.HPDn = 1). */
  readonly tableLimits?: boolean;
  /** Name of the register it came from, for listings: 'CR3', 'TTBR1_EL1'. */
  readonly label?: string;
}

/** A table format for dumps: its geometry, its codec and, optionally, its inspector. */
export interface DumpFormat {
  /** The geometry: levels, index widths, entry and table sizes. */
  readonly meta: PagingMetaData;
  /** The entry codec. */
  readonly pte: GenericPTE;
  /** What the architecture knows beyond the codec (limits, reserved bits, names); optional. */
  readonly inspector?: EntryInspector;
}

/** A format together with the memory its tables are read from. */
export interface DumpSource extends DumpFormat {
  /** The memory the tables are read from (a PhysicalMemory, a PagedMemory, any PagingHandler). */
  readonly handler: PagingHandler;
}

/** Options of {@link dumpMappings} and {@link translateAddress}. */
export interface DumpOptions {
  /** The roots to walk (default: the table's own root over its whole address space, see {@link defaultRoots}). */
  readonly roots?: readonly DumpRoot[];
  /** Overrides the format's inspector (default: the format's, else the codec's own methods, if any). */
  readonly inspector?: EntryInspector;
  /** Merge adjacent leaves with the same attributes into runs (default true); false lists each leaf. */
  readonly coalesce?: boolean;
  /** Stop after reading this many tables (default: no limit; the walk is bounded by the memory anyway). */
  readonly maxTables?: number;
  /** Called after each table is read, with the number read so far (progress reports). */
  readonly onTable?: (tablesRead: number) => void;
}

/** A run of leaves: consecutive virtual and physical addresses, the same page size and the same attributes. */
export interface MappingRun {
  /** Tells a run from a {@link DumpDiagnostic}. */
  readonly kind: 'mapping';
  /** First virtual address (as the CPU sees it: upper-half addresses sign-extended or from their register). */
  readonly vaddr: VirtAddr;
  /** One past the last virtual address. */
  readonly end: VirtAddr;
  /** Physical address of the first byte. */
  readonly paddr: PhysAddr;
  /** Bytes of the run (`end - vaddr`). */
  readonly size: bigint;
  /** Bytes one leaf maps (4 KiB, 2 MiB, ...). */
  readonly pageSize: number;
  /** Number of leaves in the run. */
  readonly pages: number;
  /** Level of the leaves (0 = root). */
  readonly level: number;
  /** MappingFlags of the leaf entries, as the codec decodes them. */
  readonly flags: MappingFlags;
  /** The flags the levels grant together (table limits applied): what an access can actually do. */
  readonly effective: MappingFlags;
  /** Raw bits of the first leaf entry. */
  readonly bits: bigint;
  /** The attribute bits the run shares ({@link EntryInspector.attrLo}). */
  readonly attrs: bigint;
  /** Whether the run is in a kernel range ({@link DumpRoot.kernel}). */
  readonly kernel: boolean;
  /** Index of the root (in the roots walked) it was found under. */
  readonly root: number;
}

/** What a diagnostic is about. */
export type DumpDiagnosticCode =
  /** The root table is not (entirely) inside the memory, or misaligned. */
  | 'RootUnreadable'
  /** A table entry points at a table that is not (entirely) inside the memory. */
  | 'OutsideMemory'
  /** A table entry points at an address not aligned to a table. */
  | 'Misaligned'
  /** A table entry points at a table already read in this dump (a shared table or a cycle); not followed. */
  | 'Revisited'
  /** The hardware would refuse the entry (reserved bits, reserved encoding); not listed, not followed. */
  | 'Reserved'
  /** A leaf at a level where the format has none (a 512 GiB x86 PML4E with PS set). */
  | 'LeafLevel'
  /** The `maxTables` budget ran out; the walk stopped there. */
  | 'Budget';

/** Something wrong found in the memory, attached to the entry where it was found. */
export interface DumpDiagnostic {
  /** Tells a diagnostic from a {@link MappingRun}. */
  readonly kind: 'diagnostic';
  /** What is wrong. */
  readonly code: DumpDiagnosticCode;
  /** One line: what was expected and what was found. */
  readonly message: string;
  /** Level of the entry (0 = root). */
  readonly level: number;
  /** Index of the entry in its table; -1 for the root itthis. */
  readonly index: number;
  /** First virtual address the entry translates. */
  readonly vaddr: VirtAddr;
  /** Physical address of the entry (of the root table for a root problem). */
  readonly entryPaddr: PhysAddr;
  /** Raw bits of the entry (0 for a root problem). */
  readonly bits: bigint;
  /** Index of the root it was found under. */
  readonly root: number;
}

/** One item of a dump, in virtual-address order within each root. */
export type DumpRecord = MappingRun | DumpDiagnostic;

/** Totals of a dump (so far, while it runs). */
export interface DumpSummary {
  /** Runs listed. */
  readonly runs: number;
  /** Leaf entries listed (a 16-entry ARMv7 supersection counts once). */
  readonly pages: number;
  /** Bytes mapped. */
  readonly bytes: bigint;
  /** Tables read at each level, root first (roots included, each once). */
  readonly tables: readonly number[];
  /** Bytes of those tables. */
  readonly tableBytes: number;
  /** Distinct 4 KiB frames they occupy (tables smaller than a frame share frames). */
  readonly tableFrames: number;
  /** Diagnostics reported. */
  readonly diagnostics: number;
}

/** The roots of a table attached at `root` over its whole address space (lower half, and upper half if any). */
export function defaultRoots(meta: PagingMetaData, root: AddrInput, label = 'root'): DumpRoot[] {
  const top = 1n << 64n;
  if (meta.signExtend && meta.upperHalf && meta.vaMaxBits < 64) {
    const half = 1n << BigInt(meta.vaMaxBits - 1);
    return [
      { root, vaStart: 0n, vaEnd: half, label: `${label} (lower half)`, kernel: false },
      { root, vaStart: top - half, vaEnd: top, label: `${label} (upper half)`, kernel: true },
    ];
  }
  return [{ root, vaStart: 0n, vaEnd: 1n << BigInt(meta.vaMaxBits), label, kernel: false }];
}

/** A dump source from a table or a source. */
function sourceOf(source: PageTable64 | DumpSource): DumpSource {
  if (source instanceof PageTable64) return { meta: source.meta, pte: source.pte, handler: source.handler };
  return source;
}

/** The inspector in force: the option, else the format's, else the codec's own methods. */
function inspectorOf(source: PageTable64 | DumpSource, options: DumpOptions): EntryInspector {
  if (options.inspector) return options.inspector;
  if (!(source instanceof PageTable64) && source.inspector) return source.inspector;
  return source.pte as EntryInspector;
}

/** A validated root, in the numbers the walk uses. */
interface Root {
  readonly lo: number;
  readonly hi: number;
  readonly level: number;
  /** entries of the root table that this root may use: [first, end) */
  readonly first: number;
  readonly end: number;
  readonly bytes: number;
  /** CPU address of index-space address 0: vaStart - (vaStart mod 2^vaBits), a multiple of 2^vaBits */
  readonly outBase: number;
  readonly kernel: boolean;
  readonly limits: boolean;
}

/** Checks a DumpRoot against the format and turns it into numbers; throws RangeError / PagingError for bad input. */
function prepareRoot(meta: PagingMetaData, r: DumpRoot, op: string): Root {
  const level = r.startLevel ?? 0;
  if (!Number.isInteger(level) || level < 0 || level >= meta.levels) {
    throw new RangeError(`${op}: startLevel ${String(level)} is outside 0..${meta.levels - 1}`);
  }
  let shift = meta.pageShift;
  for (let l = meta.levels - 1; l > level; l--) shift += meta.indexBits[l]!;
  const vaBits = r.vaBits ?? shift + meta.indexBits[level]!;
  if (!Number.isInteger(vaBits) || vaBits <= shift || vaBits > shift + meta.indexBits[level]!) {
    throw new RangeError(`${op}: vaBits ${String(vaBits)} does not fit a level-${level} root (${shift + 1}..${shift + meta.indexBits[level]!})`);
  }
  splitAddr(r.root, op, 'root');
  const lo = PAIR[0]!;
  const hi = PAIR[1]!;
  const start = toBigAddr(r.vaStart, op, 'vaStart');
  const end = typeof r.vaEnd === 'bigint' ? r.vaEnd : BigInt(r.vaEnd);
  const span = 1n << BigInt(vaBits);
  const idx = start % span;
  const page = BigInt(2 ** meta.pageShift);
  if (end <= start || end > 1n << 64n || idx + (end - start) > span || start % page !== 0n || end % page !== 0n) {
    throw new RangeError(`${op}: [${hex(start)}, ${hex(end)}) is not a page-aligned range inside one 2^${vaBits}-byte space`);
  }
  const entrySpan = 2 ** shift;
  const first = Math.floor(Number(idx) / entrySpan);
  const last = Math.ceil(Number(idx + (end - start)) / entrySpan);
  return {
    lo,
    hi,
    level,
    first,
    end: last,
    bytes: meta.entryBytes * 2 ** (vaBits - shift),
    outBase: Number(start - idx),
    kernel: r.kernel ?? false,
    limits: r.tableLimits !== false,
  };
}

/** Key of a table address in the visited set (exact: tables are at least 4-byte aligned). */
function keyOf(lo: number, hi: number): number | string {
  return hi < 0x200000 ? hi * TWO32 + lo : `${hi}:${lo}`;
}

/**
 * Copies the table of `bytes` bytes at physical (lo, hi) out of the handler into `into`; false when any of it
 * is not backed, or not contiguous in the handler's words. Reads nothing outside what the handler backs.
 */
function readTable(h: PagingHandler, lo: number, hi: number, bytes: number, into: Uint32Array): boolean {
  const n = bytes >>> 2;
  const t = h.wordIndex(lo, hi);
  if (t < 0 || t + n > h.words.length) return false;
  if (n > 1) {
    // the last word must be where the first one says it is (a paging handler may hold chunks anywhere)
    let lastLo = lo + bytes - 4;
    let lastHi = hi;
    if (lastLo >= TWO32) {
      lastLo -= TWO32;
      lastHi += 1;
      if (lastHi >= TWO32) return false;
    }
    if (h.wordIndex(lastLo, lastHi) !== t + n - 1) return false;
  }
  const w = h.words;
  for (let k = 0; k < n; k++) into[k] = w[t + k]!;
  return true;
}

/**
 * A lazily walked dump: iterate it for the records; {@link summary} holds the totals so far. Iterating again
 * walks again.
 */
export class MappingDump implements Iterable<DumpRecord> {
  private readonly src: DumpSource;
  private readonly insp: EntryInspector;
  private readonly roots: readonly DumpRoot[];
  private readonly options: DumpOptions;
  private runs = 0;
  private pages = 0;
  private bytes = 0;
  private tables: number[];
  private tBytes = 0;
  private tFrames = 0;
  private diags = 0;

  /** @internal use {@link dumpMappings} */
  constructor(source: PageTable64 | DumpSource, options: DumpOptions) {
    this.src = sourceOf(source);
    this.insp = inspectorOf(source, options);
    this.options = options;
    const rootsGiven = options.roots;
    if (rootsGiven === undefined && !(source instanceof PageTable64)) {
      throw new TypeError('dumpMappings: "roots" is required when the source is not a PageTable64');
    }
    this.roots = rootsGiven ?? defaultRoots(this.src.meta, (source as PageTable64).rootPaddr);
    for (const r of this.roots) prepareRoot(this.src.meta, r, 'dumpMappings');
    this.tables = new Array<number>(this.src.meta.levels).fill(0);
  }

  /** Totals so far. */
  get summary(): DumpSummary {
    return {
      runs: this.runs,
      pages: this.pages,
      bytes: BigInt(this.bytes),
      tables: [...this.tables],
      tableBytes: this.tBytes,
      tableFrames: this.tFrames,
      diagnostics: this.diags,
    };
  }

  /**
   * The record of a finished run. A method taking the run's numbers as arguments, not a closure over them: the
   * walk's run state then stays in registers (captured doubles would live boxed in a heap context).
   */
  private run(
    start: number,
    end: number,
    pa: number,
    shift: number,
    pages: number,
    level: number,
    flags: number,
    eff: number,
    bLo: number,
    bHi: number,
    aLo: number,
    aHi: number,
    kernel: boolean,
    root: number,
  ): MappingRun {
    this.runs++;
    return {
      kind: 'mapping',
      vaddr: BigInt(start),
      end: BigInt(end),
      paddr: BigInt(pa),
      size: BigInt(end - start),
      pageSize: POW2[shift]!,
      pages,
      level,
      flags,
      effective: eff,
      bits: wordsToBits(bLo, bHi),
      attrs: wordsToBits(aLo >>> 0, aHi >>> 0),
      kernel,
      root,
    };
  }

  /** Walks the roots and yields the records in address order (each iteration walks again). */
  [Symbol.iterator](): Generator<DumpRecord, void, undefined> {
    return this.walk();
  }

  private *walk(): Generator<DumpRecord, void, undefined> {
    const { meta, pte, handler: h } = this.src;
    const insp = this.insp;
    const w: PTEWords = wordsOf(pte);
    const levels = meta.levels;
    const last = levels - 1;
    const ew = meta.entryBytes >>> 2;
    const coalesce = this.options.coalesce !== false;
    const maxTables = this.options.maxTables ?? Number.POSITIVE_INFINITY;
    const onTable = this.options.onTable;
    const hasLimit = typeof insp.tableLimit === 'function';
    const hasProblem = typeof insp.problem === 'function';
    const hasAttr = typeof insp.attrLo === 'function' && typeof insp.attrHi === 'function';

    // geometry per level
    const shift = new Int32Array(levels);
    const size = new Float64Array(levels);
    const leafOk = new Uint8Array(levels);
    let s = meta.pageShift;
    for (let l = last; l >= 0; l--) {
      shift[l] = s;
      size[l] = 2 ** s;
      s += meta.indexBits[l]!;
    }
    for (const l of meta.leafLevels) leafOk[l] = 1;

    // walk state per level: a private copy of the table (so that a paging handler may reuse its cache while
    // the walk is below), the next index, the end index, the index-space address of entry 0, the limit in force
    // for the table's entries, and the table's physical address
    const copy: Uint32Array[] = [];
    for (let l = 0; l < levels; l++) copy.push(new Uint32Array(meta.tableBytes[l]! >>> 2));
    const ix = new Int32Array(levels);
    const end = new Int32Array(levels);
    const vbase = new Float64Array(levels);
    const lim = new Int32Array(levels);
    const tLo = new Float64Array(levels);
    const tHi = new Float64Array(levels);

    this.runs = 0;
    this.pages = 0;
    this.bytes = 0;
    this.tables.fill(0);
    this.tBytes = 0;
    this.tFrames = 0;
    this.diags = 0;

    const prepared = this.roots.map((r) => prepareRoot(meta, r, 'dumpMappings'));
    const visited = new Set<number | string>();
    for (const r of prepared) visited.add(keyOf(r.lo, r.hi));
    const rootCopies = new Map<string, Uint32Array>();
    let tablesRead = 0;
    let stopped = false;

    // distinct 4 KiB frames holding tables (1 KiB ARMv7 L2 tables share frames)
    const frames = new Set<number | string>();
    const countTable = (l: number, lo: number, hi: number, bytes: number): void => {
      this.tables[l] = this.tables[l]! + 1;
      this.tBytes += bytes;
      const first = lo - (lo % 4096);
      for (let off = 0; off < bytes + (lo - first); off += 4096) frames.add(keyOf((first + off) % TWO32, hi + Math.floor((first + off) / TWO32)));
      this.tFrames = frames.size;
      tablesRead++;
      onTable?.(tablesRead);
    };
    const diag = (code: DumpDiagnosticCode, message: string, l: number, index: number, va: number, bits: bigint, root: number): DumpDiagnostic => {
      this.diags++;
      const entryPaddr = joinAddr(tLo[l]!, tHi[l]!) + BigInt(index < 0 ? 0 : index * meta.entryBytes);
      return { kind: 'diagnostic', code, message, level: l, index, vaddr: BigInt(va), entryPaddr, bits, root };
    };
    const names = insp.levelNames;
    const where = (l: number, i: number): string => `${names?.[l] ?? `level ${l}`}[${i}]`;

    for (let r = 0; r < prepared.length && !stopped; r++) {
      const root = prepared[r]!;
      const L0 = root.level;
      tLo[L0] = root.lo;
      tHi[L0] = root.hi;
      const rkey = `${root.hi}:${root.lo}:${root.bytes}`;
      let rootTable = rootCopies.get(rkey);
      if (rootTable === undefined) {
        const align = Math.min(root.bytes, meta.tableBytes[L0]!, 4096);
        const buf = new Uint32Array(root.bytes >>> 2);
        if (root.lo % align !== 0) {
          yield diag('RootUnreadable', `root table at ${hex(joinAddr(root.lo, root.hi))} is not aligned to ${align} bytes`, L0, -1, root.outBase + root.first * size[L0]!, 0n, r);
          continue;
        }
        if (tablesRead >= maxTables) {
          yield diag('Budget', `stopped after ${tablesRead} tables (maxTables)`, L0, -1, root.outBase, 0n, r);
          break;
        }
        if (!readTable(h, root.lo, root.hi, root.bytes, buf)) {
          yield diag('RootUnreadable', `root table at ${hex(joinAddr(root.lo, root.hi))} (${root.bytes} bytes) is not inside the memory`, L0, -1, root.outBase + root.first * size[L0]!, 0n, r);
          continue;
        }
        rootCopies.set(rkey, buf);
        countTable(L0, root.lo, root.hi, root.bytes);
        rootTable = buf;
      }
      const tables: Uint32Array[] = copy.slice();
      tables[L0] = rootTable;
      ix[L0] = root.first;
      end[L0] = root.end;
      vbase[L0] = 0;
      lim[L0] = NO_LIMIT;
      const outBase = root.outBase;
      const kernel = root.kernel;
      const useLimits = hasLimit && root.limits;

      // the open run
      let open = false;
      let rStart = 0;
      let rEnd = 0;
      let rPa = 0;
      let rPaEnd = 0;
      let rShift = 0;
      let rLevel = 0;
      let rFlags = 0;
      let rEff = 0;
      let rALo = 0;
      let rAHi = 0;
      let rBLo = 0;
      let rBHi = 0;
      let rPages = 0;
      let l = L0;
      while (l >= L0) {
        if (ix[l]! >= end[l]!) {
          l--;
          continue;
        }
        const i = ix[l]!;
        ix[l] = i + 1;
        const tb = tables[l]!;
        const lo = tb[i * ew]!;
        const hi = ew === 2 ? tb[i * ew + 1]! : 0;
        if (!w.isPresent(lo, hi, l)) continue;
        const va = vbase[l]! + i * size[l]!;
        const leaf = l === last || w.isHuge(lo, hi, l);
        if (hasProblem) {
          const p = insp.problem!(lo, hi, l, leaf);
          if (p !== undefined) {
            if (open) {
              open = false;
              yield this.run(rStart, rEnd, rPa, rShift, rPages, rLevel, rFlags, rEff, rBLo, rBHi, rALo, rAHi, kernel, r);
            }
            yield diag('Reserved', `${where(l, i)}: ${p}`, l, i, outBase + va, wordsToBits(lo, hi), r);
            continue;
          }
        }
        if (leaf) {
          if (leafOk[l] === 0) {
            if (open) {
              open = false;
              yield this.run(rStart, rEnd, rPa, rShift, rPages, rLevel, rFlags, rEff, rBLo, rBHi, rALo, rAHi, kernel, r);
            }
            yield diag('LeafLevel', `${where(l, i)}: a leaf at level ${l}, where ${meta.name} has none`, l, i, outBase + va, wordsToBits(lo, hi), r);
            continue;
          }
          let ls = w.leafShift(lo, hi, l);
          if (ls < 0) ls = shift[l]!;
          const psize = POW2[ls]!;
          // a leaf stored as several identical entries (ARMv7 supersection, large page) is listed at its first
          if (ls > shift[l]! && va % psize !== 0) continue;
          // the page's physical address: the entry's, with the bits below the page size cleared (x86 PAT, bit 12
          // of a huge page, is not address), by masks on the two words rather than a floating-point remainder
          const pa =
            ((w.paddrHi(lo, hi, l) & ~LOW_MASK_HI[ls]!) >>> 0) * TWO32 + ((w.paddrLo(lo, hi, l) & ~LOW_MASK_LO[ls]!) >>> 0);
          const flags = w.flags(lo, hi, l);
          const lm = lim[l]!;
          const eff = flags & ((flags & USER) !== 0 ? (lm >>> 8) & ALL_FLAGS : lm & ALL_FLAGS);
          const aLo = hasAttr ? insp.attrLo!(lo, hi, l) : w.setPaddrLo(lo, hi, 0, 0, l);
          const aHi = hasAttr ? insp.attrHi!(lo, hi, l) : w.setPaddrHi(lo, hi, 0, 0, l);
          const ova = outBase + va;
          this.pages++;
          this.bytes += psize;
          if (
            coalesce &&
            open &&
            ova === rEnd &&
            pa === rPaEnd &&
            ls === rShift &&
            l === rLevel &&
            flags === rFlags &&
            eff === rEff &&
            aLo === rALo &&
            aHi === rAHi
          ) {
            rEnd += psize;
            rPaEnd += psize;
            rPages++;
            continue;
          }
          if (open) yield this.run(rStart, rEnd, rPa, rShift, rPages, rLevel, rFlags, rEff, rBLo, rBHi, rALo, rAHi, kernel, r);
          open = true;
          rStart = ova;
          rEnd = ova + psize;
          rPa = pa;
          rPaEnd = pa + psize;
          rShift = ls;
          rLevel = l;
          rFlags = flags;
          rEff = eff;
          rALo = aLo;
          rAHi = aHi;
          rBLo = lo;
          rBHi = hi;
          rPages = 1;
          continue;
        }
        // a table entry: check the next table, then descend into a private copy of it
        const cl = l + 1;
        const cLo = w.paddrLo(lo, hi, l) >>> 0;
        const cHi = w.paddrHi(lo, hi, l) >>> 0;
        const bytes = meta.tableBytes[cl]!;
        let problem: DumpDiagnosticCode | undefined;
        let message = '';
        const key = keyOf(cLo, cHi);
        if (cLo % Math.min(bytes, 4096) !== 0) {
          problem = 'Misaligned';
          message = `table at ${hex(joinAddr(cLo, cHi))} is not aligned to ${Math.min(bytes, 4096)} bytes`;
        } else if (visited.has(key)) {
          problem = 'Revisited';
          message = `table at ${hex(joinAddr(cLo, cHi))} was already reached (shared table or cycle); not followed again`;
        } else if (tablesRead >= maxTables) {
          problem = 'Budget';
          message = `stopped after ${tablesRead} tables (maxTables)`;
        } else if (!readTable(h, cLo, cHi, bytes, copy[cl]!)) {
          problem = 'OutsideMemory';
          message = `table at ${hex(joinAddr(cLo, cHi))} (${bytes} bytes) is not inside the memory`;
        }
        if (problem !== undefined) {
          if (open) {
            open = false;
            yield this.run(rStart, rEnd, rPa, rShift, rPages, rLevel, rFlags, rEff, rBLo, rBHi, rALo, rAHi, kernel, r);
          }
          yield diag(problem, `${where(l, i)}: ${message}`, l, i, outBase + va, wordsToBits(lo, hi), r);
          if (problem === 'Budget') {
            stopped = true;
            break;
          }
          continue;
        }
        visited.add(key);
        countTable(cl, cLo, cHi, bytes);
        tables[cl] = copy[cl]!;
        tLo[cl] = cLo;
        tHi[cl] = cHi;
        ix[cl] = 0;
        end[cl] = 1 << meta.indexBits[cl]!;
        vbase[cl] = va;
        lim[cl] = useLimits ? lim[l]! & insp.tableLimit!(lo, hi, l) : lim[l]!;
        l = cl;
      }
      if (open) yield this.run(rStart, rEnd, rPa, rShift, rPages, rLevel, rFlags, rEff, rBLo, rBHi, rALo, rAHi, kernel, r);
    }
  }
}

/**
 * Every mapping of a table as coalesced runs, in virtual-address order per root, with diagnostics for what is
 * wrong in the memory. Tolerant: a table pointer outside the memory, misaligned, or to a table already read
 * (shared or a cycle), and entries the inspector says the hardware would refuse, are reported as
 * {@link DumpDiagnostic}s on the entry and not followed; each table is read at most once, so the walk ends
 * within (memory size / table size) tables; nothing is read outside what the handler backs, and nothing throws
 * on malformed memory. Bad arguments (a root range that does not fit the format) throw at the call.
 *
 * @param source an attached table (its meta, codec, handler and root), or a format and a handler.
 * @example
 * const dump = dumpMappings(new X64PageTable(memory, { root: cr3 }));
 * for (const rec of dump) if (rec.kind === 'mapping') console.log(rec.vaddr, rec.size, rec.effective);
 * dump.summary.tables; // [1, 2, 3, 5]
 */
export function dumpMappings(source: PageTable64 | DumpSource, options: DumpOptions = {}): MappingDump {
  return new MappingDump(source, options);
}

/** One step of a {@link translateAddress} walk: the entry read at one level. */
export interface TranslationStep {
  /** Level of the table the entry is in (0 = root). */
  readonly level: number;
  /** Index of the entry in its table. */
  readonly index: number;
  /** Physical address of the entry. */
  readonly entryPaddr: PhysAddr;
  /** Raw bits of the entry. */
  readonly bits: bigint;
}

/** The result of {@link translateAddress}. */
export interface Translation {
  /** The address translated. */
  readonly vaddr: VirtAddr;
  /** Whether a present leaf maps the address. */
  readonly mapped: boolean;
  /** The physical address it translates to (when mapped). */
  readonly paddr?: PhysAddr;
  /** Bytes of the leaf (when mapped). */
  readonly pageSize?: number;
  /** Level of the leaf (when mapped). */
  readonly level?: number;
  /** The leaf's MappingFlags (when mapped). */
  readonly flags?: MappingFlags;
  /** The flags the levels grant together (when mapped). */
  readonly effective?: MappingFlags;
  /** Index of the root used, or -1 when none translates the address. */
  readonly root: number;
  /** The entries read, root first. */
  readonly steps: readonly TranslationStep[];
  /** Why it is not mapped, when it is not: a non-present entry, a diagnostic, no root for the address. */
  readonly reason?: string;
}

/**
 * Translates one virtual address through the roots, level by level, with the same tolerance as
 * {@link dumpMappings}: nothing outside the memory is read and malformed memory gives a `reason`, never an
 * exception. Works on any handler (it keeps no word index across reads).
 * @throws PagingError 'InvalidAddress' when `vaddr` is not a 64-bit address.
 * @example
 * translateAddress(table, 0xffff_8000_0000_1234n); // { mapped: true, paddr: 0x1234n, pageSize: 1073741824, ... }
 */
export function translateAddress(source: PageTable64 | DumpSource, vaddr: AddrInput, options: DumpOptions = {}): Translation {
  const src = sourceOf(source);
  const insp = inspectorOf(source, options);
  const { meta, pte, handler: h } = src;
  const va = toBigAddr(vaddr, 'translateAddress', 'vaddr');
  if (options.roots === undefined && !(source instanceof PageTable64)) {
    throw new TypeError('translateAddress: "roots" is required when the source is not a PageTable64');
  }
  const roots = options.roots ?? defaultRoots(meta, (source as PageTable64).rootPaddr);
  const steps: TranslationStep[] = [];
  let r = -1;
  for (let k = 0; k < roots.length; k++) {
    const start = toBigAddr(roots[k]!.vaStart, 'translateAddress', 'vaStart');
    const endVa = roots[k]!.vaEnd;
    if (va >= start && va < (typeof endVa === 'bigint' ? endVa : BigInt(endVa))) {
      r = k;
      break;
    }
  }
  if (r < 0) return { vaddr: va, mapped: false, root: -1, steps, reason: `no root translates ${hex(va)} (outside every register's range)` };
  const root = prepareRoot(meta, roots[r]!, 'translateAddress');
  const w = wordsOf(pte);
  const names = insp.levelNames;
  const idx = va - BigInt(root.outBase);
  let shift = meta.pageShift;
  const shifts: number[] = [];
  for (let l = meta.levels - 1; l >= 0; l--) {
    shifts[l] = shift;
    shift += meta.indexBits[l]!;
  }
  const limits = root.limits && typeof insp.tableLimit === 'function';
  let lim = NO_LIMIT;
  let tLo = root.lo;
  let tHi = root.hi;
  for (let l = root.level; l < meta.levels; l++) {
    const entries = l === root.level ? root.bytes / meta.entryBytes : 2 ** meta.indexBits[l]!;
    const i = Number((idx >> BigInt(shifts[l]!)) % BigInt(entries));
    const entryPa = joinAddr(tLo, tHi) + BigInt(i * meta.entryBytes);
    const name = `${names?.[l] ?? `level ${l}`}[${i}]`;
    splitAddr(entryPa, 'translateAddress', 'entry');
    const t = h.wordIndex(PAIR[0]!, PAIR[1]!);
    if (t < 0 || t + (meta.entryBytes >>> 2) > h.words.length) {
      return { vaddr: va, mapped: false, root: r, steps, reason: `${name} at ${hex(entryPa)} is not inside the memory` };
    }
    const lo = h.words[t]!;
    const hi = meta.entryBytes === 8 ? h.words[t + 1]! : 0;
    steps.push({ level: l, index: i, entryPaddr: entryPa, bits: wordsToBits(lo, hi) });
    if (!w.isPresent(lo, hi, l)) return { vaddr: va, mapped: false, root: r, steps, reason: `${name} is not present` };
    const leaf = l === meta.levels - 1 || w.isHuge(lo, hi, l);
    const p = typeof insp.problem === 'function' ? insp.problem(lo, hi, l, leaf) : undefined;
    if (p !== undefined) return { vaddr: va, mapped: false, root: r, steps, reason: `${name}: ${p}` };
    if (leaf) {
      if (!meta.leafLevels.includes(l)) return { vaddr: va, mapped: false, root: r, steps, reason: `${name}: a leaf at level ${l}, where ${meta.name} has none` };
      let ls = w.leafShift(lo, hi, l);
      if (ls < 0) ls = shifts[l]!;
      const psize = 2n ** BigInt(ls);
      const base = joinAddr(w.paddrLo(lo, hi, l) >>> 0, w.paddrHi(lo, hi, l) >>> 0);
      const flags = w.flags(lo, hi, l);
      const effective = flags & ((flags & USER) !== 0 ? (lim >>> 8) & ALL_FLAGS : lim & ALL_FLAGS);
      return {
        vaddr: va,
        mapped: true,
        paddr: base - (base % psize) + (idx % psize),
        pageSize: 2 ** ls,
        level: l,
        flags,
        effective,
        root: r,
        steps,
      };
    }
    const cLo = w.paddrLo(lo, hi, l) >>> 0;
    const cHi = w.paddrHi(lo, hi, l) >>> 0;
    if (cLo % Math.min(meta.tableBytes[l + 1]!, 4096) !== 0) {
      return { vaddr: va, mapped: false, root: r, steps, reason: `${name}: table at ${hex(joinAddr(cLo, cHi))} is misaligned` };
    }
    if (limits) lim &= insp.tableLimit!(lo, hi, l);
    tLo = cLo;
    tHi = cHi;
  }
  return { vaddr: va, mapped: false, root: r, steps, reason: 'no leaf' };
}

/**
 * Why a root cannot be read, or undefined when its table is inside the memory: for tools that want to refuse
 * a wrong register value up front ("CR3 0x... is outside the dump") instead of listing one diagnostic.
 * @throws RangeError for a root that does not fit the format (as {@link dumpMappings}).
 */
export function checkRoot(source: DumpSource | PageTable64, root: DumpRoot): string | undefined {
  const { meta, handler } = sourceOf(source);
  const r = prepareRoot(meta, root, 'checkRoot');
  const pa = hex(joinAddr(r.lo, r.hi));
  const align = Math.min(r.bytes, meta.tableBytes[r.level]!, 4096);
  if (r.lo % align !== 0) return `root ${pa} is not aligned to ${align} bytes`;
  const buf = new Uint32Array(r.bytes >>> 2);
  if (!readTable(handler, r.lo, r.hi, r.bytes, buf)) return `root table ${pa} (${r.bytes} bytes) is outside the memory`;
  return undefined;
}

/** The name of a level for listings: the inspector's, else `L<level>`. */
export function levelName(format: DumpFormat, level: number): string {
  return format.inspector?.levelNames?.[level] ?? `L${level}`;
}
