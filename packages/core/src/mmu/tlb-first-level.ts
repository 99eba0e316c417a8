// The first-level table of `Tlb` (tlb.ts): what translateNumber answers from inline, in front of the entries, as
// QEMU's softmmu TLB (accel/tcg/cputlb.c: a direct-mapped table keyed by the page, a tag per access kind and an
// addend, and a victim table). Its layout, and the operations on it that no hit makes (copying an entry in, swapping,
// emptying, letting go of pages); the hit itself is written in Tlb.translateNumber, which V8 inlines into the caller.
//
// Per way FAST_STRIDE = 8 doubles in _fast (64 bytes: one cache line): for each privilege (USER at 0, SUPERVISOR at
// 4) and access kind (READ, WRITE, EXECUTE at +0, +1, +2) a tag, the 4 KiB page number plus _fastBase where the way
// serves that access and NaN where it does not; at 3 the physical address of the frame's 4 KiB page; at 7 the page's
// shape, `permissions(USER) | permissions(SUPERVISOR) << 6 | shift << 12 | (level + 1) << 18`. A hit then compares
// one tag, with no permission bits to decode, and adds the offset to one double (QEMU keeps a tag per access kind and
// an addend for the same reason).
//
// _fastBase is a fraction, k / 4096, that moves by 1/4096 each time the slots are emptied, so that an empty is an
// add, not a store to each of the table's 256 KiB: the page numbers a fill writes are below 2^41 (addresses below
// 2^53), so a tag is exact (41 + 12 bits) and its fraction says which empty it came after; a page number is an
// integer, so its tag has the current fraction when it is exact (below 2^41 in magnitude), and is too large to equal
// any tag written when it is not: a tag of an earlier base equals no address's, negative and huge ones included, and
// a hit needs no range check. After 4,095 moves _fast is refilled with NaN and the base starts again at 0.
//
// _fastTags holds the page number of each way, NaN when empty, four ways to a 32-byte line: the searches and moves of
// fills and invalidations read it, and a hit reads it only to choose between the second and third ways. FAST_WAYS
// ways per slot, side by side: way k of slot s is s * FAST_WAYS + k. Ways 1 to 3 hold what fills pushed out of way 0,
// most recent first (victims, as QEMU's victim TLB keeps what its direct-mapped table evicts). A hit is served from
// ways 0 to 2, so three pages of a working set that share a slot all hit; an access whose page is in way 3 swaps it
// into way 0 first (in translateWords), so a fourth costs a swap when they alternate, not a lookup of the entries.
// W7's 64 pages, drawn at random, put three in one slot of 1024 and two in another: with hits on way 0 only, the
// swaps of those five pages (about 5% of the accesses, 30 to 80 ns each: a call that V8 does not inline, with
// branches no predictor learns) were a third of the hits row's time.

import { POW2 } from '../_pairs';

export const FAST_PAGE: number = 4096;
export const FAST_SHIFT: number = 12;
/** Doubles per way. */
export const FAST_STRIDE: number = 8;
export const FAST_WAYS: number = 4;
/**
 * Slots at most: a 64-page working set has few conflicts in 1024 direct-mapped slots (of 256 KiB, its hits read 64
 * lines: 4 KiB, in a core's L1d).
 */
export const MAX_FAST_SLOTS: number = 1024;
/** What _fastBase moves by: 2^-12, so that a page number below 2^41 plus the base is exact (53 bits). */
const FAST_GENERATION = 2 ** -12;
/** The largest _fastBase. */
const MAX_FAST_BASE = 1 - FAST_GENERATION;

/** @internal The first-level table's state, as `Tlb` holds it (its fields, for the hit path's single loads). */
export interface FirstLevel {
  /** the 4 KiB page number held by each way, NaN when empty */
  readonly _fastTags: Float64Array;
  /** FAST_STRIDE doubles per way: tags, frame, shape */
  readonly _fast: Float64Array;
  /** slots - 1 */
  readonly _fastMask: number;
  /** added to the page numbers of _fast's tags: k / 4096, moved by each empty */
  _fastBase: number;
  /** tags examined to let go of the 4 KiB pages of a range: a test's measure of that work */
  _dropProbes: number;
}

/** The two arrays of a first-level table of `slots` slots, empty. */
export function firstLevelArrays(slots: number): { tags: Float64Array; fast: Float64Array } {
  return { tags: new Float64Array(FAST_WAYS * slots).fill(Number.NaN), fast: new Float64Array(FAST_WAYS * slots * FAST_STRIDE).fill(Number.NaN) };
}

