// 52-bit addresses: FEAT_LPA with the 64KB granule (OA[51:48] in descriptor bits 15:12, 4TB level 1 blocks),
// FEAT_LVA (64KB, TnSZ down to 12: a 1024-entry level 1 table), FEAT_LPA2 with TCR_ELx.DS = 1 for 4KB and 16KB
// (OA[51:50] in bits 9:8 instead of SH, lookup level -1 with 4KB, 512GB level 0 and 64GB level 1 blocks), and the
// registers that select them (TCR.DS, IPS / PS = 0b110, BADDR[51:48] in TTBR bits 5:2).
// Expected values come from the Arm ARM (DDI 0487) D8.2 and D8.3 and the TCR / TTBR register descriptions.
import {
  A64OutputAddress,
  A64PageTable,
  A64PageTable4K52,
  A64PageTable16K52,
  A64PageTable64K48,
  A64PageTable64K52,
  A64PageTableEl2,
  A64Mmu,
  a64Codec,
  a64Geometry,
  a64Inspector,
  a64MetaData,
  decodeA64Registers,
  encodeA64El2Registers,
  encodeA64Registers,
} from '@page-table-multiarch/aarch64';
import { Access, dumpMappings, type MappingRun, MappingFlags, PagingError, PhysicalMemory, Privilege, RegisterError } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER, DEVICE } = MappingFlags;
const RW = READ | WRITE;
const EL1 = Privilege.SUPERVISOR;
const GiB = 2 ** 30;
const TiB = 2 ** 40;

/** Bits msb:lsb of a descriptor. */
const field = (v: bigint, msb: number, lsb: number) => (v >> BigInt(lsb)) & ((1n << BigInt(msb - lsb + 1)) - 1n);

describe('geometry with 52-bit addresses (D8.2)', () => {
  it('4KB with LPA2: 49..52 bits start at lookup level -1 with 2..16 entries; blocks at level 0 (512GB), 1 and 2', () => {
    const g = a64Geometry(4, 52, 52);
    expect(g).toMatchObject({ startLevel: -1, levels: 5, rootEntries: 16, indexBits: [4, 9, 9, 9, 9] });
    // table levels count from the root: lookup level 0 is the table's level 1
    expect(g.blockLevels).toEqual([1, 2, 3]);
    expect(g.leafBytes.slice(1)).toEqual([512 * GiB, GiB, 2 << 20, 4096]);
    expect(a64Geometry(4, 49, 52)).toMatchObject({ startLevel: -1, rootEntries: 2 });
    // 48 bits with LPA2: level 0, and level 0 now has blocks
    expect(a64Geometry(4, 48, 52)).toMatchObject({ startLevel: 0, rootEntries: 512, blockLevels: [0, 1, 2] });
  });

  it('16KB with LPA2: 52 bits start at level 0 with 32 entries; 64GB blocks at level 1', () => {
    const g = a64Geometry(16, 52, 52);
    expect(g).toMatchObject({ startLevel: 0, levels: 4, rootEntries: 32, indexBits: [5, 11, 11, 11], blockLevels: [1, 2] });
    expect(g.leafBytes[1]).toBe(64 * GiB);
    expect(a64Geometry(16, 47, 52).blockLevels).toEqual([0, 1]);
  });

  it('64KB: 52 bits (FEAT_LVA) start at level 1 with 1024 entries; 4TB level 1 blocks only with 52-bit output (FEAT_LPA)', () => {
    expect(a64Geometry(64, 52, 52)).toMatchObject({ startLevel: 1, levels: 3, rootEntries: 1024, indexBits: [10, 13, 13], blockLevels: [0, 1] });
    expect(a64Geometry(64, 52, 52).leafBytes[0]).toBe(4 * TiB);
    expect(a64Geometry(64, 52)).toMatchObject({ rootEntries: 1024, blockLevels: [1] });
    expect(a64Geometry(64, 48, 52)).toMatchObject({ rootEntries: 64, blockLevels: [0, 1] });
  });

  it('refuses more than 48 bits with 4KB / 16KB and 48-bit output, more than 52 bits, and other output sizes', () => {
    expect(() => a64Geometry(4, 49)).toThrow(/FEAT_LPA2/);
    expect(() => a64Geometry(16, 52, 48)).toThrow(RangeError);
    expect(() => a64Geometry(64, 53, 52)).toThrow(RangeError);
    expect(() => a64Geometry(4, 48, 50 as 52)).toThrow(RangeError);
    expect(() => new A64PageTable(undefined, { vaBits: 52 })).toThrow(RangeError);
    expect(() => a64Codec({ startLevel: -1 })).toThrow(RangeError);
    expect(() => a64Codec({ granule: 16, paBits: 52, startLevel: -1 })).toThrow(RangeError);
    expect(() => a64Codec({ paBits: 40 as 52 })).toThrow(RangeError);
  });

  it('metadata: 52-bit physical and virtual address spaces, one object per arguments', () => {
    const m = a64MetaData(4, 52, 'upper', 52);
    expect(m).toMatchObject({ paMaxBits: 52, levels: 5, vaTopBit: 52 });
    expect(a64MetaData(4, 52, 'upper', 52)).toBe(m);
    expect(a64MetaData(64, 52).paMaxBits).toBe(48);
    expect(new A64PageTable4K52().meta.name).toBe('AArch64 4K/52 LPA2');
    expect(new A64PageTable64K52().meta.name).toBe('AArch64 64K/52 LPA');
  });
});

