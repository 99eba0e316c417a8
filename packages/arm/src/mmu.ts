// The ARMv7-A MMU model for the short-descriptor format (TTBCR.EAE = 0): an access translated as a PL1 or PL0
// access of the PL1&0 stage 1 regime is, with DACR domains, AP[2:0] under SCTLR.AFE, XN / PXN and SCTLR.WXN /
// UWXN, and reported in DFSR / DFAR or IFSR / IFAR.
// Source: ARM Architecture Reference Manual ARMv7-A and ARMv7-R edition (DDI 0406C.d), cited as [B3.x]:
// - B3.5.1 "Short-descriptor translation table format descriptors", Figures B3-4 / B3-5: first-level bits[1:0]
//   00 Fault, 01 Page table (base 31:10, domain 8:5, NS 3, PXN 2), 1x Section (bit 18 = 0) or Supersection (bit 18
//   = 1) with PXN in bit 0 where PXN is implemented (bits[1:0] = 11 is reserved otherwise), B 2, C 3, XN 4, domain
//   8:5 (not in a Supersection, which is in domain 0), AP[1:0] 11:10, TEX 14:12, AP[2] 15, S 16, nG 17, NS 19,
//   Section base 31:20, Supersection base 31:24 with PA[35:32] in 23:20 and PA[39:36] in 8:5; second-level bits[1:0]
//   00 Fault, 01 Large page (base 31:16, XN 15, TEX 14:12, nG 11, S 10, AP[2] 9, AP[1:0] 5:4), 1x Small page (base
//   31:12, nG 11, S 10, AP[2] 9, TEX 8:6, AP[1:0] 5:4, XN 0).
// - B3.5.4 "Selecting between TTBR0 and TTBR1": with TTBCR.N > 0, addresses whose bits [31:32-N] are all zero go
//   through TTBR0 (table base TTBR0[31:14-N]), the others through TTBR1 (base TTBR1[31:14]); TTBCR.PD0 / PD1
//   (bits 4 and 5, Security Extensions) make a walk through that TTBR a Translation fault, first level.
// - B3.5.5 "Translation table walks": the first-level entry at base | VA[31-N:20] << 2, the second-level entry at
//   the Page table base | VA[19:12] << 2.
// - B3.6 (AP[2:0], Table B3-8 with SCTLR.AFE = 0; the simplified model of Table B3-9, AP[2:1], with AFE = 1, where
//   AP[0] is the Access flag: B3.7.1 "The Access flag", an Access flag fault when it is 0 and the implementation
//   does not manage the flag in hardware; "Hardware management of the Access flag" is an option that an
//   implementation reports in ID_MMFR2[31:28] and enables with SCTLR.HA, bit 17). AP = 0b100 is reserved: the
//   model gives no access there, as QEMU does.
// - B3.7.2 "Execute-never restrictions on instruction fetching": XN; PXN (with the Large Physical Address
//   Extension) forbids PL1 fetches; an instruction fetch needs read permission at its privilege; SCTLR.WXN (bit 19):
//   a writable region is XN; SCTLR.UWXN (bit 20): a region writable at PL0 is PXN (Virtualization Extensions).
// - B3.7.3 "Domains", B4.1.43 DACR: per domain 0b00 No access (a Domain fault), 0b01 Client (the permissions are
//   checked), 0b11 Manager (they are not, XN included), 0b10 reserved (the model faults, as QEMU does).
// - B3.12.3 "The MMU fault-checking sequence": a Translation fault of the first, then of the second level; then
//   the Access flag; then the domain; then the permissions. (The same order as the AArch32 short-descriptor walk of
//   ARM DDI 0487, AArch32.TranslationTableWalkSD then AArch32.CheckDomain / AArch32.CheckPermission.)
// - B3.12.6 / Table B3-23 "Short-descriptor format FSR encodings": FS 0b00101 / 0b00111 Translation fault (section
//   / page), 0b00011 / 0b00110 Access flag fault, 0b01001 / 0b01011 Domain fault, 0b01101 / 0b01111 Permission
//   fault, 0b01100 / 0b01110 synchronous external abort on the walk (first / second level).
// - B4.1.52 DFSR: FS[3:0] bits 3:0, Domain 7:4, LPAE 9 (0 here), FS[4] 10, WnR 11, ExT 12; B4.1.96 IFSR: FS and
//   ExT only; B4.1.51 DFAR / B4.1.95 IFAR: the faulting virtual address.
// - B4.1.36 CONTEXTIDR: ASID in bits 7:0, the tag of non-global (nG = 1) TLB entries (B3.9.3).
import { type AccessKind, type AddrInput, type MappingFlags, MmuCode, MmuModel, type PagingHandler, type PrivilegeLevel, RegisterError, type TlbWalker } from '@page-table-multiarch/core';
import { AP_SIMPLE, reg32 as reg32Of, SCTLR_UWXN, SCTLR_WXN, withExecute } from './_a32-access';

