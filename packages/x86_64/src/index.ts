// x86_64 4-level and 5-level (LA57) page tables on PageTable64 of @page-table-multiarch/core, with the entry codec
// of @page-table-multiarch/entry/x86_64 re-exported. See README.md.
export { PTF, X64_PAT_POWER_ON, type X64Codec, type X64CodecOptions, X64PTE, x64Codec, x64PatTypes } from '@page-table-multiarch/entry/x86_64';
export { X64PagingMetaData, X64PagingMetaData5 } from './metadata';
export { X64PageTable, X64PageTable5 } from './tables';

// Attach and dump: control registers to an attach plan, and what a dump needs to know about the entries.
export { x64Inspector, type X64InspectorOptions } from './inspector';
export { decodeX64Registers, x64Format, type X64Registers } from './registers';

// Boot: the register values that make the CPU walk a table (the inverse of the decoder above).
export { encodeX64Registers, type X64BootRegisters, type X64EncodeOptions } from './boot';
