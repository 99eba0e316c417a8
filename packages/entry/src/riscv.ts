// RISC-V page-table entries: Sv39 / Sv48 / Sv57 and their G-stage forms (RV64, 8 bytes each), Sv32 (RV32, 4 bytes).
// Source: The RISC-V Instruction Set Manual, Volume II: Privileged Architecture (20211203), chapter
// "Supervisor-Level ISA, Version 1.12", cited below as [Priv]:
//   [Sv32 AMP]  section "Sv32: Page-Based 32-bit Virtual-Memory Systems", subsection "Addressing and Memory
//               Protection": bits 9-0 (V R W X U G A D RSW) of every PTE, and the table "Encoding of PTE R/W/X
//               fields" (R=W=X=0: pointer to the next level; W=1 with R=0: reserved; X alone: execute-only);
//   [Sv32 VATP] subsection "Virtual Address Translation Process", steps 3 and 4 (invalid, leaf or pointer);
//   [Sv39 AMP]  section "Sv39: Page-Based 39-bit Virtual-Memory System", subsection "Addressing and Memory
//               Protection", figure "Sv39 page table entry": PPN in bits 53:10, bits 60:54 reserved, bits 62:61
//               for Svpbmt, bit 63 for Svnapot. Sv48 uses the same entry ("Sv48", same subsection);
//   [Svpbmt]    chapter "Svpbmt Standard Extension for Page-Based Memory Types", table "Encodings for PBMT field";
//   [Svnapot]   chapter "Svnapot Standard Extension for NAPOT Translation Contiguity", table "Page table entry
//               encodings when pte.N=1": N = 1 with ppn[0][3:0] = 0b1000 in a level-0 leaf is a 64 KiB NAPOT page;
//   [H GPA]     chapter "Hypervisor Extension, Version 1.0", section "Two-Stage Address Translation", subsection
//               "Guest Physical Address Translation": a G-stage PTE has the fields of the VS-stage formats, every
//               G-stage access is checked as a U-mode access (a leaf without U faults), and G is reserved.
// T-Head XuanTie C906 / C910 (the crate's `xuantie-c9xx` feature), cited as [C9xx]: with the extended memory
// attributes enabled, bits 63..60 of a leaf are SO (strong order), C (cacheable), B (bufferable), SH (shareable; the
// C906 has SO, C, B, the OpenC910 also SH), as the crate defines them; Linux (arch/riscv/include/asm/pgtable-64.h,
// T-Head memory types) uses the same bits, with C = 0 meaning non-cacheable and SO = 1 strongly-ordered I/O.
import type { GenericPTE, MappingFlags, PhysAddr, PTEWords } from '@page-table-multiarch/core';
import { bit, bits, hi32, join, lo32, maskHi, maskLo, shiftOf } from './_fields';

// T-Head's memory attribute bits [C9xx], which the crate's two XUANTIE masks combine.
const THEAD = { SO: bit(63), C: bit(62), B: bit(61), SH: bit(60) };

/**
 * RISC-V PTE bits as bigint masks of a 64-bit entry: the crate's `PTEFlags` (V ... D, and SO, C, B, SH of its
 * `xuantie-c9xx` feature, with its two combined masks), plus the fields the crate does not name (RSW, PBMT, N).
 * Bits 63..60 have two meanings: the standard Svnapot / Svpbmt bits (N, PBMT), or T-Head's SO, C, B, SH; a table
 * uses one or the other, never both.
 */