describe('descriptors with 52-bit output addresses (D8.3)', () => {
  const PA = 0x000f_a987_6540_0000n; // bits 51:48 = 0xf, bits 51:50 = 0b11, bits 49:48 = 0b11

  it('FEAT_LPA (64KB): OA[51:48] in bits 15:12 of Page, Block and Table descriptors, OA[47:16] in place', () => {
    const c = a64Codec({ granule: 64, paBits: 52 });
    expect(A64OutputAddress.LPA_HIGH).toBe(0xf000n);
    for (const [e, lsb] of [
      [c.newPage(PA, RW, false), 16],
      [c.newPage(PA, RW, true), 29],
      [c.newTable(PA), 16],
    ] as const) {
      expect(field(e, 15, 12)).toBe(0xfn);
      expect(field(e, 47, lsb)).toBe(field(PA, 47, lsb));
      expect(field(e, 51, 48)).toBe(0n);
      expect(c.paddr(e) >> BigInt(lsb)).toBe(PA >> BigInt(lsb));
    }
    // the 48-bit codec of the same granule has no bits 15:12 and drops OA[51:48]
    expect(field(a64Codec({ granule: 64 }).newPage(PA, RW, false), 15, 12)).toBe(0n);
    // SH stays Inner Shareable (bits 9:8 = 0b11) for Normal memory
    expect(field(c.newPage(PA, RW, false), 9, 8)).toBe(3n);
  });

  it('FEAT_LPA2 (4KB, 16KB, DS = 1): OA[51:50] in bits 9:8, OA[49:12] in place, no SH', () => {
    expect(A64OutputAddress.LPA2_HIGH).toBe(0x300n);
    for (const granule of [4, 16] as const) {
      const c = a64Codec({ granule, paBits: 52, startLevel: granule === 4 ? -1 : 0 });
      const lsb = granule === 4 ? 12 : 14;
      for (const e of [c.newPage(PA, RW, false), c.newTable(PA)]) {
        expect(field(e, 9, 8)).toBe(3n);
        expect(field(e, 49, lsb)).toBe(field(PA, 49, lsb));
        expect(c.paddr(e)).toBe(PA);
      }
      // Normal memory below 2^50: bits 9:8 clear (Shareability comes from TCR.SHn); the 48-bit codec writes SH = 0b11
      expect(field(c.newPage(0x4000_0000n, RW, false), 9, 8)).toBe(0n);
      expect(field(a64Codec({ granule }).newPage(0x4000_0000n, RW, false), 9, 8)).toBe(3n);
      // the permissions and memory types decode as with 48 bits
      for (const f of [READ, RW, READ | EXECUTE, RW | USER, READ | DEVICE]) expect(c.flags(c.newPage(PA, f, false), 3)).toBe(f);
      // setFlags keeps the whole address, setPaddr replaces it
      const e = c.newPage(PA, RW, false);
      expect(c.paddr(c.setFlags(e, READ | USER, false))).toBe(PA);
      expect(c.paddr(c.setPaddr(e, 0x4000_0000n))).toBe(0x4000_0000n);
      expect(c.flags(c.setPaddr(e, 0x4000_0000n), 3)).toBe(RW);
    }
  });

  it('blocks at the levels AArch64.BlockDescSupported() allows with 52 bits, and no others', () => {
    // 4KB from level -1: table level 1 (lookup 0) holds blocks, the root (lookup -1) none
    const c4 = a64Codec({ granule: 4, paBits: 52, startLevel: -1 });
    const block = c4.newPage(PA, RW, true);
    expect(c4.isHuge(block, 1)).toBe(true);
    expect(c4.isPresent(block, 0)).toBe(false);
    // 48-bit 4KB: lookup level 0 has no blocks
    const c48 = a64Codec({ granule: 4 });
    expect(c48.isPresent(c48.newPage(0x80_0000_0000n, RW, true), 0)).toBe(false);
    expect(a64Codec({ granule: 16, paBits: 52 }).isHuge(block, 1)).toBe(true);
    expect(a64Codec({ granule: 16 }).isPresent(block, 1)).toBe(false);
    expect(a64Codec({ granule: 64, paBits: 52 }).isHuge(block, 0)).toBe(true);
    expect(a64Codec({ granule: 64 }).isPresent(block, 0)).toBe(false);
  });
});

