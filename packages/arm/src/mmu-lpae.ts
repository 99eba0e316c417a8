// The ARMv7-A MMU model for the long-descriptor format (TTBCR.EAE = 1, the Large Physical Address Extension): an
// access translated as a PL1 or PL0 access of the PL1&0 stage 1 regime is, with AP[2:1], the Access flag, XN / PXN,
// the hierarchical APTable / XNTable / PXNTable, SCTLR.WXN / UWXN, and reported in the long-descriptor DFSR / IFSR.
// Source: ARM Architecture Reference Manual ARMv7-A and ARMv7-R edition (DDI 0406C.d), cited as [B3.x]:
// - B3.6.4 "Selecting between TTBR0 and TTBR1, Long-descriptor translation table format": TTBR0 translates
//   [0, 2^(32-T0SZ)), TTBR1 [2^32 - 2^(32-T1SZ), 2^32) (see lpaeRange); an address in neither range, or in a range
//   whose walks TTBCR.EPDn disables, is a Translation fault, level 1.
// - B3.6.5 "Long-descriptor translation table format address lookup levels": the walk starts at level 1 for
//   TxSZ 0 or 1, at level 2 for TxSZ 2..7 (see lpaeFirstLevel); level 1 indexes VA[31-TxSZ:30], level 2 VA[29:21],
//   level 3 VA[20:12]; B4.1.154 / B4.1.155 TTBRn: BADDR [39:x], ASID [55:48]; bits 47:40 UNK/SBZP.
// - B3.6.1 "Long-descriptor translation table format descriptors": bits[1:0] x0 invalid, 01 a Block at levels 1
//   (1 GiB) and 2 (2 MiB) and reserved (a Translation fault) at level 3, 11 a Table at levels 1 and 2 and a Page at
//   level 3; output and next-level addresses in bits 39:12 (bits 47:40 UNK/SBZP: taken as zero here).
// - B3.6.2 "Memory attributes in the Long-descriptor translation table format descriptors": AP[2:1] (7:6), AF (10),
//   nG (11), PXN (53), XN (54) of a Block or Page; PXNTable (59), XNTable (60), APTable (62:61) of a Table, which
//   limit every level below it (APTable[0]: no PL0 access; APTable[1]: no write access).
// - B3.7.1: AP[2:1], Table B3-9; "The Access flag": AF = 0 is an Access flag fault (the long-descriptor format of
//   VMSAv7 has no hardware management of the flag). B3.7.2: XN, PXN, WXN, UWXN (see _a32-access.ts).
// - B3.12.3: a Translation fault at each level as the walk meets it, then the Access flag, then the permissions.
// - B4.1.52 DFSR / B4.1.96 IFSR with the long-descriptor format: STATUS (5:0) 0b0001LL Translation fault, 0b0010LL
//   Access flag fault, 0b0011LL Permission fault, 0b0101LL synchronous external abort on the walk, LL the lookup
//   level; LPAE (bit 9) = 1; in DFSR WnR (11); ExT (12). B4.1.51 DFAR / B4.1.95 IFAR: the faulting address.
// - B4.1.153 TTBCR: T0SZ (2:0), EPD0 (7), T1SZ (18:16), A1 (22: TTBR1's ASID is current), EPD1 (23), EAE (31).
import { type AccessKind, type AddrInput, MmuCode, MmuModel, type PagingHandler, type PrivilegeLevel, RegisterError, registerValue, type TlbWalker } from '@page-table-multiarch/core';
import { AP_SIMPLE, reg32, SCTLR_UWXN, SCTLR_WXN, withExecute } from './_a32-access';
import { lpaeRange } from './metadata';

// Descriptor bits of the low word [B3.6.2]: AP[2:1] 7:6, AF 10, nG 11; of the high word (bit n - 32): PXN 53,
// XN 54 of a leaf, PXNTable 59, XNTable 60, APTable 62:61 of a Table.
const AF = 1 << 10;
const NG = 1 << 11;
const PXN_HI = 0x20_0000; // 1 << 21
const XN_HI = 0x40_0000; // 1 << 22
const PXN_TABLE_HI = 0x800_0000; // 1 << 27
const XN_TABLE_HI = 0x1000_0000; // 1 << 28
const AP_TABLE0_HI = 0x2000_0000; // 1 << 29
const AP_TABLE1_HI = 0x4000_0000; // 1 << 30
/** Address bits 39:32 of a descriptor's high word. */
const ADDR_HI = 0xff;

// What a TLB entry keeps (tlbAttributeBits = 4): AP[2:1] after the hierarchical limits in bits 1:0, XN 2, PXN 3.
const ATTR_XN = 1 << 2;
const ATTR_PXN = 1 << 3;

