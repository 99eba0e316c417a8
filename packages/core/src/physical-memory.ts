import { joinAddr, PAIR, splitAddr } from './_addr';
import { hex } from './errors';
import type { AddrInput, PagingHandler, PhysAddr } from './interfaces';

const FRAME = 4096;
const FRAME_WORDS = FRAME >>> 2;
const TWO32 = 4294967296;

/** Options of {@link PhysicalMemory}. */
export interface PhysicalMemoryOptions {
  /** Bytes of RAM, a multiple of 4 KiB below 4 GiB (default 16 MiB). Ignored when `buffer` is given. */
  readonly size?: number;
  /** Physical address of the first byte, 4 KiB-aligned (default 0). */
  readonly base?: AddrInput;
  /**
   * Existing bytes to use as RAM (a multiple of 4 KiB long, e.g. a memory dump); they are not copied. Their
   * frames start out in use, so the allocator hands none of them out until `release()` says so.
   */
  readonly buffer?: ArrayBuffer | Uint8Array;
}

/**
 * The embedded default {@link PagingHandler}: RAM in an ArrayBuffer at a chosen physical base address,
 * and a frame allocator over it that honours count and alignment.
 *
 * Invariant: every free frame is all zero (frames start zeroed and are zero-filled when freed), so a
 * frame handed out and given back unused leaves the memory bytes exactly as they were.
 *
 * @example
 * const mem = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
 * const pa = mem.allocFrames(1, 4096)!;   // 0x80000000n
 * mem.writeU64(pa, 0x1234n);
 * mem.readU64(pa);                        // 0x1234n
 */
export class PhysicalMemory implements PagingHandler {
  /** Physical address of the first byte. */
  readonly base: PhysAddr;
  /** Size in bytes. */
  readonly size: number;
  /** The RAM as u32 words (little-endian entries are two consecutive words). */
  readonly words: Uint32Array;
  /**
   * Frames from {@link allocFrames} are all zero (the invariant above), so page tables skip zeroing the tables
   * they allocate here. Keep it true: write only into frames you allocated (or memory built from a buffer).
   */
  readonly zeroedFrames: boolean = true;
  /** @internal */ private readonly _u8: Uint8Array;
  /** @internal */ private readonly _baseLo: number;
  /** @internal */ private readonly _baseHi: number;
  /** @internal */ private readonly _frameCount: number;
  /** @internal 1 where a frame is allocated. */
  private readonly _used: Uint8Array;
  /** @internal LIFO stack of freed single frames (may hold stale entries, skipped on pop); each frame at most once. */
  private readonly _freeStack: Int32Array;
  /** @internal 1 where a frame is in freeStack. */
  private readonly _stacked: Uint8Array;
  /** @internal */ private _freeTop = 0;
  /** @internal Tables on this memory, told when a write through this API may have changed one of their tables. */
  private readonly _watchers: Set<{ _forget(): void }> = new Set();
  /** @internal Frames at or above `bump` have never been handed out. */
  private _bump = 0;
  /** @internal */ private _inUse = 0;
  /** @internal aligned places _findRun examined, all runs together: a test's measure of its work */
  _runProbes = 0;
  /**
   * @internal Per kind of run (count and alignment, the first MAX_RUN_KINDS seen): the frame from which _findRun
   * starts, below which no aligned place holds a free run of that kind. A place found or found taken stays taken
   * until a frame is freed (allocations only take frames), and _freeFrameNumber lowers the marks that its frames
   * may open: so each search goes on where the last one of its kind ended, and still returns the lowest fit.
   */
  private readonly _runCount: number[] = [];
  /** @internal */ private readonly _runAlign: number[] = [];
  /** @internal */ private readonly _runFrom: number[] = [];
  /** @internal the first aligned frame of each kind (the memory's frame count when there is none) */
  private readonly _runFirst: number[] = [];

