// A boot image of page tables: every table that one or more tables reach from their roots (their own and any they
// borrowed with copyFrom), copied out of their memory into one blob that a loader places at a physical base. The
// tables are not moved: the blob holds each table at (its physical address - base), zeros between, so the
// pointers inside them stay right when the blob is loaded at `base`. A cold path: it runs once per build.
import { toBigAddr } from '../_addr';
import type { AddrInput, PagingHandler } from '../interfaces';
import type { PageTable64 } from '../table/page-table';
import { loadableRoot } from './registers';

/** Options of {@link tableImage}. */
export interface TableImageOptions {
  /**
   * Physical address of the blob's first byte, where the loader puts it (default: the lowest table's address).
   * It must not be above any table.
   */
  readonly base?: AddrInput;
}

/** Page tables as one blob for a physical base. */
export interface TableImage {
  /** Physical address of `bytes[0]`. */
  readonly base: bigint;
  /** The tables, each at (its physical address - base); bytes that no table holds are zero. */
  readonly bytes: Uint8Array;
  /** For each table given, in order: its root's physical address and that address's offset in `bytes`. */
  readonly roots: readonly {
    /** Physical address of the root table (what CR3, TTBR, satp or PGD points at). */
    readonly paddr: bigint;
    /** `paddr - base`: where the root is in `bytes`. */
    readonly offset: number;
  }[];
  /** Number of distinct tables in the blob (roots included). */
  readonly tableCount: number;
}

/** The largest blob tableImage makes: 1 GiB (more is not a set of boot tables, and may not fit a Uint8Array). */
const MAX_IMAGE = 0x4000_0000;

/** Copies `bytes` bytes of physical memory at `pa` into `out` at `at`, through the handler's words. */
function copyTable(handler: PagingHandler, pa: bigint, bytes: number, out: DataView, at: number): void {
  const lo = (v: bigint): number => Number(v & 0xffff_ffffn);
  const hi = (v: bigint): number => Number(v >> 32n);
  const first = handler.wordIndex(lo(pa), hi(pa));
  const lastPa = pa + BigInt(bytes - 4);
  const last = handler.wordIndex(lo(lastPa), hi(lastPa));
  const words = handler.words;
  if (first >= 0 && last === first + bytes / 4 - 1) {
    for (let i = 0; i < bytes / 4; i++) out.setUint32(at + 4 * i, words[first + i]!, true);
    return;
  }
  // memory that is not one run of words (a handler of several chunks): word by word
  for (let i = 0; i < bytes / 4; i++) {
    const wpa = pa + BigInt(4 * i);
    const w = handler.wordIndex(lo(wpa), hi(wpa));
    if (w < 0) throw new RangeError(`tableImage: the table at 0x${pa.toString(16)} is not backed by its memory at 0x${wpa.toString(16)}`);
    out.setUint32(at + 4 * i, words[w]!, true);
  }
}

/**
 * Every table the given tables use, as one blob to load at a physical base, with where each root is in it.
 * Tables are found by walking from each root: a present entry that is not a leaf points at a table of the next
 * level (sizes from the format's `tableBytes`, so 1 KiB ARMv7 second-level tables take 1 KiB). The tables must
 * live in the same memory (one handler), since their pointers are physical addresses in it.
 * @throws TypeError when `tables` is empty or the tables have different handlers; RangeError when `base` is above
 *   a table or the blob would exceed 1 GiB; PagingError 'Destroyed' for a destroyed table.
 * @example
 * const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8020_0000n });
 * const table = new Sv39PageTable(memory);
 * table.cursor().map(0x8000_0000n, 0x8000_0000n, PageSize.Size1G, MappingFlags.READ | MappingFlags.EXECUTE);
 * const image = tableImage(table);
 * image.roots[0].offset; // where satp's PPN points, from the start of image.bytes
 */
export function tableImage(tables: PageTable64 | readonly PageTable64[], options: TableImageOptions = {}): TableImage {
  const list: readonly PageTable64[] = Array.isArray(tables) ? tables : [tables as PageTable64];
  if (list.length === 0) throw new TypeError('tableImage: no table given');
  const handler = list[0]!.handler;
  for (const t of list) {
    if (t.handler !== handler) throw new TypeError('tableImage: the tables live in different memories (handlers); give each its own image');
  }
  // every table by physical address, with its size in bytes
  const found = new Map<bigint, number>();
  const roots = list.map((t) => loadableRoot(t, 'tableImage'));
  list.forEach((t, i) => {
    const meta = t.meta;
    const last = meta.levels - 1;
    found.set(roots[i]!, Math.max(found.get(roots[i]!) ?? 0, meta.tableBytes[0]!));
    t.walk(Number.POSITIVE_INFINITY, (level, _index, _va, bits) => {
      if (level >= last || !t.pte.isPresent(bits, level) || t.pte.isHuge(bits, level)) return;
      const child = t.pte.paddr(bits, level);
      found.set(child, Math.max(found.get(child) ?? 0, meta.tableBytes[level + 1]!));
    });
  });
  let low = roots[0]!;
  let high = 0n;
  for (const [pa, bytes] of found) {
    if (pa < low) low = pa;
    if (pa + BigInt(bytes) > high) high = pa + BigInt(bytes);
  }
  const base = options.base === undefined ? low : toBigAddr(options.base, 'tableImage', 'base');
  if (base > low) throw new RangeError(`tableImage: "base" 0x${base.toString(16)} is above the table at 0x${low.toString(16)}`);
  if (high - base > BigInt(MAX_IMAGE)) {
    throw new RangeError(`tableImage: the tables span 0x${(high - base).toString(16)} bytes from 0x${base.toString(16)}, more than 1 GiB`);
  }
  const bytes = new Uint8Array(Number(high - base));
  const view = new DataView(bytes.buffer);
  for (const [pa, size] of found) copyTable(handler, pa, size, view, Number(pa - base));
  return {
    base,
    bytes,
    roots: roots.map((paddr) => ({ paddr, offset: Number(paddr - base) })),
    tableCount: found.size,
  };
}
