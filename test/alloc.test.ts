// The crate's own alloc test (page_table_multiarch/tests/alloc_tests.rs), ported: 2048 random
// map/unmap operations with a seeded generator (3 in 4 maps), then destroy() and no frame left.
import { MappingFlags, PhysicalMemory } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';
import { ARCHES } from './arches';
import { Rng } from './support/rng';

describe.each(ARCHES.map((a) => [a.name, a] as const))('alloc test: %s', (_name, arch) => {
  it('2048 random map/unmap operations leave no frame allocated after destroy()', () => {
    const meta = arch.meta;
    // at worst every page has a table of its own at each level below the root, each the size of a page (with a
    // granule of 64 KiB and a 1024-entry root, AArch64 64K/52, that is two 64 KiB tables for nearly every page)
    const smallest = arch.meta.levelSize[arch.meta.levels - 1]!;
    const mem = new PhysicalMemory({ size: Math.max(64 << 20, smallest * 2048 * (arch.meta.levels - 1)), base: arch.memBase });
    const table = arch.create(mem);
    const rng = new Rng(1234);
    // a sign-extended format that indexes more bits than its addresses have (LoongArch 64 KiB with 3 levels: 55 bits
    // indexed, 48-bit addresses) sign-extends from vaTopBit, which is vaMaxBits - 1 for the others
    const vaBits = BigInt(meta.signExtend ? Math.min(meta.vaMaxBits, meta.vaTopBit + 1) : meta.vaMaxBits);
    // the smallest page (4 KiB in the crate's formats)
    const page = meta.levelSize[meta.levels - 1]!;
    const offset = BigInt(page) - 1n;
    const vaMask = ((1n << vaBits) - 1n) & ~offset;
    const paMask = ((1n << BigInt(Math.min(meta.paMaxBits, meta.vaMaxBits))) - 1n) & ~offset;
    const topBit = 1n << (vaBits - 1n);
    // the crate masks to VA_MAX_BITS and never checks; here addresses are made canonical
    // (and inside the window of a table that serves only part of its index space, a long-descriptor TTBR)
    const win = meta.window;
    const canonical = (va: bigint) =>
      win !== undefined
        ? win.start + (va % (win.end - win.start))
        : (meta.signExtend && va & topBit) || meta.lowerHalf === false
          ? va | ~((1n << vaBits) - 1n) & ((1n << 64n) - 1n)
          : va;
    const pages = new Set<bigint>();
    let maps = 0;
    for (let i = 0; i < 2048; i++) {
      const cursor = table.cursor();
      if (rng.ratio(3, 4) || pages.size === 0) {
        let va: bigint;
        do va = canonical(rng.next64() & vaMask);
        while (pages.has(va));
        pages.add(va);
        cursor.map(va, rng.next64() & paMask, page, MappingFlags.READ | MappingFlags.WRITE);
        maps++;
      } else {
        const va = pages.values().next().value!;
        cursor.unmap(va);
        pages.delete(va);
      }
      cursor.flush();
    }
    expect(maps).toBeGreaterThan(1400);
    for (const va of pages) expect(table.query(va).size).toBe(page);
    expect(mem.framesInUse).toBe(table.frameCount());
    table.destroy();
    expect(mem.framesInUse, 'some frames were not deallocated').toBe(0);
  });
});
