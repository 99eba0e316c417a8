// AArch64 (VMSAv8-64) stage 1 translation table descriptors: 4 KiB granule, 48-bit output addresses,
// lookup levels 0..3 (the crate's codecs); a64Codec adds the 16 and 64 KiB granules and 52-bit output addresses
// (FEAT_LPA, FEAT_LPA2: the split address fields are in _a64-oa52.ts).
// Source: Arm Architecture Reference Manual for A-profile architecture, DDI 0487 (section numbers as in
// issue K.a; the titles are the same in other issues):
// - D8.3 "Translation table descriptor formats": bit[0] valid, bit[1] type; below level 3 bit[1] = 1 is a
//   Table descriptor and 0 a Block descriptor, at level 3 bit[1] = 1 is a Page descriptor and 0 is reserved
//   and treated as invalid.
// - D8.3.1.1 "VMSAv8-64 Table descriptor format": NLTA[47:12], and the stage 1 next-level attributes
//   PXNTable (59), XNTable / UXNTable (60), APTable (62:61), NSTable (63).
// - D8.3.1.2 "VMSAv8-64 Block descriptor and Page descriptor formats": OA[47:n] (n = 30 for a level 1
//   block, 21 for a level 2 block, 12 for a page), lower attributes AttrIndx (4:2), NS (5), AP[2:1] (7:6),
//   SH[1:0] (9:8), AF (10), nG (11) and upper attributes Contiguous (52), PXN (53), UXN / XN (54).
// - D8.4.1.2.1 "Stage 1 data accesses using Direct permissions": AP[2:1] for a regime with two Exception
//   levels (EL1&0), AP[2] alone for a regime with one (EL2, where AP[1] is RES1).
// - D8.4.1.2.3 "Stage 1 instruction execution using Direct permissions": UXN and PXN (two privilege
//   levels), XN in bit 54 (one privilege level, bit 53 RES0).
// - D8.6.1 "Stage 1 memory type and Cacheability attributes": AttrIndx selects the byte MAIR_ELx.Attr<n>.
// - D8.6.2 "Stage 1 Shareability attributes": SH = 0b11 Inner Shareable, 0b10 Outer, 0b00 Non-shareable.
// - The pseudocode AArch64.BlockDescSupported(): with the 4 KiB granule and TCR_ELx.DS = 0, Block
//   descriptors exist at levels 1 (1 GiB) and 2 (2 MiB) only; a level 0 block is a Translation fault.
import type { GenericPTE, MappingFlags, PhysAddr, PTEWords } from '@page-table-multiarch/core';
import { bit, bits, hi32, join, lo32, maskHi, maskLo, shiftOf } from './_fields';
import { a64LevelShape } from './_a64-levels';
import { type A64OutputForm, oa52Words } from './_a64-oa52';
import { type MemTypeIndex, memTypeIndex, memTypes } from './_mair';

export type { MemTypeIndex } from './_mair';

/**
 * Attribute bits of stage 1 VMSAv8-64 descriptors, as bigint masks of a 64-bit entry. The names are the
 * crate's (`DescriptorAttr`); `AP_TABLE` is the whole APTable field (both of its bits).
 */
