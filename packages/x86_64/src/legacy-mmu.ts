// The x86 MMU model of 32-bit paging and PAE paging: an access translated as a processor in protected mode with
// CR0.PG = 1 and IA32_EFER.LME = 0 does, with CR0.WP, CR4.PSE, CR4.SMEP, CR4.SMAP with EFLAGS.AC and IA32_EFER.NXE,
// the #PF error code and CR2 of a fault, and the accessed / dirty flags set in the entries.
// Source: Intel SDM Vol. 3A (325462), cited as [SDM n]:
// - 4.3 "32-Bit Paging": the page directory (1024 4-byte PDEs, linear bits 31:22) at CR3 bits 31:12 (Table 4-3);
//   a PDE with PS = 1 and CR4.PSE = 1 maps a 4 MiB page whose physical bits 39:32 are PDE bits 20:13 (PSE-36;
//   bits (M-20):13 with M = min(MAXPHYADDR, 40)) and whose bits 21:(M-19) are reserved (Table 4-4); otherwise
//   (PS ignored without PSE) it points to a page table of 1024 PTEs (linear bits 21:12; Tables 4-5, 4-6), which have
//   no reserved bits. No execute-disable bit.
// - 4.4 "PAE Paging": CR3 bits 31:5 locate four PDPTEs (Table 4-7), which the processor loads into internal
//   registers when CR3 is written (and when CR0 or CR4 change the paging mode) and uses from there until the next
//   load (4.4.1): a later change of the PDPT in memory is not seen. A present PDPTE with a reserved bit (2:1, 8:5,
//   63:M; Table 4-8) makes that MOV raise #GP(0), and nothing is loaded. PDEs and PTEs are 8 bytes (linear bits 29:21
//   and 20:12); bits 62:M are reserved in both, bit 63 is XD with IA32_EFER.NXE = 1 and reserved without; a PDE with
//   PS = 1 maps a 2 MiB page whose bits 20:13 are reserved (Tables 4-9 to 4-11).
// - 4.6 "Access Rights": R/W and U/S ANDed, XD ORed, over the PDE and PTE (a PDPTE controls none, 4.6.1), then
//   WP, SMEP, SMAP with AC (_x86-rights.ts). Protection keys (4.6.2) exist only in 4-level and 5-level paging.
// - 4.7 "Page-Fault Exceptions": the error code P, W/R, U/S, RSVD, I/D (I/D only when CR4.SMEP = 1, or with PAE
//   paging and IA32_EFER.NXE = 1), CR2 the linear address.
// - 4.8 "Accessed and Dirty Flags": A in the PDE that points to a page table once it passed its checks, A in the
//   leaf and D on a write by an access that is allowed. PDPTEs have no A (bit 5 is reserved there).
// - 2.5, Figure 2-7 (CR0.PG 31, WP 16; CR4.PSE 4, PAE 5, PGE 7, SMEP 20, SMAP 21), 2.2.1 (IA32_EFER.LME 8, NXE 11),
//   4.1.2 (CR0.PG = 1 with LME = 1 and CR4.PAE = 0 raises #GP).
import {
  type AccessKind,
  type AddrInput,
  hex,
  MmuCode,
  MmuModel,
  type PagingHandler,
  type PrivilegeLevel,
  RegisterError,
  registerValue,
  type TlbWalker,
} from '@page-table-multiarch/core';
import { A, P, PS, RW, US, XD_HI } from './_entry-bits';
import { X86_TLB_ATTRIBUTE_BITS, X86_TLB_MODE_BITS, x86TlbCheck, x86TlbModeKey } from './_x86-rights';
import {
  ADDR_HI,
  x86EntryFault,
  x86EntryOk,
  x86ExternalAbort,
  x86Leaf,
  x86LeafReserved,
  x86NonCanonical,
  x86PageFault,
  x86Syndrome,
  x86TableUsed,
} from './_x86-walk';
import type { X86FaultSyndrome } from './mmu';
import { CR0_PG, CR0_WP, CR4_PAE, CR4_PGE, CR4_PSE, CR4_SMAP, CR4_SMEP, EFER_LME, EFER_NXE } from './_x86-control';

