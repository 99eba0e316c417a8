// Every field of an entry, named, for the walk panel: which bits, their value, what they mean and the manual section
// that says so. The attribute masks are the codecs' own exported bit sets (PTF, DescriptorAttr, PTEFlags), so the
// positions are stated once, in the entry package; only the address fields, which the codecs do not export, are
// written here, each with its section.
import { DescriptorAttr as A64 } from '@page-table-multiarch/entry/aarch64';
import { DescriptorAttr as A32 } from '@page-table-multiarch/entry/arm';
import { PTEFlags as LA } from '@page-table-multiarch/entry/loongarch64';
import { PTEFlags as RV } from '@page-table-multiarch/entry/riscv';
import { PTF, X86PDE4M } from '@page-table-multiarch/entry/x86_64';
import type { FieldInfo } from '../shared/protocol';

/** A field as stated here: its mask, what it means, where the manual says so, and how to read its value. */
interface Field {
  readonly name: string;
  readonly mask: bigint;
  readonly meaning: string;
  readonly section: string;
  /** The value in words (`Inner Shareable`); absent: the number. */
  readonly read?: (value: number) => string;
  /** An address field: shown as the address it holds, not as a number. */
  readonly address?: boolean;
  /** Where the field's lowest bit goes in the address (default: where it is in the entry). */
  readonly placeAt?: number;
}

/** An entry as the field tables see it. */
export interface EntryView {
  readonly bits: bigint;
  readonly level: number;
  /** Levels of the format (the last one holds only pages). */
  readonly levels: number;
  readonly present: boolean;
  /** A present entry that maps memory (not a table pointer). */
  readonly leaf: boolean;
  /** log2 of the bytes a leaf at this level maps. */
  readonly leafShift: number;
}

function bitsOf(msb: number, lsb: number): bigint {
  return (2n << BigInt(msb)) - (1n << BigInt(lsb));
}

function range(mask: bigint): [number, number] {
  const s = mask.toString(2);
  const lsb = s.length - 1 - s.lastIndexOf('1');
  return [s.length - 1, lsb];
}

const f = (name: string, mask: bigint, meaning: string, section: string, read?: (v: number) => string): Field => ({
  name,
  mask,
  meaning,
  section,
  ...(read ? { read } : {}),
});
const a = (name: string, mask: bigint, meaning: string, section: string, placeAt?: number): Field => ({
  name,
  mask,
  meaning,
  section,
  address: true,
  ...(placeAt !== undefined ? { placeAt } : {}),
});
const yes = (on: string, off: string) => (v: number) => (v ? on : off);

// x86_64: Intel SDM Vol. 3A, 4.5 (4-level and 5-level paging), Tables 4-15 to 4-20; 4.6 (access rights); 4.9 (PAT).
const X86 = 'Intel SDM Vol. 3A';
function x86Fields(e: EntryView): Field[] {
  const common = [
    f('P', PTF.PRESENT, 'present: the entry is used by the walk', `${X86} Table 4-20`, yes('present', 'not present: a walk here faults')),
    f('R/W', PTF.WRITABLE, 'writes allowed (0: none in the region this entry controls)', `${X86} 4.6`, yes('writable', 'read-only')),
    f('U/S', PTF.USER_ACCESSIBLE, 'user-mode accesses allowed', `${X86} 4.6`, yes('user', 'supervisor only')),
    f('PWT', PTF.WRITE_THROUGH, 'page-level write-through', `${X86} 4.9.2`),
    f('PCD', PTF.NO_CACHE, 'page-level cache disable', `${X86} 4.9.2`),
    f('A', PTF.ACCESSED, 'accessed: set by the processor', `${X86} 4.8`),
  ];
  if (!e.present) return [common[0]!];
  const xd = f('XD', PTF.NO_EXECUTE, 'execute-disable (with IA32_EFER.NXE = 1)', `${X86} 4.6`, yes('no execution', 'executable'));
  if (!e.leaf) {
    return [...common, f('PS', PTF.HUGE_PAGE, 'page size: 0 here, a table pointer', `${X86} Tables 4-15 to 4-19`), a('address', bitsOf(51, 12), 'physical address of the next table (M = 52)', `${X86} Tables 4-15, 4-17, 4-19`), xd];
  }
  const pk = f('PK', bitsOf(62, 59), 'protection key (with CR4.PKE / CR4.PKS)', `${X86} 4.6.2`);
  if (e.level === e.levels - 1) {
    return [...common, f('D', PTF.DIRTY, 'dirty: set by the processor on a write', `${X86} 4.8`), f('PAT', PTF.HUGE_PAGE, 'PAT index bit 2 in a 4 KiB PTE', `${X86} Table 4-20, 4.9.2`), f('G', PTF.GLOBAL, 'global: kept in the TLB across CR3 loads (CR4.PGE)', `${X86} 4.10.2.4`), a('address', bitsOf(51, 12), 'physical address of the 4 KiB page', `${X86} Table 4-20`), pk, xd];
  }
  return [
    ...common,
    f('D', PTF.DIRTY, 'dirty: set by the processor on a write', `${X86} 4.8`),
    f('PS', PTF.HUGE_PAGE, `page size: 1, this entry maps a ${e.leafShift === 30 ? '1 GiB' : '2 MiB'} page`, `${X86} Tables 4-17, 4-18`),
    f('G', PTF.GLOBAL, 'global: kept in the TLB across CR3 loads (CR4.PGE)', `${X86} 4.10.2.4`),
    f('PAT', 1n << 12n, 'PAT index bit 2 in a huge-page entry', `${X86} Tables 4-17, 4-18, 4.9.2`),
    a('address', bitsOf(51, e.leafShift), `physical address of the ${e.leafShift === 30 ? '1 GiB' : '2 MiB'} page`, `${X86} Tables 4-17, 4-18`),
    pk,
    xd,
  ];
}

