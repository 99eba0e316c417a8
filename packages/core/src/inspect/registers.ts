// What a register decoder hands back: which table format to read, where its roots are, and which virtual
// addresses each root translates. The decoders themselves live in the architecture packages
// (decodeX64Registers, decodeA64Registers, decodeRiscvSatp, decodeLA64Registers, ...).
import { toBigAddr } from '../_addr';
import type { DumpFormat, DumpRoot } from './format';
import type { AddrInput, PageTableOptions, PagingHandler } from '../interfaces';
import type { PageTable64 } from '../table/page-table';

/** Why registers could not be turned into an attach plan. */
export type RegisterErrorCode =
  /** A mode or configuration the library has no table type for (x86 32-bit paging, a 16 KiB granule). */
  | 'Unsupported'
  /** A value the architecture reserves or forbids (a reserved satp MODE, RES0 bits in a base register). */
  | 'Invalid'
  /** A register the configuration needs was not given. */
  | 'Missing';

/** A register value that does not describe a table the library can read; `register` names it. */
export class RegisterError extends Error {
  /** Which failure this is. */
  readonly code: RegisterErrorCode;
  /** The register (and field) at fault: `'TCR_EL1.TG0'`, `'satp.MODE'`. */
  readonly register: string;

  /**
   * @param code the failure kind.
   * @param register the register and field at fault.
   * @param message what was expected and what came.
   */
  constructor(code: RegisterErrorCode, register: string, message: string) {
    super(message);
    this.name = 'RegisterError';
    this.code = code;
    this.register = register;
  }
}

/** A table format a decoder chose, with the table type that attaches to one of its roots. */
export interface TableFormat extends DumpFormat {
  /** Human name: `'x86_64 4-level'`, `'AArch64 EL1&0, 4 KiB granule'`. */
  readonly name: string;
  /** Attaches the format's table type (`X64PageTable`, ...) to a root, read-only unless `options.writable`. */
  attach(handler: PagingHandler, root: AddrInput, options?: PageTableOptions): PageTable64;
}

/** What register values mean for a dump: the format, the roots and the ranges they translate. */
export interface AttachPlan {
  /** Architecture name: `'x86_64'`, `'aarch64'`, `'riscv64'`, `'loongarch64'`, `'arm'`. */
  readonly arch: string;
  /** The table format to read (and the table type that attaches to it). */
  readonly format: TableFormat;
  /** The roots in address order (lower ranges first). */
  readonly roots: readonly DumpRoot[];
  /** What the decoder noticed and assumed, one line each: `'CR4.PCIDE = 1: PCID 0x5'`. */
  readonly notes: readonly string[];
}

/**
 * Bits [hi:lo] of a register value (hi - lo < 32), for decoders.
 * @example field(0x8000_0000_0008_0400n, 63, 60) // 8
 */
export function field(value: bigint, hi: number, lo: number): number {
  return Number((value >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n));
}

/**
 * A register value as a u64 bigint.
 * @throws TypeError / PagingError 'InvalidAddress' for a value that is not a bigint in [0, 2^64) or a safe integer.
 */
export function registerValue(value: AddrInput, name: string): bigint {
  return toBigAddr(value, 'decode', name);
}
