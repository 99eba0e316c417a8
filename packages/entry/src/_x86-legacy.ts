// x86 32-bit paging and PAE paging entries.
// Source: Intel 64 and IA-32 Architectures Software Developer's Manual, Vol. 3A (325462):
// - 4.3 "32-Bit Paging": Table 4-4 (PDE that maps a 4-MByte page), Table 4-5 (PDE that references a page table),
//   Table 4-6 (PTE that maps a 4-KByte page). CR4.PSE = 0 makes bit 7 of a PDE ignored: every PDE then references
//   a page table. With PSE-36, bits (M-20):13 of a 4-MByte PDE hold physical address bits (M-1):32 (M <= 40).
// - 4.4 "PAE Paging": Table 4-8 (PDPTE: only P, PWT, PCD and the address; bits 2:1, 8:5 and 63:M reserved), Table
//   4-9 (PDE that maps a 2-MByte page), Table 4-10 (PDE that references a page table), Table 4-11 (PTE). Bit 63 is
//   XD when IA32_EFER.NXE = 1 and reserved when NXE = 0 (4.4.2 and 4.6.2).
// The attribute bits sit where x86_64's do (PTF): P 0, R/W 1, U/S 2, PWT 3, PCD 4, A 5, D 6, PS 7, G 8, XD 63.
import type { GenericPTE, MappingFlags, PhysAddr, PTEWords } from '@page-table-multiarch/core';
import { bit, bits, hi32, join, lo32, maskHi, maskLo } from './_fields';
import { withPat } from './_x86-pat';

/** Fields of the 32-bit paging PDE that maps a 4 MiB page (SDM Vol. 3A Table 4-4), as bigint masks. */
export const X86PDE4M: {
  /** PAT, bit 12: the memory type's PAT index bit of a 4 MiB page (4.9.2). */
  readonly PAT: bigint;
  /** Bits 20:13: physical address bits 39:32 of the page (PSE-36, MAXPHYADDR 40). */
  readonly ADDR_HIGH: bigint;
  /** Bit 21: reserved, must be 0 (with MAXPHYADDR 40 every bit between the two address fields is reserved). */
  readonly RESERVED: bigint;
  /** Bits 31:22: physical address bits 31:22 of the page. */
  readonly ADDR_LOW: bigint;
} = /* @__PURE__ */ Object.freeze({
  PAT: /* @__PURE__ */ bit(12),
  ADDR_HIGH: /* @__PURE__ */ bits(20, 13),
  RESERVED: /* @__PURE__ */ bit(21),
  ADDR_LOW: /* @__PURE__ */ bits(31, 22),
});

/** Options of {@link x86Pte32Codec}. */
export interface X86Pte32Options {
  /** CR4.PSE (default true): a PDE with PS (bit 7) set maps a 4 MiB page; without it bit 7 is ignored (4.3). */
  readonly pse?: boolean;
  /**
   * IA32_PAT: when given, a leaf reads as UNCACHED when the PAT entry its PAT:PCD:PWT select is UC, WC or UC- (PAT is
   * bit 7 of a PTE, bit 12 of a 4 MiB PDE: Tables 4-4, 4-6); encoding is unchanged. Absent: PCD reads as UNCACHED.
   */
  readonly pat?: bigint;
}

/** Options of {@link x86PaeCodec}. */
export interface X86PaeOptions {
  /** IA32_EFER.NXE (default true): bit 63 is XD; without it bit 63 is reserved and every page is executable. */
  readonly nxe?: boolean;
  /**
   * IA32_PAT: when given, a leaf reads as UNCACHED when the PAT entry its PAT:PCD:PWT select is UC, WC or UC- (PAT is
   * bit 7 of a PTE, bit 12 of a 2 MiB PDE: Tables 4-9, 4-11); encoding is unchanged. Absent: PCD reads as UNCACHED.
   */
  readonly pat?: bigint;
}

