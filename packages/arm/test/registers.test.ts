// decodeA32Registers against TTBR0 / TTBR1 / TTBCR values built from ARM DDI 0406C (B4.1.153 TTBCR, B4.1.154 TTBR0,
// B4.1.155 TTBR1, B3.5.4 the TTBR0 / TTBR1 split; with TTBCR.EAE = 1, B3.6.4 and B4.1.104 MAIR0 / MAIR1), and dumps
// through both roots.
import { A32LpaePageTable, A32LpaeTtbr1PageTable, A32PageTable, a32Codec, a32Inspector, a32RemapTypes, decodeA32Registers } from '@page-table-multiarch/arm';
import { dumpMappings, type MappingRun, MappingFlags, PageSize, PhysicalMemory, RegisterError, translateAddress } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';

const EAE = 1n << 31n;
const PD0 = 1n << 4n;
const FOUR_G = 1n << 32n;
function plan(regs: Parameters<typeof decodeA32Registers>[0]) {
  const p = decodeA32Registers(regs);
  if (p instanceof RegisterError) throw p;
  return p;
}

describe('decodeA32Registers', () => {
  it('TTBCR.N = 0: TTBR0 bits 31:14 translate everything, split for listings at the kernel start', () => {
    // TTBR0 attribute bits: IRGN[0] (6), RGN = 0b01 (4:3), S (1)
    const p = plan({ ttbr0: 0x4000_4000n | 0x4an, ttbcr: 0n });
    expect(p.format.name).toBe('ARMv7 short-descriptor');
    // the default kernel start is Linux's TASK_SIZE = MODULES_VADDR = 0xbf000000: modules are the kernel's
    expect(p.roots).toEqual([
      { root: 0x4000_4000n, vaStart: 0n, vaEnd: 0xbf00_0000n, vaBits: 32, kernel: false, label: 'TTBR0' },
      { root: 0x4000_4000n, vaStart: 0xbf00_0000n, vaEnd: FOUR_G, vaBits: 32, kernel: true, label: 'TTBR0 (kernel)' },
    ]);
    expect(plan({ ttbr0: 0x4000_4000n, kernelStart: 0xc000_0000n }).roots.map((r) => r.vaStart)).toEqual([0n, 0xc000_0000n]);
    expect(plan({ ttbr0: 0x4000_4000n, kernelStart: FOUR_G }).roots).toHaveLength(1);
    expect(decodeA32Registers({ ttbr0: 0x4000_4000n, kernelStart: 0xc000_1000n })).toMatchObject({ code: 'Invalid' });
  });

  it('TTBCR.N = 2: TTBR0 bits 31:12 (a 4 KiB table) for the lowest GiB, TTBR1 for the rest', () => {
    const p = plan({ ttbr0: 0x4000_1000n | 0x4an, ttbr1: 0x4000_8000n | 0x2n, ttbcr: 2n });
    expect(p.roots).toEqual([
      { root: 0x4000_1000n, vaStart: 0n, vaEnd: 0x4000_0000n, vaBits: 30, kernel: false, label: 'TTBR0' },
      { root: 0x4000_8000n, vaStart: 0x4000_0000n, vaEnd: FOUR_G, vaBits: 32, kernel: true, label: 'TTBR1' },
    ]);
  });

  it('PDn and missing TTBRs', () => {
    expect(decodeA32Registers({ ttbcr: 0n })).toMatchObject({ code: 'Missing', register: 'TTBR0' });
    expect(decodeA32Registers({ ttbr0: 0x4000n, ttbcr: PD0 })).toMatchObject({ code: 'Missing' });
    const p = plan({ ttbr0: 0x4000n, ttbr1: 0x8000n, ttbcr: PD0 | 1n });
    expect(p.roots.map((r) => r.label)).toEqual(['TTBR1']);
    expect(p.notes[0]).toMatch(/PD0 = 1/);
  });
});

