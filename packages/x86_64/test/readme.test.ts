// The usage example of the top README, run as written (its printed values are the assertions).
import { readFileSync } from 'node:fs';
import { MappingFlags, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import { X64PageTable } from '@page-table-multiarch/x86_64';
import { expect, it } from 'vitest';

it('README usage example', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const code = /## Usage\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  // run the body with console.log captured; the imports are provided
  const body = code!.replace(/^import .*$/gm, '');
  const printed: unknown[][] = [];
  const log = (...args: unknown[]) => printed.push(args);
  new Function('MappingFlags', 'PageSize', 'PhysicalMemory', 'X64PageTable', 'console', body)(
    MappingFlags,
    PageSize,
    PhysicalMemory,
    X64PageTable,
    { log },
  );
  // every `// value` comment in the example matches what it printed
  const expected = [...body.matchAll(/console\.log\((.*)\);\s*\/\/ (.*)$/gm)].map((m) => m[2]!.trim());
  expect(printed[0]).toEqual([{ paddr: 0x2123n, flags: 3, size: 4096 }]);
  expect(expected[0]).toBe('{ paddr: 0x2123n, flags: 3, size: 4096 }');
  expect(printed[1]).toEqual([true]);
  expect(printed.slice(2, 4)).toEqual([
    ['deadbeef000', '2000', 4096],
    ['ffff800000000000', '40000000', PageSize.Size1G],
  ]);
  expect(printed[4]).toEqual([4096, 5]);
  expect(expected.at(-1)).toBe('4096 5');
});
