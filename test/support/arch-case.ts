import type { GenericPTE, PageTable64, PageTableOptions, PagingHandler, PagingMetaData } from '@page-table-multiarch/core';

/**
 * One row of the conformance table: a table type and what the shared suites need to know about it.
 * Each file in test/arches/ exports `cases: ArchCase[]` and `codecs: CodecCase[]`.
 */
export interface ArchCase {
  /** Unique name, e.g. 'x86_64' or 'riscv-sv39'. */
  readonly name: string;
  readonly meta: PagingMetaData;
  readonly pte: GenericPTE;
  /** Builds an empty table in `handler`. */
  create(handler: PagingHandler, options?: PageTableOptions): PageTable64;
  /** Physical base address of the memory the suites place tables in. */
  readonly memBase: bigint;
  /**
   * Virtual windows the model-based test draws addresses from, lower and upper half where the
   * architecture has both; each at least as large as the biggest leaf page and aligned to it.
   */
  readonly windows: readonly { readonly base: bigint; readonly size: bigint }[];
  /** A virtual address that the table must reject as InvalidAddress (none for a full 64-bit space). */
  readonly invalidVa?: bigint;
  /** Physical addresses (page-aligned) the model test maps to; defaults to random below 2^min(paMaxBits, 40). */
  readonly paBits?: number;
  /**
   * MappingFlags bits the format has no encoding for, which map, remap, protect, mapRegion and protectRegion refuse
   * with 'InvalidFlags' before anything else (USER at AArch64 stage 2). Default none.
   */
  readonly refusedFlags?: number;
}

/** A codec with the name its rows carry in test/vectors/pte-encodings.json. */
export interface CodecCase {
  readonly type: string;
  readonly variant: string;
  readonly pte: GenericPTE;
  /** Levels at which new_page rows (huge = 0 / 1) are checked; default: huge rows at level 1, others at the last level. */
  readonly pageLevel?: (isHuge: boolean) => number;
  /** Level at which new_table rows are checked (default 0). */
  readonly tableLevel?: number;
  /** Levels the word/bigint agreement property runs over. */
  readonly levels: readonly number[];
  /** false for a codec with no reference encodings in test/vectors (the synthetic formats of test/arches/synthetic.ts). */
  readonly vectors?: false;
}
