// What a stage-1 MMU model needs of a second stage, for two-stage translation (a guest's own tables under a
// hypervisor's): AArch64 stage 1 over stage 2 (ARM DDI 0487, D8.1 "Address translation" and D8.3 "Translation
// table walks", stage 2 translates every stage-1 table address and the output address), RISC-V VS-stage over
// G-stage (Privileged spec, 9.5 "Two-Stage Address Translation"), x86 guest paging over EPT (SDM Vol. 3C, 29.3
// "The Extended Page Table Mechanism": guest-physical addresses, the paging-structure entries included, go through
// EPT). Each architecture's stage-1 model takes a `SecondStage` as an option and reports a stage-2 fault in its own
// syndrome (AArch64 S1PTW / HPFAR, RISC-V guest-page faults 20/21/23 with htval, an EPT violation's exit
// qualification).
import type { AccessKind, PrivilegeLevel } from './access';

/**
 * A second stage of translation as a stage-1 model calls it: any `MmuModel` whose input addresses are
 * intermediate / guest-physical addresses fits (the stage-2 models of the architecture packages).
 *
 * A stage-1 model with a second stage passes through it, before reading memory:
 * - every stage-1 table entry address, as `Access.READ` (or `Access.WRITE` where the walk writes accessed / dirty
 *   flags into the entry);
 * - the output address of the stage-1 leaf, with the access's own kind.
 * It knows which of the two it asked for, and reports a stage-2 fault on a table read with `onWalk` (and the
 * architecture's own bit: AArch64 S1PTW, an EPT violation's qualification bit 8 clear, RISC-V's htinst). The
 * privilege argument is the access's; a stage 2 without privileges ignores it.
 */
export interface SecondStage {
  /**
   * Translates one intermediate / guest-physical address given as u32 halves: 0 with the result in
   * `paLo` / `paHi`, or a negative `MmuCode` with the stage's details in its own fields. As
   * `MmuModel.translateWords`: no BigInt, no allocation, no throw on the common path.
   */
  translateWords(ipaLo: number, ipaHi: number, access: AccessKind, privilege: PrivilegeLevel): number;
  /** Low 32 bits of the last successful translation's output address. */
  readonly paLo: number;
  /** High 32 bits of the last successful translation's output address. */
  readonly paHi: number;
  /** Bytes of the stage-2 page of the last successful translation (a TLB caches the smaller of the two stages). */
  readonly pageSize: number;
  /** Level of the stage-2 leaf found, or of the stage-2 entry that faulted. */
  readonly level: number;
}

/**
 * Which stage a fault of a two-stage translation came from ({@link MmuModel.faultStage}): 1 for the stage-1
 * tables, 2 for stage 2 (on a stage-1 table read when the stage-1 model's `faultOnWalk` is true, else on the
 * output address).
 */
export type FaultStage = 1 | 2;
