import { type PageTableOptions, PageTable32, PageTable64, type PagingHandler, type PagingMetaData } from '@page-table-multiarch/core';
import {
  Rv32PTE,
  Rv32PTEGStage,
  Rv64PTEGStage,
  Rv64PTEGStageSvpbmt,
  Rv64PTELegal,
  Rv64PTESvpbmt,
  Rv64PTEXuantieLegal,
} from '@page-table-multiarch/entry/riscv';
import {
  Sv32MetaData,
  Sv32x4MetaData,
  Sv39MetaData,
  Sv39SvnapotMetaData,
  Sv39x4MetaData,
  Sv48MetaData,
  Sv48SvnapotMetaData,
  Sv48x4MetaData,
  Sv57MetaData,
  Sv57SvnapotMetaData,
  Sv57x4MetaData,
} from './metadata';

/** Options of the RV64 RISC-V tables: those of every table, and the Svpbmt memory types. */
export interface RiscvTableOptions extends PageTableOptions {
  /**
   * Write Svpbmt memory types (privileged spec, "Svpbmt" extension): DEVICE as PBMT = IO, UNCACHED as NC, in bits
   * 62:61 of every leaf (default false: no memory type is written, the platform's PMAs decide). The hart needs
   * Svpbmt and menvcfg.PBMTE = 1 (henvcfg.PBMTE for a G-stage table's guest). Not for the XuanTie tables, whose
   * attributes use the same bits.
   */
  readonly svpbmt?: boolean;
  /**
   * Svnapot (privileged spec, "Svnapot" extension): the table reads and writes 64 KiB NAPOT pages, 16 last-level
   * entries with N set and ppn[0][3:0] = 0b1000 (default false: bit 63 is not read as N). `map` with a page size of
   * 64 KiB and `mapRegion` with `{ runs: true }` write them; `query`, `mappings()` and the dumps report them as one
   * 64 KiB page; a change to one of its 4 KiB pages first rewrites the 16 entries as plain 4 KiB pages. Sv39, Sv48
   * and Sv57 only; the hart needs Svnapot.
   */
  readonly svnapot?: boolean;
}

/** The metadata for `options`: `svnapot` true picks the Svnapot form; anything but a boolean or undefined is refused. */
function metaFor(options: RiscvTableOptions | undefined, plain: PagingMetaData, svnapot: PagingMetaData): PagingMetaData {
  const want = options?.svnapot;
  if (want === undefined || want === false) return plain;
  if (want === true) return svnapot;
  throw new TypeError(`new: "svnapot" must be a boolean, got ${typeof want}`);
}

/** The options of a table that has no Svnapot, refused with `svnapot`. */
function noSvnapot<O extends PageTableOptions | undefined>(options: O, what: string): O {
  if ((options as RiscvTableOptions | undefined)?.svnapot !== undefined) throw new TypeError(`new: "svnapot" does not apply to ${what}: Svnapot is read in Sv39, Sv48 and Sv57 tables`);
  return options;
}

/** The codec for `options`: `svpbmt` true picks the Svpbmt form; anything but a boolean or undefined is refused. */
function codecFor<C>(options: RiscvTableOptions | undefined, plain: C, svpbmt: C): C {
  const want = options?.svpbmt;
  if (want === undefined || want === false) return plain;
  if (want === true) return svpbmt;
  throw new TypeError(`new: "svpbmt" must be a boolean, got ${typeof want}`);
}

/** The options of a table that has no Svpbmt, refused with `svpbmt` (`why` says why not). */
function noSvpbmt(options: PageTableOptions | undefined, why: string): PageTableOptions | undefined {
  if ((options as RiscvTableOptions | undefined)?.svpbmt !== undefined) throw new TypeError(`new: "svpbmt" does not apply to ${why}`);
  return options;
}
const XUANTIE = 'a XuanTie table: its attribute bits 62:61 are where Svpbmt puts PBMT';
const RV32 = 'an RV32 table: Sv32 entries have no PBMT field';

/**
 * A RISC-V Sv39 page table (3 levels; 1G, 2M and 4K leaves). Its codec is `Rv64PTELegal`: the crate's `Rv64PTE`
 * encodings, with WRITE implying READ and permission-less sets given READ so that every leaf is one the hardware
 * translates. Without a handler it lives in a fresh PhysicalMemory. `rootPaddr >> 12` is the PPN for `satp`
 * (MODE 8).
 *
 * @example
 * const table = new Sv39PageTable(new PhysicalMemory({ base: 0x8000_0000n }));
 * using cursor = table.cursor();
 * cursor.map(0xffff_ffc0_0000_0000n, 0x8000_0000n, PageSize.Size1G, MappingFlags.READ | MappingFlags.EXECUTE);
 */
