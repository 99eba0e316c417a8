// A real kernel's long-descriptor tables: Debian's armmp-lpae kernel boots on QEMU's Cortex-A15 (virt machine, no
// initrd, no disk) until it panics for want of a root file system, and is stopped there. Its TTBCR, TTBR0, TTBR1,
// MAIR0 and MAIR1 are read through the gdb stub, its tables from guest RAM (a file, see _kernel.ts), and the
// library's view (decodeA32Registers, then dumpMappings and translateAddress over a PagedMemory, and the attached
// A32LpaePageTable / A32LpaeTtbr1PageTable) is compared with QEMU's: each sampled address with the monitor's
// `gva2gpa` (QEMU's own walk with the CPU's registers, target/arm/ptw.c get_phys_addr_lpae), and each run's memory
// type with the MAIR attribute byte its AttrIndx selects, decoded here as the manual says (B4.1.104).
import { openSync, closeSync, readSync } from 'node:fs';
import {
  type DumpRoot,
  type DumpSource,
  type DumpSummary,
  dumpMappings,
  hex,
  MappingFlags,
  type MappingRun,
  PagedMemory,
  PagingError,
  type PageTable64,
  RegisterError,
  translateAddress,
} from '@page-table-multiarch/core';
import { A32LpaePageTable, A32LpaeTtbr1PageTable, decodeA32Registers } from '@page-table-multiarch/arm';
import { Checker, showPa } from './_check';
import type { GdbRemote } from '@page-table-multiarch/cli';
import { type BootedKernel, bootKernel } from './_kernel';
import { Rng } from './_layout';
import { gva2gpa } from './_qemu';

/** What the kernel prints last when it panics (kernel/panic.c: "---[ end Kernel panic - not syncing: ..."). */
export const PANIC_MARKER = '---[ end Kernel panic';

/** Where the virt machine puts RAM on Arm (hw/arm/virt.c, memmap VIRT_MEM). */
export const VIRT_RAM_BASE = 0x4000_0000n;

/** The translation registers of the stopped CPU (the gdb stub's names: QEMU's cp15 register names). */
export interface A32KernelRegisters {
  /** TTBCR (B4.1.153). */
  readonly ttbcr: bigint;
  /** TTBR0, 64 bits with TTBCR.EAE = 1 (B4.1.154). */
  readonly ttbr0: bigint;
  /** TTBR1, 64 bits (B4.1.155). */
  readonly ttbr1: bigint;
  /** MAIR0 (B4.1.104): Attr0..Attr3. */
  readonly mair0: bigint;
  /** MAIR1: Attr4..Attr7. */
  readonly mair1: bigint;
  /** SCTLR (B4.1.130): M (bit 0) must be set for the tables to be in use. */
  readonly sctlr: bigint;
  /** CPSR: the mode (bits 4:0) says which privilege level `gva2gpa` translates for. */
  readonly cpsr: bigint;
}

/** Reads the translation registers through the gdb stub. */
export async function readA32Registers(gdb: GdbRemote): Promise<A32KernelRegisters> {
  const r = (name: string) => gdb.readRegister(name);
  return {
    ttbcr: await r('TTBCR'),
    ttbr0: await r('TTBR0'),
    ttbr1: await r('TTBR1'),
    mair0: await r('MAIR0'),
    mair1: await r('MAIR1'),
    sctlr: await r('SCTLR'),
    cpsr: await r('cpsr'),
  };
}

/** Options of one boot. */
export interface ArmKernelOptions {
  /** qemu-system-arm. */
  readonly binary: string;
  /** The armmp-lpae vmlinuz. */
  readonly kernel: string;
  /** MiB of RAM (default 1024: 760 MiB of lowmem, the rest highmem, with Linux's 3G/1G split). */
  readonly ramMiB?: number;
  /** Time the boot may take to the panic (default 90 s). */
  readonly timeoutMs?: number;
}

