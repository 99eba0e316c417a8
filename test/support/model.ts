import type { GenericPTE, PagingMetaData } from '@page-table-multiarch/core';

/** A mapping as the model holds it; `va` is in index space (the low vaMaxBits bits). */
export interface ModelPage {
  va: bigint;
  size: bigint;
  pa: bigint;
  flags: number;
  level: number;
  /** A member of a run (its `2^runBits[level]` aligned pages, read together as one page of the run's size). */
  run?: boolean;
}

/** What a lookup reports: the page, or the run it belongs to. */
export interface ModelView {
  va: bigint;
  pa: bigint;
  size: bigint;
  flags: number;
}

export type Outcome<T = void> = { ok: true; value: T } | { ok: false; code: string };

/**
 * A plain model of a page table's observable behaviour: the set of leaf pages, and the set of tables
 * that exist (created by map and by splits of huge pages; unmapRegion frees those left empty in its
 * range). BigInt throughout.
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
    /** MappingFlags bits the table refuses with InvalidFlags before anything else (ArchCase.refusedFlags). */
    readonly refused = 0,
  ) {
    this.mask = (1n << BigInt(meta.vaMaxBits)) - 1n;
    this.sizes = meta.levelSize.map((s) => BigInt(s));
    this.last = meta.levels - 1;
    // runs exist where the metadata declares them and the codec has the hint
    this.runBits = meta.levelSize.map((_, l) => (pte.runHint !== undefined ? (meta.runBits?.[l] ?? 0) : 0));
  }

  /** log2 of the pages of a run at each level (0: none). */
  readonly runBits: number[];

  /** The bytes of a run at level l (0 without runs there). */
  runSize(l: number): bigint {
    return this.runBits[l]! > 0 ? this.sizes[l]! << BigInt(this.runBits[l]!) : 0n;
  }

  /** The level whose runs `map` takes as pages of `size` bytes (metadata runPages), or -1. */
  runLevelOfSize(size: bigint): number {
    if (this.meta.runPages !== true) return -1;
    return this.meta.leafLevels.find((l) => this.runSize(l) === size) ?? -1;
  }

  /** The members of the run holding member p. */
  private members(p: ModelPage): ModelPage[] {
    const rs = this.runSize(p.level);
    const first = p.va - (p.va % rs);
    return [...this.pages.values()].filter((q) => q.run === true && q.level === p.level && q.va >= first && q.va < first + rs);
  }

  /** Turns the run holding p (if p is a member) back into plain pages. */
  breakRun(p: ModelPage): void {
    if (p.run !== true) return;
    for (const q of this.members(p)) q.run = false;
  }

  /** What a lookup of iva reports: its page, or the run the page belongs to. */
  view(iva: bigint): ModelView | undefined {
    const p = this.containing(iva);
    if (p === undefined) return undefined;
    if (p.run !== true) return { va: p.va, pa: p.pa, size: p.size, flags: p.flags };
    const rs = this.runSize(p.level);
    const off = p.va % rs;
    return { va: p.va - off, pa: p.pa - off, size: rs, flags: p.flags };
  }

  /** Every mapping as a listing reports it: pages, and each run once. */
  listed(): ModelView[] {
    const out: ModelView[] = [];
    for (const p of this.sorted()) {
      const v = this.view(p.va)!;
      if (v.va === p.va) out.push(v);
    }
    return out;
  }

  /**
   * Marks as runs the aligned groups of pages inside [start, end) (index space) that form one: all present, of the
   * level, not yet members, physical addresses consecutive from a run-aligned one, the same flags.
   */
  markRuns(start: bigint, end: bigint): void {
    for (const l of this.meta.leafLevels) {
      const rs = this.runSize(l);
      if (rs === 0n) continue;
      const ps = this.sizes[l]!;
      for (let g = start + ((rs - (start % rs)) % rs); g + rs <= end; g += rs) {
        const first = this.pages.get(g);
        if (first === undefined || first.level !== l || first.pa % rs !== 0n) continue;
        const group: ModelPage[] = [];
        for (let v = g; v < g + rs; v += ps) {
          const q = this.pages.get(v);
          if (q === undefined || q.level !== l || q.run === true || q.pa !== first.pa + (v - g) || q.flags !== first.flags) break;
          group.push(q);
        }
        if (group.length === Number(rs / ps)) for (const q of group) q.run = true;
      }
    }
  }

  clone(): Model {
    const m = new Model(this.meta, this.pte, this.refused);
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
    if (flags & this.refused) return { ok: false, code: 'InvalidFlags' };
    if (this.levelOfSize(size) < 0 && this.runLevelOfSize(size) >= 0) {
      // a run's size as a page (Svnapot): its pages, all or nothing, then marked
      if (va % size !== 0n || pa % size !== 0n) return { ok: false, code: 'NotAligned' };
      return this.mapRegion(va, pa, size, flags, true, true);
    }
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
    this.pages.set(iva, { va: iva, size, pa, flags: this.normFlags(pa, flags, L), level: L, run: false });
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
    if (r.ok) {
      this.breakRun(r.value);
      this.pages.delete(r.value.va);
    }
    return r;
  }

  protect(va: bigint, flags: number): Outcome<bigint> {
    if (flags & this.refused) return { ok: false, code: 'InvalidFlags' };
    const r = this.leafAt(va);
    if (!r.ok) return r;
    this.breakRun(r.value);
    r.value.flags = this.normFlags(r.value.pa, flags, r.value.level);
    return { ok: true, value: r.value.size };
  }

  remap(va: bigint, pa: bigint, flags: number): Outcome<bigint> {
    if (flags & this.refused) return { ok: false, code: 'InvalidFlags' };
    const r = this.leafAt(va);
    if (!r.ok) return r;
    if (pa % r.value.size !== 0n) return { ok: false, code: 'NotAligned' };
    this.breakRun(r.value);
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

  mapRegion(va: bigint, pa: bigint, size: bigint, flags: number, allowHuge: boolean, runs = false): Outcome {
    if (flags & this.refused) return { ok: false, code: 'InvalidFlags' };
    // the region's physical end (exclusive) may be 2^paMaxBits, not past it
    if (pa + size > 1n << BigInt(this.meta.paMaxBits)) return { ok: false, code: 'InvalidAddress' };
    const work = this.clone();
    for (const [v, p, s] of this.regionChunks(va, pa, size, allowHuge)) {
      const r = work.map(v, p, s, flags);
      if (!r.ok) return r;
    }
    if (runs) work.markRuns(va & this.mask, (va & this.mask) + size);
    this.pages = work.pages;
    this.tables = work.tables;
    return { ok: true, value: undefined };
  }

  /** Splits a huge page into pieces of the next level's size (same flags, consecutive addresses). */
  private split(p: ModelPage): void {
    const cl = p.level + 1;
    const cs = this.sizes[cl]!;
    this.pages.delete(p.va);
    this.tables.add(this.tableKey(cl, p.va));
    for (let off = 0n; off < p.size; off += cs) {
      const pa = p.pa + off;
      this.pages.set(p.va + off, { va: p.va + off, size: cs, pa, flags: this.normFlags(pa, p.flags, cl), level: cl, run: false });
    }
  }

  /**
   * Applies `apply` to every page inside [va, va + size), first splitting the huge pages the range
   * only partly covers (recursively, down to the size the boundary needs).
   */
  private rangeOp(va: bigint, size: bigint, apply: (p: ModelPage) => void): bigint {
    const start = va & this.mask;
    const end = start + size;
    // runs the range cuts become plain pages first
    for (const p of [...this.pages.values()]) {
      if (p.run !== true) continue;
      const rs = this.runSize(p.level);
      const first = p.va - (p.va % rs);
      if (first < end && first + rs > start && (first < start || first + rs > end)) this.breakRun(p);
    }
    for (;;) {
      const cut = [...this.pages.values()].find((p) => p.va < end && p.va + p.size > start && (p.va < start || p.va + p.size > end));
      if (!cut) break;
      this.split(cut);
    }
    let bytes = 0n;
    for (const p of [...this.pages.values()]) {
      if (p.va >= start && p.va + p.size <= end) {
        apply(p);
        bytes += p.size;
      }
    }
    return bytes;
  }

  /** Removes the tables that intersect [start, end) and hold nothing, deepest first. */
  private reclaim(start: bigint, end: bigint): void {
    for (let k = this.last; k >= 1; k--) {
      const span = this.sizes[k - 1]!;
      for (const key of [...this.tables]) {
        const [lvl, b] = key.split(':');
        if (Number(lvl) !== k) continue;
        const base = BigInt(b!);
        if (base + span <= start || base >= end) continue;
        const busy =
          [...this.pages.values()].some((p) => p.va >= base && p.va < base + span) ||
          [...this.tables].some((t) => {
            const [l2, b2] = t.split(':');
            return Number(l2) === k + 1 && BigInt(b2!) >= base && BigInt(b2!) < base + span;
          });
        if (!busy) this.tables.delete(key);
      }
    }
  }

  unmapRegion(va: bigint, size: bigint): Outcome<bigint> {
    const bytes = this.rangeOp(va, size, (p) => this.pages.delete(p.va));
    this.reclaim(va & this.mask, (va & this.mask) + size);
    return { ok: true, value: bytes };
  }

  protectRegion(va: bigint, size: bigint, flags: number): Outcome<bigint> {
    if (flags & this.refused) return { ok: false, code: 'InvalidFlags' };
    return {
      ok: true,
      value: this.rangeOp(va, size, (p) => {
        p.flags = this.normFlags(p.pa, flags, p.level);
      }),
    };
  }

  /** Tables the model holds, root excluded. */
  tableCount(): number {
    return this.tables.size;
  }

  sorted(): ModelPage[] {
    return [...this.pages.values()].sort((a, b) => (a.va < b.va ? -1 : a.va > b.va ? 1 : 0));
  }
}
