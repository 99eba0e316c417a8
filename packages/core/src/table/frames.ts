// Table memory: where a table's tables come from and where they go back. Tables of a frame or more take whole
// frames from the handler (aligned to their size); smaller ones (a 1 KiB ARMv7 L2 table, a 32-byte PAE root) share
// a frame, which goes back when its last table does. Unlinked tables wait for the next flush, after the TLB
// invalidation that makes them unreachable.
import { joinAddr, PAIR, splitAddr } from '../_addr';
import { hex } from '../errors';
import { PhysicalMemory } from '../physical-memory';
import { forget } from '../fast/walk-cache';
import { TABLES_FREED } from './descent';
import { paOk } from './address';
import { FRAME_BYTES, FRAME_WORDS } from './geometry';
import type { PageTable64 } from './page-table';

// PhysicalMemory's own allocator methods: a subclass or instance that replaces one goes through the handler API
const PM_ALLOC = PhysicalMemory.prototype.allocFrames;
const PM_FREE = PhysicalMemory.prototype.deallocFrames;

/**
 * Allocates a table for level l, zeroed; returns its word index (its physical address in t._newLo/_newHi), or -1
 * when the handler has no frame.
 */
export function allocTable(t: PageTable64, l: number, op: string): number {
  let i = allocTableAt(t, l, op);
  const c = t._w;
  if (i >= 0 && l > 0 && t._heldLevel < 0 && t._newLo === 0 && t._newHi === 0 && c.newTableLo(0, 0, l - 1) === 0 && c.newTableHi(0, 0, l - 1) === 0) {
    // A link to this table would be all zero and read as an unused entry (a LoongArch directory entry is the bare
    // address, so a table at physical 0): keep that frame aside until destroy, take another.
    t._heldLo = t._newLo;
    t._heldHi = t._newHi;
    t._heldLevel = l;
    i = allocTableAt(t, l, op);
  }
  return i;
}

/** Allocates a zeroed level-l table wherever the handler puts it. */
function allocTableAt(t: PageTable64, l: number, op: string): number {
  const words = t._tableWords[l]!;
  const i =
    words < FRAME_WORDS ? allocSlot(t, words, op) : allocFrames(t, Math.ceil(words / FRAME_WORDS), Math.max(FRAME_BYTES, words * 4), words, op);
  if (i >= 0) {
    // a handler that hands out zeroed frames saves the fill (a cold write of the whole table)
    if (words >= FRAME_WORDS && t.handler.zeroedFrames !== true) t.handler.words.fill(0, i, i + words);
    if (t._attached) t._owned.set(i, { lo: t._newLo, hi: t._newHi, level: l });
  }
  return i;
}

/** `frames` frames from the handler, checked to be usable; their word index, or -1 when it has none. */
function allocFrames(t: PageTable64, frames: number, align: number, words: number, op: string): number {
  const h = t.handler;
  const pm = t._pm;
  // a PhysicalMemory whose allocator is its own (not overridden) hands out a frame number: no bigint per table
  const own = pm !== null && pm.allocFrames === PM_ALLOC && pm.deallocFrames === PM_FREE;
  let f = -1;
  if (own) {
    f = pm._allocFrameNumber(frames, align);
    if (f < 0) return -1;
    pm._frameAddrPair(f);
  } else {
    const pa = h.allocFrames(frames, align);
    if (pa === null) return -1;
    splitAddr(pa, op, 'frame');
  }
  const lo = PAIR[0]!;
  const hi = PAIR[1]!;
  // (a PhysicalMemory's frame f starts at word f * FRAME_WORDS, inside its memory)
  const i = own ? f * FRAME_WORDS : h.wordIndex(lo, hi);
  if (i < 0 || i + words > h.words.length || !paOk(t, lo, hi) || (align <= 0x8000_0000 ? (lo & (align - 1)) !== 0 : lo % align !== 0)) {
    if (own) pm._freeFrameNumber(f, frames);
    else h.deallocFrames(joinAddr(lo, hi), frames);
    throw new RangeError(`${op}: the handler returned frame ${hex(joinAddr(lo, hi))}, which is unaligned, unreachable or too high for ${t.meta.name}`);
  }
  t._newLo = lo;
  t._newHi = hi;
  return i;
}

/** A table of `words` words (less than a frame) in a shared frame; each slot is aligned to the table's size. */
function allocSlot(t: PageTable64, words: number, op: string): number {
  const book = t._slabs;
  const slots = FRAME_WORDS / words;
  // the frames with a free slot of this size, the last listed first: constant time per table (a scan of every
  // frame, with an entry array per frame visited, made ARMv7's 4,096 level-2 tables of W1a cost ~100 bytes per map)
  const open = book._stack(words);
  while (open.length > 0) {
    const at = book._find(open[open.length - 1]!);
    const rows = book._rows;
    // listed when a slot was freed; since then the frame may have been filled again, or given back
    if (at < 0 || rows[at + 3] !== words || rows[at + 4] === slots) {
      open.pop();
      continue;
    }
    // the lowest free slot
    let k = 0;
    while ((rows[at + 5 + (k >>> 5)]! & (1 << (k & 31))) !== 0) k++;
    rows[at + 5 + (k >>> 5)] = rows[at + 5 + (k >>> 5)]! | (1 << (k & 31));
    rows[at + 4] = rows[at + 4]! + 1;
    if (rows[at + 4] === slots) open.pop();
    t._newLo = rows[at + 1]! + k * words * 4;
    t._newHi = rows[at + 2]!;
    return rows[at]! - 1 + k * words;
  }
  const i = allocFrames(t, 1, FRAME_BYTES, FRAME_WORDS, op);
  if (i < 0) return -1;
  if (t.handler.zeroedFrames !== true) t.handler.words.fill(0, i, i + FRAME_WORDS);
  const at = book._add(i, t._newLo, t._newHi, words);
  // slot 0 taken, the others listed
  book._rows[at + 4] = 1;
  book._rows[at + 5] = 1;
  open.push(i);
  return i;
}