export const PTEFlags: {
  /** Bit 0, valid: when clear every other bit is free for software [Sv32 AMP]. */
  readonly V: bigint;
  /** Bit 1, readable [Sv32 AMP]. */
  readonly R: bigint;
  /** Bit 2, writable; W without R is reserved [Sv32 AMP, R/W/X table]. */
  readonly W: bigint;
  /** Bit 3, executable [Sv32 AMP]. */
  readonly X: bigint;
  /** Bit 4, accessible to U-mode [Sv32 AMP]. */
  readonly U: bigint;
  /** Bit 5, global mapping (present in every address space) [Sv32 AMP]. */
  readonly G: bigint;
  /** Bit 6, accessed [Sv32 AMP]. */
  readonly A: bigint;
  /** Bit 7, dirty [Sv32 AMP]. */
  readonly D: bigint;
  /** Bits 9:8, reserved for supervisor software; the hardware ignores them [Sv32 AMP]. */
  readonly RSW: bigint;
  /** Bits 62:61, page-based memory type: 0 PMA, 1 NC, 2 IO, 3 reserved [Sv39 AMP], [Svpbmt]. */
  readonly PBMT: bigint;
  /** Bit 63, NAPOT contiguous translation: with ppn[0][3:0] = 0b1000, one of 16 entries of a 64 KiB page [Sv39 AMP], [Svnapot]. */
  readonly N: bigint;
  /** Bit 63, T-Head: strong order (device memory) [C9xx]. */
  readonly SO: bigint;
  /** Bit 62, T-Head: cacheable [C9xx]. */
  readonly C: bigint;
  /** Bit 61, T-Head: bufferable [C9xx]. */
  readonly B: bigint;
  /** Bit 60, T-Head: shareable [C9xx]. */
  readonly SH: bigint;
  /** SO | B: what the crate writes for MappingFlags.DEVICE on T-Head cores. */
  readonly XUANTIE_C9XX_DEVICE: bigint;
  /** C | B | SH: what the crate writes for every other non-empty MappingFlags on T-Head cores. */
  readonly XUANTIE_C9XX_NORMAL: bigint;
} = Object.freeze({
  V: bit(0),
  R: bit(1),
  W: bit(2),
  X: bit(3),
  U: bit(4),
  G: bit(5),
  A: bit(6),
  D: bit(7),
  RSW: bits(9, 8),
  PBMT: bits(62, 61),
  N: bit(63),
  ...THEAD,
  XUANTIE_C9XX_DEVICE: THEAD.SO | THEAD.B,
  XUANTIE_C9XX_NORMAL: THEAD.C | THEAD.B | THEAD.SH,
});

/** PPN, entry bits 53:10: physical address bits 55:12 [Sv39 AMP]. */
const PPN = bits(53, 10);
// The same fields as u32 masks: low word (entry bits 31:0) and high word (entry bits 63:32).
const V = maskLo(PTEFlags.V);
const R = maskLo(PTEFlags.R);
const W = maskLo(PTEFlags.W);
const X = maskLo(PTEFlags.X);
const U = maskLo(PTEFlags.U);
const A = maskLo(PTEFlags.A);
const D = maskLo(PTEFlags.D);
/** PPN bits of the low word: entry bits 31:10 = physical address bits 33:12. */
const PPN_LO = maskLo(PPN);
/** PPN bits of the high word: entry bits 53:32 = physical address bits 55:34. */
const PPN_HI = maskHi(PPN);
/**
 * The PPN sits 2 bits below the address it holds (page offset 12, PPN at bit 10): PA = (entry & PPN) << 2. The word
 * methods shift by the literals 2 and 30 (= 32 - 2) instead, see _fields.ts; the tests compare them with the bigint
 * methods, which use this.
 */
const PPN_SHIFT = 12 - shiftOf(PPN);
const PBMT_NC = 1; // non-cacheable main memory [Svpbmt]
const PBMT_IO = 2; // non-cacheable, strongly-ordered I/O [Svpbmt]
const SO_HI = maskHi(PTEFlags.SO);
const C_HI = maskHi(PTEFlags.C);
const XUANTIE_DEVICE_HI = maskHi(PTEFlags.XUANTIE_C9XX_DEVICE);
const XUANTIE_NORMAL_HI = maskHi(PTEFlags.XUANTIE_C9XX_NORMAL);

const READ = 1;
const WRITE = 2;
const EXECUTE = 4;
const USER = 8;
const DEVICE = 16;
const UNCACHED = 32;

