// x86_64 4-level and 5-level (LA57) page tables on PageTable64 of @page-table-multiarch/core, with the entry codec
// of @page-table-multiarch/entry/x86_64 re-exported. See README.md.
export { PTF, X64_PAT_POWER_ON, type X64Codec, type X64CodecOptions, X64PTE, x64Codec, x64PatTypes } from '@page-table-multiarch/entry/x86_64';
export { X64PagingMetaData, X64PagingMetaData5 } from './metadata';
export { X64PageTable, X64PageTable5 } from './tables';
// The legacy modes: 32-bit paging and PAE paging, their codecs, metadata and tables.
export { X86PDE4M, X86PaePTE, type X86PaeOptions, X86PTE32, type X86Pte32Options, x86PaeCodec, x86Pte32Codec } from '@page-table-multiarch/entry/x86_64';
export {
  X86PagingMetaData32,
  X86PagingMetaData32NoPse,
  X86PaePagingMetaData,
  X86PageTable32,
  type X86PageTable32Options,
  X86PaePageTable,
  type X86PaePageTableOptions,
} from './legacy';
// EPT, the second stage under VMX: its codec, metadata and tables.
export { X86EptFlags, type X86EptOptions, X86EptPTE, x86EptCodec } from '@page-table-multiarch/entry/x86_64';
export { X86Ept5PageTable, X86Ept5PagingMetaData, X86EptPageTable, type X86EptPageTableOptions, X86EptPagingMetaData } from './ept';

// Attach and dump: control registers to an attach plan, and what a dump needs to know about the entries.
export { x64Inspector, type X64InspectorOptions } from './inspector';
export { decodeX64Registers, x64Format, type X64Registers } from './registers';
export { x86LegacyFormat, x86LegacyInspector, type X86LegacyInspectorOptions } from './legacy-registers';
export {
  decodeX86Eptp,
  encodeX86Eptp,
  x86EptFormat,
  x86EptInspector,
  type X86EptInspectorOptions,
  type X86EptpEncodeOptions,
  type X86EptpRegisters,
} from './ept-registers';

// Boot: the register values that make the CPU walk a table (the inverse of the decoder above).
export { encodeX64Registers, type X64BootRegisters, type X64EncodeOptions } from './boot';
export { encodeX86LegacyRegisters, type X86LegacyBootRegisters } from './legacy-boot';

// The MMU model: an access translated as the processor does (4-level and 5-level paging).
export { type X86FaultSyndrome, X86Mmu, type X86MmuOptions, X86PageFaultError, X86Vector } from './mmu';
// The MMU model of 32-bit paging and PAE paging, with the same syndrome.
export { X86LegacyMmu, type X86LegacyMmuOptions } from './legacy-mmu';
// TLB instructions over core's Tlb: INVLPG, INVPCID, MOV to CR3.
export { InveptType, InvpcidType, InvvpidType, invept, invlpg, invpcid, invvpid, movToCr3 } from './tlb';
// Two-stage translation: EPT as an MMU model, the second stage of X86Mmu, and the VM exits it reports.
export { X86EptMmu, type X86EptMmuOptions } from './ept-mmu';
export { X86EptQualification, X86ExitReason, type X86SecondStage, type X86VmExit } from './two-stage';
