// AArch64 two-stage translation: QEMU's MMU against A64Mmu over A64Stage2Mmu, access by access, with a guest at
// EL1 / EL0 under a hypervisor's stage 2.
// The `virt` machine with `virtualization=on` starts the `max` CPU at A64Reg. A prologue there loads VTCR_EL2,
// VTTBR_EL2 and HCR_EL2 (VM [0] = 1: stage 2 on for EL1&0; RW [31] = 1: EL1 is AArch64), VBAR_EL2, and ERETs to
// EL1, into the program of the stage 1 run (src/aarch64-mmu.ts: each probe an access at EL0 or EL1 with its PAN, WXN,
// HA / HD, TBI, HPD and TTBR1 walk modes, its outcome recorded by the EL1 vectors). A stage 2 fault is taken to EL2
// instead (Arm ARM DDI 0487 K.a, D19.2 ESR_EL2: EC 0x20 / 0x24 from a lower Exception level): the EL2 vector for
// synchronous exceptions from a lower Exception level records ESR_EL2, FAR_EL2 and HPFAR_EL2, and ERETs to the EL1
// program where it records a probe's outcome, so that the next probe runs.
// Stage 1 is the random tables of the stage 1 run (4K granule, 48-bit, both ranges). Stage 2 (4K granule, 38-bit
// IPAs, 40-bit output, VTCR_EL2.HA / HD per run, FEAT_XNX: the `max` CPU has it) maps the run's RAM to itself with 4K
// pages, and then, at random: the pages of the data region every stage 1 leaf points into (S2AP, XN[1:0], AF, DBM,
// invalid, an output beyond 40 bits, another data page as output), and the frames of the stage 1 tables of the
// random ranges (invalid, AF = 0, no access, read-only: stage 2 faults on stage 1 table reads, and on the AF / dirty
// updates of stage 1 descriptors, S1PTW). A few stage 1 leaves output an IPA at or above 2^38 (a stage 2 level 0
// Translation fault). The program's own code, lists and the identity map's tables stay mapped read-write.
// The same probes go through A64Mmu (with `stage2`) over a copy of the memory; every outcome (the value a load read,
// or ESR_EL1 / FAR_EL1, or ESR_EL2 / FAR_EL2 / HPFAR_EL2), every stage 1 descriptor read back, and at the end every
// rewritten descriptor of both stages and the data region must be the same. QEMU's walker: target/arm/ptw.c
// get_phys_addr_twostage, S1_ptw_translate, get_phys_addr_lpae, arm_casq_ptw; its report, tlb_helper.c
// arm_deliver_fault (HPFAR_EL2 from the fault's s2addr).
import { faultKindOf, hex, MappingFlags, type PhysicalMemory, Privilege } from '@page-table-multiarch/core';
import { A64Mmu, A64Stage2Mmu, A64Stage2PageTable, encodeA64Registers, encodeA64Stage2Registers } from '@page-table-multiarch/aarch64';
import {
  a64GuestRegs, a64MmuProgram, a64RunMemory, type A64Probe, type A64Stage1, AREA, assertA64ProbesFit, buildA64Stage1,
  CODE, DATA, DATA_BYTES, ERET, MEM_BASE, MEM_SIZE, makeProbes, marker, probeName, RESULT_BYTES, RESULTS, runTcr,
  SCTLR, sctlrOf, SPARE_CODE, tcrOf, theirEl1Outcome, WIDE_BIT, writeA64Guest, ZERO
} from './_a64-mmu-guest';
import { type A64ProbeTarget, descriptorAddress } from './_a64-mmu-layout';
import { A64Reg, b, ISB, mrs, msr } from './_a64';
import { Checker, type RunResult } from './_check';
import { affects, DEFECTS } from './_defects';
import { runGuest } from './_driver';
import { Rng, writeWords } from './_layout';
import { ACCESS_NAMES, compareAtTheEnd, modelCopy, modelDataAccess, ProbeComparison, withQemu } from './_mmu-check';

const { READ, WRITE, EXECUTE } = MappingFlags;

// The memory layout of the stage 1 run (src/_a64-mmu-guest.ts), with the EL2 code and the EL2 results in its
// program area.
/** The EL2 prologue, and its vectors at +0x800 (VBAR_EL2 is 2 KiB aligned). */
const EL2_CODE = SPARE_CODE;
const EL2_VECTORS = EL2_CODE + 0x800n;
/** Per probe (at the stride of RESULTS): ESR_EL2 and HPFAR_EL2 when stage 2 faulted, else zeros. */
const RESULTS2 = CODE + 0x20_0000n;
const PAGE = 0x1000n;

