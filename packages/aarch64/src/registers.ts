// From translation registers to an attach plan: which table each TTBR points at, the address range it
// translates, and where its walk starts.
// Source: Arm ARM DDI 0487 (K.a), the AArch64 System Register descriptions of:
// - TCR_EL1: T0SZ [5:0], EPD0 [7], TG0 [15:14] (0b00 4KB, 0b01 64KB, 0b10 16KB), T1SZ [21:16], A1 [22],
//   EPD1 [23], TG1 [31:30] (0b01 16KB, 0b10 4KB, 0b11 64KB), IPS [34:32], TBI0 [37], TBI1 [38], HPD0 [41],
//   HPD1 [42], DS [59].
// - TCR_EL2 with HCR_EL2.E2H = 0: T0SZ [5:0], TG0 [15:14] (encoded as TCR_EL1.TG0), PS [18:16], TBI [20],
//   HPD [24], DS [32].
// - TTBR0_EL1 / TTBR1_EL1 / TTBR0_EL2: ASID [63:48] (not in TTBR0_EL2), BADDR [47:1], CnP [0]; the table is
//   aligned to its size (at least 64 bytes), so BADDR bits below that are RES0. With a 52-bit output size (FEAT_LPA
//   with the 64KB granule and IPS / PS = 0b110, or FEAT_LPA2 with DS = 1) BADDR[51:48] is in bits 5:2 and
//   BADDR[47:6] in place (the table is then aligned to at least 64 bytes).
// - MAIR_EL1 / MAIR_EL2: Attr<n> [8n+7:8n], the memory type of AttrIndx n (D8.6.1).
// and D8.2 "Translation process": TTBR0 translates [0, 2^(64-T0SZ)), TTBR1 translates [2^64 - 2^(64-T1SZ), 2^64);
// the start level and the first table's entries follow from the granule and TnSZ (a64Geometry); TnSZ below 16
// (down to 12) needs FEAT_LVA with the 64KB granule or DS = 1 (FEAT_LPA2) with 4KB and 16KB, above 39 FEAT_TTST.
// D8.3: with DS = 1 descriptors hold OA[51:50] in bits 9:8 (4KB, 16KB), with the 64KB granule and IPS / PS = 0b110
// OA[51:48] in bits 15:12; DS applies to the 4KB and 16KB granules only. D8.8 "Address tagging": with TCR.TBIn = 1
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
  /**
   * The output address size (default 48): 52 reads descriptors as FEAT_LPA2 with DS = 1 (4 and 16 KiB) or FEAT_LPA
   * (64 KiB), with the 52-bit geometry (from lookup level -1 with 4 KiB).
   */
  readonly paBits?: 48 | 52;
}

/**
 * The AArch64 table format of the EL1&0 or the EL2 regime for one granule, for dumps: the granule's whole geometry
 * (48-bit, from lookup level 0, or 1 with 64 KiB; 52-bit with `paBits` 52, from level -1 with 4 KiB), in which a root
 * of a smaller TnSZ starts at a later level (its `DumpRoot.startLevel`), and the codec that reads memory types
 * through `mair`.
 * @throws RangeError for a granule other than 4, 16 or 64, a `paBits` other than 48 or 52, or a MAIR without the
 *   three memory types (`a64Codec`).
 */
export function a64Format(options: A64FormatOptions | boolean = {}): TableFormat {
  const o: A64FormatOptions = typeof options === 'boolean' ? { el2: options } : options;
  const el2 = o.el2 ?? false;
  const granule = o.granule ?? 4;
  const mair = o.mair ?? MAIR_VALUE;
  const paBits = o.paBits ?? 48;
  const vaBits = paBits === 52 ? 52 : 48;
  const g = a64Geometry(granule, vaBits, paBits);
  const meta = a64MetaData(granule, vaBits, 'both', paBits);
  const startLevel = g.startLevel as -1 | 0 | 1;
  const pte = a64Codec({ granule, startLevel, paBits, el2, mair });
  const ds = paBits === 52 && granule !== 64;
  return Object.freeze({
    name: `AArch64 ${el2 ? 'EL2' : 'EL1&0'}, ${granule} KiB granule${paBits === 52 ? (ds ? ', 52-bit (LPA2, DS = 1)' : ', 52-bit (LPA)') : ''}`,
    meta,
    pte,
    inspector: a64Inspector({ el2, startLevel, ds }),
    /** Attaches to a root whose walk starts at the granule's first level (a 48-bit range, or 52 with `paBits` 52). */
    attach(handler: PagingHandler, root: AddrInput, options: PageTableOptions = {}) {
      const opts = { ...options, root, granule, vaBits, paBits, mair };
      return el2 ? new A64PageTableEl2(handler, opts) : new A64PageTable(handler, opts);
    },
  });
}

/** 2^64, the end of the TTBR1 range (a literal: a top-level shift is code a bundler keeps). */
const TOP = 0x1_0000_0000_0000_0000n;
/** BADDR [47:1] of a TTBR. */
const BADDR = 0x0000_ffff_ffff_fffen;
/** BADDR [47:6] of a TTBR with a 52-bit output size, whose BADDR[51:48] is in bits 5:2. */
const BADDR_52_IN_PLACE = 0x0000_ffff_ffff_ffc0n;

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
  /** The output address size: 52 with DS = 1 (4KB, 16KB) or the 64KB granule with IPS / PS = 0b110. */
  readonly paBits: 48 | 52;
}