describe('dumps', () => {
  const { READ, WRITE, EXECUTE, USER } = MappingFlags;
  it('N = 2 reads the first 4 KiB of an L1 table through TTBR0 and a whole one through TTBR1', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const table = new A32PageTable(memory);
    const c = table.cursor();
    c.map(0x10_0000n, 0x4010_0000n, PageSize.Size4K, READ | EXECUTE | USER);
    c.map(0xc000_0000n, 0x4000_0000n, PageSize.Size1M, READ | WRITE);
    c.map(0x4000_0000n, 0x4020_0000n, PageSize.Size1M, READ); // above the split: TTBR1's
    const p = plan({ ttbr0: table.rootPaddr, ttbr1: table.rootPaddr, ttbcr: 2n });
    const runs = [...dumpMappings({ ...p.format, handler: memory }, { roots: p.roots })] as MappingRun[];
    expect(runs.map((r) => [r.vaddr, r.pageSize, r.kernel, r.root])).toEqual([
      [0x10_0000n, 4096, false, 0],
      [0x4000_0000n, 1 << 20, true, 1],
      [0xc000_0000n, 1 << 20, true, 1],
    ]);
  });

  it('a Supersection and a Large page (16 identical entries each) are listed once, at their size', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const table = new A32PageTable(memory);
    table.cursor().map(0x1000n, 0x4010_0000n, PageSize.Size4K, READ | USER); // an L2 table for VA 0..1M
    const l2 = BigInt(memory.readU32(table.rootPaddr) & 0xffff_fc00);
    // B3.5.1: a Supersection at VA 0x1000_0000 -> PA 0x4100_0000 (bit 18, type 0b10, AP[1:0] = 0b01, XN), 16 L1 entries
    for (let i = 0; i < 16; i++) memory.writeU32(table.rootPaddr + BigInt((0x100 + i) * 4), 0x4100_0000 | (1 << 18) | (1 << 10) | (1 << 4) | 0b10);
    // a Large page at VA 0x1_0000 -> PA 0x4050_0000 (type 0b01, AP[1:0] = 0b11), 16 L2 entries
    for (let i = 0; i < 16; i++) memory.writeU32(l2 + BigInt((0x10 + i) * 4), 0x4050_0000 | (0b11 << 4) | 0b01);
    const p = plan({ ttbr0: table.rootPaddr });
    const runs = [...dumpMappings({ ...p.format, handler: memory }, { roots: p.roots })] as MappingRun[];
    expect(runs.map((r) => [r.vaddr, r.paddr, r.pageSize, r.pages, r.flags])).toEqual([
      [0x1000n, 0x4010_0000n, 4096, 1, READ | USER],
      // TEX = 0, C = B = 0: Strongly-ordered, read as DEVICE (B3.8.2)
      [0x1_0000n, 0x4050_0000n, 0x1_0000, 1, READ | WRITE | USER | EXECUTE | MappingFlags.DEVICE],
      [0x1000_0000n, 0x4100_0000n, 0x100_0000, 1, READ | WRITE | MappingFlags.DEVICE],
    ]);
    expect(p.format.inspector!.describe!(Number(runs[2]!.bits), 0, 0, true)).toBe('SUPERSECTION AP=RW TEX0 XN');
  });

  it('PXN in a Page table descriptor removes kernel execution below it; AP = 0b100 is reserved', () => {
    const insp = a32Inspector();
    expect(insp.tableLimit!(0x4000_0001 | 4, 0, 0)).toBe((63 & ~EXECUTE) | (63 << 8));
    // a Small page with AP[2] = 1, AP[1:0] = 0b00
    expect(insp.problem!(0x4000_0202, 0, 1, true)).toMatch(/AP\[2:0\] = 0b100 is reserved/);
    expect(insp.describe!(0x4000_0c12, 0, 0, true)).toBe('SECTION AP=RW/RW TEX0 XN dom0');
  });
});

