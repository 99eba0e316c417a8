// What the granule and the root's lookup level decide for a VMSAv8-64 descriptor codec, stage 1 and stage 2 alike.
// Source: Arm ARM DDI 0487, D8.2 (granules, lookup levels) and AArch64.BlockDescSupported() (which lookup levels may
// hold Block descriptors without FEAT_LPA / LPA2, DS = 0).

/** Lookup levels with Block descriptors per granule, as bits (bit n: lookup level n). */
const BLOCK_LEVELS: Readonly<Record<4 | 16 | 64, number>> = /* @__PURE__ */ Object.freeze({ 4: 0b0110, 16: 0b0100, 64: 0b0100 });

/**
 * The codec levels (codec level l is lookup level startLevel + l) where bits[1:0] = 0b01 is not a Block: the lookup
 * levels without blocks, and level 3 (where 0b11 is the Page descriptor), as bits; and log2 of the granule.
 */
export function a64LevelShape(granule: 4 | 16 | 64, startLevel: number): { strict: number; granuleShift: number } {
  let strict = 0;
  for (let l = 0; startLevel + l <= 3; l++) if (startLevel + l === 3 || ((BLOCK_LEVELS[granule] >>> (startLevel + l)) & 1) === 0) strict |= 1 << l;
  return { strict, granuleShift: granule === 4 ? 12 : granule === 16 ? 14 : 16 };
}
