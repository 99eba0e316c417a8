// What a dump needs to know about ARMv7-A short descriptors beyond the codec.
// Source: ARM DDI 0406C:
// - B3.5.1 "Short-descriptor translation table format descriptors", Figure B3-4: an L1 Page table descriptor
//   holds PXN (bit 2), NS (bit 3) and the domain (8:5) for everything its L2 table maps.
// - B3.7.1 "Access permissions", Table B3-8: AP[2:0] = 0b100 is reserved.
// - B3.7.2 "Execute-never restrictions on instruction fetching": PXN in a Page table descriptor forbids PL1
//   execution from every page of the L2 table; XN is honoured only in a Client domain.
// - B3.7.3 "Domains" and B4.1.43 DACR: field Dn, bits [2n+1:2n], of the domain a Section or a Page table descriptor
//   names (bits 8:5; a Supersection is in domain 0): 0b00 No access (every access faults), 0b01 Client (the
//   permission bits are checked), 0b10 reserved (treated here as No access, as it is UNPREDICTABLE), 0b11 Manager
//   (the permission bits, XN included, are not checked).
// - B3.8.3 "Short-descriptor format memory region attributes, with TEX remap": n = TEX[0]:C:B names the PRRR / NMRR
//   entry (see a32RemapTypes in the entry package).
import { type EntryInspector, MappingFlags, tableLimit } from '@page-table-multiarch/core';
import type { A32Remap } from '@page-table-multiarch/entry/arm';

const ALL = 63;
const TYPE = 0b11;
const T_TABLE = 0b01;
const TABLE_PXN = 1 << 2;
const TABLE_NS = 1 << 3;
const S_SUPER = 0x4_0000; // 1 << 18

/** AP[2:0] of a leaf (Section / Supersection at L1, Small / Large page at L2). */
function apOf(lo: number, level: number): number {
  return level === 0 ? ((lo >>> 13) & 0b100) | ((lo >>> 10) & 0b11) : ((lo >>> 7) & 0b100) | ((lo >>> 4) & 0b11);
}

const AP_NAMES = ['AP=none', 'AP=RW', 'AP=RW/RO', 'AP=RW/RW', 'AP=rsv', 'AP=RO', 'AP=RO/RO', 'AP=RO/RO'];

// What a memory access may do in each DACR domain type, as a packed limit (what is kept, what is granted): literals
// and calls marked pure, so that a bundle without the inspector drops them.
/** MappingFlags READ | WRITE | EXECUTE | USER: bits 0 to 3. */
const ACCESS = 0b1111;
const NO_ACCESS = /* @__PURE__ */ noAccessLimit();
const CLIENT = /* @__PURE__ */ tableLimit(ALL, ALL);
const MANAGER = /* @__PURE__ */ tableLimit(ALL, ALL, ACCESS);
const DOMAIN_LIMITS = [NO_ACCESS, CLIENT, NO_ACCESS, MANAGER];

/** The limit of a No access domain: every access flag removed, for kernel and for user mappings. */
function noAccessLimit(): number {
  return tableLimit(ALL & ~ACCESS, ALL & ~ACCESS);
}

/** Options of {@link a32Inspector}: the registers that decide what the descriptors mean. */
export interface A32InspectorOptions {
  /** DACR (B4.1.43): the access each of the 16 domains gives (default: every domain a Client, 0x55555555). */
  readonly dacr?: number;
  /** PRRR and NMRR when SCTLR.TRE = 1: listings name the memory type each leaf selects (`MT=NC`, `MT=DEV`...). */
  readonly remap?: A32Remap;
}

/** The names of the memory types n = TEX[0]:C:B selects under a PRRR / NMRR pair, for listings. */
function remapNames(remap: A32Remap): string[] {
  const cache = ['NC', 'WBWA', 'WT', 'WB'];
  const names: string[] = [];
  for (let n = 0; n < 8; n++) {
    const tr = (remap.prrr >>> (2 * n)) & 0b11;
    const inner = cache[(remap.nmrr >>> (2 * n)) & 0b11]!;
    const outer = cache[(remap.nmrr >>> (2 * n + 16)) & 0b11]!;
    names.push(`MT=${tr === 0 ? 'SO' : tr === 1 ? 'DEV' : tr === 3 ? 'rsv' : inner === outer ? inner : `${inner}/${outer}`}`);
  }
  return names;
}

