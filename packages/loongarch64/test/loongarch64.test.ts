// LoongArch64-specific behaviour, checked against the LoongArch Reference Manual Vol. 1 (v1.10): the entry bits
// of TLBELO (7.5.3) and of the in-memory formats (5.4.5), the page walk controllers (7.5.8, 7.5.9), and the
// walker's reading of directory entries (LDDIR, 4.2.5.1).
import { MappingFlags, PageSize, PagingError, PhysicalMemory } from '@page-table-multiarch/core';
import {
  LA64MetaData,
  LA64PageTable,
  LA64PTE,
  PTEFlags,
  PWCH_VALUE,
  PWCL_VALUE,
} from '@page-table-multiarch/loongarch64';
import { describe, expect, expectTypeOf, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;
const RW = READ | WRITE;

/** Bits [lsb, lsb + width) of a u32 CSR value. */
const field = (value: number, lsb: number, width: number): number => (value >>> lsb) & ((1 << width) - 1);
/** VA bit where the index of a level starts: log2 of the bytes one of its entries covers. */
const base = (level: number): number => Math.log2(LA64MetaData.levelSize[level]!);
/** Index of `va` in the table at `level`. */
const indexAt = (va: bigint, level: number): number => Number((va >> BigInt(base(level))) & 511n);

describe('PWCL_VALUE and PWCH_VALUE, field by field (7.5.8, 7.5.9)', () => {
  it('PWCL describes the last level and the two lowest directories of the geometry', () => {
    expect(field(PWCL_VALUE, 0, 5), 'PTbase').toBe(base(3));
    expect(field(PWCL_VALUE, 0, 5)).toBe(LA64MetaData.pageShift);
    expect(field(PWCL_VALUE, 5, 5), 'PTwidth').toBe(LA64MetaData.indexBits[3]);
    expect(field(PWCL_VALUE, 10, 5), 'Dir1_base').toBe(base(2));
    expect(field(PWCL_VALUE, 15, 5), 'Dir1_width').toBe(LA64MetaData.indexBits[2]);
    expect(field(PWCL_VALUE, 20, 5), 'Dir2_base').toBe(base(1));
    expect(field(PWCL_VALUE, 25, 5), 'Dir2_width').toBe(LA64MetaData.indexBits[1]);
    // PTEWidth: 0 means 64-bit entries (1, 2, 3: 128, 192, 256 bits)
    expect(8 << field(PWCL_VALUE, 30, 2), 'PTEWidth').toBe(LA64MetaData.entryBytes);
    expect([base(3), base(2), base(1)]).toEqual([12, 21, 30]);
  });

  it('PWCH describes the root as Dir3 and no Dir4', () => {
    expect(field(PWCH_VALUE, 0, 6), 'Dir3_base').toBe(base(0));
    expect(field(PWCH_VALUE, 6, 6), 'Dir3_width').toBe(LA64MetaData.indexBits[0]);
    expect(field(PWCH_VALUE, 12, 6), 'Dir4_base').toBe(0);
    expect(field(PWCH_VALUE, 18, 6), 'Dir4_width: no such level').toBe(0);
    expect(PWCH_VALUE >>> 24, 'bits 31:24 (reserved; HPTW_En at bit 24 left clear)').toBe(0);
    // the walk covers exactly the 48 translated bits
    expect(field(PWCH_VALUE, 0, 6) + field(PWCH_VALUE, 6, 6)).toBe(LA64MetaData.vaMaxBits);
  });

  it('has no bit outside the fields and equals the values the crate documents', () => {
    const pwcl = base(3) | (9 << 5) | (base(2) << 10) | (9 << 15) | (base(1) << 20) | (9 << 25);
    expect(PWCL_VALUE).toBe(pwcl);
    expect(PWCH_VALUE).toBe(base(0) | (9 << 6));
    expect(PWCL_VALUE).toBe(0x13e4_d52c);
    expect(PWCH_VALUE).toBe(0x267);
  });
});

describe('walk and mappings() descend through directory entries (the crate never gets below the root)', () => {
  const small = 0x12_3456_7000n; // 4 KiB page, lower half
  const huge = 0xffff_8000_0060_0000n; // 2 MiB page, upper half

  const build = () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x20_0000n });
    const table = new LA64PageTable(mem);
    const c = table.cursor();
    c.map(small, 0x9000n, PageSize.Size4K, READ | EXECUTE);
    c.map(huge, 0x4020_0000n, PageSize.Size2M, RW);
    c.flush();
    return { mem, table };
  };

  it('walk visits every level: Dir3, Dir2, Dir1 and PT for the 4 KiB page; down to Dir1 for the 2 MiB page', () => {
    const { table } = build();
    const seen: { level: number; index: number; vaddr: bigint; bits: bigint }[] = [];
    table.walk(512, (level, index, vaddr, bits) => seen.push({ level, index, vaddr, bits }));
    expect(seen.map((e) => e.level)).toEqual([0, 1, 2, 3, 0, 1, 2]);
    expect(seen.slice(0, 4).map((e) => e.index)).toEqual([0, 1, 2, 3].map((l) => indexAt(small, l)));
    expect(seen.slice(4).map((e) => e.index)).toEqual([0, 1, 2].map((l) => indexAt(huge, l)));
    expect(seen[4]!.index).toBe(256); // the upper half starts at root entry 256

    const leaf4k = seen[3]!;
    const leaf2m = seen[6]!;
    expect(leaf4k.vaddr).toBe(small);
    expect(leaf4k.bits & 0xffff_ffff_f000n).toBe(0x9000n);
    expect(leaf4k.bits & PTEFlags.V).toBe(PTEFlags.V);
    expect(leaf2m.vaddr).toBe(huge);
    expect(leaf2m.bits & (PTEFlags.GH | PTEFlags.V)).toBe(PTEFlags.GH | PTEFlags.V);

    // Directory entries are bare table addresses (5.4.5): no V and no P. The crate decides presence by P,
    // so its walk skips them all; here they are present at their level and lead to the next table.
    for (const e of [...seen.slice(0, 3), ...seen.slice(4, 6)]) {
      expect(e.bits & 0xfffn, `level ${e.level} entry holds only an address`).toBe(0n);
      expect(e.bits & PTEFlags.P).toBe(0n);
      expect(e.bits).not.toBe(0n);
      expect(LA64PTE.isPresent(e.bits, e.level)).toBe(true);
      expect(LA64PTE.isHuge(e.bits, e.level)).toBe(false);
    }
    table.destroy();
  });

  it('post callbacks come after the subtree, in the same order', () => {
    const { table } = build();
    const order: string[] = [];
    table.walk(
      512,
      (level) => order.push(`pre${level}`),
      (level) => order.push(`post${level}`),
    );
    expect(order).toEqual(['pre0', 'pre1', 'pre2', 'pre3', 'post3', 'post2', 'post1', 'post0', 'pre0', 'pre1', 'pre2', 'post2', 'post1', 'post0']);
    table.destroy();
  });

  it('mappings() lists the 4 KiB page at level 3 and the 2 MiB page at level 2', () => {
    const { table, mem } = build();
    const list = [...table.mappings()];
    expect(list.map(({ vaddr, paddr, size, flags, level }) => ({ vaddr, paddr, size, flags, level }))).toEqual([
      { vaddr: small, paddr: 0x9000n, size: PageSize.Size4K, flags: READ | EXECUTE, level: 3 },
      { vaddr: huge, paddr: 0x4020_0000n, size: PageSize.Size2M, flags: RW, level: 2 },
    ]);
    expect(table.query(small + 0x123n)).toEqual({ paddr: 0x9123n, flags: READ | EXECUTE, size: PageSize.Size4K });
    expect(table.query(huge + 0x1_2345n)).toEqual({ paddr: 0x4021_2345n, flags: RW, size: PageSize.Size2M });
    // root + 3 tables for the 4 KiB page + 2 for the 2 MiB page
    expect(table.frameCount()).toBe(6);
    expect(mem.framesInUse).toBe(6);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('a 1 GiB page is listed at level 1', () => {
    const table = new LA64PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x20_0000n }));
    table.cursor().map(0x40_0000_0000n, 0x8000_0000n, PageSize.Size1G, READ);
    const [m] = [...table.mappings()];
    expect(m?.level).toBe(1);
    expect(m?.size).toBe(PageSize.Size1G);
    expect(table.query(0x40_0000_0000n + 0x1234_5678n).paddr).toBe(0x9234_5678n);
    table.destroy();
  });
});

