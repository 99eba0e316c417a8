// What a user gets from npm: core, entry and x86_64 packed with `pnpm pack` (workspace:^ becomes a real
// version range), installed alone with npm into an empty folder, offline and with an empty cache (so nothing
// can come from a registry), then the top README's "Usage" example run there in Node as ESM, as CommonJS with
// require() (Node >= 20.19 loads an ES module from require) and as TypeScript compiled to CommonJS (module
// nodenext), and type-checked against the installed declarations. No other architecture is installed or needed.
// The same example, and the built ptdump on its embedded default, also run under Deno and Bun, whose output must be
// Node's (see _runtimes.ts).
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  runNode as runNodeIn,
  SCOPE,
} from './_packed';
import { IN_CI, RUNTIMES, runtimeEnv, runtimeVersion } from './_runtimes';
import { assertBuilt, ROOT } from './_support';

const PACKED = ['core', 'entry', 'x86_64'] as const;

/** The code block under "## Usage" in the top README, as written. */
function usageExample(): string {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const code = /## Usage\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (code === undefined) throw new Error('README.md has no ```ts block under "## Usage"');
  return code;
}

/** Runs a script in the consumer folder with this Node; its stdout and stderr. */
function runNode(script: string): { stdout: string; stderr: string } {
  return runNodeIn(app, script);
}

/** What the README example prints. */
const USAGE_OUTPUT = [
  '{ paddr: 8483n, flags: 3, size: 4096 }',
  'true',
  'deadbeef000 2000 4096',
  'ffff800000000000 40000000 1073741824',
  '4096 5',
];

let work = '';
let app = '';

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ptm-consumer-'));
  app = packAndInstall(work, PACKED);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed packages, installed alone with npm', () => {
  it('installs exactly core, entry and x86_64, each from its tarball, and nothing else', () => {
    expectInstalledAlone(app, PACKED);
  });

  it('carries the MIT LICENSE of the repository in every tarball', () => {
    for (const p of PACKED) {
      expect(readFileSync(join(app, 'node_modules', SCOPE, p, 'LICENSE'), 'utf8'), p).toBe(readFileSync(`${ROOT}LICENSE`, 'utf8'));
    }
  });

  it('has real version ranges where the workspace had workspace:^', () => {
    for (const p of PACKED) {
      const manifest = readFileSync(join(app, 'node_modules', SCOPE, p, 'package.json'), 'utf8');
      expect(manifest, p).not.toContain('workspace:');
      const source = JSON.parse(readFileSync(`${ROOT}packages/${p}/package.json`, 'utf8')) as { version: string };
      expect((JSON.parse(manifest) as { version: string }).version, p).toBe(source.version);
    }
  });

  it('runs the README "Usage" example as ESM in Node and prints what the README says', () => {
    const code = usageExample();
    writeFileSync(join(app, 'usage.mjs'), code);
    const out = execFileSync(process.execPath, ['usage.mjs'], { cwd: app, encoding: 'utf8' });
    const lines = out.trimEnd().split('\n');
    expect(lines).toEqual(USAGE_OUTPUT);
    // and every `console.log(...); // value` comment in the README agrees with what Node printed, in order
    expectPrintsWhatItSays(code, lines);
  });

  it('declares on every export a `default` condition (the one require() matches) and engines node >=20.19', () => {
    expectDefaultConditions(app, PACKED);
  });

  it('runs the README "Usage" example as CommonJS with require(), printing the same', () => {
    writeFileSync(join(app, 'usage.cjs'), asCommonJs(usageExample()));
    const { stdout, stderr } = runNode('usage.cjs');
    expect(stdout.trimEnd().split('\n')).toEqual(USAGE_OUTPUT);
    expect(stderr).toBe('');
  });

  it('gives require() the same exports as import() for every subpath of every package', () => {
    expectRequireMatchesImport(app, PACKED);
  });

  it('compiles the example as CommonJS TypeScript (module nodenext, a .cts file) and runs what tsc emits', async () => {
    const dir = join(app, 'cts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'usage.cts'), usageExample());
    const tsconfig = {
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        lib: ['es2022', 'dom'], // console, as in the type-check above
        types: [],
        strict: true,
        skipLibCheck: false,
        outDir: 'out',
      },
      files: ['usage.cts'],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    // a whole tsc run, asynchronous so that the test worker stays responsive on a busy machine
    const tsc = await new Promise<string>((resolve) => {
      execFile(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json'], { cwd: dir, encoding: 'utf8' }, (_err, stdout, stderr) =>
        resolve(`${stdout}${stderr}`),
      );
    });
    expect(tsc).toBe('');
    const emitted = readFileSync(join(dir, 'out', 'usage.cjs'), 'utf8');
    expect(emitted).toContain(`require("${SCOPE}/x86_64")`);
    const { stdout, stderr } = runNode(join('cts', 'out', 'usage.cjs'));
    expect(stdout.trimEnd().split('\n')).toEqual(USAGE_OUTPUT);
    expect(stderr).toBe('');
  }, 120_000);

  it('imports nothing of another architecture: their packages are not installed and not needed', () => {
    const probe = `
      for (const name of ['aarch64', 'arm', 'riscv', 'loongarch64']) {
        try { await import('${SCOPE}/' + name); console.log(name, 'present'); }
        catch (e) { console.log(name, e.code); }
      }`;
    writeFileSync(join(app, 'probe.mjs'), probe);
    const out = execFileSync(process.execPath, ['probe.mjs'], { cwd: app, encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual(['aarch64', 'arm', 'riscv', 'loongarch64'].map((n) => `${n} ERR_MODULE_NOT_FOUND`));
  });

  it.each([
    ['Node (module nodenext)', 'usage.ts', { module: 'nodenext', moduleResolution: 'nodenext' }],
    ['Node 16 resolution (module node16, an ES module file)', 'usage.mts', { module: 'node16', moduleResolution: 'node16' }],
    ['a bundler (moduleResolution bundler)', 'usage.ts', { module: 'esnext', moduleResolution: 'bundler' }],
  ])('type-checks the example against the installed declarations for %s, with skipLibCheck off', (_name, file, resolution) => {
    writeFileSync(join(app, file), usageExample());
    const tsconfig = {
      compilerOptions: {
        ...resolution,
        target: 'es2022',
        // no ESNext.Disposable and no @types/node: the packages' declarations must bring what they use
        lib: ['es2022', 'dom'],
        types: [],
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        noEmit: true,
      },
      files: [file],
    };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const tsc = `${ROOT}node_modules/typescript/bin/tsc`;
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    }
    expect(output).toBe('');
    // a whole tsc run: seconds on a busy machine, so not vitest's 5 s default
  }, 120_000);
});

