// 32-bit paging and PAE paging: the tables (what they write where the SDM says, what they refuse), the register
// decoder for the two modes, and their inspector. Field positions from Intel SDM Vol. 3A 2.5 (CR0, CR4), 2.2.1
// (IA32_EFER), 4.3 (Tables 4-3 to 4-6) and 4.4 (Tables 4-7 to 4-11).
import { dumpMappings, MappingFlags, PageSize, PagingError, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import {
  decodeX64Registers,
  X86PageTable32,
  X86PaePageTable,
  x86LegacyInspector,
  X86PagingMetaData32,
  X86PaePagingMetaData,
} from '@page-table-multiarch/x86_64';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER, UNCACHED } = MappingFlags;
const RW = READ | WRITE;
const CR0_PG = 1n << 31n;
const CR4_PSE = 1n << 4n;
const CR4_PAE = 1n << 5n;
const EFER_LME = 1n << 8n;
const EFER_NXE = 1n << 11n;

/** Runs `fn`, which must throw a PagingError with `code`, and checks that no byte of memory and no frame changed. */
function refused(mem: PhysicalMemory, code: string, fn: () => unknown): void {
  const before = mem.bytes().slice();
  const frames = mem.framesInUse;
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PagingError);
  expect((err as PagingError).code).toBe(code);
  expect(mem.framesInUse).toBe(frames);
  const after = mem.bytes();
  expect(after.findIndex((b, i) => b !== before[i])).toBe(-1);
}

describe('X86PageTable32 (4.3)', () => {
  it('writes a 4 MiB page in the PDE indexed by bits 31:22 and a 4 KiB page in the PTE indexed by bits 21:12', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const table = new X86PageTable32(mem);
    const c = table.cursor();
    c.map(0xc040_0000n, 0x80_0000n, PageSize.Size4M, RW);
    c.map(0x0804_8000n, 0x9_f000n, PageSize.Size4K, READ | USER);
    c.flush();
    const root = table.rootPaddr;
    const pde = (va: number) => mem.readU32(root + BigInt((va >>> 22) * 4));
    // PDE 0x301: address 0x80_0000 | PS | R/W | P (Table 4-4)
    expect(pde(0xc040_0000).toString(16)).toBe((0x80_0000 | 0x83).toString(16));
    const pt = pde(0x0804_8000) & ~0xfff;
    expect(pde(0x0804_8000) & 0xfff).toBe(0x7); // a page-table PDE: U/S | R/W | P (Table 4-5)
    const pte = mem.readU32(BigInt(pt + ((0x0804_8000 >>> 12) & 0x3ff) * 4));
    expect(pte.toString(16)).toBe((0x9_f000 | 0x5).toString(16)); // U/S | P, read-only (Table 4-6)
    expect(table.query(0xc05f_ffffn)).toEqual({ paddr: 0x9f_ffffn, flags: RW | EXECUTE, size: PageSize.Size4M });
  });

  it('refuses a 4 MiB page without CR4.PSE, a 4 KiB page above 4 GiB of physical memory, and a VA of 4 GiB', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const noPse = new X86PageTable32(mem, { pse: false });
    noPse.cursor().map(0x1000n, 0x2000n, PageSize.Size4K, RW);
    refused(mem, 'UnsupportedPageSize', () => noPse.cursor().map(0x40_0000n, 0x40_0000n, PageSize.Size4M, RW));
    refused(mem, 'InvalidAddress', () => noPse.cursor().map(0x2000n, 0x1_0000_0000n, PageSize.Size4K, RW));
    refused(mem, 'InvalidAddress', () => noPse.cursor().map(0x1_0000_0000n, 0x2000n, PageSize.Size4K, RW));
    // mapRegion with huge pages allowed still writes 4 KiB pages only
    noPse.cursor().mapRegion(0x80_0000n, 0x80_0000n, 0x40_0000n, RW, true);
    expect(noPse.query(0x80_0000n).size).toBe(PageSize.Size4K);
  });

  it('without PSE, a PDE with bit 7 set still references a page table (bit 7 is ignored)', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const table = new X86PageTable32(mem, { pse: false });
    table.cursor().map(0x40_3000n, 0x7000n, PageSize.Size4K, RW);
    const at = table.rootPaddr + 4n;
    mem.writeU32(at, mem.readU32(at) | 0x80);
    table.invalidate();
    expect(table.query(0x40_3000n).paddr).toBe(0x7000n);
    // the same entry read with PSE is a 4 MiB page
    const withPse = new X86PageTable32(mem, { root: table.rootPaddr });
    expect(withPse.query(0x40_3000n).size).toBe(PageSize.Size4M);
  });

  it('reads the PSE-36 bits of a 4 MiB page a kernel wrote: physical bits 39:32 in PDE bits 20:13', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const table = new X86PageTable32(mem);
    mem.writeU32(table.rootPaddr + 0x300n * 4n, 0x0040_0000 | (0x12 << 13) | 0x83);
    expect(table.query(0xc000_1234n).paddr).toBe(0x12_0040_1234n);
  });
});

