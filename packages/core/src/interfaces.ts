import type { MappingFlags } from './flags';

/** A physical address. Outputs are always bigint; inputs also accept a non-negative safe integer. */
export type PhysAddr = bigint;
/** A virtual address (upper-half addresses are their full 64-bit value, e.g. 0xffff_8000_0000_0000n). */
export type VirtAddr = bigint;
/** An address or size as accepted by the API: a bigint in [0, 2^64) or a non-negative safe-integer number. */
export type AddrInput = bigint | number;

/**
 * The value-level contract of a page-table entry format, exactly as the Rust trait
 * `page_table_entry::GenericPTE`: entries are raw bits in a bigint. `level` counts from the root (0);
 * formats whose meaning depends on the level (ARMv7 short descriptors, LoongArch directories) use it.
 */
export interface GenericPTE {
  /** Bits of an entry mapping a page (last level) or a block / huge page (`isHuge`). */
  newPage(paddr: PhysAddr, flags: MappingFlags, isHuge: boolean, level?: number): bigint;
  /** Bits of an entry pointing to a next-level table at `paddr`. */
  newTable(paddr: PhysAddr, level?: number): bigint;
  /** The physical address an entry holds (a page, block or next table). */
  paddr(bits: bigint, level?: number): PhysAddr;
  /** The MappingFlags a leaf entry grants (empty when not present). */
  flags(bits: bigint, level?: number): MappingFlags;
  /** `bits` with its address replaced. */
  setPaddr(bits: bigint, paddr: PhysAddr, level?: number): bigint;
  /** `bits` with its permission and attribute bits replaced. */
  setFlags(bits: bigint, flags: MappingFlags, isHuge: boolean, level?: number): bigint;
  /** Whether the entry is all zero. */
  isUnused(bits: bigint): boolean;
  /** Whether the hardware would use the entry. */
  isPresent(bits: bigint, level?: number): boolean;
  /** For a present entry above the last level: whether it maps a block (huge page) instead of a table. */
  isHuge(bits: bigint, level?: number): boolean;
  /**
   * Optional: log2 of the bytes a present leaf maps when that differs from its level's size (an ARMv7
   * 16 MiB supersection or 64 KiB large page, stored as 16 identical entries); -1 or absent otherwise.
   */
  leafShift?(bits: bigint, level?: number): number;
  /**
   * Optional, for a format whose metadata declares runs (`runBits`): the bit that marks a leaf as one of an aligned
   * run of entries mapping one larger region (AArch64 Contiguous, RISC-V Svnapot's N). See {@link PTERunHint}.
   */
  readonly runHint?: bigint;
  /** Optional, with {@link runHint}: the bits of a plain leaf (mapping its own page) made a member of its run. */
  markRun?(bits: bigint, level?: number): bigint;
  /**
   * Optional word-level form of the same codec, used by the tables on their hot paths. When it is
   * absent the tables derive one from the bigint methods (correct, slower).
   */
  readonly words?: PTEWords;
}

/**
 * The word-level form of a codec: an entry is (lo, hi), its two little-endian u32 halves (hi = 0 for
 * 32-bit formats). Every method is pure and allocation-free; 64-bit results come as a Lo/Hi pair of
 * functions. It must agree with the bigint methods of the same codec (the tests prove it per codec).
 */
