// A client for the GDB remote serial protocol, enough to drive QEMU's gdb stub: registers by name (from the
// target description), physical memory, single steps, breakpoints and monitor commands. ptdump --gdb reads a live
// machine through it, and the QEMU conformance tests drive their guests with it.
// Protocol reference: GDB manual, appendix E "GDB Remote Serial Protocol" (packets, checksums, escapes,
// qXfer:features:read, qRcmd, QStartNoAckMode) and appendix G "Target Descriptions" (the <architecture> element);
// QEMU's Qqemu.PhyMemMode is in its gdbstub (gdbstub.c in 7.2, gdbstub/system.c later: phy_memory_mode makes
// target_memory_rw_debug read and write with cpu_physical_memory_rw), documented in QEMU's docs/system/gdb.rst.
import { type Socket, connect } from 'node:net';
import { CliError } from './_errors';

/** What went wrong with a gdb stub connection. */
export type GdbErrorCode = 'refused' | 'closed' | 'timeout' | 'protocol';

/**
 * A failure of the connection to a gdb stub, or an answer the client cannot use. A {@link CliError}: ptdump reports
 * it on one line and exits with status 2.
 */
export class GdbError extends CliError {
  /** `refused`: nothing listens there; `closed`: the stub closed the connection; `timeout`: no answer in time;
   *  `protocol`: an error reply or one that is not what the request asks for. */
  readonly code: GdbErrorCode;
  constructor(code: GdbErrorCode, message: string) {
    super(message);
    this.name = 'GdbError';
    this.code = code;
  }
}

/** Options of {@link GdbRemote.connect}. */
export interface GdbConnectOptions {
  /** Retry a refused connection until this many milliseconds have passed (QEMU still starting); 0: fail at once. */
  readonly retryMs?: number;
  /** Milliseconds each request may wait for its reply, and making the connection too (default 10,000). */
  readonly requestTimeoutMs?: number;
}

/** A register of the target description: its number in the protocol and its width. */
export interface RegisterInfo {
  /** Its number in `p` / `P` packets. */
  readonly num: number;
  /** Its width in bytes (bitsize / 8). */
  readonly bytes: number;
}

const HEX = '0123456789abcdef';

function checksum(s: string): string {
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum = (sum + s.charCodeAt(i)) & 0xff;
  return HEX[sum >> 4]! + HEX[sum & 15]!;
}

/** Hex of a string's bytes (qRcmd sends the monitor command this way). */
export function toHex(s: string): string {
  return Buffer.from(s, 'latin1').toString('hex');
}

/** The text a hex string encodes. */
export function fromHex(h: string): string {
  return Buffer.from(h, 'hex').toString('latin1');
}

/** Little-endian hex of the low `bytes` bytes of v (register and memory order of every target here). */
export function leHex(v: bigint, bytes: number): string {
  let out = '';
  let x = BigInt.asUintN(bytes * 8, v);
  for (let i = 0; i < bytes; i++) {
    const b = Number(x & 0xffn);
    out += HEX[b >> 4]! + HEX[b & 15]!;
    x >>= 8n;
  }
  return out;
}

/** The value of little-endian hex bytes. */
export function fromLeHex(h: string): bigint {
  let v = 0n;
  for (let i = h.length - 2; i >= 0; i -= 2) v = (v << 8n) | BigInt(Number.parseInt(h.slice(i, i + 2), 16));
  return v;
}

