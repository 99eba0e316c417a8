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
import { Access, faultKindOf, hex, type LeafMapping, PageSize, type PageTable64, PhysicalMemory, Privilege } from '@page-table-multiarch/core';
import { RiscvMmu, Sv39PageTable, Sv48PageTable, Sv57PageTable } from '@page-table-multiarch/riscv';
import { CSR, RV, RV_MRET, RV_SFENCE_VMA, RV_SPIN, rvAddi, rvCsrw, rvLd } from './_boot-code';
import { Checker, type RunResult } from './_check';
import { guestArea, runGuest } from './_driver';
import { Rng, writeWords } from './_layout';
import type { GdbRemote } from '@page-table-multiarch/cli';
import { compareAtTheEnd, ProbeComparison } from './_mmu-check';
import { startQemu } from './_qemu';
import { buildMmuTables, type ProbeTarget } from './_rv-mmu-layout';
import { MCSR, RV_ECALL, rvBeq, rvBne, rvCsrr, rvJal, rvSd } from './_rv64';

// mstatus fields (privileged spec 3.1.6): MPP bits 12:11, MPRV 17, SUM 18, MXR 19; menvcfg.ADUE bit 61 (Svadu).
const MPP_M = 3n << 11n;
const MPRV = 1n << 17n;
const SUM = 1n << 18n;
const MXR = 1n << 19n;
const ADUE = 1n << 61n;

const MEM_BASE = 0x8000_0000n; // RAM of the virt machine
const MEM_SIZE = 8 << 20;
/** The data region every leaf points into: 64 KiB at a 2 MiB-aligned address, each u64 = (its address << 32) | ECALL. */
const DATA = MEM_BASE + 0x20_0000n;
const DATA_BYTES = 0x1_0000;
const PROBE_BYTES = 40; // va, mstatus, kind, entry address, value to store
const RESULT_BYTES = 32; // mcause, mtval, value loaded, entry after
const AREA = guestArea(MEM_BASE, MEM_SIZE, 1 << 20, RESULT_BYTES);
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

// Registers (ABI names): a0 list, a1 count, a2 results, a3 M-mode mstatus; t0-t4 and s1-s4 the program's own.
const { zero, t0, t1, t2, t3 } = RV;
const t4 = 29;
const t5 = 30;
const [s1, s2, s3, s4, a0, a1, a2, a3] = [9, 18, 19, 20, 10, 11, 12, 13];

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
  const after = w.length;
  w.push(rvLd(s4, t3, 0), rvSd(s1, a2, 0), rvSd(s2, a2, 8), rvSd(s3, a2, 16), rvSd(s4, a2, 24));
  w.push(rvAddi(a0, a0, PROBE_BYTES), rvAddi(a2, a2, RESULT_BYTES), rvAddi(a1, a1, -1), 0);
  w[w.length - 1] = rvBne(a1, zero, at(loop, w.length - 1));
  const end = w.length;
  w.push(RV_SPIN);
  const handler = w.length;
  w.push(rvCsrw(CSR.mstatus, a3), rvCsrr(s1, MCSR.mcause), rvCsrr(s2, MCSR.mtval), 0);
  w[w.length - 1] = rvJal(zero, at(after, w.length - 1));
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

const ACCESS_NAMES = ['load', 'store', 'fetch'] as const;

function probeName(p: Probe): string {
  return `${ACCESS_NAMES[p.access]} ${p.privilege === Privilege.USER ? 'U' : 'S'} SUM=${p.sum ? 1 : 0} MXR=${p.mxr ? 1 : 0} (${p.target.kind})`;
}

/**
 * What a store probe writes: bit 63 and its index + 1 in the high word, and ECALL in the low one (so that fetches
 * from the data region still trap straight back). The data region's initial words, (address << 32) | ECALL, differ
 * from every marker. Bit 63 (N) keeps both kinds of word a reserved encoding when a leaf whose R, W and X are clear
 * makes a walk read the data region as a table (4.3.2 step 3, Svnapot not implemented here).
 */
function marker(i: number): bigint {
  return (1n << 63n) | (BigInt(i + 1) << 32n) | BigInt(RV_ECALL);
}

/** The probe that wrote a data word (a marker), if any. */
function writerOf(order: readonly Probe[], value: bigint): Probe | undefined {
  return value >> 63n === 1n ? order[Number((value >> 32n) & 0x7fff_ffffn) - 1] : undefined;
}

/** Text of QEMU's outcome: "ok" and the u64 a load read, or "cause N tval 0x...". */
function theirOutcome(p: Probe, mcause: bigint, mtval: bigint, value: bigint): string {
  // a fetch that translated ran the ECALL there: environment call from U-mode (8) or S-mode (9)
  if (p.access === Access.EXECUTE && mcause === 8n + BigInt(p.privilege)) return 'ok';
  if (p.access !== Access.EXECUTE && mcause === 0n) return p.access === Access.READ ? `ok ${hex(value)}` : 'ok';
  return `cause ${mcause} tval ${hex(mtval)}`;
}

/**
 * The model's outcome for probe `i`, in the same form; a store writes its marker, and a load reads, at the physical
 * address the model gave, in the model's memory (whose data region then follows QEMU's, word for word).
 */
