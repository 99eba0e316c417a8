// dumpMappings / translateAddress / PagedMemory / auditMappings on tables built with the library (x86_64 here;
// the CLI's tests run every architecture).
import {
  auditMappings,
  type DumpRecord,
  MappingAuditor,
  dumpMappings,
  type MappingRun,
  MappingFlags,
  PagedMemory,
  PageSize,
  PhysicalMemory,
  type SharedTable,
  translateAddress,
} from '@page-table-multiarch/core';
import { X64PageTable, x64Format } from '@page-table-multiarch/x86_64';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER, DEVICE } = MappingFlags;
const RW = READ | WRITE;
const BASE = 0x10_0000n;

function build(plan: (c: ReturnType<X64PageTable['cursor']>) => void, size = 64 * 4096) {
  const memory = new PhysicalMemory({ size, base: BASE });
  const table = new X64PageTable(memory);
  const c = table.cursor();
  plan(c);
  c.flush();
  return { memory, table };
}

const runs = (recs: Iterable<DumpRecord>): MappingRun[] => [...recs].filter((r): r is MappingRun => r.kind === 'mapping');
const diags = (recs: Iterable<DumpRecord>) => [...recs].filter((r) => r.kind === 'diagnostic');
const shared = (recs: Iterable<DumpRecord>): SharedTable[] => [...recs].filter((r): r is SharedTable => r.kind === 'shared');

/** The engine's listing, coalesced the obvious way (the model). */
function coalesced(table: X64PageTable) {
  const out: { vaddr: bigint; end: bigint; paddr: bigint; pageSize: number; flags: number }[] = [];
  for (const m of table.mappings()) {
    const prev = out[out.length - 1];
    if (prev && prev.end === m.vaddr && prev.paddr + (prev.end - prev.vaddr) === m.paddr && prev.pageSize === m.size && prev.flags === m.flags) {
      prev.end += BigInt(m.size);
    } else {
      out.push({ vaddr: m.vaddr, end: m.vaddr + BigInt(m.size), paddr: m.paddr, pageSize: m.size, flags: m.flags });
    }
  }
  return out;
}

