// Sv32 (RV32) tables, their codec, satp for SXLEN = 32 and the Sv32 inspector, against the privileged specification
// (20211203): section "Sv32: Page-Based 32-bit Virtual-Memory Systems" (VPN[1] 31:22, VPN[0] 21:12; PTE bits V 0,
// R 1, W 2, X 3, U 4, G 5, A 6, D 7, PPN[0] 19:10, PPN[1] 31:20; 34-bit physical addresses; 4 MiB megapages) and
// 4.1.11 "satp" (SXLEN = 32: MODE bit 31, 1 = Sv32; ASID 30:22; PPN 21:0).
import { MappingFlags, PageSize, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import {
  decodeRiscvHgatp,
  decodeRiscvSatp,
  encodeRiscvHgatp,
  encodeRiscvSatp,
  Rv32PTE,
  Rv32PTEGStage,
  rvInspector,
  Sv32MetaData,
  Sv32PageTable,
  Sv32x4MetaData,
  Sv32x4PageTable,
} from '@page-table-multiarch/riscv';
import { describe, expect, it } from 'vitest';
import { A, D, R, sameBytes, U, V, W, X } from './_mmu-setup';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
/** An Sv32 PTE's PPN field: physical address bits 33:12 in entry bits 31:10. */
const ppn = (pa: bigint) => (pa >> 12n) << 10n;

describe('Sv32 geometry and entries', () => {
  it('two levels of 1024 4-byte entries, 32-bit virtual and 34-bit physical addresses', () => {
    expect(Sv32MetaData.indexBits).toEqual([10, 10]);
    expect(Sv32MetaData.tableBytes).toEqual([4096, 4096]);
    expect([Sv32MetaData.entryBytes, Sv32MetaData.vaMaxBits, Sv32MetaData.paMaxBits]).toEqual([4, 32, 34]);
    expect(Sv32MetaData.levelSize).toEqual([PageSize.Size4M, PageSize.Size4K]);
    expect(Sv32MetaData.vaddrIsValid(0xffff_f000n)).toBe(true);
    expect(Sv32MetaData.vaddrIsValid(0x1_0000_0000n)).toBe(false);
  });

  it.each([
    [READ | WRITE, V | R | W | A | D],
    [READ | EXECUTE | USER, V | R | X | U | A | D],
    [EXECUTE, V | X | A | D],
    [WRITE, V | R | W | A | D],
  ])('flags %i encode as %i with the 22-bit PPN', (flags, bits) => {
    expect(Rv32PTE.newPage(0x3_ffff_f000n, flags, false)).toBe(0xffff_fc00n | bits);
    expect(Rv32PTE.newPage(0x8020_0000n, flags, false)).toBe(ppn(0x8020_0000n) | bits);
    expect(Rv32PTE.paddr(0xffff_fc00n | bits)).toBe(0x3_ffff_f000n);
    expect(Rv32PTE.newTable(0x2_0000_1000n)).toBe(ppn(0x2_0000_1000n) | V);
  });

  it('VPN[1] indexes the root, VPN[0] the second level; a 4 MiB megapage above 4 GiB of physical memory', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = new Sv32PageTable(memory);
    const cursor = table.cursor();
    cursor.map(0xc040_0000n, 0x3_0040_0000n, PageSize.Size4M, READ | WRITE);
    cursor.map(0x0040_3000n, 0x2_8000_5000n, PageSize.Size4K, READ | EXECUTE | USER);
    cursor.flush();
    // root entry VPN[1] = 0x301 (4 bytes each) holds the megapage
    expect(memory.readU32(table.rootPaddr + 0x301n * 4n)).toBe(Number(ppn(0x3_0040_0000n) | V | R | W | A | D));
    // root entry 1 points at the second level, whose entry VPN[0] = 3 holds the page
    const l1 = BigInt(memory.readU32(table.rootPaddr + 4n)) >> 10n << 12n;
    expect(memory.readU32(table.rootPaddr + 4n) & 0x3ff).toBe(1);
    expect(memory.readU32(l1 + 3n * 4n)).toBe(Number(ppn(0x2_8000_5000n) | V | R | X | U | A | D));
    expect(table.query(0xc07f_fffcn)).toEqual({ paddr: 0x3_007f_fffcn, flags: READ | WRITE, size: PageSize.Size4M });
    expect(table.query(0x0040_3abcn)).toEqual({ paddr: 0x2_8000_5abcn, flags: READ | EXECUTE | USER, size: PageSize.Size4K });
  });

  it('a physical address beyond 34 bits, a virtual one beyond 32, a misaligned megapage: typed errors, memory unchanged', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = new Sv32PageTable(memory);
    const before = memory.bytes().slice();
    const cursor = table.cursor();
    expect(() => cursor.map(0x1000n, 0x4_0000_0000n, PageSize.Size4K, READ)).toThrow(expect.objectContaining({ code: 'InvalidAddress' }));
    expect(() => cursor.map(0x1_0000_0000n, 0x1000n, PageSize.Size4K, READ)).toThrow(expect.objectContaining({ code: 'InvalidAddress' }));
    expect(() => cursor.map(0x0020_0000n, 0x1000n, PageSize.Size4M, READ)).toThrow(expect.objectContaining({ code: 'NotAligned' }));
    expect(() => cursor.map(0x0040_0000n, 0x1000n, PageSize.Size2M, READ)).toThrow(expect.objectContaining({ code: 'UnsupportedPageSize' }));
    expect(sameBytes(memory.bytes(), before)).toBe(true);
  });
});

