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
import { Access, hex, MmuCode, PageSize, type PageTable64, PhysicalMemory, Privilege } from '@page-table-multiarch/core';
import { X64PageTable, X64PageTable5, X86Mmu } from '@page-table-multiarch/x86_64';
import { Checker, type RunResult } from './_check';
import { affects, DEFECTS } from './_defects';
import { guestArea } from './_driver';
import { Rng } from './_layout';
import { compareAtTheEnd, ProbeComparison } from './_mmu-check';
import { startQemu } from './_qemu';
import { CC, R, X64, X64Assembler } from './_x64';
import { buildX86MmuTables, x86EntryAddress, type X86ProbeTarget } from './_x86-mmu-layout';

// Control-register bits (Intel SDM Vol. 3A 2.5, Figure 2-7; 2.2.1), EFLAGS.AC (Vol. 1 3.4.3).
const CR0_BASE = 0x8000_0011n; // PG, ET, PE
const CR0_WP = 0x1_0000n;
const CR4_PAE = 0x20n;
const CR4_LA57 = 0x1000n;
const CR4_SMEP = 0x10_0000n;
const CR4_SMAP = 0x20_0000n;
const CR4_PKE = 0x40_0000n;
const EFER_LME = 0x100n;
const EFER_LMA = 0x400n;
const EFER_NXE = 0x800n;

const MEM_BASE = 0x100_0000n; // 16 MiB, clear of the PC's legacy hole at 0xa0000-0xfffff
const MEM_SIZE = 8 << 20;
/** The data region every leaf points into: 64 KiB at a 2 MiB-aligned address, each u64 = (its address << 16) | INT 0x80. */
const DATA = MEM_BASE + 0x20_0000n;
const DATA_BYTES = 0x1_0000;
const PROBE_BYTES = 64; // va, cr0, cr4, efer, pkru, kind, entry address, value to store
const RESULT_BYTES = 40; // vector, error code, cr2, value loaded, entry after
const AREA = guestArea(MEM_BASE, MEM_SIZE, 1 << 20, RESULT_BYTES);
const BASE = Number(AREA.base);
// the program's pages, in its area
const STUBS = BASE + 0x1000; // 256 interrupt stubs of 16 bytes
const IDT = BASE + 0x8000;
const TSS = BASE + 0x9000;
const IDTR = BASE + 0x9100;
const GDT = BASE + 0xa000; // at linear 0 too
const USER = BASE + 0xb000; // at linear 0x1000 too
const STACK_TOP = BASE + 0xd000;
/** A zero u64: the "entry" read back for probes that have none. */
const ZERO = BigInt(BASE + 0xd000);
const USER_VA = 0x1000;
// GDT selectors: kernel code 0x08, kernel data 0x10, user data 0x18, user code 0x20, TSS 0x28 (Vol. 3A 3.4.5, 7.2.3)
const SEL_USER_DATA = 0x18 | 3;
const SEL_USER_CODE = 0x20 | 3;
const SEL_TSS = 0x28;
const INT_OK = 0x80;
/** The kind word of a probe: bits 7:0 the access kind, bit 8 CPL 3, bit 16 EFLAGS.AC. */
const KIND_CPL3 = 0x100;
const KIND_AC = 0x1_0000;

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

