// Attach and dump for x86 32-bit paging and PAE paging: what a dump needs to know about their entries, their table
// formats, and the control registers of the two modes.
// Source: Intel SDM Vol. 3A (325462):
// - 4.1.1, Table 4-1: CR0.PG = 1 and CR4.PAE = 0 is 32-bit paging; CR4.PAE = 1 and IA32_EFER.LME = 0 is PAE paging.
// - 4.3, Table 4-3 ("Use of CR3 with 32-Bit Paging"): bits 31:12 locate the page directory, bit 3 PWT, bit 4 PCD.
//   Tables 4-4 to 4-6: the PDE and PTE formats; in a 4 MiB PDE bits (M-20):13 hold physical bits (M-1):32 and bits
//   21:(M-19) are reserved (M <= 40 with PSE-36). CR4.PSE (bit 4) decides whether bit 7 of a PDE is PS.
// - 4.4.1, Table 4-7 ("Use of CR3 with PAE Paging"): bits 31:5 locate the PDPT. Table 4-8: a PDPTE has P, PWT, PCD
//   and the address; bits 2:1, 8:5 and 63:M are reserved. Tables 4-9 to 4-11: PDE and PTE; bits 20:13 of a 2 MiB
//   PDE are reserved; bit 63 is XD with IA32_EFER.NXE and reserved without.
// - 4.6.1: R/W and U/S are ANDed, XD ORed, over the entries that control a translation; a PDPTE controls none of them.
import {
  type AddrInput,
  type AttachPlan,
  defaultRoots,
  type EntryInspector,
  hex,
  MappingFlags,
  type PageTableOptions,
  type PagingHandler,
  RegisterError,
  type TableFormat,
  tableLimit,
} from '@page-table-multiarch/core';
import { x64PatTypes, x86PaeCodec, x86Pte32Codec } from '@page-table-multiarch/entry/x86_64';
import { X86PagingMetaData32, X86PagingMetaData32NoPse, X86PaePagingMetaData, X86PageTable32, X86PaePageTable } from './legacy';
import { A, ALL, D, G, P, PAT_HUGE, PCD, PS, PWT, RSVD_2M, RW, US, XD_HI } from './_entry-bits';
import { CR4_PSE, EFER_NXE } from './_x86-control';

/** Bits 2:1 and 8:5 of a PDPTE: reserved (Table 4-8). */
const RSVD_PDPTE = 0x1e6;

/** Options of {@link x86LegacyInspector}: the mode and what the CPU's registers and CPUID say. */
export interface X86LegacyInspectorOptions {
  /** 32-bit paging ('32') or PAE paging ('pae'). */
  readonly mode: '32' | 'pae';
  /** CR4.PSE for 32-bit paging (default true): bit 7 of a PDE is PS; without it, ignored. */
  readonly pse?: boolean;
  /** IA32_EFER.NXE for PAE paging (default true): bit 63 is XD; without it, reserved. */
  readonly nxe?: boolean;
  /**
   * MAXPHYADDR: 32..40 for 32-bit paging (default 40: PSE-36 address bits above it are reserved in a 4 MiB PDE),
   * 32..52 for PAE (default 52: address bits 51:M are reserved).
   */
  readonly maxPhysAddr?: number;
  /**
   * IA32_PAT: when given, a leaf's listing ends with the memory type its PAT:PCD:PWT bits select (PAT is bit 7 of a
   * PTE, bit 12 of a 4 MiB or 2 MiB PDE; SDM Vol. 3A "PAT Indexing", Tables 4-4, 4-6, 4-9, 4-11). Absent: none named.
   */
  readonly pat?: bigint;
}

/**
 * The `EntryInspector` of 32-bit or PAE paging: R/W = 0, U/S = 0 (and XD with NXE) in a page directory entry take
 * WRITE, USER (and EXECUTE) from the pages below it (4.6.1; a PDPTE takes nothing); reserved bits (bit 21 and PSE-36
 * bits above MAXPHYADDR of a 4 MiB PDE, bits 2:1 and 8:5 of a PDPTE, bits 20:13 of a 2 MiB PDE, bit 63 without NXE,
 * address bits above MAXPHYADDR) make an entry a 'Reserved' diagnostic. Runs break on P, R/W, U/S, PWT, PCD, PS/PAT,
 * G and XD, not on A and D. With `pat`, each leaf's listing ends with its memory type (`WB`, `WC`, `UC-`...).
 * @throws RangeError for a mode other than '32' or 'pae', a MAXPHYADDR outside the mode's range, or a `pat` with a
 *   reserved entry.
 */
