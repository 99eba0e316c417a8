import { type PageTableOptions, PageTable32, PagingError, type PagingHandler } from '@page-table-multiarch/core';
import { A32PTE } from '@page-table-multiarch/entry/arm';
import { A32PagingMetaData } from './metadata';

/**
 * TTBR0 holds bits [31:14-N] of the L1 table's address, so the table is aligned to 2^(14-N) bytes: 16 KiB with
 * TTBCR.N = 0 (ARM DDI 0406C, the TTBR0 register description in B4.1, and B3.5.4).
 */
const L1_ALIGN = 16384n;

/**
 * An ARMv7-A short-descriptor translation table (what TTBR0 points at, with TTBCR.EAE = 0 and N = 0).
 * Without a handler it lives in a fresh PhysicalMemory. `map` writes 1 MiB Sections
 * (`PageSize.Size1M`, L1) and 4 KiB Small pages (`PageSize.Size4K`, L2); L2 tables take 1 KiB each,
 * four to a 4 KiB frame.
 *
 * The entries assume SCTLR.TRE = 0 (no TEX remap), SCTLR.AFE = 0 (AP[0] is a permission bit) and domain
 * 0 set to Client in DACR (DACR bits 1:0 = 0b01), so that AP, XN and TEX/C/B apply as written.
 *
 * @example
 * const table = new A32PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000 }));
 * using cursor = table.cursor();
 * cursor.map(0xc000_0000n, 0x4000_0000n, PageSize.Size1M, MappingFlags.READ | MappingFlags.WRITE);
 * table.query(0xc001_2345n); // { paddr: 0x40012345n, flags: 3, size: 1048576 }
 */
export class A32PageTable extends PageTable32 {
  /**
   * Allocates the L1 table (16 KiB, aligned to 16 KiB) in `handler`, or attaches to an existing one with
   * `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no 16 KiB-aligned run of four frames for the L1
   *   table; with `root`, 'NotAligned' when it is not 16 KiB-aligned, 'InvalidAddress' when it is outside
   *   the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: PageTableOptions) {
    super(A32PagingMetaData, A32PTE, handler, options);
    // an attached L1 table allocated nothing: refusing it here leaves nothing behind
    if (options?.root !== undefined && this.rootPaddr % L1_ALIGN !== 0n) {
      throw new PagingError('NotAligned', `attach: root 0x${this.rootPaddr.toString(16)} is not aligned to 16 KiB (an ARMv7 L1 table)`);
    }
  }
}
