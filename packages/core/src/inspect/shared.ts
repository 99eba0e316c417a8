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

/** Flag sets an effective value can take (MappingFlags bits 5:0). */
const FLAG_SETS = 64;

/** A Float64Array twice as long, with `a` at its start. */
function grown(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

/**
 * Every table a walk reached, where it was first reached, and what its subtree held under each limit it was walked
 * under (a memo: its leaf entries, and bytes by effective flags). Leaves add their bytes to the accumulator of the
 * table that holds them ({@link acc}); a finished table's totals roll into its parent's and are kept for a later
 * reference to it. Costs memory per table, never per entry, and keeps it in typed arrays: an object per table would
 * live as long as the walk, and teach the engine to allocate the walk's short-lived records as long-lived too
 * (measured: 20 MiB more peak for a listing of 8,209 tables and 262,144 runs).
 */
export class Subtrees {
  /** Bytes mapped by effective flags, per open level: `acc[level * 64 + flags]`. */
  readonly acc: Float64Array;
  private readonly slots: Map<number | string, number> = new Map();
  private nSlots = 0;
  /** Per slot: the level the table was first reached at, the address of that entry, its first memo (-1: none). */
  private slotLevel: Float64Array = new Float64Array(64);
  private slotVa: Float64Array = new Float64Array(64);
  private slotMemo: Float64Array = new Float64Array(64);
  /** Per memo: its key (the limit walked under), leaf entries, where its pairs are in `pool`, how many, the next one. */
  private nMemos = 0;
  private memoKey: Float64Array = new Float64Array(64);
  private memoPages: Float64Array = new Float64Array(64);
  private memoAt: Float64Array = new Float64Array(64);
  private memoLen: Float64Array = new Float64Array(64);
  private memoNext: Float64Array = new Float64Array(64);
  /** Pairs of effective flags and bytes, flat, of every memo. */
  private pool: Float64Array = new Float64Array(256);
  private poolLen = 0;
  /** Per open level: the table's slot, the key it is walked under, `reached` when it was opened. */
  private readonly openSlot: Int32Array;
  private readonly openKey: Float64Array;
  private readonly openReached: Float64Array;
  /** A memo's pairs as records give them, made once per memo that a record stands for. */
  private readonly byFlags: Map<number, readonly (readonly [MappingFlags, bigint])[]> = new Map();

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
    const slot = this.nSlots++;
    if (slot === this.slotLevel.length) {
      this.slotLevel = grown(this.slotLevel);
      this.slotVa = grown(this.slotVa);
      this.slotMemo = grown(this.slotMemo);
    }
    this.slots.set(key, slot);
    this.slotLevel[slot] = level;
    this.slotVa[slot] = va;
    this.slotMemo[slot] = -1;
    return slot;
  }

  /** The level a table was first reached at. */
  levelOf(slot: number): number {
    return this.slotLevel[slot]!;
  }

  /** The first virtual address of the entry through which a table was first reached. */
  firstVaOf(slot: number): number {
    return this.slotVa[slot]!;
  }

  /** The memo of a table's subtree walked under `key`, or -1 if it was not walked under it. */
  memo(slot: number, key: number): number {
    for (let m = this.slotMemo[slot]!; m >= 0; m = this.memoNext[m]!) if (this.memoKey[m] === key) return m;
    return -1;
  }

  /** Leaf entries below a memo's table. */
  pagesOf(memo: number): number {
    return this.memoPages[memo]!;
  }

  /** A memo's bytes by effective flags, as a record gives them. */
  bytesByFlags(memo: number): readonly (readonly [MappingFlags, bigint])[] {
    let pairs = this.byFlags.get(memo);
    if (pairs === undefined) {
      const out: (readonly [MappingFlags, bigint])[] = [];
      const at = this.memoAt[memo]!;
      for (let k = 0; k < this.memoLen[memo]!; k += 2) out.push(Object.freeze([this.pool[at + k]!, BigInt(this.pool[at + k + 1]!)] as const));
      pairs = Object.freeze(out);
      this.byFlags.set(memo, pairs);
    }
    return pairs;
  }

  /**
   * A table is opened at level `l` (a first walk, or a walk again) under `key`, when `reached` leaf entries have been
   * reached (listed, or stood for by shared records): its totals start from zero.
   */
  opened(l: number, slot: number, key: number, reached: number): void {
    this.acc.fill(0, l * FLAG_SETS, (l + 1) * FLAG_SETS);
    this.openSlot[l] = slot;
    this.openKey[l] = key;
    this.openReached[l] = reached;
  }

  /**
   * The table open at level `l` is finished, `reached` leaf entries having been reached: its totals roll into its
   * parent's, and are kept under its key.
   */
  closed(l: number, reached: number): void {
    const slot = this.openSlot[l]!;
    const key = this.openKey[l]!;
    const keep = slot >= 0 && this.memo(slot, key) < 0;
    const base = l * FLAG_SETS;
    const up = base - FLAG_SETS;
    const at = this.poolLen;
    for (let f = 0; f < FLAG_SETS; f++) {
      const b = this.acc[base + f]!;
      if (b === 0) continue;
      if (up >= 0) this.acc[up + f] = this.acc[up + f]! + b;
      if (!keep) continue;
      if (this.poolLen + 2 > this.pool.length) this.pool = grown(this.pool);
      this.pool[this.poolLen++] = f;
      this.pool[this.poolLen++] = b;
    }
    if (keep) {
      const m = this.nMemos++;
      if (m === this.memoKey.length) {
        this.memoKey = grown(this.memoKey);
        this.memoPages = grown(this.memoPages);
        this.memoAt = grown(this.memoAt);
        this.memoLen = grown(this.memoLen);
        this.memoNext = grown(this.memoNext);
      }
      this.memoKey[m] = key;
      this.memoPages[m] = reached - this.openReached[l]!;
      this.memoAt[m] = at;
      this.memoLen[m] = this.poolLen - at;
      this.memoNext[m] = this.slotMemo[slot]!;
      this.slotMemo[slot] = m;
    }
    this.openSlot[l] = -1;
  }

  /** A reference to a table walked before stands for its subtree (`memo`): its totals count into the table at level `l`. */
  skipped(l: number, memo: number): void {
    const base = l * FLAG_SETS;
    const at = this.memoAt[memo]!;
    const end = at + this.memoLen[memo]!;
    for (let k = at; k < end; k += 2) {
      const f = base + this.pool[k]!;
      this.acc[f] = this.acc[f]! + this.pool[k + 1]!;
    }
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
  memo = -1;

  /** Whether an entry reaching table (lo, hi) at level `l`, from address `va`, under `memo`, extends the record. */
  extends(l: number, va: number, lo: number, hi: number, memo: number): boolean {
    return this.open && l === this.level && va === this.end && lo === this.tableLo && hi === this.tableHi && memo === this.memo;
  }

  /** The record, as it stands; the pending one is closed. */
  take(sub: Subtrees, table: PhysAddr, kernel: boolean, root: number): SharedTable {
    this.open = false;
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
      pages: sub.pagesOf(this.memo),
      bytesByFlags: sub.bytesByFlags(this.memo),
      kernel,
      root,
    };
  }
}
