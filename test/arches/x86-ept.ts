// Intel EPT, 4-level and 5-level (SDM Vol. 3C 29.3.2): guest-physical addresses from 0 up to 2^48 (2^57), no upper
// half and no canonical rule; with and without mode-based execute control (MBEC), which gives USER a meaning.
import { x86EptCodec } from '@page-table-multiarch/entry/x86_64';
import { X86Ept5PageTable, X86Ept5PagingMetaData, X86EptPageTable, X86EptPagingMetaData } from '@page-table-multiarch/x86_64';
import type { ArchCase, CodecCase } from '../support/arch-case';

// both ends of the space, so that the first and the last root entries are used
const ept4Windows = [
  { base: 0x0n, size: 8n << 30n },
  { base: (1n << 48n) - (8n << 30n), size: 8n << 30n },
];
const ept5Windows = [
  { base: 0x0n, size: 8n << 30n },
  { base: (1n << 57n) - (8n << 30n), size: 8n << 30n },
];

export const cases: ArchCase[] = [
  {
    name: 'x86-ept',
    meta: X86EptPagingMetaData,
    pte: x86EptCodec(),
    create: (handler, options) => new X86EptPageTable(handler, options),
    memBase: 0x20_0000n,
    windows: ept4Windows,
    invalidVa: 1n << 48n,
  },
  {
    name: 'x86-ept-mbec',
    meta: X86EptPagingMetaData,
    pte: x86EptCodec({ mbec: true }),
    create: (handler, options) => new X86EptPageTable(handler, { ...options, mbec: true }),
    memBase: 0x20_0000n,
    windows: ept4Windows,
    invalidVa: 0xffff_8000_0000_0000n,
  },
  {
    name: 'x86-ept5',
    meta: X86Ept5PagingMetaData,
    pte: x86EptCodec(),
    create: (handler, options) => new X86Ept5PageTable(handler, options),
    memBase: 0x20_0000n,
    windows: ept5Windows,
    invalidVa: 1n << 57n,
  },
];

// The crate has no EPT: the encodings are checked against the SDM tables in packages/entry/test/x86-ept.test.ts.
export const codecs: CodecCase[] = [
  { type: 'X86EptPTE', variant: 'default', pte: x86EptCodec(), levels: [0, 1, 2, 3, 4], vectors: false },
  { type: 'X86EptPTE', variant: 'mbec', pte: x86EptCodec({ mbec: true }), levels: [0, 1, 2, 3, 4], vectors: false },
  {
    type: 'X86EptPTE',
    variant: 'no-execute-only, ignore-pat, suppress-ve',
    pte: x86EptCodec({ executeOnly: false, ignorePat: true, suppressVe: true }),
    levels: [0, 1, 2, 3],
    vectors: false,
  },
];