  /**
   * Zeroed RAM of `options.size` bytes (default 16 MiB) at physical `options.base` (default 0), or the bytes of
   * `options.buffer` used in place, all of whose frames start out in use.
   * @throws TypeError when the size is not a number.
   * @throws RangeError when the size is not a positive multiple of 4096 below 4 GiB, the base is not 4K-aligned,
   *   the memory would extend past 2^64, or a Uint8Array buffer does not start 4-byte aligned.
   * @throws PagingError 'InvalidAddress' when the base is negative, not an integer, or not below 2^64.
   */
  constructor(options: PhysicalMemoryOptions = {}) {
    const given = options.buffer;
    let buffer: ArrayBuffer;
    let byteOffset = 0;
    if (given instanceof Uint8Array) {
      if (given.byteOffset % 4 !== 0) throw new RangeError('PhysicalMemory: the Uint8Array must start at a 4-byte-aligned offset of its buffer');
      buffer = given.buffer as ArrayBuffer;
      byteOffset = given.byteOffset;
    } else if (given !== undefined) {
      buffer = given;
    } else {
      // checked before the buffer is made: a bad size is this constructor's error, not the engine's
      const want = options.size ?? 16 << 20;
      if (typeof want !== 'number') throw new TypeError(`PhysicalMemory: "size" must be a number, got ${typeof want}`);
      if (!(Number.isInteger(want) && want > 0 && want % FRAME === 0 && want < TWO32)) {
        throw new RangeError(`PhysicalMemory: size ${want} is not a positive multiple of 4096 below 4 GiB`);
      }
      buffer = new ArrayBuffer(want);
    }
    const size = given instanceof Uint8Array ? given.byteLength : buffer.byteLength;
    // below 4 GiB, so that every word index is an unsigned 32-bit integer (tables compute it with >>>)
    if (size === 0 || size % FRAME !== 0 || size >= TWO32) {
      throw new RangeError(`PhysicalMemory: size ${size} is not a positive multiple of 4096 below 4 GiB`);
    }
    splitAddr(options.base ?? 0n, 'PhysicalMemory', 'base');
    this._baseLo = PAIR[0]!;
    this._baseHi = PAIR[1]!;
    if (this._baseLo % FRAME !== 0) throw new RangeError(`PhysicalMemory: base ${hex(joinAddr(this._baseLo, this._baseHi))} is not 4K-aligned`);
    this.base = joinAddr(this._baseLo, this._baseHi);
    if (this.base + BigInt(size) > 1n << 64n) throw new RangeError('PhysicalMemory: memory extends past 2^64');
    this.size = size;
    this.words = new Uint32Array(buffer, byteOffset, size / 4);
    this._u8 = new Uint8Array(buffer, byteOffset, size);
    this._frameCount = size / FRAME;
    this._used = new Uint8Array(this._frameCount);
    this._freeStack = new Int32Array(this._frameCount);
    this._stacked = new Uint8Array(this._frameCount);
    if (given !== undefined) {
      // someone else's bytes: nothing is free until released
      this._used.fill(1);
      this._bump = this._frameCount;
      this._inUse = this._frameCount;
    }
  }

  /**
   * Gives frames back to the allocator (for memory built from an existing buffer). Their bytes are
   * zeroed, as every free frame's are.
   * @throws TypeError when `size` is not a number.
   * @throws RangeError if `size` is not a non-negative integer, or a frame is outside the memory or not in use.
   */
  release(paddr: AddrInput, size: number): void {
    const start = this._frameOf(paddr, 'release');
    const count = Math.ceil(byteCount(size, 'release') / FRAME);
    this.deallocFrames(this._frameAddr(start), count);
  }

  /** Frames currently allocated (for leak checks). */
  get framesInUse(): number {
    return this._inUse;
  }

  /** Frames in the whole memory. */
  get totalFrames(): number {
    return this._frameCount;
  }

  /** Physical address one past the last byte. */
  get end(): PhysAddr {
    return this.base + BigInt(this.size);
  }

  /**
   * `count` contiguous zeroed 4 KiB frames whose start is a multiple of `align` bytes, or null when no such run is
   * free. Single frames come from the most recently freed first.
   * @throws RangeError when `count` is not a positive integer or `align` not a power of two of at least 4096.
   */
  allocFrames(count: number, align: number): PhysAddr | null {
    const f = this._allocFrameNumber(count, align);
    return f < 0 ? null : this._frameAddr(f);
  }