// Fault status codes, FS[4:0] [Table B3-23], by level (0 = first, section; 1 = second, page).
const FS_TRANSLATION = [0b00101, 0b00111] as const;
const FS_ACCESS_FLAG = [0b00011, 0b00110] as const;
const FS_DOMAIN = [0b01001, 0b01011] as const;
const FS_PERMISSION = [0b01101, 0b01111] as const;
const FS_WALK_ABORT = [0b01100, 0b01110] as const;

// DACR access types [B3.7.3].
const CLIENT = 1;
const MANAGER = 3;

// SCTLR bits [B4.1.130] (WXN and UWXN in _a32-access.ts).
const SCTLR_HA = 0x2_0000; // 1 << 17
const SCTLR_AFE = 0x2000_0000; // 1 << 29

// What a TLB entry keeps of a leaf (tlbAttributeBits = 9): AP[2:0] in bits 2:0, XN 3, PXN 4, the domain in 8:5.
const ATTR_XN = 1 << 3;
const ATTR_PXN = 1 << 4;
/** Mode keys: up to 31 (DACR, SCTLR bits) pairs interned; key 31 stands for any other and serves nothing. */
const MODE_KEYS = 31;

/**
 * Read / write permissions (MappingFlags READ 1, WRITE 2) of AP[2:0] [Table B3-8], SCTLR.AFE = 0, indexed by
 * AP * 2 + privilege (0 PL0, 1 PL1).
 */
const AP_FULL = /* @__PURE__ */ Uint8Array.of(0, 0, 0, 3, 1, 3, 3, 3, 0, 0, 0, 1, 1, 1, 1, 1);

/** What an ARMv7 CPU reports of a failed translation: the fault status register and the fault address register. */
export interface A32FaultSyndrome {
  /** True for a Prefetch Abort (an instruction fetch: IFSR, IFAR), false for a Data Abort (DFSR, DFAR). */
  readonly prefetch: boolean;
  /**
   * The value written to DFSR or IFSR (short-descriptor format, B4.1.52 / B4.1.96): FS[3:0] in bits 3:0, FS[4] in
   * bit 10; in DFSR also the domain (bits 7:4) and WnR (bit 11).
   */
  readonly fsr: number;
  /** FS[4:0], the fault status of Table B3-23. */
  readonly status: number;
  /**
   * The domain of the descriptor that faulted (0 for a Supersection; 0 where no descriptor with a domain was read,
   * a first-level Translation fault, where the manual makes it UNKNOWN).
   */
  readonly domain: number;
  /** DFAR or IFAR: the virtual address of the access. */
  readonly far: number;
}

