// decodeX64Registers and x64Inspector against register and entry values built from the Intel SDM's field positions
// (Vol. 3A 2.2.1 IA32_EFER, 2.5 CR0/CR4, 4.5.2 Tables 4-12/4-13 CR3, Tables 4-14..4-20 entries).
import { dumpMappings, MappingFlags, PageSize, PhysicalMemory, RegisterError, translateAddress } from '@page-table-multiarch/core';
import { decodeX64Registers, X64_PAT_POWER_ON, X64PageTable, X64PTE, x64Codec, x64Inspector, x64PatTypes } from '@page-table-multiarch/x86_64';
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

describe('memory types through IA32_PAT', () => {
  // Linux's IA32_PAT, as pat_bp_init() / pat_cpu_init() in arch/x86/mm/pat/memtype.c program it:
  // PAT(0, WB) | PAT(1, WC) | PAT(2, UC_MINUS) | PAT(3, UC) | PAT(4, WB) | PAT(5, WP) | PAT(6, UC_MINUS) | PAT(7, WT),
  // one byte per entry with the encodings of SDM Vol. 3A Table 11-10 (WB 6, WC 1, UC- 7, UC 0, WP 5, WT 4)
  const LINUX_PAT = 0x0407_0506_0007_0106n;
  const PWT = 1n << 3n;
  const PCD = 1n << 4n;
  const PAT_4K = 1n << 7n; // bit 7 of a PTE (Table 4-20)
  const PAT_HUGE = 1n << 12n; // bit 12 of a PDE that maps 2 MiB (Table 4-19)
  const { READ, WRITE, UNCACHED } = MappingFlags;
  /** Physical address of the leaf entry that maps `va`. */
  const leafEntry = (table: X64PageTable, va: bigint): bigint => translateAddress(table, va).steps.at(-1)!.entryPaddr;

  it('the power-on PAT and Linux\'s, entry by entry', () => {
    expect(x64PatTypes(X64_PAT_POWER_ON)).toEqual(['WB', 'WT', 'UC-', 'UC', 'WB', 'WT', 'UC-', 'UC']);
    expect(x64PatTypes(LINUX_PAT)).toEqual(['WB', 'WC', 'UC-', 'UC', 'WB', 'WP', 'UC-', 'WT']);
    expect(() => x64PatTypes(0x0002n)).toThrow(/PA0 = 2 is a reserved memory type/);
    expect(() => x64PatTypes(0x0800n)).toThrow(/PA1 = 8 is a reserved memory type/);
  });

  /** A table with one 4 KiB page per PAT index (PTE bits PAT, PCD, PWT) and a 2 MiB page with PAT (bit 12) | PWT. */
  function tables() {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const table = new X64PageTable(memory);
    const c = table.cursor();
    for (let i = 0; i < 8; i++) c.map(0x40_0000n + BigInt(i) * 0x1000n, 0x9000n + BigInt(i) * 0x1000n, PageSize.Size4K, READ | WRITE);
    c.map(0x4000_0000n, 0x20_0000n, PageSize.Size2M, READ | WRITE);
    c.flush();
    for (let i = 0; i < 8; i++) {
      const pa = leafEntry(table, 0x40_0000n + BigInt(i) * 0x1000n);
      const bits = memory.readU64(pa) & ~(PWT | PCD | PAT_4K);
      memory.writeU64(pa, bits | (i & 1 ? PWT : 0n) | (i & 2 ? PCD : 0n) | (i & 4 ? PAT_4K : 0n));
    }
    const big = leafEntry(table, 0x4000_0000n);
    memory.writeU64(big, memory.readU64(big) | PAT_HUGE | PWT);
    return { memory, table };
  }

  function uncachedPages(pat?: bigint): boolean[] {
    const { memory, table } = tables();
    const p = plan({ cr3: table.rootPaddr, cr4: CR4_PAE, efer: LONG, ...(pat === undefined ? {} : { pat }) });
    const runs = [...dumpMappings({ ...p.format, handler: memory }, { roots: p.roots, coalesce: false })];
    return runs.map((r) => r.kind === 'mapping' && (r.flags & UNCACHED) !== 0);
  }

  it('Linux\'s PAT: PWT alone is WC (not cached), PAT | PWT is WP, PAT | PCD | PWT is WT; the 2M page\'s PAT is bit 12', () => {
    // indices 0..7 of the 4K pages, then the 2 MiB page (index 5: WP under Linux's PAT, cached)
    expect(uncachedPages(LINUX_PAT)).toEqual([false, true, true, true, false, false, true, false, false]);
  });

  it('without a PAT the power-on value applies: PWT alone is WT (cached), PCD is UC- / UC, as X64PTE decodes', () => {
    const power = [false, false, true, true, false, false, true, true, false];
    expect(uncachedPages()).toEqual(power);
    expect(uncachedPages(X64_PAT_POWER_ON)).toEqual(power);
  });

  it('listings name the memory type the entry selects; a reserved PAT entry is Invalid', () => {
    const p = plan({ cr3: 0x1000n, pat: LINUX_PAT });
    expect(p.format.inspector!.describe!(0x900b, 0, 3, true)).toBe('P RW PWT WC');
    expect(p.format.inspector!.describe!(0x20_108b, 0, 2, true)).toBe('P RW PWT PS PAT WP');
    expect(plan({ cr3: 0x1000n }).format.inspector!.describe!(0x900b, 0, 3, true)).toBe('P RW PWT');
    expect(decodeX64Registers({ cr3: 0x1000n, pat: 0x0003n })).toMatchObject({ code: 'Invalid', register: 'IA32_PAT' });
  });

  it('x64Codec encodes as X64PTE and decodes as X64PTE under the power-on PAT, on 4- and 5-level entries', () => {
    const codec = x64Codec({ pat: X64_PAT_POWER_ON, levels: 5 });
    for (let f = 0; f < 64; f++) {
      expect(codec.newPage(0x5000n, f, false)).toBe(X64PTE.newPage(0x5000n, f, false));
      expect(codec.newPage(0x20_0000n, f, true)).toBe(X64PTE.newPage(0x20_0000n, f, true));
    }
    for (const lo of [0x1003, 0x100b, 0x1013, 0x101b, 0x109b, 0x108b]) {
      expect(codec.flags(BigInt(lo), 4)).toBe(X64PTE.flags(BigInt(lo)));
    }
    expect(() => x64Codec({ levels: 3 as 4 })).toThrow(RangeError);
  });
});
