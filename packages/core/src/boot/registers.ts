// What a register encoder shares with every architecture: the root of a live table, the checks of the small
// identifiers that go beside it (PCID, ASID, VMID), and the register values written out for a build: JSON, a C
// header, or an assembly include. The encoders themselves live in the architecture packages
// (encodeX64Registers, encodeA64Registers, encodeRiscvSatp, encodeLA64Registers, encodeA32Registers,
// encodeA32LpaeRegisters).
import { PagingError } from '../errors';
import type { PageTable64 } from '../table/page-table';

/**
 * The physical address of a table's root, for a register that points at it.
 * @param fn the calling function, for the message.
 * @throws PagingError 'Destroyed' when the table was destroyed (its frames may already hold something else).
 */
export function loadableRoot(table: PageTable64, fn: string): bigint {
  if (table.destroyed) throw new PagingError('Destroyed', `${fn}: the ${table.meta.name} table was destroyed`);
  return table.rootPaddr;
}

/**
 * An identifier that goes into a register field of `bits` bits (a PCID, an ASID, a VMID), as a bigint.
 * @param fn the calling function and `name` the option, for the message.
 * @throws TypeError when `value` is not an integer number; RangeError when it is outside [0, 2^bits).
 */
export function registerField(value: number, bits: number, fn: string, name: string): bigint {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${fn}: "${name}" must be an integer, got ${typeof value === 'number' ? value : typeof value}`);
  }
  if (value < 0 || value >= 2 ** bits) {
    throw new RangeError(`${fn}: "${name}" ${value} does not fit in ${bits} bits (0..${2 ** bits - 1})`);
  }
  return BigInt(value);
}

/** How {@link formatRegisters} writes the values. */
export type RegisterFileStyle = 'json' | 'c' | 'asm';

/** Options of {@link formatRegisters}. */
export interface RegisterFileOptions {
  /** Prefix of every name in the C header and the assembly include (default `'PT_'`). */
  readonly prefix?: string;
  /** A line that says what the values are for, written as the file's first comment (default none). */
  readonly title?: string;
}

/**
 * Register values (and any other numbers a loader needs, such as an image's base) written out for a build:
 * - `'json'`: one object, each value a `"0x..."` string (JSON numbers lose bits above 2^53);
 * - `'c'`: a header of `#define PT_NAME 0x...ULL` lines inside an include guard;
 * - `'asm'`: an include of `.set PT_NAME, 0x...` lines (GNU as, any architecture).
 *
 * Names are upper-cased in the header and the include (`cr3` becomes `PT_CR3`); values are written in hex.
 * @throws TypeError when a value is not a bigint, or a name is not an identifier (letters, digits, `_`);
 *   RangeError when a value is outside [0, 2^64).
 * @example
 * formatRegisters({ satp: 0x8000_0000_0008_0201n }, 'c');
 * // "#ifndef PT_REGISTERS_H\n#define PT_REGISTERS_H\n#define PT_SATP 0x8000000000080201ULL\n#endif\n"
 */
export function formatRegisters(
  values: Readonly<Record<string, bigint>>,
  style: RegisterFileStyle,
  options: RegisterFileOptions = {},
): string {
  const prefix = options.prefix ?? 'PT_';
  if (!/^[A-Za-z_]\w*$|^$/.test(prefix)) throw new TypeError(`formatRegisters: "prefix" ${JSON.stringify(prefix)} is not an identifier`);
  const entries = Object.entries(values);
  for (const [name, value] of entries) {
    if (!/^[A-Za-z_]\w*$/.test(name)) throw new TypeError(`formatRegisters: name ${JSON.stringify(name)} is not an identifier`);
    if (typeof value !== 'bigint') throw new TypeError(`formatRegisters: ${name} must be a bigint, got ${typeof value}`);
    if (value < 0n || value > 0xffff_ffff_ffff_ffffn) throw new RangeError(`formatRegisters: ${name} 0x${value.toString(16)} is not a u64`);
  }
  const hexOf = (v: bigint): string => `0x${v.toString(16)}`;
  const title = options.title?.replace(/\*\//g, '* /').replace(/\n/g, ' ');
  if (style === 'json') {
    const object = Object.fromEntries(entries.map(([n, v]) => [n, hexOf(v)]));
    return `${JSON.stringify(object, null, 2)}\n`;
  }
  const upper = (n: string): string => `${prefix}${n.toUpperCase()}`;
  if (style === 'c') {
    const guard = `${prefix}REGISTERS_H`;
    const lines = [`#ifndef ${guard}`, `#define ${guard}`, ...entries.map(([n, v]) => `#define ${upper(n)} ${hexOf(v)}ULL`), '#endif'];
    if (title !== undefined) lines.unshift(`/* ${title} */`);
    return `${lines.join('\n')}\n`;
  }
  if (style === 'asm') {
    const lines = entries.map(([n, v]) => `.set ${upper(n)}, ${hexOf(v)}`);
    if (title !== undefined) lines.unshift(`/* ${title} */`);
    return `${lines.join('\n')}\n`;
  }
  throw new TypeError(`formatRegisters: "style" must be 'json', 'c' or 'asm', got ${String(style)}`);
}
