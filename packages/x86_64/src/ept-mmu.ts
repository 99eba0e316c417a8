// The EPT MMU model: a guest-physical access translated by EPT as the processor does, with the EPT misconfigurations
// and violations it raises, their exit qualification, and the EPT accessed and dirty flags. It is a `SecondStage`:
// X86Mmu translates a guest's paging-structure reads and output addresses through it.
// Source: Intel SDM Vol. 3C (326019 / 325462), cited as [SDM n]:
// - 29.3.2 "EPT Translation Mechanism": the EPTP (bits 51:12) points at the EPT PML4 table (PML5 with a page-walk
//   length of 5); each level is indexed by 9 bits of the guest-physical address, 47:39 (56:48 for the PML5) down to
//   20:12; bit 7 of a PDPTE / PDE maps a 1 GiB / 2 MiB page; an entry is present when any of bits 2:0 is 1, or bit
//   10 with mode-based execute control (MBEC). Tables 29-1 to 29-6: R bit 0, W 1, X 2, memory type 5:3 (a leaf),
//   ignore PAT 6, A 8, D 9 (a leaf), XU 10, address (N-1):12. Reserved: bits 7:3 of a PML5E / PML4E, 6:3 of a PDPTE
//   or PDE that references a table, 29:12 of a 1 GiB leaf, 20:12 of a 2 MiB leaf, 51:N in every entry.
// - 29.3.3.1 "EPT Misconfigurations": in a present entry, W without R; R = 0 with an execute permission on a CPU
//   without execute-only translations (IA32_VMX_EPT_VPID_CAP bit 0); a reserved bit; a leaf memory type of 2, 3 or
//   7. "An EPT violation may occur during an access using a guest-physical address whose translation does not cause
//   an EPT misconfiguration": a misconfiguration met on the walk wins over the rights.
// - 29.3.3.2 "EPT Violations": a not-present entry on the walk; a read, write or fetch whose bit (0, 1, 2) is clear
//   in any entry used (the rights are ANDed over the levels); with MBEC a fetch checks bit 2 for a supervisor-mode
//   linear address and bit 10 for a user-mode one.
// - 29.3.5 "Accessed and Dirty Flags for EPT": with EPTP bit 6 the processor sets A (bit 8) in every EPT entry it
//   uses and D (bit 9) in the leaf on a write; "setting this flag causes processor accesses to guest
//   paging-structure entries to be treated as writes", so those set D in the leaf that maps them too.
// - 28.2.1, Table 28-7: the exit qualification (two-stage.ts).
import {
  type AccessKind,
  type AddrInput,
  MmuCode,
  MmuModel,
  type PagingHandler,
  type PrivilegeLevel,
  RegisterError,
  registerValue,
  type TlbWalker,
} from '@page-table-multiarch/core';
import { decodeX86Eptp } from './ept-registers';
import type { X86VmExit } from './two-stage';

/** The state of a virtual machine that an {@link X86EptMmu} translates with. */
export interface X86EptMmuOptions {
  /** The EPTP VM-execution control field: the root (bits 51:12), the page-walk length (5:3), A/D flags (bit 6). */
  readonly eptp: AddrInput;
  /** The "mode-based execute control for EPT" VM-execution control (default false): bit 10 (XU) governs user-mode fetches. */
  readonly mbec?: boolean;
  /** Whether the CPU supports execute-only translations (IA32_VMX_EPT_VPID_CAP bit 0; default true). */
  readonly executeOnly?: boolean;
  /** MAXPHYADDR (CPUID 80000008H EAX[7:0]), 36..52 (default 52): entry address bits 51:N are reserved. */
  readonly maxPhysAddr?: number;
  /**
   * Whether the walk writes A, and D on a write, into the EPT entries when EPTP bit 6 enables them (default true).
   * False: memory is only read; `updates` still counts the entries that would have changed.
   */
  readonly setAccessedDirty?: boolean;
}

