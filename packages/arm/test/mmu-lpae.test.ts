// A32LpaeMmu against ARM DDI 0406C.d: B3.6.4 (TTBR0 / TTBR1 ranges, EPDn), B3.6.5 (lookup levels), B3.6.1 / B3.6.2
// (descriptors, AP[2:1], AF, XN, PXN, APTable / XNTable / PXNTable), B3.7.1 Table B3-9, B3.7.2 (WXN, UWXN),
// B4.1.52 (the long-descriptor DFSR / IFSR). Tables built through the API, then descriptors changed bit by bit; a
// seeded property against `query`; and the model behind core's Tlb.
import { Access, type AccessKind, faultKindOf, MappingFlags, PageSize, PagingError, PhysicalMemory, Privilege, type PrivilegeLevel, RegisterError, Tlb } from '@page-table-multiarch/core';
import { A32LpaeMmu, A32LpaePageTable, A32LpaeTtbr1PageTable, encodeA32LpaeRegisters, tlbimva } from '@page-table-multiarch/arm';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
const { USER: PL0, SUPERVISOR: PL1 } = Privilege;
const bit = (n: number): bigint => 1n << BigInt(n);
// [B3.6.2] leaf: AP[2:1] 7:6, AF 10, nG 11, PXN 53, XN 54; table: PXNTable 59, XNTable 60, APTable 62:61
const AP1 = bit(6);
const AP2 = bit(7);
const AF = bit(10);
const PXN = bit(53);
const XN = bit(54);
const PXN_TABLE = bit(59);
const XN_TABLE = bit(60);
const AP_TABLE0 = bit(61);
const AP_TABLE1 = bit(62);
const WXN = 1 << 19;
const UWXN = 1 << 20;

/** Physical address of the descriptor for `va` at lookup level `level` (1..3), from a table whose walk starts at level 1. */
function descriptor(memory: PhysicalMemory, root: bigint, va: number, level: number): bigint {
  let table = root;
  for (let l = 1; ; l++) {
    const at = table + BigInt(((va >>> (39 - 9 * l)) & (l === 1 ? 3 : 511)) * 8);
    if (l === level) return at;
    table = memory.readU64(at) & 0xff_ffff_f000n;
  }
}

function fixture() {
  const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000 });
  const table = new A32LpaePageTable(memory);
  const c = table.cursor();
  c.map(0x1000n, 0x4_0000_1000n, PageSize.Size4K, READ | WRITE | EXECUTE | USER);
  c.map(0x2000n, 0x2000_2000n, PageSize.Size4K, READ | WRITE | EXECUTE | USER);
  c.map(0x20_0000n, 0x5060_0000n, PageSize.Size2M, READ | WRITE | EXECUTE | USER);
  c.map(0x4000_0000n, 0xff_4000_0000n, PageSize.Size1G, READ | EXECUTE);
  c.flush();
  const regs = encodeA32LpaeRegisters({ ttbr0: table, asid: 5 });
  const mmu = new A32LpaeMmu(memory, regs);
  const set = (va: number, level: number, on: bigint, off = 0n) => {
    const at = descriptor(memory, table.rootPaddr, va, level);
    memory.writeU64(at, (memory.readU64(at) & ~off) | on);
  };
  return { memory, table, regs, mmu, set };
}

function outcome(mmu: A32LpaeMmu, va: number, access: AccessKind, priv: PrivilegeLevel): string {
  const r = mmu.translateNumber(va, access, priv);
  if (r >= 0) return `ok 0x${r.toString(16)}`;
  return `${faultKindOf(r)} ${mmu.level} fsr=0x${mmu.fsr.toString(16)}`;
}

