// x86: QEMU's MMU against the library's MMU model (X86Mmu), access by access.
// A guest program in 64-bit mode works through a list of probes, each a linear address, an access kind (load,
// store, fetch), a CPL (0 or 3) and the mode bits: CR0.WP, CR4.SMEP / SMAP / PKE, EFLAGS.AC, IA32_EFER.NXE and PKRU.
// It loads them (MOV CR0, MOV CR4, WRMSR, WRPKRU, STAC / CLAC), reloads CR3 (which empties QEMU's TLB, so that each
// probe is a fresh walk, as the model's are), then makes the access: at CPL 0 directly (a fetch is a JMP to the
// address), at CPL 3 through IRETQ to a user page that makes it and returns with INT 0x80 (a fetch is an IRETQ to
// the address). Every page that translates holds INT 0x80 (CD 80) at every 8-byte boundary, so a fetch that gets
// through comes straight back. The IDT sends every vector to a stub that records the vector, the error code and
// CR2; a probe's result is that (or nothing, for a CPL-0 load or store that went through), the value a load read,
// and its leaf entry read back (A / D). The same probes, in the same order, go through X86Mmu over a copy of the
// same memory, and every outcome, every entry read back, and every rewritten entry and data word at the end, must
// be the same.
// The program's own pages (code, IDT, TSS, stack, the tables themselves: an identity map of the run's memory in
// 2 MiB supervisor pages; the GDT at linear 0, where the gdb stub reads the descriptor of CS from, as GDTR is
// still its reset value, base 0; the user page at linear 0x1000) sit below 512 GiB (256 TiB with 5-level paging),
// which no probe touches.
// QEMU's walker: target/i386/tcg/sysemu/excp_helper.c mmu_translate (7.2 and 10.0: the same checks in the same
// order; canonical addresses in get_physical_address).
import { Access, hex, MmuCode, PageSize, type PageTable64, PhysicalMemory } from '@page-table-multiarch/core';
import { X64PageTable, X64PageTable5, X86Mmu } from '@page-table-multiarch/x86_64';
import { Checker, type RunResult } from './_check';
import { affects, DEFECTS } from './_defects';
import { Rng } from './_layout';
import type { ProbeTarget } from './_mmu-layout';
import { ACCESS_NAMES, assertProbesFit, compareAtTheEnd, countTargetSizes, fillData, markerWriterVa, modelCopy, ProbeComparison, withQemu } from './_mmu-check';
import { CC, R, X64, X64Assembler } from './_x64';
import {
  CR4_LA57, CR4_PAE, CR4_PKE, EFER_LME, EFER_NXE, emitProbeDispatch, finishProgram, kindWord, MACHINE, makeX86Probes,
  MEM_BASE, probeControlRegisters, runX86Guest, SEL_TSS, show, tamperReadOnly4K, theirOutcomeOf, USER_VA, userPage,
  writeDescriptorTables, x86GuestPages, type X86ModeInsns, type X86Probe, x86ProbeName
} from './_x86-mmu-guest';
import { buildX86MmuTables, x86EntryAddress } from './_x86-mmu-layout';

const MEM_SIZE = 8 << 20;
/** The data region every leaf points into: 64 KiB at a 2 MiB-aligned address, each u64 = (its address << 16) | INT 0x80. */
const DATA = MEM_BASE + 0x20_0000n;
const DATA_BYTES = 0x1_0000;
const PROBE_BYTES = 64; // va, cr0, cr4, efer, pkru, kind, entry address, value to store
const RESULT_BYTES = 40; // vector, error code, cr2, value loaded, entry after
const PAGES = x86GuestPages(MEM_SIZE, RESULT_BYTES);
const AREA = PAGES.area;
const ZERO = PAGES.zero;

/** Options of one run. */
export interface X86MmuOptions {
  readonly binary: string;
  readonly seed: number;
  /** 5-level paging (CR4.LA57). */
  readonly la57: boolean;
  /** Leaves in the random table (default 150). */
  readonly leaves?: number;
  /** The CPU's MAXPHYADDR (QEMU's TCG CPUs: 40). */
  readonly maxPhysAddr?: number;
  /** Negative control: R/W is set in one read-only 4K leaf of QEMU's image (not in the model's). */
  readonly tamper?: boolean;
}

