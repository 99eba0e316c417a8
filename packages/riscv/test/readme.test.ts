// The first example of this package's README, run as written. The expected values are worked out here from the
// specification (PPN in bits 53:10, V R X U A D at bits 0 1 3 4 6 7, satp.MODE 8 for Sv39), not copied from a run.
import { readFileSync } from 'node:fs';
import { MappingFlags, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import { Sv39PageTable } from '@page-table-multiarch/riscv';
import { expect, it } from 'vitest';

it('README example: an Sv39 table with a 2M page in the upper half and a 4K page', async () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  expect(code).toContain('new Sv39PageTable(memory)');
  const body = code!.replace(/^import .*$/gm, '');
  const printed: unknown[][] = [];
  const log = (...args: unknown[]) => printed.push(args);
  // the statements whose value the README states in a comment are also returned for checking
  const statements = [...body.matchAll(/^(table\.query\([^)]*\)|user\.bits|kernel\.vaddr);\s*\/\/ (.*)$/gm)];
  expect(statements.length).toBe(4);
  const run = new Function(
    'MappingFlags',
    'PageSize',
    'PhysicalMemory',
    'Sv39PageTable',
    'console',
    `${body}\nreturn { table, memory, values: [${statements.map((m) => m[1]).join(', ')}] };`,
  );
  const { table, memory, values } = run(MappingFlags, PageSize, PhysicalMemory, Sv39PageTable, { log }) as {
    table: Sv39PageTable;
    memory: PhysicalMemory;
    values: unknown[];
  };

  // 0xffff_ffc0_8032_3456 lies in the 2M page at 0xffff_ffc0_8020_0000, mapped to 0x8020_0000
  expect(values[0]).toEqual({ paddr: 0x8020_0000n + 0x12_3456n, flags: MappingFlags.READ | MappingFlags.WRITE, size: PageSize.Size2M });
  expect(values[1]).toEqual({ paddr: 0x8000_5000n + 0xabcn, flags: MappingFlags.READ | MappingFlags.EXECUTE | MappingFlags.USER, size: PageSize.Size4K });
  const leaf = ((0x8000_5000n >> 12n) << 10n) | (1n << 0n) | (1n << 1n) | (1n << 3n) | (1n << 4n) | (1n << 6n) | (1n << 7n);
  expect(values[2]).toBe(leaf);
  expect(values[3]).toBe(0xffff_ffc0_8020_0000n);
  // the root is the first frame of RAM: satp = MODE 8 << 60 | PPN 0x80000
  expect(table.rootPaddr).toBe(0x8000_0000n);
  expect(printed).toEqual([[((8n << 60n) | 0x8_0000n).toString(16)]]);
  // the comments state the same values
  for (const [i, m] of statements.entries()) {
    expect(new Function(`return (${m[2]});`)()).toEqual(values[i]);
  }
  table.destroy();
  expect(memory.framesInUse).toBe(0);
});
