// The architecture-neutral vocabulary of an MMU model: what an access is (its kind and privilege), what comes back
// (a translation, or a fault with its kind, level and the architecture's own syndrome), and the negative codes of
// the number form. Each architecture's model (packages/<arch>/src/mmu.ts) extends MmuModel (./model.ts) and says
// which of its checks gives which kind.
import type { MappingFlags } from '../flags';
import type { PhysAddr, VirtAddr } from '../interfaces';

/**
 * The kind of a memory access, as a small integer: a load, a store (AMOs and read-modify-write count as stores),
 * an instruction fetch. The values are QEMU's `MMUAccessType` order, and what {@link MmuModel.translateWords} takes.
 */
export const Access: {
  /** A data load. */
  readonly READ: 0;
  /** A data store (or an atomic read-modify-write). */
  readonly WRITE: 1;
  /** An instruction fetch. */
  readonly EXECUTE: 2;
} = /* @__PURE__ */ Object.freeze({ READ: 0, WRITE: 1, EXECUTE: 2 } as const);

/** One of the {@link Access} values. */
export type AccessKind = 0 | 1 | 2;

/**
 * The privilege an access is made with: user (x86 CPL 3, AArch64 EL0, RISC-V U-mode, LoongArch PLV3) or supervisor
 * (CPL 0, EL1, S-mode, PLV0). Anything finer (RISC-V MPRV, LoongArch PLV1-2) is the architecture model's option.
 */
export const Privilege: {
  /** User mode. */
  readonly USER: 0;
  /** Supervisor (kernel) mode. */
  readonly SUPERVISOR: 1;
} = /* @__PURE__ */ Object.freeze({ USER: 0, SUPERVISOR: 1 } as const);

/** One of the {@link Privilege} values. */
export type PrivilegeLevel = 0 | 1;

/**
 * Why a translation failed, named across architectures; each model documents which of its checks gives which kind:
 * - `NotPresent`: an entry on the way is not valid (x86 P = 0, RISC-V V = 0, AArch64 translation fault);
 * - `Permission`: the leaf does not allow this access at this privilege with these mode bits;
 * - `AccessFlag`: the leaf's accessed flag is clear and the hardware faults instead of setting it (AArch64 AF,
 *   RISC-V A with Svade);
 * - `Dirty`: a store to a leaf whose dirty flag is clear, where the hardware faults instead of setting it;
 * - `ReservedBit`: an entry holds a reserved bit or encoding (a misaligned superpage on RISC-V);
 * - `AddressSize`: an output address wider than the configured physical address size;
 * - `NonCanonical`: the virtual address is outside every range the format translates;
 * - `Domain`: an ARMv7 domain set to No access;
 * - `ExternalAbort`: a table read reached an address the memory does not hold (RISC-V access fault, AArch64
 *   synchronous external abort on a walk).
 */
export type FaultKind =
  | 'NotPresent'
  | 'Permission'
  | 'AccessFlag'
  | 'Dirty'
  | 'ReservedBit'
  | 'AddressSize'
  | 'NonCanonical'
  | 'Domain'
  | 'ExternalAbort';

/**
 * The negative results of the number form ({@link MmuModel.translateNumber}, {@link MmuModel.translateWords}): a
 * fault kind each, and, from translateNumber only, `WIDE` for a translation whose physical address is 2^53 or more
 * (no number holds it exactly: read {@link MmuModel.paLo} and {@link MmuModel.paHi}).
 */
export const MmuCode: {
  /** See {@link FaultKind}. */
  readonly NotPresent: -1;
  /** See {@link FaultKind}. */
  readonly Permission: -2;
  /** See {@link FaultKind}. */
  readonly AccessFlag: -3;
  /** See {@link FaultKind}. */
  readonly Dirty: -4;
  /** See {@link FaultKind}. */
  readonly ReservedBit: -5;
  /** See {@link FaultKind}. */
  readonly AddressSize: -6;
  /** See {@link FaultKind}. */
  readonly NonCanonical: -7;
  /** See {@link FaultKind}. */
  readonly Domain: -8;
  /** See {@link FaultKind}. */
  readonly ExternalAbort: -9;
  /** Translated, to a physical address of 2^53 or more: it is in paLo / paHi. */
  readonly WIDE: -16;
} = /* @__PURE__ */ Object.freeze({
  NotPresent: -1,
  Permission: -2,
  AccessFlag: -3,
  Dirty: -4,
  ReservedBit: -5,
  AddressSize: -6,
  NonCanonical: -7,
  Domain: -8,
  ExternalAbort: -9,
  WIDE: -16,
} as const);

const KINDS: readonly FaultKind[] = [
  'NotPresent',
  'Permission',
  'AccessFlag',
  'Dirty',
  'ReservedBit',
  'AddressSize',
  'NonCanonical',
  'Domain',
  'ExternalAbort',
];

/**
 * The {@link FaultKind} of a negative fault code of the number form ({@link MmuCode}); undefined for anything else
 * (a physical address, `WIDE`).
 */
export function faultKindOf(code: number): FaultKind | undefined {
  return code < 0 && code >= -KINDS.length && code === Math.floor(code) ? KINDS[-code - 1] : undefined;
}

/** A successful translation. */
export interface MmuTranslation {
  /** Always true: the access translates. */
  readonly ok: true;
  /** The physical address of the byte accessed. */
  readonly paddr: PhysAddr;
  /** Bytes of the page (or block) the leaf maps. */
  readonly size: number;
  /** Level of the leaf, counted from the root (0), as everywhere in the library. */
  readonly level: number;
  /**
   * What the same privilege with the same mode bits may do on this page: READ, WRITE and EXECUTE as the model's
   * checks allow them (RISC-V: MXR, SUM), and USER when it is a user page. Accessed/dirty state is not counted.
   */
  readonly permissions: MappingFlags;
}

/** A failed translation, as the architecture reports it. */
export interface MmuFault<S> {
  /** Always false: the access faults. */
  readonly ok: false;
  /** Which check failed. */
  readonly kind: FaultKind;
  /** Level of the entry that failed, counted from the root (0); -1 when no table was read (a non-canonical address). */
  readonly level: number;
  /** The virtual address of the access. */
  readonly vaddr: VirtAddr;
  /** The architecture's own report (RISC-V: exception code and tval; x86: #PF error code and CR2; ...). */
  readonly syndrome: S;
  /**
   * Present only when the second stage of a two-stage translation refused the access (see `SecondStage`): 2. The
   * level and kind are then stage 2's.
   */
  readonly stage?: 2;
  /** Present with `stage`: whether stage 2 refused a stage-1 table read (true) or the output address (false). */
  readonly onWalk?: boolean;
}

/** What {@link MmuModel.translate} returns: a translation, or a fault with the architecture's syndrome `S`. */
export type MmuResult<S> = MmuTranslation | MmuFault<S>;
