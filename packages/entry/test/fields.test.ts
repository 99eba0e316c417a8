// The field helpers the codecs state their bits with, and the fields each codec states: every entry format's fields
// fit its width and share no bit, and the positions the word forms read once for several formats are one position.
import { DescriptorAttr as A64, A64OutputAddress as OA52 } from '@page-table-multiarch/entry/aarch64';
import { DescriptorAttr as A32, LPAE_ADDR, LPAE_SBZP, LpaeDescriptorAttr as LPAE } from '@page-table-multiarch/entry/arm';
import { PTEFlags as LA } from '@page-table-multiarch/entry/loongarch64';
import { PTEFlags as RV } from '@page-table-multiarch/entry/riscv';
import { PTF, X86EptFlags, X86PDE4M } from '@page-table-multiarch/entry/x86_64';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bit, bits, hi32, join, lo32, maskHi, maskLo, put, shiftOf } from '../src/_fields';

const U64 = (1n << 64n) - 1n;
const u64 = fc.bigInt({ min: 0n, max: U64 });
/** A field of a 64-bit entry: [msb, lsb]. */
const range = fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 63 })).map(([a, b]) => [Math.max(a, b), Math.min(a, b)] as const);

/** Throws unless every field is non-empty, inside `width` bits, and shares no bit with another. */
function disjoint(width: number, ...fields: bigint[]): void {
  let used = 0n;
  for (const f of fields) {
    if (f <= 0n || f >> BigInt(width) !== 0n) throw new Error(`0x${f.toString(16)} is empty or outside ${width} bits`);
    if ((used & f) !== 0n) throw new Error(`0x${f.toString(16)} shares bits 0x${(used & f).toString(16)} with another field`);
    used |= f;
  }
}

describe('field helpers', () => {
  it('bit and bits give the masks the manuals write as a bit number or a range msb:lsb', () => {
    expect(bit(0)).toBe(1n);
    expect(bit(63)).toBe(0x8000_0000_0000_0000n);
    expect(bits(51, 12)).toBe(0x000f_ffff_ffff_f000n);
    expect(bits(53, 10)).toBe(0x003f_ffff_ffff_fc00n);
    expect(bits(63, 0)).toBe(U64);
    expect(bits(7, 7)).toBe(bit(7));
    fc.assert(
      fc.property(range, ([msb, lsb]) => {
        const m = bits(msb, lsb);
        expect(m.toString(2).replace(/0/g, '').length).toBe(msb - lsb + 1);
        expect(shiftOf(m)).toBe(lsb);
        expect(m >> BigInt(msb + 1)).toBe(0n);
      }),
    );
  });

  it('maskLo and maskHi are the two u32 words of a mask, as int32 values', () => {
    expect(maskLo(bits(51, 12))).toBe(-4096); // 0xffff_f000
    expect(maskHi(bits(51, 12))).toBe(0x000f_ffff);
    expect(maskHi(bit(63))).toBe(-0x8000_0000);
    expect(maskLo(bit(63))).toBe(0);
    fc.assert(
      fc.property(u64, (m) => {
        const lo = maskLo(m);
        const hi = maskHi(m);
        expect(lo | 0).toBe(lo);
        expect(hi | 0).toBe(hi);
        expect(join(lo, hi)).toBe(m);
        // the same bits as the u32 words under & and |
        expect((0xffff_ffff & lo) >>> 0).toBe(lo32(m));
        expect((0xffff_ffff & hi) >>> 0).toBe(hi32(m));
      }),
    );
  });

  it('put places a value in a field and reads back, dropping what does not fit', () => {
    expect(put(bits(14, 12), 0b101)).toBe(0b101n << 12n);
    expect(put(bits(14, 12), 0b1101)).toBe(0b101n << 12n);
    fc.assert(
      fc.property(range, fc.nat(), ([msb, lsb], v) => {
        const f = bits(msb, lsb);
        const width = BigInt(msb - lsb + 1);
        const placed = put(f, v);
        expect(placed & ~f).toBe(0n);
        expect(placed >> BigInt(lsb)).toBe(BigInt(v) & ((1n << width) - 1n));
      }),
    );
  });

  it('lo32, hi32 and join split and join any 64-bit value, and read a negative one as two\'s complement', () => {
    fc.assert(
      fc.property(u64, (v) => {
        expect(join(lo32(v), hi32(v))).toBe(v);
      }),
    );
    expect(lo32(-1n)).toBe(0xffff_ffff);
    expect(hi32(-1n)).toBe(0xffff_ffff);
    expect(join(lo32(-4096n), hi32(-4096n))).toBe(U64 - 4095n);
  });
});

