// The harness: QEMU control, table contents, comparison, the run every architecture shares, and one runner per
// architecture.
export { Checker, type Mismatch, type RunResult, showPa, showTranslation } from './_check';
export { fromHex, fromLeHex, GdbRemote, leHex, type RegisterInfo, toHex } from '@page-table-multiarch/cli';
export {
  ALL_FLAG_SETS,
  type AddressSpace,
  buildLayout,
  corruptedImage,
  countKinds,
  halfEndWindows,
  type Layout,
  type LayoutSpec,
  queryOrNull,
  type Region,
  Rng,
  type Sample,
  type SampleKind,
  STANDARD_SIZES,
  sampleAddresses,
  type Translation,
  type VaWindow,
} from './_layout';
export { affects, DEFECTS, type Defect, parseRelease, type QemuRelease, qemuRelease } from './_defects';
export {
  type Access,
  compareAccesses,
  type GuestArea,
  type GuestRun,
  guestArea,
  type Run,
  type RunOptions,
  runGuest,
  runTarget,
  type TableSpec,
  type Tamper,
  type Target,
  writeAddressList,
} from './_driver';
export {
  cacheDir,
  currentQemuDir,
  findCurrentQemu,
  findQemu,
  findSpan,
  gva2gpa,
  type LoggedInsn,
  parseInAsm,
  parseListing,
  type Qemu,
  type QemuOptions,
  qemuVersion,
  startQemu,
} from './_qemu';
export { type A64Options, a64Stub, checkA64 } from './aarch64';
export { type A64Stage2Options, a64Stage2Stub, checkA64Stage2 } from './aarch64-stage2';
export { type A32Options, a32Stub, checkA32 } from './arm';
export { type A32LpaeOptions, a32LpaeStub, checkA32Lpae } from './arm-lpae';
export { type BootedKernel, bootKernel, findKernel, type KernelBootOptions, kernelDir, kernelVersion } from './_kernel';
export {
  type A32KernelRegisters,
  type ArmKernelOptions,
  bootArmKernel,
  checkArmKernel,
  type KernelCheck,
  type KernelCheckOptions,
  type KernelSample,
  type KernelSampleKind,
  kernelSamples,
  mairMemoryType,
  PANIC_MARKER,
  readA32Registers,
  VIRT_RAM_BASE,
} from './arm-kernel';
export { checkLa64, type La64Options, la64Program } from './loongarch64';
export { checkLa64Mmu, type La64MmuOptions, type La64MmuResult, la64MmuProgram } from './loongarch64-mmu';
export { checkRiscv, type RiscvOptions, type RiscvScheme } from './riscv';
export { checkRiscvGStage, type RiscvGStageOptions, type RiscvGStageScheme } from './riscv-gstage';
export {
  checkRiscvTwoStage,
  type RiscvTwoStageOptions,
  type RiscvTwoStageResult,
  type RiscvTwoStageScheme,
  rvTwoStageProgram,
} from './riscv-two-stage';
export { checkX86, type X86Options } from './x86_64';
export { checkX86Legacy, type X86LegacyOptions } from './x86-legacy';
export { checkX86Mmu, type X86MmuOptions, type X86MmuResult, x86MmuProgram } from './x86-mmu';
export { checkX86LegacyMmu, type X86LegacyMmuCheckOptions, type X86LegacyMmuResult, x86LegacyMmuProgram } from './x86-legacy-mmu';
export { BOOT_MARKER, BOOT_STUB_ADDR, type BootArch, type BootProgram, type BootRun, bootQemu, bootStub } from './boot';
export { checkRiscvMmu, type RiscvMmuOptions, type RiscvMmuResult, type RiscvMmuScheme, rvMmuProgram } from './riscv-mmu';
export { type A64MmuOptions, type A64MmuResult, checkA64Mmu } from './aarch64-mmu';
export { a64MmuProgram } from './_a64-mmu-guest';
export { a64El2Code, type A64TwoStageOptions, type A64TwoStageResult, checkA64TwoStage } from './aarch64-two-stage';
export { a32MmuProgram, type A32MmuOptions, type A32MmuResult, checkA32Mmu } from './arm-mmu';
