// The access rights of a leaf, shared by every x86 paging mode's MMU model (mmu.ts: 4-level and 5-level paging;
// legacy-mmu.ts: 32-bit and PAE paging), so that WP, SMEP and SMAP with AC are decided in one place.
// Source: Intel SDM Vol. 3A (325462), 4.6.1 "Determination of Access Rights": R/W and U/S are ANDed, XD ORed, over
// the paging-structure entries that control the translation (the caller does that during its walk):
// - a user-mode access (CPL 3) to a supervisor-mode address (U/S = 0 somewhere) is never allowed;
// - data reads: a supervisor-mode read of a user-mode address is refused when CR4.SMAP = 1 and EFLAGS.AC = 0;
// - data writes: a user-mode write needs R/W = 1; a supervisor-mode write to a supervisor-mode address needs R/W = 1
//   only when CR0.WP = 1; to a user-mode address, SMAP with AC = 0 refuses it, else R/W = 1 is needed when WP = 1;
// - instruction fetches: refused from an address with XD = 1 (XD is only ever set when IA32_EFER.NXE = 1: the
//   caller passes 0 otherwise), and a supervisor-mode fetch from a user-mode address when CR4.SMEP = 1.
// Protection keys (4.6.2) belong to 4-level and 5-level paging only: mmu.ts applies them after this.
import type { PrivilegeLevel } from '@page-table-multiarch/core';
import { RW, US } from './_entry-bits';

/**
 * What a leaf allows under the mode bits: MappingFlags READ (1), WRITE (2) and EXECUTE (4) as [SDM 4.6.1] allows
 * them to `privilege` (0: CPL 3, 1: CPL 0-2), and USER (8) when the address is a user-mode one. `rights` holds the
 * R/W (bit 1) and U/S (bit 2) of every entry of the walk ANDed; `xd` is nonzero when an entry of the walk had
 * XD = 1 with IA32_EFER.NXE = 1. A user-mode access to a supervisor-mode address gets 0: every kind faults.
 * Small integers in and out, nothing allocated: it sits on the walk's hot path and on a TLB's check table.
 */
export function x86Permissions(
  rights: number,
  xd: number,
  privilege: PrivilegeLevel,
  wp: boolean,
  smep: boolean,
  smap: boolean,
  ac: boolean,
): number {
  const user = privilege === 0;
  const userPage = (rights & US) !== 0;
  if (user && !userPage) return 0;
  // supervisor data accesses to user pages: none with SMAP and AC = 0; writes to read-only pages with WP = 0
  const smapBlocks = !user && userPage && smap && !ac;
  let perms = smapBlocks ? 0 : (rights & RW) !== 0 || (!user && !wp) ? 3 : 1; // READ | WRITE, or READ
  if (xd === 0 && (user || !(smep && userPage))) perms |= 4;
  return userPage ? perms | 8 : perms;
}

/**
 * [SDM 4.6.2] What protection key `key` of a user-mode address allows under `pkru` (two bits per key: AD = bit 2k,
 * WD = bit 2k+1): EXECUTE only when AD = 1 (data accesses refused), READ | EXECUTE when WD = 1 and the write would
 * be checked (a user-mode write, or a supervisor-mode one with CR0.WP = 1), else everything. Instruction fetches are
 * never checked. Protection keys exist in 4-level and 5-level paging only.
 */
export function x86KeyPermissions(pkru: number, key: number, privilege: PrivilegeLevel, wp: boolean): number {
  const k = (pkru >>> (2 * key)) & 3;
  return (k & 1) !== 0 ? 4 : (k & 2) !== 0 && (privilege === 0 || wp) ? 5 : 7;
}

// ---------------------------------------------------------------------------------------------------------------
// What a software TLB (core's Tlb) keeps of an x86 leaf and how it re-checks it, for every paging mode. SDM Vol. 3A
// 4.10.2.2 "Caching Translations in TLBs": a TLB entry holds the physical address, the access rights (R/W and U/S
// ANDed, XD ORed over the walk), the dirty flag and the protection key; the rights are checked against the current
// CR0.WP, CR4.SMEP / SMAP, EFLAGS.AC and PKRU on every access (no invalidation follows a change of those); a store
// through an entry whose dirty flag is clear walks again to set D (4.8). 4.10.2.4 "Global Pages": with CR4.PGE = 1
// a leaf with G = 1 is global (used whatever the PCID; MOV to CR3 leaves it).

