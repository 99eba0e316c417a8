// AArch64 (VMSAv8-64: 4, 16 and 64 KiB granules, 48- and 52-bit) translation tables on PageTable64 of @page-table-multiarch/core,
// with the descriptor codecs of @page-table-multiarch/entry/aarch64 re-exported. See README.md.
export {
  A64PTE,
  A64PTEEl2,
  A64PTEEl2ImpliedRead,
  A64PTEImpliedRead,
  A64OutputAddress,
  type A64Codec,
  type A64CodecOptions,
  type A64NonGlobal,
  a64Codec,
  DescriptorAttr,
  type MemTypeIndex,
  descriptorAttrFromFlags,
  descriptorAttrFromMemAttr,
  flagsFromDescriptorAttr,
  MAIR_VALUE,
  MemAttr,
  memAttrOf,
} from '@page-table-multiarch/entry/aarch64';
// Stage 2 descriptors (EL2 for an EL1 guest).
export {
  type A64Stage2Codec,
  type A64Stage2CodecOptions,
  a64Stage2Codec,
  type S2Execute,
  S2DescriptorAttr,
  S2MemAttr,
  s2Execute,
  s2MemTypeOf,
} from '@page-table-multiarch/entry/aarch64';
export {
  type A64Geometry,
  type A64Granule,
  type A64Half,
  A64PagingMetaData,
  a64Geometry,
  a64MetaData,
  granuleShift,
} from './metadata';
export {
  type A64NamedTableOptions,
  A64PageTable,
  A64PageTable4K39,
  A64PageTable16K47,
  A64PageTable16K48,
  A64PageTable64K42,
  A64PageTable64K48,
  A64PageTable4K52,
  A64PageTable16K52,
  A64PageTable64K52,
  A64PageTableEl2,
  type A64TableFormat,
  type A64TableOptions,
} from './tables';
export {
  A64_STAGE2_PA_BITS,
  type A64Stage2Format,
  type A64Stage2Geometry,
  type A64Stage2NamedTableOptions,
  A64Stage2PageTable,
  A64Stage2PageTable4K40,
  A64Stage2PageTable16K40,
  A64Stage2PageTable64K48,
  type A64Stage2TableOptions,
  a64Stage2Geometry,
  a64Stage2MetaData,
  sl0Of,
} from './stage2';

// Attach and dump: translation registers to an attach plan, and what a dump needs to know about descriptors.
export { a64Inspector, type A64InspectorOptions } from './inspector';
export { type A64FormatOptions, a64Format, type A64Registers, decodeA64Registers } from './registers';

// Boot: the register values that make the CPU walk a table (the inverse of the decoder above).
export { type A64BootRegisters, type A64EncodeOptions, encodeA64El2Registers, encodeA64Registers } from './boot';

// The MMU model: an access translated as the CPU does, with its abort syndrome.
export { A64ExceptionClass, type A64FaultSyndrome, A64Mmu, type A64MmuOptions } from './mmu';
// The stage 2 MMU model: an EL1&0 guest's IPA translated as the CPU does, with its abort syndrome to EL2.
export { type A64Stage2FaultSyndrome, A64Stage2Mmu, type A64Stage2MmuOptions } from './stage2-mmu';
// Stage 2 registers: VTCR_EL2 / VTTBR_EL2 decoded into an attach plan and encoded for a table.
export {
  type A64Stage2BootRegisters,
  type A64Stage2EncodeOptions,
  type A64Stage2Registers,
  a64Stage2Format,
  a64Stage2Inspector,
  decodeA64Stage2Registers,
  encodeA64Stage2Registers,
} from './stage2-registers';
// TLB instructions over core's Tlb: TLBI VAE1, ASIDE1, VMALLE1, VAAE1.
export { tlbiAlle1, tlbiAside1, tlbiIpas2e1, tlbiVaae1, tlbiVae1, tlbiVmalle1, tlbiVmalls12e1 } from './tlb';
