// Pair arithmetic on 64-bit values held as (lo, hi) u32 numbers. Hot-path helpers: no BigInt,
// no allocation; results that are pairs go to OUT.

/** Scratch output of the pair helpers: OUT[0] = lo, OUT[1] = hi (a Float64Array, so that the end of
 *  the address space, 2^64, is representable as (0, 2^32)). */
export const OUT: Float64Array = new Float64Array(2);

export const TWO32 = 4294967296;

/** LOW_MASK_LO[s] / LOW_MASK_HI[s]: the halves of 2^s - 1 (s in 0..64), as int32 bit patterns. */
export const LOW_MASK_LO: Int32Array = new Int32Array(65);
export const LOW_MASK_HI: Int32Array = new Int32Array(65);
/** POW2[s] = 2^s (s in 0..64), so that hot paths never call Math.pow. */
export const POW2: Float64Array = new Float64Array(65);
for (let s = 0; s <= 64; s++) {
  LOW_MASK_LO[s] = s >= 32 ? -1 : (1 << s) - 1;
  LOW_MASK_HI[s] = s <= 32 ? 0 : s >= 64 ? -1 : (1 << (s - 32)) - 1;
  POW2[s] = 2 ** s;
}

/** Whether (lo, hi) is a multiple of 2^shift (shift in 0..64). */
export function isAligned(lo: number, hi: number, shift: number): boolean {
  if (shift <= 31) return (lo & ((1 << shift) - 1)) === 0;
  if (lo !== 0) return false;
  if (shift >= 64) return hi === 0;
  return shift === 32 || (hi & ((1 << (shift - 32)) - 1)) === 0;
}

// The helpers below write 2^32 as a literal: V8 reads a module constant from the module's context, with a type
// check, at every use, and these run once per page on the range paths.

/** (lo, hi) + 2^shift into OUT (shift in 0..63); a sum of 2^64 comes out as (0, 2^32). */
export function addPow2(lo: number, hi: number, shift: number): void {
  if (shift < 32) {
    const s = lo + POW2[shift]!;
    if (s >= 4294967296) {
      OUT[0] = s - 4294967296;
      OUT[1] = hi + 1;
    } else {
      OUT[0] = s;
      OUT[1] = hi;
    }
  } else {
    OUT[0] = lo;
    OUT[1] = hi + POW2[shift - 32]!;
  }
}

/** (lo, hi) + n into OUT, for an integer n >= 0 with lo + n below 2^53 (a sum of 2^64 comes out as (0, 2^32)). */
export function addNum(lo: number, hi: number, n: number): void {
  const s = lo + n;
  const carry = Math.floor(s / 4294967296);
  OUT[0] = s - carry * 4294967296;
  OUT[1] = hi + carry;
}

/** (aLo, aHi) - (bLo, bHi) as a double: exact below 2^53 and always of the right sign and order. */
export function diff(aLo: number, aHi: number, bLo: number, bHi: number): number {
  return (aHi - bHi) * 4294967296 + (aLo - bLo);
}

/**
 * x modulo 2^32, as a number in [0, 2^32), for an integer-valued x of magnitude below 2^64 (negative ones included;
 * exact: carry32 is, and the difference is an integer below 2^32). `x % 2^32` on a double is a call into the
 * runtime's floating-point remainder; this is a floor and two multiplies.
 */
export function mod32(x: number): number {
  return x - carry32(x) * 4294967296;
}

/**
 * floor(x / 2^32) for an integer-valued x: the high word of a sum of words, -1 for a borrow. Exact for any such x
 * below 2^64 in magnitude (a multiply by a power of two does not round). A multiply by 2^-32, not a division, which
 * takes several times as long (the divisions were 6% of the samples of an unmapRegion of a few huge pages).
 */
export function carry32(x: number): number {
  return Math.floor(x * 2.3283064365386963e-10);
}
