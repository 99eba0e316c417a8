import { defineMetaData, type PagingMetaData } from '@page-table-multiarch/core';

/**
 * AArch64 VMSAv8-64 stage 1 translation with the 4 KiB granule and 48-bit addresses (TCR_ELx.TnSZ = 16,
 * lookup starting at level 0): four levels of 512 8-byte descriptors indexing VA bits 47:39, 38:30,
 * 29:21 and 20:12; Block descriptors at levels 1 (1 GiB) and 2 (2 MiB), Page descriptors at level 3
 * (Arm ARM DDI 0487, D8.3 "Translation table descriptor formats", and the pseudocode
 * AArch64.BlockDescSupported()); 48-bit physical (output) addresses.
 *
 * A virtual address is valid when its top 16 bits are all zero (the range of TTBR0_ELx) or all one (the
 * range of TTBR1_ELx). The table indexes only bits 47:0, so one table serves either range; which one is
 * decided by the register that points at it. For that reason addresses are not sign-extended in
 * listings: `mappings()` and `walk()` report the index-space (lower-half) form, e.g.
 * 0x0000_ff80_0000_0000 for a mapping made at 0xffff_ff80_0000_0000. {@link a64MetaData} gives the tables of
 * one range only, and the other granules and sizes.
 */
export const A64PagingMetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'AArch64',
  paMaxBits: 48,
  pageShift: 12,
  indexBits: [9, 9, 9, 9],
  entryBytes: 8,
  leafLevels: [1, 2, 3],
  // runs of 16 entries (Contiguous bit) at every level with leaves; see a64Geometry
  runBits: [0, 4, 4, 4],
  vaTopBit: 48,
  upperHalf: true,
  signExtend: false,
});

/** A translation granule in KiB (TCR_ELx.TG0 / TG1). */
export type A64Granule = 4 | 16 | 64;

/**
 * The range of virtual addresses a table serves: `'lower'` [0, 2^vaBits) (TTBR0_ELx), `'upper'`
 * [2^64 - 2^vaBits, 2^64) (TTBR1_EL1), or `'both'`, one table for both ranges (the crate's model: the two
 * ranges share its entries, and listings report the lower form).
 */
export type A64Half = 'lower' | 'upper' | 'both';

/** The shape of an AArch64 stage 1 table, as D8.2 derives it from the granule and TnSZ. */
export interface A64Geometry {
  /** The granule in KiB. */
  readonly granule: A64Granule;
  /** The translated width, 64 - TnSZ. */
  readonly vaBits: number;
  /** The output address size in bits: 48, or 52 (FEAT_LPA2 with TCR_ELx.DS = 1 for 4K and 16K, FEAT_LPA for 64K). */
  readonly paBits: 48 | 52;
  /**
   * The lookup level the walk starts at, in the manual's numbering (D8.2): 0..3, or -1 for the 4 KiB granule with
   * more than 48 bits. The tables number their levels from the root instead (level 0 is the root, whatever lookup
   * level it is), as every format of the library does.
   */
  readonly startLevel: number;
  /** Number of levels the walk reads (4 - startLevel). */
  readonly levels: number;
  /** Entries of the first table (2 to 2^(granule bits - 3)). */
  readonly rootEntries: number;
  /** Index width of each level, root first. */
  readonly indexBits: readonly number[];
  /** Levels of the table (0 = root) that may hold Block descriptors. */
  readonly blockLevels: readonly number[];
  /** Bytes mapped by a leaf at each level, root first. */
  readonly leafBytes: readonly number[];
  /** log2 of the entries a Contiguous run joins at each level, root first (0 where the level has no leaves). */
  readonly runBits: readonly number[];
}

/** log2 of a granule's bytes. */
export function granuleShift(granule: A64Granule): number {
  return granule === 4 ? 12 : granule === 16 ? 14 : 16;
}

