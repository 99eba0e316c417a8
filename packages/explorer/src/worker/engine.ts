// What the worker does with the library: open a source (one of ptdump's embedded samples, or a memory dump with the
// register values), list its runs into columns, and translate addresses level by level. Plain functions over a
// Source, so the tests run them in Node against the library directly; worker.ts only passes messages.
import {
  type AttachPlan,
  checkRoot,
  type DumpRoot,
  type DumpSource,
  dumpMappings,
  levelName,
  MappingAuditor,
  PagedMemory,
  RegisterError,
  translateAddress,
} from '@page-table-multiarch/core';
import { ARCHES, type ArchSpec, archByName } from '@page-table-multiarch/cli/samples';
import {
  AUDIT_EXEC_DEVICE,
  AUDIT_USER_EXEC_KERNEL,
  AUDIT_WX,
  type DiagnosticInfo,
  type OpenRequest,
  type Opened,
  type RootInfo,
  type RunColumns,
  type Walked,
  type WalkStep,
} from '../shared/protocol';
import { formatRegisters, parseRegisters } from '../shared/registers';
import { entryFields } from './fields';
import { type ByteSource, elfLayout, isElf, rawLayout, segmentReader } from './image';

/** An open source: the format and memory to read, the roots, and what the page shows about it. */
export interface Source {
  readonly spec: ArchSpec;
  readonly plan: AttachPlan;
  readonly dump: DumpSource;
  readonly roots: readonly DumpRoot[];
  readonly title: string;
  readonly sample: boolean;
  readonly registers: string;
  /** Milliseconds spent in the file's reads so far. */
  readonly fileMs: () => number;
}

/** The names of the embedded samples, in ptdump's order. */
export const SAMPLE_ARCHES: readonly string[] = ARCHES.map((a) => a.name);

function specOf(arch: string): ArchSpec {
  const spec = archByName(arch);
  if (!spec) throw new RangeError(`unknown architecture "${arch}" (${SAMPLE_ARCHES.join(', ')})`);
  return spec;
}

function planOrThrow(plan: AttachPlan | RegisterError): AttachPlan {
  if (plan instanceof RegisterError) throw plan;
  return plan;
}

/** ptdump's embedded sample of an architecture: tables built in memory and the registers that point at them. */
export function sampleSource(arch: string): Source {
  const spec = specOf(arch);
  const sample = spec.sample();
  const plan = planOrThrow(spec.decode(sample.registers, sample.switches));
  return {
    spec,
    plan,
    dump: { ...plan.format, handler: sample.memory },
    roots: plan.roots,
    title: `embedded sample: ${sample.title}`,
    sample: true,
    registers: formatRegisters(sample.registers, spec.registers),
    fileMs: () => 0,
  };
}

/** Cache of a dump's pages: 64 chunks of 64 KiB (4 MiB) whatever the file's size. */
const CHUNK_BYTES = 65536;
const CACHE_CHUNKS = 64;

/**
 * A memory dump (raw image or ELF core) read through `bytes`, with the registers parsed from the request. The
 * architecture comes from the request, or from the ELF header when the request says 'auto'.
 * @throws RangeError / RegisterError with a message for the page, for a file or registers that cannot be read.
 */
export function imageSource(file: ByteSource, name: string, req: Extract<OpenRequest, { type: 'open-file' }>): Source {
  let fileMs = 0;
  const bytes: ByteSource = {
    size: file.size,
    read(offset, into) {
      const t0 = performance.now();
      file.read(offset, into);
      fileMs += performance.now() - t0;
    },
  };
  const elf = req.format === 'elf' || (req.format === 'auto' && isElf(bytes));
  const digits = req.base.trim().replace(/^0x/i, '').replace(/_/g, '') || '0';
  if (!/^[0-9a-f]{1,16}$/i.test(digits)) throw new RangeError(`base "${req.base}" is not a hex address below 2^64`);
  const base = BigInt(`0x${digits}`);
  const layout = elf ? elfLayout(bytes) : rawLayout(bytes, base);
  const arch = req.arch === 'auto' ? layout.arch : req.arch;
  if (arch === undefined) throw new RangeError('choose the architecture: the file does not name one');
  const spec = specOf(arch);
  const parsed = parseRegisters(req.registers, spec.registers, spec.switches);
  const plan = planOrThrow(spec.decode(parsed.values, parsed.switches));
  const memory = new PagedMemory({
    ranges: layout.segments.map((s) => ({ base: s.paddr, size: s.memBytes })),
    read: segmentReader(bytes, layout.segments),
    chunkBytes: Math.max(CHUNK_BYTES, spec.chunkBytes),
    cacheChunks: CACHE_CHUNKS,
  });
  const dump = { ...plan.format, handler: memory };
  // a register that points outside the dump is a wrong value, refused as ptdump refuses it, not a listing of nothing
  for (const root of plan.roots) {
    const why = checkRoot(dump, root);
    if (why !== undefined) throw new RangeError(`${root.label ?? 'root'}: ${why}`);
  }
  return {
    spec,
    plan,
    dump,
    roots: plan.roots,
    title: `${name} (${layout.describe}, ${bytes.size} bytes)`,
    sample: false,
    registers: formatRegisters(parsed.values, spec.registers),
    fileMs: () => fileMs,
  };
}

