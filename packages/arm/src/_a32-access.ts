// What the two ARMv7 MMU models (mmu.ts, short descriptors; mmu-lpae.ts, long descriptors) share: the simplified
// access permissions of AP[2:1], the execute-never rules, and reading a 32-bit register.
// Source: ARM DDI 0406C.d, B3.7.1 Table B3-9 (AP[2:1]: the access permissions of the simplified model, which the
// long-descriptor format always uses and the short-descriptor format uses with SCTLR.AFE = 1), B3.7.2 "Execute-never
// restrictions on instruction fetching" (XN; PXN at PL1; a fetch needs read permission at its privilege; SCTLR.WXN,
// bit 19: a writable region is XN; SCTLR.UWXN, bit 20: a region writable at PL0 is PXN), B4.1.130 SCTLR.
import { type AddrInput, field, registerValue } from '@page-table-multiarch/core';

/** SCTLR.WXN [B4.1.130]. */
export const SCTLR_WXN: number = 0x8_0000; // 1 << 19
/** SCTLR.UWXN [B4.1.130]. */
export const SCTLR_UWXN: number = 0x10_0000; // 1 << 20

/**
 * Read / write permissions (MappingFlags READ 1, WRITE 2) of AP[2:1] [Table B3-9], indexed by AP[2:1] * 2 +
 * privilege (0 PL0, 1 PL1): 00 PL1 read-write; 01 read-write at both; 10 PL1 read-only; 11 read-only at both.
 */
export const AP_SIMPLE: Uint8Array = /* @__PURE__ */ Uint8Array.of(0, 3, 3, 3, 0, 1, 1, 1);

/**
 * The permissions (MappingFlags READ, WRITE, EXECUTE, USER) of a region whose read / write permissions are `user`
 * at PL0 and `rw` at the access's privilege, with its XN and PXN, under the SCTLR bits `sctlr` [B3.7.2].
 */
export function withExecute(user: number, rw: number, xn: boolean, pxn: boolean, privilege: number, sctlr: number): number {
  let never = xn || (rw & 1) === 0 || ((sctlr & SCTLR_WXN) !== 0 && (rw & 2) !== 0);
  if (privilege === 1) never = never || pxn || ((sctlr & SCTLR_UWXN) !== 0 && (user & 2) !== 0);
  return rw | (never ? 0 : 4) | (user !== 0 ? 8 : 0);
}

/** A 32-bit register value. */
export function reg32(value: AddrInput, name: string, model: string): number {
  const v = registerValue(value, name);
  if (v >> 32n !== 0n) throw new RangeError(`${model}: ${name} 0x${v.toString(16)} does not fit in 32 bits`);
  return field(v, 31, 0);
}
