// The ARMv7 long-descriptor codec against the manual (ARM DDI 0406C.d): the expected entries below are written
// from the descriptor formats of B3.6.1 field by field (the crate has no such format, so there are no crate
// vectors), then the decoding of what the MMU reads at each lookup level, and the MAIR pairs memory types go through.
import { MappingFlags } from '@page-table-multiarch/core';
import { A32LpaePTE, a32LpaeCodec, LpaeDescriptorAttr as L, mairAttr, mairFlags } from '@page-table-multiarch/entry/arm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;

// B3.6.1 fields, written out here (not taken from the codec) so that a wrong constant there fails here
const PAGE = 0b11n; // level 3 Page, or Table descriptor at levels 1 and 2
const BLOCK = 0b01n;
const ATTR = (n: bigint) => n << 2n; // AttrIndx[2:0], bits 4:2
const AP1 = 1n << 6n;
const AP2 = 1n << 7n;
const ISH = 0b11n << 8n;
const AF = 1n << 10n;
const PXN = 1n << 53n;
const XN = 1n << 54n;

describe('A32LpaePTE encodings (B3.6.1, B3.6.2, B3.7)', () => {
  it('writes Pages, Blocks and Table descriptors field by field', () => {
    const rows: [bigint, bigint][] = [
      // kernel RW data page at level 3 (codec level 2): Normal (Attr1) Inner Shareable, AF, no execution anywhere
      [A32LpaePTE.newPage(0x4000_0000n, READ | WRITE, false, 2), 0x4000_0000n | PAGE | ATTR(1n) | ISH | AF | XN | PXN],
      // kernel text as a 2 MiB Block at level 2 (codec level 1): read-only, executable at PL1
      [A32LpaePTE.newPage(0x4020_0000n, READ | EXECUTE, true, 1), 0x4020_0000n | BLOCK | ATTR(1n) | ISH | AP2 | AF],
      // user code: AP[2:1] = 0b11 (read-only at PL0 and PL1), PXN (the kernel never executes it), no XN
      [A32LpaePTE.newPage(0x8000_1000n, READ | EXECUTE | USER, false, 2), 0x8000_1000n | PAGE | ATTR(1n) | ISH | AP1 | AP2 | AF | PXN],
      // user data: AP[2:1] = 0b01, XN and PXN
      [A32LpaePTE.newPage(0x8000_2000n, READ | WRITE | USER, false, 2), 0x8000_2000n | PAGE | ATTR(1n) | ISH | AP1 | AF | XN | PXN],
      // a device as a 1 GiB Block at level 1 (codec level 0): Attr0, no SH (Device memory is Outer Shareable anyway)
      [A32LpaePTE.newPage(0x1_0000_0000n, READ | WRITE | DEVICE, true, 0), 0x1_0000_0000n | BLOCK | ATTR(0n) | AF | XN | PXN],
      // Normal Non-cacheable: Attr2; a 40-bit output address
      [A32LpaePTE.newPage(0xff_ffff_f000n, READ | UNCACHED, false, 2), 0xff_ffff_f000n | PAGE | ATTR(2n) | ISH | AP2 | AF | XN | PXN],
      // a table: the next table's address and bits[1:0] = 0b11, no next-level limits
      [A32LpaePTE.newTable(0x12_3456_7000n, 0), 0x12_3456_7000n | PAGE],
      // address bits outside 39:12 are not written (bits 51:40 are SBZP)
      [A32LpaePTE.newTable(0x100_0000_0fffn, 0), PAGE],
    ];
    for (const [got, want] of rows) expect(got.toString(16)).toBe(want.toString(16));
  });

  it('reads what the MMU reads at each lookup level: 0b01 is a Block at levels 1 and 2, reserved at level 3', () => {
    const block = 0x4000_0000n | BLOCK | ATTR(1n) | ISH | AF;
    for (const level of [0, 1]) {
      expect(A32LpaePTE.isPresent(block, level)).toBe(true);
      expect(A32LpaePTE.isHuge(block, level)).toBe(true);
      expect(A32LpaePTE.flags(block, level)).toBe(READ | WRITE | EXECUTE);
      expect(A32LpaePTE.isHuge(block | PAGE, level)).toBe(false); // a Table descriptor
    }
    expect(A32LpaePTE.isPresent(block, 2)).toBe(false);
    expect(A32LpaePTE.flags(block, 2)).toBe(0);
    expect(A32LpaePTE.isHuge(block, 2)).toBe(false);
    expect(A32LpaePTE.isPresent(block & ~1n, 0)).toBe(false);
    // a root at lookup level 2: codec level 1 is level 3
    const l2 = a32LpaeCodec({ firstLevel: 2 });
    expect(l2.isPresent(block, 1)).toBe(false);
    expect(l2.isPresent(block | PAGE, 1)).toBe(true);
    expect(l2.isHuge(block, 0)).toBe(true);
    // XN alone forbids execution; PXN only matters for a kernel mapping; AP[1] is USER
    expect(A32LpaePTE.flags(0x1000n | PAGE | ATTR(1n) | AF | XN, 2)).toBe(READ | WRITE);
    expect(A32LpaePTE.flags(0x1000n | PAGE | ATTR(1n) | AF | PXN, 2)).toBe(READ | WRITE);
    expect(A32LpaePTE.flags(0x1000n | PAGE | ATTR(1n) | AF | PXN | AP1, 2)).toBe(READ | WRITE | EXECUTE | USER);
    expect(A32LpaePTE.paddr(0xff_ffff_f000n | PAGE | XN, 2)).toBe(0xff_ffff_f000n);
  });

  it('decodes what it encodes: a non-empty set as itself with READ, DEVICE before UNCACHED', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 63 }), fc.boolean(), (flags, huge) => {
        const level = huge ? 1 : 2;
        const want = (flags | READ) & (flags & DEVICE ? ~UNCACHED : 63);
        expect(A32LpaePTE.flags(A32LpaePTE.newPage(0x20_0000n, flags, huge, level), level)).toBe(want);
        expect(A32LpaePTE.flags(A32LpaePTE.setFlags(A32LpaePTE.newPage(0x20_0000n, READ, huge, level), flags, huge, level), level)).toBe(want);
      }),
    );
    // the empty set writes no VALID bit
    expect(A32LpaePTE.isPresent(A32LpaePTE.newPage(0x1000n, 0, false, 2), 2)).toBe(false);
  });
});

