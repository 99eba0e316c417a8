// The tables of the ARMv7 long-descriptor MMU runs (src/arm-mmu.ts with `format: 'long'`): seeded random TTBR0 and
// TTBR1 tables (TTBCR.EAE = 1) built with the library, whose descriptors are then rewritten by hand into the
// encodings the walk distinguishes (ARM DDI 0406C.d B3.6.1, B3.6.2): invalid descriptors, the reserved 0b01 at level
// 3, every AP[2:1], AF = 0, XN, PXN, nG, and Table descriptors with APTable / XNTable / PXNTable. Every leaf points
// into one small region of RAM (`data`), at an offset that keeps the probed byte inside it.
import { PageSize, PagingError, type PhysicalMemory } from '@page-table-multiarch/core';
import type { A32LpaePageTable, A32LpaeTtbr1PageTable } from '@page-table-multiarch/arm';
import type { A32MmuLayout, A32ProbeTarget, A32Window } from './_a32-mmu-layout';
import { Rng } from './_layout';

const bit = (n: number): bigint => 1n << BigInt(n);
// [B3.6.2] leaf bits and [B3.6.1] table bits
const AP1 = bit(6);
const AP2 = bit(7);
const AF = bit(10);
const NG = bit(11);
const PXN = bit(53);
const XN = bit(54);
const TABLE_LIMITS = [bit(59), bit(60), bit(61), bit(62)];
const OA = 0xff_ffff_f000n;

/** Physical address of the descriptor of `va` at lookup level `level` of a table whose walk starts at `first`. */
function descriptorAt(memory: PhysicalMemory, root: bigint, first: number, firstMask: number, va: number, level: number): bigint {
  let table = root;
  for (let l = first; ; l++) {
    const at = table + BigInt(((va >>> (39 - 9 * l)) & (l === first ? firstMask : 511)) * 8);
    if (l === level) return at;
    table = memory.readU64(at) & OA;
  }
}

/** One table of a run: the table, its first lookup level and index mask, its windows, and its 1 GiB Block slot. */
export interface A32LpaeRunTable {
  readonly table: A32LpaePageTable | A32LpaeTtbr1PageTable;
  readonly first: 1 | 2;
  readonly firstMask: number;
  readonly windows: readonly A32Window[];
  /** A 1 GiB-aligned address whose level 1 entry becomes a Block (its frame the data region's GiB), or null. */
  readonly block1g: number | null;
  /** Whether one limit goes in the level 1 Table descriptor above the windows (every leaf there gets it). */
  readonly windowLimit: boolean;
}

/**
 * Maps `leaves` random 4K Pages and 2M Blocks in each table inside its windows, rewrites their descriptors and a
 * quarter of the level 2 Table descriptors above the Pages, adds the 1 GiB Block, and lists the addresses to probe:
 * one inside each leaf, and holes near them.
 */
