// The one RISC-V page-table walk, shared by the hart's own translation (RiscvMmu: satp, or vsatp for the VS-stage)
// and the G-stage (RiscvGStageMmu: hgatp). The steps are those of The RISC-V Instruction Set Manual, Volume II:
// Privileged Architecture (20211203), 4.3.2 "Virtual Address Translation Process", cited as [step n]; the PTE bits
// are 4.3.1 "Addressing and Memory Protection" and 4.4.1 (bits 60:54 reserved), chapter "Svpbmt" (PBMT 62:61),
// chapter "Svnapot" (N, bit 63); A / D with Svade or Svadu, the 20240411 edition's chapter "Svadu".
// The G-stage is the same algorithm with four differences, chapter "Hypervisor Extension", cited as [H]:
// "Guest Physical Address Translation": the incoming address is 2 bits wider (34, 41, 50, 59 bits; the bits above
// zero, not a sign extension), so the root table has 2 more index bits (2048 entries, 4096 for Sv32x4: 16 KiB);
// every access is checked as a U-mode one; a fault is a guest-page fault (20 / 21 / 23) with htval the address >> 2.
// "Two-Stage Address Translation": the VS-stage's table reads (and A / D writes) are themselves G-stage accesses;
// the G-stage's own table reads are supervisor physical ones. Here the format's geometry is data on the model
// (set with satp / hgatp), and the rest are the walk's arguments and the model's `_guest` flag.
import { type AccessKind, MmuCode, MmuModel, type PagingHandler, PhysicalMemory, type PrivilegeLevel, type SecondStage } from '@page-table-multiarch/core';

// PTE bits of the low word [Priv 4.3.1], and of the high word (entry bits 63:32) [Priv 4.4.1, Svpbmt, Svnapot].
export const V: number = 1 << 0;
export const R: number = 1 << 1;
export const W: number = 1 << 2;
export const X: number = 1 << 3;
export const U: number = 1 << 4;
export const G: number = 1 << 5;
export const A: number = 1 << 6;
export const D: number = 1 << 7;
/** PPN bits of the low word: entry bits 31:10 (physical address bits 33:12); Sv32's whole PPN [Priv 4.3.1]. */
const PPN_LO = 0xffff_fc00;
/** PPN bits of the high word: entry bits 53:32 (physical address bits 55:34) [Priv 4.4.1]. */
const PPN_HI = 0x003f_ffff;
/** Entry bits 60:54, reserved for future standard use [Priv 4.4.1]. */
const RESERVED_HI = 0x1fc0_0000;
/** Entry bits 62:61, PBMT [Svpbmt]. */
const PBMT_SHIFT_HI = 29;
/** Entry bit 63, N [Svnapot]. */
const N_HI = 0x8000_0000;

// Exception codes [Priv 3.1.15, Table 3.6; H, "Trap Cause Codes"], indexed by access kind (READ, WRITE, EXECUTE).
const PAGE_FAULT = [13, 15, 12] as const;
const ACCESS_FAULT = [5, 7, 1] as const;
const GUEST_PAGE_FAULT = [21, 23, 20] as const;
/** htinst for a guest-page fault on the VS-stage walk's 64-bit read, and write (A / D) [H, pseudoinstructions]. */
const WALK_READ = 0x3000;
const WALK_WRITE = 0x3020;

/**
 * Frames (4 KiB) the walk addresses by their number as integers, at most: a table's first word index is then the
 * frame's distance from the memory's first frame << 10, below 2^31.
 */
const MAX_LINEAR_FRAMES = 1 << 21;

/** 2^n for n in 0..63: the page sizes, read from a table (`2 ** n` with a variable n is a call to Math.pow in V8). */
const POW2: Float64Array = /* @__PURE__ */ Float64Array.from({ length: 64 }, (_, n) => 2 ** n);

