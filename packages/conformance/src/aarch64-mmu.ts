// AArch64: QEMU's MMU against the library's MMU model (A64Mmu), access by access, in the EL1&0 regime.
// A guest program at EL1 (the MMU on, its code, vectors, probe list, results and all of the run's RAM identity
// mapped in the TTBR0 table, in a part of the range no random leaf shares a table with) works through a list of
// probes: each a virtual address, an access (load, store, fetch), an Exception level, PSTATE.PAN, and the SCTLR_EL1
// (WXN) and TCR_EL1 (HA, HD) to run it with. For each it writes SCTLR_EL1 and TCR_EL1, invalidates the TLB (TLBI
// VMALLE1, so that each probe is a fresh walk, as the model's are), and ERETs to a three-instruction stub at EL0 or
// EL1 with PAN in SPSR_EL1: `ldr x22, [x8], #0` or `str x18, [x8], #0` (post-indexed, so that ESR_EL1.ISV is 0)
// then `svc #0`, or `br x8` to the address. Every word of the data region every leaf points into holds SVC #0 in
// its low half, so a fetch that translates traps straight back. The synchronous exception vectors (from EL1 and
// from EL0) record ESR_EL1 and FAR_EL1; EC 0x15 (SVC) is a translation that got through. The program then reads
// the leaf descriptor back through the identity map (AF, AP[2] after HA / HD).
// The same probes, in the same order, go through A64Mmu over a copy of the memory, and every outcome (the u64 a
// load read, or ESR_EL1 and FAR_EL1), every descriptor read back, and at the end every rewritten descriptor and
// every word of the data region must be the same.
// QEMU's walker: target/arm/ptw.c get_phys_addr_lpae and get_S1prot; FEAT_HAFDBS (TCR_EL1.HA / HD) is in QEMU 7.2
// already (its docs/system/arm/emulation.rst lists FEAT_HAFDBS), so both QEMUs run every mode.
import { Access, faultKindOf, hex, PageSize, PhysicalMemory, Privilege, MappingFlags } from '@page-table-multiarch/core';
import { A64Mmu, A64PageTable, encodeA64Registers, type A64Granule } from '@page-table-multiarch/aarch64';
import { type A64ProbeTarget, buildA64MmuTables } from './_a64-mmu-layout';
import { A64Reg, b, bne, ISB, ldrPost, msr, mrs, strPost, subsImm } from './_a64';
import { Checker, type RunResult } from './_check';
import { affects, DEFECTS } from './_defects';
import type { GuestArea } from './_driver';
import { runGuest } from './_driver';
import { Rng, writeWords } from './_layout';
import { compareAtTheEnd, ProbeComparison } from './_mmu-check';
import { startQemu } from './_qemu';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;

// RAM of the virt machine starts at 0x4000_0000, with the device tree at its start: the run's memory begins 16 MiB
// in. The last 4 MiB are the program's: code and vectors, the EL0 stubs, the probe list and the results.
const MEM_BASE = 0x4100_0000n;
const MEM_SIZE = 32 << 20;
const AREA_BYTES = 4 << 20;
const CODE = MEM_BASE + BigInt(MEM_SIZE - AREA_BYTES);
const VECTORS = CODE + 0x800n;
/** The EL0 stubs, in a page of their own (EL0 may execute it; the granule's page, up to 64 KiB). */
const USER_CODE = CODE + 0x1_0000n;
const LIST = CODE + 0x2_0000n;
const RESULTS = CODE + 0x28_0000n;
const PROBE_BYTES = 64; // va, SCTLR, TCR, stub, SPSR, descriptor address, store value, 0
const RESULT_BYTES = 32; // ESR, FAR, value loaded, descriptor after
const AREA: GuestArea = { base: CODE, bytes: AREA_BYTES, list: LIST, results: RESULTS, resultBytes: RESULT_BYTES };
/** The data region every leaf points into: 128 KiB at 2 MiB, each u64 = (its address << 32) | SVC #0. */
const DATA = MEM_BASE + 0x20_0000n;
const DATA_BYTES = 0x2_0000;
/** A zero u64 after the probe list: the "descriptor" read back for probes that have none. */
const ZERO = RESULTS - 8n;

