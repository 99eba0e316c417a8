import { type PageTableOptions, PageTable64, type PagingHandler } from '@page-table-multiarch/core';
import { type A64Codec, type A64NonGlobal, a64Codec, MAIR_VALUE } from '@page-table-multiarch/entry/aarch64';
import { type A64Geometry, type A64Granule, type A64Half, a64Geometry, a64MetaData } from './metadata';

/**
 * Options of the AArch64 tables: the core's (`flushTlb`, `root`, `writable`) and what the AArch64 format leaves to
 * the OS. The granule and the translated width are the class's for the named classes, and options for
 * {@link A64PageTable} and {@link A64PageTableEl2}.
 */
export interface A64TableOptions extends PageTableOptions {
  /** The translation granule in KiB (TCR_ELx.TG0 / TG1): 4 (default), 16 or 64. Fixed by the named classes. */
  readonly granule?: A64Granule;
  /**
   * The translated width, 64 - TnSZ: 25..48 (default 48), up to 52 with the 64 KiB granule (FEAT_LVA) or with
   * `paBits` 52 (FEAT_LPA2). Fixed by the named classes.
   */
  readonly vaBits?: number;
  /**
   * The output (physical) address size: 48 (default) or 52 bits. With the 4 and 16 KiB granules 52 is FEAT_LPA2
   * with TCR_ELx.DS = 1 (OA[51:50] in descriptor bits 9:8, no SH in the descriptors: Shareability comes from
   * TCR_ELx.SHn); with 64 KiB it is FEAT_LPA with TCR_ELx.IPS = 0b110 (OA[51:48] in bits 15:12). Either adds a block
   * level: 512 GiB (4 KiB, lookup level 0), 64 GiB (16 KiB, level 1), 4 TiB (64 KiB, level 1). Arm ARM D8.3.
   * Fixed by the 52-bit named classes.
   */
  readonly paBits?: 48 | 52;
  /** The range the table serves (default `'both'`, one table for both TTBRs); see `A64Half`. */
  readonly half?: A64Half;
  /**
   * The MAIR_ELx value the OS will program (default `MAIR_VALUE`, 0x44ff04): DEVICE, UNCACHED and the other
   * mappings are written with the AttrIndx whose attribute byte is Device, Normal Non-cacheable and Normal
   * Write-Back, and every AttrIndx reads back as what its byte says (`a64Codec`).
   */
  readonly mair?: bigint;
  /**
   * Which leaves get nG (not global: the TLB entry is tagged with the ASID): `'none'` (default, as the crate),
   * `'user'` (each mapping with USER: what an OS wants for process memory), `'all'` (every mapping, as a kernel
   * that unmaps itself from user space does).
   */
  readonly nonGlobal?: A64NonGlobal;
}

/** The format of an AArch64 table: its geometry, range, and the codec it writes with. */
export interface A64TableFormat {
  /** Granule, width, start level, levels, block sizes. */
  readonly geometry: A64Geometry;
  /** The range it serves. */
  readonly half: A64Half;
  /** The codec (regime, MAIR, nG). */
  readonly codec: A64Codec;
}

/** The format for `options`, checked (RangeError for bad values). */
function formatOf(options: A64TableOptions, el2: boolean, granule: A64Granule, vaBits: number): A64TableFormat {
  const half = options.half ?? 'both';
  const paBits = options.paBits ?? 48;
  const geometry = a64Geometry(granule, vaBits, paBits);
  a64MetaData(granule, vaBits, half, paBits); // checks the half
  const codec = a64Codec({
    granule,
    startLevel: geometry.startLevel as -1 | 0 | 1 | 2 | 3,
    paBits,
    el2,
    mair: options.mair ?? MAIR_VALUE,
    nonGlobal: options.nonGlobal ?? 'none',
  });
  return Object.freeze({ geometry, half, codec });
}

