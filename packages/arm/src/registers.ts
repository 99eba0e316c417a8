// From TTBR0 / TTBR1 / TTBCR to an attach plan.
// Source: ARM DDI 0406C:
// - B4.1.153 TTBCR: N [2:0], PD0 [4], PD1 [5] (walks disabled, with the Security Extensions), EAE [31]
//   (1: the Long-descriptor format, LPAE).
// - B4.1.154 TTBR0 (TTBCR.EAE = 0): bits [31:14-N] hold the L1 table's address, so it is aligned to 2^(14-N)
//   bytes; bits [13-N:7] are UNK/SBZP; IRGN[0] (6), NOS (5), RGN (4:3), IMP (2), S (1), C / IRGN[1] (0).
// - B4.1.155 TTBR1: bits [31:14] hold the L1 table's address (always a 16 KiB table).
// - B3.5.4 "Selecting between TTBR0 and TTBR1, Short-descriptor translation table format": with N = 0 TTBR0
//   translates every address; otherwise addresses whose bits [31:32-N] are all zero go through TTBR0 (a table of
//   2^(12-N) entries indexed by VA[31-N:20]) and the others through TTBR1 (indexed by VA[31:20] as always).
// With TTBCR.EAE = 1 (the long-descriptor format, ARM DDI 0406C.d):
// - B4.1.153 TTBCR: T0SZ [2:0], EPD0 [7], IRGN0 [9:8], ORGN0 [11:10], SH0 [13:12], T1SZ [18:16], A1 [22] (which
//   TTBR's ASID is current), EPD1 [23], IRGN1 [25:24], ORGN1 [27:26], SH1 [29:28], EAE [31]; bits 6:3, 15:14 and
//   21:19 are UNK/SBZP.
// - B4.1.154 / B4.1.155 TTBR0 / TTBR1 as 64-bit registers: BADDR [39:x], x = 5 - TxSZ for TxSZ 0 or 1 and 14 - TxSZ
//   above (the table is aligned to its size); ASID [55:48]; bits 47:40 and 63:56 UNK/SBZP.
// - B4.1.104 MAIR0 / MAIR1: the attribute bytes AttrIndx selects. B4.1.43 DACR: domains are not used by the
//   long-descriptor format, so DACR has no effect on its translations.
// - B3.6.4 "Selecting between TTBR0 and TTBR1, Long-descriptor translation table format" and B3.6.5 (the first
//   lookup level): see lpaeRange and lpaeFirstLevel in metadata.ts.
// With TTBCR.EAE = 0, what the short descriptors mean also depends on:
// - B4.1.130 SCTLR: TRE [28] (TEX remap: memory types through PRRR / NMRR, B3.8.3), AFE [29] (AP[0] becomes an
//   Access flag, the simplified permission model of B3.7.1, which the codec does not read).
// - B4.1.145 PRRR and B4.1.127 NMRR: see a32RemapTypes in the entry package.
// - B4.1.43 DACR: the access each domain gives (B3.7.3); see a32Inspector.
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
import { type A32Remap, a32Codec, a32LpaeCodec, LPAE_MAIR } from '@page-table-multiarch/entry/arm';
import { a32Inspector, a32LpaeInspector } from './inspector';
import { A32PagingMetaData, type A32LpaeSplit, a32LpaeMetaData, lpaeFirstLevel, lpaeRange } from './metadata';
import { A32LpaePageTable, A32PageTable } from './tables';

