// The LoongArch vocabulary of core's Tlb: INVTLB op, rj, rk, with the ASID of rj[9:0] and the address of rk. The
// current ASID is the TLB's (`tlb.asid`, CSR.ASID.ASID, 10 bits).
// Source: LoongArch Reference Manual, Volume 1: Basic Architecture (v1.10), 4.2.4 "TLB Maintenance Instructions",
//   INVTLB: op 0x0 and 0x1 every entry; 0x2 every entry with G = 1; 0x3 every entry with G = 0; 0x4 G = 0 and ASID
//   equal to rj[9:0]; 0x5 G = 0, that ASID and the VA of rk; 0x6 G = 1 or that ASID, and the VA of rk. Any other op
//   raises an instruction non-defined exception (INE).
import type { AddrInput, Tlb } from '@page-table-multiarch/core';

/**
 * INVTLB `op`, rj, rk: removes what the op selects (see the source note above); `asid` is rj[9:0] (ops 4-6) and
 * `vaddr` the address in rk (ops 5 and 6).
 * @throws RangeError for an op outside 0-6 (the CPU's INE exception), an ASID outside 0-1023, or op 5 / 6 without
 *   an address; TypeError / PagingError 'InvalidAddress' for an address that is not a u64. Nothing is removed then.
 */
export function invtlb<S>(tlb: Tlb<S>, op: number, asid = 0, vaddr?: AddrInput): void {
  if (!(Number.isInteger(asid) && asid >= 0 && asid <= 0x3ff)) throw new RangeError(`invtlb: "asid" ${String(asid)} is not in 0-1023`);
  if ((op === 5 || op === 6) && vaddr === undefined) throw new RangeError(`invtlb: op ${op} needs "vaddr" (rk)`);
  switch (op) {
    case 0:
    case 1:
      tlb.invalidate({ global: true });
      return;
    case 2:
      tlb.invalidate({ asid: 'none', global: true });
      return;
    case 3:
      tlb.invalidate({ asid: 'all', global: false });
      return;
    case 4:
      tlb.invalidate({ asid, global: false });
      return;
    case 5:
      tlb.invalidate({ vaddr: vaddr as AddrInput, asid, global: false });
      return;
    case 6:
      tlb.invalidate({ vaddr: vaddr as AddrInput, asid, global: true });
      return;
    default:
      throw new RangeError(`invtlb: op ${String(op)} is not 0x0-0x6`);
  }
}
