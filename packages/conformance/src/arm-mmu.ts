// ARMv7: QEMU's MMU against the library's MMU model (A32Mmu), access by access, short descriptors, PL1&0 regime.
// A guest program in Supervisor mode (PL1; the MMU on; its code, vectors, probe list and results identity mapped
// in domain 0, which every probe keeps a Client) works through a list of probes: each a virtual address, an access
// (load, store, fetch), PL0 or PL1, and the DACR and SCTLR (AFE, WXN, UWXN) to run it with. For each it writes DACR
// and SCTLR, invalidates the TLB (TLBIALL, so that each probe is a fresh walk, as the model's are), and returns
// from the exception (MOVS PC with SPSR: User or Supervisor mode) to a two-instruction stub: `ldr r2, [r8]` or
// `str r9, [r8]` then `svc #0`, or `bx r8` to the address. Every word of the data region every leaf points into is
// an UDF instruction (its index as the immediate), so a fetch that translates traps straight back (Undefined
// Instruction) and a load reads a value that names the word. The vectors record which exception came (SVC,
// Undefined, Prefetch Abort with IFSR / IFAR, Data Abort with DFSR / DFAR).
// The same probes, in the same order, go through A32Mmu over a copy of the memory, and every outcome (the word a
// load read, or the abort with its FSR and FAR), and at the end every rewritten descriptor and every data word,
// must be the same.
// QEMU's walker: target/arm/ptw.c get_phys_addr_v6 (and, in 10.0, get_S1prot for the permissions).
import { Access, faultKindOf, hex, MappingFlags, PhysicalMemory, Privilege } from '@page-table-multiarch/core';
import { A32LpaeMmu, A32LpaePageTable, A32LpaeTtbr1PageTable, A32Mmu, A32PageTable, encodeA32LpaeRegisters, encodeA32Registers } from '@page-table-multiarch/arm';
import { A32Cp15, A32Cp15Wide, b, bne, DSB, ISB, ldrPost, mcr, mcrr, movImm, mrc, strImm, strPost, subsImm } from './_a32';
import { buildA32LpaeMmuTables } from './_a32-lpae-mmu-layout';
import { type A32MmuLayout, type A32ProbeTarget, type A32Window, buildA32MmuTables, l1Entry } from './_a32-mmu-layout';
import { Checker, type RunResult } from './_check';
import { affects, DEFECTS } from './_defects';
import { type GuestArea, runGuest } from './_driver';
import { Rng, writeWords } from './_layout';
import { ACCESS_NAMES, assertProbesFit, compareAtTheEnd, modelCopy, ProbeComparison, withQemu } from './_mmu-check';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;

// RAM of the virt machine starts at 0x4000_0000 with the device tree: the run's memory begins 16 MiB in. The last
// 1 MiB is the program's: code and vectors, the stubs (a User page), the probe list and the results.
const MEM_BASE = 0x4100_0000n;
const MEM_SIZE = 16 << 20;
const AREA_BYTES = 1 << 20;
const CODE = MEM_BASE + BigInt(MEM_SIZE - AREA_BYTES);
const VECTORS = CODE + 0x800n;
const USER_CODE = CODE + 0x1000n;
const LIST = CODE + 0x2000n;
const RESULTS = CODE + 0x8_0000n;
const PROBE_BYTES = 32; // va, DACR, SCTLR, stub, SPSR, store value, 0, 0
const RESULT_BYTES = 16; // exception, FSR, FAR, value loaded
const AREA: GuestArea = { base: CODE, bytes: AREA_BYTES, list: LIST, results: RESULTS, resultBytes: RESULT_BYTES };
/** The data region every leaf points into: 64 KiB at 1 MiB, word i = UDF #i. */
const DATA = Number(MEM_BASE) + 0x10_0000;
const DATA_BYTES = 0x1_0000;

