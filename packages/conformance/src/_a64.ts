// The few A64 instructions the AArch64 guest stub uses, encoded by hand.
// Source: Arm Architecture Reference Manual for A-profile architecture, DDI 0487, chapter C6 (instruction
// descriptions) and C5.3 (the system instruction / system register encoding space: op0, op1, CRn, CRm, op2).
// The test suite disassembles the stub with gdb-multiarch when it is installed (see test/aarch64.test.ts).

/** A system register or system instruction as its (op0, op1, CRn, CRm, op2) encoding. */
interface SysReg {
  readonly op0: number;
  readonly op1: number;
  readonly crn: number;
  readonly crm: number;
  readonly op2: number;
}

function sysField(r: SysReg): number {
  return (r.op0 << 19) | (r.op1 << 16) | (r.crn << 12) | (r.crm << 8) | (r.op2 << 5);
}

/** System registers (C5.3 / D19 register descriptions). */
export const A64Reg = {
  SCTLR_EL1: { op0: 3, op1: 0, crn: 1, crm: 0, op2: 0 },
  TTBR0_EL1: { op0: 3, op1: 0, crn: 2, crm: 0, op2: 0 },
  TTBR1_EL1: { op0: 3, op1: 0, crn: 2, crm: 0, op2: 1 },
  TCR_EL1: { op0: 3, op1: 0, crn: 2, crm: 0, op2: 2 },
  PAR_EL1: { op0: 3, op1: 0, crn: 7, crm: 4, op2: 0 },
  MAIR_EL1: { op0: 3, op1: 0, crn: 10, crm: 2, op2: 0 },
  VBAR_EL1: { op0: 3, op1: 0, crn: 12, crm: 0, op2: 0 },
  // the exception registers of EL1
  SPSR_EL1: { op0: 3, op1: 0, crn: 4, crm: 0, op2: 0 },
  ELR_EL1: { op0: 3, op1: 0, crn: 4, crm: 0, op2: 1 },
  ESR_EL1: { op0: 3, op1: 0, crn: 5, crm: 2, op2: 0 },
  FAR_EL1: { op0: 3, op1: 0, crn: 6, crm: 0, op2: 0 },
  // EL2: the hypervisor's configuration, stage 2, and its exception registers
  HCR_EL2: { op0: 3, op1: 4, crn: 1, crm: 1, op2: 0 },
  VTTBR_EL2: { op0: 3, op1: 4, crn: 2, crm: 1, op2: 0 },
  VTCR_EL2: { op0: 3, op1: 4, crn: 2, crm: 1, op2: 2 },
  SPSR_EL2: { op0: 3, op1: 4, crn: 4, crm: 0, op2: 0 },
  ELR_EL2: { op0: 3, op1: 4, crn: 4, crm: 0, op2: 1 },
  ESR_EL2: { op0: 3, op1: 4, crn: 5, crm: 2, op2: 0 },
  FAR_EL2: { op0: 3, op1: 4, crn: 6, crm: 0, op2: 0 },
  HPFAR_EL2: { op0: 3, op1: 4, crn: 6, crm: 0, op2: 4 },
  VBAR_EL2: { op0: 3, op1: 4, crn: 12, crm: 0, op2: 0 },
} as const satisfies Record<string, SysReg>;

/** Address translation instructions: SYS #op1, C7, C8, #op2 (C5.5 "A64 system instructions for address translation"). */
export const A64At = {
  S1E1R: { op0: 1, op1: 0, crn: 7, crm: 8, op2: 0 },
  S1E1W: { op0: 1, op1: 0, crn: 7, crm: 8, op2: 1 },
  S1E0R: { op0: 1, op1: 0, crn: 7, crm: 8, op2: 2 },
  S1E0W: { op0: 1, op1: 0, crn: 7, crm: 8, op2: 3 },
  /** Stages 1 and 2 of EL1&0, from EL2: SYS #4, C7, C8, #4 and #5. */
  S12E1R: { op0: 1, op1: 4, crn: 7, crm: 8, op2: 4 },
  S12E1W: { op0: 1, op1: 4, crn: 7, crm: 8, op2: 5 },
} as const satisfies Record<string, SysReg>;