/** 64-bit code: the load, store, stack push (r15: the stack top) and IRETQ of the probe dispatch. */
const LONG_MODE: X86ModeInsns = { load: X64.loadRaxRdi, store: X64.storeRdiRsi, pushStack: X64.push(R.r15), pushFlags: X64.pushfq, iret: X64.iretq };

/** The probe program: its bytes from the area's base, and the addresses where it starts and ends. */
export function x86MmuProgram(): { bytes: Uint8Array; start: number; end: number } {
  const a = new X64Assembler(PAGES.base);
  const { rax, rcx, rdx, rbx, rsp, rsi, rdi, r8, r9, r10, r12, r13, r14, r15 } = R;
  a.label('start').emit(X64.lidtAbs(PAGES.idtr), X64.ltr(SEL_TSS));
  a.label('loop').emit(X64.mov64(rsp, r15));
  a.emit(X64.load64(rax, r12, 8), X64.toCr(0, rax), X64.load64(rax, r12, 16), X64.toCr(4, rax));
  a.emit(X64.movImm32(rcx, 0xc000_0080), X64.load32(rax, r12, 24), X64.zero(rdx), X64.wrmsr); // IA32_EFER
  a.emit(X64.testMem32(r12, 16, Number(CR4_PKE))).jcc(CC.e, 'tlb');
  a.emit(X64.load32(rax, r12, 32), X64.zero(rcx), X64.zero(rdx), X64.wrpkru);
  a.label('tlb').emit(X64.fromCr(rax, 3), X64.toCr(3, rax));
  a.emit(X64.zero(r8), X64.zero(r9), X64.zero(r10), X64.zero(rax));
  a.emit(X64.load64(rdi, r12, 0), X64.load64(rsi, r12, 56), X64.load32(rdx, r12, 40));
  emitProbeDispatch(a, LONG_MODE);
  a.label('after').emit(X64.store64(r13, 0, r8), X64.store64(r13, 8, r9), X64.store64(r13, 16, r10), X64.store64(r13, 24, rax));
  a.emit(X64.load64(rbx, r12, 48), X64.load64(rbx, rbx, 0), X64.store64(r13, 32, rbx));
  a.emit(X64.addImm8(r12, PROBE_BYTES), X64.addImm8(r13, RESULT_BYTES), X64.dec64(r14)).jcc(CC.ne, 'loop');
  a.label('end').emit(X64.spin);
  // every vector: r8 = the vector, r9 = the word on top of the stack (the error code of #GP and #PF), r10 = CR2
  a.label('common').emit(X64.load64(r9, rsp, 0), X64.fromCr(r10, 2)).jmp('after');
  return finishProgram(a, PAGES, r8);
}

/** One access to make: a target, the access kind, the CPL, and the mode bits (with CR4.PKE, PKRU). */
interface Probe extends X86Probe {
  readonly pke: boolean;
  readonly pkru: number;
}

function probeName(p: Probe): string {
  return x86ProbeName(p, ['wp', 'smep', 'smap', 'ac', 'nxe', 'pke'], p.pke ? ` pkru=${hex(BigInt(p.pkru))}` : '');
}

/** What a store probe writes: bit 63 and its index + 1 above INT 0x80 (so that fetches there still come back). */
function marker(i: number): bigint {
  return (1n << 63n) | (BigInt(i + 1) << 16n) | 0x80cdn;
}

/** The index + 1 a marker holds (0: the word is no marker). */
function markerIndex(word: bigint): number {
  return word >> 63n === 1n ? Number((word >> 16n) & 0xffff_ffffn) : 0;
}

/** Every probe (6 per target and mode set: access x CPL), two random mode sets per target, in a seeded order. */
function makeProbes(targets: readonly ProbeTarget[], seed: number): Probe[] {
  return makeX86Probes(targets, new Rng(seed ^ 0x86), (rng) => {
    const b = (): boolean => rng.ratio(1, 2);
    const modes = { wp: b(), smep: b(), smap: b(), ac: b(), nxe: rng.ratio(3, 4), pke: b() };
    // PKRU: each key's AD and WD set with probability 1/4
    let pkru = 0;
    for (let k = 0; k < 32; k++) if (rng.ratio(1, 4)) pkru |= 1 << k;
    return { ...modes, pkru: pkru >>> 0 };
  });
}

