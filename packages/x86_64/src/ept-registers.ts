// Attach, dump and boot for EPT: what a dump needs to know about EPT entries, the table formats, and the EPTP (the
// VM-execution control field that points the CPU at an EPT table) decoded and encoded.
// Source: Intel SDM Vol. 3C (326019 / 325462):
// - 25.6.11 "Extended-Page-Table Pointer (EPTP)", table "Format of Extended-Page-Table Pointer": bits 2:0 the memory
//   type of the EPT paging structures (0 UC, 6 WB), bits 5:3 the page-walk length minus 1, bit 6 enables the
//   accessed and dirty flags, bit 7 enables access rights for supervisor shadow-stack pages, bits 11:8 reserved,
//   bits (N-1):12 the root table's physical address, bits 63:N reserved.
// - The VM-entry checks on the VM-execution control fields ("Checks on VMX Controls"): the EPTP's memory type must
//   be UC or WB, its page-walk length minus 1 must be 3 or 4 (5-level EPT), reserved bits must be 0.
// - 29.3.2, Tables 29-1 to 29-6: entry formats. Reserved (must be 0): bits 7:3 of a PML5E / PML4E, bits 6:3 of a
//   PDPTE or PDE that references a table, bits 29:12 of a 1 GiB page, bits 20:12 of a 2 MiB page, bits 51:N.
// - 29.3.3.1 "EPT Misconfigurations": W without R, and a leaf memory type of 2, 3 or 7.
// - 29.3.3.2 "EPT Violations": an access is allowed only if every entry on the way allows it (R, W and X are ANDed
//   over the levels; with MBEC, bit 2 for supervisor-mode linear addresses and bit 10 for user-mode ones).
// - 29.3.5 "Accessed and Dirty Flags for EPT": bits 8 and 9 mean something only when EPTP bit 6 is 1.
import {
  type AddrInput,
  type AttachPlan,
  defaultRoots,
  type EntryInspector,
  field,
  hex,
  loadableRoot,
  MappingFlags,
  type PageTableOptions,
  type PagingHandler,
  RegisterError,
  registerValue,
  type TableFormat,
  tableLimit,
} from '@page-table-multiarch/core';
import { x86EptCodec } from '@page-table-multiarch/entry/x86_64';
import { X86Ept5PageTable, X86Ept5PagingMetaData, X86EptPageTable, X86EptPagingMetaData } from './ept';

// Entry bits (Tables 29-1 to 29-6), as masks of the low word; bit 63 as a mask of the high word.
/** Read, bit 0. */
const R = 1;
/** Write, bit 1. */
const W = 1 << 1;
/** Execute, bit 2 (supervisor-mode linear addresses with MBEC). */
const X = 1 << 2;
/** Memory type, bits 5:3 of a leaf. */
const MT = 0x38;
/** Ignore PAT, bit 6 of a leaf. */
const IPAT = 1 << 6;
/** Page size, bit 7 of a PDPTE / PDE. */
const PS = 1 << 7;
/** Accessed, bit 8 (with EPTP bit 6). */
const A = 1 << 8;
/** Dirty, bit 9 of a leaf (with EPTP bit 6). */
const D = 1 << 9;
/** Execute for user-mode linear addresses, bit 10 (with MBEC). */
const XU = 1 << 10;
/** Suppress #VE, bit 63 of a leaf (bit 31 of the high word). */
const SVE_HI = 0x8000_0000;
/** Bits 29:12 of a PDPTE that maps a 1 GiB page: reserved (Table 29-2). */
const RSVD_1G = 0x3fff_f000;
/** Bits 20:12 of a PDE that maps a 2 MiB page: reserved (Table 29-4). */
const RSVD_2M = 0x001f_f000;
/** The EPT memory types by their encoding (29.3.7.1, Vol. 3A Table 11-10); undefined for reserved 2, 3 and 7. */
const MEMORY_TYPES: readonly (string | undefined)[] = ['UC', 'WC', undefined, undefined, 'WT', 'WP', 'WB', undefined];
/** Every MappingFlags bit. */
const ALL = 63;

