// ARMv7: the MMU of QEMU's Cortex-A15 translates through A32PageTable short-descriptor tables (1 MiB Sections
// in L1, 4 KiB Small pages in L2 tables), one in TTBR0 (addresses below 2 GiB, TTBCR.N = 1) and one in TTBR1
// (the upper 2 GiB). QEMU's gdb stub cannot write CP15 registers, so a guest stub loads DACR, TTBCR, the TTBRs
// and SCTLR from general registers, then runs ATS1CPR, ATS1CPW, ATS1CUR and ATS1CUW on every address of a list
// and stores PAR after each (target/arm/ptw.c get_phys_addr_v6, target/arm/helper.c do_ats_write).
import { hex, type LeafMapping, MappingFlags, type PageTable64, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import { A32PageTable } from '@page-table-multiarch/arm';
import { A32Cp15, b, bne, ISB, ldrPost, mcr, mrc, strPost, subsImm } from './_a32';
import { Checker, type RunResult } from './_check';
import {
  buildLayout,
  corruptedImage,
  type Layout,
  queryOrNull,
  type Sample,
  sampleAddresses,
  writeAddresses,
  writeWords,
} from './_layout';
import { startQemu } from './_qemu';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;

// RAM of the virt machine starts at 0x4000_0000 (the device tree sits at its start); the last 1 MiB of our
// memory is the stub's, identity-mapped as one Section.
const MEM_BASE = 0x4100_0000n;
const MEM_SIZE = 8 << 20;
const HARNESS = MEM_BASE + BigInt(MEM_SIZE - (1 << 20));
const VECTORS = HARNESS + 0x800n;
const VA_LIST = HARNESS + 0x1_0000n;
const RESULTS = HARNESS + 0x4_0000n;
const MAX_SAMPLES = Number((HARNESS + (1n << 20n) - RESULTS) / 16n);
const SPLIT = 0x8000_0000n; // TTBCR.N = 1: TTBR1 translates from 2^(32 - N) up

// DACR: every domain Client (0b01), so that the descriptors' access permissions are checked (B4.1.43).
const DACR = 0x5555_5555n;
// TTBCR: EAE = 0 (short descriptors), N = 1 (B4.1.153).
const TTBCR = 1n;
// SCTLR (B4.1.130): M (MMU on), C, I, and the bits QEMU's Cortex-A15 resets to (RES1 bits 4:3, 6, 16, 18,
// 22, 23); TRE = 0 (no TEX remap) and AFE = 0 (AP[0] is a permission bit), as A32PageTable requires.
const SCTLR = (1n << 0n) | (1n << 2n) | (1n << 12n) | 0x00c5_0078n;

/**
 * The stub. In: r0 DACR, r1 TTBCR, r2 TTBR0, r3 TTBR1, r4 SCTLR, r5 address list, r6 count, r7 results,
 * r10 VBAR. For each address: ATS1CPR, ATS1CPW, ATS1CUR, ATS1CUW, each followed by ISB and a store of PAR.
 * Ends at `b .` (DONE); every exception vector is `b .` too.
 */
export function a32Stub(): { words: number[]; done: number } {
  const words = [
    mcr(A32Cp15.DACR, 0),
    mcr(A32Cp15.TTBCR, 1),
    mcr(A32Cp15.TTBR0, 2),
    mcr(A32Cp15.TTBR1, 3),
    mcr(A32Cp15.VBAR, 10),
    mcr(A32Cp15.TLBIALL, 0),
    ISB,
    mcr(A32Cp15.SCTLR, 4),
    ISB,
  ];
  const loop = words.length;
  words.push(ldrPost(8, 5, 4));
  for (const op of [A32Cp15.ATS1CPR, A32Cp15.ATS1CPW, A32Cp15.ATS1CUR, A32Cp15.ATS1CUW]) {
    words.push(mcr(op, 8), ISB, mrc(9, A32Cp15.PAR), strPost(9, 7, 4));
  }
  words.push(subsImm(6, 6, 1));
  words.push(bne(loop - words.length));
  const done = words.length * 4;
  words.push(b(0));
  return { words, done };
}

/**
 * PAR (short-descriptor form, B4.1.112) as text: the fault kind from FS, or the output address. QEMU reports
 * no memory attributes in this form (do_ats_write), so only the address and the fault are compared.
 */
function showPar(par: number, va: bigint): string {
  if ((par & 1) !== 0) {
    const fs = ((par >>> 1) & 0xf) | (((par >>> 6) & 1) << 4);
    switch (fs) {
      case 0b00101:
      case 0b00111:
        return 'translation fault';
      case 0b01101:
      case 0b01111:
        return 'permission fault';
      case 0b01001:
      case 0b01011:
        return 'domain fault';
      default:
        return `fault FS=0x${fs.toString(16)}`;
    }
  }
  const pa = (par & (par & 2 ? 0xff00_0000 : 0xffff_f000)) >>> 0;
  return hex(BigInt(pa) | (va & (par & 2 ? 0xff_ffffn : 0xfffn)));
}

/** The four access kinds and whether our flags allow each (B3.7.1, Table B3-8). */
const ACCESSES = [
  { name: 'PL1 read (ATS1CPR)', allowed: (f: number) => (f & READ) !== 0 },
  { name: 'PL1 write (ATS1CPW)', allowed: (f: number) => (f & WRITE) !== 0 },
  { name: 'PL0 read (ATS1CUR)', allowed: (f: number) => (f & USER) !== 0 },
  { name: 'PL0 write (ATS1CUW)', allowed: (f: number) => (f & USER) !== 0 && (f & WRITE) !== 0 },
] as const;

/** Options of one ARMv7 run. */
export interface A32Options {
  readonly binary: string;
  readonly seed: number;
  /** Addresses per table (each of TTBR0 and TTBR1 gets this many). */
  readonly samples: number;
  /** Negative control: QEMU gets an image in which one Small page's AP[2] (read-only) bit is flipped. */
  readonly tamper?: boolean;
  /** Extra QEMU arguments (`-d in_asm` to log the guest code as QEMU decodes it). */
  readonly qemuArgs?: readonly string[];
}

/** Builds random TTBR0 and TTBR1 tables, runs the stub in QEMU, and compares. */
export async function checkA32(options: A32Options): Promise<RunResult> {
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(HARNESS, 1 << 20);
  const lower: PageTable64 = new A32PageTable(memory);
  const upper: PageTable64 = new A32PageTable(memory);
  // the stub's own Section, identity-mapped (PL1 read-write-execute)
  lower.cursor().map(HARNESS, HARNESS, PageSize.Size1M, READ | WRITE | EXECUTE);
  const sizes = [
    { size: PageSize.Size4K, regions: 70 },
    { size: PageSize.Size1M, regions: 64 },
  ];
  const common = { sizes, paLimit: 1n << 32n };
  const layouts: Layout[] = [
    buildLayout(lower, {
      ...common,
      seed: options.seed,
      windows: [
        { base: 0n, size: 0x3000_0000n },
        { base: 0x5000_0000n, size: SPLIT - 0x5000_0000n },
      ],
    }),
    buildLayout(upper, {
      ...common,
      seed: options.seed + 1,
      windows: [
        { base: SPLIT, size: 0x4000_0000n },
        { base: 0xc000_0000n, size: 0x4000_0000n },
      ],
    }),
  ];
  const tableOf = (va: bigint): PageTable64 => (va >= SPLIT ? upper : lower);
  const space = { valid: (va: bigint) => va < 1n << 32n, vaBits: 32 as const };
  const samples: Sample[] = [
    ...sampleAddresses(layouts[0]!, space, options.seed, options.samples),
    ...sampleAddresses(layouts[1]!, space, options.seed + 1, options.samples),
  ];
  if (samples.length > MAX_SAMPLES) throw new Error(`at most ${MAX_SAMPLES} addresses fit the result buffer`);
  const stub = a32Stub();
  writeWords(memory, HARNESS, stub.words);
  writeWords(memory, VECTORS, Array.from({ length: 8 }, () => b(0)));
  writeAddresses(memory, VA_LIST, samples, 4);

  let image = memory.bytes();
  let tampered: LeafMapping | null = null;
  if (options.tamper === true) {
    tampered = [...lower.mappings()].find((m) => m.size === PageSize.Size4K && (m.flags & WRITE) === 0 && (m.flags & USER) === 0) ?? null;
    if (tampered === null) throw new Error('no read-only kernel Small page to corrupt');
    image = corruptedImage(image, tampered, 4, 9); // AP[2]: 0b101 (PL1 read-only) becomes 0b001 (read-write)
  }
  const checker = new Checker();
  checker.countLeaves(lower);
  checker.countLeaves(upper);
  const qemu = await startQemu({
    binary: options.binary,
    machine: ['-M', 'virt', '-cpu', 'cortex-a15', '-m', '256M', ...(options.qemuArgs ?? [])],
    images: [{ addr: MEM_BASE, bytes: image }],
  });
  let results: Uint8Array;
  let log = '';
  try {
    const gdb = qemu.gdb;
    await gdb.physicalMemoryMode();
    const regs: [string, bigint][] = [
      ['r0', DACR],
      ['r1', TTBCR],
      ['r2', lower.rootPaddr],
      ['r3', upper.rootPaddr],
      ['r4', SCTLR],
      ['r5', VA_LIST],
      ['r6', BigInt(samples.length)],
      ['r7', RESULTS],
      ['r10', VECTORS],
      ['pc', HARNESS],
    ];
    for (const [name, value] of regs) await gdb.writeRegister(name, value);
    await gdb.breakpoint(HARNESS + BigInt(stub.done), 4);
    await gdb.cont();
    const pc = await gdb.readRegister('pc');
    if (pc !== HARNESS + BigInt(stub.done)) {
      throw new Error(`the stub stopped at ${hex(pc)}, not at its end ${hex(HARNESS + BigInt(stub.done))} (an exception?)`);
    }
    const left = await gdb.readRegister('r6');
    if (left !== 0n) throw new Error(`the stub stopped with ${left} addresses left`);
    results = await gdb.readMemory(RESULTS, samples.length * 16);
  } finally {
    log = qemu.stderr();
    await qemu.close();
  }
  const view = new DataView(results.buffer, results.byteOffset, results.byteLength);
  samples.forEach((s, i) => {
    const t = queryOrNull(tableOf(s.va), s.va);
    checker.addresses++;
    const layout = layouts[s.va >= SPLIT ? 1 : 0]!;
    const req = t === null ? undefined : layout.requested.get(s.va & ~(BigInt(t.size) - 1n));
    ACCESSES.forEach((acc, k) => {
      const par = view.getUint32(16 * i + 4 * k, true);
      let want: string;
      if (t === null) want = 'translation fault';
      else if (!acc.allowed(t.flags)) want = 'permission fault';
      else want = hex(t.pa);
      if (k > 0) checker.probes++;
      checker.check(s.va, k === 0 ? 'translation' : acc.name, want, showPar(par, s.va));
      if (req !== undefined) {
        const ok = acc.allowed(req | READ) ? 'allowed' : 'denied';
        checker.check(s.va, `${acc.name} for requested ${req}`, ok, (par & 1) === 0 ? 'allowed' : 'denied');
        checker.flagSets.add(req);
      }
    });
  });
  return { checker, samples, tampered, log, code: [{ addr: HARNESS, words: stub.words }] };
}
