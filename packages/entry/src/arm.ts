// ARMv7-A short-descriptor translation table entries (VMSAv7, TTBCR.EAE = 0): 32-bit descriptors, a
// first-level (L1) table of 4096 entries that each map 1 MiB, and second-level (L2) tables of 256 entries
// that each map 4 KiB.
// Source: ARM Architecture Reference Manual, ARMv7-A and ARMv7-R edition (ARM DDI 0406C):
// - B3.5.1 "Short-descriptor translation table format descriptors": the L1 formats (Fault, Page table,
//   Section, Supersection) and the L2 formats (Fault, Large page, Small page).
//   bits[1:0] say which: at L1 0b00 Fault, 0b01 Page table, 0b1x Section (bit 18 = 0) or Supersection
//   (bit 18 = 1), where bit[0] is PXN; at L2 0b00 Fault, 0b01 Large page, 0b1x Small page, where bit[0] is XN.
// - B3.7.1 "Access permissions": AP[2:0] (with SCTLR.AFE = 0 so that AP[0] is a permission bit).
// - B3.7.2 "Execute-never restrictions on instruction fetching": XN, and PXN (with the Large Physical
//   Address Extension, or on any implementation that supports PXN).
// - B3.8.2 "Short-descriptor format memory region attributes, without TEX remap" (SCTLR.TRE = 0): TEX[2:0],
//   C and B, and S.
// Entries are 32 bits: the high word of every (lo, hi) pair this codec returns is 0, and the high word (or
// bits 63:32 of a bigint) of an entry given to it is ignored. Only a Supersection holds physical address
// bits above bit 31 (its optional extended base address, PA[39:32]).
import type { GenericPTE, MappingFlags, PhysAddr, PTEWords } from '@page-table-multiarch/core';
import { bit, bits, hi32, lo32, maskLo, put, shiftOf } from './_fields';

/**
 * The fields of the short-descriptor formats, as bigint masks of a 32-bit entry. Names say the format:
 * `TABLE_*` an L1 Page table descriptor, `SECTION_*` an L1 Section (the same positions in a Supersection
 * unless named `SUPERSECTION_*`), `SMALL_*` an L2 Small page, `LARGE_*` an L2 Large page. Multi-bit
 * fields are masks of the whole field: AP[1:0] is `SECTION_AP` / `SMALL_AP` (AP[0] is its low bit).
 */
