// A table's whole tree through the one descent (table/descent.ts): listing it, counting it, and gathering its
// tables to free them. The root entries that copyFrom borrowed lead to another table's tables: counting and
// freeing skip them.
import { Descent, DONE, ENTRY, EXIT } from './descent';
import { child, rootIndex } from './find';
import { freeTables } from './frames';
import { FRAME_BYTES } from './geometry';
import type { PageTable64 } from './page-table';

/** A descent over the table's tree, reading its entries in place (they may change between two steps). */
export function tableDescent(t: PageTable64, limit: number = Number.POSITIVE_INFINITY): Descent {
  const top = () => rootIndex(t);
  return new Descent(t, (lo, hi, l) => child(t, lo, hi, l), top, limit)._begin(t.handler.words, top(), 0);
}

/**
 * Calls `each` with every table below the level-`level` table at word index `top` (the root, when level is 0) that
 * this table owns, each after the tables below it (the order they can be freed in): its address and level.
 */
function eachOwnTable(t: PageTable64, top: number, level: number, each: (lo: number, hi: number, level: number) => void): void {
  const c = t._w;
  const d = new Descent(t, (lo, hi, l) => child(t, lo, hi, l), level === 0 ? () => rootIndex(t) : () => top)._begin(t.handler.words, top, level);
  const aboveLast = t._last - 1;
  // tells `each` of the table that the current table entry points to
  const tell = () => each(c.paddrLo(d._lo, d._hi, d._level), c.paddrHi(d._lo, d._hi, d._level), d._level + 1);
  for (let ev = d._step(); ev !== DONE; ev = d._step()) {
    if (ev === ENTRY && !d._leaf) {
      // a root entry borrowed by copyFrom leads to tables another table owns
      if (d._level === 0 && t._borrowed[d._index] === 1) d._skip();
      else if (d._level === aboveLast) {
        // a table of the last level holds leaves only: it is told without a step over each of its entries (destroy
        // of a table of 1,000,000 sequential pages stepped over every one of them, twice the time of mapping them),
        // when it is where a table opened by the descent would be (inside the memory)
        if (child(t, d._lo, d._hi, d._level) >= 0) tell();
        d._skip();
      }
    } else if (ev === EXIT && d._opened) tell();
  }
}

/**
 * Tables this table owns, root included: their number, or (frames) the frames of those of a frame or more (smaller
 * tables share frames, which table/frames.ts counts).
 */
export function countTables(t: PageTable64, frames: boolean): number {
  const size = (l: number): number => {
    const bytes = t.meta.tableBytes[l]!;
    return frames ? (bytes < FRAME_BYTES ? 0 : Math.ceil(bytes / FRAME_BYTES)) : 1;
  };
  let n = size(0);
  eachOwnTable(t, rootIndex(t), 0, (_lo, _hi, l) => {
    n += size(l);
  });
  return n;
}

/** Appends to (lo, hi, level) every table below the root that this table owns, children before their parents. */
export function treeTables(t: PageTable64, lo: number[], hi: number[], level: number[]): void {
  eachOwnTable(t, rootIndex(t), 0, (a, b, l) => {
    lo.push(a);
    hi.push(b);
    level.push(l);
  });
}

/** Frees the table that the present table entry (lo, hi) at level l points to, and every table below it. */
export function freeSubtree(t: PageTable64, lo: number, hi: number, l: number): void {
  const top = child(t, lo, hi, l);
  if (top < 0) return;
  const c = t._w;
  const los: number[] = [];
  const his: number[] = [];
  const levels: number[] = [];
  if (l + 1 < t._last) {
    eachOwnTable(t, top, l + 1, (a, b, lv) => {
      los.push(a);
      his.push(b);
      levels.push(lv);
    });
  }
  los.push(c.paddrLo(lo, hi, l));
  his.push(c.paddrHi(lo, hi, l));
  levels.push(l + 1);
  freeTables(t, los, his, levels);
}
