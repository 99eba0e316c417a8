export { LA64MetaData, LA64PageTable, PWCH_VALUE, PWCL_VALUE } from './_table';
export { LA64PTE, PTEFlags } from '@page-table-multiarch/entry/loongarch64';
