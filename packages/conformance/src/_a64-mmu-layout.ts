// The tables of the AArch64 MMU runs (src/aarch64-mmu.ts): a seeded random TTBR0 table and TTBR1 table built with
// the library, whose descriptors are then rewritten by hand into the encodings the stage 1 walk distinguishes
// (Arm ARM DDI 0487 K.a, D8.3, D8.4 and the hardware updates of D8): invalid descriptors, the reserved 0b01 at level 3, AP[2:1], UXN / PXN,
// AF = 0, DBM, output addresses beyond TCR_EL1.IPS, and Table descriptors with APTable / UXNTable / PXNTable, V
// clear or a next-level address beyond IPS. Every leaf points into one small region of RAM (`data`).
import { type PageSize, PagingError, type PhysicalMemory } from '@page-table-multiarch/core';
import type { A64PageTable } from '@page-table-multiarch/aarch64';
import { Rng } from './_layout';
import type { LayoutBase, LayoutOf, TargetOf } from './_mmu-layout';

/** One virtual address to probe ('page', 'block', 'hole', 'outside', ...), with its leaf descriptor's address. */
export type A64ProbeTarget = TargetOf<bigint>;

/** What {@link buildA64MmuTables} made. */
export interface A64MmuLayout extends LayoutOf<A64ProbeTarget> {
  /** How many root entries were made Block descriptors. */
  readonly rootBlocks: number;
}

/** Where and how to build (`leaves` in each table; the data region aligned to the page size). */
export interface A64MmuLayoutSpec extends LayoutBase {
  /** Page and block sizes to map, with relative weights. */
  readonly sizes: readonly (readonly [PageSize, number])[];
  /** An output-address bit beyond the runs' TCR_EL1.IPS, set in a few descriptors (an Address size fault). */
  readonly wideBit: bigint;
  /** Whether a root entry may become a Block descriptor (a Translation fault: no granule has root blocks here). */
  readonly rootBlocks: boolean;
}

const bit = (n: number): bigint => 1n << BigInt(n);
// D8.3.1.2 leaf bits and D8.3.1.1 table bits
const VALID = 1n;
const TYPE = 2n;
const AP1 = bit(6);
const AP2 = bit(7);
const AF = bit(10);
const DBM = bit(51);
const PXN = bit(53);
const UXN = bit(54);
const TABLE_LIMITS = [bit(59), bit(60), bit(61), bit(62)];
const OA = 0x0000_ffff_ffff_f000n;

/** Physical address of the descriptor for `va` at `level` (0 = root) of `table`, following the Table descriptors. */
export function descriptorAddress(memory: PhysicalMemory, table: A64PageTable, va: bigint, level: number): bigint {
  const g = table.format.geometry;
  const granuleBits = Math.log2(g.granule * 1024);
  let at = table.rootPaddr;
  for (let l = 0; ; l++) {
    const shift = BigInt(granuleBits + (g.levels - 1 - l) * (granuleBits - 3));
    const entry = at + ((va >> shift) & ((1n << BigInt(g.indexBits[l]!)) - 1n)) * 8n;
    if (l === level) return entry;
    at = memory.readU64(entry) & OA & ~((1n << BigInt(granuleBits)) - 1n);
  }
}

/** The weighted pick of a size. */
function pickSize(rng: Rng, sizes: A64MmuLayoutSpec['sizes']): PageSize {
  let left = rng.below(sizes.reduce((s, [, w]) => s + w, 0));
  for (const [size, weight] of sizes) {
    if (left < weight) return size;
    left -= weight;
  }
  return sizes[0]![0];
}

/** Leaf attribute bits at random: valid mostly, AP[2:1], AF mostly set, DBM, UXN, PXN. */
function leafBits(rng: Rng): bigint {
  let bits = rng.ratio(9, 10) ? VALID : 0n;
  if (rng.ratio(1, 2)) bits |= AP1;
  if (rng.ratio(1, 2)) bits |= AP2;
  if (rng.ratio(3, 4)) bits |= AF;
  if (rng.ratio(1, 3)) bits |= DBM;
  if (rng.ratio(1, 2)) bits |= UXN;
  if (rng.ratio(1, 2)) bits |= PXN;
  return bits;
}

/**
 * Maps `spec.leaves` random pages and blocks in each table, inside `windows` (so that leaves share tables), then
 * rewrites their descriptors and a few Table descriptors above them, and lists the addresses to probe: one inside
 * each leaf (landing in the data region), holes near them, and addresses outside both ranges.
 */
