import { la64Codec, LA64PTE } from '@page-table-multiarch/entry/loongarch64';
import { type LA64Half, LA64MetaData, LA64PageTable, la64MetaData, type LA64PageKiB } from '@page-table-multiarch/loongarch64';
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

/** A row of 16 KiB or 64 KiB pages serving `half`, with windows at both ends of each half it serves. */
function pagesRow(pageKiB: LA64PageKiB, levels: number, half: LA64Half): ArchCase {
  const meta = la64MetaData(pageKiB, levels, half);
  const top = 1n << 64n;
  // the range of one half: 2^47 when the table covers both halves (VALEN = 48, 5.2), else its own bits
  const span = 1n << BigInt(half === 'both' ? 47 : meta.vaMaxBits);
  // room for several of the largest huge pages (512 MiB with 64 KiB pages)
  const size = 8n << 30n;
  const lower = [
    { base: 0n, size },
    { base: span - size, size },
  ];
  const upper = [
    { base: top - span, size },
    { base: top - size, size },
  ];
  return {
    name: `loongarch64-${pageKiB}k${levels}${half === 'both' ? '' : `-${half}`}`,
    meta,
    pte: la64Codec(levels as 2 | 3),
    create: (handler, options) => new LA64PageTable(handler, { ...options, pageKiB, levels, half }),
    memBase: 0x20_0000n,
    windows: half === 'lower' ? lower : half === 'upper' ? upper : [...lower, ...upper],
    // the other half, or the first address above the lower half (for 'upper' 64K/2: an alias the walker would take)
    invalidVa: half === 'upper' ? (meta.vaMaxBits < 47 ? top - (1n << 47n) : 0x1_0000n) : span,
  };
}

cases.push(pagesRow(16, 3, 'lower'), pagesRow(16, 3, 'upper'), pagesRow(64, 2, 'upper'), pagesRow(64, 3, 'both'));

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
  // the codecs of the 3- and 2-level tables write the same bits (5.4.5): huge pages in the PMD, pages in the PT
  { type: 'LA64PTE', variant: 'default', pte: la64Codec(3), pageLevel: (isHuge) => (isHuge ? 1 : 2), tableLevel: 0, levels: [0, 1, 2] },
  { type: 'LA64PTE', variant: 'default', pte: la64Codec(2), pageLevel: (isHuge) => (isHuge ? 0 : 1), tableLevel: 0, levels: [0, 1] },
];
