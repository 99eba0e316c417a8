import { A64PTE, A64PTEEl2, A64PTEEl2ImpliedRead, A64PTEImpliedRead, a64Codec } from '@page-table-multiarch/entry/aarch64';
import {
  type A64Granule,
  type A64Half,
  type A64TableOptions,
  A64PagingMetaData,
  A64PageTable,
  A64PageTableEl2,
  a64MetaData,
} from '@page-table-multiarch/aarch64';
import { type PageTableOptions, type PagingHandler, PhysicalMemory } from '@page-table-multiarch/core';
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

// Linux's MAIR_EL1 (arch/arm64/mm/proc.S MAIR_EL1_SET with the MT_* indices of arch/arm64/include/asm/memory.h):
// Attr0 0xff Normal, Attr1 0xff Normal (tagged), Attr2 0x44 Normal-NC, Attr3 0x00 Device-nGnRnE, Attr4 0x04 Device-nGnRE.
const LINUX_MAIR = 0x0000_0004_0044_ffffn;

/** One row per granule x width x half that the shared suites run over (windows inside the range each serves). */
function granuleRow(name: string, granule: A64Granule, vaBits: number, half: A64Half, options: A64TableOptions = {}): ArchCase {
  const paBits = options.paBits ?? 48;
  const meta = a64MetaData(granule, vaBits, half, paBits);
  const top = 1n << 64n;
  const span = 1n << BigInt(vaBits);
  // room for the largest block (512 MiB with 64 KiB, 1 GiB with 4 KiB; with 52-bit output addresses 4 TiB, 512 GiB
  // and 64 GiB) and a few of them
  const largest = BigInt(Math.max(...meta.leafLevels.map((l) => meta.levelSize[l]!)));
  const size = largest * 8n > 8n << 30n ? largest * 8n : 8n << 30n;
  const lower = [
    { base: 0n, size },
    { base: span - size, size },
  ];
  const upper = [
    { base: top - span, size },
    { base: top - size, size },
  ];
  const windows = half === 'lower' ? lower : half === 'upper' ? upper : [lower[0]!, upper[1]!];
  const create = (handler: PagingHandler, o?: PageTableOptions) => new A64PageTable(handler, { ...o, ...options, granule, vaBits, half });
  return {
    name,
    meta,
    pte: new A64PageTable(new PhysicalMemory({ size: 1 << 20 }), { ...options, granule, vaBits, half }).format.codec,
    create,
    memBase: 0x4000_0000n,
    windows,
    // the other range, or the first address above the lower range
    invalidVa: half === 'lower' ? top - 0x1_0000n : half === 'upper' ? 0x1_0000n : span,
    // output addresses up to 2^52 - 1 for the 52-bit formats (FEAT_LPA, FEAT_LPA2)
    ...(paBits === 52 ? { paBits: 52 } : {}),
  };
}

cases.push(
  granuleRow('aarch64-4k39', 4, 39, 'both'),
  granuleRow('aarch64-16k47-upper', 16, 47, 'upper', { mair: LINUX_MAIR, nonGlobal: 'user' }),
  granuleRow('aarch64-16k48', 16, 48, 'both'),
  granuleRow('aarch64-64k42-lower', 64, 42, 'lower', { mair: LINUX_MAIR }),
  granuleRow('aarch64-64k48', 64, 48, 'both', { nonGlobal: 'all' }),
  granuleRow('aarch64-4k48-upper', 4, 48, 'upper', { mair: LINUX_MAIR }),
  granuleRow('aarch64-4k48-lower', 4, 48, 'lower'),
  // 52-bit: FEAT_LPA2 (TCR_ELx.DS = 1) from lookup level -1 with 4 KiB and 32 level-0 entries with 16 KiB; FEAT_LPA
  // with FEAT_LVA for 64 KiB (1024 level-1 entries, 4 TiB blocks)
  granuleRow('aarch64-4k52-lpa2-upper', 4, 52, 'upper', { paBits: 52, mair: LINUX_MAIR }),
  granuleRow('aarch64-16k52-lpa2', 16, 52, 'both', { paBits: 52 }),
  granuleRow('aarch64-64k52-lpa-lower', 64, 52, 'lower', { paBits: 52, nonGlobal: 'user' }),
);

// The 52-bit codecs have no crate vectors (the crate has no 52-bit format): the words suite checks them against their
// bigint methods at every level of their tables.
codecs.push(
  { type: 'a64Codec', variant: '4k52-lpa2', pte: a64Codec({ granule: 4, startLevel: -1, paBits: 52 }), levels: [1, 2, 3, 4], vectors: false },
  { type: 'a64Codec', variant: '16k52-lpa2', pte: a64Codec({ granule: 16, paBits: 52 }), levels: [1, 2, 3], vectors: false },
  { type: 'a64Codec', variant: '64k52-lpa', pte: a64Codec({ granule: 64, paBits: 52 }), levels: [0, 1, 2], vectors: false },
);
