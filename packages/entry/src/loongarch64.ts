// LoongArch64 page-table entries.
// Source: LoongArch Reference Manual, Volume 1: Basic Architecture (v1.10), chapter 5 "Memory Management":
//   5.3   Memory Access Types (the MAT values),
//   5.4.2 TLB Entry (V, D, NR, NX, MAT, PLV, RPLV, PPN and what each permits),
//   5.4.4 TLB-based Translation (V = 0: page invalid; NR: loads fault; NX: fetches fault; D = 0: stores fault),
//   5.4.5 Multi-level Page Table Structure Supported by page walking (the in-memory formats of a common
//         page entry and of a huge-page entry held in a directory, the P and W bits, and directory entries),
// and chapter 7: 7.5.3 TLBELO0/TLBELO1 (the bit positions of V, D, PLV, MAT, G, PPN, NR, NX, RPLV, which LDPTE
// copies from a page entry) and 4.2.5 LDDIR / LDPTE (how the walker reads directory entries).
//
// Directory entries are not like page entries: LDDIR (4.2.5.1) reads a directory entry whose bit 6 is 0 as the
// physical base address of the next-level table, with no valid bit; bit 6 set means the entry is itself a
// huge-page entry (5.4.5). So a table pointer is the plain address (as the crate writes it), and presence is
// level-aware here: see `isPresent`.
import type { GenericPTE, MappingFlags, PhysAddr, PTEWords } from '@page-table-multiarch/core';
import { bit, bits, hi32, join, lo32, maskHi, maskLo } from './_fields';

/**
 * LoongArch64 page-table entry bits (the crate's `PTEFlags`), as bigint masks of a 64-bit entry.
 * Bit 6 means G (global) in a last-level entry and "huge page" in a directory entry, whose global bit then
 * moves to bit 12 (5.4.5); the crate names them GH (bit 6) and G (bit 12), and so does this object.
 */
export const PTEFlags: {
  /** V, bit 0: the translation is valid; V = 0 raises a page-invalid exception (5.4.2, 5.4.4; TLBELO bit 0, 7.5.3). */
  readonly V: bigint;
  /** D, bit 1: stores allowed; a store to a page with D = 0 raises a page-modify exception (5.4.2, 5.4.4; 7.5.3). */
  readonly D: bigint;
  /** PLV bit 0 (entry bit 2): PLV, bits 3:2, is the privilege level of the page (5.4.2; 7.5.3). */
  readonly PLVL: bigint;
  /** PLV bit 1 (entry bit 3); PLV = 3 with RPLV = 0 lets every privilege level in (5.4.2). */
  readonly PLVH: bigint;
  /** MAT bit 0 (entry bit 4): MAT, bits 5:4, 0 = strongly-ordered uncached, 1 = coherent cached, 2 = weakly-ordered uncached (5.3; 7.5.3). */
  readonly MATL: bigint;
  /** MAT bit 1 (entry bit 5). */
  readonly MATH: bigint;
  /** Bit 6: G (global) in a last-level entry (7.5.3); in a directory entry, "this is a huge-page entry" (5.4.5). */
  readonly GH: bigint;
  /** P, bit 7: the physical page exists; not copied into the TLB, used during the page walk (5.4.5). */
  readonly P: bigint;
  /** W, bit 8: the page is writable; not copied into the TLB, used during the page walk (5.4.5). */
  readonly W: bigint;
  /** G of a huge-page entry, bit 12 (5.4.5): in a directory entry with bit 6 set, bit 12 is G, not address. */
  readonly G: bigint;
  /** NR, bit 61: loads fault with a page-not-readable exception (5.4.2, LA64 only; 7.5.3). */
  readonly NR: bigint;
  /** NX, bit 62: instruction fetches fault with a page-not-executable exception (5.4.2, LA64 only; 7.5.3). */
  readonly NX: bigint;
  /** RPLV, bit 63: only code running at exactly PLV may access the page (5.4.2, LA64 only; 7.5.3). */
  readonly RPLV: bigint;
} = Object.freeze({
  V: bit(0),
  D: bit(1),
  PLVL: bit(2),
  PLVH: bit(3),
  MATL: bit(4),
  MATH: bit(5),
  GH: bit(6),
  P: bit(7),
  W: bit(8),
  G: bit(12),
  NR: bit(61),
  NX: bit(62),
  RPLV: bit(63),
});

