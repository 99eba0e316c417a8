// RISC-V-specific behaviour, checked against the Privileged Architecture ("Supervisor-Level ISA": Sv32 "Addressing
// and Memory Protection" for bits 9-0 and the R/W/X table, "Virtual Address Translation Process" steps 3-4, Sv39 /
// Sv48 "Addressing and Memory Protection" for the PPN field and the address rules, Svpbmt) and the T-Head C9xx
// attribute bits.
import {
  bitsToWords,
  MappingFlags,
  PageSize,
  type PageTable64,
  type PagingError,
  PhysicalMemory,
  wordsOf,
  wordsToBits,
} from '@page-table-multiarch/core';
import {
  legalLeafFlags,
  PTEFlags,
  Rv64PTE,
  Rv64PTELegal,
  Rv64PTEXuantie,
  Rv64PTEXuantieLegal,
  Sv39MetaData,
  Sv39PageTable,
  Sv39PageTableXuantie,
  Sv48MetaData,
  Sv48PageTable,
  Sv48PageTableXuantie,
  Sv57MetaData,
  Sv57PageTable,
} from '@page-table-multiarch/riscv';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;
const RW = READ | WRITE;
const RAM = 0x8000_0000n;

/** The leaf entry that maps `va`, from the table's listing. */
function leafBits(table: PageTable64, va: bigint): bigint {
  const m = [...table.mappings()].find((x) => x.vaddr <= va && va < x.vaddr + BigInt(x.size));
  expect(m, `a leaf for ${va.toString(16)}`).toBeDefined();
  return m!.bits;
}

/** What the translation process of the specification makes of a valid entry: 'invalid', 'reserved', 'leaf', 'pointer'. */
function specKind(bits: bigint): string {
  if ((bits & PTEFlags.V) === 0n) return 'invalid';
  if ((bits & PTEFlags.R) === 0n && (bits & PTEFlags.W) !== 0n) return 'reserved';
  return (bits & (PTEFlags.R | PTEFlags.X)) !== 0n ? 'leaf' : 'pointer';
}

