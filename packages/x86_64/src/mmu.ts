// The x86 MMU model of 4-level and 5-level paging: an access translated as the processor does, with CR0.WP,
// CR4.SMEP, CR4.SMAP with EFLAGS.AC, IA32_EFER.NXE and CR4.PKE with PKRU, the #PF error code and CR2 of a fault,
// and the accessed / dirty flags set in the entries.
// Source: Intel SDM Vol. 3A (325462), cited as [SDM n]:
// - 4.5.1 and 4.5.4: the walk of 4-level (PML4, PDPT, PD, PT) and 5-level (PML5 first) paging; Tables 4-14 to 4-20,
//   the entry formats: P bit 0, R/W 1, U/S 2, A 5, D 6 (a leaf), PS 7 (PDPTE and PDE; reserved in a PML5E / PML4E),
//   address bits M-1:12, bits 51:M reserved, protection key bits 62:59 (a leaf, with CR4.PKE), XD bit 63.
// - 4.5.1: a linear address is canonical when bits 63:47 (63:56 with 5-level paging) are all equal; a data access
//   or fetch with one that is not raises #GP(0) (Vol. 1 3.3.7.1 "Canonical Addressing"), not a page fault, and
//   leaves CR2 as it was.
// - 4.6.1 "Determination of Access Rights": R/W and U/S are ANDed, XD ORed, over every entry of the walk; a user
//   access (CPL 3) needs U/S = 1 everywhere, a write R/W = 1 everywhere; a supervisor write to a read-only page is
//   allowed when CR0.WP = 0; a supervisor data access to a user page faults with CR4.SMAP = 1 and EFLAGS.AC = 0;
//   a supervisor fetch from a user page faults with CR4.SMEP = 1; a fetch from an XD page faults with NXE = 1.
// - 4.6.2 "Protection Keys": with CR4.PKE = 1, a data access to a user page (U/S = 1 in the effective rights) with
//   key k is refused when PKRU.AD(k) = bit 2k is set, and a write when PKRU.WD(k) = bit 2k+1 is set (a user write,
//   or a supervisor write with CR0.WP = 1). Instruction fetches are not checked.
// - 4.7 "Page-Fault Exceptions", Figure 4-12: the error code: P bit 0 (0: a non-present entry; 1: a protection or
//   reserved-bit violation: "bit 3 of the error code can be set only if bit 0 is also set"), W/R bit 1 (a write),
//   U/S bit 2 (a user-mode access), RSVD bit 3, I/D bit 4 (an instruction fetch, when CR4.SMEP = 1 or
//   IA32_EFER.NXE = 1), PK bit 5; CR2 holds the linear address. Reserved bits: bits 51:M, XD when NXE = 0, PS in a
//   PML5E / PML4E, and bits 29:13 of a 1 GiB / 20:13 of a 2 MiB leaf (Tables 4-15 to 4-19).
// - 4.8 "Accessed and Dirty Flags": the processor sets A in every paging-structure entry it uses, and D in the
//   leaf on a write; a paging-structure entry is used once it passed its P and reserved-bit checks, the leaf
//   only by an access that is allowed.
// - 2.5, Figure 2-7 (CR0.WP bit 16; CR4.SMEP 20, SMAP 21, PKE 22, LA57 12), 2.2.1 (IA32_EFER.NXE bit 11), Vol. 1
//   3.4.3 (EFLAGS.AC bit 18).
// - Vol. 3C 29.3.1 "EPT Overview": with EPT, CR3 and the guest's paging-structure entries hold guest-physical
//   addresses; every read of a guest paging-structure entry, every write that sets its accessed or dirty flag
//   (29.3.3.2: a data write) and the access to the translation itself go through EPT (`secondStage`, two-stage.ts).
import {
  type AccessKind,
  type AddrInput,
  MmuCode,
  MmuModel,
  type PagingHandler,
  type PrivilegeLevel,
  RegisterError,
  combineTlbChecks,
  registerValue,
  type TlbWalker,
} from '@page-table-multiarch/core';
import { PS, RW, US, XD_HI } from './_entry-bits';
import {
  X86_TLB_ATTRIBUTE_BITS,
  X86_TLB_MODE_BITS,
  X86PkruSlots,
  x86KeyPermissions,
  x86TlbCheck,
  x86TlbModeKey,
} from './_x86-rights';
import {
  ADDR_HI,
  POW2,
  x86EntryFault,
  x86EntryOk,
  x86ExternalAbort,
  x86Leaf,
  x86LeafReserved,
  x86NonCanonical,
  x86PageFault,
  x86Syndrome,
  x86TableUsed,
} from './_x86-walk';
import { X86EptMmu } from './ept-mmu';
import { decodeX64Registers } from './registers';
import { guestExitQualification, type X86SecondStage, type X86VmExit } from './two-stage';
import { CR0_WP, CR4_LA57, CR4_PGE, CR4_PKE, CR4_SMAP, CR4_SMEP, EFER_NXE } from './_x86-control';

