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
import { Access, hex, MmuCode, PageSize, type PageTable64, PhysicalMemory, Privilege } from '@page-table-multiarch/core';
import { X86LegacyMmu, X86PageTable32, X86PaePageTable } from '@page-table-multiarch/x86_64';
import { Checker, type RunResult } from './_check';
import { affects, DEFECTS } from './_defects';
import { guestArea } from './_driver';
import { Rng } from './_layout';
import { startQemu } from './_qemu';
import { CC, X64, X64Assembler } from './_x64';
import { E, X86_32 } from './_x86-32';
import { buildX86LegacyMmuTables, legacyEntryAddress, readEntry, type X86LegacyTarget, writeEntry } from './_x86-legacy-mmu-layout';
import { ACCESS_NAMES, show, theirOutcome } from './x86-mmu';

// Control-register bits (Intel SDM Vol. 3A 2.5, Figure 2-7; 2.2.1).
const CR0_BASE = 0x8000_0011n; // PG, ET, PE
const CR0_WP = 0x1_0000n;
const CR4_PSE = 0x10n;
const CR4_PAE = 0x20n;
const CR4_SMEP = 0x10_0000n;
const CR4_SMAP = 0x20_0000n;
const EFER_LMA = 0x400n;
const EFER_NXE = 0x800n;

const MEM_BASE = 0x100_0000n; // 16 MiB, clear of the PC's legacy hole at 0xa0000-0xfffff
const MEM_SIZE = 16 << 20;
/** The data region: 64 KiB at the start of a 4 MiB block (24 MiB) kept free of everything else. */
const DATA = 0x180_0000n;
const DATA_BYTES = 0x1_0000;
const DATA_BLOCK = 4 << 20;
const PROBE_BYTES = 32; // va, cr0, cr4, efer, kind, entry address, value to store, (pad): u32 each
const RESULT_BYTES = 24; // vector, error code, cr2, value loaded, entry after (low, high): u32 each
const AREA = guestArea(MEM_BASE, MEM_SIZE, 1 << 20, RESULT_BYTES);
const BASE = Number(AREA.base);
const STUBS = BASE + 0x1000; // 256 interrupt stubs of 16 bytes
const IDT = BASE + 0x8000;
const TSS = BASE + 0x9000;
const IDTR = BASE + 0x9100;
const VAR_PROBE = BASE + 0x9200; // the current probe's address
const VAR_RESULT = BASE + 0x9204; // the current result's address
const VAR_LEFT = BASE + 0x9208; // probes left
const GDT = BASE + 0xa000; // at linear 0 too
const USER = BASE + 0xb000; // at linear 0x1000 too
const STACK_TOP = BASE + 0xd000;
/** A zero u64: the "entry" read back for probes that have none. */
const ZERO = BigInt(BASE + 0xd000);
const USER_VA = 0x1000;
// GDT selectors: kernel code 0x08, kernel data 0x10, user data 0x18, user code 0x20, TSS 0x28 (Vol. 3A 3.4.5, 7.2.2)
const SEL_USER_DATA = 0x18 | 3;
const SEL_USER_CODE = 0x20 | 3;
const SEL_TSS = 0x28;
/** The kind word of a probe: bits 7:0 the access kind, bit 8 CPL 3, bit 16 EFLAGS.AC. */
const KIND_CPL3 = 0x100;
const KIND_AC = 0x1_0000;
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