export interface PTEWords {
  /** {@link GenericPTE.isPresent} of the entry (lo, hi) at `level`. */
  isPresent(lo: number, hi: number, level: number): boolean;
  /** {@link GenericPTE.isHuge}; asked only for present entries above the last level. */
  isHuge(lo: number, hi: number, level: number): boolean;
  /** Low u32 of {@link GenericPTE.paddr}. */
  paddrLo(lo: number, hi: number, level: number): number;
  /** High u32 of {@link GenericPTE.paddr}. */
  paddrHi(lo: number, hi: number, level: number): number;
  /** {@link GenericPTE.flags} of the entry (lo, hi). */
  flags(lo: number, hi: number, level: number): MappingFlags;
  /** Low u32 of {@link GenericPTE.newPage} for the physical address (paLo, paHi). */
  newPageLo(paLo: number, paHi: number, flags: MappingFlags, isHuge: boolean, level: number): number;
  /** High u32 of {@link GenericPTE.newPage}. */
  newPageHi(paLo: number, paHi: number, flags: MappingFlags, isHuge: boolean, level: number): number;
  /** Low u32 of {@link GenericPTE.newTable} for the table at (paLo, paHi). */
  newTableLo(paLo: number, paHi: number, level: number): number;
  /** High u32 of {@link GenericPTE.newTable}. */
  newTableHi(paLo: number, paHi: number, level: number): number;
  /** Low u32 of {@link GenericPTE.setFlags} applied to the entry (lo, hi). */
  setFlagsLo(lo: number, hi: number, flags: MappingFlags, isHuge: boolean, level: number): number;
  /** High u32 of {@link GenericPTE.setFlags}. */
  setFlagsHi(lo: number, hi: number, flags: MappingFlags, isHuge: boolean, level: number): number;
  /** Low u32 of {@link GenericPTE.setPaddr}: the entry (lo, hi) pointing at (paLo, paHi) instead. */
  setPaddrLo(lo: number, hi: number, paLo: number, paHi: number, level: number): number;
  /** High u32 of {@link GenericPTE.setPaddr}. */
  setPaddrHi(lo: number, hi: number, paLo: number, paHi: number, level: number): number;
  /** log2 of the bytes a present leaf maps when it differs from the level's page size, else -1. */
  leafShift(lo: number, hi: number, level: number): number;
  /** Optional: how the format marks the members of a run of entries (see {@link PTERunHint}). */
  readonly run?: PTERunHint;
  /**
   * Optional: the same codec's walk-relevant bits as masks, for formats where they are the same at every
   * level. With it, tables in a {@link PhysicalMemory} walk through a specialised routine instead of calling
   * the methods above once per level. It must agree with them (the tests check each codec that has one).
   */
  readonly layout?: PTELayout;
}

/**
 * How a codec marks a run: `2^runBits[level]` aligned leaf entries of one level (the metadata's `runBits`) that
 * together map one region of that many pages, contiguous and aligned in both address spaces, with the same
 * attributes, and carry a hint bit saying so (AArch64: the Contiguous bit, Arm ARM DDI 0487 D8 "The Contiguous bit";
 * RISC-V: the N bit of Svnapot, privileged spec chapter "Svnapot"). The engine reads a member's page as the run's:
 * its address with the bits below the run's size cleared. Clearing the hint masks and setting the page's own address
 * (`setPaddr`) turns a member back into a plain leaf.
 */
export interface PTERunHint {
  /** The hint bit(s) in the low word: an entry is a member when `(lo & hintLo) | (hi & hintHi)` is not 0. */
  readonly hintLo: number;
  /** The hint bit(s) in the high word. */
  readonly hintHi: number;
  /** Low word of the plain leaf (lo, hi), which maps its own page, made a member of its run (hint set, address encoded). */
  markLo(lo: number, hi: number, level: number): number;
  /** High word of the same. */
  markHi(lo: number, hi: number, level: number): number;
}

/**
 * What a hardware walker reads in an entry, as masks on its low (lo) and high (hi) u32 words, the same at
 * every level: presence, table or block above the last level, a page at the last level, and the address. The
 * specialised walks (fast/walker.ts) read entries through it; what it calls a block, or a reserved encoding, they
 * leave to the codec's methods, so a layout must never call present what the codec calls absent, nor a table or a
 * page what the codec calls something else.
 *
 * A codec with `leafShift` (leaves stored as repeated entries: ARMv7 Large pages and Supersections) may have a
 * layout too: its {@link leaf} test must then pass only for entries that map their level's page size, and every
 * fast path leaves a last-level entry that fails it to the codec's methods (one mask and compare per entry read).
 */
