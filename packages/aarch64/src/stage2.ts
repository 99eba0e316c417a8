// AArch64 stage 2 translation tables: what a hypervisor at EL2 builds, and VTTBR_EL2 points at, to translate its
// EL1 guest's intermediate physical addresses (IPAs) to physical addresses.
// Source: Arm ARM DDI 0487 (K.a numbering), D8.2 "Translation process" and the pseudocode functions it uses:
// - AArch64.S2StartLevel(): VTCR_EL2.SL0 with TG0 gives the lookup level the walk starts at: 4 KiB 0b00 level 2,
//   0b01 level 1, 0b10 level 0 (0b11, level 3, needs FEAT_TTST); 16 and 64 KiB 0b00 level 3, 0b01 level 2, 0b10
//   level 1 (16 KiB 0b11, level 0, needs FEAT_LPA2; 64 KiB 0b11 is reserved).
// - AArch64.S2InconsistentSL(): the initial lookup resolves at least 1 and at most granule bits - 3 + 4 bits of the
//   IPA: a whole table and up to 16 tables concatenated (D8.2, "concatenated translation tables for the initial
//   stage 2 lookup"). A concatenated root is 2 to 16 adjacent tables, aligned to its whole size, indexed as one.
// - AArch64.S2InvalidSL(): level 0 with 4 KiB and level 1 with 64 KiB need a physical address size of at least 44
//   bits, level 1 with 16 KiB at least 42 (ID_AA64MMFR0_EL1.PARange, a property of the CPU, not of the table).
// - T0SZ ranges over 16..39 (48 to 25 IPA bits) without FEAT_LPA / LPA2 and FEAT_TTST.
import {
  defineMetaData,
  type MappingFlags,
  type AddrInput,
  type PageSize,
  type PageTableOptions,
  PageTable64,
  PageTable64Cursor,
  type PaddrSource,
  PagingError,
  type PagingHandler,
  type PagingMetaData,
} from '@page-table-multiarch/core';
import { type A64Stage2Codec, a64Stage2Codec } from '@page-table-multiarch/entry/aarch64';
import { type A64Granule, granuleShift } from './metadata';

/** The shape of an AArch64 stage 2 table, as D8.2 derives it from the granule, T0SZ and SL0. */
export interface A64Stage2Geometry {
  /** The granule in KiB. */
  readonly granule: A64Granule;
  /** The IPA width, 64 - VTCR_EL2.T0SZ. */
  readonly ipaBits: number;
  /** The lookup level the walk starts at. */
  readonly startLevel: number;
  /** VTCR_EL2.SL0 for that start level and granule. */
  readonly sl0: number;
  /** Number of levels the walk reads (4 - startLevel). */
  readonly levels: number;
  /** Entries of the root (2 to 16 tables' worth). */
  readonly rootEntries: number;
  /** How many granule-sized tables the root is (1 when it is one table or less, up to 16 concatenated). */
  readonly concatenated: number;
  /** Index width of each level, root first. */
  readonly indexBits: readonly number[];
  /** Levels of the table (0 = root) that may hold Block descriptors. */
  readonly blockLevels: readonly number[];
  /** Bytes mapped by a leaf at each level, root first. */
  readonly leafBytes: readonly number[];
}

/** The lookup levels the walk may start at for each granule, without FEAT_TTST and FEAT_LPA2. */
function startLevels(granule: A64Granule): readonly number[] {
  return granule === 4 ? [0, 1, 2] : [1, 2, 3];
}

/** VTCR_EL2.SL0 for a start level (AArch64.S2StartLevel() read backwards). */
export function sl0Of(granule: A64Granule, startLevel: number): number {
  return granule === 4 ? 2 - startLevel : 3 - startLevel;
}

/**
 * The shape of a stage 2 table for a granule, an IPA width and, optionally, the start level (default: the latest
 * level that can start the walk, with concatenated tables where they save a level, as KVM chooses): D8.2 and the
 * pseudocode named above. E.g. 4 KiB with 40 bits starts at level 1 with 2 concatenated tables (1024 entries);
 * 16 KiB with 40 bits at level 2 with 16 (32768 entries); 64 KiB with 48 bits at level 1 (64 entries).
 * @throws RangeError for a granule other than 4, 16 or 64, a width outside 25..48, or a start level the granule does
 *   not have or that cannot resolve that width (fewer than 1 or more than 16 tables' worth of root entries).
 */
