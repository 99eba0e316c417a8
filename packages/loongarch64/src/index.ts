// The loongarch64 tables are built on PageTable64 of @page-table-multiarch/core with the codec of
// @page-table-multiarch/entry/loongarch64; see README.md for what this package holds.
export { ARCH } from '@page-table-multiarch/entry/loongarch64';
