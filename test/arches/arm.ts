import { A32LpaePTE, A32PTE, a32LpaeCodec } from '@page-table-multiarch/entry/arm';
import {
  type A32LpaeTableOptions,
  A32LpaePageTable,
  A32LpaeTtbr1PageTable,
  A32PagingMetaData,
  A32PageTable,
  a32LpaeMetaData,
  lpaeFirstLevel,
} from '@page-table-multiarch/arm';
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
  ...lpaeCases(),
];

/**
 * The long-descriptor tables (TTBCR.EAE = 1) for several TTBCR splits (ARM DDI 0406C.d B3.6.4): TTBR0 over the whole
 * space, TTBR0 and TTBR1 as Linux splits them (T0SZ = 0, T1SZ = 2: a 32-byte level 1 root, and a level 2 root for
 * the top GiB), a 16-byte root (T0SZ = 1), a 2 KiB level 2 root (T0SZ = 3), and a TTBR1 with T1SZ = 0 that starts
 * at level 1 above TTBR0's range. Each window is a part of the range the table translates; `invalidVa` is an address
 * just outside that range.
 */
function lpaeCases(): ArchCase[] {
  const GiB = 1n << 30n;
  const rows: { name: string; ttbr: 0 | 1; t0sz: number; t1sz: number; windows: bigint[][]; invalidVa: bigint }[] = [
    { name: 'arm-lpae', ttbr: 0, t0sz: 0, t1sz: 0, windows: [[0n, GiB], [0xc000_0000n, GiB]], invalidVa: 0x1_0000_0000n },
    { name: 'arm-lpae-ttbr0-t1sz2', ttbr: 0, t0sz: 0, t1sz: 2, windows: [[0n, GiB], [0x8000_0000n, GiB]], invalidVa: 0xc000_0000n },
    { name: 'arm-lpae-ttbr1-t1sz2', ttbr: 1, t0sz: 0, t1sz: 2, windows: [[0xc000_0000n, 512n << 20n], [0xe000_0000n, 512n << 20n]], invalidVa: 0xbfe0_0000n },
    { name: 'arm-lpae-ttbr0-t0sz1', ttbr: 0, t0sz: 1, t1sz: 0, windows: [[0n, GiB], [0x4000_0000n, GiB]], invalidVa: 0x8000_0000n },
    { name: 'arm-lpae-ttbr0-t0sz3', ttbr: 0, t0sz: 3, t1sz: 0, windows: [[0n, 256n << 20n], [0x1000_0000n, 256n << 20n]], invalidVa: 0x2000_0000n },
    { name: 'arm-lpae-ttbr1-t1sz0', ttbr: 1, t0sz: 1, t1sz: 0, windows: [[0x8000_0000n, GiB], [0xc000_0000n, GiB]], invalidVa: 0x7fe0_0000n },
  ];
  return rows.map((r) => {
    const options: A32LpaeTableOptions = { t0sz: r.t0sz, t1sz: r.t1sz };
    return {
      name: r.name,
      meta: a32LpaeMetaData(r),
      pte: a32LpaeCodec({ firstLevel: lpaeFirstLevel(r.ttbr === 0 ? r.t0sz : r.t1sz) }),
      create: (handler, opts) =>
        r.ttbr === 0 ? new A32LpaePageTable(handler, { ...opts, ...options }) : new A32LpaeTtbr1PageTable(handler, { ...opts, ...options }),
      memBase: 0x4000_0000n,
      windows: r.windows.map(([base, size]) => ({ base: base!, size: size! })),
      invalidVa: r.invalidVa,
    };
  });
}

// The crate's encodings: huge rows are L1 Sections, small rows L2 Small pages, tables L1 Page table
// descriptors; decoding needs the level, so the agreement property runs at both.
export const codecs: CodecCase[] = [
  { type: 'A32PTE', variant: 'default', pte: A32PTE, levels: [0, 1], pageLevel: (huge) => (huge ? 0 : 1), tableLevel: 0 },
  // the long-descriptor codecs for a root at lookup level 1 and at level 2 (their encodings are checked against the
  // manual in packages/entry/test/arm-lpae.test.ts; the crate has no such format)
  { type: 'A32LpaePTE', variant: 'level-1', pte: A32LpaePTE, levels: [0, 1, 2], vectors: false },
  { type: 'A32LpaePTE', variant: 'level-2', pte: a32LpaeCodec({ firstLevel: 2 }), levels: [0, 1], vectors: false },
];
