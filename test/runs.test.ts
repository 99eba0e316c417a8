// Runs of entries (core's form of the AArch64 Contiguous bit and of RISC-V Svnapot), on every table type whose
// format has them: which groups mapRegion marks, what a change inside a run does to the whole run (and which pages
// it invalidates), and the arguments refused with nothing changed. The model-based suite (conformance.test.ts)
// checks the same operations at random against test/support/model.ts.
import { defineMetaData, MappingFlags, type PageSize, PagingError, PhysicalMemory } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';
import { ARCHES } from './arches';

const { READ, WRITE, EXECUTE } = MappingFlags;
const RW = READ | WRITE;

// the rows whose format has runs at its last level (through the codec's hint)
const RUNS = ARCHES.filter((a) => a.pte.runHint !== undefined && (a.meta.runBits?.[a.meta.levels - 1] ?? 0) > 0);

describe('the rows with runs', () => {
  it('include the synthetic format, AArch64 and RISC-V Svnapot', () => {
    const names = RUNS.map((a) => a.name);
    expect(names).toContain('synthetic-runs');
    expect(names).toContain('aarch64');
    expect(names).toContain('riscv-sv39-svnapot');
  });
});

describe.each(RUNS.map((a) => [a.name, a] as const))('runs: %s', (_name, arch) => {
  const meta = arch.meta;
  const last = meta.levels - 1;
  const page = BigInt(meta.levelSize[last]!);
  const n = 1n << BigInt(meta.runBits![last]!);
  const run = page * n;
  const hint = arch.pte.runHint!;
  const base = arch.windows[0]!.base + run * 4n;
  const pa0 = 0x4000_0000n; // aligned to every run size below 1 GiB
  const setup = (flushTlb?: (va?: bigint) => void) => {
    const mem = new PhysicalMemory({ size: 8 << 20, base: arch.memBase });
    const table = arch.create(mem, flushTlb === undefined ? {} : { flushTlb });
    return { mem, table, cursor: table.cursor() };
  };
  // the last-level entries of [va, va + count pages), as bits
  const mask = (1n << BigInt(meta.vaMaxBits)) - 1n;
  const entries = (table: ReturnType<typeof setup>['table'], va: bigint, count: bigint) => {
    const out: bigint[] = [];
    table.walk(Number.POSITIVE_INFINITY, undefined, (level, _i, v, bits) => {
      if (level === last && (v & mask) >= (va & mask) && out.length < Number(count)) out.push(bits);
    });
    return out;
  };

  it('mapRegion with runs marks every whole aligned group of identical pages, and only those', () => {
    const { table, cursor } = setup();
    // from one page before a run boundary to one page past the second run: runs 1 and 2 whole, the edges not
    cursor.mapRegion(base - page, pa0 - page, 2n * run + 2n * page, RW, false, { runs: true });
    const got = entries(table, base - page, 2n * n + 2n);
    expect(got.length).toBe(Number(2n * n + 2n));
    const marked = got.map((b) => (b & hint) !== 0n);
    expect(marked).toEqual([false, ...Array(Number(2n * n)).fill(true), false]);
    expect(table.query(base + page + 5n)).toEqual({ paddr: pa0 + page + 5n, flags: table.query(base).flags, size: Number(run) });
    expect(table.query(base - page).size).toBe(Number(page));
    const listed = [...table.mappings()].map((m) => [m.vaddr & mask, m.paddr, BigInt(m.size)]);
    const b = base & mask;
    expect(listed).toEqual([
      [b - page, pa0 - page, page],
      [b, pa0, run],
      [b + run, pa0 + run, run],
      [b + 2n * run, pa0 + 2n * run, page],
    ]);
    // the number forms: a lookup in the same last-level table after a plain page (the walk cache's window)
    if (base < 1n << 53n) {
      expect(table.queryNumber(Number(base - page))).toBe(Number(pa0 - page));
      expect(table.queryNumber(Number(base + 3n * page + 7n))).toBe(Number(pa0 + 3n * page + 7n));
      expect(table.lastSize).toBe(Number(run));
    }
    table.destroy();
  });

  it('mapRegion without runs, or with pages that differ, marks nothing', () => {
    const { table, cursor } = setup();
    cursor.mapRegion(base, pa0, run, RW, false);
    cursor.mapRegion(base + run, pa0 + page, run, RW, false, { runs: true }); // physical start not run-aligned
    cursor.mapRegion(base + 2n * run, (i: bigint) => pa0 + 2n * run + (i === base + 2n * run ? run : 0n) + (i - base - 2n * run), run, RW, false, { runs: true });
    expect(entries(table, base, 3n * n).every((b) => (b & hint) === 0n)).toBe(true);
    expect(table.query(base + run + page).size).toBe(Number(page));
    table.destroy();
  });

  it('a change to one page of a run first makes the whole run plain pages, and invalidates each', () => {
    for (const change of ['protect', 'unmap', 'remap', 'unmapRegion', 'protectRegion'] as const) {
      const calls: (bigint | undefined)[] = [];
      const { table, cursor } = setup((va) => calls.push(va));
      cursor.mapRegion(base, pa0, run, RW, false, { runs: true });
      cursor.flush();
      calls.length = 0;
      const at = base + 2n * page;
      if (change === 'protect') expect(cursor.protect(at, READ | EXECUTE)).toBe(Number(page));
      if (change === 'unmap') expect(cursor.unmap(at)).toEqual({ paddr: pa0 + 2n * page, flags: table.query(base).flags, size: Number(page) });
      if (change === 'remap') expect(cursor.remap(at, pa0 + run * 2n, RW)).toBe(Number(page));
      if (change === 'unmapRegion') expect(cursor.unmapRegion(at, page)).toBe(page);
      if (change === 'protectRegion') expect(cursor.protectRegion(at, page, READ)).toBe(page);
      cursor.flush();
      const after = entries(table, base, n);
      // no entry of the run keeps the hint; the others still map their own pages
      expect(after.every((b) => (b & hint) === 0n), change).toBe(true);
      for (let j = 0n; j < n; j++) {
        if (j === 2n) continue;
        expect(table.query(base + j * page), `${change} page ${j}`).toEqual({ paddr: pa0 + j * page, flags: table.query(base).flags, size: Number(page) });
      }
      // every page of the run was invalidated (a full flush past the cursor's batch of 32)
      const pages = Array.from({ length: Number(n) }, (_, j) => base + BigInt(j) * page);
      if (n < 32n) for (const p of pages) expect(calls, `${change}: ${p.toString(16)}`).toContain(p);
      else expect(calls).toContain(undefined);
      table.destroy();
    }
  });

  it('a range operation over whole runs keeps them runs: protectRegion changes every member, unmapRegion removes them', () => {
    const { table, cursor } = setup();
    cursor.mapRegion(base, pa0, 2n * run, RW, false, { runs: true });
    expect(cursor.protectRegion(base, run, READ)).toBe(run);
    expect(entries(table, base, 2n * n).every((b) => (b & hint) !== 0n)).toBe(true);
    expect(table.query(base + page)).toEqual({ paddr: pa0 + page, flags: table.query(base + run).flags & ~WRITE, size: Number(run) });
    expect(cursor.unmapRegion(base + run, run)).toBe(run);
    expect(() => table.query(base + run)).toThrowError(expect.objectContaining({ code: 'NotMapped' }));
    expect(table.query(base).size).toBe(Number(run));
    table.destroy();
  });

  it('refuses bad run arguments and changes nothing', () => {
    const { mem, table, cursor } = setup();
    cursor.mapRegion(base, pa0, run, RW, false, { runs: true });
    const before = mem.bytes().slice();
    const frames = mem.framesInUse;
    expect(() => cursor.mapRegion(base + run, pa0, run, RW, false, { runs: 'yes' } as never)).toThrow(TypeError);
    expect(() => cursor.mapRegion(base + run, pa0, run, RW, false, null as never)).toThrow(TypeError);
    if (meta.runPages === true) {
      // a run's size as a page: both addresses aligned to it
      for (const [va, pa] of [
        [base + run + page, pa0],
        [base + run, pa0 + page],
      ] as const) {
        expect(() => cursor.map(va, pa, Number(run) as PageSize, RW)).toThrowError(expect.objectContaining({ code: 'NotAligned' }));
      }
      expect(() => cursor.map(base + page, pa0, Number(run) as PageSize, RW)).toThrowError(PagingError);
    } else {
      expect(() => cursor.map(base + run, pa0, Number(run) as PageSize, RW)).toThrowError(expect.objectContaining({ code: 'UnsupportedPageSize' }));
    }
    expect(Buffer.compare(mem.bytes(), before)).toBe(0);
    expect(mem.framesInUse).toBe(frames);
    table.destroy();
  });
});

describe('defineMetaData: runBits', () => {
  const spec = { name: 'r', paMaxBits: 48, pageShift: 12, indexBits: [9, 9, 9], entryBytes: 8 as const, leafLevels: [1, 2], vaTopBit: 39, upperHalf: false, signExtend: false };
  it('takes one width per level, at most the level index width, at leaf levels only', () => {
    expect(defineMetaData({ ...spec, runBits: [0, 4, 9] }).runBits).toEqual([0, 4, 9]);
    expect(() => defineMetaData({ ...spec, runBits: [0, 4] })).toThrow(RangeError);
    expect(() => defineMetaData({ ...spec, runBits: [0, 4, 10] })).toThrow(RangeError);
    expect(() => defineMetaData({ ...spec, runBits: [1, 0, 4] })).toThrow(RangeError);
    expect(() => defineMetaData({ ...spec, runBits: [0, 0.5, 4] })).toThrow(RangeError);
    expect(defineMetaData(spec).runBits).toBeUndefined();
  });
});
