// From satp to an attach plan.
// Source: The RISC-V Instruction Set Manual, Volume II: Privileged Architecture (20211203), 4.1.11 "Supervisor
// Address Translation and Protection (satp) Register": for SXLEN = 64, MODE is bits 63:60, ASID bits 59:44 and PPN
// bits 43:0 (the root table's physical page number); Table 4.4 "Encoding of satp MODE field": 0 Bare (no
// translation), 1-7 reserved for standard use, 8 Sv39, 9 Sv48, 10 Sv57, 11 reserved for Sv64, 12-13 reserved
// for standard use, 14-15 designated for custom use. Sections 4.4-4.6: an Sv39 / Sv48 / Sv57 address is valid
// when bits 63:39 / 63:48 / 63:57 all equal its top translated bit; addresses with that bit set are the upper
// half, which supervisor software conventionally keeps for itself.
import {
  type AddrInput,
  type AttachPlan,
  defaultRoots,
  field,
  hex,
  type PageTableOptions,
  type PagingHandler,
  RegisterError,
  registerValue,
  type TableFormat,
} from '@page-table-multiarch/core';
import {
  Rv32PTE,
  Rv32PTEGStage,
  Rv64PTEGStage,
  Rv64PTEGStageSvpbmt,
  Rv64PTELegal,
  Rv64PTESvpbmt,
  Rv64PTEXuantieLegal,
} from '@page-table-multiarch/entry/riscv';
import { rvInspector } from './inspector';
import {
  Sv32MetaData,
  Sv32x4MetaData,
  Sv39MetaData,
  Sv39SvnapotMetaData,
  Sv39x4MetaData,
  Sv48MetaData,
  Sv48SvnapotMetaData,
  Sv48x4MetaData,
  Sv57MetaData,
  Sv57SvnapotMetaData,
  Sv57x4MetaData,
} from './metadata';
import {
  Sv32PageTable,
  Sv32x4PageTable,
  Sv39PageTable,
  Sv39PageTableXuantie,
  Sv39x4PageTable,
  Sv48PageTable,
  Sv48PageTableXuantie,
  Sv48x4PageTable,
  Sv57PageTable,
  Sv57x4PageTable,
} from './tables';

/** The satp value of a RISC-V hart (RV64). */
export interface RiscvRegisters {
  /** satp: MODE, ASID and the root's PPN. */
  readonly satp: AddrInput;
  /** Read entries with the T-Head XuanTie C9xx attributes (bits 63:59) instead of Svpbmt / Svnapot (default false). */
  readonly xuantie?: boolean;
  /** The hart's SXLEN: 64 (default; MODE 8, 9, 10) or 32 (RV32: MODE 1 is Sv32, satp is a 32-bit value). */
  readonly xlen?: 32 | 64;
  /**
   * The hart has Svpbmt enabled (menvcfg.PBMTE = 1): a table attached through the plan writes DEVICE and UNCACHED
   * as PBMT = IO and NC (default false). Reading decodes PBMT either way. Not with `xuantie`.
   */
  readonly svpbmt?: boolean;
  /**
   * The hart has Svnapot: the plan's format reads 64 KiB NAPOT pages (last-level leaves with N, bit 63, and
   * ppn[0][3:0] = 0b1000) as one 64 KiB page (default false: bit 63 is not read as N). RV64 only, not with `xuantie`.
   */
  readonly svnapot?: boolean;
}

/**
 * The RISC-V table format for satp MODE 1 (Sv32, RV32), 8, 9 or 10 (optionally with the XuanTie attributes; not
 * for Sv57 or Sv32; or with Svpbmt memory types, not for Sv32 and not with the XuanTie attributes).
 */
