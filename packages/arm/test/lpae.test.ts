// ARMv7-A long descriptors (TTBCR.EAE = 1): the geometry each TTBCR split gives (ARM DDI 0406C.d B3.6.4, B3.6.5),
// the ranges the TTBR0 and TTBR1 tables serve, attaching at the alignment TTBRn.BADDR requires, MAIR pairs, and
// the inspector's hierarchical limits, diagnostics and names. The shared suites (test/) run the tables through
// every cursor operation.
import { dumpMappings, MappingFlags, PageSize, PhysicalMemory, tableLimit } from '@page-table-multiarch/core';
import {
  A32LpaePageTable,
  A32LpaeTtbr1PageTable,
  a32LpaeInspector,
  a32LpaeMetaData,
  lpaeRange,
} from '@page-table-multiarch/arm';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER, DEVICE } = MappingFlags;
const RW = READ | WRITE;
const RAM = 0x4000_0000n; // QEMU virt
const mem = () => new PhysicalMemory({ size: 1 << 20, base: RAM });

describe('the TTBCR split (B3.6.4) and the first lookup level (B3.6.5)', () => {
  it('gives each TTBR its range: TTBR0 the bottom, TTBR1 the top, the rest to the other when one TxSZ is 0', () => {
    const G = 2 ** 30;
    expect(lpaeRange({ ttbr: 0, t0sz: 0, t1sz: 0 })).toEqual({ start: 0, end: 4 * G });
    expect(lpaeRange({ ttbr: 1, t0sz: 0, t1sz: 0 })).toBeUndefined();
    expect(lpaeRange({ ttbr: 0, t0sz: 0, t1sz: 2 })).toEqual({ start: 0, end: 3 * G });
    expect(lpaeRange({ ttbr: 1, t0sz: 0, t1sz: 2 })).toEqual({ start: 3 * G, end: 4 * G });
    expect(lpaeRange({ ttbr: 0, t0sz: 1, t1sz: 0 })).toEqual({ start: 0, end: 2 * G });
    expect(lpaeRange({ ttbr: 1, t0sz: 1, t1sz: 0 })).toEqual({ start: 2 * G, end: 4 * G });
    // both non-zero: a hole between them
    expect(lpaeRange({ ttbr: 0, t0sz: 2, t1sz: 1 })).toEqual({ start: 0, end: G });
    expect(lpaeRange({ ttbr: 1, t0sz: 2, t1sz: 1 })).toEqual({ start: 2 * G, end: 4 * G });
  });

  it('starts at level 1 with a 4- or 2-entry root for TxSZ 0 or 1, at level 2 with 2^(11 - TxSZ) entries above', () => {
    const rows: [number, number[], number[], number[]][] = [
      // TxSZ, index bits, table bytes (root first), leaf sizes
      [0, [2, 9, 9], [32, 4096, 4096], [2 ** 30, 2 ** 21, 2 ** 12]],
      [1, [1, 9, 9], [16, 4096, 4096], [2 ** 30, 2 ** 21, 2 ** 12]],
      [2, [9, 9], [4096, 4096], [2 ** 21, 2 ** 12]],
      [7, [4, 9], [128, 4096], [2 ** 21, 2 ** 12]],
    ];
    for (const [sz, indexBits, tableBytes, sizes] of rows) {
      const m = a32LpaeMetaData({ ttbr: 0, t0sz: sz, t1sz: 0 });
      expect(m.indexBits).toEqual(indexBits);
      expect(m.tableBytes).toEqual(tableBytes);
      expect(m.leafLevels.map((l) => m.levelSize[l])).toEqual(sizes);
      expect(m.paMaxBits).toBe(40);
      expect(m.vaMaxBits).toBe(32 - sz);
    }
    expect(a32LpaeMetaData({ ttbr: 1, t0sz: 0, t1sz: 2 })).toBe(a32LpaeMetaData({ ttbr: 1, t0sz: 0, t1sz: 2 }));
    expect(() => a32LpaeMetaData({ ttbr: 0, t0sz: 8, t1sz: 0 })).toThrow(RangeError);
    expect(() => a32LpaeMetaData({ ttbr: 0, t0sz: 0, t1sz: -1 })).toThrow(RangeError);
    expect(() => a32LpaeMetaData({ ttbr: 1, t0sz: 0, t1sz: 0 })).toThrow(/TTBR1 none/);
  });
});

