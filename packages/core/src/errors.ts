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
  | 'ReadOnly'
  /**
   * The table is in the middle of an operation that runs user code (a `mapRegion` paddr callback): until it
   * returns, that code may read the table but not change it, destroy it, or lend it to copyFrom.
   */
  | 'Busy';

/**
 * A domain failure of a page-table operation; `code` says which. An operation that throws it leaves the
 * table memory and the frame count as they were. Type mistakes are `TypeError`s instead, and misuse of
 * {@link PhysicalMemory} (a range outside the memory) is a `RangeError`.
 *
 * @example
 * try {
 *   table.query(0x1000n);
 * } catch (err) {
 *   if (err instanceof PagingError && err.code === 'NotMapped') console.log('hole at 0x1000');
 *   else throw err;
 * }
 */
export class PagingError extends Error {
  /** Which failure this is; branch on it rather than on the message, whose wording may change. */
  readonly code: PagingErrorCode;

  /**
   * @param code the failure kind.
   * @param message what was expected and what came, prefixed with the operation: `map: "vaddr" 0x1001 is not aligned to 4K`.
   */
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
