// The example of this package's README, run as written: every line it prints must be what its comment says,
// and the key values are checked against the bit layout of the manual (7.5.3, 5.4.5), not against the output.
import { readFileSync } from 'node:fs';
import * as core from '@page-table-multiarch/core';
import * as la from '@page-table-multiarch/loongarch64';
import { expect, it } from 'vitest';

it('README example runs and prints what its comments say', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  const body = code!.replace(/^import .*$/gm, '');
  const printed: unknown[][] = [];
  const names = ['MappingFlags', 'PageSize', 'PhysicalMemory', 'LA64PageTable', 'PTEFlags', 'PWCH_VALUE', 'PWCL_VALUE'];
  const values = [core.MappingFlags, core.PageSize, core.PhysicalMemory, la.LA64PageTable, la.PTEFlags, la.PWCH_VALUE, la.PWCL_VALUE];
  new Function(...names, 'console', body)(...values, { log: (...args: unknown[]) => printed.push(args) });

  // each console.log line's comment: a JS value compared with toEqual, or the arguments joined by spaces
  const comments = [...body.matchAll(/^console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]!);
  expect(comments.length).toBe(printed.length);
  printed.forEach((args, i) => {
    const comment = comments[i]!;
    if (args.length === 1) expect(args[0], comment).toEqual(new Function(`return (${comment});`)());
    else expect(args.map(String).join(' '), comment).toBe(comment);
  });

  // independent expectations
  // 2 MiB page: V | P | W | D | MAT=1 | bit 6 (huge) = 0x1d3, NX (bit 62) since no EXECUTE, address 0x20_0000
  const hugeBits = (1n << 62n) | 0x20_0000n | 0x1n | 0x80n | 0x100n | 0x2n | 0x10n | 0x40n;
  // 4 KiB page: V | P | PLV=3 | MAT=1 = 0x9d, neither NR nor NX, address 0x8_0000
  const pageBits = 0x8_0000n | 0x1n | 0x80n | 0xcn | 0x10n;
  expect(printed[0]).toEqual([{ paddr: 0x21_2345n, flags: core.MappingFlags.READ | core.MappingFlags.WRITE, size: 0x20_0000 }]);
  expect(printed[1]).toEqual([{ paddr: 0x8_0abcn, flags: 1 | 4 | 8, size: 0x1000 }]);
  expect(printed[2]).toEqual([3, '120000000', pageBits.toString(16)]);
  expect(printed[3]).toEqual([2, 'ffff800000200000', hugeBits.toString(16)]);
  expect(printed[4]).toEqual([true]);
  // frame 0 is held by the example, so the root is the next frame
  expect(printed[5]).toEqual([0x1000n]);
  // root + Dir2 + Dir1 + PT for the 4 KiB page, Dir2 + Dir1 for the 2 MiB page; plus the held frame 0
  expect(printed[7]).toEqual([6, 7]);
  expect(printed[8]).toEqual([1]);
});