/** The bits of the #PF error code [SDM 4.7, Figure 4-12]. */
export const X86PageFaultError: {
  /** Bit 0: 0 for a non-present entry, 1 for a protection or reserved-bit violation. */
  readonly P: 1;
  /** Bit 1 (W/R): the access was a write. */
  readonly W: 2;
  /** Bit 2 (U/S): the access was a user-mode access (CPL 3). */
  readonly U: 4;
  /** Bit 3: a reserved bit was set in an entry of the walk. */
  readonly RSVD: 8;
  /** Bit 4 (I/D): an instruction fetch, reported when CR4.SMEP = 1 or IA32_EFER.NXE = 1. */
  readonly ID: 16;
  /** Bit 5: PKRU refused the data access (protection keys). */
  readonly PK: 32;
} = /* @__PURE__ */ Object.freeze({ P: 1, W: 2, U: 4, RSVD: 8, ID: 16, PK: 32 } as const);

/** The exception vectors a translation raises [SDM Vol. 3A 6.3.1, Table 6-1]. */
export const X86Vector: {
  /** 13: general protection, for a non-canonical linear address (error code 0). */
  readonly GP: 13;
  /** 14: page fault, with an error code ({@link X86PageFaultError}) and CR2. */
  readonly PF: 14;
} = /* @__PURE__ */ Object.freeze({ GP: 13, PF: 14 } as const);

/** What an x86 processor reports for a failed translation. */
export interface X86FaultSyndrome {
  /**
   * The exception: {@link X86Vector} PF (14) or GP (13); -1 for a table read outside the handler's memory, for
   * which the architecture defines no exception (the model's `ExternalAbort`).
   */
  readonly vector: number;
  /** The error code pushed: the #PF bits of {@link X86PageFaultError}, 0 for #GP. */
  readonly errorCode: number;
  /** The value written to CR2: the faulting linear address on a #PF; null when CR2 is left as it was. */
  readonly cr2: bigint | null;
  /** Present when the second stage refused the access (vector -1, no exception): the VM exit it causes. */
  readonly vmExit?: X86VmExit;
}

