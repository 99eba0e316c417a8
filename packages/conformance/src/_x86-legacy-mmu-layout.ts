// The tables and probe targets of the x86 32-bit / PAE MMU runs (src/x86-legacy-mmu.ts): a seeded random table
// built with the library, whose entries are then rewritten by hand into the encodings the walk tells apart (Intel
// SDM Vol. 3A 4.3 Tables 4-4 to 4-6, 4.4 Tables 4-8 to 4-11, 4.6): non-present leaves, R/W, U/S, XD (PAE) at
// random, A = 0 and D = 0 leaves, PAT, reserved bits (bit 21 of a 4 MiB PDE, bits 20:13 of a 2 MiB one, PAE address
// bits 51:M and bits 62:52), and the PDEs above some 4K leaves with P, R/W or U/S cleared, XD set, A cleared or a
// reserved bit. Every leaf points into one small region of RAM (`data`), so that every access that translates lands
// there. PDPTEs are left as the library wrote them (P and the address): a reserved bit there is a #GP at the CR3
// load, which the run does not make. Linear addresses below 1 GiB are the probe program's own; 2-3 GiB is left
// unmapped (a PDE, or with PAE a PDPTE, with P = 0).
import { PageSize, type PageTable64, type PhysicalMemory } from '@page-table-multiarch/core';
import { Rng } from './_layout';
import { insidePages, type LayoutBase, leafFrame, mapRandomLeaves, type MmuLayout, offsetIntoData, type ProbeTarget } from './_mmu-layout';
import { A, P, PS, RW, US, XD } from './_x86-mmu-layout';

/** Where and how to build. */
export interface X86LegacyLayoutSpec extends LayoutBase {
  readonly pae: boolean;
  /** The processor's MAXPHYADDR (PAE address bits 51:M are reserved). */
  readonly maxPhysAddr: number;
}

/** Reads an entry of the mode (4 or 8 bytes). */
export function readEntry(memory: PhysicalMemory, pae: boolean, at: bigint): bigint {
  return pae ? memory.readU64(at) : BigInt(memory.readU32(at));
}

/** Writes an entry of the mode (4 or 8 bytes). */
export function writeEntry(memory: PhysicalMemory, pae: boolean, at: bigint, value: bigint): void {
  if (pae) memory.writeU64(at, value);
  else memory.writeU32(at, Number(value));
}

/**
 * Physical address of the entry for `va` at `level` (0 = the page directory with 32-bit paging, the PDPT with PAE),
 * following the entries above it (Tables 4-3 to 4-5, 4-7 to 4-10).
 */
export function legacyEntryAddress(memory: PhysicalMemory, root: bigint, pae: boolean, va: bigint, level: number): bigint {
  if (!pae) {
    const pde = root + (va >> 22n) * 4n;
    return level === 0 ? pde : (BigInt(memory.readU32(pde)) & 0xffff_f000n) + ((va >> 12n) & 1023n) * 4n;
  }
  const addr = 0x000f_ffff_ffff_f000n;
  const pdpte = root + (va >> 30n) * 8n;
  if (level === 0) return pdpte;
  const pde = (memory.readU64(pdpte) & addr) + ((va >> 21n) & 511n) * 8n;
  return level === 1 ? pde : (memory.readU64(pde) & addr) + ((va >> 12n) & 511n) * 8n;
}

/**
 * Maps `spec.leaves` random 4K and large (4M, or 2M with PAE) pages in `table` in two windows (1-2 GiB, 3-4 GiB),
 * rewrites their entries and the PDEs above some of them, and lists the addresses to probe: one in each leaf
 * (landing in the data region), holes near them, and holes at 2-3 GiB.
 */
