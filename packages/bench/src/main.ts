// `pnpm bench`: runs the workloads of shared/design/WORKLOADS.md (W1-W6) for X64PageTable and Sv39PageTable, each
// architecture in its own process, and prints one table: workload, ns/op here, the Rust crate's ns/op, ratio,
// target, heap bytes per op.
//   pnpm bench                     every workload, both architectures
//   pnpm bench -- --filter W2      workloads whose name matches a regular expression
//   pnpm bench -- --arch Sv39      one architecture
//   pnpm bench -- --cpu-prof       also write a V8 CPU profile per process (into ./profiles)
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

interface Row {
  arch: string;
  workload: string;
  nsPerOp: number;
  ops: number;
  heapBytesPerOp?: number;
  totalMs: number;
  note?: string;
}

// Reference: the Rust crate 0.6.1, --release, median of 5 (WORKLOADS.md); [X64, Sv39] ns per op (W5: per call).
const REFERENCE: [RegExp, number, number][] = [
  [/^W1a/, 7.95, 6.86],
  [/^W1b/, 7.91, 7.13],
  [/^W2/, 9.55, 8.54],
  [/^W3/, 10.43, 8.21],
  [/^W4a mapRegion/, 20, 12],
  [/^W4b mapRegion/, 6.54, 8.8],
  [/^W4c mapRegion/, 7.99, 9.86],
  [/^W4c unmapRegion/, 10.53, 11.9],
  [/^W5/, 954e6, 740e6],
  [/^W6a/, 630, 242],
  [/^W6b/, 242, 115],
];

// Targets of this project (WORKLOADS.md, "Targets for this project"): ns per op, or a factor of the reference.
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
  [/^W6/, 'x1.5'],
];

const args = process.argv.slice(2).filter((a) => a !== '--');
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const filter = opt('--filter') ?? '.';
const arches = opt('--arch') ? [opt('--arch')!] : ['X64', 'Sv39'];
const cpuProf = args.includes('--cpu-prof');
const worker = fileURLToPath(new URL('./worker.js', import.meta.url));

const rows: Row[] = [];
for (const arch of arches) {
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

const fmt = (ns: number): string => (ns >= 1e5 ? `${(ns / 1e6).toFixed(3)} ms` : `${ns.toFixed(2)} ns`);
const ratio = (x: number): string => (x < 0.01 ? x.toPrecision(2) : x.toFixed(2));
const head = ['arch', 'workload', 'here', 'Rust crate', 'ratio', 'target', 'met', 'heap B/op', 'note'];
const table: string[][] = [head];
for (const r of rows) {
  if (r.ops === 0) {
    table.push([r.arch, r.workload, '', '', '', '', '', '', r.note ?? '']);
    continue;
  }
  const ref = REFERENCE.find(([re]) => re.test(r.workload));
  const refNs = ref ? (r.arch === 'X64' ? ref[1] : ref[2]) : undefined;
  const target = TARGETS.find(([re]) => re.test(r.workload))?.[1] ?? '';
  let met = '';
  if (target.startsWith('<=')) met = r.nsPerOp <= Number(target.slice(3)) ? 'yes' : 'no';
  else if (target.startsWith('x') && refNs !== undefined) met = r.nsPerOp <= refNs * Number(target.slice(1)) ? 'yes' : 'no';
  table.push([
    r.arch,
    r.workload,
    fmt(r.nsPerOp),
    refNs === undefined ? '' : fmt(refNs),
    refNs === undefined ? '' : ratio(r.nsPerOp / refNs),
    target.startsWith('<= 1e6') ? '<= 1 ms' : target,
    met,
    r.heapBytesPerOp === undefined ? '' : r.heapBytesPerOp.toFixed(1),
    r.note ?? '',
  ]);
}
const widths = head.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
const line = (row: string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
console.log(`Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${new Date().toISOString().slice(0, 10)}`);
console.log(line(table[0]!));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table.slice(1)) console.log(line(row));
