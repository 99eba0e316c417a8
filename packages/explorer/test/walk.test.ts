// The walk the worker sends the page, against core's translateAddress and the codecs: the same entries and result,
// index bits that select the index, fields that cover each bit at most once, and address fields that hold the
// address the codec reads.
import { dumpMappings, MappingFlags, type MappingRun, translateAddress } from '@page-table-multiarch/core';
import { ARCHES } from '@page-table-multiarch/cli/samples';
import { describe, expect, it } from 'vitest';
import { limitText } from '../src/app/format';
import { sampleSource, walkAddress } from '../src/worker/engine';

/** Addresses to walk in a sample: the first and last page of every run, a page past each run, and the root's ends. */
function addresses(arch: string): bigint[] {
  const src = sampleSource(arch);
  const out: bigint[] = [];
  for (const rec of dumpMappings(src.dump, { roots: src.roots })) {
    if (rec.kind !== 'mapping') continue;
    const run = rec as MappingRun;
    out.push(run.vaddr, run.end - 4096n + 0x123n, run.end);
  }
  for (const r of src.roots) out.push(BigInt(r.vaStart), BigInt(r.vaEnd) - 1n);
  return out.filter((va) => va < 1n << 64n);
}

/** The field that says whether a leaf allows writes, per architecture: set (or read as read/write) iff WRITE. */
const WRITABLE: Readonly<Record<string, (fields: readonly { name: string; value: string }[]) => boolean | undefined>> = {
  x86_64: (fs) => fs.find((f) => f.name === 'R/W')?.value === 'writable',
  x86: (fs) => fs.find((f) => f.name === 'R/W')?.value === 'writable',
  riscv64: (fs) => fs.find((f) => f.name === 'W')?.value === '1',
  riscv32: (fs) => fs.find((f) => f.name === 'W')?.value === '1',
  aarch64: (fs) => /read\/write/.test(fs.find((f) => f.name === 'AP[2:1]')?.value ?? ''),
  arm: (fs) => /read\/write/.test(fs.find((f) => f.name.startsWith('AP[2]'))?.value ?? ''),
  loongarch64: (fs) => fs.find((f) => f.name === 'W')?.value === '1',
};

describe('engine: walkAddress', () => {
  for (const spec of ARCHES) {
    it(`${spec.name}: every step and the result are translateAddress's; fields name every entry`, () => {
      const src = sampleSource(spec.name);
      const { meta, pte } = src.dump;
      let mapped = 0;
      let faults = 0;
      for (const va of addresses(spec.name)) {
        const w = walkAddress(src, 7, `0x${va.toString(16)}`);
        const t = translateAddress(src.dump, va, { roots: src.roots });
        expect(w.id).toBe(7);
        expect(w.mapped).toBe(t.mapped);
        expect(w.paddr).toBe(t.paddr === undefined ? undefined : `0x${t.paddr.toString(16)}`);
        expect(w.reason).toBe(t.reason);
        expect(w.steps.length).toBe(t.steps.length);
        if (t.mapped) mapped++;
        else faults++;
        w.steps.forEach((s, k) => {
          const ts = t.steps[k]!;
          expect([s.level, s.index, s.entryPaddr]).toEqual([ts.level, ts.index, `0x${ts.entryPaddr.toString(16)}`]);
          expect((BigInt(s.hi >>> 0) << 32n) | BigInt(s.lo >>> 0)).toBe(ts.bits);
          // the index bits select the index (for the root, within the bits the root indexes)
          const [msb, lsb] = s.vaBits;
          const root = src.roots[w.root]!;
          const inRoot = va - BigInt(root.vaStart) + (BigInt(root.vaStart) % (1n << BigInt(msb + 1)));
          expect(Number((inRoot >> BigInt(lsb)) & ((1n << BigInt(msb - lsb + 1)) - 1n))).toBe(s.index);
          // no bit in two fields
          const seen = new Set<number>();
          for (const f of s.fields) {
            for (const p of f.positions) {
              expect(seen.has(p), `${spec.name} ${s.levelName} bit ${p} in two fields`).toBe(false);
              seen.add(p);
            }
          }
          if (!s.present) return;
          // the main address field holds what the codec reads as the address
          const address = s.fields.filter((f) => f.address && !f.name.startsWith('PA['));
          expect(address.length, `${spec.name} ${s.levelName}: one address field`).toBe(1);
          expect(address[0]!.value).toBe(`0x${pte.paddr(ts.bits, s.level).toString(16)}`);
          if (s.leaf) {
            const writable = (t.flags! & MappingFlags.WRITE) !== 0;
            expect(WRITABLE[spec.name]!(s.fields), `${spec.name} ${w.vaddr}: writable field`).toBe(writable);
          }
        });
        expect(meta.levels).toBeGreaterThanOrEqual(w.steps.length);
      }
      expect(mapped).toBeGreaterThan(5);
      expect(faults).toBeGreaterThan(2);
    });
  }

  it('refuses what is not a hex address below 2^64, with a RangeError', () => {
    const src = sampleSource('riscv64');
    expect(() => walkAddress(src, 1, 'kernel')).toThrow(RangeError);
    expect(() => walkAddress(src, 1, '0x1_0000_0000_0000_0000')).toThrow(/does not fit 64 bits/);
  });

  it('says what a table entry takes away from the levels below', () => {
    const { READ, EXECUTE, WRITE, USER } = MappingFlags;
    const all = 63;
    expect(limitText(-1)).toBe('');
    expect(limitText(all | (all << 8))).toBe('takes nothing away from the levels below');
    expect(limitText((all & ~WRITE) | ((all & ~WRITE & ~EXECUTE) << 8))).toBe('below this entry: kernel mappings lose WRITE; user mappings lose WRITE | EXECUTE');
    expect(limitText(all | ((READ | USER) << 8))).toMatch(/user mappings lose WRITE \| EXECUTE \| DEVICE \| UNCACHED$/);
  });
});
