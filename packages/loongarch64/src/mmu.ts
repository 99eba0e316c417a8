// The LoongArch64 MMU model: an access translated as a LoongArch CPU does it at PLV0 or PLV3, with the direct
// mapping windows, a TLB refill made by the page walk of PWCL / PWCH (LDDIR / LDPTE, as Linux's refill handler
// runs them), and the TLB entry's checks.
// Source: LoongArch Reference Manual, Volume 1 (v1.10), cited as [LA]:
//   2.1.5 / 5.2: VALEN = 48; an address whose bits 63:47 are not all equal raises ADE (address error: ADEF on a
//     fetch, ADEM on a load or store), unless a direct mapping window takes it first;
//   5.2.1 "Direct Mapped Address Translation Mode" and 7.5.10 DMW0-DMW3: PLV0-PLV3 enable bits 3:0, MAT 5:4, VSEG
//     63:60; a matching window maps the address to its low PALEN bits;
//   5.4.4 "TLB-based Address Translation Mode" and 5.4.2 "TLB Entry": V = 0 raises PIL / PIS / PIF (page invalid
//     for a load / store / fetch), NX raises PNX on a fetch, NR raises PNR on a load, a privilege level the entry
//     does not allow raises PPI (RPLV = 0: PLV must be at most the entry's PLV; RPLV = 1: exactly it), D = 0 raises
//     PME on a store;
//   4.2.5.1 LDDIR / 4.2.5.2 LDPTE and 7.5.8 / 7.5.9 PWCL / PWCH: the walk's geometry; a directory entry holds the
//     next table's physical address (no valid bit) or, with bit 6 set, a huge page (5.4.5, G in bit 12);
//   7.4.5 ESTAT: Ecode PIL 0x1, PIS 0x2, PIF 0x3, PME 0x4, PNR 0x5, PNX 0x6, PPI 0x7, ADE 0x8 (EsubCode ADEF 0,
//     ADEM 1); 7.4.8 BADV: the faulting virtual address.
// The order of the checks of one entry (V, then NX on a fetch, NR on a load, the PLV, D on a store) is QEMU's
// (target/loongarch/tcg/tlb_helper.c, loongarch_map_tlb_entry / loongarch_check_pte): the manual lists the
// exceptions without ranking them.
import {
  type AccessKind,
  type AddrInput,
  field,
  MmuCode,
  MmuModel,
  type PagingHandler,
  type PrivilegeLevel,
  RegisterError,
  registerValue,
  type TlbWalker,
} from '@page-table-multiarch/core';
import { PWCH_VALUE, PWCL_VALUE } from './metadata';

// Entry bits of the low word [LA 5.4.2, 7.5.3 TLBELO; 5.4.5 directory entries], of the high word (bits 63:32).
const V = 1 << 0;
const D = 1 << 1;
const PLV_SHIFT = 2;
const HUGE = 1 << 6;
/** G: bit 6 of a page entry, bit 12 of a huge-page entry, whose bit 6 says "huge" [LA 5.4.5]. */
const G_PAGE = 1 << 6;
const G_HUGE = 1 << 12;
/** Physical address bits of the low word: bits 31:12. */
const PA_LO = 0xffff_f000;
/** PALEN = 48: physical address bits 47:32 of the high word. */
const PA_HI = 0xffff;
const NR_HI = 0x2000_0000; // 1 << 29
const NX_HI = 0x4000_0000; // 1 << 30
const RPLV_HI = -0x8000_0000; // 1 << 31
/** 2^n for n in 0..63: page sizes from a table (`2 ** n` with a variable n is a call to Math.pow in V8). */
const POW2 = /* @__PURE__ */ Float64Array.from({ length: 64 }, (_, n) => 2 ** n);

/** ESTAT.Ecode values a translation raises [LA 7.4.5]. */
export const LA64Ecode: {
  /** 0x1: page invalid for a load (the entry's V = 0). */
  readonly PIL: 1;
  /** 0x2: page invalid for a store. */
  readonly PIS: 2;
  /** 0x3: page invalid for an instruction fetch. */
  readonly PIF: 3;
  /** 0x4: page modification: a store to a page with D = 0. */
  readonly PME: 4;
  /** 0x5: page not readable: a load from a page with NR = 1. */
  readonly PNR: 5;
  /** 0x6: page not executable: a fetch from a page with NX = 1. */
  readonly PNX: 6;
  /** 0x7: page privilege illegal: the PLV / RPLV of the page exclude the current privilege level. */
  readonly PPI: 7;
  /** 0x8: address error (EsubCode 0 ADEF on a fetch, 1 ADEM on a load or store). */
  readonly ADE: 8;
} = /* @__PURE__ */ Object.freeze({ PIL: 1, PIS: 2, PIF: 3, PME: 4, PNR: 5, PNX: 6, PPI: 7, ADE: 8 } as const);

