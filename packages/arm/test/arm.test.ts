// ARMv7-A short descriptors: the codec against the crate's encodings (test/vectors) and the manual's tables
// (ARM DDI 0406C B3.5.1, B3.7.1, B3.8.2), the tables' geometry, the crate's ARMv7 defects as regression
// tests, and Supersections and Large pages written by hand.
import { readFileSync } from 'node:fs';
import { MappingFlags, PageSize, PagingError, type PagingHandler, PhysicalMemory } from '@page-table-multiarch/core';
import {
  A32PagingMetaData,
  A32PageTable,
  A32PTE,
  DescriptorAttr,
  sectionAttrFromFlags,
  smallPageAttrFromFlags,
} from '@page-table-multiarch/arm';
import { describe, expect, expectTypeOf, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;
const MiB = 0x10_0000n;
const RAM = 0x4000_0000n; // QEMU virt

interface VectorType {
  type: string;
  variant: string;
  new_page: { rows: [number, number, string, string][] };
  arch_flags_from_mapping: Record<string, string[]>;
}
const vectors = JSON.parse(readFileSync(new URL('../../../test/vectors/pte-encodings.json', import.meta.url), 'utf8')) as { types: VectorType[] };
const a32 = vectors.types.find((t) => t.type === 'A32PTE' && t.variant === 'default')!;

/** The crate's attribute bits for a flag set: its new_page row at physical address 0. */
function crateAttr(flags: number, huge: boolean): bigint {
  const r = a32.new_page.rows.find(([f, h, pa]) => f === flags && h === (huge ? 1 : 0) && pa === '0x0');
  if (!r) throw new Error(`no vector row for flags ${flags} huge ${huge}`);
  return BigInt(r[3]);
}

/** The documented round trip: READ is implied by any non-empty set, and DEVICE wins over UNCACHED. */
function readsBackAs(flags: number): number {
  const f = flags | READ;
  return f & DEVICE ? f & ~UNCACHED : f;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof PagingError) return err.code;
    throw err;
  }
  return 'ok';
}

/** Every byte and the frame count unchanged by `fn`, which must fail with `want`. */
function failsCleanly(mem: PhysicalMemory, fn: () => unknown, want: string): void {
  const before = mem.bytes().slice();
  const frames = mem.framesInUse;
  expect(code(fn)).toBe(want);
  expect(Buffer.compare(mem.bytes(), before)).toBe(0);
  expect(mem.framesInUse).toBe(frames);
}

const SECTION_PAS = [0x0n, MiB, 0x4000_0000n, 0x8010_0000n, 0xfff0_0000n];
const SMALL_PAS = [0x0n, 0x1000n, 0xf_f000n, 0x10_1000n, 0x4000_1000n, 0xfff0_1000n, 0xffff_f000n];

