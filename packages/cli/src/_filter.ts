// Filters of a listing: a virtual range (--va-range), permissions (--perm, gdb-pt-dump's terms), and the reverse
// map (--pa: every virtual range that maps a physical range). Runs are clipped to what the filter asks for; the
// walk, the summary and the audit stay those of the whole tables.
import { type AttachPlan, type DumpRecord, type DumpRoot, hex, MappingFlags, type MappingRun } from '@page-table-multiarch/core';
import { CliError } from './_errors';
import type { Job } from './_list';
import { parseValue } from './_values';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
/** The smallest page of every format: --va-range is walked at this granularity, and --pa A means A's frame. */
const PAGE = 4096n;

/** One --perm term: the flags it tests and whether they must be all set or all clear. */
interface PermTerm {
  readonly name: string;
  /** Flags that must be set. */
  readonly set: number;
  /** Flags that must be clear. */
  readonly clear: number;
  /** Whether the term is the device-memory test (the architecture's device flags). */
  readonly device: boolean;
}

/** The --perm terms: gdb-pt-dump's filter names, over the effective permissions. */
const TERMS: Readonly<Record<string, Omit<PermTerm, 'name'>>> = {
  r: { set: READ, clear: 0, device: false },
  w: { set: WRITE, clear: 0, device: false },
  x: { set: EXECUTE, clear: 0, device: false },
  nx: { set: 0, clear: EXECUTE, device: false },
  u: { set: USER, clear: 0, device: false },
  s: { set: 0, clear: USER, device: false },
  ro: { set: READ, clear: WRITE, device: false },
  wx: { set: WRITE | EXECUTE, clear: 0, device: false },
  device: { set: 0, clear: 0, device: true },
};

/** What the filter options ask for. */
export interface RecordFilter {
  /** [start, end) of the virtual addresses to list. */
  readonly vaRange?: readonly [bigint, bigint];
  /** Terms that must all hold; `_term` negates one. */
  readonly perm?: readonly (PermTerm & { readonly negated: boolean })[];
  /** [start, end) of the physical addresses whose mappings to list. */
  readonly pa?: readonly [bigint, bigint];
  /** The options as given, for the listing's `filter:` line. */
  readonly text: string;
}

/** `A-B` as [A, B), or, when `single` allows it, `A` alone as the 4 KiB frame that holds it. */
function parseRange(text: string, option: string, single: boolean): readonly [bigint, bigint] {
  const dash = text.indexOf('-', 1);
  if (dash < 0) {
    if (!single) throw new CliError(`${option}: '${text}' is not a range START-END`);
    const a = parseValue(text, option);
    return [a - (a % PAGE), a - (a % PAGE) + PAGE];
  }
  const a = parseValue(text.slice(0, dash), option);
  const b = parseValue(text.slice(dash + 1), option);
  if (b <= a) throw new CliError(`${option}: the end ${hex(b)} is not above the start ${hex(a)}`);
  return [a, b];
}

/** The --perm list: comma-separated terms, each optionally negated with a leading `_` (as gdb-pt-dump writes `_w`). */
function parsePerm(text: string): NonNullable<RecordFilter['perm']> {
  return text.split(',').map((raw) => {
    const t = raw.trim().toLowerCase();
    const negated = t.startsWith('_') || t.startsWith('!');
    const name = negated ? t.slice(1) : t;
    const term = TERMS[name];
    if (term === undefined) throw new CliError(`--perm: '${raw}' is not one of ${Object.keys(TERMS).join(', ')} (a leading _ negates one)`);
    return { name, negated, ...term };
  });
}

/** The filter of the options, or undefined when none is given. */
export function parseFilter(vaRange: string | undefined, perm: string | undefined, pa: string | undefined): RecordFilter | undefined {
  if (vaRange === undefined && perm === undefined && pa === undefined) return undefined;
  const text = [
    vaRange !== undefined ? `--va-range ${vaRange}` : '',
    perm !== undefined ? `--perm ${perm}` : '',
    pa !== undefined ? `--pa ${pa}` : '',
  ]
    .filter((x) => x !== '')
    .join(' ');
  return {
    ...(vaRange !== undefined ? { vaRange: parseRange(vaRange, '--va-range', false) } : {}),
    ...(perm !== undefined ? { perm: parsePerm(perm) } : {}),
    ...(pa !== undefined ? { pa: parseRange(pa, '--pa', true) } : {}),
    text,
  };
}

/**
 * The job with each root's range narrowed to --va-range (at page granularity), and roots outside it left out: the
 * walk skips the root entries outside the range. Without --va-range, the job as it is.
 */
