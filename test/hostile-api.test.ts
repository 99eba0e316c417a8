// Hostile use of the API, over every table type: aliases of non-canonical addresses, numbers a table cannot
// hold, a table given itself, user code that re-enters a table from a callback, a handler that throws, and
// values that are not what a parameter takes. Each case was a defect once; each must fail with a typed error of
// the library (never an engine message) and leave memory and the frame count as they were, or do what the
// contract says it does.
import { MappingFlags, type PageSize, PagingError, type PagingHandler, PhysicalMemory, PageTable64, type PageTable64Cursor, type PhysAddr, translateAddress } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';
import { ARCHES } from './arches';
import { expectRefused } from './support/refused';

const RW = MappingFlags.READ | MappingFlags.WRITE;


describe.each(ARCHES.map((a) => [a.name, a] as const))('hostile API use: %s', (_name, arch) => {
  const page = arch.meta.levelSize[arch.meta.levels - 1]!;
  const mask = (1n << BigInt(arch.meta.vaMaxBits)) - 1n;
  // the addresses the tests below use are offsets into the range the table serves: all of its index space, but for
  // a table with a window (a long-descriptor TTBR that translates part of the space): scaled from 4 GiB to the
  // window's size, so that they keep their order
  // (for a table of the upper range only, offsets from the start of that range)
  const win = arch.meta.window;
  const upperOnly = arch.meta.lowerHalf === false;
  /** at(off) as a number where it is a safe integer (as a bigint in an upper range). */
  const atN = (off: bigint): number | bigint => (upperOnly ? at(off) : Number(at(off)));
  const at = (off: bigint): bigint =>
    win !== undefined ? win.start + (((off * (win.end - win.start)) >> 32n) & ~BigInt(page - 1)) : upperOnly ? off | ((1n << 64n) - 1n - mask) : off;
  /** The root entry's range that holds `va`: its first address and its size. */
  const rootSlot = (va: bigint): [bigint, bigint] => {
    const size = BigInt(arch.meta.levelSize[0]!);
    return [(va / size) * size, size];
  };
  const setup = (frames = 256): [PhysicalMemory, PageTable64] => {
    const mem = new PhysicalMemory({ size: frames * 4096, base: arch.memBase });
    return [mem, arch.create(mem)];
  };

  it('a range operation in the upper half leaves no non-canonical alias behind', () => {
    const top = arch.windows[arch.windows.length - 1]!;
    const va = top.base + BigInt(page);
    const alias = va & mask;
    if (alias === va || arch.meta.vaddrIsValid(alias)) return; // no upper half, or the alias is a valid address
    for (const op of ['protectRegion', 'unmapRegion'] as const) {
      const [mem, table] = setup();
      const c = table.cursor();
      c.map(va, 0x5000n * BigInt(page / 4096), page as PageSize, RW);
      c.map(va + BigInt(page), 0x6000n * BigInt(page / 4096), page as PageSize, RW);
      if (op === 'protectRegion') c.protectRegion(va, BigInt(page), MappingFlags.READ);
      else c.unmapRegion(va + BigInt(page), BigInt(page));
      c.flush();
      expectRefused(mem, () => table.query(alias), PagingError, 'InvalidAddress');
      if (alias < 1n << 53n) expectRefused(mem, () => table.queryNumber(Number(alias)), PagingError, 'InvalidAddress');
      expectRefused(mem, () => c.unmap(alias), PagingError, 'InvalidAddress');
      expectRefused(mem, () => c.map(alias + 2n * BigInt(page), 0x7000n * BigInt(page / 4096), page as PageSize, RW), PagingError, 'InvalidAddress');
      expect(table.query(va).paddr).toBe(0x5000n * BigInt(page / 4096));
      table.destroy();
      expect(mem.framesInUse).toBe(0);
    }
  });

  it('numbers at or above 2^64 (and non-integers) are refused, never wrapped', () => {
    if (upperOnly) return; // its addresses are above 2^53: no number names one
    const [mem, table] = setup();
    const c = table.cursor();
    c.map(Number(at(0n)), 0x5000 * (page / 4096), page as PageSize, RW);
    c.flush();
    for (const bad of [2 ** 64, 2 ** 64 + 2 ** 53, 1e300, Number.POSITIVE_INFINITY]) {
      expectRefused(mem, () => c.map(bad, 0x6000, page as PageSize, RW), PagingError, 'InvalidAddress');
      expectRefused(mem, () => c.unmap(bad), PagingError, 'InvalidAddress');
      expectRefused(mem, () => table.query(bad), PagingError, 'InvalidAddress');
      expectRefused(mem, () => table.queryNumber(bad), RangeError);
      expectRefused(mem, () => c.mapRegion(bad, 0x6000, page, RW, false), PagingError, 'InvalidAddress');
    }
    // a walk from an empty cache, then from a cached table, must both refuse
    table.queryNumber(Number(at(0n)));
    expectRefused(mem, () => table.queryNumber(2 ** 64), RangeError);
    expectRefused(mem, () => table.queryNumber(-1), RangeError);
    expectRefused(mem, () => table.queryNumber(Number.NaN), RangeError);
    for (const [lo, hi] of [[Number.NaN, 0], [2 ** 32, 0], [1.5, 0], [0, 2 ** 32], [0, -1], [-1, 0], [0, Number.NaN]] as const) {
      expectRefused(mem, () => table.queryWords(lo, hi), RangeError);
    }
    expect(table.queryWords(Number(at(0n)), 0)).toBe(0x5000 * (page / 4096));
    table.destroy();
  });

  it('copyFrom refuses the table itself and anything that is not a table', () => {
    const [mem, table] = setup();
    const c = table.cursor();
    c.map(at(0x40_0000n), 0x9000n * BigInt(page / 4096), page as PageSize, RW);
    const everything = 1n << BigInt(Math.min(arch.meta.vaTopBit, 60));
    expectRefused(mem, () => c.copyFrom(table, at(0n), everything), TypeError);
    for (const other of [42, null, {}, undefined, 'table']) {
      expectRefused(mem, () => c.copyFrom(other as never, at(0n), everything), TypeError);
    }
    expect(table.query(at(0x40_0000n)).paddr).toBe(0x9000n * BigInt(page / 4096));
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('a table whose subtables are shared by copyFrom outlives its borrowers', () => {
    if (arch.meta.levels < 2) return;
    const mem = new PhysicalMemory({ size: 512 * 4096, base: arch.memBase });
    const source = arch.create(mem);
    const dest = arch.create(mem);
    const sc = source.cursor();
    sc.map(at(0x40_0000n), 0x9000n * BigInt(page / 4096), page as PageSize, RW);
    const [slot, slotSize] = rootSlot(at(0x40_0000n));
    dest.cursor().copyFrom(source, slot, slotSize);
    expect(dest.query(at(0x40_0000n)).paddr).toBe(0x9000n * BigInt(page / 4096));
    // the source cannot free what the destination still walks through
    expectRefused(mem, () => source.destroy(), PagingError, 'SharedTable');
    expect(source.destroyed).toBe(false);
    // nor give away a lent root entry by copying over it
    const third = arch.create(mem);
    expectRefused(mem, () => sc.copyFrom(third, slot, slotSize), PagingError, 'SharedTable');
    // once the borrower is gone, both go in any order and every frame comes back
    dest.destroy();
    source.destroy();
    third.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('a borrower that copies again, or from another borrower, keeps the count of who holds what', () => {
    if (arch.meta.levels < 2) return;
    const mem = new PhysicalMemory({ size: 512 * 4096, base: arch.memBase });
    const [slot, first] = rootSlot(at(0x40_0000n));
    const a = arch.create(mem);
    a.cursor().map(at(0x40_0000n), 0x9000n * BigInt(page / 4096), page as PageSize, RW);
    const b = arch.create(mem);
    const c = arch.create(mem);
    b.cursor().copyFrom(a, slot, first);
    c.cursor().copyFrom(b, slot, first); // c holds a's subtable through b's copy: a still owns it
    const d = arch.create(mem);
    b.cursor().copyFrom(d, slot, first); // b lets go of it
    expect(c.query(at(0x40_0000n)).paddr).toBe(0x9000n * BigInt(page / 4096));
    expectRefused(mem, () => a.destroy(), PagingError, 'SharedTable');
    c.destroy();
    a.destroy();
    b.destroy();
    expect(mem.framesInUse).toBe(d.frameCount()); // the fourth table, made only to copy from
    d.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('destroy gives back the tables it reaches, and no frame that a table pointer outside the memory names', () => {
    // destroy tells a last-level table from the entry that points to it, without opening it: it must still pass over
    // a pointer to a table that is not in the memory (a corrupt image), as the descent does for the tables it opens
    const [mem, table] = setup();
    const levels = arch.meta.levels;
    const span = BigInt(arch.meta.levelSize[levels - 2]!);
    const va = arch.windows[0]!.base;
    const c = table.cursor();
    c.map(va, 0n, page as PageSize, RW);
    c.map(va + span, BigInt(page), page as PageSize, RW);
    c.flush();
    const link = translateAddress(table, va).steps[levels - 2]!.entryPaddr;
    const outside = arch.pte.newTable(mem.end, levels - 2);
    if (arch.meta.entryBytes === 8) mem.writeU64(link, outside);
    else mem.writeU32(link, Number(outside));
    const inUse = mem.framesInUse;
    expect(() => table.destroy()).not.toThrow();
    expect(table.destroyed).toBe(true);
    // what the rewritten entry no longer names stays allocated: nothing reaches it any more
    expect(mem.framesInUse).toBeLessThan(inUse);
    expect(mem.framesInUse).toBeGreaterThan(0);
  });

  it('a range operation on an attached table refuses the table entries a query calls corrupt, and names them as it does', () => {
    // A link to a last-level table rewritten to a pointer outside the memory, or to its top bit alone (a LoongArch
    // directory entry is present when it is not zero: that one points to address 0, outside this memory), in each
    // window (an upper half's addresses are reported as given): unmapRegion and protectRegion over it and the six
    // unused entries after it (so that the scans of unused entries, four at a time, run over it) must fail as a query
    // through it does, with the same level and address, and write nothing; where the query finds no entry there, they
    // pass over it.
    const [mem, built] = setup();
    const levels = arch.meta.levels;
    const span = BigInt(arch.meta.levelSize[levels - 2]!);
    const top = arch.meta.entryBytes === 8 ? 1n << 63n : 1n << 31n;
    const write = (pa: bigint, v: bigint) => (arch.meta.entryBytes === 8 ? mem.writeU64(pa, v) : mem.writeU32(pa, Number(v)));
    const read = (pa: bigint) => (arch.meta.entryBytes === 8 ? mem.readU64(pa) : BigInt(mem.readU32(pa)));
    const failure = (fn: () => unknown): PagingError | null => {
      try {
        fn();
        return null;
      } catch (err) {
        if (!(err instanceof PagingError)) throw err;
        return err;
      }
    };
    const c = built.cursor();
    let corrupt = 0;
    for (const win of arch.windows) {
      const va = win.base;
      const bad = va + span;
      expect(bad % span).toBe(0n);
      c.map(va, 0n, page as PageSize, RW);
      c.map(bad, BigInt(page), page as PageSize, RW);
      c.flush();
      // (a root of its own for the address: a table of both halves has no default root for the upper one)
      const roots = [{ root: built.rootPaddr, vaStart: bad, vaEnd: bad + BigInt(page), label: 'link', kernel: false }];
      const link = translateAddress(built, bad, { roots }).steps[levels - 2]!.entryPaddr;
      const saved = read(link);
      for (const bits of [arch.pte.newTable(mem.end, levels - 2), top]) {
        write(link, bits);
        const q = failure(() => arch.create(mem, { root: built.rootPaddr, writable: true }).query(bad));
        const ops = [(k: PageTable64Cursor) => k.unmapRegion(va, 8n * span), (k: PageTable64Cursor) => k.protectRegion(va, 8n * span, MappingFlags.READ)];
        for (const op of ops) {
          const before = mem.bytes().slice();
          // a table attached for this operation alone: nothing looked up before it
          const r = failure(() => op(arch.create(mem, { root: built.rootPaddr, writable: true }).cursor()));
          if (q?.code === 'CorruptTable') {
            corrupt++;
            expect(r?.code, `${bits.toString(16)} at ${bad.toString(16)}`).toBe('CorruptTable');
            expect(r!.message.replace(/^\w+: /, '')).toBe(q.message.replace(/^\w+: /, ''));
            expect(Buffer.compare(mem.bytes(), before)).toBe(0);
          } else {
            expect(r, `${bits.toString(16)} at ${bad.toString(16)}: ${String(r)}`).toBeNull();
          }
          mem.bytes().set(before);
        }
        // a table built here looks up the range's two ends alone (but for a format with leaves stored as repeated
        // entries, ARMv7's, checked in full): a range of one page under the link, where a huge page could hold it, is
        // refused as the query of that address is
        if (q?.code === 'CorruptTable' && arch.meta.leafLevels.length > 1) {
          const before = mem.bytes().slice();
          const rb = failure(() => built.cursor().protectRegion(bad, BigInt(page), MappingFlags.READ));
          expect(rb?.code).toBe('CorruptTable');
          expect(rb!.message.replace(/^\w+: /, '')).toBe(q.message.replace(/^\w+: /, ''));
          expect(Buffer.compare(mem.bytes(), before)).toBe(0);
        }
      }
      write(link, saved);
      c.unmap(va);
      c.unmap(bad);
      c.flush();
    }
    // every format reads the pointer outside the memory as corrupt
    expect(corrupt).toBeGreaterThanOrEqual(2 * arch.windows.length);
    built.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('user code cannot change a table from inside its own mapRegion', () => {
    const [mem, table] = setup();
    const c = table.cursor();
    const codes: string[] = [];
    const tryCode = (fn: () => unknown) => {
      try {
        fn();
        codes.push('ok');
      } catch (e) {
        codes.push(e instanceof PagingError ? e.code : String(e));
      }
    };
    const other = arch.create(mem);
    const start = at(0x40_0000n);
    c.mapRegion(
      start,
      (va: bigint) => {
        if (va === start + BigInt(page)) {
          tryCode(() => table.destroy());
          tryCode(() => table.cursor().map(start + 3n * BigInt(page), 0n, page as PageSize, RW));
          tryCode(() => c.unmap(start));
          tryCode(() => table.cursor().mapRegion(start + 8n * BigInt(page), 0n, BigInt(page), RW, false));
          tryCode(() => table.cursor().copyFrom(other, at(0n), BigInt(arch.meta.levelSize[0]!)));
          tryCode(() => other.cursor().copyFrom(table, at(0n), BigInt(arch.meta.levelSize[0]!)));
          // reading, and changing another table, are fine
          tryCode(() => table.query(start));
          tryCode(() => other.cursor().map(at(0n), 0n, page as PageSize, RW));
        }
        return va - start + 0x10_0000n * BigInt(page / 4096);
      },
      4n * BigInt(page),
      RW,
      false,
    );
    expect(codes).toEqual(['Busy', 'Busy', 'Busy', 'Busy', 'Busy', 'Busy', 'ok', 'ok']);
    expect(table.destroyed).toBe(false);
    expect([...table.mappings()].map((m) => m.vaddr)).toEqual([0n, 1n, 2n, 3n].map((k) => start + k * BigInt(page)));
    // after the call the table is usable again, through every path
    c.unmap(start);
    c.map(start, 0n, page as PageSize, RW);
    other.destroy();
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('an error thrown by the paddr callback leaves the table as it was', () => {
    const [mem, table] = setup();
    const c = table.cursor();
    c.map(at(0x80_0000n), 0n, page as PageSize, RW);
    expectRefused(
      mem,
      () =>
        c.mapRegion(
          at(0x40_0000n),
          (va: bigint) => {
            if (va === at(0x40_0000n) + 2n * BigInt(page)) throw new PagingError('InvalidAddress', 'callback: refused');
            return va;
          },
          4n * BigInt(page),
          RW,
          false,
        ),
      PagingError,
      'InvalidAddress',
    );
    // the table is not left marked busy
    c.map(at(0x40_0000n), 0n, page as PageSize, RW);
    table.destroy();
  });

  it('mappings() and walk() stay exact while the table changes under them', () => {
    const mem = new PhysicalMemory({ size: 1024 * 4096, base: arch.memBase });
    const table = arch.create(mem);
    const c = table.cursor();
    // pages in several last-level tables, so that unmapping empties and frees tables the iterator is inside
    const span = BigInt(arch.meta.levelSize[arch.meta.levels - 2] ?? page * 16);
    const vas: bigint[] = [];
    // (offsets of at least 32, 8 and 4 spans: maps made "behind" the iterator below stay below the first of these
    // whatever the granule)
    const atLeast = (off: bigint, spans: bigint): bigint => at(off > spans * span ? off : spans * span);
    for (let t = 0n; t < 6n; t++) for (let k = 0n; k < 3n; k++) vas.push(atLeast(0x4000_0000n, 32n) + t * span + k * BigInt(page));
    for (const [i, va] of vas.entries()) c.map(va, BigInt(i + 1) * BigInt(page), page as PageSize, RW);
    c.flush();
    const seen: bigint[] = [];
    let n = 0;
    for (const m of table.mappings()) {
      // what it yields exists at the time it is yielded
      expect(table.query(m.vaddr).paddr).toBe(m.paddr);
      seen.push(m.vaddr);
      // unmap this one and the next table's pages, then reuse the freed frames for tables elsewhere
      c.unmapRegion(m.vaddr, BigInt(page));
      if (n++ % 2 === 0) c.unmapRegion(m.vaddr - (m.vaddr % span) + span, span);
      c.flush();
      c.map(atLeast(0x1000_0000n, 8n) + BigInt(n) * span, 0n, page as PageSize, RW); // behind the iterator
      c.flush();
    }
    // every yielded address was one of ours, once, in order, and none that was removed before it was reached
    expect(seen.every((v, i) => vas.includes(v) && (i === 0 || v > seen[i - 1]!))).toBe(true);
    expect(seen.length).toBeLessThanOrEqual(vas.length);
    expect(seen.length).toBeGreaterThan(0);
    // walk(): a callback that unmaps and frees tables does not make it read freed frames
    const walked: bigint[] = [];
    table.walk(Number.POSITIVE_INFINITY, (level, _i, va) => {
      if (level !== arch.meta.levels - 1) return;
      // what it reports exists at the time it is reported
      expect(table.query(va).size).toBe(page);
      walked.push(va);
      c.unmapRegion(va, span - (va % span));
      c.flush();
      c.map(atLeast(0x0800_0000n, 4n) + BigInt(walked.length) * BigInt(page), 0n, page as PageSize, RW); // behind the walk
      c.flush();
    });
    expect(walked.length).toBeGreaterThan(0);
    expect(new Set(walked).size).toBe(walked.length);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('a deallocFrames that throws does not stop destroy(), and a second destroy() does nothing', () => {
    class ThrowingFree extends PhysicalMemory {
      failAt = -1;
      calls = 0;
      override deallocFrames(paddr: PhysAddr, count: number): void {
        if (this.calls++ === this.failAt) throw new Error('handler: deallocFrames failed');
        super.deallocFrames(paddr, count);
      }
    }
    // (room for 16 last-level tables and those above them, whatever the granule)
    const lastTable = arch.meta.tableBytes[arch.meta.levels - 1]!;
    const mem = new ThrowingFree({ size: Math.max(256 * 4096, 24 * lastTable), base: arch.memBase });
    const table = arch.create(mem);
    const c = table.cursor();
    c.mapRegion(at(0n), 0, 16n * BigInt(arch.meta.levelSize[arch.meta.levels - 2] ?? page), RW, false);
    c.flush();
    const tables = mem.framesInUse;
    expect(tables).toBeGreaterThan(2);
    mem.failAt = 1;
    expect(() => table.destroy()).toThrow('handler: deallocFrames failed');
    expect(table.destroyed).toBe(true);
    // every frame but those of the one table whose release threw is back
    expect(mem.framesInUse).toBeLessThanOrEqual(Math.max(...arch.meta.tableBytes.map((b) => Math.ceil(b / 4096))));
    expect(() => table.destroy()).not.toThrow();
  });

  it('a handler whose words begin half a frame before its memory gets every frame back', () => {
    // A frame's first word is then 512 past a multiple of 1,024: the frames cut into tables smaller than a frame (an
    // ARMv7 level-2 table, a PAE root) were once looked up by a table's word index rounded down to a multiple of
    // 1,024, found nowhere, and never freed.
    const lastTable = arch.meta.tableBytes[arch.meta.levels - 1]!;
    const size = Math.max(256 * 4096, 24 * lastTable);
    const buf = new ArrayBuffer(2048 + size);
    const mem = new PhysicalMemory({ buffer: new Uint8Array(buf, 2048, size), base: arch.memBase });
    mem.release(arch.memBase, size);
    const handler: PagingHandler = {
      words: new Uint32Array(buf),
      wordIndex: (lo, hi) => {
        const i = mem.wordIndex(lo, hi);
        return i < 0 ? i : i + 512;
      },
      allocFrames: (count, align) => mem.allocFrames(count, align),
      deallocFrames: (pa, count) => mem.deallocFrames(pa, count),
    };
    const table = arch.create(handler);
    const c = table.cursor();
    const span = 16n * BigInt(arch.meta.levelSize[arch.meta.levels - 2] ?? page);
    c.mapRegion(at(0n), 0, span, RW, false);
    c.flush();
    expect(table.query(at(0n) + span - BigInt(page)).size).toBe(page);
    expect(mem.framesInUse).toBe(table.frameCount());
    // the region's tables go back at the flush after it is emptied, then the root at destroy
    c.unmapRegion(at(0n), span);
    c.flush();
    expect(mem.framesInUse).toBe(table.frameCount());
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('values of the wrong type get the library message, not the engine', () => {
    const [mem, table] = setup();
    const c = table.cursor();
    expectRefused(mem, () => c.map(atN(0x40_0000n), 0x9000, page as PageSize, 3n as never), TypeError);
    expectRefused(mem, () => c.map(at(0x40_0000n), 0x9000n, page as PageSize, 3n as never), TypeError);
    expectRefused(mem, () => c.mapRegion(atN(0x40_0000n), 0x9000, page, 3n as never, false), TypeError);
    expectRefused(mem, () => c.protectRegion(atN(0x40_0000n), page, 3n as never), TypeError);
    expectRefused(mem, () => c.mapRegion(atN(0x40_0000n), Number.NaN, 0, RW, false), PagingError, 'InvalidAddress');
    expectRefused(mem, () => c.mapRegion(atN(0x40_0000n), '0x9000' as never, 0, RW, false), TypeError);
    expectRefused(mem, () => c.map(atN(0x40_0000n), 0x9000, '4096' as never, RW), PagingError, 'UnsupportedPageSize');
    expectRefused(mem, () => table.walk('5' as never), TypeError);
    expectRefused(mem, () => table.walk(null as never), TypeError);
    expectRefused(mem, () => table.walk(Number.NaN), RangeError);
    expectRefused(mem, () => table.walk(-1), RangeError);
    table.destroy();
  });
});

describe('PhysicalMemory refuses what it cannot be', () => {
  const mem = new PhysicalMemory({ size: 16 * 4096 });
  it.each([
    ['size: -4096', () => new PhysicalMemory({ size: -4096 }), RangeError],
    ['size: 1.5 frames', () => new PhysicalMemory({ size: 6144 }), RangeError],
    ['size: NaN', () => new PhysicalMemory({ size: Number.NaN }), RangeError],
    ["size: '4096'", () => new PhysicalMemory({ size: '4096' as never }), TypeError],
    ['size: 2^40', () => new PhysicalMemory({ size: 2 ** 40 }), RangeError],
    ['reserve(0, -1)', () => mem.reserve(0, -1), RangeError],
    ['reserve(0, NaN)', () => mem.reserve(0, Number.NaN), RangeError],
    ["reserve(0, '1')", () => mem.reserve(0, '1' as never), TypeError],
    ['release(0, -1)', () => mem.release(0, -1), RangeError],
    ['bytes(0, -1)', () => mem.bytes(0, -1), RangeError],
    ['allocFrames(NaN, 4096)', () => mem.allocFrames(Number.NaN, 4096), RangeError],
    ["allocFrames('1', 4096)", () => mem.allocFrames('1' as never, 4096), RangeError],
  ] as const)('%s', (_what, fn, type) => {
    const before = mem.framesInUse;
    expect(fn).toThrow(type);
    try {
      fn();
    } catch (e) {
      expect((e as Error).message).toMatch(/^[A-Za-z][\w.]*: /);
    }
    expect(mem.framesInUse).toBe(before);
  });
});

describe.each(ARCHES.map((a) => [a.name, a] as const))('tryNew: %s', (_name, arch) => {
  it('returns the table, or the PagingError instead of throwing it', () => {
    const rootBytes = Math.max(4 * 4096, 2 * arch.meta.tableBytes[0]!);
    const Table = arch.create(new PhysicalMemory({ size: rootBytes, base: arch.memBase })).constructor as unknown as {
      tryNew(handler?: PhysicalMemory, options?: object): PageTable64 | PagingError;
    };
    // a table class of an architecture package (the formats of test/arches/synthetic.ts are PageTable64 itself)
    if ((Table as unknown) === PageTable64) return;
    const mem = new PhysicalMemory({ size: 64 * 4096, base: arch.memBase });
    const made = Table.tryNew(mem);
    expect(made).toBeInstanceOf(Table as never);
    (made as PageTable64).destroy();
    const full = new PhysicalMemory({ size: 4096, base: arch.memBase });
    full.reserve(full.base, 4096);
    const err = Table.tryNew(full);
    expect(err).toBeInstanceOf(PagingError);
    expect((err as PagingError).code).toBe('NoMemory');
    const attached = Table.tryNew(mem, { root: mem.base + 8n });
    expect((attached as PagingError).code).toBe('NotAligned');
  });
});