describe('X86PaePageTable (4.4)', () => {
  it('the root is a 32-byte PDPT whose entries hold P and the address only (Table 4-8)', () => {
    expect(X86PaePagingMetaData.tableBytes[0]).toBe(32);
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const table = new X86PaePageTable(mem);
    const c = table.cursor();
    c.map(0xc000_0000n, 0x2_0000_0000n, PageSize.Size2M, READ | WRITE | USER);
    c.map(0x1000n, 0x3000n, PageSize.Size4K, READ);
    c.flush();
    const pdpte3 = mem.readU64(table.rootPaddr + 3n * 8n);
    expect(pdpte3 & 0xfffn).toBe(1n); // P only: R/W, U/S reserved
    expect(pdpte3 >> 63n).toBe(0n);
    const pde = mem.readU64((pdpte3 & ~0xfffn) + 0n);
    expect(pde.toString(16)).toBe((0x8000_0002_0000_0087n).toString(16)); // XD | address | PS U/S R/W P (Table 4-9)
    expect(table.query(0x1000n)).toEqual({ paddr: 0x3000n, flags: READ, size: PageSize.Size4K });
  });

  it('a linear address of 4 GiB or more is InvalidAddress, memory unchanged', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const table = new X86PaePageTable(mem);
    refused(mem, 'InvalidAddress', () => table.cursor().map(0x1_0000_0000n, 0x2000n, PageSize.Size4K, RW));
    refused(mem, 'InvalidAddress', () => table.query(0x1_0000_0000n));
    refused(mem, 'UnsupportedPageSize', () => table.cursor().map(0n, 0n, PageSize.Size1G, RW));
  });

  it('without NXE, bit 63 is never written and every page is executable', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const table = new X86PaePageTable(mem, { nxe: false });
    table.cursor().map(0x20_0000n, 0x20_0000n, PageSize.Size2M, READ);
    expect(table.query(0x20_0000n).flags).toBe(READ | EXECUTE);
    // bit 63 of an entry is bit 31 of its high (odd) word
    expect(mem.words.findIndex((w, i) => i % 2 === 1 && (w & 0x8000_0000) !== 0)).toBe(-1);
    // the same map with NXE writes it
    const nx = new X86PaePageTable(new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 }));
    nx.cursor().map(0x20_0000n, 0x20_0000n, PageSize.Size2M, READ);
    expect(nx.handler.words.findIndex((w, i) => i % 2 === 1 && (w & 0x8000_0000) !== 0)).not.toBe(-1);
  });

  it('attaches to a PDPT at any 32-byte boundary and refuses one that is not', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const built = new X86PaePageTable(mem);
    built.cursor().map(0x4000_0000n, 0x5000n, PageSize.Size4K, RW);
    const frame = mem.allocFrames(1, 4096)!;
    for (let i = 0n; i < 4n; i++) mem.writeU64(frame + 0x60n + i * 8n, mem.readU64(built.rootPaddr + i * 8n));
    const attached = new X86PaePageTable(mem, { root: frame + 0x60n });
    expect(attached.query(0x4000_0000n).paddr).toBe(0x5000n);
    expect(() => new X86PaePageTable(mem, { root: frame + 0x70n })).toThrow(expect.objectContaining({ code: 'NotAligned' }));
  });
});