export interface PTELayout {
  /**
   * An entry above the last level is present when `(lo & present) !== 0`: when any of these bits is set (one bit in
   * most formats; x86 EPT's R, W and X, SDM Vol. 3C 29.3.2). With `present` 0, when the entry is not zero
   * (LoongArch directory entries hold a bare address, LoongArch manual 4.2.5.1 LDDIR).
   */
  readonly present: number;
  /** A present entry above the last level points to a table when `(lo & block) === table`, else it is a block. */
  readonly block: number;
  /** See {@link block}; 0 when absent (x86_64's PS and RISC-V's R/X are clear in a table pointer). */
  readonly table?: number;
  /**
   * A last-level entry maps a page of its level's size when `(lo & leaf) === leaf`, every bit of it set (AArch64:
   * 0b11, D8.3). When absent, when it is present as above the last level, `(lo & present) !== 0` (x86 EPT: any of R,
   * W, X; 29.3.2), which must then not be 0. For a codec with `leafShift`, a present entry that fails it is left to the
   * general path (ARMv7: bit 1, a Small page; a Large page, bits[1:0] = 0b01, fails it); such a codec gets the fast
   * paths only with a `leaf`, or a `present` of one bit.
   */
  readonly leaf?: number;
  /**
   * The address the entry holds: `(lo & addrLo) * 2^addrShift + (hi & addrHi) * 2^(32 + addrShift)`, plus
   * `(lo & addrLo2) * 2^(32 + addrShift2)` when the address has a second part ({@link addrLo2}). In a last-level
   * entry of its level's size (not a member of a hinted run, not an ARMv7 Large page) these bits ({@link leafAddrLo} in place of `addrLo` where given) are the
   * address and nothing else: presence, flags and leaf size
   * do not depend on them, so that a dump finds the next page of a run by comparing the other bits (the shared
   * codec suite checks it).
   */
  readonly addrLo: number;
  /** See {@link addrLo}. */
  readonly addrHi: number;
  /** See {@link addrLo}: 0 when the address bits sit in place (x86_64), 2 for RISC-V's PPN at bit 10. */
  readonly addrShift: number;
  /**
   * Optional: the address mask of a page at the last level when it differs from a table pointer's `addrLo` (ARMv7:
   * a Small page's base is bits 31:12, a Page table's bits 31:10, ARM DDI 0406C B3.5.1).
   */
  readonly leafAddrLo?: number;
  /**
   * Optional: low-word bits that hold the top of the address, which no longer fits in place (AArch64 52-bit output
   * addresses, DDI 0487 D8.3: OA[51:48] in bits 15:12 with FEAT_LPA, OA[51:50] in bits 9:8 with FEAT_LPA2). They are
   * bits `addrShift2` and up of the address's high word. The walks read them in pages; a table pointer with any of
   * them set is left to the general path (the tables of a memory below 2^48 have none).
   */
  readonly addrLo2?: number;
  /** See {@link addrLo2}: 4 for FEAT_LPA (entry bit 12 is address bit 48), 10 for FEAT_LPA2 (bit 8 is bit 50). */
  readonly addrShift2?: number;
}

/**
 * The geometry and address rules of a page-table format, as data. Build one with `defineMetaData`.
 * Levels count from the root (0) to the last level (`levels - 1`), which maps `2^pageShift`-byte pages.
 */
