// A run of a dump, in two forms: the MappingRun record (addresses as bigint, one object per run), and RunNumbers,
// the same run as the numbers the walk computes it from, in one object reused for every run. A listing of millions
// of runs that formats each one and drops it (ptdump's text) takes the numbers: making six BigInts and an object
// per run, and turning three of them back into hex with BigInt.prototype.toString, were among the top frames of
// its profile (W9: 262,144 runs).
import { bitsToWords, wordsToBits } from '../words';
import type { MappingFlags } from '../flags';
import type { PhysAddr, VirtAddr } from '../interfaces';

/** A run of leaves: consecutive virtual and physical addresses, the same page size and the same attributes. */
export interface MappingRun {
  /** Tells a run from a {@link DumpDiagnostic}. */
  readonly kind: 'mapping';
  /** First virtual address (as the CPU sees it: upper-half addresses sign-extended or from their register). */
  readonly vaddr: VirtAddr;
  /** One past the last virtual address. */
  readonly end: VirtAddr;
  /** Physical address of the first byte. */
  readonly paddr: PhysAddr;
  /** Bytes of the run (`end - vaddr`). */
  readonly size: bigint;
  /** Bytes one leaf maps (4 KiB, 2 MiB, ...). */
  readonly pageSize: number;
  /** Number of leaves in the run. */
  readonly pages: number;
  /** Level of the leaves (0 = root). */
  readonly level: number;
  /** MappingFlags of the leaf entries, as the codec decodes them. */
  readonly flags: MappingFlags;
  /** The flags the levels grant together (table limits applied): what an access can actually do. */
  readonly effective: MappingFlags;
  /** Raw bits of the first leaf entry. */
  readonly bits: bigint;
  /** The attribute bits the run shares ({@link EntryInspector.attrLo}). */
  readonly attrs: bigint;
  /** Whether the run is in a kernel range ({@link DumpRoot.kernel}). */
  readonly kernel: boolean;
  /** Index of the root (in the roots walked) it was found under. */
  readonly root: number;
}

/**
 * A {@link MappingRun} as numbers, from {@link MappingDump.numbered}: one object that each run of the walk
 * overwrites, valid until the next record is asked for ({@link toRun} keeps one).
 *
 * The addresses and the size are doubles, and exact: the walk computes them as doubles (MappingRun's bigints are
 * made from the same numbers), and each is a multiple of the page size up to 2^64, which with pages of 4 KiB or more
 * takes at most 52 significant bits (32-bit formats stay below 2^32). Those at or above 2^53 (upper-half addresses:
 * 0xffff800000000000) are exact but not safe integers: split them with `Math.floor(x / 2 ** 32)` (exact for every
 * such double), not with bitwise operators. The entry's bits and the attribute bits are two u32 words each, as the
 * codecs' word-level paths take them.
 */
export class RunNumbers {
  /** What the record describes, as MappingRun's `kind`: always a mapping. */
  readonly kind = 'mapping' as const;
  // The fields that take addresses, sizes and u32 words start as NaN (no run yet), not 0: V8 stores a field first
  // given a small integer as one, and the first value beyond 2^30 (a physical address above 1 GiB, bit 63 of an
  // entry) would change the object's layout and deoptimise every function that read it.
  /** First virtual address. */
  vaddr: number = Number.NaN;
  /** One past the last virtual address (2^64 for a run that ends at the top). */
  end: number = Number.NaN;
  /** Physical address of the first byte. */
  paddr: number = Number.NaN;
  /** Bytes of the run (`end - vaddr`). */
  size: number = Number.NaN;
  /** Bytes one leaf maps. */
  pageSize: number = Number.NaN;
  /** Number of leaves in the run. */
  pages: number = Number.NaN;
  /** Level of the leaves (0 = root). */
  level = 0;
  /** MappingFlags of the leaf entries. */
  flags: MappingFlags = 0;
  /** The flags the levels grant together. */
  effective: MappingFlags = 0;
  /** Raw bits of the first leaf entry: bits 31:0, unsigned. */
  bitsLo: number = Number.NaN;
  /** Raw bits of the first leaf entry: bits 63:32, unsigned. */
  bitsHi: number = Number.NaN;
  /** The attribute bits the run shares: bits 31:0, unsigned. */
  attrsLo: number = Number.NaN;
  /** The attribute bits the run shares: bits 63:32, unsigned. */
  attrsHi: number = Number.NaN;
  /** Whether the run is in a kernel range. */
  kernel = false;
  /** Index of the root it was found under. */
  root = 0;

  /** @internal The walk's next run (dump.ts): the words as the codec gives them, signed or not. */
  set(
    vaddr: number,
    end: number,
    paddr: number,
    pageSize: number,
    pages: number,
    level: number,
    flags: MappingFlags,
    effective: MappingFlags,
    bitsLo: number,
    bitsHi: number,
    attrsLo: number,
    attrsHi: number,
    kernel: boolean,
    root: number,
  ): this {
    this.vaddr = vaddr;
    this.end = end;
    this.paddr = paddr;
    this.size = end - vaddr;
    this.pageSize = pageSize;
    this.pages = pages;
    this.level = level;
    this.flags = flags;
    this.effective = effective;
    this.bitsLo = bitsLo >>> 0;
    this.bitsHi = bitsHi >>> 0;
    this.attrsLo = attrsLo >>> 0;
    this.attrsHi = attrsHi >>> 0;
    this.kernel = kernel;
    this.root = root;
    return this;
  }

  /** The run as a {@link MappingRun} record, which stays as it is when this object moves on. */
  toRun(): MappingRun {
    return {
      kind: 'mapping',
      vaddr: BigInt(this.vaddr),
      end: BigInt(this.end),
      paddr: BigInt(this.paddr),
      size: BigInt(this.size),
      pageSize: this.pageSize,
      pages: this.pages,
      level: this.level,
      flags: this.flags,
      effective: this.effective,
      bits: wordsToBits(this.bitsLo, this.bitsHi),
      attrs: wordsToBits(this.attrsLo, this.attrsHi),
      kernel: this.kernel,
      root: this.root,
    };
  }

  /**
   * Takes the values of `run` (a record of a dump, as iteration or a filter gives it): the inverse of
   * {@link toRun}. Its addresses are multiples of its page size, so they convert to doubles exactly.
   */
  fromRun(run: MappingRun): this {
    this.vaddr = Number(run.vaddr);
    this.end = Number(run.end);
    this.paddr = Number(run.paddr);
    this.size = Number(run.size);
    this.pageSize = run.pageSize;
    this.pages = run.pages;
    this.level = run.level;
    this.flags = run.flags;
    this.effective = run.effective;
    [this.bitsLo, this.bitsHi] = bitsToWords(run.bits);
    [this.attrsLo, this.attrsHi] = bitsToWords(run.attrs);
    this.kernel = run.kernel;
    this.root = run.root;
    return this;
  }
}
