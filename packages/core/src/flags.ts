/**
 * Architecture-independent permissions and attributes of a mapping, bit-identical to the Rust crate
 * `page_table_entry::MappingFlags` (0.6.1): READ = 1 << 0 ... UNCACHED = 1 << 5.
 *
 * A value is a plain number bit set, so `MappingFlags.READ | MappingFlags.WRITE` is a `MappingFlags`.
 */
export const MappingFlags: {
  /** Bit 0: the mapping can be read. */
  readonly READ: 1;
  /** Bit 1: the mapping can be written. */
  readonly WRITE: 2;
  /** Bit 2: instructions can be fetched from the mapping (clear: execute-never / NX / XN). */
  readonly EXECUTE: 4;
  /** Bit 3: the mapping is accessible from user mode (EL0, U-mode, PLV3, ring 3). */
  readonly USER: 8;
  /** Bit 4: device (memory-mapped I/O) memory: strongly ordered, never cached. */
  readonly DEVICE: 16;
  /** Bit 5: normal memory that is not cached. */
  readonly UNCACHED: 32;
} = Object.freeze({
  READ: 1,
  WRITE: 2,
  EXECUTE: 4,
  USER: 8,
  DEVICE: 16,
  UNCACHED: 32,
} as const);

/** A bit set of {@link MappingFlags} values (an integer in 0..63). */
export type MappingFlags = number;

/** Every defined flag bit; anything outside is rejected at the API boundary. */
export const MAPPING_FLAGS_ALL = 63;

const FLAG_NAMES: readonly (readonly [number, string])[] = [
  [MappingFlags.READ, 'READ'],
  [MappingFlags.WRITE, 'WRITE'],
  [MappingFlags.EXECUTE, 'EXECUTE'],
  [MappingFlags.USER, 'USER'],
  [MappingFlags.DEVICE, 'DEVICE'],
  [MappingFlags.UNCACHED, 'UNCACHED'],
];

/**
 * Names the bits of a flag set, `"READ | WRITE"`, or `"(empty)"`.
 * @example formatFlags(MappingFlags.READ | MappingFlags.EXECUTE) // "READ | EXECUTE"
 */
export function formatFlags(flags: MappingFlags): string {
  const names: string[] = [];
  for (const [bit, name] of FLAG_NAMES) if ((flags & bit) !== 0) names.push(name);
  return names.length === 0 ? '(empty)' : names.join(' | ');
}

/**
 * Compact `rwxudc` form used in listings: one letter per flag, `-` where it is clear
 * (u = USER, d = DEVICE, c = UNCACHED).
 */
export function shortFlags(flags: MappingFlags): string {
  const letters = 'rwxudc';
  let out = '';
  for (let i = 0; i < 6; i++) out += (flags & (1 << i)) !== 0 ? letters[i] : '-';
  return out;
}

/**
 * Page sizes a leaf entry can map. Values are the size in bytes, as the crate's `PageSize` enum
 * (Size4K = 0x1000 ... Size1G = 0x4000_0000).
 */
export const PageSize: {
  /** 4 KiB: the base page of every format (the last level). */
  readonly Size4K: 0x1000;
  /** ARMv7 large page (read from memory). */
  readonly Size64K: 0x1_0000;
  /** 1 MiB: an ARMv7 section (a first-level leaf). */
  readonly Size1M: 0x10_0000;
  /** 2 MiB: a huge page one level above the last (x86_64, AArch64, RISC-V megapage, LoongArch64). */
  readonly Size2M: 0x20_0000;
  /** ARMv7 supersection (read from memory). */
  readonly Size16M: 0x100_0000;
  /** 1 GiB: a huge page two levels above the last (x86_64, AArch64, RISC-V gigapage, LoongArch64). */
  readonly Size1G: 0x4000_0000;
  /** RISC-V Sv48/Sv57 terapage. */
  readonly Size512G: 0x80_0000_0000;
  /** RISC-V Sv57 petapage. */
  readonly Size256T: 0x1_0000_0000_0000;
} = Object.freeze({
  Size4K: 0x1000,
  Size64K: 0x1_0000,
  Size1M: 0x10_0000,
  Size2M: 0x20_0000,
  Size16M: 0x100_0000,
  Size1G: 0x4000_0000,
  Size512G: 0x80_0000_0000,
  Size256T: 0x1_0000_0000_0000,
} as const);

/** One of the {@link PageSize} values (bytes). */
export type PageSize = (typeof PageSize)[keyof typeof PageSize];

/** Whether a page size is larger than 4 KiB (a block, section or huge page). */
export function isHugePageSize(size: PageSize): boolean {
  return size !== PageSize.Size4K;
}

/** Human form of a page size: `4K`, `2M`, `1G`. */
export function formatPageSize(size: number): string {
  if (size >= 2 ** 40 && size % 2 ** 40 === 0) return `${size / 2 ** 40}T`;
  if (size >= 0x4000_0000 && size % 0x4000_0000 === 0) return `${size / 0x4000_0000}G`;
  if (size >= 0x10_0000 && size % 0x10_0000 === 0) return `${size / 0x10_0000}M`;
  return `${size / 0x400}K`;
}
