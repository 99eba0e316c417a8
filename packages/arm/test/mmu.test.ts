// A32Mmu against the ARM Architecture Reference Manual ARMv7-A and ARMv7-R edition (DDI 0406C.d): B3.5.1 (the
// descriptor formats), B3.5.4 (TTBR0 / TTBR1, PD0 / PD1), Tables B3-8 and B3-9 (AP[2:0], and AP[2:1] with AFE = 1),
// B3.7.1 (the Access flag, its hardware management), B3.7.2 (XN, PXN, WXN, UWXN; a fetch needs read permission),
// B3.7.3 (domains), B3.12.3 (the order of the checks), Table B3-23 and B4.1.52 / B4.1.96 (DFSR / IFSR). Three parts:
// one case per rule on descriptors written bit by bit; a seeded property over tables built through the API, where
// every outcome follows from what `query` says of the address; and the model behind core's Tlb.
import { Access, type AccessKind, faultKindOf, MappingFlags, PageSize, PagingError, PhysicalMemory, Privilege, type PrivilegeLevel, RegisterError, Tlb } from '@page-table-multiarch/core';
import { A32Mmu, type A32MmuOptions, A32PageTable, encodeA32Registers, tlbiasid, tlbimva } from '@page-table-multiarch/arm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
const { USER: PL0, SUPERVISOR: PL1 } = Privilege;
const L1 = 0x4000; // a 16 KiB first-level table
const L2 = 0x8000; // a second-level table (1 KiB)
const AFE = 1 << 29;
const WXN = 1 << 19;
const UWXN = 1 << 20;
const HA = 1 << 17;

interface Bits {
  readonly ap?: number;
  readonly xn?: boolean;
  readonly pxn?: boolean;
  readonly domain?: number;
  readonly ng?: boolean;
}

// [B3.5.1, Figure B3-4] Section: bits[1:0] 0b10 (0b11 with PXN), XN 4, domain 8:5, AP[1:0] 11:10, AP[2] 15, nG 17
function section(base: number, b: Bits = {}): number {
  const ap = b.ap ?? 3;
  return (base | (b.pxn ? 3 : 2) | (b.xn ? 1 << 4 : 0) | ((b.domain ?? 0) << 5) | ((ap & 3) << 10) | ((ap >> 2) << 15) | (b.ng ? 1 << 17 : 0)) >>> 0;
}
// [Figure B3-5] Small page: bit 1, XN 0, AP[1:0] 5:4, AP[2] 9, nG 11
function small(base: number, b: Bits = {}): number {
  const ap = b.ap ?? 3;
  return (base | 2 | (b.xn ? 1 : 0) | ((ap & 3) << 4) | ((ap >> 2) << 9) | (b.ng ? 1 << 11 : 0)) >>> 0;
}
// Large page: bits[1:0] 0b01, AP as a Small page, nG 11, XN 15
function large(base: number, b: Bits = {}): number {
  const ap = b.ap ?? 3;
  return (base | 1 | ((ap & 3) << 4) | ((ap >> 2) << 9) | (b.ng ? 1 << 11 : 0) | (b.xn ? 1 << 15 : 0)) >>> 0;
}
// Page table: bits[1:0] 0b01, PXN 2, domain 8:5, base 31:10
function pageTable(base: number, b: Bits = {}): number {
  return (base | 1 | (b.pxn ? 4 : 0) | ((b.domain ?? 0) << 5)) >>> 0;
}

/** A memory with the first-level table at L1 and one second-level table at L2; `l1` / `l2` entries by index. */
function fixture(l1: Record<number, number>, l2: Record<number, number> = {}, options: Partial<A32MmuOptions> = {}) {
  const memory = new PhysicalMemory({ size: 1 << 20 });
  for (const [i, d] of Object.entries(l1)) memory.writeU32(BigInt(L1 + 4 * Number(i)), d);
  for (const [i, d] of Object.entries(l2)) memory.writeU32(BigInt(L2 + 4 * Number(i)), d);
  return { memory, mmu: new A32Mmu(memory, { ttbr0: L1, ...options }) };
}

