// What the MMU checks (the *-mmu.ts runs) share when they compare the guest's recorded outcomes with the model's:
// each probe's outcome, counted by the kind the model gave (so that a test can see every case occurred) and
// compared as text; and, once the guest has gone through its probes, every table entry the run rewrote by hand and
// every word of the data region every leaf points into, in QEMU's memory and in the model's. An entry differs
// when the hardware set an accessed / dirty flag the model did not (or the other way), a data word when a store
// landed elsewhere. The texts, the entry and word widths and the names in the report are each run's.
import { hex, type PhysicalMemory } from '@page-table-multiarch/core';
import type { Checker } from './_check';
import type { GdbRemote } from '@page-table-multiarch/cli';

/** The outcomes of a run's probes: how many the model gave of each kind, and the comparisons with QEMU's. */
export class ProbeComparison {
  /** How many accesses the model translated ("ok load", ...) or faulted, by the run's name for the outcome. */
  readonly outcomes = new Map<string, number>();

  constructor(readonly checker: Checker) {}

  /**
   * One probe: counts the model's outcome `kind` and the probe, and compares our text of the outcome with QEMU's
   * (a mismatch named `what` when they differ).
   */
  probe(va: bigint, what: string, kind: string, ours: string, qemu: string): void {
    this.count(kind);
    this.checker.probes++;
    this.checker.check(va, what, ours, qemu);
  }

  /** Counts an outcome of the model without comparing it (a probe a known QEMU defect spoils). */
  count(kind: string): void {
    this.outcomes.set(kind, (this.outcomes.get(kind) ?? 0) + 1);
  }
}

/** What a run compares at its end. */
export interface EndOfRun {
  /** The entries rewritten by hand: where each is, and an address it translates (for the report). */
  readonly entries: readonly { readonly pa: bigint; readonly va: bigint }[];
  /** Bytes per entry: 8, or 4 for the ARMv7 short descriptors. */
  readonly entryBytes: 4 | 8;
  /** What an entry is called in the report ("entry", "descriptor"). */
  readonly entryName: string;
  /** The model's memory after the run. */
  readonly ours: PhysicalMemory;
  /** The data region: its physical address and length. */
  readonly data: bigint;
  readonly dataBytes: number;
  /** Bytes per data word compared. */
  readonly wordBytes: 4 | 8;
  /** The virtual address to report a data word against (the probe that wrote our or QEMU's value), if any. */
  readonly vaOfWord?: (ours: bigint, qemu: bigint) => bigint | undefined;
}

/** Reads one little-endian value of `bytes` bytes at `offset`. */
function valueAt(view: DataView, offset: number, bytes: 4 | 8): bigint {
  return bytes === 8 ? view.getBigUint64(offset, true) : BigInt(view.getUint32(offset, true));
}

/** Reads our value of `bytes` bytes at `pa`. */
function ourValue(ours: PhysicalMemory, pa: bigint, bytes: 4 | 8): bigint {
  return bytes === 8 ? ours.readU64(pa) : BigInt(ours.readU32(pa));
}

/**
 * Compares every rewritten entry (counted in `checker.leaves`) and every data word of QEMU's memory, read through
 * the gdb stub, with the model's: a mismatch each, named "<entryName> at <pa> at the end" and "data at <pa> at the
 * end".
 */
export async function compareAtTheEnd(gdb: GdbRemote, checker: Checker, run: EndOfRun): Promise<void> {
  for (const { pa, va } of run.entries) {
    const bytes = await gdb.readMemory(pa, run.entryBytes);
    const theirs = valueAt(new DataView(bytes.buffer, bytes.byteOffset, run.entryBytes), 0, run.entryBytes);
    checker.leaves++;
    checker.check(va, `${run.entryName} at ${hex(pa)} at the end`, hex(ourValue(run.ours, pa, run.entryBytes)), hex(theirs));
  }
  const data = await gdb.readMemory(run.data, run.dataBytes);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let off = 0; off < run.dataBytes; off += run.wordBytes) {
    const pa = run.data + BigInt(off);
    const want = ourValue(run.ours, pa, run.wordBytes);
    const got = valueAt(view, off, run.wordBytes);
    const va = run.vaOfWord?.(want, got) ?? pa;
    checker.check(va, `data at ${hex(pa)} at the end`, hex(want), hex(got));
  }
}
