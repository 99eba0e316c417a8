// The few LoongArch instructions the LoongArch guest program uses, encoded by hand.
// Source: LoongArch Reference Manual, Volume 1 (v1.10): chapter 2 (base instructions) and 4.2 (privileged
// instructions: CSR access 4.2.1, TLB maintenance 4.2.4, software page walking 4.2.5, ERTN 4.2.6); the opcode
// values agree with binutils' opcodes/loongarch-opc.c. gdb has no LoongArch disassembler, so the test suite checks
// these encodings with QEMU's own (`-d in_asm`, see test/loongarch64.test.ts).

/** CSR numbers (7.1 "Control and status register list"). */
export const LaCsr = {
  CRMD: 0x0,
  PRMD: 0x1,
  ESTAT: 0x5,
  ERA: 0x6,
  BADV: 0x7,
  EENTRY: 0xc,
  TLBIDX: 0x10,
  TLBEHI: 0x11,
  TLBELO0: 0x12,
  TLBELO1: 0x13,
  ASID: 0x18,
  PGDL: 0x19,
  PGDH: 0x1a,
  PGD: 0x1b,
  PWCL: 0x1c,
  PWCH: 0x1d,
  STLBPS: 0x1e,
  TLBRENTRY: 0x88,
  TLBRSAVE: 0x8b,
  TLBREHI: 0x8e,
  DMW0: 0x180,
} as const;

const u = (v: number): number => v >>> 0;

/** CSRRD rd, csr: 0000 0100 csr[13:0] 00000 rd. */
export function csrrd(rd: number, csr: number): number {
  return u(0x0400_0000 | (csr << 10) | rd);
}

/** CSRWR rd, csr (swaps: the CSR gets rd, rd gets the old value): rj = 1. */
export function csrwr(rd: number, csr: number): number {
  return u(0x0400_0020 | (csr << 10) | rd);
}

/** LD.D rd, rj, si12. */
export function ldD(rd: number, rj: number, si12: number): number {
  return u(0x28c0_0000 | ((si12 & 0xfff) << 10) | (rj << 5) | rd);
}

/** ST.D rd, rj, si12. */
export function stD(rd: number, rj: number, si12: number): number {
  return u(0x29c0_0000 | ((si12 & 0xfff) << 10) | (rj << 5) | rd);
}

/** ADDI.D rd, rj, si12. */
export function addiD(rd: number, rj: number, si12: number): number {
  return u(0x02c0_0000 | ((si12 & 0xfff) << 10) | (rj << 5) | rd);
}

/** OR rd, rj, rk (`move rd, rj` is OR rd, rj, $zero). */
export function or(rd: number, rj: number, rk: number): number {
  return u(0x0015_0000 | (rk << 10) | (rj << 5) | rd);
}

/** SRLI.D rd, rj, ui6. */
export function srliD(rd: number, rj: number, ui6: number): number {
  return u(0x0045_0000 | ((ui6 & 0x3f) << 10) | (rj << 5) | rd);
}

/** SLLI.D rd, rj, ui6. */
export function slliD(rd: number, rj: number, ui6: number): number {
  return u(0x0041_0000 | ((ui6 & 0x3f) << 10) | (rj << 5) | rd);
}

/** BNE rj, rd, offs (in instructions, from this one). */
export function bne(rj: number, rd: number, words: number): number {
  return u(0x5c00_0000 | ((words & 0xffff) << 10) | (rj << 5) | rd);
}

/** B offs (in instructions): offs[15:0] in bits 25:10, offs[25:16] in bits 9:0. */
export function b(words: number): number {
  return u(0x5000_0000 | ((words & 0xffff) << 10) | ((words >> 16) & 0x3ff));
}

/** LDDIR rd, rj, level (4.2.5.1). */
export function lddir(rd: number, rj: number, level: number): number {
  return u(0x0640_0000 | ((level & 0xff) << 10) | (rj << 5) | rd);
}

