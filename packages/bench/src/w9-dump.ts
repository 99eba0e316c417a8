// W9's dump: a raw x86_64 physical-memory image whose 4-level tables map `pages` 4 KiB pages from virtual 0 to
// physical 0 onwards, the permissions alternating every `runPages` pages (RW NX, then ro x), so that the listing has
// pages / runPages runs. The tables are laid out from physical 0: the PML4 at 0x0, the PDPT at 0x1000, the PDs,
// then the PTs, each table a frame; the pages themselves lie outside the image (ptdump reads only tables).
//
// Entry bits: Intel SDM Vol. 3A 4.5 (4-level paging), Table 4-15 (PML4E), 4-17 (PDPTE), 4-19 (PDE), 4-20 (PTE):
// bit 0 P (present), bit 1 R/W (writable), bits 51:12 the address, bit 63 XD (with IA32_EFER.NXE = 1).
import { closeSync, openSync, writeSync } from 'node:fs';

const ENTRIES = 512;
const PAGE = 4096;
/** P, bit 0. */
const P = 0x1;
/** R/W, bit 1. */
const RW = 0x2;
/** XD, bit 63: bit 31 of the entry's high word. */
const XD_HI = 0x8000_0000;
/** The most pages one PDPT reaches: 512 PDs of 512 PTs of 512 pages (512 GiB). */
const MAX_PAGES = ENTRIES * ENTRIES * ENTRIES;

/** What was written. */
export interface W9Dump {
  /** Bytes of the image. */
  readonly bytes: number;
  /** Tables in it (frames). */
  readonly tables: number;
  /** Runs a listing of it has: pages / runPages, rounded up. */
  readonly runs: number;
}

/**
 * Writes W9's image to `path`: `pages` 4 KiB pages (default 4,194,304: 16 GiB) whose permissions alternate every
 * `runPages` (default 16) pages. List it with `ptdump --arch x86_64 --cr3 0 PATH`.
 */
export function writeW9Dump(path: string, pages = 4_194_304, runPages = 16): W9Dump {
  if (!Number.isInteger(pages) || pages < 1 || pages > MAX_PAGES) throw new RangeError(`pages: ${pages} is outside 1..${MAX_PAGES}`);
  if (!Number.isInteger(runPages) || runPages < 1) throw new RangeError(`runPages: ${runPages} is not a positive integer`);
  const pts = Math.ceil(pages / ENTRIES);
  const pds = Math.ceil(pts / ENTRIES);
  const pdFrame = 2;
  const ptFrame = pdFrame + pds;
  const table = new Uint32Array(ENTRIES * 2);
  const fd = openSync(path, 'w');
  let frame = 0;
  try {
    const put = (): void => {
      writeSync(fd, table, 0, table.byteLength, frame * PAGE);
      frame++;
      table.fill(0);
    };
    table[0] = PAGE | P | RW; // PML4[0] -> the PDPT
    put();
    for (let d = 0; d < pds; d++) table[2 * d] = ((pdFrame + d) * PAGE) | P | RW;
    put();
    for (let d = 0; d < pds; d++) {
      for (let e = 0; e < ENTRIES && d * ENTRIES + e < pts; e++) table[2 * e] = (ptFrame + d * ENTRIES + e) * PAGE + (P | RW);
      put();
    }
    for (let t = 0; t < pts; t++) {
      for (let e = 0; e < ENTRIES && t * ENTRIES + e < pages; e++) {
        const i = t * ENTRIES + e;
        const pa = i * PAGE;
        const writable = Math.floor(i / runPages) % 2 === 0;
        table[2 * e] = ((pa % 2 ** 32) | P | (writable ? RW : 0)) >>> 0;
        table[2 * e + 1] = (Math.floor(pa / 2 ** 32) | (writable ? XD_HI : 0)) >>> 0;
      }
      put();
    }
  } finally {
    closeSync(fd);
  }
  return { bytes: frame * PAGE, tables: frame, runs: Math.ceil(pages / runPages) };
}