/** Where a format's walk starts and how it cuts the address: what satp / hgatp MODE selects. */
export interface RiscvWalkGeometry {
  /** Levels: 2 (Sv32x4), 3, 4 or 5. */
  readonly levels: number;
  /** Index bits of the levels below the root: 9 for 8-byte entries, 10 for Sv32x4's 4-byte ones [Priv 4.3.1]. */
  readonly levelBits: number;
  /** Index bits of the root: levelBits, plus 2 for a G-stage format [H]. */
  readonly rootBits: number;
  /** log2 of the entry size: 3, or 2 for Sv32x4. */
  readonly entryShift: number;
  /** The address's bits from this one (counted in its high word) up are a sign extension (VS) or zero (G-stage). */
  readonly highShift: number;
}

/**
 * The geometry of Sv39 / Sv48 / Sv57 (`levels` 3, 4, 5) [Priv 4.4.1, 4.5.1, 4.6.1]: bits 63:VA-1 of the address all
 * equal bit VA-1; with `gstage`, Sv39x4 / Sv48x4 / Sv57x4 [H]: bits 63:VA+2 zero and 2 more root index bits.
 */
export function riscvGeometry(levels: number, gstage: boolean): RiscvWalkGeometry {
  const vaBits = 12 + 9 * levels + (gstage ? 2 : 0);
  return { levels, levelBits: 9, rootBits: gstage ? 11 : 9, entryShift: 3, highShift: gstage ? vaBits - 32 : vaBits - 33 };
}

/** Sv32x4 [H; Priv 4.3]: 4-byte entries, VPN[1] widened to 12 bits (33:22), VPN[0] 10 bits, a 34-bit address. */
export const SV32X4_GEOMETRY: RiscvWalkGeometry = /* @__PURE__ */ Object.freeze({
  levels: 2,
  levelBits: 10,
  rootBits: 12,
  entryShift: 2,
  highShift: 2,
});

/**
 * What a RISC-V model's walk needs: the mode bits and syndrome fields both models have, the format's geometry, and
 * the walk itself (with its leaf checks and its fault reports). A subclass states its register (satp or hgatp),
 * its Bare mode, what it does after a leaf, and its syndrome.
 */
export abstract class RiscvWalkModel<S> extends MmuModel<S> {
  /** The memory the tables are read from (and A / D written to, with Svadu). */
  readonly handler: PagingHandler;
  /** Loads from pages that are executable but not readable succeed [Priv 3.1.6.3]. */
  mxr: boolean;
  /** Hardware A / D updates (Svadu); false: Svade, a fault instead. */
  svadu: boolean;
  /** Svpbmt enabled (PBMTE = 1). */
  svpbmt: boolean;
  /** Svnapot implemented. */
  svnapot: boolean;
  /** Levels of the current mode; 0 for Bare. */
  levels: number;
  /** Exception code of the last fault; -1 after a successful translation. */
  cause: number;
  /** Low 32 bits of the tval of the last fault: the address given. */
  tvalLo: number;
  /** High 32 bits of the tval of the last fault. */
  tvalHi: number;
  /** Low 32 bits of the htval of the last fault: a guest-page fault's guest-physical address >> 2, else 0. */
  htvalLo: number;
  /** High 32 bits of the htval of the last fault. */
  htvalHi: number;
  /**
   * @internal the htinst of the last fault: 0x3000 / 0x3020 for a G-stage fault on a VS-stage table access, else 0
   * (always 0 on a model that has no second stage)
   */
  htinst: number;
  /** @internal a fault is a guest-page fault (20 / 21 / 23, htval set): the G-stage [H] */
  readonly _guest: boolean;
  /** @internal the root table's physical address, low and high words */
  _rootLo: number;
  /** @internal */
  _rootHi: number;
  /** @internal the current format's {@link RiscvWalkGeometry}, as numbers the walk reads */
  _rootMask: number;
  /** @internal */
  _levelMask: number;
  /** @internal */
  _levelBits: number;
  /** @internal */
  _entryShift: number;
  /** @internal the shift of the root's index: 12 + levelBits * (levels - 1) */
  _topShift: number;
  /** @internal */
  _highShift: number;
  /** @internal what the address's bits from _highShift up may be besides 0: -1 (a sign extension) or 0 (G-stage) */
  _highOk: number;
  /** @internal with a second stage: the guest-physical address of the entry the walk read last, low and high words */
  _entryLo: number;
  /** @internal */
  _entryHi: number;
  /** @internal after a successful walk: the leaf's bits 7:0 as written back */
  _leafBits: number;
  /** @internal after a successful walk: the pointers' bits 7:0 on the way, or'ed (their G: [Priv 4.3.1]) */
  _pathBits: number;
  /**
   * @internal when the memory is one linear PhysicalMemory: the number (address >> 12) of its first frame, low and
   * high words, and how many of its frames the walk finds tables in by integer arithmetic (0: none, every table
   * read goes through handler.wordIndex)
   */
  _framesLo: number;
  /** @internal */
  _framesHi: number;
  /** @internal */
  _frames: number;
  /** @internal word index of the root table when it lies wholly in those frames, else -1 */
  _rootWord: number;

