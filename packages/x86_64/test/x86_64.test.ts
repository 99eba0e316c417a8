// x86_64-specific behaviour, checked against the Intel SDM (Vol. 3A, 4.5, Tables 4-15 to 4-20).
import { MappingFlags, PageSize, type PagingError, PhysicalMemory } from '@page-table-multiarch/core';
import { PTF, X64PagingMetaData, X64PagingMetaData5, X64PageTable, X64PageTable5, X64PTE } from '@page-table-multiarch/x86_64';
import { describe, expect, expectTypeOf, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;

describe('X64PTE bits per the SDM', () => {
  it('places P, R/W, U/S, PS and XD at bits 0, 1, 2, 7 and 63', () => {
    expect(PTF.PRESENT).toBe(1n);
    expect(PTF.WRITABLE).toBe(2n);
    expect(PTF.USER_ACCESSIBLE).toBe(4n);
    expect(PTF.WRITE_THROUGH).toBe(8n);
    expect(PTF.NO_CACHE).toBe(16n);
    expect(PTF.HUGE_PAGE).toBe(0x80n);
    expect(PTF.NO_EXECUTE).toBe(1n << 63n);
    const bits = X64PTE.newPage(0x1234_5000n, READ | WRITE | USER, false);
    expect(bits).toBe((1n << 63n) | 0x1234_5000n | 0b111n);
    expect(X64PTE.newPage(0x4000_0000n, READ | EXECUTE, true)).toBe(0x4000_0000n | 0x80n | 1n);
  });

  it('decodes foreign entries with A, D, G and available bits set without changing the flags', () => {
    const bits = X64PTE.newPage(0x7000n, READ | WRITE, false) | (1n << 5n) | (1n << 6n) | (1n << 8n) | (7n << 9n) | (0x7fn << 52n);
    expect(X64PTE.flags(bits)).toBe(READ | WRITE);
    expect(X64PTE.paddr(bits)).toBe(0x7000n);
  });

  it('encodes DEVICE and UNCACHED as PCD | PWT (the crate does), which reads back as UNCACHED', () => {
    for (const f of [DEVICE, UNCACHED, DEVICE | UNCACHED]) {
      const bits = X64PTE.newPage(0n, READ | f, false);
      expect(bits & (PTF.NO_CACHE | PTF.WRITE_THROUGH)).toBe(PTF.NO_CACHE | PTF.WRITE_THROUGH);
      expect(X64PTE.flags(bits)).toBe(READ | UNCACHED);
    }
  });

  it('table entries grant P | R/W | U/S so that the leaf decides', () => {
    expect(X64PTE.newTable(0x5000n)).toBe(0x5007n);
  });
});

describe('X64PageTable', () => {
  it('has the 4-level geometry', () => {
    expect(X64PagingMetaData.levels).toBe(4);
    expect(X64PagingMetaData.vaMaxBits).toBe(48);
    expect(X64PagingMetaData.paMaxBits).toBe(52);
    expect(X64PagingMetaData.levelSize).toEqual([2 ** 39, 2 ** 30, 2 ** 21, 2 ** 12]);
  });

  it('reads bit 7 of a last-level entry as PAT, not as a huge page', () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    const table = new X64PageTable(mem);
    table.cursor().map(0x1000n, 0x9000n, PageSize.Size4K, READ);
    const [leaf] = [...table.mappings()];
    expect(leaf?.level).toBe(3);
    // find the PTE in memory and set its PAT bit (bit 7) by hand
    let pteAddr = -1n;
    table.walk(512, (level, index, _va, bits) => {
      if (level === 2) pteAddr = X64PTE.paddr(bits) + BigInt(1 * 8);
      void index;
    });
    mem.writeU64(pteAddr, mem.readU64(pteAddr) | 0x80n);
    expect(table.query(0x1234n)).toEqual({ paddr: 0x9234n, flags: READ, size: PageSize.Size4K });
  });

  it('tryNew returns NoMemory instead of throwing when no frame is left', () => {
    const mem = new PhysicalMemory({ size: 4096 });
    const first = X64PageTable.tryNew(mem);
    expect(first).toBeInstanceOf(X64PageTable);
    const second = X64PageTable.tryNew(mem);
    expect(second).toMatchObject({ code: 'NoMemory' });
  });

  it('types tryNew as the class it is called on, or the PagingError', () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    expectTypeOf(X64PageTable.tryNew(mem)).toEqualTypeOf<X64PageTable | PagingError>();
    expectTypeOf(X64PageTable5.tryNew(mem, { flushTlb: () => {} })).toEqualTypeOf<X64PageTable5 | PagingError>();
  });

  it('translates the highest canonical address and the lowest upper-half address', () => {
    const table = new X64PageTable();
    const c = table.cursor();
    c.map(0xffff_ffff_ffff_f000n, 0xf_ffff_ffff_f000n, PageSize.Size4K, READ);
    c.map(0xffff_8000_0000_0000n, 0x20_0000n, PageSize.Size2M, READ);
    expect(table.query(0xffff_ffff_ffff_ffffn).paddr).toBe(0xf_ffff_ffff_ffffn);
    expect(table.query(0xffff_8000_001f_ffffn).paddr).toBe(0x3f_ffffn);
    expect([...table.mappings()].map((m) => m.vaddr)).toEqual([0xffff_8000_0000_0000n, 0xffff_ffff_ffff_f000n]);
    table.destroy();
  });
});

describe('X64PageTable5 (LA57)', () => {
  it('has 5 levels and 57-bit canonical addresses', () => {
    expect(X64PagingMetaData5.levels).toBe(5);
    expect(X64PagingMetaData5.vaMaxBits).toBe(57);
    expect(X64PagingMetaData5.vaddrIsValid(0xff00_0000_0000_0000n)).toBe(true);
    expect(X64PagingMetaData5.vaddrIsValid(0x0100_0000_0000_0000n)).toBe(false);
    expect(X64PagingMetaData.vaddrIsValid(0xff00_0000_0000_0000n)).toBe(false);
  });

  it('is exact above 2^53 in the upper half: query offsets, mappings, walk, queryWords', () => {
    const table = new X64PageTable5();
    const c = table.cursor();
    const va = 0xff00_0000_0000_0000n;
    c.map(va, 0x40_0000n, PageSize.Size2M, READ | WRITE);
    c.map(0xffff_ffff_ffff_f000n, 0xf_ffff_ffff_f000n, PageSize.Size4K, READ);
    for (const off of [1n, 0x123n, 0x1f_ffffn, 0x1_2345n]) expect(table.query(va + off).paddr).toBe(0x40_0000n + off);
    expect(table.query(0xffff_ffff_ffff_ffffn).paddr).toBe(0xf_ffff_ffff_ffffn);
    expect([...table.mappings()].map((m) => m.vaddr)).toEqual([va, 0xffff_ffff_ffff_f000n]);
    const seen: bigint[] = [];
    table.walk(512, (level, _i, v) => {
      if (level === 0) seen.push(v);
    });
    expect(seen).toEqual([0xff00_0000_0000_0000n, 0xffff_0000_0000_0000n]);
    // the number fast path cannot take these addresses; the word form can, exactly
    expect(table.queryWords(0x0001_2345, 0xff00_0000)).toBe(0x41_2345);
    expect(() => table.queryNumber(2 ** 56)).toThrow(RangeError);
    expect(() => table.query(0x0100_0000_0000_0000n)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    table.destroy();
  });
});
