// Malformed memory, for every architecture: self-referencing tables, pointers past the end, all-ones entries and
// random bytes. The dump must end within the memory's bound, report diagnostics, throw nothing, and never read
// outside the memory: both handlers here throw on any such read.
import { ARCHES, type ArchSpec } from '@page-table-multiarch/cli';
import {
  type AttachPlan,
  type DumpRecord,
  dumpMappings,
  MappingFlags,
  PagedMemory,
  type PagingHandler,
  type PhysAddr,
  RegisterError,
  translateAddress,
} from '@page-table-multiarch/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const SIZE = 64 * 1024;
const TCR = 16n | (16n << 16n) | (2n << 30n) | (5n << 32n);

/** Register values whose roots are at `base` (and base + 16 KiB for a second root). */
function registersFor(arch: ArchSpec, base: bigint): Record<string, bigint> {
  switch (arch.name) {
    case 'x86_64':
      return { cr3: base, cr4: 0x20n, efer: 0xd01n };
    case 'x86':
      return { cr3: base, cr4: 0x20n, efer: 0x800n };
    case 'aarch64':
      return { ttbr0: base, ttbr1: base + 0x4000n, tcr: TCR };
    case 'arm':
      return { ttbr0: base, ttbcr: 0n };
    case 'riscv64':
      return { satp: (8n << 60n) | (base >> 12n) };
    case 'riscv32':
      return { satp: (1n << 31n) | (base >> 12n) };
    case 'loongarch64':
      return { pgdl: base, pgdh: base + 0x4000n };
    default:
      throw new Error(`no registers for ${arch.name}`);
  }
}

/** A handler over `bytes` at `base` whose `words` throw on any index outside the memory. */
function strictDirect(bytes: Uint8Array, base: bigint): PagingHandler {
  const raw = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const words = new Proxy(raw, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) {
        const i = Number(key);
        if (i >= target.length) throw new Error(`read of word ${i}, outside the memory`);
        return target[i];
      }
      const v = Reflect.get(target, key, receiver === words ? target : receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return {
    words,
    wordIndex(lo: number, hi: number): number {
      const off = (hi * 4294967296 + lo) - Number(base);
      return off < 0 || off >= bytes.length ? -1 : off >>> 2;
    },
    allocFrames: () => null,
    deallocFrames: () => {
      throw new Error('no frames');
    },
  };
}

/** A PagedMemory over `bytes` whose reader throws when asked for anything outside them. */
function strictPaged(bytes: Uint8Array, base: bigint, chunkBytes: number): PagedMemory {
  return new PagedMemory({
    ranges: [{ base, size: bytes.length }],
    chunkBytes,
    cacheChunks: 2,
    read: (pa: PhysAddr, into: Uint8Array) => {
      const off = Number(pa - base);
      if (off < 0 || off + into.length > bytes.length) throw new Error(`read at ${pa} outside the memory`);
      into.set(bytes.subarray(off, off + into.length));
    },
  });
}

function planFor(arch: ArchSpec, base: bigint): AttachPlan {
  const plan = arch.decode(registersFor(arch, base), {});
  if (plan instanceof RegisterError) throw plan;
  return plan;
}

/** Dumps `bytes` through both strict handlers; checks the bounds; returns the records of the direct one. */
function dumpBoth(arch: ArchSpec, bytes: Uint8Array, base: bigint): DumpRecord[] {
  const plan = planFor(arch, base);
  const results: DumpRecord[][] = [];
  for (const handler of [strictDirect(bytes, base), strictPaged(bytes, base, arch.chunkBytes)]) {
    const src = { ...plan.format, handler };
    const dump = dumpMappings(src, { roots: plan.roots });
    const recs = [...dump];
    const s = dump.summary;
    // each table read at most once: no more tables than fit in the memory (1 KiB is the smallest table)
    const tables = s.tables.reduce((a, b) => a + b, 0);
    expect(tables).toBeLessThanOrEqual(SIZE / Math.min(...plan.format.meta.tableBytes) + plan.roots.length);
    expect(s.pages).toBeLessThanOrEqual(tables * 4096);
    for (const r of recs) if (r.kind === 'mapping') expect(r.end > r.vaddr).toBe(true);
    // translations through the same memory: no exception either
    for (const va of [0n, 0x1234_5000n, BigInt(plan.roots[plan.roots.length - 1]!.vaStart)]) {
      translateAddress(src, va, { roots: plan.roots });
    }
    results.push(recs);
  }
  expect(results[1]).toEqual(results[0]);
  return results[0]!;
}

function writeEntry(bytes: Uint8Array, base: bigint, pa: bigint, value: bigint, entryBytes: number): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const off = Number(pa - base);
  if (entryBytes === 8) dv.setBigUint64(off, value, true);
  else dv.setUint32(off, Number(value & 0xffff_ffffn), true);
}

const codes = (recs: DumpRecord[]): string[] => recs.flatMap((r) => (r.kind === 'diagnostic' ? [r.code] : []));