  /** @internal `guest`: a G-stage model */
  constructor(handler: PagingHandler, guest: boolean, options: { readonly mxr?: boolean; readonly svadu?: boolean; readonly svpbmt?: boolean; readonly svnapot?: boolean }) {
    super();
    this.handler = handler;
    this.mxr = options.mxr ?? false;
    this.svadu = options.svadu ?? false;
    this.svpbmt = options.svpbmt ?? false;
    this.svnapot = options.svnapot ?? false;
    this.levels = 0;
    this.cause = -1;
    this.tvalLo = 0;
    this.tvalHi = 0;
    this.htvalLo = 0;
    this.htvalHi = 0;
    this.htinst = 0;
    this._guest = guest;
    this._rootLo = 0;
    this._rootHi = 0;
    this._rootMask = 0;
    this._levelMask = 0;
    this._levelBits = 0;
    this._entryShift = 0;
    this._topShift = 0;
    this._highShift = 0;
    this._highOk = 0;
    this._entryLo = 0;
    this._entryHi = 0;
    this._leafBits = 0;
    this._pathBits = 0;
    this._framesLo = 0;
    this._framesHi = 0;
    this._frames = 0;
    this._rootWord = -1;
    if (handler instanceof PhysicalMemory) {
      // (in a memory across a multiple of 2^44 bytes, the frames above it have another high word: the walk finds
      // their tables through wordIndex)
      const first = handler.base >> 12n;
      this._framesLo = Number(first & 0xffff_ffffn) | 0;
      this._framesHi = Number(first >> 32n);
      this._frames = Math.min(Math.floor(handler.size / 4096), MAX_LINEAR_FRAMES);
    }
  }

  /** @internal loads a format and its root (`geometry` null: Bare); the caller has checked the register's value */
  protected _loadGeometry(geometry: RiscvWalkGeometry | null, root: bigint): void {
    if (geometry === null) {
      this.levels = 0;
      this._rootLo = 0;
      this._rootHi = 0;
      this._rootWord = -1;
      return;
    }
    this.levels = geometry.levels;
    this._rootMask = (1 << geometry.rootBits) - 1;
    this._levelMask = (1 << geometry.levelBits) - 1;
    this._levelBits = geometry.levelBits;
    this._entryShift = geometry.entryShift;
    this._topShift = 12 + geometry.levelBits * (geometry.levels - 1);
    this._highShift = geometry.highShift;
    this._highOk = this._guest ? 0 : -1;
    this._rootLo = Number(root & 0xffff_ffffn);
    this._rootHi = Number(root >> 32n);
    // the root's frames (4 for a G-stage root of Sv32x4, 16 KiB [H]) inside the linear frames: its word index
    const rootFrames = Math.max(1, 2 ** (geometry.rootBits + geometry.entryShift - 12));
    const rel = (root >> 12n) - (BigInt(this._framesHi) << 32n) - BigInt(this._framesLo >>> 0);
    this._rootWord = rel >= 0n && rel + BigInt(rootFrames) <= BigInt(this._frames) ? Number(rel) * 1024 : -1;
  }

