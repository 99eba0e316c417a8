// Stage 2 registers, both ways: VTCR_EL2 and VTTBR_EL2 decoded into an attach plan, and encoded for a table; and
// what a dump needs to know about stage 2 descriptors.
// Source: Arm ARM DDI 0487 (K.a), the AArch64 System Register descriptions of:
// - VTCR_EL2: T0SZ [5:0], SL0 [7:6], IRGN0 [9:8], ORGN0 [11:10], SH0 [13:12], TG0 [15:14] (0b00 4KB, 0b01 64KB,
//   0b10 16KB), PS [18:16] (0b000 32 bits, 0b001 36, 0b010 40, 0b011 42, 0b100 44, 0b101 48, 0b110 52), VS [19]
//   (1: 16-bit VMIDs), bit 31 RES1, DS [32] (FEAT_LPA2), SL2 [33] (FEAT_LPA2, 4KB).
// - VTTBR_EL2: VMID [63:48] (bits 63:56 RES0 with 8-bit VMIDs, VTCR_EL2.VS = 0), BADDR [47:1], CnP [0]; the root
//   is aligned to its size (its concatenated tables together), so BADDR bits below that are RES0.
// - IRGN0 / ORGN0 0b01: the walks read the tables as Normal Write-Back Read-Allocate Write-Allocate memory; SH0 0b11:
//   Inner Shareable.
// and D8.2 with the pseudocode AArch64.S2StartLevel() (SL0 to the start level, see stage2.ts).
// Descriptors (D8.3.1.2, D8.4, D8.6, as the stage 2 codec): MemAttr [5:2], S2AP [7:6], SH [9:8], AF [10],
// Contiguous [52], XN[1:0] [54:53]; stage 2 Table descriptors carry no hierarchical attributes.
import {
  type AddrInput,
  type AttachPlan,
  type EntryInspector,
  NO_LIMIT,
  field,
  hex,
  loadableRoot,
  type PageTableOptions,
  type PagingHandler,
  RegisterError,
  registerField,
  registerValue,
  type TableFormat,
} from '@page-table-multiarch/core';
import { a64Stage2Codec } from '@page-table-multiarch/entry/aarch64';
import type { A64Granule } from './metadata';
import { A64_STAGE2_PA_BITS, A64Stage2PageTable, a64Stage2Geometry, a64Stage2MetaData } from './stage2';

// high-word masks (entry bit n is bit n - 32 of the high word)
const CONT_HI = 0x10_0000; // bit 52
const XN0_HI = 0x20_0000; // bit 53
const XN_HI = 0x40_0000; // bit 54

/** The stage 2 memory type of MemAttr[3:0] for listings (D8.6, FEAT_S2FWB disabled). */
function memAttrName(m: number): string {
  if (m >>> 2 === 0) return ['Dev-nGnRnE', 'Dev-nGnRE', 'Dev-nGRE', 'Dev-GRE'][m]!;
  const c = ['?', 'NC', 'WT', 'WB'];
  const outer = c[m >>> 2]!;
  const inner = c[m & 3]!;
  return outer === inner ? outer : `O${outer}/I${inner}`;
}

/**
 * The stage 2 `EntryInspector`: level names from the start level, no hierarchical limits (a stage 2 Table descriptor
 * has none), and the descriptor attributes for listings: S2AP (`S2AP=none`, `RO`, `WO`, `RW`), the MemAttr memory
 * type, SH, AF, Contiguous and XN (`XN[1:0]` with FEAT_XNX). Runs break on every bit of those fields.
 */