/** "ok <pa>" or "<kind> <level> fsr=<binary>" of one access. */
function outcome(mmu: A32Mmu, va: number, access: AccessKind, priv: PrivilegeLevel): string {
  const r = mmu.translateNumber(va, access, priv);
  if (r >= 0) return `ok 0x${r.toString(16)}`;
  return `${faultKindOf(r)} ${mmu.level} fsr=${mmu.fsr.toString(2)}`;
}

/** "rw/r-" style: what PL1 / PL0 may read and write. */
function rwOf(mmu: A32Mmu, va: number): string {
  const can = (a: AccessKind, p: PrivilegeLevel) => mmu.translateNumber(va, a, p) >= 0;
  return ['', ''].map((_, i) => {
    const p = i === 0 ? PL1 : PL0;
    return `${can(Access.READ, p) ? 'r' : '-'}${can(Access.WRITE, p) ? 'w' : '-'}`;
  }).join('/');
}

describe('A32Mmu: one case per rule of the manual', () => {
  it('sections, supersections, small and large pages translate to their frames (B3.5.1)', () => {
    const l1: Record<number, number> = { 1: section(0x1230_0000), 2: pageTable(L2) };
    // a Supersection is repeated in 16 consecutive entries; PA[35:32] = 0xa (bits 23:20), PA[39:36] = 0x5 (bits 8:5)
    for (let i = 16; i < 32; i++) l1[i] = (0x4500_0000 | (1 << 18) | (0xa << 20) | (0x5 << 5) | (3 << 10) | 2) >>> 0;
    const l2: Record<number, number> = { 0: small(0x7_7000) };
    for (let i = 16; i < 32; i++) l2[i] = large(0x9_0000);
    const { mmu } = fixture(l1, l2);
    expect(mmu.translate(0x10_0abc, Access.WRITE, PL0)).toEqual({ ok: true, paddr: 0x1230_0abcn, size: 0x10_0000, level: 0, permissions: READ | WRITE | EXECUTE | USER });
    expect(mmu.translate(0x20_0abc, Access.READ, PL1)).toMatchObject({ ok: true, paddr: 0x7_7abcn, size: 0x1000, level: 1 });
    expect(mmu.translate(0x21_f123, Access.READ, PL1)).toMatchObject({ ok: true, paddr: 0x9_f123n, size: 0x1_0000, level: 1 });
    expect(mmu.translate(0x1ab_cdef, Access.READ, PL1)).toMatchObject({ ok: true, paddr: 0x5a_45ab_cdefn, size: 0x100_0000, level: 0 });
    // the number form: 40-bit addresses fit a number
    expect(mmu.translateNumber(0x1ab_cdef, Access.READ, PL1)).toBe(0x5a_45ab_cdef);
  });

  it('Translation faults: first level (FS 0b00101, domain 0), second level (0b00111 with the domain); DFSR.WnR on a store', () => {
    const { mmu } = fixture({ 2: pageTable(L2, { domain: 9 }) }, {}, { dacr: 0xffff_ffff });
    expect(outcome(mmu, 0x30_0000, Access.READ, PL1)).toBe('NotPresent 0 fsr=101');
    expect(outcome(mmu, 0x20_1000, Access.READ, PL1)).toBe('NotPresent 1 fsr=10010111');
    expect(outcome(mmu, 0x20_1000, Access.WRITE, PL1)).toBe('NotPresent 1 fsr=100010010111');
    expect(mmu.translate(0x20_1004, Access.WRITE, PL0)).toEqual({
      ok: false,
      kind: 'NotPresent',
      level: 1,
      vaddr: 0x20_1004n,
      syndrome: { prefetch: false, fsr: 0b1000_1001_0111, status: 0b00111, domain: 9, far: 0x20_1004 },
    });
    // a fetch: IFSR holds FS only [B4.1.96]
    expect(mmu.translate(0x20_1000, Access.EXECUTE, PL1)).toMatchObject({ syndrome: { prefetch: true, fsr: 0b111, status: 0b00111, far: 0x20_1000 } });
  });

  it('bits[1:0] = 0b11 is a Section with PXN where PXN is implemented, a Translation fault where it is not', () => {
    const l1 = { 1: section(0x1230_0000, { pxn: true }) };
    const { mmu } = fixture(l1);
    expect(outcome(mmu, 0x10_0000, Access.EXECUTE, PL0)).toBe('ok 0x12300000');
    expect(outcome(mmu, 0x10_0000, Access.EXECUTE, PL1)).toBe('Permission 0 fsr=1101');
    expect(outcome(mmu, 0x10_0000, Access.WRITE, PL1)).toBe('ok 0x12300000');
    expect(outcome(fixture(l1, {}, { pxn: false }).mmu, 0x10_0000, Access.READ, PL1)).toBe('NotPresent 0 fsr=101');
  });

  it('AP[2:0] with SCTLR.AFE = 0 gives Table B3-8; AP[2:1] with AFE = 1 gives Table B3-9', () => {
    const table8 = ['--/--', 'rw/--', 'rw/r-', 'rw/rw', '--/--', 'r-/--', 'r-/r-', 'r-/r-'];
    const table9 = ['rw/--', 'rw/rw', 'r-/--', 'r-/r-'];
    for (let ap = 0; ap < 8; ap++) {
      const { mmu } = fixture({ 1: section(0x1230_0000, { ap }), 2: pageTable(L2) }, { 0: small(0x7000, { ap }) });
      expect([rwOf(mmu, 0x10_0000), rwOf(mmu, 0x20_0000)], `AP ${ap}`).toEqual([table8[ap], table8[ap]]);
      if ((ap & 1) === 1) {
        mmu.sctlr = AFE;
        expect([rwOf(mmu, 0x10_0000), rwOf(mmu, 0x20_0000)], `AP[2:1] ${ap >> 1}`).toEqual([table9[ap >> 1], table9[ap >> 1]]);
      }
    }
  });

  it('AFE = 1 and AP[0] = 0: an Access flag fault (0b00011 / 0b00110), before the domain is looked at (B3.7.1, B3.12.3)', () => {
    const { mmu } = fixture({ 1: section(0x1230_0000, { ap: 2, domain: 3 }), 2: pageTable(L2, { domain: 3 }) }, { 0: small(0x7000, { ap: 6 }) }, { sctlr: AFE });
    expect(outcome(mmu, 0x10_0000, Access.READ, PL1)).toBe('AccessFlag 0 fsr=110011');
    expect(outcome(mmu, 0x20_0000, Access.READ, PL1)).toBe('AccessFlag 1 fsr=110110');
    // a No access domain or a Manager one: the Access flag fault still comes first
    for (const dacr of [0, 0xffff_ffff]) {
      mmu.dacr = dacr;
      expect(outcome(mmu, 0x20_0000, Access.READ, PL1)).toBe('AccessFlag 1 fsr=110110');
    }
  });

  it('with hardware management of the Access flag (ID_MMFR2, SCTLR.HA) the walk sets AP[0] instead', () => {
    const { mmu, memory } = fixture({ 1: section(0x1230_0000, { ap: 2 }) }, {}, { sctlr: AFE | HA, hardwareAccessFlag: true });
    expect(outcome(mmu, 0x10_0000, Access.READ, PL0)).toBe('ok 0x12300000');
    expect(memory.readU32(BigInt(L1 + 4))).toBe(section(0x1230_0000, { ap: 3 }));
    expect(() => fixture({}, {}, { sctlr: HA })).toThrow(RegisterError);
  });

  it('domains: No access and the reserved 0b10 fault (0b01001 / 0b01011), Client checks AP and XN, Manager does not (B3.7.3)', () => {
    const l1 = { 1: section(0x1230_0000, { ap: 0, xn: true, domain: 5 }), 2: pageTable(L2, { domain: 5 }) };
    const { mmu } = fixture(l1, { 0: small(0x7000, { ap: 0, xn: true }), 1: 0 });
    for (const type of [0, 2]) {
      mmu.dacr = type << 10;
      expect(outcome(mmu, 0x10_0000, Access.READ, PL1)).toBe('Domain 0 fsr=1011001');
      expect(outcome(mmu, 0x20_0000, Access.WRITE, PL0)).toBe('Domain 1 fsr=100001011011');
      // an invalid second-level descriptor is a Translation fault before the domain is checked
      expect(outcome(mmu, 0x20_1000, Access.READ, PL1)).toBe('NotPresent 1 fsr=1010111');
    }
    mmu.dacr = 1 << 10;
    expect(outcome(mmu, 0x10_0000, Access.READ, PL1)).toBe('Permission 0 fsr=1011101');
    mmu.dacr = 3 << 10;
    for (const access of [Access.READ, Access.WRITE, Access.EXECUTE]) expect(outcome(mmu, 0x20_0000, access, PL0)).toBe('ok 0x7000');
    expect(mmu.permissions).toBe(READ | WRITE | EXECUTE | USER);
  });

  it('a Supersection is in domain 0, whatever bits 8:5 hold (they are PA[39:36])', () => {
    const l1: Record<number, number> = {};
    for (let i = 16; i < 32; i++) l1[i] = (0x4500_0000 | (1 << 18) | (0xf << 5) | (3 << 10) | 2) >>> 0;
    const { mmu } = fixture(l1, {}, { dacr: 0x4000_0000 }); // domain 15 a Client, domain 0 No access
    expect(outcome(mmu, 0x100_0000, Access.READ, PL1)).toBe('Domain 0 fsr=1001');
  });

  it('execute: XN (IFSR 0b01101 / 0b01111), read permission needed, PXN of a Page table, WXN and UWXN (B3.7.2)', () => {
    const l1 = { 1: section(0x1230_0000, { xn: true }), 2: pageTable(L2, { pxn: true }), 3: section(0x3000_0000, { ap: 1 }), 4: section(0x4000_0000, { ap: 7 }) };
    const { mmu } = fixture(l1, { 0: small(0x7000) });
    expect(outcome(mmu, 0x10_0000, Access.EXECUTE, PL0)).toBe('Permission 0 fsr=1101');
    expect(mmu.prefetch).toBe(true);
    expect(outcome(mmu, 0x20_0000, Access.EXECUTE, PL1)).toBe('Permission 1 fsr=1111');
    expect(outcome(mmu, 0x20_0000, Access.EXECUTE, PL0)).toBe('ok 0x7000');
    expect(outcome(mmu, 0x30_0000, Access.EXECUTE, PL0)).toBe('Permission 0 fsr=1101'); // no PL0 read
    expect(outcome(mmu, 0x30_0000, Access.EXECUTE, PL1)).toBe('ok 0x30000000');
    mmu.sctlr = WXN; // writable (AP 0b011 here): never executable
    expect(outcome(mmu, 0x20_0000, Access.EXECUTE, PL0)).toBe('Permission 1 fsr=1111');
    expect(outcome(mmu, 0x40_0000, Access.EXECUTE, PL0)).toBe('ok 0x40000000'); // read-only
    mmu.sctlr = UWXN; // writable at PL0: not executable at PL1
    expect(outcome(mmu, 0x30_0000, Access.EXECUTE, PL1)).toBe('ok 0x30000000'); // AP 0b001: PL0 cannot write
    mmu.setRegisters({ ttbr0: L1, sctlr: UWXN });
    expect(mmu.translate(0x40_0000, Access.EXECUTE, PL1)).toMatchObject({ ok: true, permissions: READ | EXECUTE | USER });
    const { mmu: uwxn } = fixture({ 1: section(0x1230_0000) }, {}, { sctlr: UWXN });
    expect(outcome(uwxn, 0x10_0000, Access.EXECUTE, PL1)).toBe('Permission 0 fsr=1101');
    expect(outcome(uwxn, 0x10_0000, Access.EXECUTE, PL0)).toBe('ok 0x12300000');
  });

  it('TTBCR.N splits the addresses between TTBR0 and TTBR1; PD0 / PD1 make a walk a Translation fault (B3.5.4)', () => {
    const memory = new PhysicalMemory({ size: 1 << 20 });
    // N = 2: TTBR0 (a 4 KiB table at 0x1000) below 0x4000_0000, TTBR1 (at L1) above
    memory.writeU32(0x1000n + 4n, section(0x0a00_0000));
    memory.writeU32(BigInt(L1 + 4 * 0x401), section(0x0b00_0000));
    const mmu = new A32Mmu(memory, { ttbr0: 0x1000, ttbr1: L1, ttbcr: 2 });
    expect(mmu.translateNumber(0x10_0008, Access.READ, PL1)).toBe(0x0a00_0008);
    expect(mmu.translateNumber(0x4010_0008, Access.READ, PL1)).toBe(0x0b00_0008);
    mmu.setRegisters({ ttbr0: 0x1000, ttbr1: L1, ttbcr: 2 | (1 << 5) });
    expect(outcome(mmu, 0x4010_0008, Access.READ, PL1)).toBe('NotPresent 0 fsr=101');
    expect(mmu.translateNumber(0x10_0008, Access.READ, PL1)).toBe(0x0a00_0008);
    mmu.setRegisters({ ttbr0: 0x1000, ttbr1: L1, ttbcr: 2 | (1 << 4) });
    expect(outcome(mmu, 0x10_0008, Access.READ, PL1)).toBe('NotPresent 0 fsr=101');
  });

  it('a table outside the memory is a synchronous external abort on the walk (0b01100 / 0b01110)', () => {
    const { mmu } = fixture({ 2: pageTable(0x1000_0000, { domain: 1 }) });
    expect(outcome(mmu, 0x20_0000, Access.READ, PL1)).toBe('ExternalAbort 1 fsr=11110');
    expect(outcome(new A32Mmu(new PhysicalMemory({ size: 1 << 20 }), { ttbr0: 0x1000_0000 }), 0, Access.READ, PL1)).toBe('ExternalAbort 0 fsr=1100');
  });

  it('bad registers and addresses are typed errors or faults, and change nothing', () => {
    const { mmu, memory } = fixture({ 1: section(0x1230_0000) });
    const before = memory.bytes().slice();
    expect(() => mmu.setRegisters({ ttbr0: L1, ttbcr: 1n << 31n })).toThrow(RegisterError);
    expect(() => mmu.setRegisters({ ttbr0: 1n << 32n })).toThrow(RangeError);
    expect(() => mmu.setRegisters({ ttbr0: -1 })).toThrow();
    expect(mmu.translateNumber(0x10_0000, Access.READ, PL1)).toBe(0x1230_0000); // registers as they were
    expect(() => mmu.translate(0x10_0000, 3 as AccessKind, PL1)).toThrow(RangeError);
    expect(mmu.translate(1n << 32n, Access.READ, PL1)).toMatchObject({ ok: false, kind: 'NonCanonical', level: -1, syndrome: { fsr: 0 } });
    expect(memory.bytes().every((b, i) => b === before[i])).toBe(true);
  });
});