function ourOutcome(p: Probe, i: number, mmu: RiscvMmu, ours: PhysicalMemory, r: number): string {
  if (r < 0) return `cause ${mmu.cause} tval ${hex(p.target.va)}`;
  const pa = (BigInt(mmu.paHi) << 32n) | BigInt(mmu.paLo);
  // every leaf points into the data region; anything else is a defect of the run, which the comparison shows
  if (pa < DATA || pa >= DATA + BigInt(DATA_BYTES)) return `ok, outside the data region: ${hex(pa)}`;
  if (p.access === Access.EXECUTE) return 'ok';
  if (p.access === Access.WRITE) {
    ours.writeU64(pa, marker(i));
    return 'ok';
  }
  return `ok ${hex(ours.readU64(pa))}`;
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
  if (order.length * PROBE_BYTES > Number(AREA.results - AREA.list) || order.length * RESULT_BYTES > AREA.bytes - Number(AREA.results - AREA.base)) {
    throw new Error(`${order.length} probes do not fit the guest area`);
  }
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

/** PMP, satp and menvcfg.ADUE through the gdb stub. */
async function setUpHart(gdb: GdbRemote, satp: bigint, svadu: boolean): Promise<void> {
  // one NAPOT PMP entry over all memory with R, W and X, as firmware sets up (privileged spec 3.7)
  await gdb.writeRegister('pmpaddr0', (1n << 54n) - 1n);
  await gdb.writeRegister('pmpcfg0', 0x1fn);
  await gdb.writeRegister('satp', satp);
  if ((await gdb.readRegister('satp')) !== satp) throw new Error(`QEMU refused satp ${hex(satp)}`);
  // menvcfg.ADUE (bit 61) is writable only on a hart with Svadu (QEMU 10: svadu=true by default); QEMU 7.2 has no
  // such bit and always sets A / D itself, which is the same behaviour as ADUE = 1
  const regs = await gdb.registers();
  let adueWritable = false;
  if (regs.has('menvcfg')) {
    await gdb.writeRegister('menvcfg', ADUE);
    adueWritable = ((await gdb.readRegister('menvcfg')) & ADUE) !== 0n;
    if (adueWritable && !svadu) await gdb.writeRegister('menvcfg', 0n);
  }
  if (!adueWritable && !svadu) throw new Error('this QEMU has no menvcfg.ADUE: it always sets A / D itself');
}

/** Builds a random table, runs every probe in QEMU and through RiscvMmu, and compares. */
export async function checkRiscvMmu(options: RiscvMmuOptions): Promise<RiscvMmuResult> {
  const scheme = SCHEMES[options.scheme];
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(AREA.base, AREA.bytes);
  memory.reserve(DATA, DATA_BYTES);
  for (let pa = DATA; pa < DATA + BigInt(DATA_BYTES); pa += 8n) memory.writeU64(pa, (pa << 32n) | BigInt(RV_ECALL));
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
  });
  const order = writeProbes(memory, layout.targets, options.seed);
  const prog = rvMmuProgram();
  writeWords(memory, AREA.base, prog.words);

  // the model's memory: the same bytes, before QEMU (or the model) changes any
  const ours = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  ours.writeBytes(MEM_BASE, memory.bytes());
  const satp = (scheme.mode << 60n) | (table.rootPaddr >> 12n);
  const image = memory.bytes().slice();
  let tampered: LeafMapping | null = null;
  if (options.tamper === true) tampered = tamperOne(image, layout.targets, ours);

  const checker = new Checker();
  const compare = new ProbeComparison(checker);
  let adUpdates = 0;
  const qemu = await startQemu({
    binary: options.binary,
    machine: ['-M', 'virt', '-bios', 'none', '-cpu', 'rv64,svpbmt=off,svnapot=off', '-m', '128M'],
    images: [{ addr: MEM_BASE, bytes: image }],
  });
  let log = '';
  try {
    const gdb = qemu.gdb;
    await setUpHart(gdb, satp, options.svadu);
    await gdb.writeRegister('mtvec', AREA.base + BigInt(prog.handler * 4));
    const view = await runGuest(gdb, {
      regs: [
        ['a0', AREA.list],
        ['a1', BigInt(order.length)],
        ['a2', AREA.results],
        ['a3', MPP_M],
        ['pc', AREA.base],
      ],
      end: AREA.base + BigInt(prog.end),
      counter: 'a1',
      area: AREA,
      count: order.length,
    });
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
      compare.probe(va, probeName(p), kind, ourOutcome(p, i, mmu, ours, r), theirOutcome(p, at(0), at(1), at(2)));
      checker.check(va, `${probeName(p)}: entry after`, hex(ours.readU64(p.target.entry ?? ZERO)), hex(at(3)));
    });
    await compareAtTheEnd(gdb, checker, {
      entries: layout.entries,
      entryBytes: 8,
      entryName: 'entry',
      ours,
      data: DATA,
      dataBytes: DATA_BYTES,
      wordBytes: 8,
      vaOfWord: (want, got) => (writerOf(order, got) ?? writerOf(order, want))?.target.va,
    });
  } finally {
    log = qemu.stderr();
    await qemu.close();
  }
  checker.addresses = layout.targets.length;
  for (const t of layout.targets) if (t.size > 0) checker.pageSizes.set(t.size, (checker.pageSizes.get(t.size) ?? 0) + 1);
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
