// Booting generated tables: a stub of a few instructions per architecture that loads the register values a build
// wrote (registers.json), turns the MMU on, and sends a message to the UART through the mapped addresses; QEMU
// runs it with the tables' blob (tables.bin) loaded at its base, and the serial output says whether the CPU's own
// walk of the tables worked. Each stub first prints BOOT_MARKER through the UART's physical address (or port),
// before the MMU is on: the marker says the stub ran, so that a boot that prints nothing after it is a failed
// walk, not a QEMU that had not started yet.
//
// Machines and what each stub does (QEMU's hw/riscv/virt.c, hw/arm/virt.c, hw/i386/pc.c and multiboot.c):
// - riscv64 `virt`, -bios none: the hart starts in M-mode at 0x8000_0000. The stub opens PMP entry 0 to every
//   address (pmpaddr0 = all ones, pmpcfg0 = NAPOT | R | W | X, Privileged 3.7.1; without a PMP entry S-mode may
//   access nothing), sets mstatus.MPP = S (bits 12:11 = 0b01), MRETs to its S-mode half, which writes satp,
//   runs SFENCE.VMA and stores each byte to the 16550 UART's transmit register at the `uart` virtual address.
// - aarch64 `virt`: the CPU starts at EL1 with the MMU off at the stub's address (the loader's `cpu-num`). The
//   stub writes MAIR_EL1, TCR_EL1, TTBR0_EL1 and TTBR1_EL1, an ISB, sets SCTLR_EL1.M (bit 0) and ISBs again,
//   then enables the PL011 (UARTCR = UARTEN | TXE | RXE, offset 0x30) and stores each byte to UARTDR (offset 0)
//   at the `uart` virtual address.
// - arm `virt` with a Cortex-A15 (LPAE): the CPU starts in Supervisor mode (PL1) with the MMU off at the stub's
//   address (the loader's `cpu-num`). The stub writes MAIR0, MAIR1 and TTBCR (MCR), the 64-bit TTBR0 and TTBR1
//   (MCRR, low word then high), enables the PL011 and prints the marker through its physical address, then
//   invalidates the TLB (TLBIALL, DSB, ISB), sets SCTLR.M (bit 0), ISBs, and stores each byte of the message to UARTDR
//   at the `uart` virtual address (ARM DDI 0406C.d B4.1.104 MAIR0/MAIR1, B4.1.153 TTBCR, B4.1.154/155 TTBR0/TTBR1,
//   B4.1.130 SCTLR, B4.2.2 TLBIALL).
// - x86_64 `pc` with -kernel: a Multiboot (version 1) image with the a.out kludge (flags bit 16): the boot loader
//   enters it in 32-bit protected mode, paging off, flat segments. The stub writes CR4 (PAE), CR3, IA32_EFER
//   (LME, NXE) with WRMSR and CR0 (PG): the CPU is then in IA-32e compatibility mode, walking the 4-level tables.
//   The PC's UART is on I/O ports, which no table translates, so the stub reads its message (which follows its
//   code) through the `window` mapping, where the build mapped physical address 0, and sends each byte to port
//   0x3f8.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { A32Cp15, A32Cp15Wide, DSB, ISB as A32_ISB, b as a32B, ldrLiteral, mcr, mcrr, movImm, mrc, orrImm, strbImm, strImm } from './_a32';
import { A64Reg, b, ISB, mrs, msr } from './_a64';
import {
  a64LdrLiteral,
  a64MovzW,
  a64MovzW16,
  a64OrrOne,
  a64Strb,
  a64StrW,
  CSR,
  RV,
  RV_MRET,
  RV_SFENCE_VMA,
  RV_SPIN,
  rvAddi,
  rvAuipc,
  rvCsrw,
  rvLd,
  rvLui,
  rvSb,
  X86,
} from './_boot-code';

/** The architectures a boot stub exists for. */
export type BootArch = 'riscv64' | 'aarch64' | 'arm' | 'x86_64';

/** A guest program and where it goes in physical memory. */
export interface BootProgram {
  readonly bytes: Uint8Array;
  readonly addr: bigint;
}

/** What each stub prints before it turns the MMU on. */
export const BOOT_MARKER = 'stub: turning the MMU on\n';

/** Where each stub is loaded: the start of RAM (riscv64), 1 MiB into RAM (aarch64 and arm: QEMU puts the device tree in the first), 1 MiB (x86_64, the Multiboot load address). */
export const BOOT_STUB_ADDR: Readonly<Record<BootArch, bigint>> = {
  riscv64: 0x8000_0000n,
  aarch64: 0x4010_0000n,
  arm: 0x4010_0000n,
  x86_64: 0x10_0000n,
};

