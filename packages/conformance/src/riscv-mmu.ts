// RISC-V: QEMU's MMU against the library's MMU model (RiscvMmu), access by access.
// A guest program in M-mode works through a list of probes, each a virtual address, an access kind, a privilege
// (S or U) and mstatus.SUM / MXR. Loads and stores are made from M-mode with mstatus.MPRV = 1 and MPP = S or U,
// which the privileged spec (20211203, 3.1.6.3) defines as translated and protected exactly as an access from
// that mode (SUM included); instruction fetches are made from S or U mode itself: MRET to the address. Every
// page that translates holds ECALL in every word, so a fetch that gets through traps straight back (cause 8 / 9).
// The M-mode trap handler records mcause and mtval; after each probe the program reads the leaf entry back (A / D).
// The same probes, in the same order, go through RiscvMmu over a copy of the same memory, and every outcome (the
// physical address a load or AMO read, or the exception code and tval), every entry read back, and every
// rewritten entry at the end, must be the same. QEMU flushes its TLB before every probe (SFENCE.VMA), so each
// probe is a fresh walk, as the model's are.
// QEMU's walker: target/riscv/cpu_helper.c get_physical_address. 7.2 always sets A and D itself
// (`updated_pte = pte | PTE_A | (access_type == MMU_DATA_STORE ? PTE_D : 0)`, no Svade); 10.0 has the svadu and
// svade CPU properties and sets them only when `adue` (`svadu ? menvcfg & MENVCFG_ADUE : !svade`), faulting
// otherwise: both behaviours are run there, with menvcfg.ADUE set and clear.
import { Access, faultKindOf, hex, type LeafMapping, PageSize, type PageTable64, type PhysicalMemory, Privilege } from '@page-table-multiarch/core';
import { RiscvMmu, Sv39PageTable, Sv48PageTable, Sv57PageTable } from '@page-table-multiarch/riscv';
import { CSR, RV, RV_MRET, RV_SFENCE_VMA, rvAddi, rvCsrw, rvLd } from './_boot-code';
import { Checker, type RunResult } from './_check';
import { affects, DEFECTS } from './_defects';
import { Rng, writeWords } from './_layout';
import { ACCESS_NAMES, assertProbesFit, compareAtTheEnd, countTargetSizes, markerWriterVa, modelCopy, modelDataAccess, ProbeComparison, withQemu } from './_mmu-check';
import type { ProbeTarget } from './_mmu-layout';
import { buildMmuTables } from './_rv-mmu-layout';
import { DATA, DATA_BYTES, MEM_BASE, marker, runProbeProgram, rvArea, rvProbeLoopEnd, rvRunMemory, setAdUpdates, setUpTranslation } from './_rv-mmu-guest';
import { MCSR, rvBeq, rvJal, rvSd } from './_rv64';

// mstatus fields (privileged spec 3.1.6): MPRV 17, SUM 18, MXR 19.
const MPRV = 1n << 17n;
const SUM = 1n << 18n;
const MXR = 1n << 19n;

const PROBE_BYTES = 40; // va, mstatus, kind, entry address, value to store
const RESULT_BYTES = 32; // mcause, mtval, value loaded, entry after
const AREA = rvArea(RESULT_BYTES);
/** A zero u64 in the guest area: the "entry" read back for probes that have none. */
const ZERO = AREA.base + 0x8000n;

/** The RISC-V schemes the MMU runs cover. */
export type RiscvMmuScheme = 'sv39' | 'sv48' | 'sv57';

/** Options of one run. */
export interface RiscvMmuOptions {
  readonly binary: string;
  readonly seed: number;
  readonly scheme: RiscvMmuScheme;
  /** Leaves in the random table (default 120). */
  readonly leaves?: number;
  /** Hardware A / D updates (menvcfg.ADUE = 1); false needs a QEMU with Svadu (10.x): ADUE = 0, Svade's faults. */
  readonly svadu: boolean;
  /** Negative control: W is set in one read-only 4K leaf of QEMU's image (not in the model's). */
  readonly tamper?: boolean;
}