describe('A32PTE codec', () => {
  it("writes the crate's attribute bits (DescriptorAttr::from_mapping_flags_section / _small_page)", () => {
    const sections = a32.arch_flags_from_mapping['DescriptorAttr::from_mapping_flags_section']!;
    const smalls = a32.arch_flags_from_mapping['DescriptorAttr::from_mapping_flags_small_page']!;
    for (let f = 0; f < 64; f++) {
      expect(sectionAttrFromFlags(f), `flags ${f}`).toBe(BigInt(sections[f]!));
      expect(smallPageAttrFromFlags(f), `flags ${f}`).toBe(BigInt(smalls[f]!));
    }
  });

  it('every flag set round-trips at both levels, below and above 1 MiB and near 4 GiB', () => {
    for (let f = 0; f < 64; f++) {
      for (const [level, pas] of [
        [0, SECTION_PAS],
        [1, SMALL_PAS],
      ] as const) {
        const huge = level === 0;
        for (const pa of pas) {
          const bits = A32PTE.newPage(pa, f, huge, level);
          // the crate's attributes with the address in the format's base address field (B3.5.1)
          expect(bits, `flags ${f} level ${level} pa ${pa.toString(16)}`).toBe(pa | crateAttr(f, huge));
          if (f === 0) {
            // the crate's empty set is the bare address: a Fault entry (bits[1:0] = 0b00)
            expect(A32PTE.isPresent(bits, level)).toBe(false);
            continue;
          }
          expect(A32PTE.isPresent(bits, level)).toBe(true);
          expect(A32PTE.isHuge(bits, level)).toBe(huge);
          expect(A32PTE.leafShift(bits, level)).toBe(-1);
          expect(A32PTE.paddr(bits, level)).toBe(pa);
          expect(A32PTE.flags(bits, level), `flags ${f} level ${level}`).toBe(readsBackAs(f));
          // the word-level form reads the same
          const lo = Number(bits);
          expect(A32PTE.words.flags(lo, 0, level)).toBe(readsBackAs(f));
          expect(A32PTE.words.paddrLo(lo, 0, level)).toBe(Number(pa));
          expect(A32PTE.words.paddrHi(lo, 0, level)).toBe(0);
        }
      }
    }
  });

  it('DEVICE wins over UNCACHED, and READ is implied by any non-empty set', () => {
    for (const level of [0, 1]) {
      const bits = A32PTE.newPage(0x10_0000n, READ | WRITE | DEVICE | UNCACHED, level === 0, level);
      expect(A32PTE.flags(bits, level)).toBe(READ | WRITE | DEVICE);
      expect(A32PTE.flags(A32PTE.newPage(0x10_0000n, WRITE, level === 0, level), level)).toBe(READ | WRITE);
      expect(A32PTE.flags(A32PTE.newPage(0x10_0000n, EXECUTE, level === 0, level), level)).toBe(READ | EXECUTE);
      expect(A32PTE.flags(A32PTE.newPage(0x10_0000n, USER | WRITE, level === 0, level), level)).toBe(READ | WRITE | USER);
    }
  });

  it('setFlags and setPaddr re-encode an entry in place', () => {
    for (const [level, pas] of [
      [0, SECTION_PAS],
      [1, SMALL_PAS],
    ] as const) {
      const huge = level === 0;
      for (let g = 1; g < 64; g++) {
        for (let f = 0; f < 64; f++) {
          const pa = pas[(f + g) % pas.length]!;
          expect(A32PTE.setFlags(A32PTE.newPage(pa, g, huge, level), f, huge, level)).toBe(A32PTE.newPage(pa, f, huge, level));
        }
        for (const pa of pas) {
          const other = pas[(pas.indexOf(pa) + 1) % pas.length]!;
          expect(A32PTE.setPaddr(A32PTE.newPage(pa, g, huge, level), other, level)).toBe(A32PTE.newPage(other, g, huge, level));
        }
      }
    }
  });

  it('setFlags keeps nG, NS, the domain and bit 9 of a Section, and nG of a Small page', () => {
    const keep = DescriptorAttr.SECTION_NG | DescriptorAttr.SECTION_NS | (5n << 5n) | DescriptorAttr.SECTION_IMP;
    const section = A32PTE.newPage(0x4010_0000n, READ | WRITE, true, 0) | keep | DescriptorAttr.SECTION_PXN;
    const changed = A32PTE.setFlags(section, READ | EXECUTE, true, 0);
    expect(changed).toBe(0x4010_0000n | crateAttr(READ | EXECUTE, true) | keep); // PXN is a permission: cleared
    expect(A32PTE.flags(changed, 0)).toBe(READ | EXECUTE);
    const small = A32PTE.newPage(0x4010_1000n, READ, false, 1) | DescriptorAttr.SMALL_NG;
    expect(A32PTE.setFlags(small, READ | WRITE, false, 1)).toBe(0x4010_1000n | crateAttr(READ | WRITE, false) | DescriptorAttr.SMALL_NG);
  });

  it('decoding needs the level; encoding without one follows isHuge as the crate', () => {
    const bits = 0x4000_165en;
    expect(() => A32PTE.paddr(bits)).toThrow(TypeError);
    expect(() => A32PTE.flags(bits)).toThrow(TypeError);
    expect(() => A32PTE.setPaddr(bits, 0x1000n)).toThrow(TypeError);
    expect(() => A32PTE.leafShift(bits)).toThrow(TypeError);
    expect(() => A32PTE.flags(bits, 2)).toThrow(RangeError);
    expect(A32PTE.isPresent(bits)).toBe(true);
    expect(A32PTE.isPresent(0x4000_0000n)).toBe(false);
    expect(A32PTE.isUnused(0n)).toBe(true);
    expect(A32PTE.newPage(0x4000_0000n, READ | WRITE, true)).toBe(0x4000_0000n | crateAttr(READ | WRITE, true));
    expect(A32PTE.newPage(0x4000_1000n, READ | WRITE, false)).toBe(0x4000_1000n | crateAttr(READ | WRITE, false));
    expect(A32PTE.newTable(0x4000_0400n)).toBe(0x4000_0401n);
  });

  it('reads AP[2:0] as B3.7.1 at both levels', () => {
    // PL1 / PL0 access per AP[2:0] (B3.7.1): none, RW/none, RW/RO, RW/RW, reserved, RO/none, RO/RO, RO/RO
    const access = [0, READ | WRITE, READ | WRITE | USER, READ | WRITE | USER, 0, READ, READ | USER, READ | USER];
    for (let ap = 0; ap < 8; ap++) {
      const lo2 = BigInt(ap & 3);
      const ap2 = BigInt(ap >> 2);
      // Normal Write-Back memory (TEX 0b001, C, B), XN clear: executable wherever access is granted
      const section = 0x4010_0000n | 0b10n | (lo2 << 10n) | (ap2 << 15n) | (1n << 12n) | 0b1100n;
      const small = 0x4010_1000n | 0b10n | (lo2 << 4n) | (ap2 << 9n) | (1n << 6n) | 0b1100n;
      const large = 0x4011_0000n | 0b01n | (lo2 << 4n) | (ap2 << 9n) | (1n << 12n) | 0b1100n;
      const want = access[ap]! === 0 ? 0 : access[ap]! | EXECUTE;
      expect(A32PTE.flags(section, 0), `Section AP ${ap}`).toBe(want);
      expect(A32PTE.flags(small, 1), `Small page AP ${ap}`).toBe(want);
      expect(A32PTE.flags(large, 1), `Large page AP ${ap}`).toBe(want);
      // XN set: the same access, no EXECUTE
      expect(A32PTE.flags(section | (1n << 4n), 0)).toBe(access[ap]!);
      expect(A32PTE.flags(small | 1n, 1)).toBe(access[ap]!);
      expect(A32PTE.flags(large | (1n << 15n), 1)).toBe(access[ap]!);
    }
  });

  it('reads TEX/C/B as B3.8.2 (TEX remap off) in every format', () => {
    // rows TEX 0..7, columns C:B 0..3 (B3.8.2)
    const D = DEVICE;
    const U = UNCACHED;
    const memType = [
      [D, D, 0, 0], // Strongly-ordered, Shareable Device, Normal WT, Normal WB no WA
      [U, 0, 0, 0], // Normal Non-cacheable, reserved, IMPLEMENTATION DEFINED, Normal WB WA
      [D, 0, 0, 0], // Non-shareable Device, reserved x3
      [0, 0, 0, 0], // reserved
      [U, 0, 0, 0], // TEX 0b1BB: Normal, outer policy BB, inner policy C:B; non-cacheable only when both are 0b00
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ];
    for (let tex = 0; tex < 8; tex++) {
      for (let cb = 0; cb < 4; cb++) {
        const t = BigInt(tex);
        const c = BigInt(cb) << 2n;
        // AP 0b001 (PL1 read-write), XN set
        const section = 0x4010_0000n | 0b10n | (1n << 10n) | (1n << 4n) | (t << 12n) | c;
        const small = 0x4010_1000n | 0b11n | (1n << 4n) | (t << 6n) | c;
        const large = 0x4011_0000n | 0b01n | (1n << 4n) | (1n << 15n) | (t << 12n) | c;
        const want = READ | WRITE | memType[tex]![cb]!;
        expect(A32PTE.flags(section, 0), `Section TEX ${tex} CB ${cb}`).toBe(want);
        expect(A32PTE.flags(small, 1), `Small page TEX ${tex} CB ${cb}`).toBe(want);
        expect(A32PTE.flags(large, 1), `Large page TEX ${tex} CB ${cb}`).toBe(want);
      }
    }
  });

  it('names the fields at the positions of B3.5.1', () => {
    expect(DescriptorAttr.SECTION_XN).toBe(0x10n);
    expect(DescriptorAttr.SECTION_AP).toBe(0xc00n);
    expect(DescriptorAttr.SECTION_TEX).toBe(0x7000n);
    expect(DescriptorAttr.SECTION_AP2).toBe(0x8000n);
    expect(DescriptorAttr.SECTION_S).toBe(0x1_0000n);
    expect(DescriptorAttr.SECTION_NG).toBe(0x2_0000n);
    expect(DescriptorAttr.SUPERSECTION).toBe(0x4_0000n);
    expect(DescriptorAttr.SECTION_NS).toBe(0x8_0000n);
    expect(DescriptorAttr.SMALL_XN).toBe(0x1n);
    expect(DescriptorAttr.SMALL_AP).toBe(0x30n);
    expect(DescriptorAttr.SMALL_TEX).toBe(0x1c0n);
    expect(DescriptorAttr.SMALL_AP2).toBe(0x200n);
    expect(DescriptorAttr.SMALL_S).toBe(0x400n);
    expect(DescriptorAttr.SMALL_NG).toBe(0x800n);
    expect(DescriptorAttr.LARGE_TEX).toBe(0x7000n);
    expect(DescriptorAttr.LARGE_XN).toBe(0x8000n);
    expect(DescriptorAttr.TABLE_BASE).toBe(0xffff_fc00n);
    // the crate's READ Small page, spelled out field by field: XN, type, B, C, AP = 0b101, TEX = 0b001, S
    const A = DescriptorAttr;
    const ro = A.SMALL_XN | A.TYPE_SMALL_PAGE | A.SMALL_B | A.SMALL_C | (1n << 4n) | A.SMALL_AP2 | (1n << 6n) | A.SMALL_S;
    expect(smallPageAttrFromFlags(READ)).toBe(ro);
    const rwSection = A.TYPE_SECTION | A.SECTION_B | A.SECTION_C | A.SECTION_XN | (1n << 10n) | (1n << 12n) | A.SECTION_S;
    expect(sectionAttrFromFlags(READ | WRITE)).toBe(rwSection);
  });
});

