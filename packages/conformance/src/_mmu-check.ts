// What the MMU checks (the *-mmu.ts and *-two-stage.ts runs) share. Each builds its tables and a probe list in one
// memory, hands QEMU an image of it and the model a copy, runs a guest program over the list, and compares each
// probe's outcome, counted by the kind the model gave (so that a test can see every case occurred) and compared as
// text; and, once the guest has gone through its probes, every table entry the run rewrote by hand and every word
// of the data region every leaf points into, in QEMU's memory and in the model's. An entry differs when the
// hardware set an accessed / dirty flag the model did not (or the other way), a data word when a store landed
// elsewhere. The texts, the entry and word widths and the names in the report are each run's.
import { Access, hex, PhysicalMemory } from '@page-table-multiarch/core';
import type { Checker } from './_check';
import type { GdbRemote } from '@page-table-multiarch/cli';
import { type Qemu, startQemu } from './_qemu';

/** The three access kinds of a probe, by `Access` value, as the reports name them. */
export const ACCESS_NAMES = ['load', 'store', 'fetch'] as const;

/**
 * The model's copy of the run's memory and QEMU's image of it, both taken from `memory` before either side has
 * changed a byte (the model's accessed / dirty updates and stores then go to `ours` only).
 */
export function modelCopy(memory: PhysicalMemory): { ours: PhysicalMemory; image: Uint8Array } {
  const ours = new PhysicalMemory({ size: memory.size, base: memory.base });
  ours.writeBytes(memory.base, memory.bytes());
  return { ours, image: memory.bytes().slice() };
}

/** Fills `bytes` of memory from `data` with one u64 per 8 bytes, `word(pa)` at `pa`. */
export function fillData(memory: PhysicalMemory, data: bigint, bytes: number, word: (pa: bigint) => bigint): void {
  for (let pa = data; pa < data + BigInt(bytes); pa += 8n) memory.writeU64(pa, word(pa));
}

/** A buffer of the guest's: where it starts, where the next one starts, and the bytes it takes per probe. */
export interface ProbeBuffer {
  readonly start: bigint;
  readonly end: bigint;
  readonly stride: number;
}

/** Throws unless `count` probes fit the probe list and their results fit the result buffer. */
export function assertProbesFit(count: number, list: ProbeBuffer, results: ProbeBuffer): void {
  const fits = (b: ProbeBuffer): boolean => BigInt(count * b.stride) <= b.end - b.start;
  if (!fits(list) || !fits(results)) throw new Error(`${count} probes do not fit the guest area`);
}

/**
 * Starts QEMU paused with `image` loaded at `base`, runs `body` on it and stops QEMU whatever happens. Returns what
 * QEMU wrote to stderr.
 */
export async function withQemu(binary: string, machine: readonly string[], base: bigint, image: Uint8Array, body: (qemu: Qemu) => Promise<void>): Promise<string> {
  const qemu = await startQemu({ binary, machine, images: [{ addr: base, bytes: image }] });
  let log = '';
  try {
    await body(qemu);
  } finally {
    log = qemu.stderr();
    await qemu.close();
  }
  return log;
}

/**
 * The model's outcome of an access that translated to `pa`, as text, with its effect on the model's memory: a store
 * writes `stored` there, a load reads the u64 there (`ok 0x...`). An address outside the data region is a defect
 * of the run's tables, which the text names so that the comparison shows it.
 */
export function modelDataAccess(ours: PhysicalMemory, access: number, pa: bigint, data: bigint, dataBytes: number, stored: bigint): string {
  if (pa < data || pa >= data + BigInt(dataBytes)) return `ok, outside the data region: ${hex(pa)}`;
  if (access === Access.EXECUTE) return 'ok';
  if (access === Access.WRITE) {
    ours.writeU64(pa, stored);
    return 'ok';
  }
  return `ok ${hex(ours.readU64(pa))}`;
}

/** Counts the page sizes of the probe targets that had a page (size > 0) in the checker's summary. */
export function countTargetSizes(checker: Checker, targets: readonly { readonly size: number }[]): void {
  for (const t of targets) if (t.size > 0) checker.pageSizes.set(t.size, (checker.pageSizes.get(t.size) ?? 0) + 1);
}

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

/** An entry a run rewrote by hand: where it is, an address it translates (for the report), and what it is called. */
export interface RewrittenEntry {
  readonly pa: bigint;
  readonly va: bigint;
  /** The name in the report, when not the run's `entryName` ("stage 2 descriptor"). */
  readonly name?: string;
}

