// Deno and Bun, as the root devDependencies `deno` and `bun` install them: their npm packages fetch the platform
// binary in their install script (allowed in the root package.json's pnpm.onlyBuiltDependencies), and
// node_modules/.bin runs it. A runtime whose binary does not answer `--version` is missing: the tests that need it
// skip outside CI and fail under CI=true (which .ci/run sets), since `pnpm install --frozen-lockfile` installs both.
import { spawnSync } from 'node:child_process';
import { ROOT } from './_support';

/** How a test runs a program under one JavaScript runtime. */
export interface Runtime {
  /** What the test titles call it. */
  readonly name: string;
  /** The executable (a node_modules/.bin wrapper of the installed binary). */
  readonly bin: string;
  /** Arguments before the script's path. */
  readonly args: readonly string[];
  /**
   * The runtime's output in Node's console layout. The values printed are the same; only the layout of an object
   * may differ (Bun writes every object over several lines, one property a line with a trailing comma, where Node
   * writes a short one on one line).
   */
  readonly asNodePrints: (stdout: string) => string;
}

/** Bun's several-line objects (`{\n  a: 1,\n  b: 2,\n}`) as Node writes a short object (`{ a: 1, b: 2 }`). */
function oneLineObjects(stdout: string): string {
  return stdout.replace(/\{\n((?: {2}.*\n)+?)\}/g, (_all, body: string) => {
    const properties = body
      .trim()
      .split('\n')
      .map((line) => line.trim())
      .join(' ');
    return `{ ${properties.replace(/,$/, '')} }`;
  });
}

export const RUNTIMES: readonly Runtime[] = [
  // no permission flags: the example and ptdump's default need none (--no-prompt fails instead of asking)
  { name: 'Deno', bin: `${ROOT}node_modules/.bin/deno`, args: ['run', '--no-prompt'], asNodePrints: (s) => s },
  { name: 'Bun', bin: `${ROOT}node_modules/.bin/bun`, args: [], asNodePrints: oneLineObjects },
];

/** Whether the tests run under CI (where a missing runtime is a failure). */
export const IN_CI: boolean = process.env['CI'] === 'true' || process.env['CI'] === '1';

/** The environment for a runtime: no colours, and Deno looks for no update and caches in `cacheDir` if given. */
export function runtimeEnv(cacheDir?: string): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', ...(cacheDir === undefined ? {} : { DENO_DIR: cacheDir }) };
}

/** The runtime's version line, or undefined when its binary is not installed or does not run. */
export function runtimeVersion(runtime: Runtime): string | undefined {
  const run = spawnSync(runtime.bin, ['--version'], { encoding: 'utf8', env: runtimeEnv() });
  if (run.status !== 0) return undefined;
  return run.stdout.split('\n')[0]!.trim();
}