describe('A32PagingMetaData', () => {
  it('describes the short-descriptor geometry', () => {
    const m = A32PagingMetaData;
    expect(m.name).toBe('ARMv7');
    expect(m.levels).toBe(2);
    expect(m.vaMaxBits).toBe(32);
    expect(m.paMaxBits).toBe(32);
    expect(m.entryBytes).toBe(4);
    expect(m.tableBytes).toEqual([16384, 1024]);
    expect(m.levelSize).toEqual([PageSize.Size1M, PageSize.Size4K]);
    expect(m.leafLevels).toEqual([0, 1]);
    expect(m.vaddrIsValid(0xffff_ffffn)).toBe(true);
    expect(m.vaddrIsValid(0xc000_0000n)).toBe(true);
    expect(m.vaddrIsValid(1n << 32n)).toBe(false);
    expect(m.paddrIsValid(0xffff_f000n)).toBe(true);
    expect(m.paddrIsValid(1n << 32n)).toBe(false);
  });
});

describe('A32PageTable', () => {
  it('allocates a 16 KiB L1 table aligned to 16 KiB', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    mem.allocFrames(1, 4096); // push the next 16 KiB boundary up
    const table = new A32PageTable(mem);
    expect(table.rootPaddr).toBe(RAM + 0x4000n);
    expect(mem.framesInUse).toBe(5);
    expect(table.frameCount()).toBe(4);
    table.destroy();
    expect(mem.framesInUse).toBe(1);
  });

  it('level-2 tables share frames four to a frame, and a slot freed in a full frame is taken before a new frame', () => {
    const mem = new PhysicalMemory({ size: 1 << 22, base: RAM });
    const table = new A32PageTable(mem);
    const c = table.cursor();
    const RW = MappingFlags.READ | MappingFlags.WRITE;
    // one 4K page in each of 12 MiB-regions: 12 level-2 tables of 1 KiB, 3 frames, beside the 4 of the L1 table
    for (let r = 0n; r < 12n; r++) c.map(r * MiB, RAM + r * 0x1000n, PageSize.Size4K, RW);
    expect(table.frameCount()).toBe(4 + 3);
    // empty the tables of regions 1 and 6 (in the first and second frames): their slots are freed at the flush
    // (not before: a walker may still read them until then), no frame is
    c.unmapRegion(MiB, MiB);
    c.unmapRegion(6n * MiB, MiB);
    c.flush();
    expect(table.frameCount()).toBe(4 + 3);
    // two new tables take those two slots; a third needs a fourth frame
    c.map(20n * MiB, RAM, PageSize.Size4K, RW);
    c.map(21n * MiB, RAM, PageSize.Size4K, RW);
    expect(table.frameCount()).toBe(4 + 3);
    c.map(22n * MiB, RAM, PageSize.Size4K, RW);
    expect(table.frameCount()).toBe(4 + 4);
    c.flush();
    for (const r of [0n, 2n, 5n, 7n, 11n, 20n, 21n, 22n]) expect(table.query(r * MiB).size).toBe(PageSize.Size4K);
    // all the tables of the first frame gone (regions 0, 2, 3 and whichever of 20 and 21 took region 1's slot; the
    // other took region 6's slot in the second frame, which keeps 4, 5 and 7): the frame goes back
    for (const r of [0n, 2n, 3n, 20n, 21n]) c.unmapRegion(r * MiB, MiB);
    c.flush();
    expect(table.frameCount()).toBe(4 + 3);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('every flag set through map, query, protect and unmap, at both sizes, low, high and near 4 GiB', () => {
    for (const [size, places] of [
      [PageSize.Size1M, [[MiB, MiB], [0xc000_0000n, RAM], [0xfff0_0000n, 0xfff0_0000n]]],
      [PageSize.Size4K, [[0x1000n, 0x1000n], [0x10_1000n, 0x4000_1000n], [0xc000_0000n, 0xfff0_1000n], [0xffff_f000n, 0xffff_f000n]]],
    ] as const) {
      const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
      const table = new A32PageTable(mem);
      const c = table.cursor();
      const huge = size === PageSize.Size1M;
      for (let f = 1; f < 64; f++) {
        const g = ((f * 37) % 63) + 1;
        for (const [va, pa] of places) {
          c.map(va, pa, size, f);
          const off = BigInt(size) - 4n;
          expect(table.query(va + off), `flags ${f} at ${va.toString(16)}`).toEqual({ paddr: pa + off, flags: readsBackAs(f), size });
          const [m] = [...table.mappings()].filter((x) => x.vaddr === va);
          expect(m?.bits).toBe(pa | crateAttr(f, huge));
          expect(c.protect(va, g)).toBe(size);
          expect(table.query(va)).toEqual({ paddr: pa, flags: readsBackAs(g), size });
          expect(c.remap(va, pa, f)).toBe(size);
          expect(c.unmap(va)).toEqual({ paddr: pa, flags: readsBackAs(f), size });
        }
      }
      c.flush();
      table.destroy();
      expect(mem.framesInUse).toBe(0);
    }
  });

  it('flags without READ map valid, readable entries with the crate bits; the empty set is InvalidFlags', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new A32PageTable(mem);
    const c = table.cursor();
    for (let f = 2; f < 64; f += 2) {
      c.map(0x100_0000n, 0x4000_0000n, PageSize.Size1M, f);
      c.map(0x200_0000n, 0x4000_1000n, PageSize.Size4K, f);
      for (const m of table.mappings()) {
        expect(A32PTE.isPresent(m.bits, m.level)).toBe(true);
        expect(m.bits).toBe(m.paddr | crateAttr(f, m.level === 0));
        expect(m.flags).toBe(readsBackAs(f));
      }
      const g = f === 6 ? 4 : f ^ 6; // another set without READ
      c.protect(0x200_0000n, g);
      expect(table.query(0x200_0000n).flags).toBe(readsBackAs(g));
      c.unmap(0x100_0000n);
      c.unmap(0x200_0000n);
    }
    c.map(0x200_0000n, 0x4000_1000n, PageSize.Size4K, READ);
    failsCleanly(mem, () => c.map(0x100_0000n, 0x4000_0000n, PageSize.Size1M, 0), 'InvalidFlags');
    failsCleanly(mem, () => c.map(0x200_1000n, 0x4000_1000n, PageSize.Size4K, 0), 'InvalidFlags');
    failsCleanly(mem, () => c.protect(0x200_0000n, 0), 'InvalidFlags');
    failsCleanly(mem, () => c.remap(0x200_0000n, 0x5000n, 0), 'InvalidFlags');
    failsCleanly(mem, () => c.protectRegion(0x200_0000n, 0x1000n, 0), 'InvalidFlags');
    table.destroy();
  });

  it('rejects addresses from 2^32 on and a misaligned root; tryNew reports NoMemory', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new A32PageTable(mem);
    const c = table.cursor();
    failsCleanly(mem, () => c.map(1n << 32n, 0x1000n, PageSize.Size4K, READ), 'InvalidAddress');
    failsCleanly(mem, () => c.map(0xfff0_0000n, 1n << 32n, PageSize.Size1M, READ), 'InvalidAddress');
    failsCleanly(mem, () => c.mapRegion(0xffff_f000n, 0x1000n, 0x2000n, READ, false), 'InvalidAddress');
    failsCleanly(mem, () => table.query(0x1_0000_1000n), 'InvalidAddress');
    expect(code(() => new A32PageTable(mem, { root: table.rootPaddr + 0x1000n }))).toBe('NotAligned');
    const small = new PhysicalMemory({ size: 3 * 4096, base: RAM });
    const err = A32PageTable.tryNew(small);
    expect(err).toBeInstanceOf(PagingError);
    expect((err as PagingError).code).toBe('NoMemory');
    expect(small.framesInUse).toBe(0);
    table.destroy();
  });

  it('types tryNew as A32PageTable (a PageTable32) or the PagingError', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    expectTypeOf(A32PageTable.tryNew(mem)).toEqualTypeOf<A32PageTable | PagingError>();
  });

  it('attaches to an L1 table built elsewhere and reads it', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new A32PageTable(mem);
    table.cursor().map(0x8000_0000n, 0x4010_1000n, PageSize.Size4K, READ | EXECUTE);
    const view = new A32PageTable(mem, { root: table.rootPaddr });
    expect(view.query(0x8000_0123n)).toEqual({ paddr: 0x4010_1123n, flags: READ | EXECUTE, size: PageSize.Size4K });
    expect(code(() => view.cursor())).toBe('ReadOnly');
    view.destroy();
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });
});

