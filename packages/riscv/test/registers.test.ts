// decodeRiscvSatp and rvInspector against satp values and PTEs built from the privileged specification's field
// positions (20211203: 4.1.11 satp for SXLEN = 64, Table 4.4 MODE encodings; 4.3.2 translation; 4.4.1 PTE format).
import { RegisterError } from '@page-table-multiarch/core';
import { decodeRiscvSatp, rvInspector } from '@page-table-multiarch/riscv';
import { describe, expect, it } from 'vitest';

const satp = (mode: number, asid: number, ppn: bigint) => (BigInt(mode) << 60n) | (BigInt(asid) << 44n) | ppn;
const TOP = 1n << 64n;
const err = (v: bigint, xuantie = false) => decodeRiscvSatp({ satp: v, xuantie }) as RegisterError;
function plan(v: bigint, xuantie = false) {
  const p = decodeRiscvSatp({ satp: v, xuantie });
  if (p instanceof RegisterError) throw p;
  return p;
}

describe('decodeRiscvSatp', () => {
  it('MODE 8 is Sv39: root at PPN << 12, halves split at bit 38, ASID noted', () => {
    const v = satp(8, 0x1234, 0x8_0201n);
    expect(v).toBe(0x8123_4000_0008_0201n);
    const p = plan(v);
    expect(p.format.name).toBe('Sv39');
    expect(p.roots).toEqual([
      { root: 0x8020_1000n, vaStart: 0n, vaEnd: 1n << 38n, kernel: false, label: 'satp (lower half)' },
      { root: 0x8020_1000n, vaStart: 0xffff_ffc0_0000_0000n, vaEnd: TOP, kernel: true, label: 'satp (upper half)' },
    ]);
    expect(p.notes).toEqual(['satp: ASID 0x1234']);
  });

  it('MODE 9 is Sv48, MODE 10 Sv57; the widest PPN', () => {
    expect(plan(satp(9, 0, 1n)).roots[1]!.vaStart).toBe(0xffff_8000_0000_0000n);
    const s57 = plan(satp(10, 0, (1n << 44n) - 1n));
    expect(s57.format.name).toBe('Sv57');
    expect(s57.roots[0]!.root).toBe(((1n << 44n) - 1n) << 12n);
    expect(s57.roots[1]!.vaStart).toBe(0xff00_0000_0000_0000n);
  });

  it('Bare, Sv64 and custom modes are Unsupported, reserved ones Invalid', () => {
    expect(err(satp(0, 0, 0n))).toMatchObject({ code: 'Unsupported', register: 'satp.MODE', message: expect.stringMatching(/Bare/) });
    expect(err(satp(11, 0, 1n))).toMatchObject({ code: 'Unsupported', message: expect.stringMatching(/Sv64/) });
    expect(err(satp(14, 0, 1n))).toMatchObject({ code: 'Unsupported', message: expect.stringMatching(/custom/) });
    for (const m of [1, 7, 12, 13]) expect(err(satp(m, 0, 1n))).toMatchObject({ code: 'Invalid' });
  });

  it('XuanTie: Sv39 and Sv48 with the C9xx attributes, no Sv57', () => {
    expect(plan(satp(8, 0, 1n), true).format.name).toBe('Sv39 (XuanTie C9xx)');
    expect(err(satp(10, 0, 1n), true)).toMatchObject({ code: 'Unsupported' });
  });
});

