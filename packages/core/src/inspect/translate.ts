// One address through the roots, level by level, as the hardware walks it: the entries read on the way, and the
// result or the reason there is none. The same descent as the dump (table/descent.ts), clipped to the one address.
import { joinAddr, toBigAddr } from '../_addr';
import { hex } from '../errors';
import type { MappingFlags } from '../flags';
import type { AddrInput, PhysAddr, VirtAddr } from '../interfaces';
import { DONE, ENTRY } from '../table/descent';
import { leafShift } from '../table/find';
import { PageTable64 } from '../table/page-table';
import { wordsToBits } from '../words';
import {
  combineLimits,
  type DumpOptions,
  type DumpSource,
  defaultRoots,
  descentFormat,
  effectiveFlags,
  inspectorOf,
  NO_LIMIT,
  prepareRoot,
  RangeDescent,
  readTable,
  sourceOf,
} from './format';

/** One step of a {@link translateAddress} walk: the entry read at one level. */
export interface TranslationStep {
  /** Level of the table the entry is in (0 = root). */
  readonly level: number;
  /** Index of the entry in its table. */
  readonly index: number;
  /** Physical address of the entry. */
  readonly entryPaddr: PhysAddr;
  /** Raw bits of the entry. */
  readonly bits: bigint;
}

/** The result of {@link translateAddress}. */
export interface Translation {
  /** The address translated. */
  readonly vaddr: VirtAddr;
  /** Whether a present leaf maps the address. */
  readonly mapped: boolean;
  /** The physical address it translates to (when mapped). */
  readonly paddr?: PhysAddr;
  /** Bytes of the leaf (when mapped). */
  readonly pageSize?: number;
  /** Level of the leaf (when mapped). */
  readonly level?: number;
  /** The leaf's MappingFlags (when mapped). */
  readonly flags?: MappingFlags;
  /** The flags the levels grant together (when mapped). */
  readonly effective?: MappingFlags;
  /** Index of the root used, or -1 when none translates the address. */
  readonly root: number;
  /** The entries read, root first. */
  readonly steps: readonly TranslationStep[];
  /** Why it is not mapped, when it is not: a non-present entry, a diagnostic, no root for the address. */
  readonly reason?: string;
}

/**
 * Translates one virtual address through the roots, level by level, with the same tolerance as
 * {@link dumpMappings}: nothing outside the memory is read and malformed memory gives a `reason`, never an
 * exception. Works on any handler (it keeps no word index across reads).
 * @throws PagingError 'InvalidAddress' when `vaddr` is not a 64-bit address.
 * @example
 * translateAddress(table, 0xffff_8000_0000_1234n); // { mapped: true, paddr: 0x1234n, pageSize: 1073741824, ... }
 */