/**
 * The leaf permissions a MappingFlags set can have on RISC-V: a leaf needs R or X, and W needs R [Sv32 AMP,
 * R/W/X table; Sv32 VATP steps 3-4]. WRITE without READ gains READ; a set with none of READ, WRITE and EXECUTE (only
 * USER, DEVICE or UNCACHED) gains READ, the least a present leaf can grant (as on x86 and Arm, where every present
 * page is readable). Execute-only sets and sets with READ are returned unchanged, and so is the empty set.
 *
 * @example
 * legalLeafFlags(MappingFlags.WRITE)   // MappingFlags.READ | MappingFlags.WRITE
 * legalLeafFlags(MappingFlags.EXECUTE) // MappingFlags.EXECUTE
 */
export function legalLeafFlags(flags: MappingFlags): MappingFlags {
  if (flags === 0 || (flags & READ) !== 0) return flags;
  if ((flags & EXECUTE) !== 0 && (flags & WRITE) === 0) return flags;
  return flags | READ;
}

/**
 * The leaf permissions of a G-stage (guest-physical) leaf: {@link legalLeafFlags}, and USER on every non-empty set.
 * Every G-stage access is checked as though made in U-mode, so a leaf without U faults whatever the guest does
 * [H GPA]; the codec gives every leaf U rather than write one no access can use. The empty set stays empty.
 *
 * @example
 * gStageLeafFlags(MappingFlags.READ)  // MappingFlags.READ | MappingFlags.USER
 * gStageLeafFlags(MappingFlags.WRITE) // MappingFlags.READ | MappingFlags.WRITE | MappingFlags.USER
 */
export function gStageLeafFlags(flags: MappingFlags): MappingFlags {
  return flags === 0 ? flags : legalLeafFlags(flags) | USER;
}

/** Low-word bits for MappingFlags, as the crate's `From<MappingFlags> for PTEFlags`: A and D set on every leaf. */
function permLo(flags: number): number {
  if (flags === 0) return 0;
  let v = V | A | D;
  if (flags & READ) v |= R;
  if (flags & WRITE) v |= W;
  if (flags & EXECUTE) v |= X;
  if (flags & USER) v |= U;
  return v;
}

/** The crate's T-Head attributes: DEVICE is SO | B, anything else non-empty is C | B | SH (UNCACHED included). */
function xuantieHi(flags: number): number {
  if (flags === 0) return 0;
  return flags & DEVICE ? XUANTIE_DEVICE_HI : XUANTIE_NORMAL_HI;
}

function noHi(_flags: number): number {
  return 0;
}

/** PBMT = IO and NC as high-word bits: entry bits 62:61 are high-word bits 30:29 [Svpbmt]. */
const PBMT_IO_HI = PBMT_IO << 29;
const PBMT_NC_HI = PBMT_NC << 29;

/**
 * Svpbmt memory types [Svpbmt, table "Encodings for PBMT field"]: DEVICE is IO (non-cacheable, strongly-ordered
 * I/O; with UNCACHED too, as IO is also non-cacheable), UNCACHED alone NC (non-cacheable main memory), anything else
 * PMA (0: the platform's attributes). The empty set writes no bits.
 */
function pbmtHi(flags: number): number {
  if (flags === 0) return 0;
  if (flags & DEVICE) return PBMT_IO_HI;
  return flags & UNCACHED ? PBMT_NC_HI : 0;
}

/** MappingFlags of the permission bits, as the crate's `From<PTEFlags> for MappingFlags`. */
function permFlags(lo: number): number {
  let f = 0;
  if (lo & R) f |= READ;
  if (lo & W) f |= WRITE;
  if (lo & X) f |= EXECUTE;
  if (lo & U) f |= USER;
  return f;
}

