// Tables reached more than once in a dump. Kernels share tables on purpose: x86_64 Linux maps its espfix stack page
// about 65,000 times by pointing many entries at one page table (arch/x86/kernel/espfix_64.c), and any two address
// spaces may share a subtree. Such a table is listed once, where it is first reached; each later entry that reaches
// it at the same level, under the same permissions, is one record that counts what it stands for, as Linux's ptdump
// prints "... N entries skipped ..." for its markers. A table reached again under other permissions is listed again
// (its mappings differ there), and one reached at another level, or from below itself, is a diagnostic.
import type { MappingFlags } from '../flags';
import type { PhysAddr, VirtAddr } from '../interfaces';

/**
 * Entries that reach a table already listed in this dump, at the same level and under the same permissions: its
 * mappings are the ones listed from {@link listedAt}, at this record's addresses. Consecutive entries of one table
 * that reach the same table are one record.
 */
export interface SharedTable {
  /** Tells a shared-table record from a run or a diagnostic. */
  readonly kind: 'shared';
  /** First virtual address the first of the entries translates. */
  readonly vaddr: VirtAddr;
  /** One past the last virtual address the entries translate. */
  readonly end: VirtAddr;
  /** Bytes of virtual addresses the entries cover (`end - vaddr`). */
  readonly size: bigint;
  /** Level of the entries (the shared table is at `level + 1`). */
  readonly level: number;
  /** Index of the first entry in its table. */
  readonly index: number;
  /** Physical address of the first entry. */
  readonly entryPaddr: PhysAddr;
  /** Raw bits of the first entry. */
  readonly bits: bigint;
  /** Number of entries (each one reaches the table). */
  readonly references: number;
  /** Physical address of the shared table. */
  readonly table: PhysAddr;
  /** First virtual address of the entry through which the table was listed. */
  readonly listedAt: VirtAddr;
  /** Leaf entries below the table, for each reference (listed once, at {@link listedAt}). */
  readonly pages: number;
  /**
   * What the leaves below the table map, for each reference, by effective flags: pairs of the flags and the bytes
   * mapped with them (for an audit of every path).
   */
  readonly bytesByFlags: readonly (readonly [effective: MappingFlags, bytes: bigint])[];
  /** Whether the entries are in a kernel range. */
  readonly kernel: boolean;
  /** Index of the root they were found under. */
  readonly root: number;
}

/** What one walk of a table's subtree held, under one limit: leaves, and bytes by effective flags. */
export interface SubtreeMemo {
  /** The limit it was walked under (packed as by `tableLimit`). */
  readonly key: number;
  /** Leaf entries reached below it (shared subtrees below counted in). */
  readonly pages: number;
  /** Pairs of effective flags and bytes, flat: `[flags, bytes, flags, bytes, ...]`. */
  readonly bytes: readonly number[];
  /** The same pairs as a record gives them, made once for every record that stands for this subtree. */
  byFlags: readonly (readonly [MappingFlags, bigint])[] | undefined;
}

/** Flag sets an effective value can take (MappingFlags bits 5:0). */
const FLAG_SETS = 64;

/**
 * Every table a walk reached, where it was first reached, and what its subtree held under each limit it was walked
 * under. Leaves add their bytes to the accumulator of the table that holds them ({@link acc}); a finished table's
 * totals roll into its parent's and are kept for a later reference to it. Costs memory per table, never per entry.
 */
export class Subtrees {
  /** Bytes mapped by effective flags, per open level: `acc[level * 64 + flags]`. */
  readonly acc: Float64Array;
  /** Leaf entries reached so far (listed or stood for by a shared record). */
  reached = 0;
  private readonly slots: Map<number | string, number> = new Map();
  private readonly levels: number[] = [];
  private readonly firstVa: number[] = [];
  private readonly memos: (SubtreeMemo[] | undefined)[] = [];
  /** Per open level: the table's slot, the key it is walked under, `reached` when it was opened. */
  private readonly openSlot: Int32Array;
  private readonly openKey: Float64Array;
  private readonly openReached: Float64Array;

  constructor(levels: number) {
    this.acc = new Float64Array(levels * FLAG_SETS);
    this.openSlot = new Int32Array(levels).fill(-1);
    this.openKey = new Float64Array(levels);
    this.openReached = new Float64Array(levels);
  }

  /** The slot of the table at `key`, or -1 when this walk has not reached it. */
  slotOf(key: number | string): number {
    return this.slots.get(key) ?? -1;
  }

