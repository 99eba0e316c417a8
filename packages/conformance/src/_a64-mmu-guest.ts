// The guest of the AArch64 MMU runs (src/aarch64-mmu.ts at EL1&0, src/aarch64-two-stage.ts under a stage 2): the
// memory layout, the EL1 probe program, the stage 1 tables with the program's identity map, the probes and their
// modes, and the texts of their outcomes. A run adds what is its own: the stage 1 formats it covers, or the EL2
// prologue and the stage 2 tables.
// The program (at EL1, the MMU on) works through a list of probes: each a virtual address, an access (load, store,
// fetch), an Exception level, PSTATE.PAN, and the SCTLR_EL1 (WXN) and TCR_EL1 (HA, HD, TBI, HPD, EPD1, E0PD1) to
// run it with. For each it writes SCTLR_EL1 and TCR_EL1, invalidates the TLB (TLBI VMALLE1, so that each probe is
// a fresh walk, as the model's are), and ERETs to a three-instruction stub at EL0 or EL1 with PAN in SPSR_EL1:
// `ldr x22, [x8], #0` or `str x18, [x8], #0` (post-indexed, so that ESR_EL1.ISV is 0) then `svc #0`, or `br x8`
// to the address. Every word of the data region every leaf points into holds SVC #0 in its low half, so a fetch
// that translates traps straight back. The synchronous exception vectors (from EL1 and from EL0) record ESR_EL1
// and FAR_EL1; EC 0x15 (SVC) is a translation that got through. The program then reads the leaf descriptor back
// through the identity map (AF, AP[2] after HA / HD).
import { Access, hex, MappingFlags, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import { type A64BootRegisters, type A64Granule, A64PageTable } from '@page-table-multiarch/aarch64';
import { type A64MmuLayout, type A64ProbeTarget, buildA64MmuTables } from './_a64-mmu-layout';
import { a64EnableMmu, A64Reg, b, bne, ISB, ldrPost, mrs, msr, strPost, subsImm } from './_a64';
import type { GuestArea } from './_driver';
import { Rng, writeWords } from './_layout';
import { ACCESS_NAMES, assertProbesFit, fillData } from './_mmu-check';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;

// RAM of the virt machine starts at 0x4000_0000, with the device tree at its start: the run's memory begins 16 MiB
// in. The last 4 MiB are the program's: code and vectors, the EL0 stubs, the probe list and the results.
export const MEM_BASE = 0x4100_0000n;
export const MEM_SIZE = 32 << 20;
const AREA_BYTES = 4 << 20;
export const CODE = MEM_BASE + BigInt(MEM_SIZE - AREA_BYTES);
export const AREA_END = CODE + BigInt(AREA_BYTES);
export const VECTORS = CODE + 0x800n;
/** The EL0 stubs, in a page of their own (EL0 may execute it; the granule's page, up to 64 KiB). */
export const USER_CODE = CODE + 0x1_0000n;
/** Between the stubs and the probe list: 32 KiB a run may use for code of its own (the two-stage run's EL2 code). */
export const SPARE_CODE = CODE + 0x1_8000n;
export const LIST = CODE + 0x2_0000n;
export const RESULTS = CODE + 0x28_0000n;
export const PROBE_BYTES = 64; // va, SCTLR, TCR, stub, SPSR, descriptor address, store value, 0
export const RESULT_BYTES = 32; // ESR, FAR, value loaded, descriptor after
export const AREA: GuestArea = { base: CODE, bytes: AREA_BYTES, list: LIST, results: RESULTS, resultBytes: RESULT_BYTES };
/** The data region every leaf points into: 128 KiB at 2 MiB, each u64 = (its address << 32) | SVC #0. */
export const DATA = MEM_BASE + 0x20_0000n;
export const DATA_BYTES = 0x2_0000;
/** A zero u64 after the probe list: the "descriptor" read back for probes that have none. */
export const ZERO = RESULTS - 8n;

// A64 encodings (DDI 0487 C6.2): ERET, SVC #0, BR Xn, TLBI VMALLE1 (SYS #0, C8, C7, #0), DSB ISH, LDR Xt, [Xn].
export const ERET = 0xd69f_03e0;
export const SVC0 = 0xd400_0001;
const br = (n: number): number => (0xd61f_0000 | (n << 5)) >>> 0;
const TLBI_VMALLE1 = 0xd508_871f;
const DSB_ISH = 0xd503_3b9f;
const ldr0 = (t: number, n: number): number => (0xf940_0000 | (n << 5) | t) >>> 0;
const movz0 = (d: number): number => (0xd280_0000 | d) >>> 0;

// SCTLR_EL1 (D19.2): M, C, I, SPAN (23: PSTATE.PAN unchanged on exception entry) and the Armv8.0 RES1 bits
// (11, 20, 22, 28, 29); WXN is bit 19.
export const SCTLR = (1n << 0n) | (1n << 2n) | (1n << 12n) | (1n << 11n) | (1n << 20n) | (1n << 22n) | (1n << 23n) | (1n << 28n) | (1n << 29n);
const WXN = 1n << 19n;
// TCR_EL1: EPD1 [23], IPS [34:32] = 0b010 (40 bits), TBI0 [37], TBI1 [38], HA [39], HD [40], HPD0 [41], HPD1 [42],
// E0PD1 [56]. (TTBR0's walks stay enabled: the program itself is mapped there.)
const EPD1 = 1n << 23n;
const IPS_40 = 2n << 32n;
const IPS_MASK = 7n << 32n;
const TBI = 3n << 37n;
const HA = 1n << 39n;
const HD = 1n << 40n;
const HPD = 3n << 41n;
const E0PD1 = 1n << 56n;
/** The output-address bit the layout sets in a few descriptors: beyond 40 bits, an Address size fault. */
export const WIDE_BIT = 1n << 44n;
// SPSR_EL1: M[3:0] 0b0000 EL0t / 0b0101 EL1h, DAIF masked (bits 9:6), PAN bit 22
const SPSR_TO_EL0 = 0x3c0n;
const SPSR_TO_EL1 = 0x3c5n;
const SPSR_PAN = 1n << 22n;

/** The EL1 program: its code, the EL0 stubs, the offsets of the EL1 stubs and of its last instruction. */
export interface A64MmuProgram {
  readonly code: number[];
  readonly user: number[];
  readonly stubs: number[];
  readonly done: number;
}

/**
 * The program. In: x0 MAIR, x1 TCR, x2 TTBR0, x3 TTBR1, x4 SCTLR, x5 the probe list, x6 its length, x7 the
 * results, x10 VBAR. Returns the code (at CODE, with its vectors at +0x800 and the EL1 stubs), the EL0 stubs (at
 * USER_CODE), the offsets of the EL1 stubs, and `done`, the offset of the last instruction.
 */
export function a64MmuProgram(): A64MmuProgram {
  const w = a64EnableMmu();
  const loop = w.length;
  // the probe: x8 va, x12 SCTLR, x13 TCR, x14 stub, x15 SPSR, x17 descriptor address, x18 value to store
  for (const r of [8, 12, 13, 14, 15, 17, 18, 19]) w.push(ldrPost(r, 5, 8));
  w.push(msr(A64Reg.SCTLR_EL1, 12), msr(A64Reg.TCR_EL1, 13), ISB, TLBI_VMALLE1, DSB_ISH, ISB);
  w.push(movz0(20), movz0(21), movz0(22), msr(A64Reg.ELR_EL1, 14), msr(A64Reg.SPSR_EL1, 15), ERET);
  const after = w.length;
  w.push(ldr0(23, 17), strPost(20, 7, 8), strPost(21, 7, 8), strPost(22, 7, 8), strPost(23, 7, 8));
  w.push(subsImm(6, 6, 1));
  w.push(bne(loop - w.length));
  const done = w.length * 4;
  w.push(b(0));
  // the EL1 stubs: load, store, fetch
  const stubs = [w.length * 4];
  w.push(ldrPost(22, 8, 0), SVC0);
  stubs.push(w.length * 4);
  w.push(strPost(18, 8, 0), SVC0);
  stubs.push(w.length * 4);
  w.push(br(8));
  // vectors at +0x800: every entry `b .` but the synchronous ones from EL1 with SP_EL1 (+0x200) and from EL0 (+0x400)
  while (w.length < 0x800 / 4) w.push(b(0));
  for (let v = 0; v < 16; v++) {
    const at = 0x800 / 4 + v * 0x20;
    while (w.length < at) w.push(b(0));
    if (v === 4 || v === 8) {
      w.push(mrs(20, A64Reg.ESR_EL1), mrs(21, A64Reg.FAR_EL1));
      w.push(b(after - w.length));
    } else {
      w.push(b(0));
    }
  }
  return { code: w, user: [ldrPost(22, 8, 0), SVC0, strPost(18, 8, 0), SVC0, br(8)], stubs, done };
}

/** The run's memory: the program's area and the data region reserved, each data u64 = (its address << 32) | SVC #0. */
export function a64RunMemory(): PhysicalMemory {
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(CODE, AREA_BYTES);
  memory.reserve(DATA, DATA_BYTES);
  fillData(memory, DATA, DATA_BYTES, (pa) => (pa << 32n) | BigInt(SVC0));
  return memory;
}

/** The stage 1 tables of a run: TTBR0's (with the program's identity map) and TTBR1's, and their random layout. */
export interface A64Stage1 {
  readonly lower: A64PageTable;
  readonly upper: A64PageTable;
  readonly layout: A64MmuLayout;
}

/** The page and block sizes the random layout maps for a granule, with their weights. */
function sizesOf(granule: A64Granule): [PageSize, number][] {
  if (granule === 4) {
    return [
      [PageSize.Size4K, 6],
      [PageSize.Size2M, 3],
      [PageSize.Size1G, 1],
    ];
  }
  return granule === 16
    ? [
        [PageSize.Size16K, 6],
        [PageSize.Size32M, 2],
      ]
    : [
        [PageSize.Size64K, 6],
        [PageSize.Size512M, 2],
      ];
}

/**
 * Builds the stage 1 tables: the identity map of the run's RAM (EL1 read-write), the program's code (EL1 read-only,
 * executable) and the EL0 stubs (EL0 and EL1 read-only, EL0-executable), all in the lowest part of TTBR0's range;
 * then `leaves` random leaves in each table, in the upper half of TTBR0's range and at both ends of TTBR1's.
 */
export function buildA64Stage1(
  memory: PhysicalMemory,
  format: { readonly granule: A64Granule; readonly vaBits: number; readonly paBits: 48 | 52 },
  layout: { readonly seed: number; readonly leaves: number; readonly rootBlocks: boolean },
): A64Stage1 {
  const { granule, vaBits, paBits } = format;
  const lower = new A64PageTable(memory, { granule, vaBits, paBits, half: 'lower' });
  const upper = new A64PageTable(memory, { granule, vaBits, paBits, half: 'upper' });
  const id = lower.cursor();
  id.mapRegion(MEM_BASE, MEM_BASE, CODE - MEM_BASE, READ | WRITE, true);
  const pageBytes = BigInt(lower.format.geometry.leafBytes[lower.format.geometry.levels - 1]!);
  id.mapRegion(CODE, CODE, USER_CODE - CODE, READ | EXECUTE, true);
  id.mapRegion(USER_CODE, USER_CODE, pageBytes, READ | EXECUTE | USER, false);
  id.mapRegion(USER_CODE + pageBytes, USER_CODE + pageBytes, AREA_END - USER_CODE - pageBytes, READ | WRITE, true);
  id.flush();
  const span = 64n << 30n;
  const top = 1n << BigInt(vaBits);
  const tables = buildA64MmuTables(
    memory,
    [
      // TTBR0: the upper half of its range only (the identity map is in the lower half)
      { table: lower, windows: [{ base: top / 2n, size: span }, { base: top - span, size: span }] },
      { table: upper, windows: [{ base: (1n << 64n) - top, size: span }, { base: (1n << 64n) - span, size: span }] },
    ],
    { ...layout, sizes: sizesOf(granule), data: DATA, dataBytes: DATA_BYTES, wideBit: WIDE_BIT },
  );
  return { lower, upper, layout: tables };
}

/**
 * One access: a target (its address with a tag in bits 63:56 for some loads and stores), a kind, an Exception
 * level, PAN, WXN, the hardware updates (0 none, 1 HA, 2 HA + HD), TBI0 / TBI1, HPD0 / HPD1, and TTBR1's walks
 * (0 enabled, 1 disabled by EPD1, 2 disabled for EL0 by E0PD1).
 */
export interface A64Probe {
  readonly target: A64ProbeTarget;
  readonly va: bigint;
  readonly access: 0 | 1 | 2;
  readonly el: 0 | 1;
  readonly pan: boolean;
  readonly wxn: boolean;
  readonly updates: 0 | 1 | 2;
  readonly tbi: boolean;
  readonly hpd: boolean;
  readonly ttbr1Walks: 0 | 1 | 2;
  /** Where the program reads the leaf descriptor back: the descriptor, or ZERO (none, or one it may not read). */
  readonly readBack: bigint;
}

export function probeName(p: A64Probe): string {
  const ad = ['no HA', 'HA', 'HA+HD'][p.updates];
  const walks = ['', ' EPD1', ' E0PD1'][p.ttbr1Walks];
  const modes = `PAN=${p.pan ? 1 : 0} WXN=${p.wxn ? 1 : 0} ${ad} TBI=${p.tbi ? 1 : 0} HPD=${p.hpd ? 1 : 0}${walks}`;
  return `${ACCESS_NAMES[p.access]} EL${p.el} ${modes} at ${hex(p.va)} (${p.target.kind})`;
}

/** What a store probe writes: bit 63, its index + 1 in the high word, SVC #0 in the low one. */
export function marker(i: number): bigint {
  return (1n << 63n) | (BigInt(i + 1) << 32n) | BigInt(SVC0);
}

/**
 * Every probe (6 per target for access x EL, each in three random modes) in a random order seeded with `seed`;
 * `readBack` says where each target's descriptor is read back from.
 */
export function makeProbes(targets: readonly A64ProbeTarget[], seed: number, readBack: (t: A64ProbeTarget) => bigint): A64Probe[] {
  const rng = new Rng(seed);
  const probes: A64Probe[] = [];
  for (const target of targets) {
    const back = readBack(target);
    for (const access of [0, 1, 2] as const) {
      for (const el of [0, 1] as const) {
        for (let k = 0; k < 3; k++) {
          // a tag only on loads and stores: a branch with TBI (here the ERET) replaces bits 63:56 by copies of bit 55
          // (D8.8, AArch64.BranchAddr()), so that a fetch is made from that address
          const tbi = rng.ratio(1, 3);
          const tag = access !== 2 && rng.ratio(1, 6) ? BigInt(1 + rng.below(255)) << 56n : 0n;
          let va = tag === 0n ? target.va : (target.va & 0x00ff_ffff_ffff_ffffn) | tag;
          if (access === 2 && tbi) va = BigInt.asUintN(64, BigInt.asIntN(56, va));
          probes.push({
            target,
            va,
            access,
            el,
            pan: rng.ratio(1, 2),
            wxn: rng.ratio(1, 3),
            updates: rng.below(3) as 0 | 1 | 2,
            tbi,
            hpd: rng.ratio(1, 4),
            ttbr1Walks: rng.ratio(1, 10) ? ((1 + rng.below(2)) as 1 | 2) : 0,
            readBack: back,
          });
        }
      }
    }
  }
  return rng.shuffle(probes);
}

/** TCR_EL1 of the run: the tables' own (TnSZ, granules, ...) with IPS = 40 bits, for its Address size faults. */
export function runTcr(tcr: bigint): bigint {
  return (tcr & ~IPS_MASK) | IPS_40;
}

/** TCR_EL1 of a probe: the run's, with its modes. */
export function tcrOf(base: bigint, p: A64Probe): bigint {
  let tcr = base | (p.updates >= 1 ? HA : 0n) | (p.updates === 2 ? HD : 0n) | (p.tbi ? TBI : 0n) | (p.hpd ? HPD : 0n);
  if (p.ttbr1Walks === 1) tcr |= EPD1;
  if (p.ttbr1Walks === 2) tcr |= E0PD1;
  return tcr;
}

/** SCTLR_EL1 of a probe. */
export function sctlrOf(p: A64Probe): bigint {
  return SCTLR | (p.wxn ? WXN : 0n);
}

/** Writes the program, the EL0 stubs and the probe list (each probe as the program reads it) into the memory. */
export function writeA64Guest(memory: PhysicalMemory, prog: A64MmuProgram, order: readonly A64Probe[], tcrBase: bigint): void {
  writeWords(memory, CODE, prog.code);
  writeWords(memory, USER_CODE, prog.user);
  order.forEach((p, i) => {
    const at = LIST + BigInt(i * PROBE_BYTES);
    const stub = p.el === 1 ? CODE + BigInt(prog.stubs[p.access]!) : USER_CODE + BigInt([0, 8, 16][p.access]!);
    const spsr = p.el === 1 ? SPSR_TO_EL1 | (p.pan ? SPSR_PAN : 0n) : SPSR_TO_EL0;
    const values = [p.va, sctlrOf(p), tcrOf(tcrBase, p), stub, spsr, p.readBack, marker(i), 0n];
    for (const [k, v] of values.entries()) memory.writeU64(at + BigInt(8 * k), v);
  });
}

/** Throws unless `count` probes fit the list (up to `listEnd`) and their results from `results` to `resultsEnd`. */
export function assertA64ProbesFit(count: number, listEnd = ZERO, results = RESULTS, resultsEnd = AREA_END): void {
  assertProbesFit(count, { start: LIST, end: listEnd, stride: PROBE_BYTES }, { start: results, end: resultsEnd, stride: RESULT_BYTES });
}

/** The EL1 program's inputs (a64MmuProgram), without `pc`. */
export function a64GuestRegs(regs: A64BootRegisters, tcrBase: bigint, count: number): [string, bigint][] {
  return [
    ['x0', regs.mair],
    ['x1', tcrBase],
    ['x2', regs.ttbr0],
    ['x3', regs.ttbr1],
    ['x4', SCTLR],
    ['x5', LIST],
    ['x6', BigInt(count)],
    ['x7', RESULTS],
    ['x10', VECTORS],
  ];
}

/**
 * QEMU's outcome of a probe as the EL1 vectors recorded it, as text: "ok" (with the u64 a load read: EC 0x15, the
 * SVC after the access or at the fetched address, was reached), or "<prefix>esr ... far ...".
 */
export function theirEl1Outcome(access: number, esr: bigint, far: bigint, value: bigint, prefix = ''): string {
  if (esr >> 26n === 0x15n) return access === Access.READ ? `ok ${hex(value)}` : 'ok';
  return `${prefix}esr ${hex(esr)} far ${hex(far)}`;
}
