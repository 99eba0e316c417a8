// The number fast paths against the full path: the specialised walk of queryNumber, map and unmap that miss the
// walk cache, mapRegion's one-table path, and the walk cache after misses. Each answer and each byte of memory
// must be what the full path gives, errors included.
import { MappingFlags, type PageTable64, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import { Sv39PageTable } from '@page-table-multiarch/riscv';
import { X64PageTable } from '@page-table-multiarch/x86_64';
import { describe, expect, it } from 'vitest';

const RW = MappingFlags.READ | MappingFlags.WRITE;

describe('the specialised walk of queryNumber', () => {
  it('defers to the full walk for pointers out of memory, blocks and bad input', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = new X64PageTable(mem);
    const c = table.cursor();
    c.map(0x40_0000n, 0x1234_5000n, PageSize.Size4K, RW);
    c.map(0x4000_0000n, 0x8000_0000n, PageSize.Size1G, RW);
    c.map(0x7f_0000_0000n, 0x5000n, PageSize.Size4K, RW);
    const other = 0x100_0000_0000; // another root entry: every lookup there starts at the root
    c.map(other, 0x6000, PageSize.Size4K, RW);
    expect(table.queryNumber(0x40_0123)).toBe(0x1234_5123);
    expect(table.queryNumber(other + 0x10)).toBe(0x6010);
    expect(table.queryNumber(0x4000_0000 + 0x1234_5678)).toBe(0x8000_0000 + 0x1234_5678);
    expect(table.lastSize).toBe(PageSize.Size1G);
    expect(table.queryNumber(0x7f_0000_0fff)).toBe(0x5fff);
    expect(table.queryNumber(0x40_1000)).toBe(-1);
    expect(table.queryNumber(0x80_0000_0000)).toBe(-1);
    expect(() => table.queryNumber(2 ** 47)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    // the root entry of `other` now points past the end of memory: both walks report it
    const rootEntry = table.rootPaddr + 8n * 2n;
    mem.writeU64(rootEntry, (mem.readU64(rootEntry) & 0xfffn) | 0x9000_0000n);
    expect(() => table.queryNumber(other + 0x10)).toThrowError(expect.objectContaining({ code: 'CorruptTable' }));
    expect(() => table.query(other + 0x10)).toThrowError(expect.objectContaining({ code: 'CorruptTable' }));
  });

  it.each([
    ['x86_64', () => new X64PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n }))],
    ['Sv39', () => new Sv39PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n }))],
  ])('%s: agrees with query for addresses whose low word is 2^31 or more, and refuses what is not a number', (_name, make) => {
    const table = make();
    const c = table.cursor();
    const vas = [0x3f_8000_0000, 0x1_ffff_f000, 0x20_c000_0000, 0x8000_0000, 0x3f_ffff_f000];
    for (const [k, va] of vas.entries()) c.map(va, 0x7000_0000 + k * 0x1000, PageSize.Size4K, k % 2 === 0 ? RW : MappingFlags.READ);
    for (let round = 0; round < 3; round++) {
      // each lookup is in another last-level table than the one before: every one is a walk
      for (const [k, va] of vas.entries()) {
        const off = (k * 0x123) & 0xfff;
        expect(table.queryNumber(va + off)).toBe(0x7000_0000 + k * 0x1000 + off);
        const q = table.query(BigInt(va + off));
        expect(table.lastFlags).toBe(q.flags);
        expect(table.lastSize).toBe(q.size);
        expect(table.queryNumber(va - 0x1000)).toBe(-1);
      }
    }
    for (const bad of [5n, '4096', 0.5, -4096, Number.NaN, 2 ** 53]) {
      expect(() => table.queryNumber(bad as number)).toThrow(RangeError);
    }
  });

  it.each([
    // the format, its address field for a physical address and back, and an address under another root entry
    ['x86_64', (m: PhysicalMemory) => new X64PageTable(m), (pa: bigint) => pa, (e: bigint) => e & 0xf_ffff_f000n, 0x80_0000_0000],
    ['Sv39', (m: PhysicalMemory) => new Sv39PageTable(m), (pa: bigint) => (pa >> 12n) << 10n, (e: bigint) => (e >> 10n) << 12n, 0x4000_0000],
  ] as const)('%s: follows a table pointer to the last frame of memory, and not past either end', (_name, make, field, target, other) => {
    const base = 0x8000_0000n;
    const size = 1n << 20n;
    const mem = new PhysicalMemory({ size: Number(size), base });
    const table = make(mem);
    const va = 0x40_0000;
    table.cursor().map(va, 0x1234_5000, PageSize.Size4K, RW);
    table.cursor().map(other, 0x6000, PageSize.Size4K, RW);
    // the root entry for va links the level-1 table: point it at a copy of that table elsewhere
    const link = table.rootPaddr;
    const good = mem.readU64(link);
    const copyTo = (pa: bigint) => {
      mem.reserve(pa, 4096);
      mem.writeBytes(pa, mem.bytes(target(good), 4096).slice());
    };
    const pointAt = (pa: bigint) => mem.writeU64(link, (good & 0x3ffn) | field(pa));
    const last = base + size - 4096n;
    copyTo(last);
    for (const pa of [last, base + size, base - 4096n, last + (1n << 44n)]) {
      pointAt(pa);
      // a lookup under another root entry in between (query keeps the table it ends in, as a TLB would): every
      // lookup of va is a walk from the root
      expect(table.query(other).paddr).toBe(0x6000n);
      if (pa === last) {
        expect(table.queryNumber(va + 5)).toBe(0x1234_5005);
        expect(table.query(other).paddr).toBe(0x6000n);
        expect(table.query(va + 5).paddr).toBe(0x1234_5005n);
      } else {
        const corrupt = expect.objectContaining({ code: 'CorruptTable' });
        expect(() => table.queryNumber(va + 5), `pointer ${pa.toString(16)}`).toThrowError(corrupt);
        expect(() => table.query(va + 5), `pointer ${pa.toString(16)}`).toThrowError(corrupt);
      }
    }
    pointAt(target(good));
    expect(table.query(other).paddr).toBe(0x6000n);
    expect(table.queryNumber(va + 5)).toBe(0x1234_5005);
  });

  it('agrees with the full walk in a memory whose frame numbers cross a multiple of 2^32', () => {
    // 2^44 - 64 KiB: the walker is given no frames there (walkContext), every lookup takes the full walk
    const base = (1n << 44n) - 0x1_0000n;
    const mem = new PhysicalMemory({ size: 1 << 20, base });
    expect(mem.allocFrames(16, 4096)).toBe(base); // the frames below 2^44: the tables go above it
    const table = new X64PageTable(mem);
    const c = table.cursor();
    for (let k = 0; k < 40; k++) c.map(k * 0x20_0000, 0x10_0000 + k * 0x1000, PageSize.Size4K, RW);
    c.map(0x80_0000_0000, 0x6000, PageSize.Size4K, RW);
    for (let k = 0; k < 40; k++) expect(table.queryNumber(k * 0x20_0000 + 7)).toBe(0x10_0007 + k * 0x1000);
    expect(table.queryNumber(41 * 0x20_0000)).toBe(-1);
    // Below the level-1 table (above 2^44), move the level-2 and level-3 tables of address 0 to frames below 2^44,
    // then point the root entry 2^44 below the level-1 table: the same frame number modulo 2^32, outside memory.
    const addr = 0xf_ffff_ffff_f000n;
    const link = (e: bigint, to: bigint) => mem.writeU64(e, (mem.readU64(e) & ~addr) | to);
    const l1 = mem.readU64(table.rootPaddr) & addr;
    const l2 = mem.readU64(l1) & addr;
    const l3 = mem.readU64(l2) & addr;
    expect(l1 >= 1n << 44n).toBe(true);
    mem.writeBytes(base + 0x2000n, mem.bytes(l2, 4096).slice());
    mem.writeBytes(base + 0x3000n, mem.bytes(l3, 4096).slice());
    link(base + 0x2000n, base + 0x3000n);
    link(l1, base + 0x2000n);
    expect(table.query(0x80_0000_0000).paddr).toBe(0x6000n); // another table in the walk cache
    expect(table.queryNumber(7)).toBe(0x10_0007); // the moved tables are followed
    link(table.rootPaddr, l1 - (1n << 44n));
    expect(table.query(0x80_0000_0000).paddr).toBe(0x6000n);
    expect(() => table.query(7)).toThrowError(expect.objectContaining({ code: 'CorruptTable' }));
    expect(table.query(0x80_0000_0000).paddr).toBe(0x6000n);
    expect(() => table.queryNumber(7)).toThrowError(expect.objectContaining({ code: 'CorruptTable' }));
  });
});

