// ARMv7-A long-descriptor translation table entries (VMSAv7 with the Large Physical Address Extension, TTBCR.EAE = 1):
// 64-bit descriptors, lookup levels 1 (1 GiB per entry), 2 (2 MiB) and 3 (4 KiB), 40-bit output addresses.
// Source: ARM Architecture Reference Manual, ARMv7-A and ARMv7-R edition (ARM DDI 0406C.d):
// - B3.6.1 "Long-descriptor translation table format descriptors": bits[1:0] say the type; at levels 1 and 2
//   0bx0 is Invalid, 0b01 a Block and 0b11 a Table descriptor; at level 3 0b11 is a Page descriptor and 0b01 is
//   reserved (it faults, as Invalid). A Block holds its output address in bits 39:30 (level 1) or 39:21 (level 2),
//   a Page in 39:12, a Table descriptor the next table's address in 39:12; bits 51:40 are UNK/SBZP. Lower
//   attributes 11:2 and upper attributes 63:52 in Blocks and Pages; the next-level attributes 63:59 in Tables.
// - B3.6.2 "Memory attributes in the Long-descriptor translation table format descriptors": AttrIndx[2:0] (4:2)
//   selects one of the eight attribute bytes of MAIR0/MAIR1, SH[1:0] (9:8) the shareability, NS (5) the security
//   state of the output address; NSTable (63) in a Table descriptor.
// - B3.7.1 "Access permissions": AP[2:1] (7:6), with AP[2] = 1 read-only and AP[1] = 1 giving PL0 the access PL1
//   has; APTable[1:0] (62:61) in a Table descriptor: APTable[1] forbids writes, APTable[0] PL0 access below it.
// - B3.7.2 "Execute-never restrictions on instruction fetching": XN (54), PXN (53); XNTable (60) and PXNTable (59)
//   in a Table descriptor.
// - B3.7.3 "The Access flag": AF (10); with AF = 0 an access faults (the Access flag is managed by software).
// - B3.9.1 "Global and process-specific translation table entries": nG (11).
// - B3.6.1, the Contiguous hint (52): one of 16 adjacent entries that map a contiguous, aligned range.
// - B4.1.104 "MAIR0 and MAIR1": eight attribute bytes, Attr<n> in MAIR0 bits [8n+7:8n] for n = 0..3 and in MAIR1
//   bits [8(n-4)+7:8(n-4)] for n = 4..7. Attr<n>[7:4] = 0b0000 is Strongly-ordered (Attr<n>[3:0] = 0b0000) or
//   Device (0b0100) memory; otherwise Normal memory with the outer (7:4) and inner (3:0) cacheability, where 0b0100
//   is Non-cacheable, 0b01RW (RW not 0b00) and 0b11RW Write-Back, 0b00RW (RW not 0b00) and 0b10RW Write-Through.
//
// Levels: the tables count levels from their root (0), and a table's first lookup level is 1 or 2 (it follows from
// TTBCR.TxSZ, B3.6.5), so a codec is made for one first level: `level` l is lookup level firstLevel + l.
import type { GenericPTE, MappingFlags, PhysAddr, PTEWords } from '@page-table-multiarch/core';
import { bit, bits, hi32, join, lo32, maskHi, maskLo } from './_fields';
import { type MemTypeIndex, mairByte, memTypeIndex, memTypeOfByte, memTypes } from './_mair';

/**
 * The fields of ARMv7 long descriptors (B3.6.1), as bigint masks of a 64-bit entry. Block and Page descriptors hold
 * the lower (11:2) and upper (63:52) attributes; Table descriptors the next-level attributes (63:59).
 */
