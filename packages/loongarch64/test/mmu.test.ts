// LA64Mmu against the LoongArch Reference Manual, Volume 1 (v1.10): 5.4.2 / 5.4.4 (V, NR, NX, PLV / RPLV, D and the
// exceptions they raise), 5.4.5 (huge-page entries in directories), 5.2.1 / 7.5.10 (direct mapping windows),
// 2.1.5 (VALEN 48, ADE), 7.4.5 (Ecode / EsubCode), 7.5.8 / 7.5.9 (PWCL / PWCH). Two parts: one case per rule, on
// entries written bit by bit; and a seeded property over random tables built through the API, where every outcome
// must follow from what `query` says of the same address (a separate walk) and the manual's rules for its flags.
import { Access, type AccessKind, faultKindOf, MappingFlags, type MappingInfo, PageSize, PagingError, PhysicalMemory, Privilege, type PrivilegeLevel, RegisterError } from '@page-table-multiarch/core';
import { LA64Ecode, LA64Mmu, LA64PageTable, LA64PageTable16K3, LA64PageTable64K2, LA64PageTable64K3, la64Geometry, PWCH_VALUE, PWCL_VALUE } from '@page-table-multiarch/loongarch64';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
const { USER: PLV3, SUPERVISOR: PLV0 } = Privilege;
const bit = (n: number): bigint => 1n << BigInt(n);
// Entry bits (5.4.2, 7.5.3): V 0, D 1, PLV 3:2, MAT 5:4 (1: coherent cached), NR 61, NX 62, RPLV 63.
const V = bit(0);
const D = bit(1);
const PLV_3 = 3n << 2n;
const MAT_CC = 1n << 4n;
const NR = bit(61);
const NX = bit(62);
const RPLV = bit(63);

/**
 * The physical address of the entry of `va` at `level` (0 = root), found from the root by the index fields of
 * PWCL_VALUE / PWCH_VALUE (Dir3 bits 47:39, Dir2 38:30, Dir1 29:21, PT 20:12); directory entries are plain table
 * addresses (4.2.5.1).
 */
function entryAt(memory: PhysicalMemory, root: bigint, va: bigint, level: number): bigint {
  let table = root;
  for (let l = 0; ; l++) {
    const at = table + ((va >> BigInt(39 - 9 * l)) & 511n) * 8n;
    if (l === level) return at;
    table = memory.readU64(at) & 0xffff_ffff_f000n;
  }
}

/**
 * A memory at physical 0 whose frame 0 stays zero: an empty directory entry points LDDIR at a table at physical 0
 * (4.2.5.1), which must read as empty (the package README says so).
 */
function zeroFrameMemory(size: number, zeroBytes = 4096): PhysicalMemory {
  const memory = new PhysicalMemory({ size, base: 0n });
  memory.reserve(0n, zeroBytes);
  return memory;
}

/** A table with one 4K page at 0x1000 (data at physical 0x40_0000), and the address of its entry. */
function fixture() {
  const memory = zeroFrameMemory(8 << 20);
  const table = new LA64PageTable(memory);
  using cursor = table.cursor();
  cursor.map(0x1000n, 0x40_0000n, PageSize.Size4K, READ | WRITE);
  const entryAddr = entryAt(memory, table.rootPaddr, 0x1000n, 3);
  const mmu = new LA64Mmu(memory, { pgdl: table.rootPaddr, pgdh: table.rootPaddr });
  return { memory, table, mmu, entryAddr };
}

