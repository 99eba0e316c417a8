// ptdump diff A B: the sweep against a page-by-page model on seeded random runs, then two dumps of tables built with
// the library and changed through the cursor (unmap, map, remap, protect), read as raw images and as JSON listings.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MappingFlags, PhysicalMemory } from '@page-table-multiarch/core';
import { X64PageTable } from '@page-table-multiarch/x86_64';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type Change, type DiffRun, diffRuns } from '../src/_diff';
import { jsonDocument, runCli, tempDir } from './_support';

const SEED = Number(process.env['DIFF_SEED'] ?? 20_261_206);
const tmp = tempDir();
afterAll(() => tmp.remove());
const { READ: R, WRITE: W, EXECUTE: X, USER: U } = MappingFlags;
const PAGE = 0x1000n;

/** Non-overlapping runs over pages 0..63: [first page, pages, physical page, flags]. */
const runsArb = fc
  .array(fc.tuple(fc.nat(63), fc.integer({ min: 1, max: 8 }), fc.nat(255), fc.constantFrom(R, R | W, R | X, R | W | U)), { maxLength: 12 })
  .map((list) => {
    const taken = new Set<number>();
    const out: DiffRun[] = [];
    for (const [first, n, pp, flags] of list) {
      const pages = Array.from({ length: Math.min(n, 64 - first) }, (_, k) => first + k);
      if (pages.some((p) => taken.has(p))) continue;
      for (const p of pages) taken.add(p);
      out.push({ vaddr: BigInt(first) * PAGE, end: BigInt(first + pages.length) * PAGE, paddr: BigInt(pp) * PAGE, flags });
    }
    return out.sort((a, b) => (a.vaddr < b.vaddr ? -1 : 1));
  });

/** What a page is in a list of runs: its physical page and flags, or undefined. */
function pageOf(runs: readonly DiffRun[], va: bigint): { pa: bigint; flags: number } | undefined {
  const r = runs.find((x) => x.vaddr <= va && va < x.end);
  return r && { pa: r.paddr + (va - r.vaddr), flags: r.flags };
}

