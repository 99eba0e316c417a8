#!/usr/bin/env node
// Serves the built explorer (dist/) on localhost and prints its URL. Static files only: the explorer has no code on
// the server side, so any web server would do; this one needs nothing beyond Node.
//
//   node scripts/serve.mjs [--port N] [--host H] [DIR]     (default: port 5180, or the next free one; 127.0.0.1)
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
};

/**
 * Starts a static server for `dir` on `host`:`port` (0: any free port; a busy port: the next ones, up to 20).
 * @returns {Promise<{ server: import('node:http').Server, url: string }>}
 */
export async function serveExplorer(dir, port = 5180, host = '127.0.0.1') {
  const root = normalize(dir + sep);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(readFileSync(file));
  });
  for (let tries = 0; ; tries++) {
    const at = port === 0 ? 0 : port + tries;
    try {
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(at, host, () => {
          server.off('error', reject);
          resolve(undefined);
        });
      });
      break;
    } catch (err) {
      if (err.code !== 'EADDRINUSE' || port === 0 || tries >= 20) throw err;
    }
  }
  const { port: bound } = server.address();
  return { server, url: `http://${host}:${bound}/` };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const port = Number(opt('--port') ?? process.env.PORT ?? 5180);
  const host = opt('--host') ?? '127.0.0.1';
  const dir = args[0] ?? fileURLToPath(new URL('../dist', import.meta.url));
  if (!existsSync(join(dir, 'index.html'))) {
    console.error(`explorer: no index.html in ${dir}; build first (pnpm --filter @page-table-multiarch/explorer build)`);
    process.exit(2);
  }
  const { url } = await serveExplorer(dir, port, host);
  console.log(`explorer: serving ${dir} at ${url}  (Ctrl-C to stop)`);
}
