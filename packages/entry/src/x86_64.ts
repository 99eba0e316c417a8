// x86_64 page-table entries (4-level and 5-level paging).
// Source: Intel 64 and IA-32 Architectures Software Developer's Manual, Vol. 3A, section 4.5
// ("4-Level Paging and 5-Level Paging"), Tables 4-15 to 4-20 (formats of PML4E, PDPTE, PDE and PTE),
// and section 4.9 (PWT/PCD memory types). Bit layout is the same at every level except bit 7, which is
// PS (page size) above the last level and PAT in a 4 KiB PTE.
import type { GenericPTE, MappingFlags, PhysAddr, PTEWords } from '@page-table-multiarch/core';
import { bit, bits, hi32, join, lo32, maskHi, maskLo } from './_fields';
import { PAT_TYPE_NAMES, patEntries, withPat } from './_x86-pat';

/**
 * x86 page-table flag bits (the crate's `PTF`, from the `x86_64` crate's `PageTableFlags`), as bigint
 * masks of a 64-bit entry.
 */
export const PTF: {
  /** P, bit 0 (SDM Vol. 3A Table 4-20). */
  readonly PRESENT: bigint;
  /** R/W, bit 1: writes allowed. */
  readonly WRITABLE: bigint;
  /** U/S, bit 2: user-mode accesses allowed. */
  readonly USER_ACCESSIBLE: bigint;
  /** PWT, bit 3: page-level write-through (section 4.9.2). */
  readonly WRITE_THROUGH: bigint;
  /** PCD, bit 4: page-level cache disable (section 4.9.2). */
  readonly NO_CACHE: bigint;
  /** A, bit 5. */
  readonly ACCESSED: bigint;
  /** D, bit 6 (leaf entries). */
  readonly DIRTY: bigint;
  /** PS, bit 7: the PDPTE maps a 1 GiB page / the PDE maps a 2 MiB page (Tables 4-16, 4-18). */
  readonly HUGE_PAGE: bigint;
  /** G, bit 8 (leaf entries). */
  readonly GLOBAL: bigint;
  /** XD, bit 63: instruction fetches not allowed (when IA32_EFER.NXE = 1). */
  readonly NO_EXECUTE: bigint;
} = Object.freeze({
  PRESENT: bit(0),
  WRITABLE: bit(1),
  USER_ACCESSIBLE: bit(2),
  WRITE_THROUGH: bit(3),
  NO_CACHE: bit(4),
  ACCESSED: bit(5),
  DIRTY: bit(6),
  HUGE_PAGE: bit(7),
  GLOBAL: bit(8),
  NO_EXECUTE: bit(63),
});

/** Physical address bits 51:12 (M = 52, the architectural maximum), in place at every level (Tables 4-15 to 4-20). */
const ADDR = bits(51, 12);

// The same fields as masks of the low word, and of the high word for bit 63.
const P = maskLo(PTF.PRESENT);
const RW = maskLo(PTF.WRITABLE);
const US = maskLo(PTF.USER_ACCESSIBLE);
const PWT = maskLo(PTF.WRITE_THROUGH);
const PCD = maskLo(PTF.NO_CACHE);
const PS = maskLo(PTF.HUGE_PAGE);
const XD_HI = maskHi(PTF.NO_EXECUTE);
const ADDR_LO = maskLo(ADDR);
const ADDR_HI = maskHi(ADDR);

const READ = 1;
const WRITE = 2;
const EXECUTE = 4;
const USER = 8;
const DEVICE = 16;
const UNCACHED = 32;

/** Low-word attribute bits for MappingFlags, as the crate's `From<MappingFlags> for PTF`. */
function attrLo(flags: number, huge: boolean): number {
  let v = huge ? PS : 0;
  if (flags === 0) return v;
  v |= P;
  if (flags & WRITE) v |= RW;
  if (flags & USER) v |= US;
  if (flags & (DEVICE | UNCACHED)) v |= PCD | PWT;
  return v;
}

function attrHi(flags: number): number {
  return flags !== 0 && (flags & EXECUTE) === 0 ? XD_HI : 0;
}

// attrLo and attrHi of every MappingFlags set (6 bits), computed once; index flags | 64 for a huge page.
const ATTR_LO = new Int32Array(128);
const ATTR_HI = new Int32Array(64);
for (let f = 0; f < 64; f++) {
  ATTR_LO[f] = attrLo(f, false);
  ATTR_LO[f | 64] = attrLo(f, true);
  ATTR_HI[f] = attrHi(f);
}
function leafLo(flags: number, huge: boolean): number {
  return flags >>> 6 === 0 ? ATTR_LO[huge ? flags | 64 : flags]! : attrLo(flags, huge);
}
function leafHi(flags: number): number {
  return flags >>> 6 === 0 ? ATTR_HI[flags]! : attrHi(flags);
}

