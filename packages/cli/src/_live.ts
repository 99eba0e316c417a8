// ptdump --gdb HOST:PORT: the tables of a live machine, read through QEMU's gdb stub.
//
// The listing code is synchronous (it walks, formats and writes in one go, and main() returns a number); the stub
// answers asynchronously. mainAsync bridges them by running the same command again until it needs nothing new: each
// run reads memory from a page cache, and a frame the cache lacks reads as zeros (an empty table: the walk does not
// go below it) and is noted. Between runs the noted frames are fetched. Each run reaches one level further down the
// tables, so a walk of N levels takes about N quiet runs, then one run writes the output, from the cache alone.
// Every frame is read from the stub once.
import { type AttachPlan, checkRoot, type DumpSource, hex, PagedMemory, type PagingHandler, type PhysAddr } from '@page-table-multiarch/core';
import { ARCHES, type ArchSpec, archByName } from './_arches';
import { CliError } from './_errors';
import { chunkBytesFor, planOf } from './_file-job';
import { GdbError, GdbRemote } from './_gdb';
import type { Job } from './_list';
import { type CliIo, mainWith } from './_main';
import { parseValue } from './_values';

/** Default milliseconds a request to the stub may take (--gdb-timeout). */
export const GDB_TIMEOUT_MS = 5000;
/** Runs of the command before it must have found every table (a walk of 6 levels needs 7). */
const MAX_ROUNDS = 16;
const FRAME = 4096;
const TWO20 = 0x10_0000;
const TWO32 = 0x1_0000_0000;

/**
 * Where the stub's `<architecture>` (GDB manual, "Target Descriptions") says the CPU is: QEMU names x86_64
 * `i386:x86-64` (gdb-xml/i386-64bit.xml), AArch64 `aarch64` (gdb-xml/aarch64-core.xml), RV64 `riscv:rv64`.
 */
const STUB_ARCHES: Readonly<Record<string, string>> = { 'i386:x86-64': 'x86_64', aarch64: 'aarch64', 'riscv:rv64': 'riscv64' };

/**
 * The translation registers the stub shows, as [option, name in the target description]. QEMU's descriptions:
 * x86_64 gdb-xml/i386-64bit.xml (cr0, cr3, cr4, efer; IA32_PAT is not there); AArch64 the system-registers.xml that
 * target/arm/gdbstub64.c (gdbstub.c in 7.2) builds from the coprocessor register table, named as in
 * target/arm/helper.c (TTBR0_EL1, TTBR1_EL1, TCR_EL1, MAIR_EL1; SCTLR_EL1 is `SCTLR`); RISC-V riscv-csr.xml, built by
 * target/riscv/gdbstub.c from the CSR table (satp).
 */
const STUB_REGISTERS: Readonly<Record<string, readonly (readonly [option: string, name: string])[]>> = {
  x86_64: [
    ['cr0', 'cr0'],
    ['cr3', 'cr3'],
    ['cr4', 'cr4'],
    ['efer', 'efer'],
  ],
  aarch64: [
    ['ttbr0', 'TTBR0_EL1'],
    ['ttbr1', 'TTBR1_EL1'],
    ['tcr', 'TCR_EL1'],
    ['mair', 'MAIR_EL1'],
  ],
  riscv64: [['satp', 'satp']],
};

/** What the command line asks of the live machine. */
export interface LiveOptions {
  /** The --gdb text. */
  readonly target: string;
  readonly allowRemote: boolean;
  /** The --gdb-timeout text, if given. */
  readonly timeout: string | undefined;
  readonly arch: ArchSpec | undefined;
  /** Register values given as options, by option name (text as typed): they override the stub's. */
  readonly registers: Readonly<Record<string, string>>;
  readonly switches: readonly string[];
  readonly cacheChunks: number;
}

/** Thrown out of main() by a run that needs the stub connected first: {@link mainAsync} catches it. */
class NeedsConnection extends Error {}