export const DescriptorAttr: {
  // Block and Page descriptors (D8.3.1.2)
  /** Bit 0: the descriptor is valid (D8.3). */
  readonly VALID: bigint;
  /** Bit 1: a Table descriptor below level 3, a Page descriptor at level 3; clear in a Block descriptor (D8.3). */
  readonly NON_BLOCK: bigint;
  /** Bits 4:2, AttrIndx[2:0]: selects MAIR_ELx.Attr<n> (D8.6.1); see {@link MemAttr}. */
  readonly ATTR_INDX: bigint;
  /** Bit 5, NS: Non-secure output address, for accesses from Secure state (RES0 from Non-secure state). */
  readonly NS: bigint;
  /** Bit 6, AP[1]: EL0 has the same data access as EL1 (D8.4.1.2.1); RES1 in the EL2 regime. */
  readonly AP_EL0: bigint;
  /** Bit 7, AP[2]: read-only (D8.4.1.2.1). */
  readonly AP_RO: bigint;
  /** Bit 8, SH[0]: with SH[1], Inner Shareable (D8.6.2). */
  readonly INNER: bigint;
  /** Bit 9, SH[1]: Outer Shareable, or Inner with SH[0] (D8.6.2). */
  readonly SHAREABLE: bigint;
  /** Bit 10, AF: the Access flag; an entry without it faults on first access unless hardware sets it. */
  readonly AF: bigint;
  /** Bit 11, nG: not global (the TLB entry is tagged with the ASID). */
  readonly NG: bigint;
  /**
   * Bit 52, Contiguous: one of an aligned run of adjacent entries mapping a contiguous, aligned range with the same
   * attributes (a TLB hint; 16 entries with the 4 KiB granule, 128 or 32 with 16 KiB, 32 with 64 KiB: Arm ARM D8,
   * "The Contiguous bit").
   */
  readonly CONTIGUOUS: bigint;
  /** Bit 53, PXN: privileged execute-never (RES0 in the EL2 regime) (D8.4.1.2.3). */
  readonly PXN: bigint;
  /** Bit 54, UXN: unprivileged execute-never; XN, the only execute-never bit, in the EL2 regime (D8.4.1.2.3). */
  readonly UXN: bigint;
  // Table descriptors, stage 1 next-level attributes (D8.3.1.1)
  /** Bit 59, PXNTable: no privileged execution at any later level. */
  readonly PXN_TABLE: bigint;
  /** Bit 60, XNTable / UXNTable: no (unprivileged) execution at any later level. */
  readonly XN_TABLE: bigint;
  /** Bit 61, APTable[0]: no EL0 data access at any later level. */
  readonly AP_NO_EL0_TABLE: bigint;
  /** Bit 62, APTable[1]: no write access at any later level. */
  readonly AP_NO_WRITE_TABLE: bigint;
  /** Bits 62:61, the APTable field (both bits above). */
  readonly AP_TABLE: bigint;
  /** Bit 63, NSTable: later levels are Non-secure (accesses from Secure state). */
  readonly NS_TABLE: bigint;
} = Object.freeze({
  VALID: bit(0),
  NON_BLOCK: bit(1),
  ATTR_INDX: bits(4, 2),
  NS: bit(5),
  AP_EL0: bit(6),
  AP_RO: bit(7),
  INNER: bit(8),
  SHAREABLE: bit(9),
  AF: bit(10),
  NG: bit(11),
  CONTIGUOUS: bit(52),
  PXN: bit(53),
  UXN: bit(54),
  PXN_TABLE: bit(59),
  XN_TABLE: bit(60),
  AP_NO_EL0_TABLE: bit(61),
  AP_NO_WRITE_TABLE: bit(62),
  AP_TABLE: bits(62, 61),
  NS_TABLE: bit(63),
});

/**
 * The AttrIndx values the codecs write, each an index into MAIR_ELx that {@link MAIR_VALUE} fills
 * (the crate's `MemAttr`).
 */
export const MemAttr: {
  /** Attr0: Device-nGnRE memory. */
  readonly Device: 0;
  /** Attr1: Normal memory, Write-Back cacheable. */
  readonly Normal: 1;
  /** Attr2: Normal memory, Non-cacheable. */
  readonly NormalNonCacheable: 2;
} = Object.freeze({
  Device: 0,
  Normal: 1,
  NormalNonCacheable: 2,
} as const);

/** One of the {@link MemAttr} indices. */
export type MemAttr = (typeof MemAttr)[keyof typeof MemAttr];

/**
 * The value to load into MAIR_EL1 (or MAIR_EL2) so that the AttrIndx values of {@link MemAttr} mean what
 * the codecs intend. MAIR_ELx holds eight attribute bytes, Attr<n> in bits [8n+7:8n] (Arm ARM DDI 0487,
 * the MAIR_EL1 register description, and D8.6.1):
 * - Attr0 = 0x04: bits[7:4] = 0b0000 is Device memory, bits[3:0] = 0b0100 is Device-nGnRE.
 * - Attr1 = 0xff: Normal memory, outer (bits[7:4]) and inner (bits[3:0]) both 0b1111 = Write-Back,
 *   Non-transient, Read-Allocate and Write-Allocate.
 * - Attr2 = 0x44: Normal memory, outer and inner both 0b0100 = Non-cacheable.
 */
export const MAIR_VALUE: bigint = 0x44_ff_04n;

// The same fields as u32 masks: the low word holds bits 31:0, the high word bits 63:32.
const VALID = maskLo(DescriptorAttr.VALID);
const NON_BLOCK = maskLo(DescriptorAttr.NON_BLOCK);
const TYPE_BITS = VALID | NON_BLOCK;
const ATTR_INDX = maskLo(DescriptorAttr.ATTR_INDX);
const ATTR_INDX_AT = shiftOf(DescriptorAttr.ATTR_INDX);
const AP_EL0 = maskLo(DescriptorAttr.AP_EL0);
const AP_RO = maskLo(DescriptorAttr.AP_RO);
const PXN_HI = maskHi(DescriptorAttr.PXN);
const CONTIGUOUS_HI = maskHi(DescriptorAttr.CONTIGUOUS);
const UXN_HI = maskHi(DescriptorAttr.UXN);

const READ = 1;
const WRITE = 2;
const EXECUTE = 4;
const USER = 8;
const DEVICE = 16;
const UNCACHED = 32;