describe('memory types through MAIR0 / MAIR1 (B4.1.104)', () => {
  // Linux's LPAE pair: Attr0 0x00 Strongly-ordered, Attr1 0x44 Normal Non-cacheable, Attr2 0xaa Write-Through,
  // Attr3 0xee Write-Back, Attr4 0x04 Device, Attr7 0xff Write-Back Read/Write-Allocate
  const linux = a32LpaeCodec({ firstLevel: 2, mair0: 0xeeaa_4400, mair1: 0xff00_0004 });

  it('reads Attr<n> from the pair and says what each byte is', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((n) => mairAttr(0xeeaa_4400, 0xff00_0004, n))).toEqual([0x00, 0x44, 0xaa, 0xee, 0x04, 0x00, 0x00, 0xff]);
    expect([0x00, 0x04, 0x44, 0xaa, 0xee, 0xff, 0x4f].map(mairFlags)).toEqual([DEVICE, DEVICE, UNCACHED, 0, 0, 0, 0]);
  });

  it('writes the AttrIndx of a byte of the pair for each memory type and reads any AttrIndx through it', () => {
    expect(linux.attrIndex).toEqual({ device: 4, uncached: 1, normal: 7 });
    expect((linux.newPage(0x1000n, READ | DEVICE, false, 1) & L.ATTR_INDX) >> 2n).toBe(4n);
    expect((linux.newPage(0x1000n, READ | UNCACHED, false, 1) & L.ATTR_INDX) >> 2n).toBe(1n);
    expect((linux.newPage(0x1000n, READ, false, 1) & L.ATTR_INDX) >> 2n).toBe(7n);
    const entry = (n: bigint) => 0x1000n | PAGE | ATTR(n) | AF | XN | PXN;
    expect([0n, 1n, 2n, 3n, 4n, 7n].map((n) => linux.flags(entry(n), 1) & (DEVICE | UNCACHED))).toEqual([DEVICE, UNCACHED, 0, 0, DEVICE, 0]);
    // the same AttrIndx means something else with the default pair
    expect(A32LpaePTE.flags(entry(0n), 2) & DEVICE).toBe(DEVICE);
    expect(A32LpaePTE.flags(entry(2n), 2) & UNCACHED).toBe(UNCACHED);
    expect(a32LpaeCodec({ firstLevel: 2, mair0: 0xeeaa_4400, mair1: 0xff00_0004 })).toBe(linux);
  });

  it('refuses a pair without a byte for each type, a first level other than 1 or 2, and a MAIR that is not a u32', () => {
    expect(() => a32LpaeCodec({ mair0: 0xffff_ffff, mair1: 0xffff_ffff })).toThrow(/no Device/);
    expect(() => a32LpaeCodec({ mair0: 0x0000_ff04, mair1: 0 })).toThrow(/Non-cacheable/);
    expect(() => a32LpaeCodec({ mair0: 0x0000_4404, mair1: 0 })).toThrow(/Write-Back/);
    expect(() => a32LpaeCodec({ firstLevel: 3 as never })).toThrow(RangeError);
    expect(() => a32LpaeCodec({ mair0: 2 ** 32 })).toThrow(RangeError);
    expect(() => a32LpaeCodec({ mair1: -1 })).toThrow(RangeError);
  });
});
