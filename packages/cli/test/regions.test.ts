// Region names: tables with a page at the start of every region of Linux's documented layouts (x86_64 4- and 5-level:
// Documentation/arch/x86/x86_64/mm.rst; arm64 48-bit: Documentation/arch/arm64/memory.rst), written out here from
// those tables, must list each page under its region's header and with its `region` in JSON, a guess marked; formats
// without a known layout get none, and --no-regions turns them off.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MappingFlags, PhysicalMemory } from '@page-table-multiarch/core';
import { A64PageTable, encodeA64Registers } from '@page-table-multiarch/aarch64';
import { X64PageTable, X64PageTable5 } from '@page-table-multiarch/x86_64';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './_support';

const tmp = tempDir();
afterAll(() => tmp.remove());

/** [start address, name, guess] rows of a documented layout. */
type Row = readonly [bigint, string, boolean];

/** mm.rst, 4-level: the start of each line of the kernel's table. */
const X86_4: Row[] = [
  [0x0000_0000_0000_0000n, 'user space', false],
  [0xffff_8000_0000_0000n, 'guard hole', false],
  [0xffff_8800_0000_0000n, 'LDT remap', false],
  [0xffff_8880_0000_0000n, 'direct map', true],
  [0xffff_c900_0000_0000n, 'vmalloc', true],
  [0xffff_ea00_0000_0000n, 'vmemmap', true],
  [0xffff_ec00_0000_0000n, 'KASAN shadow', true],
  [0xffff_fe00_0000_0000n, 'cpu_entry_area', false],
  [0xffff_ff00_0000_0000n, 'espfix', false],
  [0xffff_ffef_0000_0000n, 'EFI', false],
  [0xffff_ffff_8000_0000n, 'kernel text', false],
  [0xffff_ffff_a000_0000n, 'modules', true],
  [0xffff_ffff_ff60_0000n, 'vsyscall', false],
];

/** mm.rst, 5-level: the lines that differ from 4-level, then the shared top. */
const X86_5: Row[] = [
  [0x0000_0000_0000_0000n, 'user space', false],
  [0x00ff_ffff_ffff_f000n, 'user space', false],
  [0xff00_0000_0000_0000n, 'guard hole', false],
  [0xff10_0000_0000_0000n, 'LDT remap', false],
  [0xff11_0000_0000_0000n, 'direct map', true],
  [0xffa0_0000_0000_0000n, 'vmalloc', true],
  [0xffd4_0000_0000_0000n, 'vmemmap', true],
  [0xffdf_0000_0000_0000n, 'KASAN shadow', true],
  [0xffff_fe00_0000_0000n, 'cpu_entry_area', false],
  [0xffff_ff00_0000_0000n, 'espfix', false],
  [0xffff_ffff_8000_0000n, 'kernel text', false],
];

/** memory.rst, 4 KiB pages + 4 levels (48-bit), lower and upper range. */
const A64_48: Row[] = [
  [0x0000_0000_0040_0000n, 'user space', false],
  [0xffff_0000_0000_0000n, 'linear map', false],
  [0xffff_6000_0000_0000n, 'KASAN shadow', true],
  [0xffff_8000_0000_0000n, 'modules', true],
  [0xffff_8000_8000_0000n, 'vmalloc', true],
  [0xffff_fbff_f000_0000n, 'fixmap', true],
  [0xffff_fbff_fe80_0000n, 'PCI I/O', true],
  [0xffff_fc00_0000_0000n, 'vmemmap', true],
];

interface Listed {
  code: number;
  json: { notes: string[]; records: { kind: string; vaddr: string; region?: string; regionGuess?: boolean }[] };
  text: string;
}

/** Maps one 4 KiB page at every row's address, writes the memory out and lists it (JSON and text). */
function listRows(rows: readonly Row[], make: (m: PhysicalMemory) => { map: (va: bigint, pa: bigint) => void; regs: string[] }, extra: string[] = []): Listed {
  const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000n });
  const t = make(memory);
  for (const [i, [va]] of rows.entries()) t.map(va, BigInt(0x4000_0000 + i * 0x1000));
  const file = join(tmp.dir, `rows-${rows.length}-${extra.join('')}.bin`);
  writeFileSync(file, memory.bytes());
  const args = ['--base', '0x100000', ...t.regs, ...extra, file];
  const json = runCli([...args, '--json']);
  const text = runCli(args);
  expect(json.stderr).toBe('');
  return { code: json.code, json: JSON.parse(json.stdout), text: text.stdout };
}

const RW = MappingFlags.READ | MappingFlags.WRITE;

function x86(levels: 4 | 5) {
  return (m: PhysicalMemory) => {
    const table = levels === 4 ? new X64PageTable(m) : new X64PageTable5(m);
    const c = table.cursor();
    // Intel SDM Vol. 3A 2.5: CR4.PAE bit 5, LA57 bit 12; 2.2.1: IA32_EFER.LME bit 8, NXE bit 11
    const cr4 = levels === 4 ? '0x20' : '0x1020';
    return { map: (va: bigint, pa: bigint) => c.map(va, pa, 0x1000, RW), regs: ['--arch', 'x86_64', '--cr3', `0x${table.rootPaddr.toString(16)}`, '--cr4', cr4, '--efer', '0x900'] };
  };
}

