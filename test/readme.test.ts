// Every ```ts example in the READMEs runs as written. A statement followed by a comment that is itself a
// JavaScript value (`table.query(va); // { paddr: 0x2123n, flags: 3, size: 4096 }`) must produce that value.
import { readdirSync, readFileSync } from 'node:fs';
import * as core from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url);
const loaders: Record<string, () => Promise<unknown>> = {
  '@page-table-multiarch/core': async () => core,
  '@page-table-multiarch/entry/x86_64': () => import('@page-table-multiarch/entry/x86_64'),
  '@page-table-multiarch/entry/aarch64': () => import('@page-table-multiarch/entry/aarch64'),
  '@page-table-multiarch/entry/arm': () => import('@page-table-multiarch/entry/arm'),
  '@page-table-multiarch/entry/riscv': () => import('@page-table-multiarch/entry/riscv'),
  '@page-table-multiarch/entry/loongarch64': () => import('@page-table-multiarch/entry/loongarch64'),
  '@page-table-multiarch/x86_64': () => import('@page-table-multiarch/x86_64'),
  '@page-table-multiarch/aarch64': () => import('@page-table-multiarch/aarch64'),
  '@page-table-multiarch/arm': () => import('@page-table-multiarch/arm'),
  '@page-table-multiarch/riscv': () => import('@page-table-multiarch/riscv'),
  '@page-table-multiarch/loongarch64': () => import('@page-table-multiarch/loongarch64'),
};

const readmes = ['README.md', ...readdirSync(new URL('packages/', root)).map((p) => `packages/${p}/README.md`)].filter((f) => {
  try {
    readFileSync(new URL(f, root));
    return true;
  } catch {
    return false;
  }
});

function examples(file: string): string[] {
  const text = readFileSync(new URL(file, root), 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

function asValue(comment: string): string | null {
  try {
    new Function(`return (${comment});`);
    return comment;
  } catch {
    return null;
  }
}

describe.each(readmes.filter((f) => examples(f).length > 0))('README examples: %s', (file) => {
  it.each(examples(file).map((code, i) => [i, code] as const))('example %i runs and prints what it says', async (_i, code) => {
    const bindings: string[] = [];
    const values: unknown[] = [];
    let body = code;
    for (const m of code.matchAll(/^import (?:type )?\{([^}]*)\} from '([^']+)';$/gm)) {
      const load = loaders[m[2]!];
      expect(load, `unknown module ${m[2]}`).toBeDefined();
      const mod = (await load!()) as Record<string, unknown>;
      for (const raw of m[1]!.split(',')) {
        const name = raw.replace(/^\s*type\s+/, '').trim();
        if (!name || raw.trim().startsWith('type ')) continue;
        bindings.push(name);
        values.push(mod[name]);
      }
    }
    body = body.replace(/^import .*$/gm, '');
    let checks = 0;
    body = body
      .split('\n')
      .map((line) => {
        const m = /^(\s*)(?:console\.log\((.*)\)|(?:(const|let) (\w+) = )?([^=/].*?));\s*\/\/ (.+)$/.exec(line);
        if (!m) return line;
        const expected = asValue(m[6]!.trim());
        if (expected === null || m[2]?.includes(',')) return line;
        checks++;
        const where = JSON.stringify(line.trim());
        if (m[4] !== undefined) return `${m[1]}${m[3]} ${m[4]} = ${m[5]}; __check(${m[4]}, ${expected}, ${where});`;
        return `${m[1]}__check(${m[2] ?? m[5]}, ${expected}, ${where});`;
      })
      .join('\n');
    const check = (got: unknown, want: unknown, line: string) => expect(got, line).toEqual(want);
    const log = () => {};
    const run = new Function(...bindings, '__check', 'console', `return (async () => {\n${body}\n})();`);
    await run(...values, check, { log });
    void checks;
  });
});
