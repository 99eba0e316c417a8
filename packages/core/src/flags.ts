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
} = /* @__PURE__ */ Object.freeze({
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

/** The flags' names by bit number (bit i is `1 << i`), in MappingFlags order; literals, so unused it is dropped. */
const FLAG_NAMES: readonly string[] = ['READ', 'WRITE', 'EXECUTE', 'USER', 'DEVICE', 'UNCACHED'];

/**
 * Names the bits of a flag set, `"READ | WRITE"`, or `"(empty)"`.
 * @example formatFlags(MappingFlags.READ | MappingFlags.EXECUTE) // "READ | EXECUTE"
 */
export function formatFlags(flags: MappingFlags): string {
  const names: string[] = [];
  FLAG_NAMES.forEach((name, i) => {
    if ((flags & (1 << i)) !== 0) names.push(name);
  });
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
 * Named page sizes, in bytes, as the crate's `PageSize` enum (Size4K = 0x1000 ... Size1G = 0x4000_0000), and the
 * other sizes the formats of this library map. A table accepts any size its format declares (a power of two that is
 * the leaf size of one of its levels, `meta.levelSize`), named here or not.
 */
export const PageSize: {
  /** 4 KiB: the base page of the 4 KiB-granule formats (the last level). */
  readonly Size4K: 0x1000;
  /** 16 KiB: the base page of a 16 KiB-granule format (AArch64 16K granule, LoongArch 16K pages). */
  readonly Size16K: 0x4000;
  /** 64 KiB: an ARMv7 large page (read from memory); the base page of a 64 KiB-granule format. */
  readonly Size64K: 0x1_0000;
  /** 1 MiB: an ARMv7 section (a first-level leaf). */
  readonly Size1M: 0x10_0000;
  /** 2 MiB: a huge page one level above the last (x86_64, AArch64, RISC-V megapage, LoongArch64). */
  readonly Size2M: 0x20_0000;
  /** 4 MiB: a 32-bit x86 page with PSE, a RISC-V Sv32 megapage. */
  readonly Size4M: 0x40_0000;
  /** ARMv7 supersection (read from memory). */
  readonly Size16M: 0x100_0000;
  /** 32 MiB: a level-2 block of the AArch64 16 KiB granule. */
  readonly Size32M: 0x200_0000;
  /** 512 MiB: a level-2 block of the AArch64 64 KiB granule. */
  readonly Size512M: 0x2000_0000;
  /** 1 GiB: a huge page two levels above the last (x86_64, AArch64, RISC-V gigapage, LoongArch64). */
  readonly Size1G: 0x4000_0000;
  /** RISC-V Sv48/Sv57 terapage. */
  readonly Size512G: 0x80_0000_0000;
  /** RISC-V Sv57 petapage. */
  readonly Size256T: 0x1_0000_0000_0000;
} = /* @__PURE__ */ Object.freeze({
  Size4K: 0x1000,
  Size16K: 0x4000,
  Size64K: 0x1_0000,
  Size1M: 0x10_0000,
  Size2M: 0x20_0000,
  Size4M: 0x40_0000,
  Size16M: 0x100_0000,
  Size32M: 0x200_0000,
  Size512M: 0x2000_0000,
  Size1G: 0x4000_0000,
  Size512G: 0x80_0000_0000,
  Size256T: 0x1_0000_0000_0000,
} as const);

/**
 * A page size in bytes: one of the {@link PageSize} constants, or any other power of two that a table's format
 * declares as the leaf size of a level (`meta.levelSize`). A size the format does not declare is refused by the
 * table (`PagingError('UnsupportedPageSize')`).
 */
export type PageSize = number;

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
