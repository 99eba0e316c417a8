// A64Stage2Mmu against the Arm ARM (DDI 0487 K.a): D8.2 (start levels, concatenated roots, the IPA size,
// AArch64.S2InvalidSL()), D8.3 (descriptor encodings, blocks per granule), D8.4 stage 2 (S2AP, XN and FEAT_XNX's
// XN[1:0]), "Hardware updates to the translation tables" at stage 2 (AF with VTCR_EL2.HA, S2AP[1] with HD and DBM),
// AArch64.OAOutOfRange() with VTCR_EL2.PS, and ESR_EL2 / HPFAR_EL2 (D19.2). One case per rule with the outcome the
// manual's text gives, the register checks, and seeded agreement with the table's own `query` and of the faces.
import {
  A64Stage2Mmu,
  type A64Stage2MmuOptions,
  A64Stage2PageTable,
  A64Stage2PageTable4K40,
  A64Stage2PageTable16K40,
  encodeA64Stage2Registers,
} from '@page-table-multiarch/aarch64';
import {
  Access,
  type AccessKind,
  faultKindOf,
  MappingFlags,
  PageSize,
  PagingError,
  PhysicalMemory,
  Privilege,
  type PrivilegeLevel,
  RegisterError,
} from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE } = MappingFlags;
const EL0 = Privilege.USER;
const EL1 = Privilege.SUPERVISOR;
const bit = (n: number): bigint => 1n << BigInt(n);
// stage 2 descriptor bits (D8.3.1.2)
const S2AP_R = bit(6);
const S2AP_W = bit(7);
const AF = bit(10);
const DBM = bit(51);
const XN0 = bit(53);
const XN1 = bit(54);
// VTCR_EL2: PS [18:16], HA [21], HD [22]
const PS_MASK = 7n << 16n;
const HA = bit(21);
const HD = bit(22);

const RAM = 0x4000_0000n;

/**
 * A 4K/40 stage 2 table (level 1 start, two concatenated root tables): a 4K page at IPA 0x1000, a 2M block at
 * 0x20_0000, a 4K page behind the second root table at 0x80_0000_0000, a 1G block at 0x4000_0000.
 */
function fixture(pageFlags = READ | WRITE | EXECUTE) {
  const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
  const table = new A64Stage2PageTable4K40(memory);
  const c = table.cursor();
  c.map(0x1000n, 0x4008_0000n, PageSize.Size4K, pageFlags);
  c.map(0x20_0000n, 0x4020_0000n, PageSize.Size2M, READ | WRITE);
  c.map(0x80_0000_0000n, 0x4009_0000n, PageSize.Size4K, READ);
  c.map(0x4000_0000n, 0x8000_0000n, PageSize.Size1G, READ | EXECUTE);
  c.flush();
  const regs = encodeA64Stage2Registers(table, { vmid: 5 });
  const next = (at: bigint): bigint => memory.readU64(at) & 0x0000_ffff_ffff_f000n;
  // the entries on the way to 0x1000: lookup levels 1 (root), 2, 3 (the page); the 2M block at level 2
  const l1 = table.rootPaddr;
  const l2 = next(l1);
  const l3 = next(l2);
  const entries = { l1, l2, page: l3 + 8n, block: l2 + 8n };
  return { memory, table, regs, entries };
}

type Fixture = ReturnType<typeof fixture>;

function mmuOf(f: Fixture, extra: Partial<A64Stage2MmuOptions> = {}, vtcr = 0n): A64Stage2Mmu {
  return new A64Stage2Mmu(f.memory, { ...f.regs, vtcr: f.regs.vtcr | vtcr, ...extra });
}

/** "ok <pa>" or "<kind> esr <hex>". */
function outcome(mmu: A64Stage2Mmu, ipa: bigint, access: AccessKind, privilege: PrivilegeLevel = EL1): string {
  const r = mmu.translate(ipa, access, privilege);
  return r.ok ? `ok ${r.paddr.toString(16)}` : `${r.kind} esr ${r.syndrome.esr.toString(16)}`;
}

