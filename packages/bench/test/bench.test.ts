import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dumpMappings, MappingFlags, PagedMemory, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import { decodeX64Registers } from '@page-table-multiarch/x86_64';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../test/support/rng';
import { BENCH_ARCHES, selectArches } from '../src/arches';
import { nativeName, parseNative } from '../src/native';
import { rawWalk } from '../src/raw-walk';
import { writeW9Dump } from '../src/w9-dump';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MEM_BASE = 0x8000_0000;
const RW = MappingFlags.READ | MappingFlags.WRITE;

describe('bench: table types', () => {
  it('--arch names every type, all of them, or refuses an unknown one', () => {
    expect(selectArches(undefined).map((a) => a.name)).toEqual(['X64', 'Sv39']);
    expect(selectArches('all').length).toBe(BENCH_ARCHES.length);
    expect(selectArches('a32,sv57').map((a) => a.name)).toEqual(['A32', 'Sv57']);
    expect(() => selectArches('X86')).toThrow(/--arch X86: not one of/);
  });
});

describe('bench: the raw walk (the lookups floor)', () => {
  for (const spec of BENCH_ARCHES.filter((a) => a.raw !== undefined)) {
    it(`${spec.name}: translates as queryNumber does, huge pages and holes included (seed 7)`, async () => {
      const memory = new PhysicalMemory({ size: 64 << 20, base: BigInt(MEM_BASE) });
      const table = (await spec.load())(memory);
      const walk = rawWalk(spec.raw!, table, MEM_BASE);
      const rng = new Rng(7);
      const c = table.cursor();
      // pages of every size below the root's, at random places of the lower half (at most its first 2^39 bytes)
      const sizes = table.meta.levelSize.slice(1).map(Number);
      const pages = Math.min(2 ** 39, 2 ** table.meta.vaTopBit) / 4096;
      const probes: number[] = [];
      for (let i = 0; i < 300; i++) {
        const size = sizes[rng.below(sizes.length)]!;
        const va = Math.floor((rng.below(pages) * 4096) / size) * size;
        const pa = Math.floor((rng.below(2 ** 20) * 4096 * 16) / size) * size;
        // every third page execute-only: present by X alone in EPT (its R bit clear)
        const flags = i % 3 === 0 ? MappingFlags.EXECUTE : RW;
        try {
          c.map(va, pa, size, flags);
        } catch {
          continue; // taken, or inside a bigger page: the draw is skipped
        }
        probes.push(va + rng.below(Math.min(size, 2 ** 32)), va + size - 1);
      }
      c.flush();
      for (let i = 0; i < 300; i++) probes.push(rng.below(pages) * 4096 + rng.below(4096));
      let mapped = 0;
      for (const va of probes) {
        const want = table.queryNumber(va);
        if (want >= 0) mapped++;
        expect(walk(va)).toBe(want);
      }
      expect(mapped).toBeGreaterThan(300);
      table.destroy();
    });
  }
});

describe('bench: the native benchmark', () => {
  it('reads its output lines into ns per op, W5 from ms per call', () => {
    const out = [
      '# page_table_multiarch 0.6.1 native bench',
      '# arch  workload   value      unit      extra',
      'X64   W1a            18.646 ns/op     peak_frames=1960',
      'X64   W4a-unmap      28.000 ns/entry  call_ns=112 entries=4',
      'Sv39  W5           1369.906 ms/call   ns_per_step=10.207',
      'Sv39  W3x             5.315 ns/frame  drop_us=10.4',
      'X64   W9             oops ns/op',
      '# total 20.8 s',
    ].join('\n');
    const f = parseNative(out);
    expect([...f.keys()]).toEqual(['X64 W1a', 'X64 W4a-unmap', 'Sv39 W5', 'Sv39 W3x']);
    expect(f.get('Sv39 W5')).toBeCloseTo(1369.906e6, 0);
    expect(f.get('X64 W1a')).toBe(18.646);
  });

  it('pairs each workload of this bench with the crate\'s name of it', () => {
    expect(nativeName('W1a map (numbers)')).toBe('W1a');
    expect(nativeName('W2 query (number fast path)')).toBe('W2');
    expect(nativeName('W4b unmapRegion 4 GiB')).toBe('W4b-unmap');
    expect(nativeName('W6b random query 100,000')).toBe('W6b');
    expect(nativeName('W2 raw walk (floor)')).toBeUndefined();
    expect(nativeName('W6b raw walk (floor)')).toBeUndefined();
    // the reading of W1a's bigints alone (no table) is no workload of the crate's
    expect(nativeName('W1a bigint reads alone')).toBeUndefined();
    expect(nativeName('W1a map (bigints)')).toBe('W1a');
  });
});

