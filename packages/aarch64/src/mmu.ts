// The AArch64 stage 1 MMU model of the EL1&0 regime: an access translated as a CPU at EL0 or EL1 does, with
// SCTLR_EL1, TCR_EL1, TTBR0_EL1 / TTBR1_EL1, PSTATE.PAN, and the hardware Access flag and dirty state updates.
// Source: Arm ARM DDI 0487 (K.a), cited by section:
// - D8.2 "Translation process": TTBR0 translates [0, 2^(64-T0SZ)), TTBR1 [2^64 - 2^(64-T1SZ), 2^64), VA
//   bit 55 selects the range; an address in neither range, or in a range whose walks TCR_EL1.EPDn disables (or
//   TCR_EL1.E0PDn for EL0, FEAT_E0PD), gives a level 0 Translation fault. The start level and the first table's
//   size follow from the granule and TnSZ (a64Geometry).
// - D8.8 "Address tagging": with TCR_EL1.TBIn = 1 bits 63:56 are ignored for data accesses, and for instruction
//   fetches unless TCR_EL1.TBIDn = 1 (FEAT_PAuth).
// - D8.3 "Translation table descriptor formats": bit 0 valid; bit 1 set above the last level is a Table
//   descriptor; bits[1:0] = 0b01 is a Block only at the levels AArch64.BlockDescSupported() allows (with the 4KB
//   granule levels 1 and 2, with 16KB level 2, with 64KB level 2 and, with FEAT_LPA, 1) and a Translation fault
//   elsewhere; OA / NLTA bits 47:n.
//   D8.3.1.1: the Table descriptor's PXNTable (59), UXNTable (60), APTable (62:61). D8.3.1.2: AP[2:1] (7:6),
//   AF (10), DBM (51), PXN (53), UXN (54).
// - D8.2 and AArch64.OAOutOfRange(): an output address (or the TTBR's base) wider than the physical address size,
//   min(TCR_EL1.IPS, the implemented PARange), capped at 48 bits without FEAT_LPA, is an Address size fault.
// - D8.4.1 "Memory access control": AP[2:1] with PSTATE.PAN (FEAT_PAN: EL1 data accesses to a location EL0 can
//   access fault), PXN / UXN, the implicit PXN of EL0-writable locations, SCTLR_EL1.WXN (a writable location is
//   execute-never at that Exception level); D8.4, hierarchical permissions: APTable[0] removes EL0 access,
//   APTable[1] removes write access, PXNTable / UXNTable add execute-never, all of them ignored when TCR_EL1.HPDn = 1.
// - D8, "Hardware updates to the translation tables": AF = 0 in a Block or Page descriptor is an Access flag
//   fault unless TCR_EL1.HA = 1, when the CPU sets AF instead (FEAT_HAFDBS); with TCR_EL1.HA = HD = 1, a write to
//   a descriptor with DBM = 1 clears AP[2] (the location becomes dirty) instead of a Permission fault, the
//   hierarchical limits still applying. The descriptor is updated only by an access that translates.
// - Fault priority (the order of AArch64.S1Translate()): Translation and Address size faults of the walk, then the
//   Access flag fault, then the Permission fault.
// - D19.2 ESR_EL1: EC 0x20 / 0x21 Instruction Abort from a lower / the same Exception level, 0x24 / 0x25 Data
//   Abort; IL (bit 25) 1; ISS WnR (bit 6) for a write; DFSC / IFSC (bits 5:0): 0b0000LL Address size fault,
//   0b0001LL Translation fault, 0b0010LL Access flag fault, 0b0011LL Permission fault, 0b0101LL Synchronous External
//   abort on a translation table walk, LL the lookup level. FAR_EL1 holds the faulting virtual address.
// - Two stages (D8.1, D8.3 "Translation table walks"; with HCR_EL2.VM = 1): every stage 1 table address is an IPA
//   that stage 2 translates before the descriptor is read (a read; a write for the AF / dirty update, with its own
//   stage 2 permission check), and so is the output address, with the access's own kind. A stage 2 fault is taken to
//   EL2 (D19.2 ESR_EL2): EC 0x20 / 0x24 (from a lower Exception level), IL 1, S1PTW (bit 7) when it came from a
//   stage 1 table access, WnR (bit 6, Data Aborts) when the instruction writes, S1PTW or not (the WnR description
//   allows a 0 for stage 2 aborts on stage 1 walks only to atomic instructions: the walk's own read or AF / dirty
//   write does not set it), the stage 2 DFSC / IFSC with the stage 2 lookup level; FAR_EL2 holds the virtual address
//   and HPFAR_EL2 (D19.2) IPA[47:12] in FIPA, bits 39:4. Stage 1 faults are taken to EL1 as without a second stage.
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
  type SecondStage,
  type SecondStageTlbWalker,
  combineTlbChecks,
  secondStageTlbWalker,
  type TlbWalker,
} from '@page-table-multiarch/core';
import { A64_FSC, a64Hpfar } from './_a64-fault';
import { a64Geometry, type A64Granule } from './metadata';
import { decodeA64Registers } from './registers';

