// An API fuzzer over every table type: random operations with valid and hostile arguments (numbers at and past
// 2^64, NaN, non-canonical aliases, values of the wrong type), an allocator that fails every k-th call, callbacks
// that re-enter the table, copyFrom and destroy in every order. After every call:
// - a call with an argument the API must refuse throws a library error (a PagingError, TypeError or RangeError
//   whose message starts with the operation's name, never an engine message) and changes no byte of memory, no
//   frame and nothing the model holds;
// - a call with valid arguments does what the model (test/support/model.ts) says, or fails as it says.
// Seeded and replayable: PT_FUZZ_SEEDS (comma-separated) and PT_FUZZ_OPS (calls per seed and table type) explore
// further; a failure names its seed, table type and call number.
import { PagingError, PhysicalMemory, type PageTable64, type PageTable64Cursor, type PhysAddr } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';
import { ARCHES } from './arches';
import type { ArchCase } from './support/arch-case';
import { Model, type Outcome } from './support/model';
import { Rng } from './support/rng';

const SEEDS = (process.env.PT_FUZZ_SEEDS ?? '1,2,3').split(',').map((s) => BigInt(s.trim()));
const OPS = Number(process.env.PT_FUZZ_OPS ?? 400);

/** A PhysicalMemory whose allocator fails every `failEvery`-th call while failEvery > 0. */
class FaultyMemory extends PhysicalMemory {
  failEvery = 0;
  private calls = 0;
  override allocFrames(count: number, align: number): PhysAddr | null {
    if (this.failEvery > 0 && ++this.calls % this.failEvery === 0) return null;
    return super.allocFrames(count, align);
  }
}

/** Values no address, size or flags parameter may accept. */
const JUNK: readonly unknown[] = [
  2 ** 64,
  2 ** 64 + 2 ** 53,
  1e300,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
  -4096,
  -1,
  4096.5,
  2 ** 53 + 2,
  1n << 64n,
  (1n << 64n) + 4096n,
  -4096n,
  '4096',
  '0x1000',
  null,
  undefined,
  {},
  [4096],
  true,
  Symbol('va'),
];
const BAD_FLAGS: readonly unknown[] = [0, 64, 65, -1, 1.5, Number.NaN, 3n, '3', null, undefined, {}, 2 ** 32 + 3];

/** An argument, and whether the API must refuse it whatever else is passed. */
interface Arg {
  v: unknown;
  refuse: boolean;
  /** The value as an address when it is one the model can take. */
  big: bigint;
}

const SAFE = 1n << 53n;

function outcome<T>(fn: () => T): Outcome<T> & { err?: unknown } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    return { ok: false, code: err instanceof PagingError ? err.code : 'thrown', err };
  }
}

function isLibraryError(err: unknown): boolean {
  return (err instanceof PagingError || err instanceof TypeError || err instanceof RangeError) && /^[A-Za-z][\w.]*: /.test(err.message);
}
/**
 * A fuzz run: its generator and memory, the format's sizes, the table under test with its cursor and its model (both
 * replaced when the table is destroyed), the tables that borrowed from it and the root slots they hold.
 */
function fuzzState(arch: ArchCase, seed: bigint, ops: number) {
  const rng = new Rng(seed ^ BigInt(arch.name.length * 7919));
  const where = (i: number, what: string) => `${arch.name} seed ${seed} call ${i} ${what} (replay: PT_FUZZ_SEEDS=${seed} PT_FUZZ_OPS=${ops})`;
  const mem = new FaultyMemory({ size: 384 * 4096, base: arch.memBase });
  const meta = arch.meta;
  const page = BigInt(meta.levelSize[meta.levels - 1]!);
  const leafSizes = meta.leafLevels.map((l) => BigInt(meta.levelSize[l]!));
  const mask = (1n << BigInt(meta.vaMaxBits)) - 1n;
  const paBits = BigInt(arch.paBits ?? Math.min(meta.paMaxBits, 40));
  const table: PageTable64 = arch.create(mem);
  const model = new Model(meta, arch.pte, arch.refusedFlags);
  const cursor = table.cursor();
  /** Tables that borrowed from `table` through copyFrom (not modelled: checked against `table` when made). */
  const borrowers: PageTable64[] = [];
  /** The root slots (first address) whose table a borrower holds: the model keeps their level-1 table. */
  const lent = new Map<PageTable64, bigint>();
  // unmapNumber takes every other unmap call of a number address (a count, not the generator: the seeds' calls stay
  // those they were)
  const turns = { unmap: 0 };
  return { arch, rng, where, mem, meta, page, leafSizes, mask, paBits, table, model, cursor, borrowers, lent, turns };
}

