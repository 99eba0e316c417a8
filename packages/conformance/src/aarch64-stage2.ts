// AArch64 stage 2: QEMU's MMU walks A64Stage2PageTable tables through VTTBR_EL2, for every granule, with roots of
// one table and of 2 to 16 concatenated tables. The `virt` machine with `virtualization=on` starts the `max` CPU at
// A64Reg. A guest stub there loads VTCR_EL2, VTTBR_EL2, HCR_EL2 (VM = 1: stage 2 on for EL1&0; DC = 1: stage 1 of
// EL1&0 treated as off, with Normal Write-Back memory; RW = 1: EL1 is AArch64) and SCTLR_EL1 (M = 0), then runs
// AT S12E1R and AT S12E1W on every address of a list and stores PAR_EL1 after each (Arm ARM DDI 0487, C5.5 "A64
// system instructions for address translation" and the PAR_EL1 description: F [0], FST [6:1], PTW [8], S [9] (the
// fault came from stage 2), PA [47:12], ATTR [63:56]). With stage 1 off the guest address is the IPA, so the answer
// is stage 2 alone: the output address, whether stage 2 lets EL1 read and write (S2AP), and the memory type, which
// with HCR_EL2.DC's Normal Write-Back at stage 1 is stage 2's MemAttr (D8.6, combining the stages: the more
// restrictive type and Cacheability win). QEMU's target/arm (helper.c `ats_write64`, ptw.c
// `get_phys_addr_twostage`, `combine_cacheattrs`) does the same walk its TLB fills do.
//
// Execute permission (XN) is not observable this way: no AT operation checks an instruction fetch. It is left to
// the tests of the codec against the manual (packages/aarch64/test/stage2.test.ts).
import { hex, MappingFlags, PhysicalMemory } from '@page-table-multiarch/core';
import { type A64Granule, A64Stage2PageTable, encodeA64Stage2Registers } from '@page-table-multiarch/aarch64';
import { A64At, a64AtLoop, A64Reg, a64SpinVectors, ISB, msr } from './_a64';
import type { RunResult } from './_check';
import { guestArea, prepareStub, type RunOptions, runStub, runTarget } from './_driver';
import { ALL_FLAG_SETS, type LayoutSpec, STANDARD_SIZES, type VaWindow } from './_layout';

const { READ, WRITE, USER, DEVICE, UNCACHED } = MappingFlags;

// RAM of the virt machine starts at 0x4000_0000, with the device tree at its start: our memory begins 16 MiB in,
// 32 MiB for the 64 KiB tables and a 1 MiB root; its last 2 MiB hold the stub, its vectors, the list and the PARs.
const MEM_BASE = 0x4100_0000n;
const MEM_SIZE = 32 << 20;
const AREA = guestArea(MEM_BASE, MEM_SIZE, 2 << 20, 16);

// HCR_EL2 (D19.2): VM [0], DC [12], RW [31].
const HCR = (1n << 0n) | (1n << 12n) | (1n << 31n);
// SCTLR_EL1: M = 0 (stage 1 off), and the bits that are RES1 in Armv8.0 (11, 20, 22, 23, 28, 29).
const SCTLR_EL1 = (1n << 11n) | (1n << 20n) | (1n << 22n) | (1n << 23n) | (1n << 28n) | (1n << 29n);

/**
 * The stub, at A64Reg. In: x1 VTCR_EL2, x2 VTTBR_EL2, x3 HCR_EL2, x4 SCTLR_EL1, x5 address list, x6 count, x7 results,
 * x10 VBAR_EL2. For each address: AT S12E1R and AT S12E1W, each followed by ISB and a store of PAR_EL1. Ends at
 * `b .`, where a breakpoint stops it; every exception vector is `b .` too.
 */
export function a64Stage2Stub(): { words: number[]; done: number } {
  const words = [msr(A64Reg.VTCR_EL2, 1), msr(A64Reg.VTTBR_EL2, 2), msr(A64Reg.SCTLR_EL1, 4), msr(A64Reg.VBAR_EL2, 10), msr(A64Reg.HCR_EL2, 3), ISB];
  const done = a64AtLoop(words, [A64At.S12E1R, A64At.S12E1W]);
  return { words, done };
}

/** PAR_EL1 as text: the fault kind and the stage it came from, or the output address and the attribute byte. */
function showPar(par: bigint, va: bigint): string {
  if ((par & 1n) !== 0n) {
    const fst = Number((par >> 1n) & 0x3fn);
    const kind = ['address size fault', 'translation fault', 'access flag fault', 'permission fault'][fst >> 2] ?? `fault 0x${fst.toString(16)}`;
    return `${kind}${(par >> 9n) & 1n ? ' (stage 2)' : ' (stage 1)'}`;
  }
  const pa = (par & 0x0000_ffff_ffff_f000n) | (va & 0xfffn);
  return `${hex(pa)} attr ${hex(par >> 56n)}`;
}

