// 16 KiB and 64 KiB pages: the geometry and walk-controller values of each format, checked field by field against
// the LoongArch Reference Manual Vol. 1 (v1.10) 7.5.8 PWCL and 7.5.9 PWCH, and the tables read back by a walk written
// here from 4.2.5.1 LDDIR / 4.2.5.2 LDPTE and 5.4.5 (the directory and huge-page entry formats), driven only by the
// CSR values encodeLA64Registers gives.
import { dumpMappings, type MappingRun, MappingFlags, PagingError, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import {
  decodeLA64Registers,
  encodeLA64Registers,
  type LA64PageTable,
  LA64PageTable16K3,
  LA64PageTable64K2,
  LA64PageTable64K3,
  la64Geometry,
  la64MetaData,
  PWCH_VALUE,
  PWCL_VALUE,
} from '@page-table-multiarch/loongarch64';
import { describe, expect, it } from 'vitest';
import { expectRefused } from '../../../test/support/refused';
import { Rng } from '../../../test/support/rng';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
const TOP = 1n << 64n;

/** PWCL from its fields (7.5.8): PTbase [4:0], PTwidth [9:5], Dir1 [14:10]/[19:15], Dir2 [24:20]/[29:25], PTEWidth [31:30]. */
const pwcl = (ptBase: number, ptWidth: number, d1Base = 0, d1Width = 0, d2Base = 0, d2Width = 0, pteWidth = 0): bigint =>
  BigInt(ptBase | (ptWidth << 5) | (d1Base << 10) | (d1Width << 15) | (d2Base << 20) | (d2Width << 25)) | (BigInt(pteWidth) << 30n);
/** PWCH from its fields (7.5.9): Dir3 [5:0]/[11:6], Dir4 [17:12]/[23:18]. */
const pwch = (d3Base: number, d3Width: number, d4Base = 0, d4Width = 0): bigint => BigInt(d3Base | (d3Width << 6) | (d4Base << 12) | (d4Width << 18));

// Linux: arch/loongarch/mm/tlb.c setup_ptwalker puts the PGD in Dir3, the PMD in Dir1 (three levels or more) and
// the PUD in Dir2 (four), each PAGE_SHIFT - 3 bits wide; the PT at PAGE_SHIFT.
const LINUX = [
  { name: '16 KiB, 3 levels', pageKiB: 16, levels: 3, vaBits: 47, pwcl: pwcl(14, 11, 25, 11), pwch: pwch(36, 11), names: ['Dir3', 'Dir1', 'PT'] },
  { name: '64 KiB, 2 levels', pageKiB: 64, levels: 2, vaBits: 42, pwcl: pwcl(16, 13), pwch: pwch(29, 13), names: ['Dir3', 'PT'] },
  { name: '64 KiB, 3 levels', pageKiB: 64, levels: 3, vaBits: 55, pwcl: pwcl(16, 13, 29, 13), pwch: pwch(42, 13), names: ['Dir3', 'Dir1', 'PT'] },
] as const;

describe('la64Geometry: PWCL and PWCH field by field (7.5.8, 7.5.9)', () => {
  it.each(LINUX)('$name: the values Linux writes', (row) => {
    const g = la64Geometry(row.pageKiB, row.levels);
    expect([BigInt(g.pwcl), BigInt(g.pwch)]).toEqual([row.pwcl, row.pwch]);
    expect(g.vaBits).toBe(row.vaBits);
    expect(g.levelNames).toEqual(row.names);
    const meta = la64MetaData(row.pageKiB, row.levels, row.vaBits >= 48 ? 'both' : 'lower');
    expect(meta.pageShift).toBe(Number(row.pwcl & 0x1fn));
    expect(meta.indexBits).toEqual(Array(row.levels).fill(Number((row.pwcl >> 5n) & 0x1fn)));
    // one table is one page: 2^(pageShift - 3) entries of 8 bytes
    expect(meta.tableBytes).toEqual(Array(row.levels).fill(row.pageKiB * 1024));
  });

  it('4 KiB with 4 levels is PWCL_VALUE / PWCH_VALUE, and the same metadata object as before', () => {
    const g = la64Geometry(4, 4);
    expect([g.pwcl, g.pwch]).toEqual([PWCL_VALUE, PWCH_VALUE]);
    expect(la64MetaData(4, 4).name).toBe('loongarch64');
  });

  it('huge pages: 32 MiB (16 KiB pages) and 512 MiB (64 KiB) in the PMD, the level above the PT', () => {
    expect(la64MetaData(16, 3, 'lower').levelSize).toEqual([2 ** 36, 2 ** 25, 2 ** 14]);
    expect(la64MetaData(16, 3, 'lower').leafLevels).toEqual([1, 2]);
    expect(la64MetaData(64, 2, 'upper').levelSize).toEqual([2 ** 29, 2 ** 16]);
    expect(la64MetaData(64, 2, 'upper').leafLevels).toEqual([0, 1]);
    expect(la64MetaData(64, 3).leafLevels).toEqual([1, 2]);
  });

  it('other sizes, depths and halves: RangeError, and a table constructor allocates nothing', () => {
    expect(() => la64Geometry(16, 2)).toThrow(RangeError);
    expect(() => la64Geometry(4, 3)).toThrow(RangeError);
    expect(() => la64Geometry(64, 4)).toThrow(RangeError);
    expect(() => la64Geometry(8 as never, 3)).toThrow(RangeError);
    expect(() => la64MetaData(16, 3, 'both')).toThrow(/serves 'lower' or 'upper'/);
    expect(() => la64MetaData(64, 3, 'upper')).toThrow(/serves 'both' halves/);
    const memory = new PhysicalMemory({ size: 1 << 20 });
    expect(() => new LA64PageTable16K3(memory, { half: 'both' })).toThrow(RangeError);
    expect(() => new LA64PageTable64K3(memory, { half: 'lower' })).toThrow(RangeError);
    expect(memory.framesInUse).toBe(0);
  });
});

/**
 * The walk of LDDIR / LDPTE (4.2.5.1, 4.2.5.2) as the refill handler runs it, from the CSRs alone: the root from PGDL
 * or PGDH (bit 47 of the address, 7.5.5 / 7.5.6), then each directory that PWCH / PWCL enable (width not 0), from
 * Dir4 down to Dir1: index = VA[base + width - 1 : base], entry = 8 bytes there; a directory entry with bit 6 set is a
 * huge page of 2^base bytes whose address is bits 47:13 (bit 12 is its G, 5.4.5), any other is the next table's
 * address; at the PT level an entry with V (bit 0) maps a 2^PTbase-byte page at bits 47:12.
 */
function lddirWalk(memory: PhysicalMemory, csr: { pgdl: bigint; pgdh: bigint; pwcl: bigint; pwch: bigint }, va: bigint): bigint | null {
  const f = (v: bigint, lsb: number, width: number): number => Number((v >> BigInt(lsb)) & ((1n << BigInt(width)) - 1n));
  const dirs = [
    [f(csr.pwch, 12, 6), f(csr.pwch, 18, 6)],
    [f(csr.pwch, 0, 6), f(csr.pwch, 6, 6)],
    [f(csr.pwcl, 20, 5), f(csr.pwcl, 25, 5)],
    [f(csr.pwcl, 10, 5), f(csr.pwcl, 15, 5)],
  ].filter(([, w]) => w !== 0) as [number, number][];
  const index = (base: number, width: number): bigint => (va >> BigInt(base)) & ((1n << BigInt(width)) - 1n);
  let table = (va >> 47n) & 1n ? csr.pgdh : csr.pgdl;
  for (const [base, width] of dirs) {
    const e = memory.readU64(table + index(base, width) * 8n);
    // an empty directory entry sends the walker to the table at physical 0 (no valid bit, 4.2.5.1), which an OS keeps
    // zeroed: nothing is mapped below it
    if (e === 0n) return null;
    if ((e >> 6n) & 1n) return e & 1n ? (e & 0xffff_ffff_e000n) + (va & ((1n << BigInt(base)) - 1n)) : null;
    table = e & 0xffff_ffff_f000n;
  }
  const ptBase = f(csr.pwcl, 0, 5);
  const e = memory.readU64(table + index(ptBase, f(csr.pwcl, 5, 5)) * 8n);
  return e & 1n ? (e & 0xffff_ffff_f000n) + (va & ((1n << BigInt(ptBase)) - 1n)) : null;
}

/** Random pages and huge pages in the given ranges of `table`; returns the addresses mapped and some that are not. */
function fillRandom(table: LA64PageTable, ranges: readonly [bigint, bigint][], seed: number): { mapped: bigint[]; holes: bigint[] } {
  const rng = new Rng(seed);
  const meta = table.meta;
  const page = BigInt(meta.levelSize[meta.levels - 1]!);
  const huge = BigInt(meta.levelSize[meta.levels - 2]!);
  const cursor = table.cursor();
  const mapped: bigint[] = [];
  const holes: bigint[] = [];
  let pa = 1n << 36n;
  for (const [start, end] of ranges) {
    for (let i = 0; i < 12; i++) {
      const isHuge = i % 3 === 0;
      const size = isHuge ? huge : page;
      const va = start + (BigInt(rng.below(Number((end - start) / huge))) * huge) + (isHuge ? 0n : BigInt(rng.below(Number(huge / page))) * page);
      const flags = [READ, READ | WRITE, READ | EXECUTE | USER][i % 3]!;
      try {
        cursor.map(va, pa, Number(size), flags);
      } catch (e) {
        // a page inside a huge page mapped before, or the other way round: not this test's subject
        if (e instanceof PagingError && (e.code === 'AlreadyMapped' || e.code === 'MappedToHugePage')) continue;
        throw e;
      }
      mapped.push(va, va + size - 8n);
      pa += huge;
    }
    holes.push(start + (end - start) / 2n + 0x123n * page);
  }
  cursor.flush();
  return { mapped, holes };
}

describe('the CSRs of encodeLA64Registers make an LDDIR / LDPTE walk find what query() finds', () => {
  const memory = () => new PhysicalMemory({ size: 32 << 20, base: 0x100_0000n });

  it('16 KiB, 3 levels: a lower table in PGDL, an upper one in PGDH', () => {
    const mem = memory();
    const user = new LA64PageTable16K3(mem);
    const kernel = new LA64PageTable16K3(mem, { half: 'upper' });
    const lo = fillRandom(user, [[0n, 1n << 36n], [(1n << 47n) - (1n << 36n), 1n << 47n]], 1);
    const hi = fillRandom(kernel, [[TOP - (1n << 47n), TOP - (1n << 47n) + (1n << 36n)], [TOP - (1n << 36n), TOP]], 2);
    const csr = encodeLA64Registers(user, kernel);
    expect([csr.pwcl, csr.pwch]).toEqual([pwcl(14, 11, 25, 11), pwch(36, 11)]);
    for (const [t, { mapped, holes }] of [[user, lo], [kernel, hi]] as const) {
      expect(mapped.length).toBeGreaterThan(30);
      for (const va of mapped) expect(lddirWalk(mem, csr, va), `0x${va.toString(16)}`).toBe(t.query(va).paddr);
      for (const va of holes) expect(lddirWalk(mem, csr, va)).toBeNull();
    }
  });

  it('64 KiB, 2 levels: the same, with 512 MiB huge pages in the root', () => {
    const mem = memory();
    const user = new LA64PageTable64K2(mem);
    const kernel = new LA64PageTable64K2(mem, { half: 'upper' });
    const lo = fillRandom(user, [[0n, 1n << 36n], [(1n << 42n) - (1n << 36n), 1n << 42n]], 3);
    const hi = fillRandom(kernel, [[TOP - (1n << 42n), TOP - (1n << 42n) + (1n << 36n)]], 4);
    const csr = encodeLA64Registers(user, kernel);
    expect([csr.pwcl, csr.pwch]).toEqual([pwcl(16, 13), pwch(29, 13)]);
    for (const [t, { mapped }] of [[user, lo], [kernel, hi]] as const) {
      for (const va of mapped) expect(lddirWalk(mem, csr, va), `0x${va.toString(16)}`).toBe(t.query(va).paddr);
    }
  });

  it('64 KiB, 3 levels: one table for both halves, the upper half in root entries 8160..8191', () => {
    const mem = memory();
    const table = new LA64PageTable64K3(mem);
    const { mapped, holes } = fillRandom(table, [[0n, 1n << 40n], [TOP - (1n << 40n), TOP]], 5);
    const csr = encodeLA64Registers(table);
    expect(csr.pgdl).toBe(csr.pgdh);
    expect([csr.pwcl, csr.pwch]).toEqual([pwcl(16, 13, 29, 13), pwch(42, 13)]);
    for (const va of mapped) expect(lddirWalk(mem, csr, va), `0x${va.toString(16)}`).toBe(table.query(va).paddr);
    for (const va of holes) expect(lddirWalk(mem, csr, va)).toBeNull();
    const used: number[] = [];
    table.walk(8192, (level, index) => {
      if (level === 0) used.push(index);
    });
    expect(used.some((i) => i >= 8160) && used.some((i) => i < 32)).toBe(true);
    expect(used.every((i) => i < 32 || i >= 8160)).toBe(true);
  });

  it('refuses tables that do not fit the registers (TypeError), touching nothing', () => {
    const mem = memory();
    const lower = new LA64PageTable16K3(mem);
    const upper = new LA64PageTable16K3(mem, { half: 'upper' });
    const other = new LA64PageTable64K2(mem, { half: 'upper' });
    expectRefused(mem, () => encodeLA64Registers(lower), TypeError); // a lower table cannot serve PGDH
    expectRefused(mem, () => encodeLA64Registers(upper, upper), TypeError);
    expect(expectRefused(mem, () => encodeLA64Registers(lower, other), TypeError).message).toMatch(/16 KiB pages and 3 levels/);
  });
});

describe('decodeLA64Registers reads the page size from PWCL.PTbase and the depth from the directories', () => {
  it.each(LINUX)('$name: the format, and the range of each root', (row) => {
    const p = decodeLA64Registers({ pgdl: 0x10_0000n, pgdh: 0x20_0000n, pwcl: row.pwcl, pwch: row.pwch | (1n << 24n) });
    if (p instanceof RegisterError) throw p;
    expect(p.format.meta.pageShift).toBe(Math.log2(row.pageKiB * 1024));
    expect(p.format.meta.levels).toBe(row.levels);
    expect(p.format.name).toBe(`LoongArch64 ${row.levels}-level, ${row.pageKiB} KiB pages`);
    expect(p.format.inspector?.levelNames).toEqual(row.names);
    const span = 1n << BigInt(Math.min(row.vaBits, 47));
    expect(p.roots.map((r) => [r.label, r.vaStart, r.vaEnd])).toEqual([
      ['PGDL', 0n, span],
      ['PGDH', TOP - span, TOP],
    ]);
    expect(p.notes.length).toBe(row.vaBits < 47 ? 1 : 0);
  });

  it('a 3-level table whose PMD is Dir2 rather than Dir1 is the same format', () => {
    const p = decodeLA64Registers({ pgdl: 0x10_0000n, pwcl: pwcl(14, 11, 0, 0, 25, 11), pwch: pwch(36, 11) });
    if (p instanceof RegisterError) throw p;
    expect([p.format.meta.pageShift, p.format.meta.levels]).toEqual([14, 3]);
  });

  it('what the tables cannot be: Unsupported, naming the register', () => {
    const bad: [bigint, bigint, string, RegExp][] = [
      [pwcl(13, 10, 23, 10), pwch(33, 10), 'PWCL', /PTbase 13/], // 8 KiB pages
      [pwcl(14, 10, 24, 10), pwch(34, 10), 'PWCL', /PTwidth is not 11/], // tables of half a page
      [pwcl(14, 11, 26, 11), pwch(37, 11), 'PWCL', /Dir1 is not 11 bits from VA bit 25/], // a gap between levels
      [pwcl(14, 11, 25, 11), pwch(37, 11), 'PWCH', /Dir3 is not 11 bits from VA bit 36/],
      [pwcl(14, 11), pwch(25, 11), 'PWCH', /16 KiB pages with 2 levels/], // Linux's 16KB_2LEVEL: not supported
      [pwcl(16, 13, 29, 13), pwch(42, 13, 55, 13), 'PWCH', /64 KiB pages with 4 levels/], // Dir4 in use
      [pwcl(14, 11, 25, 11, 0, 0, 1), pwch(36, 11), 'PWCL', /PTEWidth/],
    ];
    for (const [l, h, register, message] of bad) {
      const e = decodeLA64Registers({ pgdl: 0x4000n, pwcl: l, pwch: h });
      expect(e, `${l.toString(16)} ${h.toString(16)}`).toBeInstanceOf(RegisterError);
      expect(e).toMatchObject({ code: 'Unsupported', register });
      expect((e as RegisterError).message).toMatch(message);
    }
  });

  it('lists 16 KiB tables from their CSRs: pages and 32 MiB huge pages, each half through its own root', () => {
    const memory = new PhysicalMemory({ size: 4 << 20, base: 0x100_0000n });
    const user = new LA64PageTable16K3(memory);
    const kernel = new LA64PageTable16K3(memory, { half: 'upper' });
    user.cursor().mapRegion(0x1_2000_0000n, 0x4000_0000n, 3n * 0x4000n, READ | EXECUTE | USER, false);
    kernel.cursor().mapRegion(0xffff_8000_0200_0000n, 0x8000_0000n, 2n << 25n, READ | WRITE, true);
    const p = decodeLA64Registers(encodeLA64Registers(user, kernel));
    if (p instanceof RegisterError) throw p;
    const runs = [...dumpMappings({ ...p.format, handler: memory }, { roots: p.roots })] as MappingRun[];
    expect(runs.map((r) => [r.vaddr, r.paddr, r.pageSize, r.pages, r.kernel])).toEqual([
      [0x1_2000_0000n, 0x4000_0000n, 0x4000, 3, false],
      [0xffff_8000_0200_0000n, 0x8000_0000n, 1 << 25, 2, true],
    ]);
  });
});
