// core's Tlb over RiscvMmu, against the privileged spec (20211203): 4.2.1 (SFENCE.VMA: which entries each rs1 / rs2
// form removes; an invalid rs1 is a no-op), 4.3.1 (G: global mappings; G in a pointer makes the mappings below it
// global), 4.3.2 steps 5-7 (permissions re-checked with the current SUM / MXR; a store to a page whose D is clear
// sets it, Svadu, or faults, Svade), 4.1.11 (satp.ASID; writing satp flushes nothing). One case per
// rule here; the seeded model-based test and the stale-entry test are the shared suite's (test/tlb-model.test.ts).
import { Access, type AccessKind, MappingFlags, MmuCode, PageSize, PhysicalMemory, Privilege, Tlb } from '@page-table-multiarch/core';
import { encodeRiscvSatp, RiscvMmu, type RiscvMmuOptions, Sv39PageTable, sfenceVma, writeSatp } from '@page-table-multiarch/riscv';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
const { USER: U_MODE, SUPERVISOR: S_MODE } = Privilege;
const RAM = 0x8000_0000n;
// PTE bits [Priv 4.3.1]
const G = 1n << 5n;
const D = 1n << 7n;

/** Physical address of the leaf entry that maps `va` in the Sv39 table at `root` (VPN[2..0]: bits 38:30, 29:21, 20:12). */
function leafEntry(memory: PhysicalMemory, root: bigint, va: bigint): bigint | undefined {
  let table = root;
  for (let level = 0; level < 3; level++) {
    const at = table + ((va >> BigInt(30 - 9 * level)) & 511n) * 8n;
    const pte = memory.readU64(at);
    if ((pte & 1n) === 0n) return undefined;
    if ((pte & 0xen) !== 0n) return at;
    table = ((pte >> 10n) & ((1n << 44n) - 1n)) << 12n;
  }
  return undefined;
}

function setBits(memory: PhysicalMemory, at: bigint, set: bigint, clear = 0n): void {
  memory.writeU64(at, (memory.readU64(at) & ~clear) | set);
}

function setup(mmuOptions: Partial<RiscvMmuOptions> = {}, tlbOptions = { entries: 64, ways: 4 }) {
  const memory = new PhysicalMemory({ size: 4 << 20, base: RAM });
  const table = new Sv39PageTable(memory);
  const cursor = table.cursor();
  cursor.map(0x1000n, 0x1_0000_1000n, PageSize.Size4K, READ | WRITE | USER);
  cursor.map(0x2000n, 0x1_0000_2000n, PageSize.Size4K, READ | WRITE);
  cursor.map(0x20_0000n, 0x1_0020_0000n, PageSize.Size2M, READ | EXECUTE);
  cursor.flush();
  const mmu = new RiscvMmu(memory, { satp: encodeRiscvSatp(table, { asid: 1 }).satp, svadu: true, ...mmuOptions });
  const tlb = new Tlb(mmu, tlbOptions);
  tlb.asid = mmu.asid;
  return { memory, table, mmu, tlb };
}

