// Every table type: a dump's runs are the leaf-by-leaf listing (coalesce: false) coalesced by the documented rule
// (one run while virtual and physical addresses continue and page size, level, flags, effective flags and attribute
// bits stay the same; any other record breaks it). Formats with an entry layout find most pages of a run by
// comparing words (core's inspect/run-scan.ts); this checks that they find the same runs, over tables the engine
// wrote with random regions: contiguous or not, across table boundaries, with runs of entries where the format has
// them. Seeded, so that a failure replays. The numbered walk (one reused RunNumbers per run, for ptdump's text) gives
// the same records, and a RunNumbers made from a record gives that record back.
import { type DumpRecord, dumpMappings, MappingFlags, PhysicalMemory, RunNumbers } from '@page-table-multiarch/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARCHES } from './arches';

const { READ, WRITE, EXECUTE } = MappingFlags;

function coalesced(recs: Iterable<DumpRecord>): DumpRecord[] {
  const out: DumpRecord[] = [];
  for (const r of recs) {
    const prev = out[out.length - 1];
    if (
      r.kind === 'mapping' &&
      prev?.kind === 'mapping' &&
      prev.root === r.root &&
      prev.end === r.vaddr &&
      prev.paddr + prev.size === r.paddr &&
      prev.pageSize === r.pageSize &&
      prev.level === r.level &&
      prev.flags === r.flags &&
      prev.effective === r.effective &&
      prev.attrs === r.attrs
    ) {
      out[out.length - 1] = { ...prev, end: r.end, size: prev.size + r.size, pages: prev.pages + r.pages };
    } else {
      out.push(r);
    }
  }
  return out;
}

describe.each(ARCHES.map((a) => [a.name, a] as const))('dump runs: %s', (_name, arch) => {
  const meta = arch.meta;
  const last = meta.levels - 1;
  const page = BigInt(meta.levelSize[last]!);
  // a window of at least three last-level tables, so that regions cross table boundaries
  const span = page << BigInt(meta.indexBits[last]! + 2);
  const window = arch.windows.find((w) => w.size >= span) ?? arch.windows[0]!;
  const pages = Number((window.size < span ? window.size : span) / page);

  it('lists the runs of the leaf-by-leaf listing, coalesced (seeded)', () => {
    const region = fc.record({
      first: fc.integer({ min: 0, max: pages - 1 }),
      count: fc.integer({ min: 1, max: 700 }),
      // the physical page: contiguous with the region before it, or anywhere below 2^30
      contiguous: fc.boolean(),
      pa: fc.integer({ min: 0, max: 2 ** 18 - 1 }),
      flags: fc.constantFrom(READ, READ | WRITE, READ | EXECUTE, READ | WRITE | EXECUTE),
      runs: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(region, { minLength: 1, maxLength: 8 }), (regions) => {
        const memory = new PhysicalMemory({ size: 16 << 20, base: arch.memBase });
        const table = arch.create(memory);
        const cursor = table.cursor();
        let nextPa = 0n;
        for (const r of regions) {
          const count = Math.min(r.count, pages - r.first);
          const pa = r.contiguous ? nextPa : BigInt(r.pa) * page;
          try {
            cursor.mapRegion(window.base + BigInt(r.first) * page, pa, BigInt(count) * page, r.flags, false, { runs: r.runs });
            nextPa = pa + BigInt(count) * page;
          } catch {
            // overlaps an earlier region, or flags the format refuses: left out
          }
        }
        cursor.flush();
        const dump = dumpMappings(table);
        const leaves = dumpMappings(table, { coalesce: false });
        const records = [...dump];
        expect(records).toEqual(coalesced(leaves));
        expect({ ...dump.summary, runs: 0 }).toEqual({ ...leaves.summary, runs: 0 });
        const summary = dump.summary;
        // each run copied out before the walk moves on: the RunNumbers is the same object every time
        expect(Array.from(dump.numbered(), (r) => (r.kind === 'mapping' ? r.toRun() : r))).toEqual(records);
        expect(dump.summary).toEqual(summary);
        const view = new RunNumbers();
        for (const r of records) if (r.kind === 'mapping') expect(view.fromRun(r).toRun()).toEqual(r);
      }),
      { numRuns: 15, seed: 0x9d },
    );
  }, 60_000);
});
