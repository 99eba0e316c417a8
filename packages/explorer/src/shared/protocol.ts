// The messages between the page (src/app) and its worker (src/worker), which does all the reading of tables: the
// page stays responsive while a large dump is walked, and a worker can read a File synchronously (FileReaderSync),
// which PagedMemory's synchronous reader needs.
//
// Addresses cross as hex strings (bigint does not survive every structured clone path the same way in old
// browsers, and strings are what the page prints). The runs of a listing cross as columns of typed arrays,
// transferred, not copied: 262,144 runs are a few MiB, and no object per run is made on the page's side.

/** What to open: an embedded sample (ptdump's), or a memory dump with the register values. */
export type OpenRequest =
  | { readonly type: 'open-sample'; readonly arch: string }
  | {
      readonly type: 'open-file';
      readonly file: File;
      readonly arch: string;
      /** The registers as typed or pasted (QEMU's `info registers` lines, `NAME=value`, `name value`...). */
      readonly registers: string;
      /** Physical address of a raw image's first byte (hex). */
      readonly base: string;
      readonly format: 'auto' | 'raw' | 'elf';
    };

/** Translate one address through the roots of the open source. */
export interface WalkRequest {
  readonly type: 'walk';
  readonly id: number;
  /** The virtual address, hex. */
  readonly vaddr: string;
}

export type Request = OpenRequest | WalkRequest;

/** One root of the open source: a register's table and the virtual addresses it translates. */
export interface RootInfo {
  readonly label: string;
  /** First virtual address, hex (upper-half addresses in full). */
  readonly vaStart: string;
  /** One past the last, hex (up to 0x10000000000000000). */
  readonly vaEnd: string;
  /** Physical address of the root table, hex. */
  readonly table: string;
  readonly kernel: boolean;
  /** The range in 4 KiB pages (at most 2^52: exact as a double). */
  readonly pages: number;
}

/** Audit findings of a run, as bits. */
export const AUDIT_WX = 1;
export const AUDIT_USER_EXEC_KERNEL = 2;
export const AUDIT_EXEC_DEVICE = 4;

/**
 * The runs of a listing, one column per field, in address order within each root. Page counts and offsets are in
 * 4 KiB pages from the root's first address: below 2^52, so exact as doubles.
 */
export interface RunColumns {
  readonly count: number;
  /** Index of the root (in `Opened.roots`). */
  readonly root: Uint8Array;
  /** First page, counted from the root's `vaStart`. */
  readonly start: Float64Array;
  /** Length in 4 KiB pages. */
  readonly pages: Float64Array;
  /** Physical address of the first byte (exact below 2^53, which every supported format's addresses are). */
  readonly paddr: Float64Array;
  /** log2 of the page size of the run's leaves. */
  readonly pageShift: Uint8Array;
  /** Level of the leaves (0 = root). */
  readonly level: Uint8Array;
  /** The leaves' own MappingFlags. */
  readonly flags: Uint8Array;
  /** The MappingFlags the levels grant together. */
  readonly effective: Uint8Array;
  /** AUDIT_* bits. */
  readonly audit: Uint8Array;
  /** Index in `attrNames` of the architecture's names of the first leaf's attribute bits. */
  readonly attrs: Uint16Array;
  readonly attrNames: readonly string[];
}

/** A problem found in the tables (a table outside the dump, a cycle, reserved bits...). */
export interface DiagnosticInfo {
  readonly code: string;
  readonly message: string;
  readonly vaddr: string;
  readonly root: number;
}

export interface Opened {
  readonly type: 'opened';
  /** One line: what is open (the sample's title, or the file and its format). */
  readonly title: string;
  /** The architecture's name as ptdump spells it (`x86_64`, `aarch64`, `arm`, `riscv64`, `loongarch64`). */
  readonly arch: string;
  /** The table format the registers select: `x86_64 4-level`. */
  readonly format: string;
  /** Whether it is one of the embedded samples (the teaching text is shown for those). */
  readonly sample: boolean;
  /** The register values in use, `NAME=0x...`. */
  readonly registers: string;
  /** What the register decoder noticed and assumed. */
  readonly notes: readonly string[];
  readonly levelNames: readonly string[];
  /** Hex digits of a virtual address (16, or 8 for 32-bit formats). */
  readonly addrDigits: number;
  readonly roots: readonly RootInfo[];
  readonly runs: RunColumns;
  readonly diagnostics: readonly DiagnosticInfo[];
  /** The summary as ptdump counts it: runs, pages, bytes mapped (hex), tables read per level. */
  readonly summary: { readonly runs: number; readonly pages: number; readonly bytes: string; readonly tables: readonly number[] };
  /** Audit counts and Linux's line. */
  readonly audit: { readonly wx: number; readonly userExecKernel: number; readonly execDevice: number; readonly line: string };
  /** Milliseconds the worker took to read the tables. */
  readonly readMs: number;
  /** Of those, milliseconds spent reading the file (0 for a sample). */
  readonly fileMs: number;
}

/** One field of an entry, as the walk panel shows it. */
export interface FieldInfo {
  /** The manual's name: `R/W`, `AttrIndx`, `PPN`. */
  readonly name: string;
  /** Highest and lowest bit, and every bit of the field (AP[2] and AP[1:0] of an ARMv7 Section are apart). */
  readonly msb: number;
  readonly lsb: number;
  readonly positions: readonly number[];
  /** Whether any bit of it is set. */
  readonly set: boolean;
  /** Its value: the address in place for an address field, words for an encoded field, else the number. */
  readonly value: string;
  readonly meaning: string;
  /** The manual and section that define it. */
  readonly section: string;
  readonly address: boolean;
}

/** One entry read on a walk. */
export interface WalkStep {
  readonly level: number;
  readonly levelName: string;
  readonly index: number;
  /** Physical address of the table the entry is in, and of the entry, hex. */
  readonly tableBase: string;
  readonly entryPaddr: string;
  /** The entry's low and high u32 words (high is 0 for 4-byte formats). */
  readonly lo: number;
  readonly hi: number;
  /** Bytes of an entry (4 or 8). */
  readonly entryBytes: number;
  /** Whether the entry is present, and whether it is a leaf (maps memory) rather than a table pointer. */
  readonly present: boolean;
  readonly leaf: boolean;
  /** The virtual-address bits that index this level's table: [msb, lsb]. */
  readonly vaBits: readonly [number, number];
  /** What a table entry lets the levels below keep (packed as core's tableLimit), or -1 for none / a leaf. */
  readonly limit: number;
  /** The architecture's names of the bits set, as ptdump prints them. */
  readonly describe: string;
  /** Every field of the entry, highest bits first. */
  readonly fields: readonly FieldInfo[];
}

export interface Walked {
  readonly type: 'walked';
  readonly id: number;
  readonly vaddr: string;
  readonly mapped: boolean;
  readonly paddr?: string;
  readonly pageSize?: number;
  readonly level?: number;
  readonly flags?: number;
  readonly effective?: number;
  /** Index of the root that translates the address, or -1. */
  readonly root: number;
  readonly steps: readonly WalkStep[];
  readonly reason?: string;
}

export interface Failed {
  readonly type: 'failed';
  /** The request that failed: 'open' or 'walk'. */
  readonly request: 'open' | 'walk';
  readonly message: string;
}

export type Reply = Opened | Walked | Failed;
