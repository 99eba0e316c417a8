// Every row of test/vectors/pte-encodings.json (the Rust crate's own output) against our codecs, at the
// value level and at the word level.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODECS } from './arches';

interface VectorType {
  type: string;
  variant: string;
  new_page: { cols: string[]; rows: [number, number, string, string][] };
  new_table: { cols: string[]; rows: [string, string][] };
}
const file = JSON.parse(readFileSync(new URL('./vectors/pte-encodings.json', import.meta.url), 'utf8')) as { types: VectorType[] };

describe.each(CODECS.filter((c) => c.vectors !== false).map((c) => [`${c.type}/${c.variant}`, c] as const))('vectors %s', (_name, codec) => {
  const vt = file.types.find((t) => t.type === codec.type && t.variant === codec.variant);
  const pageLevel = codec.pageLevel ?? ((huge: boolean) => (huge ? 1 : Math.max(...codec.levels)));
  const tableLevel = codec.tableLevel ?? 0;
  const w = codec.pte.words;

  it('has rows in the vectors file', () => {
    expect(vt?.new_page.rows.length).toBeGreaterThan(0);
  });

  it('new_page: every row, bigint and words', () => {
    for (const [flags, huge, pa, bits] of vt!.new_page.rows) {
      const level = pageLevel(huge === 1);
      const got = codec.pte.newPage(BigInt(pa), flags, huge === 1, level);
      expect(`0x${got.toString(16)}`, `flags ${flags} huge ${huge} pa ${pa}`).toBe(bits);
      if (w) {
        const p = BigInt(pa);
        const paLo = Number(p & 0xffffffffn);
        const paHi = Number((p >> 32n) & 0xffffffffn);
        const lo = w.newPageLo(paLo, paHi, flags, huge === 1, level);
        const hi = w.newPageHi(paLo, paHi, flags, huge === 1, level);
        expect((BigInt(hi) << 32n) | BigInt(lo)).toBe(BigInt(bits));
      }
    }
  });

  it('new_table: every row, bigint and words', () => {
    for (const [pa, bits] of vt!.new_table.rows) {
      expect(`0x${codec.pte.newTable(BigInt(pa), tableLevel).toString(16)}`, `pa ${pa}`).toBe(bits);
      if (w) {
        const p = BigInt(pa);
        const lo = w.newTableLo(Number(p & 0xffffffffn), Number((p >> 32n) & 0xffffffffn), tableLevel);
        const hi = w.newTableHi(Number(p & 0xffffffffn), Number((p >> 32n) & 0xffffffffn), tableLevel);
        expect((BigInt(hi) << 32n) | BigInt(lo)).toBe(BigInt(bits));
      }
    }
  });
});

describe('vectors coverage', () => {
  it('lists which vector types have a codec here', () => {
    const covered = new Set(CODECS.filter((c) => c.vectors !== false).map((c) => `${c.type}/${c.variant}`));
    for (const c of covered) expect(file.types.some((t) => `${t.type}/${t.variant}` === c), c).toBe(true);
  });
});
