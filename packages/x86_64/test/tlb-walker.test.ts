// X86Mmu and X86LegacyMmu as core's TlbWalker: what a TLB entry keeps of a leaf and how a hit is re-checked (Intel
// SDM Vol. 3A 4.10.2.2: the access rights, the dirty flag and the protection key are cached, the current CR0.WP,
// CR4.SMEP / SMAP, EFLAGS.AC and PKRU apply to every access; 4.10.2.4: G with CR4.PGE makes an entry global). The
// model-based test over every model is test/tlb-model.test.ts at the repository's root.
import { Access, MappingFlags, MmuCode, PageSize, PhysicalMemory, Privilege, Tlb } from '@page-table-multiarch/core';
import { encodeX64Registers, encodeX86LegacyRegisters, movToCr3, X64PageTable, X86LegacyMmu, X86Mmu, X86PaePageTable } from '@page-table-multiarch/x86_64';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, USER } = MappingFlags;
const { USER: CPL3, SUPERVISOR: CPL0 } = Privilege;
const RAM = 0x10_0000n;
const CR4_PGE = 0x80n;
const CR4_PKE = 1n << 22n;
const G = 1n << 8n;

function x64(cr4Extra = 0n) {
  const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
  const table = new X64PageTable(memory);
  const c = table.cursor();
  c.map(0x1000n, 0x8000_1000n, PageSize.Size4K, READ | WRITE | USER);
  c.map(0x2000n, 0x8000_2000n, PageSize.Size4K, READ | WRITE);
  c.flush();
  const regs = encodeX64Registers(table);
  const mmu = new X86Mmu(memory, { ...regs, cr4: regs.cr4 | cr4Extra });
  return { memory, table, mmu, tlb: new Tlb(mmu, { entries: 16, ways: 2 }) };
}

/** Physical address of the 4K leaf of `va` in a 4-level table (bits 47:39, 38:30, 29:21, 20:12). */
function leaf(memory: PhysicalMemory, root: bigint, va: bigint): bigint {
  let t = root;
  for (let level = 0; level < 3; level++) t = memory.readU64(t + ((va >> BigInt(39 - 9 * level)) & 511n) * 8n) & 0x000f_ffff_ffff_f000n;
  return t + ((va >> 12n) & 511n) * 8n;
}

