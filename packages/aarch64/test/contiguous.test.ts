// The Contiguous bit (Arm ARM DDI 0487 D8, "The Contiguous bit"; bit 52 of Block and Page descriptors, D8.3.1.2):
// the run sizes per granule and level, the descriptors mapRegion writes with `{ runs: true }`, the reading of runs
// built by someone else (query, listings, dumps, translation), and the rule of "Misprogramming the Contiguous bit":
// a change inside a run clears the bit on the whole run first.
import {
  A64PageTable,
  A64PageTable16K47,
  A64PageTable64K42,
  A64PTEImpliedRead,
  a64Geometry,
  a64MetaData,
  DescriptorAttr,
  decodeA64Registers,
} from '@page-table-multiarch/aarch64';
import { dumpMappings, type MappingRun, MappingFlags, type PageSize, PhysicalMemory, translateAddress } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE } = MappingFlags;
const RW = READ | WRITE;
const CONT = DescriptorAttr.CONTIGUOUS;
const KiB = 1024n;
const MiB = 1024n * KiB;
const GiB = 1024n * MiB;

describe('run sizes per granule and level (D8, "The Contiguous bit")', () => {
  it('16 entries with 4 KiB at levels 1 to 3; 32 and 128 with 16 KiB; 32 with 64 KiB; none where there are no leaves', () => {
    expect(a64Geometry(4, 48).runBits).toEqual([0, 4, 4, 4]);
    expect(a64Geometry(4, 39).runBits).toEqual([4, 4, 4]); // starts at lookup level 1
    expect(a64Geometry(16, 48).runBits).toEqual([0, 0, 5, 7]);
    expect(a64Geometry(16, 36).runBits).toEqual([5, 7]);
    expect(a64Geometry(64, 48).runBits).toEqual([0, 5, 5]); // lookup levels 1..3
    expect(a64Geometry(64, 42).runBits).toEqual([5, 5]);
    // the metadata carries them; runs are a hint, not a page size map takes
    expect(a64MetaData(16, 47, 'upper').runBits).toEqual([0, 5, 7]);
    expect(a64MetaData(16, 47, 'upper').runPages).toBe(false);
  });
});

describe('mapRegion with runs', () => {
  const mem = () => new PhysicalMemory({ size: 16 << 20, base: 0x4000_0000n });

  it('writes each page of a whole aligned run as the plain descriptor with bit 52 set, and reads it as one run', () => {
    const m = mem();
    const t = new A64PageTable(m);
    const c = t.cursor();
    c.mapRegion(0x20_0000n, 0x8000_0000n, 64n * KiB, RW, false, { runs: true });
    // each level-3 descriptor: its own page's output address (bits 47:12), the plain page's attributes, bit 52
    const leaves: bigint[] = [];
    t.walk(Number.POSITIVE_INFINITY, undefined, (level, _i, _va, bits) => {
      if (level === 3) leaves.push(bits);
    });
    expect(leaves).toEqual(Array.from({ length: 16 }, (_, i) => A64PTEImpliedRead.newPage(0x8000_0000n + BigInt(i) * 4096n, RW, false, 3) | CONT));
    expect(t.query(0x20_f123n)).toEqual({ paddr: 0x8000_f123n, flags: RW, size: 0x1_0000 });
    expect([...t.mappings()].map((x) => [x.vaddr, x.paddr, x.size])).toEqual([[0x20_0000n, 0x8000_0000n, 0x1_0000]]);
    t.destroy();
  });

  it('writes runs of blocks: 16 x 2 MiB (4 KiB granule), 32 x 32 MiB (16 KiB), and pages: 128 x 16 KiB, 32 x 64 KiB', () => {
    const cases = [
      { t: new A64PageTable(mem()), va: 0x4000_0000n, size: 32n * MiB, run: 32n * MiB, huge: true },
      { t: new A64PageTable16K47(mem()), va: 0x8000_0000n, size: GiB, run: GiB, huge: true },
      { t: new A64PageTable16K47(mem()), va: 0x20_0000n, size: 2n * MiB, run: 2n * MiB, huge: false },
      { t: new A64PageTable64K42(mem()), va: 0x20_0000n, size: 4n * MiB, run: 2n * MiB, huge: false },
    ];
    for (const { t, va, size, run, huge } of cases) {
      t.cursor().mapRegion(va, 0x1_0000_0000n, size, RW, huge, { runs: true });
      const listed = [...t.mappings()];
      expect(listed.map((x) => BigInt(x.size)), t.meta.name).toEqual(Array(Number(size / run)).fill(run));
      expect(listed.every((x) => (x.bits & CONT) !== 0n)).toBe(true);
      expect(t.query(va + size - 1n)).toEqual({ paddr: 0x1_0000_0000n + size - 1n, flags: RW, size: Number(run) });
      t.destroy();
    }
  });

  it('without runs, the entries are the crate-compatible ones, bit 52 clear', () => {
    const t = new A64PageTable(mem());
    t.cursor().mapRegion(0x20_0000n, 0x8000_0000n, 64n * KiB, RW, false);
    expect([...t.mappings()].every((x) => (x.bits & CONT) === 0n && x.size === 4096)).toBe(true);
    t.destroy();
  });

  it('map does not take a run size: the Contiguous bit is a hint over pages, not a page size', () => {
    const m = mem();
    const t = new A64PageTable(m);
    const before = m.bytes().slice();
    expect(() => t.cursor().map(0x20_0000n, 0x8000_0000n, 0x1_0000 as PageSize, RW)).toThrowError(expect.objectContaining({ code: 'UnsupportedPageSize' }));
    expect(Buffer.compare(m.bytes(), before)).toBe(0);
    t.destroy();
  });
});