const SCHEMES = {
  sv39: { mode: 8n, vaBits: 39, make: (m: PhysicalMemory): PageTable64 => new Sv39PageTable(m), huge: [] as PageSize[] },
  sv48: { mode: 9n, vaBits: 48, make: (m: PhysicalMemory): PageTable64 => new Sv48PageTable(m), huge: [PageSize.Size512G] },
  sv57: {
    mode: 10n,
    vaBits: 57,
    make: (m: PhysicalMemory): PageTable64 => new Sv57PageTable(m),
    huge: [PageSize.Size512G, PageSize.Size256T],
  },
} as const;

// Registers (ABI names): a0 list, a1 count, a2 results, a3 M-mode mstatus; t0-t5 and s1-s4 the program's own.
const { zero, t0, t1, t2, t3 } = RV;
const t4 = 29;
const t5 = 30;
const [s1, s2, s3, a0, a3] = [9, 18, 19, 10, 13];

/**
 * The probe program: `main` (at the area's base; the trap handler starts at word `handler`, and `end` is the
 * byte offset of its last instruction, where the run stops). In: a0 the probe list, a1 its length, a2 the results,
 * a3 the mstatus of M-mode (MPP = M, MPRV = 0). Each probe is (va, mstatus for the access, kind 0 load / 1 store /
 * 2 fetch, entry address); each result (mcause or 0, mtval, the u64 read, the entry after).
 */
export function rvMmuProgram(): { words: number[]; handler: number; end: number } {
  const w: number[] = [];
  const loop = w.length;
  w.push(rvLd(t0, a0, 0), rvLd(t1, a0, 8), rvLd(t2, a0, 16), rvLd(t3, a0, 24), rvLd(t5, a0, 32));
  w.push(rvAddi(s1, zero, 0), rvAddi(s2, zero, 0), rvAddi(s3, zero, 0), RV_SFENCE_VMA);
  const at = (label: number, from: number): number => (label - from) * 4;
  // dispatch on the kind; branch targets patched below
  w.push(rvAddi(t4, zero, 2), 0, rvAddi(t4, zero, 1), 0);
  const toExec = w.length - 3;
  const toStore = w.length - 1;
  const load = w.length;
  w.push(rvCsrw(CSR.mstatus, t1), rvLd(s3, t0, 0), rvCsrw(CSR.mstatus, a3), 0);
  const store = w.length;
  w.push(rvCsrw(CSR.mstatus, t1), rvSd(t5, t0, 0), rvCsrw(CSR.mstatus, a3), 0);
  const exec = w.length;
  w.push(rvCsrw(CSR.mstatus, t1), rvCsrw(MCSR.mepc, t0), RV_MRET);
  const { after, end, handler } = rvProbeLoopEnd(w, loop, PROBE_BYTES, RESULT_BYTES);
  w[toExec] = rvBeq(t2, t4, at(exec, toExec));
  w[toStore] = rvBeq(t2, t4, at(store, toStore));
  w[load + 3] = rvJal(zero, at(after, load + 3));
  w[store + 3] = rvJal(zero, at(after, store + 3));
  return { words: w, handler, end: end * 4 };
}

/** One access to make: a target, an access kind, a privilege, SUM and MXR. */
interface Probe {
  readonly target: ProbeTarget;
  readonly access: 0 | 1 | 2;
  readonly privilege: 0 | 1;
  readonly sum: boolean;
  readonly mxr: boolean;
}

function probeName(p: Probe): string {
  return `${ACCESS_NAMES[p.access]} ${p.privilege === Privilege.USER ? 'U' : 'S'} SUM=${p.sum ? 1 : 0} MXR=${p.mxr ? 1 : 0} (${p.target.kind})`;
}

/** The index + 1 a marker holds (0: the word is no marker). */
function markerIndex(word: bigint): number {
  return word >> 63n === 1n ? Number((word >> 32n) & 0x7fff_ffffn) : 0;
}