/**
 * The crate's `DescriptorAttr::from_mem_attr`: the AttrIndx field for `idx`, plus SH = Inner Shareable
 * (SH[1:0] = 0b11, D8.6.2) for the two Normal types. Device memory is always treated as Outer Shareable
 * whatever SH says (D8.6.2), so SH stays 0 there.
 */
export function descriptorAttrFromMemAttr(idx: MemAttr): bigint {
  const attr = BigInt(idx) << BigInt(ATTR_INDX_AT);
  return idx === MemAttr.Device ? attr : attr | DescriptorAttr.INNER | DescriptorAttr.SHAREABLE;
}

/** The crate's `DescriptorAttr::mem_attr`: the MemAttr that AttrIndx names, or undefined for 3..7. */
export function memAttrOf(bits: bigint): MemAttr | undefined {
  const idx = (lo32(bits) & ATTR_INDX) >>> ATTR_INDX_AT;
  return idx <= MemAttr.NormalNonCacheable ? (idx as MemAttr) : undefined;
}

/** The crate's AttrIndx for each memory type: MemAttr's, which MAIR_VALUE fills. */
const CRATE_INDEX: MemTypeIndex = Object.freeze({ device: MemAttr.Device, uncached: MemAttr.NormalNonCacheable, normal: MemAttr.Normal });

/**
 * The crate's `From<MappingFlags> for DescriptorAttr`: the attribute bits a flag set stands for. `el2`
 * selects the crate's `arm-el2` encoding (one privilege level: no AP[1], no PXN, XN for no EXECUTE).
 * Empty flags give no bits at all; a set without READ gives no VALID bit (a descriptor the hardware does
 * not use), exactly as the crate.
 * @example descriptorAttrFromFlags(MappingFlags.READ | MappingFlags.WRITE) // 0x60000000000305n
 */
export function descriptorAttrFromFlags(flags: MappingFlags, el2 = false): bigint {
  return attrOfFlags(flags, el2, CRATE_INDEX);
}

/**
 * The attribute bits of a flag set with the memory types at the AttrIndx values of `idx` (D8.6.1): AttrIndx, and
 * SH = Inner Shareable (SH[1:0] = 0b11, D8.6.2) for Normal memory (Device memory is always treated as Outer
 * Shareable whatever SH says, so SH stays 0 there); then the permissions of D8.4.1.2.
 */
function attrOfFlags(flags: number, el2: boolean, idx: MemTypeIndex): bigint {
  if (flags === 0) return 0n;
  const A = DescriptorAttr;
  const device = (flags & DEVICE) !== 0;
  let attr = BigInt(device ? idx.device : flags & UNCACHED ? idx.uncached : idx.normal) << BigInt(ATTR_INDX_AT);
  if (!device) attr |= A.INNER | A.SHAREABLE;
  if (flags & READ) attr |= A.VALID;
  if (!(flags & WRITE)) attr |= A.AP_RO;
  if (el2) {
    // one privilege level: bit 54 is XN (D8.4.1.2.3)
    if (!(flags & EXECUTE)) attr |= A.UXN;
  } else if (flags & USER) {
    // EL0 gets the EL1 data access (AP[1] = 1); the kernel never executes user memory
    attr |= A.AP_EL0 | A.PXN;
    if (!(flags & EXECUTE)) attr |= A.UXN;
  } else {
    attr |= A.UXN;
    if (!(flags & EXECUTE)) attr |= A.PXN;
  }
  return attr;
}

/** The memory type each AttrIndx reads as in the crate: 0 DEVICE, 2 UNCACHED, the others neither. */
const CRATE_TYPES = Uint8Array.of(DEVICE, 0, UNCACHED, 0, 0, 0, 0, 0);

/**
 * The crate's `From<DescriptorAttr> for MappingFlags`: what a valid descriptor grants. A valid
 * descriptor is always readable (no AP encoding denies reads at the level that has access, D8.4.1.2.1);
 * AttrIndx 0 reads as DEVICE and 2 as UNCACHED.
 */
export function flagsFromDescriptorAttr(attr: bigint, el2 = false): MappingFlags {
  return decodeWords(lo32(attr), hi32(attr), -1, 0, el2, CRATE_TYPES);
}

/**
 * Whether (lo) is a descriptor the hardware uses at `level` (-1: unknown level, bit 0 alone decides). `strict` has
 * bit l set for each level where bits[1:0] = 0b01 is not a Block: the last level (D8.3, reserved there) and the
 * levels without blocks (AArch64.BlockDescSupported()).
 */
function validAt(lo: number, level: number, strict: number): boolean {
  // level -1 shifts by 31, a bit no strict mask has (6 levels at most)
  if (((strict >>> level) & 1) !== 0) return (lo & TYPE_BITS) === TYPE_BITS;
  return (lo & VALID) !== 0;
}