export interface PagingMetaData {
  /** Short name used in messages and listings. */
  readonly name: string;
  /** Number of levels of the hardware table. */
  readonly levels: number;
  /** Width of a physical address in bits. */
  readonly paMaxBits: number;
  /** Width of the translated part of a virtual address in bits (= pageShift + sum of indexBits). */
  readonly vaMaxBits: number;
  /** log2 of the smallest page: 12. */
  readonly pageShift: number;
  /** Index width of each level, root first: [9, 9, 9, 9] for x86_64. */
  readonly indexBits: readonly number[];
  /** Bytes of one entry: 8 for every 64-bit format, 4 for ARMv7 short descriptors. */
  readonly entryBytes: 4 | 8;
  /** Bytes of a table at each level, root first (its alignment too). */
  readonly tableBytes: readonly number[];
  /** Levels at which `map` may write a leaf; the last level is always one. */
  readonly leafLevels: readonly number[];
  /** Bits [vaTopBit, 64) of a valid virtual address are all equal: all zero, or all one if `upperHalf`. */
  readonly vaTopBit: number;
  /** Whether addresses with all-one top bits (a kernel half) are valid. */
  readonly upperHalf: boolean;
  /**
   * Whether addresses with all-zero top bits are valid (absent: true). False for a table of the upper range only,
   * whose listings report addresses with bits [vaMaxBits, 64) set.
   */
  readonly lowerHalf?: boolean;
  /** Whether listings sign-extend addresses from bit `vaMaxBits - 1` (x86_64, RISC-V). */
  readonly signExtend: boolean;
  /** Byte size of the page a leaf maps at each level (derived). */
  readonly levelSize: readonly number[];
  /**
   * log2 of the number of entries of a run at each level (0: none), when the format has runs: aligned leaf entries
   * that a hint bit joins into one mapping (AArch64 Contiguous bit, RISC-V Svnapot). See `MetaDataSpec.runBits`.
   */
  readonly runBits?: readonly number[];
  /** Whether `map` takes a run's size as a page size (see `MetaDataSpec.runPages`). */
  readonly runPages?: boolean;
  /**
   * The only addresses the table serves, `[start, end)`, when fewer than `vaTopBit` and `upperHalf` allow (an
   * ARMv7 long-descriptor TTBR0 or TTBR1 range); absent otherwise. See `MetaDataSpec.window`.
   */
  readonly window?: {
    /** The first address served. */
    readonly start: VirtAddr;
    /** One past the last address served. */
    readonly end: VirtAddr;
  };
  /** Whether a virtual address can be translated by this format. */
  vaddrIsValid(vaddr: VirtAddr): boolean;
  /** Whether a physical address fits the format. */
  paddrIsValid(paddr: PhysAddr): boolean;
}

/**
 * Bytes of the frames a {@link PagingHandler} hands out (its `allocFrames` counts in them). A table of this size or
 * more takes whole frames, aligned to its own size; a smaller one shares a frame with others. This is the handler's
 * unit, not a format's granule (`pageShift`), which may be larger or smaller.
 */
export const FRAME_BYTES: number = 4096;

/**
 * What a table needs from its environment: frames for its tables, and access to the bytes of physical
 * memory (the TypeScript form of the crate's `phys_to_virt`): a word array and the index in it of a
 * physical address.
 */
export interface PagingHandler {
  /** `count` contiguous 4 KiB frames whose start is aligned to `align` bytes, or null when none. */
  allocFrames(count: number, align: number): PhysAddr | null;
  /** Returns frames obtained from `allocFrames` (the same `count`). */
  deallocFrames(paddr: PhysAddr, count: number): void;
  /** The u32 words through which physical memory is read and written (little-endian entries). */
  readonly words: Uint32Array;
  /** Index in `words` of the 4-byte-aligned word at physical address (lo, hi), or -1 when unbacked. */
  wordIndex(paLo: number, paHi: number): number;
  /**
   * Optional: true when `allocFrames` only ever returns frames whose bytes are all zero. The tables then do not
   * zero a new table themselves (otherwise they do, as the crate's `alloc_table`). {@link PhysicalMemory} keeps
   * its free frames zero and says so.
   */
  readonly zeroedFrames?: boolean;
}

/**
 * Receives TLB invalidation requests when a cursor flushes: once per changed page (its virtual
 * address), or once with no argument for a full flush when more than 32 pages changed in one batch.
 */
export type FlushTlb = (vaddr?: VirtAddr) => void;

/** Options of a page table. */
export interface PageTableOptions {
  /** Called with the TLB invalidations the table's cursors request (default: none). */
  readonly flushTlb?: FlushTlb;
  /**
   * Attach to an existing table whose root is at this physical address (CR3, TTBR, satp PPN << 12, PGD)
   * instead of allocating a new root. An attached table is read-only unless `writable` is true, and its
   * destroy() frees only the tables it allocated itself.
   */
  readonly root?: AddrInput;
  /** With `root`: allow cursors to modify the attached table (default false). */
  readonly writable?: boolean;
}
