// The range operations (unmapRegion, protectRegion, compact): a visitor over the tables that intersect a range, in
// two passes (a check that changes nothing and counts the tables that splitting huge pages needs, then the change).
// It keeps its own recursive scan, not the shared descent (table/descent.ts): it is the measured per-page path of
// W4c unmapRegion and W5 protectRegion, and skips unused entries four at a time.
import { joinAddr, PAIR, splitAddr } from '../_addr';
import { addPow2, carry32, diff, isAligned, LOW_MASK_HI, LOW_MASK_LO, mod32, OUT, POW2, TWO32 } from '../_pairs';
import { hex, PagingError } from '../errors';
import { formatPageSize } from '../flags';
import type { AddrInput } from '../interfaces';
import { forget } from '../fast/walk-cache';
import { CORRUPT, child, corruptError, find, FOUND, lookupError, rootIndex, runMember } from '../table/find';
import { entryVa, index } from '../table/address';
import { allocTable, freeTable, queueFree } from '../table/frames';
import type { PageTable64 } from '../table/page-table';
import type { PageTable64Cursor } from './cursor';
import { checkRange, notAligned } from './map';
import { breakRun } from './runs';

// What the visitor does.
const CHECK = 0;
const UNMAP = 1;
const PROTECT = 2;
const COMPACT = 3;

/**
 * The state of the range operation running: one per level count, shared by every cursor like the scratch arrays
 * (range operations run no user code, so they never nest), and pointed at the cursor of each operation.
 */
export class RangeVisitor {
  private _c!: PageTable64Cursor;
  private _t!: PageTable64;
  /** The range in index space: first byte, end (exclusive), last byte. */
  private _rsLo = 0;
  private _rsHi = 0;
  private _reLo = 0;
  private _reHi = 0;
  private _rlLo = 0;
  private _rlHi = 0;
  private _flags = 0;
  /** Bytes changed, tables unlinked. */
  private _bytes = 0;
  private _freed = 0;
  /** High-word bits above vaMaxBits of the range's addresses (an upper half), put back on invalidations. */
  private _topHi = 0;
  /** The same for low-word bits, when the table indexes fewer than 32 bits (a window: MetaDataSpec.window). */
  private _topLo = 0;

  /** The visitor for the operation of cursor c. */
  static _for(c: PageTable64Cursor): RangeVisitor {
    let v = VISITORS[c.table._levels];
    if (v === undefined) {
      v = new RangeVisitor();
      VISITORS[c.table._levels] = v;
    }
    v._c = c;
    v._t = c.table;
    return v;
  }

  /** unmapRegion (`unmap`) or protectRegion with `flags`; see the cursor's methods. */
  _run(vaddr: AddrInput, size: AddrInput, unmap: boolean, flags: number, op: string): bigint {
    const t = this._t;
    const k = this._c._k;
    const ps = t.meta.pageShift;
    splitAddr(size, op, 'size');
    const szLo = PAIR[0]!;
    const szHi = PAIR[1]!;
    if (!isAligned(szLo, szHi, ps)) notAligned(op, 'size', szLo, szHi, ps);
    splitAddr(vaddr, op, 'vaddr');
    const vaLo = PAIR[0]!;
    const vaHi = PAIR[1]!;
    if (!isAligned(vaLo, vaHi, ps)) notAligned(op, 'vaddr', vaLo, vaHi, ps);
    if (szLo === 0 && szHi === 0) return 0n;
    checkRange(t, vaLo, vaHi, szLo, szHi, op);
    // The table indexes the low vaMaxBits bits: visit the range in that form (an upper-half range becomes the top
    // of the index space; checkRange made sure it does not cross into the other half).
    const mask = t._vaMaskHi;
    const bits = t.meta.vaMaxBits;
    const maskLo = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
    this._topHi = (vaHi & ~mask) >>> 0;
    this._topLo = (vaLo & ~maskLo) >>> 0;
    this._rsLo = (vaLo & maskLo) >>> 0;
    this._rsHi = vaHi & mask;
    const endLo0 = this._rsLo + szLo;
    this._reLo = mod32(endLo0);
    this._reHi = this._rsHi + szHi + (endLo0 >= TWO32 ? 1 : 0);
    const lastLo0 = this._rsLo + szLo - 1;
    this._rlLo = mod32(lastLo0);
    this._rlHi = this._rsHi + szHi + carry32(lastLo0);
    this._flags = flags;
    // Pass 1 changes nothing: it throws for what cannot be done and counts the tables that splitting partly
    // covered huge pages needs. They are all allocated before pass 2 writes anything.
    // a loop, not fill(): a call into the runtime for at most five slots was 7% of an unmapRegion of a few huge pages
    for (let l = 0; l < t._levels; l++) k._splitNeed[l] = 0;
    if (t._fullCheck) this._visit(rootIndex(t), 0, 0, 0, CHECK, op);
    else this._checkBoundaries(op);
    this._reserveSplitTables(op);
    this._bytes = 0;
    this._visit(rootIndex(t), 0, 0, 0, unmap ? UNMAP : PROTECT, op);
    this._releaseSplitTables();
    // through the 64-bit slot, not BigInt(), a call into the runtime (about 15 ns of an unmapRegion of a few huge
    // pages); the count is an integer below 2^64, whose two words mod32 and carry32 give exactly
    return joinAddr(mod32(this._bytes), carry32(this._bytes));
  }