// A64 encodings (DDI 0487 C6.2): ADD Xd, Xn, Xm, STR Xt, [Xn, #imm] (unsigned offset).
const add = (d: number, n: number, m: number): number => (0x8b00_0000 | (m << 16) | (n << 5) | d) >>> 0;
const strOff = (t: number, n: number, imm: number): number => (0xf900_0000 | ((imm / 8) << 10) | (n << 5) | t) >>> 0;
// HCR_EL2: VM [0], RW [31]
const HCR = (1n << 0n) | (1n << 31n);
// SPSR_EL2 for EL1h with DAIF masked
const SPSR_EL1H = 0x3c5n;
/** An IPA bit at or above the stage 2 input size (38 bits) and below stage 1's output size (40 bits). */
const IPA_BEYOND = 1n << 39n;
// VTCR_EL2: HA [21], HD [22]
const VTCR_HA = 1n << 21n;
const VTCR_HD = 1n << 22n;
// stage 2 descriptor bits (D8.3.1.2): valid, page, S2AP[0], S2AP[1], AF, DBM, XN[1:0]
const S2_VALID = 1n;
const S2AP_R = 1n << 6n;
const S2AP_W = 1n << 7n;
const S2_AF = 1n << 10n;
const S2_DBM = 1n << 51n;
const S2_XN_SHIFT = 53n;
const OA = 0x0000_ffff_ffff_f000n;

/**
 * The EL2 code: the prologue (in: x9 HCR_EL2, x11 VTCR_EL2, x16 VBAR_EL2, x24 VTTBR_EL2, x27 SPSR_EL2 for EL1h, x29
 * the EL1 program's entry; the EL1 program's own inputs in x0-x7, x10 pass through) and, at +0x800, its vectors:
 * the one for synchronous exceptions from a lower Exception level (+0x400) stores ESR_EL2 and HPFAR_EL2 at x7 + x28
 * (x7: the EL1 program's result pointer; x28 = RESULTS2 - RESULTS), puts ESR_EL2 and FAR_EL2 in x20 and x21 as the
 * EL1 vectors do, and ERETs to x26 (where the EL1 program records an outcome) at EL1; the others are `b .`.
 */
export function a64El2Code(): number[] {
  const w = [msr(A64Reg.VTCR_EL2, 11), msr(A64Reg.VTTBR_EL2, 24), msr(A64Reg.VBAR_EL2, 16), msr(A64Reg.HCR_EL2, 9), ISB];
  w.push(msr(A64Reg.ELR_EL2, 29), msr(A64Reg.SPSR_EL2, 27), ERET);
  while (w.length < 0x800 / 4) w.push(b(0));
  for (let v = 0; v < 16; v++) {
    while (w.length < 0x800 / 4 + v * 0x20) w.push(b(0));
    if (v === 8) {
      w.push(mrs(20, A64Reg.ESR_EL2), mrs(21, A64Reg.FAR_EL2), mrs(25, A64Reg.HPFAR_EL2), add(19, 7, 28), strOff(20, 19, 0), strOff(25, 19, 8));
      w.push(msr(A64Reg.ELR_EL2, 26), msr(A64Reg.SPSR_EL2, 27), ERET);
    } else {
      w.push(b(0));
    }
  }
  return w;
}

/** Options of one run. */
export interface A64TwoStageOptions {
  readonly binary: string;
  readonly seed: number;
  /** VTCR_EL2.HA and HD: 0 neither, 1 HA, 2 both. */
  readonly s2Updates: 0 | 1 | 2;
  /** Leaves in each stage 1 table (default 100). */
  readonly leaves?: number;
  /** Negative control: S2AP[1] is cleared in QEMU's copy of one writable stage 2 data page (not in the model's). */
  readonly tamper?: boolean;
}

/** What a run compared, and what the model's outcomes were. */
export interface A64TwoStageResult extends RunResult {
  readonly probes: number;
  /** How many accesses translated ("ok load", ...) or faulted, by fault kind and stage ("Permission (stage 2, walk)"). */
  readonly outcomes: ReadonlyMap<string, number>;
  /** Stage 2 descriptors changed by the walks (AF set, S2AP[1] set through DBM). */
  readonly s2Updates: number;
  /** The IPA of the stage 2 page corrupted in the negative control, or null. */
  readonly tamperedIpa: bigint | null;
}