/**
 * The ARMv7 short-descriptor `EntryInspector`: PXN in an L1 Page table descriptor takes EXECUTE away from
 * the kernel (non-USER) mappings of its L2 table; the DACR field of the domain that a Page table descriptor or a
 * Section names takes every access away (No access) or grants every access whatever the permission bits say
 * (Manager); AP[2:0] = 0b100 in a leaf is a 'Reserved' diagnostic; level names L1 and L2; descriptor fields for
 * listings, with the memory type under TEX remap when `remap` is given. Runs break on every non-address bit (the
 * default).
 * @throws RangeError for a DACR that is not a u32.
 */
export function a32Inspector(options: A32InspectorOptions = {}): EntryInspector {
  const dacr = options.dacr ?? 0x5555_5555;
  if (!Number.isInteger(dacr) || dacr < 0 || dacr > 0xffff_ffff) throw new RangeError(`a32Inspector: DACR ${String(dacr)} is not a u32`);
  const domains = new Int32Array(16);
  for (let d = 0; d < 16; d++) domains[d] = DOMAIN_LIMITS[(dacr >>> (2 * d)) & 0b11]!;
  const mt = options.remap === undefined ? undefined : remapNames(options.remap);
  return Object.freeze({
    levelNames: Object.freeze(['L1', 'L2']),
    tableLimit(lo: number, _hi: number, _level: number): number {
      const domain = domains[(lo >>> 5) & 0xf]!;
      return (lo & TABLE_PXN) !== 0 ? domain & tableLimit(ALL & ~MappingFlags.EXECUTE, ALL, ALL) : domain;
    },
    leafLimit(lo: number, _hi: number, level: number): number {
      // a Section's domain is bits 8:5; a Supersection is in domain 0 (its bits 8:5 are PA[39:36]); pages have the
      // domain of their Page table descriptor, applied by tableLimit
      if (level !== 0) return CLIENT;
      return domains[(lo & S_SUPER) !== 0 ? 0 : (lo >>> 5) & 0xf]!;
    },
    problem(lo: number, _hi: number, level: number, leaf: boolean): string | undefined {
      if (leaf && apOf(lo, level) === 0b100) return 'AP[2:0] = 0b100 is reserved';
      return undefined;
    },
    describe(lo: number, _hi: number, level: number, leaf: boolean): string {
      const out: string[] = [];
      if (!leaf) {
        if (lo & TABLE_PXN) out.push('PXN');
        if (lo & TABLE_NS) out.push('NS');
        out.push(`dom${(lo >>> 5) & 0xf}`);
        return out.join(' ');
      }
      if (level === 0) {
        const sup = (lo & S_SUPER) !== 0;
        out.push(sup ? 'SUPERSECTION' : 'SECTION');
        out.push(AP_NAMES[apOf(lo, 0)]!, `TEX${(lo >>> 12) & 7}`);
        if (lo & 8) out.push('C');
        if (lo & 4) out.push('B');
        if (lo & (1 << 16)) out.push('S');
        if (lo & (1 << 17)) out.push('nG');
        if (lo & (1 << 19)) out.push('NS');
        if (lo & (1 << 4)) out.push('XN');
        if (lo & 1) out.push('PXN');
        if (!sup) out.push(`dom${(lo >>> 5) & 0xf}`);
        // n = TEX[0]:C:B, TEX[0] being bit 12
        if (mt !== undefined) out.push(mt[((lo >>> 10) & 0b100) | ((lo >>> 2) & 0b11)]!);
        return out.join(' ');
      }
      const large = (lo & TYPE) === T_TABLE;
      out.push(large ? 'LARGE' : 'SMALL');
      out.push(AP_NAMES[apOf(lo, 1)]!, `TEX${large ? (lo >>> 12) & 7 : (lo >>> 6) & 7}`);
      if (lo & 8) out.push('C');
      if (lo & 4) out.push('B');
      if (lo & (1 << 10)) out.push('S');
      if (lo & (1 << 11)) out.push('nG');
      if (large ? lo & (1 << 15) : lo & 1) out.push('XN');
      // n = TEX[0]:C:B, TEX[0] being bit 12 of a Large page and bit 6 of a Small page
      if (mt !== undefined) out.push(mt[((large ? lo >>> 10 : lo >>> 4) & 0b100) | ((lo >>> 2) & 0b11)]!);
      return out.join(' ');
    },
  });
}

// What a dump needs to know about ARMv7 long descriptors (TTBCR.EAE = 1) beyond the codec.
// Source: ARM DDI 0406C.d:
// - B3.6.1 "Long-descriptor translation table format descriptors": in a Table descriptor PXNTable (59), XNTable (60),
//   APTable (62:61), NSTable (63); in Blocks and Pages the lower attributes AttrIndx (4:2), NS (5), AP[2:1] (7:6),
//   SH (9:8), AF (10), nG (11) and the upper attributes Contiguous (52), PXN (53), XN (54), software use (58:55);
//   bits 51:40 of every descriptor are UNK/SBZP.
// - B3.7.1 "Access permissions", hierarchical control: APTable[1] = 1 forbids writes at every later level,
//   APTable[0] = 1 forbids PL0 access. B3.7.2: XNTable forbids execution, PXNTable execution at PL1, below the table.

