// A read-side PagingHandler for memory the library did not allocate and does not hold: a memory dump on disk,
// a remote target, a sparse set of RAM ranges. Chunks are paged in on demand from a reader callback into a
// small cache; nothing outside the declared ranges is ever asked of the reader.
import { joinAddr, PAIR, splitAddr, toBigAddr } from '../_addr';
import { hex } from '../errors';
import type { AddrInput, PagingHandler, PhysAddr } from '../interfaces';

const FRAME_SHIFT = 12;
/** 2^(32 - FRAME_SHIFT): frames per 4 GiB, to turn (lo, hi) into a frame number (a literal, which bundles can drop). */
const FRAMES_PER_HI = 0x10_0000;

/** One range of physical memory that exists (RAM in a dump: a raw image, an ELF PT_LOAD segment). */
export interface PagedRange {
  /** Physical address of its first byte. */
  readonly base: AddrInput;
  /** Bytes. */
  readonly size: AddrInput;
}

/** A range of a {@link PagedMemory} as it keeps it: [base, end). */
export interface PagedSpan {
  /** Physical address of the first byte. */
  readonly base: PhysAddr;
  /** Physical address one past the last byte. */
  readonly end: PhysAddr;
}

/** Options of {@link PagedMemory}. */
export interface PagedMemoryOptions {
  /** The physical ranges that exist, in any order, not overlapping. Nothing outside them is ever read. */
  readonly ranges: readonly PagedRange[];
  /**
   * Fills `into` with the bytes of physical memory starting at `paddr`. The bytes always lie inside
   * `ranges[range]`; the call is synchronous (a positioned file read, a copy out of an ArrayBuffer).
   */
  readonly read: (paddr: PhysAddr, into: Uint8Array, range: number) => void;
  /**
   * Bytes paged in at a time: a power of two from 4096 to 1 MiB (default 4096). A table is read at the word
   * index of its first byte, so every table must lie inside one chunk: use 16384 for ARMv7, whose first-level
   * table is 16 KiB (aligned to its size, so an aligned chunk of that size always holds it whole), and the root's
   * size for an AArch64 stage 2 root of concatenated tables (up to 1 MiB).
   */
  readonly chunkBytes?: number;
  /** Chunks kept in the cache (default 64, at least 2); the least recently used one is replaced. */
  readonly cacheChunks?: number;
}

/** Counters of a {@link PagedMemory}, for progress reports and tests. */
export interface PagedMemoryStats {
  /** Calls of the reader. */
  reads: number;
  /** Bytes the reader was asked for. */
  bytesRead: number;
  /** wordIndex calls answered from the cache. */
  hits: number;
  /** wordIndex calls that paged a chunk in. */
  misses: number;
  /** Chunks dropped from the cache to make room. */
  evictions: number;
}

/**
 * A {@link PagingHandler} over memory that is read on demand: `wordIndex` pages the chunk holding an address
 * in from the `read` callback into a fixed cache (`words`) and returns the index there. It allocates no
 * frames (`allocFrames` returns null), so tables attached to it are read-only in practice.
 *
 * Word indices stay valid until `cacheChunks - 1` other chunks have been paged in. The dump functions
 * ({@link dumpMappings}, {@link translateAddress}) copy each table out as soon as they locate it and work
 * with any cache size. `PageTable64`'s own query/walk/mappings keep the root's index (and a walk cache) across
 * calls: use them on a PagedMemory only when the cache holds every chunk they touch (`stats.evictions` stays 0).
 *
 * @example
 * const image = new Uint8Array(await file.arrayBuffer());           // or positioned reads of a file
 * const memory = new PagedMemory({
 *   ranges: [{ base: 0x8000_0000n, size: image.length }],
 *   read: (pa, into) => into.set(image.subarray(Number(pa - 0x8000_0000n), Number(pa - 0x8000_0000n) + into.length)),
 * });
 * for (const run of dumpMappings({ meta: Sv39MetaData, pte: Rv64PTE, handler: memory }, { roots })) ...
 */
export class PagedMemory implements PagingHandler {
  /** The cache, `cacheChunks` chunks of `chunkBytes` bytes, as u32 words. */
  readonly words: Uint32Array;
  /** Bytes per chunk. */
  readonly chunkBytes: number;
  /** Chunks the cache holds. */
  readonly cacheChunks: number;
  /** The ranges, sorted by address, as [base, end) bigints. */
  readonly ranges: readonly PagedSpan[];
  /** Counters since construction. */
  readonly stats: PagedMemoryStats = { reads: 0, bytesRead: 0, hits: 0, misses: 0, evictions: 0 };

