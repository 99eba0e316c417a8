// The hand encodings of src/_boot-code.ts against an assembler's: the bytes below are what llvm-mc 14
// (`llvm-mc -triple=riscv64 | aarch64 | armv7a | i386 -show-encoding`) gives for the same instructions.
import { describe, expect, it } from 'vitest';
import { A32Cp15, A32Cp15Wide, DSB, ldrLiteral, mcr, mcrr, movImm, mrc, orrImm, strbImm, strImm } from '../src/_a32';
import { A64Reg, msr } from '../src/_a64';
import {
  a64LdrLiteral,
  a64MovzW,
  a64MovzW16,
  a64OrrOne,
  a64Strb,
  a64StrW,
  CSR,
  RV,
  RV_MRET,
  RV_SFENCE_VMA,
  rvAddi,
  rvAuipc,
  rvCsrw,
  rvLd,
  rvLui,
  rvSb,
  X86,
} from '../src/_boot-code';

const le = (word: number): number[] => [word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24];

describe('boot stub encodings', () => {
  it('RV64', () => {
    const { t0, t1, t2, t3, zero } = RV;
    expect(le(rvAddi(t0, zero, -1))).toEqual([0x93, 0x02, 0xf0, 0xff]); // li t0, -1
    expect(le(rvLui(t0, 1))).toEqual([0xb7, 0x12, 0x00, 0x00]); // lui t0, 1
    expect(le(rvLui(t2, 0x10000))).toEqual([0xb7, 0x03, 0x00, 0x10]); // lui t2, 0x10000
    expect(le(rvAuipc(t1))).toEqual([0x17, 0x03, 0x00, 0x00]); // auipc t1, 0
    expect(le(rvLd(t0, t1, 40))).toEqual([0x83, 0x32, 0x83, 0x02]); // ld t0, 40(t1)
    expect(le(rvSb(t3, t2, 0))).toEqual([0x23, 0x80, 0xc3, 0x01]); // sb t3, 0(t2)
    expect(le(rvSb(t3, t2, 37))).toEqual([0xa3, 0x82, 0xc3, 0x03]); // sb t3, 37(t2)
    expect(le(rvCsrw(CSR.pmpaddr0, t0))).toEqual([0x73, 0x90, 0x02, 0x3b]); // csrw pmpaddr0, t0
    expect(le(rvCsrw(CSR.satp, t0))).toEqual([0x73, 0x90, 0x02, 0x18]); // csrw satp, t0
    expect(le(RV_MRET)).toEqual([0x73, 0x00, 0x20, 0x30]);
    expect(le(RV_SFENCE_VMA)).toEqual([0x73, 0x00, 0x00, 0x12]);
  });

  it('A64', () => {
    expect(le(a64LdrLiteral(0, 16))).toEqual([0x80, 0x00, 0x00, 0x58]); // ldr x0, #16
    expect(le(a64MovzW(2, 0x4f))).toEqual([0xe2, 0x09, 0x80, 0x52]); // mov w2, #79
    expect(le(a64MovzW16(1, 0x900))).toEqual([0x01, 0x20, 0xa1, 0x52]); // movz w1, #0x900, lsl #16
    expect(le(a64Strb(2, 1))).toEqual([0x22, 0x00, 0x00, 0x39]); // strb w2, [x1]
    expect(le(a64StrW(2, 1, 0x30))).toEqual([0x22, 0x30, 0x00, 0xb9]); // str w2, [x1, #48]
    expect(le(a64OrrOne(0, 0))).toEqual([0x00, 0x00, 0x40, 0xb2]); // orr x0, x0, #1
    expect(le(msr(A64Reg.TTBR1_EL1, 0))).toEqual([0x20, 0x20, 0x18, 0xd5]); // msr ttbr1_el1, x0
  });

  it('A32 (the arm stub)', () => {
    expect(le(ldrLiteral(0, 16))).toEqual([0x10, 0x00, 0x9f, 0xe5]); // ldr r0, [pc, #16]
    expect(le(ldrLiteral(1, 300))).toEqual([0x2c, 0x11, 0x9f, 0xe5]); // ldr r1, [pc, #300]
    expect(le(movImm(2, 79))).toEqual([0x4f, 0x20, 0xa0, 0xe3]); // mov r2, #79
    expect(le(movImm(1, 0x09, 4))).toEqual([0x09, 0x14, 0xa0, 0xe3]); // mov r1, #0x9000000
    expect(le(strbImm(2, 1))).toEqual([0x00, 0x20, 0xc1, 0xe5]); // strb r2, [r1]
    expect(le(strImm(2, 1, 48))).toEqual([0x30, 0x20, 0x81, 0xe5]); // str r2, [r1, #48]
    expect(le(orrImm(0, 0, 1))).toEqual([0x01, 0x00, 0x80, 0xe3]); // orr r0, r0, #1
    expect(le(DSB)).toEqual([0x4f, 0xf0, 0x7f, 0xf5]); // dsb sy
    expect(le(mcrr(A32Cp15Wide.TTBR0, 0, 1))).toEqual([0x02, 0x0f, 0x41, 0xec]); // mcrr p15, #0, r0, r1, c2
    expect(le(mcrr(A32Cp15Wide.TTBR1, 0, 1))).toEqual([0x12, 0x0f, 0x41, 0xec]); // mcrr p15, #1, r0, r1, c2
    expect(le(mcr(A32Cp15.MAIR0, 0))).toEqual([0x12, 0x0f, 0x0a, 0xee]); // mcr p15, #0, r0, c10, c2, #0
    expect(le(mcr(A32Cp15.MAIR1, 0))).toEqual([0x32, 0x0f, 0x0a, 0xee]); // mcr p15, #0, r0, c10, c2, #1
    expect(le(mcr(A32Cp15.TTBCR, 0))).toEqual([0x50, 0x0f, 0x02, 0xee]); // mcr p15, #0, r0, c2, c0, #2
    expect(le(mcr(A32Cp15.TLBIALL, 0))).toEqual([0x17, 0x0f, 0x08, 0xee]); // mcr p15, #0, r0, c8, c7, #0
    expect(le(mrc(0, A32Cp15.SCTLR))).toEqual([0x10, 0x0f, 0x11, 0xee]); // mrc p15, #0, r0, c1, c0, #0
    expect(le(mcr(A32Cp15.SCTLR, 0))).toEqual([0x10, 0x0f, 0x01, 0xee]); // mcr p15, #0, r0, c1, c0, #0
  });

  it('IA-32', () => {
    expect(X86.movEax(0x1234_5678)).toEqual([0xb8, 0x78, 0x56, 0x34, 0x12]);
    expect(X86.movAl(0x3e)).toEqual([0xb0, 0x3e]);
    expect(X86.movEcx(0x1234_5678)).toEqual([0xb9, 0x78, 0x56, 0x34, 0x12]);
    expect(X86.movEsi(0x1234_5678)).toEqual([0xbe, 0x78, 0x56, 0x34, 0x12]);
    expect([X86.movCr0Eax, X86.movCr3Eax, X86.movCr4Eax, X86.movEaxCr0]).toEqual([
      [0x0f, 0x22, 0xc0],
      [0x0f, 0x22, 0xd8],
      [0x0f, 0x22, 0xe0],
      [0x0f, 0x20, 0xc0],
    ]);
    expect(X86.orEax(0x8001_0001)).toEqual([0x0d, 0x01, 0x00, 0x01, 0x80]);
    expect([X86.xorEdxEdx, X86.wrmsr, X86.movDx(0x3f8)]).toEqual([[0x31, 0xd2], [0x0f, 0x30], [0x66, 0xba, 0xf8, 0x03]]);
    expect([X86.lodsb, X86.testAlAl, X86.outDxAl, X86.hlt]).toEqual([[0xac], [0x84, 0xc0], [0xee], [0xf4]]);
  });
});