// A64 encodings (DDI 0487 C6.2): ERET, SVC #0, BR Xn, TLBI VMALLE1 (SYS #0, C8, C7, #0), DSB ISH, LDR Xt, [Xn].
const ERET = 0xd69f_03e0;
const SVC0 = 0xd400_0001;
const br = (n: number): number => (0xd61f_0000 | (n << 5)) >>> 0;
const TLBI_VMALLE1 = 0xd508_871f;
const DSB_ISH = 0xd503_3b9f;
const ldr0 = (t: number, n: number): number => (0xf940_0000 | (n << 5) | t) >>> 0;
const movz0 = (d: number): number => (0xd280_0000 | d) >>> 0;
// System registers (D19.2): op0, op1, CRn, CRm, op2
const ESR_EL1 = { op0: 3, op1: 0, crn: 5, crm: 2, op2: 0 };
const FAR_EL1 = { op0: 3, op1: 0, crn: 6, crm: 0, op2: 0 };
const SPSR_EL1 = { op0: 3, op1: 0, crn: 4, crm: 0, op2: 0 };
const ELR_EL1 = { op0: 3, op1: 0, crn: 4, crm: 0, op2: 1 };

// SCTLR_EL1 (D19.2): M, C, I, SPAN (23: PSTATE.PAN unchanged on exception entry) and the Armv8.0 RES1 bits
// (11, 20, 22, 28, 29); WXN is bit 19.
const SCTLR = (1n << 0n) | (1n << 2n) | (1n << 12n) | (1n << 11n) | (1n << 20n) | (1n << 22n) | (1n << 23n) | (1n << 28n) | (1n << 29n);
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
const WIDE_BIT = 1n << 44n;
// SPSR_EL1: M[3:0] 0b0000 EL0t / 0b0101 EL1h, DAIF masked (bits 9:6), PAN bit 22
const SPSR_TO_EL0 = 0x3c0n;
const SPSR_TO_EL1 = 0x3c5n;
const SPSR_PAN = 1n << 22n;

/**
 * The program. In: x0 MAIR, x1 TCR, x2 TTBR0, x3 TTBR1, x4 SCTLR, x5 the probe list, x6 its length, x7 the
 * results, x10 VBAR. Returns the code (at CODE, with its vectors at +0x800 and the EL1 stubs), the EL0 stubs (at
 * USER_CODE), the offsets of the EL1 stubs, and `done`, the offset of the last instruction.
 */
export function a64MmuProgram(): { code: number[]; user: number[]; stubs: number[]; done: number } {
  const w: number[] = [
    msr(A64Reg.MAIR_EL1, 0),
    msr(A64Reg.TCR_EL1, 1),
    msr(A64Reg.TTBR0_EL1, 2),
    msr(A64Reg.TTBR1_EL1, 3),
    msr(A64Reg.VBAR_EL1, 10),
    ISB,
    msr(A64Reg.SCTLR_EL1, 4),
    ISB,
  ];
  const loop = w.length;
  // the probe: x8 va, x12 SCTLR, x13 TCR, x14 stub, x15 SPSR, x17 descriptor address, x18 value to store
  for (const r of [8, 12, 13, 14, 15, 17, 18, 19]) w.push(ldrPost(r, 5, 8));
  w.push(msr(A64Reg.SCTLR_EL1, 12), msr(A64Reg.TCR_EL1, 13), ISB, TLBI_VMALLE1, DSB_ISH, ISB);
  w.push(movz0(20), movz0(21), movz0(22), msr(ELR_EL1, 14), msr(SPSR_EL1, 15), ERET);
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
      w.push(mrs(20, ESR_EL1), mrs(21, FAR_EL1));
      w.push(b(after - w.length));
    } else {
      w.push(b(0));
    }
  }
  return { code: w, user: [ldrPost(22, 8, 0), SVC0, strPost(18, 8, 0), SVC0, br(8)], stubs, done };
}

/** Options of one run. */
export interface A64MmuOptions {
  readonly binary: string;
  readonly seed: number;
  /** The granule (default 4) and the VA size of both ranges (default 48). */
  readonly granule?: A64Granule;
  readonly vaBits?: number;
  /**
   * The tables' output address size (default 48): 52 writes FEAT_LPA2 descriptors with TCR_EL1.DS = 1 (4K, 16K; the
   * walk from lookup level -1 with 4K/52) or FEAT_LPA ones (64K). The run keeps IPS = 40 bits for its Address size
   * faults, so no output address needs the split field; the walk, the start level and DS are what it checks.
   */
  readonly paBits?: 48 | 52;
  /** Leaves in each table (default 100). */
  readonly leaves?: number;
  /** Negative control: AP[2] is cleared in one read-only page of QEMU's image (not in the model's). */
  readonly tamper?: boolean;
}