/** The translation state of an ARMv7-A CPU (short descriptors) that {@link A32Mmu} takes. */
export interface A32MmuOptions {
  /** TTBR0: the first-level table (bits 31:14-N) for addresses below 2^(32-N). */
  readonly ttbr0: AddrInput;
  /** TTBR1: the first-level table (bits 31:14) for the others, with TTBCR.N > 0 (default 0). */
  readonly ttbr1?: AddrInput;
  /** TTBCR: N (2:0), PD0 (4), PD1 (5); EAE (31) must be 0 (default 0). */
  readonly ttbcr?: AddrInput;
  /** DACR: two bits per domain (default 0x5555_5555, every domain a Client). */
  readonly dacr?: AddrInput;
  /** SCTLR: AFE (29), WXN (19), UWXN (20), and HA (17) when `hardwareAccessFlag` is true (default 0). */
  readonly sctlr?: AddrInput;
  /** CONTEXTIDR: the ASID in bits 7:0, which only tags a Tlb's entries (default 0). */
  readonly contextidr?: AddrInput;
  /**
   * The implementation has PXN in short descriptors (the Large Physical Address Extension: Cortex-A7, A15 and
   * later; default true). Without it a first-level entry with bits[1:0] = 11 is a Translation fault.
   */
  readonly pxn?: boolean;
  /**
   * The implementation manages the Access flag in hardware (ID_MMFR2[31:28] = 1, B3.7.1): with SCTLR.HA = 1 a walk
   * that meets AP[0] = 0 under SCTLR.AFE = 1 sets it in the descriptor instead of faulting (default false).
   */
  readonly hardwareAccessFlag?: boolean;
}

/**
 * An ARMv7-A CPU's stage 1 translation for the PL1&0 regime with short descriptors (TTBCR.EAE = 0), over tables in
 * any `PagingHandler` memory: sections (1 MiB), supersections (16 MiB, up to 40-bit output addresses), large
 * (64 KiB) and small (4 KiB) pages, the TTBR0 / TTBR1 split of TTBCR.N, DACR domains, AP[2:0] (or AP[2:1] and the
 * Access flag with SCTLR.AFE = 1), XN, PXN, SCTLR.WXN and UWXN. `translate(va, access, privilege)` gives the
 * physical address or the abort with its DFSR / IFSR and DFAR / IFAR; `translateNumber` / `translateWords` are the
 * allocation-free forms, with the syndrome in the fields {@link fsr}, {@link far}, {@link prefetch}. Privilege.USER
 * is PL0, SUPERVISOR is PL1. Change `dacr` and `sctlr` between accesses as the CPU's registers change (a Tlb over
 * the model applies them to its cached entries at once, as the hardware does with the domains).
 *
 * Fault kinds: a Translation fault is `NotPresent`; an Access flag fault `AccessFlag`; a Domain fault `Domain`; a
 * Permission fault `Permission`; a table read outside the memory `ExternalAbort`; an address above 2^32
 * `NonCanonical` (no ARMv7 report: FS 0).
 *
 * @example
 * const mmu = new A32Mmu(memory, { ttbr0: encodeA32Registers(table).ttbr0, dacr: 0x5555_5555 });
 * const pa = mmu.translateNumber(0x40_1000, Access.WRITE, Privilege.USER);
 * if (pa < 0) console.log(mmu.fsr.toString(2)); // a Data Abort's DFSR
 */