// Descriptor bits of the low word (D8.3.1.2): valid, type, AP[1], AP[2], AF.
const VALID = 1 << 0;
const TYPE = 1 << 1;
const AP_SHIFT = 6;
const AP2 = 1 << 7;
const AF = 1 << 10;
/** nG, bit 11 of a Block or Page descriptor: the translation belongs to the current ASID only (D8.3.1.2). */
const NG = 1 << 11;
// Descriptor bits of the high word (entry bit n is bit n - 32 here): DBM (51), PXN (53), UXN (54) of a leaf;
// PXNTable (59), UXNTable (60), APTable[0] (61), APTable[1] (62) of a Table descriptor (D8.3.1.1).
const DBM_HI = 0x8_0000; // 1 << 19
const PXN_HI = 0x20_0000; // 1 << 21
const UXN_HI = 0x40_0000; // 1 << 22
const PXN_TABLE_HI = 0x800_0000; // 1 << 27
const UXN_TABLE_HI = 0x1000_0000; // 1 << 28
const AP_TABLE0_HI = 0x2000_0000; // 1 << 29
const AP_TABLE1_HI = 0x4000_0000; // 1 << 30
/** PXN_TABLE_HI | UXN_TABLE_HI | AP_TABLE0_HI | AP_TABLE1_HI (bits 27..30), as a literal that bundles can drop. */
const TABLE_ATTRS_HI = 0x7800_0000;

/**
 * DFSC / IFSC of the faults a lookup level -1 can raise (FEAT_LPA2, D19.2 ESR_EL1): the level is no low field there;
 * indexed by -MmuCode.
 */
const FSC_LEVEL_MINUS_1: readonly number[] = [0, 0b101011, 0, 0, 0, 0, 0b101001, 0b101011, 0, 0b010011];

/** Physical address sizes of TCR_EL1.IPS and ID_AA64MMFR0_EL1.PARange encodings 0..6 (D19.2). */
const PA_BITS = [32, 36, 40, 42, 44, 48, 52] as const;

/** Bits of a stage 1 leaf's TLB attributes and of the stage 1 mode key (see `A64Mmu.leafAttributes`). */
const STAGE1_ATTRIBUTE_BITS = 4;
const STAGE1_MODE_BITS = 2;

const TWO32 = 4294967296;
/** 2^n for n in 0..63 (`2 ** n` with a variable n is a call to Math.pow in V8). */
const POW2 = /* @__PURE__ */ Float64Array.from({ length: 64 }, (_, n) => 2 ** n);

/** ESR_EL1 exception classes of the aborts a stage 1 translation raises (D19.2 ESR_EL1.EC). */
export const A64ExceptionClass: {
  /** 0x20: Instruction Abort from a lower Exception level (an EL0 fetch). */
  readonly INSTRUCTION_ABORT_LOWER: 0x20;
  /** 0x21: Instruction Abort taken without a change in Exception level (an EL1 fetch). */
  readonly INSTRUCTION_ABORT_SAME: 0x21;
  /** 0x24: Data Abort from a lower Exception level (an EL0 load or store). */
  readonly DATA_ABORT_LOWER: 0x24;
  /** 0x25: Data Abort taken without a change in Exception level (an EL1 load or store). */
  readonly DATA_ABORT_SAME: 0x25;
} = /* @__PURE__ */ Object.freeze({
  INSTRUCTION_ABORT_LOWER: 0x20,
  INSTRUCTION_ABORT_SAME: 0x21,
  DATA_ABORT_LOWER: 0x24,
  DATA_ABORT_SAME: 0x25,
} as const);

/**
 * What an AArch64 CPU reports for a failed translation: a stage 1 fault taken to EL1 (ESR_EL1, FAR_EL1), or, with a
 * second stage, a stage 2 fault taken to EL2 (ESR_EL2, FAR_EL2, HPFAR_EL2; `s1ptw` and `hpfar` present).
 */
export interface A64FaultSyndrome {
  /**
   * ESR_EL1, or ESR_EL2 for a stage 2 fault (bits 31:0; ISS2 is 0): EC, IL = 1 and the ISS (S1PTW, WnR, DFSC /
   * IFSC). ISV is 0: no instruction is modelled.
   */
  readonly esr: number;
  /** ESR_EL1.EC: one of {@link A64ExceptionClass}. */
  readonly ec: number;
  /** ESR_EL1.ISS bits 5:0, the DFSC or IFSC: fault type and lookup level (0b0001LL Translation fault level LL, ...). */
  readonly fsc: number;
  /** ESR_EL1.ISS bit 6, WnR: the data access was a write (0 for instruction aborts). */
  readonly wnr: 0 | 1;
  /** FAR_EL1 (FAR_EL2 for a stage 2 fault): the faulting virtual address, as the access gave it (tag bits included). */
  readonly far: bigint;
  /**
   * Stage 2 faults only: ESR_EL2.ISS bit 7, S1PTW, 1 when stage 2 refused an access to a stage 1 table (`wnr` is
   * then still the instruction's: 1 for a store, whether the walk read the table or wrote its AF / dirty state).
   */
  readonly s1ptw?: 0 | 1;
  /** Stage 2 faults only: HPFAR_EL2, the faulting IPA's bits 47:12 in bits 39:4 (FIPA). */
  readonly hpfar?: bigint;
}

