// Root entries shared between tables by copyFrom (the crate's `copy_from`: a kernel's half shared into every
// address space). The tables below a shared entry belong to one owner; every table that holds them counts on the
// owner, which keeps them while any does: it does not reclaim them, does not copy over their root entry, and is
// not destroyed. A holder never writes below them and never frees them.
import { PagingError } from '../errors';
import { forget } from '../fast/walk-cache';
import { rootIndex } from './find';
import { freeSubtree } from './tree';
import { geometryOf } from './geometry';
import type { PageTable64 } from './page-table';

/** Root entries of `t` whose tables other tables hold. */
export function lentEntries(t: PageTable64): number {
  let n = 0;
  const refs = t._lentRefs;
  for (let i = 0; i < refs.length; i++) if (refs[i]! > 0) n++;
  return n;
}

/** `t` lets go of every table it borrowed (it is being destroyed). */
export function releaseBorrowed(t: PageTable64): void {
  const lenders = t._lenders;
  for (let i = 0; lenders !== null && i < lenders.length; i++) {
    const owner = lenders[i];
    if (owner) owner._lentRefs[i] = owner._lentRefs[i]! - 1;
  }
  t._lenders = null;
}

/**
 * Makes root entries [first, last] of `t` those of `other`: what `t` held there is let go (a borrowed table) or
 * freed (its own), and the tables below `other`'s entries are held from their owner. Checks first: nothing is
 * changed when an entry of `t` in the range is itself lent to another table.
 */
export function shareRootEntries(t: PageTable64, other: PageTable64, first: number, last: number): void {
  for (let i = first; i <= last; i++) {
    if (t._lentRefs[i]! > 0) {
      throw new PagingError('SharedTable', `copyFrom: root entry ${i} of this table is shared with another table by copyFrom; its table cannot be replaced`);
    }
  }
  const w = t.handler.words;
  const c = t._w;
  const ew = t._ew;
  forget(t);
  const g = geometryOf(t.meta);
  if (t._borrowed === g.noRoots) t._borrowed = new Uint8Array(g.noRoots.length);
  if (t._lenders === null) t._lenders = new Array<PageTable64 | null>(g.noRoots.length).fill(null);
  const lenders = t._lenders;
  const tableBelow = (lo: number, hi: number) => t._last > 0 && c.isPresent(lo, hi, 0) && !c.isHuge(lo, hi, 0);
  for (let i = first; i <= last; i++) {
    const e = rootIndex(t) + i * ew;
    const lo = w[e]!;
    const hi = ew === 2 ? w[e + 1]! : 0;
    const held = lenders[i];
    if (held) {
      held._lentRefs[i] = held._lentRefs[i]! - 1;
      lenders[i] = null;
    } else if (t._borrowed[i] !== 1 && tableBelow(lo, hi)) {
      freeSubtree(t, lo, hi, 0);
    }
    const src = rootIndex(other) + i * ew;
    const nlo = w[src]!;
    const nhi = ew === 2 ? w[src + 1]! : 0;
    w[e] = nlo;
    if (ew === 2) w[e + 1] = nhi;
    t._borrowed[i] = 1;
    t._anyBorrowed = true;
    if (tableBelow(nlo, nhi)) {
      // the table below is its owner's: other's own, or the one other itself borrowed it from
      const owner = other._borrowed[i] === 1 ? (other._lenders?.[i] ?? null) : other;
      if (owner !== null) {
        if (owner._lentRefs === g.noRefs) owner._lentRefs = new Int32Array(g.noRefs.length);
        owner._lentRefs[i] = owner._lentRefs[i]! + 1;
        lenders[i] = owner;
      }
    }
  }
}
