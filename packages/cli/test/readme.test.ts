// The outputs shown in README.md are what ptdump prints (the ```ts example there runs in the shared README suite).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHES } from '@page-table-multiarch/cli';
import { afterAll, expect, it } from 'vitest';
import { registerArgs, runCli, tempDir } from './_support';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const tmp = tempDir();
afterAll(() => tmp.remove());

/** The ```text block that follows the sentence ending in `command`: */
function blockAfter(command: string): string {
  const at = readme.indexOf(`\`${command}\`:\n\n\`\`\`text\n`);
  expect(at, `README example for ${command}`).toBeGreaterThan(0);
  const start = readme.indexOf('```text\n', at) + 8;
  return readme.slice(start, readme.indexOf('```', start));
}

it('the embedded x86_64 listing', () => {
  expect(runCli(['--arch', 'x86_64']).stdout).toBe(blockAfter('ptdump --arch x86_64'));
});

it('the AArch64 translation', () => {
  expect(runCli(['--arch', 'aarch64', 'translate', '0xffff800080001234', '0x410000']).stdout).toBe(
    blockAfter('ptdump --arch aarch64 translate 0xffff800080001234 0x410000'),
  );
});

it('the diagnostic lines', () => {
  const arch = ARCHES.find((a) => a.name === 'x86_64')!;
  const sample = arch.sample();
  const root = sample.tables[0]!.table.rootPaddr;
  sample.memory.writeU64(root + 3n * 8n, 0x7fff_f007n); // outside the dump
  sample.memory.writeU64(root + 4n * 8n, root | 7n); // back to the root
  sample.memory.writeU64(root + 5n * 8n, sample.memory.readU64(root)); // the lower half's PDPT again: shared
  sample.memory.writeU64(root + 6n * 8n, 0x20_0087n); // PS in a PML4E
  const path = join(tmp.dir, 'bad.bin');
  writeFileSync(path, sample.memory.bytes());
  const out = runCli(['--arch', 'x86_64', '--base', '0x100000', ...registerArgs(sample), path]).stdout;
  const shown = [...readme.matchAll(/^(!! |\.\.\. 0x).*$/gm)].map((m) => m[0]);
  expect(shown).toHaveLength(4);
  for (const line of shown) expect(out.split('\n')).toContain(line);
  expect(out).toContain('shared:      1 record of tables listed once (6 pages not listed again)');
});

it('the filter examples', () => {
  expect(runCli(['--arch', 'x86_64', '--perm', 'w,x']).stdout).toBe(blockAfter('ptdump --arch x86_64 --perm w,x'));
  const range = '0xffff800080100000-0xffff800080500000';
  expect(runCli(['--arch', 'aarch64', '--va-range', range]).stdout).toBe(blockAfter(`ptdump --arch aarch64 --va-range ${range}`));
  const shown = blockAfter('ptdump --arch x86_64 --pa 0x1200000-0x1700000').trimEnd().split('\n');
  const out = runCli(['--arch', 'x86_64', '--pa', '0x1200000-0x1700000']).stdout.split('\n');
  expect(out.filter((l) => l.startsWith('0x') || l.startsWith('filter:'))).toEqual(shown);
});

it('the --jsonl example', () => {
  const range = '0xffffffff80000000-0xffffffff80400000';
  expect(runCli(['--arch', 'riscv64', '--jsonl', '--va-range', range]).stdout).toBe(blockAfter(`ptdump --arch riscv64 --jsonl --va-range ${range}`));
});