/** The control registers and the other state of a processor that an {@link X86LegacyMmu} translates with. */
export interface X86LegacyMmuOptions {
  /** CR3: the page directory (bits 31:12) with 32-bit paging, the page-directory-pointer table (bits 31:5) with PAE. */
  readonly cr3: AddrInput;
  /** CR4: PAE (bit 5) selects PAE paging; PSE (4) 4 MiB pages of 32-bit paging; PGE (7), SMEP (20), SMAP (21). */
  readonly cr4: AddrInput;
  /** IA32_EFER: LME (bit 8) must be 0; NXE (bit 11) gives PAE paging its XD bit. Default NXE. */
  readonly efer?: AddrInput;
  /** CR0: PG (bit 31) must be 1; WP (bit 16). Default PG | WP | PE. */
  readonly cr0?: AddrInput;
  /** EFLAGS.AC (bit 18): with CR4.SMAP, supervisor data accesses to user pages are allowed while it is 1. */
  readonly ac?: boolean;
  /**
   * MAXPHYADDR (CPUID 80000008H EAX[7:0]), 32..52 (default 52): PAE entry bits 62:M are reserved; 32-bit paging
   * reaches min(M, 40) physical address bits through PSE-36.
   */
  readonly maxPhysAddr?: number;
  /**
   * Whether the walk sets A, and D on a write, in the entries it uses, as the processor does [SDM 4.8]
   * (default true). False: memory is only read; `updates` still counts the entries that would have changed.
   */
  readonly setAccessedDirty?: boolean;
}

/** Bits 2:1 and 8:5 of a PDPTE: reserved [SDM Table 4-8]. */
const RSVD_PDPTE = 0x1e6;

/**
 * An x86 processor's address translation with 32-bit paging or PAE paging, over tables in any `PagingHandler`
 * memory: `translate(va, access, privilege)` gives the physical address, or the #PF the access raises with its error
 * code and CR2; `translateNumber` / `translateWords` are the allocation-free forms for an emulator. `Privilege.USER`
 * is CPL 3, `Privilege.SUPERVISOR` CPL 0-2. The mode bits are fields (`wp`, `pse`, `smep`, `smap`, `ac`, `nxe`):
 * change them between accesses as the processor's registers change, and call {@link setRegisters} for a new CR3 or
 * paging mode, which loads the PAE PDPTEs as the processor does.
 *
 * Fault kinds: P = 0 is `NotPresent` (#PF, P = 0; a PDPTE with P = 0 too, at level 0); a reserved bit is
 * `ReservedBit` (#PF, P | RSVD); a refused access is `Permission` (#PF, P). A linear address of 4 GiB or more is
 * `NonCanonical` with vector -1: no 32-bit linear address is that wide, so no exception describes it. A table read
 * outside the memory is `ExternalAbort` (vector -1).
 *
 * A present PDPTE with a reserved bit is not a page fault: the MOV to CR3 (or CR0 / CR4) that loads it raises
 * #GP(0) [SDM 4.4.1]. The model reports that where the load happens: `setRegisters` (and the constructor) throws
 * a `RegisterError` 'Invalid' naming the PDPTE, and keeps the registers it had, as the processor keeps its CR3.
 *
 * @example
 * const mmu = new X86LegacyMmu(memory, encodeX86LegacyRegisters(table));
 * const pa = mmu.translateNumber(0x40_1000, Access.WRITE, Privilege.USER);
 * if (pa < 0) console.log(mmu.vector, mmu.errorCode); // 14, 7: a user write to a present read-only page
 */