describe('short descriptors as Linux runs them: TEX remap and domains', () => {
  const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;
  // Linux's values, arch/arm/mm/proc-v7-2level.S ("Memory region attributes with SCTLR.TRE=1"): PRRR 0xff0a81a8 gives
  // TR0 = 0b00 (UNCACHED: Strongly-ordered), TR1..TR3 and TR7 = 0b10 (Normal), TR4 = 0b01 (DEV_SHARED: Device); NMRR
  // 0x40e040e0 gives IR1 = OR1 = 0b00 (BUFFERABLE: Normal Non-cacheable, Linux's write-combining), IR2 = OR2 = 0b10
  // (WRITETHROUGH), IR3 = OR3 = 0b11 (WRITEBACK), IR7 = OR7 = 0b01 (WRITEALLOC).
  const LINUX = { prrr: 0xff0a_81a8n, nmrr: 0x40e0_40e0n };
  // an SCTLR with the MMU on (M, bit 0), TRE (bit 28) set and AFE (bit 29) clear (B4.1.130)
  const SCTLR_TRE = 0x1000_0000n | 0x00c5_187dn;
  // DACR in the kernel with CONFIG_CPU_SW_DOMAIN_PAN (arch/arm/include/asm/domain.h, DACR_UACCESS_DISABLE): domain 0
  // (kernel), 2 (I/O) and 3 (vectors) Client, domain 1 (user) No access; 0b01_01_00_01
  const DACR_PAN = 0x51n;

  /**
   * A table with, as Linux maps them: a Small page n = 1 (TEX 0, C 0, B 1: Normal Non-cacheable, a DMA pool), a
   * Small page n = 4 (TEX[0] = 1, C = B = 0: Device, GIC MMIO), a Section n = 7 (TEX[0] = 1, C = B = 1: WBWA, the
   * linear map) in domain 0, and a user Small page under a Page table descriptor in domain 1.
   */
  function linuxLike() {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const table = new A32PageTable(memory);
    const c = table.cursor();
    c.map(0xf000_0000n, 0x4010_0000n, PageSize.Size4K, READ | WRITE); // n = 1 below
    c.map(0xf000_1000n, 0x2c00_2000n, PageSize.Size4K, READ | WRITE); // n = 4 below
    c.map(0xc000_0000n, 0x4000_0000n, PageSize.Size1M, READ | WRITE | EXECUTE);
    c.map(0x1_0000n, 0x4011_0000n, PageSize.Size4K, READ | WRITE | USER);
    c.flush();
    const entry = (va: bigint) => translateAddress(table, va).steps.at(-1)!.entryPaddr;
    const tex0 = 1 << 6; // TEX[0] of a Small page (B3.5.1)
    const small = (pa: number, bits: number) => (pa | (0b01 << 4) | 0b10 | bits) >>> 0; // AP[1:0] = 0b01, XN clear
    memory.writeU32(entry(0xf000_0000n), small(0x4010_0000, 0b01 << 2) | 1); // B, XN
    memory.writeU32(entry(0xf000_1000n), small(0x2c00_2000, tex0) | 1); // TEX[0], XN
    // the Section: TEX = 0b001 (TEX[0] = bit 12), C, B, AP[1:0] = 0b01, domain 0
    memory.writeU32(entry(0xc000_0000n), (0x4000_0000 | (1 << 12) | (0b01 << 10) | 0b1110) >>> 0);
    // the user page's Page table descriptor: domain 1 (bits 8:5)
    const pde = table.rootPaddr + 0n;
    memory.writeU32(pde, memory.readU32(pde) | (1 << 5));
    return { memory, table };
  }

  function flagsByVa(regs: Parameters<typeof decodeA32Registers>[0]): Map<bigint, number> {
    const { memory, table } = linuxLike();
    const p = plan({ ttbr0: table.rootPaddr, ...regs });
    const runs = [...dumpMappings({ ...p.format, handler: memory }, { roots: p.roots })] as MappingRun[];
    return new Map(runs.map((r) => [r.vaddr, r.effective]));
  }

  it('without TEX remap (TRE = 0, B3.8.2) the pool reads as Device and the GIC as Normal Non-cacheable', () => {
    const f = flagsByVa({});
    expect(f.get(0xf000_0000n)! & (DEVICE | UNCACHED)).toBe(DEVICE);
    expect(f.get(0xf000_1000n)! & (DEVICE | UNCACHED)).toBe(UNCACHED);
  });

  it('with Linux\'s PRRR / NMRR (TRE = 1, B3.8.3) they read as the kernel meant them', () => {
    const f = flagsByVa({ sctlr: SCTLR_TRE, ...LINUX });
    expect(f.get(0xf000_0000n)).toBe(READ | WRITE | UNCACHED);
    expect(f.get(0xf000_1000n)).toBe(READ | WRITE | DEVICE);
    expect(f.get(0xc000_0000n)).toBe(READ | WRITE | EXECUTE); // n = 7: Write-Back Write-Allocate
    // PRRR and NMRR alone imply TRE = 1, and say so
    expect(plan({ ttbr0: 0x4000_0000n, ...LINUX }).notes).toContain('SCTLR not given: TRE = 1 assumed (PRRR and NMRR were given)');
    expect(flagsByVa(LINUX)).toEqual(f);
  });

  it('a32RemapTypes reads each n from PRRR.TRn and NMRR.IRn / ORn', () => {
    expect(a32RemapTypes({ prrr: 0xff0a_81a8, nmrr: 0x40e0_40e0 })).toEqual([DEVICE, UNCACHED, 0, 0, DEVICE, DEVICE, DEVICE, 0]);
    // n = 0 Normal, n = 1 reserved (TR = 0b11: neither); Normal with only the outer level (OR0, bits 17:16) cacheable
    // is cached, Non-cacheable at both levels is UNCACHED
    expect(a32RemapTypes({ prrr: 0b11_10, nmrr: 0b01 << 16 }).slice(0, 2)).toEqual([0, 0]);
    expect(a32RemapTypes({ prrr: 0b11_10, nmrr: 0 }).slice(0, 2)).toEqual([UNCACHED, 0]);
    expect(() => a32Codec({ remap: { prrr: 2 ** 32, nmrr: 0 } })).toThrow(RangeError);
  });

  it('DACR: a domain with No access makes its pages inaccessible; Manager bypasses the permission bits', () => {
    // Linux's uaccess-disabled DACR: the user page (domain 1) is inaccessible, the kernel's (domain 0) as its bits say
    const pan = flagsByVa({ ...LINUX, dacr: DACR_PAN });
    expect(pan.get(0x1_0000n)).toBe(0);
    expect(pan.get(0xc000_0000n)).toBe(READ | WRITE | EXECUTE);
    // every domain a Client (the default): the user page as its bits say
    expect(flagsByVa(LINUX).get(0x1_0000n)).toBe(READ | WRITE | USER);
    // domain 0 Manager (B3.7.3): the Section is readable, writable and executable from both levels, XN or not; the
    // pool's XN is not honoured either
    const manager = flagsByVa({ ...LINUX, dacr: 0x53n });
    expect(manager.get(0xc000_0000n)).toBe(READ | WRITE | EXECUTE | USER);
    expect(manager.get(0xf000_0000n)).toBe(READ | WRITE | EXECUTE | USER | UNCACHED);
    // translations apply the same: the Section's own domain (a leaf limit), the user page's from its table entry
    const { memory, table } = linuxLike();
    const p = plan({ ttbr0: table.rootPaddr, ...LINUX, dacr: 0x53n });
    const t = (va: bigint) => translateAddress({ ...p.format, handler: memory }, va, { roots: p.roots }).effective;
    expect(t(0xc000_0123n)).toBe(READ | WRITE | EXECUTE | USER);
    expect(t(0x1_0000n)).toBe(0);
    // the memory type stays in a No access domain: what the entry maps is still known
    const none = flagsByVa({ ...LINUX, dacr: 0x50n });
    expect(none.get(0xf000_1000n)).toBe(DEVICE);
  });

  it('listings name the memory type; AFE = 1, a lone PRRR and TRE = 1 without PRRR are refused', () => {
    const p = plan({ ttbr0: 0x4000_0000n, ...LINUX });
    expect(p.format.inspector!.describe!(0x4010_0037, 0, 1, true)).toBe('SMALL AP=RW/RW TEX0 B XN MT=NC');
    expect(p.format.inspector!.describe!(0x4000_1c0e, 0, 0, true)).toBe('SECTION AP=RW/RW TEX1 C B dom0 MT=WBWA');
    expect(decodeA32Registers({ ttbr0: 0n, sctlr: 0x2000_0000n })).toMatchObject({ code: 'Unsupported', register: 'SCTLR.AFE' });
    expect(decodeA32Registers({ ttbr0: 0n, prrr: LINUX.prrr })).toMatchObject({ code: 'Missing', register: 'NMRR' });
    expect(decodeA32Registers({ ttbr0: 0n, sctlr: SCTLR_TRE })).toMatchObject({ code: 'Missing', register: 'PRRR' });
    expect(decodeA32Registers({ ttbr0: 0n, dacr: 1n << 32n })).toMatchObject({ code: 'Invalid', register: 'DACR' });
    expect(plan({ ttbr0: 0n, sctlr: 0n, ...LINUX }).notes).toContain('SCTLR.TRE = 0: PRRR and NMRR are not used');
  });
});