/** PPN, bits PALEN-1:12 with PALEN = 48 (7.5.3): the crate's PHYS_ADDR_MASK. */
const ADDR = bits(47, 12);
/** The address bits of a huge-page entry in a directory: bit 12 is its G bit (5.4.5), not address. */
const HUGE_ADDR = bits(47, 13);
// The same fields as u32 masks: low word (bits 31:0) and, for NR/NX/RPLV, high word (bits 63:32).
const V = maskLo(PTEFlags.V);
const D = maskLo(PTEFlags.D);
const PLVL = maskLo(PTEFlags.PLVL);
const PLVH = maskLo(PTEFlags.PLVH);
const MATL = maskLo(PTEFlags.MATL);
const MATH = maskLo(PTEFlags.MATH);
const GH = maskLo(PTEFlags.GH);
const P = maskLo(PTEFlags.P);
const W = maskLo(PTEFlags.W);
const NR_HI = maskHi(PTEFlags.NR);
const NX_HI = maskHi(PTEFlags.NX);
const ADDR_LO = maskLo(ADDR);
const ADDR_HI = maskHi(ADDR);
const HUGE_ADDR_LO = maskLo(HUGE_ADDR);

const READ = 1;
const WRITE = 2;
const EXECUTE = 4;
const USER = 8;
const DEVICE = 16;
const UNCACHED = 32;

/** Low-word bits for MappingFlags, as the crate's `From<MappingFlags> for PTEFlags`, plus bit 6 for a huge page. */
function attrLo(flags: number, huge: boolean): number {
  let v = huge ? GH : 0;
  if (flags === 0) return v;
  v |= V | P;
  if (flags & WRITE) v |= W | D;
  if (flags & USER) v |= PLVL | PLVH; // PLV = 3, RPLV = 0: reachable from every privilege level
  if ((flags & DEVICE) === 0) v |= flags & UNCACHED ? MATH : MATL; // MAT 2 (WUC) or 1 (CC); DEVICE keeps 0 (SUC)
  return v;
}

/** High-word bits for MappingFlags: NR without READ, NX without EXECUTE (nothing for empty flags). */
function attrHi(flags: number): number {
  if (flags === 0) return 0;
  let v = 0;
  if ((flags & READ) === 0) v |= NR_HI;
  if ((flags & EXECUTE) === 0) v |= NX_HI;
  return v;
}

// attrLo / attrHi of every MappingFlags set (6 bits), computed once (attrLo's huge pages at 64..127): the word form's
// newPage / setFlags read them, which keeps those closures short enough for V8 to inline `map` into a caller's loop
// (with the branches of attrLo inline, LA64's sequential map boxed its arguments: 28 heap bytes per map).
const ATTR_LO = /* @__PURE__ */ Int32Array.from({ length: 128 }, (_, i) => attrLo(i & 63, i >= 64));
const ATTR_HI = /* @__PURE__ */ Int32Array.from({ length: 64 }, (_, f) => attrHi(f));

/** attrLo from the table (flags of 6 bits) or computed (anything else, which the tables refuse before encoding). */
function leafLo(flags: number, huge: boolean): number {
  return flags >>> 6 === 0 ? ATTR_LO[huge ? flags | 64 : flags]! : attrLo(flags, huge);
}

/** attrHi from the table, as leafLo. */
function leafHi(flags: number): number {
  return flags >>> 6 === 0 ? ATTR_HI[flags]! : attrHi(flags);
}

/** MappingFlags of an entry, as the crate's `From<PTEFlags> for MappingFlags`. */
function decodeFlags(lo: number, hi: number): number {
  if ((lo & V) === 0) return 0;
  let f = 0;
  if ((hi & NR_HI) === 0) f |= READ;
  if (lo & W) f |= WRITE;
  if ((hi & NX_HI) === 0) f |= EXECUTE;
  if ((lo & (PLVL | PLVH)) === (PLVL | PLVH)) f |= USER;
  // MAT 0 (SUC) reads as DEVICE, MAT 2 (WUC) as UNCACHED, MAT 1 and the reserved 3 as cached
  if ((lo & MATL) === 0) f |= lo & MATH ? UNCACHED : DEVICE;
  return f;
}

