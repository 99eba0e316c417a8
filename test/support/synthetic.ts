// A page-table entry format that no architecture has, defined here to prove that the engine takes any geometry as
// data: the granule (pageShift) sets where the address field starts, and nothing else in core needs to know it.
// 64-bit entries: bit 0 valid, 1 writable, 2 user, 3 device, 4 uncached, 7 block (above the last level),
// [pageShift, 48) the address, 63 execute-never.
import type { GenericPTE, MappingFlags, PTEWords } from '@page-table-multiarch/core';

const V = 1;
const W = 2;
const U = 4;
const DEV = 8;
const UC = 16;
const B = 0x80;
const XN_HI = 0x8000_0000;

/** The synthetic codec for a granule of 2^pageShift bytes (its addresses are multiples of it). */
export function syntheticCodec(pageShift: number): GenericPTE {
  const addrLo = (0xffff_ffff << pageShift) >>> 0; // bits [pageShift, 32)
  const addrHi = 0xffff; // bits [32, 48)
  const attrLo = (flags: number, huge: boolean): number => {
    let v = huge ? B : 0;
    if (flags === 0) return v;
    v |= V;
    if (flags & 2) v |= W;
    if (flags & 8) v |= U;
    if (flags & 16) v |= DEV;
    if (flags & 32) v |= UC;
    return v;
  };
  const attrHi = (flags: number): number => (flags !== 0 && (flags & 4) === 0 ? XN_HI : 0);
  const decode = (lo: number, hi: number): MappingFlags => {
    if ((lo & V) === 0) return 0;
    let f = 1;
    if (lo & W) f |= 2;
    if ((hi & XN_HI) === 0) f |= 4;
    if (lo & U) f |= 8;
    if (lo & DEV) f |= 16;
    if (lo & UC) f |= 32;
    return f;
  };
  const words: PTEWords = {
    isPresent: (lo) => (lo & V) !== 0,
    isHuge: (lo) => (lo & B) !== 0,
    paddrLo: (lo) => (lo & addrLo) >>> 0,
    paddrHi: (_lo, hi) => hi & addrHi,
    flags: (lo, hi) => decode(lo, hi),
    newPageLo: (paLo, _paHi, flags, huge) => ((paLo & addrLo) | attrLo(flags, huge)) >>> 0,
    newPageHi: (_paLo, paHi, flags) => ((paHi & addrHi) | attrHi(flags)) >>> 0,
    newTableLo: (paLo) => ((paLo & addrLo) | V | W | U) >>> 0,
    newTableHi: (_paLo, paHi) => paHi & addrHi,
    setFlagsLo: (lo, _hi, flags, huge) => ((lo & addrLo) | attrLo(flags, huge)) >>> 0,
    setFlagsHi: (_lo, hi, flags) => ((hi & addrHi) | attrHi(flags)) >>> 0,
    setPaddrLo: (lo, _hi, paLo) => ((lo & ~addrLo) | (paLo & addrLo)) >>> 0,
    setPaddrHi: (_lo, hi, _paLo, paHi) => ((hi & ~addrHi) | (paHi & addrHi)) >>> 0,
    leafShift: () => -1,
    layout: { present: V, block: B, addrLo, addrHi, addrShift: 0 },
  };
  const big = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  const lo32 = (v: bigint) => Number(v & 0xffff_ffffn);
  const hi32 = (v: bigint) => Number((v >> 32n) & 0xffff_ffffn);
  return {
    newPage: (pa, flags, huge) => big(words.newPageLo(lo32(pa), hi32(pa), flags, huge, 0), words.newPageHi(lo32(pa), hi32(pa), flags, huge, 0)),
    newTable: (pa) => big(words.newTableLo(lo32(pa), hi32(pa), 0), words.newTableHi(lo32(pa), hi32(pa), 0)),
    paddr: (bits) => big(words.paddrLo(lo32(bits), hi32(bits), 0), words.paddrHi(lo32(bits), hi32(bits), 0)),
    flags: (bits) => decode(lo32(bits), hi32(bits)),
    setPaddr: (bits, pa) => big(words.setPaddrLo(lo32(bits), hi32(bits), lo32(pa), hi32(pa), 0), words.setPaddrHi(lo32(bits), hi32(bits), lo32(pa), hi32(pa), 0)),
    setFlags: (bits, flags, huge) => big(words.setFlagsLo(lo32(bits), hi32(bits), flags, huge, 0), words.setFlagsHi(lo32(bits), hi32(bits), flags, huge, 0)),
    isUnused: (bits) => bits === 0n,
    isPresent: (bits) => (bits & 1n) !== 0n,
    isHuge: (bits) => (bits & 0x80n) !== 0n,
    words,
  };
}

/**
 * The 4 KiB synthetic codec with a run hint in bit 62, in its bigint form only (no `words`: the tables derive the
 * word form, run hint included): a member of a run keeps its own page's address, as AArch64's Contiguous bit.
 */
export function syntheticRunCodec(): GenericPTE {
  const { words: _words, ...plain } = syntheticCodec(12);
  const hint = 1n << 62n;
  return { ...plain, runHint: hint, markRun: (bits) => bits | hint };
}
