// The few A32 (ARM state) instructions the ARMv7 guest stub uses, encoded by hand, condition AL unless said.
// Source: ARM Architecture Reference Manual ARMv7-A and ARMv7-R edition, DDI 0406C: A8.8.98 MCR, A8.8.107 MRC,
// A8.8.99 MCRR and A8.8.108 MRRC (the 64-bit TTBR0 / TTBR1 / PAR of the long-descriptor format, B4.1.154-155, B4.1.112),
// A8.8.73 ISB, A8.8.63 LDR (immediate, post-indexed), A8.8.204 STR (immediate), A8.8.222 SUB (immediate, S set),
// A8.8.18 B; B4.1.52 DFSR, B4.1.96 IFSR, B4.1.51 DFAR, B4.1.95 IFAR; the CP15 register encodings of B4.2 ("CP15 c7/c8/... register summaries"). The boot stub
// (src/boot.ts) also uses A8.8.64 LDR (literal), A8.8.102 MOV (immediate), A8.8.122 ORR (immediate), A8.8.207 STRB
// (immediate, ARM) and A8.8.44 DSB.
// The test suite disassembles the stub with gdb-multiarch when it is installed (see test/arm.test.ts).

/** A CP15 register or operation as (opc1, CRn, CRm, opc2). */
interface Cp15 {
  readonly opc1: number;
  readonly crn: number;
  readonly crm: number;
  readonly opc2: number;
}

/** CP15 registers and operations (B4.1). */
export const A32Cp15 = {
  SCTLR: { opc1: 0, crn: 1, crm: 0, opc2: 0 },
  TTBR0: { opc1: 0, crn: 2, crm: 0, opc2: 0 },
  TTBR1: { opc1: 0, crn: 2, crm: 0, opc2: 1 },
  TTBCR: { opc1: 0, crn: 2, crm: 0, opc2: 2 },
  DACR: { opc1: 0, crn: 3, crm: 0, opc2: 0 },
  DFSR: { opc1: 0, crn: 5, crm: 0, opc2: 0 },
  IFSR: { opc1: 0, crn: 5, crm: 0, opc2: 1 },
  DFAR: { opc1: 0, crn: 6, crm: 0, opc2: 0 },
  IFAR: { opc1: 0, crn: 6, crm: 0, opc2: 2 },
  MAIR0: { opc1: 0, crn: 10, crm: 2, opc2: 0 },
  MAIR1: { opc1: 0, crn: 10, crm: 2, opc2: 1 },
  PAR: { opc1: 0, crn: 7, crm: 4, opc2: 0 },
  ATS1CPR: { opc1: 0, crn: 7, crm: 8, opc2: 0 },
  ATS1CPW: { opc1: 0, crn: 7, crm: 8, opc2: 1 },
  ATS1CUR: { opc1: 0, crn: 7, crm: 8, opc2: 2 },
  ATS1CUW: { opc1: 0, crn: 7, crm: 8, opc2: 3 },
  TLBIALL: { opc1: 0, crn: 8, crm: 7, opc2: 0 },
  VBAR: { opc1: 0, crn: 12, crm: 0, opc2: 0 },
} as const satisfies Record<string, Cp15>;

function cp15(base: number, r: Cp15, rt: number): number {
  return (base | (r.opc1 << 21) | (r.crn << 16) | (rt << 12) | (15 << 8) | (r.opc2 << 5) | r.crm) >>> 0;
}

/** MCR p15, opc1, Rt, CRn, CRm, opc2: cond 1110 opc1 0 CRn Rt 1111 opc2 1 CRm. */
export function mcr(r: Cp15, rt: number): number {
  return cp15(0xee00_0010, r, rt);
}

/** MRC p15, opc1, Rt, CRn, CRm, opc2: as MCR with L (bit 20) set. */
export function mrc(rt: number, r: Cp15): number {
  return cp15(0xee10_0010, r, rt);
}

/** A 64-bit CP15 register as (opc1, CRm), for MCRR and MRRC. */
interface Cp15Wide {
  readonly opc1: number;
  readonly crm: number;
}

/** The 64-bit CP15 registers (B4.1.154 TTBR0, B4.1.155 TTBR1 with TTBCR.EAE = 1; B4.1.112 PAR in its 64-bit form). */
export const A32Cp15Wide = {
  TTBR0: { opc1: 0, crm: 2 },
  TTBR1: { opc1: 1, crm: 2 },
  PAR: { opc1: 0, crm: 7 },
} as const satisfies Record<string, Cp15Wide>;