describe('a change inside a run clears the Contiguous bit on the whole run first ("Misprogramming the Contiguous bit")', () => {
  it('protect of one page: 16 descriptors without bit 52, one with the new permissions', () => {
    const m = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const flushed: (bigint | undefined)[] = [];
    const t = new A64PageTable(m, { flushTlb: (va) => flushed.push(va) });
    const c = t.cursor();
    c.mapRegion(0x20_0000n, 0x8000_0000n, 64n * KiB, RW, false, { runs: true });
    c.flush();
    flushed.length = 0;
    c.protect(0x20_3000n, READ | EXECUTE);
    c.flush();
    const listed = [...t.mappings()];
    expect(listed.map((x) => x.size)).toEqual(Array(16).fill(4096));
    expect(listed.map((x) => x.bits & CONT)).toEqual(Array(16).fill(0n));
    expect(listed.map((x) => x.flags)).toEqual([RW, RW, RW, READ | EXECUTE, ...Array(12).fill(RW)]);
    // every page of the run was invalidated: the TLB may hold the run as one entry
    expect(new Set(flushed)).toEqual(new Set(Array.from({ length: 16 }, (_, i) => 0x20_0000n + BigInt(i) * 4096n)));
    t.destroy();
  });
});

describe('runs written by someone else', () => {
  it('query, mappings, dumps and translation read 16 descriptors with bit 52 as one 64 KiB mapping', () => {
    const m = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const own = new A64PageTable(m);
    own.cursor().mapRegion(0xffff_0000_0010_0000n, 0x9000_0000n, 64n * KiB, RW, false);
    // set bit 52 behind the table's back, as another OS would have written the run: index space 0x10_0000 is root,
    // level 1 and level 2 entry 0, level 3 entries 0x100..0x10f
    const next = (table: bigint) => m.readU64(table) & 0x0000_ffff_ffff_f000n;
    const l3 = next(next(next(own.rootPaddr)));
    for (let i = 0n; i < 16n; i++) m.writeU64(l3 + (0x100n + i) * 8n, m.readU64(l3 + (0x100n + i) * 8n) | CONT);
    const attached = new A64PageTable(m, { root: own.rootPaddr });
    expect(attached.query(0xffff_0000_0010_8000n)).toEqual({ paddr: 0x9000_8000n, flags: RW, size: 0x1_0000 });
    expect([...attached.mappings()].map((x) => [x.vaddr, x.size])).toEqual([[0x10_0000n, 0x1_0000]]);
    // TCR_EL1: T1SZ = 16, TG1 = 4 KiB (0b10), IPS = 48 bits (0b101) (D19.2 TCR_EL1)
    const p = decodeA64Registers({ ttbr1: own.rootPaddr, tcr: (16n << 16n) | (0b10n << 30n) | (0b101n << 32n) | 16n });
    if (p instanceof Error) throw p;
    const runs = [...dumpMappings({ ...p.format, handler: m }, { roots: p.roots })] as MappingRun[];
    expect(runs.map((r) => [r.vaddr, r.paddr, r.pageSize, r.pages])).toEqual([[0xffff_0000_0010_0000n, 0x9000_0000n, 0x1_0000, 1]]);
    const tr = translateAddress({ ...p.format, handler: m }, 0xffff_0000_0010_4321n, { roots: p.roots });
    expect([tr.mapped, tr.paddr, tr.pageSize]).toEqual([true, 0x9000_4321n, 0x1_0000]);
  });
});