/** The probe program: its bytes from the area's base, and the addresses where it starts and ends. */
export function x86MmuProgram(): { bytes: Uint8Array; start: number; end: number } {
  const a = new X64Assembler(BASE);
  const { rax, rcx, rdx, rbx, rsp, rsi, rdi, r8, r9, r10, r12, r13, r14, r15 } = R;
  a.label('start').emit(X64.lidtAbs(IDTR), X64.ltr(SEL_TSS));
  a.label('loop').emit(X64.mov64(rsp, r15));
  a.emit(X64.load64(rax, r12, 8), X64.toCr(0, rax), X64.load64(rax, r12, 16), X64.toCr(4, rax));
  a.emit(X64.movImm32(rcx, 0xc000_0080), X64.load32(rax, r12, 24), X64.zero(rdx), X64.wrmsr); // IA32_EFER
  a.emit(X64.testMem32(r12, 16, Number(CR4_PKE))).jcc(CC.e, 'tlb');
  a.emit(X64.load32(rax, r12, 32), X64.zero(rcx), X64.zero(rdx), X64.wrpkru);
  a.label('tlb').emit(X64.fromCr(rax, 3), X64.toCr(3, rax));
  a.emit(X64.zero(r8), X64.zero(r9), X64.zero(r10), X64.zero(rax));
  a.emit(X64.load64(rdi, r12, 0), X64.load64(rsi, r12, 56), X64.load32(rdx, r12, 40));
  a.emit(X64.testReg32(rdx, KIND_AC)).jcc(CC.e, 'clac').emit(X64.stac).jmp('cpl');
  a.label('clac').emit(X64.clac);
  a.label('cpl').emit(X64.testReg32(rdx, KIND_CPL3)).jcc(CC.ne, 'user');
  a.emit(X64.cmpReg8(rdx, Access.WRITE)).jcc(CC.e, 'kstore').emit(X64.cmpReg8(rdx, Access.EXECUTE)).jcc(CC.e, 'kfetch');
  a.emit(X64.loadRaxRdi).jmp('after');
  a.label('kstore').emit(X64.storeRdiRsi).jmp('after');
  a.label('kfetch').emit(X64.jmpReg(rdi));
  // CPL 3: an IRETQ frame (SS, RSP, RFLAGS with AC as set, CS, RIP)
  a.label('user').emit(X64.pushImm8(SEL_USER_DATA), X64.push(r15), X64.pushfq, X64.pushImm8(SEL_USER_CODE));
  a.emit(X64.cmpReg8(rdx, Access.EXECUTE)).jcc(CC.e, 'ufetch').emit(X64.cmpReg8(rdx, Access.WRITE)).jcc(CC.e, 'ustore');
  a.emit(X64.pushImm32(USER_VA), X64.iretq);
  a.label('ustore').emit(X64.pushImm32(USER_VA + 16), X64.iretq);
  a.label('ufetch').emit(X64.push(rdi), X64.iretq);
  a.label('after').emit(X64.store64(r13, 0, r8), X64.store64(r13, 8, r9), X64.store64(r13, 16, r10), X64.store64(r13, 24, rax));
  a.emit(X64.load64(rbx, r12, 48), X64.load64(rbx, rbx, 0), X64.store64(r13, 32, rbx));
  a.emit(X64.addImm8(r12, PROBE_BYTES), X64.addImm8(r13, RESULT_BYTES), X64.dec64(r14)).jcc(CC.ne, 'loop');
  a.label('end').emit(X64.spin);
  // every vector: r8 = the vector, r9 = the word on top of the stack (the error code of #GP and #PF), r10 = CR2
  a.label('common').emit(X64.load64(r9, rsp, 0), X64.fromCr(r10, 2)).jmp('after');
  a.org(STUBS);
  for (let v = 0; v < 256; v++) a.org(STUBS + 16 * v).emit(X64.movImm32(r8, v)).jmp('common');
  const bytes = a.finish();
  return { bytes, start: a.address('start'), end: a.address('end') };
}

/** The user page: a load (at offset 0) and a store (at 16), each followed by INT 0x80. */
function userPage(): Uint8Array {
  const page = new Uint8Array(4096);
  page.set([...X64.loadRaxRdi, ...X64.int(INT_OK)], 0);
  page.set([...X64.storeRdiRsi, ...X64.int(INT_OK)], 16);
  return page;
}

/** The GDT (Vol. 3A 3.4.5, 5.2.1 for 64-bit code segments, 7.2.3 for the 64-bit TSS descriptor). */
function gdt(): bigint[] {
  const tssLow = 0x67n | ((BigInt(TSS) & 0xff_ffffn) << 16n) | (0x89n << 40n) | ((BigInt(TSS) >> 24n) << 56n);
  return [0n, 0x00af_9a00_0000_ffffn, 0x00cf_9200_0000_ffffn, 0x00cf_f200_0000_ffffn, 0x00af_fa00_0000_ffffn, tssLow, 0n];
}

