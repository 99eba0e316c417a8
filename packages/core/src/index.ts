export { PagingError, type PagingErrorCode, hex } from './errors';
export { MappingFlags, PageSize, formatFlags, shortFlags, formatPageSize, isHugePageSize, MAPPING_FLAGS_ALL } from './flags';
export type {
  AddrInput,
  FlushTlb,
  GenericPTE,
  PageTableOptions,
  PagingHandler,
  PagingMetaData,
  PhysAddr,
  PTEWords,
  VirtAddr,
} from './interfaces';
export { defineMetaData, type MetaDataSpec } from './metadata';
export { PhysicalMemory, type PhysicalMemoryOptions } from './physical-memory';
export {
  FLUSH_BATCH,
  type LeafMapping,
  type MappingInfo,
  type PaddrSource,
  PageTable64,
  PageTable64Cursor,
  type WalkCallback,
} from './page-table64';
export { PageTable32, PageTable32Cursor } from './page-table32';
export { bitsToWords, wordsOf, wordsToBits } from './words';
