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
// and D8.2 "Translation process": TTBR0 translates [0, 2^(64-T0SZ)), TTBR1 translates [2^64 - 2^(64-T1SZ), 2^64);
// with the 4KB granule the walk starts at level 0 for TnSZ 16..24, level 1 for 25..33, level 2 for 34..39, and
// the first table holds 2^(64 - TnSZ - levelShift) entries; TnSZ below 16 needs TCR.DS = 1 (52-bit, LPA2).
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
import { A64PTEEl2ImpliedRead, A64PTEImpliedRead } from '@page-table-multiarch/entry/aarch64';
import { a64Inspector } from './inspector';
import { A64PagingMetaData } from './metadata';
import { A64PageTable, A64PageTableEl2 } from './tables';

/** Translation registers of an AArch64 CPU. */
export interface A64Registers {
  /** TTBR0_EL1 (or TTBR0_EL2 with `el2`): the lower range's table. */
  readonly ttbr0?: AddrInput;
  /** TTBR1_EL1: the upper range's table (not with `el2`). */
  readonly ttbr1?: AddrInput;
  /** TCR_EL1 (or TCR_EL2 with `el2`); when absent, T0SZ = T1SZ = 16 with 4 KiB granules is assumed. */
  readonly tcr?: AddrInput;
  /** The EL2 regime with HCR_EL2.E2H = 0: TTBR0_EL2 and TCR_EL2 (default false: EL1&0). */
  readonly el2?: boolean;
}

/** The AArch64 table format of the EL1&0 or the EL2 regime (4 KiB granule, 48-bit). */
export function a64Format(el2 = false): TableFormat {
  return Object.freeze({
    name: el2 ? 'AArch64 EL2, 4 KiB granule' : 'AArch64 EL1&0, 4 KiB granule',
    meta: A64PagingMetaData,
    pte: el2 ? A64PTEEl2ImpliedRead : A64PTEImpliedRead,
    inspector: a64Inspector({ el2 }),
    /** Attaches to a root whose walk starts at level 0 (TnSZ 16..24). */
    attach(handler: PagingHandler, root: AddrInput, options: PageTableOptions = {}) {
      return el2 ? new A64PageTableEl2(handler, { ...options, root }) : new A64PageTable(handler, { ...options, root });
    },
  });
}

/** 2^64, the end of the TTBR1 range (a literal: a top-level shift is code a bundler keeps). */
const TOP = 0x1_0000_0000_0000_0000n;
/** BADDR [47:1] of a TTBR. */
const BADDR = 0x0000_ffff_ffff_fffen;

/** One TTBR's root: granule and size checks, start level, aligned base address. */
function rootOf(
  reg: string,
  ttbr: bigint,
  sz: number,
  granule4k: boolean,
  tgName: string,
  tg: number,
  upper: boolean,
  kernel: boolean,
  hpd: boolean,
  notes: string[],
): DumpRoot | RegisterError {
  if (!granule4k) {
    const size = tgName.endsWith('TG1') ? ['reserved', '16KB', '4KB', '64KB'][tg] : ['4KB', '64KB', '16KB', 'reserved'][tg];
    return new RegisterError('Unsupported', tgName, `${tgName} = 0b${tg.toString(2).padStart(2, '0')} (${size} granule): only the 4KB granule is supported`);
  }
  const szName = tgName.replace(/TG(\d)$/, 'T$1SZ');
  if (sz < 16) return new RegisterError('Unsupported', szName, `${szName} = ${sz}: a ${64 - sz}-bit range needs TCR.DS = 1 (52-bit addresses), which is not supported`);
  if (sz > 39) return new RegisterError('Unsupported', szName, `${szName} = ${sz}: with the 4KB granule a walk starting at level 3 (TnSZ > 39) is not supported`);
  const vaBits = 64 - sz;
  const startLevel = sz <= 24 ? 0 : sz <= 33 ? 1 : 2;
  const levelShift = [39, 30, 21][startLevel]!;
  const tableBytes = 8 * 2 ** (vaBits - levelShift);
  const align = BigInt(Math.max(64, tableBytes));
  const base = ttbr & BADDR;
  const root = base - (base % align);
  if (root !== base) notes.push(`${reg}: BADDR bits below the ${align}-byte table alignment are RES0 and were ignored`);
  if (ttbr & 1n) notes.push(`${reg}: CnP = 1`);
  const asid = ttbr >> 48n;
  if (asid !== 0n && !reg.endsWith('EL2')) notes.push(`${reg}: ASID ${hex(asid)}`);
  if (hpd) notes.push(`${reg}: hierarchical permissions disabled (TCR.HPD = 1): APTable, XNTable and PXNTable are ignored`);
  const span = 1n << BigInt(vaBits);
  return {
    root,
    vaStart: upper ? TOP - span : 0n,
    vaEnd: upper ? TOP : span,
    vaBits,
    startLevel,
    kernel,
    tableLimits: !hpd,
    label: reg,
  };
}

