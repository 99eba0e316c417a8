// ptdump diff A B: the mappings of two dumps (or two JSON listings of ptdump) compared address by address: ranges
// mapped only in B (added), only in A (removed), to another physical address (remapped), or with other effective
// permissions (permissions). Each side is read whole into a list of runs sorted by address, then one sweep goes
// over the boundaries of both.
import { closeSync, constants, openSync, readFileSync, readSync } from 'node:fs';
import { dumpMappings, type DumpSource, formatFlags, hex, MappingFlags } from '@page-table-multiarch/core';
import { CliError } from './_errors';
import { type FileOptions, fileJob } from './_file-job';
import { addr, permText, sizeText } from './_format';
import type { CliIo } from './_main';
import { Out } from './_output';
import { SCHEMA_VERSION, structuredOut } from './_structured';

/** A run of one side: [vaddr, end) maps to paddr onwards with these effective permissions. */
export interface DiffRun {
  readonly vaddr: bigint;
  readonly end: bigint;
  readonly paddr: bigint;
  /** Effective MappingFlags. */
  readonly flags: number;
}

/** One side of a diff: its runs in address order, and where they came from. */
export interface DiffSide {
  readonly source: string;
  readonly runs: readonly DiffRun[];
  /** Digits of an address in listings. */
  readonly digits: number;
}

/** What changed over a range. */
export type ChangeKind = 'added' | 'removed' | 'remapped' | 'permissions';

/** A range over which the two sides differ the same way. */
export interface Change {
  readonly kind: ChangeKind;
  readonly vaddr: bigint;
  readonly end: bigint;
  /** Physical address of the first byte in A (undefined when added). */
  readonly paddrA?: bigint;
  /** Physical address of the first byte in B (undefined when removed). */
  readonly paddrB?: bigint;
  readonly flagsA?: number;
  readonly flagsB?: number;
}

/** MappingFlags by name, for flags written as names in a JSON listing (`"READ | WRITE"`). */
const FLAG_NAMES: Readonly<Record<string, number>> = {
  READ: MappingFlags.READ,
  WRITE: MappingFlags.WRITE,
  EXECUTE: MappingFlags.EXECUTE,
  USER: MappingFlags.USER,
  DEVICE: MappingFlags.DEVICE,
  UNCACHED: MappingFlags.UNCACHED,
};

function flagsOf(text: unknown, path: string): number {
  if (typeof text !== 'string') throw new CliError(`${path}: a mapping record without "effective" flags`);
  let f = 0;
  for (const name of text.split('|').map((x) => x.trim())) {
    // formatFlags writes no flag at all as `(empty)`
    if (name === '' || name === '(empty)') continue;
    const bit = FLAG_NAMES[name];
    if (bit === undefined) throw new CliError(`${path}: '${name}' is not a MappingFlags name`);
    f |= bit;
  }
  return f;
}

function bigOf(text: unknown, what: string, path: string): bigint {
  if (typeof text !== 'string' || !/^0x[0-9a-f]+$/i.test(text)) throw new CliError(`${path}: ${what} ${JSON.stringify(text)} is not a hex address`);
  return BigInt(text);
}

/** Whether a file looks like a JSON listing: its first non-blank byte is `{` (a dump's rarely is; --format says). */
export function isJsonListing(head: Uint8Array): boolean {
  for (const b of head) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7b;
  }
  return false;
}

/** The one dump of a listing's JSON document, or of its JSON lines (its header and its records). */
interface ListedDump {
  readonly source?: unknown;
  readonly arch?: unknown;
  readonly records: readonly unknown[];
}

/** The dump of a document written by `ptdump --json DUMP` (schema 1: `{ schema, command, dumps: [dump] }`). */
function dumpOfDocument(path: string, doc: unknown): ListedDump {
  const d = doc as { schema?: unknown; command?: unknown; dumps?: unknown };
  if (d?.schema !== SCHEMA_VERSION || d.command !== 'list' || !Array.isArray(d.dumps)) {
    throw new CliError(`${path}: not a ptdump listing of schema ${SCHEMA_VERSION} (a JSON document with "schema": ${SCHEMA_VERSION}, "command": "list")`);
  }
  if (d.dumps.length !== 1) throw new CliError(`${path}: a listing of ${d.dumps.length} dumps (the embedded samples?); list one dump (or one --arch) to compare it`);
  const dump = d.dumps[0] as Partial<ListedDump>;
  if (!Array.isArray(dump?.records)) throw new CliError(`${path}: a dump without "records": not a ptdump listing`);
  return { source: dump.source, arch: dump.arch, records: dump.records };
}

/** The dump of the lines written by `ptdump --jsonl DUMP`: a header line, then the records up to the summary line. */
function dumpOfLines(path: string, lines: readonly string[]): ListedDump {
  const parsed = lines.filter((l) => l.trim() !== '').map((l, i) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch (err) {
      throw new CliError(`${path}: line ${i + 1} is not JSON (${(err as Error).message})`);
    }
  });
  const headers = parsed.filter((o) => o?.['kind'] === 'header');
  const header = headers[0];
  if (header?.['schema'] !== SCHEMA_VERSION || header['command'] !== 'list') {
    throw new CliError(`${path}: not ptdump's JSON lines of a listing of schema ${SCHEMA_VERSION} (its first line is not a header of a listing)`);
  }
  if (headers.length !== 1) throw new CliError(`${path}: the lines of ${headers.length} dumps (the embedded samples?); list one dump (or one --arch) to compare it`);
  return { source: header['source'], arch: header['arch'], records: parsed };
}

