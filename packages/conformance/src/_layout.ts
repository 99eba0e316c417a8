// Seeded random page-table contents and the virtual addresses to ask about. Everything here goes through the
// public API of the tables (cursor map / mapRegion / unmap, query, mappings), as a user would build a table.
import {
  hex,
  type LeafMapping,
  MAPPING_FLAGS_ALL,
  type MappingFlags,
  type PageSize,
  type PageTable64,
  PagingError,
  type PhysicalMemory,
} from '@page-table-multiarch/core';

/** A small seeded generator (splitmix64, via BigInt: test code only). */
export class Rng {
  private state: bigint;

  constructor(seed: bigint | number) {
    this.state = BigInt.asUintN(64, BigInt(seed));
  }

  /** Next 64-bit value. */
  next64(): bigint {
    this.state = BigInt.asUintN(64, this.state + 0x9e3779b97f4a7c15n);
    let z = this.state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  }

  /** Uniform integer in [0, n) for n <= 2^32. */
  below(n: number): number {
    return Number(this.next64() >> 32n) % n;
  }

  /** Uniform bigint in [0, n) for 0 < n <= 2^64 (modulo bias is irrelevant here). */
  belowBig(n: bigint): bigint {
    return this.next64() % n;
  }

  /** True with probability num/den. */
  ratio(num: number, den: number): boolean {
    return this.below(den) < num;
  }

