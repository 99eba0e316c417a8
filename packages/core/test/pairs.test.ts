// The word arithmetic under every address computation: the high word of a sum (carry32), a value modulo 2^32
// (mod32) and a number address split into its two words (splitAddr), each against BigInt arithmetic.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PAIR, splitAddr } from '../src/_addr';
import { carry32, mod32 } from '../src/_pairs';

const TWO32 = 2n ** 32n;
/** floor(x / 2^32) and x mod 2^32 (non-negative) in BigInt: BigInt division truncates, so negatives are mended. */
function oracle(x: number): [number, number] {
  const b = BigInt(x);
  let q = b / TWO32;
  if (b < 0n && q * TWO32 !== b) q -= 1n;
  return [Number(q), Number(b - q * TWO32)];
}

const EDGES = [0, 1, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 33 - 2, 2 ** 33, -(2 ** 32), -(2 ** 32) - 1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 52 + 2 ** 32 - 1];

describe('word arithmetic', () => {
  it('carry32 and mod32 agree with BigInt at the edges of a word and of 2^53', () => {
    for (const x of EDGES) {
      const [hi, lo] = oracle(x);
      expect(carry32(x), `carry32(${x})`).toBe(hi);
      expect(mod32(x), `mod32(${x})`).toBe(lo);
    }
  });

  it('carry32 and mod32 agree with BigInt for any integer of magnitude below 2^53 (seeded)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 53 - 1), max: 2 ** 53 - 1 }), (x) => {
        const [hi, lo] = oracle(x);
        return carry32(x) === hi && mod32(x) === lo;
      }),
      { seed: 20261207, numRuns: 2000 },
    );
  });

  it('carry32 and mod32 stay exact for integer-valued doubles up to 2^64 in magnitude (range counts, seeded)', () => {
    for (const x of [2 ** 53, 2 ** 54 + 4096, 2 ** 63, 2 ** 64 - 2048, -(2 ** 60) - 2 ** 32, -(2 ** 63)]) {
      const [hi, lo] = oracle(x);
      expect([carry32(x), mod32(x)], `${x}`).toEqual([hi, lo]);
    }
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 64n) + 1n, max: 2n ** 64n - 1n }), (b) => {
        // the nearest double of a 64-bit integer is itself an integer
        const x = Number(b);
        if (Math.abs(x) >= 2 ** 64) return true;
        const [hi, lo] = oracle(x);
        return carry32(x) === hi && mod32(x) === lo;
      }),
      { seed: 20261209, numRuns: 2000 },
    );
  });

  it('splitAddr of a number gives its two words', () => {
    for (const x of EDGES.filter((v) => v >= 0)) {
      splitAddr(x, 'test', 'x');
      expect([PAIR[0], PAIR[1]], `${x}`).toEqual([Number(BigInt(x) & 0xffff_ffffn), Number(BigInt(x) >> 32n)]);
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 53 - 1 }), (x) => {
        splitAddr(x, 'test', 'x');
        return PAIR[0] === Number(BigInt(x) & 0xffff_ffffn) && PAIR[1] === Number(BigInt(x) >> 32n);
      }),
      { seed: 20261208, numRuns: 2000 },
    );
  });
});
