// From translation registers to an attach plan: which table each TTBR points at, the address range it
// translates, and where its walk starts.
// Source: Arm ARM DDI 0487 (K.a), the AArch64 System Register descriptions of:
// - TCR_EL1: T0SZ [5:0], EPD0 [7], TG0 [15:14] (0b00 4KB, 0b01 64KB, 0b10 16KB), T1SZ [21:16], A1 [22],
//   EPD1 [23], TG1 [31:30] (0b01 16KB, 0b10 4KB, 0b11 64KB), IPS [34:32], TBI0 [37], TBI1 [38], HPD0 [41],
//   HPD1 [42], DS [59].
// - TCR_EL2 with HCR_EL2.E2H = 0: T0SZ [5:0], TG0 [15:14] (encoded as TCR_EL1.TG0), PS [18:16], TBI [20],
//   HPD [24], DS [32].
// - TTBR0_EL1 / TTBR1_EL1 / TTBR0_EL2: ASID [63:48] (not in TTBR0_EL2), BADDR [47:1], CnP [0]; the table is
//   aligned to its size (at least 64 bytes), so BADDR bits below that are RES0.
// - MAIR_EL1 / MAIR_EL2: Attr<n> [8n+7:8n], the memory type of AttrIndx n (D8.6.1).
// and D8.2 "Translation process": TTBR0 translates [0, 2^(64-T0SZ)), TTBR1 translates [2^64 - 2^(64-T1SZ), 2^64);
// the start level and the first table's entries follow from the granule and TnSZ (a64Geometry); TnSZ below 16
// needs 52-bit addresses (FEAT_LPA / LPA2), above 39 FEAT_TTST. D8.8 "Address tagging": with TCR.TBIn = 1
// bits 63:56 of an address of that range are ignored for translation (the range is chosen by bit 55).
import {
  type AddrInput,
  type AttachPlan,
  type DumpRoot,
  field,
  hex,
  type PageTableOptions,
  type PagingHandler,
  RegisterError,
  registerValue,
  type TableFormat,
} from '@page-table-multiarch/core';
import { a64Codec, MAIR_VALUE } from '@page-table-multiarch/entry/aarch64';
import { a64Inspector } from './inspector';
import { type A64Granule, a64Geometry, a64MetaData } from './metadata';
import { A64PageTable, A64PageTableEl2 } from './tables';

/** Translation registers of an AArch64 CPU. */
export interface A64Registers {
  /** TTBR0_EL1 (or TTBR0_EL2 with `el2`): the lower range's table. */
  readonly ttbr0?: AddrInput;
  /** TTBR1_EL1: the upper range's table (not with `el2`). */
  readonly ttbr1?: AddrInput;
  /** TCR_EL1 (or TCR_EL2 with `el2`); when absent, T0SZ = T1SZ = 16 with 4 KiB granules is assumed. */
  readonly tcr?: AddrInput;
  /** MAIR_EL1 (or MAIR_EL2): what each AttrIndx means; when absent, the crate's `MAIR_VALUE` is assumed. */
  readonly mair?: AddrInput;
  /** The EL2 regime with HCR_EL2.E2H = 0: TTBR0_EL2 and TCR_EL2 (default false: EL1&0). */
  readonly el2?: boolean;
}

/** Options of {@link a64Format}. */
export interface A64FormatOptions {
  /** The EL2 regime with HCR_EL2.E2H = 0 (default false: EL1&0). */
  readonly el2?: boolean;
  /** The granule in KiB (default 4). */
  readonly granule?: A64Granule;
  /** The MAIR the memory types are read through (default `MAIR_VALUE`). */
  readonly mair?: bigint;
}

/**
 * The AArch64 table format of the EL1&0 or the EL2 regime for one granule, for dumps: the granule's whole geometry
 * (48-bit, from lookup level 0, or 1 with 64 KiB), in which a root of a smaller TnSZ starts at a later level (its
 * `DumpRoot.startLevel`), and the codec that reads memory types through `mair`.
 * @throws RangeError for a granule other than 4, 16 or 64, or a MAIR without the three memory types (`a64Codec`).
 */
