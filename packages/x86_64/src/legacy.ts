// x86 32-bit paging and PAE paging: their geometry and their table types, beside the 4-level and 5-level ones.
// Source: Intel SDM Vol. 3A (325462):
// - 4.3 "32-Bit Paging": a 4 KiB page directory of 1024 4-byte PDEs indexed by linear address bits 31:22, each a
//   4 MiB page (with CR4.PSE = 1 and PS set, Table 4-4) or a pointer to a page table of 1024 PTEs indexed by bits
//   21:12 (Tables 4-5, 4-6). Without CR4.PSE, bit 7 of a PDE is ignored: no 4 MiB pages.
// - 4.4 "PAE Paging": a 32-byte page-directory-pointer table of 4 PDPTEs indexed by bits 31:30 (4.4.1: CR3 bits 31:5
//   locate it, so it is aligned to 32 bytes), page directories of 512 8-byte PDEs (bits 29:21, 2 MiB pages with PS,
//   Table 4-9) and page tables of 512 PTEs (bits 20:12). Linear addresses are 32 bits; physical addresses up to
//   MAXPHYADDR (52 at most).
import {
  defineMetaData,
  type PageTableOptions,
  PageTable32,
  PageTable64,
  type PagingHandler,
  type PagingMetaData,
} from '@page-table-multiarch/core';
import { x86PaeCodec, x86Pte32Codec } from '@page-table-multiarch/entry/x86_64';

/**
 * x86 32-bit paging with CR4.PSE = 1 (Intel SDM Vol. 3A 4.3): a page directory and page tables of 1024 4-byte
 * entries, 4 MiB pages (PDE with PS) and 4 KiB pages, 32-bit linear addresses. Tables built here hold physical
 * addresses below 4 GiB (a PTE has 20 address bits, Table 4-6); the codec reads the PSE-36 bits of a 4 MiB page
 * (physical bits 39:32, Table 4-4) in tables built elsewhere.
 */
export const X86PagingMetaData32: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'x86-32',
  paMaxBits: 32,
  pageShift: 12,
  indexBits: [10, 10],
  entryBytes: 4,
  leafLevels: [0, 1],
  vaTopBit: 32,
  upperHalf: false,
  signExtend: false,
});

/** x86 32-bit paging with CR4.PSE = 0 (4.3): as {@link X86PagingMetaData32}, with 4 KiB pages only. */
export const X86PagingMetaData32NoPse: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'x86-32 (no PSE)',
  paMaxBits: 32,
  pageShift: 12,
  indexBits: [10, 10],
  entryBytes: 4,
  leafLevels: [1],
  vaTopBit: 32,
  upperHalf: false,
  signExtend: false,
});

/**
 * x86 PAE paging (Intel SDM Vol. 3A 4.4): a 4-entry, 32-byte page-directory-pointer table as the root, page
 * directories and page tables of 512 8-byte entries, 2 MiB and 4 KiB pages, 32-bit linear addresses (an address of
 * 4 GiB or more is not valid), 52-bit physical addresses.
 */
export const X86PaePagingMetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'x86-pae',
  paMaxBits: 52,
  pageShift: 12,
  indexBits: [2, 9, 9],
  entryBytes: 8,
  tableBytes: [32, 4096, 4096],
  leafLevels: [1, 2],
  vaTopBit: 32,
  upperHalf: false,
  signExtend: false,
});

/** Options of {@link X86PageTable32}: CR4.PSE, and those of every table. */
export interface X86PageTable32Options extends PageTableOptions {
  /** CR4.PSE (default true): 4 MiB pages. Without it a 4 MiB page is 'UnsupportedPageSize' and bit 7 of a PDE is ignored. */
  readonly pse?: boolean;
}

/** Options of {@link X86PaePageTable}: IA32_EFER.NXE, and those of every table. */
export interface X86PaePageTableOptions extends PageTableOptions {
  /**
   * IA32_EFER.NXE (default true): pages without EXECUTE get XD (bit 63). Without it bit 63 is reserved (4.4.2),
   * never written, and every page is executable.
   */
  readonly nxe?: boolean;
}

/**
 * An x86 32-bit paging table (CR0.PG = 1, CR4.PAE = 0; Intel SDM Vol. 3A 4.3): the page directory CR3 points at,
 * 4 MiB pages (`PageSize.Size4M`, with CR4.PSE, the default) and 4 KiB pages. There is no execute-disable bit: every
 * page is executable. Physical addresses are below 4 GiB. Without a handler it lives in a fresh PhysicalMemory.
 *
 * @example
 * const table = new X86PageTable32(new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 }));
 * using cursor = table.cursor();
 * cursor.map(0xc040_0000n, 0x80_0000n, PageSize.Size4M, MappingFlags.READ | MappingFlags.WRITE);
 * table.query(0xc041_2345n); // { paddr: 0x812345n, flags: 7, size: 4194304 }
 */
export class X86PageTable32 extends PageTable32 {
  /**
   * Allocates the page directory in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live (default: a fresh 16 MiB `PhysicalMemory` at physical 0).
   * @param options `pse` (CR4.PSE), a `flushTlb` hook for the cursors' TLB invalidations; `root` (and `writable`) to
   *   attach.
   * @throws PagingError 'NoMemory' when the handler has no frame for the page directory; with `root`, 'NotAligned'
   *   or 'InvalidAddress' when the root is misaligned or outside the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: X86PageTable32Options) {
    const pse = options?.pse !== false;
    super(pse ? X86PagingMetaData32 : X86PagingMetaData32NoPse, x86Pte32Codec({ pse }), handler, options);
  }
}

/**
 * An x86 PAE paging table (CR0.PG = 1, CR4.PAE = 1, IA32_EFER.LME = 0; Intel SDM Vol. 3A 4.4): the 32-byte
 * page-directory-pointer table CR3 points at (four to a frame when several tables share a handler), 2 MiB pages
 * (`PageSize.Size2M`) and 4 KiB pages, physical addresses up to 52 bits, XD with IA32_EFER.NXE (the default). A
 * linear address of 4 GiB or more is 'InvalidAddress'. Without a handler it lives in a fresh PhysicalMemory.
 *
 * @example
 * const table = new X86PaePageTable(new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 }));
 * using cursor = table.cursor();
 * cursor.map(0xc000_0000n, 0x2_0000_0000n, PageSize.Size2M, MappingFlags.READ);
 * table.query(0xc000_1234n); // { paddr: 0x200001234n, flags: 1, size: 2097152 }
 */
export class X86PaePageTable extends PageTable64 {
  /**
   * Allocates the page-directory-pointer table in `handler`, or attaches to an existing one with `options.root`.
   * @param handler where the tables live (default: a fresh 16 MiB `PhysicalMemory` at physical 0).
   * @param options `nxe` (IA32_EFER.NXE), a `flushTlb` hook for the cursors' TLB invalidations; `root` (and
   *   `writable`) to attach.
   * @throws PagingError 'NoMemory' when the handler has no room for the root table; with `root`, 'NotAligned' when
   *   it is not 32-byte aligned, 'InvalidAddress' when it is outside the handler's memory.
   */
  constructor(handler?: PagingHandler, options?: X86PaePageTableOptions) {
    super(X86PaePagingMetaData, x86PaeCodec({ nxe: options?.nxe !== false }), handler, options);
  }
}