/** MappingFlags of an entry, as the crate's `From<PTF> for MappingFlags` (PCD reads as UNCACHED). */
function decodeFlags(lo: number, hi: number): number {
  if ((lo & P) === 0) return 0;
  let f = READ;
  if (lo & RW) f |= WRITE;
  if ((hi & XD_HI) === 0) f |= EXECUTE;
  if (lo & US) f |= USER;
  if (lo & PCD) f |= UNCACHED;
  return f;
}

const words: PTEWords = /* @__PURE__ */ Object.freeze({
  isPresent: (lo: number, _hi: number, _level: number): boolean => (lo & P) !== 0,
  isHuge: (lo: number, _hi: number, _level: number): boolean => (lo & PS) !== 0,
  paddrLo: (lo: number, _hi: number, _level: number): number => (lo & ADDR_LO) >>> 0,
  paddrHi: (_lo: number, hi: number, _level: number): number => hi & ADDR_HI,
  flags: (lo: number, hi: number, _level: number): number => decodeFlags(lo, hi),
  newPageLo: (paLo: number, _paHi: number, flags: number, huge: boolean, _level: number): number =>
    ((paLo & ADDR_LO) | leafLo(flags, huge)) >>> 0,
  newPageHi: (_paLo: number, paHi: number, flags: number, _huge: boolean, _level: number): number =>
    ((paHi & ADDR_HI) | leafHi(flags)) >>> 0,
  newTableLo: (paLo: number, _paHi: number, _level: number): number => ((paLo & ADDR_LO) | P | RW | US) >>> 0,
  newTableHi: (_paLo: number, paHi: number, _level: number): number => paHi & ADDR_HI,
  setFlagsLo: (lo: number, _hi: number, flags: number, huge: boolean, _level: number): number =>
    ((lo & ADDR_LO) | leafLo(flags, huge)) >>> 0,
  setFlagsHi: (_lo: number, hi: number, flags: number, _huge: boolean, _level: number): number =>
    ((hi & ADDR_HI) | leafHi(flags)) >>> 0,
  setPaddrLo: (lo: number, _hi: number, paLo: number, _paHi: number, _level: number): number =>
    ((lo & ~ADDR_LO) | (paLo & ADDR_LO)) >>> 0,
  setPaddrHi: (_lo: number, hi: number, _paLo: number, paHi: number, _level: number): number =>
    ((hi & ~ADDR_HI) | (paHi & ADDR_HI)) >>> 0,
  // every x86 leaf maps exactly its level's size
  leafShift: (_lo: number, _hi: number, _level: number): number => -1,
  // P, PS and address bits 51:12 mean the same at every level [SDM Vol. 3A 4.5, Tables 4-15 to 4-20]
  layout: /* @__PURE__ */ Object.freeze({ present: P, block: PS, addrLo: ADDR_LO >>> 0, addrHi: ADDR_HI >>> 0, addrShift: 0 }),
});

/**
 * The x86_64 entry codec, bit-identical to the crate's `X64PTE`: MappingFlags map to P, R/W, U/S, XD
 * and (for DEVICE or UNCACHED) PCD | PWT; table entries are P | R/W | U/S so that the leaf decides.
 *
 * @example
 * X64PTE.newPage(0x1000n, MappingFlags.READ | MappingFlags.WRITE, false) // 0x8000000000001003n
 */
export const X64PTE: GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
} = /* @__PURE__ */ Object.freeze({
  newPage(paddr: PhysAddr, flags: MappingFlags, isHuge: boolean): bigint {
    return (paddr & ADDR) | join(attrLo(flags, isHuge), attrHi(flags));
  },
  newTable(paddr: PhysAddr): bigint {
    return (paddr & ADDR) | PTF.PRESENT | PTF.WRITABLE | PTF.USER_ACCESSIBLE;
  },
  paddr(bits: bigint): PhysAddr {
    return bits & ADDR;
  },
  flags(bits: bigint): MappingFlags {
    return decodeFlags(lo32(bits), hi32(bits));
  },
  setPaddr(bits: bigint, paddr: PhysAddr): bigint {
    return (bits & ~ADDR) | (paddr & ADDR);
  },
  setFlags(bits: bigint, flags: MappingFlags, isHuge: boolean): bigint {
    return (bits & ADDR) | join(attrLo(flags, isHuge), attrHi(flags));
  },
  isUnused(bits: bigint): boolean {
    return bits === 0n;
  },
  isPresent(bits: bigint): boolean {
    return (bits & PTF.PRESENT) !== 0n;
  },
  isHuge(bits: bigint): boolean {
    return (bits & PTF.HUGE_PAGE) !== 0n;
  },
  words,
});

