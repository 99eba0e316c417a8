// The depth-first descent of the cold paths: every present entry of a table tree, in address order, as an explicit
// stack (no recursion, no allocation per entry) that can stop between two entries and go on later, after user code
// has run and perhaps changed the tables.
import { OUT } from './_pairs';
import type { PTEWords } from './interfaces';

/**
 * Counts the page tables freed anywhere (by any table, in any memory). A descent that stopped between two entries
 * compares it with the count it saw: when a table was freed meanwhile, a table the descent holds may be gone (and
 * its frame reused), so it finds its path again from the root instead of reading it.
 */
export const TABLES_FREED: Float64Array = new Float64Array(1);

/** What {@link Descent.step} reports. */
export const DONE = 0;
/** A present entry: a leaf (`leaf`) or a table entry, whose table the next step opens. */
export const ENTRY = 1;
/** The table a table entry opened is finished; the entry (as it was when reported) is the current one again. */
export const EXIT = 2;

/** What a descent needs of a table: its geometry, its memory, and how it follows a table entry. */
export interface DescentSource {
  readonly _w: PTEWords;
  readonly _ew: number;
  readonly _last: number;
  readonly _bits: Int32Array;
  readonly _shift: Int32Array;
  readonly handler: { readonly words: Uint32Array };
  _root(): number;
  _child(lo: number, hi: number, l: number): number;
}

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
  /** First virtual address the current entry covers, in index space. */
  vaLo = 0;
  vaHi = 0;
  /** Whether the current ENTRY is a leaf (the last level, or a block). */
  leaf = false;
  /**
   * On EXIT: whether the entry's table was opened (and is now finished); false when it was not, because the entry
   * points outside memory, or no longer points to a table.
   */
  opened = false;

  private readonly src: DescentSource;
  private readonly limit: number;
  /** Per level of open table: its word index, the next index to read, entries reported, its first address. */
  private readonly tbl: Int32Array;
  private readonly at: Int32Array;
  private readonly seen: Float64Array;
  private readonly baseLo: Float64Array;
  private readonly baseHi: Float64Array;
  /** Per level: the entry that opened the table one level down (its index and words, as reported). */
  private readonly opIdx: Int32Array;
  private readonly opLo: Int32Array;
  private readonly opHi: Int32Array;
  /** Deepest level whose table is open. */
  private depth = 0;
  /** Deepest level whose open table is still valid (below it, tables closed by {@link resync}, never read). */
  private valid = 0;
  /** The last ENTRY was a table entry: the next step opens its table. */
  private pending = false;
  private freed: number;

  constructor(src: DescentSource, limit: number = Number.POSITIVE_INFINITY) {
    this.src = src;
    this.limit = limit;
    const n = src._last + 1;
    this.tbl = new Int32Array(n);
    this.at = new Int32Array(n);
    this.seen = new Float64Array(n);
    this.baseLo = new Float64Array(n);
    this.baseHi = new Float64Array(n);
    this.opIdx = new Int32Array(n);
    this.opLo = new Int32Array(n);
    this.opHi = new Int32Array(n);
    this.tbl[0] = src._root();
    this.freed = TABLES_FREED[0]!;
  }

  /** Moves to the next event: {@link ENTRY}, {@link EXIT} or {@link DONE}. */
  step(): number {
    const s = this.src;
    if (this.freed !== TABLES_FREED[0]) this.resync();
    const w = s.handler.words;
    const c = s._w;
    const ew = s._ew;
    if (this.pending) {
      this.pending = false;
      const l = this.level;
      // the entry as it is now: it may have been removed or made a leaf since it was reported
      let child = -1;
      if (l <= this.valid) {
        const e = this.tbl[l]! + this.index * ew;
        const lo = w[e]!;
        const hi = ew === 2 ? w[e + 1]! : 0;
        if (c.isPresent(lo, hi, l) && !c.isHuge(lo, hi, l)) child = s._child(lo, hi, l);
      }
      if (child < 0) {
        this.opened = false;
        return EXIT;
      }
      this.opIdx[l] = this.index;
      this.opLo[l] = this.lo;
      this.opHi[l] = this.hi;
      const d = l + 1;
      this.depth = d;
      this.valid = d;
      this.tbl[d] = child;
      this.at[d] = 0;
      this.seen[d] = 0;
      this.baseLo[d] = this.vaLo;
      this.baseHi[d] = this.vaHi;
    }
    for (;;) {
      const l = this.depth;
      const i = this.at[l]!;
      if (i >= 1 << s._bits[l]! || this.seen[l]! >= this.limit) {
        if (l === 0) return DONE;
        // back to the entry that opened this table
        const p = l - 1;
        this.depth = p;
        if (this.valid > p) this.valid = p;
        this.level = p;
        this.index = this.opIdx[p]!;
        this.lo = this.opLo[p]!;
        this.hi = this.opHi[p]!;
        this.vaLo = this.baseLo[l]!;
        this.vaHi = this.baseHi[l]!;
        this.leaf = false;
        this.opened = true;
        return EXIT;
      }
      this.at[l] = i + 1;
      const e = this.tbl[l]! + i * ew;
      const lo = w[e]!;
      const hi = ew === 2 ? w[e + 1]! : 0;
      if ((lo === 0 && hi === 0) || !c.isPresent(lo, hi, l)) continue;
      this.seen[l] = this.seen[l]! + 1;
      this.level = l;
      this.index = i;
      this.lo = lo;
      this.hi = hi;
      // first address of entry i: the table's first address + i * 2^shift
      const v = i * 2 ** s._shift[l]!;
      const vHiPart = Math.floor(v / 4294967296);
      OUT[0] = this.baseLo[l]! + (v - vHiPart * 4294967296);
      OUT[1] = this.baseHi[l]! + vHiPart;
      if (OUT[0]! >= 4294967296) {
        OUT[0] = OUT[0]! - 4294967296;
        OUT[1] = OUT[1]! + 1;
      }
      this.vaLo = OUT[0]!;
      this.vaHi = OUT[1]!;
      this.leaf = l === s._last || c.isHuge(lo, hi, l);
      this.pending = !this.leaf;
      return ENTRY;
    }
  }

  /** Does not open the table of the current ENTRY (a table entry): the descent goes on after it, with no EXIT. */
  skip(): void {
    this.pending = false;
  }

  /**
   * A table was freed since the last step: finds each open table again from the root, through the entries that
   * opened them. Where such an entry no longer leads to a table, the tables below it are closed (each still gets
   * its EXIT, without being read again).
   */
  private resync(): void {
    const s = this.src;
    const w = s.handler.words;
    const c = s._w;
    const ew = s._ew;
    this.freed = TABLES_FREED[0]!;
    this.tbl[0] = s._root();
    for (let l = 0; l < this.depth; l++) {
      const e = this.tbl[l]! + this.opIdx[l]! * ew;
      const lo = w[e]!;
      const hi = ew === 2 ? w[e + 1]! : 0;
      const child = c.isPresent(lo, hi, l) && !c.isHuge(lo, hi, l) ? s._child(lo, hi, l) : -1;
      if (child < 0) {
        // close every table below level l: each is reported finished in turn, none is read
        for (let k = l + 1; k <= this.depth; k++) this.at[k] = 1 << s._bits[k]!;
        this.valid = l;
        return;
      }
      this.tbl[l + 1] = child;
    }
    this.valid = this.depth;
  }
}