export const DescriptorAttr: {
  /** Bits 1:0: the descriptor type; 0b00 is a Fault entry at both levels. */
  readonly TYPE_MASK: bigint;
  /** L1 bits[1:0] = 0b01: Page table descriptor (points to an L2 table). */
  readonly TYPE_PAGE_TABLE: bigint;
  /** L1 bits[1:0] = 0b10: Section or Supersection (0b11 is the same with PXN set). */
  readonly TYPE_SECTION: bigint;
  /** L2 bits[1:0] = 0b01: Large page (64 KiB, written as 16 identical entries). */
  readonly TYPE_LARGE_PAGE: bigint;
  /** L2 bits[1:0] = 0b10: Small page (0b11 is the same with XN set). */
  readonly TYPE_SMALL_PAGE: bigint;
  /** Bit 2, PXN: nothing below this table executes at PL1 (B3.7.2). */
  readonly TABLE_PXN: bigint;
  /** Bit 3, NS: the L2 table and what it maps are Non-secure (accesses from Secure state). */
  readonly TABLE_NS: bigint;
  /** Bits 8:5: the domain (0..15) whose DACR field controls the accesses. */
  readonly TABLE_DOMAIN: bigint;
  /** Bit 9: IMPLEMENTATION DEFINED. */
  readonly TABLE_IMP: bigint;
  /** Bits 31:10: physical address of the 1 KiB L2 table. */
  readonly TABLE_BASE: bigint;
  /** Bit 0, PXN: no execution at PL1 (B3.7.2); bits[1:0] = 0b11. */
  readonly SECTION_PXN: bigint;
  /** Bit 2, B: memory type, with TEX and C (B3.8.2). */
  readonly SECTION_B: bigint;
  /** Bit 3, C: memory type, with TEX and B (B3.8.2). */
  readonly SECTION_C: bigint;
  /** Bit 4, XN: no instruction fetches (B3.7.2). */
  readonly SECTION_XN: bigint;
  /** Bits 8:5: the domain of a Section; in a Supersection these bits are PA[39:36] and the domain is 0. */
  readonly SECTION_DOMAIN: bigint;
  /** Bit 9: IMPLEMENTATION DEFINED. */
  readonly SECTION_IMP: bigint;
  /** Bits 11:10, AP[1:0]: access permissions, with AP[2] (B3.7.1). */
  readonly SECTION_AP: bigint;
  /** Bits 14:12, TEX[2:0]: memory type, with C and B (B3.8.2). */
  readonly SECTION_TEX: bigint;
  /** Bit 15, AP[2]: read-only, with AP[1:0] (B3.7.1). */
  readonly SECTION_AP2: bigint;
  /** Bit 16, S: Normal memory is Shareable (B3.8.2). */
  readonly SECTION_S: bigint;
  /** Bit 17, nG: not global (the TLB entry is tagged with the ASID). */
  readonly SECTION_NG: bigint;
  /** Bit 18: set in a Supersection (16 MiB, written as 16 identical entries), clear in a Section. */
  readonly SUPERSECTION: bigint;
  /** Bit 19, NS: Non-secure output address (accesses from Secure state). */
  readonly SECTION_NS: bigint;
  /** Bits 31:20: physical address of the 1 MiB Section. */
  readonly SECTION_BASE: bigint;
  /** Bits 31:24: PA[31:24] of the 16 MiB Supersection. */
  readonly SUPERSECTION_BASE: bigint;
  /** Bits 23:20 of a Supersection: extended base address PA[35:32] (optional; zero when not implemented). */
  readonly SUPERSECTION_EXT_BASE_35_32: bigint;
  /** Bits 8:5 of a Supersection: extended base address PA[39:36] (optional; zero when not implemented). */
  readonly SUPERSECTION_EXT_BASE_39_36: bigint;
  /** Bit 0, XN: no instruction fetches (B3.7.2); bits[1:0] = 0b11. */
  readonly SMALL_XN: bigint;
  /** Bit 2, B (B3.8.2). */
  readonly SMALL_B: bigint;
  /** Bit 3, C (B3.8.2). */
  readonly SMALL_C: bigint;
  /** Bits 5:4, AP[1:0] (B3.7.1). */
  readonly SMALL_AP: bigint;
  /** Bits 8:6, TEX[2:0] (B3.8.2). */
  readonly SMALL_TEX: bigint;
  /** Bit 9, AP[2] (B3.7.1). */
  readonly SMALL_AP2: bigint;
  /** Bit 10, S (B3.8.2). */
  readonly SMALL_S: bigint;
  /** Bit 11, nG. */
  readonly SMALL_NG: bigint;
  /** Bits 31:12: physical address of the 4 KiB page. */
  readonly SMALL_BASE: bigint;
  /** Bit 2, B (B3.8.2). */
  readonly LARGE_B: bigint;
  /** Bit 3, C (B3.8.2). */
  readonly LARGE_C: bigint;
  /** Bits 5:4, AP[1:0] (B3.7.1). */
  readonly LARGE_AP: bigint;
  /** Bit 9, AP[2] (B3.7.1). */
  readonly LARGE_AP2: bigint;
  /** Bit 10, S (B3.8.2). */
  readonly LARGE_S: bigint;
  /** Bit 11, nG. */
  readonly LARGE_NG: bigint;
  /** Bits 14:12, TEX[2:0] (B3.8.2). */
  readonly LARGE_TEX: bigint;
  /** Bit 15, XN (B3.7.2). */
  readonly LARGE_XN: bigint;
  /** Bits 31:16: physical address of the 64 KiB page. */
  readonly LARGE_BASE: bigint;
} = Object.freeze({
  // descriptor type, bits[1:0] (B3.5.1)
  TYPE_MASK: bits(1, 0),
  TYPE_PAGE_TABLE: 0b01n,
  TYPE_SECTION: 0b10n,
  TYPE_LARGE_PAGE: 0b01n,
  TYPE_SMALL_PAGE: 0b10n,
  // L1 Page table descriptor (B3.5.1)
  TABLE_PXN: bit(2),
  TABLE_NS: bit(3),
  TABLE_DOMAIN: bits(8, 5),
  TABLE_IMP: bit(9),
  TABLE_BASE: bits(31, 10),
  // L1 Section and Supersection descriptors (B3.5.1)
  SECTION_PXN: bit(0),
  SECTION_B: bit(2),
  SECTION_C: bit(3),
  SECTION_XN: bit(4),
  SECTION_DOMAIN: bits(8, 5),
  SECTION_IMP: bit(9),
  SECTION_AP: bits(11, 10),
  SECTION_TEX: bits(14, 12),
  SECTION_AP2: bit(15),
  SECTION_S: bit(16),
  SECTION_NG: bit(17),
  SUPERSECTION: bit(18),
  SECTION_NS: bit(19),
  SECTION_BASE: bits(31, 20),
  SUPERSECTION_BASE: bits(31, 24),
  SUPERSECTION_EXT_BASE_35_32: bits(23, 20),
  SUPERSECTION_EXT_BASE_39_36: bits(8, 5),
  // L2 Small page descriptor (B3.5.1)
  SMALL_XN: bit(0),
  SMALL_B: bit(2),
  SMALL_C: bit(3),
  SMALL_AP: bits(5, 4),
  SMALL_TEX: bits(8, 6),
  SMALL_AP2: bit(9),
  SMALL_S: bit(10),
  SMALL_NG: bit(11),
  SMALL_BASE: bits(31, 12),
  // L2 Large page descriptor (B3.5.1)
  LARGE_B: bit(2),
  LARGE_C: bit(3),
  LARGE_AP: bits(5, 4),
  LARGE_AP2: bit(9),
  LARGE_S: bit(10),
  LARGE_NG: bit(11),
  LARGE_TEX: bits(14, 12),
  LARGE_XN: bit(15),
  LARGE_BASE: bits(31, 16),
});

