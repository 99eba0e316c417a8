// What a row of the shared TLB suite (test/tlb-model.test.ts) provides: the address spaces of one run, the models
// over them, the changes a kernel (or a hypervisor, for a second stage) makes behind the tables, and the
// architecture's invalidation instructions with which entries each removes. The rows are in tlb-models*.ts.
import { MappingFlags, type MmuModel, PageSize, type PageTable32, type PageTable64, type PhysicalMemory, type Tlb, type TlbWalker } from '@page-table-multiarch/core';
import type { Rng } from './rng';

const { READ, WRITE, EXECUTE } = MappingFlags;

/**
 * An invalidation owed after a change: the page [base, base + size) of `asid`, or of every ASID when global; with
 * `stage2`, a change to the second stage's page of intermediate / guest-physical addresses [base, base + size),
 * which any virtual address of any ASID may reach.
 */
export interface Owed {
  readonly base: bigint;
  readonly size: bigint;
  readonly asid: number;
  readonly global: boolean;
  readonly stage2?: boolean;
}

/** One invalidation instruction with its operands: what it is called, doing it, and whether it removes `o`. */
export interface Form {
  readonly name: string;
  readonly run: () => void;
  readonly covers: (o: Owed) => boolean;
}

export type AnyTable = PageTable64 | PageTable32;
export type Walker = MmuModel<unknown> & TlbWalker;

/** The address spaces of one run and the models over them. */
export interface TlbWorld {
  readonly memory: PhysicalMemory;
  readonly tables: readonly AnyTable[];
  /** The ASID (PCID) of each table. */
  readonly asids: readonly number[];
  readonly tlb: Tlb<unknown>;
  /** The model behind the TLB. */
  readonly model: Walker;
  /** A second model over the same memory, never behind a TLB: the fresh walk. */
  readonly fresh: Walker;
  /** Makes table k current in both models and the TLB; returns which owed invalidations that removed. */
  switchTo(k: number): (o: Owed) => boolean;
  /** Invalidation forms with operands `va` and `asid`. */
  forms(va: bigint, asid: number): Form[];
  /** Makes the leaf at `at` (of `level`) global. */
  markGlobal(at: bigint, level: number): void;
  /** Clears the accessed flag (all: true) or the dirty state of the leaf at `at` (of `level`), as a kernel does. */
  clearAccessedDirty(at: bigint, all: boolean, level: number): void;
  /** Changes one mode bit at random in both models. */
  changeMode(rng: Rng): void;
  /** The syndrome fields of a fault in a model. */
  syndrome(model: Walker): readonly number[];
  /**
   * Makes the leaf at `at` (of `level`) belong to the current address space only, where the table writes leaves
   * global by default (ARMv7's nG, as an operating system sets it on a process's pages).
   */
  markPrivate?(at: bigint, level: number): void;
  /** Two-stage rows: the second stage, which the hypervisor changes too. */
  readonly stage2?: Stage2World;
}

/**
 * The second stage of a two-stage row. The frames the suite maps stage 1 to are intermediate / guest-physical
 * addresses that stage 2 maps to the same physical addresses at first (4K pages over the first 2M of `frames`, 2M
 * blocks up to 1G, then 1G blocks), so that the single-stage expectations hold.
 */
export interface Stage2World {
  /**
   * A change a hypervisor makes to the stage 2 leaf of `ipa`, at random: another output address, other permissions,
   * unmapped (or mapped again), or its dirty state cleared. Returns the owed invalidation.
   */
  change(rng: Rng, ipa: bigint): Owed;
  /** Moves the stage 2 page of `ipa` to another output address (`remap`) or removes it (`unmap`). */
  move(ipa: bigint, how: 'remap' | 'unmap'): void;
  /**
   * The second stage's invalidation forms with operands `ipa` and `vmid`: the sequences the architecture requires
   * after a stage 2 change (which cover every owed invalidation of the VMID) and those that do not suffice.
   */
  forms(ipa: bigint, vmid: number): Form[];
}

/** A row of the suite. */
export interface TlbModelCase {
  readonly name: string;
  /** 4 KiB pages in a few regions, huge pages of `hugeSize`, pages made global in every space. */
  readonly small: readonly bigint[];
  readonly huge: readonly bigint[];
  readonly hugeSize: number;
  readonly globalPages: readonly bigint[];
  /** Where the frames the test maps to start (below 4 GiB for 32-bit paging). */
  readonly frames: bigint;
  /** MappingFlags sets a page gets (USER is added at random). */
  readonly flagSets: readonly number[];
  /** Builds three address spaces (every page mapped in none yet) and the models; the first space current. */
  make(): TlbWorld;
}

export const RAM = 0x8000_0000n;
export const SMALL = Array.from({ length: 24 }, (_, i) => BigInt(((i >> 3) << 21) + ((i & 7) << 12))); // 4K pages in 3 2M regions
export const FLAGS = [READ, READ | WRITE, READ | EXECUTE, EXECUTE, READ | WRITE | EXECUTE];
/** The pages of every row whose huge pages are 2 MiB: SMALL, three 2M pages, and two 4K pages made global. */
export const PAGES_2M = {
  small: SMALL,
  huge: [0x4000_0000n, 0x4020_0000n, 0x4040_0000n],
  hugeSize: PageSize.Size2M,
  globalPages: [0x7000_0000n, 0x7000_1000n],
} as const;
export const in_ = (o: Owed, va: bigint): boolean => va >= o.base && va < o.base + o.size;

/** Reads / writes the entry at `at` of a table with 4- or 8-byte entries. */
export function rw(memory: PhysicalMemory, bytes: 4 | 8) {
  return {
    get: (at: bigint): bigint => (bytes === 8 ? memory.readU64(at) : BigInt(memory.readU32(at))),
    set: (at: bigint, v: bigint): void => (bytes === 8 ? memory.writeU64(at, v) : memory.writeU32(at, Number(v))),
  };
}

/** Physical address and level of the leaf entry that maps `va` in `table`, following the table's own geometry. */
export function leafEntry(table: AnyTable, memory: PhysicalMemory, va: bigint): { at: bigint; level: number } | undefined {
  const { meta, pte } = table;
  const entry = rw(memory, meta.entryBytes);
  let t = table.rootPaddr;
  let shift = meta.pageShift + meta.indexBits.reduce((a, b) => a + b, 0);
  for (let level = 0; level < meta.levels; level++) {
    const bits = meta.indexBits[level]!;
    shift -= bits;
    const at = t + ((va >> BigInt(shift)) & ((1n << BigInt(bits)) - 1n)) * BigInt(meta.entryBytes);
    const e = entry.get(at);
    if (!pte.isPresent(e, level)) return undefined;
    if (level === meta.levels - 1 || pte.isHuge(e, level)) return { at, level };
    t = pte.paddr(e, level);
  }
  return undefined;
}