/** True for a host name or address that stays on this machine. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * HOST:PORT, :PORT or PORT (host 127.0.0.1), [IPv6]:PORT. A host that is not loopback is refused without
 * `allowRemote`: the remote protocol has neither authentication nor encryption, and a stub writes guest memory and
 * registers on request, so a stub that listens beyond this machine is a hole this tool should not make normal.
 */
export function gdbTarget(text: string, allowRemote: boolean): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  if (m === null) throw new CliError(`--gdb: '${text}' is not HOST:PORT (for example 127.0.0.1:1234, as QEMU's -gdb tcp::1234 listens)`);
  const host = m[1] || m[2] || '127.0.0.1';
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new CliError(`--gdb: port ${m[3]} is outside 1..65535`);
  if (!allowRemote && !isLoopback(host)) {
    throw new CliError(
      `--gdb: ${host} is not a loopback address; the gdb remote protocol has no authentication or encryption and lets anyone who reaches the stub read and write the guest: pass --gdb-allow-remote to connect anyway`,
    );
  }
  return { host, port };
}

/**
 * A PagingHandler over the session's page cache. A frame not fetched yet reads as zeros and is noted as missing; a
 * frame the stub could not read is not backed (a table pointer to it is reported as such).
 */
class LiveMemory implements PagingHandler {
  private readonly paged: PagedMemory;
  /** Physical address of the previous wordIndex call (-1: none), to see a table of several frames. */
  private prev = -1;

  constructor(
    private readonly session: LiveSession,
    chunkBytes: number,
    cacheChunks: number,
  ) {
    const pages = session.pages;
    this.paged = new PagedMemory({
      // the stub reads any physical address: QEMU answers for memory that is not there (it reads as zeros or ones)
      ranges: [{ base: 0n, size: 1n << 52n }],
      chunkBytes,
      cacheChunks,
      read: (pa, into) => {
        for (let off = 0; off < into.length; off += FRAME) {
          const page = pages.get(Number(pa >> 12n) + off / FRAME);
          if (page) into.set(page.subarray(0, Math.min(FRAME, into.length - off)), off);
        }
      },
    });
  }

  get words(): Uint32Array {
    return this.paged.words;
  }

  allocFrames(_count: number, _align: number): PhysAddr | null {
    return null;
  }

  deallocFrames(paddr: PhysAddr, _count: number): void {
    throw new RangeError(`deallocFrames: ${hex(paddr)} was not allocated from a live machine's memory`);
  }

  wordIndex(paLo: number, paHi: number): number {
    const lo = paLo >>> 0;
    const addr = (paHi >>> 0) * TWO32 + lo;
    const frame = (paHi >>> 0) * TWO20 + (lo >>> 12);
    const prev = this.prev;
    this.prev = addr;
    // a table of several frames is read at its first word, then at its last (readTable, core inspect/format.ts):
    // the frames between them belong to it too
    if (prev >= 0 && prev % FRAME === 0 && (addr + 4) % FRAME === 0 && addr > prev && addr - prev < 0x10000) {
      for (let f = prev / FRAME + 1; f < frame; f++) this.session.note(f);
    }
    if (this.session.note(frame) === null) return -1;
    return this.paged.wordIndex(paLo, paHi);
  }
}

/** The connection, the registers read from it and the frames read so far, across the runs of one command. */
export class LiveSession {
  /** Frame number -> its bytes, or null when the stub could not read it. */
  readonly pages: Map<number, Uint8Array | null> = new Map();
  /** Frames a run asked for that are not in `pages`. */
  readonly missing: Set<number> = new Set();
  /** Frames read from the stub (each once). */
  framesRead = 0;
  /** Whether a run asked for the live machine (--gdb was given). */
  used = false;
  private gdb: GdbRemote | undefined;
  private where = '';
  private stubArch: string | undefined;
  private readonly stubRegisters: Record<string, bigint> = {};
  private sctlr: bigint | undefined;
  private options: LiveOptions | undefined;

