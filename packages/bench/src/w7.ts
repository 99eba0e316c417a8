// W7 -- an emulator's memory accesses through the software TLB (core's Tlb over RiscvMmu, Sv39): a trace of
// 10,000,000 accesses, 90% to a working set of 64 pages and 10% to any of the 100,000 pages of W6, 5% of them stores,
// all in S-mode. Timed: the whole trace through the TLB; the working set alone (every access a hit once warm); the
// random pages alone (nearly every access a miss, which walks and fills); and the whole trace and the random pages
// through the model without a TLB (each access a walk: what a miss costs on top of its walk shows beside the misses).
import { Access, type AccessKind, MappingFlags, PageSize, type PhysicalMemory, Privilege, Tlb } from '@page-table-multiarch/core';
import { encodeRiscvSatp, RiscvMmu, Sv39PageTable } from '@page-table-multiarch/riscv';

/** What W7 borrows from the worker: its harness, its check, its memory and W6's page list. */
export interface W7Context {
  bench(name: string, ops: number, setup: () => void, body: () => void, teardown: () => void, note?: string): void;
  check(cond: boolean, what: string): void;
  readonly filter: RegExp;
  readonly memory: PhysicalMemory;
  /** W6's 100,000 distinct page addresses (numbers, lower half); page k maps to seqPa + k * 4096 (W7 maps it elsewhere). */
  readonly pages: readonly number[];
  readonly seqPa: number;
  readonly smoke: boolean;
}

const WORKING_SET = 64;
/**
 * Where W7's pages are in physical memory: above 4 GiB, as RAM is on a machine with more than a few GiB (a RISC-V
 * `virt` machine's RAM starts at 2^31), so that every answer is a physical address that no small integer holds.
 */
const W7_PA = 0x8_0000_0000;
const TRACE_SEED = 0x7ace;

/** xorshift32: a trace generator that costs nothing to run (the trace is made once, untimed). */
function xorshift(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** A trace: addresses, access kinds, and the expected physical addresses' low 32 bits summed (mod 2^32). */
interface Trace {
  readonly va: Float64Array;
  readonly kind: Uint8Array;
  readonly expectedSum: number;
}

function makeTrace(n: number, ctx: W7Context, workingShare: number, randomOnly: boolean): Trace {
  const next = xorshift(TRACE_SEED + n + (randomOnly ? 1 : 0) + Math.round(workingShare * 100));
  const pages = ctx.pages;
  // the working set: 64 of the mapped pages, spread over the list
  const ws = Array.from({ length: WORKING_SET }, (_, i) => Math.floor((i * pages.length) / WORKING_SET) + (i % 7));
  const va = new Float64Array(n);
  const kind = new Uint8Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const k = !randomOnly && next() % 1000 < workingShare * 1000 ? ws[next() % WORKING_SET]! : next() % pages.length;
    const offset = next() & 0xff8;
    va[i] = pages[k]! + offset;
    kind[i] = next() % 100 < 5 ? Access.WRITE : Access.READ;
    sum = (sum + ((W7_PA + k * 4096 + offset) | 0)) | 0;
  }
  return { va, kind, expectedSum: sum };
}

/**
 * The body's process CPU time per access, the least of three runs: on a host that other work loads, the wall clock
 * counts the time the process waited for a core, its CPU time does not (both are printed; compare like with like).
 */
function cpuNsPerAccess(body: () => void, n: number): string {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage();
    body();
    const c = process.cpuUsage(c0);
    best = Math.min(best, c.user + c.system);
  }
  return `process CPU ${((best * 1000) / n).toFixed(2)} ns per access (least of 3 runs)`;
}

/**
 * The floor of a hit: the hits row's loop over a bare direct-mapped table of its pages (1024 slots by 4 KiB page
 * number, each page's physical address beside its tag), read inline with none of the TLB's checks, counters or result
 * fields. Pages that share a slot with another answer -1 here, so its sum is not checked: it times the loop's shape.
 */
