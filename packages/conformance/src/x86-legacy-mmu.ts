// x86 32-bit and PAE paging: QEMU's MMU against the library's MMU model (X86LegacyMmu), access by access.
// The 32-bit sibling of src/x86-mmu.ts: a guest program in 32-bit protected mode (IA32_EFER.LME = 0) works through
// a list of probes, each a linear address, an access kind (load, store, fetch), a CPL (0 or 3) and the mode bits
// CR0.WP, CR4.PSE (32-bit paging), CR4.SMEP / SMAP, EFLAGS.AC and IA32_EFER.NXE. It loads them (MOV CR0, MOV CR4,
// WRMSR, STAC / CLAC), reloads CR3 (which empties QEMU's TLB, and loads the PDPTEs of PAE paging), then makes the
// access: at CPL 0 directly (a fetch is a JMP to the address), at CPL 3 through IRETD to a user page that makes it and
// returns with INT 0x80 (a fetch is an IRETD to the address). Every 8-byte slot of the data region that leaves point
// into starts with NOP; INT 0x80 (90 CD 80), so a fetch that gets through comes straight back, and reads as an entry
// with P = 0 in both formats (so that a leaf read as a page table by a mode without PSE leads nowhere). The IDT
// sends every vector to a stub that records the vector, the error code and CR2. A probe's result is that (or
// nothing, for a CPL-0 load or store that went through), the value a load read and its leaf entry read back (A / D).
// The same probes go through X86LegacyMmu over a copy of the memory, and every outcome, every entry read back, every
// rewritten entry, the PDPTEs and every data word at the end must be the same.
// The program's own pages (code, IDT, TSS, GDT at linear 0, the user page at 0x1000, the tables: an identity map of
// the run's memory in 4 KiB supervisor pages, which CR4.PSE does not change) sit below 1 GiB, which no probe
// touches. The data region is the first 64 KiB of a 4 MiB-aligned block that holds nothing else.
// QEMU's walker: target/i386/tcg/sysemu/excp_helper.c mmu_translate (7.2 and 10.0), the PAE and 32-bit branches.
import { Access, hex, PageSize, type PageTable64, PhysicalMemory } from '@page-table-multiarch/core';
import { X86LegacyMmu, X86PageTable32, X86PaePageTable } from '@page-table-multiarch/x86_64';
import { Checker, type RunResult } from './_check';
import { affects, DEFECTS } from './_defects';
import { Rng } from './_layout';
import {
  ACCESS_NAMES,
  assertProbesFit,
  compareDataAtTheEnd,
  compareEntriesAtTheEnd,
  countTargetSizes,
  type EndOfRun,
  fillData,
  modelCopy,
  ProbeComparison,
  qemuValue,
  withQemu,
} from './_mmu-check';
import type { ProbeTarget } from './_mmu-layout';
import { CC, X64, X64Assembler } from './_x64';
import { E, X86_32 } from './_x86-32';
import { buildX86LegacyMmuTables, legacyEntryAddress, readEntry, writeEntry } from './_x86-legacy-mmu-layout';
import {
  CR4_PAE, CR4_PSE, EFER_NXE, emitProbeDispatch, finishProgram, kindWord, MACHINE, makeX86Probes, MEM_BASE,
  probeControlRegisters, runX86Guest, SEL_TSS, SEL_USER_DATA, show, tamperReadOnly4K, theirOutcomeOf, USER_VA,
  userPage, writeDescriptorTables, x86GuestPages, type X86ModeInsns, type X86Probe, x86ProbeName
} from './_x86-mmu-guest';

const MEM_SIZE = 16 << 20;
/** The data region: 64 KiB at the start of a 4 MiB block (24 MiB) kept free of everything else. */
const DATA = 0x180_0000n;
const DATA_BYTES = 0x1_0000;
const DATA_BLOCK = 4 << 20;
const PROBE_BYTES = 32; // va, cr0, cr4, efer, kind, entry address, value to store, (pad): u32 each
const RESULT_BYTES = 24; // vector, error code, cr2, value loaded, entry after (low, high): u32 each
const PAGES = x86GuestPages(MEM_SIZE, RESULT_BYTES);
const AREA = PAGES.area;
const STACK_TOP = PAGES.stackTop;
const VAR_PROBE = PAGES.vars; // the current probe's address
const VAR_RESULT = PAGES.vars + 4; // the current result's address
const VAR_LEFT = PAGES.vars + 8; // probes left
const ZERO = PAGES.zero;
/** The first bytes of every 8-byte data slot: NOP; INT 0x80 (and P = 0 read as an entry). */
const SLOT = 0x0080_cd90n;