  /** compact(): unlinks every intermediate table that holds nothing; returns how many. */
  _compact(): number {
    const t = this._t;
    this._rsLo = 0;
    this._rsHi = 0;
    const bits = t.meta.vaMaxBits;
    this._reLo = bits >= 32 ? 0 : 2 ** bits;
    this._reHi = bits >= 32 ? 2 ** (bits - 32) : 0;
    this._rlLo = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
    this._rlHi = t._vaMaskHi;
    this._freed = 0;
    this._topHi = 0;
    this._topLo = 0;
    this._visit(rootIndex(t), 0, 0, 0, COMPACT, 'compact');
    return this._freed;
  }

  /**
   * Pass 1 for a table this library built: only a huge page that a boundary of the range cuts needs work before
   * the range can be changed (a split), and only a shared root entry forbids it; everything else inside the range
   * can be changed as it is. (Attached tables, and formats with leaves stored as repeated entries, get the full
   * check pass instead.)
   */
  private _checkBoundaries(op: string): void {
    const t = this._t;
    if (t._anyBorrowed) {
      const last = index(t, this._rlLo, this._rlHi, 0);
      for (let i = index(t, this._rsLo, this._rsHi, 0); i <= last; i++) {
        if (t._borrowed[i] === 1) throw new PagingError('SharedTable', `${op}: the range reaches a root entry shared by copyFrom (index ${i}); it is read-only here`);
      }
    }
    // a range whose ends are aligned to the largest page the format maps cuts no page: nothing to look up (two
    // lookups were 15% of an unmapRegion of a few huge pages, W4a)
    let big = 0;
    while (big < t._last && t._leafOk[big] !== 1) big++;
    if (isAligned(this._rsLo, this._rsHi, t._shift[big]!) && isAligned(this._reLo, this._reHi, t._shift[big]!)) return;
    let prevLo = -1;
    let prevHi = -1;
    for (let j = 0; j < 2; j++) {
      const bLo = j === 0 ? this._rsLo : this._rlLo;
      const bHi = j === 0 ? this._rsHi : this._rlHi;
      // looked up by its full address (the upper half's top bits put back): the walk cache keeps the address a
      // lookup was given, and a cache keyed by the bare index bits would accept their non-canonical alias
      const r = find(t, (bLo | this._topLo) >>> 0, (bHi | this._topHi) >>> 0);
      if (r === CORRUPT) lookupError(t, r, op, (bLo | this._topLo) >>> 0, (bHi | this._topHi) >>> 0);
      if (r !== FOUND || t._eLvl === t._last) continue;
      const l = t._eLvl;
      // the huge page holding the boundary byte: cut unless the range starts at its start / ends at its end
      const s = t._shift[l]!;
      const pLo = (bLo & ~LOW_MASK_LO[s]!) >>> 0;
      const pHi = (bHi & ~LOW_MASK_HI[s]!) >>> 0;
      addPow2(pLo, pHi, s);
      const cut = j === 0 ? !isAligned(bLo, bHi, s) : diff(OUT[0]!, OUT[1]!, this._reLo, this._reHi) !== 0;
      if (!cut || (pLo === prevLo && pHi === prevHi)) continue;
      prevLo = pLo;
      prevHi = pHi;
      this._countSplit(pLo, pHi, l);
    }
  }