function writeProbes(memory: PhysicalMemory, order: readonly Probe[], la57: boolean): void {
  assertProbesFit(order.length, { start: AREA.list, end: AREA.results, stride: PROBE_BYTES }, { start: AREA.results, end: AREA.base + BigInt(AREA.bytes), stride: RESULT_BYTES });
  order.forEach((p, i) => {
    const at = AREA.list + BigInt(i * PROBE_BYTES);
    const regs = probeControlRegisters(p, CR4_PAE | (la57 ? CR4_LA57 : 0n), EFER_LME);
    memory.writeU64(at, p.target.va);
    memory.writeU64(at + 8n, regs.cr0);
    memory.writeU64(at + 16n, regs.cr4);
    memory.writeU64(at + 24n, regs.efer);
    memory.writeU64(at + 32n, BigInt(p.pkru));
    memory.writeU64(at + 40n, BigInt(kindWord(p)));
    memory.writeU64(at + 48n, p.target.entry ?? ZERO);
    memory.writeU64(at + 56n, marker(i));
  });
}

/**
 * The program's own mappings (supervisor, executable, with A and D set so that no access changes them): the run's
 * memory at its own address in 2 MiB pages, the GDT page at linear 0, the user page at 0x1000 (user, read-only).
 */
function mapProgram(table: PageTable64, memory: PhysicalMemory): void {
  const cursor = table.cursor();
  for (let pa = MEM_BASE; pa < MEM_BASE + BigInt(MEM_SIZE); pa += 0x20_0000n) cursor.map(pa, pa, PageSize.Size2M, 7);
  cursor.map(0n, BigInt(PAGES.gdt), PageSize.Size4K, 7);
  cursor.map(BigInt(USER_VA), BigInt(PAGES.user), PageSize.Size4K, 1 | 4 | 8);
  cursor.flush();
  const levels = table.meta.levels;
  const vas = [0n, BigInt(USER_VA)];
  for (let va = MEM_BASE; va < MEM_BASE + BigInt(MEM_SIZE); va += 0x20_0000n) vas.push(va);
  for (const va of vas) {
    for (let level = 0; level < levels; level++) {
      const at = x86EntryAddress(memory, table.rootPaddr, levels, va, level);
      const e = memory.readU64(at);
      memory.writeU64(at, e | 0x60n); // A | D (D only matters in the leaf)
      if ((e & 0x80n) !== 0n && level > 0) break;
    }
  }
}

/** What a run compared, and the model's outcomes (so that a test can see that every case occurred). */
export interface X86MmuResult extends RunResult {
  readonly probes: number;
  /** How many accesses the model translated ("ok load", ...) or faulted, by fault kind and error-code bits. */
  readonly outcomes: ReadonlyMap<string, number>;
  /** Accesses after which the model's leaf entry had changed (A / D set). */
  readonly adUpdates: number;
}

