// What a dump needs to know about AArch64 stage 1 descriptors beyond the codec.
// Source: Arm ARM DDI 0487 (K.a numbering, as in the codec):
// - D8.3.1.1 "VMSAv8-64 Table descriptor format": PXNTable (bit 59), UXNTable / XNTable (60), APTable (62:61),
//   NSTable (63); for a regime with one privilege level (EL2, EL3) bit 60 is XNTable and bits 59 and 61 are RES0.
// - D8.4 "Memory access control", hierarchical permissions: APTable[1] = 1 forbids writes at every later level,
//   APTable[0] = 1 forbids EL0 access, UXNTable / PXNTable forbid unprivileged / privileged execution, XNTable
//   any execution; TCR_ELx.HPDn = 1 disables all of them (the dump root's `tableLimits: false`).
// - D8.3.1.2: lower attributes AttrIndx (4:2), NS (5), AP[2:1] (7:6), SH (9:8), AF (10), nG (11); upper
//   attributes GP (50), DBM (51), Contiguous (52), PXN (53), UXN / XN (54), software use (58:55).
import { type EntryInspector, tableLimit } from '@page-table-multiarch/core';

const ALL = 63;
// MappingFlags bits (as numbers: a top-level destructuring of MappingFlags is code a bundler keeps)
const WRITE = 2;
const EXECUTE = 4;
const USER = 8;

// high-word masks (entry bit n is bit n - 32 of the high word)
const PXN_TABLE_HI = 0x800_0000; // bit 59
const XN_TABLE_HI = 0x1000_0000; // bit 60
const AP_NO_EL0_TABLE_HI = 0x2000_0000; // bit 61
const AP_NO_WRITE_TABLE_HI = 0x4000_0000; // bit 62
const NS_TABLE_HI = -0x8000_0000; // 1 << 31, bit 63
const GP_HI = 0x4_0000; // bit 50
const DBM_HI = 0x8_0000; // bit 51
const CONT_HI = 0x10_0000; // bit 52
const PXN_HI = 0x20_0000; // bit 53
const UXN_HI = 0x40_0000; // bit 54

/** Options of {@link a64Inspector}. */
export interface A64InspectorOptions {
  /** The EL2 regime with HCR_EL2.E2H = 0 (one privilege level: XNTable, no APTable[0], no PXN). Default false. */
  readonly el2?: boolean;
  /**
   * The lookup level of the format's level 0 (default 0; 1 for the 64 KiB granule's dump format, -1 for the 4 KiB
   * granule's with FEAT_LPA2).
   */
  readonly startLevel?: number;
  /**
   * TCR_ELx.DS = 1 (FEAT_LPA2): descriptor bits 9:8 are OA[51:50], not SH (D8.3.1.2), so listings show no SH and do
   * not split on them. Default false.
   */
  readonly ds?: boolean;
}

/**
 * The AArch64 `EntryInspector`: the table descriptors' hierarchical permissions (APTable[1] removes
 * WRITE; APTable[0] removes USER; UXNTable removes EXECUTE from USER mappings and PXNTable from the others; at
 * EL2, XNTable removes EXECUTE from all), the level names L0..L3, and descriptor attributes for listings.
 * Runs break on the type bits, AttrIndx, NS, AP, SH, AF, nG, GP, DBM, Contiguous, PXN and UXN (not on the
 * software bits).
 */
export function a64Inspector(options: A64InspectorOptions = {}): EntryInspector {
  const el2 = options.el2 ?? false;
  const first = options.startLevel ?? 0;
  const ds = options.ds ?? false;
  // the manual's lookup level names (D8.2), from level -1
  const names = ['L-1', 'L0', 'L1', 'L2', 'L3'].slice(first + 1);
  // AttrIndx, NS, AP, SH (not with DS = 1), AF, nG
  const attrLoMask = ds ? 0xcff : 0xfff;
  // the last lookup level (3), where a leaf is a Page descriptor
  const pageLevel = names.length - 1;
  return Object.freeze({
    levelNames: Object.freeze(names),
    tableLimit(_lo: number, hi: number, _level: number): number {
      let kernel = ALL;
      let user = ALL;
      if (hi & AP_NO_WRITE_TABLE_HI) {
        kernel &= ~WRITE;
        user &= ~WRITE;
      }
      if (el2) {
        if (hi & XN_TABLE_HI) {
          kernel &= ~EXECUTE;
          user &= ~EXECUTE;
        }
      } else {
        if (hi & AP_NO_EL0_TABLE_HI) user &= ~USER;
        if (hi & XN_TABLE_HI) user &= ~EXECUTE;
        if (hi & PXN_TABLE_HI) kernel &= ~EXECUTE;
      }
      return tableLimit(kernel, user);
    },
    attrLo(lo: number, _hi: number, _level: number): number {
      return lo & attrLoMask;
    },
    attrHi(_lo: number, hi: number, _level: number): number {
      return hi & (GP_HI | DBM_HI | CONT_HI | PXN_HI | UXN_HI);
    },
    describe(lo: number, hi: number, level: number, leaf: boolean): string {
      const out: string[] = [];
      if (!leaf) {
        if (hi & NS_TABLE_HI) out.push('NSTable');
        if (hi & AP_NO_WRITE_TABLE_HI) out.push('APTable.RO');
        if (!el2 && hi & AP_NO_EL0_TABLE_HI) out.push('APTable.noEL0');
        if (hi & XN_TABLE_HI) out.push(el2 ? 'XNTable' : 'UXNTable');
        if (!el2 && hi & PXN_TABLE_HI) out.push('PXNTable');
        return out.join(' ');
      }
      out.push(level === pageLevel ? 'PAGE' : 'BLOCK');
      out.push(`Attr${(lo >>> 2) & 7}`);
      if (lo & (1 << 5)) out.push('NS');
      const ap = (lo >>> 6) & 3;
      out.push(el2 ? (ap & 2 ? 'AP=RO' : 'AP=RW') : ['AP=RW', 'AP=RW+EL0', 'AP=RO', 'AP=RO+EL0'][ap]!);
      if (!ds) out.push(['NSH', 'SH?', 'OSH', 'ISH'][(lo >>> 8) & 3]!);
      if (lo & (1 << 10)) out.push('AF');
      if (lo & (1 << 11)) out.push('nG');
      if (hi & GP_HI) out.push('GP');
      if (hi & DBM_HI) out.push('DBM');
      if (hi & CONT_HI) out.push('CONT');
      if (!el2 && hi & PXN_HI) out.push('PXN');
      if (hi & UXN_HI) out.push(el2 ? 'XN' : 'UXN');
      return out.join(' ');
    },
  });
}
