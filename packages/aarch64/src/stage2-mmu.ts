// The AArch64 stage 2 MMU model: an EL1&0 guest's intermediate physical address (IPA) translated as the CPU does
// with HCR_EL2.VM = 1, from VTCR_EL2 and VTTBR_EL2, over A64Stage2PageTable memory (or any stage 2 tables).
// Source: Arm ARM DDI 0487 (K.a), cited by section:
// - D8.2 "Translation process" with AArch64.S2StartLevel() (VTCR_EL2.SL0 and TG0 give the start level) and the
//   concatenated tables of the initial lookup (up to 16 tables indexed as one, aligned to their whole size).
// - AArch64.S2Translate() / AArch64.IPAIsOutOfRange(): an IPA at or above 2^(64 - VTCR_EL2.T0SZ) is a stage 2
//   Translation fault at level 0, before any table is read.
// - D8.2 and AArch64.OAOutOfRange(): the output size is min(VTCR_EL2.PS, ID_AA64MMFR0_EL1.PARange); a VTTBR_EL2 base
//   beyond it is an Address size fault at level 0, a descriptor's output or next-level table address beyond it an
//   Address size fault at that descriptor's level.
// - D8.3 "Translation table descriptor formats": bit 0 valid, bits[1:0] = 0b11 a Table descriptor above level 3 and
//   a Page descriptor at it, 0b01 a Block descriptor only where AArch64.BlockDescSupported() allows it (4KB granule:
//   levels 1 and 2; 16KB and 64KB: level 2; 64KB with FEAT_LPA: level 1 too), a Translation fault elsewhere; OA and
//   NLTA in bits 47:granule. A stage 2 Table descriptor has no hierarchical attributes.
// - D8.3.1.2 and D8.4 "Memory access control", stage 2: S2AP[0] (bit 6) read, S2AP[1] (bit 7) write; XN[1] (bit 54)
//   execute-never, with FEAT_XNX XN[1:0] (54:53) 0b00 executable at EL1 and EL0, 0b01 at EL0 only, 0b10 at neither,
//   0b11 at EL1 only. An instruction fetch needs no read permission at stage 2. DBM is bit 51.
// - D8 "Hardware updates to the translation tables", stage 2: AF (bit 10) = 0 is an Access flag fault unless
//   VTCR_EL2.HA (bit 21) = 1, when the walk sets AF; with VTCR_EL2.HA = HD (bit 22) = 1, a write to a descriptor with
//   DBM = 1 sets S2AP[1] (the dirty state) instead of a Permission fault. The descriptor is written only by an
//   access that translates.
// - Fault priority as AArch64.S2Walk() / S2Translate(): the walk's Translation and Address size faults, then the
//   Access flag fault, then the Permission fault.
// - D19.2 ESR_EL2: a stage 2 abort of an EL1&0 access is taken to EL2, EC 0x20 (Instruction Abort from a lower
//   Exception level) or 0x24 (Data Abort from a lower Exception level), IL 1, WnR (bit 6) for a write, S1PTW (bit 7),
//   DFSC / IFSC (bits 5:0) as at stage 1 with the stage 2 lookup level. HPFAR_EL2: FIPA (bits 39:4) holds
//   IPA[47:12] of the faulting access.
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
import { A64_FSC, a64Hpfar } from './_a64-fault';
import { a64Stage2Geometry } from './stage2';
import { decodeA64Stage2Registers } from './stage2-registers';

// Descriptor bits of the low word (D8.3.1.2): valid, type, S2AP[0], S2AP[1], AF.
const VALID = 1 << 0;
const TYPE = 1 << 1;
const S2AP_READ = 1 << 6;
const S2AP_WRITE = 1 << 7;
const AF = 1 << 10;
// High word (entry bit n is bit n - 32): DBM (51); XN[1:0] (54:53).
const DBM_HI = 0x8_0000; // 1 << 19
const XN_SHIFT_HI = 21;
/** OA / NLTA bits 47:32 of a descriptor, in its high word (D8.3.1). */
const OA_HI = 0xffff;

/** Physical address sizes of VTCR_EL2.PS and ID_AA64MMFR0_EL1.PARange encodings 0..6 (D19.2). */
const PA_BITS = [32, 36, 40, 42, 44, 48, 52] as const;
/** 2^n for n in 0..63 (`2 ** n` with a variable n is a call to Math.pow in V8). */
const POW2 = /* @__PURE__ */ Float64Array.from({ length: 64 }, (_, n) => 2 ** n);

