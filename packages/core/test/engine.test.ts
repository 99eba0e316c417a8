// Engine behaviour that the model-based suite does not observe: TLB flush batching, walk order and
// limits, address parsing at the API edge, metadata checks, and a third-party codec without a word form.
import {
  defineMetaData,
  FLUSH_BATCH,
  type GenericPTE,
  MappingFlags,
  PageSize,
  PageTable64,
  PagingError,
  PhysicalMemory,
} from '@page-table-multiarch/core';
import { Rv64PTE } from '@page-table-multiarch/entry/riscv';
import { X64PTE } from '@page-table-multiarch/entry/x86_64';
import { Sv39MetaData, Sv39PageTable } from '@page-table-multiarch/riscv';
import { X64PagingMetaData, X64PageTable } from '@page-table-multiarch/x86_64';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const RW = MappingFlags.READ | MappingFlags.WRITE;

describe('TLB flush requests', () => {
  it('go to the hook per changed page, sign-extended, up to 32, then one full flush', () => {
    const calls: (bigint | undefined)[] = [];
    const table = new X64PageTable(undefined, { flushTlb: (va) => calls.push(va) });
    const c = table.cursor();
    c.map(0xffff_8000_0000_0000n, 0n, PageSize.Size4K, RW);
    c.map(0xffff_8000_0000_1000n, 0n, PageSize.Size4K, RW);
    c.protect(0xffff_8000_0000_0000n, MappingFlags.READ);
    expect(calls).toEqual([]);
    c.flush();
    expect(calls).toEqual([0xffff_8000_0000_0000n, 0xffff_8000_0000_1000n, 0xffff_8000_0000_0000n]);
    calls.length = 0;
    c.mapRegion(0x10_0000n, 0x10_0000n, BigInt(FLUSH_BATCH) * 4096n, RW, false);
    c.flush();
    expect(calls.length).toBe(FLUSH_BATCH);
    calls.length = 0;
    c.mapRegion(0x100_0000n, 0x10_0000n, BigInt(FLUSH_BATCH + 1) * 4096n, RW, false);
    c.flush();
    expect(calls).toEqual([undefined]);
    calls.length = 0;
    c.flush();
    expect(calls).toEqual([]);
  });

  it('are not made by operations that fail', () => {
    const calls: (bigint | undefined)[] = [];
    const table = new X64PageTable(undefined, { flushTlb: (va) => calls.push(va) });
    const c = table.cursor();
    c.map(0x5000n, 0n, PageSize.Size4K, RW);
    c.flush();
    calls.length = 0;
    expect(() => c.mapRegion(0x1000n, 0n, 0x5000n, RW, false)).toThrow(PagingError);
    expect(() => c.unmap(0x9000n)).toThrow(PagingError);
    c.flush();
    expect(calls).toEqual([]);
  });

  it('are sent when a cursor is disposed', () => {
    const calls: (bigint | undefined)[] = [];
    const table = new X64PageTable(undefined, { flushTlb: (va) => calls.push(va) });
    const c = table.cursor();
    c.map(0x5000n, 0n, PageSize.Size4K, RW);
    c[Symbol.dispose]();
    expect(calls).toEqual([0x5000n]);
  });
});

describe('walk', () => {
  it('visits present entries depth first with pre and post, limited per table', () => {
    const table = new X64PageTable();
    const c = table.cursor();
    c.map(0x1000n, 0x1000n, PageSize.Size4K, RW);
    c.map(0x2000n, 0x2000n, PageSize.Size4K, RW);
    c.map(0xffff_ff80_0000_0000n, 0x4000_0000n, PageSize.Size1G, RW);
    const pre: string[] = [];
    const post: string[] = [];
    table.walk(
      Number.POSITIVE_INFINITY,
      (l, i, va) => pre.push(`${l}:${i}:${va.toString(16)}`),
      (l, i) => post.push(`${l}:${i}`),
    );
    expect(pre).toEqual(['0:0:0', '1:0:0', '2:0:0', '3:1:1000', '3:2:2000', '0:511:ffffff8000000000', '1:0:ffffff8000000000']);
    expect(post).toEqual(['3:1', '3:2', '2:0', '1:0', '0:0', '1:0', '0:511']);
    const limited: string[] = [];
    table.walk(1, (l, i) => limited.push(`${l}:${i}`));
    expect(limited).toEqual(['0:0', '1:0', '2:0', '3:1']);
  });
});

