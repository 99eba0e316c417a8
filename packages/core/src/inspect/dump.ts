// Reading tables that someone else built (a memory dump, a guest, a running system), tolerantly: every mapping
// as coalesced runs in address order, the permissions the levels grant together, and what is wrong with the
// memory as diagnostics instead of exceptions. The walk is the shared descent (table/descent.ts) over private
// copies of the tables, so that a paging handler may reuse its cache while the walk is below.
import { joinAddr, PAIR } from '../_addr';
import { LOW_MASK_HI, LOW_MASK_LO, POW2, TWO32 } from '../_pairs';
import { hex } from '../errors';
import type { PhysAddr, PTEWords, VirtAddr } from '../interfaces';
import { type Descent, DONE, ENTRY, EXIT } from '../table/descent';
import { leafShift } from '../table/find';
import { PageTable64 } from '../table/page-table';
import { wordsToBits } from '../words';
import {
  ALL_FLAGS,
  combineLimits,
  type DumpOptions,
  type DumpRoot,
  type DumpSource,
  defaultRoots,
  descentFormat,
  type EntryInspector,
  inspectorOf,
  keyOf,
  NO_LIMIT,
  pairOf,
  prepareRoot,
  RangeDescent,
  readTable,
  type Root,
  sourceOf,
  USER,
} from './format';
import { type MappingRun, RunNumbers } from './run-record';
import { RunScan } from './run-scan';
import { PendingShared, type SharedTable, Subtrees } from './shared';

/** What a diagnostic is about. */
export type DumpDiagnosticCode =
  /** The root table is not (entirely) inside the memory, or misaligned. */
  | 'RootUnreadable'
  /** A table entry points at a table that is not (entirely) inside the memory. */
  | 'OutsideMemory'
  /** A table entry points at an address not aligned to a table. */
  | 'Misaligned'
  /**
   * A table entry points at a table already reached in this dump at another level (tables are shared at one level);
   * not followed again. A table reached again at its level is a {@link SharedTable}, not a diagnostic.
   */
  | 'Revisited'
  /** A table entry points at one of the tables above it on its own path (a cycle); not followed. */
  | 'Cycle'
  /** The hardware would refuse the entry (reserved bits, reserved encoding); not listed, not followed. */
  | 'Reserved'
  /** A leaf at a level where the format has none (a 512 GiB x86 PML4E with PS set). */
  | 'LeafLevel'
  /** The `maxTables` budget ran out; the walk stopped there. */
  | 'Budget';

/** Something wrong found in the memory, attached to the entry where it was found. */
export interface DumpDiagnostic {
  /** Tells a diagnostic from a {@link MappingRun}. */
  readonly kind: 'diagnostic';
  /** What is wrong. */
  readonly code: DumpDiagnosticCode;
  /** One line: what was expected and what was found. */
  readonly message: string;
  /** Level of the entry (0 = root). */
  readonly level: number;
  /** Index of the entry in its table; -1 for the root itthis. */
  readonly index: number;
  /** First virtual address the entry translates. */
  readonly vaddr: VirtAddr;
  /** Physical address of the entry (of the root table for a root problem). */
  readonly entryPaddr: PhysAddr;
  /** Raw bits of the entry (0 for a root problem). */
  readonly bits: bigint;
  /** Index of the root it was found under. */
  readonly root: number;
}

export type { MappingRun } from './run-record';

/** One item of a dump, in virtual-address order within each root. */
export type DumpRecord = MappingRun | DumpDiagnostic | SharedTable;

/** One item of {@link MappingDump.numbered}: a run as the reused {@link RunNumbers}, or a record as iteration gives it. */
export type NumberedRecord = RunNumbers | DumpDiagnostic | SharedTable;

