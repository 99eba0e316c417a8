// RISC-V Sv39 / Sv48 / Sv57 page tables on PageTable64 of @page-table-multiarch/core: geometry, table types, and the
// entry codecs of @page-table-multiarch/entry/riscv re-exported. See README.md.
export {
  legalLeafFlags,
  PTEFlags,
  Rv64PTE,
  Rv64PTELegal,
  Rv64PTEXuantie,
  Rv64PTEXuantieLegal,
} from '@page-table-multiarch/entry/riscv';
export { Sv39MetaData, Sv48MetaData, Sv57MetaData } from './metadata';
export { Sv39PageTable, Sv39PageTableXuantie, Sv48PageTable, Sv48PageTableXuantie, Sv57PageTable } from './tables';

// Attach and dump: satp to an attach plan, and what a dump needs to know about PTEs.
export { rvInspector, type RvInspectorOptions } from './inspector';
export { decodeRiscvSatp, type RiscvRegisters, rvFormat } from './registers';

// Boot: the register values that make the CPU walk a table (the inverse of the decoder above).
export { encodeRiscvSatp, type RiscvBootRegisters, type RiscvEncodeOptions, type RiscvPageTable } from './boot';

// The MMU model: an access translated as a hart does (SUM, MXR, Svade / Svadu), with its page fault.
export { RiscvCause, type RiscvFaultSyndrome, RiscvMmu, type RiscvMmuOptions } from './mmu';
