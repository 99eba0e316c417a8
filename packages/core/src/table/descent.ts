// The one depth-first descent of the cold paths: listing (mappings, walk), counting, freeing (destroy, copyFrom,
// rollback) and the dump walk all go through it. Every present entry of a table tree, in address order, as an
// explicit stack (no recursion, no allocation per entry) that can stop
// between two entries and go on later, after user code has run and perhaps changed the tables.
//
// Two ways to read tables: in place (a table's own memory: the entries are read where they are, and a table entry is
// followed by `follow`), or from copies the caller makes (a dump: `_open(buf, 0)` with the table read out of a paged
// memory, so that the walk is immune to the cache reusing its chunks).
import { OUT } from '../_pairs';
import type { PTEWords } from '../interfaces';

/**
 * Counts the page tables freed anywhere (by any table, in any memory). A descent that stopped between two entries
 * compares it with the count it saw: when a table was freed meanwhile, a table the descent holds may be gone (and
 * its frame reused), so it finds its path again from the top instead of reading it.
 */
export const TABLES_FREED: Float64Array = new Float64Array(1);

/** What {@link Descent._step} reports: the end. */
export const DONE = 0;
/** A present entry: a leaf (`_leaf`) or a table entry, whose table the next step opens (see {@link Descent._open}). */
export const ENTRY = 1;
/** The table a table entry opened is finished (or was not opened: `_opened`); that entry is the current one again. */
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
 * One descent over a table tree. {@link _step} moves to the next event; the current entry's level, index, words
 * and first virtual address (in index space: the low vaMaxBits bits) are then in the public fields. At most
 * `limit` present entries are reported per table (the crate's `walk` limit); the rest of that table is skipped.
 *
 * Between two steps the caller may run anything, table changes included: the next step reads the entries as they
 * are then. An entry already passed is not reported again; a table entry reported and then changed into a leaf or
 * removed is not opened (its EXIT still comes); tables freed meanwhile are never read (see {@link TABLES_FREED}).
 */
export class Descent {
  /** Level of the current entry (0 = root). */
  _level = 0;
  /** Index of the current entry in its table. */
  _index = 0;
  /** The current entry's words. */
  _lo = 0;
  _hi = 0;
  /**
   * First virtual address the current entry covers, in index space, as a number (exact below 2^53; {@link _pair}
   * gives it exactly at any width).
   */
  _va = 0;
  /** Whether the current ENTRY is a leaf (the last level, or a block). */
  _leaf = false;
  /** On EXIT: whether the entry's table was opened (and is now finished); false when it was not. */
  _opened = false;

  private readonly _fmt: DescentFormat;
  private readonly _follow: Follow | null;
  private readonly _top: (() => number) | null;
  private readonly _limit: number;
  /** Per level of open table: its words and where it starts in them, the next and end index, entries reported. */
  private readonly _buf: (Uint32Array | null)[];
  private readonly _off: Int32Array;
  private readonly _at: Int32Array;
  private readonly _end: Int32Array;
  private readonly _seen: Float64Array;
  /** Per level: the table's first address (index space), as a pair and as a number; the bytes one entry covers. */
  private readonly _baseLo: Float64Array;
  private readonly _baseHi: Float64Array;
  private readonly _base: Float64Array;
  protected readonly _size: Float64Array;
  /** Per level: the entry that opened the table one level down (its index and words, as reported). */
  private readonly _opIdx: Int32Array;
  private readonly _opLo: Int32Array;
  private readonly _opHi: Int32Array;
  /** Level of the first table. */
  private _first = 0;
  /** Deepest level whose table is open. */
  private _depth = 0;
  /** Deepest level whose open table is still valid (below it, tables closed by {@link _resync}, never read). */
  private _valid = 0;
  /** The last ENTRY was a table entry: the next step opens its table (or not). */
  private _pending = false;
  /** The caller's own table for the pending entry ({@link _open}), or null. */
  private _given: Uint32Array | null = null;
  private _givenOff = 0;
  private _skipped = false;
  /** The current event is the EXIT of a table that was open (its first address is still in baseLo/baseHi). */
  private _closing = false;
  private _freed: number;

  /**
   * @param fmt the format.
   * @param follow reads in place: the table an entry points to, in the same words; null when the caller supplies
   *   every table with {@link _open}.
   * @param top with `follow`: the first table's word index, asked again when tables were freed meanwhile.
   * @param limit present entries reported per table at most.
   */
  constructor(fmt: DescentFormat, follow: Follow | null, top: (() => number) | null, limit: number = Number.POSITIVE_INFINITY) {
    this._fmt = fmt;
    this._follow = follow;
    this._top = top;
    this._limit = limit;
    const n = fmt._last + 1;
    this._buf = new Array<Uint32Array | null>(n).fill(null);
    this._off = new Int32Array(n);
    this._at = new Int32Array(n);
    this._end = new Int32Array(n);
    this._seen = new Float64Array(n);
    this._baseLo = new Float64Array(n);
    this._baseHi = new Float64Array(n);
    this._base = new Float64Array(n);
    this._size = Float64Array.from(fmt._shift, (sh) => 2 ** sh);
    this._opIdx = new Int32Array(n);
    this._opLo = new Int32Array(n);
    this._opHi = new Int32Array(n);
    this._freed = TABLES_FREED[0]!;
  }

  /**
   * Starts at the table of `level` that `buf` holds from word `off`, whose first address (index space) is
   * (baseLo, baseHi); `entries` of it are read (default: its level's 2^bits; fewer for a root that a register
   * makes smaller).
   */
  _begin(buf: Uint32Array, off: number, level: number, baseLo = 0, baseHi = 0, entries = -1): this {
    this._first = level;
    this._depth = level;
    this._valid = level;
    this._pending = false;
    this._place(level, buf, off, baseLo, baseHi, entries < 0 ? 2 ** this._fmt._bits[level]! : entries);
    return this;
  }

  /** Does not open the table of the current ENTRY (a table entry): the descent goes on after it, with no EXIT. */
  _skip(): void {
    this._skipped = true;
  }

  /** Opens the current ENTRY's table (a table entry) from the caller's own copy of it, at `buf[off]`. */
  _open(buf: Uint32Array, off: number): void {
    this._given = buf;
    this._givenOff = off;
  }

  /** Moves to the next event: {@link ENTRY}, {@link EXIT} or {@link DONE}. */
  _step(): number {
    const f = this._fmt;
    if (this._follow !== null && this._freed !== TABLES_FREED[0]) this._resync();
    if (this._pending && !this._openPending()) return EXIT;
    const c = f._w;
    const ew = f._ew;
    for (;;) {
      const l = this._depth;
      const b = this._buf[l]!;
      const off = this._off[l]!;
      const end = this._end[l]!;
      let i = this._at[l]!;
      // the next present entry of this table (the per-entry path of a listing: kept to loads and tests)
      while (i < end && this._seen[l]! < this._limit) {
        const e = off + i * ew;
        const lo = b[e]!;
        const hi = ew === 2 ? b[e + 1]! : 0;
        i++;
        if ((lo === 0 && hi === 0) || !c.isPresent(lo, hi, l)) continue;
        this._at[l] = i;
        this._seen[l] = this._seen[l]! + 1;
        this._level = l;
        this._index = i - 1;
        this._lo = lo;
        this._hi = hi;
        this._va = this._base[l]! + (i - 1) * this._size[l]!;
        this._leaf = l === f._last || c.isHuge(lo, hi, l);
        this._pending = !this._leaf;
        this._closing = false;
        return ENTRY;
      }
      this._at[l] = i;
      if (l === this._first) return DONE;
      // back to the entry that opened this table
      const p = l - 1;
      this._depth = p;
      if (this._valid > p) this._valid = p;
      this._level = p;
      this._index = this._opIdx[p]!;
      this._lo = this._opLo[p]!;
      this._hi = this._opHi[p]!;
      this._va = this._base[l]!;
      this._leaf = false;
      this._opened = true;
      this._closing = true;
      return EXIT;
    }
  }

  /**
   * How many entries after the current ENTRY its table may still report: up to the table's end (or the end of the
   * range a clipped descent keeps), within the per-table limit. A caller that reads them itself ({@link _passed})
   * reads no further.
   */
  _remaining(): number {
    const l = this._level;
    return Math.min(this._end[l]! - this._at[l]!, this._limit - this._seen[l]!);
  }

  /**
   * The caller has read the `n` entries after the current ENTRY (a leaf) itself, out of the table it gave
   * ({@link _begin}, {@link _open}), and found them present leaves: they count as reported, and the last of them
   * becomes the current ENTRY. `n` is at most {@link _remaining}.
   */
  _passed(n: number): void {
    const l = this._level;
    const i = this._index + n;
    const b = this._buf[l]!;
    const e = this._off[l]! + i * this._fmt._ew;
    this._at[l] = i + 1;
    this._seen[l] = this._seen[l]! + n;
    this._index = i;
    this._lo = b[e]!;
    this._hi = this._fmt._ew === 2 ? b[e + 1]! : 0;
    this._va = this._base[l]! + i * this._size[l]!;
  }

  /** The current entry's first address (index space), exactly, into OUT: (lo, hi). */
  _pair(): void {
    const l = this._level;
    // the entry of an EXIT that closed its table: the address that table starts at
    if (this._closing) {
      OUT[0] = this._baseLo[l + 1]!;
      OUT[1] = this._baseHi[l + 1]!;
      return;
    }
    const v = this._index * this._size[l]!;
    const vHi = Math.floor(v / 4294967296);
    let lo = this._baseLo[l]! + (v - vHi * 4294967296);
    let hi = this._baseHi[l]! + vHi;
    if (lo >= 4294967296) {
      lo -= 4294967296;
      hi += 1;
    }
    OUT[0] = lo;
    OUT[1] = hi;
  }

  /**
   * Opens the table of the table entry reported last (pending): the caller's copy ({@link _open}), or the table the
   * entry points to now (in place); false, for an EXIT with `_opened` false, when it is not opened.
   */
  private _openPending(): boolean {
    const f = this._fmt;
    const c = f._w;
    const ew = f._ew;
    this._pending = false;
    const l = this._level;
    let buf: Uint32Array | null = null;
    let off = -1;
    if (this._skipped) {
      this._skipped = false;
      this._given = null;
      return true;
    }
    if (this._given !== null) {
      buf = this._given;
      off = this._givenOff;
      this._given = null;
    } else if (this._follow !== null && l <= this._valid) {
      // the entry as it is now: it may have been removed or made a leaf since it was reported
      const b = this._buf[l]!;
      const e = this._off[l]! + this._index * ew;
      const lo = b[e]!;
      const hi = ew === 2 ? b[e + 1]! : 0;
      if (c.isPresent(lo, hi, l) && !c.isHuge(lo, hi, l)) {
        off = this._follow(lo, hi, l);
        buf = b;
      }
    }
    if (buf === null || off < 0) {
      this._opened = false;
      this._closing = false;
      return false;
    }
    this._opIdx[l] = this._index;
    this._opLo[l] = this._lo;
    this._opHi[l] = this._hi;
    this._pair();
    const d = l + 1;
    this._depth = d;
    this._valid = d;
    this._place(d, buf, off, OUT[0]!, OUT[1]!, 2 ** f._bits[d]!);
    return true;
  }

  /** Sets up the table of level l: where it is, its first address, and its index range ({@link _bounds}). */
  private _place(l: number, buf: Uint32Array, off: number, baseLo: number, baseHi: number, entries: number): void {
    this._buf[l] = buf;
    this._off[l] = off;
    this._seen[l] = 0;
    this._baseLo[l] = baseLo;
    this._baseHi[l] = baseHi;
    this._base[l] = baseHi * 4294967296 + baseLo;
    this._at[l] = 0;
    this._end[l] = entries;
    this._bounds(l, baseLo, baseHi);
  }

  /**
   * Narrows the index range [at[l], end[l]) of the level-l table just placed, whose first address is (baseLo, baseHi):
   * nothing here; a descent clipped to an address range does it (inspect/format.ts).
   */
  protected _bounds(_l: number, _baseLo: number, _baseHi: number): void {}

  /** The index range of the level-l table: first index and end (for {@link _bounds}). */
  protected _setBounds(l: number, first: number, end: number): void {
    this._at[l] = first;
    this._end[l] = end;
  }

  /** The end index of the level-l table (for {@link _bounds}). */
  protected _endOf(l: number): number {
    return this._end[l]!;
  }

  /**
   * A table was freed since the last step: finds each open table again from the top, through the entries that
   * opened them. Where such an entry no longer leads to a table, the tables below it are closed (each still gets
   * its EXIT, without being read again).
   */
  private _resync(): void {
    const f = this._fmt;
    const c = f._w;
    const ew = f._ew;
    this._freed = TABLES_FREED[0]!;
    this._off[this._first] = this._top!();
    for (let l = this._first; l < this._depth; l++) {
      const b = this._buf[l]!;
      const e = this._off[l]! + this._opIdx[l]! * ew;
      const lo = b[e]!;
      const hi = ew === 2 ? b[e + 1]! : 0;
      const t = c.isPresent(lo, hi, l) && !c.isHuge(lo, hi, l) ? this._follow!(lo, hi, l) : -1;
      if (t < 0) {
        // close every table below level l: each is reported finished in turn, none is read
        for (let k = l + 1; k <= this._depth; k++) this._at[k] = this._end[k]!;
        this._valid = l;
        return;
      }
      this._off[l + 1] = t;
    }
    this._valid = this._depth;
  }
}
