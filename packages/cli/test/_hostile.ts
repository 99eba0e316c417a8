// Inputs that lie, for the hostile-input suite: tables that point at themselves or all at one table, random bytes
// with present bits (from a seed), sparse files far larger than what they hold, and ELF headers whose counts and
// sizes do not match the file. Every generator is deterministic in its arguments.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { type ArchSpec, archByName } from '@page-table-multiarch/cli';
import { type AttachPlan, RegisterError } from '@page-table-multiarch/core';

/** TCR_EL1 with T0SZ = T1SZ = 16, 4 KiB granules (TG1 = 0b10) and a 48-bit IPS: both walks start at level 0. */
const TCR = 16n | (16n << 16n) | (2n << 30n) | (5n << 32n);

/** A small, fast, seedable generator (mulberry32): the same seed gives the same inputs on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export const hx = (v: bigint | number): string => `0x${v.toString(16)}`;

/** Register values with the roots at physical 0 (and 0x4000 for a second root). */
export function rootRegisters(arch: ArchSpec): Record<string, bigint> {
  switch (arch.name) {
    case 'x86_64':
      return { cr3: 0n, cr4: 0x20n, efer: 0xd01n };
    case 'x86':
      return { cr3: 0n, cr4: 0x20n, efer: 0x800n };
    case 'aarch64':
      return { ttbr0: 0n, ttbr1: 0x4000n, tcr: TCR };
    case 'arm':
      return { ttbr0: 0n, ttbcr: 0n };
    case 'riscv64':
      return { satp: 8n << 60n };
    case 'riscv32':
      return { satp: 1n << 31n };
    case 'loongarch64':
      return { pgdl: 0n, pgdh: 0x4000n };
    default:
      throw new Error(`no registers for ${arch.name}`);
  }
}

/** The ptdump arguments for those registers. */
export function rootArgs(arch: ArchSpec): string[] {
  return ['--arch', arch.name, ...Object.entries(rootRegisters(arch)).flatMap(([k, v]) => [`--${k}`, hx(v)])];
}

/** The decoded plan for {@link rootRegisters}. */
export function planFor(arch: ArchSpec): AttachPlan {
  const plan = arch.decode(rootRegisters(arch), {});
  if (plan instanceof RegisterError) throw plan;
  return plan;
}

/** Writes an entry (bits) at byte offset `at` of `mem`, in the format's width. */
function put(mem: DataView, at: number, bits: bigint, width: number): void {
  if (width === 8) mem.setBigUint64(at, bits, true);
  else mem.setUint32(at, Number(bits & 0xffff_ffffn), true);
}

/** Every entry of every root table points at that root table itself (a cycle at the top). */
export function selfReferencing(arch: ArchSpec): Uint8Array {
  const { format, roots } = planFor(arch);
  const { meta, pte } = format;
  const mem = new DataView(new ArrayBuffer(0x10000));
  for (const r of new Set(roots.map((x) => BigInt(x.root)))) {
    const bytes = meta.tableBytes[0]!;
    for (let at = 0; at < bytes; at += meta.entryBytes) put(mem, Number(r) + at, pte.newTable(r, 0), meta.entryBytes);
  }
  return new Uint8Array(mem.buffer);
}

/**
 * Every entry of each table points at the same next table: the root's entries all at table 1, table 1's all at
 * table 2, down to a last-level table whose entries are all pages. One path is followed; every other entry is a
 * table reached again.
 */
export function oneTableEverywhere(arch: ArchSpec): Uint8Array {
  const { format } = planFor(arch);
  const { meta, pte } = format;
  const mem = new DataView(new ArrayBuffer(0x40000));
  // tables of level l at 0x8000 * (l + 1): past both roots, aligned for the 16 KiB ARMv7 first level
  const at = (l: number): bigint => (l === 0 ? 0n : BigInt(0x8000 * (l + 1)));
  for (const root of [0n, 0x4000n]) {
    for (let l = 0; l < meta.levels; l++) {
      const base = l === 0 ? root : at(l);
      const last = l === meta.levels - 1;
      for (let e = 0; e < meta.tableBytes[l]!; e += meta.entryBytes) {
        const bits = last ? pte.newPage(0x20_0000n + BigInt(e) * 512n, 3, false, l) : pte.newTable(at(l + 1), l);
        put(mem, Number(base) + e, bits, meta.entryBytes);
      }
    }
  }
  return new Uint8Array(mem.buffer);
}

/**
 * `bytes` of random words where most entries have their low (present / valid) bit set and point at a frame inside
 * the memory, so that the walk goes deep; some have random high bits (reserved bits, addresses far away).
 */
