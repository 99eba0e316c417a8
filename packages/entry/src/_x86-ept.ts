// Intel EPT (extended page tables) entries: the second stage that maps a guest's physical addresses to host physical
// addresses under VMX.
// Source: Intel 64 and IA-32 Architectures Software Developer's Manual, Vol. 3C (326019 / 325462), 29.3.2 "EPT
// Translation Mechanism":
// - Table 29-1: EPT PML4E (a PML5E of 5-level EPT has the same format): R 0, W 1, X 2, bits 7:3 reserved, A 8, XU 10,
//   address (N-1):12, bits 51:N reserved.
// - Table 29-2: EPT PDPTE that maps a 1-GByte page: R 0, W 1, X 2, memory type 5:3, ignore PAT 6, bit 7 = 1, A 8,
//   D 9, XU 10, bits 29:12 reserved, address (N-1):30, suppress #VE 63.
// - Table 29-3: EPT PDPTE that references an EPT page directory: as Table 29-1, bit 7 = 0.
// - Table 29-4: EPT PDE that maps a 2-MByte page: as Table 29-2, bits 20:12 reserved, address (N-1):21.
// - Table 29-5: EPT PDE that references an EPT page table: as Table 29-3.
// - Table 29-6: EPT PTE that maps a 4-KByte page: as Table 29-2 with the address at (N-1):12; bit 7 is ignored.
// - 29.3.2: an entry is present when any of bits 2:0 is 1, or, with the "mode-based execute control for EPT"
//   VM-execution control (MBEC), bit 10. With MBEC bit 2 allows fetches from supervisor-mode linear addresses and
//   bit 10 from user-mode ones; without it bit 2 allows every fetch and bit 10 is ignored.
// - 29.3.3.1 "EPT Misconfigurations": W without R, a memory type of 2, 3 or 7, and X alone on a CPU without
//   execute-only support (IA32_VMX_EPT_VPID_CAP bit 0) make the CPU raise an EPT misconfiguration.
// - 29.3.5 "Accessed and Dirty Flags for EPT": A (bit 8) and D (bit 9, leaves) are written by the CPU only when
//   EPTP bit 6 enables them, and ignored otherwise.
// - 29.3.7.2 "Memory Type Used for Translated Guest-Physical Addresses": with ignore PAT = 0 the leaf's memory type
//   combines with the guest's PAT type as an MTRR type does (Vol. 3A Table 11-7); with 1, the leaf's type is used.
import type { GenericPTE, MappingFlags, PhysAddr, PTEWords } from '@page-table-multiarch/core';
import { bit, bits, join, lo32, maskHi, maskLo } from './_fields';

/** EPT entry fields (SDM Vol. 3C 29.3.2, Tables 29-1 to 29-6), as bigint masks of a 64-bit entry. */
export const X86EptFlags: {
  /** Read access, bit 0 (Tables 29-1 to 29-6). */
  readonly READ: bigint;
  /** Write access, bit 1 (Tables 29-1 to 29-6); W without R is a misconfiguration (29.3.3.1). */
  readonly WRITE: bigint;
  /** Execute access, bit 2: every fetch, or with MBEC fetches from supervisor-mode linear addresses (Table 29-6). */
  readonly EXECUTE: bigint;
  /** EPT memory type, bits 5:3 of a leaf: 0 UC, 1 WC, 4 WT, 5 WP, 6 WB; 2, 3, 7 reserved (Tables 29-2, 29-4, 29-6). */
  readonly MEMORY_TYPE: bigint;
  /** Ignore PAT, bit 6 of a leaf: the leaf's memory type is used as it is, whatever the guest PAT says (29.3.7.2). */
  readonly IGNORE_PAT: bigint;
  /** Page size, bit 7: the PDPTE maps a 1 GiB page, the PDE a 2 MiB page (Tables 29-2, 29-4); reserved in a PML4E. */
  readonly HUGE_PAGE: bigint;
  /** Accessed, bit 8, written by the CPU when EPTP bit 6 enables A/D flags (29.3.5); ignored otherwise. */
  readonly ACCESSED: bigint;
  /** Dirty, bit 9 of a leaf, as ACCESSED (29.3.5). */
  readonly DIRTY: bigint;
  /** Execute access for user-mode linear addresses, bit 10, with MBEC; ignored without it (Tables 29-1 to 29-6). */
  readonly USER_EXECUTE: bigint;
  /** Suppress #VE, bit 63 of a leaf: with "EPT-violation #VE", violations here stay VM exits (Tables 29-2, 29-4, 29-6). */
  readonly SUPPRESS_VE: bigint;
} = /* @__PURE__ */ Object.freeze({
  READ: /* @__PURE__ */ bit(0),
  WRITE: /* @__PURE__ */ bit(1),
  EXECUTE: /* @__PURE__ */ bit(2),
  MEMORY_TYPE: /* @__PURE__ */ bits(5, 3),
  IGNORE_PAT: /* @__PURE__ */ bit(6),
  HUGE_PAGE: /* @__PURE__ */ bit(7),
  ACCESSED: /* @__PURE__ */ bit(8),
  DIRTY: /* @__PURE__ */ bit(9),
  USER_EXECUTE: /* @__PURE__ */ bit(10),
  SUPPRESS_VE: /* @__PURE__ */ bit(63),
});

