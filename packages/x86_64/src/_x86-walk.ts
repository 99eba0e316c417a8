// The steps of a walk over x86's 8-byte paging-structure entries, written once for the MMU models of 4-level and
// 5-level paging (mmu.ts: X86Mmu's loop from CR3, optionally over EPT) and of PAE paging (legacy-mmu.ts:
// X86LegacyMmu's PD and PT from a PDPTE register): an entry's checks, the A flag of an entry that references a table,
// the leaf (its reserved bits, the access rights, A / D, what a TLB keeps, the output address), and the faults and
// syndrome of every x86 paging mode. 32-bit paging (4-byte entries) has its own two levels and takes the leaf.
// Source: Intel SDM Vol. 3A (325462), cited as [SDM n]:
// - 4.4.2 and 4.5.4: the walk; Tables 4-9 to 4-11 (PAE: PDE, PTE) and 4-14 to 4-20 (4- and 5-level paging), the
//   entry formats: P bit 0, R/W 1, U/S 2, A 5, D 6 (a leaf), PS 7 (PDPTE and PDE; reserved in a PML5E / PML4E),
//   G 8 (a leaf), address bits M-1:12, protection key bits 62:59 (a 4- or 5-level leaf, with CR4.PKE), XD bit 63.
//   Reserved: bits 51:M (4- and 5-level) or 62:M (PAE), XD when IA32_EFER.NXE = 0, PS in a PML5E / PML4E, and bits
//   29:13 of a 1 GiB / 20:13 of a 2 MiB leaf (bit 12 is PAT; Tables 4-9, 4-16, 4-18).
// - 4.6.1 "Determination of Access Rights": R/W and U/S are ANDed, XD ORed, over every entry of the walk (a PAE
//   PDPTE controls none), then WP, SMEP, SMAP with AC (_x86-rights.ts). 4.6.2 "Protection Keys" (4- and 5-level
//   paging only): a data access to a user page with key k is refused when PKRU.AD(k) is set, a write when
//   PKRU.WD(k) is.
// - 4.7 "Page-Fault Exceptions", Figure 4-12: the error code: P bit 0 (0: a non-present entry; 1: a protection or
//   reserved-bit violation), W/R bit 1, U/S bit 2 (CPL 3), RSVD bit 3, I/D bit 4 (an instruction fetch, when
//   CR4.SMEP = 1, or IA32_EFER.NXE = 1 in a mode whose entries have XD: PAE, 4- and 5-level paging), PK bit 5; CR2
//   holds the linear address.
// - 4.8 "Accessed and Dirty Flags": A is set in every paging-structure entry the walk uses, once it passed its P and
//   reserved-bit checks; A in the leaf, and D on a write, only by an access that is allowed.
// - 4.10.2.2 and 4.10.2.4: what a TLB keeps of the leaf (its rights, D, the key) and G with CR4.PGE.
// - Vol. 3C 29.3.1 and 29.3.3.2: with EPT (X86Mmu's second stage, two-stage.ts), every read of a guest entry, every
//   write that sets its A or D flag and the output address go through the second stage.
import { type AccessKind, MmuCode, type PagingHandler, type PrivilegeLevel } from '@page-table-multiarch/core';
import { A, D, G, P } from './_entry-bits';
import { x86LeafAttributes, x86Permissions } from './_x86-rights';
import type { X86FaultSyndrome } from './mmu';

/** Entry bits 51:32: the high word of the address field [SDM Tables 4-8 to 4-20]. */
export const ADDR_HI = 0x000f_ffff;
const TWO32 = 4294967296;
/** 2^n for n in 0..63: the page sizes, read from a table (`2 ** n` with a variable n calls Math.pow in V8). */
export const POW2: Float64Array = /* @__PURE__ */ Float64Array.from({ length: 64 }, (_, n) => 2 ** n);

/**
 * What a second stage adds to the steps (X86Mmu over EPT, two-stage.ts): the write that sets an A or D flag in an
 * entry of the guest is a data write through it [Vol. 3C 29.3.3.2]. 0, or the stage-2 fault recorded.
 */
export interface X86Stage2Flags {
  /** @internal the write that sets A / D in the entry just read */
  _flagWriteThroughStage2(privilege: PrivilegeLevel): number;
}