export const LpaeDescriptorAttr: {
  /** Bit 0: the descriptor is valid (B3.6.1). */
  readonly VALID: bigint;
  /** Bit 1: a Table descriptor at levels 1 and 2, a Page descriptor at level 3; clear in a Block (B3.6.1). */
  readonly NON_BLOCK: bigint;
  /** Bits 4:2, AttrIndx[2:0]: selects the attribute byte Attr<n> of MAIR0/MAIR1 (B3.6.2, B4.1.104). */
  readonly ATTR_INDX: bigint;
  /** Bit 5, NS: Non-secure output address, for accesses from Secure state (B3.6.2). */
  readonly NS: bigint;
  /** Bit 6, AP[1]: PL0 has the data access PL1 has (B3.7.1). */
  readonly AP_PL0: bigint;
  /** Bit 7, AP[2]: read-only (B3.7.1). */
  readonly AP_RO: bigint;
  /** Bits 9:8, SH[1:0]: 0b00 Non-shareable, 0b10 Outer Shareable, 0b11 Inner Shareable (B3.6.2). */
  readonly SH: bigint;
  /** Bit 10, AF: the Access flag; an access through an entry without it faults (B3.7.3). */
  readonly AF: bigint;
  /** Bit 11, nG: not global, the TLB entry is tagged with the ASID (B3.9.1). */
  readonly NG: bigint;
  /** Bit 52: one of 16 adjacent entries mapping a contiguous, aligned range (a TLB hint, B3.6.1). */
  readonly CONTIGUOUS: bigint;
  /** Bit 53, PXN: no execution at PL1 (B3.7.2). */
  readonly PXN: bigint;
  /** Bit 54, XN: no execution at any level (B3.7.2). */
  readonly XN: bigint;
  /** Bits 58:55: reserved for software use (B3.6.1). */
  readonly SOFTWARE: bigint;
  /** Bit 59, PXNTable: no PL1 execution from anything below this table (B3.7.2). */
  readonly PXN_TABLE: bigint;
  /** Bit 60, XNTable: no execution from anything below this table (B3.7.2). */
  readonly XN_TABLE: bigint;
  /** Bit 61, APTable[0]: no PL0 access to anything below this table (B3.7.1). */
  readonly AP_NO_PL0_TABLE: bigint;
  /** Bit 62, APTable[1]: no write access to anything below this table (B3.7.1). */
  readonly AP_NO_WRITE_TABLE: bigint;
  /** Bit 63, NSTable: the tables and memory below this table are Non-secure (B3.6.2). */
  readonly NS_TABLE: bigint;
} = /* @__PURE__ */ Object.freeze({
  VALID: /* @__PURE__ */ bit(0),
  NON_BLOCK: /* @__PURE__ */ bit(1),
  ATTR_INDX: /* @__PURE__ */ bits(4, 2),
  NS: /* @__PURE__ */ bit(5),
  AP_PL0: /* @__PURE__ */ bit(6),
  AP_RO: /* @__PURE__ */ bit(7),
  SH: /* @__PURE__ */ bits(9, 8),
  AF: /* @__PURE__ */ bit(10),
  NG: /* @__PURE__ */ bit(11),
  CONTIGUOUS: /* @__PURE__ */ bit(52),
  PXN: /* @__PURE__ */ bit(53),
  XN: /* @__PURE__ */ bit(54),
  SOFTWARE: /* @__PURE__ */ bits(58, 55),
  PXN_TABLE: /* @__PURE__ */ bit(59),
  XN_TABLE: /* @__PURE__ */ bit(60),
  AP_NO_PL0_TABLE: /* @__PURE__ */ bit(61),
  AP_NO_WRITE_TABLE: /* @__PURE__ */ bit(62),
  NS_TABLE: /* @__PURE__ */ bit(63),
});

/** Output address / next-level table address bits 39:12 (B3.6.1); a Block's low bits below its size are SBZP. */
export const LPAE_ADDR: bigint = /* @__PURE__ */ bits(39, 12);
/** Bits 51:40 of every descriptor type: UNK/SBZP (B3.6.1), read as reserved by the inspector. */
export const LPAE_SBZP: bigint = /* @__PURE__ */ bits(51, 40);

/**
 * The MAIR0 / MAIR1 pair the codecs use unless given another (B4.1.104): Attr0 = 0x04 Device, Attr1 = 0xff Normal
 * Write-Back Read/Write-Allocate (inner and outer), Attr2 = 0x44 Normal Non-cacheable; Attr3..7 = 0 (unused). The
 * same bytes as AArch64's MAIR_VALUE, so that AttrIndx means the same on both.
 */
