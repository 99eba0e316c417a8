// The floor of the lookups: a plain walk over the table words, in a few lines, with no cache and no checks beyond
// what the hardware does. W2 and W6b print it beside `queryNumber` (measured in the same process on the same table)
// so that a lookup's cost can be told apart from the memory's. Only 4 KiB-granule formats with 8-byte entries and
// 9 index bits per level (x86_64, x86 EPT, RISC-V Sv39/48/57) have one.
import type { PageTable64 } from '@page-table-multiarch/core';

/** Translates `va` (a number below 2^53) by walking the table words; -1 when a present entry is missing. */
export type RawWalk = (va: number) => number;

/** What the walk reads in an entry of one format. */
interface EntryFormat {
  /** An entry is present when any of these low-word bits is set. */
  readonly present: number;
  /** The address an entry holds (the next table's, or the page's). */
  pa(lo: number, hi: number): number;
  /** Whether a present entry maps a page (`last`: it is at the last level). */
  leaf(lo: number, last: boolean): boolean;
}

/** Which plain walk a bench row has (arches.ts). */
export type RawKind = 'x86' | 'ept' | 'riscv';

// Intel SDM Vol. 3A 4.5.4, Tables 4-15 to 4-20 (paging) and Vol. 3C 29.3.2, Tables 29-1 to 29-6 (EPT): bit 7 PS (a
// page at the levels above the last that have pages); bits 51:12 the address of the next table or of the page (a
// 2 MiB or 1 GiB page's low address bits are zero in the entry)
const x86Pa = (lo: number, hi: number): number => (hi & 0xf_ffff) * 4294967296 + ((lo & 0xffff_f000) >>> 0);
const x86Leaf = (lo: number, last: boolean): boolean => last || (lo & 0x80) !== 0;

const FORMATS: Record<RawKind, EntryFormat> = {
  // Vol. 3A 4.5.4: bit 0 P
  x86: { present: 1, pa: x86Pa, leaf: x86Leaf },
  // Vol. 3C 29.3.2: present when any of bits 2:0 (R, W, X) is set
  ept: { present: 7, pa: x86Pa, leaf: x86Leaf },
  // RISC-V privileged spec 4.4.1 (Sv39 PTE, Figure 4.21) and 4.3.2 steps 3-5: bit 0 V; bits 3:1 R/W/X, non-zero in a
  // leaf; bits 53:10 the PPN, the frame's address divided by 4096.
  riscv: {
    present: 1,
    pa: (lo, hi) => ((hi & 0x3f_ffff) * 4194304 + (lo >>> 10)) * 4096,
    leaf: (lo) => (lo & 0xe) !== 0,
  },
};

export function rawWalk(kind: RawKind, table: PageTable64, memBase: number): RawWalk {
  const w = table.handler.words;
  const levels = table.meta.levels;
  const root = (Number(table.rootPaddr) - memBase) >>> 2;
  const f = FORMATS[kind];
  const present = f.present;
  // the lowest address bit each level's 9-bit index starts at: 12 + 9 * (levels - 1 - l)
  const shift = Array.from({ length: levels }, (_, l) => 12 + 9 * (levels - 1 - l));
  const index = (lo: number, hi: number, s: number): number => (s >= 32 ? (hi >>> (s - 32)) & 511 : ((lo >>> s) | (hi << (32 - s))) & 511);
  const offset = (va: number, lo: number, s: number): number => (s < 32 ? (lo & ((1 << s) - 1)) >>> 0 : va % 2 ** s);
  return (va) => {
    const vaHi = Math.floor(va / 4294967296);
    const vaLo = va >>> 0;
    let t = root;
    for (let l = 0; l < levels; l++) {
      const s = shift[l]!;
      const e = t + index(vaLo, vaHi, s) * 2;
      const lo = w[e]!;
      if ((lo & present) === 0) return -1;
      const pa = f.pa(lo, w[e + 1]!);
      if (f.leaf(lo, l === levels - 1)) return pa + offset(va, vaLo, s);
      t = (pa - memBase) >>> 2;
    }
    return -1;
  };
}