/** A register value the build must have written, or an error naming it. */
function need(regs: Readonly<Record<string, bigint>>, name: string): bigint {
  const v = regs[name];
  if (v === undefined) throw new Error(`boot stub: registers.json has no "${name}"`);
  return v;
}

function u32Bytes(words: readonly number[], literals: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(words.length * 4 + literals.length * 8);
  const view = new DataView(out.buffer);
  for (const [i, w] of words.entries()) view.setUint32(4 * i, w, true);
  for (const [i, v] of literals.entries()) view.setBigUint64(words.length * 4 + 8 * i, v, true);
  return out;
}

/** The riscv64 stub: `satp` and `uart` from the registers; the literals follow the code. */
function riscvStub(regs: Readonly<Record<string, bigint>>, message: string): Uint8Array {
  const { t0, t1, t2, t3, zero } = RV;
  const mmode = [
    rvAddi(t0, zero, -1),
    rvCsrw(CSR.pmpaddr0, t0),
    rvAddi(t0, zero, 0x1f), // pmpcfg0 entry 0: A = NAPOT (0b11 << 3), X, W, R
    rvCsrw(CSR.pmpcfg0, t0),
    rvLui(t0, 1),
    rvAddi(t0, t0, -0x800), // 0x800: mstatus.MPP = 0b01 (S)
    rvCsrw(CSR.mstatus, t0),
    rvLui(t2, 0x1_0000), // the UART's physical address, 0x1000_0000 (M-mode accesses are not translated)
    ...[...BOOT_MARKER].flatMap((ch) => [rvAddi(t3, zero, ch.charCodeAt(0)), rvSb(t3, t2, 0)]),
    rvAuipc(t0),
    rvAddi(t0, t0, 16), // the instruction after MRET
    rvCsrw(CSR.mepc, t0),
    RV_MRET,
  ];
  const smode = [rvAuipc(t1)];
  const body = [rvCsrw(CSR.satp, t0), RV_SFENCE_VMA, 0, ...[...message].flatMap((ch) => [rvAddi(t3, zero, ch.charCodeAt(0)), rvSb(t3, t2, 0)]), RV_SPIN];
  // offsets from the AUIPC of the S-mode half to the two literals after the code
  const toLiterals = 4 * (smode.length + 1 + body.length);
  const code = [...mmode, ...smode, rvLd(t0, t1, toLiterals), ...body];
  code[mmode.length + smode.length + 1 + 2] = rvLd(t2, t1, toLiterals + 8);
  return u32Bytes(code, [need(regs, 'satp'), need(regs, 'uart')]);
}

/** The aarch64 stub: `mair`, `tcr`, `ttbr0`, `ttbr1` and `uart` from the registers; the literals follow the code. */
function aarch64Stub(regs: Readonly<Record<string, bigint>>, message: string): Uint8Array {
  const names = ['mair', 'tcr', 'ttbr0', 'ttbr1', 'uart'] as const;
  const sysregs = [A64Reg.MAIR_EL1, A64Reg.TCR_EL1, A64Reg.TTBR0_EL1, A64Reg.TTBR1_EL1];
  const code: number[] = [];
  const loads: [index: number, reg: number, literal: number][] = [];
  sysregs.forEach((reg, i) => {
    loads.push([code.length, 0, i]);
    code.push(0, msr(reg, 0));
  });
  // the marker through the PL011 at its physical address, 0x0900_0000, with the MMU still off; UARTCR (offset
  // 0x30) = UARTEN (0) | TXE (8) | RXE (9) first
  code.push(a64MovzW16(1, 0x900), a64MovzW(2, 0x301), a64StrW(2, 1, 0x30));
  for (const ch of BOOT_MARKER) code.push(a64MovzW(2, ch.charCodeAt(0)), a64Strb(2, 1));
  code.push(ISB, mrs(0, A64Reg.SCTLR_EL1), a64OrrOne(0, 0), msr(A64Reg.SCTLR_EL1, 0), ISB);
  loads.push([code.length, 1, 4]);
  code.push(0);
  for (const ch of message) code.push(a64MovzW(2, ch.charCodeAt(0)), a64Strb(2, 1));
  code.push(b(0));
  if (code.length % 2 === 1) code.push(b(0)); // the literals 8-byte aligned
  for (const [at, reg, literal] of loads) code[at] = a64LdrLiteral(reg, 4 * (code.length - at) + 8 * literal);
  return u32Bytes(
    code,
    names.map((n) => need(regs, n)),
  );
}