/**
 * decodeFlags of every combination of the bits it reads, gathered into one byte: V (entry bit 0), PLV (3:2), MAT
 * (5:4) in place, W (bit 8) as bit 1, NR and NX (bits 61, 62) as bits 6 and 7 (5.4.2, the page table entry figure).
 * The word form's `flags` reads it: decodeFlags' branches made `unmap` too long for V8 to inline into a caller's loop
 * (its MappingInfo result was then allocated: 104 heap bytes per unmap).
 */
const DECODED = /* @__PURE__ */ Uint8Array.from({ length: 256 }, (_, i) =>
  decodeFlags((i & 0x3d) | ((i & 2) << 7), (i & 0xc0) << 23),
);

/** decodeFlags(lo, hi), read from DECODED. */
function decodedFlags(lo: number, hi: number): number {
  return DECODED[(lo & 0x3d) | ((lo >>> 7) & 2) | ((hi >>> 23) & 0xc0)]!;
}

/**
 * Level-aware presence (5.4.5, 4.2.5): at the last level (`last`, the PT level), V; in a directory, a huge-page
 * entry (bit 6 set) is present when V is set, and any other non-zero entry is a table pointer, which the walker
 * follows.
 */
function present(lo: number, hi: number, level: number, last: number): boolean {
  if (level >= last || (lo & GH) !== 0) return (lo & V) !== 0;
  return (lo | hi) !== 0;
}

/** Address bits of the low word: in a huge-page directory entry bit 12 is G (5.4.5). */
function addrMaskLo(lo: number, level: number, last: number): number {
  return level < last && (lo & GH) !== 0 ? HUGE_ADDR_LO : ADDR_LO;
}

/** The word-level codec of tables whose last (PT) level is `last`. */
function wordsFor(last: number): PTEWords {
  return Object.freeze({
    isPresent: (lo: number, hi: number, level: number): boolean => present(lo, hi, level, last),
    isHuge: (lo: number, _hi: number, level: number): boolean => level < last && (lo & GH) !== 0,
    paddrLo: (lo: number, _hi: number, level: number): number => (lo & addrMaskLo(lo, level, last)) >>> 0,
    paddrHi: (_lo: number, hi: number, _level: number): number => hi & ADDR_HI,
    flags: (lo: number, hi: number, _level: number): number => decodedFlags(lo, hi),
    newPageLo: (paLo: number, _paHi: number, flags: number, huge: boolean, _level: number): number =>
      ((paLo & ADDR_LO) | leafLo(flags, huge)) >>> 0,
    newPageHi: (_paLo: number, paHi: number, flags: number, _huge: boolean, _level: number): number =>
      ((paHi & ADDR_HI) | leafHi(flags)) >>> 0,
    // a table pointer is the plain physical address (LDDIR, 4.2.5.1), bit-identical to the crate
    newTableLo: (paLo: number, _paHi: number, _level: number): number => (paLo & ADDR_LO) >>> 0,
    newTableHi: (_paLo: number, paHi: number, _level: number): number => paHi & ADDR_HI,
    setFlagsLo: (lo: number, _hi: number, flags: number, huge: boolean, _level: number): number =>
      ((lo & ADDR_LO) | leafLo(flags, huge)) >>> 0,
    setFlagsHi: (_lo: number, hi: number, flags: number, _huge: boolean, _level: number): number =>
      ((hi & ADDR_HI) | leafHi(flags)) >>> 0,
    setPaddrLo: (lo: number, _hi: number, paLo: number, _paHi: number, level: number): number => {
      const m = addrMaskLo(lo, level, last);
      return ((lo & ~m) | (paLo & m)) >>> 0;
    },
    setPaddrHi: (_lo: number, hi: number, _paLo: number, paHi: number, _level: number): number =>
      ((hi & ~ADDR_HI) | (paHi & ADDR_HI)) >>> 0,
    // every LoongArch leaf maps exactly its level's size
    leafShift: (_lo: number, _hi: number, _level: number): number => -1,
    // 4.2.5.1 LDDIR and 5.4.5: a directory entry is a bare table address (present when not zero) unless bit 6 makes it
    // a huge-page entry (a block); a last-level entry maps when V (bit 0) is set; bits 47:12 the address.
    layout: Object.freeze({ present: 0, block: GH, table: 0, leaf: V, addrLo: ADDR_LO >>> 0, addrHi: ADDR_HI >>> 0, addrShift: 0 }),
  });
}

/** The address bits of an entry at `level` (bigint form of addrMaskLo). */
function addrMask(bits: bigint, level: number, last: number): bigint {
  return addrMaskLo(lo32(bits), level, last) === ADDR_LO ? ADDR : HUGE_ADDR;
}

