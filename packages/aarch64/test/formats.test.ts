// The AArch64 formats beyond the crate's one: memory types through the MAIR the OS programs, nG, the granules and
// VA sizes of D8.2, tables of one range (TTBR0 or TTBR1), and the registers that describe them (TCR_EL1, MAIR_EL1).
import {
  a64Codec,
  A64PTE,
  A64PTEImpliedRead,
  a64Geometry,
  A64PageTable,
  A64PageTable4K39,
  A64PageTable16K47,
  A64PageTable16K48,
  A64PageTable64K42,
  A64PageTable64K48,
  DescriptorAttr,
  decodeA64Registers,
  encodeA64Registers,
} from '@page-table-multiarch/aarch64';
import { MappingFlags, PageSize, PagingError, PhysicalMemory, RegisterError, translateAddress } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';

const { READ: R, WRITE: W, EXECUTE: X, USER: U, DEVICE, UNCACHED } = MappingFlags;

// Linux's MAIR_EL1: arch/arm64/mm/proc.S, MAIR_EL1_SET = MAIR_ATTRIDX(MAIR_ATTR_DEVICE_nGnRnE, MT_DEVICE_nGnRnE) |
// MAIR_ATTRIDX(MAIR_ATTR_DEVICE_nGnRE, MT_DEVICE_nGnRE) | MAIR_ATTRIDX(MAIR_ATTR_NORMAL_NC, MT_NORMAL_NC) |
// MAIR_ATTRIDX(MAIR_ATTR_NORMAL, MT_NORMAL) | MAIR_ATTRIDX(MAIR_ATTR_NORMAL, MT_NORMAL_TAGGED), with the indices of
// arch/arm64/include/asm/memory.h (MT_NORMAL 0, MT_NORMAL_TAGGED 1, MT_NORMAL_NC 2, MT_DEVICE_nGnRnE 3,
// MT_DEVICE_nGnRE 4) and the bytes of arch/arm64/include/asm/sysreg.h (0x00, 0x04, 0x44, 0xff).
const LINUX_MAIR = 0x0000_0004_0044_ffffn;

/** AttrIndx (bits 4:2) of a descriptor. */
const attrIndx = (bits: bigint): number => Number((bits >> 2n) & 7n);

const mem = (size = 8 << 20) => new PhysicalMemory({ size, base: 0x4000_0000n });