describe('diffRuns', () => {
  it('classifies every page as the page model does, and merges what continues (fast-check, seeded)', () => {
    fc.assert(
      fc.property(runsArb, runsArb, (a, b) => {
        const changes = diffRuns(a, b);
        for (let p = 0n; p < 64n; p++) {
          const va = p * PAGE;
          const x = pageOf(a, va);
          const y = pageOf(b, va);
          const want = !x && !y ? undefined : !y ? 'removed' : !x ? 'added' : x.pa !== y.pa ? 'remapped' : x.flags !== y.flags ? 'permissions' : undefined;
          const c = changes.find((k) => k.vaddr <= va && va < k.end);
          expect(c?.kind, `page ${p}`).toBe(want);
          if (c === undefined) continue;
          if (x) expect(c.paddrA! + (va - c.vaddr)).toBe(x.pa);
          if (y) expect(c.paddrB! + (va - c.vaddr)).toBe(y.pa);
          expect(c.flagsA).toBe(x?.flags);
          expect(c.flagsB).toBe(y?.flags);
        }
        // ranges in order, never overlapping, and two that touch differ in kind, flags or the step of an address
        for (let k = 1; k < changes.length; k++) {
          const [p, q] = [changes[k - 1]!, changes[k]!] as [Change, Change];
          expect(p.end <= q.vaddr).toBe(true);
          if (p.end !== q.vaddr || p.kind !== q.kind || p.flagsA !== q.flagsA || p.flagsB !== q.flagsB) continue;
          const stepA = p.paddrA === undefined || p.paddrA + (p.end - p.vaddr) === q.paddrA;
          const stepB = p.paddrB === undefined || p.paddrB + (p.end - p.vaddr) === q.paddrB;
          expect(stepA && stepB, `changes ${k - 1} and ${k} should be one`).toBe(false);
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });
});

describe('ptdump diff', () => {
  // two moments of one address space: the second after an unmap, a new mapping, a remap and a protect
  const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000n });
  const table = new X64PageTable(memory);
  const c = table.cursor();
  c.mapRegion(0x40_0000n, 0x20_0000n, 8n * PAGE, R | X | U, false);
  c.mapRegion(0x60_0000n, 0x30_0000n, 4n * PAGE, R | W | U, false);
  c.mapRegion(0xffff_8880_0000_0000n, 0n, 0x40_0000n, R | W, true);
  c.flush();
  const before = memory.bytes().slice();
  c.unmap(0x40_2000n);
  c.map(0x70_0000n, 0x38_0000n, 0x1000, R | W | U);
  c.remap(0x60_1000n, 0x31_8000n, R | W | U);
  c.protect(0x60_2000n, R | U);
  c.protect(0xffff_8880_0020_0000n, R);
  c.flush();
  const after = memory.bytes();
  const files = { a: join(tmp.dir, 'a.bin'), b: join(tmp.dir, 'b.bin') };
  writeFileSync(files.a, before);
  writeFileSync(files.b, after);
  const regs = ['--arch', 'x86_64', '--base', '0x100000', '--cr3', `0x${table.rootPaddr.toString(16)}`, '--cr4', '0x20', '--efer', '0xd01'];
  const expected = [
    '- 0x0000000000402000-0x0000000000403000      4K  USR ro x      -> 0x0000000000202000',
    '~ 0x0000000000601000-0x0000000000602000      4K  USR RW NX     -> 0x0000000000301000 => 0x0000000000318000',
    '! 0x0000000000602000-0x0000000000603000      4K  USR RW NX => USR ro NX -> 0x0000000000302000',
    '+ 0x0000000000700000-0x0000000000701000      4K  USR RW NX     -> 0x0000000000380000',
    '! 0xffff888000200000-0xffff888000400000      2M  RW NX => ro NX -> 0x0000000000200000',
  ];

  it('lists what changed between two dumps, and exits 1', () => {
    const r = runCli([...regs, 'diff', files.a, files.b]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`ptdump diff: ${files.a} (raw image, 1 MiB at 0x100000)`);
    expect(lines.filter((l) => /^[-+~!] /.test(l))).toEqual(expected);
    expect(r.stdout).toContain('added:       1 range, 4K\nremoved:     1 range, 4K\nremapped:    1 range, 4K\npermissions: 2 ranges, 2052K\n');
    // the same dump twice: nothing, exit 0
    const same = runCli([...regs, 'diff', files.a, files.a]);
    expect(same.code).toBe(0);
    expect(same.stdout.split('\n').filter((l) => /^[-+~!] /.test(l))).toEqual([]);
  });

  it('gives the same changes from JSON listings, and as JSON', () => {
    const listing = (file: string, name: string): string => {
      const path = join(tmp.dir, name);
      writeFileSync(path, runCli([...regs, '--json', file]).stdout);
      return path;
    };
    const [ja, jb] = [listing(files.a, 'a.json'), listing(files.b, 'b.json')];
    const text = runCli(['diff', ja, jb]);
    expect(text.code).toBe(1);
    expect(text.stdout.split('\n').filter((l) => /^[-+~!] /.test(l))).toEqual(expected);
    // a listing against a dump
    expect(runCli([...regs, 'diff', ja, files.b]).stdout.split('\n').filter((l) => /^[-+~!] /.test(l))).toEqual(expected);
    // --jsonl listings: the same
    const lines = (file: string, name: string): string => {
      const path = join(tmp.dir, name);
      writeFileSync(path, runCli([...regs, '--jsonl', file]).stdout);
      return path;
    };
    const fromLines = runCli(['diff', lines(files.a, 'a.jsonl'), jb]);
    expect(fromLines.stderr).toBe('');
    expect(fromLines.stdout.split('\n').filter((l) => /^[-+~!] /.test(l))).toEqual(expected);
    const json = runCli([...regs, '--json', 'diff', files.a, files.b]);
    const doc = jsonDocument(json.stdout);
    expect(doc.changes.map((k: { change: string }) => k.change)).toEqual(['removed', 'remapped', 'permissions', 'added', 'permissions']);
    expect(doc.changes[1]).toEqual({
      kind: 'change',
      change: 'remapped',
      vaddr: '0x601000',
      end: '0x602000',
      size: '0x1000',
      paddrBefore: '0x301000',
      paddrAfter: '0x318000',
      flagsBefore: 'READ | WRITE | USER',
      flagsAfter: 'READ | WRITE | USER',
    });
    expect(doc.summary.permissions).toEqual({ ranges: 2, bytes: '0x201000' });
  });

  it('refuses what it cannot compare', () => {
    const samples = join(tmp.dir, 'samples.json');
    writeFileSync(samples, runCli(['--json']).stdout);
    const sampleLines = join(tmp.dir, 'samples.jsonl');
    writeFileSync(sampleLines, runCli(['--jsonl']).stdout);
    const notJson = join(tmp.dir, 'brace.bin');
    writeFileSync(notJson, '{ this is not JSON');
    const bad: [string[], RegExp][] = [
      [['diff', files.a], /diff: give two dumps or JSON listings/],
      [[...regs, '--perm', 'w', 'diff', files.a, files.b], /diff compares whole listings/],
      [['diff', samples, samples], /a listing of \d+ dumps \(the embedded samples\?\)/],
      [['diff', sampleLines, sampleLines], /the lines of \d+ dumps \(the embedded samples\?\)/],
      [['diff', notJson, notJson], /starts like JSON but is not a JSON listing .*--format raw/],
      [['diff', join(tmp.dir, 'none'), files.a], /none: no such file/],
    ];
    for (const [args, message] of bad) {
      const r = runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