/** What a run compares at its end. */
export interface EndOfRun {
  /** The entries rewritten by hand. */
  readonly entries: readonly RewrittenEntry[];
  /** Bytes per entry: 8 (the default), or 4 for the ARMv7 short descriptors and x86 32-bit paging. */
  readonly entryBytes?: 4 | 8;
  /** What an entry is called in the report: "entry" (the default), "descriptor". */
  readonly entryName?: string;
  /** The model's memory after the run. */
  readonly ours: PhysicalMemory;
  /** The data region: its physical address and length. */
  readonly data: bigint;
  readonly dataBytes: number;
  /** Bytes per data word compared: 8 (the default) or 4. */
  readonly wordBytes?: 4 | 8;
  /**
   * The virtual address to report the data word at `pa` against (the probe that wrote our or QEMU's value, or an
   * address that reaches it), if any; else the word is reported at `pa`.
   */
  readonly vaOfWord?: (ours: bigint, qemu: bigint, pa: bigint) => bigint | undefined;
}

/** Reads one little-endian value of `bytes` bytes at `offset`. */
function valueAt(view: DataView, offset: number, bytes: 4 | 8): bigint {
  return bytes === 8 ? view.getBigUint64(offset, true) : BigInt(view.getUint32(offset, true));
}

/** Reads our value of `bytes` bytes at `pa`. */
function ourValue(ours: PhysicalMemory, pa: bigint, bytes: 4 | 8): bigint {
  return bytes === 8 ? ours.readU64(pa) : BigInt(ours.readU32(pa));
}

/** Reads QEMU's value of `bytes` bytes at `pa`, through the gdb stub. */
export async function qemuValue(gdb: GdbRemote, pa: bigint, bytes: 4 | 8): Promise<bigint> {
  const read = await gdb.readMemory(pa, bytes);
  return valueAt(new DataView(read.buffer, read.byteOffset, bytes), 0, bytes);
}

/**
 * Compares every rewritten entry (counted in `checker.leaves`) of QEMU's memory, read through the gdb stub, with
 * the model's: a mismatch each, named "<entryName> at <pa> at the end".
 */
export async function compareEntriesAtTheEnd(gdb: GdbRemote, checker: Checker, run: EndOfRun): Promise<void> {
  const bytes = run.entryBytes ?? 8;
  for (const { pa, va, name } of run.entries) {
    const theirs = await qemuValue(gdb, pa, bytes);
    checker.leaves++;
    checker.check(va, `${name ?? run.entryName ?? 'entry'} at ${hex(pa)} at the end`, hex(ourValue(run.ours, pa, bytes)), hex(theirs));
  }
}

/** Compares every data word of QEMU's memory with the model's: a mismatch each, named "data at <pa> at the end". */
export async function compareDataAtTheEnd(gdb: GdbRemote, checker: Checker, run: EndOfRun): Promise<void> {
  const data = await gdb.readMemory(run.data, run.dataBytes);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const bytes = run.wordBytes ?? 8;
  for (let off = 0; off < run.dataBytes; off += bytes) {
    const pa = run.data + BigInt(off);
    const want = ourValue(run.ours, pa, bytes);
    const got = valueAt(view, off, bytes);
    const va = run.vaOfWord?.(want, got, pa) ?? pa;
    checker.check(va, `data at ${hex(pa)} at the end`, hex(want), hex(got));
  }
}

/**
 * A {@link EndOfRun.vaOfWord} for runs whose store probes write markers: a data word is reported at the address of
 * the probe whose marker QEMU's word (else the model's) is; `indexOf` reads the probe's index + 1 from a word, or
 * 0 from a word that is no marker.
 */
export function markerWriterVa(order: readonly { readonly target: { readonly va: bigint } }[], indexOf: (word: bigint) => number): (ours: bigint, qemu: bigint) => bigint | undefined {
  const writer = (word: bigint): bigint | undefined => {
    const i = indexOf(word);
    return i > 0 ? order[i - 1]?.target.va : undefined;
  };
  return (ours, qemu) => writer(qemu) ?? writer(ours);
}

/** Both comparisons at the end of a run: the rewritten entries, then the data region. */
export async function compareAtTheEnd(gdb: GdbRemote, checker: Checker, run: EndOfRun): Promise<void> {
  await compareEntriesAtTheEnd(gdb, checker, run);
  await compareDataAtTheEnd(gdb, checker, run);
}