// A32 encodings (DDI 0406C A8.8): SVC #0, BX Rm, LDR Rt, [Rn], MSR SPSR_fsxc, Rn (B9.3.12), MOVS PC, Rm (an
// exception return, B9.3.20), CPS #0x13 (B9.3.2: Supervisor mode), UDF #imm16 (A8.8.247: imm12 in 19:8, imm4 3:0).
const SVC0 = 0xef00_0000;
const bx = (m: number): number => (0xe12f_ff10 | m) >>> 0;
const ldr0 = (t: number, n: number): number => (0xe590_0000 | (n << 16) | (t << 12)) >>> 0;
const msrSpsr = (n: number): number => (0xe16f_f000 | n) >>> 0;
const movsPc = (m: number): number => (0xe1b0_f000 | m) >>> 0;
const CPS_SVC = 0xf102_0013;
const udf = (imm: number): number => (0xe7f0_00f0 | ((imm >>> 4) << 8) | (imm & 15)) >>> 0;

// SCTLR (B4.1.130): M, C, I and the bits QEMU's Cortex-A15 resets to; AFE 29, WXN 19, UWXN 20 per probe.
const SCTLR = 1 | (1 << 2) | (1 << 12) | 0x00c5_0078;
const AFE = 1 << 29;
const WXN = 1 << 19;
const UWXN = 1 << 20;
// CPSR / SPSR (B1.3.3): mode User 0x10 or Supervisor 0x13, A, I, F masked (bits 8:6)
const SPSR_USR = 0x1d0;
const SPSR_SVC = 0x1d3;
/** The exception a probe ended with, as the vectors number it. */
const UNDEF = 1;
const SVC = 2;
const PABT = 3;
const DABT = 4;

/**
 * The program. In: r0 DACR, r1 TTBCR, r2 TTBR0, r3 TTBR1, r4 SCTLR, r5 the probe list, r6 its length, r7 the
 * results, r10 VBAR; with long descriptors also r8 / r9 the high words of the 64-bit TTBR0 / TTBR1 (written with
 * MCRR after TTBCR.EAE), r11 / r12 MAIR0 / MAIR1. Returns the code (at CODE, vectors at +0x800), the stubs (at
 * USER_CODE), and `done`, the offset of the last instruction.
 */
export function a32MmuProgram(format: 'short' | 'long' = 'short'): { code: number[]; user: number[]; done: number } {
  const tables =
    format === 'short'
      ? [mcr(A32Cp15.TTBR0, 2), mcr(A32Cp15.TTBR1, 3)]
      : [mcrr(A32Cp15Wide.TTBR0, 2, 8), mcrr(A32Cp15Wide.TTBR1, 3, 9), mcr(A32Cp15.MAIR0, 11), mcr(A32Cp15.MAIR1, 12)];
  const w: number[] = [
    mcr(A32Cp15.DACR, 0),
    mcr(A32Cp15.TTBCR, 1),
    ...tables,
    mcr(A32Cp15.VBAR, 10),
    mcr(A32Cp15.TLBIALL, 0),
    ISB,
    mcr(A32Cp15.SCTLR, 4),
    ISB,
  ];
  const loop = w.length;
  // the probe: r8 va, r10 DACR, r11 SCTLR, r12 stub, r4 SPSR, r9 value to store
  for (const r of [8, 10, 11, 12, 4, 9, 0, 0]) w.push(ldrPost(r, 5, 4));
  w.push(mcr(A32Cp15.DACR, 10), mcr(A32Cp15.SCTLR, 11), ISB, mcr(A32Cp15.TLBIALL, 0), DSB, ISB);
  w.push(movImm(0, 0), movImm(1, 0), movImm(2, 0), movImm(3, 0), msrSpsr(4), movsPc(12));
  const after = w.length;
  w.push(CPS_SVC, strPost(3, 7, 4), strPost(0, 7, 4), strPost(1, 7, 4), strPost(2, 7, 4));
  w.push(subsImm(6, 6, 1));
  w.push(bne(loop - w.length));
  const done = w.length * 4;
  w.push(b(0));
  // the vectors at +0x800: reset, undefined, SVC, prefetch abort, data abort, unused, IRQ, FIQ
  while (w.length < 0x800 / 4) w.push(b(0));
  const v = w.length;
  const handlers = v + 8;
  w.push(b(0), b(handlers - (v + 1)), b(handlers + 2 - (v + 2)), b(handlers + 4 - (v + 3)), b(handlers + 8 - (v + 4)), b(0), b(0), b(0));
  w.push(movImm(3, UNDEF), b(after - (handlers + 1)));
  w.push(movImm(3, SVC), b(after - (handlers + 3)));
  w.push(movImm(3, PABT), mrc(0, A32Cp15.IFSR), mrc(1, A32Cp15.IFAR), b(after - (handlers + 7)));
  w.push(movImm(3, DABT), mrc(0, A32Cp15.DFSR), mrc(1, A32Cp15.DFAR), b(after - (handlers + 11)));
  return { code: w, user: [ldr0(2, 8), SVC0, strImm(9, 8, 0), SVC0, bx(8)], done };
}

