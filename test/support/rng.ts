/** A small seeded generator (splitmix64 on two u32 halves, via BigInt: tests only). */
export class Rng {
  private state: bigint;

  constructor(seed: bigint | number) {
    this.state = BigInt.asUintN(64, BigInt(seed));
  }

  /** Next 64-bit value. */
  next64(): bigint {
    this.state = BigInt.asUintN(64, this.state + 0x9e3779b97f4a7c15n);
    let z = this.state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  }

  /** Uniform integer in [0, n) for n <= 2^32. */
  below(n: number): number {
    return Number(this.next64() >> 32n) % n;
  }

  /** True with probability num/den. */
  ratio(num: number, den: number): boolean {
    return this.below(den) < num;
  }
}

/** xorshift32 from `state` (uniform in [0, 1)): the tables and addresses of one property run come from its integer. */
export function xorshift32(state: number): () => number {
  return (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** Whether two byte arrays hold the same bytes (a loop: toEqual on a megabyte is slow in vitest). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
