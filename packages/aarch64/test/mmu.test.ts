// A64Mmu against the Arm ARM (DDI 0487 K.a): D8.2 (ranges, EPDn, E0PDn, start levels), D8.3 (descriptor
// encodings, blocks per granule), D8.4 (AP[2:1], PXN / UXN, PAN, WXN, APTable / PXNTable / UXNTable and HPD),
// "Hardware updates to the translation tables" (AF with HA, dirty state with HD and DBM), D8.8 (TBI / TBID), and
// ESR_EL1 / FAR_EL1 (D19.2). One case per rule with the outcome the manual's text gives, the register checks, and
// seeded agreement of the three faces.
import { A64Mmu, type A64MmuOptions, A64PageTable, encodeA64Registers } from '@page-table-multiarch/aarch64';
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

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
const EL0 = Privilege.USER;
const EL1 = Privilege.SUPERVISOR;
const bit = (n: number): bigint => 1n << BigInt(n);
// descriptor bits (D8.3.1.1, D8.3.1.2)
const AP1 = bit(6);
const AP2 = bit(7);
const AF = bit(10);
const DBM = bit(51);
const PXN = bit(53);
const UXN = bit(54);
const PXN_TABLE = bit(59);
const UXN_TABLE = bit(60);
const AP_TABLE0 = bit(61);
const AP_TABLE1 = bit(62);
// TCR_EL1 fields
const EPD0 = bit(7);
const EPD1 = bit(23);
const TBI0 = bit(37);
const HA = bit(39);
const HD = bit(40);
const HPD0 = bit(41);
const TBID0 = bit(51);
const E0PD0 = bit(55);
const IPS_MASK = 7n << 32n;
// SCTLR_EL1: M, WXN
const M = 1n;
const WXN = bit(19);

const RAM = 0x4000_0000n;

/** A 4K/48 table in TTBR0 and one in TTBR1: a 4K page at 0x1000, a 2M block at 0x20_0000, a 4K page in the upper range. */
function fixture(leafFlags = READ | WRITE | USER) {
  const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
  const lower = new A64PageTable(memory, { half: 'lower' });
  const upper = new A64PageTable(memory, { half: 'upper' });
  const c = lower.cursor();
  c.map(0x1000n, 0x4008_0000n, PageSize.Size4K, leafFlags);
  c.map(0x20_0000n, 0x4020_0000n, PageSize.Size2M, leafFlags);
  c.flush();
  upper.cursor().map(0xffff_ffff_ffff_f000n, 0x4009_0000n, PageSize.Size4K, READ | WRITE);
  const regs = encodeA64Registers({ ttbr0: lower, ttbr1: upper });
  // the entries on the way to 0x1000: levels 0, 1, 2 (pointers) and 3 (the page); the 2M block at level 2
  const next = (at: bigint): bigint => memory.readU64(at) & 0x0000_ffff_ffff_f000n;
  const l0 = lower.rootPaddr;
  const l1 = next(l0);
  const l2 = next(l1);
  const l3 = next(l2);
  const entries = { l0, l1, l2, page: l3 + 8n, block: l2 + 8n };
  return { memory, lower, upper, regs, entries };
}

type Fixture = ReturnType<typeof fixture>;

function mmuOf(f: Fixture, extra: Partial<A64MmuOptions> = {}, tcr = 0n, sctlr = M): A64Mmu {
  return new A64Mmu(f.memory, { ...f.regs, tcr: f.regs.tcr | tcr, sctlr, ...extra });
}

/** "ok <pa>" or "<kind> esr <hex>". */
function outcome(mmu: A64Mmu, va: bigint, access: AccessKind, privilege: PrivilegeLevel): string {
  const r = mmu.translate(va, access, privilege);
  return r.ok ? `ok ${r.paddr.toString(16)}` : `${r.kind} esr ${r.syndrome.esr.toString(16)}`;
}

const set = (f: Fixture, at: bigint, on: bigint, off = 0n): void => f.memory.writeU64(at, (f.memory.readU64(at) | on) & ~off);

