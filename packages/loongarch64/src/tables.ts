import { type PageTableOptions, PageTable64, type PagingHandler } from '@page-table-multiarch/core';
import { LA64PTE } from '@page-table-multiarch/entry/loongarch64';
import { LA64MetaData } from './metadata';

/**
 * A LoongArch64 4-level page table. Without a handler it lives in a fresh PhysicalMemory.
 *
 * Unlike the crate's, its walks descend into directory entries (which carry no present bit: they are
 * plain table addresses, 5.4.5), so `query`, `walk` and `mappings()` see every level.
 *
 * @example
 * const table = new LA64PageTable();
 * using cursor = table.cursor();
 * cursor.map(0xffff_8000_0020_0000n, 0x20_0000n, PageSize.Size2M, MappingFlags.READ | MappingFlags.WRITE);
 * table.query(0xffff_8000_0020_0010n); // { paddr: 0x200010n, flags: 3, size: 2097152 }
 */
export class LA64PageTable extends PageTable64 {
  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: PageTableOptions) {
    super(LA64MetaData, LA64PTE, handler, options);
  }
}