/** The translation state of an AArch64 CPU in the EL1&0 regime, as {@link A64Mmu} takes it. */
export interface A64MmuOptions {
  /** SCTLR_EL1: M (bit 0) enables stage 1 translation, WXN (bit 19). Default: M = 1, WXN = 0. */
  readonly sctlr?: AddrInput;
  /**
   * TCR_EL1: T0SZ, EPD0, TG0, T1SZ, EPD1, TG1, IPS, TBI0 / TBI1, HA (39), HD (40), HPD0 / HPD1 (41, 42),
   * TBID0 / TBID1 (51, 52), E0PD0 / E0PD1 (55, 56), DS (59). Both ranges must use the same granule; TnSZ 16..39,
   * or 12..39 with the 64KB granule (FEAT_LVA) or DS = 1 (FEAT_LPA2, which needs `paBits` 52).
   */
  readonly tcr: AddrInput;
  /** TTBR0_EL1 (BADDR; the ASID, bits 63:48, is {@link A64Mmu.asid} when TCR_EL1.A1 = 0; CnP is ignored). Default 0. */
  readonly ttbr0?: AddrInput;
  /** TTBR1_EL1. Default 0. */
  readonly ttbr1?: AddrInput;
  /** MAIR_EL1: accepted (as `encodeA64Registers` gives it) and not read: memory types change no outcome here. */
  readonly mair?: AddrInput;
  /** PSTATE.PAN (FEAT_PAN): EL1 loads and stores to locations EL0 can access fault. Default false. */
  readonly pan?: boolean;
  /**
   * The implemented physical address size in bits, ID_AA64MMFR0_EL1.PARange: 32, 36, 40, 42, 44, 48 (the default)
   * or 52, which is FEAT_LPA and FEAT_LPA2: then the 64KB granule has Block descriptors at level 1 (4TB) and, with
   * TCR_EL1.IPS = 52 bits, descriptors hold OA[51:48] in bits 15:12; the 4KB and 16KB granules take TCR_EL1.DS = 1
   * (OA[51:50] in bits 9:8, blocks at level 0 or 1, walks from level -1 with 4KB). Arm ARM D8.3.
   */
  readonly paBits?: number;
  /** FEAT_HAFDBS is implemented, so that TCR_EL1.HA and HD take effect (default true); false reads them as 0. */
  readonly hafdbs?: boolean;
  /**
   * A second stage (HCR_EL2.VM = 1): an {@link A64Stage2Mmu}, or any `SecondStage`, through which every stage 1
   * table address and the output address pass. Default none: the output address is the physical address.
   */
  readonly stage2?: SecondStage;
}

/**
 * What the model reads of its second stage: core's `SecondStage`, and where the stage has them (A64Stage2Mmu, any
 * MmuModel) the permissions of its last translation and the lookup level of its last fault, for the DFSC.
 */
type Stage2View = SecondStage & { readonly permissions?: number; readonly lookupLevel?: number };

/** What one range (TTBR0 or TTBR1) needs on the walk. */
interface Range {
  rootLo: number;
  rootHi: number;
  vaBits: number;
  startLevel: number;
  /** Index bits of the first table. */
  rootBits: number;
  epd: boolean;
  e0pd: boolean;
  hpd: boolean;
  tbi: boolean;
  tbid: boolean;
}

/**
 * An AArch64 CPU's stage 1 address translation in the EL1&0 regime over tables in any `PagingHandler` memory,
 * following the walk of D8.2 with the checks of D8.3, D8.4 and the hardware updates of D8 (see the file header).
 * `translate(va, access, privilege)` (privilege USER is EL0, SUPERVISOR is EL1) gives the physical address or the
 * abort with ESR_EL1 and FAR_EL1; `translateNumber` / `translateWords` are the allocation-free forms. The mode bits
 * are fields: change `pan`, `wxn`, `ha`, `hd` as PSTATE and the registers change, and call {@link setRegisters}
 * for new translation registers. With a `stage2` option (an {@link A64Stage2Mmu}: HCR_EL2.VM = 1) the output of
 * stage 1, and every stage 1 table address, is an IPA that stage 2 translates; a fault stage 2 gives is reported as
 * the CPU reports it to EL2 (`faultStage` 2, `faultOnWalk`, ESR_EL2 in `esr`, `hpfar`).
 *
 * Fault kinds: an invalid descriptor, a reserved encoding (bits[1:0] = 0b01 at level 3, a Block where the granule
 * has none), an address outside both ranges (`NonCanonical`) or in a disabled range (EPDn, E0PDn) are Translation
 * faults; AF = 0 without HA is `AccessFlag`; a check of D8.4 is `Permission`; an output address wider than the
 * physical address size is `AddressSize`; a table read outside the memory is `ExternalAbort` (Synchronous External
 * abort on a walk).
 *
 * @example
 * const mmu = new A64Mmu(memory, { ...encodeA64Registers({ ttbr0: table }), pan: true });
 * const pa = mmu.translateNumber(0x40_1000, Access.WRITE, Privilege.USER);
 * if (pa < 0) console.log(mmu.esr.toString(16)); // 9200004f: Data Abort from EL0, WnR, permission fault level 3
 */
