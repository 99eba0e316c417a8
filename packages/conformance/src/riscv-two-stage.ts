// RISC-V two-stage translation: QEMU's MMU against RiscvMmu over a RiscvGStageMmu (VS-stage over G-stage), access by
// access. A probe program in M-mode enters VS-mode or VU-mode for every probe with SRET (hstatus.SPV = 1, sstatus.SPP =
// S or U; privileged spec, chapter "Hypervisor Extension", "Trap Return": SRET executed with V = 0 sets V to SPV), at a
// small stub mapped in both stages that makes the access (a load, a store, or a jump to the address) and then ECALL
// (cause 10 from VS-mode, 8 from VU-mode). Every trap comes back to M-mode (medeleg = 0), whose handler records mcause,
// mtval, mtval2 and mtinst ("Trap Entry": a trap into M-mode writes mtval2 and mtinst) and resumes the list. Before
// each probe the program runs HFENCE.GVMA and HFENCE.VVMA with x0, x0 ("Memory-Management Fences"), so that each access
// is a fresh walk of both stages, as the model's are.
//
// The tables: the guest-physical space is the host's RAM, identity-mapped by the G-stage (Sv39x4 or Sv48x4) as 4 KiB
// pages, and again at 4 GiB by one 1 GiB G-stage leaf; the VS-stage is a random Sv39 (or Sv48) table with every
// encoding of the single-stage runs (src/_rv-mmu-layout.ts), some leaves sent through the 4 GiB alias or to a
// guest-physical address wider than the G-stage's 41 (50) bits. The G-stage leaves of some VS-stage table pages, and of
// the data pages, get random flags: walks then fault in the G-stage (htval = the entry's guest-physical address >> 2,
// htinst 0x3000), outputs too.
//
// QEMU writes A / D into a VS-stage entry without the G-stage store check (DEFECTS.riscvVsAdWrite): where the model
// refuses that write (a read-only G-stage page of a VS-stage table, under Svadu), the comparison is counted as skipped
// and the model takes QEMU's entry, then makes the access again, so that both memories stay the same. What the run does
// not make, and why: a G-stage page of a VS-stage table that is writable with D = 0 under Svadu (QEMU would leave that
// D clear, the model sets it); a G-stage page of a VS-stage table that is executable but not readable (whether MXR
// reaches the walk's implicit loads differs between editions of the spec); MXR on QEMU 7.2, whose G-stage takes MXR
// from vsstatus (DEFECTS.riscvGStageMxr). Where QEMU 7.2 reports a G-stage fault of the walk as a load's
// (DEFECTS.riscvWalkFaultAsLoad), that comparison is counted as skipped.
import { Access, faultKindOf, hex, MappingFlags, PageSize, type PageTable64, type PhysicalMemory, Privilege } from '@page-table-multiarch/core';
import { RiscvGStageMmu, RiscvMmu, Sv39PageTable, Sv39x4PageTable, Sv48PageTable, Sv48x4PageTable } from '@page-table-multiarch/riscv';
import { CSR, RV, RV_SFENCE_VMA, rvAddi, rvCsrw, rvLd } from './_boot-code';
import { Checker, type RunResult } from './_check';
import { affects, DEFECTS } from './_defects';
import { Rng, writeWords } from './_layout';
import { ACCESS_NAMES, assertProbesFit, compareAtTheEnd, modelCopy, modelDataAccess, ProbeComparison, withQemu } from './_mmu-check';
import type { ProbeTarget } from './_mmu-layout';
import { buildMmuTables } from './_rv-mmu-layout';
import { DATA, DATA_BYTES, MEM_BASE, MPP_M, marker, runProbeProgram, rvArea, rvProbeLoopEnd, rvRunMemory, setAdUpdates, setUpTranslation } from './_rv-mmu-guest';
import { HCSR, RV_ECALL, RV_HFENCE_GVMA, RV_HFENCE_VVMA, RV_SRET, rvJalr, rvSd } from './_rv64';

// CSR fields (privileged spec 20211203): mstatus.SPP bit 8, MPP 12:11, SUM 18, MXR 19 (3.1.6); vsstatus the same
// bits; hstatus.SPV bit 7 (hypervisor chapter, hstatus).
const SPP = 1n << 8n;
const SUM = 1n << 18n;
const MXR = 1n << 19n;
const HSTATUS_SPV = 1n << 7n;
/** htinst of a fault on the VS-stage walk's A / D write (RV64 pseudoinstruction). */
const WALK_WRITE = 0x3020;

