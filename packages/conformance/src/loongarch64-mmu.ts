// LoongArch64: QEMU's MMU against the library's MMU model (LA64Mmu), access by access.
// A guest program at PLV0 works through a list of probes, each a virtual address, an access kind (load, store,
// fetch) and a privilege level (PLV0 or PLV3). For each it flushes the TLB, sets PRMD.PPLV and ERA and returns
// (ERTN) into a two-instruction stub, running at that level in a direct mapping window, that makes the access and
// then SYSCALL. The TLB-refill handler is Linux's (LDDIR / LDPTE / TLBFILL), as in the table check
// (loongarch64.ts). Every exception comes to one handler, which records ESTAT and BADV and returns to PLV0 past the
// probe: SYS (Ecode 0xB) means the access went through. Every word of the data region the leaves point at is
// SYSCALL in its low half, so a fetch that translates traps straight back; a store writes SYSCALL (ST.W) over the
// low half, the value already there. The same probes go through LA64Mmu over the same memory: the outcome (the
// u64 a load read, or Ecode / EsubCode / BADV) must be the same.
// Source: LoongArch Reference Manual, Volume 1 (v1.10): 4.2.6.1 ERTN (PLV from PRMD.PPLV, PC from ERA); 7.4.2
// PRMD; 7.4.5 ESTAT (Ecode bits 21:16, EsubCode 30:22); 7.4.8 BADV; 7.5.10 DMW (PLV0 and PLV3 enable bits 0, 3).
// QEMU: target/loongarch/tcg/tlb_helper.c (loongarch_map_tlb_entry, raise_mmu_exception) and four defects of
// DEFECTS: la16kTargetPage (7.2: a load through a 4K page is compared with the word QEMU reaches), laLdpteHighBits (7.2) and laLddirHighBits (both): for those entries the model runs over a copy of the
// memory with NR / NX / RPLV cleared in them, as QEMU's LDPTE / LDDIR see them, and the run counts the probes where
// that changes the outcome; laFetchFault (both): a fetch that would raise PPI or PNX hangs QEMU, so those fetches
// are not made (the model's outcome for them is checked by the package's own tests) and the run counts them.
import { Access, faultKindOf, hex, PageSize, PhysicalMemory, Privilege } from '@page-table-multiarch/core';
import { LA64Ecode, LA64Mmu, LA64PageTable, PWCH_VALUE, PWCL_VALUE } from '@page-table-multiarch/loongarch64';
import type { RunResult } from './_check';
import { Checker } from './_check';
import { affects, DEFECTS } from './_defects';
import { guestArea, runGuest } from './_driver';
import { addD, addiD, b, bne, csrrd, csrwr, ERTN, invtlb, jirl, la64Refill, la64Setup, LaCsr, LaReg, ldD, or, stD, stW, syscall } from './_la64';
import { Rng, writeWords } from './_layout';
import { ACCESS_NAMES, fillData, ProbeComparison, withQemu } from './_mmu-check';

const MEM_BASE = 0x100_0000n;
const MEM_SIZE = 8 << 20;
/** The data region every leaf points into: 2 MiB, 2 MiB-aligned; each u64 is (its address << 32) | SYSCALL 0. */
const DATA = MEM_BASE + 0x40_0000n;
const DATA_BYTES = 0x20_0000;
const PROBE_BYTES = 24; // va, stub offset, PRMD
const RESULT_BYTES = 24; // ESTAT, BADV, value loaded
const AREA = guestArea(MEM_BASE, MEM_SIZE, 1 << 20, RESULT_BYTES);
const REFILL = AREA.base + 0x1000n;
const HANDLER = AREA.base + 0x2000n;
const STUBS = AREA.base + 0x3000n;
const DMW_VSEG = 0x9n;
const dmw = (pa: bigint): bigint => (DMW_VSEG << 60n) | pa;
// DMW0 [7.5.10]: VSEG 9, MAT 1 (coherent cached), PLV0 and PLV3 enabled, so that the stubs run at either level
const DMW0 = (DMW_VSEG << 60n) | (1n << 4n) | (1n << 3n) | 1n;
// CRMD [7.4.1]: PLV 0, interrupts off, DA 0, PG 1, DATF = DATM = 1
const CRMD_PAGING = (1n << 4n) | (1n << 5n) | (1n << 7n);
const ECODE_SYS = 0xb;
const SYSCALL = syscall(0);