// Entry bits [SDM 29.3.2, Tables 29-1 to 29-6], masks of the low word (the high word holds address bits 51:32).
const R = 1;
const W = 2;
const X = 4;
/** Bits 7:3: reserved in a PML5E / PML4E; bits 6:3 reserved in an entry that references a table. */
const RSVD_TOP = 0xf8;
const RSVD_TABLE = 0x78;
const PS = 0x80;
const A = 0x100;
const D = 0x200;
const XU = 0x400;
/** Bits 29:12 of a 1 GiB leaf and 20:12 of a 2 MiB leaf: reserved (Tables 29-2, 29-4). */
const RSVD_1G = 0x3fff_f000;
const RSVD_2M = 0x001f_f000;
/** Memory types 2, 3 and 7 (bits 5:3 of a leaf) are reserved: bit t of this mask for type t [SDM 29.3.3.1]. */
const RESERVED_TYPES = 0x8c;
/** Entry bits 51:32: the high word of the address field. */
const ADDR_HI = 0x000f_ffff;

const TWO32 = 4294967296;
const POW2 = /* @__PURE__ */ Float64Array.from({ length: 64 }, (_, n) => 2 ** n);

/**
 * Intel EPT as the processor walks it for one guest-physical access (Intel SDM Vol. 3C 29.3), over EPT tables in any
 * `PagingHandler` memory, from an EPTP value (4-level and 5-level EPT). `translate(gpa, access, privilege)` gives
 * the host physical address or the VM exit: the privilege is the mode of the guest linear address the access
 * comes from (Privilege.USER for a user-mode linear address), which matters only to fetches with mode-based execute
 * control; an access with no linear address may pass either. It is the `SecondStage` an `X86Mmu` takes.
 *
 * Fault kinds: a not-present entry is `NotPresent` and rights that refuse the access `Permission`, both an EPT
 * violation (exit reason 48, with its exit qualification); an EPT misconfiguration (W without R, X without R on a CPU
 * without execute-only pages, a reserved bit, memory type 2, 3 or 7 in a leaf; exit reason 49) is `ReservedBit`,
 * as the SDM calls those settings reserved; a table read outside the memory is `ExternalAbort` (reason -1). A
 * guest-physical address at or above 2^48 (2^57 with 5-level EPT), which no guest paging of such a processor
 * produces, is an EPT violation with no table read (level -1).
 *
 * @example
 * const ept = new X86EptPageTable(memory);
 * ept.cursor().map(0n, 0x4000_0000n, PageSize.Size1G, MappingFlags.READ);
 * const mmu = new X86EptMmu(memory, { eptp: encodeX86Eptp(ept) });
 * mmu.translateNumber(0x1234, Access.WRITE, Privilege.USER); // MmuCode.Permission: exitQualification 0x0a
 */
