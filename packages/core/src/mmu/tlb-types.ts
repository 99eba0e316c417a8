// What a software TLB (tlb.ts) takes and asks: the walker interface an MMU model implements so that its walks can be
// cached, the TLB's sizes, and the scope of an invalidation. Apart from the engine so that a model's package reads
// the contract without the TLB's internals.
import type { AddrInput } from '../interfaces';
import type { PrivilegeLevel } from './access';

/** @internal most attribute bits and mode bits a Tlb takes from its model (TlbWalker.tlbAttributeBits / tlbModeBits) */
export const MAX_ATTRIBUTE_BITS = 12;
/** @internal */
export const MAX_MODE_BITS = 8;

/**
 * What a {@link Tlb} needs from an MMU model besides its walk: the leaf a successful walk found, reduced to what a
 * TLB entry keeps, and the model's re-check of a cached leaf under the current mode bits.
 */
export interface TlbWalker {
  /**
   * After a successful walk that read a table: the leaf's attributes as an integer below 2^{@link tlbAttributeBits}
   * (accessed / dirty state as written by the walk included). Architecture-defined; only {@link tlbCheck} reads it.
   * A model over a second stage reports both stages here (its own bits, then the second stage's above them: see
   * `combineTlbChecks`), so that the entry of a two-stage translation holds what each stage allows. Negative when
   * the translation must not be cached at all (a second stage that is no `TlbWalker`, whose limits no entry could
   * hold).
   */
  readonly leafAttributes: number;
  /** After a successful walk: whether the translation is global (it belongs to every address space). */
  readonly leafGlobal: boolean;
  /** Bits of {@link leafAttributes} (1 to 12). */
  readonly tlbAttributeBits: number;
  /** Bits of {@link tlbModeKey} (0 to 8). */
  readonly tlbModeBits: number;
  /** The mode bits that change what a cached leaf allows, as an integer below 2^{@link tlbModeBits}. */
  tlbModeKey(): number;
  /**
   * For a cached leaf with these attributes, accessed at `privilege` with the mode bits `modeKey`: the effective
   * permissions (as `MmuTranslation.permissions`) shifted left by 3, or'ed with the access kinds a TLB may serve
   * without a walk (bit `1 << access`). A kind left out goes to the walk: a permission fault, or a store that must
   * set the dirty flag.
   */
  tlbCheck(attributes: number, privilege: PrivilegeLevel, modeKey: number): number;
}

/** Size and shape of a {@link Tlb}. */
export interface TlbOptions {
  /**
   * Entries, a power of two from 1 to 2^20 (default 1024: 4 MiB of 4K pages, so that a working set of a few dozen
   * pages survives the entries that random accesses bring in; a lookup costs the same at any size).
   */
  readonly entries?: number;
  /** Entries per set, a power of two that divides `entries` (default 4; 1 is direct-mapped). */
  readonly ways?: number;
}

/** Which entries an invalidation removes ({@link Tlb.invalidate}); every field narrows it. */
export interface TlbScope {
  /** Only entries whose page holds this virtual address (default: every page). */
  readonly vaddr?: AddrInput;
  /**
   * The non-global entries removed: those of this ASID, `'all'` of every ASID (the default), `'none'` none.
   */
  readonly asid?: number | 'all' | 'none';
  /** Whether global entries (within `vaddr`, if given) are removed too. */
  readonly global: boolean;
  /**
   * The VMIDs whose entries are removed: the TLB's current {@link Tlb.vmid} (the default), this one, `'all'` of
   * every VMID, or `'nonzero'` every VMID but 0 (x86 INVVPID all-context spares VPID 0, the VMM's own: Intel SDM
   * Vol. 3C 29.4.3.1).
   */
  readonly vmid?: number | 'all' | 'nonzero';
}