/**
 * The state of an x86 MMU model (X86Mmu, X86LegacyMmu) that the shared steps read and record into: the mode bits,
 * the fault fields, and the model's `fault` (MmuModel's, protected there) for the faults.
 */
export interface X86WalkModel {
  readonly handler: PagingHandler;
  wp: boolean;
  smep: boolean;
  smap: boolean;
  ac: boolean;
  nxe: boolean;
  pge: boolean;
  setAccessedDirty: boolean;
  vector: number;
  errorCode: number;
  cr2Lo: number;
  cr2Hi: number;
  updates: number;
  leafAttributes: number;
  leafGlobal: boolean;
  readonly faultCode: number;
  /** @internal the high-word bits of an entry reserved whatever NXE says: 51:M, or 62:M with PAE paging */
  readonly _rsvdHi: number;
  /** @internal whether the mode's entries have XD (PAE, 4- and 5-level paging): I/D is then reported with NXE */
  readonly _xd: boolean;
  /** @internal MmuModel's `fault` */
  _fault(code: number, level: number): number;
}

// The steps take and return small integers (word indexes, masks, levels; no entry word, no address), but for
// x86EntryOk, small enough that V8 always inlines it: what crosses a call V8 does not inline is then never a heap
// number (an allocation per translate), whichever of them a caller's code inlines. The walks inline them within
// V8's inlining budget (about 900 bytes of bytecode per optimized function): keep them small.

/**
 * The checks of an 8-byte entry whose words are `lo`, `hi` [SDM 4.4.2, 4.5.4]: present (P, bit 0), and none of the
 * high word's bits `rsvdHi` set (bits 51:M, or 62:M with PAE paging, and XD without NXE; Tables 4-9 to 4-11 and 4-14
 * to 4-20, 4.6.1). The fault of an entry it refuses is {@link x86EntryFault}'s. On the words the walk has read (and
 * goes on with): checks that read the memory again, before the walk's own reads, kept V8 from sharing those reads
 * (measured: 2 to 3.5 ns more per PAE translate, tables in the cache); small enough for V8 to inline it everywhere.
 */
export function x86EntryOk(lo: number, hi: number, rsvdHi: number): boolean {
  return (lo & P) !== 0 && (hi & rsvdHi) === 0;
}

/**
 * The fault of the entry at word index e that {@link x86EntryOk} refused, at `level`: NotPresent (#PF, P = 0) or
 * ReservedBit (#PF, P | RSVD).
 */
export function x86EntryFault(m: X86WalkModel, e: number, level: number, access: AccessKind, privilege: PrivilegeLevel): number {
  if ((m.handler.words[e]! & P) === 0) return x86PageFault(m, MmuCode.NotPresent, level, 0, access, privilege);
  return x86PageFault(m, MmuCode.ReservedBit, level, 9, access, privilege);
}

/**
 * [SDM 4.8] The entry at word index e references a table and passed its checks: it is used, A = 1. With a second
 * stage `st`, setting it is a data write to the entry's guest-physical address [Vol. 3C 29.3.3.2]. 0, or the
 * stage-2 fault.
 */
export function x86TableUsed(m: X86WalkModel, e: number, privilege: PrivilegeLevel, st: X86Stage2Flags | null): number {
  const w = m.handler.words;
  const lo = w[e]!;
  if ((lo & A) !== 0) return 0;
  m.updates++;
  if (st !== null && st._flagWriteThroughStage2(privilege) < 0) return m.faultCode;
  if (m.setAccessedDirty) w[e] = lo | A;
  return 0;
}

/**
 * [SDM 4.6, 4.8] The leaf at word index e, with `key` its protection key (0 where the mode has none), `rights` the
 * R/W and U/S of the walk ANDed, `xd` nonzero when XD was set in an entry of the walk with NXE: the access checked,
 * A / D set, what a TLB keeps recorded. `keyPerms` is what the key allows (x86KeyPermissions, or 7 where no key
 * applies), `st` the second stage the A / D write goes through (X86Mmu over EPT), or null. Also the leaf of 32-bit
 * paging (no key, no XD). The walks call it with constants for what their mode lacks (`keyPerms` 7, `st` null):
 * inlined, V8 folds those tests away. The permissions (MappingFlags, 0 to 15), or the fault (a negative code); the
 * caller then records the translation (MmuModel's `found`, or X86Mmu's second stage): a call of the model's own, so
 * that this code, shared by two classes, calls no method that differs between them.
 */