/** What an AArch64 CPU reports to EL2 for a stage 2 fault of an access made with stage 1 off (the IPA is the VA). */
export interface A64Stage2FaultSyndrome {
  /** ESR_EL2 (bits 31:0): EC 0x20 / 0x24, IL = 1, WnR, S1PTW = 0, DFSC / IFSC with the stage 2 lookup level. */
  readonly esr: number;
  /** ESR_EL2.EC: 0x20 Instruction Abort or 0x24 Data Abort, from a lower Exception level. */
  readonly ec: number;
  /** ESR_EL2.ISS bits 5:0, the DFSC or IFSC: fault type and stage 2 lookup level. */
  readonly fsc: number;
  /** ESR_EL2.ISS bit 6, WnR: the data access was a write (0 for instruction aborts). */
  readonly wnr: 0 | 1;
  /** HPFAR_EL2: IPA[47:12] of the faulting access in FIPA, bits 39:4. */
  readonly hpfar: bigint;
}

/** The stage 2 translation state of a CPU, as {@link A64Stage2Mmu} takes it. */
export interface A64Stage2MmuOptions {
  /** VTCR_EL2: T0SZ, SL0, TG0, PS, VS, HA (21), HD (22). DS = 1 and PS = 52 bits are refused. */
  readonly vtcr: AddrInput;
  /** VTTBR_EL2: BADDR (the root, of one or of concatenated tables) and the VMID. */
  readonly vttbr: AddrInput;
  /**
   * FEAT_XNX is implemented: XN[1:0] says which of EL1 and EL0 may execute (D8.4). Default false: XN[1] alone
   * forbids execution at both, and bit 53 is ignored.
   */
  readonly xnx?: boolean;
  /**
   * The implemented physical address size in bits, ID_AA64MMFR0_EL1.PARange: 32, 36, 40, 42, 44, 48 (the default)
   * or 52 (FEAT_LPA: level 1 Block descriptors with the 64KB granule; outputs stay 48-bit, as VTCR_EL2.PS caps them).
   */
  readonly paBits?: number;
  /** FEAT_HAFDBS is implemented, so that VTCR_EL2.HA and HD take effect (default true); false reads them as 0. */
  readonly hafdbs?: boolean;
}

/**
 * An AArch64 CPU's stage 2 translation of an EL1&0 guest's IPAs over tables in any `PagingHandler` memory: the walk
 * of D8.2 from VTTBR_EL2 with the stage 2 checks of D8.3 and D8.4 and the hardware updates of D8 (see the file
 * header). `translate(ipa, access, privilege)` (privilege USER: the access came from EL0, SUPERVISOR: from EL1; it
 * matters only to XN[1:0] with FEAT_XNX) gives the physical address or the stage 2 abort with ESR_EL2 and
 * HPFAR_EL2. It fits core's `SecondStage`: give it to an {@link A64Mmu} as its `stage2` for two-stage translation.
 *
 * Fault kinds: an invalid descriptor or a reserved encoding is `NotPresent` (Translation fault); an IPA at or above
 * the input size is `NonCanonical` (a Translation fault at level 0, no table read); AF = 0 without HA is
 * `AccessFlag`; S2AP or XN refusing the access is `Permission`; an output or table address beyond the output size is
 * `AddressSize`; a table read outside the memory is `ExternalAbort` (Synchronous External abort on a walk).
 *
 * @example
 * const s2 = new A64Stage2PageTable4K40(memory);
 * const mmu = new A64Stage2Mmu(memory, encodeA64Stage2Registers(s2));
 * const pa = mmu.translateNumber(0x8000_1000, Access.WRITE, Privilege.SUPERVISOR);
 * if (pa < 0) console.log(mmu.esr.toString(16), mmu.hpfar.toString(16));
 */