/** The runs of a JSON listing written by `ptdump --json DUMP` or `ptdump --jsonl DUMP`. */
export function sideOfJson(path: string, text: string): DiffSide {
  let dump: ListedDump;
  try {
    dump = dumpOfDocument(path, JSON.parse(text));
  } catch (err) {
    if (err instanceof CliError) throw err;
    // not one JSON value: JSON lines, whose first line is a JSON object
    const lines = text.split('\n');
    try {
      JSON.parse(lines[0]!);
    } catch {
      throw new CliError(`${path}: starts like JSON but is not a JSON listing (${(err as Error).message}); give --format raw for a raw image`);
    }
    dump = dumpOfLines(path, lines);
  }
  const runs: DiffRun[] = [];
  for (const r of dump.records as Record<string, unknown>[]) {
    if (r?.['kind'] !== 'mapping') continue;
    runs.push({
      vaddr: bigOf(r['vaddr'], 'vaddr', path),
      end: bigOf(r['end'], 'end', path),
      paddr: bigOf(r['paddr'], 'paddr', path),
      flags: flagsOf(r['effective'], path),
    });
  }
  runs.sort((a, b) => (a.vaddr < b.vaddr ? -1 : a.vaddr > b.vaddr ? 1 : 0));
  const digits = dump.arch === 'arm' || dump.arch === 'x86' || dump.arch === 'riscv32' ? 8 : 16;
  return { source: `${path} (listing of ${typeof dump.source === 'string' ? dump.source : 'a dump'})`, runs, digits };
}

/** The runs of a dump, walked with its registers (shared tables under every entry that reaches them). */
export function sideOfDump(o: FileOptions): DiffSide {
  const { job, close } = fileJob(o);
  try {
    const src: DumpSource = { ...job.plan.format, handler: job.handler };
    const runs: DiffRun[] = [];
    for (const rec of dumpMappings(src, { roots: job.plan.roots, expandShared: true })) {
      if (rec.kind === 'mapping') runs.push({ vaddr: rec.vaddr, end: rec.end, paddr: rec.paddr, flags: rec.effective });
    }
    runs.sort((a, b) => (a.vaddr < b.vaddr ? -1 : a.vaddr > b.vaddr ? 1 : 0));
    return { source: job.source, runs, digits: job.arch.addrDigits };
  } finally {
    close();
  }
}

/** Appends a change, merged into the last one when it continues it (same kind, adjacent, addresses in step). */
function push(out: Change[], c: Change): void {
  const last = out[out.length - 1];
  const follows = (a: bigint | undefined, b: bigint | undefined): boolean =>
    a === undefined ? b === undefined : b !== undefined && a + (last!.end - last!.vaddr) === b;
  if (
    last !== undefined &&
    last.kind === c.kind &&
    last.end === c.vaddr &&
    last.flagsA === c.flagsA &&
    last.flagsB === c.flagsB &&
    follows(last.paddrA, c.paddrA) &&
    follows(last.paddrB, c.paddrB)
  ) {
    out[out.length - 1] = { ...last, end: c.end };
    return;
  }
  out.push(c);
}

/** The run of `runs` (sorted, not overlapping) from index `k` on that ends after `v`. */
function advance(runs: readonly DiffRun[], k: number, v: bigint): number {
  while (k < runs.length && runs[k]!.end <= v) k++;
  return k;
}

/** The changes from `a` to `b`, in address order. */
export function diffRuns(a: readonly DiffRun[], b: readonly DiffRun[]): Change[] {
  const out: Change[] = [];
  let i = 0;
  let j = 0;
  let v = -1n;
  for (;;) {
    i = advance(a, i, v);
    j = advance(b, j, v);
    const ra = a[i];
    const rb = b[j];
    if (ra === undefined && rb === undefined) break;
    // the next address where something is mapped, and the next boundary after it
    const inA = ra !== undefined && ra.vaddr <= v;
    const inB = rb !== undefined && rb.vaddr <= v;
    if (!inA && !inB) {
      v = ra === undefined ? rb!.vaddr : rb === undefined ? ra.vaddr : ra.vaddr < rb.vaddr ? ra.vaddr : rb.vaddr;
      continue;
    }
    let next = 1n << 64n;
    for (const edge of [ra?.vaddr, ra?.end, rb?.vaddr, rb?.end]) if (edge !== undefined && edge > v && edge < next) next = edge;
    const pa = inA ? ra!.paddr + (v - ra!.vaddr) : undefined;
    const pb = inB ? rb!.paddr + (v - rb!.vaddr) : undefined;
    const span = { vaddr: v, end: next };
    if (!inB) push(out, { kind: 'removed', ...span, paddrA: pa!, flagsA: ra!.flags });
    else if (!inA) push(out, { kind: 'added', ...span, paddrB: pb!, flagsB: rb!.flags });
    else if (pa !== pb) push(out, { kind: 'remapped', ...span, paddrA: pa!, paddrB: pb!, flagsA: ra!.flags, flagsB: rb!.flags });
    else if (ra!.flags !== rb!.flags) push(out, { kind: 'permissions', ...span, paddrA: pa!, paddrB: pb!, flagsA: ra!.flags, flagsB: rb!.flags });
    v = next;
  }
  return out;
}

