// The listing's filter: runs by address range and by effective permissions (and audit findings), as indices into
// the columns. Plain numbers over the columns: 262,144 runs filter in a few milliseconds.
import { MappingFlags } from '@page-table-multiarch/core';
import type { Opened } from '../shared/protocol';
import { parseAddress } from './format';

const { WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;

/** A permission filter: any, only runs with the permission, only runs without it. */
export type Tri = 'any' | 'yes' | 'no';

/** What the filter fields hold. */
export interface ListingFilter {
  readonly from: string;
  readonly to: string;
  readonly write: Tri;
  readonly exec: Tri;
  readonly user: Tri;
  readonly device: Tri;
  /** Only runs with an audit finding. */
  readonly audit: boolean;
}

function tri(want: Tri, has: boolean): boolean {
  return want === 'any' || (want === 'yes') === has;
}

/**
 * The indices of the runs that pass the filter, in order.
 * @throws RangeError when an address of the range is not a hex address.
 */
export function filterRuns(o: Opened, f: ListingFilter): Uint32Array {
  const r = o.runs;
  const from = f.from.trim() === '' ? 0n : parseAddress(f.from);
  const to = f.to.trim() === '' ? 1n << 64n : parseAddress(f.to);
  if (from === undefined || to === undefined) throw new RangeError(`the range "${f.from}" - "${f.to}" is not two hex addresses`);
  // the range in each root's pages (doubles: exact, below 2^52), clamped to the root
  const lo = o.roots.map((root) => {
    const s = BigInt(root.vaStart);
    return from <= s ? 0 : Number((from - s) >> 12n);
  });
  const hi = o.roots.map((root) => {
    const s = BigInt(root.vaStart);
    return to <= s ? 0 : Number((to - s + 4095n) >> 12n);
  });
  const out = new Uint32Array(r.count);
  let n = 0;
  for (let i = 0; i < r.count; i++) {
    const k = r.root[i]!;
    if (r.start[i]! + r.pages[i]! <= lo[k]! || r.start[i]! >= hi[k]!) continue;
    const e = r.effective[i]!;
    if (!tri(f.write, (e & WRITE) !== 0) || !tri(f.exec, (e & EXECUTE) !== 0) || !tri(f.user, (e & USER) !== 0)) continue;
    if (!tri(f.device, (e & (DEVICE | UNCACHED)) !== 0) || (f.audit && r.audit[i] === 0)) continue;
    out[n++] = i;
  }
  return out.slice(0, n);
}