export class A64Mmu extends MmuModel<A64FaultSyndrome> implements TlbWalker {
  /** The memory the tables are read from (and AF / AP[2] written to, with HA / HD). */
  readonly handler: PagingHandler;
  /** PSTATE.PAN. */
  pan: boolean;
  /** SCTLR_EL1.M: stage 1 translation enabled; when false, the output address is the input address. */
  enabled: boolean;
  /** SCTLR_EL1.WXN. */
  wxn: boolean;
  /** TCR_EL1.HA (with FEAT_HAFDBS): the CPU sets AF in the descriptor instead of an Access flag fault. */
  ha: boolean;
  /** TCR_EL1.HD (effective only with `ha`): a write to a DBM = 1 descriptor clears its AP[2]. */
  hd: boolean;
  /** The output address size in bits: min(TCR_EL1.IPS, PARange), at most 48 unless DS = 1 or the granule is 64KB. */
  paBits: number;
  /** ESR_EL1 (bits 31:0) of the last fault, ESR_EL2 when stage 2 gave it (`faultStage` 2); 0 after a translation. */
  esr: number;
  /** HPFAR_EL2 of the last stage 2 fault: the faulting IPA's bits 47:12 in bits 39:4 (below 2^40, an exact number). */
  hpfar: number;
  /** The second stage (the `stage2` option), or null. */
  readonly stage2: SecondStage | null;
  /** Low 32 bits of FAR_EL1 of the last fault (the virtual address of every access, in fact). */
  farLo: number;
  /** High 32 bits of FAR_EL1. */
  farHi: number;
  /** The lookup level (D8.2: -1..3, as the DFSC counts it) of the last fault. */
  lookupLevel: number;
  /**
   * The current ASID, for a `Tlb`: TTBR1_EL1.ASID when TCR_EL1.A1 = 1, else TTBR0_EL1.ASID (bits 63:48), 16 bits
   * with TCR_EL1.AS = 1 and 8 without (D8.14 "Translation Lookaside Buffers", D19.2 TCR_EL1.A1, AS). A walk ignores it.
   */
  asid: number;
  /**
   * After a successful walk: what a TLB entry keeps of the leaf (D8.4): AP[2:1] with APTable applied, as written
   * back (bits 1:0), UXN or UXNTable (bit 2), PXN or PXNTable (bit 3). Over a second stage that is a `TlbWalker`
   * (an {@link A64Stage2Mmu}), the stage 2 leaf's attributes follow from bit 4: D8.14 lets a TLB entry combine
   * stage 1 and stage 2, and a hit must check both (core's `combineTlbChecks`). See `TlbWalker`.
   */
  leafAttributes: number;
  /** After a successful walk: nG = 0 in the leaf, a global translation (D8.3.1.2, D8.14). */
  leafGlobal: boolean;
  /** {@link leafAttributes} holds 4 bits, and those of the second stage above them. */
  readonly tlbAttributeBits: number;
  /** The mode key is PSTATE.PAN (bit 0) and SCTLR_EL1.WXN (bit 1), the second stage's above them. */
  readonly tlbModeBits: number;
  /** The second stage when a `Tlb` can cache through it (see {@link leafAttributes}), else null. */
  private readonly stage2Tlb: SecondStageTlbWalker | null;
  /** log2 of the granule. */
  private granuleShift: number;
  /** The descriptors' OA bits in the high word: 47:32, or 49:32 with DS = 1 (D8.3). */
  private oaHiMask: number;
  /** The low-word field of OA[51:48] (64KB, 52-bit output) or OA[51:50] (DS = 1), else 0 (D8.3). */
  private oaTopLo: number;
  /** Its shift to the high word's bits 19:16 or 19:18. */
  private oaTopShift: number;
  /** Lookup levels + 1 (bit 0: level -1) whose bits[1:0] = 0b01 is a Block (AArch64.BlockDescSupported()). */
  private blockLevels: number;
  private readonly ranges: [Range, Range];
  private readonly implementedPaBits: number;
  /** FEAT_LPA (PARange 52 bits): Block descriptors at level 1 with the 64KB granule (AArch64.BlockDescSupported()). */
  private readonly lpa: boolean;
  private readonly hafdbs: boolean;
  /** The IPA of the last stage 1 descriptor read through the second stage (u32 halves), for its AF / dirty update. */
  private descLo: number;
  private descHi: number;

  /**
   * @throws RegisterError for translation registers the model does not take (a reserved granule, two granules,
   *   TnSZ outside the granule's range, TCR_EL1.DS = 1 without FEAT_LPA2); RangeError for a
   *   `paBits` that is not a PARange size; TypeError / PagingError 'InvalidAddress' for a register value
   *   that is not a u64.
   */
  constructor(handler: PagingHandler, options: A64MmuOptions) {
    super();
    const pa = options.paBits ?? 48;
    if (!(PA_BITS as readonly number[]).includes(pa)) {
      throw new RangeError(`A64Mmu: "paBits" ${String(pa)} is not a PARange size of 32, 36, 40, 42, 44, 48 or 52`);
    }
    this.handler = handler;
    this.implementedPaBits = pa;
    this.lpa = pa === 52;
    this.hafdbs = options.hafdbs ?? true;
    this.pan = options.pan ?? false;
    this.enabled = true;
    this.wxn = false;
    this.ha = false;
    this.hd = false;
    this.paBits = 48;
    this.esr = 0;
    this.hpfar = 0;
    this.stage2 = options.stage2 ?? null;
    this.stage2Tlb = secondStageTlbWalker(this.stage2, STAGE1_ATTRIBUTE_BITS, STAGE1_MODE_BITS);
    this.tlbAttributeBits = STAGE1_ATTRIBUTE_BITS + (this.stage2Tlb?.tlbAttributeBits ?? 0);
    this.tlbModeBits = STAGE1_MODE_BITS + (this.stage2Tlb?.tlbModeBits ?? 0);
    this.descLo = 0;
    this.descHi = 0;
    this.farLo = 0;
    this.farHi = 0;
    this.lookupLevel = 0;
    this.granuleShift = 12;
    this.asid = 0;
    this.leafAttributes = 0;
    this.leafGlobal = false;
    this.oaHiMask = 0xffff;
    this.oaTopLo = 0;
    this.oaTopShift = 0;
    this.blockLevels = 0;
    const range = (): Range => ({
      rootLo: 0,
      rootHi: 0,
      vaBits: 48,
      startLevel: 0,
      rootBits: 9,
      epd: false,
      e0pd: false,
      hpd: false,
      tbi: false,
      tbid: false,
    });
    this.ranges = [range(), range()];
    this.setRegisters(options);
  }

