// The x86 vocabulary of core's Tlb: INVLPG, the four INVPCID types and MOV to CR3 with and without its no-flush
// bit. The PCID is the TLB's ASID (`tlb.asid`, 0 while CR4.PCIDE = 0); VPID, if any, is `tlb.vmid`.
// Source: Intel SDM (Order 325462, rev. 084): Vol. 3A 4.10.1 "Process-Context Identifiers" (PCID in CR3 bits 11:0
//   when CR4.PCIDE = 1; CR3 bit 63 on MOV to CR3 asks for no invalidation), 4.10.4.1 "Operations that Invalidate
//   TLBs and Paging-Structure Caches" (what INVLPG, INVPCID and MOV to CR3 remove); Vol. 2A "INVPCID" (the types
//   0-3; any other type raises #GP(0)).
// The VMX forms, for a Tlb over an X86Mmu whose second stage is an X86EptMmu (combined mappings, tagged by VPID =
//   `tlb.vmid` and PCID = `tlb.asid`) or over an X86EptMmu alone (guest-physical mappings): Vol. 3C 29.4.1
//   "Information That May Be Cached" (linear, guest-physical and combined mappings; combined ones are also tagged by
//   EP4TA, which this TLB does not keep) and 29.4.3.1 "Operations that Invalidate Cached Mappings" (INVEPT
//   single-context: the guest-physical and combined mappings of one EP4TA, for every VPID and PCID, and "may
//   invalidate mappings associated with other EP4TAs"; all-context: every EP4TA; INVVPID types 0-3 on the linear and
//   combined mappings of a VPID, for every PCID and EP4TA, all-context sparing VPID 0); Vol. 3C 31 "INVEPT",
//   "INVVPID" (an unsupported type, a VPID of 0 for types 0, 1, 3, or a non-canonical address for type 0 fail:
//   VMfailValid).
import { type AddrInput, registerValue, type Tlb } from '@page-table-multiarch/core';
import { X86EptMmu } from './ept-mmu';
import { X86Mmu } from './mmu';

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

/** The INVEPT types [Vol. 3C 29.4.3.1]. */
export const InveptType: {
  /** 1: the guest-physical and combined mappings of the EPTP's EP4TA (every VPID and PCID). */
  readonly SINGLE_CONTEXT: 1;
  /** 2: the guest-physical and combined mappings of every EP4TA. */
  readonly ALL_CONTEXT: 2;
} = /* @__PURE__ */ Object.freeze({ SINGLE_CONTEXT: 1, ALL_CONTEXT: 2 } as const);

/**
 * INVEPT with its type and, for single-context, the EPTP of its descriptor [Vol. 3C 29.4.3.1]. Entries made through
 * EPT (a Tlb over an X86Mmu with an X86EptMmu second stage, or over an X86EptMmu) are removed, of every VPID and
 * PCID; since this TLB does not tag them by EP4TA, single-context removes those of every EP4TA, which the SDM allows
 * ("may invalidate mappings associated with other EP4TAs"). Linear mappings (a Tlb over an X86Mmu without EPT) stay.
 * @throws RangeError for a type other than 1 or 2, or single-context without an EPTP (the instruction's VMfail);
 *   TypeError / PagingError 'InvalidAddress' for an EPTP that is not a u64. Nothing is removed then.
 */
export function invept<S>(tlb: Tlb<S>, type: 1 | 2, eptp?: AddrInput): void {
  if (type !== 1 && type !== 2) throw new RangeError(`invept: type ${String(type)} is not 1 (single-context) or 2 (all-context)`);
  if (type === 1) {
    if (eptp === undefined) throw new RangeError('invept: type 1 (single-context) needs "eptp"');
    registerValue(eptp, 'invept eptp');
  }
  const model = tlb.model;
  const throughEpt = model instanceof X86EptMmu || (model instanceof X86Mmu && model.secondStage instanceof X86EptMmu);
  if (throughEpt) tlb.invalidate({ global: true, vmid: 'all' });
}

/** The INVVPID types [Vol. 3C 29.4.3.1]. */
export const InvvpidType: {
  /** 0: the mappings of one linear address of one VPID (global ones included, every PCID). */
  readonly INDIVIDUAL_ADDRESS: 0;
  /** 1: every mapping of one VPID (global ones included, every PCID). */
  readonly SINGLE_CONTEXT: 1;
  /** 2: every mapping of every VPID but 0. */
  readonly ALL_CONTEXT: 2;
  /** 3: every mapping of one VPID except global translations. */
  readonly SINGLE_CONTEXT_RETAINING_GLOBALS: 3;
} = /* @__PURE__ */ Object.freeze({ INDIVIDUAL_ADDRESS: 0, SINGLE_CONTEXT: 1, ALL_CONTEXT: 2, SINGLE_CONTEXT_RETAINING_GLOBALS: 3 } as const);

/**
 * INVVPID with its type and descriptor (VPID in bits 15:0, the linear address for type 0) [Vol. 3C 29.4.3.1]: the
 * linear and combined mappings of the VPID (`tlb.vmid` tags them), for every PCID. Type 0 checks the address as
 * canonical for the model's paging (57 bits with 5-level paging, else 48).
 * @throws RangeError for a type outside 0-3, a VPID outside 0-65535, VPID 0 with type 0, 1 or 3, type 0 without an
 *   address or with a non-canonical one (the instruction's VMfail); TypeError / PagingError 'InvalidAddress' for an
 *   address that is not a u64. Nothing is removed then.
 */
export function invvpid<S>(tlb: Tlb<S>, type: 0 | 1 | 2 | 3, vpid: number, vaddr?: AddrInput): void {
  if (type !== 0 && type !== 1 && type !== 2 && type !== 3) throw new RangeError(`invvpid: type ${String(type)} is not 0-3`);
  if (!(Number.isInteger(vpid) && vpid >= 0 && vpid <= 0xffff)) throw new RangeError(`invvpid: "vpid" ${String(vpid)} is not in 0-65535`);
  if (type !== 2 && vpid === 0) throw new RangeError(`invvpid: type ${type} with VPID 0 fails (VMfailValid)`);
  switch (type) {
    case 0: {
      if (vaddr === undefined) throw new RangeError('invvpid: type 0 (individual address) needs "vaddr"');
      const va = registerValue(vaddr, 'invvpid vaddr');
      const bits = tlb.model instanceof X86Mmu && tlb.model.levels === 5 ? 57 : 48;
      const top = va >> BigInt(bits - 1);
      if (top !== 0n && top !== (1n << BigInt(65 - bits)) - 1n) {
        throw new RangeError(`invvpid: "vaddr" 0x${va.toString(16)} is not canonical (${bits}-bit linear addresses)`);
      }
      tlb.invalidate({ vaddr: va, global: true, vmid: vpid });
      return;
    }
    case 1:
      tlb.invalidate({ global: true, vmid: vpid });
      return;
    case 2:
      tlb.invalidate({ global: true, vmid: 'nonzero' });
      return;
    default:
      tlb.invalidate({ global: false, vmid: vpid });
  }
}
