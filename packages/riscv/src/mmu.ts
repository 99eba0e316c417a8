// The RISC-V MMU model: an access translated as a hart in S-mode or U-mode does, with satp, mstatus.SUM and MXR,
// and the accessed / dirty behaviour of Svadu or Svade.
// Source: The RISC-V Instruction Set Manual, Volume II: Privileged Architecture (20211203), cited as [Priv]:
//   4.3.2 "Virtual Address Translation Process", steps 1-8, cited as [step n]; 4.3.1 "Addressing and Memory
//   Protection" (PTE bits V R W X U G A D, the R/W/X encodings of Table 4.5, non-leaf D/A/U reserved); 4.4.1, 4.5.1,
//   4.6.1 (Sv39 / Sv48 / Sv57: an address whose bits 63:VA-1 are not all equal raises a page fault; PTE bits 60:54
//   reserved, 62:61 reserved without Svpbmt, 63 reserved without Svnapot); 3.1.6.3 "Memory Privilege in mstatus"
//   (SUM: S-mode loads and stores to U pages; S-mode never executes U pages; MXR: loads from executable pages);
//   3.1.15 "Machine Cause Register" Table 3.6 (exception codes 1, 5, 7 access faults; 12, 13, 15 page faults);
//   4.1.9 "stval" (the faulting virtual address); chapter "Svnapot" (N = 1 with PPN[3:0] = 1000 at the last
//   level: a 64 KiB page; other N encodings and N in non-leaf entries reserved); chapter "Svpbmt" (PBMT 3 reserved;
//   bits 62:61 reserved in non-leaf entries).
//   Svade / Svadu: the 20240411 edition, chapter "Svadu" and 4.3.2 step 8: with Svade a leaf with A = 0, or D = 0 on
//   a store, raises a page fault; with Svadu (menvcfg.ADUE = 1) the hart sets them atomically instead.
//   Two stages (a VS-stage over a G-stage, `secondStage`): chapter "Hypervisor Extension", cited as [H]: "Two-Stage
//   Address Translation" (the VS-stage's table reads, and its A / D writes, are G-stage accesses checked as implicit
//   loads and stores; any exception is reported for the original access type), "Guest-Page Faults" (20 / 21 / 23,
//   stval the guest virtual address, htval the guest-physical address >> 2), "Transformed Instruction or
//   Pseudoinstruction for mtinst or htinst" (0x00003000 / 0x00003020 for a fault on a 64-bit read / write of the
//   VS-stage walk).
//   For a TLB (core's Tlb): 4.3.1 on G (a global mapping exists in every address space; G in a non-leaf entry makes
//   every mapping below it global), 4.1.11 (satp.ASID, bits 59:44).
// The walk itself (steps 1-8, the leaf checks, the fault reports) is ./_walk.ts, shared with the G-stage model.
import {
  type AccessKind,
  type AddrInput,
  field,
  type PagingHandler,
  type PrivilegeLevel,
  registerValue,
  type SecondStage,
  type SecondStageTlbWalker,
  combineTlbChecks,
  secondStageTlbWalker,
  type TlbWalker,
} from '@page-table-multiarch/core';
import { A, D, G, leafPermissions, RiscvWalkModel, riscvGeometry, V } from './_walk';
import { decodeRiscvSatp } from './registers';

const TWO32 = 4294967296;

/** Bits of a VS-stage (or single-stage) leaf's TLB attributes and of its mode key (see `RiscvMmu.leafAttributes`). */
const STAGE1_ATTRIBUTE_BITS = 8;
const STAGE1_MODE_BITS = 2;

/** RISC-V exception codes that a translation can raise [Priv 3.1.15, Table 3.6]. */
export const RiscvCause: {
  /** 1: a table read failed a PMA / PMP check, on an instruction fetch [step 2]. */
  readonly INSTRUCTION_ACCESS_FAULT: 1;
  /** 5: the same on a load. */
  readonly LOAD_ACCESS_FAULT: 5;
  /** 7: the same on a store or AMO. */
  readonly STORE_ACCESS_FAULT: 7;
  /** 12: instruction page fault. */
  readonly INSTRUCTION_PAGE_FAULT: 12;
  /** 13: load page fault. */
  readonly LOAD_PAGE_FAULT: 13;
  /** 15: store / AMO page fault. */
  readonly STORE_PAGE_FAULT: 15;
} = /* @__PURE__ */ Object.freeze({
  INSTRUCTION_ACCESS_FAULT: 1,
  LOAD_ACCESS_FAULT: 5,
  STORE_ACCESS_FAULT: 7,
  INSTRUCTION_PAGE_FAULT: 12,
  LOAD_PAGE_FAULT: 13,
  STORE_PAGE_FAULT: 15,
} as const);

