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
import { A32PTE } from '@page-table-multiarch/entry/arm';
import { a32Inspector } from './inspector';
import { A32PagingMetaData } from './metadata';
import { A32PageTable } from './tables';

/** Translation registers of an ARMv7-A CPU (short-descriptor format). */
export interface A32Registers {
  /** TTBR0. */
  readonly ttbr0?: AddrInput;
  /** TTBR1 (used only with TTBCR.N > 0). */
  readonly ttbr1?: AddrInput;
  /** TTBCR (default 0: N = 0, short descriptors). */
  readonly ttbcr?: AddrInput;
  /**
   * With TTBCR.N = 0, where the kernel's range starts, for the audit and listings (default 0xc000_0000, Linux's
   * 3G/1G split); a multiple of 1 MiB, or 2^32 for none.
   */
  readonly kernelStart?: AddrInput;
}

/** The ARMv7 short-descriptor table format. Tables that a dump reads need a handler whose chunks hold 16 KiB. */
export function a32Format(): TableFormat {
  return Object.freeze({
    name: 'ARMv7 short-descriptor',
    meta: A32PagingMetaData,
    pte: A32PTE,
    inspector: a32Inspector(),
    /** Attaches to a 16 KiB L1 table (TTBR1, or TTBR0 with N = 0). */
    attach(handler: PagingHandler, root: AddrInput, options: PageTableOptions = {}) {
      return new A32PageTable(handler, { ...options, root });
    },
  });
}

/** 2^32 (a literal: a top-level shift is code a bundler keeps). */
const FOUR_G = 0x1_0000_0000n;

/**
 * Decodes ARMv7 TTBR0, TTBR1 and TTBCR into an attach plan. With TTBCR.N = 0, TTBR0 translates everything (listed
 * as a user range below `kernelStart` and a kernel range from it); with N > 0, TTBR0 translates [0, 2^(32-N))
 * with a 16 KiB >> N table and TTBR1 the kernel's [2^(32-N), 2^32). TTBCR.EAE = 1 (LPAE) is 'Unsupported';
 * a missing TTBR that the split needs is 'Missing'; a TTBR whose walks TTBCR.PDn disables is left out.
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
  if (field(ttbcr, 31, 31) === 1) {
    return new RegisterError('Unsupported', 'TTBCR.EAE', `TTBCR ${hex(ttbcr)}: EAE = 1 selects the Long-descriptor format (LPAE), which is not supported`);
  }
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
    const ks = regs.kernelStart === undefined ? 0xc000_0000n : registerValue(regs.kernelStart, 'kernelStart');
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
  return { arch: 'arm', format: a32Format(), roots, notes };
}