describe('A32LpaeMmu: one case per rule of the manual', () => {
  it('Pages, 2M and 1G Blocks with 40-bit output addresses; the level counted from the root (B3.6.1)', () => {
    const { mmu } = fixture();
    expect(mmu.translate(0x1abc, Access.READ, PL0)).toEqual({ ok: true, paddr: 0x4_0000_1abcn, size: 0x1000, level: 2, permissions: READ | WRITE | EXECUTE | USER });
    expect(mmu.translate(0x2f_fff8, Access.WRITE, PL1)).toMatchObject({ ok: true, paddr: 0x506f_fff8n, size: 0x20_0000, level: 1 });
    expect(mmu.translate(0x7654_3210, Access.EXECUTE, PL1)).toMatchObject({ ok: true, paddr: 0xff_7654_3210n, size: 0x4000_0000, level: 0 });
    expect(mmu.asid).toBe(5);
  });

  it('Translation faults carry STATUS 0b0001LL with the lookup level, LPAE (bit 9) and WnR (B4.1.52)', () => {
    const { mmu, set } = fixture();
    expect(outcome(mmu, 0x8000_0000, Access.READ, PL1)).toBe('NotPresent 0 fsr=0x205'); // level 1 entry invalid
    expect(outcome(mmu, 0x60_0000, Access.WRITE, PL1)).toBe('NotPresent 1 fsr=0xa06');
    expect(outcome(mmu, 0x3000, Access.EXECUTE, PL0)).toBe('NotPresent 2 fsr=0x207');
    set(0x1000, 3, 0n, 2n); // bits[1:0] = 0b01 at level 3: reserved
    expect(mmu.translate(0x1000, Access.READ, PL0)).toEqual({ ok: false, kind: 'NotPresent', level: 2, vaddr: 0x1000n, syndrome: { prefetch: false, fsr: 0x207, status: 0b000111, far: 0x1000 } });
  });

  it('AF = 0 is an Access flag fault (0b0010LL), before the permissions (B3.7.1, B3.12.3)', () => {
    const { mmu, set } = fixture();
    set(0x20_0000, 2, AP2, AF);
    expect(outcome(mmu, 0x20_0000, Access.WRITE, PL0)).toBe('AccessFlag 1 fsr=0xa0a');
    expect(outcome(mmu, 0x20_0000, Access.EXECUTE, PL1)).toBe('AccessFlag 1 fsr=0x20a');
  });

  it('AP[2:1] gives Table B3-9; a Permission fault is 0b0011LL', () => {
    const { mmu, set } = fixture();
    const rw = () =>
      [PL1, PL0].map((p) => `${mmu.translateNumber(0x1000, Access.READ, p) >= 0 ? 'r' : '-'}${mmu.translateNumber(0x1000, Access.WRITE, p) >= 0 ? 'w' : '-'}`).join('/');
    const want = ['rw/--', 'rw/rw', 'r-/--', 'r-/r-'];
    for (let ap = 0; ap < 4; ap++) {
      set(0x1000, 3, BigInt(ap) << 6n, AP1 | AP2);
      expect(rw(), `AP[2:1] ${ap}`).toBe(want[ap]);
    }
    expect(outcome(mmu, 0x1000, Access.WRITE, PL0)).toBe('Permission 2 fsr=0xa0f');
  });

  it('APTable, XNTable and PXNTable limit every level below (B3.6.2)', () => {
    const { mmu, set } = fixture();
    set(0x1000, 2, AP_TABLE0); // no PL0 access below
    expect(outcome(mmu, 0x1000, Access.READ, PL0)).toBe('Permission 2 fsr=0x20f');
    expect(outcome(mmu, 0x1000, Access.WRITE, PL1)).toBe('ok 0x400001000');
    set(0x1000, 2, 0n, AP_TABLE0);
    set(0x1000, 1, AP_TABLE1); // no writes below (level 1 holds the level 2 table)
    expect(outcome(mmu, 0x2000, Access.WRITE, PL1)).toBe('Permission 2 fsr=0xa0f');
    expect(outcome(mmu, 0x20_0000, Access.WRITE, PL1)).toBe('Permission 1 fsr=0xa0e');
    expect(outcome(mmu, 0x20_0000, Access.READ, PL0)).toBe('ok 0x50600000');
    set(0x1000, 1, XN_TABLE, AP_TABLE1);
    expect(outcome(mmu, 0x2000, Access.EXECUTE, PL0)).toBe('Permission 2 fsr=0x20f');
    set(0x1000, 1, 0n, XN_TABLE);
    set(0x2000, 3, 0n, PXN); // the codec makes user pages PXN: clear it, so that only PXNTable forbids
    expect(outcome(mmu, 0x2000, Access.EXECUTE, PL1)).toBe('ok 0x20002000');
    set(0x1000, 1, PXN_TABLE);
    expect(outcome(mmu, 0x2000, Access.EXECUTE, PL1)).toBe('Permission 2 fsr=0x20f');
    expect(outcome(mmu, 0x2000, Access.EXECUTE, PL0)).toBe('ok 0x20002000');
  });

  it('XN, PXN, a fetch needing read permission, WXN and UWXN (B3.7.2)', () => {
    const { mmu, set } = fixture();
    set(0x1000, 3, XN);
    expect(outcome(mmu, 0x1000, Access.EXECUTE, PL0)).toBe('Permission 2 fsr=0x20f');
    set(0x2000, 3, 0n, PXN); // the codec makes user pages PXN
    expect(outcome(mmu, 0x2000, Access.EXECUTE, PL1)).toBe('ok 0x20002000');
    set(0x2000, 3, PXN);
    expect(outcome(mmu, 0x2000, Access.EXECUTE, PL1)).toBe('Permission 2 fsr=0x20f');
    expect(outcome(mmu, 0x2000, Access.EXECUTE, PL0)).toBe('ok 0x20002000');
    mmu.sctlr = WXN; // AP 0b01: writable, so never executable
    expect(outcome(mmu, 0x2000, Access.EXECUTE, PL0)).toBe('Permission 2 fsr=0x20f');
    expect(outcome(mmu, 0x4000_0000, Access.EXECUTE, PL1)).toBe('ok 0xff40000000'); // read-only Block
    set(0x20_0000, 2, 0n, PXN);
    mmu.sctlr = 0;
    expect(outcome(mmu, 0x20_0000, Access.EXECUTE, PL1)).toBe('ok 0x50600000');
    mmu.sctlr = UWXN; // writable at PL0: not executable at PL1
    expect(outcome(mmu, 0x20_0000, Access.EXECUTE, PL1)).toBe('Permission 1 fsr=0x20e');
    expect(outcome(mmu, 0x20_0000, Access.EXECUTE, PL0)).toBe('ok 0x50600000');
    set(0x20_0000, 2, 0n, AP1); // AP 0b00: PL0 no access, so no PL0 fetch, and PL1 fetches again
    mmu.sctlr = 0;
    expect(outcome(mmu, 0x20_0000, Access.EXECUTE, PL0)).toBe('Permission 1 fsr=0x20e');
    expect(outcome(mmu, 0x20_0000, Access.EXECUTE, PL1)).toBe('ok 0x50600000');
  });

  it('TTBR0 / TTBR1 ranges, a hole between them and EPD1 are level 1 Translation faults (B3.6.4)', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000 });
    const low = new A32LpaePageTable(memory, { t0sz: 2, t1sz: 2 });
    const high = new A32LpaeTtbr1PageTable(memory, { t0sz: 2, t1sz: 2 });
    low.cursor().map(0x1000n, 0x1000n, PageSize.Size4K, READ);
    high.cursor().map(0xffff_f000n, 0x2000n, PageSize.Size4K, READ);
    const regs = encodeA32LpaeRegisters({ ttbr0: low, ttbr1: high });
    const mmu = new A32LpaeMmu(memory, regs);
    expect(mmu.translateNumber(0x1008, Access.READ, PL1)).toBe(0x1008);
    expect(mmu.translateNumber(0xffff_f008, Access.READ, PL1)).toBe(0x2008);
    expect(outcome(mmu, 0x8000_0000, Access.READ, PL1)).toBe('NotPresent -1 fsr=0x205');
    mmu.setRegisters({ ...regs, ttbcr: regs.ttbcr | (1n << 23n) });
    expect(outcome(mmu, 0xffff_f008, Access.READ, PL1)).toBe('NotPresent -1 fsr=0x205');
    expect(mmu.translateNumber(0x1008, Access.READ, PL1)).toBe(0x1008);
    // TTBCR.A1: TTBR1's ASID is the current one
    mmu.setRegisters({ ...regs, ttbr1: regs.ttbr1 | (9n << 48n), ttbcr: regs.ttbcr | (1n << 22n) });
    expect(mmu.asid).toBe(9);
  });

  it('bad registers are typed errors and change nothing', () => {
    const { mmu, regs } = fixture();
    expect(() => mmu.setRegisters({ ...regs, ttbcr: 0 })).toThrow(RegisterError);
    expect(() => mmu.setRegisters({ ...regs, ttbr0: regs.ttbr0 | bit(40) })).toThrow(RegisterError);
    expect(() => mmu.setRegisters({ ttbcr: regs.ttbcr })).toThrow(/Missing|not given/);
    expect(() => mmu.setRegisters({ ...regs, ttbcr: 1n << 32n })).toThrow(RangeError);
    expect(mmu.translateNumber(0x1abc, Access.READ, PL0)).toBe(0x4_0000_1abc);
    expect(mmu.translate(1n << 32n, Access.READ, PL0)).toMatchObject({ ok: false, kind: 'NonCanonical', level: -1 });
  });
});