/** What a RISC-V hart reports for a failed translation: the trap's cause and tval. */
export interface RiscvFaultSyndrome {
  /** The exception code written to scause / mcause ({@link RiscvCause}). */
  readonly cause: number;
  /** The value written to stval / mtval: the faulting virtual address [Priv 4.1.9]. */
  readonly tval: bigint;
  /**
   * With a second stage only: the value written to htval / mtval2, the guest-physical address that faulted shifted
   * right by 2 for a guest-page fault (20, 21, 23), else 0 [H, "Guest-Page Faults"].
   */
  readonly htval?: bigint;
  /**
   * With a second stage only: the value written to htinst / mtinst: for a guest-page fault on the VS-stage walk,
   * 0x00003000 (its read of an entry) or 0x00003020 (its A / D write); else 0, which the spec allows for every
   * other trap [H, "Transformed Instruction or Pseudoinstruction for mtinst or htinst"].
   */
  readonly htinst?: number;
}

/** The translation state of a hart, as {@link RiscvMmu} takes it. */
export interface RiscvMmuOptions {
  /** satp: MODE (0 Bare, 8 Sv39, 9 Sv48, 10 Sv57), ASID and the root's PPN; the ASID only tags a TLB's entries. */
  readonly satp: AddrInput;
  /** mstatus.SUM: S-mode may load and store to U pages (default false) [Priv 3.1.6.3]. */
  readonly sum?: boolean;
  /** mstatus.MXR: loads from pages that are executable but not readable succeed (default false) [Priv 3.1.6.3]. */
  readonly mxr?: boolean;
  /**
   * Svadu with menvcfg.ADUE = 1: the hart sets A, and D on a store, in the leaf itself. False (the default) is
   * Svade: a leaf with A = 0, or D = 0 on a store, raises a page fault.
   */
  readonly svadu?: boolean;
  /** Svpbmt with menvcfg.PBMTE = 1: PBMT 1 (NC) and 2 (IO) are allowed in leaves; without it bits 62:61 are reserved. */
  readonly svpbmt?: boolean;
  /** Svnapot: a last-level leaf with N = 1 and PPN[3:0] = 1000 maps 64 KiB; without it bit 63 is reserved. */
  readonly svnapot?: boolean;
  /**
   * A second stage (a `RiscvGStageMmu`): the model is then the VS-stage of a hart with V = 1, and its options
   * are the guest's: `satp` is vsatp, `sum` vsstatus.SUM, `mxr` vsstatus.MXR or the HS-level sstatus.MXR (either
   * makes VS-stage execute-only pages readable; the G-stage model takes the HS-level one), `svadu` henvcfg.ADUE
   * (which takes effect only with menvcfg.ADUE), `svpbmt` henvcfg.PBMTE. Every VS-stage table read goes through the
   * second stage as a load, and an A / D write as a store, before memory is touched; the VS-stage's output address
   * goes through it with the access's own kind. Default: none (a single-stage hart, or V = 0).
   */
  readonly secondStage?: SecondStage;
}


/**
 * A RISC-V hart's address translation (RV64: Sv39, Sv48, Sv57, or Bare) over tables in any `PagingHandler` memory,
 * following the privileged spec's algorithm (4.3.2) step by step. `translate(va, access, privilege)` gives the
 * physical address or the page fault (exception code 12 / 13 / 15 and stval); `translateNumber` / `translateWords`
 * are the allocation-free forms for an emulator. The mode bits are fields: change `sum`, `mxr`, `svadu` between
 * accesses as the hart's CSRs change, and call {@link setSatp} when satp does.
 *
 * Fault kinds: V = 0 is `NotPresent`; W without R, reserved bits or encodings (bits 60:54, PBMT or N without their
 * extension, D / A / U / PBMT / N in a non-leaf entry, a pointer at the last level, a misaligned superpage) are
 * `ReservedBit`; a leaf that does not allow the access is `Permission`; A = 0 and D = 0 under Svade are
 * `AccessFlag` and `Dirty`; an address whose top bits are not a sign extension is `NonCanonical`; a table read
 * outside the memory is `ExternalAbort` (an access fault: 1 / 5 / 7). The others are page faults.
 *
 * With a `secondStage` option it is the VS-stage of a hart with V = 1 over that G-stage: a fault of the G-stage
 * (on a VS-stage table entry or on the output address) has `faultStage` 2 and the G-stage's kind and level, and is
 * reported as a guest-page fault (20 / 21 / 23) with `htvalLo` / `htvalHi` and `htinst`.
 *
 * @example
 * const mmu = new RiscvMmu(memory, { satp: encodeRiscvSatp(table).satp, svadu: true });
 * const pa = mmu.translateNumber(0x40_1000, Access.WRITE, Privilege.USER);
 * if (pa < 0) console.log(mmu.cause); // 15: store page fault
 */
