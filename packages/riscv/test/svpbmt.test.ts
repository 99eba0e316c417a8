// Svpbmt as a table option, against the privileged specification (20211203), chapter "Svpbmt Standard Extension for
// Page-Based Memory Types": PBMT is bits 62:61 of a leaf, table "Encodings for PBMT field": 0 PMA, 1 NC
// (non-cacheable, idempotent, weakly-ordered main memory), 2 IO (non-cacheable, non-idempotent, strongly-ordered
// I/O), 3 reserved; PBMT is reserved in non-leaf PTEs.
import { MappingFlags, PageSize, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import {
  decodeRiscvHgatp,
  decodeRiscvSatp,
  Rv64PTEGStageSvpbmt,
  Rv64PTESvpbmt,
  rvFormat,
  Sv32PageTable,
  Sv39PageTable,
  Sv39PageTableXuantie,
  Sv48x4PageTable,
} from '@page-table-multiarch/riscv';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, USER, DEVICE, UNCACHED } = MappingFlags;
const PERM_RW = 0xc7n; // V R W A D
const NC = 1n << 61n;
const IO = 2n << 61n;
const ppn = (pa: bigint) => (pa >> 12n) << 10n;

describe('Svpbmt codec', () => {
  it.each([
    ['DEVICE', READ | WRITE | DEVICE, IO],
    ['UNCACHED', READ | WRITE | UNCACHED, NC],
    ['DEVICE | UNCACHED (IO is non-cacheable too)', READ | WRITE | DEVICE | UNCACHED, IO],
    ['neither (PMA)', READ | WRITE, 0n],
  ])('%s: PBMT bits 62:61 as the table says', (_name, flags, pbmt) => {
    const bits = Rv64PTESvpbmt.newPage(0x1000_0000n, flags, false);
    expect(bits).toBe(pbmt | ppn(0x1000_0000n) | PERM_RW);
    // read back: IO as DEVICE, NC as UNCACHED
    expect(Rv64PTESvpbmt.flags(bits)).toBe(READ | WRITE | (pbmt === IO ? DEVICE : pbmt === NC ? UNCACHED : 0));
  });

  it('table entries carry no PBMT (reserved in non-leaf PTEs); the G-stage form adds U as well', () => {
    expect(Rv64PTESvpbmt.newTable(0x8020_0000n)).toBe(ppn(0x8020_0000n) | 1n);
    expect(Rv64PTEGStageSvpbmt.newPage(0x1000_0000n, READ | DEVICE, false)).toBe(IO | ppn(0x1000_0000n) | 0xd3n);
  });
});

describe('the svpbmt table option', () => {
  it('a table with svpbmt writes memory types and protect changes them; one without writes none', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = new Sv39PageTable(memory, { svpbmt: true });
    const plain = new Sv39PageTable(memory);
    const c = table.cursor();
    c.map(0x1000n, 0x1000_0000n, PageSize.Size4K, READ | WRITE | DEVICE);
    c.map(0x4000_0000n, 0x8000_0000n, PageSize.Size1G, READ | UNCACHED);
    c.flush();
    expect([...table.mappings()].map((m) => m.bits >> 61n)).toEqual([2n, 1n]);
    expect(table.query(0x1234n).flags).toBe(READ | WRITE | DEVICE);
    table.cursor().protect(0x1000n, READ | WRITE);
    expect([...table.mappings()][0]!.bits >> 61n).toBe(0n);
    plain.cursor().map(0x1000n, 0x1000_0000n, PageSize.Size4K, READ | WRITE | DEVICE);
    expect([...plain.mappings()][0]!.bits >> 61n).toBe(0n);
    const g = new Sv48x4PageTable(memory, { svpbmt: true });
    g.cursor().map(0x2000n, 0x1000_0000n, PageSize.Size4K, READ | UNCACHED);
    expect(g.query(0x2000n).flags).toBe(READ | USER | UNCACHED);
  });

  it('refused, before any frame is taken: a non-boolean, a XuanTie table, an Sv32 table', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const frames = memory.framesInUse;
    expect(() => new Sv39PageTable(memory, { svpbmt: 'yes' as never })).toThrow(TypeError);
    expect(() => new Sv39PageTableXuantie(memory, { svpbmt: true } as never)).toThrow(/XuanTie/);
    expect(() => new Sv32PageTable(memory, { svpbmt: false } as never)).toThrow(/RV32/);
    expect(memory.framesInUse).toBe(frames);
  });

  it('the register decoders attach with Svpbmt when told, and refuse it with the XuanTie attributes', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = new Sv39PageTable(memory, { svpbmt: true });
    const plan = decodeRiscvSatp({ satp: (8n << 60n) | (table.rootPaddr >> 12n), svpbmt: true });
    if (plan instanceof RegisterError) throw plan;
    expect(plan.format.name).toBe('Sv39 (Svpbmt)');
    const attached = plan.format.attach(memory, plan.roots[0]!.root, { writable: true });
    attached.cursor().map(0x3000n, 0x1000_0000n, PageSize.Size4K, READ | DEVICE);
    expect(table.query(0x3000n).flags).toBe(READ | DEVICE);
    expect(decodeRiscvSatp({ satp: 8n << 60n, svpbmt: true, xuantie: true })).toMatchObject({ code: 'Invalid' });
    expect(rvFormat(8, false, true).pte).toBe(Rv64PTESvpbmt);
    expect(() => rvFormat(1, false, true)).toThrow(RangeError);
    const gplan = decodeRiscvHgatp({ hgatp: (8n << 60n) | 4n, svpbmt: true });
    if (gplan instanceof RegisterError) throw gplan;
    expect(gplan.format.pte).toBe(Rv64PTEGStageSvpbmt);
  });
});
