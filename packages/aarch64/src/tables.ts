import { type PageTableOptions, PageTable64, type PagingHandler } from '@page-table-multiarch/core';
import { A64PTEEl2ImpliedRead, A64PTEImpliedRead } from '@page-table-multiarch/entry/aarch64';
import { A64PagingMetaData } from './metadata';

/**
 * An AArch64 translation table for the EL1&0 regime (what TTBR0_EL1 or TTBR1_EL1 points at), with the
 * entry encoding of the crate's default `A64PTE`. Without a handler it lives in a fresh PhysicalMemory.
 *
 * Entries are written with `A64PTEImpliedRead`: a non-empty flag set without READ (say WRITE alone)
 * maps as that set with READ, the closest access a valid descriptor can grant, instead of the
 * non-valid, non-zero entry the crate writes. Load MAIR_EL1 with `MAIR_VALUE`.
 *
 * @example
 * const table = new A64PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000 }));
 * using cursor = table.cursor();
 * cursor.map(0xffff_ff80_0020_0000n, 0x4020_0000n, PageSize.Size2M, MappingFlags.READ | MappingFlags.WRITE);
 * table.query(0xffff_ff80_0020_1234n); // { paddr: 0x40201234n, flags: 3, size: 2097152 }
 */
export class A64PageTable extends PageTable64 {
  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: PageTableOptions) {
    super(A64PagingMetaData, A64PTEImpliedRead, handler, options);
  }
}

/**
 * An AArch64 translation table for the EL2 regime with HCR_EL2.E2H = 0 (what TTBR0_EL2 points at: one
 * privilege level), with the entry encoding of the crate's `arm-el2` feature (`A64PTEEl2`): bit 54 is
 * XN, no PXN, no AP[1], and USER has no meaning. The geometry is that of {@link A64PageTable}. For EL2
 * with E2H = 1 (the EL2&0 regime, two privilege levels) use {@link A64PageTable}.
 *
 * Entries are written with `A64PTEEl2ImpliedRead` (READ implied, as in {@link A64PageTable}). Load
 * MAIR_EL2 with `MAIR_VALUE`.
 */
export class A64PageTableEl2 extends PageTable64 {
  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: PageTableOptions) {
    super(A64PagingMetaData, A64PTEEl2ImpliedRead, handler, options);
  }
}