/** The control registers and the other state of a processor that an {@link X86Mmu} translates with. */
export interface X86MmuOptions {
  /** CR3: the root table (bits 51:12); the PCID or PWT / PCD in bits 11:0 do not change a translation. */
  readonly cr3: AddrInput;
  /** CR4: PAE = 1 (bit 5), LA57 (bit 12) for 5-level paging, SMEP (20), SMAP (21), PKE (22). */
  readonly cr4: AddrInput;
  /** IA32_EFER: LME (bit 8) must be 1; NXE (bit 11). Default LME | NXE. */
  readonly efer?: AddrInput;
  /** CR0: PG (bit 31) must be 1; WP (bit 16). Default PG | WP | PE. */
  readonly cr0?: AddrInput;
  /** EFLAGS.AC (bit 18): with CR4.SMAP, supervisor data accesses to user pages are allowed while it is 1. */
  readonly ac?: boolean;
  /** PKRU: two bits per protection key (AD = bit 2k, WD = bit 2k+1), read when CR4.PKE = 1. Default 0. */
  readonly pkru?: number;
  /** MAXPHYADDR (CPUID 80000008H EAX[7:0]), 32..52: entry address bits 51:M are reserved. Default 52. */
  readonly maxPhysAddr?: number;
  /**
   * Whether the walk sets A, and D on a write, in the entries it uses, as the processor does [SDM 4.8]
   * (default true). False: memory is only read; `updates` still counts the entries that would have changed.
   */
  readonly setAccessedDirty?: boolean;
  /**
   * A second stage (an `X86EptMmu`, or any `SecondStage`): CR3 and the guest's entries then hold guest-physical
   * addresses, and each entry address and the output address is translated by it, with the handler holding host
   * physical memory. Default none.
   */
  readonly secondStage?: X86SecondStage;
}


/**
 * EPT's bits in a combined mapping's TLB attributes: R, W, and X for the mode of the guest linear address, which the
 * guest leaf's U/S fixes (so one X bit; a core Tlb's check table doubles with every attribute bit).
 */
const EPT_TLB_BITS = 3;

const TWO32 = 4294967296;
/** Entry bits 62:59 (the high word's 30:27): the protection key of a leaf [SDM 4.6.2]. */
const PK_SHIFT_HI = 27;

/**
 * An x86 processor's address translation with 4-level or 5-level paging, over tables in any `PagingHandler` memory:
 * `translate(va, access, privilege)` gives the physical address, or the exception the access raises (#PF with its
 * error code and CR2, or #GP for a non-canonical address); `translateNumber` / `translateWords` are the
 * allocation-free forms for an emulator. `Privilege.USER` is CPL 3, `Privilege.SUPERVISOR` CPL 0-2 (explicit
 * accesses; implicit supervisor accesses, to descriptor tables, are not modelled). The mode bits are fields:
 * change `wp`, `smep`, `smap`, `ac`, `nxe`, `pke`, `pkru` between accesses as the processor's registers change,
 * and call {@link setRegisters} for a new CR3 or paging mode. 32-bit and PAE paging are not modelled.
 *
 * Fault kinds: P = 0 is `NotPresent` (#PF, P = 0); a reserved bit is `ReservedBit` (#PF, P | RSVD); a refused access
 * is `Permission` (#PF, P, with PK when PKRU refused it); a non-canonical address is `NonCanonical` (#GP(0), CR2
 * unchanged); a table read outside the memory is `ExternalAbort` (no exception: vector -1). With a `secondStage`
 * (guest paging over EPT: `X86EptMmu`), a fault of the second stage keeps its own kind and level, with `faultStage`
 * 2, vector -1 and the VM exit in `vmExit` (`exitReason`, `exitQualification`, `gpaLo` / `gpaHi` on the number path).
 *
 * @example
 * const mmu = new X86Mmu(memory, { ...encodeX64Registers(table), ac: false });
 * const pa = mmu.translateNumber(0x40_1000, Access.WRITE, Privilege.USER);
 * if (pa < 0) console.log(mmu.vector, mmu.errorCode); // 14, 7: a user write to a present read-only page
 */