// PIL / PIS / PIF by access kind (READ, WRITE, EXECUTE)
const PAGE_INVALID = [1, 2, 3] as const;

/** What a LoongArch CPU reports for a failed translation. */
export interface LA64FaultSyndrome {
  /** ESTAT.Ecode ({@link LA64Ecode}); -1 for a table read outside the memory, for which the manual has no exception. */
  readonly ecode: number;
  /** ESTAT.EsubCode: for ADE, 0 (ADEF, a fetch) or 1 (ADEM, a load or store); 0 otherwise. */
  readonly esubcode: number;
  /** BADV: the faulting virtual address [LA 7.4.8]. */
  readonly badv: bigint;
}

/** The translation state of a LoongArch64 CPU, as {@link LA64Mmu} takes it. */
export interface LA64MmuOptions {
  /** CSR.PGDL: the root directory of addresses whose bit 47 is 0. */
  readonly pgdl: AddrInput;
  /** CSR.PGDH: the root directory of addresses whose bit 47 is 1 (default: PGDL). */
  readonly pgdh?: AddrInput;
  /** CSR.PWCL (default PWCL_VALUE): PTbase / PTwidth, Dir1 and Dir2 base / width, PTEWidth. */
  readonly pwcl?: AddrInput;
  /** CSR.PWCH (default PWCH_VALUE): Dir3 and Dir4 base / width. */
  readonly pwch?: AddrInput;
  /** CSR.DMW0-DMW3: the direct mapping windows (default none; at most 4). */
  readonly dmw?: readonly AddrInput[];
  /** The privilege level `Privilege.USER` stands for (default 3); `Privilege.SUPERVISOR` is PLV0. */
  readonly userPlv?: 1 | 2 | 3;
}

/**
 * A LoongArch64 CPU's address translation in mapped mode (CRMD.PG = 1) over tables in any `PagingHandler` memory:
 * the direct mapping windows first, then the sign-extension check (ADE), then what the TLB would hold after a
 * refill by Linux's handler (LDDIR for every directory level PWCL / PWCH give a width to, then LDPTE), and the
 * TLB entry's checks. `Privilege.SUPERVISOR` is PLV0, `Privilege.USER` is PLV3 (or `userPlv`).
 *
 * Fault kinds: V = 0 is `NotPresent` (PIL / PIS / PIF); NR, NX and the privilege checks are `Permission` (PNR,
 * PNX, PPI); D = 0 on a store is `Dirty` (PME: LoongArch has no hardware dirty update, the OS sets D in its
 * handler); an address that is not sign-extended from bit 47 is `NonCanonical` (ADE); a table read outside the
 * memory is `ExternalAbort`. There is no accessed flag: nothing is ever written to the tables.
 *
 * A directory entry of 0 points at a table at physical 0, as LDDIR reads it: when the handler does not hold
 * physical 0, that table reads as zeros (Linux points empty directory entries at a zeroed table; the package
 * README asks the same of physical frame 0). Huge pages translate as the huge entry's aligned address plus the
 * offset (LDPTE splits them into a TLB pair; the result is the same for the aligned addresses the tables hold).
 *
 * @example
 * const mmu = new LA64Mmu(table.handler, { pgdl: table.rootPaddr, pgdh: table.rootPaddr });
 * const pa = mmu.translateNumber(0x40_1000, Access.WRITE, Privilege.USER);
 * if (pa < 0) console.log(mmu.ecode); // 4 (PME): the page is not dirty
 */
