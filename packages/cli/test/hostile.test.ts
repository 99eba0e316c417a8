// Hostile input for ptdump, run as a child process the way a user runs it. Every case must end, within the time
// bound it states, either with a listing (exit 0, or 1 for --audit findings) or with exactly one line on stderr and
// exit status 2 - never a stack trace, never a signal - and within a memory bound. The listing of many runs must
// keep memory flat: the same dump at N and 4N runs may differ in peak RSS by far less than the records weigh.
//
// Random inputs come from seeds. CI runs the fixed seeds below; PTDUMP_HOSTILE_SEED=n replays one seed, and
// PTDUMP_HOSTILE_CASES=k runs k more seeds picked at random (each test's name carries its seed).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARCHES } from '@page-table-multiarch/cli';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bundlePtdump, type ChildResult, describeRun, runPtdump } from './_child';
import {
  cat,
  elf64Header,
  oneTableEverywhere,
  phdr64,
  randomTables,
  rng,
  rootArgs,
  section0,
  selfReferencing,
  spreadTables,
  tinyX64Tables,
  writeSparse,
} from './_hostile';
import { tempDir } from './_support';

const GENERATOR = fileURLToPath(new URL('../scripts/leaf-dump.mjs', import.meta.url));
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

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
    // 3: listed, but the result looks like a wrong root (warned about on stderr, after the listing)
    expect([0, 1, 3], info).toContain(r.code);
    expect(r.stderr, info).toMatch(/^(ptdump: warning: [^\n]+\n)*$/);
    if (r.code === 3) expect(r.stderr, info).not.toBe('');
    expect(r.stdout, info).toMatch(/(Checked W\+X mappings: .*\n|\n}\n)$/);
  }
}

/** One error line, exit 2, matching `message`. */
function expectError(r: ChildResult, message: RegExp, what: string): void {
  expectTolerated(r, what);
  expect(r.code, `${what}: ${describeRun(r)}`).toBe(2);
  expect(r.stderr).toMatch(message);
}