describe.each(ARCHES.map((a) => [a.name, a] as [string, ArchSpec]))('%s', (_name, arch) => {
  const base = arch.sample().memory.base;

  it('self-referencing tables, a cycle one level down and pointers past the end: diagnostics, the rest listed', () => {
    const plan = planFor(arch, base);
    const { pte, meta } = plan.format;
    const eb = meta.entryBytes;
    const bytes = new Uint8Array(SIZE);
    const root = BigInt(plan.roots[0]!.root);
    const t1 = base + 0x8000n; // a table one level down
    const entry = (table: bigint, i: number): bigint => table + BigInt(i * eb);
    const lowest = plan.roots[0]!.startLevel ?? 0;
    writeEntry(bytes, base, entry(root, 0), pte.newTable(root, lowest), eb); // the root points to itself
    writeEntry(bytes, base, entry(root, 1), pte.newTable(t1, lowest), eb);
    if (meta.levels > 2) writeEntry(bytes, base, entry(t1, 0), pte.newTable(t1, lowest + 1), eb); // t1 points to itself
    writeEntry(bytes, base, entry(t1, 1), pte.newPage(base + 0x1_0000n, MappingFlags.READ, false, meta.levels - 1), eb);
    writeEntry(bytes, base, entry(root, 2), pte.newTable(base + BigInt(SIZE) + 0x1000n, lowest), eb); // past the end
    writeEntry(bytes, base, entry(root, 3), pte.newTable(base + BigInt(SIZE) - 0x400n, lowest), eb); // runs past the end
    // t1 again: shared (a root of four entries, x86 PAE's PDPT, has no fifth one)
    const fifth = 2 ** meta.indexBits[lowest]! > 4;
    if (fifth) writeEntry(bytes, base, entry(root, 4), pte.newTable(t1, lowest), eb);
    const recs = dumpBoth(arch, bytes, base);
    const c = codes(recs);
    expect(c).toContain('Cycle');
    expect(c).toContain('OutsideMemory');
    expect(c.filter((x) => x === 'Cycle').length).toBeGreaterThanOrEqual(meta.levels > 2 ? 2 : 1);
    const diag = recs.find((r) => r.kind === 'diagnostic' && r.code === 'Cycle');
    expect(diag).toMatchObject({ level: lowest, index: 0 });
    // t1 reached again from root[4], at its level: not a diagnostic, a record of what it stands for
    if (fifth) expect(recs.find((r) => r.kind === 'shared')).toMatchObject({ level: lowest, index: 4, references: 1 });
  });

  it('all-ones memory: ends, reports, throws nothing', () => {
    dumpBoth(arch, new Uint8Array(SIZE).fill(0xff), base);
  });

  it('random bytes (fast-check): bounded, no exception, no read outside', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4096, maxLength: 4096 }), fc.integer({ min: 0, max: 15 }), (page, at) => {
        const bytes = new Uint8Array(SIZE);
        for (let k = 0; k < SIZE; k += 4096) bytes.set(page.map((b, i) => (b + k + i * at) & 0xff), k);
        dumpBoth(arch, bytes, base);
      }),
      { numRuns: 25 },
    );
    // ARMv7's 4096-entry roots over random bytes give tens of thousands of records per run, each listing compared
    // whole with the other handler's: seconds on a shared 2-core machine
  }, 20_000);

  it('random table pointers into, next to and far from the memory: cycles and sharing at every level', () => {
    const plan = planFor(arch, base);
    const { pte, meta } = plan.format;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(SIZE / meta.entryBytes - 1), fc.nat(7), fc.nat(0xffff), fc.nat(meta.levels - 1)), { maxLength: 400 }), (ops) => {
        const bytes = new Uint8Array(SIZE);
        for (const [slot, kind, r, level] of ops) {
          const pa = base + BigInt(slot * meta.entryBytes);
          const target = kind < 4 ? base + BigInt((r % (SIZE / 1024)) * 1024) : kind < 6 ? base + BigInt(SIZE) + BigInt(r) * 4096n : BigInt(r) << 20n;
          const v = kind === 7 ? pte.newPage(base + BigInt(r) * 4096n, MappingFlags.READ | MappingFlags.WRITE, level < meta.levels - 1, level) : pte.newTable(target, level);
          writeEntry(bytes, base, pa, v, meta.entryBytes);
        }
        dumpBoth(arch, bytes, base);
      }),
      { numRuns: 60 },
    );
  });
});

describe('the strict handlers', () => {
  it('throw on a read outside the memory (so that the suites above cannot pass by reading garbage)', () => {
    const direct = strictDirect(new Uint8Array(8), 0n);
    expect(direct.words[1]).toBe(0);
    expect(() => direct.words[2]).toThrow(/outside the memory/);
    const paged = strictPaged(new Uint8Array(4096), 0x1000n, 4096);
    expect(paged.wordIndex(0x1000, 0)).toBe(0);
    expect(paged.wordIndex(0x2000, 0)).toBe(-1); // not asked of the reader at all
  });
});

describe('chunks smaller than a table', () => {
  it('an ARMv7 L1 table read through 4 KiB chunks is reported, not read in pieces', () => {
    const arm = ARCHES.find((a) => a.name === 'arm')!;
    const sample = arm.sample();
    const plan = planFor(arm, sample.tables[0]!.table.rootPaddr);
    const bytes = sample.memory.bytes();
    const dump = dumpMappings({ ...plan.format, handler: strictPaged(bytes, sample.memory.base, 4096) }, { roots: plan.roots });
    expect(codes([...dump])).toEqual(['RootUnreadable', 'RootUnreadable']);
    const ok = [...dumpMappings({ ...plan.format, handler: strictPaged(bytes, sample.memory.base, 16384) }, { roots: plan.roots })];
    expect(codes(ok)).toEqual([]);
  });
});