/** The arm (ARMv7 LPAE) stub: `mair0`, `mair1`, `ttbcr`, `ttbr0`, `ttbr1` and `uart` from the registers. */
function armStub(regs: Readonly<Record<string, bigint>>, message: string): Uint8Array {
  const word = (name: string, half: 0 | 1): number => Number((need(regs, name) >> (32n * BigInt(half))) & 0xffff_ffffn);
  if (need(regs, 'uart') > 0xffff_ffffn) throw new Error('boot stub: the arm uart address must be below 4 GiB');
  // the 32-bit literals after the code: MAIR0, MAIR1, TTBCR (0-2), TTBR0 and TTBR1 low and high (3-6), the UART's
  // virtual address (7), UARTCR = UARTEN (0) | TXE (8) | RXE (9) (8)
  const literals = [word('mair0', 0), word('mair1', 0), word('ttbcr', 0), word('ttbr0', 0), word('ttbr0', 1), word('ttbr1', 0), word('ttbr1', 1), word('uart', 0), 0x301];
  const [UART, UARTCR] = [7, 8];
  const code: number[] = [];
  const loads: [index: number, reg: number, literal: number][] = [];
  const load = (reg: number, literal: number): void => {
    loads.push([code.length, reg, literal]);
    code.push(0);
  };
  for (const [i, r] of [A32Cp15.MAIR0, A32Cp15.MAIR1, A32Cp15.TTBCR].entries()) {
    load(0, i);
    code.push(mcr(r, 0));
  }
  for (const [i, r] of [A32Cp15Wide.TTBR0, A32Cp15Wide.TTBR1].entries()) {
    load(0, 3 + 2 * i);
    load(1, 4 + 2 * i);
    code.push(mcrr(r, 0, 1));
  }
  // the marker through the PL011 at its physical address, 0x0900_0000 (0x09 ROR 8), with the MMU still off
  code.push(movImm(1, 0x09, 4));
  load(2, UARTCR);
  code.push(strImm(2, 1, 0x30));
  for (const ch of BOOT_MARKER) code.push(movImm(2, ch.charCodeAt(0)), strbImm(2, 1));
  code.push(mcr(A32Cp15.TLBIALL, 0), DSB, A32_ISB, mrc(0, A32Cp15.SCTLR), orrImm(0, 0, 1), mcr(A32Cp15.SCTLR, 0), A32_ISB);
  load(1, UART);
  for (const ch of message) code.push(movImm(2, ch.charCodeAt(0)), strbImm(2, 1));
  code.push(a32B(0));
  // PC reads as the instruction's address + 8
  for (const [at, reg, literal] of loads) code[at] = ldrLiteral(reg, 4 * (code.length + literal - at) - 8);
  return u32Bytes([...code, ...literals], []);
}

/** Multiboot 1 header fields (Multiboot Specification 0.6.96, 3.1.1-3.1.3). */
const MULTIBOOT_MAGIC = 0x1bad_b002;
const MULTIBOOT_AOUT_KLUDGE = 0x1_0000;

/** The x86_64 stub, a Multiboot image: `cr4`, `cr3`, `efer`, `cr0` and `window` from the registers. */
function x86Stub(regs: Readonly<Record<string, bigint>>, message: string): Uint8Array {
  const load = Number(BOOT_STUB_ADDR.x86_64);
  const low32 = (name: string): number => {
    const v = need(regs, name);
    if (v > 0xffff_ffffn) throw new Error(`boot stub: ${name} 0x${v.toString(16)} does not fit the 32-bit entry code`);
    return Number(v);
  };
  const headerBytes = 32;
  const entry = load + headerBytes;
  const paging = [
    ...X86.movDx(0x3f8),
    ...[...BOOT_MARKER].flatMap((ch) => [...X86.movAl(ch.charCodeAt(0)), ...X86.outDxAl]),
    ...X86.movEax(low32('cr4')),
    ...X86.movCr4Eax,
    ...X86.movEax(low32('cr3')),
    ...X86.movCr3Eax,
    ...X86.movEcx(0xc000_0080), // IA32_EFER
    ...X86.movEax(low32('efer')),
    ...X86.xorEdxEdx,
    ...X86.wrmsr,
    ...X86.movEaxCr0,
    ...X86.orEax(low32('cr0')),
    ...X86.movCr0Eax,
  ];
  const print = [
    ...X86.movDx(0x3f8),
    // print: LODSB; TEST AL, AL; JZ done; OUT DX, AL; JMP print; done: HLT; JMP done
    ...X86.lodsb,
    ...X86.testAlAl,
    ...X86.jz(3),
    ...X86.outDxAl,
    ...X86.jmp(-8),
    ...X86.hlt,
    ...X86.jmp(-3),
  ];
  // the message follows the code; ESI is its physical address plus the window's
  const messagePa = BigInt(entry + paging.length + 5 + print.length);
  const messageVa = need(regs, 'window') + messagePa;
  if (messageVa + BigInt(message.length) > 0xffff_ffffn) throw new Error('boot stub: the window must lie below 4 GiB (32-bit code reads it)');
  const code = [...paging, ...X86.movEsi(Number(messageVa)), ...print];
  const header = new DataView(new ArrayBuffer(headerBytes));
  const fields = [MULTIBOOT_MAGIC, MULTIBOOT_AOUT_KLUDGE, (-(MULTIBOOT_MAGIC + MULTIBOOT_AOUT_KLUDGE)) >>> 0, load, load, 0, 0, entry];
  for (const [i, f] of fields.entries()) header.setUint32(4 * i, f, true);
  const out = new Uint8Array(headerBytes + code.length + message.length + 1);
  out.set(new Uint8Array(header.buffer), 0);
  out.set(code, headerBytes);
  out.set(new TextEncoder().encode(message), headerBytes + code.length);
  return out;
}

