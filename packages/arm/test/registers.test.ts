// decodeA32Registers against TTBR0 / TTBR1 / TTBCR values built from ARM DDI 0406C (B4.1.153 TTBCR, B4.1.154 TTBR0,
// B4.1.155 TTBR1, B3.5.4 the TTBR0 / TTBR1 split), and dumps through both roots.
import { A32PageTable, a32Inspector, decodeA32Registers } from '@page-table-multiarch/arm';
import { dumpMappings, type MappingRun, MappingFlags, PageSize, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';

const EAE = 1n << 31n;
const PD0 = 1n << 4n;
const FOUR_G = 1n << 32n;
function plan(regs: Parameters<typeof decodeA32Registers>[0]) {
  const p = decodeA32Registers(regs);
  if (p instanceof RegisterError) throw p;
  return p;
}

describe('decodeA32Registers', () => {
  it('TTBCR.N = 0: TTBR0 bits 31:14 translate everything, split for listings at the kernel start', () => {
    // TTBR0 attribute bits: IRGN[0] (6), RGN = 0b01 (4:3), S (1)
    const p = plan({ ttbr0: 0x4000_4000n | 0x4an, ttbcr: 0n });
    expect(p.format.name).toBe('ARMv7 short-descriptor');
    expect(p.roots).toEqual([
      { root: 0x4000_4000n, vaStart: 0n, vaEnd: 0xc000_0000n, vaBits: 32, kernel: false, label: 'TTBR0' },
      { root: 0x4000_4000n, vaStart: 0xc000_0000n, vaEnd: FOUR_G, vaBits: 32, kernel: true, label: 'TTBR0 (kernel)' },
    ]);
    expect(plan({ ttbr0: 0x4000_4000n, kernelStart: FOUR_G }).roots).toHaveLength(1);
    expect(decodeA32Registers({ ttbr0: 0x4000_4000n, kernelStart: 0xc000_1000n })).toMatchObject({ code: 'Invalid' });
  });

  it('TTBCR.N = 2: TTBR0 bits 31:12 (a 4 KiB table) for the lowest GiB, TTBR1 for the rest', () => {
    const p = plan({ ttbr0: 0x4000_1000n | 0x4an, ttbr1: 0x4000_8000n | 0x2n, ttbcr: 2n });
    expect(p.roots).toEqual([
      { root: 0x4000_1000n, vaStart: 0n, vaEnd: 0x4000_0000n, vaBits: 30, kernel: false, label: 'TTBR0' },
      { root: 0x4000_8000n, vaStart: 0x4000_0000n, vaEnd: FOUR_G, vaBits: 32, kernel: true, label: 'TTBR1' },
    ]);
  });

  it('TTBCR.EAE = 1 is Unsupported; PDn and missing TTBRs', () => {
    expect(decodeA32Registers({ ttbr0: 0x4000n, ttbcr: EAE })).toMatchObject({ code: 'Unsupported', register: 'TTBCR.EAE' });
    expect(decodeA32Registers({ ttbcr: 0n })).toMatchObject({ code: 'Missing', register: 'TTBR0' });
    expect(decodeA32Registers({ ttbr0: 0x4000n, ttbcr: PD0 })).toMatchObject({ code: 'Missing' });
    const p = plan({ ttbr0: 0x4000n, ttbr1: 0x8000n, ttbcr: PD0 | 1n });
    expect(p.roots.map((r) => r.label)).toEqual(['TTBR1']);
    expect(p.notes[0]).toMatch(/PD0 = 1/);
  });
});

describe('dumps', () => {
  const { READ, WRITE, EXECUTE, USER } = MappingFlags;
  it('N = 2 reads the first 4 KiB of an L1 table through TTBR0 and a whole one through TTBR1', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const table = new A32PageTable(memory);
    const c = table.cursor();
    c.map(0x10_0000n, 0x4010_0000n, PageSize.Size4K, READ | EXECUTE | USER);
    c.map(0xc000_0000n, 0x4000_0000n, PageSize.Size1M, READ | WRITE);
    c.map(0x4000_0000n, 0x4020_0000n, PageSize.Size1M, READ); // above the split: TTBR1's
    const p = plan({ ttbr0: table.rootPaddr, ttbr1: table.rootPaddr, ttbcr: 2n });
    const runs = [...dumpMappings({ ...p.format, handler: memory }, { roots: p.roots })] as MappingRun[];
    expect(runs.map((r) => [r.vaddr, r.pageSize, r.kernel, r.root])).toEqual([
      [0x10_0000n, 4096, false, 0],
      [0x4000_0000n, 1 << 20, true, 1],
      [0xc000_0000n, 1 << 20, true, 1],
    ]);
  });

  it('a Supersection and a Large page (16 identical entries each) are listed once, at their size', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const table = new A32PageTable(memory);
    table.cursor().map(0x1000n, 0x4010_0000n, PageSize.Size4K, READ | USER); // an L2 table for VA 0..1M
    const l2 = BigInt(memory.readU32(table.rootPaddr) & 0xffff_fc00);
    // B3.5.1: a Supersection at VA 0x1000_0000 -> PA 0x4100_0000 (bit 18, type 0b10, AP[1:0] = 0b01, XN), 16 L1 entries
    for (let i = 0; i < 16; i++) memory.writeU32(table.rootPaddr + BigInt((0x100 + i) * 4), 0x4100_0000 | (1 << 18) | (1 << 10) | (1 << 4) | 0b10);
    // a Large page at VA 0x1_0000 -> PA 0x4050_0000 (type 0b01, AP[1:0] = 0b11), 16 L2 entries
    for (let i = 0; i < 16; i++) memory.writeU32(l2 + BigInt((0x10 + i) * 4), 0x4050_0000 | (0b11 << 4) | 0b01);
    const p = plan({ ttbr0: table.rootPaddr });
    const runs = [...dumpMappings({ ...p.format, handler: memory }, { roots: p.roots })] as MappingRun[];
    expect(runs.map((r) => [r.vaddr, r.paddr, r.pageSize, r.pages, r.flags])).toEqual([
      [0x1000n, 0x4010_0000n, 4096, 1, READ | USER],
      // TEX = 0, C = B = 0: Strongly-ordered, read as DEVICE (B3.8.2)
      [0x1_0000n, 0x4050_0000n, 0x1_0000, 1, READ | WRITE | USER | EXECUTE | MappingFlags.DEVICE],
      [0x1000_0000n, 0x4100_0000n, 0x100_0000, 1, READ | WRITE | MappingFlags.DEVICE],
    ]);
    expect(p.format.inspector!.describe!(Number(runs[2]!.bits), 0, 0, true)).toBe('SUPERSECTION AP=RW TEX0 XN');
  });

  it('PXN in a Page table descriptor removes kernel execution below it; AP = 0b100 is reserved', () => {
    const insp = a32Inspector();
    expect(insp.tableLimit!(0x4000_0001 | 4, 0, 0)).toBe((63 & ~EXECUTE) | (63 << 8));
    // a Small page with AP[2] = 1, AP[1:0] = 0b00
    expect(insp.problem!(0x4000_0202, 0, 1, true)).toMatch(/AP\[2:0\] = 0b100 is reserved/);
    expect(insp.describe!(0x4000_0c12, 0, 0, true)).toBe('SECTION AP=RW/RW TEX0 XN dom0');
  });
});
