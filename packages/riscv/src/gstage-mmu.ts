// The RISC-V G-stage MMU model: a guest-physical address translated as a hart with the hypervisor extension does
// while V = 1, with hgatp, the HS-level sstatus.MXR and the accessed / dirty behaviour of Svadu or Svade.
// Source: The RISC-V Instruction Set Manual, Volume II: Privileged Architecture, chapter "Hypervisor Extension",
// cited as [H]:
//   "Two-Stage Address Translation": the HS-level MXR overrides execute-only permissions of both stages (vsstatus.MXR
//   the VS-stage only); "Guest Physical Address Translation": Sv39x4 / Sv48x4 / Sv57x4 are Sv39 / Sv48 / Sv57 with
//   the incoming address widened by 2 bits (41, 50, 59), a root of 2048 entries (16 KiB, 16 KiB aligned), address
//   bits 63:41 (63:50, 63:59) zero or a guest-page fault; the algorithm of Sv39 with hgatp for satp, the U bit
//   checked as for U-mode on every access, guest-page faults instead of page faults; the G bit of every G-stage PTE
//   ignored; "Guest-Page Faults" and "Trap Cause Codes" (20 instruction, 21 load, 23 store / AMO guest-page fault;
//   stval the guest virtual address, htval / mtval2 the guest physical address shifted right by 2); "Hypervisor
//   Guest Address Translation and Protection Register (hgatp)" (HSXLEN = 64: MODE 63:60, VMID 57:44, PPN 43:0;
//   HSXLEN = 32: MODE bit 31, VMID 28:22, PPN 21:0). Sv32x4: Volume II 4.3 "Sv32" (4-byte entries, PPN in bits 31:10,
//   VPN[1] 31:22 and VPN[0] 21:12 of the address, no reserved high bits), with VPN[1] widened to bits 33:22.
// The steps of the walk are those of Volume II 4.3.2 "Virtual Address Translation Process", cited as [step n], as
// in ./mmu.ts; the PTE bits are 4.3.1 and 4.4.1 (bits 60:54 reserved), chapter "Svpbmt" (PBMT 62:61, reserved
// without menvcfg.PBMTE, PBMT 3 reserved, reserved in pointers), chapter "Svnapot" (N, bit 63), chapter "Svadu"
// (menvcfg.ADUE turns hardware A / D updates on for the G-stage; henvcfg.ADUE does so for the VS-stage).
// The walk itself (steps 1-8 with the differences above as its parameters) is ./_walk.ts, shared with RiscvMmu.
import { type AccessKind, type AddrInput, field, type PagingHandler, type PrivilegeLevel, registerValue, type TlbWalker } from '@page-table-multiarch/core';
import { RiscvWalkModel, riscvGeometry, SV32X4_GEOMETRY } from './_walk';
import { decodeRiscvHgatp } from './registers';

const TWO32 = 4294967296;

/** What a RISC-V hart reports for a failed G-stage translation. */
export interface RiscvGuestFaultSyndrome {
  /** The exception code written to scause / mcause: 20, 21, 23 (guest-page faults) or 1, 5, 7 (access faults). */
  readonly cause: number;
  /**
   * The value written to stval / mtval: the guest virtual address [H, "Guest-Page Faults"]. A G-stage model on its
   * own takes guest-physical addresses, so this is the address it was given (the guest virtual address when the
   * VS-stage is Bare).
   */
  readonly tval: bigint;
  /**
   * The value written to htval / mtval2: the faulting guest-physical address shifted right by 2 bits for a
   * guest-page fault, zero for any other trap [H, "Machine Second Trap Value (mtval2) Register"].
   */
  readonly htval: bigint;
  /**
   * The value written to htinst / mtinst: always 0 from a G-stage model on its own, whose accesses are explicit ones
   * (for which the spec allows zero). The pseudoinstructions of a fault on the VS-stage walk (0x00003000,
   * 0x00003020: [H, "Transformed Instruction or Pseudoinstruction for mtinst or htinst"]) are in the syndrome of
   * the `RiscvMmu` this model is the second stage of.
   */
  readonly htinst: number;
}

