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