  /** @internal */ private readonly read: PagedMemoryOptions['read'];
  /** @internal */ private readonly u8: Uint8Array;
  /** @internal Frames (4 KiB) per chunk, and its log2. */
  private readonly fpc: number;
  /** @internal */ private readonly chunkShift: number;
  /** @internal First frame and one-past-last frame of each range (partial frames included), sorted. */
  private readonly fStart: Float64Array;
  /** @internal */ private readonly fEnd: Float64Array;
  /** @internal Index in `options.ranges` of each sorted range (what the reader is told). */
  private readonly order: Int32Array;
  /** @internal chunk number -> slot */
  private readonly slotOf: Map<number, number> = new Map();
  /** @internal slot -> chunk number (-1: free) */
  private readonly chunkIn: Float64Array;
  /** @internal slot * frames per chunk + frame -> 1 where some range covers that frame of the chunk */
  private readonly cover: Uint8Array;
  /** @internal slot -> last use (for LRU) */
  private readonly lastUse: Float64Array;
  /** @internal */ private tick = 0;

  /**
   * @throws RangeError when a range is empty, runs past 2^64 or overlaps another, or when `chunkBytes` /
   *   `cacheChunks` are out of bounds; TypeError when `read` is not a function.
   */
  constructor(options: PagedMemoryOptions) {
    if (typeof options.read !== 'function') throw new TypeError('PagedMemory: "read" must be a function');
    const chunkBytes = options.chunkBytes ?? 4096;
    if (!Number.isInteger(chunkBytes) || chunkBytes < 4096 || chunkBytes > 1 << 20 || (chunkBytes & (chunkBytes - 1)) !== 0) {
      throw new RangeError(`PagedMemory: chunkBytes ${chunkBytes} is not a power of two in 4096..1048576`);
    }
    const cacheChunks = options.cacheChunks ?? 64;
    if (!Number.isInteger(cacheChunks) || cacheChunks < 2 || cacheChunks * chunkBytes > 1 << 30) {
      throw new RangeError(`PagedMemory: cacheChunks ${cacheChunks} is not an integer in 2..${(1 << 30) / chunkBytes}`);
    }
    this.chunkBytes = chunkBytes;
    this.cacheChunks = cacheChunks;
    this.chunkShift = Math.log2(chunkBytes);
    this.fpc = chunkBytes >>> FRAME_SHIFT;
    this.read = options.read;
    const list = options.ranges.map((r, i) => {
      const base = toBigAddr(r.base, 'PagedMemory', 'base');
      const size = toBigAddr(r.size, 'PagedMemory', 'size');
      if (size === 0n) throw new RangeError(`PagedMemory: range ${i} at ${hex(base)} is empty`);
      if (base + size > 1n << 64n) throw new RangeError(`PagedMemory: range ${i} at ${hex(base)} runs past 2^64`);
      return { base, end: base + size, i };
    });
    list.sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
    for (let k = 1; k < list.length; k++) {
      if (list[k]!.base < list[k - 1]!.end) {
        throw new RangeError(`PagedMemory: ranges at ${hex(list[k - 1]!.base)} and ${hex(list[k]!.base)} overlap`);
      }
    }
    this.ranges = Object.freeze(list.map((r) => Object.freeze({ base: r.base, end: r.end })));
    this.order = Int32Array.from(list.map((r) => r.i));
    // frame numbers are below 2^52: exact as doubles
    this.fStart = Float64Array.from(list.map((r) => Number(r.base >> 12n)));
    this.fEnd = Float64Array.from(list.map((r) => Number((r.end + 4095n) >> 12n)));
    this.words = new Uint32Array((cacheChunks * chunkBytes) / 4);
    this.u8 = new Uint8Array(this.words.buffer);
    this.chunkIn = new Float64Array(cacheChunks).fill(-1);
    this.cover = new Uint8Array(cacheChunks * this.fpc);
    this.lastUse = new Float64Array(cacheChunks);
  }

  /** Total bytes of the ranges. */
  get size(): bigint {
    let n = 0n;
    for (const r of this.ranges) n += r.end - r.base;
    return n;
  }

  /** Whether every byte of [paddr, paddr + length) lies in one range. */
  contains(paddr: AddrInput, length: AddrInput): boolean {
    const start = toBigAddr(paddr, 'contains', 'paddr');
    const end = start + toBigAddr(length, 'contains', 'length');
    for (const r of this.ranges) if (start >= r.base && end <= r.end) return true;
    return false;
  }

  /** A PagedMemory never hands out frames: dumps are read, not extended. */
  allocFrames(_count: number, _align: number): PhysAddr | null {
    return null;
  }