// x86 32-bit paging (levels = 2; Intel SDM Vol. 3A 4.3, Tables 4-4 to 4-6) and PAE paging (levels = 3; 4.4, Tables
// 4-8 to 4-11): the bits of x86_64's entries, with a PDPTE of P, PWT, PCD and the address only, no XD in 32-bit
// entries, and a 4 MiB page's PSE-36 address bits.
function x86LegacyFields(e: EntryView): Field[] {
  const pae = e.levels === 3;
  const p = f('P', PTF.PRESENT, 'present: the entry is used by the walk', `${X86} ${pae ? 'Tables 4-8 to 4-11' : 'Tables 4-4 to 4-6'}`, yes('present', 'not present: a walk here faults'));
  if (!e.present) return [p];
  const cache = [f('PWT', PTF.WRITE_THROUGH, 'page-level write-through', `${X86} 4.9.2`), f('PCD', PTF.NO_CACHE, 'page-level cache disable', `${X86} 4.9.2`)];
  if (pae && e.level === 0) return [p, ...cache, a('address', bitsOf(51, 12), 'physical address of the page directory (no R/W, U/S or XD here)', `${X86} Table 4-8`)];
  const rights = [
    f('R/W', PTF.WRITABLE, 'writes allowed (0: none in the region this entry controls)', `${X86} 4.6`, yes('writable', 'read-only')),
    f('U/S', PTF.USER_ACCESSIBLE, 'user-mode accesses allowed', `${X86} 4.6`, yes('user', 'supervisor only')),
    ...cache,
    f('A', PTF.ACCESSED, 'accessed: set by the processor', `${X86} 4.8`),
  ];
  const xd = pae ? [f('XD', PTF.NO_EXECUTE, 'execute-disable (with IA32_EFER.NXE = 1)', `${X86} 4.6`, yes('no execution', 'executable'))] : [];
  const top = pae ? 51 : 31;
  if (!e.leaf) return [p, ...rights, a('address', bitsOf(top, 12), 'physical address of the page table', `${X86} ${pae ? 'Table 4-10' : 'Table 4-5'}`), ...xd];
  const leafBits = [f('D', PTF.DIRTY, 'dirty: set by the processor on a write', `${X86} 4.8`), f('G', PTF.GLOBAL, 'global: kept in the TLB across CR3 loads (CR4.PGE)', `${X86} 4.10.2.4`)];
  if (e.level === e.levels - 1) {
    return [p, ...rights, ...leafBits, f('PAT', PTF.HUGE_PAGE, 'PAT index bit 2 in a 4 KiB PTE', `${X86} ${pae ? 'Table 4-11' : 'Table 4-6'}, 4.9.2`), a('address', bitsOf(top, 12), 'physical address of the 4 KiB page', `${X86} ${pae ? 'Table 4-11' : 'Table 4-6'}`), ...xd];
  }
  const size = pae ? '2 MiB' : '4 MiB';
  return [
    p,
    ...rights,
    ...leafBits,
    f('PS', PTF.HUGE_PAGE, `page size: 1, this entry maps a ${size} page`, `${X86} ${pae ? 'Table 4-9' : 'Table 4-4'}`),
    f('PAT', X86PDE4M.PAT, `PAT index bit 2 in a ${size} page`, `${X86} 4.9.2`),
    ...(pae ? [] : [a('PA[39:32]', X86PDE4M.ADDR_HIGH, 'physical address bits 39:32 (PSE-36)', `${X86} Table 4-4`, 32)]),
    a('address', bitsOf(top, e.leafShift), `physical address of the ${size} page`, `${X86} ${pae ? 'Table 4-9' : 'Table 4-4'}`),
    ...xd,
  ];
}