/** Options of {@link x86EptInspector} and {@link x86EptFormat}: the EPTP and the VM-execution controls. */
export interface X86EptInspectorOptions {
  /** Page-walk length: 4, or 5 for 5-level EPT (default 4). */
  readonly levels?: 4 | 5;
  /** The "mode-based execute control for EPT" VM-execution control (default false): bit 10 is XU. */
  readonly mbec?: boolean;
  /** EPTP bit 6 (default false): the CPU writes A (bit 8) and D (bit 9), which listings then name. */
  readonly accessDirty?: boolean;
  /** MAXPHYADDR (CPUID.80000008H:EAX[7:0]), 36..52 (default 52): address bits 51:N are reserved. */
  readonly maxPhysAddr?: number;
}

/**
 * The EPT `EntryInspector`: R, W and X (and XU with MBEC) clear in a table entry take READ, WRITE and EXECUTE away
 * from everything below it (29.3.3.2); W without R, a reserved leaf memory type (2, 3, 7) and reserved bits (bits
 * 7:3 of a PML5E / PML4E, 6:3 of an entry that references a table, 29:12 of a 1 GiB page, 20:12 of a 2 MiB page,
 * address bits at and above MAXPHYADDR) make an entry a 'Reserved' diagnostic, as they make the CPU raise an EPT
 * misconfiguration. Listings name R, W, X, XU, the memory type, IPAT, PS, SVE, and A and D when EPTP enables them.
 * Runs break on R, W, X, XU, the memory type, IPAT, PS and SVE, not on A and D.
 * @throws RangeError for levels other than 4 and 5, or a MAXPHYADDR outside 36..52.
 */
export function x86EptInspector(options: X86EptInspectorOptions = {}): EntryInspector {
  const levels = options.levels ?? 4;
  const mbec = options.mbec === true;
  const ad = options.accessDirty === true;
  const m = options.maxPhysAddr ?? 52;
  if (levels !== 4 && levels !== 5) throw new RangeError(`x86EptInspector: ${String(levels)} levels (expected 4 or 5)`);
  if (!Number.isInteger(m) || m < 36 || m > 52) throw new RangeError(`x86EptInspector: MAXPHYADDR ${m} is outside 36..52`);
  const last = levels - 1;
  /** Address bits 51:N of the high word (bits 19:N-32). */
  const rsvdAddrHi = m >= 52 ? 0 : ((1 << 20) - 1) & ~((1 << (m - 32)) - 1);
  const names = levels === 5 ? ['PML5', 'PML4', 'PDPT', 'PD', 'PT'] : ['PML4', 'PDPT', 'PD', 'PT'];
  return Object.freeze({
    levelNames: Object.freeze(names),
    tableLimit(lo: number, _hi: number, _level: number): number {
      let k = ALL;
      if ((lo & R) === 0) k &= ~MappingFlags.READ;
      if ((lo & W) === 0) k &= ~MappingFlags.WRITE;
      // without MBEC bit 2 governs every fetch; with it, bit 2 supervisor-mode fetches and bit 10 user-mode ones
      // (the codec reads a leaf with XU as USER | EXECUTE, so USER selects the second limit)
      const user = mbec && (lo & XU) === 0 ? k & ~MappingFlags.EXECUTE : k;
      if ((lo & X) === 0) k &= ~MappingFlags.EXECUTE;
      return tableLimit(k, mbec ? user : k);
    },
    problem(lo: number, hi: number, level: number, leaf: boolean): string | undefined {
      if ((lo & (R | W)) === W) return 'write access without read access (EPT misconfiguration)';
      if ((hi & rsvdAddrHi) !== 0) return `address bits 51:${m} are set (reserved above MAXPHYADDR ${m})`;
      // a PML5E / PML4E never maps a page: bit 7 is reserved there with bits 6:3 (Table 29-1)
      if (level < last - 2 && (lo & (MT | IPAT | PS)) !== 0) return `bits 7:3 of an EPT ${names[level]}E are set (reserved)`;
      if (!leaf) {
        if ((lo & (MT | IPAT)) !== 0) return `bits 6:3 of an EPT ${names[level]}E that references a table are set (reserved)`;
        return undefined;
      }
      const type = (lo & MT) >>> 3;
      if (MEMORY_TYPES[type] === undefined) return `memory type ${type} is reserved (EPT misconfiguration)`;
      if (level === last - 2 && (lo & RSVD_1G) !== 0) return 'bits 29:12 of a 1 GiB page are set (reserved)';
      if (level === last - 1 && (lo & RSVD_2M) !== 0) return 'bits 20:12 of a 2 MiB page are set (reserved)';
      return undefined;
    },
    attrLo(lo: number, _hi: number, _level: number): number {
      return lo & (R | W | X | MT | IPAT | PS | (mbec ? XU : 0));
    },
    attrHi(_lo: number, hi: number, _level: number): number {
      return hi & SVE_HI;
    },
    describe(lo: number, hi: number, level: number, leaf: boolean): string {
      const out: string[] = [];
      if (lo & R) out.push('R');
      if (lo & W) out.push('W');
      if (lo & X) out.push('X');
      if (mbec && lo & XU) out.push('XU');
      if (leaf) out.push(MEMORY_TYPES[(lo & MT) >>> 3] ?? `MT${(lo & MT) >>> 3}`);
      if (leaf && lo & IPAT) out.push('IPAT');
      if (leaf && level < last) out.push('PS');
      if (ad && lo & A) out.push('A');
      if (ad && leaf && lo & D) out.push('D');
      if (leaf && hi & SVE_HI) out.push('SVE');
      return out.join(' ');
    },
  });
}

