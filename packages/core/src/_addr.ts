// 64-bit values as two u32 halves (lo, hi), converted from and to bigint once, at the API edge.
// The converters write into PAIR so that no object is allocated per call.
import { hex, PagingError } from './errors';

/** Scratch output of {@link splitAddr}: PAIR[0] = low 32 bits, PAIR[1] = high 32 bits. */
export const PAIR: Uint32Array = new Uint32Array(2);

const TWO32 = 4294967296;

// A bigint crosses to and from numbers through one 64-bit slot seen as two u32 words: storing a bigint in a
// BigUint64Array and reading the halves (or the reverse) compiles to plain loads and stores, where Number(x)
// and BigInt(n) are runtime calls (about 15 ns each in Node 20).
const B64 = new BigUint64Array(1);
const W32 = new Uint32Array(B64.buffer);
/** Index in W32 of the low half of B64[0]: 0 on little-endian hosts, 1 on big-endian ones. */
const LO = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/**
 * Splits an address or size given as bigint or number into PAIR. Accepts bigint in [0, 2^64) and
 * non-negative safe-integer numbers; anything else is an 'InvalidAddress' PagingError (or a TypeError
 * for a value that is neither).
 */
export function splitAddr(x: unknown, op: string, what: string): void {
  if (typeof x === 'bigint') {
    if (BigInt.asUintN(64, x) !== x) {
      throw new PagingError('InvalidAddress', `${op}: "${what}" ${hex(x)} is outside [0, 2^64)`);
    }
    B64[0] = x;
    PAIR[0] = W32[LO]!;
    PAIR[1] = W32[HI]!;
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
    // x - lo is a multiple of 2^32: the multiply by 2^-32 is exact, and quicker than a division
    PAIR[1] = (x - lo) * 2.3283064365386963e-10;
    return;
  }
  throw new TypeError(`${op}: "${what}" must be a bigint or a number, got ${typeof x}`);
}

/**
 * An address argument as a number for the fast paths: a number as it is; a bigint in [0, 2^64) as the
 * nearest number (exact below 2^53, and 2^53 or more otherwise); NaN for anything else.
 *
 * Two functions so that the number case stays within V8's small-function size (27 bytes of bytecode): the fast
 * paths that call this (map, unmap) are inlined into a caller's loop only while the bytecode they bring along fits
 * V8's budget, and the bigint case, 88 bytes when it was written here, counted twice in map's share (X86-PAE's map
 * then missed the budget by 11 bytes and was called, not inlined: 3 heap bytes per W1a map).
 */
export function addrNumber(x: unknown): number {
  return typeof x === 'number' ? x : bigAddrNumber(x);
}

/** {@link addrNumber} of anything but a number. */
function bigAddrNumber(x: unknown): number {
  if (typeof x !== 'bigint' || BigInt.asUintN(64, x) !== x) return Number.NaN;
  B64[0] = x;
  return W32[HI]! * TWO32 + W32[LO]!;
}

/**
 * Throws a RangeError unless `vaddr`, the address argument of a number method (queryNumber, unmapNumber), is a
 * non-negative safe integer; `use` names the call that takes a larger one.
 */
export function checkNumberVa(vaddr: unknown, op: string, use: string): void {
  if (typeof vaddr !== 'number' || !(vaddr >= 0 && vaddr <= 9007199254740991 && Math.floor(vaddr) === vaddr)) {
    throw new RangeError(`${op}: "vaddr" ${String(vaddr)} is not a non-negative safe integer (use ${use} with a bigint)`);
  }
}

/**
 * Number addresses that a fast path hands to its miss path: [vaddr, paddr], with -1 passed in place of each such
 * argument (a bigint or any other value is passed as it is). An address above 2^31 is a double in V8's optimized
 * code, and a double argument of a call that V8 does not inline is boxed into a new 16-byte HeapNumber: the miss
 * paths of map and unmap are such calls, taken at every page of W6a (random maps) and at every table of W1a and W3.
 * A typed array's slot holds the double as it is. Read before anything else can write it: at the start of the
 * miss path.
 */
export const NUM_ARGS: Float64Array = new Float64Array(2);

/** Joins (lo, hi), two u32 halves, into a bigint. */
export function joinAddr(lo: number, hi: number): bigint {
  W32[LO] = lo;
  W32[HI] = hi;
  return B64[0]!;
}

/** Converts an input address or size to bigint with the same validation as {@link splitAddr}. */
export function toBigAddr(x: unknown, op: string, what: string): bigint {
  splitAddr(x, op, what);
  return joinAddr(PAIR[0]!, PAIR[1]!);
}
