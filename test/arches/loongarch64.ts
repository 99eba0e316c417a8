import { LA64PTE } from '@page-table-multiarch/entry/loongarch64';
import { LA64MetaData, LA64PageTable } from '@page-table-multiarch/loongarch64';
import type { ArchCase, CodecCase } from '../support/arch-case';

export const cases: ArchCase[] = [
  {
    name: 'loongarch64',
    meta: LA64MetaData,
    pte: LA64PTE,
    create: (handler, options) => new LA64PageTable(handler, options),
    // Not 0: a table entry is the bare physical address, so a table at physical 0 would read as an empty entry.
    memBase: 0x20_0000n,
    windows: [
      { base: 0x0n, size: 8n << 30n },
      { base: 0x0000_7ffe_0000_0000n, size: 8n << 30n },
      { base: 0xffff_8000_0000_0000n, size: 8n << 30n },
      { base: 0xffff_fffe_0000_0000n, size: 8n << 30n },
    ],
    invalidVa: 0x0000_8000_0000_0000n,
  },
];

// The encodings of new_page / new_table do not depend on the level; the rows are checked where the tables
// write them: huge pages in a directory (level 2 holds 2 MiB pages), others at the last level, tables at the root.
export const codecs: CodecCase[] = [
  {
    type: 'LA64PTE',
    variant: 'default',
    pte: LA64PTE,
    pageLevel: (isHuge) => (isHuge ? 2 : 3),
    tableLevel: 0,
    levels: [0, 1, 2, 3],
  },
];
