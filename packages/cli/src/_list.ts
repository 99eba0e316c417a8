// The two jobs of ptdump over one set of tables: list every mapping (text or JSON), or translate addresses. A
// listing is written as it is walked and its summary and audit are counted on the way, so that memory stays flat
// however many runs the tables hold; only a bounded number of audit findings is kept for the end.
import {
  type AttachPlan,
  type AuditFinding,
  type AuditReport,
  type DumpRecord,
  type DumpSource,
  dumpMappings,
  hex,
  MappingAuditor,
  type PagingHandler,
  RunNumbers,
  translateAddress,
} from '@page-table-multiarch/core';
import type { ArchSpec } from './_arches';
import { type FilterCount, filterJson, filterLine, type RecordFilter, selected } from './_filter';
import {
  auditJson,
  diagnosticJson,
  diagnosticLine,
  findingCount,
  findingJson,
  findingLine,
  rootHeader,
  rootsJson,
  runJson,
  sharedJson,
  sharedLine,
  summaryJson,
  summaryLines,
  translationJson,
  translationLines,
  writeRunLine,
} from './_format';
import type { CliIo } from './_main';
import type { Out } from './_output';
import { layoutOf, RegionMarks } from './_regions';
import type { Structured } from './_structured';

/**
 * Findings kept from the walk for the audit section. When a dump has more, they are written from a second walk
 * instead of being kept: memory stays bounded, and only a dump with that many unsafe runs pays for the second walk.
 */
const KEEP_FINDINGS = 4096;

/** What the options ask of a job. */
export interface Settings {
  /** --json: one document. */
  readonly json: boolean;
  /** --jsonl: one JSON object per line. */
  readonly jsonl: boolean;
  readonly audit: boolean;
  readonly coalesce: boolean;
  readonly expandShared: boolean;
  readonly maxTables?: number;
  readonly progress: boolean;
  /** --va-range, --perm, --pa: which runs to list (the summary and the audit stay those of the whole walk). */
  readonly filter?: RecordFilter;
  /** --no-regions: no region names (headers in the text, `region` in JSON records). */
  readonly noRegions?: boolean;
}

/** One thing to list: a plan over a handler. */
export interface Job {
  readonly arch: ArchSpec;
  readonly plan: AttachPlan;
  readonly handler: PagingHandler;
  readonly source: string;
  readonly registers: Readonly<Record<string, bigint>>;
}

function registersText(job: Job): string {
  return Object.entries(job.registers)
    .map(([k, v]) => `${k.toUpperCase()}=${hex(v)}`)
    .join(' ');
}

/** The walk of a job with the settings' options. */
function walk(job: Job, s: Settings, onTable?: (n: number) => void) {
  const src: DumpSource = { ...job.plan.format, handler: job.handler };
  return dumpMappings(src, {
    roots: job.plan.roots,
    coalesce: s.coalesce,
    expandShared: s.expandShared,
    ...(s.maxTables !== undefined ? { maxTables: s.maxTables } : {}),
    ...(onTable ? { onTable } : {}),
  });
}

/**
 * Gives every finding of the audit to `each`: the kept ones, or, when the walk found more than it kept, each one
 * again from a second walk of the same tables.
 */
function eachFinding(job: Job, s: Settings, audit: AuditReport, each: (f: AuditFinding) => void): void {
  if (audit.findings.length === findingCount(audit)) {
    for (const f of audit.findings) each(f);
    return;
  }
  const again = new MappingAuditor({ deviceFlags: job.arch.deviceFlags, keepFindings: 0, onFinding: each });
  for (const rec of walk(job, s)) again.add(rec);
}

/** What a listing found beyond its output: audit findings, and whether the result looks like a wrong root. */
export interface ListOutcome {
  /** Audit findings (every kind). */
  readonly findings: number;
  /** One line each: why the result looks wrong (written to stderr as `ptdump: warning: ...`). */
  readonly warnings: readonly string[];
  /**
   * The listing maps nothing at all, or a root yields diagnostics and not one mapping: what a register value that
   * points at something other than a table gives (exit status 3).
   */
  readonly implausible: boolean;
}

/** Records seen under each root of a plan, for {@link plausibility}. */
class RootTally {
  readonly runs: number[];
  readonly diagnostics: number[];
  constructor(roots: number) {
    this.runs = new Array<number>(roots).fill(0);
    this.diagnostics = new Array<number>(roots).fill(0);
  }
  add(kind: 'mapping' | 'diagnostic' | 'shared', root: number): void {
    if (kind === 'mapping' || kind === 'shared') this.runs[root]!++;
    else this.diagnostics[root]!++;
  }
}

/**
 * Whether a listing is what a real table gives. A root that yields only diagnostics, or a listing with no mapping
 * at all, is implausible: a wrong register value (or `--base`) most often points at data or zeros, which read as
 * entries that lead outside the dump, reserved encodings, or nothing. Diagnostics that outnumber the mappings of a
 * root are only suspicious, and warned about.
 */
function plausibility(plan: AttachPlan, tally: RootTally): { warnings: string[]; implausible: boolean } {
  const warnings: string[] = [];
  let implausible = false;
  let runs = 0;
  plan.roots.forEach((root, r) => {
    const n = tally.runs[r]!;
    const d = tally.diagnostics[r]!;
    runs += n;
    const name = root.label ?? `root ${r}`;
    if (n === 0 && d > 0) {
      implausible = true;
      warnings.push(`${name}: ${d} diagnostic${d === 1 ? '' : 's'} and no mapping: is its register value (and --base) right?`);
    } else if (d > n) {
      warnings.push(`${name}: more diagnostics (${d}) than mappings (${n}): is its register value (and --base) right?`);
    }
  });
  if (runs === 0 && !implausible) {
    implausible = true;
    warnings.push('no mapping through any root: are the register values (and --base) right?');
  }
  return { warnings, implausible };
}