const MARK: Readonly<Record<ChangeKind, string>> = { added: '+', removed: '-', remapped: '~', permissions: '!' };

/** One line of a change: `+ 0x...-0x...  4K  USR RW NX  -> 0x...`. */
export function changeLine(c: Change, digits: number): string {
  const range = `${MARK[c.kind]} ${addr(c.vaddr, digits)}-${addr(c.end, digits)} ${sizeText(c.end - c.vaddr).padStart(7)}`;
  switch (c.kind) {
    case 'added':
      return `${range}  ${permText(c.flagsB!)} -> ${addr(c.paddrB!, digits)}`;
    case 'removed':
      return `${range}  ${permText(c.flagsA!)} -> ${addr(c.paddrA!, digits)}`;
    case 'remapped': {
      const perms = c.flagsA === c.flagsB ? permText(c.flagsB!) : `${permText(c.flagsA!).trim()} => ${permText(c.flagsB!).trim()}`;
      return `${range}  ${perms} -> ${addr(c.paddrA!, digits)} => ${addr(c.paddrB!, digits)}`;
    }
    default:
      return `${range}  ${permText(c.flagsA!).trim()} => ${permText(c.flagsB!).trim()} -> ${addr(c.paddrA!, digits)}`;
  }
}

/** A change as JSON (addresses as hex strings, flags as MappingFlags names). */
export function changeJson(c: Change): Record<string, unknown> {
  return {
    kind: 'change',
    change: c.kind,
    vaddr: hex(c.vaddr),
    end: hex(c.end),
    size: hex(c.end - c.vaddr),
    ...(c.paddrA !== undefined ? { paddrBefore: hex(c.paddrA) } : {}),
    ...(c.paddrB !== undefined ? { paddrAfter: hex(c.paddrB) } : {}),
    ...(c.flagsA !== undefined ? { flagsBefore: formatFlags(c.flagsA) } : {}),
    ...(c.flagsB !== undefined ? { flagsAfter: formatFlags(c.flagsB) } : {}),
  };
}

/** Ranges and bytes per kind of change. */
function totals(changes: readonly Change[]): Record<ChangeKind, { ranges: number; bytes: bigint }> {
  const t = {
    added: { ranges: 0, bytes: 0n },
    removed: { ranges: 0, bytes: 0n },
    remapped: { ranges: 0, bytes: 0n },
    permissions: { ranges: 0, bytes: 0n },
  };
  for (const c of changes) {
    t[c.kind].ranges++;
    t[c.kind].bytes += c.end - c.vaddr;
  }
  return t;
}

/** What `ptdump diff` takes: each side as a JSON listing (read as it is) or a dump (read with the options). */
export interface DiffOptions {
  readonly files: readonly [string, string];
  /** How to open a side that is a dump (its `file` is replaced by the side's). */
  readonly dump: FileOptions;
  readonly json: boolean;
  readonly jsonl: boolean;
}

function sideOf(path: string, o: DiffOptions): DiffSide {
  if (o.dump.format !== 'auto') return sideOfDump({ ...o.dump, file: path });
  let text: string;
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const head = new Uint8Array(64);
    let n: number;
    try {
      n = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    if (!isJsonListing(head.subarray(0, n))) return sideOfDump({ ...o.dump, file: path });
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code ?? String(err)})`);
  }
  return sideOfJson(path, text);
}

/** Runs `ptdump diff A B`: exit status 0 when the mappings are the same, 1 when they differ. */
export function diffCommand(o: DiffOptions, io: CliIo): number {
  const a = sideOf(o.files[0], o);
  const b = sideOf(o.files[1], o);
  const changes = diffRuns(a.runs, b.runs);
  const t = totals(changes);
  const out = new Out(io);
  const structured = structuredOut(o, out, 'diff');
  if (structured) {
    structured.begin({ a: a.source, b: b.source });
    structured.list('changes');
    for (const c of changes) structured.item(changeJson(c));
    structured.end({ summary: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { ranges: v.ranges, bytes: hex(v.bytes) }])) });
    structured.finish();
  } else {
    const digits = Math.max(a.digits, b.digits);
    out.line(`ptdump diff: ${a.source}`);
    out.line(`         to: ${b.source}`);
    for (const c of changes) out.line(changeLine(c, digits));
    out.line('---[ summary ]---');
    for (const [k, v] of Object.entries(t)) out.line(`${`${k}:`.padEnd(13)}${v.ranges} range${v.ranges === 1 ? '' : 's'}, ${sizeText(v.bytes)}`);
  }
  out.flush();
  return changes.length === 0 ? 0 : 1;
}