function floorRow(ctx: W7Context, t: Trace, translate: (va: number) => number): void {
  const name = 'W7 bare loop (floor)';
  if (!ctx.filter.test(name)) return;
  const tags = new Float64Array(1024).fill(Number.NaN);
  const frames = new Float64Array(1024);
  for (let i = 0; i < t.va.length; i++) {
    const page = Math.floor(t.va[i]! / 4096);
    tags[page & 1023] = page;
    frames[page & 1023] = translate(page * 4096);
  }
  let got = 0;
  const body = () => {
    const va = t.va;
    const kind = t.kind;
    let s = 0;
    for (let i = 0; i < va.length; i++) {
      const v = va[i]!;
      const page = Math.floor(v * 0.000244140625);
      const slot = page & 1023;
      s = (s + ((tags[slot] === page && kind[i]! <= 2 ? frames[slot]! + (v - page * 4096) : -1) | 0)) | 0;
    }
    got = s;
  };
  ctx.bench(name, t.va.length, () => {}, body, () => {});
  ctx.check(got !== 0, `${name}: no answer`);
  const note = `the hits row's trace; ${cpuNsPerAccess(body, t.va.length)}`;
  process.stdout.write(`${JSON.stringify({ arch: 'Sv39', workload: `${name} (counters)`, nsPerOp: 0, ops: 0, totalMs: 0, note })}\n`);
}

/** 2 MiB pages of the huge-page rows, and where they are (virtual: above the 4 KiB pages' span; physical: RAM's). */
const HUGE = 0x20_0000;
const HUGE_VA = 0x20_0000_0000;
const HUGE_PAGES = 20_000;

/**
 * The misses on 2 MiB pages (a kernel's direct map is made of them): 20,000 pages, each access to a random one, so
 * that nearly every access misses a 1024-entry TLB and fills an entry of a huge page; beside it the model alone on
 * the same addresses. A fill once searched the first-level table for all 512 4 KiB pages of the new entry, 5.8 us a
 * miss. Its own closures and table: the rows above keep the feedback of 4 KiB pages only.
 */
function hugeRows(ctx: W7Context, n: number): void {
  const names = ['W7 TLB, misses on 2 MiB pages', 'W7 no TLB, random 2 MiB pages'];
  if (!names.some((name) => ctx.filter.test(name))) return;
  const table = new Sv39PageTable(ctx.memory);
  const cursor = table.cursor();
  for (let k = 0; k < HUGE_PAGES; k++) cursor.map(HUGE_VA + k * HUGE, W7_PA + k * HUGE, PageSize.Size2M, MappingFlags.READ | MappingFlags.WRITE);
  cursor.flush();
  const mmu = new RiscvMmu(ctx.memory, { satp: encodeRiscvSatp(table).satp, svadu: true });
  const tlb = new Tlb(mmu);
  const next = xorshift(TRACE_SEED + 2);
  const va = new Float64Array(n);
  let expected = 0;
  for (let i = 0; i < n; i++) {
    const k = next() % HUGE_PAGES;
    const offset = (next() % (HUGE / 8)) * 8;
    va[i] = HUGE_VA + k * HUGE + offset;
    expected = (expected + ((W7_PA + k * HUGE + offset) | 0)) | 0;
  }
  let got = 0;
  // one loop per receiver, as in the rows below: a shared loop would make its call site see both
  const throughTlb = () => {
    let s = 0;
    for (let i = 0; i < va.length; i++) s = (s + (tlb.translateNumber(va[i]!, Access.READ, Privilege.SUPERVISOR) | 0)) | 0;
    got = s;
  };
  const throughModel = () => {
    let s = 0;
    for (let i = 0; i < va.length; i++) s = (s + (mmu.translateNumber(va[i]!, Access.READ, Privilege.SUPERVISOR) | 0)) | 0;
    got = s;
  };
  for (const [name, body] of [
    [names[0]!, throughTlb],
    [names[1]!, throughModel],
  ] as const) {
    if (!ctx.filter.test(name)) continue;
    tlb.flushAll();
    ctx.bench(name, n, () => {}, body, () => {});
    ctx.check(got === expected, `${name}: the answers' sum ${got} is not the trace's ${expected}`);
  }
  table.destroy();
}

