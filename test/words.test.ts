// Every codec's word-level fast path agrees with its bigint methods (the value-level contract).
import { bitsToWords, wordsOf, wordsToBits } from '@page-table-multiarch/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CODECS } from './arches';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

// The specialised walks (W2's misses, W6), map's prober, mapRegion's fill and the dump's run scan need the codec's
// layout: without one every table of the format takes the general path, where a physical address returned by a call
// V8 does not inline is boxed (ARMv7 long descriptors had none: 11.8 heap bytes per W2 query). Only formats that no
// architecture has (test/arches/synthetic.ts) may do without.
it('every architecture\'s codec has a walk layout', () => {
  const without = CODECS.filter((c) => c.type !== 'synthetic' && wordsOf(c.pte).layout === undefined).map((c) => `${c.type}/${c.variant}`);
  expect(without).toEqual([]);
});

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

  it('marks runs (when it has a run hint) as its bigint form does', () => {
    const run = w.run;
    expect(run === undefined).toBe(pte.runHint === undefined);
    if (run === undefined || pte.markRun === undefined) return;
    expect(wordsToBits(run.hintLo, run.hintHi)).toBe(pte.runHint);
    fc.assert(
      fc.property(u64, level, (bits, l) => {
        const [lo, hi] = bitsToWords(bits);
        const marked = pte.markRun!(bits, l);
        expect(wordsToBits(run.markLo(lo, hi, l), run.markHi(lo, hi, l))).toBe(marked);
        // a marked entry carries the hint
        expect(marked & pte.runHint!).not.toBe(0n);
      }),
      { numRuns: 2000 },
    );
  });

  it('has a walk layout (when it has one) that reads presence, tables, pages and addresses as the methods do', () => {
    const lay = w.layout;
    if (lay === undefined) return;
    const last = Math.max(...codec.levels);
    // random words, and the encodings a walk meets most: zero, small type fields, an address with type bits
    const entry = fc.oneof(u64, fc.bigInt({ min: 0n, max: 0x3ffn }), u64.map((b) => b & ~0xfffn), u64.map((b) => (b & ~0xfffn) | 3n));
    fc.assert(
      fc.property(entry, level, (bits, l) => {
        const [lo, hi] = bitsToWords(bits);
        // the address as the layout reads it: in place, and the top bits held apart (52-bit AArch64)
        const addr = (mask: number): bigint =>
          (BigInt((lo & mask) >>> 0) << BigInt(lay.addrShift)) +
          (BigInt((hi & lay.addrHi) >>> 0) << BigInt(32 + lay.addrShift)) +
          (BigInt((lo & (lay.addrLo2 ?? 0)) >>> 0) << BigInt(32 + (lay.addrShift2 ?? 0)));
        const pa = addr(lay.addrLo);
        if (l === last) {
          // a page for the layout: a page of the level's size for the codec, at the codec's address (the page's own
          // address mask where it has one). Without leafShift, it is a page exactly when the codec says present;
          // with it, a present entry that is not (an ARMv7 Large page) is the codec's to read. The layout's test:
          // every bit of `leaf`, or without one any bit of `present` (x86 EPT's R, W, X)
          const page = lay.leaf === undefined ? (lo & lay.present) !== 0 : (lo & lay.leaf) === lay.leaf;
          if (pte.leafShift === undefined) expect(page).toBe(w.isPresent(lo, hi, l));
          else if (page) expect(w.isPresent(lo, hi, l)).toBe(true);
          if (page && w.isPresent(lo, hi, l)) {
            expect(addr(lay.leafAddrLo ?? lay.addrLo)).toBe(pte.paddr(bits, l));
            expect(w.leafShift(lo, hi, l)).toBe(-1);
          }
          return;
        }
        const present = lay.present === 0 ? (lo | hi) !== 0 : (lo & lay.present) !== 0;
        // absent for the layout: absent for the codec; a table for the layout: a present table for the codec, at
        // the codec's address; a block (or reserved) for the layout is the codec's to read
        if (!present) expect(w.isPresent(lo, hi, l)).toBe(false);
        else if ((lo & lay.block) === (lay.table ?? 0)) {
          expect(w.isPresent(lo, hi, l) && !w.isHuge(lo, hi, l)).toBe(true);
          expect(pa).toBe(pte.paddr(bits, l));
        }
      }),
      { numRuns: 4000, seed: 0x5eed },
    );
  });

  it('holds nothing but the address in the layout field of a last-level entry (a dump compares the rest to extend runs)', () => {
    const lay = w.layout;
    if (lay === undefined) return;
    const last = Math.max(...codec.levels);
    const hintLo = w.run?.hintLo ?? 0;
    const hintHi = w.run?.hintHi ?? 0;
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
    fc.assert(
      fc.property(u64, u32, u32, (bits, fieldLo, fieldHi) => {
        const [lo, hi] = bitsToWords(bits);
        // members of a hinted run read their page from the run (Svnapot's size is in the address field): not scanned
        if (((lo & hintLo) | (hi & hintHi)) !== 0) return;
        // nor a leaf of another size than its level's (an ARMv7 Large page: its base is bits 31:16, TEX and XN below)
        if (w.isPresent(lo, hi, last) && w.leafShift(lo, hi, last) >= 0) return;
        // the same entry with another address in the field (a page's own field where it differs from a pointer's)
        const fieldMask = lay.leafAddrLo ?? lay.addrLo;
        const lo2 = ((lo & ~fieldMask) | (fieldLo & fieldMask)) >>> 0;
        const hi2 = ((hi & ~lay.addrHi) | (fieldHi & lay.addrHi)) >>> 0;
        expect(w.isPresent(lo2, hi2, last)).toBe(w.isPresent(lo, hi, last));
        if (!w.isPresent(lo, hi, last)) return;
        expect(w.flags(lo2, hi2, last)).toBe(w.flags(lo, hi, last));
        expect(w.leafShift(lo2, hi2, last)).toBe(w.leafShift(lo, hi, last));
        let pa = (BigInt((lo2 & fieldMask) >>> 0) << BigInt(lay.addrShift)) + (BigInt((hi2 & lay.addrHi) >>> 0) << BigInt(32 + lay.addrShift));
        // the top of a split address (AArch64 52-bit formats) is the same in both entries
        if (lay.addrLo2 !== undefined) pa += BigInt((lo2 & lay.addrLo2) >>> 0) << BigInt(32 + lay.addrShift2!);
        expect(wordsToBits(w.paddrLo(lo2, hi2, last), w.paddrHi(lo2, hi2, last))).toBe(pa);
      }),
      { numRuns: 4000, seed: 0x5eed },
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