  /** Allocates the tables pass 1 counted, or frees what it got and throws NoMemory. */
  private _reserveSplitTables(op: string): void {
    const t = this._t;
    const k = this._c._k;
    k._poolCount = 0;
    for (let l = 0; l < t._levels; l++) {
      for (let j = 0; j < k._splitNeed[l]!; j++) {
        let idx = -1;
        try {
          idx = allocTable(t, l, op);
        } catch (err) {
          this._releaseSplitTables();
          throw err;
        }
        if (idx < 0) {
          this._releaseSplitTables();
          throw new PagingError('NoMemory', `${op}: no frame for a level-${l} ${t.meta.name} table to split a huge page`);
        }
        k._pool(idx, l, t._newLo, t._newHi);
      }
    }
  }

  /** Returns unused reserved tables to the handler. */
  private _releaseSplitTables(): void {
    const k = this._c._k;
    const p = k._pools;
    for (let j = 0; j < 4 * k._poolCount; j += 4) if (p[j + 1]! >= 0) freeTable(this._t, p[j + 2]!, p[j + 3]!, p[j + 1]!);
    k._poolCount = 0;
  }

  /** Takes a reserved table of level l from the pool; its address is left in OUT. */
  private _takeSplitTable(l: number): number {
    const k = this._c._k;
    const p = k._pools;
    for (let j = 0; j < 4 * k._poolCount; j += 4) {
      if (p[j + 1] !== l) continue;
      p[j + 1] = -1;
      OUT[0] = p[j + 2]!;
      OUT[1] = p[j + 3]!;
      return p[j]!;
    }
    throw new Error('internal: no reserved table for a split'); // pass 1 counted every split
  }

  /**
   * Pass 1 for a huge page at (vLo, vHi), level l, that the range only partly covers: one table of level l + 1,
   * and the same again for each of its pieces that a boundary of the range cuts.
   */
  private _countSplit(vLo: number, vHi: number, l: number): void {
    const t = this._t;
    const k = this._c._k;
    const cl = l + 1;
    k._splitNeed[cl] = k._splitNeed[cl]! + 1;
    if (cl === t._last) return;
    const cs = t._shift[cl]!;
    addPow2(vLo, vHi, t._shift[l]!);
    const endLo = OUT[0]!;
    const endHi = OUT[1]!;
    let firstPieceLo = -1;
    let firstPieceHi = -1;
    for (let j = 0; j < 2; j++) {
      const bLo = j === 0 ? this._rsLo : this._reLo;
      const bHi = j === 0 ? this._rsHi : this._reHi;
      // a boundary strictly inside the page that is not aligned to the pieces cuts one piece
      if (diff(bLo, bHi, vLo, vHi) <= 0 || diff(endLo, endHi, bLo, bHi) <= 0 || isAligned(bLo, bHi, cs)) continue;
      const pLo = (bLo & ~LOW_MASK_LO[cs]!) >>> 0;
      const pHi = (bHi & ~LOW_MASK_HI[cs]!) >>> 0;
      if (pLo === firstPieceLo && pHi === firstPieceHi) continue;
      firstPieceLo = pLo;
      firstPieceHi = pHi;
      this._countSplit(pLo, pHi, cl);
    }
  }

  /**
   * Replaces the huge page (lo, hi) of level l at entry e, first address (vLo, vHi), by a table of pieces of the
   * next level with the same physical range and flags. The table is filled before the entry is switched to it
   * (break-before-make order), and the old page's address is queued for invalidation. Returns the new table.
   */
  private _splitHuge(e: number, lo: number, hi: number, l: number, vLo: number, vHi: number): number {
    const t = this._t;
    const codec = t._w;
    const w = t.handler.words;
    const ew = t._ew;
    const cl = l + 1;
    const tbl = this._takeSplitTable(cl);
    const tLo = OUT[0]!;
    const tHi = OUT[1]!;
    const flags = codec.flags(lo, hi, l);
    const huge = cl !== t._last;
    const cs = t._shift[cl]!;
    let pLo = codec.paddrLo(lo, hi, l);
    let pHi = codec.paddrHi(lo, hi, l);
    const n = 1 << t._bits[cl]!;
    for (let i = 0; i < n; i++) {
      const ce = tbl + i * ew;
      w[ce] = codec.newPageLo(pLo, pHi, flags, huge, cl);
      if (ew === 2) w[ce + 1] = codec.newPageHi(pLo, pHi, flags, huge, cl);
      addPow2(pLo, pHi, cs);
      pLo = OUT[0]!;
      pHi = OUT[1]!;
    }
    w[e] = codec.newTableLo(tLo, tHi, l);
    if (ew === 2) w[e + 1] = codec.newTableHi(tLo, tHi, l);
    this._c._push((vLo | this._topLo) >>> 0, (vHi | this._topHi) >>> 0);
    return tbl;
  }