export class X86Mmu extends MmuModel<X86FaultSyndrome> implements TlbWalker {
  /** The memory the tables are read from (and A / D written to). */
  readonly handler: PagingHandler;
  /** CR0.WP: supervisor writes honour R/W. */
  wp: boolean;
  /** CR4.SMEP: supervisor fetches from user pages fault. */
  smep: boolean;
  /** CR4.SMAP: supervisor data accesses to user pages fault while EFLAGS.AC = 0. */
  smap: boolean;
  /** EFLAGS.AC. */
  ac: boolean;
  /** IA32_EFER.NXE: bit 63 is XD (without it, a reserved bit). */
  nxe: boolean;
  /** CR4.PKE: protection keys on user pages. */
  pke: boolean;
  /** PKRU (a u32). */
  pkru: number;
  /** Whether the walk writes A / D (false: report only). */
  setAccessedDirty: boolean;
  /** Paging levels: 4, or 5 with CR4.LA57. */
  levels: number;
  /** MAXPHYADDR. */
  readonly maxPhysAddr: number;
  /** The vector of the last fault ({@link X86Vector}, -1 for ExternalAbort); 0 after a successful translation. */
  vector: number;
  /** The error code of the last fault (0 after a successful translation or a #GP). */
  errorCode: number;
  /** Low 32 bits of the linear address of the last access (CR2 after a #PF). */
  cr2Lo: number;
  /** High 32 bits of the linear address of the last access. */
  cr2Hi: number;
  /** Entries whose A or D the last access set (or, with `setAccessedDirty` false, would have set). */
  updates: number;
  /** CR4.PGE: leaves with G = 1 are global, for a `Tlb` [SDM 4.10.2.4]. */
  pge: boolean;
  /**
   * After a successful walk: the leaf's TLB attributes (D, R/W, U/S, XD, protection key) [SDM 4.10.2.2]. Over an
   * {@link X86EptMmu}, a combined mapping [SDM Vol. 3C 29.4.2: the rights of both the guest paging structures and
   * EPT]: D (bit 0) is set only when neither stage needs a store to walk (guest D, EPT D under EPTP bit 6), and
   * EPT's R, W and X (for the linear address's mode, from the guest U/S) are bits 10:8.
   */
  leafAttributes: number;
  /** After a successful walk: G = 1 in the leaf with CR4.PGE = 1. */
  leafGlobal: boolean;
  /** {@link leafAttributes} holds D, R/W, U/S, XD and the key (and EPT's four bits above them). */
  readonly tlbAttributeBits: number;
  /** The second stage when it is an X86EptMmu, whose translations a `Tlb` caches as combined mappings; else null. */
  private readonly eptTlb: X86EptMmu | null;
  /** The mode key is WP, SMEP, SMAP, AC, NXE and a slot of the PKRU value (0 while CR4.PKE = 0). */
  readonly tlbModeBits: number = X86_TLB_MODE_BITS;
  /** @internal the PKRU values a Tlb's mode keys stand for */
  readonly _pkruSlots: X86PkruSlots;
  /** The second stage every guest-physical address goes through, or null. */
  readonly secondStage: X86SecondStage | null;
  /** Of the last stage-2 fault (read it when `faultStage` is 2): the exit reason (`X86VmExit.reason`). */
  exitReason: number;
  /** Of the last stage-2 fault: the exit qualification (`X86EptQualification`), guest-walk bits 7-11 included. */
  exitQualification: number;
  /** Of the last stage-2 fault: low 32 bits of the guest-physical address it refused. */
  gpaLo: number;
  /** Of the last stage-2 fault: high 32 bits of that guest-physical address. */
  gpaHi: number;
  /** @internal the guest-physical address of the entry being read, with a second stage */
  _entryLo: number;
  /** @internal */
  _entryHi: number;
  /** @internal the root table's physical address (CR3 bits 51:12), low and high words */
  _rootLo: number;
  /** @internal */
  _rootHi: number;
  /** @internal entry bits 51:M, reserved [SDM Tables 4-14 to 4-20], as high-word bits (for the shared walk) */
  readonly _rsvdHi: number;
  /** @internal every entry has XD (bit 63): a fetch's #PF reports I/D with NXE [SDM 4.7] */
  readonly _xd: boolean;