export function buildA64MmuTables(
  memory: PhysicalMemory,
  tables: readonly { readonly table: A64PageTable; readonly windows: readonly { base: bigint; size: bigint }[] }[],
  spec: A64MmuLayoutSpec,
): A64MmuLayout {
  const rng = new Rng(spec.seed);
  const targets: A64ProbeTarget[] = [];
  const entries: { pa: bigint; va: bigint }[] = [];
  let rootBlocks = 0;
  for (const { table, windows } of tables) {
    const g = table.format.geometry;
    const mapped: { va: bigint; size: number; level: number }[] = [];
    const cursor = table.cursor();
    for (let i = 0; mapped.length < spec.leaves && i < spec.leaves * 4; i++) {
      const size = pickSize(rng, spec.sizes);
      const w = rng.pick(windows);
      const va = w.base + (rng.belowBig(w.size) & ~BigInt(size - 1));
      try {
        cursor.map(va, spec.data & ~BigInt(size - 1), size, 1);
        mapped.push({ va, size, level: g.leafBytes.indexOf(size) });
      } catch (e) {
        if (!(e instanceof PagingError)) throw e;
      }
    }
    cursor.flush();
    const pageBytes = g.leafBytes[g.levels - 1]!;
    for (const { va, size, level } of mapped) {
      const at = descriptorAddress(memory, table, va, level);
      const old = memory.readU64(at);
      if (old === 0n) throw new Error('the library left no leaf where it mapped one');
      const page = size === pageBytes;
      const pa = page ? spec.data + BigInt(pageBytes) * rng.belowBig(BigInt(spec.dataBytes / pageBytes)) : spec.data & ~BigInt(size - 1);
      // AttrIndx and SH as the library wrote them (Normal memory); the rest at random
      let bits = (old & 0x31cn) | pa | leafBits(rng) | (page ? TYPE : 0n);
      let kind = page ? 'page' : 'block';
      if (page && rng.ratio(1, 25)) {
        bits &= ~TYPE; // 0b01 at the last level: reserved (D8.3)
        kind += ', reserved 0b01';
      }
      if (rng.ratio(1, 25)) {
        bits |= spec.wideBit;
        kind += ', wide output address';
      }
      memory.writeU64(at, bits);
      entries.push({ pa: at, va });
      const offset = (spec.data - (spec.data & ~BigInt(size - 1))) % BigInt(size);
      const inPage = page ? 8n * rng.belowBig(BigInt(pageBytes / 8)) : offset + 8n * rng.belowBig(BigInt(spec.dataBytes / 8));
      targets.push({ va: va + inPage, kind, entry: at });
    }
    // Table descriptors above a few leaves: hierarchical limits at any level; V cleared or a wide address only in
    // the one just above the leaf (higher up they would hide whole windows)
    // (every address is found before the first change: a changed pointer no longer leads to its table)
    const pointers = rng
      .shuffle(mapped)
      .slice(0, Math.ceil(mapped.length / 4))
      .filter((m) => m.level > 0)
      .map(({ va, level }) => {
        const l = rng.ratio(2, 3) ? level - 1 : rng.below(level);
        return { va, at: descriptorAddress(memory, table, va, l), parent: l === level - 1, root: l === 0 };
      });
    // a root entry holds a whole window: one limit there, in one root entry per table, leaves the rest testable
    let rootChanged = false;
    for (const { va, at, parent, root } of pointers) {
      const old = memory.readU64(at);
      const change = rng.below(12);
      let bits = old;
      if (root) {
        if (rootChanged) continue;
        rootChanged = true;
        // a limit, or bits[1:0] = 0b01: a Block where no granule has one without FEAT_LPA / DS (D8.3)
        const asBlock = rng.ratio(1, 3);
        const limit = rng.pick(TABLE_LIMITS);
        bits = asBlock && spec.rootBlocks ? bits & ~TYPE : bits | limit;
        if (asBlock && spec.rootBlocks) rootBlocks++;
      } else if (change === 0 && parent) bits &= ~VALID;
      else if (change === 1 && parent) bits |= spec.wideBit;
      else for (const limit of TABLE_LIMITS) if (rng.ratio(1, 3)) bits |= limit;
      memory.writeU64(at, bits);
      entries.push({ pa: at, va });
    }
    // holes near the leaves (outside every mapped page, so that no access leaves the data region)
    const inside = (va: bigint): boolean => mapped.some((m) => va >= m.va && va < m.va + BigInt(m.size));
    for (let i = 0; i < Math.ceil(mapped.length / 6); i++) {
      const base = rng.pick(mapped).va;
      const hole = base + (rng.belowBig(1n << 34n) & ~7n);
      const w = windows.find((x) => hole >= x.base && hole < x.base + x.size);
      if (w !== undefined && !inside(hole)) targets.push({ va: hole, kind: 'hole', entry: null });
    }
  }
  // between the two ranges: a level 0 Translation fault (D8.2)
  for (let i = 0; i < 6; i++) targets.push({ va: (1n << 62n) + 8n * rng.belowBig(1n << 40n), kind: 'outside', entry: null });
  return { targets, entries, rootBlocks };
}