  /**
   * Visits the entries of the level-l table at word index tbl, whose first virtual address is (baseLo, baseHi),
   * that intersect the range. CHECK throws on anything the real pass could not complete and counts split tables;
   * UNMAP and PROTECT change what lies inside the range, splitting huge pages it only partly covers; UNMAP and
   * COMPACT unlink intermediate tables left empty. Returns true when the table is known to hold nothing afterwards
   * (false: unknown, the caller looks).
   */
  private _visit(tbl: number, l: number, baseLo: number, baseHi: number, mode: number, op: string): boolean {
    const t = this._t;
    const codec = t._w;
    const ew = t._ew;
    const w = t.handler.words;
    const s = t._shift[l]!;
    const n = 1 << t._bits[l]!;
    const first = diff(this._rsLo, this._rsHi, baseLo, baseHi) > 0 ? index(t, this._rsLo, this._rsHi, l) : 0;
    // the last index is that of the range's last byte when it ends inside this table
    addPow2(baseLo, baseHi, s + t._bits[l]!);
    const lastIdx = diff(OUT[0]!, OUT[1]!, this._rlLo, this._rlHi) > 0 ? index(t, this._rlLo, this._rlHi, l) : n - 1;
    // unmapping the pages of a last-level table where the range cuts no run: the per-page loop of its own
    const runMask = (1 << t._runBits[l]!) - 1;
    if (mode === UNMAP && l === t._last && l > 0 && (first & runMask) === 0 && ((lastIdx + 1) & runMask) === 0) {
      return this._unmapLeaves(tbl, l, first, lastIdx, baseLo, baseHi) && first === 0 && lastIdx === n - 1;
    }
    // checking a last-level table: its pages are the smallest, each wholly inside the range; the loop of its own
    if (mode === CHECK && l === t._last && l > 0) return this._checkLeaves(tbl, l, first, lastIdx, baseLo, baseHi, op);
    const huge = l !== t._last;
    // Unmapping: the runs (single entries where the format has none) between the ones that hold the range's first and
    // last entries lie wholly inside it (the range may cut a huge page at either end), so their leaves are cleared
    // here with none of the tests a leaf at the ends needs (runs, splits), their addresses made only for the
    // invalidations the batch still records, their bytes counted once. W4b's unmapRegion (4 GiB of 2 MiB pages),
    // builds side by side: 23-25 -> 15-17 ns per page on x86_64 and Sv39. (A shared root entry is skipped above.)
    const fastFrom = (first + 1 + runMask) & ~runMask;
    const fastTo = mode === UNMAP ? (lastIdx & ~runMask) - 1 : -1;
    let cleared = 0;
    const f = ew === 2 ? f64(t, w, l) : null;
    for (let i = first; i <= lastIdx; i++) {
      let e = tbl + i * ew;
      // skip unused entries in a tight loop: sparse tables are mostly zero. Only an unused entry starts a skip: in a
      // full table (W4b's 2 MiB pages) the test of four at every entry was a tenth of an unmapRegion's time
      if (f !== null) {
        // four entries at a time as doubles: only +0 and -0 have absolute values that sum to 0, and an entry that
        // reads as either has a zero low word, which the formats given a view (f64) never mark present
        let h = e >>> 1;
        if (f[h] === 0) {
          while (i + 4 <= lastIdx && Math.abs(f[h]!) + Math.abs(f[h + 1]!) + Math.abs(f[h + 2]!) + Math.abs(f[h + 3]!) === 0) {
            i += 4;
            h += 4;
          }
          e = h * 2;
        }
      } else if (ew === 2 && (w[e]! | w[e + 1]!) === 0) {
        // four entries at a time while four remain before lastIdx, then one at a time
        while (i + 4 <= lastIdx && (w[e]! | w[e + 1]! | w[e + 2]! | w[e + 3]! | w[e + 4]! | w[e + 5]! | w[e + 6]! | w[e + 7]!) === 0) {
          i += 4;
          e += 8;
        }
      }
      if (ew === 2) {
        while (i < lastIdx && (w[e]! | w[e + 1]!) === 0) {
          i++;
          e += 2;
        }
      }
      let lo = w[e]!;
      let hi = ew === 2 ? w[e + 1]! : 0;
      if (l === 0 && t._borrowed[i] === 1) {
        // a root entry shared with another table by copyFrom: that table owns what is below it
        if (mode === CHECK) throw new PagingError('SharedTable', `${op}: the range reaches a root entry shared by copyFrom (index ${i}); it is read-only here`);
        continue;
      }
      if ((lo === 0 && hi === 0) || !codec.isPresent(lo, hi, l)) continue;
      const leaf = l === t._last || codec.isHuge(lo, hi, l);
      if (leaf && i >= fastFrom && i <= fastTo) {
        w[e] = 0;
        if (ew === 2) w[e + 1] = 0;
        if (!this._c._full) {
          entryVa(t, baseLo, baseHi, l, i);
          this._c._push((OUT[0]! | this._topLo) >>> 0, (OUT[1]! | this._topHi) >>> 0);
        }
        cleared++;
        continue;
      }
      entryVa(t, baseLo, baseHi, l, i);
      const vLo = OUT[0]!;
      const vHi = OUT[1]!;
      if (leaf) {
        if (mode === COMPACT) continue;
        // a leaf the codec stores as repeated entries cannot change; a run is broken first where the range cuts it
        const ls = mode === CHECK ? codec.leafShift(lo, hi, l) : -1;
        if (ls >= 0 && ls !== s) this._repeated(op, ls, vLo, vHi);
        let member = mode !== CHECK && runMember(t, lo, hi, l);
        if (member && !this._runInside(vLo, vHi, l)) {
          breakRun(this._c, e, l, (vLo | this._topLo) >>> 0, (vHi | this._topHi) >>> 0);
          member = false;
          lo = w[e]!;
          hi = ew === 2 ? w[e + 1]! : 0;
        }
        // an entry between the first and the last the range reaches lies wholly inside it; only those two are tested
        // (W4b's unmapRegion, Sv39: 25.0 -> 23.4-24.1 ns per 2 MiB page with this change alone)
        const inside = (i > first && i < lastIdx) || (addPow2(vLo, vHi, s), diff(vLo, vHi, this._rsLo, this._rsHi) >= 0 && diff(this._reLo, this._reHi, OUT[0]!, OUT[1]!) >= 0);
        if (!inside) {
          // a huge page the range only partly covers: split it, then act on its pieces
          if (mode === CHECK) {
            this._countSplit(vLo, vHi, l);
            continue;
          }
          const tb = this._splitHuge(e, lo, hi, l, vLo, vHi);
          this._visit(tb, l + 1, vLo, vHi, mode, op);
          continue;
        }
        if (mode === UNMAP) {
          w[e] = 0;
          if (ew === 2) w[e + 1] = 0;
          this._c._push((vLo | this._topLo) >>> 0, (vHi | this._topHi) >>> 0);
        } else if (mode === PROTECT) {
          const fl = this._flags;
          let nlo = codec.setFlagsLo(lo, hi, fl, huge, l);
          let nhi = ew === 2 ? codec.setFlagsHi(lo, hi, fl, huge, l) : 0;
          if (member) {
            // a run wholly inside the range: every member gets the same flags, and stays a member
            const run = codec.run!;
            const mlo = run.markLo(nlo, nhi, l);
            nhi = run.markHi(nlo, nhi, l);
            nlo = mlo;
          }
          if ((nlo | 0) !== (lo | 0) || (nhi | 0) !== (hi | 0)) {
            w[e] = nlo;
            if (ew === 2) w[e + 1] = nhi;
            this._c._push((vLo | this._topLo) >>> 0, (vHi | this._topHi) >>> 0);
          }
        }
        this._bytes += POW2[s]!;
        continue;
      }
      const tb = child(t, lo, hi, l);
      if (tb < 0) {
        if (mode === CHECK) this._corrupt(op, l, vLo, vHi);
        continue;
      }
      const emptied = this._visit(tb, l + 1, vLo, vHi, mode, op);
      if ((mode === UNMAP || mode === COMPACT) && !(l === 0 && t._lentRefs[i]! > 0) && (emptied || tableEmpty(t, tb, l + 1))) {
        // unlink the empty table; its frame is freed at the next flush, after the invalidation
        this._unlinkTable(e, l, lo, hi, vLo, vHi);
      }
    }
    this._bytes += cleared * POW2[s]!;
    return false;
  }

