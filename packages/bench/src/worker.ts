// Runs the workloads of README.md (W1-W6) for one table type and prints one JSON line per result.
// Usage: node worker.js <arch> <workload filter regexp>   (arch: a name of arches.ts)
import { MappingFlags, type PageTable64, type PageTable64Cursor, PhysicalMemory } from '@page-table-multiarch/core';
import { selectArches } from './arches';
import { type RawWalk, rawWalk } from './raw-walk';
import { w7 } from './w7';
import { w8 } from './w8';

const RW = MappingFlags.READ | MappingFlags.WRITE;
// PT_BENCH_SMOKE=1 (the package's test): every workload once, small, untimed in effect, with all its checks.
const SMOKE = process.env.PT_BENCH_SMOKE === '1';
// PT_BENCH_ALLOC=1 (the package's allocation test): one sample after the same warm-up: what is read is the heap
// growth of repetitions of optimized code (the least of three), not its time (the sizes stay: new tables are
// amortized as here).
const ALLOC = process.env.PT_BENCH_ALLOC === '1';
const N = SMOKE ? 4096 : 1_000_000;
const W6N = SMOKE ? 1000 : 100_000;
const W6NAME = W6N.toLocaleString('en-US');
const RUNS = SMOKE || ALLOC ? 1 : 5;
const WARMUP_MS = SMOKE ? 0 : 200;
const GiB = 1024 ** 3;

const spec = selectArches(process.argv[2] ?? 'X64')[0]!;
const arch = spec.name;
const filter = new RegExp(process.argv[3] ?? '.');
const SEQ_VA = spec.seqVa;
const SEQ_PA = spec.seqPa;
const W4_BYTES = spec.w4Bytes;
const W4_GIB = W4_BYTES / 1024 ** 3;

// A young-generation collection empties the nursery before the heap is read. A full one would also drop the maps of
// objects that are gone (cursors of earlier runs), and with them the optimized code that uses those maps: the
// measured repetition would then run unoptimized and allocate as such code does.
const gcExposed = (globalThis as { gc?: (o?: { type: string; execution: string }) => void }).gc;
const minorGc = () => gcExposed?.({ type: 'minor', execution: 'sync' });

// The same allocator shape as the reference: 2^18 frames (1 GiB) at physical 0x8000_0000, LIFO free list, bump.
const MEM_BASE = 0x8000_0000;
const memory = new PhysicalMemory({ size: GiB, base: BigInt(MEM_BASE) });
const make = await spec.load();
const newTable = (): PageTable64 => make(memory);
// Bits [vaTopBit, 64) of an address are one copy of one bit: the lower half is [0, 2^vaTopBit).
const probe = newTable();
const meta = probe.meta;
probe.destroy();
const lowerHalf = 2 ** meta.vaTopBit;
// The workloads' page is the format's smallest (4 KiB but on the AArch64 16K and 64K granules): N pages of it.
// A small integer (`2 ** n` is a double in V8, and every `i * PAGE` of the loops then too). The timed loops read it
// into a local first: optimized code loads a module constant from its context at each use (W1a, W2 and W3 on X64
// read 4-7% less with the local, the same table code).
const PAGE = 1 << meta.pageShift;

interface Result {
  arch: string;
  workload: string;
  nsPerOp: number;
  ops: number;
  heapBytesPerOp?: number;
  totalMs: number;
  note?: string;
}

function emit(r: Result): void {
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function now(): number {
  return performance.now();
}

/** What one reading of the clock costs, as `bench` sees it: the median of many empty timings (ms). */
const clockCost = (() => {
  const xs: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const t0 = now();
    xs.push(now() - t0);
  }
  return median(xs);
})();

/**
 * Runs `setup` (untimed), `body` (timed) and `teardown` (untimed). Warm-up: at least 200 ms and 2 samples, so the
 * code under test is optimized before timing (a single cold call says nothing about how long short bodies take).
 * Short bodies are then repeated (each repetition with its own setup) so that a timed sample holds at least 20 ms of
 * body time; each body's time has the clock's own cost (`clockCost`) taken off, and a young-generation collection
 * every 256 repetitions keeps collections out of the timed bodies. Reports the median of RUNS samples
 * divided by the op count, and the heap growth per op of one more repetition with a collection before it.
 */