export const LPAE_MAIR: {
  /** MAIR0: Attr0 = 0x04, Attr1 = 0xff, Attr2 = 0x44, Attr3 = 0. */
  readonly mair0: number;
  /** MAIR1: Attr4..Attr7 = 0. */
  readonly mair1: number;
} = /* @__PURE__ */ Object.freeze({ mair0: 0x0044_ff04, mair1: 0 });

/** Options of {@link a32LpaeCodec}. */
export interface A32LpaeCodecOptions {
  /** The lookup level of a table's root: 1 (TTBCR.TxSZ 0 or 1) or 2 (TxSZ 2..7) (B3.6.5). Default 1. */
  readonly firstLevel?: 1 | 2;
  /** MAIR0 as a u32 (Attr0..Attr3); default {@link LPAE_MAIR}'s. */
  readonly mair0?: number;
  /** MAIR1 as a u32 (Attr4..Attr7); default {@link LPAE_MAIR}'s. */
  readonly mair1?: number;
}

/** A long-descriptor codec, its word form, and the MAIR pair and first lookup level it was made for. */
export type A32LpaeCodec = GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
  /** The lookup level of level 0 (the root): 1 or 2. */
  readonly firstLevel: 1 | 2;
  /** The MAIR0 value whose attribute bytes AttrIndx selects. */
  readonly mair0: number;
  /** The MAIR1 value. */
  readonly mair1: number;
  /** The AttrIndx written for DEVICE, for UNCACHED and for other (Normal, cacheable) mappings. */
  readonly attrIndex: {
    /** AttrIndx of DEVICE mappings: a Device (or Strongly-ordered) byte. */
    readonly device: number;
    /** AttrIndx of UNCACHED mappings: a Normal Non-cacheable byte. */
    readonly uncached: number;
    /** AttrIndx of the other mappings: a Normal Write-Back byte. */
    readonly normal: number;
  };
};

const A = LpaeDescriptorAttr;

const READ = 1;
const WRITE = 2;
const EXECUTE = 4;
const USER = 8;
const DEVICE = 16;
const UNCACHED = 32;

/** Attr<n> of a MAIR0/MAIR1 pair (B4.1.104). */
export function mairAttr(mair0: number, mair1: number, n: number): number {
  return mairByte(mair0, mair1, n);
}

/**
 * The MappingFlags memory type an attribute byte stands for (B4.1.104): DEVICE for Strongly-ordered and Device
 * memory (Attr[7:4] = 0), UNCACHED for Normal memory that is Non-cacheable inner and outer (0x44), nothing for
 * other Normal memory.
 */
export function mairFlags(attr: number): MappingFlags {
  return memTypeOfByte(attr);
}

/**
 * The lower and upper attributes of a flag set (B3.6.1): READ sets VALID; no WRITE sets AP[2]; USER sets AP[1] and
 * PXN (the kernel never executes user memory), and XN without EXECUTE; a kernel mapping without EXECUTE sets XN and
 * PXN. AttrIndx from the memory type (DEVICE before UNCACHED), SH = Inner Shareable for Normal memory (Device memory
 * is Outer Shareable whatever SH says, B3.6.2), AF always, NON_BLOCK unless huge. An empty set has no VALID bit.
 */
function pageAttr(flags: number, huge: boolean, idx: MemTypeIndex): bigint {
  let attr = A.AF;
  if (flags !== 0) {
    const device = (flags & DEVICE) !== 0;
    const n = device ? idx.device : flags & UNCACHED ? idx.uncached : idx.normal;
    attr |= BigInt(n) << 2n; // AttrIndx, bits 4:2
    if (!device) attr |= A.SH;
    // every non-empty set is readable: the format has no write-only or execute-only encoding (B3.7.1)
    attr |= A.VALID;
    if (!(flags & WRITE)) attr |= A.AP_RO;
    if (flags & USER) {
      attr |= A.AP_PL0 | A.PXN;
      if (!(flags & EXECUTE)) attr |= A.XN;
    } else if (!(flags & EXECUTE)) {
      attr |= A.XN | A.PXN;
    }
  }
  return huge ? attr : attr | A.NON_BLOCK;
}