describe('dumpMappings', () => {
  it('lists coalesced runs in address order, upper half sign-extended, with table counts', () => {
    const { table } = build((c) => {
      c.mapRegion(0x40_0000n, 0x20_0000n, 0x8000n, READ | EXECUTE | USER, false);
      c.map(0x40_8000n, 0x30_0000n, PageSize.Size4K, RW | USER);
      c.map(0xffff_8000_0000_0000n, 0n, PageSize.Size1G, RW);
      c.map(0xffff_8000_4000_0000n, 0x4000_0000n, PageSize.Size1G, RW);
      c.mapRegion(0xffff_ffff_8000_0000n, 0x100_0000n, 0x60_0000n, READ | EXECUTE, true);
    });
    const dump = dumpMappings(table);
    const list = runs(dump);
    expect(list.map((r) => [r.vaddr, r.end, r.paddr, r.pageSize, r.pages, r.flags])).toEqual([
      [0x40_0000n, 0x40_8000n, 0x20_0000n, 4096, 8, READ | EXECUTE | USER],
      [0x40_8000n, 0x40_9000n, 0x30_0000n, 4096, 1, RW | USER],
      [0xffff_8000_0000_0000n, 0xffff_8000_8000_0000n, 0n, 1 << 30, 2, RW],
      [0xffff_ffff_8000_0000n, 0xffff_ffff_8060_0000n, 0x100_0000n, 2 << 20, 3, READ | EXECUTE],
    ]);
    expect(list.map((r) => r.kernel)).toEqual([false, false, true, true]);
    expect(list.every((r) => r.effective === r.flags)).toBe(true);
    expect(runs(dump).map((r) => [r.vaddr, r.end, r.paddr, r.pageSize, r.flags])).toEqual(
      coalesced(table).map((r) => [r.vaddr, r.end, r.paddr, r.pageSize, r.flags]),
    );
    const s = dump.summary;
    expect(s.runs).toBe(4);
    expect(s.pages).toBe(8 + 1 + 2 + 3);
    expect(s.bytes).toBe(0x9000n + (2n << 30n) + 0x60_0000n);
    expect(s.tables.reduce((a, b) => a + b, 0)).toBe(table.tableCount());
    expect(s.tables).toEqual([1, 3, 2, 1]);
    expect(s.tableFrames).toBe(table.frameCount());
    expect(s.diagnostics).toBe(0);
  });

  it('coalesce: false lists every leaf exactly as the engine does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ page: fc.integer({ min: 0, max: 2047 }), huge: fc.boolean(), flags: fc.integer({ min: 1, max: 63 }) }), { maxLength: 30 }),
        (ops) => {
          const { table } = build((c) => {
            for (const op of ops) {
              const size = op.huge ? PageSize.Size2M : PageSize.Size4K;
              const va = op.huge ? BigInt(op.page >> 9) << 21n : BigInt(op.page) << 12n;
              try {
                c.map(va | 0xffff_8000_0000_0000n, BigInt(op.page) << 21n, size, op.flags);
              } catch {
                // overlaps: skipped
              }
            }
          }, 256 * 4096);
          const mine = runs(dumpMappings(table, { coalesce: false }));
          const theirs = [...table.mappings()];
          expect(mine.map((r) => [r.vaddr, r.paddr, r.pageSize, r.flags, r.level, r.bits])).toEqual(
            theirs.map((m) => [m.vaddr, m.paddr, m.size, m.flags, m.level, m.bits]),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('combines the levels: R/W and U/S are ANDed, XD is ORed, with the inspector', () => {
    const { memory, table } = build((c) => {
      c.map(0x1000n, 0x5000n, PageSize.Size4K, RW | EXECUTE | USER);
      c.map(0x8000_0000_0000n - 0x1000n, 0x6000n, PageSize.Size4K, RW | EXECUTE | USER);
    });
    const root = table.rootPaddr;
    // PML4[0]: clear R/W and U/S; PML4[255]: set XD
    memory.writeU64(root, memory.readU64(root) & ~0b110n);
    memory.writeU64(root + 255n * 8n, memory.readU64(root + 255n * 8n) | (1n << 63n));
    const inspector = x64Format(4).inspector!;
    const [low, high] = runs(dumpMappings(table, { inspector }));
    expect(low!.flags).toBe(RW | EXECUTE | USER);
    expect(low!.effective).toBe(READ | EXECUTE);
    expect(high!.effective).toBe(RW | USER);
    // without an inspector nothing is combined
    expect(runs(dumpMappings(table))[0]!.effective).toBe(RW | EXECUTE | USER);
    const t = translateAddress(table, 0x1234n, { inspector });
    expect(t).toMatchObject({ mapped: true, paddr: 0x5234n, pageSize: 4096, flags: RW | EXECUTE | USER, effective: READ | EXECUTE });
    expect(t.steps.map((s) => s.level)).toEqual([0, 1, 2, 3]);
  });

  it('reports a pointer outside the memory, a cycle, a shared table and reserved bits, and goes on', () => {
    const { memory, table } = build((c) => {
      c.map(0x0n, 0x5000n, PageSize.Size4K, RW);
      c.map(0x80_0000_0000n, 0x6000n, PageSize.Size4K, RW);
      c.map(0x100_0000_0000n, 0x7000n, PageSize.Size4K, RW);
    });
    const root = table.rootPaddr;
    const e = (i: number) => root + BigInt(i) * 8n;
    memory.writeU64(e(3), 0x7fff_f000n | 0x7n); // outside the memory
    memory.writeU64(e(4), root | 0x7n); // back to the root: a cycle
    memory.writeU64(e(5), memory.readU64(e(1))); // the same PDPT as entry 1: shared
    memory.writeU64(e(6), 0x20_0000n | 0x87n); // PS in a PML4E: reserved
    memory.writeU64(e(7), 0xffff_ffff_ffff_ffffn); // all ones: PS set too, reserved
    const inspector = x64Format(4).inspector!;
    const recs = [...dumpMappings(table, { inspector })];
    expect(runs(recs).map((r) => r.vaddr)).toEqual([0n, 0x80_0000_0000n, 0x100_0000_0000n]);
    expect(diags(recs).map((d) => [d.code, d.level, d.index])).toEqual([
      ['OutsideMemory', 0, 3],
      ['Cycle', 0, 4],
      ['Reserved', 0, 6],
      ['Reserved', 0, 7],
    ]);
    // the PDPT entry 5 reaches again is not a diagnostic: one record, standing for its page
    expect(shared(recs).map((r) => [r.level, r.index, r.references, r.pages, r.listedAt])).toEqual([[0, 5, 1, 1, 0x80_0000_0000n]]);
    expect(diags(recs)[0]!.message).toMatch(/PML4\[3\]: table at 0x7ffff000 \(4096 bytes\) is not inside the memory/);
    // without the inspector, PS in a PML4E is a leaf where x86_64 has none
    expect(diags(dumpMappings(table)).map((d) => d.code)).toEqual(['OutsideMemory', 'Cycle', 'LeafLevel', 'LeafLevel']);
  });

  it('reports a root outside the memory once, and stops at maxTables', () => {
    const { memory, table } = build((c) => c.map(0x0n, 0x5000n, PageSize.Size4K, RW));
    const format = { meta: table.meta, pte: table.pte, handler: memory };
    const bad = [...dumpMappings(format, { roots: [{ root: 0x10_0000_0000n, vaStart: 0n, vaEnd: 1n << 47n }] })];
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ kind: 'diagnostic', code: 'RootUnreadable', index: -1 });
    const budget = [...dumpMappings(table, { maxTables: 2 })];
    expect(diags(budget).map((d) => d.code)).toEqual(['Budget']);
  });

  it('restricts a root to its range and a root table to vaBits', () => {
    const { table } = build((c) => {
      c.map(0x1000n, 0x5000n, PageSize.Size4K, RW);
      c.map(0xffff_8000_0000_1000n, 0x6000n, PageSize.Size4K, RW);
    });
    const only = (vaStart: bigint, vaEnd: bigint) =>
      runs(dumpMappings(table, { roots: [{ root: table.rootPaddr, vaStart, vaEnd }] })).map((r) => r.vaddr);
    expect(only(0n, 1n << 47n)).toEqual([0x1000n]);
    expect(only((1n << 64n) - (1n << 47n), 1n << 64n)).toEqual([0xffff_8000_0000_1000n]);
    // the same root read as a table of two entries (vaBits 40), as an AArch64 TTBR with TnSZ = 24 would be
    expect(runs(dumpMappings(table, { roots: [{ root: table.rootPaddr, vaStart: 0n, vaEnd: 1n << 40n, vaBits: 40 }] })).map((r) => r.vaddr)).toEqual([
      0x1000n,
    ]);
    expect(() => dumpMappings(table, { roots: [{ root: table.rootPaddr, vaStart: 0n, vaEnd: 1n << 39n, vaBits: 39 }] })).toThrow(/vaBits 39/);
    expect(() => dumpMappings(table, { roots: [{ root: table.rootPaddr, vaStart: 0n, vaEnd: 1n << 49n }] })).toThrow(RangeError);
  });
});

describe('PagedMemory', () => {
  it('pages chunks in on demand, only inside its ranges, and serves the same dump with a tiny cache', () => {
    const { memory, table } = build((c) => {
      for (let i = 0n; i < 40n; i++) c.map(i << 30n, i << 21n, PageSize.Size4K, RW | (i % 3n === 0n ? EXECUTE : 0));
      c.map(0xffff_8000_0000_0000n, 0n, PageSize.Size2M, READ | DEVICE);
    }, 512 * 4096);
    const bytes = memory.bytes();
    const asked: [bigint, number][] = [];
    const paged = new PagedMemory({
      ranges: [{ base: BASE, size: bytes.length }],
      read: (pa, into) => {
        const off = Number(pa - BASE);
        if (off < 0 || off + into.length > bytes.length) throw new Error(`read outside the memory at ${pa}`);
        asked.push([pa, into.length]);
        into.set(bytes.subarray(off, off + into.length));
      },
      cacheChunks: 2,
    });
    const src = { meta: table.meta, pte: table.pte, handler: paged };
    const roots = [
      { root: table.rootPaddr, vaStart: 0n, vaEnd: 1n << 47n },
      { root: table.rootPaddr, vaStart: (1n << 64n) - (1n << 47n), vaEnd: 1n << 64n, kernel: true },
    ];
    const viaPaged = [...dumpMappings(src, { roots })];
    const direct = [...dumpMappings({ ...src, handler: memory }, { roots })];
    expect(viaPaged).toEqual(direct);
    expect(paged.stats.evictions).toBeGreaterThan(0);
    // each table read once; the root once for both halves
    expect(new Set(asked.map(([pa]) => pa)).size).toBe(table.tableCount());
    expect(paged.wordIndex(0, 0)).toBe(-1);
    expect(paged.wordIndex(0x10_0000 + bytes.length, 0)).toBe(-1);
    expect(translateAddress(src, 5n << 30n, { roots }).paddr).toBe(5n << 21n);
    expect(paged.allocFrames(1, 4096)).toBeNull();
  });

  it('covers ranges that do not start or end on a frame, and zero-fills the rest of a frame', () => {
    const data = new Uint8Array(0x1800).map((_, i) => i & 0xff);
    const paged = new PagedMemory({
      ranges: [{ base: 0x2800n, size: data.length }],
      read: (pa, into) => {
        const off = Number(pa - 0x2800n);
        if (off < 0 || off + into.length > data.length) throw new Error('outside');
        into.set(data.subarray(off, off + into.length));
      },
    });
    expect(paged.readU64(0x2000n)).toBe(0n); // same frame as the start of the range: zero before it
    expect(paged.readU64(0x2800n)).toBe(0x0706050403020100n);
    expect(paged.readU64(0x3ff8n)).toBe(0xfffefdfcfbfaf9f8n);
    expect(paged.readU64(0x4000n)).toBeUndefined();
    expect(paged.contains(0x2800n, 0x1800)).toBe(true);
    expect(paged.contains(0x2000n, 0x1000)).toBe(false);
    expect(() => new PagedMemory({ ranges: [{ base: 0, size: 8192 }, { base: 4096, size: 4096 }], read: () => {} })).toThrow(/overlap/);
    expect(() => new PagedMemory({ ranges: [], read: () => {}, chunkBytes: 3000 })).toThrow(RangeError);
  });

  it('chunks up to 1 MiB (an AArch64 stage 2 root of 16 concatenated 64 KiB tables): which of 256 frames are backed', () => {
    // frames 0 and 200-201 of the first MiB are backed, and frame 300 of the second
    const ranges = [{ base: 0, size: 0x1000 }, { base: 200 * 0x1000, size: 0x2000 }, { base: 0x10_0000 + 300 * 0x1000, size: 0x10 }];
    const paged = new PagedMemory({
      ranges,
      chunkBytes: 1 << 20,
      cacheChunks: 2,
      read: (pa, into) => {
        const v = new DataView(into.buffer, into.byteOffset, into.length);
        for (let o = 0; o + 8 <= into.length; o += 8) v.setBigUint64(o, pa + BigInt(o), true);
      },
    });
    expect(paged.readU64(0x8n)).toBe(0x8n);
    expect(paged.readU64(100n * 0x1000n)).toBeUndefined(); // frame 100: no range, in a chunk that was read
    expect(paged.readU64(201n * 0x1000n + 0xff8n)).toBe(201n * 0x1000n + 0xff8n);
    expect(paged.readU64(202n * 0x1000n)).toBeUndefined();
    expect(paged.readU64(0x10_0000n + 300n * 0x1000n + 8n)).toBe(0x10_0000n + 300n * 0x1000n + 8n);
    expect(paged.readU64(0x10_0000n + 300n * 0x1000n + 0x10n)).toBe(0n); // the same frame, past the range
    expect(paged.readU64(0x10_0000n + 31n * 0x1000n)).toBeUndefined(); // a frame that a 32-bit mask would alias
    expect(() => new PagedMemory({ ranges, read: () => {}, chunkBytes: 1 << 21 })).toThrow(RangeError);
  });

  it('finds the ranges of a chunk among many (ELF cores with tens of thousands of segments)', () => {
    // 3000 ranges of 0x800 bytes, every 0x3000 bytes from 0x10000, given in reverse order, each word its address
    const ranges = Array.from({ length: 3000 }, (_, i) => ({ base: 0x10000 + (2999 - i) * 0x3000, size: 0x800 }));
    const paged = new PagedMemory({
      ranges,
      chunkBytes: 16384,
      cacheChunks: 2,
      read: (pa, into) => {
        const v = new DataView(into.buffer, into.byteOffset, into.length);
        for (let o = 0; o < into.length; o += 8) v.setBigUint64(o, pa + BigInt(o), true);
      },
    });
    for (let i = 0; i < 3000; i += 7) {
      const base = BigInt(0x10000 + i * 0x3000);
      expect(paged.readU64(base)).toBe(base);
      expect(paged.readU64(base + 0x7f8n)).toBe(base + 0x7f8n);
      expect(paged.readU64(base + 0x800n)).toBe(0n); // same frame, past the range
      expect(paged.readU64(base + 0x1000n)).toBeUndefined(); // the frame between two ranges
    }
    expect(paged.readU64(0xf000n)).toBeUndefined();
    expect(paged.readU64(BigInt(0x10000 + 3000 * 0x3000))).toBeUndefined();
  });
});

describe('auditMappings', () => {
  it('counts W+X pages, user-executable kernel mappings and executable device memory', () => {
    const { table } = build((c) => {
      c.map(0x40_0000n, 0x5000n, PageSize.Size4K, RW | EXECUTE | USER); // W+X user
      c.map(0xffff_8000_0000_0000n, 0n, PageSize.Size2M, RW | EXECUTE); // W+X kernel, 512 pages
      c.map(0xffff_8000_0020_0000n, 0x20_0000n, PageSize.Size4K, READ | EXECUTE | USER); // user exec in kernel half
      c.map(0xffff_8000_0030_0000n, 0xfee0_0000n, PageSize.Size4K, READ | EXECUTE | DEVICE); // executable device
      c.map(0xffff_8000_0040_0000n, 0x30_0000n, PageSize.Size4K, RW); // fine
    });
    // x86_64 maps device memory uncached (PCD), which the codec reads as UNCACHED
    expect(auditMappings(dumpMappings(table)).counts.ExecDevice).toBe(0);
    const report = auditMappings(dumpMappings(table), { deviceFlags: DEVICE | MappingFlags.UNCACHED });
    expect(report.counts).toEqual({ 'W+X': 2, UserExecKernel: 1, ExecDevice: 1 });
    expect(report.wxPages).toBe(513n);
    expect(report.checked).toBe(5);
    expect(report.line).toBe('Checked W+X mappings: FAILED, 513 W+X pages found.');
    expect(auditMappings([]).line).toBe('Checked W+X mappings: passed, no W+X pages found.');
    // the numbered walk's runs (one reused RunNumbers) give the same report, findings and all
    const numbered = new MappingAuditor({ deviceFlags: DEVICE | MappingFlags.UNCACHED });
    for (const rec of dumpMappings(table).numbered()) numbered.add(rec);
    expect(numbered.report()).toEqual(report);
  });
});

describe('MappingAuditor', () => {
  it('gives the report of auditMappings one record at a time, keeping only as many findings as asked', () => {
    const { table } = build((c) => {
      for (let i = 0n; i < 8n; i++) c.map(0x40_0000n + i * 0x2000n, 0x5000n + i * 0x2000n, PageSize.Size4K, RW | EXECUTE); // 8 W+X runs
      c.map(0xffff_8000_0020_0000n, 0x20_0000n, PageSize.Size4K, READ | EXECUTE | USER);
    });
    const whole = auditMappings(dumpMappings(table));
    const auditor = new MappingAuditor({ keepFindings: 3 });
    for (const rec of dumpMappings(table)) auditor.add(rec);
    const kept = auditor.report();
    expect(kept.findings).toEqual(whole.findings.slice(0, 3));
    expect({ ...kept, findings: [] }).toEqual({ ...whole, findings: [] });
    expect(kept.counts).toEqual({ 'W+X': 8, UserExecKernel: 1, ExecDevice: 0 });
    const seen: unknown[] = [];
    const streaming = new MappingAuditor({ keepFindings: 0, onFinding: (f) => seen.push(f) });
    for (const rec of dumpMappings(table)) streaming.add(rec);
    expect(seen).toEqual(whole.findings);
    expect(streaming.report().findings).toEqual([]);
    expect(new MappingAuditor().report().line).toBe('Checked W+X mappings: passed, no W+X pages found.');
    expect(() => new MappingAuditor({ keepFindings: -1 })).toThrow(RangeError);
  });
});

describe('translateAddress with address tags (DumpRoot.tagBits / tagsIgnored)', () => {
  const { memory, table } = build((c) => {
    c.map(0x40_0000n, 0x20_0000n, PageSize.Size4K, RW);
    c.map(0xffff_8000_0000_0000n, 0x30_0000n, PageSize.Size4K, RW);
  });
  const src = { meta: table.meta, pte: table.pte, handler: memory };
  const roots = (ignored: boolean) => [
    { root: table.rootPaddr, vaStart: 0n, vaEnd: 1n << 47n, tagBits: 8, tagsIgnored: ignored, label: 'lower' },
    { root: table.rootPaddr, vaStart: (1n << 64n) - (1n << 47n), vaEnd: 1n << 64n, tagBits: 8, tagsIgnored: ignored, label: 'upper' },
  ];

  it('a tag the root ignores translates as the address without it; the range is chosen by the bit below the tag', () => {
    expect(translateAddress(src, 0x7700_0000_0040_0123n, { roots: roots(true) })).toMatchObject({ mapped: true, paddr: 0x20_0123n, root: 0, vaddr: 0x7700_0000_0040_0123n });
    expect(translateAddress(src, 0x00ff_8000_0000_0456n, { roots: roots(true) })).toMatchObject({ mapped: true, paddr: 0x30_0456n, root: 1 });
  });

  it('a tag the root does not ignore is refused with the reason; without tags nothing changes', () => {
    const t = translateAddress(src, 0x7700_0000_0040_0123n, { roots: roots(false) });
    expect(t).toMatchObject({ mapped: false, root: -1 });
    expect(t.reason).toBe('0x7700000000400123 carries the tag 0x77 in bits 63:56, which lower does not ignore for translation');
    expect(translateAddress(src, 0x40_0123n, { roots: roots(false) }).paddr).toBe(0x20_0123n);
    const plain = roots(true).map(({ tagBits: _t, tagsIgnored: _i, ...r }) => r);
    expect(translateAddress(src, 0x7700_0000_0040_0123n, { roots: plain }).reason).toMatch(/outside every register's range/);
  });
});

describe('shared tables', () => {
  /**
   * As x86_64 Linux builds its espfix area (arch/x86/kernel/espfix_64.c): one page table of read-only pages (here
   * 512 consecutive ones, one run), reached from every entry of one page directory. Entry 300 of the directory reaches the same table
   * through a PDE with R/W = 1 and the table's pages writable and executable when `wx`.
   */
  function espfix(wx = false) {
    const { memory, table } = build((c) => {
      for (let i = 0; i < 512; i++) c.map(0xffff_ff00_0000_0000n + BigInt(i) * 0x1000n, 0x1000_0000n + BigInt(i) * 0x1000n, PageSize.Size4K, wx ? RW | EXECUTE : READ);
    }, 64 * 4096);
    const pt = translateAddress(table, 0xffff_ff00_0000_0000n).steps;
    const pde = pt[2]!.entryPaddr;
    for (let i = 1; i < 512; i++) memory.writeU64(pde + BigInt(i) * 8n, memory.readU64(pde));
    return { memory, table, pde };
  }
  const inspector = x64Format(4).inspector!;

  it('a table reached again at its level is listed once; consecutive references are one record', () => {
    const { table } = espfix();
    const dump = dumpMappings(table, { inspector });
    const recs = [...dump];
    expect(diags(recs)).toEqual([]);
    expect(runs(recs)).toHaveLength(1);
    expect(runs(recs)[0]).toMatchObject({ vaddr: 0xffff_ff00_0000_0000n, pages: 512 });
    const [rec] = shared(recs);
    expect(shared(recs)).toHaveLength(1);
    expect(rec).toMatchObject({ kind: 'shared', level: 2, index: 1, references: 511, pages: 512, listedAt: 0xffff_ff00_0000_0000n });
    expect(rec!.vaddr).toBe(0xffff_ff00_0020_0000n);
    expect(rec!.end).toBe(0xffff_ff00_4000_0000n);
    expect(rec!.bytesByFlags).toEqual([[READ, 512n * 4096n]]);
    expect(dump.summary).toMatchObject({ runs: 1, pages: 512, diagnostics: 0, sharedTables: 1, sharedPages: 511 * 512 });
    expect(dump.summary.tables).toEqual([1, 1, 1, 1]);
  });

  it('expandShared lists the table under every entry that reaches it', () => {
    const { table } = espfix();
    const dump = dumpMappings(table, { inspector, expandShared: true });
    const recs = [...dump];
    expect(shared(recs)).toEqual([]);
    expect(diags(recs)).toEqual([]);
    expect(dump.summary.pages).toBe(512 * 512);
    // each reference a run: the VAs go on, the PAs start again
    expect(runs(recs)).toHaveLength(512);
    expect(runs(recs)[511]).toMatchObject({ vaddr: 0xffff_ff00_0000_0000n + 511n * 0x20_0000n, paddr: 0x1000_0000n, pages: 512 });
    expect(dump.summary.tables).toEqual([1, 1, 1, 1]);
  });

  it('under other permissions the table is listed again; the audit counts every path', () => {
    const { memory, table, pde } = espfix(true);
    // PDE 300 with R/W = 0: below it the pages are not writable (4.6.1), so not W+X
    memory.writeU64(pde + 300n * 8n, memory.readU64(pde) & ~2n);
    const recs = [...dumpMappings(table, { inspector })];
    expect(runs(recs).map((r) => [r.vaddr, r.effective])).toEqual([
      [0xffff_ff00_0000_0000n, RW | EXECUTE],
      [0xffff_ff00_0000_0000n + 300n * 0x20_0000n, READ | EXECUTE],
    ]);
    expect(shared(recs).map((r) => [r.index, r.references])).toEqual([
      [1, 299],
      [301, 211],
    ]);
    // Linux counts W+X pages over every path (its W+X check walks every entry): 511 entries reach W+X pages
    const audit = auditMappings(recs);
    expect(audit.wxPages).toBe(511n * 512n);
    expect(auditMappings(dumpMappings(table, { inspector, expandShared: true })).wxPages).toBe(audit.wxPages);
    expect(audit.findings.map((f) => [f.kind, f.pages])).toEqual([
      ['W+X', 512n],
      ['W+X', 299n * 512n],
      ['W+X', 211n * 512n],
    ]);
    expect(audit.findings[1]!.message).toMatch(/^W\+X mappings through the shared table at 0x[0-9a-f]+ \(listed from 0xffffff0000000000\), 0xffffff0000200000-0xffffff0025800000$/);
  });

  it('tables shared by copyFrom between two address spaces: listed under the first root, a record under the second', () => {
    const memory = new PhysicalMemory({ size: 64 * 4096, base: BASE });
    const kernel = new X64PageTable(memory);
    kernel.cursor().map(0xffff_8000_0000_0000n, 0x9000n, PageSize.Size4K, RW);
    const user = new X64PageTable(memory);
    const c = user.cursor();
    c.map(0x40_0000n, 0xa000n, PageSize.Size4K, RW | USER);
    c.copyFrom(kernel, 0xffff_8000_0000_0000n, 0x80_0000_0000n);
    c.flush();
    const top = 1n << 64n;
    const roots = [
      { root: kernel.rootPaddr, vaStart: top - (1n << 47n), vaEnd: top, kernel: true },
      { root: user.rootPaddr, vaStart: 0n, vaEnd: 1n << 47n },
      { root: user.rootPaddr, vaStart: top - (1n << 47n), vaEnd: top, kernel: true },
    ];
    const recs = [...dumpMappings({ meta: kernel.meta, pte: kernel.pte, handler: memory, inspector }, { roots })];
    expect(runs(recs).map((r) => [r.root, r.vaddr])).toEqual([
      [0, 0xffff_8000_0000_0000n],
      [1, 0x40_0000n],
    ]);
    expect(shared(recs).map((r) => [r.root, r.level, r.index, r.pages, r.listedAt])).toEqual([[2, 0, 256, 1, 0xffff_8000_0000_0000n]]);
    expect(diags(recs)).toEqual([]);
  });

  it('property (seeded): what the records stand for is what expandShared lists, and the audit agrees', () => {
    // page directories whose entries point at one of a few page tables, some through entries with R/W = 0
    fc.assert(
      fc.property(
        fc.array(fc.record({ pde: fc.integer({ min: 0, max: 511 }), pt: fc.integer({ min: 0, max: 3 }), ro: fc.boolean() }), { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 63 }), { minLength: 4, maxLength: 4 }),
        (links, flags) => {
          const { memory, table } = build((c) => {
            for (let t = 0; t < 4; t++) {
              for (let k = 0; k <= t; k++) c.map(0xffff_8000_0000_0000n + BigInt(t) * 0x20_0000n + BigInt(k) * 0x1000n, 0x1000_0000n + BigInt(k) * 0x1000n, PageSize.Size4K, flags[t]!);
            }
          }, 64 * 4096);
          const pd = translateAddress(table, 0xffff_8000_0000_0000n).steps[2]!.entryPaddr;
          const pts = [0, 1, 2, 3].map((t) => memory.readU64(pd + BigInt(t) * 8n));
          for (const { pde, pt, ro } of links) if (pde >= 4) memory.writeU64(pd + BigInt(pde) * 8n, pts[pt]! & (ro ? ~2n : ~0n));
          const once = dumpMappings(table, { inspector });
          const all = dumpMappings(table, { inspector, expandShared: true });
          const onceAudit = auditMappings(once, { deviceFlags: DEVICE });
          const allAudit = auditMappings(all, { deviceFlags: DEVICE });
          expect(once.summary.pages + once.summary.sharedPages).toBe(all.summary.pages);
          expect(all.summary.sharedTables).toBe(0);
          expect(onceAudit.wxPages).toBe(allAudit.wxPages);
          expect(once.summary.diagnostics).toBe(0);
        },
      ),
      { seed: 2126, numRuns: 60 },
    );
  });

  it('a cycle and a table reached at another level stay diagnostics, with expandShared too', () => {
    const { memory, table } = espfix();
    const root = table.rootPaddr;
    const steps = translateAddress(table, 0xffff_ff00_0000_0000n).steps;
    // PDPT[5] -> the PDPT itself (a cycle); PML4[511] -> the page table, read there as a PDPT (another level)
    memory.writeU64(steps[1]!.entryPaddr + 5n * 8n, memory.readU64(root + 510n * 8n));
    memory.writeU64(root + 511n * 8n, memory.readU64(steps[2]!.entryPaddr));
    for (const expandShared of [false, true]) {
      const recs = [...dumpMappings(table, { inspector, expandShared, maxTables: 4096 })];
      expect(diags(recs).map((d) => [d.code, d.level, d.index])).toEqual([
        ['Cycle', 1, 5],
        ['Revisited', 0, 511],
      ]);
      expect(diags(recs)[0]!.message).toMatch(/PDPT\[5\]: table at 0x[0-9a-f]+ is one of the tables above this entry \(a cycle\); not followed/);
      expect(diags(recs)[1]!.message).toMatch(/already reached at another level/);
    }
  });
});
