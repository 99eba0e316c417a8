// The tables and probe targets of the x86 MMU runs (src/x86-mmu.ts): a seeded random 4-level or 5-level table built
// with the library, whose entries are then rewritten by hand into the encodings the walk tells apart (Intel SDM
// Vol. 3A 4.5, Tables 4-14 to 4-20, and 4.6): non-present leaves, R/W, U/S and XD at random, A = 0 and D = 0
// leaves, protection keys (bits 62:59), ignored bits 58:52, reserved address bits 51:M, large pages with reserved
// bits 20:13 / 29:13 set (or PAT, bit 12, which is not reserved), and pointers above them with P, R/W or U/S
// cleared, XD set, A cleared, a reserved bit, or PS where it is reserved (a PML5E / PML4E) or makes a PDPTE a
// misaligned 1 GiB page. Every leaf points into one small region of RAM (`data`), so that every access that
// translates lands there. The addresses below 512 GiB (below 256 TiB with 5-level paging) are the probe program's
// own and are never a target.
import { PageSize, type PageTable64, type PhysicalMemory } from '@page-table-multiarch/core';
import { Rng } from './_layout';
import { addHolesAndNonCanonical, canonical, entryAddress, type LayoutBase, leafFrame, mapRandomLeaves, type MmuLayout, offsetIntoData, type ProbeTarget } from './_mmu-layout';

/** Where and how to build. */
export interface X86MmuLayoutSpec extends LayoutBase {
  /** 48 (4-level) or 57 (5-level). */
  readonly vaBits: 48 | 57;
  /** The processor's MAXPHYADDR: address bits 51:M are reserved. */
  readonly maxPhysAddr: number;
}

// Entry bits of every paging mode (Tables 4-4 to 4-11 and 4-14 to 4-20): P, R/W, U/S, A, PS; XD (bit 63) in the
// 64-bit entries of PAE, 4-level and 5-level paging.
export const P = 1n;
export const RW = 2n;
export const US = 4n;
export const A = 0x20n;
export const PS = 0x80n;
export const XD = 1n << 63n;
/** Entry bits 51:12, the address (Tables 4-14 to 4-20). */
const ADDR = 0x000f_ffff_ffff_f000n;

/** Physical address of the entry for `va` at `level` (0 = root), following the pointers above it. */
export function x86EntryAddress(memory: PhysicalMemory, root: bigint, levels: number, va: bigint, level: number): bigint {
  return entryAddress(memory, root, levels, va, level, (e) => e & ADDR);
}

/** The rewritten bits of a leaf other than its address and PS: P mostly set, the rest at random. */
function leafBits(rng: Rng, maxPhysAddr: number): bigint {
  let bits = BigInt(rng.below(0x1000)) & ~(P | PS);
  if (rng.ratio(9, 10)) bits |= P;
  if (rng.ratio(1, 3)) bits |= XD;
  if (rng.ratio(1, 2)) bits |= BigInt(rng.below(16)) << 59n; // a protection key
  if (rng.ratio(1, 10)) bits |= 1n << BigInt(52 + rng.below(7)); // ignored
  if (rng.ratio(1, 12) && maxPhysAddr < 52) bits |= 1n << BigInt(maxPhysAddr + rng.below(52 - maxPhysAddr)); // reserved
  return bits;
}

/**
 * Maps `spec.leaves` random 4K, 2M and 1G pages in `table` (in four windows away from the probe program's
 * addresses), rewrites their entries and the pointers above some of them, and lists the addresses to probe: one in
 * each leaf (landing in the data region), holes near them, and non-canonical addresses.
 */
