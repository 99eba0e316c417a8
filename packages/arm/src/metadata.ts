import { defineMetaData, type PagingMetaData } from '@page-table-multiarch/core';

/**
 * ARMv7-A short-descriptor translation (VMSAv7 with TTBCR.EAE = 0 and TTBCR.N = 0; ARM DDI 0406C, B3.5
 * "Short-descriptor translation table format"): two levels. The L1 table has 4096 4-byte entries indexed
 * by VA bits 31:20, 16 KiB aligned to 16 KiB (TTBR0 holds bits 31:14 of its address when N = 0); each
 * entry maps a 1 MiB Section or points to an L2 table. An L2 table has 256 4-byte entries indexed by VA
 * bits 19:12, 1 KiB aligned to 1 KiB (a Page table descriptor holds bits 31:10 of its address), each
 * mapping a 4 KiB Small page. 32-bit virtual and physical addresses: every 32-bit virtual address is
 * valid, there is no upper half, and anything from 2^32 up is not an address.
 *
 * Supersections (16 MiB) and Large pages (64 KiB) are written by the hardware format as 16 identical
 * entries; the tables read them (query, mappings, walk) and refuse to modify them.
 */
export const A32PagingMetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'ARMv7',
  paMaxBits: 32,
  pageShift: 12,
  indexBits: [12, 8],
  entryBytes: 4,
  tableBytes: [16384, 1024],
  leafLevels: [0, 1],
  vaTopBit: 32,
  upperHalf: false,
  signExtend: false,
});

/** Which TTBR a long-descriptor table is for and the TTBCR fields that split the address space between them. */
export interface A32LpaeSplit {
  /** The table of TTBR0 (0) or TTBR1 (1). */
  readonly ttbr: 0 | 1;
  /** TTBCR.T0SZ, 0..7: TTBR0 translates the bottom 2^(32 - T0SZ) bytes (B3.6.4). */
  readonly t0sz: number;
  /** TTBCR.T1SZ, 0..7: TTBR1 translates the top 2^(32 - T1SZ) bytes (B3.6.4). */
  readonly t1sz: number;
}

/** 2^32 (a literal: a top-level shift is code a bundler keeps). */
const FOUR_G = 0x1_0000_0000;

/**
 * The addresses a TTBR translates with the long-descriptor format, [start, end), as ARM DDI 0406C.d B3.6.4
 * "Selecting between TTBR0 and TTBR1, Long-descriptor translation table format" says: with T0SZ = T1SZ = 0, TTBR0
 * translates everything and TTBR1 nothing; otherwise TTBR0 translates [0, 2^(32-T0SZ)) (up to the start of TTBR1's
 * range when T0SZ = 0) and TTBR1 [2^32 - 2^(32-T1SZ), 2^32) (from the end of TTBR0's range when T1SZ = 0). Addresses
 * in neither range fault. Undefined for a TTBR1 that translates nothing.
 */
export function lpaeRange(split: A32LpaeSplit):
  | {
      /** The first address the TTBR translates. */
      readonly start: number;
      /** One past the last. */
      readonly end: number;
    }
  | undefined {
  const { t0sz, t1sz } = split;
  if (split.ttbr === 0) {
    if (t0sz > 0) return { start: 0, end: 2 ** (32 - t0sz) };
    return { start: 0, end: t1sz > 0 ? FOUR_G - 2 ** (32 - t1sz) : FOUR_G };
  }
  if (t1sz > 0) return { start: FOUR_G - 2 ** (32 - t1sz), end: FOUR_G };
  return t0sz > 0 ? { start: 2 ** (32 - t0sz), end: FOUR_G } : undefined;
}

/**
 * The lookup level a TTBR's walk starts at (B3.6.5 "Long-descriptor translation table format address lookup
 * levels"): level 1 for TxSZ 0 or 1 (a first table of 2^(2 - TxSZ) entries), level 2 for TxSZ 2..7 (2^(11 - TxSZ)
 * entries).
 */
export function lpaeFirstLevel(txsz: number): 1 | 2 {
  return txsz <= 1 ? 1 : 2;
}

const LPAE_META = new Map<string, PagingMetaData>();

/**
 * The geometry of an ARMv7 long-descriptor table (VMSAv7 with TTBCR.EAE = 1; ARM DDI 0406C.d, B3.6) for TTBR0 or
 * TTBR1 with the given TTBCR.T0SZ / T1SZ: 8-byte descriptors, 40-bit output addresses (B3.6.1), and a table indexing
 * the low 32 - TxSZ bits of an address. The walk starts at lookup level 1 for TxSZ 0 or 1 (a root of 4 or 2 entries,
 * 32 or 16 bytes, that map 1 GiB Blocks or point at level 2) and at level 2 for TxSZ 2..7 (a root of 2^(11 - TxSZ)
 * entries); level 2 maps 2 MiB Blocks, level 3 4 KiB Pages, 512 entries each (B3.6.5). The root is aligned to its own
 * size, as TTBRn.BADDR requires (B4.1.154, B4.1.155). Addresses outside the TTBR's range (see {@link lpaeRange}) are
 * not valid. One frozen object per split: the same object comes back for the same values.
 * @throws RangeError for a TxSZ outside 0..7, or a TTBR1 that translates nothing (T0SZ = T1SZ = 0).
 * @example
 * a32LpaeMetaData({ ttbr: 1, t0sz: 0, t1sz: 2 }).indexBits; // [9, 9]: Linux's kernel table starts at level 2
 */
export function a32LpaeMetaData(split: A32LpaeSplit): PagingMetaData {
  const { ttbr, t0sz, t1sz } = split;
  for (const [name, v] of [['t0sz', t0sz], ['t1sz', t1sz]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 7) throw new RangeError(`a32LpaeMetaData: "${name}" ${String(v)} is not in 0..7 (TTBCR.${name.toUpperCase()})`);
  }
  if (ttbr !== 0 && ttbr !== 1) throw new RangeError(`a32LpaeMetaData: "ttbr" ${String(ttbr)} is not 0 or 1`);
  const key = `${ttbr}:${t0sz}:${t1sz}`;
  let meta = LPAE_META.get(key);
  if (meta !== undefined) return meta;
  const range = lpaeRange(split);
  if (range === undefined) throw new RangeError('a32LpaeMetaData: with T0SZ = T1SZ = 0 TTBR0 translates every address and TTBR1 none (B3.6.4)');
  const txsz = ttbr === 0 ? t0sz : t1sz;
  const vaBits = 32 - txsz;
  const level1 = lpaeFirstLevel(txsz) === 1;
  const whole = range.start === 0 && range.end === FOUR_G;
  meta = defineMetaData({
    name: `ARMv7 LPAE TTBR${ttbr}`,
    paMaxBits: 40,
    pageShift: 12,
    indexBits: level1 ? [vaBits - 30, 9, 9] : [vaBits - 21, 9],
    entryBytes: 8,
    leafLevels: level1 ? [0, 1] : [0],
    vaTopBit: 32,
    upperHalf: false,
    signExtend: false,
    ...(whole ? {} : { window: { start: range.start, end: range.end } }),
  });
  LPAE_META.set(key, meta);
  return meta;
}