/** `query`'s answer, or undefined where it says NotMapped. */
function lookup(table: A32LpaePageTable, va: bigint) {
  try {
    return table.query(va);
  } catch (e) {
    if (e instanceof PagingError && e.code === 'NotMapped') return undefined;
    throw e;
  }
}

describe('A32LpaeMmu: random tables built through the API, outcomes from query (seeded)', () => {
  it('PA, size and level from query; an access allowed exactly when the flags grant it', () => {
    const FLAGS = [READ, READ | WRITE, READ | EXECUTE, READ | USER, READ | WRITE | USER, READ | EXECUTE | USER, READ | WRITE | EXECUTE | USER];
    const SIZES = [PageSize.Size4K, PageSize.Size2M, PageSize.Size1G];
    let x = 0xa32e;
    const next = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return Math.floor((x / 4294967296) * n); // the high bits: the low bits of an LCG have short periods
    };
    for (let run = 0; run < 5; run++) {
      const memory = new PhysicalMemory({ size: 2 << 20, base: 0x4000_0000 });
      const table = new A32LpaePageTable(memory);
      const c = table.cursor();
      const vas: bigint[] = [];
      for (let i = 0; i < 40; i++) {
        const size = SIZES[next(8) === 0 ? 2 : next(4) === 0 ? 1 : 0]!;
        const va = (BigInt(next(4)) << 30n) + ((BigInt(next(1 << 18)) << 12n) & ~BigInt(size - 1) & 0x3fff_ffffn);
        try {
          c.map(va, (BigInt(next(1 << 16)) << 24n) & ~BigInt(size - 1), size, FLAGS[next(FLAGS.length)]!);
          vas.push(va);
        } catch (e) {
          if (!(e instanceof PagingError)) throw e;
        }
      }
      c.flush();
      const mmu = new A32LpaeMmu(memory, encodeA32LpaeRegisters({ ttbr0: table }));
      for (let i = 0; i < 300; i++) {
        const va = (i % 3 === 0 ? BigInt(next(1 << 20)) << 12n : vas[next(vas.length)]!) + BigInt(next(0x1000));
        const access = next(3) as AccessKind;
        const priv = next(2) as PrivilegeLevel;
        const q = lookup(table, va);
        const r = mmu.translate(va, access, priv);
        if (q === undefined) {
          expect(r).toMatchObject({ ok: false, kind: 'NotPresent' });
          continue;
        }
        const level = q.size === PageSize.Size1G ? 0 : q.size === PageSize.Size2M ? 1 : 2;
        // the codec gives user mappings PXN (B3.7.2): PL1 never executes them
        const pl1NoExec = priv === PL1 && (q.flags & USER) !== 0 ? EXECUTE : 0;
        const flags = q.flags & (READ | WRITE | EXECUTE | USER) & ~pl1NoExec;
        const needed = [READ, WRITE, EXECUTE][access]! | (priv === PL0 ? USER : 0);
        if ((flags & needed) === needed) {
          expect(r).toEqual({ ok: true, paddr: q.paddr, size: q.size, level, permissions: flags });
        } else {
          expect(r).toMatchObject({ ok: false, kind: 'Permission', level });
        }
      }
    }
  });
});