export function x86LegacyInspector(options: X86LegacyInspectorOptions): EntryInspector {
  const pae = options.mode === 'pae';
  if (!pae && options.mode !== '32') throw new RangeError(`x86LegacyInspector: mode ${String(options.mode)} is not '32' or 'pae'`);
  const pse = options.pse !== false;
  const nxe = pae && options.nxe !== false;
  const m = options.maxPhysAddr ?? (pae ? 52 : 40);
  if (!Number.isInteger(m) || m < 32 || m > (pae ? 52 : 40)) {
    throw new RangeError(`x86LegacyInspector: MAXPHYADDR ${m} is outside 32..${pae ? 52 : 40}`);
  }
  // 32-bit: bits 21:(M-19) of a 4 MiB PDE (Table 4-4); PAE: address bits 51:M in the high word (bits 19:M-32)
  const rsvd4M = (0x3f_e000 & ~((1 << (m - 19)) - 1)) | 0;
  const rsvdAddrHi = m >= 52 ? 0 : ((1 << 20) - 1) & ~((1 << (m - 32)) - 1);
  const last = pae ? 2 : 1;
  const names = pae ? ['PDPT', 'PD', 'PT'] : ['PD', 'PT'];
  const huge = (lo: number, level: number): boolean => (lo & PS) !== 0 && level === last - 1 && (pae || pse);
  const patTypes = options.pat === undefined ? undefined : x64PatTypes(options.pat);
  return Object.freeze({
    levelNames: Object.freeze(names),
    tableLimit(lo: number, hi: number, level: number): number {
      if (pae && level === 0) return tableLimit(ALL, ALL);
      let k = ALL;
      if ((lo & RW) === 0) k &= ~MappingFlags.WRITE;
      if ((lo & US) === 0) k &= ~MappingFlags.USER;
      if (nxe && (hi & XD_HI) !== 0) k &= ~MappingFlags.EXECUTE;
      return tableLimit(k, k);
    },
    problem(lo: number, hi: number, level: number, leaf: boolean): string | undefined {
      if (!pae) {
        if (leaf && level === 0 && (lo & rsvd4M) !== 0) return `bits 21:${m - 19} of a 4 MiB page are set (reserved with MAXPHYADDR ${m})`;
        return undefined;
      }
      if (!nxe && (hi & XD_HI) !== 0) return 'bit 63 (XD) is set while IA32_EFER.NXE = 0 (reserved)';
      if ((hi & rsvdAddrHi) !== 0) return `address bits 51:${m} are set (reserved above MAXPHYADDR ${m})`;
      if (level === 0 && ((lo & RSVD_PDPTE) !== 0 || (hi & XD_HI) !== 0)) return 'reserved bits of a PDPTE are set (2:1, 8:5 or 63)';
      if (leaf && level === 1 && (lo & RSVD_2M) !== 0) return 'bits 20:13 of a 2 MiB page are set (reserved)';
      return undefined;
    },
    attrLo(lo: number, _hi: number, level: number): number {
      return lo & (P | RW | US | PWT | PCD | PS | G | (level < last ? PAT_HUGE : 0));
    },
    attrHi(_lo: number, hi: number, _level: number): number {
      return hi & XD_HI;
    },
    describe(lo: number, hi: number, level: number, leaf: boolean): string {
      const out: string[] = [];
      if (lo & P) out.push('P');
      if (lo & RW) out.push('RW');
      if (lo & US) out.push('US');
      if (lo & PWT) out.push('PWT');
      if (lo & PCD) out.push('PCD');
      if (lo & A) out.push('A');
      if (leaf && lo & D) out.push('D');
      if (huge(lo, level)) out.push('PS');
      if (level === last && lo & PS) out.push('PAT');
      if (leaf && level < last && lo & PAT_HUGE) out.push('PAT');
      if (leaf && lo & G) out.push('G');
      if (hi & XD_HI) out.push('XD');
      if (leaf && patTypes !== undefined) {
        // PAT:PCD:PWT, PAT being bit 7 of a PTE and bit 12 of a 4 MiB / 2 MiB page (Tables 4-4, 4-6, 4-9, 4-11)
        const pat = level === last ? lo & PS : lo & PAT_HUGE;
        out.push(patTypes[(pat !== 0 ? 4 : 0) | ((lo >>> 3) & 0b11)]!);
      }
      return out.join(' ');
    },
  });
}