// STATUS codes of the long-descriptor FSR [B4.1.52], plus the lookup level.
const ST_TRANSLATION = 0b000100;
const ST_ACCESS_FLAG = 0b001000;
const ST_PERMISSION = 0b001100;
const ST_WALK_ABORT = 0b010100;
/** DFSR / IFSR.LPAE (bit 9): the long-descriptor format. */
const FSR_LPAE = 1 << 9;

/** What an ARMv7 CPU with TTBCR.EAE = 1 reports of a failed translation. */
export interface A32LpaeFaultSyndrome {
  /** True for a Prefetch Abort (IFSR, IFAR), false for a Data Abort (DFSR, DFAR). */
  readonly prefetch: boolean;
  /** The value written to DFSR or IFSR: STATUS (5:0), LPAE (bit 9) = 1, and WnR (bit 11) in DFSR [B4.1.52]. */
  readonly fsr: number;
  /** STATUS: the fault type and the lookup level (1 to 3). */
  readonly status: number;
  /** DFAR or IFAR: the virtual address of the access. */
  readonly far: number;
}

/** The translation state of an ARMv7-A CPU with TTBCR.EAE = 1 that {@link A32LpaeMmu} takes. */
export interface A32LpaeMmuOptions {
  /** TTBR0 (64-bit): BADDR and ASID. */
  readonly ttbr0?: AddrInput;
  /** TTBR1 (64-bit): BADDR and ASID. */
  readonly ttbr1?: AddrInput;
  /** TTBCR: EAE (31) must be 1; T0SZ, EPD0, T1SZ, A1, EPD1 are read. */
  readonly ttbcr: AddrInput;
  /** SCTLR: WXN (19) and UWXN (20) are read (default 0). */
  readonly sctlr?: AddrInput;
}

/**
 * An ARMv7-A CPU's stage 1 translation for the PL1&0 regime with long descriptors (TTBCR.EAE = 1), over tables in
 * any `PagingHandler` memory: TTBR0 / TTBR1 with T0SZ / T1SZ and EPD0 / EPD1, 1 GiB and 2 MiB Blocks, 4 KiB Pages,
 * 40-bit output addresses, AP[2:1], AF, XN, PXN, the hierarchical limits of Table descriptors, SCTLR.WXN and UWXN.
 * `translate` gives the physical address or the abort with its long-format DFSR / IFSR and DFAR / IFAR (fields
 * {@link fsr}, {@link far}, {@link prefetch} for the number forms, which allocate nothing). Privilege.USER is PL0,
 * SUPERVISOR is PL1. Domains (DACR) play no part in this format [B4.1.43].
 *
 * Fault kinds: a Translation fault is `NotPresent`; an Access flag fault `AccessFlag`; a Permission fault
 * `Permission`; a table read outside the memory `ExternalAbort`; an address above 2^32 `NonCanonical` (FSR 0).
 *
 * @example
 * const regs = encodeA32LpaeRegisters({ ttbr0: table });
 * const mmu = new A32LpaeMmu(memory, regs);
 * mmu.translateNumber(0x40_1000, Access.READ, Privilege.USER); // the physical address, or a negative MmuCode
 */
export class A32LpaeMmu extends MmuModel<A32LpaeFaultSyndrome> implements TlbWalker {
  /** The memory the tables are read from. */
  readonly handler: PagingHandler;
  /** SCTLR: WXN and UWXN are read. */
  sctlr: number;
  /** The current ASID: TTBR0's, or TTBR1's with TTBCR.A1 = 1 [B4.1.153]. */
  asid: number;
  /** Of the last fault: a Prefetch Abort (IFSR / IFAR) rather than a Data Abort. */
  prefetch: boolean;
  /** Of the last fault: the DFSR or IFSR value (0 after a successful translation). */
  fsr: number;
  /** Of the last fault: DFAR or IFAR. */
  far: number;
  /** After a successful walk: AP[2:1] (with the limits of the tables above), XN and PXN, as a TLB keeps them. */
  leafAttributes: number;
  /** After a successful walk: nG = 0. */
  leafGlobal: boolean;
  /** {@link leafAttributes} holds 4 bits. */
  readonly tlbAttributeBits = 4;
  /** The mode key is SCTLR.WXN (bit 0) and UWXN (bit 1). */
  readonly tlbModeBits = 2;
  /** @internal per TTBR: the range translated [start, end) (end 0 for none) */
  readonly _ranges: Float64Array;
  /** @internal per TTBR: the table's base (lo, hi), the lookup level it is at, the index mask of that level */
  readonly _roots: Int32Array;

