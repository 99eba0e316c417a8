// Listing formats: text in the style of Linux's ptdump (one line per run, then a summary), and JSON.
import {
  type AttachPlan,
  type AuditFinding,
  type AuditReport,
  type DumpDiagnostic,
  type DumpSummary,
  formatFlags,
  hex,
  levelName,
  type MappingRun,
  MappingFlags,
  type RunNumbers,
  type SharedTable,
  type Translation,
} from '@page-table-multiarch/core';
import type { Out } from './_output';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;

/** `0x` and n zeros, for n up to 16 (the widest address column): the padding of {@link addr} in one piece. */
const ZEROS: readonly string[] = Array.from({ length: 17 }, (_, n) => `0x${'0'.repeat(n)}`);

/** `0x` and `digits` hex digits (more when the value needs them). */
export function addr(v: bigint, digits: number): string {
  const s = v.toString(16);
  const pad = digits - s.length;
  return pad <= 0 ? `0x${s}` : pad <= 16 ? ZEROS[pad]! + s : `0x${s.padStart(digits, '0')}`;
}

/** Binary units, largest first, as ptdump's suffixes. */
const UNITS: readonly (readonly [bigint, string])[] = [
  [1n << 50n, 'P'],
  [1n << 40n, 'T'],
  [1n << 30n, 'G'],
  [1n << 20n, 'M'],
  [1n << 10n, 'K'],
];

/** The same units as numbers, for sizes below 2^53 (every unit is a power of two: `%` and `/` on them are exact). */
const UNIT_BYTES: readonly number[] = [2 ** 50, 2 ** 40, 2 ** 30, 2 ** 20, 2 ** 10];
const UNIT_NAMES: readonly string[] = ['P', 'T', 'G', 'M', 'K'];

/** {@link sizeText} of a size below 2^53: the listing's path, with no BigInt arithmetic (each `%` would allocate). */
function sizeTextOf(n: number): string {
  for (let k = 0; k < UNIT_BYTES.length; k++) {
    const u = UNIT_BYTES[k]!;
    if (n >= u && n % u === 0) return `${n / u}${UNIT_NAMES[k]!}`;
  }
  return `${n}B`;
}