function bench(name: string, ops: number, setup: () => void, body: () => void, teardown: () => void, note?: string): void {
  if (!filter.test(name)) return;
  let sinceGc = 0;
  const once = (): number => {
    // a young-generation collection every 256 repetitions, untimed: the nursery then never fills up during a
    // timed body, so a collection that setup's allocations made due is not charged to the body
    if (++sinceGc >= 256) {
      minorGc();
      sinceGc = 0;
    }
    setup();
    const t0 = now();
    body();
    const t1 = now();
    teardown();
    return t1 - t0 - clockCost;
  };
  const w0 = now();
  let calls = 0;
  let spent = 0;
  while (calls < 2 || now() - w0 < WARMUP_MS) {
    spent += once();
    calls++;
  }
  const reps = SMOKE ? 1 : Math.min(20_000, Math.max(1, Math.ceil(20 / Math.max(spent / calls, 1e-6))));
  const samples: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    let total = 0;
    for (let k = 0; k < reps; k++) total += once();
    samples.push(total / reps);
  }
  // The heap growth of one more repetition, or in an allocation run the least of three: what the body allocates at
  // every run shows in each of them, while a one-off (code that V8 compiles or a GC's bookkeeping landing inside one
  // repetition) does not. A CI run, its cores shared with the rest of the suite, once read Sv39's W6b at 1.6 bytes
  // per query that way, a figure no run reproduced (0.003 in each, loaded or not).
  const grown = heapGrowth(setup, body, teardown);
  const total = median(samples);
  const result: Result = { arch, workload: name, nsPerOp: (total * 1e6) / ops, ops, totalMs: total, heapBytesPerOp: grown / ops };
  if (note !== undefined) result.note = note;
  emit(result);
}

/**
 * The heap growth of `body` after a young-generation collection (setup and teardown around it, outside the
 * reading): of one run, or in an allocation run (PT_BENCH_ALLOC) the least of three (see bench).
 */
function heapGrowth(setup: () => void, body: () => void, teardown: () => void): number {
  let grown = Number.POSITIVE_INFINITY;
  for (let k = 0; k < (ALLOC ? 3 : 1); k++) {
    setup();
    minorGc();
    const h0 = process.memoryUsage().heapUsed;
    body();
    const h1 = process.memoryUsage().heapUsed;
    teardown();
    grown = Math.min(grown, Math.max(0, h1 - h0));
  }
  return grown;
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`${arch}: check failed: ${what}`);
}

let table: PageTable64 | null = null;
const destroy = () => {
  table?.destroy();
  table = null;
};
const fresh = () => {
  destroy();
  table = newTable();
};

// Addresses as numbers and as bigints (bigints made once, outside the timing, as a caller would hold them).
const vaBig: bigint[] = [];
const paBig: bigint[] = [];
for (let i = 0; i < N; i++) {
  vaBig.push(BigInt(SEQ_VA + i * PAGE));
  paBig.push(BigInt(SEQ_PA + i * PAGE));
}

const mapAllNumbers = () => {
  const c = table!.cursor();
  const page = PAGE;
  for (let i = 0; i < N; i++) c.map(SEQ_VA + i * page, SEQ_PA + i * page, page, RW);
  c.flush();
};

// W1 -- sequential map of 1,000,000 pages (4 KiB but on the 16K and 64K granules)
bench('W1a map (numbers)', N, fresh, mapAllNumbers, destroy);
bench('W1a map (bigints)', N, fresh, () => {
  const c = table!.cursor();
  const page = PAGE;
  for (let i = 0; i < N; i++) c.map(vaBig[i]!, paBig[i]!, page, RW);
  c.flush();
}, destroy);
// What the bigint row spends before any map: reading its 2,000,000 bigints (heap objects, 48 MB: the loop is bound
// by memory, not by the conversion) and taking each apart into two u32 words, as the library's bigint addresses are
// (a check that it is a u64, one 64-bit typed array slot); no table. Beside W1a (bigints) in main's table.
const bigWords = new BigUint64Array(1);
const bigHalves = new Uint32Array(bigWords.buffer);
let bigSum = 0;
bench('W1a bigint reads alone', N, () => {}, () => {
  let s = 0;
  for (let i = 0; i < N; i++) {
    const va = vaBig[i]!;
    const pa = paBig[i]!;
    if (BigInt.asUintN(64, va) !== va || BigInt.asUintN(64, pa) !== pa) s = -1;
    bigWords[0] = va;
    s = (s + bigHalves[0]! + bigHalves[1]!) | 0;
    bigWords[0] = pa;
    s = (s + bigHalves[0]! + bigHalves[1]!) | 0;
  }
  bigSum = s;
}, () => {});
if (filter.test('W1a bigint reads alone')) {
  let want = 0;
  for (let i = 0; i < N; i++) {
    const va = SEQ_VA + i * PAGE;
    const pa = SEQ_PA + i * PAGE;
    want = (want + (va >>> 0) + Math.floor(va / 4294967296) + (pa >>> 0) + Math.floor(pa / 4294967296)) | 0;
  }
  check(bigSum === want, `W1a bigint reads alone: sum ${bigSum}, not ${want}`);
}
bench('W1b map, cursor per 1000 (numbers)', N, fresh, () => {
  for (let k = 0; k < N; k += 1000) {
    const c = table!.cursor();
    const page = PAGE;
    for (let i = k; i < k + 1000; i++) c.map(SEQ_VA + i * page, SEQ_PA + i * page, page, RW);
    c.flush();
  }
}, destroy);