const set = (f: Fixture, at: bigint, on: bigint, off = 0n): void => f.memory.writeU64(at, (f.memory.readU64(at) | on) & ~off);

describe('A64Stage2Mmu: one case per rule', () => {
  it('translates pages and blocks through a concatenated root; offset and block bits from the IPA (D8.2)', () => {
    const mmu = mmuOf(fixture());
    expect(outcome(mmu, 0x1234n, Access.READ)).toBe('ok 40080234');
    expect(outcome(mmu, 0x2f_4568n, Access.WRITE)).toBe('ok 402f4568');
    // IPA bit 39 indexes the second of the two concatenated level 1 tables
    expect(outcome(mmu, 0x80_0000_0010n, Access.READ)).toBe('ok 40090010');
    expect(mmu.translate(0x4123_4567n, Access.EXECUTE, EL0)).toMatchObject({ ok: true, paddr: 0x8123_4567n, size: PageSize.Size1G, level: 0, permissions: READ | EXECUTE });
    expect(mmu.translate(0x20_0000n, Access.READ, EL0)).toMatchObject({ ok: true, size: PageSize.Size2M, level: 1, permissions: READ | WRITE });
    expect(mmu.vmid).toBe(5);
    expect(mmu.startLevel).toBe(1);
  });

  it('ESR_EL2: EC 0x24 / 0x20 (from a lower Exception level), IL, WnR, DFSC translation fault with the lookup level; HPFAR_EL2 (D19.2)', () => {
    const mmu = mmuOf(fixture());
    // 0x3000: no entry in the level 3 table; 0xc000_0000: no level 2 table (root entry invalid)
    expect(outcome(mmu, 0x3000n, Access.READ)).toBe('NotPresent esr 92000007');
    expect(outcome(mmu, 0x3000n, Access.WRITE, EL0)).toBe('NotPresent esr 92000047');
    expect(outcome(mmu, 0xc000_0000n, Access.EXECUTE)).toBe('NotPresent esr 82000005');
    const r = mmu.translate(0x12_3456_7008n, Access.READ, EL1);
    expect(r.ok === false && r.syndrome).toEqual({ esr: 0x9200_0005, ec: 0x24, fsc: 5, wnr: 0, hpfar: 0x123_4567n << 4n });
    expect(r.ok === false && r.level).toBe(0);
    expect(mmu.hpfar).toBe(0x123_4567 * 16);
  });

  it('an IPA at or above 2^(64 - T0SZ) is a level 0 Translation fault before any table read (AArch64.IPAIsOutOfRange)', () => {
    const mmu = mmuOf(fixture());
    expect(outcome(mmu, bit(40), Access.READ)).toBe('NonCanonical esr 92000004');
    expect(outcome(mmu, 0xffff_ffff_ffff_f000n, Access.EXECUTE)).toBe('NonCanonical esr 82000004');
    const r = mmu.translate(bit(40) + 0x5000n, Access.WRITE, EL0);
    expect(r).toMatchObject({ ok: false, level: -1, syndrome: { fsc: 4, wnr: 1, hpfar: (bit(40) + 0x5000n) >> 8n } });
  });

  it('S2AP: no access, read-only, write-only, read/write; a fetch needs no read permission (D8.4)', () => {
    const f = fixture(EXECUTE);
    const mmu = mmuOf(f);
    expect(outcome(mmu, 0x1000n, Access.READ)).toBe('Permission esr 9200000f');
    expect(outcome(mmu, 0x1000n, Access.WRITE)).toBe('Permission esr 9200004f');
    expect(outcome(mmu, 0x1000n, Access.EXECUTE, EL0)).toBe('ok 40080000');
    set(f, f.entries.page, S2AP_R);
    expect(outcome(mmu, 0x1000n, Access.READ, EL0)).toBe('ok 40080000');
    expect(outcome(mmu, 0x1000n, Access.WRITE, EL0)).toBe('Permission esr 9200004f');
    set(f, f.entries.page, S2AP_W, S2AP_R);
    expect(outcome(mmu, 0x1000n, Access.READ)).toBe('Permission esr 9200000f');
    expect(outcome(mmu, 0x1000n, Access.WRITE)).toBe('ok 40080000');
    set(f, f.entries.page, S2AP_R);
    expect(mmu.translate(0x1000n, Access.WRITE, EL0)).toMatchObject({ ok: true, permissions: READ | WRITE | EXECUTE });
  });

  it('XN: bit 54 alone without FEAT_XNX; XN[1:0] per Exception level with it (D8.4)', () => {
    const f = fixture(READ | EXECUTE);
    const plain = mmuOf(f);
    const xnx = mmuOf(f, { xnx: true });
    const fetches = (): string =>
      [plain, xnx].map((m) => [EL0, EL1].map((el) => (m.translate(0x1000n, Access.EXECUTE, el).ok ? 'x' : '-')).join('')).join(' ');
    // XN[1:0] = 0b00: both; 0b01: EL0 only with XNX (bit 53 ignored without); 0b10: neither; 0b11: EL1 only with XNX
    expect(fetches()).toBe('xx xx');
    set(f, f.entries.page, XN0);
    expect(fetches()).toBe('xx x-');
    set(f, f.entries.page, XN1, XN0);
    expect(fetches()).toBe('-- --');
    set(f, f.entries.page, XN0);
    expect(fetches()).toBe('-- -x');
    expect(outcome(plain, 0x1000n, Access.EXECUTE, EL0)).toBe('Permission esr 8200000f');
  });

  it('AF = 0: Access flag fault without VTCR_EL2.HA, before a permission fault; with HA set by an access that translates (D8)', () => {
    const f = fixture(READ);
    set(f, f.entries.page, 0n, AF);
    const before = f.memory.readU64(f.entries.page);
    expect(outcome(mmuOf(f), 0x1000n, Access.WRITE)).toBe('AccessFlag esr 9200004b');
    expect(f.memory.readU64(f.entries.page)).toBe(before);
    const ha = mmuOf(f, {}, HA);
    expect(ha.ha).toBe(true);
    expect(outcome(ha, 0x1000n, Access.WRITE)).toBe('Permission esr 9200004f');
    expect(f.memory.readU64(f.entries.page)).toBe(before);
    expect(outcome(mmuOf(f, { hafdbs: false }, HA), 0x1000n, Access.READ)).toBe('AccessFlag esr 9200000b');
    expect(outcome(ha, 0x1000n, Access.READ)).toBe('ok 40080000');
    expect(f.memory.readU64(f.entries.page)).toBe(before | AF);
  });

  it('dirty state: with VTCR_EL2.HA and HD a write to a DBM descriptor sets S2AP[1] (D8)', () => {
    const f = fixture(READ);
    set(f, f.entries.page, DBM);
    const clean = f.memory.readU64(f.entries.page);
    expect(outcome(mmuOf(f, {}, HA), 0x1000n, Access.WRITE)).toBe('Permission esr 9200004f');
    expect(outcome(mmuOf(f, {}, HD), 0x1000n, Access.WRITE)).toBe('Permission esr 9200004f');
    expect(outcome(mmuOf(f, { hafdbs: false }, HA | HD), 0x1000n, Access.WRITE)).toBe('Permission esr 9200004f');
    expect(outcome(mmuOf(f, {}, HA | HD), 0x1000n, Access.READ)).toBe('ok 40080000');
    expect(f.memory.readU64(f.entries.page)).toBe(clean);
    expect(outcome(mmuOf(f, {}, HA | HD), 0x1000n, Access.WRITE, EL0)).toBe('ok 40080000');
    expect(f.memory.readU64(f.entries.page)).toBe(clean | S2AP_W);
    // without DBM nothing changes
    const g = fixture(READ);
    expect(outcome(mmuOf(g, {}, HA | HD), 0x1000n, Access.WRITE)).toBe('Permission esr 9200004f');
  });

  it('Address size fault beyond VTCR_EL2.PS or the implemented size: output, next-level table, VTTBR_EL2 base (AArch64.OAOutOfRange)', () => {
    const f = fixture();
    const ps40 = (f.regs.vtcr & ~PS_MASK) | (2n << 16n);
    set(f, f.entries.page, bit(44));
    expect(outcome(mmuOf(f), 0x1000n, Access.READ)).toBe('ok 100040080000');
    expect(outcome(mmuOf(f, { vtcr: ps40 }), 0x1000n, Access.READ)).toBe('AddressSize esr 92000003');
    expect(outcome(mmuOf(f, { paBits: 40 }), 0x1000n, Access.READ)).toBe('AddressSize esr 92000003');
    set(f, f.entries.l2, bit(40));
    expect(outcome(mmuOf(f, { vtcr: ps40 }), 0x1000n, Access.READ)).toBe('AddressSize esr 92000002');
    const g = fixture();
    expect(outcome(mmuOf(g, { vtcr: ps40, vttbr: g.regs.vttbr | bit(41) }), 0x1000n, Access.WRITE)).toBe('AddressSize esr 92000040');
  });

  it('reserved encodings: 0b01 at level 3; a level 1 Block with the 16K granule; a table read outside the memory (D8.3)', () => {
    const f = fixture();
    set(f, f.entries.page, 0n, 2n);
    expect(outcome(mmuOf(f), 0x1000n, Access.READ)).toBe('NotPresent esr 92000007');
    set(f, f.entries.l1, bit(44));
    expect(outcome(mmuOf(f), 0x1000n, Access.READ)).toBe('ExternalAbort esr 92000016');
    // 16K/40: level 2 start with 16 concatenated tables; a 32M block at level 2
    const memory = new PhysicalMemory({ size: 4 << 20, base: RAM });
    const t16 = new A64Stage2PageTable16K40(memory);
    t16.cursor().map(0xf0_0000_4000n, RAM + 0x4000n, PageSize.Size16K, READ);
    t16.cursor().map(0x200_0000n, 0x8000_0000n, PageSize.Size32M, READ);
    const m16 = new A64Stage2Mmu(memory, encodeA64Stage2Registers(t16));
    expect(m16.startLevel).toBe(2);
    expect(outcome(m16, 0xf0_0000_4008n, Access.READ)).toBe('ok 40004008');
    expect(outcome(m16, 0x200_1234n, Access.READ)).toBe('ok 80001234');
    expect(outcome(m16, 0xf0_0000_8000n, Access.READ)).toBe('NotPresent esr 92000007');
    // a 64K-granule walk from level 1 with a level 1 Block: a Translation fault without FEAT_LPA
    const m64mem = new PhysicalMemory({ size: 4 << 20, base: RAM });
    const t64 = new A64Stage2PageTable(m64mem, { granule: 64, ipaBits: 48 });
    m64mem.writeU64(t64.rootPaddr + 8n, 1n | AF | S2AP_R);
    const regs64 = encodeA64Stage2Registers(t64);
    expect(outcome(new A64Stage2Mmu(m64mem, regs64), (4n << 40n) + 0x10n, Access.READ)).toBe('NotPresent esr 92000005');
    expect(outcome(new A64Stage2Mmu(m64mem, { ...regs64, paBits: 52 }), (4n << 40n) + 0x10n, Access.READ)).toBe('ok 10');
  });
});