/**
 * Returns a level-l table (at physical lo, hi) to the handler, or its slot to its frame. `zeroed`: every entry of the
 * table is zero (a range operation found it empty and unlinked it); where its entries fill the whole table, a
 * PhysicalMemory's frames or slots are then not filled with zeros again.
 */
export function freeTable(t: PageTable64, lo: number, hi: number, l: number, zeroed = false): void {
  forget(t);
  // a descent paused between two entries must not read this table again (see Descent)
  TABLES_FREED[0] = TABLES_FREED[0]! + 1;
  if (t._attached && !t._owned.delete(t.handler.wordIndex(lo, hi))) return; // not ours to free
  const bytes = t.meta.tableBytes[l]!;
  const clear = zeroed && t._tableWords[l] === (1 << t._bits[l]!) * t._ew;
  if (bytes < FRAME_BYTES) {
    const i = t.handler.wordIndex(lo, hi);
    const book = t._slabs;
    // the table's offset in its frame, from its address (frames are aligned to FRAME_BYTES: see allocFrames), and
    // from it the frame's first word
    const off = (lo & (FRAME_BYTES - 1)) >>> 2;
    const at = book._find(i - off);
    if (at < 0) return;
    const words = t._tableWords[l]!;
    if (!clear) t.handler.words.fill(0, i, i + words);
    const rows = book._rows;
    const k = off / words;
    rows[at + 5 + (k >>> 5)] = rows[at + 5 + (k >>> 5)]! & ~(1 << (k & 31));
    const count = rows[at + 4]! - 1;
    rows[at + 4] = count;
    // a full frame gets a free slot: listed for allocSlot (a frame listed twice is skipped once full)
    if (count + 1 === FRAME_WORDS / words) book._stack(words).push(i - off);
    if (count === 0) {
      const frameLo = rows[at + 1]!;
      const frameHi = rows[at + 2]!;
      book._remove(at);
      // the frame's other slots were zeroed when they were freed (or never written)
      dealloc(t, frameLo, frameHi, 1, clear);
    }
    return;
  }
  dealloc(t, lo, hi, Math.ceil(bytes / FRAME_BYTES), clear);
}

/**
 * Gives `count` frames at (lo, hi) back to the handler (by frame number to a PhysicalMemory's own allocator, which
 * leaves them as they are when `zeroed`).
 */
function dealloc(t: PageTable64, lo: number, hi: number, count: number, zeroed = false): void {
  const pm = t._pm;
  if (pm !== null && pm.deallocFrames === PM_FREE) pm._freeFrameNumber(pm.wordIndex(lo, hi) / FRAME_WORDS, count, zeroed);
  else t.handler.deallocFrames(joinAddr(lo, hi), count);
}

/**
 * Frees the listed tables; a handler that throws does not stop the others (the first error is rethrown). `zeroed`:
 * every one is known to hold only zeros (see freeTable).
 */
export function freeTables(t: PageTable64, lo: readonly number[], hi: readonly number[], level: readonly number[], zeroed = false): void {
  let failed: unknown = null;
  for (let k = 0; k < lo.length; k++) {
    try {
      freeTable(t, lo[k]!, hi[k]!, level[k]!, zeroed);
    } catch (err) {
      failed ??= err;
    }
  }
  if (failed !== null) throw failed;
}

/**
 * Queues an unlinked table for freeing at the next flush. Only range operations queue tables, and only tables they
 * found empty (every entry zero): nothing reaches them again before the flush frees them.
 */
export function queueFree(t: PageTable64, lo: number, hi: number, level: number): void {
  t._pendLevel.push(level);
  t._pendLo.push(lo);
  t._pendHi.push(hi);
}

/** Frees the tables queued by {@link queueFree} (after their TLB invalidation was sent). */
export function releasePending(t: PageTable64): void {
  if (t._pendLevel.length === 0) return; // the common case
  // taken off the queue first: a handler that throws leaves nothing queued to be freed twice
  const lo = t._pendLo;
  const hi = t._pendHi;
  const level = t._pendLevel;
  t._pendLo = [];
  t._pendHi = [];
  t._pendLevel = [];
  // every queued table was empty when it was unlinked (queueFree): its frames need no zeroing (W4c's unmapRegion,
  // 2,048 tables freed: 6.4-7.1 -> 5.4-5.6 ns per page on x86_64)
  freeTables(t, lo, hi, level, true);
}

/** Frames the table's tables occupy: whole frames of tables of a frame or more, shared frames, the held frame. */
export function heldFrames(t: PageTable64): number {
  const held = t._heldLevel >= 0 ? t.meta.tableBytes[t._heldLevel]! : 0;
  return t._slabs._size + (held >= FRAME_BYTES ? Math.ceil(held / FRAME_BYTES) : 0);
}
