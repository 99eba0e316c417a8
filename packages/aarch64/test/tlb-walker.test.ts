// A64Mmu as core's TlbWalker: the ASID a Tlb tags entries with (TTBR0_EL1 or TTBR1_EL1 by TCR_EL1.A1, 8 or 16 bits by
// TCR_EL1.AS; DDI 0487 D8.14, D19.2), nG, and what a hit re-checks (PAN, WXN: D8.4.1). The model-based test over
// every model is test/tlb-model.test.ts at the repository's root.
import { Access, MappingFlags, MmuCode, PageSize, PhysicalMemory, Privilege, Tlb } from '@page-table-multiarch/core';
import { A64Mmu, A64PageTable, encodeA64Registers, tlbiAside1 } from '@page-table-multiarch/aarch64';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
const { USER: EL0, SUPERVISOR: EL1 } = Privilege;
const RAM = 0x4000_0000n;

function setup(nonGlobal: 'none' | 'all') {
  const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
  const table = new A64PageTable(memory, { nonGlobal });
  const c = table.cursor();
  c.map(0x1000n, 0x8000_1000n, PageSize.Size4K, READ | WRITE | USER);
  c.map(0x2000n, 0x8000_2000n, PageSize.Size4K, READ | WRITE | EXECUTE);
  c.flush();
  return { memory, table, regs: encodeA64Registers({ ttbr0: table }) };
}

describe('A64Mmu as a TlbWalker', () => {
  it('the ASID comes from TTBR0_EL1, or TTBR1_EL1 with TCR_EL1.A1, 8 bits unless TCR_EL1.AS', () => {
    const { memory, regs } = setup('all');
    const ttbr0 = regs.ttbr0 | (0x1234n << 48n);
    const ttbr1 = 0x5678n << 48n;
    const a1 = 1n << 22n;
    const as16 = 1n << 36n;
    const mmu = new A64Mmu(memory, { ...regs, ttbr0 });
    expect(mmu.asid).toBe(0x34);
    mmu.setRegisters({ ...regs, ttbr0, tcr: regs.tcr | as16 });
    expect(mmu.asid).toBe(0x1234);
    mmu.setRegisters({ ...regs, ttbr0, ttbr1, tcr: regs.tcr | as16 | a1 | (1n << 23n) }); // EPD1: TTBR1 walks disabled
    expect(mmu.asid).toBe(0x5678);
  });

  it('nG: a leaf with nG = 0 is global; TLBI ASIDE1 removes the non-global entries only', () => {
    for (const nonGlobal of ['none', 'all'] as const) {
      const { memory, regs } = setup(nonGlobal);
      const mmu = new A64Mmu(memory, { ...regs, ttbr0: regs.ttbr0 | (7n << 48n) });
      const tlb = new Tlb(mmu);
      tlb.asid = mmu.asid;
      expect(tlb.translateNumber(0x1008, Access.READ, EL0)).toBe(0x8000_1008);
      expect(mmu.leafGlobal).toBe(nonGlobal === 'none');
      tlbiAside1(tlb, 7);
      expect(tlb.translateNumber(0x1008, Access.READ, EL0)).toBe(0x8000_1008);
      expect(tlb.hits).toBe(nonGlobal === 'none' ? 1 : 0);
    }
  });

  it('a hit applies the current PAN and WXN (D8.4.1)', () => {
    const { memory, regs } = setup('all');
    const mmu = new A64Mmu(memory, regs);
    const tlb = new Tlb(mmu);
    expect(tlb.translateNumber(0x1000, Access.READ, EL1)).toBe(0x8000_1000);
    mmu.pan = true;
    expect(tlb.translateNumber(0x1000, Access.READ, EL1)).toBe(MmuCode.Permission);
    expect(mmu.esr & 0x3f).toBe(0b001111); // permission fault, level 3: from the walk
    expect(tlb.translateNumber(0x2000, Access.EXECUTE, EL1)).toBe(0x8000_2000);
    mmu.wxn = true;
    expect(tlb.translateNumber(0x2000, Access.EXECUTE, EL1)).toBe(MmuCode.Permission);
    expect(tlb.translateNumber(0x2008, Access.WRITE, EL1)).toBe(0x8000_2008);
    expect(tlb.permissions).toBe(READ | WRITE);
  });
});