/** Totals of a dump (so far, while it runs). */
export interface DumpSummary {
  /** Runs listed. */
  readonly runs: number;
  /** Leaf entries listed (a 16-entry ARMv7 supersection counts once). */
  readonly pages: number;
  /** Bytes mapped. */
  readonly bytes: bigint;
  /** Tables read at each level, root first (roots included, each once). */
  readonly tables: readonly number[];
  /** Bytes of those tables. */
  readonly tableBytes: number;
  /** Distinct 4 KiB frames they occupy (tables smaller than a frame share frames). */
  readonly tableFrames: number;
  /** Diagnostics reported. */
  readonly diagnostics: number;
  /** {@link SharedTable} records: entries that reach a table already listed, which is not listed again. */
  readonly sharedTables: number;
  /** Leaf entries those records stand for (not in `pages`, `runs` or `bytes`). */
  readonly sharedPages: number;
}

/**
 * A lazily walked dump: iterate it for the records; {@link summary} holds the totals so far. Iterating again
 * walks again.
 */
export class MappingDump implements Iterable<DumpRecord> {
  /** @internal */ private readonly src: DumpSource;
  /** @internal */ private readonly insp: EntryInspector;
  /** @internal */ private readonly roots: readonly DumpRoot[];
  /** @internal */ private readonly options: DumpOptions;
  /** @internal the numbers of the run that iteration turns into a MappingRun record */
  private readonly record = new RunNumbers();
  /** @internal */ private runs = 0;
  /** @internal */ private pages = 0;
  /** @internal */ private bytes = 0;
  /** @internal */ private tables: number[];
  /** @internal */ private tBytes = 0;
  /** @internal */ private tFrames = 0;
  /** @internal */ private diags = 0;
  /** @internal */ private shared = 0;
  /** @internal */ private sharedPages = 0;

  /** @internal use {@link dumpMappings} */
  constructor(source: PageTable64 | DumpSource, options: DumpOptions) {
    this.src = sourceOf(source);
    this.insp = inspectorOf(source, options);
    this.options = options;
    const rootsGiven = options.roots;
    if (rootsGiven === undefined && !(source instanceof PageTable64)) {
      throw new TypeError('dumpMappings: "roots" is required when the source is not a PageTable64');
    }
    this.roots = rootsGiven ?? defaultRoots(this.src.meta, (source as PageTable64).rootPaddr);
    for (const r of this.roots) prepareRoot(this.src.meta, r, 'dumpMappings');
    this.tables = new Array<number>(this.src.meta.levels).fill(0);
  }

  /** Totals so far. */
  get summary(): DumpSummary {
    return {
      runs: this.runs,
      pages: this.pages,
      bytes: BigInt(this.bytes),
      tables: [...this.tables],
      tableBytes: this.tBytes,
      tableFrames: this.tFrames,
      diagnostics: this.diags,
      sharedTables: this.shared,
      sharedPages: this.sharedPages,
    };
  }

  /** @internal
   * The record of a finished run. A method taking the run's numbers as arguments, not a closure over them: the
   * walk's run state then stays in registers (captured doubles would live boxed in a heap context). A numbered walk
   * overwrites its one RunNumbers instead of making a record.
   */
  private run(
    view: RunNumbers | null,
    start: number,
    end: number,
    pa: number,
    shift: number,
    pages: number,
    level: number,
    flags: number,
    eff: number,
    bLo: number,
    bHi: number,
    aLo: number,
    aHi: number,
    kernel: boolean,
    root: number,
  ): MappingRun | RunNumbers {
    this.runs++;
    // iteration's record is the one RunNumbers makes (toRun), from a RunNumbers of the walk's own
    const v = (view ?? this.record).set(start, end, pa, POW2[shift]!, pages, level, flags, eff, bLo, bHi, aLo, aHi, kernel, root);
    return view !== null ? v : v.toRun();
  }

  /** Walks the roots and yields the records in address order (each iteration walks again). */
  [Symbol.iterator](): Generator<DumpRecord, void, undefined> {
    // without a RunNumbers the walk makes a MappingRun of every run
    return this.walk(null) as Generator<DumpRecord, void, undefined>;
  }