// W2 -- query each, on the table of W1a
if (/W2/.test(filter.source) || filter.test('W2')) {
  fresh();
  mapAllNumbers();
  const t = table!;
  // Each loop checks every result (as the workload says) and keeps its count in a local: a counter in the
  // enclosing scope would box a number per iteration and time the harness, not the table.
  let bad = 0;
  bench('W2 query (bigint API)', N, () => {}, () => {
    let b = 0;
    for (let i = 0; i < N; i++) if (t.query(vaBig[i]!).paddr !== paBig[i]) b++;
    bad += b;
  }, () => {});
  bench('W2 query (number fast path)', N, () => {}, () => {
    let b = 0;
    const page = PAGE;
    for (let i = 0; i < N; i++) if (t.queryNumber(SEQ_VA + i * page) !== SEQ_PA + i * page) b++;
    bad += b;
  }, () => {});
  if (spec.raw !== undefined) {
    const walk: RawWalk = rawWalk(spec.raw, t, MEM_BASE);
    bench('W2 raw walk (floor)', N, () => {}, () => {
      let b = 0;
      const page = PAGE;
      for (let i = 0; i < N; i++) if (walk(SEQ_VA + i * page) !== SEQ_PA + i * page) b++;
      bad += b;
    }, () => {});
  }
  check(bad === 0, `W2: ${bad} queries returned the wrong address`);
  check(t.query(vaBig[N - 1]!).paddr === paBig[N - 1], 'W2 last query');
  check(t.queryNumber(SEQ_VA + 5 * PAGE + 7) === SEQ_PA + 5 * PAGE + 7, 'W2 number query');
  destroy();
}

// W3 -- unmap each, on a table of W1a's pages. (numbers): unmapNumber, the number path (the address as a number, no
// MappingInfo and no bigint); beside it unmap with a number address, whose MappingInfo holds the physical address as
// a bigint, and unmap with bigints. Each row's loop is its own function literal (V8 optimizes each on its own).
const w3 = (name: string, unmapAll: (c: PageTable64Cursor) => void) =>
  bench(name, N, () => {
    fresh();
    mapAllNumbers();
  }, () => {
    const c = table!.cursor();
    unmapAll(c);
    c.flush();
  }, destroy);
w3('W3 unmap (numbers)', (c) => {
  const page = PAGE;
  for (let i = 0; i < N; i++) c.unmapNumber(SEQ_VA + i * page);
});
w3('W3 unmap (number addresses, MappingInfo)', (c) => {
  const page = PAGE;
  for (let i = 0; i < N; i++) c.unmap(SEQ_VA + i * page);
});
w3('W3 unmap (bigints)', (c) => {
  for (let i = 0; i < N; i++) c.unmap(vaBig[i]!);
});

