// Address arithmetic of a table's format: the index of an address at a level, the address of an entry, and whether
// an address is one the format accepts. Functions of the geometry and the metadata only.
import { joinAddr } from '../_addr';
import { carry32, mod32, OUT, POW2 } from '../_pairs';
import { hex, PagingError } from '../errors';
import type { VirtAddr } from '../interfaces';
import type { PageTable64 } from './page-table';

/** Index of (lo, hi) in the table at level l. */
export function index(t: PageTable64, lo: number, hi: number, l: number): number {
  const s = t._shift[l]!;
  const b = t._bits[l]!;
  const m = (1 << b) - 1;
  if (s >= 32) return (hi >>> (s - 32)) & m;
  if (s + b <= 32) return (lo >>> s) & m;
  return ((lo >>> s) | (hi << (32 - s))) & m;
}

/**
 * Whether (lo, hi) is a valid virtual address of the format: bits [vaTopBit, 64) all zero, or all one in an upper
 * half; and inside the format's window when it has one (the window bounds are numbers: -1 and 2^64 without one).
 */
export function vaOk(t: PageTable64, lo: number, hi: number): boolean {
  const s = t.meta.vaTopBit - 32;
  if (s >= 32) return true;
  const top = (hi | 0) >> s;
  if (top === 0) {
    const va = hi * 4294967296 + (lo >>> 0);
    return va >= t._winStart && va < t._winEnd;
  }
  return top === -1 && t.meta.upperHalf;
}

/** Throws InvalidAddress unless (lo, hi) is a valid virtual address. */
export function checkVa(t: PageTable64, lo: number, hi: number, op: string, what = 'vaddr'): void {
  if (!vaOk(t, lo, hi)) {
    throw new PagingError(
      'InvalidAddress',
      `${op}: "${what}" ${hex(joinAddr(lo, hi))} is not a valid ${t.meta.vaMaxBits}-bit ${t.meta.name} virtual address`,
    );
  }
}

/** Whether a physical address (lo, hi) fits the format's width. */
export function paOk(t: PageTable64, lo: number, hi: number): boolean {
  return hi < t._paHiLimit || (hi === t._paHiLimit && lo < t._paLoLimit);
}

/** VA of entry i of a level-l table whose first VA is (baseLo, baseHi), into OUT. */
export function entryVa(t: PageTable64, baseLo: number, baseHi: number, l: number, i: number): void {
  const v = i * POW2[t._shift[l]!]!;
  OUT[0] = baseLo + mod32(v);
  OUT[1] = baseHi + carry32(v);
}

/**
 * A translated VA (index space) as the API reports it: sign-extended when the format has an upper half, inside the
 * window's block when the format has a window. Either is the same for an address already in that form.
 */
export function outVa(t: PageTable64, lo: number, hi: number): VirtAddr {
  if ((t._outLo | t._outHi) !== 0) return joinAddr((lo | t._outLo) >>> 0, (hi | t._outHi) >>> 0);
  const bits = t.meta.vaMaxBits;
  if (t.meta.signExtend && bits > 32 && bits < 64 && ((hi >>> (bits - 33)) & 1) === 1) {
    return joinAddr(lo, (hi | (-1 << (bits - 32))) >>> 0);
  }
  return joinAddr(lo, hi);
}
