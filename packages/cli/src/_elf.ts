// The program headers of an ELF core file (System V gABI, "ELF Header" and "Program Header"), read as a file that
// may lie: every count and offset is checked against the file's size before anything is allocated or read, the
// table is read in bounded pieces, and the number of headers has a ceiling.
import { readSync } from 'node:fs';
import { hex } from '@page-table-multiarch/core';
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

/** What the ELF header and program headers of a core file say. */
export interface ElfLayout {
  readonly ranges: ImageRange[];
  /** The PT_NOTE segments: where in the file, and their size in bytes (p_filesz). */
  readonly notes: NoteSegment[];
  readonly machine: number;
  readonly bits: 32 | 64;
  readonly littleEndian: boolean;
}

/** Where a PT_NOTE segment's bytes are in the file. */
export interface NoteSegment {
  /** Offset of the first byte in the file (p_offset). */
  readonly offset: number;
  /** Bytes of notes (p_filesz). */
  readonly size: number;
}

const PT_LOAD = 1;
/** gABI "Program Header": p_type of a segment of notes (sections "Note Section"). */
const PT_NOTE = 4;
/** gABI "Section header", sh_info of section 0: e_phnum holds PN_XNUM when the real count does not fit 16 bits. */
const PN_XNUM = 0xffff;
/**
 * The most program headers ptdump reads. QEMU's dump-guest-memory writes one PT_LOAD per block of guest RAM (a
 * handful), or with paging one per run of virtual mappings (thousands); a count above this is a corrupt header,
 * and reading it would cost time and memory for nothing. Each range costs about 200 bytes kept.
 */
export const MAX_PROGRAM_HEADERS: number = 1 << 20;
/** Bytes of program-header table read at a time. */
const WINDOW = 1 << 16;

/** Reads `buf.length` bytes at `position`; a short file or a failed read is a one-line error. */
export function readAt(fd: number, buf: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < buf.length) {
    let n: number;
    try {
      n = readSync(fd, buf, done, buf.length - done, position + done);
    } catch (err) {
      throw new CliError(`${path}: cannot read at offset ${position + done} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    if (n === 0) throw new CliError(`${path}: unexpected end of file at offset ${position + done}`);
    done += n;
  }
}

/** Parses the headers of an ELF file of `fileSize` bytes: its PT_LOAD segments as physical ranges. */
export function elfRanges(fd: number, path: string, fileSize: number): ElfLayout {
  if (fileSize < 52) throw new CliError(`${path}: too short for an ELF header`);
  const head = new Uint8Array(64);
  readAt(fd, head.subarray(0, Math.min(64, fileSize)), 0, path);
  const cls = head[4];
  const data = head[5];
  if (cls !== 1 && cls !== 2) throw new CliError(`${path}: ELF class ${String(cls)} is neither 32 nor 64-bit`);
  if (data !== 1 && data !== 2) throw new CliError(`${path}: ELF data encoding ${String(data)} is neither little nor big endian`);
  const le = data === 1;
  const bits = cls === 2 ? 64 : 32;
  if (bits === 64 && fileSize < 64) throw new CliError(`${path}: too short for an ELF64 header`);
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
  let counted = 'e_phnum';
  if (phnum === PN_XNUM) {
    // the real count is sh_info of section header 0 (gABI "Section Header", extended program header numbering)
    const shsize = bits === 64 ? 64 : 40;
    if (shoff === 0 || shoff + shsize > fileSize) {
      throw new CliError(`${path}: e_phnum is PN_XNUM (0xffff) but section header 0, at offset ${shoff}, is not in the file`);
    }
    const sh = new Uint8Array(shsize);
    readAt(fd, sh, shoff, path);
    phnum = new DataView(sh.buffer).getUint32(bits === 64 ? 0x2c : 0x1c, le);
    counted = 'sh_info of section header 0 (e_phnum is PN_XNUM)';
  }
  const want = bits === 64 ? 56 : 32;
  if (phentsize < want) throw new CliError(`${path}: program header entries of ${phentsize} bytes (expected ${want})`);
  if (phnum > MAX_PROGRAM_HEADERS) {
    throw new CliError(`${path}: ${phnum} program headers (${counted}): more than ptdump reads (${MAX_PROGRAM_HEADERS})`);
  }
  // at most 2^20 * 65535 bytes, so the sum stays exact
  if (phoff + phnum * phentsize > fileSize) throw new CliError(`${path}: program headers run past the end of the file`);

  // the table in windows: e_phentsize may exceed the structure (gABI: the extra bytes are not ours to read), so
  // a window holds as many whole entries as fit in 64 KiB, and an entry larger than that is read alone
  const perWindow = Math.max(1, Math.floor(WINDOW / phentsize));
  const window = new Uint8Array(perWindow === 1 ? want : perWindow * phentsize);
  const pv = new DataView(window.buffer);
  const ranges: ImageRange[] = [];
  const notes: NoteSegment[] = [];
  for (let first = 0; first < phnum; first += perWindow) {
    const n = Math.min(perWindow, phnum - first);
    readAt(fd, window.subarray(0, perWindow === 1 ? want : n * phentsize), phoff + first * phentsize, path);
    for (let j = 0; j < n; j++) {
      const range = segment(pv, j * phentsize, first + j, bits, le, u64, path, fileSize);
      if (range) ranges.push(range);
      const note = noteSegment(pv, j * phentsize, bits, le, u64, fileSize);
      if (note) notes.push(note);
    }
  }
  if (ranges.length === 0) throw new CliError(`${path}: the ELF file has no PT_LOAD segment (no memory)`);
  return { ranges, notes, machine, bits, littleEndian: le };
}

/** The range of program header `i` (at byte `o` of `pv`) when it is a PT_LOAD with memory (gABI "Program Header"). */
function segment(
  pv: DataView,
  o: number,
  i: number,
  bits: 32 | 64,
  le: boolean,
  u64: (dv: DataView, off: number) => number,
  path: string,
  fileSize: number,
): ImageRange | undefined {
  if (pv.getUint32(o, le) !== PT_LOAD) return undefined;
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
  if (memsz === 0n) return undefined;
  if (BigInt(filesz) > memsz) throw new CliError(`${path}: segment ${i} has p_filesz ${filesz} > p_memsz ${memsz}`);
  if (offset + filesz > fileSize) throw new CliError(`${path}: segment ${i} (physical ${hex(paddr)}) runs past the end of the file (truncated dump?)`);
  return { base: paddr, size: memsz, offset, fileSize: filesz };
}

/**
 * The notes of program header at byte `o` of `pv` when it is a non-empty PT_NOTE that lies inside the file
 * (gABI "Program Header": p_offset at 4 / 8, p_filesz at 16 / 32 for ELF32 / ELF64). A note segment that runs past
 * the end of the file is left out: the memory can still be listed, only its registers are lost.
 */
function noteSegment(
  pv: DataView,
  o: number,
  bits: 32 | 64,
  le: boolean,
  u64: (dv: DataView, off: number) => number,
  fileSize: number,
): NoteSegment | undefined {
  if (pv.getUint32(o, le) !== PT_NOTE) return undefined;
  const offset = bits === 64 ? u64(pv, o + 8) : pv.getUint32(o + 4, le);
  const size = bits === 64 ? u64(pv, o + 32) : pv.getUint32(o + 16, le);
  if (size === 0 || offset + size > fileSize) return undefined;
  return { offset, size };
}