/** The flags of (lo, hi) at `level` (-1: any level, bit 0 alone tells validity), memory types from `types`. */
function decodeWords(lo: number, hi: number, level: number, strict: number, el2: boolean, types: Uint8Array): number {
  if (!validAt(lo, level, strict)) return 0;
  let f = READ;
  if ((lo & AP_RO) === 0) f |= WRITE;
  if (el2) {
    if ((hi & UXN_HI) === 0) f |= EXECUTE;
  } else if ((lo & AP_EL0) !== 0) {
    f |= USER;
    if ((hi & UXN_HI) === 0) f |= EXECUTE;
  } else if ((hi & PXN_HI) === 0) {
    f |= EXECUTE;
  }
  return f | types[(lo & ATTR_INDX) >>> 2]!; // AttrIndx, bits 4:2 (a literal shift: see _fields.ts)
}

/** Which leaves a table marks not global (nG, bit 11: the TLB entry is tagged with the ASID, D8.3.1.2). */
export type A64NonGlobal = 'none' | 'user' | 'all';

/** How a codec is made: the permission regime, the memory types, nG, and the geometry it reads. */
interface CodecSpec {
  readonly el2: boolean;
  /** Encode every non-empty set as if it had READ (the tables' codecs). */
  readonly impliedRead: boolean;
  /** AttrIndx written per memory type. */
  readonly index: MemTypeIndex;
  /** Memory type read per AttrIndx. */
  readonly types: Uint8Array;
  /** Which leaves get nG. */
  readonly nonGlobal: A64NonGlobal;
  /** Levels (bit l for codec level l) where bits[1:0] = 0b01 is not a Block (see validAt). */
  readonly strict: number;
  /** log2 of the granule: the lowest bit of the address fields. */
  readonly granuleShift: number;
  /** Where the output address is: 48 bits in place, or 52 bits with FEAT_LPA (64K) or FEAT_LPA2 (DS = 1). */
  readonly form: A64OutputForm;
}

/**
 * Precomputed low and high words of the leaf attributes (AF, NON_BLOCK, and nG where asked) for each of the 64
 * flag sets, non-huge (NON_BLOCK set); a huge entry clears NON_BLOCK. The word methods index them by
 * `flags & 63`: bits above UNCACHED are ignored.
 */
function attrTables(spec: CodecSpec): { lo: Uint32Array; hi: Uint32Array } {
  const lo = new Uint32Array(64);
  const hi = new Uint32Array(64);
  for (let f = 0; f < 64; f++) {
    let bits = attrOfFlags(spec.impliedRead && f !== 0 ? f | READ : f, spec.el2, spec.index) | DescriptorAttr.AF | DescriptorAttr.NON_BLOCK;
    // nG only in leaves that map something; at EL2 (one privilege level) there is no USER to go by
    if (f !== 0 && (spec.nonGlobal === 'all' || (spec.nonGlobal === 'user' && !spec.el2 && (f & USER) !== 0))) bits |= DescriptorAttr.NG;
    // with TCR_ELx.DS = 1, bits 9:8 hold OA[51:50] and Shareability comes from TCR_ELx.SHn (D8.3.1.2, D8.6.2)
    if (spec.form === 'lpa2') bits &= ~(DescriptorAttr.INNER | DescriptorAttr.SHAREABLE);
    lo[f] = lo32(bits);
    hi[f] = hi32(bits);
  }
  return { lo, hi };
}

/** A codec with its word-level fast path. */
type A64CodecBase = GenericPTE & { readonly words: PTEWords };

/**
 * Makes the codec of a 52-bit form from the 48-bit word methods and the attribute words (see codec52). Passed in by
 * a64Codec alone, so that a bundle of the crate's codecs leaves the 52-bit code out.
 */
type WideCodec = (words: PTEWords, attrLo: Uint32Array, attrHi: Uint32Array) => A64CodecBase;

