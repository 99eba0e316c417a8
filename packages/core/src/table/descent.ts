// The one depth-first descent of the cold paths: listing (mappings, walk), counting, freeing (destroy, copyFrom,
// rollback) and the dump walk all go through it. Every present entry of a table tree, in address order, as an
// explicit stack (no recursion, no allocation per entry) that can stop
// between two entries and go on later, after user code has run and perhaps changed the tables.
//
// Two ways to read tables: in place (a table's own memory: the entries are read where they are, and a table entry is
// followed by `follow`), or from copies the caller makes (a dump: `open(buf, 0)` with the table read out of a paged
// memory, so that the walk is immune to the cache reusing its chunks).
import { OUT } from '../_pairs';
import type { PTEWords } from '../interfaces';

/**
 * Counts the page tables freed anywhere (by any table, in any memory). A descent that stopped between two entries
 * compares it with the count it saw: when a table was freed meanwhile, a table the descent holds may be gone (and
 * its frame reused), so it finds its path again from the top instead of reading it.
 */
export const TABLES_FREED: Float64Array = new Float64Array(1);

/** What {@link Descent.step} reports: the end. */
export const DONE = 0;
/** A present entry: a leaf (`leaf`) or a table entry, whose table the next step opens (see {@link Descent.open}). */
export const ENTRY = 1;
/** The table a table entry opened is finished (or was not opened: `opened`); that entry is the current one again. */
export const EXIT = 2;

/** What a descent needs to know of a format (a PageTable64 has these). */
export interface DescentFormat {
  readonly _w: PTEWords;
  /** u32 words per entry. */
  readonly _ew: number;
  readonly _last: number;
  readonly _bits: Int32Array;
  readonly _shift: Int32Array;
  /** log2 of the entries of a run per level (0: none), and the codec's hint masks (0 without runs). */
  readonly _runBits: Int32Array;
  readonly _runLo: number;
  readonly _runHi: number;
}

/** The word index of the table a present table entry (lo, hi) at level l points to, in the memory read, or -1. */
export type Follow = (lo: number, hi: number, l: number) => number;

/**
 * One descent over a table tree. {@link step} moves to the next event; the current entry's level, index, words
 * and first virtual address (in index space: the low vaMaxBits bits) are then in the public fields. At most
 * `limit` present entries are reported per table (the crate's `walk` limit); the rest of that table is skipped.
 *
 * Between two steps the caller may run anything, table changes included: the next step reads the entries as they
 * are then. An entry already passed is not reported again; a table entry reported and then changed into a leaf or
 * removed is not opened (its EXIT still comes); tables freed meanwhile are never read (see {@link TABLES_FREED}).
 */
export class Descent {
  /** Level of the current entry (0 = root). */
  level = 0;
  /** Index of the current entry in its table. */
  index = 0;
  /** The current entry's words. */
  lo = 0;
  hi = 0;
  /**
   * First virtual address the current entry covers, in index space, as a number (exact below 2^53; {@link pair}
   * gives it exactly at any width).
   */
  va = 0;
  /** Whether the current ENTRY is a leaf (the last level, or a block). */
  leaf = false;
  /** On EXIT: whether the entry's table was opened (and is now finished); false when it was not. */
  opened = false;

  private readonly fmt: DescentFormat;
  private readonly follow: Follow | null;
  private readonly top: (() => number) | null;
  private readonly limit: number;
  /** Per level of open table: its words and where it starts in them, the next and end index, entries reported. */
  private readonly buf: (Uint32Array | null)[];
  private readonly off: Int32Array;
  private readonly at: Int32Array;
  private readonly end: Int32Array;
  private readonly seen: Float64Array;
  /** Per level: the table's first address (index space), as a pair and as a number; the bytes one entry covers. */
  private readonly baseLo: Float64Array;
  private readonly baseHi: Float64Array;
  private readonly base: Float64Array;
  protected readonly size: Float64Array;
  /** Per level: the entry that opened the table one level down (its index and words, as reported). */
  private readonly opIdx: Int32Array;
  private readonly opLo: Int32Array;
  private readonly opHi: Int32Array;
  /** Level of the first table. */
  private first = 0;
  /** Deepest level whose table is open. */
  private depth = 0;
  /** Deepest level whose open table is still valid (below it, tables closed by {@link resync}, never read). */
  private valid = 0;
  /** The last ENTRY was a table entry: the next step opens its table (or not). */
  private pending = false;
  /** The caller's own table for the pending entry ({@link open}), or null. */
  private given: Uint32Array | null = null;
  private givenOff = 0;
  private skipped = false;
  /** The current event is the EXIT of a table that was open (its first address is still in baseLo/baseHi). */
  private closing = false;
  private freed: number;

