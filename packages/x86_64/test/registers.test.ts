// decodeX64Registers and x64Inspector against register and entry values built from the Intel SDM's field positions
// (Vol. 3A 2.2.1 IA32_EFER, 2.5 CR0/CR4, 4.5.2 Tables 4-12/4-13 CR3, Tables 4-14..4-20 entries).
import { dumpMappings, MappingFlags, PageSize, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import { decodeX64Registers, X64PageTable, x64Inspector } from '@page-table-multiarch/x86_64';
import { describe, expect, it } from 'vitest';

// field positions from the manual
const CR0_PE = 1n << 0n;
const CR0_WP = 1n << 16n;
const CR0_PG = 1n << 31n;
const CR4_PAE = 1n << 5n;
const CR4_PGE = 1n << 7n;
const CR4_LA57 = 1n << 12n;
const CR4_PCIDE = 1n << 17n;
const CR4_SMEP = 1n << 20n;
const EFER_SCE = 1n << 0n;
const EFER_LME = 1n << 8n;
const EFER_LMA = 1n << 10n;
const EFER_NXE = 1n << 11n;
const LONG = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE; // 0xd01, what Linux runs with
const TOP = 1n << 64n;

function plan(regs: Parameters<typeof decodeX64Registers>[0]) {
  const p = decodeX64Registers(regs);
  if (p instanceof RegisterError) throw p;
  return p;
}

describe('decodeX64Registers', () => {
  it('4-level paging: CR3 bits 51:12 are the PML4, the two canonical halves, PWT/PCD noted', () => {
    expect(LONG).toBe(0xd01n);
    const p = plan({ cr3: 0x1234_5000n | 0x18n, cr4: CR4_PAE | CR4_PGE, efer: LONG, cr0: CR0_PG | CR0_WP | CR0_PE });
    expect(p.arch).toBe('x86_64');
    expect(p.format.name).toBe('x86_64 4-level');
    expect(p.format.meta.levels).toBe(4);
    expect(p.roots).toEqual([
      { root: 0x1234_5000n, vaStart: 0n, vaEnd: 1n << 47n, kernel: false, label: 'CR3 (lower half)' },
      { root: 0x1234_5000n, vaStart: 0xffff_8000_0000_0000n, vaEnd: TOP, kernel: true, label: 'CR3 (upper half)' },
    ]);
    expect(p.notes).toContain('CR3: PWT PCD set for the root table');
  });

  it('the highest root CR3 can hold (M = 52)', () => {
    expect(plan({ cr3: 0x000f_ffff_ffff_f000n }).roots[0]!.root).toBe(0x000f_ffff_ffff_f000n);
  });

  it('CR4.LA57 = 1: 5-level paging, 57-bit halves', () => {
    const p = plan({ cr3: 0x9000n, cr4: CR4_PAE | CR4_LA57, efer: LONG });
    expect(p.format.name).toBe('x86_64 5-level (LA57)');
    expect(p.format.meta.levels).toBe(5);
    expect(p.roots[0]!.vaEnd).toBe(1n << 56n);
    expect(p.roots[1]!.vaStart).toBe(0xff00_0000_0000_0000n);
    expect(p.format.inspector?.levelNames).toEqual(['PML5', 'PML4', 'PDPT', 'PD', 'PT']);
  });

  it('CR4.PCIDE = 1: bits 11:0 are the PCID', () => {
    const p = plan({ cr3: 0x7000n | 0x5n, cr4: CR4_PAE | CR4_PCIDE | CR4_SMEP, efer: LONG });
    expect(p.roots[0]!.root).toBe(0x7000n);
    expect(p.notes).toContain('CR4.PCIDE = 1: PCID 0x5');
    expect(p.notes).toContain('CR4: SMEP enabled');
  });

  it('assumptions are noted when CR4 and EFER are absent', () => {
    const p = plan({ cr3: 0x1000 });
    expect(p.format.meta.levels).toBe(4);
    expect(p.notes).toEqual(['CR4 not given: 4-level paging assumed', 'IA32_EFER not given: NXE = 1 assumed']);
  });

  it('paging off is Unsupported, LME = 0 without CR4 is Missing; reserved CR3 bits are Invalid', () => {
    const err = (regs: Parameters<typeof decodeX64Registers>[0]) => decodeX64Registers(regs) as RegisterError;
    expect(err({ cr3: 0x1000n, cr0: CR0_PE })).toMatchObject({ code: 'Unsupported', register: 'CR0.PG' });
    // 32-bit and PAE paging decode (test/legacy.test.ts); with LME = 0 only CR4.PAE tells them apart
    expect(err({ cr3: 0x1000n, efer: EFER_NXE })).toMatchObject({ code: 'Missing', register: 'CR4' });
    expect(err({ cr3: (1n << 63n) | 0x1000n })).toMatchObject({ code: 'Invalid', register: 'CR3' });
    expect(err({ cr3: 1n << 52n })).toBeInstanceOf(RegisterError);
    expect(() => decodeX64Registers({ cr3: -1 })).toThrow(/not a non-negative safe integer/);
  });

  it('IA32_EFER.NXE = 0: bit 63 of an entry is reserved', () => {
    const p = plan({ cr3: 0x1000n, efer: EFER_LME | EFER_LMA });
    expect(p.notes).toContain('IA32_EFER.NXE = 0: bit 63 of an entry is reserved, every page is executable');
    expect(p.format.inspector!.problem!(0x1003, 0x8000_0000, 3, true)).toMatch(/XD\) is set while IA32_EFER.NXE = 0/);
    expect(p.format.inspector!.problem!(0x1003, 0, 3, true)).toBeUndefined();
  });
});

