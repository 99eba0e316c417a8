// Geometry of LoongArch64 4-level paging with 4 KiB pages, and the page-walk controller values that make the
// LDDIR / LDPTE walker read it (LoongArch Reference Manual Vol. 1, 5.4.5, 7.5.8, 7.5.9).
import { defineMetaData, type PagingMetaData } from '@page-table-multiarch/core';

/**
 * LoongArch64 4-level paging with 4 KiB pages (LoongArch Reference Manual Vol. 1, 5.4.5): four tables of
 * 512 8-byte entries (the walker's Dir3, Dir2, Dir1 and PT), 48-bit virtual addresses whose bits 63:47 are
 * all equal (5.2: otherwise an address error), 48-bit physical addresses (PALEN = 48, 7.5.3), and leaves of
 * 1 GiB (a huge-page entry in Dir2, level 1), 2 MiB (in Dir1, level 2) and 4 KiB (PT, level 3).
 */
export const LA64MetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'loongarch64',
  paMaxBits: 48,
  pageShift: 12,
  indexBits: [9, 9, 9, 9],
  entryBytes: 8,
  leafLevels: [1, 2, 3],
  vaTopBit: 47,
  upperHalf: true,
  signExtend: true,
});

/**
 * The value of CSR.PWCL (page walk controller for the lower half address space, 7.5.8) that makes
 * LDDIR/LDPTE and the hardware walker read tables of this geometry (the crate's `PWCL_VALUE`), 0x13e4d52c:
 *
 * | bits  | field      | value | meaning |
 * |-------|------------|-------|---------|
 * | 4:0   | PTbase     | 12    | the last-level (PT, level 3) index starts at VA bit 12: 4 KiB pages |
 * | 9:5   | PTwidth    | 9     | the PT index is 9 bits: 512 entries |
 * | 14:10 | Dir1_base  | 21    | the lowest directory (Dir1, level 2) is indexed from VA bit 21: 2 MiB per entry |
 * | 19:15 | Dir1_width | 9     | 512 entries (0 would mean no such level) |
 * | 24:20 | Dir2_base  | 30    | the next directory (Dir2, level 1) is indexed from VA bit 30: 1 GiB per entry |
 * | 29:25 | Dir2_width | 9     | 512 entries |
 * | 31:30 | PTEWidth   | 0     | each entry is 64 bits (1, 2, 3 would be 128, 192, 256) |
 */
export const PWCL_VALUE: number = 0x13e4_d52c; // 12 | 9 << 5 | 21 << 10 | 9 << 15 | 30 << 20 | 9 << 25 | 0 << 30

/**
 * The value of CSR.PWCH (page walk controller for the higher half address space, 7.5.9), the crate's
 * `PWCH_VALUE`, 0x267:
 *
 * | bits  | field      | value | meaning |
 * |-------|------------|-------|---------|
 * | 5:0   | Dir3_base  | 39    | the top directory used here (Dir3, the root, level 0) is indexed from VA bit 39 |
 * | 11:6  | Dir3_width | 9     | 512 entries: VA bits 47:39 |
 * | 17:12 | Dir4_base  | 0     | unused |
 * | 23:18 | Dir4_width | 0     | no Dir4 level: the walk starts at Dir3 |
 * | 31:24 | 0          | 0     | reserved; bit 24 is HPTW_En (hardware walker enable) on processors whose CPUCFG.2.HPTW is 1, left 0 |
 *
 * Both halves of the address space use the same root: write `rootPaddr` to CSR.PGDL and CSR.PGDH
 * (7.5.5, 7.5.6); upper-half addresses index root entries 256..511.
 */
export const PWCH_VALUE: number = 39 | (9 << 6) | (0 << 12) | (0 << 18);

/** A LoongArch64 page size in KiB: 4, 16 or 64 (the PS values 12, 14, 16 of STLBPS and TLBREHI, 7.5.10, 7.5.17). */
export type LA64PageKiB = 4 | 16 | 64;

/**
 * The range of virtual addresses a table serves. A table that indexes 48 bits or more (4 KiB pages with four levels,
 * 64 KiB pages with three) serves `'both'` halves through one root, the upper half in its top root entries. One that
 * indexes fewer (16 KiB pages with three levels: 47 bits; 64 KiB with two: 42) serves one half: `'lower'`, the
 * addresses whose bits 63:vaBits are zero, for CSR.PGDL, or `'upper'`, those whose bits are all one, for CSR.PGDH
 * (7.5.5, 7.5.6: bit VALEN-1 = 47 chooses the register). The walker indexes the low bits only, so in the 42-bit
 * format the hardware also takes the addresses whose bits 46:42 differ from bit 47 (aliases of the table's own:
 * Linux places its 64 KiB 2-level vmalloc area at 0xffff_8000_0000_0000); the table takes the canonical form.
 */