export class A32Mmu extends MmuModel<A32FaultSyndrome> implements TlbWalker {
  /** The memory the tables are read from. */
  readonly handler: PagingHandler;
  /** DACR: the access type of each domain (two bits each) [B4.1.43]. */
  dacr: number;
  /** SCTLR: AFE, WXN, UWXN and HA are read [B4.1.130]. */
  sctlr: number;
  /** PXN is implemented in short descriptors. */
  readonly pxn: boolean;
  /** Hardware management of the Access flag is implemented (enabled by SCTLR.HA). */
  readonly hardwareAccessFlag: boolean;
  /** CONTEXTIDR.ASID of the last registers loaded; a walk ignores it, a `Tlb` tags entries with it. */
  asid: number;
  /** TTBCR.N. */
  n: number;
  /** Of the last fault: a Prefetch Abort (IFSR / IFAR) rather than a Data Abort. */
  prefetch: boolean;
  /** Of the last fault: the DFSR or IFSR value (0 after a successful translation). */
  fsr: number;
  /** Of the last fault: DFAR or IFAR (the virtual address). */
  far: number;
  /** Of the last fault: the domain of the descriptor that faulted (see {@link A32FaultSyndrome.domain}). */
  domain: number;
  /** After a successful walk: AP[2:0], XN, PXN and the domain of the leaf, as a TLB keeps them. */
  leafAttributes: number;
  /** After a successful walk: nG = 0. */
  leafGlobal: boolean;
  /** {@link leafAttributes} holds 9 bits. */
  readonly tlbAttributeBits = 9;
  /** The mode key interns the (DACR, SCTLR) pairs seen (31 of them; any other is served by walks). */
  readonly tlbModeBits = 5;
  /** @internal TTBR0 / TTBR1 table bases, TTBCR.PD0 / PD1 */
  _base0: number;
  /** @internal */ _base1: number;
  /** @internal */ _pd0: boolean;
  /** @internal */ _pd1: boolean;
  /** @internal the interned mode keys: DACR and the SCTLR bits of each */
  readonly _modeDacr: Int32Array;
  /** @internal */ readonly _modeSctlr: Int32Array;
  /** @internal */ _modes: number;
  /** @internal the last key given, and the registers it was given for */
  _key: number;
  /** @internal */ _keyDacr: number;
  /** @internal */ _keySctlr: number;
  /** The permissions `check` found for the leaf of the walk under way ([B3.7.3]), given to `found` by `translated`. */
  private checked: MappingFlags;

  /**
   * @throws RegisterError for TTBCR.EAE = 1 (the long-descriptor format) or SCTLR.HA = 1 without
   *   `hardwareAccessFlag`; TypeError / PagingError 'InvalidAddress' for a register that is not a u64; RangeError
   *   for a register above 2^32.
   */
  constructor(handler: PagingHandler, options: A32MmuOptions) {
    super();
    this.handler = handler;
    this.pxn = options.pxn ?? true;
    this.hardwareAccessFlag = options.hardwareAccessFlag ?? false;
    this.dacr = 0x5555_5555;
    this.sctlr = 0;
    this.asid = 0;
    this.n = 0;
    this.prefetch = false;
    this.fsr = 0;
    this.far = 0;
    this.domain = 0;
    this.leafAttributes = 0;
    this.leafGlobal = false;
    this.checked = 0;
    this._base0 = 0;
    this._base1 = 0;
    this._pd0 = false;
    this._pd1 = false;
    this._modeDacr = new Int32Array(MODE_KEYS);
    this._modeSctlr = new Int32Array(MODE_KEYS);
    this._modes = 0;
    this._key = -1;
    this._keyDacr = 0;
    this._keySctlr = 0;
    this.setRegisters(options);
  }

  /**
   * Loads new translation registers (those not given keep their defaults, as in the constructor). Nothing changes
   * when it throws. As on the CPU, this flushes nothing: a `Tlb` over the model keeps its entries until a TLB
   * maintenance operation (`tlbiall`, `tlbimva`, ...).
   * @throws as the constructor.
   */
  setRegisters(options: A32MmuOptions): void {
    const ttbcr = reg32(options.ttbcr ?? 0, 'TTBCR');
    if (ttbcr >>> 31 !== 0) throw new RegisterError('Unsupported', 'TTBCR.EAE', 'A32Mmu: TTBCR.EAE = 1 selects the long-descriptor format, which this model does not walk');
    const ttbr0 = reg32(options.ttbr0, 'TTBR0');
    const ttbr1 = reg32(options.ttbr1 ?? 0, 'TTBR1');
    const dacr = reg32(options.dacr ?? 0x5555_5555, 'DACR');
    const sctlr = reg32(options.sctlr ?? 0, 'SCTLR');
    const asid = reg32(options.contextidr ?? 0, 'CONTEXTIDR') & 0xff;
    if ((sctlr & SCTLR_HA) !== 0 && !this.hardwareAccessFlag) {
      throw new RegisterError('Unsupported', 'SCTLR.HA', 'A32Mmu: SCTLR.HA = 1, but the model was made without hardwareAccessFlag');
    }
    const n = ttbcr & 7;
    this.n = n;
    // [B4.1.154] TTBR0 bits 31:14-N; [B4.1.155] TTBR1 bits 31:14
    this._base0 = (ttbr0 & ~(0x3fff >>> n)) >>> 0;
    this._base1 = (ttbr1 & ~0x3fff) >>> 0;
    this._pd0 = ((ttbcr >>> 4) & 1) !== 0;
    this._pd1 = ((ttbcr >>> 5) & 1) !== 0;
    this.dacr = dacr;
    this.sctlr = sctlr;
    this.asid = asid;
  }

