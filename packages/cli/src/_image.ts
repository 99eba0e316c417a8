// Opening a memory dump for reading on demand: a raw image placed at a physical base address, or an ELF core file
// as QEMU's dump-guest-memory writes it (PT_LOAD segments at their physical addresses, p_paddr). Nothing is read
// up front beyond the ELF headers; the walk's pages come in through positioned reads into a small cache.
import { closeSync, constants, fstatSync, openSync, type Stats } from 'node:fs';
import { hex, PagedMemory } from '@page-table-multiarch/core';
import { elfRanges, type ImageRange, type NoteSegment, readAt } from './_elf';
import { CliError } from './_errors';

export type { ImageRange, NoteSegment } from './_elf';

/** An opened dump. */
export interface DumpImage {
  /** The file the dump was read from. */
  readonly path: string;
  /** How the file was read: a raw image of physical memory, or an ELF core file. */
  readonly kind: 'raw' | 'elf';
  /** The physical address ranges the file holds, and where in the file each is. */
  readonly ranges: readonly ImageRange[];
  /** For an ELF file: e_machine, the ELF class (32 or 64) and the byte order. */
  readonly elf?: {
    /** e_machine: the architecture the core file is from (62 x86_64, 183 AArch64, ...). */
    readonly machine: number;
    /** The ELF class: 32- or 64-bit headers. */
    readonly bits: 32 | 64;
    /** The byte order of the headers (EI_DATA). */
    readonly littleEndian: boolean;
    /** The PT_NOTE segments (QEMU writes the CPUs' registers there). */
    readonly notes: readonly NoteSegment[];
  };
  /** The memory, read on demand. */
  readonly memory: PagedMemory;
  /** Closes the file. */
  close(): void;
}

/** How to open a dump. */
export interface OpenOptions {
  /** Physical address of the first byte of a raw image (default 0). */
  readonly base?: bigint;
  /** 'raw', 'elf' or 'auto' (default: ELF when the file starts with \x7fELF). */
  readonly format?: 'raw' | 'elf' | 'auto';
  /** Bytes per cached chunk (the largest table of the format, at least 4096). */
  readonly chunkBytes?: number;
  /** Chunks kept in the cache (default 64). */
  readonly cacheChunks?: number;
}

/** e_machine values of the architectures the tool reads (ELF gABI, processor supplements). */
export const ELF_MACHINES: Readonly<Record<number, string>> = Object.freeze({
  3: 'x86', // EM_386: QEMU writes an x86 CPU that is not in long mode (32-bit or PAE paging, or at reset) so
  62: 'x86_64', // EM_X86_64
  40: 'arm', // EM_ARM
  183: 'aarch64', // EM_AARCH64
  243: 'riscv64', // EM_RISCV (an ELFCLASS32 core is riscv32: see elfArch)
  258: 'loongarch64', // EM_LOONGARCH
});

/** IA32_EFER.LME, bit 8 (Intel SDM Vol. 3A 2.2.1). */
const EFER_LME = 0x100n;

/**
 * The architecture an ELF core is from: by e_machine, and for EM_RISCV by the ELF class too (RV32 and RV64 share
 * e_machine 243; the RISC-V ELF psABI gives RV32 ELFCLASS32). QEMU writes EM_386 for an x86 CPU outside long mode,
 * at reset too, whatever tables it will use: an IA32_EFER given with LME = 1 says they are x86_64's. Undefined for a
 * machine ptdump does not know.
 */
export function elfArch(elf: { readonly machine: number; readonly bits: 32 | 64 }, efer?: bigint): string | undefined {
  if (elf.machine === 243 && elf.bits === 32) return 'riscv32';
  const arch = ELF_MACHINES[elf.machine];
  return arch === 'x86' && efer !== undefined && (efer & EFER_LME) !== 0n ? 'x86_64' : arch;
}

/**
 * Opens a dump. Throws {@link CliError} (one line) for a missing or unreadable file, a malformed ELF file,
 * overlapping segments or an empty image.
 */
export function openImage(path: string, options: OpenOptions = {}): DumpImage {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, forever if none comes; the fstat below
    // then refuses it. Reads of a regular file ignore the flag.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot open (${code ?? String(err)})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CliError(`${path}: not a regular file (${fileKind(st)})`);
    const size = st.size;
    if (size === 0) throw new CliError(`${path}: the file is empty`);
    let kind = options.format ?? 'auto';
    if (kind === 'auto') {
      const magic = new Uint8Array(4);
      if (size >= 4) readAt(fd, magic, 0, path);
      kind = magic[0] === 0x7f && magic[1] === 0x45 && magic[2] === 0x4c && magic[3] === 0x46 ? 'elf' : 'raw';
    }
    let ranges: ImageRange[];
    let elf: DumpImage['elf'];
    if (kind === 'elf') {
      const parsed = elfRanges(fd, path, size);
      ranges = parsed.ranges;
      elf = { machine: parsed.machine, bits: parsed.bits, littleEndian: parsed.littleEndian, notes: parsed.notes };
    } else {
      ranges = [{ base: options.base ?? 0n, size: BigInt(size), offset: 0, fileSize: size }];
    }
    let memory: PagedMemory;
    try {
      memory = new PagedMemory({
        ranges,
        chunkBytes: options.chunkBytes ?? 4096,
        cacheChunks: options.cacheChunks ?? 64,
        read: (paddr, into, k) => {
          const r = ranges[k]!;
          const at = Number(paddr - r.base);
          // the part of the request that the file holds; the rest of p_memsz is zero
          const inFile = Math.max(0, Math.min(into.length, r.fileSize - at));
          if (inFile > 0) readAt(fd, into.subarray(0, inFile), r.offset + at, path);
          into.fill(0, inFile);
        },
      });
    } catch (err) {
      throw new CliError(`${path}: ${(err as Error).message}`);
    }
    const image: DumpImage = {
      path,
      kind,
      ranges,
      memory,
      close: () => closeSync(fd),
      ...(elf ? { elf } : {}),
    };
    return image;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** What a path that is not a regular file is, for the message that refuses it. */
function fileKind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

/** Segments named in an image's description; the rest are counted. */
const NAMED_RANGES = 4;

/**
 * The memory of an image as one line: `raw image, 1 MiB at 0x100000` / `ELF64 core, 3 segments, 128 MiB (...)`.
 * At most the first four segments are written out: a core may have tens of thousands.
 */
export function describeImage(image: Pick<DumpImage, 'kind' | 'ranges' | 'elf'>): string {
  let total = 0n;
  for (const r of image.ranges) total += r.size;
  if (image.kind === 'raw') return `raw image, ${bytesText(total)} at ${hex(image.ranges[0]!.base)}`;
  const n = image.ranges.length;
  const named = image.ranges.slice(0, NAMED_RANGES).map((r) => `${hex(r.base)}-${hex(r.base + r.size)}`);
  if (n > NAMED_RANGES) named.push(`and ${n - NAMED_RANGES} more`);
  return `ELF${image.elf?.bits ?? ''} core, ${n} segment${n === 1 ? '' : 's'}, ${bytesText(total)} (${named.join(', ')})`;
}

/** Bytes in the largest exact unit: `16 MiB`, `0x1234 bytes`. */
export function bytesText(n: bigint): string {
  const units: [bigint, string][] = [
    [1n << 40n, 'TiB'],
    [1n << 30n, 'GiB'],
    [1n << 20n, 'MiB'],
    [1n << 10n, 'KiB'],
  ];
  for (const [u, name] of units) if (n >= u && n % u === 0n) return `${n / u} ${name}`;
  return `${n} bytes`;
}
