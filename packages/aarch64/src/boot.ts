// From tables to the translation-register values that make the CPU walk them: the inverse of decodeA64Registers.
// Source: Arm ARM DDI 0487 (K.a), the AArch64 System Register descriptions of:
// - TCR_EL1: T0SZ [5:0], EPD0 [7], IRGN0 [9:8], ORGN0 [11:10], SH0 [13:12], TG0 [15:14] (0b00 4KB, 0b10 16KB,
//   0b01 64KB), T1SZ [21:16], A1 [22] (0: TTBR0_EL1.ASID is the ASID), EPD1 [23], IRGN1 [25:24], ORGN1 [27:26],
//   SH1 [29:28], TG1 [31:30] (0b10 4KB, 0b01 16KB, 0b11 64KB), IPS [34:32] (0b101: 48 bits), AS [36] (1: 16-bit
//   ASIDs).
// - TCR_EL2 with HCR_EL2.E2H = 0: T0SZ [5:0], IRGN0 [9:8], ORGN0 [11:10], SH0 [13:12], TG0 [15:14], PS [18:16];
//   bits 31 and 23 are RES1.
// - TTBR0_EL1 / TTBR1_EL1: ASID [63:48], BADDR [47:1]; TTBR0_EL2: BADDR [47:1]. With a 52-bit output size
//   BADDR[51:48] is in bits 5:2 (and BADDR[47:6] in place).
// - TCR_EL1.DS [59], TCR_EL2.DS [32]: 52-bit addresses with FEAT_LPA2 for the 4KB and 16KB granules (descriptor
//   bits 9:8 are OA[51:50], Shareability comes from SHn); IPS / PS = 0b110: 52-bit output addresses (with the 64KB
//   granule, FEAT_LPA: OA[51:48] in descriptor bits 15:12).
// - MAIR_EL1 / MAIR_EL2: Attr<n> [8n+7:8n], the memory types the descriptors' AttrIndx select.
// - IRGN / ORGN 0b01: Normal memory, Write-Back Read-Allocate Write-Allocate Cacheable; SH 0b11: Inner Shareable
//   (the walks read the tables through the caches, as an OS that keeps its tables in normal memory wants).
// D8.2: the walk starts at the level a64Geometry derives from the granule and TnSZ, which is where these tables'
// roots are.
import { loadableRoot, registerField } from '@page-table-multiarch/core';
import { A64PageTable, A64PageTableEl2 } from './tables';

/** Options of {@link encodeA64Registers}: the EL1&0 regime's two tables (at least one) and an ASID. */
export interface A64EncodeOptions {
  /** The table of the lower range, [0, 2^vaBits), for TTBR0_EL1 (`half` 'lower' or 'both'); without it TCR_EL1.EPD0 = 1. */
  readonly ttbr0?: A64PageTable;
  /** The table of the upper range, [2^64 - 2^vaBits, 2^64), for TTBR1_EL1 (`half` 'upper' or 'both'); without it TCR_EL1.EPD1 = 1. */
  readonly ttbr1?: A64PageTable;
  /** The ASID (0..65535) in TTBR0_EL1.ASID; one above 255 sets TCR_EL1.AS (16-bit ASIDs). Default 0. */
  readonly asid?: number;
}

/** Translation-register values of an AArch64 regime (MAIR as well: the descriptors' memory types). */
export interface A64BootRegisters {
  /** TTBR0_EL1 (ASID and the lower table), or TTBR0_EL2; 0 when there is no lower table. */
  readonly ttbr0: bigint;
  /** TTBR1_EL1: the upper table; 0 when there is none, and always for EL2. */
  readonly ttbr1: bigint;
  /** TCR_EL1 or TCR_EL2: the tables' sizes and granules, cacheable walks, 48-bit physical addresses (52-bit for 52-bit tables). */
  readonly tcr: bigint;
  /** MAIR_EL1 or MAIR_EL2: the MAIR the tables were built for (`MAIR_VALUE` by default). */
  readonly mair: bigint;
}

