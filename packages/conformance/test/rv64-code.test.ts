// The hand encodings of src/_rv64.ts against an assembler's: the bytes below are what llvm-mc 14
// (`llvm-mc -triple=riscv64 -mattr=+a -show-encoding`) gives for the same instructions.
import { expect, it } from 'vitest';
import { CSR, rvCsrw } from '../src/_boot-code';
import { HCSR, MCSR, RV_ECALL, RV_HFENCE_GVMA, RV_HFENCE_VVMA, RV_SRET, rvAmoaddD, rvBeq, rvBne, rvCsrr, rvJal, rvJalr, rvSd } from '../src/_rv64';

const le = (word: number): number[] => [word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24];
// ABI names: zero x0, t0 x5, t1 x6, t2 x7, s1 x9, a0-a4 x10-x14, s2 x18, s3 x19, s4 x20, t3 x28, t4 x29
const R = { zero: 0, t0: 5, t2: 7, s1: 9, a1: 11, a2: 12, a3: 13, a4: 14, s2: 18, s3: 19, s4: 20, t4: 29 } as const;

it('RV64 encodings of the MMU probe program', () => {
  expect(le(rvSd(R.s4, R.a2, 24))).toEqual([0x23, 0x3c, 0x46, 0x01]); // sd s4, 24(a2)
  expect(le(rvBeq(R.t2, R.t4, 24))).toEqual([0x63, 0x8c, 0xd3, 0x01]); // beq t2, t4, 24
  expect(le(rvBne(R.a1, R.zero, -84))).toEqual([0xe3, 0x96, 0x05, 0xfa]); // bnez a1, -84
  expect(le(rvJal(R.zero, 40))).toEqual([0x6f, 0x00, 0x80, 0x02]); // j 40
  expect(le(rvJal(R.zero, -100))).toEqual([0x6f, 0xf0, 0xdf, 0xf9]); // j -100
  expect(le(rvCsrr(R.s1, MCSR.mcause))).toEqual([0xf3, 0x24, 0x20, 0x34]); // csrr s1, mcause
  expect(le(rvCsrr(R.s2, MCSR.mtval))).toEqual([0x73, 0x29, 0x30, 0x34]); // csrr s2, mtval
  expect(le(rvAmoaddD(R.s3, R.zero, R.t0))).toEqual([0xaf, 0xb9, 0x02, 0x00]); // amoadd.d s3, zero, (t0)
  expect(le(rvCsrw(MCSR.menvcfg, R.a4))).toEqual([0x73, 0x10, 0xa7, 0x30]); // csrw menvcfg, a4
  expect(le(rvCsrw(MCSR.mepc, R.t0))).toEqual([0x73, 0x90, 0x12, 0x34]); // csrw mepc, t0
  expect(le(rvCsrw(CSR.mstatus, R.a3))).toEqual([0x73, 0x90, 0x06, 0x30]); // csrw mstatus, a3
  expect(le(RV_ECALL)).toEqual([0x73, 0x00, 0x00, 0x00]); // ecall
});

it('RV64 encodings of the two-stage probe program', () => {
  expect(le(RV_SRET)).toEqual([0x73, 0x00, 0x20, 0x10]); // sret
  expect(le(rvJalr(R.zero, R.t0, 0))).toEqual([0x67, 0x80, 0x02, 0x00]); // jr t0
  expect(le(rvCsrw(HCSR.vsstatus, 31))).toEqual([0x73, 0x90, 0x0f, 0x20]); // csrw vsstatus, t6
  expect(le(rvCsrw(HCSR.sepc, 21))).toEqual([0x73, 0x90, 0x1a, 0x14]); // csrw sepc, s5
  expect(le(rvCsrw(HCSR.hstatus, R.a4))).toEqual([0x73, 0x10, 0x07, 0x60]); // csrw hstatus, a4
  expect(le(rvCsrr(22, HCSR.mtval2))).toEqual([0x73, 0x2b, 0xb0, 0x34]); // csrr s6, mtval2
  expect(le(rvCsrr(23, HCSR.mtinst))).toEqual([0xf3, 0x2b, 0xa0, 0x34]); // csrr s7, mtinst
  expect(le(rvSd(30, R.zero, 0))).toEqual([0x23, 0x30, 0xe0, 0x01]); // sd t5, 0(zero): a transformed store
  // llvm-mc 14 has no hypervisor instructions: the fences are checked against the fields of the spec's listing
  // (funct7 0010001 / 0110001, rs2 = rs1 = x0, funct3 000, rd x0, SYSTEM 1110011)
  expect(RV_HFENCE_VVMA).toBe((0b0010001 << 25) | 0b1110011);
  expect(RV_HFENCE_GVMA).toBe((0b0110001 << 25) | 0b1110011);
});