/** Identity-mapped by the G-stage as 4 KiB pages: the tables, the data and the stub live here. */
const IDENTITY_BYTES = 4n << 20n;
/**
 * The stub's page (host physical = guest-physical), mapped in the VS-stage at 2^(VA bits - 3) (root entry 64: no
 * window of the random table reaches it) without U, and one page above with U.
 */
const STUB = DATA + BigInt(DATA_BYTES);
/** The 1 GiB G-stage leaf at guest-physical 4 GiB, to host physical MEM_BASE. */
const ALIAS = 0x1_0000_0000n;
/** A guest-physical bit above Sv39x4's 41 and Sv48x4's 50: a guest-page fault. */
const WIDE_BIT = 1n << 51n;
const PROBE_BYTES = 56; // va, mstatus, kind, entry, store value, vsstatus, sepc
const RESULT_BYTES = 48; // mcause, mtval, value loaded, entry after, mtval2, mtinst
const AREA = rvArea(RESULT_BYTES);
const ZERO = AREA.base + 0x8000n;

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
// PTE bits (4.3.1), bigint
const V = 1n;
const R = 2n;
const W = 4n;
const X = 8n;
const U = 16n;
const A = 64n;
const D = 128n;

/** The pairs of stages the runs cover: Sv39 over Sv39x4 (satp / hgatp MODE 8), Sv48 over Sv48x4 (MODE 9). */
export type RiscvTwoStageScheme = 'sv39' | 'sv48';

const SCHEMES = {
  sv39: { mode: 8n, vaBits: 39, vs: (m: PhysicalMemory) => new Sv39PageTable(m), g: (m: PhysicalMemory) => new Sv39x4PageTable(m) },
  sv48: { mode: 9n, vaBits: 48, vs: (m: PhysicalMemory) => new Sv48PageTable(m), g: (m: PhysicalMemory) => new Sv48x4PageTable(m) },
} as const;

/** Options of one run. */
export interface RiscvTwoStageOptions {
  readonly binary: string;
  readonly seed: number;
  /** The VS-stage and G-stage formats (default sv39: Sv39 over Sv39x4). */
  readonly scheme?: RiscvTwoStageScheme;
  /** Leaves of the random VS-stage table (default 90). */
  readonly leaves?: number;
  /** Hardware A / D updates in both stages (menvcfg.ADUE = henvcfg.ADUE = 1); false needs QEMU 8.1 or later. */
  readonly svadu: boolean;
  /** Negative control: U is cleared in QEMU's copy of one fully permissive G-stage leaf of a data page. */
  readonly tamper?: boolean;
}

/** What a run compared, and the model's outcomes by stage and kind. */
export interface RiscvTwoStageResult extends RunResult {
  readonly probes: number;
  /** "ok load", "ok store", "ok fetch", or "<kind> stage <1|2>[ walk]": how often the model gave it. */
  readonly outcomes: ReadonlyMap<string, number>;
  /** Explicit accesses whose guest-page or page fault QEMU reported with the transformed instruction in mtinst. */
  readonly transformed: number;
}

// Registers (ABI names): a0 list, a1 count, a2 results, a3 M-mode mstatus, a4 hstatus with SPV; t0-t6, s1-s7 the
// program's own.
const { zero, t0, t1, t3 } = RV;
const [t5, t6, s1, s2, s3, s5, s6, s7, a0, a4] = [30, 31, 9, 18, 19, 21, 22, 23, 10, 14];

/**
 * The probe program (M-mode, at the area's base) and the stub (VS / VU-mode, at STUB): the handler starts at word
 * `handler`; `end` is the byte offset of the last instruction. A probe is (va, mstatus for SRET, kind, entry to read
 * back, value to store, vsstatus, sepc = the stub for its kind and mode); a result (mcause, mtval, value loaded,
 * entry after, mtval2, mtinst).
 */