/** `query`'s answer, or undefined where it says NotMapped. */
function lookup(table: A32PageTable, va: bigint) {
  try {
    return table.query(va);
  } catch (e) {
    if (e instanceof PagingError && e.code === 'NotMapped') return undefined;
    throw e;
  }
}

const FLAG_SETS = [READ, READ | WRITE, READ | EXECUTE, READ | USER, READ | WRITE | USER, READ | EXECUTE | USER, READ | WRITE | EXECUTE | USER];

/** Random 4K pages and 1M sections with random flags (a seeded LCG picks them). */
function randomTable(seed: number) {
  const memory = new PhysicalMemory({ size: 4 << 20, base: 0x8000_0000 });
  const table = new A32PageTable(memory);
  const c = table.cursor();
  let x = seed;
  const next = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return Math.floor((x / 4294967296) * n); // the high bits: the low bits of an LCG have short periods
  };
  const vas: bigint[] = [];
  for (let i = 0; i < 60; i++) {
    const huge = next(4) === 0;
    const va = huge ? BigInt(next(4096)) << 20n : (BigInt(next(64)) << 20n) | (BigInt(next(256)) << 12n);
    try {
      c.map(va, huge ? BigInt(next(4096)) << 20n : BigInt(next(1 << 20)) << 12n, huge ? PageSize.Size1M : PageSize.Size4K, FLAG_SETS[next(FLAG_SETS.length)]!);
      vas.push(va);
    } catch (e) {
      if (!(e instanceof PagingError)) throw e;
    }
  }
  c.flush();
  return { memory, table, vas, next };
}