describe('memory is flat in the number of runs', () => {
  // 2^15 and 2^17 runs. A run record and its audit entry weigh about 300 bytes when kept (more as JSON), so
  // keeping them adds about 28 MiB between the two sizes; streaming must add less than 12 MiB (under 128 bytes per
  // run; measured: under 2 MiB).
  // V8 grows its young generation with the allocation rate (up to 2 x 16 MiB), and a page of it counts in the RSS
  // once it is first used: how much of it a listing reaches depends on how much garbage it makes, not on what it
  // keeps (a listing that makes little garbage per run touched 10-16 MiB more of it at 4N than at N). The children
  // run with it pinned at 1 MiB, so that the two peaks differ by what ptdump keeps (measured: under 1.5 MiB in every
  // mode, at N, 4N and 16N).
  const N = 1 << 15;
  const GROWTH_MIB = 12;
  const nodeFlags = ['--min-semi-space-size=1', '--max-semi-space-size=1'];
  const cases: [string, 'alternate' | 'same' | 'wx', string[]][] = [
    ['text', 'alternate', []],
    ['--leaves', 'same', ['--leaves']],
    ['--audit with a W+X finding on every other page', 'wx', ['--audit']],
    ['--json with a W+X finding on every other page', 'wx', ['--json']],
    ['--jsonl with a W+X finding on every other page', 'wx', ['--jsonl']],
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
    expect(r.stdout).toMatch(/^{\n {2}"schema": 1,\n {2}"command": "list",\n {2}"dumps": \[\n {4}{\n {6}"arch": "x86_64",\n/);
    expect(r.stdout).toMatch(new RegExp(`"summary": {\\n {8}"runs": ${pages},[^]*"audit": {[^]*\\n}\\n$`));
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

describe('ELF headers that lie', () => {
  const tables = tinyX64Tables();
  const elf = async (name: string, parts: [number, Uint8Array][], size: number, message: RegExp): Promise<ChildResult> => {
    const path = file(name);
    writeSparse(path, size, parts);
    const r = await run(['--cr3', '0', path]);
    expectError(r, message, name);
    return r;
  };

  it('PN_XNUM with 1e9 program headers in section 0 (a 64 GiB sparse file)', () =>
    elf(
      'xnum.elf',
      [[0, cat(elf64Header({ phoff: 128n, phentsize: 56, phnum: 0xffff, shoff: 64n, shnum: 0 }), section0(1e9))]],
      64 * GiB,
      /xnum\.elf: .*1000000000 program headers/,
    ));

  it('e_phnum 65534 of e_phentsize 65535 bytes (a 4 GiB table in an 8 GiB sparse file)', () =>
    elf('wide.elf', [[0, elf64Header({ phoff: 64n, phentsize: 65535, phnum: 65534 })]], 8 * GiB, /wide\.elf: /));

  it('65534 segments: listed, with a header line of bounded length', async () => {
    const n = 65534;
    const head = elf64Header({ phoff: 64n, phentsize: 56, phnum: n });
    const data = 64 + n * 56;
    const phs: Uint8Array[] = [phdr64(1, BigInt(data), 0n, BigInt(tables.length), BigInt(tables.length))];
    // the others: 4 KiB of zeros each (p_filesz 0), every other frame above 1 MiB
    for (let i = 1; i < n; i++) phs.push(phdr64(1, BigInt(data), BigInt(0x10_0000 + i * 0x2000), 0n, 0x1000n));
    const path = file('many.elf');
    writeSparse(path, data + tables.length, [
      [0, cat(head, ...phs)],
      [data, tables],
    ]);
    const r = await run(['--cr3', '0', path]);
    expectTolerated(r, 'many segments');
    expect(r.code).toBe(0);
    const first = r.stdout.slice(0, r.stdout.indexOf('\n'));
    expect(first.length, first.slice(0, 300)).toBeLessThan(400);
    expect(first).toContain('65534 segments');
    expect(r.stdout).toMatch(/^0x0000000000000000-0x0000000000001000 .* -> 0x0000000000100000 PT/m);
  });

  const lies: [string, () => [number, Uint8Array][], number, RegExp][] = [
    ['program headers past the end', () => [[0, elf64Header({ phoff: 1n << 40n, phentsize: 56, phnum: 2 })]], 4096, /past the end/],
    ['e_phentsize smaller than a program header', () => [[0, elf64Header({ phoff: 64n, phentsize: 16, phnum: 2 })]], 4096, /program header entries of 16 bytes/],
    ['e_phoff beyond 2^53', () => [[0, elf64Header({ phoff: 1n << 60n, phentsize: 56, phnum: 1 })]], 4096, /too large/],
    ['PN_XNUM with e_shoff past the end', () => [[0, elf64Header({ phoff: 64n, phentsize: 56, phnum: 0xffff, shoff: 1n << 40n })]], 4096, /section header/],
    ['no program header', () => [[0, elf64Header({ phoff: 64n, phentsize: 56, phnum: 0 })]], 4096, /no PT_LOAD/],
    ['ELF class 3', () => [[0, elf64Header({ phoff: 64n, phentsize: 56, phnum: 0, cls: 3 })]], 4096, /ELF class 3/],
    ['a truncated header', () => [[0, elf64Header({ phoff: 64n, phentsize: 56, phnum: 1 }).subarray(0, 24)]], 24, /too short/],
    ['a segment past the end of the file', () => [[0, cat(elf64Header({ phoff: 64n, phentsize: 56, phnum: 1 }), phdr64(1, 4096n, 0n, 1n << 30n, 1n << 30n))]], 8192, /runs past the end/],
    ['p_filesz above p_memsz', () => [[0, cat(elf64Header({ phoff: 64n, phentsize: 56, phnum: 1 }), phdr64(1, 0n, 0n, 4096n, 16n))]], 8192, /p_filesz/],
    ['a segment past 2^64', () => [[0, cat(elf64Header({ phoff: 64n, phentsize: 56, phnum: 1 }), phdr64(1, 0n, 0xffff_ffff_ffff_f000n, 0n, 0x2000n))]], 8192, /2\^64/],
    [
      'overlapping segments',
      () => [[0, cat(elf64Header({ phoff: 64n, phentsize: 56, phnum: 2 }), phdr64(1, 0n, 0n, 4096n, 8192n), phdr64(1, 0n, 4096n, 4096n, 4096n))]],
      8192,
      /overlap/,
    ],
  ];
  for (const [name, parts, size, message] of lies) {
    it(name, () => elf(`${name.replace(/\W+/g, '-')}.elf`, parts(), size, message));
  }
});

describe('what is not a dump, and values that are not registers', () => {
  it('a FIFO is refused without waiting for a writer', async () => {
    const fifo = file('fifo');
    execFileSync('mkfifo', [fifo]);
    const r = await run(['--arch', 'x86_64', '--cr3', '0', fifo], { timeoutMs: 5000 });
    expectError(r, /fifo: not a regular file/, 'FIFO');
  }, 10_000);

  it('a directory is refused', async () => {
    expectError(await run(['--arch', 'x86_64', '--cr3', '0', tmp.dir]), /not a regular file/, 'directory');
  });

  // written once, for every test of the group
  let tiny: string | undefined;
  const raw = (): string => {
    if (tiny === undefined) {
      tiny = file('tiny.bin');
      writeFileSync(tiny, tinyX64Tables());
    }
    return tiny;
  };
  it('--cr3 as the last argument', async () => {
    expectError(await run(['--arch', 'x86_64', raw(), '--cr3']), /^ptdump: --cr3 needs a value\n/, 'no value');
  });

  const bad: [string, string[], RegExp][] = [
    ['--base not page-aligned', ['--cr3', '0', '--base', '0x123'], /--base: 0x123 is not aligned to 4 KiB/],
    ['--base so high that the image passes 2^64', ['--cr3', '0', '--base', '0xfffffffffffff000'], /2\^64/],
    ['--cr3 -1', ['--cr3', '-1'], /^ptdump: --cr3: '-1' is negative/],
    ['--cr3 -0x1000', ['--cr3', '-0x1000'], /^ptdump: --cr3: '-0x1000' is negative/],
    ['--cr3=-1', ['--cr3=-1'], /^ptdump: --cr3: '-1' is negative/],
    ['--cr3 followed by another option', ['--cr3', '--json'], /^ptdump: --cr3 needs a value/],
    ['--cr3 above 2^64', ['--cr3', '0x1_0000_0000_0000_0000'], /does not fit in 64 bits/],
    ['--cr3 with reserved bits', ['--cr3', '0xffffffffffffffff'], /CR3/],
    ['--cr3 1e9', ['--cr3', '1e9'], /'1e9' is not a number/],
    ['--cr3 outside the dump', ['--cr3', '0x7fff0000'], /outside the memory/],
    ['--max-tables -5', ['--cr3', '0', '--max-tables', '-5'], /^ptdump: --max-tables: '-5' is negative/],
    ['--cache 1', ['--cr3', '0', '--cache', '1'], /--cache: 1 is outside/],
    ['--cache 2^64 - 1', ['--cr3', '0', '--cache', '0xffffffffffffffff'], /--cache: .* is outside/],
  ];
  for (const [name, args, message] of bad) {
    it(name, async () => expectError(await run(['--arch', 'x86_64', ...args, raw()]), message, name));
  }

  const archBad: [string, string[], RegExp][] = [
    ['satp in Bare mode', ['--arch', 'riscv64', '--satp', '0'], /satp/i],
    ['satp with MODE 15', ['--arch', 'riscv64', '--satp', '0xf000000000000000'], /satp/i],
    ['TCR_EL1 with the reserved TG1 encoding 0b00', ['--arch', 'aarch64', '--ttbr1', '0', '--tcr', '0x100000'], /TG1/],
    ['MAIR_EL1 with no Device attribute', ['--arch', 'aarch64', '--ttbr0', '0', '--tcr', '0x10', '--mair', '0xffffffffffffffff'], /MAIR/],
    ['TCR_EL1 with T0SZ 63', ['--arch', 'aarch64', '--ttbr0', '0', '--tcr', '0x3f'], /T0SZ/],
    ['MAIR0 wider than 32 bits (TTBCR.EAE = 1)', ['--arch', 'arm', '--ttbr0', '0', '--ttbcr', '0x80000000', '--mair0', '0x100000000'], /MAIR0/],
    ['PWCL for another geometry', ['--arch', 'loongarch64', '--pgdl', '0', '--pwcl', '0x1'], /PWCL/],
    ['CR0 without paging', ['--arch', 'x86_64', '--cr3', '0', '--cr0', '0'], /CR0/],
    // CR4.PAE = 0 is 32-bit paging, whose CR3 is 32 bits; --arch x86 needs CR4 to tell 32-bit from PAE paging
    ['32-bit paging with CR3 above 4 GiB', ['--arch', 'x86_64', '--cr3', '0x100000000', '--cr4', '0'], /CR3/],
    ['x86 without CR4', ['--arch', 'x86', '--cr3', '0'], /--cr4 is required/],
  ];
  for (const [name, args, message] of archBad) {
    it(name, async () => expectError(await run([...args, raw()]), message, name));
  }
});

describe('tables that lie', () => {
  for (const arch of ARCHES) {
    it(`${arch.name}: every root entry points at the root itself`, async () => {
      const path = file(`self-${arch.name}.bin`);
      writeFileSync(path, selfReferencing(arch));
      const r = await run([...rootArgs(arch), path]);
      expectTolerated(r, 'self-referencing');
      expect(r.stdout).toContain('Cycle');
    });

    it(`${arch.name}: every entry of each table points at one table`, async () => {
      const path = file(`same-${arch.name}.bin`);
      writeFileSync(path, oneTableEverywhere(arch));
      const r = await run([...rootArgs(arch), '--json', path]);
      expectTolerated(r, 'one table everywhere');
      // one table per level, reached from every entry above it: listed once, the other entries one record each
      expect(r.stdout).toContain('"kind": "shared"');
      expect(r.stdout).not.toContain('"code": "Revisited"');
    });
  }

  it('a 64 GiB sparse raw image: tables spread over it, some past its end', async () => {
    const path = file('sparse-64g.bin');
    const size = 64 * GiB;
    writeSparse(path, size, spreadTables(size, 160 * MiB));
    const r = await run(['--arch', 'x86_64', '--cr3', '0', path]);
    expectTolerated(r, '64 GiB sparse');
    expect(r.stdout).toMatch(/OutsideMemory/);
    expect(r.stdout).toMatch(/mappings: {4}\d+ runs/);
  });

  it('a 64 GiB sparse raw image of zeros: an empty listing', async () => {
    const path = file('zeros-64g.bin');
    writeSparse(path, 64 * GiB, []);
    const r = await run(['--arch', 'x86_64', '--cr3', '0x800000000', '--leaves', path]);
    expectTolerated(r, '64 GiB of zeros');
    expect(r.stdout).toMatch(/mappings: {4}0 runs/);
    // a root of zeros maps nothing: listed, warned about, exit status 3
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^ptdump: warning: no mapping through any root/);
  });
});

describe('random bytes with present bits (seeded)', () => {
  const fixed = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const replay = process.env['PTDUMP_HOSTILE_SEED'];
  const more = Number(process.env['PTDUMP_HOSTILE_CASES'] ?? 0);
  const seeds = replay !== undefined ? [Number(replay)] : [...fixed];
  if (replay === undefined && more > 0) {
    const pick = rng(Date.now());
    for (let k = 0; k < more; k++) seeds.push(pick());
  }
  const FLAGS = [[], ['--json'], ['--leaves'], ['--audit'], ['--json', '--leaves'], ['--max-tables', '7']];
  for (const seed of seeds) {
    const next = rng(seed);
    const arch = ARCHES[next() % ARCHES.length]!;
    const flags = FLAGS[next() % FLAGS.length]!;
    const bytes = (1 + (next() % 32)) * 16384;
    it(`seed ${seed}: ${arch.name} ${flags.join(' ')}, ${bytes / 1024} KiB (replay: PTDUMP_HOSTILE_SEED=${seed})`, async () => {
      const path = file(`random-${seed}.bin`);
      writeFileSync(path, randomTables(arch, seed, bytes));
      const r = await run([...rootArgs(arch), ...flags, path]);
      expectTolerated(r, `seed ${seed}`);
    });
  }
});