/** Options of one run. */
export interface X86LegacyMmuCheckOptions {
  readonly binary: string;
  readonly seed: number;
  /** PAE paging (CR4.PAE = 1); 32-bit paging when false. */
  readonly pae: boolean;
  /** Leaves in the random table (default 150). */
  readonly leaves?: number;
  /** The CPU's MAXPHYADDR (QEMU's TCG CPUs: 40). */
  readonly maxPhysAddr?: number;
  /** Negative control: R/W is set in one read-only 4K leaf of QEMU's image (not in the model's). */
  readonly tamper?: boolean;
}

/** 32-bit code: the load, store, stack push and IRETD of the probe dispatch. */
const PROTECTED_MODE: X86ModeInsns = { load: X86_32.loadEaxEdi, store: X86_32.storeEdiEsi, pushStack: X64.pushImm32(STACK_TOP), pushFlags: X86_32.pushfd, iret: X86_32.iretd };

/** The probe program, 32-bit code: its bytes from the area's base, and the addresses where it starts and ends. */
export function x86LegacyMmuProgram(): { bytes: Uint8Array; start: number; end: number } {
  const a = new X64Assembler(PAGES.base);
  const { eax, ecx, edx, ebx, esp, ebp, esi, edi } = E;
  a.label('start').emit(X86_32.lidtAbs(PAGES.idtr), X64.ltr(SEL_TSS));
  a.label('loop').emit(X64.movImm32(esp, STACK_TOP), X86_32.loadAbs(ebp, VAR_PROBE), X86_32.loadAbs(ebx, VAR_RESULT));
  a.emit(X64.load32(eax, ebp, 4), X64.toCr(0, eax), X64.load32(eax, ebp, 8), X64.toCr(4, eax));
  a.emit(X64.movImm32(ecx, 0xc000_0080), X64.load32(eax, ebp, 12), X64.zero(edx), X64.wrmsr); // IA32_EFER
  a.emit(X64.fromCr(eax, 3), X64.toCr(3, eax), X64.zero(eax));
  a.emit(X86_32.store(ebx, 0, eax), X86_32.store(ebx, 4, eax), X86_32.store(ebx, 8, eax));
  a.emit(X64.load32(edi, ebp, 0), X64.load32(esi, ebp, 24), X64.load32(edx, ebp, 16));
  // (DS and ES hold the user data segment throughout)
  emitProbeDispatch(a, PROTECTED_MODE);
  // eax: the value a load read (0 otherwise); the entry read back as two words (the second is the next entry in 32-bit paging)
  a.label('after').emit(X86_32.loadAbs(ebx, VAR_RESULT), X86_32.loadAbs(ebp, VAR_PROBE), X86_32.store(ebx, 12, eax));
  a.emit(X64.load32(edx, ebp, 20), X64.load32(eax, edx, 0), X86_32.store(ebx, 16, eax), X64.load32(eax, edx, 4), X86_32.store(ebx, 20, eax));
  a.emit(X86_32.addAbs(VAR_PROBE, PROBE_BYTES), X86_32.addAbs(VAR_RESULT, RESULT_BYTES), X86_32.decAbs(VAR_LEFT)).jcc(CC.ne, 'loop');
  a.label('end').emit(X64.spin);
  // every vector (ecx): the word on top of the stack (the error code of #PF) and CR2 into the result; eax is kept
  a.label('common').emit(X86_32.loadAbs(ebx, VAR_RESULT), X86_32.store(ebx, 0, ecx), X64.load32(edx, esp, 0), X86_32.store(ebx, 4, edx));
  a.emit(X64.fromCr(edx, 2), X86_32.store(ebx, 8, edx)).jmp('after');
  return finishProgram(a, PAGES, ecx);
}

/** One access to make: a target, the access kind, the CPL, and the mode bits (with CR4.PSE). */
interface Probe extends X86Probe {
  readonly pse: boolean;
}

function probeName(p: Probe): string {
  return x86ProbeName(p, ['wp', 'pse', 'smep', 'smap', 'ac', 'nxe']);
}

/** What a store probe writes: the slot's first three bytes kept, its index in the fourth (bit 7 set). */
function marker(i: number): number {
  return (0x8000_0000 | ((i & 0x7f) << 24) | Number(SLOT)) >>> 0;
}

/** Every probe (6 per target and mode set: access x CPL), two random mode sets per target, in a seeded order. */
function makeProbes(targets: readonly ProbeTarget[], seed: number): Probe[] {
  return makeX86Probes(targets, new Rng(seed ^ 0x32), (rng) => {
    const b = (): boolean => rng.ratio(1, 2);
    return { wp: b(), pse: rng.ratio(3, 4), smep: b(), smap: b(), ac: b(), nxe: rng.ratio(3, 4) };
  });
}

function controlRegisters(p: Probe, pae: boolean, cr3: bigint) {
  return { ...probeControlRegisters(p, pae ? CR4_PAE : p.pse ? CR4_PSE : 0n, 0n), cr3 };
}