export function a64Stage2Inspector(startLevel: number, xnx = false): EntryInspector {
  const names = ['L0', 'L1', 'L2', 'L3'].slice(startLevel);
  const pageLevel = names.length - 1;
  return Object.freeze({
    levelNames: Object.freeze(names),
    tableLimit(_lo: number, _hi: number, _level: number): number {
      return NO_LIMIT;
    },
    attrLo(lo: number, _hi: number, _level: number): number {
      return lo & 0x7ff;
    },
    attrHi(_lo: number, hi: number, _level: number): number {
      return hi & (CONT_HI | XN0_HI | XN_HI);
    },
    describe(lo: number, hi: number, level: number, leaf: boolean): string {
      if (!leaf) return '';
      const out = [level === pageLevel ? 'PAGE' : 'BLOCK'];
      out.push(memAttrName((lo >>> 2) & 15));
      out.push(`S2AP=${['none', 'RO', 'WO', 'RW'][(lo >>> 6) & 3]!}`);
      out.push(['NSH', 'SH?', 'OSH', 'ISH'][(lo >>> 8) & 3]!);
      if (lo & (1 << 10)) out.push('AF');
      if (hi & CONT_HI) out.push('CONT');
      const xn = (hi >>> (53 - 32)) & 3;
      if (xnx) out.push(['X', 'XN.EL1', 'XN', 'XN.EL0'][xn]!);
      else if (xn & 2) out.push('XN');
      return out.join(' ');
    },
  });
}

/**
 * The stage 2 table format of one geometry, for dumps and `ptdump`: the table's own metadata (its root, of one or
 * several concatenated tables, at level 0), the stage 2 codec and inspector.
 * @throws RangeError as `a64Stage2MetaData`.
 */
export function a64Stage2Format(granule: A64Granule, ipaBits: number, startLevel?: number, paBits = 48, xnx = false): TableFormat {
  const meta = a64Stage2MetaData(granule, ipaBits, startLevel, paBits);
  const g = a64Stage2Geometry(granule, ipaBits, startLevel);
  return Object.freeze({
    name: `AArch64 stage 2, ${granule} KiB granule, ${ipaBits}-bit IPA from level ${g.startLevel}`,
    meta,
    pte: a64Stage2Codec({ granule, startLevel: g.startLevel as 0 | 1 | 2 | 3, xnx }),
    inspector: a64Stage2Inspector(g.startLevel, xnx),
    attach(handler: PagingHandler, root: AddrInput, options: PageTableOptions = {}) {
      return new A64Stage2PageTable(handler, { ...options, root, granule, ipaBits, startLevel: g.startLevel, paBits, xnx });
    },
  });
}

/** The stage 2 registers of a hypervisor. */
export interface A64Stage2Registers {
  /** VTCR_EL2: the IPA width, granule, start level and output width. */
  readonly vtcr: AddrInput;
  /** VTTBR_EL2: the root and the VMID. */
  readonly vttbr: AddrInput;
  /** FEAT_XNX in use: read XN[1:0] as both execute-never bits. Default false. */
  readonly xnx?: boolean;
}

/** VTCR_EL2.TG0 [15:14] to the granule (0b11 reserved). */
const TG0_GRANULE: readonly (A64Granule | undefined)[] = [4, 64, 16, undefined];
/** BADDR [47:1] of VTTBR_EL2. */
const BADDR = 0x0000_ffff_ffff_fffen;

/**
 * Decodes VTCR_EL2 and VTTBR_EL2 into an attach plan for the stage 2 table: IPAs [0, 2^(64 - T0SZ)), the granule
 * from TG0, the start level from SL0 (AArch64.S2StartLevel()), the output width from PS, the root from BADDR, and the
 * VMID (8 bits, or 16 with VS = 1) as a note. A reserved TG0 or PS, an SL0 the granule does not have, and a start
 * level inconsistent with T0SZ (AArch64.S2InconsistentSL()) are 'Invalid'; DS = 1 (52 bits with LPA2), PS = 52 bits,
 * a start level that needs FEAT_TTST or FEAT_LPA2 and T0SZ outside 16..39 are 'Unsupported'.
 * @throws TypeError / PagingError 'InvalidAddress' for a value that is not a u64.
 * @example
 * // T0SZ = 24 (40 bits), SL0 = 0b01 (level 1), TG0 = 4KB, PS = 48 bits, VMID 5
 * const plan = decodeA64Stage2Registers({ vtcr: 0x8005_0058n, vttbr: (5n << 48n) | 0x4000_2000n });
 * if (plan instanceof RegisterError) throw plan;
 * plan.roots[0].root; // 0x40002000n
 */