  /**
   * Walks as iteration does, but gives every run as the same {@link RunNumbers}, overwritten by the next run: no
   * bigint and no object per run, for a caller that uses each run before asking for the next record (a listing).
   * Diagnostics and shared-table records are the objects iteration gives.
   */
  numbered(): Generator<NumberedRecord, void, undefined> {
    // with a RunNumbers the walk makes no MappingRun
    return this.walk(new RunNumbers()) as Generator<NumberedRecord, void, undefined>;
  }

  /** @internal */ private *walk(view: RunNumbers | null): Generator<DumpRecord | RunNumbers, void, undefined> {
    const { meta } = this.src;
    this.runs = 0;
    this.pages = 0;
    this.bytes = 0;
    this.tables.fill(0);
    this.tBytes = 0;
    this.tFrames = 0;
    this.diags = 0;
    this.shared = 0;
    this.sharedPages = 0;
    const st = new WalkState(this.src, this.insp, this.options, view);
    const prepared = this.roots.map((r) => prepareRoot(meta, r, 'dumpMappings'));
    // root tables are reached by no entry: a level no entry reaches makes a reference to one a diagnostic
    for (const r of prepared) if (st.sub.slotOf(keyOf(r.lo, r.hi)) < 0) st.sub.add(keyOf(r.lo, r.hi), -1, 0);
    for (let r = 0; r < prepared.length && !st.stopped; r++) yield* this.walkRoot(st, prepared[r]!, r);
  }