export type LA64Half = 'lower' | 'upper' | 'both';

/** The shape of a LoongArch64 table: page size, depth, and the walk controller values that describe it. */
export interface LA64Geometry {
  /** The page size in KiB. */
  readonly pageKiB: LA64PageKiB;
  /** log2 of the page size: PWCL.PTbase. */
  readonly pageShift: number;
  /** Number of levels, root first: the PT level and the directories above it. */
  readonly levels: number;
  /** Index bits of every level: pageShift - 3 (one table is one page of 8-byte entries). */
  readonly indexBits: number;
  /** Bits the table indexes: pageShift + levels * indexBits (48, 47, 42 or 55). */
  readonly vaBits: number;
  /** Levels (0 = root) that hold huge pages besides the PT level's pages. */
  readonly hugeLevels: readonly number[];
  /** The walker's name of each level, root first (`Dir3`, `Dir2`, `Dir1`, `PT`), as the controllers assign them. */
  readonly levelNames: readonly string[];
  /** CSR.PWCL for these tables (7.5.8). */
  readonly pwcl: number;
  /** CSR.PWCH for these tables (7.5.9), without HPTW_En. */
  readonly pwch: number;
}

/**
 * The walker's directories for a depth, root first, as Linux assigns them (arch/loongarch/mm/tlb.c setup_ptwalker:
 * the PGD is always Dir3 in PWCH; with four levels the PUD is Dir2; with three or more the PMD is Dir1), with the
 * LDDIR level numbers (4.2.5.1) that arch/loongarch/mm/tlbex.S handle_tlb_refill uses for them.
 */
const DIRECTORIES: Readonly<Record<number, readonly string[]>> = Object.freeze({
  2: Object.freeze(['Dir3']),
  3: Object.freeze(['Dir3', 'Dir1']),
  4: Object.freeze(['Dir3', 'Dir2', 'Dir1']),
});

/**
 * The supported page sizes and depths: the 4-level 4 KiB tables of the crate, and Linux's 16 KiB 3-level
 * (its default LoongArch layout, arch/loongarch/Kconfig 16KB_3LEVEL: "a maximum of 47 bits of application virtual
 * memory"), 64 KiB 2-level (64KB_2LEVEL, 42 bits) and 64 KiB 3-level (64KB_3LEVEL, 55 bits, of which the 48-bit
 * virtual addresses of 5.2 use the low 48).
 */
const SUPPORTED: readonly (readonly [LA64PageKiB, number])[] = [
  [4, 4],
  [16, 3],
  [64, 2],
  [64, 3],
];

const GEOMETRIES = new Map<string, LA64Geometry>();

/**
 * The shape of a LoongArch64 table with `pageKiB` pages and `levels` levels (5.4.5 with the widths of 7.5.8 and
 * 7.5.9): every table is one page of 8-byte entries, so each level indexes pageShift - 3 bits (9, 11 or 13); the PT
 * level starts at the page shift and each directory where the one below it ends. Huge pages: 1 GiB and 2 MiB with
 * 4 KiB pages (the crate's levels 1 and 2), and otherwise at the PMD, the directory right above the PT level (Linux's
 * HPAGE_SHIFT = PMD_SHIFT, arch/loongarch/include/asm/page.h): 32 MiB with 16 KiB pages, 512 MiB with 64 KiB.
 * @throws RangeError for a page size and depth other than 4 KiB x 4, 16 KiB x 3, 64 KiB x 2 or 3.
 * @example
 * la64Geometry(16, 3).pwcl.toString(16); // '5e56e': PTbase 14, PTwidth 11, Dir1_base 25, Dir1_width 11
 */