export function rvTwoStageProgram(): { words: number[]; handler: number; end: number; stub: number[] } {
  const w: number[] = [];
  const loop = w.length;
  w.push(rvLd(t0, a0, 0), rvLd(t1, a0, 8), rvLd(t3, a0, 24), rvLd(t5, a0, 32), rvLd(t6, a0, 40), rvLd(s5, a0, 48));
  w.push(rvAddi(s1, zero, 0), rvAddi(s2, zero, 0), rvAddi(s3, zero, 0), rvAddi(s6, zero, 0), rvAddi(s7, zero, 0));
  w.push(RV_HFENCE_GVMA, RV_HFENCE_VVMA, RV_SFENCE_VMA);
  w.push(rvCsrw(HCSR.vsstatus, t6), rvCsrw(HCSR.sepc, s5), rvCsrw(HCSR.hstatus, a4), rvCsrw(CSR.mstatus, t1), RV_SRET);
  const { end, handler } = rvProbeLoopEnd(w, loop, PROBE_BYTES, RESULT_BYTES, [
    { reg: s6, csr: HCSR.mtval2 },
    { reg: s7, csr: HCSR.mtinst },
  ]);
  // the stub: a load (offset 0), a store (8), a fetch (16: a jump to the address, whose word is ECALL)
  const stub = [rvLd(s3, t0, 0), RV_ECALL, rvSd(t5, t0, 0), RV_ECALL, rvJalr(zero, t0, 0)];
  return { words: w, handler, end: end * 4, stub };
}

/** One access: a target, a kind, a privilege, vsstatus.SUM, vsstatus.MXR and the HS-level MXR. */
interface Probe {
  readonly target: ProbeTarget;
  readonly access: 0 | 1 | 2;
  readonly privilege: 0 | 1;
  readonly sum: boolean;
  readonly vsMxr: boolean;
  readonly hsMxr: boolean;
}

function probeName(p: Probe): string {
  const mode = p.privilege === Privilege.USER ? 'VU' : 'VS';
  return `${ACCESS_NAMES[p.access]} ${mode} SUM=${p.sum ? 1 : 0} vsMXR=${p.vsMxr ? 1 : 0} MXR=${p.hsMxr ? 1 : 0} (${p.target.kind})`;
}

/**
 * The transformed instruction QEMU may write to mtinst for a fault of the stub's explicit load or store (hypervisor
 * chapter, "Transformed Instruction or Pseudoinstruction": rs1 replaced by the address offset, 0 here, and the
 * immediate zero): `ld s3, 0(x0)` and `sd t5, 0(x0)`. The spec allows zero as well, which the model gives.
 */
const TRANSFORMED = [rvLd(s3, 0, 0), rvSd(t5, 0, 0)] as const;

/** The G-stage table, the leaves the run rewrote in it, and where the leaf of a guest-physical page is. */
interface GStage {
  readonly table: PageTable64;
  readonly rewritten: readonly bigint[];
  readonly leafOf: (gpa: bigint) => bigint;
}

/**
 * The G-stage: identity 4K pages, the 1G alias; random flags on some of the pages of the VS-stage tables (those of
 * `vsEntries`, but the root's at `vsRoot`) and on some data pages.
 */
function buildGStage(memory: PhysicalMemory, rng: Rng, gs: PageTable64, vsEntries: readonly { readonly pa: bigint }[], vsRoot: bigint): GStage {
  const g = gs.cursor();
  g.mapRegion(MEM_BASE, MEM_BASE, IDENTITY_BYTES, READ | WRITE | EXECUTE, false);
  g.map(ALIAS, MEM_BASE, PageSize.Size1G, READ | WRITE | EXECUTE);
  g.flush();
  const gLeaf = (gpa: bigint): bigint => gStageLeaf(memory, gs.rootPaddr, gs.meta.levels, gpa);
  const tablePages = new Set<bigint>();
  for (const e of vsEntries) tablePages.add(e.pa & ~0xfffn);
  tablePages.delete(vsRoot); // the stub is reached through the root: its page stays open
  const rewritten: bigint[] = [];
  /** Rewrites the flags (bits 9:0) of the G-stage leaf of `gpa`, and sets `high` bits in it. */
  const setFlags = (gpa: bigint, low: bigint, high = 0n): void => {
    const at = gLeaf(gpa);
    memory.writeU64(at, (memory.readU64(at) & ~0x3ffn) | low | high);
    rewritten.push(at);
  };
  // table pages: not valid, without U, reserved bit 55, A = 0 (set, or a fault with Svade), read-only
  const tableFlags: [bigint, bigint][] = [
    [R | W | X | U | A | D, 0n],
    [V | R | W | X | A | D, 0n],
    [V | R | W | X | U | A | D, 1n << 55n],
    [V | R | W | X | U | D, 0n],
    [V | R | U | A | D, 0n],
  ];
  // each kind on one table page at least (the root's excepted), a few more at random
  const pages = rng.shuffle([...tablePages]);
  for (let i = 0; i < pages.length && i < tableFlags.length + 2; i++) setFlags(pages[i]!, ...tableFlags[i % tableFlags.length]!);
  // data pages: V mostly, U mostly, the rest at random
  for (let page = DATA; page < DATA + BigInt(DATA_BYTES); page += 0x1000n) {
    if (!rng.ratio(1, 2)) continue;
    setFlags(page, BigInt(rng.below(256)) | (rng.ratio(4, 5) ? V | U : 0n) | (rng.ratio(1, 2) ? R | A : 0n));
  }
  return { table: gs, rewritten, leafOf: gLeaf };
}