/**
 * The members that start a dump's JSON, the same for a listing and a translation (a listing with region names adds
 * the note that says where they come from).
 */
function headerJson(job: Job, regionNote?: string): Record<string, unknown> {
  const { arch, plan } = job;
  return {
    arch: arch.name,
    format: plan.format.name,
    source: job.source,
    registers: Object.fromEntries(Object.entries(job.registers).map(([k, v]) => [k, hex(v)])),
    notes: regionNote === undefined ? plan.notes : [...plan.notes, regionNote],
    roots: rootsJson(plan),
  };
}

/**
 * Lists one job, as text on `out` or as the next dump of `structured` (JSON or JSONL); returns the number of audit
 * findings and what looks wrong about the result.
 */
export function listJob(job: Job, s: Settings, out: Out, io: CliIo, structured: Structured | undefined): ListOutcome {
  const { plan, arch } = job;
  const digits = arch.addrDigits;
  let last = 0;
  const progress = s.progress
    ? (n: number) => {
        if ((n & 63) !== 0) return;
        const now = Date.now();
        if (now - last < 100) return;
        last = now;
        io.stderr(`\r\x1b[Kptdump: ${n} tables read`);
      }
    : undefined;
  const dump = walk(job, s, progress);
  const auditor = new MappingAuditor({ deviceFlags: arch.deviceFlags, keepFindings: KEEP_FINDINGS });
  const tally = new RootTally(plan.roots.length);
  const shown: FilterCount = { runs: 0, pages: 0 };
  const seen = (rec: DumpRecord | RunNumbers): void => {
    auditor.add(rec);
    tally.add(rec.kind, rec.root);
  };
  // without a filter the walk's own records, each seen in the loop: one generator less to resume per record
  const filtering = s.filter !== undefined;
  const layout = s.noRegions ? undefined : layoutOf(arch, plan);
  const marks = layout ? new RegionMarks(layout) : undefined;
  if (structured) {
    structured.begin(headerJson(job, layout?.note));
    structured.list('records');
    for (const rec of filtering ? selected(dump, s.filter, arch.deviceFlags, seen, shown) : dump) {
      if (!filtering) seen(rec);
      const value = rec.kind === 'mapping' ? runJson(rec, plan) : rec.kind === 'shared' ? sharedJson(rec) : diagnosticJson(rec);
      if (marks && rec.kind !== 'diagnostic') {
        // flat string and boolean members: the writer's fast path for flat records (_output.ts)
        const region = marks.at(rec.vaddr);
        value['region'] = region.name;
        value['regionGuess'] = region.guess;
      }
      structured.item(value);
    }
    if (progress) io.stderr('\r\x1b[K');
    const audit = auditor.report();
    structured.list('findings');
    eachFinding(job, s, audit, (f) => structured.item(findingJson(f)));
    structured.end({ summary: summaryJson(dump.summary), ...(s.filter ? { filter: filterJson(s.filter, shown) } : {}), audit: auditJson(audit) });
    return { findings: findingCount(audit), ...plausibility(plan, tally) };
  }
  out.line(`ptdump: ${plan.format.name} (${arch.name}) in ${job.source}`);
  out.line(`registers: ${registersText(job)}`);
  for (const n of plan.notes) out.line(`note: ${n}`);
  if (layout) out.line(`note: ${layout.note}`);
  let root = -1;
  // the text takes the walk's runs as numbers (one reused RunNumbers, no bigint per run); a filter's runs, which
  // are records, are copied into one
  const view = new RunNumbers();
  for (const rec of filtering ? selected(dump, s.filter, arch.deviceFlags, seen, shown) : dump.numbered()) {
    if (!filtering) seen(rec);
    while (root < rec.root) {
      root++;
      out.line(rootHeader(plan, root, digits));
    }
    const mark = marks?.enter(rec.root, rec.vaddr);
    if (mark !== undefined) out.line(mark);
    if (rec.kind === 'mapping') writeRunLine(out, rec instanceof RunNumbers ? rec : view.fromRun(rec), plan, digits);
    else out.line(rec.kind === 'shared' ? sharedLine(rec, plan, digits) : diagnosticLine(rec, digits));
  }
  if (progress) io.stderr('\r\x1b[K');
  while (root < plan.roots.length - 1) {
    root++;
    out.line(rootHeader(plan, root, digits));
  }
  const summary = dump.summary;
  const audit = auditor.report();
  if (s.audit) {
    out.line('---[ audit ]---');
    eachFinding(job, s, audit, (f) => out.line(findingLine(f)));
  }
  for (const l of summaryLines(plan, summary, audit)) out.line(l);
  if (s.filter) out.line(filterLine(s.filter, shown, summary.runs));
  return { findings: findingCount(audit), ...plausibility(plan, tally) };
}

/** Translates addresses through one job: text on `out`, or the next dump of `structured` (JSON or JSONL). */
export function translateJob(job: Job, vas: readonly bigint[], out: Out, structured: Structured | undefined): void {
  const src: DumpSource = { ...job.plan.format, handler: job.handler };
  const results = vas.map((va) => translateAddress(src, va, { roots: job.plan.roots }));
  if (structured) {
    structured.begin(headerJson(job));
    structured.list('translations');
    for (const t of results) structured.item(translationJson(t));
    structured.end({ summary: { addresses: results.length, mapped: results.filter((t) => t.mapped).length } });
    return;
  }
  out.line(`ptdump: ${job.plan.format.name} (${job.arch.name}) in ${job.source}; ${registersText(job)}`);
  for (const t of results) for (const l of translationLines(t, job.plan, job.arch.addrDigits)) out.line(l);
}
