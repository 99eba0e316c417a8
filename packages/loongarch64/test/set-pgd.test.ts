// LA64Mmu.setPgd: a CSRWR to PGDL / PGDH (LoongArch Reference Manual v1.10, 7.5.5 / 7.5.6: Base in bits 63:12) moves
// later walks to the new roots, and a bad value changes nothing.
import { Access, MappingFlags, PageSize, PhysicalMemory, Privilege } from '@page-table-multiarch/core';
import { LA64Mmu, LA64PageTable } from '@page-table-multiarch/loongarch64';
import { expect, it } from 'vitest';

it('setPgd: the next walk starts at the new root; a value that is not a u64 is refused and changes nothing', () => {
  const memory = new PhysicalMemory({ size: 4 << 20, base: 0x8000_0000n });
  const a = new LA64PageTable(memory);
  const b = new LA64PageTable(memory);
  a.cursor().map(0x1000n, 0x10_0000n, PageSize.Size4K, MappingFlags.READ);
  b.cursor().map(0x1000n, 0x20_0000n, PageSize.Size4K, MappingFlags.READ);
  b.cursor().map(0xffff_8000_0000_1000n, 0x30_0000n, PageSize.Size4K, MappingFlags.READ);
  const mmu = new LA64Mmu(memory, { pgdl: a.rootPaddr });
  expect(mmu.translateNumber(0x1008, Access.READ, Privilege.SUPERVISOR)).toBe(0x10_0008);
  mmu.setPgd(b.rootPaddr | 0xfffn); // bits 11:0 read as 0
  expect(mmu.translateNumber(0x1008, Access.READ, Privilege.SUPERVISOR)).toBe(0x20_0008);
  expect(mmu.translate(0xffff_8000_0000_1008n, Access.READ, Privilege.SUPERVISOR)).toMatchObject({ ok: true, paddr: 0x30_0008n });
  expect(() => mmu.setPgd(-1n)).toThrow();
  expect(() => mmu.setPgd(a.rootPaddr, 'x' as unknown as bigint)).toThrow(TypeError);
  expect(mmu.translateNumber(0x1008, Access.READ, Privilege.SUPERVISOR)).toBe(0x20_0008);
});