  /**
   * The walk of [B3.5.5] and the checks of [B3.12.3] on the words of the handler's memory: no BigInt, no
   * allocation, no throw. See `MmuModel.translateWords`.
   */
  translateWords(vaLo: number, vaHi: number, access: AccessKind, privilege: PrivilegeLevel): number {
    const va = vaLo >>> 0;
    this.far = va;
    this.prefetch = access === 2;
    if (vaHi !== 0) {
      // a 32-bit CPU makes no such access: no FSR value describes it
      this.fsr = 0;
      this.domain = 0;
      return this.fault(MmuCode.NonCanonical, -1);
    }
    // [B3.5.4] TTBR0 when VA[31:32-N] is zero (always with N = 0), else TTBR1
    const n = this.n;
    const useTtbr1 = n !== 0 && va >>> (32 - n) !== 0;
    if (useTtbr1 ? this._pd1 : this._pd0) return this.abort(MmuCode.NotPresent, FS_TRANSLATION[0], 0, 0, access);
    const h = this.handler;
    const w = h.words;
    // [B3.5.5] the first-level entry: base | VA[31-N:20] << 2 (VA[31:32-N] is zero through TTBR0)
    const e1 = h.wordIndex(((useTtbr1 ? this._base1 : this._base0) | ((va >>> 18) & 0x3ffc)) >>> 0, 0);
    if (e1 < 0) return this.abort(MmuCode.ExternalAbort, FS_WALK_ABORT[0], 0, 0, access);
    const d1 = w[e1]!;
    const type = d1 & 3;
    // [B3.5.1] 00 Fault; 11 reserved without PXN
    if (type === 0 || (type === 3 && !this.pxn)) return this.abort(MmuCode.NotPresent, FS_TRANSLATION[0], 0, 0, access);
    if (type === 1) return this.page(d1, va, access, privilege);
    const superSection = (d1 & (1 << 18)) !== 0;
    // a Supersection is in domain 0 [B3.5.1]
    const domain = superSection ? 0 : (d1 >>> 5) & 15;
    // AP[2] bit 15, AP[1:0] bits 11:10; XN bit 4; PXN bit 0
    const ap = ((d1 >>> 10) & 3) | ((d1 >>> 13) & 4);
    const attrs = ap | ((d1 & 0x10) !== 0 ? ATTR_XN : 0) | ((d1 & 1) !== 0 && this.pxn ? ATTR_PXN : 0) | (domain << 5);
    const r = this.check(e1, attrs, 10, 0, access, privilege);
    if (r !== 0) return r;
    this.leafGlobal = (d1 & (1 << 17)) === 0;
    if (superSection) {
      // PA[31:24] from bits 31:24, PA[35:32] from bits 23:20, PA[39:36] from bits 8:5
      const paHi = ((d1 >>> 20) & 15) | (((d1 >>> 5) & 15) << 4);
      return this.translated((((d1 & 0xff00_0000) | (va & 0x00ff_ffff)) >>> 0), paHi, 0x100_0000, 0);
    }
    return this.translated((((d1 & 0xfff0_0000) | (va & 0x000f_ffff)) >>> 0), 0, 0x10_0000, 0);
  }

