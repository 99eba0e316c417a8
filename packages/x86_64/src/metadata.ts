// Geometry of x86_64 4-level and 5-level paging (Intel SDM Vol. 3A, section 4.5).
import { defineMetaData, type PagingMetaData } from '@page-table-multiarch/core';

/**
 * x86_64 4-level paging (Intel SDM Vol. 3A section 4.5): PML4, PDPT, PD, PT of 512 8-byte entries,
 * 48-bit canonical virtual addresses (bits 63:47 equal), 52-bit physical addresses, leaves of 1 GiB
 * (PDPTE with PS), 2 MiB (PDE with PS) and 4 KiB.
 */
export const X64PagingMetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'x86_64',
  paMaxBits: 52,
  pageShift: 12,
  indexBits: [9, 9, 9, 9],
  entryBytes: 8,
  leafLevels: [1, 2, 3],
  vaTopBit: 47,
  upperHalf: true,
  signExtend: true,
});

/**
 * x86_64 5-level paging (CR4.LA57 = 1; Intel SDM Vol. 3A section 4.5): a PML5 table above the PML4,
 * 57-bit canonical virtual addresses (bits 63:56 equal), the same entries and leaf sizes as 4-level paging.
 */
export const X64PagingMetaData5: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'x86_64-la57',
  paMaxBits: 52,
  pageShift: 12,
  indexBits: [9, 9, 9, 9, 9],
  entryBytes: 8,
  leafLevels: [2, 3, 4],
  vaTopBit: 56,
  upperHalf: true,
  signExtend: true,
});
