// 52-bit output addresses of VMSAv8-64 descriptors, where the address no longer fits in place and its top bits move
// into the low word.
// Source: Arm ARM DDI 0487 (K.a), D8.3 "Translation table descriptor formats":
// - D8.3.1.1 / D8.3.1.2 with the 64KB granule and FEAT_LPA (TCR_ELx.IPS / PS = 0b110, 52 bits): a Table descriptor's
//   NLTA[51:48] and a Block or Page descriptor's OA[51:48] are in bits 15:12; NLTA / OA[47:16] stay in place.
// - The same with the 4KB or 16KB granule and FEAT_LPA2 (TCR_ELx.DS = 1): NLTA / OA[51:50] are in bits 9:8, and
//   NLTA / OA[49:n] in place (bits 49:48 are address bits, RES0 without LPA2); bits 9:8 were SH[1:0], so the
//   Shareability of every access then comes from TCR_ELx.SHn (D8.6.2).
import type { PTEWords } from '@page-table-multiarch/core';
import { bits, maskHi, maskLo } from './_fields';

/** The fields that carry the top bits of a 52-bit output address, as bigint masks of a 64-bit descriptor. */
export const A64OutputAddress: {
  /**
   * Bits 15:12: NLTA[51:48] / OA[51:48] with the 64KB granule and FEAT_LPA (52-bit output size, TCR_ELx.IPS =
   * 0b110) (D8.3.1.1, D8.3.1.2).
   */
  readonly LPA_HIGH: bigint;
  /** Bits 9:8: NLTA[51:50] / OA[51:50] with the 4KB or 16KB granule and FEAT_LPA2, TCR_ELx.DS = 1 (D8.3.1.1, D8.3.1.2). */
  readonly LPA2_HIGH: bigint;
  /** Bits 49:48: NLTA[49:48] / OA[49:48] in place with TCR_ELx.DS = 1 (RES0 otherwise) (D8.3.1.1, D8.3.1.2). */
  readonly LPA2_IN_PLACE_TOP: bigint;
} = /* @__PURE__ */ Object.freeze({
  LPA_HIGH: /* @__PURE__ */ bits(15, 12),
  LPA2_HIGH: /* @__PURE__ */ bits(9, 8),
  LPA2_IN_PLACE_TOP: /* @__PURE__ */ bits(49, 48),
});

/** How a codec holds its output address: 48 bits in place, or one of the two 52-bit forms. */
export type A64OutputForm = 'pa48' | 'lpa' | 'lpa2';

/**
 * The address methods of a 52-bit form, replacing those of `base` (whose attribute methods they keep). `attrLo` and
 * `attrHi` are the codec's attribute words per flag set (see aarch64.ts), with NON_BLOCK in the low word. Its
 * `layout` is the base's with the address in two parts: the bits in place, and the low-word field of its top bits.
 */
export function oa52Words(base: PTEWords, form: 'lpa' | 'lpa2', granuleShift: number, attrLo: Uint32Array, attrHi: Uint32Array, nonBlock: number, tableBits: number): PTEWords {
  // the address bits in place: OA[47:16] (LPA, 64KB only) or OA[49:granule] (LPA2)
  const place = bits(form === 'lpa' ? 47 : 49, granuleShift);
  const PLACE_LO = maskLo(place);
  const PLACE_HI = maskHi(place);
  // the low-word field holding OA[51:48] (LPA) or OA[51:50] (LPA2), and where those bits sit in the address's high
  // word (address bit 48 is bit 16 of the high word, bit 50 its bit 18)
  const FIELD = maskLo(form === 'lpa' ? A64OutputAddress.LPA_HIGH : A64OutputAddress.LPA2_HIGH);
  const TOP = form === 'lpa' ? 0xf_0000 : 0xc_0000;
  // field bit 12 -> address high-word bit 16 (LPA); field bit 8 -> bit 18 (LPA2)
  const SHIFT = form === 'lpa' ? 4 : 10;
  const ADDR_LO = PLACE_LO | FIELD;
  const addrLo = (paLo: number, paHi: number): number => (paLo & PLACE_LO) | ((paHi & TOP) >>> SHIFT);
  const leafLo = (flags: number, huge: boolean): number => (huge ? attrLo[flags & 63]! & ~nonBlock : attrLo[flags & 63]!);
  const { layout: inPlace, ...rest } = base;
  // the walks read presence and type as the 48-bit form does (D8.3.1: bits[1:0]), the address from both places:
  // OA[51:48] = bits 15:12 (LPA), OA[51:50] = bits 9:8 (LPA2), each at bit SHIFT of the address's high word
  const layout = inPlace === undefined ? {} : { layout: Object.freeze({ ...inPlace, addrLo: PLACE_LO >>> 0, addrHi: PLACE_HI >>> 0, addrLo2: FIELD >>> 0, addrShift2: SHIFT }) };
  return Object.freeze({
    ...rest,
    ...layout,
    paddrLo: (lo: number, _hi: number, _level: number): number => (lo & PLACE_LO) >>> 0,
    paddrHi: (lo: number, hi: number, _level: number): number => ((hi & PLACE_HI) | ((lo & FIELD) << SHIFT)) >>> 0,
    newPageLo: (paLo: number, paHi: number, flags: number, huge: boolean, _level: number): number => (addrLo(paLo, paHi) | leafLo(flags, huge)) >>> 0,
    newPageHi: (_paLo: number, paHi: number, flags: number, _huge: boolean, _level: number): number => ((paHi & PLACE_HI) | attrHi[flags & 63]!) >>> 0,
    newTableLo: (paLo: number, paHi: number, _level: number): number => (addrLo(paLo, paHi) | tableBits) >>> 0,
    newTableHi: (_paLo: number, paHi: number, _level: number): number => (paHi & PLACE_HI) >>> 0,
    setFlagsLo: (lo: number, _hi: number, flags: number, huge: boolean, _level: number): number => ((lo & ADDR_LO) | leafLo(flags, huge)) >>> 0,
    setFlagsHi: (_lo: number, hi: number, flags: number, _huge: boolean, _level: number): number => ((hi & PLACE_HI) | attrHi[flags & 63]!) >>> 0,
    setPaddrLo: (lo: number, _hi: number, paLo: number, paHi: number, _level: number): number => ((lo & ~ADDR_LO) | addrLo(paLo, paHi)) >>> 0,
    setPaddrHi: (_lo: number, hi: number, _paLo: number, paHi: number, _level: number): number => ((hi & ~PLACE_HI) | (paHi & PLACE_HI)) >>> 0,
  });
}