export function translateAddress(source: PageTable64 | DumpSource, vaddr: AddrInput, options: DumpOptions = {}): Translation {
  const src = sourceOf(source);
  const insp = inspectorOf(source, options);
  const { meta, pte, handler: h } = src;
  const va = toBigAddr(vaddr, 'translateAddress', 'vaddr');
  if (options.roots === undefined && !(source instanceof PageTable64)) {
    throw new TypeError('translateAddress: "roots" is required when the source is not a PageTable64');
  }
  const roots = options.roots ?? defaultRoots(meta, (source as PageTable64).rootPaddr);
  const steps: TranslationStep[] = [];
  let r = -1;
  // the address each root looks up: with tags ignored, the tag replaced by copies of the bit below it
  let idxVa = va;
  let refusedTag = -1; // a root the untagged form would select, whose tags are not ignored
  for (let k = 0; k < roots.length && r < 0; k++) {
    const start = toBigAddr(roots[k]!.vaStart, 'translateAddress', 'vaStart');
    const endVa = roots[k]!.vaEnd;
    const end = typeof endVa === 'bigint' ? endVa : BigInt(endVa);
    const untagged = untag(va, roots[k]!.tagBits ?? 0);
    if (untagged >= start && untagged < end) {
      if (untagged === va || roots[k]!.tagsIgnored === true) {
        r = k;
        idxVa = untagged;
      } else if (refusedTag < 0) {
        refusedTag = k;
      }
    }
  }
  const no = (reason: string): Translation => ({ vaddr: va, mapped: false, root: r, steps, reason });
  if (r < 0 && refusedTag >= 0) {
    const rt = roots[refusedTag]!;
    const t = rt.tagBits!;
    return no(
      `${hex(va)} carries the tag ${hex(va >> BigInt(64 - t))} in bits 63:${64 - t}, which ${rt.label ?? `root ${refusedTag}`} does not ignore for translation`,
    );
  }
  if (r < 0) return no(`no root translates ${hex(va)} (outside every register's range)`);
  const root = prepareRoot(meta, roots[r]!, 'translateAddress');
  const fmt = descentFormat(meta, pte);
  const w = fmt._w;
  const names = insp.levelNames;
  const name = (l: number, i: number) => `${names?.[l] ?? `level ${l}`}[${i}]`;
  const idx = idxVa - BigInt(root.outBase); // the address in the root's index space
  const idxLo = Number(idx & 0xffff_ffffn);
  const idxHi = Number(idx >> 32n);
  const limits = root.limits && typeof insp.tableLimit === 'function';
  // each table on the path is copied out whole (as the dump does): a paging handler may reuse its cache meanwhile
  const copy = meta.tableBytes.map((b) => new Uint32Array(b >>> 2));
  const tLo = new Float64Array(meta.levels);
  const tHi = new Float64Array(meta.levels);
  tLo[root.level] = root.lo;
  tHi[root.level] = root.hi;
  if (!readTable(h, root.lo, root.hi, root.bytes, copy[root.level]!)) {
    return no(`the root table at ${hex(joinAddr(root.lo, root.hi))} (${root.bytes} bytes) is not inside the memory`);
  }
  const entryPa = (l: number, i: number) => joinAddr(tLo[l]!, tHi[l]!) + BigInt(i * meta.entryBytes);
  const d = new RangeDescent(fmt, idxLo, idxHi, idxLo, idxHi)._begin(copy[root.level]!, 0, root.level, 0, 0, root.bytes / meta.entryBytes);
  let lim = NO_LIMIT;
  let deepest = root.level; // the deepest table opened: where a missing entry is
  for (let ev = d._step(); ev !== DONE; ev = d._step()) {
    if (ev !== ENTRY) continue;
    const l = d._level;
    const i = d._index;
    const lo = d._lo;
    const hi = d._hi;
    steps.push({ level: l, index: i, entryPaddr: entryPa(l, i), bits: wordsToBits(lo, hi) });
    const p = typeof insp.problem === 'function' ? insp.problem(lo, hi, l, d._leaf) : undefined;
    if (p !== undefined) return no(`${name(l, i)}: ${p}`);
    if (d._leaf) {
      if (!meta.leafLevels.includes(l)) return no(`${name(l, i)}: a leaf at level ${l}, where ${meta.name} has none`);
      const ls = leafShift(fmt, lo, hi, l);
      const psize = 2n ** BigInt(ls);
      const base = joinAddr(w.paddrLo(lo, hi, l) >>> 0, w.paddrHi(lo, hi, l) >>> 0);
      const flags = w.flags(lo, hi, l);
      const effective = effectiveFlags(flags, typeof insp.leafLimit === 'function' ? combineLimits(lim, insp.leafLimit(lo, hi, l)) : lim);
      return { vaddr: va, mapped: true, paddr: base - (base % psize) + (idx % psize), pageSize: 2 ** ls, level: l, flags, effective, root: r, steps };
    }
    const cl = l + 1;
    const cLo = w.paddrLo(lo, hi, l) >>> 0;
    const cHi = w.paddrHi(lo, hi, l) >>> 0;
    if (cLo % Math.min(meta.tableBytes[cl]!, 4096) !== 0) return no(`${name(l, i)}: table at ${hex(joinAddr(cLo, cHi))} is misaligned`);
    if (!readTable(h, cLo, cHi, meta.tableBytes[cl]!, copy[cl]!)) {
      return no(`${name(l, i)}: table at ${hex(joinAddr(cLo, cHi))} (${meta.tableBytes[cl]!} bytes) is not inside the memory`);
    }
    if (limits) lim = combineLimits(lim, insp.tableLimit!(lo, hi, l));
    tLo[cl] = cLo;
    tHi[cl] = cHi;
    deepest = cl;
    d._open(copy[cl]!, 0);
  }
  // the descent reports present entries only: the one on the path in the deepest table was not present
  const entries = deepest === root.level ? root.bytes / meta.entryBytes : 2 ** fmt._bits[deepest]!;
  const i = Number((idx >> BigInt(fmt._shift[deepest]!)) % BigInt(entries));
  const ew = fmt._ew;
  const lo = copy[deepest]![i * ew]!;
  const hi = ew === 2 ? copy[deepest]![i * ew + 1]! : 0;
  steps.push({ level: deepest, index: i, entryPaddr: entryPa(deepest, i), bits: wordsToBits(lo, hi) });
  return no(`${name(deepest, i)} is not present`);
}

/** `va` with its top `tagBits` bits replaced by copies of the bit below them (itself when tagBits is 0). */
function untag(va: bigint, tagBits: number): bigint {
  if (tagBits <= 0 || tagBits >= 64) return va;
  const low = 64n - BigInt(tagBits);
  const rest = va & ((1n << low) - 1n);
  return ((rest >> (low - 1n)) & 1n) === 1n ? rest | (((1n << BigInt(tagBits)) - 1n) << low) : rest;
}