/**
 * The table format of 4-level or 5-level EPT for dumps, with its inspector: `attach` makes an X86EptPageTable or an
 * X86Ept5PageTable with the same MBEC.
 * @throws RangeError for levels other than 4 and 5, or a MAXPHYADDR outside 36..52.
 */
export function x86EptFormat(options: X86EptInspectorOptions = {}): TableFormat {
  const inspector = x86EptInspector(options);
  const five = options.levels === 5;
  const mbec = options.mbec === true;
  return Object.freeze({
    name: five ? 'x86 EPT 5-level' : 'x86 EPT 4-level',
    meta: five ? X86Ept5PagingMetaData : X86EptPagingMetaData,
    pte: x86EptCodec({ mbec }),
    inspector,
    attach(handler: PagingHandler, root: AddrInput, opts: PageTableOptions = {}) {
      return five ? new X86Ept5PageTable(handler, { ...opts, root, mbec }) : new X86EptPageTable(handler, { ...opts, root, mbec });
    },
  });
}

/** An EPTP value and the VM-execution controls an EPT dump needs. */
export interface X86EptpRegisters {
  /** The EPTP VM-execution control field (VMCS encoding 201AH). */
  readonly eptp: AddrInput;
  /** The "mode-based execute control for EPT" secondary processor-based VM-execution control (default false). */
  readonly mbec?: boolean;
}

/** EPTP bits 51:12: the root table (N = 52, the architectural maximum). */
const EPTP_ADDR = 0x000f_ffff_ffff_f000n;
/** EPTP bits 11:8 and 63:52: reserved. */
const EPTP_RSVD = 0xfff0_0000_0000_0f00n;
/** EPTP memory types of the paging structures the VM-entry checks accept: UC (0) and WB (6). */
const EPTP_MT_UC = 0;
const EPTP_MT_WB = 6;

/**
 * Decodes an EPTP value into an attach plan for the EPT table it points at: 4-level EPT (X86EptPageTable) for a
 * page-walk length of 4 (bits 5:3 = 3), 5-level (X86Ept5PageTable) for 5 (bits 5:3 = 4); the root is bits 51:12;
 * one root for guest-physical `[0, 2^48)` (`[0, 2^57)`). A memory type other than UC or WB, another page-walk
 * length, and reserved bits set (11:8, 63:52) are 'Invalid', as the VM-entry checks refuse them. Bit 6 (accessed
 * and dirty flags) makes listings name A and D; bit 7 (supervisor shadow-stack control) is noted.
 * @throws TypeError / PagingError 'InvalidAddress' for a value that is not a u64.
 * @example
 * const plan = decodeX86Eptp({ eptp: 0x10_105en }); // WB, 4-level, A/D on, root 0x101000
 * if (plan instanceof RegisterError) throw plan;
 * plan.format.name; // 'x86 EPT 4-level'
 */
