// A walk specialised to one table format: the geometry and the entry layout become constants of a closure, so
// that a lookup is a short straight run of loads and masks. Used for lookups that miss the walk cache when the
// tables live in one linear memory (PhysicalMemory).
import type { PTELayout } from './interfaces';

/**
 * Walks from the root table at word index `root` to the last-level entry that maps (vaLo, vaHi), in a memory
 * (`w`) described by `mem` ({@link walkContext}). `vaLo` may be given as a signed 32-bit value (`lo | 0`): every
 * argument and the result are then small integers, which a call that is not inlined passes without boxing.
 * @returns 0 when the last-level entry is present and maps an address below 2^53: that address is then in
 *   {@link WALK_PA}, the word index of the entry's table in {@link WALK_TABLE}, and the entry's two words and level
 *   in `leaf` [lo, hi, level] (what a table's lastFlags and lastSize decode); -1 when an entry on the way (or the
 *   leaf) is not present; -2 when the walk ends elsewhere (a block above the last level, a pointer outside the
 *   memory, an address of 2^53 or more). Only a result of 0 writes anything.
 */
export type Walker = (w: Uint32Array, root: number, vaLo: number, vaHi: number, mem: Int32Array, leaf: Int32Array) => number;

/**
 * Walks as a {@link Walker} does, for a map: to the first entry on the way to (vaLo, vaHi) that is not present,
 * a table entry or the leaf. Returns its word index, with its level in {@link PROBE_LEVEL} and its table in
 * {@link WALK_TABLE}; -2 when the walk meets a present leaf, a block or a pointer outside the memory (and writes
 * nothing). The entry may be non-present yet not zero: the caller checks.
 */
export type Prober = (w: Uint32Array, root: number, vaLo: number, vaHi: number, mem: Int32Array) => number;

/** Word index of the last-level table that the last successful {@link Walker} call ended in (or a Prober's table). */
export const WALK_TABLE: Int32Array = new Int32Array(1);
/** Level of the entry the last successful {@link Prober} call returned. */
export const PROBE_LEVEL: Int32Array = new Int32Array(1);
/** Physical address of the page that the last successful {@link Walker} call found. */
export const WALK_PA: Float64Array = new Float64Array(1);

/**
 * The memory a walker reads, by 4 KiB frame number: [low 32 bits (as int32) and high bits of its first frame's
 * number, count of frames]. A memory whose frame numbers cross a multiple of 2^32 (its bytes a multiple of 2^44)
 * gets a count of 0: every table pointer then looks outside it, and the lookups take the full walk.
 */
export function walkContext(memBase: number, memSize: number): Int32Array {
  const first = Math.floor(memBase / 4096);
  const frames = Math.floor(memSize / 4096);
  const hi = Math.floor(first / TWO32);
  const lo = first - hi * TWO32;
  return Int32Array.of(lo | 0, hi, lo + frames <= TWO32 ? frames : 0);
}

const TWO32 = 4294967296;

// The steps are module functions, not closures made per table: V8 inlines them into each walker.

/** Word index of the entry for (vaLo, vaHi) in the table at word index t, at a level of shift s and index mask m. */
function at(t: number, s: number, m: number, vaLo: number, vaHi: number): number {
  return t + (s >= 32 ? (vaHi >>> (s - 32)) & m : ((vaLo >>> s) | (vaHi << (32 - s))) & m) * 2;
}

/**
 * The table (word index) a present non-block entry e points to; -1 when e is not present, -2 otherwise (a block,
 * or a table outside the memory). The layout's masks and shifts and the memory's frames come as arguments:
 * constants of the calling walker. All in 32-bit integers: the entry's address as a frame number is
 * `(lo & aLo) >>> sh | (hi & aHi) << (32 - sh)` (low 32 bits) and `(hi & aHi) >>> sh` (the rest), sh = 12 - addrShift.
 */
function next(w: Uint32Array, e: number, pm: number, bm: number, aLo: number, aHi: number, sh: number, fLo: number, fHi: number, frames: number): number {
  const lo = w[e]!;
  if ((lo & pm) === 0) return -1;
  if ((lo & bm) !== 0) return -2;
  const hi = w[e + 1]! & aHi;
  // the frame's distance from the memory's first frame, mod 2^32; exact when the high parts agree (walkContext)
  const rel = ((((lo & aLo) >>> sh) | (hi << (32 - sh))) - fLo) >>> 0;
  return hi >>> sh === fHi && rel < frames ? rel << 10 : -2;
}

/** The result of a {@link Prober} whose step at level l (entry e of table t) gave r: e when r is -1 (not present). */
function absent(r: number, e: number, t: number, l: number): number {
  if (r !== -1) return -2;
  PROBE_LEVEL[0] = l;
  WALK_TABLE[0] = t;
  return e;
}

/** A format's two specialised walks: for lookups and for map. */
export interface Walks {
  readonly walker: Walker;
  readonly prober: Prober;
}

/**
 * The {@link Walker} and {@link Prober} of a format of 3 to 5 levels of 4 KiB tables of 8-byte entries, given each
 * level's VA shift and index width (root first) and the entry layout; null for another depth or a layout whose
 * address field, scaled, starts below bit 12. Callers pass memories that start at a 4 KiB boundary and end at or
 * below 2^53, so that an address computed as a number inside one is exact. Each call makes new closures: the tables
 * keep one pair per metadata object and layout.
 */
