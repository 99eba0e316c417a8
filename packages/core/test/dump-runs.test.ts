// The runs of a dump where leaves only continue the run before them (the scan of run-scan.ts), against the same
// tables listed leaf by leaf (coalesce: false, which never scans) and coalesced here by the documented rule: one run
// while the virtual and physical addresses continue and the page size, level, flags, effective flags and attribute
// bits stay the same, broken by any other record. x86_64 tables written word by word (Intel SDM Vol. 3A 4.5,
// Tables 4-15 to 4-20: P bit 0, R/W bit 1, U/S bit 2, PWT bit 3, PCD bit 4, A bit 5, D bit 6, PS bit 7 (PAT in a
// PTE), G bit 8, the address in bits 51:12, XD bit 63).
import { type DumpRecord, dumpMappings, type DumpSource, type MappingRun, PhysicalMemory } from '@page-table-multiarch/core';
import { x64Format, x64Inspector } from '@page-table-multiarch/x86_64';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const P = 1n;
const RW = 2n;
const US = 4n;
const PWT = 8n;
const PCD = 16n;
const A = 32n;
const D = 64n;
const PS = 128n;
const G = 256n;
const XD = 1n << 63n;
const PAGE = 4096n;
/** The tables: PML4 at BASE, the PDPT, the PD, then `PTS` page tables. */
const BASE = 0x10_0000n;
const PTS = 4;
const PD = BASE + 2n * PAGE;
const ptAt = (t: number) => BASE + BigInt(3 + t) * PAGE;

/** Tables mapping virtual 0 onwards: PML4[0] -> PDPT, PDPT[0] -> PD, PD[t] -> PT t (each with `pde(t)`'s bits). */
function tables(pde: (t: number) => bigint = () => P | RW | US) {
  const memory = new PhysicalMemory({ size: (3 + PTS) * 4096, base: BASE });
  memory.writeU64(BASE, (BASE + PAGE) | P | RW | US);
  memory.writeU64(BASE + PAGE, PD | P | RW | US);
  for (let t = 0; t < PTS; t++) memory.writeU64(PD + BigInt(t) * 8n, ptAt(t) | pde(t));
  /** Sets leaf `i` (page i of virtual 0 onwards, across the page tables) to `bits`. */
  const leaf = (i: number, bits: bigint) => memory.writeU64(ptAt(i >> 9) + BigInt(i & 511) * 8n, bits);
  return { memory, leaf };
}

function source(memory: PhysicalMemory, maxPhysAddr = 52): DumpSource {
  return { ...x64Format(4), inspector: x64Inspector({ maxPhysAddr }), handler: memory };
}

const ROOTS = [{ root: BASE, vaStart: 0n, vaEnd: 1n << 47n }];

