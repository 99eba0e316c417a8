// AArch64 (VMSAv8-64, 4 KiB granule, 48-bit) translation tables on PageTable64 of @page-table-multiarch/core,
// with the descriptor codecs of @page-table-multiarch/entry/aarch64 re-exported. See README.md.
export { A64PagingMetaData } from './metadata';
export { A64PageTable, A64PageTableEl2 } from './page-table';
export {
  A64PTE,
  A64PTEEl2,
  A64PTEEl2ImpliedRead,
  A64PTEImpliedRead,
  DescriptorAttr,
  descriptorAttrFromFlags,
  descriptorAttrFromMemAttr,
  flagsFromDescriptorAttr,
  MAIR_VALUE,
  MemAttr,
  memAttrOf,
} from '@page-table-multiarch/entry/aarch64';