  /**
   * @internal [steps 1-8] for the address (vaLo, vaHi) with a format loaded (levels > 0): 0 with the translation
   * recorded, or a fault code with the fault recorded. `privilege` and `sum` are those step 5 reads (a G-stage passes
   * U-mode and false [H]); `s2` is the stage every table read and A / D write goes through first (null: none, and
   * always for a G-stage, whose table addresses are supervisor physical [H]). The caller has set tval. No BigInt, no
   * allocation, no throw. One loop whose locals are the walk's state, as the benchmarks of the MMU models (W7) run it.
   * The leaf's steps (3, 5-8) are written in the loop, not called: V8 inlines no function of this size, and the call
   * of 13 arguments it took made a walk in a cached Sv39 table 1.12x as long (57-59 against 63-69 ns, two builds
   * in one process, four runs).
   */
  protected _walk(vaLo: number, vaHi: number, access: AccessKind, privilege: PrivilegeLevel, sum: boolean, s2: SecondStage | null): number {
    // [Priv 4.4.1 / 4.5.1 / 4.6.1] bits 63:VA-1 all equal bit VA-1; [H] bits 63:VA+2 zero; else a (guest-)page fault
    const ext = (vaHi | 0) >> this._highShift;
    if (ext !== 0 && ext !== this._highOk) return this.pageFault(MmuCode.NonCanonical, -1, access);
    const h = this.handler;
    const w = h.words;
    const wide = this._entryShift === 3;
    const entryShift = this._entryShift;
    const levelBits = this._levelBits;
    const levelMask = this._levelMask;
    let mask = this._rootMask;
    let tLo = this._rootLo; // [step 1] a = satp.ppn (hgatp.ppn) * PAGESIZE
    let tHi = this._rootHi;
    let shift = this._topShift;
    const last = this.levels - 1;
    let pathBits = 0;
    // the current table's word index while it is in the linear frames (integers only: W7's misses, a walk each),
    // -1 once a table is not (or with a second stage): then the table is found by its address, (tLo, tHi)
    let t = s2 === null ? this._rootWord : -1;
    const framesLo = this._framesLo;
    const framesHi = this._framesHi;
    const frames = this._frames;
    for (let level = 0; ; level++) {
      // [step 2] pte = the entry at a + va.vpn[i] * PTESIZE; a read outside the memory is an access fault. The root
      // index of a G-stage format has 2 more bits [H], and nothing above them is set (checked above)
      const idx = shift >= 32 ? (vaHi >>> (shift - 32)) & mask : ((vaLo >>> shift) | (vaHi << (32 - shift))) & mask;
      let e: number;
      if (t >= 0) {
        e = t + (idx << (entryShift - 2));
      } else {
        let eLo = (tLo + (idx << entryShift)) >>> 0;
        let eHi = tHi;
        if (s2 !== null) {
          // [H] the entry's address is guest-physical: the G-stage translates it, checked as an implicit load
          const g = s2.translateWords(eLo | 0, eHi | 0, 0, 0);
          if (g < 0) return this._secondStageFault(s2, g, eLo, eHi, access, WALK_READ);
          this._entryLo = eLo;
          this._entryHi = eHi;
          eLo = s2.paLo;
          eHi = s2.paHi;
        }
        e = h.wordIndex(eLo, eHi);
        if (e < 0) return this.accessFault(level, access);
      }
      const lo = w[e]!;
      const hi = wide ? w[e + 1]! : 0;
      // [step 3] invalid, W without R, or a reserved bit
      if ((lo & V) === 0) return this.pageFault(MmuCode.NotPresent, level, access);
      if ((lo & (R | W)) === W || (hi & RESERVED_HI) !== 0) return this.pageFault(MmuCode.ReservedBit, level, access);
      // the PPN (entry bits 53:10; Sv32 31:10) is physical address bits 55:12 (33:12)
      const paLo = ((lo & PPN_LO) << 2) >>> 0;
      const paHi = ((lo >>> 30) | ((hi & PPN_HI) << 2)) >>> 0;
      if ((lo & (R | X)) === 0) {
        // [step 4] a pointer: D, A, U [Priv 4.3.1], PBMT [Svpbmt] and N [Svnapot] are reserved in it; none at the
        // last level (i < 0)
        if ((lo & (D | A | U)) !== 0 || hi >>> PBMT_SHIFT_HI !== 0 || level === last) {
          return this.pageFault(MmuCode.ReservedBit, level, access);
        }
        pathBits |= lo;
        tLo = paLo;
        tHi = paHi;
        if (t >= 0) {
          // the next table's frame number is the PPN [Priv 4.4.1]: its low word (entry bits 41:10), the rest (53:42)
          const rel = (((lo >>> 10) | (hi << 22)) - framesLo) >>> 0;
          t = (hi & PPN_HI) >>> 10 === framesHi && rel < frames ? rel << 10 : -1;
        }
        shift -= levelBits;
        mask = levelMask;
        continue;
      }
      this._pathBits = pathBits & 0xff;
      // [step 3] PBMT 3 is reserved, and PBMT is reserved altogether without Svpbmt [Svpbmt]
      const pbmt = (hi >>> PBMT_SHIFT_HI) & 3;
      if (pbmt !== 0 && (pbmt === 3 || !this.svpbmt)) return this.pageFault(MmuCode.ReservedBit, level, access);
      let size = shift;
      if ((hi & N_HI) !== 0) {
        // [Svnapot] only a last-level leaf whose PPN[3:0] is 1000 (64 KiB); anything else is reserved
        if (!this.svnapot || level !== this.levels - 1 || (paLo & 0xf000) !== 0x8000) {
          return this.pageFault(MmuCode.ReservedBit, level, access);
        }
        size = 16;
      }
      // [step 5] R / W / X / U against the privilege, SUM and MXR [Priv 3.1.6.3]; a G-stage access is a U-mode one [H]
      const perms = leafPermissions(lo, privilege, sum, this.mxr);
      // READ, WRITE, EXECUTE are the bits 1 << access of MappingFlags
      if (((perms >>> access) & 1) === 0) return this.pageFault(MmuCode.Permission, level, access);
      // [step 6] a superpage's PPN bits below its level must be zero
      if (shift > 12) {
        const misaligned = shift >= 32 ? paLo !== 0 || (paHi & ((1 << (shift - 32)) - 1)) !== 0 : (paLo & ((1 << shift) - 1)) !== 0;
        if (misaligned) return this.pageFault(MmuCode.ReservedBit, level, access);
      }
      // [step 7] A = 0, or D = 0 on a store: Svade faults, Svadu sets them in the entry
      const need = access === 1 ? A | D : A;
      if ((lo & need) !== need) {
        if (!this.svadu) return this.pageFault((lo & A) === 0 ? MmuCode.AccessFlag : MmuCode.Dirty, level, access);
        if (s2 !== null) {
          // [H] the A / D write is a G-stage access too, checked as an implicit store
          const g = s2.translateWords(this._entryLo | 0, this._entryHi | 0, 1, 0);
          if (g < 0) return this._secondStageFault(s2, g, this._entryLo, this._entryHi, access, WALK_WRITE);
        }
        this.handler.words[e] = lo | need;
      }
      // what a TLB keeps of this leaf: its flags as they now are in memory
      this._leafBits = (lo | need) & 0xff;
      // [step 8] the offset, and the VPN bits below the leaf's level, come from the virtual address
      if (size < 32) {
        const m = (1 << size) - 1;
        return this._translated(((paLo & ~m) | (vaLo & m)) >>> 0, paHi >>> 0, POW2[size]!, level, perms);
      }
      const mHi = (1 << (size - 32)) - 1;
      return this._translated(vaLo >>> 0, ((paHi & ~mHi) | (vaHi & mHi)) >>> 0, POW2[size]!, level, perms);
    }
  }