export function a64Format(options: A64FormatOptions | boolean = {}): TableFormat {
  const o: A64FormatOptions = typeof options === 'boolean' ? { el2: options } : options;
  const el2 = o.el2 ?? false;
  const granule = o.granule ?? 4;
  const mair = o.mair ?? MAIR_VALUE;
  const meta = a64MetaData(granule, 48);
  const startLevel = granule === 64 ? 1 : 0;
  const pte = a64Codec({ granule, startLevel, el2, mair });
  return Object.freeze({
    name: `AArch64 ${el2 ? 'EL2' : 'EL1&0'}, ${granule} KiB granule`,
    meta,
    pte,
    inspector: a64Inspector({ el2, startLevel }),
    /** Attaches to a root whose walk starts at the granule's first level (a 48-bit range). */
    attach(handler: PagingHandler, root: AddrInput, options: PageTableOptions = {}) {
      const opts = { ...options, root, granule, vaBits: 48, mair };
      return el2 ? new A64PageTableEl2(handler, opts) : new A64PageTable(handler, opts);
    },
  });
}

/** 2^64, the end of the TTBR1 range (a literal: a top-level shift is code a bundler keeps). */
const TOP = 0x1_0000_0000_0000_0000n;
/** BADDR [47:1] of a TTBR. */
const BADDR = 0x0000_ffff_ffff_fffen;

/** The granule a TG0 (TCR bits 15:14: 0b00 4KB, 0b01 64KB, 0b10 16KB) or TG1 (31:30: 0b01 16KB, 0b10 4KB, 0b11 64KB) value selects. */
function granuleOf(tg: number, tg1: boolean): A64Granule | undefined {
  const g = tg1 ? [undefined, 16, 4, 64][tg] : [4, 64, 16, undefined][tg];
  return g as A64Granule | undefined;
}

/** What rootOf needs about one TTBR. */
interface RootSpec {
  readonly reg: string;
  readonly ttbr: bigint;
  /** TnSZ. */
  readonly sz: number;
  readonly szName: string;
  readonly granule: A64Granule;
  readonly upper: boolean;
  readonly kernel: boolean;
  /** TCR.HPDn. */
  readonly hpd: boolean;
  /** TCR.TBIn. */
  readonly tbi: boolean;
}

/** One TTBR's root: size checks, start level (D8.2), aligned base address. */
function rootOf(r: RootSpec, notes: string[]): DumpRoot | RegisterError {
  if (r.sz < 16) return new RegisterError('Unsupported', r.szName, `${r.szName} = ${r.sz}: a ${64 - r.sz}-bit range needs 52-bit addresses (FEAT_LPA / LPA2), which are not supported`);
  if (r.sz > 39) return new RegisterError('Unsupported', r.szName, `${r.szName} = ${r.sz}: TnSZ above 39 (FEAT_TTST) is not supported`);
  const vaBits = 64 - r.sz;
  const g = a64Geometry(r.granule, vaBits);
  const tableBytes = 8 * g.rootEntries;
  const align = BigInt(Math.max(64, tableBytes));
  const base = r.ttbr & BADDR;
  const root = base - (base % align);
  if (root !== base) notes.push(`${r.reg}: BADDR bits below the ${align}-byte table alignment are RES0 and were ignored`);
  if (r.ttbr & 1n) notes.push(`${r.reg}: CnP = 1`);
  const asid = r.ttbr >> 48n;
  if (asid !== 0n && !r.reg.endsWith('EL2')) notes.push(`${r.reg}: ASID ${hex(asid)}`);
  if (r.hpd) notes.push(`${r.reg}: hierarchical permissions disabled (TCR.HPD = 1): APTable, XNTable and PXNTable are ignored`);
  const span = 1n << BigInt(vaBits);
  return {
    root,
    vaStart: r.upper ? TOP - span : 0n,
    vaEnd: r.upper ? TOP : span,
    vaBits,
    // levels of the granule's dump geometry (a64Format): lookup levels from 0, from 1 with 64 KiB
    startLevel: g.startLevel - (r.granule === 64 ? 1 : 0),
    kernel: r.kernel,
    tableLimits: !r.hpd,
    // D8.8 "Address tagging": bits 63:56 are a tag, ignored for translation when TBIn = 1
    tagBits: 8,
    tagsIgnored: r.tbi,
    label: r.reg,
  };
}

