// A walk specialised to one table format: the geometry and the entry layout become constants of a closure, so
// that a lookup is a short straight run of loads and masks. Used for lookups that miss the walk cache (W6b, random
// queries) and for maps that miss it (W6a, random maps) when the tables live in one linear memory (PhysicalMemory).
// Any geometry of 2 to 5 levels: granule, table sizes and entry width come from the format, as everywhere else.
import { FRAME_BYTES, type PTELayout } from '../interfaces';

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

/** A format's two specialised walks, and the unit they count table addresses in. */
export interface Walks {
  readonly walker: Walker;
  readonly prober: Prober;
  /** log2 of the unit: tables are found by their address in units of 2^unitShift bytes ({@link walkContext}). */
  readonly unitShift: number;
}

const TWO32 = 4294967296;

/**
 * The memory a walker reads, in units of 2^unitShift bytes (the smallest table below the root, at most a frame):
 * [low 32 bits (as int32) and high bits of its first unit's number, count of units]. A memory that does not start
 * on a unit, or whose unit numbers cross a multiple of 2^32, gets a count of 0: every table pointer then looks
 * outside it, and the lookups take the full walk.
 */
export function walkContext(memBase: number, memSize: number, unitShift: number): Int32Array {
  const unit = 2 ** unitShift;
  const first = Math.floor(memBase / unit);
  const units = Math.floor(memSize / unit);
  const hi = Math.floor(first / TWO32);
  const lo = first - hi * TWO32;
  const ok = first * unit === memBase && lo + units <= TWO32;
  return Int32Array.of(lo | 0, hi, ok ? units : 0);
}

// The steps are module functions, not closures made per table: V8 inlines them into each walker.

/** Word index of the entry for (vaLo, vaHi) in the table at word index t, at a level of shift s and index mask m. */
function at(t: number, s: number, m: number, ew: number, vaLo: number, vaHi: number): number {
  return t + (s >= 32 ? (vaHi >>> (s - 32)) & m : ((vaLo >>> s) | (vaHi << (32 - s))) & m) * ew;
}

/**
 * The table (word index) a present non-block entry e points to; -1 when e is not present, -2 otherwise (a block,
 * or a table that is not wholly inside the memory). The layout's masks and shifts, the memory's units and the
 * child table's size in units (`need`) come as arguments: constants of the calling walker. All in 32-bit integers:
 * the entry's address as a unit number is `(lo & aLo) >>> sh | (hi & aHi) << (32 - sh)` (low 32 bits) and
 * `(hi & aHi) >>> sh` (the rest), sh = unitShift - addrShift; `<< ws` turns units into words.
 */
function next(
  w: Uint32Array,
  e: number,
  ew: number,
  pm: number,
  bm: number,
  tv: number,
  aLo: number,
  aHi: number,
  sh: number,
  ws: number,
  need: number,
  fLo: number,
  fHi: number,
  units: number,
): number {
  const lo = w[e]!;
  // pm 0: present when not zero (PTELayout.present); only an absent-looking entry pays for that test
  if ((lo & pm) === 0 && (pm !== 0 || (lo | w[e + ew - 1]!) === 0)) return -1;
  if ((lo & bm) !== tv) return -2;
  const hi = ew === 2 ? w[e + 1]! & aHi : 0;
  // the unit's distance from the memory's first unit, mod 2^32; exact when the high parts agree (walkContext)
  const rel = ((((lo & aLo) >>> sh) | (hi << (32 - sh))) - fLo) >>> 0;
  return hi >>> sh === fHi && rel <= units - need ? rel << ws : -2;
}

/** The result of a {@link Prober} whose step at level l (entry e of table t) gave r: e when r is -1 (not present). */
function absent(r: number, e: number, t: number, l: number): number {
  if (r !== -1) return -2;
  PROBE_LEVEL[0] = l;
  WALK_TABLE[0] = t;
  return e;
}

