// Security audit of a dump: the checks Linux runs at boot (CONFIG_DEBUG_WX, "Checked W+X mappings") and two more
// that a forensic reader wants, over the runs of dumpMappings.
import type { DumpRecord, MappingRun } from './dump';
import { hex } from './errors';
import type { MappingFlags } from './flags';

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

/** One unsafe run. */
export interface AuditFinding {
  /** Which check the run fails. */
  readonly kind: AuditKind;
  /** The run. */
  readonly run: MappingRun;
  /** 4 KiB pages the run covers (as Linux counts W+X pages). */
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
  /** Whether a run is in the kernel's range (default: the run's `kernel` flag, from its root). */
  readonly isKernel?: (run: MappingRun) => boolean;
  /**
   * The flags that mark device memory (default DEVICE). x86_64 maps MMIO uncached (PCD), which its codec reads
   * as UNCACHED: pass `DEVICE | UNCACHED` there.
   */
  readonly deviceFlags?: MappingFlags;
}

/**
 * Checks runs (or whole dump records; diagnostics are skipped) for W+X mappings, user-accessible executable
 * mappings in the kernel's range, and executable device memory. Uses the effective permissions, so a table
 * entry that forbids writes or execution below it clears the finding.
 * @example
 * const report = auditMappings(dumpMappings(table));
 * console.log(report.line); // "Checked W+X mappings: passed, no W+X pages found."
 */
export function auditMappings(records: Iterable<DumpRecord>, options: AuditOptions = {}): AuditReport {
  const findings: AuditFinding[] = [];
  const counts: Record<AuditKind, number> = { 'W+X': 0, UserExecKernel: 0, ExecDevice: 0 };
  let wxPages = 0n;
  let checked = 0;
  const isKernel = options.isKernel ?? ((run: MappingRun) => run.kernel);
  const device = options.deviceFlags ?? DEVICE;
  const add = (kind: AuditKind, run: MappingRun, what: string): void => {
    const pages = run.size / 4096n;
    counts[kind]++;
    findings.push({ kind, run, pages, message: `${what} ${hex(run.vaddr)}-${hex(run.end)} -> ${hex(run.paddr)}` });
  };
  for (const rec of records) {
    if (rec.kind !== 'mapping') continue;
    checked++;
    const f: MappingFlags = rec.effective;
    if ((f & WRITE) !== 0 && (f & EXECUTE) !== 0) {
      add('W+X', rec, 'W+X mapping');
      wxPages += rec.size / 4096n;
    }
    if ((f & USER) !== 0 && (f & EXECUTE) !== 0 && isKernel(rec)) add('UserExecKernel', rec, 'user-executable kernel mapping');
    if ((f & device) !== 0 && (f & EXECUTE) !== 0) add('ExecDevice', rec, 'executable device mapping');
  }
  const line =
    wxPages === 0n
      ? 'Checked W+X mappings: passed, no W+X pages found.'
      : `Checked W+X mappings: FAILED, ${wxPages} W+X pages found.`;
  return { findings, counts, wxPages, checked, line };
}
