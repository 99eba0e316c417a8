// Dumps written by QEMU itself: QEMU starts paused with a table image loaded into guest RAM (-device loader), and its
// monitor writes an ELF core (dump-guest-memory: PT_LOAD segments at their physical addresses) and a raw image of the
// RAM (pmemsave). ptdump must list exactly the mappings the test put there; for the core, the architecture comes from
// e_machine. A test is skipped, with the reason, when the QEMU binary is absent, or for the ELF core when that QEMU
// version cannot dump the architecture (QEMU 7.2 has no dump-guest-memory for LoongArch).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { delimiter, join } from 'node:path';
import { ARCHES, type ArchSpec } from '@page-table-multiarch/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedRuns, listedRuns, registerArgs, runCli, tempDir, jsonDump } from './_support';

/** The QEMU system emulator and machine of each architecture (RAM where the samples' memory lies). */
const MACHINES: Record<string, { binary: string; args: string[] }> = {
  x86_64: { binary: 'qemu-system-x86_64', args: ['-M', 'pc', '-m', '64M'] },
  x86: { binary: 'qemu-system-x86_64', args: ['-M', 'pc', '-m', '64M'] },
  aarch64: { binary: 'qemu-system-aarch64', args: ['-M', 'virt', '-cpu', 'cortex-a57', '-m', '64M'] },
  arm: { binary: 'qemu-system-arm', args: ['-M', 'virt', '-cpu', 'cortex-a15', '-m', '64M'] },
  riscv64: { binary: 'qemu-system-riscv64', args: ['-M', 'virt', '-bios', 'none', '-m', '64M'] },
  riscv32: { binary: 'qemu-system-riscv32', args: ['-M', 'virt', '-bios', 'none', '-m', '64M'] },
  loongarch64: { binary: 'qemu-system-loongarch64', args: ['-M', 'virt', '-m', '1G'] },
};

function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const p = join(dir, binary);
    if (dir !== '' && existsSync(p)) {
      try {
        execFileSync(p, ['--version'], { stdio: 'ignore', timeout: 10_000 });
        return p;
      } catch {
        // not runnable: keep looking
      }
    }
  }
  return undefined;
}

const tmp = tempDir();
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  tmp.remove();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Terminal escape sequences (ESC [ ... letter) in the monitor's echo. */
const ESCAPES = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

/** A minimal HMP client: send a command line, get the text printed before the next prompt. */
class Monitor {
  private buf = '';
  private waiting: (() => void) | undefined;
  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      this.waiting?.();
    });
  }

  static async open(path: string, child: ChildProcess): Promise<Monitor> {
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`QEMU exited with ${child.exitCode}`);
      try {
        const sock = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        const m = new Monitor(sock);
        await m.reply();
        return m;
      } catch {
        await sleep(50);
      }
    }
    throw new Error('the QEMU monitor did not answer');
  }

  /** Text up to the next `(qemu) ` prompt, without the terminal's echo and escape sequences. */
  async reply(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf('(qemu) ');
      if (i >= 0) {
        const text = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 7);
        // HMP echoes the command line with cursor movements: drop the escapes and the echoed first line
        return text.replace(ESCAPES, '').split('\r\n').slice(1).join('\n').trim();
      }
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
      this.waiting = undefined;
    }
  }

  async command(line: string): Promise<string> {
    this.send(line);
    return this.reply();
  }

  /** Sends a line without waiting for an answer (`quit` has none). */
  send(line: string): void {
    this.sock.write(`${line}\n`);
  }

  close(): void {
    this.sock.destroy();
  }
}

/** What one paused QEMU wrote: a raw image of the sample's memory (pmemsave) and an ELF core (dump-guest-memory). */
interface Dumps {
  readonly raw: string;
  readonly core: string;
  /** The monitor's answer to dump-guest-memory ('' when it worked). */
  readonly coreReply: string;
}

/** Starts QEMU paused with the sample loaded, has its monitor write both dumps, and quits it. */
async function qemuDumps(name: string, binary: string, machine: readonly string[], image: Uint8Array, base: bigint): Promise<Dumps> {
  const file = (ext: string) => join(tmp.dir, `${name}.${ext}`);
  writeFileSync(file('img'), image);
  const args = [
    ...machine,
    '-S',
    '-display',
    'none',
    '-nodefaults',
    '-serial',
    'none',
    '-monitor',
    `unix:${file('sock')},server=on,wait=off`,
    '-device',
    `loader,file=${file('img')},addr=0x${base.toString(16)},force-raw=on`,
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    stderr += s;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const monitor = await Monitor.open(file('sock'), child).catch((e: Error) => {
      throw new Error(`${e.message}: ${stderr.trim()}`);
    });
    const saved = await monitor.command(`pmemsave 0x${base.toString(16)} ${image.length} "${file('raw')}"`);
    if (saved !== '') throw new Error(`pmemsave: ${saved}`);
    const coreReply = await monitor.command(`dump-guest-memory ${file('elf')}`);
    monitor.send('quit');
    await exited;
    monitor.close();
    return { raw: file('raw'), core: file('elf'), coreReply };
  } finally {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    children.delete(child);
  }
}

describe.each(ARCHES.map((a) => [a.name, a] as [string, ArchSpec]))('%s', (name, arch) => {
  const machine = MACHINES[name]!;
  const binary = findOnPath(machine.binary);
  const absent = binary === undefined ? ` (skipped: ${machine.binary} is not on PATH)` : '';
  const sample = arch.sample();
  const expected = expectedRuns(arch, sample.tables.map((t) => t.table), sample.registers, sample.switches);
  let dumps: Promise<Dumps> | undefined;
  const once = (): Promise<Dumps> => {
    dumps ??= qemuDumps(name, binary!, machine.args, sample.memory.bytes(), sample.memory.base);
    return dumps;
  };

  it.skipIf(binary === undefined)(
    `lists the mappings of an ELF core written by ${machine.binary}'s dump-guest-memory${absent}`,
    async (ctx) => {
      const { core, coreReply } = await once();
      if (/not currently supported/.test(coreReply)) ctx.skip(`${machine.binary} cannot dump this architecture: ${coreReply}`);
      expect(coreReply).toBe('');
      // the architecture comes from e_machine; the registers from the tables that were built
      const r = runCli([...registerArgs(sample), core, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const doc = jsonDump(r.stdout);
      expect(doc.arch).toBe(name);
      expect(doc.source).toMatch(/ELF(32|64) core/);
      expect(listedRuns(doc)).toEqual(expected);
      expect(doc.summary.diagnostics).toBe(0);
      expect(runCli([...registerArgs(sample), core]).stdout).toContain('---[ summary ]---');
    },
    60_000,
  );

  it.skipIf(binary === undefined)(
    `lists the mappings of a raw image written by ${machine.binary}'s pmemsave${absent}`,
    async () => {
      const { raw } = await once();
      const r = runCli(['--arch', name, '--base', `0x${sample.memory.base.toString(16)}`, ...registerArgs(sample), raw, '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(listedRuns(jsonDump(r.stdout))).toEqual(expected);
    },
    60_000,
  );
});