// Two formats with a specialised walk, each with an address in another last-level table than the pages the tests
// map low (so that the walk cache can be pointed away from them)
const WALK_CACHE_CASES = [
  ['x86_64', (m: PhysicalMemory) => new X64PageTable(m), 0x80_0000_0000],
  ['Sv39', (m: PhysicalMemory) => new Sv39PageTable(m), 0x4000_0000],
] as const;

/**
 * A table (the borrower) whose root entry of 0x1000 another (the owner, 0x1000 -> 0x5000 mapped) lends it through
 * copyFrom, and the borrower's walk cache on another table (`other` mapped): what the SharedTable cases start from.
 */
function sharingRootEntry(make: (m: PhysicalMemory) => PageTable64, other: number) {
  const mem = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
  const owner = make(mem);
  const borrower = make(mem);
  const span = 2 ** (12 + 9 * (owner.meta.levels - 1));
  owner.cursor().map(0x1000, 0x5000, PageSize.Size4K, RW);
  const c = borrower.cursor();
  c.copyFrom(owner, 0, span);
  c.map(other, 0x6000, PageSize.Size4K, RW); // another table in the walk cache
  return { mem, owner, c };
}

describe('map of a page that misses the walk cache, addresses as numbers (the specialised walk)', () => {

  it.each(WALK_CACHE_CASES)('%s: an entry on the way that is not present but not zero is in use: AlreadyMapped, nothing written', (_name, make, other) => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = make(mem);
    const c = table.cursor();
    const va = 0x40_0000;
    c.map(va, 0x1000, PageSize.Size4K, RW);
    c.map(other, 0x2000, PageSize.Size4K, RW);
    // non-present bits (bit 11) in the leaf slot of va + 4K, in va's last-level table, and in root entry 7
    const levels = table.meta.levels;
    const child = (e: bigint) => (table instanceof X64PageTable ? e & 0xf_ffff_ffff_f000n : (e >> 10n) << 12n);
    let t = table.rootPaddr;
    for (let l = 0; l < levels - 1; l++) t = child(mem.readU64(t + BigInt(Math.floor(va / 2 ** (12 + 9 * (levels - 1 - l))) & 511) * 8n));
    mem.writeU64(t + 8n * BigInt(((va + 0x1000) / 0x1000) & 511), 0x800n);
    mem.writeU64(table.rootPaddr + 8n * 7n, 0x800n);
    for (const target of [va + 0x1000, 7 * 2 ** (12 + 9 * (levels - 1))]) {
      expect(table.query(BigInt(other)).paddr).toBe(0x2000n); // another table in the walk cache
      const before = mem.bytes().slice();
      const frames = mem.framesInUse;
      expect(() => c.map(target, 0x3000, PageSize.Size4K, RW)).toThrowError(expect.objectContaining({ code: 'AlreadyMapped' }));
      expect(Buffer.compare(mem.bytes(), before)).toBe(0);
      expect(mem.framesInUse).toBe(frames);
    }
  });

  it.each(WALK_CACHE_CASES)('%s: below a root entry shared by copyFrom: SharedTable, nothing written in either table', (_name, make, other) => {
    const { mem, owner, c } = sharingRootEntry(make, other);
    const before = mem.bytes().slice();
    expect(() => c.map(0x2000, 0x7000, PageSize.Size4K, RW)).toThrowError(expect.objectContaining({ code: 'SharedTable' }));
    expect(() => c.map(0x20_0000, 0x7000, PageSize.Size4K, RW)).toThrowError(expect.objectContaining({ code: 'SharedTable' }));
    expect(Buffer.compare(mem.bytes(), before)).toBe(0);
    expect(owner.queryNumber(0x2000)).toBe(-1);
  });
});