describe('addresses at the API edge', () => {
  it('accepts safe-integer numbers and bigints alike, up to 2^64 - 1', () => {
    const table = new X64PageTable();
    const c = table.cursor();
    c.map(0x7000, 0x3000, PageSize.Size4K, RW);
    expect(table.query(0x7fff).paddr).toBe(0x3fffn);
    expect(table.query(0x7fffn).paddr).toBe(0x3fffn);
    expect(() => table.query(Number.MAX_SAFE_INTEGER + 1)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    expect(() => table.query('0x7000' as never)).toThrow(TypeError);
  });

  it('query agrees with a bigint model for random mappings (offsets, both halves)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 36n) - 1n }), fc.boolean(), fc.bigInt({ min: 0n, max: (1n << 40n) - 1n }), fc.nat(4095), (vpn, upper, ppn, off) => {
        const table = new X64PageTable(new PhysicalMemory({ size: 1 << 16 }));
        const va = (upper ? 0xffff_0000_0000_0000n | (1n << 47n) : 0n) | (vpn << 12n);
        const canon = upper ? va : va & ((1n << 47n) - 1n);
        table.cursor().map(canon, ppn << 12n, PageSize.Size4K, RW);
        expect(table.query(canon + BigInt(off)).paddr).toBe((ppn << 12n) + BigInt(off));
        expect([...table.mappings()][0]?.vaddr).toBe(canon);
      }),
      { numRuns: 300 },
    );
  });
});