export class A64Stage2Mmu extends MmuModel<A64Stage2FaultSyndrome> implements TlbWalker {
  /** The memory the tables are read from (and AF / S2AP[1] written to, with HA / HD). */
  readonly handler: PagingHandler;
  /** VTCR_EL2.HA (with FEAT_HAFDBS): the walk sets AF instead of an Access flag fault. */
  ha: boolean;
  /** VTCR_EL2.HD (effective only with `ha`): a write to a DBM = 1 descriptor sets its S2AP[1]. */
  hd: boolean;
  /** FEAT_XNX: XN[1:0] as two bits (see the options). */
  xnx: boolean;
  /** The input (IPA) size in bits, 64 - VTCR_EL2.T0SZ. */
  ipaBits: number;
  /** The output address size in bits: min(VTCR_EL2.PS, PARange, 48). */
  paBits: number;
  /** The lookup level the walk starts at (VTCR_EL2.SL0 with TG0). */
  startLevel: number;
  /** VTTBR_EL2.VMID (8 or 16 bits as VTCR_EL2.VS says). */
  vmid: number;
  /** ESR_EL2 (bits 31:0) of the last fault as this stage alone reports it; 0 after a successful translation. */
  esr: number;
  /** HPFAR_EL2 of the last fault: IPA[47:12] in bits 39:4 (below 2^40: an exact number). */
  hpfar: number;
  /** The lookup level (D8.2: 0..3, as the DFSC counts it) of the last fault. */
  lookupLevel: number;
  /**
   * After a successful walk: what a TLB entry keeps of the stage 2 leaf (D8.4, stage 2): S2AP[0] read (bit 0),
   * S2AP[1] write as the walk left it, which is the dirty state under HD (bit 1), executable at EL0 (bit 2) and at
   * EL1 (bit 3) by XN[1:0] (FEAT_XNX) or XN[1]. The Exception level is the access's, so both are kept. See `TlbWalker`;
   * an {@link A64Mmu} over this stage puts these bits above its own in a two-stage entry.
   */
  leafAttributes: number;
  /** A stage 2 translation belongs to no ASID (D8.14: stage 2 entries are tagged by VMID alone). */
  readonly leafGlobal = true;
  /** {@link leafAttributes} holds 4 bits. */
  readonly tlbAttributeBits = 4;
  /** No mode bit of stage 2 changes what a cached leaf allows. */
  readonly tlbModeBits = 0;
  /** log2 of the granule. */
  private granuleShift: number;
  private rootLo: number;
  private rootHi: number;
  /** Index bits of the initial lookup (of the concatenated tables together). */
  private rootBits: number;
  private readonly implementedPaBits: number;
  private readonly hafdbs: boolean;

  /**
   * @throws RegisterError for registers the model does not take: what `decodeA64Stage2Registers` refuses (a reserved
   *   TG0 or PS, an SL0 inconsistent with T0SZ, DS = 1, PS = 52 bits, T0SZ outside 16..39), and a start level the
   *   implemented physical address size does not allow (AArch64.S2InvalidSL(): level 0 with 4KB and level 1 with
   *   64KB need 44 bits, level 1 with 16KB 42); RangeError for a `paBits` that is not a PARange size; TypeError /
   *   PagingError 'InvalidAddress' for a register value that is not a u64.
   */
  constructor(handler: PagingHandler, options: A64Stage2MmuOptions) {
    super();
    const pa = options.paBits ?? 48;
    if (!(PA_BITS as readonly number[]).includes(pa)) {
      throw new RangeError(`A64Stage2Mmu: "paBits" ${String(pa)} is not a PARange size of 32, 36, 40, 42, 44, 48 or 52`);
    }
    this.handler = handler;
    this.implementedPaBits = pa;
    this.hafdbs = options.hafdbs ?? true;
    this.ha = false;
    this.hd = false;
    this.xnx = false;
    this.ipaBits = 40;
    this.paBits = 48;
    this.startLevel = 1;
    this.vmid = 0;
    this.esr = 0;
    this.hpfar = 0;
    this.lookupLevel = 0;
    this.leafAttributes = 0;
    this.granuleShift = 12;
    this.rootLo = 0;
    this.rootHi = 0;
    this.rootBits = 10;
    this.setRegisters(options);
  }