/** Builds the two stages, runs every probe in QEMU and through the model, and compares. */
export async function checkRiscvTwoStage(options: RiscvTwoStageOptions): Promise<RiscvTwoStageResult> {
  const rng = new Rng(options.seed ^ 0x2_5a6e);
  const scheme = SCHEMES[options.scheme ?? 'sv39'];
  const stubS = 1n << BigInt(scheme.vaBits - 3);
  const stubU = stubS + 0x1000n;
  const mxrOk = !affects(options.binary, DEFECTS.riscvGStageMxr);
  // (the stub's page after the data region too)
  const memory = rvRunMemory(AREA, 0x1000);
  const prog = rvTwoStageProgram();
  writeWords(memory, STUB, prog.stub);

  // the VS-stage: the single-stage runs' random table, the stub's two pages, some leaves through the alias or wide
  const vs = scheme.vs(memory);
  const layout = buildMmuTables(vs, memory, {
    seed: options.seed,
    leaves: options.leaves ?? 90,
    vaBits: scheme.vaBits,
    sizes: [
      [PageSize.Size4K, 6],
      [PageSize.Size2M, 3],
      [PageSize.Size1G, 2],
    ],
    data: DATA,
    dataBytes: DATA_BYTES,
  });
  const stubs = vs.cursor();
  stubs.map(stubS, STUB, PageSize.Size4K, READ | EXECUTE);
  stubs.map(stubU, STUB, PageSize.Size4K, READ | EXECUTE | USER);
  stubs.flush();
  const targets = layout.targets.map((t) => {
    if (t.entry === null || !t.kind.startsWith('leaf') || t.kind.includes('misaligned')) return t;
    const pick = rng.below(10);
    if (pick >= 3) return t;
    const bits = memory.readU64(t.entry);
    const moved = pick < 2 ? bits + ((ALIAS - MEM_BASE) >> 2n) : bits | (WIDE_BIT >> 2n); // PPN is bits 53:10
    memory.writeU64(t.entry, moved);
    return { ...t, kind: `${t.kind}, ${pick < 2 ? 'G-stage 1G alias' : 'guest-physical too wide'}` };
  });

  const { table: gs, rewritten, leafOf: gLeaf } = buildGStage(memory, rng, scheme.g(memory), layout.entries, vs.rootPaddr);
  const hgatp = (scheme.mode << 60n) | (gs.rootPaddr >> 12n);
  const vsatp = (scheme.mode << 60n) | (vs.rootPaddr >> 12n);

  const order = writeProbes(memory, targets, rng, mxrOk, stubS, stubU);
  writeWords(memory, AREA.base, prog.words);
  const { ours, image } = modelCopy(memory);
  let tampered: RiscvTwoStageResult['tampered'] = null;
  if (options.tamper === true) tampered = tamperOne(image, ours, gLeaf);

  const checker = new Checker();
  const compare = new ProbeComparison(checker);
  let transformed = 0;
  const walkAsLoad = affects(options.binary, DEFECTS.riscvWalkFaultAsLoad);
  const machine = ['-M', 'virt', '-bios', 'none', '-cpu', 'rv64,h=true,svpbmt=off,svnapot=off', '-m', '128M'];
  const log = await withQemu(options.binary, machine, MEM_BASE, image, async ({ gdb }) => {
    await setUpTranslation(gdb, [
      ['hgatp', hgatp],
      ['vsatp', vsatp],
    ]);
    // menvcfg.ADUE turns A / D updates on for the G-stage, henvcfg.ADUE (with it) for the VS-stage (Svadu)
    await setAdUpdates(gdb, ['menvcfg', 'henvcfg'], options.svadu);
    const hstatus = (await gdb.readRegister('hstatus')) | HSTATUS_SPV;
    const view = await runProbeProgram(gdb, AREA, prog, order.length, [['a4', hstatus]]);
    const gstage = new RiscvGStageMmu(ours, { hgatp, svadu: options.svadu });
    const mmu = new RiscvMmu(ours, { satp: vsatp, svadu: options.svadu, secondStage: gstage });
    order.forEach((p, i) => {
      const at = (k: number): bigint => view.getBigUint64(RESULT_BYTES * i + 8 * k, true);
      gstage.mxr = p.hsMxr;
      mmu.sum = p.sum;
      mmu.mxr = p.vsMxr || p.hsMxr;
      const va = p.target.va;
      const r = mmu.translateWords(Number(va & 0xffff_ffffn), Number(va >> 32n), p.access, p.privilege);
      const kind = r === 0 ? `ok ${ACCESS_NAMES[p.access]}` : `${faultKindOf(r)} stage ${mmu.faultStage}${mmu.faultOnWalk ? ' walk' : ''}`;
      compare.count(kind);
      checker.probes++;
      const mcause = at(0);
      // mtinst: the pseudoinstruction for a fault on the walk, else 0 (or the transformed instruction QEMU may give)
      let theirInsn = at(5);
      if (p.access !== Access.EXECUTE && theirInsn === BigInt(TRANSFORMED[p.access])) {
        transformed++;
        theirInsn = 0n;
      }
      if (r < 0 && mmu.htinst === WALK_WRITE) {
        // QEMU wrote A / D without the G-stage store check: take its entry, and make the access again
        const theirs = theirOutcome(p, mcause, at(1), at(2), at(4));
        checker.skip(DEFECTS.riscvVsAdWrite.text, `cause ${mmu.cause}` !== theirs.slice(0, `cause ${mmu.cause}`.length));
        if (p.target.entry !== null) ours.writeU64(p.target.entry, at(3));
        const again = mmu.translateWords(Number(va & 0xffff_ffffn), Number(va >> 32n), p.access, p.privilege);
        checker.check(va, `${probeName(p)} (again, with QEMU's A / D)`, ourOutcome(p, i, mmu, ours, again), theirs);
        return;
      }
      const want = ourOutcome(p, i, mmu, ours, r);
      const got = theirOutcome(p, mcause, at(1), at(2), at(4));
      if (walkAsLoad && r < 0 && mmu.faultOnWalk && p.access !== Access.READ) checker.skip(DEFECTS.riscvWalkFaultAsLoad.text, want !== got);
      else checker.check(va, probeName(p), want, got);
      checker.check(va, `${probeName(p)}: mtinst`, hex(r < 0 ? BigInt(mmu.htinst) : 0n), hex(theirInsn));
      checker.check(va, `${probeName(p)}: entry after`, hex(ours.readU64(p.target.entry ?? ZERO)), hex(at(3)));
    });
    const entries = [...layout.entries, ...rewritten.map((pa) => ({ pa, va: pa }))];
    await compareAtTheEnd(gdb, checker, { entries, ours, data: DATA, dataBytes: DATA_BYTES });
  });
  checker.addresses = targets.length;
  return { checker, samples: [], tampered, log, code: [{ addr: AREA.base, words: prog.words }], probes: order.length, outcomes: compare.outcomes, transformed };
}

