// mapRegion's general path: the region in steps of the largest page each place allows, every table reached filled
// in place, all or nothing.
import { joinAddr, PAIR, splitAddr } from '../_addr';
import { addNum, diff, isAligned, mod32, OUT, POW2, TWO32 } from '../_pairs';
import type { MappingFlags } from '../flags';
import type { AddrInput } from '../interfaces';
import { paOk } from '../table/address';
import type { PaddrSource, PageTable64Cursor } from './cursor';
import { badPa, checkFlags, checkRange, fillLeaves, mapOne, notAligned, paEndOk, rollbackMap } from './map';
import { markRuns } from './runs';
import { CursorScratch } from './scratch';

/**
 * mapRegion with every check; see PageTable64Cursor.mapRegion. With `runs`, the whole aligned runs of identical pages
 * it wrote are marked as runs (cursor/runs.ts). `op` names the operation in errors (map writes a run through here).
 */
export function mapRegion(
  c: PageTable64Cursor,
  vaddr: AddrInput,
  paddr: PaddrSource,
  size: AddrInput,
  flags: MappingFlags,
  allowHuge: boolean,
  runs = false,
  op = 'mapRegion',
): void {
  const t = c.table;
  checkFlags(flags, op);
  const ps = t.meta.pageShift;
  splitAddr(size, op, 'size');
  const szLo = PAIR[0]!;
  const szHi = PAIR[1]!;
  if (!isAligned(szLo, szHi, ps)) notAligned(op, 'size', szLo, szHi, ps);
  splitAddr(vaddr, op, 'vaddr');
  const vaLo = PAIR[0]!;
  const vaHi = PAIR[1]!;
  if (!isAligned(vaLo, vaHi, ps)) notAligned(op, 'vaddr', vaLo, vaHi, ps);
  const fn = typeof paddr === 'function' ? paddr : null;
  let paLo = 0;
  let paHi = 0;
  if (fn === null) {
    // checked even for an empty region: a bad argument is an error whatever the size
    splitAddr(paddr, op, 'paddr');
    paLo = PAIR[0]!;
    paHi = PAIR[1]!;
    if (!isAligned(paLo, paHi, ps)) notAligned(op, 'paddr', paLo, paHi, ps);
  }
  if (szLo === 0 && szHi === 0) return;
  checkRange(t, vaLo, vaHi, szLo, szHi, op);
  if (fn === null) {
    // the last byte must fit the format too
    const endLo = paLo + szLo;
    const endHi = paHi + szHi + (endLo >= TWO32 ? 1 : 0);
    if (!paOk(t, paLo, paHi) || !paEndOk(t, mod32(endLo), endHi)) badPa(op, t, paLo, paHi);
  }
  const endLo0 = vaLo + szLo;
  const endLo = mod32(endLo0);
  const endHi = vaHi + szHi + (endLo0 >= TWO32 ? 1 : 0);
  const saved = c._saveBatch();
  // user code (the paddr function) runs during this call and may use other cursors: this call gets scratch arrays
  // of its own, and the table is busy meanwhile (no change to it from that code: see PageTable64._enter)
  const shared = c._k;
  if (fn !== null) {
    c._k = new CursorScratch(t._levels);
    t._setBusy(true);
  }
  const k = c._k;
  k._logCount = 0;
  k._logging = true;
  let curLo = vaLo;
  let curHi = vaHi;
  try {
    while (diff(endLo, endHi, curLo, curHi) > 0) {
      if (fn !== null) {
        splitAddr(fn(joinAddr(curLo, curHi)), op, 'paddr(vaddr)');
        paLo = PAIR[0]!;
        paHi = PAIR[1]!;
        if (!isAligned(paLo, paHi, ps)) notAligned(op, 'paddr(vaddr)', paLo, paHi, ps);
        if (!paOk(t, paLo, paHi)) badPa(op, t, paLo, paHi);
      }
      const rem = diff(endLo, endHi, curLo, curHi);
      let l = t._last;
      if (allowHuge) {
        for (let j = 0; j < t._last; j++) {
          if (t._leafOk[j] !== 1) continue;
          const s = t._shift[j]!;
          if (rem >= POW2[s]! && isAligned(curLo, curHi, s) && isAligned(paLo, paHi, s)) {
            l = j;
            break;
          }
        }
      }
      mapOne(c, curLo, curHi, paLo, paHi, l, flags, op);
      c._push(curLo, curHi);
      const s = t._shift[l]!;
      // the rest of the table the walk cache now holds is filled in place with pages of the same size
      // (a bigger page cannot start before that table's end: its virtual address would not be aligned)
      const pages = fn === null && s < 32 ? 1 + fillLeaves(c, curLo, curHi, paLo, paHi, Math.floor(rem / POW2[s]!) - 1, flags, l) : 1;
      const step = pages * POW2[s]!; // below 2^49: several pages only where s < 32
      addNum(curLo, curHi, step);
      curLo = OUT[0]!;
      curHi = OUT[1]!;
      if (fn === null) {
        addNum(paLo, paHi, step);
        paLo = OUT[0]!;
        paHi = OUT[1]!;
      }
    }
    if (runs) markRuns(c, vaLo, vaHi, endLo, endHi);
  } catch (err) {
    if (k._filled >= 0) {
      // fillLeaves failed: the page at cur and the `filled` pages after it were written, and are undone too
      addNum(curLo, curHi, (k._filled + 1) * POW2[k._fillShift]!);
      k._filled = -1;
      curLo = OUT[0]!;
      curHi = OUT[1]!;
    }
    rollbackMap(c, vaLo, vaHi, curLo, curHi);
    c._restoreBatch(saved);
    throw err;
  } finally {
    k._logging = false;
    k._logCount = 0;
    c._k = shared;
    if (fn !== null) t._setBusy(false);
  }
}
