// The x86 vocabulary of core's Tlb: INVLPG, the four INVPCID types and MOV to CR3 with and without its no-flush
// bit. The PCID is the TLB's ASID (`tlb.asid`, 0 while CR4.PCIDE = 0); VPID, if any, is `tlb.vmid`.
// Source: Intel SDM (Order 325462, rev. 084): Vol. 3A 4.10.1 "Process-Context Identifiers" (PCID in CR3 bits 11:0
//   when CR4.PCIDE = 1; CR3 bit 63 on MOV to CR3 asks for no invalidation), 4.10.4.1 "Operations that Invalidate
//   TLBs and Paging-Structure Caches" (what INVLPG, INVPCID and MOV to CR3 remove); Vol. 2A "INVPCID" (the types
//   0-3; any other type raises #GP(0)).
import { type AddrInput, registerValue, type Tlb } from '@page-table-multiarch/core';

/**
 * INVLPG m: the TLB entries of the page holding `vaddr` for the current PCID, and the global entries of that page
 * whatever their PCID [Vol. 3A 4.10.4.1]. (A non-canonical address makes INVLPG a no-op; the caller knows the
 * paging mode and skips the call.)
 * @throws TypeError / PagingError 'InvalidAddress' for an address that is not a u64.
 */
export function invlpg<S>(tlb: Tlb<S>, vaddr: AddrInput): void {
  tlb.invalidate({ vaddr, asid: tlb.asid, global: true });
}

/** The INVPCID types [Vol. 2A "INVPCID"]. */
export const InvpcidType: {
  /** 0: one address of one PCID, global translations kept. */
  readonly INDIVIDUAL_ADDRESS: 0;
  /** 1: every address of one PCID, global translations kept. */
  readonly SINGLE_CONTEXT: 1;
  /** 2: every address of every PCID, global translations included. */
  readonly ALL_CONTEXT_INCLUDING_GLOBAL: 2;
  /** 3: every address of every PCID, global translations kept. */
  readonly ALL_CONTEXT: 3;
} = /* @__PURE__ */ Object.freeze({ INDIVIDUAL_ADDRESS: 0, SINGLE_CONTEXT: 1, ALL_CONTEXT_INCLUDING_GLOBAL: 2, ALL_CONTEXT: 3 } as const);

/**
 * INVPCID with its type and descriptor (PCID in bits 11:0 of the descriptor, the address for type 0)
 * [Vol. 2A "INVPCID", Vol. 3A 4.10.4.1].
 * @throws RangeError for a type outside 0-3 (the CPU's #GP(0)) or a PCID outside 0-4095, before anything is
 *   removed; TypeError / PagingError 'InvalidAddress' for a type-0 address that is not a u64.
 */
export function invpcid<S>(tlb: Tlb<S>, type: 0 | 1 | 2 | 3, pcid: number, vaddr?: AddrInput): void {
  if (!(Number.isInteger(pcid) && pcid >= 0 && pcid <= 0xfff)) throw new RangeError(`invpcid: "pcid" ${String(pcid)} is not in 0-4095`);
  switch (type) {
    case 0:
      if (vaddr === undefined) throw new RangeError('invpcid: type 0 (individual address) needs "vaddr"');
      tlb.invalidate({ vaddr, asid: pcid, global: false });
      return;
    case 1:
      tlb.invalidate({ asid: pcid, global: false });
      return;
    case 2:
      tlb.invalidate({ global: true });
      return;
    case 3:
      tlb.invalidate({ global: false });
      return;
    default:
      throw new RangeError(`invpcid: type ${String(type)} is not 0-3`);
  }
}

/**
 * MOV to CR3: makes the new PCID current (CR3 bits 11:0 when `pcide`, else 0) and removes what Vol. 3A 4.10.4.1
 * says: with CR4.PCIDE = 0, every non-global entry of PCID 0; with PCIDE = 1 and bit 63 clear, every
 * non-global entry of the new PCID; with PCIDE = 1 and bit 63 set, nothing. Global entries stay in every case.
 * (The new root is the MMU model's business: load it there too.)
 * @throws TypeError / PagingError 'InvalidAddress' for a value that is not a u64; nothing changes then.
 */
export function movToCr3<S>(tlb: Tlb<S>, cr3: AddrInput, pcide: boolean): void {
  const value = registerValue(cr3, 'cr3');
  const pcid = pcide ? Number(value & 0xfffn) : 0;
  tlb.asid = pcid;
  if (pcide && value >> 63n === 1n) return;
  tlb.invalidate({ asid: pcid, global: false });
}
