// decodeLA64Registers against CSR values built from the LoongArch Reference Manual Vol. 1 (v1.10) field positions:
// 7.5.5 PGDL, 7.5.6 PGDH, 7.5.8 PWCL, 7.5.9 PWCH.
import { dumpMappings, type MappingRun, MappingFlags, PageSize, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import { decodeLA64Registers, LA64PageTable, la64Inspector, PWCH_VALUE, PWCL_VALUE } from '@page-table-multiarch/loongarch64';
import { describe, expect, it } from 'vitest';

const pwcl = (ptBase: number, ptWidth: number, d1Base: number, d1Width: number, d2Base: number, d2Width: number, pteWidth = 0) =>
  BigInt(ptBase | (ptWidth << 5) | (d1Base << 10) | (d1Width << 15) | (d2Base << 20) | (d2Width << 25)) | (BigInt(pteWidth) << 30n);
const pwch = (d3Base: number, d3Width: number, d4Base = 0, d4Width = 0) => BigInt(d3Base | (d3Width << 6) | (d4Base << 12) | (d4Width << 18));
const TOP = 1n << 64n;

describe('decodeLA64Registers', () => {
  it('the 4-level 4 KiB geometry: PGDL for the lower half, PGDH for the upper (kernel) half', () => {
    expect(pwcl(12, 9, 21, 9, 30, 9)).toBe(BigInt(PWCL_VALUE));
    expect(pwch(39, 9)).toBe(BigInt(PWCH_VALUE));
    const p = decodeLA64Registers({ pgdl: 0x1000n | 0xabcn, pgdh: 0x5000n, pwcl: pwcl(12, 9, 21, 9, 30, 9), pwch: pwch(39, 9) | (1n << 24n) });
    if (p instanceof RegisterError) throw p;
    expect(p.format.name).toBe('LoongArch64 4-level, 4 KiB pages');
    expect(p.roots).toEqual([
      { root: 0x1000n, vaStart: 0n, vaEnd: 1n << 47n, kernel: false, label: 'PGDL' },
      { root: 0x5000n, vaStart: 0xffff_8000_0000_0000n, vaEnd: TOP, kernel: true, label: 'PGDH' },
    ]);
    expect(p.notes).toEqual([]);
  });

  it('defaults to PWCL_VALUE / PWCH_VALUE, with a note', () => {
    const p = decodeLA64Registers({ pgdh: 0x2000n });
    if (p instanceof RegisterError) throw p;
    expect(p.roots.map((r) => r.label)).toEqual(['PGDH']);
    expect(p.notes).toEqual(['PWCL / PWCH not given: PWCL_VALUE / PWCH_VALUE assumed']);
  });

  it('other geometries are Unsupported (16 KiB pages with 2 levels, no root directory, 128-bit entries); no root is Missing', () => {
    // Linux's 16KB_2LEVEL: 16 KiB pages, 11-bit indices, the PGD as Dir3 right above the PT (36 bits); the 16 KiB
    // 3-level, 64 KiB 2- and 3-level geometries are read (test/pages.test.ts)
    const e16 = decodeLA64Registers({ pgdl: 0x4000n, pwcl: pwcl(14, 11, 0, 0, 0, 0), pwch: pwch(25, 11) }) as RegisterError;
    expect(e16).toMatchObject({ code: 'Unsupported', register: 'PWCH' });
    expect(e16.message).toContain('PT 14/11, Dir1 0/0, Dir2 0/0, Dir3 25/11, Dir4 0/0 (base/width)');
    expect(decodeLA64Registers({ pgdl: 0x4000n, pwch: pwch(0, 0) })).toMatchObject({ code: 'Unsupported', register: 'PWCH' });
    expect(decodeLA64Registers({ pgdl: 0x4000n, pwcl: pwcl(12, 9, 21, 9, 30, 9, 1) })).toMatchObject({ code: 'Unsupported', register: 'PWCL' });
    expect(decodeLA64Registers({})).toMatchObject({ code: 'Missing' });
  });

  it('different PGDL and PGDH tables are read each for its half', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x20_0000n });
    const user = new LA64PageTable(memory);
    const kernel = new LA64PageTable(memory);
    user.cursor().map(0x1_2000_0000n, 0x30_0000n, PageSize.Size4K, MappingFlags.READ | MappingFlags.USER);
    kernel.cursor().map(0xffff_8000_0020_0000n, 0x40_0000n, PageSize.Size2M, MappingFlags.READ | MappingFlags.WRITE);
    // a stray upper-half mapping in the user table is not what PGDH translates
    user.cursor().map(0xffff_9000_0000_0000n, 0x50_0000n, PageSize.Size4K, MappingFlags.READ);
    const p = decodeLA64Registers({ pgdl: user.rootPaddr, pgdh: kernel.rootPaddr });
    if (p instanceof RegisterError) throw p;
    const runs = [...dumpMappings({ ...p.format, handler: memory }, { roots: p.roots })] as MappingRun[];
    expect(runs.map((r) => [r.vaddr, r.pageSize, r.kernel])).toEqual([
      [0x1_2000_0000n, 4096, false],
      [0xffff_8000_0020_0000n, 2 << 20, true],
    ]);
    expect(la64Inspector().describe!(Number(runs[1]!.bits & 0xffff_ffffn), Number(runs[1]!.bits >> 32n), 2, true)).toBe('V D PLV0 MAT=CC HUGE P W NX');
  });
});