let worker: Promise<string> | undefined;
/** The bench worker bundled from the sources (once), as the CLI's tests run ptdump: tsconfig paths resolve the packages to src/. */
function bundledWorker(): Promise<string> {
  worker ??= (async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pt-bench-')), 'worker.mjs');
    await build({ entryPoints: [join(ROOT, 'packages/bench/src/worker.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', tsconfig: join(ROOT, 'tsconfig.json'), outfile: file, logLevel: 'error' });
    return file;
  })();
  return worker;
}

describe('bench: every workload runs on every table type', () => {
  it('the worker runs W1-W8 with all their checks (small sizes, PT_BENCH_SMOKE=1)', async () => {
    const worker = await bundledWorker();
    for (const spec of BENCH_ARCHES) {
      const run = spawnSync(process.execPath, ['--expose-gc', worker, spec.name, '.'], { encoding: 'utf8', env: { ...process.env, PT_BENCH_SMOKE: '1' } });
      expect(run.stderr, spec.name).toBe('');
      expect(run.status, spec.name).toBe(0);
      const rows = run.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { workload: string; nsPerOp: number });
      const names = rows.map((r) => r.workload.split(' ')[0]);
      for (const w of ['W1a', 'W1b', 'W2', 'W3', 'W4a', 'W4b', 'W4c', 'W5', 'W6a', 'W6b']) expect(names, `${spec.name} ${w}`).toContain(w);
      // W7, the software TLB, runs where an MMU model exists (RISC-V, on Sv39), its answers checked
      expect(names.includes('W7'), `${spec.name} W7`).toBe(spec.name === 'Sv39');
      // W8, two-stage translation, runs on AArch64 (A64Mmu over A64Stage2Mmu), its answers checked
      expect(names.includes('W8'), `${spec.name} W8`).toBe(spec.name === 'A64');
      expect(rows.some((r) => r.workload === 'W2 raw walk (floor)')).toBe(spec.raw !== undefined);
      // the rows of notes (W6's frame count, W7's counters) carry no timing
      for (const r of rows.filter((x) => x.workload !== 'W6 table frames' && !x.workload.endsWith('(counters)'))) expect(r.nsPerOp, `${spec.name} ${r.workload}`).toBeGreaterThan(0);
    }
  }, 300_000);
});

// The numbers path allocates nothing per operation: W1a map, W2 queryNumber, W3 unmap, W6a random map and W6b random
// query, run as the bench runs them (the built worker over the built packages, optimized code after warm-up), read
// as heap growth per op. V8 compiles synchronously here
// (--no-concurrent-recompilation) so that its inlining decisions do not depend on the machine's load: a caller's
// loop boxes its number arguments when `map` or `queryNumber` stops being inlined into it (28 heap bytes per map on
// Sv39 when a default parameter value in the RISC-V codec grew two closures by 12 bytes of bytecode), and a miss path
// that is a call of its own boxes each address above 2^31 it is given or returns (W6a, where every map misses: 16 to
// 38 bytes per map before the miss paths took their addresses in a typed array). W6a runs after W1a, as in the bench:
// what V8 compiled for the sequential maps is what the random ones run.
// Listed per table type: the rows at 0 today. A32, ARMv7 short descriptors, had W1a and W6a out while core recorded
// a frame cut into four 1 KiB level-2 tables with a Map entry, an object and a Uint8Array (about 0.35 bytes per W1a
// map, 3.5 per W6a map); it books those frames in typed arrays now (core's table/slabs.ts).
const BASE = ['W1a', 'W2', 'W3', 'W6a', 'W6b'];
const ZERO_ALLOC: Record<string, string[]> = {
  X64: BASE,
  'X64-5': BASE,
  A64: BASE,
  'A64-16K47': BASE,
  'A64-64K48': BASE,
  'A64-4K52': BASE,
  'A64-64K52': BASE,
  Sv39: BASE,
  Sv48: BASE,
  Sv57: BASE,
  Sv39x4: BASE,
  LA64: BASE,
  // the 4 GiB formats: their number paths took no address of their lower half before (W2 and W6b then boxed every
  // address above 2^31 on the full path)
  'X86-32': BASE,
  Sv32: BASE,
  'X86-PAE': BASE,
  'X86-EPT': BASE,
  A32: BASE,
  // ARMv7 long descriptors: while their codec had no layout they had no specialised walk, and W2, W6a and W6b boxed
  // a physical address per op on the general path (11.8, 16.0 and 8.0 bytes per op)
  'A32-LPAE': BASE,
};
// A row's heap growth counts what its body allocated only while no collection runs during the body: a young-generation
// collection takes back what the body allocated (a row that boxed a number per op read from -0.5 to 1.2 bytes per op
// under Node's default young generation). So the worker runs with a semi-space of 256 MiB, which holds a body of
// 10,000,000 ops (W7's trace) that allocates 16 bytes per op, and every run checks that the worker's control row,
// one heap number per op over 10,000,000 ops, reads as such.
const ALLOC_FLAGS = ['--expose-gc', '--no-concurrent-recompilation', '--min-semi-space-size=256', '--max-semi-space-size=256'];
const CONTROL = 'ALLOC control: a heap number per op';