/**
 * A table format of 32-bit paging (for the given CR4.PSE) or PAE paging (for the given IA32_EFER.NXE); with an
 * IA32_PAT value, leaves' memory types are read through it and listings name them.
 * @throws RangeError for a `pat` with a reserved entry.
 */
export function x86LegacyFormat(
  mode: '32' | 'pae',
  options: { readonly pse?: boolean; readonly nxe?: boolean; readonly pat?: bigint } = {},
): TableFormat {
  const pat = options.pat === undefined ? {} : { pat: options.pat };
  if (mode === '32') {
    const pse = options.pse !== false;
    return Object.freeze({
      name: pse ? 'x86 32-bit paging' : 'x86 32-bit paging (no PSE)',
      meta: pse ? X86PagingMetaData32 : X86PagingMetaData32NoPse,
      pte: x86Pte32Codec({ pse, ...pat }),
      inspector: x86LegacyInspector({ mode, pse, ...pat }),
      attach: (handler: PagingHandler, root: AddrInput, opts: PageTableOptions = {}) => new X86PageTable32(handler, { ...opts, root, pse }),
    });
  }
  const nxe = options.nxe !== false;
  return Object.freeze({
    name: 'x86 PAE paging',
    meta: X86PaePagingMetaData,
    pte: x86PaeCodec({ nxe, ...pat }),
    inspector: x86LegacyInspector({ mode, nxe, ...pat }),
    attach: (handler: PagingHandler, root: AddrInput, opts: PageTableOptions = {}) => new X86PaePageTable(handler, { ...opts, root, nxe }),
  });
}


/**
 * The attach plan of 32-bit paging (CR4.PAE = 0) or PAE paging (CR4.PAE = 1, IA32_EFER.LME = 0) for the decoded
 * CR3, CR4, IA32_EFER and IA32_PAT values; `notes` are the decoder's notes so far. Internal: decodeX64Registers calls
 * it once it has read CR0 and CR4. An IA32_PAT with a reserved entry is 'Invalid'.
 */
export function decodeX86LegacyRegisters(
  mode: '32' | 'pae',
  cr3: bigint,
  cr4: bigint,
  efer: bigint | undefined,
  notes: string[],
  pat?: bigint,
): AttachPlan | RegisterError {
  // the register is 32 bits in both modes (Tables 4-3, 4-7): a value above them is not one the CPU could hold
  if (cr3 >> 32n !== 0n) return new RegisterError('Invalid', 'CR3', `CR3 ${hex(cr3)}: bits 63:32 are set, but ${mode === '32' ? '32-bit' : 'PAE'} paging reads a 32-bit CR3`);
  if (mode === '32') {
    const pse = (cr4 & CR4_PSE) !== 0n;
    if (!pse) notes.push('CR4.PSE = 0: bit 7 of a PDE is ignored, no 4 MiB pages');
    if (cr3 & 0x18n) notes.push(`CR3: ${cr3 & 0x8n ? 'PWT ' : ''}${cr3 & 0x10n ? 'PCD ' : ''}set for the page directory`);
    const format = legacyFormat('32', { pse, ...(pat === undefined ? {} : { pat }) });
    if (format instanceof RegisterError) return format;
    return { arch: 'x86', format, roots: defaultRoots(format.meta, cr3 & 0xffff_f000n, 'CR3'), notes };
  }
  const nxe = efer === undefined || (efer & EFER_NXE) !== 0n;
  if (efer === undefined) notes.push('IA32_EFER not given: NXE = 1 assumed');
  else if (!nxe) notes.push('IA32_EFER.NXE = 0: bit 63 of an entry is reserved, every page is executable');
  const format = legacyFormat('pae', { nxe, ...(pat === undefined ? {} : { pat }) });
  if (format instanceof RegisterError) return format;
  // bits 31:5 locate the 32-byte PDPT; bits 4:0 are ignored (Table 4-7)
  return { arch: 'x86', format, roots: defaultRoots(format.meta, cr3 & 0xffff_ffe0n, 'CR3'), notes };
}

/** {@link x86LegacyFormat}, with a PAT value that has a reserved entry as an 'Invalid' RegisterError. */
function legacyFormat(mode: '32' | 'pae', options: { readonly pse?: boolean; readonly nxe?: boolean; readonly pat?: bigint }): TableFormat | RegisterError {
  try {
    return x86LegacyFormat(mode, options);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return new RegisterError('Invalid', 'IA32_PAT', e.message.replace(/^x86(Pte32|Pae)Codec: /, ''));
  }
}
