import type { AddrInput, PagingMetaData, PhysAddr, VirtAddr } from './interfaces';

/** The data part of a {@link PagingMetaData}; the derived fields and predicates are computed. */
export interface MetaDataSpec {
  /** Short name used in messages and listings (`'x86_64'`, `'Sv39'`). */
  readonly name: string;
  /** Width of a physical address in bits, 12..64 (52 for x86_64, 56 for RISC-V, 48 for AArch64). */
  readonly paMaxBits: number;
  /** log2 of the smallest page (12 for 4 KiB). */
  readonly pageShift: number;
  /**
   * Index width of each level in bits, root first, 1..20 each, 1 to 6 levels: `[9, 9, 9, 9]` for x86_64 (17 for
   * the widest format here: an AArch64 stage 2 root of 16 concatenated 64 KiB tables).
   */
  readonly indexBits: readonly number[];
  /** Bytes of one entry: 8, or 4 for 32-bit formats (which {@link PageTable32} serves). */
  readonly entryBytes: 4 | 8;
  /** Table bytes per level; default `entryBytes << indexBits[level]`. */
  readonly tableBytes?: readonly number[];
  /** Levels (0 = root) at which a leaf may be written; the last level is always added. */
  readonly leafLevels: readonly number[];
  /**
   * Bits [vaTopBit, 64) of a valid virtual address are all equal (all zero, or all one when `upperHalf`):
   * 47 for x86_64 4-level paging, 38 for Sv39. In 32..(pageShift + sum of indexBits), or 32 when that sum is
   * smaller (with a `window`).
   */
  readonly vaTopBit: number;
  /** Whether addresses whose top bits are all one (a kernel half) are valid. */
  readonly upperHalf: boolean;
  /**
   * Whether addresses whose top bits are all zero are valid (default true). False for a table that serves only the
   * upper range (an AArch64 TTBR1 table): it needs `upperHalf`, `vaTopBit` equal to the translated width and no
   * `window`, and listings report its addresses with the top bits set (the index-space address ORed with them).
   */
  readonly lowerHalf?: boolean;
  /** Whether listings sign-extend addresses from the top translated bit (x86_64, RISC-V, LoongArch64). */
  readonly signExtend: boolean;
  /**
   * Optional: log2 of the number of aligned leaf entries at each level (root first; 0 for none) that the codec's run
   * hint ({@link PTERunHint}) joins into one mapping of that many pages: `[0, 4, 4, 4]` for AArch64 with the 4 KiB
   * granule from level 0 (16 entries at levels 1 to 3), `[0, 0, 4]` for Sv39 with Svnapot (16 pages of 4 KiB). Only
   * at leaf levels, and at most the level's index width.
   */
  readonly runBits?: readonly number[];
  /**
   * Whether `map` takes the size of a run as a page size and writes the run (RISC-V Svnapot, whose 64 KiB NAPOT
   * pages are pages of the format); default false, where runs are a hint that only `mapRegion` writes when asked
   * (AArch64's Contiguous bit), and a run's size given to `map` is 'UnsupportedPageSize'.
   */
  readonly runPages?: boolean;
  /**
   * Optional: the only addresses the table serves, `[start, end)`, when that is less than `vaTopBit` and `upperHalf`
   * allow: the part of the 32-bit space an ARMv7 TTBR0 or TTBR1 translates with the long-descriptor format. It lies
   * below 2^53 and inside one aligned block of `2^vaMaxBits` bytes (the table indexes an address's low `vaMaxBits`
   * bits, so that no two of its addresses share an entry). Required when the table indexes fewer than 32 bits.
   */
  readonly window?: {
    /** The first address served. */
    readonly start: AddrInput;
    /** One past the last address served. */
    readonly end: AddrInput;
  };
}

/**
 * Builds a frozen {@link PagingMetaData} from its geometry, checking that the geometry is consistent.
 * A third-party architecture calls this with its own numbers; nothing in core lists architectures.
 *
 * @throws RangeError when the geometry is inconsistent (index widths, entry size, leaf levels).
 * @example
 * const sv39 = defineMetaData({ name: 'Sv39', paMaxBits: 56, pageShift: 12, indexBits: [9, 9, 9],
 *   entryBytes: 8, leafLevels: [0, 1, 2], vaTopBit: 38, upperHalf: true, signExtend: true });
 */
