import { A64PTE, A64PTEEl2, A64PTEEl2ImpliedRead, A64PTEImpliedRead } from '@page-table-multiarch/entry/aarch64';
import { A64PagingMetaData, A64PageTable, A64PageTableEl2 } from '@page-table-multiarch/aarch64';
import type { ArchCase, CodecCase } from '../support/arch-case';

// Windows: the bottom of the TTBR0 range, its top half (bit 47 set, still a lower-half address on
// AArch64), and two in the TTBR1 range. None share index-space addresses with another.
const windows = [
  { base: 0x0n, size: 8n << 30n },
  { base: 0x0000_8000_0000_0000n, size: 8n << 30n },
  { base: 0xffff_ff80_0000_0000n, size: 8n << 30n },
  { base: 0xffff_fffe_0000_0000n, size: 8n << 30n },
];

export const cases: ArchCase[] = [
  {
    name: 'aarch64',
    meta: A64PagingMetaData,
    // the codec the table writes with (READ implied for non-empty sets), so the model reads back what it does
    pte: A64PTEImpliedRead,
    create: (handler, options) => new A64PageTable(handler, options),
    memBase: 0x4000_0000n, // QEMU virt's RAM
    windows,
    invalidVa: 0x0001_0000_0000_0000n,
  },
  {
    name: 'aarch64-el2',
    meta: A64PagingMetaData,
    pte: A64PTEEl2ImpliedRead,
    create: (handler, options) => new A64PageTableEl2(handler, options),
    memBase: 0x4000_0000n,
    windows,
    invalidVa: 0x0001_0000_0000_0000n,
  },
];

// The levels that hold leaves. Level 0 holds none with the 4 KiB granule: a block descriptor there is
// invalid (AArch64.BlockDescSupported()), so the shared "every READ set writes a present entry at every
// listed level" check cannot include it; packages/aarch64/test runs the word/bigint agreement at level 0.
export const codecs: CodecCase[] = [
  { type: 'A64PTE', variant: 'default', pte: A64PTE, levels: [1, 2, 3] },
  { type: 'A64PTE', variant: 'arm-el2', pte: A64PTEEl2, levels: [1, 2, 3] },
];
