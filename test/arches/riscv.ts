import {
  Rv32PTE,
  Rv32PTEGStage,
  Rv64PTE,
  Rv64PTEGStage,
  Rv64PTEGStageSvpbmt,
  Rv64PTELegal,
  Rv64PTESvpbmt,
  Rv64PTEXuantie,
  Rv64PTEXuantieLegal,
} from '@page-table-multiarch/entry/riscv';
import {
  Sv32MetaData,
  Sv32PageTable,
  Sv32x4MetaData,
  Sv32x4PageTable,
  Sv39MetaData,
  Sv39PageTable,
  Sv39SvnapotMetaData,
  Sv39x4MetaData,
  Sv39x4PageTable,
  Sv48MetaData,
  Sv48PageTable,
  Sv48PageTableXuantie,
  Sv48SvnapotMetaData,
  Sv48x4MetaData,
  Sv48x4PageTable,
  Sv57MetaData,
  Sv57PageTable,
  Sv57SvnapotMetaData,
  Sv57x4MetaData,
  Sv57x4PageTable,
} from '@page-table-multiarch/riscv';
import type { ArchCase, CodecCase } from '../support/arch-case';

// RAM of QEMU's `virt` machine starts at 0x8000_0000.
const memBase = 0x8000_0000n;

// Sv39: bits 63:39 equal bit 38. Windows of 4 GiB (four gigapages) at both ends of both halves.
const sv39Windows = [
  { base: 0x0n, size: 4n << 30n },
  { base: 0x0000_003f_0000_0000n, size: 4n << 30n },
  { base: 0xffff_ffc0_0000_0000n, size: 4n << 30n },
  { base: 0xffff_ffff_0000_0000n, size: 4n << 30n },
];

// Sv48: bits 63:48 equal bit 47, as x86_64's 4-level paging. Windows of 1 TiB (two terapages).
const sv48Windows = [
  { base: 0x0n, size: 1n << 40n },
  { base: 0x0000_7f00_0000_0000n, size: 1n << 40n },
  { base: 0xffff_8000_0000_0000n, size: 1n << 40n },
  { base: 0xffff_ff00_0000_0000n, size: 1n << 40n },
];

// Sv57: bits 63:57 equal bit 56. Windows of 512 TiB (two petapages), above 2^53 in both halves.
const sv57Windows = [
  { base: 0x0n, size: 1n << 49n },
  { base: 0x00fe_0000_0000_0000n, size: 1n << 49n },
  { base: 0xff00_0000_0000_0000n, size: 1n << 49n },
  { base: 0xfffe_0000_0000_0000n, size: 1n << 49n },
];

// G-stage (Sv39x4, Sv48x4, Sv57x4): guest-physical addresses from 0, no upper half. Windows at both ends of the
// 41-, 50- and 59-bit spaces, so that the first and the last of the root's 2048 entries are used (the last ones
// index the two extra bits, beyond what a 512-entry root would reach).
const sv39x4Windows = [
  { base: 0x0n, size: 4n << 30n },
  { base: (1n << 41n) - (4n << 30n), size: 4n << 30n },
];
const sv48x4Windows = [
  { base: 0x0n, size: 1n << 40n },
  { base: (1n << 50n) - (1n << 40n), size: 1n << 40n },
];
const sv57x4Windows = [
  { base: 0x0n, size: 1n << 49n },
  { base: (1n << 59n) - (1n << 49n), size: 1n << 49n },
];

// Sv32 (RV32): every 32-bit address is valid, physical addresses have 34 bits (above 2^32 included).
const sv32Windows = [
  { base: 0x0n, size: 256n << 20n },
  { base: 0xf000_0000n, size: 256n << 20n },
];

