// From tables to the register values that make an ARMv7-A CPU walk them: the inverse of decodeA32Registers.
// Source: ARM DDI 0406C:
// - B4.1.153 TTBCR: N [2:0] (0: TTBR0 translates every address), EAE [31] = 0 (the Short-descriptor format).
// - B4.1.154 TTBR0 and B4.1.155 TTBR1 (with the Multiprocessing Extensions): the L1 table's address in bits
//   [31:14-N] (TTBR1: [31:14]); IRGN[0] bit 6, NOS bit 5, RGN bits 4:3, S bit 1, IRGN[1] bit 0. IRGN = RGN = 0b01
//   (Normal memory, Write-Back Write-Allocate Cacheable), S = 1 and NOS = 1 (Inner Shareable) make the walks
//   read the tables through the caches, as an OS that keeps its tables in normal memory wants.
// - B4.1.43 DACR: two bits per domain, 0b01 Client (accesses are checked against the descriptors' permissions).
//   The descriptors the codec writes are in domain 0.
// - B3.5.4: with N > 0, TTBR0 translates [0, 2^(32-N)) and TTBR1 [2^(32-N), 2^32).
// With the long-descriptor format (TTBCR.EAE = 1, LPAE; ARM DDI 0406C.d):
// - B4.1.153 TTBCR: T0SZ [2:0], EPD0 [7], IRGN0 [9:8], ORGN0 [11:10], SH0 [13:12], T1SZ [18:16], A1 [22] (0: the
//   ASID is TTBR0's), EPD1 [23], IRGN1 [25:24], ORGN1 [27:26], SH1 [29:28], EAE [31]. IRGNn = ORGNn = 0b01 (Normal
//   memory, Write-Back Write-Allocate Cacheable) and SHn = 0b11 (Inner Shareable) for a range with a table, as
//   above; EPDn = 1 for a range without one (a miss there faults instead of walking whatever TTBRn holds).
// - B4.1.154 / B4.1.155 TTBR0 / TTBR1 as 64-bit registers: BADDR [39:x], x = 5 - TxSZ for TxSZ 0 or 1 and
//   14 - TxSZ above (the root is aligned to its size), ASID [55:48].
// - B4.1.104 MAIR0 / MAIR1: the attribute bytes the descriptors' AttrIndx select, the pair the tables were made with.
// - B3.6.4: which addresses each TTBR translates (lpaeRange in metadata.ts).
import { loadableRoot, type PageTable64, registerField } from '@page-table-multiarch/core';
import type { A32LpaeCodec } from '@page-table-multiarch/entry/arm';
import { lpaeRange } from './metadata';
import { A32LpaePageTable, A32LpaeTtbr1PageTable, A32PageTable } from './tables';

/** Options of {@link encodeA32Registers}. */
export interface A32EncodeOptions {
  /** The table of the upper range for TTBR1 (needs `n` > 0). */
  readonly ttbr1?: A32PageTable;
  /** TTBCR.N (0..7): TTBR0 translates [0, 2^(32-N)). Default 0 without `ttbr1`; required with it. */
  readonly n?: number;
}

/** Register values of an ARMv7-A CPU for short-descriptor tables. */
export interface A32BootRegisters {
  /** TTBR0: the lower (or only) table, with the walk attributes. */
  readonly ttbr0: bigint;
  /** TTBR1: the upper table with the walk attributes; 0 when there is none. */
  readonly ttbr1: bigint;
  /** TTBCR: N, and EAE = 0. */
  readonly ttbcr: bigint;
  /** DACR: domain 0 Client, the others No access. */
  readonly dacr: bigint;
}

/** TTBR walk attributes: IRGN[0] (bit 6), NOS (5), RGN = 0b01 (4:3), S (1); IRGN[1] (bit 0) = 0. */
const WALK_ATTRS = 0x6an;
/** DACR bits 1:0 = 0b01: domain 0 is Client. */
const DACR_DOMAIN0_CLIENT = 0x1n;

/** The first address of `table` at or above `from` (below `to`), or undefined when it maps none there. */
function mappedIn(table: PageTable64, from: bigint, to: bigint): bigint | undefined {
  for (const m of table.mappings()) if (m.vaddr + BigInt(m.size) > from && m.vaddr < to) return m.vaddr;
  return undefined;
}

/**
 * The register values for a table (TTBR0 alone, N = 0), or for a lower and an upper table split at 2^(32-N):
 * TTBR0 and TTBR1 with cacheable walks, TTBCR, and DACR with domain 0 Client. `decodeA32Registers` of the result
 * gives the same roots back.
 * @throws TypeError when a table is not an A32PageTable or `n` is not an integer; RangeError when `n` is outside
 *   0..7, is 0 with `ttbr1` or above 0 without it, or a table maps an address the other TTBR translates (the CPU
 *   would never reach that mapping); PagingError 'Destroyed' for a destroyed table.
 * @example
 * const table = new A32PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000 }));
 * encodeA32Registers(table).ttbcr; // 0n
 */