  /**
   * @throws RegisterError for registers that do not select 4-level or 5-level paging (CR0.PG = 0, CR4.PAE = 0,
   *   IA32_EFER.LME = 0: 'Unsupported') or hold a reserved CR3 bit, bits 51:M included ('Invalid'); RangeError for
   *   a MAXPHYADDR outside 32..52 or a PKRU that is not a u32; TypeError / PagingError 'InvalidAddress' for a
   *   register value that is not a u64; TypeError for a `secondStage` without a `translateWords` method.
   */
  constructor(handler: PagingHandler, options: X86MmuOptions) {
    super();
    const m = options.maxPhysAddr ?? 52;
    if (!Number.isInteger(m) || m < 32 || m > 52) throw new RangeError(`X86Mmu: MAXPHYADDR ${String(m)} is outside 32..52`);
    const pkru = options.pkru ?? 0;
    if (pkru >>> 0 !== pkru) throw new RangeError(`X86Mmu: PKRU ${String(pkru)} is not a u32`);
    const s2 = options.secondStage ?? null;
    if (s2 !== null && typeof (s2 as Partial<X86SecondStage>).translateWords !== 'function') {
      throw new TypeError('X86Mmu: "secondStage" has no translateWords method (an X86EptMmu or another SecondStage)');
    }
    // the fields the shared walk steps (_x86-walk.ts) use first, in X86LegacyMmu's order: at the same offsets in
    // both models, V8 reads each with one load behind a check of both maps where a process uses both
    this.handler = handler;
    this.maxPhysAddr = m;
    this.wp = true;
    this.smep = false;
    this.smap = false;
    this.ac = options.ac ?? false;
    this.nxe = true;
    this.pge = false;
    this.setAccessedDirty = options.setAccessedDirty ?? true;
    this.vector = 0;
    this.errorCode = 0;
    this.cr2Lo = 0;
    this.cr2Hi = 0;
    this.updates = 0;
    this.leafAttributes = 0;
    this.leafGlobal = false;
    this._rsvdHi = ADDR_HI & ~((1 << (m - 32)) - 1);
    this.pke = false;
    this.pkru = pkru;
    this.levels = 4;
    this._pkruSlots = new X86PkruSlots();
    this._rootLo = 0;
    this._rootHi = 0;
    this._xd = true;
    this.secondStage = s2;
    this.eptTlb = s2 instanceof X86EptMmu ? s2 : null;
    this.tlbAttributeBits = X86_TLB_ATTRIBUTE_BITS + (this.eptTlb === null ? 0 : EPT_TLB_BITS);
    this.exitReason = 0;
    this.exitQualification = 0;
    this.gpaLo = 0;
    this.gpaHi = 0;
    this._entryLo = 0;
    this._entryHi = 0;
    this.setRegisters(options);
  }

  /**
   * Loads new control-register values (a MOV to CR0, CR3 or CR4, or a WRMSR to IA32_EFER): the root, the number of
   * levels, and `wp`, `smep`, `smap`, `nxe`, `pke` from their bits. `ac` and `pkru` are not registers here and
   * keep their values. Nothing changes when it throws.
   * @throws RegisterError, TypeError / PagingError 'InvalidAddress': as the constructor.
   */
  setRegisters(regs: Pick<X86MmuOptions, 'cr0' | 'cr3' | 'cr4' | 'efer'>): void {
    const cr0 = registerValue(regs.cr0 ?? 0x8001_0001n, 'cr0');
    const cr4 = registerValue(regs.cr4, 'cr4');
    const efer = registerValue(regs.efer ?? 0xd00n, 'efer');
    const plan = decodeX64Registers({ cr0, cr3: regs.cr3, cr4, efer });
    if (plan instanceof RegisterError) throw plan;
    if (plan.arch !== 'x86_64') {
      throw new RegisterError('Unsupported', 'CR4.PAE', `X86Mmu: ${plan.format.name} is not modelled (4-level and 5-level paging are)`);
    }
    const root = BigInt(plan.roots[0]!.root);
    if (root >> BigInt(this.maxPhysAddr) !== 0n) {
      throw new RegisterError('Invalid', 'CR3', `X86Mmu: CR3 bits 51:${this.maxPhysAddr} are reserved with MAXPHYADDR ${this.maxPhysAddr}`);
    }
    this.levels = (cr4 & CR4_LA57) !== 0n ? 5 : 4;
    this.wp = (cr0 & CR0_WP) !== 0n;
    this.smep = (cr4 & CR4_SMEP) !== 0n;
    this.smap = (cr4 & CR4_SMAP) !== 0n;
    this.pke = (cr4 & CR4_PKE) !== 0n;
    this.nxe = (efer & EFER_NXE) !== 0n;
    this.pge = (cr4 & CR4_PGE) !== 0n;
    this._rootLo = Number(root & 0xffff_ffffn);
    this._rootHi = Number(root >> 32n);
  }