  /** @internal
   * The records of one root. One loop over the descent's entries with the open run in locals (the per-entry path of a
   * listing of millions of runs): a leaf extends the run or closes it, a table entry is checked and opened from a
   * private copy, anything wrong is a diagnostic. Longer than most functions here, because the run's state must stay
   * in this frame.
   */
  private *walkRoot(st: WalkState, root: Root, r: number): Generator<DumpRecord | RunNumbers, void, undefined> {
    const { meta } = this.src;
    const insp = this.insp;
    const w = st.w;
    const L0 = root.level;
    st.tLo[L0] = root.lo;
    st.tHi[L0] = root.hi;
    const rootTable = yield* this.readRoot(st, root, r);
    if (rootTable === null) return;
    const outBase = root.outBase;
    const kernel = root.kernel;
    const useLimits = st.hasLimit && root.limits;
    st.lim[L0] = NO_LIMIT;
    st.rootLevel = L0;
    const sub = st.sub;
    const acc = sub.acc;
    const pend = st.pending;
    const scan = st.scan;
    sub.opened(L0, -1, 0, this.pages + this.sharedPages);
    // the root's entries [first, end): the descent is clipped to the addresses they cover
    const s0 = st.shift[L0]!;
    pairOf(root.first * 2 ** s0);
    const fLo = PAIR[0]!;
    const fHi = PAIR[1]!;
    pairOf(root.end * 2 ** s0);
    const lLo = PAIR[0] === 0 ? 4294967295 : PAIR[0]! - 1;
    const lHi = PAIR[0] === 0 ? PAIR[1]! - 1 : PAIR[1]!;
    const d = new RangeDescent(st.fmt, fLo, fHi, lLo, lHi)._begin(rootTable, 0, L0, 0, 0, root.bytes / meta.entryBytes);
    // the open run
    let open = false;
    let rStart = 0;
    let rEnd = 0;
    let rPa = 0;
    let rPaEnd = 0;
    let rShift = 0;
    let rLevel = 0;
    let rFlags = 0;
    let rEff = 0;
    let rALo = 0;
    let rAHi = 0;
    let rBLo = 0;
    let rBHi = 0;
    let rPages = 0;
    for (let ev = d._step(); ev !== DONE; ev = d._step()) {
      if (ev !== ENTRY) {
        // a table's end: its totals roll up (kept for an entry that reaches it again)
        if (ev === EXIT && d._opened) sub.closed(d._level + 1, this.pages + this.sharedPages);
        continue;
      }
      if (pend.open && d._leaf) yield this.sharedRecord(st, kernel, r);
      const l = d._level;
      const i = d._index;
      const lo = d._lo;
      const hi = d._hi;
      const va = d._va;
      const leaf = d._leaf;
      const p = st.hasProblem ? insp.problem!(lo, hi, l, leaf) : undefined;
      if (p !== undefined) {
        if (!leaf) d._skip();
        if (pend.open) yield this.sharedRecord(st, kernel, r);
        if (open) {
          open = false;
          yield this.run(st.view, rStart, rEnd, rPa, rShift, rPages, rLevel, rFlags, rEff, rBLo, rBHi, rALo, rAHi, kernel, r);
        }
        yield st.diag(this, 'Reserved', `${st.where(l, i)}: ${p}`, l, i, outBase + va, wordsToBits(lo, hi), r);
        continue;
      }
      if (!leaf) {
        // a table entry: the next table is checked, then read into a private copy and opened
        const problem = st.openTable(this, d, useLimits, outBase + va);
        if (problem === SHARED) {
          // an entry that reaches a table listed before: one record for consecutive ones, its subtree counted
          if (!st.extendShared(l, outBase + va)) {
            if (pend.open) yield this.sharedRecord(st, kernel, r);
            if (open) {
              open = false;
              yield this.run(st.view, rStart, rEnd, rPa, rShift, rPages, rLevel, rFlags, rEff, rBLo, rBHi, rALo, rAHi, kernel, r);
            }
            st.startShared(l, i, outBase + va, wordsToBits(lo, hi));
          }
          this.sharedPages += st.skipShared(l);
          continue;
        }
        if (problem !== null) {
          if (pend.open) yield this.sharedRecord(st, kernel, r);
          if (open) {
            open = false;
            yield this.run(st.view, rStart, rEnd, rPa, rShift, rPages, rLevel, rFlags, rEff, rBLo, rBHi, rALo, rAHi, kernel, r);
          }
          yield st.diag(this, problem, `${st.where(l, i)}: ${st.message}`, l, i, outBase + va, wordsToBits(lo, hi), r);
          if (problem === 'Budget') {
            st.stopped = true;
            return;
          }
        }
        continue;
      }
      if (st.leafOk[l] === 0) {
        if (pend.open) yield this.sharedRecord(st, kernel, r);
        if (open) {
          open = false;
          yield this.run(st.view, rStart, rEnd, rPa, rShift, rPages, rLevel, rFlags, rEff, rBLo, rBHi, rALo, rAHi, kernel, r);
        }
        yield st.diag(this, 'LeafLevel', `${st.where(l, i)}: a leaf at level ${l}, where ${meta.name} has none`, l, i, outBase + va, wordsToBits(lo, hi), r);
        continue;
      }
      const ls = leafShift(st.fmt, lo, hi, l);
      const psize = POW2[ls]!;
      // a leaf stored as several identical entries (ARMv7 supersection, large page) is listed at its first
      if (ls > st.shift[l]! && va % psize !== 0) continue;
      // the page's physical address: the entry's, with the bits below the page size cleared (x86 PAT, bit 12 of a
      // huge page, is not address), by masks on the two words rather than a floating-point remainder
      const pa = ((w.paddrHi(lo, hi, l) & ~LOW_MASK_HI[ls]!) >>> 0) * TWO32 + ((w.paddrLo(lo, hi, l) & ~LOW_MASK_LO[ls]!) >>> 0);
      const flags = w.flags(lo, hi, l);
      const lm = st.hasLeafLimit ? combineLimits(st.lim[l]!, insp.leafLimit!(lo, hi, l)) : st.lim[l]!;
      // effectiveFlags, written out: the per-leaf path of a listing of millions of runs
      const eff = (flags & ((flags & USER) !== 0 ? (lm >>> 8) & ALL_FLAGS : lm & ALL_FLAGS)) | ((lm >>> 16) & ALL_FLAGS);
      const aLo = st.hasAttr ? insp.attrLo!(lo, hi, l) : w.setPaddrLo(lo, hi, 0, 0, l);
      const aHi = st.hasAttr ? insp.attrHi!(lo, hi, l) : w.setPaddrHi(lo, hi, 0, 0, l);
      const ova = outBase + va;
      // what the table holding the leaf maps, by effective flags (for entries that reach it again)
      const h = l * 64 + eff;
      acc[h] = acc[h]! + psize;
      this.pages++;
      this.bytes += psize;
      if (
        st.coalesce &&
        open &&
        ova === rEnd &&
        pa === rPaEnd &&
        ls === rShift &&
        l === rLevel &&
        flags === rFlags &&
        eff === rEff &&
        aLo === rALo &&
        aHi === rAHi
      ) {
        rEnd += psize;
        rPaEnd += psize;
        rPages++;
      } else {
        if (open) yield this.run(st.view, rStart, rEnd, rPa, rShift, rPages, rLevel, rFlags, rEff, rBLo, rBHi, rALo, rAHi, kernel, r);
        open = true;
        rStart = ova;
        rEnd = ova + psize;
        rPa = pa;
        rPaEnd = pa + psize;
        rShift = ls;
        rLevel = l;
        rFlags = flags;
        rEff = eff;
        rALo = aLo;
        rAHi = aHi;
        rBLo = lo;
        rBHi = hi;
        rPages = 1;
      }
      // the leaves after this one in its table that only continue the run (the common case): found by comparing
      // words (run-scan.ts), counted here in one step, passed over by the descent
      if (scan.scans(lo, hi, l, ls)) {
        const n = scan.continuing(l === L0 ? rootTable : st.copy[l]!, d._index + 1, d._remaining(), lo, hi);
        if (n > 0) {
          d._passed(n);
          const more = n * psize;
          rEnd += more;
          rPaEnd += more;
          rPages += n;
          acc[h] = acc[h]! + more;
          this.pages += n;
          this.bytes += more;
        }
      }
    }
    if (open) yield this.run(st.view, rStart, rEnd, rPa, rShift, rPages, rLevel, rFlags, rEff, rBLo, rBHi, rALo, rAHi, kernel, r);
    if (pend.open) yield this.sharedRecord(st, kernel, r);
  }