/**
 * The {@link Walker} and {@link Prober} of a format of 2 to 5 levels, given each level's VA shift, index width and
 * table bytes (root first), the entry width in u32 words and the entry layout; null for another depth, or a layout
 * whose address field cannot name a table in whole units (bits below the unit in its mask). `oddLo`, `plainLo` and
 * `oddHi`: the lookups read a last-level entry as a page of its level's size only when
 * `((lo & oddLo) ^ plainLo) | (hi & oddHi)` is 0, and leave any other entry that is not zero to the full path (a
 * member of a run, whose hint bits are in the masks; an ARMv7 Large page, which fails the layout's `leaf`; see
 * table/page-table.ts). Callers pass memories whose addresses are exact as numbers (below 2^53). Each call makes new
 * closures: the tables keep one pair per metadata object and layout (see table/geometry.ts). Longer than most
 * functions here because the constants a walk step reads are locals of this one frame, captured by the walk
 * closures, so that a step (of the W2 / W6a lookups and maps) reads no object field.
 */
export function makeWalks(
  shift: ArrayLike<number>,
  bits: ArrayLike<number>,
  tableWords: ArrayLike<number>,
  ew: number,
  layout: PTELayout,
  oddLo = 0,
  plainLo = 0,
  oddHi = 0,
): Walks | null {
  const n = shift.length;
  // the unit: the smallest table below the root (each is aligned to its size), at most a handler's frame
  let unit = FRAME_BYTES;
  for (let l = 1; l < n; l++) unit = Math.min(unit, tableWords[l]! * 4);
  const unitShift = Math.round(Math.log2(unit));
  if (2 ** unitShift !== unit) return null;
  const sh = unitShift - layout.addrShift;
  if (n < 2 || n > 5 || sh < 1 || sh > 31 || (layout.addrLo & ((2 ** sh - 1) | 0)) !== 0) return null;
  const ws = unitShift - 2;
  const pm = layout.present;
  // the top of an address held apart (AArch64 52-bit output addresses): a table pointer with any of it set is
  // taken for a block, so the full path follows it; a page's address reads it (pageAt below)
  const a2 = layout.addrLo2 ?? 0;
  const bm = layout.block | a2;
  const tv = layout.table ?? 0;
  // the last level's page test (PTELayout.leaf): every bit of `leaf`, or without it any bit of `present`, as one
  // compare: (lo & lm) is at most lm, reaching it only with all of lm's bits set, and at least 1 with any of them
  // (masks below bit 31, so that the AND is not negative)
  const lm = layout.leaf ?? pm;
  const lmin = layout.leaf === undefined ? 1 : lm;
  if (lm <= 0 || lm > 0x7fff_ffff || (tv & a2) !== 0) return null;
  const aLo = layout.addrLo;
  const aHi = layout.addrHi;
  const pageLo = layout.leafAddrLo ?? aLo;
  const mul = 2 ** layout.addrShift;
  const mulHi = mul * TWO32;
  const mul2 = 2 ** (32 + (layout.addrShift2 ?? 0));
  const last = n - 1;
  // per level: VA shift, index mask, and the size in units of the table one level down
  const S = Int32Array.from(shift);
  const M = Int32Array.from(bits, (b) => (1 << b) - 1);
  const N = Int32Array.from({ length: n }, (_, l) => (l < last ? (tableWords[l + 1]! * 4) >>> unitShift : 0));
  // the page a last-level entry maps, as a number (a2 is 0 but for an address in two parts); the entry's words go
  // straight to `out` (no reload after)
  const plainLeaf = (w: Uint32Array, t: number, e: number, out: Int32Array): number => {
    const lo = w[e]!;
    if ((lo & lm) < lmin) return -1;
    const hi = ew === 2 ? w[e + 1]! : 0;
    const pa = ((lo & pageLo) >>> 0) * mul + (hi & aHi) * mulHi + (lo & a2) * mul2;
    if (pa >= 2 ** 53) return -2;
    out[0] = lo;
    out[1] = hi;
    out[2] = last;
    WALK_TABLE[0] = t;
    WALK_PA[0] = pa;
    return 0;
  };
  // a format with entries that are not plain pages of the level's size (a member of a run, which maps the run's
  // page; an ARMv7 Large page) leaves them to the full path, and a zero entry is a hole as before; a closure of its
  // own, so that the other formats test nothing more
  const leaf =
    (oddLo | oddHi) === 0
      ? plainLeaf
      : (w: Uint32Array, t: number, e: number, out: Int32Array): number => {
          const lo = w[e]!;
          const hi = ew === 2 ? w[e + 1]! : 0;
          if ((((lo & oddLo) ^ plainLo) | (hi & oddHi)) === 0) return plainLeaf(w, t, e, out);
          return (lo | hi) === 0 ? -1 : -2;
        };
  // the last level's entry for map: its index when it is free, else -2
  const free = (w: Uint32Array, t: number, e: number): number => ((w[e]! & lm) < lmin ? absent(-1, e, t, last) : -2);
  // map's walk: one loop over the levels above the last (the per-depth straight runs below are for lookups, where
  // they measured faster; for map, whose misses also write, the loop measured the same)
  const prober: Prober = (w, root, vaLo, vaHi, mem) => {
    const fLo = mem[0]!;
    const fHi = mem[1]!;
    const units = mem[2]!;
    let t = root;
    for (let l = 0; l < last; l++) {
      const e = at(t, S[l]!, M[l]!, ew, vaLo, vaHi);
      const child = next(w, e, ew, pm, bm, tv, aLo, aHi, sh, ws, N[l]!, fLo, fHi, units);
      if (child < 0) return absent(child, e, t, l);
      t = child;
    }
    return free(w, t, at(t, S[last]!, M[last]!, ew, vaLo, vaHi));
  };
  const s0 = S[0]!;
  const s1 = S[1]!;
  const s2 = S[2] ?? 0;
  const s3 = S[3] ?? 0;
  const s4 = S[4] ?? 0;
  const m0 = M[0]!;
  const m1 = M[1]!;
  const m2 = M[2] ?? 0;
  const m3 = M[3] ?? 0;
  const m4 = M[4] ?? 0;
  const n0 = N[0]!;
  const n1 = N[1] ?? 0;
  const n2 = N[2] ?? 0;
  const n3 = N[3] ?? 0;
  // The lookups' walk: one straight run of steps for every depth, leaving at the format's last level. Its size is a
  // property it must keep: its bytecode (746 bytes) is over the 460 past which V8 inlines no function, so that it is
  // a call of its own in queryNumber and unmap (their misses, W6b). Inlined into them, it made them too large for a
  // caller's loop to inline once they got optimized on their own first, and every call then boxed its address and
  // its answer (the bench test's "run first" rows: 8-32 heap bytes per lookup). A call through Reflect.apply with an
  // argument list V8 cannot see, which kept it apart before with one closure per depth, cost 5-20% of a random
  // lookup (W6b, 100,000 pages, both builds in one process alternated: 0.81-0.91 of it with the direct call, X64 and
  // Sv39).
  const walker: Walker = (w, root, vaLo, vaHi, mem, out) => {
    const fLo = mem[0]!;
    const fHi = mem[1]!;
    const units = mem[2]!;
    let t = next(w, at(root, s0, m0, ew, vaLo, vaHi), ew, pm, bm, tv, aLo, aHi, sh, ws, n0, fLo, fHi, units);
    if (t < 0) return t;
    if (n === 2) return leaf(w, t, at(t, s1, m1, ew, vaLo, vaHi), out);
    t = next(w, at(t, s1, m1, ew, vaLo, vaHi), ew, pm, bm, tv, aLo, aHi, sh, ws, n1, fLo, fHi, units);
    if (t < 0) return t;
    if (n === 3) return leaf(w, t, at(t, s2, m2, ew, vaLo, vaHi), out);
    t = next(w, at(t, s2, m2, ew, vaLo, vaHi), ew, pm, bm, tv, aLo, aHi, sh, ws, n2, fLo, fHi, units);
    if (t < 0) return t;
    if (n === 4) return leaf(w, t, at(t, s3, m3, ew, vaLo, vaHi), out);
    t = next(w, at(t, s3, m3, ew, vaLo, vaHi), ew, pm, bm, tv, aLo, aHi, sh, ws, n3, fLo, fHi, units);
    return t < 0 ? t : leaf(w, t, at(t, s4, m4, ew, vaLo, vaHi), out);
  };
  return { walker, prober, unitShift };
}