/** The rows of an allocation run of the worker, after checking its control row. */
function allocRows(arch: string, filter: string): { workload: string; heapBytesPerOp?: number }[] {
  const worker = join(ROOT, 'packages/bench/dist/worker.js');
  // the worker as built (`pnpm test` builds first): the packages' published bundles, which is what is inlined or not
  const run = spawnSync(process.execPath, [...ALLOC_FLAGS, worker, arch, filter], { encoding: 'utf8', env: { ...process.env, PT_BENCH_ALLOC: '1' } });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const rows = run.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { workload: string; heapBytesPerOp?: number });
  const control = rows.find((r) => r.workload === CONTROL);
  expect(control?.heapBytesPerOp, `${arch}: the control row`).toBeGreaterThan(12);
  return rows.filter((r) => r.workload !== CONTROL);
}

const NUMBER_PATH = /^(W1a map \(numbers\)|W2 query \(number fast path\)|W3 unmap \(numbers\)|W6a random map|W6b random query)/;

describe('bench: the numbers path allocates nothing', () => {
  it.each(Object.entries(ZERO_ALLOC))('%s: %j at 0 heap bytes per op', (name, zero) => {
    const rows = allocRows(name, 'W1a map \\(numbers|W2 query \\(number|W3 unmap \\(numbers|W6a random map|W6b random query');
    const measured = rows.filter((r) => NUMBER_PATH.test(r.workload) && zero.includes(r.workload.split(' ')[0]!));
    expect(measured.map((r) => r.workload.split(' ')[0])).toEqual(zero);
    // under half a byte per op: a boxed number is 12 to 16 bytes, an object 16 or more
    for (const r of measured) expect(r.heapBytesPerOp, `${name} ${r.workload}`).toBeLessThan(0.5);
  }, 120_000);

  // The same rows in another order: random maps and queries first, with no sequential map before them (an emulator
  // that maps pages as a guest touches them). What V8 inlines then is decided by which function got hot first: map
  // and queryNumber optimized on their own, with their miss paths inlined into them, were then too large for a
  // caller's loop to inline, and every call boxed its address (16 heap bytes per W6a map on every format before
  // map's miss path was kept out of map's own code). One table type per depth and entry width.
  // queryNumber likewise: optimized on its own before the loop, with the walk inlined into it, no loop inlined it any
  // more (A32's W6b run first: 8 heap bytes per query) until the walk became a call V8 never inlines (core's
  // fast/walker.ts: the walk's bytecode is over V8's 460-byte limit).
  it.each(['X64', 'X64-5', 'Sv39', 'Sv32', 'X86-PAE', 'A64-16K47', 'A32', 'A32-LPAE'])('%s: W6a and W6b, run first, at 0 heap bytes per op', (name) => {
    const measured = allocRows(name, 'W6[ab] random').filter((r) => r.heapBytesPerOp !== undefined && NUMBER_PATH.test(r.workload));
    expect(measured.map((r) => r.workload.split(' ')[0])).toEqual(['W6a', 'W6b']);
    for (const r of measured) expect(r.heapBytesPerOp, `${name} ${r.workload}`).toBeLessThan(0.5);
  }, 120_000);
});