  /** @internal The pending shared-table record, closed. */
  private sharedRecord(st: WalkState, kernel: boolean, root: number): SharedTable {
    this.shared++;
    const pend = st.pending;
    return pend.take(st.sub, joinAddr(pend.tableLo, pend.tableHi), kernel, root);
  }

  /** @internal The root's table, read (once per dump for roots that share it), or null after its diagnostic. */
  private *readRoot(st: WalkState, root: Root, r: number): Generator<DumpRecord, Uint32Array | null, undefined> {
    const { meta } = this.src;
    const L0 = root.level;
    const key = `${root.hi}:${root.lo}:${root.bytes}`;
    const known = st.rootCopies.get(key);
    if (known !== undefined) return known;
    const align = Math.min(root.bytes, meta.tableBytes[L0]!, 4096);
    const firstVa = root.outBase + root.first * 2 ** st.shift[L0]!;
    if (root.lo % align !== 0) {
      yield st.diag(this, 'RootUnreadable', `root table at ${hex(joinAddr(root.lo, root.hi))} is not aligned to ${align} bytes`, L0, -1, firstVa, 0n, r);
      return null;
    }
    if (st.tablesRead >= st.maxTables) {
      yield st.diag(this, 'Budget', `stopped after ${st.tablesRead} tables (maxTables)`, L0, -1, root.outBase, 0n, r);
      st.stopped = true;
      return null;
    }
    const buf = new Uint32Array(root.bytes >>> 2);
    if (!readTable(this.src.handler, root.lo, root.hi, root.bytes, buf)) {
      yield st.diag(this, 'RootUnreadable', `root table at ${hex(joinAddr(root.lo, root.hi))} (${root.bytes} bytes) is not inside the memory`, L0, -1, firstVa, 0n, r);
      return null;
    }
    st.rootCopies.set(key, buf);
    st.countTable(this, L0, root.lo, root.hi, root.bytes);
    return buf;
  }

