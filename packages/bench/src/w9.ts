// W9 -- ptdump on a large dump: the x86_64 image of w9-dump.ts (4,194,304 pages of 4 KiB in 262,144 runs: 16 GiB,
// the permissions alternating every 16 pages) written once into a temporary folder, then listed by the built ptdump
// (packages/cli/dist/ptdump.js) as a child process, as text, --json and --jsonl, its output going to a file. Each
// listing is timed from spawn to exit (the median of `reps`), with the child's peak RSS (the kernel's ru_maxrss) and
// its CPU time, which a hook loaded into the child with `--import` reports. The same listings of a quarter of the
// dump (65,536 runs) show whether memory grows with the number of runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { writeW9Dump } from './w9-dump';

/** One listing of W9. */
export interface W9Row {
  readonly workload: string;
  readonly runs: number;
  /** Median wall time, spawn to exit. */
  readonly seconds: number;
  /** User + system CPU time of that child. */
  readonly cpuSeconds: number;
  /** Peak RSS (the largest of the repetitions). */
  readonly peakMiB: number;
  readonly outputMiB: number;
}

/** The child's report at exit: peak RSS in KiB, then user + system CPU time in microseconds. */
const HOOK = `data:text/javascript,${encodeURIComponent(
  "import{writeFileSync}from'node:fs';const f=process.env.PT_W9_REPORT;" +
    "if(f)process.on('exit',()=>{const u=process.resourceUsage();writeFileSync(f,u.maxRSS+' '+(u.userCPUTime+u.systemCPUTime))});",
)}`;

const MODES: readonly (readonly [string, readonly string[]])[] = [
  ['text', []],
  ['--json', ['--json']],
  ['--jsonl', ['--jsonl']],
];

/** The built ptdump of the cli package (this package depends on it, so that turbo builds it first). */
export function ptdumpPath(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@page-table-multiarch/cli/package.json')), 'dist/ptdump.js');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Lists `dump` once with `flags`; returns wall seconds, CPU seconds, peak MiB and output MiB, or undefined when this
 * ptdump does not know the option (an older build: --jsonl came with the JSON schema).
 */
function listOnce(ptdump: string, dump: string, flags: readonly string[], dir: string): [number, number, number, number] | undefined {
  const report = join(dir, 'report');
  const out = join(dir, 'out');
  rmSync(report, { force: true });
  const t0 = performance.now();
  const run = spawnSync('sh', ['-c', '"$0" "$@" > "$PT_W9_OUT"', process.execPath, '--import', HOOK, ptdump, '--arch', 'x86_64', '--cr3', '0', ...flags, dump], {
    env: { ...process.env, PT_W9_REPORT: report, PT_W9_OUT: out },
    encoding: 'utf8',
  });
  const seconds = (performance.now() - t0) / 1000;
  if (run.status === 2 && /Unknown option/.test(run.stderr)) return undefined;
  if (run.status !== 0) throw new Error(`W9: ptdump ${flags.join(' ')} exited with ${run.status}: ${run.stderr}`);
  const [rss, cpu] = readFileSync(report, 'utf8').split(' ').map(Number);
  const outputMiB = statSync(out).size / 2 ** 20;
  rmSync(out, { force: true });
  return [seconds, cpu! / 1e6, rss! / 1024, outputMiB];
}

/**
 * Runs W9: every mode on the full dump and on a quarter of it, `reps` times each, with the cli's built ptdump or
 * the one given (another build of it, to compare).
 */
export function w9(reps: number, ptdump: string = ptdumpPath(), sizes: readonly number[] = [4_194_304, 1_048_576]): W9Row[] {
  if (!existsSync(ptdump)) throw new Error(`W9: ${ptdump} is missing: build the cli first (pnpm build)`);
  const dir = mkdtempSync(join(tmpdir(), 'pt-w9-'));
  const rows: W9Row[] = [];
  try {
    for (const pages of sizes) {
      const dump = join(dir, `w9-${pages}.bin`);
      const { runs } = writeW9Dump(dump, pages, 16);
      for (const [name, flags] of MODES) {
        const wall: number[] = [];
        const cpu: number[] = [];
        let peak = 0;
        let outputMiB = 0;
        for (let r = 0; r < reps; r++) {
          const once = listOnce(ptdump, dump, flags, dir);
          if (once === undefined) break;
          const [s, c, p, o] = once;
          wall.push(s);
          cpu.push(c);
          peak = Math.max(peak, p);
          outputMiB = o;
        }
        if (wall.length > 0) rows.push({ workload: `W9 ${name}`, runs, seconds: median(wall), cpuSeconds: median(cpu), peakMiB: peak, outputMiB });
      }
      rmSync(dump, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** W9's rows as a table, with its targets: text in 1 s or less, --jsonl's peak within 20% of text's. */
export function w9Table(rows: readonly W9Row[]): string {
  const text = new Map(rows.filter((r) => r.workload === 'W9 text').map((r) => [r.runs, r]));
  const head = ['workload', 'runs', 'seconds', 'CPU s', 'peak RSS MiB', 'output MiB', 'target', 'met'];
  const table = [head];
  for (const r of rows) {
    let target = '';
    let met = '';
    if (r.workload === 'W9 text') {
      target = '<= 1 s';
      met = r.seconds <= 1 ? 'yes' : 'no';
    } else if (r.workload === 'W9 --jsonl' && text.has(r.runs)) {
      const base = text.get(r.runs)!.peakMiB;
      target = `peak <= ${(base * 1.2).toFixed(1)}`;
      met = r.peakMiB <= base * 1.2 ? 'yes' : 'no';
    }
    table.push([r.workload, r.runs.toLocaleString('en-US'), r.seconds.toFixed(2), r.cpuSeconds.toFixed(2), r.peakMiB.toFixed(1), r.outputMiB.toFixed(1), target, met]);
  }
  const widths = head.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  return table.map((row, i) => `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |${i === 0 ? `\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|` : ''}`).join('\n');
}
