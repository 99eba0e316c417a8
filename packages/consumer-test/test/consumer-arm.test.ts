// What a user of the ARMv7 package gets from npm: core, entry and arm packed and installed alone (see _packed.ts),
// the package's exports checked as consumer.test.ts checks x86_64's, and the long-descriptor (LPAE) example of its
// README, which builds TTBR0 and TTBR1 tables and encodes their registers, run there as ESM and as CommonJS.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asCommonJs,
  expectDefaultConditions,
  expectInstalledAlone,
  expectPrintsWhatItSays,
  expectRequireMatchesImport,
  packAndInstall,
  runNode,
  SCOPE,
} from './_packed';
import { ROOT } from './_support';

const PACKED = ['core', 'entry', 'arm'] as const;

/** The code block under "## Long descriptors (LPAE)" in the arm package's README, as written. */
function lpaeExample(): string {
  const readme = readFileSync(`${ROOT}packages/arm/README.md`, 'utf8');
  const code = /## Long descriptors \(LPAE\)\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (code === undefined) throw new Error('packages/arm/README.md has no ```ts block under "## Long descriptors (LPAE)"');
  return code;
}

let work = '';
let app = '';

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ptm-consumer-arm-'));
  app = packAndInstall(work, PACKED);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the arm package, packed and installed alone with core and entry', () => {
  it('installs exactly core, entry and arm, each from its tarball', () => {
    expectInstalledAlone(app, PACKED);
  });

  it('declares on every export a `default` condition and engines node >=20.19', () => {
    expectDefaultConditions(app, PACKED);
  });

  it('gives require() the same exports as import(), the register decoder and both encoders among them', () => {
    const names = expectRequireMatchesImport(app, PACKED).get(`${SCOPE}/arm`);
    for (const name of ['A32LpaePageTable', 'A32LpaeTtbr1PageTable', 'decodeA32Registers', 'encodeA32Registers', 'encodeA32LpaeRegisters']) {
      expect(names).toContain(name);
    }
  });

  it('runs the README\'s LPAE example as ESM and as CommonJS: both print what the README says, the same lines', () => {
    const code = lpaeExample();
    expect(code).toContain('encodeA32LpaeRegisters(');
    writeFileSync(join(app, 'lpae.mjs'), code);
    writeFileSync(join(app, 'lpae.cjs'), asCommonJs(code));
    const esm = runNode(app, 'lpae.mjs');
    const cjs = runNode(app, 'lpae.cjs');
    expect([esm.stderr, cjs.stderr]).toEqual(['', '']);
    expect(cjs.stdout).toBe(esm.stdout);
    expectPrintsWhatItSays(code, esm.stdout.trimEnd().split('\n'));
  });
});