export function rvFormat(mode: 1 | 8 | 9 | 10, xuantie = false, svpbmt = false, svnapot = false): TableFormat {
  if (xuantie && (mode === 10 || mode === 1)) throw new RangeError(`rvFormat: there is no XuanTie ${mode === 1 ? 'Sv32' : 'Sv57'} table type`);
  if (svpbmt && (xuantie || mode === 1)) throw new RangeError(`rvFormat: Svpbmt does not go with ${xuantie ? 'the XuanTie attributes' : 'Sv32'}`);
  if (svnapot && (xuantie || mode === 1)) throw new RangeError(`rvFormat: Svnapot does not go with ${xuantie ? 'the XuanTie attributes' : 'Sv32'}`);
  if (mode === 1) {
    return Object.freeze({
      name: 'Sv32',
      meta: Sv32MetaData,
      pte: Rv32PTE,
      inspector: rvInspector({ levels: 2 }),
      attach: (handler: PagingHandler, root: AddrInput, options: PageTableOptions = {}) => new Sv32PageTable(handler, { ...options, root }),
    });
  }
  const levels = mode === 8 ? 3 : mode === 9 ? 4 : 5;
  const name = ['Sv39', 'Sv48', 'Sv57'][mode - 8]!;
  const extensions = [...(svpbmt ? ['Svpbmt'] : []), ...(svnapot ? ['Svnapot'] : [])].join(', ');
  const plain = mode === 8 ? Sv39MetaData : mode === 9 ? Sv48MetaData : Sv57MetaData;
  const napot = mode === 8 ? Sv39SvnapotMetaData : mode === 9 ? Sv48SvnapotMetaData : Sv57SvnapotMetaData;
  return Object.freeze({
    name: xuantie ? `${name} (XuanTie C9xx)` : extensions !== '' ? `${name} (${extensions})` : name,
    meta: svnapot ? napot : plain,
    pte: xuantie ? Rv64PTEXuantieLegal : svpbmt ? Rv64PTESvpbmt : Rv64PTELegal,
    inspector: rvInspector({ levels, xuantie }),
    attach(handler: PagingHandler, root: AddrInput, options: PageTableOptions = {}) {
      const o = { ...options, root, ...(svpbmt ? { svpbmt } : {}), ...(svnapot ? { svnapot } : {}) };
      if (mode === 8) return xuantie ? new Sv39PageTableXuantie(handler, o) : new Sv39PageTable(handler, o);
      if (mode === 9) return xuantie ? new Sv48PageTableXuantie(handler, o) : new Sv48PageTable(handler, o);
      return new Sv57PageTable(handler, o);
    },
  });
}

/**
 * Decodes an RV64 satp value into an attach plan: Sv39 (MODE 8), Sv48 (9) or Sv57 (10), the root at PPN << 12,
 * and the two halves of the address space (the upper one the kernel's). Bare (0), Sv64 (11) and the custom
 * modes (14, 15) are 'Unsupported'; the reserved modes (1-7, 12, 13) are 'Invalid'. With `xlen: 32` it decodes an
 * RV32 satp: MODE (bit 31) 1 is Sv32, the root at PPN (bits 21:0) << 12, one range of 32-bit addresses; a value
 * wider than 32 bits is 'Invalid' and Bare 'Unsupported'.
 * @throws TypeError / PagingError 'InvalidAddress' for a value that is not a u64.
 * @example
 * const plan = decodeRiscvSatp({ satp: (8n << 60n) | 0x80201n }); // Sv39, root at 0x80201000
 * if (plan instanceof RegisterError) throw plan;
 * plan.roots[0].root; // 0x80201000n
 */
export function decodeRiscvSatp(regs: RiscvRegisters): AttachPlan | RegisterError {
  const satp = registerValue(regs.satp, 'satp');
  if (regs.xlen === 32) return decodeSatp32(satp, regs.xuantie ?? false);
  const mode = field(satp, 63, 60);
  const asid = field(satp, 59, 44);
  const ppn = satp & ((1n << 44n) - 1n);
  const xuantie = regs.xuantie ?? false;
  if (mode === 0) return new RegisterError('Unsupported', 'satp.MODE', `satp ${hex(satp)}: MODE 0 (Bare) means no translation`);
  if (mode === 11) return new RegisterError('Unsupported', 'satp.MODE', `satp ${hex(satp)}: MODE 11 is reserved for Sv64, which is not defined`);
  if (mode >= 14) return new RegisterError('Unsupported', 'satp.MODE', `satp ${hex(satp)}: MODE ${mode} is a custom mode`);
  if (mode < 8 || mode > 10) return new RegisterError('Invalid', 'satp.MODE', `satp ${hex(satp)}: MODE ${mode} is reserved`);
  if (xuantie && mode === 10) return new RegisterError('Unsupported', 'satp.MODE', 'XuanTie C9xx cores have no Sv57 (MODE 10)');
  const svpbmt = regs.svpbmt ?? false;
  if (svpbmt && xuantie) return new RegisterError('Invalid', 'satp', 'Svpbmt and the XuanTie attributes use the same PTE bits: give one of them');
  const svnapot = regs.svnapot ?? false;
  if (svnapot && xuantie) return new RegisterError('Invalid', 'satp', "Svnapot's N and the XuanTie attributes use the same PTE bit: give one of them");
  const m = mode as 8 | 9 | 10;
  const notes: string[] = [];
  if (asid !== 0) notes.push(`satp: ASID ${hex(asid)}`);
  const format = rvFormat(m, xuantie, svpbmt, svnapot);
  // the two halves of the 39-, 48- or 57-bit space; the upper one the kernel's
  return { arch: 'riscv64', format, roots: defaultRoots(format.meta, ppn << 12n, 'satp'), notes };
}