/** Random stage 2 attributes for a data page: mostly valid, AF, readable; S2AP, XN[1:0], DBM at random. */
function dataPageBits(rng: Rng, old: bigint, outputs: readonly bigint[]): { bits: bigint; kind: string } {
  const out = rng.ratio(1, 4) ? rng.pick(outputs) : old & OA;
  let bits = (old & ~OA & ~(S2AP_R | S2AP_W | S2_AF | S2_DBM | (3n << S2_XN_SHIFT))) | out;
  if (rng.ratio(4, 5)) bits |= S2AP_R;
  if (rng.ratio(1, 2)) bits |= S2AP_W;
  if (rng.ratio(4, 5)) bits |= S2_AF;
  if (rng.ratio(1, 3)) bits |= S2_DBM;
  bits |= BigInt(rng.below(4)) << S2_XN_SHIFT;
  let kind = 'data page';
  if (rng.ratio(1, 12)) {
    bits &= ~S2_VALID;
    kind += ', invalid';
  } else if (rng.ratio(1, 16)) {
    bits |= WIDE_BIT;
    kind += ', wide output';
  }
  return { bits, kind };
}

/** Random stage 2 attributes for the frame of a stage 1 table: invalid, AF = 0, no access, read-only, or normal. */
function tableFrameBits(rng: Rng, old: bigint): { bits: bigint; readable: boolean } {
  const pick = rng.below(10);
  if (pick === 0) return { bits: old & ~S2_VALID, readable: false };
  if (pick === 1) return { bits: old & ~S2_AF, readable: false };
  if (pick === 2) return { bits: old & ~(S2AP_R | S2AP_W), readable: false };
  if (pick <= 4) return { bits: (old & ~S2AP_W) | (rng.ratio(1, 2) ? S2_DBM : 0n), readable: true };
  return { bits: old, readable: true };
}

/** The stage 2 table, the descriptors the run rewrote in it, and the stage 1 table frames stage 2 makes unreadable. */
interface Stage2 {
  readonly table: A64Stage2PageTable;
  readonly changed: readonly { readonly pa: bigint; readonly ipa: bigint }[];
  readonly unreadable: ReadonlySet<bigint>;
}

/**
 * The frames of the stage 1 tables of the random ranges, every level but TTBR0's root (which the program's own
 * walks go through).
 */
function stage1Frames(memory: PhysicalMemory, stage1: A64Stage1, targets: readonly A64ProbeTarget[]): Set<bigint> {
  const { lower, upper } = stage1;
  const frames = new Set<bigint>([upper.rootPaddr]);
  for (const t of targets) {
    if (t.entry === null) continue;
    const table = t.va >> 55n === 0n ? lower : upper;
    // (a pointer the layout made too wide leads outside the memory: the frames above it are kept)
    for (let level = 1; level < 4; level++) {
      let at: bigint;
      try {
        at = descriptorAddress(memory, table, t.va, level);
      } catch {
        break;
      }
      if (at < MEM_BASE || at >= MEM_BASE + BigInt(MEM_SIZE)) break;
      frames.add(at & ~(PAGE - 1n));
      if (at === t.entry) break;
    }
  }
  frames.delete(lower.rootPaddr);
  return frames;
}

/** Stage 2: RAM to itself in 4K pages, then the data pages and the stage 1 table frames at random. */
function buildStage2(memory: PhysicalMemory, rng: Rng, frames: ReadonlySet<bigint>): Stage2 {
  const s2 = new A64Stage2PageTable(memory, { granule: 4, ipaBits: 38, paBits: 40 });
  const c2 = s2.cursor();
  c2.mapRegion(MEM_BASE, MEM_BASE, BigInt(MEM_SIZE), READ | WRITE | EXECUTE, false);
  c2.flush();
  const s2Entry = (ipa: bigint): bigint => {
    const next = (at: bigint): bigint => memory.readU64(at) & OA;
    const l1 = s2.rootPaddr + ((ipa >> 30n) & 0xffn) * 8n;
    const l2 = next(l1) + ((ipa >> 21n) & 0x1ffn) * 8n;
    return next(l2) + ((ipa >> 12n) & 0x1ffn) * 8n;
  };
  const changed: { pa: bigint; ipa: bigint }[] = [];
  const dataPages = Array.from({ length: DATA_BYTES / 0x1000 }, (_, k) => DATA + BigInt(k) * PAGE);
  for (const ipa of dataPages) {
    const at = s2Entry(ipa);
    memory.writeU64(at, dataPageBits(rng, memory.readU64(at), dataPages).bits);
    changed.push({ pa: at, ipa });
  }
  const unreadable = new Set<bigint>();
  for (const frame of frames) {
    if (!rng.ratio(1, 3)) continue;
    const at = s2Entry(frame);
    const { bits, readable } = tableFrameBits(rng, memory.readU64(at));
    memory.writeU64(at, bits);
    changed.push({ pa: at, ipa: frame });
    if (!readable) unreadable.add(frame);
  }
  return { table: s2, changed, unreadable };
}

