// x86 32-bit paging (with and without CR4.PSE) and PAE paging (with and without IA32_EFER.NXE): 32-bit linear
// addresses, no upper half; PAE's root is the 4-entry, 32-byte PDPT.
import { x86PaeCodec, x86Pte32Codec } from '@page-table-multiarch/entry/x86_64';
import {
  X86PagingMetaData32,
  X86PagingMetaData32NoPse,
  X86PaePagingMetaData,
  X86PageTable32,
  X86PaePageTable,
} from '@page-table-multiarch/x86_64';
import type { ArchCase, CodecCase } from '../support/arch-case';

// the bottom of the space and the top GiB, where a 32-bit kernel usually lives
const windows = [
  { base: 0x0n, size: 64n << 20n },
  { base: 0xc000_0000n, size: 64n << 20n },
];

export const cases: ArchCase[] = [
  {
    name: 'x86-32',
    meta: X86PagingMetaData32,
    pte: x86Pte32Codec(),
    create: (handler, options) => new X86PageTable32(handler, options),
    memBase: 0x10_0000n,
    windows,
    invalidVa: 0x1_0000_0000n,
  },
  {
    name: 'x86-32-nopse',
    meta: X86PagingMetaData32NoPse,
    pte: x86Pte32Codec({ pse: false }),
    create: (handler, options) => new X86PageTable32(handler, { ...options, pse: false }),
    memBase: 0x10_0000n,
    // not from 0: with 4 KiB pages only, the range tests reach below their first window's base
    windows: [{ base: 0x40_0000n, size: 64n << 20n }, windows[1]!],
    invalidVa: 0x1_0000_0000n,
  },
  {
    name: 'x86-pae',
    meta: X86PaePagingMetaData,
    pte: x86PaeCodec(),
    create: (handler, options) => new X86PaePageTable(handler, options),
    memBase: 0x10_0000n,
    windows,
    invalidVa: 0x1_0000_0000n,
  },
  {
    name: 'x86-pae-nonx',
    meta: X86PaePagingMetaData,
    pte: x86PaeCodec({ nxe: false }),
    create: (handler, options) => new X86PaePageTable(handler, { ...options, nxe: false }),
    memBase: 0x10_0000n,
    windows,
    invalidVa: 0x1_0000_0000n,
  },
];

// Huge rows are PDEs (level 0 of 32-bit paging, level 1 of PAE), small rows PTEs, tables PDEs pointing at page
// tables. Their encodings are checked against the SDM tables in packages/entry/test/x86-legacy.test.ts (the crate
// has no such format, so test/vectors has no rows for them).
export const codecs: CodecCase[] = [
  { type: 'X86PTE32', variant: 'pse', pte: x86Pte32Codec(), levels: [0, 1], pageLevel: (huge) => (huge ? 0 : 1), tableLevel: 0, vectors: false },
  { type: 'X86PTE32', variant: 'no-pse', pte: x86Pte32Codec({ pse: false }), levels: [0, 1], pageLevel: () => 1, tableLevel: 0, vectors: false },
  { type: 'X86PaePTE', variant: 'nxe', pte: x86PaeCodec(), levels: [0, 1, 2], pageLevel: (huge) => (huge ? 1 : 2), tableLevel: 1, vectors: false },
  { type: 'X86PaePTE', variant: 'no-nxe', pte: x86PaeCodec({ nxe: false }), levels: [0, 1, 2], pageLevel: (huge) => (huge ? 1 : 2), tableLevel: 1, vectors: false },
];