export function defineMetaData(spec: MetaDataSpec): PagingMetaData {
  const levels = spec.indexBits.length;
  if (levels < 1 || levels > 6) throw new RangeError(`defineMetaData: ${levels} levels is outside 1..6`);
  let vaMaxBits = spec.pageShift;
  for (const b of spec.indexBits) {
    if (!Number.isInteger(b) || b < 1 || b > 20) throw new RangeError(`defineMetaData: index width ${b} is outside 1..20`);
    vaMaxBits += b;
  }
  if (vaMaxBits > 64) throw new RangeError(`defineMetaData: ${vaMaxBits}-bit virtual addresses exceed 64 bits`);
  if (spec.paMaxBits < 12 || spec.paMaxBits > 64) throw new RangeError(`defineMetaData: paMaxBits ${spec.paMaxBits} is outside 12..64`);
  if (spec.vaTopBit < 32 || spec.vaTopBit > Math.max(vaMaxBits, 32)) {
    throw new RangeError(`defineMetaData: vaTopBit ${spec.vaTopBit} must be in 32..${Math.max(vaMaxBits, 32)}`);
  }
  const window = windowOf(spec, vaMaxBits);
  const lowerHalf = spec.lowerHalf ?? true;
  if (!lowerHalf && (!spec.upperHalf || spec.vaTopBit !== vaMaxBits || window !== undefined || vaMaxBits >= 64)) {
    throw new RangeError(`defineMetaData: a table without a lower half needs upperHalf, vaTopBit = ${vaMaxBits} (below 64) and no window`);
  }
  const tableBytes = spec.tableBytes ?? spec.indexBits.map((b) => spec.entryBytes << b);
  tableBytes.forEach((bytes, level) => {
    if (bytes < spec.entryBytes << spec.indexBits[level]!) {
      throw new RangeError(`defineMetaData: level ${level} table of ${bytes} bytes cannot hold its entries`);
    }
  });
  const levelSize: number[] = [];
  let shift = spec.pageShift;
  for (let l = levels - 1; l >= 0; l--) {
    levelSize[l] = 2 ** shift;
    shift += spec.indexBits[l]!;
  }
  const leafLevels = [...new Set([...spec.leafLevels, levels - 1])].sort((a, b) => a - b);
  for (const l of leafLevels) {
    if (!Number.isInteger(l) || l < 0 || l >= levels) throw new RangeError(`defineMetaData: leaf level ${l} is outside 0..${levels - 1}`);
  }
  const runBits = runBitsOf(spec, leafLevels);
  const paLimit = 1n << BigInt(spec.paMaxBits);
  const topShift = BigInt(spec.vaTopBit);
  const topOnes = (1n << BigInt(64 - spec.vaTopBit)) - 1n;
  const upperHalf = spec.upperHalf;
  const winStart = window === undefined ? 0n : window.start;
  const winEnd = window === undefined ? 1n << 64n : window.end;
  return Object.freeze({
    name: spec.name,
    levels,
    paMaxBits: spec.paMaxBits,
    vaMaxBits,
    pageShift: spec.pageShift,
    indexBits: Object.freeze([...spec.indexBits]),
    entryBytes: spec.entryBytes,
    tableBytes: Object.freeze([...tableBytes]),
    leafLevels: Object.freeze(leafLevels),
    vaTopBit: spec.vaTopBit,
    upperHalf,
    lowerHalf,
    signExtend: spec.signExtend,
    levelSize: Object.freeze(levelSize),
    ...(runBits === undefined ? {} : { runBits, runPages: spec.runPages === true }),
    ...(window === undefined ? {} : { window }),
    vaddrIsValid(vaddr: VirtAddr): boolean {
      if (vaddr < winStart || vaddr >= winEnd) return false;
      const top = vaddr >> topShift;
      return (lowerHalf && top === 0n) || (upperHalf && top === topOnes);
    },
    paddrIsValid(paddr: PhysAddr): boolean {
      return paddr >= 0n && paddr < paLimit;
    },
  });
}

/**
 * The window of a spec, checked: below 2^53, not empty, aligned to the range of a last-level table, inside one aligned block of 2^vaMaxBits bytes and inside
 * the addresses vaTopBit allows. Required when the table indexes fewer than 32 bits.
 */
function windowOf(spec: MetaDataSpec, vaMaxBits: number): { readonly start: VirtAddr; readonly end: VirtAddr } | undefined {
  if (spec.window === undefined) {
    if (vaMaxBits < 32) throw new RangeError(`defineMetaData: a table that indexes ${vaMaxBits} bits needs a window (the addresses it serves)`);
    return undefined;
  }
  const start = BigInt(spec.window.start);
  const end = BigInt(spec.window.end);
  const block = 1n << BigInt(vaMaxBits);
  // aligned to what one last-level table maps: the fast paths find a page in the last table a lookup used without
  // checking the address again, which is right when no such table straddles a bound of the window
  const lastSpan = 1n << BigInt(spec.pageShift + spec.indexBits[spec.indexBits.length - 1]!);
  if (
    !(start >= 0n && start < end && end <= 1n << 53n && start / block === (end - 1n) / block && end - 1n < 1n << BigInt(spec.vaTopBit)) ||
    start % lastSpan !== 0n ||
    end % lastSpan !== 0n
  ) {
    throw new RangeError(
      `defineMetaData: window [0x${start.toString(16)}, 0x${end.toString(16)}) is not a non-empty range below 2^53, aligned to ${lastSpan} bytes, inside one aligned block of 2^${vaMaxBits} bytes below 2^${spec.vaTopBit}`,
    );
  }
  return Object.freeze({ start, end });
}

/** The run widths of a spec, checked: one per level, integers from 0 to the level's index width, only at leaf levels. */
function runBitsOf(spec: MetaDataSpec, leafLevels: readonly number[]): readonly number[] | undefined {
  const runs = spec.runBits;
  if (runs === undefined) return undefined;
  if (runs.length !== spec.indexBits.length) throw new RangeError(`defineMetaData: runBits has ${runs.length} levels, the format ${spec.indexBits.length}`);
  runs.forEach((b, l) => {
    if (!Number.isInteger(b) || b < 0 || b > spec.indexBits[l]!) throw new RangeError(`defineMetaData: runBits[${l}] ${b} is outside 0..${spec.indexBits[l]}`);
    if (b > 0 && !leafLevels.includes(l)) throw new RangeError(`defineMetaData: a run at level ${l}, which has no leaves`);
  });
  return Object.freeze([...runs]);
}