describe('memory types through the MAIR', () => {
  it("Linux's MAIR: DEVICE, UNCACHED and normal mappings take AttrIndx 4, 2 and 0, and read back as such", () => {
    const c = a64Codec({ mair: LINUX_MAIR });
    expect(c.attrIndex).toEqual({ device: 4, uncached: 2, normal: 0 });
    const t = new A64PageTable(mem(), { mair: LINUX_MAIR });
    const cur = t.cursor();
    cur.map(0x1000n, 0x4100_0000n, PageSize.Size4K, R | W | DEVICE);
    cur.map(0x2000n, 0x4100_1000n, PageSize.Size4K, R | W | UNCACHED);
    cur.map(0x3000n, 0x4100_2000n, PageSize.Size4K, R | X);
    const bits = [...t.mappings()].map((m) => m.bits);
    expect(bits.map(attrIndx)).toEqual([4, 2, 0]);
    // Device memory is Outer Shareable whatever SH says (D8.6.2): SH left 0 there, Inner Shareable for Normal
    expect(bits.map((b) => Number((b >> 8n) & 3n))).toEqual([0, 3, 3]);
    expect([0x1000n, 0x2000n, 0x3000n].map((va) => t.query(va).flags)).toEqual([R | W | DEVICE, R | W | UNCACHED, R | X]);
  });

  it('decoding reads each AttrIndx as its MAIR byte says (the crate reads 0 as DEVICE and 2 as UNCACHED only)', () => {
    const linux = a64Codec({ mair: LINUX_MAIR });
    // a valid kernel page (AF, AP = 0b00, UXN) with each AttrIndx
    const entry = (idx: number) => 0x0040_0000_4000_0403n | (BigInt(idx) << 2n);
    const types = (codec: typeof linux | typeof A64PTE) => [0, 1, 2, 3, 4, 5].map((i) => codec.flags(entry(i), 3) & (DEVICE | UNCACHED));
    // Linux: 0 and 1 Normal, 2 Normal-NC, 3 and 4 Device, 5..7 0x00 (Device-nGnRnE)
    expect(types(linux)).toEqual([0, 0, UNCACHED, DEVICE, DEVICE, DEVICE]);
    // MAIR_VALUE 0x44ff04: 0 Device, 1 Normal, 2 Normal-NC, 3..7 0x00
    expect(types(A64PTEImpliedRead)).toEqual([DEVICE, 0, UNCACHED, DEVICE, DEVICE, DEVICE]);
    expect(types(A64PTE)).toEqual([DEVICE, 0, UNCACHED, 0, 0, 0]);
  });

  it('a MAIR without a memory type the flags need is a RangeError, and nothing is allocated', () => {
    const m = mem();
    expect(() => new A64PageTable(m, { mair: 0xffff_ffff_ffff_ffffn })).toThrow(/a64Codec: MAIR 0xffffffffffffffff holds no Device \(0x04 or 0x00\) attribute/);
    expect(() => new A64PageTable(m, { mair: 0x0404_ffffn })).toThrow(/holds no Normal Non-cacheable \(0x44\) attribute/);
    expect(() => new A64PageTable(m, { mair: 0x4404n })).toThrow(/holds no Normal Write-Back/);
    expect(() => new A64PageTable(m, { mair: -1n })).toThrow(RangeError);
    expect(m.framesInUse).toBe(0);
  });

  it("decodeA64Registers reads MAIR_EL1, and a MAIR without the three types is 'Invalid'", () => {
    const plan = decodeA64Registers({ ttbr1: 0x4000_0000n, tcr: 0x8010_0010n, mair: LINUX_MAIR });
    if (plan instanceof RegisterError) throw plan;
    expect(plan.format.pte.flags(0x0040_0000_4000_0403n, 3) & DEVICE).toBe(0); // AttrIndx 0: Normal for Linux
    const bad = decodeA64Registers({ ttbr1: 0x4000_0000n, tcr: 0x8010_0010n, mair: 0xffn });
    expect(bad).toBeInstanceOf(RegisterError);
    expect((bad as RegisterError).code).toBe('Invalid');
  });
});

describe('nG per mapping', () => {
  it("'user' marks the USER mappings not global, 'all' every mapping, 'none' (the default) none", () => {
    const ng = (nonGlobal?: 'none' | 'user' | 'all') => {
      const t = new A64PageTable(mem(), nonGlobal === undefined ? {} : { nonGlobal });
      const c = t.cursor();
      c.map(0x1000n, 0x4100_0000n, PageSize.Size4K, R | W | U);
      c.map(0x0000_ff80_0000_0000n, 0x4100_1000n, PageSize.Size4K, R | W);
      return [...t.mappings()].map((m) => (m.bits & DescriptorAttr.NG) !== 0n);
    };
    expect(ng()).toEqual([false, false]);
    expect(ng('user')).toEqual([true, false]);
    expect(ng('all')).toEqual([true, true]);
    expect(() => new A64PageTable(mem(), { nonGlobal: 'some' as never })).toThrow(RangeError);
  });
});

