// What a dump reads with: the format and the memory, the roots (a register's table and the addresses it translates),
// what an architecture knows beyond its codec (an EntryInspector), and the reading of tables out of a memory that
// may not hold them. Architecture-free.
import { joinAddr, PAIR, splitAddr, toBigAddr } from '../_addr';
import { TWO32 } from '../_pairs';
import { hex } from '../errors';
import type { MAPPING_FLAGS_ALL, MappingFlags } from '../flags';
import type { AddrInput, GenericPTE, PagingHandler, PagingMetaData } from '../interfaces';
import { Descent, type DescentFormat } from '../table/descent';
import { geometryOf } from '../table/geometry';
import { PageTable64 } from '../table/page-table';
import { wordsOf } from '../words';

// Literals (checked against MappingFlags by their types), not reads of it: a bundle that does not use them drops them.
/** The USER flag and every flag, as numbers. */
export const USER: number = 8 satisfies typeof MappingFlags.USER;
export const ALL_FLAGS: number = 63 satisfies typeof MAPPING_FLAGS_ALL;

/** A table limit that restricts nothing: every flag kept for kernel and for user mappings (ALL_FLAGS | ALL_FLAGS << 8). */
export const NO_LIMIT: number = 0x3f3f;

/**
 * Packs what a table entry lets the entries below it keep: the MappingFlags a kernel (non-USER) mapping may
 * keep in bits 5:0, those a USER mapping may keep in bits 13:8, and (optional) the flags it grants every mapping
 * below whatever its entries say, in bits 21:16: an ARMv7 Manager domain, whose accesses are not checked against
 * the permission bits (ARM DDI 0406C.d B3.12.3). The walk combines the limits of the table entries on the way down
 * (what every one keeps, and what any one grants) and gives a leaf `(flags & kept) | granted` (see
 * {@link EntryInspector.tableLimit}).
 * @example tableLimit(ALL & ~WRITE, ALL & ~WRITE & ~EXECUTE) // no writes below; no user execution below
 */
export function tableLimit(kernel: MappingFlags, user: MappingFlags, grant: MappingFlags = 0): number {
  return (kernel & ALL_FLAGS) | ((user & ALL_FLAGS) << 8) | ((grant & ALL_FLAGS) << 16);
}

/** The limit below two table entries, each packed by {@link tableLimit}: what both keep, and what either grants. */
export function combineLimits(outer: number, inner: number): number {
  return (outer & inner & 0x3f3f) | ((outer | inner) & 0x3f_0000);
}

/** A leaf's effective flags under a packed limit: the kernel's or the user's part kept, and the grant added. */
export function effectiveFlags(flags: number, limit: number): number {
  return (flags & ((flags & USER) !== 0 ? (limit >>> 8) & ALL_FLAGS : limit & ALL_FLAGS)) | ((limit >>> 16) & ALL_FLAGS);
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
   * APTable, UXNTable / PXNTable; ARMv7: the domain's DACR field, which may also grant). Absent: {@link NO_LIMIT}.
   */
  tableLimit?(lo: number, hi: number, level: number): number;
  /**
   * What a leaf's own entry takes away from (or grants) its mapping beyond its permission bits, packed by
   * {@link tableLimit} and combined with the table entries' limits above it (ARMv7: the domain of a Section, whose
   * DACR field may deny every access or bypass the permission checks). Absent: nothing.
   */
  leafLimit?(lo: number, hi: number, level: number): number;
  /**
   * A present entry that the hardware would refuse (reserved bits set, a reserved encoding, a misaligned
   * superpage): a one-line description, or undefined when the entry is fine. Such an entry is reported as a
   * 'Reserved' diagnostic and neither listed nor followed.
   */
  problem?(lo: number, hi: number, level: number, leaf: boolean): string | undefined;
  /**
   * The attribute bits of a leaf that decide whether two adjacent leaves are one run (low and high word).
   * Absent: the entry with its address cleared. Leave out bits that vary page by page without changing the
   * mapping (accessed, dirty, software bits). Like the codec's readings (`PTELayout`), neither these nor
   * {@link leafLimit} may read the address bits of a last-level entry: a dump extends a run over entries that differ
   * from the one before only there.
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
  /**
   * Width of the tag the architecture allows in the top bits of this range's addresses (default 0): 8 for AArch64,
   * whose bits 63:56 are a tag (Arm ARM D8.8 "Address tagging"). The range is then chosen by the bit below the tag.
   */
  readonly tagBits?: number;
  /**
   * Whether the tag is ignored for translation (AArch64 TCR.TBIn = 1): a tagged address translates as its untagged
   * form. When false, an address with a tag that differs from the bit below it is refused, with the reason.
   */
  readonly tagsIgnored?: boolean;
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
  /**
   * Walk a table that is reached again, at its level and under the same permissions, under every entry that reaches
   * it (default false: it is listed once, and each later entry that reaches it is a `SharedTable` record that counts
   * what it stands for). A table reached again under other permissions is walked again either way; a cycle is a
   * diagnostic either way. The walk then grows with the number of paths, not of tables: bound it with `maxTables`.
   */
  readonly expandShared?: boolean;
  /** Called after each table is read, with the number read so far (progress reports). */
  readonly onTable?: (tablesRead: number) => void;
}

