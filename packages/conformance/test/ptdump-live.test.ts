// ptdump --gdb on a live QEMU: QEMU starts paused with ptdump's sample tables of an architecture in RAM and its gdb
// stub on a TCP port (-gdb tcp:127.0.0.1:PORT). The translation registers are pointed at the tables (x86_64 and
// RISC-V through the stub; AArch64 by a guest program, as QEMU's stub does not write system registers), the test
// disconnects, and ptdump, given nothing but --gdb, reads the registers and the tables from the stub. Then QEMU's
// monitor writes a core of the same machine (dump-guest-memory), and ptdump's listing of that core, with the
// sample's registers, must be the live listing line for line.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archByName, GdbRemote, main, mainAsync, type Sample } from '@page-table-multiarch/cli';
import { afterAll, expect, it } from 'vitest';
import { A64Reg, b, ISB, msr } from '../src/_a64';
import { startQemu } from '../src/index';
import { onEveryQemu } from './_support';

const dir = mkdtempSync(join(tmpdir(), 'ptm-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A TCP port nothing listens on now (the OS's pick, released for QEMU to take). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The sample's registers as options. */
function registerArgs(sample: Sample): string[] {
  return Object.entries(sample.registers).flatMap(([k, v]) => [`--${k}`, `0x${v.toString(16)}`]);
}

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

function capture(): { io: Parameters<typeof main>[1]; out: Output } {
  const out: Output = { code: -1, stdout: '', stderr: '' };
  const io = {
    stdout: (s: string) => {
      out.stdout += s;
    },
    stderr: (s: string) => {
      out.stderr += s;
    },
    stderrIsTTY: false,
  };
  return { io, out };
}

/** The listing from its first section on (the lines above name the source and where the registers came from). */
const body = (text: string) => text.slice(text.indexOf('---['));

// Intel SDM Vol. 3A 2.5: CR0.PG (bit 31) needs CR4.PAE (bit 5) and IA32_EFER.LME (bit 8) set first for long mode
async function x86Registers(gdb: GdbRemote, sample: Sample): Promise<void> {
  await gdb.writeRegister('cr4', sample.registers['cr4']!);
  await gdb.writeRegister('efer', sample.registers['efer']!);
  await gdb.writeRegister('cr3', sample.registers['cr3']!);
  await gdb.writeRegister('cr0', sample.registers['cr0']!);
}

/** RISC-V privileged spec 4.1.11: satp is written as is (QEMU refuses an unsupported MODE: read it back). */
async function riscvRegisters(gdb: GdbRemote, sample: Sample): Promise<void> {
  await gdb.writeRegister('satp', sample.registers['satp']!);
  expect(await gdb.readRegister('satp')).toBe(sample.registers['satp']);
}

/** Where the AArch64 program goes: RAM of -M virt (from 0x40000000), below the sample's tables. */
const A64_CODE = 0x4010_0000n;
/** The crate's MAIR_EL1 (ptdump's default when --mair is not given), so that both listings read AttrIndx alike. */
const MAIR_DEFAULT = 0x44ff04n;

/**
 * A64 has no stub write for system registers in QEMU: a program moves x0-x3 into MAIR_EL1, TCR_EL1, TTBR0_EL1 and
 * TTBR1_EL1 (MSR, Arm ARM DDI 0487 C6.2) and stops at `b .`.
 */
async function a64Registers(gdb: GdbRemote, sample: Sample): Promise<void> {
  const code = [msr(A64Reg.MAIR_EL1, 0), msr(A64Reg.TCR_EL1, 1), msr(A64Reg.TTBR0_EL1, 2), msr(A64Reg.TTBR1_EL1, 3), ISB, b(0)];
  const bytes = new Uint8Array(code.length * 4);
  const view = new DataView(bytes.buffer);
  for (const [i, w] of code.entries()) view.setUint32(i * 4, w, true);
  await gdb.physicalMemoryMode();
  await gdb.writeMemory(A64_CODE, bytes);
  const values = [MAIR_DEFAULT, sample.registers['tcr'] ?? 0n, sample.registers['ttbr0'] ?? 0n, sample.registers['ttbr1'] ?? 0n];
  for (const [i, v] of values.entries()) await gdb.writeRegister(`x${i}`, v);
  await gdb.writeRegister('pc', A64_CODE);
  const end = A64_CODE + BigInt((code.length - 1) * 4);
  await gdb.breakpoint(end, 4);
  await gdb.cont();
  expect(await gdb.readRegister('pc')).toBe(end);
}

const CASES = [
  { arch: 'x86_64', binary: 'qemu-system-x86_64', machine: ['-M', 'pc', '-m', '64M'], setUp: x86Registers, stub: 'i386:x86-64' },
  { arch: 'aarch64', binary: 'qemu-system-aarch64', machine: ['-M', 'virt', '-cpu', 'cortex-a57', '-m', '64M'], setUp: a64Registers, stub: 'aarch64' },
  { arch: 'riscv64', binary: 'qemu-system-riscv64', machine: ['-M', 'virt', '-bios', 'none', '-m', '64M'], setUp: riscvRegisters, stub: 'riscv:rv64' },
] as const;

for (const c of CASES) {
  onEveryQemu(c.binary, `ptdump --gdb on ${c.arch}`, (qemu) => {
    it('lists the live machine as it lists a dump-guest-memory core of it', async () => {
      const sample = archByName(c.arch)!.sample();
      const port = await freePort();
      const vm = await startQemu({
        binary: qemu.binary(),
        machine: [...c.machine, '-accel', 'tcg'],
        images: [{ addr: sample.memory.base, bytes: sample.memory.bytes() }],
        gdbPort: port,
      });
      const core = join(dir, `${c.arch}-${port}.elf`);
      const live = capture();
      try {
        await c.setUp(vm.gdb, sample);
        // the stub serves one debugger at a time
        vm.gdb.close();
        live.out.code = await mainAsync(['--gdb', `127.0.0.1:${port}`], live.io);
        const again = await GdbRemote.connect({ port }, { retryMs: 2000 });
        try {
          expect((await again.monitor(`dump-guest-memory ${core}`)).trim()).toBe('');
        } finally {
          again.close();
        }
      } finally {
        await vm.close();
      }
      expect(live.out.stderr).toBe('');
      expect(live.out.code).toBe(0);
      expect(live.out.stdout).toContain(`in gdb stub at 127.0.0.1:${port} (${c.stub}), read on demand`);
      expect(live.out.stdout).toContain(`note: registers from the gdb stub at 127.0.0.1:${port}: `);
      expect(live.out.stdout).toMatch(/^diagnostics: 0$/m);
      // the program set no SCTLR_EL1.M: the stub's SCTLR (QEMU's name for SCTLR_EL1) says the MMU is off
      if (c.arch === 'aarch64') expect(live.out.stdout).toContain('note: SCTLR_EL1.M = 0: the stage 1 MMU is off');
      const dump = capture();
      dump.out.code = main(['--arch', c.arch, ...registerArgs(sample), core], dump.io);
      expect(dump.out.stderr).toBe('');
      expect(dump.out.code).toBe(0);
      expect(body(live.out.stdout)).toBe(body(dump.out.stdout));
      expect(body(live.out.stdout).split('\n').length).toBeGreaterThan(8);
    }, 60_000);
  });
}
