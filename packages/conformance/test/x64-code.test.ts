// The hand encodings of src/_x64.ts against an assembler's: the bytes below are what llvm-mc 14
// (`llvm-mc -triple=x86_64 -x86-asm-syntax=intel -show-encoding`) gives for the instruction in each comment.
import { describe, expect, it } from 'vitest';
import { CC, R, X64, X64Assembler } from '../src/_x64';

const { rax, rcx, rdx, rbx, rsp, rsi, rdi, r8, r9, r10, r12, r13, r14, r15 } = R;

describe('x86-64 probe program encodings', () => {
  it('each instruction', () => {
    const cases: [readonly number[], number[], string][] = [
      [X64.mov64(rsp, r15), [0x4c, 0x89, 0xfc], 'mov rsp, r15'],
      [X64.load64(rax, r12, 8), [0x49, 0x8b, 0x44, 0x24, 0x08], 'mov rax, qword ptr [r12 + 8]'],
      [X64.load32(rax, r12, 24), [0x41, 0x8b, 0x44, 0x24, 0x18], 'mov eax, dword ptr [r12 + 24]'],
      [X64.load64(rdi, r12, 0), [0x49, 0x8b, 0x3c, 0x24], 'mov rdi, qword ptr [r12]'],
      [X64.load64(rsi, r12, 56), [0x49, 0x8b, 0x74, 0x24, 0x38], 'mov rsi, qword ptr [r12 + 56]'],
      [X64.load32(rdx, r12, 40), [0x41, 0x8b, 0x54, 0x24, 0x28], 'mov edx, dword ptr [r12 + 40]'],
      [X64.load64(rbx, rbx, 0), [0x48, 0x8b, 0x1b], 'mov rbx, qword ptr [rbx]'],
      [X64.load64(r9, rsp, 0), [0x4c, 0x8b, 0x0c, 0x24], 'mov r9, qword ptr [rsp]'],
      [X64.toCr(0, rax), [0x0f, 0x22, 0xc0], 'mov cr0, rax'],
      [X64.toCr(4, rax), [0x0f, 0x22, 0xe0], 'mov cr4, rax'],
      [X64.toCr(3, rax), [0x0f, 0x22, 0xd8], 'mov cr3, rax'],
      [X64.fromCr(rax, 3), [0x0f, 0x20, 0xd8], 'mov rax, cr3'],
      [X64.fromCr(r10, 2), [0x41, 0x0f, 0x20, 0xd2], 'mov r10, cr2'],
      [X64.movImm32(rcx, 0xc000_0080), [0xb9, 0x80, 0x00, 0x00, 0xc0], 'mov ecx, 0xc0000080'],
      [X64.movImm32(r8, 0x80), [0x41, 0xb8, 0x80, 0x00, 0x00, 0x00], 'mov r8d, 0x80'],
      [X64.zero(rdx), [0x31, 0xd2], 'xor edx, edx'],
      [X64.zero(rax), [0x31, 0xc0], 'xor eax, eax'],
      [X64.zero(r8), [0x45, 0x31, 0xc0], 'xor r8d, r8d'],
      [X64.zero(r10), [0x45, 0x31, 0xd2], 'xor r10d, r10d'],
      [X64.testMem32(r12, 16, 0x40_0000), [0x41, 0xf7, 0x44, 0x24, 0x10, 0x00, 0x00, 0x40, 0x00], 'test dword ptr [r12 + 16], 0x400000'],
      [X64.testReg32(rdx, 0x1_0000), [0xf7, 0xc2, 0x00, 0x00, 0x01, 0x00], 'test edx, 0x10000'],
      [X64.cmpReg8(rdx, 1), [0x80, 0xfa, 0x01], 'cmp dl, 1'],
      [X64.store64(r13, 0, r8), [0x4d, 0x89, 0x45, 0x00], 'mov qword ptr [r13 + 0], r8'],
      [X64.store64(r13, 8, r9), [0x4d, 0x89, 0x4d, 0x08], 'mov qword ptr [r13 + 8], r9'],
      [X64.store64(r13, 24, rax), [0x49, 0x89, 0x45, 0x18], 'mov qword ptr [r13 + 24], rax'],
      [X64.store64(r13, 32, rbx), [0x49, 0x89, 0x5d, 0x20], 'mov qword ptr [r13 + 32], rbx'],
      [X64.addImm8(r12, 64), [0x49, 0x83, 0xc4, 0x40], 'add r12, 64'],
      [X64.addImm8(r13, 40), [0x49, 0x83, 0xc5, 0x28], 'add r13, 40'],
      [X64.dec64(r14), [0x49, 0xff, 0xce], 'dec r14'],
      [X64.pushImm8(0x1b), [0x6a, 0x1b], 'push 0x1b'],
      [X64.pushImm32(0x170_0000), [0x68, 0x00, 0x00, 0x70, 0x01], 'push 0x1700000'],
      [X64.push(r15), [0x41, 0x57], 'push r15'],
      [X64.push(rdi), [0x57], 'push rdi'],
      [X64.jmpReg(rdi), [0xff, 0xe7], 'jmp rdi'],
      [X64.lidtAbs(0x170_0000), [0x0f, 0x01, 0x1c, 0x25, 0x00, 0x00, 0x70, 0x01], 'lidt [0x1700000]'],
      [X64.ltr(0x28), [0x66, 0xb8, 0x28, 0x00, 0x0f, 0x00, 0xd8], 'mov ax, 0x28; ltr ax'],
      [X64.int(0x80), [0xcd, 0x80], 'int 0x80'],
      [X64.loadRaxRdi, [0x48, 0x8b, 0x07], 'mov rax, qword ptr [rdi]'],
      [X64.storeRdiRsi, [0x48, 0x89, 0x37], 'mov qword ptr [rdi], rsi'],
      [X64.pushfq, [0x9c], 'pushfq'],
      [X64.iretq, [0x48, 0xcf], 'iretq'],
      [X64.wrmsr, [0x0f, 0x30], 'wrmsr'],
      [X64.wrpkru, [0x0f, 0x01, 0xef], 'wrpkru'],
      [X64.stac, [0x0f, 0x01, 0xcb], 'stac'],
      [X64.clac, [0x0f, 0x01, 0xca], 'clac'],
    ];
    for (const [ours, theirs, text] of cases) expect([...ours], text).toEqual(theirs);
  });

  it('jumps: rel32 from the end of the instruction, backwards and forwards', () => {
    const a = new X64Assembler(0x1000);
    a.label('top').emit(X64.zero(rax)).jcc(CC.ne, 'top').jmp('next').label('next');
    // xor eax, eax; jne top (-8: 0f 85 f8 ff ff ff); jmp next (+0: e9 00 00 00 00)
    expect([...a.finish()]).toEqual([0x31, 0xc0, 0x0f, 0x85, 0xf8, 0xff, 0xff, 0xff, 0xe9, 0x00, 0x00, 0x00, 0x00]);
    expect(() => X64.load64(rax, r12, 200)).toThrow(RangeError);
  });
});