/** The G-stage translation state of a hart, as {@link RiscvGStageMmu} takes it. */
export interface RiscvGStageMmuOptions {
  /**
   * hgatp: MODE (HSXLEN = 64: 0 Bare, 8 Sv39x4, 9 Sv48x4, 10 Sv57x4; HSXLEN = 32: bit 31 clear Bare, set Sv32x4),
   * VMID and the 16 KiB root's PPN.
   */
  readonly hgatp: AddrInput;
  /** HSXLEN: 64 (default) or 32 (an RV32 hart: hgatp is 32 bits, Sv32x4 or Bare). */
  readonly xlen?: 32 | 64;
  /**
   * The HS-level sstatus.MXR (mstatus.MXR): loads from G-stage pages that are executable but not readable succeed
   * (default false). vsstatus.MXR does not reach the G-stage [H, "Two-Stage Address Translation"].
   */
  readonly mxr?: boolean;
  /**
   * menvcfg.ADUE = 1 on a hart with Svadu: the hart sets A, and D on a store, in G-stage leaves. False (the default)
   * is Svade: a G-stage leaf with A = 0, or D = 0 on a store, raises a guest-page fault.
   */
  readonly svadu?: boolean;
  /** menvcfg.PBMTE = 1 (Svpbmt): PBMT 1 and 2 are allowed in G-stage leaves; without it bits 62:61 are reserved. */
  readonly svpbmt?: boolean;
  /** Svnapot: a last-level leaf with N = 1 and PPN[3:0] = 1000 maps 64 KiB; without it bit 63 is reserved. */
  readonly svnapot?: boolean;
}

/**
 * A RISC-V hart's G-stage address translation (RV64: Sv39x4, Sv48x4, Sv57x4, or Bare; RV32: Sv32x4) over tables in
 * any `PagingHandler` memory: guest-physical address in, supervisor physical address or guest-page fault out. Every
 * access is checked as a U-mode access whatever the privilege given (a leaf without U refuses everything), with the
 * HS-level MXR; A and D follow Svadu (menvcfg.ADUE) or Svade.
 *
 * On its own it answers for a guest whose VS-stage is Bare (vsatp = 0): the guest virtual address is then the
 * guest-physical one, which the syndrome's `tval` repeats. As the `secondStage` of a {@link RiscvMmu} (the VS-stage,
 * vsatp as its satp) it translates every VS-stage table address and the VS-stage's output.
 *
 * Fault kinds: as {@link RiscvMmu}, with guest-page faults (20 / 21 / 23) in place of page faults, and
 * `NonCanonical` for an address with a bit set above the format's 34, 41, 50 or 59 bits.
 *
 * @example
 * const gstage = new RiscvGStageMmu(memory, { hgatp: encodeRiscvHgatp(table).hgatp, svadu: true });
 * const pa = gstage.translateNumber(0x8000_1000, Access.WRITE, Privilege.SUPERVISOR);
 * if (pa < 0) console.log(gstage.cause, gstage.htvalLo); // 23: store guest-page fault, and the GPA >> 2
 */
export class RiscvGStageMmu extends RiscvWalkModel<RiscvGuestFaultSyndrome> implements TlbWalker {
  /** The memory the G-stage tables are read from (and A / D written to, with Svadu). */
  declare readonly handler: PagingHandler;
  /** The HS-level sstatus.MXR. */
  declare mxr: boolean;
  /** Hardware A / D updates in G-stage leaves (menvcfg.ADUE = 1); false: Svade, a guest-page fault instead. */
  declare svadu: boolean;
  /** menvcfg.PBMTE = 1. */
  declare svpbmt: boolean;
  /** Svnapot implemented. */
  declare svnapot: boolean;
  /** HSXLEN: 32 or 64. */
  readonly xlen: 32 | 64;
  /** Levels of the current hgatp mode: 2 (Sv32x4), 3, 4 or 5; 0 for Bare. */
  declare levels: number;
  /** hgatp.VMID (bits 57:44; RV32 28:22) of the last hgatp loaded; a walk ignores it. */
  vmid: number;
  /** Exception code of the last fault (20, 21, 23; 1, 5, 7); -1 after a successful translation. */
  declare cause: number;
  /** Low 32 bits of the tval of the last fault: the address given. */
  declare tvalLo: number;
  /** High 32 bits of the tval of the last fault. */
  declare tvalHi: number;
  /** Low 32 bits of the htval of the last fault: the guest-physical address >> 2 for a guest-page fault, else 0. */
  declare htvalLo: number;
  /** High 32 bits of the htval of the last fault. */
  declare htvalHi: number;
  /**
   * After a successful walk: what a TLB entry keeps of the G-stage leaf: R (bit 0), W (bit 1), X (bit 2) and D as
   * the walk left it (bit 3). U and A need no bit: a leaf without U, or whose A stays clear (Svade), never
   * translates. With Bare, every permission and D. A {@link RiscvMmu} over this stage puts these bits above its own
   * in a two-stage entry. See `TlbWalker`.
   */
  leafAttributes: number;
  /** A G-stage translation belongs to no ASID (the G bit of a G-stage leaf is unused [H]). */
  readonly leafGlobal = true;
  /** {@link leafAttributes} holds 4 bits. */
  readonly tlbAttributeBits = 4;
  /** The mode key is the HS-level MXR (bit 0). */
  readonly tlbModeBits = 1;