/** Text of QEMU's outcome: "ok" and the u64 a load read, or "cause N tval 0x...". */
function theirOutcome(p: Probe, mcause: bigint, mtval: bigint, value: bigint): string {
  // a fetch that translated ran the ECALL there: environment call from U-mode (8) or S-mode (9)
  if (p.access === Access.EXECUTE && mcause === 8n + BigInt(p.privilege)) return 'ok';
  if (p.access !== Access.EXECUTE && mcause === 0n) return p.access === Access.READ ? `ok ${hex(value)}` : 'ok';
  return `cause ${mcause} tval ${hex(mtval)}`;
}

/** The model's outcome for probe `i`, in the same form; a store writes its marker, and a load reads, in the model's memory. */
function ourOutcome(p: Probe, i: number, mmu: RiscvMmu, ours: PhysicalMemory, r: number): string {
  if (r < 0) return `cause ${mmu.cause} tval ${hex(p.target.va)}`;
  return modelDataAccess(ours, p.access, (BigInt(mmu.paHi) << 32n) | BigInt(mmu.paLo), DATA, DATA_BYTES, marker(i));
}

/** What a run compared, and what the model's outcomes were (so that a test can see that every case occurred). */
export interface RiscvMmuResult extends RunResult {
  /** Accesses made (each compared twice: its outcome and the leaf entry after it). */
  readonly probes: number;
  /** How many accesses the model translated ("ok load", "ok store", "ok fetch") or faulted, by fault kind. */
  readonly outcomes: ReadonlyMap<string, number>;
  /** Accesses after which the model's leaf entry had changed (A / D set by the hardware). */
  readonly adUpdates: number;
}

/** Every probe (24 per target: access x privilege x SUM x MXR) in a seeded random order, written to the list. */
function writeProbes(memory: PhysicalMemory, targets: readonly ProbeTarget[], seed: number): Probe[] {
  const probes: Probe[] = [];
  for (const target of targets) {
    for (const access of [0, 1, 2] as const)
      for (const privilege of [0, 1] as const)
        for (const sum of [false, true]) for (const mxr of [false, true]) probes.push({ target, access, privilege, sum, mxr });
  }
  const order = new Rng(seed ^ 0x5a5a).shuffle(probes);
  assertProbesFit(order.length, { start: AREA.list, end: AREA.results, stride: PROBE_BYTES }, { start: AREA.results, end: AREA.base + BigInt(AREA.bytes), stride: RESULT_BYTES });
  order.forEach((p, i) => {
    const at = AREA.list + BigInt(i * PROBE_BYTES);
    // loads and stores from M-mode as MPP (MPRV = 1); fetches from MPP itself after MRET (MPRV = 0)
    const status = (BigInt(p.privilege) << 11n) | (p.sum ? SUM : 0n) | (p.mxr ? MXR : 0n) | (p.access === Access.EXECUTE ? 0n : MPRV);
    memory.writeU64(at, p.target.va);
    memory.writeU64(at + 8n, status);
    memory.writeU64(at + 16n, BigInt(p.access));
    memory.writeU64(at + 24n, p.target.entry ?? ZERO);
    memory.writeU64(at + 32n, marker(i));
  });
  return order;
}

