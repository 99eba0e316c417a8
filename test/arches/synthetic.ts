// Formats that exist only here, run through every shared suite to show that core takes any geometry as data
// (nothing in packages/core knows them): a 16 KiB granule with 3 levels of 2048-entry tables, a 3-level 32-bit
// format whose root is a 4-entry, 32-byte table (the shape of x86 PAE paging), smaller than a frame, and a format
// with runs of entries (a hint bit joining aligned identical leaves).
import { defineMetaData, PageTable64 } from '@page-table-multiarch/core';
import type { ArchCase, CodecCase } from '../support/arch-case';
import { syntheticCodec, syntheticRunCodec } from '../support/synthetic';

const Granule16K = defineMetaData({
  name: 'synthetic-16k',
  paMaxBits: 48,
  pageShift: 14,
  indexBits: [11, 11, 11], // 47-bit addresses; tables of 2048 8-byte entries, 16 KiB
  entryBytes: 8,
  leafLevels: [1, 2], // 32 MiB blocks and 16 KiB pages
  vaTopBit: 46,
  upperHalf: true,
  signExtend: true,
});
const Codec16K = syntheticCodec(14);

const SmallRoot = defineMetaData({
  name: 'synthetic-32b-root',
  paMaxBits: 48,
  pageShift: 12,
  indexBits: [2, 9, 9], // a 4-entry root (32 bytes), then 4 KiB tables: 32-bit addresses
  entryBytes: 8,
  leafLevels: [1, 2], // 2 MiB and 4 KiB pages
  vaTopBit: 32,
  upperHalf: false,
  signExtend: false,
});
const Codec4K = syntheticCodec(12);

// A format with runs (core's notion behind AArch64's Contiguous bit and RISC-V's Svnapot) whose codec has no word
// form: runs of 8 blocks of 2 MiB and of 32 pages of 4 KiB, which map also takes as pages (runPages).
const Runs = defineMetaData({
  name: 'synthetic-runs',
  paMaxBits: 48,
  pageShift: 12,
  indexBits: [9, 9, 9],
  entryBytes: 8,
  leafLevels: [1, 2],
  runBits: [0, 3, 5],
  runPages: true,
  vaTopBit: 39,
  upperHalf: false,
  signExtend: false,
});
const RunCodec = syntheticRunCodec();

export const cases: ArchCase[] = [
  {
    name: 'synthetic-runs',
    meta: Runs,
    pte: RunCodec,
    create: (handler, options) => new PageTable64(Runs, RunCodec, handler, options),
    memBase: 0x4000_0000n,
    windows: [
      { base: 0x0n, size: 1n << 30n },
      { base: 0x7f_c000_0000n, size: 1n << 30n },
    ],
    invalidVa: 0x80_0000_0000n,
  },
  {
    name: 'synthetic-16k',
    meta: Granule16K,
    pte: Codec16K,
    create: (handler, options) => new PageTable64(Granule16K, Codec16K, handler, options),
    memBase: 0x4000_0000n,
    windows: [
      { base: 0x0n, size: 1n << 30n },
      { base: 0x0000_3fff_c000_0000n, size: 1n << 30n },
      { base: 0xffff_c000_0000_0000n, size: 1n << 30n },
      { base: 0xffff_ffff_c000_0000n, size: 1n << 30n },
    ],
    invalidVa: 0x0000_4000_0000_0000n,
  },
  {
    name: 'synthetic-32b-root',
    meta: SmallRoot,
    pte: Codec4K,
    create: (handler, options) => new PageTable64(SmallRoot, Codec4K, handler, options),
    memBase: 0x10_0000n,
    windows: [
      { base: 0x0n, size: 256n << 20n },
      { base: 0xc000_0000n, size: 256n << 20n },
    ],
    invalidVa: 0x1_0000_0000n,
  },
];

// No reference encodings (no manual defines these formats): the word/bigint agreement and layout checks run on them.
export const codecs: CodecCase[] = [
  { type: 'synthetic', variant: '16k', pte: Codec16K, levels: [0, 1, 2], vectors: false },
  { type: 'synthetic', variant: '4k', pte: Codec4K, levels: [0, 1, 2], vectors: false },
  { type: 'synthetic', variant: 'runs', pte: RunCodec, levels: [0, 1, 2], vectors: false },
];