/** One access to make: a target, the access kind, the CPL, and the mode bits. */
interface Probe {
  readonly target: X86ProbeTarget;
  readonly access: 0 | 1 | 2;
  readonly privilege: 0 | 1;
  readonly wp: boolean;
  readonly smep: boolean;
  readonly smap: boolean;
  readonly ac: boolean;
  readonly nxe: boolean;
  readonly pke: boolean;
  readonly pkru: number;
}

export const ACCESS_NAMES = ['load', 'store', 'fetch'] as const;

function probeName(p: Probe): string {
  const on = (['wp', 'smep', 'smap', 'ac', 'nxe', 'pke'] as const).filter((k) => p[k]).join(' ');
  return `${ACCESS_NAMES[p.access]} CPL${p.privilege === Privilege.USER ? 3 : 0} [${on}${p.pke ? ` pkru=${hex(BigInt(p.pkru))}` : ''}] (${p.target.kind})`;
}

/** What a store probe writes: bit 63 and its index + 1 above INT 0x80 (so that fetches there still come back). */
function marker(i: number): bigint {
  return (1n << 63n) | (BigInt(i + 1) << 16n) | 0x80cdn;
}

function writerOf(order: readonly Probe[], value: bigint): Probe | undefined {
  return value >> 63n === 1n ? order[Number((value >> 16n) & 0xffff_ffffn) - 1] : undefined;
}

/** Text of an outcome: "ok" (and the value a load read), or "#PF error 0x.. cr2 0x..", "#GP error 0x..". */
export function show(access: number, ok: boolean, vector: number, errorCode: number, cr2: bigint, value: bigint): string {
  if (ok) return access === Access.READ ? `ok ${hex(value)}` : 'ok';
  if (vector === 14) return `#PF error ${hex(BigInt(errorCode))} cr2 ${hex(cr2)}`;
  if (vector === 13) return `#GP error ${hex(BigInt(errorCode))}`;
  return `vector ${vector} error ${hex(BigInt(errorCode))}`;
}

/**
 * QEMU's outcome: a CPL-0 load or store that went through raised nothing (vector 0); every other access that went
 * through came back with INT 0x80.
 */
export function theirOutcome(p: Pick<Probe, 'access' | 'privilege'>, vector: bigint, error: bigint, cr2: bigint, value: bigint): string {
  const ok = vector === BigInt(INT_OK) || (vector === 0n && p.privilege === Privilege.SUPERVISOR && p.access !== Access.EXECUTE);
  return show(p.access, ok, Number(vector), Number(error), cr2, value);
}

/** Every probe (6 per target and mode set: access x CPL), two random mode sets per target, in a seeded order. */
function makeProbes(targets: readonly X86ProbeTarget[], seed: number): Probe[] {
  const rng = new Rng(seed ^ 0x86);
  const probes: Probe[] = [];
  for (const target of targets) {
    for (let set = 0; set < 2; set++) {
      const b = (): boolean => rng.ratio(1, 2);
      const modes = { wp: b(), smep: b(), smap: b(), ac: b(), nxe: rng.ratio(3, 4), pke: b() };
      // PKRU: each key's AD and WD set with probability 1/4
      let pkru = 0;
      for (let k = 0; k < 32; k++) if (rng.ratio(1, 4)) pkru |= 1 << k;
      for (const access of [0, 1, 2] as const) for (const privilege of [0, 1] as const) probes.push({ target, access, privilege, ...modes, pkru: pkru >>> 0 });
    }
  }
  return rng.shuffle(probes);
}

