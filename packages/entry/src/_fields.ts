// Bit fields of page-table entries. A codec states each field once, as the bigint mask in its exported flag object
// (whose type carries the manual section on each member) or, for an address field, as a bigint beside it. The u32
// masks its word-level form tests and combines are computed from those masks as the module loads. They cost what the
// literal masks before them cost: either way the built bundles hold them as top-level `var`s (esbuild turns top-level
// `const` into `var`), which V8 reads at each use.
//
// Shift amounts in the word methods stay literals, written beside the field they come from: with the shifts read from
// such variables instead, the Sv39 sequential map (bench W1a) ran 1.5x slower. The word methods are checked against
// the fields through the tests that compare them with the bigint methods and encoders, which use the fields.

/** The mask of bit `n` of an entry (bit 0 is bit 0 of the low word). */
export function bit(n: number): bigint {
  return 1n << BigInt(n);
}

/** The mask of bits `msb` down to `lsb` of an entry, both included, as the manuals write a range (51:12). */
export function bits(msb: number, lsb: number): bigint {
  return (2n << BigInt(msb)) - (1n << BigInt(lsb));
}

// The word masks are int32, not u32: `x & m`, `x | m` and `x & ~m` give the same bits either way, and a u32 mask at or
// above 2^31 (0xffff_f000, bit 63 as 0x8000_0000) is a heap number in V8, loaded and unboxed at each use, while its
// int32 value is a small integer on a 64-bit host.

/** The part of `mask` in the low u32 word of an entry (bits 31:0), as an int32. */
export function maskLo(mask: bigint): number {
  return Number(BigInt.asIntN(32, mask));
}

/** The part of `mask` in the high u32 word of an entry (bits 63:32), as an int32. */
export function maskHi(mask: bigint): number {
  return Number(BigInt.asIntN(32, mask >> 32n));
}

/** Where a field starts: the position of the lowest bit of its mask (0 for an empty mask). */
export function shiftOf(mask: bigint): number {
  return (mask & -mask).toString(2).length - 1;
}

/** `value` placed in the field `mask` (bits of `value` beyond the field's width are dropped). */
export function put(mask: bigint, value: number): bigint {
  return (BigInt(value) << BigInt(shiftOf(mask))) & mask;
}

/** Bits 31:0 of an entry or address as a u32 (two's complement for a negative bigint, as `&` reads it). */
export function lo32(v: bigint): number {
  return Number(v & 0xffff_ffffn);
}

/** Bits 63:32 of an entry or address as a u32. */
export function hi32(v: bigint): number {
  return Number((v >> 32n) & 0xffff_ffffn);
}

/** The entry whose u32 words are (lo, hi). */
export function join(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}
