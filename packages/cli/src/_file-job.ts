// A dump file as a job: the architecture (from --arch or the ELF header), the register values (from the options,
// else from the core's notes where QEMU writes them), the attach plan, and the roots checked against the file.
import { type AttachPlan, checkRoot, type DumpSource, hex, RegisterError } from '@page-table-multiarch/core';
import { ARCHES, type ArchSpec, archByName } from './_arches';
import { type CoreRegisters, coreRegistersNote, readNotes, x86CoreRegisters } from './_core-notes';
import { CliError } from './_errors';
import { type DumpImage, describeImage, elfArch, openImage } from './_image';
import type { Job } from './_list';
import { parseValue } from './_values';

/** The attach plan of register values, or a CliError that names the architecture. */
export function planOf(arch: ArchSpec, registers: Readonly<Record<string, bigint>>, switches: Readonly<Record<string, boolean>>): AttachPlan {
  const plan = arch.decode(registers, switches);
  if (plan instanceof RegisterError) throw new CliError(`${arch.name}: ${plan.message}`);
  return plan;
}

/**
 * The bytes a job reads its memory in: the architecture's chunk, or the plan's largest table when that is larger
 * (an AArch64 stage 2 root of concatenated tables): a table is read whole from one chunk.
 */
export function chunkBytesFor(arch: ArchSpec, plan: AttachPlan | undefined): number {
  let bytes = arch.chunkBytes;
  for (const t of plan?.format.meta.tableBytes ?? []) bytes = Math.max(bytes, t);
  return bytes;
}

/** What the options say about a dump file. */
export interface FileOptions {
  readonly file: string;
  readonly arch: ArchSpec | undefined;
  readonly format: 'raw' | 'elf' | 'auto';
  /** The --base text, if given. */
  readonly base: string | undefined;
  /** Register values given as options, by option name (text as typed). */
  readonly registers: Readonly<Record<string, string>>;
  readonly switches: readonly string[];
  readonly cacheChunks: number;
  /** --cpu: which CPU's notes to read registers from (default 0). */
  readonly cpu: number | undefined;
}

/** The physical base of a raw image (--base), checked. */
export function baseOf(text: string | undefined): bigint {
  const base = text === undefined ? 0n : parseValue(text, '--base');
  // an image of physical memory starts at a frame; a base inside one would shift every table off its alignment
  if (base % 4096n !== 0n) throw new CliError(`--base: ${hex(base)} is not aligned to 4 KiB (a raw image starts at a page boundary)`);
  return base;
}

/** The architecture of a dump: --arch, else the ELF header's e_machine (with --efer for an EM_386 core). */
export function archOf(o: Pick<FileOptions, 'file' | 'arch' | 'format' | 'registers'>, base: bigint): ArchSpec {
  if (o.arch !== undefined) return o.arch;
  const probe = openImage(o.file, { format: o.format, base, cacheChunks: 2 });
  probe.close();
  const efer = o.registers['efer'];
  const guess = probe.elf ? elfArch(probe.elf, efer === undefined ? undefined : parseValue(efer, '--efer')) : undefined;
  if (guess === undefined) {
    throw new CliError(
      probe.elf
        ? `${o.file}: ELF e_machine ${probe.elf.machine} is not an architecture ptdump knows; give --arch`
        : `--arch is required for a raw image (one of: ${ARCHES.map((a) => a.name).join(', ')})`,
    );
  }
  return archByName(guess)!;
}

/**
 * The registers of a job: those given as options, completed from the core's QEMU notes (x86) when the file is an
 * ELF core that has them. Returns the values and the note line that says where they came from.
 */