/** Bits of an x86 leaf's TLB attributes: D (bit 0), R/W (1), U/S (2), XD (3), protection key (7:4). */
export const X86_TLB_ATTRIBUTE_BITS = 8;
/** Bits of an x86 TLB mode key: WP (0), SMEP (1), SMAP (2), EFLAGS.AC (3), NXE (4), PKRU slot (7:5). */
export const X86_TLB_MODE_BITS = 8;

/**
 * The TLB attributes of a leaf a walk went through: `lo` its low word as written back (D is bit 6), `rights` and
 * `xd` as the walk combined them, `key` its protection key (0 where the mode has none).
 */
export function x86LeafAttributes(lo: number, rights: number, xd: number, key: number): number {
  return ((lo >>> 6) & 1) | (rights & (RW | US)) | (xd !== 0 ? 8 : 0) | (key << 4);
}

/** The mode key of the current mode bits; `pkruSlot` from {@link X86PkruSlots.slot} (0 while CR4.PKE = 0). */
export function x86TlbModeKey(wp: boolean, smep: boolean, smap: boolean, ac: boolean, nxe: boolean, pkruSlot: number): number {
  return (wp ? 1 : 0) | (smep ? 2 : 0) | (smap ? 4 : 0) | (ac ? 8 : 0) | (nxe ? 16 : 0) | (pkruSlot << 5);
}

/**
 * The check of a cached leaf (see core's `TlbWalker.tlbCheck`): its permissions << 3, or'ed with the access kinds
 * it serves without a walk (a store only when D = 1). `pkru` is the PKRU of the mode key's slot, or -1 when that
 * slot stands for values it cannot tell apart: user-mode addresses then serve nothing and every access to them
 * walks. A leaf with XD while NXE = 0 serves nothing: the walk reports its reserved bit.
 */
export function x86TlbCheck(attributes: number, privilege: PrivilegeLevel, modeKey: number, pkru: number): number {
  const xd = attributes & 8;
  if (xd !== 0 && (modeKey & 16) === 0) return 0;
  let perms = x86Permissions(attributes, xd, privilege, (modeKey & 1) !== 0, (modeKey & 2) !== 0, (modeKey & 4) !== 0, (modeKey & 8) !== 0);
  if (modeKey >>> 5 !== 0 && (attributes & US) !== 0) {
    if (pkru < 0) return perms << 3;
    perms &= x86KeyPermissions(pkru, attributes >>> 4, privilege, (modeKey & 1) !== 0) | 8;
  }
  return (perms << 3) | ((attributes & 1) !== 0 ? perms & 7 : perms & 5);
}

/**
 * PKRU values numbered for a TLB's mode key (3 bits): slot 0 is "CR4.PKE = 0", slots 1 to 6 the first six PKRU
 * values seen, for good (a slot never changes meaning, since a TLB keeps the checks it made per mode key), and
 * slot 7 every later value, for which user-mode addresses are not served from the TLB.
 */
export class X86PkruSlots {
  /** The PKRU of slots 1 to 6 (index = slot). */
  private readonly values = new Float64Array(7);
  private used = 1;
  private lastPkru = -1;
  private lastSlot = 0;

  /** The slot of `pkru` (a u32), numbering it if there is room. */
  slot(pkru: number): number {
    if (pkru === this.lastPkru) return this.lastSlot;
    let s = 1;
    while (s < this.used && this.values[s] !== pkru) s++;
    if (s === this.used) {
      if (s === 7) return 7;
      this.values[s] = pkru;
      this.used = s + 1;
    }
    this.lastPkru = pkru;
    this.lastSlot = s;
    return s;
  }

  /** The PKRU of a slot of 1 to 6; -1 for slot 7. */
  pkru(slot: number): number {
    return slot >= 1 && slot < this.used ? this.values[slot]! : -1;
  }
}
