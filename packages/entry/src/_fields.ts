// Bit fields of page-table entries. A codec states each field once, as the bigint mask in its exported flag object
// (whose type carries the manual section on each member) or, for an address field, as a bigint beside it. The u32
// masks and shifts of its word-level form are computed from those masks when the module loads, into module
// constants. To V8 they are what a constant written as a literal is (a slot of the module's context that never
// changes), and it folds them into a word method where it inlines one.

/** The mask of bit `n` of an entry (bit 0 is bit 0 of the low word). */
export function bit(n: number): bigint {
  return 1n << BigInt(n);
}

/** The mask of bits `msb` down to `lsb` of an entry, both included, as the manuals write a range (51:12). */
export function bits(msb: number, lsb: number): bigint {
  return (2n << BigInt(msb)) - (1n << BigInt(lsb));
}

// The word masks are int32, not u32: `x & m`, `x | m` and `x & ~m` give the same bits either way, and a mask at or
// above 2^31 (0xffff_f000, bit 63 as 0x8000_0000) written as a u32 is a heap number in V8, unboxed at each use
// where a word method is not inlined, while its int32 value is a small integer on a 64-bit host.

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
