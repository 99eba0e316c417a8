// ARMv7-A short-descriptor translation tables on PageTable32 of @page-table-multiarch/core, with the
// descriptor codec of @page-table-multiarch/entry/arm re-exported. See README.md.
export {
  type A32Codec,
  A32PTE,
  DescriptorAttr,
  sectionAttrFromFlags,
  smallPageAttrFromFlags,
} from '@page-table-multiarch/entry/arm';
export { A32PagingMetaData } from './metadata';
export { A32PageTable } from './tables';

// Attach and dump: TTBR0 / TTBR1 / TTBCR to an attach plan, and what a dump needs to know about descriptors.
export { a32Inspector } from './inspector';
export { a32Format, type A32Registers, decodeA32Registers } from './registers';

// Boot: the register values that make the CPU walk a table (the inverse of the decoder above).
export { type A32BootRegisters, type A32EncodeOptions, encodeA32Registers } from './boot';
