// ARMv7 long descriptors (LPAE): the MMU of QEMU's Cortex-A15 with TTBCR.EAE = 1 translates through an
// A32LpaePageTable in TTBR0 and an A32LpaeTtbr1PageTable in TTBR1, for a TTBCR.T0SZ / T1SZ split given by the test
// (ARM DDI 0406C.d B3.6.4), with memory types through a MAIR0 / MAIR1 pair. As for short descriptors, a guest stub
// loads the registers (TTBCR, MAIR0, MAIR1, the 64-bit TTBRs with MCRR, VBAR, SCTLR), runs ATS1CPR, ATS1CPW,
// ATS1CUR and ATS1CUW on every address of a list and stores the 64-bit PAR after each (target/arm/ptw.c
// get_phys_addr_lpae, target/arm/helper.c do_ats_write, which writes the long-descriptor PAR with the attribute byte).
import { hex, MappingFlags, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import { A32LpaePageTable, A32LpaeTtbr1PageTable, a32LpaeCodec, lpaeRange, mairAttr } from '@page-table-multiarch/arm';
import { a32AtLoop, A32Cp15, A32Cp15Wide, a32SpinVectors, ISB, mcr, mcrr, mrrc, strPost } from './_a32';
import type { RunResult } from './_check';
import { type Access, compareAccesses, guestArea, prepareStub, type RunOptions, runStub, runTarget } from './_driver';
import type { LayoutSpec, VaWindow } from './_layout';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;

// As for short descriptors: RAM from 0x4000_0000, our 8 MiB from 0x4100_0000, the stub in its last MiB, mapped by
// TTBR0 (every split tested keeps 0x4170_0000 in TTBR0's range).
const MEM_BASE = 0x4100_0000n;
const MEM_SIZE = 8 << 20;
const AREA = guestArea(MEM_BASE, MEM_SIZE, 1 << 20, 32); // four 64-bit PARs per address
const HARNESS = AREA.base;

// SCTLR (B4.1.130): M, C, I and the bits QEMU's Cortex-A15 resets to, as for short descriptors (TRE and AFE play
// no part with long descriptors: memory types come from MAIR0/MAIR1, and AF is always checked).
const SCTLR = (1n << 0n) | (1n << 2n) | (1n << 12n) | 0x00c5_0078n;
/** TTBCR.EAE (B4.1.153). */
const EAE = 1n << 31n;

/**
 * The stub. In: r0 TTBCR, r1 MAIR0, r2 MAIR1, r3/r4 TTBR0 (low/high word), r11/r12 TTBR1, r9 SCTLR, r5 address
 * list, r6 count, r7 results, r10 VBAR. For each address: ATS1CPR, ATS1CPW, ATS1CUR, ATS1CUW, each followed by ISB,
 * MRRC of PAR into r9/r11 and two stores. Ends at `b .` (DONE); every exception vector is `b .` too.
 */
export function a32LpaeStub(): { words: number[]; done: number } {
  const words = [
    mcr(A32Cp15.TTBCR, 0),
    mcr(A32Cp15.MAIR0, 1),
    mcr(A32Cp15.MAIR1, 2),
    mcrr(A32Cp15Wide.TTBR0, 3, 4),
    mcrr(A32Cp15Wide.TTBR1, 11, 12),
    mcr(A32Cp15.VBAR, 10),
    mcr(A32Cp15.TLBIALL, 0),
    ISB,
    mcr(A32Cp15.SCTLR, 9),
    ISB,
  ];
  // PAR is 64 bits wide here: MRRC into r9 / r11, two stores
  const done = a32AtLoop(words, [A32Cp15.ATS1CPR, A32Cp15.ATS1CPW, A32Cp15.ATS1CUR, A32Cp15.ATS1CUW], [mrrc(9, 11, A32Cp15Wide.PAR), strPost(9, 7, 4), strPost(11, 7, 4)]);
  return { words, done };
}

/**
 * The 64-bit PAR (B4.1.112, TTBCR.EAE = 1) as text: the fault kind from FST[5:2] (the long-descriptor fault status:
 * 0b0001xx translation, 0b0010xx Access flag, 0b0011xx permission, with the level in xx), or the output address
 * PA[39:12] and the attribute byte ATTR (bits 63:56).
 */
function showPar(par: bigint, va: bigint): string {
  if ((par & 1n) !== 0n) {
    const fst = Number((par >> 1n) & 0x3fn);
    const kind = ['address size fault', 'translation fault', 'access flag fault', 'permission fault'][fst >> 2];
    return kind ?? `fault 0x${fst.toString(16)}`;
  }
  return `${hex((par & 0xff_ffff_f000n) | (va & 0xfffn))} attr ${hex(par >> 56n)}`;
}

/** The four access kinds and whether our flags allow each (B3.7.1: AP[2:1]; a valid descriptor is readable at PL1). */
const ACCESSES: readonly Access[] = [
  { name: 'PL1 read (ATS1CPR)', allowed: (_f: number) => true },
  { name: 'PL1 write (ATS1CPW)', allowed: (f: number) => (f & WRITE) !== 0 },
  { name: 'PL0 read (ATS1CUR)', allowed: (f: number) => (f & USER) !== 0 },
  { name: 'PL0 write (ATS1CUW)', allowed: (f: number) => (f & USER) !== 0 && (f & WRITE) !== 0 },
];

/** Options of one long-descriptor run: the split, the MAIR pair, and those of every run. */
export interface A32LpaeOptions extends RunOptions {
  /** TTBCR.T0SZ (0 or 1: the stub must stay in TTBR0's range). */
  readonly t0sz: number;
  /** TTBCR.T1SZ, 0..7 (not 0 when T0SZ is 0: TTBR1 would translate nothing). */
  readonly t1sz: number;
  /** MAIR0 (default Linux's 0xeeaa4400). */
  readonly mair0?: number;
  /** MAIR1 (default Linux's 0xff000004). */
  readonly mair1?: number;
  /**
   * TTBR1's table holds two 1 GiB Blocks at level 1 and nothing else (its range must be 2 GiB: T1SZ = 0, T0SZ = 1),
   * instead of 4 KiB Pages and 2 MiB Blocks.
   */
  readonly gibBlocks?: boolean;
}

/** Where a table's regions go: two windows in its range, away from our memory (0x4100_0000..0x4180_0000). */
function windowsOf(start: bigint, end: bigint): VaWindow[] {
  const size = end - start;
  if (start === 0n) return [{ base: 0n, size: 0x3000_0000n }, { base: 0x5000_0000n, size: end - 0x5000_0000n }];
  return [{ base: start, size: size / 2n }, { base: start + size / 2n, size: size / 2n }];
}

/** Builds random TTBR0 and TTBR1 tables for the split, runs the stub in QEMU, and compares. */
export async function checkA32Lpae(options: A32LpaeOptions): Promise<RunResult> {
  const mair0 = options.mair0 ?? 0xeeaa_4400;
  const mair1 = options.mair1 ?? 0xff00_0004;
  const split = { t0sz: options.t0sz, t1sz: options.t1sz, mair0, mair1 };
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(AREA.base, AREA.bytes);
  const lower = new A32LpaePageTable(memory, split);
  const upper = new A32LpaeTtbr1PageTable(memory, split);
  // the stub's own pages, identity-mapped (PL1 read-write-execute)
  lower.cursor().mapRegion(HARNESS, HARNESS, 1n << 20n, READ | WRITE | EXECUTE, false);
  const r0 = lpaeRange({ ttbr: 0, t0sz: split.t0sz, t1sz: split.t1sz })!;
  const r1 = lpaeRange({ ttbr: 1, t0sz: split.t0sz, t1sz: split.t1sz })!;
  // 4 KiB Pages and 2 MiB Blocks: a 1 GiB Block needs a whole aligned GiB of a window, which the layouts of a 32-bit
  // space with the stub in it cannot promise (the level 1 Blocks are checked against the manual in packages/arm)
  const SIZES: LayoutSpec['sizes'] = [
    { size: PageSize.Size4K, regions: 70 },
    { size: PageSize.Size2M, regions: 64 },
  ];
  const layout = (start: number, end: number) => ({
    // fewer 2 MiB runs in a range under 1 GiB (TTBR1 with T1SZ = 3 translates 512 MiB)
    sizes: end - start >= 2 ** 30 ? SIZES : [SIZES[0]!, { size: PageSize.Size2M, regions: 24, maxPages: 4 }],
    windows: windowsOf(BigInt(start), BigInt(end)),
    paLimit: 1n << 40n,
  });
  // the attribute byte QEMU reports: the MAIR byte our AttrIndx selects
  const { attrIndex } = a32LpaeCodec({ mair0, mair1 });
  const attrOf = (flags: number): bigint => {
    const n = flags & DEVICE ? attrIndex.device : flags & UNCACHED ? attrIndex.uncached : attrIndex.normal;
    return BigInt(mairAttr(mair0, mair1, n));
  };
  const stub = a32LpaeStub();
  const ttbcr = EAE | BigInt(split.t0sz) | (BigInt(split.t1sz) << 16n);
  return runTarget(options, {
    machine: ['-M', 'virt', '-cpu', 'cortex-a15', '-m', '256M'],
    memory,
    tables: [
      { table: lower, layout: layout(r0.start, r0.end) },
      {
        table: upper,
        layout:
          options.gibBlocks === true
            ? { sizes: [{ size: PageSize.Size1G, regions: 2, maxPages: 1 }], windows: [{ base: BigInt(r1.start), size: BigInt(r1.end - r1.start) }], paLimit: 1n << 40n, maxGapPages: 0 }
            : layout(r1.start, r1.end),
      },
    ],
    space: { valid: (va) => va < 1n << 32n, vaBits: 32 },
    tableOf: (va) => (va >= BigInt(r1.start) ? 1 : 0),
    // AP[2] (bit 7) of a read-only kernel 4K page: with it flipped PL1 may write
    tamper: {
      what: 'read-only kernel 4K page',
      leaf: (m) => m.size === PageSize.Size4K && (m.flags & WRITE) === 0 && (m.flags & USER) === 0,
      bit: 7,
    },
    prepare: prepareStub(memory, AREA, stub, 4, a32SpinVectors(memory)),
    async probe(qemu, run) {
      const lo = (v: bigint) => v & 0xffff_ffffn;
      const hi = (v: bigint) => v >> 32n;
      const regs: [string, bigint][] = [
        ['r0', ttbcr],
        ['r1', BigInt(mair0)],
        ['r2', BigInt(mair1)],
        ['r3', lo(lower.rootPaddr)],
        ['r4', hi(lower.rootPaddr)],
        ['r11', lo(upper.rootPaddr)],
        ['r12', hi(upper.rootPaddr)],
        ['r9', SCTLR],
      ];
      const view = await runStub(qemu.gdb, AREA, stub, 'r', regs, run.samples.length);
      compareAccesses(run, ACCESSES, (i, k) => view.getBigUint64(32 * i + 8 * k, true), showPar, (t) => `${hex(t.pa)} attr ${hex(attrOf(t.flags))}`);
    },
  });
}