/**
 * Decodes AArch64 translation registers into an attach plan: for the EL1&0 regime, TTBR0_EL1 translates
 * [0, 2^(64-T0SZ)) and TTBR1_EL1 the kernel's [2^64 - 2^(64-T1SZ), 2^64), listed with full upper-half addresses;
 * for EL2 (E2H = 0), TTBR0_EL2 alone. A root is left out when its TTBR is not given or its walks are disabled
 * (TCR.EPDn = 1). Each range takes its granule from TG0 / TG1 and its size from T0SZ / T1SZ (every TnSZ of
 * 16..39 with the 4, 16 and 64 KB granules), its tagging from TBI0 / TBI1 (`DumpRoot.tagsIgnored`), and the
 * memory types come from `mair` (default `MAIR_VALUE`). TCR.DS = 1, TnSZ outside 16..39 and two different
 * granules for the two ranges are 'Unsupported', a reserved TG encoding or a MAIR without Device, Normal
 * Non-cacheable and Normal Write-Back bytes 'Invalid'; no usable root is 'Missing'.
 * @throws TypeError / PagingError 'InvalidAddress' for a value that is not a u64.
 * @example
 * // T0SZ = T1SZ = 16, TG0 = 4KB (0b00), TG1 = 4KB (0b10)
 * const plan = decodeA64Registers({ ttbr0: 0x4000_1000n, ttbr1: 0x4000_2000n, tcr: 0x8010_0010n });
 * if (plan instanceof RegisterError) throw plan;
 * plan.roots[1].vaStart; // 0xffff000000000000n
 */
