// EPT tables, the EPTP decoder and encoder, and the EPT inspector. Field positions from Intel SDM Vol. 3C 25.6.11
// (format of the EPTP) and 29.3.2 (Tables 29-1 to 29-6); the checks the CPU makes from 29.3.3.1 (EPT
// misconfigurations) and the VM-entry checks on the EPTP. QEMU's TCG does not implement VMX, so no emulator walks
// these tables: the expected values are written from the manual.
import { dumpMappings, MappingFlags, PageSize, PagingError, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import {
  decodeX86Eptp,
  encodeX86Eptp,
  X64PageTable,
  X86Ept5PageTable,
  X86EptPageTable,
  x86EptInspector,
} from '@page-table-multiarch/x86_64';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER, DEVICE } = MappingFlags;
const RWX = READ | WRITE | EXECUTE;

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
  expect(mem.bytes().findIndex((b, i) => b !== before[i])).toBe(-1);
}

describe('X86EptPageTable and X86Ept5PageTable (29.3.2)', () => {
  it('walks guest-physical bits 47:39, 38:30, 29:21, 20:12 and writes the leaf of Table 29-6', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const ept = new X86EptPageTable(memory);
    const gpa = (1n << 39n) * 5n + (1n << 30n) * 7n + (1n << 21n) * 9n + (1n << 12n) * 11n;
    ept.cursor().map(gpa, 0xabc_d000n, PageSize.Size4K, READ | WRITE);
    // follow the walk by hand: each level's entry at index * 8 of its table, the address in bits 51:12
    let table = ept.rootPaddr;
    for (const index of [5n, 7n, 9n]) {
      const e = memory.readU64(table + index * 8n);
      expect(e & 0xfffn).toBe(0x7n); // R | W | X: the leaf decides (Tables 29-1, 29-3, 29-5)
      table = e & 0x000f_ffff_ffff_f000n;
    }
    expect(memory.readU64(table + 11n * 8n)).toBe(0xabc_d000n | (6n << 3n) | 3n); // WB, W, R
    expect(ept.query(gpa + 0x123n)).toEqual({ paddr: 0xabc_d123n, flags: READ | WRITE, size: PageSize.Size4K });
  });

  it('has no canonical rule: every guest-physical address below 2^48 (2^57) is valid, and none above', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const ept = new X86EptPageTable(memory);
    // 0x0000_8000_0000_0000 is non-canonical for 4-level paging, an ordinary guest-physical address here
    ept.cursor().map(0x0000_8000_0000_0000n, 0x4000_0000n, PageSize.Size1G, RWX);
    expect(ept.query(0x0000_8000_0000_1000n).paddr).toBe(0x4000_1000n);
    expect(() => new X64PageTable(new PhysicalMemory({ size: 1 << 16 })).query(0x0000_8000_0000_0000n)).toThrow(/InvalidAddress|valid/);
    refused(memory, 'InvalidAddress', () => ept.cursor().map(1n << 48n, 0x1000n, PageSize.Size4K, READ));
    refused(memory, 'InvalidAddress', () => ept.cursor().map(0xffff_ffff_ffff_f000n, 0x1000n, PageSize.Size4K, READ));
    const ept5 = new X86Ept5PageTable(memory);
    ept5.cursor().map((1n << 57n) - 0x20_0000n, 0x20_0000n, PageSize.Size2M, READ);
    expect(ept5.query((1n << 57n) - 1n).paddr).toBe(0x3f_ffffn);
    refused(memory, 'InvalidAddress', () => ept5.cursor().map(1n << 57n, 0x1000n, PageSize.Size4K, READ));
  });

  it('with MBEC, EXECUTE | USER sets bit 10 in the leaf and the tables grant it (Table 29-6)', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const ept = new X86EptPageTable(memory, { mbec: true });
    ept.cursor().map(0x1000n, 0x5000n, PageSize.Size4K, READ | EXECUTE | USER);
    expect(memory.readU64(ept.rootPaddr) & 0xfffn).toBe(0x407n);
    expect(ept.query(0x1000n).flags).toBe(READ | EXECUTE | USER);
    const plain = new X86EptPageTable(memory);
    plain.cursor().map(0x1000n, 0x5000n, PageSize.Size4K, READ | EXECUTE | USER);
    expect(plain.query(0x1000n).flags).toBe(READ | EXECUTE);
  });

  it('passes the leaf options to its codec: ignore PAT (bit 6), suppress #VE (bit 63), no execute-only pages', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const ept = new X86EptPageTable(memory, { ignorePat: true, suppressVe: true, executeOnly: false });
    ept.cursor().map(0x1000n, 0x5000n, PageSize.Size4K, EXECUTE);
    const leaf = (1n << 63n) | 0x5000n | (1n << 6n) | (6n << 3n) | 0x5n; // SVE, IPAT, WB, X, R
    expect(ept.query(0x1000n).flags).toBe(READ | EXECUTE);
    let found = 0n;
    ept.walk(4, (level, _index, va, bits) => {
      if (level === 3 && va === 0x1000n) found = bits;
    });
    expect(found).toBe(leaf);
  });

  it('reads an execute-only leaf, present by X alone (29.3.2), as a page on the number paths too', () => {
    const memory = new PhysicalMemory({ size: 4 << 20, base: 0x10_0000 });
    const ept = new X86EptPageTable(memory);
    const c = ept.cursor();
    // one page in each of 32 last-level tables, X alone, R alone and R | W by turns: each lookup below misses the
    // table of the one before it, so the walk runs from the root every time
    const flagsOf = [EXECUTE, READ, READ | WRITE];
    for (let i = 0; i < 32; i++) c.map(i * 0x20_0000 + 0x3000, 0x4000_0000 + i * 0x1000, PageSize.Size4K, flagsOf[i % 3]!);
    c.flush();
    expect(memory.readU64(ept.rootPaddr) & 7n).toBe(7n);
    for (let i = 0; i < 32; i++) {
      expect(ept.queryNumber(i * 0x20_0000 + 0x3abc), `page ${i}`).toBe(0x4000_0abc + i * 0x1000);
      expect(ept.query(BigInt(i * 0x20_0000 + 0x3000)).flags).toBe(flagsOf[i % 3]);
      // a hole beside it in the same table
      expect(ept.queryNumber(i * 0x20_0000 + 0x4000), `hole ${i}`).toBe(-1);
    }
    // a region of execute-only pages, filled from the first one's words, then unmapped page by page
    c.mapRegion(0x4000_0000, 0x800_0000, 0x10_0000, EXECUTE, false);
    for (let off = 0; off < 0x10_0000; off += 0x1000) expect(ept.queryNumber(0x4000_0000 + off)).toBe(0x800_0000 + off);
    for (let off = 0; off < 0x10_0000; off += 0x1000) c.unmap(0x4000_0000 + off);
    c.flush();
    expect(ept.queryNumber(0x4008_0000)).toBe(-1);
  });
});