export class X86LegacyMmu extends MmuModel<X86FaultSyndrome> implements TlbWalker {
  /** The memory the tables are read from (and A / D written to). */
  readonly handler: PagingHandler;
  /** PAE paging (CR4.PAE = 1); 32-bit paging when false. */
  pae: boolean;
  /** CR4.PSE: a 32-bit PDE with PS = 1 maps a 4 MiB page (PAE paging ignores it). */
  pse: boolean;
  /** CR4.PGE: leaves with G = 1 are global (for a TLB). */
  pge: boolean;
  /** CR0.WP: supervisor writes honour R/W. */
  wp: boolean;
  /** CR4.SMEP: supervisor fetches from user pages fault. */
  smep: boolean;
  /** CR4.SMAP: supervisor data accesses to user pages fault while EFLAGS.AC = 0. */
  smap: boolean;
  /** EFLAGS.AC. */
  ac: boolean;
  /** IA32_EFER.NXE: bit 63 of a PAE PDE / PTE is XD (without it, a reserved bit). No effect on 32-bit paging. */
  nxe: boolean;
  /** Whether the walk writes A / D (false: report only). */
  setAccessedDirty: boolean;
  /** MAXPHYADDR. */
  readonly maxPhysAddr: number;
  /** The vector of the last fault (14, or -1 for NonCanonical and ExternalAbort); 0 after a successful translation. */
  vector: number;
  /** The error code of the last fault (0 after a successful translation). */
  errorCode: number;
  /** Low 32 bits of the linear address of the last access (CR2 after a #PF). */
  cr2Lo: number;
  /** High 32 bits of the address of the last access (0 for every address the model translates). */
  cr2Hi: number;
  /** Entries whose A or D the last access set (or, with `setAccessedDirty` false, would have set). */
  updates: number;
  /** After a successful walk: the leaf's TLB attributes (D, R/W, U/S, XD). */
  leafAttributes: number;
  /** After a successful walk: G = 1 in the leaf with CR4.PGE = 1 [SDM 4.10.2.4]. */
  leafGlobal: boolean;
  /** {@link leafAttributes} holds D, R/W, U/S and XD (the key bits stay 0). */
  readonly tlbAttributeBits: number;
  /** The mode key is WP, SMEP, SMAP, AC and NXE. */
  readonly tlbModeBits: number = X86_TLB_MODE_BITS;
  /** @internal the page directory (32-bit paging) or the PDPT (PAE) */
  _root: number;
  /** @internal the four PDPTEs as loaded, (low, high) words each */
  readonly _pdpte: Int32Array;
  /** @internal PAE entry bits 62:M, reserved [SDM Tables 4-9 to 4-11], as high-word bits (for the shared walk) */
  readonly _rsvdHi: number;

  /**
   * @throws RegisterError for registers that do not select 32-bit or PAE paging (CR0.PG = 0; IA32_EFER.LME = 1 with
   *   CR4.PAE = 1, which is 4-level paging: 'Unsupported'), an invalid combination (LME = 1 with PAE = 0), a CR3 with
   *   bits 63:32 set, a PDPT outside the handler's memory, or a present PDPTE with a reserved bit (the #GP(0) of the
   *   load: 'Invalid'); RangeError for a MAXPHYADDR outside 32..52; TypeError / PagingError 'InvalidAddress' for a
   *   register value that is not a u64.
   */
  constructor(handler: PagingHandler, options: X86LegacyMmuOptions) {
    super();
    const m = options.maxPhysAddr ?? 52;
    if (!Number.isInteger(m) || m < 32 || m > 52) throw new RangeError(`X86LegacyMmu: MAXPHYADDR ${String(m)} is outside 32..52`);
    // the fields the shared walk steps (_x86-walk.ts) use first, in X86Mmu's order: at the same offsets in both
    // models, V8 reads each with one load behind a check of both maps where a process uses both
    this.handler = handler;
    this.maxPhysAddr = m;
    this.wp = true;
    this.smep = false;
    this.smap = false;
    this.ac = options.ac ?? false;
    this.nxe = true;
    this.pge = false;
    this.setAccessedDirty = options.setAccessedDirty ?? true;
    this.vector = 0;
    this.errorCode = 0;
    this.cr2Lo = 0;
    this.cr2Hi = 0;
    this.updates = 0;
    this.leafAttributes = 0;
    this.leafGlobal = false;
    // bits 62:M of a PDE / PTE: bits 30:(M-32) of the high word [Tables 4-9 to 4-11]
    this._rsvdHi = 0x7fff_ffff & ~((1 << (m - 32)) - 1);
    this.tlbAttributeBits = X86_TLB_ATTRIBUTE_BITS;
    this.pae = false;
    this.pse = true;
    this._root = 0;
    this._pdpte = new Int32Array(8);
    this.setRegisters(options);
  }

