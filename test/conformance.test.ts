// One model-based suite over every table type in test/arches/: random sequences of every cursor
// operation, checked after each step against a plain model, with memory compared byte for byte
// whenever an operation fails, and no frame left after destroy().
import { MappingFlags, PagingError, PhysicalMemory, type PageTable64 } from '@page-table-multiarch/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARCHES } from './arches';
import type { ArchCase } from './support/arch-case';
import { FailingMemory } from './support/failing-memory';
import { Model, type Outcome } from './support/model';

type Op =
  | { kind: 'map'; w: number; a: number; off: number; lvl: number; pa: number; flags: number; skew: boolean }
  | { kind: 'unmap' | 'query'; w: number; a: number; off: number; lvl: number; pick: number }
  | { kind: 'protect'; w: number; a: number; off: number; lvl: number; pick: number; flags: number }
  | { kind: 'remap'; w: number; a: number; off: number; lvl: number; pick: number; pa: number; flags: number }
  | { kind: 'mapRegion'; w: number; a: number; off: number; lvl: number; pages: number; pa: number; flags: number; huge: boolean; runs: boolean }
  | { kind: 'unmapRegion' | 'protectRegion'; w: number; a: number; off: number; lvl: number; pages: number; flags: number };

const flagsArb = fc.integer({ min: 1, max: 63 });
// Addresses cluster around a few anchors so that pages of every size collide and overlap often.
const base = { w: fc.nat(7), a: fc.nat(3), off: fc.nat(15), lvl: fc.nat(7) };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('map' as const), ...base, pa: fc.nat(), flags: flagsArb, skew: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('unmap' as const, 'query' as const), ...base, pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('protect' as const), ...base, pick: fc.nat(), flags: flagsArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remap' as const), ...base, pick: fc.nat(), pa: fc.nat(), flags: flagsArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('mapRegion' as const),
      ...base,
      pages: fc.integer({ min: 1, max: 1200 }),
      pa: fc.nat(),
      flags: flagsArb,
      huge: fc.boolean(),
      runs: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constantFrom('unmapRegion' as const, 'protectRegion' as const), ...base, pages: fc.integer({ min: 1, max: 2048 }), flags: flagsArb }),
  },
);

const SAFE = 1n << 53n;
/** `x` as a number when it is exact as one and `k` is odd, else as it is. */
function asNumber(x: bigint, k: number): bigint | number {
  return x < SAFE && k % 2 === 1 ? Number(x) : x;
}

function outcome<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof PagingError) return { ok: false, code: err.code };
    throw err;
  }
}

/** A case's table, its model and memory, and the format's address helpers the operations draw from. */
function caseState(arch: ArchCase) {
  const mem = new FailingMemory(4 << 20, arch.memBase);
  const table: PageTable64 = arch.create(mem);
  const model = new Model(arch.meta, arch.pte, arch.refusedFlags);
  // page sizes map takes: the leaf levels', and the runs' where the format's runs are pages (Svnapot)
  const leafSizes = arch.meta.leafLevels.map((l) => BigInt(arch.meta.levelSize[l]!));
  const mapSizes = [...leafSizes];
  for (const l of arch.meta.leafLevels) if (model.runSize(l) > 0n && model.runLevelOfSize(model.runSize(l)) === l) mapSizes.push(model.runSize(l));
  mapSizes.sort((x, y) => (x > y ? -1 : x < y ? 1 : 0));
  // the smallest run: mapRegion with runs aligns its region to it, so that runs form
  const lastRun = model.runSize(model.last);
  const paBits = BigInt(arch.paBits ?? Math.min(arch.meta.paMaxBits, 40));
  const page = BigInt(arch.meta.levelSize[arch.meta.levels - 1]!);
  const cursor = table.cursor();
  const biggest = leafSizes[0]!;
  const addr = (op: { w: number; a: number; off: number; lvl: number }, sizes: bigint[] = leafSizes) => {
    const win = arch.windows[op.w % arch.windows.length]!;
    const size = sizes[op.lvl % sizes.length]!;
    const slots = win.size / size;
    const anchor = (BigInt(op.a) % (win.size / biggest)) * (biggest / size);
    return { va: win.base + ((anchor + BigInt(op.off)) % slots) * size, size };
  };
  const pickVa = (op: { w: number; a: number; off: number; lvl: number; pick: number }) => {
    const pages = model.sorted();
    if (pages.length > 0 && op.pick % 4 !== 0) {
      const p = pages[op.pick % pages.length]!;
      // back to the window's form (upper-half windows are sign-extended / all-ones)
      const win = arch.windows.find((w) => (w.base & model.mask) <= p.va && p.va < (w.base & model.mask) + w.size)!;
      return win.base + (p.va - (win.base & model.mask));
    }
    return addr(op).va;
  };
  const paFor = (n: number, size: bigint) => ((BigInt(n) * 0x9e37_79b9n * page) % (1n << paBits)) / size * size;

  return { mem, table, model, mapSizes, lastRun, page, cursor, addr, pickVa, paFor };
}