describe('presence and huge pages by level (5.4.5, 4.2.5.1)', () => {
  it('a directory entry with bit 6 clear is a table pointer: present when non-zero', () => {
    const table = LA64PTE.newTable(0x5000n);
    expect(table).toBe(0x5000n);
    for (const level of [0, 1, 2]) {
      expect(LA64PTE.isPresent(table, level)).toBe(true);
      expect(LA64PTE.isHuge(table, level)).toBe(false);
      expect(LA64PTE.paddr(table, level)).toBe(0x5000n);
      expect(LA64PTE.isPresent(0n, level)).toBe(false);
    }
    // the same bits at the last level are a page entry without V: not present
    expect(LA64PTE.isPresent(table, 3)).toBe(false);
    expect(LA64PTE.isPresent(table)).toBe(false); // no level: the last level
  });

  it('a directory entry with bit 6 set is a huge page: present when V is set', () => {
    const bits = LA64PTE.newPage(0x4000_0000n, READ, true);
    expect(bits & PTEFlags.GH).toBe(PTEFlags.GH);
    for (const level of [1, 2]) {
      expect(LA64PTE.isPresent(bits, level)).toBe(true);
      expect(LA64PTE.isHuge(bits, level)).toBe(true);
      expect(LA64PTE.isPresent(bits & ~PTEFlags.V, level)).toBe(false);
    }
    // empty flags: the crate's encoding, address and bit 6 only, is not present
    expect(LA64PTE.isPresent(LA64PTE.newPage(0x4000_0000n, 0, true), 1)).toBe(false);
  });

  it('at the last level, present means V (the bit the TLB checks), not P; bit 6 is G, not huge', () => {
    const bits = LA64PTE.newPage(0x7000n, RW, false);
    expect(LA64PTE.isPresent(bits, 3)).toBe(true);
    expect(LA64PTE.isPresent(bits & ~PTEFlags.P, 3)).toBe(true);
    expect(LA64PTE.isPresent(bits & ~PTEFlags.V, 3)).toBe(false);
    expect(LA64PTE.isPresent(0x7000n | PTEFlags.P, 3)).toBe(false);
    expect(LA64PTE.isHuge(bits | PTEFlags.GH, 3)).toBe(false);
    expect(LA64PTE.isPresent(LA64PTE.newPage(0x7000n, 0, false), 3)).toBe(false);
  });

  it('a table at physical 0 would be linked by an all-zero entry, which reads as empty', () => {
    // why the tables' memory (and the test suites') should not hand out frame 0 as a table
    expect(LA64PTE.newTable(0n)).toBe(0n);
    expect(LA64PTE.isUnused(LA64PTE.newTable(0n))).toBe(true);
    expect(LA64PTE.isPresent(0n, 1)).toBe(false);
  });
});

