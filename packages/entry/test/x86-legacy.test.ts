// The x86 32-bit paging and PAE paging codecs against the manual (Intel SDM Vol. 3A 4.3 and 4.4): the expected
// entries are written from the entry formats of Tables 4-4 to 4-11 field by field (the crate has no such formats, so
// there are no crate vectors), then what the MMU reads at each level with and without CR4.PSE and IA32_EFER.NXE.
import { MappingFlags } from '@page-table-multiarch/core';
import { X86PDE4M, X86PTE32, X86PaePTE, x86PaeCodec, x86Pte32Codec } from '@page-table-multiarch/entry/x86_64';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER, DEVICE } = MappingFlags;

// Table 4-4 to 4-11 fields, written out here (not taken from the codecs) so that a wrong constant there fails here
const P = 1n;
const RW = 1n << 1n;
const US = 1n << 2n;
const PWT = 1n << 3n;
const PCD = 1n << 4n;
const PS = 1n << 7n;
const PAT4M = 1n << 12n;
const XD = 1n << 63n;

const hex = (v: bigint) => `0x${v.toString(16)}`;

describe('X86PTE32 encodings (SDM Vol. 3A 4.3, Tables 4-4 to 4-6)', () => {
  it('writes 4 MiB PDEs, PDEs that reference a page table, and PTEs field by field', () => {
    const rows: [bigint, bigint][] = [
      // a kernel RW 4 MiB page (Table 4-4): address bits 31:22, PS
      [X86PTE32.newPage(0xc040_0000n, READ | WRITE, true, 0), 0xc040_0000n | PS | RW | P],
      // PSE-36: physical bits 39:32 go to PDE bits 20:13 (0xab << 13)
      [X86PTE32.newPage(0xab_8000_0000n, READ, true, 0), 0x8000_0000n | (0xabn << 13n) | PS | P],
      // a user page uncached (Table 4-6): PCD | PWT, no PS (bit 7 is PAT in a PTE and stays clear)
      [X86PTE32.newPage(0x1234_5000n, READ | USER | DEVICE, false, 1), 0x1234_5000n | PCD | PWT | US | P],
      // a PDE that references a page table (Table 4-5): R/W and U/S set so that the PTE decides
      [X86PTE32.newTable(0x0010_3000n, 0), 0x0010_3000n | US | RW | P],
      // the entry is 32 bits: nothing above bit 31, and address bits below 12 are dropped
      [X86PTE32.newPage(0x1_0000_1fffn, READ | WRITE, false, 1), 0x1000n | RW | P],
    ];
    for (const [got, want] of rows) expect(hex(got)).toBe(hex(want));
    expect(X86PDE4M.ADDR_HIGH).toBe(0x1f_e000n);
    expect(X86PDE4M.RESERVED).toBe(0x20_0000n);
  });

  it('reads the PSE-36 address of a 4 MiB page and ignores PAT and the reserved bit in the address', () => {
    const pde = 0xffc0_0000n | (0xffn << 13n) | PAT4M | PS | P;
    expect(hex(X86PTE32.paddr(pde, 0))).toBe(hex(0xff_ffc0_0000n));
    expect(X86PTE32.isHuge(pde, 0)).toBe(true);
    // every page is executable: 32-bit paging has no XD (4.6.2)
    expect(X86PTE32.flags(pde, 0)).toBe(READ | EXECUTE);
    // setPaddr keeps the attributes and moves both address fields
    expect(hex(X86PTE32.setPaddr(pde, 0x1_0040_0000n, 0))).toBe(hex(0x40_0000n | (1n << 13n) | PAT4M | PS | P));
  });

  it('without CR4.PSE, bit 7 of a PDE is ignored: the PDE references a page table at bits 31:12', () => {
    const noPse = x86Pte32Codec({ pse: false });
    const pde = 0xc040_3000n | PS | RW | P;
    expect(noPse.isHuge(pde, 0)).toBe(false);
    expect(hex(noPse.paddr(pde, 0))).toBe(hex(0xc040_3000n));
    expect(X86PTE32.isHuge(pde, 0)).toBe(true);
    // in a PTE, bit 7 is PAT with or without PSE: a 4 KiB page at bits 31:12
    for (const codec of [X86PTE32, noPse]) {
      expect(codec.isHuge(pde, 1)).toBe(false);
      expect(hex(codec.paddr(pde, 1))).toBe(hex(0xc040_3000n));
    }
  });
});

describe('X86PaePTE encodings (SDM Vol. 3A 4.4, Tables 4-8 to 4-11)', () => {
  it('writes PDPTEs, PDEs and PTEs field by field', () => {
    const rows: [bigint, bigint][] = [
      // a PDPTE (Table 4-8) has only P, PWT, PCD and the address: R/W (bit 1) and U/S (bit 2) are reserved there
      [X86PaePTE.newTable(0x7_0000_3000n, 0), 0x7_0000_3000n | P],
      // a PDE that references a page table (Table 4-10)
      [X86PaePTE.newTable(0x0020_4000n, 1), 0x0020_4000n | US | RW | P],
      // a 2 MiB page (Table 4-9) not executable: XD (bit 63), address bits 51:21
      [X86PaePTE.newPage(0xf_ffff_ffe0_0000n, READ | WRITE, true, 1), XD | 0xf_ffff_ffe0_0000n | PS | RW | P],
      // a user code page (Table 4-11): no XD
      [X86PaePTE.newPage(0x8000_1000n, READ | EXECUTE | USER, false, 2), 0x8000_1000n | US | P],
      // bits 20:13 of a 2 MiB page are reserved: an unaligned address does not leak into them
      [X86PaePTE.newPage(0x20_3000n, READ | EXECUTE, true, 1), 0x20_0000n | PS | P],
    ];
    for (const [got, want] of rows) expect(hex(got)).toBe(hex(want));
  });

  it('reads PS only in a PDE, and a 2 MiB address without the PAT bit', () => {
    const pde = 0x4020_0000n | PAT4M | PS | RW | P;
    expect(X86PaePTE.isHuge(pde, 1)).toBe(true);
    expect(hex(X86PaePTE.paddr(pde, 1))).toBe(hex(0x4020_0000n));
    expect(X86PaePTE.isHuge(pde, 0)).toBe(false); // PS is reserved in a PDPTE: never a 1 GiB page
    expect(X86PaePTE.isHuge(pde, 2)).toBe(false); // bit 7 is PAT in a PTE
  });

  it('without IA32_EFER.NXE bit 63 is reserved: never written, and every page reads as executable', () => {
    const noNx = x86PaeCodec({ nxe: false });
    expect(hex(noNx.newPage(0x1000n, READ, false, 2))).toBe(hex(0x1000n | P));
    expect(noNx.flags(0x1000n | P, 2)).toBe(READ | EXECUTE);
    // setFlags clears a bit 63 found in the entry rather than keep a reserved bit
    expect(hex(noNx.setFlags(XD | 0x1000n | P, READ | WRITE, false, 2))).toBe(hex(0x1000n | RW | P));
    expect(X86PaePTE.flags(XD | 0x1000n | P, 2)).toBe(READ);
  });
});
