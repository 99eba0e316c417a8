// The vocabulary of x86 two-stage translation (guest paging over EPT): what X86Mmu asks of its second stage beyond
// core's SecondStage, the VM exit a stage-2 fault reports, and the exit qualification of an EPT violation.
// Source: Intel SDM Vol. 3C (326019 / 325462):
// - 28.2.1 "Basic VM-Exit Information", Table 28-7 "Exit Qualification for EPT Violations": bit 0 a data read, 1 a
//   data write, 2 an instruction fetch; bits 3, 4, 5 the AND of bits 0, 1, 2 of the EPT entries used to translate
//   the guest-physical address (readable, writable, executable; with mode-based execute control bit 5 is for
//   supervisor-mode linear addresses) and bit 6 the AND of bit 10 (executable for user-mode linear addresses) with
//   that control; bit 7 the guest linear-address field is valid; bit 8 (with bit 7) set for an access to the
//   translation of the linear address, clear for an access to a guest paging-structure entry, as part of a walk or
//   of an accessed / dirty flag update; bits 9, 10, 11 (with bits 7 and 8, "advanced VM-exit information for EPT
//   violations"): the linear address is user-mode, its page is writable, its page is execute-disable. With EPTP bit
//   6, an EPT violation on an access to a guest paging-structure entry sets both bit 0 and bit 1 (the access counts
//   as a write, 29.3.3.2).
// - Vol. 3D Appendix C "VMX Basic Exit Reasons": 48 EPT violation, 49 EPT misconfiguration. The exit qualification
//   of an EPT misconfiguration is undefined (this model reports 0), and the guest-linear address field is written
//   for EPT violations only.
// - 29.3.3.2 "EPT Violations": reads of guest paging structures are data reads; writes that update their accessed
//   and dirty flags are data writes; with EPTP bit 6 every access to a guest paging-structure entry is a write.
import type { AccessKind, SecondStage } from '@page-table-multiarch/core';

/** The bits of the exit qualification of an EPT violation (SDM Vol. 3C 28.2.1, Table 28-7). */
export const X86EptQualification: {
  /** Bit 0: the access was a data read (with bit 1: a guest paging-structure access counted as a write). */
  readonly READ: 0x1;
  /** Bit 1: the access was a data write. */
  readonly WRITE: 0x2;
  /** Bit 2: the access was an instruction fetch. */
  readonly FETCH: 0x4;
  /** Bit 3: the AND of bit 0 (R) of the EPT entries used: the guest-physical address was readable. */
  readonly READABLE: 0x8;
  /** Bit 4: the AND of bit 1 (W): writable. */
  readonly WRITABLE: 0x10;
  /** Bit 5: the AND of bit 2 (X): executable (for supervisor-mode linear addresses with mode-based execute control). */
  readonly EXECUTABLE: 0x20;
  /** Bit 6: the AND of bit 10 (XU), with mode-based execute control: executable for user-mode linear addresses. */
  readonly USER_EXECUTABLE: 0x40;
  /** Bit 7: the guest linear-address field is valid. */
  readonly LINEAR_VALID: 0x80;
  /** Bit 8 (with bit 7): the access was to the translation of the linear address; clear for a paging-structure entry. */
  readonly TRANSLATED: 0x100;
  /** Bit 9 (with bits 7 and 8): the linear address is a user-mode one (U/S = 1 in every guest entry). */
  readonly USER_LINEAR: 0x200;
  /** Bit 10 (with bits 7 and 8): the linear address's page is writable (R/W = 1 in every guest entry). */
  readonly WRITABLE_LINEAR: 0x400;
  /** Bit 11 (with bits 7 and 8): the linear address's page is execute-disable (XD = 1 in a guest entry, NXE = 1). */
  readonly XD_LINEAR: 0x800;
} = /* @__PURE__ */ Object.freeze({
  READ: 0x1,
  WRITE: 0x2,
  FETCH: 0x4,
  READABLE: 0x8,
  WRITABLE: 0x10,
  EXECUTABLE: 0x20,
  USER_EXECUTABLE: 0x40,
  LINEAR_VALID: 0x80,
  TRANSLATED: 0x100,
  USER_LINEAR: 0x200,
  WRITABLE_LINEAR: 0x400,
  XD_LINEAR: 0x800,
} as const);

/** The basic exit reasons of a stage-2 fault (SDM Vol. 3D Appendix C). */
export const X86ExitReason: {
  /** 48: EPT violation (a not-present entry, or rights that refuse the access). */
  readonly EPT_VIOLATION: 48;
  /** 49: EPT misconfiguration (an entry with a reserved setting). */
  readonly EPT_MISCONFIGURATION: 49;
} = /* @__PURE__ */ Object.freeze({ EPT_VIOLATION: 48, EPT_MISCONFIGURATION: 49 } as const);

/** The VM exit a stage-2 (EPT) fault causes, as the VMCS exit-information fields hold it. */
export interface X86VmExit {
  /**
   * The basic exit reason: {@link X86ExitReason} EPT_VIOLATION (48) or EPT_MISCONFIGURATION (49); -1 for an EPT
   * table read outside the handler's memory (the model's `ExternalAbort`), or for a second stage that names none.
   */
  readonly reason: number;
  /** The exit qualification ({@link X86EptQualification} bits); 0 for an EPT misconfiguration. */
  readonly qualification: number;
  /** The guest-physical address field: the address stage 2 refused. */
  readonly guestPhysical: bigint;
  /** The guest linear-address field when the qualification's bit 7 says it is valid; null otherwise. */
  readonly guestLinear: bigint | null;
}

/**
 * A second stage as `X86Mmu` takes it: any core `SecondStage`, and, when the stage has them (as `X86EptMmu` does),
 * the members that make the guest walk and the fault report those of the processor.
 */
export interface X86SecondStage extends SecondStage {
  /**
   * The access kind a read of a guest paging-structure entry is made with: `Access.WRITE` for EPT with accessed
   * and dirty flags enabled (EPTP bit 6; SDM Vol. 3C 29.3.3.2, 29.3.5), `Access.READ` otherwise (and when absent).
   */
  readonly guestTableAccess?: AccessKind;
  /** The exit reason of the stage's last fault ({@link X86ExitReason}). */
  readonly exitReason?: number;
  /** The exit qualification of the stage's last fault as the stage alone knows it: bits 0-6. */
  readonly exitQualification?: number;
  /** The stage's permissions for its last translation (MappingFlags READ, WRITE, EXECUTE), ANDed into stage 1's. */
  readonly permissions?: number;
}

/**
 * The exit qualification of an EPT violation of a guest access: the stage's bits 0-6 and what the guest walk knows
 * (Table 28-7): bit 7 always (the linear address is known); for a guest paging-structure access (`onWalk`), bit 0
 * too when the access counted as a write under EPTP bit 6 (`walkAsWrite`); for the access to the translation,
 * bit 8 and the advanced bits 9-11 from the guest rights (`guestBits`: USER_LINEAR | WRITABLE_LINEAR | XD_LINEAR).
 * A misconfiguration (or another reason) keeps the stage's bits.
 */
export function guestExitQualification(
  reason: number,
  stageBits: number,
  onWalk: boolean,
  walkAsWrite: boolean,
  guestBits: number,
): number {
  if (reason !== 48) return stageBits;
  if (onWalk) return stageBits | 0x80 | (walkAsWrite ? 0x1 : 0);
  return stageBits | 0x180 | (guestBits & 0xe00);
}