/** Translation registers of an ARMv7-A CPU (short-descriptor format). */
export interface A32Registers {
  /** TTBR0. */
  readonly ttbr0?: AddrInput;
  /** TTBR1 (used only with TTBCR.N > 0). */
  readonly ttbr1?: AddrInput;
  /** TTBCR (default 0: N = 0, short descriptors). */
  readonly ttbcr?: AddrInput;
  /**
   * With TTBCR.N = 0, where the kernel's range starts, for the audit and listings (default 0xbf00_0000: Linux's
   * TASK_SIZE with the 3G/1G split, where its modules area starts, 16 MiB below PAGE_OFFSET 0xc000_0000, as
   * MODULES_VADDR in arch/arm/include/asm/memory.h says); a multiple of 1 MiB, or 2^32 for none.
   */
  readonly kernelStart?: AddrInput;
  /** MAIR0, with TTBCR.EAE = 1: the attribute bytes Attr0..Attr3 that AttrIndx selects (default `LPAE_MAIR.mair0`). */
  readonly mair0?: AddrInput;
  /** MAIR1, with TTBCR.EAE = 1: Attr4..Attr7 (default `LPAE_MAIR.mair1`). */
  readonly mair1?: AddrInput;
  /**
   * SCTLR, with TTBCR.EAE = 0: TRE (bit 28) says whether memory types go through PRRR / NMRR; AFE (bit 29) = 1 is
   * refused. Default: TRE = 1 when PRRR and NMRR are given, else 0.
   */
  readonly sctlr?: AddrInput;
  /** PRRR, with TTBCR.EAE = 0 and TEX remap (B4.1.145); given with `nmrr`. */
  readonly prrr?: AddrInput;
  /** NMRR, with TTBCR.EAE = 0 and TEX remap (B4.1.127); given with `prrr`. */
  readonly nmrr?: AddrInput;
  /** DACR, with TTBCR.EAE = 0 (B4.1.43): the access each domain gives (default: every domain a Client). */
  readonly dacr?: AddrInput;
}

/** What the short-descriptor format reads beyond the tables: TEX remap and the domains. */
export interface A32FormatOptions {
  /** PRRR and NMRR, when SCTLR.TRE = 1. */
  readonly remap?: A32Remap;
  /** DACR (default 0x55555555: every domain a Client). */
  readonly dacr?: number;
}

/**
 * The ARMv7 short-descriptor table format. Tables that a dump reads need a handler whose chunks hold 16 KiB. With
 * `remap`, leaves' memory types are read through PRRR / NMRR (`a32Codec`); with `dacr`, domains deny or bypass the
 * permission checks (`a32Inspector`).
 * @throws RangeError for a PRRR, NMRR or DACR that is not a u32.
 */
export function a32Format(options: A32FormatOptions = {}): TableFormat {
  return Object.freeze({
    name: 'ARMv7 short-descriptor',
    meta: A32PagingMetaData,
    pte: a32Codec(options.remap === undefined ? {} : { remap: options.remap }),
    inspector: a32Inspector(options),
    /** Attaches to a 16 KiB L1 table (TTBR1, or TTBR0 with N = 0). */
    attach(handler: PagingHandler, root: AddrInput, options: PageTableOptions = {}) {
      return new A32PageTable(handler, { ...options, root });
    },
  });
}

/**
 * Where Linux's kernel range starts with the 3G/1G split: MODULES_VADDR = PAGE_OFFSET - 16 MiB = 0xbf00_0000, also
 * TASK_SIZE (arch/arm/include/asm/memory.h), so that modules are listed and audited as the kernel's.
 */
const DEFAULT_KERNEL_START = 0xbf00_0000n;

/** 2^32 (a literal: a top-level shift is code a bundler keeps). */
const FOUR_G = 0x1_0000_0000n;

/**
 * Decodes ARMv7 TTBR0, TTBR1 and TTBCR into an attach plan. With TTBCR.N = 0, TTBR0 translates everything (listed
 * as a user range below `kernelStart` and a kernel range from it); with N > 0, TTBR0 translates [0, 2^(32-N))
 * with a 16 KiB >> N table and TTBR1 the kernel's [2^(32-N), 2^32). TTBCR.EAE = 1 selects the long-descriptor
 * format (LPAE): see {@link a32LpaeFormat}; TTBR0 then translates [0, 2^(32-T0SZ)) and TTBR1 the top 2^(32-T1SZ)
 * bytes (ARM DDI 0406C.d B3.6.4), and MAIR0 / MAIR1 say what AttrIndx means. A missing TTBR that the split needs is 'Missing'; a TTBR whose walks TTBCR.PDn disables is left out.
 * @throws TypeError / PagingError 'InvalidAddress' for a value that is not a u64.
 * @example
 * const plan = decodeA32Registers({ ttbr0: 0x4000_4000, ttbr1: 0x4000_8000, ttbcr: 2 }); // N = 2: 1 GiB for TTBR0
 * if (plan instanceof RegisterError) throw plan;
 * plan.roots[1].vaStart; // 0x40000000n
 */