  /**
   * @param fmt the format.
   * @param follow reads in place: the table an entry points to, in the same words; null when the caller supplies
   *   every table with {@link open}.
   * @param top with `follow`: the first table's word index, asked again when tables were freed meanwhile.
   * @param limit present entries reported per table at most.
   */
  constructor(fmt: DescentFormat, follow: Follow | null, top: (() => number) | null, limit: number = Number.POSITIVE_INFINITY) {
    this.fmt = fmt;
    this.follow = follow;
    this.top = top;
    this.limit = limit;
    const n = fmt._last + 1;
    this.buf = new Array<Uint32Array | null>(n).fill(null);
    this.off = new Int32Array(n);
    this.at = new Int32Array(n);
    this.end = new Int32Array(n);
    this.seen = new Float64Array(n);
    this.baseLo = new Float64Array(n);
    this.baseHi = new Float64Array(n);
    this.base = new Float64Array(n);
    this.size = Float64Array.from(fmt._shift, (sh) => 2 ** sh);
    this.opIdx = new Int32Array(n);
    this.opLo = new Int32Array(n);
    this.opHi = new Int32Array(n);
    this.freed = TABLES_FREED[0]!;
  }

  /**
   * Starts at the table of `level` that `buf` holds from word `off`, whose first address (index space) is
   * (baseLo, baseHi); `entries` of it are read (default: its level's 2^bits; fewer for a root that a register
   * makes smaller).
   */
  begin(buf: Uint32Array, off: number, level: number, baseLo = 0, baseHi = 0, entries = -1): this {
    this.first = level;
    this.depth = level;
    this.valid = level;
    this.pending = false;
    this.place(level, buf, off, baseLo, baseHi, entries < 0 ? 2 ** this.fmt._bits[level]! : entries);
    return this;
  }

  /** Does not open the table of the current ENTRY (a table entry): the descent goes on after it, with no EXIT. */
  skip(): void {
    this.skipped = true;
  }

  /** Opens the current ENTRY's table (a table entry) from the caller's own copy of it, at `buf[off]`. */
  open(buf: Uint32Array, off: number): void {
    this.given = buf;
    this.givenOff = off;
  }

  /** Moves to the next event: {@link ENTRY}, {@link EXIT} or {@link DONE}. */
  step(): number {
    const f = this.fmt;
    if (this.follow !== null && this.freed !== TABLES_FREED[0]) this.resync();
    if (this.pending && !this.openPending()) return EXIT;
    const c = f._w;
    const ew = f._ew;
    for (;;) {
      const l = this.depth;
      const b = this.buf[l]!;
      const off = this.off[l]!;
      const end = this.end[l]!;
      let i = this.at[l]!;
      // the next present entry of this table (the per-entry path of a listing: kept to loads and tests)
      while (i < end && this.seen[l]! < this.limit) {
        const e = off + i * ew;
        const lo = b[e]!;
        const hi = ew === 2 ? b[e + 1]! : 0;
        i++;
        if ((lo === 0 && hi === 0) || !c.isPresent(lo, hi, l)) continue;
        this.at[l] = i;
        this.seen[l] = this.seen[l]! + 1;
        this.level = l;
        this.index = i - 1;
        this.lo = lo;
        this.hi = hi;
        this.va = this.base[l]! + (i - 1) * this.size[l]!;
        this.leaf = l === f._last || c.isHuge(lo, hi, l);
        this.pending = !this.leaf;
        this.closing = false;
        return ENTRY;
      }
      this.at[l] = i;
      if (l === this.first) return DONE;
      // back to the entry that opened this table
      const p = l - 1;
      this.depth = p;
      if (this.valid > p) this.valid = p;
      this.level = p;
      this.index = this.opIdx[p]!;
      this.lo = this.opLo[p]!;
      this.hi = this.opHi[p]!;
      this.va = this.base[l]!;
      this.leaf = false;
      this.opened = true;
      this.closing = true;
      return EXIT;
    }
  }

  /**
   * How many entries after the current ENTRY its table may still report: up to the table's end (or the end of the
   * range a clipped descent keeps), within the per-table limit. A caller that reads them itself ({@link passed})
   * reads no further.
   */
  remaining(): number {
    const l = this.level;
    return Math.min(this.end[l]! - this.at[l]!, this.limit - this.seen[l]!);
  }

  /**
   * The caller has read the `n` entries after the current ENTRY (a leaf) itself, out of the table it gave
   * ({@link begin}, {@link open}), and found them present leaves: they count as reported, and the last of them
   * becomes the current ENTRY. `n` is at most {@link remaining}.
   */
  passed(n: number): void {
    const l = this.level;
    const i = this.index + n;
    const b = this.buf[l]!;
    const e = this.off[l]! + i * this.fmt._ew;
    this.at[l] = i + 1;
    this.seen[l] = this.seen[l]! + n;
    this.index = i;
    this.lo = b[e]!;
    this.hi = this.fmt._ew === 2 ? b[e + 1]! : 0;
    this.va = this.base[l]! + i * this.size[l]!;
  }