/** The number of levels of a LoongArch64 table the codecs serve: the walker's PT level and one to three directories. */
export type LA64Levels = 2 | 3 | 4;

/** A LoongArch64 entry codec: the value-level methods, their word-level form, and the table depth it decodes for. */
export type LA64Codec = GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
  /** Levels of the tables it decodes: `levels - 1` is the PT level, where an entry is a page entry. */
  readonly levels: LA64Levels;
};

function makeCodec(levels: LA64Levels): LA64Codec {
  const last = levels - 1;
  const words = wordsFor(last);
  return Object.freeze({
    newPage(paddr: PhysAddr, flags: MappingFlags, isHuge: boolean): bigint {
      return (paddr & ADDR) | join(attrLo(flags, isHuge), attrHi(flags));
    },
    newTable(paddr: PhysAddr): bigint {
      return paddr & ADDR;
    },
    paddr(bits: bigint, level: number = last): PhysAddr {
      return bits & addrMask(bits, level, last);
    },
    flags(bits: bigint): MappingFlags {
      return decodeFlags(lo32(bits), hi32(bits));
    },
    setPaddr(bits: bigint, paddr: PhysAddr, level: number = last): bigint {
      const m = addrMask(bits, level, last);
      return (bits & ~m) | (paddr & m);
    },
    setFlags(bits: bigint, flags: MappingFlags, isHuge: boolean): bigint {
      return (bits & ADDR) | join(attrLo(flags, isHuge), attrHi(flags));
    },
    isUnused(bits: bigint): boolean {
      return bits === 0n;
    },
    isPresent(bits: bigint, level: number = last): boolean {
      return present(lo32(bits), hi32(bits), level, last);
    },
    isHuge(bits: bigint, level: number = last): boolean {
      return words.isHuge(lo32(bits), 0, level);
    },
    words,
    levels,
  });
}

/**
 * The LoongArch64 entry codec of 4-level tables (4 KiB pages). `newPage` and `newTable` are bit-identical to the
 * crate's `LA64PTE`: a non-empty MappingFlags set gives V | P, NR without READ, W | D with WRITE, NX without
 * EXECUTE, PLV = 3 with USER, MAT = 1 (coherent cached), 2 (UNCACHED) or 0 (DEVICE); `isHuge` adds bit 6; a table
 * entry is the plain address. Empty flags give the bare address, which is not present.
 *
 * Decoding is level-aware (`level` counts from the root, 0, to the last level, 3; omitted means the last
 * level): a directory entry with bit 6 clear is a table pointer and present when non-zero, one with bit 6 set
 * is a huge page, present when V is set, whose bit 12 is its G bit rather than address; a last-level entry
 * is present when V is set. The crate tests P instead, which its own table entries lack. The tables of 2 and 3
 * levels (16 KiB and 64 KiB pages) use {@link la64Codec}.
 *
 * @example
 * LA64PTE.newPage(0x1000n, MappingFlags.READ | MappingFlags.WRITE, false) // 0x4000000000001193n
 */
export const LA64PTE: LA64Codec = /* @__PURE__ */ makeCodec(4);

const CODECS: readonly LA64Codec[] = /* @__PURE__ */ Object.freeze([/* @__PURE__ */ makeCodec(2), /* @__PURE__ */ makeCodec(3), LA64PTE]);

/**
 * The LoongArch64 codec for tables of `levels` levels. The encodings are those of {@link LA64PTE} (the entry
 * formats do not depend on the page size: 5.4.5 describes them with PTbase and PTwidth as parameters); only
 * which level holds page entries changes, and with it how a directory entry decodes: the PT level is `levels - 1`
 * (2 for Linux's 16 KiB and 64 KiB 3-level tables, 1 for 64 KiB 2-level ones), and an omitted `level` means it.
 * One frozen object per depth; `la64Codec(4)` is `LA64PTE`.
 * @throws RangeError for a depth other than 2, 3 or 4.
 * @example
 * la64Codec(3).isPresent(0x4000n, 1); // true: a table pointer in the PMD
 */
export function la64Codec(levels: LA64Levels): LA64Codec {
  if (levels !== 2 && levels !== 3 && levels !== 4) throw new RangeError(`la64Codec: ${String(levels)} levels is not 2, 3 or 4`);
  return CODECS[levels - 2]!;
}
