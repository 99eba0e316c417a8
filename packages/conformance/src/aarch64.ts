// AArch64: the MMU of QEMU's `max` CPU translates through A64PageTable tables in TTBR0_EL1 (lower half) and
// TTBR1_EL1 (upper half). QEMU's gdb stub cannot write system registers, so a guest stub loads MAIR, TCR,
// the TTBRs and SCTLR from general registers, then runs AT S1E1R, S1E1W, S1E0R and S1E0W on every address
// of a list and stores PAR_EL1 after each: translation, memory attributes, and the permission of
// privileged and unprivileged reads and writes, all from the emulated MMU (target/arm/ptw.c).
import { hex, type LeafMapping, MappingFlags, type PageTable64, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import { A64PageTable, MAIR_VALUE } from '@page-table-multiarch/aarch64';
import { A64At, A64Reg, at, b, bne, ISB, ldrPost, mrs, msr, strPost, subsImm } from './_a64';
import { Checker, type RunResult } from './_check';
import {
  buildLayout,
  corruptedImage,
  type Layout,
  queryOrNull,
  STANDARD_SIZES,
  type Sample,
  sampleAddresses,
  writeAddresses,
  writeWords,
} from './_layout';
import { startQemu } from './_qemu';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;

// RAM of the virt machine starts at 0x4000_0000; QEMU puts the device tree at its start, so our memory
// begins 16 MiB in. The last 2 MiB hold the stub, its vectors, the address list and the results.
const MEM_BASE = 0x4100_0000n;
const MEM_SIZE = 8 << 20;
const HARNESS = MEM_BASE + BigInt(MEM_SIZE - (2 << 20));
const VECTORS = HARNESS + 0x800n;
const VA_LIST = HARNESS + 0x1_0000n;
const RESULTS = HARNESS + 0x4_0000n;
const MAX_SAMPLES = Number((HARNESS + (2n << 20n) - RESULTS) / 32n);

// TCR_EL1 (D19.2): T0SZ = T1SZ = 16 (48-bit ranges), TG0 = 4K (0b00), TG1 = 4K (0b10), walks Inner/Outer
// Write-Back cacheable and Inner Shareable, IPS = 0b101 (48-bit physical addresses), TBI off.
const TCR =
  16n | (1n << 8n) | (1n << 10n) | (3n << 12n) | (0n << 14n) | (16n << 16n) | (1n << 24n) | (1n << 26n) | (3n << 28n) | (2n << 30n) | (5n << 32n);
// SCTLR_EL1 (D19.2): M (MMU on), C, I, and the bits that are RES1 in Armv8.0 (11, 20, 22, 23, 28, 29).
const SCTLR = (1n << 0n) | (1n << 2n) | (1n << 12n) | (1n << 11n) | (1n << 20n) | (1n << 22n) | (1n << 23n) | (1n << 28n) | (1n << 29n);

/**
 * The stub. In: x0 MAIR, x1 TCR, x2 TTBR0, x3 TTBR1, x4 SCTLR, x5 address list, x6 count, x7 results,
 * x10 VBAR. For each address: AT S1E1R, S1E1W, S1E0R, S1E0W, each followed by ISB and a store of PAR_EL1.
 * Ends at `b .` (DONE), where a breakpoint stops it; every exception vector is `b .` too.
 */
export function a64Stub(): { words: number[]; done: number } {
  const words = [
    msr(A64Reg.MAIR_EL1, 0),
    msr(A64Reg.TCR_EL1, 1),
    msr(A64Reg.TTBR0_EL1, 2),
    msr(A64Reg.TTBR1_EL1, 3),
    msr(A64Reg.VBAR_EL1, 10),
    ISB,
    msr(A64Reg.SCTLR_EL1, 4),
    ISB,
  ];
  const loop = words.length;
  words.push(ldrPost(8, 5, 8));
  for (const op of [A64At.S1E1R, A64At.S1E1W, A64At.S1E0R, A64At.S1E0W]) {
    words.push(at(op, 8), ISB, mrs(9, A64Reg.PAR_EL1), strPost(9, 7, 8));
  }
  words.push(subsImm(6, 6, 1));
  words.push(bne(loop - words.length));
  const done = words.length * 4;
  words.push(b(0));
  return { words, done };
}

/** The MAIR_EL1 attribute byte MAIR_VALUE gives a flag set (AttrIndx 0 Device, 1 Normal WB, 2 Normal NC). */
function mairByte(flags: number): bigint {
  const idx = (flags & DEVICE) !== 0 ? 0n : (flags & UNCACHED) !== 0 ? 2n : 1n;
  return (MAIR_VALUE >> (8n * idx)) & 0xffn;
}

/** PAR_EL1 as text: the fault kind, or the output address and the attribute byte (D19.2 PAR_EL1). */
function showPar(par: bigint, va: bigint): string {
  if ((par & 1n) !== 0n) {
    const fst = Number((par >> 1n) & 0x3fn);
    const kind = ['address size fault', 'translation fault', 'access flag fault', 'permission fault'][fst >> 2];
    return kind ?? `fault 0x${fst.toString(16)}`;
  }
  const pa = (par & 0x0000_ffff_ffff_f000n) | (va & 0xfffn);
  return `${hex(pa)} attr ${hex(par >> 56n)}`;
}

/** The four access kinds, and whether our flags allow each (D8.4.1.2.1: AP[2:1], PAN clear). */
const ACCESSES = [
  { name: 'EL1 read (AT S1E1R)', allowed: (_f: number) => true },
  { name: 'EL1 write (AT S1E1W)', allowed: (f: number) => (f & WRITE) !== 0 },
  { name: 'EL0 read (AT S1E0R)', allowed: (f: number) => (f & USER) !== 0 },
  { name: 'EL0 write (AT S1E0W)', allowed: (f: number) => (f & USER) !== 0 && (f & WRITE) !== 0 },
] as const;

/** Options of one AArch64 run. */
export interface A64Options {
  readonly binary: string;
  readonly seed: number;
  /** Addresses per table (each half gets this many). */
  readonly samples: number;
  /** Negative control: QEMU gets an image in which one 4K leaf's AP[2] (read-only) bit is flipped. */
  readonly tamper?: boolean;
  /** Extra QEMU arguments (`-d in_asm` to log the guest code as QEMU decodes it). */
  readonly qemuArgs?: readonly string[];
}

/** Builds random TTBR0 and TTBR1 tables, runs the stub in QEMU, and compares. */
export async function checkA64(options: A64Options): Promise<RunResult> {
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(HARNESS, 2 << 20);
  const lower: PageTable64 = new A64PageTable(memory);
  const upper: PageTable64 = new A64PageTable(memory);
  // the stub's own 2M block, identity-mapped (kernel read-write-execute)
  lower.cursor().map(HARNESS, HARNESS, PageSize.Size2M, READ | WRITE | EXECUTE);
  const span = 128n << 30n;
  const common = { sizes: STANDARD_SIZES, paLimit: 1n << 48n };
  const layouts: Layout[] = [
    buildLayout(lower, {
      ...common,
      seed: options.seed,
      windows: [
        { base: 0x1_0000_0000n, size: span },
        { base: (1n << 48n) - span, size: span },
      ],
    }),
    buildLayout(upper, {
      ...common,
      seed: options.seed + 1,
      windows: [
        { base: 0xffff_0000_0000_0000n, size: span },
        { base: (1n << 64n) - span, size: span },
      ],
    }),
  ];
  const tableOf = (va: bigint): PageTable64 => (va >> 63n === 1n ? upper : lower);
  const valid = (va: bigint): boolean => lower.meta.vaddrIsValid(va);
  const samples: Sample[] = [
    ...sampleAddresses(layouts[0]!, { valid, vaBits: 64 }, options.seed, options.samples),
    ...sampleAddresses(layouts[1]!, { valid, vaBits: 64 }, options.seed + 1, options.samples),
  ];
  if (samples.length > MAX_SAMPLES) throw new Error(`at most ${MAX_SAMPLES} addresses fit the result buffer`);
  const stub = a64Stub();
  writeWords(memory, HARNESS, stub.words);
  for (let v = 0; v < 16; v++) writeWords(memory, VECTORS + BigInt(0x80 * v), [b(0)]);
  writeAddresses(memory, VA_LIST, samples, 8);

  let image = memory.bytes();
  let tampered: LeafMapping | null = null;
  if (options.tamper === true) {
    tampered = [...lower.mappings()].find((m) => m.size === PageSize.Size4K && (m.flags & WRITE) === 0) ?? null;
    if (tampered === null) throw new Error('no read-only 4K leaf to corrupt');
    image = corruptedImage(image, tampered, 8, 7);
  }
  const checker = new Checker();
  checker.countLeaves(lower);
  checker.countLeaves(upper);
  const qemu = await startQemu({
    binary: options.binary,
    machine: ['-M', 'virt', '-cpu', 'max', '-m', '256M', ...(options.qemuArgs ?? [])],
    images: [{ addr: MEM_BASE, bytes: image }],
  });
  let results: Uint8Array;
  let log = '';
  try {
    const gdb = qemu.gdb;
    await gdb.physicalMemoryMode();
    const regs: [string, bigint][] = [
      ['x0', MAIR_VALUE],
      ['x1', TCR],
      ['x2', lower.rootPaddr],
      ['x3', upper.rootPaddr],
      ['x4', SCTLR],
      ['x5', VA_LIST],
      ['x6', BigInt(samples.length)],
      ['x7', RESULTS],
      ['x10', VECTORS],
      ['pc', HARNESS],
    ];
    for (const [name, value] of regs) await gdb.writeRegister(name, value);
    await gdb.breakpoint(HARNESS + BigInt(stub.done), 4);
    await gdb.cont();
    const pc = await gdb.readRegister('pc');
    if (pc !== HARNESS + BigInt(stub.done)) {
      throw new Error(`the stub stopped at ${hex(pc)}, not at its end ${hex(HARNESS + BigInt(stub.done))} (an exception?)`);
    }
    const left = await gdb.readRegister('x6');
    if (left !== 0n) throw new Error(`the stub stopped with ${left} addresses left`);
    results = await gdb.readMemory(RESULTS, samples.length * 32);
  } finally {
    log = qemu.stderr();
    await qemu.close();
  }
  const view = new DataView(results.buffer, results.byteOffset, results.byteLength);
  samples.forEach((s, i) => {
    const t = valid(s.va) ? queryOrNull(tableOf(s.va), s.va) : null;
    checker.addresses++;
    const req = t === null ? undefined : layouts[s.va >> 63n === 1n ? 1 : 0]!.requested.get(s.va & ~(BigInt(t.size) - 1n));
    ACCESSES.forEach((acc, k) => {
      const par = view.getBigUint64(32 * i + 8 * k, true);
      let want: string;
      if (t === null) want = 'translation fault';
      else if (!acc.allowed(t.flags)) want = 'permission fault';
      else want = `${hex(t.pa)} attr ${hex(mairByte(t.flags))}`;
      if (k > 0) checker.probes++;
      checker.check(s.va, k === 0 ? 'translation' : acc.name, want, showPar(par, s.va));
      // the requested flags: the same permission answer as the flag set asked for (READ is implied)
      if (req !== undefined) {
        const ok = acc.allowed(req) ? 'allowed' : 'denied';
        checker.check(s.va, `${acc.name} for requested ${req}`, ok, (par & 1n) === 0n ? 'allowed' : 'denied');
        checker.flagSets.add(req);
      }
    });
  });
  return { checker, samples, tampered, log, code: [{ addr: HARNESS, words: stub.words }] };
}