  /** Records a table reached for the first time, at `level`, through an entry whose first address is `va`. */
  add(key: number | string, level: number, va: number): number {
    const slot = this.levels.length;
    this.slots.set(key, slot);
    this.levels.push(level);
    this.firstVa.push(va);
    this.memos.push(undefined);
    return slot;
  }

  /** The level a table was first reached at. */
  levelOf(slot: number): number {
    return this.levels[slot]!;
  }

  /** The first virtual address of the entry through which a table was first reached. */
  firstVaOf(slot: number): number {
    return this.firstVa[slot]!;
  }

  /** What a table's subtree held when walked under `key`, if it was. */
  memo(slot: number, key: number): SubtreeMemo | undefined {
    const list = this.memos[slot];
    if (list === undefined) return undefined;
    for (const m of list) if (m.key === key) return m;
    return undefined;
  }

  /** A table is opened at level `l` (a first walk, or a walk again) under `key`: its totals start from zero. */
  opened(l: number, slot: number, key: number): void {
    this.acc.fill(0, l * FLAG_SETS, (l + 1) * FLAG_SETS);
    this.openSlot[l] = slot;
    this.openKey[l] = key;
    this.openReached[l] = this.reached;
  }

  /** The table open at level `l` is finished: its totals roll into its parent's, and are kept under its key. */
  closed(l: number): void {
    const slot = this.openSlot[l]!;
    const base = l * FLAG_SETS;
    const up = base - FLAG_SETS;
    const pairs: number[] = [];
    for (let f = 0; f < FLAG_SETS; f++) {
      const b = this.acc[base + f]!;
      if (b === 0) continue;
      pairs.push(f, b);
      if (up >= 0) this.acc[up + f] = this.acc[up + f]! + b;
    }
    const key = this.openKey[l]!;
    if (slot >= 0 && this.memo(slot, key) === undefined) {
      const memo: SubtreeMemo = { key, pages: this.reached - this.openReached[l]!, bytes: pairs, byFlags: undefined };
      const list = this.memos[slot];
      if (list === undefined) this.memos[slot] = [memo];
      else list.push(memo);
    }
    this.openSlot[l] = -1;
  }

  /** A reference to a table walked before stands for its subtree: its totals count into the table at level `l`. */
  skipped(l: number, memo: SubtreeMemo, references = 1): void {
    const base = l * FLAG_SETS;
    for (let k = 0; k < memo.bytes.length; k += 2) {
      const f = memo.bytes[k]!;
      this.acc[base + f] = this.acc[base + f]! + memo.bytes[k + 1]! * references;
    }
    this.reached += memo.pages * references;
  }
}

/**
 * The shared-table record being gathered: consecutive entries of one table that reach the same table at the same
 * level, under the same memo, are one record.
 */
export class PendingShared {
  open = false;
  start = 0;
  end = 0;
  level = 0;
  index = 0;
  entryPaddr = 0n;
  bits = 0n;
  references = 0;
  tableLo = 0;
  tableHi = 0;
  listedAt = 0;
  memo: SubtreeMemo | null = null;

  /** Whether an entry reaching table (lo, hi) at level `l`, from address `va`, under `memo`, extends the record. */
  extends(l: number, va: number, lo: number, hi: number, memo: SubtreeMemo): boolean {
    return this.open && l === this.level && va === this.end && lo === this.tableLo && hi === this.tableHi && memo === this.memo;
  }

  /** The record, as it stands; the pending one is closed. */
  take(table: PhysAddr, kernel: boolean, root: number): SharedTable {
    this.open = false;
    const memo = this.memo!;
    if (memo.byFlags === undefined) {
      const pairs: (readonly [MappingFlags, bigint])[] = [];
      for (let k = 0; k < memo.bytes.length; k += 2) pairs.push(Object.freeze([memo.bytes[k]!, BigInt(memo.bytes[k + 1]!)] as const));
      memo.byFlags = Object.freeze(pairs);
    }
    const bytesByFlags = memo.byFlags;
    return {
      kind: 'shared',
      vaddr: BigInt(this.start),
      end: BigInt(this.end),
      size: BigInt(this.end - this.start),
      level: this.level,
      index: this.index,
      entryPaddr: this.entryPaddr,
      bits: this.bits,
      references: this.references,
      table,
      listedAt: BigInt(this.listedAt),
      pages: memo.pages,
      bytesByFlags,
      kernel,
      root,
    };
  }
}