describe('the G bit of a huge page sits at bit 12 (5.4.5)', () => {
  it('is not part of the address of a huge entry, but is at the last level', () => {
    const bits = LA64PTE.newPage(0x4020_0000n, RW, true) | PTEFlags.G;
    expect(LA64PTE.paddr(bits, 2)).toBe(0x4020_0000n);
    expect(LA64PTE.flags(bits, 2)).toBe(RW);
    const moved = LA64PTE.setPaddr(bits, 0x8000_0000n, 2);
    expect(moved & PTEFlags.G).toBe(PTEFlags.G);
    expect(LA64PTE.paddr(moved, 2)).toBe(0x8000_0000n);
    // a 4 KiB entry: bit 12 is address bit 12
    const page = LA64PTE.newPage(0x4020_1000n, RW, false);
    expect(LA64PTE.paddr(page, 3)).toBe(0x4020_1000n);
    expect(LA64PTE.paddr(LA64PTE.setPaddr(page, 0x3000n, 3), 3)).toBe(0x3000n);
  });

  it('survives protect and remap of a huge page, and never leaks into a returned address', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x20_0000n });
    const table = new LA64PageTable(mem);
    const va = 0xffff_8000_0040_0000n;
    const c = table.cursor();
    c.map(va, 0x4020_0000n, PageSize.Size2M, RW);
    // the Dir1 table is what the level-1 entry points at; set G in the huge entry by hand
    let dir1 = -1n;
    table.walk(512, (level, _i, _va, bits) => {
      if (level === 1) dir1 = LA64PTE.paddr(bits, 1);
    });
    const at = dir1 + BigInt(indexAt(va, 2) * 8);
    expect(LA64PTE.isHuge(mem.readU64(at), 2)).toBe(true);
    mem.writeU64(at, mem.readU64(at) | PTEFlags.G);
    expect(table.query(va + 0x10n)).toEqual({ paddr: 0x4020_0010n, flags: RW, size: PageSize.Size2M });
    c.protect(va, READ);
    expect(mem.readU64(at) & PTEFlags.G).toBe(PTEFlags.G);
    c.remap(va, 0x6000_0000n, RW);
    expect(mem.readU64(at) & PTEFlags.G).toBe(PTEFlags.G);
    expect(table.query(va).paddr).toBe(0x6000_0000n);
    expect(c.unmap(va)).toEqual({ paddr: 0x6000_0000n, flags: RW, size: PageSize.Size2M });
    table.destroy();
  });

  it('does not shift the pieces when a range operation splits such a huge page', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x20_0000n });
    const table = new LA64PageTable(mem);
    const va = 0x4000_0000n;
    const c = table.cursor();
    c.map(va, 0x4020_0000n, PageSize.Size2M, RW);
    let dir1 = -1n;
    table.walk(512, (level, _i, _va, bits) => {
      if (level === 1) dir1 = LA64PTE.paddr(bits, 1);
    });
    const at = dir1 + BigInt(indexAt(va, 2) * 8);
    mem.writeU64(at, mem.readU64(at) | PTEFlags.G);
    // unmapping one 4 KiB page in the middle splits the 2 MiB page into 511 pieces at their own addresses
    expect(c.unmapRegion(va + 0x5000n, 0x1000n)).toBe(0x1000n);
    const pieces = [...table.mappings()];
    expect(pieces.length).toBe(511);
    expect(pieces.every((m) => m.level === 3 && m.paddr - 0x4020_0000n === m.vaddr - va)).toBe(true);
    expect(table.query(va + 0x4abcn)).toEqual({ paddr: 0x4020_4abcn, flags: RW, size: PageSize.Size4K });
    table.destroy();
  });
});

