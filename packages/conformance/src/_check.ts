// Comparing the library's answers with the emulated hardware's, and saying what was compared.
import { formatFlags, formatPageSize, hex, type LeafMapping, type PageTable64 } from '@page-table-multiarch/core';
import type { Sample, Translation } from './_layout';

/** What one run against QEMU found. */
export interface RunResult {
  readonly checker: Checker;
  readonly samples: readonly Sample[];
  /** In a negative-control run: the leaf whose entry QEMU was given corrupted. */
  readonly tampered: LeafMapping | null;
  /** What QEMU wrote to stderr (its `-d` log when asked for one). */
  readonly log: string;
  /** The guest code the run loaded (none for x86_64 and RISC-V): where it runs, and its instruction words. */
  readonly code: readonly { readonly addr: bigint; readonly words: readonly number[] }[];
}

/** One disagreement between the library and QEMU. */
export interface Mismatch {
  readonly va: bigint;
  /** What was compared: "translation", "leaf", "user write", ... */
  readonly what: string;
  readonly ours: string;
  readonly qemu: string;
}

/** Text of a translation (or of its absence). */
export function showTranslation(t: Translation | null): string {
  if (t === null) return 'not mapped';
  return `${hex(t.pa)} (${formatPageSize(t.size)}, ${formatFlags(t.flags)})`;
}

/** Text of a physical address answer (null: no translation). */
export function showPa(pa: bigint | null): string {
  return pa === null ? 'not mapped' : hex(pa);
}

/** Collects mismatches and counts what was checked. */
export class Checker {
  readonly mismatches: Mismatch[] = [];
  /** Addresses whose translation was compared. */
  addresses = 0;
  /** Individual comparisons (translations, leaves, permission probes). */
  comparisons = 0;
  /** Leaf entries compared one by one with the emulator's listing. */
  leaves = 0;
  /** Distinct requested flag sets whose permissions were checked. */
  readonly flagSets = new Set<number>();
  /** Permission probes (one access kind at one address). */
  probes = 0;
  /** Leaves in the tables under test, by page size. */
  readonly pageSizes = new Map<number, number>();
  /** Known emulator defects skipped: text -> how often, and how often QEMU's answer did differ from ours. */
  readonly skipped = new Map<string, { count: number; differed: number }>();

  /** Counts the leaves of a table under test by page size (for the summary). */
  countLeaves(table: PageTable64): void {
    for (const m of table.mappings()) this.pageSizes.set(m.size, (this.pageSizes.get(m.size) ?? 0) + 1);
  }

  /** Records a comparison; a mismatch when `ours !== qemu`. */
  check(va: bigint, what: string, ours: string, qemu: string): boolean {
    this.comparisons++;
    if (ours === qemu) return true;
    this.mismatches.push({ va, what, ours, qemu });
    return false;
  }

  /**
   * Counts comparisons skipped because of a known emulator defect (not ours), and whether QEMU's answer
   * did differ (so a newer QEMU without the defect shows up as "differed 0").
   */
  skip(reason: string, differed: boolean, count = 1): void {
    const e = this.skipped.get(reason) ?? { count: 0, differed: 0 };
    e.count += count;
    if (differed) e.differed += count;
    this.skipped.set(reason, e);
  }

  /** The mismatches as a readable block (at most `limit` lines). */
  report(limit = 40): string {
    const lines = this.mismatches
      .slice(0, limit)
      .map((m) => `  VA ${hex(m.va)} ${m.what}: ours ${m.ours}, QEMU ${m.qemu}`);
    if (this.mismatches.length > limit) lines.push(`  ... and ${this.mismatches.length - limit} more`);
    return lines.join('\n');
  }

  /** Throws with every mismatch listed, when there is any. */
  assertNone(context: string): void {
    if (this.mismatches.length > 0) {
      throw new Error(`${context}: ${this.mismatches.length} mismatches between the library and QEMU\n${this.report()}`);
    }
  }

  /** The summary line a test prints. */
  summary(name: string): string {
    const sizes = [...this.pageSizes.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([size, n]) => `${n}x${formatPageSize(size)}`)
      .join(' ');
    const skipped = [...this.skipped.entries()].map(([k, v]) => `${v.count} skipped (${k}; QEMU differed in ${v.differed})`);
    const parts = [
      `${name}: ${this.addresses} addresses translated`,
      `${this.flagSets.size} flag combinations`,
      `${this.probes} permission probes`,
      ...(this.leaves > 0 ? [`${this.leaves} leaf entries compared one by one`] : []),
      `${this.comparisons} comparisons`,
      `${this.mismatches.length} mismatches`,
      ...skipped,
    ];
    return `${parts.join(', ')} [leaves: ${sizes}]`;
  }
}
