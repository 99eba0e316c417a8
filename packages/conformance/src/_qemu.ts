// Starting and stopping QEMU: a paused machine with a memory image loaded into its RAM and a gdb stub on a
// Unix socket in a private temporary directory (no port to pick, no port to collide with a parallel run).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { hex } from '@page-table-multiarch/core';
import { GdbRemote } from '@page-table-multiarch/cli';

/** Path of a QEMU system emulator found on PATH, or null when it is not installed. */
export function findQemu(binary: string): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, binary);
    try {
      execFileSync(p, ['--version'], { stdio: 'ignore', timeout: 10_000 });
      return p;
    } catch {
      // not here, or not runnable
    }
  }
  return null;
}

/**
 * The cache folder of the install scripts (debian-archive.mjs `cacheRoot`): $PTM_QEMU_CACHE, else
 * $XDG_CACHE_HOME/page-table-multiarch, else ~/.cache/page-table-multiarch.
 */
export function cacheDir(): string {
  const env = process.env;
  return env['PTM_QEMU_CACHE'] || join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'page-table-multiarch');
}

/** The folder of the current QEMU that install-current.mjs installs: $QEMU_CURRENT_DIR, else qemu-current in {@link cacheDir}. */
export function currentQemuDir(): string {
  return process.env['QEMU_CURRENT_DIR'] || join(cacheDir(), 'qemu-current');
}

/** Path of an emulator of the current QEMU (`bin/` of {@link currentQemuDir}), or null when it is not installed. */
export function findCurrentQemu(binary: string): string | null {
  const p = join(currentQemuDir(), 'bin', binary);
  try {
    execFileSync(p, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return p;
  } catch {
    return null;
  }
}

/** The version line of a QEMU binary ("QEMU emulator version 7.2.22 ..."). */
export function qemuVersion(path: string): string {
  return execFileSync(path, ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
}

/** What to start. */
export interface QemuOptions {
  /** Absolute path of the emulator (from {@link findQemu}). */
  readonly binary: string;
  /** Machine and CPU arguments, e.g. ['-M', 'q35', '-cpu', 'max', '-m', '64M']. */
  readonly machine: readonly string[];
  /** Blobs placed in guest RAM before the first instruction: physical address and bytes. */
  readonly images: readonly { readonly addr: bigint; readonly bytes: Uint8Array }[];
  /** A file that receives what the guest writes to its first serial port (default: no serial port). */
  readonly serial?: string;
  /**
   * A TCP port on 127.0.0.1 for the gdb stub (QEMU's `-gdb tcp:127.0.0.1:PORT`), for a client that connects by
   * address (ptdump --gdb); default: a Unix socket in the private temporary directory.
   */
  readonly gdbPort?: number;
}

/** A running, paused QEMU and the gdb connection to it. */
export interface Qemu {
  readonly gdb: GdbRemote;
  /** Everything QEMU wrote to stderr so far (for failure messages). */
  readonly stderr: () => string;
  /** Kills QEMU, closes the connection and removes the temporary files. Safe to call twice. */
  readonly close: () => Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHook = false;

/**
 * Starts QEMU paused (-S) with a gdb stub and the images loaded by `-device loader`, and connects.
 * The process is killed by `close()`, and in any case when this Node process exits.
 */
export async function startQemu(options: QemuOptions): Promise<Qemu> {
  const dir = mkdtempSync(join(tmpdir(), 'ptm-qemu-'));
  const sock = join(dir, 'gdb.sock');
  const serial = options.serial === undefined ? 'none' : `file:${options.serial}`;
  const args = [...options.machine, '-S', '-display', 'none', '-nodefaults', '-monitor', 'none', '-serial', serial];
  args.push('-gdb', options.gdbPort === undefined ? `unix:${sock},server=on,wait=off` : `tcp:127.0.0.1:${options.gdbPort}`);
  options.images.forEach((img, i) => {
    const file = join(dir, `image${i}.bin`);
    writeFileSync(file, img.bytes);
    args.push('-device', `loader,file=${file},addr=0x${img.addr.toString(16)},force-raw=on`);
  });
  const child = spawn(options.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  let err = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    err += s;
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    gdb?.close();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  let gdb: GdbRemote | undefined;
  try {
    gdb = await Promise.race([
      GdbRemote.connect(options.gdbPort === undefined ? { path: sock } : { port: options.gdbPort }),
      exited.then(() => {
        throw new Error(`QEMU exited before its gdb stub answered: ${err.trim()}`);
      }),
    ]);
  } catch (e) {
    await close();
    throw e;
  }
  const g = gdb;
  return { gdb: g, stderr: () => err, close };
}

/**
 * The monitor's `gva2gpa` of `va`: the guest physical address, or null for "Unmapped". It runs QEMU's debug walk
 * (x86_64, RISC-V) with the CPU's current registers.
 */
export async function gva2gpa(gdb: GdbRemote, va: bigint): Promise<bigint | null> {
  const out = (await gdb.monitor(`gva2gpa ${hex(va)}`)).trim();
  // hmp_gva2gpa prints with %#x, which writes a zero as plain 0
  const m = /^gpa: (0x[0-9a-f]+|0)$/.exec(out);
  if (m === null && out !== 'Unmapped') throw new Error(`gva2gpa ${hex(va)}: unexpected answer "${out}"`);
  return m === null ? null : BigInt(m[1]!);
}

/** The lines of a monitor listing that `pattern` matches (trimmed), each made into a value by `make`. */
export function parseListing<T>(text: string, pattern: RegExp, make: (match: RegExpExecArray) => T): T[] {
  const out: T[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = pattern.exec(line.trim());
    if (m !== null) out.push(make(m));
  }
  return out;
}

/**
 * The entry of a monitor listing sorted by address (`info mem` runs) whose [start, end) holds `va`, or null: a
 * binary search.
 */
export function findSpan<T>(spans: readonly T[], va: bigint, start: (span: T) => bigint, end: (span: T) => bigint): T | null {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const span = spans[mid]!;
    if (va < start(span)) hi = mid - 1;
    else if (va >= end(span)) lo = mid + 1;
    else return span;
  }
  return null;
}

/** One guest instruction as QEMU's `-d in_asm` log shows it: its address, its word and QEMU's disassembly. */
export interface LoggedInsn {
  readonly word: number;
  readonly text: string;
}

/**
 * The instructions of a `-d in_asm` log ("0x41000000:  d518a200  msr      mair_el1, x0"), by address, with
 * the disassembly's runs of blanks made single spaces.
 */
export function parseInAsm(log: string): Map<bigint, LoggedInsn> {
  const out = new Map<bigint, LoggedInsn>();
  for (const line of log.split('\n')) {
    const m = /^0x([0-9a-f]+):\s+([0-9a-f]{8})\s+(.*)$/.exec(line.trim());
    if (m === null) continue;
    out.set(BigInt(`0x${m[1]}`), { word: Number.parseInt(m[2]!, 16), text: m[3]!.replace(/\s+/g, ' ').trim() });
  }
  return out;
}
