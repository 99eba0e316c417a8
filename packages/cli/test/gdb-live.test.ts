// ptdump --gdb against a gdb stub in this process: a small server that speaks the remote protocol over the memory of
// an embedded sample (registers in a target description as QEMU names them, physical memory after
// Qqemu.PhyMemMode:1), and servers that fail in each way a connection can: nothing listening, a hang-up, silence.
// The listing must be that of a raw dump of the same memory, every frame read once; each failure is one line and
// exit status 2. (The same against real QEMUs is packages/conformance/test/ptdump-live.test.ts.)
import { readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { archByName, GdbError, GdbRemote, main, mainAsync } from '@page-table-multiarch/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { registerArgs, runCli, tempDir } from './_support';

const tmp = tempDir();
const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
  tmp.remove();
});

const x64 = archByName('x86_64')!;
const sample = x64.sample();
const image = sample.memory.bytes();
const base = Number(sample.memory.base);

function checksum(s: string): string {
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum = (sum + s.charCodeAt(i)) & 0xff;
  return sum.toString(16).padStart(2, '0');
}

function le(v: bigint, bytes: number): string {
  let out = '';
  for (let i = 0; i < bytes; i++) out += Number((v >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0');
  return out;
}

/** What the stub saw. */
interface StubLog {
  /** Physical addresses of the memory reads, in order. */
  readonly reads: bigint[];
  phys: boolean;
  /** Every packet received. */
  readonly packets: string[];
  /** Frames (physical address >> 12) whose reads the stub answers with an error. */
  readonly failing: Set<bigint>;
}

/** The x86_64 registers the stub shows, in QEMU's gdb-xml/i386-64bit.xml order after the general registers. */
const REGS: [string, bigint][] = [
  ['rip', 0n],
  ['cr0', sample.registers['cr0']!],
  ['cr2', 0n],
  ['cr3', sample.registers['cr3']!],
  ['cr4', sample.registers['cr4']!],
  ['cr8', 0n],
  ['efer', sample.registers['efer']!],
];
const TARGET = `<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target><architecture>i386:x86-64</architecture><xi:include href="sys.xml"/></target>`;
const SYS = `<?xml version="1.0"?><feature name="org.gnu.gdb.i386.sys">${REGS.map(([n]) => `<reg name="${n}" bitsize="64" type="int"/>`).join('')}</feature>`;

/** The answer of a stub over the sample's memory to one packet. */
function answer(p: string, log: StubLog): string {
  log.packets.push(p);
  if (p.startsWith('qSupported')) return 'PacketSize=1000;qXfer:features:read+';
  if (p === 'QStartNoAckMode') return 'OK';
  if (p === 'Qqemu.PhyMemMode:1' || p === 'Qqemu.PhyMemMode:0') {
    log.phys = p.endsWith('1');
    return 'OK';
  }
  const x = /^qXfer:features:read:([^:]+):([0-9a-f]+),([0-9a-f]+)$/.exec(p);
  if (x) {
    const doc = x[1] === 'target.xml' ? TARGET : x[1] === 'sys.xml' ? SYS : undefined;
    if (doc === undefined) return 'E00';
    const off = Number.parseInt(x[2]!, 16);
    const part = doc.slice(off, off + Number.parseInt(x[3]!, 16));
    return (off + part.length >= doc.length ? 'l' : 'm') + part;
  }
  const r = /^p([0-9a-f]+)$/.exec(p);
  if (r) {
    const reg = REGS[Number.parseInt(r[1]!, 16)];
    return reg ? le(reg[1], 8) : 'E01';
  }
  const m = /^m([0-9a-f]+),([0-9a-f]+)$/.exec(p);
  if (m) {
    if (!log.phys) return 'E14';
    const pa = BigInt(`0x${m[1]}`);
    const n = Number.parseInt(m[2]!, 16);
    log.reads.push(pa);
    if (log.failing.has(pa >> 12n)) return 'E14';
    let out = '';
    for (let i = 0; i < n; i++) {
      const off = Number(pa) + i - base;
      out += (off >= 0 && off < image.length ? image[off]! : 0).toString(16).padStart(2, '0');
    }
    return out;
  }
  return '';
}

/** Listens on a free loopback port; `onSocket` handles each connection. */
async function listen(onSocket: (s: Socket) => void): Promise<number> {
  const server = createServer(onSocket);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A stub over the sample's memory; returns its port and its log. */
async function stub(failing: readonly bigint[] = []): Promise<{ port: number; log: StubLog }> {
  const log: StubLog = { reads: [], phys: false, packets: [], failing: new Set(failing) };
  const port = await listen((s) => {
    s.setEncoding('latin1');
    let buf = '';
    s.on('data', (d: string) => {
      buf += d;
      for (;;) {
        const start = buf.indexOf('$');
        const end = buf.indexOf('#', start);
        if (start < 0 || end < 0 || end + 3 > buf.length) return;
        const body = buf.slice(start + 1, end);
        buf = buf.slice(end + 3);
        const reply = answer(body, log);
        s.write(`+$${reply}#${checksum(reply)}`);
      }
    });
  });
  return { port, log };
}

/** Runs ptdump through mainAsync, as the executable does. */
async function runLive(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await mainAsync(argv, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    stderrIsTTY: false,
  });
  return { code, stdout, stderr };
}

/** The listing from its first section on (the header lines name the source). */
const body = (text: string) => text.slice(text.indexOf('---['));

describe('ptdump --gdb', () => {
  const raw = join(tmp.dir, 'x86_64.bin');
  writeFileSync(raw, image);
  const fromDump = runCli(['--arch', 'x86_64', '--base', `0x${base.toString(16)}`, ...registerArgs(sample), raw]);

  it('lists what a dump of the same memory lists, with the registers from the stub', async () => {
    expect(fromDump.code).toBe(0);
    const { port } = await stub();
    const r = await runLive(['--gdb', `127.0.0.1:${port}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(body(r.stdout)).toBe(body(fromDump.stdout));
    expect(r.stdout).toMatch(/^ptdump: x86_64 4-level \(x86_64\) in gdb stub at 127\.0\.0\.1:\d+ \(i386:x86-64\), read on demand$/m);
    expect(r.stdout).toContain(`note: registers from the gdb stub at 127.0.0.1:${port}: CR0=0x${sample.registers['cr0']!.toString(16)}`);
    // translate goes through the same cache
    const va = '0xffffffff81001234';
    const t = await runLive(['--gdb', `:${port}`, 'translate', va]);
    expect(t.code).toBe(0);
    expect(body(t.stdout)).toBe(body(runCli(['--arch', 'x86_64', '--base', `0x${base.toString(16)}`, ...registerArgs(sample), raw, 'translate', va]).stdout));
  });

  it('prints what the README shows', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const block = (after: string): string[] => {
      const at = readme.indexOf(`${after}\n\n\`\`\`text\n`);
      expect(at, after).toBeGreaterThan(0);
      const start = readme.indexOf('```text\n', at) + 8;
      return readme.slice(start, readme.indexOf('```', start)).trimEnd().split('\n');
    };
    const { port } = await stub();
    const r = await runLive(['--gdb', `127.0.0.1:${port}`]);
    const lines = r.stdout.split('\n');
    const shown = block('them through the stub, `ptdump --gdb 127.0.0.1:1234`:').filter((l) => l !== '...');
    expect(shown.length).toBeGreaterThan(10);
    for (const line of shown) expect(lines).toContain(line.replaceAll('127.0.0.1:1234', `127.0.0.1:${port}`));
    const errors = block('And what goes wrong:');
    const remote = await runLive(['--gdb', '192.168.1.5:1234']);
    expect(errors[1]).toBe(remote.stderr.trimEnd());
    expect(errors[3]).toBe('ptdump: --gdb: cannot connect to a gdb stub at 127.0.0.1:1234 (ECONNREFUSED)');
  });

  it('reads each frame once, only the tables, in physical-memory mode, and leaves the stub in its default mode', async () => {
    const { port, log } = await stub();
    const r = await runLive(['--gdb', `localhost:${port}`, '--json']);
    expect(r.code).toBe(0);
    const pages = new Set(log.reads.map((pa) => pa >> 12n));
    // 2 KiB per request: two per frame
    expect(log.reads.length).toBe(pages.size * 2);
    const doc = JSON.parse(r.stdout) as { summary: { tables: number[] } };
    const tables = doc.summary.tables.reduce((a, b) => a + b, 0);
    expect(pages.size).toBe(tables);
    expect(log.packets.indexOf('Qqemu.PhyMemMode:1')).toBeLessThan(log.packets.findIndex((p) => p.startsWith('m')));
    expect(log.packets.at(-1)).toBe('Qqemu.PhyMemMode:0');
  });

  it('takes a register given on the command line over the stub\'s, and says so', async () => {
    const { port } = await stub();
    // a CR3 past the sample's memory: nothing is mapped there (exit status 3, a wrong register value)
    const r = await runLive(['--gdb', `127.0.0.1:${port}`, '--cr3', '0x200000']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('--cr3 given on the command line');
    expect(r.stdout).toMatch(/CR3=0x200000/);
    expect(r.stdout).not.toContain(`CR3=0x${sample.registers['cr3']!.toString(16)}`);
  });

  it('reports a table the stub cannot read where it is reached, and lists the rest', async () => {
    // the user half's PDPT: the lower half's only table below the PML4
    const root = sample.registers['cr3']!;
    const pdpt = sample.memory.readU64(root)! & 0x000f_ffff_ffff_f000n;
    const { port } = await stub([pdpt >> 12n]);
    const r = await runLive(['--gdb', `127.0.0.1:${port}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^!! 0x0000000000000000 OutsideMemory: PML4\[0\]: table at 0x[0-9a-f]+ \(4096 bytes\) is not inside the memory/m);
    expect(r.stdout).toContain('0xffff888000000000-0xffff888080000000');
    // the diagnostic is in the user range: under its header
    expect(r.stdout).toMatch(/^---\[ user space \]---\n!! 0x0000000000000000 OutsideMemory/m);
    expect(r.stdout).not.toContain('0x0000000000400000-');
    // the root itself unreadable: an error, exit status 2
    const { port: p2 } = await stub([root >> 12n]);
    const bad = await runLive(['--gdb', `127.0.0.1:${p2}`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ptdump: CR3 \(lower half\): root table 0x100000 \(4096 bytes\) is outside the memory \(the gdb stub at 127\.0\.0\.1:\d+ cannot read it\)\n$/);
  });

  it('refuses a host that is not loopback unless --gdb-allow-remote, before connecting', async () => {
    const r = await runLive(['--gdb', '192.0.2.1:1234']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ptdump: --gdb: 192\.0\.2\.1 is not a loopback address; .* pass --gdb-allow-remote to connect anyway\n$/);
    // 0.0.0.0 is not a loopback address, though Linux connects it to this machine
    const { port } = await stub();
    expect((await runLive(['--gdb', `0.0.0.0:${port}`])).code).toBe(2);
    const allowed = await runLive(['--gdb', `0.0.0.0:${port}`, '--gdb-allow-remote']);
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
  });

  it('reports a refused connection in one line, exit status 2', async () => {
    const port = await listen(() => {});
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const r = await runLive(['--gdb', `127.0.0.1:${port}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ptdump: --gdb: cannot connect to a gdb stub at 127.0.0.1:${port} (ECONNREFUSED)\n`);
  });

  it('reports a stub that hangs up, exit status 2', async () => {
    const port = await listen((s) => s.end());
    const r = await runLive(['--gdb', `127.0.0.1:${port}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ptdump: --gdb: the gdb stub closed the connection\n');
  });

  it('reports a stub that does not answer within --gdb-timeout, exit status 2', async () => {
    const port = await listen((s) => s.on('data', () => {}));
    const t0 = Date.now();
    const r = await runLive(['--gdb', `127.0.0.1:${port}`, '--gdb-timeout', '150']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('ptdump: --gdb: the gdb stub did not answer within 150 ms\n');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('reports a connection not made within --gdb-timeout, exit status 2', async () => {
    // a listener in another process that never accepts, its queue filled: the system drops further connections'
    // first packets, as a firewall that drops them does
    const child = spawn(
      process.execPath,
      ['-e', "const s=require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},()=>{console.log(s.address().port);Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,20000)})"],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
      const held: Socket[] = [];
      // fill the accept queue: the connections that still complete
      for (let i = 0; i < 4; i++) {
        const s = connect(port, '127.0.0.1');
        held.push(s);
        const made = await new Promise<boolean>((resolve) => {
          s.once('connect', () => resolve(true));
          s.once('error', () => resolve(false));
          setTimeout(() => resolve(false), 300);
        });
        if (!made) break;
      }
      const t0 = Date.now();
      const r = await runLive(['--gdb', `127.0.0.1:${port}`, '--gdb-timeout', '200']);
      for (const s of held) s.destroy();
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`ptdump: --gdb: no connection to a gdb stub at 127.0.0.1:${port} within 200 ms\n`);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      child.kill();
    }
  });

  it('raises typed errors from the client', async () => {
    const port = await listen((s) => s.end());
    const err = await GdbRemote.connect({ port }, { retryMs: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GdbError);
    expect((err as GdbError).code).toBe('closed');
  });

  it('refuses what does not go with --gdb', async () => {
    const cases: [string[], RegExp][] = [
      [['--gdb', '127.0.0.1:1', raw], /no DUMP file or diff with it/],
      [['--gdb', '127.0.0.1:1', '--find-roots'], /--find-roots scans a dump file/],
      [['--gdb', '127.0.0.1:1', '--base', '0x1000'], /--base applies to a DUMP file/],
      [['--gdb', 'nowhere'], /is not HOST:PORT/],
      [['--gdb', '127.0.0.1:70000'], /outside 1\.\.65535/],
      [['--gdb-timeout', '100'], /--gdb-timeout applies to --gdb/],
      [['--gdb', '127.0.0.1:1', '--gdb-timeout', '0'], /--gdb-timeout: 0 ms is outside/],
    ];
    for (const [argv, message] of cases) {
      const r = await runLive(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    // the synchronous main() cannot wait for a socket, and says what to use
    const sync = runCli(['--gdb', '127.0.0.1:1']);
    expect(sync.code).toBe(2);
    expect(sync.stderr).toMatch(/mainAsync/);
    expect(main(['--version'], { stdout: () => {}, stderr: () => {}, stderrIsTTY: false })).toBe(0);
  });
});