describe('granules and VA sizes (D8.2)', () => {
  // [granule KiB, VA bits, start level, first table's entries, leaf bytes per level from the root]: the start
  // levels and sizes of D8.2's tables; leaves are 1G/2M/4K (4K), 32M/16K (16K), 512M/64K (64K)
  const G = 1 << 30;
  const M = 1 << 20;
  const K = 1 << 10;
  const rows: [4 | 16 | 64, number, number, number, (number | null)[]][] = [
    [4, 48, 0, 512, [null, G, 2 * M, 4 * K]],
    [4, 42, 0, 8, [null, G, 2 * M, 4 * K]],
    [4, 39, 1, 512, [G, 2 * M, 4 * K]],
    [4, 32, 1, 4, [G, 2 * M, 4 * K]],
    [4, 30, 2, 512, [2 * M, 4 * K]],
    [16, 48, 0, 2, [null, null, 32 * M, 16 * K]],
    [16, 47, 1, 2048, [null, 32 * M, 16 * K]],
    [16, 42, 1, 64, [null, 32 * M, 16 * K]],
    [16, 39, 1, 8, [null, 32 * M, 16 * K]],
    [16, 36, 2, 2048, [32 * M, 16 * K]],
    [64, 48, 1, 64, [null, 512 * M, 64 * K]],
    [64, 42, 2, 8192, [512 * M, 64 * K]],
    [64, 39, 2, 1024, [512 * M, 64 * K]],
    [64, 29, 3, 8192, [64 * K]],
  ];
  it.each(rows)('%iK granule, %i-bit: start level %i, %i entries first', (granule, vaBits, start, entries, leaves) => {
    const g = a64Geometry(granule, vaBits);
    expect(g.startLevel).toBe(start);
    expect(g.rootEntries).toBe(entries);
    expect(g.leafBytes.map((b, l) => (g.blockLevels.includes(l) || l === g.levels - 1 ? b : null))).toEqual(leaves);
  });

  it('refuses the sizes the architecture does not have without 52-bit or FEAT_TTST', () => {
    expect(() => a64Geometry(4, 49)).toThrow(RangeError);
    expect(() => a64Geometry(64, 24)).toThrow(RangeError);
    expect(() => a64Geometry(8 as never, 48)).toThrow(RangeError);
    expect(() => new A64PageTable(mem(), { vaBits: 31, half: 'upper' })).toThrow(/serves the lower range only/);
  });

  // the leaf sizes of each granule (AArch64.BlockDescSupported()): a block, and the page
  const SIZES_4K = [PageSize.Size1G, PageSize.Size2M, PageSize.Size4K];
  const SIZES_16K = [PageSize.Size32M, PageSize.Size16K];
  const SIZES_64K = [PageSize.Size512M, PageSize.Size64K];
  it('a walk that starts at level 3 (one table: 16K at 25 bits, 64K at 25..29 bits) serves the lower range', () => {
    for (const [granule, vaBits] of [[16, 25], [64, 29]] as const) {
      const m = mem();
      const t = new A64PageTable(m, { granule, vaBits, half: 'lower' });
      expect(t.meta.levels).toBe(1);
      const page = granule * 1024;
      const c = t.cursor();
      for (let i = 0; i < 40; i++) c.map(BigInt(i * 3 * page), 0x4000_0000n + BigInt(i * page), page, R | W);
      for (let i = 0; i < 120; i++) {
        const va = i * page + 0x123;
        const want = i % 3 === 0 ? 0x4000_0000 + (i / 3) * page + 0x123 : -1;
        expect(t.queryNumber(va)).toBe(want);
      }
      expect(() => t.query(1n << BigInt(vaBits))).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
      t.destroy();
      expect(m.framesInUse).toBe(0);
    }
  });

  const named = [
    [A64PageTable4K39, PageSize.Size1G, 3, SIZES_4K],
    [A64PageTable16K47, PageSize.Size32M, 3, SIZES_16K],
    [A64PageTable16K48, PageSize.Size32M, 4, SIZES_16K],
    [A64PageTable64K42, PageSize.Size512M, 2, SIZES_64K],
    [A64PageTable64K48, PageSize.Size512M, 3, SIZES_64K],
  ] as const;
  it.each(named.map(([T, block, levels, sizes]) => [T.name, T, block, levels, sizes] as const))(
    '%s maps its blocks and pages, and refuses a block size its granule does not have',
    (_n, Table, block, levels, sizes: readonly number[]) => {
      const m = mem(32 << 20);
      const t = new Table(m);
      expect(t.meta.levels).toBe(levels);
      const page = t.meta.levelSize[levels - 1]!;
      const c = t.cursor();
      c.map(BigInt(block), 0x4000_0000n + BigInt(block) * 0n, block, R | W);
      c.map(BigInt(3 * block), 0x4000_0000n + BigInt(page), page, R | X);
      expect(t.query(BigInt(block) + 0x1234n)).toEqual({ paddr: 0x4000_1234n, flags: R | W, size: block });
      expect(t.query(BigInt(3 * block) + 5n)).toEqual({ paddr: 0x4000_0005n + BigInt(page), flags: R | X, size: page });
      const before = m.bytes().slice();
      for (const size of [PageSize.Size4K, PageSize.Size2M, PageSize.Size1G, PageSize.Size32M, PageSize.Size512M]) {
        if (sizes.includes(size)) continue;
        expect(() => c.map(BigInt(5 * block), 0x4000_0000n, size, R)).toThrowError(expect.objectContaining({ code: 'UnsupportedPageSize' }));
      }
      expect(Buffer.compare(m.bytes(), before)).toBe(0);
      t.destroy();
      expect(m.framesInUse).toBe(0);
    },
  );
});

