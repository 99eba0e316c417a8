// What every conformance run does, whatever the architecture: fill the tables under test with seeded random
// layouts, sample the addresses to ask about, take the memory image (with one leaf entry corrupted for the negative
// control), start QEMU paused with the image in guest RAM, let the architecture ask QEMU about every address, and
// stop QEMU whatever happens. An architecture's file says only what is its own: the machine, the tables and where
// they live, how the translation registers are set and how QEMU is asked about an address.
import { hex, type LeafMapping, MappingFlags, type PageTable64, type PhysicalMemory } from '@page-table-multiarch/core';
import { Checker, type RunResult } from './_check';
import type { GdbRemote } from '@page-table-multiarch/cli';
import {
  type AddressSpace,
  buildLayout,
  corruptedImage,
  type Layout,
  type LayoutSpec,
  queryOrNull,
  type Sample,
  sampleAddresses,
  type Translation,
  writeAddresses,
  writeWords,
} from './_layout';
import { type Qemu, startQemu } from './_qemu';

/** Options of one run, the same for every architecture. */
export interface RunOptions {
  /** Path of the QEMU system emulator. */
  readonly binary: string;
  /** Seed of the random tables; the n-th table of a run is filled and sampled with `seed + n`. */
  readonly seed: number;
  /** Addresses to translate per table (at least). */
  readonly samples: number;
  /** Negative control: QEMU gets an image in which one leaf entry has one bit flipped (the architecture says which). */
  readonly tamper?: boolean;
  /** Extra QEMU arguments (`-d in_asm` to log the guest code as QEMU decodes it). */
  readonly qemuArgs?: readonly string[];
}

/** A table under test and how to fill it. */
export interface TableSpec {
  readonly table: PageTable64;
  /** Its layout; the seed comes from the run. */
  readonly layout: Omit<LayoutSpec, 'seed'>;
}

/** The negative control: bit `bit` of the entry of the first leaf of the first table that `leaf` accepts is flipped. */
export interface Tamper {
  /** What kind of leaf it is, for the error when the layout has none ("read-only 4K leaf"). */
  readonly what: string;
  readonly leaf: (m: LeafMapping) => boolean;
  readonly bit: number;
}

/** What an architecture brings to a run. */
export interface Target {
  /** QEMU's machine, CPU and RAM arguments. */
  readonly machine: readonly string[];
  /** Where the tables (and any guest code) live, placed where the machine has RAM; loaded at its base. */
  readonly memory: PhysicalMemory;
  /** The tables, in the order they are filled. */
  readonly tables: readonly TableSpec[];
  /** Which virtual addresses the format translates, and how wide an address is. */
  readonly space: AddressSpace;
  /** Index in `tables` of the table that translates `va` (default: the first). */
  readonly tableOf?: (va: bigint) => number;
  /** Sampled addresses the probe cannot ask about, left out (default: none). */
  readonly exclude?: (va: bigint) => boolean;
  readonly tamper: Tamper;
  /**
   * Writes what the guest needs into the memory (its code, the address list) before the image is taken, and
   * returns the code blocks for {@link RunResult.code} (default: none).
   */
  readonly prepare?: (run: Run) => RunResult['code'];
  /** With QEMU paused at reset and the image loaded: sets the translation registers and checks every sample. */
  readonly probe: (qemu: Qemu, run: Run) => Promise<void>;
}

/** What the architecture's code works with during a run. */
export interface Run {
  readonly checker: Checker;
  readonly samples: readonly Sample[];
  readonly tables: readonly PageTable64[];
  readonly layouts: readonly Layout[];
  /** The library's translation of `va`, by the table that translates it; null when there is none. */
  translate(va: bigint): Translation | null;
  /** The flags the layout asked for the page that starts at `page`, if it mapped one there. */
  requested(page: bigint): MappingFlags | undefined;
}

