// What the tests of the x86 MMU models (4-level / 5-level, 32-bit and PAE paging) share: the entry and
// control-register bits, the control registers of a set of modes, byte comparison, and the seeded random tables of the
// property tests. Intel SDM Vol. 3A (325462): entry bits from Tables 4-4 to 4-20 (P 0, R/W 1, U/S 2, A 5, D 6, PS 7,
// XD 63); CR0 (2.5: PE 0, WP 16, PG 31), CR4 (2.5: PSE 4, PAE 5, SMEP 20, SMAP 21, PKE 22), IA32_EFER (2.2.1: LME 8,
// NXE 11).
import { PhysicalMemory } from '@page-table-multiarch/core';
export { sameBytes, xorshift32 } from '../../../test/support/rng';

/** Where the tests put the physical memory. */
export const RAM = 0x10_0000n;
export const P = 1n;
export const RW = 2n;
export const US = 4n;
export const A = 0x20n;
export const D = 0x40n;
export const PS = 0x80n;
export const XD = 1n << 63n;
export const bit = (n: number): bigint => 1n << BigInt(n);
export const CR4_PSE = 0x10n;
export const CR4_PAE = 0x20n;
export const CR4_SMEP = bit(20);
export const CR4_SMAP = bit(21);
export const CR4_PKE = bit(22);
export const EFER_LME = 0x100n;
export const EFER_NXE = 0x800n;
export const CR0_PG_PE = 0x8000_0001n;
export const CR0_WP = bit(16);

/** The modes every x86 paging mode has; each defaults to what a kernel runs with (WP and NXE on, the rest off). */
export interface CommonModes {
  wp?: boolean;
  smep?: boolean;
  smap?: boolean;
  ac?: boolean;
  nxe?: boolean;
}

/** What a transcription of the manual says of one access: a translation, or a fault, its vector and error code. */
export interface Oracle {
  readonly ok: boolean;
  readonly pa?: bigint;
  readonly size?: number;
  readonly level: number;
  readonly kind?: string;
  readonly vector?: number;
  readonly errorCode?: number;
}

/** CR4, EFER, CR0 and EFLAGS.AC for `m`, on top of the CR4 and EFER bits of the paging mode (`cr4`, `efer`). */
export function controlRegisters(m: CommonModes, cr4: bigint, efer: bigint) {
  return {
    cr4: cr4 | (m.smep ? CR4_SMEP : 0n) | (m.smap ? CR4_SMAP : 0n),
    efer: efer | (m.nxe === false ? 0n : EFER_NXE),
    cr0: CR0_PG_PE | (m.wp === false ? 0n : CR0_WP),
    ac: m.ac ?? false,
  };
}

/** A random draw in [0, n) as a bigint, from `rand`. */
export type Pick = (n: number) => bigint;

/** The entries of a random memory of tables, beside the invalid ones and the pointers every mode has. */
export interface RandomTablesShape {
  /** How many 4 KiB frames of entries. */
  readonly frames: number;
  readonly entryBytes: 4 | 8;
  /** Whether a pointer may carry XD (a 32-bit entry has no bit 63). */
  readonly xdInPointers: boolean;
  /** A leaf of the mode: its address, flags and reserved bits. */
  readonly leaf: (rand: () => number, pick: Pick) => bigint;
}

/**
 * A memory of `shape.frames` tables of random entries: 10% invalid (the other bits free for software), 40% pointers
 * to the tables (a few outside the memory) with random R/W, U/S, A, sometimes XD or PS, the rest leaves from
 * `shape.leaf`. The draws come from `rand` in a fixed order, so a seed gives the same memory.
 */
export function randomTables(rand: () => number, shape: RandomTablesShape): PhysicalMemory {
  const { frames, entryBytes, xdInPointers, leaf } = shape;
  const memory = new PhysicalMemory({ size: frames * 4096, base: RAM });
  const pick: Pick = (n) => BigInt(Math.floor(rand() * n));
  const n = (frames * 4096) / entryBytes;
  for (let i = 0; i < n; i++) {
    const kind = rand();
    let e: bigint;
    if (kind < 0.1) e = pick(1 << 12) & ~P;
    else if (kind < 0.5) {
      const frame = rand() < 0.03 ? BigInt(frames + 3) : pick(frames);
      e = (RAM + frame * 4096n) | P | (rand() < 0.8 ? RW : 0n) | (rand() < 0.7 ? US : 0n) | (rand() < 0.5 ? A : 0n);
      if (xdInPointers && rand() < 0.1) e |= XD;
      if (rand() < 0.05) e |= PS;
    } else {
      e = leaf(rand, pick);
    }
    if (entryBytes === 8) memory.writeU64(RAM + BigInt(i * 8), e);
    else memory.writeU32(RAM + BigInt(i * 4), Number(e));
  }
  return memory;
}