describe('attached to tables written by someone else (a memory dump)', () => {
  it('follows bare directory addresses, reads bit 6 by level, and counts only entries with V', () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    const w = (pa: bigint, index: number, bits: bigint) => mem.writeU64(pa + BigInt(index * 8), bits);
    const { V, D, P, W, MATL, PLVL, PLVH, GH, G, NX } = PTEFlags;
    // root 0x1000 -> Dir2 0x2000 -> Dir1 0x3000; frame 0 stays zero
    w(0x1000n, 0, 0x2000n);
    w(0x2000n, 0, 0x3000n);
    // Dir1[1]: a global, kernel, read-write 2 MiB page at 0x40_0000 (bit 6 huge, G at bit 12)
    w(0x3000n, 1, 0x40_0000n | V | D | P | W | MATL | GH | G | NX);
    // Dir1[2] -> PT 0x4000; PT[3]: a global user read-execute 4 KiB page (bit 6 is G here)
    w(0x3000n, 2, 0x4000n);
    w(0x4000n, 3, 0x9000n | V | P | MATL | PLVL | PLVH | GH);
    // PT[4]: P without V, which the TLB would refuse: not a mapping
    w(0x4000n, 4, 0xa000n | P | MATL);
    const table = new LA64PageTable(mem, { root: 0x1000n });
    expect([...table.mappings()].map(({ vaddr, paddr, size, flags, level }) => ({ vaddr, paddr, size, flags, level }))).toEqual([
      { vaddr: 0x20_0000n, paddr: 0x40_0000n, size: PageSize.Size2M, flags: RW, level: 2 },
      { vaddr: 0x40_3000n, paddr: 0x9000n, size: PageSize.Size4K, flags: READ | EXECUTE | USER, level: 3 },
    ]);
    expect(table.query(0x20_1234n).paddr).toBe(0x40_1234n);
    expect(() => table.query(0x40_4000n)).toThrowError(expect.objectContaining({ code: 'NotMapped' }));
    const levels: number[] = [];
    table.walk(512, (level) => levels.push(level));
    expect(levels).toEqual([0, 1, 2, 2, 3]);
  });
});

