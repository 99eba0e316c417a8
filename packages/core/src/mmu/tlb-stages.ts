// What a Tlb entry of a two-stage translation holds, and how a hit re-checks it. The hardware caches the combined
// translation, virtual address to physical address, in one entry tagged by the VMID, and checks both stages'
// permissions on a hit: Arm ARM DDI 0487 D8.14 ("Translation Lookaside Buffers": an entry may combine stage 1 and
// stage 2 information, tagged by the VMID); RISC-V Privileged spec, Hypervisor Extension, "Hypervisor
// Memory-Management Fence Instructions" (the usual translation cache maps guest virtual to supervisor physical
// addresses directly); Intel SDM Vol. 3C 29.4.2 ("combined mappings", tagged by VPID, PCID and EP4TA, holding the
// rights both the guest paging structures and EPT give).
//
// Why the attributes of both stages, and not the permissions of the access that filled the entry: each stage's
// outcome depends on inputs that change without an invalidation (stage 1: the privilege and mode bits such as PAN,
// SUM, SMAP; stage 2: RISC-V's HS-level MXR, AArch64 FEAT_XNX per Exception level), and each stage has its own
// dirty state, whose clean value must send a store to the walk (which sets it or faults). So a stage-1 model over a
// second stage that is itself a `TlbWalker` reports the second stage's leaf attributes above its own (and its mode
// key above its own), and its `tlbCheck` is `combineTlbChecks` of the two stages' checks.
import { MappingFlags } from '../flags';
import type { SecondStage } from './stage2';
import { MAX_ATTRIBUTE_BITS, MAX_MODE_BITS, type TlbWalker } from './tlb-types';

/** A second stage whose translations a `Tlb` can cache: it reports its leaf as a `TlbWalker` does. */
export type SecondStageTlbWalker = SecondStage & TlbWalker;

/**
 * The second stage of a stage-1 model as a `TlbWalker`, when it is one and its attributes and mode bits fit beside
 * the stage-1 model's own (`ownAttributeBits`, `ownModeBits`) in a `Tlb` (12 attribute bits, 8 mode bits in all);
 * else null, and the model leaves its two-stage translations uncached (`leafAttributes` -1).
 */
export function secondStageTlbWalker(stage2: SecondStage | null, ownAttributeBits: number, ownModeBits: number): SecondStageTlbWalker | null {
  if (stage2 === null) return null;
  const w = stage2 as Partial<TlbWalker>;
  if (typeof w.tlbCheck !== 'function' || typeof w.tlbModeKey !== 'function') return null;
  const bits = w.tlbAttributeBits;
  const modes = w.tlbModeBits;
  if (typeof bits !== 'number' || typeof modes !== 'number') return null;
  if (ownAttributeBits + bits > MAX_ATTRIBUTE_BITS || ownModeBits + modes > MAX_MODE_BITS) return null;
  return stage2 as SecondStageTlbWalker;
}

/**
 * The `TlbWalker.tlbCheck` answer for a two-stage entry from each stage's own answer: an access kind is served
 * without a walk only when both stages serve it (so a store to a page either stage holds clean walks), and the
 * effective permissions are READ / WRITE / EXECUTE where both stages give them, with USER from stage 1 alone (a
 * second stage has no privilege levels of its own: a RISC-V G-stage leaf is always a U-mode one).
 */
export function combineTlbChecks(first: number, second: number): number {
  const perms = (first >>> 3) & ((second >>> 3) | MappingFlags.USER);
  return (perms << 3) | (first & second & 7);
}