export function decodeX86Eptp(regs: X86EptpRegisters): AttachPlan | RegisterError {
  const eptp = registerValue(regs.eptp, 'eptp');
  const type = field(eptp, 2, 0);
  if (type !== EPTP_MT_UC && type !== EPTP_MT_WB) {
    return new RegisterError('Invalid', 'EPTP.MT', `EPTP ${hex(eptp)}: memory type ${type} for the EPT paging structures (expected 0 UC or 6 WB)`);
  }
  const walk = field(eptp, 5, 3) + 1;
  if (walk !== 4 && walk !== 5) return new RegisterError('Invalid', 'EPTP.PWL', `EPTP ${hex(eptp)}: page-walk length ${walk} (expected 4, or 5 for 5-level EPT)`);
  if ((eptp & EPTP_RSVD) !== 0n) return new RegisterError('Invalid', 'EPTP', `EPTP ${hex(eptp)}: bits 11:8 and 63:52 are reserved`);
  const accessDirty = field(eptp, 6, 6) === 1;
  const mbec = regs.mbec === true;
  const notes: string[] = [`EPTP: the EPT paging structures are ${type === EPTP_MT_WB ? 'WB' : 'UC'}`];
  if (accessDirty) notes.push('EPTP: accessed and dirty flags enabled (bits 8 and 9 of the entries)');
  if (field(eptp, 7, 7) === 1) notes.push('EPTP: access rights for supervisor shadow-stack pages enforced');
  if (mbec) notes.push('mode-based execute control: bit 2 allows supervisor-mode fetches, bit 10 (XU) user-mode ones');
  const format = x86EptFormat({ levels: walk === 5 ? 5 : 4, mbec, accessDirty });
  return { arch: 'x86_64', format, roots: defaultRoots(format.meta, eptp & EPTP_ADDR, 'EPTP'), notes };
}

/** Options of {@link encodeX86Eptp}. */
export interface X86EptpEncodeOptions {
  /** Memory type the CPU uses to read the EPT paging structures: 'WB' (default) or 'UC'. */
  readonly memoryType?: 'WB' | 'UC';
  /** Set bit 6: the CPU writes the accessed and dirty flags of the entries (default false). */
  readonly accessDirty?: boolean;
}

/**
 * The EPTP value that makes the CPU walk an EPT table: its root in bits 51:12, the page-walk length minus 1 in bits
 * 5:3 (3 for X86EptPageTable, 4 for X86Ept5PageTable), the paging structures' memory type in bits 2:0 and, with
 * `accessDirty`, bit 6. `decodeX86Eptp` of the result gives the same format and root back.
 * @throws TypeError when `table` is not an X86EptPageTable or X86Ept5PageTable; RangeError for a memory type other
 *   than 'WB' and 'UC'; PagingError 'Destroyed' for a destroyed table.
 * @example
 * const ept = new X86EptPageTable(new PhysicalMemory({ size: 1 << 20, base: 0x10_0000n }));
 * encodeX86Eptp(ept) === (ept.rootPaddr | 0x1en); // true: WB, page-walk length 4
 */
export function encodeX86Eptp(table: X86EptPageTable | X86Ept5PageTable, options: X86EptpEncodeOptions = {}): bigint {
  const fn = 'encodeX86Eptp';
  const five = table instanceof X86Ept5PageTable;
  if (!five && !(table instanceof X86EptPageTable)) throw new TypeError(`${fn}: "table" must be an X86EptPageTable or X86Ept5PageTable`);
  const memoryType = options.memoryType ?? 'WB';
  if (memoryType !== 'WB' && memoryType !== 'UC') throw new RangeError(`${fn}: "memoryType" ${String(memoryType)} is not 'WB' or 'UC'`);
  const root = loadableRoot(table, fn);
  const type = BigInt(memoryType === 'WB' ? EPTP_MT_WB : EPTP_MT_UC);
  return root | ((five ? 4n : 3n) << 3n) | (options.accessDirty === true ? 0x40n : 0n) | type;
}