  /**
   * Loads new VTCR_EL2 and VTTBR_EL2 values (and FEAT_XNX when given). Nothing changes when it throws.
   * @throws as the constructor.
   */
  setRegisters(options: A64Stage2MmuOptions): void {
    const vtcr = registerValue(options.vtcr, 'vtcr');
    const vttbr = registerValue(options.vttbr, 'vttbr');
    const plan = decodeA64Stage2Registers({ vtcr, vttbr });
    if (plan instanceof RegisterError) throw plan;
    const gshift = plan.format.meta.pageShift;
    const granule = gshift === 12 ? 4 : gshift === 14 ? 16 : 64;
    const ipaBits = 64 - field(vtcr, 5, 0);
    // SL0 [7:6] with TG0 (AArch64.S2StartLevel()): the decoder has checked it against T0SZ
    const sl0 = field(vtcr, 7, 6);
    const startLevel = granule === 4 ? 2 - sl0 : 3 - sl0;
    const needs = (granule === 4 && startLevel === 0) || (granule === 64 && startLevel === 1) ? 44 : granule === 16 && startLevel === 1 ? 42 : 0;
    if (this.implementedPaBits < needs) {
      throw new RegisterError(
        'Invalid',
        'VTCR_EL2.SL0',
        `VTCR_EL2.SL0 = 0b${sl0.toString(2).padStart(2, '0')}: a walk from level ${startLevel} with the ${granule}KB granule needs a physical address size of ${needs} bits, the CPU has ${this.implementedPaBits} (AArch64.S2InvalidSL())`,
      );
    }
    const geometry = a64Stage2Geometry(granule, ipaBits, startLevel);
    const root = plan.roots[0]!.root;
    // PS [18:16], below 0b110 here (the decoder refuses 52 bits); HA [21], HD [22]; VS [19] and VMID [63:48]
    this.paBits = Math.min(PA_BITS[field(vtcr, 18, 16)]!, this.implementedPaBits, 48);
    this.ipaBits = ipaBits;
    this.startLevel = startLevel;
    this.granuleShift = gshift;
    this.rootBits = geometry.indexBits[0]!;
    this.rootLo = Number(BigInt(root) & 0xffff_ffffn);
    this.rootHi = Number(BigInt(root) >> 32n);
    this.ha = this.hafdbs && field(vtcr, 21, 21) === 1;
    this.hd = this.hafdbs && field(vtcr, 22, 22) === 1;
    this.vmid = field(vtcr, 19, 19) === 1 ? field(vttbr, 63, 48) : field(vttbr, 55, 48);
    if (options.xnx !== undefined) this.xnx = options.xnx;
  }

  /**
   * The stage 2 walk of D8.2 on the words of the handler's memory: no BigInt, no allocation, no throw. The input is
   * an IPA. See `MmuModel.translateWords`.
   */
  translateWords(ipaLo: number, ipaHi: number, access: AccessKind, privilege: PrivilegeLevel): number {
    // IPA bits from ipaBits up must be 0 (AArch64.IPAIsOutOfRange()): a level 0 Translation fault
    const ib = this.ipaBits;
    if (ib >= 32 ? ipaHi >>> (ib - 32) !== 0 : ipaHi !== 0 || ipaLo >>> ib !== 0) {
      return this.abort(MmuCode.NonCanonical, -1, 0, ipaLo, ipaHi, access);
    }
    const out = this.paBits;
    let tLo = this.rootLo;
    let tHi = this.rootHi;
    // VTTBR_EL2's base beyond the output size: Address size fault, level 0 (AArch64.S2Walk)
    if (tHi >>> (out - 32) !== 0) return this.abort(MmuCode.AddressSize, -1, 0, ipaLo, ipaHi, access);
    const gshift = this.granuleShift;
    const stride = gshift - 3;
    const start = this.startLevel;
    const h = this.handler;
    const w = h.words;
    let mask = (1 << this.rootBits) - 1;
    for (let lookup = start; ; lookup++) {
      const level = lookup - start;
      const shift = gshift + (3 - lookup) * stride;
      const idx = shift >= 32 ? (ipaHi >>> (shift - 32)) & mask : ((ipaLo >>> shift) | (ipaHi << (32 - shift))) & mask;
      mask = (1 << stride) - 1;
      const e = h.wordIndex((tLo + idx * 8) >>> 0, tHi);
      if (e < 0) return this.abort(MmuCode.ExternalAbort, level, lookup, ipaLo, ipaHi, access);
      const lo = w[e]!;
      const hi = w[e + 1]!;
      // D8.3: invalid; 0b01 at level 3 is reserved; a Block only where the granule has blocks
      if ((lo & VALID) === 0) return this.abort(MmuCode.NotPresent, level, lookup, ipaLo, ipaHi, access);
      const table = (lo & TYPE) !== 0;
      if (!table && (lookup === 3 || lookup === 0 || (lookup === 1 && gshift !== 12 && !(gshift === 16 && this.implementedPaBits === 52)))) {
        return this.abort(MmuCode.NotPresent, level, lookup, ipaLo, ipaHi, access);
      }
      const oaHi = hi & OA_HI;
      if (oaHi >>> (out - 32) !== 0) return this.abort(MmuCode.AddressSize, level, lookup, ipaLo, ipaHi, access);
      const oaLo = (lo >>> gshift) << gshift;
      if (table && lookup < 3) {
        tLo = oaLo >>> 0;
        tHi = oaHi;
        continue;
      }
      return this.leaf(e, lo | 0, hi | 0, oaLo | 0, oaHi, ipaLo | 0, ipaHi | 0, level, lookup, access, privilege);
    }
  }