  /**
   * The walk of [SDM 4.5] on the words of the handler's memory, its steps shared with PAE paging (_x86-walk.ts): no
   * BigInt, no allocation, no throw. See `MmuModel.translateWords`.
   */
  translateWords(vaLo: number, vaHi: number, access: AccessKind, privilege: PrivilegeLevel): number {
    this.cr2Lo = vaLo >>> 0;
    this.cr2Hi = vaHi >>> 0;
    this.updates = 0;
    const levels = this.levels;
    // [SDM 4.5.1] bits 63:47 (63:56) must all equal bit 47 (56): else #GP(0), before any table is read
    const ext = (vaHi | 0) >> (levels === 5 ? 24 : 15);
    if (ext !== 0 && ext !== -1) return x86NonCanonical(this, 13);
    // bits 51:M of an entry are reserved, and so is XD without NXE [SDM Tables 4-14 to 4-20, 4.6.1]
    const rsvdHi = this._rsvdHi | (this.nxe ? 0 : XD_HI);
    const h = this.handler;
    const w = h.words;
    const s2 = this.secondStage;
    const st = s2 === null ? null : this;
    let tLo = this._rootLo;
    let tHi = this._rootHi;
    let shift = 12 + 9 * (levels - 1);
    const pdpt = levels - 3;
    const last = levels - 1;
    // the rights ANDed (R/W, U/S) and ORed (XD) over the walk [SDM 4.6.1]
    let rights = RW | US;
    let xd = 0;
    for (let level = 0; ; level++) {
      const idx = shift >= 32 ? (vaHi >>> (shift - 32)) & 511 : ((vaLo >>> shift) | (vaHi << (32 - shift))) & 511;
      let eLo = (tLo + idx * 8) >>> 0;
      let eHi = tHi;
      if (s2 !== null) {
        // the entry's guest-physical address through stage 2 (two-stage.ts)
        if (this._entryThroughStage2(s2, eLo, eHi, s2.guestTableAccess ?? 0, privilege) < 0) return this.faultCode;
        eLo = s2.paLo;
        eHi = s2.paHi;
      }
      const e = h.wordIndex(eLo, eHi);
      if (e < 0) return x86ExternalAbort(this, level);
      const lo = w[e]! | 0;
      const hi = w[e + 1]! | 0;
      // P and the reserved bits 51:M, XD without NXE [SDM Tables 4-14 to 4-20, 4.6.1]
      if (!x86EntryOk(lo, hi, rsvdHi)) return x86EntryFault(this, e, level, access, privilege);
      // PS in a PML5E / PML4E is reserved (Tables 4-14, 4-15)
      if ((lo & PS) !== 0 && level < pdpt) return x86PageFault(this, MmuCode.ReservedBit, level, 9, access, privilege);
      rights &= lo;
      xd |= hi;
      if (level === last || (lo & PS) !== 0) {
        if (x86LeafReserved(this, e, shift)) return x86PageFault(this, MmuCode.ReservedBit, level, 9, access, privilege);
        // [SDM 4.6.2] the key in bits 62:59 of a user page's leaf, with CR4.PKE: AD refuses data accesses, WD writes
        // (a supervisor one with WP = 1)
        const key = (hi >>> PK_SHIFT_HI) & 15;
        const keyPerms = this.pke && (rights & US) !== 0 ? x86KeyPermissions(this.pkru, key, privilege, this.wp) : 7;
        const leafRights = rights & (RW | US);
        const leafXd = xd >>> 31;
        const perms = x86Leaf(this, e, key, keyPerms, level, leafRights, leafXd, access, privilege, st);
        if (perms < 0) return perms;
        // a leaf maps 1 GiB at most: the offset is in the low word
        const mask = (1 << shift) - 1;
        const paLo = ((lo & ~mask) | (vaLo & mask)) >>> 0;
        if (s2 !== null) return this.outputThroughStage2(s2, paLo, hi & ADDR_HI, shift, level, perms, leafRights, leafXd, access);
        return this.found(paLo, hi & ADDR_HI, POW2[shift]!, level, perms);
      }
      if (x86TableUsed(this, e, privilege, st) < 0) return this.faultCode;
      tLo = lo & 0xffff_f000;
      tHi = hi & ADDR_HI;
      shift -= 9;
    }
  }

