// What every architecture's MMU model shares: the bigint and number faces of `translate` over one word-level
// method, the fields the number form leaves its details in, and the argument checks. The model of an architecture
// implements `translateWords` (its walk, with no BigInt, no allocation and no throw on the common path) and
// `syndrome` (its own fault report, read from its fields).
import { joinAddr, PAIR, splitAddr } from '../_addr';
import { PagingError } from '../errors';
import type { MappingFlags } from '../flags';
import { type AccessKind, type FaultKind, faultKindOf, MmuCode, type MmuResult, type PrivilegeLevel } from './access';
import type { FaultStage } from './stage2';

const TWO32 = 4294967296;

/**
 * An MMU model: translates an access (virtual address, kind, privilege) as the hardware would, over a table in a
 * `PagingHandler` memory, with the mode bits of the model. Two faces:
 * - `translate` (bigint or number address in, an `MmuResult` object out) for tools and tests;
 * - `translateNumber` (an address below 2^53) and `translateWords` (any address, as two u32 halves) for an
 *   emulator's hot path: the physical address as a number (translateNumber) or 0 (translateWords), or a negative
 *   `MmuCode`, with the details in the fields (`paLo` / `paHi`, `pageSize`, `level`, `permissions`, and the
 *   architecture's syndrome fields). They allocate nothing and throw only on arguments of the wrong kind.
 *   `translateWords` passes and returns small integers only, so that a call V8 does not inline boxes nothing;
 *   `translateNumber` is small enough to be inlined into the caller's loop, where the address stays unboxed.
 *
 * The fields describe the last call of either face. They are read-only getters over plain fields (a getter V8
 * inlines costs the load of the field), so that a model may keep a result in another form until it is read: a
 * `Tlb` keeps where a hit came from and decodes the fields from there on demand.
 */
export abstract class MmuModel<S> {
  // What the getters below return, written by `found` and `fault`. Protected, not `_`-prefixed: the models of other
  // packages extend this class, and each package's bundle shortens its own `_` names, which could then meet these.
  /** The value of {@link paLo} (a subclass may answer from elsewhere: see `Tlb`). */
  protected lastPaLo: number;
  /** The value of {@link paHi}. */
  protected lastPaHi: number;
  /** The value of {@link pageSize}. */
  protected lastPageSize: number;
  /** The value of {@link level}. */
  protected lastLevel: number;
  /** The value of {@link permissions}. */
  protected lastPermissions: MappingFlags;
  /** The value of {@link faultCode}. */
  protected lastFaultCode: number;
  /**
   * Of the last fault of a model with a second stage (`SecondStage`): 2 when stage 2 refused it, 1 when stage 1
   * did; `faultOnWalk` says whether stage 2 refused a stage-1 table read. 1 and false for a model without one.
   */
  faultStage: FaultStage;
  /** Of the last fault: whether stage 2 refused the read (or accessed-flag write) of a stage-1 table entry. */
  faultOnWalk: boolean;

  constructor() {
    this.lastPaLo = 0;
    this.lastPaHi = 0;
    this.lastPageSize = 0;
    this.lastLevel = -1;
    this.lastPermissions = 0;
    this.lastFaultCode = 0;
    this.faultStage = 1;
    this.faultOnWalk = false;
  }

  /** Low 32 bits of the physical address of the last successful translation. */
  get paLo(): number {
    return this.lastPaLo;
  }

  /** High 32 bits of the physical address of the last successful translation. */
  get paHi(): number {
    return this.lastPaHi;
  }

  /** Bytes of the page the last successful translation went through (0 after a fault). */
  get pageSize(): number {
    return this.lastPageSize;
  }

  /** Level (0 = root) of the leaf found, or of the entry that faulted; -1 when no table was read. */
  get level(): number {
    return this.lastLevel;
  }

  /** Effective permissions of the last successful translation (`MmuTranslation.permissions`); 0 after a fault. */
  get permissions(): MappingFlags {
    return this.lastPermissions;
  }

  /** The `MmuCode` of the last fault, or 0 after a successful translation. */
  get faultCode(): number {
    return this.lastFaultCode;
  }

  /**
   * Translates one access, the address given as two 32-bit halves (upper-half addresses included; `vaLo` may be
   * given as a u32 or as its signed int32 form, `vaLo | 0`). Returns 0 when the access translates (the physical
   * address is then in paLo / paHi) or a negative fault code; the fields hold the details either way. Arguments
   * are not checked here beyond what the walk needs: use `translateNumber` or `translate` for checked input.
   */
  abstract translateWords(vaLo: number, vaHi: number, access: AccessKind, privilege: PrivilegeLevel): number;

  /** The architecture's report of the last fault, built from its fields (cold path: it allocates). */
  protected abstract syndrome(): S;