  /** The second level under the Page table descriptor d1 [B3.5.1, B3.5.5]. */
  private page(d1: number, va: number, access: AccessKind, privilege: PrivilegeLevel): number {
    const h = this.handler;
    const domain = (d1 >>> 5) & 15;
    // PXN of a Page table descriptor, bit 2, applies to every page under it
    const pxn = (d1 & 4) !== 0 && this.pxn ? ATTR_PXN : 0;
    const e2 = h.wordIndex(((d1 & 0xffff_fc00) | ((va >>> 10) & 0x3fc)) >>> 0, 0);
    if (e2 < 0) return this.abort(MmuCode.ExternalAbort, FS_WALK_ABORT[1], 1, domain, access);
    const d2 = h.words[e2]!;
    const type = d2 & 3;
    if (type === 0) return this.abort(MmuCode.NotPresent, FS_TRANSLATION[1], 1, domain, access);
    // AP[2] bit 9, AP[1:0] bits 5:4 in both page formats; XN bit 15 (large) or 0 (small)
    const ap = ((d2 >>> 4) & 3) | ((d2 >>> 7) & 4);
    const xn = (type === 1 ? d2 >>> 15 : d2) & 1;
    const r = this.check(e2, ap | (xn !== 0 ? ATTR_XN : 0) | pxn | (domain << 5), 4, 1, access, privilege);
    if (r !== 0) return r;
    this.leafGlobal = (d2 & (1 << 11)) === 0;
    if (type === 1) return this.translated((((d2 & 0xffff_0000) | (va & 0xffff)) >>> 0), 0, 0x1_0000, 1);
    return this.translated((((d2 & 0xffff_f000) | (va & 0xfff)) >>> 0), 0, 0x1000, 1);
  }

  /**
   * [B3.12.3] The Access flag, domain and permission checks of the leaf at word index e (its AP[0] at bit
   * `afBit`) with the TLB attributes `attrs`: 0 with leafAttributes set, or the fault.
   */
  private check(e: number, attrs: number, afBit: number, level: number, access: AccessKind, privilege: PrivilegeLevel): number {
    const domain = attrs >>> 5;
    const sctlr = this.sctlr;
    if ((sctlr & SCTLR_AFE) !== 0 && (attrs & 1) === 0) {
      // [B3.7.1] AP[0] is the Access flag: set by the hardware where it manages the flag, else a fault
      if ((sctlr & SCTLR_HA) === 0) return this.abort(MmuCode.AccessFlag, FS_ACCESS_FLAG[level]!, level, domain, access);
      this.handler.words[e] = this.handler.words[e]! | (1 << afBit);
      attrs |= 1;
    }
    this.leafAttributes = attrs;
    const type = (this.dacr >>> (2 * domain)) & 3;
    // [B3.7.3] No access and the reserved 0b10: a Domain fault
    if (type !== CLIENT && type !== MANAGER) return this.abort(MmuCode.Domain, FS_DOMAIN[level]!, level, domain, access);
    const perms = leafPermissions(attrs, privilege, type, sctlr);
    // READ, WRITE, EXECUTE are the bits 1 << access of MappingFlags
    if (((perms >>> access) & 1) === 0) return this.abort(MmuCode.Permission, FS_PERMISSION[level]!, level, domain, access);
    this.checked = perms;
    return 0;
  }

  /** A translation (the permissions are those `check` left in {@link checked}): no fault status. */
  private translated(paLo: number, paHi: number, size: number, level: number): number {
    this.fsr = 0;
    this.domain = 0;
    return this.found(paLo, paHi, size, level, this.checked);
  }