/** {@link fuzzState}, with the table, cursor and model that change when the table is replaced. */
type FuzzState = Omit<ReturnType<typeof fuzzState>, 'table' | 'model' | 'cursor'> & { table: PageTable64; model: Model; cursor: PageTable64Cursor };

/** The argument makers of a run: valid arguments mostly, else the hostile ones the API must refuse. */
function fuzzArgs(f: FuzzState) {
  const { arch, rng, mem, meta, page, leafSizes, mask, paBits } = f;
  const pick = <T>(xs: readonly T[]): T => xs[rng.below(xs.length)]!;
  const asInput = (x: bigint): bigint | number => (x < SAFE && rng.ratio(1, 2) ? Number(x) : x);

  /** A virtual address: mostly valid and aligned to `size` near a few anchors, else unaligned, an alias, invalid or junk. */
  const vaArg = (size: bigint): Arg => {
    const win = pick(arch.windows);
    const slots = win.size / size;
    const slot = (BigInt(rng.below(4)) * (slots / 4n) + BigInt(rng.below(24))) % slots;
    const va = win.base + slot * size;
    const r = rng.below(20);
    if (r < 15) return { v: asInput(va), refuse: false, big: va };
    if (r < 17) return { v: asInput(va + page), refuse: false, big: va + page }; // unaligned for a huge size
    if (r === 17 && (va & mask) !== va && !meta.vaddrIsValid(va & mask)) return { v: asInput(va & mask), refuse: true, big: 0n };
    if (r === 18 && arch.invalidVa !== undefined) return { v: asInput(arch.invalidVa), refuse: true, big: 0n };
    // a function is a paddr source for mapRegion, never an address
    return { v: rng.ratio(1, 10) ? () => 4096 : pick(JUNK), refuse: true, big: 0n };
  };
  /** A physical address aligned to `size`, sometimes past the format's width, unaligned or junk. */
  const paArg = (size: bigint): Arg => {
    const pa = ((rng.next64() % (1n << paBits)) / size) * size;
    const r = rng.below(20);
    if (r < 16) return { v: asInput(pa), refuse: false, big: pa };
    if (r === 16 && size > page) return { v: asInput(pa + page), refuse: false, big: pa + page };
    if (r === 17 && meta.paMaxBits < 64) return { v: asInput(1n << BigInt(meta.paMaxBits)), refuse: true, big: 0n };
    return { v: pick(JUNK), refuse: true, big: 0n };
  };
  const flagsArg = (): Arg => (rng.ratio(9, 10) ? { v: 1 + rng.below(63), refuse: false, big: 0n } : { v: pick(BAD_FLAGS), refuse: true, big: 0n });
  const sizeArg = (): Arg => {
    const r = rng.below(12);
    if (r < 10) {
      const s = pick(leafSizes);
      return { v: Number(s), refuse: false, big: s };
    }
    return { v: pick([3000, 0, '4096', 4096n, Number.NaN, 2 ** 64, null]), refuse: true, big: 0n };
  };
  /** A region size: up to 2048 pages, sometimes unaligned, past the end of the address space, or junk. */
  const regionArg = (): Arg => {
    const r = rng.below(14);
    const n = BigInt(1 + rng.below(rng.ratio(1, 4) ? 2048 : 24));
    if (r < 11) return { v: asInput(n * page), refuse: false, big: n * page };
    if (r === 11) return { v: asInput(n * page + page / 2n), refuse: true, big: 0n };
    if (r === 12) return { v: 1n << 63n, refuse: true, big: 0n };
    return { v: pick(JUNK), refuse: true, big: 0n };
  };
  /** The index-space form of a valid address, back in the window's form (as the table takes it). */
  const pageVa = (): bigint => {
    const pages = f.model.sorted();
    if (pages.length === 0 || rng.ratio(1, 5)) {
      // a refused argument carries no address: the first window's base instead (0 for the formats whose first
      // window starts at 0, as the argument's `big` says; a long-descriptor TTBR1 serves no address 0)
      const a = vaArg(page);
      return a.refuse ? arch.windows[0]!.base : a.big;
    }
    const p = pages[rng.below(pages.length)]!;
    const win = arch.windows.find((w) => (w.base & mask) <= p.va && p.va < (w.base & mask) + w.size)!;
    return win.base + (p.va - (win.base & mask));
  };
  /** Mostly `va` (a mapped page's address, say), else any address argument. */
  const validOr = (va: bigint): Arg => (rng.ratio(3, 4) ? { v: asInput(va), refuse: false, big: va } : vaArg(page));
  /** A table of the format, made with the allocator working. */
  const create = (): PageTable64 => {
    const k = mem.failEvery;
    mem.failEvery = 0;
    try {
      return arch.create(mem);
    } finally {
      mem.failEvery = k;
    }
  };
  const rootTableKey = (slot: bigint) => `1:${slot & mask}`;
  const inWindow = (va: bigint, size: bigint) => arch.windows.some((w) => va >= w.base && va + size <= w.base + w.size);
  return { pick, asInput, vaArg, paArg, flagsArg, sizeArg, regionArg, pageVa, validOr, create, rootTableKey, inWindow };
}

