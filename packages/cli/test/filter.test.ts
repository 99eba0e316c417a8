// Filters of a listing over the embedded samples (tables built with the library): --va-range, --perm and the reverse
// map --pa. Each is checked against the unfiltered listing of the same tables, point by point at seeded addresses
// (FILTER_SEED replays another run), and against permission names rather than bits.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHES, type ArchSpec } from '@page-table-multiarch/cli';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { rng } from './_hostile';
import { registerArgs, runCli, tempDir, jsonDump } from './_support';

const SEED = Number(process.env['FILTER_SEED'] ?? 20_261_206);
const tmp = tempDir();
afterAll(() => tmp.remove());

interface Run {
  kind: string;
  vaddr: string;
  end: string;
  paddr: string;
  effective: string;
  pages: number;
}

/** The mapping records of ptdump's JSON listing of `arch`'s sample with `args`. */
function runs(arch: ArchSpec, args: readonly string[]): { runs: Run[]; doc: Record<string, unknown> } {
  const r = runCli(['--arch', arch.name, '--json', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  // without a DUMP, the document of the embedded default: one dump per architecture listed (one here)
  const doc = jsonDump(r.stdout);
  return { runs: doc.records.filter((x: Run) => x.kind === 'mapping'), doc };
}

/** The physical address `va` maps to in a listing, or undefined. */
function lookup(list: readonly Run[], va: bigint): bigint | undefined {
  const run = list.find((x) => BigInt(x.vaddr) <= va && va < BigInt(x.end));
  return run === undefined ? undefined : BigInt(run.paddr) + (va - BigInt(run.vaddr));
}

/** Addresses to probe: the edges of every run and of the filter's range, and random ones inside each run. */
function probes(list: readonly Run[], edges: readonly bigint[], random: () => number): bigint[] {
  const out = [...edges, ...edges.map((e) => e - 1n)];
  for (const x of list) {
    const a = BigInt(x.vaddr);
    const b = BigInt(x.end);
    out.push(a, b - 1n, b, a + ((b - a) * BigInt(Math.floor(random() * 1024))) / 1024n);
  }
  return out.filter((v) => v >= 0n && v < 1n << 64n);
}

/** Names of the effective permissions in a run's JSON (`"READ | WRITE | USER"`). */
const has = (run: Run, name: string): boolean => run.effective.split(' | ').includes(name);

describe.each(ARCHES.map((a) => [a.name, a] as const))('filters on the %s sample', (_name, arch) => {
  let listed: Run[] | undefined;
  /** The whole listing, read once. */
  const whole = (): Run[] => {
    listed ??= runs(arch, []).runs;
    return listed;
  };

  it('--va-range lists exactly the addresses of the range, each where the whole listing maps it', () => {
    const full = whole();
    fc.assert(
      fc.property(fc.nat(full.length - 1), fc.nat(full.length - 1), fc.nat(), fc.nat(), (i, j, s1, s2) => {
        // a range from inside one run to inside another, so that both ends cut runs
        const [x, y] = [full[Math.min(i, j)]!, full[Math.max(i, j)]!];
        const a = BigInt(x.vaddr) + ((BigInt(x.end) - BigInt(x.vaddr)) * BigInt(s1 % 97)) / 97n;
        const b = BigInt(y.vaddr) + ((BigInt(y.end) - BigInt(y.vaddr)) * BigInt(1 + (s2 % 97))) / 97n;
        if (b <= a) return;
        const filtered = runs(arch, ['--va-range', `0x${a.toString(16)}-0x${b.toString(16)}`]).runs;
        const next = rng(s1);
        const random = () => next() / 2 ** 32;
        for (const va of probes(full, [a, b], random)) {
          const inRange = va >= a && va < b;
          expect(lookup(filtered, va), `0x${va.toString(16)} in 0x${a.toString(16)}-0x${b.toString(16)}`).toBe(inRange ? lookup(full, va) : undefined);
        }
      }),
      { seed: SEED, numRuns: 12 },
    );
  });

  it('--perm keeps the runs whose effective permissions match every term, and only those', () => {
    const full = whole();
    const cases: [string, (r: Run) => boolean][] = [
      ['w', (r) => has(r, 'WRITE')],
      ['x', (r) => has(r, 'EXECUTE')],
      ['nx', (r) => !has(r, 'EXECUTE')],
      ['u', (r) => has(r, 'USER')],
      ['s', (r) => !has(r, 'USER')],
      ['ro', (r) => has(r, 'READ') && !has(r, 'WRITE')],
      ['wx', (r) => has(r, 'WRITE') && has(r, 'EXECUTE')],
      ['w,x', (r) => has(r, 'WRITE') && has(r, 'EXECUTE')],
      ['_w,u', (r) => !has(r, 'WRITE') && has(r, 'USER')],
      ['!x,s', (r) => !has(r, 'EXECUTE') && !has(r, 'USER')],
      ['device', (r) => has(r, 'DEVICE') || (arch.deviceFlags !== 16 && has(r, 'UNCACHED'))],
      ['_device,nx', (r) => !has(r, 'DEVICE') && !(arch.deviceFlags !== 16 && has(r, 'UNCACHED')) && !has(r, 'EXECUTE')],
    ];
    let matched = 0;
    for (const [perm, pred] of cases) {
      const { runs: filtered, doc } = runs(arch, ['--perm', perm]);
      const want = full.filter(pred);
      expect(filtered, `--perm ${perm}`).toEqual(want);
      expect(doc['filter']).toMatchObject({ runs: want.length, pages: want.reduce((n, r) => n + r.pages, 0) });
      matched += want.length;
    }
    // the samples have writable, executable, user, kernel and device mappings: the cases are not all empty
    expect(matched).toBeGreaterThan(full.length);
  });

  it('--pa lists every virtual range that maps the physical range, and nothing else', () => {
    const full = whole();
    fc.assert(
      fc.property(fc.nat(full.length - 1), fc.nat(), fc.nat(), (i, s1, s2) => {
        const x = full[i]!;
        const size = BigInt(x.end) - BigInt(x.vaddr);
        const p = BigInt(x.paddr) + (size * BigInt(s1 % 61)) / 61n;
        const q = p + 1n + (size * BigInt(s2 % 61)) / 61n;
        const filtered = runs(arch, ['--pa', `0x${p.toString(16)}-0x${q.toString(16)}`]).runs;
        // every listed address maps into [p, q), as the whole listing maps it
        const next = rng(s2);
        const random = () => next() / 2 ** 32;
        for (const va of probes(filtered, [], random)) {
          const pa = lookup(filtered, va);
          if (pa === undefined) continue;
          expect(pa >= p && pa < q, `0x${va.toString(16)} -> 0x${pa.toString(16)}`).toBe(true);
          expect(lookup(full, va)).toBe(pa);
        }
        // every address of the whole listing that maps into [p, q) is listed
        for (const run of full) {
          const lo = BigInt(run.paddr);
          const hi = lo + BigInt(run.end) - BigInt(run.vaddr);
          for (const pa of [p, q - 1n, lo, hi - 1n]) {
            if (pa < p || pa >= q || pa < lo || pa >= hi) continue;
            const va = BigInt(run.vaddr) + (pa - lo);
            expect(lookup(filtered, va), `0x${va.toString(16)}`).toBe(pa);
          }
        }
      }),
      { seed: SEED + 1, numRuns: 12 },
    );
  });
});

describe('filters', () => {
  const x86 = ARCHES.find((a) => a.name === 'x86_64')!;

  it('combine, and say in the text what they let through', () => {
    const r = runCli(['--arch', 'x86_64', '--va-range', '0xffff800000000000-0xffffffffc0000000', '--perm', 'x']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('0x'));
    expect(lines).toEqual([
      '0xffffffff81000000-0xffffffff81600000      6M   2M      ro x      -> 0x0000000001000000 PD    P PS',
    ]);
    expect(r.stdout).toContain('filter:      --va-range 0xffff800000000000-0xffffffffc0000000 --perm x: 1 run (3 pages) listed, of 5\n');
  });

  it('--pa reaches a shared table under every entry that reaches it', () => {
    const sample = x86.sample();
    const root = sample.tables[0]!.table.rootPaddr;
    // PML4[5] points at the PDPT of PML4[0]: the user text at 0x400000 is mapped again at 0x28000400000 (and the
    // direct map maps every physical address below 2 GiB)
    sample.memory.writeU64(root + 5n * 8n, sample.memory.readU64(root));
    const path = join(tmp.dir, 'shared.bin');
    writeFileSync(path, sample.memory.bytes());
    const args = ['--arch', 'x86_64', '--base', `0x${sample.memory.base.toString(16)}`, ...registerArgs(sample), path];
    expect(runCli(args).stdout).toContain('... 0x0000028000000000');
    const r = runCli([...args, '--pa', '0x201000']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('0x'));
    expect(lines.map((l) => l.slice(0, 37))).toEqual([
      '0x0000000000401000-0x0000000000402000',
      '0x0000028000401000-0x0000028000402000',
      '0xffff888000201000-0xffff888000202000',
    ]);
    // without --pa, the second path is one '...' line: --pa expands shared tables
    expect(r.stdout).not.toContain('... 0x');
  });

  it('refuses what it cannot read, with exit status 2 and one line', () => {
    const bad: [string[], RegExp][] = [
      [['--perm', 'w,q'], /--perm: 'q' is not one of r, w, x, nx, u, s, ro, wx, device/],
      [['--va-range', '0x2000-0x1000'], /--va-range: the end 0x1000 is not above the start 0x2000/],
      [['--va-range', '0x2000'], /--va-range: '0x2000' is not a range START-END/],
      [['--pa', '0x10-0x10'], /--pa: the end 0x10 is not above the start 0x10/],
      [['--va-range', '0x1000000000000000-0x1000000000001000'], /--va-range: .* is outside every root's range/],
      [['--perm', 'w', 'translate', '0x1000'], /--perm w: filters apply to listings, not to translate/],
    ];
    for (const [args, message] of bad) {
      const r = runCli(['--arch', 'x86_64', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });
});
