// AArch64 (VMSAv8-64) stage 2 translation table descriptors: what a hypervisor at EL2 builds to translate its EL1
// guest's intermediate physical addresses (IPAs) to physical addresses.
// Source: Arm Architecture Reference Manual for A-profile architecture, DDI 0487 (K.a numbering, as in aarch64.ts):
// - D8.3 "Translation table descriptor formats": bit[0] valid, bit[1] type, as at stage 1; the stage 2 Table
//   descriptor has no next-level attributes (bits 63:59 are RES0 at stage 2), NLTA[47:granule].
// - D8.3.1.2 "VMSAv8-64 Block descriptor and Page descriptor formats", the stage 2 attribute fields: MemAttr[3:0]
//   (5:2), S2AP[1:0] (7:6), SH[1:0] (9:8), AF (10), Contiguous (52), XN[1:0] (54:53; bit 53 is RES0 without
//   FEAT_XNX, and bit 54 alone is XN).
// - D8.4 "Memory access control", stage 2 data access permissions: S2AP 0b00 no access, 0b01 read-only, 0b10
//   write-only, 0b11 read/write; stage 2 has no privilege levels of its own (an EL0 and an EL1 access are checked
//   alike), so there is no USER. Stage 2 instruction execution: XN[1] = 1 forbids execution at EL1 and EL0; with
//   FEAT_XNX, XN[1:0] = 0b00 executable at both, 0b01 at EL0 only, 0b10 at neither, 0b11 at EL1 only.
// - D8.6 "Memory region attributes", stage 2 memory type and Cacheability with FEAT_S2FWB disabled (HCR_EL2.FWB = 0):
//   MemAttr[3:2] = 0b00 is Device memory, MemAttr[1:0] saying which (0b00 nGnRnE, 0b01 nGnRE, 0b10 nGRE, 0b11 GRE);
//   otherwise Normal memory, MemAttr[3:2] the outer and MemAttr[1:0] the inner Cacheability (0b01 Non-cacheable,
//   0b10 Write-Through, 0b11 Write-Back). There is no MAIR at stage 2. SH as at stage 1 (0b11 Inner Shareable).
// - The pseudocode AArch64.BlockDescSupported(): Block descriptors at lookup levels 1 and 2 with the 4 KiB granule,
//   at level 2 with 16 and 64 KiB (without FEAT_LPA / LPA2), as at stage 1.
import type { GenericPTE, MappingFlags, PhysAddr, PTEWords } from '@page-table-multiarch/core';
import { bit, bits, hi32, join, lo32, maskHi, maskLo } from './_fields';
import { a64LevelShape } from './_a64-levels';

/** Attribute bits of stage 2 VMSAv8-64 descriptors, as bigint masks of a 64-bit entry. */
export const S2DescriptorAttr: {
  /** Bit 0: the descriptor is valid (D8.3). */
  readonly VALID: bigint;
  /** Bit 1: a Table descriptor below the last level, a Page descriptor at it; clear in a Block descriptor (D8.3). */
  readonly NON_BLOCK: bigint;
  /** Bits 5:2, MemAttr[3:0]: the stage 2 memory type and Cacheability (D8.6, FEAT_S2FWB disabled). */
  readonly MEM_ATTR: bigint;
  /** Bit 6, S2AP[0]: stage 2 read access (D8.4). */
  readonly S2AP_READ: bigint;
  /** Bit 7, S2AP[1]: stage 2 write access (D8.4). */
  readonly S2AP_WRITE: bigint;
  /** Bits 9:8, SH[1:0]: Shareability of Normal memory, 0b11 Inner, 0b10 Outer, 0b00 Non-shareable (D8.6). */
  readonly SH: bigint;
  /** Bit 10, AF: the Access flag; an entry without it faults on first access unless hardware sets it (D8.3.1.2). */
  readonly AF: bigint;
  /** Bit 52: one of adjacent entries mapping a contiguous, aligned range (a TLB hint, D8.3.1.2). */
  readonly CONTIGUOUS: bigint;
  /** Bit 53, XN[0]: with FEAT_XNX, selects which of EL1 and EL0 XN[1] applies to (D8.4); RES0 without it. */
  readonly XN0: bigint;
  /** Bit 54, XN[1] (XN without FEAT_XNX): no instruction execution from the output address (D8.4). */
  readonly XN: bigint;
} = /* @__PURE__ */ Object.freeze({
  VALID: /* @__PURE__ */ bit(0),
  NON_BLOCK: /* @__PURE__ */ bit(1),
  MEM_ATTR: /* @__PURE__ */ bits(5, 2),
  S2AP_READ: /* @__PURE__ */ bit(6),
  S2AP_WRITE: /* @__PURE__ */ bit(7),
  SH: /* @__PURE__ */ bits(9, 8),
  AF: /* @__PURE__ */ bit(10),
  CONTIGUOUS: /* @__PURE__ */ bit(52),
  XN0: /* @__PURE__ */ bit(53),
  XN: /* @__PURE__ */ bit(54),
});