  /**
   * UNMAP of entries first..lastIdx of the last-level table at word index tbl (level l, first virtual address
   * (baseLo, baseHi)): every one lies inside the range (its pages are the smallest), and no run is cut there (the
   * caller checked both ends), so each present entry is cleared as it is and its invalidation queued while the batch
   * has room. The per-page loop of W4c's unmapRegion: a load, the codec's present test and two stores per page.
   * Returns whether every entry of [first, lastIdx] is now zero (a non-present entry that is not zero stays).
   */
  private _unmapLeaves(tbl: number, l: number, first: number, lastIdx: number, baseLo: number, baseHi: number): boolean {
    const t = this._t;
    const c = this._c;
    const codec = t._w;
    const ew = t._ew;
    const w = t.handler.words;
    let cleared = 0;
    let kept = 0;
    for (let i = first, e = tbl + first * ew; i <= lastIdx; i++, e += ew) {
      const lo = w[e]!;
      const hi = ew === 2 ? w[e + 1]! : 0;
      if (lo === 0 && hi === 0) continue;
      if (!codec.isPresent(lo, hi, l)) {
        kept++;
        continue;
      }
      w[e] = 0;
      if (ew === 2) w[e + 1] = 0;
      cleared++;
      if (!c._full) {
        entryVa(t, baseLo, baseHi, l, i);
        c._push((OUT[0]! | this._topLo) >>> 0, (OUT[1]! | this._topHi) >>> 0);
      }
    }
    this._bytes += cleared * POW2[t._shift[l]!]!;
    return kept === 0;
  }