describe('LA64Mmu: one case per rule of the manual', () => {
  // want: 'ok' or '<FaultKind> <Ecode>'
  type Case = [name: string, entry: bigint, access: AccessKind, privilege: PrivilegeLevel, want: string];
  const cases: Case[] = [
    ['PLV0 load from a PLV0 page', V | MAT_CC, Access.READ, PLV0, 'ok'],
    ['V = 0: PIL on a load (5.4.4)', D | MAT_CC, Access.READ, PLV0, 'NotPresent 1'],
    ['V = 0: PIS on a store', D | MAT_CC, Access.WRITE, PLV0, 'NotPresent 2'],
    ['V = 0: PIF on a fetch', D | MAT_CC, Access.EXECUTE, PLV0, 'NotPresent 3'],
    ['NR: PNR on a load', V | D | NR, Access.READ, PLV0, 'Permission 5'],
    ['NR: a store still succeeds', V | D | NR, Access.WRITE, PLV0, 'ok'],
    ['NX: PNX on a fetch', V | NX, Access.EXECUTE, PLV0, 'Permission 6'],
    ['NX: a load still succeeds', V | NX, Access.READ, PLV0, 'ok'],
    ['D = 0: PME on a store', V, Access.WRITE, PLV0, 'Dirty 4'],
    ['PLV3 load from a PLV0 page: PPI', V | D, Access.READ, PLV3, 'Permission 7'],
    ['PLV3 load from a PLV3 page', V | PLV_3, Access.READ, PLV3, 'ok'],
    ['PLV0 load from a PLV3 page (RPLV = 0: any level up to 3)', V | PLV_3, Access.READ, PLV0, 'ok'],
    ['PLV0 load from a PLV3 page with RPLV = 1: PPI', V | PLV_3 | RPLV, Access.READ, PLV0, 'Permission 7'],
    ['PLV3 load from a PLV3 page with RPLV = 1', V | PLV_3 | RPLV, Access.READ, PLV3, 'ok'],
    // the order of the checks: V before NR, NX before the privilege, the privilege before D
    ['V = 0 and NR: PIL first', NR, Access.READ, PLV0, 'NotPresent 1'],
    ['NX and a wrong PLV: PNX first', V | NX, Access.EXECUTE, PLV3, 'Permission 6'],
    ['a wrong PLV and D = 0: PPI first', V, Access.WRITE, PLV3, 'Permission 7'],
  ];
  for (const [name, entry, access, privilege, want] of cases) {
    it(name, () => {
      const { memory, mmu, entryAddr } = fixture();
      memory.writeU64(entryAddr, 0x40_0000n | entry);
      const r = mmu.translate(0x1008n, access, privilege);
      if (want === 'ok') {
        expect(r).toMatchObject({ ok: true, paddr: 0x40_0008n, size: 4096, level: 3 });
      } else {
        const [kind, ecode] = want.split(' ');
        expect(r).toMatchObject({ ok: false, kind, level: 3, vaddr: 0x1008n, syndrome: { ecode: Number(ecode), esubcode: 0, badv: 0x1008n } });
      }
    });
  }

  it('reports what the entry allows: READ unless NR, WRITE with D, EXECUTE unless NX, USER with PLV 3', () => {
    const { memory, mmu, entryAddr } = fixture();
    memory.writeU64(entryAddr, 0x40_0000n | V | PLV_3 | NX);
    expect(mmu.translate(0x1000n, Access.READ, PLV3)).toMatchObject({ ok: true, permissions: READ | USER });
    memory.writeU64(entryAddr, 0x40_0000n | V | D | NR);
    expect(mmu.translate(0x1000n, Access.WRITE, PLV0)).toMatchObject({ ok: true, permissions: WRITE | EXECUTE });
  });

  it('an address not sign-extended from bit 47 is ADE: EsubCode ADEF on a fetch, ADEM otherwise (2.1.5, 7.4.5)', () => {
    const { mmu } = fixture();
    const va = 0x0000_8000_0000_1000n; // bit 47 set, bits 63:48 clear
    expect(mmu.translate(va, Access.READ, PLV0)).toMatchObject({ ok: false, kind: 'NonCanonical', level: -1, syndrome: { ecode: LA64Ecode.ADE, esubcode: 1, badv: va } });
    expect(mmu.translate(va, Access.EXECUTE, PLV0)).toMatchObject({ ok: false, kind: 'NonCanonical', syndrome: { ecode: 8, esubcode: 0 } });
  });

  it('an unmapped address faults at the level whose entry is empty, through the zero table LDDIR reads at 0', () => {
    const { mmu, memory, table } = fixture();
    const r = mmu.translate(0x7f00_0000_0000n, Access.READ, PLV0);
    expect(r).toMatchObject({ ok: false, kind: 'NotPresent', level: 3, syndrome: { ecode: LA64Ecode.PIL } });
    // without physical 0 in the memory, the zero table reads as zeros: the same fault, not an external abort
    const high = new PhysicalMemory({ size: 4 << 20, base: 0x100_0000n });
    const t2 = new LA64PageTable(high);
    using c = t2.cursor();
    c.map(0x1000n, 0x40_0000n, PageSize.Size4K, READ);
    const m2 = new LA64Mmu(high, { pgdl: t2.rootPaddr });
    expect(m2.translate(0x7f00_0000_0000n, Access.READ, PLV0)).toMatchObject({ ok: false, kind: 'NotPresent', level: 3 });
    expect(m2.translate(0x1000n, Access.READ, PLV0)).toMatchObject({ ok: true, paddr: 0x40_0000n });
    expect(memory.readU64(0n)).toBe(0n);
    expect(table.query(0x1000n).paddr).toBe(0x40_0000n);
  });

  it('a table pointer outside the memory is an external abort (no Ecode: the manual defines none)', () => {
    const { memory, table, mmu } = fixture();
    // the root's entry 0 (Dir3 index of VA 0x1000) pointed past the memory's end
    memory.writeU64(table.rootPaddr, 0x1_0000_0000n);
    expect(mmu.translate(0x1000n, Access.READ, PLV0)).toMatchObject({ ok: false, kind: 'ExternalAbort', level: 1, syndrome: { ecode: -1 } });
  });

  it('huge pages in directory entries: 2 MiB and 1 GiB, G in bit 12 not part of the address (5.4.5)', () => {
    const memory = zeroFrameMemory(8 << 20);
    const table = new LA64PageTable(memory);
    using c = table.cursor();
    c.map(0x20_0000n, 0x60_0000n, PageSize.Size2M, READ | WRITE | EXECUTE);
    c.map(0x4000_0000n, 0x8000_0000n, PageSize.Size1G, READ | USER);
    const mmu = new LA64Mmu(memory, { pgdl: table.rootPaddr });
    expect(mmu.translate(0x2f_ffffn, Access.WRITE, PLV0)).toMatchObject({ ok: true, paddr: 0x6f_ffffn, size: 2 << 20, level: 2 });
    expect(mmu.translate(0x7654_3210n, Access.READ, PLV3)).toMatchObject({ ok: true, paddr: 0xb654_3210n, size: 1 << 30, level: 1 });
    expect(mmu.translate(0x7654_3210n, Access.WRITE, PLV3)).toMatchObject({ ok: false, kind: 'Dirty', syndrome: { ecode: LA64Ecode.PME } });
    // G of a huge entry is bit 12: setting it moves no address bit
    const huge = entryAt(memory, table.rootPaddr, 0x20_0000n, 2);
    memory.writeU64(huge, memory.readU64(huge) | bit(12));
    expect(mmu.translateNumber(0x20_1000, Access.READ, PLV0)).toBe(0x60_1000);
  });

  it('the upper half walks from PGDH', () => {
    const memory = zeroFrameMemory(8 << 20);
    const lower = new LA64PageTable(memory);
    const upper = new LA64PageTable(memory);
    using c = upper.cursor();
    c.map(0xffff_8000_0000_0000n, 0x20_0000n, PageSize.Size4K, READ);
    const mmu = new LA64Mmu(memory, { pgdl: lower.rootPaddr, pgdh: upper.rootPaddr });
    expect(mmu.translate(0xffff_8000_0000_0010n, Access.READ, PLV0)).toMatchObject({ ok: true, paddr: 0x20_0010n });
    const both = new LA64Mmu(memory, { pgdl: lower.rootPaddr });
    expect(both.translate(0xffff_8000_0000_0010n, Access.READ, PLV0)).toMatchObject({ ok: false, kind: 'NotPresent' });
  });

  it('direct mapping windows: VSEG 63:60 and the PLV enable bits, taken before the sign-extension check (5.2.1, 7.5.10)', () => {
    const { mmu: _m, memory, table } = fixture();
    // DMW: VSEG 9, MAT 1, PLV0 only; VSEG 8, PLV0 and PLV3
    const mmu = new LA64Mmu(memory, { pgdl: table.rootPaddr, dmw: [(9n << 60n) | (1n << 4n) | 1n, (8n << 60n) | 9n] });
    expect(mmu.translate(0x9000_0000_1234_5678n, Access.WRITE, PLV0)).toMatchObject({ ok: true, paddr: 0x1234_5678n, level: -1, permissions: READ | WRITE | EXECUTE });
    expect(mmu.translate(0x9000_0000_1234_5678n, Access.READ, PLV3)).toMatchObject({ ok: false, kind: 'NonCanonical', syndrome: { ecode: LA64Ecode.ADE } });
    expect(mmu.translate(0x8000_1000_0000_0000n, Access.EXECUTE, PLV3)).toMatchObject({ ok: true, paddr: 0x1000_0000_0000n, permissions: READ | WRITE | EXECUTE | USER });
  });

  it('the number forms agree with translate and allocate nothing on the way', () => {
    const { mmu } = fixture();
    expect(mmu.translateNumber(0x1abc, Access.READ, PLV0)).toBe(0x40_0abc);
    expect(mmu.translateNumber(0x5000, Access.READ, PLV0)).toBe(faultCodeOf('NotPresent'));
    expect(mmu.ecode).toBe(LA64Ecode.PIL);
    expect(mmu.translateWords(0x1000, 0, Access.WRITE, PLV3)).toBeLessThan(0);
    expect([mmu.ecode, mmu.badvLo, mmu.badvHi]).toEqual([LA64Ecode.PPI, 0x1000, 0]);
  });

  it('bad registers are typed errors', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    expect(() => new LA64Mmu(memory, { pgdl: 0, pwcl: BigInt(PWCL_VALUE) | (1n << 30n) })).toThrow(RegisterError);
    // PTbase 12 / width 9 and Dir1 at bit 20: the levels overlap
    expect(() => new LA64Mmu(memory, { pgdl: 0, pwcl: 12 | (9 << 5) | (20 << 10) | (9 << 15) })).toThrow(/overlaps/);
    expect(() => new LA64Mmu(memory, { pgdl: 0, dmw: [1n, 2n, 3n, 4n, 5n] })).toThrow(RegisterError);
    expect(() => new LA64Mmu(memory, { pgdl: -1 })).toThrow();
    expect(() => new LA64Mmu(memory, { pgdl: 0, userPlv: 4 as 3 })).toThrow(RangeError);
    expect(new LA64Mmu(memory, { pgdl: 0, pwch: PWCH_VALUE }).translate(0x1000n, Access.READ, PLV0)).toMatchObject({ ok: false });
  });
});

