// `ptdump --version` is the version of the cli's package.json (which `changeset version` rewrites), not a constant
// of its own that would drift from it.
import { readFileSync } from 'node:fs';
import { afterEach, expect, it, vi } from 'vitest';
import { runCli } from './_support';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

afterEach(() => {
  vi.doUnmock('../package.json');
  vi.resetModules();
});

it('--version prints the version of package.json', () => {
  expect(runCli(['--version']).stdout).toBe(`ptdump ${manifest.version}\n`);
  expect(runCli(['-V']).stdout).toBe(`ptdump ${manifest.version}\n`);
});

it('follows package.json when its version changes', async () => {
  vi.resetModules();
  vi.doMock('../package.json', () => ({ version: '7.8.9-next.1' }));
  const cli = await import('@page-table-multiarch/cli');
  expect(cli.VERSION).toBe('7.8.9-next.1');
  const out: string[] = [];
  cli.main(['--version'], { stdout: (s) => out.push(s), stderr: () => {}, stderrIsTTY: false });
  expect(out.join('')).toBe('ptdump 7.8.9-next.1\n');
});
