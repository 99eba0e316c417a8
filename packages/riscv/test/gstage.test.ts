// G-stage tables (Sv39x4, Sv48x4, Sv57x4), hgatp, and the G-stage inspector, against the privileged specification
// (20211203), chapter "Hypervisor Extension, Version 1.0": section "Hypervisor Guest Address Translation and
// Protection Register (hgatp)" (HSXLEN = 64: MODE 63:60, bits 59:58 zero, VMID 57:44, PPN 43:0; MODE 8 Sv39x4,
// 9 Sv48x4, 10 Sv57x4) and subsection "Guest Physical Address Translation" (the root has 2048 entries, 16 KiB,
// 16 KiB aligned; guest-physical addresses of 41, 50 and 59 bits; every G-stage access is a U-mode access).
// The PTE fields are those of the "Sv39 page table entry" figure (V 0, R 1, W 2, X 3, U 4, G 5, A 6, D 7, PPN 53:10).
import { MappingFlags, PageSize, PagingError, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import {
  decodeRiscvHgatp,
  encodeRiscvHgatp,
  gStageLeafFlags,
  Rv64PTEGStage,
  rvInspector,
  Sv39x4MetaData,
  Sv39x4PageTable,
  Sv48x4MetaData,
  Sv48x4PageTable,
  Sv57x4MetaData,
  Sv57x4PageTable,
} from '@page-table-multiarch/riscv';
import { describe, expect, it } from 'vitest';
import { A, D, R, sameBytes, U, V, W, X } from './_mmu-setup';

const { READ, WRITE, EXECUTE, USER, DEVICE } = MappingFlags;
const ppn = (pa: bigint) => (pa >> 12n) << 10n;

describe('G-stage geometry', () => {
  it.each([
    ['Sv39x4', Sv39x4MetaData, 41, [11, 9, 9]],
    ['Sv48x4', Sv48x4MetaData, 50, [11, 9, 9, 9]],
    ['Sv57x4', Sv57x4MetaData, 59, [11, 9, 9, 9, 9]],
  ] as const)('%s: guest-physical width, a 2048-entry 16 KiB root, 512-entry tables below', (_name, meta, bits, index) => {
    expect(meta.vaMaxBits).toBe(bits);
    expect(meta.indexBits).toEqual(index);
    expect(meta.tableBytes).toEqual([16384, ...index.slice(1).map(() => 4096)]);
    expect([meta.upperHalf, meta.signExtend]).toEqual([false, false]);
    expect(meta.vaddrIsValid((1n << BigInt(bits)) - 1n)).toBe(true);
    expect(meta.vaddrIsValid(1n << BigInt(bits))).toBe(false);
    expect(meta.vaddrIsValid(0xffff_ffff_ffff_f000n)).toBe(false); // no upper half
  });

  it('the root takes four frames aligned to 16 KiB, even when the allocator must skip a frame', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    memory.allocFrames(1, 4096); // leaves the next free frame 4 KiB past a 16 KiB boundary
    const before = memory.framesInUse;
    const table = new Sv39x4PageTable(memory);
    expect(table.rootPaddr % 0x4000n).toBe(0n);
    expect(memory.framesInUse - before).toBe(4);
    table.destroy();
    expect(memory.framesInUse).toBe(before);
  });

  it('indexes the root with guest-physical bits 40:30: the last entry maps the top gigabyte', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = new Sv39x4PageTable(memory);
    const top = (1n << 41n) - (1n << 30n);
    table.cursor().map(top, 0xc000_0000n, PageSize.Size1G, READ | WRITE);
    // entry 2047 of the root, at byte 16376: beyond what a 512-entry root holds
    expect(memory.readU64(table.rootPaddr + 2047n * 8n)).toBe(ppn(0xc000_0000n) | V | R | W | U | A | D);
    expect(table.query(top + 0x1234n)).toEqual({ paddr: 0xc000_1234n, flags: READ | WRITE | USER, size: PageSize.Size1G });
  });
});

describe('G-stage leaves always carry U', () => {
  // Encodings written from the PTE figure: V R W X U A D as asked, U on every leaf, G never, table entries V alone.
  it.each([
    [READ, V | R | U | A | D],
    [READ | WRITE, V | R | W | U | A | D],
    [READ | EXECUTE | USER, V | R | X | U | A | D],
    [EXECUTE, V | X | U | A | D],
    [WRITE, V | R | W | U | A | D], // W without R is reserved: READ is added, as in the VS-stage tables
    [DEVICE, V | R | U | A | D], // no permission asked: the least a leaf grants
  ])('flags %i encode as %i | PPN', (flags, bits) => {
    expect(Rv64PTEGStage.newPage(0x8020_0000n, flags, false)).toBe(ppn(0x8020_0000n) | bits);
    expect(Rv64PTEGStage.flags(ppn(0x8020_0000n) | bits) & USER).toBe(USER);
  });

  it('the empty set stays empty, table entries are V alone', () => {
    expect(gStageLeafFlags(0)).toBe(0);
    expect(Rv64PTEGStage.newPage(0x8020_0000n, 0, false)).toBe(ppn(0x8020_0000n));
    expect(Rv64PTEGStage.newTable(0x8020_4000n)).toBe(ppn(0x8020_4000n) | V);
  });

  it('map, protect and mapRegion without USER read back with USER, in the entry and in query()', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = new Sv48x4PageTable(memory);
    const cursor = table.cursor();
    cursor.map(0x1000n, 0x8010_0000n, PageSize.Size4K, READ);
    cursor.mapRegion(0x4000_0000n, 0x8020_0000n, 0x40_0000, READ | WRITE, true);
    cursor.protect(0x1000n, READ | EXECUTE);
    cursor.flush();
    expect(table.query(0x1000n).flags).toBe(READ | EXECUTE | USER);
    expect(table.query(0x4020_0000n)).toEqual({ paddr: 0x8040_0000n, flags: READ | WRITE | USER, size: PageSize.Size2M });
    for (const m of table.mappings()) expect(m.flags & USER).toBe(USER);
  });
});