export function buildA32LpaeMmuTables(
  memory: PhysicalMemory,
  tables: readonly A32LpaeRunTable[],
  spec: { readonly seed: number; readonly leaves: number; readonly data: number; readonly dataBytes: number },
): A32MmuLayout {
  const rng = new Rng(spec.seed);
  const targets: A32ProbeTarget[] = [];
  const entries: { pa: bigint; va: bigint }[] = [];
  const write = (pa: bigint, v: bigint, va: number): void => {
    memory.writeU64(pa, v);
    entries.push({ pa, va: BigInt(va) });
  };
  const data = BigInt(spec.data);
  const inData = (below: number): number => below + 4 * rng.below(spec.dataBytes / 4);
  const leafBits = (): bigint => {
    let bits = rng.ratio(14, 15) ? 1n : 0n;
    if (rng.ratio(1, 2)) bits |= AP1;
    if (rng.ratio(1, 2)) bits |= AP2;
    if (rng.ratio(3, 4)) bits |= AF;
    if (rng.ratio(1, 3)) bits |= NG;
    if (rng.ratio(1, 3)) bits |= XN;
    if (rng.ratio(1, 3)) bits |= PXN;
    return bits;
  };
  for (const { table, first, firstMask, windows, block1g, windowLimit } of tables) {
    const root = table.rootPaddr;
    const at = (va: number, level: number): bigint => descriptorAt(memory, root, first, firstMask, va, level);
    const mapped: { va: number; size: number }[] = [];
    const cursor = table.cursor();
    for (let i = 0; mapped.length < spec.leaves && i < spec.leaves * 4; i++) {
      const size = rng.ratio(3, 4) ? PageSize.Size4K : PageSize.Size2M;
      const w = rng.pick(windows);
      const va = ((w.base + rng.below(w.size)) & ~(size - 1)) >>> 0;
      try {
        cursor.map(BigInt(va), data & ~BigInt(size - 1), size, 1);
        mapped.push({ va, size });
      } catch (e) {
        if (!(e instanceof PagingError)) throw e;
      }
    }
    cursor.flush();
    let normal = 0n;
    for (const { va, size } of mapped) {
      const page = size === PageSize.Size4K;
      const d = at(va, page ? 3 : 2);
      const old = memory.readU64(d);
      normal = old & 0x31cn;
      // AttrIndx and SH as the library wrote them; the rest at random
      const frame = page ? data + 0x1000n * rng.belowBig(BigInt(spec.dataBytes / 0x1000)) : data & ~0x1f_ffffn;
      let bits = (old & 0x31cn) | frame | leafBits() | (page ? 2n : 0n);
      let kind = page ? 'page' : '2M block';
      if (page && (bits & 1n) !== 0n && rng.ratio(1, 25)) {
        bits &= ~2n; // 0b01 at level 3: reserved [B3.6.1]
        kind += ', reserved 0b01';
      }
      write(d, bits, va);
      targets.push({ va: va + (page ? 4 * rng.below(0x400) : inData(spec.data & 0x1f_ffff)), kind, entry: d });
    }
    // the limits of a quarter of the level 2 Table descriptors above the Pages (found before any of them changes),
    // and, where asked, one limit in the level 1 Table descriptor above a window (it holds the whole window)
    const pointers = rng
      .shuffle(mapped.filter((m) => m.size === PageSize.Size4K))
      .slice(0, Math.ceil(mapped.length / 4))
      .map(({ va }) => ({ va, d: at(va, 2) }))
      .filter(({ d }) => (memory.readU64(d) & 3n) === 3n);
    for (const { va, d } of pointers) {
      let bits = memory.readU64(d);
      for (const limit of TABLE_LIMITS) if (rng.ratio(1, 3)) bits |= limit;
      write(d, bits, va);
    }
    if (windowLimit && mapped.length > 0) {
      const { va } = mapped[0]!;
      write(at(va, 1), memory.readU64(at(va, 1)) | rng.pick(TABLE_LIMITS), va);
    }
    if (block1g !== null) {
      // a 1 GiB Block at level 1 whose frame is the data region's GiB
      const d = at(block1g, 1);
      write(d, (data & ~0x3fff_ffffn) | leafBits() | normal, block1g);
      targets.push({ va: block1g + inData(spec.data & 0x3fff_ffff), kind: '1G block', entry: d });
    }
    // holes near the leaves
    const inside = (va: number): boolean => mapped.some((m) => va >= m.va && va < m.va + m.size);
    for (let i = 0; i < Math.ceil(mapped.length / 5); i++) {
      const near = rng.pick(mapped).va + (rng.ratio(1, 2) ? 0x1000 * rng.below(512) : 0x20_0000 * rng.below(16));
      const w = windows.find((x) => near >= x.base && near < x.base + x.size);
      if (w !== undefined && !inside(near)) targets.push({ va: near + 4 * rng.below(0x400), kind: 'hole', entry: null });
    }
  }
  return { targets, entries };
}
