export { LA64MetaData, LA64PageTable, PWCH_VALUE, PWCL_VALUE } from './_table';
export { LA64PTE, PTEFlags } from '@page-table-multiarch/entry/loongarch64';

// Attach and dump: page-walk CSRs to an attach plan, and what a dump needs to know about the entries.
export { la64Inspector } from './inspector';
export { decodeLA64Registers, la64Format, type LA64Registers } from './registers';
