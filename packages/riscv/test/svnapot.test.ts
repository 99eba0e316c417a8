// Svnapot as a table option, against the privileged specification, chapter "Svnapot Standard Extension for NAPOT
// Translation Contiguity": N is bit 63 of a leaf; table "Page table entry encodings when pte.N=1": at level 0 (our
// last level), ppn[0][3:0] = 0b1000 is a 64 KiB NAPOT page, every other value reserved; N is reserved in non-leaf
// PTEs and in superpages. A 64 KiB page is 16 identical entries, each with the page's PPN and ppn[0][3:0] = 0b1000.
import { dumpMappings, type MappingRun, MappingFlags, PageSize, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import {
  decodeRiscvSatp,
  Rv64PTELegal,
  rvFormat,
  rvInspector,
  Sv32PageTable,
  Sv39PageTable,
  Sv39PageTableXuantie,
  Sv39SvnapotMetaData,
  Sv39x4PageTable,
  Sv48PageTable,
  Sv57PageTable,
} from '@page-table-multiarch/riscv';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE } = MappingFlags;
const RW = READ | WRITE;
const N = 1n << 63n;
const PERM_RW = 0xc7n; // V R W A D
const ppn = (pa: bigint) => (pa >> 12n) << 10n;
const SIZE_64K = PageSize.Size64K;
const mem = () => new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
// the 16 last-level entries of a 64 KiB page at index space `va`, as walk() reports them
const lastLevel = (t: Sv39PageTable, from: bigint, count: number) => {
  const out: bigint[] = [];
  const mask = (1n << 39n) - 1n;
  t.walk(Number.POSITIVE_INFINITY, undefined, (level, _i, va, bits) => {
    if (level === 2 && (va & mask) >= from && out.length < count) out.push(bits);
  });
  return out;
};