export function decodeA32Registers(regs: A32Registers): AttachPlan | RegisterError {
  const ttbcr = regs.ttbcr === undefined ? 0n : registerValue(regs.ttbcr, 'ttbcr');
  const notes: string[] = [];
  if (regs.ttbcr === undefined) notes.push('TTBCR not given: N = 0 assumed');
  if (ttbcr >= FOUR_G) return new RegisterError('Invalid', 'TTBCR', `TTBCR ${hex(ttbcr)} is wider than 32 bits`);
  if (field(ttbcr, 31, 31) === 1) return decodeLpae(regs, ttbcr);
  const format = shortFormat(regs, notes);
  if (format instanceof RegisterError) return format;
  const n = field(ttbcr, 2, 0);
  const pd0 = field(ttbcr, 4, 4) === 1;
  const pd1 = field(ttbcr, 5, 5) === 1;
  const roots: DumpRoot[] = [];
  const base = (value: AddrInput, name: string, alignBits: number): bigint => {
    const v = registerValue(value, name);
    return v & 0xffff_ffffn & ~((1n << BigInt(alignBits)) - 1n);
  };
  if (n === 0) {
    if (regs.ttbr0 === undefined) return new RegisterError('Missing', 'TTBR0', 'TTBR0 is needed (TTBCR.N = 0: it translates every address)');
    if (pd0) return new RegisterError('Missing', 'TTBCR.PD0', 'TTBCR.PD0 = 1 disables walks through TTBR0, the only table with N = 0');
    const root = base(regs.ttbr0, 'ttbr0', 14);
    const ks = regs.kernelStart === undefined ? DEFAULT_KERNEL_START : registerValue(regs.kernelStart, 'kernelStart');
    if (ks % (1n << 20n) !== 0n || ks > FOUR_G) return new RegisterError('Invalid', 'kernelStart', `kernelStart ${hex(ks)} is not a multiple of 1 MiB in [0, 2^32]`);
    if (ks > 0n) roots.push({ root, vaStart: 0n, vaEnd: ks, vaBits: 32, kernel: false, label: 'TTBR0' });
    if (ks < FOUR_G) roots.push({ root, vaStart: ks, vaEnd: FOUR_G, vaBits: 32, kernel: true, label: 'TTBR0 (kernel)' });
    if (regs.ttbr1 !== undefined) notes.push('TTBR1 is not used with TTBCR.N = 0');
  } else {
    const split = 1n << BigInt(32 - n);
    if (regs.ttbr0 !== undefined && !pd0) {
      roots.push({ root: base(regs.ttbr0, 'ttbr0', 14 - n), vaStart: 0n, vaEnd: split, vaBits: 32 - n, kernel: false, label: 'TTBR0' });
    } else if (pd0) {
      notes.push('TTBCR.PD0 = 1: walks through TTBR0 are disabled; its range is not listed');
    }
    if (regs.ttbr1 !== undefined && !pd1) {
      roots.push({ root: base(regs.ttbr1, 'ttbr1', 14), vaStart: split, vaEnd: FOUR_G, vaBits: 32, kernel: true, label: 'TTBR1' });
    } else if (pd1) {
      notes.push('TTBCR.PD1 = 1: walks through TTBR1 are disabled; its range is not listed');
    }
    if (roots.length === 0) return new RegisterError('Missing', 'TTBR0', `no usable root: give TTBR0 and/or TTBR1 (TTBCR.N = ${n})`);
  }
  return { arch: 'arm', format, roots, notes };
}

/** A u32 register value, or the RegisterError of one that is wider. */
function u32Value(value: AddrInput, name: string): number | RegisterError {
  const v = registerValue(value, name.toLowerCase());
  return v < FOUR_G ? Number(v) : new RegisterError('Invalid', name, `${name} ${hex(v)} is wider than 32 bits`);
}

