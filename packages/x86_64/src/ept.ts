// EPT: the geometry and table types of Intel's extended page tables, which translate a guest's physical addresses
// to host physical addresses under VMX.
// Source: Intel SDM Vol. 3C (326019 / 325462), 29.3.2 "EPT Translation Mechanism": with a page-walk length of 4
// (EPTP bits 5:3 = 3) an EPT PML4 table indexed by guest-physical bits 47:39, then the PDPT (38:30; a PDPTE with
// bit 7 maps 1 GiB), the PD (29:21; 2 MiB with bit 7) and the PT (20:12), each of 512 8-byte entries in a 4 KiB
// frame; with a page-walk length of 5 an EPT PML5 table indexed by bits 56:48 above them. Guest-physical addresses
// are translated up to bit 47 (56): they have no canonical form and no upper half.
import {
  defineMetaData,
  type GenericPTE,
  type PageTableOptions,
  PageTable64,
  type PagingHandler,
  type PagingMetaData,
} from '@page-table-multiarch/core';
import { x86EptCodec, type X86EptOptions } from '@page-table-multiarch/entry/x86_64';

/**
 * 4-level EPT (page-walk length 4; Intel SDM Vol. 3C 29.3.2): PML4, PDPT, PD, PT of 512 8-byte entries, 48-bit
 * guest-physical addresses from 0 (no canonical rule: 2^48 and above is not valid), 52-bit physical addresses,
 * leaves of 1 GiB (PDPTE with bit 7), 2 MiB (PDE with bit 7) and 4 KiB.
 */
export const X86EptPagingMetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'x86-ept',
  paMaxBits: 52,
  pageShift: 12,
  indexBits: [9, 9, 9, 9],
  entryBytes: 8,
  leafLevels: [1, 2, 3],
  vaTopBit: 48,
  upperHalf: false,
  signExtend: false,
});

/**
 * 5-level EPT (page-walk length 5; Intel SDM Vol. 3C 29.3.2): a PML5 table above the PML4, 57-bit guest-physical
 * addresses, the same entries and leaf sizes as 4-level EPT (bit 7 is reserved in a PML5E and a PML4E).
 */
export const X86Ept5PagingMetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'x86-ept5',
  paMaxBits: 52,
  pageShift: 12,
  indexBits: [9, 9, 9, 9, 9],
  entryBytes: 8,
  leafLevels: [2, 3, 4],
  vaTopBit: 57,
  upperHalf: false,
  signExtend: false,
});

/**
 * Options of {@link X86EptPageTable} and {@link X86Ept5PageTable}: the codec's (`mbec`, the "mode-based execute
 * control for EPT" VM-execution control; `executeOnly`; `ignorePat`; `suppressVe`: see `x86EptCodec`), and those of
 * every table.
 */
export interface X86EptPageTableOptions extends PageTableOptions, X86EptOptions {}

/** The codec for a table's options: the shared ones unless a leaf option other than `mbec` is given. */
function codecOf(options: X86EptPageTableOptions | undefined): GenericPTE {
  return x86EptCodec({
    mbec: options?.mbec === true,
    executeOnly: options?.executeOnly !== false,
    ignorePat: options?.ignorePat === true,
    suppressVe: options?.suppressVe === true,
  });
}

/**
 * A 4-level EPT table (Intel SDM Vol. 3C 29.3): guest-physical addresses in `[0, 2^48)` to host physical addresses,
 * 4 KiB, 2 MiB and 1 GiB pages. `map` takes the guest-physical address where other tables take a virtual one.
 * MappingFlags map to R, W, X and the EPT memory type (WB; UC for DEVICE, WC for UNCACHED): see `x86EptCodec`.
 * `encodeX86Eptp` gives the EPTP value that points the CPU at it. Without a handler it lives in a fresh
 * PhysicalMemory.
 *
 * @example
 * const ept = new X86EptPageTable();
 * using cursor = ept.cursor();
 * cursor.map(0x8000_0000n, 0x20_0000n, PageSize.Size2M, MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE);
 * ept.query(0x8000_1234n); // { paddr: 0x201234n, flags: 7, size: 2097152 }
 */
export class X86EptPageTable extends PageTable64 {
  /**
   * Allocates the EPT PML4 table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live (default: a fresh 16 MiB `PhysicalMemory` at physical 0).
   * @param options the codec's options (`mbec`, ...), a `flushTlb` hook for the cursors' invalidations; `root` (and
   *   `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`, 'NotAligned' or
   *   'InvalidAddress' when the root is misaligned or outside the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: X86EptPageTableOptions) {
    super(X86EptPagingMetaData, codecOf(options), handler, options);
  }
}

/**
 * A 5-level EPT table (page-walk length 5; Intel SDM Vol. 3C 29.3): guest-physical addresses in `[0, 2^57)`, the
 * same pages and flags as {@link X86EptPageTable}.
 *
 * @example
 * const ept = new X86Ept5PageTable();
 * ept.cursor().map(0x100_0000_0000_0000n, 0x4000_0000n, PageSize.Size1G, MappingFlags.READ);
 */
export class X86Ept5PageTable extends PageTable64 {
  /**
   * Allocates the EPT PML5 table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live (default: a fresh 16 MiB `PhysicalMemory` at physical 0).
   * @param options the codec's options (`mbec`, ...), a `flushTlb` hook for the cursors' invalidations; `root` (and
   *   `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no frame for the root table; with `root`, 'NotAligned' or
   *   'InvalidAddress' when the root is misaligned or outside the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: X86EptPageTableOptions) {
    super(X86Ept5PagingMetaData, codecOf(options), handler, options);
  }
}
