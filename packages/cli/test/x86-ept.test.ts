// ptdump --arch x86_64 --eptp: a hypervisor's EPT table (guest-physical to host-physical addresses) listed and
// translated from a raw image, 4-level and 5-level, with and without mode-based execute control.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHES } from '@page-table-multiarch/cli';
import { MappingFlags, type PageTable64, PageSize, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import { encodeX86Eptp, X86Ept5PageTable, X86EptPageTable } from '@page-table-multiarch/x86_64';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedRuns, listedRuns, runCli, tempDir, jsonDump } from './_support';

const { READ: R, WRITE: W, EXECUTE: X, USER: U, DEVICE, UNCACHED } = MappingFlags;
const x86_64 = ARCHES.find((a) => a.name === 'x86_64')!;
const tmp = tempDir();
afterAll(() => tmp.remove());
let fileNo = 0;

function listJson(args: string[]) {
  const r = runCli([...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return jsonDump(r.stdout);
}

/** A guest's memory map in an EPT table: RAM in 1G, 2M and 4K pages, MMIO, a framebuffer, the top of the space. */
function guest(table: PageTable64, top: bigint): void {
  const c = table.cursor();
  c.mapRegion(0n, 0x4000_0000n, 1n << 30n, R | W | X, true); // guest RAM, a 1G page
  c.mapRegion(0x4000_0000n, 0x20_0000n, 4n << 20n, R | W | X | U, true); // 2M pages, user-executable with MBEC
  c.mapRegion(0xe000_0000n, 0x60_0000n, 0x4000n, R | W | UNCACHED, false); // framebuffer, WC
  c.map(0xfee0_0000n, 0xfee0_0000n, PageSize.Size4K, R | W | DEVICE); // local APIC, UC
  c.map(top - 0x1000n, 0x70_0000n, PageSize.Size4K, X); // execute-only, at the top of the space
  c.flush();
}

function dumpFile(memory: PhysicalMemory): string {
  const path = join(tmp.dir, `ept${fileNo++}.bin`);
  writeFileSync(path, memory.bytes());
  return path;
}

describe('ptdump --arch x86_64 --eptp', () => {
  it.each([
    ['x86 EPT 4-level', false, (m: PhysicalMemory) => new X86EptPageTable(m), 1n << 48n],
    ['x86 EPT 4-level', true, (m: PhysicalMemory) => new X86EptPageTable(m, { mbec: true }), 1n << 48n],
    ['x86 EPT 5-level', false, (m: PhysicalMemory) => new X86Ept5PageTable(m), 1n << 57n],
  ] as const)('lists %s (MBEC %s) as the table holds it', (format, mbec, make, top) => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const table = make(memory) as X86EptPageTable;
    guest(table, top);
    const eptp = encodeX86Eptp(table, { accessDirty: true });
    const args = ['--arch', 'x86_64', '--base', '0x100000', '--eptp', `0x${eptp.toString(16)}`, ...(mbec ? ['--mbec'] : []), dumpFile(memory)];
    const doc = listJson(args);
    expect(doc.format).toBe(format);
    expect(doc.summary.diagnostics).toBe(0);
    expect(listedRuns(doc)).toEqual(expectedRuns(x86_64, [table], { eptp }, { mbec }));
    expect(listedRuns(doc).length).toBe(5);
    const t = listJson([...args, 'translate', '0xfee00123', `0x${(top - 0x1000n).toString(16)}`]);
    expect(t.translations[0]).toMatchObject({ mapped: true, paddr: '0xfee00123', pageSize: '0x1000' });
    expect(t.translations[1]).toMatchObject({ mapped: true, paddr: '0x700000' });
  });

  it('names each leaf\'s memory type and, with MBEC, XU; reports W without R', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const table = new X86EptPageTable(memory, { mbec: true });
    guest(table, 1n << 48n);
    const eptp = encodeX86Eptp(table);
    const text = runCli(['--arch', 'x86_64', '--base', '0x100000', '--eptp', `0x${eptp.toString(16)}`, '--mbec', dumpFile(memory)]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/R W X XU WB PS/);
    expect(text.stdout).toMatch(/R W WC/);
    expect(text.stdout).toMatch(/R W UC/);
    // make the APIC's leaf W without R behind the table's back: an EPT misconfiguration, reported
    const words = new BigUint64Array(memory.bytes().slice().buffer);
    const bits = 0xfee0_0000n | 0x3n; // R | W, memory type UC (0)
    const index = words.indexOf(bits);
    expect(index).toBeGreaterThanOrEqual(0);
    memory.writeU64(memory.base + BigInt(index * 8), bits & ~1n);
    const bad = listJson(['--arch', 'x86_64', '--base', '0x100000', '--eptp', `0x${eptp.toString(16)}`, dumpFile(memory)]);
    expect(bad.summary.diagnostics).toBe(1);
    expect(JSON.stringify(bad.records)).toMatch(/write access without read access/);
  });

  it('refuses --eptp with the CPU\'s own registers, --mbec without --eptp, and an EPTP the VM-entry checks refuse', () => {
    expect(x86_64.decode({ eptp: 0x101en, cr3: 0x1000n }, {})).toBeInstanceOf(RegisterError);
    expect(x86_64.decode({ eptp: 0x101en, pat: 0n }, {})).toBeInstanceOf(RegisterError);
    expect(x86_64.decode({ cr3: 0x1000n }, { mbec: true })).toBeInstanceOf(RegisterError);
    // a dump that exists, so that the register check is what refuses the run
    const r = runCli(['--arch', 'x86_64', '--base', '0x100000', '--eptp', '0x1019', dumpFile(new PhysicalMemory({ size: 1 << 16, base: 0x10_0000n }))]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/memory type 1/);
  });
});
