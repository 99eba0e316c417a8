// The AArch64 vocabulary of core's Tlb: the stage-1 EL1&0 TLBI instructions, acting in the current VMID
// (`tlb.vmid`). The ASID is the TLB's (`tlb.asid`, TTBRn_EL1.ASID).
// Source: Arm Architecture Reference Manual for A-profile (DDI 0487), C5.5 "A64 System instructions for TLB
//   maintenance": TLBI VAE1 / VALE1 (by VA: entries of that ASID, and global entries, for the VA), TLBI ASIDE1
//   (every non-global entry of the ASID), TLBI VMALLE1 (every stage-1 EL1&0 entry of the current VMID), TLBI VAAE1 /
//   VAALE1 (by VA, any ASID, global entries included). The Xt operand holds VA[55:12] in bits 43:0 and the ASID in
//   bits 63:48; the helpers take the address and the ASID as they are. The "last level" forms (VALE1, VAALE1) may
//   keep walk caches; this TLB caches only leaves, so they remove what VAE1 / VAAE1 remove.
// The EL2 forms for a second stage (C5.5, and D8.14 "Translation Lookaside Buffers", its "Invalidation of TLB
//   entries from stage 2 translations"): TLBI VMALLS12E1 (every stage 1 and stage 2 entry of the current VMID),
//   TLBI IPAS2E1 / IPAS2LE1 (stage 2 only entries of an IPA in the current VMID: the invalidation "is not required
//   to apply to caching structures that combine stage 1 and stage 2 translation table entries", so a hypervisor
//   follows it with TLBI VMALLE1 to remove them), TLBI ALLE1 (every EL1&0 entry, of every VMID). A Tlb over an
//   A64Mmu with a second stage holds combined entries; a Tlb over an A64Stage2Mmu alone holds stage 2 only ones.
import { type AddrInput, registerValue, type Tlb } from '@page-table-multiarch/core';
import { A64Stage2Mmu } from './stage2-mmu';

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

/** TLBI VMALLS12E1: every stage 1 and stage 2 entry of the current VMID (combined ones too), global ones included. */
export function tlbiVmalls12e1<S>(tlb: Tlb<S>): void {
  tlb.invalidate({ global: true });
}

/**
 * TLBI IPAS2E1 (and IPAS2LE1): the stage 2 only entries of the current VMID for the page holding `ipa` (D8.14). A
 * Tlb over an {@link A64Stage2Mmu} holds such entries (keyed by IPA) and loses that page's; the combined stage 1 and
 * stage 2 entries of a Tlb over an `A64Mmu` are not found by IPA and stay, as the manual allows: a hypervisor that
 * changed a stage 2 mapping issues TLBI VMALLE1 (or VMALLS12E1) after it, before the guest may rely on the change.
 * @throws TypeError / PagingError 'InvalidAddress' for an address that is not a u64, with nothing removed.
 * @example
 * s2cursor.unmap(0x8000_0000n);
 * tlbiIpas2e1(tlb, 0x8000_0000n); // stage 2 only entries of the IPA
 * tlbiVmalle1(tlb);               // then the combined entries, which may map any VA to that IPA
 */
export function tlbiIpas2e1<S>(tlb: Tlb<S>, ipa: AddrInput): void {
  const value = registerValue(ipa, 'tlbiIpas2e1 ipa');
  if (tlb.model instanceof A64Stage2Mmu) tlb.invalidate({ vaddr: value, global: true });
}

/** TLBI ALLE1: every EL1&0 entry of every VMID, stage 1, stage 2 and combined, global ones included. */
export function tlbiAlle1<S>(tlb: Tlb<S>): void {
  tlb.invalidate({ global: true, vmid: 'all' });
}

/** An ASID of Xt[63:48]: 16 bits (8 significant when TCR_EL1.AS = 0). */
function checkAsid(asid: number, op: string): number {
  if (!(Number.isInteger(asid) && asid >= 0 && asid <= 0xffff)) throw new RangeError(`${op}: "asid" ${String(asid)} is not in 0-65535`);
  return asid;
}