export function decodeA64Stage2Registers(regs: A64Stage2Registers): AttachPlan | RegisterError {
  const vtcr = registerValue(regs.vtcr, 'vtcr');
  const vttbr = registerValue(regs.vttbr, 'vttbr');
  const notes: string[] = [];
  if (field(vtcr, 32, 32) === 1) return new RegisterError('Unsupported', 'VTCR_EL2.DS', 'VTCR_EL2.DS = 1 (52-bit addresses with LPA2) is not supported');
  const tg = field(vtcr, 15, 14);
  const granule = TG0_GRANULE[tg];
  if (granule === undefined) return new RegisterError('Invalid', 'VTCR_EL2.TG0', `VTCR_EL2.TG0 = 0b11 is a reserved granule encoding`);
  const t0sz = field(vtcr, 5, 0);
  if (t0sz < 16) return new RegisterError('Unsupported', 'VTCR_EL2.T0SZ', `VTCR_EL2.T0SZ = ${t0sz}: ${64 - t0sz}-bit IPAs need FEAT_LPA / LPA2, which are not supported`);
  if (t0sz > 39) return new RegisterError('Unsupported', 'VTCR_EL2.T0SZ', `VTCR_EL2.T0SZ = ${t0sz}: T0SZ above 39 (FEAT_TTST) is not supported`);
  const sl0 = field(vtcr, 7, 6);
  if (sl0 === 3) {
    const why = granule === 4 ? 'level 3 needs FEAT_TTST' : granule === 16 ? 'level 0 needs FEAT_LPA2 (DS = 1)' : 'reserved with the 64KB granule';
    return new RegisterError(granule === 64 ? 'Invalid' : 'Unsupported', 'VTCR_EL2.SL0', `VTCR_EL2.SL0 = 0b11: ${why}`);
  }
  const startLevel = granule === 4 ? 2 - sl0 : 3 - sl0;
  const ps = field(vtcr, 18, 16);
  if (ps === 6) return new RegisterError('Unsupported', 'VTCR_EL2.PS', 'VTCR_EL2.PS = 0b110 (52-bit physical addresses, FEAT_LPA) is not supported');
  const paBits = A64_STAGE2_PA_BITS[ps];
  if (paBits === undefined) return new RegisterError('Invalid', 'VTCR_EL2.PS', `VTCR_EL2.PS = 0b${ps.toString(2)} is reserved`);
  const ipaBits = 64 - t0sz;
  let format: TableFormat;
  try {
    format = a64Stage2Format(granule, ipaBits, startLevel, paBits, regs.xnx ?? false);
  } catch (e) {
    if (e instanceof RangeError && /is not supported/.test(e.message)) return new RegisterError('Unsupported', 'VTCR_EL2.SL0', e.message);
    if (e instanceof RangeError) return new RegisterError('Invalid', 'VTCR_EL2.SL0', `VTCR_EL2.SL0 = 0b${sl0.toString(2).padStart(2, '0')} (level ${startLevel}): ${e.message}`);
    throw e;
  }
  const rootBytes = BigInt(format.meta.tableBytes[0]!);
  const base = vttbr & BADDR;
  const root = base - (base % rootBytes);
  if (root !== base) notes.push(`VTTBR_EL2: BADDR bits below the ${rootBytes}-byte root alignment are RES0 and were ignored`);
  if (vttbr & 1n) notes.push('VTTBR_EL2: CnP = 1');
  const vs = field(vtcr, 19, 19) === 1;
  const vmid = vs ? field(vttbr, 63, 48) : field(vttbr, 55, 48);
  notes.push(`VTTBR_EL2: VMID ${hex(BigInt(vmid))} (${vs ? 16 : 8}-bit VMIDs)`);
  if (!vs && field(vttbr, 63, 56) !== 0) notes.push('VTTBR_EL2: bits 63:56 are RES0 with 8-bit VMIDs (VTCR_EL2.VS = 0) and were ignored');
  const concatenated = format.meta.tableBytes[0]! / 2 ** format.meta.pageShift;
  if (concatenated > 1) notes.push(`stage 2 root: ${concatenated} concatenated tables at level ${startLevel}`);
  return {
    arch: 'aarch64',
    format,
    roots: [{ root, vaStart: 0n, vaEnd: 1n << BigInt(ipaBits), label: 'VTTBR_EL2', kernel: false }],
    notes,
  };
}