describe('A64Mmu: one case per rule', () => {
  it('translates pages and blocks, offset and block bits from the VA (D8.2, D8.3.1.2)', () => {
    const f = fixture();
    const mmu = mmuOf(f);
    expect(outcome(mmu, 0x1234n, Access.READ, EL0)).toBe('ok 40080234');
    expect(outcome(mmu, 0x2f_4568n, Access.WRITE, EL1)).toBe('ok 402f4568');
    expect(outcome(mmu, 0xffff_ffff_ffff_f010n, Access.READ, EL1)).toBe('ok 40090010');
    const r = mmu.translate(0x20_0000n, Access.READ, EL0);
    expect(r).toMatchObject({ ok: true, size: PageSize.Size2M, level: 2, permissions: READ | WRITE | USER });
  });

  it('ESR_EL1: EC by access and Exception level, IL, WnR, DFSC translation fault level n; FAR (D19.2)', () => {
    const f = fixture();
    const mmu = mmuOf(f);
    // 0x3000: the level 3 table has no entry there; 0x4000_0000: no level 2 table (level 1 entry invalid)
    expect(outcome(mmu, 0x3000n, Access.READ, EL0)).toBe('NotPresent esr 92000007'); // EC 0x24, IL, 0b000111
    expect(outcome(mmu, 0x3000n, Access.WRITE, EL1)).toBe('NotPresent esr 96000047'); // EC 0x25, WnR
    expect(outcome(mmu, 0x4000_0000n, Access.EXECUTE, EL0)).toBe('NotPresent esr 82000005'); // EC 0x20, level 1
    expect(outcome(mmu, 0x80_0000_0000n, Access.EXECUTE, EL1)).toBe('NotPresent esr 86000004'); // EC 0x21, level 0
    const r = mmu.translate(0x3008n, Access.READ, EL1);
    expect(r.ok === false && r.syndrome).toEqual({ esr: 0x9600_0007, ec: 0x25, fsc: 7, wnr: 0, far: 0x3008n });
    expect(r.ok === false && r.level).toBe(3);
  });

  it('addresses outside both ranges are level 0 translation faults; bit 55 selects the range (D8.2)', () => {
    const mmu = mmuOf(fixture());
    expect(outcome(mmu, 0x0001_0000_0000_0000n, Access.READ, EL1)).toBe('NonCanonical esr 96000004');
    expect(outcome(mmu, 0xfffe_ffff_ffff_f000n, Access.READ, EL1)).toBe('NonCanonical esr 96000004');
    // bit 55 set, bits 63:56 clear: the TTBR1 range, not canonical there
    expect(outcome(mmu, 0x0080_0000_0000_1000n, Access.READ, EL1)).toBe('NonCanonical esr 96000004');
    const r = mmuOf(fixture()).translate(0x0001_0000_0000_0000n, Access.READ, EL1);
    expect(r.ok === false && r.level).toBe(-1);
  });

  it('TBI0 ignores bits 63:56 of data addresses, TBID0 keeps them for fetches (D8.8)', () => {
    const f = fixture(READ | WRITE | EXECUTE | USER);
    const tagged = 0x5a00_0000_0000_1010n;
    expect(outcome(mmuOf(f), tagged, Access.READ, EL0)).toBe('NonCanonical esr 92000004');
    expect(outcome(mmuOf(f, {}, TBI0), tagged, Access.READ, EL0)).toBe('ok 40080010');
    expect(outcome(mmuOf(f, {}, TBI0), tagged, Access.EXECUTE, EL0)).toBe('ok 40080010');
    expect(outcome(mmuOf(f, {}, TBI0 | TBID0), tagged, Access.EXECUTE, EL0)).toBe('NonCanonical esr 82000004');
    // FAR keeps the tag
    const r = mmuOf(f, {}, TBI0).translate(0x5a00_0000_0000_3000n, Access.READ, EL0);
    expect(r.ok === false && r.syndrome.far).toBe(0x5a00_0000_0000_3000n);
  });

  it('EPD0 disables TTBR0 walks; E0PD0 only for EL0 (D8.2, FEAT_E0PD)', () => {
    const f = fixture();
    expect(outcome(mmuOf(f, {}, EPD0), 0x1000n, Access.READ, EL1)).toBe('NotPresent esr 96000004');
    expect(outcome(mmuOf(f, {}, E0PD0), 0x1000n, Access.READ, EL0)).toBe('NotPresent esr 92000004');
    expect(outcome(mmuOf(f, {}, E0PD0), 0x1000n, Access.READ, EL1)).toBe('ok 40080000');
    expect(outcome(mmuOf(f, {}, EPD1), 0xffff_ffff_ffff_f000n, Access.READ, EL1)).toBe('NotPresent esr 96000004');
  });

  it('reserved encodings: 0b01 at level 3, a level 0 block with the 4K granule (D8.3)', () => {
    const f = fixture();
    set(f, f.entries.page, 0n, 2n);
    expect(outcome(mmuOf(f), 0x1000n, Access.READ, EL1)).toBe('NotPresent esr 96000007');
    const g = fixture();
    set(g, g.entries.l0, 0n, 2n);
    expect(outcome(mmuOf(g), 0x1000n, Access.READ, EL1)).toBe('NotPresent esr 96000004');
  });

  it('AP[2:1]: EL1-only, read-only, EL0 access (D8.4.1)', () => {
    const f = fixture(READ | WRITE);
    const mmu = mmuOf(f);
    expect(outcome(mmu, 0x1000n, Access.READ, EL0)).toBe('Permission esr 9200000f');
    expect(outcome(mmu, 0x1000n, Access.WRITE, EL1)).toBe('ok 40080000');
    set(f, f.entries.page, AP2);
    expect(outcome(mmu, 0x1000n, Access.WRITE, EL1)).toBe('Permission esr 9600004f');
    set(f, f.entries.page, AP1);
    expect(outcome(mmu, 0x1000n, Access.READ, EL0)).toBe('ok 40080000');
    expect(outcome(mmu, 0x1000n, Access.WRITE, EL0)).toBe('Permission esr 9200004f');
  });

  it('execute: UXN for EL0, PXN for EL1, EL0-writable locations are PXN (D8.4.1)', () => {
    const f = fixture(READ | WRITE | USER);
    const mmu = mmuOf(f);
    set(f, f.entries.page, 0n, UXN | PXN);
    expect(outcome(mmu, 0x1000n, Access.EXECUTE, EL0)).toBe('ok 40080000');
    expect(outcome(mmu, 0x1000n, Access.EXECUTE, EL1)).toBe('Permission esr 8600000f');
    set(f, f.entries.page, AP2);
    expect(outcome(mmu, 0x1000n, Access.EXECUTE, EL1)).toBe('ok 40080000');
    set(f, f.entries.page, UXN | PXN);
    expect(outcome(mmu, 0x1000n, Access.EXECUTE, EL0)).toBe('Permission esr 8200000f');
    expect(outcome(mmu, 0x1000n, Access.EXECUTE, EL1)).toBe('Permission esr 8600000f');
  });

  it('PAN: no EL1 loads or stores to EL0-accessible locations, fetches unaffected (D8.4.1, FEAT_PAN)', () => {
    const f = fixture(READ | USER);
    set(f, f.entries.page, 0n, PXN);
    const mmu = mmuOf(f, { pan: true });
    expect(outcome(mmu, 0x1000n, Access.READ, EL1)).toBe('Permission esr 9600000f');
    expect(outcome(mmu, 0x1000n, Access.EXECUTE, EL1)).toBe('ok 40080000');
    expect(outcome(mmu, 0x1000n, Access.READ, EL0)).toBe('ok 40080000');
    mmu.pan = false;
    expect(outcome(mmu, 0x1000n, Access.READ, EL1)).toBe('ok 40080000');
    // a location EL0 cannot access is not affected
    const g = fixture(READ | WRITE);
    expect(outcome(mmuOf(g, { pan: true }), 0x1000n, Access.WRITE, EL1)).toBe('ok 40080000');
  });

  it('WXN: writable means execute-never at that Exception level (D8.4.1)', () => {
    const f = fixture(READ | WRITE | EXECUTE);
    expect(outcome(mmuOf(f), 0x1000n, Access.EXECUTE, EL1)).toBe('ok 40080000');
    expect(outcome(mmuOf(f, {}, 0n, M | WXN), 0x1000n, Access.EXECUTE, EL1)).toBe('Permission esr 8600000f');
    set(f, f.entries.page, AP2);
    expect(outcome(mmuOf(f, {}, 0n, M | WXN), 0x1000n, Access.EXECUTE, EL1)).toBe('ok 40080000');
    const g = fixture(READ | WRITE | EXECUTE | USER);
    expect(outcome(mmuOf(g, {}, 0n, M | WXN), 0x1000n, Access.EXECUTE, EL0)).toBe('Permission esr 8200000f');
    expect(mmuOf(g, {}, 0n, M | WXN).translate(0x1000n, Access.READ, EL0)).toMatchObject({ permissions: READ | WRITE | USER });
  });

  it('hierarchical limits: APTable[0], APTable[1], UXNTable, PXNTable at any level; HPD0 ignores them (D8.4)', () => {
    for (const at of ['l0', 'l1', 'l2'] as const) {
      const f = fixture(READ | WRITE | EXECUTE | USER);
      set(f, f.entries.page, 0n, UXN | PXN);
      const entry = f.entries[at];
      const lookup = ['l0', 'l1', 'l2'].indexOf(at);
      set(f, entry, AP_TABLE0);
      expect(outcome(mmuOf(f), 0x1000n, Access.READ, EL0), at).toBe('Permission esr 9200000f');
      expect(outcome(mmuOf(f), 0x1000n, Access.WRITE, EL1), at).toBe('ok 40080000');
      expect(outcome(mmuOf(f, {}, HPD0), 0x1000n, Access.READ, EL0), at).toBe('ok 40080000');
      set(f, entry, AP_TABLE1, AP_TABLE0);
      expect(outcome(mmuOf(f), 0x1000n, Access.WRITE, EL1), at).toBe('Permission esr 9600004f');
      expect(outcome(mmuOf(f), 0x1000n, Access.READ, EL0), at).toBe('ok 40080000');
      set(f, entry, UXN_TABLE, AP_TABLE1);
      expect(outcome(mmuOf(f), 0x1000n, Access.EXECUTE, EL0), at).toBe('Permission esr 8200000f');
      expect(outcome(mmuOf(f, {}, HPD0), 0x1000n, Access.EXECUTE, EL0), at).toBe('ok 40080000');
      set(f, entry, PXN_TABLE, UXN_TABLE);
      set(f, f.entries.page, AP2);
      expect(outcome(mmuOf(f), 0x1000n, Access.EXECUTE, EL1), at).toBe('Permission esr 8600000f');
      expect(outcome(mmuOf(f, {}, HPD0), 0x1000n, Access.EXECUTE, EL1), at).toBe('ok 40080000');
      expect(lookup).toBeGreaterThanOrEqual(0);
    }
  });

  it('AF = 0: Access flag fault without HA, before a permission fault; with HA set by an access that translates (D8)', () => {
    const f = fixture(READ | USER);
    set(f, f.entries.page, 0n, AF);
    const before = f.memory.readU64(f.entries.page);
    expect(outcome(mmuOf(f), 0x1000n, Access.WRITE, EL0)).toBe('AccessFlag esr 9200004b');
    expect(f.memory.readU64(f.entries.page)).toBe(before);
    const ha = mmuOf(f, {}, HA);
    // a permission fault sets nothing
    expect(outcome(ha, 0x1000n, Access.WRITE, EL0)).toBe('Permission esr 9200004f');
    expect(f.memory.readU64(f.entries.page)).toBe(before);
    expect(outcome(ha, 0x1000n, Access.READ, EL0)).toBe('ok 40080000');
    expect(f.memory.readU64(f.entries.page)).toBe(before | AF);
  });

  it('dirty state: with HA and HD a write to a DBM page clears AP[2]; APTable[1] still forbids it (D8)', () => {
    const f = fixture(READ | USER);
    set(f, f.entries.page, DBM);
    const clean = f.memory.readU64(f.entries.page);
    expect(outcome(mmuOf(f, {}, HA), 0x1000n, Access.WRITE, EL0)).toBe('Permission esr 9200004f');
    expect(outcome(mmuOf(f, {}, HD), 0x1000n, Access.WRITE, EL0)).toBe('Permission esr 9200004f');
    expect(outcome(mmuOf(f, { hafdbs: false }, HA | HD), 0x1000n, Access.WRITE, EL0)).toBe('Permission esr 9200004f');
    expect(f.memory.readU64(f.entries.page)).toBe(clean);
    set(f, f.entries.l2, AP_TABLE1);
    expect(outcome(mmuOf(f, {}, HA | HD), 0x1000n, Access.WRITE, EL0)).toBe('Permission esr 9200004f');
    expect(f.memory.readU64(f.entries.page)).toBe(clean);
    set(f, f.entries.l2, 0n, AP_TABLE1);
    // a read leaves it clean
    expect(outcome(mmuOf(f, {}, HA | HD), 0x1000n, Access.READ, EL0)).toBe('ok 40080000');
    expect(f.memory.readU64(f.entries.page)).toBe(clean);
    expect(outcome(mmuOf(f, {}, HA | HD), 0x1000n, Access.WRITE, EL0)).toBe('ok 40080000');
    expect(f.memory.readU64(f.entries.page)).toBe(clean & ~AP2);
  });

  it('Address size fault: an output address or table address beyond TCR_EL1.IPS, or the implemented size (D8.2)', () => {
    const f = fixture();
    const ips32 = (f.regs.tcr & ~IPS_MASK) | 0n; // IPS 0b000: 32 bits
    set(f, f.entries.page, bit(32));
    expect(new A64Mmu(f.memory, { ...f.regs, tcr: ips32 }).translate(0x1000n, Access.READ, EL1)).toMatchObject({
      kind: 'AddressSize',
      syndrome: { fsc: 3 },
    });
    expect(outcome(mmuOf(f), 0x1000n, Access.READ, EL1)).toBe('ok 140080000');
    expect(outcome(mmuOf(f, { paBits: 32 }), 0x1000n, Access.READ, EL1)).toBe('AddressSize esr 96000003');
    set(f, f.entries.l1, bit(40));
    expect(outcome(mmuOf(f, { paBits: 40 }), 0x1000n, Access.READ, EL1)).toBe('AddressSize esr 96000001');
  });

  it('a table read outside the memory is a synchronous external abort on the walk', () => {
    const f = fixture();
    set(f, f.entries.l1, bit(44));
    expect(outcome(mmuOf(f), 0x1000n, Access.READ, EL1)).toBe('ExternalAbort esr 96000016');
  });

  it('SCTLR_EL1.M = 0: a flat map, with an Address size fault above the physical address size', () => {
    const mmu = mmuOf(fixture(), {}, 0n, 0n);
    expect(outcome(mmu, 0x1234_5678n, Access.WRITE, EL0)).toBe('ok 12345678');
    expect(outcome(mmu, 0x1_0000_0000_0000n, Access.READ, EL1)).toBe('AddressSize esr 96000000');
  });

  it('16K and 64K granules: start levels, blocks only at level 2 (D8.2, D8.3)', () => {
    for (const granule of [16, 64] as const) {
      const memory = new PhysicalMemory({ size: 4 << 20, base: RAM });
      const table = new A64PageTable(memory, { granule, vaBits: 42, half: 'lower' });
      const page = granule * 1024;
      const block = granule === 16 ? PageSize.Size32M : PageSize.Size512M;
      table.cursor().map(BigInt(page), RAM + BigInt(page), page as PageSize, READ | WRITE);
      table.cursor().map(BigInt(block), 0x8000_0000n, block, READ);
      const mmu = new A64Mmu(memory, encodeA64Registers({ ttbr0: table }));
      expect(mmu.translate(BigInt(page) + 8n, Access.WRITE, EL1)).toMatchObject({ ok: true, paddr: RAM + BigInt(page) + 8n, size: page });
      expect(mmu.translate(BigInt(block) + 0x10n, Access.READ, EL1)).toMatchObject({ ok: true, paddr: 0x8000_0010n, size: block });
      expect(mmu.translate(BigInt(block), Access.WRITE, EL1)).toMatchObject({ ok: false, kind: 'Permission', syndrome: { fsc: 0b001110 } });
      expect(mmu.translate(1n << 41n, Access.READ, EL1)).toMatchObject({ ok: false, kind: 'NotPresent' });
    }
  });

  it('64K granule: a level 1 Block (4TB) only with FEAT_LPA (PARange 52 bits); with IPS = 52 bits OA[51:48] is in bits 15:12 (D8.3)', () => {
    const memory = new PhysicalMemory({ size: 4 << 20, base: RAM });
    const table = new A64PageTable(memory, { granule: 64, vaBits: 48, half: 'lower' });
    // root entry 1 (VA 4TB..8TB): a Block to PA 0, AF set, EL1 read-write
    memory.writeU64(table.rootPaddr + 8n, 1n | AF);
    const regs = encodeA64Registers({ ttbr0: table });
    const va = (4n << 40n) + 0x1234_5678n;
    expect(outcome(new A64Mmu(memory, regs), va, Access.READ, EL1)).toBe('NotPresent esr 96000005');
    expect(outcome(new A64Mmu(memory, { ...regs, paBits: 52 }), va, Access.READ, EL1)).toBe('ok 12345678');
    // bits 15:12 = 0x3: OA[51:48] with IPS = 52 bits; with 48 bits they are RES0 and not part of the address
    memory.writeU64(table.rootPaddr + 8n, 1n | AF | (3n << 12n));
    const lpa = new A64Mmu(memory, { ...regs, tcr: (regs.tcr & ~IPS_MASK) | (6n << 32n), paBits: 52 });
    expect(lpa.paBits).toBe(52);
    expect(outcome(lpa, va, Access.READ, EL1)).toBe('ok 3000012345678');
    expect(outcome(new A64Mmu(memory, { ...regs, paBits: 52 }), va, Access.READ, EL1)).toBe('ok 12345678');
    // with the 4K granule IPS = 52 bits reads as 48 (no DS)
    const f = fixture();
    set(f, f.entries.page, bit(47));
    const ips52 = new A64Mmu(f.memory, { ...f.regs, tcr: (f.regs.tcr & ~IPS_MASK) | (6n << 32n), paBits: 52 });
    expect(ips52.paBits).toBe(48);
    expect(outcome(ips52, 0x1000n, Access.READ, EL1)).toBe('ok 800040080000');
  });
});