/** The attribute byte PAR_EL1 reports for our memory types: stage 2's, over stage 1's Normal Write-Back (0xff). */
function attrOf(flags: number): bigint {
  return flags & DEVICE ? 0x04n : flags & UNCACHED ? 0x44n : 0xffn;
}

/** Options of one stage 2 run. */
export interface A64Stage2Options extends RunOptions {
  /** The granule in KiB (default 4). */
  readonly granule?: A64Granule;
  /** The IPA width, 64 - T0SZ (default 40). */
  readonly ipaBits?: number;
  /** The start level (default the table's own choice). */
  readonly startLevel?: number;
}

/** The stage 2 accesses: what each AT operation asks, and whether our flags allow it (S2AP, D8.4). */
const ACCESSES = [
  { name: 'EL1 read (AT S12E1R)', allowed: (f: number) => (f & READ) !== 0 },
  { name: 'EL1 write (AT S12E1W)', allowed: (f: number) => (f & WRITE) !== 0 },
] as const;

/** Builds a random stage 2 table, runs the stub in QEMU, and compares every address and access. */
export async function checkA64Stage2(options: A64Stage2Options): Promise<RunResult> {
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(AREA.base, AREA.bytes);
  const table = new A64Stage2PageTable(memory, {
    granule: options.granule ?? 4,
    ipaBits: options.ipaBits ?? 40,
    ...(options.startLevel === undefined ? {} : { startLevel: options.startLevel }),
  });
  const g = table.format.geometry;
  const regs = encodeA64Stage2Registers(table, { vmid: 1 });
  const range = 1n << BigInt(g.ipaBits);
  const span = range / 4n < 128n << 30n ? range / 4n : 128n << 30n;
  const windows: VaWindow[] = [
    { base: 0n, size: span },
    { base: range - span, size: span },
  ];
  // the leaf sizes of the format: every flag set at the page size and the first block size
  const leaves = table.meta.leafLevels.map((l) => table.meta.levelSize[l]!);
  const page = leaves[leaves.length - 1]!;
  const sizes: LayoutSpec['sizes'] =
    g.granule === 4
      ? STANDARD_SIZES.filter((s) => leaves.includes(s.size))
      : [
          { size: page, regions: 70 },
          ...(leaves.length > 1 ? [{ size: leaves[leaves.length - 2]!, regions: 40, maxPages: g.granule === 16 ? 8 : 2 }] : []),
        ];
  const stub = a64Stage2Stub();
  return runTarget(options, {
    machine: ['-M', 'virt,virtualization=on', '-cpu', 'max', '-m', '256M'],
    memory,
    tables: [
      {
        table,
        layout: { sizes, windows, paLimit: 1n << 48n, flagSets: ALL_FLAG_SETS.filter((f) => (f & USER) === 0) },
      },
    ],
    space: { valid: (va) => table.meta.vaddrIsValid(va), vaBits: 64 },
    // with stage 1 off, an address above the CPU's 48-bit physical range faults at stage 1: ask only below it
    exclude: (va) => va >> 48n !== 0n,
    // S2AP[1] of a writable page: QEMU must deny the write the library allows
    tamper: { what: `writable ${g.granule}K page`, leaf: (m) => m.size === page && (m.flags & WRITE) !== 0, bit: 7 },
    prepare: prepareStub(memory, AREA, stub, 8, a64SpinVectors(memory)),
    async probe(qemu, run) {
      // the CPU must be at EL2 (CurrentEL in PSTATE bits 3:2) for VTCR_EL2, VTTBR_EL2 and AT S12E1*
      const el = ((await qemu.gdb.readRegister('cpsr')) >> 2n) & 3n;
      if (el !== 2n) throw new Error(`the CPU starts at EL${el}, not EL2: QEMU without virtualization=on?`);
      const regList: [string, bigint][] = [
        ['x1', regs.vtcr],
        ['x2', regs.vttbr],
        ['x3', HCR],
        ['x4', SCTLR_EL1],
      ];
      const view = await runStub(qemu.gdb, AREA, stub, 'x', regList, run.samples.length);
      const { checker } = run;
      run.samples.forEach((s, i) => {
        const t = run.translate(s.va);
        checker.addresses++;
        const req = t === null ? undefined : run.requested(s.va & ~(BigInt(t.size) - 1n));
        ACCESSES.forEach((acc, k) => {
          const par = view.getBigUint64(16 * i + 8 * k, true);
          let want: string;
          if (t === null) want = 'translation fault (stage 2)';
          else if (!acc.allowed(t.flags)) want = 'permission fault (stage 2)';
          else want = `${hex(t.pa)} attr ${hex(attrOf(t.flags))}`;
          checker.probes++;
          checker.check(s.va, acc.name, want, showPar(par, s.va));
          if (req !== undefined) {
            // stage 2 grants exactly what was asked for: no READ is implied
            checker.check(s.va, `${acc.name} for requested ${req}`, acc.allowed(req) ? 'allowed' : 'denied', (par & 1n) === 0n ? 'allowed' : 'denied');
            checker.flagSets.add(req);
          }
        });
      });
    },
  });
}
