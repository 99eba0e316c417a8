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