type FuzzArgs = ReturnType<typeof fuzzArgs>;

/** One call: what it was, whether the API must refuse it, the model's answer (null: checked otherwise), the table's. */
interface FuzzCall {
  readonly what: string;
  readonly refuse: boolean;
  readonly want: Outcome<unknown> | null;
  readonly got: ReturnType<typeof outcome>;
}

/** Map with any arguments. */
function callMap(f: FuzzState, a: FuzzArgs): FuzzCall | null {
  const { page, model, cursor } = f;
  const { vaArg, paArg, flagsArg, sizeArg } = a;
  let refuse = false;
  let want: Outcome<unknown> | null = null; // null: no model answer (checked by other means)
  let what = '';
  const size = sizeArg();
  const va = vaArg(size.refuse ? page : size.big);
  const pa = paArg(size.refuse ? page : size.big);
  const flags = flagsArg();
  what = `map(${String(va.v)}, ${String(pa.v)}, ${String(size.v)}, ${String(flags.v)})`;
  refuse = va.refuse || pa.refuse || size.refuse || flags.refuse;
  if (!refuse) want = model.map(va.big, pa.big, size.big, flags.v as number);
  const got = outcome(() => cursor.map(va.v as never, pa.v as never, size.v as never, flags.v as never));
  return { what, refuse, want, got };
}

/** Unmap of a mapped page (mostly). */
function callUnmap(f: FuzzState, a: FuzzArgs): FuzzCall | null {
  const { model, cursor } = f;
  const { pageVa, validOr } = a;
  let refuse = false;
  let want: Outcome<unknown> | null = null; // null: no model answer (checked by other means)
  let what = '';
  const va = validOr(pageVa());
  const big = va.big;
  if (typeof va.v === 'number' && f.turns.unmap++ % 2 === 1) {
    // the number form: the address as a number, and the page's flags and size on the cursor; refused (RangeError,
    // nothing removed) for a page whose physical address is not exact as a number
    what = `unmapNumber(${String(va.v)})`;
    const p = va.refuse ? undefined : model.containing(big);
    refuse = va.refuse || (p !== undefined && p.va === big && p.pa >= SAFE);
    if (!refuse) {
      const r = model.unmap(big);
      want = r.ok ? { ok: true, value: { paddr: Number(r.value.pa), flags: r.value.flags, size: Number(r.value.size) } } : r;
    }
    const got = outcome(() => {
      const paddr = cursor.unmapNumber(va.v as number);
      return { paddr, flags: f.table.lastFlags, size: f.table.lastSize };
    });
    return { what, refuse, want, got };
  }
  what = `unmap(${String(va.v)})`;
  refuse = va.refuse;
  if (!refuse) {
    const r = model.unmap(big);
    want = r.ok ? { ok: true, value: { paddr: r.value.pa, flags: r.value.flags, size: Number(r.value.size) } } : r;
  }
  const got = outcome(() => cursor.unmap(va.v as never));
  return { what, refuse, want, got };
}

