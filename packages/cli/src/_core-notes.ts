// Translation registers from the notes of an ELF core. QEMU's dump-guest-memory writes, per CPU, a "CORE"
// NT_PRSTATUS note (general registers only) and, for x86, a "QEMU" note holding its QEMUCPUState, which carries
// CR0, CR2, CR3 and CR4 (QEMU target/i386/arch_dump.c, qemu_get_cpustate and cpu_write_qemu_note). Arm, AArch64
// and RISC-V cores hold no translation register at all (target/arm/arch_dump.c and target/riscv/arch_dump.c write
// NT_PRSTATUS with x0-x30/sp/pc/pstate or pc/x1-x31, and the FP registers), so for them the registers come from
// the command line or from --find-roots.
import { closeSync, constants, openSync } from 'node:fs';
import { hex } from '@page-table-multiarch/core';
import { type NoteSegment, readAt } from './_elf';
import { CliError } from './_errors';

/** Bytes of notes read at most: QEMU writes well under 1 KiB per CPU, so 16 MiB is thousands of CPUs. */
export const MAX_NOTE_BYTES: number = 16 << 20;

/** One note of a PT_NOTE segment (gABI "Note Section"). */
export interface ElfNote {
  /** The owner's name without its NUL: 'CORE', 'QEMU', 'LINUX'. */
  readonly name: string;
  /** n_type. */
  readonly type: number;
  /** The descriptor's bytes. */
  readonly desc: Uint8Array;
}

/**
 * The notes of `bytes` (one PT_NOTE segment). Each note is n_namesz, n_descsz, n_type (u32 each, in the file's
 * byte order), the name and the descriptor, each padded to 4 bytes: QEMU and Linux pad ELF64 notes to 4 bytes
 * too (Elf64_Nhdr has 32-bit fields; dump.c rounds with ROUND_UP(..., 4)). Reading stops at the first note that
 * does not fit, which a truncated segment may end with.
 */
export function parseNotes(bytes: Uint8Array, littleEndian: boolean): ElfNote[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const notes: ElfNote[] = [];
  const pad = (n: number): number => (n + 3) & ~3;
  let o = 0;
  while (o + 12 <= bytes.length) {
    const namesz = v.getUint32(o, littleEndian);
    const descsz = v.getUint32(o + 4, littleEndian);
    const type = v.getUint32(o + 8, littleEndian);
    const nameAt = o + 12;
    const descAt = nameAt + pad(namesz);
    // compared before adding, so that a size near 2^32 cannot wrap the sum
    if (namesz > bytes.length || descsz > bytes.length || descAt + descsz > bytes.length) break;
    let name = '';
    for (let i = 0; i < namesz; i++) {
      const c = bytes[nameAt + i]!;
      if (c === 0) break;
      name += String.fromCharCode(c);
    }
    notes.push({ name, type, desc: bytes.subarray(descAt, descAt + descsz) });
    o = descAt + pad(descsz);
  }
  return notes;
}

/** Reads and parses every PT_NOTE segment of the file at `path`. */
export function readNotes(path: string, segments: readonly NoteSegment[], littleEndian: boolean): ElfNote[] {
  let total = 0;
  for (const s of segments) total += s.size;
  if (total > MAX_NOTE_BYTES) throw new CliError(`${path}: ${total} bytes of ELF notes: more than ptdump reads (${MAX_NOTE_BYTES})`);
  if (segments.length === 0) return [];
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new CliError(`${path}: cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    const notes: ElfNote[] = [];
    for (const s of segments) {
      const bytes = new Uint8Array(s.size);
      readAt(fd, bytes, s.offset, path);
      notes.push(...parseNotes(bytes, littleEndian));
    }
    return notes;
  } finally {
    closeSync(fd);
  }
}

/**
 * QEMUCPUState as target/i386/arch_dump.c lays it out (QEMUCPUSTATE_VERSION 1): version and size (u32 each), then
 * rax..r15, rip and rflags (18 u64, from byte 8), ten QEMUCPUSegment of 24 bytes (cs, ds, es, fs, gs, ss, ldt, tr,
 * gdt, idt, from byte 152), then cr[0..4] (u64 each, from byte 392); newer QEMUs append kernel_gs_base (size 440).
 */
const QEMU_CPUSTATE_VERSION = 1;
const QEMU_CPUSTATE_CR = 392;
/** The smallest size that holds cr[4]: version 1 as first written. */
const QEMU_CPUSTATE_MIN_SIZE = QEMU_CPUSTATE_CR + 5 * 8;

/** Registers read from a core, and where they came from. */
export interface CoreRegisters {
  /** By register option name (`cr0`, `cr3`, `cr4`). */
  readonly registers: Readonly<Record<string, bigint>>;
  /** The CPU they are from (0 = the first QEMU note). */
  readonly cpu: number;
  /** How many CPUs the core has notes of. */
  readonly cpus: number;
}

/** The "QEMU" notes of x86 CPUs, one per CPU in the order QEMU writes them (its CPU index order). */
function qemuCpuStates(notes: readonly ElfNote[]): ElfNote[] {
  // n_type is 0: cpu_write_qemu_note names the note instead of typing it
  return notes.filter((n) => n.name === 'QEMU' && n.type === 0);
}

/**
 * CR0, CR3 and CR4 of CPU `cpu` from the QEMU notes of an x86 core, or undefined when the core has none (a core
 * not written by QEMU, or an architecture whose notes hold no translation register).
 * @throws CliError when `cpu` is past the last CPU noted, or the note is not a QEMUCPUState ptdump can read.
 */
export function x86CoreRegisters(path: string, notes: readonly ElfNote[], cpu: number, littleEndian: boolean): CoreRegisters | undefined {
  const states = qemuCpuStates(notes);
  if (states.length === 0) return undefined;
  if (cpu >= states.length) throw new CliError(`--cpu ${cpu}: ${path} has QEMU notes of ${states.length} CPU${states.length === 1 ? '' : 's'} (0..${states.length - 1})`);
  const d = states[cpu]!.desc;
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const version = d.length >= 8 ? v.getUint32(0, littleEndian) : -1;
  const size = d.length >= 8 ? v.getUint32(4, littleEndian) : 0;
  if (version !== QEMU_CPUSTATE_VERSION || size < QEMU_CPUSTATE_MIN_SIZE || d.length < QEMU_CPUSTATE_MIN_SIZE) {
    throw new CliError(
      `${path}: the QEMU note of CPU ${cpu} is not a QEMUCPUState ptdump reads (version ${version}, ${d.length} bytes; expected version ${QEMU_CPUSTATE_VERSION}, at least ${QEMU_CPUSTATE_MIN_SIZE} bytes): give the registers`,
    );
  }
  const cr = (n: number): bigint => v.getBigUint64(QEMU_CPUSTATE_CR + 8 * n, littleEndian);
  return { registers: { cr0: cr(0), cr3: cr(3), cr4: cr(4) }, cpu, cpus: states.length };
}

/** One line for the listing's notes: which registers came from the core, and which the command line overrode. */
export function coreRegistersNote(found: CoreRegisters, overridden: readonly string[]): string {
  const taken = Object.entries(found.registers)
    .filter(([k]) => !overridden.includes(k))
    .map(([k, v]) => `${k.toUpperCase()}=${hex(v)}`);
  const of = found.cpus === 1 ? 'its one CPU' : `CPU ${found.cpu} of ${found.cpus}`;
  const over = overridden.length > 0 ? `; ${overridden.map((r) => `--${r}`).join(' ')} given on the command line` : '';
  return `registers from the core's QEMU note (${of}): ${taken.join(' ') || 'none used'}${over}`;
}
