// The table types the bench runs, by the name `--arch` takes. Every type runs the same workloads (W1-W6); where an
// address space is smaller than the workload's (ARMv7's 4 GiB), the addresses are chosen inside it and the row's
// note says so. The workloads' numbers come from the format's metadata, not from a list per type.
import type { PageTable64, PagingHandler } from '@page-table-multiarch/core';
import type { RawKind } from './raw-walk';

export interface BenchArch {
  /** The name `--arch` takes and the bench prints. */
  readonly name: string;
  /** Loads the package and returns a constructor of empty tables in `memory`. */
  load(): Promise<(memory: PagingHandler) => PageTable64>;
  /** Start of the sequential range of W1-W4 (virtual, physical) and the physical start of W4b. */
  readonly seqVa: number;
  readonly seqPa: number;
  readonly w4bPa: number;
  /** The size of W4's mapRegion and unmapRegion. */
  readonly w4Bytes: number;
  /** A plain walk of this format over the table words, the floor W2 and W6b are measured against (raw-walk.ts). */
  readonly raw?: RawKind;
  /** The Rust crate's benchmark runs this type (same name there). */
  readonly native?: boolean;
}

// W1-W4 of the crate: 1,000,000 pages from VA 4 GiB, physical 1 GiB; W4b starts 2 MiB past a 1 GiB boundary so that
// 2 MiB pages, not 1 GiB ones, are the largest that fit.
const WIDE = { seqVa: 0x1_0000_0000, seqPa: 0x4000_0000, w4bPa: 0x4020_0000, w4Bytes: 2 ** 32 } as const;

