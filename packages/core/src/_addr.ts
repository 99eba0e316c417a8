// 64-bit values as two u32 halves (lo, hi), converted from and to bigint once, at the API edge.
// The converters write into PAIR so that no object is allocated per call.
import { hex, PagingError } from './errors';

/** Scratch output of {@link splitAddr}: PAIR[0] = low 32 bits, PAIR[1] = high 32 bits. */
export const PAIR: Uint32Array = new Uint32Array(2);

const TWO32 = 4294967296;
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const TOP_BIG = 1n << 64n;

/**
 * Splits an address or size given as bigint or number into PAIR. Accepts bigint in [0, 2^64) and
 * non-negative safe-integer numbers; anything else is an 'InvalidAddress' PagingError (or a TypeError
 * for a value that is neither).
 */
export function splitAddr(x: unknown, op: string, what: string): void {
  if (typeof x === 'bigint') {
    if (x >= 0n && x <= MAX_SAFE_BIG) {
      const n = Number(x);
      const lo = n >>> 0;
      PAIR[0] = lo;
      PAIR[1] = (n - lo) / TWO32;
      return;
    }
    if (x < 0n || x >= TOP_BIG) {
      throw new PagingError('InvalidAddress', `${op}: "${what}" ${hex(x)} is outside [0, 2^64)`);
    }
    PAIR[0] = Number(x & 0xffffffffn);
    PAIR[1] = Number(x >> 32n);
    return;
  }
  if (typeof x === 'number') {
    if (!Number.isSafeInteger(x) || x < 0) {
      throw new PagingError(
        'InvalidAddress',
        `${op}: "${what}" ${String(x)} is not a non-negative safe integer (use a bigint above 2^53)`,
      );
    }
    const lo = x >>> 0;
    PAIR[0] = lo;
    PAIR[1] = (x - lo) / TWO32;
    return;
  }
  throw new TypeError(`${op}: "${what}" must be a bigint or a number, got ${typeof x}`);
}

/** Joins (lo, hi) into a bigint; one BigInt() call when the value is below 2^53. */
export function joinAddr(lo: number, hi: number): bigint {
  if (hi < 0x200000) return BigInt(hi * TWO32 + lo);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Converts an input address or size to bigint with the same validation as {@link splitAddr}. */
export function toBigAddr(x: unknown, op: string, what: string): bigint {
  splitAddr(x, op, what);
  return joinAddr(PAIR[0]!, PAIR[1]!);
}

/** 2^n as a number for n in 0..63 (exact: a power of two is always representable). */
export function pow2(n: number): number {
  return 2 ** n;
}