function faultCodeOf(kind: string): number {
  for (let c = -1; c >= -9; c--) if (faultKindOf(c) === kind) return c;
  throw new Error(kind);
}

/** `query`'s answer, or undefined where it says NotMapped. */
function lookup(table: LA64PageTable, va: bigint): MappingInfo | undefined {
  try {
    return table.query(va);
  } catch (e) {
    if (e instanceof PagingError && e.code === 'NotMapped') return undefined;
    throw e;
  }
}

describe('LA64Mmu: random tables of every geometry, outcomes from query and the manual (seeded)', () => {
  const FLAGS = [READ, READ | WRITE, READ | EXECUTE, EXECUTE, WRITE, READ | WRITE | EXECUTE, READ | USER, READ | WRITE | USER, EXECUTE | USER];
  // each geometry's table, the registers it runs with (PWCL / PWCH of la64Geometry), and where its pages go
  const GEOMETRIES = [
    { name: '4 KiB, 4 levels', make: (m: PhysicalMemory) => new LA64PageTable(m), pwcl: PWCL_VALUE, pwch: PWCH_VALUE, upper: false },
    { name: '16 KiB, 3 levels', make: (m: PhysicalMemory) => new LA64PageTable16K3(m), ...regs(16, 3), upper: false },
    { name: '64 KiB, 2 levels (upper half)', make: (m: PhysicalMemory) => new LA64PageTable64K2(m, { half: 'upper' }), ...regs(64, 2), upper: true },
    { name: '64 KiB, 3 levels', make: (m: PhysicalMemory) => new LA64PageTable64K3(m), ...regs(64, 3), upper: false },
  ];
  for (const g of GEOMETRIES) {
    it(`${g.name}: PA and size from query, the fault from the flags`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.nat(FLAGS.length - 1), fc.boolean()), { minLength: 1, maxLength: 30 }), fc.nat(1023), (maps, salt) => {
          const memory = zeroFrameMemory(32 << 20, 64 << 10);
          const table = g.make(memory);
          const page = 2 ** table.meta.pageShift;
          // the smallest huge page: the leaf level above the last
          const huge = BigInt(2 ** (table.meta.pageShift + table.meta.indexBits.at(-1)!));
          const slotBytes = 2n * huge;
          const base = g.upper ? 0xffff_ffff_ffff_ffffn - 256n * slotBytes + 1n : 0n;
          const c = table.cursor();
          for (const [slot, f, big] of maps) {
            const size = big ? huge : BigInt(page);
            const va = base + BigInt(slot) * slotBytes + (big ? 0n : BigInt(salt) * BigInt(page));
            if (lookup(table, va) !== undefined) continue;
            try {
              c.map(va, huge * BigInt(1 + (slot % 4)), Number(size), FLAGS[f]!);
            } catch {
              // overlaps a page mapped before: the table is unchanged, skip it
            }
          }
          c.flush();
          const root = table.rootPaddr;
          const mmu = new LA64Mmu(memory, { pgdl: root, pgdh: root, pwcl: g.pwcl, pwch: g.pwch });
          for (const [slot] of maps) {
            for (const off of [0n, BigInt(salt) * BigInt(page), huge - BigInt(page)]) expectAgreement(table, mmu, base + BigInt(slot) * slotBytes + off + 0x18n);
          }
        }),
        { seed: 0x1a64, numRuns: 12 },
      );
    }, 60_000);
  }
});

