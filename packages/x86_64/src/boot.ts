// From a table to the control-register values that make the CPU walk it: the inverse of decodeX64Registers.
// Source: Intel SDM Vol. 3A (325462):
// - 2.5 "Control Registers", Figure 2-7: CR0.PE bit 0, CR0.WP bit 16, CR0.PG bit 31; CR4.PAE bit 5, CR4.LA57
//   bit 12, CR4.PCIDE bit 17.
// - 2.2.1 "Extended Feature Enable Register": IA32_EFER.LME bit 8, IA32_EFER.NXE bit 11.
// - 4.1.1 "Four Paging Modes", Table 4-1: 4-level paging is CR0.PG = 1, CR4.PAE = 1, IA32_EFER.LME = 1 and
//   CR4.LA57 = 0; 5-level paging the same with CR4.LA57 = 1.
// - 4.5.2 Tables 4-12 and 4-13: CR3 bits M-1:12 hold the root table's address; with CR4.PCIDE = 1, bits 11:0
//   are the PCID.
// - 4.6.1: with IA32_EFER.NXE = 0 bit 63 of an entry is reserved; the codec writes XD there for a page that is
//   not executable, so the tables need NXE = 1.
import { loadableRoot, registerField } from '@page-table-multiarch/core';
import { X64PageTable, X64PageTable5 } from './tables';
import { CR4_LA57, CR4_PAE, CR4_PCIDE } from './_x86-control';

/** Options of {@link encodeX64Registers}. */
export interface X64EncodeOptions {
  /** A process-context identifier (0..4095) for CR3 bits 11:0; when given, CR4.PCIDE is set too. */
  readonly pcid?: number;
}

/**
 * The control-register bits that make an x86_64 CPU walk a table. CR0, CR4 and IA32_EFER hold only the paging
 * bits: OR them into the values the loader already has.
 */
export interface X64BootRegisters {
  /** CR3: the root table's address (PML4, or PML5 for X64PageTable5), and the PCID when one was given. */
  readonly cr3: bigint;
  /** CR4: PAE, LA57 for the 5-level table, PCIDE with a PCID. */
  readonly cr4: bigint;
  /** IA32_EFER (MSR C000_0080H): LME (long mode) and NXE (the tables use bit 63, XD). */
  readonly efer: bigint;
  /** CR0: PE, WP (supervisor writes honour read-only pages) and PG. */
  readonly cr0: bigint;
}

/** CR0.PE, bit 0 | CR0.WP, bit 16 | CR0.PG, bit 31. */
const CR0_PAGING = 0x8001_0001n;
/** IA32_EFER.LME, bit 8 | IA32_EFER.NXE, bit 11. */
const EFER_LME_NXE = 0x900n;

/**
 * The values to load for a table: CR3 pointing at its root, and the CR0, CR4 and IA32_EFER bits its format needs
 * (4-level or, for X64PageTable5, 5-level paging). `decodeX64Registers` of the result gives the same format and
 * root back.
 * @throws TypeError when `table` is not an X64PageTable or X64PageTable5, or `pcid` is not an integer;
 *   RangeError when `pcid` is outside 0..4095; PagingError 'Destroyed' for a destroyed table.
 * @example
 * const table = new X64PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x10_0000n }));
 * const regs = encodeX64Registers(table, { pcid: 1 });
 * regs.cr3 === (table.rootPaddr | 1n); // true
 */
export function encodeX64Registers(table: X64PageTable | X64PageTable5, options: X64EncodeOptions = {}): X64BootRegisters {
  const fn = 'encodeX64Registers';
  const five = table instanceof X64PageTable5;
  if (!five && !(table instanceof X64PageTable)) throw new TypeError(`${fn}: "table" must be an X64PageTable or X64PageTable5`);
  const pcid = options.pcid === undefined ? undefined : registerField(options.pcid, 12, fn, 'pcid');
  const root = loadableRoot(table, fn);
  return {
    cr3: root | (pcid ?? 0n),
    cr4: CR4_PAE | (five ? CR4_LA57 : 0n) | (pcid === undefined ? 0n : CR4_PCIDE),
    efer: EFER_LME_NXE,
    cr0: CR0_PAGING,
  };
}