export class Sv39PageTable extends PageTable64 {
  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach;
   *   `svpbmt` to write Svpbmt memory types.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory;
   *   TypeError when `svpbmt` is not a boolean.
   */
  constructor(handler?: PagingHandler, options?: RiscvTableOptions) {
    super(metaFor(options, Sv39MetaData, Sv39SvnapotMetaData), codecFor(options, Rv64PTELegal, Rv64PTESvpbmt), handler, options);
  }
}

/**
 * A RISC-V Sv48 page table (4 levels; 512G, 1G, 2M and 4K leaves), with the codec of {@link Sv39PageTable}.
 * `rootPaddr >> 12` is the PPN for `satp` (MODE 9).
 */
export class Sv48PageTable extends PageTable64 {
  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach;
   *   `svpbmt` to write Svpbmt memory types.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory;
   *   TypeError when `svpbmt` is not a boolean.
   */
  constructor(handler?: PagingHandler, options?: RiscvTableOptions) {
    super(metaFor(options, Sv48MetaData, Sv48SvnapotMetaData), codecFor(options, Rv64PTELegal, Rv64PTESvpbmt), handler, options);
  }
}

/**
 * An Sv39 page table for T-Head XuanTie C906 / C910 cores with their extended memory attributes enabled (the crate's
 * `xuantie-c9xx` feature): leaves carry SO | B for DEVICE and C | B | SH otherwise. Codec: `Rv64PTEXuantieLegal`.
 */
export class Sv39PageTableXuantie extends PageTable64 {
  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory;
   *   TypeError when `options` has `svpbmt`, which this table has no field for.
   */
  constructor(handler?: PagingHandler, options?: PageTableOptions) {
    super(Sv39MetaData, Rv64PTEXuantieLegal, handler, noSvnapot(noSvpbmt(options, XUANTIE), 'a XuanTie table'));
  }
}

/** The Sv48 form of {@link Sv39PageTableXuantie}. Codec: `Rv64PTEXuantieLegal`. */
export class Sv48PageTableXuantie extends PageTable64 {
  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory;
   *   TypeError when `options` has `svpbmt`, which this table has no field for.
   */
  constructor(handler?: PagingHandler, options?: PageTableOptions) {
    super(Sv48MetaData, Rv64PTEXuantieLegal, handler, noSvnapot(noSvpbmt(options, XUANTIE), 'a XuanTie table'));
  }
}

/**
 * A RISC-V Sv57 page table (5 levels; 256T, 512G, 1G, 2M and 4K leaves), with the codec of {@link Sv39PageTable}.
 * `rootPaddr >> 12` is the PPN for `satp` (MODE 10).
 */
export class Sv57PageTable extends PageTable64 {
  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach;
   *   `svpbmt` to write Svpbmt memory types.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory;
   *   TypeError when `svpbmt` is not a boolean.
   */
  constructor(handler?: PagingHandler, options?: RiscvTableOptions) {
    super(metaFor(options, Sv57MetaData, Sv57SvnapotMetaData), codecFor(options, Rv64PTELegal, Rv64PTESvpbmt), handler, options);
  }
}

/**
 * A RISC-V Sv39x4 G-stage table: what a hypervisor builds to translate a guest's physical addresses (41 bits) to
 * host physical addresses. 3 levels, the root of 2048 entries (16 KiB); 1G, 2M and 4K leaves. Its codec,
 * `Rv64PTEGStage`, sets U on every leaf (G-stage accesses are checked as U-mode accesses), so a leaf mapped with
 * READ reads back as READ | USER. `rootPaddr >> 12` is the PPN for `hgatp` (MODE 8; see `encodeRiscvHgatp`).
 *
 * @example
 * const table = new Sv39x4PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n }));
 * using cursor = table.cursor();
 * cursor.map(0x1_8000_0000n, 0x8020_0000n, PageSize.Size2M, MappingFlags.READ | MappingFlags.WRITE);
 */
