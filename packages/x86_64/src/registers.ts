// From control registers to an attach plan: which paging mode the CPU was in, where the root table is, and which
// virtual addresses it translates.
// Source: Intel SDM Vol. 3A (325462):
// - 2.2.1 "Extended Feature Enable Register": IA32_EFER (MSR C000_0080H) SCE bit 0, LME bit 8, LMA bit 10, NXE bit 11.
// - 2.5 "Control Registers", Figure 2-7: CR0.WP bit 16, CR0.PG bit 31; CR4.PSE bit 4, CR4.PAE bit 5, CR4.LA57
//   bit 12, CR4.PCIDE bit 17, CR4.SMEP bit 20, CR4.SMAP bit 21, CR4.PKE bit 22.
// - 4.1.1 "Four Paging Modes", Table 4-1: CR0.PG = 1 with CR4.PAE = 0 is 32-bit paging; with CR4.PAE = 1 and
//   IA32_EFER.LME = 0, PAE paging; with LME = 1, 4-level paging, or 5-level paging when CR4.LA57 = 1. The two
//   legacy modes are decoded in legacy-registers.ts.
// - 4.5.2 Tables 4-12 and 4-13 ("Use of CR3 with 4-Level Paging and 5-level Paging and CR4.PCIDE = 0 / 1"): bits
//   M-1:12 hold the physical address of the PML4 (PML5) table; bits 11:0 are PWT (3), PCD (4) or, with PCIDE = 1,
//   the PCID; bits 63:M are reserved except the LAM bits 62 (LAM_U48) and 61 (LAM_U57) where LAM is supported.
// - 4.5.1: a linear address is canonical when bits 63:47 (63:56 with LA57) are all equal.
// - "Page Attribute Table (PAT)" (11.12 in the 325462-07x editions): IA32_PAT (MSR 277H) says what PAT:PCD:PWT of a
//   leaf select; a reserved entry cannot be written (#GP), so a value with one is 'Invalid'.
import {
  type AddrInput,
  type AttachPlan,
  defaultRoots,
  hex,
  type PageTableOptions,
  type PagingHandler,
  RegisterError,
  registerValue,
  type TableFormat,
} from '@page-table-multiarch/core';
import { X64PTE, x64Codec } from '@page-table-multiarch/entry/x86_64';
import { x64Inspector } from './inspector';
import { decodeX86LegacyRegisters } from './legacy-registers';
import { X64PagingMetaData, X64PagingMetaData5 } from './metadata';
import { X64PageTable, X64PageTable5 } from './tables';
import { CR0_PG, CR0_WP, CR4_LA57, CR4_PAE, CR4_PCIDE, CR4_PKE, CR4_SMAP, CR4_SMEP, EFER_LME, EFER_NXE } from './_x86-control';

/** Control-register values of an x86_64 CPU, as `info registers` or a crash dump shows them. */
export interface X64Registers {
  /** CR3: the root table's address (and PCID or PWT/PCD). */
  readonly cr3: AddrInput;
  /** CR4 (PAE, LA57, PCIDE); when absent, 4-level paging is assumed. */
  readonly cr4?: AddrInput;
  /** IA32_EFER (LME, NXE); when absent, long mode with NXE = 1 is assumed. */
  readonly efer?: AddrInput;
  /** CR0 (PG, WP); optional. */
  readonly cr0?: AddrInput;
  /**
   * IA32_PAT (MSR 277H): what a leaf's PAT:PCD:PWT select. When absent, the power-on value (PWT alone selects WT,
   * PCD UC- or UC), which is how `X64PTE` decodes. Linux programs 0x0407050600070106 (PWT alone selects WC).
   */
  readonly pat?: AddrInput;
}

// Bit masks as bigint literals (a top-level `1n << 16n` is code a bundler keeps even when nothing uses it).
/** CR3 bits 51:12: the root table (M = 52, the architectural maximum). */
const CR3_ADDR = 0x000f_ffff_ffff_f000n;
/** CR3.LAM_U57, bit 61. */
const CR3_LAM_U57 = 0x2000_0000_0000_0000n;
/** CR3.LAM_U48, bit 62. */
const CR3_LAM_U48 = 0x4000_0000_0000_0000n;
/** CR3 bits 63 and 60:52: reserved. */
const CR3_RSVD = 0x9ff0_0000_0000_0000n;

/**
 * A table format of x86_64 4-level or 5-level paging, with the inspector for the given EFER.NXE; with an IA32_PAT
 * value, leaves' memory types are read through it (`x64Codec`) and listings name them.
 * @throws RangeError for a PAT value with a reserved entry.
 */
export function x64Format(levels: 4 | 5, nxe = true, pat?: bigint): TableFormat {
  const five = levels === 5;
  return Object.freeze({
    name: five ? 'x86_64 5-level (LA57)' : 'x86_64 4-level',
    meta: five ? X64PagingMetaData5 : X64PagingMetaData,
    pte: pat === undefined ? X64PTE : x64Codec({ pat, levels }),
    inspector: x64Inspector(pat === undefined ? { levels, nxe } : { levels, nxe, pat }),
    attach(handler: PagingHandler, root: AddrInput, options: PageTableOptions = {}) {
      return five ? new X64PageTable5(handler, { ...options, root }) : new X64PageTable(handler, { ...options, root });
    },
  });
}

