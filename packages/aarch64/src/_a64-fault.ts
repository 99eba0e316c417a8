// What the stage 1 and stage 2 MMU models share of an abort's report (Arm ARM DDI 0487 K.a, D19.2): the fault
// status codes of ESR_ELx.ISS (DFSC / IFSC) and HPFAR_EL2.
/**
 * DFSC / IFSC of each fault kind without the lookup level, indexed by -MmuCode (core's negative fault codes) (ESR_ELx.ISS bits 5:0, D19.2):
 * 0b0000LL Address size fault, 0b0001LL Translation fault, 0b0010LL Access flag fault, 0b0011LL Permission fault,
 * 0b0101LL Synchronous External abort on a translation table walk, LL the lookup level.
 */
export const A64_FSC: readonly number[] = [
  0,
  /* NotPresent: Translation fault */ 0b000100,
  /* Permission */ 0b001100,
  /* AccessFlag */ 0b001000,
  /* Dirty: not raised by the AArch64 models */ 0,
  /* ReservedBit: not raised by the AArch64 models */ 0,
  /* AddressSize */ 0b000000,
  /* NonCanonical: a Translation fault (level 0) */ 0b000100,
  /* Domain: not in AArch64 */ 0,
  /* ExternalAbort: Synchronous External abort on a translation table walk */ 0b010100,
];

/** HPFAR_EL2 for an IPA given as u32 halves: IPA[47:12] in FIPA, bits 39:4 (D19.2), a number below 2^40. */
export function a64Hpfar(ipaLo: number, ipaHi: number): number {
  // IPA[47:12] is (ipaHi & 0xffff) * 2^20 + (ipaLo >>> 12), shifted left by 4 (a multiplication: above 2^32)
  return ((ipaHi & 0xffff) * 1048576 + (ipaLo >>> 12)) * 16;
}