/**
 * The host physical address of the G-stage leaf of a 4 KiB guest-physical page in a table of `levels` levels (the
 * root index has 11 bits, the others 9: Sv39x4 40:30, 29:21, 20:12; Sv48x4 49:39 first).
 */
function gStageLeaf(memory: PhysicalMemory, root: bigint, levels: number, gpa: bigint): bigint {
  let table = root;
  for (let level = 0; ; level++) {
    const shift = BigInt(12 + 9 * (levels - 1 - level));
    const at = table + ((gpa >> shift) & (level === 0 ? 2047n : 511n)) * 8n;
    if (level === levels - 1) return at;
    table = ((memory.readU64(at) >> 10n) & ((1n << 44n) - 1n)) << 12n;
  }
}

/**
 * Every probe of every target (access x privilege x vsstatus.SUM, with one of the four MXR pairs where QEMU's
 * G-stage MXR is right, else none), in a seeded random order, written to the list.
 */
function writeProbes(memory: PhysicalMemory, targets: readonly ProbeTarget[], rng: Rng, mxrOk: boolean, stubS: bigint, stubU: bigint): Probe[] {
  const probes: Probe[] = [];
  for (const target of targets) {
    for (const access of [0, 1, 2] as const)
      for (const privilege of [0, 1] as const)
        for (const sum of [false, true]) {
          const mxr = mxrOk ? rng.below(4) : 0;
          probes.push({ target, access, privilege, sum, vsMxr: (mxr & 1) !== 0, hsMxr: (mxr & 2) !== 0 });
        }
  }
  const order = rng.shuffle(probes);
  assertProbesFit(order.length, { start: AREA.list, end: AREA.results, stride: PROBE_BYTES }, { start: AREA.results, end: AREA.base + BigInt(AREA.bytes), stride: RESULT_BYTES });
  order.forEach((p, i) => {
    const at = AREA.list + BigInt(i * PROBE_BYTES);
    memory.writeU64(at, p.target.va);
    memory.writeU64(at + 8n, MPP_M | (p.privilege === Privilege.SUPERVISOR ? SPP : 0n) | (p.hsMxr ? MXR : 0n));
    memory.writeU64(at + 16n, BigInt(p.access));
    memory.writeU64(at + 24n, p.target.entry ?? ZERO);
    memory.writeU64(at + 32n, marker(i));
    memory.writeU64(at + 40n, (p.sum ? SUM : 0n) | (p.vsMxr ? MXR : 0n));
    memory.writeU64(at + 48n, (p.privilege === Privilege.SUPERVISOR ? stubS : stubU) + BigInt(8 * p.access));
  });
  return order;
}

