// Registers from an ELF core's notes: QEMU's dump-guest-memory writes, per x86 CPU, a "QEMU" note holding its
// QEMUCPUState (target/i386/arch_dump.c). The notes here are built by hand from that layout; a core written by QEMU
// itself is read in packages/conformance/test/ptdump-core.test.ts.
import { join } from 'node:path';
import { archByName } from '@page-table-multiarch/cli';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNotes } from '../src/_core-notes';
import { expectedRuns, listedRuns, MACHINE, registerArgs, runCli, tempDir, writeElfCore, jsonDump } from './_support';

const tmp = tempDir();
afterAll(() => tmp.remove());
const file = (name: string): string => join(tmp.dir, name);

/** One ELF note: n_namesz, n_descsz, n_type, then the name and the descriptor, each padded to 4 bytes (gABI). */
function note(name: string, type: number, desc: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(`${name}\0`);
  const pad = (n: number): number => (n + 3) & ~3;
  const out = new Uint8Array(12 + pad(nameBytes.length) + pad(desc.length));
  const v = new DataView(out.buffer);
  v.setUint32(0, nameBytes.length, true);
  v.setUint32(4, desc.length, true);
  v.setUint32(8, type, true);
  out.set(nameBytes, 12);
  out.set(desc, 12 + pad(nameBytes.length));
  return out;
}

/**
 * A QEMUCPUState as target/i386/arch_dump.c writes it: u32 version (1) and size, 18 u64 (rax..r15, rip, rflags),
 * ten 24-byte QEMUCPUSegment, u64 cr[5]; `withGsBase` appends kernel_gs_base as newer QEMUs do (size 440).
 */
function qemuCpuState(cr: { cr0: bigint; cr3: bigint; cr4: bigint }, opts: { version?: number; withGsBase?: boolean } = {}): Uint8Array {
  const size = opts.withGsBase ? 440 : 432;
  const d = new Uint8Array(size);
  const v = new DataView(d.buffer);
  v.setUint32(0, opts.version ?? 1, true);
  v.setUint32(4, size, true);
  for (let i = 0; i < 18; i++) v.setBigUint64(8 + 8 * i, 0x1111_0000n + BigInt(i), true); // general registers: noise
  for (let i = 0; i < 10; i++) v.setBigUint64(152 + 24 * i + 16, 0xdead_0000n + BigInt(i), true); // segment bases
  v.setBigUint64(392, cr.cr0, true);
  v.setBigUint64(400, 0x5555n, true); // CR1 (reserved): must not be taken for anything
  v.setBigUint64(408, 0x7777_0000n, true); // CR2, the last fault address
  v.setBigUint64(416, cr.cr3, true);
  v.setBigUint64(424, cr.cr4, true);
  if (opts.withGsBase) v.setBigUint64(432, 0xffff_8880_0000_0000n, true);
  return d;
}