  /** @throws RangeError always: no frame of a PagedMemory was ever allocated. */
  deallocFrames(paddr: PhysAddr, _count: number): void {
    throw new RangeError(`deallocFrames: ${hex(paddr)} was not allocated from this PagedMemory`);
  }

  /**
   * Index in `words` of the word at physical (paLo, paHi), paging its chunk in when needed; -1 when no range
   * covers the 4 KiB frame that holds it. Bytes of a covered frame that lie outside every range read as zero.
   */
  wordIndex(paLo: number, paHi: number): number {
    const lo = paLo >>> 0;
    const hi = paHi >>> 0;
    const frame = hi * FRAMES_PER_HI + (lo >>> FRAME_SHIFT);
    const chunk = Math.floor(frame / this.fpc);
    let slot = this.slotOf.get(chunk);
    if (slot === undefined) {
      if (!this.covered(frame)) return -1;
      slot = this.load(chunk);
      this.stats.misses++;
    } else {
      this.stats.hits++;
    }
    this.lastUse[slot] = ++this.tick;
    if (this.cover[slot * this.fpc + frame - chunk * this.fpc] === 0) return -1;
    return (slot * this.chunkBytes + (lo & (this.chunkBytes - 1))) >>> 2;
  }

  /** Reads the little-endian u64 at an 8-byte-aligned physical address, or undefined when it is not backed. */
  readU64(paddr: AddrInput): bigint | undefined {
    splitAddr(paddr, 'readU64', 'paddr');
    const lo = PAIR[0]!;
    const hi = PAIR[1]!;
    if (lo % 8 !== 0) throw new RangeError(`readU64: ${hex(joinAddr(lo, hi))} is not 8-byte aligned`);
    const i = this.wordIndex(lo, hi);
    return i < 0 ? undefined : joinAddr(this.words[i]!, this.words[i + 1]!);
  }

  /** @internal Whether a range covers some byte of the frame. */
  private covered(frame: number): boolean {
    const k = this.firstEndingAfter(frame);
    return k < this.fStart.length && this.fStart[k]! <= frame;
  }

  /** @internal
   * The first range (in address order) that ends after `frame`: a binary search, since the sorted ranges do not
   * overlap and their ends increase too. An ELF core may have tens of thousands of segments; a linear scan per
   * chunk paged in would cost that many steps on every cache miss.
   */
  private firstEndingAfter(frame: number): number {
    let a = 0;
    let b = this.fEnd.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (this.fEnd[m]! <= frame) a = m + 1;
      else b = m;
    }
    return a;
  }

  /** @internal Pages chunk `chunk` into a free or the least recently used slot; returns the slot. */
  private load(chunk: number): number {
    let slot = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (let s = 0; s < this.cacheChunks; s++) {
      if (this.chunkIn[s] === -1) {
        slot = s;
        oldest = -1;
        break;
      }
      if (this.lastUse[s]! < oldest) {
        oldest = this.lastUse[s]!;
        slot = s;
      }
    }
    const old = this.chunkIn[slot]!;
    if (old !== -1) {
      this.slotOf.delete(old);
      this.stats.evictions++;
    }
    const off = slot * this.chunkBytes;
    this.u8.fill(0, off, off + this.chunkBytes);
    const cStart = BigInt(chunk) << BigInt(this.chunkShift);
    const cEnd = cStart + BigInt(this.chunkBytes);
    const firstFrame = chunk * this.fpc;
    const cover = this.cover;
    cover.fill(0, slot * this.fpc, (slot + 1) * this.fpc);
    // install first, so that a reader that throws leaves the slot empty rather than half-described
    this.chunkIn[slot] = -1;
    for (let k = this.firstEndingAfter(firstFrame); k < this.ranges.length && this.fStart[k]! < firstFrame + this.fpc; k++) {
      const r = this.ranges[k]!;
      const s = r.base > cStart ? r.base : cStart;
      const e = r.end < cEnd ? r.end : cEnd;
      if (s >= e) continue;
      const from = off + Number(s - cStart);
      const len = Number(e - s);
      this.read(s, this.u8.subarray(from, from + len), this.order[k]!);
      this.stats.reads++;
      this.stats.bytesRead += len;
      const f0 = Number((s - cStart) >> 12n);
      const f1 = Number((e - cStart + 4095n) >> 12n);
      cover.fill(1, slot * this.fpc + f0, slot * this.fpc + f1);
    }
    this.chunkIn[slot] = chunk;
    this.slotOf.set(chunk, slot);
    return slot;
  }
}