/**
 * satp of an RV32 hart. Source: privileged manual (20211203), 4.1.11 "Supervisor Address Translation and Protection
 * (satp) Register": for SXLEN = 32, MODE is bit 31 (Table 4.4: 0 Bare, 1 Sv32), ASID bits 30:22 (ASIDMAX 9) and PPN
 * bits 21:0 (the root's physical address >> 12, 34-bit physical addresses).
 */
function decodeSatp32(satp: bigint, xuantie: boolean): AttachPlan | RegisterError {
  if (satp >> 32n !== 0n) return new RegisterError('Invalid', 'satp', `satp ${hex(satp)} does not fit the 32 bits of an RV32 satp`);
  if (field(satp, 31, 31) === 0) return new RegisterError('Unsupported', 'satp.MODE', `satp ${hex(satp)}: MODE 0 (Bare) means no translation`);
  if (xuantie) return new RegisterError('Unsupported', 'satp.MODE', 'XuanTie C9xx cores are RV64: they have no Sv32');
  const asid = field(satp, 30, 22);
  const format = rvFormat(1);
  const notes = asid !== 0 ? [`satp: ASID ${hex(asid)}`] : [];
  return { arch: 'riscv32', format, roots: defaultRoots(format.meta, (satp & 0x3f_ffffn) << 12n, 'satp'), notes };
}

/** The hgatp value of a RISC-V hart with the hypervisor extension (RV64). */
export interface RiscvHgatpRegisters {
  /** hgatp: MODE, VMID and the G-stage root's PPN. */
  readonly hgatp: AddrInput;
  /** The hart's HSXLEN: 64 (default; MODE 8, 9, 10) or 32 (RV32: MODE bit 31 = 1 is Sv32x4). */
  readonly xlen?: 32 | 64;
  /** Svpbmt enabled for the guest (henvcfg.PBMTE = 1): an attached table writes PBMT memory types (RV64 only). */
  readonly svpbmt?: boolean;
}

/**
 * The G-stage table format for hgatp MODE 1 (Sv32x4, RV32), 8 (Sv39x4), 9 (Sv48x4) or 10 (Sv57x4), optionally with
 * Svpbmt memory types (not for Sv32x4).
 */
export function rvGStageFormat(mode: 1 | 8 | 9 | 10, svpbmt = false): TableFormat {
  if (svpbmt && mode === 1) throw new RangeError('rvGStageFormat: Sv32x4 entries have no PBMT field');
  if (mode === 1) {
    return Object.freeze({
      name: 'Sv32x4',
      meta: Sv32x4MetaData,
      pte: Rv32PTEGStage,
      inspector: rvInspector({ levels: 2, gStage: true }),
      attach: (handler: PagingHandler, root: AddrInput, options: PageTableOptions = {}) => new Sv32x4PageTable(handler, { ...options, root }),
    });
  }
  if (mode !== 8 && mode !== 9 && mode !== 10) throw new RangeError(`rvGStageFormat: MODE ${String(mode)} (expected 1, 8, 9 or 10)`);
  const levels = mode === 8 ? 3 : mode === 9 ? 4 : 5;
  const meta = mode === 8 ? Sv39x4MetaData : mode === 9 ? Sv48x4MetaData : Sv57x4MetaData;
  return Object.freeze({
    name: svpbmt ? `${meta.name} (Svpbmt)` : meta.name,
    meta,
    pte: svpbmt ? Rv64PTEGStageSvpbmt : Rv64PTEGStage,
    inspector: rvInspector({ levels, gStage: true }),
    attach(handler: PagingHandler, root: AddrInput, options: PageTableOptions = {}) {
      const o = svpbmt ? { ...options, root, svpbmt } : { ...options, root };
      if (mode === 8) return new Sv39x4PageTable(handler, o);
      if (mode === 9) return new Sv48x4PageTable(handler, o);
      return new Sv57x4PageTable(handler, o);
    },
  });
}

