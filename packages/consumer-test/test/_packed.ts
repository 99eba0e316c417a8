// A user's install, as the consumer tests make it: packages packed with `pnpm pack` (workspace:^ becomes a real
// version range) and installed alone with npm into an empty folder, offline and with an empty cache (so nothing
// can come from a registry); and the checks every such install gets: what was installed, the export conditions,
// require() against import(), and examples whose `// value` comments say what they print.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { expect } from 'vitest';
import { assertBuilt, ROOT } from './_support';

export const SCOPE = '@page-table-multiarch';

/** The environment for npm: no npm_* settings inherited from the pnpm that runs the tests. */
function npmEnv(cache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  env['npm_config_cache'] = cache;
  env['npm_config_update_notifier'] = 'false';
  return env;
}

/** Packs each package folder (which must be built) into `work`/tarballs and installs the tarballs alone into `work`/app; the app folder. */
export function packAndInstall(work: string, folders: readonly string[]): string {
  for (const p of folders) assertBuilt(p);
  const packs = join(work, 'tarballs');
  mkdirSync(packs);
  const tarballs: string[] = [];
  for (const p of folders) {
    const before = new Set(readdirSync(packs));
    execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: `${ROOT}packages/${p}`, stdio: 'pipe' });
    const made = readdirSync(packs).filter((f) => !before.has(f));
    expect(made, `pnpm pack in packages/${p}`).toHaveLength(1);
    tarballs.push(join(packs, made[0]!));
  }
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true }, null, 2)}\n`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', ...tarballs], {
    cwd: app,
    env: npmEnv(join(work, 'npm-cache')),
    stdio: 'pipe',
  });
  return app;
}

/** The install holds exactly `folders`' packages, each from its tarball. */
export function expectInstalledAlone(app: string, folders: readonly string[]): void {
  expect(readdirSync(join(app, 'node_modules')).filter((d) => !d.startsWith('.'))).toEqual([SCOPE]);
  expect(readdirSync(join(app, 'node_modules', SCOPE)).sort()).toEqual([...folders].sort());
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { resolved?: string }>;
  };
  const installed = Object.keys(lock.packages).filter((k) => k !== '');
  expect(installed.sort()).toEqual(folders.map((p) => `node_modules/${SCOPE}/${p}`).sort());
  for (const k of installed) expect(lock.packages[k]!.resolved, k).toMatch(/^file:.*\.tgz$/);
}

/** The manifest of an installed package. */
function installedManifest(app: string, folder: string): { exports: Record<string, string | Record<string, string>>; engines?: { node?: string } } {
  return JSON.parse(readFileSync(join(app, 'node_modules', SCOPE, folder, 'package.json'), 'utf8'));
}

/** Every export has the `default` condition (the one require() matches), the same file as `import`; engines node >=20.19. */
export function expectDefaultConditions(app: string, folders: readonly string[]): void {
  for (const p of folders) {
    const manifest = installedManifest(app, p);
    expect(manifest.engines?.node, p).toBe('>=20.19');
    for (const [sub, target] of Object.entries(manifest.exports)) {
      if (typeof target === 'string') continue; // ./package.json
      expect(Object.keys(target), `${p} ${sub}`).toEqual(['types', 'import', 'default']);
      expect(target['default'], `${p} ${sub}`).toBe(target['import']);
    }
  }
}

/** Runs a script in `app` with this Node; its stdout and stderr, after checking that it exited 0. */
export function runNode(app: string, script: string): { stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [script], { cwd: app, encoding: 'utf8' });
  expect(run.status, `node ${script}: ${run.stderr}`).toBe(0);
  return { stdout: run.stdout, stderr: run.stderr };
}

/**
 * require() and import() give the same names for every subpath of every package; the export names of each
 * subpath, by its specifier.
 */
export function expectRequireMatchesImport(app: string, folders: readonly string[]): Map<string, string[]> {
  const subpaths = folders.flatMap((p) =>
    Object.keys(installedManifest(app, p).exports)
      .filter((sub) => sub !== './package.json')
      .map((sub) => `${SCOPE}/${p}${sub.slice(1)}`),
  );
  expect(subpaths.length).toBeGreaterThan(folders.length);
  const probe = `
    (async () => {
      for (const name of ${JSON.stringify(subpaths)}) {
        const required = Object.keys(require(name)).sort().join(',');
        const imported = Object.keys(await import(name)).filter((k) => k !== 'default' && k !== 'module.exports').sort().join(',');
        console.log(name, required === imported && required.length > 0 ? required : \`differ: \${required} / \${imported}\`);
      }
    })();`;
  writeFileSync(join(app, 'require-all.cjs'), probe);
  const lines = runNode(app, 'require-all.cjs').stdout.trim().split('\n');
  expect(lines.map((l) => l.split(' ')[0])).toEqual(subpaths);
  for (const line of lines) expect(line, 'require() and import() differ').not.toContain(' differ: ');
  return new Map(lines.map((l) => [l.split(' ')[0]!, l.split(' ')[1]!.split(',')]));
}

/** An example as CommonJS: each `import { a, b } from 'x';` becomes `const { a, b } = require('x');`. */
export function asCommonJs(code: string): string {
  const converted = code.replace(/^import \{([^}]*)\} from ('[^']+');$/gm, 'const {$1} = require($2);');
  expect(converted, 'the example imports with `import { ... } from ...` only').not.toMatch(/^import /m);
  return converted;
}

/**
 * What the `console.log(...); // value` comments of an example say it prints, in order: after a call with one
 * argument, a comment that is a JavaScript value as console.log writes it (a string as it is, anything else as
 * util.inspect does); otherwise the comment's words (`4096 5`, `[ 9, 9 ] [ 2, 9, 9 ]`).
 */
function saidByComments(code: string): string[] {
  return [...code.matchAll(/^\s*console\.log\((.*)\);\s*\/\/ (.*)$/gm)].map((m) => {
    const comment = m[2]!.trim();
    if (m[1]!.includes(',')) return comment;
    let value: unknown;
    try {
      value = new Function(`return (${comment});`)();
    } catch {
      return comment;
    }
    return typeof value === 'string' ? value : inspect(value);
  });
}

/** Every `// value` comment of the example agrees with a line it printed, in order. */
export function expectPrintsWhatItSays(code: string, printed: readonly string[]): void {
  const said = saidByComments(code);
  expect(said.length).toBeGreaterThan(0);
  let at = 0;
  for (const s of said) {
    const found = printed.indexOf(s, at);
    expect(found, `comment ${s} not printed (in order) by the example`).toBeGreaterThanOrEqual(0);
    at = found + 1;
  }
}
