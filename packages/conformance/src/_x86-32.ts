// The 32-bit protected-mode instructions of the legacy-paging probe program (src/x86-legacy-mmu.ts) that the x86-64
// set of _x64.ts has no form of: without a REX prefix, the x86-64 encodings of _x64.ts for eax..edi (MOV r32 /
// CRn, XOR, TEST, CMP, PUSH, JMP, INT, WRMSR, STAC / CLAC, LTR) are the same bytes in 32-bit code, and are used as
// they are. Here: a 32-bit store, absolute addressing (ModR/M mod 00 with r/m 101 is a disp32 in 32-bit code,
// RIP-relative in 64-bit code), PUSHFD and IRETD.
// Source: Intel SDM Vol. 2 (325383): 2.1.5, Table 2-2 "32-Bit Addressing Forms with the ModR/M Byte"; the opcode
// pages of MOV (8B /r, 89 /r), ADD (83 /0 ib), DEC (FF /1), LIDT (0F 01 /3), PUSHFD (9C), IRETD (CF).
// test/x86-32-code.test.ts checks each encoding against the bytes an assembler (llvm-mc, -triple=i386) gives.
import { le32, mem } from './_x64';

/** General-purpose registers by number (Vol. 2, Table 2-2). */
export const E = { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7 } as const;

/** The instructions, each as its bytes. */
export const X86_32 = {
  /** MOV [base + disp8], r32. */
  store: (base: number, disp: number, src: number): number[] => [0x89, ...mem(src, base, disp)],
  /** MOV r32, [disp32]. */
  loadAbs: (dst: number, addr: number): number[] => [0x8b, 0x05 | (dst << 3), ...le32(addr)],
  /** ADD dword [disp32], imm8. */
  addAbs: (addr: number, imm: number): number[] => [0x83, 0x05, ...le32(addr), imm & 0xff],
  /** DEC dword [disp32]. */
  decAbs: (addr: number): number[] => [0xff, 0x0d, ...le32(addr)],
  /** LIDT m16&32 at an absolute address. */
  lidtAbs: (addr: number): number[] => [0x0f, 0x01, 0x1d, ...le32(addr)],
  /** MOV EAX, [EDI]. */
  loadEaxEdi: [0x8b, 0x07],
  /** MOV [EDI], ESI. */
  storeEdiEsi: [0x89, 0x37],
  pushfd: [0x9c],
  iretd: [0xcf],
} as const;