/**
 * The stage 2 MemAttr[3:0] values the stage 2 codecs write for the memory types of MappingFlags (D8.6, FEAT_S2FWB
 * disabled): the same choices as KVM's `MT_S2_*`.
 */
export const S2MemAttr: {
  /** 0b0001: Device-nGnRE (DEVICE mappings). */
  readonly DeviceNGnRE: 1;
  /** 0b0101: Normal, Outer and Inner Non-cacheable (UNCACHED mappings). */
  readonly NormalNonCacheable: 5;
  /** 0b1111: Normal, Outer and Inner Write-Back (every other mapping). */
  readonly NormalWriteBack: 15;
} = /* @__PURE__ */ Object.freeze({ DeviceNGnRE: 1, NormalNonCacheable: 5, NormalWriteBack: 15 } as const);

const READ = 1;
const WRITE = 2;
const EXECUTE = 4;
const DEVICE = 16;
const UNCACHED = 32;

/**
 * The MappingFlags memory type of a stage 2 MemAttr[3:0] (D8.6): DEVICE for Device memory (MemAttr[3:2] = 0b00),
 * UNCACHED for Normal memory Non-cacheable inner and outer (0b0101), nothing for other Normal memory.
 */
export function s2MemTypeOf(memAttr: number): MappingFlags {
  if ((memAttr & 0b1100) === 0) return DEVICE;
  return memAttr === 0b0101 ? UNCACHED : 0;
}

/** Which levels of a stage 2 table may execute: XN[1:0] decoded (D8.4). */
export interface S2Execute {
  /** Instructions may be fetched from EL1. */
  readonly el1: boolean;
  /** Instructions may be fetched from EL0. */
  readonly el0: boolean;
}

/**
 * Where a stage 2 descriptor allows execution (D8.4): without FEAT_XNX bit 54 (XN) alone decides for both
 * Exception levels; with it XN[1:0] = 0b00 both, 0b01 EL0 only, 0b10 neither, 0b11 EL1 only.
 * @example s2Execute(0x0040_0000_4000_07ffn, false) // { el1: false, el0: false }
 */
export function s2Execute(bits: bigint, xnx: boolean): S2Execute {
  const xn1 = (bits & S2DescriptorAttr.XN) !== 0n;
  if (!xnx) return { el1: !xn1, el0: !xn1 };
  const xn0 = (bits & S2DescriptorAttr.XN0) !== 0n;
  return { el1: xn1 === xn0, el0: !xn1 };
}

/**
 * The stage 2 attribute bits of a flag set (D8.4, D8.6): S2AP[0] for READ and S2AP[1] for WRITE (every combination
 * exists, none to read-write), XN (bit 54; XN[1:0] = 0b10 with FEAT_XNX) without EXECUTE, MemAttr for the memory
 * type (DEVICE Device-nGnRE, UNCACHED Normal Non-cacheable, otherwise Normal Write-Back) and SH = Inner Shareable
 * for Normal memory (Device memory is Outer Shareable whatever SH says, so SH stays 0 there), VALID, AF. USER has
 * no stage 2 meaning and is not encoded (the stage 2 tables refuse it). Empty flags give no bits.
 */