  /**
   * Loads new control-register values (a MOV to CR0, CR3 or CR4, or a WRMSR to IA32_EFER): the mode, the root, the
   * PAE PDPTEs read from memory now [SDM 4.4.1], and `pse`, `pge`, `wp`, `smep`, `smap`, `nxe` from their bits. `ac`
   * keeps its value. Nothing changes when it throws.
   * @throws RegisterError, TypeError / PagingError 'InvalidAddress': as the constructor.
   */
  setRegisters(regs: Pick<X86LegacyMmuOptions, 'cr0' | 'cr3' | 'cr4' | 'efer'>): void {
    const cr0 = registerValue(regs.cr0 ?? 0x8001_0001n, 'cr0');
    const cr4 = registerValue(regs.cr4, 'cr4');
    const efer = registerValue(regs.efer ?? EFER_NXE, 'efer');
    const cr3 = registerValue(regs.cr3, 'cr3');
    if ((cr0 & CR0_PG) === 0n) throw new RegisterError('Unsupported', 'CR0.PG', `X86LegacyMmu: CR0 ${hex(cr0)}: PG = 0, paging is disabled`);
    const pae = (cr4 & CR4_PAE) !== 0n;
    if ((efer & EFER_LME) !== 0n) {
      if (pae) throw new RegisterError('Unsupported', 'IA32_EFER.LME', 'X86LegacyMmu: LME = 1 with CR4.PAE = 1 is 4-level paging (X86Mmu models it)');
      throw new RegisterError('Invalid', 'IA32_EFER.LME', 'X86LegacyMmu: LME = 1 with CR4.PAE = 0 and CR0.PG = 1 is a #GP(0) (SDM Vol. 3A 4.1.2)');
    }
    if (cr3 >> 32n !== 0n) throw new RegisterError('Invalid', 'CR3', `X86LegacyMmu: CR3 ${hex(cr3)}: bits 63:32 are set, but the register is 32 bits in this mode`);
    const root = Number(pae ? cr3 & 0xffff_ffe0n : cr3 & 0xffff_f000n);
    if (pae) this.loadPdptes(root);
    this.pae = pae;
    this._root = root;
    this.pse = (cr4 & CR4_PSE) !== 0n;
    this.pge = (cr4 & CR4_PGE) !== 0n;
    this.wp = (cr0 & CR0_WP) !== 0n;
    this.smep = (cr4 & CR4_SMEP) !== 0n;
    this.smap = (cr4 & CR4_SMAP) !== 0n;
    this.nxe = (efer & EFER_NXE) !== 0n;
  }