function a64(m: PhysicalMemory) {
  const lower = new A64PageTable(m);
  const upper = new A64PageTable(m);
  const lc = lower.cursor();
  const uc = upper.cursor();
  const regs = encodeA64Registers({ ttbr0: lower, ttbr1: upper });
  return {
    map: (va: bigint, pa: bigint) => (va >> 63n === 0n ? lc : uc).map(va, pa, 0x1000, RW),
    regs: ['--arch', 'aarch64', '--ttbr0', `0x${regs.ttbr0.toString(16)}`, '--ttbr1', `0x${regs.ttbr1.toString(16)}`, '--tcr', `0x${regs.tcr.toString(16)}`],
  };
}

/** Every mapping record's address and region, as rows. */
const regionsOf = (l: Listed): Row[] =>
  l.json.records.filter((r) => r.kind === 'mapping').map((r) => [BigInt(r.vaddr), r.region!, r.regionGuess!] as const);

describe('region names', () => {
  it.each([
    ['x86_64 4-level', X86_4, x86(4), /^note: regions: Linux's x86_64 4-level layout \(Documentation\/arch\/x86\/x86_64\/mm\.rst\)/m],
    ['x86_64 5-level', X86_5, x86(5), /^note: regions: Linux's x86_64 5-level layout/m],
    ['arm64 48-bit', A64_48, a64, /^note: regions: Linux 6\.5\+'s arm64 48-bit layout \(Documentation\/arch\/arm64\/memory\.rst\)/m],
  ] as const)('%s: each page at a documented start is named after its region', (_name, rows, make, note) => {
    const listed = listRows(rows, make);
    expect(listed.code).toBe(0);
    expect(regionsOf(listed)).toEqual(rows);
    expect(listed.text).toMatch(note);
    expect(listed.json.notes.at(-1)).toMatch(/^regions: /);
    // text: a header before the first run of each region, `~` before a guess, and the run right after it
    const lines = listed.text.split('\n');
    for (const [va, name, guess] of rows) {
      const at = lines.findIndex((l) => l.startsWith(`0x${va.toString(16).padStart(16, '0')}-`));
      expect(at, `0x${va.toString(16)} listed`).toBeGreaterThan(0);
      const header = lines.slice(0, at).reverse().find((l) => l.startsWith('---['))!;
      expect(header.startsWith(`---[ ${guess ? '~' : ''}${name}`), `${header} over 0x${va.toString(16)}`).toBe(true);
    }
  });

  it('names a run after the region its first page is in, one header per region and root', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000n });
    const table = new X64PageTable(memory);
    const c = table.cursor();
    // three pages of the direct map, then one at the top of the user range (a root of its own)
    for (let i = 0n; i < 3n; i++) c.map(0xffff_8880_0000_0000n + i * 0x1000n * 2n, 0x10_0000n, 0x1000, RW);
    c.map(0x7fff_ffff_f000n, 0x10_0000n, 0x1000, RW | MappingFlags.USER);
    const file = join(tmp.dir, 'headers.bin');
    writeFileSync(file, memory.bytes());
    const out = runCli(['--arch', 'x86_64', '--base', '0x100000', '--cr3', `0x${table.rootPaddr.toString(16)}`, file]).stdout;
    expect(out.match(/^---\[ ~direct map \(page_offset_base\) \]---$/gm)).toHaveLength(1);
    expect(out.match(/^---\[ user space \]---$/gm)).toHaveLength(1);
    expect(out.indexOf('---[ user space ]---')).toBeLessThan(out.indexOf('CR3 (upper half)'));
  });

  it('--no-regions leaves out the headers, the note and the JSON field', () => {
    const listed = listRows(X86_4, x86(4), ['--no-regions']);
    expect(listed.text).not.toMatch(/^note: regions|^---\[ (~|user space|kernel text)/m);
    expect(listed.json.records.every((r) => !('region' in r) && !('regionGuess' in r))).toBe(true);
    expect(listed.json.notes.some((n) => n.startsWith('regions:'))).toBe(false);
  });

  it('names nothing where no layout is known: 32-bit paging, arm64 with 39-bit addresses, RISC-V', () => {
    for (const arch of ['x86', 'riscv64', 'arm']) {
      const out = runCli(['--arch', arch]).stdout;
      expect(out, arch).not.toContain('regions:');
      expect(out).not.toMatch(/^---\[ ~/m);
    }
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000n });
    const upper = new A64PageTable(memory, { vaBits: 39 });
    upper.cursor().map(0xffff_ff80_0000_0000n, 0x4000_0000n, 0x1000, RW);
    const file = join(tmp.dir, 'a64-39.bin');
    writeFileSync(file, memory.bytes());
    const regs = encodeA64Registers({ ttbr1: upper });
    const r = runCli(['--arch', 'aarch64', '--base', '0x100000', '--ttbr1', `0x${regs.ttbr1.toString(16)}`, '--tcr', `0x${regs.tcr.toString(16)}`, file]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('0xffffff8000000000-');
    expect(r.stdout).not.toContain('regions:');
  });
});
