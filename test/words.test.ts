// Every codec's word-level fast path agrees with its bigint methods (the value-level contract).
import { bitsToWords, wordsOf, wordsToBits } from '@page-table-multiarch/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CODECS } from './arches';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe.each(CODECS.map((c) => [`${c.type}/${c.variant}`, c] as const))('words agree with bigint: %s', (_name, codec) => {
  const pte = codec.pte;
  const w = wordsOf(pte);
  const level = fc.constantFrom(...codec.levels);

  it('decoding any entry', () => {
    fc.assert(
      fc.property(u64, level, (bits, l) => {
        const [lo, hi] = bitsToWords(bits);
        expect(w.isPresent(lo, hi, l)).toBe(pte.isPresent(bits, l));
        expect(w.flags(lo, hi, l)).toBe(pte.flags(bits, l));
        expect(wordsToBits(w.paddrLo(lo, hi, l), w.paddrHi(lo, hi, l))).toBe(pte.paddr(bits, l));
        if (pte.isPresent(bits, l)) {
          expect(w.isHuge(lo, hi, l)).toBe(pte.isHuge(bits, l));
          expect(w.leafShift(lo, hi, l)).toBe(pte.leafShift ? pte.leafShift(bits, l) : -1);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('encoding and updating any entry', () => {
    fc.assert(
      fc.property(u64, u64, fc.integer({ min: 0, max: 63 }), fc.boolean(), level, (bits, pa, flags, huge, l) => {
        const [lo, hi] = bitsToWords(bits);
        const [paLo, paHi] = bitsToWords(pa);
        expect(wordsToBits(w.newPageLo(paLo, paHi, flags, huge, l), w.newPageHi(paLo, paHi, flags, huge, l))).toBe(pte.newPage(pa, flags, huge, l));
        expect(wordsToBits(w.newTableLo(paLo, paHi, l), w.newTableHi(paLo, paHi, l))).toBe(pte.newTable(pa, l));
        expect(wordsToBits(w.setFlagsLo(lo, hi, flags, huge, l), w.setFlagsHi(lo, hi, flags, huge, l))).toBe(pte.setFlags(bits, flags, huge, l));
        expect(wordsToBits(w.setPaddrLo(lo, hi, paLo, paHi, l), w.setPaddrHi(lo, hi, paLo, paHi, l))).toBe(pte.setPaddr(bits, pa, l));
      }),
      { numRuns: 2000 },
    );
  });

  it('has a walk layout (when it has one) that reads presence, blocks and addresses as the methods do', () => {
    const lay = w.layout;
    if (lay === undefined) return;
    fc.assert(
      fc.property(u64, level, (bits, l) => {
        const [lo, hi] = bitsToWords(bits);
        expect((lo & lay.present) !== 0).toBe(w.isPresent(lo, hi, l));
        if (w.isPresent(lo, hi, l)) expect((lo & lay.block) !== 0).toBe(w.isHuge(lo, hi, l));
        const pa = (BigInt((lo & lay.addrLo) >>> 0) << BigInt(lay.addrShift)) + (BigInt((hi & lay.addrHi) >>> 0) << BigInt(32 + lay.addrShift));
        expect(pa).toBe(pte.paddr(bits, l));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes present, readable entries that keep their address for every flag set with READ', () => {
    for (let flags = 1; flags < 64; flags += 2) {
      for (const l of codec.levels) {
        const bits = pte.newPage(0x4000_0000n, flags, l !== Math.max(...codec.levels), l);
        expect(pte.isPresent(bits, l), `flags ${flags} level ${l}`).toBe(true);
        expect(pte.flags(bits, l) & 1, `flags ${flags} level ${l} reads back readable`).toBe(1);
        expect(pte.paddr(bits, l)).toBe(0x4000_0000n);
      }
    }
  });
});