  /** The current entry's first address (index space), exactly, into OUT: (lo, hi). */
  pair(): void {
    const l = this.level;
    // the entry of an EXIT that closed its table: the address that table starts at
    if (this.closing) {
      OUT[0] = this.baseLo[l + 1]!;
      OUT[1] = this.baseHi[l + 1]!;
      return;
    }
    const v = this.index * this.size[l]!;
    const vHi = Math.floor(v / 4294967296);
    let lo = this.baseLo[l]! + (v - vHi * 4294967296);
    let hi = this.baseHi[l]! + vHi;
    if (lo >= 4294967296) {
      lo -= 4294967296;
      hi += 1;
    }
    OUT[0] = lo;
    OUT[1] = hi;
  }

  /**
   * Opens the table of the table entry reported last (pending): the caller's copy ({@link open}), or the table the
   * entry points to now (in place); false, for an EXIT with `opened` false, when it is not opened.
   */
  private openPending(): boolean {
    const f = this.fmt;
    const c = f._w;
    const ew = f._ew;
    this.pending = false;
    const l = this.level;
    let buf: Uint32Array | null = null;
    let off = -1;
    if (this.skipped) {
      this.skipped = false;
      this.given = null;
      return true;
    }
    if (this.given !== null) {
      buf = this.given;
      off = this.givenOff;
      this.given = null;
    } else if (this.follow !== null && l <= this.valid) {
      // the entry as it is now: it may have been removed or made a leaf since it was reported
      const b = this.buf[l]!;
      const e = this.off[l]! + this.index * ew;
      const lo = b[e]!;
      const hi = ew === 2 ? b[e + 1]! : 0;
      if (c.isPresent(lo, hi, l) && !c.isHuge(lo, hi, l)) {
        off = this.follow(lo, hi, l);
        buf = b;
      }
    }
    if (buf === null || off < 0) {
      this.opened = false;
      this.closing = false;
      return false;
    }
    this.opIdx[l] = this.index;
    this.opLo[l] = this.lo;
    this.opHi[l] = this.hi;
    this.pair();
    const d = l + 1;
    this.depth = d;
    this.valid = d;
    this.place(d, buf, off, OUT[0]!, OUT[1]!, 2 ** f._bits[d]!);
    return true;
  }

  /** Sets up the table of level l: where it is, its first address, and its index range ({@link bounds}). */
  private place(l: number, buf: Uint32Array, off: number, baseLo: number, baseHi: number, entries: number): void {
    this.buf[l] = buf;
    this.off[l] = off;
    this.seen[l] = 0;
    this.baseLo[l] = baseLo;
    this.baseHi[l] = baseHi;
    this.base[l] = baseHi * 4294967296 + baseLo;
    this.at[l] = 0;
    this.end[l] = entries;
    this.bounds(l, baseLo, baseHi);
  }

  /**
   * Narrows the index range [at[l], end[l]) of the level-l table just placed, whose first address is (baseLo, baseHi):
   * nothing here; a descent clipped to an address range does it (inspect/format.ts).
   */
  protected bounds(_l: number, _baseLo: number, _baseHi: number): void {}

  /** The index range of the level-l table: first index and end (for {@link bounds}). */
  protected setBounds(l: number, first: number, end: number): void {
    this.at[l] = first;
    this.end[l] = end;
  }

  /** The end index of the level-l table (for {@link bounds}). */
  protected endOf(l: number): number {
    return this.end[l]!;
  }

  /**
   * A table was freed since the last step: finds each open table again from the top, through the entries that
   * opened them. Where such an entry no longer leads to a table, the tables below it are closed (each still gets
   * its EXIT, without being read again).
   */
  private resync(): void {
    const f = this.fmt;
    const c = f._w;
    const ew = f._ew;
    this.freed = TABLES_FREED[0]!;
    this.off[this.first] = this.top!();
    for (let l = this.first; l < this.depth; l++) {
      const b = this.buf[l]!;
      const e = this.off[l]! + this.opIdx[l]! * ew;
      const lo = b[e]!;
      const hi = ew === 2 ? b[e + 1]! : 0;
      const t = c.isPresent(lo, hi, l) && !c.isHuge(lo, hi, l) ? this.follow!(lo, hi, l) : -1;
      if (t < 0) {
        // close every table below level l: each is reported finished in turn, none is read
        for (let k = l + 1; k <= this.depth; k++) this.at[k] = this.end[k]!;
        this.valid = l;
        return;
      }
      this.off[l + 1] = t;
    }
    this.valid = this.depth;
  }
}