/** A codec for one first level and MAIR pair. */
function makeCodec(firstLevel: 1 | 2, mair0: number, mair1: number): A32LpaeCodec {
  // The word masks of the fields, made here rather than at the top of the module: a bundle that takes only the
  // short-descriptor codec of this subpath then drops all of this format (a top-level `maskLo(A.VALID)` reads a
  // property, which a bundler must keep).
  const VALID = maskLo(A.VALID);
  const NON_BLOCK = maskLo(A.NON_BLOCK);
  const TYPE_BITS = VALID | NON_BLOCK;
  const ATTR_INDX = maskLo(A.ATTR_INDX);
  const AP_PL0 = maskLo(A.AP_PL0);
  const AP_RO = maskLo(A.AP_RO);
  const PXN_HI = maskHi(A.PXN);
  const XN_HI = maskHi(A.XN);
  const ADDR_LO = maskLo(LPAE_ADDR);
  const ADDR_HI = maskHi(LPAE_ADDR);
  const attrIndex = Object.freeze(memTypeIndex(mair0, mair1, 'a32LpaeCodec', `MAIR0 0x${mair0.toString(16)} / MAIR1 0x${mair1.toString(16)}`));
  // level (counted from the root) of lookup level 3, where bits[1:0] = 0b01 is reserved (B3.6.1)
  const pageLevel = 3 - firstLevel;
  const memType = memTypes(mair0, mair1);
  const attrLo = new Uint32Array(64);
  const attrHi = new Uint32Array(64);
  for (let f = 0; f < 64; f++) {
    const a = pageAttr(f, false, attrIndex);
    attrLo[f] = lo32(a);
    attrHi[f] = hi32(a);
  }
  /** Whether (lo) is a descriptor the hardware uses at `level` (-1: unknown, bit 0 alone decides). */
  const validAt = (lo: number, level: number): boolean =>
    level === pageLevel ? (lo & TYPE_BITS) === TYPE_BITS : (lo & VALID) !== 0;
  const decode = (lo: number, hi: number, level: number): number => {
    if (!validAt(lo, level)) return 0;
    let f = READ | memType[(lo & ATTR_INDX) >>> 2]!; // AttrIndx, bits 4:2 (a literal shift: see _fields.ts)
    if ((lo & AP_RO) === 0) f |= WRITE;
    if ((lo & AP_PL0) !== 0) {
      f |= USER;
      if ((hi & XN_HI) === 0) f |= EXECUTE;
    } else if ((hi & (XN_HI | PXN_HI)) === 0) {
      f |= EXECUTE;
    }
    return f;
  };
  const words: PTEWords = Object.freeze({
    isPresent: (lo: number, _hi: number, level: number): boolean => validAt(lo, level),
    // valid and not a Table descriptor: a Block (B3.6.1); never at lookup level 3
    isHuge: (lo: number, _hi: number, level: number): boolean => level !== pageLevel && (lo & TYPE_BITS) === VALID,
    paddrLo: (lo: number, _hi: number, _level: number): number => (lo & ADDR_LO) >>> 0,
    paddrHi: (_lo: number, hi: number, _level: number): number => hi & ADDR_HI,
    flags: decode,
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
    // the Contiguous bit is a TLB hint: each entry still maps exactly its own page or block
    leafShift: (_lo: number, _hi: number, _level: number): number => -1,
    // what the specialised walks read (B3.6.1): bit 0 valid at every level; at lookup levels 1 and 2, bits[1:0] =
    // 0b11 a Table descriptor and 0b01 a Block (the full path reads it); at lookup level 3 (the last level, whatever
    // the first) only 0b11, a Page descriptor, maps (0b01 is reserved and faults: `leaf` fails it, as validAt does);
    // the output / next-level table address in bits 39:12, in place. Bits 51:40 (UNK/SBZP) are outside addrHi, as
    // paddrHi ignores them. The same encoding as AArch64's 4K granule (its layout), with a 40-bit address field.
    layout: Object.freeze({ present: VALID, block: NON_BLOCK, table: NON_BLOCK, leaf: TYPE_BITS, addrLo: ADDR_LO >>> 0, addrHi: ADDR_HI >>> 0, addrShift: 0 }),
  });
  const attr = (flags: number, huge: boolean): bigint => {
    const lo = attrLo[flags & 63]!;
    return join(huge ? lo & ~NON_BLOCK : lo, attrHi[flags & 63]!);
  };
  return Object.freeze({
    newPage: (paddr: PhysAddr, flags: MappingFlags, isHuge: boolean): bigint => (paddr & LPAE_ADDR) | attr(flags, isHuge),
    newTable: (paddr: PhysAddr): bigint => (paddr & LPAE_ADDR) | A.NON_BLOCK | A.VALID,
    paddr: (bits: bigint): PhysAddr => bits & LPAE_ADDR,
    flags: (bits: bigint, level = -1): MappingFlags => decode(lo32(bits), hi32(bits), level),
    setPaddr: (bits: bigint, paddr: PhysAddr): bigint => (bits & ~LPAE_ADDR) | (paddr & LPAE_ADDR),
    setFlags: (bits: bigint, flags: MappingFlags, isHuge: boolean): bigint => (bits & LPAE_ADDR) | attr(flags, isHuge),
    isUnused: (bits: bigint): boolean => bits === 0n,
    isPresent: (bits: bigint, level = -1): boolean => validAt(lo32(bits), level),
    isHuge: (bits: bigint, level = -1): boolean => words.isHuge(lo32(bits), 0, level),
    words,
    firstLevel,
    mair0,
    mair1,
    attrIndex,
  });
}

