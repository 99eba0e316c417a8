// AArch64-specific behaviour. Expected values come from the Arm ARM (DDI 0487: D8.3 descriptor formats,
// D8.4.1.2 Direct permissions, D8.6 memory region attributes, the MAIR_EL1 Attr<n> encoding) or from the
// Rust crate's own output in test/vectors/pte-encodings.json, never from this code.
import { readFileSync } from 'node:fs';
import {
  bitsToWords,
  type GenericPTE,
  MappingFlags,
  type PageSize,
  type PageTable64,
  type PagingError,
  PhysicalMemory,
  wordsToBits,
} from '@page-table-multiarch/core';
import {
  A64PagingMetaData,
  A64PageTable,
  A64PageTableEl2,
  A64PTE,
  A64PTEEl2,
  A64PTEEl2ImpliedRead,
  A64PTEImpliedRead,
  DescriptorAttr,
  descriptorAttrFromFlags,
  descriptorAttrFromMemAttr,
  flagsFromDescriptorAttr,
  MAIR_VALUE,
  MemAttr,
  memAttrOf,
} from '@page-table-multiarch/aarch64';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;
const K4 = 0x1000 as PageSize;
const M2 = 0x20_0000 as PageSize;
const G1 = 0x4000_0000 as PageSize;
const RAM = 0x4000_0000n;

interface VectorType {
  type: string;
  variant: string;
  new_page: { rows: [number, number, string, string][] };
  arch_flags_from_mapping: { 'DescriptorAttr::from': string[]; MAIR_VALUE: string[] };
}
const vectors = JSON.parse(readFileSync(new URL('../../../test/vectors/pte-encodings.json', import.meta.url), 'utf8')) as {
  types: VectorType[];
};
const vt = (variant: string) => vectors.types.find((t) => t.type === 'A64PTE' && t.variant === variant)!;

/** A stage 1 descriptor assembled from its fields as Arm ARM D8.3.1.2 lays them out. */
function descriptor(f: { pa: bigint; page: boolean; attrIndx: number; ap: number; sh?: number; pxn?: boolean; uxn?: boolean }): bigint {
  let d = f.pa | 1n; // bit 0: valid
  if (f.page) d |= 1n << 1n; // bit 1: 1 = page at level 3 (0 = block at levels 1-2)
  d |= BigInt(f.attrIndx) << 2n; // bits 4:2 AttrIndx
  d |= BigInt(f.ap) << 6n; // bits 7:6 AP[2:1]
  d |= BigInt(f.sh ?? 0b11) << 8n; // bits 9:8 SH
  d |= 1n << 10n; // AF
  if (f.pxn) d |= 1n << 53n;
  if (f.uxn) d |= 1n << 54n;
  return d;
}

/** The byte MAIR_ELx.Attr<n> of MAIR_VALUE. */
const mairAttr = (n: number) => Number((MAIR_VALUE >> BigInt(8 * n)) & 0xffn);

function memory(): PhysicalMemory {
  return new PhysicalMemory({ size: 1 << 20, base: RAM });
}

/** Raw bits of the one leaf that maps `va` (as listed by mappings()). */
function leafBits(table: PageTable64, va: bigint): bigint {
  const iva = va & ((1n << 48n) - 1n);
  const m = [...table.mappings()].find((x) => x.vaddr <= iva && iva < x.vaddr + BigInt(x.size));
  expect(m, `no leaf at ${va.toString(16)}`).toBeDefined();
  return m!.bits;
}

/** Physical address of the entry that maps `va` at `level`, found by walking. */
function entryAddr(table: PageTable64, va: bigint, level: number): bigint {
  let tablePa = table.rootPaddr;
  for (let l = 0; l < level; l++) {
    const idx = (va >> BigInt(39 - 9 * l)) & 511n;
    const mem = table.handler as PhysicalMemory;
    tablePa = A64PTE.paddr(mem.readU64(tablePa + idx * 8n));
  }
  return tablePa + ((va >> BigInt(39 - 9 * level)) & 511n) * 8n;
}