// AArch64: Arm ARM DDI 0487, D8.3 (descriptor formats), D8.4 (permissions), D8.6 (memory attributes).
const ARM8 = 'Arm ARM DDI 0487';
const SH = ['Non-shareable', 'reserved', 'Outer Shareable', 'Inner Shareable'];
const AP = ['EL1 read/write, EL0 none', 'EL1 and EL0 read/write', 'EL1 read-only, EL0 none', 'EL1 and EL0 read-only'];
const AP_TABLE = ['no effect', 'no EL0 access below', 'no writes below', 'no writes and no EL0 access below'];
function a64Fields(e: EntryView): Field[] {
  const valid = f('valid', A64.VALID, 'bit 0: the descriptor is valid', `${ARM8} D8.3`, yes('valid', 'invalid: a walk here is a Translation fault'));
  if (!e.present) return [valid];
  if (!e.leaf) {
    return [
      valid,
      f('table', A64.NON_BLOCK, 'bit 1: 1 below level 3 is a Table descriptor', `${ARM8} D8.3`, yes('Table descriptor', 'Block descriptor')),
      a('NLTA', bitsOf(47, 12), 'next-level table address', `${ARM8} D8.3.1.1`),
      f('PXNTable', A64.PXN_TABLE, 'no EL1 execution at any later level', `${ARM8} D8.4.1.2.3`),
      f('UXNTable', A64.XN_TABLE, 'no EL0 execution at any later level', `${ARM8} D8.4.1.2.3`),
      f('APTable', A64.AP_TABLE, 'limits on data access at later levels', `${ARM8} D8.4.1.2.2`, (v) => AP_TABLE[v]!),
      f('NSTable', A64.NS_TABLE, 'later levels are Non-secure', `${ARM8} D8.3.1.1`),
    ];
  }
  const page = e.level === e.levels - 1;
  return [
    valid,
    f(page ? 'page' : 'block', A64.NON_BLOCK, page ? 'bit 1: 1 at level 3 is a Page descriptor' : 'bit 1: 0 is a Block descriptor', `${ARM8} D8.3`),
    f('AttrIndx', A64.ATTR_INDX, 'selects the memory type MAIR_ELx.Attr<n> (this library: 0 Device-nGnRE, 1 Normal WB, 2 Normal NC)', `${ARM8} D8.6.1`),
    f('NS', A64.NS, 'Non-secure output address (from Secure state)', `${ARM8} D8.3.1.2`),
    f('AP[2:1]', A64.AP_EL0 | A64.AP_RO, 'data access permissions', `${ARM8} D8.4.1.2.1`, (v) => AP[v]!),
    f('SH', A64.SHAREABLE | A64.INNER, 'shareability', `${ARM8} D8.6.2`, (v) => SH[v]!),
    f('AF', A64.AF, 'access flag: 0 faults on first access', `${ARM8} D8.5.1`),
    f('nG', A64.NG, 'not global: the TLB entry is tagged with the ASID', `${ARM8} D8.3.1.2`),
    a('OA', bitsOf(47, e.leafShift), `output address of the ${e.leafShift === 12 ? '4 KiB page' : e.leafShift === 21 ? '2 MiB block' : '1 GiB block'}`, `${ARM8} D8.3.1.2`),
    f('Contiguous', A64.CONTIGUOUS, 'one of 16 adjacent entries mapping an aligned range (a TLB hint)', `${ARM8} D8.7`),
    f('PXN', A64.PXN, 'privileged (EL1) execute-never', `${ARM8} D8.4.1.2.3`),
    f('UXN', A64.UXN, 'unprivileged (EL0) execute-never', `${ARM8} D8.4.1.2.3`),
  ];
}