  /** @internal a table was read: its level's count, its bytes, the frames it occupies */
  _counted(l: number, bytes: number, frames: number): void {
    this.tables[l] = this.tables[l]! + 1;
    this.tBytes += bytes;
    this.tFrames = frames;
  }

  /** @internal leaf entries reached so far: listed, or stood for by shared-table records */
  _reached(): number {
    return this.pages + this.sharedPages;
  }

  /** @internal a diagnostic was reported */
  _diagnosed(): void {
    this.diags++;
  }
}

/** What one walk of a dump keeps across its roots: the format, the tables read so far, the copies it walks. */
class WalkState {
  readonly w: PTEWords;
  readonly fmt: ReturnType<typeof descentFormat>;
  readonly shift: Int32Array;
  readonly leafOk: Uint8Array;
  readonly coalesce: boolean;
  readonly maxTables: number;
  readonly hasLimit: boolean;
  readonly hasLeafLimit: boolean;
  readonly hasProblem: boolean;
  readonly hasAttr: boolean;
  /** The scan of the leaves that continue a run. */
  readonly scan: RunScan;
  /** Per level: a private copy of the table being walked, its physical address, the limit in force for its entries. */
  readonly copy: Uint32Array[] = [];
  readonly tLo: Float64Array;
  readonly tHi: Float64Array;
  readonly lim: Int32Array;
  /** Tables reached in this walk, where, and what they hold (a table reached again is read again only if asked). */
  readonly sub: Subtrees;
  /** The shared-table record being gathered, and what the last SHARED of openTable found. */
  readonly pending: PendingShared = new PendingShared();
  sharedMemo = -1;
  cLo = 0;
  cHi = 0;
  /** Level of the root being walked; whether shared tables are walked again under every parent. */
  rootLevel = 0;
  readonly expand: boolean;
  readonly rootCopies: Map<string, Uint32Array> = new Map();
  /** Distinct 4 KiB frames holding tables (1 KiB ARMv7 L2 tables share frames). */
  readonly frames: Set<number | string> = new Set();
  tablesRead = 0;
  stopped = false;
  /** The message of the last problem openTable found. */
  message = '';

  constructor(
    private readonly src: DumpSource,
    private readonly insp: EntryInspector,
    private readonly options: DumpOptions,
    /** The record a numbered walk gives every run in, or null to make a MappingRun of each. */
    readonly view: RunNumbers | null,
  ) {
    const meta = src.meta;
    this.fmt = descentFormat(meta, src.pte);
    this.w = this.fmt._w;
    this.shift = this.fmt._shift;
    this.leafOk = new Uint8Array(meta.levels);
    for (const l of meta.leafLevels) this.leafOk[l] = 1;
    this.coalesce = options.coalesce !== false;
    this.maxTables = options.maxTables ?? Number.POSITIVE_INFINITY;
    this.hasLimit = typeof insp.tableLimit === 'function';
    this.hasLeafLimit = typeof insp.leafLimit === 'function';
    this.hasProblem = typeof insp.problem === 'function';
    this.hasAttr = typeof insp.attrLo === 'function' && typeof insp.attrHi === 'function';
    this.scan = new RunScan(this.w, meta, insp, this.coalesce);
    for (let l = 0; l < meta.levels; l++) this.copy.push(new Uint32Array(meta.tableBytes[l]! >>> 2));
    this.tLo = new Float64Array(meta.levels);
    this.tHi = new Float64Array(meta.levels);
    this.lim = new Int32Array(meta.levels);
    this.sub = new Subtrees(meta.levels);
    this.expand = options.expandShared === true;
  }