describe('PTE bits per the privileged specification', () => {
  it('places V R W X U G A D at bits 0..7, RSW at 9:8, PBMT at 62:61, N at 63', () => {
    expect([PTEFlags.V, PTEFlags.R, PTEFlags.W, PTEFlags.X, PTEFlags.U, PTEFlags.G, PTEFlags.A, PTEFlags.D]).toEqual(
      [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n].map((b) => 1n << b),
    );
    expect(PTEFlags.RSW).toBe(0b11n << 8n);
    expect(PTEFlags.PBMT).toBe(0b11n << 61n);
    expect(PTEFlags.N).toBe(1n << 63n);
  });

  it('places the T-Head attributes SO C B SH at bits 63..60, and the crate masks for device and normal memory', () => {
    expect([PTEFlags.SO, PTEFlags.C, PTEFlags.B, PTEFlags.SH]).toEqual([1n << 63n, 1n << 62n, 1n << 61n, 1n << 60n]);
    expect(PTEFlags.XUANTIE_C9XX_DEVICE).toBe(PTEFlags.SO | PTEFlags.B);
    expect(PTEFlags.XUANTIE_C9XX_NORMAL).toBe(PTEFlags.C | PTEFlags.B | PTEFlags.SH);
  });

  it('encodes a leaf as PPN in bits 53:10 and V, A, D with the permissions', () => {
    const pa = 0x8000_1000n;
    const ppnField = (pa >> 12n) << 10n;
    const base = PTEFlags.V | PTEFlags.A | PTEFlags.D;
    expect(Rv64PTE.newPage(pa, READ, false)).toBe(ppnField | base | PTEFlags.R);
    expect(Rv64PTE.newPage(pa, RW | USER, false)).toBe(ppnField | base | PTEFlags.R | PTEFlags.W | PTEFlags.U);
    expect(Rv64PTE.newPage(pa, READ | EXECUTE, true)).toBe(ppnField | base | PTEFlags.R | PTEFlags.X);
    // DEVICE and UNCACHED have no standard bit in the crate's encoding
    expect(Rv64PTE.newPage(pa, READ | DEVICE | UNCACHED, false)).toBe(ppnField | base | PTEFlags.R);
    expect(Rv64PTE.newPage(pa, 0, false)).toBe(ppnField);
  });

  it('encodes a pointer to the next table as V alone, which the spec reads as a pointer', () => {
    const bits = Rv64PTE.newTable(0x8000_3000n);
    expect(bits).toBe(((0x8000_3000n >> 12n) << 10n) | PTEFlags.V);
    expect(specKind(bits)).toBe('pointer');
    expect(Rv64PTE.isHuge(bits)).toBe(false);
    expect(Rv64PTE.isPresent(bits)).toBe(true);
  });

  it('decodes hand-built entries by the meaning of each bit', () => {
    const pa = 0x1234_5000n;
    const ppn = (pa >> 12n) << 10n;
    const { V, R, W, X, U, G, A, D, RSW } = PTEFlags;
    const cases: [bigint, number][] = [
      [ppn | V | R, READ],
      [ppn | V | R | W, RW],
      [ppn | V | X, EXECUTE],
      [ppn | V | R | X | U, READ | EXECUTE | USER],
      // G, A, D and RSW grant nothing
      [ppn | V | R | G | A | D | RSW, READ],
      // V = 0: every other bit is free for software, nothing is granted
      [ppn | R | W | X | U | A | D, 0],
      // Svpbmt memory types: NC (1) and IO (2); 3 is reserved and reads as no type
      [ppn | V | R | (1n << 61n), READ | UNCACHED],
      [ppn | V | R | W | (2n << 61n), RW | DEVICE],
      [ppn | V | R | (3n << 61n), READ],
    ];
    for (const [bits, flags] of cases) {
      expect(Rv64PTE.flags(bits), bits.toString(16)).toBe(flags);
      expect(Rv64PTELegal.flags(bits), bits.toString(16)).toBe(flags);
      expect(Rv64PTE.paddr(bits)).toBe(pa);
    }
  });

  it('decodes T-Head entries: SO is DEVICE, C = 0 without SO is UNCACHED', () => {
    const ppn = 0x400n;
    const { V, R, SO, C, B, SH } = PTEFlags;
    expect(Rv64PTEXuantie.flags(ppn | V | R | C | B | SH)).toBe(READ);
    expect(Rv64PTEXuantie.flags(ppn | V | R | SO | B)).toBe(READ | DEVICE);
    expect(Rv64PTEXuantie.flags(ppn | V | R | B | SH)).toBe(READ | UNCACHED);
    expect(Rv64PTEXuantie.flags(ppn | R | SO | B)).toBe(0);
    expect(Rv64PTEXuantie.paddr(ppn | V | R | SO | C | B | SH)).toBe(0x1000n);
  });

  it('tells leaves from pointers by R and X only (step 4 of the translation process)', () => {
    const { V, R, W, X, U, A, D } = PTEFlags;
    for (let perm = 0n; perm < 16n; perm++) {
      const bits = 0x2000_0000n | V | (perm << 1n) | A | D;
      const kind = specKind(bits);
      if (kind === 'reserved') continue;
      expect(Rv64PTE.isHuge(bits), bits.toString(16)).toBe(kind === 'leaf');
      const [lo, hi] = bitsToWords(bits);
      expect(Rv64PTE.words.isHuge(lo, hi, 1)).toBe(kind === 'leaf');
    }
    expect(Rv64PTE.isHuge(V | U | A | D)).toBe(false);
    expect(Rv64PTE.isHuge(V | X)).toBe(true);
    expect(Rv64PTE.isHuge(V | R | W)).toBe(true);
    expect(Rv64PTE.isHuge(V | W)).toBe(false);
  });

  it('setFlags keeps only the PPN (as the crate), setPaddr keeps every other bit', () => {
    const foreign = Rv64PTE.newPage(0x8000_0000n, RW, false) | PTEFlags.G | PTEFlags.RSW | (1n << 61n);
    expect(Rv64PTE.setFlags(foreign, READ, false)).toBe(Rv64PTE.newPage(0x8000_0000n, READ, false));
    const moved = Rv64PTE.setPaddr(foreign, 0x00ff_ffff_ffff_f000n);
    expect(moved & ~((1n << 54n) - (1n << 10n))).toBe(foreign & ~((1n << 54n) - (1n << 10n)));
    expect(Rv64PTE.paddr(moved)).toBe(0x00ff_ffff_ffff_f000n);
  });
});

