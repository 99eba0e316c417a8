import type { GenericPTE, PTERunHint, PTEWords } from './interfaces';


function big(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}
function lo32(v: bigint): number {
  return Number(v & 0xffffffffn);
}
function hi32(v: bigint): number {
  return Number((v >> 32n) & 0xffffffffn);
}

/**
 * The word-level form of a codec: its own `words` when it has one, otherwise one derived from the
 * bigint methods (each call converts; correct for any third-party codec, and slower).
 */
export function wordsOf(pte: GenericPTE): PTEWords {
  if (pte.words) return pte.words;
  return Object.freeze({
    isPresent: (lo: number, hi: number, level: number) => pte.isPresent(big(lo, hi), level),
    isHuge: (lo: number, hi: number, level: number) => pte.isHuge(big(lo, hi), level),
    paddrLo: (lo: number, hi: number, level: number) => lo32(pte.paddr(big(lo, hi), level)),
    paddrHi: (lo: number, hi: number, level: number) => hi32(pte.paddr(big(lo, hi), level)),
    flags: (lo: number, hi: number, level: number) => pte.flags(big(lo, hi), level),
    newPageLo: (paLo: number, paHi: number, flags: number, huge: boolean, level: number) =>
      lo32(pte.newPage(big(paLo, paHi), flags, huge, level)),
    newPageHi: (paLo: number, paHi: number, flags: number, huge: boolean, level: number) =>
      hi32(pte.newPage(big(paLo, paHi), flags, huge, level)),
    newTableLo: (paLo: number, paHi: number, level: number) => lo32(pte.newTable(big(paLo, paHi), level)),
    newTableHi: (paLo: number, paHi: number, level: number) => hi32(pte.newTable(big(paLo, paHi), level)),
    setFlagsLo: (lo: number, hi: number, flags: number, huge: boolean, level: number) =>
      lo32(pte.setFlags(big(lo, hi), flags, huge, level)),
    setFlagsHi: (lo: number, hi: number, flags: number, huge: boolean, level: number) =>
      hi32(pte.setFlags(big(lo, hi), flags, huge, level)),
    setPaddrLo: (lo: number, hi: number, paLo: number, paHi: number, level: number) =>
      lo32(pte.setPaddr(big(lo, hi), big(paLo, paHi), level)),
    setPaddrHi: (lo: number, hi: number, paLo: number, paHi: number, level: number) =>
      hi32(pte.setPaddr(big(lo, hi), big(paLo, paHi), level)),
    leafShift: (lo: number, hi: number, level: number) => (pte.leafShift ? pte.leafShift(big(lo, hi), level) : -1),
    ...(pte.runHint === undefined || pte.markRun === undefined ? {} : { run: runOf(pte, pte.runHint, pte.markRun) }),
  });
}

/** The word form of a bigint codec's run hint. */
function runOf(pte: GenericPTE, hint: bigint, mark: (bits: bigint, level?: number) => bigint): PTERunHint {
  return Object.freeze({
    hintLo: lo32(hint),
    hintHi: hi32(hint),
    markLo: (lo: number, hi: number, level: number) => lo32(mark.call(pte, big(lo, hi), level)),
    markHi: (lo: number, hi: number, level: number) => hi32(mark.call(pte, big(lo, hi), level)),
  });
}

/** Joins two u32 words into the bigint of an entry. */
export function wordsToBits(lo: number, hi: number): bigint {
  // below 2^53 the number is exact: one conversion instead of three BigInt operations (a listing makes two per run)
  const h = hi >>> 0;
  return h < 0x20_0000 ? BigInt(h * 4294967296 + (lo >>> 0)) : big(lo, hi);
}

/** Splits the bits of an entry: [lo, hi]. */
export function bitsToWords(bits: bigint): [number, number] {
  return [lo32(bits), hi32(bits)];
}