export function encodeA32Registers(ttbr0: A32PageTable, options: A32EncodeOptions = {}): A32BootRegisters {
  const fn = 'encodeA32Registers';
  const { ttbr1 } = options;
  if (!(ttbr0 instanceof A32PageTable)) throw new TypeError(`${fn}: "ttbr0" must be an A32PageTable`);
  if (ttbr1 !== undefined && !(ttbr1 instanceof A32PageTable)) throw new TypeError(`${fn}: "ttbr1" must be an A32PageTable`);
  const n = options.n === undefined ? 0 : Number(registerField(options.n, 3, fn, 'n'));
  if (ttbr1 !== undefined && n === 0) throw new RangeError(`${fn}: with "ttbr1", "n" must be 1..7 (TTBCR.N = 0 never uses TTBR1)`);
  if (ttbr1 === undefined && n !== 0) throw new RangeError(`${fn}: "n" ${n} splits the address space, but no "ttbr1" table was given`);
  const root0 = loadableRoot(ttbr0, fn);
  const root1 = ttbr1 === undefined ? undefined : loadableRoot(ttbr1, fn);
  if (ttbr1 !== undefined) {
    const split = 1n << BigInt(32 - n);
    const high = mappedIn(ttbr0, split, 1n << 32n);
    if (high !== undefined) throw new RangeError(`${fn}: "ttbr0" maps 0x${high.toString(16)}, which TTBR1 translates with N = ${n}`);
    const low = mappedIn(ttbr1, 0n, split);
    if (low !== undefined) throw new RangeError(`${fn}: "ttbr1" maps 0x${low.toString(16)}, which TTBR0 translates with N = ${n}`);
  }
  return {
    ttbr0: root0 | WALK_ATTRS,
    ttbr1: root1 === undefined ? 0n : root1 | WALK_ATTRS,
    ttbcr: BigInt(n),
    dacr: DACR_DOMAIN0_CLIENT,
  };
}

/** Options of {@link encodeA32LpaeRegisters}: the two long-descriptor tables (at least one) and an ASID. */
export interface A32LpaeEncodeOptions {
  /** The table of the lower range, for TTBR0; without it TTBCR.EPD0 = 1. Its `split` gives TTBCR.T0SZ. */
  readonly ttbr0?: A32LpaePageTable;
  /** The table of the upper range, for TTBR1; without it TTBCR.EPD1 = 1. Its `split` gives TTBCR.T1SZ. */
  readonly ttbr1?: A32LpaeTtbr1PageTable;
  /** The ASID (0..255) in TTBR0.ASID, bits 55:48 (TTBCR.A1 = 0: TTBR0's ASID is the current one). Default 0. */
  readonly asid?: number;
}

/** Register values of an ARMv7-A CPU for long-descriptor (LPAE) tables. */
export interface A32LpaeBootRegisters {
  /** TTBR0, a 64-bit register: the ASID and the lower table's address; only the ASID when there is no table. */
  readonly ttbr0: bigint;
  /** TTBR1, a 64-bit register: the upper table's address; 0 when there is none. */
  readonly ttbr1: bigint;
  /** TTBCR: EAE = 1, T0SZ and T1SZ, cacheable walks for each range with a table, EPDn for a range without. */
  readonly ttbcr: bigint;
  /** MAIR0: Attr0..Attr3 of the tables' MAIR pair. */
  readonly mair0: bigint;
  /** MAIR1: Attr4..Attr7 of the tables' MAIR pair. */
  readonly mair1: bigint;
}

/** TTBCR.EAE, bit 31: the long-descriptor format (B4.1.153). */
const TTBCR_EAE = 0x8000_0000n;
/** TTBCR walk attributes of TTBR0's range: IRGN0 = 0b01 (9:8), ORGN0 = 0b01 (11:10), SH0 = 0b11 (13:12) (B4.1.153). */
const TTBCR_WALK0 = 0x3500n;
/** The same for TTBR1's range: IRGN1 (25:24), ORGN1 (27:26), SH1 (29:28) (B4.1.153). */
const TTBCR_WALK1 = 0x3500_0000n;
/** TTBCR.EPD0, bit 7: no walk through TTBR0 (B4.1.153). */
const TTBCR_EPD0 = 0x80n;
/** TTBCR.EPD1, bit 23: no walk through TTBR1 (B4.1.153). */
const TTBCR_EPD1 = 0x80_0000n;
/** TTBCR.T1SZ sits at bits 18:16, T0SZ at 2:0 (B4.1.153). */
const T1SZ_SHIFT = 16n;
/** TTBRn.ASID sits at bits 55:48 of the 64-bit register (B4.1.154, B4.1.155). */
const ASID_SHIFT = 48n;