describe('decodeX86Eptp and encodeX86Eptp (25.6.11)', () => {
  it('decodes the memory type, the page-walk length, the A/D enable and the root', () => {
    // WB (6) in bits 2:0, page-walk length 4 (3 in bits 5:3), A/D (bit 6), root 0x12_3456_7000
    const plan = decodeX86Eptp({ eptp: 0x12_3456_7000n | 0x40n | (3n << 3n) | 6n });
    if (plan instanceof RegisterError) throw plan;
    expect(plan.format.name).toBe('x86 EPT 4-level');
    expect(plan.roots).toEqual([{ root: 0x12_3456_7000n, vaStart: 0n, vaEnd: 1n << 48n, label: 'EPTP', kernel: false }]);
    expect(plan.notes.join('\n')).toMatch(/WB[\s\S]*accessed and dirty/);
    // A and D are named only when bit 6 enables them
    expect(plan.format.inspector!.describe!(0x1000 | 0x300 | 0x33, 0, 3, true)).toBe('R W WB A D');
    const noAd = decodeX86Eptp({ eptp: 0x1000n | (3n << 3n) | 6n });
    if (noAd instanceof RegisterError) throw noAd;
    expect(noAd.format.inspector!.describe!(0x1000 | 0x300 | 0x33, 0, 3, true)).toBe('R W WB');
    // page-walk length 5 (4 in bits 5:3), UC: 5-level EPT over [0, 2^57)
    const five = decodeX86Eptp({ eptp: 0x2000n | (4n << 3n) });
    if (five instanceof RegisterError) throw five;
    expect(five.format.name).toBe('x86 EPT 5-level');
    expect(five.roots[0]!.vaEnd).toBe(1n << 57n);
    expect(five.notes[0]).toMatch(/UC/);
  });

  it('refuses what the VM-entry checks refuse: memory types other than UC and WB, other walk lengths, reserved bits', () => {
    const cases: [bigint, string][] = [
      [0x1000n | (3n << 3n) | 1n, 'EPTP.MT'], // WC for the paging structures
      [0x1000n | (3n << 3n) | 7n, 'EPTP.MT'],
      [0x1000n | (2n << 3n) | 6n, 'EPTP.PWL'], // a 3-level walk
      [0x1000n | (5n << 3n) | 6n, 'EPTP.PWL'],
      [0x1000n | 0x100n | (3n << 3n) | 6n, 'EPTP'], // bit 8
      [(1n << 52n) | 0x1000n | (3n << 3n) | 6n, 'EPTP'], // bit 52
    ];
    for (const [eptp, register] of cases) {
      const r = decodeX86Eptp({ eptp });
      expect(r).toBeInstanceOf(RegisterError);
      expect((r as RegisterError).register).toBe(register);
      expect((r as RegisterError).code).toBe('Invalid');
    }
    expect(() => decodeX86Eptp({ eptp: -1n })).toThrow();
  });

  it('encodes the EPTP of a table, which decodes back to its format and root', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    for (const [table, walk] of [[new X86EptPageTable(memory), 3n], [new X86Ept5PageTable(memory), 4n]] as const) {
      const eptp = encodeX86Eptp(table, { accessDirty: true });
      expect(eptp).toBe(table.rootPaddr | 0x40n | (walk << 3n) | 6n);
      expect(encodeX86Eptp(table, { memoryType: 'UC' })).toBe(table.rootPaddr | (walk << 3n));
      const plan = decodeX86Eptp({ eptp });
      if (plan instanceof RegisterError) throw plan;
      expect(plan.format.meta).toBe(table.meta);
      expect(plan.roots[0]!.root).toBe(table.rootPaddr);
    }
    const ept = new X86EptPageTable(memory);
    expect(() => encodeX86Eptp(ept, { memoryType: 'WC' as 'WB' })).toThrow(RangeError);
    expect(() => encodeX86Eptp(new X64PageTable(memory) as unknown as X86EptPageTable)).toThrow(TypeError);
    ept.destroy();
    expect(() => encodeX86Eptp(ept)).toThrow(PagingError);
  });
});

