// A cursor is one small object: code that opens one per operation (a mapRegion of a few entries, W4a; a cursor
// per 1000 maps, W1b) pays for little more than its fields. A typed array made with every cursor (a record of the
// last entry unmapNumber removed, which now goes to the table's lastFlags record) made W4a take twice as long. Run on the built bundles (`pnpm test` builds first), in a node of its
// own with a young generation of 256 MiB, so that no collection runs while the heap's growth is read.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = (p: string) => fileURLToPath(new URL(`../packages/${p}/dist/index.js`, import.meta.url));

const SCRIPT = `
  import { PhysicalMemory } from ${JSON.stringify(DIST('core'))};
  import { X64PageTable } from ${JSON.stringify(DIST('x86_64'))};
  const table = new X64PageTable(new PhysicalMemory({ size: 1 << 24 }));
  const n = 100_000;
  const keep = new Array(n);
  const run = () => { for (let i = 0; i < n; i++) keep[i] = table.cursor(); };
  run();
  run();
  globalThis.gc();
  const h0 = process.memoryUsage().heapUsed;
  run();
  process.stdout.write(JSON.stringify({ bytes: (process.memoryUsage().heapUsed - h0) / n }));
`;

describe('cursor', () => {
  it('a new cursor takes its object and nothing more from the heap (under 128 bytes)', () => {
    const flags = ['--expose-gc', '--min-semi-space-size=256', '--max-semi-space-size=256'];
    const run = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', SCRIPT], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const { bytes } = JSON.parse(run.stdout) as { bytes: number };
    // 72 bytes now; 304 with an Int32Array made with each cursor
    expect(bytes).toBeLessThan(128);
  }, 60_000);
});
