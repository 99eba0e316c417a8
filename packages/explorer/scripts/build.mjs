#!/usr/bin/env node
// Builds the explorer into dist/: the page script (main.js) and the worker (worker.js), each one ES module bundled
// by esbuild from the packages' built dist/ (as a user's bundler sees them), with index.html and style.css beside
// them. The result is static files: any web server (or `pnpm explorer`) serves it.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('..', import.meta.url));

/**
 * Bundles the app into `outdir` (default dist/); returns the bytes of each file written.
 * @param {{ outdir?: string, minify?: boolean }} [options]
 */
export async function buildExplorer(options = {}) {
  const outdir = options.outdir ?? join(here, 'dist');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: { main: join(here, 'src/app/main.ts'), worker: join(here, 'src/worker/worker.ts') },
    absWorkingDir: here,
    tsconfig: join(here, 'tsconfig.json'),
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: options.minify ?? true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'style.css']) copyFileSync(join(here, 'src', f), join(outdir, f));
  const sizes = {};
  for (const [file, out] of Object.entries(result.metafile.outputs)) {
    if (!file.endsWith('.map')) sizes[file.slice(file.lastIndexOf('/') + 1)] = out.bytes;
  }
  return sizes;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = await buildExplorer();
  console.log(`explorer: built ${Object.entries(sizes).map(([f, n]) => `${f} ${(n / 1024).toFixed(1)} KiB`).join(', ')}`);
}