describe('A64Stage2Mmu: registers and arguments', () => {
  it('refuses registers it does not model and bad arguments, changing nothing', () => {
    const f = fixture();
    const mmu = mmuOf(f);
    const image = f.memory.bytes().slice();
    // SL0 = 0b00 (level 2) cannot resolve 40 bits (AArch64.S2InconsistentSL()); DS = 1; a 4K walk from level 0
    // with a 40-bit PARange (AArch64.S2InvalidSL())
    expect(() => mmuOf(f, { vtcr: f.regs.vtcr & ~(3n << 6n) })).toThrow(RegisterError);
    expect(() => mmuOf(f, {}, bit(32))).toThrow(RegisterError);
    const deep = new A64Stage2PageTable(new PhysicalMemory({ size: 1 << 20, base: RAM }), { ipaBits: 44, startLevel: 0 });
    const deepRegs = encodeA64Stage2Registers(deep);
    expect(() => new A64Stage2Mmu(f.memory, { ...deepRegs, paBits: 40 })).toThrow(/S2InvalidSL/);
    expect(new A64Stage2Mmu(f.memory, { ...deepRegs, paBits: 44 }).startLevel).toBe(0);
    expect(() => mmuOf(f, { paBits: 50 })).toThrow(RangeError);
    expect(() => mmu.setRegisters({ ...f.regs, vtcr: f.regs.vtcr | bit(32) })).toThrow(RegisterError);
    expect(outcome(mmu, 0x1000n, Access.READ)).toBe('ok 40080000');
    expect(() => mmu.translate(-1n, Access.READ, EL0)).toThrow(PagingError);
    expect(() => mmu.translate(0x1000n, 3 as AccessKind, EL0)).toThrow(RangeError);
    expect(() => mmu.translateNumber(0x1000, Access.READ, 2 as PrivilegeLevel)).toThrow(RangeError);
    const now = f.memory.bytes();
    expect(now.length === image.length && now.every((b, i) => b === image[i])).toBe(true);
  });

  it('agrees with the table it walks: every access to a random table allowed exactly as the flags were written (seeded)', () => {
    let seed = 0x5eed_0002;
    const rand = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (const granule of [4, 16, 64] as const) {
      const memory = new PhysicalMemory({ size: 16 << 20, base: RAM });
      const table = new A64Stage2PageTable(memory, { granule, ipaBits: 40 });
      const page = granule * 1024;
      const mmu = new A64Stage2Mmu(memory, encodeA64Stage2Registers(table));
      const c = table.cursor();
      const pages = new Map<number, number>();
      for (let i = 0; i < 300; i++) {
        const ipa = (rand() % 0x4_0000) * page;
        if (pages.has(ipa)) continue;
        const flags = 1 + (rand() % 7);
        pages.set(ipa, flags);
        c.map(ipa, 0x1_0000_0000 + i * page, page as PageSize, flags);
      }
      c.flush();
      for (const [ipa, flags] of pages) {
        const off = (rand() % page) & ~7;
        for (const access of [Access.READ, Access.WRITE, Access.EXECUTE] as const) {
          const r = mmu.translate(BigInt(ipa + off), access, EL1);
          const n = mmu.translateNumber(ipa + off, access, EL1);
          expect(r.ok, `${granule}K ${ipa.toString(16)} flags ${flags} access ${access}`).toBe(((flags >> access) & 1) === 1);
          if (r.ok) {
            expect(r.paddr).toBe(table.query(ipa + off).paddr);
            expect(n).toBe(Number(r.paddr));
          } else {
            expect(faultKindOf(n)).toBe('Permission');
          }
        }
        // the next page, when unmapped, is a Translation fault where query says NotMapped
        if (!pages.has(ipa + page)) {
          expect(mmu.translate(BigInt(ipa + page), Access.READ, EL0)).toMatchObject({ ok: false, kind: 'NotPresent' });
          expect(() => table.query(ipa + page)).toThrow(PagingError);
        }
      }
    }
  });
});