describe('unmap of a page in another last-level table, address as a number (the walk cache refilled by the walk)', () => {
  it.each(WALK_CACHE_CASES)('%s: unmaps it, returns what was mapped, and leaves lastFlags and lastSize to queryNumber', (_name, make, other) => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = make(mem);
    const c = table.cursor();
    c.map(0x1000, 0x5000, PageSize.Size4K, MappingFlags.READ);
    c.map(0x2000, 0x6000, PageSize.Size4K, RW);
    c.map(other, 0x7000, PageSize.Size4K, RW | MappingFlags.EXECUTE);
    // the walk cache holds other's table; the last lookup found 0x1000 (read-only)
    expect(table.queryNumber(other)).toBe(0x7000);
    expect(table.queryNumber(0x1000)).toBe(0x5000);
    expect(table.query(other).paddr).toBe(0x7000n);
    expect(c.unmap(0x2000)).toEqual({ paddr: 0x6000n, flags: RW, size: PageSize.Size4K });
    expect([table.lastFlags, table.lastSize]).toEqual([MappingFlags.READ, 0x1000]);
    expect(table.queryNumber(0x2000)).toBe(-1);
    // the next page of that table by the fast path, and the cache moved back by the next miss
    expect(c.unmap(0x1000).paddr).toBe(0x5000n);
    expect(c.unmap(other).paddr).toBe(0x7000n);
    expect(() => c.unmap(0x3000)).toThrowError(expect.objectContaining({ code: 'NotMapped' }));
    expect(table.queryNumber(other)).toBe(-1);
  });

  it.each(WALK_CACHE_CASES)('%s: after the refill, unmap and unmapNumber take the fast path (their full paths run only for what it cannot serve)', (_name, make, other) => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = make(mem);
    const c = table.cursor();
    c.map(0x1000, 0x5000, PageSize.Size4K, RW);
    c.map(0x2000, 0x6000, PageSize.Size4K, RW);
    c.map(other, 0x7000, PageSize.Size4K, RW);
    c.map(other + 0x1000, 0x8000, PageSize.Size4K, RW);
    // every call of a full path, recorded (they allocate: the fast paths that a refill leads to must not reach them)
    const full: string[] = [];
    const paths = c as unknown as { _unmapFull(v: unknown): unknown; _unmapNumberFull(v: number): number };
    const unmapFull = paths._unmapFull.bind(c);
    const unmapNumberFull = paths._unmapNumberFull.bind(c);
    paths._unmapFull = (v) => {
      full.push(`unmap ${String(v)}`);
      return unmapFull(v);
    };
    paths._unmapNumberFull = (v) => {
      full.push(`unmapNumber ${String(v)}`);
      return unmapNumberFull(v);
    };
    expect(table.queryNumber(other)).toBe(0x7000);
    // each call lands in the other table than the walk cache's
    expect(c.unmap(0x1000).paddr).toBe(0x5000n);
    expect(c.unmapNumber(other)).toBe(0x7000);
    expect(c.unmapNumber(0x2000)).toBe(0x6000);
    expect(c.unmap(other + 0x1000).paddr).toBe(0x8000n);
    expect(full).toEqual([]);
    // in the cache's table but not mapped, and in another table with nothing mapped there: the full paths, once each
    expect(() => c.unmap(other + 0x2000)).toThrowError(expect.objectContaining({ code: 'NotMapped' }));
    expect(() => c.unmapNumber(0x3000)).toThrowError(expect.objectContaining({ code: 'NotMapped' }));
    expect(full).toEqual([`unmap ${other + 0x2000}`, 'unmapNumber 12288']);
  });

  it.each(WALK_CACHE_CASES)('%s: below a root entry shared by copyFrom: SharedTable, nothing written in either table', (_name, make, other) => {
    const { mem, owner, c } = sharingRootEntry(make, other);
    const before = mem.bytes().slice();
    expect(() => c.unmap(0x1000)).toThrowError(expect.objectContaining({ code: 'SharedTable' }));
    expect(() => c.unmap(0x1000)).toThrowError(expect.objectContaining({ code: 'SharedTable' }));
    expect(Buffer.compare(mem.bytes(), before)).toBe(0);
    expect(owner.queryNumber(0x1000)).toBe(0x5000);
  });
});