const CODECS = new Map<string, A32LpaeCodec>();

/**
 * The long-descriptor codec for tables whose root is at lookup level `firstLevel`, with memory types read through
 * and written for the MAIR0 / MAIR1 pair given (default {@link LPAE_MAIR}). One codec per set of options: the same
 * object comes back for the same options.
 *
 * Encoding: READ (implied for any non-empty set) sets VALID; no WRITE sets AP[2]; USER sets AP[1] and PXN, and XN
 * without EXECUTE; a kernel mapping without EXECUTE sets XN and PXN; DEVICE, UNCACHED and the rest select the
 * AttrIndx of a Device, a Normal Non-cacheable and a Normal Write-Back byte of the pair, Normal memory Inner
 * Shareable; AF always; Table descriptors carry no next-level limits. Decoding: a valid descriptor is readable,
 * writable without AP[2], USER with AP[1], executable without XN (and, for a kernel mapping, without PXN); the
 * memory type is what the selected byte says (Device or Strongly-ordered: DEVICE; Normal Non-cacheable: UNCACHED).
 * @throws RangeError for a first level other than 1 or 2, a MAIR value that is not a u32, or a pair with no byte
 *   for one of the three memory types.
 * @example
 * const linux = a32LpaeCodec({ firstLevel: 2, mair0: 0xeeaa4400, mair1: 0xff000004 });
 * linux.attrIndex; // { device: 4, uncached: 1, normal: 7 }
 */
export function a32LpaeCodec(options: A32LpaeCodecOptions = {}): A32LpaeCodec {
  const firstLevel = options.firstLevel ?? 1;
  const mair0 = options.mair0 ?? LPAE_MAIR.mair0;
  const mair1 = options.mair1 ?? LPAE_MAIR.mair1;
  if (firstLevel !== 1 && firstLevel !== 2) throw new RangeError(`a32LpaeCodec: "firstLevel" ${String(firstLevel)} is not 1 or 2`);
  for (const [name, v] of [['mair0', mair0], ['mair1', mair1]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new RangeError(`a32LpaeCodec: "${name}" ${String(v)} is not a u32`);
  }
  const key = `${firstLevel}:${mair0}:${mair1}`;
  let c = CODECS.get(key);
  if (c === undefined) {
    c = makeCodec(firstLevel, mair0, mair1);
    CODECS.set(key, c);
  }
  return c;
}

/**
 * The long-descriptor codec of tables whose root is at lookup level 1 (TTBCR.TxSZ = 0 or 1), with the default
 * {@link LPAE_MAIR} pair: `level` 0, 1 and 2 are lookup levels 1 (1 GiB Blocks), 2 (2 MiB Blocks) and 3 (4 KiB
 * Pages). See {@link a32LpaeCodec} for the encoding.
 * @example
 * A32LpaePTE.newPage(0x4000_0000n, MappingFlags.READ | MappingFlags.WRITE, false, 2) // 0x60000040000707n
 */
export const A32LpaePTE: A32LpaeCodec = /* @__PURE__ */ a32LpaeCodec();
