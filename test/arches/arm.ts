import { A32PTE } from '@page-table-multiarch/entry/arm';
import { A32PagingMetaData, A32PageTable } from '@page-table-multiarch/arm';
import type { ArchCase, CodecCase } from '../support/arch-case';

export const cases: ArchCase[] = [
  {
    name: 'arm',
    meta: A32PagingMetaData,
    pte: A32PTE,
    create: (handler, options) => new A32PageTable(handler, options),
    memBase: 0x4000_0000n, // QEMU virt's RAM
    // the 32-bit space has no upper half: the bottom and the kernel's usual 0xc000_0000 split
    windows: [
      { base: 0x0n, size: 64n << 20n },
      { base: 0xc000_0000n, size: 64n << 20n },
    ],
    // every 32-bit virtual address is valid; the first one past them is not
    invalidVa: 0x1_0000_0000n,
  },
];

// The crate's encodings: huge rows are L1 Sections, small rows L2 Small pages, tables L1 Page table
// descriptors; decoding needs the level, so the agreement property runs at both.
export const codecs: CodecCase[] = [
  { type: 'A32PTE', variant: 'default', pte: A32PTE, levels: [0, 1], pageLevel: (huge) => (huge ? 0 : 1), tableLevel: 0 },
];
