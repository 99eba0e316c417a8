import { type PageTableOptions, PageTable64, type PagingHandler } from '@page-table-multiarch/core';
import { Rv64PTELegal, Rv64PTEXuantieLegal } from '@page-table-multiarch/entry/riscv';
import { Sv39MetaData, Sv48MetaData, Sv57MetaData } from './metadata';

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
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: PageTableOptions) {
    super(Sv39MetaData, Rv64PTELegal, handler, options);
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
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: PageTableOptions) {
    super(Sv48MetaData, Rv64PTELegal, handler, options);
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
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: PageTableOptions) {
    super(Sv39MetaData, Rv64PTEXuantieLegal, handler, options);
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
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: PageTableOptions) {
    super(Sv48MetaData, Rv64PTEXuantieLegal, handler, options);
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
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: PageTableOptions) {
    super(Sv57MetaData, Rv64PTELegal, handler, options);
  }
}
