// LoongArch64: QEMU's LoongArch CPU walks LA64PageTable tables (4 KiB pages with 4 levels, 16 KiB with 3, 64 KiB
// with 2 or 3) with its LDDIR / LDPTE instructions.
// QEMU 7.2's gva2gpa only searches the TLB and its gdb stub cannot write CSRs, so a guest program does the
// work: it sets the page-walk controllers (the geometry's PWCL / PWCH), PGDL / PGDH, the page size of the TLB
// (STLBPS, TLBREHI.PS), a TLB-refill handler made of LDDIR / LDPTE / TLBFILL as Linux's handle_tlb_refill for the
// geometry's depth, then for every address of a list: flushes the TLB,
// loads from the address (the refill handler fills the TLB from our table), and reads the entry back with
// TLBSRCH / TLBRD. The program runs in a direct-mapped window (DMW0, VSEG 0x9) so that it needs no mapping.
import { hex, MappingFlags, PhysicalMemory } from '@page-table-multiarch/core';
import {
  encodeLA64Registers,
  type LA64Geometry,
  LA64MetaData,
  type LA64PageKiB,
  LA64PageTable,
  la64Geometry,
} from '@page-table-multiarch/loongarch64';
import { addiD, b, bne, csrrd, csrwr, ERTN, invtlb, la64Refill, la64Setup, LaCsr, LaReg, ldD, or, slliD, srliD, stD, TLBRD, TLBSRCH } from './_la64';
import type { Checker, RunResult } from './_check';
import { affects, DEFECTS } from './_defects';
import { guestArea, type RunOptions, runGuest, runTarget, writeAddressList } from './_driver';
import { halfEndWindows, type LayoutSpec, queryOrNull, STANDARD_SIZES, type Translation, type VaWindow, writeWords } from './_layout';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;

// RAM of the virt machine: the low 256 MiB at 0. Our memory starts at 16 MiB; physical frame 0 stays zero,
// which the walker needs (an empty directory entry reads as a table at physical 0, see the package README).
// 8 MiB hold the 4 KiB tables; 16 and 64 KiB tables, one page each, take 32 MiB.
const MEM_BASE = 0x100_0000n;
const RESULT_BYTES = 48; // six doublewords per address

/** Where the program and its data go in a memory of `memSize` bytes. */
function placement(memSize: number) {
  const area = guestArea(MEM_BASE, memSize, 1 << 20, RESULT_BYTES);
  // TLBRENTRY: a physical address, 4K-aligned; EENTRY: 4K-aligned
  return { area, harness: area.base, refill: area.base + 0x1000n, handler: area.base + 0x2000n };
}
/** The direct-mapped window the program runs in (7.5.? DMW: VSEG in bits 63:60). */
const DMW_VSEG = 0x9n;
const dmw = (pa: bigint): bigint => (DMW_VSEG << 60n) | pa;
// DMW0: VSEG 9, MAT 1 (coherent cached), PLV0 allowed (7.5.? "Direct mapping configuration window").
const DMW0 = (DMW_VSEG << 60n) | (1n << 4n) | 1n;
// CRMD: PLV 0, interrupts off, DA 0, PG 1, DATF = DATM = 1 (coherent cached) (7.4.1).
const CRMD_PAGING = (1n << 4n) | (1n << 5n) | (1n << 7n);

// ESTAT.Ecode values (7.4.5 / table of exception codes): PIL (page invalid for a load), PNR (page not
// readable) and ADE (address error).
const ECODE_PIL = 0x1;
const ECODE_PNR = 0x5;
const ECODE_ADE = 0x8;

// Registers (LoongArch ABI names in comments).
const R = LaReg;

/**
 * The guest program: main at the harness, refill handler at TLBRENTRY, exception handler at EENTRY.
 * In: a0 PWCL, a1 PWCH, a2 PGDL, r16 PGDH, a3 TLBRENTRY, a4 EENTRY, a5 DMW0, a6 STLBPS, a7 TLBREHI, t0 address list,
 * t1 count, t2 results, t3 CRMD. Per address it stores six doublewords: the load's exception status (0 when
 * none), TLBIDX after TLBSRCH, then TLBIDX, TLBEHI, TLBELO0, TLBELO1 after TLBRD. The refill handler reads the
 * directories of a table of `levels` levels (default 4).
 */