// W4 -- mapRegion of 4 GiB (2 GiB on ARMv7), then unmapRegion of it. A call that makes 4 entries takes about 0.1 us: one pair of clock
// readings around it measures the clock and the caches more than the call (the same code read 27-76 ns per entry
// from one process to the next), so W4a times `batch` calls in a row, each on a fresh table made beforehand.
const batchTables: PageTable64[] = [];
// The leaf entries W4a and W4b write (they depend on the format's page sizes), counted once, untimed.
const leafCount = (paBase: number): number => {
  const t = newTable();
  const c = t.cursor();
  c.mapRegion(SEQ_VA, paBase, W4_BYTES, RW, true);
  c.flush();
  let n = 0;
  for (const _ of t.mappings()) n++;
  t.destroy();
  return n;
};
const w4 = (name: string, paBase: number, huge: boolean) => {
  if (!filter.test(`${name} mapRegion ${W4_GIB} GiB`) && !filter.test(`${name} unmapRegion ${W4_GIB} GiB`)) return;
  const leaves = huge ? leafCount(paBase) : W4_BYTES / PAGE;
  const batch = leaves < 64 ? 32 : 1;
  bench(`${name} mapRegion ${W4_GIB} GiB`, leaves * batch, () => {
    for (let i = 0; i < batch; i++) batchTables.push(newTable());
  }, () => {
    for (let i = 0; i < batch; i++) {
      const c = batchTables[i]!.cursor();
      c.mapRegion(SEQ_VA, paBase, W4_BYTES, RW, huge);
      c.flush();
    }
  }, () => {
    for (const t of batchTables) t.destroy();
    batchTables.length = 0;
  }, batch === 1 ? `${leaves} leaf entries` : `${leaves} leaf entries; ${batch} calls per timing, each on a fresh table`);
  bench(`${name} unmapRegion ${W4_GIB} GiB`, leaves, () => {
    fresh();
    const c = table!.cursor();
    c.mapRegion(SEQ_VA, paBase, W4_BYTES, RW, huge);
  }, () => {
    const c = table!.cursor();
    c.unmapRegion(SEQ_VA, W4_BYTES);
    c.flush();
  }, destroy);
};
w4('W4a', SEQ_PA, true);
w4('W4b', spec.w4bPa, true);
w4('W4c', SEQ_PA, false);

// W5 -- protectRegion over a sparse 512 GiB range holding 1,000 pages (the whole space where it is smaller). Where the
// lower half is smaller than the range (Sv39: 2^38 bytes), the range is two calls: the lower half and the
// sign-extended upper half.
const w5Bytes = Math.min(2 ** 39, meta.upperHalf ? 2 * lowerHalf : lowerHalf);
const w5Split = w5Bytes > lowerHalf;
const w5Stride = Math.floor(w5Bytes / 1000 / PAGE) * PAGE;
const canon = (va: number): bigint => (w5Split && va >= lowerHalf ? BigInt(va) + (1n << 64n) - BigInt(w5Bytes) : BigInt(va));
bench(`W5 protectRegion ${w5Bytes / GiB} GiB sparse`, 1, () => {
  fresh();
  const c = table!.cursor();
  for (let i = 0; i < 1000; i++) c.map(canon(i * w5Stride), SEQ_PA + i * PAGE, PAGE, RW);
}, () => {
  const c = table!.cursor();
  let bytes: bigint;
  if (!w5Split) {
    bytes = c.protectRegion(0, w5Bytes, MappingFlags.READ);
  } else {
    const half = BigInt(lowerHalf);
    bytes = c.protectRegion(0n, half, MappingFlags.READ) + c.protectRegion((1n << 64n) - half, half, MappingFlags.READ);
  }
  check(bytes === 1000n * BigInt(PAGE), `W5 changed ${bytes} bytes`);
  c.flush();
}, destroy, w5Split ? 'two calls: lower and upper half' : 'one call');

