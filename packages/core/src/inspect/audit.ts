// Security audit of a dump: the checks Linux runs at boot (CONFIG_DEBUG_WX, "Checked W+X mappings") and two more
// that a forensic reader wants, over the runs of dumpMappings.
import type { DumpRecord, MappingRun } from './dump';
import { RunNumbers } from './run-record';
import type { SharedTable } from './shared';
import { hex } from '../errors';
import type { MappingFlags } from '../flags';

const WRITE = 2;
const EXECUTE = 4;
const USER = 8;
const DEVICE = 16;

/** What an audit finding is about. */
export type AuditKind =
  /** Writable and executable at once (effective permissions). */
  | 'W+X'
  /** In the kernel's range, reachable from user mode, and executable. */
  | 'UserExecKernel'
  /** Device memory that instructions may be fetched from. */
  | 'ExecDevice';

/** One unsafe run, or the unsafe mappings below a shared table on one more path. */
export interface AuditFinding {
  /** Which check the run fails. */
  readonly kind: AuditKind;
  /**
   * The run; or the shared-table record whose entries reach the unsafe mappings again (a table listed once is
   * checked under every entry that reaches it).
   */
  readonly run: MappingRun | SharedTable;
  /** 4 KiB pages the finding covers (as Linux counts W+X pages; for a shared table, over all its references). */
  readonly pages: bigint;
  /** One line: `W+X mapping 0xffff800000000000-0xffff800000200000 (2M pages)`. */
  readonly message: string;
}

/** The findings and their count. */
export interface AuditReport {
  /** Every finding, in the order of the runs (a run may fail several checks). */
  readonly findings: readonly AuditFinding[];
  /** Findings per kind. */
  readonly counts: Readonly<Record<AuditKind, number>>;
  /** 4 KiB pages that are W+X. */
  readonly wxPages: bigint;
  /** Runs checked. */
  readonly checked: number;
  /** Linux's summary line: `Checked W+X mappings: passed, no W+X pages found.` or `... FAILED, 5 W+X pages found.` */
  readonly line: string;
}

/** Options of {@link auditMappings}. */
export interface AuditOptions {
  /**
   * Whether a run is in the kernel's range (default: the run's `kernel` flag, from its root). A shared-table record
   * is judged by its own `kernel` flag.
   */
  readonly isKernel?: (run: MappingRun) => boolean;
  /**
   * The flags that mark device memory (default DEVICE). x86_64 maps MMIO uncached (PCD), which its codec reads
   * as UNCACHED: pass `DEVICE | UNCACHED` there.
   */
  readonly deviceFlags?: MappingFlags;
}

/** Options of {@link MappingAuditor}: those of {@link auditMappings}, how many findings to keep, and a callback. */
export interface AuditorOptions extends AuditOptions {
  /**
   * Keep at most this many findings in the report's `findings` (default: every one). The counts, `wxPages` and
   * the line count every finding either way; compare `findings.length` with the sum of `counts` to know whether
   * the list is whole. A listing of millions of runs audits in constant memory with a small limit.
   */
  readonly keepFindings?: number;
  /** Called with every finding as it is found, kept or not (to write findings out instead of keeping them). */
  readonly onFinding?: (finding: AuditFinding) => void;
}

/**
 * The audit of {@link auditMappings} one record at a time, for a dump that is listed as it is walked: feed it each
 * record with {@link add}, read {@link report} at the end. Keeps no record, and at most `keepFindings` findings.
 * @example
 * const auditor = new MappingAuditor({ keepFindings: 100 });
 * for (const rec of dumpMappings(table)) { auditor.add(rec); print(rec); }
 * console.log(auditor.report().line);
 */
export class MappingAuditor {
  /** @internal */ private readonly findings: AuditFinding[] = [];
  /** @internal */ private readonly counts: Record<AuditKind, number> = { 'W+X': 0, UserExecKernel: 0, ExecDevice: 0 };
  /** @internal */ private wxPages = 0n;
  /** @internal */ private checked = 0;
  /** @internal */ private readonly keep: number;
  /** @internal */ private readonly isKernel: ((run: MappingRun) => boolean) | undefined;
  /** @internal */ private readonly device: number;
  /** @internal */ private readonly onFinding: ((finding: AuditFinding) => void) | undefined;

  /** @throws RangeError when `keepFindings` is not a non-negative integer (or Infinity). */
  constructor(options: AuditorOptions = {}) {
    const keep = options.keepFindings ?? Number.POSITIVE_INFINITY;
    if (!(keep === Number.POSITIVE_INFINITY || (Number.isInteger(keep) && keep >= 0))) {
      throw new RangeError(`MappingAuditor: keepFindings ${String(keep)} is not a non-negative integer`);
    }
    this.keep = keep;
    this.isKernel = options.isKernel;
    this.device = options.deviceFlags ?? DEVICE;
    this.onFinding = options.onFinding;
  }

