// Finding things in a table: the entry that maps an address (the general lookup, every operation's full path), the
// table an entry points to, and the address arithmetic around them. Pure functions of a table's state.
import { joinAddr } from '../_addr';
import { LOW_MASK_HI, LOW_MASK_LO, mod32, OUT, POW2, TWO32 } from '../_pairs';
import { hex, PagingError } from '../errors';
import type { VirtAddr } from '../interfaces';
import { cached, remember } from '../fast/walk-cache';
import type { PageTable64 } from './page-table';

/** {@link find}: a present leaf maps the address. */
export const FOUND = 0;
/** {@link find}: the entry on the way is not present. */
export const ABSENT = 1;
/** {@link find}: a table pointer on the way leads outside the handler's memory. */
export const CORRUPT = 2;

/**
 * Word index of the root table. For a PhysicalMemory it never changes; any other handler may page memory in and
 * out (a dump read on demand), so its index is asked for again on every use.
 */
export function rootIndex(t: PageTable64): number {
  return t._linear ? t._rootIdx : t.handler.wordIndex(t._rootLo, t._rootHi);
}

/** Index of (lo, hi) in the table at level l. */
export function index(t: PageTable64, lo: number, hi: number, l: number): number {
  const s = t._shift[l]!;
  const b = t._bits[l]!;
  const m = (1 << b) - 1;
  if (s >= 32) return (hi >>> (s - 32)) & m;
  if (s + b <= 32) return (lo >>> s) & m;
  return ((lo >>> s) | (hi << (32 - s))) & m;
}

/** Whether (lo, hi) is a valid virtual address of the format: bits [vaTopBit, 64) all zero, or all one in an upper half. */
export function vaOk(t: PageTable64, _lo: number, hi: number): boolean {
  const s = t.meta.vaTopBit - 32;
  if (s >= 32) return true;
  const top = (hi | 0) >> s;
  return top === 0 || (top === -1 && t.meta.upperHalf);
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

/** Word index of the table a present non-leaf entry (lo, hi) at level l points to, or -1 outside the memory. */
export function child(t: PageTable64, lo: number, hi: number, l: number): number {
  const c = t._w;
  const aLo = c.paddrLo(lo, hi, l);
  const aHi = c.paddrHi(lo, hi, l);
  const tw = t._tableWords[l + 1]!;
  if (t._linear) {
    // PhysicalMemory.wordIndex, inline: the byte offset from the base, checked against the size
    const off = (aHi - t._memHi) * TWO32 + (aLo - t._memLo);
    if (off < 0 || off + tw * 4 > t._memSize) return -1;
    return off >>> 2; // off < memSize < 2^32
  }
  const i = t.handler.wordIndex(aLo, aHi);
  if (i < 0 || i + tw > t.handler.words.length) return -1;
  return i;
}

/**
 * Finds the entry that maps (vaLo, vaHi), from the walk cache's table when it covers the address; leaves its word
 * index in `t._eIdx` and its level in `t._eLvl`. Returns {@link FOUND}, {@link ABSENT} or {@link CORRUPT}.
 *
 * The general walk of every operation's full path (W2 and W3 with bigints, every map that misses the cache): kept
 * as one loop with everything hoisted into locals, table pointers into a PhysicalMemory translated inline.
 */
export function find(t: PageTable64, vaLo: number, vaHi: number): number {
  const w = t.handler.words;
  const c = t._w;
  const ew = t._ew;
  const last = t._last;
  const shift = t._shift;
  const bits = t._bits;
  const linear = t._linear;
  const memLo = t._memLo;
  const memHi = t._memHi;
  const memSize = t._memSize;
  let tbl = rootIndex(t);
  let l = 0;
  const hit = cached(t, vaLo, vaHi, last);
  if (hit >= 0) {
    tbl = hit;
    l = t._cLevel;
  }
  let e = 0;
  let r = FOUND;
  for (;;) {
    const s = shift[l]!;
    const m = (1 << bits[l]!) - 1;
    // index bits [s, s + bits) of the address; for s < 32 the high word's part is masked off when unused
    const ix = s >= 32 ? (vaHi >>> (s - 32)) & m : ((vaLo >>> s) | (vaHi << (32 - s))) & m;
    e = tbl + ix * ew;
    const lo = w[e]!;
    const hi = ew === 2 ? w[e + 1]! : 0;
    if (!c.isPresent(lo, hi, l)) {
      r = ABSENT;
      break;
    }
    if (l === last || c.isHuge(lo, hi, l)) break;
    if (linear) {
      const off = (c.paddrHi(lo, hi, l) - memHi) * TWO32 + (c.paddrLo(lo, hi, l) - memLo);
      if (off < 0 || off + t._tableWords[l + 1]! * 4 > memSize) {
        r = CORRUPT;
        break;
      }
      tbl = off >>> 2; // off < memSize < 2^32: an integer word index
    } else {
      tbl = child(t, lo, hi, l);
      if (tbl < 0) {
        r = CORRUPT;
        break;
      }
    }
    l++;
  }
  t._eIdx = e;
  t._eLvl = l;
  if (r !== CORRUPT) remember(t, vaLo, vaHi, l, tbl);
  return r;
}

/** Throws the error a lookup result stands for: CorruptTable or NotMapped. */
export function lookupError(t: PageTable64, r: number, op: string, vaLo: number, vaHi: number): never {
  const va = hex(joinAddr(vaLo, vaHi));
  if (r === CORRUPT) {
    throw new PagingError('CorruptTable', `${op}: the level-${t._eLvl} entry for ${va} points outside physical memory`);
  }
  throw new PagingError('NotMapped', `${op}: ${va} is not mapped`);
}

/** log2 of the bytes the present leaf (lo, hi) at level l maps (its level's size unless the codec says otherwise). */
export function leafShift(t: PageTable64, lo: number, hi: number, l: number): number {
  const s = t._w.leafShift(lo, hi, l);
  return s < 0 ? t._shift[l]! : s;
}

/** The physical address that (vaLo, vaHi) maps to through a present leaf (lo, hi) mapping 2^s bytes, into OUT. */
export function leafPa(t: PageTable64, lo: number, hi: number, l: number, s: number, vaLo: number, vaHi: number): void {
  const c = t._w;
  const aLo = c.paddrLo(lo, hi, l);
  const aHi = c.paddrHi(lo, hi, l);
  const mLo = LOW_MASK_LO[s]!;
  const mHi = LOW_MASK_HI[s]!;
  OUT[0] = ((aLo & ~mLo) | (vaLo & mLo)) >>> 0;
  OUT[1] = ((aHi & ~mHi) | (vaHi & mHi)) >>> 0;
}

/** VA of entry i of a level-l table whose first VA is (baseLo, baseHi), into OUT. */
export function entryVa(t: PageTable64, baseLo: number, baseHi: number, l: number, i: number): void {
  const v = i * POW2[t._shift[l]!]!;
  OUT[0] = baseLo + mod32(v);
  OUT[1] = baseHi + Math.floor(v / TWO32);
}

/** A translated VA (index space) as the API reports it: sign-extended when the format has an upper half. */
export function outVa(t: PageTable64, lo: number, hi: number): VirtAddr {
  const bits = t.meta.vaMaxBits;
  if (t.meta.signExtend && bits > 32 && bits < 64 && ((hi >>> (bits - 33)) & 1) === 1) {
    return joinAddr(lo, (hi | (-1 << (bits - 32))) >>> 0);
  }
  return joinAddr(lo, hi);
}