  /**
   * @internal {@link allocFrames} without a bigint (the page tables' path when the method is not overridden): the
   * first frame's number, or -1 when no run is free. Same checks and effects.
   */
  _allocFrameNumber(count: number, align: number): number {
    if (count === 1 && align === FRAME) {
      // one frame (every 4 KiB table): the most recently freed, else the next never handed out
      const f = this._popSingle();
      if (f < 0) return -1;
      this._used[f] = 1;
      if (f === this._bump) this._bump++;
      this._inUse++;
      return f;
    }
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`allocFrames: count ${count} is not a positive integer`);
    if (!Number.isInteger(align) || align < FRAME || (align & (align - 1)) !== 0) {
      throw new RangeError(`allocFrames: align ${align} is not a power of two >= 4096`);
    }
    const f = this._findRun(count, align);
    if (f < 0) return -1;
    const end = f + count;
    for (let i = f; i < end; i++) this._used[i] = 1;
    if (end > this._bump) {
      // frames skipped to reach an alignment become free singles, lowest on top
      for (let i = f - 1; i >= this._bump; i--) this._pushFree(i);
      this._bump = end;
    }
    this._inUse += count;
    return f;
  }

  /**
   * Frees `count` frames from `paddr` and zeroes them.
   * @throws RangeError when a frame is outside the memory or not allocated (nothing is freed then).
   */
  deallocFrames(paddr: PhysAddr, count: number): void {
    this._freeFrameNumber(this._frameOf(paddr, 'deallocFrames'), count);
    this._changed();
  }

  /**
   * @internal {@link deallocFrames} of the frames from number `f` on, without a bigint; same checks and effects.
   * `zeroed`: the caller knows every word of the frames is zero (a table it found empty before unlinking it), so
   * they are not filled again (a fill of 4 KiB out of the cache costs 0.4-0.5 us).
   */
  _freeFrameNumber(f: number, count: number, zeroed = false): void {
    if (!Number.isInteger(count) || count < 1 || f + count > this._frameCount) {
      throw new RangeError(`deallocFrames: ${count} frames at ${hex(this._frameAddr(f))} run past the memory`);
    }
    for (let i = f; i < f + count; i++) {
      if (this._used[i] !== 1) throw new RangeError(`deallocFrames: frame ${hex(this._frameAddr(i))} is not allocated`);
    }
    for (let i = f; i < f + count; i++) {
      this._used[i] = 0;
      if (!zeroed) this.words.fill(0, i * FRAME_WORDS, (i + 1) * FRAME_WORDS);
      this._pushFree(i);
    }
    this._inUse -= count;
    // a run of kind k that now fits includes frame f or one after it: it starts at f - count_k + 1 or above
    for (let k = 0; k < this._runFrom.length; k++) {
      const from = alignedFrom(Math.max(0, f - this._runCount[k]! + 1), this._runFirst[k]!, this._runAlign[k]! / FRAME);
      if (from < this._runFrom[k]!) this._runFrom[k] = from;
    }
  }

  /** @internal the physical address of frame number `f`, written to PAIR as (lo, hi) */
  _frameAddrPair(f: number): void {
    // below 2^33 (both terms are below 2^32): at most one carry, taken without a floating-point remainder
    const lo = this._baseLo + f * FRAME;
    const carry = lo >= 4294967296 ? 1 : 0;
    PAIR[0] = lo - carry * 4294967296;
    PAIR[1] = this._baseHi + carry;
  }

  /**
   * Marks frames as in use so the allocator never hands them out (for code or data placed by hand).
   * @throws TypeError when `size` is not a number.
   * @throws RangeError if `size` is not a non-negative integer, or a frame is outside the memory or already allocated.
   */
  reserve(paddr: AddrInput, size: number): void {
    const start = this._frameOf(paddr, 'reserve');
    const count = Math.ceil(byteCount(size, 'reserve') / FRAME);
    if (start + count > this._frameCount) throw new RangeError('reserve: range runs past the memory');
    for (let i = start; i < start + count; i++) {
      if (this._used[i] === 1) throw new RangeError(`reserve: frame ${hex(this._frameAddr(i))} is already allocated`);
    }
    for (let i = start; i < start + count; i++) this._used[i] = 1;
    if (start + count > this._bump) {
      for (let i = start - 1; i >= this._bump; i--) this._pushFree(i);
      this._bump = start + count;
    }
    this._inUse += count;
  }

  /** Index in {@link words} of the word at physical address (paLo, paHi), or -1 outside the memory. */
  wordIndex(paLo: number, paHi: number): number {
    // the same offset as below without the high word's product when it is the base's (every table read of the MMU
    // models comes here: a Sv39 walk in a cached table 74 -> 67 ns)
    const off = paHi === this._baseHi ? paLo - this._baseLo : (paHi - this._baseHi) * TWO32 + (paLo - this._baseLo);
    if (off < 0 || off >= this.size) return -1;
    return off >>> 2;
  }

  /**
   * Reads the u32 at a 4-byte-aligned physical address.
   * @throws RangeError when the address is outside the memory or not 4-byte aligned.
   */
  readU32(paddr: AddrInput): number {
    return this.words[this._index(paddr, 4, 'readU32')]!;
  }

  /**
   * Writes the u32 at a 4-byte-aligned physical address.
   * @throws RangeError when `value` is not a u32, or the address is outside the memory or not 4-byte aligned.
   */
  writeU32(paddr: AddrInput, value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`writeU32: ${value} is not a u32`);
    this.words[this._index(paddr, 4, 'writeU32')] = value;
    this._changed();
  }

  /**
   * Reads the little-endian u64 at an 8-byte-aligned physical address.
   * @throws RangeError when the address is outside the memory or not 8-byte aligned.
   */
  readU64(paddr: AddrInput): bigint {
    const i = this._index(paddr, 8, 'readU64');
    return joinAddr(this.words[i]!, this.words[i + 1]!);
  }

  /**
   * Writes the little-endian u64 at an 8-byte-aligned physical address.
   * @throws RangeError when `value` is not a bigint in [0, 2^64), or the address is outside the memory or not
   *   8-byte aligned.
   */
  writeU64(paddr: AddrInput, value: bigint): void {
    if (typeof value !== 'bigint' || value < 0n || value >= 1n << 64n) throw new RangeError(`writeU64: ${String(value)} is not a u64`);
    const i = this._index(paddr, 8, 'writeU64');
    this.words[i] = Number(value & 0xffffffffn);
    this.words[i + 1] = Number(value >> 32n);
    this._changed();
  }

  /**
   * A view (not a copy) of `length` bytes at `paddr`; write it out to save a table image.
   * @throws RangeError when the range is not inside the memory.
   */
  bytes(paddr: AddrInput = this.base, length: number = this.size): Uint8Array {
    const off = this._offset(paddr, 'bytes');
    if (!Number.isInteger(length) || length < 0 || off + length > this.size) {
      throw new RangeError(`bytes: ${length} bytes at ${hex(this.base + BigInt(off))} run past the memory`);
    }
    return this._u8.subarray(off, off + length);
  }

  /**
   * Copies `data` into memory at `paddr` (to load a saved image, or place code and data by hand).
   * @throws RangeError when the range is not inside the memory.
   */
  writeBytes(paddr: AddrInput, data: Uint8Array): void {
    const off = this._offset(paddr, 'writeBytes');
    if (off + data.length > this.size) throw new RangeError('writeBytes: data runs past the memory');
    this._u8.set(data, off);
    this._changed();
  }

  /**
   * @internal A table on this memory asks to be told of writes made through this API (page-table tables keep a
   * walk cache that such a write may make stale; see fast/walk-cache.ts).
   */
  _watch(table: { _forget(): void }): void {
    this._watchers.add(table);
  }

  /** @internal */
  _unwatch(table: { _forget(): void }): void {
    this._watchers.delete(table);
  }

  /** @internal Bytes changed through this API: every table on this memory forgets what it remembers of its tables. */
  private _changed(): void {
    for (const t of this._watchers) t._forget();
  }

  /** @internal */ private _offset(paddr: AddrInput, op: string): number {
    splitAddr(paddr, op, 'paddr');
    const off = (PAIR[1]! - this._baseHi) * TWO32 + (PAIR[0]! - this._baseLo);
    if (off < 0 || off >= this.size) {
      throw new RangeError(`${op}: ${hex(joinAddr(PAIR[0]!, PAIR[1]!))} is outside [${hex(this.base)}, ${hex(this.end)})`);
    }
    return off;
  }

  /** @internal */ private _index(paddr: AddrInput, align: number, op: string): number {
    const off = this._offset(paddr, op);
    if (off % align !== 0 || off + align > this.size) throw new RangeError(`${op}: ${hex(this.base + BigInt(off))} is not ${align}-byte aligned`);
    return off >>> 2;
  }

  /** @internal */ private _frameOf(paddr: AddrInput, op: string): number {
    const off = this._offset(paddr, op);
    if (off % FRAME !== 0) throw new RangeError(`${op}: ${hex(this.base + BigInt(off))} is not 4K-aligned`);
    return off / FRAME;
  }

  /** @internal */ private _frameAddr(f: number): PhysAddr {
    this._frameAddrPair(f);
    return joinAddr(PAIR[0]!, PAIR[1]!);
  }

  /** @internal the first frame aligned to `align` bytes (the frame count when there is none) */
  private _firstAligned(align: number): number {
    let f = 0;
    while (f < this._frameCount && !this._frameAligned(f, align)) f++;
    return f;
  }

  /** @internal Whether frame f's physical address is a multiple of align. */
  private _frameAligned(f: number, align: number): boolean {
    if (align >= TWO32) {
      const lo = this._baseLo + f * FRAME;
      const hi = this._baseHi + Math.floor(lo / TWO32);
      return lo % TWO32 === 0 && hi % (align / TWO32) === 0;
    }
    return (this._baseLo + f * FRAME) % align === 0;
  }

  /** @internal */ private _pushFree(f: number): void {
    if (this._stacked[f] === 1) return;
    this._stacked[f] = 1;
    this._freeStack[this._freeTop++] = f;
  }

  /** @internal */ private _popSingle(): number {
    while (this._freeTop > 0) {
      const f = this._freeStack[--this._freeTop]!;
      this._stacked[f] = 0;
      if (this._used[f] === 0) return f;
    }
    return this._bump < this._frameCount ? this._bump : -1;
  }

  /**
   * @internal First fit: the lowest aligned run of `count` free frames, searched from the mark of its kind
   * (_runFrom), which it then moves past what it examined.
   */
  private _findRun(count: number, align: number): number {
    const n = this._frameCount;
    let k = 0;
    while (k < this._runFrom.length && !(this._runCount[k] === count && this._runAlign[k] === align)) k++;
    const kept = k < MAX_RUN_KINDS;
    if (k === this._runFrom.length && kept) {
      const first = this._firstAligned(align);
      this._runCount.push(count);
      this._runAlign.push(align);
      this._runFirst.push(first);
      this._runFrom.push(first);
    }
    // (a kind past the first MAX_RUN_KINDS searches from frame 0, as every search once did)
    let f = kept ? this._runFrom[k]! : this._firstAligned(align);
    const step = Math.max(1, align / FRAME);
    for (; f + count <= n; f += step) {
      this._runProbes++;
      let ok = true;
      for (let i = f; i < f + count; i++) {
        if (this._used[i] === 1) {
          ok = false;
          break;
        }
      }
      if (ok) {
        // the run is taken at once by the caller: the next place of this kind is the first that may still fit
        if (kept) this._runFrom[k] = f + step;
        return f;
      }
    }
    if (kept) this._runFrom[k] = f;
    return -1;
  }
}

/**
 * The first frame at or above `f` of the aligned frames `first`, `first + step`, ... (`first` is the memory's frame
 * count when none is aligned: then that).
 */
function alignedFrom(f: number, first: number, step: number): number {
  return f <= first ? first : first + Math.ceil((f - first) / step) * step;
}

/** Kinds of run (count, alignment) whose search mark PhysicalMemory keeps: 16K and 64K tables, ARMv7's 16 KiB roots, ... */
const MAX_RUN_KINDS = 8;

/** `size` when it is a byte count (a non-negative integer); a TypeError or RangeError naming `op` otherwise. */
function byteCount(size: unknown, op: string): number {
  if (typeof size !== 'number') throw new TypeError(`${op}: "size" must be a number of bytes, got ${typeof size}`);
  if (!(Number.isInteger(size) && size >= 0)) throw new RangeError(`${op}: "size" ${size} is not a non-negative integer`);
  return size;
}
