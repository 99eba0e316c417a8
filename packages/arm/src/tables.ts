import { type PageTableOptions, PageTable32, PageTable64, PagingError, type PagingHandler } from '@page-table-multiarch/core';
import { A32PTE, a32LpaeCodec } from '@page-table-multiarch/entry/arm';
import { A32PagingMetaData, type A32LpaeSplit, a32LpaeMetaData, lpaeFirstLevel } from './metadata';

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

/** Options of the long-descriptor tables: the TTBCR split, the MAIR pair, and those of every table. */
export interface A32LpaeTableOptions extends PageTableOptions {
  /** TTBCR.T0SZ, 0..7 (default 0): TTBR0 translates the bottom 2^(32 - T0SZ) bytes (ARM DDI 0406C.d B3.6.4). */
  readonly t0sz?: number;
  /** TTBCR.T1SZ, 0..7 (default 0 for TTBR0's table, 2 for TTBR1's): TTBR1 translates the top 2^(32 - T1SZ) bytes. */
  readonly t1sz?: number;
  /** MAIR0 as a u32, whose attribute bytes AttrIndx selects (default `LPAE_MAIR.mair0`; B4.1.104). */
  readonly mair0?: number;
  /** MAIR1 as a u32 (default `LPAE_MAIR.mair1`). */
  readonly mair1?: number;
}

/** The split, metadata and codec of a long-descriptor table for `ttbr`. */
function lpaeFormat(ttbr: 0 | 1, options: A32LpaeTableOptions | undefined) {
  const t0sz = options?.t0sz ?? 0;
  const t1sz = options?.t1sz ?? (ttbr === 0 ? 0 : 2);
  const split: A32LpaeSplit = Object.freeze({ ttbr, t0sz, t1sz });
  const meta = a32LpaeMetaData(split);
  const codec = a32LpaeCodec({
    firstLevel: lpaeFirstLevel(ttbr === 0 ? t0sz : t1sz),
    ...(options?.mair0 === undefined ? {} : { mair0: options.mair0 }),
    ...(options?.mair1 === undefined ? {} : { mair1: options.mair1 }),
  });
  return { split, meta, codec };
}

/**
 * An ARMv7-A long-descriptor translation table (TTBCR.EAE = 1, the Large Physical Address Extension) for TTBR0:
 * 64-bit descriptors, 1 GiB Blocks at lookup level 1, 2 MiB Blocks at level 2, 4 KiB Pages at level 3, 40-bit
 * physical addresses (ARM DDI 0406C.d, B3.6). TTBCR.T0SZ and T1SZ (options `t0sz`, `t1sz`) set the addresses it
 * translates and its first level: with T0SZ = 0 the root is a 4-entry, 32-byte level 1 table; with T0SZ 2..7 the walk
 * starts at level 2. An address TTBR0 does not translate (B3.6.4) is 'InvalidAddress'. Without a handler it lives in
 * a fresh PhysicalMemory.
 *
 * Memory types are written as the AttrIndx of a byte of the MAIR0 / MAIR1 pair given (default `LPAE_MAIR`: load
 * MAIR0 with 0x0044ff04 and MAIR1 with 0); see `a32LpaeCodec` for the encoding. AF is always set.
 *
 * @example
 * const table = new A32LpaePageTable(new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000 }));
 * using cursor = table.cursor();
 * cursor.map(0x8000_0000n, 0x1_4000_0000n, PageSize.Size2M, MappingFlags.READ | MappingFlags.WRITE);
 * table.query(0x8001_2345n); // { paddr: 0x140012345n, flags: 3, size: 2097152 }
 */
export class A32LpaePageTable extends PageTable64 {
  /** The TTBCR split the table was made for (`ttbr` 0): what `encodeA32LpaeRegisters` writes into TTBCR. */
  readonly split: A32LpaeSplit;

  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options the TTBCR split (`t0sz`, `t1sz`), the MAIR pair (`mair0`, `mair1`), a `flushTlb` hook for the
   *   cursors' TLB invalidations; `root` (and `writable`) to attach.
   * @throws RangeError for a TxSZ outside 0..7 or a MAIR pair without Device, Normal Non-cacheable and Normal
   *   Write-Back bytes; PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: A32LpaeTableOptions) {
    const f = lpaeFormat(0, options);
    super(f.meta, f.codec, handler, options);
    this.split = f.split;
  }
}

/**
 * An ARMv7-A long-descriptor translation table for TTBR1: as {@link A32LpaePageTable}, for the top of the address
 * space. With the default split (T0SZ = 0, T1SZ = 2, as Linux runs) it translates [0xc000_0000, 2^32) and its walk
 * starts at lookup level 2 with a 512-entry root; with T1SZ = 0 and T0SZ > 0 it translates everything above TTBR0's
 * range from a level 1 root. An address below its range is 'InvalidAddress', never an alias of one inside it.
 *
 * @example
 * const kernel = new A32LpaeTtbr1PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000 }), { t1sz: 2 });
 * kernel.cursor().map(0xc000_0000n, 0x4000_0000n, PageSize.Size2M, MappingFlags.READ | MappingFlags.WRITE);
 * kernel.query(0xc000_1000n).paddr; // 0x40001000n
 * kernel.meta.indexBits; // [9, 9]
 */
export class A32LpaeTtbr1PageTable extends PageTable64 {
  /** The TTBCR split the table was made for (`ttbr` 1): what `encodeA32LpaeRegisters` writes into TTBCR. */
  readonly split: A32LpaeSplit;

  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live (default: a fresh 16 MiB `PhysicalMemory` at physical 0).
   * @param options as for {@link A32LpaePageTable}; `t1sz` defaults to 2.
   * @throws RangeError for a TxSZ outside 0..7, T0SZ = T1SZ = 0 (TTBR1 then translates nothing) or a MAIR pair
   *   without the three memory types; PagingError as {@link A32LpaePageTable}.
   */
  constructor(handler?: PagingHandler, options?: A32LpaeTableOptions) {
    const f = lpaeFormat(1, options);
    super(f.meta, f.codec, handler, options);
    this.split = f.split;
  }
}