/** Standard entry: the permissions, and the Svpbmt memory type (NC reads as UNCACHED, IO as DEVICE). */
function decodeStd(lo: number, hi: number): number {
  if ((lo & V) === 0) return 0;
  const f = permFlags(lo);
  const mt = (hi >>> 29) & 3; // PBMT, entry bits 62:61 [Svpbmt]
  if (mt === PBMT_NC) return f | UNCACHED;
  if (mt === PBMT_IO) return f | DEVICE;
  return f;
}

/**
 * Sv32 entry: the permissions alone. A 32-bit entry has no bits 63:32 (no PBMT, no N) [Sv32 AMP]; the tables keep
 * the high word zero, and decoding ignores it.
 */
function decodeSv32(lo: number, _hi: number): number {
  return (lo & V) === 0 ? 0 : permFlags(lo);
}

/** T-Head entry: the permissions; SO reads as DEVICE, and C = 0 without SO as UNCACHED [C9xx]. */
function decodeXuantie(lo: number, hi: number): number {
  if ((lo & V) === 0) return 0;
  const f = permFlags(lo);
  if (hi & SO_HI) return f | DEVICE;
  if ((hi & C_HI) === 0) return f | UNCACHED;
  return f;
}

function keep(flags: number): number {
  return flags;
}

/** Entry bits 31:0 holding the PPN of physical address (paLo, paHi): PA bits 33:12 go to entry bits 31:10. */
function ppnLo(paLo: number, paHi: number): number {
  return ((paLo >>> 2) & PPN_LO) | ((paHi & 3) << 30);
}

/** Entry bits 63:32 holding the PPN: PA bits 55:34 go to entry bits 53:32; PA bits 63:56 are dropped. */
function ppnHi(paHi: number): number {
  return (paHi >>> 2) & PPN_HI;
}

/** The PPN field of an entry for physical address `paddr` (bigint form). */
function ppn(paddr: bigint): bigint {
  return (paddr >> BigInt(PPN_SHIFT)) & PPN;
}

type Codec = GenericPTE & { readonly words: PTEWords };

/** N, bit 63, as a high-word bit [Svnapot]. */
const N_HI = maskHi(PTEFlags.N);
/** ppn[0] bits 3:0, entry bits 13:10 [Svnapot]. */
const NAPOT_PPN_LO = 0xf << 10;
/** ppn[0][3:0] = 0b1000: a 64 KiB NAPOT range, entry bits 13:10 [Svnapot]. */
const NAPOT_64K_LO = 0b1000 << 10;

/**
 * Svnapot as a run hint (privileged spec, chapter "Svnapot Standard Extension for NAPOT Translation Contiguity",
 * table "Page table entry encodings when pte.N=1"): a leaf of the last level (the spec's level 0) with N = 1 and
 * ppn[0][3:0] = 0b1000 is one of the 16 identical entries of a naturally aligned 64 KiB page; the page's address
 * is the PPN with bits 3:0 of ppn[0] cleared (which the tables read as the run's address, bits 15:0 cleared).
 */
const NAPOT_RUN = Object.freeze({
  hintLo: 0,
  hintHi: N_HI >>> 0,
  markLo: (lo: number, _hi: number, _level: number): number => ((lo & ~NAPOT_PPN_LO) | NAPOT_64K_LO) >>> 0,
  markHi: (_lo: number, hi: number, _level: number): number => (hi | N_HI) >>> 0,
});

/**
 * Builds one codec: `hiAttr` gives the high-word attribute bits of a MappingFlags set, `decode` reads an entry's
 * MappingFlags, `fix` maps the flags before encoding (identity for the crate's encodings); `napot`, whether bit 63 is
 * Svnapot's N (the run hint of the tables whose metadata has Svnapot runs), which it is not in T-Head's forms (SO)
 * nor in 32-bit entries.
 */
