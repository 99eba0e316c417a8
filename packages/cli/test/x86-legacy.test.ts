// ptdump on x86 32-bit and PAE paging: `--arch x86` without IA32_EFER assumes protected mode (and says so), a 32-bit
// paging dump lists with CR4 alone, and an EM_386 core is x86 unless the IA32_EFER given has LME set.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHES } from '@page-table-multiarch/cli';
import { MappingFlags, type PageTable64, PageSize, PhysicalMemory, translateAddress } from '@page-table-multiarch/core';
import { X86PageTable32, X86PaePageTable } from '@page-table-multiarch/x86_64';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedRuns, listedRuns, MACHINE, registerArgs, runCli, tempDir, writeElfCore, jsonDump } from './_support';

const tmp = tempDir();
afterAll(() => tmp.remove());

function listJson(args: string[]) {
  const r = runCli([...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return jsonDump(r.stdout);
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

// Linux's IA32_PAT (arch/x86/mm/pat/memtype.c): PA0..PA7 = WB, WC, UC-, UC, WB, WP, UC-, WT
const LINUX_PAT = '0x0407050600070106';

/** ORs `bits` into the low word of the leaf of `va` in `image`, a copy of the table's memory (which starts at `base`). */
function orLeaf(image: Uint8Array, base: bigint, table: PageTable64, va: bigint, bits: number): void {
  const entry = Number(translateAddress(table, va).steps.at(-1)!.entryPaddr - base);
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  view.setUint32(entry, view.getUint32(entry, true) | bits, true);
}

/** Each listed run's flags and attribute bits, by its first address. */
function attrsByVa(doc: { records: Record<string, unknown>[] }): Record<string, string> {
  return Object.fromEntries(doc.records.filter((r) => r['kind'] === 'mapping').map((r) => [r['vaddr'], `${r['flags']}: ${r['attrs']}`]));
}

describe('ptdump --arch x86 --pat: memory types through IA32_PAT (SDM Vol. 3A "PAT Indexing")', () => {
  const { READ, WRITE } = MappingFlags;
  const PWT = 1 << 3;
  const PCD = 1 << 4;
  const PAT_PTE = 1 << 7; // bit 7 of a PTE (Tables 4-6, 4-11)
  const PAT_HUGE = 1 << 12; // bit 12 of a 4 MiB / 2 MiB PDE (Tables 4-4, 4-9)

  /** Lists the table with each leaf's PAT:PCD:PWT bits ORed in, with and without Linux's PAT. */
  function list(table: PageTable64, memory: PhysicalMemory, cr4: string, leaves: readonly [bigint, number][]) {
    const image = memory.bytes().slice();
    for (const [va, bits] of leaves) orLeaf(image, memory.base, table, va, bits);
    const path = join(tmp.dir, `pat-${cr4}.bin`);
    writeFileSync(path, image);
    const args = ['--arch', 'x86', '--base', `0x${memory.base.toString(16)}`, '--cr3', `0x${table.rootPaddr.toString(16)}`, '--cr4', cr4, path];
    return { linux: attrsByVa(listJson([...args, '--pat', LINUX_PAT])), plain: attrsByVa(listJson(args)) };
  }

  it('PAE: PAT is bit 7 of a PTE and bit 12 of a 2 MiB page', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const table = new X86PaePageTable(memory);
    const c = table.cursor();
    c.map(0x1000n, 0x20_0000n, PageSize.Size4K, READ | WRITE);
    c.map(0x2000n, 0x20_1000n, PageSize.Size4K, READ | WRITE);
    c.map(0x40_0000n, 0x40_0000n, PageSize.Size2M, READ | WRITE);
    c.flush();
    const { linux, plain } = list(table, memory, '0x20', [
      [0x1000n, PWT], // PAT index 1: WC
      [0x2000n, PAT_PTE | PCD | PWT], // index 7: WT, cached although PCD is set
      [0x40_0000n, PAT_HUGE | PCD], // index 6: UC-
    ]);
    expect(linux).toEqual({
      '0x1000': 'READ | WRITE | UNCACHED: P RW PWT XD WC',
      '0x2000': 'READ | WRITE: P RW PWT PCD PAT XD WT',
      '0x400000': 'READ | WRITE | UNCACHED: P RW PCD PS PAT XD UC-',
    });
    // without --pat: PCD alone says UNCACHED, and no memory type is named
    expect(plain).toEqual({
      '0x1000': 'READ | WRITE: P RW PWT XD',
      '0x2000': 'READ | WRITE | UNCACHED: P RW PWT PCD PAT XD',
      '0x400000': 'READ | WRITE | UNCACHED: P RW PCD PS PAT XD',
    });
  });

  it('32-bit paging: PAT is bit 7 of a PTE and bit 12 of a 4 MiB page', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const table = new X86PageTable32(memory);
    const c = table.cursor();
    c.map(0x1000n, 0x20_0000n, PageSize.Size4K, READ | WRITE);
    c.map(0x40_0000n, 0x40_0000n, PageSize.Size4M, READ | WRITE);
    c.flush();
    const { linux, plain } = list(table, memory, '0x10', [
      [0x1000n, PAT_PTE | PCD], // index 6: UC-
      [0x40_0000n, PAT_HUGE | PWT], // index 5: WP
    ]);
    expect(linux).toEqual({
      '0x1000': 'READ | WRITE | EXECUTE | UNCACHED: P RW PCD PAT UC-',
      '0x400000': 'READ | WRITE | EXECUTE: P RW PWT PS PAT WP',
    });
    expect(plain).toEqual({
      '0x1000': 'READ | WRITE | EXECUTE | UNCACHED: P RW PCD PAT',
      '0x400000': 'READ | WRITE | EXECUTE: P RW PWT PS PAT',
    });
    // a PAT with a reserved entry is refused, as for x86_64
    const bad = runCli(['--arch', 'x86', '--base', '0x100000', '--cr3', '0x100000', '--cr4', '0x10', '--pat', '0x0407050600070102', join(tmp.dir, 'pat-0x10.bin')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/IA32_PAT 0x407050600070102: PA0 = 2 is a reserved memory type/);
  });
});
