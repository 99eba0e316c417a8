// The x86-64 instructions of the MMU probe program (src/x86-mmu.ts), encoded by hand, and a small assembler that
// places them and patches the 32-bit displacements of its jumps.
// Source: Intel SDM Vol. 2 (325383): 2.1 "Instruction Format" (ModR/M, SIB: r/m 100 takes a SIB byte, mod 00 with
// r/m 101 is RIP-relative, so [r12] and [r13] need a SIB byte and a displacement); 2.2.1 "REX Prefixes" (0100WRXB:
// W a 64-bit operand, R extends ModR/M.reg, B ModR/M.r/m or SIB.base); and the opcode pages: MOV (8B /r, 89 /r,
// B8+rd id), MOV to / from control registers (0F 22 /r, 0F 20 /r), XOR (31 /r), TEST (F7 /0 id), CMP (80 /7 ib),
// ADD (83 /0 ib), DEC (FF /1), PUSH (6A ib, 68 id, 50+rd, 9C PUSHFQ), IRETQ (REX.W CF), Jcc (0F 80+cc cd), JMP
// (E9 cd, FF /4), INT (CD ib), WRMSR (0F 30), WRPKRU (0F 01 EF), STAC (0F 01 CB), CLAC (0F 01 CA), LIDT (0F 01 /3),
// LTR (0F 00 /3).
// test/x64-code.test.ts checks each encoding against the bytes an assembler (llvm-mc) gives.

/** General-purpose registers by number (Vol. 2, Table 2-2 with REX). */
export const R = { rax: 0, rcx: 1, rdx: 2, rbx: 3, rsp: 4, rsi: 6, rdi: 7, r8: 8, r9: 9, r10: 10, r12: 12, r13: 13, r14: 14, r15: 15 } as const;

/** Condition codes of Jcc (0F 80+cc). */
export const CC = { e: 0x4, ne: 0x5 } as const;

/** REX prefix (W, and the high bits of the ModR/M reg and r/m fields), or nothing when none is needed. */
function rex(w: boolean, reg: number, rm: number): number[] {
  const b = 0x40 | (w ? 8 : 0) | ((reg >> 3) << 2) | (rm >> 3);
  return b === 0x40 ? [] : [b];
}

/** ModR/M (and SIB, disp8) of [base + disp] with `reg` in the reg field; disp in -128..127. */
export function mem(reg: number, base: number, disp: number): number[] {
  if (disp < -128 || disp > 127) throw new RangeError(`x64: displacement ${disp} is not a disp8`);
  const withDisp = disp !== 0 || (base & 7) === 5;
  const out = [(withDisp ? 0x40 : 0) | ((reg & 7) << 3) | (base & 7)];
  if ((base & 7) === 4) out.push(0x24); // SIB: no index, base
  if (withDisp) out.push(disp & 0xff);
  return out;
}