describe('A64Mmu: registers and arguments', () => {
  it('refuses registers it does not model, and bad arguments, changing nothing', () => {
    const f = fixture();
    const mmu = mmuOf(f);
    const image = f.memory.bytes().slice();
    expect(() => new A64Mmu(f.memory, { ...f.regs, tcr: f.regs.tcr | bit(59) })).toThrow(RegisterError);
    expect(() => new A64Mmu(f.memory, { ...f.regs, tcr: (f.regs.tcr & ~0x3fn) | 12n })).toThrow(RegisterError);
    expect(() => new A64Mmu(f.memory, { ...f.regs, paBits: 50 })).toThrow(RangeError);
    expect(() => mmu.setRegisters({ ...f.regs, tcr: f.regs.tcr | bit(59) })).toThrow(RegisterError);
    expect(outcome(mmu, 0x1000n, Access.READ, EL0)).toBe('ok 40080000');
    expect(() => mmu.translate(-1n, Access.READ, EL0)).toThrow(PagingError);
    expect(() => mmu.translate(0x1000n, 3 as AccessKind, EL0)).toThrow(RangeError);
    expect(() => mmu.translateNumber(0x1000, Access.READ, 2 as PrivilegeLevel)).toThrow(RangeError);
    // (a loop: deep equality on a MiB is slow in vitest)
    const now = f.memory.bytes();
    expect(now.length === image.length && now.every((b, i) => b === image[i])).toBe(true);
  });

  it('the number, word and batch forms agree with translate (seeded addresses)', () => {
    const f = fixture(READ | WRITE | USER);
    const mmu = mmuOf(f, { pan: true });
    let seed = 0x2545f491;
    const rand = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const vas: number[] = [];
    for (let i = 0; i < 400; i++) vas.push((rand() % 0x40_0000) & ~7);
    for (const access of [Access.READ, Access.WRITE, Access.EXECUTE] as const) {
      for (const priv of [EL0, EL1] as const) {
        const out = new Float64Array(vas.length);
        mmu.translateBatch(Float64Array.from(vas), access, priv, out);
        vas.forEach((va, i) => {
          const r = mmu.translate(BigInt(va), access, priv);
          const n = mmu.translateNumber(va, access, priv);
          expect(n).toBe(out[i]);
          expect(r.ok ? Number(r.paddr) : faultKindOf(n)).toBe(r.ok ? n : r.kind);
          if (!r.ok) expect(mmu.esr).toBe(r.syndrome.esr);
        });
      }
    }
  });
});