/** Builds both stages, runs every probe in QEMU and through A64Mmu over A64Stage2Mmu, and compares. */
export async function checkA64TwoStage(options: A64TwoStageOptions): Promise<A64TwoStageResult> {
  const rng = new Rng(options.seed ^ 0x2_57a6e);
  const memory = a64RunMemory();
  // stage 1: the identity map of the program and the random ranges, as in the stage 1 run (4K granule, 48 bits)
  const stage1 = buildA64Stage1(memory, { granule: 4, vaBits: 48, paBits: 48 }, { seed: options.seed, leaves: options.leaves ?? 100, rootBlocks: false });
  const { lower, upper, layout } = stage1;
  // a few stage 1 leaves output an IPA beyond stage 2's input size
  const targets = layout.targets.map((t) => {
    if (t.entry === null || !rng.ratio(1, 20)) return t;
    memory.writeU64(t.entry, memory.readU64(t.entry) | IPA_BEYOND);
    return { ...t, kind: `${t.kind}, IPA beyond stage 2` };
  });
  const stage2 = buildStage2(memory, rng, stage1Frames(memory, stage1, targets));
  const s2Changed = stage2.changed;

  // the program reads back no descriptor whose frame stage 2 makes unreadable
  const readBack = (t: A64ProbeTarget): bigint => (t.entry === null || stage2.unreadable.has(t.entry & ~(PAGE - 1n)) ? ZERO : t.entry);
  const order = makeProbes(targets, options.seed ^ 0xa64_2, readBack);
  assertA64ProbesFit(order.length, RESULTS2, RESULTS2, RESULTS);
  const prog = a64MmuProgram();
  const after = CODE + BigInt(4 * (prog.code.indexOf(ERET) + 1));
  const regs = encodeA64Registers({ ttbr0: lower, ttbr1: upper });
  const tcrBase = runTcr(regs.tcr);
  writeA64Guest(memory, prog, order, tcrBase);
  writeWords(memory, EL2_CODE, a64El2Code());
  const s2regs = encodeA64Stage2Registers(stage2.table, { vmid: 1 });
  const vtcr = s2regs.vtcr | (options.s2Updates >= 1 ? VTCR_HA : 0n) | (options.s2Updates === 2 ? VTCR_HD : 0n);

  const { ours, image } = modelCopy(memory);
  const tamperedIpa = options.tamper === true ? tamperOne(image, s2Changed, ours) : null;

  const checker = new Checker();
  const compare = new ProbeComparison(checker);
  let s2Updates = 0;
  const log = await withQemu(options.binary, ['-M', 'virt,virtualization=on', '-cpu', 'max', '-m', '256M'], MEM_BASE, image, async (qemu) => {
    const el = ((await qemu.gdb.readRegister('cpsr')) >> 2n) & 3n;
    if (el !== 2n) throw new Error(`the CPU starts at EL${el}, not EL2: QEMU without virtualization=on?`);
    const view = await runGuest(qemu.gdb, {
      regs: [
        ...a64GuestRegs(regs, tcrBase, order.length),
        ['x9', HCR],
        ['x11', vtcr],
        ['x16', EL2_VECTORS],
        ['x24', s2regs.vttbr],
        ['x26', after],
        ['x27', SPSR_EL1H],
        ['x28', RESULTS2 - RESULTS],
        ['x29', CODE],
        ['pc', EL2_CODE],
      ],
      end: CODE + BigInt(prog.done),
      counter: 'x6',
      area: AREA,
      count: order.length,
    });
    const el2 = await qemu.gdb.readMemory(RESULTS2, order.length * RESULT_BYTES);
    const view2 = new DataView(el2.buffer, el2.byteOffset, el2.byteLength);
    // the `max` CPU: PARange 52 bits (FEAT_LPA), FEAT_XNX, FEAT_HAFDBS
    const s2mmu = new A64Stage2Mmu(ours, { vtcr, vttbr: s2regs.vttbr, xnx: true, paBits: 52 });
    const mmu = new A64Mmu(ours, { ...regs, tcr: tcrBase, sctlr: SCTLR, paBits: 52, stage2: s2mmu });
    const s2Before = s2Changed.map(({ pa }) => ours.readU64(pa));
    const levelDefect = affects(options.binary, DEFECTS.a64S1ptwLevel);
    order.forEach((p, i) => {
      const at = (k: number): bigint => view.getBigUint64(RESULT_BYTES * i + 8 * k, true);
      const at2 = (k: number): bigint => view2.getBigUint64(RESULT_BYTES * i + 8 * k, true);
      mmu.setRegisters({ ...regs, tcr: tcrOf(tcrBase, p), sctlr: sctlrOf(p), pan: p.pan });
      const va = p.va;
      const r = mmu.translateWords(Number(va & 0xffff_ffffn), Number(va >> 32n), p.access, p.el === 1 ? Privilege.SUPERVISOR : Privilege.USER);
      const kind = r === 0 ? `ok ${ACCESS_NAMES[p.access]}` : `${faultKindOf(r) ?? String(r)}${mmu.faultStage === 2 ? ` (stage 2${mmu.faultOnWalk ? ', walk' : ''})` : ''}`;
      if (levelDefect && r < 0 && mmu.faultStage === 2 && mmu.faultOnWalk) {
        // the defect's QEMU reports another level: the rest of the syndrome is compared, the level counted as skipped
        const level = 3n;
        compare.probe(va, probeName(p), kind, ourOutcome(p, i, mmu, ours, r, level), theirOutcome(p, at(0), at(1), at(2), at2(0) & ~level, at2(1)));
        checker.skip(DEFECTS.a64S1ptwLevel.text, (at2(0) & level) !== BigInt(mmu.esr & 3));
      } else {
        compare.probe(va, probeName(p), kind, ourOutcome(p, i, mmu, ours, r), theirOutcome(p, at(0), at(1), at(2), at2(0), at2(1)));
      }
      checker.check(va, `${probeName(p)}: descriptor after`, hex(ours.readU64(p.readBack)), hex(at(3)));
    });
    s2Changed.forEach(({ pa }, k) => {
      if (ours.readU64(pa) !== s2Before[k]) s2Updates++;
    });
    const entries = [...layout.entries, ...s2Changed.map((e) => ({ pa: e.pa, va: e.ipa, name: 'stage 2 descriptor' }))];
    await compareAtTheEnd(qemu.gdb, checker, { entries, entryName: 'descriptor', ours, data: DATA, dataBytes: DATA_BYTES });
  });
  checker.addresses = targets.length;
  return { checker, samples: [], tampered: null, log, code: [{ addr: CODE, words: prog.code }], probes: order.length, outcomes: compare.outcomes, s2Updates, tamperedIpa };
}

