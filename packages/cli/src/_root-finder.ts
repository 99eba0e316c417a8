// Finding the top-level tables of a dump that came without registers, as memory-forensics tools do: every frame is
// read as a root of each format the architecture may use; a frame whose present entries are all well-formed, whose
// table pointers all stay inside the dump and reach well-formed tables, and which maps something in the kernel's
// half is a candidate; the best
// candidates are then walked (a bounded number of tables each) and ranked by how much well-formed structure hangs
// below them. The scan and the walk read each table's words in place (no BigInt, no allocation per entry).
import {
  type AttachPlan,
  type DumpRoot,
  type EntryInspector,
  MappingFlags,
  type PagingHandler,
  type PagingMetaData,
  type PTEWords,
  RegisterError,
  wordsOf,
} from '@page-table-multiarch/core';
import type { ArchSpec } from './_arches';

/** A format a root may have, and the register values that make the CPU walk a root of it. */
export interface RootProfile {
  /** The architecture (an {@link ArchSpec} name). */
  readonly arch: string;
  /** The register options for a root at `root`, as ptdump takes them. */
  registers(root: bigint): Record<string, bigint>;
}

// x86_64: CR4.PAE (bit 5) and, for 5-level paging, CR4.LA57 (bit 12); IA32_EFER SCE, LME, LMA, NXE (bits 0, 8, 10,
// 11); CR0 PE, MP, ET, NE, WP, AM, PG as Linux runs (Intel SDM Vol. 3A 2.2.1, 2.5, 4.1.1)
const X86_EFER = 0xd01n;
const X86_CR0 = 0x8005_0033n;
// AArch64 TCR_EL1 for a TTBR1 alone (Arm ARM DDI 0487 K.a, the AArch64 System Register description of TCR_EL1):
// T1SZ [21:16], EPD0 [7] = 1 so that no TTBR0 walk is assumed, TG1 [31:30] = 0b10 (4 KiB granule), IPS [34:32] =
// 0b101 (48 bits); T0SZ [5:0] is set to T1SZ only to keep the value consistent. Linux arm64 with 4 KiB pages uses
// 48- or 39-bit VAs.
const a64Tcr = (tsz: bigint): bigint => tsz | (1n << 7n) | (tsz << 16n) | (2n << 30n) | (5n << 32n);
// RISC-V satp (The RISC-V Instruction Set Manual, Volume II: Privileged Architecture, 4.1.11 "Supervisor Address
// Translation and Protection (satp) Register", SXLEN = 64): MODE [63:60] (8 Sv39, 9 Sv48, 10 Sv57), PPN [43:0]
const satp = (mode: bigint) => (root: bigint) => ({ satp: (mode << 60n) | (root >> 12n) });

/** The formats --find-roots tries for each architecture it supports, the most common first. */
export const ROOT_PROFILES: readonly RootProfile[] = Object.freeze([
  { arch: 'x86_64', registers: (root: bigint) => ({ cr3: root, cr4: 0x20n, efer: X86_EFER, cr0: X86_CR0 }) },
  { arch: 'x86_64', registers: (root: bigint) => ({ cr3: root, cr4: 0x1020n, efer: X86_EFER, cr0: X86_CR0 }) },
  { arch: 'aarch64', registers: (root: bigint) => ({ ttbr1: root, tcr: a64Tcr(16n) }) },
  { arch: 'aarch64', registers: (root: bigint) => ({ ttbr1: root, tcr: a64Tcr(25n) }) },
  { arch: 'riscv64', registers: satp(8n) },
  { arch: 'riscv64', registers: satp(9n) },
  { arch: 'riscv64', registers: satp(10n) },
]);

/** A candidate root and what a bounded walk of it found. */
export interface RootCandidate {
  /** Physical address of the table. */
  readonly root: bigint;
  /** The format's name (`x86_64 4-level`, `Sv48`, ...). */
  readonly format: string;
  /** The register options that select it. */
  readonly registers: Readonly<Record<string, bigint>>;
  /** Present entries in the root table. */
  readonly entries: number;
  /**
   * Well-formed tables reached, the root included (at most {@link WALK_TABLES} read): at least one present entry,
   * every present entry well-formed and every table pointer inside the dump.
   */
  readonly tables: number;
  /** Tables reached that are not well-formed (data read as a table); not descended into. */
  readonly badTables: number;
  /** Leaf entries of the well-formed tables. */
  readonly leaves: number;
  /**
   * Leaves in the kernel's range without the user bit, less those with it: a kernel maps its half for itself, so
   * a process's own table read as a kernel root (AArch64 TTBR0 as TTBR1) comes out negative. Breaks ties.
   */
  readonly kernelBalance: number;
  /** The rank's key: {@link scoreOf}. */
  readonly score: number;
}

