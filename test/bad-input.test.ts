// Bad input, over every table type: each gives its PagingError code, and a failed operation leaves
// every byte of physical memory and the frame count as they were.
import { MappingFlags, PageSize, PhysicalMemory, type PageTable64 } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';
import { ARCHES } from './arches';
import { expectUnchanged } from './support/refused';

const RW = MappingFlags.READ | MappingFlags.WRITE;


describe.each(ARCHES.map((a) => [a.name, a] as const))('bad input: %s', (_name, arch) => {
  const page = arch.meta.levelSize[arch.meta.levels - 1]!;
  // the smallest page as a bigint: addresses below are multiples of it, whatever the format's granule
  const P = BigInt(page);
  const huge = arch.meta.leafLevels.length > 1 ? arch.meta.levelSize[arch.meta.leafLevels[arch.meta.leafLevels.length - 2]!]! : 0;
  // the first address the table serves (a long-descriptor TTBR1 table serves only the top of the space): the
  // addresses below are offsets from it
  // (and a table of the upper range only serves its top 2^vaMaxBits bytes)
  const O = arch.meta.window?.start ?? (arch.meta.lowerHalf === false ? (1n << 64n) - (1n << BigInt(arch.meta.vaMaxBits)) : 0n);
  const On = Number(O);
  // frames besides the root, which may be several frames (an AArch64 stage 2 root of 16 concatenated tables)
  const rootFrames = Math.ceil(arch.meta.tableBytes[0]! / 4096);
  const setup = (frames = 64): [PhysicalMemory, PageTable64] => {
    const mem = new PhysicalMemory({ size: (frames + rootFrames) * 4096, base: arch.memBase });
    const table = arch.create(mem);
    table.cursor().map(O + 0x40_0000n, 0x40_0000n, page as PageSize, RW);
    return [mem, table];
  };

  it('misaligned vaddr or paddr for a huge page: NotAligned', () => {
    if (huge === 0) return;
    const [mem, table] = setup();
    const c = table.cursor();
    expectUnchanged(mem, () => c.map(O + BigInt(huge) + BigInt(page), 0n, huge as PageSize, RW), 'NotAligned');
    expectUnchanged(mem, () => c.map(O + BigInt(huge) * 2n, BigInt(page), huge as PageSize, RW), 'NotAligned');
    expectUnchanged(mem, () => c.map(O + 0x1001n, 0x1000n, page as PageSize, RW), 'NotAligned');
  });

  it('a virtual address outside the address space: InvalidAddress', () => {
    if (arch.invalidVa === undefined) return;
    const [mem, table] = setup();
    const c = table.cursor();
    expectUnchanged(mem, () => c.map(arch.invalidVa!, P, page as PageSize, RW), 'InvalidAddress');
    expectUnchanged(mem, () => table.query(arch.invalidVa!), 'InvalidAddress');
    expectUnchanged(mem, () => c.unmap(arch.invalidVa!), 'InvalidAddress');
    expectUnchanged(mem, () => c.mapRegion(arch.invalidVa! - P, 0n, 2n * P, RW, false), 'InvalidAddress');
    expectUnchanged(mem, () => c.map(-page, 0, page as PageSize, RW), 'InvalidAddress');
    expectUnchanged(mem, () => c.map(page + 0.5, 0, page as PageSize, RW), 'InvalidAddress');
    expectUnchanged(mem, () => c.map(1n << 64n, 0n, page as PageSize, RW), 'InvalidAddress');
  });

  it('a physical address beyond the format: InvalidAddress', () => {
    const [mem, table] = setup();
    const c = table.cursor();
    const tooHigh = 1n << BigInt(arch.meta.paMaxBits);
    if (tooHigh < 1n << 64n) {
      expectUnchanged(mem, () => c.map(O + 0x80_0000n, tooHigh, page as PageSize, RW), 'InvalidAddress');
      expectUnchanged(mem, () => c.remap(O + 0x40_0000n, tooHigh, RW), 'InvalidAddress');
      expectUnchanged(mem, () => c.mapRegion(O + 0x80_0000n, tooHigh - P, 2n * P, RW, false), 'InvalidAddress');
      // a region may end exactly at 2^paMaxBits
      c.mapRegion(O + 0x80_0000n, tooHigh - 2n * P, 2n * P, RW, false);
      expect(table.query(O + 0x80_0000n + 2n * P - 1n).paddr).toBe(tooHigh - 1n);
    }
  });

  it('map over an existing mapping: AlreadyMapped; under a huge page: MappedToHugePage', () => {
    const [mem, table] = setup();
    const c = table.cursor();
    expectUnchanged(mem, () => c.map(O + 0x40_0000n, 9n * P, page as PageSize, RW), 'AlreadyMapped');
    if (huge !== 0) {
      expectUnchanged(mem, () => c.map(O + (0x40_0000n / BigInt(huge)) * BigInt(huge), 0n, huge as PageSize, RW), 'AlreadyMapped');
      c.map(O + BigInt(huge) * 16n, 0n, huge as PageSize, RW);
      expectUnchanged(mem, () => c.map(O + BigInt(huge) * 16n + BigInt(page), 0n, page as PageSize, RW), 'MappedToHugePage');
      expectUnchanged(mem, () => c.unmap(O + BigInt(huge) * 16n + BigInt(page)), 'NotAligned');
    }
  });

  it('unmap, protect, remap and query of a hole: NotMapped', () => {
    const [mem, table] = setup();
    const c = table.cursor();
    expectUnchanged(mem, () => c.unmap(O + 0x41_0000n), 'NotMapped');
    // a hole below another root entry, where the table serves one
    if (arch.meta.vaddrIsValid(O + 0x4000_0000n)) expectUnchanged(mem, () => c.unmap(O + 0x4000_0000n), 'NotMapped');
    expectUnchanged(mem, () => c.protect(O + 0x41_0000n, RW), 'NotMapped');
    expectUnchanged(mem, () => c.remap(O + 0x41_0000n, 0n, RW), 'NotMapped');
    expectUnchanged(mem, () => table.query(O + 0x41_0000n), 'NotMapped');
  });

  it('empty flags: InvalidFlags; flags that are not a MappingFlags set: TypeError', () => {
    const [mem, table] = setup();
    const c = table.cursor();
    expectUnchanged(mem, () => c.map(O + 0x80_0000n, 0n, page as PageSize, 0), 'InvalidFlags');
    expectUnchanged(mem, () => c.protect(O + 0x40_0000n, 0), 'InvalidFlags');
    expectUnchanged(mem, () => c.mapRegion(O + 0x80_0000n, 0n, 0x2000n, 0, false), 'InvalidFlags');
    expect(() => c.map(O + 0x80_0000n, 0n, page as PageSize, 64)).toThrow(TypeError);
  });

  it('an unsupported page size: UnsupportedPageSize', () => {
    const [mem, table] = setup();
    expectUnchanged(mem, () => table.cursor().map(O, 0n, 0x8000 as PageSize, RW), 'UnsupportedPageSize');
    // every named size that is not a leaf of this format (a block size its granule does not have: 1G with 16K)
    // (and not a run's size where runs are pages: Svnapot's 64 KiB)
    const leaves = arch.meta.leafLevels.map((l) => arch.meta.levelSize[l]!);
    if (arch.meta.runPages === true) {
      for (const [l, bits] of arch.meta.runBits!.entries()) if (bits > 0) leaves.push(arch.meta.levelSize[l]! * 2 ** bits);
    }
    for (const size of Object.values(PageSize).filter((s) => !leaves.includes(s))) {
      expectUnchanged(mem, () => table.cursor().map(O, 0n, size, RW), 'UnsupportedPageSize');
    }
  });

  it('flags the format has no encoding for: InvalidFlags, before anything else', () => {
    if (arch.refusedFlags === undefined) return;
    const [mem, table] = setup();
    const c = table.cursor();
    const bad = RW | arch.refusedFlags;
    // the next page shares the last-level table of the previous map (the fast path's case)
    expectUnchanged(mem, () => c.map(O + 0x40_0000n + P, P, page as PageSize, bad), 'InvalidFlags');
    expectUnchanged(mem, () => c.map(O + 0x80_0000n, 0n, page as PageSize, bad), 'InvalidFlags');
    expectUnchanged(mem, () => c.remap(O + 0x40_0000n, 0n, bad), 'InvalidFlags');
    expectUnchanged(mem, () => c.protect(O + 0x40_0000n, bad), 'InvalidFlags');
    expectUnchanged(mem, () => c.mapRegion(O + 0x80_0000n, 0n, 2n * P, bad, true), 'InvalidFlags');
    expectUnchanged(mem, () => c.protectRegion(O + 0x40_0000n, P, bad), 'InvalidFlags');
    // refused even where the call would fail for another reason
    expectUnchanged(mem, () => c.protect(O + 0x41_0000n, bad), 'InvalidFlags');
    expect(table.query(O + 0x40_0000n).flags & arch.refusedFlags).toBe(0);
  });

  it('running out of frames while mapping: NoMemory, nothing written, no frame kept', () => {
    // Room for the root and one more table: a map that needs several new tables must fail whole.
    const mem = new PhysicalMemory({ size: (Math.ceil(arch.meta.tableBytes[0]! / 4096) + 1) * 4096, base: arch.memBase });
    const table = arch.create(mem);
    const c = table.cursor();
    if (arch.meta.levels > 2) {
      expectUnchanged(mem, () => c.map(O + 0x40_0000n, P, page as PageSize, RW), 'NoMemory');
      expectUnchanged(mem, () => c.mapRegion(O + 0x40_0000n, P, 4n * P, RW, false), 'NoMemory');
    }
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('mapRegion that hits an existing mapping half-way: AlreadyMapped, all or nothing', () => {
    const [mem, table] = setup(256);
    const c = table.cursor();
    // maps 16 pages up to 0x40_0000, which is taken; those 16 pages and the table made for them are undone
    expectUnchanged(mem, () => c.mapRegion(O + 0x40_0000n - 16n * P, 0n, 17n * P, RW, true), 'AlreadyMapped');
    expect([...table.mappings()].length).toBe(1);
  });

  it('inside the last-level table of the previous lookup (the fast paths): the same errors, nothing written', () => {
    if (O >= 1n << 53n) return; // the number forms below: no number is an address of an upper range
    const [mem, table] = setup();
    const c = table.cursor();
    const warm = () => expect(table.query(O + 0x40_0000n).paddr).toBe(0x40_0000n);
    const next = On + 0x40_0000 + page;
    const cases: [() => unknown, string][] = [
      [() => c.map(next + 0.5, page, page as PageSize, RW), 'InvalidAddress'],
      [() => c.map(next, page + 0.5, page as PageSize, RW), 'InvalidAddress'],
      [() => c.map(next, -page, page as PageSize, RW), 'InvalidAddress'],
      [() => c.map(next, Number.NaN, page as PageSize, RW), 'InvalidAddress'],
      [() => c.map(BigInt(next) - (1n << 64n), P, page as PageSize, RW), 'InvalidAddress'],
      [() => c.map(BigInt(next) + (1n << 64n), P, page as PageSize, RW), 'InvalidAddress'],
      [() => c.map(next + page / 2, page, page as PageSize, RW), 'NotAligned'],
      [() => c.map(next, page + page / 2, page as PageSize, RW), 'NotAligned'],
      [() => c.map(next, page, page as PageSize, 0), 'InvalidFlags'],
      [() => c.map(On + 0x40_0000, page, page as PageSize, RW), 'AlreadyMapped'],
      [() => c.unmap(next), 'NotMapped'],
      [() => c.unmap(On + 0x40_0000 + page / 2), 'NotAligned'],
      [() => c.unmap(On + 0x40_0000 + 0.5), 'InvalidAddress'],
      [() => table.query(next), 'NotMapped'],
      [() => table.query(On + 0x40_0000 + 0.5), 'InvalidAddress'],
    ];
    if (arch.meta.paMaxBits < 53) cases.push([() => c.map(next, 2 ** arch.meta.paMaxBits, page as PageSize, RW), 'InvalidAddress']);
    for (const [fn, code] of cases) {
      warm();
      expectUnchanged(mem, fn, code);
    }
    for (const f of [1.5, 64, -1]) {
      warm();
      const before = mem.bytes().slice();
      expect(() => c.map(next, page, page as PageSize, f)).toThrow(TypeError);
      expect(Buffer.compare(mem.bytes(), before)).toBe(0);
    }
    warm();
    expect(() => c.map(String(next) as never, page, page as PageSize, RW)).toThrow(TypeError);
    expect(() => table.query(String(On + 0x40_0000) as never)).toThrow(TypeError);
    expect(() => table.queryNumber('4194304' as never)).toThrow(RangeError);
    expect(() => table.queryNumber(On + 0x40_0000 + 0.5)).toThrow(RangeError);
    expect(table.queryNumber(next)).toBe(-1);
    expect(table.queryNumber(On + 0x40_0000 + 5)).toBe(0x40_0005);
    table.destroy();
    expect(() => table.queryNumber(On + 0x40_0000)).toThrowError(expect.objectContaining({ code: 'Destroyed' }));
    expect(() => table.query(On + 0x40_0000)).toThrowError(expect.objectContaining({ code: 'Destroyed' }));
    expect(() => c.map(next, page, page as PageSize, RW)).toThrowError(expect.objectContaining({ code: 'Destroyed' }));
  });

  it('mapRegion that meets a page in use inside the table it is filling: AlreadyMapped, all or nothing', () => {
    const [mem, table] = setup(256);
    const c = table.cursor();
    c.map(O + 0x80_0000n + 8n * BigInt(page), 0n, page as PageSize, RW);
    expectUnchanged(mem, () => c.mapRegion(O + 0x80_0000n, 0x10_0000n, 16n * BigInt(page), RW, false), 'AlreadyMapped');
    expect([...table.mappings()].length).toBe(2);
  });

  it('use after destroy: Destroyed, and destroy frees every frame', () => {
    const [mem, table] = setup();
    const c = table.cursor();
    table.destroy();
    expect(mem.framesInUse).toBe(0);
    for (const fn of [() => table.query(O + 0x40_0000n), () => c.map(O, 0n, page as PageSize, RW), () => c.unmap(O + 0x40_0000n), () => table.cursor(), () => table.walk(1)]) {
      expect(fn).toThrowError(expect.objectContaining({ code: 'Destroyed' }));
    }
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });
});