describe('Tlb over RiscvMmu: one case per rule', () => {
  it('a miss walks and fills; the next access to the page is a hit with the same answer', () => {
    const { tlb, mmu } = setup();
    expect(tlb.translateNumber(0x1234, Access.READ, U_MODE)).toBe(0x1_0000_1234);
    expect([tlb.hits, tlb.misses, tlb.walks]).toEqual([0, 1, 1]);
    expect(tlb.translateNumber(0x1ff8, Access.WRITE, U_MODE)).toBe(0x1_0000_1ff8);
    expect([tlb.hits, tlb.misses, tlb.walks]).toEqual([1, 1, 1]);
    // the hit reports what the walk reports
    mmu.translateNumber(0x1ff8, Access.WRITE, U_MODE);
    expect([tlb.pageSize, tlb.level, tlb.permissions, tlb.faultCode]).toEqual([mmu.pageSize, mmu.level, mmu.permissions, 0]);
    expect(tlb.permissions).toBe(READ | WRITE | USER);
  });

  it('one entry covers a whole 2M page', () => {
    const { tlb } = setup();
    expect(tlb.translateNumber(0x20_0000, Access.READ, S_MODE)).toBe(0x1_0020_0000);
    for (const off of [0x1000, 0x10_0000, 0x1f_fff8]) {
      expect(tlb.translateNumber(0x20_0000 + off, Access.EXECUTE, S_MODE)).toBe(0x1_0020_0000 + off);
    }
    expect([tlb.hits, tlb.misses, tlb.pageSize, tlb.level]).toEqual([3, 1, 0x20_0000, 1]);
  });

  it('a fault comes from a walk, with the model syndrome, and caches nothing', () => {
    const { tlb, mmu } = setup();
    expect(tlb.translateNumber(0x5000, Access.READ, S_MODE)).toBe(MmuCode.NotPresent);
    expect(tlb.translateNumber(0x5000, Access.READ, S_MODE)).toBe(MmuCode.NotPresent);
    expect([tlb.hits, tlb.misses, mmu.cause]).toEqual([0, 2, 13]);
    expect(tlb.translate(0x5000n, Access.WRITE, S_MODE)).toEqual({ ok: false, kind: 'NotPresent', level: 2, vaddr: 0x5000n, syndrome: { cause: 15, tval: 0x5000n } });
  });

  it('permissions are re-checked on every hit with the current privilege and SUM / MXR (steps 5, 3.1.6.3)', () => {
    const { tlb, mmu } = setup();
    expect(tlb.translateNumber(0x1000, Access.READ, U_MODE)).toBe(0x1_0000_1000);
    // S-mode on a U page: a fault without SUM, from the walk (no hit counted)
    expect(tlb.translateNumber(0x1000, Access.READ, S_MODE)).toBe(MmuCode.Permission);
    expect([tlb.hits, tlb.walks]).toEqual([0, 2]);
    mmu.sum = true;
    expect(tlb.translateNumber(0x1000, Access.READ, S_MODE)).toBe(0x1_0000_1000);
    expect(tlb.hits).toBe(1);
    // never an S-mode fetch from a U page, SUM or not
    expect(tlb.translateNumber(0x1000, Access.EXECUTE, S_MODE)).toBe(MmuCode.Permission);
    // MXR: loads from an executable page that is not readable (none here is X-only: make one)
    mmu.sum = false;
    expect(tlb.translateNumber(0x20_0000, Access.WRITE, S_MODE)).toBe(MmuCode.Permission);
  });

  it('MXR reaches an X-only page that is cached', () => {
    const { tlb, mmu, memory, table } = setup();
    setBits(memory, leafEntry(memory, table.rootPaddr, 0x20_0000n)!, 0n, 2n); // clear R: X only
    expect(tlb.translateNumber(0x20_0000, Access.EXECUTE, S_MODE)).toBe(0x1_0020_0000);
    expect(tlb.translateNumber(0x20_0000, Access.READ, S_MODE)).toBe(MmuCode.Permission);
    mmu.mxr = true;
    const hits = tlb.hits;
    expect(tlb.translateNumber(0x20_0008, Access.READ, S_MODE)).toBe(0x1_0020_0008);
    expect(tlb.hits).toBe(hits + 1);
    expect(tlb.permissions).toBe(READ | EXECUTE);
  });

  it('a store to a page cached with D = 0 walks and sets D (Svadu), then hits', () => {
    const { tlb, memory, table } = setup();
    const leaf = leafEntry(memory, table.rootPaddr, 0x2000n)!;
    setBits(memory, leaf, 0n, D);
    expect(tlb.translateNumber(0x2000, Access.READ, S_MODE)).toBe(0x1_0000_2000);
    expect(memory.readU64(leaf) & D).toBe(0n); // a load leaves D as it is
    expect(tlb.translateNumber(0x2008, Access.WRITE, S_MODE)).toBe(0x1_0000_2008);
    expect([tlb.hits, tlb.misses, tlb.walks]).toEqual([0, 1, 2]);
    expect(memory.readU64(leaf) & D).toBe(D);
    expect(tlb.translateNumber(0x2010, Access.WRITE, S_MODE)).toBe(0x1_0000_2010);
    expect([tlb.hits, tlb.walks]).toEqual([1, 2]);
  });

  it('a store to a page cached with D = 0 faults under Svade (step 7), every time', () => {
    const { tlb, memory, table, mmu } = setup({ svadu: false });
    const leaf = leafEntry(memory, table.rootPaddr, 0x2000n)!;
    setBits(memory, leaf, 0n, D);
    expect(tlb.translateNumber(0x2000, Access.READ, S_MODE)).toBe(0x1_0000_2000);
    expect(tlb.translateNumber(0x2000, Access.WRITE, S_MODE)).toBe(MmuCode.Dirty);
    expect(mmu.cause).toBe(15);
    expect(tlb.translateNumber(0x2000, Access.WRITE, S_MODE)).toBe(MmuCode.Dirty);
    expect(memory.readU64(leaf) & D).toBe(0n);
    expect(tlb.translateNumber(0x2000, Access.READ, S_MODE)).toBe(0x1_0000_2000);
    expect(tlb.hits).toBe(1);
  });

  it('entries are tagged with the ASID; a global one (G in the leaf or a pointer above it) matches every ASID', () => {
    const { tlb, memory, table } = setup();
    const other = new Sv39PageTable(memory); // ASID 2: nothing mapped
    const satp1 = encodeRiscvSatp(table, { asid: 1 }).satp;
    const satp2 = encodeRiscvSatp(other, { asid: 2 }).satp;
    setBits(memory, leafEntry(memory, table.rootPaddr, 0x2000n)!, G);
    expect(tlb.translateNumber(0x1000, Access.READ, U_MODE)).toBe(0x1_0000_1000); // ASID 1's
    expect(tlb.translateNumber(0x2000, Access.READ, S_MODE)).toBe(0x1_0000_2000); // global
    writeSatp(tlb, satp2);
    expect(tlb.asid).toBe(2);
    expect(tlb.translateNumber(0x2000, Access.READ, S_MODE)).toBe(0x1_0000_2000); // still cached
    expect(tlb.hits).toBe(1);
    expect(tlb.translateNumber(0x1000, Access.READ, U_MODE)).toBe(MmuCode.NotPresent); // ASID 1's: not seen
    writeSatp(tlb, satp1);
    expect(tlb.translateNumber(0x1000, Access.READ, U_MODE)).toBe(0x1_0000_1000); // back in ASID 1: a hit
    expect(tlb.hits).toBe(2);
    // G in the root's pointer: every mapping below it is global [Priv 4.3.1]
    setBits(memory, table.rootPaddr, G);
    sfenceVma(tlb);
    expect(tlb.translateNumber(0x20_0000, Access.READ, S_MODE)).toBe(0x1_0020_0000);
    writeSatp(tlb, satp2);
    expect(tlb.translateNumber(0x20_0008, Access.READ, S_MODE)).toBe(0x1_0020_0008);
    expect(tlb.hits).toBe(3);
    // and a pointer without G leaves the leaves below it as they are (none of 0x1000's is global)
    expect(tlb.translateNumber(0x1000, Access.READ, U_MODE)).toBe(MmuCode.NotPresent);
  });

  it('SFENCE.VMA: an rs1 that is not a valid Sv39 address removes nothing; rs2 bits above 15 are ignored (4.2.1)', () => {
    const { tlb } = setup();
    tlb.translateNumber(0x2000, Access.READ, S_MODE);
    sfenceVma(tlb, 0x0000_0040_0000_2000n); // bit 38 set, bits 63:39 clear: not canonical
    tlb.translateNumber(0x2000, Access.READ, S_MODE);
    expect(tlb.hits).toBe(1);
    sfenceVma(tlb, 0x2000n, (1n << 16n) | 1n); // ASID 1
    tlb.translateNumber(0x2000, Access.READ, S_MODE);
    expect([tlb.hits, tlb.misses]).toEqual([1, 2]);
  });

  it('a cursor connected with flushHook invalidates what it changes, when it flushes', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const mmu = new RiscvMmu(memory, { satp: 0n, svadu: true }); // Bare until the table exists
    const tlb = new Tlb(mmu);
    const table = new Sv39PageTable(memory, { flushTlb: tlb.flushHook() });
    const cursor = table.cursor();
    cursor.map(0x3000n, 0x1_0000_3000n, PageSize.Size4K, READ | WRITE);
    cursor.flush();
    writeSatp(tlb, encodeRiscvSatp(table).satp);
    expect(tlb.translateNumber(0x3008, Access.READ, S_MODE)).toBe(0x1_0000_3008);
    cursor.remap(0x3000n, 0x1_0000_7000n, READ);
    expect(tlb.translateNumber(0x3008, Access.READ, S_MODE)).toBe(0x1_0000_3008); // not flushed yet: stale
    cursor.flush();
    expect(tlb.translateNumber(0x3008, Access.READ, S_MODE)).toBe(0x1_0000_7008);
    cursor.unmap(0x3000n);
    cursor.flush();
    expect(tlb.translateNumber(0x3008, Access.READ, S_MODE)).toBe(MmuCode.NotPresent);
  });

  it('Bare translations are not cached (no table was read)', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const tlb = new Tlb(new RiscvMmu(memory, { satp: 0n }));
    expect(tlb.translateNumber(0x1234, Access.WRITE, U_MODE)).toBe(0x1234);
    expect(tlb.translateNumber(0x1234, Access.WRITE, U_MODE)).toBe(0x1234);
    expect([tlb.hits, tlb.misses]).toEqual([0, 2]);
  });

  it('bad arguments are typed errors that leave the TLB as it was', () => {
    const { tlb, mmu } = setup();
    expect(() => new Tlb(mmu, { entries: 48 })).toThrow(RangeError);
    expect(() => new Tlb(mmu, { entries: 16, ways: 32 })).toThrow(RangeError);
    expect(() => new Tlb(mmu, { ways: 3 })).toThrow(RangeError);
    tlb.translateNumber(0x2000, Access.READ, S_MODE);
    const before = tlb._data.slice();
    expect(() => tlb.invalidate({ asid: -1, global: true })).toThrow(RangeError);
    expect(() => tlb.invalidate({ vaddr: -5, global: true })).toThrow(/InvalidAddress|non-negative/);
    expect(() => tlb.invalidate({ vaddr: 'x' as unknown as number, global: true })).toThrow(TypeError);
    expect(() => sfenceVma(tlb, 1n << 64n)).toThrow(/2\^64/);
    expect(() => tlb.flushHook(1.5)).toThrow(RangeError);
    expect(() => tlb.translateNumber(-1, Access.READ, S_MODE)).toThrow(RangeError);
    expect(() => tlb.translateNumber(0x2000, 3 as AccessKind, S_MODE)).toThrow(RangeError);
    expect(() => writeSatp(tlb, 5n << 60n)).toThrow(); // a reserved MODE: satp and ASID unchanged
    expect(tlb.asid).toBe(1);
    expect(tlb._data).toEqual(before);
    expect(tlb.translateNumber(0x2000, Access.READ, S_MODE)).toBe(0x1_0000_2000);
    expect(tlb.hits).toBe(1);
  });
});