/** The probe program, 32-bit code: its bytes from the area's base, and the addresses where it starts and ends. */
export function x86LegacyMmuProgram(): { bytes: Uint8Array; start: number; end: number } {
  const a = new X64Assembler(BASE);
  const { eax, ecx, edx, ebx, esp, ebp, esi, edi } = E;
  a.label('start').emit(X86_32.lidtAbs(IDTR), X64.ltr(SEL_TSS));
  a.label('loop').emit(X64.movImm32(esp, STACK_TOP), X86_32.loadAbs(ebp, VAR_PROBE), X86_32.loadAbs(ebx, VAR_RESULT));
  a.emit(X64.load32(eax, ebp, 4), X64.toCr(0, eax), X64.load32(eax, ebp, 8), X64.toCr(4, eax));
  a.emit(X64.movImm32(ecx, 0xc000_0080), X64.load32(eax, ebp, 12), X64.zero(edx), X64.wrmsr); // IA32_EFER
  a.emit(X64.fromCr(eax, 3), X64.toCr(3, eax), X64.zero(eax));
  a.emit(X86_32.store(ebx, 0, eax), X86_32.store(ebx, 4, eax), X86_32.store(ebx, 8, eax));
  a.emit(X64.load32(edi, ebp, 0), X64.load32(esi, ebp, 24), X64.load32(edx, ebp, 16));
  a.emit(X64.testReg32(edx, KIND_AC)).jcc(CC.e, 'clac').emit(X64.stac).jmp('cpl');
  a.label('clac').emit(X64.clac);
  a.label('cpl').emit(X64.testReg32(edx, KIND_CPL3)).jcc(CC.ne, 'user');
  a.emit(X64.cmpReg8(edx, Access.WRITE)).jcc(CC.e, 'kstore').emit(X64.cmpReg8(edx, Access.EXECUTE)).jcc(CC.e, 'kfetch');
  a.emit(X86_32.loadEaxEdi).jmp('after');
  a.label('kstore').emit(X86_32.storeEdiEsi).jmp('after');
  a.label('kfetch').emit(X64.jmpReg(edi));
  // CPL 3: an IRETD frame (SS, ESP, EFLAGS with AC as set, CS, EIP); DS and ES hold the user data segment throughout
  a.label('user').emit(X64.pushImm8(SEL_USER_DATA), X64.pushImm32(STACK_TOP), X86_32.pushfd, X64.pushImm8(SEL_USER_CODE));
  a.emit(X64.cmpReg8(edx, Access.EXECUTE)).jcc(CC.e, 'ufetch').emit(X64.cmpReg8(edx, Access.WRITE)).jcc(CC.e, 'ustore');
  a.emit(X64.pushImm32(USER_VA), X86_32.iretd);
  a.label('ustore').emit(X64.pushImm32(USER_VA + 16), X86_32.iretd);
  a.label('ufetch').emit(X64.push(edi), X86_32.iretd);
  // eax: the value a load read (0 otherwise); the entry read back as two words (the second is the next entry in 32-bit paging)
  a.label('after').emit(X86_32.loadAbs(ebx, VAR_RESULT), X86_32.loadAbs(ebp, VAR_PROBE), X86_32.store(ebx, 12, eax));
  a.emit(X64.load32(edx, ebp, 20), X64.load32(eax, edx, 0), X86_32.store(ebx, 16, eax), X64.load32(eax, edx, 4), X86_32.store(ebx, 20, eax));
  a.emit(X86_32.addAbs(VAR_PROBE, PROBE_BYTES), X86_32.addAbs(VAR_RESULT, RESULT_BYTES), X86_32.decAbs(VAR_LEFT)).jcc(CC.ne, 'loop');
  a.label('end').emit(X64.spin);
  // every vector (ecx): the word on top of the stack (the error code of #PF) and CR2 into the result; eax is kept
  a.label('common').emit(X86_32.loadAbs(ebx, VAR_RESULT), X86_32.store(ebx, 0, ecx), X64.load32(edx, esp, 0), X86_32.store(ebx, 4, edx));
  a.emit(X64.fromCr(edx, 2), X86_32.store(ebx, 8, edx)).jmp('after');
  a.org(STUBS);
  for (let v = 0; v < 256; v++) a.org(STUBS + 16 * v).emit(X64.movImm32(ecx, v)).jmp('common');
  const bytes = a.finish();
  return { bytes, start: a.address('start'), end: a.address('end') };
}

/** The user page: a load (at offset 0) and a store (at 16), each followed by INT 0x80. */
function userPage(): Uint8Array {
  const page = new Uint8Array(4096);
  page.set([...X86_32.loadEaxEdi, ...X64.int(0x80)], 0);
  page.set([...X86_32.storeEdiEsi, ...X64.int(0x80)], 16);
  return page;
}

/** The GDT: flat 32-bit code and data segments of DPL 0 and 3, and the 32-bit TSS (Vol. 3A 3.4.5, 7.2.2). */
function gdt(): bigint[] {
  const tss = 0x67n | ((BigInt(TSS) & 0xff_ffffn) << 16n) | (0x89n << 40n) | ((BigInt(TSS) >> 24n) << 56n);
  return [0n, 0x00cf_9a00_0000_ffffn, 0x00cf_9200_0000_ffffn, 0x00cf_f200_0000_ffffn, 0x00cf_fa00_0000_ffffn, tss];
}

