// ptdump: argument parsing and the two jobs (list / translate) over a dump file or the embedded samples.
import { parseArgs } from 'node:util';
// the build inlines the one field (esbuild tree-shakes a named import of JSON), so `--version` is the version of
// the package it was built from, whatever `changeset version` wrote there
import { version } from '../package.json';
import { PagedMemory } from '@page-table-multiarch/core';
import { ALL_REGISTERS, ALL_SWITCHES, ARCHES, type ArchSpec, archByName } from './_arches';
import { CliError, EXIT_IMPLAUSIBLE, EXIT_OUTPUT_CLOSED, OutputClosed } from './_errors';
import { diffCommand } from './_diff';
import { type FileOptions, fileJob, planOf } from './_file-job';
import { narrowJob, parseFilter } from './_filter';
import { findRootsCommand } from './_find-roots';
import type { LiveSession } from './_live';
import { type Job, listJob, type Settings, translateJob } from './_list';
import { Out } from './_output';
import { structuredOut } from './_structured';
import { parseValue } from './_values';

export { parseValue } from './_values';

/** Where ptdump writes: injectable, so that tests run it in-process. */
export interface CliIo {
  /** Writes to standard output (text with its newlines). */
  stdout(text: string): void;
  /**
   * Writes UTF-8 bytes to standard output, when given: listings then go out without being made into strings. The
   * bytes are the writer's buffer, reused once the call returns.
   */
  stdoutBytes?(bytes: Uint8Array): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Whether standard error is a terminal (progress lines are written only then). */
  readonly stderrIsTTY: boolean;
}

/** The version printed by --version: the `version` of the cli's package.json. */
export const VERSION: string = version;

const USAGE = `usage: ptdump [options] [DUMP] [translate VA...]
       ptdump [options] diff A B

List every mapping of the page tables in a memory dump, ptdump-style, or translate addresses.
With no DUMP, builds sample tables for every architecture in memory and lists them.
'diff A B' compares the mappings of two dumps (read with the same options) or JSON listings
(ptdump --json): ranges added, removed, remapped, or with other permissions; exit 1 if any.

DUMP is a raw physical-memory image (placed at --base) or an ELF core file as written by
QEMU's dump-guest-memory (PT_LOAD segments at their physical addresses). For an x86 core,
registers not given are read from its QEMU notes (CR0, CR3, CR4 of --cpu N, default 0).

  -a, --arch ARCH      ${ARCHES.map((a) => a.name).join(', ')} (default for an ELF core: its e_machine)
${ARCHES.map((a) => `      ${a.name.padEnd(12)}   ${a.usage}`).join('\n')}
      --base PA        physical address of a raw image's first byte (default 0)
      --format F       raw, elf or auto (default auto: ELF when the file starts with \\x7fELF)
      --json           one JSON document instead of text (schema/ptdump.schema.json)
      --jsonl          one JSON object per line, written as the walk goes: a header line, a
                       line per record, then a summary line (the same schema)
      --audit          list W+X, user-executable kernel and executable device mappings; exit 1 if any
      --leaves         one line per leaf entry (no coalescing into runs)
      --expand-shared  list a shared table under every entry that reaches it (default: once,
                       then one '...' line per run of entries that reach it again)
      --max-tables N   stop after reading N tables
      --cache N        cache N chunks of the dump (default 64)
      --cpu N          the CPU whose registers an ELF core's notes give (default 0)
      --va-range A-B   list only virtual addresses A (inclusive) to B (exclusive)
      --perm TERMS     list only runs whose effective permissions match every term of the comma-
                       separated list: r, w, x, nx, u (user), s (supervisor), ro, wx, device;
                       _TERM negates one (gdb-pt-dump's filters)
      --pa A[-B]       reverse map: every virtual range that maps physical A to B (A alone: its
                       4 KiB frame), shared tables included (as --expand-shared)
      --find-roots     no registers: scan the dump for candidate top-level tables and rank them
                       (x86_64, aarch64, riscv64)
      --no-regions     no Linux region names (x86_64, arm64 48-bit: '---[ ~vmalloc ]---' headers
                       and the 'region' of JSON records; ~ marks a name KASLR may move)
      --gdb HOST:PORT  instead of DUMP: a live machine through its gdb stub (QEMU -gdb tcp::PORT):
                       registers from the stub (options override them), memory read on demand;
                       loopback only unless --gdb-allow-remote; --gdb-timeout MS for the
                       connection and each request (5000)
  -q, --quiet          no progress line
  -h, --help           this text
  -V, --version        the version

Values are numbers: 0x1234, 0o17, 0b101 or decimal, with optional _ separators. Digits with
a leading zero or hex letters and no prefix (QEMU's 'info registers' prints 0000000002010000)
are refused: write 0x0000000002010000.
Exit status: 0 listed, 1 audit findings (with --audit), 2 usage or input error,
3 listed, but nothing plausible (a root with only diagnostics, or no mapping at all:
a wrong register value or --base; warned about on stderr; with --find-roots: no candidate),
141 output closed before the end (ptdump ... | head). diff: 0 the same, 1 different, 2 error.
`;

