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
import { loadableRoot, registerField } from '@page-table-multiarch/core';
import { A32PageTable } from './tables';

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
function mappedIn(table: A32PageTable, from: bigint, to: bigint): bigint | undefined {
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