export function a64Stage2Geometry(granule: A64Granule, ipaBits: number, startLevel?: number): A64Stage2Geometry {
  const fn = 'a64Stage2Geometry';
  if (granule !== 4 && granule !== 16 && granule !== 64) throw new RangeError(`${fn}: granule ${String(granule)} is not 4, 16 or 64 (KiB)`);
  if (!Number.isInteger(ipaBits) || ipaBits < 25 || ipaBits > 48) {
    throw new RangeError(`${fn}: ${String(ipaBits)}-bit IPAs are outside 25..48 (T0SZ 16..39)`);
  }
  const gs = granuleShift(granule);
  const stride = gs - 3;
  // bits the initial lookup resolves at each start level (AArch64.S2InconsistentSL(): 1 .. stride + 4, up to 16
  // concatenated tables: 17 bits for 64 KiB tables)
  const rootBitsAt = (level: number) => ipaBits - gs - (3 - level) * stride;
  const fits = (level: number) => rootBitsAt(level) >= 1 && rootBitsAt(level) <= stride + 4;
  const levels = startLevels(granule);
  let start: number;
  if (startLevel === undefined) {
    const latest = [...levels].reverse().find(fits);
    if (latest === undefined) throw new RangeError(`${fn}: no start level resolves ${ipaBits} bits with the ${granule} KiB granule`);
    start = latest;
  } else {
    if (!levels.includes(startLevel)) {
      throw new RangeError(`${fn}: start level ${String(startLevel)} is not one of ${levels.join(', ')} for the ${granule} KiB granule`);
    }
    if (!fits(startLevel)) {
      throw new RangeError(
        `${fn}: a walk from level ${startLevel} resolves ${rootBitsAt(startLevel)} bits at its first lookup for ${ipaBits}-bit IPAs (1..${stride + 4} allowed)`,
      );
    }
    start = startLevel;
  }
  const rootBits = rootBitsAt(start);
  const n = 4 - start;
  const indexBits = [rootBits, ...Array.from({ length: n - 1 }, () => stride)];
  const blockLevels: number[] = [];
  const leafBytes: number[] = [];
  for (let l = 0; l < n; l++) {
    const lookup = start + l;
    leafBytes.push(2 ** (gs + (3 - lookup) * stride));
    // AArch64.BlockDescSupported(): 4 KiB blocks at lookup levels 1 and 2; 16 and 64 KiB at level 2
    if (lookup === 2 || (lookup === 1 && granule === 4)) blockLevels.push(l);
  }
  return Object.freeze({
    granule,
    ipaBits,
    startLevel: start,
    sl0: sl0Of(granule, start),
    levels: n,
    rootEntries: 2 ** rootBits,
    concatenated: Math.max(1, 2 ** (rootBits - stride)),
    indexBits: Object.freeze(indexBits),
    blockLevels: Object.freeze(blockLevels),
    leafBytes: Object.freeze(leafBytes),
  });
}

/** Physical address widths VTCR_EL2.PS encodes (0b000 .. 0b101; 52 bits, 0b110, needs FEAT_LPA). */
export const A64_STAGE2_PA_BITS: readonly number[] = /* @__PURE__ */ Object.freeze([32, 36, 40, 42, 44, 48]);

const METAS = new Map<string, PagingMetaData>();

/**
 * The metadata of an AArch64 stage 2 table: IPAs from 0 up to 2^ipaBits (there is no upper range at stage 2; an
 * IPA at or above it is InvalidAddress), the root sized and aligned as its concatenated tables are (at least 64
 * bytes, as VTTBR_EL2.BADDR is), output addresses of `paBits` (VTCR_EL2.PS: 32, 36, 40, 42, 44 or 48; default 48).
 * One object per set of arguments.
 * @throws RangeError as {@link a64Stage2Geometry}, and for a `paBits` VTCR_EL2.PS does not encode.
 * @example
 * a64Stage2MetaData(4, 40).indexBits; // [10, 9, 9] (KVM's default: two concatenated level 1 tables)
 */
export function a64Stage2MetaData(granule: A64Granule, ipaBits: number, startLevel?: number, paBits = 48): PagingMetaData {
  const g = a64Stage2Geometry(granule, ipaBits, startLevel);
  if (!A64_STAGE2_PA_BITS.includes(paBits)) {
    throw new RangeError(`a64Stage2MetaData: ${String(paBits)}-bit physical addresses are not one of ${A64_STAGE2_PA_BITS.join(', ')} (VTCR_EL2.PS)`);
  }
  const key = `${granule}:${ipaBits}:${g.startLevel}:${paBits}`;
  let m = METAS.get(key);
  if (m !== undefined) return m;
  m = defineMetaData({
    name: `AArch64 stage 2 ${granule}K/${ipaBits} L${g.startLevel}${g.concatenated > 1 ? ` x${g.concatenated}` : ''}`,
    paMaxBits: paBits,
    pageShift: granuleShift(granule),
    indexBits: g.indexBits,
    entryBytes: 8,
    tableBytes: g.indexBits.map((b) => Math.max(64, 8 << b)),
    leafLevels: g.blockLevels,
    vaTopBit: Math.max(ipaBits, 32),
    upperHalf: false,
    signExtend: false,
    ...(ipaBits < 32 ? { window: { start: 0n, end: 1n << BigInt(ipaBits) } } : {}),
  });
  METAS.set(key, m);
  return m;
}