/** NT_PRSTATUS (1) "CORE" notes and then the "QEMU" notes (n_type 0), the order in which dump.c writes them. */
function qemuNotes(states: readonly Uint8Array[]): Uint8Array {
  const parts = [...states.map(() => note('CORE', 1, new Uint8Array(336))), ...states.map((s) => note('QEMU', 0, s))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const x86_64 = archByName('x86_64')!;
const sample = x86_64.sample();
const expected = expectedRuns(x86_64, sample.tables.map((t) => t.table), sample.registers, sample.switches);
const { cr0, cr3, cr4 } = sample.registers as { cr0: bigint; cr3: bigint; cr4: bigint };
const segment = [{ paddr: sample.memory.base, bytes: sample.memory.bytes() }];

/** A core of the x86_64 sample with these CPU states in its notes. */
function core(name: string, states: readonly Uint8Array[], machine = MACHINE['x86_64']!): string {
  const path = file(name);
  writeElfCore(path, segment, { bits: 64, machine, notes: qemuNotes(states) });
  return path;
}

describe('registers from the QEMU notes of an x86 core', () => {
  it('lists the core with no register option, taking CR0, CR3 and CR4 from the note, and says so', () => {
    const path = core('one.elf', [qemuCpuState({ cr0, cr3, cr4 }, { withGsBase: true })]);
    const r = runCli([path, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = jsonDump(r.stdout);
    expect(listedRuns(doc)).toEqual(expected);
    expect(doc.registers).toEqual({ cr0: `0x${cr0.toString(16)}`, cr3: `0x${cr3.toString(16)}`, cr4: `0x${cr4.toString(16)}` });
    expect(doc.notes[0]).toBe(`registers from the core's QEMU note (its one CPU): CR0=0x${cr0.toString(16)} CR3=0x${cr3.toString(16)} CR4=0x${cr4.toString(16)}`);
    const text = runCli([path]).stdout;
    expect(text).toContain("note: registers from the core's QEMU note");
  });

  it('reads the first CPU by default and another with --cpu; options override the note', () => {
    // CPU 0 has paging off (CR0 as at reset, no CR3) but the sample's CR4; CPU 1 runs the sample's tables
    const path = core('two.elf', [qemuCpuState({ cr0: 0x6000_0010n, cr3: 0n, cr4 }), qemuCpuState({ cr0, cr3, cr4 })]);
    const first = runCli([path]);
    expect(first.code).toBe(2);
    expect(first.stderr).toMatch(/PG = 0, paging is disabled \(registers from the core's QEMU note \(CPU 0 of 2\)/);
    const second = runCli([path, '--cpu', '1', '--json']);
    expect(second.code).toBe(0);
    expect(listedRuns(jsonDump(second.stdout))).toEqual(expected);
    // --cr0 and --cr3 from the command line, CR4 still from CPU 0's note
    const mixed = runCli([path, '--cr0', `0x${cr0.toString(16)}`, '--cr3', `0x${cr3.toString(16)}`, '--json']);
    expect(mixed.code).toBe(0);
    const doc = jsonDump(mixed.stdout);
    expect(listedRuns(doc)).toEqual(expected);
    expect(doc.notes[0]).toBe(`registers from the core's QEMU note (CPU 0 of 2): CR4=0x${cr4.toString(16)}; --cr0 --cr3 given on the command line`);
    expect(runCli([path, '--cpu', '2']).stderr).toBe(`ptdump: --cpu 2: ${path} has QEMU notes of 2 CPUs (0..1)\n`);
  });

  it('reads an EM_386 core (a CPU outside long mode) the same way', () => {
    const x86 = archByName('x86')!;
    const s = x86.sample();
    const path = file('pae.elf');
    const regs = s.registers as { cr0: bigint; cr3: bigint; cr4: bigint };
    writeElfCore(path, [{ paddr: s.memory.base, bytes: s.memory.bytes() }], { bits: 32, machine: MACHINE['x86']!, notes: qemuNotes([qemuCpuState(regs)]) });
    const r = runCli([path, '--json']);
    expect(r.code).toBe(0);
    const doc = jsonDump(r.stdout);
    expect(doc.arch).toBe('x86');
    expect(listedRuns(doc)).toEqual(expectedRuns(x86, s.tables.map((t) => t.table), s.registers));
  });

  it('refuses a QEMU note of another version or too short, and leaves a core without notes to the options', () => {
    const v2 = core('v2.elf', [qemuCpuState({ cr0, cr3, cr4 }, { version: 2 })]);
    const r = runCli([v2]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the QEMU note of CPU 0 is not a QEMUCPUState ptdump reads \(version 2, 432 bytes/);
    // a core with only NT_PRSTATUS notes: the registers must be given, as before
    const path = file('plain.elf');
    writeElfCore(path, segment, { bits: 64, machine: MACHINE['x86_64']!, notes: note('CORE', 1, new Uint8Array(336)) });
    expect(runCli([path]).stderr).toMatch(/--cr3 is required: the core has no QEMU note/);
    expect(runCli([path, '--cpu', '0']).stderr).toMatch(/--cpu: .* has no QEMU notes with x86_64 translation registers/);
    expect(listedRuns(jsonDump(runCli([...registerArgs(sample), path, '--json']).stdout))).toEqual(expected);
  });

  it('says that Arm, AArch64 and RISC-V cores hold no translation registers, and points at --find-roots', () => {
    const path = file('arm64.elf');
    writeElfCore(path, segment, { bits: 64, machine: MACHINE['aarch64']!, notes: note('CORE', 1, new Uint8Array(392)) });
    const r = runCli([path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the core's notes hold no aarch64 translation registers .*--find-roots/);
    expect(runCli([path, '--cpu', '1']).stderr).toMatch(/--cpu: aarch64 cores hold no translation registers/);
  });

  it('refuses --cpu without a core', () => {
    expect(runCli(['--cpu', '0']).stderr).toMatch(/--cpu needs a DUMP file/);
    const raw = file('raw.bin');
    writeElfCore(raw, segment, { bits: 64, machine: MACHINE['x86_64']! });
    expect(runCli(['--arch', 'x86_64', '--format', 'raw', ...registerArgs(sample), '--cpu', '0', raw]).stderr).toMatch(/--cpu selects the CPU of an ELF core's notes/);
  });
});

describe('parseNotes', () => {
  it('reads notes padded to 4 bytes and stops at one that runs past the segment', () => {
    const a = note('QEMU', 0, new Uint8Array([1, 2, 3, 4, 5]));
    const b = note('LINUX', 0x202, new Uint8Array(3));
    const both = new Uint8Array([...a, ...b]);
    const notes = parseNotes(both, true);
    expect(notes.map((n) => [n.name, n.type, [...n.desc]])).toEqual([
      ['QEMU', 0, [1, 2, 3, 4, 5]],
      ['LINUX', 0x202, [0, 0, 0]],
    ]);
    // a descriptor size near 2^32 must end the parse, not wrap around
    const bad = new Uint8Array([...a]);
    new DataView(bad.buffer).setUint32(4, 0xffff_fff0, true);
    expect(parseNotes(bad, true)).toEqual([]);
    expect(parseNotes(both.subarray(0, a.length + 10), true).map((n) => n.name)).toEqual(['QEMU']);
  });
});