function registersOf(o: FileOptions, spec: ArchSpec, image: DumpImage): { registers: Record<string, bigint>; note?: string } {
  const registers: Record<string, bigint> = {};
  for (const [r, text] of Object.entries(o.registers)) registers[r] = parseValue(text, `--${r}`);
  if (o.cpu !== undefined && image.elf === undefined) throw new CliError('--cpu selects the CPU of an ELF core\'s notes; this is a raw image');
  if (image.elf === undefined) return { registers };
  let found: CoreRegisters | undefined;
  if (spec.name === 'x86_64' || spec.name === 'x86') {
    const notes = readNotes(image.path, image.elf.notes, image.elf.littleEndian);
    found = x86CoreRegisters(image.path, notes, o.cpu ?? 0, image.elf.littleEndian);
  }
  if (found === undefined) {
    if (o.cpu !== undefined) throw new CliError(`--cpu: ${image.path} has no QEMU notes with ${spec.name} translation registers`);
    return { registers };
  }
  const overridden = Object.keys(found.registers).filter((r) => registers[r] !== undefined);
  for (const [r, v] of Object.entries(found.registers)) registers[r] ??= v;
  return { registers, note: coreRegistersNote(found, overridden) };
}

/** What a core without register notes needs, for the error that says so. */
function noRegistersHint(spec: ArchSpec, image: DumpImage): string {
  const x86 = spec.name === 'x86_64' || spec.name === 'x86';
  const notes = image.elf === undefined ? '' : x86 ? ': the core has no QEMU note (dump-guest-memory writes one per CPU)' : `: the core's notes hold no ${spec.name} translation registers (QEMU writes them for x86 only)`;
  return `${notes}; give them (${spec.usage}), or list candidate roots with --find-roots`;
}

/** The registers given as options, decoded once to report a wrong value before the file is opened. */
function decodeGiven(
  o: FileOptions,
  spec: ArchSpec,
  switches: Record<string, boolean>,
): { registers: Record<string, bigint>; note?: string; plan?: AttachPlan } {
  const registers: Record<string, bigint> = {};
  for (const [r, text] of Object.entries(o.registers)) registers[r] = parseValue(text, `--${r}`);
  if (o.cpu !== undefined && o.format === 'raw') throw new CliError("--cpu selects the CPU of an ELF core's notes; this is a raw image");
  if (o.cpu !== undefined) throw new CliError(`--cpu: ${spec.name} cores hold no translation registers in their notes (QEMU writes them for x86 only)`);
  // an empty set is reported with the file's hint (a core without register notes): decoded after opening it
  return Object.keys(registers).length > 0 ? { registers, plan: planOf(spec, registers, switches) } : { registers };
}

/** Opens a dump file and makes its job; the returned `close` closes the file. */
export function fileJob(o: FileOptions): { job: Job; close: () => void } {
  const base = baseOf(o.base);
  const spec = archOf(o, base);
  for (const r of Object.keys(o.registers)) {
    if (!spec.registers.includes(r)) throw new CliError(`--${r} is not a register of ${spec.name} (${spec.usage})`);
  }
  for (const sw of o.switches) {
    if (!spec.switches.includes(sw)) throw new CliError(`--${sw} does not apply to ${spec.name} (${spec.usage})`);
  }
  const switches: Record<string, boolean> = {};
  for (const sw of o.switches) switches[sw] = true;
  // only an x86 core's notes can add registers: any other plan is decoded before the file is opened, so that a
  // wrong value is reported as such whatever the file
  const notesMayHelp = (spec.name === 'x86_64' || spec.name === 'x86') && o.format !== 'raw';
  const early = notesMayHelp ? undefined : decodeGiven(o, spec, switches);
  const image = openImage(o.file, { format: o.format, base, chunkBytes: chunkBytesFor(spec, early?.plan), cacheChunks: o.cacheChunks });
  const close = (): void => image.close();
  try {
    const { registers, note } = early ?? registersOf(o, spec, image);
    let plan: AttachPlan;
    try {
      plan = planOf(spec, registers, switches);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      if (Object.keys(registers).length === 0) throw new CliError(`${err.message}${noRegistersHint(spec, image)}`);
      throw note === undefined ? err : new CliError(`${err.message} (${note})`);
    }
    if (note !== undefined) plan = { ...plan, notes: [note, ...plan.notes] };
    const src: DumpSource = { ...plan.format, handler: image.memory };
    for (const root of plan.roots) {
      const problem = checkRoot(src, root);
      if (problem !== undefined) throw new CliError(`${root.label ?? 'root'}: ${problem} of ${o.file} (${describeImage(image)})`);
    }
    return { job: { arch: spec, plan, handler: image.memory, source: `${o.file} (${describeImage(image)})`, registers }, close };
  } catch (err) {
    close();
    throw err;
  }
}