  /** The frame's bytes, null when unreadable, undefined (and noted as missing) when not fetched yet. */
  note(frame: number): Uint8Array | null | undefined {
    const page = this.pages.get(frame);
    if (page === undefined) this.missing.add(frame);
    return page;
  }

  /** The job of a run (called by main's run with the parsed options). */
  job(o: LiveOptions): Job {
    this.used = true;
    const { host, port } = gdbTarget(o.target, o.allowRemote);
    if (o.timeout !== undefined) timeoutOf(o.timeout);
    if (this.gdb === undefined) {
      this.options = o;
      throw new NeedsConnection();
    }
    const spec = o.arch ?? this.archOfStub();
    const registers: Record<string, bigint> = {};
    for (const [r, text] of Object.entries(o.registers)) {
      if (!spec.registers.includes(r)) throw new CliError(`--${r} is not a register of ${spec.name} (${spec.usage})`);
      registers[r] = parseValue(text, `--${r}`);
    }
    const switches: Record<string, boolean> = {};
    for (const sw of o.switches) {
      if (!spec.switches.includes(sw)) throw new CliError(`--${sw} does not apply to ${spec.name} (${spec.usage})`);
      switches[sw] = true;
    }
    const overridden: string[] = [];
    const taken: string[] = [];
    for (const [r, v] of Object.entries(this.stubRegisters)) {
      if (!spec.registers.includes(r)) continue;
      if (registers[r] !== undefined) overridden.push(r);
      else {
        registers[r] = v;
        taken.push(`${r.toUpperCase()}=${hex(v)}`);
      }
    }
    const notes = [`registers from the gdb stub at ${host}:${port}: ${taken.join(' ') || 'none used'}${overridden.length > 0 ? `; ${overridden.map((r) => `--${r}`).join(' ')} given on the command line` : ''}`];
    // SCTLR_EL1.M (bit 0) enables the EL1&0 stage 1 MMU (Arm ARM DDI 0487, D19 SCTLR_EL1)
    if (spec.name === 'aarch64' && this.sctlr !== undefined && (this.sctlr & 1n) === 0n) {
      notes.push('SCTLR_EL1.M = 0: the stage 1 MMU is off; listing the tables the registers point at');
    }
    let plan: AttachPlan = planOf(spec, registers, switches);
    plan = { ...plan, notes: [...notes, ...plan.notes] };
    const handler = new LiveMemory(this, chunkBytesFor(spec, plan), o.cacheChunks);
    const src: DumpSource = { ...plan.format, handler };
    for (const root of plan.roots) {
      const problem = checkRoot(src, root);
      if (problem !== undefined) throw new CliError(`${root.label ?? 'root'}: ${problem} (the gdb stub at ${host}:${port} cannot read it)`);
    }
    return { arch: spec, plan, handler, source: `gdb stub at ${this.where} (${this.stubArch ?? 'no architecture named'}), read on demand`, registers };
  }

  private archOfStub(): ArchSpec {
    const name = this.stubArch === undefined ? undefined : STUB_ARCHES[this.stubArch];
    if (name === undefined) {
      throw new CliError(`--gdb: the stub's target description names ${this.stubArch === undefined ? 'no architecture' : `the architecture '${this.stubArch}'`}, which ptdump does not read registers of: give --arch and the registers (${ARCHES.map((a) => a.name).join(', ')})`);
    }
    return archByName(name)!;
  }

  /** Connects (first time) and fetches the missing frames. */
  async satisfy(): Promise<void> {
    const o = this.options;
    if (this.gdb === undefined && o !== undefined) await this.connect(o);
    const gdb = this.gdb!;
    const frames = [...this.missing].sort((a, b) => a - b);
    this.missing.clear();
    for (const f of frames) {
      if (this.pages.has(f)) continue;
      try {
        this.pages.set(f, await gdb.readMemory(BigInt(f) * BigInt(FRAME), FRAME));
        this.framesRead++;
      } catch (err) {
        // an error reply for this frame (memory the stub cannot read): not backed; a dead connection ends the run
        if (!(err instanceof GdbError) || err.code !== 'protocol') throw err;
        this.pages.set(f, null);
      }
    }
  }