function writeProbes(memory: PhysicalMemory, order: readonly Probe[], pae: boolean, cr3: bigint): void {
  assertProbesFit(order.length, { start: AREA.list, end: AREA.results, stride: PROBE_BYTES }, { start: AREA.results, end: AREA.base + BigInt(AREA.bytes), stride: RESULT_BYTES });
  order.forEach((p, i) => {
    const at = AREA.list + BigInt(i * PROBE_BYTES);
    const regs = controlRegisters(p, pae, cr3);
    const words = [Number(p.target.va), Number(regs.cr0), Number(regs.cr4), Number(regs.efer), kindWord(p), Number(p.target.entry ?? ZERO), marker(i), 0];
    words.forEach((w, k) => {
      memory.writeU32(at + BigInt(4 * k), w);
    });
  });
  memory.writeU32(BigInt(VAR_PROBE), Number(AREA.list));
  memory.writeU32(BigInt(VAR_RESULT), Number(AREA.results));
  memory.writeU32(BigInt(VAR_LEFT), order.length);
}

/** The program's own mappings (supervisor, with A and D set): the run's memory in 4K pages, the GDT page at 0, the user page. */
function mapProgram(table: PageTable64, memory: PhysicalMemory, pae: boolean): void {
  const cursor = table.cursor();
  const vas: bigint[] = [0n, BigInt(USER_VA)];
  for (let pa = MEM_BASE; pa < MEM_BASE + BigInt(MEM_SIZE); pa += 0x1000n) {
    if (pa >= DATA && pa < DATA + BigInt(DATA_BLOCK)) continue;
    cursor.map(pa, pa, PageSize.Size4K, 7);
    vas.push(pa);
  }
  cursor.map(0n, BigInt(PAGES.gdt), PageSize.Size4K, 7);
  cursor.map(BigInt(USER_VA), BigInt(PAGES.user), PageSize.Size4K, 1 | 4 | 8);
  cursor.flush();
  for (const va of vas) {
    // A in the PDE, A | D in the PTE (the PDPTE has neither)
    for (let level = pae ? 1 : 0; level <= (pae ? 2 : 1); level++) {
      const at = legacyEntryAddress(memory, table.rootPaddr, pae, va, level);
      writeEntry(memory, pae, at, readEntry(memory, pae, at) | 0x60n);
    }
  }
}

/** What a run compared, and the model's outcomes (so that a test can see that every case occurred). */
export interface X86LegacyMmuResult extends RunResult {
  readonly probes: number;
  /** How many accesses the model translated ("ok load", ...) or faulted, by error-code bits P and RSVD. */
  readonly outcomes: ReadonlyMap<string, number>;
  /** Accesses after which the model's leaf entry had changed (A / D set). */
  readonly adUpdates: number;
}

/** The program, the user page, the GDT, the IDT, the TSS and IDTR, in the image. */
function writeGuest(memory: PhysicalMemory): ReturnType<typeof x86LegacyMmuProgram> {
  const prog = x86LegacyMmuProgram();
  memory.writeBytes(AREA.base, prog.bytes);
  memory.writeBytes(BigInt(PAGES.user), userPage(PROTECTED_MODE));
  writeDescriptorTables(memory, PAGES, false);
  return prog;
}

