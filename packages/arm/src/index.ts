// ARMv7-A short-descriptor (on PageTable32) and long-descriptor (LPAE, on PageTable64) translation tables of
// @page-table-multiarch/core, with the descriptor codecs of @page-table-multiarch/entry/arm re-exported. See README.md.
export {
  type A32Codec,
  type A32CodecOptions,
  type A32LpaeCodec,
  type A32LpaeCodecOptions,
  A32LpaePTE,
  A32PTE,
  type A32Remap,
  a32Codec,
  a32LpaeCodec,
  a32RemapTypes,
  DescriptorAttr,
  LPAE_ADDR,
  LPAE_MAIR,
  LPAE_SBZP,
  LpaeDescriptorAttr,
  mairAttr,
  mairFlags,
  sectionAttrFromFlags,
  smallPageAttrFromFlags,
} from '@page-table-multiarch/entry/arm';
export { A32PagingMetaData, type A32LpaeSplit, a32LpaeMetaData, lpaeFirstLevel, lpaeRange } from './metadata';
export { A32LpaePageTable, type A32LpaeTableOptions, A32LpaeTtbr1PageTable, A32PageTable } from './tables';

// Attach and dump: TTBR0 / TTBR1 / TTBCR to an attach plan, and what a dump needs to know about descriptors.
export { type A32InspectorOptions, a32Inspector, a32LpaeInspector } from './inspector';
export { type A32FormatOptions, a32Format, a32LpaeFormat, type A32Registers, decodeA32Registers } from './registers';

// Boot: the register values that make the CPU walk a table (the inverse of the decoder above).
export {
  type A32BootRegisters,
  type A32EncodeOptions,
  type A32LpaeBootRegisters,
  type A32LpaeEncodeOptions,
  encodeA32LpaeRegisters,
  encodeA32Registers,
} from './boot';

// TLB maintenance operations over core's Tlb: TLBIALL, TLBIMVA, TLBIASID, TLBIMVAA.
export { tlbiall, tlbiasid, tlbimva, tlbimvaa } from './tlb';

// The MMU model: an access translated as an ARMv7-A CPU does (short descriptors), with its DFSR / IFSR.
export { A32Mmu, type A32FaultSyndrome, type A32MmuOptions } from './mmu';
export { A32LpaeMmu, type A32LpaeFaultSyndrome, type A32LpaeMmuOptions } from './mmu-lpae';