// ARMv7-A short descriptors: ARM DDI 0406C, B3.5.1 (formats), B3.7 (permissions, XN/PXN), B3.8.2 (TEX, C, B).
const ARM7 = 'ARM DDI 0406C';
const AP7 = ['no access', 'PL1 read/write, PL0 none', 'PL1 read/write, PL0 read-only', 'read/write at every level', 'reserved', 'PL1 read-only, PL0 none', 'read-only at every level', 'read-only at every level'];
/** AP[2] and AP[1:0] read together: in a Section and a Large page AP[2] is 5 bits above AP[0] (bits 15, 11:10 and 9, 5:4). */
const ap = (v: number): string => AP7[((v >> 3) & 4) | (v & 3)]!;
function a32Fields(e: EntryView): Field[] {
  const type = f('type', A32.TYPE_MASK, 'bits 1:0: the descriptor type', `${ARM7} B3.5.1`);
  if (!e.present) return [type];
  const b = e.bits;
  if (e.level === 0 && !e.leaf) {
    return [type, f('PXN', A32.TABLE_PXN, 'nothing below executes at PL1', `${ARM7} B3.7.2`), f('NS', A32.TABLE_NS, 'the L2 table is Non-secure', `${ARM7} B3.5.1`), f('Domain', A32.TABLE_DOMAIN, 'the domain (DACR) of the section', `${ARM7} B3.7.3`), f('IMP', A32.TABLE_IMP, 'implementation defined', `${ARM7} B3.5.1`), a('base', A32.TABLE_BASE, 'physical address of the L2 table', `${ARM7} B3.5.1`)];
  }
  if (e.level === 0) {
    const supersection = (b & A32.SUPERSECTION) !== 0n;
    return [
      f('PXN', A32.SECTION_PXN, 'privileged execute-never', `${ARM7} B3.7.2`),
      f('type', bitsOf(1, 1), 'bit 1: a Section or Supersection', `${ARM7} B3.5.1`),
      f('B', A32.SECTION_B, 'bufferable (with TEX and C: the memory type)', `${ARM7} B3.8.2`),
      f('C', A32.SECTION_C, 'cacheable (with TEX and B: the memory type)', `${ARM7} B3.8.2`),
      f('XN', A32.SECTION_XN, 'execute-never', `${ARM7} B3.7.2`),
      supersection ? a('PA[39:36]', A32.SUPERSECTION_EXT_BASE_39_36, 'extended base address (a Supersection has no domain: it is domain 0)', `${ARM7} B3.5.1`, 36) : f('Domain', A32.SECTION_DOMAIN, 'the domain (DACR)', `${ARM7} B3.7.3`),
      f('IMP', A32.SECTION_IMP, 'implementation defined', `${ARM7} B3.5.1`),
      f('AP[2], AP[1:0]', A32.SECTION_AP2 | A32.SECTION_AP, 'access permissions (AP[2] at bit 15)', `${ARM7} B3.7.1`, ap),
      f('TEX', A32.SECTION_TEX, 'type extension (with C and B: the memory type)', `${ARM7} B3.8.2`),
      f('S', A32.SECTION_S, 'shareable', `${ARM7} B3.8.2`),
      f('nG', A32.SECTION_NG, 'not global (ASID-tagged)', `${ARM7} B3.5.1`),
      f('supersection', A32.SUPERSECTION, 'bit 18: 1 maps 16 MiB, 0 maps 1 MiB', `${ARM7} B3.5.1`, yes('Supersection (16 MiB)', 'Section (1 MiB)')),
      f('NS', A32.SECTION_NS, 'Non-secure', `${ARM7} B3.5.1`),
      ...(supersection ? [a('PA[35:32]', A32.SUPERSECTION_EXT_BASE_35_32, 'extended base address', `${ARM7} B3.5.1`, 32), a('base', A32.SUPERSECTION_BASE, 'physical address of the 16 MiB Supersection', `${ARM7} B3.5.1`)] : [a('base', A32.SECTION_BASE, 'physical address of the 1 MiB Section', `${ARM7} B3.5.1`)]),
    ];
  }
  if ((b & 2n) === 0n) {
    return [
      type,
      f('B', A32.LARGE_B, 'bufferable', `${ARM7} B3.8.2`),
      f('C', A32.LARGE_C, 'cacheable', `${ARM7} B3.8.2`),
      f('AP[2], AP[1:0]', A32.LARGE_AP2 | A32.LARGE_AP, 'access permissions (AP[2] at bit 9)', `${ARM7} B3.7.1`, ap),
      f('S', A32.LARGE_S, 'shareable', `${ARM7} B3.8.2`),
      f('nG', A32.LARGE_NG, 'not global', `${ARM7} B3.5.1`),
      f('TEX', A32.LARGE_TEX, 'type extension', `${ARM7} B3.8.2`),
      f('XN', A32.LARGE_XN, 'execute-never', `${ARM7} B3.7.2`),
      a('base', A32.LARGE_BASE, 'physical address of the 64 KiB Large page', `${ARM7} B3.5.1`),
    ];
  }
  return [
    f('XN', A32.SMALL_XN, 'execute-never', `${ARM7} B3.7.2`),
    f('type', bitsOf(1, 1), 'bit 1: a Small page', `${ARM7} B3.5.1`),
    f('B', A32.SMALL_B, 'bufferable', `${ARM7} B3.8.2`),
    f('C', A32.SMALL_C, 'cacheable', `${ARM7} B3.8.2`),
    f('AP[2], AP[1:0]', A32.SMALL_AP2 | A32.SMALL_AP, 'access permissions (AP[2] at bit 9)', `${ARM7} B3.7.1`, ap),
    f('TEX', A32.SMALL_TEX, 'type extension', `${ARM7} B3.8.2`),
    f('S', A32.SMALL_S, 'shareable', `${ARM7} B3.8.2`),
    f('nG', A32.SMALL_NG, 'not global', `${ARM7} B3.5.1`),
    a('base', A32.SMALL_BASE, 'physical address of the 4 KiB Small page', `${ARM7} B3.5.1`),
  ];
}

