// The RISC-V vocabulary of core's Tlb: SFENCE.VMA in its four forms and a satp write that switches the TLB's
// address space.
// Source: The RISC-V Instruction Set Manual, Volume II: Privileged Architecture (20211203), cited as [Priv]:
//   4.2.1 "Supervisor Memory-Management Fence Instruction" (the rs1 / rs2 forms; an rs1 that is not a valid virtual
//   address makes the instruction a no-op, raising nothing; rs2 bits above ASIDMAX are ignored); 4.1.11 "Supervisor
//   Address Translation and Protection (satp) Register" (ASID in bits 59:44, ASIDMAX = 16 for SXLEN = 64; writing
//   satp does not flush address-translation caches).
// The hypervisor fences, for a two-stage Tlb (a RiscvMmu over a RiscvGStageMmu, whose entries map guest virtual
//   addresses to supervisor physical ones, tagged by `tlb.vmid`, hgatp.VMID) or a Tlb over a RiscvGStageMmu alone
//   (guest-physical to supervisor physical): the Hypervisor Extension chapter, cited as [H], "Hypervisor
//   Memory-Management Fence Instructions" (HFENCE.VVMA acts as SFENCE.VMA would in VS-mode, for the current VMID
//   only; HFENCE.GVMA rs1 holds a guest-physical address shifted right by 2, rs2 a VMID; the commentary says that a
//   cache of guest-virtual to physical translations must flush every entry whose guest virtual address maps to a
//   matching guest-physical address, and that flushing every entry of the VMID whatever the address is a common
//   technique) and "Hypervisor Guest Address Translation and Protection Register (hgatp)" (VMIDMAX = 14 for HSXLEN = 64).
import { type AddrInput, registerValue, type Tlb } from '@page-table-multiarch/core';
import { RiscvGStageMmu } from './gstage-mmu';
import { type RiscvFaultSyndrome, RiscvMmu } from './mmu';

/** ASIDMAX for SXLEN = 64: satp.ASID is 16 bits [Priv 4.1.11]. */
const ASID_MASK = 0xffff;
/** VMIDMAX for HSXLEN = 64: hgatp.VMID is 14 bits [H, hgatp]. */
const VMID_MASK = 0x3fffn;
const U64 = 0xffff_ffff_ffff_ffffn; // 2^64 - 1 (a literal: bundles drop it when unused)

/**
 * SFENCE.VMA rs1, rs2 on a TLB (over a {@link RiscvMmu}, or any model) [Priv 4.2.1]. Leave an operand undefined
 * for x0:
 * - `sfenceVma(tlb)`: every entry, of every address space, global ones included;
 * - `sfenceVma(tlb, undefined, asid)`: the entries of that ASID, except global ones;
 * - `sfenceVma(tlb, va)`: the entries of the page holding va, in every address space, global ones included;
 * - `sfenceVma(tlb, va, asid)`: the entries of that page in that ASID, except global ones.
 *
 * As on the hart, an rs1 that is not a valid virtual address of the current satp mode (with a RiscvMmu model)
 * removes nothing, and the bits of rs2 above the 16 ASID bits are ignored. A register that holds 0 is not x0:
 * `sfenceVma(tlb, 0)` fences the page at address 0.
 * @throws TypeError / PagingError 'InvalidAddress' for an rs1 or rs2 that is not a u64 (a register's value).
 * @example
 * cursor.unmap(0x40_1000n);       // the kernel of ASID 5 unmaps a page...
 * sfenceVma(tlb, 0x40_1000n, 5);   // ...and runs sfence.vma a0, a1 with a0 = 0x401000, a1 = 5
 */