describe('entry bits mean what the manual says (7.5.3, 5.4.5, 5.3)', () => {
  it('PTEFlags sit at the manual bit positions', () => {
    expect(PTEFlags).toEqual({
      V: 1n << 0n,
      D: 1n << 1n,
      PLVL: 1n << 2n,
      PLVH: 1n << 3n,
      MATL: 1n << 4n,
      MATH: 1n << 5n,
      GH: 1n << 6n,
      P: 1n << 7n,
      W: 1n << 8n,
      G: 1n << 12n,
      NR: 1n << 61n,
      NX: 1n << 62n,
      RPLV: 1n << 63n,
    });
  });

  it('every non-empty MappingFlags set encodes to the bits that grant exactly it', () => {
    const plv = (b: bigint) => Number((b >> 2n) & 3n);
    const mat = (b: bigint) => Number((b >> 4n) & 3n);
    const bit = (b: bigint, n: bigint) => (b >> n) & 1n;
    for (let f = 1; f < 64; f++) {
      for (const isHuge of [false, true]) {
        const b = LA64PTE.newPage(0x4000_0000n, f, isHuge);
        const why = `flags ${f} huge ${isHuge}`;
        expect(bit(b, 0n), `${why}: V`).toBe(1n);
        expect(bit(b, 7n), `${why}: P`).toBe(1n);
        expect(bit(b, 61n), `${why}: NR iff no READ`).toBe(f & READ ? 0n : 1n);
        expect(bit(b, 8n), `${why}: W iff WRITE`).toBe(f & WRITE ? 1n : 0n);
        expect(bit(b, 1n), `${why}: D iff WRITE`).toBe(f & WRITE ? 1n : 0n);
        expect(bit(b, 62n), `${why}: NX iff no EXECUTE`).toBe(f & EXECUTE ? 0n : 1n);
        expect(plv(b), `${why}: PLV 3 iff USER`).toBe(f & USER ? 3 : 0);
        expect(bit(b, 63n), `${why}: RPLV never`).toBe(0n);
        // 0 strongly-ordered uncached, 1 coherent cached, 2 weakly-ordered uncached (5.3)
        expect(mat(b), `${why}: MAT`).toBe(f & DEVICE ? 0 : f & UNCACHED ? 2 : 1);
        expect(bit(b, 6n), `${why}: bit 6 iff huge`).toBe(isHuge ? 1n : 0n);
        expect(bit(b, 12n), `${why}: no huge-page G`).toBe(0n);
        expect(b & 0x0000_ffff_ffff_f000n).toBe(0x4000_0000n);
        // decoding gives the flags back, DEVICE winning over UNCACHED as in the encoding
        const want = f & DEVICE ? f & ~UNCACHED : f;
        expect(LA64PTE.flags(b, isHuge ? 2 : 3), why).toBe(want);
      }
    }
  });

  it('decodes foreign entries by the meaning of each field', () => {
    const valid = 0x5000n | PTEFlags.V;
    // no V: nothing, whatever else is set
    expect(LA64PTE.flags(0x5000n | PTEFlags.P | PTEFlags.W | PTEFlags.MATL)).toBe(0);
    // V alone: readable, executable, kernel-only, MAT 0 = strongly-ordered uncached
    expect(LA64PTE.flags(valid)).toBe(READ | EXECUTE | DEVICE);
    expect(LA64PTE.flags(valid | (1n << 4n))).toBe(READ | EXECUTE); // MAT 1
    expect(LA64PTE.flags(valid | (2n << 4n))).toBe(READ | EXECUTE | UNCACHED); // MAT 2
    expect(LA64PTE.flags(valid | (3n << 4n))).toBe(READ | EXECUTE); // MAT 3 is reserved; read as cached, as the crate
    for (const p of [0n, 1n, 2n]) expect(LA64PTE.flags(valid | PTEFlags.MATL | (p << 2n)) & USER, `PLV ${p}`).toBe(0);
    expect(LA64PTE.flags(valid | PTEFlags.MATL | (3n << 2n)) & USER).toBe(USER);
    expect(LA64PTE.flags(valid | PTEFlags.MATL | PTEFlags.NR | PTEFlags.NX)).toBe(0);
    expect(LA64PTE.flags(valid | PTEFlags.MATL | PTEFlags.W)).toBe(READ | WRITE | EXECUTE);
    // RPLV, G (either position), D, P and the huge flag do not change MappingFlags
    const extra = PTEFlags.RPLV | PTEFlags.G | PTEFlags.GH | PTEFlags.D | PTEFlags.P;
    expect(LA64PTE.flags(valid | PTEFlags.MATL | extra)).toBe(READ | EXECUTE);
  });
});

