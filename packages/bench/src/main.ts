// `pnpm bench`: runs the workloads of README.md (W1-W6) for each table type asked for, each in its
// own process, and prints one table: workload, ns/op here, the Rust crate's ns/op and the ratio, the ratio to X64's
// figure, the target, heap bytes per op.
//   pnpm bench                              every workload on X64 and Sv39 (the crate's two)
//   pnpm bench -- --arch A32,LA64           those types (names in src/arches.ts); --arch all: every type
//   pnpm bench -- --native DIR              first runs the crate's own benchmark from DIR (built there by its
//                                           build.sh when DIR holds no binary) and compares with that run
//   pnpm bench -- --filter W2               workloads whose name matches a regular expression
//   pnpm bench -- --cpu-prof                also write a V8 CPU profile per process (into ./profiles)
//   pnpm bench -- --filter W9               W9 alone: ptdump on a 262,144-run x86_64 dump (with X64 among the
//                                           types; --w9-reps N repetitions of each listing, default 3;
//                                           --w9-ptdump FILE another build of ptdump, to compare)
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { selectArches } from './arches';
import { type NativeFigures, nativeName, runNative } from './native';
import { w9, w9Table } from './w9';

interface Row {
  arch: string;
  workload: string;
  nsPerOp: number;
  ops: number;
  heapBytesPerOp?: number;
  totalMs: number;
  note?: string;
}

// Without --native: the crate's figures recorded in README.md (0.6.1, --release, median of 5, on a 2-core AMD EPYC
// VM, not this machine), by the crate benchmark's workload name; [X64, Sv39] ns per op (W5: per call).
const RECORDED: Record<string, [number, number]> = {
  W1a: [7.95, 6.86],
  W1b: [7.91, 7.13],
  W2: [9.55, 8.54],
  W3: [10.43, 8.21],
  W4a: [20, 12],
  W4b: [6.54, 8.8],
  W4c: [7.99, 9.86],
  'W4c-unmap': [10.53, 11.9],
  W5: [954e6, 740e6],
  W6a: [630, 242],
  W6b: [242, 115],
};

// Targets of this project: ns per op, or a factor of the reference.
const TARGETS: [RegExp, string][] = [
  [/^W1[ab] .*\(numbers\)/, '<= 12'],
  [/^W1[ab] .*\(bigints\)/, '<= 45'],
  [/^W2 query \(bigint API\)/, '<= 50'],
  [/^W2 query \(number fast path\)/, '<= 12'],
  [/^W3 .*\(numbers\)/, '<= 30'],
  [/^W3 .*\(bigints\)/, '<= 50'],
  [/^W4c mapRegion/, '<= 12'],
  [/^W4[ab] mapRegion/, 'x1.5'],
  [/^W5/, '<= 1e6'],
  [/^W6[ab] random/, 'x1.5'],
  [/^W7 TLB, hits/, '<= 3'],
];

const args = process.argv.slice(2).filter((a) => a !== '--');
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const filter = opt('--filter') ?? '.';
const arches = selectArches(opt('--arch'));
const nativeDir = opt('--native');
const cpuProf = args.includes('--cpu-prof');
const worker = fileURLToPath(new URL('./worker.js', import.meta.url));

// The native run first: the two columns then come from the same machine minutes apart, not from another day.
const native: NativeFigures | null = nativeDir === undefined ? null : runNative(nativeDir, arches.filter((a) => a.native === true).map((a) => a.name));

// W9 is ptdump's, not a table type's: it runs once, with X64, and prints its own table (seconds and MiB)
const runW9 = new RegExp(filter).test('W9 ptdump') && arches.some((a) => a.name === 'X64');
const w9Ptdump = opt('--w9-ptdump');
const w9Rows = runW9 ? w9(Number(opt('--w9-reps') ?? 3), ...(w9Ptdump !== undefined ? [w9Ptdump] : [])) : [];