/** Physical address bits 51:12 (N = 52, the architectural maximum; Tables 29-1 to 29-6). */
const EPT_ADDR = /* @__PURE__ */ bits(51, 12);

/** EPT memory types of a leaf (bits 5:3; SDM Vol. 3C 29.3.7.1, the encodings of Vol. 3A Table 11-10). */
const MT_UC = 0;
const MT_WC = 1;
const MT_WB = 6;

/** Options of {@link x86EptCodec}: the VM-execution controls and CPU capabilities the entries depend on. */
export interface X86EptOptions {
  /**
   * The "mode-based execute control for EPT" VM-execution control (default false). With it, EXECUTE sets bit 2
   * (fetches from supervisor-mode linear addresses) and EXECUTE | USER also bit 10 (from user-mode ones), bit 10
   * alone makes an entry present, and table entries set both. Without it USER has no meaning in EPT and is not written.
   */
  readonly mbec?: boolean;
  /**
   * Execute-only pages (IA32_VMX_EPT_VPID_CAP bit 0; default true): flags granting EXECUTE alone write X without R.
   * With false they also write R, since X alone is an EPT misconfiguration on such a CPU (29.3.3.1).
   */
  readonly executeOnly?: boolean;
  /** Write ignore PAT (bit 6) in every leaf (default false: the guest's PAT refines the leaf's type, 29.3.7.2). */
  readonly ignorePat?: boolean;
  /** Write suppress #VE (bit 63) in every leaf (default false). */
  readonly suppressVe?: boolean;
}

const READ = 1;
const WRITE = 2;
const EXECUTE = 4;
const USER = 8;
const DEVICE = 16;
const UNCACHED = 32;

/** A codec with its word form. */
type EptCodec = GenericPTE & { readonly words: PTEWords };

