// Geometry of LoongArch64 4-level paging with 4 KiB pages, and the page-walk controller values that make the
// LDDIR / LDPTE walker read it (LoongArch Reference Manual Vol. 1, 5.4.5, 7.5.8, 7.5.9).
import { defineMetaData, type PagingMetaData } from '@page-table-multiarch/core';

/**
 * LoongArch64 4-level paging with 4 KiB pages (LoongArch Reference Manual Vol. 1, 5.4.5): four tables of
 * 512 8-byte entries (the walker's Dir3, Dir2, Dir1 and PT), 48-bit virtual addresses whose bits 63:47 are
 * all equal (5.2: otherwise an address error), 48-bit physical addresses (PALEN = 48, 7.5.3), and leaves of
 * 1 GiB (a huge-page entry in Dir2, level 1), 2 MiB (in Dir1, level 2) and 4 KiB (PT, level 3).
 */
export const LA64MetaData: PagingMetaData = defineMetaData({
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
export const PWCL_VALUE: number = 12 | (9 << 5) | (21 << 10) | (9 << 15) | (30 << 20) | (9 << 25) | (0 << 30);

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