describe("the crate's ARMv7 defects, fixed", () => {
  it('an executable Small page at 0x4000_1000 decodes and protects correctly', () => {
    // the crate reads bits[1:0] = 0b10 with an address >= 1 MiB as a Section: 0x4000_1000 came back as 0x4000_0000
    const bits = A32PTE.newPage(0x4000_1000n, READ | EXECUTE, false, 1);
    expect(bits).toBe(0x4000_165en); // the crate's own bits (test/vectors)
    expect(A32PTE.paddr(bits, 1)).toBe(0x4000_1000n);
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new A32PageTable(mem);
    const c = table.cursor();
    c.map(0x0040_1000n, 0x4000_1000n, PageSize.Size4K, READ | EXECUTE);
    expect(table.query(0x0040_1abcn)).toEqual({ paddr: 0x4000_1abcn, flags: READ | EXECUTE, size: PageSize.Size4K });
    expect(c.protect(0x0040_1000n, READ | WRITE)).toBe(PageSize.Size4K);
    // still the same frame: the crate's protect re-encoded from the wrong address
    expect(table.query(0x0040_1abcn)).toEqual({ paddr: 0x4000_1abcn, flags: READ | WRITE, size: PageSize.Size4K });
    expect([...table.mappings()][0]!.bits).toBe(0x4000_1000n | crateAttr(READ | WRITE, false));
    table.destroy();
  });

  it('a read-only Small page stays read-only; EXECUTE, USER, DEVICE and UNCACHED survive', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new A32PageTable(mem);
    const c = table.cursor();
    const sets = [READ, READ | EXECUTE, READ | USER, READ | EXECUTE | USER, READ | DEVICE, READ | UNCACHED, READ | WRITE | USER | UNCACHED];
    for (const [i, f] of sets.entries()) c.map(0x10_0000n + BigInt(i) * 0x1000n, 0x4000_0000n + BigInt(i) * 0x1000n, PageSize.Size4K, f);
    for (const [i, f] of sets.entries()) expect(table.query(0x10_0000n + BigInt(i) * 0x1000n).flags, `flags ${f}`).toBe(f);
    expect(table.query(0x10_0000n).flags & WRITE).toBe(0);
    table.destroy();
  });

  it('walk and mappings read only the 256 entries of an L2 table, even the last 1 KiB of memory', () => {
    // Five frames: the L1 table in the first four, one frame of L2 tables last. Right after the memory the
    // handler's word array goes on with entries that look like present Small pages: reading 4096 entries
    // of an L2 table (the crate's 12 KiB over-read) would list them.
    const frames = 5;
    const buf = new ArrayBuffer((frames + 3) * 4096);
    const mem = new PhysicalMemory({ buffer: new Uint8Array(buf, 0, frames * 4096), base: RAM });
    mem.release(RAM, frames * 4096);
    new Uint32Array(buf, frames * 4096).fill(0x7770_0002);
    const handler: PagingHandler = {
      words: new Uint32Array(buf),
      wordIndex: (lo, hi) => mem.wordIndex(lo, hi),
      allocFrames: (count, align) => mem.allocFrames(count, align),
      deallocFrames: (pa, count) => mem.deallocFrames(pa, count),
    };
    const table = new A32PageTable(handler);
    const c = table.cursor();
    const vas = [0x0000_0000n, 0x0010_0000n, 0x0020_0000n, 0x0030_0000n];
    for (const [i, va] of vas.entries()) c.map(va + 0xff000n, 0x5000_0000n + BigInt(i) * 0x1000n, PageSize.Size4K, READ);
    // the fourth L2 table is the last 1 KiB of memory
    const listed = [...table.mappings()];
    expect(listed.length).toBe(4);
    let lastTable = 0n;
    table.walk(1e9, (level, _i, _va, bits) => {
      if (level === 0) lastTable = A32PTE.paddr(bits, 0);
    });
    expect(lastTable + 0x400n).toBe(RAM + BigInt(frames * 4096));
    expect(listed.map((m) => [m.vaddr, m.paddr, m.size])).toEqual(vas.map((va, i) => [va + 0xff000n, 0x5000_0000n + BigInt(i) * 0x1000n, PageSize.Size4K]));
    const seen: [number, number][] = [];
    table.walk(1e9, (level, index) => seen.push([level, index]));
    expect(seen).toEqual([
      [0, 0], [1, 255],
      [0, 1], [1, 255],
      [0, 2], [1, 255],
      [0, 3], [1, 255],
    ]);
    expect(table.tableCount()).toBe(5);
    expect(table.frameCount()).toBe(5);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('L2 tables share frames: four use one, and freeing all four returns it', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new A32PageTable(mem);
    const c = table.cursor();
    expect(mem.framesInUse).toBe(4);
    for (let i = 0n; i < 4n; i++) c.map(i * MiB, 0x1000n, PageSize.Size4K, READ);
    expect(mem.framesInUse).toBe(5);
    expect(table.tableCount()).toBe(5);
    const l2 = [...Array(4).keys()].map((i) => A32PTE.paddr(BigInt(mem.readU32(table.rootPaddr + BigInt(i * 4))), 0));
    const frame = l2[0]! & ~0xfffn;
    expect(l2).toEqual([frame, frame + 0x400n, frame + 0x800n, frame + 0xc00n]);
    c.map(4n * MiB, 0x1000n, PageSize.Size4K, READ); // a fifth table needs a second frame
    expect(mem.framesInUse).toBe(6);
    expect(c.unmapRegion(0n, 3n * MiB)).toBe(0x3000n);
    c.flush();
    expect(mem.framesInUse).toBe(6); // one table of the first frame is still in use
    expect(table.tableCount()).toBe(3);
    c.unmap(3n * MiB);
    expect(c.compact()).toBe(1);
    c.flush();
    expect(mem.framesInUse).toBe(5);
    expect(table.frameCount()).toBe(5);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });
});