  /**
   * Translates one access to an address held as a number (below 2^53): the physical address when it is below
   * 2^53, `MmuCode.WIDE` when it is not (read paLo / paHi), or a negative fault code.
   * @throws RangeError for an address that is not a non-negative safe integer, or an access kind or privilege
   *   that is not one of `Access` / `Privilege`.
   * @example
   * const pa = mmu.translateNumber(0x40_1000, Access.READ, Privilege.USER);
   * if (pa < 0) console.log(faultKindOf(pa), mmu.faultCode);
   */
  translateNumber(vaddr: number, access: AccessKind, privilege: PrivilegeLevel): number {
    const vaHi = Math.floor(vaddr / TWO32);
    const vaLo = vaddr - vaHi * TWO32;
    if (!(vaLo >>> 0 === vaLo && vaHi >= 0 && vaHi < 0x200000) || !accessArgsOk(access, privilege)) {
      checkArgs(vaddr, access, privilege, 'translateNumber');
    }
    // small integers across the call (vaLo as int32): nothing is boxed when translateWords is not inlined here; its
    // result `| 0`, so that every answer is a number in a register where they meet in the caller that inlines this
    // function (the tagged result would make V8 box each physical address above 2^31)
    const r = this.translateWords(vaLo | 0, vaHi | 0, access, privilege) | 0;
    if (r < 0) return r;
    const hi = this.paHi;
    return hi < 0x200000 ? hi * TWO32 + this.paLo : MmuCode.WIDE;
  }

  /**
   * Translates one access and says what the hardware would: the physical address, page size, level and effective
   * permissions, or the fault with its kind, level and the architecture's syndrome. Updates the accessed / dirty
   * flags in the table where the model's options say the hardware does.
   * @throws TypeError / PagingError 'InvalidAddress' for an address that is not a u64; RangeError for an access kind
   *   or privilege that is not one of `Access` / `Privilege`. Nothing is read or written then.
   */
  translate(vaddr: bigint | number, access: AccessKind, privilege: PrivilegeLevel): MmuResult<S> {
    checkArgs(0, access, privilege, 'translate');
    splitAddr(vaddr, 'translate', 'vaddr');
    const vaLo = PAIR[0]!;
    const vaHi = PAIR[1]!;
    const r = this.translateWords(vaLo, vaHi, access, privilege);
    if (r === 0) {
      return { ok: true, paddr: joinAddr(this.paLo, this.paHi), size: this.pageSize, level: this.level, permissions: this.permissions };
    }
    const kind: FaultKind | undefined = faultKindOf(r);
    if (kind === undefined) throw new PagingError('CorruptTable', `translate: the model returned ${r}, which is no MmuCode`);
    const fault = { ok: false, kind, level: this.level, vaddr: joinAddr(vaLo, vaHi), syndrome: this.syndrome() } as const;
    return this.faultStage === 2 ? { ...fault, stage: 2, onWalk: this.faultOnWalk } : fault;
  }

  /**
   * Translates many accesses of one kind and privilege in one call (a DMA transfer's pages, a gather list): each
   * address of `vaddrs` (non-negative safe integers) gives, at the same index of `out`, what `translateNumber` gives
   * for it: the physical address, `MmuCode.WIDE`, or a negative fault code. `out` may be `vaddrs` itself (each
   * address is read before its result is written). Every address and argument is checked before the first walk, so
   * a bad one throws with no entry's accessed / dirty flags changed and `out` untouched. The fields describe the
   * last access afterwards. Allocates nothing.
   * @returns how many of the accesses translated (the others hold negative codes, WIDE included).
   * @throws RangeError for an address that is not a non-negative safe integer (its index is in the message), an
   *   `out` shorter than `vaddrs`, or an access kind or privilege that is not one of `Access` / `Privilege`.
   * @example
   * const pages = Float64Array.of(0x40_0000, 0x40_1000, 0x7000_0000);
   * const pa = new Float64Array(pages.length);
   * if (mmu.translateBatch(pages, Access.WRITE, Privilege.USER, pa) < pages.length) console.log(pa); // some fault
   */
  translateBatch(vaddrs: Float64Array, access: AccessKind, privilege: PrivilegeLevel, out: Float64Array): number {
    checkBatch(vaddrs, out, vaddrs.length, access, privilege, 'translateBatch');
    for (let i = 0; i < vaddrs.length; i++) {
      const v = vaddrs[i]!;
      if (!(Number.isSafeInteger(v) && v >= 0)) {
        throw new RangeError(`translateBatch: vaddrs[${i}] = ${String(v)} is not a non-negative safe integer (use translateBatchWords)`);
      }
    }
    let ok = 0;
    for (let i = 0; i < vaddrs.length; i++) {
      const r = this.translateNumber(vaddrs[i]!, access, privilege);
      out[i] = r;
      if (r >= 0) ok++;
    }
    return ok;
  }