  /**
   * Loads new SCTLR_EL1, TCR_EL1 and TTBR values (and PSTATE.PAN when given). Nothing changes when it throws.
   * @throws as the constructor.
   */
  setRegisters(options: A64MmuOptions): void {
    const sctlr = options.sctlr === undefined ? 1n : registerValue(options.sctlr, 'sctlr');
    const tcr = registerValue(options.tcr, 'tcr');
    const ttbr0 = registerValue(options.ttbr0 ?? 0n, 'ttbr0');
    const ttbr1 = registerValue(options.ttbr1 ?? 0n, 'ttbr1');
    // the decoder checks the granules, TnSZ and DS of the ranges whose walks are enabled, and aligns their bases;
    // with both disabled (TCR_EL1.EPD0 = EPD1 = 1) every access faults and only TG0 [15:14] matters
    // TCR_EL1.DS [59]: FEAT_LPA2, which an implementation with 52-bit physical addresses has here
    if (field(tcr, 59, 59) === 1 && !this.lpa) {
      throw new RegisterError('Unsupported', 'TCR_EL1.DS', 'TCR_EL1.DS = 1 needs FEAT_LPA2 (an implemented physical address size of 52 bits, "paBits" 52)');
    }
    const decoded = decodeA64Registers({ ttbr0, ttbr1, tcr });
    if (decoded instanceof RegisterError && decoded.code !== 'Missing') throw decoded;
    const plan = decoded instanceof RegisterError ? undefined : decoded;
    const tg0 = field(tcr, 15, 14);
    const gshift = plan === undefined ? (tg0 === 1 ? 16 : tg0 === 2 ? 14 : 12) : plan.format.meta.pageShift;
    const granule = (1 << (gshift - 10)) as A64Granule;
    // TCR_EL1.IPS [34:32]; 7 is reserved and reads as the implemented size; no 52-bit addresses with 4KB / 16KB
    // unless DS = 1 (D8.3)
    const ips = field(tcr, 34, 32);
    const ds = granule !== 64 && field(tcr, 59, 59) === 1;
    let paBits = Math.min(ips < 7 ? PA_BITS[ips]! : 64, this.implementedPaBits);
    if (paBits > 48 && granule !== 64 && !ds) paBits = 48;
    // D8.3: OA[51:50] in bits 9:8 with DS = 1 (OA[49:48] in place); OA[51:48] in bits 15:12 with 64KB and 52 bits
    this.oaHiMask = ds ? 0x3_ffff : 0xffff;
    this.oaTopLo = ds ? 0x300 : granule === 64 && paBits === 52 ? 0xf000 : 0;
    this.oaTopShift = ds ? 10 : 4;
    // AArch64.BlockDescSupported(), as bits of lookup level + 1: 4KB levels 1, 2 (and 0 with DS); 16KB level 2 (and
    // 1 with DS); 64KB level 2 (and 1 with 52-bit physical addresses, FEAT_LPA)
    const extra = granule === 4 ? (ds ? 0b10 : 0) : ds || (granule === 64 && this.lpa) ? 0b100 : 0;
    this.blockLevels = (granule === 4 ? 0b1100 : 0b1000) | extra;
    const next: Range[] = [];
    for (const n of [0, 1] as const) {
      // a range left out of the plan has its walks disabled (EPDn = 1): its other fields are never read
      const root = plan?.roots.find((p) => p.label === `TTBR${n}_EL1`);
      const vaBits = root?.vaBits ?? 48;
      const g = a64Geometry(granule, vaBits, vaBits > 48 || ds ? 52 : 48);
      const base = root === undefined ? 0n : BigInt(root.root);
      next.push({
        rootLo: Number(base & 0xffff_ffffn),
        rootHi: Number(base >> 32n),
        vaBits,
        startLevel: g.startLevel,
        rootBits: g.indexBits[0]!,
        // TCR_EL1: E0PD0 [55], E0PD1 [56]; HPD0 [41], HPD1 [42]; TBI0 [37], TBI1 [38];
        // TBID0 [51], TBID1 [52]
        // EPD0 [7] / EPD1 [23]: the decoder leaves a range whose walks are disabled out of the plan
        epd: root === undefined,
        e0pd: field(tcr, 55 + n, 55 + n) === 1,
        hpd: field(tcr, 41 + n, 41 + n) === 1,
        tbi: field(tcr, 37 + n, 37 + n) === 1,
        tbid: field(tcr, 51 + n, 51 + n) === 1,
      });
    }
    Object.assign(this.ranges[0], next[0]);
    Object.assign(this.ranges[1], next[1]);
    this.granuleShift = gshift;
    this.paBits = paBits;
    // SCTLR_EL1: M [0], WXN [19]; TCR_EL1: HA [39], HD [40]
    this.enabled = field(sctlr, 0, 0) === 1;
    this.wxn = field(sctlr, 19, 19) === 1;
    this.ha = this.hafdbs && field(tcr, 39, 39) === 1;
    this.hd = this.hafdbs && field(tcr, 40, 40) === 1;
    if (options.pan !== undefined) this.pan = options.pan;
    // TCR_EL1.A1 [22] picks the TTBR whose ASID [63:48] is current; TCR_EL1.AS [36]: 16-bit ASIDs, else 8
    this.asid = field(field(tcr, 22, 22) === 1 ? ttbr1 : ttbr0, 63, 48) & (field(tcr, 36, 36) === 1 ? 0xffff : 0xff);
  }