export class X86EptMmu extends MmuModel<X86VmExit> implements TlbWalker {
  /** The memory the EPT tables are read from (and A / D written to). */
  readonly handler: PagingHandler;
  /** Page-walk length: 4 or 5. */
  levels: number;
  /** Mode-based execute control. */
  readonly mbec: boolean;
  /** Whether execute-only translations are supported. */
  readonly executeOnly: boolean;
  /** MAXPHYADDR. */
  readonly maxPhysAddr: number;
  /** EPTP bit 6: the walk sets A and D, and guest paging-structure accesses count as writes. */
  accessDirty: boolean;
  /** Whether the walk writes A / D (false: report only). */
  setAccessedDirty: boolean;
  /** The access kind a guest paging-structure read is made with: WRITE with `accessDirty` [SDM 29.3.3.2], else READ. */
  guestTableAccess: AccessKind;
  /** The exit reason of the last fault (48, 49, or -1 for ExternalAbort); 0 after a successful translation. */
  exitReason: number;
  /** The exit qualification of the last fault, bits 0-6 (no linear address: bit 7 clear); 0 otherwise. */
  exitQualification: number;
  /** Low 32 bits of the guest-physical address of the last access. */
  gpaLo: number;
  /** High 32 bits of the guest-physical address of the last access. */
  gpaHi: number;
  /** EPT entries whose A or D the last access set (or, with `setAccessedDirty` false, would have set). */
  updates: number;
  /** @internal the EPT root table (EPTP bits 51:12), low and high words */
  _rootLo: number;
  /** @internal */
  _rootHi: number;
  /**
   * After a successful walk: what a TLB entry keeps of the EPT translation [SDM 29.4.2: the rights of the walk, ANDed
   * over its entries]: bit 0 set when a store needs no walk (accessed and dirty flags off, or D already set in the
   * leaf [29.3.5]), R (bit 1), W (bit 2), X for a supervisor-mode linear address (bit 3), for a user-mode one (bit 4:
   * XU with mode-based execute control, else X). See `TlbWalker`; an `X86Mmu` over this stage folds bit 0 into its
   * own D bit and keeps R, W and the X of the guest leaf's mode above its own attributes in a combined entry.
   */
  leafAttributes: number;
  /** An EPT translation belongs to no PCID (guest-physical mappings are tagged by EP4TA alone [SDM 29.4.2]). */
  readonly leafGlobal = true;
  /** {@link leafAttributes} holds 5 bits. */
  readonly tlbAttributeBits = 5;
  /** No mode bit changes what a cached EPT translation allows. */
  readonly tlbModeBits = 0;
  /** Address bits 51:N of the high word: reserved. */
  private readonly rsvdHi: number;

  /**
   * @throws RegisterError for an EPTP that the VM-entry checks refuse (a memory type other than UC / WB, a
   *   page-walk length other than 4 or 5, reserved bits 11:8 or 63:52: 'Invalid') or whose root is at or above
   *   2^MAXPHYADDR; RangeError for a MAXPHYADDR outside 36..52; TypeError / PagingError 'InvalidAddress' for an
   *   EPTP that is not a u64.
   */
  constructor(handler: PagingHandler, options: X86EptMmuOptions) {
    super();
    const m = options.maxPhysAddr ?? 52;
    if (!Number.isInteger(m) || m < 36 || m > 52) throw new RangeError(`X86EptMmu: MAXPHYADDR ${String(m)} is outside 36..52`);
    this.handler = handler;
    this.maxPhysAddr = m;
    this.rsvdHi = m >= 52 ? 0 : ADDR_HI & ~((1 << (m - 32)) - 1);
    this.mbec = options.mbec === true;
    this.executeOnly = options.executeOnly !== false;
    this.setAccessedDirty = options.setAccessedDirty ?? true;
    this.levels = 4;
    this.accessDirty = false;
    this.guestTableAccess = 0;
    this.exitReason = 0;
    this.exitQualification = 0;
    this.gpaLo = 0;
    this.gpaHi = 0;
    this.updates = 0;
    this.leafAttributes = 0;
    this._rootLo = 0;
    this._rootHi = 0;
    this.setEptp(options.eptp);
  }

  /**
   * Loads a new EPTP (a VMWRITE of the field before a VM entry): the root, the page-walk length and the A/D
   * enable. Nothing changes when it throws.
   * @throws RegisterError, TypeError / PagingError 'InvalidAddress': as the constructor.
   */
  setEptp(eptp: AddrInput): void {
    const value = registerValue(eptp, 'eptp');
    const plan = decodeX86Eptp({ eptp: value, mbec: this.mbec });
    if (plan instanceof RegisterError) throw plan;
    const root = BigInt(plan.roots[0]!.root);
    if (root >> BigInt(this.maxPhysAddr) !== 0n) {
      throw new RegisterError('Invalid', 'EPTP', `X86EptMmu: EPTP bits 51:${this.maxPhysAddr} are reserved with MAXPHYADDR ${this.maxPhysAddr}`);
    }
    this.levels = ((value >> 3n) & 7n) === 4n ? 5 : 4;
    this.accessDirty = (value & 0x40n) !== 0n;
    this.guestTableAccess = this.accessDirty ? 1 : 0;
    this._rootLo = Number(root & 0xffff_ffffn);
    this._rootHi = Number(root >> 32n);
  }