/** Options of {@link A64Stage2PageTable}: the core's and the stage 2 format's. */
export interface A64Stage2TableOptions extends PageTableOptions {
  /** The granule in KiB (VTCR_EL2.TG0): 4 (default), 16 or 64. Fixed by the named classes. */
  readonly granule?: A64Granule;
  /** The IPA width, 64 - VTCR_EL2.T0SZ: 25..48 (default 40). Fixed by the named classes. */
  readonly ipaBits?: number;
  /** The lookup level of the root (VTCR_EL2.SL0); default the latest that resolves `ipaBits` (see `a64Stage2Geometry`). */
  readonly startLevel?: number;
  /** The output (physical) address width, VTCR_EL2.PS: 32, 36, 40, 42, 44 or 48 (default 48). */
  readonly paBits?: number;
  /** Read XN[1:0] as FEAT_XNX does (see `a64Stage2Codec`). Default false. */
  readonly xnx?: boolean;
}

/** The format of a stage 2 table: its geometry, output width and codec. */
export interface A64Stage2Format {
  /** Granule, IPA width, start level, concatenated tables, block sizes. */
  readonly geometry: A64Stage2Geometry;
  /** The physical address width (VTCR_EL2.PS). */
  readonly paBits: number;
  /** The codec. */
  readonly codec: A64Stage2Codec;
}

/** The format for `options`, checked (RangeError for bad values). */
function formatOf(options: A64Stage2TableOptions): A64Stage2Format {
  const geometry = a64Stage2Geometry(options.granule ?? 4, options.ipaBits ?? 40, options.startLevel);
  const paBits = options.paBits ?? 48;
  a64Stage2MetaData(geometry.granule, geometry.ipaBits, geometry.startLevel, paBits); // checks paBits
  const codec = a64Stage2Codec({ granule: geometry.granule, startLevel: geometry.startLevel as 0 | 1 | 2 | 3, xnx: options.xnx ?? false });
  return Object.freeze({ geometry, paBits, codec });
}

const USER = 8 satisfies typeof MappingFlags.USER;

/** Throws InvalidFlags for a MappingFlags set with USER (anything else that is not a flag set is left to core). */
function refuseUser(flags: MappingFlags, op: string): void {
  if (Number.isInteger(flags) && flags > 0 && flags < 64 && (flags & USER) !== 0) {
    throw new PagingError('InvalidFlags', `${op}: USER has no meaning at stage 2, which checks EL0 and EL1 accesses alike (flags ${flags})`);
  }
}

/** The cursor of a stage 2 table: the core cursor, refusing USER before anything is read or written. */
class A64Stage2Cursor extends PageTable64Cursor {
  override map(vaddr: AddrInput, paddr: AddrInput, size: PageSize, flags: MappingFlags): void {
    refuseUser(flags, 'map');
    super.map(vaddr, paddr, size, flags);
  }
  override remap(vaddr: AddrInput, paddr: AddrInput, flags: MappingFlags): PageSize {
    refuseUser(flags, 'remap');
    return super.remap(vaddr, paddr, flags);
  }
  override protect(vaddr: AddrInput, flags: MappingFlags): PageSize {
    refuseUser(flags, 'protect');
    return super.protect(vaddr, flags);
  }
  override mapRegion(vaddr: AddrInput, paddr: PaddrSource, size: AddrInput, flags: MappingFlags, allowHuge: boolean): void {
    refuseUser(flags, 'mapRegion');
    super.mapRegion(vaddr, paddr, size, flags, allowHuge);
  }
  override protectRegion(vaddr: AddrInput, size: AddrInput, flags: MappingFlags): bigint {
    refuseUser(flags, 'protectRegion');
    return super.protectRegion(vaddr, size, flags);
  }
}