describe('the long-descriptor tables', () => {
  it('TTBR0 with Linux\'s split: a 32-byte root, 1 GiB and 2 MiB Blocks, 40-bit output, nothing from 0xc000_0000', () => {
    const m = mem();
    const t = new A32LpaePageTable(m, { t0sz: 0, t1sz: 2 });
    expect(t.rootPaddr % 32n).toBe(0n);
    const c = t.cursor();
    c.map(0x4000_0000n, 0xff_c000_0000n, PageSize.Size1G, RW);
    c.map(0x0020_0000n, 0x8000_0000n, PageSize.Size2M, READ | EXECUTE);
    c.map(0x1000n, 0x9000_0000n, PageSize.Size4K, RW | USER);
    expect(t.query(0x7fff_ffffn)).toEqual({ paddr: 0xff_ffff_ffffn, flags: RW, size: PageSize.Size1G });
    expect(t.query(0x0021_0000n).flags).toBe(READ | EXECUTE);
    expect(t.query(0x1234n)).toEqual({ paddr: 0x9000_0234n, flags: RW | USER, size: PageSize.Size4K });
    for (const va of [0xc000_0000n, 0xffff_f000n, 0x1_0000_0000n]) {
      expect(() => c.map(va, 0n, PageSize.Size4K, RW)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    }
    // the root's four entries: 0 and 1 used, 3 (TTBR1's GiB) never
    expect(t.frameCount()).toBe(3); // the root's frame, the level 2 and the level 3 tables
    t.destroy();
    expect(m.framesInUse).toBe(0);
  });

  it('TTBR1 with T1SZ = 2: a 512-entry level 2 root for the top GiB, listed at its own addresses', () => {
    const t = new A32LpaeTtbr1PageTable(mem());
    expect(t.meta.indexBits).toEqual([9, 9]);
    const c = t.cursor();
    c.map(0xc000_0000n, 0x4000_0000n, PageSize.Size2M, RW);
    c.map(0xffff_f000n, 0x4040_0000n, PageSize.Size4K, READ | DEVICE);
    expect(() => c.map(0x8000_0000n, 0n, PageSize.Size4K, RW)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    expect(() => c.map(0xc000_0000n, 0n, PageSize.Size1G, RW)).toThrowError(expect.objectContaining({ code: 'UnsupportedPageSize' }));
    expect(() => t.query(0x1000n)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    expect([...t.mappings()].map((x) => [x.vaddr, x.paddr, x.size])).toEqual([
      [0xc000_0000n, 0x4000_0000n, PageSize.Size2M],
      [0xffff_f000n, 0x4040_0000n, PageSize.Size4K],
    ]);
    // a dump of the table itself covers its window, at the same addresses
    const runs = [...dumpMappings(t)].filter((r) => r.kind === 'mapping');
    expect(runs.map((r) => [r.vaddr, r.paddr])).toEqual([
      [0xc000_0000n, 0x4000_0000n],
      [0xffff_f000n, 0x4040_0000n],
    ]);
    // with T1SZ = 0 (and T0SZ = 1) TTBR1 takes the top 2 GiB from a level 1 root
    const t1 = new A32LpaeTtbr1PageTable(mem(), { t0sz: 1, t1sz: 0 });
    t1.cursor().map(0x8000_0000n, 0x4000_0000n, PageSize.Size1G, RW);
    expect(t1.query(0x8000_1000n).paddr).toBe(0x4000_1000n);
    expect(() => t1.query(0x7fff_f000n)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    expect(() => new A32LpaeTtbr1PageTable(mem(), { t1sz: 0 })).toThrow(RangeError);
  });

  it('attaches at the alignment of TTBRn.BADDR (2^(5 - TxSZ) or 2^(14 - TxSZ) bytes) and reads through any MAIR pair', () => {
    const m = mem();
    const built = new A32LpaePageTable(m, { mair0: 0xeeaa_4400, mair1: 0xff00_0004 });
    built.cursor().map(0x1000n, 0x2000n, PageSize.Size4K, RW | DEVICE);
    const attached = new A32LpaePageTable(m, { root: built.rootPaddr, mair0: 0xeeaa_4400, mair1: 0xff00_0004 });
    expect(attached.query(0x1000n).flags).toBe(RW | DEVICE);
    // the same entry through the default pair: its AttrIndx 4 is an unused byte (0x00, Strongly-ordered)
    expect(new A32LpaePageTable(m, { root: built.rootPaddr }).query(0x1000n).flags).toBe(RW | DEVICE);
    expect(() => new A32LpaePageTable(m, { root: built.rootPaddr + 16n })).toThrowError(expect.objectContaining({ code: 'NotAligned' }));
    expect(() => new A32LpaeTtbr1PageTable(m, { root: RAM + 0x800n })).toThrowError(expect.objectContaining({ code: 'NotAligned' }));
    expect(() => new A32LpaePageTable(m, { mair0: 0xffff_ffff, mair1: 0xffff_ffff })).toThrow(RangeError);
  });
});

describe('a32LpaeInspector (B3.6.1, B3.7.1, B3.7.2)', () => {
  const ALL = 63;
  const hi = (bit: number) => 1 << (bit - 32);
  const ins = a32LpaeInspector();

  it('takes away what APTable, XNTable and PXNTable forbid below a table', () => {
    expect(ins.tableLimit!(3, 0, 0)).toBe(tableLimit(ALL, ALL));
    expect(ins.tableLimit!(3, hi(62), 0)).toBe(tableLimit(ALL & ~WRITE, ALL & ~WRITE));
    expect(ins.tableLimit!(3, hi(61), 0)).toBe(tableLimit(ALL, ALL & ~USER));
    expect(ins.tableLimit!(3, hi(60), 0)).toBe(tableLimit(ALL & ~EXECUTE, ALL & ~EXECUTE));
    expect(ins.tableLimit!(3, hi(59), 0)).toBe(tableLimit(ALL & ~EXECUTE, ALL));
  });

  it('names fields and levels, and reports bits 51:40 as reserved', () => {
    expect(ins.levelNames).toEqual(['L1', 'L2', 'L3']);
    expect(a32LpaeInspector(2).levelNames).toEqual(['L2', 'L3']);
    const page = 0x1000 | 0b11 | (1 << 2) | (0b11 << 6) | (0b11 << 8) | (1 << 10) | (1 << 11);
    expect(ins.describe!(page, hi(53) | hi(54) | hi(52), 2, true)).toBe('PAGE Attr1 AP=RO+PL0 ISH AF nG CONT PXN XN');
    expect(ins.describe!(0x4000_0001, 0, 0, true)).toBe('BLOCK Attr0 AP=RW NSH');
    expect(a32LpaeInspector(2).describe!(0x4000_0001, 0, 0, true)).toMatch(/^BLOCK/);
    expect(ins.describe!(3, hi(63) | hi(62) | hi(61) | hi(60) | hi(59), 0, false)).toBe('NSTable APTable.RO APTable.noPL0 XNTable PXNTable');
    expect(ins.problem!(3, hi(40), 1, false)).toMatch(/51:40/);
    expect(ins.problem!(3, 0xff, 1, false)).toBeUndefined();
  });

  it('applies the limits in a dump: a kernel table behind APTable[1] lists its pages read-only', () => {
    const m = mem();
    const t = new A32LpaePageTable(m);
    t.cursor().map(0x1000n, 0x2000n, PageSize.Size4K, RW);
    // APTable[1] in the level 1 entry (bit 62)
    const e = t.rootPaddr;
    m.writeU64(e, m.readU64(e) | (1n << 62n));
    const dump = dumpMappings({ meta: t.meta, pte: t.pte, handler: m, inspector: ins }, { roots: [{ root: t.rootPaddr, vaStart: 0n, vaEnd: 1n << 32n }] });
    const runs = [...dump].filter((r) => r.kind === 'mapping');
    expect(runs.map((r) => [r.vaddr, r.flags, r.effective])).toEqual([[0x1000n, RW, READ]]);
  });
});