  /**
   * The walk of [SDM 29.3.2] on the words of the handler's memory: no BigInt, no allocation, no throw. `privilege`
   * is the mode of the linear address (see the class). See `MmuModel.translateWords`.
   */
  translateWords(gpaLo: number, gpaHi: number, access: AccessKind, privilege: PrivilegeLevel): number {
    this.gpaLo = gpaLo >>> 0;
    this.gpaHi = gpaHi >>> 0;
    this.updates = 0;
    const levels = this.levels;
    // guest-physical bits 63:48 (63:57) are beyond every table [SDM 29.3.2]
    if (gpaHi >>> (levels === 5 ? 25 : 16) !== 0) return this.violation(MmuCode.NotPresent, -1, 0, access);
    const h = this.handler;
    const w = h.words;
    const xu = this.mbec ? XU : 0;
    const present = R | W | X | xu;
    // R = 0 with an execute permission is a misconfiguration without execute-only support [SDM 29.3.3.1]
    const execOnlyBad = this.executeOnly ? 0 : X | xu;
    const rsvdHi = this.rsvdHi;
    const last = levels - 1;
    const pdpt = levels - 3;
    let tLo = this._rootLo;
    let tHi = this._rootHi;
    let shift = 12 + 9 * last;
    // R, W, X (and XU) ANDed over the entries used [SDM 29.3.3.2]
    let rights = present;
    for (let level = 0; ; level++) {
      const idx = shift >= 32 ? (gpaHi >>> (shift - 32)) & 511 : ((gpaLo >>> shift) | (gpaHi << (32 - shift))) & 511;
      const e = h.wordIndex((tLo + idx * 8) >>> 0, tHi);
      if (e < 0) return this.externalAbort(level);
      const lo = w[e]!;
      const hi = w[e + 1]!;
      if ((lo & present) === 0) return this.violation(MmuCode.NotPresent, level, 0, access);
      rights &= lo;
      const leaf = level === last || ((lo & PS) !== 0 && level >= pdpt);
      if (
        (lo & (R | W)) === W ||
        ((lo & R) === 0 && (lo & execOnlyBad) !== 0) ||
        (hi & rsvdHi) !== 0 ||
        (level < pdpt ? (lo & RSVD_TOP) !== 0 : !leaf && (lo & RSVD_TABLE) !== 0)
      ) {
        return this.misconfiguration(level);
      }
      if (leaf) return this.leaf(e, lo | 0, hi | 0, gpaLo | 0, gpaHi | 0, level, shift, rights, access, privilege);
      // [SDM 29.3.5] an entry that references a table is used: A = 1
      if (this.accessDirty && (lo & A) === 0) {
        this.updates++;
        if (this.setAccessedDirty) w[e] = lo | A;
      }
      tLo = lo & 0xffff_f000;
      tHi = hi & ADDR_HI;
      shift -= 9;
    }
  }