/**
 * An AArch64 translation table for the EL1&0 regime (what TTBR0_EL1 or TTBR1_EL1 points at). Without
 * options it is the crate's format: 4 KiB granule, 48-bit addresses, one table for both ranges, memory
 * types for `MAIR_VALUE`, entries bit-identical to the crate's `A64PTE`. Options choose the granule, the
 * width (64 - TnSZ), the range (`half`), the MAIR the OS programs and nG; the named subclasses fix the
 * common granule and width pairs. Without a handler it lives in a fresh PhysicalMemory.
 *
 * Entries are written with READ implied (`A64PTEImpliedRead`): a non-empty flag set without READ (say WRITE
 * alone) maps as that set with READ, the closest access a valid descriptor can grant, instead of the
 * non-valid, non-zero entry the crate writes.
 *
 * @example
 * const table = new A64PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000 }));
 * using cursor = table.cursor();
 * cursor.map(0xffff_ff80_0020_0000n, 0x4020_0000n, PageSize.Size2M, MappingFlags.READ | MappingFlags.WRITE);
 * table.query(0xffff_ff80_0020_1234n); // { paddr: 0x40201234n, flags: 3, size: 2097152 }
 */
export class A64PageTable extends PageTable64 {
  /** The table's format: geometry, range and codec. */
  readonly format: A64TableFormat;
  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options see {@link A64TableOptions}.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory. RangeError
   *   for a granule, width, half, MAIR (one without a Device, Normal Non-cacheable or Normal Write-Back byte)
   *   or nonGlobal the format does not have.
   */
  constructor(handler?: PagingHandler, options: A64TableOptions = {}) {
    const f = formatOf(options, false, options.granule ?? 4, options.vaBits ?? 48);
    super(a64MetaData(f.geometry.granule, f.geometry.vaBits, f.half, f.geometry.paBits), f.codec, handler, options);
    this.format = f;
  }
}

/**
 * An AArch64 translation table for the EL2 regime with HCR_EL2.E2H = 0 (what TTBR0_EL2 points at: one
 * privilege level), with the entry encoding of the crate's `arm-el2` feature (`A64PTEEl2`): bit 54 is
 * XN, no PXN, no AP[1], and USER has no meaning. Options as {@link A64PageTable}. For EL2 with E2H = 1
 * (the EL2&0 regime, two privilege levels) use {@link A64PageTable}.
 *
 * Entries are written with READ implied, as in {@link A64PageTable}.
 */
export class A64PageTableEl2 extends PageTable64 {
  /** The table's format: geometry, range and codec. */
  readonly format: A64TableFormat;
  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options see {@link A64TableOptions}.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory. RangeError
   *   as {@link A64PageTable}.
   */
  constructor(handler?: PagingHandler, options: A64TableOptions = {}) {
    const f = formatOf(options, true, options.granule ?? 4, options.vaBits ?? 48);
    super(a64MetaData(f.geometry.granule, f.geometry.vaBits, f.half, f.geometry.paBits), f.codec, handler, options);
    this.format = f;
  }
}

/** Options of the named tables: everything but the granule, the width and the output size, which the class fixes. */
export type A64NamedTableOptions = Omit<A64TableOptions, 'granule' | 'vaBits' | 'paBits'>;

/** The options with the class's granule, width and output size (the caller's own values for them are ignored). */
function fixed(options: A64NamedTableOptions, granule: A64Granule, vaBits: number, paBits: 48 | 52 = 48): A64TableOptions {
  return { ...options, granule, vaBits, paBits };
}

/**
 * 4 KiB granule, 39-bit addresses (TnSZ = 25): three levels from lookup level 1, blocks of 1 GiB and 2 MiB
 * (Linux's default arm64 layout with 4K pages and VA_BITS = 39).
 */
export class A64PageTable4K39 extends A64PageTable {
  /**
   * @param handler where the tables live (default: a fresh `PhysicalMemory`).
   * @param options see {@link A64NamedTableOptions}.
   * @throws as {@link A64PageTable}.
   */
  constructor(handler?: PagingHandler, options: A64NamedTableOptions = {}) {
    super(handler, fixed(options, 4, 39));
  }
}

/**
 * 16 KiB granule, 47-bit addresses (TnSZ = 17): three levels from lookup level 1 (a first table of 2048 entries),
 * 32 MiB blocks (Linux with 16K pages and VA_BITS = 47, as on Apple silicon).
 */
export class A64PageTable16K47 extends A64PageTable {
  /**
   * @param handler where the tables live (default: a fresh `PhysicalMemory`).
   * @param options see {@link A64NamedTableOptions}.
   * @throws as {@link A64PageTable}.
   */
  constructor(handler?: PagingHandler, options: A64NamedTableOptions = {}) {
    super(handler, fixed(options, 16, 47));
  }
}

