// Helpers for the ptdump tests: run the command in-process, write dumps (raw and ELF core), and compute what a
// listing must say from the engine's own view of the tables that were built.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArchSpec, main, type Sample } from '@page-table-multiarch/cli';
import { type AttachPlan, formatFlags, type PageTable64, RegisterError } from '@page-table-multiarch/core';
import { schemaErrors } from './_schema';

/** The outcome of one ptdump run. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs ptdump in-process. */
export function runCli(argv: readonly string[], stderrIsTTY = false): CliResult {
  let stdout = '';
  let stderr = '';
  const code = main(argv, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    stderrIsTTY,
  });
  return { code, stdout, stderr };
}

/** A temporary directory, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ptdump-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A segment of an ELF core: bytes at a physical address, optionally followed by zeros up to `memsz`. */
export interface ElfSegment {
  readonly paddr: bigint;
  readonly bytes: Uint8Array;
  readonly memsz?: bigint;
}

/**
 * Writes an ELF core file (ET_CORE) with one PT_LOAD per segment, p_paddr = the physical address and p_vaddr = 0,
 * as QEMU's dump-guest-memory writes one without paging, preceded by a PT_NOTE (empty unless `notes` are given).
 */
export function writeElfCore(
  path: string,
  segments: readonly ElfSegment[],
  opts: { bits: 32 | 64; machine: number; littleEndian?: boolean; notes?: Uint8Array },
): void {
  const le = opts.littleEndian ?? true;
  const b64 = opts.bits === 64;
  const ehsize = b64 ? 64 : 52;
  const phentsize = b64 ? 56 : 32;
  const phnum = segments.length + 1;
  let offset = ehsize + phnum * phentsize;
  const head = new DataView(new ArrayBuffer(offset));
  const u8 = new Uint8Array(head.buffer);
  u8.set([0x7f, 0x45, 0x4c, 0x46, b64 ? 2 : 1, le ? 1 : 2, 1, 0]);
  head.setUint16(16, 4, le); // ET_CORE
  head.setUint16(18, opts.machine, le);
  head.setUint32(20, 1, le); // EV_CURRENT
  if (b64) {
    head.setBigUint64(0x20, BigInt(ehsize), le); // e_phoff
    head.setUint16(0x34, ehsize, le);
    head.setUint16(0x36, phentsize, le);
    head.setUint16(0x38, phnum, le);
  } else {
    head.setUint32(0x1c, ehsize, le);
    head.setUint16(0x28, ehsize, le);
    head.setUint16(0x2a, phentsize, le);
    head.setUint16(0x2c, phnum, le);
  }
  const ph = (i: number, type: number, off: number, paddr: bigint, filesz: number, memsz: bigint): void => {
    const o = ehsize + i * phentsize;
    head.setUint32(o, type, le);
    if (b64) {
      head.setUint32(o + 4, 4, le);
      head.setBigUint64(o + 8, BigInt(off), le);
      head.setBigUint64(o + 24, paddr, le);
      head.setBigUint64(o + 32, BigInt(filesz), le);
      head.setBigUint64(o + 40, memsz, le);
    } else {
      head.setUint32(o + 4, off, le);
      head.setUint32(o + 12, Number(paddr), le);
      head.setUint32(o + 16, filesz, le);
      head.setUint32(o + 20, Number(memsz), le);
      head.setUint32(o + 24, 4, le);
    }
  };
  const notes = opts.notes ?? new Uint8Array(0);
  ph(0, 4, offset, 0n, notes.length, 0n); // PT_NOTE
  const parts: Uint8Array[] = [u8, notes];
  offset += notes.length;
  segments.forEach((s, i) => {
    ph(i + 1, 1, offset, s.paddr, s.bytes.length, s.memsz ?? BigInt(s.bytes.length));
    parts.push(s.bytes);
    offset += s.bytes.length;
  });
  writeFileSync(path, Buffer.concat(parts));
}

/** e_machine of each architecture (what QEMU writes). */
export const MACHINE: Readonly<Record<string, number>> = { x86_64: 62, x86: 3, aarch64: 183, arm: 40, riscv64: 243, riscv32: 243, loongarch64: 258 };