export const BENCH_ARCHES: readonly BenchArch[] = [
  { name: 'X64', ...WIDE, raw: 'x86', native: true, load: async () => {
    const { X64PageTable } = await import('@page-table-multiarch/x86_64');
    return (m) => new X64PageTable(m);
  } },
  { name: 'X64-5', ...WIDE, raw: 'x86', load: async () => {
    const { X64PageTable5 } = await import('@page-table-multiarch/x86_64');
    return (m) => new X64PageTable5(m);
  } },
  { name: 'A64', ...WIDE, load: async () => {
    const { A64PageTable } = await import('@page-table-multiarch/aarch64');
    return (m) => new A64PageTable(m);
  } },
  // ARMv7 short descriptors: 4 GiB of virtual and 32 bits of physical address, so W1-W4 start at 0 (1,000,000 pages
  // are 3.8 GiB); W4 maps 2 GiB (its physical end stays below 4 GiB), W4b from 1 MiB past a 16 MiB boundary
  // (sections, not supersections).
  { name: 'A32', seqVa: 0, seqPa: 0, w4bPa: 0x10_0000, w4Bytes: 2 ** 31, load: async () => {
    const { A32PageTable } = await import('@page-table-multiarch/arm');
    return (m) => new A32PageTable(m);
  } },
  // ARMv7 long descriptors with TTBR0 serving all 4 GiB (T0SZ = T1SZ = 0): 40-bit physical addresses, 1 GiB blocks.
  { name: 'A32-LPAE', seqVa: 0, seqPa: 0x4000_0000, w4bPa: 0x4020_0000, w4Bytes: 2 ** 32, load: async () => {
    const { A32LpaePageTable } = await import('@page-table-multiarch/arm');
    return (m) => new A32LpaePageTable(m, { t0sz: 0, t1sz: 0 });
  } },
  // The 16K and 64K granules: the workloads' page is the granule (1,000,000 pages are 15.3 / 61 GiB), W4 still maps
  // 4 GiB; the largest block below 4 GiB is 32 MiB (16K) and 512 MiB (64K), so W4a and W4b write the same leaves.
  { name: 'A64-16K47', ...WIDE, load: async () => {
    const { A64PageTable16K47 } = await import('@page-table-multiarch/aarch64');
    return (m) => new A64PageTable16K47(m);
  } },
  { name: 'A64-64K48', ...WIDE, load: async () => {
    const { A64PageTable64K48 } = await import('@page-table-multiarch/aarch64');
    return (m) => new A64PageTable64K48(m);
  } },
  // The 52-bit output addresses (Arm ARM DDI 0487 D8.3): 4K with FEAT_LPA2 (five levels, OA[51:50] in descriptor bits
  // 9:8) and 64K with FEAT_LPA (three levels, OA[51:48] in bits 15:12). The workloads' addresses stay below 2^48, as on
  // the other AArch64 rows: the top address bits are zero, as they are on most such systems.
  { name: 'A64-4K52', ...WIDE, load: async () => {
    const { A64PageTable4K52 } = await import('@page-table-multiarch/aarch64');
    return (m) => new A64PageTable4K52(m);
  } },
  { name: 'A64-64K52', ...WIDE, load: async () => {
    const { A64PageTable64K52 } = await import('@page-table-multiarch/aarch64');
    return (m) => new A64PageTable64K52(m);
  } },
  // x86 32-bit paging (CR4.PSE: 4 MiB pages) and PAE (2 MiB pages) over their 4 GiB of virtual space, from VA 0 as
  // on ARMv7; W4b starts 2 MiB past a 4 MiB boundary. 32-bit paging has 32-bit physical addresses (PSE-36 aside).
  { name: 'X86-32', seqVa: 0, seqPa: 0, w4bPa: 0x20_0000, w4Bytes: 2 ** 31, load: async () => {
    const { X86PageTable32 } = await import('@page-table-multiarch/x86_64');
    return (m) => new X86PageTable32(m);
  } },
  { name: 'X86-PAE', seqVa: 0, seqPa: 0x4000_0000, w4bPa: 0x4020_0000, w4Bytes: 2 ** 32, load: async () => {
    const { X86PaePageTable } = await import('@page-table-multiarch/x86_64');
    return (m) => new X86PaePageTable(m);
  } },
  // Intel EPT, 4-level (SDM Vol. 3C 29.3.2): guest-physical addresses in [0, 2^48), the workloads' addresses as
  // X64's; READ | WRITE leaves carry R, W and the WB memory type.
  { name: 'X86-EPT', ...WIDE, raw: 'ept', load: async () => {
    const { X86EptPageTable } = await import('@page-table-multiarch/x86_64');
    return (m) => new X86EptPageTable(m);
  } },
  { name: 'Sv39', ...WIDE, raw: 'riscv', native: true, load: async () => {
    const { Sv39PageTable } = await import('@page-table-multiarch/riscv');
    return (m) => new Sv39PageTable(m);
  } },
  { name: 'Sv48', ...WIDE, raw: 'riscv', load: async () => {
    const { Sv48PageTable } = await import('@page-table-multiarch/riscv');
    return (m) => new Sv48PageTable(m);
  } },
  { name: 'Sv57', ...WIDE, raw: 'riscv', load: async () => {
    const { Sv57PageTable } = await import('@page-table-multiarch/riscv');
    return (m) => new Sv57PageTable(m);
  } },
  // Sv32: 4 GiB of virtual and 34 bits of physical address; 4 MiB megapages, W4b 2 MiB past a 4 MiB boundary.
  { name: 'Sv32', seqVa: 0, seqPa: 0x4000_0000, w4bPa: 0x4020_0000, w4Bytes: 2 ** 32, load: async () => {
    const { Sv32PageTable } = await import('@page-table-multiarch/riscv');
    return (m) => new Sv32PageTable(m);
  } },
  // The G-stage Sv39x4: a 16 KiB root of 2,048 entries over 41 bits of guest-physical address, no sign extension.
  { name: 'Sv39x4', ...WIDE, load: async () => {
    const { Sv39x4PageTable } = await import('@page-table-multiarch/riscv');
    return (m) => new Sv39x4PageTable(m);
  } },
  { name: 'LA64', ...WIDE, load: async () => {
    const { LA64PageTable } = await import('@page-table-multiarch/loongarch64');
    return (m) => new LA64PageTable(m);
  } },
];

/** The types `--arch` names (a comma-separated list, or `all`); X64 and Sv39 (the crate's two) by default. */
export function selectArches(arg: string | undefined): BenchArch[] {
  if (arg === undefined) return BENCH_ARCHES.filter((a) => a.native === true);
  if (arg === 'all') return [...BENCH_ARCHES];
  return arg.split(',').map((name) => {
    const a = BENCH_ARCHES.find((x) => x.name.toLowerCase() === name.trim().toLowerCase());
    if (a === undefined) throw new Error(`--arch ${name}: not one of ${BENCH_ARCHES.map((x) => x.name).join(', ')}, all`);
    return a;
  });
}