describe('the halves: tables of the lower or the upper range', () => {
  it('an upper table takes only upper addresses and reports them in full; a lower table the reverse', () => {
    const m = mem();
    const upper = new A64PageTable16K47(m, { half: 'upper' });
    const lower = new A64PageTable16K47(m, { half: 'lower' });
    const va = 0xffff_c000_0400_0000n; // 2^64 - 2^46 + 64 MiB: in the 47-bit upper range
    upper.cursor().map(va, 0x4000_0000n, PageSize.Size32M, R | W);
    lower.cursor().map(0x0400_0000n, 0x4000_0000n, PageSize.Size32M, R | W);
    expect([...upper.mappings()].map((x) => x.vaddr)).toEqual([va]);
    expect([...lower.mappings()].map((x) => x.vaddr)).toEqual([0x0400_0000n]);
    const before = m.bytes().slice();
    for (const [t, bad] of [[upper, va & ((1n << 47n) - 1n)], [lower, va]] as const) {
      expect(() => t.query(bad)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
      expect(() => t.cursor().map(bad + 0x200_0000n, 0x4000_0000n, PageSize.Size32M, R)).toThrow(PagingError);
      expect(() => t.cursor().unmap(bad)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    }
    // 47 bits: bit 47 of an upper address is one too
    expect(() => upper.query(0xffff_4000_0000_0000n)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    expect(Buffer.compare(m.bytes(), before)).toBe(0);
    // the crate's model stays the default: one table, both ranges, the lower form reported
    const both = new A64PageTable16K47(m);
    both.cursor().map(va, 0x4000_0000n, PageSize.Size32M, R);
    expect([...both.mappings()].map((x) => x.vaddr)).toEqual([va & ((1n << 47n) - 1n)]);
    expect(both.query(va & ((1n << 47n) - 1n)).paddr).toBe(0x4000_0000n);
  });

  it('encodeA64Registers puts each table in its TTBR with its TnSZ and granule, and refuses a table of the other range', () => {
    const m = mem();
    const user = new A64PageTable16K47(m, { half: 'lower', mair: LINUX_MAIR });
    const kernel = new A64PageTable16K47(m, { half: 'upper', mair: LINUX_MAIR });
    const regs = encodeA64Registers({ ttbr0: user, ttbr1: kernel, asid: 3 });
    // T0SZ = T1SZ = 17; TG0 = 0b10 and TG1 = 0b01 (16KB)
    expect(regs.tcr & 0x3fn).toBe(17n);
    expect((regs.tcr >> 16n) & 0x3fn).toBe(17n);
    expect((regs.tcr >> 14n) & 3n).toBe(2n);
    expect((regs.tcr >> 30n) & 3n).toBe(1n);
    expect(regs.mair).toBe(LINUX_MAIR);
    const plan = decodeA64Registers({ ...regs });
    if (plan instanceof RegisterError) throw plan;
    expect(plan.roots.map((r) => [r.vaStart, r.vaBits, r.startLevel])).toEqual([
      [0n, 47, 1],
      [(1n << 64n) - (1n << 47n), 47, 1],
    ]);
    expect(() => encodeA64Registers({ ttbr0: kernel })).toThrow(/"ttbr0" is a table of the upper range only/);
    expect(() => encodeA64Registers({ ttbr1: user })).toThrow(/"ttbr1" is a table of the lower range only/);
    expect(() => encodeA64Registers({ ttbr0: user, ttbr1: new A64PageTable16K47(m, { half: 'upper' }) })).toThrow(/different MAIR/);
  });
});

describe('the registers of every granule', () => {
  it('a dump translates as the tables do, for each granule and both TTBRs (TG0/TG1, T0SZ/T1SZ)', () => {
    for (const [Table, va0, va1] of [
      [A64PageTable4K39, 0x12_3456_7000n, 0xffff_ff80_1234_5000n],
      [A64PageTable16K47, 0x12_3456_4000n, 0xffff_c012_3456_4000n],
      [A64PageTable64K42, 0x12_3456_0000n, 0xffff_fc12_3456_0000n],
      [A64PageTable64K48, 0x1234_5678_0000n, 0xffff_1234_5678_0000n],
    ] as const) {
      const m = mem(16 << 20);
      const user = new Table(m, { half: 'lower' });
      const kernel = new Table(m, { half: 'upper' });
      const page = user.meta.levelSize[user.meta.levels - 1]!;
      user.cursor().map(va0, 0x4080_0000n, page, R | W | U);
      kernel.cursor().map(va1, 0x40c0_0000n, page, R | X);
      const plan = decodeA64Registers(encodeA64Registers({ ttbr0: user, ttbr1: kernel }));
      if (plan instanceof RegisterError) throw plan;
      const source = { ...plan.format, handler: m };
      for (const [t, va] of [[user, va0 + 0x123n], [kernel, va1 + 0x123n]] as const) {
        const tr = translateAddress(source, va, { roots: plan.roots });
        expect(tr.mapped, Table.name).toBe(true);
        expect(tr.paddr).toBe(t.query(va).paddr);
        expect(tr.flags).toBe(t.query(va).flags);
      }
    }
  });

  it("two different granules for the two ranges are 'Unsupported'; a reserved TG encoding 'Invalid'", () => {
    // TG0 = 0b10 (16KB), TG1 = 0b10 (4KB)
    const mixed = decodeA64Registers({ ttbr0: 0x4000_0000n, ttbr1: 0x4001_0000n, tcr: (2n << 14n) | 17n | (2n << 30n) | (16n << 16n) });
    expect((mixed as RegisterError).code).toBe('Unsupported');
    const reserved = decodeA64Registers({ ttbr1: 0x4000_0000n, tcr: 16n << 16n });
    expect((reserved as RegisterError).code).toBe('Invalid');
  });
});

describe('top-byte ignore (TCR_EL1.TBI0 / TBI1, D8.8 "Address tagging")', () => {
  const m = mem();
  const user = new A64PageTable(m, { half: 'lower' });
  const kernel = new A64PageTable(m, { half: 'upper' });
  user.cursor().map(0x40_0000n, 0x4100_0000n, PageSize.Size4K, R | W | U);
  kernel.cursor().map(0xffff_8000_0000_0000n, 0x4200_0000n, PageSize.Size4K, R | W);
  const regs = encodeA64Registers({ ttbr0: user, ttbr1: kernel });
  const TBI0 = 1n << 37n;
  const TBI1 = 1n << 38n;
  const translate = (tcr: bigint, va: bigint) => {
    const plan = decodeA64Registers({ ...regs, tcr });
    if (plan instanceof RegisterError) throw plan;
    return translateAddress({ ...plan.format, handler: m }, va, { roots: plan.roots });
  };

  it('with TBIn = 1 a tagged pointer translates as its untagged form', () => {
    expect(translate(regs.tcr | TBI0, 0x5a00_0000_0040_0010n)).toMatchObject({ mapped: true, paddr: 0x4100_0010n, root: 0 });
    // bit 55 picks TTBR1; the tag 0x12 replaces the top byte 0xff
    expect(translate(regs.tcr | TBI1, 0x12ff_8000_0000_0020n)).toMatchObject({ mapped: true, paddr: 0x4200_0020n, root: 1 });
  });

  it('with TBIn = 0 it is refused, and the reason says why', () => {
    const lowerTagged = translate(regs.tcr | TBI1, 0x5a00_0000_0040_0010n);
    expect(lowerTagged.mapped).toBe(false);
    expect(lowerTagged.reason).toBe('0x5a00000000400010 carries the tag 0x5a in bits 63:56, which TTBR0_EL1 does not ignore for translation');
    expect(translate(regs.tcr | TBI0, 0x12ff_8000_0000_0020n).reason).toMatch(/carries the tag 0x12 in bits 63:56, which TTBR1_EL1 does not ignore/);
    // an untagged address is as before
    expect(translate(regs.tcr, 0x40_0010n).paddr).toBe(0x4100_0010n);
  });
});
