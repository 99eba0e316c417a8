/**
 * The failure kinds of page-table operations. The first five are the Rust crate's `PagingError`;
 * the rest name failures the crate does not detect.
 */
export type PagingErrorCode =
  /** The frame allocator could not supply a table frame. */
  | 'NoMemory'
  /** An address or size is not aligned to the page size it is used with. */
  | 'NotAligned'
  /** No present mapping covers the address. */
  | 'NotMapped'
  /** The slot the mapping needs is already in use. */
  | 'AlreadyMapped'
  /** A huge page covers the address where a smaller page or a table is needed. */
  | 'MappedToHugePage'
  /** A virtual address outside the table's address space (non-canonical), a physical address beyond
   *  the format's width, or a number that is negative or not an integer. */
  | 'InvalidAddress'
  /** Mapping flags that the operation cannot encode (empty: the entry would be non-present). */
  | 'InvalidFlags'
  /** A page size the table's format cannot map at any level. */
  | 'UnsupportedPageSize'
  /** The table (or the cursor's table) was destroyed. */
  | 'Destroyed'
  /** A table entry points outside the memory the handler gives access to. */
  | 'CorruptTable'
  /** The operation would write below a root entry that copyFrom shares with another table. */
  | 'SharedTable'
  /** The table was attached read-only. */
  | 'ReadOnly';

/** A domain failure of a page-table operation; `code` says which. */
export class PagingError extends Error {
  readonly code: PagingErrorCode;

  constructor(code: PagingErrorCode, message: string) {
    super(message);
    this.name = 'PagingError';
    this.code = code;
  }
}

/** Formats a 64-bit address for error messages and listings: `0xffff800000000000`. */
export function hex(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}