/**
 * The shape of the table for a granule, a translated width and an output address size (D8.2 "Translation process",
 * the tables of start levels and of the first table's size; AArch64.BlockDescSupported() for the blocks). Each level
 * resolves granule bits - 3 bits (9, 11 or 13); the walk starts at the level whose range covers `vaBits`, and the
 * first table holds 2^(vaBits - its shift) entries:
 * - 4 KiB: 48 bits start at level 0 (512 entries), 39 at level 1, 30 at level 2; blocks of 1 GiB (level 1) and
 *   2 MiB (level 2). With 52-bit output addresses (FEAT_LPA2, TCR_ELx.DS = 1), also 512 GiB blocks at level 0, and
 *   49..52 bits start at level -1 (2 to 16 entries above level 0).
 * - 16 KiB: 48 bits start at level 0 with 2 entries, 47 at level 1 (2048 entries), 36 at level 2; blocks of
 *   32 MiB (level 2). With FEAT_LPA2 (DS = 1), also 64 GiB blocks at level 1, and 49..52 bits start at level 0 with
 *   4 to 32 entries.
 * - 64 KiB: 48 bits start at level 1 (64 entries), 42 at level 2 (8192 entries, two levels); blocks of 512 MiB
 *   (level 2). With 52-bit output addresses (FEAT_LPA), also 4 TiB blocks at level 1; 49..52 bits (FEAT_LVA, any
 *   output size) start at level 1 with 128 to 1024 entries.
 * TnSZ ranges over 16..39 (48 to 25 bits) without FEAT_TTST, down to 12 (52 bits) with FEAT_LVA (64 KiB) or
 * FEAT_LPA2 with DS = 1 (4 and 16 KiB: more than 48 bits need `paBits` 52). The new block levels have no Contiguous
 * runs here (`runBits` 0): the library neither sets nor joins the hint there.
 * @throws RangeError for a granule other than 4, 16 or 64, a `paBits` other than 48 or 52, a width outside 25..52,
 *   or more than 48 bits with the 4 or 16 KiB granule and 48-bit output addresses.
 */
export function a64Geometry(granule: A64Granule, vaBits: number, paBits: 48 | 52 = 48): A64Geometry {
  if (granule !== 4 && granule !== 16 && granule !== 64) throw new RangeError(`a64Geometry: granule ${String(granule)} is not 4, 16 or 64 (KiB)`);
  if (paBits !== 48 && paBits !== 52) throw new RangeError(`a64Geometry: "paBits" ${String(paBits)} is not 48 or 52`);
  if (!Number.isInteger(vaBits) || vaBits < 25 || vaBits > 52) {
    throw new RangeError(`a64Geometry: ${String(vaBits)}-bit addresses are outside 25..52 (TnSZ 12..39)`);
  }
  if (vaBits > 48 && granule !== 64 && paBits !== 52) {
    throw new RangeError(`a64Geometry: ${vaBits}-bit addresses with the ${granule} KiB granule need FEAT_LPA2 (TCR_ELx.DS = 1, "paBits" 52)`);
  }
  const gs = granuleShift(granule);
  const stride = gs - 3;
  const levels = Math.ceil((vaBits - gs) / stride);
  const startLevel = 4 - levels;
  const rootBits = vaBits - gs - (levels - 1) * stride;
  const indexBits = [rootBits, ...Array.from({ length: levels - 1 }, () => stride)];
  const blockLevels: number[] = [];
  const leafBytes: number[] = [];
  const runBits: number[] = [];
  for (let l = 0; l < levels; l++) {
    const lookup = startLevel + l;
    leafBytes.push(2 ** (gs + (3 - lookup) * stride));
    // 4 KiB: blocks at lookup levels 1 and 2; 16 and 64 KiB: level 2 only; with 52-bit output addresses one level
    // more: 4 KiB level 0, 16 and 64 KiB level 1 (AArch64.BlockDescSupported())
    const block = lookup === 2 || (lookup === 1 && granule === 4);
    const block52 = paBits === 52 && lookup === (granule === 4 ? 0 : 1);
    if (block || block52) blockLevels.push(l);
    runBits.push(block || lookup === 3 ? contiguousBits(granule, lookup) : 0);
  }
  return Object.freeze({
    granule,
    vaBits,
    paBits,
    startLevel,
    levels,
    rootEntries: 2 ** rootBits,
    indexBits: Object.freeze(indexBits),
    blockLevels: Object.freeze(blockLevels),
    leafBytes: Object.freeze(leafBytes),
    runBits: Object.freeze(runBits),
  });
}

