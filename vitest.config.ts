import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import the packages by name; they resolve to the TypeScript sources so a test run needs no build.
const root = fileURLToPath(new URL('.', import.meta.url));
const alias = [
  { find: /^@page-table-multiarch\/([^/]+)\/([^/]+)$/, replacement: `${root}packages/$1/src/$2.ts` },
  { find: /^@page-table-multiarch\/([^/]+)$/, replacement: `${root}packages/$1/src/index.ts` },
];
// a macrotask turn after each test (see the file)
const setupFiles = [`${root}test/support/yield-between-tests.ts`];
const pkgs = ['core', 'entry', 'x86_64', 'aarch64', 'arm', 'riscv', 'loongarch64', 'conformance', 'consumer-test', 'browser-test', 'cli', 'bench', 'explorer'];

export default defineConfig({
  test: {
    // vitest's default is one worker less than the CPUs: a single worker on a 2-CPU machine (CI's), where the suite
    // then ran one file at a time with the second CPU mostly idle (its QEMU checks wait on their guests)
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      ...pkgs.map((name) => ({
        resolve: { alias },
        test: { name, root: `${root}packages/${name}`, include: ['test/**/*.test.ts'], setupFiles },
      })),
      { resolve: { alias }, test: { name: 'shared', root: `${root}test`, include: ['**/*.test.ts'], setupFiles } },
    ],
  },
});