describe('rvInspector', () => {
  // PTE bits: V 0, R 1, W 2, X 3, U 4, G 5, A 6, D 7; PPN from bit 10; bits 60:54 reserved; PBMT 62:61; N 63
  const V = 1;
  const R = 2;
  const W = 4;
  const X = 8;
  const U = 16;
  const A = 64;
  const D = 128;
  const sv39 = rvInspector({ levels: 3 });

  it('reserved encodings and bits make the hardware fault (4.3.2 step 3)', () => {
    expect(sv39.problem!(V | W | A | D, 0, 2, true)).toMatch(/W = 1 with R = 0/);
    expect(sv39.problem!(V | R | A | D, 1 << 22, 2, true)).toMatch(/bits 60:54/);
    expect(sv39.problem!(V | A, 0, 0, false)).toMatch(/non-leaf/);
    expect(sv39.problem!(V, 1 << 29, 0, false)).toMatch(/N or PBMT set in a non-leaf/);
    expect(sv39.problem!(V | R | A | D, 3 << 29, 2, true)).toMatch(/PBMT = 3/);
    expect(sv39.problem!(V | R | A | D, 0x8000_0000, 1, true)).toMatch(/Svnapot/);
    expect(sv39.problem!(V | R | W | X | U | A | D, 0, 2, true)).toBeUndefined();
  });

  it('misaligned superpages (step 6): ppn[i-1:0] must be zero', () => {
    // a megapage (level 1) whose PPN is 0x80201: ppn[0] = 0x001 != 0
    expect(sv39.problem!((0x8_0201 << 10) | V | R | A | D, 0, 1, true)).toMatch(/misaligned superpage/);
    expect(sv39.problem!((0x8_0200 << 10) | V | R | A | D, 0, 1, true)).toBeUndefined();
    // a gigapage: ppn[1:0] (18 bits) must be zero; PPN 0x80000 is 1 GiB aligned
    expect(sv39.problem!((0x8_0000 << 10) | V | R | A | D, 0, 0, true)).toBeUndefined();
    expect(sv39.problem!((0x8_0200 << 10) | V | R | A | D, 0, 0, true)).toMatch(/misaligned/);
    // an Sv48 terapage spans into the high word: PPN bits 26..0 zero
    const sv48 = rvInspector({ levels: 4 });
    expect(sv48.problem!(V | R | A | D, 1, 0, true)).toMatch(/misaligned/);
    expect(sv48.problem!(V | R | A | D, 1 << 5, 0, true)).toBeUndefined();
  });

  it('level names count down to 0, and XuanTie bits are not reserved', () => {
    expect(sv39.levelNames).toEqual(['L2', 'L1', 'L0']);
    const t = rvInspector({ levels: 3, xuantie: true });
    expect(t.problem!(V | R | A | D, 0x7000_0000, 2, true)).toBeUndefined();
    expect(t.describe!(V | R | A | D, 0x7000_0000, 2, true)).toBe('V R A D C B SH');
    expect(sv39.describe!(V | R | W | A | D | (1 << 8), 1 << 29, 2, true)).toBe('V R W A D RSW=1 NC');
  });
});

describe('dumps through a decoded satp', () => {
  it('Sv48 terapages and Sv57 petapages: physical addresses above 2^32 aligned by the page size', async () => {
    const { dumpMappings, MappingFlags, PageSize, PhysicalMemory } = await import('@page-table-multiarch/core');
    const { Sv48PageTable, Sv57PageTable } = await import('@page-table-multiarch/riscv');
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const t48 = new Sv48PageTable(memory);
    t48.cursor().map(0xffff_8000_0000_0000n, 0x3n << 39n, PageSize.Size512G, MappingFlags.READ | MappingFlags.WRITE);
    t48.cursor().map(0x80_0000_0000n, 0x1_4000_0000n, PageSize.Size1G, MappingFlags.READ);
    const t57 = new Sv57PageTable(memory);
    t57.cursor().map(0xff00_0000_0000_0000n, 0x1n << 48n, PageSize.Size256T, MappingFlags.READ | MappingFlags.EXECUTE);
    const list = (mode: number, root: bigint) => {
      const p = decodeRiscvSatp({ satp: (BigInt(mode) << 60n) | (root >> 12n) });
      if (p instanceof RegisterError) throw p;
      return [...dumpMappings({ ...p.format, handler: memory }, { roots: p.roots })].map((r) =>
        r.kind === 'mapping' ? [r.vaddr, r.paddr, r.pageSize, r.level] : r.kind === 'diagnostic' ? r.code : r.kind,
      );
    };
    expect(list(9, t48.rootPaddr)).toEqual([
      [0x80_0000_0000n, 0x1_4000_0000n, 1 << 30, 1],
      [0xffff_8000_0000_0000n, 0x3n << 39n, 2 ** 39, 0],
    ]);
    expect(list(10, t57.rootPaddr)).toEqual([[0xff00_0000_0000_0000n, 0x1n << 48n, 2 ** 48, 0]]);
  });
});