describe('leaf permissions: WRITE implies READ, and every leaf has R or X', () => {
  it('keeps the crate encodings in Rv64PTE: WRITE alone is W without R (a reserved encoding)', () => {
    const bits = Rv64PTE.newPage(0x1000n, WRITE, false);
    expect(bits).toBe(0x4c5n);
    expect(specKind(bits)).toBe('reserved');
    // USER alone: V | U | A | D, which the specification walks as a pointer
    expect(specKind(Rv64PTE.newPage(0x4000_0000n, USER, true))).toBe('pointer');
  });

  it('legalLeafFlags adds READ exactly where the specification needs it', () => {
    const expected: [number, number][] = [
      [0, 0],
      [READ, READ],
      [WRITE, RW],
      [EXECUTE, EXECUTE],
      [WRITE | EXECUTE, RW | EXECUTE],
      [USER, READ | USER],
      [EXECUTE | USER, EXECUTE | USER],
      [DEVICE | UNCACHED, READ | DEVICE | UNCACHED],
      [WRITE | USER | DEVICE, RW | USER | DEVICE],
    ];
    for (const [given, legal] of expected) expect(legalLeafFlags(given), `flags ${given}`).toBe(legal);
  });

  it('the tables\' codecs write a valid leaf for every non-empty flag set, granting what was asked', () => {
    for (const pte of [Rv64PTELegal, Rv64PTEXuantieLegal]) {
      for (let flags = 1; flags < 64; flags++) {
        for (const huge of [false, true]) {
          const bits = pte.newPage(0x4000_0000n, flags, huge, huge ? 1 : 2);
          expect(specKind(bits), `flags ${flags}`).toBe('leaf');
          expect(pte.isHuge(bits)).toBe(true);
          const granted = pte.flags(bits) & (READ | WRITE | EXECUTE | USER);
          // every permission asked for is granted; the only addition is READ
          expect(granted & flags & (READ | WRITE | EXECUTE | USER)).toBe(flags & (READ | WRITE | EXECUTE | USER));
          expect(granted & ~flags & ~READ).toBe(0);
        }
      }
    }
  });

  it('the tables\' codecs are the crate encodings wherever those are valid leaves', () => {
    for (const [legal, crate] of [
      [Rv64PTELegal, Rv64PTE],
      [Rv64PTEXuantieLegal, Rv64PTEXuantie],
    ] as const) {
      for (let flags = 1; flags < 64; flags++) {
        const bits = crate.newPage(0x20_0000n, flags, false);
        if (specKind(bits) === 'leaf') expect(legal.newPage(0x20_0000n, flags, false), `flags ${flags}`).toBe(bits);
        else expect(legal.newPage(0x20_0000n, flags, false)).toBe(crate.newPage(0x20_0000n, flags | READ, false));
      }
    }
  });

  it('a table maps WRITE as R | W and a permission-less 1G page as a readable leaf', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new Sv39PageTable(mem);
    const c = table.cursor();
    c.map(0x1000n, 0x8000_0000n, PageSize.Size4K, WRITE);
    expect(table.query(0x1008n)).toEqual({ paddr: 0x8000_0008n, flags: RW, size: PageSize.Size4K });
    expect(leafBits(table, 0x1000n) & (PTEFlags.R | PTEFlags.W)).toBe(PTEFlags.R | PTEFlags.W);
    const tables = table.tableCount();
    c.map(0x4000_0000n, 0xc000_0000n, PageSize.Size1G, USER);
    expect(table.tableCount()).toBe(tables); // a leaf in the root, not a pointer into the mapped frame
    expect(table.query(0x4000_1234n)).toEqual({ paddr: 0xc000_1234n, flags: READ | USER, size: PageSize.Size1G });
    expect(specKind(leafBits(table, 0x4000_0000n))).toBe('leaf');
    expect(c.protect(0x4000_0000n, WRITE | EXECUTE)).toBe(PageSize.Size1G);
    expect(table.query(0x4000_0000n).flags).toBe(RW | EXECUTE);
    expect(c.protectRegion(0x1000n, 0x1000n, WRITE)).toBe(0x1000n);
    expect(c.remap(0x1000n, 0x8000_2000n, EXECUTE)).toBe(PageSize.Size4K);
    expect(table.query(0x1000n).flags).toBe(EXECUTE); // execute-only pages are legal and stay so
    c.mapRegion(0x20_0000n, 0x8000_0000n, 0x20_0000n, WRITE | USER, true);
    expect(table.query(0x20_0000n)).toEqual({ paddr: 0x8000_0000n, flags: RW | USER, size: PageSize.Size2M });
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('the word-level form of the tables\' codecs agrees with their bigint form', () => {
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    for (const pte of [Rv64PTELegal, Rv64PTEXuantieLegal]) {
      const w = wordsOf(pte);
      expect(w).toBe(pte.words);
      fc.assert(
        fc.property(u64, u64, fc.integer({ min: 0, max: 63 }), fc.boolean(), fc.nat(3), (bits, pa, flags, huge, l) => {
          const [lo, hi] = bitsToWords(bits);
          const [paLo, paHi] = bitsToWords(pa);
          expect(wordsToBits(w.newPageLo(paLo, paHi, flags, huge, l), w.newPageHi(paLo, paHi, flags, huge, l))).toBe(pte.newPage(pa, flags, huge, l));
          expect(wordsToBits(w.setFlagsLo(lo, hi, flags, huge, l), w.setFlagsHi(lo, hi, flags, huge, l))).toBe(pte.setFlags(bits, flags, huge, l));
          expect(wordsToBits(w.setPaddrLo(lo, hi, paLo, paHi, l), w.setPaddrHi(lo, hi, paLo, paHi, l))).toBe(pte.setPaddr(bits, pa, l));
          expect(wordsToBits(w.paddrLo(lo, hi, l), w.paddrHi(lo, hi, l))).toBe(pte.paddr(bits, l));
          expect(w.flags(lo, hi, l)).toBe(pte.flags(bits, l));
          expect(w.isPresent(lo, hi, l)).toBe(pte.isPresent(bits, l));
          expect(w.isHuge(lo, hi, l)).toBe(pte.isHuge(bits, l));
        }),
        { numRuns: 1000 },
      );
    }
  });
});

describe('physical addresses between 2^53 and 2^56', () => {
  const high = 0x00ff_ffff_ffff_f000n; // the last 4K frame below 2^56
  const mid = 0x0020_0000_0000_1000n; // 2^53 + 4K

  for (const [name, make] of [
    ['Sv39', (m: PhysicalMemory) => new Sv39PageTable(m)],
    ['Sv48', (m: PhysicalMemory) => new Sv48PageTable(m)],
    ['Sv39 T-Head', (m: PhysicalMemory) => new Sv39PageTableXuantie(m)],
  ] as const) {
    it(`${name}: map, query, remap, unmap, mapRegion and mappings() keep every bit`, () => {
      const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
      const table = make(mem);
      const c = table.cursor();
      const va = 0xffff_ffff_ffff_e000n; // the last two pages of the upper half (Sv39 and Sv48)
      c.map(va, high, PageSize.Size4K, RW);
      c.map(va + 0x1000n, mid, PageSize.Size4K, READ);
      for (const off of [0n, 1n, 0x7ffn, 0xabdn, 0xfffn]) {
        expect(table.query(va + off).paddr).toBe(high + off);
        expect(table.query(va + 0x1000n + off).paddr).toBe(mid + off);
      }
      // the entry itself: PPN (bits 55:12 of the address) in bits 53:10
      expect((leafBits(table, va) >> 10n) & ((1n << 44n) - 1n)).toBe(high >> 12n);
      expect(c.remap(va, mid + 0x1000n, RW)).toBe(PageSize.Size4K);
      expect(table.query(va + 0x123n).paddr).toBe(mid + 0x1123n);
      expect(c.unmap(va + 0x1000n)).toEqual({ paddr: mid, flags: READ, size: PageSize.Size4K });

      // huge pages and a region just below 2^56
      c.map(0x4000_0000n, 0x00ff_ffff_c000_0000n, PageSize.Size1G, READ);
      c.map(0x20_0000n, 0x0020_0000_0020_0000n, PageSize.Size2M, RW);
      c.mapRegion(0x8000_0000n, 0x00ff_ffff_fff0_0000n, 0x10_0000n, READ | EXECUTE, true);
      expect(table.query(0x7fff_ffffn).paddr).toBe(0x00ff_ffff_ffff_ffffn);
      expect(table.query(0x3f_fffdn).paddr).toBe(0x0020_0000_003f_fffdn);
      expect(table.query(0x800f_f001n).paddr).toBe(0x00ff_ffff_ffff_f001n);
      const listed = [...table.mappings()];
      expect(listed.length).toBe(2 + 256 + 1);
      expect(listed.map((m) => [m.vaddr, m.paddr])).toEqual([
        [0x20_0000n, 0x0020_0000_0020_0000n],
        [0x4000_0000n, 0x00ff_ffff_c000_0000n],
        ...Array.from({ length: 256 }, (_, i) => [0x8000_0000n + BigInt(i) * 0x1000n, 0x00ff_ffff_fff0_0000n + BigInt(i) * 0x1000n]),
        [va, mid + 0x1000n],
      ]);
      // 2^56 itself is outside the format
      expect(() => c.map(0x1000n, 1n << 56n, PageSize.Size4K, READ)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
      table.destroy();
      expect(mem.framesInUse).toBe(0);
    });
  }

  it('the codecs carry physical address bits 55:12 at both levels of precision', () => {
    for (const pa of [high, mid, 0x0080_0000_0000_0000n, 0x0000_0003_c000_0000n, 0x0055_5555_5555_5000n]) {
      for (const pte of [Rv64PTE, Rv64PTEXuantie, Rv64PTELegal]) {
        const bits = pte.newPage(pa, READ, false);
        expect(pte.paddr(bits)).toBe(pa);
        const [lo, hi] = bitsToWords(bits);
        expect(wordsToBits(pte.words.paddrLo(lo, hi, 0), pte.words.paddrHi(lo, hi, 0))).toBe(pa);
        expect(pte.paddr(pte.newTable(pa))).toBe(pa);
      }
    }
  });
});

describe('Sv39', () => {
  it('has three levels of 9 index bits, 39-bit sign-extended addresses and 56-bit physical addresses', () => {
    expect(Sv39MetaData.levels).toBe(3);
    expect(Sv39MetaData.vaMaxBits).toBe(39);
    expect(Sv39MetaData.paMaxBits).toBe(56);
    expect(Sv39MetaData.levelSize).toEqual([2 ** 30, 2 ** 21, 2 ** 12]);
    expect(Sv39MetaData.leafLevels).toEqual([0, 1, 2]);
    // bits 63:39 must equal bit 38
    expect(Sv39MetaData.vaddrIsValid(0x0000_003f_ffff_ffffn)).toBe(true);
    expect(Sv39MetaData.vaddrIsValid(0xffff_ffc0_0000_0000n)).toBe(true);
    expect(Sv39MetaData.vaddrIsValid(0x0000_0040_0000_0000n)).toBe(false);
    expect(Sv39MetaData.vaddrIsValid(0xffff_ffbf_ffff_ffffn)).toBe(false);
    expect(Sv39MetaData.vaddrIsValid(0x0000_8000_0000_0000n)).toBe(false);
  });

  it('maps a 1 GiB gigapage in the root table, at the index of VA bits 38:30', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new Sv39PageTable(mem);
    const va = 0xffff_ffc0_4000_0000n; // VPN[2] = 0b1_0000_0001 = 257
    table.cursor().map(va, RAM, PageSize.Size1G, RW | EXECUTE);
    expect(table.tableCount()).toBe(1);
    expect(mem.framesInUse).toBe(1);
    const root: [number, number, bigint, bigint][] = [];
    table.walk(512, (level, index, vaddr, bits) => root.push([level, index, vaddr, bits]));
    expect(root).toEqual([[0, 257, va, Rv64PTE.newPage(RAM, RW | EXECUTE, true)]]);
    expect(mem.readU64(table.rootPaddr + 257n * 8n)).toBe(((RAM >> 12n) << 10n) | 0xcfn);
    expect(table.query(va + 0x3fff_ffffn)).toEqual({ paddr: RAM + 0x3fff_ffffn, flags: RW | EXECUTE, size: PageSize.Size1G });
    expect(() => table.cursor().map(va + 0x1000n, RAM, PageSize.Size4K, READ)).toThrowError(expect.objectContaining({ code: 'MappedToHugePage' }));
    expect(() => table.cursor().map(0x4000_0000n, RAM + 0x20_0000n, PageSize.Size1G, READ)).toThrowError(expect.objectContaining({ code: 'NotAligned' }));
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('mapRegion with huge pages uses gigapages in the root where both addresses allow it', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new Sv39PageTable(mem);
    table.cursor().mapRegion(0xffff_ffff_8000_0000n, RAM, (2n << 30n) - 0x1000n, RW, true);
    const sizes = [...table.mappings()].map((m) => [m.level, m.size]);
    expect(sizes[0]).toEqual([0, PageSize.Size1G]);
    expect(sizes.filter(([l]) => l === 1).length).toBe(511);
    expect(sizes.filter(([l]) => l === 2).length).toBe(511);
    table.destroy();
  });

  it('lists upper-half mappings sign-extended from bit 38', () => {
    const table = new Sv39PageTable();
    table.cursor().map(0xffff_ffff_ffe0_0000n, 0x20_0000n, PageSize.Size2M, READ);
    expect([...table.mappings()].map((m) => m.vaddr)).toEqual([0xffff_ffff_ffe0_0000n]);
    expect(() => table.query(0x0000_007f_ffe0_0000n)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
  });
});

describe('Sv48', () => {
  it('has four levels, 48-bit sign-extended addresses, leaves of 512G, 1G, 2M and 4K', () => {
    expect(Sv48MetaData.levels).toBe(4);
    expect(Sv48MetaData.vaMaxBits).toBe(48);
    expect(Sv48MetaData.paMaxBits).toBe(56);
    expect(Sv48MetaData.levelSize).toEqual([2 ** 39, 2 ** 30, 2 ** 21, 2 ** 12]);
    expect(Sv48MetaData.leafLevels).toEqual([0, 1, 2, 3]);
    expect(Sv48MetaData.vaddrIsValid(0xffff_8000_0000_0000n)).toBe(true);
    expect(Sv48MetaData.vaddrIsValid(0x0000_8000_0000_0000n)).toBe(false);
  });

  it('maps 512 GiB terapages in the root, and reads one written by hand', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new Sv48PageTable(mem);
    const tera = 2n ** 39n;
    table.cursor().map(tera * 2n, tera, PageSize.Size512G, READ);
    expect(mem.readU64(table.rootPaddr + 16n)).toBe(Rv64PTE.newPage(tera, READ, true));
    table.cursor().unmap(tera * 2n);
    // root entry 1 (VA bits 47:39 = 1) written by hand as a leaf for [2^39, 2^40)
    mem.writeU64(table.rootPaddr + 8n, Rv64PTE.newPage(tera * 3n, RW, true));
    expect(table.query(tera + 0x1234_5678n)).toEqual({ paddr: tera * 3n + 0x1234_5678n, flags: RW, size: 2 ** 39 });
    expect([...table.mappings()].map((m) => [m.vaddr, m.paddr, m.size, m.level])).toEqual([[tera, tera * 3n, 2 ** 39, 0]]);
    expect(() => table.cursor().map(tera, 0n, PageSize.Size1G, READ)).toThrowError(expect.objectContaining({ code: 'MappedToHugePage' }));
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });
});

describe('Sv57', () => {
  it('has five levels, 57-bit sign-extended addresses and leaves at every level', () => {
    expect(Sv57MetaData.levels).toBe(5);
    expect(Sv57MetaData.vaMaxBits).toBe(57);
    expect(Sv57MetaData.leafLevels).toEqual([0, 1, 2, 3, 4]);
    expect(Sv57MetaData.levelSize).toEqual([2 ** 48, 2 ** 39, 2 ** 30, 2 ** 21, 2 ** 12]);
    expect(Sv57MetaData.vaddrIsValid(0xff00_0000_0000_0000n)).toBe(true);
    expect(Sv57MetaData.vaddrIsValid(0xfe00_0000_0000_0000n)).toBe(false);
  });

  it('is exact above 2^53 in the upper half, for virtual and physical addresses', () => {
    const table = new Sv57PageTable(new PhysicalMemory({ size: 1 << 20, base: RAM }));
    const c = table.cursor();
    const va = 0xff00_0000_0000_0000n;
    c.map(va, 0x00ff_ffff_ffe0_0000n, PageSize.Size2M, RW);
    c.map(0xffff_ffff_ffff_f000n, 0x0020_0000_0000_1000n, PageSize.Size4K, READ);
    c.map(0x0001_0000_0000_0000n, 0x0001_0000_0000_0000n, PageSize.Size256T, READ);
    for (const off of [1n, 0x123n, 0x1f_ffffn, 0x1_2345n]) expect(table.query(va + off).paddr).toBe(0x00ff_ffff_ffe0_0000n + off);
    expect(table.query(0xffff_ffff_ffff_ffffn).paddr).toBe(0x0020_0000_0000_1fffn);
    expect(table.query(0x0001_2345_6789_abcdn)).toEqual({ paddr: 0x0001_2345_6789_abcdn, flags: READ, size: PageSize.Size256T });
    expect([...table.mappings()].map((m) => [m.vaddr, m.size])).toEqual([
      [0x0001_0000_0000_0000n, PageSize.Size256T],
      [va, PageSize.Size2M],
      [0xffff_ffff_ffff_f000n, PageSize.Size4K],
    ]);
    // the number fast path refuses a physical address it cannot hold exactly, and answers the one it can
    expect(() => table.queryWords(0x0000_0abc, 0xff00_0000)).toThrow(RangeError);
    expect(table.queryWords(0x0000_0abc, 0x0001_0000)).toBe(0x0001_0000_0000_0abc);
    table.destroy();
  });
});

describe('T-Head XuanTie tables', () => {
  it('write SO | B for DEVICE and C | B | SH otherwise, and read DEVICE back', () => {
    const attrs = PTEFlags.SO | PTEFlags.C | PTEFlags.B | PTEFlags.SH;
    for (const table of [new Sv39PageTableXuantie(), new Sv48PageTableXuantie()]) {
      const c = table.cursor();
      c.map(0x1000_0000n, 0x1000_0000n, PageSize.Size4K, RW | DEVICE);
      c.map(0x20_0000n, 0x20_0000n, PageSize.Size2M, READ | EXECUTE);
      c.map(0x40_0000n, 0x40_0000n, PageSize.Size4K, READ | UNCACHED);
      expect(leafBits(table, 0x1000_0000n) & attrs).toBe(PTEFlags.SO | PTEFlags.B);
      expect(leafBits(table, 0x20_0000n) & attrs).toBe(PTEFlags.C | PTEFlags.B | PTEFlags.SH);
      // the crate gives UNCACHED no attribute of its own: normal, cacheable memory
      expect(leafBits(table, 0x40_0000n) & attrs).toBe(PTEFlags.C | PTEFlags.B | PTEFlags.SH);
      expect(table.query(0x1000_0000n).flags).toBe(RW | DEVICE);
      expect(table.query(0x20_0000n).flags).toBe(READ | EXECUTE);
      expect(table.query(0x40_0000n).flags).toBe(READ);
      // table (pointer) entries carry no attribute bits
      let pointers = 0;
      table.walk(512, (_level, _i, _va, bits) => {
        if (Rv64PTEXuantie.isHuge(bits)) return;
        expect(bits & attrs).toBe(0n);
        pointers++;
      });
      expect(pointers).toBeGreaterThan(0);
      table.destroy();
    }
  });
});

describe('tryNew', () => {
  it('returns NoMemory instead of throwing when no frame is left', () => {
    for (const T of [Sv39PageTable, Sv48PageTable, Sv39PageTableXuantie, Sv48PageTableXuantie]) {
      const mem = new PhysicalMemory({ size: 4096, base: RAM });
      const first = T.tryNew(mem);
      expect(first).toBeInstanceOf(T);
      expect(T.tryNew(mem)).toMatchObject({ code: 'NoMemory' });
    }
  });

  it('is typed as the class it is called on, or the PagingError', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    expectTypeOf(Sv39PageTable.tryNew(mem)).toEqualTypeOf<Sv39PageTable | PagingError>();
    expectTypeOf(Sv48PageTable.tryNew(mem)).toEqualTypeOf<Sv48PageTable | PagingError>();
    expectTypeOf(Sv57PageTable.tryNew(mem)).toEqualTypeOf<Sv57PageTable | PagingError>();
    expectTypeOf(Sv39PageTableXuantie.tryNew(mem)).toEqualTypeOf<Sv39PageTableXuantie | PagingError>();
    expectTypeOf(Sv48PageTableXuantie.tryNew(mem)).toEqualTypeOf<Sv48PageTableXuantie | PagingError>();
  });
});