  /**
   * CHECK of entries first..lastIdx of the last-level table at word index tbl (level l, first virtual address
   * (baseLo, baseHi)): every page there is of the smallest size, wholly inside the range, and needs no split, so only
   * a leaf the codec stores as repeated entries (an ARMv7 Large page) stops the operation. The per-page loop of the
   * check pass that formats with such leaves run before a change (ARMv7's W4c unmapRegion and W5 protectRegion).
   * Returns false (the table is not changed).
   */
  private _checkLeaves(tbl: number, l: number, first: number, lastIdx: number, baseLo: number, baseHi: number, op: string): boolean {
    const t = this._t;
    const codec = t._w;
    const ew = t._ew;
    const w = t.handler.words;
    const s = t._shift[l]!;
    // the layout's test of a plain page of the level's size (table/page-table.ts: _oddLo), where the format has one
    const plain = t._plainLo;
    const oddLo = t._oddLo;
    const oddHi = t._oddHi;
    for (let i = first, e = tbl + first * ew; i <= lastIdx; i++, e += ew) {
      const lo = w[e]!;
      const hi = ew === 2 ? w[e + 1]! : 0;
      if (lo === 0 && hi === 0) {
        // 32-bit entries after an unused one four at a time while four remain (sparse tables are mostly zero: ARMv7's
        // W5 protectRegion, 1.43 -> 1.14 ms); 64-bit entries come here only in attached tables and third-party codecs
        if (ew === 1) for (; i + 4 <= lastIdx && (w[e + 1]! | w[e + 2]! | w[e + 3]! | w[e + 4]!) === 0; i += 4) e += 4;
        continue;
      }
      if ((plain !== 0 && (((lo & oddLo) ^ plain) | (hi & oddHi)) === 0) || !codec.isPresent(lo, hi, l)) continue;
      const ls = codec.leafShift(lo, hi, l);
      if (ls >= 0 && ls !== s) {
        entryVa(t, baseLo, baseHi, l, i);
        this._repeated(op, ls, OUT[0]!, OUT[1]!);
      }
    }
    return false;
  }

