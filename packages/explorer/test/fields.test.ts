// The walk panel's fields of x86 32-bit paging entries, which the embedded samples (PAE) do not reach: a 4 MiB PDE
// with its PSE-36 bits, a PDE that references a page table, and a PTE (Intel SDM Vol. 3A Tables 4-4 to 4-6).
import { describe, expect, it } from 'vitest';
import { entryFields } from '../src/worker/fields';

const view = (bits: bigint, level: number, leaf: boolean) => ({ bits, level, levels: 2, present: true, leaf, leafShift: level === 0 ? 22 : 12 });
const byName = (fields: readonly { name: string; value: string }[]) => Object.fromEntries(fields.map((f) => [f.name, f.value]));

describe('entryFields: x86 32-bit paging', () => {
  it('a 4 MiB page: bits 31:22 and the PSE-36 bits 39:32 as two address fields, no XD', () => {
    const fields = entryFields('x86', view(0x0040_0000n | (0x12n << 13n) | 0x83n, 0, true));
    const v = byName(fields);
    expect(v['address']).toBe('0x400000');
    expect(v['PA[39:32]']).toBe('0x1200000000');
    expect(v['PS']).toBe('1');
    expect(v['R/W']).toBe('writable');
    expect(v['XD']).toBeUndefined();
    const seen = new Set<number>();
    for (const f of fields) for (const p of f.positions) {
      expect(seen.has(p), `bit ${p} in two fields`).toBe(false);
      seen.add(p);
    }
  });

  it('a PDE that references a page table and a PTE: the address at bits 31:12', () => {
    expect(byName(entryFields('x86', view(0x0012_3007n, 0, false)))['address']).toBe('0x123000');
    const pte = byName(entryFields('x86', view(0xfee0_0083n, 1, true)));
    expect(pte['address']).toBe('0xfee00000');
    expect(pte['PAT']).toBe('1'); // bit 7 of a PTE is PAT, not PS
    expect(pte['PS']).toBeUndefined();
  });
});