// high-word masks (entry bit n is bit n - 32 of the high word)
const L_PXN_TABLE_HI = 0x800_0000; // bit 59
const L_XN_TABLE_HI = 0x1000_0000; // bit 60
const L_AP_NO_PL0_TABLE_HI = 0x2000_0000; // bit 61
const L_AP_NO_WRITE_TABLE_HI = 0x4000_0000; // bit 62
const L_NS_TABLE_HI = -0x8000_0000; // 1 << 31, bit 63
const L_CONT_HI = 0x10_0000; // bit 52
const L_PXN_HI = 0x20_0000; // bit 53
const L_XN_HI = 0x40_0000; // bit 54
const L_SBZP_HI = 0xfff << 8; // bits 51:40
const WRITE = 2;
const EXECUTE = 4;
const USER = 8;

const LPAE_AP_NAMES = ['AP=RW', 'AP=RW+PL0', 'AP=RO', 'AP=RO+PL0'];
const SH_NAMES = ['NSH', 'SH?', 'OSH', 'ISH'];

/**
 * The ARMv7 long-descriptor `EntryInspector` for tables whose root is at lookup level `firstLevel` (1 or 2): the
 * Table descriptors' hierarchical limits (APTable[1] removes WRITE, APTable[0] removes USER, XNTable removes EXECUTE
 * from every mapping below and PXNTable from the kernel's), level names by lookup level (L1..L3), bits 51:40 set as a
 * 'Reserved' diagnostic, and descriptor fields for listings. Runs break on the type bits, the lower attributes,
 * Contiguous, PXN and XN (not on the software bits).
 */
export function a32LpaeInspector(firstLevel: 1 | 2 = 1): EntryInspector {
  return Object.freeze({
    levelNames: Object.freeze(firstLevel === 1 ? ['L1', 'L2', 'L3'] : ['L2', 'L3']),
    tableLimit(_lo: number, hi: number, _level: number): number {
      let kernel = ALL;
      let user = ALL;
      if (hi & L_AP_NO_WRITE_TABLE_HI) {
        kernel &= ~WRITE;
        user &= ~WRITE;
      }
      if (hi & L_AP_NO_PL0_TABLE_HI) user &= ~USER;
      if (hi & L_XN_TABLE_HI) {
        kernel &= ~EXECUTE;
        user &= ~EXECUTE;
      }
      if (hi & L_PXN_TABLE_HI) kernel &= ~EXECUTE;
      return tableLimit(kernel, user);
    },
    problem(_lo: number, hi: number, _level: number, _leaf: boolean): string | undefined {
      return (hi & L_SBZP_HI) !== 0 ? 'bits 51:40 are UNK/SBZP' : undefined;
    },
    attrLo(lo: number, _hi: number, _level: number): number {
      return lo & 0xfff;
    },
    attrHi(_lo: number, hi: number, _level: number): number {
      return hi & (L_CONT_HI | L_PXN_HI | L_XN_HI);
    },
    describe(lo: number, hi: number, level: number, leaf: boolean): string {
      const out: string[] = [];
      if (!leaf) {
        if (hi & L_NS_TABLE_HI) out.push('NSTable');
        if (hi & L_AP_NO_WRITE_TABLE_HI) out.push('APTable.RO');
        if (hi & L_AP_NO_PL0_TABLE_HI) out.push('APTable.noPL0');
        if (hi & L_XN_TABLE_HI) out.push('XNTable');
        if (hi & L_PXN_TABLE_HI) out.push('PXNTable');
        return out.join(' ');
      }
      out.push(level + firstLevel === 3 ? 'PAGE' : 'BLOCK');
      out.push(`Attr${(lo >>> 2) & 7}`);
      if (lo & (1 << 5)) out.push('NS');
      out.push(LPAE_AP_NAMES[(lo >>> 6) & 3]!, SH_NAMES[(lo >>> 8) & 3]!);
      if (lo & (1 << 10)) out.push('AF');
      if (lo & (1 << 11)) out.push('nG');
      if (hi & L_CONT_HI) out.push('CONT');
      if (hi & L_PXN_HI) out.push('PXN');
      if (hi & L_XN_HI) out.push('XN');
      return out.join(' ');
    },
  });
}