describe('defineMetaData', () => {
  it('derives sizes and rejects inconsistent geometry', () => {
    const m = defineMetaData({ name: 't', paMaxBits: 40, pageShift: 12, indexBits: [9, 9, 9], entryBytes: 8, leafLevels: [1], vaTopBit: 38, upperHalf: true, signExtend: true });
    expect(m.vaMaxBits).toBe(39);
    expect(m.leafLevels).toEqual([1, 2]);
    expect(m.levelSize).toEqual([2 ** 30, 2 ** 21, 2 ** 12]);
    expect(m.vaddrIsValid(0xffff_ffc0_0000_0000n)).toBe(true);
    expect(m.vaddrIsValid(0x0000_0040_0000_0000n)).toBe(false);
    expect(m.paddrIsValid(1n << 40n)).toBe(false);
    expect(() => defineMetaData({ ...m, indexBits: [9, 9, 9, 9, 9, 9, 9, 9] })).toThrow(RangeError);
    expect(() => defineMetaData({ ...m, leafLevels: [7] })).toThrow(RangeError);
    expect(() => defineMetaData({ ...m, tableBytes: [8, 4096, 4096] })).toThrow(RangeError);
  });

  it('lowerHalf: false makes a table of the upper range only, reported with its top bits set', () => {
    const spec = { name: 'u', paMaxBits: 40, pageShift: 12, indexBits: [9, 9, 9], entryBytes: 8, leafLevels: [1], vaTopBit: 39, upperHalf: true, signExtend: false } as const;
    const upper = defineMetaData({ ...spec, lowerHalf: false });
    expect(upper.lowerHalf).toBe(false);
    expect(upper.vaddrIsValid(0xffff_ff80_0000_1000n)).toBe(true);
    expect(upper.vaddrIsValid(0x1000n)).toBe(false);
    expect(defineMetaData(spec).vaddrIsValid(0x1000n)).toBe(true);
    // it needs the upper half, the top bit at the translated width, and no window
    expect(() => defineMetaData({ ...spec, lowerHalf: false, upperHalf: false })).toThrow(RangeError);
    expect(() => defineMetaData({ ...spec, lowerHalf: false, vaTopBit: 38 })).toThrow(RangeError);
    const table = new PageTable64(upper, X64PTE, new PhysicalMemory({ size: 64 * 4096 }));
    const c = table.cursor();
    c.map(0xffff_ff80_0020_0000n, 0x20_0000n, PageSize.Size2M, MappingFlags.READ);
    expect([...table.mappings()].map((x) => x.vaddr)).toEqual([0xffff_ff80_0020_0000n]);
    const walked: bigint[] = [];
    table.walk(3, (level, _i, va) => level === 1 && walked.push(va));
    expect(walked).toEqual([0xffff_ff80_0020_0000n]);
    // the lower-range alias of it is not an address of the table, as a bigint or as a number (the number paths)
    expect(() => table.query(0x0000_0000_0020_0000n)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    expect(() => table.queryNumber(0x20_0000)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    expect(() => c.map(0x40_0000, 0x40_0000, PageSize.Size4K, MappingFlags.READ)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    expect(() => c.mapRegion(0x40_0000, 0x40_0000, 0x2000, MappingFlags.READ, false)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
  });
});

describe('a window: a table that serves part of the addresses it indexes', () => {
  // the top GiB of a 32-bit space from a 512-entry root, and the bottom 3 GiB from a 4-entry root (the shapes of the
  // ARMv7 long-descriptor TTBR1 and TTBR0 with T1SZ = 2); X64PTE is a codec that works at any level
  const spec = { name: 'w', paMaxBits: 40, pageShift: 12, entryBytes: 8, leafLevels: [0], vaTopBit: 32, upperHalf: false, signExtend: false } as const;
  const top = defineMetaData({ ...spec, indexBits: [9, 9], window: { start: 0xc000_0000n, end: 0x1_0000_0000n } });
  const bottom = defineMetaData({ ...spec, indexBits: [2, 9, 9], window: { start: 0, end: 0xc000_0000 } });

  it('is required below 32 index bits, and must fit one aligned block, below 2^53, aligned to a last-level table', () => {
    expect(top.window).toEqual({ start: 0xc000_0000n, end: 0x1_0000_0000n });
    expect(top.vaddrIsValid(0xc000_0000n)).toBe(true);
    expect(top.vaddrIsValid(0xbfff_ffffn)).toBe(false);
    expect(top.vaddrIsValid(0x1_0000_0000n)).toBe(false);
    expect(bottom.vaddrIsValid(0xc000_0000n)).toBe(false);
    expect(() => defineMetaData({ ...spec, indexBits: [9, 9] })).toThrow(RangeError);
    for (const [start, end] of [
      [0x8000_0000n, 0x1_0000_0000n], // two blocks of 2^30
      [0xc010_0000n, 0x1_0000_0000n], // not aligned to the 2 MiB of a last-level table
      [0xc000_0000n, 0xc000_0000n], // empty
      [0x1_c000_0000n, 0x2_0000_0000n], // above vaTopBit
    ]) {
      expect(() => defineMetaData({ ...spec, indexBits: [9, 9], window: { start: start!, end: end! } })).toThrow(RangeError);
    }
  });

  it('refuses addresses outside it and lists, invalidates and ranges with the addresses inside it', () => {
    const calls: (bigint | undefined)[] = [];
    const table = new PageTable64(top, X64PTE, new PhysicalMemory({ size: 1 << 20 }), { flushTlb: (va) => calls.push(va) });
    const c = table.cursor();
    c.map(0xc000_1000n, 0x5000n, PageSize.Size4K, RW);
    c.map(0xc020_0000n, 0x20_0000n, PageSize.Size2M, RW);
    c.flush();
    expect(table.query(0xc000_1234n).paddr).toBe(0x5234n);
    expect(table.queryNumber(0xc020_0010)).toBe(0x20_0010);
    // the same index bits below the window are not an alias of it
    for (const fn of [() => table.query(0x1234n), () => c.map(0x2000n, 0n, PageSize.Size4K, RW), () => c.unmapRegion(0xbfff_f000n, 0x2000n)]) {
      expect(fn).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    }
    expect(() => table.queryWords(0x1000, 0)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    expect([...table.mappings()].map((m) => m.vaddr)).toEqual([0xc000_1000n, 0xc020_0000n]);
    const walked: bigint[] = [];
    table.walk(Number.POSITIVE_INFINITY, (level, _i, va) => level === 1 && walked.push(va));
    expect(walked).toEqual([0xc000_1000n]);
    calls.length = 0;
    expect(c.protectRegion(0xc000_0000n, 0x40_0000n, MappingFlags.READ)).toBe(0x20_1000n);
    expect(c.unmapRegion(0xc020_0000n, 0x1000n)).toBe(0x1000n); // splits the 2 MiB page
    c.flush();
    expect(calls).toEqual([0xc000_1000n, 0xc020_0000n]); // the range's addresses, not the index bits 0x1000, 0x20_0000
    expect(table.query(0xc020_1000n).flags).toBe(MappingFlags.READ);
    const low = new PageTable64(bottom, X64PTE, new PhysicalMemory({ size: 1 << 20 }));
    low.cursor().map(0x8000_0000n, 0x4000_0000n, PageSize.Size1G, RW);
    expect(() => low.query(0xc000_0000n)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    expect([...low.mappings()].map((m) => m.vaddr)).toEqual([0x8000_0000n]);
  });
});

describe('a third-party codec with only the bigint methods', () => {
  it('works through the derived word form and gives the same memory as the fast path', () => {
    const { words: _w, ...rest } = X64PTE;
    const slow: GenericPTE = { ...rest };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(63), fc.nat(7), fc.integer({ min: 1, max: 63 })), { maxLength: 20 }), (ops) => {
        const m1 = new PhysicalMemory({ size: 1 << 18 });
        const m2 = new PhysicalMemory({ size: 1 << 18 });
        const fast = new X64PageTable(m1);
        const other = new PageTable64(X64PagingMetaData, slow, m2);
        for (const [page, kind, flags] of ops) {
          const va = BigInt(page) * 0x20_0000n;
          const run = (t: PageTable64) => {
            try {
              const c = t.cursor();
              if (kind < 4) c.map(va, va, PageSize.Size4K, flags);
              else if (kind < 5) c.map(va, va, PageSize.Size2M, flags);
              else if (kind < 6) c.unmap(va);
              else c.protect(va, flags);
              return 'ok';
            } catch (e) {
              return (e as PagingError).code;
            }
          };
          expect(run(other)).toBe(run(fast));
        }
        expect(Buffer.compare(m1.bytes(), m2.bytes())).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});

describe('new tables', () => {
  it('are zeroed by the table unless the handler promises zeroed frames', () => {
    // hands out frames full of ones, and says so
    class DirtyMemory extends PhysicalMemory {
      override readonly zeroedFrames = false;
      override allocFrames(count: number, align: number) {
        const pa = super.allocFrames(count, align);
        if (pa !== null) for (let i = 0; i < count * 4096; i += 4) this.writeU32(pa + BigInt(i), 0xffff_ffff);
        return pa;
      }
    }
    for (const mem of [new DirtyMemory({ size: 1 << 20 }), new PhysicalMemory({ size: 1 << 20 })]) {
      const table = new X64PageTable(mem);
      table.cursor().map(0x40_0000n, 0x1000n, PageSize.Size4K, RW);
      expect([...table.mappings()].map((m) => m.vaddr)).toEqual([0x40_0000n]);
      expect(table.queryNumber(0x40_1000)).toBe(-1);
    }
    expect(new PhysicalMemory({ size: 1 << 16 }).zeroedFrames).toBe(true);
  });

  it('come from an allocator that replaces PhysicalMemory.allocFrames / deallocFrames, when one does', () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    const calls: string[] = [];
    mem.allocFrames = (count, align) => {
      calls.push(`alloc ${count}`);
      return PhysicalMemory.prototype.allocFrames.call(mem, count, align);
    };
    mem.deallocFrames = (pa, count) => {
      calls.push(`free ${count}`);
      PhysicalMemory.prototype.deallocFrames.call(mem, pa, count);
    };
    const table = new X64PageTable(mem);
    table.cursor().map(0x40_0000n, 0x1000n, PageSize.Size4K, RW);
    table.destroy();
    // root, then three tables below it; all four freed
    expect(calls).toEqual(['alloc 1', 'alloc 1', 'alloc 1', 'alloc 1', 'free 1', 'free 1', 'free 1', 'free 1']);
    expect(mem.framesInUse).toBe(0);
  });

  it('sit at the right physical address when the memory crosses 4 GiB (frame numbers to address pairs)', () => {
    // 64 frames from 4 GiB - 16 KiB: the root and the first tables below 2^32, later ones above it
    const mem = new PhysicalMemory({ size: 64 * 4096, base: 0xffff_c000n });
    const table = new Sv39PageTable(mem);
    const c = table.cursor();
    for (let i = 0; i < 8; i++) c.map(BigInt(i) << 30n, BigInt(i + 1) << 12n, PageSize.Size4K, RW);
    const links = new Set<bigint>();
    for (let i = 0; i < 8; i++) {
      links.add(Rv64PTE.paddr(mem.readU64(0xffff_c000n + BigInt(i) * 8n)));
      expect(table.query((BigInt(i) << 30n) + 5n).paddr).toBe((BigInt(i + 1) << 12n) + 5n);
    }
    // each map adds a level-1 and a level-2 table: the root links to frames 1, 3, ..., 15, of which 1 and 3 lie
    // below 2^32 and the other six above it
    expect([...links].filter((pa) => pa >= 1n << 32n).length).toBe(6);
    expect(table.frameCount()).toBe(17);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });
});

describe('copyFrom flags', () => {
  it('belong to the two tables involved: another table of the same format is neither shared nor lent', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const owner = new Sv39PageTable(mem);
    const borrower = new Sv39PageTable(mem);
    owner.cursor().map(0x1000, 0x5000, PageSize.Size4K, RW);
    borrower.cursor().copyFrom(owner, 0, 2 ** 30);
    expect(() => borrower.cursor().map(0x2000, 0x6000, PageSize.Size4K, RW)).toThrowError(expect.objectContaining({ code: 'SharedTable' }));
    // a third table maps below the same root entry, and unmapRegion reclaims the tables it empties there
    const other = new Sv39PageTable(mem);
    const c = other.cursor();
    c.map(0x2000, 0x6000, PageSize.Size4K, RW);
    expect(other.tableCount()).toBe(3);
    expect(c.unmapRegion(0, 2 ** 30)).toBe(4096n);
    c.flush();
    expect(other.tableCount()).toBe(1);
    // while the owner keeps the level-1 table it lent (the borrower's root entry points at it)
    const oc = owner.cursor();
    expect(oc.unmapRegion(0, 2 ** 30)).toBe(4096n);
    oc.flush();
    expect(owner.tableCount()).toBe(2);
  });
});

describe('a codec that throws part-way through mapRegion', () => {
  it('leaves memory and frames as they were, pages written in place included', () => {
    const { words: _w, ...rest } = X64PTE;
    // refuses one physical page: mapRegion gets there while filling a last-level table in place
    const picky: GenericPTE = {
      ...rest,
      newPage: (pa, flags, huge, level) => {
        if (pa === 0x10_5000n) throw new RangeError('refused');
        return X64PTE.newPage(pa, flags, huge, level);
      },
    };
    const mem = new PhysicalMemory({ size: 1 << 18 });
    const table = new PageTable64(X64PagingMetaData, picky, mem);
    const c = table.cursor();
    c.map(0x40_0000n, 0x1000n, PageSize.Size4K, RW);
    const before = mem.bytes().slice();
    const frames = mem.framesInUse;
    expect(() => c.mapRegion(0x40_1000n, 0x10_1000n, 0x10000n, RW, false)).toThrow(RangeError);
    expect(Buffer.compare(mem.bytes(), before)).toBe(0);
    expect(mem.framesInUse).toBe(frames);
    expect([...table.mappings()].map((m) => m.vaddr)).toEqual([0x40_0000n]);
  });
});

describe('mapRegion with huge pages in the root table (Sv39 1 GiB pages)', () => {
  const GiB = 0x4000_0000n;
  it('fills the root in place, stops at a root entry shared by copyFrom and undoes the call', () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    const table = new Sv39PageTable(mem);
    table.cursor().mapRegion(4n * GiB, GiB, 4n * GiB, RW, true);
    expect([...table.mappings()].map((m) => [m.vaddr, m.paddr, m.size])).toEqual(
      [0n, 1n, 2n, 3n].map((k) => [(4n + k) * GiB, (1n + k) * GiB, PageSize.Size1G]),
    );
    const other = new Sv39PageTable(mem);
    const shared = new Sv39PageTable(mem);
    // root entry 10 (an absent one) now belongs to `other`
    shared.cursor().copyFrom(other, 10n * GiB, GiB);
    const before = mem.bytes().slice();
    const frames = mem.framesInUse;
    expect(() => shared.cursor().mapRegion(8n * GiB, 0n, 4n * GiB, RW, true)).toThrowError(
      expect.objectContaining({ code: 'SharedTable' }),
    );
    expect(Buffer.compare(mem.bytes(), before)).toBe(0);
    expect(mem.framesInUse).toBe(frames);
  });
  it('leaves memory as it was when the codec throws part-way through the root', () => {
    const { words: _w, ...rest } = Rv64PTE;
    const picky: GenericPTE = {
      ...rest,
      newPage: (pa, flags, huge, level) => {
        if (pa === 3n * GiB) throw new RangeError('refused');
        return Rv64PTE.newPage(pa, flags, huge, level);
      },
    };
    const mem = new PhysicalMemory({ size: 1 << 18 });
    const table = new PageTable64(Sv39MetaData, picky, mem);
    table.cursor().map(0n, 0n, PageSize.Size1G, RW);
    const before = mem.bytes().slice();
    expect(() => table.cursor().mapRegion(GiB, GiB, 4n * GiB, RW, true)).toThrow(RangeError);
    expect(Buffer.compare(mem.bytes(), before)).toBe(0);
    expect([...table.mappings()].map((m) => m.vaddr)).toEqual([0n]);
  });
});

describe('mapRegion with a paddr function that uses a cursor itself', () => {
  it('keeps both operations whole', () => {
    const a = new X64PageTable();
    const b = new X64PageTable();
    const cb = b.cursor();
    a.cursor().mapRegion(0x40_0000n, (va) => {
      cb.mapRegion(va + 0x100_0000_0000n, 0n, 0x1000n, RW, false);
      return va;
    }, 0x3000n, RW, false);
    expect([...a.mappings()].length).toBe(3);
    expect([...b.mappings()].length).toBe(3);
    expect(() => a.cursor().mapRegion(0x50_0000n, (va) => {
      cb.mapRegion(va + 0x200_0000_0000n, 0n, 0x1000n, RW, false);
      if (va === 0x50_2000n) return 0x4000_0000_0000_0000n; // beyond 52 bits: the whole call is undone
      return va;
    }, 0x3000n, RW, false)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    expect([...a.mappings()].length).toBe(3);
  });
});