describe('x64Inspector', () => {
  const insp = x64Inspector();
  const limit = (lo: number, hi: number) => insp.tableLimit!(lo, hi, 0);
  const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;
  const ALL = READ | WRITE | EXECUTE | USER | DEVICE | UNCACHED;

  it('4.6.1: R/W = 0 removes WRITE, U/S = 0 removes USER, XD removes EXECUTE, for everything below', () => {
    expect(limit(0x1007, 0)).toBe(ALL | (ALL << 8));
    expect(limit(0x1005, 0) & 63).toBe(ALL & ~WRITE);
    expect(limit(0x1003, 0) >>> 8).toBe(ALL & ~USER);
    expect(limit(0x1007, 0x8000_0000) & 63).toBe(ALL & ~EXECUTE);
  });

  it('reserved bits: PS in a PML4E, bits 29:13 of a 1G page, 20:13 of a 2M page, above MAXPHYADDR', () => {
    expect(insp.problem!(0x1087, 0, 0, true)).toMatch(/PS \(bit 7\) is set in a PML4E/);
    expect(insp.problem!(0x4000_0083 | (1 << 13), 0, 1, true)).toMatch(/bits 29:13 of a 1 GiB page/);
    expect(insp.problem!(0x4000_1083, 0, 1, true)).toBeUndefined(); // bit 12 is PAT
    expect(insp.problem!(0x0020_0083 | (1 << 20), 0, 2, true)).toMatch(/bits 20:13 of a 2 MiB page/);
    expect(insp.problem!(0x0020_0083, 0, 2, true)).toBeUndefined();
    expect(x64Inspector({ maxPhysAddr: 46 }).problem!(0x1003, 1 << 14, 3, true)).toMatch(/address bits 51:46/);
    expect(x64Inspector({ levels: 5 }).problem!(0x1087, 0, 1, true)).toMatch(/in a PML4E/);
  });

  it('runs ignore A and D; listings name the bits', () => {
    expect(insp.attrLo!(0x1063, 0, 3)).toBe(insp.attrLo!(0x1003, 0, 3));
    expect(insp.describe!(0x11e7, 0x8000_0000, 3, true)).toBe('P RW US A D PAT G XD');
    expect(insp.describe!(0x20_0083, 0, 2, true)).toBe('P RW PS');
    expect(insp.describe!(0x20_1083, 0, 2, true)).toBe('P RW PS PAT'); // bit 12 of a 2M page is PAT
  });

  it('dumps of a table whose PML4E forbids user access list the pages as kernel-only', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const table = new X64PageTable(memory);
    table.cursor().map(0x40_0000n, 0x9000n, PageSize.Size4K, READ | WRITE | USER);
    memory.writeU64(table.rootPaddr, memory.readU64(table.rootPaddr) & ~4n);
    const [run] = [...dumpMappings(table, { inspector: insp })];
    expect(run).toMatchObject({ kind: 'mapping', flags: READ | WRITE | USER, effective: READ | WRITE });
  });
});
