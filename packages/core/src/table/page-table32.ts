import type { GenericPTE, PageTableOptions, PagingHandler, PagingMetaData } from '../interfaces';
import { PageTable64Cursor } from '../cursor/cursor';
import { PageTable64 } from './page-table';

/**
 * A page table whose entries are 32-bit words (ARMv7 short descriptors). It is the same engine as
 * {@link PageTable64} with one word per entry; tables smaller than a frame (1 KiB ARMv7 L2 tables)
 * are packed several to a frame, and a frame is returned when its last table is freed.
 * @throws RangeError when the metadata does not describe 4-byte entries.
 */
export class PageTable32 extends PageTable64 {
  constructor(meta: PagingMetaData, pte: GenericPTE, handler?: PagingHandler, options?: PageTableOptions) {
    if (meta.entryBytes !== 4) throw new RangeError(`PageTable32: ${meta.name} has ${meta.entryBytes}-byte entries, not 4`);
    super(meta, pte, handler, options);
  }
}

/** The cursor of a {@link PageTable32} (the same class as PageTable64's). */
export const PageTable32Cursor: typeof PageTable64Cursor = PageTable64Cursor;
/** The cursor of a {@link PageTable32}. */
export type PageTable32Cursor = PageTable64Cursor;