  /**
   * @internal a fault of the second stage (`code`) on the guest-physical address (gLo, gHi), reported for the original
   * access as the hypervisor chapter says: a guest-page fault (20, 21, 23) with htval = the address >> 2 and htinst =
   * `walkInsn` (the pseudoinstruction of a VS-stage table access, 0 for the output address), or, for a G-stage table
   * read outside the memory, an access fault (1, 5, 7) with htval and htinst 0.
   */
  protected _secondStageFault(s2: SecondStage, code: number, gLo: number, gHi: number, access: AccessKind, walkInsn: number): number {
    if (code === MmuCode.ExternalAbort) {
      this.cause = ACCESS_FAULT[access];
      this.htvalLo = 0;
      this.htvalHi = 0;
      this.htinst = 0;
    } else {
      this.cause = GUEST_PAGE_FAULT[access];
      this.htvalLo = ((gLo >>> 2) | (gHi << 30)) >>> 0;
      this.htvalHi = gHi >>> 2;
      this.htinst = walkInsn;
    }
    return this.stage2Fault(code, s2.level, walkInsn !== 0);
  }

  /** @internal a translation: no cause */
  protected _translated(paLo: number, paHi: number, size: number, level: number, perms: number): number {
    this.cause = -1;
    return this.found(paLo, paHi, size, level, perms);
  }