/** The short-descriptor format that SCTLR, PRRR, NMRR and DACR describe (TTBCR.EAE = 0); what it assumed goes to `notes`. */
function shortFormat(regs: A32Registers, notes: string[]): TableFormat | RegisterError {
  const values: Record<'SCTLR' | 'PRRR' | 'NMRR' | 'DACR', number | undefined> = { SCTLR: undefined, PRRR: undefined, NMRR: undefined, DACR: undefined };
  for (const [name, value] of [['SCTLR', regs.sctlr], ['PRRR', regs.prrr], ['NMRR', regs.nmrr], ['DACR', regs.dacr]] as const) {
    if (value === undefined) continue;
    const v = u32Value(value, name);
    if (v instanceof RegisterError) return v;
    values[name] = v;
  }
  const { SCTLR: sctlr, PRRR: prrr, NMRR: nmrr, DACR: dacr } = values;
  if (sctlr !== undefined && ((sctlr >>> 29) & 1) === 1) {
    return new RegisterError('Unsupported', 'SCTLR.AFE', `SCTLR ${hex(BigInt(sctlr))}: AFE = 1 (AP[0] is an Access flag) is not read by the short-descriptor codec`);
  }
  if ((prrr === undefined) !== (nmrr === undefined)) {
    return new RegisterError('Missing', prrr === undefined ? 'PRRR' : 'NMRR', 'PRRR and NMRR are given together (TEX remap reads both)');
  }
  const tre = sctlr === undefined ? prrr !== undefined : ((sctlr >>> 28) & 1) === 1;
  if (tre && prrr === undefined) {
    return new RegisterError('Missing', 'PRRR', `SCTLR ${hex(BigInt(sctlr!))}: TRE = 1 (TEX remap): give PRRR and NMRR, which say what TEX[0], C and B select`);
  }
  if (tre && sctlr === undefined) notes.push('SCTLR not given: TRE = 1 assumed (PRRR and NMRR were given)');
  if (!tre && prrr !== undefined) notes.push('SCTLR.TRE = 0: PRRR and NMRR are not used');
  return a32Format({ ...(tre ? { remap: { prrr: prrr!, nmrr: nmrr! } } : {}), ...(dacr !== undefined ? { dacr } : {}) });
}

/**
 * The ARMv7 long-descriptor table format (TTBCR.EAE = 1) for dumps, with memory types read through a MAIR0 / MAIR1
 * pair (default `LPAE_MAIR`): the geometry of a TTBR whose walk starts at lookup level 1 over all 4 GiB; a root
 * whose walk starts at level 2 is a `DumpRoot` with `startLevel` 1, and a smaller range a smaller `vaBits`.
 * @throws RangeError for MAIR values that are not u32, or a pair without Device, Normal Non-cacheable and Normal
 *   Write-Back bytes (`a32LpaeCodec`).
 */
export function a32LpaeFormat(mair0: number = LPAE_MAIR.mair0, mair1: number = LPAE_MAIR.mair1): TableFormat {
  return Object.freeze({
    name: 'ARMv7 long-descriptor (LPAE)',
    meta: a32LpaeMetaData({ ttbr: 0, t0sz: 0, t1sz: 0 }),
    pte: a32LpaeCodec({ firstLevel: 1, mair0, mair1 }),
    inspector: a32LpaeInspector(1),
    /** Attaches to a level 1 root over all 4 GiB (TTBR0 with T0SZ = T1SZ = 0). */
    attach(handler: PagingHandler, root: AddrInput, options: PageTableOptions = {}) {
      return new A32LpaePageTable(handler, { ...options, root, mair0, mair1 });
    },
  });
}

/** BADDR [39:x] of a 64-bit TTBR whose TxSZ is `sz` (B4.1.154). */
function lpaeBase(ttbr: bigint, sz: number): bigint {
  const x = lpaeFirstLevel(sz) === 1 ? 5 - sz : 14 - sz;
  return ttbr & 0xff_ffff_ffffn & ~((1n << BigInt(x)) - 1n);
}