// Bits 7:0 of every format: P, R/W, U/S, PWT, PCD, A, D, PS (Tables 4-4 to 4-11).
const P = 1;
const RW = 1 << 1;
const US = 1 << 2;
const PWT = 1 << 3;
const PCD = 1 << 4;
const PS = 1 << 7;
/** Bits 31:12 of a PDE or PTE of 32-bit paging: a page table's or a 4 KiB page's address (Tables 4-5, 4-6). */
const ADDR32_FIELD = /* @__PURE__ */ bits(31, 12);
/** PAE: physical address bits 51:12 (M = 52, the architectural maximum; Tables 4-8 to 4-11). */
const PAE_ADDR = /* @__PURE__ */ bits(51, 12);
/** PAE: the address of a 2 MiB page, bits 51:21 (Table 4-9: bit 12 is PAT, 20:13 are reserved). */
const PAE_ADDR2M = /* @__PURE__ */ bits(51, 21);
/** PAE: XD, bit 63 (4.6.2). */
const PAE_XD = /* @__PURE__ */ bit(63);

const READ = 1;
const WRITE = 2;
const EXECUTE = 4;
const USER = 8;
const DEVICE = 16;
const UNCACHED = 32;

/** Low-word attribute bits of a leaf for MappingFlags, as x86_64's (PCD | PWT for DEVICE or UNCACHED). */
function attrLo(flags: number, huge: boolean): number {
  let v = huge ? PS : 0;
  if (flags === 0) return v;
  v |= P;
  if (flags & WRITE) v |= RW;
  if (flags & USER) v |= US;
  if (flags & (DEVICE | UNCACHED)) v |= PCD | PWT;
  return v;
}

/** MappingFlags of a leaf: READ when present, WRITE from R/W, USER from U/S, UNCACHED from PCD, EXECUTE unless XD. */
function decodeFlags(lo: number, xd: boolean): number {
  if ((lo & P) === 0) return 0;
  let f = READ;
  if (lo & RW) f |= WRITE;
  if (!xd) f |= EXECUTE;
  if (lo & US) f |= USER;
  if (lo & PCD) f |= UNCACHED;
  return f;
}

type Codec = GenericPTE & { readonly words: PTEWords };

// ---- 32-bit paging ----

