// AArch64: QEMU's MMU against the library's MMU model (A64Mmu), access by access, in the EL1&0 regime.
// The guest (src/_a64-mmu-guest.ts: a program at EL1, the MMU on, its code, vectors, probe list, results and all
// of the run's RAM identity mapped in the TTBR0 table, in a part of the range no random leaf shares a table with)
// makes every probe: an access at EL0 or EL1 with its PAN, WXN, HA / HD, TBI, HPD and TTBR1 walk modes, and reads
// the leaf descriptor back. The tables are each granule's (4K, 16K, 64K) at the run's VA and output sizes.
// The same probes, in the same order, go through A64Mmu over a copy of the memory, and every outcome (the u64 a
// load read, or ESR_EL1 and FAR_EL1), every descriptor read back, and at the end every rewritten descriptor and
// every word of the data region must be the same.
// QEMU's walker: target/arm/ptw.c get_phys_addr_lpae and get_S1prot; FEAT_HAFDBS (TCR_EL1.HA / HD) is in QEMU 7.2
// already (its docs/system/arm/emulation.rst lists FEAT_HAFDBS), so both QEMUs run every mode.
import { faultKindOf, hex, type PhysicalMemory, Privilege } from '@page-table-multiarch/core';
import { A64Mmu, encodeA64Registers, type A64Granule } from '@page-table-multiarch/aarch64';
import {
  a64GuestRegs, a64MmuProgram, a64RunMemory, type A64Probe, AREA, assertA64ProbesFit, buildA64Stage1, CODE, DATA,
  DATA_BYTES, MEM_BASE, makeProbes, marker, probeName, runTcr, sctlrOf, SCTLR, tcrOf, theirEl1Outcome, writeA64Guest,
  ZERO
} from './_a64-mmu-guest';
import type { A64ProbeTarget } from './_a64-mmu-layout';
import { Checker, type RunResult } from './_check';
import { affects, DEFECTS } from './_defects';
import { runGuest } from './_driver';
import { ACCESS_NAMES, compareAtTheEnd, modelCopy, modelDataAccess, ProbeComparison, withQemu } from './_mmu-check';

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

/** The model's outcome for probe `i`; a store writes its marker, a load reads, in the model's memory. */
function ourOutcome(p: A64Probe, i: number, mmu: A64Mmu, ours: PhysicalMemory, r: number): string {
  if (r < 0) return `esr ${hex(BigInt(mmu.esr))} far ${hex(p.va)}`;
  return modelDataAccess(ours, p.access, (BigInt(mmu.paHi) << 32n) | BigInt(mmu.paLo), DATA, DATA_BYTES, marker(i));
}

/** Builds random TTBR0 / TTBR1 tables, runs every probe in QEMU and through A64Mmu, and compares. */
export async function checkA64Mmu(options: A64MmuOptions): Promise<A64MmuResult> {
  const granule = options.granule ?? 4;
  const vaBits = options.vaBits ?? 48;
  const paBits = options.paBits ?? 48;
  const memory = a64RunMemory();
  // root Block descriptors fault with every granule here but 64KB, whose level 1 has blocks with FEAT_LPA, which
  // the `max` CPU has; a block there would send accesses anywhere in the physical address space
  const blockDefect = affects(options.binary, DEFECTS.a64BlockLevel);
  const rootBlocks = granule !== 64 && !blockDefect;
  const { lower, upper, layout } = buildA64Stage1(memory, { granule, vaBits, paBits }, { seed: options.seed, leaves: options.leaves ?? 100, rootBlocks });
  const order = makeProbes(layout.targets, options.seed ^ 0xa64, (t) => t.entry ?? ZERO);
  assertA64ProbesFit(order.length);
  const prog = a64MmuProgram();
  const regs = encodeA64Registers({ ttbr0: lower, ttbr1: upper });
  const tcrBase = runTcr(regs.tcr);
  writeA64Guest(memory, prog, order, tcrBase);

  // the model's memory and QEMU's image: the same bytes, before QEMU (or the model) changes any
  const { ours, image } = modelCopy(memory);
  const tamperedPage = options.tamper === true ? tamperOne(image, layout.targets, ours) : null;

  const checker = new Checker();
  const compare = new ProbeComparison(checker);
  let updates = 0;
  let dirtied = 0;
  const log = await withQemu(options.binary, ['-M', 'virt', '-cpu', 'max', '-m', '256M'], MEM_BASE, image, async (qemu) => {
    const view = await runGuest(qemu.gdb, {
      regs: [...a64GuestRegs(regs, tcrBase, order.length), ['pc', CODE]],
      end: CODE + BigInt(prog.done),
      counter: 'x6',
      area: AREA,
      count: order.length,
    });
    // the `max` CPU's PARange is 52 bits in both QEMUs (FEAT_LPA)
    const mmu = new A64Mmu(ours, { ...regs, tcr: tcrBase, sctlr: SCTLR, paBits: 52 });
    order.forEach((p, i) => {
      const at = (k: number): bigint => view.getBigUint64(AREA.resultBytes * i + 8 * k, true);
      mmu.setRegisters({ ...regs, tcr: tcrOf(tcrBase, p), sctlr: sctlrOf(p), pan: p.pan });
      const va = p.va;
      const before = p.target.entry === null ? 0n : ours.readU64(p.target.entry);
      const r = mmu.translateWords(Number(va & 0xffff_ffffn), Number(va >> 32n), p.access, p.el === 1 ? Privilege.SUPERVISOR : Privilege.USER);
      const kind = r === 0 ? `ok ${ACCESS_NAMES[p.access]}` : (faultKindOf(r) ?? String(r));
      const after = p.target.entry === null ? 0n : ours.readU64(p.target.entry);
      if (after !== before) updates++;
      if (((before & ~after) >> 7n) & 1n) dirtied++;
      compare.probe(va, probeName(p), kind, ourOutcome(p, i, mmu, ours, r), theirEl1Outcome(p.access, at(0), at(1), at(2)));
      checker.check(va, `${probeName(p)}: descriptor after`, hex(ours.readU64(p.readBack)), hex(at(3)));
    });
    // every rewritten descriptor and every word of the data region, at the end
    await compareAtTheEnd(qemu.gdb, checker, { entries: layout.entries, entryName: 'descriptor', ours, data: DATA, dataBytes: DATA_BYTES });
  });
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