  private async connect(o: LiveOptions): Promise<void> {
    const { host, port } = gdbTarget(o.target, o.allowRemote);
    const timeoutMs = o.timeout === undefined ? GDB_TIMEOUT_MS : timeoutOf(o.timeout);
    this.where = `${host}:${port}`;
    const gdb = await GdbRemote.connect({ host, port }, { retryMs: 0, requestTimeoutMs: timeoutMs });
    this.gdb = gdb;
    try {
      await gdb.physicalMemoryMode();
    } catch (err) {
      if (!(err instanceof GdbError) || err.code !== 'protocol') throw err;
      throw new GdbError('protocol', `the gdb stub at ${this.where} does not read physical memory (Qqemu.PhyMemMode:1 is QEMU's): ${err.message}`);
    }
    const available = await gdb.registers().catch((err: unknown) => {
      if (err instanceof GdbError && err.code === 'protocol') return new Map<string, unknown>();
      throw err;
    });
    this.stubArch = await gdb.architecture().catch(() => undefined);
    const spec = o.arch ?? this.archOfStub();
    for (const [option, name] of STUB_REGISTERS[spec.name] ?? []) {
      if (available.has(name)) this.stubRegisters[option] = await gdb.readRegister(name);
    }
    if (spec.name === 'aarch64' && available.has('SCTLR')) this.sctlr = await gdb.readRegister('SCTLR');
  }

  /** Puts the stub back in virtual-address mode and closes the connection; the machine stays stopped. */
  async close(): Promise<void> {
    const gdb = this.gdb;
    this.gdb = undefined;
    if (gdb === undefined) return;
    // QEMU's mode is global to the stub: the next debugger to connect would read physical memory unawares
    await gdb.request('Qqemu.PhyMemMode:0').catch(() => undefined);
    gdb.close();
  }
}

/** --gdb-timeout MS, checked. */
function timeoutOf(text: string): number {
  const ms = Number(parseValue(text, '--gdb-timeout'));
  if (ms < 1 || ms > 3_600_000) throw new CliError(`--gdb-timeout: ${ms} ms is outside 1..3600000`);
  return ms;
}

const QUIET: CliIo = { stdout: () => {}, stderr: () => {}, stderrIsTTY: false };

/**
 * Runs ptdump like `main`, and with `--gdb HOST:PORT` reads the tables of a live machine through its gdb
 * stub (QEMU's `-gdb tcp::PORT`): the translation registers the stub shows (options override them) and physical
 * memory (QEMU's `Qqemu.PhyMemMode:1`), each frame once. The stub stops the machine while it is connected and leaves
 * it stopped. Resolves to the exit status: that of `main`; a connection that is refused, closed or silent
 * (`--gdb-timeout`, default 5,000 ms a request) is reported on stderr with status 2.
 * @example await mainAsync(['--gdb', '127.0.0.1:1234'], io);
 */
export async function mainAsync(argv: readonly string[], io: CliIo): Promise<number> {
  const session = new LiveSession();
  try {
    let io1 = io;
    for (let round = 0; ; round++) {
      let status: number | undefined;
      try {
        status = mainWith(argv, io1, session);
      } catch (err) {
        if (!(err instanceof NeedsConnection)) throw err;
      }
      if (status !== undefined && (io1 === io || !session.used)) return status;
      if (session.missing.size === 0 && status !== undefined) {
        // every frame the command reads is cached: this time for real
        io1 = io;
        continue;
      }
      if (round >= MAX_ROUNDS) throw new CliError(`--gdb: the tables still led to new frames after ${MAX_ROUNDS} reads`);
      await session.satisfy();
      io1 = QUIET;
    }
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`ptdump: ${err instanceof GdbError ? `--gdb: ${err.message}` : err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    await session.close();
  }
}