// ---------------------------------------------------------------- the same fields as u32 masks and shifts

const D = DescriptorAttr;

const TYPE = maskLo(D.TYPE_MASK);
const T_TABLE = maskLo(D.TYPE_PAGE_TABLE); // L1 Page table / L2 Large page
const T_BLOCK = maskLo(D.TYPE_SECTION); // bit 1: L1 Section or Supersection / L2 Small page
const TABLE_BASE = maskLo(D.TABLE_BASE);

const S_PXN = maskLo(D.SECTION_PXN);
const S_XN = maskLo(D.SECTION_XN);
const S_DOMAIN = maskLo(D.SECTION_DOMAIN); // Section: domain; Supersection: PA[39:36]
const S_IMP = maskLo(D.SECTION_IMP);
const S_NG = maskLo(D.SECTION_NG);
const S_SUPER = maskLo(D.SUPERSECTION);
const S_NS = maskLo(D.SECTION_NS);
const SECTION_BASE = maskLo(D.SECTION_BASE);
const SUPER_BASE = maskLo(D.SUPERSECTION_BASE);
const SUPER_EXT_LO = maskLo(D.SUPERSECTION_EXT_BASE_35_32); // PA[35:32]
const SUPER_EXT_HI = maskLo(D.SUPERSECTION_EXT_BASE_39_36); // PA[39:36]
const SUPER_ADDR = SUPER_BASE | SUPER_EXT_LO | SUPER_EXT_HI;
const P_XN = maskLo(D.SMALL_XN);
const P_NG = maskLo(D.SMALL_NG); // nG of a Large page too
const SMALL_BASE = maskLo(D.SMALL_BASE);
const L_XN = maskLo(D.LARGE_XN);
const LARGE_BASE = maskLo(D.LARGE_BASE);
// where the two parts of a Supersection's PA[39:32] start, and the sizes of the two larger leaves
const EXT_LO_AT = shiftOf(D.SUPERSECTION_EXT_BASE_35_32);
const EXT_HI_AT = shiftOf(D.SUPERSECTION_EXT_BASE_39_36);
const SUPER_SIZE = shiftOf(D.SUPERSECTION_BASE);
const LARGE_SIZE = shiftOf(D.LARGE_BASE);

const READ = 1;
const WRITE = 2;
const EXECUTE = 4;
const USER = 8;
const DEVICE = 16;
const UNCACHED = 32;

// ---------------------------------------------------------------- encoding

/**
 * The attributes of a leaf for MappingFlags, in the positions of its format, without the type bits: the crate's
 * `DescriptorAttr::common_flags` plus XN. Bit-identical to the crate for every set.
 * - memory type (B3.8.2, TEX remap disabled): DEVICE -> TEX 0b000 C 0 B 1, Shareable Device;
 *   else UNCACHED -> TEX 0b001 C 0 B 0, Normal Non-cacheable (S 0); else TEX 0b001 C 1 B 1, Normal
 *   Write-Back Write-Allocate (inner and outer), S 1.
 * - AP[2:0] (B3.7.1): USER | WRITE -> 0b011 (PL1 and PL0 read-write); USER -> 0b111 (both
 *   read-only); WRITE -> 0b001 (PL1 read-write, PL0 none); neither -> 0b101 (PL1 read-only, PL0 none).
 * - XN (B3.7.2) unless EXECUTE.
 */
function leafBits(flags: number, tex: bigint, c: bigint, b: bigint, s: bigint, ap: bigint, ap2: bigint, xn: bigint): number {
  const device = (flags & DEVICE) !== 0;
  const normal = !device && (flags & UNCACHED) === 0;
  const perm = flags & USER ? (flags & WRITE ? 0b011 : 0b111) : flags & WRITE ? 0b001 : 0b101;
  const v =
    put(tex, device ? 0b000 : 0b001) | put(c, normal ? 1 : 0) | put(b, device || normal ? 1 : 0) | put(s, normal ? 1 : 0) |
    put(ap, perm) | put(ap2, perm >> 2) | put(xn, flags & EXECUTE ? 0 : 1);
  return Number(v);
}