export function narrowJob(job: Job, filter: RecordFilter | undefined): Job {
  if (filter?.vaRange === undefined) return job;
  const [a, b] = filter.vaRange;
  const start = a - (a % PAGE);
  const end = b % PAGE === 0n ? b : b + PAGE - (b % PAGE);
  const roots: DumpRoot[] = [];
  for (const r of job.plan.roots) {
    const s = BigInt(r.vaStart);
    const e = BigInt(r.vaEnd);
    if (end <= s || start >= e) continue;
    roots.push({ ...r, vaStart: start > s ? start : s, vaEnd: end < e ? end : e });
  }
  if (roots.length === 0) throw new CliError(`--va-range: ${hex(a)}-${hex(b)} is outside every root's range`);
  const plan: AttachPlan = { ...job.plan, roots };
  return { ...job, plan };
}

/** Whether a run's effective permissions pass every term. */
function permits(run: MappingRun, terms: NonNullable<RecordFilter['perm']>, deviceFlags: number): boolean {
  const f = run.effective;
  for (const t of terms) {
    const holds = t.device ? (f & deviceFlags) !== 0 : (f & t.set) === t.set && (f & t.clear) === 0;
    if (holds === t.negated) return false;
  }
  return true;
}

/** The part of `run` from virtual `start` to `end` (inside it), with its physical address and leaf count. */
function clip(run: MappingRun, start: bigint, end: bigint): MappingRun {
  if (start === run.vaddr && end === run.end) return run;
  const page = BigInt(run.pageSize);
  const first = (start - run.vaddr) / page;
  const last = (end - run.vaddr + page - 1n) / page;
  return { ...run, vaddr: start, end, paddr: run.paddr + (start - run.vaddr), size: end - start, pages: Number(last - first) };
}

/** The run as the filter lists it (clipped), or undefined when it filters it out. */
export function filterRun(run: MappingRun, filter: RecordFilter, deviceFlags: number): MappingRun | undefined {
  let start = run.vaddr;
  let end = run.end;
  if (filter.vaRange) {
    const [a, b] = filter.vaRange;
    if (a > start) start = a;
    if (b < end) end = b;
    if (start >= end) return undefined;
  }
  if (filter.perm && !permits(run, filter.perm, deviceFlags)) return undefined;
  if (filter.pa) {
    // the virtual addresses whose physical addresses are in [p, q)
    const [p, q] = filter.pa;
    const lo = run.paddr + (start - run.vaddr);
    const hi = run.paddr + (end - run.vaddr);
    if (q <= lo || p >= hi) return undefined;
    if (p > lo) start += p - lo;
    if (q < hi) end -= hi - q;
  }
  return clip(run, start, end);
}

/** Whether a diagnostic or shared-table record is kept: when it is inside --va-range (all are without one). */
function keepOther(rec: Exclude<DumpRecord, MappingRun>, filter: RecordFilter): boolean {
  if (!filter.vaRange) return true;
  const [a, b] = filter.vaRange;
  const end = rec.kind === 'shared' ? rec.end : rec.vaddr + 1n;
  return rec.vaddr < b && end > a;
}

/** Runs and leaves a filter let through. */
export interface FilterCount {
  runs: number;
  pages: number;
}

/**
 * The records of a walk as the filter lists them. `each` sees every record of the walk, filtered out or not (the
 * summary, the audit and the plausibility are of the whole tables); `count` adds up the runs let through.
 */
export function* selected(
  records: Iterable<DumpRecord>,
  filter: RecordFilter | undefined,
  deviceFlags: number,
  each: (rec: DumpRecord) => void,
  count: FilterCount,
): Generator<DumpRecord> {
  for (const rec of records) {
    each(rec);
    if (filter === undefined) {
      yield rec;
      continue;
    }
    if (rec.kind !== 'mapping') {
      if (keepOther(rec, filter)) yield rec;
      continue;
    }
    const run = filterRun(rec, filter, deviceFlags);
    if (run === undefined) continue;
    count.runs++;
    count.pages += run.pages;
    yield run;
  }
}

/** The `filter:` line of a listing. */
export function filterLine(filter: RecordFilter, count: FilterCount, runs: number): string {
  return `filter:      ${filter.text}: ${count.runs} run${count.runs === 1 ? '' : 's'} (${count.pages} page${count.pages === 1 ? '' : 's'}) listed, of ${runs}`;
}

/** The filter as JSON. */
export function filterJson(filter: RecordFilter, count: FilterCount): Record<string, unknown> {
  return {
    ...(filter.vaRange ? { vaRange: filter.vaRange.map(hex) } : {}),
    ...(filter.perm ? { perm: filter.perm.map((t) => `${t.negated ? '_' : ''}${t.name}`) } : {}),
    ...(filter.pa ? { pa: filter.pa.map(hex) } : {}),
    runs: count.runs,
    pages: count.pages,
  };
}