type CaseState = ReturnType<typeof caseState>;

/** Runs `op` on the table and on the model: what each answered, or null when the op does not fit its window. */
function applyOp(arch: ArchCase, state: CaseState, op: Op): { got: Outcome<unknown>; want: Outcome<unknown> } | null {
  const { table, model, mapSizes, lastRun, page, cursor, addr, pickVa, paFor } = state;
  let got: Outcome<unknown>;
  let want: Outcome<unknown>;
  switch (op.kind) {
    case 'map': {
      const { va, size } = addr(op, mapSizes);
      const skewed = op.skew && size > page ? va + page : va;
      const pa = paFor(op.pa, size);
      want = model.map(skewed, pa, size, op.flags);
      // addresses below 2^53 go in as numbers half of the time (the number form of the fast paths)
      got = outcome(() => cursor.map(asNumber(skewed, op.off), asNumber(pa, op.off), Number(size) as never, op.flags));
      break;
    }
    case 'query': {
      const va = pickVa(op) + BigInt(op.off % 4096);
      const p = model.view(va & model.mask);
      want = p ? { ok: true, value: { paddr: p.pa + ((va & model.mask) - p.va), flags: p.flags, size: Number(p.size) } } : { ok: false, code: 'NotMapped' };
      got = outcome(() => table.query(asNumber(va, op.pick)));
      if (va < SAFE) {
        // queryNumber agrees with query: the address (or -1), and the flags and size it leaves behind
        if (!want.ok) expect(table.queryNumber(Number(va))).toBe(-1);
        else if (p!.pa + ((va & model.mask) - p!.va) >= SAFE) expect(() => table.queryNumber(Number(va))).toThrow(RangeError);
        else {
          expect(table.queryNumber(Number(va))).toBe(Number(p!.pa + ((va & model.mask) - p!.va)));
          expect([table.lastFlags, table.lastSize]).toEqual([p!.flags, Number(p!.size)]);
        }
      }
      break;
    }
    case 'unmap': {
      const va = pickVa(op);
      const r = model.unmap(va);
      want = r.ok ? { ok: true, value: { paddr: r.value.pa, flags: r.value.flags, size: Number(r.value.size) } } : r;
      got = outcome(() => cursor.unmap(asNumber(va, op.pick)));
      break;
    }
    case 'protect': {
      const va = pickVa(op);
      const r = model.protect(va, op.flags);
      want = r.ok ? { ok: true, value: Number(r.value) } : r;
      got = outcome(() => cursor.protect(va, op.flags));
      break;
    }
    case 'remap': {
      const va = pickVa(op);
      const p = model.containing(va & model.mask);
      const pa = paFor(op.pa, p ? p.size : page);
      const r = model.remap(va, pa, op.flags);
      want = r.ok ? { ok: true, value: Number(r.value) } : r;
      got = outcome(() => cursor.remap(va, pa, op.flags));
      break;
    }
    case 'mapRegion': {
      const at = addr({ ...op, lvl: arch.meta.leafLevels.length - 1 }).va;
      const runs = op.runs && lastRun > 0n;
      // with runs, the region starts on a run boundary in both address spaces (most of the time), so that runs form
      const va = runs && op.pages % 4 !== 0 ? at - (at % lastRun) : at;
      const win = arch.windows[op.w % arch.windows.length]!;
      const size = BigInt(op.pages) * page;
      if (va + size > win.base + win.size) return null;
      const pa = paFor(op.pa, runs && op.pages % 4 !== 0 ? lastRun : page);
      want = model.mapRegion(va, pa, size, op.flags, op.huge, runs);
      // numbers half of the time: small regions then take the one-table fast path
      got = outcome(() =>
        cursor.mapRegion(asNumber(va, op.off), asNumber(pa, op.off), asNumber(size, op.off), op.flags, op.huge, op.runs ? { runs: true } : undefined),
      );
      break;
    }
    case 'unmapRegion':
    case 'protectRegion': {
      const { va } = addr({ ...op, lvl: op.lvl });
      const win = arch.windows[op.w % arch.windows.length]!;
      const size = BigInt(op.pages) * page * (op.pages % 3 === 0 ? 512n : 1n);
      const end = va + size > win.base + win.size ? win.base + win.size : va + size;
      want = op.kind === 'unmapRegion' ? model.unmapRegion(va, end - va) : model.protectRegion(va, end - va, op.flags);
      got = outcome(() => (op.kind === 'unmapRegion' ? cursor.unmapRegion(va, end - va) : cursor.protectRegion(va, end - va, op.flags)));
      break;
    }
  }
  return { got, want };
}

