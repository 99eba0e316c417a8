// What a dump needs to know about x86_64 entries beyond the codec.
// Source: Intel SDM Vol. 3A (325462), section 4.5 "4-Level Paging and 5-Level Paging", Tables 4-14 to 4-20 (the
// formats of PML5E, PML4E, PDPTE, PDE and PTE: which bits are reserved), and section 4.6.1 "Determination of
// Access Rights" (R/W, U/S and XD combine over every paging-structure entry that controls a translation).
import { type EntryInspector, MappingFlags, tableLimit } from '@page-table-multiarch/core';
import { x64PatTypes } from '@page-table-multiarch/entry/x86_64';
import { A, ALL, D, G, P, PAT_HUGE, PCD, PS, PWT, RSVD_2M, RW, US, XD_HI } from './_entry-bits';

/** Protection key, bits 62:59 of a leaf (4.6.2), in the high word. */
const PK_HI = 0x7800_0000;
/** Bits 29:13 of a PDPTE that maps a 1 GiB page: reserved (Table 4-17). */
const RSVD_1G = 0x3fff_e000;

/** Options of {@link x64Inspector}: what the CPU's control registers say. */
export interface X64InspectorOptions {
  /** Paging levels: 4, or 5 with CR4.LA57 = 1 (default 4). */
  readonly levels?: 4 | 5;
  /** IA32_EFER.NXE (default true): when 0, bit 63 is reserved in every entry instead of XD. */
  readonly nxe?: boolean;
  /** MAXPHYADDR (CPUID.80000008H:EAX[7:0]), 36..52 (default 52): address bits 51:MAXPHYADDR are reserved. */
  readonly maxPhysAddr?: number;
  /**
   * IA32_PAT: when given, a leaf's listing ends with the memory type its PAT:PCD:PWT bits select (`WC`, `UC-`...;
   * SDM Vol. 3A "PAT Indexing", Table 11-11). Absent: no memory type is named.
   */
  readonly pat?: bigint;
}

/**
 * The x86_64 `EntryInspector`: R/W = 0, U/S = 0 and XD in a paging-structure entry take WRITE, USER and
 * EXECUTE away from everything below it (4.6.1: the permissions are ANDed, XD ORed, over the levels); reserved
 * bits (PS in a PML5E / PML4E, bits 29:13 of a 1 GiB page, 20:13 of a 2 MiB page, XD without EFER.NXE, address
 * bits at and above MAXPHYADDR) make an entry a 'Reserved' diagnostic, as they make the CPU raise #PF with
 * RSVD = 1. Runs break on P, R/W, U/S, PWT, PCD, PS/PAT, G, XD and the protection key, not on A and D.
 */
export function x64Inspector(options: X64InspectorOptions = {}): EntryInspector {
  const levels = options.levels ?? 4;
  const nxe = options.nxe ?? true;
  const m = options.maxPhysAddr ?? 52;
  if (levels !== 4 && levels !== 5) throw new RangeError(`x64Inspector: ${String(levels)} levels (expected 4 or 5)`);
  if (!Number.isInteger(m) || m < 36 || m > 52) throw new RangeError(`x64Inspector: MAXPHYADDR ${m} is outside 36..52`);
  const last = levels - 1;
  /** Address bits 51:M of the high word (bits 19:M-32). */
  const rsvdAddrHi = m >= 52 ? 0 : ((1 << (52 - 32)) - 1) & ~((1 << (m - 32)) - 1);
  const names = levels === 5 ? ['PML5', 'PML4', 'PDPT', 'PD', 'PT'] : ['PML4', 'PDPT', 'PD', 'PT'];
  const patTypes = options.pat === undefined ? undefined : x64PatTypes(options.pat);
  return Object.freeze({
    levelNames: Object.freeze(names),
    tableLimit(lo: number, hi: number, _level: number): number {
      let k = ALL;
      if ((lo & RW) === 0) k &= ~MappingFlags.WRITE;
      if ((lo & US) === 0) k &= ~MappingFlags.USER;
      if (nxe && (hi & XD_HI) !== 0) k &= ~MappingFlags.EXECUTE;
      return tableLimit(k, k);
    },
    problem(lo: number, hi: number, level: number, leaf: boolean): string | undefined {
      if (!nxe && (hi & XD_HI) !== 0) return 'bit 63 (XD) is set while IA32_EFER.NXE = 0 (reserved)';
      if ((hi & rsvdAddrHi) !== 0) return `address bits 51:${m} are set (reserved above MAXPHYADDR ${m})`;
      // PS in a PML5E / PML4E (Tables 4-14, 4-15): the levels above the PDPT
      if (level < last - 2 && (lo & PS) !== 0) return `PS (bit 7) is set in a ${names[level]}E (reserved)`;
      if (leaf && level === last - 2 && (lo & RSVD_1G) !== 0) return 'bits 29:13 of a 1 GiB page are set (reserved)';
      if (leaf && level === last - 1 && (lo & RSVD_2M) !== 0) return 'bits 20:13 of a 2 MiB page are set (reserved)';
      return undefined;
    },
    attrLo(lo: number, _hi: number, level: number): number {
      return lo & (P | RW | US | PWT | PCD | PS | G | (level < last ? PAT_HUGE : 0));
    },
    attrHi(_lo: number, hi: number, _level: number): number {
      return hi & (XD_HI | PK_HI);
    },
    describe(lo: number, hi: number, level: number, leaf: boolean): string {
      // one string grown name by name, each after a space (cut off at the end): a listing names the bits of each
      // of its runs, and an array joined per run cost three times as much
      let out = '';
      if (lo & P) out += ' P';
      if (lo & RW) out += ' RW';
      if (lo & US) out += ' US';
      if (lo & PWT) out += ' PWT';
      if (lo & PCD) out += ' PCD';
      if (lo & A) out += ' A';
      if (leaf && lo & D) out += ' D';
      if (level < last && lo & PS) out += ' PS';
      if (level === last && lo & PS) out += ' PAT';
      if (leaf && level < last && lo & PAT_HUGE) out += ' PAT';
      if (leaf && lo & G) out += ' G';
      if (leaf && hi & PK_HI) out += ` PK${(hi & PK_HI) >>> 27}`;
      if (hi & XD_HI) out += ' XD';
      if (leaf && patTypes !== undefined) {
        // PAT:PCD:PWT, PAT being bit 7 of a PTE and bit 12 of a huge page (Tables 4-17, 4-19, 4-20)
        const pat = level === last ? lo & PS : lo & PAT_HUGE;
        out += ` ${patTypes[(pat !== 0 ? 4 : 0) | ((lo >>> 3) & 0b11)]!}`;
      }
      return out.slice(1);
    },
  });
}