export class LA64Mmu extends MmuModel<LA64FaultSyndrome> implements TlbWalker {
  /** The memory the tables are read from. */
  readonly handler: PagingHandler;
  /** The privilege level `Privilege.USER` stands for. */
  userPlv: number;
  /** ESTAT.Ecode of the last fault ({@link LA64Ecode}); 0 after a successful translation. */
  ecode: number;
  /** ESTAT.EsubCode of the last fault. */
  esubcode: number;
  /**
   * After a successful walk: what a TLB entry keeps of the leaf [LA 5.4.2]: D (bit 0), PLV (bits 2:1), NR (3), NX (4),
   * RPLV (5). See `TlbWalker`.
   */
  leafAttributes: number;
  /** After a successful walk: the leaf's G bit (bit 6 of a page entry, bit 12 of a huge-page entry). */
  leafGlobal: boolean;
  /** {@link leafAttributes} holds 6 bits. */
  readonly tlbAttributeBits = 6;
  /** The mode key is `userPlv` (1-3). */
  readonly tlbModeBits = 2;
  /** Low 32 bits of BADV after the last fault. */
  badvLo: number;
  /** High 32 bits of BADV after the last fault. */
  badvHi: number;
  /** Directory levels from the root down, then the page table: the bit of the address each index starts at. */
  private readonly base: Int32Array;
  /** The index widths of the same levels. */
  private readonly width: Int32Array;
  /** (VSEG, PLV enable bits) of each enabled direct mapping window. */
  private readonly windows: Int32Array;
  private readonly pgd: Uint32Array;

  /**
   * @throws RegisterError 'Unsupported' for PWCL.PTEWidth other than 0 (64-bit entries) or a geometry that is not
   *   one the walk can index (a level whose bits overlap another's or reach past bit 63); 'Invalid' for more than
   *   four windows; TypeError / PagingError 'InvalidAddress' for a value that is not a u64, or a userPlv outside 1-3.
   */
  constructor(handler: PagingHandler, options: LA64MmuOptions) {
    super();
    this.handler = handler;
    const userPlv = options.userPlv ?? 3;
    if (userPlv !== 1 && userPlv !== 2 && userPlv !== 3) throw new RangeError(`LA64Mmu: userPlv ${String(userPlv)} is not 1, 2 or 3`);
    this.userPlv = userPlv;
    this.ecode = 0;
    this.esubcode = 0;
    this.badvLo = 0;
    this.badvHi = 0;
    this.leafAttributes = 0;
    this.leafGlobal = false;
    const pgdl = registerValue(options.pgdl, 'pgdl');
    const pgdh = options.pgdh === undefined ? pgdl : registerValue(options.pgdh, 'pgdh');
    // [LA 7.5.5 / 7.5.6] Base is bits 63:12; bits 11:0 read as 0
    this.pgd = Uint32Array.of(Number(pgdl & 0xffff_f000n), Number((pgdl >> 32n) & 0xffff_ffffn), Number(pgdh & 0xffff_f000n), Number((pgdh >> 32n) & 0xffff_ffffn));
    const { base, width } = walkGeometry(
      options.pwcl === undefined ? BigInt(PWCL_VALUE) : registerValue(options.pwcl, 'pwcl'),
      options.pwch === undefined ? BigInt(PWCH_VALUE) : registerValue(options.pwch, 'pwch'),
    );
    this.base = base;
    this.width = width;
    const dmw = options.dmw ?? [];
    if (dmw.length > 4) throw new RegisterError('Invalid', 'DMW', `${dmw.length} direct mapping windows: LoongArch64 has DMW0-DMW3`);
    const windows: number[] = [];
    for (const [i, value] of dmw.entries()) {
      const v = registerValue(value, `dmw[${i}]`);
      // [LA 7.5.10] PLV0-PLV3 enable bits 3:0; VSEG bits 63:60. A window enabled for no level maps nothing.
      const plvs = Number(v & 0xfn);
      if (plvs !== 0) windows.push(Number(field(v, 63, 60)), plvs);
    }
    this.windows = Int32Array.from(windows);
  }

  /**
   * Loads new CSR.PGDL and CSR.PGDH values (a CSRWR, as a process switch makes): later walks start at these roots.
   * As on the CPU, a `Tlb` over this model keeps its entries (its `asid` is CSR.ASID.ASID; INVTLB removes them).
   * @param pgdl CSR.PGDL: the root directory of addresses whose bit 47 is 0.
   * @param pgdh CSR.PGDH (default: `pgdl`).
   * @throws TypeError / PagingError 'InvalidAddress' for a value that is not a u64; nothing changes then.
   */
  setPgd(pgdl: AddrInput, pgdh?: AddrInput): void {
    const low = registerValue(pgdl, 'pgdl');
    const high = pgdh === undefined ? low : registerValue(pgdh, 'pgdh');
    // [LA 7.5.5 / 7.5.6] Base is bits 63:12; bits 11:0 read as 0
    this.pgd[0] = Number(low & 0xffff_f000n);
    this.pgd[1] = Number((low >> 32n) & 0xffff_ffffn);
    this.pgd[2] = Number(high & 0xffff_f000n);
    this.pgd[3] = Number((high >> 32n) & 0xffff_ffffn);
  }

