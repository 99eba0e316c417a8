// x86_64: QEMU's page walker against X64PageTable (4-level) and X64PageTable5 (LA57).
// Translations come from the monitor's `gva2gpa` (QEMU's debug walker, target/i386/helper.c
// x86_cpu_get_phys_page_attrs_debug: checks P, PS and canonical form). Leaf bits come from `info tlb`
// and effective permissions from `info mem` (target/i386/monitor.c), as no access is made; under LA57,
// where `info mem` lists nothing, the permissions at each address come from `info tlb` too.
import { hex, MappingFlags, type PageTable64, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import { X64PageTable, X64PageTable5 } from '@page-table-multiarch/x86_64';
import { type RunResult, showPa } from './_check';
import { type RunOptions, runTarget } from './_driver';
import { halfEndWindows, STANDARD_SIZES, type Translation } from './_layout';
import { findSpan, gva2gpa, parseListing } from './_qemu';

const { WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;

// Control-register bits (Intel SDM Vol. 3A 2.5, and 2.2.1 for IA32_EFER).
const CR0_PE = 1n << 0n;
const CR0_ET = 1n << 4n;
const CR0_WP = 1n << 16n;
const CR0_PG = 1n << 31n;
const CR4_PAE = 1n << 5n;
const CR4_LA57 = 1n << 12n;
const EFER_LME = 1n << 8n;
const EFER_LMA = 1n << 10n;
const EFER_NXE = 1n << 11n;

/** Options of one x86_64 run. */
export interface X86Options extends RunOptions {
  /** 5-level paging (CR4.LA57) with X64PageTable5. */
  readonly la57?: boolean;
}

/** One `info tlb` line: a present leaf. */
export interface TlbLine {
  readonly va: bigint;
  readonly pa: bigint;
  /** "XGPDACTUW" with '-' for clear bits. */
  readonly bits: string;
}

/** Parses `info tlb` (print_pte in target/i386/monitor.c: "VA: PA XGPDACTUW"). */
export function parseTlb(text: string): TlbLine[] {
  return parseListing(text, /^([0-9a-f]+): ([0-9a-f]+) ([-XGPDACTUW]{9})$/, (m) => ({
    va: BigInt(`0x${m[1]}`),
    pa: BigInt(`0x${m[2]}`),
    bits: m[3]!,
  }));
}

/** One `info mem` range: [start, end) with effective U and W (mem_print in target/i386/monitor.c). */
export interface MemRange {
  readonly start: bigint;
  readonly end: bigint;
  readonly prot: string;
}

/** Parses `info mem` ("start-end size prot"). */
export function parseMem(text: string): MemRange[] {
  return parseListing(text, /^([0-9a-f]+)-([0-9a-f]+) ([0-9a-f]+) ([-u]r[-w])$/, (m) => {
    const start = BigInt(`0x${m[1]}`);
    return { start, end: start + BigInt(`0x${m[3]}`), prot: m[4]! };
  });
}

/** The line of the leaf at the greatest address at or below `va` (lines sorted by address), if any. */
function floorLine(sorted: readonly TlbLine[], va: bigint): TlbLine | null {
  let lo = 0;
  let hi = sorted.length - 1;
  let best: TlbLine | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.va <= va) {
      best = sorted[mid]!;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/** U and W as `info mem` writes them ("ur-", "-rw", ...), or "none" for an unmapped address. */
export function permissions(t: Translation | null): string {
  return t === null ? 'none' : `${(t.flags & USER) !== 0 ? 'u' : '-'}r${(t.flags & WRITE) !== 0 ? 'w' : '-'}`;
}

/** The letters `info tlb` shows for a leaf, from our flags (X = NX, P = PS, C = PCD, T = PWT, U, W). */
export function expectedBits(flags: number, huge: boolean): string {
  return [
    (flags & EXECUTE) === 0 ? 'X' : '-',
    (flags & UNCACHED) !== 0 ? 'C' : '-',
    (flags & UNCACHED) !== 0 ? 'T' : '-',
    (flags & USER) !== 0 ? 'U' : '-',
    (flags & WRITE) !== 0 ? 'W' : '-',
    huge ? 'P' : '-',
  ].join('');
}

/** The same letters from a requested flag set (DEVICE and UNCACHED both ask for an uncached page). */
export function requestedBits(flags: number, huge: boolean): string {
  return expectedBits((flags & DEVICE) !== 0 ? flags | UNCACHED : flags, huge);
}

/** The same letters from `info tlb`'s "XGPDACTUW" (G, D and A are not compared). */
export function qemuBits(bits: string): string {
  return [bits[0], bits[5], bits[6], bits[7], bits[8], bits[2]].join('');
}

/** Builds a random table, boots QEMU on it, and compares. Returns the checker (mismatches not thrown). */
export async function checkX86(options: X86Options): Promise<RunResult> {
  const la57 = options.la57 === true;
  // RAM of the q35 machine starts at 0; 16 MiB keeps clear of the legacy hole at 0xa0000-0xfffff.
  const memory = new PhysicalMemory({ size: 4 << 20, base: 0x100_0000n });
  const table: PageTable64 = la57 ? new X64PageTable5(memory) : new X64PageTable(memory);
  return runTarget(options, {
    machine: ['-M', 'q35', '-cpu', 'max', '-m', '64M', '-accel', 'tcg'],
    memory,
    tables: [
      {
        table,
        layout: {
          sizes: STANDARD_SIZES,
          windows: halfEndWindows(la57 ? 1n << 56n : 1n << 47n, 64n << 30n),
          // QEMU's TCG x86 CPUs have 40 physical address bits; stay below them (bits above are reserved).
          paLimit: 1n << 39n,
        },
      },
    ],
    space: { valid: (va) => table.meta.vaddrIsValid(va), vaBits: 64 },
    // a frame-address bit of a 4K page: QEMU translates it elsewhere
    tamper: { what: '4K leaf', leaf: (m) => m.size === PageSize.Size4K, bit: 13 },
    async probe(qemu, { checker, samples, translate, requested }) {
      const gdb = qemu.gdb;
      // long mode with paging: CR4.PAE (and LA57), EFER.LME and NXE, CR3, then CR0.PG (which sets EFER.LMA)
      await gdb.writeRegister('cr4', CR4_PAE | (la57 ? CR4_LA57 : 0n));
      await gdb.writeRegister('efer', EFER_LME | EFER_NXE);
      await gdb.writeRegister('cr3', table.rootPaddr);
      await gdb.writeRegister('cr0', CR0_PG | CR0_WP | CR0_ET | CR0_PE);
      const efer = await gdb.readRegister('efer');
      const cr4 = await gdb.readRegister('cr4');
      if ((efer & EFER_LMA) === 0n) throw new Error(`QEMU did not enter long mode (EFER = ${hex(efer)})`);
      if (la57 && (cr4 & CR4_LA57) === 0n) throw new Error(`QEMU refused CR4.LA57 (CR4 = ${hex(cr4)})`);

      // 1. translations
      const translated: (bigint | null)[] = [];
      for (const s of samples) {
        const theirs = await gva2gpa(gdb, s.va);
        translated.push(theirs);
        const ours = translate(s.va);
        checker.addresses++;
        checker.check(s.va, 'translation', showPa(ours?.pa ?? null), showPa(theirs));
      }

      // 2. every leaf entry, as the walker in `info tlb` decodes it
      const tlb = parseTlb(await gdb.monitor('info tlb'));
      const leaves = [...table.mappings()];
      if (tlb.length !== leaves.length) {
        checker.check(0n, 'number of leaf entries', String(leaves.length), String(tlb.length));
      }
      const byVa = new Map(tlb.map((t) => [t.va, t]));
      for (const leaf of leaves) {
        const t = byVa.get(leaf.vaddr);
        checker.leaves++;
        if (t === undefined) {
          checker.check(leaf.vaddr, 'leaf', `${hex(leaf.paddr)} ${expectedBits(leaf.flags, leaf.size !== 0x1000)}`, 'absent');
          continue;
        }
        const huge = leaf.size !== 0x1000;
        checker.check(leaf.vaddr, 'leaf', `${hex(leaf.paddr)} ${expectedBits(leaf.flags, huge)}`, `${hex(t.pa)} ${qemuBits(t.bits)}`);
        // the hardware meaning of the requested flags: W, U, NX, PCD/PWT as asked
        const req = requested(leaf.vaddr);
        if (req !== undefined) {
          checker.check(leaf.vaddr, `leaf bits for requested ${req}`, requestedBits(req, huge), qemuBits(t.bits));
          checker.flagSets.add(req);
        }
      }

      // 3. permissions at every sampled address. With 4 levels, the effective U and W (the AND of U/S and R/W
      // over every entry of the walk, Intel SDM Vol. 3A 4.6.1) from `info mem`. Under LA57 `info mem` is unusable
      // in every QEMU checked (7.2 and 10.0.13: mem_info_la57 in target/i386/monitor.c tests `pdpe &
      // PG_PRESENT_MASK` and `pde & PG_PRESENT_MASK` the wrong way round, so it lists nothing after walking every
      // non-present entry, 12 s on 7.2 and 37 s on 10.0.13), so there each address is looked up in `info tlb`:
      // the leaf with the greatest address at or below it, when gva2gpa found it mapped. That is the leaf's U
      // and W; the non-leaf entries, which the same codec writes for both formats with P, R/W and U/S set, are
      // part of the effective permission checked by the 4-level run.
      if (la57) {
        const sorted = [...tlb].sort((a, b) => (a.va < b.va ? -1 : a.va > b.va ? 1 : 0));
        samples.forEach((s, i) => {
          const ours = translate(s.va);
          const line = translated[i] === null ? null : floorLine(sorted, s.va);
          const theirs = line === null ? 'none' : `${line.bits[7] === 'U' ? 'u' : '-'}r${line.bits[8] === 'W' ? 'w' : '-'}`;
          checker.probes++;
          checker.check(s.va, 'leaf permissions (info tlb)', permissions(ours), theirs);
        });
      } else {
        const ranges = parseMem(await gdb.monitor('info mem'));
        for (const s of samples) {
          const r = findSpan(ranges, s.va, (m) => m.start, (m) => m.end);
          checker.probes++;
          checker.check(s.va, 'effective permissions', permissions(translate(s.va)), r === null ? 'none' : r.prot);
        }
      }
    },
  });
}