  /**
   * The walk of D8.2 on the words of the handler's memory: no BigInt, no allocation, no throw.
   * See `MmuModel.translateWords`.
   */
  translateWords(vaLo: number, vaHi: number, access: AccessKind, privilege: PrivilegeLevel): number {
    this.farLo = vaLo >>> 0;
    this.farHi = vaHi >>> 0;
    if (!this.enabled) {
      // SCTLR_EL1.M = 0: stage 1 disabled, a flat map with an Address size fault above the physical address size
      // (AArch64.S1DisabledOutput())
      const out = this.paBits;
      if (vaHi >>> (out - 32) !== 0) return this.abort(MmuCode.AddressSize, -1, 0, access, privilege);
      return this.translated(vaLo >>> 0, vaHi >>> 0, POW2[this.granuleShift]!, -1, 15, access, privilege);
    }
    // VA bit 55 selects the range (D8.2); bits 63:56 take part in the check unless tagging ignores them (D8.8)
    const r = this.ranges[(vaHi >>> 23) & 1]!;
    const tagged = r.tbi && !(access === 2 && r.tbid);
    const top = tagged ? (vaHi << 8) >> 8 : vaHi | 0;
    // every bit from vaBits up must equal bit 55: 0 in TTBR0's range, 1 in TTBR1's (as int32: 0 or -1)
    const want = -((vaHi >>> 23) & 1);
    const vaBits = r.vaBits;
    const outside = vaBits >= 32 ? top >> (vaBits - 32) !== want : top !== want || (vaLo | 0) >> vaBits !== want;
    if (outside) return this.abort(MmuCode.NonCanonical, -1, 0, access, privilege);
    // TCR_EL1.EPDn, and E0PDn for EL0: a level 0 Translation fault without a walk (D8.2, FEAT_E0PD)
    if (r.epd || (r.e0pd && privilege === 0)) return this.abort(MmuCode.NotPresent, -1, 0, access, privilege);
    const out = this.paBits;
    let tLo = r.rootLo;
    let tHi = r.rootHi;
    // the TTBR's base address beyond the output size: Address size fault, level 0 (AArch64.S1Walk)
    if (tHi >>> (out - 32) !== 0) return this.abort(MmuCode.AddressSize, -1, 0, access, privilege);
    const gshift = this.granuleShift;
    const stride = gshift - 3;
    const h = this.handler;
    const w = h.words;
    const s2 = this.stage2;
    let tableAttrs = 0;
    let mask = (1 << r.rootBits) - 1;
    const oaHiMask = this.oaHiMask;
    const oaTopLo = this.oaTopLo;
    const oaTopShift = this.oaTopShift;
    const blocks = this.blockLevels;
    for (let lookup = r.startLevel; ; lookup++) {
      const level = lookup - r.startLevel;
      const shift = gshift + (3 - lookup) * stride;
      const idx = shift >= 32 ? (vaHi >>> (shift - 32)) & mask : ((vaLo >>> shift) | (vaHi << (32 - shift))) & mask;
      mask = (1 << stride) - 1;
      const descLo = (tLo + idx * 8) >>> 0;
      let e: number;
      if (s2 === null) e = h.wordIndex(descLo, tHi);
      else {
        // the descriptor's address is an IPA: stage 2 translates it for a read (D8.3)
        const c = s2.translateWords(descLo | 0, tHi, 0, privilege);
        if (c < 0) return this.stage2Abort(c, descLo, tHi, true, access);
        e = h.wordIndex(s2.paLo, s2.paHi);
        this.descLo = descLo;
        this.descHi = tHi;
      }
      if (e < 0) return this.abort(MmuCode.ExternalAbort, level, lookup, access, privilege);
      const lo = w[e]!;
      const hi = w[e + 1]!;
      // D8.3: invalid; 0b01 at level 3 is reserved; a Block only where the granule has blocks
      if ((lo & VALID) === 0) return this.abort(MmuCode.NotPresent, level, lookup, access, privilege);
      const table = (lo & TYPE) !== 0;
      if (!table && ((blocks >>> (lookup + 1)) & 1) === 0) return this.abort(MmuCode.NotPresent, level, lookup, access, privilege);
      // OA / NLTA bits 47:granule (49 with DS = 1), and the top bits of a 52-bit one from the low word; wider than the
      // output size: Address size fault (AArch64.OAOutOfRange)
      const oaHi = ((hi & oaHiMask) | ((lo & oaTopLo) << oaTopShift)) >>> 0;
      if (oaHi >>> (out - 32) !== 0) return this.abort(MmuCode.AddressSize, level, lookup, access, privilege);
      const oaLo = (lo >>> gshift) << gshift;
      if (table && lookup < 3) {
        tableAttrs |= hi & TABLE_ATTRS_HI;
        tLo = oaLo >>> 0;
        tHi = oaHi;
        continue;
      }
      // int32 arguments: a call that V8 does not inline then boxes nothing
      return this.leaf(e, lo | 0, hi | 0, oaLo | 0, oaHi, vaLo | 0, vaHi | 0, level, lookup, r.hpd ? 0 : tableAttrs, access, privilege);
    }
  }