/** Options of one run. */
export interface A32MmuOptions {
  readonly binary: string;
  readonly seed: number;
  /**
   * The translation table format: 'short' (TTBCR.EAE = 0, A32Mmu; the default) or 'long' (EAE = 1, A32LpaeMmu,
   * with T0SZ = T1SZ = 1: TTBR0 below 0x8000_0000, TTBR1 above).
   */
  readonly format?: 'short' | 'long';
  /** Short descriptors: TTBCR.N, 0 (one table) or 1 (TTBR1 from 0x8000_0000). Default 1. */
  readonly n?: 0 | 1;
  /** Leaves in each table (default 80 with N = 1, 160 in the one table of N = 0). */
  readonly leaves?: number;
  /** Negative control: one valid 4K page is made an invalid entry in QEMU's image (not in the model's). */
  readonly tamper?: boolean;
}

/** What a run compared, and what the model's outcomes were. */
export interface A32MmuResult extends RunResult {
  readonly probes: number;
  /** How many accesses the model translated ("ok load", ...) or faulted, by fault kind. */
  readonly outcomes: ReadonlyMap<string, number>;
  /** The probed address and the descriptor address of the page corrupted in the negative control, or null. */
  readonly tamperedPage: { readonly va: number; readonly entry: bigint } | null;
}

/** One access: a target, a kind, PL0 or PL1, the DACR and the SCTLR bits. */
interface Probe {
  readonly target: A32ProbeTarget;
  readonly access: 0 | 1 | 2;
  readonly pl: 0 | 1;
  readonly dacr: number;
  readonly sctlr: number;
}

function probeName(p: Probe): string {
  const modes = `DACR=${hex(BigInt(p.dacr >>> 0))} AFE=${(p.sctlr >>> 29) & 1} WXN=${(p.sctlr >>> 19) & 1} UWXN=${(p.sctlr >>> 20) & 1}`;
  return `${ACCESS_NAMES[p.access]} PL${p.pl} ${modes} at ${hex(BigInt(p.target.va))} (${p.target.kind})`;
}

/** What a store probe writes: UDF with 16384 + its index (the data region's words have immediates below 16384). */
function marker(i: number): number {
  return udf(16384 + i);
}

/** A DACR: domain 0 a Client (the program's own mappings), the others at random, mostly Clients. */
function randomDacr(rng: Rng): number {
  let dacr = 1;
  for (let d = 1; d < 16; d++) dacr |= [1, 1, 1, 3, 3, 0, 0, 2][rng.below(8)]! << (2 * d);
  return dacr >>> 0;
}

/** Every probe (6 per target for access x privilege, each in three random modes) in a seeded random order. */
function makeProbes(targets: readonly A32ProbeTarget[], seed: number, short: boolean): Probe[] {
  const rng = new Rng(seed ^ 0xa32);
  const probes: Probe[] = [];
  for (const target of targets) {
    for (const access of [0, 1, 2] as const) {
      for (const pl of [0, 1] as const) {
        for (let k = 0; k < 3; k++) {
          const sctlr = (short && rng.ratio(1, 3) ? AFE : 0) | (rng.ratio(1, 4) ? WXN : 0) | (rng.ratio(1, 4) ? UWXN : 0);
          probes.push({ target, access, pl, dacr: randomDacr(rng), sctlr });
        }
      }
    }
  }
  return rng.shuffle(probes);
}