describe('DescriptorAttr, MemAttr and MAIR_VALUE per the Arm ARM', () => {
  it('places every attribute at its bit (D8.3.1.1 Table descriptor, D8.3.1.2 Block and Page descriptor fields)', () => {
    const bit = (n: number) => 1n << BigInt(n);
    expect(DescriptorAttr.VALID).toBe(bit(0));
    expect(DescriptorAttr.NON_BLOCK).toBe(bit(1));
    expect(DescriptorAttr.ATTR_INDX).toBe(bit(2) | bit(3) | bit(4));
    expect(DescriptorAttr.NS).toBe(bit(5));
    expect(DescriptorAttr.AP_EL0).toBe(bit(6)); // AP[1]
    expect(DescriptorAttr.AP_RO).toBe(bit(7)); // AP[2]
    expect(DescriptorAttr.INNER).toBe(bit(8)); // SH[0]
    expect(DescriptorAttr.SHAREABLE).toBe(bit(9)); // SH[1]
    expect(DescriptorAttr.AF).toBe(bit(10));
    expect(DescriptorAttr.NG).toBe(bit(11));
    expect(DescriptorAttr.CONTIGUOUS).toBe(bit(52));
    expect(DescriptorAttr.PXN).toBe(bit(53));
    expect(DescriptorAttr.UXN).toBe(bit(54));
    expect(DescriptorAttr.PXN_TABLE).toBe(bit(59));
    expect(DescriptorAttr.XN_TABLE).toBe(bit(60));
    expect(DescriptorAttr.AP_NO_EL0_TABLE).toBe(bit(61)); // APTable[0]
    expect(DescriptorAttr.AP_NO_WRITE_TABLE).toBe(bit(62)); // APTable[1]
    expect(DescriptorAttr.AP_TABLE).toBe(bit(61) | bit(62));
    expect(DescriptorAttr.NS_TABLE).toBe(bit(63));
  });

  it('MAIR_VALUE is 0x44ff04, the crate constant, with the three attribute bytes the MAIR_EL1 encoding defines', () => {
    expect(MAIR_VALUE).toBe(0x44ff04n);
    expect(vt('default').arch_flags_from_mapping.MAIR_VALUE).toEqual([`0x${MAIR_VALUE.toString(16)}`]);
    expect(vt('arm-el2').arch_flags_from_mapping.MAIR_VALUE).toEqual([`0x${MAIR_VALUE.toString(16)}`]);
    // Attr<n>[7:4] = 0b0000: Device memory; [3:2] = 0b01 (bits 3:0 = 0b0100): Device-nGnRE
    expect(mairAttr(MemAttr.Device) >> 4).toBe(0);
    expect(mairAttr(MemAttr.Device) & 0xf).toBe(0b0100);
    // Normal: outer [7:4] and inner [3:0] 0b11RW with R = W = 1: Write-Back Non-transient, RW-allocate
    expect(mairAttr(MemAttr.Normal)).toBe(0b1111_1111);
    // Normal: outer and inner 0b0100, Non-cacheable
    expect(mairAttr(MemAttr.NormalNonCacheable)).toBe(0b0100_0100);
    for (let n = 3; n < 8; n++) expect(mairAttr(n)).toBe(0);
    expect([MemAttr.Device, MemAttr.Normal, MemAttr.NormalNonCacheable]).toEqual([0, 1, 2]);
  });

  it('from_mem_attr and mem_attr: AttrIndx, and Inner Shareable (SH = 0b11, D8.6.2) for Normal memory', () => {
    expect(descriptorAttrFromMemAttr(MemAttr.Device)).toBe(0n);
    expect(descriptorAttrFromMemAttr(MemAttr.Normal)).toBe((1n << 2n) | (0b11n << 8n));
    expect(descriptorAttrFromMemAttr(MemAttr.NormalNonCacheable)).toBe((2n << 2n) | (0b11n << 8n));
    for (let idx = 0; idx < 8; idx++) expect(memAttrOf(BigInt(idx) << 2n)).toBe(idx < 3 ? idx : undefined);
  });

  it('descriptorAttrFromFlags is the crate DescriptorAttr::from for all 64 flag sets, both encodings', () => {
    for (const [variant, el2] of [['default', false], ['arm-el2', true]] as const) {
      const want = vt(variant).arch_flags_from_mapping['DescriptorAttr::from'];
      expect(want).toHaveLength(64);
      for (let f = 0; f < 64; f++) expect(`0x${descriptorAttrFromFlags(f, el2).toString(16)}`, `${variant} ${f}`).toBe(want[f]);
    }
  });

  it('table descriptors are VALID | NON_BLOCK with the next table address and no hierarchical limits (D8.3.1.1)', () => {
    for (const pte of [A64PTE, A64PTEEl2, A64PTEImpliedRead, A64PTEEl2ImpliedRead]) {
      const t = pte.newTable(0x8765_4321_f000n, 0);
      expect(t).toBe(0x8765_4321_f000n | 0b11n);
      expect(t >> 59n).toBe(0n);
    }
  });
});