export function x86Leaf(
  m: X86WalkModel,
  e: number,
  key: number,
  keyPerms: number,
  level: number,
  rights: number,
  xd: number,
  access: AccessKind,
  privilege: PrivilegeLevel,
  st: X86Stage2Flags | null,
): number {
  // [SDM 4.6.1] WP, SMEP, SMAP with AC and XD; USER (8) on a user page; and [SDM 4.6.2] the key's AD (data
  // accesses) and WD (writes)
  const perms = x86Permissions(rights, xd, privilege, m.wp, m.smep, m.smap, m.ac) & (keyPerms | 8);
  // READ, WRITE, EXECUTE are the bits 1 << access of MappingFlags; a refusal of the key's is a #PF with PK
  if (((perms >>> access) & 1) === 0) {
    return x86PageFault(m, MmuCode.Permission, level, ((keyPerms >>> access) & 1) === 0 ? 33 : 1, access, privilege);
  }
  // [SDM 4.8] A on every access through the leaf, D on a write
  const need = access === 1 ? A | D : A;
  const w = m.handler.words;
  const lo = w[e]! | 0;
  let now = lo;
  if ((lo & need) !== need) {
    m.updates++;
    // with a second stage, the A / D update is a data write to the leaf's guest-physical address [Vol. 3C 29.3.3.2]
    if (st !== null && st._flagWriteThroughStage2(privilege) < 0) return m.faultCode;
    if (m.setAccessedDirty) {
      now = lo | need;
      w[e] = now;
    }
  }
  // what a TLB keeps of the leaf [SDM 4.10.2.2]: the rights of the walk, D as now in memory, the key
  m.leafAttributes = x86LeafAttributes(now & D, rights, xd, key);
  m.leafGlobal = m.pge && (lo & G) !== 0;
  m.vector = 0;
  m.errorCode = 0;
  return perms;
}

/**
 * Whether the leaf at word index e that maps 2^shift bytes has a reserved bit in its low word: bits 29:13 of a 1 GiB
 * page, 20:13 of a 2 MiB page (bit 12 is PAT) [SDM Tables 4-9, 4-16, 4-18]; none in a 4 KiB PTE.
 */
export function x86LeafReserved(m: X86WalkModel, e: number, shift: number): boolean {
  return shift > 12 && (m.handler.words[e]! & ((1 << shift) - 1) & ~0x1fff) !== 0;
}

/** A #PF with error-code bits `bits` (P, RSVD, PK) and those the access adds (W/R, U/S, I/D) [SDM 4.7]. */
export function x86PageFault(
  m: X86WalkModel,
  code: number,
  level: number,
  bits: number,
  access: AccessKind,
  privilege: PrivilegeLevel,
): number {
  let ec = bits;
  if (access === 1) ec |= 2;
  if (privilege === 0) ec |= 4;
  if (access === 2 && (m.smep || (m.nxe && m._xd))) ec |= 16;
  m.vector = 14;
  m.errorCode = ec;
  return m._fault(code, level);
}

/** A table read outside the handler's memory: no exception the architecture defines (vector -1). */
export function x86ExternalAbort(m: X86WalkModel, level: number): number {
  m.vector = -1;
  m.errorCode = 0;
  return m._fault(MmuCode.ExternalAbort, level);
}

/**
 * An address no table is read for: `vector` 13, #GP(0) for a non-canonical one [SDM 4.5.1]; -1 for one wider than
 * the mode's linear addresses (32-bit and PAE paging). Error code 0, CR2 unchanged.
 */
export function x86NonCanonical(m: X86WalkModel, vector: number): number {
  m.vector = vector;
  m.errorCode = 0;
  return m._fault(MmuCode.NonCanonical, -1);
}

/** The vector, error code and CR2 (the linear address, on a #PF) of the last fault. */
export function x86Syndrome(m: X86WalkModel): X86FaultSyndrome {
  const cr2 = m.vector === 14 ? BigInt(m.cr2Hi) * BigInt(TWO32) + BigInt(m.cr2Lo) : null;
  return { vector: m.vector, errorCode: m.errorCode, cr2 };
}