export function la64Program(levels = 4): { main: number[]; refill: number[]; handler: number[]; done: number } {
  const main = la64Setup();
  const loop = main.length;
  main.push(
    ldD(17, R.t0, 0), // r17 = address
    invtlb(0, R.zero, R.zero),
    or(20, R.zero, R.zero), // r20 = 0: no exception yet
    ldD(18, 17, 0), // the probe (the exception handler sets r20 and skips it when it faults)
    srliD(19, 17, 13),
    slliD(19, 19, 13),
    csrwr(19, LaCsr.TLBEHI), // VPPN of the address (VA bits 47:13)
    TLBSRCH,
    csrrd(21, LaCsr.TLBIDX),
    TLBRD,
    csrrd(22, LaCsr.TLBIDX),
    csrrd(23, LaCsr.TLBEHI),
    csrrd(24, LaCsr.TLBELO0),
    csrrd(25, LaCsr.TLBELO1),
    stD(20, R.t2, 0),
    stD(21, R.t2, 8),
    stD(22, R.t2, 16),
    stD(23, R.t2, 24),
    stD(24, R.t2, 32),
    stD(25, R.t2, 40),
    addiD(R.t2, R.t2, RESULT_BYTES),
    addiD(R.t0, R.t0, 8),
    addiD(R.t1, R.t1, -1),
  );
  main.push(bne(R.t1, R.zero, loop - main.length));
  const done = main.length * 4;
  main.push(b(0));
  const refill = la64Refill(levels);
  // any other exception: remember ESTAT in r20, return past the faulting instruction
  const handler = [csrrd(20, LaCsr.ESTAT), csrrd(26, LaCsr.ERA), addiD(26, 26, 4), csrwr(26, LaCsr.ERA), ERTN];
  return { main, refill, handler, done };
}

/** Options of one LoongArch run. */
export interface La64Options extends RunOptions {
  /** Page size in KiB (default 4). */
  readonly pageKiB?: LA64PageKiB;
  /** Levels (default: 4 with 4 KiB pages, 3 otherwise). */
  readonly levels?: number;
}

/** The leaf sizes of a geometry, and how many regions of each (every flag set at the page and the huge size). */
function sizesOf(g: LA64Geometry): LayoutSpec['sizes'] {
  if (g.pageKiB === 4) return STANDARD_SIZES;
  const page = 2 ** g.pageShift;
  const huge = 2 ** (g.pageShift + g.indexBits);
  return [
    { size: page, regions: 70 },
    { size: huge, regions: 64, maxPages: g.pageKiB === 16 ? 8 : 2 },
  ];
}

/** Windows of `span` bytes at both ends of the half [start, start + size). */
function endWindows(start: bigint, size: bigint, span: bigint): VaWindow[] {
  return [
    { base: start, size: span },
    { base: start + size - span, size: span },
  ];
}

/** A TLBELO value as text: the fields QEMU keeps (7.5.3: V, D, PLV, MAT, PPN); NR, NX, RPLV are not shown. */
function showElo(elo: bigint, va: bigint, ps: bigint): string {
  if ((elo & 1n) === 0n) return 'invalid';
  const pa = (elo & 0x0000_ffff_ffff_f000n) | (va & ((1n << ps) - 1n));
  const d = (elo >> 1n) & 1n;
  const plv = (elo >> 2n) & 3n;
  const mat = (elo >> 4n) & 3n;
  return `${hex(pa)} D=${d} PLV=${plv} MAT=${mat}`;
}

/** NR, NX and RPLV (TLBELO bits 61, 62, 63; 7.5.3) as text. */
function showHigh(bits: bigint): string {
  const names = (['NR', 'NX', 'RPLV'] as const).filter((_, k) => ((bits >> BigInt(61 + k)) & 1n) !== 0n);
  return names.length === 0 ? '-' : names.join('|');
}