// Per flag set (0..63), the whole attribute part of each format with its type bits; 0 for the empty set,
// which the crate encodes as the bare address (a Fault entry).
const SECTION_ATTR = new Uint32Array(64);
const SMALL_ATTR = new Uint32Array(64);
const LARGE_ATTR = new Uint32Array(64);
for (let f = 1; f < 64; f++) {
  SECTION_ATTR[f] = leafBits(f, D.SECTION_TEX, D.SECTION_C, D.SECTION_B, D.SECTION_S, D.SECTION_AP, D.SECTION_AP2, D.SECTION_XN) | T_BLOCK;
  SMALL_ATTR[f] = leafBits(f, D.SMALL_TEX, D.SMALL_C, D.SMALL_B, D.SMALL_S, D.SMALL_AP, D.SMALL_AP2, D.SMALL_XN) | T_BLOCK;
  LARGE_ATTR[f] = leafBits(f, D.LARGE_TEX, D.LARGE_C, D.LARGE_B, D.LARGE_S, D.LARGE_AP, D.LARGE_AP2, D.LARGE_XN) | T_TABLE;
}

// ---------------------------------------------------------------- decoding

/**
 * MappingFlags of a leaf from its fields, wherever the format keeps them: AP[2:0], XN, PXN (0 where the
 * format has none), TEX[2:0], C and B.
 *
 * Access (B3.7.1; SCTLR.AFE = 0): 0b001 READ | WRITE; 0b010 (PL1 read-write, PL0 read-only)
 * READ | WRITE | USER, every access some privilege level has; 0b011 READ | WRITE | USER; 0b101 READ; 0b110
 * and 0b111 READ | USER; 0b000 (no access) and 0b100 (reserved) grant nothing, so no READ, WRITE, USER or
 * EXECUTE (an instruction fetch needs read permission).
 * Execute (B3.7.2): EXECUTE when XN is clear and, for a mapping without PL0 access, PXN is clear too.
 * Memory type (B3.8.2, TEX remap disabled): TEX 0b000 with C 0 (Strongly-ordered, Shareable
 * Device) and TEX 0b010 C 0 B 0 (Non-shareable Device) read as DEVICE; TEX 0b001 C 0 B 0 and TEX 0b1xx with
 * both cache policies Non-cacheable (TEX[1:0] = C:B = 0b00) read as UNCACHED; every cacheable Normal type,
 * and the reserved and IMPLEMENTATION DEFINED encodings, read as neither.
 * The fields come as small integers: AP[2:0], TEX[2:0], C:B. Where each format keeps them is written below as literal
 * shifts (see _fields.ts); the tests decode entries built at the manual's positions, and check DescriptorAttr against
 * the same positions.
 */
function decode(ap: number, xn: number, pxn: number, tex: number, cb: number): number {
  return permissions(ap, xn, pxn) | memoryType(tex, cb);
}

/** The access and execute part of {@link decode}: AP[2:0], XN and PXN (B3.7.1, B3.7.2). */
function permissions(ap: number, xn: number, pxn: number): number {
  let f = 0;
  switch (ap) {
    case 0b001:
      f = READ | WRITE;
      break;
    case 0b010:
    case 0b011:
      f = READ | WRITE | USER;
      break;
    case 0b101:
      f = READ;
      break;
    case 0b110:
    case 0b111:
      f = READ | USER;
      break;
  }
  if (f !== 0 && xn === 0 && (pxn === 0 || (f & USER) !== 0)) f |= EXECUTE;
  return f;
}

/** The memory type part of {@link decode}, without TEX remap (B3.8.2): DEVICE, UNCACHED or neither. */
function memoryType(tex: number, cb: number): number {
  let f = 0;
  if (tex & 0b100) {
    if ((tex & 0b11) === 0 && cb === 0) f |= UNCACHED;
  } else if ((tex === 0 && cb <= 1) || (tex === 0b010 && cb === 0)) {
    f |= DEVICE;
  } else if (tex === 0b001 && cb === 0) {
    f |= UNCACHED;
  }
  return f;
}

function flagsL1(lo: number): number {
  // only Sections and Supersections are leaves at L1
  if ((lo & T_BLOCK) === 0) return 0;
  // AP[2] bit 15, AP[1:0] bits 11:10, TEX bits 14:12, C:B bits 3:2 of a Section or Supersection
  return decode(((lo >>> 13) & 0b100) | ((lo >>> 10) & 0b11), lo & S_XN, lo & S_PXN, (lo >>> 12) & 0b111, (lo >>> 2) & 0b11);
}

function flagsL2(lo: number): number {
  const t = lo & TYPE;
  if (t === 0) return 0;
  // AP[2] bit 9, AP[1:0] bits 5:4, C:B bits 3:2 in both; TEX bits 14:12 of a Large page, 8:6 of a Small page
  const ap = ((lo >>> 7) & 0b100) | ((lo >>> 4) & 0b11);
  const cb = (lo >>> 2) & 0b11;
  if (t === T_TABLE) return decode(ap, lo & L_XN, 0, (lo >>> 12) & 0b111, cb); // Large page
  return decode(ap, lo & P_XN, 0, (lo >>> 6) & 0b111, cb); // Small page
}