  /**
   * {@link translateBatch} for any 64-bit address: `vaddrs` holds (low, high) u32 pairs; each translation writes its
   * physical address as a (low, high) pair at the same place of `paddrs` and 0 at its index of `codes`, a fault
   * writes its negative code there and leaves that pair of `paddrs` as it was. Checked before the first walk, as
   * translateBatch. Allocates nothing.
   * @returns how many of the accesses translated.
   * @throws RangeError for a `vaddrs` of odd length, a `paddrs` shorter than it or `codes` shorter than half of it,
   *   or an access kind or privilege that is not one of `Access` / `Privilege`.
   */
  translateBatchWords(vaddrs: Uint32Array, access: AccessKind, privilege: PrivilegeLevel, paddrs: Uint32Array, codes: Int32Array): number {
    checkBatch(vaddrs, paddrs, vaddrs.length, access, privilege, 'translateBatchWords');
    if (vaddrs.length % 2 !== 0) throw new RangeError(`translateBatchWords: "vaddrs" holds ${vaddrs.length} words, not (low, high) pairs`);
    const n = vaddrs.length >>> 1;
    if (!(codes instanceof Int32Array) || codes.length < n) {
      throw new RangeError(`translateBatchWords: "codes" must be an Int32Array of at least ${n} entries`);
    }
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const r = this.translateWords(vaddrs[2 * i]! | 0, vaddrs[2 * i + 1]! | 0, access, privilege);
      codes[i] = r;
      if (r === 0) {
        paddrs[2 * i] = this.paLo;
        paddrs[2 * i + 1] = this.paHi;
        ok++;
      }
    }
    return ok;
  }

  /** Records a successful translation to (paLo, paHi: u32 halves) and returns 0. */
  protected found(paLo: number, paHi: number, pageSize: number, level: number, permissions: MappingFlags): number {
    this.lastPaLo = paLo;
    this.lastPaHi = paHi;
    this.lastPageSize = pageSize;
    this.lastLevel = level;
    this.lastPermissions = permissions;
    this.lastFaultCode = 0;
    return 0;
  }

  /** Records a fault (a negative `MmuCode`) at `level` and returns it. */
  protected fault(code: number, level: number): number {
    this.lastPageSize = 0;
    this.lastPermissions = 0;
    this.lastLevel = level;
    this.lastFaultCode = code;
    this.faultStage = 1;
    this.faultOnWalk = false;
    return code;
  }

  /**
   * Records a fault that the second stage gave (`code`, a negative `MmuCode`, at stage-2 level `level`), on a
   * stage-1 table read when `onWalk`, else on the output address; returns it.
   */
  protected stage2Fault(code: number, level: number, onWalk: boolean): number {
    this.fault(code, level);
    this.faultStage = 2;
    this.faultOnWalk = onWalk;
    return code;
  }
}

/**
 * Whether `access` is one of Access (0-2) and `privilege` one of Privilege (0-1): in range and integers (`>>> 0`
 * alone takes 0.5, NaN or undefined for READ / USER). The quick test of the number paths (checkArgs throws): where
 * V8 has seen only small integers, `(x | 0) === x` is `x === x` and compiles to nothing.
 */
export function accessArgsOk(access: AccessKind, privilege: PrivilegeLevel): boolean {
  return access >>> 0 <= 2 && (access | 0) === access && privilege >>> 0 <= 1 && (privilege | 0) === privilege;
}

/**
 * Throws the error that a bad address, access kind or privilege deserves (cold path of the checks above and of
 * `Tlb.translateNumber`).
 */
export function checkArgs(vaddr: number, access: unknown, privilege: unknown, op: string): void {
  if (access !== 0 && access !== 1 && access !== 2) {
    throw new RangeError(`${op}: "access" ${String(access)} is not Access.READ (0), WRITE (1) or EXECUTE (2)`);
  }
  if (privilege !== 0 && privilege !== 1) {
    throw new RangeError(`${op}: "privilege" ${String(privilege)} is not Privilege.USER (0) or SUPERVISOR (1)`);
  }
  if (!(Number.isSafeInteger(vaddr) && vaddr >= 0)) {
    throw new RangeError(`${op}: "vaddr" ${String(vaddr)} is not a non-negative safe integer (use translate or translateWords)`);
  }
}

/** The checks of a batch before its first walk: the arrays' kinds and lengths, the access kind and privilege. */
function checkBatch(input: unknown, output: unknown, n: number, access: unknown, privilege: unknown, op: string): void {
  const words = op === 'translateBatchWords';
  const Kind = words ? Uint32Array : Float64Array;
  if (!(input instanceof Kind)) throw new RangeError(`${op}: "vaddrs" must be a ${Kind.name}`);
  if (!(output instanceof Kind) || output.length < n) {
    throw new RangeError(`${op}: "${words ? 'paddrs' : 'out'}" must be a ${Kind.name} of at least ${n} entries`);
  }
  checkArgs(0, access, privilege, op);
}
