import type { GenericPTE, PagingMetaData } from '@page-table-multiarch/core';

/** A mapping as the model holds it; `va` is in index space (the low vaMaxBits bits). */
export interface ModelPage {
  va: bigint;
  size: bigint;
  pa: bigint;
  flags: number;
  level: number;
}

export type Outcome<T = void> = { ok: true; value: T } | { ok: false; code: string };

/**
 * A plain model of a page table's observable behaviour: the set of leaf pages, and the set of tables
 * that exist (tables are created by map and, in this version, freed only by destroy). BigInt throughout.
 */
export class Model {
  pages = new Map<bigint, ModelPage>();
  tables = new Set<string>();
  readonly mask: bigint;
  readonly sizes: bigint[];
  readonly last: number;

  constructor(
    readonly meta: PagingMetaData,
    readonly pte: GenericPTE,
  ) {
    this.mask = (1n << BigInt(meta.vaMaxBits)) - 1n;
    this.sizes = meta.levelSize.map((s) => BigInt(s));
    this.last = meta.levels - 1;
  }

  clone(): Model {
    const m = new Model(this.meta, this.pte);
    for (const [k, p] of this.pages) m.pages.set(k, { ...p });
    m.tables = new Set(this.tables);
    return m;
  }

  /** The flags a leaf reads back as (the codec's own round trip, value level). */
  normFlags(pa: bigint, flags: number, level: number): number {
    const huge = level !== this.last;
    return this.pte.flags(this.pte.newPage(pa, flags, huge, level), level);
  }

  levelOfSize(size: bigint): number {
    return this.meta.leafLevels.find((l) => this.sizes[l] === size) ?? -1;
  }

  containing(iva: bigint): ModelPage | undefined {
    for (const p of this.pages.values()) if (iva >= p.va && iva < p.va + p.size) return p;
    return undefined;
  }

  private tableKey(level: number, iva: bigint): string {
    const span = this.sizes[level - 1]!;
    return `${level}:${iva - (iva % span)}`;
  }

  map(va: bigint, pa: bigint, size: bigint, flags: number): Outcome {
    const L = this.levelOfSize(size);
    if (va % size !== 0n || pa % size !== 0n) return { ok: false, code: 'NotAligned' };
    const iva = va & this.mask;
    let create = -1;
    for (let l = 0; l < L; l++) {
      const huge = this.containing(iva);
      if (huge && huge.level === l) return { ok: false, code: 'MappedToHugePage' };
      if (!this.tables.has(this.tableKey(l + 1, iva))) {
        create = l + 1;
        break;
      }
    }
    if (create < 0) {
      const p = this.containing(iva);
      if (p && p.level === L) return { ok: false, code: 'AlreadyMapped' };
      if (L < this.last && this.tables.has(this.tableKey(L + 1, iva))) return { ok: false, code: 'AlreadyMapped' };
    } else {
      for (let k = create; k <= L; k++) this.tables.add(this.tableKey(k, iva));
    }
    this.pages.set(iva, { va: iva, size, pa, flags: this.normFlags(pa, flags, L), level: L });
    return { ok: true, value: undefined };
  }

  private leafAt(va: bigint): Outcome<ModelPage> {
    const iva = va & this.mask;
    const p = this.containing(iva);
    if (!p) return { ok: false, code: 'NotMapped' };
    if (p.va !== iva) return { ok: false, code: 'NotAligned' };
    return { ok: true, value: p };
  }

  unmap(va: bigint): Outcome<ModelPage> {
    const r = this.leafAt(va);
    if (r.ok) this.pages.delete(r.value.va);
    return r;
  }

  protect(va: bigint, flags: number): Outcome<bigint> {
    const r = this.leafAt(va);
    if (!r.ok) return r;
    r.value.flags = this.normFlags(r.value.pa, flags, r.value.level);
    return { ok: true, value: r.value.size };
  }

  remap(va: bigint, pa: bigint, flags: number): Outcome<bigint> {
    const r = this.leafAt(va);
    if (!r.ok) return r;
    if (pa % r.value.size !== 0n) return { ok: false, code: 'NotAligned' };
    r.value.pa = pa;
    r.value.flags = this.normFlags(pa, flags, r.value.level);
    return { ok: true, value: r.value.size };
  }

  /** The page sizes mapRegion uses, in the same order as the library: largest allowed that fits. */
  regionChunks(va: bigint, pa: bigint, size: bigint, allowHuge: boolean): [bigint, bigint, bigint][] {
    const out: [bigint, bigint, bigint][] = [];
    let v = va;
    let p = pa;
    const end = va + size;
    while (v < end) {
      let s = this.sizes[this.last]!;
      if (allowHuge) {
        for (const l of this.meta.leafLevels) {
          const ls = this.sizes[l]!;
          if (end - v >= ls && v % ls === 0n && p % ls === 0n) {
            s = ls;
            break;
          }
        }
      }
      out.push([v, p, s]);
      v += s;
      p += s;
    }
    return out;
  }

  mapRegion(va: bigint, pa: bigint, size: bigint, flags: number, allowHuge: boolean): Outcome {
    const work = this.clone();
    for (const [v, p, s] of this.regionChunks(va, pa, size, allowHuge)) {
      const r = work.map(v, p, s, flags);
      if (!r.ok) return r;
    }
    this.pages = work.pages;
    this.tables = work.tables;
    return { ok: true, value: undefined };
  }

  private rangeOp(va: bigint, size: bigint, apply: (p: ModelPage) => void): Outcome<bigint> {
    const start = va & this.mask;
    const end = start + size;
    const hit: ModelPage[] = [];
    for (const p of this.pages.values()) {
      if (p.va + p.size <= start || p.va >= end) continue;
      if (p.va < start || p.va + p.size > end) return { ok: false, code: 'MappedToHugePage' };
      hit.push(p);
    }
    let bytes = 0n;
    for (const p of hit) {
      apply(p);
      bytes += p.size;
    }
    return { ok: true, value: bytes };
  }

  unmapRegion(va: bigint, size: bigint): Outcome<bigint> {
    return this.rangeOp(va, size, (p) => this.pages.delete(p.va));
  }

  protectRegion(va: bigint, size: bigint, flags: number): Outcome<bigint> {
    return this.rangeOp(va, size, (p) => {
      p.flags = this.normFlags(p.pa, flags, p.level);
    });
  }

  sorted(): ModelPage[] {
    return [...this.pages.values()].sort((a, b) => (a.va < b.va ? -1 : a.va > b.va ? 1 : 0));
  }
}
