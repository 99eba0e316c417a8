// A format's geometry as typed arrays, made once per metadata object and shared, read-only, by every table of that
// format. Everything the engine knows about sizes comes from here (and so from the metadata): nothing assumes a
// 4 KiB granule, 512 entries or a table the size of a frame.
import { FRAME_BYTES, type PagingMetaData, type PTELayout } from '../interfaces';

export { FRAME_BYTES };
import type { Walks } from '../fast/walker';

/** u32 words in a frame. */
export const FRAME_WORDS: number = FRAME_BYTES >>> 2;

/** The geometry of one format, per level (root first). */
export interface Geometry {
  /** VA bit where each level's index starts. */
  readonly shift: Int32Array;
  /** Index width of each level (the table of level l has 2^bits[l] entries). */
  readonly bits: Int32Array;
  /** u32 words of a table at each level (its bytes / 4: a table may be larger than its entries, never smaller). */
  readonly tableWords: Int32Array;
  /** 1 where map may write a leaf. */
  readonly leafOk: Uint8Array;
  /** log2 of the entries of a run at each level (0: none; MetaDataSpec.runBits). */
  readonly runBits: Int32Array;
  /** shift + bits: log2 of the range one table of that level covers. */
  readonly span: Int32Array;
  /** Page size (bytes) of a leaf at each level. */
  readonly levelSize: Float64Array;
  /** The format's specialised walks per entry layout (null: none for this geometry); see fast/walker.ts. */
  readonly walks: Map<PTELayout, Walks | null>;
  /** One zero per root entry: every table's borrowed flags until copyFrom writes them (never written). */
  readonly noRoots: Uint8Array;
  /** The same for the counts of tables that borrowed each root entry. */
  readonly noRefs: Int32Array;
}

const GEOMETRY = new WeakMap<PagingMetaData, Geometry>();

/** The geometry of `meta`, made on first use. */
export function geometryOf(meta: PagingMetaData): Geometry {
  let g = GEOMETRY.get(meta);
  if (g !== undefined) return g;
  const levels = meta.levels;
  const shift = new Int32Array(levels);
  const bits = new Int32Array(levels);
  const tableWords = new Int32Array(levels);
  const leafOk = new Uint8Array(levels);
  const span = new Int32Array(levels);
  let s = meta.pageShift;
  for (let l = levels - 1; l >= 0; l--) {
    shift[l] = s;
    bits[l] = meta.indexBits[l]!;
    tableWords[l] = meta.tableBytes[l]! >>> 2;
    span[l] = s + bits[l]!;
    s += meta.indexBits[l]!;
  }
  for (const l of meta.leafLevels) leafOk[l] = 1;
  const roots = 1 << bits[0]!;
  g = {
    shift,
    bits,
    tableWords,
    leafOk,
    runBits: Int32Array.from({ length: levels }, (_, l) => meta.runBits?.[l] ?? 0),
    span,
    levelSize: new Float64Array(meta.levelSize),
    walks: new Map(),
    noRoots: new Uint8Array(roots),
    noRefs: new Int32Array(roots),
  };
  GEOMETRY.set(meta, g);
  return g;
}