describe('x86EptInspector (29.3.3.1, 29.3.3.2)', () => {
  it('reports EPT misconfigurations and reserved bits', () => {
    const insp = x86EptInspector();
    expect(insp.problem!(0x1000 | 0x30 | 0b010, 0, 3, true)).toMatch(/write access without read/);
    expect(insp.problem!(0x1000 | 0x30 | 0b110, 0, 3, true)).toMatch(/write access without read/);
    for (const type of [2, 3, 7]) expect(insp.problem!(0x1000 | (type << 3) | 1, 0, 3, true)).toMatch(/memory type/);
    for (const type of [0, 1, 4, 5, 6]) expect(insp.problem!(0x1000 | (type << 3) | 1, 0, 3, true)).toBeUndefined();
    // execute-only is fine
    expect(insp.problem!(0x1000 | 0x30 | 0b100, 0, 3, true)).toBeUndefined();
    expect(insp.problem!(0x1000 | 0x08 | 7, 0, 0, false)).toMatch(/bits 7:3 of an EPT PML4E/);
    expect(insp.problem!(0x1000 | 0x80 | 7, 0, 0, true)).toMatch(/bits 7:3 of an EPT PML4E/);
    expect(insp.problem!(0x1000 | 0x40 | 7, 0, 2, false)).toMatch(/bits 6:3 of an EPT PDE/);
    expect(insp.problem!(0x4000_1000 | 0xb7, 0, 1, true)).toMatch(/bits 29:12 of a 1 GiB/);
    expect(insp.problem!(0x20_1000 | 0xb7, 0, 2, true)).toMatch(/bits 20:12 of a 2 MiB/);
    expect(x86EptInspector({ maxPhysAddr: 46 }).problem!(0x1007, 1 << 14, 0, false)).toMatch(/51:46/);
    expect(() => x86EptInspector({ maxPhysAddr: 53 })).toThrow(RangeError);
  });

  it('a table entry without W or X takes WRITE or EXECUTE from the pages below; with MBEC bit 10 governs user fetches', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const ept = new X86EptPageTable(memory, { mbec: true });
    ept.cursor().map(0x1000n, 0x9000n, PageSize.Size4K, RWX | USER);
    ept.cursor().map(0x20_0000n, 0xa000n, PageSize.Size4K, RWX | DEVICE);
    const pd = memory.readU64(memory.readU64(ept.rootPaddr) & 0xffff_f000n) & 0xffff_f000n;
    // the PDE of the first page: clear W and XU
    memory.writeU64(pd, memory.readU64(pd) & ~0x402n);
    const runs = [...dumpMappings(ept, { inspector: x86EptInspector({ mbec: true }) })];
    expect(runs[0]).toMatchObject({ kind: 'mapping', flags: RWX | USER, effective: READ | USER });
    expect(runs[1]).toMatchObject({ kind: 'mapping', flags: RWX | DEVICE, effective: RWX | DEVICE });
    expect(x86EptInspector({ mbec: true }).describe!(Number(memory.readU64(pd + 8n) & 0xfffn), 0, 2, false)).toBe('R W X XU');
  });
});
