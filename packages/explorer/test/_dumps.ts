// Memory dumps for the tests: ELF core files and raw images made from ptdump's samples, and the W9 dump (x86_64
// tables mapping 4,194,304 4 KiB pages in 262,144 runs, the permissions alternating every 16 pages).
import { ARCHES, type Sample } from '@page-table-multiarch/cli/samples';
import type { ByteSource } from '../src/worker/image';

/** ELF e_machine of each architecture (System V ABI processor supplements). */
const MACHINE: Readonly<Record<string, number>> = { x86_64: 62, x86: 3, aarch64: 183, arm: 40, riscv64: 243, riscv32: 243, loongarch64: 258 };

/** A sample of `arch` and the bytes of its memory. */
export function sampleImage(arch: string): { sample: Sample; image: Uint8Array; base: bigint } {
  const spec = ARCHES.find((a) => a.name === arch)!;
  const sample = spec.sample();
  return { sample, image: sample.memory.bytes(), base: sample.memory.base };
}

/** The sample's registers as QEMU's monitor prints them: `CR3=0000000000100000 CR4=...`, hex without 0x. */
export function qemuRegisters(sample: Sample): string {
  return Object.entries(sample.registers)
    .map(([name, v]) => `${name.toUpperCase()}=${v.toString(16).padStart(16, '0')}`)
    .join(' ');
}

/**
 * An ELF core file (ELF64, or ELF32 with `elf32`; little-endian) holding `image` at physical `base`, split into two
 * PT_LOAD segments (the second one's last page only in memory, not in the file, as p_memsz > p_filesz allows), with
 * a PT_NOTE first as QEMU writes one.
 */
export function elfCore(image: Uint8Array, base: bigint, arch: string, elf32 = false): Uint8Array {
  const ehsize = elf32 ? 52 : 64;
  const phentsize = elf32 ? 32 : 56;
  const phnum = 3;
  const dataAt = 4096;
  const half = Math.floor(image.length / 2 / 4096) * 4096;
  const out = new Uint8Array(dataAt + image.length - 4096);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, elf32 ? 1 : 2, 1, 1]); // magic, class, little-endian, EV_CURRENT
  v.setUint16(16, 4, true); // ET_CORE
  v.setUint16(18, MACHINE[arch]!, true);
  v.setUint32(20, 1, true);
  if (elf32) {
    v.setUint32(28, ehsize, true); // e_phoff
    v.setUint16(40, ehsize, true);
    v.setUint16(42, phentsize, true);
    v.setUint16(44, phnum, true);
  } else {
    v.setBigUint64(32, BigInt(ehsize), true);
    v.setUint16(52, ehsize, true);
    v.setUint16(54, phentsize, true);
    v.setUint16(56, phnum, true);
  }
  const segs: [type: number, offset: number, paddr: bigint, filesz: number, memsz: number][] = [
    [4, 0, 0n, 0, 0], // PT_NOTE (empty)
    [1, dataAt, base, half, half],
    [1, dataAt + half, base + BigInt(half), image.length - half - 4096, image.length - half],
  ];
  segs.forEach(([type, offset, paddr, filesz, memsz], i) => {
    const o = ehsize + i * phentsize;
    v.setUint32(o, type, true);
    if (elf32) {
      v.setUint32(o + 4, offset, true);
      v.setUint32(o + 8, Number(paddr), true); // p_vaddr: anything
      v.setUint32(o + 12, Number(paddr), true);
      v.setUint32(o + 16, filesz, true);
      v.setUint32(o + 20, memsz, true);
    } else {
      v.setBigUint64(o + 8, BigInt(offset), true);
      v.setBigUint64(o + 24, paddr, true);
      v.setBigUint64(o + 32, BigInt(filesz), true);
      v.setBigUint64(o + 40, BigInt(memsz), true);
    }
  });
  out.set(image.subarray(0, image.length - 4096), dataAt);
  return out;
}

/** A ByteSource over an array; `size` may claim more (reads past the array give zeros); counts what is read. */
export function arraySource(bytes: Uint8Array, size = bytes.length): ByteSource & { bytesRead: number } {
  const src = {
    size,
    bytesRead: 0,
    read(offset: number, into: Uint8Array) {
      src.bytesRead += into.length;
      into.fill(0);
      if (offset < bytes.length) into.set(bytes.subarray(offset, Math.min(bytes.length, offset + into.length)));
    },
  };
  return src;
}

/** Pages and runs of the W9 dump. */
export const W9_PAGES = 4_194_304;
export const W9_RUNS = 262_144;

/**
 * The W9 dump (or its first `pages` pages) as a raw image from physical 0, CR3 = 0: the PML4 at 0x0, one PDPT at 0x1000, 8 PDs, then 8192 PTs.
 * Page i maps physical i * 4096 (outside the image: only tables are read); pages in even groups of 16 are RW NX,
 * in odd groups read-only and executable (Intel SDM Vol. 3A Table 4-20: P bit 0, R/W bit 1, XD bit 63).
 */
export function w9Image(pages = W9_PAGES): Uint8Array {
  const P = 1;
  const RW = 2;
  const XD_HI = 0x8000_0000;
  const pts = Math.ceil(pages / 512);
  const pds = Math.ceil(pts / 512);
  const ptBase = 2 + pds; // frame numbers
  const words = new Uint32Array((ptBase + pts) * 1024);
  words[0] = 0x1000 | P | RW; // PML4[0] -> the PDPT
  for (let d = 0; d < pds; d++) words[1024 + 2 * d] = ((2 + d) * 4096) | P | RW; // PDPT[d] -> PD d
  for (let t = 0; t < pts; t++) words[(2 + (t >> 9)) * 1024 + 2 * (t & 511)] = ((ptBase + t) * 4096) | P | RW; // PD -> PT
  for (let i = 0; i < pages; i++) {
    const at = (ptBase + (i >> 9)) * 1024 + 2 * (i & 511);
    const pa = i * 4096;
    const writable = ((i >> 4) & 1) === 0;
    words[at] = ((pa % 2 ** 32) | P | (writable ? RW : 0)) >>> 0;
    words[at + 1] = Math.floor(pa / 2 ** 32) | (writable ? XD_HI : 0);
  }
  return new Uint8Array(words.buffer);
}
