// The guest of the x86 MMU runs (src/x86-mmu.ts in 64-bit mode, src/x86-legacy-mmu.ts in 32-bit protected mode):
// the run's memory, the pages of the probe program's area (interrupt stubs, IDT, TSS, GDT at linear 0, the user page
// at linear 0x1000, the stack), the GDT, IDT and TSS themselves, the probes and their modes, starting the program
// through the gdb stub, and the texts of the outcomes. A run adds what is its own: the program, its probe list's
// format, its tables and the identity map of its memory.
// Every probe is made at CPL 0 directly (a fetch is a JMP to the address) or at CPL 3 through an IRET to the user
// page, which makes the access and returns with INT 0x80 (a fetch is an IRET to the address). The IDT sends every
// vector to a stub that records the vector, the error code and CR2.
import { Access, hex, MmuCode, PageSize, type PhysicalMemory, Privilege } from '@page-table-multiarch/core';
import type { GdbRemote } from '@page-table-multiarch/cli';
import type { Checker } from './_check';
import { affects, DEFECTS } from './_defects';
import { type GuestArea, guestArea } from './_driver';
import type { Rng } from './_layout';
import { ACCESS_NAMES } from './_mmu-check';
import type { ProbeTarget } from './_mmu-layout';
import { CC, X64, type X64Assembler } from './_x64';

// Control-register bits (Intel SDM Vol. 3A 2.5, Figure 2-7; 2.2.1).
export const CR0_BASE = 0x8000_0011n; // PG, ET, PE
const CR0_WP = 0x1_0000n;
export const CR4_PSE = 0x10n;
export const CR4_PAE = 0x20n;
export const CR4_LA57 = 0x1000n;
const CR4_SMEP = 0x10_0000n;
const CR4_SMAP = 0x20_0000n;
export const CR4_PKE = 0x40_0000n;
export const EFER_LME = 0x100n;
export const EFER_LMA = 0x400n;
export const EFER_NXE = 0x800n;

/** 16 MiB, clear of the PC's legacy hole at 0xa0000-0xfffff. */
export const MEM_BASE = 0x100_0000n;
/** The q35 machine with the `max` CPU under TCG. */
export const MACHINE = ['-M', 'q35', '-cpu', 'max', '-m', '64M', '-accel', 'tcg'] as const;
/** The linear address of the user page. */
export const USER_VA = 0x1000;
// GDT selectors: kernel code 0x08, kernel data 0x10, user data 0x18, user code 0x20, TSS 0x28 (Vol. 3A 3.4.5, 7.2.2,
// 7.2.3)
const SEL_KERNEL_CODE = 0x08;
export const SEL_USER_DATA = 0x18 | 3;
export const SEL_USER_CODE = 0x20 | 3;
export const SEL_TSS = 0x28;
/** The vector of the INT with which an access that went through comes back. */
export const INT_OK = 0x80;
/** The kind word of a probe: bits 7:0 the access kind, bit 8 CPL 3, bit 16 EFLAGS.AC. */
export const KIND_CPL3 = 0x100;
export const KIND_AC = 0x1_0000;

/** The program's area (the last 1 MiB of the run's memory) and its pages, as numbers (the program's addresses). */
export interface X86GuestPages {
  readonly area: GuestArea;
  readonly base: number;
  /** 256 interrupt stubs of 16 bytes. */
  readonly stubs: number;
  readonly idt: number;
  readonly tss: number;
  readonly idtr: number;
  /** The program's own variables, if it keeps any in memory. */
  readonly vars: number;
  /** At linear 0 too. */
  readonly gdt: number;
  /** At linear 0x1000 too. */
  readonly user: number;
  readonly stackTop: number;
  /** A zero u64: the "entry" read back for probes that have none. */
  readonly zero: bigint;
}

/** The pages of the program's area at the end of `memSize` bytes of memory from MEM_BASE. */
export function x86GuestPages(memSize: number, resultBytes: number): X86GuestPages {
  const area = guestArea(MEM_BASE, memSize, 1 << 20, resultBytes);
  const base = Number(area.base);
  return {
    area,
    base,
    stubs: base + 0x1000,
    idt: base + 0x8000,
    tss: base + 0x9000,
    idtr: base + 0x9100,
    vars: base + 0x9200,
    gdt: base + 0xa000,
    user: base + 0xb000,
    stackTop: base + 0xd000,
    zero: BigInt(base + 0xd000),
  };
}

