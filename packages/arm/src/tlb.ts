// The ARMv7 vocabulary of core's Tlb: the CP15 TLB maintenance operations of the short-descriptor (and LPAE)
// formats. The ASID is the TLB's (`tlb.asid`, CONTEXTIDR.ASID, 8 bits).
// Source: ARM Architecture Reference Manual ARMv7-A and ARMv7-R edition (DDI 0406C.d), B4.2.2 "TLB maintenance
//   operations, functional group": TLBIALL (every unlocked entry), TLBIMVA (entries of the MVA with the ASID, and
//   global entries of the MVA; operand MVA[31:12] and ASID[7:0]), TLBIASID (every non-global entry of the ASID),
//   TLBIMVAA (entries of the MVA, any ASID; ARMv7 with the Multiprocessing Extensions). The unified, instruction
//   and data TLB forms (ITLB*, DTLB*) act on the one TLB modelled here the same way.
import type { AddrInput, Tlb } from '@page-table-multiarch/core';

/** TLBIALL: every entry of the current VMID, global ones included. */
export function tlbiall<S>(tlb: Tlb<S>): void {
  tlb.invalidate({ global: true });
}

/**
 * TLBIMVA: the entries of the page holding `mva` tagged with `asid`, and the global entries of that page.
 * @throws TypeError / PagingError 'InvalidAddress' for an address that is not a u64; RangeError for an ASID
 *   outside 0-255.
 */
export function tlbimva<S>(tlb: Tlb<S>, mva: AddrInput, asid: number): void {
  tlb.invalidate({ vaddr: mva, asid: checkAsid(asid, 'tlbimva'), global: true });
}

/**
 * TLBIASID: every non-global entry tagged with `asid`.
 * @throws RangeError for an ASID outside 0-255.
 */
export function tlbiasid<S>(tlb: Tlb<S>, asid: number): void {
  tlb.invalidate({ asid: checkAsid(asid, 'tlbiasid'), global: false });
}

/**
 * TLBIMVAA: every entry of the page holding `mva`, whatever its ASID, global ones included.
 * @throws TypeError / PagingError 'InvalidAddress' for an address that is not a u64.
 */
export function tlbimvaa<S>(tlb: Tlb<S>, mva: AddrInput): void {
  tlb.invalidate({ vaddr: mva, global: true });
}

/** The ASID of the operand's bits 7:0 (CONTEXTIDR.ASID). */
function checkAsid(asid: number, op: string): number {
  if (!(Number.isInteger(asid) && asid >= 0 && asid <= 0xff)) throw new RangeError(`${op}: "asid" ${String(asid)} is not in 0-255`);
  return asid;
}