// RISC-V: Privileged Architecture (20211203), Sv39 "Addressing and Memory Protection" (PTE bits 9:0 as in Sv32,
// PPN 53:10, bits 60:54 reserved), Svpbmt (PBMT 62:61), Svnapot (N, 63).
const PRIV = 'RISC-V Privileged spec';
function rvFields(e: EntryView): Field[] {
  const v = f('V', RV.V, 'valid', `${PRIV} 4.3.1 (Sv32 PTE)`, yes('valid', 'invalid: a walk here is a page fault'));
  if (!e.present) return [v];
  const pointer = !e.leaf;
  const reservedHere = pointer ? ' (in a pointer: reserved, must be 0)' : '';
  return [
    v,
    f('R', RV.R, `readable${pointer ? ' (R = W = X = 0: a pointer to the next level)' : ''}`, `${PRIV} 4.3.1, table "Encoding of PTE R/W/X fields"`),
    f('W', RV.W, 'writable', `${PRIV} 4.3.1`),
    f('X', RV.X, 'executable', `${PRIV} 4.3.1`),
    f('U', RV.U, `user mode may access${reservedHere}`, `${PRIV} 4.3.1`),
    f('G', RV.G, 'global mapping', `${PRIV} 4.3.1`),
    f('A', RV.A, `accessed${reservedHere}`, `${PRIV} 4.3.1`),
    f('D', RV.D, `dirty${reservedHere}`, `${PRIV} 4.3.1`),
    f('RSW', RV.RSW, 'reserved for supervisor software', `${PRIV} 4.3.1`),
    a('PPN', bitsOf(53, 10), pointer ? 'physical page number of the next table (address = PPN << 12)' : 'physical page number (address = PPN << 12)', `${PRIV} 4.4.1 (Sv39 PTE)`, 12),
    f('reserved', bitsOf(60, 54), 'reserved, must be 0', `${PRIV} 4.4.1`),
    f('PBMT', RV.PBMT, 'page-based memory type', `${PRIV} Svpbmt`, (x) => ['PMA', 'NC (non-cacheable)', 'IO', 'reserved'][x]!),
    f('N', RV.N, 'NAPOT range (Svnapot)', `${PRIV} Svnapot`),
  ];
}

