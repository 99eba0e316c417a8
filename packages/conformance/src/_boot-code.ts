// The few instructions of the boot stubs (src/boot.ts), encoded by hand: RV64I and the privileged instructions,
// the A64 instructions _a64.ts lacks, and the IA-32 instructions a 32-bit protected-mode entry needs.
// Sources:
// - The RISC-V Instruction Set Manual, Volume I (20191213), chapter 24 "RV32/64G Instruction Set Listings"
//   (I-type: imm[11:0] rs1 funct3 rd opcode; S-type: imm[11:5] rs2 rs1 funct3 imm[4:0] opcode; U-type; J-type),
//   chapter 9 "Zicsr" (CSRRW: csr rs1 001 rd 1110011); Volume II (20211203), 3.3.2 MRET (0x30200073) and 4.2.1
//   SFENCE.VMA (0001001 rs2 rs1 000 00000 1110011).
// - Arm ARM DDI 0487, C6.2: LDR (literal) 64-bit (0x58000000 | imm19 << 5 | Rt), MOVZ 32-bit (0x52800000 |
//   imm16 << 5 | Rd; with LSL #16, hw = 1: 0x52a00000), STRB (immediate, unsigned offset) (0x39000000 | imm12 << 10 | Rn << 5 | Rt), STR 32-bit
//   (immediate, unsigned offset) (0xb9000000 | (imm / 4) << 10 | Rn << 5 | Rt), ORR (immediate) 64-bit with the
//   bitmask immediate #1 (N = 1, immr = 0, imms = 0: 0xb2400000 | Rn << 5 | Rd).
// - Intel SDM Vol. 2: MOV r8, imm8 (B0+rb ib), MOV r32, imm32 (B8+rd id), MOV CR0/CR3/CR4, r32 (0F 22 /r), MOV r32, CR0 (0F 20 /r),
//   WRMSR (0F 30), OR EAX, imm32 (0D id), XOR r/m32, r32 (31 /r), MOV r16, imm16 (66 B8+rw iw), LODSB (AC),
//   TEST r/m8, r8 (84 /r), JZ rel8 (74 cb), OUT DX, AL (EE), JMP rel8 (EB cb), HLT (F4).
// test/boot-code.test.ts checks each encoding against the bytes an assembler (llvm-mc) gives.

/** RISC-V integer registers by ABI name. */
export const RV = { zero: 0, t0: 5, t1: 6, t2: 7, t3: 28 } as const;

/** RISC-V CSR numbers (Volume II, 2.2 "CSR Listing"). */
export const CSR = { mstatus: 0x300, mepc: 0x341, pmpcfg0: 0x3a0, pmpaddr0: 0x3b0, satp: 0x180 } as const;

/** ADDI rd, rs1, imm (imm in -2048..2047). */
export function rvAddi(rd: number, rs1: number, imm: number): number {
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13) >>> 0;
}

/** LUI rd, imm20: rd = imm20 << 12. */
export function rvLui(rd: number, imm20: number): number {
  return (((imm20 & 0xf_ffff) << 12) | (rd << 7) | 0x37) >>> 0;
}

/** AUIPC rd, 0: rd = the address of this instruction. */
export function rvAuipc(rd: number): number {
  return ((rd << 7) | 0x17) >>> 0;
}

/** LD rd, imm(rs1). */
export function rvLd(rd: number, rs1: number, imm: number): number {
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (3 << 12) | (rd << 7) | 0x03) >>> 0;
}

/** SB rs2, imm(rs1). */
export function rvSb(rs2: number, rs1: number, imm: number): number {
  return ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
}

/** CSRRW x0, csr, rs1 (CSRW csr, rs1). */
export function rvCsrw(csr: number, rs1: number): number {
  return ((csr << 20) | (rs1 << 15) | (1 << 12) | 0x73) >>> 0;
}

/** MRET. */
export const RV_MRET = 0x3020_0073;
/** SFENCE.VMA x0, x0: every address, every ASID. */
export const RV_SFENCE_VMA = 0x1200_0073;
/** JAL x0, 0: a jump to itself. */
export const RV_SPIN = 0x0000_006f;

/** LDR Xt, <label>: a 64-bit load from `bytes` bytes ahead (a multiple of 4, below 1 MiB). */
export function a64LdrLiteral(xt: number, bytes: number): number {
  return (0x5800_0000 | (((bytes >> 2) & 0x7_ffff) << 5) | xt) >>> 0;
}

/** MOVZ Wd, #imm16. */
export function a64MovzW(wd: number, imm16: number): number {
  return (0x5280_0000 | ((imm16 & 0xffff) << 5) | wd) >>> 0;
}

/** MOVZ Wd, #imm16, LSL #16. */
export function a64MovzW16(wd: number, imm16: number): number {
  return (0x52a0_0000 | ((imm16 & 0xffff) << 5) | wd) >>> 0;
}

/** STRB Wt, [Xn]. */
export function a64Strb(wt: number, xn: number): number {
  return (0x3900_0000 | (xn << 5) | wt) >>> 0;
}

/** STR Wt, [Xn, #imm] (imm a multiple of 4). */
export function a64StrW(wt: number, xn: number, imm: number): number {
  return (0xb900_0000 | ((imm >> 2) << 10) | (xn << 5) | wt) >>> 0;
}

/** ORR Xd, Xn, #1. */
export function a64OrrOne(xd: number, xn: number): number {
  return (0xb240_0000 | (xn << 5) | xd) >>> 0;
}

/** Little-endian bytes of a u32. */
function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** IA-32 (32-bit protected mode) instructions, each as its bytes. */
export const X86 = {
  /** MOV EAX, imm32. */
  movEax: (imm: number): number[] => [0xb8, ...le32(imm)],
  /** MOV ECX, imm32. */
  movEcx: (imm: number): number[] => [0xb9, ...le32(imm)],
  /** MOV AL, imm8. */
  movAl: (imm: number): number[] => [0xb0, imm & 0xff],
  /** MOV ESI, imm32. */
  movEsi: (imm: number): number[] => [0xbe, ...le32(imm)],
  /** MOV CR0, EAX. */
  movCr0Eax: [0x0f, 0x22, 0xc0],
  /** MOV CR3, EAX. */
  movCr3Eax: [0x0f, 0x22, 0xd8],
  /** MOV CR4, EAX. */
  movCr4Eax: [0x0f, 0x22, 0xe0],
  /** MOV EAX, CR0. */
  movEaxCr0: [0x0f, 0x20, 0xc0],
  /** OR EAX, imm32. */
  orEax: (imm: number): number[] => [0x0d, ...le32(imm)],
  /** XOR EDX, EDX. */
  xorEdxEdx: [0x31, 0xd2],
  /** WRMSR: MSR[ECX] = EDX:EAX. */
  wrmsr: [0x0f, 0x30],
  /** MOV DX, imm16. */
  movDx: (imm: number): number[] => [0x66, 0xba, imm & 0xff, (imm >>> 8) & 0xff],
  /** LODSB: AL = [ESI], ESI += 1. */
  lodsb: [0xac],
  /** TEST AL, AL. */
  testAlAl: [0x84, 0xc0],
  /** JZ rel8. */
  jz: (rel: number): number[] => [0x74, rel & 0xff],
  /** OUT DX, AL. */
  outDxAl: [0xee],
  /** JMP rel8. */
  jmp: (rel: number): number[] => [0xeb, rel & 0xff],
  /** HLT. */
  hlt: [0xf4],
} as const;