export function randomTables(arch: ArchSpec, seed: number, bytes: number): Uint8Array {
  const next = rng(seed);
  const frames = bytes >>> 12;
  const words = new Uint32Array(bytes >>> 2);
  const wide = planFor(arch).format.meta.entryBytes === 8;
  for (let i = 0; i < words.length; i += wide ? 2 : 1) {
    const r = next() % 16;
    // 10 in 16: a present entry into the memory (a table or a page, as the attribute bits fall)
    const lo = r < 10 ? ((next() % frames) * 4096 + (next() & 0xfff)) | 1 : next();
    words[i] = lo >>> 0;
    if (wide) words[i + 1] = r < 8 ? 0 : r < 13 ? next() & 0x8000_0000 : next();
  }
  return new Uint8Array(words.buffer);
}

/** Writes `parts` (byte offset, bytes) into a new file of `size` bytes; the rest is a hole (sparse, not written). */
export function writeSparse(path: string, size: number, parts: readonly (readonly [number, Uint8Array])[]): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, size);
    for (const [off, b] of parts) writeSync(fd, b, 0, b.length, off);
  } finally {
    closeSync(fd);
  }
}

/**
 * x86_64 tables spread over a large sparse image: a PML4 at 0 whose 512 entries point at PDPTs `stride` bytes
 * apart (the last ones past the end of the image), each PDPT full of 1 GiB pages whose permissions alternate (no
 * two merge into a run). The parts to write; everything between is a hole.
 */
export function spreadTables(size: number, stride: number): [number, Uint8Array][] {
  const parts: [number, Uint8Array][] = [];
  const pml4 = new DataView(new ArrayBuffer(4096));
  for (let e = 0; e < 512; e++) {
    const at = 4096 + e * stride;
    pml4.setBigUint64(e * 8, BigInt(at) | 3n, true);
    if (at + 4096 > size) continue;
    const pdpt = new DataView(new ArrayBuffer(4096));
    for (let k = 0; k < 512; k++) {
      const pa = BigInt(e * 512 + k) << 30n;
      pdpt.setBigUint64(k * 8, pa | 0x81n | (k & 1 ? 0n : 0x8000_0000_0000_0002n), true); // P PS, then RW XD
    }
    parts.push([at, new Uint8Array(pdpt.buffer)]);
  }
  parts.unshift([0, new Uint8Array(pml4.buffer)]);
  return parts;
}

/** Fields of a 64-bit little-endian ELF header (gABI "ELF Header"), x86_64 core unless said. */
export interface Elf64Header {
  readonly phoff: bigint;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shoff?: bigint;
  readonly shnum?: number;
  readonly cls?: number;
  readonly machine?: number;
}

/** The 64-byte header. */
export function elf64Header(h: Elf64Header): Uint8Array {
  const v = new DataView(new ArrayBuffer(64));
  new Uint8Array(v.buffer).set([0x7f, 0x45, 0x4c, 0x46, h.cls ?? 2, 1, 1, 0]);
  v.setUint16(16, 4, true); // ET_CORE
  v.setUint16(18, h.machine ?? 62, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(0x20, h.phoff, true);
  v.setBigUint64(0x28, h.shoff ?? 0n, true);
  v.setUint16(0x34, 64, true);
  v.setUint16(0x36, h.phentsize, true);
  v.setUint16(0x38, h.phnum, true);
  v.setUint16(0x3a, 64, true);
  v.setUint16(0x3c, h.shnum ?? 0, true);
  return new Uint8Array(v.buffer);
}

/** A 56-byte ELF64 program header. */
export function phdr64(type: number, offset: bigint, paddr: bigint, filesz: bigint, memsz: bigint): Uint8Array {
  const v = new DataView(new ArrayBuffer(56));
  v.setUint32(0, type, true);
  v.setUint32(4, 4, true);
  v.setBigUint64(8, offset, true);
  v.setBigUint64(24, paddr, true);
  v.setBigUint64(32, filesz, true);
  v.setBigUint64(40, memsz, true);
  return new Uint8Array(v.buffer);
}

/** Section header 0 of an ELF64 file whose real program-header count is `count` (sh_info, gABI PN_XNUM). */
export function section0(count: number): Uint8Array {
  const v = new DataView(new ArrayBuffer(64));
  v.setUint32(0x2c, count, true);
  return new Uint8Array(v.buffer);
}

/** Concatenates byte arrays. */
export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** x86_64 tables for an ELF test: a PML4 at physical 0 with one 4 KiB page mapped (through PDPT, PD, PT). */
export function tinyX64Tables(): Uint8Array {
  const v = new DataView(new ArrayBuffer(0x4000));
  v.setBigUint64(0, 0x1003n, true);
  v.setBigUint64(0x1000, 0x2003n, true);
  v.setBigUint64(0x2000, 0x3003n, true);
  v.setBigUint64(0x3000, 0x10_0003n, true);
  return new Uint8Array(v.buffer);
}

export const X86 = archByName('x86_64')!;
