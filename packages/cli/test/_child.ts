// Runs ptdump as a child process, as a user runs it: the executable bundled from the sources (so that a test run
// needs no prior build and never runs a stale dist/), its exit status or signal, its wall time, and its peak memory
// as the kernel counts it (ru_maxrss, reported by the child through the _peak-rss.mjs hook).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HOOK = fileURLToPath(new URL('./_peak-rss.mjs', import.meta.url));

/** Bundles src/ptdump.ts (and the workspace packages it imports, from their sources) into `dir`; returns the file. */
export async function bundlePtdump(dir: string): Promise<string> {
  const outfile = join(dir, 'ptdump.mjs');
  await build({
    entryPoints: [join(ROOT, 'packages/cli/src/ptdump.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // its `paths` resolve @page-table-multiarch/* to packages/*/src, as vitest's aliases do
    tsconfig: join(ROOT, 'tsconfig.json'),
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

/** What a child run gave. */
export interface ChildResult {
  /** Exit status, or null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Standard output: whole when it is short, else its first and last 64 KiB joined by `\n[...]\n`. */
  readonly stdout: string;
  /** Bytes written to standard output. */
  readonly stdoutBytes: number;
  readonly stderr: string;
  /** Wall time from spawn to exit. */
  readonly ms: number;
  /** Peak resident set size in MiB, or undefined when the child died before reporting it. */
  readonly peakMiB: number | undefined;
  /** Whether the test killed it at its time bound. */
  readonly timedOut: boolean;
}

/** How to run a child. */
export interface ChildOptions {
  /** Kill it (SIGKILL) after this many milliseconds. */
  readonly timeoutMs: number;
  /** Read nothing from its output for this long first (a slow consumer: the pipe fills and the child must wait). */
  readonly stallMs?: number;
  /** Close the read end of its output once this many bytes have arrived (`ptdump ... | head -c N`). */
  readonly closeAfter?: number;
  /** Extra environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Options for node itself (V8's heap sizes). */
  readonly nodeFlags?: readonly string[];
}

const KEEP = 64 * 1024;

/** Runs `node ptdump.mjs ...args` with a peak-memory report. */
export function runPtdump(ptdump: string, args: readonly string[], options: ChildOptions): Promise<ChildResult> {
  const rssFile = join(ptdump, `../rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), '--import', HOOK, ptdump, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env, PTDUMP_TEST_RSS: rssFile },
  });
  // the output as Buffers, never decoded on the way: a listing may be hundreds of MiB, and this runs in the test
  // worker beside everything else
  const head: Buffer[] = [];
  let headBytes = 0;
  const tail: Buffer[] = [];
  let tailBytes = 0;
  let bytes = 0;
  let stderr = '';
  let timedOut = false;
  let closed = false;
  const out = child.stdout;
  if (options.stallMs) {
    out.pause();
    setTimeout(() => out.resume(), options.stallMs);
  }
  out.on('data', (d: Buffer) => {
    if (closed) return;
    bytes += d.length;
    if (headBytes < KEEP) {
      head.push(d);
      headBytes += d.length;
    }
    tail.push(d);
    tailBytes += d.length;
    while (tailBytes - tail[0]!.length >= KEEP) tailBytes -= tail.shift()!.length;
    if (options.closeAfter !== undefined && bytes >= options.closeAfter) {
      closed = true;
      out.destroy();
    }
  });
  out.on('error', () => {});
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    if (stderr.length < KEEP) stderr += d;
  });
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      let peakMiB: number | undefined;
      if (existsSync(rssFile)) {
        peakMiB = Number(readFileSync(rssFile, 'utf8')) / 1024;
        rmSync(rssFile, { force: true });
      }
      const first = Buffer.concat(head).toString('latin1');
      const stdout = bytes <= KEEP ? first : `${first.slice(0, KEEP)}\n[...]\n${Buffer.concat(tail).toString('latin1').slice(-KEEP)}`;
      resolve({ code, signal, stdout, stdoutBytes: bytes, stderr, ms, peakMiB, timedOut });
    });
  });
}

/** A one-paragraph account of a run, for assertion messages. */
export function describeRun(r: ChildResult): string {
  const end = r.timedOut ? 'killed at the time bound' : r.signal ? `signal ${r.signal}` : `exit ${r.code}`;
  const mem = r.peakMiB === undefined ? 'no memory report' : `peak ${r.peakMiB.toFixed(1)} MiB`;
  return `${end}, ${Math.round(r.ms)} ms, ${mem}, ${r.stdoutBytes} bytes out; stderr: ${JSON.stringify(r.stderr.slice(0, 600))}`;
}