/** Undoes the protocol's escapes ('}' + byte ^ 0x20) and run-length encoding ('*' + count + 29). */
function decodeBody(body: string): string {
  if (!body.includes('}') && !body.includes('*')) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '}') {
      out += String.fromCharCode(body.charCodeAt(++i) ^ 0x20);
    } else if (c === '*') {
      const n = body.charCodeAt(++i) - 29;
      out += out[out.length - 1]!.repeat(n);
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * One connection to a gdb stub. Requests are sent one at a time (each `request` waits for its reply);
 * acknowledgements are switched off with QStartNoAckMode once connected.
 */
export class GdbRemote {
  private readonly socket: Socket;
  private buf = '';
  private noAck = false;
  private readonly packets: string[] = [];
  private waiter: (() => void) | null = null;
  private closed = false;
  private error: Error | null = null;
  private regs: Map<string, RegisterInfo> | null = null;
  private arch: string | undefined;
  private readonly timeoutMs: number;

  private constructor(socket: Socket, timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', (err) => {
      this.error = err;
      this.wake();
    });
  }

  /**
   * Connects to a stub listening on a Unix socket or TCP port (host default 127.0.0.1); a refused connection is
   * retried until `options.retryMs` (default 10,000) has passed.
   * @throws GdbError `refused` when nothing listens there, `timeout` when the connection is not made or the first
   *   request not answered within `requestTimeoutMs` (a host that drops the packets, a stub that hangs), `closed`
   *   when the stub hangs up.
   */
  static async connect(target: { path: string } | { port: number; host?: string }, options: GdbConnectOptions = {}): Promise<GdbRemote> {
    const deadline = Date.now() + (options.retryMs ?? 10_000);
    const where = 'path' in target ? target.path : `${target.host ?? '127.0.0.1'}:${target.port}`;
    const timeoutMs = options.requestTimeoutMs ?? 10_000;
    for (;;) {
      let socket: Socket;
      try {
        socket = await new Promise<Socket>((resolve, reject) => {
          const s = 'path' in target ? connect(target.path) : connect(target.port, target.host ?? '127.0.0.1');
          // without it, a host that drops the packets holds the connection for the system's TCP timeout (minutes)
          const timer = setTimeout(() => {
            s.destroy();
            reject(new GdbError('timeout', `no connection to a gdb stub at ${where} within ${timeoutMs} ms`));
          }, timeoutMs);
          s.once('connect', () => {
            clearTimeout(timer);
            s.removeAllListeners('error');
            resolve(s);
          });
          s.once('error', (err) => {
            clearTimeout(timer);
            reject(err);
          });
        });
      } catch (err) {
        if (err instanceof GdbError) throw err;
        if (Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 25));
          continue;
        }
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        throw new GdbError('refused', `cannot connect to a gdb stub at ${where} (${code})`);
      }
      const gdb = new GdbRemote(socket, options.requestTimeoutMs ?? 10_000);
      try {
        await gdb.request('qSupported:multiprocess-;swbreak+;xmlRegisters=i386');
        const ok = await gdb.request('QStartNoAckMode');
        if (ok === 'OK') gdb.noAck = true;
      } catch (err) {
        gdb.close();
        throw err;
      }
      return gdb;
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    if (w !== null) w();
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    for (;;) {
      // skip acknowledgements and anything before a packet start
      const start = this.buf.indexOf('$');
      if (start < 0) {
        this.buf = '';
        return;
      }
      const end = this.buf.indexOf('#', start);
      if (end < 0 || end + 3 > this.buf.length) {
        this.buf = this.buf.slice(start);
        return;
      }
      const body = this.buf.slice(start + 1, end);
      const sum = this.buf.slice(end + 1, end + 3);
      this.buf = this.buf.slice(end + 3);
      if (!this.noAck) this.socket.write(sum === checksum(body) ? '+' : '-');
      this.packets.push(decodeBody(body));
      this.wake();
    }
  }

  /** The next packet; waits at most the request timeout (none when `untimed`: a guest left running). */
  private async nextPacket(untimed = false): Promise<string> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const p = this.packets.shift();
      if (p !== undefined) return p;
      if (this.error !== null) throw new GdbError('closed', `the gdb stub's connection failed (${(this.error as NodeJS.ErrnoException).code ?? this.error.message})`);
      if (this.closed) throw new GdbError('closed', 'the gdb stub closed the connection');
      const left = deadline - Date.now();
      if (!untimed && left <= 0) {
        // a late reply would be taken for the answer to the next request: the connection is of no further use
        this.close();
        throw new GdbError('timeout', `the gdb stub did not answer within ${this.timeoutMs} ms`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        if (!untimed) timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  private send(payload: string): void {
    this.socket.write(`$${payload}#${checksum(payload)}`);
  }

  /** Sends one packet and returns the reply's payload ("O" console-output packets are skipped). */
  async request(payload: string): Promise<string> {
    this.send(payload);
    for (;;) {
      const p = await this.nextPacket();
      if (p.length > 1 && p[0] === 'O' && p !== 'OK' && /^[0-9a-f]+$/i.test(p.slice(1))) continue;
      return p;
    }
  }

  /** Like {@link request}, but throws unless the reply is OK. */
  async ok(payload: string): Promise<void> {
    const r = await this.request(payload);
    if (r !== 'OK') throw new GdbError('protocol', `gdb stub: "${payload.slice(0, 60)}" answered "${r}"`);
  }

  /** Runs a QEMU monitor command (qRcmd) and returns its output. */
  async monitor(command: string): Promise<string> {
    this.send(`qRcmd,${toHex(command)}`);
    let out = '';
    for (;;) {
      const p = await this.nextPacket();
      if (p === 'OK') return out;
      if (p.length > 1 && p[0] === 'O' && /^[0-9a-f]+$/i.test(p.slice(1))) {
        out += fromHex(p.slice(1));
        continue;
      }
      if (p === '') throw new GdbError('protocol', `monitor "${command}": not supported by the stub`);
      if (p[0] === 'E') throw new GdbError('protocol', `monitor "${command}": ${p}`);
      // an output packet QEMU sends without the O prefix would be a protocol error
      throw new GdbError('protocol', `monitor "${command}": unexpected reply "${p.slice(0, 80)}"`);
    }
  }

  /** Reads a qXfer object (features: the target description and its includes). */
  async xfer(object: string, annex: string): Promise<string> {
    let out = '';
    for (;;) {
      const r = await this.request(`qXfer:${object}:read:${annex}:${out.length.toString(16)},fff`);
      if (r[0] === 'E' || r === '') throw new GdbError('protocol', `qXfer ${object} ${annex}: ${r || 'not supported'}`);
      out += r.slice(1);
      if (r[0] === 'l') return out;
    }
  }

  /**
   * The registers of the target description (target.xml and every file it includes), by name. Numbers
   * follow the description's order, restarting where a `regnum` attribute says so (GDB manual, "Target
   * Description Format").
   */
  async registers(): Promise<Map<string, RegisterInfo>> {
    if (this.regs !== null) return this.regs;
    const regs = new Map<string, RegisterInfo>();
    let next = 0;
    const visit = async (annex: string): Promise<void> => {
      const xml = (await this.xfer('features', annex)).replace(/<!--[\s\S]*?-->/g, '');
      this.arch ??= /<architecture>\s*([^<\s]+)\s*<\/architecture>/.exec(xml)?.[1];
      const re = /<xi:include\s+href="([^"]+)"\s*\/>|<reg\s([^>]*)\/?>/g;
      for (let m = re.exec(xml); m !== null; m = re.exec(xml)) {
        if (m[1] !== undefined) {
          await visit(m[1]);
          continue;
        }
        const attrs = m[2]!;
        const name = /\bname="([^"]+)"/.exec(attrs)?.[1];
        const bits = Number(/\bbitsize="(\d+)"/.exec(attrs)?.[1] ?? '0');
        const regnum = /\bregnum="(\d+)"/.exec(attrs)?.[1];
        if (regnum !== undefined) next = Number(regnum);
        if (name !== undefined) regs.set(name, { num: next, bytes: bits / 8 });
        next++;
      }
    };
    await visit('target.xml');
    this.regs = regs;
    return regs;
  }

  /**
   * The `<architecture>` of the target description (`i386:x86-64`, `aarch64`, `riscv:rv64`...), or undefined when
   * it names none.
   */
  async architecture(): Promise<string | undefined> {
    await this.registers();
    return this.arch;
  }

  private async reg(name: string): Promise<RegisterInfo> {
    const r = (await this.registers()).get(name);
    if (r === undefined) throw new GdbError('protocol', `gdb stub: no register "${name}" in the target description`);
    return r;
  }

  /** Writes a register by name. */
  async writeRegister(name: string, value: bigint): Promise<void> {
    const r = await this.reg(name);
    await this.ok(`P${r.num.toString(16)}=${leHex(value, r.bytes)}`);
  }

  /** Reads a register by name. */
  async readRegister(name: string): Promise<bigint> {
    const r = await this.reg(name);
    const reply = await this.request(`p${r.num.toString(16)}`);
    if (reply[0] === 'E' || reply === '' || !/^[0-9a-f]+$/i.test(reply)) throw new GdbError('protocol', `gdb stub: reading ${name} answered "${reply.slice(0, 40)}"`);
    return fromLeHex(reply);
  }

  /** Makes m/M packets address physical memory (QEMU's Qqemu.PhyMemMode:1). */
  async physicalMemoryMode(): Promise<void> {
    await this.ok('Qqemu.PhyMemMode:1');
  }

  /** Reads `length` bytes of memory (physical after {@link physicalMemoryMode}). */
  async readMemory(addr: bigint, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    const chunk = 0x800;
    for (let off = 0; off < length; off += chunk) {
      const n = Math.min(chunk, length - off);
      const r = await this.request(`m${(addr + BigInt(off)).toString(16)},${n.toString(16)}`);
      if (r[0] === 'E' || r.length !== 2 * n || !/^[0-9a-f]*$/i.test(r)) {
        throw new GdbError('protocol', `gdb stub: reading memory at 0x${(addr + BigInt(off)).toString(16)} answered "${r.slice(0, 40)}"`);
      }
      out.set(Buffer.from(r, 'hex'), off);
    }
    return out;
  }

  /** Writes bytes to memory (physical after {@link physicalMemoryMode}). */
  async writeMemory(addr: bigint, data: Uint8Array): Promise<void> {
    // QEMU's stub takes packets of at most 4096 characters (MAX_PACKET_LENGTH in gdbstub); a packet
    // longer than that is dropped and never answered, so 1 KiB of data (2 KiB of hex) at a time
    const chunk = 0x400;
    for (let off = 0; off < data.length; off += chunk) {
      const part = data.subarray(off, off + chunk);
      await this.ok(`M${(addr + BigInt(off)).toString(16)},${part.length.toString(16)}:${Buffer.from(part).toString('hex')}`);
    }
  }

  /** Executes one instruction; returns the stop reply. */
  async step(): Promise<string> {
    return this.request('s');
  }

  /**
   * Resumes until the next stop (a breakpoint) and returns the stop reply. When the guest has not stopped
   * after `timeoutMs` (a program spinning in an exception vector), it is interrupted (Ctrl-C, 0x03) and
   * the reply to that is returned: the caller sees where it was from the PC.
   */
  async cont(timeoutMs = 20_000): Promise<string> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    try {
      return await this.contUntil(timeout);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Resumes until the next stop, or until `event` settles (a message on the guest's console, say): then the
   * guest is interrupted (Ctrl-C, 0x03) and the reply to that is returned. A rejected `event` interrupts too.
   */
  async contUntil(event: Promise<unknown>): Promise<string> {
    this.send('c');
    const stop = this.nextPacket(true);
    const first = await Promise.race([stop, event.then(() => null, () => null)]);
    if (first !== null) return first;
    this.socket.write('\x03');
    return stop;
  }

  /** Inserts a software breakpoint of `kind` bytes (4 for an A64/A32 instruction). */
  async breakpoint(addr: bigint, kind: number): Promise<void> {
    await this.ok(`Z0,${addr.toString(16)},${kind.toString(16)}`);
  }

  /** Closes the connection. */
  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
