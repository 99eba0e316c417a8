// Shared by the tests of this package: where the repository is, and a check that the packages are built
// (these tests read what `pnpm build` wrote into each package's dist/, as a user's install would).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root, with a trailing slash. */
export const ROOT: string = fileURLToPath(new URL('../../../', import.meta.url));

/** The architectures: the subpaths of @page-table-multiarch/entry (`./x86_64` ...), each also a package folder. */
export const ARCHES: readonly string[] = Object.keys(
  (JSON.parse(readFileSync(`${ROOT}packages/entry/package.json`, 'utf8')) as { exports: Record<string, unknown> }).exports,
)
  .filter((sub) => sub !== './package.json')
  .map((sub) => sub.slice(2))
  .sort();

/** Throws a clear error when a package has not been built (run `pnpm build` or `pnpm test`). */
export function assertBuilt(folder: string): void {
  const pkg = JSON.parse(readFileSync(`${ROOT}packages/${folder}/package.json`, 'utf8')) as {
    exports: Record<string, string | { import: string }>;
  };
  for (const [sub, target] of Object.entries(pkg.exports)) {
    const file = typeof target === 'string' ? target : target.import;
    if (!existsSync(`${ROOT}packages/${folder}/${file}`)) {
      throw new Error(`packages/${folder}: export "${sub}" points at ${file}, which does not exist; run \`pnpm build\` first`);
    }
  }
}

/** The library's packages: core, entry and one per architecture. */
export const LIBRARY: readonly string[] = ['core', 'entry', ...ARCHES];