/** Protect of a mapped page (mostly). */
function callProtect(f: FuzzState, a: FuzzArgs): FuzzCall | null {
  const { model, cursor } = f;
  const { flagsArg, pageVa, validOr } = a;
  let refuse = false;
  let want: Outcome<unknown> | null = null; // null: no model answer (checked by other means)
  let what = '';
  const va = validOr(pageVa());
  const flags = flagsArg();
  const big = va.big;
  what = `protect(${String(va.v)}, ${String(flags.v)})`;
  refuse = va.refuse || flags.refuse;
  if (!refuse) {
    const r = model.protect(big, flags.v as number);
    want = r.ok ? { ok: true, value: Number(r.value) } : r;
  }
  const got = outcome(() => cursor.protect(va.v as never, flags.v as never));
  return { what, refuse, want, got };
}

/** Remap of a mapped page (mostly). */
function callRemap(f: FuzzState, a: FuzzArgs): FuzzCall | null {
  const { page, mask, model, cursor } = f;
  const { paArg, flagsArg, pageVa, validOr } = a;
  let refuse = false;
  let want: Outcome<unknown> | null = null; // null: no model answer (checked by other means)
  let what = '';
  const va = validOr(pageVa());
  const big = va.big;
  const p = va.refuse ? undefined : model.containing(big & mask);
  const pa = paArg(p ? p.size : page);
  const flags = flagsArg();
  what = `remap(${String(va.v)}, ${String(pa.v)}, ${String(flags.v)})`;
  refuse = va.refuse || pa.refuse || flags.refuse;
  if (!refuse) {
    const r = model.remap(big, pa.big, flags.v as number);
    want = r.ok ? { ok: true, value: Number(r.value) } : r;
  }
  const got = outcome(() => cursor.remap(va.v as never, pa.v as never, flags.v as never));
  return { what, refuse, want, got };
}

/** MapRegion with any arguments, its paddr callback sometimes hostile. */
function callMapRegion(f: FuzzState, a: FuzzArgs, i: number): FuzzCall | null {
  const { rng, meta, page, table, model, cursor, where } = f;
  const { vaArg, paArg, flagsArg, regionArg, inWindow } = a;
  let refuse = false;
  let want: Outcome<unknown> | null = null; // null: no model answer (checked by other means)
  let what = '';
  const va = vaArg(page);
  const size = regionArg();
  const pa = paArg(page);
  const flags = flagsArg();
  const huge = rng.ratio(1, 2);
  if (!va.refuse && !size.refuse && !inWindow(va.big, size.big)) return null;
  refuse = va.refuse || pa.refuse || size.refuse || flags.refuse;
  // a paddr callback a third of the time: linear (so the model holds), sometimes hostile
  const hostile = rng.below(6);
  const useFn = !pa.refuse && rng.ratio(1, 3);
  let inner: string[] = [];
  const fn = (v: bigint) => {
    if (hostile === 0) {
      // the callback tries to change the table it is called from: refused, and nothing changes
      for (const attempt of [() => cursor.map(v, 0n, Number(page) as never, 1), () => table.destroy(), () => cursor.unmapRegion(v, page)]) {
        const r = outcome(attempt);
        inner.push(r.ok ? 'ok' : r.code);
      }
    }
    if (hostile === 1 && v !== va.big) throw new PagingError('InvalidAddress', 'callback: no frame for this page');
    return pa.big + (v - va.big);
  };
  what = `mapRegion(${String(va.v)}, ${useFn ? `fn${hostile}` : String(pa.v)}, ${String(size.v)}, ${String(flags.v)}, ${huge})`;
  if (!refuse) {
    const chunks = model.regionChunks(va.big, pa.big, size.big, huge);
    if (useFn && hostile === 1 && chunks.length > 1) {
      // the callback throws at the second page: the first one's outcome, or the callback's error; nothing stays
      const [v, p, s] = chunks[0]!;
      const first = model.clone().map(v, p, s, flags.v as number);
      want = pa.big + size.big > 1n << BigInt(meta.paMaxBits) ? { ok: false, code: 'InvalidAddress' } : first.ok ? { ok: false, code: 'InvalidAddress' } : first;
    } else {
      want = model.mapRegion(va.big, pa.big, size.big, flags.v as number, huge);
    }
  }
  inner = [];
  const got = outcome(() => cursor.mapRegion(va.v as never, useFn ? (fn as never) : (pa.v as never), size.v as never, flags.v as never, huge));
  for (const code of inner) expect(code, where(i, `${what}: a change from inside the callback`)).toBe('Busy');
  return { what, refuse, want, got };
}