/** Roots per format kept from the scan for the walk (the ones with the most present entries). */
export const SCAN_KEEP = 1024;
/** Tables each candidate's walk may read. */
export const WALK_TABLES = 128;

/**
 * The rank of a candidate: its well-formed tables less four for each table that is not. A true root has many
 * well-formed tables below it; a lower-level table, data, or a stray pointer read as a root soon leads into
 * frames whose entries, read as a table, point outside the dump or are reserved encodings.
 */
export function scoreOf(c: Pick<RootCandidate, 'tables' | 'badTables'>): number {
  return c.tables - 4 * c.badTables;
}

/** Sorted [start, end) of the memory's ranges, as doubles (physical addresses below 2^53). */
interface Spans {
  readonly start: Float64Array;
  readonly end: Float64Array;
}

function spansOf(ranges: readonly { readonly base: bigint; readonly size: bigint }[]): Spans {
  const sorted = [...ranges].sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  return { start: Float64Array.from(sorted, (r) => Number(r.base)), end: Float64Array.from(sorted, (r) => Number(r.base + r.size)) };
}

/** Whether [pa, pa + bytes) lies inside one span (binary search). */
function inside(s: Spans, pa: number, bytes: number): boolean {
  let lo = 0;
  let hi = s.start.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (pa < s.start[mid]!) hi = mid - 1;
    else if (pa >= s.end[mid]!) lo = mid + 1;
    else return pa + bytes <= s.end[mid]!;
  }
  return false;
}

/** Bytes of a table at `level`. */
function tableBytes(meta: PagingMetaData, level: number): number {
  return meta.tableBytes?.[level] ?? meta.entryBytes << meta.indexBits[level]!;
}

/** The entries of the root table whose addresses are in a kernel range: [first, last] per kernel root. */
function kernelIndexes(meta: PagingMetaData, roots: readonly DumpRoot[]): [number, number] {
  let first = Number.MAX_SAFE_INTEGER;
  let last = -1;
  for (const r of roots) {
    if (!r.kernel) continue;
    const level = r.startLevel ?? 0;
    let shift = meta.pageShift;
    for (let l = level + 1; l < meta.levels; l++) shift += meta.indexBits[l]!;
    const mask = (1n << BigInt(meta.indexBits[level]!)) - 1n;
    first = Math.min(first, Number((BigInt(r.vaStart) >> BigInt(shift)) & mask));
    last = Math.max(last, Number(((BigInt(r.vaEnd) - 1n) >> BigInt(shift)) & mask));
  }
  return [first, last];
}

/** What reading a table of one level needs, fixed for a format. */
interface LevelScan {
  readonly w: PTEWords;
  readonly insp: EntryInspector | undefined;
  readonly level: number;
  readonly bytes: number;
  readonly entries: number;
  /** u32 words per entry (2 for 8-byte entries). */
  readonly step: number;
  /** Whether an entry here may be a leaf (the last level, or a large page). */
  readonly leafLevel: boolean;
  readonly last: boolean;
  /** Bytes of a table one level down. */
  readonly childBytes: number;
}

function levelScans(plan: AttachPlan): LevelScan[] {
  const meta = plan.format.meta;
  const w = wordsOf(plan.format.pte);
  const out: LevelScan[] = [];
  for (let level = 0; level < meta.levels; level++) {
    const bytes = tableBytes(meta, level);
    const last = level === meta.levels - 1;
    out.push({
      w,
      insp: plan.format.inspector,
      level,
      bytes,
      entries: bytes / meta.entryBytes,
      step: meta.entryBytes >>> 2,
      leafLevel: last || meta.leafLevels.includes(level),
      last,
      childBytes: last ? 0 : tableBytes(meta, level + 1),
    });
  }
  return out;
}

/** Whether the present entry (lo, hi) of a table at `f`'s level is a leaf. */
function isLeaf(f: LevelScan, lo: number, hi: number): boolean {
  return f.last || f.w.isHuge(lo, hi, f.level);
}

/** The physical address an entry points at, as a double. */
function target(f: LevelScan, lo: number, hi: number): number {
  return f.w.paddrHi(lo, hi, f.level) * 0x1_0000_0000 + f.w.paddrLo(lo, hi, f.level);
}

/** Whether a present entry is well-formed: a leaf where leaves may be, no reserved encoding, a table inside the dump. */
function wellFormed(f: LevelScan, lo: number, hi: number, spans: Spans): boolean {
  const leaf = isLeaf(f, lo, hi);
  if (leaf && !f.leafLevel) return false;
  if (f.insp?.problem?.(lo, hi, f.level, leaf) !== undefined) return false;
  return leaf || inside(spans, target(f, lo, hi), f.childBytes);
}