  /**
   * The translation of [LA 5.2.1, 5.4.4] on the words of the handler's memory: no BigInt, no allocation, no throw.
   * See `MmuModel.translateWords`.
   */
  translateWords(vaLo: number, vaHi: number, access: AccessKind, privilege: PrivilegeLevel): number {
    this.badvLo = vaLo >>> 0;
    this.badvHi = vaHi >>> 0;
    const plv = privilege === 1 ? 0 : this.userPlv;
    // [LA 5.2.1] a direct mapping window whose VSEG is the address's bits 63:60 and which allows this PLV
    const win = this.windows;
    for (let i = 0; i < win.length; i += 2) {
      const plvs = win[i + 1]!;
      if (vaHi >>> 28 === win[i] && ((plvs >>> plv) & 1) !== 0) {
        // the window is linear over each 2^48 bytes; READ | WRITE | EXECUTE, and USER when PLV3 may use it
        return this.translated(vaLo >>> 0, vaHi & PA_HI, POW2[48]!, -1, 7 | ((plvs >>> 3) & 1) << 3);
      }
    }
    // [LA 2.1.5] bits 63:47 all equal, else ADE (ADEF on a fetch, ADEM otherwise)
    const ext = (vaHi | 0) >> 15;
    if (ext !== 0 && ext !== -1) return this.raise(LA64Ecode.ADE, access === 2 ? 0 : 1, MmuCode.NonCanonical, -1);
    const h = this.handler;
    const w = h.words;
    // [LA 7.5.7] CSR.PGD is PGDH for an address whose top bit is 1, PGDL otherwise
    const root = ext === 0 ? 0 : 2;
    let tLo = this.pgd[root]!;
    let tHi = this.pgd[root + 1]!;
    const last = this.base.length - 1;
    for (let level = 0; ; level++) {
      const shift = this.base[level]!;
      const idx = bitsOf(vaLo, vaHi, shift, this.width[level]!);
      // [LA 4.2.5.1 / 4.2.5.2] the entry at base | index * 8
      const e = h.wordIndex((tLo | (idx << 3)) >>> 0, tHi);
      let lo = 0;
      let hi = 0;
      if (e >= 0) {
        lo = w[e]!;
        hi = w[e + 1]!;
      } else if ((tLo | tHi) !== 0) {
        return this.raise(-1, 0, MmuCode.ExternalAbort, level);
      }
      if (level < last && (lo & HUGE) === 0) {
        // [LA 4.2.5.1] a directory entry: the next table's physical address (LDDIR keeps PALEN bits)
        tLo = lo >>> 0;
        tHi = hi & PA_HI;
        continue;
      }
      // a page entry, or a huge page held in a directory entry [LA 5.4.5]; both size and checks as a TLB entry
      return this.leaf(lo | 0, hi | 0, vaLo | 0, vaHi | 0, level, shift, access, plv, level < last);
    }
  }

  /** [LA 5.4.4] the checks of the TLB entry a refill makes of (lo, hi), which maps 2^shift bytes. */
  private leaf(lo: number, hi: number, vaLo: number, vaHi: number, level: number, shift: number, access: AccessKind, plv: number, huge: boolean): number {
    if ((lo & V) === 0) return this.raise(PAGE_INVALID[access], 0, MmuCode.NotPresent, level);
    if (access === 2 && (hi & NX_HI) !== 0) return this.raise(LA64Ecode.PNX, 0, MmuCode.Permission, level);
    if (access === 0 && (hi & NR_HI) !== 0) return this.raise(LA64Ecode.PNR, 0, MmuCode.Permission, level);
    const pagePlv = (lo >>> PLV_SHIFT) & 3;
    const exact = (hi & RPLV_HI) !== 0;
    if (exact ? plv !== pagePlv : plv > pagePlv) return this.raise(LA64Ecode.PPI, 0, MmuCode.Permission, level);
    if (access === 1 && (lo & D) === 0) return this.raise(LA64Ecode.PME, 0, MmuCode.Dirty, level);
    // MappingFlags READ 1, WRITE 2, EXECUTE 4, USER 8: what the entry allows; USER when PLV3 may use it
    const perms = ((hi & NR_HI) === 0 ? 1 : 0) | ((lo & D) !== 0 ? 2 : 0) | ((hi & NX_HI) === 0 ? 4 : 0) | (pagePlv === 3 ? 8 : 0);
    this.leafAttributes = ((lo & D) >>> 1) | (pagePlv << 1) | ((hi >>> 26) & 0x38);
    this.leafGlobal = (lo & (huge ? G_HUGE : G_PAGE)) !== 0;
    const paHi = hi & PA_HI;
    if (shift < 32) {
      const mask = (1 << shift) - 1;
      return this.translated((((lo & PA_LO) & ~mask) | (vaLo & mask)) >>> 0, paHi, POW2[shift]!, level, perms);
    }
    const maskHi = (1 << (shift - 32)) - 1;
    return this.translated(vaLo >>> 0, ((paHi & ~maskHi) | (vaHi & maskHi)) >>> 0, POW2[shift]!, level, perms);
  }