// The u32 masks are made in the codec makers, not at the top level: a bundle that imports only x86_64's codec from
// this subpath then drops all of these formats (a top-level `maskLo(X86PDE4M.ADDR_LOW)` reads a property, which a
// bundler keeps).
function make32(pse: boolean): Codec {
  const ADDR32 = maskLo(ADDR32_FIELD);
  const ADDR4M = maskLo(X86PDE4M.ADDR_LOW);
  const PSE36 = maskLo(X86PDE4M.ADDR_HIGH);
  // level 0 is the page directory: with PSE a PDE whose PS is set maps 4 MiB (Table 4-4), else it is a table (4-5)
  const huge = (lo: number, level: number): boolean => pse && level === 0 && (lo & PS) !== 0;
  const paLo = (lo: number, level: number): number => (huge(lo, level) ? lo & ADDR4M : lo & ADDR32) >>> 0;
  // PSE-36: bits 20:13 are physical address bits 39:32 of a 4 MiB page (Table 4-4)
  const paHi = (lo: number, level: number): number => (huge(lo, level) ? (lo & PSE36) >>> 13 : 0);
  const addrOf = (pLo: number, pHi: number, isHuge: boolean): number =>
    (isHuge ? (pLo & ADDR4M) | ((pHi << 13) & PSE36) : pLo & ADDR32) >>> 0;
  const keepAddr = (lo: number, level: number): number => (huge(lo, level) ? lo & (ADDR4M | PSE36) : lo & ADDR32);
  const words: PTEWords = Object.freeze({
    isPresent: (lo: number, _hi: number, _level: number): boolean => (lo & P) !== 0,
    isHuge: (lo: number, _hi: number, level: number): boolean => huge(lo, level),
    paddrLo: (lo: number, _hi: number, level: number): number => paLo(lo, level),
    paddrHi: (lo: number, _hi: number, level: number): number => paHi(lo, level),
    flags: (lo: number, _hi: number, _level: number): number => decodeFlags(lo, false),
    newPageLo: (pLo: number, pHi: number, flags: number, isHuge: boolean, _level: number): number =>
      (addrOf(pLo, pHi, isHuge) | attrLo(flags, isHuge)) >>> 0,
    newPageHi: (_pLo: number, _pHi: number, _flags: number, _isHuge: boolean, _level: number): number => 0,
    // R/W and U/S set in a PDE so that the leaf decides (4.6.1 ANDs them over the levels)
    newTableLo: (pLo: number, _pHi: number, _level: number): number => ((pLo & ADDR32) | P | RW | US) >>> 0,
    newTableHi: (_pLo: number, _pHi: number, _level: number): number => 0,
    setFlagsLo: (lo: number, _hi: number, flags: number, isHuge: boolean, level: number): number =>
      (keepAddr(lo, level) | attrLo(flags, isHuge)) >>> 0,
    setFlagsHi: (_lo: number, _hi: number, _flags: number, _isHuge: boolean, _level: number): number => 0,
    setPaddrLo: (lo: number, _hi: number, pLo: number, pHi: number, level: number): number => {
      const isHuge = huge(lo, level);
      return ((lo & ~(isHuge ? ADDR4M | PSE36 : ADDR32)) | addrOf(pLo, pHi, isHuge)) >>> 0;
    },
    setPaddrHi: (_lo: number, _hi: number, _pLo: number, _pHi: number, _level: number): number => 0,
    leafShift: (_lo: number, _hi: number, _level: number): number => -1,
    // a 4 MiB PDE is a block the walks leave to these methods; without PSE, bit 7 never makes one (4.3)
    layout: Object.freeze({ present: P, block: pse ? PS : 0, addrLo: ADDR32 >>> 0, addrHi: 0, addrShift: 0 }),
  });
  return Object.freeze({
    newPage(paddr: PhysAddr, flags: MappingFlags, isHuge: boolean, level = 0): bigint {
      return BigInt(words.newPageLo(lo32(paddr), hi32(paddr), flags, isHuge, level));
    },
    newTable(paddr: PhysAddr, level = 0): bigint {
      return BigInt(words.newTableLo(lo32(paddr), hi32(paddr), level));
    },
    paddr(bits: bigint, level = 0): PhysAddr {
      const lo = lo32(bits);
      return join(paLo(lo, level), paHi(lo, level));
    },
    flags(bits: bigint): MappingFlags {
      return decodeFlags(lo32(bits), false);
    },
    setPaddr(bits: bigint, paddr: PhysAddr, level = 0): bigint {
      return BigInt(words.setPaddrLo(lo32(bits), 0, lo32(paddr), hi32(paddr), level));
    },
    setFlags(bits: bigint, flags: MappingFlags, isHuge: boolean, level = 0): bigint {
      return BigInt(words.setFlagsLo(lo32(bits), 0, flags, isHuge, level));
    },
    isUnused(bits: bigint): boolean {
      return bits === 0n;
    },
    isPresent(bits: bigint): boolean {
      return (lo32(bits) & P) !== 0;
    },
    isHuge(bits: bigint, level = 0): boolean {
      return huge(lo32(bits), level);
    },
    words,
  });
}

const PTE32 = /* @__PURE__ */ make32(true);
const PTE32_NO_PSE = /* @__PURE__ */ make32(false);

/**
 * The codec of x86 32-bit paging (SDM Vol. 3A 4.3), for the given CR4.PSE: 32-bit entries, a PDE maps a 4 MiB page
 * (PS set, with PSE only) or points at a page table, a PTE maps a 4 KiB page. MappingFlags map to P, R/W, U/S and
 * (for DEVICE or UNCACHED) PCD | PWT; there is no execute-disable bit, so every page reads as EXECUTE. A 4 MiB page
 * holds physical address bits 39:32 in bits 20:13 (PSE-36, MAXPHYADDR 40). Table entries are P | R/W | U/S so that
 * the leaf decides. Entries mean different things per level: pass the level (0 = PDE, 1 = PTE). With `pat`, leaves'
 * memory types are read through that IA32_PAT value (SDM Vol. 3A "PAT Indexing").
 * @throws RangeError for a `pat` with a reserved entry (encodings 2 and 3, or bits 7:3 set).
 * @example
 * x86Pte32Codec().newPage(0x1_0040_0000n, MappingFlags.READ, true, 0) // 0x400_2081n: PS | P, bits 20:13 = 1
 */