/** The model's outcome: "ok" (and the u64 a load read), or the trap's cause, tval and htval. */
function ourOutcome(p: Probe, i: number, mmu: RiscvMmu, ours: PhysicalMemory, r: number): string {
  if (r < 0) return `cause ${mmu.cause} tval ${hex(p.target.va)} htval ${hex((BigInt(mmu.htvalHi) << 32n) | BigInt(mmu.htvalLo))}`;
  return modelDataAccess(ours, p.access, (BigInt(mmu.paHi) << 32n) | BigInt(mmu.paLo), DATA, DATA_BYTES, marker(i));
}

/** QEMU's outcome in the same form: ECALL from VS-mode (10) or VU-mode (8) after the access is "ok". */
function theirOutcome(p: Probe, mcause: bigint, mtval: bigint, value: bigint, mtval2: bigint): string {
  const ecall = p.privilege === Privilege.SUPERVISOR ? 10n : 8n;
  if (mcause === ecall) return p.access === Access.READ ? `ok ${hex(value)}` : 'ok';
  return `cause ${mcause} tval ${hex(mtval)} htval ${hex(mtval2)}`;
}

/**
 * The negative control: clears U in QEMU's copy of the G-stage leaf of a data page that a VS-stage 4K leaf maps and
 * the G-stage left fully open, so that QEMU refuses what the model allows. Returns that page.
 */
function tamperOne(image: Uint8Array, ours: PhysicalMemory, gLeaf: (gpa: bigint) => bigint): RiscvTwoStageResult['tampered'] {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (let page = DATA; page < DATA + BigInt(DATA_BYTES); page += 0x1000n) {
    const at = gLeaf(page);
    const bits = ours.readU64(at);
    if ((bits & 0xffn) !== (V | R | W | X | U | A | D)) continue;
    view.setBigUint64(Number(at - MEM_BASE), bits & ~U, true);
    return { vaddr: page, paddr: page, size: PageSize.Size4K, flags: 0, level: -1, bits };
  }
  throw new Error('no open data page to corrupt');
}
