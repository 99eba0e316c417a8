// Memory types through the PAT, shared by the x86 paging modes whose leaves select a PAT entry: 4-level and 5-level
// paging, 32-bit paging and PAE paging.
// Source: Intel SDM Vol. 3A, "Page Attribute Table (PAT)" (section 11.12 in the 325462-07x editions):
// - "PAT Indexing": a leaf selects PAT entry PAT:PCD:PWT (Table 11-11), where PAT is bit 7 of a 4 KiB PTE and bit 12
//   of an entry that maps a larger page: 32-bit paging Tables 4-4 (4 MiB PDE) and 4-6 (PTE); PAE paging Tables 4-9
//   (2 MiB PDE) and 4-11 (PTE); 4-level paging Tables 4-17 (1 GiB PDPTE), 4-19 (2 MiB PDE) and 4-20 (PTE).
// - IA32_PAT (MSR 277H) holds eight entries PA0..PA7, one per byte, each a memory type in bits 2:0 (bits 7:3 reserved):
//   0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-; 2 and 3 are reserved, and writing a reserved value raises #GP (Table 11-10,
//   "Programming the PAT").
// - Table 11-2 "Memory Types and Their Properties": UC, UC- and WC are not cacheable; WT, WP and WB are.
import type { GenericPTE, MappingFlags, PTEWords } from '@page-table-multiarch/core';
import { hi32, lo32 } from './_fields';

/** The memory types of a PAT entry by their encoding (Table 11-10); undefined for the reserved encodings 2 and 3. */
export const PAT_TYPE_NAMES: readonly (string | undefined)[] = ['UC', 'WC', undefined, undefined, 'WT', 'WP', 'WB', 'UC-'];

/** MappingFlags.UNCACHED. */
const UNCACHED = 32;
/** Bit 7 of an entry: PAT in a 4 KiB PTE, PS above the last level. */
const BIT7 = 1 << 7;

/**
 * The eight PAT entries of an IA32_PAT value, checked: bits 7:3 of each byte are reserved, as are encodings 2 and 3.
 * @param who the public function asked, for the message.
 * @throws RangeError for a value that is not a u64 bigint, or that has a reserved entry.
 */
export function patEntries(pat: bigint, who: string): Uint8Array {
  if (typeof pat !== 'bigint' || pat < 0n || pat >= 0x1_0000_0000_0000_0000n) {
    throw new RangeError(`${who}: "pat" ${String(pat)} is not a u64 bigint`);
  }
  const types = new Uint8Array(8);
  for (let i = 0; i < 8; i++) {
    const byte = Number((pat >> BigInt(8 * i)) & 0xffn);
    if (byte > 7 || PAT_TYPE_NAMES[byte] === undefined) {
      throw new RangeError(`${who}: IA32_PAT 0x${pat.toString(16)}: PA${i} = ${byte} is a reserved memory type (writing it raises #GP)`);
    }
    types[i] = byte;
  }
  return types;
}

/** PAT:PCD:PWT of a leaf at `level` when `last` is the last level: the index of the PAT entry it selects. */
export function patIndex(lo: number, level: number, last: number): number {
  const patBit = level === last ? (lo >>> 7) & 1 : (lo >>> 12) & 1;
  return (patBit << 2) | ((lo >>> 3) & 0b11);
}

/**
 * `codec` with its leaves' UNCACHED read through an IA32_PAT value: set when the PAT entry a leaf's PAT:PCD:PWT
 * select is UC, WC or UC- (not cacheable), whatever PCD says; encoding is the codec's. Without a level, the bigint
 * `flags` reads a leaf at `last` unless `bit7IsPs` and bit 7 is set (then PS: a larger page, PAT in bit 12).
 * @param who the public function asked, for the message.
 * @throws RangeError for a PAT value with a reserved entry.
 */
export function withPat(
  codec: GenericPTE & { readonly words: PTEWords },
  pat: bigint,
  last: number,
  bit7IsPs: boolean,
  who: string,
): GenericPTE & { readonly words: PTEWords } {
  const types = patEntries(pat, who);
  // per PAT index, the UNCACHED bit it gives a leaf
  const uncached = new Int32Array(8);
  for (let i = 0; i < 8; i++) uncached[i] = types[i] === 0 || types[i] === 1 || types[i] === 7 ? UNCACHED : 0;
  const decode = codec.words.flags;
  const flagsOf = (lo: number, hi: number, level: number): number => {
    const f = decode(lo, hi, level);
    return f === 0 ? 0 : (f & ~UNCACHED) | uncached[patIndex(lo, level, last)]!;
  };
  const words: PTEWords = Object.freeze({ ...codec.words, flags: flagsOf });
  return Object.freeze({
    ...codec,
    flags(bits: bigint, level?: number): MappingFlags {
      const lo = lo32(bits);
      return flagsOf(lo, hi32(bits), level ?? (bit7IsPs && (lo & BIT7) !== 0 ? 0 : last));
    },
    words,
  });
}