describe('the fields each codec states', () => {
  it('the overlap check refuses a field stated twice, over another or outside the entry (negative control)', () => {
    expect(() => disjoint(64, bit(1), bit(1))).toThrow(/shares/);
    expect(() => disjoint(64, bits(8, 5), bit(6))).toThrow(/shares/);
    expect(() => disjoint(32, bit(32))).toThrow(/outside/);
    expect(() => disjoint(64, 0n)).toThrow(/empty/);
    expect(() => disjoint(64, bit(0), bits(63, 1))).not.toThrow();
  });

  it('x86_64: every PTF bit and the address bits 51:12 (SDM Vol. 3A Tables 4-15 to 4-20)', () => {
    disjoint(64, ...Object.values(PTF), bits(51, 12));
  });

  it('x86 32-bit paging: a 4 MiB PDE (SDM Vol. 3A Table 4-4): bits 8:0 as PTF, PAT, PSE-36 address, reserved bit 21, address', () => {
    disjoint(32, bits(8, 0), ...Object.values(X86PDE4M));
  });

  it('x86 EPT: every X86EptFlags field and the address bits 51:12 (SDM Vol. 3C Tables 29-1 to 29-6)', () => {
    disjoint(64, ...Object.values(X86EptFlags), bits(51, 12));
  });

  it('AArch64: a Block or Page descriptor and a Table descriptor (D8.3.1.1, D8.3.1.2); APTable is its two bits', () => {
    const A = A64;
    const addr = bits(47, 12);
    disjoint(64, A.VALID, A.NON_BLOCK, A.ATTR_INDX, A.NS, A.AP_EL0, A.AP_RO, A.INNER, A.SHAREABLE, A.AF, A.NG, addr, A.CONTIGUOUS, A.PXN, A.UXN);
    disjoint(64, A.VALID, A.NON_BLOCK, addr, A.PXN_TABLE, A.XN_TABLE, A.AP_TABLE, A.NS_TABLE);
    expect(A.AP_TABLE).toBe(A.AP_NO_EL0_TABLE | A.AP_NO_WRITE_TABLE);
  });

  it('AArch64 with 52-bit output addresses: FEAT_LPA (64KB, OA[51:48] at 15:12) and FEAT_LPA2 (DS = 1, OA[51:50] at 9:8 instead of SH)', () => {
    const A = A64;
    const upper = [A.CONTIGUOUS, A.PXN, A.UXN];
    const low = [A.VALID, A.NON_BLOCK, A.ATTR_INDX, A.NS, A.AP_EL0, A.AP_RO, A.AF, A.NG];
    // 64KB with FEAT_LPA: SH stays, OA[47:16] in place
    disjoint(64, ...low, A.INNER, A.SHAREABLE, OA52.LPA_HIGH, bits(47, 16), ...upper);
    disjoint(64, A.VALID, A.NON_BLOCK, OA52.LPA_HIGH, bits(47, 16), A.PXN_TABLE, A.XN_TABLE, A.AP_TABLE, A.NS_TABLE);
    // DS = 1: OA[49:12] in place (bits 49:48 join the field), bits 9:8 are the address's top, no SH
    expect(OA52.LPA2_HIGH).toBe(A.INNER | A.SHAREABLE);
    expect(OA52.LPA2_IN_PLACE_TOP | bits(47, 12)).toBe(bits(49, 12));
    disjoint(64, ...low, OA52.LPA2_HIGH, bits(49, 12), ...upper);
    disjoint(64, A.VALID, A.NON_BLOCK, OA52.LPA2_HIGH, bits(49, 12), A.PXN_TABLE, A.XN_TABLE, A.AP_TABLE, A.NS_TABLE);
  });

  it('ARMv7: the Page table, Section, Supersection, Small page and Large page formats (B3.5.1)', () => {
    const D = A32;
    disjoint(32, D.TYPE_MASK, D.TABLE_PXN, D.TABLE_NS, D.TABLE_DOMAIN, D.TABLE_IMP, D.TABLE_BASE);
    const section = [D.SECTION_PXN, D.TYPE_SECTION, D.SECTION_B, D.SECTION_C, D.SECTION_XN, D.SECTION_IMP, D.SECTION_AP, D.SECTION_TEX, D.SECTION_AP2, D.SECTION_S, D.SECTION_NG, D.SUPERSECTION, D.SECTION_NS];
    disjoint(32, ...section, D.SECTION_DOMAIN, D.SECTION_BASE);
    disjoint(32, ...section, D.SUPERSECTION_EXT_BASE_39_36, D.SUPERSECTION_EXT_BASE_35_32, D.SUPERSECTION_BASE);
    disjoint(32, D.SMALL_XN, D.TYPE_SMALL_PAGE, D.SMALL_B, D.SMALL_C, D.SMALL_AP, D.SMALL_TEX, D.SMALL_AP2, D.SMALL_S, D.SMALL_NG, D.SMALL_BASE);
    disjoint(32, D.TYPE_LARGE_PAGE, D.LARGE_B, D.LARGE_C, D.LARGE_AP, D.LARGE_AP2, D.LARGE_S, D.LARGE_NG, D.LARGE_TEX, D.LARGE_XN, D.LARGE_BASE);
    // the word form reads these once for every leaf format
    for (const [b, c] of [[D.SMALL_B, D.SMALL_C], [D.LARGE_B, D.LARGE_C]]) {
      expect(b).toBe(D.SECTION_B);
      expect(c).toBe(D.SECTION_C);
    }
    expect(D.LARGE_AP).toBe(D.SMALL_AP);
    expect(D.LARGE_AP2).toBe(D.SMALL_AP2);
    expect(D.LARGE_NG).toBe(D.SMALL_NG);
    expect(D.TYPE_MASK).toBe(D.TYPE_PAGE_TABLE | D.TYPE_SECTION);
  });

  it('ARMv7 long descriptors: a Block or Page descriptor and a Table descriptor (B3.6.1)', () => {
    const L = LPAE;
    disjoint(64, L.VALID, L.NON_BLOCK, L.ATTR_INDX, L.NS, L.AP_PL0, L.AP_RO, L.SH, L.AF, L.NG, LPAE_ADDR, LPAE_SBZP, L.CONTIGUOUS, L.PXN, L.XN, L.SOFTWARE);
    disjoint(64, L.VALID, L.NON_BLOCK, LPAE_ADDR, LPAE_SBZP, L.PXN_TABLE, L.XN_TABLE, L.AP_NO_PL0_TABLE, L.AP_NO_WRITE_TABLE, L.NS_TABLE);
    // the lower attributes sit where AArch64 has them (the inspector and the codec read them alike)
    expect([L.ATTR_INDX, L.AP_PL0, L.AP_RO, L.AF, L.NG, L.PXN, L.XN]).toEqual([A64.ATTR_INDX, A64.AP_EL0, A64.AP_RO, A64.AF, A64.NG, A64.PXN, A64.UXN]);
  });

  it('RISC-V: the standard entry and the T-Head entry; the crate masks are made of the T-Head bits ([Sv39 AMP], [C9xx])', () => {
    const F = RV;
    const ppn = bits(53, 10);
    const low = [F.V, F.R, F.W, F.X, F.U, F.G, F.A, F.D, F.RSW, ppn];
    disjoint(64, ...low, F.PBMT, F.N);
    disjoint(64, ...low, F.SH, F.B, F.C, F.SO);
    expect(F.XUANTIE_C9XX_DEVICE).toBe(F.SO | F.B);
    expect(F.XUANTIE_C9XX_NORMAL).toBe(F.C | F.B | F.SH);
  });

  it('LoongArch64: a last-level entry and a huge-page directory entry, whose bit 12 is G (5.4.5, 7.5.3)', () => {
    const F = LA;
    const flags = [F.V, F.D, F.PLVL, F.PLVH, F.MATL, F.MATH, F.GH, F.P, F.W, F.NR, F.NX, F.RPLV];
    disjoint(64, ...flags, bits(47, 12));
    disjoint(64, ...flags, F.G, bits(47, 13));
  });
});