export class Sv39x4PageTable extends PageTable64 {
  /**
   * Allocates the 16 KiB root (four frames, aligned to 16 KiB) in `handler`, or attaches to an existing one with
   * `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach;
   *   `svpbmt` to write Svpbmt memory types.
   * @throws PagingError 'NoMemory' when the handler has no 16 KiB-aligned block for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is not 16 KiB aligned or outside the handler's memory;
   *   TypeError when `svpbmt` is not a boolean.
   */
  constructor(handler?: PagingHandler, options?: RiscvTableOptions) {
    super(Sv39x4MetaData, codecFor(options, Rv64PTEGStage, Rv64PTEGStageSvpbmt), handler, noSvnapot(options, 'a G-stage table'));
  }
}

/** The Sv48x4 G-stage table (50-bit guest-physical addresses; 512G, 1G, 2M and 4K leaves), as {@link Sv39x4PageTable}; `hgatp` MODE 9. */
export class Sv48x4PageTable extends PageTable64 {
  /**
   * Allocates the 16 KiB root (four frames, aligned to 16 KiB) in `handler`, or attaches to an existing one with
   * `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach;
   *   `svpbmt` to write Svpbmt memory types.
   * @throws PagingError 'NoMemory' when the handler has no 16 KiB-aligned block for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is not 16 KiB aligned or outside the handler's memory;
   *   TypeError when `svpbmt` is not a boolean.
   */
  constructor(handler?: PagingHandler, options?: RiscvTableOptions) {
    super(Sv48x4MetaData, codecFor(options, Rv64PTEGStage, Rv64PTEGStageSvpbmt), handler, noSvnapot(options, 'a G-stage table'));
  }
}

/** The Sv57x4 G-stage table (59-bit guest-physical addresses; 256T down to 4K leaves), as {@link Sv39x4PageTable}; `hgatp` MODE 10. */
export class Sv57x4PageTable extends PageTable64 {
  /**
   * Allocates the 16 KiB root (four frames, aligned to 16 KiB) in `handler`, or attaches to an existing one with
   * `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach;
   *   `svpbmt` to write Svpbmt memory types.
   * @throws PagingError 'NoMemory' when the handler has no 16 KiB-aligned block for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is not 16 KiB aligned or outside the handler's memory;
   *   TypeError when `svpbmt` is not a boolean.
   */
  constructor(handler?: PagingHandler, options?: RiscvTableOptions) {
    super(Sv57x4MetaData, codecFor(options, Rv64PTEGStage, Rv64PTEGStageSvpbmt), handler, noSvnapot(options, 'a G-stage table'));
  }
}

/**
 * A RISC-V Sv32 page table (RV32: 2 levels of 1024 4-byte entries; 4M megapages and 4K pages; 32-bit virtual and
 * 34-bit physical addresses). Its codec is `Rv32PTE`, with the permissions of {@link Sv39PageTable}.
 * `satp` is MODE 1 (bit 31), the ASID and `rootPaddr >> 12` (see `encodeRiscvSatp`).
 *
 * @example
 * const table = new Sv32PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n }));
 * using cursor = table.cursor();
 * cursor.map(0xc000_0000n, 0x2_0000_0000n, PageSize.Size4M, MappingFlags.READ | MappingFlags.WRITE);
 */
export class Sv32PageTable extends PageTable32 {
  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory;
   *   TypeError when `options` has `svpbmt`, which this table has no field for.
   */
  constructor(handler?: PagingHandler, options?: PageTableOptions) {
    super(Sv32MetaData, Rv32PTE, handler, noSvnapot(noSvpbmt(options, RV32), 'an RV32 table'));
  }
}

/**
 * The Sv32x4 G-stage table of an RV32 hypervisor (34-bit guest-physical addresses; a 16 KiB root of 4096 entries;
 * 4M and 4K leaves), with U on every leaf as {@link Sv39x4PageTable}; `hgatp` MODE 1 (bit 31).
 */
export class Sv32x4PageTable extends PageTable32 {
  /**
   * Allocates the 16 KiB root (four frames, aligned to 16 KiB) in `handler`, or attaches to an existing one with
   * `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no 16 KiB-aligned block for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is not 16 KiB aligned or outside the handler's memory;
   *   TypeError when `options` has `svpbmt`, which this table has no field for.
   */
  constructor(handler?: PagingHandler, options?: PageTableOptions) {
    super(Sv32x4MetaData, Rv32PTEGStage, handler, noSvnapot(noSvpbmt(options, RV32), 'an RV32 table'));
  }
}