export class RiscvMmu extends RiscvWalkModel<RiscvFaultSyndrome> implements TlbWalker {
  /** The memory the tables are read from (and A / D written to, with Svadu). */
  declare readonly handler: PagingHandler;
  /** mstatus.SUM. */
  sum: boolean;
  /** mstatus.MXR. */
  declare mxr: boolean;
  /** Hardware A / D updates (Svadu, menvcfg.ADUE = 1); false: Svade, a page fault instead. */
  declare svadu: boolean;
  /** Svpbmt enabled (menvcfg.PBMTE = 1). */
  declare svpbmt: boolean;
  /** Svnapot implemented. */
  declare svnapot: boolean;
  /** Levels of the current satp mode: 3, 4 or 5; 0 for Bare. */
  declare levels: number;
  /** Exception code of the last fault ({@link RiscvCause}); -1 after a successful translation. */
  declare cause: number;
  /** Low 32 bits of the tval of the last fault: the faulting virtual address. */
  declare tvalLo: number;
  /** High 32 bits of the tval of the last fault. */
  declare tvalHi: number;
  /** The second stage every VS-stage table read and output address goes through, or null (one stage). */
  readonly secondStage: SecondStage | null;
  /** With a second stage: low 32 bits of the htval of the last fault (the guest-physical address >> 2, or 0). */
  declare htvalLo: number;
  /** With a second stage: high 32 bits of the htval of the last fault. */
  declare htvalHi: number;
  /** With a second stage: the htinst of the last fault (0x3000, 0x3020 or 0). */
  declare htinst: number;
  /** satp.ASID (bits 59:44) of the last satp loaded [Priv 4.1.11]; a walk ignores it, a `Tlb` tags entries with it. */
  asid: number;
  /**
   * After a successful walk: the leaf's bits 7:0 (V R W X U G A D) as written back, G set when the path has G. Over
   * a second stage that is a `TlbWalker` (a {@link RiscvGStageMmu}), the G-stage leaf's attributes follow from bit
   * 8: a hart's translation cache may map guest virtual addresses straight to supervisor physical ones ([H]
   * "Hypervisor Memory-Management Fence Instructions"), and such an entry holds what both stages allow (core's
   * `combineTlbChecks`).
   */
  leafAttributes: number;
  /** After a successful walk: the leaf or an entry above it has G [Priv 4.3.1]. */
  leafGlobal: boolean;
  /** {@link leafAttributes} holds PTE bits 7:0, and those of the second stage above them. */
  readonly tlbAttributeBits: number;
  /** The mode key is SUM (bit 0) and MXR (bit 1), the second stage's above them. */
  readonly tlbModeBits: number;
  /** The second stage when a `Tlb` can cache through it (see {@link leafAttributes}), else null. */
  private readonly secondStageTlb: SecondStageTlbWalker | null;

  /**
   * @throws RegisterError for a satp MODE that is reserved or not RV64 paging (1-7, 11-15); TypeError /
   *   PagingError 'InvalidAddress' for a satp that is not a u64.
   */
  constructor(handler: PagingHandler, options: RiscvMmuOptions) {
    super(handler, false, options);
    this.sum = options.sum ?? false;
    this.asid = 0;
    this.leafAttributes = 0;
    this.leafGlobal = false;
    this.secondStage = options.secondStage ?? null;
    this.secondStageTlb = secondStageTlbWalker(this.secondStage, STAGE1_ATTRIBUTE_BITS, STAGE1_MODE_BITS);
    this.tlbAttributeBits = STAGE1_ATTRIBUTE_BITS + (this.secondStageTlb?.tlbAttributeBits ?? 0);
    this.tlbModeBits = STAGE1_MODE_BITS + (this.secondStageTlb?.tlbModeBits ?? 0);
    this.setSatp(options.satp);
  }

  /**
   * Loads a new satp value (MODE, ASID and root). Nothing changes when it throws. As on a hart, writing satp
   * flushes nothing: a `Tlb` over this model keeps its entries until an SFENCE.VMA (`sfenceVma`).
   * @throws RegisterError for a reserved or unsupported MODE; TypeError / PagingError 'InvalidAddress' for a value
   *   that is not a u64.
   */
  setSatp(satp: AddrInput): void {
    const value = registerValue(satp, 'satp');
    // satp MODE 0: Bare, no translation or protection [Priv 4.1.11]
    if (field(value, 63, 60) === 0) {
      this.asid = field(value, 59, 44);
      this._loadGeometry(null, 0n);
      return;
    }
    const plan = decodeRiscvSatp({ satp: value });
    if (plan instanceof Error) throw plan;
    this.asid = field(value, 59, 44);
    this._loadGeometry(riscvGeometry(plan.format.meta.levels, false), BigInt(plan.roots[0]!.root));
  }

