// unmapNumber, the number form of unmap, over every table type: it removes what unmap removes and answers the same
// page, its address as a number and its flags and size on the cursor, on the fast path (pages of the walk cache's
// last-level table, and the refill that follows the next table) and the full path (a huge page, errors); a page
// whose physical address is not exact as a number is refused before anything is removed.
import { MappingFlags, PagingError, PhysicalMemory } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';
import { ARCHES } from './arches';

const RW = MappingFlags.READ | MappingFlags.WRITE;
const MEM = 64 * 1024 * 1024;

describe.each(ARCHES.map((a) => [a.name, a] as const))('unmapNumber: %s', (_name, arch) => {
  const meta = arch.meta;
  const page = BigInt(meta.levelSize[meta.levels - 1]!);
  // a window of the lower half whose addresses are all exact as numbers
  const win = arch.windows.find((w) => w.base + w.size <= 2n ** 53n);
  // 600 pages: past the first last-level table (512 entries or fewer), so the fast path refills the walk cache
  const pages = 600n;
  // the smallest huge page, at the window's end (the full path)
  const hugeLevel = [...meta.leafLevels].filter((l) => l < meta.levels - 1).sort((a, b) => b - a)[0];
  const hugeSize = hugeLevel === undefined ? 0n : BigInt(meta.levelSize[hugeLevel]!);
  const hugeVa = win === undefined || hugeSize === 0n ? -1n : win.base + win.size - hugeSize;
  const withHuge = win !== undefined && hugeSize > 0n && hugeVa >= win.base + pages * page;

  it.skipIf(win === undefined)('removes what unmap removes and answers the same page as a number', () => {
    const w = win!;
    const mems = [0, 1].map(() => new PhysicalMemory({ size: MEM, base: arch.memBase }));
    const tables = mems.map((m) => arch.create(m));
    const vas = Array.from({ length: Number(pages) }, (_, k) => w.base + BigInt(k) * page);
    for (const t of tables) {
      const c = t.cursor();
      for (const [k, va] of vas.entries()) c.map(va, arch.memBase + BigInt(k) * page, Number(page), k % 3 === 0 ? MappingFlags.READ : RW);
      // a huge page's frame: the first aligned one two pages of its size above the memory's base
      if (withHuge) c.map(hugeVa, ((arch.memBase + 2n * hugeSize) / hugeSize) * hugeSize, Number(hugeSize), RW);
      c.flush();
    }
    const byBigint = tables[0]!.cursor();
    const byNumber = tables[1]!.cursor();
    expect([byNumber.table.lastFlags, byNumber.table.lastSize]).toEqual([0, 0]);
    for (const va of withHuge ? [...vas, hugeVa] : vas) {
      const info = byBigint.unmap(va);
      const pa = byNumber.unmapNumber(Number(va));
      expect([pa, byNumber.table.lastFlags, byNumber.table.lastSize], `0x${va.toString(16)}`).toEqual([Number(info.paddr), info.flags, info.size]);
    }
    byBigint.flush();
    byNumber.flush();
    expect(Buffer.from(mems[1]!.bytes()).equals(Buffer.from(mems[0]!.bytes()))).toBe(true);
    // the same errors as unmap, named for unmapNumber: nothing mapped there any more, an address inside a page
    for (const va of [vas[0]!, vas[1]! + 8n]) {
      let unmapError: unknown;
      let numberError: unknown;
      try {
        byBigint.unmap(va);
      } catch (err) {
        unmapError = err;
      }
      try {
        byNumber.unmapNumber(Number(va));
      } catch (err) {
        numberError = err;
      }
      expect(numberError).toBeInstanceOf(PagingError);
      expect((numberError as PagingError).code).toBe((unmapError as PagingError).code);
      expect((numberError as PagingError).message).toMatch(/^unmapNumber: /);
    }
    // a value that is no safe integer: a RangeError
    for (const bad of [Number.NaN, -4096, 4096.5, 2 ** 53 + 4096, 1n << 12n, '4096']) {
      expect(() => byNumber.unmapNumber(bad as number), String(bad)).toThrow(RangeError);
    }
  });

  it.skipIf(win === undefined || meta.paMaxBits <= 53)('a page at a physical address of 2^53 or more is refused and stays mapped', () => {
    const w = win!;
    const mem = new PhysicalMemory({ size: MEM, base: arch.memBase });
    const table = arch.create(mem);
    const c = table.cursor();
    const far = 1n << 53n;
    // the first page near, so that unmapNumber of it points the walk cache at the table of the second (fast path)
    c.map(w.base, arch.memBase, Number(page), RW);
    c.map(w.base + page, far, Number(page), RW);
    c.flush();
    expect(c.unmapNumber(Number(w.base))).toBe(Number(arch.memBase));
    const before = mem.bytes().slice();
    expect(() => c.unmapNumber(Number(w.base + page))).toThrow(RangeError);
    expect(Buffer.from(mem.bytes()).equals(Buffer.from(before))).toBe(true);
    // through the full path too: with the walk cache forgotten (table.invalidate), the fast path has no table
    table.invalidate();
    expect(() => c.unmapNumber(Number(w.base + page))).toThrow(RangeError);
    expect(Buffer.from(mem.bytes()).equals(Buffer.from(before))).toBe(true);
    expect(c.unmap(w.base + page).paddr).toBe(far);
  });
});