describe('decodeX64Registers: the legacy modes (4.1.1 Table 4-1)', () => {
  const plan = (regs: Parameters<typeof decodeX64Registers>[0]) => {
    const p = decodeX64Registers(regs);
    if (p instanceof RegisterError) throw p;
    return p;
  };

  it('CR4.PAE = 0: 32-bit paging, CR3 bits 31:12 the page directory, CR4.PSE decides 4 MiB pages', () => {
    const p = plan({ cr3: 0x0012_3018n, cr4: CR4_PSE, cr0: CR0_PG | 1n });
    expect(p.arch).toBe('x86');
    expect(p.format.meta).toBe(X86PagingMetaData32);
    expect(p.roots).toEqual([{ root: 0x12_3000n, vaStart: 0n, vaEnd: 1n << 32n, label: 'CR3', kernel: false }]);
    expect(p.notes).toContain('CR3: PWT PCD set for the page directory');
    const noPse = plan({ cr3: 0x1000n, cr4: 0n });
    expect(noPse.format.meta.leafLevels).toEqual([1]);
    expect(noPse.notes).toContain('CR4.PSE = 0: bit 7 of a PDE is ignored, no 4 MiB pages');
  });

  it('CR4.PAE = 1, IA32_EFER.LME = 0: PAE paging, CR3 bits 31:5 the PDPT, EFER.NXE decides XD', () => {
    const p = plan({ cr3: 0x0012_3467n, cr4: CR4_PAE, efer: EFER_NXE });
    expect(p.format.meta).toBe(X86PaePagingMetaData);
    expect(p.roots[0]).toMatchObject({ root: 0x12_3460n, vaStart: 0n, vaEnd: 1n << 32n });
    expect(p.format.inspector?.levelNames).toEqual(['PDPT', 'PD', 'PT']);
    const noNx = plan({ cr3: 0x1000n, cr4: CR4_PAE, efer: 0n });
    expect(noNx.format.pte.flags(0x8000_0000_0000_1001n, 2)).toBe(READ | EXECUTE);
    expect(p.format.pte.flags(0x8000_0000_0000_1001n, 2)).toBe(READ);
    // LME = 1 is still 4-level paging
    expect(plan({ cr3: 0x1000n, cr4: CR4_PAE, efer: EFER_LME | EFER_NXE }).format.name).toBe('x86_64 4-level');
  });

  it('IA32_PAT reads the leaves\' memory types in both modes: PAT is bit 7 of a PTE, bit 12 of a 4 MiB / 2 MiB page', () => {
    // Linux's PAT: PA1 = WC, PA5 = WP, PA6 = UC-, PA7 = WT (arch/x86/mm/pat/memtype.c)
    const pat = 0x0407_0506_0007_0106n;
    const x32 = plan({ cr3: 0x1000n, cr4: CR4_PSE, pat });
    const pae = plan({ cr3: 0x1000n, cr4: CR4_PAE, efer: EFER_NXE, pat });
    // PWT alone (index 1, WC): UNCACHED in both, where the power-on PAT (WT) says cached
    expect(x32.format.pte.flags(0x1009n, 1)).toBe(READ | EXECUTE | UNCACHED);
    expect(pae.format.pte.flags(0x1009n, 2)).toBe(READ | EXECUTE | UNCACHED);
    expect(plan({ cr3: 0x1000n, cr4: CR4_PSE }).format.pte.flags(0x1009n, 1)).toBe(READ | EXECUTE);
    // PAT | PCD | PWT in a PTE (index 7, WT): cached although PCD is set; in a 4 MiB PDE bit 7 is PS, bit 12 PAT
    expect(x32.format.pte.flags(0x1099n, 1)).toBe(READ | EXECUTE);
    expect(x32.format.pte.flags(0x40_1099n, 0)).toBe(READ | EXECUTE);
    expect(x32.format.pte.flags(0x40_0099n, 0)).toBe(READ | EXECUTE | UNCACHED); // index 3: UC
    expect(pae.format.pte.flags(0x20_1091n, 1)).toBe(READ | EXECUTE | UNCACHED); // index 6: UC-
    expect(x32.format.inspector!.describe!(0x1099, 0, 1, true)).toBe('P PWT PCD PAT WT');
    expect(pae.format.inspector!.describe!(0x20_1089, 0, 1, true)).toBe('P PWT PS PAT WP');
    // a reserved PAT entry is Invalid, as in long mode
    expect(decodeX64Registers({ cr3: 0x1000n, cr4: 0n, pat: 0x02n })).toMatchObject({ code: 'Invalid', register: 'IA32_PAT' });
    expect(decodeX64Registers({ cr3: 0x1000n, cr4: CR4_PAE, efer: 0n, pat: 0x0800n })).toMatchObject({ code: 'Invalid', register: 'IA32_PAT' });
  });

  it('a CR3 above 32 bits is Invalid in both modes', () => {
    expect(decodeX64Registers({ cr3: 1n << 32n, cr4: 0n })).toMatchObject({ code: 'Invalid', register: 'CR3' });
    expect(decodeX64Registers({ cr3: 1n << 32n, cr4: CR4_PAE, efer: 0n })).toMatchObject({ code: 'Invalid', register: 'CR3' });
  });
});