/** Builds a random 32-bit or PAE table, runs every probe in QEMU and through X86LegacyMmu, and compares. */
export async function checkX86LegacyMmu(options: X86LegacyMmuCheckOptions): Promise<X86LegacyMmuResult> {
  const pae = options.pae;
  const maxPhysAddr = options.maxPhysAddr ?? 40;
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(AREA.base, AREA.bytes);
  memory.reserve(DATA, DATA_BLOCK);
  fillData(memory, DATA, DATA_BYTES, (pa) => SLOT | (pa << 32n));
  const table: PageTable64 = pae ? new X86PaePageTable(memory) : new X86PageTable32(memory);
  mapProgram(table, memory, pae);
  const layout = buildX86LegacyMmuTables(table, memory, { seed: options.seed, leaves: options.leaves ?? 150, pae, maxPhysAddr, data: DATA, dataBytes: DATA_BYTES });
  const order = makeProbes(layout.targets, options.seed);
  const cr3 = table.rootPaddr;
  writeProbes(memory, order, pae, cr3);
  const prog = writeGuest(memory);

  const { ours, image } = modelCopy(memory);
  const tampered = options.tamper === true ? tamperReadOnly4K(image, layout.targets, (pa) => readEntry(ours, pae, pa)) : null;

  const checker = new Checker();
  const compare = new ProbeComparison(checker);
  let adUpdates = 0;
  const log = await withQemu(options.binary, MACHINE, MEM_BASE, image, async ({ gdb }) => {
    // protected mode with paging (never long mode), then the segments (their descriptors read from the GDT at 0)
    const view = await runX86Guest(
      gdb,
      {
        cr4: pae ? CR4_PAE : CR4_PSE,
        efer: EFER_NXE,
        cr3,
        longMode: false,
        regs: [
          ['cs', 0x08n],
          ['ss', 0x10n],
          ['ds', BigInt(SEL_USER_DATA)],
          ['es', BigInt(SEL_USER_DATA)],
          ['rip', BigInt(prog.start)],
        ],
        end: prog.end,
        left: async () => BigInt(new DataView((await gdb.readMemory(BigInt(VAR_LEFT), 4)).buffer).getUint32(0, true)),
        results: AREA.results,
        resultBytes: RESULT_BYTES,
      },
      order.length,
    );
    const mmu = new X86LegacyMmu(ours, { ...controlRegisters(order[0]!, pae, cr3), maxPhysAddr });
    order.forEach((p, i) => {
      const at = (k: number): bigint => BigInt(view.getUint32(RESULT_BYTES * i + 4 * k, true));
      const va = p.target.va;
      const entry = p.target.entry;
      const before = entry === null ? 0n : readEntry(ours, pae, entry);
      mmu.setRegisters(controlRegisters(p, pae, cr3)); // as the guest's MOV to CR3: the PDPTEs loaded again
      mmu.ac = p.ac;
      const r = mmu.translateWords(Number(va), 0, p.access, p.privilege);
      const kind = r === 0 ? `ok ${ACCESS_NAMES[p.access]}` : `#PF ${hex(BigInt(mmu.errorCode & 0x9))}`;
      if (entry !== null && readEntry(ours, pae, entry) !== before) adUpdates++;
      let value = 0n;
      if (r === 0) {
        const pa = (BigInt(mmu.paHi) << 32n) | BigInt(mmu.paLo);
        if (p.access === Access.WRITE) ours.writeU32(pa, marker(i));
        else if (p.access === Access.READ) value = BigInt(ours.readU32(pa));
      }
      const theirs = theirOutcomeOf(checker, options.binary, p, r, at(0), at(1), at(2), at(3));
      const mine = show(p.access, r === 0, mmu.vector, mmu.errorCode, va, value);
      compare.probe(va, probeName(p), kind, mine, theirs);
      const entryAfter = pae ? at(4) | (at(5) << 32n) : at(4);
      checker.check(va, `${probeName(p)}: entry after`, hex(entry === null ? 0n : readEntry(ours, pae, entry)), hex(entryAfter));
    });
    // the data words by the address that reaches them (so that a store seen on one side only names its page)
    const reachedFrom = new Map<bigint, bigint>();
    for (const t of layout.targets) {
      if (t.entry === null || t.size === 0) continue;
      const frame = readEntry(ours, pae, t.entry) & (pae ? 0x000f_ffff_ffff_f000n : 0xffff_f000n) & ~BigInt(t.size - 1);
      reachedFrom.set((frame | (t.va & BigInt(t.size - 1))) & ~7n, t.va);
    }
    const end: EndOfRun = {
      entries: layout.entries,
      entryBytes: pae ? 8 : 4,
      ours,
      data: DATA,
      dataBytes: DATA_BYTES,
      vaOfWord: (_want, _got, pa) => reachedFrom.get(pa),
    };
    await compareEntriesAtTheEnd(gdb, checker, end);
    if (pae) await comparePdptes(gdb, checker, ours, cr3, affects(options.binary, DEFECTS.x86PaePdpteAccessed));
    await compareDataAtTheEnd(gdb, checker, end);
  });
  checker.addresses = layout.targets.length;
  countTargetSizes(checker, layout.targets);
  return { checker, samples: [], tampered, log, code: [], probes: order.length, outcomes: compare.outcomes, adUpdates };
}

/** The four PDPTEs of PAE paging (at CR3), in QEMU's memory and the model's after the run. */
async function comparePdptes(gdb: Parameters<typeof qemuValue>[0], checker: Checker, ours: PhysicalMemory, cr3: bigint, pdpteAccessed: boolean): Promise<void> {
  for (let i = 0; i < 4; i++) {
    const pa = cr3 + 8n * BigInt(i);
    let theirs = await qemuValue(gdb, pa, 8);
    const mine = ours.readU64(pa);
    if (pdpteAccessed && (theirs & 0x20n) !== (mine & 0x20n)) {
      // QEMU sets A (bit 5, reserved in a PDPTE) on its walks: compare the rest, and count it
      checker.skip(DEFECTS.x86PaePdpteAccessed.text, true);
      theirs &= ~0x20n;
    }
    checker.check(BigInt(i) << 30n, `PDPTE ${i} at the end`, hex(mine), hex(theirs));
  }
}