/** Builds one codec from its spec (a 52-bit form through `wide`). */
function makeCodec(spec: CodecSpec, wide?: WideCodec): A64CodecBase {
  const { el2, types, strict } = spec;
  const T = attrTables(spec);
  const attrLo = T.lo;
  const attrHi = T.hi;
  // OA / NLTA bits 47:granuleShift (D8.3.1.1, D8.3.1.2)
  const ADDR = bits(47, spec.granuleShift);
  const ADDR_LO = maskLo(ADDR);
  const ADDR_HI = maskHi(ADDR);
  // decodeWords of a valid entry for every combination of the bits it reads, gathered into one byte: AttrIndx
  // (bits 4:2) and AP (7:6) as bits 5:0 (with NS, bit 5, which no flag reads), PXN and UXN (bits 53, 54) as bits 6
  // and 7 (D8.3, D8.4). `flags` reads it after the validity check: decodeWords' branches made `unmap` too long for
  // V8 to inline into a caller's loop (its MappingInfo result was then allocated: 4.6 heap bytes per unmap).
  const decoded = Uint8Array.from({ length: 256 }, (_, i) => decodeWords((i & 0x3f) << 2 | TYPE_BITS, (i & 0xc0) << 15, -1, strict, el2, types));
  const words: PTEWords = Object.freeze({
    isPresent: (lo: number, _hi: number, level: number): boolean => validAt(lo, level, strict),
    // valid and not a Table descriptor: a Block (D8.3). Never true at a strict level.
    isHuge: (lo: number, _hi: number, level: number): boolean => validAt(lo, level, strict) && (lo & NON_BLOCK) === 0,
    paddrLo: (lo: number, _hi: number, _level: number): number => (lo & ADDR_LO) >>> 0,
    paddrHi: (_lo: number, hi: number, _level: number): number => hi & ADDR_HI,
    flags: (lo: number, hi: number, level: number): number =>
      validAt(lo, level, strict) ? decoded[((lo >>> 2) & 0x3f) | ((hi >>> 15) & 0xc0)]! : 0,
    newPageLo: (paLo: number, _paHi: number, flags: number, huge: boolean, _level: number): number =>
      ((paLo & ADDR_LO) | (huge ? attrLo[flags & 63]! & ~NON_BLOCK : attrLo[flags & 63]!)) >>> 0,
    newPageHi: (_paLo: number, paHi: number, flags: number, _huge: boolean, _level: number): number =>
      ((paHi & ADDR_HI) | attrHi[flags & 63]!) >>> 0,
    newTableLo: (paLo: number, _paHi: number, _level: number): number => ((paLo & ADDR_LO) | TYPE_BITS) >>> 0,
    newTableHi: (_paLo: number, paHi: number, _level: number): number => paHi & ADDR_HI,
    setFlagsLo: (lo: number, _hi: number, flags: number, huge: boolean, _level: number): number =>
      ((lo & ADDR_LO) | (huge ? attrLo[flags & 63]! & ~NON_BLOCK : attrLo[flags & 63]!)) >>> 0,
    setFlagsHi: (_lo: number, hi: number, flags: number, _huge: boolean, _level: number): number =>
      ((hi & ADDR_HI) | attrHi[flags & 63]!) >>> 0,
    setPaddrLo: (lo: number, _hi: number, paLo: number, _paHi: number, _level: number): number =>
      ((lo & ~ADDR_LO) | (paLo & ADDR_LO)) >>> 0,
    setPaddrHi: (_lo: number, hi: number, _paLo: number, paHi: number, _level: number): number =>
      ((hi & ~ADDR_HI) | (paHi & ADDR_HI)) >>> 0,
    // the Contiguous bit marks a run, which the metadata sizes per granule and level (its `runBits`): not a leaf
    // stored as repeated entries, each entry still holds its own page's address
    leafShift: (_lo: number, _hi: number, _level: number): number => -1,
    // the Contiguous bit, 52 (D8.3.1.2; Arm ARM D8 "The Contiguous bit"): a member of a run keeps its own output
    // address and attributes, with the bit set
    run: Object.freeze({
      hintLo: 0,
      hintHi: CONTIGUOUS_HI >>> 0,
      markLo: (lo: number, _hi: number, _level: number): number => lo >>> 0,
      markHi: (_lo: number, hi: number, _level: number): number => (hi | CONTIGUOUS_HI) >>> 0,
    }),
    // D8.3: bit 0 valid; above the last level, bits[1:0] = 0b11 a Table descriptor and 0b01 a Block (or, at a level
    // without blocks, reserved: the full path reports it); at the last level only 0b11, a Page descriptor, maps;
    // the address bits 47:granuleShift in place. The specialised walks read any granule with it.
    layout: Object.freeze({ present: VALID, block: NON_BLOCK, table: NON_BLOCK, leaf: TYPE_BITS, addrLo: ADDR_LO >>> 0, addrHi: ADDR_HI >>> 0, addrShift: 0 }),
  });

  if (wide !== undefined) return wide(words, attrLo, attrHi);

  // the bigint form: the same attribute tables and decoding; an omitted level is -1 (bit 0 alone tells
  // validity, as the crate reads it)
  const attr = (flags: number, huge: boolean): bigint => {
    const lo = attrLo[flags & 63]!;
    return join(huge ? lo & ~NON_BLOCK : lo, attrHi[flags & 63]!);
  };
  return Object.freeze({
    newPage(paddr: PhysAddr, flags: MappingFlags, isHuge: boolean): bigint {
      return (paddr & ADDR) | attr(flags, isHuge);
    },
    newTable(paddr: PhysAddr): bigint {
      return (paddr & ADDR) | DescriptorAttr.NON_BLOCK | DescriptorAttr.VALID;
    },
    paddr(bits: bigint): PhysAddr {
      return bits & ADDR;
    },
    flags(bits: bigint, level = -1): MappingFlags {
      return decodeWords(lo32(bits), hi32(bits), level, strict, el2, types);
    },
    setPaddr(bits: bigint, paddr: PhysAddr): bigint {
      return (bits & ~ADDR) | (paddr & ADDR);
    },
    setFlags(bits: bigint, flags: MappingFlags, isHuge: boolean): bigint {
      return (bits & ADDR) | attr(flags, isHuge);
    },
    isUnused(bits: bigint): boolean {
      return bits === 0n;
    },
    isPresent(bits: bigint, level = -1): boolean {
      return validAt(lo32(bits), level, strict);
    },
    isHuge(bits: bigint, level = -1): boolean {
      return words.isHuge(lo32(bits), 0, level);
    },
    runHint: DescriptorAttr.CONTIGUOUS,
    markRun(bits: bigint): bigint {
      return bits | DescriptorAttr.CONTIGUOUS;
    },
    words,
  });
}