/** What a run compared, and what the model's outcomes were (so that a test can see that every case occurred). */
export interface A64MmuResult extends RunResult {
  readonly probes: number;
  /** How many accesses the model translated ("ok load", ...) or faulted, by fault kind. */
  readonly outcomes: ReadonlyMap<string, number>;
  /** Accesses after which the model's leaf descriptor had changed (AF set, or AP[2] cleared, by the hardware). */
  readonly updates: number;
  /** Of those, the stores that made a page dirty (AP[2] cleared through DBM). */
  readonly dirtied: number;
  /** Root entries made Block descriptors (none where QEMU has the `a64BlockLevel` defect). */
  readonly rootBlocks: number;
  /** The probed address and the descriptor address of the page corrupted in the negative control, or null. */
  readonly tamperedPage: { readonly va: bigint; readonly entry: bigint } | null;
}

/**
 * One access: a target (its address with a tag in bits 63:56 for some loads and stores), a kind, an Exception
 * level, PAN, WXN, the hardware updates (0 none, 1 HA, 2 HA + HD), TBI0 / TBI1, HPD0 / HPD1, and TTBR1's walks
 * (0 enabled, 1 disabled by EPD1, 2 disabled for EL0 by E0PD1).
 */
interface Probe {
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
}

const ACCESS_NAMES = ['load', 'store', 'fetch'] as const;

function probeName(p: Probe): string {
  const ad = ['no HA', 'HA', 'HA+HD'][p.updates];
  const walks = ['', ' EPD1', ' E0PD1'][p.ttbr1Walks];
  const modes = `PAN=${p.pan ? 1 : 0} WXN=${p.wxn ? 1 : 0} ${ad} TBI=${p.tbi ? 1 : 0} HPD=${p.hpd ? 1 : 0}${walks}`;
  return `${ACCESS_NAMES[p.access]} EL${p.el} ${modes} at ${hex(p.va)} (${p.target.kind})`;
}

/** What a store probe writes: bit 63, its index + 1 in the high word, SVC #0 in the low one. */
function marker(i: number): bigint {
  return (1n << 63n) | (BigInt(i + 1) << 32n) | BigInt(SVC0);
}

/** Every probe (6 per target for access x EL, each in three random modes) in a seeded random order. */
function makeProbes(targets: readonly A64ProbeTarget[], seed: number): Probe[] {
  const rng = new Rng(seed ^ 0xa64);
  const probes: Probe[] = [];
  for (const target of targets) {
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
            ttbr1Walks: rng.ratio(1, 10) ? (1 + rng.below(2)) as 1 | 2 : 0,
          });
        }
      }
    }
  }
  return rng.shuffle(probes);
}

/** TCR_EL1 of a probe: the run's, with its modes. */
function tcrOf(base: bigint, p: Probe): bigint {
  let tcr = base | (p.updates >= 1 ? HA : 0n) | (p.updates === 2 ? HD : 0n) | (p.tbi ? TBI : 0n) | (p.hpd ? HPD : 0n);
  if (p.ttbr1Walks === 1) tcr |= EPD1;
  if (p.ttbr1Walks === 2) tcr |= E0PD1;
  return tcr;
}

/** QEMU's outcome as text: "ok" (with the u64 a load read), or ESR and FAR. */
function theirOutcome(p: Probe, esr: bigint, far: bigint, value: bigint): string {
  // EC 0x15: the SVC after the access (or at the fetched address) was reached
  if (esr >> 26n === 0x15n) return p.access === Access.READ ? `ok ${hex(value)}` : 'ok';
  return `esr ${hex(esr)} far ${hex(far)}`;
}

/** The model's outcome for probe `i`; a store writes its marker, a load reads, in the model's memory. */
function ourOutcome(p: Probe, i: number, mmu: A64Mmu, ours: PhysicalMemory, r: number): string {
  if (r < 0) return `esr ${hex(BigInt(mmu.esr))} far ${hex(p.va)}`;
  const pa = (BigInt(mmu.paHi) << 32n) | BigInt(mmu.paLo);
  if (pa < DATA || pa >= DATA + BigInt(DATA_BYTES)) return `ok, outside the data region: ${hex(pa)}`;
  if (p.access === Access.EXECUTE) return 'ok';
  if (p.access === Access.WRITE) {
    ours.writeU64(pa, marker(i));
    return 'ok';
  }
  return `ok ${hex(ours.readU64(pa))}`;
}