/** TCR fields of one range, at TCR_EL1 bits 13:0 (T0SZ, IRGN0, ORGN0, SH0): TnSZ, IRGN = ORGN = 0b01, SH = 0b11. */
function rangeBits(table: A64PageTable | A64PageTableEl2): bigint {
  return BigInt(64 - table.format.geometry.vaBits) | (1n << 8n) | (1n << 10n) | (3n << 12n);
}
/** TG0 [15:14] per granule: 0b00 4KB, 0b10 16KB, 0b01 64KB. */
const TG0: Readonly<Record<number, bigint>> = { 4: 0n, 16: 0x8000n, 64: 0x4000n };
/** TG1 [31:30] per granule: 0b10 4KB, 0b01 16KB, 0b11 64KB. */
const TG1: Readonly<Record<number, bigint>> = { 4: 0x8000_0000n, 16: 0x4000_0000n, 64: 0xc000_0000n };
/** TCR_EL1.EPD0, bit 7. */
const EPD0 = 0x80n;
/** TCR_EL1.EPD1, bit 23. */
const EPD1 = 0x80_0000n;
/** TCR_EL1.IPS = 0b101 (48 bits), bits 34:32. */
const IPS_48 = 0x5_0000_0000n;
/** TCR_EL1.IPS = 0b110 (52 bits), bits 34:32. */
const IPS_52 = 0x6_0000_0000n;
/** TCR_EL1.DS, bit 59. */
const DS_EL1 = 0x800_0000_0000_0000n;
/** TCR_EL2.PS = 0b110 (52 bits), bits 18:16. */
const PS_52 = 0x6_0000n;
/** TCR_EL2.DS, bit 32. */
const DS_EL2 = 0x1_0000_0000n;
/** TCR_EL1.AS, bit 36. */
const AS_16 = 0x10_0000_0000n;
/** TCR_EL2.PS = 0b101 (48 bits), bits 18:16. */
const PS_48 = 0x5_0000n;
/** TCR_EL2 RES1 bits 31 and 23. */
const TCR_EL2_RES1 = 0x8080_0000n;

/** BADDR of a TTBR for a root: in place, or with a 52-bit output size BADDR[51:48] in bits 5:2 (the root is 64-byte aligned). */
function baddr(root: bigint, paBits: 48 | 52): bigint {
  return paBits === 52 ? (root & 0x0000_ffff_ffff_ffc0n) | (((root >> 48n) & 0xfn) << 2n) : root;
}

/** The TCR bits of a table's output size: IPS / PS (48 or 52 bits), and DS for a 52-bit 4KB or 16KB table. */
function sizeBits(table: A64PageTable | A64PageTableEl2, el2: boolean): bigint {
  const g = table.format.geometry;
  if (g.paBits === 48) return el2 ? PS_48 : IPS_48;
  return (el2 ? PS_52 : IPS_52) | (g.granule === 64 ? 0n : el2 ? DS_EL2 : DS_EL1);
}

/**
 * The EL1&0 register values for a lower and an upper table (either may be left out): TTBR0_EL1 with the ASID,
 * TTBR1_EL1, TCR_EL1 with each table's size (TnSZ) and granule (TG0 / TG1; the walks of a missing table disabled),
 * and MAIR_EL1, the MAIR the tables were built for; for 52-bit tables IPS = 0b110, DS = 1 with the 4 and 16 KiB
 * granules, and BADDR[51:48] in bits 5:2 of the TTBRs. `decodeA64Registers` of the result gives the same roots and
 * ranges back.
 * @throws TypeError when neither table is given, a table is not an A64PageTable, a table serves the other range
 *   only (`half`), the two tables were built for different MAIR values or output sizes, or `asid` is not an integer; RangeError
 *   when `asid` is outside 0..65535; PagingError 'Destroyed' for a destroyed table.
 * @example
 * const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4008_0000n });
 * const kernel = new A64PageTable(memory);
 * const regs = encodeA64Registers({ ttbr1: kernel });
 * regs.ttbr1 === kernel.rootPaddr; // true
 */