/** Builds the layouts, runs QEMU with the target's probe, and returns what was compared (mismatches not thrown). */
export async function runTarget(options: RunOptions, target: Target): Promise<RunResult> {
  const tableOf = target.tableOf ?? (() => 0);
  const exclude = target.exclude ?? (() => false);
  const tables = target.tables.map((t) => t.table);
  const layouts = target.tables.map((t, i) => buildLayout(t.table, { ...t.layout, seed: options.seed + i }));
  const samples = layouts
    .flatMap((layout, i) => sampleAddresses(layout, target.space, options.seed + i, options.samples))
    .filter((s) => !exclude(s.va));
  const checker = new Checker();
  const run: Run = {
    checker,
    samples,
    tables,
    layouts,
    translate: (va) => queryOrNull(tables[tableOf(va)]!, va),
    requested: (page) => layouts[tableOf(page)]!.requested.get(page),
  };
  const code = target.prepare?.(run) ?? [];
  let image = target.memory.bytes();
  let tampered: LeafMapping | null = null;
  if (options.tamper === true) {
    const first = tables[0]!;
    tampered = [...first.mappings()].find(target.tamper.leaf) ?? null;
    if (tampered === null) throw new Error(`no ${target.tamper.what} to corrupt`);
    image = corruptedImage(image, tampered, first.meta.entryBytes, target.tamper.bit);
  }
  for (const t of tables) checker.countLeaves(t);
  const qemu = await startQemu({
    binary: options.binary,
    machine: [...target.machine, ...(options.qemuArgs ?? [])],
    images: [{ addr: target.memory.base, bytes: image }],
  });
  let log = '';
  try {
    await target.probe(qemu, run);
  } finally {
    log = qemu.stderr();
    await qemu.close();
  }
  return { checker, samples, tampered, log, code };
}

/**
 * Where a guest program works: the last `bytes` of the run's memory (reserved before the tables are made, so that
 * no table frame lands there). Its code starts at `base`, the address list at `base + 64 KiB`, and its results,
 * `resultBytes` per address, fill the rest from `base + 256 KiB`.
 */
export interface GuestArea {
  readonly base: bigint;
  readonly bytes: number;
  readonly list: bigint;
  readonly results: bigint;
  readonly resultBytes: number;
}

/** The {@link GuestArea} of `bytes` at the end of the memory at `memBase`, `memSize` bytes long. */
export function guestArea(memBase: bigint, memSize: number, bytes: number, resultBytes: number): GuestArea {
  const base = memBase + BigInt(memSize - bytes);
  return { base, bytes, list: base + 0x1_0000n, results: base + 0x4_0000n, resultBytes };
}

/** Writes the addresses to ask about to the area's list, `width` bytes each; throws when their results do not fit. */
export function writeAddressList(memory: PhysicalMemory, area: GuestArea, samples: readonly Sample[], width: 4 | 8): void {
  const max = Math.floor((area.bytes - Number(area.results - area.base)) / area.resultBytes);
  if (samples.length > max) throw new Error(`at most ${max} addresses fit the result buffer`);
  writeAddresses(memory, area.list, samples, width);
}

/** A guest program that works through the address list of its area and stops at its last instruction. */
export interface GuestRun {
  /** Register values it starts with, written in this order (`pc` among them). */
  readonly regs: readonly (readonly [string, bigint])[];
  /** Address of its last instruction (`b .`), where a breakpoint stops it. */
  readonly end: bigint;
  /** The register that counts the addresses left: 0 when it got through the list. */
  readonly counter: string;
  readonly area: GuestArea;
  /** How many addresses the list holds. */
  readonly count: number;
}

/**
 * Runs a guest program to its end through the gdb stub and reads its results. The stub's memory accesses are
 * physical from here on. Throws when the program stopped anywhere else (an exception vector is `b .` too, so it
 * spins there until `cont` interrupts it) or with addresses left.
 */