describe('decoding descriptors assembled from the manual', () => {
  // AP[2:1] for a regime with two Exception levels (D8.4.1.2.1): 00 EL1 RW; 01 EL1 and EL0 RW; 10 EL1 RO; 11 both RO
  const apFlags = [READ | WRITE, READ | WRITE | USER, READ, READ | USER];

  it('EL1&0: AP[2:1] gives READ/WRITE/USER; UXN (user) or PXN (kernel) decides EXECUTE (D8.4.1.2.3)', () => {
    for (let ap = 0; ap < 4; ap++) {
      for (const pxn of [false, true]) {
        for (const uxn of [false, true]) {
          const user = (ap & 1) === 1;
          const executable = user ? !uxn : !pxn;
          const want = apFlags[ap]! | (executable ? EXECUTE : 0);
          for (const [page, level] of [[true, 3], [false, 2], [false, 1]] as const) {
            const d = descriptor({ pa: 0x4020_0000n, page, attrIndx: MemAttr.Normal, ap, pxn, uxn });
            expect(A64PTE.flags(d, level), `AP ${ap} PXN ${pxn} UXN ${uxn} level ${level}`).toBe(want);
            expect(A64PTE.paddr(d, level)).toBe(0x4020_0000n);
          }
        }
      }
    }
  });

  it('EL2: AP[2] alone gives WRITE (AP[1] ignored), XN in bit 54 decides EXECUTE, bit 53 is ignored, no USER', () => {
    for (let ap = 0; ap < 4; ap++) {
      for (const pxn of [false, true]) {
        for (const xn of [false, true]) {
          const want = READ | ((ap & 2) === 0 ? WRITE : 0) | (xn ? 0 : EXECUTE);
          const d = descriptor({ pa: 0x1000n, page: true, attrIndx: MemAttr.Normal, ap, pxn, uxn: xn });
          expect(A64PTEEl2.flags(d, 3), `AP ${ap} bit53 ${pxn} XN ${xn}`).toBe(want);
        }
      }
    }
  });

  it('AttrIndx: the MAIR byte it selects tells DEVICE (Device memory) and UNCACHED (Normal Non-cacheable) (D8.6.1)', () => {
    for (const idx of [0, 1, 2]) {
      const attr = mairAttr(idx);
      const want = (attr >> 4 === 0 ? DEVICE : 0) | (attr === 0x44 ? UNCACHED : 0);
      const d = descriptor({ pa: 0n, page: true, attrIndx: idx, ap: 0b00, pxn: true, uxn: true });
      expect(A64PTE.flags(d, 3) & (DEVICE | UNCACHED), `AttrIndx ${idx}`).toBe(want);
      expect(A64PTEEl2.flags(d, 3) & (DEVICE | UNCACHED), `AttrIndx ${idx}`).toBe(want);
    }
    // indices the codecs never write read as neither, as the crate
    for (let idx = 3; idx < 8; idx++) {
      expect(A64PTE.flags(descriptor({ pa: 0n, page: true, attrIndx: idx, ap: 0 }), 3) & (DEVICE | UNCACHED)).toBe(0);
    }
  });

  it('encodes whole descriptors as the manual lays them out (D8.3.1.2)', () => {
    // kernel RW data: AP 00, PXN and UXN, Normal (AttrIndx 1), Inner Shareable, AF, page
    expect(A64PTE.newPage(0x4000_0000n, READ | WRITE, false)).toBe(
      descriptor({ pa: 0x4000_0000n, page: true, attrIndx: 1, ap: 0b00, pxn: true, uxn: true }),
    );
    // user RX code: AP 11 (both read-only), PXN (the kernel does not execute user memory), UXN clear
    expect(A64PTE.newPage(0x1000n, READ | EXECUTE | USER, false)).toBe(descriptor({ pa: 0x1000n, page: true, attrIndx: 1, ap: 0b11, pxn: true }));
    // kernel code as a 2 MiB block: AP 10, UXN, PXN clear, block (bits[1:0] = 0b01)
    expect(A64PTE.newPage(0x20_0000n, READ | EXECUTE, true)).toBe(descriptor({ pa: 0x20_0000n, page: false, attrIndx: 1, ap: 0b10, uxn: true }));
    // device registers: AttrIndx 0, SH 00
    expect(A64PTE.newPage(0x0900_0000n, READ | WRITE | DEVICE, false)).toBe(
      descriptor({ pa: 0x0900_0000n, page: true, attrIndx: 0, ap: 0b00, sh: 0, pxn: true, uxn: true }),
    );
    // uncached normal memory: AttrIndx 2
    expect(A64PTE.newPage(0x3000n, READ | UNCACHED, false)).toBe(descriptor({ pa: 0x3000n, page: true, attrIndx: 2, ap: 0b10, pxn: true, uxn: true }));
    // EL2: RW, not executable: XN only, AP[1] left 0 as the crate does
    expect(A64PTEEl2.newPage(0x4000_0000n, READ | WRITE, false)).toBe(descriptor({ pa: 0x4000_0000n, page: true, attrIndx: 1, ap: 0b00, uxn: true }));
  });

  it('EL2 ignores USER and never sets PXN (RES0) or AP[1]', () => {
    for (let f = 1; f < 64; f++) {
      if (f === USER) continue; // USER alone is not empty, and the set without it would be
      const bits = A64PTEEl2.newPage(0x5000n, f, false);
      expect(bits, `flags ${f}`).toBe(A64PTEEl2.newPage(0x5000n, f & ~USER, false));
      expect(bits & (DescriptorAttr.PXN | DescriptorAttr.AP_EL0)).toBe(0n);
      expect(A64PTEEl2.flags(bits, 3) & USER).toBe(0);
    }
  });

  it('round-trips every flag set with READ through its encoding as the crate does', () => {
    for (let f = 1; f < 64; f += 2) {
      const dev = f & DEVICE ? DEVICE : f & UNCACHED ? UNCACHED : 0;
      // EL1&0: USER keeps its EXECUTE; all else as given; DEVICE wins over UNCACHED
      expect(flagsFromDescriptorAttr(descriptorAttrFromFlags(f)), `flags ${f}`).toBe((f & (READ | WRITE | EXECUTE | USER)) | dev);
      expect(flagsFromDescriptorAttr(descriptorAttrFromFlags(f, true), true)).toBe((f & (READ | WRITE | EXECUTE)) | dev);
    }
  });
});

