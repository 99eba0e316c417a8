import { type PageTableOptions, PageTable64, type PagingHandler } from '@page-table-multiarch/core';
import { X64PTE } from '@page-table-multiarch/entry/x86_64';
import { X64PagingMetaData, X64PagingMetaData5 } from './metadata';

/**
 * An x86_64 4-level page table. Without a handler it lives in a fresh PhysicalMemory.
 *
 * @example
 * const table = new X64PageTable();
 * using cursor = table.cursor();
 * cursor.map(0xdead_beef_000n, 0x2000n, PageSize.Size4K, MappingFlags.READ | MappingFlags.WRITE);
 * table.query(0xdead_beef_000n); // { paddr: 0x2000n, flags: 3, size: 4096 }
 */
export class X64PageTable extends PageTable64 {
  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: PageTableOptions) {
    super(X64PagingMetaData, X64PTE, handler, options);
  }
}

/**
 * An x86_64 5-level page table (LA57): the root is the PML5 table that CR3 points to when CR4.LA57 = 1.
 * A separate type rather than an option, so that the level count is fixed by the type as in the crate.
 *
 * @example
 * const table = new X64PageTable5();
 * table.cursor().map(0xff00_0000_0000_0000n, 0x20_0000n, PageSize.Size2M, MappingFlags.READ);
 */
export class X64PageTable5 extends PageTable64 {
  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: PageTableOptions) {
    super(X64PagingMetaData5, X64PTE, handler, options);
  }
}