/**
 * Puts the 4 KiB page `page` into way 0 of its slot (`slot`: that way's index in _fastTags): its physical address
 * `frame`, served access kinds and permissions per privilege (tlbCheck values), and `shape` (see the top of this file).
 * A copy of the page in another way goes; the ways before it move one way down (the last one's page goes when there is
 * no copy), unless way 0 holds the page itself, which is replaced in place.
 */
export function copyIntoWay0(t: FirstLevel, slot: number, page: number, frame: number, checkUser: number, checkSupervisor: number, shape: number): void {
  const tags = t._fastTags;
  const fast = t._fast;
  if (tags[slot] !== page) {
    let k = 1;
    while (k < FAST_WAYS - 1 && tags[slot + k] !== page) k++;
    // (double by double: copyWithin is a call into the runtime, several times the cost of these eight copies)
    for (; k > 0; k--) {
      const to = slot + k;
      const from = to - 1;
      tags[to] = tags[from]!;
      for (let i = 0; i < FAST_STRIDE; i++) fast[to * FAST_STRIDE + i] = fast[from * FAST_STRIDE + i]!;
    }
  }
  // a tag for each access kind served at each privilege (tlbCheck's bits 2:0), NaN for the others
  const w = slot * FAST_STRIDE;
  const tag = page + t._fastBase;
  for (let a = 0; a < 3; a++) {
    fast[w + a] = ((checkUser >>> a) & 1) !== 0 ? tag : Number.NaN;
    fast[w + 4 + a] = ((checkSupervisor >>> a) & 1) !== 0 ? tag : Number.NaN;
  }
  fast[w + 3] = frame;
  fast[w + 7] = shape;
  tags[slot] = page;
}

/** Swaps what two ways of a first-level slot hold (`slot` and `other`, indices of _fastTags). */
export function swapWays(t: FirstLevel, slot: number, other: number): void {
  const tags = t._fastTags;
  const fast = t._fast;
  const tag = tags[slot]!;
  tags[slot] = tags[other]!;
  tags[other] = tag;
  for (let i = 0; i < FAST_STRIDE; i++) {
    const x = fast[slot * FAST_STRIDE + i]!;
    fast[slot * FAST_STRIDE + i] = fast[other * FAST_STRIDE + i]!;
    fast[other * FAST_STRIDE + i] = x;
  }
}

/** Empties every slot: what any removal of entries other than by fill must do. */
export function emptyFirstLevel(t: FirstLevel): void {
  t._fastTags.fill(Number.NaN);
  // the tags written so far have another fraction than the next base's (see the top of this file)
  if (t._fastBase < MAX_FAST_BASE) {
    t._fastBase += FAST_GENERATION;
  } else {
    t._fast.fill(Number.NaN);
    t._fastBase = 0;
  }
}

/** Empties way `w` (an index of _fastTags). */
function emptyWay(t: FirstLevel, w: number): void {
  t._fastTags[w] = Number.NaN;
  for (let i = w * FAST_STRIDE; i < (w + 1) * FAST_STRIDE; i++) t._fast[i] = Number.NaN;
}

/** Empties the ways of the 4 KiB pages in the page of 2^pageShift bytes holding (vaLo, vaHi). */
export function dropPages(t: FirstLevel, vaLo: number, vaHi: number, pageShift: number): void {
  const tags = t._fastTags;
  const shift = pageShift < FAST_SHIFT ? FAST_SHIFT : pageShift;
  const first = shift < 32 ? (vaHi >>> 0) * 0x100000 + ((vaLo & (-1 << shift)) >>> FAST_SHIFT) : (vaHi & (-1 << (shift - 32))) * 0x100000;
  const pages = POW2[shift - FAST_SHIFT]!;
  t._dropProbes += Math.min(pages * FAST_WAYS, tags.length);
  if (pages <= tags.length) {
    for (let p = first; p < first + pages; p++) {
      const slot = (p & t._fastMask) * FAST_WAYS;
      for (let w = slot; w < slot + FAST_WAYS; w++) if (tags[w] === p) emptyWay(t, w);
    }
  } else {
    for (let w = 0; w < tags.length; w++) if (tags[w]! >= first && tags[w]! < first + pages) emptyWay(t, w);
  }
}