// The model-based test (random changes, every SFENCE.VMA form, ASID switches) and the stale-entry test run over
// every TlbWalker model at once: test/tlb-model.test.ts at the repository's root.

/** Whether the first-level table of `tlb` (what translateNumber answers from inline) holds the 4 KiB page of `va`. */
function held(tlb: Tlb<unknown>, va: number): boolean {
  const page = Math.floor(va / 4096);
  // the ways of a slot are side by side
  const ways = tlb._fastTags.length / (tlb._fastMask + 1);
  return tlb._fastTags.subarray((page & tlb._fastMask) * ways, ((page & tlb._fastMask) + 1) * ways).includes(page);
}

/** Three reads of the page of `va` at `privilege`: a walk, a hit of the entries (which fills the table), a hit of the table. */
function warm(tlb: Tlb<unknown>, va: number, privilege: 0 | 1, access: AccessKind = Access.READ): void {
  for (let i = 0; i < 3; i++) tlb.translateNumber(va + 8 * i, access, privilege);
  expect(held(tlb, va)).toBe(true);
}

describe('Tlb over RiscvMmu: the first-level table in front of the entries', () => {
  it('SUM cleared between two hits, with no fence, refuses the next S-mode load at once; set again, the table serves it', () => {
    const { tlb, mmu } = setup({ sum: true });
    warm(tlb, 0x1000, S_MODE);
    const before = [tlb.hits, tlb.walks];
    mmu.sum = false;
    expect(tlb.translateNumber(0x1100, Access.READ, S_MODE)).toBe(MmuCode.Permission);
    expect(mmu.cause).toBe(13);
    expect([tlb.hits, tlb.walks]).toEqual([before[0], before[1]! + 1]);
    // U-mode loads of the same page are not SUM's business
    expect(tlb.translateNumber(0x1100, Access.READ, U_MODE)).toBe(0x1_0000_1100);
    mmu.sum = true;
    const hits = tlb.hits;
    expect(tlb.translateNumber(0x1108, Access.READ, S_MODE)).toBe(0x1_0000_1108);
    expect([tlb.hits, tlb.walks]).toEqual([hits + 1, before[1]! + 1]);
  });

  it('MXR cleared between two hits refuses the next load from an X-only page at once', () => {
    const { tlb, mmu, memory, table } = setup({ mxr: true });
    setBits(memory, leafEntry(memory, table.rootPaddr, 0x20_0000n)!, 0n, 2n); // clear R: X only
    warm(tlb, 0x20_3000, S_MODE);
    expect(tlb.permissions).toBe(READ | EXECUTE);
    mmu.mxr = false;
    expect(tlb.translateNumber(0x20_3000, Access.READ, S_MODE)).toBe(MmuCode.Permission);
    expect(tlb.translateNumber(0x20_3000, Access.EXECUTE, S_MODE)).toBe(0x1_0020_3000);
    expect(tlb.permissions).toBe(EXECUTE);
  });

  it('a store to a clean page the table holds walks and sets D; the refreshed entry then serves stores', () => {
    const { tlb, memory, table } = setup();
    const leaf = leafEntry(memory, table.rootPaddr, 0x2000n)!;
    setBits(memory, leaf, 0n, D);
    warm(tlb, 0x2000, S_MODE);
    expect([tlb.hits, tlb.misses, tlb.walks]).toEqual([2, 1, 1]);
    expect(tlb.translateNumber(0x2ff8, Access.WRITE, S_MODE)).toBe(0x1_0000_2ff8);
    expect(memory.readU64(leaf) & D).toBe(D);
    expect([tlb.hits, tlb.misses, tlb.walks]).toEqual([2, 1, 2]);
    // the entry the walk replaced took its slot with it; two stores later the table serves stores
    expect(held(tlb, 0x2000)).toBe(false);
    for (let i = 0; i < 2; i++) expect(tlb.translateNumber(0x2010, Access.WRITE, S_MODE)).toBe(0x1_0000_2010);
    expect(held(tlb, 0x2000)).toBe(true);
    expect([tlb.hits, tlb.walks]).toEqual([4, 2]);
  });

  it('a switch of satp.ASID leaves the table: the other address space walks; back, its entries serve again', () => {
    const { tlb, memory, table } = setup();
    const other = new Sv39PageTable(memory);
    other.cursor().map(0x1000n, 0x1_0000_9000n, PageSize.Size4K, READ | WRITE | USER);
    warm(tlb, 0x1000, U_MODE);
    writeSatp(tlb, encodeRiscvSatp(other, { asid: 2 }).satp);
    expect(tlb.translateNumber(0x1000, Access.READ, U_MODE)).toBe(0x1_0000_9000);
    expect(tlb.translateNumber(0x1000, Access.READ, U_MODE)).toBe(0x1_0000_9000);
    writeSatp(tlb, encodeRiscvSatp(table, { asid: 1 }).satp);
    const walks = tlb.walks;
    expect(tlb.translateNumber(0x1000, Access.READ, U_MODE)).toBe(0x1_0000_1000);
    expect(tlb.walks).toBe(walks);
  });

  it('an entry evicted from its set takes its slot of the table with it (the counters stay those of the entries)', () => {
    const { tlb, table } = setup({}, { entries: 16, ways: 4 });
    // five pages of one set (4 sets: page numbers 16 apart), in four different slots of the 64-slot table but the last
    const pages = [0, 1, 2, 3, 4].map((k) => 0x100_0000 + k * 0x1_0000);
    const c = table.cursor();
    for (const [k, va] of pages.entries()) c.map(BigInt(va), 0x1_1000_0000n + BigInt(k) * 0x1000n, PageSize.Size4K, READ | WRITE);
    c.flush();
    for (const va of pages.slice(0, 4)) warm(tlb, va, S_MODE);
    expect([tlb.misses, tlb.hits]).toEqual([4, 8]);
    // the fifth page replaces the set's oldest entry, the first page's
    expect(tlb.translateNumber(pages[4]!, Access.READ, S_MODE)).toBe(0x1_1000_4000);
    expect(held(tlb, pages[0]!)).toBe(false);
    expect(tlb.translateNumber(pages[0]!, Access.READ, S_MODE)).toBe(0x1_1000_0000);
    expect([tlb.misses, tlb.hits]).toEqual([6, 8]);
  });

  it('an address that is not a non-negative integer is refused as by the model, even where the table holds its page', () => {
    const { tlb, mmu } = setup();
    warm(tlb, 0x1000, U_MODE);
    for (const bad of [4096.5, -0x1000, 2 ** 53]) {
      expect(() => tlb.translateNumber(bad, Access.READ, U_MODE)).toThrow(RangeError);
      expect(() => mmu.translateNumber(bad, Access.READ, U_MODE)).toThrow(RangeError);
    }
    expect(() => tlb.translateNumber(0x1000, 3 as AccessKind, U_MODE)).toThrow(RangeError);
    expect(() => tlb.translateNumber(0x1000, Access.READ, 2 as 0)).toThrow(RangeError);
  });
});

describe('Tlb over RiscvMmu: satp', () => {
  it('a satp write with the same ASID and another root flushes nothing: the old entries answer until a fence', () => {
    const { tlb, memory } = setup();
    const other = new Sv39PageTable(memory);
    other.cursor().map(0x1000n, 0x1_0000_5000n, PageSize.Size4K, READ | USER);
    tlb.translateNumber(0x1000, Access.READ, U_MODE);
    writeSatp(tlb, encodeRiscvSatp(other, { asid: 1 }).satp);
    expect(tlb.translateNumber(0x1000, Access.READ, U_MODE)).toBe(0x1_0000_1000);
    sfenceVma(tlb, undefined, 1);
    expect(tlb.translateNumber(0x1000, Access.READ, U_MODE)).toBe(0x1_0000_5000);
  });
});