/**
 * A codec of a 52-bit form: its bigint methods are its word methods on the two halves (the address is split, so no
 * single mask states it).
 */
function codec52(words: PTEWords, strict: number, el2: boolean, types: Uint8Array): A64CodecBase {
  return Object.freeze({
    newPage: (paddr: PhysAddr, flags: MappingFlags, isHuge: boolean): bigint =>
      join(words.newPageLo(lo32(paddr), hi32(paddr), flags, isHuge, -1), words.newPageHi(lo32(paddr), hi32(paddr), flags, isHuge, -1)),
    newTable: (paddr: PhysAddr): bigint => join(words.newTableLo(lo32(paddr), hi32(paddr), -1), words.newTableHi(lo32(paddr), hi32(paddr), -1)),
    paddr: (bits: bigint): PhysAddr => join(words.paddrLo(lo32(bits), hi32(bits), -1), words.paddrHi(lo32(bits), hi32(bits), -1)),
    flags: (bits: bigint, level = -1): MappingFlags => decodeWords(lo32(bits), hi32(bits), level, strict, el2, types),
    setPaddr: (bits: bigint, paddr: PhysAddr): bigint =>
      join(words.setPaddrLo(lo32(bits), hi32(bits), lo32(paddr), hi32(paddr), -1), words.setPaddrHi(lo32(bits), hi32(bits), lo32(paddr), hi32(paddr), -1)),
    setFlags: (bits: bigint, flags: MappingFlags, isHuge: boolean): bigint =>
      join(words.setFlagsLo(lo32(bits), hi32(bits), flags, isHuge, -1), words.setFlagsHi(lo32(bits), hi32(bits), flags, isHuge, -1)),
    isUnused: (bits: bigint): boolean => bits === 0n,
    isPresent: (bits: bigint, level = -1): boolean => validAt(lo32(bits), level, strict),
    isHuge: (bits: bigint, level = -1): boolean => words.isHuge(lo32(bits), 0, level),
    runHint: DescriptorAttr.CONTIGUOUS,
    markRun: (bits: bigint): bigint => bits | DescriptorAttr.CONTIGUOUS,
    words,
  });
}

/** Levels 0 and 3 strict: the 4 KiB granule walked from level 0 (no level 0 blocks, pages at level 3). */
const STRICT_4K_L0 = 0b1001;

/** The crate's codecs: AttrIndx as MemAttr, decoded as the crate does, 4 KiB granule from level 0. */
function crateCodec(el2: boolean): A64CodecBase {
  return makeCodec({ el2, impliedRead: false, index: CRATE_INDEX, types: CRATE_TYPES, nonGlobal: 'none', strict: STRICT_4K_L0, granuleShift: 12, form: 'pa48' });
}

/**
 * The AArch64 descriptor codec for the EL1&0 regime, bit-identical to the crate's default `A64PTE`:
 * READ sets VALID, no WRITE sets AP[2] (read-only), USER sets AP[1] and PXN (and UXN without EXECUTE),
 * a kernel mapping sets UXN (and PXN without EXECUTE); DEVICE selects AttrIndx 0, UNCACHED 2, otherwise 1
 * with Inner Shareable; AF is always set; NON_BLOCK unless `isHuge`. Table descriptors are VALID |
 * NON_BLOCK with no hierarchical limits.
 *
 * Like the crate, `newPage` and `setFlags` of a set without READ give a descriptor without VALID; the
 * tables write with {@link A64PTEImpliedRead} instead. Decoding takes the level into account when given
 * one: bits[1:0] = 0b01 is invalid at level 3 (reserved) and at level 0 (no level 0 blocks), and an
 * entry is huge when it is valid and not a table descriptor (an all-zero entry is not huge). AttrIndx 0 reads as
 * DEVICE, 2 as UNCACHED and the others as neither, as in the crate.
 *
 * @example
 * A64PTE.newPage(0x4000_0000n, MappingFlags.READ | MappingFlags.WRITE, false) // 0x60000040000707n
 */