function writeProbes(memory: PhysicalMemory, order: readonly Probe[], la57: boolean): void {
  if (order.length * PROBE_BYTES > Number(AREA.results - AREA.list) || order.length * RESULT_BYTES > AREA.bytes - Number(AREA.results - AREA.base)) {
    throw new Error(`${order.length} probes do not fit the guest area`);
  }
  order.forEach((p, i) => {
    const at = AREA.list + BigInt(i * PROBE_BYTES);
    const cr4 = CR4_PAE | (la57 ? CR4_LA57 : 0n) | (p.smep ? CR4_SMEP : 0n) | (p.smap ? CR4_SMAP : 0n) | (p.pke ? CR4_PKE : 0n);
    const kind = p.access | (p.privilege === Privilege.USER ? KIND_CPL3 : 0) | (p.ac ? KIND_AC : 0);
    memory.writeU64(at, p.target.va);
    memory.writeU64(at + 8n, CR0_BASE | (p.wp ? CR0_WP : 0n));
    memory.writeU64(at + 16n, cr4);
    memory.writeU64(at + 24n, EFER_LME | (p.nxe ? EFER_NXE : 0n));
    memory.writeU64(at + 32n, BigInt(p.pkru));
    memory.writeU64(at + 40n, BigInt(kind));
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
  cursor.map(0n, BigInt(GDT), PageSize.Size4K, 7);
  cursor.map(BigInt(USER_VA), BigInt(USER), PageSize.Size4K, 1 | 4 | 8);
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
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(AREA.base, AREA.bytes);
  memory.reserve(DATA, DATA_BYTES);
  for (let pa = DATA; pa < DATA + BigInt(DATA_BYTES); pa += 8n) memory.writeU64(pa, (pa << 16n) | 0x80cdn);
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
  memory.writeBytes(BigInt(USER), userPage());
  gdt().forEach((d, i) => {
    memory.writeU64(BigInt(GDT + 8 * i), d);
  });
  for (let v = 0; v < 256; v++) {
    // a 64-bit interrupt gate, DPL 3 (INT 0x80 from CPL 3), to stub v through the kernel code segment (6.14.1)
    const stub = BigInt(STUBS + 16 * v);
    memory.writeU64(BigInt(IDT + 16 * v), (stub & 0xffffn) | (0x08n << 16n) | (0xeen << 40n) | ((stub >> 16n) << 48n));
  }
  const rsp0 = new Uint8Array(8); // RSP0 at byte 4 of the TSS (7.7, Figure 7-11)
  new DataView(rsp0.buffer).setBigUint64(0, BigInt(STACK_TOP), true);
  memory.writeBytes(BigInt(TSS + 4), rsp0);
  memory.writeU64(BigInt(IDTR), 0xfffn | (BigInt(IDT) << 16n)); // limit, base (its upper bytes are zero)

  const ours = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  ours.writeBytes(MEM_BASE, memory.bytes());
  const image = memory.bytes().slice();
  const tampered = options.tamper === true ? tamperOne(image, layout.targets, ours) : null;

  const checker = new Checker();
  const compare = new ProbeComparison(checker);
  let adUpdates = 0;
  const qemu = await startQemu({
    binary: options.binary,
    machine: ['-M', 'q35', '-cpu', 'max', '-m', '64M', '-accel', 'tcg'],
    images: [{ addr: MEM_BASE, bytes: image }],
  });
  let log = '';
  try {
    const gdb = qemu.gdb;
    // long mode with paging, then the 64-bit code segment (its descriptor read from the GDT at linear 0)
    await gdb.writeRegister('cr4', CR4_PAE | (options.la57 ? CR4_LA57 : 0n));
    await gdb.writeRegister('efer', EFER_LME | EFER_NXE);
    await gdb.writeRegister('cr3', table.rootPaddr);
    await gdb.writeRegister('cr0', CR0_BASE | CR0_WP);
    if (((await gdb.readRegister('efer')) & EFER_LMA) === 0n) throw new Error('QEMU did not enter long mode');
    await gdb.writeRegister('cs', 0x08n);
    await gdb.writeRegister('ss', 0x10n);
    for (const [name, value] of [
      ['r12', AREA.list],
      ['r13', AREA.results],
      ['r14', BigInt(order.length)],
      ['r15', BigInt(STACK_TOP)],
      ['rip', BigInt(prog.start)],
    ] as const) {
      await gdb.writeRegister(name, value);
    }
    await gdb.breakpoint(BigInt(prog.end), 1);
    await gdb.cont();
    await gdb.physicalMemoryMode();
    const rip = await gdb.readRegister('rip');
    if (rip !== BigInt(prog.end)) throw new Error(`the guest stopped at ${hex(rip)}, not at its end ${hex(BigInt(prog.end))}`);
    const left = await gdb.readRegister('r14');
    if (left !== 0n) throw new Error(`the guest stopped with ${left} probes left`);
    const results = await gdb.readMemory(AREA.results, order.length * RESULT_BYTES);
    const view = new DataView(results.buffer, results.byteOffset, results.byteLength);

    const rsvdWithoutP = affects(options.binary, DEFECTS.x86RsvdWithoutP);
    const accessed1g = affects(options.binary, DEFECTS.x86Accessed1gOnFault);
    const mmu = new X86Mmu(ours, { cr3: table.rootPaddr, cr4: CR4_PAE | (options.la57 ? CR4_LA57 : 0n), maxPhysAddr });
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
      let theirs = theirOutcome(p, at(0), at(1), at(2), at(3));
      if (rsvdWithoutP && r === MmuCode.ReservedBit) {
        // QEMU leaves P out of a reserved-bit fault: compare the rest of the error code
        const fixed = at(0) === 14n ? theirOutcome(p, at(0), at(1) | 1n, at(2), at(3)) : theirs;
        checker.skip(DEFECTS.x86RsvdWithoutP.text, fixed !== theirs);
        theirs = fixed;
      }
      if (accessed1g && r < 0 && r !== MmuCode.NotPresent && mmu.level === table.meta.levels - 3) {
        // QEMU sets A in a 1 GiB leaf before checking it: do the same to the model's memory, and count it
        const pdpte = x86EntryAddress(ours, table.rootPaddr, table.meta.levels, va, mmu.level);
        const e = ours.readU64(pdpte);
        // (after the checks QEMU makes before it: P, and address bits 51:M and XD without NXE)
        const early = (e & (0x000f_ffff_ffff_f000n & ~((1n << BigInt(maxPhysAddr)) - 1n))) !== 0n || (!p.nxe && e >> 63n !== 0n);
        if ((e & 0x80n) !== 0n && (e & 0x20n) === 0n && !early) {
          ours.writeU64(pdpte, e | 0x20n);
          checker.skip(DEFECTS.x86Accessed1gOnFault.text, true);
        }
      }
      const mine = show(p.access, r === 0, mmu.vector, mmu.errorCode, va, value);
      compare.probe(va, probeName(p), kind, mine, theirs);
      checker.check(va, `${probeName(p)}: entry after`, hex(ours.readU64(p.target.entry ?? ZERO)), hex(at(4)));
    });
    await compareAtTheEnd(gdb, checker, {
      entries: layout.entries,
      entryBytes: 8,
      entryName: 'entry',
      ours,
      data: DATA,
      dataBytes: DATA_BYTES,
      wordBytes: 8,
      vaOfWord: (want, got) => (writerOf(order, got) ?? writerOf(order, want))?.target.va,
    });
  } finally {
    log = qemu.stderr();
    await qemu.close();
  }
  checker.addresses = layout.targets.length;
  for (const t of layout.targets) if (t.size > 0) checker.pageSizes.set(t.size, (checker.pageSizes.get(t.size) ?? 0) + 1);
  return { checker, samples: [], tampered, log, code: [], probes: order.length, outcomes: compare.outcomes, adUpdates };
}

/** The negative control: sets R/W in QEMU's copy of a present read-only 4K leaf. Returns that page. */
function tamperOne(image: Uint8Array, targets: readonly X86ProbeTarget[], ours: PhysicalMemory): { vaddr: bigint; paddr: bigint; size: number; flags: number; level: number; bits: bigint } {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (const t of targets) {
    if (t.size !== PageSize.Size4K || t.entry === null) continue;
    const bits = ours.readU64(t.entry);
    if ((bits & 3n) !== 1n) continue;
    view.setBigUint64(Number(t.entry - MEM_BASE), bits | 2n, true);
    return { vaddr: t.va & ~0xfffn, paddr: 0n, size: PageSize.Size4K, flags: 0, level: -1, bits };
  }
  throw new Error('no read-only 4K leaf to corrupt');
}