describe('X86Mmu as a TlbWalker', () => {
  it('G is global only with CR4.PGE (4.10.2.4): a MOV to CR3 keeps global entries and removes the others', () => {
    for (const pge of [false, true]) {
      const { memory, table, mmu, tlb } = x64(pge ? CR4_PGE : 0n);
      const at = leaf(memory, table.rootPaddr, 0x2000n);
      memory.writeU64(at, memory.readU64(at) | G);
      expect(tlb.translateNumber(0x2008, Access.READ, CPL0)).toBe(0x8000_2008);
      expect(mmu.leafGlobal).toBe(pge);
      movToCr3(tlb, table.rootPaddr, false);
      expect(tlb.translateNumber(0x2008, Access.READ, CPL0)).toBe(0x8000_2008);
      expect(tlb.hits).toBe(pge ? 1 : 0);
    }
  });

  it('a hit applies the current WP, SMAP and AC; a store to a clean page walks to set D (4.8)', () => {
    const { memory, table, mmu, tlb } = x64((1n << 21n) | CR4_PGE); // SMAP
    expect(tlb.translateNumber(0x1000, Access.READ, CPL3)).toBe(0x8000_1000);
    expect(tlb.translateNumber(0x1000, Access.READ, CPL0)).toBe(MmuCode.Permission); // SMAP, AC = 0: a walk
    mmu.ac = true;
    expect(tlb.translateNumber(0x1008, Access.READ, CPL0)).toBe(0x8000_1008);
    expect(tlb.hits).toBe(1);
    const at = leaf(memory, table.rootPaddr, 0x1000n);
    expect(memory.readU64(at) & 0x40n).toBe(0n); // loads leave D clear
    const walks = tlb.walks;
    expect(tlb.translateNumber(0x1010, Access.WRITE, CPL3)).toBe(0x8000_1010);
    expect([tlb.walks, memory.readU64(at) & 0x40n]).toEqual([walks + 1, 0x40n]);
    expect(tlb.translateNumber(0x1018, Access.WRITE, CPL3)).toBe(0x8000_1018);
    expect(tlb.walks).toBe(walks + 1);
  });

  it('CR0.WP set between two hits of the first-level table, with no invalidation, refuses the next supervisor store at once', () => {
    const { mmu, table, tlb } = x64();
    table.cursor().map(0x3000n, 0x8000_3000n, PageSize.Size4K, READ);
    mmu.wp = false;
    // WP = 0: supervisor stores to a read-only page are allowed (4.6.1); a walk (it sets D), a hit of the entries
    // (which fills the first-level table), hits of the table
    for (let i = 0; i < 4; i++) expect(tlb.translateNumber(0x3000 + 8 * i, Access.WRITE, CPL0)).toBe(0x8000_3000 + 8 * i);
    // (the first way of page 3's slot: the ways of a slot are side by side)
    expect(tlb._fastTags[(3 & tlb._fastMask) * (tlb._fastTags.length / (tlb._fastMask + 1))]).toBe(3);
    expect([tlb.hits, tlb.walks]).toEqual([3, 1]);
    mmu.wp = true;
    expect(tlb.translateNumber(0x3020, Access.WRITE, CPL0)).toBe(MmuCode.Permission);
    expect(mmu.errorCode).toBe(3); // P | W/R, from the walk
    expect([tlb.hits, tlb.walks]).toEqual([3, 2]);
    expect(tlb.translateNumber(0x3028, Access.READ, CPL0)).toBe(0x8000_3028);
    mmu.wp = false;
    expect(tlb.translateNumber(0x3030, Access.WRITE, CPL0)).toBe(0x8000_3030);
    expect([tlb.hits, tlb.walks]).toEqual([5, 2]);
  });

  it('PKRU: a hit applies the current value of the key; past six values user pages go to the walk', () => {
    const { mmu, tlb } = x64(CR4_PKE);
    expect(tlb.translateNumber(0x1000, Access.WRITE, CPL3)).toBe(0x8000_1000);
    mmu.pkru = 2; // WD of key 0
    expect(tlb.translateNumber(0x1000, Access.WRITE, CPL3)).toBe(MmuCode.Permission);
    expect(mmu.errorCode & 32).toBe(32); // PK, from the walk
    expect(tlb.translateNumber(0x1000, Access.READ, CPL3)).toBe(0x8000_1000);
    const hits = tlb.hits;
    for (let v = 3; v < 12; v++) {
      mmu.pkru = v << 2; // keys other than 0: key 0 allows everything
      expect(tlb.translateNumber(0x1000, Access.WRITE, CPL3)).toBe(0x8000_1000);
    }
    // slots 1-6 served from the TLB; the later values (slot 7) walked, with the same answer
    expect(tlb.hits - hits).toBeLessThan(9);
    expect(tlb.hits - hits).toBeGreaterThan(0);
  });
});

describe('X86LegacyMmu as a TlbWalker', () => {
  it('PAE: XD and the rights of the walk are cached; NXE = 0 turns a cached XD leaf into the walk reserved-bit fault', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new X86PaePageTable(memory);
    table.cursor().map(0x1000n, 0x8000_1000n, PageSize.Size4K, READ | USER);
    const regs = encodeX86LegacyRegisters(table);
    const mmu = new X86LegacyMmu(memory, regs);
    const tlb = new Tlb(mmu);
    expect(tlb.translateNumber(0x1000, Access.READ, CPL3)).toBe(0x8000_1000);
    expect(tlb.translateNumber(0x1000, Access.EXECUTE, CPL3)).toBe(MmuCode.Permission);
    expect(tlb.permissions).toBe(0);
    expect(tlb.translateNumber(0x1004, Access.READ, CPL3)).toBe(0x8000_1004);
    expect(tlb.permissions).toBe(READ | USER);
    mmu.nxe = false;
    expect(tlb.translateNumber(0x1008, Access.READ, CPL3)).toBe(MmuCode.ReservedBit);
    expect(tlb.hits).toBe(1);
  });
});