const R = LaReg;

/**
 * The probe program: `main` at the area's base, `refill` (TLBRENTRY), `handler` (EENTRY) and `stubs` (one pair of
 * instructions per access kind: the access, then SYSCALL 0). In: the registers of la64Setup, t0 the
 * probe list, t1 its length, t2 the results, r22 the stubs (their window address), r29 where the handler returns
 * to, r25 the SYSCALL word a store writes. Each probe is (va, stub offset, PRMD); each result (ESTAT, BADV, value).
 */
export function la64MmuProgram(): { main: number[]; refill: number[]; handler: number[]; stubs: number[]; after: number; done: number } {
  const main = la64Setup();
  const loop = main.length;
  main.push(
    ldD(17, R.t0, 0), // r17 = va
    ldD(18, R.t0, 8), // r18 = the stub's offset
    ldD(19, R.t0, 16), // r19 = PRMD: PPLV of the access, interrupts off
    invtlb(0, R.zero, R.zero),
    or(20, R.zero, R.zero),
    or(21, R.zero, R.zero),
    or(24, R.zero, R.zero),
    csrwr(19, LaCsr.PRMD),
    addD(23, 22, 18),
    csrwr(23, LaCsr.ERA),
    ERTN, // into the stub, at PPLV [4.2.6.1]
  );
  const after = main.length * 4;
  main.push(stD(20, R.t2, 0), stD(21, R.t2, 8), stD(24, R.t2, 16), addiD(R.t2, R.t2, RESULT_BYTES), addiD(R.t0, R.t0, PROBE_BYTES), addiD(R.t1, R.t1, -1));
  main.push(bne(R.t1, R.zero, loop - main.length));
  const done = main.length * 4;
  main.push(b(0));
  const refill = la64Refill(4);
  // every other exception (SYS included): ESTAT and BADV, then back to PLV0 at `after`
  const handler = [csrrd(20, LaCsr.ESTAT), csrrd(21, LaCsr.BADV), or(27, R.zero, R.zero), csrwr(27, LaCsr.PRMD), or(27, 29, R.zero), csrwr(27, LaCsr.ERA), ERTN];
  const stubs = [ldD(24, 17, 0), SYSCALL, stW(25, 17, 0), SYSCALL, jirl(R.zero, 17, 0), SYSCALL];
  return { main, refill, handler, stubs, after, done };
}

/** One access: an address, a kind, a privilege level (PLV0 for SUPERVISOR, PLV3 for USER). */
interface Probe {
  readonly va: bigint;
  readonly access: 0 | 1 | 2;
  readonly privilege: 0 | 1;
  readonly what: string;
}

/** Options of one run. */
export interface La64MmuOptions {
  readonly binary: string;
  readonly seed: number;
  /** Leaves in the random table (default 100). */
  readonly leaves?: number;
  /** Negative control: D is set in one read-only 4K leaf of QEMU's image (not in the model's). */
  readonly tamper?: boolean;
}

/** What a run compared, and the model's outcomes by kind (so that a test can see that every case occurred). */
export interface La64MmuResult extends RunResult {
  readonly probes: number;
  readonly outcomes: ReadonlyMap<string, number>;
}

/** The physical address of the entry of `va` at `level` (Dir3 47:39, Dir2 38:30, Dir1 29:21, PT 20:12). */
function entryAt(memory: PhysicalMemory, root: bigint, va: bigint, level: number): bigint {
  let table = root;
  for (let l = 0; ; l++) {
    const at = table + ((va >> BigInt(39 - 9 * l)) & 511n) * 8n;
    if (l === level) return at;
    table = memory.readU64(at) & 0xffff_ffff_f000n;
  }
}

interface Leaf {
  readonly va: bigint;
  readonly size: number;
  readonly entry: bigint;
}

