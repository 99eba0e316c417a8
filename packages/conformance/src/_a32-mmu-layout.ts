// The tables of the ARMv7 MMU runs (src/arm-mmu.ts): seeded random short-descriptor tables built with the library,
// whose descriptors are then rewritten by hand into the encodings the walk distinguishes (ARM DDI 0406C.d B3.5.1,
// Figures B3-4 and B3-5): Fault entries, Sections with and without PXN (bits[1:0] = 0b11), Supersections, Small
// and Large pages, every AP[2:0], XN, nG, and Page table descriptors with a random domain and PXN. Every leaf
// points into one small region of RAM (`data`), at an offset that keeps the probed byte inside it.
import { PageSize, PagingError, type PhysicalMemory } from '@page-table-multiarch/core';
import type { A32PageTable } from '@page-table-multiarch/arm';
import { Rng } from './_layout';
import type { LayoutBase, LayoutOf, TargetOf } from './_mmu-layout';

/** One virtual address to probe ('section', 'supersection', 'small page', 'large page', 'hole'), with its descriptor. */
export type A32ProbeTarget = TargetOf<number>;

/** What {@link buildA32MmuTables} made. */
export type A32MmuLayout = LayoutOf<A32ProbeTarget>;

/**
 * Where and how to build: `leaves` Small pages and Sections in each table through the API; the data region (64 KiB,
 * aligned to 1 MiB).
 */
export type A32MmuLayoutSpec = LayoutBase<number>;

/** A window of virtual addresses; its last 16 MiB hold a Supersection, the rest the random leaves. */
export interface A32Window {
  readonly base: number;
  readonly size: number;
}

const SUPER = 0x100_0000;

/** Physical address of the first-level descriptor of `va` in the 16 KiB table at `root` [B3.5.5]. */
export function l1Entry(root: bigint, va: number): bigint {
  return root + BigInt((va >>> 20) * 4);
}

/** Physical address of the second-level descriptor of `va` under the Page table descriptor `l1` [B3.5.5]. */
function l2Entry(l1: number, va: number): bigint {
  return BigInt(((l1 & 0xffff_fc00) | ((va >>> 10) & 0x3fc)) >>> 0);
}

/** AP[2:0] as bits of a Section (AP[1:0] 11:10, AP[2] 15) or of a page (AP[1:0] 5:4, AP[2] 9). */
function apBits(ap: number, section: boolean): number {
  return section ? ((ap & 3) << 10) | ((ap >> 2) << 15) : ((ap & 3) << 4) | ((ap >> 2) << 9);
}

/**
 * Maps `spec.leaves` random Small pages and Sections in each table inside its windows, rewrites their descriptors
 * (and the Page table descriptors above the pages), turns some pages into Large pages, adds a Supersection at the
 * end of each window, and lists the addresses to probe: one inside each leaf, and holes near them.
 */