/** The instructions of a mode the probe dispatch differs by. */
export interface X86ModeInsns {
  /** Loads into the accumulator from [DI], and stores SI to [DI]. */
  readonly load: readonly number[];
  readonly store: readonly number[];
  /** Pushes the stack pointer CPL 3 runs with (the IRET frame's SP), and the flags. */
  readonly pushStack: readonly number[];
  readonly pushFlags: readonly number[];
  readonly iret: readonly number[];
}

/**
 * Emits a probe's dispatch, the kind word in DX and the address in DI: EFLAGS.AC set by STAC or cleared by CLAC
 * (Vol. 3A 4.6.1) as KIND_AC says, then at CPL 0 the access itself (a load, a store, or a fetch: JMP to the
 * address) and a jump to 'after'; at CPL 3 an IRET frame (SS, SP, the flags with AC as set, CS, IP: Vol. 3A 6.12.1)
 * into the user page's load (at USER_VA) or store (+16), or to the address itself for a fetch. Labels 'clac', 'cpl',
 * 'kstore', 'kfetch', 'user', 'ustore', 'ufetch'.
 */
export function emitProbeDispatch(a: X64Assembler, mode: X86ModeInsns): void {
  const dx = 2;
  const di = 7;
  a.emit(X64.testReg32(dx, KIND_AC)).jcc(CC.e, 'clac').emit(X64.stac).jmp('cpl');
  a.label('clac').emit(X64.clac);
  a.label('cpl').emit(X64.testReg32(dx, KIND_CPL3)).jcc(CC.ne, 'user');
  a.emit(X64.cmpReg8(dx, Access.WRITE)).jcc(CC.e, 'kstore').emit(X64.cmpReg8(dx, Access.EXECUTE)).jcc(CC.e, 'kfetch');
  a.emit(mode.load).jmp('after');
  a.label('kstore').emit(mode.store).jmp('after');
  a.label('kfetch').emit(X64.jmpReg(di));
  a.label('user').emit(X64.pushImm8(SEL_USER_DATA), mode.pushStack, mode.pushFlags, X64.pushImm8(SEL_USER_CODE));
  a.emit(X64.cmpReg8(dx, Access.EXECUTE)).jcc(CC.e, 'ufetch').emit(X64.cmpReg8(dx, Access.WRITE)).jcc(CC.e, 'ustore');
  a.emit(X64.pushImm32(USER_VA), mode.iret);
  a.label('ustore').emit(X64.pushImm32(USER_VA + 16), mode.iret);
  a.label('ufetch').emit(X64.push(di), mode.iret);
}

/**
 * Ends a probe program: the 256 interrupt stubs at their page, each putting its vector in `vectorReg` and jumping to
 * the program's 'common' (the IDT sends vector v to stub v). Returns the program's bytes from the area's base and
 * the addresses of its 'start' and 'end'.
 */
export function finishProgram(a: X64Assembler, pages: X86GuestPages, vectorReg: number): { bytes: Uint8Array; start: number; end: number } {
  a.org(pages.stubs);
  for (let v = 0; v < 256; v++) a.org(pages.stubs + 16 * v).emit(X64.movImm32(vectorReg, v)).jmp('common');
  const bytes = a.finish();
  return { bytes, start: a.address('start'), end: a.address('end') };
}

/** The user page: a load (at offset 0) and a store (at 16), each followed by INT 0x80. */
export function userPage(mode: X86ModeInsns): Uint8Array {
  const page = new Uint8Array(4096);
  page.set([...mode.load, ...X64.int(INT_OK)], 0);
  page.set([...mode.store, ...X64.int(INT_OK)], 16);
  return page;
}

/**
 * Writes the GDT, the IDT, the TSS's stack for CPL 0 and the IDTR image into the program's pages (Vol. 3A 3.4.5,
 * 6.11, 6.14.1, 7.2, 7.7). `long`: 64-bit code segments (L = 1), 16-byte interrupt gates and the 64-bit TSS with
 * RSP0 at byte 4 (Figure 7-11); else 32-bit code segments (D = 1), 8-byte gates and the 32-bit TSS with ESP0 at
 * byte 4 and SS0 at byte 8 (Figure 7-2).
 */