export function buildX86MmuTables(table: PageTable64, memory: PhysicalMemory, spec: X86MmuLayoutSpec): MmuLayout {
  const rng = new Rng(spec.seed);
  const levels = spec.vaBits === 57 ? 5 : 4;
  const top = BigInt(spec.vaBits);
  const windows = [1n << (top - 2n), 1n << (top - 3n), -(1n << (top - 2n)), -(1n << (top - 1n))];
  const sizes = [PageSize.Size4K, PageSize.Size4K, PageSize.Size4K, PageSize.Size2M, PageSize.Size2M, PageSize.Size1G];
  const mapped = mapRandomLeaves(table, spec.leaves, spec.data, () => {
    const size = rng.pick(sizes);
    return { va: canonical(rng.pick(windows) + (rng.belowBig(64n << 30n) & ~BigInt(size - 1)), spec.vaBits), size };
  });
  const cursor = table.cursor();
  const root = table.rootPaddr;
  const entries: { pa: bigint; va: bigint }[] = [];
  const targets: ProbeTarget[] = [];
  const pages = BigInt(spec.dataBytes / 4096);
  const levelOf = (size: number): number => levels - 1 - Math.log2(size / 4096) / 9;
  // where each leaf's entries are, found before any is rewritten (a rewritten pointer may hold a reserved bit)
  const chains = new Map(mapped.map(({ va, size }) => [va, Array.from({ length: levelOf(size) + 1 }, (_, l) => x86EntryAddress(memory, root, levels, va, l))]));
  for (const { va, size } of mapped) {
    const at = chains.get(va)![levelOf(size)]!;
    let pa = leafFrame(rng, size, spec.data, spec.dataBytes);
    let kind = `leaf ${size === PageSize.Size4K ? '4K' : size === PageSize.Size2M ? '2M' : '1G'}`;
    const extra = size === PageSize.Size4K ? -1 : rng.below(10);
    if (extra === 0) {
      pa |= 1n << 13n; // a reserved bit of a large page (Tables 4-16, 4-18)
      kind += ', bit 13';
    } else if (extra === 1) {
      pa |= 1n << 12n; // PAT (not reserved)
      kind += ', PAT';
    }
    memory.writeU64(at, pa | leafBits(rng, spec.maxPhysAddr) | (size === PageSize.Size4K ? 0n : PS));
    entries.push({ pa: at, va });
    targets.push({ va: va + offsetIntoData(rng, size, spec.data, spec.dataBytes), kind, entry: at, size });
  }
  // pointers above a few leaves; PS only where it is reserved (PML5E, PML4E) or makes a PDPTE a 1 GiB page whose
  // address (a table's, 4 KiB-aligned above 16 MiB) has reserved bits 29:13 set: never a page onto the tables
  // (a PML5E or PML4E covers a whole window, a quarter of the targets: it only loses A or gains ignored bits here,
  // and two windows of their own below take the faults at those levels)
  const pdpt = levels - 3;
  for (const { va, size } of rng.shuffle(mapped).slice(0, Math.ceil(mapped.length / 8))) {
    const level = rng.below(levelOf(size));
    const at = chains.get(va)![level]!;
    const old = memory.readU64(at);
    const changes = level < pdpt ? ['A', 'ignored'] : ['P', 'RW', 'US', 'XD', 'A', 'reserved', 'ignored', level === pdpt ? 'PS' : 'A'];
    const change = rng.pick(changes);
    let bits = old;
    if (change === 'P') bits &= ~P;
    else if (change === 'RW') bits &= ~RW;
    else if (change === 'US') bits &= ~US;
    else if (change === 'XD') bits |= XD;
    else if (change === 'A') bits &= ~A;
    else if (change === 'PS') bits |= PS;
    else if (change === 'ignored') bits |= 1n << BigInt(52 + rng.below(11));
    else if (spec.maxPhysAddr < 52) bits |= 1n << BigInt(spec.maxPhysAddr + rng.below(52 - spec.maxPhysAddr));
    memory.writeU64(at, bits);
    entries.push({ pa: at, va });
  }
  // a 4K page in each of two windows of its own, whose PML4E (4-level) or PML5E and PML4E (5-level) gets PS, which
  // is reserved there (Tables 4-14, 4-15), or (4-level) a reserved address bit
  for (const [k, level] of [
    [4n, 0],
    [5n, levels === 5 ? 1 : 0],
  ] as const) {
    const va = 1n << (top - k);
    const pa = spec.data + 4096n * rng.belowBig(pages);
    cursor.map(va, pa, PageSize.Size4K, 1 | 2 | 4 | 8);
    cursor.flush();
    const leaf = x86EntryAddress(memory, root, levels, va, levels - 1);
    memory.writeU64(leaf, memory.readU64(leaf) & ~XD);
    const at = x86EntryAddress(memory, root, levels, va, level);
    const reserved = k === 5n && levels === 4 && spec.maxPhysAddr < 52;
    memory.writeU64(at, memory.readU64(at) | (reserved ? 1n << BigInt(spec.maxPhysAddr) : PS));
    entries.push({ pa: at, va }, { pa: leaf, va });
    targets.push({ va: va + 8n * rng.belowBig(512n), kind: `${reserved ? 'reserved bit' : 'PS'} at level ${level}`, entry: leaf, size: PageSize.Size4K });
  }
  // holes near the leaves, and non-canonical addresses (4.5.1: canonical)
  addHolesAndNonCanonical(rng, mapped, spec.vaBits, targets);
  return { targets, entries };
}
