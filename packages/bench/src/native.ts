// The Rust crate's own benchmark of the same workloads, run natively in the same `pnpm bench` run (`--native DIR`),
// so that both columns come from one machine at one time. DIR is a copy of the crate's benchmark sources with its
// build.sh (an offline cargo build); the repository does not depend on it.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** ns per op (W5: per call) by `arch workload` as the crate's benchmark names them (`X64 W4a-unmap`). */
export type NativeFigures = Map<string, number>;

const UNIT_NS: Record<string, number> = { 'ns/op': 1, 'ns/entry': 1, 'ns/frame': 1, 'ms/call': 1e6 };

/** The figures in the benchmark's output: lines `arch workload value unit extra...`, `#` starting a comment. */
export function parseNative(stdout: string): NativeFigures {
  const figures: NativeFigures = new Map();
  for (const line of stdout.split('\n')) {
    const [a, workload, value, unit] = line.trim().split(/\s+/);
    if (a === undefined || a.startsWith('#') || workload === undefined || unit === undefined) continue;
    const scale = UNIT_NS[unit];
    const v = Number(value);
    if (scale !== undefined && Number.isFinite(v)) figures.set(`${a} ${workload}`, v * scale);
  }
  return figures;
}

/** Builds the benchmark if DIR holds no binary (in a copy, DIR is left as it is), runs it for `arches`, parses it. */
export function runNative(dir: string, arches: readonly string[]): NativeFigures {
  let root = resolve(dir);
  let bin = join(root, 'target/release/bench');
  if (!existsSync(bin)) {
    if (!existsSync(join(root, 'build.sh'))) throw new Error(`--native ${dir}: neither target/release/bench nor build.sh there`);
    const copy = join(mkdtempSync(join(tmpdir(), 'pt-native-')), 'rust-ref');
    cpSync(root, copy, { recursive: true });
    root = copy;
    bin = join(root, 'target/release/bench');
    process.stderr.write(`building the native benchmark in ${root}\n`);
    const build = spawnSync('bash', [join(root, 'build.sh')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (build.status !== 0 || !existsSync(bin)) throw new Error(`--native: build.sh failed with status ${build.status}`);
  }
  const figures: NativeFigures = new Map();
  for (const arch of arches) {
    const run = spawnSync(bin, ['--arch', arch], { encoding: 'utf8', maxBuffer: 1 << 22 });
    if (run.status !== 0) throw new Error(`--native: the benchmark failed for ${arch} with status ${run.status}: ${run.stderr}`);
    for (const [k, v] of parseNative(run.stdout)) figures.set(k, v);
  }
  return figures;
}

// This bench's workload names, and the crate benchmark's name for the same workload.
const NATIVE_NAME: [RegExp, string][] = [
  [/^W1a map/, 'W1a'],
  [/^W1b /, 'W1b'],
  [/^W2 query/, 'W2'],
  [/^W3 unmap/, 'W3'],
  [/^W4a mapRegion/, 'W4a'],
  [/^W4a unmapRegion/, 'W4a-unmap'],
  [/^W4b mapRegion/, 'W4b'],
  [/^W4b unmapRegion/, 'W4b-unmap'],
  [/^W4c mapRegion/, 'W4c'],
  [/^W4c unmapRegion/, 'W4c-unmap'],
  [/^W5 /, 'W5'],
  [/^W6a /, 'W6a'],
  [/^W6b random query/, 'W6b'],
];

/** The crate benchmark's name of one of this bench's workloads, if it runs that workload. */
export function nativeName(workload: string): string | undefined {
  return NATIVE_NAME.find(([re]) => re.test(workload))?.[1];
}