describe('frames', () => {
  it('are counted through maps, splits, reclaims and destroy, with nothing leaked', () => {
    const mem = new PhysicalMemory({ size: 4 << 20, base: RAM });
    const table = new A32PageTable(mem);
    const c = table.cursor();
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let step = 0; step < 400; step++) {
      const va = BigInt(next(64)) * MiB + BigInt(next(256)) * 0x1000n;
      const pages = BigInt(1 + next(600));
      const r = next(4);
      code(() => {
        if (r === 0) c.mapRegion(va, RAM, pages * 0x1000n, READ | WRITE, true);
        else if (r === 1) c.unmapRegion(va, pages * 0x1000n);
        else if (r === 2) c.protectRegion(va, pages * 0x1000n, READ);
        else c.map(va & ~(MiB - 1n), RAM, PageSize.Size1M, READ);
      });
      c.flush();
      expect(mem.framesInUse).toBe(table.frameCount());
      // the L1 table's four frames, and at least a quarter frame and at most one frame per L2 table
      const l2 = table.tableCount() - 1;
      expect(table.frameCount()).toBeGreaterThanOrEqual(4 + Math.ceil(l2 / 4));
      expect(table.frameCount()).toBeLessThanOrEqual(4 + l2);
    }
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });
});

describe('Supersections and Large pages written by hand', () => {
  it('reads 16 MiB Supersections, with the extended address, and refuses to change them', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new A32PageTable(mem);
    const root = table.rootPaddr;
    // B3.5.1: Supersection = bits 31:24 base, bit 18 set, Section attribute positions, 16 identical entries
    const plain = 0x8000_0000n | (1n << 18n) | crateAttr(READ | WRITE, true);
    // PA 0xa3_4500_0000: PA[31:24] = 0x45, PA[35:32] = 0x3 in bits 23:20, PA[39:36] = 0xa in bits 8:5
    const extended = 0x4500_0000n | (0x3n << 20n) | (0xan << 5n) | (1n << 18n) | crateAttr(READ | EXECUTE | USER, true);
    for (let i = 0; i < 16; i++) {
      mem.writeU32(root + BigInt((0x200 + i) * 4), Number(plain));
      mem.writeU32(root + BigInt((0x300 + i) * 4), Number(extended));
    }
    expect(table.query(0x2012_3456n)).toEqual({ paddr: 0x8012_3456n, flags: READ | WRITE, size: PageSize.Size16M });
    expect(table.query(0x20f0_0005n).paddr).toBe(0x80f0_0005n);
    expect(table.queryNumber(0x20ab_cdef)).toBe(0x80ab_cdef);
    expect(table.lastSize).toBe(PageSize.Size16M);
    expect(table.query(0x3000_1234n)).toEqual({ paddr: 0xa3_4500_1234n, flags: READ | EXECUTE | USER, size: PageSize.Size16M });
    const listed = [...table.mappings()].map((m) => [m.vaddr, m.paddr, m.size, m.level]);
    expect(listed).toEqual([
      [0x2000_0000n, 0x8000_0000n, PageSize.Size16M, 0],
      [0x3000_0000n, 0xa3_4500_0000n, PageSize.Size16M, 0],
    ]);
    let visited = 0;
    table.walk(1e9, () => visited++);
    expect(visited).toBe(32); // every entry is an entry of the format; mappings() lists each leaf once
    const c = table.cursor();
    failsCleanly(mem, () => c.protect(0x2000_0000n, READ), 'UnsupportedPageSize');
    failsCleanly(mem, () => c.unmap(0x2000_0000n), 'UnsupportedPageSize');
    failsCleanly(mem, () => c.remap(0x2010_0000n, 0x1000_0000n, READ), 'UnsupportedPageSize');
    failsCleanly(mem, () => c.unmapRegion(0x2000_0000n, 16n * MiB), 'UnsupportedPageSize');
    failsCleanly(mem, () => c.protectRegion(0x1ff0_0000n, 2n * MiB, READ), 'UnsupportedPageSize');
    failsCleanly(mem, () => c.map(0x2010_0000n, 0n, PageSize.Size1M, READ), 'AlreadyMapped');
    failsCleanly(mem, () => c.map(0x2010_1000n, 0n, PageSize.Size4K, READ), 'MappedToHugePage');
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('reads 64 KiB Large pages and refuses to change them', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new A32PageTable(mem);
    const c = table.cursor();
    c.map(0x3000_0000n, 0x4000_0000n, PageSize.Size4K, READ);
    const l2 = A32PTE.paddr(BigInt(mem.readU32(table.rootPaddr + 0x300n * 4n)), 0);
    // B3.5.1 Large page: bits[1:0] = 0b01, C B, AP[1:0] 5:4, AP[2] 9, TEX 14:12, XN 15, base 31:16
    const userCode = 0x5001_0000n | 0b01n | 0b1100n | (0b11n << 4n) | (1n << 9n) | (1n << 12n); // AP 0b111, TEX 0b001 C B
    const device = 0x6000_0000n | 0b01n | 0b0100n | (0b01n << 4n) | (1n << 15n); // AP 0b001, TEX 0 C 0 B 1, XN
    for (let i = 0; i < 16; i++) {
      mem.writeU32(l2 + BigInt((0x10 + i) * 4), Number(userCode));
      mem.writeU32(l2 + BigInt((0x20 + i) * 4), Number(device));
    }
    expect(table.query(0x3001_2345n)).toEqual({ paddr: 0x5001_2345n, flags: READ | EXECUTE | USER, size: PageSize.Size64K });
    expect(table.query(0x3002_fffcn)).toEqual({ paddr: 0x6000_fffcn, flags: READ | WRITE | DEVICE, size: PageSize.Size64K });
    const listed = [...table.mappings()].map((m) => [m.vaddr, m.paddr, m.size, m.level]);
    expect(listed).toEqual([
      [0x3000_0000n, 0x4000_0000n, PageSize.Size4K, 1],
      [0x3001_0000n, 0x5001_0000n, PageSize.Size64K, 1],
      [0x3002_0000n, 0x6000_0000n, PageSize.Size64K, 1],
    ]);
    failsCleanly(mem, () => c.protect(0x3001_0000n, READ), 'UnsupportedPageSize');
    failsCleanly(mem, () => c.unmap(0x3002_0000n), 'UnsupportedPageSize');
    failsCleanly(mem, () => c.unmapRegion(0x3000_0000n, MiB), 'UnsupportedPageSize');
    failsCleanly(mem, () => c.map(0x3001_1000n, 0n, PageSize.Size4K, READ), 'AlreadyMapped');
    // the 4K page beside them is still the table's to change
    expect(c.protect(0x3000_0000n, READ | WRITE)).toBe(PageSize.Size4K);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('a range operation finds a Large page wherever it lies among unused entries and Small pages of an L2 table', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new A32PageTable(mem);
    const c = table.cursor();
    const base = 0x3000_0000;
    const smalls = [0, 7, 12, 255];
    for (const i of smalls) c.map(base + i * 0x1000, 0x4000_0000 + i * 0x1000, PageSize.Size4K, READ | WRITE);
    c.flush();
    const l2 = A32PTE.paddr(BigInt(mem.readU32(table.rootPaddr + 0x300n * 4n)), 0);
    // B3.5.1 Large page: bits[1:0] = 0b01, AP[1:0] 5:4 = 0b11, base 31:16; 16 entries from a multiple of 16
    const large = 0x5001_0000 | 0b01 | (0b11 << 4);
    const pages = (from: number, to: number) => smalls.filter((i) => i >= from && i < to).length;
    for (const m of [1, 2, 5, 14]) {
      for (let i = 0; i < 16; i++) mem.writeU32(l2 + BigInt((16 * m + i) * 4), large);
      const at = `0x${(base + 16 * m * 0x1000).toString(16)}`;
      // ranges that reach the Large page's first entry, its last, or lie around it: refused, nothing written
      for (const [from, to] of [[0, 256], [1, 16 * m + 1], [16 * m - 5, 16 * m + 1], [16 * m + 15, 16 * m + 16], [8, 16 * m + 9]] as const) {
        for (const op of [() => c.unmapRegion(base + from * 0x1000, (to - from) * 0x1000), () => c.protectRegion(base + from * 0x1000, (to - from) * 0x1000, READ)]) {
          failsCleanly(mem, op, 'UnsupportedPageSize');
          expect(() => op()).toThrow(`the 64K page at ${at} is stored as repeated entries`);
        }
      }
      // ranges that end just before it or start just after it change the Small pages they hold, and only those
      for (const [from, to] of [[0, 16 * m], [16 * m + 16, 256], [3, 16 * m]] as const) {
        const before = mem.bytes().slice();
        expect(c.protectRegion(base + from * 0x1000, (to - from) * 0x1000, READ)).toBe(BigInt(pages(from, to) * 0x1000));
        c.flush();
        for (const i of smalls) expect(table.query(BigInt(base + i * 0x1000)).flags, `page ${i}`).toBe(i >= from && i < to ? READ : READ | WRITE);
        expect(table.query(BigInt(base + 16 * m * 0x1000)).size).toBe(PageSize.Size64K);
        for (const i of smalls) if (i >= from && i < to) c.protect(base + i * 0x1000, READ | WRITE);
        c.flush();
        expect(Buffer.compare(mem.bytes(), before)).toBe(0);
      }
      for (let i = 0; i < 16; i++) mem.writeU32(l2 + BigInt((16 * m + i) * 4), 0);
    }
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('leaves them to the general walk on the fast paths (numbers, the last L2 table looked up, the specialised walk)', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new A32PageTable(mem);
    // (internal: the fast paths are on for this format, the Large pages notwithstanding)
    expect(table._fast).toBe(true);
    expect(table._walker).not.toBeNull();
    const c = table.cursor();
    c.map(0x3000_0000, 0x4000_0000, PageSize.Size4K, READ | WRITE);
    const l2 = A32PTE.paddr(BigInt(mem.readU32(table.rootPaddr + 0x300n * 4n)), 0);
    // a Large page at 0x3001_0000 in the same L2 table (B3.5.1: 16 entries, bits[1:0] = 0b01, base 31:16, AP[1:0]
    // 0b11 and TEX 0b001 C B: user read-write, cacheable), and a Supersection at 0x2000_0000 (16 L1 entries)
    const large = 0x5001_0000 | 0b01 | 0b1100 | (0b11 << 4) | (1 << 12) | (1 << 15);
    for (let i = 0; i < 16; i++) mem.writeU32(l2 + BigInt((0x10 + i) * 4), large);
    const superSection = Number(0x8000_0000n | (1n << 18n) | crateAttr(READ | WRITE, true));
    for (let i = 0; i < 16; i++) mem.writeU32(table.rootPaddr + BigInt((0x200 + i) * 4), superSection);
    const want = { flags: READ | WRITE | USER, size: PageSize.Size64K };
    // the L2 table is the last one looked up: the Large page's entries are its own, not 4K pages at their address
    expect(table.queryNumber(0x3000_0123)).toBe(0x4000_0123);
    expect(table.queryNumber(0x3001_2345)).toBe(0x5001_2345);
    expect(table.lastSize).toBe(PageSize.Size64K);
    expect(table.query(0x3001_f00cn)).toEqual({ paddr: 0x5001_f00cn, ...want });
    // the specialised walk, with nothing remembered
    table.invalidate();
    expect(table.queryNumber(0x3001_a000)).toBe(0x5001_a000);
    expect(table.lastSize).toBe(PageSize.Size64K);
    table.invalidate();
    expect(table.queryNumber(0x20ab_cdef)).toBe(0x80ab_cdef);
    expect(table.lastSize).toBe(PageSize.Size16M);
    // changes through the fast paths (number arguments, the L2 table remembered) refuse the Large page's entries and
    // write nothing; the holes around it are theirs to fill
    expect(table.queryNumber(0x3000_0000)).toBe(0x4000_0000);
    failsCleanly(mem, () => c.unmap(0x3001_0000), 'UnsupportedPageSize');
    failsCleanly(mem, () => c.unmap(0x3001_3000), 'UnsupportedPageSize');
    failsCleanly(mem, () => c.map(0x3001_1000, 0x1000, PageSize.Size4K, READ), 'AlreadyMapped');
    failsCleanly(mem, () => c.mapRegion(0x3000_e000, 0x7000_0000, 0x4000, READ, false), 'AlreadyMapped');
    c.map(0x3000_1000, 0x4000_1000, PageSize.Size4K, READ);
    c.mapRegion(0x3002_0000, 0x4100_0000, 0x4000, READ | WRITE, false);
    expect(table.queryNumber(0x3002_3004)).toBe(0x4100_3004);
    expect(c.unmap(0x3000_1000)).toEqual({ paddr: 0x4000_1000n, flags: READ, size: PageSize.Size4K });
    expect(table.query(0x3001_0000n)).toEqual({ paddr: 0x5001_0000n, ...want });
    const listed = [...table.mappings()].map((m) => [m.vaddr, m.paddr, m.size]);
    expect(listed).toEqual([
      [0x2000_0000n, 0x8000_0000n, PageSize.Size16M],
      [0x3000_0000n, 0x4000_0000n, PageSize.Size4K],
      [0x3001_0000n, 0x5001_0000n, PageSize.Size64K],
      [0x3002_0000n, 0x4100_0000n, PageSize.Size4K],
      [0x3002_1000n, 0x4100_1000n, PageSize.Size4K],
      [0x3002_2000n, 0x4100_2000n, PageSize.Size4K],
      [0x3002_3000n, 0x4100_3000n, PageSize.Size4K],
    ]);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('reads a Section with PXN (bits[1:0] = 0b11) as a Section, not as a pointer to an L2 table', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new A32PageTable(mem);
    const root = table.rootPaddr;
    const cached = (1n << 12n) | 0b1100n | (1n << 16n); // TEX 0b001 C B, S
    // AP 0b001 (PL1 only): PXN leaves it not executable; AP 0b011 (PL0 too): executable at PL0
    mem.writeU32(root + 0x500n * 4n, Number(0x5000_0000n | 0b11n | (1n << 10n) | cached));
    mem.writeU32(root + 0x501n * 4n, Number(0x5010_0000n | 0b11n | (0b11n << 10n) | cached));
    expect(table.query(0x5001_2345n)).toEqual({ paddr: 0x5001_2345n, flags: READ | WRITE, size: PageSize.Size1M });
    expect(table.query(0x501f_fff0n)).toEqual({ paddr: 0x501f_fff0n, flags: READ | WRITE | USER | EXECUTE, size: PageSize.Size1M });
    expect(table.tableCount()).toBe(1);
    const c = table.cursor();
    expect(c.protect(0x5000_0000n, READ | EXECUTE)).toBe(PageSize.Size1M);
    expect(table.query(0x5000_0000n).flags).toBe(READ | EXECUTE);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });
});