/** One access to make: a target, the access kind, the CPL, and the mode bits. */
interface Probe {
  readonly target: X86LegacyTarget;
  readonly access: 0 | 1 | 2;
  readonly privilege: 0 | 1;
  readonly wp: boolean;
  readonly pse: boolean;
  readonly smep: boolean;
  readonly smap: boolean;
  readonly ac: boolean;
  readonly nxe: boolean;
}

function probeName(p: Probe): string {
  const on = (['wp', 'pse', 'smep', 'smap', 'ac', 'nxe'] as const).filter((k) => p[k]).join(' ');
  return `${ACCESS_NAMES[p.access]} CPL${p.privilege === Privilege.USER ? 3 : 0} [${on}] (${p.target.kind})`;
}

/** What a store probe writes: the slot's first three bytes kept, its index in the fourth (bit 7 set). */
function marker(i: number): number {
  return (0x8000_0000 | ((i & 0x7f) << 24) | Number(SLOT)) >>> 0;
}

/** Every probe (6 per target and mode set: access x CPL), two random mode sets per target, in a seeded order. */
function makeProbes(targets: readonly X86LegacyTarget[], seed: number): Probe[] {
  const rng = new Rng(seed ^ 0x32);
  const probes: Probe[] = [];
  for (const target of targets) {
    for (let set = 0; set < 2; set++) {
      const b = (): boolean => rng.ratio(1, 2);
      const modes = { wp: b(), pse: rng.ratio(3, 4), smep: b(), smap: b(), ac: b(), nxe: rng.ratio(3, 4) };
      for (const access of [0, 1, 2] as const) for (const privilege of [0, 1] as const) probes.push({ target, access, privilege, ...modes });
    }
  }
  return rng.shuffle(probes);
}

function controlRegisters(p: Probe, pae: boolean, cr3: bigint) {
  const cr4 = (pae ? CR4_PAE : p.pse ? CR4_PSE : 0n) | (p.smep ? CR4_SMEP : 0n) | (p.smap ? CR4_SMAP : 0n);
  return { cr0: CR0_BASE | (p.wp ? CR0_WP : 0n), cr3, cr4, efer: p.nxe ? EFER_NXE : 0n };
}