function rootInfo(src: Source): RootInfo[] {
  return src.roots.map((r, k) => {
    const start = BigInt(r.vaStart);
    const end = BigInt(r.vaEnd);
    return {
      label: r.label ?? `root ${k}`,
      vaStart: `0x${start.toString(16)}`,
      vaEnd: `0x${end.toString(16)}`,
      table: `0x${BigInt(r.root).toString(16)}`,
      kernel: r.kernel ?? false,
      pages: Number((end - start) >> 12n),
    };
  });
}

/** Growable columns: doubled when full, cut to the count at the end. */
class ColumnBuilder {
  n = 0;
  root = new Uint8Array(1024);
  start = new Float64Array(1024);
  pages = new Float64Array(1024);
  paddr = new Float64Array(1024);
  pageShift = new Uint8Array(1024);
  level = new Uint8Array(1024);
  flags = new Uint8Array(1024);
  effective = new Uint8Array(1024);
  audit = new Uint8Array(1024);
  attrs = new Uint16Array(1024);
  readonly attrNames: string[] = [];
  readonly attrIndex = new Map<string, number>();

  grow(): void {
    const cap = this.root.length * 2;
    const more = <T extends Uint8Array | Uint16Array | Float64Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(cap);
      b.set(a);
      return b;
    };
    this.root = more(this.root, Uint8Array);
    this.start = more(this.start, Float64Array);
    this.pages = more(this.pages, Float64Array);
    this.paddr = more(this.paddr, Float64Array);
    this.pageShift = more(this.pageShift, Uint8Array);
    this.level = more(this.level, Uint8Array);
    this.flags = more(this.flags, Uint8Array);
    this.effective = more(this.effective, Uint8Array);
    this.audit = more(this.audit, Uint8Array);
    this.attrs = more(this.attrs, Uint16Array);
  }

  attr(text: string): number {
    let i = this.attrIndex.get(text);
    if (i === undefined) {
      // 65,535 distinct attribute texts is far more than any format has; past it they share the last slot
      i = Math.min(this.attrNames.length, 0xffff);
      if (i === this.attrNames.length) this.attrNames.push(text);
      this.attrIndex.set(text, i);
    }
    return i;
  }

  done(): RunColumns {
    const n = this.n;
    return {
      count: n,
      root: this.root.slice(0, n),
      start: this.start.slice(0, n),
      pages: this.pages.slice(0, n),
      paddr: this.paddr.slice(0, n),
      pageShift: this.pageShift.slice(0, n),
      level: this.level.slice(0, n),
      flags: this.flags.slice(0, n),
      effective: this.effective.slice(0, n),
      audit: this.audit.slice(0, n),
      attrs: this.attrs.slice(0, n),
      attrNames: this.attrNames,
    };
  }
}

const AUDIT_BIT = { 'W+X': AUDIT_WX, UserExecKernel: AUDIT_USER_EXEC_KERNEL, ExecDevice: AUDIT_EXEC_DEVICE } as const;

/** Every run and diagnostic of the source's roots, as ptdump lists them, with the audit of each run. */
export function readRuns(src: Source): Opened {
  const t0 = performance.now();
  const cols = new ColumnBuilder();
  const diagnostics: DiagnosticInfo[] = [];
  let found = 0;
  const auditor = new MappingAuditor({
    deviceFlags: src.spec.deviceFlags,
    keepFindings: 0,
    onFinding: (f) => {
      found |= AUDIT_BIT[f.kind];
    },
  });
  const starts = src.roots.map((r) => BigInt(r.vaStart));
  const describe = src.dump.inspector?.describe;
  const attrOf = new Map<bigint, number>();
  const dump = dumpMappings(src.dump, { roots: src.roots });
  for (const rec of dump) {
    // a table listed before, reached again: its mappings are in the listing once, where it was first reached
    if (rec.kind === 'shared') continue;
    if (rec.kind === 'diagnostic') {
      diagnostics.push({ code: rec.code, message: rec.message, vaddr: `0x${rec.vaddr.toString(16)}`, root: rec.root });
      continue;
    }
    if (cols.n === cols.root.length) cols.grow();
    const i = cols.n++;
    found = 0;
    auditor.add(rec);
    cols.root[i] = rec.root;
    // page-aligned offsets below 2^57 and addresses below 2^53 are exact as doubles: one BigInt subtraction per run
    cols.start[i] = Number(rec.vaddr - starts[rec.root]!) / 4096;
    cols.pages[i] = rec.pages * (rec.pageSize / 4096);
    cols.paddr[i] = Number(rec.paddr);
    cols.pageShift[i] = Math.log2(rec.pageSize);
    cols.level[i] = rec.level;
    cols.flags[i] = rec.flags;
    cols.effective[i] = rec.effective;
    cols.audit[i] = found;
    // the names of the attribute bits depend on the attributes and the level: described once per distinct pair
    const key = (rec.attrs << 3n) | BigInt(rec.level);
    let attr = attrOf.get(key);
    if (attr === undefined) {
      const lo = Number(rec.bits & 0xffff_ffffn);
      const hi = Number(rec.bits >> 32n);
      attr = cols.attr(describe ? describe(lo, hi, rec.level, true) : '');
      attrOf.set(key, attr);
    }
    cols.attrs[i] = attr;
  }
  const report = auditor.report();
  const format = src.dump;
  return {
    type: 'opened',
    title: src.title,
    arch: src.spec.name,
    format: src.plan.format.name,
    sample: src.sample,
    registers: src.registers,
    notes: src.plan.notes,
    levelNames: Array.from({ length: format.meta.levels }, (_, l) => levelName(format, l)),
    addrDigits: src.spec.addrDigits,
    roots: rootInfo(src),
    runs: cols.done(),
    diagnostics,
    summary: {
      runs: dump.summary.runs,
      pages: dump.summary.pages,
      bytes: `0x${dump.summary.bytes.toString(16)}`,
      tables: dump.summary.tables,
    },
    audit: { wx: report.counts['W+X'], userExecKernel: report.counts.UserExecKernel, execDevice: report.counts.ExecDevice, line: report.line },
    readMs: performance.now() - t0,
    fileMs: src.fileMs(),
  };
}