/** UnmapRegion or protectRegion with any arguments. */
function callRange(f: FuzzState, a: FuzzArgs): FuzzCall | null {
  const { rng, page, model, cursor } = f;
  const { vaArg, flagsArg, regionArg, inWindow } = a;
  let refuse = false;
  let want: Outcome<unknown> | null = null; // null: no model answer (checked by other means)
  let what = '';
  const va = vaArg(page);
  const size = regionArg();
  const flags = flagsArg();
  const unmapping = rng.ratio(1, 2);
  if (!va.refuse && !size.refuse && !inWindow(va.big, size.big)) return null;
  refuse = va.refuse || size.refuse || (!unmapping && flags.refuse);
  what = `${unmapping ? 'unmapRegion' : 'protectRegion'}(${String(va.v)}, ${String(size.v)}${unmapping ? '' : `, ${String(flags.v)}`})`;
  if (!refuse) want = unmapping ? model.unmapRegion(va.big, size.big) : model.protectRegion(va.big, size.big, flags.v as number);
  const got = outcome(() => (unmapping ? cursor.unmapRegion(va.v as never, size.v as never) : cursor.protectRegion(va.v as never, size.v as never, flags.v as never)));
  return { what, refuse, want, got };
}

/** Lookups in every form. */
function callQuery(f: FuzzState, a: FuzzArgs): FuzzCall | null {
  const { rng, page, mask, table, model } = f;
  const { pick, asInput, vaArg, pageVa } = a;
  let refuse = false;
  let want: Outcome<unknown> | null = null; // null: no model answer (checked by other means)
  let got: ReturnType<typeof outcome>;
  let what = '';
  const base = rng.ratio(3, 4) ? { v: 0, refuse: false, big: pageVa() + BigInt(rng.below(Number(page))) } : vaArg(page);
  const form = rng.below(3);
  const p = base.refuse ? undefined : model.containing(base.big & mask);
  const pa = p ? p.pa + ((base.big & mask) - p.va) : -1n;
  if (form === 0) {
    const v = base.refuse ? base.v : asInput(base.big);
    what = `query(${String(v)})`;
    refuse = base.refuse;
    if (!refuse) want = p ? { ok: true, value: { paddr: pa, flags: p.flags, size: Number(p.size) } } : { ok: false, code: 'NotMapped' };
    got = outcome(() => table.query(v as never));
  } else if (form === 1) {
    const v = base.refuse ? base.v : Number(base.big);
    what = `queryNumber(${String(v)})`;
    refuse = base.refuse || base.big >= SAFE || pa >= SAFE;
    if (!refuse) want = { ok: true, value: p ? Number(pa) : -1 };
    got = outcome(() => table.queryNumber(v as never));
  } else {
    const lo = base.refuse ? pick([Number.NaN, 2 ** 32, 1.5, -1]) : Number(base.big & 0xffff_ffffn);
    const hi = base.refuse ? 0 : Number(base.big >> 32n);
    what = `queryWords(${lo}, ${hi})`;
    refuse = base.refuse || pa >= SAFE;
    if (!refuse) want = { ok: true, value: p ? Number(pa) : -1 };
    got = outcome(() => table.queryWords(lo, hi));
  }
  return { what, refuse, want, got };
}