/** A MAIR value as a u32, or the RegisterError of one that is not. */
function mairValue(value: AddrInput | undefined, name: string, fallback: number): number | RegisterError {
  if (value === undefined) return fallback;
  const v = registerValue(value, name.toLowerCase());
  return v < FOUR_G ? Number(v) : new RegisterError('Invalid', name, `${name} ${hex(v)} is wider than 32 bits`);
}

/** decodeA32Registers with TTBCR.EAE = 1. */
function decodeLpae(regs: A32Registers, ttbcr: bigint): AttachPlan | RegisterError {
  const notes: string[] = [];
  const mair0 = mairValue(regs.mair0, 'MAIR0', LPAE_MAIR.mair0);
  if (mair0 instanceof RegisterError) return mair0;
  const mair1 = mairValue(regs.mair1, 'MAIR1', LPAE_MAIR.mair1);
  if (mair1 instanceof RegisterError) return mair1;
  if (regs.mair0 === undefined && regs.mair1 === undefined) notes.push('MAIR0/MAIR1 not given: memory types read as LPAE_MAIR says (0x0044ff04 / 0)');
  let format: TableFormat;
  try {
    format = a32LpaeFormat(mair0, mair1);
  } catch (e) {
    return new RegisterError('Unsupported', 'MAIR0', e instanceof Error ? e.message : String(e));
  }
  const t0sz = field(ttbcr, 2, 0);
  const t1sz = field(ttbcr, 18, 16);
  const a1 = field(ttbcr, 22, 22);
  const roots: DumpRoot[] = [];
  for (const ttbr of [0, 1] as const) {
    const value = ttbr === 0 ? regs.ttbr0 : regs.ttbr1;
    const name = `TTBR${ttbr}`;
    const split: A32LpaeSplit = { ttbr, t0sz, t1sz };
    const range = lpaeRange(split);
    if (range === undefined) {
      if (value !== undefined) notes.push('TTBR1 is not used with T0SZ = T1SZ = 0: TTBR0 translates every address');
      continue;
    }
    if (value === undefined) continue;
    if (field(ttbcr, ttbr === 0 ? 7 : 23, ttbr === 0 ? 7 : 23) === 1) {
      notes.push(`TTBCR.EPD${ttbr} = 1: walks through ${name} are disabled; its range is not listed`);
      continue;
    }
    const v = registerValue(value, name.toLowerCase());
    const sz = ttbr === 0 ? t0sz : t1sz;
    const root = lpaeBase(v, sz);
    if (root !== (v & 0xff_ffff_ffffn)) notes.push(`${name}: BADDR bits below the table's alignment are RES0 and were ignored`);
    if ((v & 0xff00_ff00_0000_0000n) !== 0n) notes.push(`${name}: bits 63:56 and 47:40 are UNK/SBZP and were ignored`);
    const asid = (v >> 48n) & 0xffn;
    if (asid !== 0n) notes.push(`${name}: ASID ${hex(asid)}${a1 === ttbr ? ` (the current ASID, TTBCR.A1 = ${a1})` : ''}`);
    roots.push({
      root,
      vaStart: BigInt(range.start),
      vaEnd: BigInt(range.end),
      vaBits: 32 - sz,
      startLevel: lpaeFirstLevel(sz) - 1,
      kernel: ttbr === 1,
      label: name,
    });
  }
  if (roots.length === 0) return new RegisterError('Missing', 'TTBR0', `no usable root: give TTBR0 and/or TTBR1 (TTBCR ${hex(ttbcr)}, EAE = 1)`);
  if (t0sz > 0 && t1sz > 0 && 2 ** (32 - t0sz) < 2 ** 32 - 2 ** (32 - t1sz)) {
    notes.push(`addresses from ${hex(2n ** BigInt(32 - t0sz))} to ${hex(FOUR_G - 2n ** BigInt(32 - t1sz))} are in neither range and fault`);
  }
  notes.push('DACR is not used by the long-descriptor format (no domains)');
  return { arch: 'arm', format, roots, notes };
}