// ---------------------------------------------------------------- memory types through the PAT
// Source: Intel SDM Vol. 3A, "Page Attribute Table (PAT)" (section 11.12 in the 325462-07x editions); the encodings
// and the indexing are in _x86-pat.ts, shared with 32-bit and PAE paging.
// - "Programming the PAT", Table 11-12: after power-up or reset PA0..PA7 are WB, WT, UC-, UC, WB, WT, UC-, UC.

/** IA32_PAT after power-up or reset: PA0..PA7 = WB, WT, UC-, UC, WB, WT, UC-, UC (SDM Vol. 3A Table 11-12). */
export const X64_PAT_POWER_ON: bigint = 0x0007_0406_0007_0406n;

/** Options of {@link x64Codec}. */
export interface X64CodecOptions {
  /** IA32_PAT: what PAT:PCD:PWT of a leaf select (default {@link X64_PAT_POWER_ON}). */
  readonly pat?: bigint;
  /** Paging levels, 4 or 5 (CR4.LA57): bit 7 is PAT only in the last level's entries (default 4). */
  readonly levels?: 4 | 5;
}

/** The x86_64 codec type: a GenericPTE with its word-level form. */
export type X64Codec = GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
};

/**
 * The memory types of the eight entries PA0..PA7 of an IA32_PAT value, by name (`'WB'`, `'WC'`, `'UC-'`, ...), for
 * listings. A leaf selects entry PAT:PCD:PWT.
 * @throws RangeError for a PAT value with a reserved entry (encodings 2 and 3, or bits 7:3 set).
 * @example x64PatTypes(0x0007_0406_0007_0406n) // ['WB', 'WT', 'UC-', 'UC', 'WB', 'WT', 'UC-', 'UC']
 */
export function x64PatTypes(pat: bigint): readonly string[] {
  return Object.freeze(Array.from(patEntries(pat, 'x64PatTypes'), (t) => PAT_TYPE_NAMES[t]!));
}

/**
 * The x86_64 codec with leaves' memory types read through an IA32_PAT value: a leaf reads as UNCACHED when the PAT
 * entry that its PAT, PCD and PWT bits select is UC, WC or UC- (not cacheable), whatever PCD says. Encoding is
 * {@link X64PTE}'s, bit for bit (DEVICE and UNCACHED write PCD | PWT, which selects UC under the power-on PAT and
 * under Linux's). With the power-on PAT it decodes as {@link X64PTE} does. Bit 7 is PAT at the last level and PS
 * above, so `flags` needs the level of a 4 KiB PTE; without a level an entry with bit 7 set reads as a huge page.
 * @throws RangeError for a PAT value with a reserved entry (encodings 2 and 3, or bits 7:3 set), or levels other
 *   than 4 and 5.
 * @example
 * // Linux's PAT (arch/x86/mm/pat/memtype.c): PA1 = WC, selected by PWT alone
 * const linux = x64Codec({ pat: 0x0407_0506_0007_0106n });
 * linux.flags(0x8000_0000_0000_100bn, 3) & MappingFlags.UNCACHED // 32: WC is not cached
 * X64PTE.flags(0x8000_0000_0000_100bn) & MappingFlags.UNCACHED    // 0: under the power-on PAT, PA1 is WT
 */
export function x64Codec(options: X64CodecOptions = {}): X64Codec {
  const levels = options.levels ?? 4;
  if (levels !== 4 && levels !== 5) throw new RangeError(`x64Codec: "levels" ${String(levels)} is not 4 or 5`);
  return withPat(X64PTE, options.pat ?? X64_PAT_POWER_ON, levels - 1, true, 'x64Codec');
}

// The legacy modes of the same architecture: 32-bit paging and PAE paging (SDM Vol. 3A 4.3, 4.4).
export {
  X86PDE4M,
  X86PaePTE,
  type X86PaeOptions,
  X86PTE32,
  type X86Pte32Options,
  x86PaeCodec,
  x86Pte32Codec,
} from './_x86-legacy';

// EPT, the second stage of translation under VMX (SDM Vol. 3C 29.3).
export { X86EptFlags, type X86EptOptions, X86EptPTE, x86EptCodec } from './_x86-ept';
