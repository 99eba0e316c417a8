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

/** Word index of the last-level table that the last successful {@link Walker} call ended in. */
export const WALK_TABLE: Int32Array = new Int32Array(1);
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
  const lo = first % TWO32;
  return Int32Array.of(lo | 0, Math.floor(first / TWO32), lo + frames <= TWO32 ? frames : 0);
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

/** Walkers already made, by geometry and layout: tables of the same format share one. */
const MADE = new Map<string, Walker>();

/**
 * A {@link Walker} for a format of 3 to 5 levels of 4 KiB tables of 8-byte entries, given each level's VA shift
 * and index width (root first) and the entry layout; null for another depth. Callers pass memories that start at
 * a 4 KiB boundary and end at or below 2^53, so that an address computed as a number inside one is exact.
 */
export function makeWalker(shift: ArrayLike<number>, bits: ArrayLike<number>, layout: PTELayout): Walker | null {
  const n = shift.length;
  if (n < 3 || n > 5) return null;
  // table pointers as frame numbers: the address field must start at or above bit 12 once scaled
  const sh = 12 - layout.addrShift;
  if (sh < 1 || sh > 12 || (layout.addrLo & ((1 << sh) - 1)) !== 0) return null;
  const key = [...Array.from(shift), ...Array.from(bits), layout.present, layout.block, layout.addrLo, layout.addrHi, layout.addrShift].join();
  const made = MADE.get(key);
  if (made !== undefined) return made;
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
  const [s0, s1, s2, s3, s4] = [shift[0]!, shift[1]!, shift[2]!, shift[3] ?? 0, shift[4] ?? 0];
  const [m0, m1, m2, m3, m4] = Array.from({ length: 5 }, (_, l) => (l < n ? (1 << bits[l]!) - 1 : 0));
  // one closure per depth, each a straight run of steps (one closure with depth tests measured slower)
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
  MADE.set(key, walker);
  return walker;
}
