import { defineMetaData, type PagingMetaData } from '@page-table-multiarch/core';

/**
 * AArch64 VMSAv8-64 stage 1 translation with the 4 KiB granule and 48-bit addresses (TCR_ELx.TnSZ = 16,
 * lookup starting at level 0): four levels of 512 8-byte descriptors indexing VA bits 47:39, 38:30,
 * 29:21 and 20:12; Block descriptors at levels 1 (1 GiB) and 2 (2 MiB), Page descriptors at level 3
 * (Arm ARM DDI 0487, D8.3 "Translation table descriptor formats", and the pseudocode
 * AArch64.BlockDescSupported()); 48-bit physical (output) addresses.
 *
 * A virtual address is valid when its top 16 bits are all zero (the range of TTBR0_ELx) or all one (the
 * range of TTBR1_ELx). The table indexes only bits 47:0, so one table serves either range; which one is
 * decided by the register that points at it. For that reason addresses are not sign-extended in
 * listings: `mappings()` and `walk()` report the index-space (lower-half) form, e.g.
 * 0x0000_ff80_0000_0000 for a mapping made at 0xffff_ff80_0000_0000.
 */
export const A64PagingMetaData: PagingMetaData = defineMetaData({
  name: 'AArch64',
  paMaxBits: 48,
  pageShift: 12,
  indexBits: [9, 9, 9, 9],
  entryBytes: 8,
  leafLevels: [1, 2, 3],
  vaTopBit: 48,
  upperHalf: true,
  signExtend: false,
});