/**
 * Decodes AArch64 translation registers into an attach plan: for the EL1&0 regime, TTBR0_EL1 translates
 * [0, 2^(64-T0SZ)) and TTBR1_EL1 the kernel's [2^64 - 2^(64-T1SZ), 2^64), listed with full upper-half addresses;
 * for EL2 (E2H = 0), TTBR0_EL2 alone. A root is left out when its TTBR is not given or its walks are disabled
 * (TCR.EPDn = 1). Granules other than 4KB, TCR.DS = 1 and TnSZ outside 16..39 are 'Unsupported'; no usable root
 * is 'Missing'.
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
  const roots: DumpRoot[] = [];
  if (el2) {
    if (regs.ttbr1 !== undefined) {
      return new RegisterError('Invalid', 'TTBR1_EL2', 'TTBR1_EL2 is used only with HCR_EL2.E2H = 1 (the EL2&0 regime): decode that as EL1&0');
    }
    if (field(tcr, 32, 32) === 1) return new RegisterError('Unsupported', 'TCR_EL2.DS', 'TCR_EL2.DS = 1 (52-bit addresses with the 4KB granule) is not supported');
    if (regs.ttbr0 === undefined) return new RegisterError('Missing', 'TTBR0_EL2', 'TTBR0_EL2 is needed for the EL2 regime');
    const tg0 = field(tcr, 15, 14);
    const r = rootOf('TTBR0_EL2', registerValue(regs.ttbr0, 'ttbr0'), field(tcr, 5, 0), tg0 === 0, 'TCR_EL2.TG0', tg0, false, true, field(tcr, 24, 24) === 1, notes);
    if (r instanceof RegisterError) return r;
    roots.push(r);
    if (field(tcr, 20, 20)) notes.push('TCR_EL2.TBI = 1: the top byte of addresses is ignored');
  } else {
    if (field(tcr, 59, 59) === 1) return new RegisterError('Unsupported', 'TCR_EL1.DS', 'TCR_EL1.DS = 1 (52-bit addresses with the 4KB granule) is not supported');
    if (regs.ttbr0 !== undefined) {
      if (field(tcr, 7, 7) === 1) {
        notes.push('TCR_EL1.EPD0 = 1: walks through TTBR0_EL1 are disabled; its range is not listed');
      } else {
        const tg0 = field(tcr, 15, 14);
        const r = rootOf('TTBR0_EL1', registerValue(regs.ttbr0, 'ttbr0'), field(tcr, 5, 0), tg0 === 0, 'TCR_EL1.TG0', tg0, false, false, field(tcr, 41, 41) === 1, notes);
        if (r instanceof RegisterError) return r;
        roots.push(r);
      }
    }
    if (regs.ttbr1 !== undefined) {
      if (field(tcr, 23, 23) === 1) {
        notes.push('TCR_EL1.EPD1 = 1: walks through TTBR1_EL1 are disabled; its range is not listed');
      } else {
        const tg1 = field(tcr, 31, 30);
        const r = rootOf('TTBR1_EL1', registerValue(regs.ttbr1, 'ttbr1'), field(tcr, 21, 16), tg1 === 2, 'TCR_EL1.TG1', tg1, true, true, field(tcr, 42, 42) === 1, notes);
        if (r instanceof RegisterError) return r;
        roots.push(r);
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
  return { arch: 'aarch64', format: a64Format(el2), roots, notes };
}
