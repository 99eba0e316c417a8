// A client for the GDB remote serial protocol, enough to drive QEMU's gdb stub: registers by name (from the
// target description), physical memory, single steps, breakpoints and monitor commands.
// Protocol reference: GDB manual, appendix E "GDB Remote Serial Protocol" (packets, checksums, escapes,
// qXfer:features:read, qRcmd, QStartNoAckMode); QEMU's Qqemu.PhyMemMode is in its gdbstub/gdbstub.c.
import { type Socket, connect } from 'node:net';

/** A register of the target description: its number in the protocol and its width. */
export interface RegisterInfo {
  readonly num: number;
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

  private constructor(socket: Socket) {
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

  /** Connects to a stub listening on a Unix socket or TCP port; retries until `timeoutMs` has passed. */
  static async connect(target: { path: string } | { port: number; host?: string }, timeoutMs = 10_000): Promise<GdbRemote> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = 'path' in target ? connect(target.path) : connect(target.port, target.host ?? '127.0.0.1');
          s.once('connect', () => {
            s.removeAllListeners('error');
            resolve(s);
          });
          s.once('error', reject);
        });
        const gdb = new GdbRemote(socket);
        await gdb.request('qSupported:multiprocess-;swbreak+;xmlRegisters=i386');
        const ok = await gdb.request('QStartNoAckMode');
        if (ok === 'OK') gdb.noAck = true;
        return gdb;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 25));
      }
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

  private async nextPacket(): Promise<string> {
    for (;;) {
      const p = this.packets.shift();
      if (p !== undefined) return p;
      if (this.error !== null) throw this.error;
      if (this.closed) throw new Error('gdb stub closed the connection');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
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
    if (r !== 'OK') throw new Error(`gdb stub: "${payload.slice(0, 60)}" answered "${r}"`);
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
      if (p === '') throw new Error(`monitor "${command}": not supported by the stub`);
      if (p[0] === 'E') throw new Error(`monitor "${command}": ${p}`);
      // an output packet QEMU sends without the O prefix would be a protocol error
      throw new Error(`monitor "${command}": unexpected reply "${p.slice(0, 80)}"`);
    }
  }

  /** Reads a qXfer object (features: the target description and its includes). */
  async xfer(object: string, annex: string): Promise<string> {
    let out = '';
    for (;;) {
      const r = await this.request(`qXfer:${object}:read:${annex}:${out.length.toString(16)},fff`);
      if (r[0] === 'E' || r === '') throw new Error(`qXfer ${object} ${annex}: ${r || 'not supported'}`);
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

  private async reg(name: string): Promise<RegisterInfo> {
    const r = (await this.registers()).get(name);
    if (r === undefined) throw new Error(`gdb stub: no register "${name}" in the target description`);
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
    if (reply[0] === 'E' || reply === '') throw new Error(`gdb stub: reading ${name} answered "${reply}"`);
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
      if (r[0] === 'E' || r.length !== 2 * n) throw new Error(`gdb stub: reading memory at 0x${addr.toString(16)} answered "${r.slice(0, 40)}"`);
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
    const stop = this.nextPacket();
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
