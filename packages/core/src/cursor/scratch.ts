// Per-operation working memory of the cursors: typed arrays an operation fills while it runs (the tables a map
// creates, the tables a region logs for its rollback, the tables reserved for splits) and the state of a region
// being mapped. One per level count, shared by every cursor: operations use it only while they run and do not
// nest (the one operation that runs user code meanwhile, mapRegion with a paddr function, takes its own).

/** Arrays and state an operation uses while it runs. */
export class CursorScratch {
  /**
   * Tables created by the current region operation, for its rollback, four numbers each: the index of the entry
   * that links it, its level, its address (lo, hi); `_logCount` of them.
   */
  _logs: Float64Array = new Float64Array(64);
  _logCount = 0;
  /** Whether the current operation logs the tables it creates (mapRegion does, for its rollback). */
  _logging = false;
  /** Pages fillLeaves wrote before a codec call threw (-1 when no fill failed), and their log2 size. */
  _filled = -1;
  _fillShift = 0;
  /** The tables map creates, per level: word index and address. */
  readonly _newIdx: Int32Array;
  readonly _newLo: Float64Array;
  readonly _newHi: Float64Array;
  /** Tables needed per level to split the huge pages a range operation cuts (counted by its check pass). */
  readonly _splitNeed: Int32Array;
  /** Tables reserved for splits, four numbers each: word index, level (-1 once used), address; `_poolCount` of them. */
  _pools: Float64Array = new Float64Array(32);
  _poolCount = 0;

  constructor(levels: number) {
    this._newIdx = new Int32Array(levels);
    this._newLo = new Float64Array(levels);
    this._newHi = new Float64Array(levels);
    this._splitNeed = new Int32Array(levels);
  }

  /** Records a table the current region operation created below entry `parent`. */
  _log(parent: number, level: number, lo: number, hi: number): void {
    this._logs = put(this._logs, this._logCount++, parent, level, lo, hi);
  }

  /** Adds a reserved split table to the pool. */
  _pool(idx: number, level: number, lo: number, hi: number): void {
    this._pools = put(this._pools, this._poolCount++, idx, level, lo, hi);
  }
}

/** Writes record n (four numbers) into `a`, grown (doubled) when full; returns the array. */
function put(a: Float64Array, n: number, x: number, y: number, z: number, w: number): Float64Array {
  let b = a;
  if (4 * n + 4 > b.length) {
    b = new Float64Array(b.length * 2);
    b.set(a);
  }
  b[4 * n] = x;
  b[4 * n + 1] = y;
  b[4 * n + 2] = z;
  b[4 * n + 3] = w;
  return b;
}

const SCRATCH: (CursorScratch | undefined)[] = [];

/** The scratch shared by the cursors of tables with `levels` levels. */
export function scratchFor(levels: number): CursorScratch {
  let k = SCRATCH[levels];
  if (k === undefined) {
    k = new CursorScratch(levels);
    SCRATCH[levels] = k;
  }
  return k;
}
