// Geometry of the RISC-V page-based virtual-memory systems for SXLEN = 64.
// Source: The RISC-V Instruction Set Manual, Volume II: Privileged Architecture (20211203), chapter
// "Supervisor-Level ISA, Version 1.12", sections "Sv39: Page-Based 39-bit Virtual-Memory System" and
// "Sv48: Page-Based 48-bit Virtual-Memory System" and "Sv57: Page-Based 57-bit Virtual-Memory System", subsections
// "Addressing and Memory Protection". Any level of PTE may be a leaf (Sv48: "in addition to 4 KiB pages, Sv48 supports
// 2 MiB megapages, 1 GiB gigapages, and 512 GiB terapages"; Sv57 adds 256 TiB petapages).
import { defineMetaData, type PagingMetaData } from '@page-table-multiarch/core';

/**
 * Sv39: three levels of 512 8-byte entries, 39-bit virtual addresses whose bits 63:39 all equal bit 38 (bit 38 set
 * is the upper half, `0xffff_ffc0_0000_0000` and up), a 44-bit PPN (56-bit physical addresses), and leaves at every
 * level: 1 GiB gigapages in the root (level 0), 2 MiB megapages (level 1), 4 KiB pages (level 2).
 */
export const Sv39MetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'Sv39',
  paMaxBits: 56,
  pageShift: 12,
  indexBits: [9, 9, 9],
  entryBytes: 8,
  leafLevels: [0, 1, 2],
  vaTopBit: 38,
  upperHalf: true,
  signExtend: true,
});

/**
 * Sv48: four levels of 512 8-byte entries, 48-bit virtual addresses whose bits 63:48 all equal bit 47 (upper half
 * from `0xffff_8000_0000_0000`), 56-bit physical addresses, leaves of 512 GiB (terapages, level 0), 1 GiB (level 1),
 * 2 MiB (level 2) and 4 KiB (level 3).
 */
export const Sv48MetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'Sv48',
  paMaxBits: 56,
  pageShift: 12,
  indexBits: [9, 9, 9, 9],
  entryBytes: 8,
  leafLevels: [0, 1, 2, 3],
  vaTopBit: 47,
  upperHalf: true,
  signExtend: true,
});

/**
 * Sv57: five levels of 512 8-byte entries, 57-bit virtual addresses whose bits 63:57 all equal bit 56 (upper half
 * from `0xff00_0000_0000_0000`), 56-bit physical addresses, leaves at every level: 256 TiB petapages (level 0),
 * 512 GiB terapages, 1 GiB, 2 MiB and 4 KiB (level 4). `satp` MODE 10.
 */
export const Sv57MetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'Sv57',
  paMaxBits: 56,
  pageShift: 12,
  indexBits: [9, 9, 9, 9, 9],
  entryBytes: 8,
  leafLevels: [0, 1, 2, 3, 4],
  vaTopBit: 56,
  upperHalf: true,
  signExtend: true,
});

// Svnapot: the same formats, where the hart has Svnapot. Source: the same manual (20240411 and later), chapter
// "Svnapot Standard Extension for NAPOT Translation Contiguity": a leaf of the spec's level 0 (our last level) with
// N = 1 and ppn[0][3:0] = 0b1000 is one of 16 identical entries that map a naturally aligned 64 KiB page (the only
// NAPOT size the chapter defines); N in any other entry is reserved. The tables read the 16 entries as one run of
// the last level (runBits 4). Marked pure so that a bundle without Svnapot tables leaves them out.

/** {@link Sv39MetaData} with Svnapot: 64 KiB NAPOT pages, 16 entries of the last level (level 2). */
export const Sv39SvnapotMetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'Sv39 Svnapot',
  paMaxBits: 56,
  pageShift: 12,
  indexBits: [9, 9, 9],
  entryBytes: 8,
  leafLevels: [0, 1, 2],
  runBits: [0, 0, 4],
  runPages: true,
  vaTopBit: 38,
  upperHalf: true,
  signExtend: true,
});

/** {@link Sv48MetaData} with Svnapot: 64 KiB NAPOT pages, 16 entries of the last level (level 3). */
export const Sv48SvnapotMetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'Sv48 Svnapot',
  paMaxBits: 56,
  pageShift: 12,
  indexBits: [9, 9, 9, 9],
  entryBytes: 8,
  leafLevels: [0, 1, 2, 3],
  runBits: [0, 0, 0, 4],
  runPages: true,
  vaTopBit: 47,
  upperHalf: true,
  signExtend: true,
});

/** {@link Sv57MetaData} with Svnapot: 64 KiB NAPOT pages, 16 entries of the last level (level 4). */
export const Sv57SvnapotMetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'Sv57 Svnapot',
  paMaxBits: 56,
  pageShift: 12,
  indexBits: [9, 9, 9, 9, 9],
  entryBytes: 8,
  leafLevels: [0, 1, 2, 3, 4],
  runBits: [0, 0, 0, 0, 4],
  runPages: true,
  vaTopBit: 56,
  upperHalf: true,
  signExtend: true,
});

