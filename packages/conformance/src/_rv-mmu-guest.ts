// The guest of the RISC-V MMU runs (src/riscv-mmu.ts, one stage; src/riscv-two-stage.ts, VS-stage over G-stage):
// the run's memory and its data region, the M-mode probe loop's shared end (recording a probe's results, the trap
// handler), the hart's set-up through the gdb stub (PMP, the translation registers, Svadu), and the texts of the
// outcomes. A run adds what is its own: how a probe is entered (MPRV or MRET; SRET into V = 1), its tables.
import { PhysicalMemory } from '@page-table-multiarch/core';
import type { GdbRemote } from '@page-table-multiarch/cli';
import { CSR, RV, RV_SPIN, rvAddi, rvCsrw, rvLd } from './_boot-code';
import { type GuestArea, guestArea, runGuest } from './_driver';
import { fillData } from './_mmu-check';
import { setUpPmp, writeTranslationRegister } from './_rv-scheme';
import { MCSR, RV_ECALL, rvBne, rvCsrr, rvJal, rvSd } from './_rv64';

/** RAM of the virt machine (`-bios none`: nothing else is loaded there). */
export const MEM_BASE = 0x8000_0000n;
export const MEM_SIZE = 8 << 20;
/** The data region every leaf points into: 64 KiB at a 2 MiB-aligned address, each u64 = (its address << 32) | ECALL. */
export const DATA = MEM_BASE + 0x20_0000n;
export const DATA_BYTES = 0x1_0000;
/** The program's area: the last 1 MiB of the memory. */
export function rvArea(resultBytes: number) {
  return guestArea(MEM_BASE, MEM_SIZE, 1 << 20, resultBytes);
}

// mstatus.MPP (privileged spec 20211203, 3.1.6: bits 12:11) = M: M-mode's own mstatus, with MPRV = 0.
export const MPP_M = 3n << 11n;
// menvcfg.ADUE and henvcfg.ADUE: bit 61 (Svadu).
const ADUE = 1n << 61n;

// The probe loop's registers (ABI names): a0 the list, a1 probes left, a2 the results, a3 M-mode's mstatus; t3 the
// entry to read back; s1 mcause, s2 mtval, s3 the value loaded, s4 the entry after.
const { zero, t3 } = RV;
const [s1, s2, s3, s4, a0, a1, a2, a3] = [9, 18, 19, 20, 10, 11, 12, 13];

/** The run's memory: the program's area and the data region (and `extra` bytes after it) reserved, the data filled. */
export function rvRunMemory(area: { readonly base: bigint; readonly bytes: number }, extra = 0): PhysicalMemory {
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(area.base, area.bytes);
  memory.reserve(DATA, DATA_BYTES + extra);
  fillData(memory, DATA, DATA_BYTES, (pa) => (pa << 32n) | BigInt(RV_ECALL));
  return memory;
}

/**
 * Appends the end of the probe loop to `w`, whose word `loop` starts a probe: at `after` (returned), the entry read
 * back and the results stored (mcause, mtval, the value loaded, the entry after, then the registers `extra`), the
 * pointers advanced and the loop closed; then the spin where the run stops (`end`, a word index) and the M-mode trap
 * handler (`handler`), which restores M-mode's mstatus, reads mcause, mtval and the CSRs `trapCsrs` (into the
 * registers `extra`) and goes to `after`.
 */