  /** D8.4 and the hardware updates for the Block or Page descriptor at word index e of `lookup` level, the limits of its tables in `limits`. */
  private leaf(
    e: number,
    lo: number,
    hi: number,
    oaLo: number,
    oaHi: number,
    vaLo: number,
    vaHi: number,
    level: number,
    lookup: number,
    limits: number,
    access: AccessKind,
    privilege: PrivilegeLevel,
  ): number {
    // hardware updates (D8): AF = 0 faults, or with HA is set by the walk; with HD a write to a DBM descriptor
    // clears AP[2]
    let next = lo;
    if ((lo & AF) === 0) {
      if (!this.ha) return this.abort(MmuCode.AccessFlag, level, lookup, access, privilege);
      next |= AF;
    }
    if (access === 1 && this.ha && this.hd && (hi & DBM_HI) !== 0) next &= ~AP2;
    // D8.4.1: AP[2:1] with APTable (D8.4, hierarchical permissions): APTable[0] clears AP[1] (no EL0 access),
    // APTable[1] sets AP[2]
    let ap = (next >>> AP_SHIFT) & 3;
    if ((limits & AP_TABLE0_HI) !== 0) ap &= 2;
    if ((limits & AP_TABLE1_HI) !== 0) ap |= 2;
    const el0Access = (ap & 1) !== 0;
    const readOnly = (ap & 2) !== 0;
    let perms: number;
    let exec: boolean;
    if (privilege === 0) {
      perms = el0Access ? (readOnly ? 1 : 3) : 0;
      exec = (hi & UXN_HI) === 0 && (limits & UXN_TABLE_HI) === 0;
    } else {
      // PAN: no EL1 data access to a location EL0 can access; EL0-writable locations are PXN at EL1
      perms = el0Access && this.pan ? 0 : readOnly ? 1 : 3;
      exec = (hi & PXN_HI) === 0 && (limits & PXN_TABLE_HI) === 0 && !(el0Access && !readOnly);
    }
    // SCTLR_EL1.WXN: what this Exception level may write, it may not execute. (`perms` is after PAN here, the
    // manual tests the write permission before it: the same outcome, since a location PAN hides is either
    // EL0-writable, so already PXN, or read-only.)
    if (exec && !(this.wxn && (perms & 2) !== 0)) perms |= 4;
    if (el0Access) perms |= 8;
    // READ, WRITE, EXECUTE are the bits 1 << access of MappingFlags
    if (((perms >>> access) & 1) === 0) return this.abort(MmuCode.Permission, level, lookup, access, privilege);
    if (next !== lo) {
      // the update is a write to the descriptor's IPA: stage 2 must allow it (D8, hardware updates)
      const s2 = this.stage2;
      if (s2 !== null) {
        const c = s2.translateWords(this.descLo | 0, this.descHi, 1, privilege);
        if (c < 0) return this.stage2Abort(c, this.descLo, this.descHi, true, access);
      }
      this.handler.words[e] = next;
    }
    // what a TLB keeps: the permissions' inputs of D8.4 as this access left them, and nG (bit 11)
    this.leafAttributes = ap | ((hi & UXN_HI) !== 0 || (limits & UXN_TABLE_HI) !== 0 ? 4 : 0) | ((hi & PXN_HI) !== 0 || (limits & PXN_TABLE_HI) !== 0 ? 8 : 0);
    this.leafGlobal = (lo & NG) === 0;
    // the offset, and the VA bits below the Block's size, come from the virtual address
    const size = this.granuleShift + (3 - lookup) * (this.granuleShift - 3);
    if (size < 32) {
      const m = (1 << size) - 1;
      return this.translated(((oaLo & ~m) | (vaLo & m)) >>> 0, oaHi >>> 0, POW2[size]!, level, perms, access, privilege);
    }
    const m = (1 << (size - 32)) - 1;
    return this.translated(vaLo >>> 0, ((oaHi & ~m) | (vaHi & m)) >>> 0, POW2[size]!, level, perms, access, privilege);
  }

  /**
   * The mode key of a `Tlb`: PSTATE.PAN (bit 0) and SCTLR_EL1.WXN (bit 1), which D8.4.1 reads on every access; the
   * second stage's from bit 2.
   */
  tlbModeKey(): number {
    const own = (this.pan ? 1 : 0) | (this.wxn ? 2 : 0);
    const s2 = this.stage2Tlb;
    return s2 === null ? own : own | (s2.tlbModeKey() << STAGE1_MODE_BITS);
  }

  /**
   * What a cached leaf allows (see `TlbWalker`), by D8.4.1 on its attributes: AP[2:1] at EL0 or EL1 with PAN, UXN /
   * PXN and the implicit PXN of EL0-writable locations, WXN. Every kind the permissions allow is served, a write too:
   * a read-only location (a DBM one among them) is not writable here, so its writes walk, which updates it (HD) or
   * faults.
   */
  tlbCheck(attributes: number, privilege: PrivilegeLevel, modeKey: number): number {
    const own = stage1TlbCheck(attributes & 15, privilege, modeKey & 3);
    const s2 = this.stage2Tlb;
    if (s2 === null) return own;
    // a two-stage entry: what both stages allow, each under its own mode bits (D8.14, D8.4)
    return combineTlbChecks(own, s2.tlbCheck(attributes >>> STAGE1_ATTRIBUTE_BITS, privilege, modeKey >>> STAGE1_MODE_BITS));
  }

