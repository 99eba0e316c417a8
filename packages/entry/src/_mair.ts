// Memory types through a Memory Attribute Indirection Register: what the AArch64 descriptors' and the ARMv7 long
// descriptors' AttrIndx selects. A MAIR is handled as its two u32 halves (lo: Attr0..Attr3, hi: Attr4..Attr7),
// which are MAIR0 and MAIR1 on ARMv7 and bits 31:0 and 63:32 of MAIR_ELx on AArch64.
// Source: ARM DDI 0406C.d B4.1.104 "MAIR0 and MAIR1", and Arm ARM DDI 0487 (K.a) D19.2 "MAIR_EL1" with D8.6.1
// "Stage 1 memory type and Cacheability attributes". Both encode Attr<n> the same way where these functions look:
// - Attr<n>[7:4] = 0b0000: Device memory (Strongly-ordered on ARMv7); Attr<n>[3:2] say which (0b00 nGnRnE,
//   0b01 nGnRE, 0b10 nGRE, 0b11 GRE).
// - otherwise Normal memory, outer cacheability in [7:4] and inner in [3:0]: 0b0100 Non-cacheable, 0b01RW (RW not
//   0b00) and 0b11RW Write-Back, 0b00RW (RW not 0b00) and 0b10RW Write-Through; 0xff is Write-Back Read- and
//   Write-Allocate, inner and outer.
import type { MappingFlags } from '@page-table-multiarch/core';

const DEVICE = 16;
const UNCACHED = 32;

/** The AttrIndx values a codec writes for the three memory types of MappingFlags. */
export interface MemTypeIndex {
  /** AttrIndx of DEVICE mappings: a Device byte (0x04 first, then 0x00). */
  readonly device: number;
  /** AttrIndx of UNCACHED mappings: a Normal Non-cacheable byte (0x44). */
  readonly uncached: number;
  /** AttrIndx of the other mappings: a Normal Write-Back byte (0xff first, then any Write-Back inner and outer). */
  readonly normal: number;
}

/** Attr<n> of a MAIR given as its low (Attr0..3) and high (Attr4..7) u32 words. */
export function mairByte(lo: number, hi: number, n: number): number {
  return ((n < 4 ? lo : hi) >>> (8 * (n & 3))) & 0xff;
}

/**
 * The MappingFlags memory type of an attribute byte: DEVICE for Device (and ARMv7 Strongly-ordered) memory,
 * Attr[7:4] = 0; UNCACHED for Normal memory Non-cacheable inner and outer (0x44); nothing for other Normal memory.
 */
export function memTypeOfByte(attr: number): MappingFlags {
  if (attr >>> 4 === 0) return DEVICE;
  return attr === 0x44 ? UNCACHED : 0;
}

/** Whether a cacheability nibble of a Normal attribute byte is Write-Back: 0b01RW with RW != 0, or 0b11RW. */
function writeBack(nibble: number): boolean {
  return (nibble & 0b0100) !== 0 && nibble !== 0b0100;
}

/** The first n whose attribute byte passes `ok`, or -1. */
function findByte(lo: number, hi: number, ok: (attr: number) => boolean): number {
  for (let n = 0; n < 8; n++) if (ok(mairByte(lo, hi, n))) return n;
  return -1;
}

/**
 * Which AttrIndx each memory type is written with: DEVICE the first Device-nGnRE byte (0x04), else the first
 * Device-nGnRnE / Strongly-ordered one (0x00); UNCACHED the first Normal Non-cacheable byte (0x44); the rest the first
 * Normal Write-Back byte (0xff first, then any byte Write-Back inner and outer).
 * @throws RangeError (with `fn` and `what` naming the caller and the MAIR) when the MAIR has no byte for one of them.
 */
export function memTypeIndex(lo: number, hi: number, fn: string, what: string): MemTypeIndex {
  let device = findByte(lo, hi, (a) => a === 0x04);
  if (device < 0) device = findByte(lo, hi, (a) => a === 0x00);
  const uncached = findByte(lo, hi, (a) => a === 0x44);
  let normal = findByte(lo, hi, (a) => a === 0xff);
  if (normal < 0) normal = findByte(lo, hi, (a) => writeBack(a >>> 4) && writeBack(a & 0xf));
  const missing =
    device < 0 ? 'Device (0x04 or 0x00)' : uncached < 0 ? 'Normal Non-cacheable (0x44)' : normal < 0 ? 'Normal Write-Back (such as 0xff)' : '';
  if (missing !== '') throw new RangeError(`${fn}: ${what} holds no ${missing} attribute`);
  return { device, uncached, normal };
}

/** The memory type (DEVICE, UNCACHED or 0) each AttrIndx 0..7 selects in a MAIR. */
export function memTypes(lo: number, hi: number): Uint8Array {
  const t = new Uint8Array(8);
  for (let n = 0; n < 8; n++) t[n] = memTypeOfByte(mairByte(lo, hi, n));
  return t;
}