/** QEMU's outcome as text: "ok" (with the word a load read), or the abort with its FSR and FAR. */
function theirOutcome(p: Probe, exception: number, fsr: number, far: number, value: number, ifsrBits: number): string {
  switch (exception) {
    case UNDEF:
      return p.access === Access.EXECUTE ? 'ok' : 'undefined instruction';
    case SVC:
      if (p.access === Access.EXECUTE) return 'svc';
      return p.access === Access.READ ? `ok ${hex(BigInt(value))}` : 'ok';
    case PABT:
      // IFSR: only the defined bits (QEMU also leaves the domain in bits 7:4 of the short-descriptor form)
      return `prefetch abort IFSR ${hex(BigInt(fsr & ifsrBits))} IFAR ${hex(BigInt(far))}`;
    case DABT:
      return `data abort DFSR ${hex(BigInt(fsr))} DFAR ${hex(BigInt(far))}`;
    default:
      return `no exception recorded (${exception})`;
  }
}

/** The model's outcome for probe `i`; a store writes its marker, a load reads, in the model's memory. */
function ourOutcome(p: Probe, i: number, mmu: A32Mmu | A32LpaeMmu, ours: PhysicalMemory, r: number, ifsrBits: number): string {
  if (r < 0) {
    const fsr = mmu.prefetch ? mmu.fsr & ifsrBits : mmu.fsr;
    return `${mmu.prefetch ? 'prefetch abort IFSR' : 'data abort DFSR'} ${hex(BigInt(fsr))} ${mmu.prefetch ? 'IFAR' : 'DFAR'} ${hex(BigInt(mmu.far))}`;
  }
  if (mmu.paHi !== 0 || mmu.paLo < DATA || mmu.paLo >= DATA + DATA_BYTES) return `ok, outside the data region: ${hex(BigInt(r))}`;
  if (p.access === Access.EXECUTE) return 'ok';
  if (p.access === Access.WRITE) {
    ours.writeU32(BigInt(mmu.paLo), marker(i));
    return 'ok';
  }
  return `ok ${hex(BigInt(ours.readU32(BigInt(mmu.paLo))))}`;
}

/**
 * Whether the descriptors of the probe's address forbid its fetch by XN, or by PXN at PL1 (in the leaf, or in the
 * Page table descriptor above a page) [B3.5.1].
 */
function fetchForbidden(memory: PhysicalMemory, root: bigint, p: Probe): boolean {
  const va = p.target.va;
  const d1 = memory.readU32(l1Entry(root, va));
  if ((d1 & 3) !== 1) return (d1 & 0x10) !== 0 || (p.pl === 1 && (d1 & 3) === 3);
  const d2 = memory.readU32(BigInt(((d1 & 0xffff_fc00) | ((va >>> 10) & 0x3fc)) >>> 0));
  const xn = (d2 & 3) === 1 ? (d2 >>> 15) & 1 : d2 & 1;
  return xn !== 0 || (p.pl === 1 && (d1 & 4) !== 0);
}

/** The DACR access type of the domain of the model's last fault. */
function domainType(mmu: A32Mmu, dacr: number): number {
  return (dacr >>> (2 * mmu.domain)) & 3;
}

/** What differs between the two formats' runs: the tables, the registers that point at them, and the model. */
interface Setup {
  readonly layout: A32MmuLayout;
  /** The guest's registers for the tables, as a32MmuProgram reads them. */
  readonly regs: readonly (readonly [string, bigint])[];
  /** The model, over the model's copy of the memory. */
  readonly model: (ours: PhysicalMemory) => A32Mmu | A32LpaeMmu;
  readonly entryBytes: 4 | 8;
  /** The bits of IFSR the format defines [B4.1.96]. */
  readonly ifsrBits: number;
  /** Short descriptors: the first-level table that translates an address. */
  readonly rootOf: (va: number) => bigint;
}

// the program's own mappings, in both formats: its code (PL1 read-only, so that WXN leaves it executable), the
// stubs (PL0 and PL1 read-only and executable), the list and the results (PL1 read-write)
const HARNESS: readonly [bigint, bigint, number][] = [
  [CODE, 0x1000n, READ | EXECUTE],
  [USER_CODE, 0x1000n, READ | EXECUTE | USER],
  [LIST, CODE + BigInt(AREA_BYTES) - LIST, READ | WRITE],
];