  /** `TlbWalker`: the level `Privilege.USER` stands for is the one mode bit a cached leaf's outcome depends on. */
  tlbModeKey(): number {
    return this.userPlv;
  }

  /**
   * `TlbWalker`: the checks of [LA 5.4.4] on cached attributes. The privilege check passes or every kind goes to the
   * walk (which raises PPI); then READ unless NR, WRITE with D (a store to a clean page goes to the walk: PME),
   * EXECUTE unless NX.
   */
  tlbCheck(attributes: number, privilege: PrivilegeLevel, modeKey: number): number {
    const plv = privilege === 1 ? 0 : modeKey;
    const pagePlv = (attributes >>> 1) & 3;
    const perms = ((attributes & 8) === 0 ? 1 : 0) | ((attributes & 1) !== 0 ? 2 : 0) | ((attributes & 16) === 0 ? 4 : 0) | (pagePlv === 3 ? 8 : 0);
    if ((attributes & 32) !== 0 ? plv !== pagePlv : plv > pagePlv) return perms << 3;
    return (perms << 3) | (perms & 7);
  }

  private translated(paLo: number, paHi: number, size: number, level: number, perms: number): number {
    this.ecode = 0;
    this.esubcode = 0;
    return this.found(paLo, paHi, size, level, perms);
  }

  private raise(ecode: number, esubcode: number, code: number, level: number): number {
    this.ecode = ecode;
    this.esubcode = esubcode;
    return this.fault(code, level);
  }

  /** ESTAT.Ecode / EsubCode and BADV of the last fault. */
  protected syndrome(): LA64FaultSyndrome {
    return { ecode: this.ecode, esubcode: this.esubcode, badv: (BigInt(this.badvHi) << 32n) | BigInt(this.badvLo) };
  }
}

/** Bits [shift, shift + width) of the address (lo, hi), width at most 16. */
function bitsOf(lo: number, hi: number, shift: number, width: number): number {
  const mask = (1 << width) - 1;
  if (shift >= 32) return (hi >>> (shift - 32)) & mask;
  return ((lo >>> shift) | (shift === 0 ? 0 : hi << (32 - shift))) & mask;
}

/**
 * The levels of the walk from PWCL / PWCH [LA 7.5.8, 7.5.9]: Dir4, Dir3, Dir2, Dir1 where their width is not 0 (an
 * OS's refill handler runs LDDIR for those only), then the page table. An index may reach above bit 47 (Linux's
 * 64 KiB, 3-level tables index bits 54:42): LDDIR takes those bits of BADV as they are, the sign-extension copies.
 */
function walkGeometry(pwcl: bigint, pwch: bigint): { base: Int32Array; width: Int32Array } {
  if (field(pwcl, 31, 30) !== 0) {
    throw new RegisterError('Unsupported', 'PWCL.PTEWidth', `PWCL.PTEWidth ${field(pwcl, 31, 30)}: only 64-bit entries (0) are walked`);
  }
  const levels: [number, number][] = [
    [field(pwch, 17, 12), field(pwch, 23, 18)],
    [field(pwch, 5, 0), field(pwch, 11, 6)],
    [field(pwcl, 24, 20), field(pwcl, 29, 25)],
    [field(pwcl, 14, 10), field(pwcl, 19, 15)],
  ].filter(([, w]) => w !== 0) as [number, number][];
  levels.push([field(pwcl, 4, 0), field(pwcl, 9, 5)]);
  let below = 12;
  for (let i = levels.length - 1; i >= 0; i--) {
    const [b, w] = levels[i]!;
    if (b < below || w === 0 || w > 16 || b + w > 64) {
      throw new RegisterError('Unsupported', i === levels.length - 1 ? 'PWCL.PTbase' : 'PWCL/PWCH', `walk level ${i}: base ${b}, width ${w} overlaps the level below or passes bit 63`);
    }
    below = b + w;
  }
  return { base: Int32Array.from(levels, ([b]) => b), width: Int32Array.from(levels, ([, w]) => w) };
}
