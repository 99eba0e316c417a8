// From a 32-bit paging or PAE paging table to the control-register values that make the CPU walk it: the inverse of
// decodeX64Registers for the two legacy modes.
// Source: Intel SDM Vol. 3A (325462):
// - 2.5 "Control Registers", Figure 2-7: CR0.PE bit 0, CR0.WP bit 16, CR0.PG bit 31; CR4.PSE bit 4, CR4.PAE bit 5.
// - 2.2.1 "Extended Feature Enable Register": IA32_EFER.LME bit 8 (0 here: not IA-32e mode), NXE bit 11.
// - 4.1.1, Table 4-1: 32-bit paging is CR0.PG = 1 and CR4.PAE = 0; PAE paging CR4.PAE = 1 and IA32_EFER.LME = 0.
// - 4.3, Table 4-3: with 32-bit paging CR3 bits 31:12 locate the page directory.
// - 4.4.1, Table 4-7: with PAE paging CR3 bits 31:5 locate the 32-byte PDPT, which must therefore lie below 4 GiB.
import { hex, loadableRoot, PagingError } from '@page-table-multiarch/core';
import { x86PaeCodec } from '@page-table-multiarch/entry/x86_64';
import { X86PagingMetaData32, X86PageTable32, X86PaePageTable } from './legacy';
import { CR4_PAE, CR4_PSE, EFER_NXE } from './_x86-control';

/**
 * The control-register bits that make an x86 CPU walk a 32-bit paging or PAE paging table. CR0, CR4 and IA32_EFER
 * hold only the paging bits: OR them into the values the loader already has.
 */
export interface X86LegacyBootRegisters {
  /** CR3: the page directory (32-bit paging) or the PDPT (PAE paging); PWT and PCD clear. */
  readonly cr3: bigint;
  /** CR4: PSE for a 32-bit table with 4 MiB pages, PAE for a PAE table. */
  readonly cr4: bigint;
  /** IA32_EFER (MSR C000_0080H): NXE for a PAE table with XD; LME clear. */
  readonly efer: bigint;
  /** CR0: PE, WP (supervisor writes honour read-only pages) and PG. */
  readonly cr0: bigint;
}

/** CR0.PE, bit 0 | CR0.WP, bit 16 | CR0.PG, bit 31. */
const CR0_PAGING = 0x8001_0001n;

/**
 * The values to load for a 32-bit paging or PAE paging table: CR3 pointing at its root, and the CR0, CR4 and
 * IA32_EFER bits its options need (CR4.PSE for 4 MiB pages, IA32_EFER.NXE for XD). `decodeX64Registers` of the
 * result gives the same format and root back.
 * @throws TypeError when `table` is not an X86PageTable32 or X86PaePageTable; PagingError 'Destroyed' for a destroyed
 *   table, 'InvalidAddress' for a PAE table whose PDPT lies at or above 4 GiB (CR3 holds only bits 31:5).
 * @example
 * const table = new X86PaePageTable(new PhysicalMemory({ size: 1 << 20, base: 0x10_0000n }));
 * const regs = encodeX86LegacyRegisters(table);
 * regs.cr3 === table.rootPaddr; // true
 * regs.cr4; // 0x20n (PAE)
 */
export function encodeX86LegacyRegisters(table: X86PageTable32 | X86PaePageTable): X86LegacyBootRegisters {
  const fn = 'encodeX86LegacyRegisters';
  if (table instanceof X86PageTable32) {
    const root = loadableRoot(table, fn);
    return { cr3: root, cr4: table.meta === X86PagingMetaData32 ? CR4_PSE : 0n, efer: 0n, cr0: CR0_PAGING };
  }
  if (!(table instanceof X86PaePageTable)) throw new TypeError(`${fn}: "table" must be an X86PageTable32 or X86PaePageTable`);
  const root = loadableRoot(table, fn);
  if (root >> 32n !== 0n) throw new PagingError('InvalidAddress', `${fn}: the PDPT at ${hex(root)} is not below 4 GiB (CR3 bits 31:5 locate it)`);
  return { cr3: root, cr4: CR4_PAE, efer: table.pte === x86PaeCodec() ? EFER_NXE : 0n, cr0: CR0_PAGING };
}