export function encodeA64Registers(options: A64EncodeOptions): A64BootRegisters {
  const fn = 'encodeA64Registers';
  const { ttbr0, ttbr1 } = options;
  if (ttbr0 === undefined && ttbr1 === undefined) throw new TypeError(`${fn}: give "ttbr0" and/or "ttbr1"`);
  for (const [name, t, other] of [['ttbr0', ttbr0, 'upper'], ['ttbr1', ttbr1, 'lower']] as const) {
    if (t === undefined) continue;
    if (!(t instanceof A64PageTable)) throw new TypeError(`${fn}: "${name}" must be an A64PageTable (EL1&0 descriptors)`);
    if (t.format.half === other) throw new TypeError(`${fn}: "${name}" is a table of the ${other} range only`);
  }
  if (ttbr0 !== undefined && ttbr1 !== undefined && ttbr0.format.codec.mair !== ttbr1.format.codec.mair) {
    throw new TypeError(`${fn}: the tables were built for different MAIR values (0x${ttbr0.format.codec.mair.toString(16)}, 0x${ttbr1.format.codec.mair.toString(16)})`);
  }
  // one TCR.DS and one IPS serve both ranges
  if (ttbr0 !== undefined && ttbr1 !== undefined && sizeBits(ttbr0, false) !== sizeBits(ttbr1, false)) {
    throw new TypeError(`${fn}: the tables have different output sizes (${ttbr0.format.geometry.paBits} and ${ttbr1.format.geometry.paBits} bits), which one TCR_EL1 cannot hold`);
  }
  const asid = options.asid === undefined ? 0n : registerField(options.asid, 16, fn, 'asid');
  const root0 = ttbr0 === undefined ? undefined : loadableRoot(ttbr0, fn);
  const root1 = ttbr1 === undefined ? undefined : loadableRoot(ttbr1, fn);
  // a missing range keeps the 4KB granule and 48 bits, with its walks disabled
  let tcr = sizeBits((ttbr0 ?? ttbr1)!, false);
  tcr |= ttbr0 === undefined ? 16n | EPD0 : rangeBits(ttbr0) | TG0[ttbr0.format.geometry.granule]!;
  tcr |= ttbr1 === undefined ? (16n << 16n) | EPD1 | TG1[4]! : (rangeBits(ttbr1) << 16n) | TG1[ttbr1.format.geometry.granule]!;
  if (asid > 0xffn) tcr |= AS_16;
  const mair = (ttbr0 ?? ttbr1)!.format.codec.mair;
  const pa = (ttbr0 ?? ttbr1)!.format.geometry.paBits;
  return { ttbr0: (asid << 48n) | baddr(root0 ?? 0n, pa), ttbr1: baddr(root1 ?? 0n, pa), tcr, mair };
}

/**
 * The EL2 register values (HCR_EL2.E2H = 0) for a table: TTBR0_EL2, TCR_EL2 with the table's size and granule,
 * and MAIR_EL2 (the MAIR the table was built for); `ttbr1` is 0. `decodeA64Registers({ ..., el2: true })` gives
 * the root back.
 * @throws TypeError when `table` is not an A64PageTableEl2 or serves the upper range only; PagingError
 *   'Destroyed' for a destroyed table.
 */
export function encodeA64El2Registers(table: A64PageTableEl2): A64BootRegisters {
  const fn = 'encodeA64El2Registers';
  if (!(table instanceof A64PageTableEl2)) throw new TypeError(`${fn}: "table" must be an A64PageTableEl2 (EL2 descriptors)`);
  if (table.format.half === 'upper') throw new TypeError(`${fn}: "table" is a table of the upper range only (TTBR0_EL2 translates the lower one)`);
  const tcr = rangeBits(table) | TG0[table.format.geometry.granule]! | sizeBits(table, true) | TCR_EL2_RES1;
  return { ttbr0: baddr(loadableRoot(table, fn), table.format.geometry.paBits), ttbr1: 0n, tcr, mair: table.format.codec.mair };
}
