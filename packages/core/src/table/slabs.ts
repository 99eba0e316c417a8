// The book-keeping of the frames cut into tables smaller than a frame (an ARMv7 1 KiB level-2 table, a 32-byte PAE
// root), for table/frames.ts: one row of u32 words per frame in a single typed array, found by open addressing on
// the frame's word index (linear probing, deletion by backward shift), and per slot size a stack (an array of
// numbers) of the frames that may have a free slot. No object, Map entry or array per frame: those (a Map entry, an
// object and a Uint8Array) cost ARMv7's sequential maps (bench W1a) 0.34 heap bytes per map, and its random maps
// (W6a) 3.5. The rows double when three quarters are used (a few typed arrays in all, amortized over the frames).
import { FRAME_WORDS } from './geometry';

/** Rows of the first array, made when the table cuts its first frame. */
const FIRST_ROWS = 8;
// the arrays of a table before its first shared frame (never written: replaced when the first frame is recorded)
const NONE = new Uint32Array(0);

/**
 * The frames shared by tables smaller than a frame, of one page table. A row is `_width` u32 words at a multiple of
 * `_width` in `_rows`: [0] the word index of the frame's first word plus 1 (0: a free row; no frame starts at index
 * 2^32 - 1), [1] and [2] the frame's physical address (lo, hi), [3] the words of each slot (the table size the frame
 * is cut into), [4] the slots in use, then a bitmap of those slots (bit k of word 5 + k / 32 for slot k).
 */
export class Slabs {
  /** Frames recorded. */
  _size = 0;
  /** Rows minus 1 (a power of two minus 1; -1 before the first frame), and 32 minus log2 of the rows. */
  _mask = -1;
  _shift = 32;
  _rows: Uint32Array = NONE;
  /** u32 words per row: five, and the bitmap for the most slots any level's tables make of a frame. */
  readonly _width: number;
  /**
   * Per log2 of a slot size (slots are powers of two from one word), a stack of the frames (word indexes) that may
   * have a free slot of that size, pushed when a frame is cut or a slot is freed in a full frame (a stale one is
   * skipped when met).
   */
  private readonly _open: number[][] = [];

  constructor(tableWords: Int32Array) {
    let slots = 0;
    for (const w of tableWords) if (w < FRAME_WORDS) slots = Math.max(slots, FRAME_WORDS / w);
    this._width = 5 + ((slots + 31) >>> 5);
  }

  /** The stack of the frames that may have a free slot of `words` words (a power of two). */
  _stack(words: number): number[] {
    const size = 31 - Math.clz32(words);
    let open = this._open[size];
    if (open === undefined) {
      open = [];
      this._open[size] = open;
    }
    return open;
  }

  /** The offset in `_rows` of the row of the frame at word index `key`, or -1. */
  _find(key: number): number {
    const rows = this._rows;
    const w = this._width;
    for (let r = home(key, this._shift); this._size > 0; r = (r + 1) & this._mask) {
      const k = rows[r * w]!;
      if (k === key + 1) return r * w;
      if (k === 0) break;
    }
    return -1;
  }

  /** Records the frame at word index `key` (not recorded) at (lo, hi), cut into slots of `words` words, none used. */
  _add(key: number, lo: number, hi: number, words: number): number {
    if ((this._size + 1) * 4 > (this._mask + 1) * 3) this._grow();
    const rows = this._rows;
    const w = this._width;
    const at = this._free(key);
    rows.fill(0, at, at + w);
    rows[at] = key + 1;
    rows[at + 1] = lo;
    rows[at + 2] = hi;
    rows[at + 3] = words;
    this._size++;
    return at;
  }

  /**
   * Forgets the row at offset `at`. No tombstone: each later row of its probe run whose home row is not between the
   * hole and itself moves back into the hole, so that every lookup still reaches its row.
   */
  _remove(at: number): void {
    const rows = this._rows;
    const w = this._width;
    const mask = this._mask;
    let hole = at / w;
    for (let j = (hole + 1) & mask; rows[j * w] !== 0; j = (j + 1) & mask) {
      // row j may move to the hole when the hole lies on its probe path, from its home row up to j
      if (((j - home(rows[j * w]! - 1, this._shift)) & mask) >= ((j - hole) & mask)) {
        rows.copyWithin(hole * w, j * w, j * w + w);
        hole = j;
      }
    }
    rows[hole * w] = 0;
    this._size--;
  }

  /** Doubles the rows and puts every frame back at its home. */
  private _grow(): void {
    const old = this._rows;
    const w = this._width;
    const n = this._mask < 0 ? FIRST_ROWS : (this._mask + 1) * 2;
    this._mask = n - 1;
    this._shift = 32 - (31 - Math.clz32(n));
    this._rows = new Uint32Array(n * w);
    for (let at = 0; at < old.length; at += w) {
      if (old[at] === 0) continue;
      const to = this._free(old[at]! - 1);
      // word by word: a subarray per row would be an object per frame (about 150 heap bytes per frame of W1a)
      for (let k = 0; k < w; k++) this._rows[to + k] = old[at + k]!;
    }
  }

  /** The offset of the first free row from the home row of the frame at word index `key`. */
  private _free(key: number): number {
    let r = home(key, this._shift);
    while (this._rows[r * this._width] !== 0) r = (r + 1) & this._mask;
    return r * this._width;
  }
}

/** log2 of FRAME_WORDS: a frame number is a word index >>> FRAME_SHIFT. */
const FRAME_SHIFT = 31 - Math.clz32(FRAME_WORDS);

/**
 * The home row of the frame at word index `key`: Fibonacci hashing of its frame number (a table's frames do not
 * overlap, so no two have the same one), the top bits of the product.
 */
function home(key: number, shift: number): number {
  return Math.imul(key >>> FRAME_SHIFT, 0x9e3779b1) >>> shift;
}