  /**
   * @throws RegisterError for TTBCR.EAE = 0, a TTBR with bits 47:40 set (UNK/SBZP) or whose range would need a
   *   TTBR that was not given; TypeError / PagingError 'InvalidAddress' for a value that is not a u64; RangeError
   *   for a TTBCR or SCTLR above 2^32.
   */
  constructor(handler: PagingHandler, options: A32LpaeMmuOptions) {
    super();
    this.handler = handler;
    this.sctlr = 0;
    this.asid = 0;
    this.prefetch = false;
    this.fsr = 0;
    this.far = 0;
    this.leafAttributes = 0;
    this.leafGlobal = false;
    this._ranges = new Float64Array(4);
    this._roots = new Int32Array(8);
    this.setRegisters(options);
  }

  /**
   * Loads new translation registers. Nothing changes when it throws. As on the CPU, this flushes nothing.
   * @throws as the constructor.
   */
  setRegisters(options: A32LpaeMmuOptions): void {
    const ttbcr = reg32(options.ttbcr, 'TTBCR', 'A32LpaeMmu');
    if (ttbcr >>> 31 === 0) throw new RegisterError('Unsupported', 'TTBCR.EAE', 'A32LpaeMmu: TTBCR.EAE = 0 selects the short-descriptor format (use A32Mmu)');
    const sctlr = reg32(options.sctlr ?? 0, 'SCTLR', 'A32LpaeMmu');
    const t0sz = ttbcr & 7;
    const t1sz = (ttbcr >>> 16) & 7;
    const ranges = new Float64Array(4);
    const roots = new Int32Array(8);
    const asids = [0, 0];
    for (const ttbr of [0, 1] as const) {
      const range = lpaeRange({ ttbr, t0sz, t1sz });
      const disabled = ((ttbcr >>> (ttbr === 0 ? 7 : 23)) & 1) !== 0;
      const given = ttbr === 0 ? options.ttbr0 : options.ttbr1;
      const name = ttbr === 0 ? 'TTBR0' : 'TTBR1';
      const value = registerValue(given ?? 0, name);
      asids[ttbr] = Number((value >> 48n) & 0xffn);
      if (range === undefined || disabled) continue;
      if (given === undefined) throw new RegisterError('Missing', name, `A32LpaeMmu: ${name} translates 0x${range.start.toString(16)}.., but was not given`);
      if (((value >> 40n) & 0xffn) !== 0n) throw new RegisterError('Invalid', `${name}.BADDR`, `A32LpaeMmu: ${name} bits 47:40 are UNK/SBZP, not 0x${((value >> 40n) & 0xffn).toString(16)}`);
      const txsz = ttbr === 0 ? t0sz : t1sz;
      // [B4.1.154] BADDR [39:x], x = 5 - TxSZ for a walk from level 1, 14 - TxSZ from level 2
      const x = txsz <= 1 ? 5 - txsz : 14 - txsz;
      const base = value & ((1n << 40n) - 1n) & ~((1n << BigInt(x)) - 1n);
      ranges[2 * ttbr] = range.start;
      ranges[2 * ttbr + 1] = range.end;
      roots[4 * ttbr] = Number(base & 0xffff_ffffn) | 0;
      roots[4 * ttbr + 1] = Number(base >> 32n);
      // [B3.6.5] the first table: 2^(2 - TxSZ) entries at level 1, 2^(11 - TxSZ) at level 2
      roots[4 * ttbr + 2] = txsz <= 1 ? 1 : 2;
      roots[4 * ttbr + 3] = txsz <= 1 ? (1 << (2 - txsz)) - 1 : (1 << (11 - txsz)) - 1;
    }
    this._ranges.set(ranges);
    this._roots.set(roots);
    this.sctlr = sctlr;
    this.asid = asids[(ttbcr >>> 22) & 1]!;
  }

  /** The walk of [B3.6] on the words of the handler's memory: no BigInt, no allocation, no throw. */
  translateWords(vaLo: number, vaHi: number, access: AccessKind, privilege: PrivilegeLevel): number {
    const va = vaLo >>> 0;
    this.far = va;
    this.prefetch = access === 2;
    if (vaHi !== 0) {
      this.fsr = 0;
      return this.fault(MmuCode.NonCanonical, -1);
    }
    // [B3.6.4] the TTBR whose range holds the address; none (or its walks disabled): a level 1 Translation fault
    const r = this._ranges;
    const ttbr = va >= r[0]! && va < r[1]! ? 0 : va >= r[2]! && va < r[3]! ? 1 : -1;
    if (ttbr < 0) return this.abort(MmuCode.NotPresent, ST_TRANSLATION | 1, -1, access);
    const h = this.handler;
    const w = h.words;
    const roots = this._roots;
    let tLo = roots[4 * ttbr]!;
    let tHi = roots[4 * ttbr + 1]!;
    const first = roots[4 * ttbr + 2]!;
    const firstMask = roots[4 * ttbr + 3]!;
    // the limits of the Table descriptors on the way [B3.6.2]
    let limits = 0;
    for (let level = first; ; level++) {
      const shift = 39 - 9 * level; // 30, 21, 12
      // the first table is indexed by the range's own bits only (VA[31-TxSZ:30] or VA[31-TxSZ:21]), the others by
      // nine bits [B3.6.5]
      const idx = (va >>> shift) & (level === first ? firstMask : 511);
      const e = h.wordIndex((tLo + idx * 8) >>> 0, tHi);
      if (e < 0) return this.abort(MmuCode.ExternalAbort, ST_WALK_ABORT | level, level - first, access);
      const lo = w[e]!;
      const hi = w[e + 1]!;
      // [B3.6.1] x0 invalid; 01 reserved at level 3
      if ((lo & 1) === 0 || (level === 3 && (lo & 2) === 0)) return this.abort(MmuCode.NotPresent, ST_TRANSLATION | level, level - first, access);
      if (level < 3 && (lo & 2) !== 0) {
        limits |= hi;
        tLo = (lo & 0xffff_f000) | 0;
        tHi = hi & ADDR_HI;
        continue;
      }
      return this.leaf(lo, hi, limits, va, level, level - first, access, privilege);
    }
  }