  /**
   * The walk of [Priv 4.3.2] on the words of the handler's memory, then, with a second stage, the output address
   * through it: no BigInt, no allocation, no throw. See `MmuModel.translateWords`.
   */
  translateWords(vaLo: number, vaHi: number, access: AccessKind, privilege: PrivilegeLevel): number {
    this.tvalLo = vaLo >>> 0;
    this.tvalHi = vaHi >>> 0;
    const s2 = this.secondStage;
    // Bare: the physical address is the virtual address, every access allowed [Priv 4.1.11]
    if (this.levels === 0) {
      const r = this._translated(vaLo >>> 0, vaHi >>> 0, 4096, -1, 7);
      return s2 === null ? r : this.throughSecondStage(s2, access, privilege);
    }
    const r = this._walk(vaLo, vaHi, access, privilege, this.sum, s2);
    if (r !== 0) return r;
    // what a TLB keeps: the leaf's flags, with G when the leaf or a pointer above it has G [Priv 4.3.1]
    const path = this._pathBits;
    this.leafAttributes = this._leafBits | (path & G);
    this.leafGlobal = ((this._leafBits | path) & G) !== 0;
    return s2 === null ? 0 : this.throughSecondStage(s2, access, privilege);
  }

  /** The mode key of a `Tlb`: mstatus.SUM (bit 0) and MXR (bit 1), the mode bits step 5 reads; the second stage's from bit 2. */
  tlbModeKey(): number {
    const own = (this.sum ? 1 : 0) | (this.mxr ? 2 : 0);
    const s2 = this.secondStageTlb;
    return s2 === null ? own : own | (s2.tlbModeKey() << STAGE1_MODE_BITS);
  }

  /**
   * What a cached leaf with flags `attributes` (PTE bits 7:0) allows under the mode key: the permissions of step 5
   * << 3, and the access kinds served without a walk: those step 5 allows, a store only when D is set (else the walk
   * sets D, Svadu, or faults, Svade: step 7), none when A is clear.
   */
  tlbCheck(attributes: number, privilege: PrivilegeLevel, modeKey: number): number {
    const own = stage1TlbCheck(attributes & 0xff, privilege, modeKey & 3);
    const s2 = this.secondStageTlb;
    if (s2 === null) return own;
    // a two-stage entry: what both stages allow, each under its own mode bits
    return combineTlbChecks(own, s2.tlbCheck(attributes >>> STAGE1_ATTRIBUTE_BITS, privilege, modeKey >>> STAGE1_MODE_BITS));
  }

  /**
   * The VS-stage's output (a guest-physical address, in paLo / paHi) through the second stage with the access's
   * kind. The page size is the smaller of the two stages'; the permissions those of both where the second stage
   * is an MmuModel. `leafAttributes` gains the G-stage leaf's above the VS-stage's when the second stage is a
   * `TlbWalker`; else it becomes -1, so that a `Tlb` does not cache the translation (what that stage allows, and its
   * D, would be in no entry).
   */
  private throughSecondStage(s2: SecondStage, access: AccessKind, privilege: PrivilegeLevel): number {
    const gLo = this.paLo;
    const gHi = this.paHi;
    const g = s2.translateWords(gLo | 0, gHi | 0, access, privilege);
    if (g < 0) return this._secondStageFault(s2, g, gLo, gHi, access, 0);
    const second = (s2 as { readonly permissions?: unknown }).permissions;
    const perms = typeof second === 'number' ? this.permissions & (second | 8) : this.permissions;
    const t = this.secondStageTlb;
    this.leafAttributes = t === null ? -1 : this.leafAttributes | (t.leafAttributes << STAGE1_ATTRIBUTE_BITS);
    return this.found(s2.paLo, s2.paHi, Math.min(this.pageSize, s2.pageSize), this.level, perms);
  }

  /** The cause and tval of the last fault. */
  protected syndrome(): RiscvFaultSyndrome {
    const tval = BigInt(this.tvalHi) * BigInt(TWO32) + BigInt(this.tvalLo);
    if (this.secondStage === null) return { cause: this.cause, tval };
    return { cause: this.cause, tval, htval: BigInt(this.htvalHi) * BigInt(TWO32) + BigInt(this.htvalLo), htinst: this.htinst };
  }
}

/**
 * What a cached VS-stage or single-stage leaf with flags `attributes` (PTE bits 7:0) allows (`RiscvMmu.tlbCheck`),
 * the mode key SUM (bit 0) and MXR (bit 1).
 */
function stage1TlbCheck(attributes: number, privilege: PrivilegeLevel, modeKey: number): number {
  const perms = leafPermissions(attributes, privilege, (modeKey & 1) !== 0, (modeKey & 2) !== 0);
  if ((attributes & (V | A)) !== (V | A)) return perms << 3;
  return (perms << 3) | ((attributes & D) !== 0 ? perms & 7 : perms & 5);
}