/** Boots the kernel to its panic and stops it there. */
export function bootArmKernel(options: ArmKernelOptions): Promise<BootedKernel> {
  return bootKernel({
    binary: options.binary,
    machine: ['-M', 'virt', '-cpu', 'cortex-a15'],
    kernel: options.kernel,
    // the console on the virt machine's PL011; no root file system, so the boot ends in the panic
    append: 'console=ttyAMA0',
    ramBase: VIRT_RAM_BASE,
    ramMiB: options.ramMiB ?? 1024,
    marker: PANIC_MARKER,
    timeoutMs: options.timeoutMs ?? 90_000,
  });
}

/** Parts of a large hole that each get a sampled address. */
const HOLE_PARTS = 8n;
/** 2 MiB: a hole smaller than HOLE_PARTS level 2 Blocks is sampled once inside. */
const BLOCK_2M = 0x20_0000n;

/** Where an address was sampled: a mapped run's first byte, last byte or a middle page, or a hole. */
export type KernelSampleKind = 'first' | 'last' | 'middle' | 'hole';

/** One sampled address. */
export interface KernelSample {
  readonly va: bigint;
  readonly kind: KernelSampleKind;
  /** Index of the root (TTBR) whose range holds it. */
  readonly root: number;
}

/**
 * The addresses to compare: for every run, its first byte, its last byte and a byte of its middle page; for every
 * hole (between two runs, or between a range's start or end and the nearest run), its first byte, its last byte
 * and a byte in between (in each eighth of a hole of 16 MiB or more). Offsets inside pages and holes come from `rng`. Sorted by address, without repeats.
 */
export function kernelSamples(runs: readonly MappingRun[], roots: readonly DumpRoot[], rng: Rng): KernelSample[] {
  const out = new Map<bigint, KernelSample>();
  const add = (va: bigint, kind: KernelSampleKind, root: number) => {
    if (!out.has(va)) out.set(va, { va, kind, root });
  };
  const hole = (start: bigint, end: bigint, root: number) => {
    if (end <= start) return;
    add(start, 'hole', root);
    add(end - 1n, 'hole', root);
    // one byte in each of up to 8 equal parts: a hole of several GiB (TTBR0's range of a kernel with no user
    // process) is probed under each of its level 2 tables, a small one once
    const len = end - start;
    const parts = len >= HOLE_PARTS * BLOCK_2M ? HOLE_PARTS : 1n;
    for (let i = 0n; i < parts; i++) add(start + (len * i) / parts + rng.belowBig(len / parts), 'hole', root);
  };
  roots.forEach((r, k) => {
    let cursor = BigInt(r.vaStart);
    for (const run of runs) {
      if (run.root !== k) continue;
      hole(cursor, run.vaddr, k);
      const page = BigInt(run.pageSize);
      add(run.vaddr, 'first', k);
      add(run.end - 1n, 'last', k);
      add(run.vaddr + BigInt(run.pages >>> 1) * page + rng.belowBig(page), 'middle', k);
      cursor = run.end;
    }
    hole(cursor, BigInt(r.vaEnd), k);
  });
  return [...out.values()].sort((a, b) => (a.va < b.va ? -1 : a.va > b.va ? 1 : 0));
}

/**
 * The memory type an attribute byte of MAIR0 / MAIR1 gives (ARM DDI 0406C.d B4.1.104, "MAIR0 and MAIR1"):
 * Attr[7:4] = 0b0000 is Device memory (Attr[3:0] 0b0000 Strongly-ordered, 0b0100 Device); otherwise Normal memory,
 * Attr[7:4] the Outer and Attr[3:0] the Inner policy, 0b0100 being Non-cacheable. Written here from the manual's
 * table, independently of the codec, as the oracle of the runs' DEVICE / UNCACHED flags.
 */
export function mairMemoryType(attr: number): 'device' | 'non-cacheable' | 'cacheable' {
  const outer = attr >>> 4;
  const inner = attr & 0xf;
  if (outer === 0) return 'device';
  return outer === 0b0100 && inner === 0b0100 ? 'non-cacheable' : 'cacheable';
}

