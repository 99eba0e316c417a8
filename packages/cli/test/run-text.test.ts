// The text line of a run, written from the walk's numbers (MappingDump.numbered, writeRunLine: hex digits from
// doubles, a byte block), against the same line made from the MappingRun records with bigint arithmetic and
// BigInt.prototype.toString, the way the listing made it before. Seeded random x86_64 tables: lower and upper half
// (addresses at and above 2^53), 4 KiB, 2 MiB and 1 GiB pages (Intel SDM Vol. 3A 4.5, Tables 4-17 and 4-19: PS,
// bit 7, in a PDPTE or a PDE), physical addresses above 2^32, runs of 2^32 bytes and more, runs across table
// boundaries, and table entries that take away R/W (bit 1) or add XD (bit 63) for everything below them.
import { type AttachPlan, dumpMappings, levelName, type MappingRun, MappingFlags, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import { X64PageTable } from '@page-table-multiarch/x86_64';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { archByName } from '../src/_arches';
import { permText, sizeText, writeRunLine } from '../src/_format';
import type { CliIo } from '../src/_main';
import { Out } from '../src/_output';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
const K4 = 0x1000n;
const M2 = 0x20_0000n;
const G1 = 0x4000_0000n;
/** The first upper-half address of 4-level paging (bits 63:47 set). */
const UPPER = 0xffff_8000_0000_0000n;
/** Intel SDM Vol. 3A 4.5, Table 4-15 (PML4E): P is bit 0, R/W bit 1, XD bit 63. */
const P = 1n;
const RW = 2n;
const XD = 1n << 63n;

/** A listing line of a run from its record, with bigint arithmetic only: the reference. */
function referenceLine(run: MappingRun, plan: AttachPlan, digits: number): string {
  const hex = (v: bigint) => `0x${v.toString(16).padStart(digits, '0')}`;
  const lo = Number(run.bits & 0xffff_ffffn);
  const hi = Number(run.bits >> 32n);
  const raw = plan.format.inspector?.describe?.(lo, hi, run.level, true) ?? '';
  const entry = run.effective === run.flags ? '' : `  [entry: ${permText(run.flags).trim().replace(/\s+/g, ' ')}]`;
  const page = sizeText(BigInt(run.pageSize)).padStart(4);
  const level = levelName(plan.format, run.level).padEnd(5);
  return `${hex(run.vaddr)}-${hex(run.end)} ${sizeText(run.size).padStart(7)} ${page}  ${permText(run.effective)} -> ${hex(run.paddr)} ${level} ${raw}${entry}`.trimEnd();
}

/** An Out whose blocks are kept as text, through the byte path (stdoutBytes) or the string one. */
function capture(bytes: boolean): { out: Out; text: () => string } {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  const io: CliIo = {
    stdout: (s) => chunks.push(s),
    stderr: () => {},
    stderrIsTTY: false,
    ...(bytes ? { stdoutBytes: (b: Uint8Array) => chunks.push(decoder.decode(b)) } : {}),
  };
  const out = new Out(io);
  return {
    out,
    text: () => {
      out.flush();
      return chunks.join('');
    },
  };
}

/** The attach plan ptdump makes for a CR3 (4-level paging, NXE set: Intel SDM Vol. 3A 2.2.1, IA32_EFER bit 11). */
function planFor(root: bigint): AttachPlan {
  const plan = archByName('x86_64')!.decode({ cr3: root, efer: 0x900n }, {});
  if (plan instanceof RegisterError) throw plan;
  return plan;
}

/** Both listings of the tables: the lines from the numbers, and the reference lines from the records. */
function listings(memory: PhysicalMemory, plan: AttachPlan, bytes = true): { lines: string[]; reference: string[] } {
  const src = { ...plan.format, handler: memory };
  const { out, text } = capture(bytes);
  for (const rec of dumpMappings(src, { roots: plan.roots }).numbered()) if (rec.kind === 'mapping') writeRunLine(out, rec, plan, 16);
  const reference: string[] = [];
  for (const rec of dumpMappings(src, { roots: plan.roots })) if (rec.kind === 'mapping') reference.push(referenceLine(rec, plan, 16));
  return { lines: text().split('\n').slice(0, -1), reference };
}

describe('the text line of a run from its numbers', () => {
  it('prints upper-half addresses, the top of the address space and high physical addresses exactly', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    const table = new X64PageTable(memory);
    const c = table.cursor();
    c.map(UPPER, 0x000f_ffff_ffff_f000n, Number(K4), READ | WRITE);
    // the last page: its run ends at 2^64, a 17-digit end
    c.map(0xffff_ffff_ffff_f000n, 0x1_0000_0000n, Number(K4), READ | EXECUTE);
    // four 1 GiB pages, contiguous: one run of 2^32 bytes
    c.mapRegion(UPPER + 0x80_0000_0000n, 0x40_0000_0000n, 4n * G1, READ, true);
    c.flush();
    const { lines, reference } = listings(memory, planFor(table.rootPaddr));
    expect(lines).toEqual(reference);
    expect(lines.map((l) => l.split(' ')[0])).toEqual([
      '0xffff800000000000-0xffff800000001000',
      '0xffff808000000000-0xffff808100000000',
      '0xfffffffffffff000-0x10000000000000000',
    ]);
    expect(lines[1]).toContain('     4G   1G ');
    expect(lines[1]).toContain('-> 0x0000004000000000 PDPT ');
    expect(lines[0]).toContain('-> 0x000ffffffffff000 PT ');
  });

  it('property (seeded): random tables list line for line as the reference, by bytes or by text', () => {
    const region = fc.record({
      upper: fc.boolean(),
      page: fc.constantFrom(K4, M2, G1),
      // where, in pages from a 512 GiB slot of the half: near its start or near its end (table boundaries)
      slot: fc.integer({ min: 0, max: 255 }),
      first: fc.integer({ min: 0, max: 1100 }),
      fromEnd: fc.boolean(),
      count: fc.integer({ min: 1, max: 600 }),
      contiguous: fc.boolean(),
      // physical frames up to 2^46
      pa: fc.bigInt({ min: 0n, max: (1n << 46n) - 1n }),
      flags: fc.constantFrom(READ, READ | WRITE, READ | EXECUTE, READ | WRITE | EXECUTE, READ | USER, READ | WRITE | USER | EXECUTE),
    });
    // a limit on the PML4 entry above one of the regions
    const limit = fc.record({ region: fc.nat(), bit: fc.constantFrom('rw', 'xd') });
    // what the seeded cases held, over all of them: each kind of line the number path must get right
    const seen = { upper: 0, huge1G: 0, huge2M: 0, paAbove4G: 0, size4G: 0, crossesTable: 0, entryNote: 0 };
    fc.assert(
      fc.property(fc.array(region, { minLength: 1, maxLength: 6 }), fc.array(limit, { maxLength: 3 }), fc.boolean(), (regions, limits, bytes) => {
        const memory = new PhysicalMemory({ size: 4 << 20 });
        const table = new X64PageTable(memory);
        const c = table.cursor();
        let nextPa = 0n;
        for (const r of regions) {
          // 1 GiB pages: a handful, so that the tables stay small
          const count = BigInt(r.page === G1 ? 1 + (r.count % 8) : r.page === M2 ? 1 + (r.count % 64) : r.count);
          const slotBase = (r.upper ? UPPER : 0n) + BigInt(r.slot) * 0x80_0000_0000n;
          const offset = r.fromEnd ? 0x80_0000_0000n - (BigInt(r.first) + count) * r.page : BigInt(r.first) * r.page;
          const pa = r.contiguous ? nextPa : (r.pa / r.page) * r.page;
          try {
            c.mapRegion(slotBase + (offset < 0n ? 0n : offset), pa, count * r.page, r.flags, true);
            nextPa = pa + count * r.page;
          } catch {
            // overlaps a region mapped before: left out
          }
        }
        c.flush();
        // limits in the PML4: R/W cleared or XD set on an entry, for every mapping below it
        const root = table.rootPaddr;
        for (const l of limits) {
          const r = regions[l.region % regions.length]!;
          const at = root + BigInt(((r.upper ? 256 : 0) + r.slot) * 8);
          const entry = memory.readU64(at);
          if ((entry & P) === 0n) continue;
          memory.writeU64(at, l.bit === 'rw' ? entry & ~RW : entry | XD);
        }
        const { lines, reference } = listings(memory, planFor(root), bytes);
        expect(lines).toEqual(reference);
        for (const rec of dumpMappings({ ...planFor(root).format, handler: memory }, { roots: planFor(root).roots })) {
          if (rec.kind !== 'mapping') continue;
          if (rec.vaddr >= UPPER) seen.upper++;
          if (rec.pageSize === Number(G1)) seen.huge1G++;
          if (rec.pageSize === Number(M2)) seen.huge2M++;
          if (rec.paddr >= 1n << 32n) seen.paAbove4G++;
          if (rec.size >= 1n << 32n) seen.size4G++;
          // a run of 4 KiB pages over the end of a page table (512 entries)
          if (rec.pageSize === Number(K4) && rec.vaddr / M2 !== (rec.end - 1n) / M2) seen.crossesTable++;
          if (rec.effective !== rec.flags) seen.entryNote++;
        }
      }),
      { numRuns: 60, seed: 0x59e },
    );
    for (const [kind, n] of Object.entries(seen)) expect(n, kind).toBeGreaterThan(0);
  }, 120_000);
});
