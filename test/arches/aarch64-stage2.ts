import {
  A64Stage2PageTable,
  A64Stage2PageTable4K40,
  A64Stage2PageTable16K40,
  type A64Granule,
  type A64Stage2TableOptions,
  a64Stage2MetaData,
} from '@page-table-multiarch/aarch64';
import { MappingFlags, type PageTableOptions, type PagingHandler, PhysicalMemory } from '@page-table-multiarch/core';
import type { ArchCase, CodecCase } from '../support/arch-case';

/**
 * One row per stage 2 format: IPAs from 0 (windows at both ends of the IPA space, so that the first and the last
 * entries of a concatenated root are used), USER refused, and the first IPA above the input size invalid.
 */
function stage2Row(name: string, granule: A64Granule, ipaBits: number, options: A64Stage2TableOptions = {}): ArchCase {
  const full = { ...options, granule, ipaBits };
  const meta = a64Stage2MetaData(granule, ipaBits, options.startLevel, options.paBits);
  const span = 1n << BigInt(ipaBits);
  // room for the largest block (1 GiB with 4 KiB, 512 MiB with 64 KiB) and a few of them, or the whole space
  const size = span < 16n << 30n ? span / 2n : 8n << 30n;
  return {
    name,
    meta,
    pte: new A64Stage2PageTable(new PhysicalMemory({ size: 2 << 20 }), full).format.codec,
    create: (handler: PagingHandler, o?: PageTableOptions) => new A64Stage2PageTable(handler, { ...o, ...full }),
    memBase: 0x4000_0000n,
    windows: [
      { base: 0n, size },
      { base: span - size, size },
    ],
    invalidVa: span,
    refusedFlags: MappingFlags.USER,
  };
}

export const cases: ArchCase[] = [
  {
    name: 'aarch64-stage2-4k40',
    meta: a64Stage2MetaData(4, 40),
    pte: new A64Stage2PageTable4K40(new PhysicalMemory({ size: 1 << 20 })).format.codec,
    create: (handler, options) => new A64Stage2PageTable4K40(handler, options),
    memBase: 0x4000_0000n,
    windows: [
      { base: 0n, size: 8n << 30n },
      { base: (1n << 40n) - (8n << 30n), size: 8n << 30n },
    ],
    invalidVa: 1n << 40n,
    refusedFlags: MappingFlags.USER,
  },
  {
    name: 'aarch64-stage2-16k40',
    meta: a64Stage2MetaData(16, 40),
    pte: new A64Stage2PageTable16K40(new PhysicalMemory({ size: 1 << 20 })).format.codec,
    create: (handler, options) => new A64Stage2PageTable16K40(handler, options),
    memBase: 0x4000_0000n,
    windows: [
      { base: 0n, size: 8n << 30n },
      { base: (1n << 40n) - (8n << 30n), size: 8n << 30n },
    ],
    invalidVa: 1n << 40n,
    refusedFlags: MappingFlags.USER,
  },
  // 64 KiB, 43 bits from level 2 with 2 concatenated tables (16384 entries), 40-bit output addresses
  stage2Row('aarch64-stage2-64k43', 64, 43, { paBits: 40 }),
  // 4 KiB, 48 bits from level 0 (no concatenation), read with FEAT_XNX
  stage2Row('aarch64-stage2-4k48-xnx', 4, 48, { xnx: true }),
  // 4 KiB, 33 bits from level 2 with 8 concatenated tables
  stage2Row('aarch64-stage2-4k33-l2', 4, 33, { startLevel: 2 }),
  // 16 KiB, 30 bits: a root of 32 entries at level 2, below the 32-bit space
  stage2Row('aarch64-stage2-16k30', 16, 30),
];

export const codecs: CodecCase[] = [];
