// AArch64: the MMU of QEMU's `max` CPU translates through A64PageTable tables in TTBR0_EL1 (lower half) and
// TTBR1_EL1 (upper half), of any granule (4, 16, 64 KiB) and VA size, each table of one range or both (the crate's
// model), with memory types for MAIR_VALUE or another MAIR. QEMU's gdb stub cannot write system registers, so a guest stub loads MAIR, TCR,
// the TTBRs and SCTLR from general registers, then runs AT S1E1R, S1E1W, S1E0R and S1E0W on every address
// of a list and stores PAR_EL1 after each: translation, memory attributes, and the permission of
// privileged and unprivileged reads and writes, all from the emulated MMU (target/arm/ptw.c).
import { hex, MappingFlags, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import { type A64Granule, A64PageTable, a64Geometry, encodeA64Registers, MAIR_VALUE } from '@page-table-multiarch/aarch64';
import { A64At, a64AtLoop, a64EnableMmu, a64SpinVectors } from './_a64';
import type { RunResult } from './_check';
import { type Access, compareAccesses, guestArea, prepareStub, type RunOptions, runStub, runTarget } from './_driver';
import { type LayoutSpec, STANDARD_SIZES, type VaWindow } from './_layout';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;

// RAM of the virt machine starts at 0x4000_0000; QEMU puts the device tree at its start, so our memory
// begins 16 MiB in. The last 2 MiB hold the stub, its vectors, the address list and the results (four PARs of 8
// bytes per address).
const MEM_BASE = 0x4100_0000n;
// (room for the 64 KiB tables of the 64 KiB granule)
const MEM_SIZE = 32 << 20;
const AREA = guestArea(MEM_BASE, MEM_SIZE, 2 << 20, 32);
const HARNESS = AREA.base;

// SCTLR_EL1 (D19.2): M (MMU on), C, I, and the bits that are RES1 in Armv8.0 (11, 20, 22, 23, 28, 29).
const SCTLR = (1n << 0n) | (1n << 2n) | (1n << 12n) | (1n << 11n) | (1n << 20n) | (1n << 22n) | (1n << 23n) | (1n << 28n) | (1n << 29n);

/**
 * The stub. In: x0 MAIR, x1 TCR, x2 TTBR0, x3 TTBR1, x4 SCTLR, x5 address list, x6 count, x7 results,
 * x10 VBAR. For each address: AT S1E1R, S1E1W, S1E0R, S1E0W, each followed by ISB and a store of PAR_EL1.
 * Ends at `b .` (DONE), where a breakpoint stops it; every exception vector is `b .` too.
 */
export function a64Stub(): { words: number[]; done: number } {
  const words = a64EnableMmu();
  const done = a64AtLoop(words, [A64At.S1E1R, A64At.S1E1W, A64At.S1E0R, A64At.S1E0W]);
  return { words, done };
}

/** The attribute byte of `mair` that a table writes a flag set with (its codec's AttrIndx per memory type). */
function mairByte(table: A64PageTable, flags: number): bigint {
  const idx = table.format.codec.attrIndex;
  const n = (flags & DEVICE) !== 0 ? idx.device : (flags & UNCACHED) !== 0 ? idx.uncached : idx.normal;
  return (table.format.codec.mair >> BigInt(8 * n)) & 0xffn;
}

/**
 * PAR_EL1 as text: the fault kind, or the output address and the attribute byte (D19.2 PAR_EL1: PA[47:12] in bits
 * 47:12, and PA[51:48] in bits 51:48 with FEAT_LPA / FEAT_LPA2; RES0 without).
 */
function showPar(par: bigint, va: bigint): string {
  if ((par & 1n) !== 0n) {
    const fst = Number((par >> 1n) & 0x3fn);
    // FST: 0b0000nn address size, 0b0001nn translation, 0b0010nn access flag, 0b0011nn permission fault, level nn;
    // level -1 (FEAT_LPA2): 0b101001 address size, 0b101011 translation fault
    const kind = fst === 0b101001 ? 'address size fault' : fst === 0b101011 ? 'translation fault' : ['address size fault', 'translation fault', 'access flag fault', 'permission fault'][fst >> 2];
    return kind ?? `fault 0x${fst.toString(16)}`;
  }
  const pa = (par & 0x000f_ffff_ffff_f000n) | (va & 0xfffn);
  return `${hex(pa)} attr ${hex(par >> 56n)}`;
}

/** The four access kinds, and whether our flags allow each (D8.4.1.2.1: AP[2:1], PAN clear). */
const ACCESSES: readonly Access[] = [
  { name: 'EL1 read (AT S1E1R)', allowed: (_f: number) => true },
  { name: 'EL1 write (AT S1E1W)', allowed: (f: number) => (f & WRITE) !== 0 },
  { name: 'EL0 read (AT S1E0R)', allowed: (f: number) => (f & USER) !== 0 },
  { name: 'EL0 write (AT S1E0W)', allowed: (f: number) => (f & USER) !== 0 && (f & WRITE) !== 0 },
];

/** Options of one AArch64 run (`samples` addresses in each half). */
export interface A64Options extends RunOptions {
  /** The granule in KiB (default 4). */
  readonly granule?: A64Granule;
  /** The VA size of both ranges, 64 - TnSZ (default 48). */
  readonly vaBits?: number;
  /** Each table serves its own range only (`half` 'lower' / 'upper'; default: both tables serve both, the crate's model). */
  readonly halves?: boolean;
  /** The MAIR the tables are built for and the stub loads (default MAIR_VALUE). */
  readonly mair?: bigint;
  /**
   * The output address size (default 48): 52 builds the tables with FEAT_LPA2 (TCR_EL1.DS = 1, 4 and 16 KiB) or
   * FEAT_LPA (64 KiB) descriptors, IPS = 0b110, and maps leaves anywhere below 2^52.
   */
  readonly paBits?: 48 | 52;
}

/**
 * The leaf sizes of a granule, and how many regions of each (every flag set at the page and the first block size),
 * with regions of Contiguous runs (Arm ARM D8, "The Contiguous bit": 16 pages or blocks with the 4 KiB granule, 128
 * pages or 32 blocks with 16 KiB, 32 pages with 64 KiB; the 64 KiB granule's runs of 32 blocks, 16 GiB, do not fit
 * the windows beside its other blocks).
 */
function sizesOf(granule: A64Granule, vaBits: number, paBits: 48 | 52): LayoutSpec['sizes'] {
  // the blocks of 52-bit output addresses (AArch64.BlockDescSupported()): 512 GiB (4K, lookup level 0), 64 GiB (16K,
  // level 1), 4 TiB (64K, level 1), where the walk reaches that level
  const hasWide = paBits === 52 && a64Geometry(granule, vaBits, 52).startLevel <= (granule === 4 ? 0 : 1);
  const wide: LayoutSpec['sizes'] = hasWide ? [{ size: granule === 4 ? 2 ** 39 : granule === 16 ? 2 ** 36 : 2 ** 42, regions: 6, maxPages: 2 }] : [];
  if (granule === 4) {
    return [...STANDARD_SIZES, { size: PageSize.Size4K, regions: 12, runs: 16 }, { size: PageSize.Size2M, regions: 4, runs: 16 }, ...wide];
  }
  const page = granule === 16 ? PageSize.Size16K : PageSize.Size64K;
  const block = granule === 16 ? PageSize.Size32M : PageSize.Size512M;
  return [
    { size: page, regions: 70 },
    { size: block, regions: 64, maxPages: granule === 16 ? 8 : 2 },
    { size: page, regions: 8, runs: granule === 16 ? 128 : 32 },
    ...(granule === 16 ? [{ size: block, regions: 2, runs: 32 }] : []),
    ...wide,
  ];
}

/** Builds random TTBR0 and TTBR1 tables, runs the stub in QEMU, and compares. */
export async function checkA64(options: A64Options): Promise<RunResult> {
  const granule = options.granule ?? 4;
  const vaBits = options.vaBits ?? 48;
  const mair = options.mair ?? MAIR_VALUE;
  const paBits = options.paBits ?? 48;
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(AREA.base, AREA.bytes);
  const split = options.halves === true;
  const lower = new A64PageTable(memory, { granule, vaBits, mair, paBits, ...(split ? { half: 'lower' as const } : {}) });
  const upper = new A64PageTable(memory, { granule, vaBits, mair, paBits, ...(split ? { half: 'upper' as const } : {}) });
  // the stub's own 2M, identity-mapped (kernel read-write-execute), in pages or blocks of the granule
  lower.cursor().mapRegion(HARNESS, HARNESS, 2n << 20n, READ | WRITE | EXECUTE, true);
  const regs = encodeA64Registers({ ttbr0: lower, ttbr1: upper });
  // windows at both ends of both ranges, where every level's index is at its lowest and its highest (room for a few
  // of the 52-bit formats' blocks of up to 4 TiB)
  const range = 1n << BigInt(vaBits);
  const cap = paBits === 52 ? 256n << 40n : 128n << 30n;
  const span = range / 4n < cap ? range / 4n : cap;
  const layout = (windows: VaWindow[]) => ({ sizes: sizesOf(granule, vaBits, paBits), windows, paLimit: 1n << BigInt(paBits) });
  const pageBytes = lower.meta.levelSize[lower.meta.levels - 1]!;
  const stub = a64Stub();
  return runTarget(options, {
    machine: ['-M', 'virt', '-cpu', 'max', '-m', '256M'],
    memory,
    tables: [
      {
        table: lower,
        layout: layout([
          { base: 0x1_0000_0000n, size: span },
          { base: range - span, size: span },
        ]),
      },
      {
        table: upper,
        layout: layout([
          { base: (1n << 64n) - range, size: span },
          { base: (1n << 64n) - span, size: span },
        ]),
      },
    ],
    space: { valid: (va) => (va >> 63n === 1n ? upper : lower).meta.vaddrIsValid(va), vaBits: 64 },
    tableOf: (va) => (va >> 63n === 1n ? 1 : 0),
    // AP[2] of a read-only page: EL1 may write it; with 52 bits, the top bit of the split output address (OA[51] in
    // bit 15 with FEAT_LPA, bit 9 with FEAT_LPA2, D8.3) of a page below 2^51 (not the stub's own, which is read-write):
    // it moves 2^51 bytes up
    tamper:
      paBits === 52
        ? { what: `${granule}K leaf below 2^51`, leaf: (m) => m.size === pageBytes && m.paddr < 1n << 51n && (m.flags & WRITE) === 0, bit: granule === 64 ? 15 : 9 }
        : { what: `read-only ${granule}K leaf`, leaf: (m) => m.size === pageBytes && (m.flags & WRITE) === 0, bit: 7 },
    prepare: prepareStub(memory, AREA, stub, 8, a64SpinVectors(memory)),
    async probe(qemu, run) {
      const regList: [string, bigint][] = [
        ['x0', regs.mair],
        ['x1', regs.tcr],
        ['x2', regs.ttbr0],
        ['x3', regs.ttbr1],
        ['x4', SCTLR],
      ];
      const view = await runStub(qemu.gdb, AREA, stub, 'x', regList, run.samples.length);
      compareAccesses(
        run,
        ACCESSES,
        (i, k) => view.getBigUint64(32 * i + 8 * k, true),
        showPar,
        // (both tables are built for the same MAIR: encodeA64Registers checks it)
        (t) => `${hex(t.pa)} attr ${hex(mairByte(lower, t.flags))}`,
      );
    },
  });
}