/** 16 KiB granule, 48-bit addresses (TnSZ = 16): four levels from a 2-entry level 0 table, 32 MiB blocks. */
export class A64PageTable16K48 extends A64PageTable {
  /**
   * @param handler where the tables live (default: a fresh `PhysicalMemory`).
   * @param options see {@link A64NamedTableOptions}.
   * @throws as {@link A64PageTable}.
   */
  constructor(handler?: PagingHandler, options: A64NamedTableOptions = {}) {
    super(handler, fixed(options, 16, 48));
  }
}

/**
 * 64 KiB granule, 42-bit addresses (TnSZ = 22): two levels from lookup level 2 (a first table of 8192 entries),
 * 512 MiB blocks (Linux with 64K pages and VA_BITS = 42).
 */
export class A64PageTable64K42 extends A64PageTable {
  /**
   * @param handler where the tables live (default: a fresh `PhysicalMemory`).
   * @param options see {@link A64NamedTableOptions}.
   * @throws as {@link A64PageTable}.
   */
  constructor(handler?: PagingHandler, options: A64NamedTableOptions = {}) {
    super(handler, fixed(options, 64, 42));
  }
}

/**
 * 64 KiB granule, 48-bit addresses (TnSZ = 16): three levels from lookup level 1 (a first table of 64 entries),
 * 512 MiB blocks (Linux with 64K pages and VA_BITS = 48).
 */
export class A64PageTable64K48 extends A64PageTable {
  /**
   * @param handler where the tables live (default: a fresh `PhysicalMemory`).
   * @param options see {@link A64NamedTableOptions}.
   * @throws as {@link A64PageTable}.
   */
  constructor(handler?: PagingHandler, options: A64NamedTableOptions = {}) {
    super(handler, fixed(options, 64, 48));
  }
}

/**
 * 4 KiB granule, 52-bit virtual and physical addresses with FEAT_LPA2 (TCR_ELx.DS = 1, TnSZ = 12, IPS = 0b110): five
 * levels from lookup level -1 (a first table of 16 entries; the table's level 0), blocks of 512 GiB (lookup level 0),
 * 1 GiB and 2 MiB, OA[51:50] in descriptor bits 9:8 (Linux with 4K pages and VA_BITS = 52 on an LPA2 CPU).
 */
export class A64PageTable4K52 extends A64PageTable {
  /**
   * @param handler where the tables live (default: a fresh `PhysicalMemory`).
   * @param options see {@link A64NamedTableOptions}.
   * @throws as {@link A64PageTable}.
   */
  constructor(handler?: PagingHandler, options: A64NamedTableOptions = {}) {
    super(handler, fixed(options, 4, 52, 52));
  }
}

/**
 * 16 KiB granule, 52-bit virtual and physical addresses with FEAT_LPA2 (TCR_ELx.DS = 1, TnSZ = 12): four levels from
 * lookup level 0 (a first table of 32 entries), blocks of 64 GiB (lookup level 1) and 32 MiB, OA[51:50] in descriptor
 * bits 9:8.
 */
export class A64PageTable16K52 extends A64PageTable {
  /**
   * @param handler where the tables live (default: a fresh `PhysicalMemory`).
   * @param options see {@link A64NamedTableOptions}.
   * @throws as {@link A64PageTable}.
   */
  constructor(handler?: PagingHandler, options: A64NamedTableOptions = {}) {
    super(handler, fixed(options, 16, 52, 52));
  }
}

/**
 * 64 KiB granule, 52-bit virtual addresses (FEAT_LVA, TnSZ = 12) and 52-bit physical addresses (FEAT_LPA, IPS =
 * 0b110): three levels from lookup level 1 (a first table of 1024 entries), blocks of 4 TiB (lookup level 1) and
 * 512 MiB, OA[51:48] in descriptor bits 15:12 (Linux with 64K pages and VA_BITS = 52).
 */
export class A64PageTable64K52 extends A64PageTable {
  /**
   * @param handler where the tables live (default: a fresh `PhysicalMemory`).
   * @param options see {@link A64NamedTableOptions}.
   * @throws as {@link A64PageTable}.
   */
  constructor(handler?: PagingHandler, options: A64NamedTableOptions = {}) {
    super(handler, fixed(options, 64, 52, 52));
  }
}
