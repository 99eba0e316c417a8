// LoongArch64 page tables (4 KiB pages with four levels, 16 KiB with three, 64 KiB with two or three) on PageTable64
// of @page-table-multiarch/core, with the entry codec of @page-table-multiarch/entry/loongarch64 re-exported. See
// README.md.
export { type LA64Codec, la64Codec, type LA64Levels, LA64PTE, PTEFlags } from '@page-table-multiarch/entry/loongarch64';
export {
  type LA64Geometry,
  type LA64Half,
  LA64MetaData,
  type LA64PageKiB,
  la64Geometry,
  la64MetaData,
  PWCH_VALUE,
  PWCL_VALUE,
} from './metadata';
export {
  type LA64NamedTableOptions,
  LA64PageTable,
  LA64PageTable16K3,
  LA64PageTable64K2,
  LA64PageTable64K3,
  type LA64TableFormat,
  type LA64TableOptions,
} from './tables';
export { LA64Ecode, type LA64FaultSyndrome, LA64Mmu, type LA64MmuOptions } from './mmu';

// Attach and dump: page-walk CSRs to an attach plan, and what a dump needs to know about the entries.
export { la64Inspector } from './inspector';
export { decodeLA64Registers, la64Format, type LA64Registers } from './registers';

// Boot: the register values that make the CPU walk a table (the inverse of the decoder above).
export { encodeLA64Registers, type LA64BootRegisters } from './boot';

// TLB instructions over core's Tlb: INVTLB.
export { invtlb } from './tlb';
