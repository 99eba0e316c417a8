// ptdump on x86 32-bit and PAE paging: `--arch x86` without IA32_EFER assumes protected mode (and says so), a 32-bit
// paging dump lists with CR4 alone, and an EM_386 core is x86 unless the IA32_EFER given has LME set.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHES } from '@page-table-multiarch/cli';
import { MappingFlags, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import { X86PageTable32 } from '@page-table-multiarch/x86_64';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedRuns, listedRuns, MACHINE, registerArgs, runCli, tempDir, writeElfCore } from './_support';

const tmp = tempDir();
afterAll(() => tmp.remove());

function listJson(args: string[]) {
  const r = runCli([...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('ptdump --arch x86', () => {
  it('PAE paging without --efer: LME = 0 and NXE = 1 assumed and said; the listing is the one with EFER given', () => {
    const arch = ARCHES.find((a) => a.name === 'x86')!;
    const sample = arch.sample();
    const path = join(tmp.dir, 'pae.bin');
    writeFileSync(path, sample.memory.bytes());
    const base = ['--arch', 'i386', '--base', `0x${sample.memory.base.toString(16)}`, path];
    const cr = ['--cr3', `0x${sample.registers['cr3']!.toString(16)}`, '--cr4', '0x20'];
    const doc = listJson([...base, ...cr]);
    expect(doc.arch).toBe('x86');
    expect(doc.format).toBe('x86 PAE paging');
    expect(doc.notes).toContain('IA32_EFER not given: LME = 0 and NXE = 1 assumed');
    expect(listedRuns(doc)).toEqual(listedRuns(listJson([...base, ...cr, '--efer', '0x800'])));
    expect(listedRuns(doc)).toEqual(expectedRuns(arch, [sample.tables[0]!.table], sample.registers));
  });

  it('32-bit paging: CR4.PSE gives 4 MiB pages, without it the same PDE is a page-table pointer', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const table = new X86PageTable32(memory);
    const c = table.cursor();
    c.map(0xc040_0000n, 0x80_0000n, PageSize.Size4M, MappingFlags.READ | MappingFlags.WRITE);
    c.map(0x0804_8000n, 0x20_0000n, PageSize.Size4K, MappingFlags.READ | MappingFlags.USER);
    c.flush();
    const path = join(tmp.dir, 'x86-32.bin');
    writeFileSync(path, memory.bytes());
    const args = ['--arch', 'x86', '--base', '0x100000', '--cr3', `0x${table.rootPaddr.toString(16)}`, path];
    const pse = listJson([...args, '--cr4', '0x10']);
    expect(pse.format).toBe('x86 32-bit paging');
    expect(listedRuns(pse).map((r) => [r.vaddr, r.pageSize])).toEqual([
      ['0x8048000', 0x1000],
      ['0xc0400000', 0x40_0000],
    ]);
    // without PSE the 4 MiB PDE points at "a page table" at 0x800000, outside the dump: reported, not listed
    const noPse = listJson([...args, '--cr4', '0']);
    expect(noPse.format).toBe('x86 32-bit paging (no PSE)');
    expect(listedRuns(noPse).map((r) => r.vaddr)).toEqual(['0x8048000']);
    expect(noPse.summary.diagnostics).toBe(1);
  });

  it('an EM_386 core is x86, or x86_64 when the --efer given has LME (bit 8) set', () => {
    const x64 = ARCHES.find((a) => a.name === 'x86_64')!.sample();
    const path = join(tmp.dir, 'em386.elf');
    writeElfCore(path, [{ paddr: x64.memory.base, bytes: x64.memory.bytes() }], { bits: 32, machine: MACHINE['x86']! });
    expect(listJson([...registerArgs(x64), path]).arch).toBe('x86_64');
    const pae = ARCHES.find((a) => a.name === 'x86')!.sample();
    writeElfCore(path, [{ paddr: pae.memory.base, bytes: pae.memory.bytes() }], { bits: 32, machine: MACHINE['x86']! });
    expect(listJson([...registerArgs(pae), path]).arch).toBe('x86');
  });
});