describe('A32LpaeMmu behind a Tlb', () => {
  it('every access through the TLB gives what a fresh walk gives, with WXN / UWXN changing (seeded)', () => {
    const { memory, regs, set } = fixture();
    set(0x2000, 3, XN);
    const tlb = new Tlb(new A32LpaeMmu(memory, regs), { entries: 16, ways: 2 });
    const model = tlb.model as A32LpaeMmu;
    const fresh = new A32LpaeMmu(memory, regs);
    const VAS = [0x1000, 0x2000, 0x3000, 0x20_0000, 0x21_0000, 0x4000_0000, 0x7fff_f000, 0x8000_0000];
    let x = 7;
    const next = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return Math.floor((x / 4294967296) * n); // the high bits: the low bits of an LCG have short periods
    };
    for (let i = 0; i < 3000; i++) {
      if (next(40) === 0) model.sctlr = fresh.sctlr = [0, WXN, UWXN, WXN | UWXN][next(4)]!;
      const va = VAS[next(VAS.length)]! + 8 * next(512);
      const access = next(3) as AccessKind;
      const priv = next(2) as PrivilegeLevel;
      const want = fresh.translateWords(va, 0, access, priv);
      const got = tlb.translateWords(va, 0, access, priv);
      expect([got, tlb.paLo, tlb.paHi, tlb.permissions, tlb.level, got < 0 ? model.fsr : 0]).toEqual([
        want,
        want === 0 ? fresh.paLo : tlb.paLo,
        want === 0 ? fresh.paHi : tlb.paHi,
        fresh.permissions,
        fresh.level,
        want < 0 ? fresh.fsr : 0,
      ]);
    }
    expect(tlb.hits).toBeGreaterThan(500);
  });

  it('a stale entry survives an unmap until TLBIMVA removes it; nG entries carry the ASID', () => {
    const { table, mmu } = fixture();
    const tlb = new Tlb(mmu);
    tlb.asid = mmu.asid;
    expect(tlb.translateNumber(0x1008, Access.READ, PL1)).toBe(0x4_0000_1008);
    const c = table.cursor();
    c.unmap(0x1000n);
    c.flush();
    expect(tlb.translateNumber(0x1008, Access.READ, PL1)).toBe(0x4_0000_1008);
    tlbimva(tlb, 0x1000, mmu.asid);
    expect(tlb.translateNumber(0x1008, Access.READ, PL1)).toBeLessThan(0);
  });
});