/** The leaf-by-leaf listing, coalesced by the rule. */
function model(src: DumpSource): DumpRecord[] {
  const out: DumpRecord[] = [];
  for (const r of dumpMappings(src, { roots: ROOTS, coalesce: false })) {
    const prev = out[out.length - 1];
    if (
      r.kind === 'mapping' &&
      prev?.kind === 'mapping' &&
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

/** The listing, checked against the model (records and totals); its runs as [first page, pages] of virtual 0. */
function listed(src: DumpSource): [number, number][] {
  const dump = dumpMappings(src, { roots: ROOTS });
  const recs = [...dump];
  expect(recs).toEqual(model(src));
  const single = dumpMappings(src, { roots: ROOTS, coalesce: false });
  for (const _ of single);
  expect({ ...dump.summary, runs: 0 }).toEqual({ ...single.summary, runs: 0 });
  return recs.filter((r): r is MappingRun => r.kind === 'mapping').map((r) => [Number(r.vaddr / PAGE), r.pages]);
}

/** Pages [first, first + n) mapped to physical `pa` onwards with `bits`. */
function fill(leaf: (i: number, bits: bigint) => void, first: number, n: number, pa: bigint, bits: bigint) {
  for (let i = 0; i < n; i++) leaf(first + i, (pa + BigInt(i) * PAGE) | bits);
}

describe('dump runs: leaves that continue the run before them', () => {
  it('one run over a whole table and on into the next when the table entries agree', () => {
    const { memory, leaf } = tables();
    fill(leaf, 0, 1024, 0x4000_0000n, P | RW);
    expect(listed(source(memory))).toEqual([[0, 1024]]);
  });

  it('a physical discontinuity breaks the run, one page further or back to the same page', () => {
    const { memory, leaf } = tables();
    fill(leaf, 0, 64, 0x4000_0000n, P | RW);
    leaf(10, (0x4000_0000n + 11n * PAGE) | P | RW); // one page too far
    leaf(20, (0x4000_0000n + 19n * PAGE) | P | RW); // the page before again
    fill(leaf, 21, 43, 0x4000_0000n + 20n * PAGE, P | RW); // so that 21 continues 20
    expect(listed(source(memory))).toEqual([
      [0, 10],
      [10, 1],
      [11, 9],
      [20, 44],
    ]);
  });

  it('a permission change in a table entry breaks the run at the table boundary, the leaves alike (R/W, U/S, XD)', () => {
    for (const pde of [P | US, P | RW, P | RW | US | XD]) {
      const { memory, leaf } = tables((t) => (t === 1 ? pde : P | RW | US));
      fill(leaf, 0, 1024, 0x4000_0000n, P | RW | US);
      expect(listed(source(memory))).toEqual([
        [0, 512],
        [512, 512],
      ]);
    }
  });

  it('entries differing only in A or D are one run (the listing ignores them), listed with the first bits', () => {
    const { memory, leaf } = tables();
    fill(leaf, 0, 32, 0x4000_0000n, P | RW);
    leaf(5, (0x4000_0000n + 5n * PAGE) | P | RW | A);
    leaf(6, (0x4000_0000n + 6n * PAGE) | P | RW | A | D);
    const src = source(memory);
    expect(listed(src)).toEqual([[0, 32]]);
    const [run] = [...dumpMappings(src, { roots: ROOTS })] as MappingRun[];
    expect(run!.bits).toBe(0x4000_0000n | P | RW);
  });

  it('each attribute that the listing keeps breaks the run: R/W, U/S, PWT, PCD, PAT, G, XD, the protection key', () => {
    for (const bit of [RW, US, PWT, PCD, PS, G, XD, 1n << 59n]) {
      const { memory, leaf } = tables();
      fill(leaf, 0, 16, 0x4000_0000n, P);
      leaf(7, (0x4000_0000n + 7n * PAGE) | P | bit);
      expect(listed(source(memory))).toEqual([
        [0, 7],
        [7, 1],
        [8, 8],
      ]);
    }
  });

  it('a run carries on across a 4 GiB physical boundary (the address field carries into the high word)', () => {
    const { memory, leaf } = tables();
    fill(leaf, 0, 40, (1n << 32n) - 20n * PAGE, P | RW | XD);
    expect(listed(source(memory))).toEqual([[0, 40]]);
  });

  it('pages at and above MAXPHYADDR are reserved entries, not more of the run', () => {
    const { memory, leaf } = tables();
    fill(leaf, 0, 40, (1n << 36n) - 20n * PAGE, P | RW);
    const src = source(memory, 36);
    const recs = [...dumpMappings(src, { roots: ROOTS })];
    expect(recs).toEqual(model(src));
    expect(recs[0]).toMatchObject({ kind: 'mapping', pages: 20 });
    expect(recs.slice(1).map((r) => r.kind)).toEqual(new Array(20).fill('diagnostic'));
  });

  it('a hole, a 2 MiB page between tables, and the end of the last table end runs', () => {
    const { memory, leaf } = tables();
    memory.writeU64(PD + 2n * 8n, (0x4000_0000n + 1024n * PAGE) | P | RW | PS);
    fill(leaf, 0, 1024, 0x4000_0000n, P | RW);
    leaf(100, 0n);
    fill(leaf, 1536, 512, 0x4000_0000n + 1536n * PAGE, P | RW);
    expect(listed(source(memory))).toEqual([
      [0, 100],
      [101, 923],
      [1024, 1],
      [1536, 512],
    ]);
  });

  it('property (seeded): random edits of contiguous tables list as the leaf-by-leaf listing coalesced', () => {
    const edit = fc.record({
      page: fc.integer({ min: 0, max: PTS * 512 - 1 }),
      kind: fc.constantFrom('pa+', 'pa-', 'bit', 'clear', 'high', 'pde'),
      bit: fc.constantFrom(RW, US, PWT, PCD, A, D, PS, G, XD, 1n << 52n, 1n << 59n),
    });
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 24 }), fc.constantFrom(36, 52), (edits, maxPhys) => {
        const pdes = [P | RW | US, P | RW | US, P | RW | US, P | RW | US];
        for (const e of edits) if (e.kind === 'pde') pdes[e.page >> 9] = pdes[e.page >> 9]! ^ (e.bit & (RW | US | XD));
        const { memory, leaf } = tables((t) => pdes[t]!);
        // everything contiguous from just below 2^36 (so that MAXPHYADDR 36 cuts a run), then the edits
        const pa0 = (1n << 36n) - 1000n * PAGE;
        const pages = Array.from({ length: PTS * 512 }, (_, i) => (pa0 + BigInt(i) * PAGE) | P | RW | US);
        for (const e of edits) {
          const v = pages[e.page]!;
          if (e.kind === 'pa+') pages[e.page] = v + PAGE;
          else if (e.kind === 'pa-') pages[e.page] = v - PAGE;
          else if (e.kind === 'bit') pages[e.page] = v ^ e.bit;
          else if (e.kind === 'clear') pages[e.page] = 0n;
          else if (e.kind === 'high') pages[e.page] = v | (1n << 40n);
        }
        for (const [i, bits] of pages.entries()) leaf(i, bits);
        listed(source(memory, maxPhys));
      }),
      { numRuns: 150, seed: 0x2f9 },
    );
  }, 60_000);
});
