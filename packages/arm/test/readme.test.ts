// The example of this package's README, run as written: what it prints must be what its comments say, and
// those values are checked against the crate's encodings (test/vectors) and the manual's layout.
import { readFileSync } from 'node:fs';
import { MappingFlags, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import { A32PageTable } from '@page-table-multiarch/arm';
import { expect, it } from 'vitest';

interface VectorType {
  type: string;
  variant: string;
  new_page: { rows: [number, number, string, string][] };
}
const vectors = JSON.parse(readFileSync(new URL('../../../test/vectors/pte-encodings.json', import.meta.url), 'utf8')) as { types: VectorType[] };
const rows = vectors.types.find((t) => t.type === 'A32PTE' && t.variant === 'default')!.new_page.rows;
/** The crate's entry for a flag set, huge or not, at physical address 0 (its attribute bits). */
const attr = (flags: number, huge: number) => BigInt(rows.find(([f, h, pa]) => f === flags && h === huge && pa === '0x0')![3]);

it('README example', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  const body = code!.replace(/^import .*$/gm, '');
  const printed: string[] = [];
  const show = (v: unknown): string =>
    typeof v === 'bigint'
      ? `0x${v.toString(16)}n`
      : typeof v === 'object' && v !== null
        ? `{ ${Object.entries(v)
            .map(([k, x]) => `${k}: ${show(x)}`)
            .join(', ')} }`
        : String(v);
  const log = (...args: unknown[]) => printed.push(args.map(show).join(' '));
  new Function('MappingFlags', 'PageSize', 'PhysicalMemory', 'A32PageTable', 'console', body)(
    MappingFlags,
    PageSize,
    PhysicalMemory,
    A32PageTable,
    { log },
  );

  // What the comments say, in order: `console.log(...); // x` lines and the listing's own comment lines.
  const said: string[] = [];
  for (const line of body.split('\n')) {
    const m = /console\.log\(.*\);\s*\/\/ (.*)$/.exec(line) ?? /^\/\/ (.*)$/.exec(line.trim());
    if (m) said.push(m[1]!.trim());
  }
  expect(printed).toEqual(said);

  // Independent checks. Flags: READ | WRITE | EXECUTE = 7, READ | EXECUTE | USER = 13.
  expect(printed[0]).toBe(`{ paddr: 0x40012345n, flags: 7, size: ${PageSize.Size1M} }`);
  expect(printed[1]).toBe(`{ paddr: 0x40101abcn, flags: 13, size: ${PageSize.Size4K} }`);
  expect(printed[2]).toBe('true');
  // Bits: the crate's rows (huge = 1 a Section, huge = 0 a Small page) with the address in the base field.
  expect(printed[3]).toBe(`10000 4096 ${(0x4010_1000n | attr(13, 0)).toString(16)}`);
  expect(printed[4]).toBe(`9000000 4096 ${(0x0900_0000n | attr(19, 0)).toString(16)}`);
  expect(printed[5]).toBe(`c0000000 1048576 ${(0x4000_0000n | attr(7, 1)).toString(16)}`);
  // the L1 table's four frames at the start of RAM (16 KiB-aligned), and one frame holding both 1 KiB L2 tables
  expect(printed[6]).toBe('0x40000000n 5');
});