/**
 * Decodes an RV64 hgatp value into an attach plan for the G-stage table: Sv39x4 (MODE 8), Sv48x4 (9) or Sv57x4
 * (10), the root at PPN << 12, and one range of guest-physical addresses from 0 (41, 50 or 59 bits).
 * Source: the privileged manual (20211203), chapter "Hypervisor Extension, Version 1.0", section "Hypervisor Guest
 * Address Translation and Protection Register (hgatp)": for HSXLEN = 64, MODE is bits 63:60 (table "Encoding of
 * hgatp MODE field": 0 Bare, 8 Sv39x4, 9 Sv48x4, 10 Sv57x4, the others reserved), bits 59:58 are zero, VMID is
 * bits 57:44 and PPN bits 43:0; the root is 16 KiB and 16 KiB-aligned, so PPN bits 1:0 read as zero. Bare (0) is
 * 'Unsupported' (no G-stage translation); the reserved modes, bits 59:58 set and a root that is not 16 KiB
 * aligned are 'Invalid'. With `xlen: 32` it decodes an RV32 hgatp: MODE (bit 31) 1 is Sv32x4, VMID bits 28:22,
 * PPN bits 21:0, bits 30:29 zero.
 * @throws TypeError / PagingError 'InvalidAddress' for a value that is not a u64.
 * @example
 * const plan = decodeRiscvHgatp({ hgatp: (8n << 60n) | 0x80204n }); // Sv39x4, root at 0x80204000
 * if (plan instanceof RegisterError) throw plan;
 * plan.roots[0].root; // 0x80204000n
 */
export function decodeRiscvHgatp(regs: RiscvHgatpRegisters): AttachPlan | RegisterError {
  const hgatp = registerValue(regs.hgatp, 'hgatp');
  if (regs.xlen === 32) return decodeHgatp32(hgatp);
  const mode = field(hgatp, 63, 60);
  const vmid = field(hgatp, 57, 44);
  const ppn = hgatp & ((1n << 44n) - 1n);
  if (mode === 0) return new RegisterError('Unsupported', 'hgatp.MODE', `hgatp ${hex(hgatp)}: MODE 0 (Bare) means no G-stage translation`);
  if (mode < 8 || mode > 10) return new RegisterError('Invalid', 'hgatp.MODE', `hgatp ${hex(hgatp)}: MODE ${mode} is reserved`);
  if (field(hgatp, 59, 58) !== 0) return new RegisterError('Invalid', 'hgatp', `hgatp ${hex(hgatp)}: bits 59:58 must be zero`);
  if ((ppn & 3n) !== 0n) {
    return new RegisterError('Invalid', 'hgatp.PPN', `hgatp ${hex(hgatp)}: the G-stage root ${hex(ppn << 12n)} is not 16 KiB aligned`);
  }
  const notes: string[] = [];
  if (vmid !== 0) notes.push(`hgatp: VMID ${hex(vmid)}`);
  const format = rvGStageFormat(mode as 8 | 9 | 10, regs.svpbmt ?? false);
  return { arch: 'riscv64', format, roots: defaultRoots(format.meta, ppn << 12n, 'hgatp'), notes };
}

/**
 * hgatp of an RV32 hypervisor. Source: the privileged manual (20211203), Hypervisor Extension, "hgatp": for
 * HSXLEN = 32, MODE is bit 31 (0 Bare, 1 Sv32x4), bits 30:29 are zero, VMID bits 28:22 (VMIDMAX 7) and PPN bits 21:0;
 * the root is 16 KiB aligned, so PPN bits 1:0 are zero.
 */
function decodeHgatp32(hgatp: bigint): AttachPlan | RegisterError {
  if (hgatp >> 32n !== 0n) return new RegisterError('Invalid', 'hgatp', `hgatp ${hex(hgatp)} does not fit the 32 bits of an RV32 hgatp`);
  if (field(hgatp, 31, 31) === 0) return new RegisterError('Unsupported', 'hgatp.MODE', `hgatp ${hex(hgatp)}: MODE 0 (Bare) means no G-stage translation`);
  if (field(hgatp, 30, 29) !== 0) return new RegisterError('Invalid', 'hgatp', `hgatp ${hex(hgatp)}: bits 30:29 must be zero`);
  const ppn = hgatp & 0x3f_ffffn;
  if ((ppn & 3n) !== 0n) {
    return new RegisterError('Invalid', 'hgatp.PPN', `hgatp ${hex(hgatp)}: the G-stage root ${hex(ppn << 12n)} is not 16 KiB aligned`);
  }
  const vmid = field(hgatp, 28, 22);
  const format = rvGStageFormat(1);
  const notes = vmid !== 0 ? [`hgatp: VMID ${hex(vmid)}`] : [];
  return { arch: 'riscv32', format, roots: defaultRoots(format.meta, ppn << 12n, 'hgatp'), notes };
}
