// What a dump needs to know about RISC-V PTEs beyond the codec.
// Source: The RISC-V Instruction Set Manual, Volume II: Privileged Architecture (20211203):
// - 4.3.2 "Virtual Address Translation Process", step 3: "If pte.v = 0, or if pte.r = 0 and pte.w = 1, or if any
//   bits or encodings that are reserved for future standard use are set within pte, stop and raise a page-fault
//   exception"; step 6: a leaf at level i > 0 with pte.ppn[i-1:0] != 0 is a misaligned superpage (page fault).
// - 4.3.1 / 4.4.1 ("Sv39 page table entry"): bits 60:54 are reserved; for non-leaf PTEs the D, A and U bits are
//   reserved; RSW (9:8) is for software.
// - Chapter 6 "Svnapot" (bit 63, N) and chapter 7 "Svpbmt" (bits 62:61, PBMT: 0 PMA, 1 NC, 2 IO, 3 reserved):
//   both are reserved in non-leaf PTEs, and N in a superpage.
// - Non-leaf PTEs carry no permissions: nothing limits the levels below (no table limits).
// - Chapter 8 "Hypervisor Extension", section "Two-Stage Address Translation", subsection "Guest Physical Address
//   Translation": G-stage PTEs have the same fields, and every G-stage access is checked as a U-mode access, so a
//   G-stage leaf with U = 0 faults on every access (a guest-page fault).
import type { EntryInspector } from '@page-table-multiarch/core';

const V = 1 << 0;
const R = 1 << 1;
const W = 1 << 2;
const X = 1 << 3;
const U = 1 << 4;
const G = 1 << 5;
const A = 1 << 6;
const D = 1 << 7;
/** Bits 60:54 as high-word bits 28:22. */
const RSVD_HI = 0x1fc0_0000;
const N_HI = 0x8000_0000;
const PBMT_SHIFT = 29; // bits 62:61

/** Options of {@link rvInspector}. */
export interface RvInspectorOptions {
  /** Levels of the format: 2 (Sv32, 4-byte entries), 3 (Sv39), 4 (Sv48) or 5 (Sv57); the same for the x4 forms. */
  readonly levels: 2 | 3 | 4 | 5;
  /** T-Head XuanTie C9xx attributes in bits 63:59 instead of N / PBMT (default false). */
  readonly xuantie?: boolean;
  /** G-stage tables (Sv39x4, Sv48x4, Sv57x4): a leaf without U is reported, as no access can use it (default false). */
  readonly gStage?: boolean;
}

/**
 * The RISC-V `EntryInspector`: reserved encodings (W without R, bits 60:54, D/A/U or N/PBMT in a non-leaf
 * PTE, PBMT = 3, N in a superpage) and misaligned superpages become 'Reserved' diagnostics, as the hardware
 * raises a page fault on them; level names follow the specification (the root is level LEVELS - 1). Runs break on
 * V, R, W, X, U, G and bits 63:54, not on A, D and RSW. With `gStage`, a leaf without U is reported too.
 */
export function rvInspector(options: RvInspectorOptions): EntryInspector {
  const levels = options.levels;
  const xuantie = options.xuantie ?? false;
  const gStage = options.gStage ?? false;
  if (levels !== 2 && levels !== 3 && levels !== 4 && levels !== 5) {
    throw new RangeError(`rvInspector: ${String(levels)} levels (expected 2, 3, 4 or 5)`);
  }
  // VPN / PPN fields per level: 10 bits in Sv32 ("Sv32 page table entry": PPN[0] 19:10), 9 in the 64-bit formats
  const fieldBits = levels === 2 ? 10 : 9;
  const last = levels - 1;
  const names = Array.from({ length: levels }, (_, l) => `L${last - l}`);
  // entry bits holding ppn[i-1:0] of a leaf at level `level` (i = last - level): bits 10 .. 10 + fieldBits * i - 1
  const alignLo: number[] = [];
  const alignHi: number[] = [];
  for (let l = 0; l < levels; l++) {
    const nb = fieldBits * (last - l);
    const top = 10 + nb; // one past the highest bit
    alignLo[l] = nb === 0 ? 0 : top >= 32 ? 0xffff_fc00 | 0 : ((1 << nb) - 1) << 10;
    alignHi[l] = top > 32 ? (1 << (top - 32)) - 1 : 0;
  }
  return Object.freeze({
    levelNames: Object.freeze(names),
    problem(lo: number, hi: number, level: number, leaf: boolean): string | undefined {
      if ((lo & W) !== 0 && (lo & R) === 0) return 'W = 1 with R = 0 is a reserved encoding';
      if (!xuantie && (hi & RSVD_HI) !== 0) return 'bits 60:54 are reserved';
      if (!leaf) {
        if ((lo & (D | A | U)) !== 0) return 'D, A or U set in a non-leaf PTE (reserved)';
        if (!xuantie && (hi & 0xe000_0000) !== 0) return 'N or PBMT set in a non-leaf PTE (reserved)';
        return undefined;
      }
      if (!xuantie && ((hi >>> PBMT_SHIFT) & 3) === 3) return 'PBMT = 3 is reserved';
      if (!xuantie && level < last && (hi & N_HI) !== 0) return 'N (Svnapot) set in a superpage (reserved)';
      // Svnapot, "Page table entry encodings when pte.N=1": ppn[0][3:0] = 0b1000 (64 KiB) is the only defined size
      if (!xuantie && (hi & N_HI) !== 0 && (lo & (0xf << 10)) !== 0b1000 << 10) return 'N (Svnapot) with ppn[0][3:0] other than 0b1000 (reserved)';
      if ((lo & alignLo[level]!) !== 0 || (hi & alignHi[level]!) !== 0) return 'misaligned superpage (low PPN bits set)';
      if (gStage && (lo & U) === 0) return 'U = 0 in a G-stage leaf: every access faults (G-stage accesses are U-mode accesses)';
      return undefined;
    },
    attrLo(lo: number, _hi: number, _level: number): number {
      return lo & (V | R | W | X | U | G);
    },
    attrHi(_lo: number, hi: number, _level: number): number {
      return hi & 0xffc0_0000;
    },
    describe(lo: number, hi: number, _level: number, _leaf: boolean): string {
      const out: string[] = [];
      const bits: [number, string][] = [
        [V, 'V'],
        [R, 'R'],
        [W, 'W'],
        [X, 'X'],
        [U, 'U'],
        [G, 'G'],
        [A, 'A'],
        [D, 'D'],
      ];
      for (const [b, n] of bits) if (lo & b) out.push(n);
      const rsw = (lo >>> 8) & 3;
      if (rsw) out.push(`RSW=${rsw}`);
      if (xuantie) {
        if (hi & 0x8000_0000) out.push('SO');
        if (hi & 0x4000_0000) out.push('C');
        if (hi & 0x2000_0000) out.push('B');
        if (hi & 0x1000_0000) out.push('SH');
      } else {
        const pbmt = (hi >>> PBMT_SHIFT) & 3;
        if (pbmt) out.push(['', 'NC', 'IO', 'PBMT=3'][pbmt]!);
        if (hi & N_HI) out.push('N');
      }
      return out.join(' ');
    },
  });
}