/** MCRR p15, opc1, Rt, Rt2, CRm: cond 1100 0100 Rt2 Rt 1111 opc1 CRm (Rt the low word, Rt2 the high). */
export function mcrr(r: Cp15Wide, rt: number, rt2: number): number {
  return (0xec40_0000 | (rt2 << 16) | (rt << 12) | (15 << 8) | (r.opc1 << 4) | r.crm) >>> 0;
}

/** MRRC p15, opc1, Rt, Rt2, CRm: as MCRR with bit 20 set. */
export function mrrc(rt: number, rt2: number, r: Cp15Wide): number {
  return (0xec50_0000 | (rt2 << 16) | (rt << 12) | (15 << 8) | (r.opc1 << 4) | r.crm) >>> 0;
}

/** ISB SY: 0xf57ff06f. */
export const ISB = 0xf57f_f06f;

/** DSB SY: 0xf57ff04f. */
export const DSB = 0xf57f_f04f;

/** LDR Rt, [PC, #imm]: the word at the instruction's address + 8 + imm (0 <= imm < 4096, U = 1). */
export function ldrLiteral(rt: number, imm: number): number {
  if (imm < 0 || imm > 0xfff) throw new RangeError(`ldrLiteral: offset ${imm} is outside 0..4095`);
  return (0xe59f_0000 | (rt << 12) | imm) >>> 0;
}

/** MOV Rd, #imm8 ROR (2 * rot): cond 0011 1010 0000 Rd rot imm8. */
export function movImm(rd: number, imm8: number, rot = 0): number {
  return (0xe3a0_0000 | (rd << 12) | ((rot & 0xf) << 8) | (imm8 & 0xff)) >>> 0;
}

/** ORR Rd, Rn, #imm8 (no rotation). */
export function orrImm(rd: number, rn: number, imm8: number): number {
  return (0xe380_0000 | (rn << 16) | (rd << 12) | (imm8 & 0xff)) >>> 0;
}

/** STRB Rt, [Rn, #imm]: offset addressing, U = 1 (0 <= imm < 4096). */
export function strbImm(rt: number, rn: number, imm = 0): number {
  return (0xe5c0_0000 | (rn << 16) | (rt << 12) | (imm & 0xfff)) >>> 0;
}

/** STR Rt, [Rn, #imm]: offset addressing, U = 1 (A8.8.204). */
export function strImm(rt: number, rn: number, imm = 0): number {
  return (0xe580_0000 | (rn << 16) | (rt << 12) | (imm & 0xfff)) >>> 0;
}

/** LDR Rt, [Rn], #imm: post-indexed, U = 1. */
export function ldrPost(rt: number, rn: number, imm: number): number {
  return (0xe490_0000 | (rn << 16) | (rt << 12) | (imm & 0xfff)) >>> 0;
}

/** STR Rt, [Rn], #imm: post-indexed, U = 1. */
export function strPost(rt: number, rn: number, imm: number): number {
  return (0xe480_0000 | (rn << 16) | (rt << 12) | (imm & 0xfff)) >>> 0;
}

/** SUBS Rd, Rn, #imm (imm < 256, no rotation). */
export function subsImm(rd: number, rn: number, imm: number): number {
  return (0xe250_0000 | (rn << 16) | (rd << 12) | (imm & 0xff)) >>> 0;
}

/** B<cond> to an instruction `words` instructions away (the offset is from PC + 8). */
function branch(cond: number, words: number): number {
  return ((cond << 28) | (0b1010 << 24) | ((words - 2) & 0xff_ffff)) >>> 0;
}

/** BNE (cond 0b0001). */
export function bne(words: number): number {
  return branch(0b0001, words);
}

/** B (cond AL); B . is 0xeafffffe. */
export function b(words: number): number {
  return branch(0b1110, words);
}

/**
 * Appends a stub's loop to its prologue `words`: for each address of the list at r5 (r6 of them), each address
 * translation operation of `ops` on it, an ISB, and `storePar` (PAR read and stored to the results at r7); then
 * `b .`, whose byte offset is returned (where a breakpoint stops the stub).
 */
export function a32AtLoop(words: number[], ops: readonly Cp15[], storePar: readonly number[]): number {
  const loop = words.length;
  words.push(ldrPost(8, 5, 4));
  for (const op of ops) words.push(mcr(op, 8), ISB, ...storePar);
  words.push(subsImm(6, 6, 1));
  words.push(bne(loop - words.length));
  const done = words.length * 4;
  words.push(b(0));
  return done;
}

/** Writes the 8 words of an exception vector table at `vbar` (B1.8.1: reset to FIQ) as `b .`. */
export function a32SpinVectors(memory: { writeU32(pa: bigint, value: number): void }): (vbar: bigint) => void {
  return (vbar) => {
    for (let v = 0; v < 8; v++) memory.writeU32(vbar + BigInt(4 * v), b(0));
  };
}
