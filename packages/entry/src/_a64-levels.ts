// What the granule and the root's lookup level decide for a VMSAv8-64 descriptor codec, stage 1 and stage 2 alike.
// Source: Arm ARM DDI 0487, D8.2 (granules, lookup levels) and AArch64.BlockDescSupported() (which lookup levels may
// hold Block descriptors): 4KB levels 1 and 2, and level 0 with TCR_ELx.DS = 1 (FEAT_LPA2); 16KB level 2, and
// level 1 with DS = 1; 64KB level 2, and level 1 when the PE's physical addresses have 52 bits (FEAT_LPA).

/** Lookup levels with Block descriptors per granule, as bits (bit n: lookup level n), with 48-bit output addresses. */
const BLOCK_LEVELS: Readonly<Record<4 | 16 | 64, number>> = /* @__PURE__ */ Object.freeze({ 4: 0b0110, 16: 0b0100, 64: 0b0100 });
/** The same with 52-bit output addresses (FEAT_LPA2 with DS = 1 for 4KB and 16KB, FEAT_LPA for 64KB). */
const BLOCK_LEVELS_52: Readonly<Record<4 | 16 | 64, number>> = /* @__PURE__ */ Object.freeze({ 4: 0b0111, 16: 0b0110, 64: 0b0110 });

/**
 * The codec levels (codec level l is lookup level startLevel + l) where bits[1:0] = 0b01 is not a Block: the lookup
 * levels without blocks (level -1 of the 4KB granule with 52-bit addresses has none), and level 3 (where 0b11 is the
 * Page descriptor), as bits; and log2 of the granule. `pa52`: the block levels of 52-bit output addresses.
 */
export function a64LevelShape(granule: 4 | 16 | 64, startLevel: number, pa52 = false): { strict: number; granuleShift: number } {
  const blocks = (pa52 ? BLOCK_LEVELS_52 : BLOCK_LEVELS)[granule];
  let strict = 0;
  for (let l = 0; startLevel + l <= 3; l++) {
    const lookup = startLevel + l;
    if (lookup === 3 || lookup < 0 || ((blocks >>> lookup) & 1) === 0) strict |= 1 << l;
  }
  return { strict, granuleShift: granule === 4 ? 12 : granule === 16 ? 14 : 16 };
}