// The codec's words are made in the maker, not at the top level, so that a bundle of x86_64's codec alone drops them
// (a top-level `maskLo(X86EptFlags.READ)` reads a property, which a bundler keeps).
function makeEpt(mbec: boolean, executeOnly: boolean, ignorePat: boolean, suppressVe: boolean): EptCodec {
  const R = maskLo(X86EptFlags.READ);
  const W = maskLo(X86EptFlags.WRITE);
  const X = maskLo(X86EptFlags.EXECUTE);
  const MT = maskLo(X86EptFlags.MEMORY_TYPE);
  const IPAT = maskLo(X86EptFlags.IGNORE_PAT);
  const PS = maskLo(X86EptFlags.HUGE_PAGE);
  const XU = maskLo(X86EptFlags.USER_EXECUTE);
  const SVE_HI = maskHi(X86EptFlags.SUPPRESS_VE);
  const ADDR_LO = maskLo(EPT_ADDR);
  const ADDR_HI = maskHi(EPT_ADDR);
  // 29.3.2: present when any of bits 2:0 is set, or bit 10 with MBEC
  const PRESENT = R | W | X | (mbec ? XU : 0);
  // a table entry grants everything, so that the leaf decides (access rights are ANDed over the levels, 29.3.3.2)
  const TABLE = PRESENT;
  const leafConst = (ignorePat ? IPAT : 0) | 0;
  const leafHiConst = suppressVe ? SVE_HI : 0;

  /** Low-word bits of a leaf for MappingFlags (non-empty: core refuses empty flags before a codec sees them). */
  const attrLo = (flags: number, huge: boolean): number => {
    let v = (huge ? PS : 0) | leafConst;
    if (flags === 0) return v;
    const rwx = flags & (READ | WRITE | EXECUTE);
    // R unless the flags grant EXECUTE alone on a CPU with execute-only pages; WRITE implies R (W without R is a
    // misconfiguration), and flags with none of R/W/X still write a present entry, as x86_64's P does
    if (!(executeOnly && rwx === EXECUTE)) v |= R;
    if (flags & WRITE) v |= W;
    if (flags & EXECUTE) v |= mbec && flags & USER ? X | XU : X;
    // DEVICE: UC; UNCACHED: WC, normal memory that is not cached (as AArch64's Normal Non-cacheable and Svpbmt's NC);
    // otherwise WB (29.3.7.1)
    const type = flags & DEVICE ? MT_UC : flags & UNCACHED ? MT_WC : MT_WB;
    return v | (type << 3);
  };
  const attrHi = (flags: number): number => (flags === 0 ? 0 : leafHiConst);
  // attrLo of every MappingFlags set (6 bits), made once per codec; index flags | 64 for a huge page. The word
  // methods read it (one load), as the x86_64 codec does: with a call of attrLo per entry instead, the bench's W1a
  // (sequential maps, physical addresses above 2^31) measured 11.3 heap bytes per map, and 0 with the table
  const ATTR_LO = new Int32Array(128);
  for (let f = 0; f < 64; f++) {
    ATTR_LO[f] = attrLo(f, false);
    ATTR_LO[f | 64] = attrLo(f, true);
  }
  const leafLo = (flags: number, huge: boolean): number => (flags >>> 6 === 0 ? ATTR_LO[huge ? flags | 64 : flags]! : attrLo(flags, huge));

  /** MappingFlags of a leaf: R, W, X (or XU with MBEC, which also reads as USER), DEVICE for UC, UNCACHED for WC. */
  const decode = (lo: number): number => {
    if ((lo & PRESENT) === 0) return 0;
    let f = 0;
    if (lo & R) f |= READ;
    if (lo & W) f |= WRITE;
    if (lo & X) f |= EXECUTE;
    if (mbec && lo & XU) f |= EXECUTE | USER;
    const type = (lo & MT) >>> 3;
    if (type === MT_UC) f |= DEVICE;
    else if (type === MT_WC) f |= UNCACHED;
    return f;
  };

  const words: PTEWords = Object.freeze({
    isPresent: (lo: number, _hi: number, _level: number): boolean => (lo & PRESENT) !== 0,
    isHuge: (lo: number, _hi: number, _level: number): boolean => (lo & PS) !== 0,
    paddrLo: (lo: number, _hi: number, _level: number): number => (lo & ADDR_LO) >>> 0,
    paddrHi: (_lo: number, hi: number, _level: number): number => hi & ADDR_HI,
    flags: (lo: number, _hi: number, _level: number): number => decode(lo),
    newPageLo: (paLo: number, _paHi: number, flags: number, huge: boolean, _level: number): number =>
      ((paLo & ADDR_LO) | leafLo(flags, huge)) >>> 0,
    newPageHi: (_paLo: number, paHi: number, flags: number, _huge: boolean, _level: number): number =>
      ((paHi & ADDR_HI) | attrHi(flags)) >>> 0,
    newTableLo: (paLo: number, _paHi: number, _level: number): number => ((paLo & ADDR_LO) | TABLE) >>> 0,
    newTableHi: (_paLo: number, paHi: number, _level: number): number => paHi & ADDR_HI,
    setFlagsLo: (lo: number, _hi: number, flags: number, huge: boolean, _level: number): number =>
      ((lo & ADDR_LO) | leafLo(flags, huge)) >>> 0,
    setFlagsHi: (_lo: number, hi: number, flags: number, _huge: boolean, _level: number): number =>
      ((hi & ADDR_HI) | attrHi(flags)) >>> 0,
    setPaddrLo: (lo: number, _hi: number, paLo: number, _paHi: number, _level: number): number =>
      ((lo & ~ADDR_LO) | (paLo & ADDR_LO)) >>> 0,
    setPaddrHi: (_lo: number, hi: number, _paLo: number, paHi: number, _level: number): number =>
      ((hi & ~ADDR_HI) | (paHi & ADDR_HI)) >>> 0,
    // every EPT leaf maps exactly its level's size
    leafShift: (_lo: number, _hi: number, _level: number): number => -1,
    // 29.3.2: at every level present when any of bits 2:0 is set (bit 10 too with MBEC; an execute-only page has X
    // alone), so no `leaf`: a last-level entry (Table 29-6, bit 7 ignored) maps its 4 KiB page whenever present. Above
    // it, bit 7 clear points to a table (Tables 29-1, 29-3, 29-5) and set maps a page (29-2, 29-4) or, in a PML4E
    // or PML5E, is reserved: both left to the methods. The address bits 51:12 in place, in a table entry and a leaf.
    layout: Object.freeze({ present: PRESENT, block: PS, addrLo: ADDR_LO >>> 0, addrHi: ADDR_HI >>> 0, addrShift: 0 }),
  });
  return Object.freeze({
    newPage(paddr: PhysAddr, flags: MappingFlags, isHuge: boolean): bigint {
      return (paddr & EPT_ADDR) | join(attrLo(flags, isHuge), attrHi(flags));
    },
    newTable(paddr: PhysAddr): bigint {
      return (paddr & EPT_ADDR) | BigInt(TABLE);
    },
    paddr(bits: bigint): PhysAddr {
      return bits & EPT_ADDR;
    },
    flags(bits: bigint): MappingFlags {
      return decode(lo32(bits));
    },
    setPaddr(bits: bigint, paddr: PhysAddr): bigint {
      return (bits & ~EPT_ADDR) | (paddr & EPT_ADDR);
    },
    setFlags(bits: bigint, flags: MappingFlags, isHuge: boolean): bigint {
      return (bits & EPT_ADDR) | join(attrLo(flags, isHuge), attrHi(flags));
    },
    isUnused(bits: bigint): boolean {
      return bits === 0n;
    },
    isPresent(bits: bigint): boolean {
      return (lo32(bits) & PRESENT) !== 0;
    },
    isHuge(bits: bigint): boolean {
      return (lo32(bits) & PS) !== 0;
    },
    words,
  });
}