function makeCodec(hiAttr: (flags: number) => number, decode: (lo: number, hi: number) => number, fix: (flags: number) => number, napot: boolean): Codec {
  // (no default parameter value: one makes the parameters non-simple, which gives the closures below one more
  // context level to load `attrLo` / `fix` through: leafLo and leafHi grew by 12 bytes of bytecode, and the Sv39
  // sequential map loop stopped inlining `map`: 28 heap bytes and 3x the time per map)
  // The attribute bits of every MappingFlags set (6 bits, 0..63), computed once: the word form reads them from
  // a table instead of calling this codec's `fix` and `hiAttr` (which differ between the codecs) per entry.
  const attrLo = new Int32Array(64);
  const attrHi = new Int32Array(64);
  for (let f = 0; f < 64; f++) {
    attrLo[f] = permLo(fix(f));
    attrHi[f] = hiAttr(fix(f));
  }
  const leafLo = (flags: number): number => (flags >>> 6 === 0 ? attrLo[flags]! : permLo(fix(flags)));
  const leafHi = (flags: number): number => (flags >>> 6 === 0 ? attrHi[flags]! : hiAttr(fix(flags)));
  const words: PTEWords = Object.freeze({
    // [Sv32 VATP] step 3: V = 0 means invalid, whatever the other bits hold
    isPresent: (lo: number, _hi: number, _level: number): boolean => (lo & V) !== 0,
    // [Sv32 VATP] step 4: R = 1 or X = 1 is a leaf; R = W = X = 0 points to the next level
    isHuge: (lo: number, _hi: number, _level: number): boolean => (lo & (R | X)) !== 0,
    // PPN << 12, low half: entry bits 31:10 shifted left by 2 (bits 31:30 go to the high half)
    paddrLo: (lo: number, _hi: number, _level: number): number => ((lo & PPN_LO) << 2) >>> 0,
    paddrHi: (lo: number, hi: number, _level: number): number => ((lo >>> 30) | ((hi & PPN_HI) << 2)) >>> 0,
    flags: (lo: number, hi: number, _level: number): number => decode(lo, hi),
    newPageLo: (paLo: number, paHi: number, flags: number, _huge: boolean, _level: number): number =>
      (ppnLo(paLo, paHi) | leafLo(flags)) >>> 0,
    newPageHi: (_paLo: number, paHi: number, flags: number, _huge: boolean, _level: number): number =>
      (ppnHi(paHi) | leafHi(flags)) >>> 0,
    // a pointer is V alone: D, A and U are reserved in non-leaf entries [Sv32 AMP]
    newTableLo: (paLo: number, paHi: number, _level: number): number => (ppnLo(paLo, paHi) | V) >>> 0,
    newTableHi: (_paLo: number, paHi: number, _level: number): number => ppnHi(paHi),
    // as the crate: everything but the PPN is replaced (G, RSW, PBMT and N are cleared)
    setFlagsLo: (lo: number, _hi: number, flags: number, _huge: boolean, _level: number): number =>
      ((lo & PPN_LO) | leafLo(flags)) >>> 0,
    setFlagsHi: (_lo: number, hi: number, flags: number, _huge: boolean, _level: number): number =>
      ((hi & PPN_HI) | leafHi(flags)) >>> 0,
    setPaddrLo: (lo: number, _hi: number, paLo: number, paHi: number, _level: number): number =>
      ((lo & ~PPN_LO) | ppnLo(paLo, paHi)) >>> 0,
    setPaddrHi: (_lo: number, hi: number, _paLo: number, paHi: number, _level: number): number =>
      ((hi & ~PPN_HI) | ppnHi(paHi)) >>> 0,
    // every leaf maps its level's size; a Svnapot page is a run, which the metadata of a Svnapot table declares
    leafShift: (_lo: number, _hi: number, _level: number): number => -1,
    ...(napot ? { run: NAPOT_RUN } : {}),
    // V, a leaf when R or X is set, and the PPN (entry bits 53:10 = address bits 55:12) at every level [Sv32 VATP]
    layout: Object.freeze({ present: V, block: R | X, addrLo: PPN_LO >>> 0, addrHi: PPN_HI >>> 0, addrShift: PPN_SHIFT }),
  });

  // the bigint form: the same attribute tables and decoding
  const attrs = (flags: number): bigint => join(leafLo(flags), leafHi(flags));
  return Object.freeze({
    newPage(paddr: PhysAddr, flags: MappingFlags, _isHuge: boolean): bigint {
      return attrs(flags) | ppn(paddr);
    },
    newTable(paddr: PhysAddr): bigint {
      return PTEFlags.V | ppn(paddr);
    },
    paddr(bits: bigint): PhysAddr {
      return (bits & PPN) << BigInt(PPN_SHIFT);
    },
    flags(bits: bigint): MappingFlags {
      return decode(lo32(bits), hi32(bits));
    },
    setPaddr(bits: bigint, paddr: PhysAddr): bigint {
      return (bits & ~PPN) | ppn(paddr);
    },
    setFlags(bits: bigint, flags: MappingFlags, _isHuge: boolean): bigint {
      return (bits & PPN) | attrs(flags);
    },
    isUnused(bits: bigint): boolean {
      return bits === 0n;
    },
    isPresent(bits: bigint): boolean {
      return (bits & PTEFlags.V) !== 0n;
    },
    isHuge(bits: bigint): boolean {
      return (bits & (PTEFlags.R | PTEFlags.X)) !== 0n;
    },
    ...(napot
      ? {
          runHint: PTEFlags.N,
          markRun(bits: bigint): bigint {
            return join(NAPOT_RUN.markLo(lo32(bits), hi32(bits), 0), NAPOT_RUN.markHi(lo32(bits), hi32(bits), 0));
          },
        }
      : {}),
    words,
  });
}