export function rvProbeLoopEnd(
  w: number[],
  loop: number,
  probeBytes: number,
  resultBytes: number,
  extra: readonly { readonly reg: number; readonly csr: number }[] = [],
): { after: number; end: number; handler: number } {
  const after = w.length;
  w.push(rvLd(s4, t3, 0), rvSd(s1, a2, 0), rvSd(s2, a2, 8), rvSd(s3, a2, 16), rvSd(s4, a2, 24));
  for (const [k, { reg }] of extra.entries()) w.push(rvSd(reg, a2, 32 + 8 * k));
  w.push(rvAddi(a0, a0, probeBytes), rvAddi(a2, a2, resultBytes), rvAddi(a1, a1, -1), 0);
  w[w.length - 1] = rvBne(a1, zero, (loop - (w.length - 1)) * 4);
  const end = w.length;
  w.push(RV_SPIN);
  const handler = w.length;
  w.push(rvCsrw(CSR.mstatus, a3), rvCsrr(s1, MCSR.mcause), rvCsrr(s2, MCSR.mtval), ...extra.map(({ reg, csr }) => rvCsrr(reg, csr)), 0);
  w[w.length - 1] = rvJal(zero, (after - (w.length - 1)) * 4);
  return { after, end, handler };
}

/**
 * What a store probe writes: bit 63 and its index + 1 in the high word, and ECALL in the low one (so that fetches
 * from the data region still trap straight back). The data region's initial words, (address << 32) | ECALL, differ
 * from every marker. Bit 63 (N) keeps both kinds of word a reserved encoding when a leaf whose R, W and X are clear
 * makes a walk read the data region as a table (4.3.2 step 3, Svnapot not implemented here).
 */
export function marker(i: number): bigint {
  return (1n << 63n) | (BigInt(i + 1) << 32n) | BigInt(RV_ECALL);
}

/**
 * PMP and the translation registers through the gdb stub: one NAPOT PMP entry over all memory with R, W and X, as
 * firmware sets up (privileged spec 3.7), then each register of `translation` (satp, or hgatp and vsatp), which
 * QEMU must keep as written.
 */
export async function setUpTranslation(gdb: GdbRemote, translation: readonly (readonly [string, bigint])[]): Promise<void> {
  await setUpPmp(gdb, 64);
  for (const [name, value] of translation) await writeTranslationRegister(gdb, name, value);
}

/**
 * Hardware A / D updates (Svadu) on or off through the ADUE bit of `envcfgs` (menvcfg for the single stage and the
 * G-stage, with henvcfg for the VS-stage). ADUE is writable only on a hart with Svadu (QEMU 10: svadu=true by
 * default); QEMU 7.2 has no such bit and always sets A / D itself, which is the same behaviour as ADUE = 1: there
 * `svadu` false (Svade's faults) cannot be run.
 */
export async function setAdUpdates(gdb: GdbRemote, envcfgs: readonly string[], svadu: boolean): Promise<void> {
  const regs = await gdb.registers();
  let writable = false;
  if (envcfgs.every((name) => regs.has(name))) {
    for (const name of envcfgs) await gdb.writeRegister(name, ADUE);
    let all = ADUE;
    for (const name of envcfgs) all &= await gdb.readRegister(name);
    writable = all !== 0n;
    if (writable && !svadu) for (const name of [...envcfgs].reverse()) await gdb.writeRegister(name, 0n);
  }
  if (!writable && !svadu) throw new Error('this QEMU has no menvcfg.ADUE: it always sets A / D itself');
}

/**
 * Runs the probe program (at the area's base; its trap handler, at word `handler`, in mtvec) over the `count` probes
 * of the area's list to its last instruction (byte offset `end`), and reads the results. In: a0 the list, a1 the
 * count, a2 the results, a3 M-mode's mstatus, then the registers `extra`.
 */
export async function runProbeProgram(gdb: GdbRemote, area: GuestArea, prog: { readonly handler: number; readonly end: number }, count: number, extra: readonly (readonly [string, bigint])[] = []): Promise<DataView> {
  await gdb.writeRegister('mtvec', area.base + BigInt(prog.handler * 4));
  return runGuest(gdb, {
    regs: [['a0', area.list], ['a1', BigInt(count)], ['a2', area.results], ['a3', MPP_M], ...extra, ['pc', area.base]],
    end: area.base + BigInt(prog.end),
    counter: 'a1',
    area,
    count,
  });
}
