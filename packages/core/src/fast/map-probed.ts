// map's miss path on a format with a specialised walk (W6a, random maps): the prober finds the first unused entry
// on the way to the address, and the leaf, or the tables below it, are written there as the general path writes them.
import type { MappingFlags } from '../flags';
import { NUM_ARGS } from '../_addr';
import type { PageTable64Cursor } from '../cursor/cursor';
import { mapBelow } from '../cursor/map';
import { rememberLast } from './walk-cache';
import { PROBE_LEVEL, WALK_TABLE } from './walker';

/**
 * map of a page of the smallest size that missed the walk cache, on a table with a specialised walk: both
 * addresses numbers (in NUM_ARGS, where map left them), valid and aligned, and no root entry shared. Returns false,
 * having done nothing, for anything else (errors included), which the full path then handles or reports.
 */
export function mapProbed(c: PageTable64Cursor, flags: MappingFlags): boolean {
  const t = c.table;
  const vaddr = NUM_ARGS[0]!;
  const paddr = NUM_ARGS[1]!;
  if (typeof flags !== 'number' || flags === 0 || (flags & 63) !== flags || t._anyBorrowed) return false;
  const vaHi = Math.floor(vaddr / 4294967296);
  const vaLo = vaddr - vaHi * 4294967296;
  const paHi = Math.floor(paddr / 4294967296);
  const paLo = paddr - paHi * 4294967296;
  // integers (an in-range low word), a valid lower-half address, a physical address the format holds, both aligned
  // (not `vaHi >>> 0`: that would take 2^64 for 0)
  if (vaLo >>> 0 !== vaLo || !(vaHi >= 0 && vaHi < t._vaHiLimit) || paLo >>> 0 !== paLo || !(paddr >= 0 && paddr < t._paLimitNum)) return false;
  if (((vaLo | paLo) & t._pageMask) !== 0) return false;
  const w = t.handler.words;
  const ew = t._ew;
  const e = t._probe!(w, t._rootIdx, vaLo | 0, vaHi, t._walkMem);
  if (e < 0 || w[e] !== 0 || (ew === 2 && w[e + 1] !== 0)) return false;
  const l = PROBE_LEVEL[0]!;
  const last = t._last;
  if (l < last) {
    mapBelow(c, e, l, vaLo | 0, vaHi, paLo | 0, paHi, last, flags, 'map');
  } else {
    const codec = t._w;
    w[e] = codec.newPageLo(paLo, paHi, flags, false, last);
    if (ew === 2) w[e + 1] = codec.newPageHi(paLo, paHi, flags, false, last);
    // (the low word as int32, read with `>>>` there: a u32 above 2^31 would be boxed for the call)
    rememberLast(t, vaLo | 0, vaHi, WALK_TABLE[0]!);
  }
  if (!c._full) c._push(vaLo, vaHi);
  return true;
}