// The flags of every Small page by its bits 9:0 (AP[2], TEX[2:0], AP[1:0], C, B, type, XN; B3.5.1), so that the
// paths that read a page's flags per entry (an unmap's result) make one load: with the decode above inlined, unmap
// was too large to be inlined into a caller's loop, and its result was then allocated (13 heap bytes per unmap).
const SMALL_FLAGS = Uint8Array.from({ length: 1024 }, (_, i) => ((i & T_BLOCK) !== 0 ? flagsL2(i) : 0));

/** {@link flagsL2}, with a Small page from the table. */
function leafFlagsL2(lo: number): number {
  return (lo & T_BLOCK) !== 0 ? SMALL_FLAGS[lo & 0x3ff]! : flagsL2(lo);
}

/**
 * The address bits of an entry as it stands at its level. A Fault entry has none for the hardware; it is
 * read with the level's own leaf format (Section at L1, Small page at L2), which is how the crate's
 * `newPage` with empty flags writes a bare address.
 */
function addrMaskL1(lo: number): number {
  const t = lo & TYPE;
  if (t === T_TABLE) return TABLE_BASE;
  if (t !== 0 && (lo & S_SUPER) !== 0) return SUPER_ADDR;
  return SECTION_BASE;
}

function addrMaskL2(lo: number): number {
  return (lo & TYPE) === T_TABLE ? LARGE_BASE : SMALL_BASE;
}

function isSuper(lo: number): boolean {
  return (lo & T_BLOCK) !== 0 && (lo & S_SUPER) !== 0;
}

function paddrLo(lo: number, level: number): number {
  if (level === 0) {
    const t = lo & TYPE;
    if (t === T_TABLE) return (lo & TABLE_BASE) >>> 0;
    return (lo & (isSuper(lo) ? SUPER_BASE : SECTION_BASE)) >>> 0;
  }
  return (lo & addrMaskL2(lo)) >>> 0;
}

/** PA[39:32] of a Supersection: bits 23:20 are PA[35:32], bits 8:5 PA[39:36] (B3.5.1); 0 otherwise. */
function paddrHi(lo: number, level: number): number {
  if (level !== 0 || !isSuper(lo)) return 0;
  return ((lo & SUPER_EXT_LO) >>> EXT_LO_AT) | (((lo & SUPER_EXT_HI) >>> EXT_HI_AT) << 4);
}

function setPaddrLo(lo: number, paLo: number, paHi: number, level: number): number {
  if (level === 0 && isSuper(lo)) {
    const ext = ((paHi << EXT_LO_AT) & SUPER_EXT_LO) | (((paHi >>> 4) << EXT_HI_AT) & SUPER_EXT_HI);
    return ((lo & ~SUPER_ADDR) | (paLo & SUPER_BASE) | ext) >>> 0;
  }
  const m = level === 0 ? addrMaskL1(lo) : addrMaskL2(lo);
  return ((lo & ~m) | (paLo & m)) >>> 0;
}

/**
 * New attributes for an existing leaf, its format kept: a Supersection stays one at L1 and a Large page at
 * L2; any other L1 entry becomes a Section and any other L2 entry a Small page. Kept as they were: the
 * address, and the bits that say whose the mapping is rather than what it allows (Section: domain,
 * IMPLEMENTATION DEFINED bit 9, nG, NS; Supersection: its extended address in place of the domain, bit 9,
 * nG, NS; Large and Small page: nG). Replaced: type, XN, PXN (cleared), AP[2:0], TEX, C, B, S. The empty set
 * leaves the bare address, as the crate's `newPage` writes it.
 */
function setFlagsLo(lo: number, flags: number, level: number): number {
  const f = flags & 63;
  if (level === 0) {
    const t = lo & TYPE;
    if (t !== 0 && t !== T_TABLE) {
      if (lo & S_SUPER) {
        const addr = lo & SUPER_ADDR;
        return f === 0 ? addr >>> 0 : (addr | (lo & (S_IMP | S_NG | S_NS)) | S_SUPER | SECTION_ATTR[f]!) >>> 0;
      }
      const addr = lo & SECTION_BASE;
      return f === 0 ? addr >>> 0 : (addr | (lo & (S_DOMAIN | S_IMP | S_NG | S_NS)) | SECTION_ATTR[f]!) >>> 0;
    }
    return ((lo & SECTION_BASE) | SECTION_ATTR[f]!) >>> 0;
  }
  const t = lo & TYPE;
  if (t === T_TABLE) {
    const addr = lo & LARGE_BASE;
    return f === 0 ? addr >>> 0 : (addr | (lo & P_NG) | LARGE_ATTR[f]!) >>> 0;
  }
  const addr = lo & SMALL_BASE;
  return f === 0 || t === 0 ? (addr | SMALL_ATTR[f]!) >>> 0 : (addr | (lo & P_NG) | SMALL_ATTR[f]!) >>> 0;
}