describe('mapRegion of a region inside one table, addresses as numbers (the one-table path)', () => {
  const cases = [
    ['x86_64', (m: PhysicalMemory, o?: { flushTlb: (va?: bigint) => void }) => new X64PageTable(m, o), 2 ** 47],
    ['Sv39', (m: PhysicalMemory, o?: { flushTlb: (va?: bigint) => void }) => new Sv39PageTable(m, o), 2 ** 38],
  ] as const;
  const G = 2 ** 30;
  const M2 = 2 ** 21;

  it.each(cases)('%s: writes the same memory and asks for the same invalidations as with bigints', (_name, make) => {
    // [vaddr, paddr, size, allowHuge]: 4K pages, 2M pages, 1G pages, a new table and an existing one, a region
    // that leaves the table (general path), sizes that mix page sizes (general path)
    const regions: [number, number, number, boolean][] = [
      [0x40_0000, 0x1234_5000, 0x5000, false],
      [0x40_5000, 0x20_0000, 0x3000, true],
      [4 * M2, 6 * M2, 5 * M2, true],
      [3 * G, 5 * G, 2 * G, true],
      [0x5f_f000, 0x9000, 0x3000, true],
      [12 * G + 0x1000, 0x2000, 0x20_0000, true],
      [20 * G, 40 * G, G + M2 + 0x1000, true],
      [14 * G, 0x1000, M2, true], // a 2M-aligned vaddr, a paddr that is not: 4K pages
    ];
    const memN = new PhysicalMemory({ size: 1 << 22, base: 0x8000_0000n });
    const memB = new PhysicalMemory({ size: 1 << 22, base: 0x8000_0000n });
    const callsN: (bigint | undefined)[] = [];
    const callsB: (bigint | undefined)[] = [];
    const tn = make(memN, { flushTlb: (va) => callsN.push(va) });
    const tb = make(memB, { flushTlb: (va) => callsB.push(va) });
    const cn = tn.cursor();
    const cb = tb.cursor();
    for (const [va, pa, size, huge] of regions) {
      cn.mapRegion(va, pa, size, RW, huge);
      cb.mapRegion(BigInt(va), BigInt(pa), BigInt(size), RW, huge);
      cn.flush();
      cb.flush();
      expect(callsN, `region at ${va.toString(16)}`).toEqual(callsB);
      expect(Buffer.compare(memN.bytes(), memB.bytes()), `region at ${va.toString(16)}`).toBe(0);
    }
    expect([...tn.mappings()]).toEqual([...tb.mappings()]);
    expect(tn.queryNumber(3 * G + 0x1234)).toBe(5 * G + 0x1234);
    expect(tn.lastSize).toBe(G);
  });

  it.each(cases)('%s: refuses what the general path refuses, and changes nothing', (_name, make, lowerHalf) => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = make(mem);
    const c = table.cursor();
    c.map(0x40_3000, 0x3000, PageSize.Size4K, RW);
    // a 2M page whose frame is inside the memory (read as a table, it would be the root)
    c.map(0x100_0000, 0x8000_0000, PageSize.Size2M, RW);
    const paEnd = 2 ** Math.min(table.meta.paMaxBits, 53);
    const refused: [number, number, number, string][] = [
      [0x40_0000, 0x10_0000, 0x8000, 'AlreadyMapped'], // an entry in use inside the run
      [0x100_1000, 0x5000, 0x1000, 'MappedToHugePage'],
      [lowerHalf - 0x2000, 0, 0x3000, 'InvalidAddress'], // past the lower half
      [lowerHalf - G, 0, 2 * G, 'InvalidAddress'], // Sv39: 1G pages of the root table, past its lower half
      [0x80_0000, 0x1800, 0x1000, 'NotAligned'],
    ];
    // past the physical address space (where its end is a number)
    if (table.meta.paMaxBits <= 53) refused.push([0x80_0000, paEnd - 0x1000, 0x2000, 'InvalidAddress']);
    for (const [va, pa, size, code] of refused) {
      const before = mem.bytes().slice();
      const frames = mem.framesInUse;
      expect(() => c.mapRegion(va, pa, size, RW, true), `${va.toString(16)} ${code}`).toThrowError(expect.objectContaining({ code }));
      expect(Buffer.compare(mem.bytes(), before)).toBe(0);
      expect(mem.framesInUse).toBe(frames);
    }
    // below a root entry shared by copyFrom
    const owner = make(mem);
    owner.cursor().map(0x1000, 0x5000, PageSize.Size4K, RW);
    c.copyFrom(owner, 0, G);
    const before = mem.bytes().slice();
    expect(() => c.mapRegion(0x2000, 0x7000, 0x2000, RW, false)).toThrowError(expect.objectContaining({ code: 'SharedTable' }));
    expect(Buffer.compare(mem.bytes(), before)).toBe(0);
  });
});

