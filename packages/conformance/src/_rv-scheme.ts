// How the RISC-V checks run a translation format (src/riscv.ts: satp's Sv32 / Sv39 / Sv48 / Sv57; src/riscv-gstage.ts:
// hgatp's x4 forms; the MMU runs, src/riscv-mmu.ts and src/riscv-two-stage.ts, for the PMP and the registers): the
// value of the root register for a root, the QEMU CPU, the table, the windows and page sizes of its layouts, and
// pointing the hart at the table through the gdb stub.
import { hex, PageSize, type PageTable64, type PhysicalMemory } from '@page-table-multiarch/core';
import type { RiscvTableOptions } from '@page-table-multiarch/riscv';
import type { GdbRemote } from '@page-table-multiarch/cli';
import { type LayoutSpec, STANDARD_SIZES, type VaWindow } from './_layout';

/** A translation format as a run uses it. */
export interface RvScheme {
  /** The root register's value (satp or hgatp) for a table at `root`: MODE and PPN. */
  readonly rootRegister: (root: bigint) => bigint;
  /** QEMU's `-cpu` value. */
  readonly cpu: string;
  readonly make: (m: PhysicalMemory, options?: RiscvTableOptions) => PageTable64;
  readonly windows: VaWindow[];
  readonly sizes: LayoutSpec['sizes'][number][];
  /** Physical address bits: 56 (RV64, a 44-bit PPN) or 34 (RV32, a 22-bit PPN). */
  readonly paBits: bigint;
  readonly vaBits: 32 | 64;
}

/** The layout sizes added for the 512 GiB leaves of Sv48 (and Sv48x4), and with the 256 TiB ones of Sv57 (Sv57x4). */
export const SV48_HUGE: LayoutSpec['sizes'][number][] = [{ size: PageSize.Size512G, regions: 6, maxPages: 2 }];
export const SV57_HUGE: LayoutSpec['sizes'][number][] = [...SV48_HUGE, { size: PageSize.Size256T, regions: 3, maxPages: 1 }];

/**
 * An RV64 format: satp and hgatp (privileged spec 1.12, 4.1.11; Hypervisor Extension, hgatp) hold MODE in bits
 * 63:60 and the root's PPN in bits 43:0.
 */
export function rv64Scheme(mode: bigint, cpu: string, windows: VaWindow[], make: RvScheme['make'], extra: RvScheme['sizes']): RvScheme {
  return { rootRegister: (root) => (mode << 60n) | (root >> 12n), cpu, make, windows, sizes: [...STANDARD_SIZES, ...extra], paBits: 56n, vaBits: 64 };
}

/**
 * An RV32 format (Sv32, Sv32x4): MODE in bit 31 (1), PPN in bits 21:0. The 32-bit space has no halves: its bottom
 * and top gigabytes, 4 MiB megapages and 4 KiB pages, and physical addresses of 34 bits (above 4 GiB too).
 */
export function rv32Scheme(cpu: string, make: RvScheme['make']): RvScheme {
  return {
    rootRegister: (root) => (1n << 31n) | (root >> 12n),
    cpu,
    make,
    windows: [
      { base: 0n, size: 1n << 30n },
      { base: 3n << 30n, size: 1n << 30n },
    ],
    sizes: [
      { size: PageSize.Size4K, regions: 70 },
      { size: PageSize.Size4M, regions: 64, maxPages: 4 },
    ],
    paBits: 34n,
    vaBits: 32,
  };
}

/**
 * Without a PMP entry S-mode may access nothing, the walk included: one NAPOT entry over all of memory with R, W
 * and X, as firmware sets up (privileged spec 3.7; pmpaddr holds address bits 55:2 on RV64, 33:2 on RV32).
 */
export async function setUpPmp(gdb: GdbRemote, xlen: 32 | 64): Promise<void> {
  await gdb.writeRegister('pmpaddr0', xlen === 32 ? 0xffff_ffffn : (1n << 54n) - 1n);
  await gdb.writeRegister('pmpcfg0', 0x1fn);
}

/** Writes a translation register (satp, hgatp, vsatp) through the stub; QEMU must keep it as written. */
export async function writeTranslationRegister(gdb: GdbRemote, name: string, value: bigint): Promise<void> {
  await gdb.writeRegister(name, value);
  const kept = await gdb.readRegister(name);
  if (kept !== value) throw new Error(`QEMU refused ${name} ${hex(value)} (${name} = ${hex(kept)})`);
}