/** Short descriptors (TTBCR.EAE = 0): A32PageTable for TTBR0 and, with N = 1, TTBR1; the harness in domain 0. */
function shortSetup(memory: PhysicalMemory, options: A32MmuOptions): Setup {
  const n = options.n ?? 1;
  const lower = new A32PageTable(memory);
  const upper = new A32PageTable(memory);
  const id = lower.cursor();
  for (const [va, size, flags] of HARNESS) id.mapRegion(va, va, size, flags, false);
  id.flush();
  const windows: [A32Window[], A32Window[]] = [
    [
      { base: 0x1000_0000, size: 0x1000_0000 },
      { base: 0x6000_0000, size: 0x1000_0000 },
    ],
    [
      { base: 0x9000_0000, size: 0x1000_0000 },
      { base: 0xe000_0000, size: 0x1000_0000 },
    ],
  ];
  const spec = { seed: options.seed, leaves: options.leaves ?? (n === 1 ? 80 : 160), data: DATA, dataBytes: DATA_BYTES };
  const layout =
    n === 1
      ? buildA32MmuTables(memory, [{ table: lower, windows: windows[0] }, { table: upper, windows: windows[1] }], spec)
      : buildA32MmuTables(memory, [{ table: lower, windows: [...windows[0], ...windows[1]] }], spec);
  const regs = n === 1 ? encodeA32Registers(lower, { ttbr1: upper, n: 1 }) : encodeA32Registers(lower);
  return {
    layout,
    regs: [
      ['r1', regs.ttbcr],
      ['r2', regs.ttbr0],
      ['r3', regs.ttbr1],
    ],
    model: (ours) => new A32Mmu(ours, { ttbr0: regs.ttbr0, ttbr1: regs.ttbr1, ttbcr: regs.ttbcr }),
    entryBytes: 4,
    // FS[3:0], FS[4] (bit 10), ExT (12)
    ifsrBits: 0x140f,
    rootOf: (va) => (n === 1 && va >= 0x8000_0000 ? upper.rootPaddr : lower.rootPaddr),
  };
}

/**
 * Long descriptors (TTBCR.EAE = 1, T0SZ = T1SZ = 1): A32LpaePageTable for TTBR0 ([0, 2 GiB), the harness and two
 * windows), A32LpaeTtbr1PageTable for TTBR1 (a window in [2, 3 GiB), a 1 GiB Block at 3 GiB).
 */
function longSetup(memory: PhysicalMemory, options: A32MmuOptions): Setup {
  const split = { t0sz: 1, t1sz: 1 };
  const lower = new A32LpaePageTable(memory, split);
  const upper = new A32LpaeTtbr1PageTable(memory, split);
  const id = lower.cursor();
  for (const [va, size, flags] of HARNESS) id.mapRegion(va, va, size, flags, false);
  id.flush();
  // the codec makes user pages PXN (B3.7.2); the stubs also run at PL1
  clearPxn(memory, lower.rootPaddr, Number(USER_CODE));
  const spec = { seed: options.seed, leaves: options.leaves ?? 80, data: DATA, dataBytes: DATA_BYTES };
  const layout = buildA32LpaeMmuTables(
    memory,
    [
      { table: lower, first: 1, firstMask: 1, windows: [{ base: 0x1000_0000, size: 0x2000_0000 }], block1g: null, windowLimit: false },
      { table: upper, first: 1, firstMask: 1, windows: [{ base: 0x8000_0000, size: 0x4000_0000 }], block1g: 0xc000_0000, windowLimit: true },
    ],
    spec,
  );
  const regs = encodeA32LpaeRegisters({ ttbr0: lower, ttbr1: upper });
  const lo = (v: bigint): bigint => v & 0xffff_ffffn;
  return {
    layout,
    regs: [
      ['r1', regs.ttbcr],
      ['r2', lo(regs.ttbr0)],
      ['r8', regs.ttbr0 >> 32n],
      ['r3', lo(regs.ttbr1)],
      ['r9', regs.ttbr1 >> 32n],
      ['r11', regs.mair0],
      ['r12', regs.mair1],
    ],
    model: (ours) => new A32LpaeMmu(ours, regs),
    entryBytes: 8,
    // STATUS (5:0), LPAE (9), ExT (12)
    ifsrBits: 0x123f,
    rootOf: () => lower.rootPaddr,
  };
}