const EPT = /* @__PURE__ */ makeEpt(false, true, false, false);
const EPT_MBEC = /* @__PURE__ */ makeEpt(true, true, false, false);
// The codecs of the other option sets, made once each: a table keeps its fast walks per codec layout, so a codec made
// per table would make them again for every table, and keep them all.
const OTHER_CODECS = /* @__PURE__ */ new Map<number, EptCodec>();

/**
 * The EPT entry codec (SDM Vol. 3C 29.3.2, Tables 29-1 to 29-6) for the given VM-execution controls. MappingFlags
 * map to R (bit 0; also written for WRITE, and for flags without R/W/X), W (1), X (2), the memory type (bits 5:3:
 * UC for DEVICE, WC for UNCACHED, WB otherwise) and, with `mbec`, XU (bit 10) for EXECUTE | USER. Without MBEC,
 * USER has no meaning in EPT (a guest-physical access has no privilege) and is not written: the flag is accepted,
 * not refused, so that one set of flags can map guest memory in EPT and in a RISC-V G-stage table, whose leaves
 * must all carry U. A leaf reads back as DEVICE for UC, UNCACHED for WC. Table entries grant R, W, X (and XU with
 * MBEC) so that the leaf decides. The A and D bits are the CPU's: `setFlags` clears them. Equal options give the
 * same codec object.
 * @example
 * X86EptPTE.newPage(0x20_0000n, MappingFlags.READ | MappingFlags.WRITE, true) // 0x2000b3n: PS, WB, W, R
 */
export function x86EptCodec(options: X86EptOptions = {}): GenericPTE & {
  /** The word-level form of this codec (`PTEWords`). */
  readonly words: PTEWords;
} {
  const mbec = options.mbec === true;
  const executeOnly = options.executeOnly !== false;
  const ignorePat = options.ignorePat === true;
  const suppressVe = options.suppressVe === true;
  if (executeOnly && !ignorePat && !suppressVe) return mbec ? EPT_MBEC : EPT;
  const key = (mbec ? 1 : 0) | (executeOnly ? 2 : 0) | (ignorePat ? 4 : 0) | (suppressVe ? 8 : 0);
  let codec = OTHER_CODECS.get(key);
  if (codec === undefined) {
    codec = makeEpt(mbec, executeOnly, ignorePat, suppressVe);
    OTHER_CODECS.set(key, codec);
  }
  return codec;
}

/** The EPT codec without mode-based execute control: `x86EptCodec()`. */
export const X86EptPTE: GenericPTE & {
  /** The word-level form of this codec (`PTEWords`). */
  readonly words: PTEWords;
} = EPT;