/** The memory type the library's flags say: DEVICE, UNCACHED, or neither (cacheable Normal memory). */
function flagsMemoryType(flags: number): 'device' | 'non-cacheable' | 'cacheable' {
  if ((flags & MappingFlags.DEVICE) !== 0) return 'device';
  return (flags & MappingFlags.UNCACHED) !== 0 ? 'non-cacheable' : 'cacheable';
}

/** What one comparison run found. */
export interface KernelCheck {
  readonly checker: Checker;
  readonly samples: readonly KernelSample[];
  readonly runs: readonly MappingRun[];
  /** The dump's totals (tables read, diagnostics). */
  readonly summary: DumpSummary;
  /** Runs by memory type (the MAIR byte's, which the flags matched unless a mismatch says otherwise). */
  readonly memoryTypes: ReadonlyMap<string, number>;
  /** The summary line a test prints. */
  readonly line: string;
  /** With `tamper`: the leaf the library was shown corrupted (its first address and size). */
  readonly tampered: { readonly vaddr: bigint; readonly size: number } | null;
}

/** Options of {@link checkArmKernel}. */
export interface KernelCheckOptions {
  /** Seed of the offsets inside pages and holes. */
  readonly seed: number;
  /**
   * The negative control: the leaf that maps this address is read with the lowest bit of its output address
   * flipped (bit 12 of a Page, 21 of a 2 MiB Block, B3.6.2), in the library's view only; QEMU must disagree there.
   */
  readonly tamper?: bigint;
}

/** The leaf entry that maps `va`: its mapping's first address and size, and the byte and bit to flip. */
function leafAt(source: DumpSource, roots: readonly DumpRoot[], va: bigint): { vaddr: bigint; size: number; bytePaddr: bigint; mask: number } {
  const t = translateAddress(source, va, { roots });
  if (!t.mapped) throw new Error(`tamper: ${hex(va)} is not mapped (${t.reason ?? ''})`);
  const size = t.pageSize!;
  const bit = Math.log2(size);
  const entry = t.steps[t.steps.length - 1]!.entryPaddr;
  return { vaddr: va & ~BigInt(size - 1), size, bytePaddr: entry + BigInt(bit >> 3), mask: 1 << (bit & 7) };
}

/** The library's answer for one address through one view, as text ("not mapped" or the physical address). */
function answer(f: () => bigint | null): string {
  try {
    return showPa(f());
  } catch (e) {
    if (e instanceof PagingError && e.code === 'NotMapped') return 'not mapped';
    throw e;
  }
}

/**
 * Reads the stopped kernel's tables through the library and compares them with QEMU: every sample's translation
 * (through translateAddress, ptdump's path, and through the table types attached at the TTBRs) with `gva2gpa`, and
 * every run's DEVICE / UNCACHED with the memory type of the MAIR byte its AttrIndx (bits 4:2 of a Block or Page
 * descriptor, B3.6.2) selects.
 */
