// Size budgets: the minified + gzipped bytes a bundler pulls in for one table type of one architecture
// (esbuild, as a user's bundler would see the published dist/ files), against the budgets recorded in
// size-budgets.json at the repository root; and isolation: importing an architecture's package (all of
// it) or core brings in no other architecture's codec.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { ARCHES, assertBuilt, LIBRARY, ROOT } from './_support';

interface Budget {
  /** The export to import, e.g. `X64PageTable`. */
  readonly import: string;
  /** The module specifier it comes from, e.g. `@page-table-multiarch/x86_64`. */
  readonly from: string;
  /** Largest accepted size of the minified bundle after gzip -9, in bytes. */
  readonly maxGzipBytes: number;
}

const budgets = (JSON.parse(readFileSync(`${ROOT}size-budgets.json`, 'utf8')) as { bundles: Budget[] }).bundles;
// Resolve bare imports from this package, whose node_modules links every published package (so a bundle sees
// their package.json "exports" and dist/ as an install would), with a tsconfig that has no `paths`: the root
// one maps the packages to their sources.
const resolveDir = `${ROOT}packages/consumer-test`;
const tsconfig = `${ROOT}packages/consumer-test/tsconfig.json`;

async function bundle(contents: string, minify: boolean): Promise<{ code: Uint8Array; text: string; inputs: string[] }> {
  const result = await build({
    stdin: { contents, resolveDir, loader: 'js', sourcefile: 'entry.js' },
    absWorkingDir: ROOT, // metafile input paths are relative to it: packages/<folder>/...
    bundle: true,
    minify,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    tsconfig,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const out = result.outputFiles[0]!;
  return { code: out.contents, text: out.text, inputs: Object.keys((result.metafile as Metafile).inputs) };
}

/** The export names of a built entry subpath (`@page-table-multiarch/entry/<arch>`). */
async function codecExports(arch: string): Promise<string[]> {
  const result = await build({
    entryPoints: [`${ROOT}packages/entry/dist/${arch}.js`],
    bundle: false,
    format: 'esm',
    write: false,
    metafile: true,
    outdir: '/tmp/ptm-unused',
    logLevel: 'silent',
  });
  return Object.values(result.metafile.outputs).flatMap((o) => o.exports);
}

const measured: { bundle: string; bytes: number; budget: number }[] = [];

for (const p of LIBRARY) assertBuilt(p);

describe('size budgets (minified + gzip -9, size-budgets.json)', () => {
  afterAll(() => {
    console.info(
      measured.map((m) => `${m.bundle.padEnd(60)} ${String(m.bytes).padStart(6)} B gz (budget ${m.budget})`).join('\n'),
    );
  });

  it('has a budget for a table and for the codec of every architecture', () => {
    const from = new Set(budgets.map((b) => b.from));
    for (const a of ARCHES) {
      expect(from.has(`@page-table-multiarch/${a}`), `no budget for a table of ${a}`).toBe(true);
      expect(from.has(`@page-table-multiarch/entry/${a}`), `no budget for the codec of ${a}`).toBe(true);
    }
  });

  it.each(budgets.map((b) => [`${b.import} from ${b.from}`, b] as const))('%s', async (name, b) => {
    const { code, inputs } = await bundle(`import { ${b.import} } from '${b.from}';\nconsole.log(${b.import});\n`, true);
    const bytes = gzipSync(code, { level: 9 }).length;
    measured.push({ bundle: name, bytes, budget: b.maxGzipBytes });
    // the bundle comes from the built packages, not from their sources
    expect(inputs.filter((f) => f.includes('/src/'))).toEqual([]);
    expect(bytes, `${name}: ${bytes} B gzipped exceeds its budget of ${b.maxGzipBytes} B`).toBeLessThanOrEqual(b.maxGzipBytes);
  });
});

describe('importing one architecture brings in no other architecture', () => {
  it.each([...ARCHES, 'core'])('@page-table-multiarch/%s', async (arch) => {
    const own = arch === 'core' ? [] : await codecExports(arch);
    const others = ARCHES.filter((a) => a !== arch);
    const foreign = new Set<string>();
    for (const o of others) for (const name of await codecExports(o)) if (!own.includes(name)) foreign.add(name);
    expect(foreign.size).toBeGreaterThan(10);

    // the whole package, unminified so that top-level names survive (esbuild renames a clash to name2)
    const { text, inputs } = await bundle(`import * as m from '@page-table-multiarch/${arch}';\nconsole.log(m);\n`, false);
    const otherFiles = inputs.filter((f) =>
      others.some((o) => f.includes(`packages/${o}/`) || f.includes(`packages/entry/dist/${o}.`)),
    );
    expect(otherFiles, 'files of other architectures in the bundle').toEqual([]);
    expect(inputs).toContain(arch === 'core' ? 'packages/core/dist/index.js' : `packages/entry/dist/${arch}.js`);
    const leaked = [...foreign].filter((name) => new RegExp(`\\b${name}\\d*\\b`).test(text));
    expect(leaked, 'codec identifiers of other architectures in the bundle').toEqual([]);
    // and the check is not vacuous: the architecture's own codec is there
    for (const name of own) expect(text, name).toMatch(new RegExp(`\\b${name}\\d*\\b`));
  });
});