  /** A translation by stage 1 to (paLo, paHi); through the second stage when there is one. */
  private translated(paLo: number, paHi: number, size: number, level: number, perms: number, access: AccessKind, privilege: PrivilegeLevel): number {
    if (this.stage2 !== null) return this.secondStageOutput(paLo, paHi, size, level, perms, access, privilege);
    this.esr = 0;
    return this.found(paLo, paHi, size, level, perms);
  }

  /**
   * Stage 2 for the output address (an IPA) of stage 1, with the access's own kind: the physical address, the
   * smaller page of the two stages, and the permissions both stages give.
   */
  private secondStageOutput(ipaLo: number, ipaHi: number, size: number, level: number, perms: number, access: AccessKind, privilege: PrivilegeLevel): number {
    const s2 = this.stage2 as Stage2View;
    const c = s2.translateWords(ipaLo | 0, ipaHi | 0, access, privilege);
    if (c < 0) return this.stage2Abort(c, ipaLo, ipaHi, false, access);
    const p = s2.permissions;
    // USER (8) is stage 1's alone: stage 2 has no privilege levels
    const both = p === undefined ? perms : perms & (p | 8);
    this.esr = 0;
    // a Tlb keeps both stages' leaves (D8.14), or nothing when the second stage cannot say what its leaf allows
    const t = this.stage2Tlb;
    this.leafAttributes = t === null ? -1 : this.leafAttributes | (t.leafAttributes << STAGE1_ATTRIBUTE_BITS);
    return this.found(s2.paLo, s2.paHi, Math.min(size, s2.pageSize), level, both);
  }

  /**
   * A stage 2 fault (`code` from the second stage) taken to EL2 (D19.2 ESR_EL2, HPFAR_EL2): on an access to a stage 1
   * table (`onWalk`, S1PTW) or on the output address.
   */
  private stage2Abort(code: number, ipaLo: number, ipaHi: number, onWalk: boolean, access: AccessKind): number {
    const s2 = this.stage2 as Stage2View;
    const lookup = s2.lookupLevel ?? Math.max(0, s2.level);
    const ec = access === 2 ? 0x20 : 0x24;
    // EC [31:26], IL [25], S1PTW [7], WnR [6] (a store instruction's, with S1PTW too), DFSC / IFSC [5:0]
    const wnr = access === 1 ? 1 << 6 : 0;
    this.esr = ((ec << 26) | (1 << 25) | (onWalk ? 1 << 7 : 0) | wnr | (A64_FSC[-code] ?? 0) | (lookup & 3)) >>> 0;
    this.hpfar = a64Hpfar(ipaLo, ipaHi);
    this.lookupLevel = lookup;
    return this.stage2Fault(code, s2.level, onWalk);
  }

  /** An Instruction or Data Abort with the fault kind `code` at lookup level `lookup` (ESR_EL1, D19.2). */
  private abort(code: number, level: number, lookup: number, access: AccessKind, privilege: PrivilegeLevel): number {
    const ec = access === 2 ? 0x20 + privilege : 0x24 + privilege;
    const wnr = access === 1 ? 1 << 6 : 0;
    // EC [31:26], IL [25] = 1, WnR [6], DFSC / IFSC [5:0]
    const fsc = lookup < 0 ? FSC_LEVEL_MINUS_1[-code]! : A64_FSC[-code]! | lookup;
    this.esr = ((ec << 26) | (1 << 25) | wnr | fsc) >>> 0;
    this.lookupLevel = lookup;
    return this.fault(code, level);
  }

  /** ESR_EL1 and FAR_EL1 of the last fault; ESR_EL2, FAR_EL2 and HPFAR_EL2 of a stage 2 fault. */
  protected syndrome(): A64FaultSyndrome {
    const esr = this.esr;
    const report = {
      esr,
      ec: esr >>> 26,
      fsc: esr & 0x3f,
      wnr: ((esr >>> 6) & 1) as 0 | 1,
      far: BigInt(this.farHi) * BigInt(TWO32) + BigInt(this.farLo),
    };
    return this.faultStage === 2 ? { ...report, s1ptw: ((esr >>> 7) & 1) as 0 | 1, hpfar: BigInt(this.hpfar) } : report;
  }
}

/** D8.4.1 on a cached stage 1 leaf's attributes (`A64Mmu.tlbCheck`), the mode key PAN (bit 0) and WXN (bit 1). */
function stage1TlbCheck(attributes: number, privilege: PrivilegeLevel, modeKey: number): number {
  const el0Access = (attributes & 1) !== 0;
  const readOnly = (attributes & 2) !== 0;
  let perms: number;
  let exec: boolean;
  if (privilege === 0) {
    perms = el0Access ? (readOnly ? 1 : 3) : 0;
    exec = (attributes & 4) === 0;
  } else {
    perms = el0Access && (modeKey & 1) !== 0 ? 0 : readOnly ? 1 : 3;
    exec = (attributes & 8) === 0 && !(el0Access && !readOnly);
  }
  if (exec && !((modeKey & 2) !== 0 && (perms & 2) !== 0)) perms |= 4;
  if (el0Access) perms |= 8;
  return (perms << 3) | (perms & 7);
}