function expectedElo(pa: bigint, flags: number): string {
  const d = (flags & WRITE) !== 0 ? 1 : 0;
  const plv = (flags & USER) !== 0 ? 3 : 0;
  const mat = (flags & DEVICE) !== 0 ? 0 : (flags & UNCACHED) !== 0 ? 2 : 1;
  return `${hex(pa)} D=${d} PLV=${plv} MAT=${mat}`;
}

/**
 * The tables of a run of the geometry and how an address finds its table. A geometry of 48 bits or more has one table
 * for both halves (PGDL = PGDH); one of fewer (16 KiB x 3, 64 KiB x 2) has a lower table in PGDL and an upper one in
 * PGDH.
 */
function la64Tables(memory: PhysicalMemory, g: LA64Geometry) {
  const pageKiB = g.pageKiB;
  const split = g.vaBits < 48;
  const lower = new LA64PageTable(memory, { pageKiB, levels: g.levels });
  const upper = split ? new LA64PageTable(memory, { pageKiB, levels: g.levels, half: 'upper' }) : lower;
  // loads go to these addresses: keep them away from RAM and the devices of the machine (below 4 GiB)
  const layout = (windows: VaWindow[]) => ({ sizes: sizesOf(g), windows, paMin: 1n << 36n, paLimit: 1n << 47n });
  const top = 1n << 64n;
  const own = 1n << BigInt(g.vaBits);
  const span = 64n << 30n;
  const tables = split
    ? [
        { table: lower, layout: layout(endWindows(0n, own, span)) },
        { table: upper, layout: layout(endWindows(top - own, own, span)) },
      ]
    : [{ table: lower, layout: layout(halfEndWindows(1n << 47n, span)) }];
  /**
   * What the library says the walker finds at a valid 48-bit address: a table of fewer than 47 bits is indexed by the
   * address's low bits alone (the walker reads VA bits up to the top directory's, 4.2.5.1), so an address whose bits
   * 46:vaBits differ from bit 47 translates as its alias inside the table's half.
   */
  const canonical = (va: bigint): bigint => {
    if (g.vaBits >= 47) return va;
    const low = va & (own - 1n);
    return va >> 47n === 0n ? low : top - own + low;
  };
  const tableOf = (va: bigint): number => (split && va >> 47n !== 0n ? 1 : 0);
  return { csr: encodeLA64Registers(lower, upper), tables, canonical, tableOf };
}

/** What the comparison of one address needs besides the guest's results. */
interface La64Compare {
  readonly checker: Checker;
  readonly g: LA64Geometry;
  readonly pageBytes: number;
  /** The library's translation of a valid address, and the flags the layout asked for the page at `page`. */
  readonly translate: (va: bigint) => Translation | null;
  readonly requested: (page: bigint) => MappingFlags | undefined;
  /** Which QEMU defects this binary has. */
  readonly defects: { vaBits: boolean; hugePs: boolean; ldpteHigh: boolean; lddirHigh: boolean };
}

