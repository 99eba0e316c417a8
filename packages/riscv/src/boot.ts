// From a table to the satp value that makes a hart walk it: the inverse of decodeRiscvSatp.
// Source: The RISC-V Instruction Set Manual, Volume II: Privileged Architecture (20211203), 4.1.11 "Supervisor
// Address Translation and Protection (satp) Register": for SXLEN = 64, MODE is bits 63:60 (Table 4.4: 8 Sv39,
// 9 Sv48, 10 Sv57), ASID bits 59:44 (ASIDLEN at most 16; a hart may implement fewer, and the bits it lacks read
// as zero) and PPN bits 43:0, the root table's physical address >> 12.
import { loadableRoot, registerField } from '@page-table-multiarch/core';
import { Sv39MetaData, Sv39x4MetaData, Sv48MetaData, Sv48x4MetaData, Sv57MetaData, Sv57x4MetaData } from './metadata';
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

/** Options of {@link encodeRiscvSatp}. */
export interface RiscvEncodeOptions {
  /** The address-space identifier for satp.ASID (default 0): 0..65535, or 0..511 for an Sv32 table (RV32). */
  readonly asid?: number;
}

/** The satp value for a table. */
export interface RiscvBootRegisters {
  /** satp: MODE of the table's format, the ASID, and the root's PPN. */
  readonly satp: bigint;
}

/** A RISC-V table of any of the package's types. */
export type RiscvPageTable = Sv32PageTable | Sv39PageTable | Sv39PageTableXuantie | Sv48PageTable | Sv48PageTableXuantie | Sv57PageTable;

/**
 * The satp value for a table: MODE 8 (Sv39), 9 (Sv48) or 10 (Sv57) by its type, the ASID, and PPN = root >> 12;
 * for an Sv32 table the 32-bit RV32 value, MODE 1 in bit 31, the ASID in bits 30:22 and the PPN in bits 21:0.
 * `decodeRiscvSatp` of the result gives the same format and root back (pass `xuantie: true` for the XuanTie
 * tables, whose attribute bits satp does not say).
 * @throws TypeError when `table` is not one of the package's table types, or `asid` is not an integer;
 *   RangeError when `asid` is outside 0..65535 (0..511 for Sv32); PagingError 'Destroyed' for a destroyed table.
 * @example
 * const table = new Sv39PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x8020_0000n }));
 * encodeRiscvSatp(table).satp === (8n << 60n) | (table.rootPaddr >> 12n); // true
 */
export function encodeRiscvSatp(table: RiscvPageTable, options: RiscvEncodeOptions = {}): RiscvBootRegisters {
  const fn = 'encodeRiscvSatp';
  if (table instanceof Sv32PageTable) {
    // RV32 (4.1.11): MODE bit 31 (1 = Sv32), ASID bits 30:22, PPN bits 21:0
    const asid32 = options.asid === undefined ? 0n : registerField(options.asid, 9, fn, 'asid');
    return { satp: (1n << 31n) | (asid32 << 22n) | (loadableRoot(table, fn) >> 12n) };
  }
  const known =
    table instanceof Sv39PageTable ||
    table instanceof Sv39PageTableXuantie ||
    table instanceof Sv48PageTable ||
    table instanceof Sv48PageTableXuantie ||
    table instanceof Sv57PageTable;
  if (!known) throw new TypeError(`${fn}: "table" must be an Sv32, Sv39, Sv48 or Sv57 page table of this package`);
  const asid = options.asid === undefined ? 0n : registerField(options.asid, 16, fn, 'asid');
  const meta = table.meta;
  const mode = meta === Sv39MetaData ? 8n : meta === Sv48MetaData ? 9n : meta === Sv57MetaData ? 10n : undefined;
  if (mode === undefined) throw new TypeError(`${fn}: the table's format ${meta.name} has no satp MODE`);
  return { satp: (mode << 60n) | (asid << 44n) | (loadableRoot(table, fn) >> 12n) };
}

/** Options of {@link encodeRiscvHgatp}. */
export interface RiscvHgatpOptions {
  /** The virtual-machine identifier for hgatp.VMID (default 0): 0..16383, or 0..127 for an Sv32x4 table (RV32). */
  readonly vmid?: number;
}

/** The hgatp value for a G-stage table. */
export interface RiscvHgatpValue {
  /** hgatp: MODE of the table's format, the VMID, and the root's PPN. */
  readonly hgatp: bigint;
}

/** A RISC-V G-stage table of any of the package's types. */
export type RiscvGStagePageTable = Sv32x4PageTable | Sv39x4PageTable | Sv48x4PageTable | Sv57x4PageTable;

/**
 * The hgatp value for a G-stage table: MODE 8 (Sv39x4), 9 (Sv48x4) or 10 (Sv57x4) by its type, the VMID, and
 * PPN = root >> 12 (the root is 16 KiB aligned, so PPN bits 1:0 are zero). Source: the privileged manual
 * (20211203), chapter "Hypervisor Extension, Version 1.0", section "Hypervisor Guest Address Translation and
 * Protection Register (hgatp)": for HSXLEN = 64, MODE is bits 63:60, VMID bits 57:44 (VMIDLEN at most 14) and PPN
 * bits 43:0; for an Sv32x4 table the 32-bit RV32 value (MODE 1 in bit 31, VMID bits 28:22, PPN bits 21:0).
 * `decodeRiscvHgatp` of the result (with `xlen: 32` for Sv32x4) gives the same format and root back.
 * @throws TypeError when `table` is not one of the package's G-stage table types, or `vmid` is not an integer;
 *   RangeError when `vmid` is outside 0..16383 (0..127 for Sv32x4); PagingError 'Destroyed' for a destroyed table.
 * @example
 * const table = new Sv39x4PageTable(new PhysicalMemory({ size: 1 << 20, base: 0x8020_0000n }));
 * encodeRiscvHgatp(table, { vmid: 1 }).hgatp === (8n << 60n) | (1n << 44n) | (table.rootPaddr >> 12n); // true
 */
export function encodeRiscvHgatp(table: RiscvGStagePageTable, options: RiscvHgatpOptions = {}): RiscvHgatpValue {
  const fn = 'encodeRiscvHgatp';
  if (table instanceof Sv32x4PageTable) {
    // RV32 hgatp: MODE bit 31 (1 = Sv32x4), VMID bits 28:22, PPN bits 21:0
    const vmid32 = options.vmid === undefined ? 0n : registerField(options.vmid, 7, fn, 'vmid');
    return { hgatp: (1n << 31n) | (vmid32 << 22n) | (loadableRoot(table, fn) >> 12n) };
  }
  const known = table instanceof Sv39x4PageTable || table instanceof Sv48x4PageTable || table instanceof Sv57x4PageTable;
  if (!known) throw new TypeError(`${fn}: "table" must be an Sv32x4, Sv39x4, Sv48x4 or Sv57x4 page table of this package`);
  const vmid = options.vmid === undefined ? 0n : registerField(options.vmid, 14, fn, 'vmid');
  const meta = table.meta;
  const mode = meta === Sv39x4MetaData ? 8n : meta === Sv48x4MetaData ? 9n : meta === Sv57x4MetaData ? 10n : undefined;
  if (mode === undefined) throw new TypeError(`${fn}: the table's format ${meta.name} has no hgatp MODE`);
  return { hgatp: (mode << 60n) | (vmid << 44n) | (loadableRoot(table, fn) >> 12n) };
}