describe('52-bit tables', () => {
  const classes = [
    ['4K/52', A64PageTable4K52, 4096, 512 * GiB],
    ['16K/52', A64PageTable16K52, 16384, 64 * GiB],
    ['64K/52', A64PageTable64K52, 65536, 4 * TiB],
  ] as const;

  for (const [name, Table, page, largest] of classes) {
    it(`${name}: tables above 2^48 and leaves up to 2^52 - 1, read back as written`, () => {
      // the memory itself sits above 2^48, so every Table descriptor carries the split address too
      const memory = new PhysicalMemory({ size: 16 << 20, base: 0x000f_ffff_0000_0000n });
      const t = new Table(memory);
      using c = t.cursor();
      const top = 0xfff0_0000_0000_0000n; // the lowest upper-range address: every index 0 but the root's
      c.map(top, 0x000f_ffff_ffff_0000n, page, RW);
      c.map(top + BigInt(largest), 0x000c_0000_0000_0000n, largest, READ | EXECUTE);
      expect(t.query(top + 0x123n)).toEqual({ paddr: 0x000f_ffff_ffff_0123n, flags: RW, size: page });
      expect(t.query(top + BigInt(largest) + 0x456n)).toMatchObject({ paddr: 0x000c_0000_0000_0456n, size: largest });
      // the root's first entry is a Table descriptor whose next-level address is above 2^48
      const root = memory.readU64(t.rootPaddr);
      expect(t.format.codec.paddr(root) >> 48n).toBe(0xfn);
      expect(root & 3n).toBe(3n);
      expect([...t.mappings()].map((m) => m.size)).toEqual([page, largest]);
    });
  }

  for (const [name, Table, page] of classes) {
    it(`${name}: the fast paths (numbers, the walk cache, the specialised walks, one-table regions) read and write both parts of the address`, () => {
      const memory = new PhysicalMemory({ size: 64 << 20, base: 0x4000_0000n });
      const t = new Table(memory);
      // (internal: the fast paths are on, and the format's walks were made)
      expect(t._fast).toBe(true);
      expect(t._walker).not.toBeNull();
      expect(t._probe).not.toBeNull();
      const c = t.cursor();
      // below 2^48 (nothing in the second part), at it, above 2^50 (both LPA2 bits) and the last page below 2^52
      const pas = [2 ** 48 - 2 * page, 2 ** 48, 2 ** 50 + page, 2 ** 52 - 2 * page];
      // each pair in a last-level table of its own: a map that misses (the prober), then one into the table it made
      const vas = pas.map((_, i) => (i + 1) * GiB);
      pas.forEach((pa, i) => {
        c.map(vas[i]!, pa, page, RW);
        c.map(vas[i]! + page, pa + page, page, READ);
      });
      pas.forEach((pa, i) => {
        t.invalidate(); // the specialised walk
        expect(t.queryNumber(vas[i]! + 0x123)).toBe(pa + 0x123);
        expect(t.queryNumber(vas[i]! + page + 8)).toBe(pa + page + 8); // the last table looked up
        expect(t.lastFlags).toBe(READ);
        expect(t.query(BigInt(vas[i]! + page + 8)).paddr).toBe(BigInt(pa + page + 8));
      });
      // regions in one table: across 2^48 (the general path: adding page sizes in place would carry out of OA[47:n])
      // and wholly above it
      const across = 5 * GiB;
      const above = 6 * GiB;
      c.mapRegion(across, 2 ** 48 - 2 * page, 4 * page, RW, false);
      c.mapRegion(above, 2 ** 50 + 2 ** 49, 4 * page, RW, false);
      for (let k = 0; k < 4; k++) {
        expect(t.query(BigInt(across + k * page)).paddr).toBe(BigInt(2 ** 48 + (k - 2) * page));
        expect(t.query(BigInt(above + k * page)).paddr).toBe(BigInt(2 ** 50 + 2 ** 49 + k * page));
      }
      // unmap through the walk cache gives the whole address back
      expect(t.queryNumber(vas[3]!)).toBe(pas[3]);
      expect(c.unmap(vas[3]! + page)).toEqual({ paddr: BigInt(pas[3]! + page), flags: READ, size: page });
      expect([...t.mappings()].length).toBe(2 * pas.length - 1 + 8);
      t.destroy();
      expect(memory.framesInUse).toBe(0);
    });
  }

  it('refuses output addresses of 2^52 and above, and blocks a format does not have, changing no byte', () => {
    const memory = new PhysicalMemory({ size: 1 << 24, base: 0x4000_0000n });
    const t = new A64PageTable4K52(memory);
    const t64 = new A64PageTable(memory, { granule: 64, vaBits: 52 });
    const image = memory.bytes().slice();
    expect(() => t.cursor().map(0x1000n, 1n << 52n, 4096, RW)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    // 52-bit virtual addresses with a 48-bit output: 4TB blocks need FEAT_LPA, output addresses stop at 2^48
    expect(() => t64.cursor().map(0n, 0n, 4 * TiB, RW)).toThrowError(expect.objectContaining({ code: 'UnsupportedPageSize' }));
    expect(() => t64.cursor().map(0n, 1n << 48n, 65536, RW)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    expect(() => new A64PageTable64K48(memory).cursor().map(0n, 0n, 4 * TiB, RW)).toThrow(PagingError);
    // a VA beyond 52 bits
    expect(() => t.cursor().map(0x0010_0000_0000_0000n, 0x4000_0000n, 4096, RW)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    const now = memory.bytes();
    expect(now.length === image.length && now.every((b, i) => b === image[i])).toBe(true);
  });
});

describe('registers of 52-bit tables', () => {
  it('TCR_EL1: DS [59] = 1 for 4KB / 16KB, IPS [34:32] = 0b110, TnSZ = 12; TTBR bits 5:2 = BADDR[51:48]; decoded back', () => {
    const memory = new PhysicalMemory({ size: 16 << 20, base: 0x000a_0000_0000_0000n });
    for (const [Table, ds] of [
      [A64PageTable4K52, 1n],
      [A64PageTable16K52, 1n],
      [A64PageTable64K52, 0n],
    ] as const) {
      const lower = new Table(memory, { half: 'lower' });
      const upper = new Table(memory, { half: 'upper' });
      const regs = encodeA64Registers({ ttbr0: lower, ttbr1: upper });
      expect(field(regs.tcr, 59, 59)).toBe(ds);
      expect(field(regs.tcr, 34, 32)).toBe(0b110n);
      expect(field(regs.tcr, 5, 0)).toBe(12n);
      expect(field(regs.tcr, 21, 16)).toBe(12n);
      expect(field(regs.ttbr0, 5, 2)).toBe(0xan);
      expect(field(regs.ttbr0, 47, 6)).toBe(field(lower.rootPaddr, 47, 6));
      const plan = decodeA64Registers(regs);
      if (plan instanceof RegisterError) throw plan;
      expect(plan.roots.map((r) => [r.root, r.vaBits, r.vaStart])).toEqual([
        [lower.rootPaddr, 52, 0n],
        [upper.rootPaddr, 52, 0xfff0_0000_0000_0000n],
      ]);
      expect(plan.format.meta.paMaxBits).toBe(52);
      expect(plan.notes.join('\n')).toMatch(ds ? /FEAT_LPA2/ : /FEAT_LPA\)/);
    }
  });

  it('TCR_EL2: DS [32], PS [18:16] = 0b110', () => {
    const t = new A64PageTableEl2(new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n }), { vaBits: 52, paBits: 52 });
    const regs = encodeA64El2Registers(t);
    expect(field(regs.tcr, 32, 32)).toBe(1n);
    expect(field(regs.tcr, 18, 16)).toBe(0b110n);
    const plan = decodeA64Registers({ ttbr0: regs.ttbr0, tcr: regs.tcr, el2: true });
    if (plan instanceof RegisterError) throw plan;
    expect(plan.roots[0]).toMatchObject({ root: t.rootPaddr, vaBits: 52, startLevel: 0 });
    expect(plan.format.name).toBe('AArch64 EL2, 4 KiB granule, 52-bit (LPA2, DS = 1)');
  });

  it('refuses two tables of different output sizes, which one TCR cannot describe', () => {
    const memory = new PhysicalMemory({ size: 1 << 22, base: 0x4000_0000n });
    expect(() => encodeA64Registers({ ttbr0: new A64PageTable(memory), ttbr1: new A64PageTable(memory, { paBits: 52 }) })).toThrow(TypeError);
  });

  it('a dump of a 4KB DS = 1 table names the lookup levels from L-1 and lists what the table lists', () => {
    const memory = new PhysicalMemory({ size: 1 << 22, base: 0x4000_0000n });
    const t = new A64PageTable4K52(memory, { half: 'upper' });
    using c = t.cursor();
    c.map(0xfff0_0000_0000_0000n, 0x000f_0000_0000_0000n, 512 * GiB, RW);
    c.map(0xffff_ffff_ffff_f000n, 0x0008_0000_1234_5000n, 4096, READ | USER);
    const plan = decodeA64Registers(encodeA64Registers({ ttbr1: t }));
    if (plan instanceof RegisterError) throw plan;
    expect(plan.format.inspector?.levelNames).toEqual(['L-1', 'L0', 'L1', 'L2', 'L3']);
    const runs = [...dumpMappings({ ...plan.format, handler: memory }, { roots: plan.roots })] as MappingRun[];
    expect(runs.map((r) => [r.vaddr, r.paddr, r.pageSize])).toEqual([...t.mappings()].map((m) => [m.vaddr, m.paddr, m.size]));
    // no SH in the description: bits 9:8 are address bits
    expect(a64Inspector({ ds: true, startLevel: -1 }).describe!(0x707, 0, 4, true)).not.toMatch(/SH/);
    expect(a64Inspector().describe!(0x707, 0, 3, true)).toMatch(/ISH/);
  });

  it('64KB with IPS = 52 bits reads OA[51:48]; 4KB with IPS = 52 bits but DS = 0 reads 48 bits, with a note', () => {
    const tcr64 = 12n | (0b01n << 14n) | (0b110n << 32n) | (1n << 23n);
    const p64 = decodeA64Registers({ ttbr0: 0x1_0000n | (0x3n << 2n), tcr: tcr64 });
    if (p64 instanceof RegisterError) throw p64;
    expect(p64.roots[0]).toMatchObject({ root: 0x0003_0000_0001_0000n, vaBits: 52 });
    const p4 = decodeA64Registers({ ttbr0: 0x1000n, tcr: 16n | (0b110n << 32n) | (1n << 23n) });
    if (p4 instanceof RegisterError) throw p4;
    expect(p4.format.meta.paMaxBits).toBe(48);
    expect(p4.notes.join('\n')).toMatch(/read as 48-bit/);
  });
});