  /** D8.4 (stage 2) and the hardware updates for the Block or Page descriptor at word index e. */
  private leaf(
    e: number,
    lo: number,
    hi: number,
    oaLo: number,
    oaHi: number,
    ipaLo: number,
    ipaHi: number,
    level: number,
    lookup: number,
    access: AccessKind,
    privilege: PrivilegeLevel,
  ): number {
    let next = lo;
    if ((lo & AF) === 0) {
      if (!this.ha) return this.abort(MmuCode.AccessFlag, level, lookup, ipaLo, ipaHi, access);
      next |= AF;
    }
    if (access === 1 && this.ha && this.hd && (hi & DBM_HI) !== 0) next |= S2AP_WRITE;
    // XN[1:0]: without FEAT_XNX XN[1] alone; with it 0b00 both, 0b01 EL0 only, 0b10 neither, 0b11 EL1 only
    const xn = (hi >>> XN_SHIFT_HI) & 3;
    const exec = this.xnx ? xn === 0 || xn === (privilege === 0 ? 1 : 3) : (xn & 2) === 0;
    // READ, WRITE, EXECUTE are the bits 1 << access of MappingFlags
    const perms = ((next & S2AP_READ) !== 0 ? 1 : 0) | ((next & S2AP_WRITE) !== 0 ? 2 : 0) | (exec ? 4 : 0);
    if (((perms >>> access) & 1) === 0) return this.abort(MmuCode.Permission, level, lookup, ipaLo, ipaHi, access);
    if (next !== lo) this.handler.words[e] = next;
    // what a TLB keeps: S2AP[1:0] as written back, and XN[1:0] for each Exception level (D8.4, stage 2)
    const execEl0 = this.xnx ? xn === 0 || xn === 1 : (xn & 2) === 0;
    const execEl1 = this.xnx ? xn === 0 || xn === 3 : (xn & 2) === 0;
    this.leafAttributes = ((next >>> 6) & 3) | (execEl0 ? 4 : 0) | (execEl1 ? 8 : 0);
    const gshift = this.granuleShift;
    const size = gshift + (3 - lookup) * (gshift - 3);
    this.esr = 0;
    if (size < 32) {
      const m = (1 << size) - 1;
      return this.found(((oaLo & ~m) | (ipaLo & m)) >>> 0, oaHi >>> 0, POW2[size]!, level, perms);
    }
    const m = (1 << (size - 32)) - 1;
    return this.found(ipaLo >>> 0, ((oaHi & ~m) | (ipaHi & m)) >>> 0, POW2[size]!, level, perms);
  }

  /** The mode key of a `Tlb`: none (no mode bit reaches a stage 2 permission check). */
  tlbModeKey(): number {
    return 0;
  }

  /**
   * What a cached stage 2 leaf allows (see `TlbWalker`), by D8.4 (stage 2) on its attributes: S2AP read and write,
   * the execute permission of the access's Exception level (an instruction fetch needs no read permission). A write
   * to a location whose S2AP[1] is 0 (a DBM one that is still clean among them) is not served: it walks, which sets
   * S2AP[1] (HD) or faults. No USER: stage 2 has no privilege of its own (as the walk's `permissions`).
   */
  tlbCheck(attributes: number, privilege: PrivilegeLevel, _modeKey: number): number {
    const exec = (attributes >>> (privilege === 0 ? 2 : 3)) & 1;
    const perms = (attributes & 3) | (exec << 2);
    return (perms << 3) | (perms & 7);
  }

  /** A stage 2 abort with the fault kind `code` at lookup level `lookup`: ESR_EL2 and HPFAR_EL2 (D19.2). */
  private abort(code: number, level: number, lookup: number, ipaLo: number, ipaHi: number, access: AccessKind): number {
    // EC [31:26] 0x20 / 0x24, IL [25], WnR [6], DFSC / IFSC [5:0]
    const ec = access === 2 ? 0x20 : 0x24;
    this.esr = ((ec << 26) | (1 << 25) | (access === 1 ? 1 << 6 : 0) | A64_FSC[-code]! | lookup) >>> 0;
    this.hpfar = a64Hpfar(ipaLo, ipaHi);
    this.lookupLevel = lookup;
    return this.fault(code, level);
  }

  /** ESR_EL2 and HPFAR_EL2 of the last fault. */
  protected syndrome(): A64Stage2FaultSyndrome {
    const esr = this.esr;
    return { esr, ec: esr >>> 26, fsc: esr & 0x3f, wnr: ((esr >>> 6) & 1) as 0 | 1, hpfar: BigInt(this.hpfar) };
  }
}
