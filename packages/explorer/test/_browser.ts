// The explorer in a real browser, as packages/browser-test runs its page: headless Chromium (Debian's, at
// /usr/bin/chromium or CHROMIUM_PATH) driven by playwright-core, which downloads no browser. The app is built by its
// own build script into a temporary folder and served by its own server, so the test runs what `pnpm explorer`
// serves. Without Chromium the suites skip with a message, except under CI=true, where they fail.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const IN_CI = process.env['CI'] === 'true' || process.env['CI'] === '1';
export const PRESENT = existsSync(CHROMIUM);
export const TITLE = PRESENT
  ? `explorer in headless Chromium (${CHROMIUM})`
  : IN_CI
    ? `explorer: no Chromium at ${CHROMIUM} under CI=true: failing (.ci/run installs it with apt-get install -y chromium)`
    : `explorer: no Chromium at ${CHROMIUM}: skipped (apt-get install -y chromium, or set CHROMIUM_PATH)`;
export const SKIP = !PRESENT && !IN_CI;
if (SKIP) console.warn(TITLE);

/** Where the test run saves its screenshots (gitignored). */
export const SHOTS = fileURLToPath(new URL('../test-output/', import.meta.url));

interface ServeModule {
  serveExplorer(dir: string, port?: number, host?: string): Promise<{ server: Server; url: string }>;
}
interface BuildModule {
  buildExplorer(options?: { outdir?: string; minify?: boolean }): Promise<Record<string, number>>;
}

export interface Harness {
  readonly url: string;
  readonly context: BrowserContext;
  /** Bytes of each built file. */
  readonly sizes: Record<string, number>;
  close(): Promise<void>;
}

/** Builds the app, serves it on a free port, starts Chromium. */
export async function start(): Promise<Harness> {
  if (!PRESENT) throw new Error(`CI=true and no Chromium at ${CHROMIUM}: .ci/run installs it with apt-get install -y chromium`);
  const scripts = new URL('../scripts/', import.meta.url);
  const { buildExplorer } = (await import(new URL('build.mjs', scripts).href)) as BuildModule;
  const { serveExplorer } = (await import(new URL('serve.mjs', scripts).href)) as ServeModule;
  const out = mkdtempSync(join(tmpdir(), 'ptm-explorer-'));
  const sizes = await buildExplorer({ outdir: out });
  const { server, url } = await serveExplorer(out, 0);
  const profile = mkdtempSync(join(tmpdir(), 'ptm-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(SHOTS, { recursive: true });
  return {
    url,
    context,
    sizes,
    async close() {
      await context.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(profile, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    },
  };
}

/** A new page on the explorer, with every page error and console error collected into `errors`. */
export async function openPage(s: Harness, errors: string[]): Promise<Page> {
  const page = await s.context.newPage();
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  await page.goto(s.url);
  await ready(page);
  return page;
}

/** Waits until the page has opened what it was asked to (or failed); returns the status line's state. */
export async function ready(page: Page, timeout = 30_000): Promise<string> {
  await page.waitForSelector('#status:not([data-state="loading"])', { timeout });
  return (await page.getAttribute('#status', 'data-state')) ?? '';
}