export async function runGuest(gdb: GdbRemote, guest: GuestRun): Promise<DataView> {
  await gdb.physicalMemoryMode();
  for (const [name, value] of guest.regs) await gdb.writeRegister(name, value);
  await gdb.breakpoint(guest.end, 4);
  await gdb.cont();
  const pc = await gdb.readRegister('pc');
  if (pc !== guest.end) throw new Error(`the guest code stopped at ${hex(pc)}, not at its end ${hex(guest.end)} (an exception?)`);
  const left = await gdb.readRegister(guest.counter);
  if (left !== 0n) throw new Error(`the guest code stopped with ${left} addresses left`);
  const results = await gdb.readMemory(guest.area.results, guest.count * guest.area.resultBytes);
  return new DataView(results.buffer, results.byteOffset, results.byteLength);
}

/**
 * An address-translation stub (src/aarch64.ts, aarch64-stage2.ts, arm.ts, arm-lpae.ts): its words, run from the
 * base of its area, and the byte offset of its last instruction (`b .`). Each takes the address list in register 5,
 * its length in 6, the results in 7 and VBAR in 10; its exception vectors, at +0x800, are all `b .`, so that an
 * exception leaves it spinning where `runGuest` sees it.
 */
export interface AtStub {
  readonly words: number[];
  readonly done: number;
}

/**
 * The {@link Target.prepare} of a stub: the address list (`width` bytes each), the stub at the area's base, and its
 * vectors (written by `writeVectors`, given their base).
 */
export function prepareStub(memory: PhysicalMemory, area: GuestArea, stub: AtStub, width: 4 | 8, writeVectors: (vbar: bigint) => void): NonNullable<Target['prepare']> {
  return ({ samples }) => {
    writeAddressList(memory, area, samples, width);
    writeWords(memory, area.base, stub.words);
    writeVectors(area.base + 0x800n);
    return [{ addr: area.base, words: stub.words }];
  };
}

/** Runs a stub over the `count` addresses of its list: `regs` (the translation registers), then registers 5, 6, 7, 10 and pc. */
export async function runStub(gdb: GdbRemote, area: GuestArea, stub: AtStub, reg: 'x' | 'r', regs: readonly (readonly [string, bigint])[], count: number): Promise<DataView> {
  return runGuest(gdb, {
    regs: [...regs, [`${reg}5`, area.list], [`${reg}6`, BigInt(count)], [`${reg}7`, area.results], [`${reg}10`, area.base + 0x800n], ['pc', area.base]],
    end: area.base + BigInt(stub.done),
    counter: `${reg}6`,
    area,
    count,
  });
}

/** An access an address-translation instruction checks, and whether a flag set allows it. */
export interface Access {
  readonly name: string;
  readonly allowed: (flags: MappingFlags) => boolean;
}

/**
 * Compares the answers of address-translation instructions (AArch64 AT, ARMv7 ATS1C**), one per sample and access
 * kind, the first kind being the translation itself: our translation and its permissions, and the permission the
 * requested flag set asked for (READ implied), with what QEMU's MMU wrote in PAR. `par(i, k)` is the PAR of sample
 * `i` and access `k` (bit 0 is F, a fault, in both architectures); `show` turns it into text; `mapped` is our text
 * for an access that translates.
 */
export function compareAccesses(
  run: Run,
  accesses: readonly Access[],
  par: (sample: number, access: number) => bigint,
  show: (par: bigint, va: bigint) => string,
  mapped: (t: Translation) => string,
): void {
  const { checker } = run;
  run.samples.forEach((s, i) => {
    const t = run.translate(s.va);
    checker.addresses++;
    const req = t === null ? undefined : run.requested(s.va & ~(BigInt(t.size) - 1n));
    accesses.forEach((acc, k) => {
      const answer = par(i, k);
      let want: string;
      if (t === null) want = 'translation fault';
      else if (!acc.allowed(t.flags)) want = 'permission fault';
      else want = mapped(t);
      if (k > 0) checker.probes++;
      checker.check(s.va, k === 0 ? 'translation' : acc.name, want, show(answer, s.va));
      if (req !== undefined) {
        const ok = acc.allowed(req | MappingFlags.READ) ? 'allowed' : 'denied';
        checker.check(s.va, `${acc.name} for requested ${req}`, ok, (answer & 1n) === 0n ? 'allowed' : 'denied');
        checker.flagSets.add(req);
      }
    });
  });
}
