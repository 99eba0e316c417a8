import { X64PTE } from '@page-table-multiarch/entry/x86_64';
import { X64PagingMetaData, X64PagingMetaData5, X64PageTable, X64PageTable5 } from '@page-table-multiarch/x86_64';
import type { ArchCase, CodecCase } from '../support/arch-case';

export const cases: ArchCase[] = [
  {
    name: 'x86_64',
    meta: X64PagingMetaData,
    pte: X64PTE,
    create: (handler, options) => new X64PageTable(handler, options),
    memBase: 0x20_0000n,
    windows: [
      { base: 0x0n, size: 8n << 30n },
      { base: 0x0000_7ffe_0000_0000n, size: 8n << 30n },
      { base: 0xffff_8000_0000_0000n, size: 8n << 30n },
      { base: 0xffff_fffe_0000_0000n, size: 8n << 30n },
    ],
    invalidVa: 0x0000_8000_0000_0000n,
  },
  {
    name: 'x86_64-la57',
    meta: X64PagingMetaData5,
    pte: X64PTE,
    create: (handler, options) => new X64PageTable5(handler, options),
    memBase: 0x20_0000n,
    windows: [
      { base: 0x0n, size: 8n << 30n },
      { base: 0x00ff_fffe_0000_0000n, size: 8n << 30n },
      { base: 0xff00_0000_0000_0000n, size: 8n << 30n },
      { base: 0xffff_fffe_0000_0000n, size: 8n << 30n },
    ],
    invalidVa: 0x0100_0000_0000_0000n,
  },
];

export const codecs: CodecCase[] = [{ type: 'X64PTE', variant: 'default', pte: X64PTE, levels: [0, 1, 2, 3] }];