/**
 * The Sv39 / Sv48 entry codec, bit-identical to the crate's `Rv64PTE`: V | A | D on every leaf, R, W, X and U from
 * READ, WRITE, EXECUTE and USER; DEVICE and UNCACHED are not encoded (memory types come from the platform's PMAs);
 * a table entry is V alone. Like the crate it writes the flags it is given, so WRITE without READ gives the reserved
 * W-without-R encoding and a set with none of READ, WRITE, EXECUTE gives a leaf that reads as a pointer; the Sv39 and
 * Sv48 tables use {@link Rv64PTELegal}, which never does. Decoding also reads Svpbmt (NC as UNCACHED, IO as DEVICE).
 *
 * @example
 * Rv64PTE.newPage(0x8020_0000n, MappingFlags.READ | MappingFlags.WRITE, true) // 0x200800c7n
 */
export const Rv64PTE: GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
} = /* @__PURE__ */ makeCodec(noHi, decodeStd, keep, true);

/**
 * The crate's `Rv64PTE` with its `xuantie-c9xx` feature (T-Head C906 / C910 memory attributes in bits 63..60): as
 * {@link Rv64PTE}, plus SO | B for DEVICE and C | B | SH for any other non-empty set (UNCACHED included, as in the
 * crate). Decoding reads SO as DEVICE, and C = 0 without SO as UNCACHED.
 *
 * @example
 * Rv64PTEXuantie.newPage(0x1000_0000n, MappingFlags.READ | MappingFlags.DEVICE, false) // 0xa0000000040000c3n
 */
export const Rv64PTEXuantie: GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
} = /* @__PURE__ */ makeCodec(xuantieHi, decodeXuantie, keep, false);

/**
 * The codec of the Sv39 / Sv48 tables: {@link Rv64PTE} with the leaf permissions passed through
 * {@link legalLeafFlags} before encoding, so every leaf it writes is one the hardware translates (WRITE alone gives
 * R | W). Encodings of sets that contain READ, or EXECUTE without WRITE, are the crate's bit for bit.
 */
export const Rv64PTELegal: GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
} = /* @__PURE__ */ makeCodec(noHi, decodeStd, legalLeafFlags, true);

