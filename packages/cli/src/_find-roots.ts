// ptdump --find-roots: candidate top-level tables of a dump given without registers, ranked, as text or JSON.
import { hex } from '@page-table-multiarch/core';
import type { ArchSpec } from './_arches';
import { CliError, EXIT_IMPLAUSIBLE } from './_errors';
import { archOf, baseOf } from './_file-job';
import { describeImage, openImage } from './_image';
import type { CliIo } from './_main';
import { JsonWriter, Out } from './_output';
import { SCHEMA_VERSION } from './_structured';
import { FINDER_ARCHES, findRoots, type RootCandidate, SCAN_KEEP, WALK_TABLES } from './_root-finder';

/** Candidates written as text (JSON has all of them). */
const SHOWN = 10;

/** What --find-roots takes from the command line. */
export interface FindRootsOptions {
  readonly file: string | undefined;
  readonly arch: ArchSpec | undefined;
  readonly format: 'raw' | 'elf' | 'auto';
  readonly base: string | undefined;
  readonly json: boolean;
  /** --jsonl, refused: the candidates are ranked only once the scan is over, so there is nothing to stream. */
  readonly jsonl: boolean;
  /** Options that make no sense with --find-roots, by name, when given. */
  readonly conflicting: readonly string[];
}

/** The register options of a candidate as ptdump takes them: `--cr3 0x1000 --cr4 0x20 ...`. */
export function candidateOptions(c: RootCandidate): string {
  return Object.entries(c.registers)
    .map(([k, v]) => `--${k} ${hex(v)}`)
    .join(' ');
}

function candidateJson(c: RootCandidate, rank: number): Record<string, unknown> {
  return {
    rank,
    score: c.score,
    root: hex(c.root),
    format: c.format,
    registers: Object.fromEntries(Object.entries(c.registers).map(([k, v]) => [k, hex(v)])),
    entries: c.entries,
    tables: c.tables,
    badTables: c.badTables,
    leaves: c.leaves,
    kernelBalance: c.kernelBalance,
  };
}

/**
 * Runs --find-roots: scans the dump for candidate roots and lists them best first. Exit status 0 with at least one
 * candidate, {@link EXIT_IMPLAUSIBLE} (and a warning) with none.
 */
export function findRootsCommand(o: FindRootsOptions, io: CliIo): number {
  if (o.file === undefined) throw new CliError('--find-roots needs a DUMP file');
  if (o.jsonl) throw new CliError('--find-roots ranks the candidates once the scan is over: give --json, not --jsonl');
  if (o.conflicting.length > 0) throw new CliError(`--find-roots looks for the roots itself: ${o.conflicting.join(', ')} cannot be given with it`);
  const base = baseOf(o.base);
  const arch = archOf({ file: o.file, arch: o.arch, format: o.format, registers: {} }, base);
  if (!FINDER_ARCHES.includes(arch.name)) throw new CliError(`--find-roots: no root formats known for ${arch.name} (it knows ${FINDER_ARCHES.join(', ')})`);
  // the scan reads every frame once, in order: the largest chunks make the fewest reads
  const image = openImage(o.file, { format: o.format, base, chunkBytes: 65536, cacheChunks: 64 });
  let found: RootCandidate[];
  try {
    found = findRoots(arch, image.memory, image.ranges);
  } finally {
    image.close();
  }
  const source = `${o.file} (${describeImage(image)})`;
  const out = new Out(io);
  if (o.json) {
    const json = new JsonWriter(out);
    json.open('{');
    json.value(SCHEMA_VERSION, 'schema');
    json.value('find-roots', 'command');
    json.value(arch.name, 'arch');
    json.value(source, 'source');
    json.value({ scanKeep: SCAN_KEEP, walkTables: WALK_TABLES }, 'limits');
    json.open('[', 'candidates');
    found.forEach((c, i) => {
      json.value(candidateJson(c, i + 1));
    });
    json.close();
    json.close();
    out.text('\n');
  } else {
    out.line(`ptdump: candidate roots (${arch.name}) in ${source}`);
    out.line('rank score       root  format                     entries tables   bad leaves kernel  options');
    found.slice(0, SHOWN).forEach((c, i) => {
      const cols = [
        String(i + 1).padStart(4),
        String(c.score).padStart(5),
        hex(c.root).padStart(10),
        ` ${c.format.padEnd(26)}`,
        String(c.entries).padStart(7),
        String(c.tables).padStart(6),
        String(c.badTables).padStart(5),
        String(c.leaves).padStart(6),
        String(c.kernelBalance).padStart(6),
        ` ${candidateOptions(c)}`,
      ];
      out.line(cols.join(' '));
    });
    if (found.length > SHOWN) out.line(`... and ${found.length - SHOWN} more (--json lists them all)`);
  }
  out.flush();
  if (found.length === 0) {
    io.stderr(`ptdump: warning: no candidate root for ${arch.name} in ${o.file}: is --base (or --arch) right?\n`);
    return EXIT_IMPLAUSIBLE;
  }
  return 0;
}