export function buildX86LegacyMmuTables(table: PageTable64, memory: PhysicalMemory, spec: X86LegacyLayoutSpec): MmuLayout {
  const rng = new Rng(spec.seed);
  const pae = spec.pae;
  const large = pae ? PageSize.Size2M : PageSize.Size4M;
  const sizes = [PageSize.Size4K, PageSize.Size4K, PageSize.Size4K, large];
  const mapped = mapRandomLeaves(table, spec.leaves, spec.data, () => {
    const size = rng.pick(sizes);
    return { va: rng.pick([0x4000_0000n, 0xc000_0000n]) + (rng.belowBig(1n << 30n) & ~BigInt(size - 1)), size };
  });
  const root = table.rootPaddr;
  const leafLevel = (size: number): number => (pae ? 2 : 1) - (size === PageSize.Size4K ? 0 : 1);
  // where each leaf's entries are, found before any is rewritten (a rewritten PDE may hold a reserved bit)
  const chains = new Map(mapped.map(({ va, size }) => [va, Array.from({ length: leafLevel(size) + 1 }, (_, l) => legacyEntryAddress(memory, root, pae, va, l))]));
  const entries: { pa: bigint; va: bigint }[] = [];
  const targets: ProbeTarget[] = [];
  const reservedAddressBit = (): bigint => 1n << BigInt(spec.maxPhysAddr + rng.below(52 - spec.maxPhysAddr));
  for (const { va, size } of mapped) {
    const at = chains.get(va)![leafLevel(size)]!;
    let pa = leafFrame(rng, size, spec.data, spec.dataBytes);
    let kind = `leaf ${size === PageSize.Size4K ? '4K' : pae ? '2M' : '4M'}`;
    const extra = size === PageSize.Size4K ? -1 : rng.below(10);
    if (extra === 0) {
      pa |= pae ? 1n << 13n : 1n << 21n; // reserved (Tables 4-9, 4-4)
      kind += pae ? ', bit 13' : ', bit 21';
    } else if (extra === 1) {
      pa |= 1n << 12n; // PAT (not reserved)
      kind += ', PAT';
    }
    let bits = BigInt(rng.below(0x1000)) & ~(P | PS);
    if (rng.ratio(9, 10)) bits |= P;
    if (size !== PageSize.Size4K) bits |= PS;
    if (pae) {
      if (rng.ratio(1, 3)) bits |= XD;
      if (rng.ratio(1, 12) && spec.maxPhysAddr < 52) {
        bits |= reservedAddressBit();
        kind += ', bit 51:M';
      }
      if (rng.ratio(1, 12)) {
        bits |= 1n << BigInt(52 + rng.below(11)); // reserved with PAE paging, ignored in 4-level paging
        kind += ', bit 62:52';
      }
    }
    writeEntry(memory, pae, at, pa | bits);
    entries.push({ pa: at, va });
    targets.push({ va: va + offsetIntoData(rng, size, spec.data, spec.dataBytes), kind, entry: at, size });
  }
  // the PDEs above a few 4K leaves (never PS: a PDE that became a 4 MiB page would map the tables)
  const changes = pae ? ['P', 'RW', 'US', 'XD', 'A', 'reserved'] : ['P', 'RW', 'US', 'A'];
  for (const { va, size } of rng.shuffle(mapped.filter((m) => m.size === PageSize.Size4K)).slice(0, Math.ceil(mapped.length / 8))) {
    const at = chains.get(va)![leafLevel(size) - 1]!;
    const change = rng.pick(changes);
    let bits = readEntry(memory, pae, at);
    if (change === 'P') bits &= ~P;
    else if (change === 'RW') bits &= ~RW;
    else if (change === 'US') bits &= ~US;
    else if (change === 'XD') bits |= XD;
    else if (change === 'A') bits &= ~A;
    else if (spec.maxPhysAddr < 52) bits |= reservedAddressBit();
    writeEntry(memory, pae, at, bits);
    entries.push({ pa: at, va });
  }
  // holes near the leaves (outside every page mapped), and at 2-3 GiB (a PDE, or a PDPTE, with P = 0)
  for (let i = 0; i < Math.ceil(mapped.length / 6); i++) {
    const hole = (rng.pick(mapped).va + (rng.belowBig(1n << 26n) & ~7n)) & 0xffff_ffffn;
    if (hole >= 0x4000_0000n && !insidePages(mapped, hole)) targets.push({ va: hole, kind: 'hole', entry: null, size: 0 });
    targets.push({ va: 0x8000_0000n + (rng.belowBig(1n << 30n) & ~7n), kind: 'hole at 2-3 GiB', entry: null, size: 0 });
  }
  return { targets, entries };
}