describe('satp for SXLEN = 32', () => {
  const satp32 = (asid: number, ppnValue: number) => (1n << 31n) | (BigInt(asid) << 22n) | BigInt(ppnValue);
  it('MODE 1 is Sv32: the root at PPN << 12 (above 4 GiB too), one range of 32-bit addresses, the ASID noted', () => {
    const p = decodeRiscvSatp({ satp: satp32(0x1ff, 0x28_0201), xlen: 32 });
    if (p instanceof RegisterError) throw p;
    expect(p.format.name).toBe('Sv32');
    expect(p.roots).toEqual([{ root: 0x2_8020_1000n, vaStart: 0n, vaEnd: 1n << 32n, kernel: false, label: 'satp' }]);
    expect(p.notes).toEqual(['satp: ASID 0x1ff']);
  });

  it('Bare is Unsupported, a value wider than 32 bits Invalid, XuanTie Unsupported; MODE 1 of an RV64 satp stays reserved', () => {
    expect(decodeRiscvSatp({ satp: 0x8_0201n, xlen: 32 })).toMatchObject({ code: 'Unsupported', register: 'satp.MODE' });
    expect(decodeRiscvSatp({ satp: 1n << 32n, xlen: 32 })).toMatchObject({ code: 'Invalid', register: 'satp' });
    expect(decodeRiscvSatp({ satp: satp32(0, 1), xlen: 32, xuantie: true })).toMatchObject({ code: 'Unsupported' });
    expect(decodeRiscvSatp({ satp: (1n << 60n) | 1n })).toMatchObject({ code: 'Invalid', register: 'satp.MODE' });
  });

  it('encodeRiscvSatp of an Sv32 table is the decoder\'s inverse; the ASID has 9 bits', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = new Sv32PageTable(memory);
    table.cursor().map(0xffff_f000n, 0x8010_0000n, PageSize.Size4K, READ);
    const { satp } = encodeRiscvSatp(table, { asid: 0x155 });
    expect(satp).toBe((1n << 31n) | (0x155n << 22n) | (table.rootPaddr >> 12n));
    const p = decodeRiscvSatp({ satp, xlen: 32 });
    if (p instanceof RegisterError) throw p;
    expect(p.format.attach(memory, p.roots[0]!.root).query(0xffff_f123n).paddr).toBe(0x8010_0123n);
    expect(() => encodeRiscvSatp(table, { asid: 512 })).toThrow(RangeError);
  });
});