describe('A64Mmu with 52-bit addresses', () => {
  const rows = [
    ['4K/52 (DS = 1, from level -1)', A64PageTable4K52, 4096, 512 * GiB],
    ['16K/52 (DS = 1)', A64PageTable16K52, 16384, 64 * GiB],
    ['64K/52 (FEAT_LPA, FEAT_LVA)', A64PageTable64K52, 65536, 4 * TiB],
  ] as const;

  for (const [name, Table, page, largest] of rows) {
    it(`${name}: the walk gives what the table maps, 52-bit outputs included (seeded)`, () => {
      const memory = new PhysicalMemory({ size: 16 << 20, base: 0x000e_0000_0000_0000n });
      const lower = new Table(memory, { half: 'lower' });
      const upper = new Table(memory, { half: 'upper' });
      let seed = 0x5eed52;
      const rand = (n: number): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed % n;
      };
      const vas: bigint[] = [];
      for (let i = 0; i < 24; i++) {
        const size = i % 3 === 0 ? largest : page;
        const table = i % 2 === 0 ? lower : upper;
        const base = (i % 2 === 0 ? 0n : 0xfff0_0000_0000_0000n) + BigInt(i) * BigInt(largest);
        const pa = (BigInt(rand(1 << 20)) * BigInt(largest)) % (1n << 52n);
        const flags = [RW, READ, RW | USER, READ | USER | EXECUTE][rand(4)]!;
        table.cursor().map(base, pa - (pa % BigInt(size)), size, flags);
        vas.push(base + BigInt(rand(size)));
      }
      const mmu = new A64Mmu(memory, { ...encodeA64Registers({ ttbr0: lower, ttbr1: upper }), paBits: 52 });
      for (const va of vas) {
        const q = (va >> 63n === 1n ? upper : lower).query(va);
        const r = mmu.translate(va, Access.READ, EL1);
        expect(r).toMatchObject({ ok: true, paddr: q.paddr, size: q.size });
      }
    });
  }

  it('a fault at lookup level -1: ESR_EL1 DFSC 0b101011 (Translation fault, level -1)', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const t = new A64PageTable4K52(memory, { half: 'lower' });
    t.cursor().map(0n, 0x4008_0000n, 4096, RW);
    const mmu = new A64Mmu(memory, { ...encodeA64Registers({ ttbr0: t }), paBits: 52 });
    // root entry 1 (VA 2^48) is invalid
    const r = mmu.translate(1n << 48n, Access.READ, EL1);
    expect(r).toMatchObject({ ok: false, kind: 'NotPresent' });
    expect(mmu.esr & 0x3f).toBe(0b101011);
    expect(mmu.lookupLevel).toBe(-1);
    // without FEAT_LPA2 (PARange 48 bits) DS = 1 is refused
    expect(() => new A64Mmu(memory, encodeA64Registers({ ttbr0: t }))).toThrow(RegisterError);
  });
});