export function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** The instructions, each as its bytes. */
export const X64 = {
  /** MOV r64, [base + disp8]. */
  load64: (dst: number, base: number, disp: number): number[] => [...rex(true, dst, base), 0x8b, ...mem(dst, base, disp)],
  /** MOV r32, [base + disp8]. */
  load32: (dst: number, base: number, disp: number): number[] => [...rex(false, dst, base), 0x8b, ...mem(dst, base, disp)],
  /** MOV [base + disp8], r64. */
  store64: (base: number, disp: number, src: number): number[] => [...rex(true, src, base), 0x89, ...mem(src, base, disp)],
  /** MOV r64, r64. */
  mov64: (dst: number, src: number): number[] => [...rex(true, src, dst), 0x89, 0xc0 | ((src & 7) << 3) | (dst & 7)],
  /** MOV r32, imm32. */
  movImm32: (dst: number, imm: number): number[] => [...rex(false, 0, dst), 0xb8 + (dst & 7), ...le32(imm)],
  /** MOV CRn, r64. */
  toCr: (cr: number, src: number): number[] => [...rex(false, 0, src), 0x0f, 0x22, 0xc0 | (cr << 3) | (src & 7)],
  /** MOV r64, CRn. */
  fromCr: (dst: number, cr: number): number[] => [...rex(false, 0, dst), 0x0f, 0x20, 0xc0 | (cr << 3) | (dst & 7)],
  /** XOR r32, r32 (the register zeroed, its upper half too). */
  zero: (r: number): number[] => [...rex(false, r, r), 0x31, 0xc0 | ((r & 7) << 3) | (r & 7)],
  /** TEST dword [base + disp8], imm32. */
  testMem32: (base: number, disp: number, imm: number): number[] => [...rex(false, 0, base), 0xf7, ...mem(0, base, disp), ...le32(imm)],
  /** TEST r32, imm32 (a low register). */
  testReg32: (r: number, imm: number): number[] => [0xf7, 0xc0 | r, ...le32(imm)],
  /** CMP r8, imm8 (AL, CL, DL or BL). */
  cmpReg8: (r: number, imm: number): number[] => [0x80, 0xf8 | r, imm & 0xff],
  /** ADD r64, imm8. */
  addImm8: (r: number, imm: number): number[] => [...rex(true, 0, r), 0x83, 0xc0 | (r & 7), imm & 0xff],
  /** DEC r64. */
  dec64: (r: number): number[] => [...rex(true, 0, r), 0xff, 0xc8 | (r & 7)],
  /** PUSH imm8 (sign-extended to 64 bits). */
  pushImm8: (imm: number): number[] => [0x6a, imm & 0xff],
  /** PUSH imm32 (sign-extended to 64 bits). */
  pushImm32: (imm: number): number[] => [0x68, ...le32(imm)],
  /** PUSH r64. */
  push: (r: number): number[] => [...rex(false, 0, r), 0x50 + (r & 7)],
  /** JMP r64. */
  jmpReg: (r: number): number[] => [...rex(false, 0, r), 0xff, 0xe0 | (r & 7)],
  /** LIDT m16&64 at an absolute address below 2^31 (SIB with no base and no index: disp32). */
  lidtAbs: (addr: number): number[] => [0x0f, 0x01, 0x1c, 0x25, ...le32(addr)],
  /** MOV AX, imm16; LTR AX. */
  ltr: (selector: number): number[] => [0x66, 0xb8, selector & 0xff, selector >>> 8, 0x0f, 0x00, 0xd8],
  /** INT imm8. */
  int: (vector: number): number[] => [0xcd, vector],
  /** MOV RAX, [RDI]. */
  loadRaxRdi: [0x48, 0x8b, 0x07],
  /** MOV [RDI], RSI. */
  storeRdiRsi: [0x48, 0x89, 0x37],
  pushfq: [0x9c],
  iretq: [0x48, 0xcf],
  wrmsr: [0x0f, 0x30],
  wrpkru: [0x0f, 0x01, 0xef],
  stac: [0x0f, 0x01, 0xcb],
  clac: [0x0f, 0x01, 0xca],
  /** JMP to itself. */
  spin: [0xeb, 0xfe],
} as const;

/** Places instructions at consecutive addresses from `base`, with labels and 32-bit relative jumps to them. */
export class X64Assembler {
  readonly bytes: number[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: { at: number; label: string }[] = [];

  constructor(readonly base: number) {}

  /** The address of the next instruction. */
  get here(): number {
    return this.base + this.bytes.length;
  }

  emit(...parts: readonly (readonly number[])[]): this {
    for (const p of parts) this.bytes.push(...p);
    return this;
  }

  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`x64: label ${name} defined twice`);
    this.labels.set(name, this.here);
    return this;
  }

  /** The address of a label (after `finish`, or once it is defined). */
  address(name: string): number {
    const a = this.labels.get(name);
    if (a === undefined) throw new Error(`x64: label ${name} is not defined`);
    return a;
  }

  /** JMP rel32 to a label. */
  jmp(label: string): this {
    this.bytes.push(0xe9, 0, 0, 0, 0);
    this.fixups.push({ at: this.bytes.length - 4, label });
    return this;
  }

  /** Jcc rel32 to a label. */
  jcc(cc: number, label: string): this {
    this.bytes.push(0x0f, 0x80 | cc, 0, 0, 0, 0);
    this.fixups.push({ at: this.bytes.length - 4, label });
    return this;
  }

  /** Pads with INT3 up to `addr`. */
  org(addr: number): this {
    if (addr < this.here) throw new Error(`x64: ${addr.toString(16)} is behind ${this.here.toString(16)}`);
    while (this.here < addr) this.bytes.push(0xcc);
    return this;
  }

  /** Patches every jump; returns the bytes. */
  finish(): Uint8Array {
    for (const { at, label } of this.fixups) {
      const rel = this.address(label) - (this.base + at + 4);
      const b = le32(rel | 0);
      for (let i = 0; i < 4; i++) this.bytes[at + i] = b[i]!;
    }
    return Uint8Array.from(this.bytes);
  }
}
