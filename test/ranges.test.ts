// Range operations over every architecture: huge-page splits, holes, reclaim of empty tables,
// all-or-nothing under allocation failure, exact TLB invalidations, and copyFrom's shared entries.
import { MappingFlags, type PageSize, PagingError, PhysicalMemory } from '@page-table-multiarch/core';
import { Sv57PageTable } from '@page-table-multiarch/riscv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARCHES } from './arches';
import { FailingMemory } from './support/failing-memory';
import { leafEntry, rw } from './support/tlb-world';

const { READ, WRITE } = MappingFlags;
const RW = READ | WRITE;

describe.each(ARCHES.map((a) => [a.name, a] as const))('range operations: %s', (_name, arch) => {
  const meta = arch.meta;
  const page = BigInt(meta.levelSize[meta.levels - 1]!);
  const leafSizes = meta.leafLevels.map((l) => BigInt(meta.levelSize[l]!));
  // the tests place pages up to a dozen of the largest leaves past the first window's base: the largest leaf size
  // for which that stays in the addresses the table serves (a 1 GiB block does not, in a 4 GiB ARMv7 space)
  const room = meta.window !== undefined ? meta.window.end - arch.windows[0]!.base : 1n << BigInt(meta.vaMaxBits);
  const biggest = leafSizes.find((s) => s * 12n <= room) ?? leafSizes[leafSizes.length - 1]!;
  const huge = leafSizes.length > 1 ? leafSizes[leafSizes.length - 2]! : 0n;
  const base = arch.windows[0]!.base + biggest * 2n;

  it('splits a huge page that unmapRegion and protectRegion only partly cover', () => {
    if (huge === 0n) return;
    const mem = new PhysicalMemory({ size: 1 << 20, base: arch.memBase });
    const calls: (bigint | undefined)[] = [];
    const table = arch.create(mem, { flushTlb: (va) => calls.push(va) });
    const c = table.cursor();
    c.map(base, huge * 3n, Number(huge) as PageSize, RW);
    c.flush();
    calls.length = 0;
    // unmap one page in the middle: the rest keeps its addresses and flags
    expect(c.unmapRegion(base + page * 5n, page)).toBe(page);
    expect(() => table.query(base + page * 5n)).toThrowError(expect.objectContaining({ code: 'NotMapped' }));
    expect(table.query(base + page * 4n + 7n)).toMatchObject({ paddr: huge * 3n + page * 4n + 7n, size: Number(page) });
    expect(table.query(base + huge - 1n).paddr).toBe(huge * 4n - 1n);
    // protect the first two pages: split pieces outside keep RW
    expect(c.protectRegion(base, page * 2n, READ)).toBe(page * 2n);
    expect(table.query(base).flags & WRITE).toBe(0);
    expect(table.query(base + page * 2n).flags & WRITE).toBe(WRITE);
    c.flush();
    // the split's invalidation names the old huge page; then the changed pages
    expect(calls[0]).toBe(base);
    expect(calls).toContain(base + page * 5n);
    const pieces = [...table.mappings()];
    expect(pieces.length).toBe(Number(huge / page) - 1);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('a range across several huge pages splits the two it cuts and changes those between whole', () => {
    if (huge === 0n) return;
    const mem = new PhysicalMemory({ size: 1 << 22, base: arch.memBase });
    const table = arch.create(mem);
    const c = table.cursor();
    // four huge pages in a row; the range runs from a page into the first to a page before the end of the last
    for (let k = 0n; k < 4n; k++) c.map(base + huge * k, huge * (4n + k), Number(huge) as PageSize, RW);
    const start = base + page;
    const end = base + huge * 4n - page;
    expect(c.protectRegion(start, end - start, READ)).toBe(end - start);
    expect(table.query(base).flags & WRITE).toBe(WRITE);
    expect(table.query(base).size).toBe(Number(page));
    expect(table.query(start).flags & WRITE).toBe(0);
    for (const k of [1n, 2n]) {
      const q = table.query(base + huge * k);
      expect([q.paddr, q.size, q.flags & WRITE]).toEqual([huge * (4n + k), Number(huge), 0]);
    }
    expect(table.query(end).flags & WRITE).toBe(WRITE);
    expect(c.unmapRegion(start, end - start)).toBe(end - start);
    c.flush();
    const left = [...table.mappings()];
    expect(left.map((m) => [m.vaddr, m.paddr, m.size])).toEqual([
      [base, huge * 4n, Number(page)],
      [end, huge * 8n - page, Number(page)],
    ]);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('unmapRegion across a table of huge pages clears those inside, empties a table among them and keeps an entry that is not present', () => {
    if (huge === 0n) return;
    const hugeLevel = meta.leafLevels[meta.leafLevels.length - 2]!;
    const mem = new PhysicalMemory({ size: 1 << 22, base: arch.memBase });
    const calls: (bigint | undefined)[] = [];
    const table = arch.create(mem, { flushTlb: (va) => calls.push(va) });
    const c = table.cursor();
    // ten huge-page slots in a row: slot 3 a table of two small pages, slot 6 a huge page made not present (bits of
    // its entry cleared, the rest kept), the others huge pages; the range covers the ten exactly
    for (let k = 0n; k < 10n; k++) if (k !== 3n) c.map(base + huge * k, huge * (10n + k), Number(huge) as PageSize, RW);
    c.map(base + huge * 3n, 0n, Number(page) as PageSize, RW);
    c.map(base + huge * 3n + page * 5n, page, Number(page) as PageSize, RW);
    const slot6 = leafEntry(table, mem, base + huge * 6n)!;
    expect(slot6.level).toBe(hugeLevel);
    const entry = rw(mem, meta.entryBytes);
    const bits = entry.get(slot6.at);
    // one bit of the entry, or its low bits (x86 EPT is present while any of R, W, X is set)
    const masks = [...[...Array(64).keys()].map((b) => 1n << BigInt(b)), 3n, 7n, 15n];
    const mask = masks.find((m) => (bits & m) !== 0n && (bits & ~m) !== 0n && !arch.pte.isPresent(bits & ~m, hugeLevel));
    expect(mask).toBeDefined();
    const absent = bits & ~mask!;
    entry.set(slot6.at, absent);
    c.flush();
    calls.length = 0;
    const tables = table.tableCount();
    expect(c.unmapRegion(base, huge * 10n)).toBe(huge * 8n + page * 2n);
    expect(entry.get(slot6.at)).toBe(absent);
    c.flush();
    expect([...table.mappings()]).toEqual([]);
    // slot 3's table given back
    expect(table.tableCount()).toBe(tables - 1);
    for (const k of [0n, 1n, 2n, 4n, 5n, 7n, 8n, 9n]) expect(calls).toContain(base + huge * k);
    expect(calls).toContain(base + huge * 3n + page * 5n);
    expect(calls).not.toContain(base + huge * 6n);
    expect(calls).not.toContain(undefined);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('tables freed by unmapRegion (found empty, not zeroed again) and by destroy leave every word of memory zero', () => {
    const mem = new PhysicalMemory({ size: 1 << 22, base: arch.memBase });
    const allZero = () => mem.words.every((x) => x === 0);
    const table = arch.create(mem);
    const c = table.cursor();
    // pages in several last-level tables, and a huge page, then everything unmapped: every table but the root goes
    const far = huge === 0n ? page * 4096n : huge * 2n;
    for (const [va, size] of [[base, page], [base + page * 3n, page], [base + far, page], [base + far * 2n, huge === 0n ? page : huge]] as const) {
      c.map(va, size * 2n, Number(size) as PageSize, RW);
    }
    c.flush();
    expect(allZero()).toBe(false);
    const span = far * 3n;
    c.unmapRegion(base, span);
    c.flush();
    expect(table.tableCount()).toBe(1);
    // the root's entries are zero again, and so is every frame given back
    expect(allZero()).toBe(true);
    // frames reused after that read as new tables: a map there finds nothing mapped
    c.map(base + far, page * 3n, Number(page) as PageSize, RW);
    expect(table.query(base + far).paddr).toBe(page * 3n);
    expect(() => table.query(base)).toThrowError(expect.objectContaining({ code: 'NotMapped' }));
    c.flush();
    // destroy frees tables that hold entries: those are zeroed
    table.destroy();
    expect(allZero()).toBe(true);
  });

  it('skips holes and reports the bytes changed; the empty tables it leaves are freed at the flush', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: arch.memBase });
    const table = arch.create(mem);
    const empty = mem.framesInUse;
    const c = table.cursor();
    c.map(base, 0n, Number(page) as PageSize, RW);
    c.map(base + page * 40n, page, Number(page) as PageSize, RW);
    c.flush();
    const withTables = mem.framesInUse;
    expect(withTables).toBeGreaterThan(empty);
    expect(c.protectRegion(base, page * 64n, READ)).toBe(page * 2n);
    expect(c.unmapRegion(base - page * 8n, page * 64n)).toBe(page * 2n);
    expect(mem.framesInUse).toBe(withTables); // not yet: the tables wait for the invalidation
    c.flush();
    expect(mem.framesInUse).toBe(empty);
    expect(table.tableCount()).toBe(1);
    table.destroy();
  });

  // mapRegion writes the pages after the first by adding the page size to the first page's entry words (both the
  // one-table path, which takes numbers, and the fill of a table on the general path): across 4 GiB physical the
  // address field carries out of the low word
  it('mapRegion across a 4 GiB physical boundary: every page maps its own frame', () => {
    if (meta.paMaxBits <= 32) return;
    const mem = new PhysicalMemory({ size: 1 << 20, base: arch.memBase });
    const table = arch.create(mem);
    const pa = (1n << 32n) - page * 4n;
    const c = table.cursor();
    const starts = [base + page * 16n];
    c.mapRegion(starts[0]!, pa, page * 8n, RW, false);
    if (base + page * 64n < 2n ** 53n) {
      starts.push(base + page * 32n);
      c.mapRegion(Number(starts[1]!), Number(pa), Number(page * 8n), RW, false);
    }
    c.flush();
    for (const va of starts) for (let i = 0n; i < 8n; i++) expect(table.query(va + page * i + 5n).paddr).toBe(pa + page * i + 5n);
    table.destroy();
  });

  it('compact() frees tables emptied by single-page unmaps', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: arch.memBase });
    const table = arch.create(mem);
    const empty = mem.framesInUse;
    const c = table.cursor();
    c.map(base, 0n, Number(page) as PageSize, RW);
    c.unmap(base);
    expect(c.compact()).toBeGreaterThan(0);
    c.flush();
    expect(mem.framesInUse).toBe(empty);
    table.destroy();
  });

  // a million cycles on x86_64, a hundred thousand on each other table type (the same code path)
  const cycles = arch.name === 'x86_64' ? 1_000_000 : 100_000;
  it(`${cycles} map/unmap cycles over the same range leave framesInUse where it started`, () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: arch.memBase });
    const table = arch.create(mem);
    const start = mem.framesInUse;
    const c = table.cursor();
    for (let i = 0; i < cycles; i++) {
      c.mapRegion(base, page * 2n, page * 3n, RW, true);
      c.unmapRegion(base, page * 3n);
      c.flush();
    }
    expect(mem.framesInUse).toBe(start);
    table.destroy();
  }, 120_000);

  it('is all or nothing when frames run out at a random allocation', () => {
    fc.assert(
      fc.property(fc.nat(6), fc.nat(3), fc.nat(40), fc.nat(3), (budget, which, off, n) => {
        const mem = new FailingMemory(1 << 20, arch.memBase);
        const table = arch.create(mem);
        const c = table.cursor();
        if (huge !== 0n) c.map(base + biggest, 0n, Number(huge) as PageSize, RW);
        c.map(base + page * 3n, 0n, Number(page) as PageSize, RW);
        c.flush();
        const before = mem.bytes().slice();
        const frames = mem.framesInUse;
        mem.budget = budget;
        const size = page * BigInt(1 + off) * BigInt(1 + n * 200);
        const ops = [
          () => c.mapRegion(base + biggest * 4n, 0n, size, RW, n % 2 === 0),
          () => c.unmapRegion(base + biggest + page * BigInt(off), size),
          () => c.protectRegion(base + biggest + page * BigInt(off), size, READ),
          () => c.map(base + biggest * 8n + page * BigInt(off), 0n, Number(page) as PageSize, RW),
        ];
        try {
          ops[which]!();
        } catch (err) {
          expect(err).toBeInstanceOf(PagingError);
          expect((err as PagingError).code).toBe('NoMemory');
          expect(Buffer.compare(mem.bytes(), before), 'memory changed by a failed operation').toBe(0);
          expect(mem.framesInUse).toBe(frames);
        }
        c.flush();
        table.destroy();
        expect(mem.framesInUse).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('sends an invalidation for each changed page and none for what did not change', () => {
    const calls: (bigint | undefined)[] = [];
    const table = arch.create(new PhysicalMemory({ size: 1 << 20, base: arch.memBase }), { flushTlb: (va) => calls.push(va) });
    const c = table.cursor();
    c.map(base, 0n, Number(page) as PageSize, RW);
    c.flush();
    calls.length = 0;
    c.protect(base, RW);
    c.protectRegion(base, page * 4n, RW);
    c.flush();
    expect(calls).toEqual([]);
    c.protect(base, READ);
    c.unmapRegion(base + page, page * 3n);
    c.flush();
    expect(calls).toEqual([base]);
    // range operations name pages as the caller does, upper half included, each once
    const top = arch.windows[arch.windows.length - 1]!.base;
    c.map(top, 0n, Number(page) as PageSize, RW);
    c.flush();
    calls.length = 0;
    c.protectRegion(top, page, READ);
    c.unmapRegion(top, page * 2n);
    c.flush();
    expect(calls[0]).toBe(top);
    const half = (va: bigint | undefined) => (va ?? 0n) >> BigInt(meta.vaTopBit);
    for (const [i, va] of calls.entries()) {
      expect(half(va), 'invalidations keep the caller\'s upper bits').toBe(half(top));
      if (i > 0) expect(va).not.toBe(calls[i - 1]);
    }
    table.destroy();
  });

  it('copyFrom shares root entries: writes below them are refused, the source outlives the destination, and each frees exactly its own frames', () => {
    for (const order of ['source first', 'destination first']) {
      const mem = new PhysicalMemory({ size: 1 << 20, base: arch.memBase });
      const src = arch.create(mem);
      const dst = arch.create(mem);
      const sc = src.cursor();
      sc.map(base, page * 7n, Number(page) as PageSize, RW);
      expect(src.frameCount()).toBeGreaterThan(1);
      const dc = dst.cursor();
      const other = arch.windows[arch.windows.length - 1]!.base;
      dc.map(other, page, Number(page) as PageSize, RW);
      const dstFrames = dst.frameCount();
      dc.copyFrom(src, base, page);
      expect(dst.query(base).paddr).toBe(page * 7n);
      expect(dst.frameCount()).toBe(1 + (dstFrames - 1));
      for (const fn of [
        () => dc.map(base + page, 0n, Number(page) as PageSize, RW),
        () => dc.unmap(base),
        () => dc.protect(base, READ),
        () => dc.unmapRegion(base, page),
      ]) {
        expect(fn).toThrowError(expect.objectContaining({ code: 'SharedTable' }));
      }
      // the source's own reclaim may free tables deeper down, never the one the destination points to
      sc.unmap(base);
      sc.compact();
      sc.flush();
      expect(() => dst.query(base)).toThrowError(expect.objectContaining({ code: 'NotMapped' }));
      expect(src.frameCount()).toBeGreaterThanOrEqual(2);
      const srcLeft = src.frameCount();
      expect(mem.framesInUse).toBe(srcLeft + dstFrames);
      if (order === 'source first') {
        // refused while the destination walks through the source's table, which would otherwise be freed under it
        expect(() => src.destroy()).toThrowError(expect.objectContaining({ code: 'SharedTable' }));
        expect(mem.framesInUse).toBe(srcLeft + dstFrames);
        dst.destroy();
        expect(mem.framesInUse).toBe(srcLeft);
        src.destroy();
      } else {
        dst.destroy();
        expect(mem.framesInUse).toBe(srcLeft);
        src.destroy();
      }
      expect(mem.framesInUse).toBe(0);
    }
  });
});

describe('range operations count what they change exactly past 2^53 bytes', () => {
  it('protectRegion and unmapRegion of 64 pages of 256 TiB and a 4 KiB page (Sv57) report 2^54 + 4096 bytes', () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    const table = new Sv57PageTable(mem);
    const c = table.cursor();
    const peta = 2n ** 48n;
    for (let k = 0n; k < 64n; k++) c.map(k * peta, k * peta, Number(peta) as PageSize, RW);
    c.map(64n * peta, 0x1000n, 4096, RW);
    // a count above 2^53 whose low word is not zero: both of its words must be right
    const bytes = 2n ** 54n + 4096n;
    expect(c.protectRegion(0n, bytes, READ)).toBe(bytes);
    expect(c.unmapRegion(0n, bytes)).toBe(bytes);
    c.flush();
    expect([...table.mappings()]).toEqual([]);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });
});
