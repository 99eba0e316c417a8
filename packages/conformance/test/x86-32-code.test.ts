// The 32-bit encodings of src/_x86-32.ts, and the _x64.ts ones the 32-bit probe program reuses, against an
// assembler's: the bytes below are what llvm-mc 14 (`llvm-mc -triple=i386 -x86-asm-syntax=intel -show-encoding`)
// gives for the instruction in each comment.
import { describe, expect, it } from 'vitest';
import { X64 } from '../src/_x64';
import { E, X86_32 } from '../src/_x86-32';
import { x86LegacyMmuProgram } from '../src/index';

const { eax, ecx, edx, ebx, esp, ebp, esi, edi } = E;

describe('x86 32-bit probe program encodings', () => {
  it('each instruction', () => {
    const cases: [readonly number[], number[], string][] = [
      [X64.movImm32(esp, 0x1f0_d000), [0xbc, 0x00, 0xd0, 0xf0, 0x01], 'mov esp, 0x1f0d000'],
      [X86_32.loadAbs(ebp, 0x1f0_9200), [0x8b, 0x2d, 0x00, 0x92, 0xf0, 0x01], 'mov ebp, dword ptr [0x1f09200]'],
      [X86_32.loadAbs(ebx, 0x1f0_9204), [0x8b, 0x1d, 0x04, 0x92, 0xf0, 0x01], 'mov ebx, dword ptr [0x1f09204]'],
      [X64.load32(eax, ebp, 4), [0x8b, 0x45, 0x04], 'mov eax, dword ptr [ebp + 4]'],
      [X64.load32(edi, ebp, 0), [0x8b, 0x7d, 0x00], 'mov edi, dword ptr [ebp]'],
      [X64.load32(edx, eax, 4), [0x8b, 0x50, 0x04], 'mov edx, dword ptr [eax + 4]'],
      [X64.load32(eax, edx, 0), [0x8b, 0x02], 'mov eax, dword ptr [edx]'],
      [X64.load32(edx, esp, 0), [0x8b, 0x14, 0x24], 'mov edx, dword ptr [esp]'],
      [X86_32.store(ebx, 0, eax), [0x89, 0x03], 'mov dword ptr [ebx], eax'],
      [X86_32.store(ebx, 12, eax), [0x89, 0x43, 0x0c], 'mov dword ptr [ebx + 12], eax'],
      [X86_32.store(ebx, 4, edx), [0x89, 0x53, 0x04], 'mov dword ptr [ebx + 4], edx'],
      [X86_32.store(ebx, 0, ecx), [0x89, 0x0b], 'mov dword ptr [ebx], ecx'],
      [X64.toCr(0, eax), [0x0f, 0x22, 0xc0], 'mov cr0, eax'],
      [X64.fromCr(eax, 3), [0x0f, 0x20, 0xd8], 'mov eax, cr3'],
      [X64.fromCr(edx, 2), [0x0f, 0x20, 0xd2], 'mov edx, cr2'],
      [X86_32.addAbs(0x1f0_9200, 32), [0x83, 0x05, 0x00, 0x92, 0xf0, 0x01, 0x20], 'add dword ptr [0x1f09200], 32'],
      [X86_32.decAbs(0x1f0_9208), [0xff, 0x0d, 0x08, 0x92, 0xf0, 0x01], 'dec dword ptr [0x1f09208]'],
      [X86_32.loadEaxEdi, [0x8b, 0x07], 'mov eax, dword ptr [edi]'],
      [X86_32.storeEdiEsi, [0x89, 0x37], 'mov dword ptr [edi], esi'],
      [X86_32.pushfd, [0x9c], 'pushfd'],
      [X86_32.iretd, [0xcf], 'iretd'],
      [X64.pushImm8(0x1b), [0x6a, 0x1b], 'push 0x1b'],
      [X64.pushImm32(0x1f0_d000), [0x68, 0x00, 0xd0, 0xf0, 0x01], 'push 0x1f0d000'],
      [X64.push(edi), [0x57], 'push edi'],
      [X64.jmpReg(edi), [0xff, 0xe7], 'jmp edi'],
      [X86_32.lidtAbs(0x1f0_9100), [0x0f, 0x01, 0x1d, 0x00, 0x91, 0xf0, 0x01], 'lidt [0x1f09100]'],
      [X64.testReg32(edx, 0x1_0000), [0xf7, 0xc2, 0x00, 0x00, 0x01, 0x00], 'test edx, 0x10000'],
      [X64.cmpReg8(edx, 2), [0x80, 0xfa, 0x02], 'cmp dl, 2'],
    ];
    for (const [ours, theirs, text] of cases) expect([...ours], text).toEqual(theirs);
    expect(esi).toBe(6);
  });

  it('the program holds no REX prefix or 64-bit-only instruction (it runs as 32-bit code)', () => {
    const { bytes, start, end } = x86LegacyMmuProgram();
    expect(end).toBeGreaterThan(start);
    // 0x48 (REX.W) would be DEC EAX in 32-bit code; IRETQ and the 64-bit loads of the x86-64 program all carry it
    const body = bytes.subarray(0, end - start);
    expect([...body].filter((b, i) => b === 0x48 && (body[i + 1] === 0xcf || body[i + 1] === 0x8b || body[i + 1] === 0x89))).toEqual([]);
  });
});
