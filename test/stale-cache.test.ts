// The walk cache (the last table a lookup ended in) never outlives a change to the entries above it: a write through
// the PhysicalMemory API empties it at once; a write to raw words is announced with invalidate(), as the hardware
// needs INVLPG or a CR3 reload (Intel SDM Vol. 3A 4.10.4), and until then the table may use what it remembers, as a
// TLB would.
import { MappingFlags, PagingError, PhysicalMemory, type PageTable64 } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';
import { ARCHES } from './arches';

describe.each(ARCHES.map((a) => [a.name, a] as const))('no stale walk cache: %s', (_name, arch) => {
  const meta = arch.meta;
  const page = meta.levelSize[meta.levels - 1]!;
  const P = BigInt(page);
  const va = arch.windows[0]!.base + 0x40_0000n;
  const mask = (1n << BigInt(meta.vaMaxBits)) - 1n;
  // the root entry on va's path, and its physical address in a table
  const rootShift = BigInt(meta.vaMaxBits - meta.indexBits[0]!);
  const rootIndex = Number(((va & mask) >> rootShift) & ((1n << BigInt(meta.indexBits[0]!)) - 1n));
  const entryPa = (t: PageTable64) => t.rootPaddr + BigInt(rootIndex * meta.entryBytes);

  /** Two tables in one memory that map va (and the page after it) to different frames. */
  const setup = (): [PhysicalMemory, PageTable64, PageTable64] => {
    const mem = new PhysicalMemory({ size: 512 * 4096, base: arch.memBase });
    const a = arch.create(mem);
    const b = arch.create(mem);
    a.cursor().map(va, 16n * P, page, MappingFlags.READ);
    b.cursor().map(va, 32n * P, page, MappingFlags.READ);
    b.cursor().map(va + P, 33n * P, page, MappingFlags.READ);
    return [mem, a, b];
  };
  const read = (mem: PhysicalMemory, pa: bigint) => (meta.entryBytes === 8 ? mem.readU64(pa) : BigInt(mem.readU32(pa)));
  const write = (mem: PhysicalMemory, pa: bigint, v: bigint) => (meta.entryBytes === 8 ? mem.writeU64(pa, v) : mem.writeU32(pa, Number(v)));
  const writeRaw = (mem: PhysicalMemory, pa: bigint, v: bigint) => {
    const i = Number(pa - mem.base) / 4;
    mem.words[i] = Number(v & 0xffff_ffffn);
    if (meta.entryBytes === 8) mem.words[i + 1] = Number(v >> 32n);
  };
  const lookups = (t: PageTable64, v: bigint) => [t.query(v).paddr, va < 1n << 53n ? BigInt(t.queryNumber(Number(v))) : t.query(v).paddr];

  it('a root entry rewritten through the PhysicalMemory API is seen by the next lookup', () => {
    const [mem, a, b] = setup();
    expect(lookups(a, va + 5n)).toEqual([16n * P + 5n, 16n * P + 5n]); // now cached
    const own = read(mem, entryPa(a));
    write(mem, entryPa(a), read(mem, entryPa(b))); // a's entry now leads to b's tables
    expect(lookups(a, va + 5n)).toEqual([32n * P + 5n, 32n * P + 5n]);
    expect(lookups(a, va + P)).toEqual([33n * P, 33n * P]);
    write(mem, entryPa(a), own);
    expect(lookups(a, va)).toEqual([16n * P, 16n * P]);
    a.destroy();
    b.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('a root entry rewritten in raw memory is seen after invalidate(va), and after invalidate()', () => {
    const [mem, a, b] = setup();
    expect(lookups(a, va + 5n)).toEqual([16n * P + 5n, 16n * P + 5n]);
    const own = read(mem, entryPa(a));
    writeRaw(mem, entryPa(a), read(mem, entryPa(b)));
    a.invalidate(va);
    expect(lookups(a, va + 5n)).toEqual([32n * P + 5n, 32n * P + 5n]);
    writeRaw(mem, entryPa(a), own);
    a.invalidate();
    expect(lookups(a, va + 5n)).toEqual([16n * P + 5n, 16n * P + 5n]);
    // a map after the invalidation writes into the table the entry leads to now
    a.cursor().map(va + 2n * P, 48n * P, page, MappingFlags.READ);
    expect(a.query(va + 2n * P).paddr).toBe(48n * P);
    expect(() => b.query(va + 2n * P)).toThrow(PagingError);
    a.destroy();
    b.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('invalidate refuses an address outside the table, and a destroyed table', () => {
    const [mem, a, b] = setup();
    if (arch.invalidVa !== undefined) expect(() => a.invalidate(arch.invalidVa!)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    a.destroy();
    expect(() => a.invalidate()).toThrowError(expect.objectContaining({ code: 'Destroyed' }));
    b.destroy();
    expect(mem.framesInUse).toBe(0);
  });
});