export function x86Pte32Codec(options: X86Pte32Options = {}): GenericPTE & {
  /** The word-level form of this codec (`PTEWords`); the high word of an entry is always 0. */
  readonly words: PTEWords;
} {
  const base = options.pse === false ? PTE32_NO_PSE : PTE32;
  // level 1 is the PTE; bit 7 without a level is PS only with PSE (4.3)
  return options.pat === undefined ? base : withPat(base, options.pat, 1, options.pse !== false, 'x86Pte32Codec');
}

/** The 32-bit paging codec with CR4.PSE = 1: `x86Pte32Codec()`. */
export const X86PTE32: GenericPTE & {
  /** The word-level form of this codec (`PTEWords`). */
  readonly words: PTEWords;
} = PTE32;

// ---- PAE paging ----

function makePae(nxe: boolean): Codec {
  const PAE_ADDR_LO = maskLo(PAE_ADDR);
  const PAE_ADDR_HI = maskHi(PAE_ADDR);
  const PAE_ADDR2M_LO = maskLo(PAE_ADDR2M);
  const XD_HI = maskHi(PAE_XD);
  const xdHi = (flags: number): number => (nxe && flags !== 0 && (flags & EXECUTE) === 0 ? XD_HI : 0);
  // level 0 is the PDPT, whose entries always reference a page directory (Table 4-8); a PDE with PS maps 2 MiB
  // (Table 4-9): its address is bits 51:21
  const huge = (lo: number, level: number): boolean => level === 1 && (lo & PS) !== 0;
  const addrLo = (lo: number, level: number): number => (huge(lo, level) ? PAE_ADDR2M_LO : PAE_ADDR_LO);
  const flags = (lo: number, hi: number): number => decodeFlags(lo, nxe && (hi & XD_HI) !== 0);
  // without NXE bit 63 is reserved: setFlags clears it with the other attributes instead of keeping it
  const words: PTEWords = Object.freeze({
    isPresent: (lo: number, _hi: number, _level: number): boolean => (lo & P) !== 0,
    isHuge: (lo: number, _hi: number, level: number): boolean => huge(lo, level),
    paddrLo: (lo: number, _hi: number, level: number): number => (lo & addrLo(lo, level)) >>> 0,
    paddrHi: (_lo: number, hi: number, _level: number): number => hi & PAE_ADDR_HI,
    flags: (lo: number, hi: number, _level: number): number => flags(lo, hi),
    newPageLo: (pLo: number, _pHi: number, f: number, isHuge: boolean, _level: number): number =>
      ((pLo & (isHuge ? PAE_ADDR2M_LO : PAE_ADDR_LO)) | attrLo(f, isHuge)) >>> 0,
    newPageHi: (_pLo: number, pHi: number, f: number, _isHuge: boolean, _level: number): number => ((pHi & PAE_ADDR_HI) | xdHi(f)) >>> 0,
    // a PDPTE has only P, PWT, PCD and the address (Table 4-8: R/W and U/S are reserved there); below it R/W and
    // U/S are set so that the leaf decides (4.6.1)
    newTableLo: (pLo: number, _pHi: number, level: number): number => ((pLo & PAE_ADDR_LO) | (level === 0 ? P : P | RW | US)) >>> 0,
    newTableHi: (_pLo: number, pHi: number, _level: number): number => pHi & PAE_ADDR_HI,
    setFlagsLo: (lo: number, _hi: number, f: number, isHuge: boolean, level: number): number =>
      ((lo & addrLo(lo, level)) | attrLo(f, isHuge)) >>> 0,
    setFlagsHi: (_lo: number, hi: number, f: number, _isHuge: boolean, _level: number): number => ((hi & PAE_ADDR_HI) | xdHi(f)) >>> 0,
    setPaddrLo: (lo: number, _hi: number, pLo: number, _pHi: number, level: number): number => {
      const mask = addrLo(lo, level);
      return ((lo & ~mask) | (pLo & mask)) >>> 0;
    },
    setPaddrHi: (_lo: number, hi: number, _pLo: number, pHi: number, _level: number): number =>
      ((hi & ~PAE_ADDR_HI) | (pHi & PAE_ADDR_HI)) >>> 0,
    leafShift: (_lo: number, _hi: number, _level: number): number => -1,
    // P, PS and bits 51:12 as x86_64's; a PS in a PDPTE (reserved) is a block the walks leave to the methods above
    layout: Object.freeze({ present: P, block: PS, addrLo: PAE_ADDR_LO >>> 0, addrHi: PAE_ADDR_HI >>> 0, addrShift: 0 }),
  });
  return Object.freeze({
    newPage(paddr: PhysAddr, f: MappingFlags, isHuge: boolean, level = 1): bigint {
      return join(words.newPageLo(lo32(paddr), hi32(paddr), f, isHuge, level), words.newPageHi(lo32(paddr), hi32(paddr), f, isHuge, level));
    },
    newTable(paddr: PhysAddr, level = 1): bigint {
      return join(words.newTableLo(lo32(paddr), hi32(paddr), level), words.newTableHi(lo32(paddr), hi32(paddr), level));
    },
    paddr(bits: bigint, level = 1): PhysAddr {
      return join(words.paddrLo(lo32(bits), hi32(bits), level), words.paddrHi(lo32(bits), hi32(bits), level));
    },
    flags(bits: bigint): MappingFlags {
      return flags(lo32(bits), hi32(bits));
    },
    setPaddr(bits: bigint, paddr: PhysAddr, level = 1): bigint {
      const lo = lo32(bits);
      const hi = hi32(bits);
      return join(words.setPaddrLo(lo, hi, lo32(paddr), hi32(paddr), level), words.setPaddrHi(lo, hi, lo32(paddr), hi32(paddr), level));
    },
    setFlags(bits: bigint, f: MappingFlags, isHuge: boolean, level = 1): bigint {
      const lo = lo32(bits);
      const hi = hi32(bits);
      return join(words.setFlagsLo(lo, hi, f, isHuge, level), words.setFlagsHi(lo, hi, f, isHuge, level));
    },
    isUnused(bits: bigint): boolean {
      return bits === 0n;
    },
    isPresent(bits: bigint): boolean {
      return (lo32(bits) & P) !== 0;
    },
    isHuge(bits: bigint, level = 1): boolean {
      return huge(lo32(bits), level);
    },
    words,
  });
}

