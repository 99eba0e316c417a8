// The API reference (typedoc.json at the root) builds without a warning: every export of every published
// package has a doc comment (validation.notDocumented with treatWarningsAsErrors), every {@link} resolves,
// and no public signature names a type that is not exported. `pnpm run docs` writes the same site to site/.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { assertBuilt, LIBRARY, ROOT } from './_support';

/** The folders of the packages that are published (not `private`). */
function publishedFolders(): string[] {
  return readdirSync(`${ROOT}packages`)
    .filter((folder) => {
      const manifest = JSON.parse(readFileSync(`${ROOT}packages/${folder}/package.json`, 'utf8')) as { private?: boolean };
      return manifest.private !== true;
    })
    .sort();
}

it('documents every published package: the entry points of typedoc.json are exactly those packages', () => {
  const config = JSON.parse(readFileSync(`${ROOT}typedoc.json`, 'utf8')) as { entryPoints: string[] };
  expect([...config.entryPoints].sort()).toEqual(publishedFolders().map((f) => `packages/${f}`));
  expect(publishedFolders()).toEqual(expect.arrayContaining([...LIBRARY, 'cli']));
});

it('typedoc builds the API reference of every published package with no warning', () => {
  // the packages are converted one by one and see each other through their built declarations
  for (const p of publishedFolders()) assertBuilt(p);
  let output = '';
  let failed = false;
  try {
    output = execFileSync(process.execPath, [`${ROOT}node_modules/typedoc/bin/typedoc`, '--emit', 'none'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: 'pipe',
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    failed = true;
  }
  const problems = output
    .split('\n')
    .filter((l) => /\[(warning|error)\]/.test(l) && !/Found 0 errors and 0 warnings/.test(l));
  expect(problems, 'typedoc warnings (document the export, or see CONTRIBUTING.md "API documentation")').toEqual([]);
  expect(failed, output).toBe(false);
}, 120_000);