describe('the walk cache on queryNumber misses', () => {
  it.each([
    ['x86_64', (m: PhysicalMemory) => new X64PageTable(m), 0x40_0000, 2],
    ['Sv39', (m: PhysicalMemory) => new Sv39PageTable(m), 0x40_0000, 1],
  ] as const)('%s: caches a last-level table after a second walk into it, not after one', (_name, make, va, parentLevel) => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = make(mem);
    const c = table.cursor();
    for (let k = 0; k < 4; k++) c.map(va + k * 0x1000, 0x10_0000 + k * 0x1000, PageSize.Size4K, RW);
    c.map(0x4000_0000, 0x20_0000, PageSize.Size4K, RW); // another table, to leave the cache between cases
    // the entry that links the last-level table of `va` (below 1 GiB: index 0 above it, index va >> 21 in its parent)
    const isX64 = table instanceof X64PageTable;
    const child = (entry: bigint) => (isX64 ? entry & 0xf_ffff_f000n : (entry >> 10n) << 12n);
    let parent = table.rootPaddr;
    for (let l = 0; l < parentLevel; l++) parent = child(mem.readU64(parent));
    const link = parent + BigInt(va >>> 21) * 8n;
    const good = mem.readU64(link);
    // written to the raw words, as a guest writes its memory: the PhysicalMemory API would empty the walk cache
    const raw = (v: bigint) => {
      const i = Number(link - mem.base) / 4;
      mem.words[i] = Number(v & 0xffff_ffffn);
      mem.words[i + 1] = Number(v >> 32n);
    };
    const corrupt = () => raw(isX64 ? (good & 0xfffn) | 0x9000_0000n : (good & 0x3ffn) | (0x9000_0n << 10n));
    // one walk into the table: nothing cached, the next lookup walks and sees the corrupt link
    expect(table.queryNumber(0x4000_0000)).toBe(0x20_0000);
    expect(table.queryNumber(va)).toBe(0x10_0000);
    corrupt();
    expect(() => table.queryNumber(va + 0x1000)).toThrowError(expect.objectContaining({ code: 'CorruptTable' }));
    raw(good);
    // two walks in a row into it (a scan): cached, later lookups there read the one entry (as a TLB would)
    expect(table.queryNumber(0x4000_0000)).toBe(0x20_0000);
    expect(table.queryNumber(va)).toBe(0x10_0000);
    expect(table.queryNumber(va + 0x1000)).toBe(0x10_1000);
    corrupt();
    expect(table.queryNumber(va + 0x2000)).toBe(0x10_2000);
    expect(table.lastFlags).toBe(RW);
    expect(table.queryNumber(va + 0x3fff)).toBe(0x10_3fff);
    raw(good);
  });
});
