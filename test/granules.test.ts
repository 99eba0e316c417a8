// The formats of test/arches/synthetic.ts (a 16 KiB granule; a 32-byte root) get the same machinery as the 4 KiB
// formats of the architectures: the specialised walks for lookups and maps that miss the walk cache, the walk
// cache itself, and tables smaller than a frame. Checked against the general walk (query with a bigint).
import { MappingFlags, PhysicalMemory, type PageTable64 } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';
import { ARCHES } from './arches';
import { Rng } from './support/rng';

// (and the AArch64 granule and size rows of test/arches/aarch64.ts, the 52-bit ones among them, whose output addresses
// are split between two fields; the LoongArch 16 and 64 KiB rows of loongarch64.ts; ARMv7 short descriptors, with 1 KiB
// second-level tables and leaves the fast paths leave to the general walk, Large pages: packages/arm/test/arm.test.ts;
// x86 EPT, whose entries are present by any of three bits, execute-only leaves: packages/x86_64/test/ept.test.ts)
// (not synthetic-runs: its codec has no word form, so no specialised walk; nor the upper-range rows, whose addresses
// are not numbers)
const SYNTHETIC = ARCHES.filter(
  (a) => (a.name.startsWith('synthetic-') && a.name !== 'synthetic-runs') || /^(aarch64-(4k39|16k|64k)|loongarch64-(16k|64k)|arm$|x86-ept)(?!.*upper)/.test(a.name),
);

describe.each(SYNTHETIC.map((a) => [a.name, a] as const))('granule and table sizes as data: %s', (_name, arch) => {
  const page = arch.meta.levelSize[arch.meta.levels - 1]!;

  it('gets a specialised walk, and its random maps and lookups agree with the general walk', () => {
    const mem = new PhysicalMemory({ size: 4096 * 4096, base: arch.memBase });
    const table: PageTable64 = arch.create(mem);
    // (internal: whether the fast paths are on, and the format's walks were made for this geometry)
    expect(table._fast).toBe(true);
    expect(table._walker).not.toBeNull();
    expect(table._probe).not.toBeNull();
    const c = table.cursor();
    const rng = new Rng(7);
    const win = arch.windows[0]!;
    // (at most 8192 pages: dense enough that the lookups below hit mapped pages)
    const slots = Math.min(Number(win.size / BigInt(page)), 8192);
    const mapped = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const va = Number(win.base) + rng.below(slots) * page;
      if (mapped.has(va)) continue;
      const pa = (i + 1) * page;
      c.map(va, pa, page, MappingFlags.READ | MappingFlags.WRITE); // numbers: the prober's path on a miss
      mapped.set(va, pa);
    }
    let hits = 0;
    for (let i = 0; i < 6000; i++) {
      const va = Number(win.base) + rng.below(slots) * page + rng.below(page);
      const base = va - (va % page);
      const want = mapped.has(base) ? mapped.get(base)! + (va % page) : -1;
      expect(table.queryNumber(va), `queryNumber ${va.toString(16)}`).toBe(want);
      if (want >= 0) {
        hits++;
        expect(table.query(BigInt(va)).paddr).toBe(BigInt(want));
        expect(table.lastSize).toBe(page);
      }
    }
    expect(hits).toBeGreaterThan(100);
    expect([...table.mappings()].length).toBe(mapped.size);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('allocates each table with its own size and alignment, the root included', () => {
    const mem = new PhysicalMemory({ size: 256 * 4096, base: arch.memBase });
    const table = arch.create(mem);
    const rootBytes = BigInt(arch.meta.tableBytes[0]!);
    expect(table.rootPaddr % rootBytes).toBe(0n);
    table.cursor().map(arch.windows[0]!.base, 0n, page, MappingFlags.READ);
    // a root smaller than a frame shares one; larger tables take whole frames
    const frames = arch.meta.tableBytes.reduce((n, b, l) => n + (l === 0 && b < 4096 ? 1 : Math.ceil(b / 4096)), 0);
    expect(mem.framesInUse).toBe(frames);
    expect(table.frameCount()).toBe(frames);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });
});