function regs(pageKiB: 16 | 64, levels: number): { pwcl: number; pwch: number } {
  const geometry = la64Geometry(pageKiB, levels);
  return { pwcl: geometry.pwcl, pwch: geometry.pwch };
}

/** Every access to `va` by the model: the translation `query` gives, or the fault the manual's rules give for its flags. */
function expectAgreement(table: LA64PageTable, mmu: LA64Mmu, va: bigint): void {
  const q = lookup(table, va);
  for (const access of [Access.READ, Access.WRITE, Access.EXECUTE] as const) {
    for (const priv of [PLV0, PLV3] as const) {
      const r = mmu.translate(va, access, priv);
      if (q === undefined) {
        expect(r).toMatchObject({ ok: false, kind: 'NotPresent', syndrome: { ecode: [1, 2, 3][access] } });
        continue;
      }
      const f = q.flags;
      const ecode =
        access === Access.EXECUTE && (f & EXECUTE) === 0 ? LA64Ecode.PNX
        : access === Access.READ && (f & READ) === 0 ? LA64Ecode.PNR
        : priv === PLV3 && (f & USER) === 0 ? LA64Ecode.PPI
        : access === Access.WRITE && (f & WRITE) === 0 ? LA64Ecode.PME
        : 0;
      if (ecode === 0) expect(r).toMatchObject({ ok: true, paddr: q.paddr, size: q.size });
      else expect(r).toMatchObject({ ok: false, syndrome: { ecode } });
    }
  }
}

// Behind a Tlb: the shared suite (test/tlb-model.test.ts at the repository's root) runs LA64Mmu with every INVTLB op,
// ASID switches and PLV changes, against a fresh walk, and checks that a stale entry survives exactly the ops that do
// not cover it.

describe('LA64Mmu: the README example', () => {
  it('runs as written and prints what its comments say', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const code = /## MMU model[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toContain('new LA64Mmu(memory');
    const printed: unknown[] = [];
    const run = new Function('Access', 'MappingFlags', 'PageSize', 'PhysicalMemory', 'Privilege', 'LA64Ecode', 'LA64Mmu', 'LA64PageTable', 'console', code!.replace(/^import .*$/gm, ''));
    run(Access, MappingFlags, PageSize, PhysicalMemory, Privilege, LA64Ecode, LA64Mmu, LA64PageTable, { log: (v: unknown) => printed.push(v) });
    // 0x80abc: the page's frame plus the offset; -4: MmuCode.Dirty (PME, Ecode 4); 6: PNX (NX set without EXECUTE)
    expect(printed).toEqual([0x80abc, -4, true, ['Permission', 6]]);
  });
});