  /**
   * A page fault of the access's kind (12, 13 or 15) with the fault kind `code`, htval 0; on a G-stage, a
   * guest-page fault (20, 21 or 23) with htval the address given >> 2 [H, "Guest-Page Faults"]. htinst 0.
   */
  private pageFault(code: number, level: number, access: AccessKind): number {
    if (this._guest) {
      this.cause = GUEST_PAGE_FAULT[access];
      this.htvalLo = ((this.tvalLo >>> 2) | (this.tvalHi << 30)) >>> 0;
      this.htvalHi = this.tvalHi >>> 2;
    } else {
      this.cause = PAGE_FAULT[access];
      this.htvalLo = 0;
      this.htvalHi = 0;
    }
    this.htinst = 0;
    return this.fault(code, level);
  }

  /** [step 2] an access fault of the access's kind (1, 5 or 7): a table read outside the memory; htval 0. */
  private accessFault(level: number, access: AccessKind): number {
    this.cause = ACCESS_FAULT[access];
    this.htvalLo = 0;
    this.htvalHi = 0;
    this.htinst = 0;
    return this.fault(MmuCode.ExternalAbort, level);
  }
}

/**
 * The permissions of a leaf with flags `lo` (R W X U in bits 1-4) for an access at `privilege` under SUM and MXR
 * (Priv 4.3.2 step 5, 3.1.6.3): READ, WRITE, EXECUTE as allowed, and USER for a U page.
 */
export function leafPermissions(lo: number, privilege: PrivilegeLevel, sum: boolean, mxr: boolean): number {
  let perms = (lo & R) !== 0 || (mxr && (lo & X) !== 0) ? 1 : 0;
  if ((lo & W) !== 0) perms |= 2;
  if ((lo & X) !== 0) perms |= 4;
  if ((lo & U) !== 0) {
    // S-mode never executes from a U page, and loads / stores to it only with SUM
    if (privilege === 1) perms = sum ? perms & 3 : 0;
    return perms | 8;
  }
  return privilege === 0 ? 0 : perms;
}