export function buildA32MmuTables(
  memory: PhysicalMemory,
  tables: readonly { readonly table: A32PageTable; readonly windows: readonly A32Window[] }[],
  spec: A32MmuLayoutSpec,
): A32MmuLayout {
  const rng = new Rng(spec.seed);
  const targets: A32ProbeTarget[] = [];
  const entries: { pa: bigint; va: bigint }[] = [];
  const read = (pa: bigint): number => memory.readU32(pa);
  const write = (pa: bigint, v: number, va: number): void => {
    memory.writeU32(pa, v >>> 0);
    entries.push({ pa, va: BigInt(va) });
  };
  // an offset into a leaf whose frame starts `below` bytes under the data region: inside the data region
  const inData = (below: number): number => below + 4 * rng.below(spec.dataBytes / 4);
  for (const { table, windows } of tables) {
    const root = table.rootPaddr;
    const mapped: { va: number; size: number }[] = [];
    const cursor = table.cursor();
    for (let i = 0; mapped.length < spec.leaves && i < spec.leaves * 4; i++) {
      const size = rng.ratio(2, 3) ? PageSize.Size4K : PageSize.Size1M;
      const w = rng.pick(windows);
      const va = ((w.base + rng.below(w.size - SUPER)) & ~(size - 1)) >>> 0;
      try {
        cursor.map(BigInt(va), BigInt(spec.data), size, 1);
        mapped.push({ va, size });
      } catch (e) {
        if (!(e instanceof PagingError)) throw e;
      }
    }
    cursor.flush();
    const pageTables = new Set<bigint>();
    for (const { va, size } of mapped) {
      const at1 = l1Entry(root, va);
      const d1 = read(at1);
      if (size === PageSize.Size1M) {
        // [Figure B3-4] a Section: TEX / C / B / S as the library wrote them; PXN, XN, domain, AP, nG at random
        let bits = (d1 & 0x1_700c) | spec.data | (rng.ratio(1, 4) ? 3 : 2) | apBits(rng.below(8), true);
        if (rng.ratio(1, 2)) bits |= 1 << 4;
        if (rng.ratio(1, 3)) bits |= 1 << 17;
        bits |= rng.below(16) << 5;
        if (rng.ratio(1, 15)) bits = 0;
        write(at1, bits, va);
        targets.push({ va: va + inData(0), kind: bits === 0 ? 'fault entry' : 'section', entry: at1 });
        continue;
      }
      pageTables.add(at1);
      const at2 = l2Entry(d1, va);
      const d2 = read(at2);
      if (rng.ratio(1, 6)) {
        // [Figure B3-5] a Large page over the 16 entries of its 64 KiB (the frame: the data region itself)
        const base = (va & ~0xffff) >>> 0;
        let bits = spec.data | 1 | apBits(rng.below(8), false);
        if (rng.ratio(1, 2)) bits |= 1 << 15;
        if (rng.ratio(1, 3)) bits |= 1 << 11;
        for (let k = 0; k < 16; k++) write(l2Entry(d1, base + k * 0x1000), bits, base + k * 0x1000);
        targets.push({ va: base + inData(0), kind: 'large page', entry: l2Entry(d1, base) });
        continue;
      }
      const frame = spec.data + 0x1000 * rng.below(spec.dataBytes / 0x1000);
      let bits = (d2 & 0x5cc) | frame | 2 | apBits(rng.below(8), false);
      if (rng.ratio(1, 2)) bits |= 1;
      if (rng.ratio(1, 3)) bits |= 1 << 11;
      if (rng.ratio(1, 15)) bits = 0;
      write(at2, bits, va);
      targets.push({ va: va + 4 * rng.below(0x400), kind: bits === 0 ? 'fault entry' : 'small page', entry: at2 });
    }
    // every Page table descriptor of the leaves: a random domain and PXN (bit 2)
    for (const at of pageTables) {
      const d1 = read(at);
      write(at, (d1 & 0xffff_fc00) | 1 | (rng.below(16) << 5) | (rng.ratio(1, 4) ? 4 : 0), Number(((at - root) / 4n) << 20n));
    }
    // a Supersection in the last 16 MiB of each window: 16 copies, frame at the data region's 16 MiB
    for (const w of windows) {
      const va = w.base + w.size - SUPER;
      let bits = (spec.data & 0xff00_0000) | (1 << 18) | (rng.ratio(1, 4) ? 3 : 2) | apBits(rng.below(8), true);
      if (rng.ratio(1, 2)) bits |= 1 << 4;
      if (rng.ratio(1, 3)) bits |= 1 << 17;
      for (let k = 0; k < 16; k++) write(l1Entry(root, va + k * 0x10_0000), bits, va + k * 0x10_0000);
      targets.push({ va: va + inData(spec.data & 0xff_ffff), kind: 'supersection', entry: l1Entry(root, va) });
    }
    // holes near the leaves: an empty first-level entry, or an empty slot of a second-level table
    const inside = (va: number): boolean => mapped.some((m) => va >= (m.va & ~0xffff) >>> 0 && va < m.va + Math.max(m.size, 0x1_0000));
    for (let i = 0; i < Math.ceil(mapped.length / 5); i++) {
      const near = rng.pick(mapped).va + (rng.ratio(1, 2) ? 0x1000 * rng.below(256) : 0x10_0000 * rng.below(16));
      const w = windows.find((x) => near >= x.base && near < x.base + x.size - SUPER);
      if (w !== undefined && !inside(near)) targets.push({ va: near + 4 * rng.below(0x400), kind: 'hole', entry: null });
    }
  }
  return { targets, entries };
}
