import { defineMetaData, type PagingMetaData } from '@page-table-multiarch/core';

/**
 * ARMv7-A short-descriptor translation (VMSAv7 with TTBCR.EAE = 0 and TTBCR.N = 0; ARM DDI 0406C, B3.5
 * "Short-descriptor translation table format"): two levels. The L1 table has 4096 4-byte entries indexed
 * by VA bits 31:20, 16 KiB aligned to 16 KiB (TTBR0 holds bits 31:14 of its address when N = 0); each
 * entry maps a 1 MiB Section or points to an L2 table. An L2 table has 256 4-byte entries indexed by VA
 * bits 19:12, 1 KiB aligned to 1 KiB (a Page table descriptor holds bits 31:10 of its address), each
 * mapping a 4 KiB Small page. 32-bit virtual and physical addresses: every 32-bit virtual address is
 * valid, there is no upper half, and anything from 2^32 up is not an address.
 *
 * Supersections (16 MiB) and Large pages (64 KiB) are written by the hardware format as 16 identical
 * entries; the tables read them (query, mappings, walk) and refuse to modify them.
 */
export const A32PagingMetaData: PagingMetaData = defineMetaData({
  name: 'ARMv7',
  paMaxBits: 32,
  pageShift: 12,
  indexBits: [12, 8],
  entryBytes: 4,
  tableBytes: [16384, 1024],
  leafLevels: [0, 1],
  vaTopBit: 32,
  upperHalf: false,
  signExtend: false,
});