/** Bytes as Linux's ptdump writes a size: the largest unit that divides it (`4K`, `2M`, `1G`, `16T`). */
export function sizeText(n: bigint): string {
  if (n <= MAX_SAFE) return sizeTextOf(Number(n));
  for (const [u, name] of UNITS) if (n >= u && n % u === 0n) return `${n / u}${name}`;
  return `${n}B`;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Bytes for people: in the largest unit they reach, exact when it divides them, else to one decimal (`8.2G`). */
export function approxSize(n: bigint): string {
  for (const [u, name] of UNITS) {
    if (n < u) continue;
    return n % u === 0n ? `${n / u}${name}` : `${(Number(n) / Number(u)).toFixed(1)}${name}`;
  }
  return `${n}B`;
}

/** The permission columns of a flag set: `USR RW x  DEV`. */
export function permText(f: number): string {
  return (f & ~ALL) === 0 ? PERM_TEXT[f]! : permColumns(f);
}

function permColumns(f: number): string {
  const user = f & USER ? 'USR' : '   ';
  const rw = f & READ ? (f & WRITE ? 'RW' : 'ro') : f & WRITE ? '-w' : '--';
  const x = f & EXECUTE ? 'x ' : 'NX';
  const mem = f & DEVICE ? 'DEV' : f & UNCACHED ? 'UC ' : '   ';
  return `${user} ${rw} ${x} ${mem}`;
}

/** Every MappingFlags bit. */
const ALL = READ | WRITE | EXECUTE | USER | DEVICE | UNCACHED;
/** The columns of every flag set, made once: a listing writes them for each of its runs. */
const PERM_TEXT: readonly string[] = Array.from({ length: ALL + 1 }, (_, f) => permColumns(f));

/** The architecture's names of an entry's bits, from the format's inspector. */
function describe(plan: AttachPlan, bits: bigint, level: number, leaf: boolean): string {
  const insp = plan.format.inspector;
  if (!insp?.describe) return '';
  // the two words: below 2^53 from one conversion to a number, else with one BigInt operation each (bitsToWords
  // takes three, and an array)
  if (bits <= MAX_SAFE) {
    const n = Number(bits);
    const hi = Math.floor(n / 4294967296);
    return insp.describe(n - hi * 4294967296, hi, level, leaf);
  }
  return insp.describe(Number(BigInt.asUintN(32, bits)), Number(bits >> 32n), level, leaf);
}

/** MappingFlags names of every flag set, made once: a JSON listing writes two for each of its runs. */
const FLAG_NAMES: readonly string[] = Array.from({ length: ALL + 1 }, (_, f) => formatFlags(f));

/** `formatFlags(f)`, from the table for the flag sets it holds. */
function flagNames(f: number): string {
  return (f & ~ALL) === 0 ? FLAG_NAMES[f]! : formatFlags(f);
}

/** The page-size column of each page size seen (a listing has a handful of them). */
const PAGE_COLUMN = new Map<number, string>();

/** The last page size asked about, and its column (runs of one page size mostly follow one another). */
let lastPageSize = -1;
let lastPageColumn = '';

function pageColumn(pageSize: number): string {
  if (pageSize === lastPageSize) return lastPageColumn;
  let text = PAGE_COLUMN.get(pageSize);
  if (text === undefined) {
    text = sizeTextOf(pageSize).padStart(4);
    PAGE_COLUMN.set(pageSize, text);
  }
  lastPageSize = pageSize;
  lastPageColumn = text;
  return text;
}

/** The size column of the last run's size: a listing's runs are mostly of a few sizes, often one after another. */
let lastSize = -1;
let lastSizeColumn = '';

/** The size column of a run's size (an exact integer, below 2^53 or not). */
function sizeColumn(size: number): string {
  if (size !== lastSize) {
    lastSizeColumn = (size <= Number.MAX_SAFE_INTEGER ? sizeTextOf(size) : sizeText(BigInt(size))).padStart(7);
    lastSize = size;
  }
  return lastSizeColumn;
}

/** The level column of each format's levels (a listing writes one for each of its runs). */
const LEVEL_COLUMNS = new WeakMap<AttachPlan['format'], string[]>();

/** The format of the last call, and its columns: a listing asks about one format run after run. */
let lastFormat: AttachPlan['format'] | undefined;
let lastColumns: string[] = [];

function levelColumn(plan: AttachPlan, level: number): string {
  let columns = plan.format === lastFormat ? lastColumns : LEVEL_COLUMNS.get(plan.format);
  if (columns === undefined) {
    columns = [];
    LEVEL_COLUMNS.set(plan.format, columns);
  }
  let column = columns[level];
  if (column === undefined) {
    column = levelName(plan.format, level).padEnd(5);
    columns[level] = column;
  }
  lastFormat = plan.format;
  lastColumns = columns;
  return column;
}

/** The `[entry: ...]` note of a run whose entry grants more than its levels let through, per flag set. */
const ENTRY_NOTE: readonly string[] = Array.from({ length: ALL + 1 }, (_, f) => entryNote(f));

function entryNote(f: number): string {
  return `  [entry: ${permText(f).trim().replace(/\s+/g, ' ')}]`;
}

/**
 * One line of a run, written into `out`'s block:
 * `0xffff800000000000-0xffff800080000000      2G   1G     RW NX     -> 0x0000000000000000 PDPT P RW PS A D G XD`.
 * The per-run path of a listing of millions of runs: the addresses go in as hex digits from their numbers, the
 * columns from strings made once; the only string made per run is the architecture's names of the entry's bits.
 */
export function writeRunLine(out: Out, run: RunNumbers, plan: AttachPlan, digits: number): void {
  const insp = plan.format.inspector;
  const raw = insp?.describe ? insp.describe(run.bitsLo, run.bitsHi, run.level, true) : '';
  const f = run.flags;
  const entry = run.effective === f ? '' : (f & ~ALL) === 0 ? ENTRY_NOTE[f]! : entryNote(f);
  const width = digits > 16 ? digits : 16;
  // three addresses of `width` digits or fewer, the columns and spaces (under 128 bytes), the names and the note
  out.startLine(3 * (width + 3) + 128 + 3 * (raw.length + entry.length));
  out.hex(run.vaddr, digits);
  out.char(45); // -
  out.hex(run.end, digits);
  out.char(32);
  out.put(sizeColumn(run.size));
  out.char(32);
  out.put(pageColumn(run.pageSize));
  out.put('  ');
  out.put(permText(run.effective));
  out.put(' -> ');
  out.hex(run.paddr, digits);
  out.char(32);
  out.put(levelColumn(plan, run.level));
  out.char(32);
  out.put(raw);
  out.put(entry);
  // as the line's trimEnd: no white space at its end when the names or the note are empty
  out.endLine();
}

/**
 * One line for entries that reach a table listed before, as Linux's ptdump marks what it skips:
 * `... 0xffffff0000200000-0xffffff8000000000 PUD[1..511] -> PMD at 0x2a04000, listed from 0xffffff0000000000: 511 x 512 pages not listed again ...`
 */
export function sharedLine(rec: SharedTable, plan: AttachPlan, digits: number): string {
  const name = levelName(plan.format, rec.level);
  const index = rec.references === 1 ? `${rec.index}` : `${rec.index}..${rec.index + rec.references - 1}`;
  const child = levelName(plan.format, rec.level + 1);
  const times = rec.references === 1 ? '' : `${rec.references} x `;
  return `... ${addr(rec.vaddr, digits)}-${addr(rec.end, digits)} ${name}[${index}] -> ${child} at ${addr(rec.table, 0)}, listed from ${addr(rec.listedAt, digits)}: ${times}${rec.pages} page${rec.pages === 1 ? '' : 's'} not listed again ...`;
}

/** A shared-table record as JSON. */
export function sharedJson(rec: SharedTable): Record<string, unknown> {
  return {
    kind: 'shared',
    vaddr: hex(rec.vaddr),
    end: hex(rec.end),
    size: hex(rec.size),
    level: rec.level,
    index: rec.index,
    references: rec.references,
    entryPaddr: hex(rec.entryPaddr),
    bits: hex(rec.bits),
    table: hex(rec.table),
    listedAt: hex(rec.listedAt),
    pages: rec.pages,
    kernel: rec.kernel,
    root: rec.root,
  };
}

/** One line of a diagnostic: `!! 0x0000008000000000 PML4[1]: table at ... [entry 0x7ffff007 at 0x101008]`. */
export function diagnosticLine(d: DumpDiagnostic, digits: number): string {
  const entry = d.index < 0 ? '' : `  [entry ${addr(d.bits, digits)} at ${addr(d.entryPaddr, 0)}]`;
  return `!! ${addr(d.vaddr, digits)} ${d.code}: ${d.message}${entry}`;
}

/** The header line of a root's section. */
export function rootHeader(plan: AttachPlan, index: number, digits: number): string {
  const r = plan.roots[index]!;
  const root = typeof r.root === 'bigint' ? r.root : BigInt(r.root);
  const start = typeof r.vaStart === 'bigint' ? r.vaStart : BigInt(r.vaStart);
  const end = typeof r.vaEnd === 'bigint' ? r.vaEnd : BigInt(r.vaEnd);
  const level = r.startLevel ? `, walk from ${levelName(plan.format, r.startLevel)}` : '';
  return `---[ ${r.label ?? `root ${index}`}: table at ${addr(root, 0)}, ${addr(start, digits)}-${addr(end, digits)}${level} ]---`;
}

/** The summary lines. */
export function summaryLines(plan: AttachPlan, s: DumpSummary, audit: AuditReport): string[] {
  const tables = s.tables
    .map((n, l) => [n, l] as const)
    .filter(([n]) => n > 0)
    .map(([n, l]) => `${levelName(plan.format, l)} ${n}`)
    .join(', ');
  const c = audit.counts;
  const n = findingCount(audit);
  return [
    '---[ summary ]---',
    `mappings:    ${s.runs} runs, ${s.pages} pages, ${approxSize(s.bytes)} mapped (0x${s.bytes.toString(16)} bytes)`,
    `tables:      ${tables || 'none'} (${s.tableBytes} bytes in ${s.tableFrames} frames)`,
    `diagnostics: ${s.diagnostics}`,
    ...(s.sharedTables > 0
      ? [`shared:      ${s.sharedTables} record${s.sharedTables === 1 ? '' : 's'} of tables listed once (${s.sharedPages} pages not listed again)`]
      : []),
    `audit:       ${n} finding${n === 1 ? '' : 's'} (${c['W+X']} W+X, ${c.UserExecKernel} user-executable kernel, ${c.ExecDevice} executable device); ${audit.line}`,
  ];
}

/** Findings of a report, kept or not (a report may keep only the first few). */
export function findingCount(audit: AuditReport): number {
  return audit.counts['W+X'] + audit.counts.UserExecKernel + audit.counts.ExecDevice;
}

/** One line of the audit section (with --audit), which starts with `---[ audit ]---`. */
export function findingLine(f: AuditFinding): string {
  return `${f.kind.padEnd(14)} ${f.message} (${sizeText(f.run.size)}, ${f.pages} pages)`;
}

/** A translation as text: the result line, then the entries read. */
export function translationLines(t: Translation, plan: AttachPlan, digits: number): string[] {
  const head = t.mapped
    ? `${addr(t.vaddr, digits)} -> ${addr(t.paddr!, digits)} ${sizeText(BigInt(t.pageSize!)).padStart(4)}  ${permText(t.effective!)}`
    : `${addr(t.vaddr, digits)} not mapped: ${t.reason}`;
  const via = t.root >= 0 ? ` (${plan.roots[t.root]!.label ?? `root ${t.root}`})` : '';
  const out = [`${head.trimEnd()}${via}`];
  for (const s of t.steps) {
    const name = `${levelName(plan.format, s.level)}[${s.index}]`.padEnd(11);
    const leaf = t.mapped && s.level === t.level;
    out.push(`    ${name} @${addr(s.entryPaddr, 0)} = ${addr(s.bits, plan.format.meta.entryBytes * 2)}  ${describe(plan, s.bits, s.level, leaf)}`.trimEnd());
  }
  return out;
}

/** A run as JSON (addresses as hex strings). */
export function runJson(run: MappingRun, plan: AttachPlan): Record<string, unknown> {
  return {
    kind: 'mapping',
    vaddr: hex(run.vaddr),
    end: hex(run.end),
    paddr: hex(run.paddr),
    size: hex(run.size),
    pageSize: hex(run.pageSize),
    pages: run.pages,
    level: run.level,
    levelName: levelName(plan.format, run.level),
    flags: flagNames(run.flags),
    effective: flagNames(run.effective),
    attrs: describe(plan, run.bits, run.level, true),
    bits: hex(run.bits),
    kernel: run.kernel,
    root: run.root,
  };
}

/** A diagnostic as JSON. */
export function diagnosticJson(d: DumpDiagnostic): Record<string, unknown> {
  return {
    kind: 'diagnostic',
    code: d.code,
    message: d.message,
    level: d.level,
    index: d.index,
    vaddr: hex(d.vaddr),
    entryPaddr: hex(d.entryPaddr),
    bits: hex(d.bits),
    root: d.root,
  };
}

/** A summary as JSON: counts as numbers, byte sizes as hex strings. */
export function summaryJson(s: DumpSummary): Record<string, unknown> {
  return {
    runs: s.runs,
    pages: s.pages,
    bytes: hex(s.bytes),
    tables: s.tables,
    tableBytes: hex(s.tableBytes),
    tableFrames: s.tableFrames,
    diagnostics: s.diagnostics,
    sharedTables: s.sharedTables,
    sharedPages: s.sharedPages,
  };
}

/** An audit report as JSON, but for its findings (the dump's `findings` list, written one by one before it). */
export function auditJson(a: AuditReport): Record<string, unknown> {
  return { count: findingCount(a), counts: a.counts, wxPages: Number(a.wxPages), line: a.line };
}

/** One finding as JSON. */
export function findingJson(f: AuditFinding): Record<string, unknown> {
  return { kind: 'finding', finding: f.kind, message: f.message, vaddr: hex(f.run.vaddr), end: hex(f.run.end), pages: Number(f.pages) };
}

/** A translation as JSON. */
export function translationJson(t: Translation): Record<string, unknown> {
  return {
    kind: 'translation',
    vaddr: hex(t.vaddr),
    mapped: t.mapped,
    ...(t.mapped
      ? { paddr: hex(t.paddr!), pageSize: hex(t.pageSize!), level: t.level, flags: formatFlags(t.flags!), effective: formatFlags(t.effective!) }
      : { reason: t.reason }),
    // the index of the root in the dump's `roots`, as in a record; null when no root translates the address
    root: t.root >= 0 ? t.root : null,
    steps: t.steps.map((s) => ({ level: s.level, index: s.index, entryPaddr: hex(s.entryPaddr), bits: hex(s.bits) })),
  };
}

/** The roots of a plan as JSON. */
export function rootsJson(plan: AttachPlan): Record<string, unknown>[] {
  return plan.roots.map((r) => ({
    label: r.label ?? null,
    root: hex(BigInt(r.root)),
    vaStart: hex(BigInt(r.vaStart)),
    vaEnd: hex(BigInt(r.vaEnd)),
    kernel: r.kernel ?? false,
    ...(r.startLevel ? { startLevel: r.startLevel } : {}),
  }));
}