/** Builds random TTBR0 / TTBR1 tables, runs every probe in QEMU and through A64Mmu, and compares. */
export async function checkA64Mmu(options: A64MmuOptions): Promise<A64MmuResult> {
  const granule = options.granule ?? 4;
  const vaBits = options.vaBits ?? 48;
  const paBits = options.paBits ?? 48;
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(CODE, AREA_BYTES);
  memory.reserve(DATA, DATA_BYTES);
  for (let pa = DATA; pa < DATA + BigInt(DATA_BYTES); pa += 8n) memory.writeU64(pa, (pa << 32n) | BigInt(SVC0));
  const lower = new A64PageTable(memory, { granule, vaBits, paBits, half: 'lower' });
  const upper = new A64PageTable(memory, { granule, vaBits, paBits, half: 'upper' });
  // the identity map of the run's RAM (EL1 read-write), the program's code (EL1 read-only, executable) and the
  // EL0 stubs (EL0 and EL1 read-only, EL0-executable), all in the lowest part of TTBR0's range
  const id = lower.cursor();
  id.mapRegion(MEM_BASE, MEM_BASE, BigInt(MEM_SIZE - AREA_BYTES), READ | WRITE, true);
  const pageBytes = BigInt(lower.format.geometry.leafBytes[lower.format.geometry.levels - 1]!);
  id.mapRegion(CODE, CODE, USER_CODE - CODE, READ | EXECUTE, true);
  id.mapRegion(USER_CODE, USER_CODE, pageBytes, READ | EXECUTE | USER, false);
  id.mapRegion(USER_CODE + pageBytes, USER_CODE + pageBytes, CODE + BigInt(AREA_BYTES) - USER_CODE - pageBytes, READ | WRITE, true);
  id.flush();
  const span = 64n << 30n;
  const top = 1n << BigInt(vaBits);
  const sizes: [PageSize, number][] =
    granule === 4
      ? [
          [PageSize.Size4K, 6],
          [PageSize.Size2M, 3],
          [PageSize.Size1G, 1],
        ]
      : granule === 16
        ? [
            [PageSize.Size16K, 6],
            [PageSize.Size32M, 2],
          ]
        : [
            [PageSize.Size64K, 6],
            [PageSize.Size512M, 2],
          ];
  // root Block descriptors fault with every granule here but 64KB, whose level 1 has blocks with FEAT_LPA, which
  // the `max` CPU has; a block there would send accesses anywhere in the physical address space
  const blockDefect = affects(options.binary, DEFECTS.a64BlockLevel);
  const rootBlocks = granule !== 64 && !blockDefect;
  const layout = buildA64MmuTables(
    memory,
    [
      // TTBR0: the upper half of its range only (the identity map is in the lower half)
      { table: lower, windows: [{ base: top / 2n, size: span }, { base: top - span, size: span }] },
      { table: upper, windows: [{ base: (1n << 64n) - top, size: span }, { base: (1n << 64n) - span, size: span }] },
    ],
    { seed: options.seed, leaves: options.leaves ?? 100, sizes, data: DATA, dataBytes: DATA_BYTES, wideBit: WIDE_BIT, rootBlocks },
  );
  const order = makeProbes(layout.targets, options.seed);
  if (order.length * PROBE_BYTES > Number(ZERO - LIST) || order.length * RESULT_BYTES > Number(CODE + BigInt(AREA_BYTES) - RESULTS)) {
    throw new Error(`${order.length} probes do not fit the program's area`);
  }
  const prog = a64MmuProgram();
  writeWords(memory, CODE, prog.code);
  writeWords(memory, USER_CODE, prog.user);
  const regs = encodeA64Registers({ ttbr0: lower, ttbr1: upper });
  const tcrBase = (regs.tcr & ~IPS_MASK) | IPS_40;
  order.forEach((p, i) => {
    const at = LIST + BigInt(i * PROBE_BYTES);
    const stub = p.el === 1 ? CODE + BigInt(prog.stubs[p.access]!) : USER_CODE + BigInt([0, 8, 16][p.access]!);
    const spsr = p.el === 1 ? SPSR_TO_EL1 | (p.pan ? SPSR_PAN : 0n) : SPSR_TO_EL0;
    const values = [
      p.va,
      SCTLR | (p.wxn ? WXN : 0n),
      tcrOf(tcrBase, p),
      stub,
      spsr,
      p.target.entry ?? ZERO,
      marker(i),
      0n,
    ];
    for (const [k, v] of values.entries()) memory.writeU64(at + BigInt(8 * k), v);
  });

  // the model's memory: the same bytes, before QEMU (or the model) changes any
  const ours = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  ours.writeBytes(MEM_BASE, memory.bytes());
  const image = memory.bytes().slice();
  const tamperedPage = options.tamper === true ? tamperOne(image, layout.targets, ours) : null;

  const checker = new Checker();
  const compare = new ProbeComparison(checker);
  let updates = 0;
  let dirtied = 0;
  const qemu = await startQemu({
    binary: options.binary,
    machine: ['-M', 'virt', '-cpu', 'max', '-m', '256M'],
    images: [{ addr: MEM_BASE, bytes: image }],
  });
  let log = '';
  try {
    const view = await runGuest(qemu.gdb, {
      regs: [
        ['x0', regs.mair],
        ['x1', tcrBase],
        ['x2', regs.ttbr0],
        ['x3', regs.ttbr1],
        ['x4', SCTLR],
        ['x5', LIST],
        ['x6', BigInt(order.length)],
        ['x7', RESULTS],
        ['x10', VECTORS],
        ['pc', CODE],
      ],
      end: CODE + BigInt(prog.done),
      counter: 'x6',
      area: AREA,
      count: order.length,
    });
    // the `max` CPU's PARange is 52 bits in both QEMUs (FEAT_LPA)
    const mmu = new A64Mmu(ours, { ...regs, tcr: tcrBase, sctlr: SCTLR, paBits: 52 });
    order.forEach((p, i) => {
      const at = (k: number): bigint => view.getBigUint64(RESULT_BYTES * i + 8 * k, true);
      mmu.setRegisters({ ...regs, tcr: tcrOf(tcrBase, p), sctlr: SCTLR | (p.wxn ? WXN : 0n), pan: p.pan });
      const va = p.va;
      const before = p.target.entry === null ? 0n : ours.readU64(p.target.entry);
      const r = mmu.translateWords(Number(va & 0xffff_ffffn), Number(va >> 32n), p.access, p.el === 1 ? Privilege.SUPERVISOR : Privilege.USER);
      const kind = r === 0 ? `ok ${ACCESS_NAMES[p.access]}` : (faultKindOf(r) ?? String(r));
      const after = p.target.entry === null ? 0n : ours.readU64(p.target.entry);
      if (after !== before) updates++;
      if (((before & ~after) >> 7n) & 1n) dirtied++;
      compare.probe(va, probeName(p), kind, ourOutcome(p, i, mmu, ours, r), theirOutcome(p, at(0), at(1), at(2)));
      checker.check(va, `${probeName(p)}: descriptor after`, hex(ours.readU64(p.target.entry ?? ZERO)), hex(at(3)));
    });
    // every rewritten descriptor and every word of the data region, at the end
    await compareAtTheEnd(qemu.gdb, checker, { entries: layout.entries, entryBytes: 8, entryName: 'descriptor', ours, data: DATA, dataBytes: DATA_BYTES, wordBytes: 8 });
  } finally {
    log = qemu.stderr();
    await qemu.close();
  }
  checker.addresses = layout.targets.length;
  if (blockDefect) checker.skip(`${DEFECTS.a64BlockLevel.text}: no root Block descriptors made`, false, 0);
  return { checker, samples: [], tampered: null, log, code: [{ addr: CODE, words: prog.code }], probes: order.length, outcomes: compare.outcomes, updates, dirtied, rootBlocks: layout.rootBlocks, tamperedPage };
}

/** The negative control: clears AP[2] in QEMU's copy of a valid, read-only page descriptor. Returns that page. */
function tamperOne(image: Uint8Array, targets: readonly A64ProbeTarget[], ours: PhysicalMemory): { va: bigint; entry: bigint } {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (const t of targets) {
    if (t.entry === null || t.kind !== 'page') continue;
    const bits = ours.readU64(t.entry);
    // valid page, AF set, AP[2] set
    if ((bits & 3n) !== 3n || (bits & (1n << 10n)) === 0n || (bits & (1n << 7n)) === 0n) continue;
    view.setBigUint64(Number(t.entry - MEM_BASE), bits & ~(1n << 7n), true);
    return { va: t.va, entry: t.entry };
  }
  throw new Error('no read-only page to corrupt');
}