  /**
   * @internal A guest paging-structure entry's guest-physical address through stage 2, with `access` (the read, or
   * the write of an accessed / dirty flag); `privilege` is passed on. 0, with the entry's address in the stage's
   * paLo / paHi, or the stage-2 fault recorded (bit 8 of the exit qualification clear).
   */
  _entryThroughStage2(
    s2: X86SecondStage,
    gLo: number,
    gHi: number,
    access: AccessKind,
    privilege: PrivilegeLevel,
  ): number {
    this._entryLo = gLo;
    this._entryHi = gHi;
    const r = s2.translateWords(gLo | 0, gHi | 0, access, privilege);
    if (r >= 0) return 0;
    // with EPTP bit 6 the walk's own reads count as writes: bits 0 and 1 both (Table 28-7)
    const walkAsWrite = access === 1 && s2.guestTableAccess === 1;
    return this.stage2Refused(r, s2, gLo, gHi, true, walkAsWrite, 0);
  }

  /**
   * @internal The write that sets an accessed / dirty flag in the entry just read, through stage 2: 0 when it is
   * allowed (or not made: `setAccessedDirty` false, or the read was already a write under EPTP bit 6), else the
   * stage-2 fault.
   */
  _flagWriteThroughStage2(privilege: PrivilegeLevel): number {
    const s2 = this.secondStage!;
    if (!this.setAccessedDirty || s2.guestTableAccess === 1) return 0;
    return this._entryThroughStage2(s2, this._entryLo, this._entryHi, 1, privilege);
  }

  /**
   * The output guest-physical address through stage 2 with the access's kind and, as the privilege, the linear
   * address's mode (U/S of the guest walk; EPT's mode-based execute control reads it): the translation, its size the
   * smaller of the two stages' pages and its permissions those both stages allow; or the stage-2 fault.
   */
  private outputThroughStage2(
    s2: X86SecondStage,
    gLo: number,
    gHi: number,
    shift: number,
    level: number,
    perms: number,
    rights: number,
    xd: number,
    access: AccessKind,
  ): number {
    const userPage = (rights & US) !== 0;
    const r = s2.translateWords(gLo | 0, gHi | 0, access, userPage ? 0 : 1);
    if (r < 0) {
      // the advanced exit information of Table 28-7: bits 9 (user-mode), 10 (writable), 11 (execute-disable)
      const guestBits = (userPage ? 0x200 : 0) | ((rights & RW) !== 0 ? 0x400 : 0) | (xd !== 0 ? 0x800 : 0);
      return this.stage2Refused(r, s2, gLo, gHi, false, false, guestBits);
    }
    const p2 = s2.permissions;
    const size = Math.min(POW2[shift]!, s2.pageSize);
    // a combined mapping [Vol. 3C 29.4.2]: EPT's D state folded into the guest leaf's D, its rights above; another
    // second stage says nothing a TLB could keep, so its translations are not cached
    const ept = this.eptTlb;
    if (ept === null) this.leafAttributes = -1;
    else {
      const a2 = ept.leafAttributes;
      const own = (a2 & 1) !== 0 ? this.leafAttributes : this.leafAttributes & ~1;
      // X of the mode the guest U/S gives the linear address: bit 4 (user-mode) or 3 (supervisor-mode) of EPT's
      const x = (a2 >>> (userPage ? 4 : 3)) & 1;
      this.leafAttributes = own | ((((a2 >>> 1) & 3) | (x << 2)) << X86_TLB_ATTRIBUTE_BITS);
    }
    return this.found(s2.paLo, s2.paHi, size, level, p2 === undefined ? perms : perms & (p2 | 8));
  }