export function la64Geometry(pageKiB: LA64PageKiB, levels: number): LA64Geometry {
  const key = `${String(pageKiB)}:${String(levels)}`;
  const known = GEOMETRIES.get(key);
  if (known !== undefined) return known;
  if (!SUPPORTED.some(([k, l]) => k === pageKiB && l === levels)) {
    throw new RangeError(`la64Geometry: ${String(pageKiB)} KiB pages with ${String(levels)} levels is not supported (4 KiB x 4, 16 KiB x 3, 64 KiB x 2 or 3)`);
  }
  const pageShift = pageKiB === 4 ? 12 : pageKiB === 16 ? 14 : 16;
  const width = pageShift - 3;
  const names = DIRECTORIES[levels]!;
  // PWCL (7.5.8): PTbase [4:0], PTwidth [9:5], Dir1_base [14:10], Dir1_width [19:15], Dir2_base [24:20],
  // Dir2_width [29:25], PTEWidth [31:30] = 0 (64-bit entries). PWCH (7.5.9): Dir3_base [5:0], Dir3_width [11:6],
  // Dir4_base [17:12], Dir4_width [23:18] = 0 (no Dir4 here).
  let pwcl = pageShift | (width << 5);
  let pwch = 0;
  names.forEach((name, i) => {
    // the directory i levels above the PT level's parent: its index starts where the lower levels' bits end
    const base = pageShift + (names.length - i) * width;
    if (name === 'Dir1') pwcl |= (base << 10) | (width << 15);
    else if (name === 'Dir2') pwcl |= (base << 20) | (width << 25);
    else pwch |= base | (width << 6);
  });
  const geometry: LA64Geometry = Object.freeze({
    pageKiB,
    pageShift,
    levels,
    indexBits: width,
    vaBits: pageShift + levels * width,
    hugeLevels: Object.freeze(pageKiB === 4 ? [1, 2] : [levels - 2]),
    levelNames: Object.freeze([...names, 'PT']),
    pwcl: pwcl >>> 0,
    pwch,
  });
  GEOMETRIES.set(key, geometry);
  return geometry;
}

/** The halves a geometry's table may serve: both for one of 48 bits or more, else one of them. */
function checkHalf(g: LA64Geometry, half: LA64Half, fn: string): void {
  const ok = g.vaBits >= 48 ? half === 'both' : half === 'lower' || half === 'upper';
  if (!ok) {
    throw new RangeError(
      `${fn}: a ${g.vaBits}-bit table (${g.pageKiB} KiB pages, ${g.levels} levels) serves ${g.vaBits >= 48 ? "'both' halves" : "'lower' or 'upper'"}, not ${String(half)}`,
    );
  }
}

/** The default half of a geometry: 'both' when its table covers both halves, else 'lower'. */
export function la64DefaultHalf(g: LA64Geometry): LA64Half {
  return g.vaBits >= 48 ? 'both' : 'lower';
}

const METAS = new Map<string, PagingMetaData>();

/**
 * The metadata of a LoongArch64 table of `pageKiB` pages, `levels` levels, serving `half` (default: `'both'` for a
 * table of 48 bits or more, else `'lower'`; see {@link LA64Half}). Physical addresses have 48 bits (PALEN = 48,
 * 7.5.3); virtual addresses of a table that serves both halves are valid when bits 63:47 are equal (5.2) and are
 * listed sign-extended; a one-half table takes and lists only its half's addresses, in full. `la64MetaData(4, 4)` is
 * {@link LA64MetaData}. One frozen object per set of arguments.
 * @throws RangeError as {@link la64Geometry}, and for a half the geometry cannot serve.
 * @example
 * la64MetaData(16, 3, 'upper').vaddrIsValid(0xffff_8000_0000_0000n); // true
 */
export function la64MetaData(pageKiB: LA64PageKiB, levels: number, half?: LA64Half): PagingMetaData {
  const g = la64Geometry(pageKiB, levels);
  const h = half ?? la64DefaultHalf(g);
  checkHalf(g, h, 'la64MetaData');
  const key = `${g.pageKiB}:${g.levels}:${h}`;
  let m = METAS.get(key);
  if (m !== undefined) return m;
  m =
    pageKiB === 4
      ? LA64MetaData
      : defineMetaData({
          name: `loongarch64 ${pageKiB}K/${levels}${h === 'both' ? '' : ` ${h}`}`,
          paMaxBits: 48,
          pageShift: g.pageShift,
          indexBits: Array.from({ length: levels }, () => g.indexBits),
          entryBytes: 8,
          leafLevels: g.hugeLevels,
          // both halves: VALEN = 48, bits 63:47 equal (5.2); one half: the bits above the table's own
          vaTopBit: h === 'both' ? 47 : g.vaBits,
          upperHalf: h !== 'lower',
          lowerHalf: h !== 'upper',
          signExtend: h === 'both',
        });
  METAS.set(key, m);
  return m;
}