  /** A random element. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  /** The items in a random order (a copy). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/** A range of virtual addresses that regions are placed in. */
export interface VaWindow {
  readonly base: bigint;
  readonly size: bigint;
}

/** How to fill a table. */
export interface LayoutSpec {
  readonly seed: number;
  /**
   * Leaf sizes to use: how many regions (runs of pages) of each, and the longest run. Every size cycles
   * through the flag sets on its own, so a size with at least as many regions as there are flag sets
   * gets every one of them.
   */
  readonly sizes: readonly {
    readonly size: PageSize;
    readonly regions: number;
    readonly maxPages?: number;
    /**
     * Pages per run (AArch64 Contiguous bit, RISC-V Svnapot): each region is one or two whole runs, aligned to the
     * run in both address spaces and mapped by `mapRegion` with `{ runs: true }`.
     */
    readonly runs?: number;
  }[];
  /** Windows in the lower and the upper half; regions never cross a window's end. */
  readonly windows: readonly VaWindow[];
  /** Physical addresses of mapped pages are below this (what the emulated CPU can address). */
  readonly paLimit: bigint;
  /** Physical addresses of mapped pages are at least this (default 0). */
  readonly paMin?: bigint;
  /** Flag sets to give the regions (default: all 63 non-empty sets). */
  readonly flagSets?: readonly MappingFlags[];
  /**
   * Most pages of a region's size left empty before it (default 3): 0 packs the regions, so that large pages fill a
   * window made for exactly them (ARMv7 1 GiB Blocks in a 2 GiB range).
   */
  readonly maxGapPages?: number;
}

/** One run of pages mapped with one size and one flag set. */
export interface Region {
  readonly va: bigint;
  readonly pa: bigint;
  readonly size: PageSize;
  readonly count: number;
  readonly flags: MappingFlags;
  /** How it was mapped: one `map` per page, or one `mapRegion`. */
  readonly api: 'map' | 'mapRegion';
}

/** What was put in a table. */
export interface Layout {
  readonly regions: readonly Region[];
  /** Pages mapped and then unmapped again (holes inside otherwise populated tables). */
  readonly unmapped: readonly { readonly va: bigint; readonly size: PageSize }[];
  /** The flag set requested for each mapped page, by page start. */
  readonly requested: ReadonlyMap<bigint, MappingFlags>;
  readonly windows: readonly VaWindow[];
}

/**
 * The usual mix: every flag set at 4K and at 2M (more regions than flag sets), a random subset at 1G.
 */
export const STANDARD_SIZES: LayoutSpec['sizes'] = [
  { size: 0x1000, regions: 70 },
  { size: 0x20_0000, regions: 64 },
  { size: 0x4000_0000, regions: 24, maxPages: 4 },
];

/** Every non-empty MappingFlags set (1..63). */
export const ALL_FLAG_SETS: readonly MappingFlags[] = Array.from({ length: MAPPING_FLAGS_ALL }, (_, i) => i + 1);

/**
 * Windows of `span` bytes at both ends of both halves of a sign-extended address space whose lower half ends at
 * `half` (2^47 for 48-bit addresses): where the index of every level is at its lowest and at its highest.
 */
export function halfEndWindows(half: bigint, span: bigint): VaWindow[] {
  const top = 1n << 64n;
  return [
    { base: 0n, size: span },
    { base: half - span, size: span },
    { base: top - half, size: span },
    { base: top - span, size: span },
  ];
}

function alignUp(v: bigint, a: bigint): bigint {
  return ((v + a - 1n) / a) * a;
}

/**
 * Fills `table` with a seeded random mix of regions: every flag set, every page size, sometimes adjacent
 * to the previous region, sometimes after a gap, some mapped page by page and some with mapRegion, and a
 * few pages unmapped again afterwards.
 */
export function buildLayout(table: PageTable64, spec: LayoutSpec): Layout {
  const rng = new Rng(spec.seed);
  const flagSets = spec.flagSets ?? ALL_FLAG_SETS;
  const paMin = spec.paMin ?? 0n;
  // the regions' sizes in a random order
  const order = rng.shuffle(spec.sizes.flatMap((s) => Array.from({ length: s.regions }, () => s)));
  // per size, every flag set once per pass, in a fresh order each pass
  const queues = new Map<PageSize, MappingFlags[]>();
  const nextFlags = (size: PageSize): MappingFlags => {
    let q = queues.get(size);
    if (q === undefined || q.length === 0) {
      q = rng.shuffle(flagSets);
      queues.set(size, q);
    }
    return q.pop()!;
  };
  const next = spec.windows.map((w) => w.base);
  const regions: Region[] = [];
  const requested = new Map<bigint, MappingFlags>();
  const cursor = table.cursor();
  for (const pick of order) {
    const size = pick.size;
    const sz = BigInt(size);
    const runPages = pick.runs ?? 0;
    const count = runPages > 0 ? runPages * (1 + rng.below(2)) : 1 + rng.below(pick.maxPages ?? 8);
    // a region of runs starts on a run boundary in both address spaces
    const align = runPages > 0 ? sz * BigInt(runPages) : sz;
    const flags = nextFlags(size);
    // a window where it fits
    let placed = false;
    for (let tries = 0; tries < spec.windows.length * 2 && !placed; tries++) {
      const wi = rng.below(spec.windows.length);
      const w = spec.windows[wi]!;
      const drawn = rng.ratio(1, 3) ? 0 : 1 + rng.below(3);
      const gapPages = BigInt(Math.min(drawn, spec.maxGapPages ?? 3));
      const va = alignUp(next[wi]! + gapPages * sz, align);
      const end = va + sz * BigInt(count);
      if (end > w.base + w.size) continue;
      const paSlots = (spec.paLimit - paMin) / align - BigInt(Math.ceil(count / Math.max(runPages, 1)));
      if (paSlots <= 0n) continue;
      const pa = alignUp(paMin, align) + rng.belowBig(paSlots) * align;
      const api = runPages > 0 || (count > 1 && rng.ratio(1, 2)) ? 'mapRegion' : 'map';
      if (api === 'mapRegion') {
        // with allowHuge the run maps as pages of its own size: it is shorter than the next size up
        cursor.mapRegion(va, pa, sz * BigInt(count), flags, size !== 0x1000, runPages > 0 ? { runs: true } : undefined);
      } else {
        for (let i = 0; i < count; i++) cursor.map(va + sz * BigInt(i), pa + sz * BigInt(i), size, flags);
      }
      for (let i = 0; i < count; i++) requested.set(va + sz * BigInt(i), flags);
      regions.push({ va, pa, size, count, flags, api });
      next[wi] = end;
      placed = true;
    }
    if (!placed) throw new Error(`buildLayout: no room left in the windows for ${count} pages of ${size} bytes`);
  }
  // holes inside populated tables: unmap one page of some multi-page regions
  const unmapped: { va: bigint; size: PageSize }[] = [];
  for (const r of regions) {
    if (r.count < 3 || !rng.ratio(1, 4)) continue;
    const va = r.va + BigInt(r.size) * BigInt(1 + rng.below(r.count - 2));
    const info = cursor.unmap(va);
    // a page of a run (or a Svnapot page, a run too) comes off as one page of the run, which becomes plain pages
    const ofRun = table.meta.runBits !== undefined && info.size < r.size && r.size % info.size === 0;
    if (info.size !== r.size && !ofRun) throw new Error(`unmap(${hex(va)}) removed a ${info.size}-byte page, not ${r.size}`);
    requested.delete(va);
    unmapped.push({ va, size: info.size });
  }
  cursor.flush();
  return { regions, unmapped, requested, windows: spec.windows };
}

/** Why an address was chosen (for the counts a test prints). */
export type SampleKind = 'inside' | 'boundary' | 'hole' | 'random' | 'invalid';

/** An address to translate. */
export interface Sample {
  readonly va: bigint;
  readonly kind: SampleKind;
}

/** What the sampler needs to know about the address space. */
export interface AddressSpace {
  /** Whether the format (and so the hardware) can translate the address at all. */
  readonly valid: (va: bigint) => boolean;
  /** Width of a virtual address register: 64, or 32 on ARMv7 (no address above 2^32 exists). */
  readonly vaBits: 32 | 64;
}

/**
 * At least `n` addresses: in every mapped page (a random offset, and the first and last byte of some),
 * at the edges of every region (one before, first, last, one after), in unmapped-again pages, at random
 * in the windows (mostly holes), and addresses the format rejects (non-canonical).
 */
export function sampleAddresses(layout: Layout, space: AddressSpace, seed: number, n: number): Sample[] {
  const rng = new Rng(seed ^ 0x5a5a5a5a);
  const out: Sample[] = [];
  const seen = new Set<bigint>();
  const top = 1n << BigInt(space.vaBits);
  const add = (va: bigint, kind: SampleKind): void => {
    va = BigInt.asUintN(space.vaBits, va);
    if (seen.has(va)) return;
    seen.add(va);
    out.push({ va, kind });
  };
  const pages: { va: bigint; size: bigint }[] = [];
  for (const r of layout.regions) {
    const sz = BigInt(r.size);
    for (let i = 0; i < r.count; i++) pages.push({ va: r.va + sz * BigInt(i), size: sz });
    const end = r.va + sz * BigInt(r.count);
    add(r.va - 1n, 'boundary');
    add(r.va, 'boundary');
    add(end - 1n, 'boundary');
    add(end, 'boundary');
  }
  for (const p of pages) {
    add(p.va + rng.belowBig(p.size), 'inside');
    if (rng.ratio(1, 8)) add(p.va + p.size - 1n, 'boundary');
    // inside a huge page, at a 4K (and 2M) boundary: where a walk that wrongly descended would differ
    if (p.size > 0x1000n && rng.ratio(1, 3)) add(p.va + (rng.belowBig(p.size / 0x1000n) << 12n), 'inside');
  }
  for (const h of layout.unmapped) {
    add(h.va + rng.belowBig(BigInt(h.size)), 'hole');
    add(h.va, 'hole');
  }
  const windowCount = Math.max(64, n >> 3);
  for (let i = 0; i < windowCount; i++) {
    const w = rng.pick(layout.windows);
    add(w.base + rng.belowBig(w.size), 'random');
  }
  // invalid (non-canonical) addresses: valid ones with one high bit flipped, and random 64-bit values
  if (space.vaBits === 64) {
    let made = 0;
    for (let tries = 0; made < 48 && tries < 10_000; tries++) {
      const base = rng.ratio(1, 2) && pages.length > 0 ? rng.pick(pages).va : rng.next64();
      const bit = 32n + rng.belowBig(32n);
      const va = base ^ (1n << bit);
      if (!space.valid(va)) {
        add(va, 'invalid');
        made++;
      }
    }
  }
  while (out.length < n) {
    if (rng.ratio(1, 4)) {
      add(rng.belowBig(top), 'random');
    } else {
      const p = rng.pick(pages);
      add(p.va + rng.belowBig(p.size), 'inside');
    }
  }
  return out;
}

/** What a table says about one address: its translation, or null when there is none. */
export interface Translation {
  readonly pa: bigint;
  readonly flags: MappingFlags;
  readonly size: PageSize;
}

/**
 * `table.query(va)`, with the two "no translation" answers (NotMapped, and InvalidAddress for an address
 * the format cannot translate) as null. Any other error is a bug and is thrown.
 */
export function queryOrNull(table: PageTable64, va: bigint): Translation | null {
  try {
    const r = table.query(va);
    return { pa: r.paddr, flags: r.flags, size: r.size };
  } catch (err) {
    if (err instanceof PagingError && (err.code === 'NotMapped' || err.code === 'InvalidAddress')) return null;
    throw err;
  }
}

/** Counts by kind, for the summary line. */
export function countKinds(samples: readonly Sample[]): string {
  const c = new Map<SampleKind, number>();
  for (const s of samples) c.set(s.kind, (c.get(s.kind) ?? 0) + 1);
  return [...c.entries()].map(([k, v]) => `${v} ${k}`).join(', ');
}

/**
 * A copy of the memory image with one bit flipped in the entry of `leaf` (found by its raw bits, which
 * must occur exactly once among the entries): the negative control that shows a wrong entry is caught.
 */
export function corruptedImage(image: Uint8Array, leaf: LeafMapping, entryBytes: 4 | 8, bit: number): Uint8Array {
  const copy = image.slice();
  const view = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  let at = -1;
  for (let off = 0; off + entryBytes <= copy.length; off += entryBytes) {
    const v = entryBytes === 8 ? view.getBigUint64(off, true) : BigInt(view.getUint32(off, true));
    if (v !== leaf.bits) continue;
    if (at >= 0) throw new Error(`corruptedImage: the entry ${hex(leaf.bits)} occurs more than once`);
    at = off;
  }
  if (at < 0) throw new Error(`corruptedImage: the entry ${hex(leaf.bits)} is not in the image`);
  const flipped = leaf.bits ^ (1n << BigInt(bit));
  if (entryBytes === 8) view.setBigUint64(at, flipped, true);
  else view.setUint32(at, Number(flipped), true);
  return copy;
}

/** Writes little-endian u32 words (guest code) from `addr` on. */
export function writeWords(memory: PhysicalMemory, addr: bigint, words: readonly number[]): void {
  for (let i = 0; i < words.length; i++) memory.writeU32(addr + BigInt(4 * i), words[i]!);
}

/** Writes the sampled addresses as a list of `bytes`-wide little-endian values (8, or 4 on ARMv7). */
export function writeAddresses(memory: PhysicalMemory, addr: bigint, samples: readonly Sample[], bytes: 4 | 8): void {
  for (let i = 0; i < samples.length; i++) {
    const at = addr + BigInt(bytes * i);
    if (bytes === 8) memory.writeU64(at, samples[i]!.va);
    else memory.writeU32(at, Number(samples[i]!.va));
  }
}