/**
 * log2 of the bytes a leaf maps when it is not its level's size: a Supersection (24), a Large page (16), the
 * lowest bit of their base addresses.
 */
function leafShift(lo: number, level: number): number {
  if (level === 0) return isSuper(lo) ? SUPER_SIZE : -1;
  return (lo & TYPE) === T_TABLE ? LARGE_SIZE : -1;
}

const words: PTEWords = Object.freeze({
  // bits[1:0] = 0b00 is a Fault entry at both levels (B3.5.1); any other type is used by the MMU. (L1 0b11 is
  // a Section with PXN; on an implementation without PXN it is reserved and faults.)
  isPresent: (lo: number, _hi: number, _level: number): boolean => (lo & TYPE) !== 0,
  // L1 bit 1: Section or Supersection, not a Page table descriptor; nothing at L2 is above a table
  isHuge: (lo: number, _hi: number, level: number): boolean => level === 0 && (lo & T_BLOCK) !== 0,
  paddrLo: (lo: number, _hi: number, level: number): number => paddrLo(lo, level),
  paddrHi: (lo: number, _hi: number, level: number): number => paddrHi(lo, level),
  flags: (lo: number, _hi: number, level: number): number => (level === 0 ? flagsL1(lo) : leafFlagsL2(lo)),
  newPageLo: (paLo: number, _paHi: number, flags: number, _huge: boolean, level: number): number =>
    level === 0 ? ((paLo & SECTION_BASE) | SECTION_ATTR[flags & 63]!) >>> 0 : ((paLo & SMALL_BASE) | SMALL_ATTR[flags & 63]!) >>> 0,
  newPageHi: (_paLo: number, _paHi: number, _flags: number, _huge: boolean, _level: number): number => 0,
  // an L1 Page table descriptor: bits[1:0] = 0b01, domain 0, PXN 0, NS 0, the L2 table's address in 31:10
  newTableLo: (paLo: number, _paHi: number, _level: number): number => ((paLo & TABLE_BASE) | T_TABLE) >>> 0,
  newTableHi: (_paLo: number, _paHi: number, _level: number): number => 0,
  setFlagsLo: (lo: number, _hi: number, flags: number, _huge: boolean, level: number): number => setFlagsLo(lo, flags, level),
  setFlagsHi: (_lo: number, _hi: number, _flags: number, _huge: boolean, _level: number): number => 0,
  setPaddrLo: (lo: number, _hi: number, paLo: number, paHi: number, level: number): number => setPaddrLo(lo, paLo, paHi, level),
  setPaddrHi: (_lo: number, _hi: number, _paLo: number, _paHi: number, _level: number): number => 0,
  leafShift: (lo: number, _hi: number, level: number): number => leafShift(lo, level),
  // what the specialised walks read (B3.5.1): bits[1:0] = 0b00 a Fault entry at both levels; at L1 0b01 a Page table,
  // its L2 table's base in bits 31:10, and 0b1x a Section or Supersection (a block: the full path reads it); at L2
  // bit 1 a Small page, its base in bits 31:12. A Large page (L2 0b01, 16 entries for 64 KiB) fails `leaf`: the fast
  // paths leave it to the methods above, which read its size (leafShift) and base (bits 31:16).
  layout: Object.freeze({
    present: TYPE,
    block: TYPE,
    table: T_TABLE,
    leaf: T_BLOCK,
    addrLo: TABLE_BASE >>> 0,
    addrHi: 0,
    addrShift: 0,
    leafAddrLo: SMALL_BASE >>> 0,
  }),
});

// ---------------------------------------------------------------- value level

/** The level a decoding method needs: 0 (L1) or 1 (L2). */
function needLevel(level: number | undefined, op: string): number {
  if (level === 0 || level === 1) return level;
  if (level === undefined) {
    throw new TypeError(`A32PTE.${op}: a short descriptor means different things at L1 and L2; pass the level (0 = L1, 1 = L2)`);
  }
  throw new RangeError(`A32PTE.${op}: level ${String(level)} is not 0 (L1) or 1 (L2)`);
}

/** The level an encoding method writes for: the given one, else L1 for a huge page and L2 for a small one. */
function writeLevel(level: number | undefined, isHuge: boolean, op: string): number {
  return level === undefined ? (isHuge ? 0 : 1) : needLevel(level, op);
}

/** The A32PTE codec's type: a GenericPTE with its word-level form and `leafShift`. */
export type A32Codec = GenericPTE & {
  /** The word-level form the tables use (entries are 32 bits: `hi` is always 0). */
  readonly words: PTEWords;
  /** log2 of the bytes a present leaf maps: 24 for a supersection, 16 for a large page, -1 otherwise. */
  leafShift(bits: bigint, level?: number): number;
};