/** A PagedMemory over a sample's bytes: the samples go through the same on-demand path as a file. */
function pagedOver(bytes: Uint8Array, base: bigint, chunkBytes: number): PagedMemory {
  return new PagedMemory({
    ranges: [{ base, size: bytes.length }],
    chunkBytes,
    read: (pa, into) => {
      const off = Number(pa - base);
      into.set(bytes.subarray(off, off + into.length));
    },
  });
}

/**
 * Runs ptdump with `argv` (the arguments after the program name). Returns the exit status: 0, 1 for audit
 * findings with --audit, 2 for a usage or input error (reported on one line of stderr), 3 when the listing looks
 * like the tables of a wrong register value ({@link EXIT_IMPLAUSIBLE}, with a warning on stderr), 141 when
 * `io.stdout` threw {@link OutputClosed} (the reader went away; nothing more is written).
 * @example main(['--arch', 'x86_64', '--cr3', '0x1000', 'dump.bin']);
 */
export function main(argv: readonly string[], io: CliIo): number {
  return mainWith(argv, io, undefined);
}

/** {@link main}, with the live machine of a --gdb run (mainAsync's session). */
export function mainWith(argv: readonly string[], io: CliIo, live: LiveSession | undefined): number {
  try {
    return run(argv, io, live);
  } catch (err) {
    if (err instanceof OutputClosed) return EXIT_OUTPUT_CLOSED;
    if (err instanceof CliError) {
      io.stderr(`ptdump: ${err.message}\n`);
      return 2;
    }
    if (err instanceof Error && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`ptdump: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/**
 * Makes `--opt VALUE` into `--opt=VALUE` when VALUE starts with a dash and reads as a negative number, so that
 * ptdump's own message says what is wrong with it (node's parser calls it "ambiguous"); an option that takes a
 * value but is followed by another option, or by nothing, is refused here in one line.
 */
function valuesAttached(args: string[], options: Readonly<Record<string, { type: 'string' | 'boolean'; short?: string }>>): string[] {
  const shorts = new Map(Object.entries(options).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])));
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    out.push(a);
    if (a === '--') {
      out.push(...args.slice(i + 1));
      break;
    }
    const name = a.startsWith('--') ? a.slice(2) : /^-[^-]$/.test(a) ? shorts.get(a.slice(1)) : undefined;
    if (name === undefined || options[name]?.type !== 'string') continue;
    const next = args[i + 1];
    if (next === undefined) throw new CliError(`--${name} needs a value`);
    if (!next.startsWith('-')) continue;
    if (!/^-[0-9]/.test(next)) throw new CliError(`--${name} needs a value (found the option '${next}' instead)`);
    out[out.length - 1] = `--${name}=${next}`;
    i++;
  }
  return out;
}

/** DUMP [translate VA...] | translate VA... | diff A B: the file and the addresses to translate, or the two sides. */
function commandOf(positionals: readonly string[], live: boolean): { file: string | undefined; vas: bigint[] | undefined; diff?: [string, string] } {
  let file: string | undefined;
  let vas: bigint[] | undefined;
  if (live && positionals.length > 0 && positionals[0] !== 'translate') {
    throw new CliError(`--gdb reads a live machine: no DUMP file or diff with it (found '${positionals[0]}')`);
  }
  if (positionals[0] === 'diff') {
    if (positionals.length !== 3) throw new CliError('diff: give two dumps or JSON listings (diff A B)');
    return { file: undefined, vas: undefined, diff: [positionals[1]!, positionals[2]!] };
  }
  if (positionals[0] === 'translate') {
    vas = positionals.slice(1).map((v) => parseValue(v, 'translate'));
  } else if (positionals.length > 0) {
    file = positionals[0];
    if (positionals.length > 1) {
      if (positionals[1] !== 'translate') throw new CliError(`unexpected argument '${positionals[1]}' (one DUMP file, then optionally: translate VA...)`);
      vas = positionals.slice(2).map((v) => parseValue(v, 'translate'));
    }
  }
  if (vas !== undefined && vas.length === 0) throw new CliError('translate: give at least one virtual address');
  return { file, vas };
}

/** What the options ask of a listing. */
function settingsOf(str: (k: string) => string | undefined, flag: (k: string) => boolean, io: CliIo, translating: boolean): Settings {
  const maxTablesText = str('max-tables');
  const maxTables = maxTablesText === undefined ? undefined : Number(parseValue(maxTablesText, '--max-tables'));
  const filter = parseFilter(str('va-range'), str('perm'), str('pa'));
  if (filter && translating) throw new CliError(`${filter.text}: filters apply to listings, not to translate`);
  if (flag('json') && flag('jsonl')) throw new CliError('--json and --jsonl: give one of them');
  if (str('gdb') !== undefined && flag('find-roots')) throw new CliError('--find-roots scans a dump file; with --gdb the stub gives the registers');
  if (str('gdb') === undefined && (flag('gdb-allow-remote') || str('gdb-timeout') !== undefined)) {
    throw new CliError(`--${flag('gdb-allow-remote') ? 'gdb-allow-remote' : 'gdb-timeout'} applies to --gdb`);
  }
  return {
    json: flag('json'),
    jsonl: flag('jsonl'),
    audit: flag('audit'),
    coalesce: !flag('leaves'),
    // the reverse map lists every virtual address that maps the range: shared tables under every entry
    expandShared: flag('expand-shared') || filter?.pa !== undefined,
    noRegions: flag('no-regions'),
    ...(filter ? { filter } : {}),
    ...(maxTables !== undefined ? { maxTables } : {}),
    progress: io.stderrIsTTY && !flag('quiet') && !flag('json') && !flag('jsonl'),
  };
}

/** What run() needs to make the jobs: the parsed command line. */
interface JobOptions {
  readonly file: string | undefined;
  readonly arch: ArchSpec | undefined;
  readonly str: (k: string) => string | undefined;
  readonly flag: (k: string) => boolean;
  readonly givenRegisters: readonly string[];
  readonly givenSwitches: readonly string[];
  readonly fmt: 'raw' | 'elf' | 'auto';
  readonly cache: number;
}

/**
 * The jobs of a listing: the embedded samples (no DUMP), a dump file, or a live machine (--gdb, through the
 * session {@link mainAsync} gives).
 */
function jobsOf(o: JobOptions, live: LiveSession | undefined): { jobs: Job[]; close: () => void } {
  const { file, arch, str, givenRegisters, cache } = o;
  const registers: Record<string, string> = {};
  for (const r of givenRegisters) registers[r] = str(r)!;
  const gdb = str('gdb');
  if (gdb !== undefined) {
    if (live === undefined) throw new CliError('--gdb reads a live machine asynchronously: run the ptdump command, or mainAsync()');
    if (str('base') !== undefined || str('cpu') !== undefined) throw new CliError(`--${str('base') !== undefined ? 'base' : 'cpu'} applies to a DUMP file, not to --gdb`);
    const options = { target: gdb, allowRemote: o.flag('gdb-allow-remote'), timeout: str('gdb-timeout'), arch, registers, switches: o.givenSwitches, cacheChunks: cache };
    return { jobs: [live.job(options)], close: () => {} };
  }
  if (file === undefined) {
    if (givenRegisters.length > 0 || str('base') !== undefined) {
      throw new CliError(`--${givenRegisters[0] ?? 'base'} needs a DUMP file (without one, ptdump lists its embedded samples)`);
    }
    const jobs: Job[] = [];
    for (const a of arch ? [arch] : ARCHES) {
      const sample = a.sample();
      const plan = planOf(a, sample.registers, sample.switches);
      jobs.push({
        arch: a,
        plan,
        handler: pagedOver(sample.memory.bytes(), sample.memory.base, a.chunkBytes),
        source: `embedded sample: ${sample.title}`,
        registers: sample.registers,
      });
    }
    return { jobs, close: () => {} };
  }
  const cpuText = str('cpu');
  const opened = fileJob({
    file,
    arch,
    format: o.fmt,
    base: str('base'),
    registers,
    switches: o.givenSwitches,
    cacheChunks: cache,
    cpu: cpuText === undefined ? undefined : Number(parseValue(cpuText, '--cpu')),
  });
  return { jobs: [opened.job], close: opened.close };
}

function run(argv: readonly string[], io: CliIo, live: LiveSession | undefined): number {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    arch: { type: 'string', short: 'a' },
    base: { type: 'string' },
    format: { type: 'string' },
    json: { type: 'boolean' },
    jsonl: { type: 'boolean' },
    audit: { type: 'boolean' },
    leaves: { type: 'boolean' },
    'expand-shared': { type: 'boolean' },
    'max-tables': { type: 'string' },
    cache: { type: 'string' },
    cpu: { type: 'string' },
    'find-roots': { type: 'boolean' },
    'va-range': { type: 'string' },
    perm: { type: 'string' },
    pa: { type: 'string' },
    gdb: { type: 'string' },
    'gdb-allow-remote': { type: 'boolean' },
    'gdb-timeout': { type: 'string' },
    'no-regions': { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'V' },
  };
  for (const r of ALL_REGISTERS) options[r] = { type: 'string' };
  for (const sw of ALL_SWITCHES) options[sw] = { type: 'boolean' };
  // a leading `--` is what `pnpm ptdump -- --arch x86_64` passes on: not the end of the options here
  const args = valuesAttached(argv[0] === '--' ? argv.slice(1) : [...argv], options);
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const flag = (k: string): boolean => values[k] === true;
  if (flag('help')) {
    io.stdout(USAGE);
    return 0;
  }
  if (flag('version')) {
    io.stdout(`ptdump ${VERSION}\n`);
    return 0;
  }

  const { file, vas, diff } = commandOf(positionals, str('gdb') !== undefined);

  const fmt = str('format') ?? 'auto';
  if (fmt !== 'raw' && fmt !== 'elf' && fmt !== 'auto') throw new CliError(`--format: '${fmt}' is not raw, elf or auto`);
  if (file === undefined && str('cpu') !== undefined) throw new CliError('--cpu needs a DUMP file (an ELF core with QEMU notes)');
  const cacheText = str('cache');
  const cache = cacheText === undefined ? 64 : Number(parseValue(cacheText, '--cache'));
  if (cache < 2 || cache > 16384) throw new CliError(`--cache: ${cache} is outside 2..16384`);
  const settings = settingsOf(str, flag, io, vas !== undefined);

  const archText = str('arch');
  let arch: ArchSpec | undefined;
  if (archText !== undefined) {
    arch = archByName(archText);
    if (arch === undefined) throw new CliError(`unknown architecture '${archText}' (expected one of: ${ARCHES.map((a) => a.name).join(', ')})`);
  }
  const givenRegisters = ALL_REGISTERS.filter((r) => str(r) !== undefined);
  const givenSwitches = ALL_SWITCHES.filter((sw) => flag(sw));
  if (diff) {
    if (settings.filter || flag('find-roots')) throw new CliError('diff compares whole listings: no filter or --find-roots with it');
    const registers = Object.fromEntries(givenRegisters.map((r) => [r, str(r)!]));
    const dump: FileOptions = { file: '', arch, format: fmt, base: str('base'), registers, switches: givenSwitches, cacheChunks: cache, cpu: undefined };
    return diffCommand({ files: diff, dump, json: settings.json, jsonl: settings.jsonl }, io);
  }
  if (flag('find-roots')) {
    const conflicting = [...givenRegisters, ...givenSwitches].map((o) => `--${o}`).concat(vas ? ['translate'] : []);
    return findRootsCommand({ file, arch, format: fmt, base: str('base'), json: flag('json'), jsonl: settings.jsonl, conflicting }, io);
  }

  const out = new Out(io);
  const { jobs, close } = jobsOf({ file, arch, str, flag, givenRegisters, givenSwitches, fmt, cache }, live);
  try {
    let findings = 0;
    let implausible = false;
    const warnings: string[] = [];
    // a dump file or the embedded samples alike: one dump each in the document's `dumps`, or its run of lines
    const structured = structuredOut(settings, out, vas === undefined ? 'list' : 'translate');
    jobs.forEach((job, k) => {
      if (k > 0 && !structured) out.line('');
      if (vas !== undefined) translateJob(job, vas, out, structured);
      else {
        const outcome = listJob(narrowJob(job, settings.filter), settings, out, io, structured);
        findings += outcome.findings;
        implausible ||= outcome.implausible;
        warnings.push(...outcome.warnings);
      }
    });
    structured?.finish();
    out.flush();
    // after the listing, so that the warning is the last thing a reader of a terminal sees
    for (const w of warnings) io.stderr(`ptdump: warning: ${w}\n`);
    if (settings.audit && findings > 0) return 1;
    return implausible ? EXIT_IMPLAUSIBLE : 0;
  } catch (err) {
    // what was listed before a read error stays listed; a closed output takes nothing more
    if (!(err instanceof OutputClosed)) out.flush();
    throw err;
  } finally {
    close();
  }
}