  /** Whether the entry at `va` of the level-l table, which reaches the last SHARED table, extends the pending record. */
  extendShared(l: number, va: number): boolean {
    const p = this.pending;
    if (!p.extends(l, va, this.cLo, this.cHi, this.sharedMemo)) return false;
    p.end += 2 ** this.shift[l]!;
    p.references++;
    return true;
  }

  /** The last SHARED table's subtree counts under the level-l table; returns the leaf entries it stands for. */
  skipShared(l: number): number {
    this.sub.skipped(l, this.sharedMemo);
    return this.sub.pagesOf(this.sharedMemo);
  }

  /** Starts a shared-table record at entry i of the level-l table: the entry at `va` reaches the last SHARED table. */
  startShared(l: number, i: number, va: number, bits: bigint): void {
    const p = this.pending;
    const memo = this.sharedMemo;
    p.open = true;
    p.start = va;
    p.end = va + 2 ** this.shift[l]!;
    p.level = l;
    p.index = i;
    p.entryPaddr = joinAddr(this.tLo[l]!, this.tHi[l]!) + BigInt(i * this.src.meta.entryBytes);
    p.bits = bits;
    p.references = 1;
    p.tableLo = this.cLo;
    p.tableHi = this.cHi;
    p.listedAt = this.sub.firstVaOf(this.sub.slotOf(keyOf(this.cLo, this.cHi)));
    p.memo = memo;
  }

  /** Whether the table at (lo, hi) is one of those open from the root down to level l (a reference to it is a cycle). */
  private onPath(lo: number, hi: number, l: number): boolean {
    for (let k = this.rootLevel; k <= l; k++) if (this.tLo[k] === lo && this.tHi[k] === hi) return true;
    return false;
  }

  /** Name of entry i of a level-l table for messages: `PD[3]`. */
  where(l: number, i: number): string {
    return `${this.insp.levelNames?.[l] ?? `level ${l}`}[${i}]`;
  }

  /** A diagnostic on entry `index` (-1: the table itself) of the level-l table being walked. */
  diag(dump: MappingDump, code: DumpDiagnosticCode, message: string, l: number, index: number, va: number, bits: bigint, root: number): DumpDiagnostic {
    dump._diagnosed();
    const entryPaddr = joinAddr(this.tLo[l]!, this.tHi[l]!) + BigInt(index < 0 ? 0 : index * this.src.meta.entryBytes);
    return { kind: 'diagnostic', code, message, level: l, index, vaddr: BigInt(va), entryPaddr, bits, root };
  }

  /** Counts a table read: its level, bytes and frames, and the progress callback. */
  countTable(dump: MappingDump, l: number, lo: number, hi: number, bytes: number): void {
    const first = lo - (lo % 4096);
    for (let off = 0; off < bytes + (lo - first); off += 4096) this.frames.add(keyOf((first + off) % TWO32, hi + Math.floor((first + off) / TWO32)));
    dump._counted(l, bytes, this.frames.size);
    this.tablesRead++;
    this.options.onTable?.(this.tablesRead);
  }