/** Clears PXN (bit 53) of the level 3 descriptor of `va` in the long-descriptor table at `root` (first level 1, 2 entries). */
function clearPxn(memory: PhysicalMemory, root: bigint, va: number): void {
  let table = root;
  for (let level = 1; ; level++) {
    const at = table + BigInt(((va >>> (39 - 9 * level)) & (level === 1 ? 1 : 511)) * 8);
    const d = memory.readU64(at);
    if (level === 3) {
      memory.writeU64(at, d & ~(1n << 53n));
      return;
    }
    table = d & 0xff_ffff_f000n;
  }
}

/** Builds random TTBR0 / TTBR1 tables, runs every probe in QEMU and through A32Mmu or A32LpaeMmu, and compares. */
export async function checkA32Mmu(options: A32MmuOptions): Promise<A32MmuResult> {
  const short = (options.format ?? 'short') === 'short';
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(CODE, AREA_BYTES);
  memory.reserve(BigInt(DATA), DATA_BYTES);
  for (let k = 0; k < DATA_BYTES / 4; k++) memory.writeU32(BigInt(DATA + 4 * k), udf(k));
  const setup = short ? shortSetup(memory, options) : longSetup(memory, options);
  const { layout } = setup;
  const order = makeProbes(layout.targets, options.seed, short);
  assertProbesFit(order.length, { start: LIST, end: RESULTS, stride: PROBE_BYTES }, { start: RESULTS, end: CODE + BigInt(AREA_BYTES), stride: RESULT_BYTES });
  const prog = a32MmuProgram(short ? 'short' : 'long');
  writeWords(memory, CODE, prog.code);
  writeWords(memory, USER_CODE, prog.user);
  order.forEach((p, i) => {
    const stub = Number(USER_CODE) + [0, 8, 16][p.access]!;
    const values = [p.target.va, p.dacr, SCTLR | p.sctlr, stub, p.pl === 1 ? SPSR_SVC : SPSR_USR, marker(i), 0, 0];
    writeWords(memory, LIST + BigInt(i * PROBE_BYTES), values);
  });

  // the model's memory and QEMU's image: the same bytes, before QEMU (or the model) changes any
  const { ours, image } = modelCopy(memory);
  const tamperedPage = options.tamper === true ? tamperOne(image, layout.targets, ours, setup.entryBytes) : null;

  const checker = new Checker();
  const compare = new ProbeComparison(checker);
  // the short-descriptor defects (the long-descriptor walk, get_phys_addr_lpae, has none of them)
  const domainOrder = short && affects(options.binary, DEFECTS.a32DomainFirst);
  const wxnIgnored = short && affects(options.binary, DEFECTS.a32ShortWxn);
  const xnFirst = short && affects(options.binary, DEFECTS.a32XnBeforeAccessFlag);
  const log = await withQemu(options.binary, ['-M', 'virt', '-cpu', 'cortex-a15', '-m', '256M'], MEM_BASE, image, async (qemu) => {
    const view = await runGuest(qemu.gdb, {
      regs: [
        ['r0', 1n],
        ...setup.regs,
        ['r4', BigInt(SCTLR)],
        ['r5', LIST],
        ['r6', BigInt(order.length)],
        ['r7', RESULTS],
        ['r10', VECTORS],
        ['pc', CODE],
      ],
      end: CODE + BigInt(prog.done),
      counter: 'r6',
      area: AREA,
      count: order.length,
    });
    const mmu = setup.model(ours);
    const probe = (p: Probe, sctlr: number): number => {
      if (mmu instanceof A32Mmu) mmu.dacr = p.dacr;
      mmu.sctlr = sctlr;
      return mmu.translateWords(p.target.va, 0, p.access, p.pl === 1 ? Privilege.SUPERVISOR : Privilege.USER);
    };
    const ifsr = setup.ifsrBits;
    order.forEach((p, i) => {
      const at = (k: number): number => view.getUint32(RESULT_BYTES * i + 4 * k, true);
      const theirs = theirOutcome(p, at(0), at(1), at(2), at(3), ifsr);
      // the outcome without WXN / UWXN, for a QEMU that ignores them with short descriptors
      if (wxnIgnored && (p.sctlr & (WXN | UWXN)) !== 0) {
        const r = probe(p, SCTLR | (p.sctlr & ~(WXN | UWXN)));
        const without = r < 0 ? `${faultKindOf(r)} ${mmu.fsr}` : 'ok';
        const withBits = probe(p, SCTLR | p.sctlr);
        if (without !== (withBits < 0 ? `${faultKindOf(withBits)} ${mmu.fsr}` : 'ok')) {
          checker.skip(DEFECTS.a32ShortWxn.text, ourOutcome(p, i, mmu, ours, withBits, ifsr) !== theirs);
          return;
        }
      }
      const r = probe(p, SCTLR | p.sctlr);
      const kind = r >= 0 ? `ok ${ACCESS_NAMES[p.access]}` : (faultKindOf(r) ?? String(r));
      const mine = ourOutcome(p, i, mmu, ours, r, ifsr);
      if (xnFirst && kind === 'AccessFlag' && p.access === Access.EXECUTE && fetchForbidden(ours, setup.rootOf(p.target.va), p)) {
        checker.skip(DEFECTS.a32XnBeforeAccessFlag.text, mine !== theirs);
        compare.count(kind);
        return;
      }
      // QEMU looks at the domain before the second-level descriptor and the Access flag (see DEFECTS.a32DomainFirst)
      if (domainOrder && mmu instanceof A32Mmu && r < 0) {
        const type = domainType(mmu, p.dacr);
        const spoiled = (kind === 'AccessFlag' && type !== 1) || (kind === 'NotPresent' && mmu.level === 1 && (type === 0 || type === 2));
        if (spoiled) {
          checker.skip(DEFECTS.a32DomainFirst.text, mine !== theirs);
          // a store QEMU let through a Manager domain: the same store in the model's memory, so that the data
          // region still compares at the end (without AFE the model translates it, to the same address)
          if (theirs === 'ok' && p.access === Access.WRITE && probe(p, SCTLR | (p.sctlr & ~AFE)) >= 0) ours.writeU32(BigInt(mmu.paLo), marker(i));
          compare.count(kind);
          return;
        }
      }
      compare.probe(BigInt(p.target.va), probeName(p), kind, mine, theirs);
    });
    const writer = new Map(order.map((p, i) => [BigInt(marker(i)), BigInt(p.target.va)]));
    await compareAtTheEnd(qemu.gdb, checker, {
      entries: layout.entries,
      entryBytes: setup.entryBytes,
      entryName: 'descriptor',
      ours,
      data: BigInt(DATA),
      dataBytes: DATA_BYTES,
      wordBytes: 4,
      vaOfWord: (want, got) => writer.get(got) ?? writer.get(want),
    });
  });
  checker.addresses = layout.targets.length;
  return { checker, samples: [], tampered: null, log, code: [{ addr: CODE, words: prog.code }], probes: order.length, outcomes: compare.outcomes, tamperedPage };
}

/** The negative control: makes a valid 4K page an invalid entry in QEMU's copy. Returns that page. */
function tamperOne(image: Uint8Array, targets: readonly A32ProbeTarget[], ours: PhysicalMemory, entryBytes: 4 | 8): { va: number; entry: bigint } {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (const t of targets) {
    if (t.entry === null || (t.kind !== 'small page' && t.kind !== 'page')) continue;
    const bits = ours.readU32(t.entry);
    // a valid Small page (bit 1) or long-descriptor Page (bits[1:0] = 0b11)
    if ((entryBytes === 4 ? bits & 2 : bits & 3) !== (entryBytes === 4 ? 2 : 3)) continue;
    for (let k = 0; k < entryBytes; k += 4) view.setUint32(Number(t.entry - MEM_BASE) + k, 0, true);
    return { va: t.va, entry: t.entry };
  }
  throw new Error('no 4K page to corrupt');
}