/** QEMU's outcome: "ok" (with the u64 a load read), a stage 2 fault taken to EL2, or a fault taken to EL1. */
function theirOutcome(p: A64Probe, esr: bigint, far: bigint, value: bigint, esr2: bigint, hpfar: bigint): string {
  if (esr2 !== 0n) return `EL2 esr ${hex(esr2)} far ${hex(far)} hpfar ${hex(hpfar)}`;
  return theirEl1Outcome(p.access, esr, far, value, 'EL1 ');
}

/**
 * The model's outcome for probe `i`; a store writes its marker, a load reads, in the model's memory. `clear`: ESR bits
 * left out (a known QEMU defect's).
 */
function ourOutcome(p: A64Probe, i: number, mmu: A64Mmu, ours: PhysicalMemory, r: number, clear = 0n): string {
  if (r < 0) {
    if (mmu.faultStage === 2) return `EL2 esr ${hex(BigInt(mmu.esr) & ~clear)} far ${hex(p.va)} hpfar ${hex(BigInt(mmu.hpfar))}`;
    return `EL1 esr ${hex(BigInt(mmu.esr))} far ${hex(p.va)}`;
  }
  return modelDataAccess(ours, p.access, (BigInt(mmu.paHi) << 32n) | BigInt(mmu.paLo), DATA, DATA_BYTES, marker(i));
}

/** The negative control: clears S2AP[1] in QEMU's copy of a valid, writable stage 2 data page. Returns its IPA. */
function tamperOne(image: Uint8Array, changed: readonly { pa: bigint; ipa: bigint }[], ours: PhysicalMemory): bigint {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (const { pa, ipa } of changed) {
    if (ipa < DATA || ipa >= DATA + BigInt(DATA_BYTES)) continue;
    const bits = ours.readU64(pa);
    if ((bits & S2_VALID) === 0n || (bits & S2_AF) === 0n || (bits & S2AP_W) === 0n || (bits & WIDE_BIT) !== 0n) continue;
    view.setBigUint64(Number(pa - MEM_BASE), bits & ~S2AP_W, true);
    return ipa;
  }
  throw new Error('no writable stage 2 data page to corrupt');
}
