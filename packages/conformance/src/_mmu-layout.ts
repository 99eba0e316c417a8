// What the probe layouts of the x86 and RISC-V MMU runs share (src/_x86-mmu-layout.ts, _x86-legacy-mmu-layout.ts,
// _rv-mmu-layout.ts): random leaves mapped with the library into one small data region, the addresses to probe in
// them, and holes beside them. The encodings each run then writes by hand into the entries are its own.
// The random draws are made in the order the runs have always made them, so that a seed gives the same tables.
import { PageSize, type PageTable64, PagingError, type PhysicalMemory } from '@page-table-multiarch/core';
import type { Rng } from './_layout';

/** One virtual address to probe (a bigint, or a number for ARMv7's 32-bit ones), with where its leaf entry is. */
export interface TargetOf<A extends bigint | number> {
  readonly va: A;
  /** What it is: 'leaf 4K', 'page', 'section', 'hole', 'non-canonical', ... */
  readonly kind: string;
  /** Physical address of the leaf entry the address goes through (for the read-back), or null (a hole, ...). */
  readonly entry: bigint | null;
}

/** A probe target of the x86 and RISC-V runs: with the size of its page. */
export interface ProbeTarget extends TargetOf<bigint> {
  /** Size of the page the library mapped there before the entries were rewritten (0: none). */
  readonly size: number;
}

/** What a layout made: the addresses to probe, and the entries rewritten by hand. */
export interface LayoutOf<T> {
  readonly targets: readonly T[];
  /** Every entry rewritten by hand (leaves and pointers): where it is, and an address it translates. */
  readonly entries: readonly { readonly pa: bigint; readonly va: bigint }[];
}

export type MmuLayout = LayoutOf<ProbeTarget>;

/** What every probe layout is built from. */
export interface LayoutBase<A extends bigint | number = bigint> {
  readonly seed: number;
  /** Leaves to map (in each table, where a layout fills several). */
  readonly leaves: number;
  /**
   * The data region every leaf points into and its length (a multiple of 4 KiB); aligned to the largest page
   * size of the layout, or a large page points at the region's aligned base, below it.
   */
  readonly data: A;
  readonly dataBytes: number;
}

/** A page the library mapped. */
export interface MappedPage {
  readonly va: bigint;
  readonly size: number;
}

/**
 * Maps up to `leaves` pages in `table`, each where `place` says (one draw of a size and an address), all read-only
 * onto the data region's base aligned to the page size; a place that overlaps a page mapped before is dropped (at
 * most `leaves * 4` draws). Returns the pages mapped.
 */
export function mapRandomLeaves(table: PageTable64, leaves: number, data: bigint, place: () => MappedPage): MappedPage[] {
  const mapped: MappedPage[] = [];
  const cursor = table.cursor();
  for (let i = 0; mapped.length < leaves && i < leaves * 4; i++) {
    const { va, size } = place();
    try {
      cursor.map(va, data & ~BigInt(size - 1), size, 1);
      mapped.push({ va, size });
    } catch (e) {
      if (!(e instanceof PagingError)) throw e;
    }
  }
  cursor.flush();
  return mapped;
}

/** The frame a rewritten leaf points at: a random page of the data region for a 4K leaf, else its aligned base. */
export function leafFrame(rng: Rng, size: number, data: bigint, dataBytes: number): bigint {
  return size === PageSize.Size4K ? data + 4096n * rng.belowBig(BigInt(dataBytes / 4096)) : data & ~BigInt(size - 1);
}

/** An 8-byte aligned offset into a page of `size` mapped onto `leafFrame` that lands in the data region. */
export function offsetIntoData(rng: Rng, size: number, data: bigint, dataBytes: number): bigint {
  if (size === PageSize.Size4K) return 8n * rng.belowBig(512n);
  return data - (data & ~BigInt(size - 1)) + 8n * rng.belowBig(BigInt(dataBytes / 8));
}

/** A virtual address of `vaBits` bits, sign-extended to 64 (the upper half when bit vaBits - 1 is set). */
export function canonical(raw: bigint, vaBits: number): bigint {
  return BigInt.asUintN(64, BigInt.asIntN(vaBits, raw));
}

/** Whether `va` is inside one of the pages. */
export function insidePages(mapped: readonly MappedPage[], va: bigint): boolean {
  return mapped.some((m) => va >= m.va && va < m.va + BigInt(m.size));
}

/**
 * Adds, for one page in six, a hole near a random page (outside every page mapped, so that no access reaches
 * outside the data region) and a non-canonical address (bit 62 flipped: outside every format's range).
 */
export function addHolesAndNonCanonical(rng: Rng, mapped: readonly MappedPage[], vaBits: number, targets: ProbeTarget[]): void {
  for (let i = 0; i < Math.ceil(mapped.length / 6); i++) {
    const base = rng.pick(mapped).va;
    const hole = canonical(base + (rng.belowBig(1n << 34n) & ~7n), vaBits);
    if (!insidePages(mapped, hole)) targets.push({ va: hole, kind: 'hole', entry: null, size: 0 });
    targets.push({ va: (base ^ (1n << 62n)) + 8n * rng.belowBig(512n), kind: 'non-canonical', entry: null, size: 0 });
  }
}

/**
 * Physical address of the 8-byte entry for `va` at `level` (0 = root) of a table of `levels` levels of 512
 * entries over 4 KiB pages, following the pointers above it; `next` is the table a pointer entry points at.
 */
export function entryAddress(memory: PhysicalMemory, root: bigint, levels: number, va: bigint, level: number, next: (entry: bigint) => bigint): bigint {
  let table = root;
  for (let l = 0; ; l++) {
    const at = table + ((va >> BigInt(12 + 9 * (levels - 1 - l))) & 511n) * 8n;
    if (l === level) return at;
    table = next(memory.readU64(at));
  }
}