export async function checkArmKernel(booted: BootedKernel, regs: A32KernelRegisters, options: KernelCheckOptions): Promise<KernelCheck> {
  const { seed } = options;
  const plan = decodeA32Registers({ ttbcr: regs.ttbcr, ttbr0: regs.ttbr0, ttbr1: regs.ttbr1, mair0: regs.mair0, mair1: regs.mair1 });
  if (plan instanceof RegisterError) throw plan;
  const { ram } = booted;
  const fd = openSync(ram.path, 'r');
  try {
    const read = (pa: bigint, into: Uint8Array) => {
      readSync(fd, into, 0, into.length, Number(pa - ram.base));
    };
    const tampered = options.tamper === undefined ? null : leafAt({ ...plan.format, handler: new PagedMemory({ ranges: [{ base: ram.base, size: ram.size }], read }) }, plan.roots, options.tamper);
    // a cache large enough for every table (the attached tables keep word indices across queries: see
    // PagedMemory), checked below by its eviction count
    const memory = new PagedMemory({
      ranges: [{ base: ram.base, size: ram.size }],
      read: (pa, into) => {
        read(pa, into);
        // the negative control: the library reads the leaf with its lowest output-address bit flipped
        const at = tampered === null ? -1n : tampered.bytePaddr - pa;
        if (at >= 0n && at < BigInt(into.length)) into[Number(at)]! ^= tampered!.mask;
      },
      cacheChunks: 4096,
    });
    const source = { ...plan.format, handler: memory };
    const dump = dumpMappings(source, { roots: plan.roots });
    const runs: MappingRun[] = [];
    const checker = new Checker();
    for (const record of dump) {
      if (record.kind === 'mapping') runs.push(record);
      else if (record.kind === 'diagnostic') checker.check(record.vaddr, `dump diagnostic ${record.code}`, 'none', record.message);
    }
    const split = { t0sz: Number(regs.ttbcr & 7n), t1sz: Number((regs.ttbcr >> 16n) & 7n), mair0: Number(regs.mair0), mair1: Number(regs.mair1) };
    const tables: PageTable64[] = plan.roots.map((r) =>
      r.label === 'TTBR0' ? new A32LpaePageTable(memory, { ...split, root: r.root }) : new A32LpaeTtbr1PageTable(memory, { ...split, root: r.root }),
    );
    const samples = kernelSamples(runs, plan.roots, new Rng(seed));
    for (const s of samples) {
      const qemu = showPa(await gva2gpa(booted.qemu.gdb, s.va));
      checker.addresses++;
      const walked = answer(() => {
        const t = translateAddress(source, s.va, { roots: plan.roots });
        return t.mapped ? t.paddr! : null;
      });
      checker.check(s.va, 'translation (translateAddress)', walked, qemu);
      checker.check(s.va, `translation (${plan.roots[s.root]!.label} table query)`, answer(() => tables[s.root]!.query(s.va).paddr), qemu);
    }
    if (memory.stats.evictions !== 0) throw new Error(`the PagedMemory cache evicted ${memory.stats.evictions} chunks: enlarge cacheChunks`);
    const memoryTypes = new Map<string, number>();
    for (const run of runs) {
      const index = Number((run.bits >> 2n) & 7n);
      const mair = index < 4 ? regs.mair0 : regs.mair1;
      const attr = Number((mair >> BigInt(8 * (index & 3))) & 0xffn);
      const expected = mairMemoryType(attr);
      checker.check(run.vaddr, `memory type (AttrIndx ${index}, MAIR byte ${hex(attr)})`, flagsMemoryType(run.flags), expected);
      const key = `AttrIndx ${index} (${hex(attr)}, ${expected})`;
      memoryTypes.set(key, (memoryTypes.get(key) ?? 0) + 1);
      checker.pageSizes.set(run.pageSize, (checker.pageSizes.get(run.pageSize) ?? 0) + run.pages);
    }
    const kinds = new Map<string, number>();
    for (const s of samples) kinds.set(s.kind, (kinds.get(s.kind) ?? 0) + 1);
    const byRoot = plan.roots.map((r, k) => `${r.label} ${runs.filter((x) => x.root === k).length} runs`).join(', ');
    const line =
      `${checker.addresses} addresses compared with gva2gpa (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}), ` +
      `${runs.length} runs (${byRoot}; ${[...memoryTypes].map(([k, n]) => `${n}x ${k}`).join(', ')}), ` +
      `${dump.summary.tables.join('/')} tables per level, ${checker.comparisons} comparisons, ${checker.mismatches.length} mismatches`;
    return { checker, samples, runs, summary: dump.summary, memoryTypes, line, tampered: tampered === null ? null : { vaddr: tampered.vaddr, size: tampered.size } };
  } finally {
    closeSync(fd);
  }
}