/**
 * A random table: 4K and 2M leaves in both halves with every flag set, pointing into the data region; then, written
 * bit by bit, RPLV on some leaves, PLV 1 or 2 on others and V cleared on a few (the API writes none of these).
 */
function buildTable(memory: PhysicalMemory, table: LA64PageTable, rng: Rng, count: number): Leaf[] {
  const leaves: Leaf[] = [];
  using cursor = table.cursor();
  while (leaves.length < count) {
    const huge = rng.ratio(1, 5);
    const size = huge ? PageSize.Size2M : PageSize.Size4K;
    const upper = rng.ratio(1, 3);
    // a page in one of 64 slots of 1 GiB at each end of the half, so that tables are shared
    const slot = BigInt(rng.below(64)) << 30n;
    const off = rng.belowBig(1n << 30n) & ~(BigInt(size) - 1n);
    const va = (upper ? 0xffff_8000_0000_0000n : 0n) + slot + off;
    const pa = huge ? DATA : DATA + (rng.belowBig(BigInt(DATA_BYTES)) & ~0xfffn);
    const flags = 1 + rng.below(15); // a non-empty subset of READ | WRITE | EXECUTE | USER
    try {
      cursor.map(va, pa, size, flags);
    } catch {
      continue; // overlaps a page mapped before
    }
    leaves.push({ va, size, entry: entryAt(memory, table.rootPaddr, va, huge ? 2 : 3) });
  }
  for (const leaf of leaves) {
    const bits = memory.readU64(leaf.entry);
    const roll = rng.below(20);
    if (roll < 3) memory.writeU64(leaf.entry, bits | (1n << 63n)); // RPLV
    else if (roll < 5) memory.writeU64(leaf.entry, (bits & ~0xcn) | (BigInt(1 + rng.below(2)) << 2n)); // PLV 1 or 2
    else if (roll < 6) memory.writeU64(leaf.entry, bits & ~1n); // V = 0
  }
  return leaves;
}

/** Every probe: each leaf, a hole beside some, and addresses that are not sign-extended, x 3 kinds x 2 levels. */
function probesOf(leaves: readonly Leaf[], rng: Rng): Probe[] {
  const targets: { va: bigint; what: string }[] = [];
  for (const leaf of leaves) {
    targets.push({ va: leaf.va + (rng.belowBig(BigInt(leaf.size)) & ~7n), what: `${leaf.size === PageSize.Size4K ? '4K' : '2M'} leaf` });
    if (rng.ratio(1, 4)) targets.push({ va: leaf.va + BigInt(leaf.size) * BigInt(1 + rng.below(7)) + 8n, what: 'beside a leaf' });
  }
  for (let i = 0; i < 12; i++) {
    // bits 63:48 neither all 0 nor all 1 (QEMU 7.2 checks only those: laVaBits) and VSEG not the window's
    let top = BigInt(1 + rng.below(0xfffe));
    if (top >> 12n === DMW_VSEG) top ^= 0x3000n;
    targets.push({ va: (top << 48n) | (rng.belowBig(1n << 48n) & ~7n), what: 'not sign-extended' });
  }
  const probes: Probe[] = [];
  for (const t of targets) for (const access of [0, 1, 2] as const) for (const privilege of [0, 1] as const) probes.push({ ...t, access, privilege });
  return rng.shuffle(probes);
}

function probeName(p: Probe): string {
  return `${ACCESS_NAMES[p.access]} PLV${p.privilege === Privilege.USER ? 3 : 0} (${p.what})`;
}

/** QEMU's outcome as text: "ok" (with the u64 a load read) or "ecode N[.sub] badv 0x...". */
function theirOutcome(p: Probe, estat: bigint, badv: bigint, value: bigint): string {
  const ecode = Number((estat >> 16n) & 0x3fn);
  if (ecode === ECODE_SYS) return p.access === Access.READ ? `ok ${hex(value)}` : 'ok';
  const sub = Number((estat >> 22n) & 0x1ffn);
  return `ecode ${ecode}${ecode === LA64Ecode.ADE ? `.${sub}` : ''} badv ${hex(badv)}`;
}

/**
 * The model's outcome in the same form; a load reads the u64 at the physical address it gave, or, with
 * `sixteenK` (DEFECTS.la16kTargetPage), at the address QEMU 7.2 reaches through a 4K page.
 */