/** After an op: the outcomes agree, a failure changed no byte nor frame, the listing and the counts are the model's. */
function checkStep(arch: ArchCase, state: CaseState, op: Op, got: Outcome<unknown>, want: Outcome<unknown>, before: Uint8Array, framesBefore: number): void {
  const { mem, table, model, cursor } = state;
  expect(got, `${arch.name} ${JSON.stringify(op)}`).toEqual(want);
  if (!got.ok) {
    expect(Buffer.compare(mem.bytes(), before), `${op.kind} failed with ${got.code} and changed memory`).toBe(0);
    expect(mem.framesInUse).toBe(framesBefore);
  }
  const listed = [...table.mappings()].map((m) => ({ va: m.vaddr & model.mask, pa: m.paddr, size: BigInt(m.size), flags: m.flags }));
  expect(listed).toEqual(model.listed());
  // tables: created by maps and splits, freed (at the flush) when unmapRegion leaves them empty
  cursor.flush();
  expect(table.tableCount(), `${op.kind}: tables`).toBe(model.tableCount() + 1);
  expect(mem.framesInUse).toBe(table.frameCount());
}

// `fails[i]`: the frame allocator fails after that many more allocations during operation i (failure injection).
function runCase(arch: ArchCase, ops: Op[], fails: (number | null)[] = []): void {
  const state = caseState(arch);
  const { mem, table, model, cursor } = state;
  for (const [opIndex, op] of ops.entries()) {
    const before = mem.bytes().slice();
    const saved = model.clone();
    mem.budget = fails[opIndex] ?? Number.POSITIVE_INFINITY;
    const framesBefore = mem.framesInUse;
    const step = applyOp(arch, state, op);
    if (step === null) continue;
    const { got } = step;
    let { want } = step;
    mem.budget = Number.POSITIVE_INFINITY;
    if (!got.ok && got.code === 'NoMemory' && fails[opIndex] != null) {
      // the injected failure: the operation must have changed nothing, so the model goes back too
      model.pages = saved.pages;
      model.tables = saved.tables;
      want = got;
    }
    checkStep(arch, state, op, got, want, before, framesBefore);
  }
  cursor.flush();
  expect(table.frameCount()).toBe(mem.framesInUse);
  table.destroy();
  expect(mem.framesInUse).toBe(0);
  expect(() => table.query(0)).toThrowError(expect.objectContaining({ code: 'Destroyed' }));
}

describe.each(ARCHES.map((a) => [a.name, a] as const))('model-based conformance: %s', (_name, arch) => {
  it('agrees with the model after every step and frees every frame', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.option(fc.nat(3), { freq: 4 }), { maxLength: 40 }),
        (ops, fails) => runCase(arch, ops, fails),
      ),
      // PT_MODEL_SEED replays a reported failure (with the seed fast-check printed)
      { numRuns: Number(process.env.PT_MODEL_RUNS ?? 60), ...(process.env.PT_MODEL_SEED ? { seed: Number(process.env.PT_MODEL_SEED) } : {}) },
    );
  }, 120_000);

  it('lists sign-extended (or all-ones) upper-half addresses exactly as mapped', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: arch.memBase });
    const table = arch.create(mem);
    const cursor = table.cursor();
    const page = BigInt(arch.meta.levelSize[arch.meta.levels - 1]!);
    const top = arch.windows[arch.windows.length - 1]!;
    const va = top.base + top.size - page;
    cursor.map(va, page * 3n, Number(page) as never, MappingFlags.READ);
    const [m] = [...table.mappings()];
    if (arch.meta.signExtend) expect(m?.vaddr).toBe(va);
    expect(table.query(va + 5n).paddr).toBe(page * 3n + 5n);
    table.destroy();
  });
});