  /** [SDM 4.4.1, Table 4-8] reads and checks the four PDPTEs at `root`, then keeps them; throws before keeping any. */
  private loadPdptes(root: number): void {
    const h = this.handler;
    // bits 63:M of the entry: bits 31:(M-32) of its high word
    const rsvdHi = ~((1 << (this.maxPhysAddr - 32)) - 1);
    const words = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 4; i++) {
      const e = h.wordIndex(root + 8 * i, 0);
      if (e < 0) throw new RegisterError('Invalid', 'CR3', `X86LegacyMmu: the PDPT at ${hex(BigInt(root))} is outside the memory`);
      const lo = h.words[e]! | 0;
      const hi = h.words[e + 1]! | 0;
      if ((lo & P) !== 0 && ((lo & RSVD_PDPTE) !== 0 || (hi & rsvdHi) !== 0)) {
        const bits = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
        throw new RegisterError('Invalid', `PDPTE${i}`, `X86LegacyMmu: PDPTE ${i} = ${hex(bits)} is present with a reserved bit (2:1, 8:5 or 63:${this.maxPhysAddr}): the load raises #GP(0) (SDM Vol. 3A 4.4.1)`);
      }
      words[2 * i] = lo;
      words[2 * i + 1] = hi;
    }
    this._pdpte.set(words);
  }

  /**
   * The walk of [SDM 4.3] or [SDM 4.4] on the words of the handler's memory: no BigInt, no allocation, no throw.
   * See `MmuModel.translateWords`.
   */
  translateWords(vaLo: number, vaHi: number, access: AccessKind, privilege: PrivilegeLevel): number {
    this.cr2Lo = vaLo >>> 0;
    this.cr2Hi = vaHi >>> 0;
    this.updates = 0;
    if (vaHi !== 0) return x86NonCanonical(this, -1);
    // the address as an int32 (every use below reads it with >>> or &): a u32 above 2^31 passed to a walk that V8
    // does not inline would be a heap number, allocated per translate
    return this.pae ? this.walkPae(vaLo | 0, access, privilege) : this.walk32(vaLo | 0, access, privilege);
  }

  /**
   * [SDM 4.3] 32-bit paging: the PDE, then a 4 MiB page or the PTE, and the leaf's step shared with the 8-byte
   * walks (_x86-walk.ts). Its entries are 4 bytes (no high word, no XD) and a 4 MiB leaf's bits 20:13 are PSE-36
   * address bits where an 8-byte huge leaf has reserved ones, so its two levels are its own.
   */
  private walk32(va: number, access: AccessKind, privilege: PrivilegeLevel): number {
    const h = this.handler;
    const w = h.words;
    const pdeAt = h.wordIndex((this._root + ((va >>> 22) << 2)) >>> 0, 0);
    if (pdeAt < 0) return x86ExternalAbort(this, 0);
    const pde = w[pdeAt]! | 0;
    if ((pde & P) === 0) return x86PageFault(this, MmuCode.NotPresent, 0, 0, access, privilege);
    if ((pde & PS) !== 0 && this.pse) {
      // [Table 4-4] PSE-36: bits (M-20):13 are physical bits (M-1):32, bits 21:(M-19) reserved, M = min(MAXPHYADDR, 40)
      const m = this.maxPhysAddr < 40 ? this.maxPhysAddr : 40;
      if ((pde & 0x3f_e000 & ~((1 << (m - 19)) - 1)) !== 0) return x86PageFault(this, MmuCode.ReservedBit, 0, 9, access, privilege);
      const perms = x86Leaf(this, pdeAt, 0, 7, 0, pde & (RW | US), 0, access, privilege, null);
      if (perms < 0) return perms;
      return this.found(((pde & 0xffc0_0000) | (va & 0x3f_ffff)) >>> 0, (pde >>> 13) & 0xff, 0x40_0000, 0, perms);
    }
    // [SDM 4.8] the PDE references a page table: it is used, A = 1
    if ((pde & A) === 0) {
      this.updates++;
      if (this.setAccessedDirty) w[pdeAt] = pde | A;
    }
    const pteAt = h.wordIndex(((pde & 0xffff_f000) + ((va >>> 10) & 0xffc)) >>> 0, 0);
    if (pteAt < 0) return x86ExternalAbort(this, 1);
    const pte = w[pteAt]! | 0;
    if ((pte & P) === 0) return x86PageFault(this, MmuCode.NotPresent, 1, 0, access, privilege);
    const perms = x86Leaf(this, pteAt, 0, 7, 1, pde & pte & (RW | US), 0, access, privilege, null);
    if (perms < 0) return perms;
    return this.found(((pte & 0xffff_f000) | (va & 0xfff)) >>> 0, 0, 4096, 1, perms);
  }

  /**
   * [SDM 4.4] PAE paging: the PDPTE as loaded, the PDE, then a 2 MiB page or the PTE, each level by the steps of the
   * 8-byte walk of 4-level paging (_x86-walk.ts). Its two levels written out rather than X86Mmu's loop: the loop
   * took PAE's translateNumber about 20% longer (9 ns, with the tables in the cache), the two levels with the same
   * steps as long as before.
   */
  private walkPae(va: number, access: AccessKind, privilege: PrivilegeLevel): number {
    const i = va >>> 30;
    const pdpteLo = this._pdpte[2 * i]!;
    const pdpteHi = this._pdpte[2 * i + 1]!;
    if ((pdpteLo & P) === 0) return x86PageFault(this, MmuCode.NotPresent, 0, 0, access, privilege);
    // P, and the reserved bits 62:M and XD without NXE [Tables 4-9 to 4-11]
    const rsvdHi = this._rsvdHi | (this.nxe ? 0 : XD_HI);
    const h = this.handler;
    const w = h.words;
    const pdeAt = h.wordIndex(((pdpteLo & 0xffff_f000) + ((va >>> 21) & 511) * 8) >>> 0, pdpteHi & ADDR_HI);
    if (pdeAt < 0) return x86ExternalAbort(this, 1);
    const pdeLo = w[pdeAt]! | 0;
    const pdeHi = w[pdeAt + 1]! | 0;
    if (!x86EntryOk(pdeLo, pdeHi, rsvdHi)) return x86EntryFault(this, pdeAt, 1, access, privilege);
    // a PDPTE controls no access rights [SDM 4.6.1]: those of the PDE (and the PTE)
    if ((pdeLo & PS) !== 0) {
      if (x86LeafReserved(this, pdeAt, 21)) return x86PageFault(this, MmuCode.ReservedBit, 1, 9, access, privilege);
      const perms = x86Leaf(this, pdeAt, 0, 7, 1, pdeLo & (RW | US), pdeHi >>> 31, access, privilege, null);
      if (perms < 0) return perms;
      return this.found(((pdeLo & 0xffe0_0000) | (va & 0x1f_ffff)) >>> 0, pdeHi & ADDR_HI, 0x20_0000, 1, perms);
    }
    // [SDM 4.8] the PDE references a page table: A = 1 (0 always: no second stage here)
    x86TableUsed(this, pdeAt, privilege, null);
    const pteAt = h.wordIndex(((pdeLo & 0xffff_f000) + ((va >>> 12) & 511) * 8) >>> 0, pdeHi & ADDR_HI);
    if (pteAt < 0) return x86ExternalAbort(this, 2);
    const pteLo = w[pteAt]! | 0;
    const pteHi = w[pteAt + 1]! | 0;
    if (!x86EntryOk(pteLo, pteHi, rsvdHi)) return x86EntryFault(this, pteAt, 2, access, privilege);
    const rights = pdeLo & pteLo & (RW | US);
    const perms = x86Leaf(this, pteAt, 0, 7, 2, rights, (pdeHi | pteHi) >>> 31, access, privilege, null);
    if (perms < 0) return perms;
    return this.found(((pteLo & 0xffff_f000) | (va & 0xfff)) >>> 0, pteHi & ADDR_HI, 4096, 2, perms);
  }

  /** @internal whether the mode's entries have XD: PAE paging's do, 32-bit paging's do not [SDM 4.4.2, 4.3] */
  get _xd(): boolean {
    return this.pae;
  }

  /** @internal MmuModel's `fault`, for the shared walk */
  _fault(code: number, level: number): number {
    return this.fault(code, level);
  }

  /** The mode key of a `Tlb`: WP, SMEP, SMAP, AC, and NXE with PAE paging (no protection keys here). */
  tlbModeKey(): number {
    return x86TlbModeKey(this.wp, this.smep, this.smap, this.ac, this.pae && this.nxe, 0);
  }

  /** What a cached leaf allows under the mode key (see `x86TlbCheck`): [SDM 4.6.1] again, a store only with D = 1. */
  tlbCheck(attributes: number, privilege: PrivilegeLevel, modeKey: number): number {
    return x86TlbCheck(attributes, privilege, modeKey, 0);
  }

  /** The vector, error code and CR2 of the last fault. */
  protected syndrome(): X86FaultSyndrome {
    return x86Syndrome(this);
  }
}
