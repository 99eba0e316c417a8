// What a dump needs to know about LoongArch64 entries beyond the codec.
// Source: LoongArch Reference Manual, Volume 1 (v1.10): 5.4.5 "Multi-level Page Table Structure Supported by page
// walking" (directory entries are plain table addresses; bit 6 of a directory entry marks a huge-page entry, whose
// global bit moves to bit 12), 7.5.3 TLBELO0/TLBELO1 (V 0, D 1, PLV 3:2, MAT 5:4, G 6, NR 61, NX 62, RPLV 63 of a
// page entry) and 5.4.5 again for P (7) and W (8). Directory entries carry no permissions: nothing limits the
// levels below (no table limits).
import type { EntryInspector } from '@page-table-multiarch/core';
import { type LA64Geometry, la64Geometry } from './metadata';

const V = 1 << 0;
const D = 1 << 1;
const GH = 1 << 6;
const P = 1 << 7;
const W = 1 << 8;
const HUGE_G = 1 << 12;
const NR_HI = 0x2000_0000; // 1 << 29
const NX_HI = 0x4000_0000; // 1 << 30
const RPLV_HI = -0x8000_0000; // 1 << 31
/**
 * The LoongArch64 `EntryInspector` for tables of `geometry` (default: 4 KiB pages, four levels): the walker's level
 * names (Dir3, Dir2, Dir1, PT with four levels; Dir3, Dir1, PT with three; Dir3, PT with two, as the walk
 * controllers assign them) and the entry bits for listings. Runs break on V, D, PLV, MAT, G, P, W, NR, NX and RPLV.
 */
export function la64Inspector(geometry: LA64Geometry = la64Geometry(4, 4)): EntryInspector {
  // the PT level: bit 6 is G there, and the huge-page flag above it (5.4.5)
  const LAST = geometry.levels - 1;
  return Object.freeze({
    levelNames: geometry.levelNames,
    attrLo(lo: number, _hi: number, level: number): number {
      return lo & (0x1ff | (level < LAST ? HUGE_G : 0));
    },
    attrHi(_lo: number, hi: number, _level: number): number {
      return hi & (NR_HI | NX_HI | RPLV_HI);
    },
    describe(lo: number, hi: number, level: number, leaf: boolean): string {
      if (!leaf) return '';
      const out: string[] = [];
      if (lo & V) out.push('V');
      if (lo & D) out.push('D');
      out.push(`PLV${(lo >>> 2) & 3}`);
      out.push(['MAT=SUC', 'MAT=CC', 'MAT=WUC', 'MAT=3'][(lo >>> 4) & 3]!);
      if (level < LAST ? lo & HUGE_G : lo & GH) out.push('G');
      if (level < LAST) out.push('HUGE');
      if (lo & P) out.push('P');
      if (lo & W) out.push('W');
      if (hi & NR_HI) out.push('NR');
      if (hi & NX_HI) out.push('NX');
      if (hi & RPLV_HI) out.push('RPLV');
      return out.join(' ');
    },
  });
}
