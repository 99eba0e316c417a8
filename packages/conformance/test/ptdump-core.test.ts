// ptdump on an ELF core that QEMU itself wrote: QEMU starts paused with ptdump's x86_64 sample tables in RAM, the gdb
// stub puts the CPU in long mode on them (CR4, EFER, CR3, then CR0), and `dump-guest-memory` writes the core, whose
// "QEMU" note carries CR0, CR3 and CR4. ptdump, given no register at all, must list exactly the sample's mappings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archByName, main } from '@page-table-multiarch/cli';
import { formatFlags, RegisterError } from '@page-table-multiarch/core';
import { afterAll, expect, it } from 'vitest';
import { startQemu } from '../src/index';
import { onEveryQemu } from './_support';

const dir = mkdtempSync(join(tmpdir(), 'ptm-core-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs ptdump in-process. */
function ptdump(argv: readonly string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = main(argv, {
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

// Intel SDM Vol. 3A 2.5 (CR0.PE bit 0, ET bit 4, WP bit 16, PG bit 31; CR4.PAE bit 5) and 2.2.1 (IA32_EFER.LME
// bit 8, NXE bit 11)
const CR0 = (1n << 31n) | (1n << 16n) | (1n << 4n) | 1n;
const CR4_PAE = 1n << 5n;
const EFER = (1n << 8n) | (1n << 11n);

onEveryQemu('qemu-system-x86_64', 'ptdump reads the registers of a core', (qemu) => {
  it('lists a dump-guest-memory core of the x86_64 sample with the CR0/CR3/CR4 of its QEMU note', async () => {
    const arch = archByName('x86_64')!;
    const sample = arch.sample();
    const root = sample.registers['cr3']!;
    const vm = await startQemu({
      binary: qemu.binary(),
      machine: ['-M', 'pc', '-m', '64M', '-accel', 'tcg'],
      images: [{ addr: sample.memory.base, bytes: sample.memory.bytes() }],
    });
    const core = join(dir, `x86_64-${Date.now()}.elf`);
    try {
      await vm.gdb.writeRegister('cr4', CR4_PAE);
      await vm.gdb.writeRegister('efer', EFER);
      await vm.gdb.writeRegister('cr3', root);
      await vm.gdb.writeRegister('cr0', CR0);
      const reply = await vm.gdb.monitor(`dump-guest-memory ${core}`);
      expect(reply.trim()).toBe('');
    } finally {
      await vm.close();
    }
    const r = ptdump([core, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // ptdump's JSON (schema 1): the one dump of the document
    const doc = JSON.parse(r.stdout).dumps[0];
    expect(doc.arch).toBe('x86_64');
    expect(doc.registers.cr3).toBe(`0x${root.toString(16)}`);
    expect(doc.registers.cr4).toBe(`0x${CR4_PAE.toString(16)}`);
    expect(BigInt(doc.registers.cr0) & CR0).toBe(CR0);
    expect(doc.notes[0]).toMatch(/^registers from the core's QEMU note \(its one CPU\): CR0=0x[0-9a-f]+ CR3=0x[0-9a-f]+ CR4=0x20$/);
    // what the sample's tables map, read through the engine
    const plan = arch.decode({ cr3: root, cr4: CR4_PAE, efer: EFER }, {});
    if (plan instanceof RegisterError) throw plan;
    const mapped = sample.tables[0]!.table.mappings();
    const listed = doc.records.filter((x: { kind: string }) => x.kind === 'mapping');
    let pages = 0;
    for (const m of mapped) {
      pages++;
      const va = m.vaddr;
      const run = listed.find((x: { vaddr: string; end: string }) => BigInt(x.vaddr) <= va && va < BigInt(x.end));
      expect(run, `0x${va.toString(16)} listed`).toBeDefined();
      expect(BigInt(run.paddr) + (va - BigInt(run.vaddr))).toBe(m.paddr);
      expect(run.flags).toBe(formatFlags(m.flags));
    }
    expect(doc.summary.pages).toBe(pages);
    expect(doc.summary.diagnostics).toBe(0);
  }, 60_000);
});