function attrOfFlags(flags: number): bigint {
  if (flags === 0) return 0n;
  const A = S2DescriptorAttr;
  const device = (flags & DEVICE) !== 0;
  const memAttr = device ? S2MemAttr.DeviceNGnRE : flags & UNCACHED ? S2MemAttr.NormalNonCacheable : S2MemAttr.NormalWriteBack;
  let attr = (BigInt(memAttr) << 2n) | A.VALID | A.AF;
  if (!device) attr |= A.SH;
  if (flags & READ) attr |= A.S2AP_READ;
  if (flags & WRITE) attr |= A.S2AP_WRITE;
  if (!(flags & EXECUTE)) attr |= A.XN;
  return attr;
}

/** Options of {@link a64Stage2Codec}. */
export interface A64Stage2CodecOptions {
  /** The translation granule in KiB (VTCR_EL2.TG0): 4 (default), 16 or 64. */
  readonly granule?: 4 | 16 | 64;
  /** The lookup level of the table's root (VTCR_EL2.SL0 with TG0, D8.2): 0..2 with 4 KiB, 1..3 with 16 and 64 KiB. */
  readonly startLevel?: 0 | 1 | 2 | 3;
  /** Decode XN[1:0] as FEAT_XNX does (EXECUTE only when both levels may execute). Default false: bit 54 alone. */
  readonly xnx?: boolean;
}

/** A stage 2 codec: the word form, and what it was made for. */
export type A64Stage2Codec = GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
  /** The granule in KiB. */
  readonly granule: 4 | 16 | 64;
  /** The lookup level of level 0. */
  readonly startLevel: number;
  /** Whether XN[1:0] is read as FEAT_XNX does. */
  readonly xnx: boolean;
};


const CODECS = /* @__PURE__ */ new Map<string, A64Stage2Codec>();

/**
 * The stage 2 descriptor codec of one table format: the granule and the lookup level of its root (which levels hold
 * blocks, where the address fields start), and how XN is read. Every flag set maps onto the descriptor exactly
 * (stage 2 can grant write-only and execute-only access); USER is ignored. One codec per set of options.
 * @throws RangeError for a granule other than 4, 16 or 64, or a start level outside 0..2 (4 KiB) or 1..3 (16 and
 *   64 KiB).
 * @example
 * const kvm = a64Stage2Codec({ startLevel: 1 });
 * kvm.newPage(0x4000_0000n, MappingFlags.READ | MappingFlags.WRITE, false) // 0x400000400007ffn
 */
export function a64Stage2Codec(options: A64Stage2CodecOptions = {}): A64Stage2Codec {
  const fn = 'a64Stage2Codec';
  const granule = options.granule ?? 4;
  if (granule !== 4 && granule !== 16 && granule !== 64) throw new RangeError(`${fn}: "granule" ${String(granule)} is not 4, 16 or 64 (KiB)`);
  const lowest = granule === 4 ? 0 : 1;
  const highest = granule === 4 ? 2 : 3;
  const startLevel = options.startLevel ?? lowest;
  if (!Number.isInteger(startLevel) || startLevel < lowest || startLevel > highest) {
    throw new RangeError(`${fn}: "startLevel" ${String(startLevel)} is outside ${lowest}..${highest} for the ${granule} KiB granule`);
  }
  const xnx = options.xnx ?? false;
  if (typeof xnx !== 'boolean') throw new RangeError(`${fn}: "xnx" ${String(xnx)} is not a boolean`);
  const key = `${granule}:${startLevel}:${xnx}`;
  let c = CODECS.get(key);
  if (c !== undefined) return c;
  const { strict, granuleShift } = a64LevelShape(granule, startLevel);
  c = Object.freeze({ ...makeCodec(strict, granuleShift, xnx), granule, startLevel, xnx }) as A64Stage2Codec;
  CODECS.set(key, c);
  return c;
}