  /**
   * Checks one record (diagnostics are skipped; a shared-table record is checked for what its table maps, once per
   * reference). Allocates only for a finding kept or given to `onFinding`. A {@link RunNumbers} (a numbered walk's
   * run) is checked as the record it stands for, and copied into one only for a finding.
   */
  add(rec: DumpRecord | RunNumbers): void {
    if (rec.kind === 'shared') {
      this.addShared(rec);
      return;
    }
    if (rec.kind !== 'mapping') return;
    this.checked++;
    const f: MappingFlags = rec.effective;
    // executable, but neither writable, nor user-accessible, nor device memory: no check can fail
    if ((f & EXECUTE) === 0 || (f & (WRITE | USER | this.device)) === 0) return;
    this.check(f, rec instanceof RunNumbers ? rec.toRun() : rec);
  }

  /** @internal The checks of an executable run. */
  private check(f: MappingFlags, rec: MappingRun): void {
    if ((f & WRITE) !== 0) {
      this.found('W+X', rec, 'W+X mapping');
      this.wxPages += rec.size / 4096n;
    }
    if ((f & USER) !== 0 && (this.isKernel ? this.isKernel(rec) : rec.kernel)) this.found('UserExecKernel', rec, 'user-executable kernel mapping');
    if ((f & this.device) !== 0) this.found('ExecDevice', rec, 'executable device mapping');
  }

  /** The findings kept and the totals of every record added so far. */
  report(): AuditReport {
    const line =
      this.wxPages === 0n
        ? 'Checked W+X mappings: passed, no W+X pages found.'
        : `Checked W+X mappings: FAILED, ${this.wxPages} W+X pages found.`;
    return { findings: [...this.findings], counts: { ...this.counts }, wxPages: this.wxPages, checked: this.checked, line };
  }

  /** @internal The checks of {@link add} over what a shared table maps, for each entry of the record that reaches it. */
  private addShared(rec: SharedTable): void {
    this.checked++;
    let wx = 0n;
    let userExec = 0n;
    let execDevice = 0n;
    for (const [f, bytes] of rec.bytesByFlags) {
      if ((f & EXECUTE) === 0) continue;
      if ((f & WRITE) !== 0) wx += bytes;
      if ((f & USER) !== 0 && rec.kernel) userExec += bytes;
      if ((f & this.device) !== 0) execDevice += bytes;
    }
    const refs = BigInt(rec.references);
    const where = `through the shared table at ${hex(rec.table)} (listed from ${hex(rec.listedAt)}), ${hex(rec.vaddr)}-${hex(rec.end)}`;
    if (wx > 0n) {
      this.wxPages += (wx * refs) / 4096n;
      this.found('W+X', rec, `W+X mappings ${where}`, (wx * refs) / 4096n);
    }
    if (userExec > 0n) this.found('UserExecKernel', rec, `user-executable kernel mappings ${where}`, (userExec * refs) / 4096n);
    if (execDevice > 0n) this.found('ExecDevice', rec, `executable device mappings ${where}`, (execDevice * refs) / 4096n);
  }

  /** @internal */ private found(kind: AuditKind, run: MappingRun | SharedTable, what: string, pages?: bigint): void {
    this.counts[kind]++;
    const keep = this.findings.length < this.keep;
    if (!keep && this.onFinding === undefined) return;
    const finding = auditFinding(kind, run, what, pages);
    // under a limit, a kept finding holds copies: the objects a walk makes for every run (the run, a finding given
    // to onFinding) then never outlive it, so V8 keeps allocating them in the young generation. Kept, they would
    // teach V8 that those objects live long, and it would allocate every later one in the old generation, where
    // dead ones pile up until a full collection (the peak of a long listing about 40 MiB higher). Without a limit
    // everything is kept anyway, and a finding holds the run it was given, as auditMappings always did.
    if (keep) this.findings.push(this.keep === Number.POSITIVE_INFINITY ? finding : { ...finding, run: { ...run } });
    this.onFinding?.(finding);
  }
}

/** A finding: the run, its 4 KiB pages, and its line (a shared table's are counted by the caller, its line written). */
function auditFinding(kind: AuditKind, run: MappingRun | SharedTable, what: string, pages?: bigint): AuditFinding {
  if (run.kind === 'shared') return { kind, run, pages: pages!, message: what };
  return { kind, run, pages: run.size / 4096n, message: `${what} ${hex(run.vaddr)}-${hex(run.end)} -> ${hex(run.paddr)}` };
}

/**
 * Checks runs (or whole dump records; diagnostics are skipped) for W+X mappings, user-accessible executable
 * mappings in the kernel's range, and executable device memory. Uses the effective permissions, so a table
 * entry that forbids writes or execution below it clears the finding. Keeps every finding: for a listing of
 * many runs, {@link MappingAuditor} keeps only as many as asked.
 * @example
 * const report = auditMappings(dumpMappings(table));
 * console.log(report.line); // "Checked W+X mappings: passed, no W+X pages found."
 */
export function auditMappings(records: Iterable<DumpRecord>, options: AuditOptions = {}): AuditReport {
  const auditor = new MappingAuditor(options);
  for (const rec of records) auditor.add(rec);
  return auditor.report();
}