/**
 * The ARMv7-A short-descriptor codec. Encodings are bit-identical to the crate's `A32PTE` for every flag
 * set: a huge page is a Section (L1, 1 MiB), any other page a Small page (L2, 4 KiB), a table an L1 Page
 * table descriptor. Decoding follows the manual: an entry is read by its level and its descriptor type
 * (Section, Supersection, Page table at L1; Small page, Large page at L2), so the level is required by
 * `paddr`, `flags`, `setPaddr` and `leafShift` (a TypeError without it). `isPresent` is the same at both
 * levels; `isHuge` without a level reads the entry as an L1 entry (the only level above another);
 * `newPage` and `setFlags` without a level write for L1 when `isHuge`, else for L2. With a level, the
 * level decides the format.
 *
 * A non-empty flag set without READ still encodes a valid descriptor (the crate's bits), which reads back
 * with READ added: the format has no write-only or execute-only permission. DEVICE with UNCACHED encodes
 * as DEVICE alone and reads back as DEVICE.
 *
 * @example
 * A32PTE.newPage(0x4000_1000n, MappingFlags.READ | MappingFlags.EXECUTE, false, 1) // 0x4000165en
 * A32PTE.paddr(0x4000165en, 1)                                                     // 0x40001000n
 */
export const A32PTE: A32Codec = Object.freeze({
  newPage(paddr: PhysAddr, flags: MappingFlags, isHuge: boolean, level?: number): bigint {
    const l = writeLevel(level, isHuge, 'newPage');
    return BigInt(words.newPageLo(lo32(paddr), 0, flags, isHuge, l));
  },
  newTable(paddr: PhysAddr, _level?: number): bigint {
    return BigInt(words.newTableLo(lo32(paddr), 0, 0));
  },
  paddr(bits: bigint, level?: number): PhysAddr {
    const l = needLevel(level, 'paddr');
    const lo = lo32(bits);
    const hi = paddrHi(lo, l);
    const a = BigInt(paddrLo(lo, l));
    return hi === 0 ? a : (BigInt(hi) << 32n) | a;
  },
  flags(bits: bigint, level?: number): MappingFlags {
    const l = needLevel(level, 'flags');
    return words.flags(lo32(bits), 0, l);
  },
  setPaddr(bits: bigint, paddr: PhysAddr, level?: number): bigint {
    const l = needLevel(level, 'setPaddr');
    return BigInt(setPaddrLo(lo32(bits), lo32(paddr), hi32(paddr), l));
  },
  setFlags(bits: bigint, flags: MappingFlags, isHuge: boolean, level?: number): bigint {
    const l = writeLevel(level, isHuge, 'setFlags');
    return BigInt(setFlagsLo(lo32(bits), flags, l));
  },
  isUnused(bits: bigint): boolean {
    return bits === 0n;
  },
  isPresent(bits: bigint, _level?: number): boolean {
    return (lo32(bits) & TYPE) !== 0;
  },
  isHuge(bits: bigint, level?: number): boolean {
    return words.isHuge(lo32(bits), 0, level === undefined ? 0 : needLevel(level, 'isHuge'));
  },
  leafShift(bits: bigint, level?: number): number {
    return leafShift(lo32(bits), needLevel(level, 'leafShift'));
  },
  words,
});

/**
 * The Section attribute bits (with the type bits 0b10) that {@link A32PTE} writes for a flag set: the
 * crate's `DescriptorAttr::from_mapping_flags_section`. 0n for the empty set.
 */
export function sectionAttrFromFlags(flags: MappingFlags): bigint {
  return BigInt(SECTION_ATTR[flags & 63]!);
}

/**
 * The Small page attribute bits (with the type bit 1, and XN in bit 0) that {@link A32PTE} writes for a
 * flag set: the crate's `DescriptorAttr::from_mapping_flags_small_page`. 0n for the empty set.
 */
export function smallPageAttrFromFlags(flags: MappingFlags): bigint {
  return BigInt(SMALL_ATTR[flags & 63]!);
}

// ---------------------------------------------------------------- TEX remap
// Source: ARM DDI 0406C.d B3.8.3 "Short-descriptor format memory region attributes, with TEX remap" (SCTLR.TRE = 1),
// with B4.1.145 PRRR and B4.1.127 NMRR: n = TEX[0]:C:B selects PRRR.TRn, bits [2n+1:2n] (0b00 Strongly-ordered,
// 0b01 Device, 0b10 Normal, 0b11 reserved) and, for Normal memory, NMRR.IRn, bits [2n+1:2n], and NMRR.ORn, bits
// [2n+17:2n+16] (0b00 Non-cacheable, 0b01 Write-Back Write-Allocate, 0b10 Write-Through, 0b11 Write-Back no
// Write-Allocate). TEX[2:1] are left to software and select nothing.