  /** [SDM 29.3.3, 29.3.5] for the leaf at word index e, which maps 2^shift bytes; `rights` of the whole walk. */
  private leaf(
    e: number,
    lo: number,
    hi: number,
    gpaLo: number,
    gpaHi: number,
    level: number,
    shift: number,
    rights: number,
    access: AccessKind,
    privilege: PrivilegeLevel,
  ): number {
    if (((RESERVED_TYPES >>> ((lo >>> 3) & 7)) & 1) !== 0) return this.misconfiguration(level);
    if (shift === 30 ? (lo & RSVD_1G) !== 0 : shift === 21 && (lo & RSVD_2M) !== 0) return this.misconfiguration(level);
    // the fetch permission: bit 2, or with MBEC bit 10 for a user-mode linear address [SDM 29.3.3.2]
    const x = this.mbec && privilege === 0 ? (rights & XU) !== 0 : (rights & X) !== 0;
    // READ, WRITE, EXECUTE are the bits 1 << access of MappingFlags
    const perms = (rights & R) | (rights & W) | (x ? 4 : 0);
    if (((perms >>> access) & 1) === 0) return this.violation(MmuCode.Permission, level, rights, access);
    // [SDM 29.3.5] A in the leaf on every access, D on a write
    let now = lo;
    if (this.accessDirty) {
      const need = access === 1 ? A | D : A;
      if ((lo & need) !== need) {
        this.updates++;
        if (this.setAccessedDirty) {
          now = lo | need;
          this.handler.words[e] = now;
        }
      }
    }
    // what a TLB keeps [SDM 29.4.2]: whether a store needs the walk (to set D), the rights for either linear-address mode
    const xs = (rights & X) !== 0;
    const xu = this.mbec ? (rights & XU) !== 0 : xs;
    const storeServed = !this.accessDirty || (now & D) !== 0;
    this.leafAttributes = (storeServed ? 1 : 0) | ((rights & R) !== 0 ? 2 : 0) | ((rights & W) !== 0 ? 4 : 0) | (xs ? 8 : 0) | (xu ? 16 : 0);
    this.exitReason = 0;
    this.exitQualification = 0;
    const paHi = hi & ADDR_HI;
    if (shift < 32) {
      const mask = (1 << shift) - 1;
      return this.found(((lo & ~mask) | (gpaLo & mask)) >>> 0, paHi, POW2[shift]!, level, perms);
    }
    const maskHi = (1 << (shift - 32)) - 1;
    return this.found(gpaLo >>> 0, ((paHi & ~maskHi) | (gpaHi & maskHi)) >>> 0, POW2[shift]!, level, perms);
  }

  /** The mode key of a `Tlb`: none (EPT's checks read no mode bit). */
  tlbModeKey(): number {
    return 0;
  }

  /**
   * What a cached EPT translation allows (see `TlbWalker`): R, W, and X for the mode of the linear address the
   * access comes from (the privilege argument, as for the walk) [SDM 29.3.3.2]; a store is served only when bit 0
   * says D needs no update, else it walks and sets D [29.3.5].
   */
  tlbCheck(attributes: number, privilege: PrivilegeLevel, _modeKey: number): number {
    const exec = (attributes >>> (privilege === 0 ? 4 : 3)) & 1;
    const perms = ((attributes >>> 1) & 3) | (exec << 2);
    return (perms << 3) | ((attributes & 1) !== 0 ? perms & 7 : perms & 5);
  }

  /** An EPT violation: the access in bits 2:0, the ANDed rights in bits 5:3 (and XU in bit 6 with MBEC) [Table 28-7]. */
  private violation(code: number, level: number, rights: number, access: AccessKind): number {
    this.exitReason = 48;
    this.exitQualification = (1 << access) | ((rights & 7) << 3) | (this.mbec && (rights & XU) !== 0 ? 0x40 : 0);
    return this.fault(code, level);
  }

  /** An EPT misconfiguration: exit reason 49, no exit qualification [SDM 29.3.3.1]. */
  private misconfiguration(level: number): number {
    this.exitReason = 49;
    this.exitQualification = 0;
    return this.fault(MmuCode.ReservedBit, level);
  }

  /** An EPT table read outside the handler's memory: no VM exit the architecture defines. */
  private externalAbort(level: number): number {
    this.exitReason = -1;
    this.exitQualification = 0;
    return this.fault(MmuCode.ExternalAbort, level);
  }

  /** The VM exit of the last fault, without a guest linear address. */
  protected syndrome(): X86VmExit {
    return {
      reason: this.exitReason,
      qualification: this.exitQualification,
      guestPhysical: BigInt(this.gpaHi) * BigInt(TWO32) + BigInt(this.gpaLo),
      guestLinear: null,
    };
  }
}
