// The tables and the probe list of the RISC-V MMU runs (src/riscv-mmu.ts): a seeded random table built with the
// library, whose entries are then rewritten by hand into every encoding the translation algorithm distinguishes
// (privileged spec 20211203, 4.3.1 and 4.3.2): invalid leaves, reserved R/W/X encodings, U and S pages, A = 0 and
// D = 0 leaves, reserved bits 60:54, PBMT and N without their extensions, misaligned superpages, a pointer at the
// last level, and pointers with D / A / U / N / PBMT or reserved bits set or V clear. Every leaf points into one
// small region of RAM (`data`), so that every access that translates lands there.
import { MappingFlags, PageSize, type PageTable64, type PhysicalMemory } from '@page-table-multiarch/core';
import { Rng } from './_layout';
import { addHolesAndNonCanonical, canonical, entryAddress as tableEntryAddress, type LayoutBase, leafFrame, mapRandomLeaves, type MmuLayout, offsetIntoData, type ProbeTarget } from './_mmu-layout';

/** Where and how to build. */
export interface MmuLayoutSpec extends LayoutBase {
  /** VA width of the format (39, 48, 57). */
  readonly vaBits: number;
  /** Page sizes to map, with relative weights. */
  readonly sizes: readonly (readonly [PageSize, number])[];
  /**
   * Whether to add the two 4K leaves of step 7 (A = 0; A = 1 and D = 0) and a hole under a root entry of their own,
   * which every seed then probes (src/riscv-mmu.ts). Default false: the two-stage runs build their own cases.
   */
  readonly stepSeven?: boolean;
}

const V = 1n << 0n;
const R = 1n << 1n;
const W = 1n << 2n;
const X = 1n << 3n;
const U = 1n << 4n;
const A = 1n << 6n;
const D = 1n << 7n;
/** Bits 60:54 (reserved), 62:61 (PBMT) and 63 (N): the high bits the runs corrupt, one at a time. */
const HIGH_BITS = [54n, 55n, 57n, 60n, 61n, 62n, 63n];

/** Physical address of the entry for `va` at `level` (0 = root), following the pointers above it (PPN: bits 53:10). */
export function entryAddress(memory: PhysicalMemory, root: bigint, levels: number, va: bigint, level: number): bigint {
  return tableEntryAddress(memory, root, levels, va, level, (e) => ((e >> 10n) & ((1n << 44n) - 1n)) << 12n);
}

/** Low ten bits of a rewritten leaf: V mostly set; R, W, X, U, G, A, D and RSW at random. */
function leafBits(rng: Rng): bigint {
  let bits = BigInt(rng.below(1024)) & ~V;
  if (rng.ratio(9, 10)) bits |= V;
  // more leaves with R, and with A, than chance gives, so that more accesses get through to the later checks
  if (rng.ratio(1, 2)) bits |= R;
  if (rng.ratio(1, 2)) bits |= A;
  return bits;
}

/** The first address of the first unused root entry of the lower half after entry 0, or -1 when every one is used. */
function unusedRootSpan(memory: PhysicalMemory, root: bigint, levels: number): bigint {
  for (let i = 1n; i < 256n; i++) if (memory.readU64(root + 8n * i) === 0n) return i << BigInt(12 + 9 * (levels - 1));
  return -1n;
}

/** The size whose weight range holds `n` (0 <= n < the sum of the weights). */
function weightedPick(sizes: readonly (readonly [PageSize, number])[], n: number): PageSize {
  let left = n;
  for (const [size, weight] of sizes) {
    if (left < weight) return size;
    left -= weight;
  }
  return sizes[sizes.length - 1]![0];
}

/**
 * Maps `spec.leaves` random pages in `table` (in a few windows, so that leaves share tables), then rewrites their
 * entries and a few pointers above them, and lists the addresses to probe: one in each leaf (at an offset that lands
 * in the data region), a few holes near them, and non-canonical addresses.
 */