/** The virtual-address bits that index a level's table, [msb, lsb], for a root that indexes `vaBits` bits. */
function indexBits(src: Source, level: number, vaBits: number): [number, number] {
  const meta = src.dump.meta;
  let lsb = meta.pageShift;
  for (let l = meta.levels - 1; l > level; l--) lsb += meta.indexBits[l]!;
  return [Math.min(lsb + meta.indexBits[level]! - 1, vaBits - 1), lsb];
}

/**
 * One address through the roots, level by level (core's translateAddress), with what the page shows of each entry:
 * where its table is, which address bits index it, what it lets the levels below keep, the names of its bits.
 * @throws RangeError for an address that is not a hex number below 2^64.
 */
export function walkAddress(src: Source, id: number, vaddr: string): Walked {
  const text = vaddr.trim().replace(/_/g, '');
  if (!/^(0x)?[0-9a-f]+$/i.test(text)) throw new RangeError(`"${vaddr}" is not a hex address`);
  const va = BigInt(text.toLowerCase().startsWith('0x') ? text : `0x${text}`);
  if (va >= 1n << 64n) throw new RangeError(`${vaddr} does not fit 64 bits`);
  const t = translateAddress(src.dump, va, { roots: src.roots });
  const { meta, pte, inspector } = src.dump;
  const root = t.root >= 0 ? src.roots[t.root] : undefined;
  const vaBits = root?.vaBits ?? meta.vaMaxBits;
  const limits = root?.tableLimits !== false && typeof inspector?.tableLimit === 'function';
  const steps: WalkStep[] = t.steps.map((s, k) => {
    const lo = Number(s.bits & 0xffff_ffffn);
    const hi = Number(s.bits >> 32n);
    const present = pte.isPresent(s.bits, s.level);
    const leaf = t.mapped && k === t.steps.length - 1;
    const [, leafShift] = indexBits(src, s.level, vaBits);
    return {
      level: s.level,
      levelName: levelName(src.dump, s.level),
      index: s.index,
      tableBase: `0x${(s.entryPaddr - BigInt(s.index * meta.entryBytes)).toString(16)}`,
      entryPaddr: `0x${s.entryPaddr.toString(16)}`,
      lo,
      hi,
      entryBytes: meta.entryBytes,
      present,
      leaf,
      vaBits: indexBits(src, s.level, vaBits),
      limit: present && !leaf && limits ? inspector!.tableLimit!(lo, hi, s.level) : -1,
      describe: present && inspector?.describe ? inspector.describe(lo, hi, s.level, leaf) : '',
      fields: entryFields(src.spec.name, { bits: s.bits, level: s.level, levels: meta.levels, present, leaf, leafShift }),
    };
  });
  return {
    type: 'walked',
    id,
    vaddr: `0x${va.toString(16)}`,
    mapped: t.mapped,
    ...(t.paddr !== undefined ? { paddr: `0x${t.paddr.toString(16)}` } : {}),
    ...(t.pageSize !== undefined ? { pageSize: t.pageSize } : {}),
    ...(t.level !== undefined ? { level: t.level } : {}),
    ...(t.flags !== undefined ? { flags: t.flags } : {}),
    ...(t.effective !== undefined ? { effective: t.effective } : {}),
    root: t.root,
    steps,
    ...(t.reason !== undefined ? { reason: t.reason } : {}),
  };
}