// W7, the software TLB's trace, hits and misses (Sv39): 0 bytes per access too, run in the order the bench runs
// them (the trace first), and the same accesses through the model alone. A hit allocates nothing only while
// Tlb.translateNumber is inlined into the loop and every answer it gives is a number in a register (else each
// physical address, above 4 GiB here as on most machines, is a heap number: 16 bytes per access); a miss only while
// what it calls takes and returns small integers (a double argument or result across a call V8 does not inline is
// boxed).
describe('bench: the TLB\'s number path allocates nothing', () => {
  it('Sv39: W7 TLB trace, hits and misses at 0 heap bytes per access', () => {
    const rows = allocRows('Sv39', '^W7 (TLB, (trace|hits|misses)|no TLB, (trace|random pages))$');
    const measured = rows.filter((r) => r.heapBytesPerOp !== undefined);
    expect(measured.map((r) => r.workload)).toEqual(['W7 TLB, trace', 'W7 TLB, hits', 'W7 TLB, misses', 'W7 no TLB, trace', 'W7 no TLB, random pages']);
    for (const r of measured) expect(r.heapBytesPerOp, r.workload).toBeLessThan(0.5);
  }, 300_000);

  // W8: the MMU models' translateNumber without a TLB, two stages and one, and a Tlb over two stages (A64), physical
  // addresses above 4 GiB
  it('A64: W8 two stages, stage 1 alone and a Tlb over two stages at 0 heap bytes per access', () => {
    const measured = allocRows('A64', '^W8').filter((r) => r.heapBytesPerOp !== undefined);
    expect(measured.map((r) => r.workload)).toEqual(['W8 two stages, random pages', 'W8 stage 1 only, random pages', 'W8 two stages behind a Tlb, 64 hot pages']);
    for (const r of measured) expect(r.heapBytesPerOp, r.workload).toBeLessThan(0.5);
  }, 300_000);
});

// The fast paths must not keep the last memory walked alive once its tables and memory are dropped (a host that
// makes and drops guest memories of GiBs would hold the last one): nothing module-level of the walk (core's
// fast/walker.ts: its results, the refill's leaf record) may hold the memory's words.
describe('bench: the fast paths keep no dropped memory alive', () => {
  it('a memory walked by queryNumber and unmap is collected once its table and memory are dropped', () => {
    const dist = (p: string) => join(ROOT, 'packages', p, 'dist/index.js');
    const script = `
      import { PhysicalMemory } from ${JSON.stringify(dist('core'))};
      import { X64PageTable } from ${JSON.stringify(dist('x86_64'))};
      // in a function of its own: nothing of it is reachable after it returns but the WeakRef
      const use = () => {
        const mem = new PhysicalMemory({ size: 1 << 24, base: 0n });
        const table = new X64PageTable(mem);
        const c = table.cursor();
        for (let k = 0; k < 4; k++) c.map(k * 2 ** 30, 0x10_0000 + k * 4096, 4096, 3);
        c.flush();
        // lookups and an unmap in other last-level tables than the one before: each takes the format's walk
        let sum = 0;
        for (let k = 0; k < 4; k++) sum += table.queryNumber(k * 2 ** 30 + 8);
        table.cursor().unmap(2 ** 30);
        return { sum, ref: new WeakRef(mem.words) };
      };
      const { sum, ref } = use();
      await new Promise((r) => setTimeout(r, 0));
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 0));
      globalThis.gc();
      process.stdout.write(JSON.stringify({ sum, collected: ref.deref() === undefined }));
    `;
    const run = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as { sum: number; collected: boolean };
    expect(out.sum).toBe(4 * 0x10_0000 + 6 * 4096 + 4 * 8);
    expect(out.collected).toBe(true);
  });
});

describe('bench: W9\'s dump', () => {
  it('maps 4,194,304 4K pages (16 GiB) in 262,144 runs whose permissions alternate, as ptdump lists it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pt-w9-'));
    try {
      const path = join(dir, 'w9.bin');
      const made = writeW9Dump(path);
      expect(made.runs).toBe(262_144);
      const image = new Uint8Array(readFileSync(path));
      expect(image.length).toBe(made.bytes);
      const memory = new PagedMemory({ ranges: [{ base: 0n, size: image.length }], read: (pa, into) => into.set(image.subarray(Number(pa), Number(pa) + into.length)) });
      const plan = decodeX64Registers({ cr3: 0n, cr4: 0x20n, efer: 0xd01n });
      if (plan instanceof RegisterError) throw plan;
      const dump = dumpMappings({ ...plan.format, handler: memory }, { roots: plan.roots });
      let runs = 0;
      let previous = -1;
      let next = 0n;
      let wrong = '';
      for (const rec of dump) {
        // back to back from 0, 16 pages each, identity-mapped, RW NX and ro x by turns (one expect at the end: an
        // expect per record costs more than the walk)
        const ok = rec.kind === 'mapping' && rec.vaddr === next && rec.paddr === next && rec.pages === 16 && rec.effective !== previous;
        if (!ok && wrong === '') wrong = `record ${runs}: ${JSON.stringify(rec, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}`;
        if (rec.kind !== 'mapping') continue;
        previous = rec.effective;
        next = rec.end;
        runs++;
      }
      expect(wrong).toBe('');
      expect(runs).toBe(262_144);
      expect(next).toBe(16n << 30n);
      expect(dump.summary).toMatchObject({ runs: 262_144, pages: 4_194_304, bytes: 16n << 30n, diagnostics: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
