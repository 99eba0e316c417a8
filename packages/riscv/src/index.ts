// The riscv tables are built on PageTable64 of @page-table-multiarch/core with the codec of
// @page-table-multiarch/entry/riscv; see README.md for what this package holds.
export { ARCH } from '@page-table-multiarch/entry/riscv';
