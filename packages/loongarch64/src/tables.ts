import { type PageTableOptions, PageTable64, type PagingHandler } from '@page-table-multiarch/core';
import { type LA64Codec, la64Codec, type LA64Levels } from '@page-table-multiarch/entry/loongarch64';
import { type LA64Geometry, type LA64Half, type LA64PageKiB, la64DefaultHalf, la64Geometry, la64MetaData } from './metadata';

/**
 * Options of the LoongArch64 tables: the core's (`flushTlb`, `root`, `writable`), the page size and depth (fixed by
 * the named classes) and the half a table of fewer than 48 bits serves.
 */
export interface LA64TableOptions extends PageTableOptions {
  /** Page size in KiB (default 4): 4 with 4 levels, 16 with 3, 64 with 2 or 3. Fixed by the named classes. */
  readonly pageKiB?: LA64PageKiB;
  /** Number of levels (default: 4 with 4 KiB pages, 3 with 16 or 64 KiB). Fixed by the named classes. */
  readonly levels?: number;
  /** The half the table serves (see {@link LA64Half}; default `'both'` when it can, else `'lower'`). */
  readonly half?: LA64Half;
}

/** The format of a LoongArch64 table: its geometry, the half it serves, and its codec. */
export interface LA64TableFormat {
  /** Page size, depth, huge-page levels, PWCL / PWCH. */
  readonly geometry: LA64Geometry;
  /** The half it serves. */
  readonly half: LA64Half;
  /** The entry codec for its depth. */
  readonly codec: LA64Codec;
}

/** The format for `options`, checked (RangeError for an unsupported size, depth or half). */
function formatOf(options: LA64TableOptions): LA64TableFormat {
  const pageKiB = options.pageKiB ?? 4;
  const geometry = la64Geometry(pageKiB, options.levels ?? (pageKiB === 4 ? 4 : 3));
  const half = options.half ?? la64DefaultHalf(geometry);
  la64MetaData(geometry.pageKiB, geometry.levels, half); // checks the half
  return Object.freeze({ geometry, half, codec: la64Codec(geometry.levels as LA64Levels) });
}

/**
 * A LoongArch64 page table. Without options it is the crate's format: 4 KiB pages, four levels, one root for both
 * halves. Options choose 16 KiB or 64 KiB pages and the depth (the named subclasses fix Linux's layouts) and, for a
 * table of fewer than 48 bits, the half it serves. Without a handler it lives in a fresh PhysicalMemory.
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
  /** The table's format: geometry, half and codec. */
  readonly format: LA64TableFormat;
  /**
   * Allocates the root table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live: frames and the bytes of physical memory (default: a fresh 16 MiB
   *   `PhysicalMemory` at physical 0).
   * @param options see {@link LA64TableOptions}: a `flushTlb` hook for the cursors' TLB invalidations; `root` (and
   *   `writable`) to attach; the page size, depth and half.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`,
   *   'NotAligned' or 'InvalidAddress' when the root is misaligned or outside the handler's memory. RangeError for
   *   a page size, depth or half the format does not have.
   */
  constructor(handler?: PagingHandler, options: LA64TableOptions = {}) {
    const f = formatOf(options);
    super(la64MetaData(f.geometry.pageKiB, f.geometry.levels, f.half), f.codec, handler, options);
    this.format = f;
  }
}

/** Options of the named tables: everything but the page size and the depth, which the class fixes. */
export type LA64NamedTableOptions = Omit<LA64TableOptions, 'pageKiB' | 'levels'>;

/**
 * 16 KiB pages, three levels (PGD as Dir3, PMD as Dir1, PT; 2048 entries each), 47 bits per half, 32 MiB huge pages
 * in the PMD: Linux's default LoongArch layout (arch/loongarch/Kconfig 16KB_3LEVEL). A table serves one half
 * (`half`, default `'lower'`, for CSR.PGDL; `'upper'` for CSR.PGDH).
 */
export class LA64PageTable16K3 extends LA64PageTable {
  /**
   * @param handler where the tables live (default: a fresh `PhysicalMemory`).
   * @param options see {@link LA64NamedTableOptions}.
   * @throws as {@link LA64PageTable}.
   */
  constructor(handler?: PagingHandler, options: LA64NamedTableOptions = {}) {
    super(handler, { ...options, pageKiB: 16, levels: 3 });
  }
}

/**
 * 64 KiB pages, two levels (PGD as Dir3, PT; 8192 entries each), 42 bits per half, 512 MiB huge pages in the PGD
 * (Linux's 64KB_2LEVEL). A table serves one half (`half`, default `'lower'`).
 */
export class LA64PageTable64K2 extends LA64PageTable {
  /**
   * @param handler where the tables live (default: a fresh `PhysicalMemory`).
   * @param options see {@link LA64NamedTableOptions}.
   * @throws as {@link LA64PageTable}.
   */
  constructor(handler?: PagingHandler, options: LA64NamedTableOptions = {}) {
    super(handler, { ...options, pageKiB: 64, levels: 2 });
  }
}

/**
 * 64 KiB pages, three levels (PGD as Dir3, PMD as Dir1, PT; 8192 entries each), 512 MiB huge pages in the PMD
 * (Linux's 64KB_3LEVEL). It indexes 55 bits, more than the 48-bit addresses of 5.2, so one root serves both halves:
 * the lower half through root entries 0..31, the upper through 8160..8191.
 */
export class LA64PageTable64K3 extends LA64PageTable {
  /**
   * @param handler where the tables live (default: a fresh `PhysicalMemory`).
   * @param options see {@link LA64NamedTableOptions}.
   * @throws as {@link LA64PageTable}.
   */
  constructor(handler?: PagingHandler, options: LA64NamedTableOptions = {}) {
    super(handler, { ...options, pageKiB: 64, levels: 3 });
  }
}