// W6 -- random map / query of 100,000 pages of the lower half (splitmix64, seed 0x5EED_1234_ABCD_0001): the page
// number is the top vaTopBit - pageShift bits of each 64-bit draw, as the crate's benchmark takes 35 bits on X64, 26 on
// Sv39 (at most 40: the addresses stay below 2^52, exact as numbers, on the 57-bit formats). With pages above 4 KiB
// the tables are as large as the pages: at most 26 bits there, so that the leaf tables 100,000 random pages need
// (about 2^15 of 16 or 64 KiB) fit the 1 GiB memory.
const B = BigInt(Math.min(Math.min(meta.vaTopBit, 52) - meta.pageShift, meta.pageShift > 12 ? 26 : 64));
const pages: number[] = [];
{
  let state = 0x5eed_1234_abcd_0001n;
  const seen = new Set<bigint>();
  let sum = 0n;
  while (pages.length < W6N) {
    state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
    let z = state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    z ^= z >> 31n;
    const pn = z >> (64n - B);
    if (seen.has(pn)) continue;
    seen.add(pn);
    sum = BigInt.asUintN(64, sum + pn);
    pages.push(Number(pn) * PAGE);
  }
  // the crate's page lists, checked where the crate runs the same draw
  if (B === 35n && PAGE === 4096 && W6N === 100_000) {
    check(pages[0] === 0x27425d822000 && pages[1] === 0x2d92b1c32000 && pages[99_999] === 0x3225f0af2000, 'W6 page list');
    check(sum === 0x61b8d6c389b11n, 'W6 page sum');
  } else if (B === 26n && PAGE === 4096 && W6N === 100_000) {
    check(pages[0] === 0x13a12ec000 && pages[1] === 0x16c958e000 && pages[99_999] === 0xbd13b1000, 'W6 page list');
    check(sum === 0x30dbbb4e7bfn, 'W6 page sum');
  }
}
// W7 -- the software TLB over the RISC-V MMU model, on W6's pages (src/w7.ts); its names put it in main's first
// process, with W1-W5
if (arch === 'Sv39') w7({ bench, check, filter, memory, pages, seqPa: SEQ_PA, smoke: SMOKE });
// W8 -- two-stage translation, AArch64 stage 1 over stage 2, a walk of both per access (src/w8.ts), beside W7
if (arch === 'A64') w8({ bench, check, filter, memory, pages, seqPa: SEQ_PA, smoke: SMOKE });

bench(`W6a random map ${W6NAME}`, W6N, fresh, () => {
  const c = table!.cursor();
  const page = PAGE;
  for (let k = 0; k < W6N; k++) c.map(pages[k]!, SEQ_PA + k * page, page, RW);
  c.flush();
}, () => {}, 'table kept for W6b');
if (table !== null && filter.test(`W6b random query ${W6NAME}`)) {
  const t: PageTable64 = table;
  let bad = 0;
  bench(`W6b random query ${W6NAME}`, W6N, () => {}, () => {
    let b = 0;
    const page = PAGE;
    for (let k = 0; k < W6N; k++) if (t.queryNumber(pages[k]!) !== SEQ_PA + k * page) b++;
    bad += b;
  }, () => {});
  if (spec.raw !== undefined) {
    const walk: RawWalk = rawWalk(spec.raw, t, MEM_BASE);
    bench('W6b raw walk (floor)', W6N, () => {}, () => {
      let b = 0;
      const page = PAGE;
      for (let k = 0; k < W6N; k++) if (walk(pages[k]!) !== SEQ_PA + k * page) b++;
      bad += b;
    }, () => {});
  }
  check(bad === 0, `W6b: ${bad} queries returned the wrong address`);
  check(t.queryNumber(pages[77]!) === SEQ_PA + 77 * PAGE, 'W6b query');
  const frames = t.frameCount();
  // the crate's benchmark makes exactly these many table frames (README.md)
  if (W6N === 100_000 && arch === 'X64') check(frames === 170_353, `W6 made ${frames} frames, not 170,353`);
  if (W6N === 100_000 && arch === 'Sv39') check(frames === 70_444, `W6 made ${frames} frames, not 70,444`);
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  const note = `${frames} frames = ${Math.round(frames / 256)} MiB, peak RSS ${Math.round(rssMiB)} MiB (x${(rssMiB / (frames / 256)).toFixed(2)})`;
  emit({ arch, workload: 'W6 table frames', nsPerOp: 0, ops: 0, totalMs: 0, note });
}
destroy();

// PT_BENCH_ALLOC's control: a body that allocates one heap number per op, as many ops as W7's trace (the longest body
// measured), read the way bench() reads a row. It shows what a row that allocates would read: about 16 bytes per op
// when the young generation holds the whole body (the allocation tests run the worker with a fixed semi-space large
// enough), far less when collections during the body take back what it allocated (Node's default semi-space: a row
// that boxed every op read 0.5 bytes or less per op then).
if (ALLOC) {
  const ops = 10_000_000;
  const slots: unknown[] = new Array<unknown>(1024).fill(null);
  const body = () => {
    for (let i = 0; i < ops; i++) slots[i & 1023] = i + 0.5;
  };
  body();
  const grown = heapGrowth(() => {}, body, () => {});
  emit({ arch, workload: 'ALLOC control: a heap number per op', nsPerOp: 0, ops, totalMs: 0, heapBytesPerOp: grown / ops });
}