/** CopyFrom: refused for the table itself, junk and a lent entry; else shared, checked against the source. */
function callCopyFrom(f: FuzzState, a: FuzzArgs, i: number): FuzzCall | null {
  const { arch, rng, meta, table, model, cursor, borrowers, where, lent } = f;
  const { pick, pageVa, create, rootTableKey } = a;
  let refuse = false;
  let want: Outcome<unknown> | null = null; // null: no model answer (checked by other means)
  let got: ReturnType<typeof outcome>;
  let what = '';
  const r = rng.below(4);
  const [slot, slotSize] = rootSlot(meta, pageVa());
  if (r === 0) {
    what = 'copyFrom(itself)';
    refuse = true;
    got = outcome(() => cursor.copyFrom(table, slot, slotSize));
  } else if (r === 1) {
    const junk = pick([42, null, {}, undefined, 'table']);
    what = `copyFrom(${String(junk)})`;
    refuse = true;
    got = outcome(() => cursor.copyFrom(junk as never, slot, slotSize));
  } else if (r === 2 || lent.size === 0) {
    // a table of a big root (16 concatenated 16 KiB tables: 256 KiB) may find no room in this small memory
    // beside the others (seed 907 on the 16K/40 stage 2): then making it is what is refused, memory unchanged
    const made: { b: PageTable64 | null } = { b: null };
    what = `borrower.copyFrom(table, ${slot}, ${slotSize})`;
    got = outcome(() => {
      made.b = create();
      made.b.cursor().copyFrom(table, slot, slotSize);
    });
    const b = made.b;
    if (got.ok && b !== null) {
      borrowers.push(b);
      // the table below the slot is lent when there is one: the source keeps it (and stays alive) meanwhile
      if (model.tables.has(rootTableKey(slot))) lent.set(b, slot);
      for (const p of model.sorted()) {
        const v = fromIndex(arch, p.va);
        if (v >= slot && v < slot + slotSize) expect(b.query(v).paddr, where(i, what)).toBe(p.pa);
      }
    } else b?.destroy();
    want = got.ok ? got : null;
  } else {
    what = 'destroy() while lent';
    refuse = true;
    got = outcome(() => table.destroy());
  }
  return { what, refuse, want, got };
}

/** Borrowers go, in any order; then the table may go too, and a new one takes its place. */
function release(f: FuzzState, a: FuzzArgs, i: number): void {
  const { arch, rng, mem, meta, page, table, cursor, borrowers, where, lent } = f;
  const { create } = a;
  if (borrowers.length > 0) {
    const b = borrowers.splice(rng.below(borrowers.length), 1)[0]!;
    b.destroy();
    lent.delete(b);
    return;
  }
  if (!rng.ratio(1, 6)) return;
  cursor.flush(); // frees the tables unlinked since the last flush
  const held = mem.framesInUse;
  const frames = table.frameCount();
  table.destroy();
  expect(mem.framesInUse, where(i, 'destroy')).toBe(held - frames);
  for (const fn of [() => table.query(0), () => cursor.map(0, 0, Number(page) as never, 1), () => table.mappings().next()]) {
    const r = outcome(fn);
    expect(r.ok ? 'ok' : r.code, where(i, 'use after destroy')).toBe('Destroyed');
  }
  f.table = create();
  f.model = new Model(meta, arch.pte, arch.refusedFlags);
  f.cursor = f.table.cursor();
}

/** Walk with hostile limits. */
function callWalk(f: FuzzState, a: FuzzArgs): FuzzCall | null {
  const { table } = f;
  const { pick } = a;
  let refuse = false;
  let what = '';
  const limit = pick<unknown>([Number.POSITIVE_INFINITY, 3, 0, -1, Number.NaN, '5', null]);
  what = `walk(${String(limit)})`;
  refuse = !(typeof limit === 'number' && limit >= 0);
  const got = outcome(() => table.walk(limit as never, () => {}));
  return { what, refuse, want: null, got };
}

/** The call that `op` (0 to 15) draws, or null when it draws nothing to check (a region outside the windows). */
function callOf(f: FuzzState, a: FuzzArgs, i: number, op: number): FuzzCall | null {
  switch (op) {
    case 0:
    case 1:
    case 2:
      return callMap(f, a);
    case 3:
      return callUnmap(f, a);
    case 4:
      return callProtect(f, a);
    case 5:
      return callRemap(f, a);
    case 6:
    case 7:
      return callMapRegion(f, a, i);
    case 8:
    case 9:
      return callRange(f, a);
    case 10:
    case 11:
      return callQuery(f, a);
    case 12:
      return callCopyFrom(f, a, i);
    default:
      return callWalk(f, a);
  }
}

/**
 * After call i: a failure is a library error that changed no byte and no frame; a refused call failed and the model
 * goes back to `saved` (as after an injected allocation failure); else the table answered what the model says.
 */