export function writeDescriptorTables(memory: PhysicalMemory, pages: X86GuestPages, long: boolean): void {
  const tss = BigInt(pages.tss);
  // a TSS descriptor: limit 0x67, base, type 9 (available TSS), P (7.2.2, 7.2.3)
  const tssLow = 0x67n | ((tss & 0xff_ffffn) << 16n) | (0x89n << 40n) | ((tss >> 24n) << 56n);
  // flat segments: code 0x9a / 0xfa (DPL 0 / 3), data 0x92 / 0xf2, with L (64-bit code) or D (32-bit) in the flags
  const code = long ? 0x00af_0000_0000_ffffn : 0x00cf_0000_0000_ffffn;
  const gdt = [0n, code | (0x9an << 40n), 0x00cf_9200_0000_ffffn, 0x00cf_f200_0000_ffffn, code | (0xfan << 40n), tssLow, ...(long ? [0n] : [])];
  gdt.forEach((d, i) => {
    memory.writeU64(BigInt(pages.gdt + 8 * i), d);
  });
  const gateBytes = long ? 16 : 8;
  for (let v = 0; v < 256; v++) {
    // an interrupt gate (type 0xe), DPL 3 (INT 0x80 from CPL 3), to stub v through the kernel code segment; a 64-bit
    // gate's offset bits 63:32 (its second u64) are zero
    const stub = BigInt(pages.stubs + 16 * v);
    memory.writeU64(BigInt(pages.idt + gateBytes * v), (stub & 0xffffn) | (BigInt(SEL_KERNEL_CODE) << 16n) | (0xeen << 40n) | ((stub >> 16n) << 48n));
  }
  if (long) {
    const rsp0 = new Uint8Array(8);
    new DataView(rsp0.buffer).setBigUint64(0, BigInt(pages.stackTop), true);
    memory.writeBytes(tss + 4n, rsp0);
  } else {
    memory.writeU32(tss + 4n, pages.stackTop);
    memory.writeU32(tss + 8n, 0x10);
  }
  // limit, base (its upper bytes are zero)
  memory.writeU64(BigInt(pages.idtr), BigInt(256 * gateBytes - 1) | (BigInt(pages.idt) << 16n));
}

/** The access, the CPL and the mode bits both runs draw for a probe. */
export interface X86Probe {
  readonly target: ProbeTarget;
  readonly access: 0 | 1 | 2;
  readonly privilege: 0 | 1;
  readonly wp: boolean;
  readonly smep: boolean;
  readonly smap: boolean;
  readonly ac: boolean;
  readonly nxe: boolean;
}

/**
 * Every probe (6 per target and mode set: access x CPL), two mode sets per target drawn by `modes`, in a random
 * order.
 */
export function makeX86Probes<M extends Omit<X86Probe, 'target' | 'access' | 'privilege'>>(targets: readonly ProbeTarget[], rng: Rng, modes: (rng: Rng) => M): (M & X86Probe)[] {
  const probes: (M & X86Probe)[] = [];
  for (const target of targets) {
    for (let set = 0; set < 2; set++) {
      const drawn = modes(rng);
      for (const access of [0, 1, 2] as const) for (const privilege of [0, 1] as const) probes.push({ target, access, privilege, ...drawn });
    }
  }
  return rng.shuffle(probes);
}

/** A probe's name in the report: the access, the CPL, the mode bits `names` that are on, `extra`, and the target. */
export function x86ProbeName<P extends X86Probe>(p: P, names: readonly (keyof P)[], extra = ''): string {
  const on = names.filter((k) => p[k] === true).join(' ');
  return `${ACCESS_NAMES[p.access]} CPL${p.privilege === Privilege.USER ? 3 : 0} [${on}${extra}] (${p.target.kind})`;
}

/**
 * CR0, CR4 and IA32_EFER of a probe: PG, ET, PE and its WP; the run's paging bits `cr4Paging` with its SMEP, SMAP
 * and (4-level and 5-level paging) PKE; the run's `eferBase` with its NXE.
 */
export function probeControlRegisters(p: X86Probe & { readonly pke?: boolean }, cr4Paging: bigint, eferBase: bigint): { cr0: bigint; cr4: bigint; efer: bigint } {
  const cr4 = cr4Paging | (p.smep ? CR4_SMEP : 0n) | (p.smap ? CR4_SMAP : 0n) | (p.pke === true ? CR4_PKE : 0n);
  return { cr0: CR0_BASE | (p.wp ? CR0_WP : 0n), cr4, efer: eferBase | (p.nxe ? EFER_NXE : 0n) };
}