/**
 * The register values for long-descriptor tables (TTBCR.EAE = 1), a lower table for TTBR0 and an upper one for
 * TTBR1 (either may be left out): the 64-bit TTBR0 (with the ASID) and TTBR1, TTBCR with T0SZ from the lower
 * table's `split` and T1SZ from the upper's (from the one table given otherwise), cacheable walks, EPDn for a range
 * without a table, and MAIR0 / MAIR1 from the tables' MAIR pair. `decodeA32Registers` of the result gives the same
 * roots, ranges and MAIR pair back. DACR plays no part in this format.
 * @throws TypeError when neither table is given, `ttbr0` is not an A32LpaePageTable or `ttbr1` not an
 *   A32LpaeTtbr1PageTable, or `asid` is not an integer; RangeError when `asid` is outside 0..255, the tables have
 *   different MAIR pairs, the split leaves TTBR1 no addresses (T0SZ = T1SZ = 0), or a table maps an address its
 *   TTBR does not translate with that split (the CPU would never reach that mapping); PagingError 'Destroyed' for a
 *   destroyed table.
 * @example
 * const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000 });
 * const user = new A32LpaePageTable(memory, { t0sz: 0, t1sz: 2 });
 * const kernel = new A32LpaeTtbr1PageTable(memory, { t0sz: 0, t1sz: 2 });
 * const regs = encodeA32LpaeRegisters({ ttbr0: user, ttbr1: kernel, asid: 5 });
 * regs.ttbcr.toString(16); // 'b5023500'
 */
export function encodeA32LpaeRegisters(options: A32LpaeEncodeOptions): A32LpaeBootRegisters {
  const fn = 'encodeA32LpaeRegisters';
  const { ttbr0, ttbr1 } = options;
  if (ttbr0 === undefined && ttbr1 === undefined) throw new TypeError(`${fn}: give "ttbr0" and/or "ttbr1"`);
  if (ttbr0 !== undefined && !(ttbr0 instanceof A32LpaePageTable)) throw new TypeError(`${fn}: "ttbr0" must be an A32LpaePageTable`);
  if (ttbr1 !== undefined && !(ttbr1 instanceof A32LpaeTtbr1PageTable)) throw new TypeError(`${fn}: "ttbr1" must be an A32LpaeTtbr1PageTable`);
  const asid = options.asid === undefined ? 0n : registerField(options.asid, 8, fn, 'asid');
  const first = (ttbr0 ?? ttbr1)!;
  // each root's geometry depends on its own TxSZ only: T0SZ comes from the TTBR0 table, T1SZ from the TTBR1 table
  const t0sz = first.split.t0sz;
  const t1sz = (ttbr1 ?? first).split.t1sz;
  if (ttbr1 !== undefined && t0sz === 0 && t1sz === 0) {
    throw new RangeError(`${fn}: with T0SZ = T1SZ = 0 TTBR0 translates every address and TTBR1 none (B3.6.4)`);
  }
  const { mair0, mair1 } = first.pte as A32LpaeCodec;
  if (ttbr0 !== undefined && ttbr1 !== undefined) {
    const other = ttbr1.pte as A32LpaeCodec;
    if (other.mair0 !== mair0 || other.mair1 !== mair1) {
      throw new RangeError(`${fn}: the tables were made for different MAIR pairs (one MAIR0 / MAIR1 serves both)`);
    }
  }
  let ttbcr = TTBCR_EAE | BigInt(t0sz) | (BigInt(t1sz) << T1SZ_SHIFT);
  let value0 = asid << ASID_SHIFT;
  let value1 = 0n;
  for (const [ttbr, table] of [[0, ttbr0], [1, ttbr1]] as const) {
    if (table === undefined) {
      ttbcr |= ttbr === 0 ? TTBCR_EPD0 : TTBCR_EPD1;
      continue;
    }
    const root = loadableRoot(table, fn);
    const range = lpaeRange({ ttbr, t0sz, t1sz })!;
    const below = mappedIn(table, 0n, BigInt(range.start));
    const above = mappedIn(table, BigInt(range.end), 1n << 32n);
    const outside = below ?? above;
    if (outside !== undefined) {
      throw new RangeError(`${fn}: "ttbr${ttbr}" maps 0x${outside.toString(16)}, which TTBR${ttbr} does not translate with T0SZ = ${t0sz}, T1SZ = ${t1sz}`);
    }
    // BADDR [39:x] holds the root as it is: a table's root is below 2^40 (the format's 40-bit output addresses)
    // and aligned to its own size, which is the alignment x gives (a32LpaeMetaData, B4.1.154)
    if (ttbr === 0) value0 |= root;
    else value1 = root;
    ttbcr |= ttbr === 0 ? TTBCR_WALK0 : TTBCR_WALK1;
  }
  return { ttbr0: value0, ttbr1: value1, ttbcr, mair0: BigInt(mair0), mair1: BigInt(mair1) };
}