function ourOutcome(p: Probe, mmu: LA64Mmu, memory: PhysicalMemory, r: number, sixteenK: boolean): string {
  if (r < 0) return `ecode ${mmu.ecode}${mmu.ecode === LA64Ecode.ADE ? `.${mmu.esubcode}` : ''} badv ${hex(p.va)}`;
  let pa = (BigInt(mmu.paHi) << 32n) | BigInt(mmu.paLo);
  if (sixteenK && mmu.pageSize === PageSize.Size4K) pa = (pa & ~0x3fffn) | (p.va & 0x3fffn);
  if (pa < DATA || pa >= DATA + BigInt(DATA_BYTES)) return `ok, outside the data region: ${hex(pa)}`;
  return p.access === Access.READ ? `ok ${hex(memory.readU64(pa))}` : 'ok';
}

/** Builds a random table, runs every probe in QEMU and through LA64Mmu, and compares. */
export async function checkLa64Mmu(options: La64MmuOptions): Promise<La64MmuResult> {
  const rng = new Rng(options.seed);
  const memory = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  memory.reserve(AREA.base, AREA.bytes);
  memory.reserve(DATA, DATA_BYTES);
  fillData(memory, DATA, DATA_BYTES, (pa) => (pa << 32n) | BigInt(SYSCALL));
  const table = new LA64PageTable(memory);
  const leaves = buildTable(memory, table, rng, options.leaves ?? 100);
  // the model's view of the memory as QEMU's LDPTE / LDDIR read it: NR / NX / RPLV gone where a defect drops them
  const seen = new PhysicalMemory({ size: MEM_SIZE, base: MEM_BASE });
  seen.writeBytes(MEM_BASE, memory.bytes());
  const dropped = (leaf: Leaf) =>
    leaf.size === PageSize.Size4K ? (affects(options.binary, DEFECTS.laLdpteHighBits) ? DEFECTS.laLdpteHighBits : null) : affects(options.binary, DEFECTS.laLddirHighBits) ? DEFECTS.laLddirHighBits : null;
  const defectOf = new Map<bigint, string>();
  for (const leaf of leaves) {
    const d = dropped(leaf);
    if (d === null) continue;
    seen.writeU64(leaf.entry, seen.readU64(leaf.entry) & ~(7n << 61n));
    defectOf.set(leaf.va, d.text);
  }
  const model = new LA64Mmu(seen, { pgdl: table.rootPaddr, pgdh: table.rootPaddr });
  const checker = new Checker();
  // fetches that would raise PPI or PNX are left out (laFetchFault): QEMU would hang on them
  const order = probesOf(leaves, rng).filter((p) => {
    if (p.access !== Access.EXECUTE || model.translateWords(Number(p.va & 0xffff_ffffn), Number(p.va >> 32n), p.access, p.privilege) === 0) return true;
    const hang = model.ecode === LA64Ecode.PPI || model.ecode === LA64Ecode.PNX;
    if (hang) checker.skip(DEFECTS.laFetchFault.text, false);
    return !hang;
  });
  if (order.length * RESULT_BYTES > AREA.bytes - Number(AREA.results - AREA.base)) throw new Error(`${order.length} probes do not fit the guest area`);
  order.forEach((p, i) => {
    const at = AREA.list + BigInt(i * PROBE_BYTES);
    memory.writeU64(at, p.va);
    memory.writeU64(at + 8n, BigInt(p.access * 8));
    memory.writeU64(at + 16n, p.privilege === Privilege.USER ? 3n : 0n); // PRMD.PPLV [7.4.2]
  });
  const prog = la64MmuProgram();
  writeWords(memory, AREA.base, prog.main);
  writeWords(memory, REFILL, prog.refill);
  writeWords(memory, HANDLER, prog.handler);
  writeWords(memory, STUBS, prog.stubs);

  // QEMU's image, with the negative control's change
  const image = memory.bytes().slice();
  let tampered: La64MmuResult['tampered'] = null;
  if (options.tamper === true) {
    const leaf = leaves.find((l) => l.size === PageSize.Size4K && (memory.readU64(l.entry) & 0b11n) === 0b01n);
    if (leaf === undefined) throw new Error('no read-only valid 4K leaf to corrupt');
    const bits = memory.readU64(leaf.entry);
    new DataView(image.buffer).setBigUint64(Number(leaf.entry - MEM_BASE), bits | 0b10n, true);
    tampered = { vaddr: leaf.va, paddr: 0n, size: PageSize.Size4K, flags: 0, level: 3, bits };
  }
  const compare = new ProbeComparison(checker);
  const log = await withQemu(options.binary, ['-M', 'virt', '-cpu', 'la464', '-m', '2G'], MEM_BASE, image, async ({ gdb }) => {
    // an empty directory entry reads as a table at physical 0 (4.2.5.1): zero that frame (see loongarch64.ts)
    await gdb.physicalMemoryMode();
    await gdb.writeMemory(0n, new Uint8Array(4096));
    const view = await runGuest(gdb, {
      regs: [
        ['r4', BigInt(PWCL_VALUE)],
        ['r5', BigInt(PWCH_VALUE)],
        ['r6', table.rootPaddr],
        ['r16', table.rootPaddr],
        ['r7', REFILL],
        ['r8', dmw(HANDLER)],
        ['r9', DMW0],
        ['r10', 12n],
        ['r11', 12n],
        ['r12', dmw(AREA.list)],
        ['r13', BigInt(order.length)],
        ['r14', dmw(AREA.results)],
        ['r15', CRMD_PAGING],
        ['r22', dmw(STUBS)],
        ['r25', BigInt(SYSCALL)],
        ['r29', dmw(AREA.base + BigInt(prog.after))],
        ['pc', dmw(AREA.base)],
      ],
      end: dmw(AREA.base + BigInt(prog.done)),
      counter: 'r13',
      area: AREA,
      count: order.length,
    });
    const sixteenK = affects(options.binary, DEFECTS.la16kTargetPage);
    const manual = new LA64Mmu(memory, { pgdl: table.rootPaddr, pgdh: table.rootPaddr });
    order.forEach((p, i) => {
      const at = (k: number): bigint => view.getBigUint64(RESULT_BYTES * i + 8 * k, true);
      const vaLo = Number(p.va & 0xffff_ffffn);
      const vaHi = Number(p.va >> 32n);
      const r = model.translateWords(vaLo, vaHi, p.access, p.privilege);
      const kind = r === 0 ? `ok ${ACCESS_NAMES[p.access]}` : `${faultKindOf(r)} ${model.ecode}`;
      // where a defect dropped bits, count whether the manual's outcome differs from QEMU's
      const defect = defectOf.get(leaves.find((l) => p.va >= l.va && p.va < l.va + BigInt(l.size))?.va ?? -1n);
      if (defect !== undefined) {
        const m = manual.translateWords(vaLo, vaHi, p.access, p.privilege);
        checker.skip(defect, m !== r || manual.ecode !== model.ecode);
      }
      const ours = ourOutcome(p, model, seen, r, false);
      if (sixteenK && r === 0 && model.pageSize === PageSize.Size4K && p.access === Access.READ) {
        const as72 = ourOutcome(p, model, seen, r, true);
        checker.skip(DEFECTS.la16kTargetPage.text, as72 !== ours);
        compare.probe(p.va, probeName(p), kind, as72, theirOutcome(p, at(0), at(1), at(2)));
        return;
      }
      compare.probe(p.va, probeName(p), kind, ours, theirOutcome(p, at(0), at(1), at(2)));
    });
  });
  checker.addresses = new Set(order.map((p) => p.va)).size;
  for (const l of leaves) checker.pageSizes.set(l.size, (checker.pageSizes.get(l.size) ?? 0) + 1);
  const code = [
    { addr: dmw(AREA.base), words: prog.main },
    { addr: REFILL, words: prog.refill },
    { addr: dmw(HANDLER), words: prog.handler },
    { addr: dmw(STUBS), words: prog.stubs },
  ];
  return { checker, samples: [], tampered, log, code, probes: order.length, outcomes: compare.outcomes };
}
