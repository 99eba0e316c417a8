// The example of this package's README, run as written: what it prints must be what its comments say,
// and those values are checked against the crate's encodings (test/vectors) and the manual's layout.
import { readFileSync } from 'node:fs';
import { MappingFlags, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import { A64PageTable, MAIR_VALUE } from '@page-table-multiarch/aarch64';
import { expect, it } from 'vitest';

it('README example', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  const body = code!.replace(/^import .*$/gm, '');
  const printed: string[] = [];
  const show = (v: unknown): string =>
    typeof v === 'bigint' ? `0x${v.toString(16)}n` : typeof v === 'object' && v !== null
      ? `{ ${Object.entries(v).map(([k, x]) => `${k}: ${show(x)}`).join(', ')} }`
      : String(v);
  const log = (...args: unknown[]) => printed.push(args.map(show).join(' '));
  new Function('MappingFlags', 'PageSize', 'PhysicalMemory', 'A64PageTable', 'MAIR_VALUE', 'console', body)(
    MappingFlags,
    PageSize,
    PhysicalMemory,
    A64PageTable,
    MAIR_VALUE,
    { log },
  );

  // What the comments say, in order: `console.log(...); // x` lines and the listing's own comment lines.
  const said: string[] = [];
  for (const line of body.split('\n')) {
    const m = /console\.log\(.*\);\s*\/\/ (.*)$/.exec(line) ?? /^\/\/ (.*)$/.exec(line.trim());
    if (m) said.push(m[1]!.trim());
  }
  expect(printed).toEqual(said);

  // Independent checks of those values. Bits: the crate's new_page rows (3 = READ|WRITE, huge, at 0x40000000)
  // and, for the UART page, the manual's fields: UXN | PXN | AF | AttrIndx 0 (Device) | page | OA.
  expect(printed[0]).toBe('{ paddr: 0x40123456n, flags: 3, size: 2097152 }');
  expect(printed[1]).toBe('true');
  expect(printed[2]).toBe('0x40123456n');
  const uart = (1n << 54n) | (1n << 53n) | (1n << 10n) | 0b11n | 0x0900_0000n;
  expect(printed[3]).toBe(`9000000 4096 ${uart.toString(16)}`);
  expect(printed[4]).toBe('ff8000000000 2097152 60000040000705');
  // root, and one table per level below it for each of the two halves
  expect(printed[5]).toBe('0x40000000n 6');
  expect(printed[6]).toBe('0x44ff04n');
});