/** Compares what the guest found at `va` (`at(k)`: its k-th result doubleword) with the library's translation. */
function compareLa64(c: La64Compare, va: bigint, at: (k: number) => bigint): void {
  const { checker, g, pageBytes, defects } = c;
  const estat = at(0);
  const ecode = Number((estat >> 16n) & 0x3fn); // ESTAT.Ecode, bits 21:16 (7.4.5)
  const found = ((at(1) >> 31n) & 1n) === 0n; // TLBIDX.NE after TLBSRCH (7.5.1)
  const ps = (at(2) >> 24n) & 0x3fn; // TLBIDX.PS after TLBRD (7.5.1)
  const ours = c.translate(va);
  checker.addresses++;
  if (!LA64MetaData.vaddrIsValid(va)) {
    const top16 = va >> 48n;
    if (defects.vaBits && (top16 === 0n || top16 === 0xffffn)) {
      // the defect shows as a walk: a TLB entry for the address, whatever exception the load then took
      checker.skip(DEFECTS.laVaBits.text, ecode !== ECODE_ADE || found);
      return;
    }
    // bits 63:47 not all equal: an address error, no walk (2.1.5)
    checker.check(va, 'address error', 'ADE', ecode === ECODE_ADE ? 'ADE' : `ecode ${ecode}, TLB entry ${found}`);
    return;
  }
  const elo = ((va >> ps) & 1n) === 0n ? at(4) : at(5); // the even or odd half (7.5.3)
  const theirs = !found ? 'no TLB entry' : showElo(elo, va, ps);
  if (ours === null) {
    checker.check(va, 'translation', 'invalid', theirs);
    checker.check(va, 'load exception', 'PIL', ecode === ECODE_PIL ? 'PIL' : `ecode ${ecode}`);
    return;
  }
  // A huge page is filled as an even/odd pair of halves (4.2.5.2 LDPTE): PS is its size's log2 minus one.
  const wantPs = BigInt(Math.log2(ours.size)) - (ours.size === pageBytes ? 0n : 1n);
  // (7.2's PS for every huge page, PTbase + PTwidth - 1, is right for the level above the PT: 2M, 32M, 512M)
  if (ours.size > 2 ** (g.pageShift + g.indexBits) && defects.hugePs) {
    checker.skip(DEFECTS.laHugePs.text, theirs !== expectedElo(ours.pa, ours.flags) || ps !== wantPs);
    return;
  }
  checker.check(va, 'translation', expectedElo(ours.pa, ours.flags), theirs);
  checker.check(va, 'page size', String(wantPs), String(ps));
  const page = va & ~(BigInt(ours.size) - 1n);
  const req = c.requested(page);
  if (req !== undefined) {
    checker.check(va, `entry for requested ${req}`, expectedElo(ours.pa, req), theirs);
    checker.flagSets.add(req);
  }
  // NR, NX and RPLV (TLBELO bits 61, 62, 63; 7.5.3) and what NR does to the load (a PNR exception, 5.4.4;
  // the program runs at PLV0, which every PLV with RPLV = 0 lets in, 5.4.2)
  const wantHigh = ((ours.flags & READ) === 0 ? 1n << 61n : 0n) | ((ours.flags & EXECUTE) === 0 ? 1n << 62n : 0n);
  const gotHigh = elo & (7n << 61n);
  // The pages point at 2^36..2^47, where the virt machine has neither RAM nor devices: QEMU 7.2 reads zeros
  // there, QEMU 10 raises ADEM once the load reaches the bus (loongarch_cpu_do_transaction_failed). Either
  // comes after the translation and its permission checks, so for a valid address both mean "let through".
  const wantLoad = (ours.flags & READ) === 0 ? 'PNR' : 'let through';
  const gotLoad = estat === 0n || ecode === ECODE_ADE ? 'let through' : ecode === ECODE_PNR ? 'PNR' : `ecode ${ecode}`;
  const defect = ours.size === pageBytes ? (defects.ldpteHigh ? DEFECTS.laLdpteHighBits : null) : defects.lddirHigh ? DEFECTS.laLddirHighBits : null;
  if (defect !== null) {
    checker.skip(defect.text, found && (gotHigh !== wantHigh || gotLoad !== wantLoad));
    return;
  }
  checker.probes++;
  checker.check(va, 'NR/NX/RPLV', showHigh(wantHigh), found ? showHigh(gotHigh) : 'no TLB entry');
  checker.check(va, 'load', wantLoad, gotLoad);
}