  /**
   * [B3.6.2, B3.7] the Access flag and the permissions of the leaf (lo, hi) at lookup level `level` (`at` counted
   * from the root), under the Table limits `limits`.
   */
  private leaf(lo: number, hi: number, limits: number, va: number, level: number, at: number, access: AccessKind, privilege: PrivilegeLevel): number {
    if ((lo & AF) === 0) return this.abort(MmuCode.AccessFlag, ST_ACCESS_FLAG | level, at, access);
    // AP[2:1] with APTable: [1] forbids writes (sets AP[2]), [0] forbids PL0 (clears AP[1])
    let ap = (lo >>> 6) & 3;
    if ((limits & AP_TABLE1_HI) !== 0) ap |= 2;
    if ((limits & AP_TABLE0_HI) !== 0) ap &= 2;
    const xn = (hi & XN_HI) !== 0 || (limits & XN_TABLE_HI) !== 0;
    const pxn = (hi & PXN_HI) !== 0 || (limits & PXN_TABLE_HI) !== 0;
    const attrs = ap | (xn ? ATTR_XN : 0) | (pxn ? ATTR_PXN : 0);
    const perms = lpaePermissions(attrs, privilege, this.sctlr);
    if (((perms >>> access) & 1) === 0) return this.abort(MmuCode.Permission, ST_PERMISSION | level, at, access);
    this.leafAttributes = attrs;
    this.leafGlobal = (lo & NG) === 0;
    this.fsr = 0;
    const mask = level === 1 ? 0x3fff_ffff : level === 2 ? 0x1f_ffff : 0xfff;
    return this.found(((lo & ~mask) | (va & mask)) >>> 0, hi & ADDR_HI, mask + 1, at, perms);
  }

  /** An abort with STATUS `status` (type and lookup level) at `at`, counted from the root [B4.1.52, B4.1.96]. */
  private abort(code: number, status: number, at: number, access: AccessKind): number {
    this.fsr = access === 2 ? status | FSR_LPAE : status | FSR_LPAE | (access === 1 ? 1 << 11 : 0);
    this.leafAttributes = 0;
    return this.fault(code, at);
  }

  /** The mode key of a `Tlb`: SCTLR.WXN (bit 0) and UWXN (bit 1). */
  tlbModeKey(): number {
    return ((this.sctlr & SCTLR_WXN) !== 0 ? 1 : 0) | ((this.sctlr & SCTLR_UWXN) !== 0 ? 2 : 0);
  }

  /** What a cached leaf allows under the mode key: the permissions << 3 and every access kind they allow. */
  tlbCheck(attributes: number, privilege: PrivilegeLevel, modeKey: number): number {
    const perms = lpaePermissions(attributes, privilege, ((modeKey & 1) !== 0 ? SCTLR_WXN : 0) | ((modeKey & 2) !== 0 ? SCTLR_UWXN : 0));
    return (perms << 3) | (perms & 7);
  }

  /** The DFSR / IFSR and DFAR / IFAR of the last fault. */
  protected syndrome(): A32LpaeFaultSyndrome {
    return { prefetch: this.prefetch, fsr: this.fsr, status: this.fsr & 0x3f, far: this.far };
  }
}

/** The permissions of TLB attributes `attrs` (AP[2:1], XN, PXN) at `privilege` under `sctlr` [B3.7.1, B3.7.2]. */
function lpaePermissions(attrs: number, privilege: PrivilegeLevel, sctlr: number): number {
  const ap = attrs & 3;
  const user = AP_SIMPLE[ap * 2]!;
  const rw = privilege === 0 ? user : AP_SIMPLE[ap * 2 + 1]!;
  return withExecute(user, rw, (attrs & ATTR_XN) !== 0, (attrs & ATTR_PXN) !== 0, privilege, sctlr);
}