export function buildMmuTables(table: PageTable64, memory: PhysicalMemory, spec: MmuLayoutSpec): MmuLayout {
  const rng = new Rng(spec.seed);
  const levels = table.meta.levels;
  const windows = [0n, 1n << BigInt(spec.vaBits - 2), -(1n << BigInt(spec.vaBits - 2)), -(1n << BigInt(spec.vaBits - 1))];
  const weights = spec.sizes.reduce((s, [, w]) => s + w, 0);
  const mapped = mapRandomLeaves(table, spec.leaves, spec.data, () => {
    const size = weightedPick(spec.sizes, rng.below(weights));
    const span = 64n << 30n > BigInt(size) * 64n ? 64n << 30n : BigInt(size) * 64n;
    return { va: canonical(rng.pick(windows) + (rng.belowBig(span) & ~BigInt(size - 1)), spec.vaBits), size };
  });
  const root = table.rootPaddr;
  const entries: { pa: bigint; va: bigint }[] = [];
  const targets: ProbeTarget[] = [];
  for (const { va, size } of mapped) {
    const level = levels - 1 - Math.log2(size / 4096) / 9;
    const at = entryAddress(memory, root, levels, va, level);
    const old = memory.readU64(at);
    // a 4K leaf points at a random page of the data region; a larger one at the region's aligned base
    let pa = leafFrame(rng, size, spec.data, spec.dataBytes);
    let kind = `leaf ${size === PageSize.Size4K ? '4K' : size === PageSize.Size2M ? '2M' : size === PageSize.Size1G ? '1G' : 'huge'}`;
    if (size !== PageSize.Size4K && rng.ratio(1, 10)) {
      pa += 4096n; // a misaligned superpage (4.3.2 step 6)
      kind += ', misaligned';
    }
    let bits = ((pa >> 12n) << 10n) | leafBits(rng);
    if (rng.ratio(1, 8)) {
      bits |= 1n << rng.pick(HIGH_BITS);
      kind += ', high bit';
    }
    if (size === PageSize.Size4K && rng.ratio(1, 20)) {
      bits = (bits & ~(R | W | X)) | V; // a pointer at the last level (4.3.2 step 4)
      kind += ', pointer at last level';
    }
    memory.writeU64(at, bits);
    entries.push({ pa: at, va });
    if (old === 0n) throw new Error('the library left no leaf where it mapped one');
    targets.push({ va: va + offsetIntoData(rng, size, spec.data, spec.dataBytes), kind, entry: at, size });
  }
  // pointers above a few leaves: V cleared, or D / A / U, a reserved bit, PBMT or N set (4.3.1, 4.3.2 step 3)
  for (const { va, size } of rng.shuffle(mapped).slice(0, Math.ceil(mapped.length / 12))) {
    const leafLevel = levels - 1 - Math.log2(size / 4096) / 9;
    if (leafLevel === 0) continue;
    const at = entryAddress(memory, root, levels, va, rng.below(leafLevel));
    const old = memory.readU64(at);
    const change = rng.pick(['V', 'D', 'A', 'U', 'high']);
    const bits =
      change === 'V' ? old & ~V : change === 'D' ? old | D : change === 'A' ? old | A : change === 'U' ? old | U : old | (1n << rng.pick(HIGH_BITS));
    memory.writeU64(at, bits);
    entries.push({ pa: at, va });
  }
  // Two 4K leaves under a root entry of their own (the first unused one of the lower half), mapped
  // now, so that no pointer rewrite above reached their path, with the bits step 7 tells apart: A = 0, and A = 1 with
  // D = 0 (4.3.2 step 7), supervisor R / W. Every seed then probes an access-flag and a dirty outcome (Svade) or an
  // update of each (Svadu), and a page that is not present. CONFORMANCE_SEED=2026120865 had no dirty one (its sv48
  // Svade run: the pointer rewrites left 2448 of 3816 probes on a reserved bit, and no store reached a leaf with
  // D = 0); CONFORMANCE_SEED=0 no page that was not present in its sv57 run.
  const own = spec.stepSeven === true ? unusedRootSpan(memory, root, levels) : -1n;
  for (const [k, low] of [[0n, V | R | W], [1n, V | R | W | A]] as const) {
    if (own < 0n) break;
    const va = own + k * 4096n;
    const c = table.cursor();
    c.map(va, leafFrame(rng, PageSize.Size4K, spec.data, spec.dataBytes), PageSize.Size4K, MappingFlags.READ | MappingFlags.WRITE);
    c.flush();
    const at = entryAddress(memory, root, levels, va, levels - 1);
    // the PPN (bits 53:10) kept, the low ten bits replaced
    memory.writeU64(at, (memory.readU64(at) & ~0x3ffn) | low);
    entries.push({ pa: at, va });
    targets.push({ va: va + offsetIntoData(rng, PageSize.Size4K, spec.data, spec.dataBytes), kind: `leaf 4K, A = ${k === 0n ? '0' : '1, D = 0'}`, entry: at, size: PageSize.Size4K });
  }
  // and the page after them, a hole behind valid pointers (a page fault at the last level, 4.3.2 step 3)
  if (own >= 0n) targets.push({ va: own + 2n * 4096n + 8n * rng.belowBig(512n), kind: 'hole', entry: null, size: 0 });
  // holes near the leaves, and non-canonical addresses
  addHolesAndNonCanonical(rng, mapped, spec.vaBits, targets);
  return { targets, entries };
}