/**
 * log2 of the entries a run of the Contiguous bit joins, for a lookup level with leaves (Arm ARM DDI 0487 D8, "The
 * Contiguous bit", the table of contiguous entries per granule): 4 KiB granule, 16 entries at levels 1, 2 and 3
 * (16 GiB, 32 MiB, 64 KiB); 16 KiB, 32 at level 2 (1 GiB) and 128 at level 3 (2 MiB); 64 KiB, 32 at level 2
 * (16 GiB) and at level 3 (2 MiB).
 */
function contiguousBits(granule: A64Granule, lookup: number): number {
  if (granule === 4) return 4;
  return granule === 16 && lookup === 3 ? 7 : 5;
}

const METAS = new Map<string, PagingMetaData>();

/**
 * The metadata of an AArch64 stage 1 table: a granule, a translated width (64 - TnSZ), the range it serves
 * (see {@link A64Half}; default `'both'`) and the output address size (48 bits by default, or 52: see
 * {@link a64Geometry}). `'upper'` tables take only addresses whose bits [vaBits, 64) are all one
 * and report them so; `'lower'` ones only addresses whose bits are all zero; `'both'` either (and report the lower
 * form). Levels count from the root (0), which is lookup level `a64Geometry(...).startLevel` of the manual (-1 for
 * the 4 KiB granule above 48 bits). One object per set of arguments.
 * A table indexes at least 32 bits unless it serves the lower range alone (25..31 bits need `'lower'`).
 * @throws RangeError as {@link a64Geometry}; for fewer than 32 bits with a half other than `'lower'`; for an
 *   unknown half.
 * @example
 * a64MetaData(16, 47, 'upper').levels; // 3 (a Linux 16K kernel's TTBR1 table)
 */
export function a64MetaData(granule: A64Granule, vaBits: number, half: A64Half = 'both', paBits: 48 | 52 = 48): PagingMetaData {
  const key = `${granule}:${vaBits}:${half}:${paBits}`;
  let m = METAS.get(key);
  if (m !== undefined) return m;
  const g = a64Geometry(granule, vaBits, paBits);
  if (half !== 'lower' && half !== 'upper' && half !== 'both') throw new RangeError(`a64MetaData: half ${String(half)} is not 'lower', 'upper' or 'both'`);
  if (vaBits < 32 && half !== 'lower') throw new RangeError(`a64MetaData: a ${vaBits}-bit table serves the lower range only (half 'lower')`);
  m =
    granule === 4 && vaBits === 48 && half === 'both' && paBits === 48
      ? A64PagingMetaData
      : defineMetaData({
          name: `AArch64 ${granule}K/${vaBits}${paBits === 52 ? (granule === 64 ? ' LPA' : ' LPA2') : ''}${half === 'both' ? '' : ` ${half}`}`,
          paMaxBits: paBits,
          pageShift: granuleShift(granule),
          indexBits: g.indexBits,
          entryBytes: 8,
          // a first table of fewer than 8 entries is still aligned to 64 bytes (the TTBR's BADDR, D19.2 TTBR0_EL1)
          tableBytes: g.indexBits.map((b) => Math.max(64, 8 << b)),
          leafLevels: g.blockLevels,
          runBits: g.runBits,
          vaTopBit: Math.max(vaBits, 32),
          upperHalf: half !== 'lower',
          lowerHalf: half !== 'upper',
          signExtend: false,
          ...(vaBits < 32 ? { window: { start: 0n, end: 1n << BigInt(vaBits) } } : {}),
        });
  METAS.set(key, m);
  return m;
}