function checkCall(f: FuzzState, a: FuzzArgs, i: number, call: FuzzCall, before: Uint8Array, framesBefore: number, saved: Model): void {
  const { where, mem, lent } = f;
  const { what, refuse, want, got } = call;
  // a lent table is never reclaimed while lent
  for (const slot of lent.values()) f.model.tables.add(a.rootTableKey(slot));
  if (!got.ok) {
    if (!isLibraryError(got.err)) throw new Error(`${where(i, what)}: not a library error: ${String(got.err)}`, { cause: got.err });
    expect(Buffer.compare(mem.bytes(), before), where(i, `${what} failed (${got.code}) and changed memory`)).toBe(0);
    expect(mem.framesInUse, where(i, `${what} failed and changed the frame count`)).toBe(framesBefore);
  }
  if (refuse) {
    expect(got.ok, where(i, `${what} must be refused`)).toBe(false);
    f.model = saved;
  } else if (!got.ok && got.code === 'NoMemory') {
    f.model = saved; // the injected allocation failure: nothing changed (checked above)
  } else if (want !== null) {
    const { err: _e, ...plain } = got;
    expect(plain, where(i, what)).toEqual(want);
  }
}

/** Every 16 calls and after the last: the listing, the table count and the frames are the model's. */
function checkTotals(f: FuzzState, i: number): void {
  const { where, mem, mask, table, model, cursor, borrowers } = f;
  const listed = [...table.mappings()].map((m) => ({ va: m.vaddr & mask, pa: m.paddr, size: BigInt(m.size), flags: m.flags }));
  expect(listed, where(i, 'mappings')).toEqual(model.sorted().map(({ va, pa, size, flags }) => ({ va, pa, size, flags })));
  cursor.flush();
  expect(table.tableCount(), where(i, 'tables')).toBe(model.tableCount() + 1);
  const borrowed = borrowers.reduce((n, b) => n + b.frameCount(), 0);
  expect(mem.framesInUse, where(i, 'frames')).toBe(table.frameCount() + borrowed);
}

function fuzz(arch: ArchCase, seed: bigint, ops: number): void {
  const f: FuzzState = fuzzState(arch, seed, ops);
  const a = fuzzArgs(f);
  const { rng, mem, borrowers } = f;
  for (let i = 0; i < ops; i++) {
    const before = mem.bytes().slice();
    const framesBefore = mem.framesInUse;
    const saved = f.model.clone();
    mem.failEvery = rng.ratio(1, 8) ? 1 + rng.below(4) : 0;
    const op = rng.below(16);
    if (op === 13) {
      release(f, a, i);
      continue;
    }
    const call = callOf(f, a, i, op);
    if (call === null) continue;
    mem.failEvery = 0;
    checkCall(f, a, i, call, before, framesBefore, saved);
    if (i % 16 === 15 || i === ops - 1) checkTotals(f, i);
  }
  for (const b of borrowers) b.destroy();
  f.cursor.flush();
  f.table.destroy();
  expect(mem.framesInUse, `${arch.name} seed ${seed}: frames left after every table was destroyed`).toBe(0);
}
/** The range of the root entry that holds `va`: its first address and size. */
function rootSlot(meta: ArchCase['meta'], va: bigint): [bigint, bigint] {
  const size = BigInt(meta.levelSize[0]!);
  return [(va / size) * size, size];
}

/** A model address (index space) in the form the table takes: back into the window that holds it. */
function fromIndex(arch: ArchCase, iva: bigint): bigint {
  const mask = (1n << BigInt(arch.meta.vaMaxBits)) - 1n;
  const win = arch.windows.find((w) => (w.base & mask) <= iva && iva < (w.base & mask) + w.size)!;
  return win.base + (iva - (win.base & mask));
}

describe.each(ARCHES.map((a) => [a.name, a] as const))('API fuzzer: %s', (_name, arch) => {
  it.each(SEEDS.map((s) => [s]))(`seed %s: ${OPS} calls, each as the model says or refused with nothing changed`, (seed) => {
    fuzz(arch, seed, OPS);
  }, 600_000);
});

// Every (table type, seed, calls) that ever failed stays here and runs in CI.
const FOUND: readonly [string, bigint, number, string][] = [
  ['aarch64', 6n, 1000, 'a destroy with tables still queued for freeing (the check counted them)'],
  ['aarch64-stage2-16k40', 907n, 400, "no room for a borrower's 256 KiB root (the fuzzer threw instead of counting a refusal)"],
];
describe('API fuzzer: cases that failed once', () => {
  it.each(FOUND.map(([name, seed, ops, what]) => [name, seed, ops, what] as const))('%s seed %s, %s calls: %s', (name, seed, ops) => {
    fuzz(ARCHES.find((a) => a.name === name)!, seed, ops);
  }, 600_000);
});