export function decodeA64Registers(regs: A64Registers): AttachPlan | RegisterError {
  const el2 = regs.el2 ?? false;
  const notes: string[] = [];
  let tcr: bigint;
  if (regs.tcr === undefined) {
    tcr = el2 ? 16n : 16n | (16n << 16n) | (2n << 30n);
    notes.push(`TCR not given: T0SZ${el2 ? '' : ' = T1SZ'} = 16 and 4KB granules assumed`);
  } else {
    tcr = registerValue(regs.tcr, 'tcr');
  }
  const mair = regs.mair === undefined ? MAIR_VALUE : registerValue(regs.mair, 'mair');
  const roots: DumpRoot[] = [];
  let granule: A64Granule | undefined;
  // each root's granule; one format serves every root of a plan, so the granules must agree
  const add = (r: RootSpec | RegisterError, tgName: string): RegisterError | undefined => {
    if (r instanceof RegisterError) return r;
    if (granule !== undefined && granule !== r.granule) {
      return new RegisterError('Unsupported', tgName, `${tgName}: a ${r.granule}KB granule beside a ${granule}KB one for the other range is not supported`);
    }
    granule = r.granule;
    const root = rootOf(r, notes);
    if (root instanceof RegisterError) return root;
    roots.push(root);
    return undefined;
  };
  const spec = (reg: string, ttbr: AddrInput, n: 0 | 1, tgName: string, tg: number, hpdBit: number, tbiBit: number): RootSpec | RegisterError => {
    const g = granuleOf(tg, n === 1);
    if (g === undefined) return new RegisterError('Invalid', tgName, `${tgName} = 0b${tg.toString(2).padStart(2, '0')} is a reserved granule encoding`);
    const szName = tgName.replace(/TG(\d)$/, 'T$1SZ');
    const sz = n === 0 ? field(tcr, 5, 0) : field(tcr, 21, 16);
    return {
      reg,
      ttbr: registerValue(ttbr, n === 0 ? 'ttbr0' : 'ttbr1'),
      sz,
      szName,
      granule: g,
      upper: n === 1,
      kernel: n === 1 || el2,
      hpd: field(tcr, hpdBit, hpdBit) === 1,
      tbi: field(tcr, tbiBit, tbiBit) === 1,
    };
  };
  if (el2) {
    if (regs.ttbr1 !== undefined) {
      return new RegisterError('Invalid', 'TTBR1_EL2', 'TTBR1_EL2 is used only with HCR_EL2.E2H = 1 (the EL2&0 regime): decode that as EL1&0');
    }
    if (field(tcr, 32, 32) === 1) return new RegisterError('Unsupported', 'TCR_EL2.DS', 'TCR_EL2.DS = 1 (52-bit addresses with LPA2) is not supported');
    if (regs.ttbr0 === undefined) return new RegisterError('Missing', 'TTBR0_EL2', 'TTBR0_EL2 is needed for the EL2 regime');
    // TCR_EL2 (E2H = 0): HPD [24], TBI [20]
    const e = add(spec('TTBR0_EL2', regs.ttbr0, 0, 'TCR_EL2.TG0', field(tcr, 15, 14), 24, 20), 'TCR_EL2.TG0');
    if (e !== undefined) return e;
    if (field(tcr, 20, 20)) notes.push('TCR_EL2.TBI = 1: the top byte of addresses is ignored');
  } else {
    if (field(tcr, 59, 59) === 1) return new RegisterError('Unsupported', 'TCR_EL1.DS', 'TCR_EL1.DS = 1 (52-bit addresses with LPA2) is not supported');
    if (regs.ttbr0 !== undefined) {
      if (field(tcr, 7, 7) === 1) {
        notes.push('TCR_EL1.EPD0 = 1: walks through TTBR0_EL1 are disabled; its range is not listed');
      } else {
        // TCR_EL1: HPD0 [41], TBI0 [37]
        const e = add(spec('TTBR0_EL1', regs.ttbr0, 0, 'TCR_EL1.TG0', field(tcr, 15, 14), 41, 37), 'TCR_EL1.TG0');
        if (e !== undefined) return e;
      }
    }
    if (regs.ttbr1 !== undefined) {
      if (field(tcr, 23, 23) === 1) {
        notes.push('TCR_EL1.EPD1 = 1: walks through TTBR1_EL1 are disabled; its range is not listed');
      } else {
        // TCR_EL1: HPD1 [42], TBI1 [38]
        const e = add(spec('TTBR1_EL1', regs.ttbr1, 1, 'TCR_EL1.TG1', field(tcr, 31, 30), 42, 38), 'TCR_EL1.TG1');
        if (e !== undefined) return e;
      }
    }
    if (roots.length === 0) {
      return new RegisterError('Missing', 'TTBR0_EL1', 'no usable root: give TTBR0_EL1 and/or TTBR1_EL1 (with their walks enabled in TCR_EL1)');
    }
    const tbi = [field(tcr, 37, 37) ? 'TBI0' : '', field(tcr, 38, 38) ? 'TBI1' : ''].filter((s) => s !== '');
    if (tbi.length > 0) notes.push(`TCR_EL1.${tbi.join(', ')} = 1: the top byte of addresses is ignored`);
  }
  const ips = field(tcr, el2 ? 18 : 34, el2 ? 16 : 32);
  if (ips === 6) notes.push('TCR: 52-bit physical addresses configured; output addresses are read as 48-bit');
  let format: TableFormat;
  try {
    format = a64Format({ el2, granule: granule ?? 4, mair });
  } catch (e) {
    if (e instanceof RangeError) return new RegisterError('Invalid', el2 ? 'MAIR_EL2' : 'MAIR_EL1', e.message);
    throw e;
  }
  return { arch: 'aarch64', format, roots, notes };
}