/**
 * Decodes x86 control registers into an attach plan: the table type (X64PageTable, or X64PageTable5 when
 * CR4.LA57 = 1), the root (CR3 bits 51:12) and the two canonical halves it translates (the upper one is the
 * kernel's). CR4.PAE = 0 selects 32-bit paging (X86PageTable32, with 4 MiB pages when CR4.PSE = 1; root CR3 bits
 * 31:12) and IA32_EFER.LME = 0 with CR4.PAE = 1 PAE paging (X86PaePageTable; root CR3 bits 31:5), both with arch
 * `'x86'` and one root for [0, 4 GiB). CR0.PG = 0 is 'Unsupported'; reserved CR3 bits, and an IA32_PAT entry with a
 * reserved memory type, are 'Invalid'; LME = 0 without CR4 is 'Missing'. With `pat`, the leaves' memory types are
 * read through it, in every mode.
 * @throws TypeError / PagingError 'InvalidAddress' for a value that is not a u64.
 * @example
 * const plan = decodeX64Registers({ cr3: 0x1000n, cr4: 0x20n, efer: 0xd01n });
 * if (plan instanceof RegisterError) throw plan;
 * plan.format.name; // 'x86_64 4-level'
 * plan.roots[1];    // { root: 0x1000n, vaStart: 0xffff800000000000n, vaEnd: 2n ** 64n, kernel: true, ... }
 */
export function decodeX64Registers(regs: X64Registers): AttachPlan | RegisterError {
  const cr3 = registerValue(regs.cr3, 'cr3');
  const pat = regs.pat === undefined ? undefined : registerValue(regs.pat, 'pat');
  const notes: string[] = [];
  if (regs.cr0 !== undefined) {
    const cr0 = registerValue(regs.cr0, 'cr0');
    if ((cr0 & CR0_PG) === 0n) return new RegisterError('Unsupported', 'CR0.PG', `CR0 ${hex(cr0)}: PG = 0, paging is disabled`);
    if ((cr0 & CR0_WP) === 0n) notes.push('CR0.WP = 0: supervisor writes ignore R/W');
  }
  let la57 = false;
  let pcide = false;
  if (regs.cr4 !== undefined) {
    const cr4 = registerValue(regs.cr4, 'cr4');
    if ((cr4 & CR4_PAE) === 0n) return decodeX86LegacyRegisters('32', cr3, cr4, undefined, notes, pat);
    la57 = (cr4 & CR4_LA57) !== 0n;
    pcide = (cr4 & CR4_PCIDE) !== 0n;
    const on: string[] = [];
    if (cr4 & CR4_SMEP) on.push('SMEP');
    if (cr4 & CR4_SMAP) on.push('SMAP');
    if (cr4 & CR4_PKE) on.push('PKE');
    if (on.length > 0) notes.push(`CR4: ${on.join(', ')} enabled`);
  } else {
    notes.push('CR4 not given: 4-level paging assumed');
  }
  let nxe = true;
  if (regs.efer !== undefined) {
    const efer = registerValue(regs.efer, 'efer');
    if ((efer & EFER_LME) === 0n) {
      if (regs.cr4 === undefined) return new RegisterError('Missing', 'CR4', `IA32_EFER ${hex(efer)}: LME = 0 is PAE or 32-bit paging, which CR4.PAE tells apart`);
      return decodeX86LegacyRegisters('pae', cr3, registerValue(regs.cr4, 'cr4'), efer, notes, pat);
    }
    nxe = (efer & EFER_NXE) !== 0n;
    if (!nxe) notes.push('IA32_EFER.NXE = 0: bit 63 of an entry is reserved, every page is executable');
  } else {
    notes.push('IA32_EFER not given: NXE = 1 assumed');
  }
  if ((cr3 & CR3_RSVD) !== 0n) return new RegisterError('Invalid', 'CR3', `CR3 ${hex(cr3)}: bits 63 and 60:52 are reserved`);
  if (cr3 & (CR3_LAM_U48 | CR3_LAM_U57)) notes.push(`CR3: LAM_U${cr3 & CR3_LAM_U57 ? '57' : '48'} set (user pointers carry metadata in their top bits)`);
  if (pcide) notes.push(`CR4.PCIDE = 1: PCID ${hex(cr3 & 0xfffn)}`);
  else if (cr3 & 0x18n) notes.push(`CR3: ${cr3 & 0x8n ? 'PWT ' : ''}${cr3 & 0x10n ? 'PCD ' : ''}set for the root table`);
  let format: TableFormat;
  try {
    format = x64Format(la57 ? 5 : 4, nxe, pat);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return new RegisterError('Invalid', 'IA32_PAT', e.message.replace(/^x64Codec: /, ''));
  }
  // the lower half is the user's, the upper half (bits 63:47, or 63:56 with LA57, all ones) the kernel's
  return { arch: 'x86_64', format, roots: defaultRoots(format.meta, cr3 & CR3_ADDR, 'CR3'), notes };
}