  /**
   * An abort with fault status `fs` [Table B3-23] at `level`, in `domain`: DFSR (with the domain and WnR) for a
   * load or store, IFSR for a fetch [B4.1.52, B4.1.96].
   */
  private abort(code: number, fs: number, level: number, domain: number, access: AccessKind): number {
    const status = (fs & 15) | ((fs & 16) << 6);
    this.fsr = access === 2 ? status : status | (domain << 4) | (access === 1 ? 1 << 11 : 0);
    this.domain = domain;
    this.leafAttributes = 0;
    return this.fault(code, level);
  }

  /**
   * The mode key of a `Tlb`: the (DACR, SCTLR.AFE / WXN / UWXN) pair, interned (at most 31 pairs; any further
   * pair gets key 31, with which a cached entry serves nothing and every access walks).
   */
  tlbModeKey(): number {
    const dacr = this.dacr | 0;
    const sctlr = this.sctlr & (SCTLR_AFE | SCTLR_WXN | SCTLR_UWXN);
    if (dacr === this._keyDacr && sctlr === this._keySctlr && this._key >= 0) return this._key;
    return this.internMode(dacr, sctlr);
  }

  /** Cold path of tlbModeKey: the key of a pair not given last time. */
  private internMode(dacr: number, sctlr: number): number {
    let k = 0;
    while (k < this._modes && (this._modeDacr[k] !== dacr || this._modeSctlr[k] !== sctlr)) k++;
    if (k === this._modes && k < MODE_KEYS) {
      this._modeDacr[k] = dacr;
      this._modeSctlr[k] = sctlr;
      this._modes = k + 1;
    }
    this._key = k;
    this._keyDacr = dacr;
    this._keySctlr = sctlr;
    return k;
  }

  /**
   * What a cached leaf with `attributes` (AP[2:0], XN, PXN, domain) allows under the mode key: the permissions << 3
   * and the access kinds served without a walk (none in a No access domain, or with AP[0] = 0 under AFE = 1, where
   * the walk faults).
   */
  tlbCheck(attributes: number, privilege: PrivilegeLevel, modeKey: number): number {
    if (modeKey >= this._modes) return 0;
    const sctlr = this._modeSctlr[modeKey]!;
    const type = (this._modeDacr[modeKey]! >>> (2 * (attributes >>> 5))) & 3;
    if (type !== CLIENT && type !== MANAGER) return 0;
    if ((sctlr & SCTLR_AFE) !== 0 && (attributes & 1) === 0) return 0;
    const perms = leafPermissions(attributes, privilege, type, sctlr);
    return (perms << 3) | (perms & 7);
  }

  /** The DFSR / IFSR and DFAR / IFAR of the last fault. */
  protected syndrome(): A32FaultSyndrome {
    const fsr = this.fsr;
    return { prefetch: this.prefetch, fsr, status: (fsr & 15) | ((fsr >>> 6) & 16), domain: this.domain, far: this.far };
  }
}

/**
 * The permissions (MappingFlags READ, WRITE, EXECUTE, USER) of a leaf with TLB attributes `attrs` at `privilege`
 * in a domain of access type `type` (Client or Manager), under the SCTLR bits `sctlr` [B3.6, B3.7.2, B3.7.3].
 */
function leafPermissions(attrs: number, privilege: PrivilegeLevel, type: number, sctlr: number): number {
  // [B3.7.3] a Manager domain: no permission check, XN included
  if (type === MANAGER) return 15;
  const ap = attrs & 7;
  const simple = (sctlr & SCTLR_AFE) !== 0;
  const user = simple ? AP_SIMPLE[(ap >>> 1) * 2]! : AP_FULL[ap * 2]!;
  const rw = privilege === 0 ? user : simple ? AP_SIMPLE[(ap >>> 1) * 2 + 1]! : AP_FULL[ap * 2 + 1]!;
  return withExecute(user, rw, (attrs & ATTR_XN) !== 0, (attrs & ATTR_PXN) !== 0, privilege, sctlr);
}

/** A 32-bit register value. */
function reg32(value: AddrInput, name: string): number {
  return reg32Of(value, name, 'A32Mmu');
}