  /**
   * The current ENTRY of `d` is a table entry: checks the table it points to (aligned, not above it on its path, not
   * reached before at another level, within the budget, inside the memory) and opens it from a private copy; or
   * skips it and returns what is wrong (the message in {@link message}). A table reached before at its level, under
   * the same limit, is not opened again unless `expandShared`: SHARED, with what
   * it held in {@link sharedMemo} and its address in (cLo, cHi). Under another limit it is walked again: its
   * mappings differ on this path.
   */
  openTable(dump: MappingDump, d: Descent, useLimits: boolean, va: number): DumpDiagnosticCode | typeof SHARED | null {
    const w = this.w;
    const l = d._level;
    const lo = d._lo;
    const hi = d._hi;
    const cl = l + 1;
    const cLo = w.paddrLo(lo, hi, l) >>> 0;
    const cHi = w.paddrHi(lo, hi, l) >>> 0;
    const bytes = this.src.meta.tableBytes[cl]!;
    const key = keyOf(cLo, cHi);
    const lim = useLimits ? combineLimits(this.lim[l]!, this.insp.tableLimit!(lo, hi, l)) : this.lim[l]!;
    // what a subtree lists depends on the limit it is walked under, not on its root's kind (the audit reads that
    // from the record itself)
    const memoKey = lim;
    let slot = this.sub.slotOf(key);
    let problem: DumpDiagnosticCode | null = null;
    if (cLo % Math.min(bytes, 4096) !== 0) {
      problem = 'Misaligned';
      this.message = `table at ${hex(joinAddr(cLo, cHi))} is not aligned to ${Math.min(bytes, 4096)} bytes`;
    } else if (slot >= 0 && this.onPath(cLo, cHi, l)) {
      problem = 'Cycle';
      this.message = `table at ${hex(joinAddr(cLo, cHi))} is one of the tables above this entry (a cycle); not followed`;
    } else if (slot >= 0 && this.sub.levelOf(slot) !== cl) {
      problem = 'Revisited';
      this.message = `table at ${hex(joinAddr(cLo, cHi))} was already reached at another level (tables are shared at one level); not followed again`;
    } else if (slot >= 0 && !this.expand && this.sub.memo(slot, memoKey) >= 0) {
      d._skip();
      this.sharedMemo = this.sub.memo(slot, memoKey);
      this.cLo = cLo;
      this.cHi = cHi;
      return SHARED;
    } else if (this.tablesRead >= this.maxTables) {
      problem = 'Budget';
      this.message = `stopped after ${this.tablesRead} tables (maxTables)`;
    } else if (!readTable(this.src.handler, cLo, cHi, bytes, this.copy[cl]!)) {
      problem = 'OutsideMemory';
      this.message = `table at ${hex(joinAddr(cLo, cHi))} (${bytes} bytes) is not inside the memory`;
    }
    if (problem !== null) {
      d._skip();
      return problem;
    }
    if (slot < 0) {
      slot = this.sub.add(key, cl, va);
      this.countTable(dump, cl, cLo, cHi, bytes);
    } else {
      // walked again (expandShared, or other permissions on this path): read again, counted once in the summary
      this.tablesRead++;
      this.options.onTable?.(this.tablesRead);
    }
    this.tLo[cl] = cLo;
    this.tHi[cl] = cHi;
    this.lim[cl] = lim;
    this.sub.opened(cl, slot, memoKey, dump._reached());
    d._open(this.copy[cl]!, 0);
    return null;
  }
}

/** What {@link WalkState.openTable} returns for a table listed before, which an entry reaches again. */
const SHARED = 'Shared';

/**
 * Every mapping of a table as coalesced runs, in virtual-address order per root, with diagnostics for what is
 * wrong in the memory. Tolerant: a table pointer outside the memory, misaligned, or to a table already read
 * (shared or a cycle), and entries the inspector says the hardware would refuse, are reported as
 * {@link DumpDiagnostic}s on the entry and not followed; each table is read at most once, so the walk ends
 * within (memory size / table size) tables; nothing is read outside what the handler backs, and nothing throws
 * on malformed memory. Bad arguments (a root range that does not fit the format) throw at the call.
 *
 * @param source an attached table (its meta, codec, handler and root), or a format and a handler.
 * @example
 * const dump = dumpMappings(new X64PageTable(memory, { root: cr3 }));
 * for (const rec of dump) if (rec.kind === 'mapping') console.log(rec.vaddr, rec.size, rec.effective);
 * dump.summary.tables; // [1, 2, 3, 5]
 */
export function dumpMappings(source: PageTable64 | DumpSource, options: DumpOptions = {}): MappingDump {
  return new MappingDump(source, options);
}

