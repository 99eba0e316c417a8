// From the page-walk CSRs to an attach plan.
// Source: LoongArch Reference Manual, Volume 1 (v1.10):
// - 7.5.5 PGDL and 7.5.6 PGDH: Base, bits [GRLEN-1:12], the root directory used for virtual addresses whose
//   highest bit (bit VALEN-1) is 0 (PGDL) or 1 (PGDH); bits 11:0 read as 0.
// - 7.5.8 PWCL: PTbase [4:0] (the page shift: 12, 14 or 16 here), PTwidth [9:5], Dir1_base [14:10], Dir1_width [19:15], Dir2_base [24:20],
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
import { la64Codec, type LA64Levels } from '@page-table-multiarch/entry/loongarch64';
import { la64Inspector } from './inspector';
import { type LA64Geometry, type LA64PageKiB, la64Geometry, la64MetaData, PWCH_VALUE, PWCL_VALUE } from './metadata';
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

/**
 * The LoongArch64 table format of a geometry (default: 4 KiB pages, four levels, the geometry of PWCL_VALUE /
 * PWCH_VALUE), for dumps: the metadata of its lower half (or of both, for a table of 48 bits or more), the codec for
 * its depth and the inspector with its level names; `attach` makes an LA64PageTable of that half.
 * @throws RangeError as {@link la64Geometry} when `geometry` is not given but a size and depth are unsupported.
 */
export function la64Format(geometry: LA64Geometry = la64Geometry(4, 4)): TableFormat {
  const g = la64Geometry(geometry.pageKiB, geometry.levels);
  const half = g.vaBits >= 48 ? 'both' : 'lower';
  return Object.freeze({
    name: g.pageKiB === 4 ? 'LoongArch64 4-level, 4 KiB pages' : `LoongArch64 ${g.levels}-level, ${g.pageKiB} KiB pages`,
    meta: la64MetaData(g.pageKiB, g.levels, half),
    pte: la64Codec(g.levels as LA64Levels),
    inspector: la64Inspector(g),
    attach(handler: PagingHandler, root: AddrInput, options: PageTableOptions = {}) {
      return new LA64PageTable(handler, { ...options, root, pageKiB: g.pageKiB, levels: g.levels, half });
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

/** The page size a PWCL.PTbase selects: 12, 14 and 16 are the 4, 16 and 64 KiB pages of the supported formats. */
const PAGE_OF_PTBASE: Readonly<Record<number, LA64PageKiB>> = /* @__PURE__ */ Object.freeze({ 12: 4, 14: 16, 16: 64 });

/**
 * The geometry the walk controllers describe, or the register error that says why none: 64-bit entries, a PTbase of
 * 12, 14 or 16, every level pageShift - 3 bits wide (a table is one page), each directory in use (width not 0)
 * starting where the level below it ends, and a supported page size and depth. Which of Dir1..Dir4 a level uses does
 * not change the tables (Linux's 3-level layouts leave Dir2 empty).
 */
function geometryOf(pwcl: bigint, pwch: bigint): LA64Geometry | RegisterError {
  const say = (reg: string, why: string) => new RegisterError('Unsupported', reg, `PWCL 0x${pwcl.toString(16)}, PWCH 0x${pwch.toString(16)}: ${geometry(pwcl, pwch)}: ${why}`);
  if (field(pwcl, 31, 30) !== 0) return say('PWCL', 'entries wider than 64 bits (PTEWidth != 0) are not supported');
  const ptBase = field(pwcl, 4, 0);
  const pageKiB = PAGE_OF_PTBASE[ptBase];
  if (pageKiB === undefined) return say('PWCL', `PTbase ${ptBase} is not 12, 14 or 16 (4, 16 or 64 KiB pages)`);
  const width = ptBase - 3;
  if (field(pwcl, 9, 5) !== width) return say('PWCL', `PTwidth is not ${width}: a table that is not one page is not supported`);
  // the directories from the lowest up: Dir1, Dir2 (PWCL), Dir3, Dir4 (PWCH)
  const dirs: [string, string, number, number][] = [
    ['PWCL', 'Dir1', field(pwcl, 14, 10), field(pwcl, 19, 15)],
    ['PWCL', 'Dir2', field(pwcl, 24, 20), field(pwcl, 29, 25)],
    ['PWCH', 'Dir3', field(pwch, 5, 0), field(pwch, 11, 6)],
    ['PWCH', 'Dir4', field(pwch, 17, 12), field(pwch, 23, 18)],
  ];
  let next = ptBase + width;
  let levels = 1;
  for (const [reg, name, base, w] of dirs) {
    if (w === 0) continue;
    if (w !== width || base !== next) return say(reg, `${name} is not ${width} bits from VA bit ${next}`);
    next += w;
    levels++;
  }
  try {
    return la64Geometry(pageKiB, levels);
  } catch (e) {
    // the depth: PWCH holds the root directory of every supported format (Dir3), so it is the one to fix
    if (e instanceof RangeError) return say('PWCH', e.message);
    throw e;
  }
}

/**
 * Decodes LoongArch64 page-walk CSRs into an attach plan: PGDL for the lower half, PGDH for the upper (kernel)
 * half, each only when given. The page size comes from PWCL.PTbase (12, 14, 16: 4, 16, 64 KiB) and the depth from
 * the directories PWCL and PWCH enable; supported are the 4-level 4 KiB tables (PWCL_VALUE / PWCH_VALUE, the default
 * when neither is given) and Linux's 16 KiB 3-level, 64 KiB 2-level and 64 KiB 3-level ones. Anything else (other
 * depths, tables larger than a page, wide entries) is 'Unsupported'; no root is 'Missing'. A table of fewer than 48
 * bits serves one half, so PGDL's range is [0, 2^bits) and PGDH's [2^64 - 2^bits, 2^64).
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
  const g = geometryOf(pwcl & 0xffff_ffffn, pwch & 0xff_ffffn);
  if (g instanceof RegisterError) return g;
  // one root serves both halves when the table indexes all of VALEN = 48 bits (5.2); else each half indexes its low bits
  const span = 1n << BigInt(g.vaBits >= 48 ? 47 : g.vaBits);
  const top = 1n << 64n;
  const roots: DumpRoot[] = [];
  if (regs.pgdl !== undefined) {
    roots.push({ root: registerValue(regs.pgdl, 'pgdl') & ~0xfffn, vaStart: 0n, vaEnd: span, kernel: false, label: 'PGDL' });
  }
  if (regs.pgdh !== undefined) {
    roots.push({ root: registerValue(regs.pgdh, 'pgdh') & ~0xfffn, vaStart: top - span, vaEnd: top, kernel: true, label: 'PGDH' });
  }
  if (roots.length === 0) return new RegisterError('Missing', 'PGDL', 'no root: give PGDL and/or PGDH');
  if (g.vaBits < 47) {
    notes.push(`${g.vaBits}-bit tables: the walk ignores VA bits 46:${g.vaBits}; each half is listed at its canonical ${g.vaBits}-bit addresses`);
  }
  return { arch: 'loongarch64', format: la64Format(g), roots, notes };
}
