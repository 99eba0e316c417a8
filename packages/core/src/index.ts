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
  PTELayout,
  PTERunHint,
  PTEWords,
  VirtAddr,
} from './interfaces';
export { defineMetaData, type MetaDataSpec } from './metadata';
export { PhysicalMemory, type PhysicalMemoryOptions } from './physical-memory';
export { type LeafMapping, type MappingInfo, PageTable64, type WalkCallback } from './table/page-table';
export { FLUSH_BATCH, type MapRegionOptions, type PaddrSource, PageTable64Cursor } from './cursor/cursor';
export { PageTable32, PageTable32Cursor } from './table/page-table32';
export { bitsToWords, wordsOf, wordsToBits } from './words';
// Attach and dump: reading tables the library did not build (memory dumps, guests), register decoding results,
// and the W+X audit.
export {
  checkRoot,
  defaultRoots,
  type DumpFormat,
  type DumpOptions,
  type DumpRoot,
  type DumpSource,
  type EntryInspector,
  levelName,
  NO_LIMIT,
  tableLimit,
} from './inspect/format';
export {
  type DumpDiagnostic,
  type DumpDiagnosticCode,
  type DumpRecord,
  type DumpSummary,
  dumpMappings,
  MappingDump,
  type MappingRun,
  type NumberedRecord,
} from './inspect/dump';
export { RunNumbers } from './inspect/run-record';
export type { SharedTable } from './inspect/shared';
export { type Translation, type TranslationStep, translateAddress } from './inspect/translate';
export { PagedMemory, type PagedMemoryOptions, type PagedMemoryStats, type PagedRange, type PagedSpan } from './inspect/paged-memory';
export { type AttachPlan, field, RegisterError, type RegisterErrorCode, registerValue, type TableFormat } from './inspect/registers';
export {
  type AuditFinding,
  type AuditKind,
  type AuditOptions,
  type AuditorOptions,
  type AuditReport,
  auditMappings,
  MappingAuditor,
} from './inspect/audit';
// Boot: the tables as one blob for a physical base, what register encoders share, and register files for a build.
export { type TableImage, tableImage, type TableImageOptions } from './boot/image';
export {
  formatRegisters,
  loadableRoot,
  type RegisterFileOptions,
  type RegisterFileStyle,
  registerField,
} from './boot/registers';
// MMU models: an access (kind, privilege) translated as the hardware does, with faults and their syndromes.
export {
  Access,
  type AccessKind,
  type FaultKind,
  faultKindOf,
  MmuCode,
  type MmuFault,
  type MmuResult,
  type MmuTranslation,
  Privilege,
  type PrivilegeLevel,
} from './mmu/access';
export { MmuModel } from './mmu/model';
export type { FaultStage, SecondStage } from './mmu/stage2';
export { Tlb } from './mmu/tlb';
export type { TlbOptions, TlbScope, TlbWalker } from './mmu/tlb-types';
export { combineTlbChecks, type SecondStageTlbWalker, secondStageTlbWalker } from './mmu/tlb-stages';
