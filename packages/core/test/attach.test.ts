// Attaching to tables the library did not allocate (a memory image): read-only by default, and destroy()
// frees only what the attached table allocated itself.
import { MappingFlags, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import { X64PageTable } from '@page-table-multiarch/x86_64';
import { describe, expect, it } from 'vitest';

const RW = MappingFlags.READ | MappingFlags.WRITE;

function image() {
  const mem = new PhysicalMemory({ size: 64 * 4096, base: 0x10_0000n });
  const table = new X64PageTable(mem);
  const c = table.cursor();
  c.map(0x40_0000n, 0x1234_5000n, PageSize.Size4K, RW);
  c.map(0xffff_8000_0000_0000n, 0x4000_0000n, PageSize.Size1G, MappingFlags.READ);
  const listing = [...table.mappings()];
  return { bytes: mem.bytes().slice(), root: table.rootPaddr, listing };
}

describe('attach', () => {
  it('reads a table from an image: same mappings, same translations', () => {
    const { bytes, root, listing } = image();
    const dump = new PhysicalMemory({ buffer: bytes, base: 0x10_0000n });
    const table = new X64PageTable(dump, { root });
    expect([...table.mappings()]).toEqual(listing);
    expect(table.query(0x40_0123n).paddr).toBe(0x1234_5123n);
    expect(table.queryNumber(0x40_0123)).toBe(0x1234_5123);
    expect(() => table.cursor()).toThrowError(expect.objectContaining({ code: 'ReadOnly' }));
    table.destroy();
    expect(Buffer.compare(dump.bytes(), bytes)).toBe(0);
  });

  it('accepts a Uint8Array view and rejects a root outside the memory or misaligned', () => {
    const { bytes, root } = image();
    const padded = new Uint8Array(bytes.length + 4096);
    padded.set(bytes, 4096);
    const dump = new PhysicalMemory({ buffer: padded.subarray(4096), base: 0x10_0000n });
    expect(new X64PageTable(dump, { root }).query(0x40_0000n).paddr).toBe(0x1234_5000n);
    expect(() => new X64PageTable(dump, { root: 0x1000n })).toThrowError(expect.objectContaining({ code: 'InvalidAddress' }));
    expect(() => new X64PageTable(dump, { root: root + 8n })).toThrowError(expect.objectContaining({ code: 'NotAligned' }));
  });

  it('writable: allocates only released frames and frees only those on destroy', () => {
    const { bytes, root } = image();
    const dump = new PhysicalMemory({ buffer: bytes, base: 0x10_0000n });
    expect(dump.framesInUse).toBe(64);
    const table = new X64PageTable(dump, { root, writable: true });
    const c = table.cursor();
    expect(() => c.map(0x7000_0000_0000n, 0n, PageSize.Size4K, RW)).toThrowError(expect.objectContaining({ code: 'NoMemory' }));
    dump.release(0x10_0000n + 60n * 4096n, 4 * 4096);
    expect(dump.framesInUse).toBe(60);
    c.map(0x7000_0000_0000n, 0n, PageSize.Size4K, RW);
    expect(dump.framesInUse).toBe(63);
    // unmapping a page of the foreign tree leaves its tables in place (they are not ours to free)
    expect(c.unmapRegion(0x40_0000n, 0x1000n)).toBe(0x1000n);
    c.flush();
    table.destroy();
    expect(dump.framesInUse).toBe(60);
  });
});