export function sfenceVma<S>(tlb: Tlb<S>, rs1?: AddrInput, rs2?: AddrInput): void {
  const asid = rs2 === undefined ? undefined : Number(registerValue(rs2, 'sfenceVma rs2') & BigInt(ASID_MASK));
  if (rs1 === undefined) {
    if (asid === undefined) tlb.invalidate({ global: true });
    else tlb.invalidate({ asid, global: false });
    return;
  }
  const va = registerValue(rs1, 'sfenceVma rs1');
  const model = tlb.model;
  if (model instanceof RiscvMmu && model.levels > 0) {
    // Sv39 / Sv48 / Sv57: bits 63:VA-1 must all equal bit VA-1 [Priv 4.4.1, 4.5.1, 4.6.1]
    const top = va >> BigInt(9 * model.levels + 11);
    if (top !== 0n && top !== (1n << BigInt(64 - 9 * model.levels - 11)) - 1n) return;
  }
  if (asid === undefined) tlb.invalidate({ vaddr: va, global: true });
  else tlb.invalidate({ vaddr: va, asid, global: false });
}

/**
 * Writes satp on the TLB's {@link RiscvMmu} and makes its ASID the TLB's current one, flushing nothing: entries of
 * other ASIDs wait for a switch back, and entries of the same ASID made from another root stay until an
 * SFENCE.VMA, as on a hart [Priv 4.1.11, 4.2.1].
 * @throws TypeError when the TLB's model is not a RiscvMmu; what {@link RiscvMmu.setSatp} throws, with nothing
 *   changed.
 */
export function writeSatp(tlb: Tlb<RiscvFaultSyndrome>, satp: AddrInput): void {
  const model = tlb.model;
  if (!(model instanceof RiscvMmu)) throw new TypeError('writeSatp: the TLB does not translate through a RiscvMmu');
  model.setSatp(satp);
  tlb.asid = model.asid;
}

/**
 * HFENCE.VVMA rs1, rs2 [H]: SFENCE.VMA as the guest would run it in VS-mode ({@link sfenceVma}: by guest virtual
 * address and / or guest ASID, the VS-stage's globals spared by an ASID), in the current VMID (`tlb.vmid`) alone;
 * the two-stage entries of other VMIDs stay. Operands as sfenceVma's; an rs1 that is not a valid guest virtual
 * address of the model's vsatp mode removes nothing.
 * @throws TypeError / PagingError 'InvalidAddress' for an rs1 or rs2 that is not a u64, with nothing removed.
 */
export function hfenceVvma<S>(tlb: Tlb<S>, rs1?: AddrInput, rs2?: AddrInput): void {
  // Tlb.invalidate acts in tlb.vmid: the VMID the hart's hgatp holds
  sfenceVma(tlb, rs1, rs2);
}

/**
 * HFENCE.GVMA rs1, rs2 [H]: the G-stage translations of guest-physical address `rs1 << 2` (rs1 = x0: every one) in
 * VMID rs2 (x0: every VMID; bits above the 14 VMID bits ignored). A Tlb over a {@link RiscvGStageMmu} alone loses the
 * entries of that guest-physical page; a two-stage Tlb (over a RiscvMmu with a second stage) cannot find its entries
 * by guest-physical address, so it flushes every entry of the VMID named, which [H] gives as the common
 * implementation.
 * @throws TypeError / PagingError 'InvalidAddress' for an rs1 or rs2 that is not a u64, with nothing removed.
 * @example
 * gstageCursor.unmap(0x8020_0000n);          // the hypervisor unmaps a guest-physical page of VMID 3...
 * hfenceGvma(tlb, 0x8020_0000n >> 2n, 3);    // ...and runs hfence.gvma a0, a1 with a0 = gpa >> 2, a1 = 3
 */
export function hfenceGvma<S>(tlb: Tlb<S>, rs1?: AddrInput, rs2?: AddrInput): void {
  const vmid = rs2 === undefined ? 'all' : Number(registerValue(rs2, 'hfenceGvma rs2') & VMID_MASK);
  const gpa = rs1 === undefined ? undefined : (registerValue(rs1, 'hfenceGvma rs1') << 2n) & U64;
  if (gpa !== undefined && tlb.model instanceof RiscvGStageMmu) tlb.invalidate({ vaddr: gpa, global: true, vmid });
  else tlb.invalidate({ global: true, vmid });
}