export const A64PTE: GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
} = /* @__PURE__ */ crateCodec(false);

/**
 * The codec of the crate's `arm-el2` feature, for tables of the EL2 regime (one privilege level):
 * no AP[1], no PXN, and bit 54 as XN for a set without EXECUTE; USER is neither encoded nor decoded.
 * Otherwise as {@link A64PTE}.
 *
 * @example
 * A64PTEEl2.newPage(0x4000_0000n, MappingFlags.READ | MappingFlags.WRITE, false) // 0x40000040000707n
 */
export const A64PTEEl2: GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
} = /* @__PURE__ */ crateCodec(true);

/** Options of {@link a64Codec}. */
export interface A64CodecOptions {
  /** The translation granule in KiB: 4 (default), 16 or 64 (TCR_ELx.TG0 / TG1). */
  readonly granule?: 4 | 16 | 64;
  /**
   * The lookup level of the codec's level 0, the table's root (D8.2: it follows from the granule and TnSZ).
   * Default 0 for the 4 KiB and 16 KiB granules, 1 for 64 KiB (whose walks never start at level 0: 52 bits are a
   * 1024-entry level 1 table and two levels below it). -1 only for 4 KiB with `paBits` 52 (more than 48 bits).
   */
  readonly startLevel?: -1 | 0 | 1 | 2 | 3;
  /**
   * The output address size: 48 (default) or 52 bits. 52 with the 4 KiB or 16 KiB granule is FEAT_LPA2 with
   * TCR_ELx.DS = 1: OA[51:50] in bits 9:8, where SH was (the codec writes no SH: Shareability comes from TCR_ELx.SHn),
   * and blocks at lookup level 0 (4 KiB, 512 GiB) or 1 (16 KiB, 64 GiB). With 64 KiB it is FEAT_LPA (TCR_ELx.IPS =
   * 0b110): OA[51:48] in bits 15:12, and 4 TiB blocks at lookup level 1 (Arm ARM D8.3, AArch64.BlockDescSupported()).
   */
  readonly paBits?: 48 | 52;
  /** The EL2 regime with HCR_EL2.E2H = 0 (one privilege level), as {@link A64PTEEl2}. Default false. */
  readonly el2?: boolean;
  /**
   * The MAIR_ELx value the OS programs (default {@link MAIR_VALUE}): DEVICE, UNCACHED and the other mappings are
   * written with the AttrIndx of a Device (0x04, else 0x00), a Normal Non-cacheable (0x44) and a Normal Write-Back
   * (0xff, else any Write-Back) attribute byte, and every AttrIndx reads as the memory type its byte says.
   */
  readonly mair?: bigint;
  /** Which leaves get nG (bit 11): `'none'` (default, the crate's), `'user'` (the USER mappings), `'all'`. */
  readonly nonGlobal?: A64NonGlobal;
}

/** A codec of {@link a64Codec}: the word form, and what it was made for. */
export type A64Codec = GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
  /** The granule in KiB. */
  readonly granule: 4 | 16 | 64;
  /** The lookup level of level 0. */
  readonly startLevel: number;
  /** The output address size in bits (48, or 52 with FEAT_LPA / FEAT_LPA2). */
  readonly paBits: 48 | 52;
  /** Whether it encodes the EL2 regime. */
  readonly el2: boolean;
  /** The MAIR it reads and writes memory types through. */
  readonly mair: bigint;
  /** The AttrIndx written for DEVICE, UNCACHED and other mappings. */
  readonly attrIndex: MemTypeIndex;
  /** Which leaves get nG. */
  readonly nonGlobal: A64NonGlobal;
};


const CODECS = /* @__PURE__ */ new Map<string, A64Codec>();

/**
 * The descriptor codec a table of one format writes and reads with: the granule and the lookup level of its root
 * (which levels may hold blocks, where the address fields start), the regime, the MAIR its memory types go through,
 * and nG. READ is implied for every non-empty set, as in {@link A64PTEImpliedRead}. One codec per set of options:
 * the same object comes back for the same options.
 * @throws RangeError for a granule other than 4, 16 or 64, a `paBits` other than 48 or 52, a start level outside 0..3
 *   (1..3 for 64 KiB, -1..3 for 4 KiB with 52 bits), a `mair`
 *   that is not a u64, a MAIR with no Device, Normal Non-cacheable or Normal Write-Back attribute byte, or an
 *   unknown `nonGlobal`.
 * @example
 * const linux = a64Codec({ mair: 0x0000_0004_0044_ffffn }); // Linux's MAIR_EL1
 * linux.attrIndex; // { device: 4, uncached: 2, normal: 0 }
 */
