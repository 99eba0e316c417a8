// RISC-V Sv32, Sv39, Sv48, Sv57 and G-stage page tables on PageTable32 / PageTable64 of @page-table-multiarch/core: geometry, table types, and the
// entry codecs of @page-table-multiarch/entry/riscv re-exported. See README.md.
export {
  gStageLeafFlags,
  legalLeafFlags,
  PTEFlags,
  Rv32PTE,
  Rv32PTEGStage,
  Rv64PTE,
  Rv64PTEGStage,
  Rv64PTEGStageSvpbmt,
  Rv64PTELegal,
  Rv64PTESvpbmt,
  Rv64PTEXuantie,
  Rv64PTEXuantieLegal,
} from '@page-table-multiarch/entry/riscv';
export {
  Sv32MetaData,
  Sv32x4MetaData,
  Sv39MetaData,
  Sv39SvnapotMetaData,
  Sv39x4MetaData, Sv48MetaData, Sv48SvnapotMetaData, Sv48x4MetaData,
  Sv57MetaData,
  Sv57SvnapotMetaData,
  Sv57x4MetaData,
} from './metadata';
export {
  Sv32PageTable,
  Sv32x4PageTable,
  Sv39PageTable,
  Sv39PageTableXuantie,
  Sv39x4PageTable,
  Sv48PageTable,
  Sv48PageTableXuantie,
  Sv48x4PageTable,
  Sv57PageTable,
  Sv57x4PageTable,
  type RiscvTableOptions,
} from './tables';

// Attach and dump: satp to an attach plan, and what a dump needs to know about PTEs.
export { rvInspector, type RvInspectorOptions } from './inspector';
export {
  decodeRiscvHgatp,
  decodeRiscvSatp,
  type RiscvHgatpRegisters,
  type RiscvRegisters,
  rvFormat,
  rvGStageFormat,
} from './registers';

// Boot: the register values that make the CPU walk a table (the inverse of the decoder above).
export {
  encodeRiscvHgatp,
  encodeRiscvSatp,
  type RiscvBootRegisters,
  type RiscvEncodeOptions,
  type RiscvGStagePageTable,
  type RiscvHgatpOptions,
  type RiscvHgatpValue,
  type RiscvPageTable,
} from './boot';

// The MMU model: an access translated as a hart does (SUM, MXR, Svade / Svadu), with its page fault.
export { RiscvCause, type RiscvFaultSyndrome, RiscvMmu, type RiscvMmuOptions } from './mmu';
// The G-stage model (hgatp), alone or as the second stage of a RiscvMmu: guest-page faults with htval / htinst.
export { RiscvGStageMmu, type RiscvGStageMmuOptions, type RiscvGuestFaultSyndrome } from './gstage-mmu';
// Its TLB instructions, over core's Tlb: SFENCE.VMA and a satp write that switches the ASID.
export { hfenceGvma, hfenceVvma, sfenceVma, writeSatp } from './tlb';