describe.each(RUNTIMES.map((r) => [r.name, r, runtimeVersion(r)] as const))('under %s', (name, runtime, version) => {
  const missing = IN_CI
    ? `no working ${name} binary under CI=true: failing (pnpm install fetches it with the root devDependency "${name.toLowerCase()}")`
    : `no working ${name} binary: skipped (pnpm install fetches it with the root devDependency "${name.toLowerCase()}")`;
  if (version === undefined && !IN_CI) console.warn(`consumer-test: ${missing}`);
  const title = version === undefined ? missing : version;

  /** Runs `script` in `cwd` under the runtime; its stdout, after checking it exited 0 and wrote nothing to stderr. */
  const run = (cwd: string, script: string): string => {
    if (version === undefined) throw new Error(missing);
    const out = spawnSync(runtime.bin, [...runtime.args, script], { cwd, encoding: 'utf8', env: runtimeEnv(join(work, 'deno-cache')) });
    expect(out.stderr, `${name} ${script}`).toBe('');
    expect(out.status, `${name} ${script}`).toBe(0);
    return out.stdout;
  };

  describe.skipIf(version === undefined && !IN_CI)(title, () => {
    it('runs the README "Usage" example from the packed install and prints what Node prints', () => {
      writeFileSync(join(app, 'usage-runtime.mjs'), usageExample());
      const node = execFileSync(process.execPath, ['usage-runtime.mjs'], { cwd: app, encoding: 'utf8' });
      expect(node.split('\n').length).toBeGreaterThan(3);
      expect(runtime.asNodePrints(run(app, 'usage-runtime.mjs'))).toBe(node);
    });

    it('runs the built ptdump on its embedded default and prints what Node prints', () => {
      assertBuilt('cli');
      const cli = `${ROOT}packages/cli`;
      const node = execFileSync(process.execPath, ['dist/ptdump.js'], { cwd: cli, encoding: 'utf8' });
      expect(node.match(/---\[ summary \]---/g)).toHaveLength(7); // one listing per embedded sample (riscv32 beside riscv64, x86 beside x86_64), each to its end
      expect(runtime.asNodePrints(run(cli, 'dist/ptdump.js'))).toBe(node);
    });
  });
});