export function a64Codec(options: A64CodecOptions = {}): A64Codec {
  const fn = 'a64Codec';
  const granule = options.granule ?? 4;
  if (granule !== 4 && granule !== 16 && granule !== 64) throw new RangeError(`${fn}: "granule" ${String(granule)} is not 4, 16 or 64 (KiB)`);
  const paBits = options.paBits ?? 48;
  if (paBits !== 48 && paBits !== 52) throw new RangeError(`${fn}: "paBits" ${String(paBits)} is not 48 or 52`);
  const startLevel = options.startLevel ?? (granule === 64 ? 1 : 0);
  // D8.2: a 64 KiB walk starts at level 1 at the earliest (52 bits: 10 + 13 + 13 index bits and the 16-bit offset);
  // level -1 exists only with 4 KiB and DS = 1
  const first = granule === 64 ? 1 : granule === 4 && paBits === 52 ? -1 : 0;
  if (!Number.isInteger(startLevel) || startLevel < first || startLevel > 3) {
    throw new RangeError(`${fn}: "startLevel" ${String(startLevel)} is outside ${first}..3 for the ${granule} KiB granule with ${paBits}-bit output addresses`);
  }
  const el2 = options.el2 ?? false;
  const mair = options.mair ?? MAIR_VALUE;
  if (typeof mair !== 'bigint' || mair < 0n || mair > 0xffff_ffff_ffff_ffffn) throw new RangeError(`${fn}: "mair" ${String(mair)} is not a u64 bigint`);
  const nonGlobal = options.nonGlobal ?? 'none';
  if (nonGlobal !== 'none' && nonGlobal !== 'user' && nonGlobal !== 'all') throw new RangeError(`${fn}: "nonGlobal" ${String(nonGlobal)} is not 'none', 'user' or 'all'`);
  const key = `${granule}:${startLevel}:${paBits}:${el2}:${mair}:${nonGlobal}`;
  let c = CODECS.get(key);
  if (c !== undefined) return c;
  const lo = lo32(mair);
  const hi = hi32(mair);
  const index = Object.freeze(memTypeIndex(lo, hi, fn, `MAIR 0x${mair.toString(16)}`));
  const { strict, granuleShift } = a64LevelShape(granule, startLevel, paBits === 52);
  const form = paBits === 48 ? 'pa48' : granule === 64 ? 'lpa' : 'lpa2';
  const types = memTypes(lo, hi);
  const wide: WideCodec | undefined =
    form === 'pa48' ? undefined : (words, attrLo, attrHi) => codec52(oa52Words(words, form, granuleShift, attrLo, attrHi, NON_BLOCK, TYPE_BITS), strict, el2, types);
  const base = makeCodec({ el2, impliedRead: true, index, types, nonGlobal, strict, granuleShift, form }, wide);
  c = Object.freeze({ ...base, granule, startLevel, paBits, el2, mair, attrIndex: index, nonGlobal }) as A64Codec;
  CODECS.set(key, c);
  return c;
}

/**
 * {@link A64PTE} for the tables: a non-empty flag set without READ is encoded as the set with READ added,
 * so that every entry a table writes is a valid descriptor. VMSAv8-64 has no write-only encoding, and
 * every valid descriptor is readable at the Exception level that may access it (D8.4.1.2.1): a
 * WRITE-only mapping is readable-writable, an EXECUTE-only one readable-executable. Memory types are read through
 * {@link MAIR_VALUE}: AttrIndx 0 and 3..7 (bytes 0x04 and 0x00, Device memory) read as DEVICE, 2 as UNCACHED, where
 * {@link A64PTE} (the crate) reads 3..7 as neither. Every other input, and all other decoding, is exactly
 * {@link A64PTE}. It is `a64Codec()`.
 */
export const A64PTEImpliedRead: A64Codec = /* @__PURE__ */ a64Codec();

/** {@link A64PTEEl2} for the tables, with READ implied and memory types as in {@link A64PTEImpliedRead}: `a64Codec({ el2: true })`. */
export const A64PTEEl2ImpliedRead: A64Codec = /* @__PURE__ */ a64Codec({ el2: true });

// The fields of 52-bit output addresses (FEAT_LPA, FEAT_LPA2).
export { A64OutputAddress } from './_a64-oa52';

// Stage 2 (EL2 for an EL1 guest): descriptors of IPA to PA tables.
export {
  type A64Stage2Codec,
  type A64Stage2CodecOptions,
  a64Stage2Codec,
  type S2Execute,
  S2DescriptorAttr,
  S2MemAttr,
  s2Execute,
  s2MemTypeOf,
} from './_a64-stage2';
