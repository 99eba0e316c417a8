// ARMv7: the MMU of QEMU's Cortex-A15 translates through A32PageTable short-descriptor tables (1 MiB Sections
// in L1, 4 KiB Small pages in L2 tables), one in TTBR0 (addresses below 2 GiB, TTBCR.N = 1) and one in TTBR1
// (the upper 2 GiB). QEMU's gdb stub cannot write CP15 registers, so a guest stub loads DACR, TTBCR, the TTBRs
// and SCTLR from general registers, then runs ATS1CPR, ATS1CPW, ATS1CUR and ATS1CUW on every address of a list
// and stores PAR after each (target/arm/ptw.c get_phys_addr_v6, target/arm/helper.c do_ats_write).
import { hex, MappingFlags, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import { A32PageTable } from '@page-table-multiarch/arm';
import { a32AtLoop, A32Cp15, a32SpinVectors, ISB, mcr, mrc, strPost } from './_a32';
import type { RunResult } from './_check';
import { type Access, compareAccesses, guestArea, prepareStub, type RunOptions, runStub, runTarget } from './_driver';
import type { LayoutSpec, VaWindow } from './_layout';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;

// RAM of the virt machine starts at 0x4000_0000 (the device tree sits at its start); the last 1 MiB of our
// memory is the stub's, identity-mapped as one Section.
const MEM_BASE = 0x4100_0000n;
const MEM_SIZE = 8 << 20;
const AREA = guestArea(MEM_BASE, MEM_SIZE, 1 << 20, 16); // four PARs of 4 bytes per address
const HARNESS = AREA.base;
const SPLIT = 0x8000_0000n; // TTBCR.N = 1: TTBR1 translates from 2^(32 - N) up

// DACR: every domain Client (0b01), so that the descriptors' access permissions are checked (B4.1.43).
const DACR = 0x5555_5555n;
// TTBCR: EAE = 0 (short descriptors), N = 1 (B4.1.153).
const TTBCR = 1n;
// SCTLR (B4.1.130): M (MMU on), C, I, and the bits QEMU's Cortex-A15 resets to (RES1 bits 4:3, 6, 16, 18,
// 22, 23); TRE = 0 (no TEX remap) and AFE = 0 (AP[0] is a permission bit), as A32PageTable requires.
const SCTLR = (1n << 0n) | (1n << 2n) | (1n << 12n) | 0x00c5_0078n;

/**
 * The stub. In: r0 DACR, r1 TTBCR, r2 TTBR0, r3 TTBR1, r4 SCTLR, r5 address list, r6 count, r7 results,
 * r10 VBAR. For each address: ATS1CPR, ATS1CPW, ATS1CUR, ATS1CUW, each followed by ISB and a store of PAR.
 * Ends at `b .` (DONE); every exception vector is `b .` too.
 */
export function a32Stub(): { words: number[]; done: number } {
  const words = [
    mcr(A32Cp15.DACR, 0),
    mcr(A32Cp15.TTBCR, 1),
    mcr(A32Cp15.TTBR0, 2),
    mcr(A32Cp15.TTBR1, 3),
    mcr(A32Cp15.VBAR, 10),
    mcr(A32Cp15.TLBIALL, 0),
    ISB,
    mcr(A32Cp15.SCTLR, 4),
    ISB,
  ];
  const done = a32AtLoop(words, [A32Cp15.ATS1CPR, A32Cp15.ATS1CPW, A32Cp15.ATS1CUR, A32Cp15.ATS1CUW], [mrc(9, A32Cp15.PAR), strPost(9, 7, 4)]);
  return { words, done };
}

/**
 * PAR (short-descriptor form, B4.1.112) as text: the fault kind from FS, or the output address. QEMU reports
 * no memory attributes in this form (do_ats_write), so only the address and the fault are compared.
 */
function showPar(value: bigint, va: bigint): string {
  const par = Number(value);
  if ((par & 1) !== 0) {
    const fs = ((par >>> 1) & 0xf) | (((par >>> 6) & 1) << 4);
    switch (fs) {
      case 0b00101:
      case 0b00111:
        return 'translation fault';
      case 0b01101:
      case 0b01111:
        return 'permission fault';
      case 0b01001:
      case 0b01011:
        return 'domain fault';
      default:
        return `fault FS=0x${fs.toString(16)}`;
    }
  }
  const pa = (par & (par & 2 ? 0xff00_0000 : 0xffff_f000)) >>> 0;
  return hex(BigInt(pa) | (va & (par & 2 ? 0xff_ffffn : 0xfffn)));
}

/** The four access kinds and whether our flags allow each (B3.7.1, Table B3-8). */
const ACCESSES: readonly Access[] = [
  { name: 'PL1 read (ATS1CPR)', allowed: (f: number) => (f & READ) !== 0 },
  { name: 'PL1 write (ATS1CPW)', allowed: (f: number) => (f & WRITE) !== 0 },
  { name: 'PL0 read (ATS1CUR)', allowed: (f: number) => (f & USER) !== 0 },
  { name: 'PL0 write (ATS1CUW)', allowed: (f: number) => (f & USER) !== 0 && (f & WRITE) !== 0 },
];

/** Options of one ARMv7 run (`samples` addresses for each of TTBR0 and TTBR1). */
export type A32Options = RunOptions;

/** 4 KiB Small pages and 1 MiB Sections, every flag set at both sizes. */
const SIZES: LayoutSpec['sizes'] = [
  { size: PageSize.Size4K, regions: 70 },
  { size: PageSize.Size1M, regions: 64 },
];

/** Builds random TTBR0 and TTBR1 tables, runs the stub in QEMU, and compares. */
export async function checkA32(options: A32Options): Promise<RunResult> {
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(AREA.base, AREA.bytes);
  const lower = new A32PageTable(memory);
  const upper = new A32PageTable(memory);
  // the stub's own Section, identity-mapped (PL1 read-write-execute)
  lower.cursor().map(HARNESS, HARNESS, PageSize.Size1M, READ | WRITE | EXECUTE);
  const layout = (windows: VaWindow[]) => ({ sizes: SIZES, windows, paLimit: 1n << 32n });
  const stub = a32Stub();
  return runTarget(options, {
    machine: ['-M', 'virt', '-cpu', 'cortex-a15', '-m', '256M'],
    memory,
    tables: [
      {
        table: lower,
        layout: layout([
          { base: 0n, size: 0x3000_0000n },
          { base: 0x5000_0000n, size: SPLIT - 0x5000_0000n },
        ]),
      },
      {
        table: upper,
        layout: layout([
          { base: SPLIT, size: 0x4000_0000n },
          { base: 0xc000_0000n, size: 0x4000_0000n },
        ]),
      },
    ],
    space: { valid: (va) => va < 1n << 32n, vaBits: 32 },
    tableOf: (va) => (va >= SPLIT ? 1 : 0),
    // AP[2] of a PL1 read-only Small page: 0b101 (PL1 read-only) becomes 0b001 (read-write)
    tamper: {
      what: 'read-only kernel Small page',
      leaf: (m) => m.size === PageSize.Size4K && (m.flags & WRITE) === 0 && (m.flags & USER) === 0,
      bit: 9,
    },
    prepare: prepareStub(memory, AREA, stub, 4, a32SpinVectors(memory)),
    async probe(qemu, run) {
      const regs: [string, bigint][] = [
        ['r0', DACR],
        ['r1', TTBCR],
        ['r2', lower.rootPaddr],
        ['r3', upper.rootPaddr],
        ['r4', SCTLR],
      ];
      const view = await runStub(qemu.gdb, AREA, stub, 'r', regs, run.samples.length);
      // QEMU reports no memory attributes in the short-descriptor PAR: the address alone is compared
      compareAccesses(run, ACCESSES, (i, k) => BigInt(view.getUint32(16 * i + 4 * k, true)), showPar, (t) => hex(t.pa));
    },
  });
}