// G-stage (guest-physical) formats of the hypervisor extension.
// Source: the same manual, chapter "Hypervisor Extension, Version 1.0", section "Two-Stage Address Translation",
// subsection "Guest Physical Address Translation": Sv39x4, Sv48x4 and Sv57x4 are Sv39, Sv48 and Sv57 with a
// guest-physical address two bits wider (41, 50 and 59 bits), which the root table indexes: the root has 2048
// entries (16 KiB, aligned to 16 KiB); bits 63 down to the width must be zero (no upper half, no sign extension).
// Leaves at every level, as in the VS-stage formats. The definitions are marked pure so that a bundle of the
// VS-stage tables alone leaves them out.

/**
 * Sv39x4: the G-stage form of Sv39. 41-bit guest-physical addresses (bits 63:41 zero), a 16 KiB root of 2048
 * entries, then two levels of 512; 1 GiB leaves in the root, 2 MiB and 4 KiB below. `hgatp` MODE 8.
 */
export const Sv39x4MetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'Sv39x4',
  paMaxBits: 56,
  pageShift: 12,
  indexBits: [11, 9, 9],
  entryBytes: 8,
  leafLevels: [0, 1, 2],
  vaTopBit: 41,
  upperHalf: false,
  signExtend: false,
});

/**
 * Sv48x4: the G-stage form of Sv48. 50-bit guest-physical addresses, a 16 KiB root of 2048 entries, then three
 * levels of 512; leaves of 512 GiB, 1 GiB, 2 MiB and 4 KiB. `hgatp` MODE 9.
 */
export const Sv48x4MetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'Sv48x4',
  paMaxBits: 56,
  pageShift: 12,
  indexBits: [11, 9, 9, 9],
  entryBytes: 8,
  leafLevels: [0, 1, 2, 3],
  vaTopBit: 50,
  upperHalf: false,
  signExtend: false,
});

/**
 * Sv57x4: the G-stage form of Sv57. 59-bit guest-physical addresses, a 16 KiB root of 2048 entries, then four
 * levels of 512; leaves of 256 TiB, 512 GiB, 1 GiB, 2 MiB and 4 KiB. `hgatp` MODE 10.
 */
export const Sv57x4MetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'Sv57x4',
  paMaxBits: 56,
  pageShift: 12,
  indexBits: [11, 9, 9, 9, 9],
  entryBytes: 8,
  leafLevels: [0, 1, 2, 3, 4],
  vaTopBit: 59,
  upperHalf: false,
  signExtend: false,
});

/**
 * Sv32 (RV32): two levels of 1024 4-byte entries (4 KiB tables), 32-bit virtual addresses (every one valid, no
 * halves), a 22-bit PPN (34-bit physical addresses); 4 MiB megapages in the root (level 0) and 4 KiB pages.
 * `satp` MODE 1 (bit 31). Source: the same manual, section "Sv32: Page-Based 32-bit Virtual-Memory Systems",
 * subsections "Addressing and Memory Protection" (VPN[1] bits 31:22, VPN[0] bits 21:12; PPN[1] 12 bits, PPN[0]
 * 10 bits) and "Virtual Address Translation Process" (a leaf at level 1 of the specification's numbering, our
 * root, is a 4 MiB megapage). Marked pure so that a bundle of the 64-bit tables alone leaves it out.
 */
export const Sv32MetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'Sv32',
  paMaxBits: 34,
  pageShift: 12,
  indexBits: [10, 10],
  entryBytes: 4,
  leafLevels: [0, 1],
  vaTopBit: 32,
  upperHalf: false,
  signExtend: false,
});

/**
 * Sv32x4: the G-stage form of Sv32 (RV32 hypervisors). 34-bit guest-physical addresses, a 16 KiB root of 4096
 * 4-byte entries (the two extra bits), then 1024-entry tables; 4 MiB and 4 KiB leaves. `hgatp` MODE 1 (bit 31).
 * Source: chapter "Hypervisor Extension", "Guest Physical Address Translation" (Sv32x4 widens Sv32's 32-bit input to
 * 34 bits; the root is 16 KiB and 16 KiB aligned). Marked pure, as the other formats a bundle may not use.
 */
export const Sv32x4MetaData: PagingMetaData = /* @__PURE__ */ defineMetaData({
  name: 'Sv32x4',
  paMaxBits: 34,
  pageShift: 12,
  indexBits: [12, 10],
  entryBytes: 4,
  leafLevels: [0, 1],
  vaTopBit: 34,
  upperHalf: false,
  signExtend: false,
});