export function w7(ctx: W7Context): void {
  hugeRows(ctx, ctx.smoke ? 10_000 : 1_000_000);
  const names = ['W7 TLB, trace', 'W7 TLB, hits', 'W7 TLB, misses', 'W7 no TLB, trace', 'W7 no TLB, random pages', 'W7 bare loop (floor)'];
  if (!names.some((n) => ctx.filter.test(n))) return;
  const n = ctx.smoke ? 10_000 : 10_000_000;
  const table = new Sv39PageTable(ctx.memory);
  const cursor = table.cursor();
  for (let k = 0; k < ctx.pages.length; k++) cursor.map(ctx.pages[k]!, W7_PA + k * 4096, PageSize.Size4K, MappingFlags.READ | MappingFlags.WRITE);
  cursor.flush();
  const mmu = new RiscvMmu(ctx.memory, { satp: encodeRiscvSatp(table).satp, svadu: true });
  const tlb = new Tlb(mmu);
  const S = Privilege.SUPERVISOR;

  // One loop shape for every row, written out for the TLB, for the model, and for the hits row (see hitsOnly), so that
  // each loop's call site sees one receiver (the TLB's rows run first): the sum of the answers' low 32 bits (`| 0` of an address above 2^32 is its low word), checked against
  // the trace's: a fault (a negative code) or a wrong address changes the sum.
  let got = 0;
  const throughTlb = (t: Trace) => () => {
    const va = t.va;
    const kind = t.kind;
    let s = 0;
    for (let i = 0; i < va.length; i++) s = (s + (tlb.translateNumber(va[i]!, kind[i]! as AccessKind, S) | 0)) | 0;
    got = s;
  };
  const throughModel = (t: Trace) => () => {
    const va = t.va;
    const kind = t.kind;
    let s = 0;
    for (let i = 0; i < va.length; i++) s = (s + (mmu.translateNumber(va[i]!, kind[i]! as AccessKind, S) | 0)) | 0;
    got = s;
  };
  const time = (name: string, body: (t: Trace) => () => void, t: Trace, note: () => string) => {
    if (!ctx.filter.test(name)) return;
    tlb.flushAll();
    tlb.resetCounters();
    ctx.bench(name, t.va.length, () => {}, body(t), () => {});
    ctx.check(got === t.expectedSum, `${name}: the answers' sum ${got} is not the trace's ${t.expectedSum}`);
    const cpu = cpuNsPerAccess(body(t), t.va.length);
    const fields = { arch: 'Sv39', workload: `${name} (counters)`, nsPerOp: 0, ops: 0, totalMs: 0, note: `${note()}; ${cpu}` };
    process.stdout.write(`${JSON.stringify(fields)}\n`);
  };
  const rates = () => {
    const all = tlb.hits + tlb.misses;
    return `hits ${((100 * tlb.hits) / all).toFixed(2)}%, misses ${((100 * tlb.misses) / all).toFixed(2)}%, walks ${tlb.walks}, over every run`;
  };
  const full = makeTrace(n, ctx, 0.9, false);
  time(names[0]!, throughTlb, full, rates);
  const hot = makeTrace(Math.min(n, 1_000_000), ctx, 1, false);
  // The hits row's own copy of the loop: closures of one function literal share V8's feedback and optimized code, so
  // on throughTlb the hits row ran the code optimized under the trace's misses and walks (12.7 ns per hit on a
  // 2-vCPU EPYC host, 7.2 with a loop of its own). The trace row times that mixed loop; this row times hits.
  const hitsOnly = (t: Trace) => () => {
    const va = t.va;
    const kind = t.kind;
    let s = 0;
    for (let i = 0; i < va.length; i++) s = (s + (tlb.translateNumber(va[i]!, kind[i]! as AccessKind, S) | 0)) | 0;
    got = s;
  };
  time(names[1]!, hitsOnly, hot, rates);
  floorRow(ctx, hot, (va) => mmu.translateNumber(va, Access.READ, S));
  const cold = makeTrace(Math.min(n, 1_000_000), ctx, 0, true);
  time(names[2]!, throughTlb, cold, rates);
  time(names[3]!, throughModel, full, () => 'the same trace, a walk per access');
  time(names[4]!, throughModel, cold, () => 'the trace of the misses row, a walk per access');
  table.destroy();
}