/** Options of {@link encodeA64Stage2Registers}. */
export interface A64Stage2EncodeOptions {
  /** The VMID in VTTBR_EL2 (0..255, or 0..65535 with `vmid16`). Default 0. */
  readonly vmid?: number;
  /** 16-bit VMIDs (VTCR_EL2.VS = 1). Default: true when `vmid` is above 255. */
  readonly vmid16?: boolean;
}

/** The stage 2 register values of a table. */
export interface A64Stage2BootRegisters {
  /** VTCR_EL2: T0SZ, SL0, TG0, PS of the table, cacheable Inner Shareable walks, VS, RES1 bit 31. */
  readonly vtcr: bigint;
  /** VTTBR_EL2: the VMID and the root. */
  readonly vttbr: bigint;
}

/** VTCR_EL2.TG0 [15:14] per granule: 0b00 4KB, 0b10 16KB, 0b01 64KB. */
const TG0: Readonly<Record<number, bigint>> = { 4: 0n, 16: 0x8000n, 64: 0x4000n };

/**
 * The VTCR_EL2 and VTTBR_EL2 values that make the CPU walk `table` for an EL1 guest (with HCR_EL2.VM = 1):
 * `decodeA64Stage2Registers` of the result gives the same format and root back.
 * @throws TypeError when `table` is not an A64Stage2PageTable, or `vmid` is not an integer; RangeError for a VMID
 *   that does not fit (8 bits unless `vmid16`); PagingError 'Destroyed' for a destroyed table.
 * @example
 * const regs = encodeA64Stage2Registers(new A64Stage2PageTable4K40(new PhysicalMemory({ size: 1 << 20 })), { vmid: 5 });
 * regs.vtcr; // 0x80053558n
 */
export function encodeA64Stage2Registers(table: A64Stage2PageTable, options: A64Stage2EncodeOptions = {}): A64Stage2BootRegisters {
  const fn = 'encodeA64Stage2Registers';
  if (!(table instanceof A64Stage2PageTable)) throw new TypeError(`${fn}: "table" must be an A64Stage2PageTable`);
  const vmid16 = options.vmid16 ?? (options.vmid !== undefined && options.vmid > 0xff);
  const vmid = options.vmid === undefined ? 0n : registerField(options.vmid, vmid16 ? 16 : 8, fn, 'vmid');
  const root = loadableRoot(table, fn);
  const g = table.format.geometry;
  const ps = BigInt(A64_STAGE2_PA_BITS.indexOf(table.format.paBits));
  // T0SZ, SL0, IRGN0 = ORGN0 = 0b01, SH0 = 0b11, TG0, PS, VS, RES1 bit 31
  const vtcr =
    BigInt(64 - g.ipaBits) | (BigInt(g.sl0) << 6n) | (1n << 8n) | (1n << 10n) | (3n << 12n) | TG0[g.granule]! | (ps << 16n) | (vmid16 ? 1n << 19n : 0n) | (1n << 31n);
  return { vtcr, vttbr: (vmid << 48n) | root };
}