/** The stub of `arch` for the register values a build wrote, printing `message` (ASCII). */
export function bootStub(arch: BootArch, regs: Readonly<Record<string, bigint>>, message: string): BootProgram {
  if (!/^[\x20-\x7e\n]*$/.test(message)) throw new Error('boot stub: the message must be printable ASCII');
  const stubs = { riscv64: riscvStub, aarch64: aarch64Stub, arm: armStub, x86_64: x86Stub } as const;
  const bytes = stubs[arch](regs, message);
  return { bytes, addr: BOOT_STUB_ADDR[arch] };
}

/** What QEMU printed on the serial port, and whether the expected text came before the time ran out. */
export interface BootRun {
  readonly serial: string;
  readonly printed: boolean;
  readonly stderr: string;
}

/**
 * Boots `stub` with the tables' blob at `tablesBase` on `binary` (qemu-system-riscv64, -aarch64, -arm or -x86_64) and
 * reads the serial port until `expect` appears, or `settleMs` after {@link BOOT_MARKER} appeared without it, or
 * `timeoutMs` in all; QEMU is killed either way.
 */
export async function bootQemu(
  binary: string,
  arch: BootArch,
  stub: BootProgram,
  tables: { readonly bytes: Uint8Array; readonly base: bigint },
  expect: string,
  timeoutMs = 30_000,
  settleMs = 1000,
): Promise<BootRun> {
  const dir = mkdtempSync(join(tmpdir(), 'ptm-boot-'));
  try {
    const stubFile = join(dir, 'stub.bin');
    const tablesFile = join(dir, 'tables.bin');
    writeFileSync(stubFile, stub.bytes);
    writeFileSync(tablesFile, tables.bytes);
    const loadTables = ['-device', `loader,file=${tablesFile},addr=0x${tables.base.toString(16)},force-raw=on`];
    const common = ['-display', 'none', '-nodefaults', '-monitor', 'none', '-serial', 'stdio', '-no-reboot', '-m', '128M'];
    const machine =
      arch === 'riscv64'
        ? ['-M', 'virt', '-bios', 'none', '-cpu', 'rv64,svpbmt=on', '-device', `loader,file=${stubFile},addr=0x${stub.addr.toString(16)},force-raw=on`]
        : arch === 'aarch64' || arch === 'arm'
          ? ['-M', 'virt', '-cpu', arch === 'arm' ? 'cortex-a15' : 'max', '-device', `loader,file=${stubFile},addr=0x${stub.addr.toString(16)},cpu-num=0,force-raw=on`]
          : ['-M', 'pc', '-cpu', 'max', '-accel', 'tcg', '-kernel', stubFile];
    const child = spawn(binary, [...common, ...machine, ...loadTables], { stdio: ['ignore', 'pipe', 'pipe'] });
    let serial = '';
    let stderr = '';
    child.stdout.setEncoding('latin1');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      stderr += s;
    });
    const printed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      let settling = false;
      child.stdout.on('data', (s: string) => {
        serial += s;
        if (serial.includes(expect)) {
          clearTimeout(timer);
          resolve(true);
        } else if (!settling && serial.includes(BOOT_MARKER)) {
          // the stub is running: the message comes within milliseconds, or not at all
          settling = true;
          clearTimeout(timer);
          setTimeout(() => resolve(false), settleMs);
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(serial.includes(expect));
      });
    });
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    return { serial, printed, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