function writeProbes(memory: PhysicalMemory, order: readonly Probe[], pae: boolean, cr3: bigint): void {
  if (order.length * PROBE_BYTES > Number(AREA.results - AREA.list) || order.length * RESULT_BYTES > AREA.bytes - Number(AREA.results - AREA.base)) {
    throw new Error(`${order.length} probes do not fit the guest area`);
  }
  order.forEach((p, i) => {
    const at = AREA.list + BigInt(i * PROBE_BYTES);
    const regs = controlRegisters(p, pae, cr3);
    const kind = p.access | (p.privilege === Privilege.USER ? KIND_CPL3 : 0) | (p.ac ? KIND_AC : 0);
    const words = [Number(p.target.va), Number(regs.cr0), Number(regs.cr4), Number(regs.efer), kind, Number(p.target.entry ?? ZERO), marker(i), 0];
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
  cursor.map(0n, BigInt(GDT), PageSize.Size4K, 7);
  cursor.map(BigInt(USER_VA), BigInt(USER), PageSize.Size4K, 1 | 4 | 8);
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

/** The program, the user page, the GDT, the IDT, the TSS and IDTR, in the image (Vol. 3A 3.4.5, 6.11, 7.2.1). */
function writeGuest(memory: PhysicalMemory): ReturnType<typeof x86LegacyMmuProgram> {
  const prog = x86LegacyMmuProgram();
  memory.writeBytes(AREA.base, prog.bytes);
  memory.writeBytes(BigInt(USER), userPage());
  gdt().forEach((d, i) => {
    memory.writeU64(BigInt(GDT + 8 * i), d);
  });
  for (let v = 0; v < 256; v++) {
    // a 32-bit interrupt gate, DPL 3 (INT 0x80 from CPL 3), to stub v through the kernel code segment (6.11)
    const stub = BigInt(STUBS + 16 * v);
    memory.writeU64(BigInt(IDT + 8 * v), (stub & 0xffffn) | (0x08n << 16n) | (0xeen << 40n) | ((stub >> 16n) << 48n));
  }
  memory.writeU32(BigInt(TSS + 4), STACK_TOP); // ESP0 and SS0 (7.2.1, Figure 7-2)
  memory.writeU32(BigInt(TSS + 8), 0x10);
  memory.writeU64(BigInt(IDTR), 0x7ffn | (BigInt(IDT) << 16n)); // limit, base
  return prog;
}

/** Builds a random 32-bit or PAE table, runs every probe in QEMU and through X86LegacyMmu, and compares. */
export async function checkX86LegacyMmu(options: X86LegacyMmuCheckOptions): Promise<X86LegacyMmuResult> {
  const pae = options.pae;
  const maxPhysAddr = options.maxPhysAddr ?? 40;
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(AREA.base, AREA.bytes);
  memory.reserve(DATA, DATA_BLOCK);
  for (let pa = DATA; pa < DATA + BigInt(DATA_BYTES); pa += 8n) memory.writeU64(pa, SLOT | (pa << 32n));
  const table: PageTable64 = pae ? new X86PaePageTable(memory) : new X86PageTable32(memory);
  mapProgram(table, memory, pae);
  const layout = buildX86LegacyMmuTables(table, memory, { seed: options.seed, leaves: options.leaves ?? 150, pae, maxPhysAddr, data: DATA, dataBytes: DATA_BYTES });
  const order = makeProbes(layout.targets, options.seed);
  const cr3 = table.rootPaddr;
  writeProbes(memory, order, pae, cr3);
  const prog = writeGuest(memory);

  const ours = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  ours.writeBytes(MEM_BASE, memory.bytes());
  const image = memory.bytes().slice();
  const tampered = options.tamper === true ? tamperOne(image, layout.targets, ours, pae) : null;
  const pdptes = pae ? [0n, 1n, 2n, 3n].map((i) => cr3 + 8n * i) : [];

  const checker = new Checker();
  const outcomes = new Map<string, number>();
  let adUpdates = 0;
  const qemu = await startQemu({
    binary: options.binary,
    machine: ['-M', 'q35', '-cpu', 'max', '-m', '64M', '-accel', 'tcg'],
    images: [{ addr: MEM_BASE, bytes: image }],
  });
  let log = '';
  try {
    const gdb = qemu.gdb;
    // protected mode with paging (never long mode), then the segments (their descriptors read from the GDT at 0)
    await gdb.writeRegister('cr4', pae ? CR4_PAE : CR4_PSE);
    await gdb.writeRegister('efer', EFER_NXE);
    await gdb.writeRegister('cr3', cr3);
    await gdb.writeRegister('cr0', CR0_BASE | CR0_WP);
    if (((await gdb.readRegister('efer')) & EFER_LMA) !== 0n) throw new Error('QEMU entered long mode');
    for (const [name, value] of [
      ['cs', 0x08n],
      ['ss', 0x10n],
      ['ds', BigInt(SEL_USER_DATA)],
      ['es', BigInt(SEL_USER_DATA)],
      ['rip', BigInt(prog.start)],
    ] as const) {
      await gdb.writeRegister(name, value);
    }
    await gdb.breakpoint(BigInt(prog.end), 1);
    await gdb.cont();
    await gdb.physicalMemoryMode();
    const rip = await gdb.readRegister('rip');
    if (rip !== BigInt(prog.end)) throw new Error(`the guest stopped at ${hex(rip)}, not at its end ${hex(BigInt(prog.end))}`);
    const left = new DataView((await gdb.readMemory(BigInt(VAR_LEFT), 4)).buffer).getUint32(0, true);
    if (left !== 0) throw new Error(`the guest stopped with ${left} probes left`);
    const results = await gdb.readMemory(AREA.results, order.length * RESULT_BYTES);
    const view = new DataView(results.buffer, results.byteOffset, results.byteLength);

    const rsvdWithoutP = affects(options.binary, DEFECTS.x86RsvdWithoutP);
    const mmu = new X86LegacyMmu(ours, { ...controlRegisters(order[0]!, pae, cr3), maxPhysAddr });
    order.forEach((p, i) => {
      const at = (k: number): bigint => BigInt(view.getUint32(RESULT_BYTES * i + 4 * k, true));
      const va = p.target.va;
      const entry = p.target.entry;
      const before = entry === null ? 0n : readEntry(ours, pae, entry);
      const translate = (): number => {
        mmu.setRegisters(controlRegisters(p, pae, cr3)); // as the guest's MOV to CR3: the PDPTEs loaded again
        mmu.ac = p.ac;
        return mmu.translateWords(Number(va), 0, p.access, p.privilege);
      };
      const r = translate();
      const kind = r === 0 ? `ok ${ACCESS_NAMES[p.access]}` : `#PF ${hex(BigInt(mmu.errorCode & 0x9))}`;
      outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
      if (entry !== null && readEntry(ours, pae, entry) !== before) adUpdates++;
      let value = 0n;
      if (r === 0) {
        const pa = (BigInt(mmu.paHi) << 32n) | BigInt(mmu.paLo);
        if (p.access === Access.WRITE) ours.writeU32(pa, marker(i));
        else if (p.access === Access.READ) value = BigInt(ours.readU32(pa));
      }
      let theirs = theirOutcome(p, at(0), at(1), at(2), at(3));
      if (rsvdWithoutP && r === MmuCode.ReservedBit) {
        // QEMU leaves P out of a reserved-bit fault: compare the rest of the error code
        const fixed = at(0) === 14n ? theirOutcome(p, at(0), at(1) | 1n, at(2), at(3)) : theirs;
        checker.skip(DEFECTS.x86RsvdWithoutP.text, fixed !== theirs);
        theirs = fixed;
      }
      const mine = show(p.access, r === 0, mmu.vector, mmu.errorCode, va, value);
      checker.probes++;
      checker.check(va, probeName(p), mine, theirs);
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
    await compareAtTheEnd(gdb, checker, layout.entries, ours, pae, pdptes, affects(options.binary, DEFECTS.x86PaePdpteAccessed), reachedFrom);
  } finally {
    log = qemu.stderr();
    await qemu.close();
  }
  checker.addresses = layout.targets.length;
  for (const t of layout.targets) if (t.size > 0) checker.pageSizes.set(t.size, (checker.pageSizes.get(t.size) ?? 0) + 1);
  return { checker, samples: [], tampered, log, code: [], probes: order.length, outcomes, adUpdates };
}

/** Every rewritten entry, the PDPTEs, and every word of the data region, in QEMU's memory and the model's after the run. */
async function compareAtTheEnd(
  gdb: Awaited<ReturnType<typeof startQemu>>['gdb'],
  checker: Checker,
  entries: readonly { readonly pa: bigint; readonly va: bigint }[],
  ours: PhysicalMemory,
  pae: boolean,
  pdptes: readonly bigint[],
  pdpteAccessed: boolean,
  reachedFrom: ReadonlyMap<bigint, bigint>,
): Promise<void> {
  const width = pae ? 8 : 4;
  const theirEntry = async (pa: bigint): Promise<bigint> => {
    const bytes = await gdb.readMemory(pa, width);
    const v = new DataView(bytes.buffer, bytes.byteOffset, width);
    return pae ? v.getBigUint64(0, true) : BigInt(v.getUint32(0, true));
  };
  for (const { pa, va } of entries) {
    checker.leaves++;
    checker.check(va, `entry at ${hex(pa)} at the end`, hex(readEntry(ours, pae, pa)), hex(await theirEntry(pa)));
  }
  for (const [i, pa] of pdptes.entries()) {
    let theirs = await theirEntry(pa);
    const mine = ours.readU64(pa);
    if (pdpteAccessed && (theirs & 0x20n) !== (mine & 0x20n)) {
      // QEMU sets A (bit 5, reserved in a PDPTE) on its walks: compare the rest, and count it
      checker.skip(DEFECTS.x86PaePdpteAccessed.text, true);
      theirs &= ~0x20n;
    }
    checker.check(BigInt(i) << 30n, `PDPTE ${i} at the end`, hex(mine), hex(theirs));
  }
  const data = await gdb.readMemory(DATA, DATA_BYTES);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let off = 0; off < DATA_BYTES; off += 8) {
    const pa = DATA + BigInt(off);
    checker.check(reachedFrom.get(pa) ?? pa, `data at ${hex(pa)} at the end`, hex(ours.readU64(pa)), hex(dv.getBigUint64(off, true)));
  }
}

/** The negative control: sets R/W in QEMU's copy of a present read-only 4K leaf. Returns that page. */
function tamperOne(image: Uint8Array, targets: readonly X86LegacyTarget[], ours: PhysicalMemory, pae: boolean): { vaddr: bigint; paddr: bigint; size: number; flags: number; level: number; bits: bigint } {
  for (const t of targets) {
    if (t.size !== PageSize.Size4K || t.entry === null) continue;
    const bits = readEntry(ours, pae, t.entry);
    if ((bits & 3n) !== 1n) continue;
    image[Number(t.entry - MEM_BASE)]! |= 2;
    return { vaddr: t.va & ~0xfffn, paddr: 0n, size: PageSize.Size4K, flags: 0, level: -1, bits };
  }
  throw new Error('no read-only 4K leaf to corrupt');
}