/** The roots of a table attached at `root` over its whole address space (lower half, and upper half if any; its window if it has one). */
export function defaultRoots(meta: PagingMetaData, root: AddrInput, label = 'root'): DumpRoot[] {
  const top = 1n << 64n;
  if (meta.window !== undefined) return [{ root, vaStart: meta.window.start, vaEnd: meta.window.end, label, kernel: false }];
  if (meta.lowerHalf === false) return [{ root, vaStart: top - (1n << BigInt(meta.vaMaxBits)), vaEnd: top, label, kernel: true }];
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
export function sourceOf(source: PageTable64 | DumpSource): DumpSource {
  if (source instanceof PageTable64) return { meta: source.meta, pte: source.pte, handler: source.handler };
  return source;
}

/** The inspector in force: the option, else the format's, else the codec's own methods. */
export function inspectorOf(source: PageTable64 | DumpSource, options: DumpOptions): EntryInspector {
  if (options.inspector) return options.inspector;
  if (!(source instanceof PageTable64) && source.inspector) return source.inspector;
  return source.pte as EntryInspector;
}

/** A validated root, in the numbers the walk uses. */
export interface Root {
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
export function prepareRoot(meta: PagingMetaData, r: DumpRoot, op: string): Root {
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
export function keyOf(lo: number, hi: number): number | string {
  return hi < 0x200000 ? hi * TWO32 + lo : `${hi}:${lo}`;
}

/**
 * Copies the table of `bytes` bytes at physical (lo, hi) out of the handler into `into`; false when any of it
 * is not backed, or not contiguous in the handler's words. Reads nothing outside what the handler backs.
 */
export function readTable(h: PagingHandler, lo: number, hi: number, bytes: number, into: Uint32Array): boolean {
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


/** The format as the shared descent (table/descent.ts) reads it. */
export function descentFormat(meta: PagingMetaData, pte: GenericPTE): DescentFormat {
  const g = geometryOf(meta);
  const w = wordsOf(pte);
  const hint = g.runBits.some((b) => b > 0) ? w.run : undefined;
  return {
    _w: w,
    _ew: meta.entryBytes >>> 2,
    _last: meta.levels - 1,
    _bits: g.bits,
    _shift: g.shift,
    _runBits: g.runBits,
    _runLo: hint === undefined ? 0 : hint.hintLo,
    _runHi: hint === undefined ? 0 : hint.hintHi,
  };
}

/** (lo, hi) of the number x (an integer below 2^64 that is exact as a double) into PAIR. */
export function pairOf(x: number): void {
  const hi = Math.floor(x / TWO32);
  PAIR[0] = x - hi * TWO32;
  PAIR[1] = hi;
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

/**
 * A descent clipped to the addresses [first, last] (index space, inclusive): in every table it opens, only the
 * entries that cover some of them. The dump clips to a root's entries, a translation to one address.
 */
export class RangeDescent extends Descent {
  private readonly fLo: number;
  private readonly fHi: number;
  private readonly lLo: number;
  private readonly lHi: number;

  constructor(fmt: DescentFormat, firstLo: number, firstHi: number, lastLo: number, lastHi: number) {
    super(fmt, null, null);
    this.fLo = firstLo;
    this.fHi = firstHi;
    this.lLo = lastLo;
    this.lHi = lastHi;
  }

  protected override _bounds(l: number, baseLo: number, baseHi: number): void {
    const s = Math.log2(this._size[l]!);
    const first = indexIn(this.fLo, this.fHi, baseLo, baseHi, s);
    const last = indexIn(this.lLo, this.lHi, baseLo, baseHi, s);
    const end = this._endOf(l);
    this._setBounds(l, first, last < end - 1 ? last + 1 : end);
  }
}

/**
 * Index, in a table whose first address is (baseLo, baseHi) and whose entries cover 2^s bytes, of the entry holding
 * (lo, hi): 0 for an address before the table, large for one past it (the caller compares it with its end).
 */
function indexIn(lo: number, hi: number, baseLo: number, baseHi: number, s: number): number {
  // the difference as an exact pair, then shifted: a double would round a 57-bit difference
  let dLo = lo - baseLo;
  let dHi = hi - baseHi;
  if (dLo < 0) {
    dLo += 4294967296;
    dHi -= 1;
  }
  if (dHi < 0) return 0;
  if (s >= 32) return Math.floor(dHi / 2 ** (s - 32));
  return dHi * 2 ** (32 - s) + Math.floor(dLo / 2 ** s);
}

