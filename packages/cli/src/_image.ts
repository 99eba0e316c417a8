// Opening a memory dump for reading on demand: a raw image placed at a physical base address, or an ELF core file
// as QEMU's dump-guest-memory writes it (PT_LOAD segments at their physical addresses, p_paddr). Nothing is read
// up front beyond the ELF headers; the walk's pages come in through positioned reads into a small cache.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { hex, PagedMemory } from '@page-table-multiarch/core';
import { CliError } from './_errors';

/** One physical range of a dump and where its bytes are in the file. */
export interface ImageRange {
  /** Physical address of the first byte. */
  readonly base: bigint;
  /** Bytes of memory (for an ELF segment, p_memsz: bytes past p_filesz read as zero). */
  readonly size: bigint;
  /** Offset of the first byte in the file. */
  readonly offset: number;
  /** Bytes present in the file (p_filesz). */
  readonly fileSize: number;
}

/** An opened dump. */
export interface DumpImage {
  readonly path: string;
  readonly kind: 'raw' | 'elf';
  readonly ranges: readonly ImageRange[];
  /** For an ELF file: e_machine, the ELF class (32 or 64) and the byte order. */
  readonly elf?: { readonly machine: number; readonly bits: 32 | 64; readonly littleEndian: boolean };
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

const PT_LOAD = 1;
const PN_XNUM = 0xffff;

/** e_machine values of the architectures the tool reads (ELF gABI, processor supplements). */
export const ELF_MACHINES: Readonly<Record<number, string>> = Object.freeze({
  3: 'x86_64', // EM_386: QEMU writes an x86_64 guest that is not in long mode as ELFCLASS32 / EM_386
  62: 'x86_64', // EM_X86_64
  40: 'arm', // EM_ARM
  183: 'aarch64', // EM_AARCH64
  243: 'riscv64', // EM_RISCV
  258: 'loongarch64', // EM_LOONGARCH
});

function readAt(fd: number, buf: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new CliError(`${path}: unexpected end of file at offset ${position + done}`);
    done += n;
  }
}

/** Parses the program headers of an ELF file: its PT_LOAD segments as physical ranges. */
function elfRanges(fd: number, path: string, fileSize: number): { ranges: ImageRange[]; machine: number; bits: 32 | 64; littleEndian: boolean } {
  const head = new Uint8Array(64);
  if (fileSize < 52) throw new CliError(`${path}: too short for an ELF header`);
  readAt(fd, head.subarray(0, Math.min(64, fileSize)), 0, path);
  const cls = head[4];
  const data = head[5];
  if (cls !== 1 && cls !== 2) throw new CliError(`${path}: ELF class ${String(cls)} is neither 32 nor 64-bit`);
  if (data !== 1 && data !== 2) throw new CliError(`${path}: ELF data encoding ${String(data)} is neither little nor big endian`);
  const le = data === 1;
  const bits = cls === 2 ? 64 : 32;
  const v = new DataView(head.buffer);
  const u64 = (dv: DataView, off: number): number => {
    const n = dv.getBigUint64(off, le);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new CliError(`${path}: ELF offset ${hex(n)} is too large`);
    return Number(n);
  };
  const machine = v.getUint16(18, le);
  const phoff = bits === 64 ? u64(v, 0x20) : v.getUint32(0x1c, le);
  const shoff = bits === 64 ? u64(v, 0x28) : v.getUint32(0x20, le);
  const phentsize = v.getUint16(bits === 64 ? 0x36 : 0x2a, le);
  let phnum = v.getUint16(bits === 64 ? 0x38 : 0x2c, le);
  if (phnum === PN_XNUM) {
    // the real count is sh_info of section header 0 (gABI "Extended Program Header Numbering")
    const sh = new Uint8Array(bits === 64 ? 64 : 40);
    readAt(fd, sh, shoff, path);
    phnum = new DataView(sh.buffer).getUint32(bits === 64 ? 0x2c : 0x1c, le);
  }
  const want = bits === 64 ? 56 : 32;
  if (phentsize < want) throw new CliError(`${path}: program header entries of ${phentsize} bytes (expected ${want})`);
  if (phoff + phnum * phentsize > fileSize) throw new CliError(`${path}: program headers run past the end of the file`);
  const table = new Uint8Array(phnum * phentsize);
  readAt(fd, table, phoff, path);
  const pv = new DataView(table.buffer);
  const ranges: ImageRange[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = i * phentsize;
    if (pv.getUint32(o, le) !== PT_LOAD) continue;
    let offset: number;
    let paddr: bigint;
    let filesz: number;
    let memsz: bigint;
    if (bits === 64) {
      offset = u64(pv, o + 8);
      paddr = pv.getBigUint64(o + 24, le);
      filesz = u64(pv, o + 32);
      memsz = pv.getBigUint64(o + 40, le);
    } else {
      offset = pv.getUint32(o + 4, le);
      paddr = BigInt(pv.getUint32(o + 12, le));
      filesz = pv.getUint32(o + 16, le);
      memsz = BigInt(pv.getUint32(o + 20, le));
    }
    if (memsz === 0n) continue;
    if (BigInt(filesz) > memsz) throw new CliError(`${path}: segment ${i} has p_filesz ${filesz} > p_memsz ${memsz}`);
    if (offset + filesz > fileSize) throw new CliError(`${path}: segment ${i} (physical ${hex(paddr)}) runs past the end of the file (truncated dump?)`);
    ranges.push({ base: paddr, size: memsz, offset, fileSize: filesz });
  }
  if (ranges.length === 0) throw new CliError(`${path}: the ELF file has no PT_LOAD segment (no memory)`);
  return { ranges, machine, bits, littleEndian: le };
}

/**
 * Opens a dump. Throws {@link CliError} (one line) for a missing or unreadable file, a malformed ELF file,
 * overlapping segments or an empty image.
 */
export function openImage(path: string, options: OpenOptions = {}): DumpImage {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot open (${code ?? String(err)})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CliError(`${path}: not a regular file`);
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
      elf = { machine: parsed.machine, bits: parsed.bits, littleEndian: parsed.littleEndian };
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

/** The memory of an image as one line: `raw image, 1 MiB at 0x100000` / `ELF64 core, 3 segments, 128 MiB`. */
export function describeImage(image: Pick<DumpImage, 'kind' | 'ranges' | 'elf'>): string {
  let total = 0n;
  for (const r of image.ranges) total += r.size;
  if (image.kind === 'raw') return `raw image, ${bytesText(total)} at ${hex(image.ranges[0]!.base)}`;
  const n = image.ranges.length;
  return `ELF${image.elf?.bits ?? ''} core, ${n} segment${n === 1 ? '' : 's'}, ${bytesText(total)} (${image.ranges
    .map((r) => `${hex(r.base)}-${hex(r.base + r.size)}`)
    .join(', ')})`;
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
