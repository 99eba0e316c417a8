// map's miss path on a format with a specialised walk (W6a, random maps): the prober finds the first unused entry
// on the way to the address, and the leaf, or the tables below it, are written there as the general path writes them.
import type { MappingFlags } from '../flags';
import { NUM_ARGS } from '../_addr';
import type { PageTable64Cursor } from '../cursor/cursor';
import { mapBelow } from '../cursor/map';
import { PROBE_LEVEL } from './walker';

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
  // the leaf alone (a free entry of a last-level table) or the tables below a free entry above it, both written by
  // mapBelow: there the codec's calls have their own call sites, reached on every call, which V8 inlines; in this
  // function, whose walk takes most of V8's inlining budget, a leaf's words above 2^31 (the x86 NX bit, an AArch64
  // descriptor's upper attributes) came back from a call, boxed (W6a: 16 heap bytes per map on X86-PAE and on the
  // 16K and 64K AArch64 granules). The low words go as int32: a u32 above 2^31 would be boxed for the call.
  mapBelow(c, e, PROBE_LEVEL[0]!, vaLo | 0, vaHi, paLo | 0, paHi, t._last, flags, 'map');
  if (!c._full) c._push(vaLo, vaHi);
  return true;
}