describe('x86LegacyInspector', () => {
  it('32-bit: R/W and U/S of a PDE limit the pages below it; bit 21 of a 4 MiB page is reserved', () => {
    const insp = x86LegacyInspector({ mode: '32' });
    expect(insp.tableLimit!(0x1005, 0, 0) & 63).toBe(63 & ~WRITE);
    expect(insp.problem!(0x40_0083 | (1 << 21), 0, 0, true)).toMatch(/bits 21:21 of a 4 MiB page/);
    expect(insp.problem!(0x40_0083 | (0xff << 13), 0, 0, true)).toBeUndefined();
    expect(x86LegacyInspector({ mode: '32', maxPhysAddr: 36 }).problem!(0x40_0083 | (1 << 17), 0, 0, true)).toMatch(/bits 21:17/);
    expect(insp.describe!(0x40_1083, 0, 0, true)).toBe('P RW PS PAT');
    expect(x86LegacyInspector({ mode: '32', pse: false }).describe!(0x40_1083, 0, 0, false)).toBe('P RW');
  });

  it('PAE: a PDPTE limits nothing and has reserved bits 2:1, 8:5 and 63; bits 20:13 of a 2 MiB page are reserved', () => {
    const insp = x86LegacyInspector({ mode: 'pae' });
    expect(insp.tableLimit!(0x1001, 0, 0)).toBe(insp.tableLimit!(0x1007, 0, 1));
    expect(insp.problem!(0x1003, 0, 0, false)).toMatch(/PDPTE/);
    expect(insp.problem!(0x1001, 0x8000_0000, 0, false)).toMatch(/PDPTE/);
    expect(insp.problem!(0x1001, 0, 0, false)).toBeUndefined();
    expect(insp.problem!(0x20_2083, 0, 1, true)).toMatch(/bits 20:13 of a 2 MiB page/);
    expect(x86LegacyInspector({ mode: 'pae', nxe: false }).problem!(0x1003, 0x8000_0000, 2, true)).toMatch(/NXE = 0/);
    expect(() => x86LegacyInspector({ mode: 'pae', maxPhysAddr: 53 })).toThrow(RangeError);
  });

  it('a dump of a PAE table whose PDE forbids writes lists the pages as read-only', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const table = new X86PaePageTable(memory);
    table.cursor().map(0x40_0000n, 0x9000n, PageSize.Size4K, RW);
    const pd = memory.readU64(table.rootPaddr) & 0xffff_f000n;
    memory.writeU64(pd + 2n * 8n, memory.readU64(pd + 2n * 8n) & ~2n);
    const [run] = [...dumpMappings(table, { inspector: x86LegacyInspector({ mode: 'pae' }) })];
    expect(run).toMatchObject({ kind: 'mapping', flags: RW, effective: READ });
  });
});
