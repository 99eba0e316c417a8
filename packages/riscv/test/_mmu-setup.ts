// What the MMU model tests share: the PTE bits, a table with one page of each size and where its entries are,
// byte comparison, and the seeded random tables of the property tests. The PTE fields are those of the privileged
// spec (20211203), 4.3.1 / 4.4.1 "Sv39 page table entry" (V 0, R 1, W 2, X 3, U 4, G 5, A 6, D 7, PPN 53:10) and
// the Svpbmt (PBMT 62:61) and Svnapot (N 63) chapters; the G-stage formats use the same entry.
import { MappingFlags, type PageTable64, type PagingHandler, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
export { sameBytes, xorshift32 } from '../../../test/support/rng';

/** Where the tests put the physical memory. */
export const RAM = 0x8000_0000n;
export const V = 1n;
export const R = 2n;
export const W = 4n;
export const X = 8n;
export const U = 16n;
export const G = 32n;
export const A = 64n;
export const D = 128n;
export const bit = (n: number): bigint => 1n << BigInt(n);

/**
 * A handler over the same words as `memory` that is not a PhysicalMemory: a model then finds every table through
 * `wordIndex`, where over a PhysicalMemory it finds them by frame number.
 */
export function wordsOnly(memory: PhysicalMemory): PagingHandler {
  return {
    words: memory.words,
    wordIndex: (lo, hi) => memory.wordIndex(lo, hi),
    allocFrames: (count, align) => memory.allocFrames(count, align),
    deallocFrames: (pa, count) => memory.deallocFrames(pa, count),
  };
}

/** Rewrites the low 10 bits of an entry (the flags), keeping its PPN and high bits. */
export function setLow(memory: PhysicalMemory, at: bigint, low: bigint): void {
  memory.writeU64(at, (memory.readU64(at) & ~0x3ffn) | low);
}

/** The physical address of the table (or page) an 8-byte entry points to: its PPN, bits 53:10 (4.4.1). */
export function childOf(memory: PhysicalMemory, entry: bigint): bigint {
  return ((memory.readU64(entry) >> 10n) & ((1n << 44n) - 1n)) << 12n;
}

/**
 * A three-level table with a 4K page at 0x1000 (to 0x8004_0000), a 2M page at 0x20_0000 (to 0x8020_0000) and a 1G
 * page at `va1g` (to 0x4000_0000), all RW with A and D set, and the addresses of their leaves and of the root entry
 * above the 4K and 2M pages (`pointer`). The root index is VA bits (30 + `rootIndexBits` - 1):30, so 9 bits for Sv39
 * (VPN[2] 38:30) and 11 for Sv39x4 (VPN[2] 40:30, "Guest Physical Address Translation"); VPN[1] is 29:21, VPN[0] 20:12.
 */
export function threePages<T extends PageTable64>(make: (memory: PhysicalMemory) => T, va1g: bigint, rootIndexBits: number) {
  const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
  const table = make(memory);
  const cursor = table.cursor();
  cursor.map(0x1000n, 0x8004_0000n, PageSize.Size4K, MappingFlags.READ | MappingFlags.WRITE);
  cursor.map(0x20_0000n, 0x8020_0000n, PageSize.Size2M, MappingFlags.READ | MappingFlags.WRITE);
  cursor.map(va1g, 0x4000_0000n, PageSize.Size1G, MappingFlags.READ | MappingFlags.WRITE);
  cursor.flush();
  const l1 = childOf(memory, table.rootPaddr);
  const leaf4k = childOf(memory, l1 + 0n * 8n) + 1n * 8n;
  const leaf2m = l1 + 1n * 8n;
  const leaf1g = table.rootPaddr + ((va1g >> 30n) & ((1n << BigInt(rootIndexBits)) - 1n)) * 8n;
  return { memory, table, leaf4k, leaf2m, leaf1g, pointer: table.rootPaddr };
}

/** What a random memory of tables holds besides the fixed mix of invalid entries, pointers and leaves. */
export interface RandomTablesShape {
  /** How many 4 KiB frames of entries. */
  readonly frames: number;
  /** The first frame a pointer may name (the frames before it are the root); a few pointers go past the memory. */
  readonly firstPointed: number;
  /** How often a pointer gets one of `pointerExtras` (reserved in a pointer, or G, which is not). */
  readonly extraChance: number;
  readonly pointerExtras: readonly bigint[];
  /** How often a leaf gets U; without it no leaf draws U beyond its random low bits. */
  readonly userChance?: number;
}

/**
 * A memory of `shape.frames` tables filled with random 8-byte entries: invalid ones (the other bits free for
 * software), pointers to the tables (some outside the memory, some with an extra bit), and leaves with random flags,
 * an address aligned to 4K, 2M, 1G or (with 4 levels) 512G, sometimes a reserved high bit or a NAPOT encoding. The
 * draws come from `rand` in a fixed order, so a seed gives the same memory.
 */
export function randomTables(rand: () => number, levels: number, shape: RandomTablesShape): PhysicalMemory {
  const { frames, firstPointed, extraChance, pointerExtras, userChance } = shape;
  const memory = new PhysicalMemory({ size: frames * 4096, base: RAM });
  const pick = (n: number): bigint => BigInt(Math.floor(rand() * n));
  for (let i = 0; i < frames * 512; i++) {
    const kind = rand();
    let e = 0n;
    if (kind < 0.1) e = pick(1 << 10) & ~V;
    else if (kind < 0.45) {
      const frame = rand() < 0.03 ? BigInt(frames + 3) : BigInt(firstPointed) + pick(frames - firstPointed);
      e = (((RAM >> 12n) + frame) << 10n) | V;
      if (rand() < extraChance) e |= pointerExtras[Number(pick(pointerExtras.length))]!;
    } else {
      const align = [0n, 9n, 18n, 27n][Number(pick(levels === 3 ? 3 : 4))]!;
      const ppn = ((pick(2 ** 30) * 2n ** 14n + pick(2 ** 14)) >> align) << align;
      e = (ppn << 10n) | pick(1 << 10) | (rand() < 0.9 ? V : 0n);
      if (userChance !== undefined) e |= rand() < userChance ? U : 0n;
      e |= rand() < 0.5 ? A : 0n;
      if (rand() < 0.15) e |= bit(54 + Number(pick(10)));
      if (rand() < 0.05) e = (e & ~(0xfn << 10n)) | (8n << 10n) | bit(63); // a NAPOT encoding
    }
    memory.writeU64(RAM + BigInt(i * 8), e);
  }
  return memory;
}
