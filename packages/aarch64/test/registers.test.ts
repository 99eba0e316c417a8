// decodeA64Registers and a64Inspector against register values built from the TCR_EL1 / TCR_EL2 / TTBRn_ELx field
// positions of the Arm ARM (DDI 0487), and dumps that start below level 0.
import { A64PageTable, a64Inspector, decodeA64Registers } from '@page-table-multiarch/aarch64';
import { dumpMappings, type MappingRun, MappingFlags, PageSize, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';

// TCR_EL1 fields
const T0SZ = (n: number) => BigInt(n); // [5:0]
const EPD0 = 1n << 7n;
const TG0_4K = 0b00n << 14n; // [15:14]
const TG0_64K = 0b01n << 14n;
const TG0_16K = 0b10n << 14n;
const T1SZ = (n: number) => BigInt(n) << 16n; // [21:16]
const EPD1 = 1n << 23n;
const TG1_16K = 0b01n << 30n; // [31:30]: note the different encoding
const TG1_4K = 0b10n << 30n;
const IPS_48 = 0b101n << 32n; // [34:32]
const TBI1 = 1n << 38n;
const HPD1 = 1n << 42n;
const DS = 1n << 59n;
const TOP = 1n << 64n;

const LINUX_48 = T0SZ(16) | TG0_4K | T1SZ(16) | TG1_4K | IPS_48;

function plan(regs: Parameters<typeof decodeA64Registers>[0]) {
  const p = decodeA64Registers(regs);
  if (p instanceof RegisterError) throw p;
  return p;
}
const err = (regs: Parameters<typeof decodeA64Registers>[0]) => decodeA64Registers(regs) as RegisterError;

describe('decodeA64Registers', () => {
  it('T0SZ = T1SZ = 16 with 4KB granules: TTBR0 the lower 256 TiB, TTBR1 the upper, level 0 walks', () => {
    expect(LINUX_48).toBe(0x5_8010_0010n);
    const p = plan({ ttbr0: (0x1n << 48n) | 0x4000_1000n, ttbr1: 0x4000_2000n, tcr: LINUX_48 });
    expect(p.format.name).toBe('AArch64 EL1&0, 4 KiB granule');
    expect(p.roots).toEqual([
      { root: 0x4000_1000n, vaStart: 0n, vaEnd: 1n << 48n, vaBits: 48, startLevel: 0, kernel: false, tableLimits: true, tagBits: 8, tagsIgnored: false, label: 'TTBR0_EL1' },
      { root: 0x4000_2000n, vaStart: 0xffff_0000_0000_0000n, vaEnd: TOP, vaBits: 48, startLevel: 0, kernel: true, tableLimits: true, tagBits: 8, tagsIgnored: false, label: 'TTBR1_EL1' },
    ]);
    expect(p.notes).toContain('TTBR0_EL1: ASID 0x1');
  });

  it('the starting level and first-table size follow TnSZ (D8.2)', () => {
    // T1SZ = 25: 39-bit, walk from level 1, a full 4 KiB table
    const a = plan({ ttbr1: 0x8000_3000n, tcr: T0SZ(16) | T1SZ(25) | TG1_4K }).roots[0]!;
    expect(a).toMatchObject({ vaStart: 0xffff_ff80_0000_0000n, vaBits: 39, startLevel: 1, root: 0x8000_3000n });
    // T0SZ = 20: 44-bit, level 0 with 32 entries: a 256-byte table aligned to 256
    const b = plan({ ttbr0: 0x8000_0100n, tcr: T0SZ(20) }).roots[0]!;
    expect(b).toMatchObject({ vaEnd: 1n << 44n, vaBits: 44, startLevel: 0, root: 0x8000_0100n });
    // T0SZ = 36: 28-bit, level 2 with 128 entries (1 KiB); BADDR bits below that alignment are ignored, with a note
    const c = plan({ ttbr0: 0x8000_0440n | 1n, tcr: T0SZ(36) });
    expect(c.roots[0]).toMatchObject({ vaEnd: 1n << 28n, vaBits: 28, startLevel: 2, root: 0x8000_0400n });
    expect(c.notes).toContain('TTBR0_EL1: BADDR bits below the 1024-byte table alignment are RES0 and were ignored');
    expect(c.notes).toContain('TTBR0_EL1: CnP = 1');
  });

  it('EPDn, HPDn and TBIn', () => {
    const p = plan({ ttbr0: 0x1000n, ttbr1: 0x2000n, tcr: LINUX_48 | EPD0 | HPD1 | TBI1 });
    expect(p.roots.map((r) => r.label)).toEqual(['TTBR1_EL1']);
    expect(p.roots[0]!.tableLimits).toBe(false);
    expect(p.notes.join('\n')).toMatch(/EPD0 = 1.*\n.*hierarchical permissions disabled.*\n.*TBI1 = 1/);
    expect(err({ ttbr1: 0x2000n, tcr: LINUX_48 | EPD1 })).toMatchObject({ code: 'Missing' });
  });

  it('the 16KB and 64KB granules (TG0 0b10 / 0b01, TG1 0b01 / 0b11); out-of-range TnSZ are Unsupported', () => {
    // 64KB, 48 bits: lookup level 1 with 64 entries, the first level of the 64KB dump format
    const g64 = plan({ ttbr0: 0x1_0000n, tcr: T0SZ(16) | TG0_64K });
    expect(g64.format.name).toBe('AArch64 EL1&0, 64 KiB granule');
    expect(g64.roots[0]).toMatchObject({ vaBits: 48, startLevel: 0 });
    // 16KB, 47 bits: lookup level 1 with 2048 entries
    const g16 = plan({ ttbr1: 0x4000n, tcr: T1SZ(17) | TG1_16K });
    expect(g16.format.name).toBe('AArch64 EL1&0, 16 KiB granule');
    expect(g16.roots[0]).toMatchObject({ vaBits: 47, startLevel: 1, vaStart: 0xffff_8000_0000_0000n });
    expect(plan({ ttbr0: 0x4000n, tcr: T0SZ(16) | TG0_16K }).roots[0]).toMatchObject({ vaBits: 48, startLevel: 0 });
    // TG1 = 0b00 is reserved, and 0b00 is 4KB only for TG0
    expect(err({ ttbr1: 0x1000n, tcr: T1SZ(16) })).toMatchObject({ code: 'Invalid', register: 'TCR_EL1.TG1', message: expect.stringMatching(/reserved/) });
    // below 16 (more than 48 bits) only with DS = 1 (4KB, 16KB) or the 64KB granule (FEAT_LVA); never below 12
    expect(err({ ttbr0: 0x1000n, tcr: T0SZ(12) })).toMatchObject({ code: 'Unsupported', register: 'TCR_EL1.T0SZ', message: expect.stringMatching(/DS = 1/) });
    expect(err({ ttbr0: 0x4000n, tcr: T0SZ(15) | TG0_16K })).toMatchObject({ code: 'Unsupported', register: 'TCR_EL1.T0SZ' });
    expect(err({ ttbr0: 0x1000n, tcr: T0SZ(11) | DS })).toMatchObject({ code: 'Unsupported', register: 'TCR_EL1.T0SZ' });
    expect(err({ ttbr0: 0x1_0000n, tcr: T0SZ(11) | TG0_64K })).toMatchObject({ code: 'Unsupported', register: 'TCR_EL1.T0SZ' });
    expect(err({ ttbr0: 0x1000n, tcr: T0SZ(40) })).toMatchObject({ code: 'Unsupported', register: 'TCR_EL1.T0SZ' });
    expect(err({ tcr: LINUX_48 })).toMatchObject({ code: 'Missing' });
  });

  it('EL2 with E2H = 0: TTBR0_EL2 and the TCR_EL2 layout', () => {
    const tcrEl2 = T0SZ(16) | (0b101n << 16n) | (1n << 24n); // PS = 48-bit, HPD
    const p = plan({ ttbr0: 0x4000_0000n, tcr: tcrEl2, el2: true });
    expect(p.format.name).toBe('AArch64 EL2, 4 KiB granule');
    expect(p.roots).toEqual([
      expect.objectContaining({ label: 'TTBR0_EL2', vaStart: 0n, vaEnd: 1n << 48n, kernel: true, tableLimits: false }),
    ]);
    expect(err({ ttbr0: 0x1000n, ttbr1: 0x2000n, el2: true })).toMatchObject({ code: 'Invalid', register: 'TTBR1_EL2' });
  });
});

describe('a64Inspector', () => {
  const { WRITE, EXECUTE, USER } = MappingFlags;
  const ALL = 63;
  const hiBit = (n: number) => 1 << (n - 32);
  it('APTable[1], APTable[0], UXNTable and PXNTable (D8.3.1.1)', () => {
    const t = a64Inspector().tableLimit!;
    expect(t(3, hiBit(62), 0)).toBe((ALL & ~WRITE) | ((ALL & ~WRITE) << 8));
    expect(t(3, hiBit(61), 0)).toBe(ALL | ((ALL & ~USER) << 8));
    expect(t(3, hiBit(60), 0)).toBe(ALL | ((ALL & ~EXECUTE) << 8));
    expect(t(3, hiBit(59), 0)).toBe((ALL & ~EXECUTE) | (ALL << 8));
    // EL2: bit 60 is XNTable for everything, bits 61 and 59 are RES0
    const e = a64Inspector({ el2: true }).tableLimit!;
    expect(e(3, hiBit(60), 0)).toBe((ALL & ~EXECUTE) | ((ALL & ~EXECUTE) << 8));
    expect(e(3, hiBit(61) | hiBit(59), 0)).toBe(ALL | (ALL << 8));
  });

  it('describes descriptors', () => {
    expect(a64Inspector().describe!(0x4000_0787, hiBit(54), 3, true)).toBe('PAGE Attr1 AP=RO ISH AF UXN');
    expect(a64Inspector().describe!(0x4000_0707, hiBit(54), 3, true)).toBe('PAGE Attr1 AP=RW ISH AF UXN');
    expect(a64Inspector().describe!(0x4000_0003, hiBit(62) | hiBit(59), 0, false)).toBe('APTable.RO PXNTable');
  });
});

describe('dumps through decoded roots', () => {
  const { READ, WRITE, EXECUTE, USER } = MappingFlags;
  it('a TTBR1 with T1SZ = 25 points at a level-1 table: the walk starts there, addresses in full', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const table = new A64PageTable(memory);
    table.cursor().map(0xffff_ff80_0020_0000n, 0x4080_0000n, PageSize.Size2M, READ | WRITE);
    // the level-1 table that root entry 511 points at is what a 39-bit TTBR1 would hold
    const l1 = memory.readU64(table.rootPaddr + 511n * 8n) & 0x0000_ffff_ffff_f000n;
    const p = plan({ ttbr1: l1, tcr: T0SZ(16) | T1SZ(25) | TG1_4K });
    const runs = [...dumpMappings({ ...p.format, handler: memory }, { roots: p.roots })] as MappingRun[];
    expect(runs.map((r) => [r.vaddr, r.paddr, r.pageSize, r.level])).toEqual([[0xffff_ff80_0020_0000n, 0x4080_0000n, 2 << 20, 2]]);
  });

  it('hierarchical limits apply to the effective flags unless TCR.HPD1 = 1', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const table = new A64PageTable(memory);
    table.cursor().map(0xffff_0000_0000_1000n, 0x4080_0000n, PageSize.Size4K, READ | WRITE | EXECUTE);
    // root entry 0: APTable[1] (no writes below) and PXNTable (no EL1 execution below)
    memory.writeU64(table.rootPaddr, memory.readU64(table.rootPaddr) | (1n << 62n) | (1n << 59n));
    const effective = (tcr: bigint) => {
      const p = plan({ ttbr1: table.rootPaddr, tcr });
      return ([...dumpMappings({ ...p.format, handler: memory }, { roots: p.roots })][0] as MappingRun).effective;
    };
    expect(effective(LINUX_48)).toBe(READ);
    expect(effective(LINUX_48 | HPD1)).toBe(READ | WRITE | EXECUTE);
    // a USER page keeps EXECUTE under PXNTable (UXNTable would take it)
    table.cursor().map(0xffff_0000_0000_2000n, 0x4081_0000n, PageSize.Size4K, READ | EXECUTE | USER);
    const p = plan({ ttbr1: table.rootPaddr, tcr: LINUX_48 });
    const runs = [...dumpMappings({ ...p.format, handler: memory }, { roots: p.roots })] as MappingRun[];
    expect(runs[1]!.effective).toBe(READ | EXECUTE | USER);
  });
});