const rows: Row[] = [];
for (const { name: arch } of arches) {
  // --filter W9: ptdump's workload alone, no table type's process
  if (/^W9\b/.test(filter)) break;
  // W6 runs in a process of its own so that its peak RSS is its own
  for (const part of [`(?!W6)(${filter})`, `(?=W6)(${filter})`]) {
    const flags = ['--expose-gc', '--max-semi-space-size=64'];
    if (cpuProf) flags.push('--cpu-prof', '--cpu-prof-dir=profiles');
    const run = spawnSync(process.execPath, [...flags, worker, arch, `^${part}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (run.status !== 0) {
      process.stderr.write(run.stderr);
      throw new Error(`bench worker for ${arch} failed with status ${run.status}`);
    }
    for (const line of run.stdout.split('\n')) if (line.startsWith('{')) rows.push(JSON.parse(line) as Row);
  }
}

/** The crate's ns per op for this row: measured in this run with --native, else recorded (X64 and Sv39 only). */
function reference(r: Row): number | undefined {
  const name = nativeName(r.workload);
  if (name === undefined) return undefined;
  if (native !== null) return native.get(`${r.arch} ${name}`);
  const rec = RECORDED[name];
  return rec === undefined ? undefined : r.arch === 'X64' ? rec[0] : r.arch === 'Sv39' ? rec[1] : undefined;
}

const find = (arch: string, workload: string): Row | undefined => rows.find((x) => x.arch === arch && x.workload === workload);
// the lookups beside their floor, the plain walk over the same words in the same process
const FLOORS: [RegExp, string][] = [
  [/^W2 query \(number/, 'W2 raw walk (floor)'],
  [/^W6b random query/, 'W6b raw walk (floor)'],
];

// the bigint map beside the reading of its bigints alone (no table), in the same process
const READS: [RegExp, string][] = [[/^W1a map \(bigints/, 'W1a bigint reads alone']];

const fmt = (ns: number): string => (ns >= 1e5 ? `${(ns / 1e6).toFixed(3)} ms` : `${ns.toFixed(2)} ns`);
const ratio = (x: number): string => (x < 0.01 ? x.toPrecision(2) : x.toFixed(2));
const head = ['arch', 'workload', 'here', 'Rust crate', 'ratio', 'x X64', 'target', 'met', 'heap B/op', 'note'];
const table: string[][] = [head];
for (const r of rows) {
  if (r.ops === 0) {
    table.push([r.arch, r.workload, '', '', '', '', '', '', '', r.note ?? '']);
    continue;
  }
  const refNs = reference(r);
  const x64 = r.arch === 'X64' ? undefined : find('X64', r.workload);
  const target = TARGETS.find(([re]) => re.test(r.workload))?.[1] ?? '';
  let met = '';
  if (target.startsWith('<=')) met = r.nsPerOp <= Number(target.slice(3)) ? 'yes' : 'no';
  else if (target.startsWith('x') && refNs !== undefined) met = r.nsPerOp <= refNs * Number(target.slice(1)) ? 'yes' : 'no';
  const notes = r.note === undefined ? [] : [r.note];
  const floorName = FLOORS.find(([re]) => re.test(r.workload))?.[1];
  const floor = floorName === undefined ? undefined : find(r.arch, floorName);
  if (floor !== undefined) notes.push(`x${ratio(r.nsPerOp / floor.nsPerOp)} the floor`);
  const readsName = READS.find(([re]) => re.test(r.workload))?.[1];
  const reads = readsName === undefined ? undefined : find(r.arch, readsName);
  if (reads !== undefined) notes.push(`its bigints read alone: ${fmt(reads.nsPerOp)}`);
  table.push([
    r.arch,
    r.workload,
    fmt(r.nsPerOp),
    refNs === undefined ? '' : fmt(refNs),
    refNs === undefined ? '' : ratio(r.nsPerOp / refNs),
    x64 === undefined || x64.ops === 0 ? '' : ratio(r.nsPerOp / x64.nsPerOp),
    target.startsWith('<= 1e6') ? '<= 1 ms' : target,
    met,
    r.heapBytesPerOp === undefined ? '' : r.heapBytesPerOp.toFixed(1),
    notes.join('; '),
  ]);
}
const widths = head.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
const line = (row: string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
console.log(`Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${new Date().toISOString().slice(0, 10)}`);
console.log(
  native !== null
    ? `Rust crate: its own benchmark (${nativeDir}), run natively on this machine just before this bench`
    : 'Rust crate: the figures recorded on a 2-core AMD EPYC VM (packages/bench/README.md), not this machine; --native DIR measures them here',
);
if (rows.length > 0) {
  console.log(line(table[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of table.slice(1)) console.log(line(row));
}
if (w9Rows.length > 0) {
  console.log('\nW9: ptdump --arch x86_64 on a 16 GiB dump (4,194,304 4K pages, permissions alternating every 16), and a quarter of it; output to a file');
  console.log(w9Table(w9Rows));
}
