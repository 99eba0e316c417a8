// The frames ARMv7 short-descriptor level-2 tables share (1 KiB tables, four to a 4 KiB frame), as core's
// table/slabs.ts books them: a frame freed with its last table in every order, the book grown past its first size
// and shrunk again with every free slot still found, and a NoMemory in the middle of a shared frame undone.
// (arm.test.ts has the first cases of sharing; these are here to keep that file under 700 lines.)
import { A32PageTable, A32PTE } from '@page-table-multiarch/arm';
import { MappingFlags, PageSize, PagingError, PhysicalMemory } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';

const { READ, WRITE } = MappingFlags;
const MiB = 0x10_0000n;
const RAM = 0x4000_0000n; // QEMU virt

/** Address of the level-2 table of 1 MiB region `r` (from its L1 entry, ARM DDI 0406C.d B3.5.1). */
function l2Table(mem: PhysicalMemory, table: A32PageTable, r: number): bigint {
  return A32PTE.paddr(BigInt(mem.readU32(table.rootPaddr + BigInt(r * 4))), 0);
}

/** All orders of 0..n-1. */
function orders(n: number): number[][] {
  if (n === 0) return [[]];
  return orders(n - 1).flatMap((o) => [...Array(n).keys()].map((at) => [...o.slice(0, at), n - 1, ...o.slice(at)]));
}

describe('A32PageTable level-2 frames', () => {
  it('a frame shared by four tables goes back with the last of them, in every order', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new A32PageTable(mem);
    const c = table.cursor();
    const all = orders(4);
    expect(all.length).toBe(24);
    for (const order of all) {
      for (let r = 0; r < 4; r++) c.map(BigInt(r) * MiB, RAM, PageSize.Size4K, READ);
      const frame = l2Table(mem, table, 0);
      expect([0, 1, 2, 3].map((r) => l2Table(mem, table, r))).toEqual([frame, frame + 0x400n, frame + 0x800n, frame + 0xc00n]);
      expect(mem.framesInUse).toBe(5);
      for (const [n, r] of order.entries()) {
        c.unmapRegion(BigInt(r) * MiB, MiB);
        c.flush();
        // the frame stays while one of its tables does, and its other tables keep their mappings
        expect(mem.framesInUse, `order ${order}, ${n + 1} freed`).toBe(n < 3 ? 5 : 4);
        expect(table.frameCount()).toBe(mem.framesInUse);
        for (const left of order.slice(n + 1)) expect(table.query(BigInt(left) * MiB).paddr).toBe(RAM);
      }
    }
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('the book grows past its first size and shrinks in any order, and new tables take every free slot first', () => {
    // 600 tables in 150 frames: the book's first 8 rows double five times
    const mem = new PhysicalMemory({ size: 4 << 20, base: RAM });
    const table = new A32PageTable(mem);
    const c = table.cursor();
    const regions = 600;
    for (let r = 0; r < regions; r++) c.map(BigInt(r) * MiB, RAM + BigInt(r) * 0x1000n, PageSize.Size4K, READ);
    expect(table.frameCount()).toBe(4 + regions / 4);
    // empty half of them, picked by a seeded generator: rows leave the book from anywhere in its probe runs
    let seed = 11;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const live = [...Array(regions).keys()];
    for (let n = 0; n < regions / 2; n++) {
      const r = live.splice(next(live.length), 1)[0]!;
      c.unmapRegion(BigInt(r) * MiB, MiB);
      c.flush();
      expect(mem.framesInUse).toBe(table.frameCount());
    }
    const frames = table.frameCount();
    expect(frames).toBeLessThan(4 + regions / 4);
    // the slots free in the frames still held: taken by the next tables, before any new frame (8 more: 2 frames)
    const free = 4 * (frames - 4) - live.length;
    for (let r = regions; r < regions + free + 8; r++) c.map(BigInt(r) * MiB, RAM, PageSize.Size4K, READ);
    expect(table.frameCount()).toBe(frames + 2);
    expect(mem.framesInUse).toBe(frames + 2);
    for (const r of live) expect(table.query(BigInt(r) * MiB).paddr).toBe(RAM + BigInt(r) * 0x1000n);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('a mapRegion that runs out of frames after taking the free slots of a shared frame gives them back', () => {
    // the L1 table's four frames and one more, whose first two slots hold the tables of regions 0 and 1
    const mem = new PhysicalMemory({ size: 5 * 4096, base: RAM });
    const table = new A32PageTable(mem);
    const c = table.cursor();
    c.map(0n, RAM, PageSize.Size4K, READ);
    c.map(MiB, RAM, PageSize.Size4K, READ);
    c.flush();
    const frame = l2Table(mem, table, 0);
    const before = mem.bytes().slice();
    // four tables, 8 to 12 MiB in 4K pages: the two free slots, then a frame the memory does not have
    let err: unknown;
    try {
      c.mapRegion(8n * MiB, RAM, 4n * MiB, READ | WRITE, false);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PagingError);
    expect((err as PagingError).code).toBe('NoMemory');
    expect(Buffer.compare(mem.bytes(), before)).toBe(0);
    expect(mem.framesInUse).toBe(5);
    expect(table.frameCount()).toBe(5);
    // the two slots are free again, in the same frame
    c.map(8n * MiB, RAM, PageSize.Size4K, READ);
    c.map(9n * MiB, RAM, PageSize.Size4K, READ);
    expect([l2Table(mem, table, 8), l2Table(mem, table, 9)]).toEqual([frame + 0x800n, frame + 0xc00n]);
    expect(mem.framesInUse).toBe(5);
    expect(() => c.map(10n * MiB, RAM, PageSize.Size4K, READ)).toThrow(PagingError);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });
});
