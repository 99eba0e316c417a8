// The RV64 instructions of the MMU probe program (src/riscv-mmu.ts) that src/_boot-code.ts does not encode.
// Source: The RISC-V Instruction Set Manual, Volume I (20191213), chapter 24 "RV32/64G Instruction Set Listings"
// (S-type: imm[11:5] rs2 rs1 funct3 imm[4:0] 0100011; B-type: imm[12|10:5] rs2 rs1 funct3 imm[4:1|11] 1100011;
// J-type JAL: imm[20|10:1|11|19:12] rd 1101111; AMOADD.D: 00000 aq rl rs2 rs1 011 rd 0101111), chapter 9 "Zicsr"
// (CSRRS: csr rs1 010 rd 1110011; CSRR rd, csr is CSRRS rd, csr, x0); Volume II (20211203), 2.2 "CSR Listing"
// (mstatus 0x300, mtvec 0x305, menvcfg 0x30a, mepc 0x341, mcause 0x342, mtval 0x343).
// test/rv64-code.test.ts checks each against llvm-mc's bytes.

/** CSR numbers the probe program uses. */
export const MCSR = { mstatus: 0x300, menvcfg: 0x30a, mepc: 0x341, mcause: 0x342, mtval: 0x343 } as const;

/** SD rs2, imm(rs1). */
export function rvSd(rs2: number, rs1: number, imm: number): number {
  return ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (3 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
}

/** A B-type branch with funct3 `f3` to `bytes` from this instruction (even, within +-4 KiB). */
function branch(f3: number, rs1: number, rs2: number, bytes: number): number {
  const imm = bytes & 0x1fff;
  const hi = (((imm >> 12) & 1) << 6) | ((imm >> 5) & 0x3f);
  const lo = (((imm >> 1) & 0xf) << 1) | ((imm >> 11) & 1);
  return ((hi << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (lo << 7) | 0x63) >>> 0;
}

/** BEQ rs1, rs2, offset (bytes from this instruction). */
export function rvBeq(rs1: number, rs2: number, bytes: number): number {
  return branch(0, rs1, rs2, bytes);
}

/** BNE rs1, rs2, offset (bytes from this instruction). */
export function rvBne(rs1: number, rs2: number, bytes: number): number {
  return branch(1, rs1, rs2, bytes);
}

/** JAL rd, offset (bytes from this instruction, even, within +-1 MiB); `J offset` is JAL x0. */
export function rvJal(rd: number, bytes: number): number {
  const imm = bytes & 0x1f_ffff;
  const field = (((imm >> 20) & 1) << 19) | (((imm >> 1) & 0x3ff) << 9) | (((imm >> 11) & 1) << 8) | ((imm >> 12) & 0xff);
  return ((field << 12) | (rd << 7) | 0x6f) >>> 0;
}

/** CSRR rd, csr (CSRRS rd, csr, x0). */
export function rvCsrr(rd: number, csr: number): number {
  return ((csr << 20) | (2 << 12) | (rd << 7) | 0x73) >>> 0;
}

/** AMOADD.D rd, rs2, (rs1): a store access that leaves memory as it was when rs2 is x0, and returns the old value. */
export function rvAmoaddD(rd: number, rs2: number, rs1: number): number {
  return ((rs2 << 20) | (rs1 << 15) | (3 << 12) | (rd << 7) | 0x2f) >>> 0;
}

/** ECALL: what the probed pages hold, so that a fetch that translates traps straight back (cause 8 or 9). */
export const RV_ECALL = 0x0000_0073;

// For the two-stage probe program (src/riscv-two-stage.ts). Volume I chapter 24: JALR is imm[11:0] rs1 000 rd
// 1100111. Volume II (20211203): SRET is 0001000 00010 00000 000 00000 1110011 (3.3.2 "Trap-Return Instructions");
// chapter "Hypervisor Extension", "Hypervisor Instructions" and its listing: HFENCE.VVMA 0010001 rs2 rs1 000 00000
// 1110011, HFENCE.GVMA 0110001 rs2 rs1 000 00000 1110011 (here with rs1 = rs2 = x0: every address and ID); CSR
// numbers vsstatus 0x200, sepc 0x141, hstatus 0x600, mtinst 0x34a, mtval2 0x34b (2.2 "CSR Listing").

/** CSR numbers of the hypervisor extension (and sepc) that the two-stage probe program uses. */
export const HCSR = { vsstatus: 0x200, sepc: 0x141, hstatus: 0x600, mtinst: 0x34a, mtval2: 0x34b } as const;

/** JALR rd, imm(rs1). */
export function rvJalr(rd: number, rs1: number, imm: number): number {
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x67) >>> 0;
}

/** SRET. */
export const RV_SRET = 0x1020_0073;
/** HFENCE.VVMA x0, x0: every VS-stage translation of the current VMID. */
export const RV_HFENCE_VVMA = 0x2200_0073;
/** HFENCE.GVMA x0, x0: every G-stage (and VS-stage) translation of every VMID. */
export const RV_HFENCE_GVMA = 0x6200_0073;