describe('flags without READ are written (store-only, execute-only pages); empty flags are refused', () => {
  const setup = () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x20_0000n });
    return { mem, table: new LA64PageTable(mem) };
  };

  it('WRITE alone: NR | W | D | NX, reads back as WRITE', () => {
    const { table } = setup();
    table.cursor().map(0x1000n, 0x2000n, PageSize.Size4K, WRITE);
    const [m] = [...table.mappings()];
    expect(m!.bits & (PTEFlags.NR | PTEFlags.W | PTEFlags.D | PTEFlags.NX | PTEFlags.V)).toBe(
      PTEFlags.NR | PTEFlags.W | PTEFlags.D | PTEFlags.NX | PTEFlags.V,
    );
    expect(table.query(0x1000n).flags).toBe(WRITE);
    table.destroy();
  });

  it('EXECUTE alone: NR set, NX clear, no W or D, reads back as EXECUTE', () => {
    const { table } = setup();
    table.cursor().map(0x1000n, 0x2000n, PageSize.Size4K, EXECUTE | USER);
    const [m] = [...table.mappings()];
    expect(m!.bits & PTEFlags.NR).toBe(PTEFlags.NR);
    expect(m!.bits & (PTEFlags.NX | PTEFlags.W | PTEFlags.D)).toBe(0n);
    expect(table.query(0x1000n).flags).toBe(EXECUTE | USER);
    table.destroy();
  });

  it('protect and a huge page take them too', () => {
    const { table } = setup();
    const c = table.cursor();
    c.map(0x20_0000n, 0x40_0000n, PageSize.Size2M, RW);
    expect(c.protect(0x20_0000n, WRITE | EXECUTE)).toBe(PageSize.Size2M);
    expect(table.query(0x20_0000n).flags).toBe(WRITE | EXECUTE);
    expect(c.protectRegion(0x20_0000n, 0x20_0000n, EXECUTE)).toBe(0x20_0000n);
    expect(table.query(0x20_0000n).flags).toBe(EXECUTE);
    table.destroy();
  });

  it('empty flags: InvalidFlags, nothing written', () => {
    const { mem, table } = setup();
    const c = table.cursor();
    c.map(0x1000n, 0x2000n, PageSize.Size4K, READ);
    const before = mem.bytes().slice();
    for (const fn of [() => c.map(0x3000n, 0x4000n, PageSize.Size4K, 0), () => c.protect(0x1000n, 0), () => c.remap(0x1000n, 0x5000n, 0)]) {
      expect(fn).toThrowError(expect.objectContaining({ code: 'InvalidFlags' }));
    }
    expect(Buffer.compare(mem.bytes(), before)).toBe(0);
    table.destroy();
  });
});