  /** Records a fault of stage 2 on guest-physical (gLo, gHi): vector -1 (a VM exit, not an exception). */
  private stage2Refused(
    code: number,
    s2: X86SecondStage,
    gLo: number,
    gHi: number,
    onWalk: boolean,
    walkAsWrite: boolean,
    guestBits: number,
  ): number {
    const reason = s2.exitReason ?? -1;
    this.vector = -1;
    this.errorCode = 0;
    this.exitReason = reason;
    this.exitQualification = guestExitQualification(reason, s2.exitQualification ?? 0, onWalk, walkAsWrite, guestBits);
    this.gpaLo = gLo >>> 0;
    this.gpaHi = gHi >>> 0;
    return this.stage2Fault(code, s2.level, onWalk);
  }

  /** @internal MmuModel's `fault`, for the shared walk */
  _fault(code: number, level: number): number {
    return this.fault(code, level);
  }

  /** The mode key of a `Tlb`: WP, SMEP, SMAP, AC, NXE, and with CR4.PKE the slot of the current PKRU. */
  tlbModeKey(): number {
    return x86TlbModeKey(this.wp, this.smep, this.smap, this.ac, this.nxe, this.pke ? this._pkruSlots.slot(this.pkru) : 0);
  }

  /**
   * What a cached leaf allows under the mode key (`x86TlbCheck`): [SDM 4.6] again, a store only with D = 1. A
   * combined mapping also checks EPT's rights, X for the mode of the guest linear address (its U/S, as the walk
   * passes it to EPT) [Vol. 3C 29.3.3.2], with core's `combineTlbChecks`.
   */
  tlbCheck(attributes: number, privilege: PrivilegeLevel, modeKey: number): number {
    const own = x86TlbCheck(attributes & 0xff, privilege, modeKey, this._pkruSlots.pkru(modeKey >>> 5));
    const ept = this.eptTlb;
    if (ept === null) return own;
    // back to X86EptMmu's layout: its D state is in bit 0 already (so "stores served"), the one X for either mode
    const e = attributes >>> X86_TLB_ATTRIBUTE_BITS;
    const eptAttributes = 1 | ((e & 3) << 1) | ((e & 4) !== 0 ? 8 | 16 : 0);
    return combineTlbChecks(own, ept.tlbCheck(eptAttributes, (attributes & US) !== 0 ? 0 : 1, 0));
  }

  /** The vector, error code and CR2 of the last fault. */
  protected syndrome(): X86FaultSyndrome {
    if (this.faultStage === 2) {
      const linear = BigInt(this.cr2Hi) * BigInt(TWO32) + BigInt(this.cr2Lo);
      const guestPhysical = BigInt(this.gpaHi) * BigInt(TWO32) + BigInt(this.gpaLo);
      const guestLinear = (this.exitQualification & 0x80) !== 0 ? linear : null;
      const vmExit = { reason: this.exitReason, qualification: this.exitQualification, guestPhysical, guestLinear };
      return { vector: -1, errorCode: 0, cr2: null, vmExit };
    }
    return x86Syndrome(this);
  }
}