/** Register options for ptdump: `--cr3 0x1000 --cr4 0x20 ...`. */
export function registerArgs(sample: Pick<Sample, 'registers' | 'switches'>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(sample.registers)) out.push(`--${k}`, `0x${v.toString(16)}`);
  for (const [k, v] of Object.entries(sample.switches)) if (v) out.push(`--${k}`);
  return out;
}

/** A `--json` document (of any command), checked against schema/ptdump.schema.json. */
// biome-ignore lint/suspicious/noExplicitAny: a parsed document, read by the tests member by member
export function jsonDocument(stdout: string): any {
  const doc = JSON.parse(stdout);
  const errors = schemaErrors(doc);
  if (errors.length > 0) throw new Error(`the JSON does not follow schema/ptdump.schema.json:\n${errors.slice(0, 10).join('\n')}`);
  return doc;
}

/**
 * The one dump of a `--json` document (a listing or a translation of one file, or of one `--arch` sample), after
 * checking the whole document against schema/ptdump.schema.json: every test that reads ptdump's JSON checks it.
 */
// biome-ignore lint/suspicious/noExplicitAny: a parsed document, read by the tests member by member
export function jsonDump(stdout: string): any {
  const doc = jsonDocument(stdout);
  if (doc.dumps.length !== 1) throw new Error(`a document of ${doc.dumps.length} dumps, not one`);
  return doc.dumps[0];
}

/** A run as the JSON listing gives it, reduced to what the tests compare. */
export interface ExpectedRun {
  readonly vaddr: string;
  readonly end: string;
  readonly paddr: string;
  readonly pageSize: number;
  readonly flags: string;
}

const hx = (v: bigint): string => `0x${v.toString(16)}`;

/**
 * What ptdump must list for tables built with the library: each root's table's `mappings()` (the engine's view)
 * inside the root's range, at the addresses the CPU uses (upper half in full), coalesced the obvious way.
 */
export function expectedRuns(arch: ArchSpec, tables: readonly PageTable64[], registers: Sample['registers'], switches: Sample['switches'] = {}): ExpectedRun[] {
  const plan = arch.decode(registers, switches);
  if (plan instanceof RegisterError) throw plan;
  return expectedForPlan(plan, tables);
}

/** {@link expectedRuns} for a decoded plan. */
export function expectedForPlan(plan: AttachPlan, tables: readonly PageTable64[]): ExpectedRun[] {
  const out: { vaddr: bigint; end: bigint; paddr: bigint; pageSize: number; flags: number; level: number }[] = [];
  for (const root of plan.roots) {
    const table = tables.find((t) => t.rootPaddr === BigInt(root.root));
    if (!table) throw new Error(`no table at root ${String(root.root)}`);
    const start = BigInt(root.vaStart);
    const end = BigInt(root.vaEnd);
    const span = 1n << BigInt(root.vaBits ?? table.meta.vaMaxBits);
    const list = [...table.mappings()]
      .map((m) => ({ ...m, va: table.meta.signExtend ? m.vaddr : start - (start % span) + (m.vaddr % span) }))
      .filter((m) => m.va >= start && m.va < end)
      .sort((a, b) => (a.va < b.va ? -1 : 1));
    const first = out.length;
    for (const m of list) {
      const prev = out.length > first ? out[out.length - 1] : undefined;
      if (prev && prev.end === m.va && prev.paddr + (prev.end - prev.vaddr) === m.paddr && prev.pageSize === m.size && prev.flags === m.flags && prev.level === m.level) {
        prev.end += BigInt(m.size);
      } else {
        out.push({ vaddr: m.va, end: m.va + BigInt(m.size), paddr: m.paddr, pageSize: m.size, flags: m.flags, level: m.level });
      }
    }
  }
  return out.map((r) => ({ vaddr: hx(r.vaddr), end: hx(r.end), paddr: hx(r.paddr), pageSize: r.pageSize, flags: formatFlags(r.flags) }));
}

/** The mapping records of a dump of a JSON listing ({@link jsonDump}), reduced as {@link ExpectedRun}. */
export function listedRuns(dump: { records: Record<string, unknown>[] }): ExpectedRun[] {
  return dump.records
    .filter((r) => r['kind'] === 'mapping')
    .map((r) => ({
      vaddr: r['vaddr'] as string,
      end: r['end'] as string,
      paddr: r['paddr'] as string,
      pageSize: Number(r['pageSize'] as string),
      flags: r['flags'] as string,
    }));
}