describe('A32Mmu: random tables built through the API, outcomes from query (seeded)', () => {
  it('PA, size and level from query; the access allowed exactly when the flags grant it (Client domain, AFE = 0)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7fff_ffff }), (seed) => {
        const { memory, table, vas, next } = randomTable(seed);
        const mmu = new A32Mmu(memory, { ttbr0: encodeA32Registers(table).ttbr0, dacr: 1 });
        for (let i = 0; i < 200; i++) {
          const va = (i % 2 === 0 ? vas[next(vas.length)]! : BigInt(next(64)) << 20n) + BigInt(next(0x1000));
          const access = next(3) as AccessKind;
          const priv = next(2) as PrivilegeLevel;
          const q = lookup(table, va);
          const r = mmu.translate(va, access, priv);
          if (q === undefined) {
            expect(r).toMatchObject({ ok: false, kind: 'NotPresent' });
            continue;
          }
          const needed = [READ, WRITE, EXECUTE][access]! | (priv === PL0 ? USER : 0);
          if ((q.flags & needed) === needed) {
            expect(r).toEqual({ ok: true, paddr: q.paddr, size: q.size, level: q.size === PageSize.Size1M ? 0 : 1, permissions: q.flags & (READ | WRITE | EXECUTE | USER) });
          } else {
            expect(r).toMatchObject({ ok: false, kind: 'Permission', level: q.size === PageSize.Size1M ? 0 : 1 });
          }
        }
      }),
      { seed: 0xa32, numRuns: 30 },
    );
  });
});