/**
 * Present entries of the table whose words start at `t` when it reads as a root at `f`'s level: all
 * well-formed and at least one in [kernelFirst, kernelLast]; else 0. The tables its entries point at are written to
 * `children`, {@link childCount} of them.
 */
function rootEntries(words: Uint32Array, t: number, f: LevelScan, spans: Spans, kernelFirst: number, kernelLast: number, children: Float64Array): number {
  let present = 0;
  let kernel = 0;
  childCount = 0;
  for (let i = 0; i < f.entries; i++) {
    const lo = words[t + i * f.step]!;
    const hi = f.step === 2 ? words[t + i * f.step + 1]! : 0;
    // most of a dump is zeros, and a zero entry is unused in every format: skip it without a call
    if ((lo | hi) === 0 || !f.w.isPresent(lo, hi, f.level)) continue;
    if (!wellFormed(f, lo, hi, spans)) return 0;
    present++;
    if (i >= kernelFirst && i <= kernelLast) kernel++;
    if (!isLeaf(f, lo, hi)) children[childCount++] = target(f, lo, hi);
  }
  return kernel > 0 ? present : 0;
}

/** Tables written to the `children` array by the last {@link rootEntries}. */
let childCount = 0;

/**
 * Whether the tables a root candidate points at read as tables of the next level: every present entry
 * well-formed, and at least one of them with an entry (a leaf table read as a root points at data or at zeros).
 * A root whose entries are all leaves passes.
 */
function childrenWellFormed(handler: PagingHandler, spans: Spans, f: LevelScan, children: Float64Array, count: number): boolean {
  if (count === 0) return true;
  let filled = false;
  for (let k = 0; k < count; k++) {
    const pa = children[k]!;
    const hiAddr = Math.floor(pa / 0x1_0000_0000);
    const t = handler.wordIndex(pa - hiAddr * 0x1_0000_0000, hiAddr);
    if (t < 0) return false;
    const words = handler.words;
    for (let i = 0; i < f.entries; i++) {
      const lo = words[t + i * f.step]!;
      const hi = f.step === 2 ? words[t + i * f.step + 1]! : 0;
      if ((lo | hi) === 0 || !f.w.isPresent(lo, hi, f.level)) continue;
      if (!wellFormed(f, lo, hi, spans)) return false;
      filled = true;
    }
  }
  return filled;
}

/** Keeps the {@link SCAN_KEEP} entries with the most present entries (the first found among equals); returns the floor. */
function trim(kept: { root: number; entries: number }[]): number {
  kept.sort((a, b) => b.entries - a.entries || a.root - b.root);
  if (kept.length > SCAN_KEEP) kept.length = SCAN_KEEP;
  return kept.length < SCAN_KEEP ? 0 : kept[SCAN_KEEP - 1]!.entries;
}

/** The best {@link SCAN_KEEP} roots of one format in the memory, by present entries. */
function scan(handler: PagingHandler, spans: Spans, plan: AttachPlan, levels: readonly LevelScan[]): { root: number; entries: number }[] {
  const level = plan.roots[0]?.startLevel ?? 0;
  const f = levels[level]!;
  const [kernelFirst, kernelLast] = kernelIndexes(plan.format.meta, plan.roots);
  const kept: { root: number; entries: number }[] = [];
  // copied out of the root before its children are read: reading them may page the root's chunk out
  const children = new Float64Array(f.entries);
  const below = levels[level + 1];
  let floor = 0;
  for (let s = 0; s < spans.start.length; s++) {
    const first = Math.ceil(spans.start[s]! / f.bytes) * f.bytes;
    for (let pa = first; pa + f.bytes <= spans.end[s]!; pa += f.bytes) {
      const hi = Math.floor(pa / 0x1_0000_0000);
      const t = handler.wordIndex(pa - hi * 0x1_0000_0000, hi);
      if (t < 0) continue;
      const n = rootEntries(handler.words, t, f, spans, kernelFirst, kernelLast, children);
      if (n === 0 || n <= floor) continue;
      if (below !== undefined && !childrenWellFormed(handler, spans, below, children, childCount)) continue;
      kept.push({ root: pa, entries: n });
      // trimmed back to SCAN_KEEP once twice that many are kept: a sort per SCAN_KEEP candidates, not per candidate
      if (kept.length >= 2 * SCAN_KEEP) floor = trim(kept);
    }
  }
  trim(kept);
  return kept;
}

/**
 * Leaves a table needs before the changes of permission between neighbours judge it: with more than half of the
 * neighbouring leaves differing, it is data, not a leaf table.
 */
const MIN_LEAVES_JUDGED = 8;