/** PRRR and NMRR: what TEX[0], C and B of a leaf select when SCTLR.TRE = 1. */
export interface A32Remap {
  /** PRRR (B4.1.145): the memory type of each n, TRn in bits [2n+1:2n]. */
  readonly prrr: number;
  /** NMRR (B4.1.127): the inner (IRn, bits [2n+1:2n]) and outer (ORn, bits [2n+17:2n+16]) cache policies of Normal memory. */
  readonly nmrr: number;
}

/**
 * The memory type MappingFlags of each n = TEX[0]:C:B under a PRRR / NMRR pair: DEVICE for Strongly-ordered and
 * Device, UNCACHED for Normal memory Non-cacheable at both levels, neither for Normal memory cacheable at either
 * level and for the reserved TRn = 0b11 (as the reserved encodings without remap read).
 * @throws RangeError for a value that is not a u32.
 */
export function a32RemapTypes(remap: A32Remap): readonly number[] {
  const { prrr, nmrr } = remap;
  for (const [name, v] of [['prrr', prrr], ['nmrr', nmrr]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new RangeError(`a32Codec: "${name}" ${String(v)} is not a u32`);
  }
  const types: number[] = [];
  for (let n = 0; n < 8; n++) {
    const tr = (prrr >>> (2 * n)) & 0b11;
    const inner = (nmrr >>> (2 * n)) & 0b11;
    const outer = (nmrr >>> (2 * n + 16)) & 0b11;
    types.push(tr === 0b00 || tr === 0b01 ? DEVICE : tr === 0b10 && inner === 0 && outer === 0 ? UNCACHED : 0);
  }
  return Object.freeze(types);
}

/** Options of {@link a32Codec}. */
export interface A32CodecOptions {
  /** PRRR and NMRR when SCTLR.TRE = 1: leaves' memory types are read through them (B3.8.3). Absent: TRE = 0 (B3.8.2). */
  readonly remap?: A32Remap;
}

/**
 * The ARMv7 short-descriptor codec with memory types read as the CPU reads them under TEX remap (SCTLR.TRE = 1, as
 * Linux runs): TEX[0], C and B select a PRRR / NMRR entry ({@link a32RemapTypes}), TEX[2:1] nothing. Permissions,
 * addresses and encoding are {@link A32PTE}'s, bit for bit; without `remap` it is A32PTE.
 * @throws RangeError for a PRRR or NMRR that is not a u32.
 * @example
 * // Linux's values (arch/arm/mm/proc-v7-2level.S): n = 1 (B alone) is Normal Non-cacheable, n = 4 Device
 * const linux = a32Codec({ remap: { prrr: 0xff0a81a8, nmrr: 0x40e040e0 } });
 * linux.flags(0x4000_0036n, 1) & MappingFlags.UNCACHED // 32 (A32PTE reads TEX 0, B as Device)
 */
export function a32Codec(options: A32CodecOptions = {}): A32Codec {
  if (options.remap === undefined) return A32PTE;
  const types = Int32Array.from(a32RemapTypes(options.remap));
  const leafFlags = (lo: number, level: number): number => {
    const cb = (lo >>> 2) & 0b11;
    if (level === 0) {
      if ((lo & T_BLOCK) === 0) return 0;
      // AP[2] bit 15, AP[1:0] bits 11:10, TEX[0] bit 12 of a Section or Supersection
      return permissions(((lo >>> 13) & 0b100) | ((lo >>> 10) & 0b11), lo & S_XN, lo & S_PXN) | types[((lo >>> 10) & 0b100) | cb]!;
    }
    const t = lo & TYPE;
    if (t === 0) return 0;
    const ap = ((lo >>> 7) & 0b100) | ((lo >>> 4) & 0b11);
    // TEX[0]: bit 12 of a Large page, bit 6 of a Small page
    if (t === T_TABLE) return permissions(ap, lo & L_XN, 0) | types[((lo >>> 10) & 0b100) | cb]!;
    return permissions(ap, lo & P_XN, 0) | types[((lo >>> 4) & 0b100) | cb]!;
  };
  const remapWords: PTEWords = Object.freeze({ ...words, flags: (lo: number, _hi: number, level: number): number => leafFlags(lo, level) });
  return Object.freeze({
    ...A32PTE,
    flags(bits: bigint, level?: number): MappingFlags {
      return leafFlags(lo32(bits), needLevel(level, 'flags'));
    },
    words: remapWords,
  });
}

// The long-descriptor format (TTBCR.EAE = 1) of the same architecture, in a file of its own.
export {
  type A32LpaeCodec,
  type A32LpaeCodecOptions,
  A32LpaePTE,
  a32LpaeCodec,
  LPAE_ADDR,
  LPAE_MAIR,
  LPAE_SBZP,
  LpaeDescriptorAttr,
  mairAttr,
  mairFlags,
} from './_arm-lpae';