const PAE = /* @__PURE__ */ makePae(true);
const PAE_NO_NX = /* @__PURE__ */ makePae(false);

/**
 * The codec of x86 PAE paging (SDM Vol. 3A 4.4), for the given IA32_EFER.NXE: 64-bit entries; level 0 is the PDPT,
 * whose entries hold only P and the page directory's address (Table 4-8); a PDE maps a 2 MiB page (PS set) or points
 * at a page table; a PTE maps a 4 KiB page. MappingFlags map as x86_64's: P, R/W, U/S, PCD | PWT for DEVICE or
 * UNCACHED, and XD (bit 63) for a page that is not executable, written only with NXE (without it bit 63 is reserved
 * and every page reads as EXECUTE). Pass the level (0 = PDPTE, 1 = PDE, 2 = PTE). With `pat`, leaves' memory types
 * are read through that IA32_PAT value (SDM Vol. 3A "PAT Indexing").
 * @throws RangeError for a `pat` with a reserved entry (encodings 2 and 3, or bits 7:3 set).
 * @example
 * x86PaeCodec().newTable(0x3000n, 0) // 0x3001n: P only in a PDPTE
 */
export function x86PaeCodec(options: X86PaeOptions = {}): GenericPTE & {
  /** The word-level form of this codec (`PTEWords`). */
  readonly words: PTEWords;
} {
  const base = options.nxe === false ? PAE_NO_NX : PAE;
  // level 2 is the PTE; bit 7 without a level reads as PS (a 2 MiB page)
  return options.pat === undefined ? base : withPat(base, options.pat, 2, true, 'x86PaeCodec');
}

/** The PAE paging codec with IA32_EFER.NXE = 1: `x86PaeCodec()`. */
export const X86PaePTE: GenericPTE & {
  /** The word-level form of this codec (`PTEWords`). */
  readonly words: PTEWords;
} = PAE;