  /**
   * @throws RegisterError for an hgatp MODE that is reserved (1-7, 11-15), bits 59:58 set or a root that is not
   *   16 KiB aligned (with `xlen: 32`: bits above 31 set, or a misaligned root); TypeError / PagingError
   *   'InvalidAddress' for an hgatp that is not a u64; RangeError for an `xlen` that is not 32 or 64.
   */
  constructor(handler: PagingHandler, options: RiscvGStageMmuOptions) {
    const xlen = options.xlen ?? 64;
    if (xlen !== 32 && xlen !== 64) throw new RangeError(`RiscvGStageMmu: "xlen" ${String(xlen)} is not 32 or 64`);
    super(handler, true, options);
    this.xlen = xlen;
    this.vmid = 0;
    this.leafAttributes = 0;
    this.setHgatp(options.hgatp);
  }

  /**
   * Loads a new hgatp value (MODE, VMID and root). Nothing changes when it throws.
   * @throws RegisterError for a reserved MODE, bits 59:58 set or a misaligned root; TypeError / PagingError
   *   'InvalidAddress' for a value that is not a u64.
   */
  setHgatp(hgatp: AddrInput): void {
    const value = registerValue(hgatp, 'hgatp');
    const rv32 = this.xlen === 32;
    // hgatp MODE 0: Bare, guest-physical addresses are supervisor physical addresses [H, "Guest Physical Address
    // Translation"]
    if (rv32 ? value < 0x8000_0000n : field(value, 63, 60) === 0) {
      this.vmid = rv32 ? field(value, 28, 22) : field(value, 57, 44);
      this._loadGeometry(null, 0n);
      return;
    }
    const plan = decodeRiscvHgatp({ hgatp: value, xlen: this.xlen });
    if (plan instanceof Error) throw plan;
    const levels = plan.format.meta.levels;
    this.vmid = rv32 ? field(value, 28, 22) : field(value, 57, 44);
    this._loadGeometry(levels === 2 ? SV32X4_GEOMETRY : riscvGeometry(levels, true), BigInt(plan.roots[0]!.root));
  }

  /**
   * The walk of [Priv 4.3.2] with the G-stage's changes, on the words of the handler's memory: no BigInt, no
   * allocation, no throw. The privilege is not read: every G-stage access is a U-mode access [H], and
   * the G-stage's own table reads go through no other stage. See `MmuModel.translateWords`.
   */
  translateWords(gpaLo: number, gpaHi: number, access: AccessKind, _privilege: PrivilegeLevel): number {
    this.tvalLo = gpaLo >>> 0;
    this.tvalHi = gpaHi >>> 0;
    // Bare: no translation and no protection
    if (this.levels === 0) {
      this.leafAttributes = 15;
      return this._translated(gpaLo >>> 0, gpaHi >>> 0, 4096, -1, 7);
    }
    const r = this._walk(gpaLo, gpaHi, access, 0, false, null);
    // what a TLB keeps: R, W, X (PTE bits 3:1) and D (bit 7) as written back [Priv 4.3.1]
    if (r === 0) this.leafAttributes = ((this._leafBits >>> 1) & 7) | ((this._leafBits >>> 4) & 8);
    return r;
  }

  /** The mode key of a `Tlb`: the HS-level MXR (bit 0), which step 5 of a G-stage walk reads [H]. */
  tlbModeKey(): number {
    return this.mxr ? 1 : 0;
  }

  /**
   * What a cached G-stage leaf allows (see `TlbWalker`): step 5 as a U-mode access [H] (R, or X with the HS-level
   * MXR, for a load; W; X), USER always; a store is served only when D is set, else it walks, which sets D (Svadu)
   * or faults (Svade) [step 7].
   */
  tlbCheck(attributes: number, _privilege: PrivilegeLevel, modeKey: number): number {
    const read = (attributes & 1) !== 0 || ((modeKey & 1) !== 0 && (attributes & 4) !== 0);
    const perms = 8 | (read ? 1 : 0) | (attributes & 6);
    return (perms << 3) | ((attributes & 8) !== 0 ? perms & 7 : perms & 5);
  }

  /** The cause, tval and htval of the last fault; htinst 0 (an explicit access). */
  protected syndrome(): RiscvGuestFaultSyndrome {
    return {
      cause: this.cause,
      tval: BigInt(this.tvalHi) * BigInt(TWO32) + BigInt(this.tvalLo),
      htval: BigInt(this.htvalHi) * BigInt(TWO32) + BigInt(this.htvalLo),
      htinst: 0,
    };
  }
}