/** What the walk of a candidate counts. */
interface WalkCounts {
  tables: number;
  badTables: number;
  leaves: number;
  kernelBalance: number;
}

/**
 * Walks the tables below a candidate root, breadth first, each table once, at most {@link WALK_TABLES}: counts the
 * well-formed tables (descended into) and the others (not), and the leaves of the well-formed ones.
 */
function walkCandidate(handler: PagingHandler, spans: Spans, levels: readonly LevelScan[], plan: AttachPlan, root: number): WalkCounts {
  const startLevel = plan.roots[0]?.startLevel ?? 0;
  const [kernelFirst, kernelLast] = kernelIndexes(plan.format.meta, plan.roots);
  const counts: WalkCounts = { tables: 0, badTables: 0, leaves: 0, kernelBalance: 0 };
  // the queue holds (address, level, in the kernel's range) triples; each table is read once
  const queue: number[] = [root, startLevel, 1];
  const seen = new Set<number>([root]);
  let read = 0;
  for (let q = 0; q < queue.length && read < WALK_TABLES; q += 3, read++) {
    const pa = queue[q]!;
    const f = levels[queue[q + 1]!]!;
    const underRoot = pa === root;
    const hiAddr = Math.floor(pa / 0x1_0000_0000);
    const t = handler.wordIndex(pa - hiAddr * 0x1_0000_0000, hiAddr);
    if (t < 0) {
      counts.badTables++;
      continue;
    }
    const words = handler.words;
    let present = 0;
    let good = true;
    let leaves = 0;
    let balance = 0;
    // permissions that change from one leaf to the next: a kernel's leaf tables hold runs of alike pages, data read
    // as a leaf table (whose every entry may decode as a page) changes nearly every time
    let lastFlags = -1;
    let flips = 0;
    const children = queue.length;
    for (let i = 0; i < f.entries && good; i++) {
      const lo = words[t + i * f.step]!;
      const hi = f.step === 2 ? words[t + i * f.step + 1]! : 0;
      if (!f.w.isPresent(lo, hi, f.level)) continue;
      present++;
      if (!wellFormed(f, lo, hi, spans)) good = false;
      else if (isLeaf(f, lo, hi)) {
        leaves++;
        const flags = f.w.flags(lo, hi, f.level);
        if (lastFlags >= 0 && flags !== lastFlags) flips++;
        lastFlags = flags;
        const kernel = underRoot ? i >= kernelFirst && i <= kernelLast : queue[q + 2] === 1;
        if (kernel) balance += (flags & MappingFlags.USER) === 0 ? 1 : -1;
      } else {
        const child = target(f, lo, hi);
        if (!seen.has(child)) {
          seen.add(child);
          const kernel = underRoot ? i >= kernelFirst && i <= kernelLast : queue[q + 2] === 1;
          queue.push(child, f.level + 1, kernel ? 1 : 0);
        }
      }
    }
    if (leaves >= MIN_LEAVES_JUDGED && 2 * flips > leaves - 1) good = false;
    if (!good) {
      // data read as a table: nothing below it counts
      queue.length = children;
      counts.badTables++;
    } else if (present > 0) {
      counts.tables++;
      counts.leaves += leaves;
      counts.kernelBalance += balance;
    }
  }
  return counts;
}

/**
 * Candidate roots of `arch`'s formats in the memory, best first: each format's frames that read as plausible roots,
 * walked and ranked by {@link scoreOf}, then by their kernel balance.
 * `ranges` are the memory's physical ranges (those of the handler).
 */
export function findRoots(arch: ArchSpec, handler: PagingHandler, ranges: readonly { readonly base: bigint; readonly size: bigint }[]): RootCandidate[] {
  const spans = spansOf(ranges);
  const out: RootCandidate[] = [];
  for (const profile of ROOT_PROFILES) {
    if (profile.arch !== arch.name) continue;
    const probe = arch.decode(profile.registers(0n), {});
    if (probe instanceof RegisterError) throw new Error(`root profile of ${arch.name}: ${probe.message}`);
    const levels = levelScans(probe);
    for (const { root, entries } of scan(handler, spans, probe, levels)) {
      const registers = profile.registers(BigInt(root));
      const c = walkCandidate(handler, spans, levels, probe, root);
      out.push({ root: BigInt(root), format: probe.format.name, registers, entries, ...c, score: scoreOf(c) });
    }
  }
  return out.sort((a, b) => b.score - a.score || b.kernelBalance - a.kernelBalance || b.entries - a.entries || (a.root < b.root ? -1 : 1));
}

/** The architectures --find-roots knows formats of. */
export const FINDER_ARCHES: readonly string[] = [...new Set(ROOT_PROFILES.map((p) => p.arch))];