describe('the crate bug: an all-zero entry is not huge', () => {
  const codecs: [string, GenericPTE][] = [
    ['A64PTE', A64PTE],
    ['A64PTEEl2', A64PTEEl2],
    ['A64PTEImpliedRead', A64PTEImpliedRead],
    ['A64PTEEl2ImpliedRead', A64PTEEl2ImpliedRead],
  ];

  it.each(codecs)('%s: isHuge(0n) is false at every level and without one; isHuge is "valid and not a table"', (_n, pte) => {
    for (const level of [undefined, 0, 1, 2, 3]) {
      expect(pte.isHuge(0n, level)).toBe(false);
      expect(pte.isPresent(0n, level)).toBe(false);
      expect(pte.isUnused(0n)).toBe(true);
    }
    expect(pte.isHuge(0x4000_0000n | 0b01n, 1)).toBe(true); // block
    expect(pte.isHuge(0x20_0000n | 0b01n, 2)).toBe(true);
    expect(pte.isHuge(0x20_0000n | 0b11n, 2)).toBe(false); // table
    expect(pte.isHuge(0x20_0000n | 0b10n, 2)).toBe(false); // invalid
    expect(pte.isHuge(pte.newPage(0x4000_0000n, READ, true, 1), 1)).toBe(true);
    expect(pte.isHuge(pte.newTable(0x4000_0000n, 1), 1)).toBe(false);
  });

  it.each([
    ['A64PageTable', (m: PhysicalMemory) => new A64PageTable(m)],
    ['A64PageTableEl2', (m: PhysicalMemory) => new A64PageTableEl2(m)],
  ])('%s: protectRegion and unmapRegion over holes work (the crate asserts there)', (_n, create) => {
    const mem = memory();
    const table = create(mem);
    const c = table.cursor();
    c.map(0x4000_1000n, 0x9000n, K4, READ);
    c.map(0x8000_0000n, 0x20_0000n, M2, READ);
    // starts in a hole of the existing level 1 table, not 1G-aligned, and ends in one
    expect(c.protectRegion(0x1000n, 0x1_0000_0000n - 0x1000n, READ | WRITE)).toBe(0x1000n + 0x20_0000n);
    expect(table.query(0x4000_1000n).flags).toBe(READ | WRITE);
    expect(table.query(0x8000_0000n).flags).toBe(READ | WRITE);
    expect(c.protectRegion(0x10_0000_0000n, 0x4000_0000n, READ)).toBe(0n); // no level 1 table there at all
    expect(c.unmapRegion(0x1000n, 0x1_0000_0000n - 0x1000n)).toBe(0x1000n + 0x20_0000n);
    expect([...table.mappings()]).toEqual([]);
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('remap and protect of an unmapped address inside an existing level 1 table: NotMapped, nothing written', () => {
    const mem = memory();
    const table = new A64PageTable(mem);
    const c = table.cursor();
    c.map(0x4000_1000n, 0x9000n, K4, READ);
    const before = mem.bytes().slice();
    // the crate takes the empty level 1 entry for a 1 GiB page here and writes a block into it
    expect(() => c.remap(0n, 0x4000_0000n, READ | WRITE)).toThrowError(expect.objectContaining({ code: 'NotMapped' }));
    expect(() => c.protect(0n, READ | WRITE)).toThrowError(expect.objectContaining({ code: 'NotMapped' }));
    expect(() => table.query(0x1234n)).toThrowError(expect.objectContaining({ code: 'NotMapped' }));
    expect(Buffer.compare(mem.bytes(), before)).toBe(0);
    table.destroy();
  });
});

describe('flags without READ: every entry a table writes is valid', () => {
  const lacking = Array.from({ length: 31 }, (_, i) => 2 * (i + 1)); // 2, 4, ..., 62: every non-empty set without READ
  const variants = [
    { name: 'A64PageTable', create: (m: PhysicalMemory) => new A64PageTable(m), crate: A64PTE, variant: 'default' },
    { name: 'A64PageTableEl2', create: (m: PhysicalMemory) => new A64PageTableEl2(m), crate: A64PTEEl2, variant: 'arm-el2' },
  ];

  for (const v of variants) {
    describe(v.name, () => {
      it('the crate codec itself keeps the crate bits: no VALID bit for flags 2 and 4 (test/vectors)', () => {
        const rows = vt(v.variant).new_page.rows;
        for (const f of [WRITE, EXECUTE]) {
          const row = rows.find((r) => r[0] === f && r[1] === 0 && r[2] === '0x1000')!;
          const bits = v.crate.newPage(0x1000n, f, false, 3);
          expect(`0x${bits.toString(16)}`).toBe(row[3]);
          expect(bits & DescriptorAttr.VALID).toBe(0n);
          expect(bits).not.toBe(0n);
        }
        for (const f of lacking) expect(v.crate.isPresent(v.crate.newPage(0x1000n, f, false, 3), 3)).toBe(false);
      });

      it('map (4K and 2M), remap and protect write the encoding of the set with READ added', () => {
        for (const f of lacking) {
          const mem = memory();
          const table = v.create(mem);
          const c = table.cursor();
          c.map(0xffff_ff80_0000_1000n, 0x7000n, K4, f);
          const page = leafBits(table, 0xffff_ff80_0000_1000n);
          expect(page, `map ${f}`).toBe(v.crate.newPage(0x7000n, f | READ, false, 3));
          expect(table.pte.isPresent(page, 3)).toBe(true);
          expect(table.query(0xffff_ff80_0000_1234n)).toEqual({ paddr: 0x7234n, flags: v.crate.flags(page, 3), size: K4 });
          expect(table.query(0xffff_ff80_0000_1234n).flags & READ).toBe(READ);

          c.map(0x20_0000n, 0x40_0000n, M2, f);
          expect(leafBits(table, 0x20_0000n), `map 2M ${f}`).toBe(v.crate.newPage(0x40_0000n, f | READ, true, 2));

          c.map(0x5000n, 0x5000n, K4, READ | WRITE);
          expect(c.remap(0x5000n, 0x6000n, f)).toBe(K4);
          expect(leafBits(table, 0x5000n), `remap ${f}`).toBe(v.crate.newPage(0x6000n, f | READ, false, 3));

          c.map(0x8000n, 0x8000n, K4, READ);
          expect(c.protect(0x8000n, f)).toBe(K4);
          expect(leafBits(table, 0x8000n), `protect ${f}`).toBe(v.crate.newPage(0x8000n, f | READ, false, 3));
          expect(c.protect(0x20_0000n, f)).toBe(M2);
          expect(leafBits(table, 0x20_0000n)).toBe(v.crate.newPage(0x40_0000n, f | READ, true, 2));

          for (const m of table.mappings()) expect(table.pte.isPresent(m.bits, m.level)).toBe(true);
          table.destroy();
          expect(mem.framesInUse).toBe(0);
        }
      });

      it('mapRegion and protectRegion write the encoding of the set with READ added, huge pages included', () => {
        for (const f of lacking) {
          const mem = memory();
          const table = v.create(mem);
          const c = table.cursor();
          // 2 pages, one 2M block, 2 pages
          c.mapRegion(0x1f_e000n, 0x1f_e000n, 0x20_4000n, f, true);
          const listed = [...table.mappings()];
          expect(listed.map((m) => m.size)).toEqual([K4, K4, M2, K4, K4]);
          for (const m of listed) {
            expect(m.bits, `mapRegion ${f} at ${m.vaddr.toString(16)}`).toBe(v.crate.newPage(m.paddr, f | READ, m.level !== 3, m.level));
          }
          // protectRegion with holes around and inside: first READ, then f
          c.unmapRegion(0x1f_f000n, 0x1000n);
          expect(c.protectRegion(0n, 0x80_0000n, READ)).toBe(0x20_3000n);
          expect(c.protectRegion(0n, 0x80_0000n, f)).toBe(0x20_3000n);
          for (const m of table.mappings()) {
            expect(m.bits, `protectRegion ${f}`).toBe(v.crate.newPage(m.paddr, f | READ, m.level !== 3, m.level));
            expect(m.flags & READ).toBe(READ);
          }
          table.destroy();
        }
      });
    });
  }

  it('W-only is readable-writable and X-only readable-executable (EL1&0)', () => {
    const table = new A64PageTable(memory());
    const c = table.cursor();
    c.map(0x1000n, 0x1000n, K4, WRITE);
    c.map(0x2000n, 0x2000n, K4, EXECUTE);
    c.map(0x3000n, 0x3000n, K4, WRITE | USER);
    c.map(0x4000n, 0x4000n, K4, EXECUTE | USER);
    expect(table.query(0x1000n).flags).toBe(READ | WRITE);
    expect(table.query(0x2000n).flags).toBe(READ | EXECUTE);
    expect(table.query(0x3000n).flags).toBe(READ | WRITE | USER);
    expect(table.query(0x4000n).flags).toBe(READ | EXECUTE | USER);
    table.destroy();
  });
});

describe('the READ-implied codecs', () => {
  it('equal the crate codecs for the empty set and every set with READ, at every level, page or block', () => {
    for (const [implied, base] of [
      [A64PTEImpliedRead, A64PTE],
      [A64PTEEl2ImpliedRead, A64PTEEl2],
    ] as const) {
      for (let f = 0; f < 64; f++) {
        const g = f === 0 || f & READ ? f : f | READ;
        for (const huge of [false, true]) {
          for (const level of [0, 1, 2, 3]) {
            expect(implied.newPage(0x4000_0000n, f, huge, level)).toBe(base.newPage(0x4000_0000n, g, huge, level));
            expect(implied.setFlags(0xdead_0000_0000_0fffn, f, huge, level)).toBe(base.setFlags(0xdead_0000_0000_0fffn, g, huge, level));
          }
        }
      }
    }
  });

  const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  const agreement: [string, GenericPTE, number[]][] = [
    // the shared suite covers the crate codecs at levels 1-3; level 0 here
    ['A64PTE', A64PTE, [0]],
    ['A64PTEEl2', A64PTEEl2, [0]],
    ['A64PTEImpliedRead', A64PTEImpliedRead, [0, 1, 2, 3]],
    ['A64PTEEl2ImpliedRead', A64PTEEl2ImpliedRead, [0, 1, 2, 3]],
  ];
  it.each(agreement)('%s: the word-level form agrees with the bigint form', (_n, pte, levels) => {
    const w = pte.words!;
    fc.assert(
      fc.property(u64, u64, fc.integer({ min: 0, max: 63 }), fc.boolean(), fc.constantFrom(...levels), (bits, pa, flags, huge, l) => {
        const [lo, hi] = bitsToWords(bits);
        const [paLo, paHi] = bitsToWords(pa);
        expect(w.isPresent(lo, hi, l)).toBe(pte.isPresent(bits, l));
        expect(w.flags(lo, hi, l)).toBe(pte.flags(bits, l));
        expect(wordsToBits(w.paddrLo(lo, hi, l), w.paddrHi(lo, hi, l))).toBe(pte.paddr(bits, l));
        if (pte.isPresent(bits, l)) expect(w.isHuge(lo, hi, l)).toBe(pte.isHuge(bits, l));
        expect(wordsToBits(w.newPageLo(paLo, paHi, flags, huge, l), w.newPageHi(paLo, paHi, flags, huge, l))).toBe(pte.newPage(pa, flags, huge, l));
        expect(wordsToBits(w.newTableLo(paLo, paHi, l), w.newTableHi(paLo, paHi, l))).toBe(pte.newTable(pa, l));
        expect(wordsToBits(w.setFlagsLo(lo, hi, flags, huge, l), w.setFlagsHi(lo, hi, flags, huge, l))).toBe(pte.setFlags(bits, flags, huge, l));
        expect(wordsToBits(w.setPaddrLo(lo, hi, paLo, paHi, l), w.setPaddrHi(lo, hi, paLo, paHi, l))).toBe(pte.setPaddr(bits, pa, l));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('validity by level (D8.3, AArch64.BlockDescSupported())', () => {
  it('bits[1:0] = 0b01 is a block at levels 1 and 2, reserved (invalid) at level 3, invalid at level 0', () => {
    const d = 0x4000_0000n | DescriptorAttr.AF | 0b01n | (1n << 2n);
    expect([0, 1, 2, 3].map((l) => A64PTE.isPresent(d, l))).toEqual([false, true, true, false]);
    expect([0, 1, 2, 3].map((l) => A64PTE.flags(d, l) !== 0)).toEqual([false, true, true, false]);
    expect(A64PTE.isPresent(d)).toBe(true); // without a level: bit 0 alone, as the crate
    const page = d | 0b10n;
    expect([0, 1, 2, 3].map((l) => A64PTE.isPresent(page, l))).toEqual([true, true, true, true]);
    expect([0, 1, 2, 3].map((l) => A64PTE.isHuge(page, l))).toEqual([false, false, false, false]);
  });

  it('a table holding a level 3 entry with bits[1:0] = 0b01 does not translate through it', () => {
    const mem = memory();
    const table = new A64PageTable(mem);
    table.cursor().map(0x1000n, 0x7000n, K4, READ);
    const at = entryAddr(table, 0x1000n, 3);
    expect(mem.readU64(at)).toBe(A64PTE.newPage(0x7000n, READ, false));
    mem.writeU64(at, mem.readU64(at) & ~DescriptorAttr.NON_BLOCK);
    expect(() => table.query(0x1000n)).toThrowError(expect.objectContaining({ code: 'NotMapped' }));
    expect([...table.mappings()]).toEqual([]);
    table.destroy();
  });

  it('a level 0 block descriptor written by hand is not a 512 GiB mapping', () => {
    const mem = memory();
    const table = new A64PageTable(mem);
    const at = entryAddr(table, 0x80_0000_0000n, 0);
    mem.writeU64(at, A64PTE.newPage(0n, READ, true));
    expect(() => table.query(0x80_0000_1000n)).toThrowError(expect.objectContaining({ code: 'NotMapped' }));
    expect([...table.mappings()]).toEqual([]);
    mem.writeU64(at, 0n);
    table.destroy();
  });
});

describe('A64PagingMetaData and the tables', () => {
  it('has the 4-level, 48-bit geometry with leaves at levels 1, 2 and 3', () => {
    const m = A64PagingMetaData;
    expect([m.levels, m.vaMaxBits, m.paMaxBits, m.pageShift, m.entryBytes]).toEqual([4, 48, 48, 12, 8]);
    expect(m.indexBits).toEqual([9, 9, 9, 9]);
    expect(m.levelSize).toEqual([2 ** 39, 2 ** 30, 2 ** 21, 2 ** 12]);
    expect(m.leafLevels).toEqual([1, 2, 3]);
    expect([m.vaTopBit, m.upperHalf, m.signExtend]).toEqual([48, true, false]);
  });

  it('a virtual address is valid when bits 63:48 are all zero or all one', () => {
    const ok = [0n, 0x0000_7fff_ffff_ffffn, 0x0000_8000_0000_0000n, 0x0000_ffff_ffff_ffffn, 0xffff_0000_0000_0000n, 0xffff_ffff_ffff_ffffn];
    const bad = [0x0001_0000_0000_0000n, 0x8000_0000_0000_0000n, 0xfffe_ffff_ffff_ffffn, 0x00ff_0000_0000_0000n];
    for (const va of ok) expect(A64PagingMetaData.vaddrIsValid(va), va.toString(16)).toBe(true);
    for (const va of bad) expect(A64PagingMetaData.vaddrIsValid(va), va.toString(16)).toBe(false);
    expect(A64PagingMetaData.paddrIsValid((1n << 48n) - 1n)).toBe(true);
    expect(A64PagingMetaData.paddrIsValid(1n << 48n)).toBe(false);
  });

  it('maps in the upper half and queries it back; listings show the index-space address', () => {
    const mem = memory();
    const table = new A64PageTable(mem);
    const c = table.cursor();
    c.map(0xffff_ff80_0000_0000n, 0x4000_0000n, M2, READ | WRITE);
    c.map(0xffff_ffff_ffff_f000n, 0xffff_ffff_f000n, K4, READ | EXECUTE);
    c.map(0xffff_0000_4000_0000n, 0x8000_0000n, G1, READ);
    expect(table.query(0xffff_ff80_001f_ffffn)).toEqual({ paddr: 0x401f_ffffn, flags: READ | WRITE, size: M2 });
    expect(table.query(0xffff_ffff_ffff_ffffn)).toEqual({ paddr: 0xffff_ffff_ffffn, flags: READ | EXECUTE, size: K4 });
    expect(table.query(0xffff_0000_7fff_fff8n)).toEqual({ paddr: 0xbfff_fff8n, flags: READ, size: G1 });
    expect([...table.mappings()].map((m) => [m.vaddr, m.level])).toEqual([
      [0x0000_0000_4000_0000n, 1],
      [0x0000_ff80_0000_0000n, 2],
      [0x0000_ffff_ffff_f000n, 3],
    ]);
    // the same table entries serve the TTBR0 form of these addresses
    expect(table.query(0x0000_ff80_0000_0010n).paddr).toBe(0x4000_0010n);
    expect(() => c.map(0x0000_ff80_0000_0000n, 0n, M2, READ)).toThrowError(expect.objectContaining({ code: 'AlreadyMapped' }));
    expect(() => c.map(0x0001_0000_0000_0000n, 0n, K4, READ)).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    table.destroy();
    expect(mem.framesInUse).toBe(0);
  });

  it('hands the address as given to flushTlb for single-page operations in the upper half', () => {
    const seen: (bigint | undefined)[] = [];
    const table = new A64PageTable(memory(), { flushTlb: (va) => seen.push(va) });
    const c = table.cursor();
    c.map(0xffff_ff80_0000_3000n, 0x3000n, K4, READ);
    c.map(0xffff_ff80_0000_4000n, 0x3000n, K4, READ);
    c.protect(0xffff_ff80_0000_3000n, READ | WRITE);
    c.unmap(0xffff_ff80_0000_3000n);
    c.flush();
    // the same page changed twice in a row is invalidated once
    expect(seen).toEqual([0xffff_ff80_0000_3000n, 0xffff_ff80_0000_4000n, 0xffff_ff80_0000_3000n]);
    table.destroy();
  });

  it('writes 1G and 2M blocks with bits[1:0] = 0b01 and 4K pages and tables with 0b11', () => {
    const mem = memory();
    const table = new A64PageTableEl2(mem);
    const c = table.cursor();
    c.map(0x4000_0000n, 0x4000_0000n, G1, READ | WRITE);
    c.map(0x20_0000n, 0x20_0000n, M2, READ);
    c.map(0x1000n, 0x1000n, K4, READ);
    expect(mem.readU64(entryAddr(table, 0x4000_0000n, 1)) & 3n).toBe(0b01n);
    expect(mem.readU64(entryAddr(table, 0x20_0000n, 2)) & 3n).toBe(0b01n);
    expect(mem.readU64(entryAddr(table, 0x1000n, 3)) & 3n).toBe(0b11n);
    for (const l of [0, 1, 2]) expect(mem.readU64(entryAddr(table, 0x1000n, l)) & 3n).toBe(0b11n);
    table.destroy();
  });

  it('tryNew returns NoMemory instead of throwing when no frame is left', () => {
    for (const T of [A64PageTable, A64PageTableEl2]) {
      const mem = new PhysicalMemory({ size: 4096, base: RAM });
      const first = T.tryNew(mem);
      expect(first).toBeInstanceOf(T);
      const second = T.tryNew(mem) as PagingError;
      expect(second).toMatchObject({ code: 'NoMemory' });
    }
  });

  it('types tryNew as the class it is called on, or the PagingError', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: RAM });
    expectTypeOf(A64PageTable.tryNew(mem)).toEqualTypeOf<A64PageTable | PagingError>();
    expectTypeOf(A64PageTableEl2.tryNew(mem, {})).toEqualTypeOf<A64PageTableEl2 | PagingError>();
  });
});
