// LoongArch64 4-level page tables on PageTable64 of @page-table-multiarch/core, with the entry codec of
// @page-table-multiarch/entry/loongarch64 re-exported. See README.md.
export { LA64PTE, PTEFlags } from '@page-table-multiarch/entry/loongarch64';
export { LA64MetaData, PWCH_VALUE, PWCL_VALUE } from './metadata';
export { LA64PageTable } from './tables';
export { LA64Ecode, type LA64FaultSyndrome, LA64Mmu, type LA64MmuOptions } from './mmu';

// Attach and dump: page-walk CSRs to an attach plan, and what a dump needs to know about the entries.
export { la64Inspector } from './inspector';
export { decodeLA64Registers, la64Format, type LA64Registers } from './registers';

// Boot: the register values that make the CPU walk a table (the inverse of the decoder above).
export { encodeLA64Registers, type LA64BootRegisters } from './boot';

// TLB instructions over core's Tlb: INVTLB.
export { invtlb } from './tlb';