/** The kind word of a probe (KIND_CPL3, KIND_AC). */
export function kindWord(p: X86Probe): number {
  return p.access | (p.privilege === Privilege.USER ? KIND_CPL3 : 0) | (p.ac ? KIND_AC : 0);
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
export function theirOutcome(p: Pick<X86Probe, 'access' | 'privilege'>, vector: bigint, error: bigint, cr2: bigint, value: bigint): string {
  const ok = vector === BigInt(INT_OK) || (vector === 0n && p.privilege === Privilege.SUPERVISOR && p.access !== Access.EXECUTE);
  return show(p.access, ok, Number(vector), Number(error), cr2, value);
}

/**
 * QEMU's outcome, compared as the model's where a QEMU with DEFECTS.x86RsvdWithoutP leaves P out of a reserved-bit
 * fault's error code (`r` is the model's result): the rest of the error code is compared, and the probe counted as
 * skipped.
 */
export function theirOutcomeOf(checker: Checker, binary: string, p: X86Probe, r: number, vector: bigint, error: bigint, cr2: bigint, value: bigint): string {
  const theirs = theirOutcome(p, vector, error, cr2, value);
  if (r !== MmuCode.ReservedBit || !affects(binary, DEFECTS.x86RsvdWithoutP)) return theirs;
  const fixed = vector === 14n ? theirOutcome(p, vector, error | 1n, cr2, value) : theirs;
  checker.skip(DEFECTS.x86RsvdWithoutP.text, fixed !== theirs);
  return fixed;
}

/** How the program is started: the paging mode, the other registers (in order), where it ends, how many probes. */
export interface X86Start {
  readonly cr4: bigint;
  readonly efer: bigint;
  readonly cr3: bigint;
  /** Whether IA32_EFER.LMA must be 1 after CR0 is written (long mode) or 0 (protected mode). */
  readonly longMode: boolean;
  /** Segment and general registers, and `rip`. */
  readonly regs: readonly (readonly [string, bigint])[];
  readonly end: number;
  /** The probes the program has left when it stops (0: it got through the list). */
  readonly left: () => Promise<bigint>;
  readonly results: bigint;
  readonly resultBytes: number;
}

/**
 * Turns paging on through the gdb stub (CR4, EFER, CR3, then CR0 with PG, WP and PE), checks the mode QEMU entered,
 * writes the other registers (the segment registers' descriptors are read from the GDT at linear 0, as GDTR is still
 * its reset value, base 0), runs the program to its end, and reads its results. The stub's memory accesses are
 * physical from then on.
 */
export async function runX86Guest(gdb: GdbRemote, start: X86Start, count: number): Promise<DataView> {
  await gdb.writeRegister('cr4', start.cr4);
  await gdb.writeRegister('efer', start.efer);
  await gdb.writeRegister('cr3', start.cr3);
  await gdb.writeRegister('cr0', CR0_BASE | CR0_WP);
  const lma = ((await gdb.readRegister('efer')) & EFER_LMA) !== 0n;
  if (lma !== start.longMode) throw new Error(start.longMode ? 'QEMU did not enter long mode' : 'QEMU entered long mode');
  for (const [name, value] of start.regs) await gdb.writeRegister(name, value);
  await gdb.breakpoint(BigInt(start.end), 1);
  await gdb.cont();
  await gdb.physicalMemoryMode();
  const rip = await gdb.readRegister('rip');
  if (rip !== BigInt(start.end)) throw new Error(`the guest stopped at ${hex(rip)}, not at its end ${hex(BigInt(start.end))}`);
  const left = await start.left();
  if (left !== 0n) throw new Error(`the guest stopped with ${left} probes left`);
  const results = await gdb.readMemory(start.results, count * start.resultBytes);
  return new DataView(results.buffer, results.byteOffset, results.byteLength);
}

/**
 * The negative control: sets R/W (bit 1) in QEMU's copy of a present read-only 4K leaf (`entryOf` reads an entry in
 * the model's memory, which is the image's). Returns that page.
 */
export function tamperReadOnly4K(
  image: Uint8Array,
  targets: readonly ProbeTarget[],
  entryOf: (pa: bigint) => bigint,
): { vaddr: bigint; paddr: bigint; size: number; flags: number; level: number; bits: bigint } {
  for (const t of targets) {
    if (t.size !== PageSize.Size4K || t.entry === null) continue;
    const bits = entryOf(t.entry);
    if ((bits & 3n) !== 1n) continue;
    image[Number(t.entry - MEM_BASE)]! |= 2;
    return { vaddr: t.va & ~0xfffn, paddr: 0n, size: PageSize.Size4K, flags: 0, level: -1, bits };
  }
  throw new Error('no read-only 4K leaf to corrupt');
}