/** Sv32 (RV32): the same low bits in a 4-byte entry, whose PPN is bits 31:10 (4.3.1, "Sv32 page table entry"). */
function rv32Fields(e: EntryView): Field[] {
  const fields = rvFields(e);
  if (!e.present) return fields;
  const pointer = !e.leaf;
  return [
    ...fields.slice(0, 9),
    a('PPN', bitsOf(31, 10), pointer ? 'physical page number of the next table (address = PPN << 12)' : 'physical page number (address = PPN << 12, 34 bits)', `${PRIV} 4.3.1 (Sv32 PTE)`, 12),
  ];
}

// LoongArch64: LoongArch Reference Manual Vol. 1 v1.10, 5.4.2 (TLB entry bits), 5.4.5 (page-walk formats), 7.5.3
// (TLBELO bit positions).
const LAM = 'LoongArch Manual Vol. 1';
const MAT = ['strongly-ordered uncached', 'coherent cached', 'weakly-ordered uncached', 'reserved'];
function laFields(e: EntryView): Field[] {
  const huge = e.leaf && e.level < e.levels - 1;
  if (!e.leaf) {
    if (e.level < e.levels - 1) {
      return [f('huge', LA.GH, 'bit 6: 0 in a directory entry that points at a table', `${LAM} 5.4.5`), a('base', bitsOf(47, 12), 'physical address of the next-level table (LDDIR reads the entry as the address)', `${LAM} 4.2.5.1, 5.4.5`)];
    }
    return [f('V', LA.V, 'valid', `${LAM} 5.4.2`, yes('valid', 'invalid: a page-invalid exception')), f('P', LA.P, 'the physical page exists', `${LAM} 5.4.5`)];
  }
  return [
    f('V', LA.V, 'valid', `${LAM} 5.4.2, 7.5.3`),
    f('D', LA.D, 'dirty: stores allowed (0: page-modify exception)', `${LAM} 5.4.2, 5.4.4`),
    f('PLV', LA.PLVL | LA.PLVH, 'privilege level of the page (3: user)', `${LAM} 5.4.2`),
    f('MAT', LA.MATL | LA.MATH, 'memory access type', `${LAM} 5.3`, (x) => MAT[x]!),
    huge ? f('H', LA.GH, 'bit 6: a huge-page entry held in a directory', `${LAM} 5.4.5`) : f('G', LA.GH, 'global', `${LAM} 7.5.3`),
    f('P', LA.P, 'the physical page exists (page walk)', `${LAM} 5.4.5`),
    f('W', LA.W, 'writable (page walk)', `${LAM} 5.4.5`),
    ...(huge ? [f('G', LA.G, 'global, moved to bit 12 in a huge-page entry', `${LAM} 5.4.5`)] : []),
    a('PA', bitsOf(47, huge ? Math.max(13, e.leafShift) : 12), 'physical address of the page (PALEN = 48)', `${LAM} 5.4.5, 7.5.3`),
    f('NR', LA.NR, 'not readable: loads fault', `${LAM} 5.4.2`),
    f('NX', LA.NX, 'not executable: fetches fault', `${LAM} 5.4.2`),
    f('RPLV', LA.RPLV, 'restricted privilege: only exactly PLV may access', `${LAM} 5.4.2`),
  ];
}

const TABLES: Readonly<Record<string, (e: EntryView) => Field[]>> = {
  x86_64: x86Fields,
  x86: x86LegacyFields,
  aarch64: a64Fields,
  arm: a32Fields,
  riscv64: rvFields,
  riscv32: rv32Fields,
  loongarch64: laFields,
};

/** The fields of an entry of architecture `arch` (ptdump's name), low bits last as manuals draw them. */
export function entryFields(arch: string, e: EntryView): FieldInfo[] {
  const table = TABLES[arch];
  if (!table) return [];
  return table(e)
    .map((fd): FieldInfo => {
      const [msb, lsb] = range(fd.mask);
      const raw = (e.bits & fd.mask) >> BigInt(lsb);
      const value = fd.address ? `0x${(raw << BigInt(fd.placeAt ?? lsb)).toString(16)}` : fd.read ? fd.read(Number(raw)) : msb === lsb ? String(raw) : `0b${raw.toString(2).padStart(msb - lsb + 1, '0')}`;
      const positions: number[] = [];
      for (let i = msb; i >= lsb; i--) if ((fd.mask >> BigInt(i)) & 1n) positions.push(i);
      return { name: fd.name, msb, lsb, positions, set: raw !== 0n, value, meaning: fd.meaning, section: fd.section, address: fd.address === true };
    })
    .sort((x, y) => y.lsb - x.lsb);
}