describe('LA64PageTable', () => {
  it('has the 4-level, 48-bit geometry', () => {
    expect(LA64MetaData.levels).toBe(4);
    expect(LA64MetaData.vaMaxBits).toBe(48);
    expect(LA64MetaData.paMaxBits).toBe(48);
    expect(LA64MetaData.levelSize).toEqual([2 ** 39, 2 ** 30, 2 ** 21, 2 ** 12]);
    expect(LA64MetaData.leafLevels).toEqual([1, 2, 3]);
    expect(LA64MetaData.tableBytes).toEqual([4096, 4096, 4096, 4096]);
  });

  it('accepts virtual addresses whose bits 63:47 are equal, and only those (5.2)', () => {
    expect(LA64MetaData.vaddrIsValid(0x0000_7fff_ffff_f000n)).toBe(true);
    expect(LA64MetaData.vaddrIsValid(0xffff_8000_0000_0000n)).toBe(true);
    expect(LA64MetaData.vaddrIsValid(0x0000_8000_0000_0000n)).toBe(false);
    expect(LA64MetaData.vaddrIsValid(0xffff_7fff_ffff_f000n)).toBe(false);
    const table = new LA64PageTable();
    expect(() => table.query(0x0000_8000_0000_0000n)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    table.destroy();
  });

  it('maps the highest 48-bit physical page and refuses one above (PALEN = 48)', () => {
    const table = new LA64PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x20_0000n }));
    const c = table.cursor();
    c.map(0xffff_ffff_ffff_f000n, 0xffff_ffff_f000n, PageSize.Size4K, READ);
    expect(table.query(0xffff_ffff_ffff_ffffn).paddr).toBe(0xffff_ffff_ffffn);
    expect(() => c.map(0x1000n, 1n << 48n, PageSize.Size4K, READ)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    table.destroy();
  });

  it('tryNew returns NoMemory instead of throwing when no frame is left', () => {
    const mem = new PhysicalMemory({ size: 4096 });
    expect(LA64PageTable.tryNew(mem)).toBeInstanceOf(LA64PageTable);
    const second = LA64PageTable.tryNew(mem);
    expect(second).toBeInstanceOf(PagingError);
    expect(second).toMatchObject({ code: 'NoMemory' });
  });

  it('types tryNew as LA64PageTable or the PagingError', () => {
    expectTypeOf(LA64PageTable.tryNew(new PhysicalMemory({ size: 1 << 20 }))).toEqualTypeOf<LA64PageTable | PagingError>();
  });
});

describe('a table frame at physical address 0', () => {
  it('is never linked (its link would read as an unused entry): the table takes another frame', () => {
    const mem = new PhysicalMemory({ size: 64 * 4096, base: 0n });
    const a = new LA64PageTable(mem);
    expect(a.rootPaddr).toBe(0n);
    const b = new LA64PageTable(mem);
    a.destroy(); // frame 0 is free again and next in line
    const c = b.cursor();
    c.map(0x1000n, 0x5000n, PageSize.Size4K, MappingFlags.READ);
    expect(b.query(0x1000n).paddr).toBe(0x5000n);
    expect(b.frameCount()).toBe(mem.framesInUse);
    b.destroy();
    expect(mem.framesInUse).toBe(0);
  });
});
