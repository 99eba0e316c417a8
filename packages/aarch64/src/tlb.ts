// The AArch64 vocabulary of core's Tlb: the stage-1 EL1&0 TLBI instructions, acting in the current VMID
// (`tlb.vmid`). The ASID is the TLB's (`tlb.asid`, TTBRn_EL1.ASID).
// Source: Arm Architecture Reference Manual for A-profile (DDI 0487), C5.5 "A64 System instructions for TLB
//   maintenance": TLBI VAE1 / VALE1 (by VA: entries of that ASID, and global entries, for the VA), TLBI ASIDE1
//   (every non-global entry of the ASID), TLBI VMALLE1 (every stage-1 EL1&0 entry of the current VMID), TLBI VAAE1 /
//   VAALE1 (by VA, any ASID, global entries included). The Xt operand holds VA[55:12] in bits 43:0 and the ASID in
//   bits 63:48; the helpers take the address and the ASID as they are. The "last level" forms (VALE1, VAALE1) may
//   keep walk caches; this TLB caches only leaves, so they remove what VAE1 / VAAE1 remove.
import type { AddrInput, Tlb } from '@page-table-multiarch/core';

/**
 * TLBI VAE1 (and VALE1): the entries of the page holding `vaddr` tagged with `asid`, and that page's global entries.
 * @throws TypeError / PagingError 'InvalidAddress' for an address that is not a u64; RangeError for an ASID
 *   outside 0-65535.
 */
export function tlbiVae1<S>(tlb: Tlb<S>, vaddr: AddrInput, asid: number): void {
  tlb.invalidate({ vaddr, asid: checkAsid(asid, 'tlbiVae1'), global: true });
}

/**
 * TLBI ASIDE1: every non-global entry tagged with `asid`.
 * @throws RangeError for an ASID outside 0-65535.
 */
export function tlbiAside1<S>(tlb: Tlb<S>, asid: number): void {
  tlb.invalidate({ asid: checkAsid(asid, 'tlbiAside1'), global: false });
}

/** TLBI VMALLE1: every stage-1 entry of the current VMID, global ones included. */
export function tlbiVmalle1<S>(tlb: Tlb<S>): void {
  tlb.invalidate({ global: true });
}

/**
 * TLBI VAAE1 (and VAALE1): every entry of the page holding `vaddr`, whatever its ASID, global ones included.
 * @throws TypeError / PagingError 'InvalidAddress' for an address that is not a u64.
 */
export function tlbiVaae1<S>(tlb: Tlb<S>, vaddr: AddrInput): void {
  tlb.invalidate({ vaddr, global: true });
}

/** An ASID of Xt[63:48]: 16 bits (8 significant when TCR_EL1.AS = 0). */
function checkAsid(asid: number, op: string): number {
  if (!(Number.isInteger(asid) && asid >= 0 && asid <= 0xffff)) throw new RangeError(`${op}: "asid" ${String(asid)} is not in 0-65535`);
  return asid;
}