describe('G-stage bad input: typed errors, memory unchanged', () => {
  it('a guest-physical address beyond the width is InvalidAddress', () => {
    for (const [table, bits] of [
      [new Sv39x4PageTable(new PhysicalMemory({ size: 1 << 20 })), 41n],
      [new Sv57x4PageTable(new PhysicalMemory({ size: 1 << 20 })), 59n],
    ] as const) {
      const memory = table.handler as PhysicalMemory;
      const before = memory.bytes().slice();
      const frames = memory.framesInUse;
      expect(() => table.cursor().map(1n << bits, 0x1000n, PageSize.Size4K, READ)).toThrow(expect.objectContaining({ code: 'InvalidAddress' }));
      expect(sameBytes(memory.bytes(), before)).toBe(true);
      expect(memory.framesInUse).toBe(frames);
    }
  });

  it('attaching to a root that is not 16 KiB aligned is NotAligned', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const before = memory.bytes().slice();
    const err = (() => {
      try {
        new Sv39x4PageTable(memory, { root: 0x8000_1000n });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(PagingError);
    expect((err as PagingError).code).toBe('NotAligned');
    expect(sameBytes(memory.bytes(), before)).toBe(true);
    expect(() => new Sv39x4PageTable(memory, { root: 0x8000_4000n })).not.toThrow();
  });
});

describe('hgatp', () => {
  const hgatp = (mode: number, vmid: number, ppnValue: bigint) => (BigInt(mode) << 60n) | (BigInt(vmid) << 44n) | ppnValue;
  const plan = (v: bigint) => {
    const p = decodeRiscvHgatp({ hgatp: v });
    if (p instanceof RegisterError) throw p;
    return p;
  };

  it('MODE 8/9/10 are Sv39x4/Sv48x4/Sv57x4: the root at PPN << 12, one range from 0, the VMID noted', () => {
    const p = plan(hgatp(8, 0x2a, 0x8_0204n));
    expect(p.format.name).toBe('Sv39x4');
    expect(p.roots).toEqual([{ root: 0x8020_4000n, vaStart: 0n, vaEnd: 1n << 41n, kernel: false, label: 'hgatp' }]);
    expect(p.notes).toEqual(['hgatp: VMID 0x2a']);
    expect(plan(hgatp(9, 0, 4n)).roots[0]!.vaEnd).toBe(1n << 50n);
    expect(plan(hgatp(10, 0x3fff, (1n << 44n) - 4n)).roots[0]).toMatchObject({ root: ((1n << 44n) - 4n) << 12n, vaEnd: 1n << 59n });
    expect(plan(hgatp(10, 0, 4n)).format.name).toBe('Sv57x4');
  });

  it('Bare is Unsupported; reserved modes, bits 59:58 and a root not 16 KiB aligned are Invalid', () => {
    const err = (v: bigint) => decodeRiscvHgatp({ hgatp: v }) as RegisterError;
    expect(err(0n)).toMatchObject({ code: 'Unsupported', register: 'hgatp.MODE' });
    for (const mode of [1, 7, 11, 15]) expect(err(hgatp(mode, 0, 4n))).toMatchObject({ code: 'Invalid', register: 'hgatp.MODE' });
    expect(err(hgatp(8, 0, 4n) | (1n << 58n))).toMatchObject({ code: 'Invalid', register: 'hgatp' });
    expect(err(hgatp(8, 0, 0x8_0201n))).toMatchObject({ code: 'Invalid', register: 'hgatp.PPN', message: expect.stringMatching(/16 KiB/) });
  });

  it('encodeRiscvHgatp is the decoder\'s inverse, and the plan attaches to the same mappings', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = new Sv39x4PageTable(memory);
    table.cursor().map(0x1ff_ffff_f000n, 0x8010_0000n, PageSize.Size4K, READ | WRITE);
    const { hgatp: value } = encodeRiscvHgatp(table, { vmid: 7 });
    expect(value).toBe((8n << 60n) | (7n << 44n) | (table.rootPaddr >> 12n));
    const p = plan(value);
    const attached = p.format.attach(memory, p.roots[0]!.root);
    expect(attached.query(0x1ff_ffff_f123n)).toEqual(table.query(0x1ff_ffff_f123n));
    expect(encodeRiscvHgatp(new Sv57x4PageTable(memory)).hgatp >> 60n).toBe(10n);
  });
});

describe('the G-stage inspector', () => {
  const leaf = ppn(0x8020_0000n) | V | R | A | D;
  it('reports a leaf without U (no guest access can use it), and only with gStage', () => {
    const g = rvInspector({ levels: 3, gStage: true });
    expect(g.problem!(Number(leaf), 0, 2, true)).toMatch(/U = 0 in a G-stage leaf/);
    expect(g.problem!(Number(leaf | U), 0, 2, true)).toBeUndefined();
    expect(g.problem!(Number(ppn(0x8020_0000n) | V), 0, 1, false)).toBeUndefined(); // a table entry has no U
    expect(rvInspector({ levels: 3 }).problem!(Number(leaf), 0, 2, true)).toBeUndefined();
  });
});