/** MSR <sysreg>, Xt: 1101 0101 0001 o0 op1 CRn CRm op2 Rt (C6.2 MSR (register)). */
export function msr(reg: SysReg, xt: number): number {
  return (0xd500_0000 | sysField(reg) | xt) >>> 0;
}

/** MRS Xt, <sysreg>: as MSR with L (bit 21) set (C6.2 MRS). */
export function mrs(xt: number, reg: SysReg): number {
  return (0xd520_0000 | sysField(reg) | xt) >>> 0;
}

/** AT <op>, Xt: SYS with op0 = 1 (C6.2 AT). */
export function at(op: SysReg, xt: number): number {
  return (0xd500_0000 | sysField(op) | xt) >>> 0;
}

/** ISB SY (C6.2 ISB): 0xd5033fdf. */
export const ISB = 0xd503_3fdf;

/** LDR Xt, [Xn], #imm: post-indexed, imm9 signed (C6.2 LDR (immediate), 64-bit post-index). */
export function ldrPost(xt: number, xn: number, imm: number): number {
  return (0xf840_0400 | ((imm & 0x1ff) << 12) | (xn << 5) | xt) >>> 0;
}

/** STR Xt, [Xn], #imm: post-indexed (C6.2 STR (immediate), 64-bit post-index). */
export function strPost(xt: number, xn: number, imm: number): number {
  return (0xf800_0400 | ((imm & 0x1ff) << 12) | (xn << 5) | xt) >>> 0;
}

/** SUBS Xd, Xn, #imm12 (C6.2 SUBS (immediate), 64-bit, no shift). */
export function subsImm(xd: number, xn: number, imm: number): number {
  return (0xf100_0000 | ((imm & 0xfff) << 10) | (xn << 5) | xd) >>> 0;
}

/** B.NE to an instruction `words` instructions away (negative: backwards) (C6.2 B.cond, cond NE = 0b0001). */
export function bne(words: number): number {
  return (0x5400_0001 | ((words & 0x7ffff) << 5)) >>> 0;
}

/** B to an instruction `words` instructions away (C6.2 B); B . is 0x14000000. */
export function b(words: number): number {
  return (0x1400_0000 | (words & 0x3ff_ffff)) >>> 0;
}

/**
 * Turns the EL1&0 MMU on: MAIR_EL1, TCR_EL1, TTBR0_EL1, TTBR1_EL1 and VBAR_EL1 from x0, x1, x2, x3 and x10, an ISB
 * so that they are in effect, then SCTLR_EL1 from x4 and an ISB (D19.2; "Context synchronization event", D24).
 */
export function a64EnableMmu(): number[] {
  return [msr(A64Reg.MAIR_EL1, 0), msr(A64Reg.TCR_EL1, 1), msr(A64Reg.TTBR0_EL1, 2), msr(A64Reg.TTBR1_EL1, 3), msr(A64Reg.VBAR_EL1, 10), ISB, msr(A64Reg.SCTLR_EL1, 4), ISB];
}

/**
 * Appends a stub's loop to its prologue `words`: for each address of the list at x5 (x6 of them), each address
 * translation instruction of `ops` on it, an ISB, and a store of PAR_EL1 to the results at x7; then `b .`, whose
 * byte offset is returned (where a breakpoint stops the stub).
 */
export function a64AtLoop(words: number[], ops: readonly SysReg[]): number {
  const loop = words.length;
  words.push(ldrPost(8, 5, 8));
  for (const op of ops) words.push(at(op, 8), ISB, mrs(9, A64Reg.PAR_EL1), strPost(9, 7, 8));
  words.push(subsImm(6, 6, 1));
  words.push(bne(loop - words.length));
  const done = words.length * 4;
  words.push(b(0));
  return done;
}

/** Writes the 16 entries of an exception vector table at `vbar` (0x80 bytes apart, D1.3.1) as `b .`. */
export function a64SpinVectors(memory: { writeU32(pa: bigint, value: number): void }): (vbar: bigint) => void {
  return (vbar) => {
    for (let v = 0; v < 16; v++) memory.writeU32(vbar + BigInt(0x80 * v), b(0));
  };
}