/** Builds random tables (one for both halves, or one per half: see {@link la64Tables}), runs the program in QEMU, and compares. */
export async function checkLa64(options: La64Options): Promise<RunResult> {
  const pageKiB = options.pageKiB ?? 4;
  const g = la64Geometry(pageKiB, options.levels ?? (pageKiB === 4 ? 4 : 3));
  const memSize = pageKiB === 4 ? 8 << 20 : 32 << 20;
  const { area: AREA, harness: HARNESS, refill: REFILL, handler: HANDLER } = placement(memSize);
  const memory = new PhysicalMemory({ size: memSize, base: MEM_BASE });
  memory.reserve(AREA.base, AREA.bytes);
  const { csr, tables, canonical, tableOf } = la64Tables(memory, g);
  const pageBytes = 2 ** g.pageShift;
  const prog = la64Program(g.levels);
  const end = dmw(HARNESS + BigInt(prog.done));
  return runTarget(options, {
    machine: ['-M', 'virt', '-cpu', 'la464', '-m', '2G'],
    memory,
    tables,
    // the CPU's addresses: 48 bits, bits 63:47 equal (5.2), whatever the tables index
    space: { valid: (va) => LA64MetaData.vaddrIsValid(va), vaBits: 64 },
    tableOf,
    // addresses in the program's own direct-mapped window are not translated through the table
    exclude: (va) => va >> 60n === DMW_VSEG,
    // D of a read-only page: the TLB entry becomes writable
    tamper: { what: `read-only ${pageKiB}K leaf`, leaf: (m) => m.size === pageBytes && (m.flags & WRITE) === 0, bit: 1 },
    prepare({ samples }) {
      // the program loads eight bytes at each address: aligned down to 8 so that the load stays inside the page
      // whose TLB entry is read back (a load that crosses into the next page would fault, or refill, for that one)
      writeAddressList(memory, AREA, samples.map((s) => ({ ...s, va: s.va & ~7n })), 8);
      writeWords(memory, HARNESS, prog.main);
      writeWords(memory, REFILL, prog.refill);
      writeWords(memory, HANDLER, prog.handler);
      return [
        { addr: dmw(HARNESS), words: prog.main },
        { addr: REFILL, words: prog.refill },
        { addr: dmw(HANDLER), words: prog.handler },
      ];
    },
    async probe(qemu, { checker, samples, tables: filled, layouts }) {
      const gdb = qemu.gdb;
      // An empty directory entry reads as a table at physical 0 (LDDIR has no valid bit, 4.2.5.1), so that table
      // (one page) must hold zeros. QEMU 10's virt machine puts its boot information there when no kernel is given
      // (hw/loongarch/boot.c: "boot_info" at 0); it is written at reset, so zeroing it now wins.
      await gdb.physicalMemoryMode();
      await gdb.writeMemory(0n, new Uint8Array(pageBytes));
      const regs: [string, bigint][] = [
        ['r4', csr.pwcl],
        ['r5', csr.pwch],
        ['r6', csr.pgdl],
        ['r16', csr.pgdh],
        ['r7', REFILL],
        ['r8', dmw(HANDLER)],
        ['r9', DMW0],
        // the page size of the STLB (7.5.10 STLBPS.PS) and of the entries the refill writes (7.5.17 TLBREHI.PS)
        ['r10', BigInt(g.pageShift)],
        ['r11', BigInt(g.pageShift)],
        ['r12', dmw(AREA.list)],
        ['r13', BigInt(samples.length)],
        ['r14', dmw(AREA.results)],
        ['r15', CRMD_PAGING],
        ['pc', dmw(HARNESS)],
      ];
      const view = await runGuest(gdb, { regs, end, counter: 'r13', area: AREA, count: samples.length });
      const compare: La64Compare = {
        checker,
        g,
        pageBytes,
        translate: (va) => queryOrNull(filled[tableOf(va)]!, canonical(va)),
        requested: (page) => layouts[tableOf(page)]!.requested.get(canonical(page)),
        defects: {
          vaBits: affects(options.binary, DEFECTS.laVaBits),
          hugePs: affects(options.binary, DEFECTS.laHugePs),
          ldpteHigh: affects(options.binary, DEFECTS.laLdpteHighBits),
          lddirHigh: affects(options.binary, DEFECTS.laLddirHighBits),
        },
      };
      for (const [i, s] of samples.entries()) compareLa64(compare, s.va, (k) => view.getBigUint64(RESULT_BYTES * i + 8 * k, true));
    },
  });
}
