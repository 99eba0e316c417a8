// ARMv7-A short-descriptor translation tables on PageTable32 of @page-table-multiarch/core, with the
// descriptor codec of @page-table-multiarch/entry/arm re-exported. See README.md.
export { A32PagingMetaData } from './metadata';
export { A32PageTable } from './page-table';
export {
  type A32Codec,
  A32PTE,
  DescriptorAttr,
  sectionAttrFromFlags,
  smallPageAttrFromFlags,
} from '@page-table-multiarch/entry/arm';
