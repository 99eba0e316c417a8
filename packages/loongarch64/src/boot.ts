// From tables to the page-walk CSR values that make the CPU walk them: the inverse of decodeLA64Registers.
// Source: LoongArch Reference Manual, Volume 1 (v1.10):
// - 7.5.5 PGDL and 7.5.6 PGDH: Base, bits [GRLEN-1:12], the root directory for virtual addresses whose bit
//   VALEN-1 is 0 (PGDL) or 1 (PGDH).
// - 7.5.8 PWCL and 7.5.9 PWCH: the walk's geometry (PWCL_VALUE and PWCH_VALUE for the 4-level 4 KiB tables, and
//   the values of la64Geometry for the others).
import { loadableRoot } from '@page-table-multiarch/core';
import { LA64PageTable } from './tables';

/** Page-walk CSR values of a LoongArch64 CPU. */
export interface LA64BootRegisters {
  /** CSR.PGDL: the lower half's root directory. */
  readonly pgdl: bigint;
  /** CSR.PGDH: the upper half's root directory. */
  readonly pgdh: bigint;
  /** CSR.PWCL: the walk geometry of the lower levels (PWCL_VALUE for 4 KiB pages). */
  readonly pwcl: bigint;
  /** CSR.PWCH: the walk geometry of the upper levels (PWCH_VALUE for 4 KiB pages). */
  readonly pwch: bigint;
}

/**
 * The CSR values for a lower-half table and an upper-half table (by default the same table serves both, as one
 * table of 48 bits or more holds both halves): PGDL and PGDH pointing at their roots, PWCL and PWCH with the tables'
 * geometry (both tables must have the same page size and depth: the controllers serve both halves). A table of
 * fewer than 48 bits serves one half: pass a `'lower'` one and an `'upper'` one.
 * `decodeLA64Registers` of the result gives the same format and roots back.
 * @throws TypeError when a table is not an LA64PageTable, when the two differ in page size or depth, or when a
 *   table does not serve the half its register translates; PagingError 'Destroyed' for a destroyed table.
 * @example
 * const table = new LA64PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x20_0000n }));
 * encodeLA64Registers(table).pgdh === table.rootPaddr; // true
 */
export function encodeLA64Registers(lower: LA64PageTable, upper: LA64PageTable = lower): LA64BootRegisters {
  const fn = 'encodeLA64Registers';
  if (!(lower instanceof LA64PageTable)) throw new TypeError(`${fn}: "lower" must be an LA64PageTable`);
  if (!(upper instanceof LA64PageTable)) throw new TypeError(`${fn}: "upper" must be an LA64PageTable`);
  const g = lower.format.geometry;
  if (upper.format.geometry !== g) {
    throw new TypeError(`${fn}: "lower" has ${g.pageKiB} KiB pages and ${g.levels} levels, "upper" ${upper.format.geometry.pageKiB} KiB and ${upper.format.geometry.levels}: PWCL / PWCH serve both`);
  }
  if (lower.format.half === 'upper') throw new TypeError(`${fn}: "lower" serves the upper half: PGDL translates the lower one`);
  if (upper.format.half === 'lower') throw new TypeError(`${fn}: "upper" serves the lower half: PGDH translates the upper one (give an 'upper' table)`);
  return { pgdl: loadableRoot(lower, fn), pgdh: loadableRoot(upper, fn), pwcl: BigInt(g.pwcl), pwch: BigInt(g.pwch) };
}