/** {@link Rv64PTEXuantie} with {@link legalLeafFlags} applied before encoding: the codec of the T-Head tables. */
export const Rv64PTEXuantieLegal: GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
} = /* @__PURE__ */ makeCodec(xuantieHi, decodeXuantie, legalLeafFlags, false);

/**
 * The codec of the G-stage tables (Sv39x4, Sv48x4, Sv57x4): the entries of {@link Rv64PTELegal}, with U set on
 * every leaf ({@link gStageLeafFlags}), because every G-stage access is checked as a U-mode access [H GPA]. Table
 * entries are V alone, as in the VS-stage formats; G is never written (reserved in G-stage PTEs [H GPA]).
 *
 * @example
 * Rv64PTEGStage.newPage(0x8020_0000n, MappingFlags.READ | MappingFlags.WRITE, false) // 0x200800d7n
 */
export const Rv64PTEGStage: GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
} = /* @__PURE__ */ makeCodec(noHi, decodeStd, gStageLeafFlags, true); // pure: a bundle without G-stage tables drops it

/**
 * The Sv32 entry codec (RV32, 4-byte entries): V R W X U G A D RSW in bits 9:0 as in the 64-bit formats, and a 22-bit
 * PPN in bits 31:10 (PPN[1] 31:20, PPN[0] 19:10), so physical addresses have 34 bits [Sv32 AMP, figure "Sv32 page
 * table entry"]. Leaves are written as {@link Rv64PTELegal} writes them (WRITE implies READ, A and D set); a table
 * entry is V alone. Entries are 32-bit values: the high word is always zero, and physical addresses at or above
 * 2^34 are refused by the Sv32 tables, never truncated.
 *
 * @example
 * Rv32PTE.newPage(0x2_8020_0000n, MappingFlags.READ | MappingFlags.WRITE, false) // 0xa00800c7n
 */
export const Rv32PTE: GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
} = /* @__PURE__ */ makeCodec(noHi, decodeSv32, legalLeafFlags, false); // pure: a bundle without Sv32 tables drops it

/**
 * The codec of the Sv32x4 G-stage tables (RV32 hypervisors): the entries of {@link Rv32PTE}, with U set on every leaf
 * ({@link gStageLeafFlags}), as every G-stage access is checked as a U-mode access [H GPA].
 *
 * @example
 * Rv32PTEGStage.newPage(0x8020_0000n, MappingFlags.READ, false) // 0x200800d3n
 */
export const Rv32PTEGStage: GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
} = /* @__PURE__ */ makeCodec(noHi, decodeSv32, gStageLeafFlags, false); // pure: a bundle without Sv32x4 tables drops it

/**
 * {@link Rv64PTELegal} with Svpbmt memory types written: DEVICE as PBMT = IO (2), UNCACHED as NC (1), in bits 62:61
 * of every leaf [Svpbmt]; decoding reads them back (IO as DEVICE, NC as UNCACHED). The hart must have Svpbmt with
 * menvcfg.PBMTE = 1 (henvcfg.PBMTE for a guest), or those leaves fault. Bits 62:61 are T-Head's C and B in the
 * XuanTie forms: a table uses one or the other.
 *
 * @example
 * Rv64PTESvpbmt.newPage(0x1000_0000n, MappingFlags.READ | MappingFlags.WRITE | MappingFlags.DEVICE, false) // 0x40000000040000c7n
 */
export const Rv64PTESvpbmt: GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
} = /* @__PURE__ */ makeCodec(pbmtHi, decodeStd, legalLeafFlags, true); // pure: a bundle without Svpbmt tables drops it

/** {@link Rv64PTEGStage} with the Svpbmt memory types of {@link Rv64PTESvpbmt}: the codec of G-stage tables with Svpbmt. */
export const Rv64PTEGStageSvpbmt: GenericPTE & {
  /** The word-level form of this codec (`PTEWords`), which the tables use on their hot paths. */
  readonly words: PTEWords;
} = /* @__PURE__ */ makeCodec(pbmtHi, decodeStd, gStageLeafFlags, true); // pure: as above