export function makeWalks(shift: ArrayLike<number>, bits: ArrayLike<number>, layout: PTELayout): Walks | null {
  const n = shift.length;
  // table pointers as frame numbers: the address field must start at or above bit 12 once scaled
  const sh = 12 - layout.addrShift;
  if (n < 3 || n > 5 || sh < 1 || sh > 12 || (layout.addrLo & ((1 << sh) - 1)) !== 0) return null;
  const pm = layout.present;
  const bm = layout.block;
  const aLo = layout.addrLo;
  const aHi = layout.addrHi;
  const mul = 2 ** layout.addrShift;
  const mulHi = mul * TWO32;
  const last = n - 1;
  // the page a last-level entry maps, as a number; the entry's words go straight to `out` (no reload after)
  const leaf = (w: Uint32Array, t: number, e: number, out: Int32Array): number => {
    const lo = w[e]!;
    if ((lo & pm) === 0) return -1;
    const hi = w[e + 1]!;
    const pa = ((lo & aLo) >>> 0) * mul + (hi & aHi) * mulHi;
    if (pa >= 2 ** 53) return -2;
    out[0] = lo;
    out[1] = hi;
    out[2] = last;
    WALK_TABLE[0] = t;
    WALK_PA[0] = pa;
    return 0;
  };
  // the last level's entry for map: its index when it is free, else -2
  const free = (w: Uint32Array, t: number, e: number): number => ((w[e]! & pm) === 0 ? absent(-1, e, t, last) : -2);
  const [s0, s1, s2, s3, s4] = [shift[0]!, shift[1]!, shift[2]!, shift[3] ?? 0, shift[4] ?? 0];
  const [m0, m1, m2, m3, m4] = Array.from({ length: 5 }, (_, l) => (l < n ? (1 << bits[l]!) - 1 : 0));
  // map's walk: one loop over the levels above the last (the per-depth straight runs below are for lookups, where
  // they measured faster; for map, whose misses also write, the loop measured the same)
  const S = Int32Array.from(shift);
  const M = Int32Array.from(bits, (b) => (1 << b) - 1);
  const prober: Prober = (w, root, vaLo, vaHi, mem) => {
    const fLo = mem[0]!;
    const fHi = mem[1]!;
    const frames = mem[2]!;
    let t = root;
    for (let l = 0; l < last; l++) {
      const e = at(t, S[l]!, M[l]!, vaLo, vaHi);
      const child = next(w, e, pm, bm, aLo, aHi, sh, fLo, fHi, frames);
      if (child < 0) return absent(child, e, t, l);
      t = child;
    }
    return free(w, t, at(t, S[last]!, M[last]!, vaLo, vaHi));
  };
  // one closure per depth for lookups, each a straight run of steps (one closure with depth tests measured slower)
  let walker: Walker;
  if (n === 3) {
    walker = (w, root, vaLo, vaHi, mem, out) => {
      const fLo = mem[0]!;
      const fHi = mem[1]!;
      const frames = mem[2]!;
      let t = next(w, at(root, s0, m0!, vaLo, vaHi), pm, bm, aLo, aHi, sh, fLo, fHi, frames);
      if (t < 0) return t;
      t = next(w, at(t, s1, m1!, vaLo, vaHi), pm, bm, aLo, aHi, sh, fLo, fHi, frames);
      return t < 0 ? t : leaf(w, t, at(t, s2, m2!, vaLo, vaHi), out);
    };
  } else if (n === 4) {
    walker = (w, root, vaLo, vaHi, mem, out) => {
      const fLo = mem[0]!;
      const fHi = mem[1]!;
      const frames = mem[2]!;
      let t = next(w, at(root, s0, m0!, vaLo, vaHi), pm, bm, aLo, aHi, sh, fLo, fHi, frames);
      if (t < 0) return t;
      t = next(w, at(t, s1, m1!, vaLo, vaHi), pm, bm, aLo, aHi, sh, fLo, fHi, frames);
      if (t < 0) return t;
      t = next(w, at(t, s2, m2!, vaLo, vaHi), pm, bm, aLo, aHi, sh, fLo, fHi, frames);
      return t < 0 ? t : leaf(w, t, at(t, s3, m3!, vaLo, vaHi), out);
    };
  } else {
    walker = (w, root, vaLo, vaHi, mem, out) => {
      const fLo = mem[0]!;
      const fHi = mem[1]!;
      const frames = mem[2]!;
      let t = next(w, at(root, s0, m0!, vaLo, vaHi), pm, bm, aLo, aHi, sh, fLo, fHi, frames);
      if (t < 0) return t;
      t = next(w, at(t, s1, m1!, vaLo, vaHi), pm, bm, aLo, aHi, sh, fLo, fHi, frames);
      if (t < 0) return t;
      t = next(w, at(t, s2, m2!, vaLo, vaHi), pm, bm, aLo, aHi, sh, fLo, fHi, frames);
      if (t < 0) return t;
      t = next(w, at(t, s3, m3!, vaLo, vaHi), pm, bm, aLo, aHi, sh, fLo, fHi, frames);
      return t < 0 ? t : leaf(w, t, at(t, s4, m4!, vaLo, vaHi), out);
    };
  }
  return { walker, prober };
}