describe('decodeA32Registers with TTBCR.EAE = 1 (long descriptors)', () => {
  const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;
  // Linux's: EAE, SH1/ORGN1/IRGN1 = 0b11/0b01/0b01, T1SZ = 2, SH0/ORGN0/IRGN0 likewise, T0SZ = 0; its MAIR pair
  const LINUX = { ttbcr: 0xb502_3500n, mair0: 0xeeaa_4400n, mair1: 0xff00_0004n };

  it('gives each TTBR its range, its first level and its root (BADDR 39:x), with the ASID in 55:48 as a note', () => {
    const p = plan({ ...LINUX, ttbr0: 0x4000_0000n | (0x2an << 48n) | 0x18n, ttbr1: 0x4000_4000n });
    expect(p.format.name).toBe('ARMv7 long-descriptor (LPAE)');
    expect(p.roots).toEqual([
      { root: 0x4000_0000n, vaStart: 0n, vaEnd: 0xc000_0000n, vaBits: 32, startLevel: 0, kernel: false, label: 'TTBR0' },
      { root: 0x4000_4000n, vaStart: 0xc000_0000n, vaEnd: FOUR_G, vaBits: 30, startLevel: 1, kernel: true, label: 'TTBR1' },
    ]);
    expect(p.notes.join('\n')).toMatch(/TTBR0: ASID 0x2a \(the current ASID, TTBCR.A1 = 0\)/);
    expect(p.notes.join('\n')).toMatch(/BADDR bits below/); // bits 4:3 of TTBR0 with a 32-byte root
    expect(p.notes.join('\n')).toMatch(/DACR is not used/);
    // a 40-bit root; T0SZ = 3: a 2 KiB level 2 root (x = 11), BADDR bits 10:0 ignored
    const q = plan({ ttbcr: EAE | 3n, ttbr0: 0xab_cdef_f800n | 0x7ffn });
    expect(q.roots).toEqual([{ root: 0xab_cdef_f800n, vaStart: 0n, vaEnd: 0x2000_0000n, vaBits: 29, startLevel: 1, kernel: false, label: 'TTBR0' }]);
  });

  it('EPDn, TTBR1 with T0SZ = T1SZ = 0, the gap between the ranges, MAIR values, missing roots', () => {
    expect(plan({ ttbcr: EAE | (1n << 23n) | (2n << 16n), ttbr0: 0x1000n, ttbr1: 0x2000n }).roots.map((r) => r.label)).toEqual(['TTBR0']);
    const both0 = plan({ ttbcr: EAE, ttbr0: 0x1000n, ttbr1: 0x2000n });
    expect(both0.roots.map((r) => [r.label, r.vaEnd])).toEqual([['TTBR0', FOUR_G]]);
    expect(both0.notes.join('\n')).toMatch(/TTBR1 is not used/);
    const gap = plan({ ttbcr: EAE | 2n | (1n << 16n), ttbr0: 0x1000n, ttbr1: 0x2000n });
    expect(gap.roots.map((r) => [r.vaStart, r.vaEnd])).toEqual([[0n, 0x4000_0000n], [0x8000_0000n, FOUR_G]]);
    expect(gap.notes.join('\n')).toMatch(/0x40000000 to 0x80000000 are in neither range/);
    expect(decodeA32Registers({ ttbcr: EAE | (1n << 7n), ttbr0: 0x1000n })).toMatchObject({ code: 'Missing' });
    expect(decodeA32Registers({ ttbcr: EAE, ttbr0: 0x1000n, mair0: 1n << 32n })).toMatchObject({ code: 'Invalid', register: 'MAIR0' });
    expect(decodeA32Registers({ ttbcr: EAE, ttbr0: 0x1000n, mair0: 0xffff_ffffn, mair1: 0xffff_ffffn })).toMatchObject({ code: 'Unsupported' });
  });

  it('dumps Linux\'s two tables through the plan, memory types read through its MAIRs', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const opts = { t0sz: 0, t1sz: 2, mair0: 0xeeaa_4400, mair1: 0xff00_0004 };
    const user = new A32LpaePageTable(memory, opts);
    const kernel = new A32LpaeTtbr1PageTable(memory, opts);
    user.cursor().map(0x1_0000n, 0x4010_0000n, PageSize.Size4K, READ | EXECUTE | USER);
    user.cursor().map(0x8000_0000n, 0x1_0000_0000n, PageSize.Size1G, READ | UNCACHED);
    kernel.cursor().map(0xc000_0000n, 0x4000_0000n, PageSize.Size2M, READ | WRITE);
    kernel.cursor().map(0xffe0_1000n, 0x0900_0000n, PageSize.Size4K, READ | WRITE | DEVICE);
    const p = plan({ ...LINUX, ttbr0: user.rootPaddr, ttbr1: kernel.rootPaddr });
    const runs = [...dumpMappings({ ...p.format, handler: memory }, { roots: p.roots })] as MappingRun[];
    expect(runs.map((r) => [r.vaddr, r.paddr, r.pageSize, r.flags, r.kernel])).toEqual([
      [0x1_0000n, 0x4010_0000n, 4096, READ | EXECUTE | USER, false],
      [0x8000_0000n, 0x1_0000_0000n, 1 << 30, READ | UNCACHED, false],
      [0xc000_0000n, 0x4000_0000n, 1 << 21, READ | WRITE, true],
      [0xffe0_1000n, 0x0900_0000n, 4096, READ | WRITE | DEVICE, true],
    ]);
    expect(p.format.inspector!.levelNames).toEqual(['L1', 'L2', 'L3']);
    expect(p.format.inspector!.describe!(Number(runs[3]!.bits & 0xffff_ffffn), Number(runs[3]!.bits >> 32n), 2, true)).toBe('PAGE Attr4 AP=RW NSH AF PXN XN');
  });
});
