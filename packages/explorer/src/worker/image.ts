// A memory dump as physical memory: a raw image placed at a base address, or an ELF core file (QEMU's
// dump-guest-memory) whose PT_LOAD segments are placed at their physical addresses. Only headers are read here;
// the tables are paged in later, a chunk at a time, by PagedMemory.
//
// ELF layout: System V ABI, "ELF Header" (e_ident, e_machine, e_phoff, e_phentsize, e_phnum) and "Program Header"
// (p_type, p_offset, p_paddr, p_filesz, p_memsz; PT_LOAD = 1), for ELFCLASS32 and ELFCLASS64 in either byte order.

/** Bytes that can be read synchronously at any offset (a File in a worker, an array in tests). */
export interface ByteSource {
  readonly size: number;
  /** Fills `into` with the bytes from `offset`; the range is inside [0, size). */
  read(offset: number, into: Uint8Array): void;
}

/** A range of physical memory and where its bytes are in the source. */
export interface Segment {
  readonly paddr: bigint;
  /** Bytes of memory (the part past `fileBytes` reads as zero). */
  readonly memBytes: number;
  readonly fileOffset: number;
  readonly fileBytes: number;
}

export interface ImageLayout {
  readonly kind: 'raw' | 'elf';
  readonly segments: readonly Segment[];
  /** ptdump's architecture name from e_machine, when the ELF header names one it knows. */
  readonly arch?: string;
  /** One line for the title: `ELF64 core, 3 segments`. */
  readonly describe: string;
}

const PT_LOAD = 1;
/** e_machine values (System V ABI, "ELF Header"; the processor supplements give the numbers). */
const MACHINES: Readonly<Record<number, string>> = { 3: 'x86', 40: 'arm', 62: 'x86_64', 183: 'aarch64', 243: 'riscv64', 258: 'loongarch64' };

/** Whether the source starts with the ELF magic, 0x7f 'E' 'L' 'F'. */
export function isElf(src: ByteSource): boolean {
  if (src.size < 4) return false;
  const m = new Uint8Array(4);
  src.read(0, m);
  return m[0] === 0x7f && m[1] === 0x45 && m[2] === 0x4c && m[3] === 0x46;
}

/** The layout of a raw image whose first byte is physical `base`. */
export function rawLayout(src: ByteSource, base: bigint): ImageLayout {
  if (src.size === 0) throw new RangeError('the file is empty');
  if (base % 4096n !== 0n) throw new RangeError(`base 0x${base.toString(16)} is not a multiple of 4 KiB`);
  if (base + BigInt(src.size) > 1n << 64n) throw new RangeError('the image runs past 2^64');
  return { kind: 'raw', segments: [{ paddr: base, memBytes: src.size, fileOffset: 0, fileBytes: src.size }], describe: 'raw image' };
}

/**
 * The PT_LOAD segments of an ELF core file, checked against the file: the program-header table and every segment's
 * file bytes inside it, no more file bytes than memory bytes.
 * @throws RangeError with what is wrong, for a header that does not fit the file.
 */
export function elfLayout(src: ByteSource): ImageLayout {
  const head = new Uint8Array(Math.min(64, src.size));
  src.read(0, head);
  if (head.length < 52) throw new RangeError('the ELF header is cut short');
  const cls = head[4]; // EI_CLASS: 1 = ELFCLASS32, 2 = ELFCLASS64
  const data = head[5]; // EI_DATA: 1 = little-endian, 2 = big-endian
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) throw new RangeError(`ELF class ${cls} / data ${data} is not ELF32/ELF64, LSB/MSB`);
  const is64 = cls === 2;
  if (is64 && head.length < 64) throw new RangeError('the ELF64 header is cut short');
  const view = new DataView(head.buffer);
  const le = data === 1;
  const u16 = (v: DataView, o: number) => v.getUint16(o, le);
  const word = (v: DataView, o: number) => (is64 ? Number(v.getBigUint64(o, le)) : v.getUint32(o, le));
  const machine = u16(view, 18);
  const phoff = word(view, is64 ? 32 : 28);
  const phentsize = u16(view, is64 ? 54 : 42);
  const phnum = u16(view, is64 ? 56 : 44);
  const minEntry = is64 ? 56 : 32;
  if (phnum === 0xffff) throw new RangeError('the ELF file uses an extended program-header count (PN_XNUM): not read here');
  if (phentsize < minEntry) throw new RangeError(`program headers of ${phentsize} bytes (at least ${minEntry} expected)`);
  if (phoff + phnum * phentsize > src.size) throw new RangeError('the program-header table runs past the end of the file');
  const table = new Uint8Array(phnum * phentsize);
  src.read(phoff, table);
  const ph = new DataView(table.buffer);
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = i * phentsize;
    if (ph.getUint32(o, le) !== PT_LOAD) continue;
    const offset = word(ph, o + (is64 ? 8 : 4));
    const paddr = is64 ? ph.getBigUint64(o + 24, le) : BigInt(ph.getUint32(o + 12, le));
    const filesz = word(ph, o + (is64 ? 32 : 16));
    const memsz = word(ph, o + (is64 ? 40 : 20));
    if (memsz === 0) continue;
    if (filesz > memsz) throw new RangeError(`segment ${i}: more file bytes (${filesz}) than memory bytes (${memsz})`);
    if (offset + filesz > src.size) throw new RangeError(`segment ${i}: its bytes run past the end of the file`);
    if (paddr + BigInt(memsz) > 1n << 64n) throw new RangeError(`segment ${i}: runs past 2^64`);
    segments.push({ paddr, memBytes: memsz, fileOffset: offset, fileBytes: filesz });
  }
  if (segments.length === 0) throw new RangeError('the ELF file has no PT_LOAD segment');
  // RV32 and RV64 share EM_RISCV; the RISC-V ELF psABI gives RV32 ELFCLASS32
  const arch = machine === 243 && !is64 ? 'riscv32' : MACHINES[machine];
  return {
    kind: 'elf',
    segments,
    ...(arch !== undefined ? { arch } : {}),
    describe: `ELF${is64 ? 64 : 32} core, ${segments.length} segment${segments.length === 1 ? '' : 's'}`,
  };
}

/** The reader PagedMemory calls: copies the bytes of `segments[range]` from `paddr`, zeros past its file bytes. */
export function segmentReader(src: ByteSource, segments: readonly Segment[]): (paddr: bigint, into: Uint8Array, range: number) => void {
  return (paddr, into, range) => {
    const s = segments[range]!;
    const at = Number(paddr - s.paddr);
    const fromFile = Math.max(0, Math.min(into.length, s.fileBytes - at));
    if (fromFile > 0) src.read(s.fileOffset + at, into.subarray(0, fromFile));
    into.fill(0, fromFile);
  };
}