/** Builds a random table, runs every probe in QEMU and through X86Mmu, and compares. */
export async function checkX86Mmu(options: X86MmuOptions): Promise<X86MmuResult> {
  const maxPhysAddr = options.maxPhysAddr ?? 40;
  const cr4 = CR4_PAE | (options.la57 ? CR4_LA57 : 0n);
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(AREA.base, AREA.bytes);
  memory.reserve(DATA, DATA_BYTES);
  fillData(memory, DATA, DATA_BYTES, (pa) => (pa << 16n) | 0x80cdn);
  const table: PageTable64 = options.la57 ? new X64PageTable5(memory) : new X64PageTable(memory);
  mapProgram(table, memory);
  const layout = buildX86MmuTables(table, memory, {
    seed: options.seed,
    leaves: options.leaves ?? 150,
    vaBits: options.la57 ? 57 : 48,
    maxPhysAddr,
    data: DATA,
    dataBytes: DATA_BYTES,
  });
  const order = makeProbes(layout.targets, options.seed);
  writeProbes(memory, order, options.la57);
  const prog = x86MmuProgram();
  memory.writeBytes(AREA.base, prog.bytes);
  memory.writeBytes(BigInt(PAGES.user), userPage(LONG_MODE));
  writeDescriptorTables(memory, PAGES, true);

  const { ours, image } = modelCopy(memory);
  const tampered = options.tamper === true ? tamperReadOnly4K(image, layout.targets, (pa) => ours.readU64(pa)) : null;

  const checker = new Checker();
  const compare = new ProbeComparison(checker);
  let adUpdates = 0;
  const log = await withQemu(options.binary, MACHINE, MEM_BASE, image, async ({ gdb }) => {
    // long mode with paging, then the 64-bit code segment (its descriptor read from the GDT at linear 0)
    const view = await runX86Guest(
      gdb,
      {
        cr4,
        efer: EFER_LME | EFER_NXE,
        cr3: table.rootPaddr,
        longMode: true,
        regs: [
          ['cs', 0x08n],
          ['ss', 0x10n],
          ['r12', AREA.list],
          ['r13', AREA.results],
          ['r14', BigInt(order.length)],
          ['r15', BigInt(PAGES.stackTop)],
          ['rip', BigInt(prog.start)],
        ],
        end: prog.end,
        left: () => gdb.readRegister('r14'),
        results: AREA.results,
        resultBytes: RESULT_BYTES,
      },
      order.length,
    );
    const accessed1g = affects(options.binary, DEFECTS.x86Accessed1gOnFault);
    const mmu = new X86Mmu(ours, { cr3: table.rootPaddr, cr4, maxPhysAddr });
    order.forEach((p, i) => {
      const at = (k: number): bigint => view.getBigUint64(RESULT_BYTES * i + 8 * k, true);
      Object.assign(mmu, { wp: p.wp, smep: p.smep, smap: p.smap, ac: p.ac, nxe: p.nxe, pke: p.pke, pkru: p.pkru });
      const va = p.target.va;
      const before = p.target.entry === null ? 0n : ours.readU64(p.target.entry);
      const r = mmu.translateWords(Number(va & 0xffff_ffffn), Number(va >> 32n), p.access, p.privilege);
      const kind = r === 0 ? `ok ${ACCESS_NAMES[p.access]}` : `#${mmu.vector === 14 ? 'PF' : 'GP'} ${hex(BigInt(mmu.errorCode & 0x29))}`;
      if (p.target.entry !== null && ours.readU64(p.target.entry) !== before) adUpdates++;
      let value = 0n;
      if (r === 0) {
        const pa = (BigInt(mmu.paHi) << 32n) | BigInt(mmu.paLo);
        if (p.access === Access.WRITE) ours.writeU64(pa, marker(i));
        else if (p.access === Access.READ) value = ours.readU64(pa);
      }
      const theirs = theirOutcomeOf(checker, options.binary, p, r, at(0), at(1), at(2), at(3));
      if (accessed1g && r < 0 && r !== MmuCode.NotPresent && mmu.level === table.meta.levels - 3) accessed1gLeaf(checker, ours, table, va, mmu.level, p.nxe, maxPhysAddr);
      const mine = show(p.access, r === 0, mmu.vector, mmu.errorCode, va, value);
      compare.probe(va, probeName(p), kind, mine, theirs);
      checker.check(va, `${probeName(p)}: entry after`, hex(ours.readU64(p.target.entry ?? ZERO)), hex(at(4)));
    });
    const vaOfWord = markerWriterVa(order, markerIndex);
    await compareAtTheEnd(gdb, checker, { entries: layout.entries, ours, data: DATA, dataBytes: DATA_BYTES, vaOfWord });
  });
  checker.addresses = layout.targets.length;
  countTargetSizes(checker, layout.targets);
  return { checker, samples: [], tampered, log, code: [], probes: order.length, outcomes: compare.outcomes, adUpdates };
}

/**
 * QEMU sets A in a 1 GiB leaf before checking it (DEFECTS.x86Accessed1gOnFault): does the same to the model's
 * memory after a faulting access whose walk ended at the PDPTE of `va` (`level`), and counts it.
 */
function accessed1gLeaf(checker: Checker, ours: PhysicalMemory, table: PageTable64, va: bigint, level: number, nxe: boolean, maxPhysAddr: number): void {
  const pdpte = x86EntryAddress(ours, table.rootPaddr, table.meta.levels, va, level);
  const e = ours.readU64(pdpte);
  // (after the checks QEMU makes before it: P, and address bits 51:M and XD without NXE)
  const early = (e & (0x000f_ffff_ffff_f000n & ~((1n << BigInt(maxPhysAddr)) - 1n))) !== 0n || (!nxe && e >> 63n !== 0n);
  if ((e & 0x80n) !== 0n && (e & 0x20n) === 0n && !early) {
    ours.writeU64(pdpte, e | 0x20n);
    checker.skip(DEFECTS.x86Accessed1gOnFault.text, true);
  }
}