/** One TTBR's root: size checks, start level (D8.2), aligned base address. */
function rootOf(r: RootSpec, notes: string[]): DumpRoot | RegisterError {
  // TnSZ down to 12 with FEAT_LVA (64KB) or DS = 1 (4KB, 16KB: FEAT_LPA2), else down to 16 (D8.2)
  const minSz = r.granule === 64 || r.paBits === 52 ? 12 : 16;
  if (r.sz < minSz) {
    const why = minSz === 12 ? 'more than 52 bits do not exist' : `a ${64 - r.sz}-bit range with the ${r.granule}KB granule needs TCR.DS = 1 (FEAT_LPA2)`;
    return new RegisterError('Unsupported', r.szName, `${r.szName} = ${r.sz}: ${why}`);
  }
  if (r.sz > 39) return new RegisterError('Unsupported', r.szName, `${r.szName} = ${r.sz}: TnSZ above 39 (FEAT_TTST) is not supported`);
  const vaBits = 64 - r.sz;
  const g = a64Geometry(r.granule, vaBits, r.paBits);
  const tableBytes = 8 * g.rootEntries;
  const align = BigInt(Math.max(64, tableBytes));
  const base = r.paBits === 52 ? (r.ttbr & BADDR_52_IN_PLACE) | (((r.ttbr >> 2n) & 0xfn) << 48n) : r.ttbr & BADDR;
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
    // levels of the granule's dump geometry (a64Format): lookup levels from 0, from 1 with 64 KiB, from -1 with
    // 4 KiB and DS = 1
    startLevel: g.startLevel - a64Geometry(r.granule, r.paBits === 52 ? 52 : 48, r.paBits).startLevel,
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
 * 16..39 with the 4, 16 and 64 KB granules; 12..39 with 64 KB, FEAT_LVA, or with TCR.DS = 1), its tagging from
 * TBI0 / TBI1 (`DumpRoot.tagsIgnored`), and the memory types come from `mair` (default `MAIR_VALUE`). Output
 * addresses have 52 bits with TCR.DS = 1 (4 and 16 KB: FEAT_LPA2, the format's levels then start at lookup level -1
 * with 4 KB) or with the 64 KB granule and IPS / PS = 0b110 (FEAT_LPA), and the TTBRs' BADDR[51:48] is then read from
 * their bits 5:2. TnSZ outside those ranges and two different granules for the two ranges are 'Unsupported', a
 * reserved TG encoding or a MAIR without Device, Normal Non-cacheable and Normal Write-Back bytes 'Invalid'; no usable
 * root is 'Missing'.
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
  // TCR_EL1.DS [59] / TCR_EL2.DS [32]; TCR_EL1.IPS [34:32] / TCR_EL2.PS [18:16], 0b110: 52 bits
  const ds = field(tcr, el2 ? 32 : 59, el2 ? 32 : 59) === 1;
  const ips = field(tcr, el2 ? 18 : 34, el2 ? 16 : 32);
  /** The output size a granule's descriptors are read with: DS decides for 4KB and 16KB, IPS for 64KB (FEAT_LPA). */
  const paBitsOf = (g: A64Granule): 48 | 52 => ((g === 64 ? ips === 6 : ds) ? 52 : 48);
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
      paBits: paBitsOf(g),
    };
  };
  if (el2) {
    if (regs.ttbr1 !== undefined) {
      return new RegisterError('Invalid', 'TTBR1_EL2', 'TTBR1_EL2 is used only with HCR_EL2.E2H = 1 (the EL2&0 regime): decode that as EL1&0');
    }
    if (regs.ttbr0 === undefined) return new RegisterError('Missing', 'TTBR0_EL2', 'TTBR0_EL2 is needed for the EL2 regime');
    // TCR_EL2 (E2H = 0): HPD [24], TBI [20]
    const e = add(spec('TTBR0_EL2', regs.ttbr0, 0, 'TCR_EL2.TG0', field(tcr, 15, 14), 24, 20), 'TCR_EL2.TG0');
    if (e !== undefined) return e;
    if (field(tcr, 20, 20)) notes.push('TCR_EL2.TBI = 1: the top byte of addresses is ignored');
  } else {
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
  const g = granule ?? 4;
  const paBits = paBitsOf(g);
  const ipsName = el2 ? 'TCR_EL2.PS' : 'TCR_EL1.IPS';
  if (ds && g === 64) notes.push(`TCR.DS = 1 applies to the 4KB and 16KB granules only; 64KB descriptors follow ${ipsName}`);
  if (ips === 6 && paBits === 48) notes.push(`${ipsName}: 52-bit physical addresses need TCR.DS = 1 with the ${g}KB granule; output addresses are read as 48-bit`);
  if (ds && g !== 64 && ips !== 6) notes.push(`TCR.DS = 1 with ${ipsName} below 52 bits: an output address above the configured size is an Address size fault`);
  if (paBits === 52) notes.push(g === 64 ? '52-bit output addresses (FEAT_LPA): OA[51:48] in descriptor bits 15:12' : '52-bit output addresses (FEAT_LPA2, TCR.DS = 1): OA[51:50] in descriptor bits 9:8, Shareability from TCR.SHn');
  let format: TableFormat;
  try {
    format = a64Format({ el2, granule: g, mair, paBits });
  } catch (e) {
    if (e instanceof RangeError) return new RegisterError('Invalid', el2 ? 'MAIR_EL2' : 'MAIR_EL1', e.message);
    throw e;
  }
  return { arch: 'aarch64', format, roots, notes };
}