  /**
   * The error for the level-l table entry at (vLo, vHi) (index space) that points outside the memory, named as a
   * lookup names it: its level and its address as given (the range's top bits put back).
   */
  private _corrupt(op: string, l: number, vLo: number, vHi: number): never {
    corruptError(op, l, joinAddr((vLo | this._topLo) >>> 0, (vHi | this._topHi) >>> 0));
  }

  /**
   * The error for a leaf stored as repeated entries, a page of 2^ls bytes, that the range reaches at its entry of
   * (vLo, vHi) (index space): the message names the page's first address, wherever the range met it.
   */
  private _repeated(op: string, ls: number, vLo: number, vHi: number): never {
    const va = joinAddr(((vLo & ~LOW_MASK_LO[ls]!) | this._topLo) >>> 0, ((vHi & ~LOW_MASK_HI[ls]!) | this._topHi) >>> 0);
    throw new PagingError('UnsupportedPageSize', `${op}: the ${formatPageSize(2 ** ls)} page at ${hex(va)} is stored as repeated entries, which this table reads but does not modify`);
  }

  /** Whether the run holding the level-l page at (vLo, vHi) (index space) lies wholly inside the range. */
  private _runInside(vLo: number, vHi: number, l: number): boolean {
    const rs = this._t._shift[l]! + this._t._runBits[l]!;
    const sLo = (vLo & ~LOW_MASK_LO[rs]!) >>> 0;
    const sHi = (vHi & ~LOW_MASK_HI[rs]!) >>> 0;
    if (diff(sLo, sHi, this._rsLo, this._rsHi) < 0) return false;
    addPow2(sLo, sHi, rs);
    return diff(this._reLo, this._reHi, OUT[0]!, OUT[1]!) >= 0;
  }

  /** Clears the table entry e (level l, bits lo/hi) and queues its table for freeing at the next flush. */
  private _unlinkTable(e: number, l: number, lo: number, hi: number, vLo: number, vHi: number): void {
    const t = this._t;
    const codec = t._w;
    queueFree(t, codec.paddrLo(lo, hi, l), codec.paddrHi(lo, hi, l), l + 1);
    forget(t);
    const w = t.handler.words;
    w[e] = 0;
    if (t._ew === 2) w[e + 1] = 0;
    this._c._push((vLo | this._topLo) >>> 0, (vHi | this._topHi) >>> 0);
    this._freed++;
  }
}

const VISITORS: (RangeVisitor | undefined)[] = [];

/** Whether the level-l table at word index tbl holds no entry at all. */
function tableEmpty(t: PageTable64, tbl: number, l: number): boolean {
  const w = t.handler.words;
  const end = tbl + (1 << t._bits[l]!) * t._ew;
  let i = tbl;
  // eight words a step: after an unmapRegion of a few huge pages (W4a) the whole of a mostly empty table is read
  // (a word a step, it was 30% of that unmapRegion's time)
  for (; i + 8 <= end; i += 8) {
    if ((w[i]! | w[i + 1]! | w[i + 2]! | w[i + 3]! | w[i + 4]! | w[i + 5]! | w[i + 6]! | w[i + 7]!) !== 0) return false;
  }
  for (; i < end; i++) if (w[i] !== 0) return false;
  return true;
}

/**
 * The memory of `w` as doubles, for the range scans of level l of a layout format whose present bits are in the low
 * word, below bit 31 (an entry that reads as +0 or -0 has a zero low word: never present there), when `w` is 8-byte
 * aligned; null otherwise. A format whose table entries are present when not zero (LoongArch's directory entries,
 * PTELayout.present 0) gets it for its last level only: above it, the entry of bit 63 alone (-0) is a pointer to
 * address 0. Made once per table and memory.
 */
function f64(t: PageTable64, w: Uint32Array, l: number): Float64Array | null {
  const lay = t._w.layout;
  if (t._f64Words !== w) {
    t._f64Words = w;
    t._f64View =
      lay !== undefined && t._ew === 2 && (lay.present & 0x8000_0000) === 0 && w.byteOffset % 8 === 0
        ? new Float64Array(w.buffer, w.byteOffset, w.length >>> 1)
        : null;
  }
  const v = t._f64View;
  return v !== null && (l === t._last || lay!.present !== 0) ? v : null;
}
