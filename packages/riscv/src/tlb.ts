// The RISC-V vocabulary of core's Tlb: SFENCE.VMA in its four forms and a satp write that switches the TLB's
// address space.
// Source: The RISC-V Instruction Set Manual, Volume II: Privileged Architecture (20211203), cited as [Priv]:
//   4.2.1 "Supervisor Memory-Management Fence Instruction" (the rs1 / rs2 forms; an rs1 that is not a valid virtual
//   address makes the instruction a no-op, raising nothing; rs2 bits above ASIDMAX are ignored); 4.1.11 "Supervisor
//   Address Translation and Protection (satp) Register" (ASID in bits 59:44, ASIDMAX = 16 for SXLEN = 64; writing
//   satp does not flush address-translation caches).
import { type AddrInput, registerValue, type Tlb } from '@page-table-multiarch/core';
import { type RiscvFaultSyndrome, RiscvMmu } from './mmu';

/** ASIDMAX for SXLEN = 64: satp.ASID is 16 bits [Priv 4.1.11]. */
const ASID_MASK = 0xffff;

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
