// ptdump's JSON against its schema (schema/ptdump.schema.json): real outputs of every kind (the embedded default,
// a dump's listing with audit findings, shared tables and diagnostics, filtered listings, translations, a diff, the
// root finder) must follow it, and an output that drifts from it (a member of another type, a member the schema does
// not name, a missing one) must be caught. --jsonl: every line follows the schema's `line`, and the lines of a dump,
// put back together, are the dump of --json member for member.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHES } from '@page-table-multiarch/cli';
import { MappingFlags, PageSize, PhysicalMemory, translateAddress } from '@page-table-multiarch/core';
import { X64PageTable } from '@page-table-multiarch/x86_64';
import { afterAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../src/_structured';
import { PTDUMP_SCHEMA, schemaErrors } from './_schema';
import { registerArgs, runCli, tempDir } from './_support';

const tmp = tempDir();
afterAll(() => tmp.remove());
const RWX = MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE;

/** The x86_64 sample as a raw image, and the options that list it. */
function x86Sample(): string[] {
  const arch = ARCHES.find((a) => a.name === 'x86_64')!;
  const sample = arch.sample();
  const path = join(tmp.dir, 'x86_64.bin');
  writeFileSync(path, sample.memory.bytes());
  return ['--arch', 'x86_64', '--base', `0x${sample.memory.base.toString(16)}`, ...registerArgs(sample), path];
}

/** A dump whose page directory reaches one page table from all its 512 entries (as Linux's espfix area does). */
function sharedTables(): string[] {
  const memory = new PhysicalMemory({ size: 64 * 4096, base: 0x10_0000n });
  const table = new X64PageTable(memory);
  const c = table.cursor();
  for (let i = 0; i < 4; i++) c.map(0xffff_ff00_0000_0000n + BigInt(i) * 0x1000n, 0x1000_0000n + BigInt(i) * 0x1000n, PageSize.Size4K, RWX);
  c.flush();
  const pde = translateAddress(table, 0xffff_ff00_0000_0000n).steps[2]!.entryPaddr;
  for (let i = 1; i < 512; i++) memory.writeU64(pde + BigInt(i) * 8n, memory.readU64(pde));
  const path = join(tmp.dir, 'shared.bin');
  writeFileSync(path, memory.bytes());
  return ['--arch', 'x86_64', '--base', '0x100000', '--cr3', `0x${table.rootPaddr.toString(16)}`, '--cr4', '0x6a0', '--efer', '0xd01', path];
}

/** 64 KiB at 0 whose page at 0x1000, read as a PML4, points outside the dump: diagnostics and no mapping. */
function dataRoot(): string[] {
  const bytes = new Uint8Array(0x1_0000);
  const v = new DataView(bytes.buffer, 0x1000, 0x1000);
  for (let i = 0; i < 512; i++) v.setUint32(i * 8, 0x7fff_f007 + i * 0x1000, true);
  const path = join(tmp.dir, 'data-root.bin');
  writeFileSync(path, bytes);
  return ['--arch', 'x86_64', '--cr3', '0x1000', path];
}

/** Two images of the x86_64 sample, the second with a page unmapped and another made read-only. */
function diffPair(): [string, string, string[]] {
  const args = x86Sample();
  const a = args.at(-1)!;
  const bytes = new Uint8Array(readFileSync(a));
  const arch = ARCHES.find((x) => x.name === 'x86_64')!;
  const sample = arch.sample();
  const table = sample.tables[0]!.table;
  const base = sample.memory.base;
  const view = new DataView(bytes.buffer);
  const leaf = (va: bigint): number => Number(translateAddress(table, va).steps.at(-1)!.entryPaddr - base);
  view.setUint32(leaf(0x400000n), 0, true);
  view.setUint32(leaf(0x600000n), view.getUint32(leaf(0x600000n), true) & ~0x2, true);
  const b = join(tmp.dir, 'x86_64-changed.bin');
  writeFileSync(b, bytes);
  return [a, b, args.slice(0, -1)];
}

/** Runs ptdump; the exit status must be one of `codes`. */
function stdoutOf(args: readonly string[], codes: readonly number[] = [0]): string {
  const r = runCli(args);
  expect(codes, `${args.join(' ')}: ${r.stderr}`).toContain(r.code);
  return r.stdout;
}

/** Every kind of output, by name: the arguments, and the exit statuses it may have. */
const OUTPUTS: readonly (readonly [string, () => string[], readonly number[]])[] = [
  ['the embedded default, every architecture', () => [], [0]],
  ['the embedded default, translate', () => ['translate', '0x400000', '0xffffffff81000000', '0x5000'], [0]],
  ['a dump with --audit findings', () => [...x86Sample(), '--audit'], [1]],
  ['a dump with shared tables', sharedTables, [0]],
  ['a dump with shared tables expanded', () => [...sharedTables(), '--expand-shared'], [0]],
  ['a dump of diagnostics only', dataRoot, [3]],
  ['--va-range', () => [...x86Sample(), '--va-range', '0xffffffff81200000-0xffffffff81700000'], [0]],
  ['--perm and --pa', () => [...x86Sample(), '--perm', 'w,_device', '--pa', '0x1200000-0x1700000'], [0]],
  ['--leaves', () => [...x86Sample(), '--leaves'], [0]],
  ['translate through a dump', () => [...x86Sample(), 'translate', '0x400123', '0x1234'], [0]],
  ['diff', () => { const [a, b, options] = diffPair(); return [...options, 'diff', a, b]; }, [1]],
];

/** The --json document of `args`, and its --jsonl lines parsed. */
function both(args: readonly string[], codes: readonly number[]): { doc: Record<string, unknown>; lines: Record<string, unknown>[] } {
  const doc = JSON.parse(stdoutOf([...args, '--json'], codes)) as Record<string, unknown>;
  const text = stdoutOf([...args, '--jsonl'], codes);
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { doc, lines };
}

/** The names of the lists of a dump, in the order of its items' kinds. */
const LIST_OF: Readonly<Record<string, string>> = {
  mapping: 'records',
  diagnostic: 'records',
  shared: 'records',
  finding: 'findings',
  translation: 'translations',
  change: 'changes',
};

/**
 * The --json document that JSON lines stand for: each header line starts a dump (its members but `kind`, `schema`
 * and `command`), each item goes to its list, and the summary line's members end it. Lists with no item are made
 * from the order the document's own dumps give (the lines cannot say an empty list was there).
 */
function documentOfLines(lines: readonly Record<string, unknown>[], like: Record<string, unknown>): Record<string, unknown> {
  const dumps: Record<string, unknown>[] = [];
  let current: Record<string, unknown> | undefined;
  let schema: unknown;
  let command: unknown;
  for (const line of lines) {
    const { kind, ...rest } = line;
    if (kind === 'header') {
      ({ schema, command } = rest);
      const { schema: _s, command: _c, ...header } = rest;
      current = { ...header };
      const template = (Array.isArray(like['dumps']) ? like['dumps'][dumps.length] : like) as Record<string, unknown>;
      for (const name of new Set(Object.values(LIST_OF))) if (Array.isArray(template[name])) current[name] = [];
      dumps.push(current);
    } else if (kind === 'summary') {
      Object.assign(current!, rest);
    } else {
      (current![LIST_OF[kind as string]!] as unknown[]).push(line);
    }
  }
  if (command === 'diff') return { schema, command, ...dumps[0] };
  return { schema, command, dumps };
}

describe('the schema', () => {
  it('is JSON Schema 2020-12 with the version ptdump writes', () => {
    expect(PTDUMP_SCHEMA['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect((PTDUMP_SCHEMA['$defs'] as Record<string, { const?: unknown }>)['schemaVersion']!.const).toBe(SCHEMA_VERSION);
  });

  it('is shipped: in the package files and exports', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
    expect(manifest.files).toContain('schema');
    expect(manifest.exports['./ptdump.schema.json']).toBe('./schema/ptdump.schema.json');
  });
});

describe.each(OUTPUTS)('%s', (_name, argsOf, codes) => {
  const args = argsOf();

  it('--json follows the schema', () => {
    const { doc } = both(args, codes);
    expect(schemaErrors(doc)).toEqual([]);
    expect(doc['schema']).toBe(SCHEMA_VERSION);
  });

  it('--jsonl: every line follows the schema, and the lines make the --json document', () => {
    const { doc, lines } = both(args, codes);
    for (const [i, line] of lines.entries()) expect(schemaErrors(line, 'line'), `line ${i + 1}: ${JSON.stringify(line).slice(0, 200)}`).toEqual([]);
    expect(lines[0]!['kind']).toBe('header');
    expect(lines[0]!['schema']).toBe(SCHEMA_VERSION);
    expect(lines.at(-1)!['kind']).toBe('summary');
    expect(documentOfLines(lines, doc)).toEqual(doc);
  });
});

describe('the kinds of record are all there', () => {
  it('mappings, diagnostics, shared tables, findings, translations and changes each appear in some output', () => {
    const kinds = new Set<unknown>();
    for (const [, argsOf, codes] of OUTPUTS) for (const line of both(argsOf(), codes).lines) kinds.add(line['kind']);
    expect([...kinds].sort()).toEqual(['change', 'diagnostic', 'finding', 'header', 'mapping', 'shared', 'summary', 'translation']);
  });
});

describe('find-roots', () => {
  it('--json follows the schema; --jsonl is refused', () => {
    const args = x86Sample().filter((a, i, all) => !/^--(cr|efer)/.test(a) && !/^--(cr|efer)/.test(all[i - 1] ?? ''));
    const doc = JSON.parse(stdoutOf([...args, '--find-roots', '--json'])) as Record<string, unknown>;
    expect(schemaErrors(doc)).toEqual([]);
    expect((doc['candidates'] as unknown[]).length).toBeGreaterThan(0);
    const r = runCli([...args, '--find-roots', '--jsonl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ptdump: --find-roots ranks the candidates once the scan is over: give --json, not --jsonl\n$/);
  });
});

describe('an output that drifts from the schema is caught', () => {
  // the real records of a listing with a finding, changed the ways an implementation could drift
  const doc = JSON.parse(stdoutOf([...x86Sample(), '--audit', '--json'], [1])) as { dumps: Record<string, unknown>[] };
  const dump = doc.dumps[0]!;
  const mapping = (dump['records'] as Record<string, unknown>[])[0]!;
  const finding = (dump['findings'] as Record<string, unknown>[])[0]!;
  const cases: [string, unknown, string | undefined][] = [
    ['the document as written', doc, undefined],
    ['a size as a number', { ...mapping, pageSize: 4096 }, 'line'],
    ['an address as a number', { ...mapping, vaddr: 0x400000 }, 'line'],
    ['an address in upper case', { ...mapping, vaddr: '0x40000A' }, 'line'],
    ['a count as a string', { ...mapping, pages: '4' }, 'line'],
    ['a member the schema does not name', { ...mapping, extra: 1 }, 'line'],
    ['a missing member', Object.fromEntries(Object.entries(mapping).filter(([k]) => k !== 'effective')), 'line'],
    ['an unknown flag name', { ...mapping, flags: 'READ | SECRET' }, 'line'],
    ['the finding kind in the old place', { ...finding, kind: 'W+X' }, 'line'],
    ['another schema version', { ...doc, schema: SCHEMA_VERSION + 1 }, undefined],
    ['the embedded default as it was', { samples: doc.dumps }, undefined],
    ['a summary line with a member of a listing missing', { kind: 'summary', summary: dump['summary'] }, 'line'],
  ];
  it.each(cases)('%s', (name, value, def) => {
    const errors = schemaErrors(value, def);
    if (name === 'the document as written') expect(errors).toEqual([]);
    else expect(errors.length, name).toBeGreaterThan(0);
  });

  it('the checker refuses a keyword it does not know, rather than ignoring it', () => {
    const schema = PTDUMP_SCHEMA as { $defs: Record<string, unknown> };
    const saved = schema.$defs['count'];
    schema.$defs['count'] = { type: 'integer', multipleOf: 2 };
    try {
      expect(() => schemaErrors(mapping, 'line')).toThrow(/keyword 'multipleOf'/);
    } finally {
      schema.$defs['count'] = saved;
    }
  });
});