describe('Svnapot tables', () => {
  it('map of 64 KiB writes 16 identical entries: N, the PPN with ppn[0][3:0] = 0b1000, the leaf bits', () => {
    const t = new Sv39PageTable(mem(), { svnapot: true });
    t.cursor().map(0x4001_0000n, 0x9_0003_0000n, SIZE_64K, RW);
    const entry = N | ppn(0x9_0003_0000n) | (0b1000n << 10n) | PERM_RW;
    expect(lastLevel(t, 0x4000_0000n, 32)).toEqual(Array(16).fill(entry));
    // the Sv39 metadata with Svnapot: 16-entry runs at the last level, taken by map as pages
    expect(t.meta).toBe(Sv39SvnapotMetaData);
    expect(Sv39SvnapotMetaData.runBits).toEqual([0, 0, 4]);
    t.destroy();
  });

  it('query, queryNumber, mappings and dumps read the 16 entries as one 64 KiB page', () => {
    const m = mem();
    const t = new Sv48PageTable(m, { svnapot: true });
    const c = t.cursor();
    c.map(0x4000_f000n, 0x9_0000_f000n, PageSize.Size4K, RW); // a plain page in the same last-level table
    c.map(0x4001_0000n, 0x9_0003_0000n, SIZE_64K, READ | EXECUTE);
    expect(t.query(0x4001_abcdn)).toEqual({ paddr: 0x9_0003_abcdn, flags: READ | EXECUTE, size: 0x1_0000 });
    // the number forms: after a lookup in the same last-level table (the walk cache's window), and on a miss
    expect(t.queryNumber(0x4000_f010)).toBe(0x9_0000_f010);
    expect(t.queryNumber(0x4001_fff0)).toBe(0x9_0003_fff0);
    expect(t.lastSize).toBe(0x1_0000);
    t.invalidate();
    expect(t.queryNumber(0x4001_0008)).toBe(0x9_0003_0008);
    expect([...t.mappings()].map((x) => [x.vaddr, x.paddr, x.size])).toEqual([
      [0x4000_f000n, 0x9_0000_f000n, 0x1000],
      [0x4001_0000n, 0x9_0003_0000n, 0x1_0000],
    ]);
    const p = decodeRiscvSatp({ satp: (9n << 60n) | (t.rootPaddr >> 12n), svnapot: true });
    if (p instanceof RegisterError) throw p;
    expect(p.format.name).toBe('Sv48 (Svnapot)');
    const runs = [...dumpMappings({ ...p.format, handler: m }, { roots: p.roots })] as MappingRun[];
    expect(runs.map((r) => [r.vaddr, r.paddr, r.pageSize])).toEqual([
      [0x4000_f000n, 0x9_0000_f000n, 0x1000],
      [0x4001_0000n, 0x9_0003_0000n, 0x1_0000],
    ]);
    t.destroy();
  });

  it('mapRegion with runs writes 64 KiB pages where both addresses allow, 4 KiB pages elsewhere', () => {
    const t = new Sv57PageTable(mem(), { svnapot: true });
    t.cursor().mapRegion(0x4000_f000n, 0x9_0000_f000n, 0x2_2000n, RW, true, { runs: true });
    expect([...t.mappings()].map((x) => [x.vaddr, x.size])).toEqual([
      [0x4000_f000n, 0x1000],
      [0x4001_0000n, 0x1_0000],
      [0x4002_0000n, 0x1_0000],
      [0x4003_0000n, 0x1000],
    ]);
    t.destroy();
  });

  it('a change to one 4 KiB page rewrites the 16 entries as plain pages first, each with its own PPN', () => {
    const t = new Sv39PageTable(mem(), { svnapot: true });
    const c = t.cursor();
    c.map(0x4001_0000n, 0x9_0003_0000n, SIZE_64K, RW);
    expect(c.protect(0x4001_5000n, READ)).toBe(0x1000);
    expect(lastLevel(t, 0x4001_0000n, 16)).toEqual(
      Array.from({ length: 16 }, (_, i) => ppn(0x9_0003_0000n + BigInt(i) * 0x1000n) | (i === 5 ? 0xc3n : PERM_RW)),
    );
    expect(t.query(0x4001_5123n)).toEqual({ paddr: 0x9_0003_5123n, flags: READ, size: 0x1000 });
    t.destroy();
  });

  it('refuses a 64 KiB page not 64 KiB aligned, and 64 KiB without Svnapot, changing nothing', () => {
    const m = mem();
    const napot = new Sv39PageTable(m, { svnapot: true });
    const plain = new Sv39PageTable(m);
    const before = m.bytes().slice();
    const frames = m.framesInUse;
    for (const [va, pa] of [
      [0x4001_1000n, 0x9_0003_0000n],
      [0x4001_0000n, 0x9_0003_8000n],
    ] as const) {
      expect(() => napot.cursor().map(va, pa, SIZE_64K, RW)).toThrowError(expect.objectContaining({ code: 'NotAligned' }));
    }
    expect(() => plain.cursor().map(0x4001_0000n, 0x9_0003_0000n, SIZE_64K, RW)).toThrowError(expect.objectContaining({ code: 'UnsupportedPageSize' }));
    expect(Buffer.compare(m.bytes(), before)).toBe(0);
    expect(m.framesInUse).toBe(frames);
    // a 64 KiB page over a mapped 4 KiB one: all or nothing
    napot.cursor().map(0x4002_3000n, 0x9_0000_0000n, PageSize.Size4K, RW);
    const mid = m.bytes().slice();
    const midFrames = m.framesInUse;
    expect(() => napot.cursor().map(0x4002_0000n, 0x9_0004_0000n, SIZE_64K, RW)).toThrowError(expect.objectContaining({ code: 'AlreadyMapped' }));
    expect(Buffer.compare(m.bytes(), mid)).toBe(0);
    expect(m.framesInUse).toBe(midFrames);
    napot.destroy();
    plain.destroy();
  });

  it('the option is a boolean, for Sv39, Sv48 and Sv57 only', () => {
    const m = mem();
    expect(() => new Sv39PageTable(m, { svnapot: 'yes' } as never)).toThrow(TypeError);
    expect(() => new Sv39PageTableXuantie(m, { svnapot: true } as never)).toThrow(TypeError);
    expect(() => new Sv39x4PageTable(m, { svnapot: true } as never)).toThrow(TypeError);
    expect(() => new Sv32PageTable(m, { svnapot: true } as never)).toThrow(TypeError);
    expect(m.framesInUse).toBe(0);
    expect(() => rvFormat(8, true, false, true)).toThrow(RangeError);
    expect(decodeRiscvSatp({ satp: 8n << 60n, xuantie: true, svnapot: true })).toBeInstanceOf(RegisterError);
  });

  it('the inspector reports N with a size other than 64 KiB as reserved', () => {
    const insp = rvInspector({ levels: 3 });
    const entry = (bits: bigint) => [Number(bits & 0xffff_ffffn), Number(bits >> 32n)] as const;
    const good = Rv64PTELegal.newPage(0x9_0003_0000n, RW, false) | N | (0b1000n << 10n);
    const [gLo, gHi] = entry(good);
    expect(insp.problem!(gLo, gHi, 2, true)).toBeUndefined();
    const [bLo, bHi] = entry((good & ~(0xfn << 10n)) | (0b0100n << 10n)); // a 32 KiB NAPOT: reserved
    expect(insp.problem!(bLo, bHi, 2, true)).toMatch(/0b1000/);
  });
});
