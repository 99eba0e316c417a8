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
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const owner = make(mem);
    const borrower = make(mem);
    const span = 2 ** (12 + 9 * (owner.meta.levels - 1));
    owner.cursor().map(0x1000, 0x5000, PageSize.Size4K, RW);
    const c = borrower.cursor();
    c.copyFrom(owner, 0, span);
    c.map(other, 0x6000, PageSize.Size4K, RW); // another table in the walk cache
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

  it.each(WALK_CACHE_CASES)('%s: below a root entry shared by copyFrom: SharedTable, nothing written in either table', (_name, make, other) => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const owner = make(mem);
    const borrower = make(mem);
    const span = 2 ** (12 + 9 * (owner.meta.levels - 1));
    owner.cursor().map(0x1000, 0x5000, PageSize.Size4K, RW);
    const c = borrower.cursor();
    c.copyFrom(owner, 0, span);
    c.map(other, 0x6000, PageSize.Size4K, RW); // another table in the walk cache
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
