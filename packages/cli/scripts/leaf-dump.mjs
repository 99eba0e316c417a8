#!/usr/bin/env node
// Writes a raw x86_64 physical-memory image whose 4-level tables map N 4 KiB pages from virtual 0, one page per
// leaf entry, for measuring ptdump on many records. With the default pattern the permissions alternate page by
// page (RW NX, then ro x), so no two adjacent leaves make one run: the listing has N runs. The tables are laid out
// from physical 0: PML4 at 0x0, the PDPT at 0x1000, ceil(N / 2^18) PDs, then ceil(N / 512) PTs; N = 2^23 gives
// 16,384 PTs, a 64 MiB image with 32 GiB mapped. The pages themselves point at physical i * 4096 (outside the
// image: ptdump reads only tables).
//
//   node packages/cli/scripts/leaf-dump.mjs OUT [--pages N] [--pattern alternate|same|wx]
//   ptdump --arch x86_64 --cr3 0 OUT
//
// Patterns: alternate (RW NX / ro x, no W+X), same (every page RW NX: one 32 GiB run, or N leaves with --leaves),
// wx (RW x / RW NX: every other page is W+X, N / 2 audit findings).
import { closeSync, openSync, writeSync } from 'node:fs';
import { argv, exit, stderr } from 'node:process';
import { fileURLToPath } from 'node:url';

const ENTRIES = 512;
const P = 0x1;
const RW = 0x2;
const XD_HI = 0x8000_0000; // bit 63, in the high word
/** The most pages one PDPT reaches: 512 PDs of 512 PTs of 512 pages (512 GiB). */
const MAX_PAGES = ENTRIES * ENTRIES * ENTRIES;

/** The leaf entry of page i for a pattern: [low word, high word]. */
function leaf(i, pattern) {
  const pa = i * 4096;
  const lo = (pa % 2 ** 32) >>> 0;
  const hi = Math.floor(pa / 2 ** 32);
  const odd = (i & 1) === 1;
  if (pattern === 'same') return [lo | P | RW, hi | XD_HI];
  if (pattern === 'wx') return odd ? [lo | P | RW, hi | XD_HI] : [lo | P | RW, hi];
  return odd ? [lo | P, hi] : [lo | P | RW, hi | XD_HI];
}

/**
 * Writes the image; returns its size in bytes and the tables it holds.
 * @param {string} path
 * @param {{ pages?: number, pattern?: 'alternate' | 'same' | 'wx' }} [options]
 */
export function writeLeafDump(path, options = {}) {
  const pages = options.pages ?? 2 ** 23;
  const pattern = options.pattern ?? 'alternate';
  if (!Number.isInteger(pages) || pages < 1 || pages > MAX_PAGES) throw new RangeError(`pages: ${pages} is outside 1..${MAX_PAGES}`);
  const pts = Math.ceil(pages / ENTRIES);
  const pds = Math.ceil(pts / ENTRIES);
  const pdBase = 2; // frame numbers
  const ptBase = pdBase + pds;
  const table = new Uint32Array(ENTRIES * 2);
  const fd = openSync(path, 'w');
  try {
    let frame = 0;
    const put = () => {
      writeSync(fd, table, 0, table.byteLength, frame * 4096);
      frame++;
      table.fill(0);
    };
    table[0] = 0x1000 | P | RW; // PML4[0] -> PDPT
    put();
    for (let d = 0; d < pds; d++) table[2 * d] = ((pdBase + d) * 4096) | P | RW;
    put();
    for (let d = 0; d < pds; d++) {
      for (let e = 0; e < ENTRIES && d * ENTRIES + e < pts; e++) table[2 * e] = (ptBase + d * ENTRIES + e) * 4096 + (P | RW);
      put();
    }
    for (let t = 0; t < pts; t++) {
      for (let e = 0; e < ENTRIES && t * ENTRIES + e < pages; e++) {
        const [lo, hi] = leaf(t * ENTRIES + e, pattern);
        table[2 * e] = lo;
        table[2 * e + 1] = hi;
      }
      put();
    }
    return { bytes: frame * 4096, tables: frame };
  } finally {
    closeSync(fd);
  }
}

if (argv[1] !== undefined && fileURLToPath(import.meta.url) === argv[1]) {
  const args = argv.slice(2);
  const out = args.find((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1].startsWith('--')));
  const opt = (name) => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : args[i + 1];
  };
  const pattern = opt('--pattern') ?? 'alternate';
  const pagesText = opt('--pages');
  if (out === undefined || !['alternate', 'same', 'wx'].includes(pattern)) {
    stderr.write('usage: leaf-dump.mjs OUT [--pages N] [--pattern alternate|same|wx]\n');
    exit(2);
  }
  const { bytes, tables } = writeLeafDump(out, { pattern, ...(pagesText !== undefined ? { pages: Number(pagesText) } : {}) });
  stderr.write(`${out}: ${bytes} bytes, ${tables} tables; list it with: ptdump --arch x86_64 --cr3 0 ${out}\n`);
}
