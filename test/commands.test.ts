// Every `pnpm <name>` that the documentation gives for a script of the root package.json runs that script when
// typed as written. pnpm runs a script by name only when the name is not a command of its own or one it hands to
// npm (`pnpm docs` opens the package's page in a browser, `pnpm version` bumps a version): such a script must be
// documented as `pnpm run <name>`. The check types each documented command in an empty folder whose package.json
// has the same script names, each printing its own name, and reads what ran.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url);
const read = (file: string): string => readFileSync(new URL(file, root), 'utf8');

const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);

const documents = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(new URL('docs/', root))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  ...readdirSync(new URL('packages/', root))
    .map((p) => `packages/${p}/README.md`)
    .filter((f) => {
      try {
        read(f);
        return true;
      } catch {
        return false;
      }
    }),
];

/** The `pnpm ...` commands in inline code or code blocks of a document: [what is typed, the script it names]. */
function documentedCommands(file: string): [typed: string, script: string][] {
  const found: [string, string][] = [];
  for (const m of read(file).matchAll(/(?<![\w-])pnpm (run )?([a-z][\w:-]*)/g)) {
    const script = m[2]!;
    if (scripts.includes(script)) found.push([`pnpm ${m[1] ?? ''}${script}`, script]);
  }
  return found;
}

const commands = new Map<string, string>();
for (const file of documents) for (const [typed, script] of documentedCommands(file)) commands.set(typed, script);

const folder = mkdtempSync(join(tmpdir(), 'ptm-commands-'));
writeFileSync(
  join(folder, 'package.json'),
  JSON.stringify({
    name: 'commands-probe',
    private: true,
    scripts: Object.fromEntries(scripts.map((s) => [s, `node -e "console.log('ran script ${s}')"`])),
  }),
);
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('the documented pnpm commands', () => {
  it('include the commands of the README and CONTRIBUTING tables', () => {
    expect([...commands.values()]).toEqual(expect.arrayContaining(['build', 'test', 'ptdump', 'demo', 'docs', 'bench']));
  });

  it.each([...commands])('%s runs the script %s', async (typed, script) => {
    const args = typed.split(' ').slice(1);
    const output = await new Promise<string>((resolve) => {
      execFile(
        'pnpm',
        args,
        {
          cwd: folder,
          encoding: 'utf8',
          timeout: 30_000,
          // a command pnpm hands to npm must not open a browser or reach a registry here
          env: { ...process.env, npm_config_browser: 'false', npm_config_offline: 'true', CI: 'true' },
        },
        (_err, stdout, stderr) => resolve(`${stdout}${stderr}`),
      );
    });
    expect(output, `\`${typed}\` in the documentation`).toContain(`ran script ${script}`);
  }, 60_000);
});

describe('the scripts that start a program', () => {
  // Turbo prints a notice about its telemetry on its first run on a machine, on stderr, before the program's own
  // output; a newcomer's first `pnpm ptdump` would open on it. (Checked by hand with an empty HOME: without the
  // variable the notice is printed, with it only ptdump's output.)
  const all = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  for (const name of ['demo', 'ptdump', 'explorer']) {
    it(`${name} runs turbo with its telemetry notice off`, () => {
      const script = all[name]!;
      expect(script).toMatch(/\bturbo run build\b/);
      for (const call of script.split('&&').filter((part) => /\bturbo\b/.test(part))) expect(call.trim()).toMatch(/^TURBO_TELEMETRY_DISABLED=1 turbo /);
    });
  }
});