/** Builds one codec: precomputed attribute words per flag set, the word form, and the bigint form over them. */
function makeCodec(strict: number, granuleShift: number, xnx: boolean): GenericPTE & { readonly words: PTEWords } {
  // The word masks of the fields, made here rather than at the top of the module: a bundle that takes only the
  // stage 1 codecs of this subpath then drops all of stage 2 (a top-level `maskLo(A.VALID)` reads a property, which
  // a bundler must keep).
  const A = S2DescriptorAttr;
  const VALID = maskLo(A.VALID);
  const NON_BLOCK = maskLo(A.NON_BLOCK);
  const TYPE_BITS = VALID | NON_BLOCK;
  const MEM_ATTR = maskLo(A.MEM_ATTR);
  const S2AP_READ = maskLo(A.S2AP_READ);
  const S2AP_WRITE = maskLo(A.S2AP_WRITE);
  const XN0_HI = maskHi(A.XN0);
  const XN_HI = maskHi(A.XN);
  /** Whether (lo) is a descriptor the hardware uses at `level` (-1: any level; bit l of `strict`: see the codec). */
  const validAt = (lo: number, level: number): boolean =>
    // level -1 shifts by 31, a bit no strict mask has
    ((strict >>> level) & 1) !== 0 ? (lo & TYPE_BITS) === TYPE_BITS : (lo & VALID) !== 0;
  /** The flags of (lo, hi) at `level`. EXECUTE needs execution at EL1 and EL0 (XN[1:0] = 0b00 with FEAT_XNX). */
  const decodeWords = (lo: number, hi: number, level: number): number => {
    if (!validAt(lo, level)) return 0;
    let f = 0;
    if ((lo & S2AP_READ) !== 0) f |= READ;
    if ((lo & S2AP_WRITE) !== 0) f |= WRITE;
    if ((hi & XN_HI) === 0 && (!xnx || (hi & XN0_HI) === 0)) f |= EXECUTE;
    return f | s2MemTypeOf((lo & MEM_ATTR) >>> 2); // MemAttr, bits 5:2
  };
  // attribute words (with NON_BLOCK, as a Page descriptor has it) of each of the 64 flag sets;
  // a huge entry clears NON_BLOCK. The word methods index them by `flags & 63`.
  const attrLo = new Uint32Array(64);
  const attrHi = new Uint32Array(64);
  for (let f = 1; f < 64; f++) {
    const a = attrOfFlags(f) | S2DescriptorAttr.NON_BLOCK;
    attrLo[f] = lo32(a);
    attrHi[f] = hi32(a);
  }
  // OA / NLTA bits 47:granuleShift (D8.3.1.1, D8.3.1.2)
  const ADDR = bits(47, granuleShift);
  const ADDR_LO = maskLo(ADDR);
  const ADDR_HI = maskHi(ADDR);
  const words: PTEWords = Object.freeze({
    isPresent: (lo: number, _hi: number, level: number): boolean => validAt(lo, level),
    isHuge: (lo: number, _hi: number, level: number): boolean => validAt(lo, level) && (lo & NON_BLOCK) === 0,
    paddrLo: (lo: number, _hi: number, _level: number): number => (lo & ADDR_LO) >>> 0,
    paddrHi: (_lo: number, hi: number, _level: number): number => hi & ADDR_HI,
    flags: (lo: number, hi: number, level: number): number => decodeWords(lo, hi, level),
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
    // D8.3: the same type bits and address field as stage 1, so the specialised walks read it alike
    layout: Object.freeze({ present: VALID, block: NON_BLOCK, table: NON_BLOCK, leaf: TYPE_BITS, addrLo: ADDR_LO >>> 0, addrHi: ADDR_HI >>> 0, addrShift: 0 }),
  });
  const attr = (flags: number, huge: boolean): bigint => {
    const lo = attrLo[flags & 63]!;
    return join(huge ? lo & ~NON_BLOCK : lo, attrHi[flags & 63]!);
  };
  return Object.freeze({
    newPage(paddr: PhysAddr, flags: MappingFlags, isHuge: boolean): bigint {
      return (paddr & ADDR) | attr(flags, isHuge);
    },
    newTable(paddr: PhysAddr): bigint {
      return (paddr & ADDR) | S2DescriptorAttr.NON_BLOCK | S2DescriptorAttr.VALID;
    },
    paddr(bits: bigint): PhysAddr {
      return bits & ADDR;
    },
    flags(bits: bigint, level = -1): MappingFlags {
      return decodeWords(lo32(bits), hi32(bits), level);
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
      return validAt(lo32(bits), level);
    },
    isHuge(bits: bigint, level = -1): boolean {
      return words.isHuge(lo32(bits), 0, level);
    },
    words,
  });
}