describe('A32Mmu behind a Tlb', () => {
  it('every access through the TLB gives what a fresh walk gives, with DACR and SCTLR changing between accesses (seeded)', () => {
    const { memory, table, vas, next } = randomTable(0x5eed);
    const regs = { ttbr0: encodeA32Registers(table).ttbr0 };
    const tlb = new Tlb(new A32Mmu(memory, regs), { entries: 128, ways: 4 });
    const model = tlb.model as A32Mmu;
    const fresh = new A32Mmu(memory, regs);
    const DACRS = [1, 3, 1, 0, 2];
    const SCTLRS = [0, AFE, WXN, UWXN, WXN | UWXN];
    for (let i = 0; i < 5000; i++) {
      if (next(50) === 0) model.dacr = fresh.dacr = DACRS[next(DACRS.length)]!;
      if (next(50) === 0) model.sctlr = fresh.sctlr = SCTLRS[next(SCTLRS.length)]!;
      const va = vas[next(vas.length)]! + BigInt(next(0x1000));
      const access = next(3) as AccessKind;
      const priv = next(2) as PrivilegeLevel;
      const want = fresh.translateWords(Number(va), 0, access, priv);
      const got = tlb.translateWords(Number(va), 0, access, priv);
      // a fault always comes from the model's walk, with its syndrome; a hit leaves the model's fields alone
      expect([got, tlb.paLo, tlb.permissions, tlb.pageSize, got < 0 ? model.fsr : 0]).toEqual([want, want === 0 ? fresh.paLo : tlb.paLo, fresh.permissions, fresh.pageSize, want < 0 ? fresh.fsr : 0]);
    }
    expect(tlb.hits).toBeGreaterThan(500);
    expect(tlb.misses).toBeGreaterThan(10);
  });

  it('more (DACR, SCTLR) pairs than keys: the extra ones walk every time and still answer right', () => {
    const { mmu, memory } = fixture({ 1: section(0x1230_0000) });
    const tlb = new Tlb(mmu);
    for (let d = 0; d < 40; d++) {
      mmu.dacr = (d << 2) | 1; // domain 0 a Client, other domains changing
      expect(tlb.translateNumber(0x10_0008, Access.READ, PL0)).toBe(0x1230_0008);
    }
    const walks = tlb.walks;
    expect(tlb.translateNumber(0x10_0010, Access.READ, PL0)).toBe(0x1230_0010);
    expect(tlb.walks).toBe(walks + 1); // the 40th pair has no key: a walk
    mmu.dacr = 1; // the first pair: a hit
    expect(tlb.translateNumber(0x10_0010, Access.READ, PL0)).toBe(0x1230_0010);
    expect(tlb.walks).toBe(walks + 1);
    expect(memory.readU32(BigInt(L1 + 4))).toBe(section(0x1230_0000));
  });

  it('a DACR change applies to cached entries at once; nG entries are tagged with the ASID (B3.7.3, B3.9.3)', () => {
    const { mmu } = fixture({ 1: section(0x1230_0000, { domain: 2 }), 3: section(0x3000_0000, { ng: true }) }, {}, { contextidr: 7, dacr: 0x15 });
    const tlb = new Tlb(mmu);
    tlb.asid = mmu.asid;
    expect(tlb.translateNumber(0x10_0000, Access.READ, PL1)).toBe(0x1230_0000);
    expect(tlb.translateNumber(0x30_0000, Access.READ, PL1)).toBe(0x3000_0000);
    mmu.dacr = 0x01; // domain 2 No access
    expect(tlb.translateNumber(0x10_0000, Access.READ, PL1)).toBe(faultCode('Domain'));
    expect(mmu.fsr & 0xf).toBe(0b1001);
    mmu.dacr = 0x15;
    const hits = tlb.hits;
    tlb.asid = 8; // the global section is still cached; the nG one belongs to ASID 7
    expect(tlb.translateNumber(0x10_0000, Access.READ, PL1)).toBe(0x1230_0000);
    expect(tlb.translateNumber(0x30_0000, Access.READ, PL1)).toBe(0x3000_0000);
    expect(tlb.hits).toBe(hits + 1);
  });

  it('a stale entry survives an unmap until TLBIMVA / TLBIASID removes it (B4.2.2)', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000 });
    const table = new A32PageTable(memory);
    const c = table.cursor();
    c.map(0x1000n, 0x4_0000n, PageSize.Size4K, READ | WRITE);
    c.flush();
    const mmu = new A32Mmu(memory, { ttbr0: encodeA32Registers(table).ttbr0 });
    const tlb = new Tlb(mmu);
    expect(tlb.translateNumber(0x1008, Access.READ, PL1)).toBe(0x4_0008);
    c.unmap(0x1000n);
    c.flush();
    expect(tlb.translateNumber(0x1008, Access.READ, PL1)).toBe(0x4_0008); // stale, as the hardware's
    tlbiasid(tlb, 0); // the entry is global (nG = 0): TLBIASID leaves it
    expect(tlb.translateNumber(0x1008, Access.READ, PL1)).toBe(0x4_0008);
    tlbimva(tlb, 0x1000, 0);
    expect(tlb.translateNumber(0x1008, Access.READ, PL1)).toBe(faultCode('NotPresent'));
  });
});

function faultCode(kind: string): number {
  for (let c = -1; c >= -9; c--) if (faultKindOf(c) === kind) return c;
  throw new Error(kind);
}