/** Builds a random table, runs every probe in QEMU and through RiscvMmu, and compares. */
export async function checkRiscvMmu(options: RiscvMmuOptions): Promise<RiscvMmuResult> {
  const scheme = SCHEMES[options.scheme];
  const memory = rvRunMemory(AREA);
  const table = scheme.make(memory);
  const sizes: [PageSize, number][] = [
    [PageSize.Size4K, 6],
    [PageSize.Size2M, 3],
    [PageSize.Size1G, 2],
    ...scheme.huge.map((s): [PageSize, number] => [s, 1]),
  ];
  const layout = buildMmuTables(table, memory, {
    seed: options.seed,
    leaves: options.leaves ?? 120,
    vaBits: scheme.vaBits,
    sizes,
    data: DATA,
    dataBytes: DATA_BYTES,
    stepSeven: true,
  });
  const order = writeProbes(memory, layout.targets, options.seed);
  const prog = rvMmuProgram();
  writeWords(memory, AREA.base, prog.words);

  // the model's memory and QEMU's image: the same bytes, before QEMU (or the model) changes any
  const { ours, image } = modelCopy(memory);
  const satp = (scheme.mode << 60n) | (table.rootPaddr >> 12n);
  let tampered: LeafMapping | null = null;
  if (options.tamper === true) tampered = tamperOne(image, layout.targets, ours);

  const checker = new Checker();
  const compare = new ProbeComparison(checker);
  const tableReadAsPageFault = affects(options.binary, DEFECTS.riscvTableReadFault);
  let adUpdates = 0;
  const machine = ['-M', 'virt', '-bios', 'none', '-cpu', 'rv64,svpbmt=off,svnapot=off', '-m', '128M'];
  const log = await withQemu(options.binary, machine, MEM_BASE, image, async ({ gdb }) => {
    await setUpTranslation(gdb, [['satp', satp]]);
    await setAdUpdates(gdb, ['menvcfg'], options.svadu);
    const view = await runProbeProgram(gdb, AREA, prog, order.length);
    const mmu = new RiscvMmu(ours, { satp, svadu: options.svadu });
    order.forEach((p, i) => {
      const at = (k: number): bigint => view.getBigUint64(RESULT_BYTES * i + 8 * k, true);
      mmu.sum = p.sum;
      mmu.mxr = p.mxr;
      const va = p.target.va;
      const before = p.target.entry === null ? 0n : ours.readU64(p.target.entry);
      const r = mmu.translateWords(Number(va & 0xffff_ffffn), Number(va >> 32n), p.access, p.privilege);
      const kind = r === 0 ? `ok ${ACCESS_NAMES[p.access]}` : (faultKindOf(r) ?? String(r));
      if (p.target.entry !== null && ours.readU64(p.target.entry) !== before) adUpdates++;
      const want = ourOutcome(p, i, mmu, ours, r);
      const got = theirOutcome(p, at(0), at(1), at(2));
      if (tableReadAsPageFault && kind === 'ExternalAbort') {
        compare.count(kind);
        checker.probes++;
        checker.skip(DEFECTS.riscvTableReadFault.text, want !== got);
      } else {
        compare.probe(va, probeName(p), kind, want, got);
      }
      checker.check(va, `${probeName(p)}: entry after`, hex(ours.readU64(p.target.entry ?? ZERO)), hex(at(3)));
    });
    const vaOfWord = markerWriterVa(order, markerIndex);
    await compareAtTheEnd(gdb, checker, { entries: layout.entries, ours, data: DATA, dataBytes: DATA_BYTES, vaOfWord });
  });
  checker.addresses = layout.targets.length;
  countTargetSizes(checker, layout.targets);
  return { checker, samples: [], tampered, log, code: [{ addr: AREA.base, words: prog.words }], probes: order.length, outcomes: compare.outcomes, adUpdates };
}

/**
 * The negative control: sets W in QEMU's copy of a valid 4K leaf that has R but not W (and no high bit), so that
 * QEMU reads a different entry there (and lets stores through). Returns that page.
 */
function tamperOne(image: Uint8Array, targets: readonly ProbeTarget[], ours: PhysicalMemory): LeafMapping {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (const t of targets) {
    if (t.size !== PageSize.Size4K || t.entry === null) continue;
    const bits = ours.readU64(t.entry);
    if ((bits & 0b111n) !== 0b011n || bits >> 54n !== 0n) continue;
    view.setBigUint64(Number(t.entry - MEM_BASE), bits | 0b100n, true);
    return { vaddr: t.va & ~0xfffn, paddr: 0n, size: PageSize.Size4K, flags: 0, level: -1, bits };
  }
  throw new Error('no read-only 4K leaf to corrupt');
}
