// Hostile input for ptdump, run as a child process the way a user runs it. Every case must end, within the time
// bound it states, either with a listing (exit 0, or 1 for --audit findings) or with exactly one line on stderr and
// exit status 2 - never a stack trace, never a signal - and within a memory bound. The listing of many runs must
// keep memory flat: the same dump at N and 4N runs may differ in peak RSS by far less than the records weigh.
//
// Random inputs come from seeds. CI runs the fixed seeds below; PTDUMP_HOSTILE_SEED=n replays one seed, and
// PTDUMP_HOSTILE_CASES=k runs k more seeds picked at random (each test's name carries its seed).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bundlePtdump, type ChildResult, describeRun, runPtdump } from './_child';
import { tempDir } from './_support';

const GENERATOR = fileURLToPath(new URL('../scripts/leaf-dump.mjs', import.meta.url));

/** Every case: done within this (a hang is what it catches; a listing here takes well under a second). */
const HANG_MS = 20_000;
/** Every case: peak RSS at most this (node itself takes about 45 MiB). */
const MEMORY_MIB = 160;
// vitest's own bound on a test is above the hang bound, so that a hang is reported by the test, with its output
vi.setConfig({ testTimeout: HANG_MS + 10_000 });

const tmp = tempDir();
let ptdump = '';
beforeAll(async () => {
  ptdump = await bundlePtdump(tmp.dir);
}, 60_000);
afterAll(() => tmp.remove());

const file = (name: string): string => join(tmp.dir, name);

/** Writes a leaf dump with the generator script (see scripts/leaf-dump.mjs). */
function leafDump(name: string, pages: number, pattern: 'alternate' | 'same' | 'wx' = 'alternate'): string {
  const path = file(name);
  execFileSync(process.execPath, [GENERATOR, path, '--pages', String(pages), '--pattern', pattern], { stdio: 'pipe' });
  return path;
}

function run(
  args: readonly string[],
  options: { timeoutMs?: number; stallMs?: number; closeAfter?: number; nodeFlags?: string[] } = {},
): Promise<ChildResult> {
  return runPtdump(ptdump, args, { timeoutMs: options.timeoutMs ?? HANG_MS, ...options });
}

/** The outcome every hostile input must have: a listing, or one line on stderr and exit 2; in time and memory. */
function expectTolerated(r: ChildResult, what: string, memoryMiB = MEMORY_MIB): void {
  const info = `${what}: ${describeRun(r)}`;
  expect(r.timedOut, info).toBe(false);
  expect(r.signal, info).toBe(null);
  expect(r.peakMiB, info).toBeDefined();
  expect(r.peakMiB!, info).toBeLessThanOrEqual(memoryMiB);
  if (r.code === 2) {
    expect(r.stderr, info).toMatch(/^ptdump: [^\n]+\n$/);
    expect(r.stderr, info).not.toMatch(/internal error/);
  } else {
    expect([0, 1], info).toContain(r.code);
    expect(r.stderr, info).toBe('');
    expect(r.stdout, info).toMatch(/(Checked W\+X mappings: .*\n|\n}\n)$/);
  }
}

describe('memory is flat in the number of runs', () => {
  // 2^16 and 2^18 runs. A run record, its text and its audit entry weigh about 300 bytes when kept, so keeping
  // them adds about 56 MiB between the two sizes; streaming must add less than 12 MiB (under 64 bytes per run).
  // V8 grows its young generation with the allocation rate (up to 2 x 16 MiB), which alone moves the peak by
  // about 16 MiB between these sizes: the children run with it at that full size from the start, so that the two
  // peaks differ by what ptdump keeps, not by how far the nursery had grown.
  const N = 1 << 16;
  const GROWTH_MIB = 12;
  const nodeFlags = ['--min-semi-space-size=16', '--max-semi-space-size=16'];
  const cases: [string, 'alternate' | 'same' | 'wx', string[]][] = [
    ['text', 'alternate', []],
    ['--leaves', 'same', ['--leaves']],
    ['--audit with a W+X finding on every other page', 'wx', ['--audit']],
    ['--json with a W+X finding on every other page', 'wx', ['--json']],
  ];
  for (const [name, pattern, flags] of cases) {
    it(`${name}: peak RSS at 4N runs is within ${GROWTH_MIB} MiB of N runs`, async () => {
      const peaks: number[] = [];
      for (const pages of [N, 4 * N]) {
        const path = leafDump(`flat-${pattern}-${pages}.bin`, pages, pattern);
        const r = await run(['--arch', 'x86_64', '--cr3', '0', ...flags, path], { nodeFlags });
        expectTolerated(r, `${name}, ${pages} pages`, 400);
        expect(r.stdoutBytes).toBeGreaterThan(pages * 40);
        peaks.push(r.peakMiB!);
      }
      expect(peaks[1]! - peaks[0]!, `peak RSS ${peaks.map((p) => p.toFixed(1)).join(' -> ')} MiB`).toBeLessThan(GROWTH_MIB);
    }, 60_000);
  }
});

describe('--json above a million records', () => {
  it('is written in pieces: 1.5M runs (more than 2^29 characters of JSON)', async () => {
    const pages = 1_500_000;
    const path = leafDump('json-big.bin', pages);
    const r = await run(['--arch', 'x86_64', '--cr3', '0', '--json', path], { timeoutMs: 60_000 });
    expectTolerated(r, 'json 1.5M');
    expect(r.stdoutBytes).toBeGreaterThan(2 ** 29);
    expect(r.stdout).toMatch(/^{\n {2}"arch": "x86_64",\n/);
    expect(r.stdout).toMatch(new RegExp(`"summary": {\\n {4}"runs": ${pages},[^]*"audit": {[^]*\\n}\\n$`));
  }, 90_000);
});

describe('a closed or slow output', () => {
  let big = '';
  beforeAll(() => {
    // the 8.4M-run dump (64 MiB): its whole listing takes many seconds, so stopping promptly is visible
    big = leafDump('alt-8m.bin', 1 << 23);
  }, 60_000);

  for (const flags of [[], ['--json'], ['--leaves'], ['--audit']]) {
    it(`ptdump ${flags.join(' ')} | head -c 200: exits at once, quietly, with status 141`, async () => {
      const r = await run(['--arch', 'x86_64', '--cr3', '0', ...flags, big], { closeAfter: 200, timeoutMs: 10_000 });
      const info = describeRun(r);
      expect(r.timedOut, info).toBe(false);
      expect(r.code, info).toBe(141);
      expect(r.stderr, info).toBe('');
      expect(r.peakMiB!, info).toBeLessThan(MEMORY_MIB);
    }, 20_000);
  }

  it('a consumer that does not read: ptdump waits without buffering, then writes everything', async () => {
    const path = leafDump('slow.bin', 1 << 16);
    const r = await run(['--arch', 'x86_64', '--cr3', '0', path], { stallMs: 1000 });
    expectTolerated(r, 'slow consumer');
    expect(r.stdout).toMatch(/mappings: {4}65536 runs, 65536 pages/);
  });
});