/** LDPTE rj, seq (4.2.5.2): seq 0 fills TLBRELO0, 1 TLBRELO1. */
export function ldpte(rj: number, seq: number): number {
  return u(0x0644_0000 | ((seq & 0xff) << 10) | (rj << 5));
}

/** INVTLB op, rj, rk (4.2.4.7); op 0 invalidates every entry. */
export function invtlb(op: number, rj: number, rk: number): number {
  return u(0x0649_8000 | (rk << 10) | (rj << 5) | op);
}

/** TLBSRCH, TLBRD, TLBFILL, ERTN (4.2.4.1, 4.2.4.2, 4.2.4.4, 4.2.6.1) and IBAR 0, DBAR 0 (2.2.8). */
export const TLBSRCH = 0x0648_2800;
export const TLBRD = 0x0648_2c00;
export const TLBFILL = 0x0648_3400;
export const ERTN = 0x0648_3800;
export const IBAR = 0x3872_8000;
export const DBAR = 0x3872_0000;

/** ST.W rd, rj, si12 (2.2.6.1). */
export function stW(rd: number, rj: number, si12: number): number {
  return u(0x2980_0000 | ((si12 & 0xfff) << 10) | (rj << 5) | rd);
}

/** ADD.D rd, rj, rk (2.2.1.1). */
export function addD(rd: number, rj: number, rk: number): number {
  return u(0x0010_8000 | (rk << 10) | (rj << 5) | rd);
}

/** JIRL rd, rj, offs16 (in instructions) (2.2.5.3): jumps to rj + offs * 4. */
export function jirl(rd: number, rj: number, words: number): number {
  return u(0x4c00_0000 | ((words & 0xffff) << 10) | (rj << 5) | rd);
}

/** SYSCALL code (2.2.9.1): raises the SYS exception (Ecode 0xB). */
export function syscall(code: number): number {
  return u(0x002b_0000 | (code & 0x7fff));
}

/** Registers the guest programs use (LoongArch ABI numbers). */
export const LaReg = { zero: 0, a0: 4, a1: 5, a2: 6, a3: 7, a4: 8, a5: 9, a6: 10, a7: 11, t0: 12, t1: 13, t2: 14, t3: 15 } as const;

/**
 * The start of every LoongArch guest program: the page-walk and exception CSRs, then CRMD (paging on).
 * In: a0 PWCL, a1 PWCH, a2 PGDL, r16 PGDH, a3 TLBRENTRY, a4 EENTRY, a5 DMW0, a6 STLBPS, a7 TLBREHI, t3 CRMD.
 */
export function la64Setup(): number[] {
  const R = LaReg;
  return [
    csrwr(R.a0, LaCsr.PWCL),
    csrwr(R.a1, LaCsr.PWCH),
    csrwr(R.a2, LaCsr.PGDL),
    csrwr(16, LaCsr.PGDH),
    csrwr(R.a3, LaCsr.TLBRENTRY),
    csrwr(R.a4, LaCsr.EENTRY),
    csrwr(R.a5, LaCsr.DMW0),
    csrwr(R.a6, LaCsr.STLBPS),
    csrwr(R.a7, LaCsr.TLBREHI),
    csrwr(R.t3, LaCsr.CRMD),
    IBAR,
  ];
}

/**
 * Linux's handle_tlb_refill (arch/loongarch/mm/tlbex.S), with r30 as the scratch register: LDDIR of Dir3 (the PGD),
 * of Dir2 with four levels, of Dir1 with three or more, as setup_ptwalker (arch/loongarch/mm/tlb.c) assigns them;
 * then LDPTE of the even and odd entries and TLBFILL.
 */
export function la64Refill(levels: number): number[] {
  const dirs = levels === 4 ? [3, 2, 1] : levels === 3 ? [3, 1] : [3];
  return [
    csrwr(30, LaCsr.TLBRSAVE),
    csrrd(30, LaCsr.PGD),
    ...dirs.map((d) => lddir(30, 30, d)),
    ldpte(30, 0),
    ldpte(30, 1),
    TLBFILL,
    csrrd(30, LaCsr.TLBRSAVE),
    ERTN,
  ];
}