describe('the Sv32 inspector', () => {
  const inspector = rvInspector({ levels: 2 });
  it('a megapage whose PPN[0] (bits 19:10) is not zero is misaligned; a 4K page never is', () => {
    const mega = Number(ppn(0x8040_0000n) | V | R | A | D);
    expect(inspector.problem!(mega, 0, 0, true)).toBeUndefined();
    expect(inspector.problem!(mega | (1 << 10), 0, 0, true)).toMatch(/misaligned/);
    expect(inspector.problem!(mega | (1 << 19), 0, 0, true)).toMatch(/misaligned/);
    expect(inspector.problem!(mega | (1 << 10), 0, 1, true)).toBeUndefined();
    expect(inspector.levelNames).toEqual(['L1', 'L0']);
  });
});

describe('Sv32x4: the RV32 G-stage (Hypervisor Extension, "Guest Physical Address Translation" and hgatp)', () => {
  it('34-bit guest-physical addresses, a 16 KiB root of 4096 entries aligned to 16 KiB, 1024-entry tables below', () => {
    expect(Sv32x4MetaData.indexBits).toEqual([12, 10]);
    expect(Sv32x4MetaData.tableBytes).toEqual([16384, 4096]);
    expect(Sv32x4MetaData.vaddrIsValid((1n << 34n) - 1n)).toBe(true);
    expect(Sv32x4MetaData.vaddrIsValid(1n << 34n)).toBe(false);
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    memory.allocFrames(1, 4096);
    const table = new Sv32x4PageTable(memory);
    expect(table.rootPaddr % 0x4000n).toBe(0n);
    // guest-physical 0x3_ffc0_0000: root entry 4095 (bits 33:22), beyond what a 1024-entry root holds
    table.cursor().map(0x3_ffc0_0000n, 0x2_0040_0000n, PageSize.Size4M, READ);
    expect(memory.readU32(table.rootPaddr + 4095n * 4n)).toBe(Number(ppn(0x2_0040_0000n) | V | R | U | A | D));
    expect(table.query(0x3_ffc0_1234n)).toEqual({ paddr: 0x2_0040_1234n, flags: READ | USER, size: PageSize.Size4M });
    expect(Rv32PTEGStage.newPage(0x8020_0000n, READ, false)).toBe(ppn(0x8020_0000n) | V | R | U | A | D);
  });

  it('hgatp for HSXLEN = 32: MODE bit 31, VMID 28:22, PPN 21:0; Bare, bits 30:29, a misaligned root and a wide value refused', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = new Sv32x4PageTable(memory);
    const { hgatp } = encodeRiscvHgatp(table, { vmid: 0x7f });
    expect(hgatp).toBe((1n << 31n) | (0x7fn << 22n) | (table.rootPaddr >> 12n));
    const p = decodeRiscvHgatp({ hgatp, xlen: 32 });
    if (p instanceof RegisterError) throw p;
    expect(p.format.name).toBe('Sv32x4');
    expect(p.roots).toEqual([{ root: table.rootPaddr, vaStart: 0n, vaEnd: 1n << 34n, kernel: false, label: 'hgatp' }]);
    expect(p.notes).toEqual(['hgatp: VMID 0x7f']);
    expect(decodeRiscvHgatp({ hgatp: 0x8_0204n, xlen: 32 })).toMatchObject({ code: 'Unsupported' });
    expect(decodeRiscvHgatp({ hgatp: hgatp | (1n << 29n), xlen: 32 })).toMatchObject({ code: 'Invalid', register: 'hgatp' });
    expect(decodeRiscvHgatp({ hgatp: (1n << 31n) | 0x8_0201n, xlen: 32 })).toMatchObject({ code: 'Invalid', register: 'hgatp.PPN' });
    expect(decodeRiscvHgatp({ hgatp: 1n << 32n, xlen: 32 })).toMatchObject({ code: 'Invalid' });
    expect(() => encodeRiscvHgatp(table, { vmid: 0x80 })).toThrow(RangeError);
  });
});
