// From the page-walk CSRs to an attach plan.
// Source: LoongArch Reference Manual, Volume 1 (v1.10):
// - 7.5.5 PGDL and 7.5.6 PGDH: Base, bits [GRLEN-1:12], the root directory used for virtual addresses whose
//   highest bit (bit VALEN-1) is 0 (PGDL) or 1 (PGDH); bits 11:0 read as 0.
// - 7.5.8 PWCL: PTbase [4:0], PTwidth [9:5], Dir1_base [14:10], Dir1_width [19:15], Dir2_base [24:20],
//   Dir2_width [29:25], PTEWidth [31:30] (0: 64-bit entries).
// - 7.5.9 PWCH: Dir3_base [5:0], Dir3_width [11:6], Dir4_base [17:12], Dir4_width [23:18]; bits 31:24 are not
//   part of the geometry (bit 24 is HPTW_En where the hardware walker exists).
// - 5.2: a virtual address is valid when bits 63:VALEN-1 are all equal (VALEN = 48 here).
import {
  type AddrInput,
  type AttachPlan,
  type DumpRoot,
  field,
  type PageTableOptions,
  type PagingHandler,
  RegisterError,
  registerValue,
  type TableFormat,
} from '@page-table-multiarch/core';
import { LA64PTE } from '@page-table-multiarch/entry/loongarch64';
import { la64Inspector } from './inspector';
import { LA64MetaData, PWCH_VALUE, PWCL_VALUE } from './metadata';
import { LA64PageTable } from './tables';

/** Page-walk CSRs of a LoongArch64 CPU. */
export interface LA64Registers {
  /** CSR.PGDL: the lower half's root directory. */
  readonly pgdl?: AddrInput;
  /** CSR.PGDH: the upper half's root directory (often the same as PGDL). */
  readonly pgdh?: AddrInput;
  /** CSR.PWCL (default PWCL_VALUE). */
  readonly pwcl?: AddrInput;
  /** CSR.PWCH (default PWCH_VALUE). */
  readonly pwch?: AddrInput;
}

/** The LoongArch64 4-level, 4 KiB table format (the geometry of PWCL_VALUE / PWCH_VALUE). */
export function la64Format(): TableFormat {
  return Object.freeze({
    name: 'LoongArch64 4-level, 4 KiB pages',
    meta: LA64MetaData,
    pte: LA64PTE,
    inspector: la64Inspector(),
    attach(handler: PagingHandler, root: AddrInput, options: PageTableOptions = {}) {
      return new LA64PageTable(handler, { ...options, root });
    },
  });
}

function geometry(pwcl: bigint, pwch: bigint): string {
  return (
    `PT ${field(pwcl, 4, 0)}/${field(pwcl, 9, 5)}, Dir1 ${field(pwcl, 14, 10)}/${field(pwcl, 19, 15)}, ` +
    `Dir2 ${field(pwcl, 24, 20)}/${field(pwcl, 29, 25)}, Dir3 ${field(pwch, 5, 0)}/${field(pwch, 11, 6)}, ` +
    `Dir4 ${field(pwch, 17, 12)}/${field(pwch, 23, 18)} (base/width), PTEWidth ${field(pwcl, 31, 30)}`
  );
}

/**
 * Decodes LoongArch64 page-walk CSRs into an attach plan: PGDL for the lower half, PGDH for the upper (kernel)
 * half, each only when given. The walk geometry in PWCL / PWCH must be the 4-level 4 KiB one of LA64PageTable
 * (PWCL_VALUE, PWCH_VALUE); anything else (16 KiB pages, 3 levels, wide entries) is 'Unsupported'; no root is
 * 'Missing'.
 * @throws TypeError / PagingError 'InvalidAddress' for a value that is not a u64.
 * @example
 * const plan = decodeLA64Registers({ pgdl: 0x1000n, pgdh: 0x1000n }); // one root for both halves
 * if (plan instanceof RegisterError) throw plan;
 * plan.roots.map((r) => r.label); // ['PGDL', 'PGDH']
 */
export function decodeLA64Registers(regs: LA64Registers): AttachPlan | RegisterError {
  const notes: string[] = [];
  const pwcl = regs.pwcl === undefined ? BigInt(PWCL_VALUE) : registerValue(regs.pwcl, 'pwcl');
  const pwch = regs.pwch === undefined ? BigInt(PWCH_VALUE) : registerValue(regs.pwch, 'pwch');
  if (regs.pwcl === undefined || regs.pwch === undefined) notes.push('PWCL / PWCH not given: PWCL_VALUE / PWCH_VALUE assumed');
  const want = BigInt(PWCL_VALUE);
  if ((pwcl & 0xffff_ffffn) !== want) {
    return new RegisterError('Unsupported', 'PWCL', `PWCL 0x${pwcl.toString(16)}: ${geometry(pwcl, pwch)} is not the 4-level 4 KiB geometry (PWCL 0x${want.toString(16)})`);
  }
  if ((pwch & 0xff_ffffn) !== BigInt(PWCH_VALUE)) {
    return new RegisterError('Unsupported', 'PWCH', `PWCH 0x${pwch.toString(16)}: ${geometry(pwcl, pwch)} is not the 4-level 4 KiB geometry (PWCH 0x${PWCH_VALUE.toString(16)})`);
  }
  const half = 1n << 47n;
  const top = 1n << 64n;
  const roots: DumpRoot[] = [];
  if (regs.pgdl !== undefined) {
    roots.push({ root: registerValue(regs.pgdl, 'pgdl') & ~0xfffn, vaStart: 0n, vaEnd: half, kernel: false, label: 'PGDL' });
  }
  if (regs.pgdh !== undefined) {
    roots.push({ root: registerValue(regs.pgdh, 'pgdh') & ~0xfffn, vaStart: top - half, vaEnd: top, kernel: true, label: 'PGDH' });
  }
  if (roots.length === 0) return new RegisterError('Missing', 'PGDL', 'no root: give PGDL and/or PGDH');
  return { arch: 'loongarch64', format: la64Format(), roots, notes };
}