// The tables' codecs are the *Legal forms (leaf permissions the hardware accepts); the model reads the flags a
// leaf gets back through the same codec.
export const cases: ArchCase[] = [
  {
    name: 'riscv-sv39',
    meta: Sv39MetaData,
    pte: Rv64PTELegal,
    create: (handler, options) => new Sv39PageTable(handler, options),
    memBase,
    windows: sv39Windows,
    invalidVa: 0x0000_0040_0000_0000n,
    paBits: 56,
  },
  {
    name: 'riscv-sv48',
    meta: Sv48MetaData,
    pte: Rv64PTELegal,
    create: (handler, options) => new Sv48PageTable(handler, options),
    memBase,
    windows: sv48Windows,
    invalidVa: 0x0000_8000_0000_0000n,
  },
  {
    name: 'riscv-sv57',
    meta: Sv57MetaData,
    pte: Rv64PTELegal,
    create: (handler, options) => new Sv57PageTable(handler, options),
    memBase,
    windows: sv57Windows,
    invalidVa: 0x0100_0000_0000_0000n,
    paBits: 56,
  },
  {
    // Svpbmt memory types (DEVICE as IO, UNCACHED as NC in bits 62:61)
    name: 'riscv-sv39-svpbmt',
    meta: Sv39MetaData,
    pte: Rv64PTESvpbmt,
    create: (handler, options) => new Sv39PageTable(handler, { ...options, svpbmt: true }),
    memBase,
    windows: sv39Windows,
    invalidVa: 0x0000_0040_0000_0000n,
    paBits: 56,
  },
  {
    // Svnapot: 64 KiB NAPOT pages (16 last-level entries, N set), written by map (64 KiB) and mapRegion with runs
    name: 'riscv-sv39-svnapot',
    meta: Sv39SvnapotMetaData,
    pte: Rv64PTELegal,
    create: (handler, options) => new Sv39PageTable(handler, { ...options, svnapot: true }),
    memBase,
    windows: sv39Windows,
    invalidVa: 0x0000_0040_0000_0000n,
    paBits: 56,
  },
  {
    // Svnapot with Svpbmt: N (bit 63) beside PBMT (bits 62:61)
    name: 'riscv-sv48-svnapot-svpbmt',
    meta: Sv48SvnapotMetaData,
    pte: Rv64PTESvpbmt,
    create: (handler, options) => new Sv48PageTable(handler, { ...options, svnapot: true, svpbmt: true }),
    memBase,
    windows: sv48Windows,
    invalidVa: 0x0000_8000_0000_0000n,
  },
  {
    name: 'riscv-sv57-svnapot',
    meta: Sv57SvnapotMetaData,
    pte: Rv64PTELegal,
    create: (handler, options) => new Sv57PageTable(handler, { ...options, svnapot: true }),
    memBase,
    windows: sv57Windows,
    invalidVa: 0x0100_0000_0000_0000n,
    paBits: 56,
  },
  {
    name: 'riscv-sv48-xuantie',
    meta: Sv48MetaData,
    pte: Rv64PTEXuantieLegal,
    create: (handler, options) => new Sv48PageTableXuantie(handler, options),
    memBase,
    windows: sv48Windows,
    invalidVa: 0xffff_7fff_ffff_f000n,
    paBits: 56,
  },
  {
    name: 'riscv-sv32',
    meta: Sv32MetaData,
    pte: Rv32PTE,
    create: (handler, options) => new Sv32PageTable(handler, options),
    memBase,
    windows: sv32Windows,
    invalidVa: 0x1_0000_0000n,
    paBits: 34,
  },
  {
    // 34-bit guest-physical addresses: the top window lies above 2^32, in the root's last entries
    name: 'riscv-sv32x4',
    meta: Sv32x4MetaData,
    pte: Rv32PTEGStage,
    create: (handler, options) => new Sv32x4PageTable(handler, options),
    memBase,
    windows: [
      { base: 0x0n, size: 256n << 20n },
      { base: (1n << 34n) - (256n << 20n), size: 256n << 20n },
    ],
    invalidVa: 1n << 34n,
    paBits: 34,
  },
  {
    name: 'riscv-sv39x4',
    meta: Sv39x4MetaData,
    pte: Rv64PTEGStage,
    create: (handler, options) => new Sv39x4PageTable(handler, options),
    memBase,
    windows: sv39x4Windows,
    invalidVa: 1n << 41n,
    paBits: 56,
  },
  {
    name: 'riscv-sv48x4',
    meta: Sv48x4MetaData,
    pte: Rv64PTEGStage,
    create: (handler, options) => new Sv48x4PageTable(handler, options),
    memBase,
    windows: sv48x4Windows,
    invalidVa: 1n << 50n,
  },
  {
    name: 'riscv-sv57x4',
    meta: Sv57x4MetaData,
    pte: Rv64PTEGStage,
    create: (handler, options) => new Sv57x4PageTable(handler, options),
    memBase,
    windows: sv57x4Windows,
    invalidVa: 0xffff_ffff_ffff_f000n,
    paBits: 56,
  },
];

// The crate's own encodings (the vectors' rows); the codec ignores the level.
export const codecs: CodecCase[] = [
  { type: 'Rv64PTE', variant: 'default', pte: Rv64PTE, levels: [0, 1, 2, 3] },
  { type: 'Rv64PTE', variant: 'xuantie-c9xx', pte: Rv64PTEXuantie, levels: [0, 1, 2, 3] },
  // no crate encodings: packages/riscv/test/gstage.test.ts checks encodings written from the manual
  { type: 'Rv64PTE', variant: 'g-stage', pte: Rv64PTEGStage, levels: [0, 1, 2, 3], vectors: false },
  // no crate encodings either: packages/riscv/test/sv32.test.ts checks encodings written from the manual
  { type: 'Rv32PTE', variant: 'sv32', pte: Rv32PTE, levels: [0, 1], vectors: false },
  // Svpbmt: packages/riscv/test/svpbmt.test.ts checks encodings written from the manual
  { type: 'Rv64PTE', variant: 'svpbmt', pte: Rv64PTESvpbmt, levels: [0, 1, 2, 3], vectors: false },
  { type: 'Rv64PTE', variant: 'g-stage-svpbmt', pte: Rv64PTEGStageSvpbmt, levels: [0, 1, 2, 3], vectors: false },
  { type: 'Rv32PTE', variant: 'g-stage', pte: Rv32PTEGStage, levels: [0, 1], vectors: false },
];