/**
 * An AArch64 stage 2 translation table (what VTTBR_EL2 points at): IPAs of an EL1 guest to physical addresses.
 * Options choose the granule, the IPA width (default 40 bits), the start level and with it how many tables the root
 * concatenates, and the output width; the named subclasses fix the common granule and width pairs. Leaves are
 * written with S2AP from READ and WRITE (any combination: stage 2 grants write-only and execute-only access), XN
 * without EXECUTE, the stage 2 MemAttr for DEVICE (Device-nGnRE), UNCACHED (Normal Non-cacheable) or Normal
 * Write-Back, and AF. USER is refused with PagingError 'InvalidFlags': stage 2 has no privilege levels.
 *
 * @example
 * const s2 = new A64Stage2PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000 }));
 * using c = s2.cursor();
 * c.map(0x80_0000_0000n, 0x4020_0000n, PageSize.Size2M, MappingFlags.READ | MappingFlags.WRITE);
 * s2.query(0x80_0000_1234n); // { paddr: 0x40201234n, flags: 3, size: 2097152 }
 */
export class A64Stage2PageTable extends PageTable64 {
  /** The table's format: geometry, output width and codec. */
  readonly format: A64Stage2Format;
  /**
   * Allocates the root (one table, or its concatenated tables, aligned to their size) in `handler`, or attaches to an
   * existing one with `options.root`.
   * @param handler where the tables live (default: a fresh 16 MiB `PhysicalMemory` at physical 0).
   * @param options see {@link A64Stage2TableOptions}.
   * @throws PagingError 'NoMemory' when the handler has no room for the root; with `root`, 'NotAligned' or
   *   'InvalidAddress' when the root is misaligned or outside the handler's memory. RangeError for a granule, IPA
   *   width, start level or output width the format does not have.
   */
  constructor(handler?: PagingHandler, options: A64Stage2TableOptions = {}) {
    const f = formatOf(options);
    const g = f.geometry;
    super(a64Stage2MetaData(g.granule, g.ipaBits, g.startLevel, f.paBits), f.codec, handler, options);
    this.format = f;
  }

  /**
   * A cursor that changes this table; USER in any flag set is refused with 'InvalidFlags' before anything changes.
   * @throws PagingError 'Destroyed' or 'ReadOnly' as `PageTable64.cursor`.
   */
  override cursor(): PageTable64Cursor {
    super.cursor(); // the checks of a destroyed or read-only table (a core cursor holds no state until used)
    return new A64Stage2Cursor(this);
  }
}

/** Options of the named stage 2 tables: everything but the granule and the IPA width, which the class fixes. */
export type A64Stage2NamedTableOptions = Omit<A64Stage2TableOptions, 'granule' | 'ipaBits'>;

/**
 * 4 KiB granule, 40-bit IPAs (T0SZ = 24): three levels from lookup level 1 with 2 concatenated tables (SL0 = 0b01),
 * blocks of 1 GiB and 2 MiB: KVM's default VM layout.
 */
export class A64Stage2PageTable4K40 extends A64Stage2PageTable {
  /**
   * @param handler where the tables live (default: a fresh `PhysicalMemory`).
   * @param options see {@link A64Stage2NamedTableOptions}.
   * @throws as {@link A64Stage2PageTable}.
   */
  constructor(handler?: PagingHandler, options: A64Stage2NamedTableOptions = {}) {
    super(handler, { ...options, granule: 4, ipaBits: 40 });
  }
}

/**
 * 16 KiB granule, 40-bit IPAs (T0SZ = 24): two levels from lookup level 2 with 16 concatenated tables (a 256 KiB
 * root, SL0 = 0b01), 32 MiB blocks.
 */
export class A64Stage2PageTable16K40 extends A64Stage2PageTable {
  /**
   * @param handler where the tables live (default: a fresh `PhysicalMemory`).
   * @param options see {@link A64Stage2NamedTableOptions}.
   * @throws as {@link A64Stage2PageTable}.
   */
  constructor(handler?: PagingHandler, options: A64Stage2NamedTableOptions = {}) {
    super(handler, { ...options, granule: 16, ipaBits: 40 });
  }
}

/**
 * 64 KiB granule, 48-bit IPAs (T0SZ = 16): three levels from lookup level 1 (a root of 64 entries, SL0 = 0b10),
 * 512 MiB blocks.
 */
export class A64Stage2PageTable64K48 extends A64Stage2PageTable {
  /**
   * @param handler where the tables live (default: a fresh `PhysicalMemory`).
   * @param options see {@link A64Stage2NamedTableOptions}.
   * @throws as {@link A64Stage2PageTable}.
   */
  constructor(handler?: PagingHandler, options: A64Stage2NamedTableOptions = {}) {
    super(handler, { ...options, granule: 64, ipaBits: 48 });
  }
}
