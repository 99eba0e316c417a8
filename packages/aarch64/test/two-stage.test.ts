// A64Mmu over a second stage (A64Stage2Mmu) against the Arm ARM (DDI 0487 K.a): D8.1 / D8.3 (every stage 1 table
// address and the output address go through stage 2; the AF / dirty update of a stage 1 descriptor is a write that
// stage 2 checks), and the report of a stage 2 fault to EL2 (D19.2 ESR_EL2: EC 0x20 / 0x24, S1PTW, WnR, the stage 2
// DFSC / IFSC and its lookup level; FAR_EL2; HPFAR_EL2 FIPA = IPA[47:12] in bits 39:4). Stage 1 faults keep their
// ESR_EL1 report.
import {
  A64Mmu,
  A64PageTable,
  A64Stage2Mmu,
  A64Stage2PageTable4K40,
  encodeA64Registers,
  encodeA64Stage2Registers,
  tlbiAlle1,
  tlbiIpas2e1,
  tlbiVmalle1,
  tlbiVmalls12e1,
} from '@page-table-multiarch/aarch64';
import {
  Access,
  type AccessKind,
  faultKindOf,
  MappingFlags,
  MmuCode,
  PageSize,
  PagingError,
  PhysicalMemory,
  Privilege,
  type PrivilegeLevel,
  type SecondStage,
  Tlb,
} from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
const EL0 = Privilege.USER;
const EL1 = Privilege.SUPERVISOR;
const AF = 1n << 10n;
const HA = 1n << 39n;
// VTCR_EL2.HA
const S2_HA = 1n << 21n;

const RAM = 0x4000_0000n;
const RAM_BYTES = 2 << 20;

/**
 * Guest RAM at IPA = PA (4K stage 2 pages over the whole memory, so that one stage 1 table can be hidden), where
 * the guest's stage 1 tables live; stage 1 maps VA 0x1000 (4K) to IPA 0x8000_1000, VA 0x20_0000 (2M) to IPA
 * 0x8020_0000, VA 0x40_0000 (2M) to IPA 0x8040_0000; stage 2 maps IPA 0x8000_0000 (2M, read-write-execute) to PA
 * 0x1_0000_0000, 0x8020_0000 (2M, read-only, execute-never) to 0x1_0020_0000, and 0x8040_0000 with a 4K page only.
 */
function fixture() {
  const memory = new PhysicalMemory({ size: RAM_BYTES, base: RAM });
  const s2 = new A64Stage2PageTable4K40(memory);
  const c2 = s2.cursor();
  c2.mapRegion(RAM, RAM, BigInt(RAM_BYTES), READ | WRITE, false);
  c2.map(0x8000_0000n, 0x1_0000_0000n, PageSize.Size2M, READ | WRITE | EXECUTE);
  c2.map(0x8020_0000n, 0x1_0020_0000n, PageSize.Size2M, READ);
  c2.map(0x8040_0000n, 0x1_0040_0000n, PageSize.Size4K, READ | WRITE);
  c2.flush();
  const s1 = new A64PageTable(memory, { half: 'lower' });
  const c1 = s1.cursor();
  c1.map(0x1000n, 0x8000_1000n, PageSize.Size4K, READ | WRITE | EXECUTE | USER);
  c1.map(0x20_0000n, 0x8020_0000n, PageSize.Size2M, READ | WRITE | EXECUTE | USER);
  c1.map(0x40_0000n, 0x8040_0000n, PageSize.Size2M, READ | WRITE | USER);
  c1.flush();
  const next = (at: bigint): bigint => memory.readU64(at) & 0x0000_ffff_ffff_f000n;
  const l0 = s1.rootPaddr;
  const l1 = next(l0);
  const l2 = next(l1);
  const l3 = next(l2);
  const s2regs = encodeA64Stage2Registers(s2);
  const s1regs = encodeA64Registers({ ttbr0: s1 });
  return { memory, s1, s2, s1regs, s2regs, tables: { l0, l1, l2, l3 }, page: l3 + 8n };
}

type Fixture = ReturnType<typeof fixture>;

function mmuOf(f: Fixture, tcr = 0n, vtcr = 0n, sctlr = 1n): { mmu: A64Mmu; stage2: A64Stage2Mmu } {
  const stage2 = new A64Stage2Mmu(f.memory, { ...f.s2regs, vtcr: f.s2regs.vtcr | vtcr });
  return { mmu: new A64Mmu(f.memory, { ...f.s1regs, tcr: f.s1regs.tcr | tcr, sctlr, stage2 }), stage2 };
}

/** "ok <pa>", "<kind> esr <hex>" (stage 1), or "<kind> stage 2 [walk] esr <hex> hpfar <hex>". */
function outcome(mmu: A64Mmu, va: bigint, access: AccessKind, privilege: PrivilegeLevel): string {
  const r = mmu.translate(va, access, privilege);
  if (r.ok) return `ok ${r.paddr.toString(16)}`;
  if (r.stage !== 2) return `${r.kind} esr ${r.syndrome.esr.toString(16)}`;
  return `${r.kind} stage 2${r.onWalk ? ' walk' : ''} esr ${r.syndrome.esr.toString(16)} hpfar ${r.syndrome.hpfar?.toString(16)}`;
}

/** Removes the stage 2 mapping of the 4K frame at `pa` (an IPA here), so that stage 2 refuses every access to it. */
function hide(f: Fixture, ipa: bigint): void {
  f.s2.cursor().unmap(ipa);
}

/** Address of the descriptor that maps `va` in `table` (a valid leaf is expected), from the table's own geometry. */
function leafAt(table: A64PageTable | A64Stage2PageTable4K40, memory: PhysicalMemory, va: bigint): bigint {
  const { meta, pte } = table;
  let t = table.rootPaddr;
  let shift = meta.pageShift + meta.indexBits.reduce((a, b) => a + b, 0);
  for (let level = 0; ; level++) {
    const bits = meta.indexBits[level]!;
    shift -= bits;
    const at = t + ((va >> BigInt(shift)) & ((1n << BigInt(bits)) - 1n)) * 8n;
    const e = memory.readU64(at);
    if (level === meta.levels - 1 || pte.isHuge(e, level)) return at;
    t = pte.paddr(e, level);
  }
}

describe('A64Mmu over a second stage behind a Tlb: combined entries (D8.14)', () => {
  it('caches the translation of both stages; a stage 2 change is seen after TLBI IPAS2E1 then TLBI VMALLE1, not after IPAS2E1 alone', () => {
    const f = fixture();
    const { mmu } = mmuOf(f);
    const tlb = new Tlb(mmu, { entries: 16, ways: 4 });
    expect(tlb.translateNumber(0x1010, Access.WRITE, EL0)).toBe(0x1_0000_1010);
    // the hypervisor unmaps the IPA at stage 2: until an invalidation the combined entry still serves
    f.s2.cursor().unmap(0x8000_0000n);
    expect(tlb.translateNumber(0x1020, Access.READ, EL0)).toBe(0x1_0000_1020);
    expect([tlb.hits, tlb.walks]).toEqual([1, 1]);
    // TLBI IPAS2E1 need not reach an entry that combines both stages
    tlbiIpas2e1(tlb, 0x8000_1000n);
    expect(tlb.translateNumber(0x1020, Access.READ, EL0)).toBe(0x1_0000_1020);
    // the TLBI VMALLE1 that must follow it does
    tlbiVmalle1(tlb);
    expect(tlb.translateNumber(0x1020, Access.READ, EL0)).toBe(MmuCode.NotPresent);
    expect([mmu.faultStage, tlb.hits, tlb.walks]).toEqual([2, 2, 2]);
  });

  it('a hit applies both stages: what stage 2 refuses (S2AP write, XN) walks and faults at stage 2, with the smaller page', () => {
    const { mmu } = mmuOf(fixture());
    const tlb = new Tlb(mmu, { entries: 16, ways: 4 });
    // a 2M stage 1 block (RWX at EL0) over a 2M stage 2 block that is read-only and execute-never
    expect(tlb.translateNumber(0x20_1008, Access.READ, EL0)).toBe(0x1_0020_1008);
    expect(tlb.translateNumber(0x2f_0000, Access.READ, EL0)).toBe(0x1_002f_0000);
    expect([tlb.hits, tlb.permissions, tlb.pageSize]).toEqual([1, READ | USER, PageSize.Size2M]);
    for (const access of [Access.WRITE, Access.EXECUTE]) {
      expect(tlb.translateNumber(0x20_1008, access, EL0)).toBe(MmuCode.Permission);
      expect(mmu.faultStage).toBe(2);
    }
    expect([tlb.hits, tlb.walks]).toEqual([1, 3]);
    // a 2M stage 1 block over a 4K stage 2 page: the entry covers 4K, so the next 4K page walks
    expect(tlb.translateNumber(0x40_0010, Access.READ, EL0)).toBe(0x1_0040_0010);
    expect(tlb.translateNumber(0x40_0ff0, Access.READ, EL0)).toBe(0x1_0040_0ff0);
    expect(tlb.pageSize).toBe(PageSize.Size4K);
    expect(tlb.translateNumber(0x40_1000, Access.READ, EL0)).toBe(MmuCode.NotPresent);
    expect([tlb.hits, tlb.walks]).toEqual([2, 5]);
  });

  it('a store to a location whose stage 2 dirty state is clean (DBM = 1, S2AP[1] = 0) walks and sets S2AP[1] with HD; later stores hit', () => {
    const f = fixture();
    // VTCR_EL2.HA and HD; the stage 2 block of IPA 0x8000_0000 made clean: DBM (bit 51) set, S2AP[1] (bit 7) clear
    const { mmu } = mmuOf(f, 0n, S2_HA | (1n << 22n));
    const at = leafAt(f.s2, f.memory, 0x8000_0000n);
    f.memory.writeU64(at, (f.memory.readU64(at) | (1n << 51n)) & ~(1n << 7n));
    const tlb = new Tlb(mmu, { entries: 16, ways: 4 });
    expect(tlb.translateNumber(0x1010, Access.READ, EL0)).toBe(0x1_0000_1010);
    // the cached entry is not writable at stage 2 (read-only permissions), so the store walks: stage 2 is updated
    expect(tlb.permissions).toBe(READ | EXECUTE | USER);
    expect(tlb.translateNumber(0x1018, Access.WRITE, EL0)).toBe(0x1_0000_1018);
    expect((f.memory.readU64(at) >> 7n) & 1n).toBe(1n);
    expect([tlb.hits, tlb.walks]).toEqual([0, 2]);
    expect(tlb.translateNumber(0x1020, Access.WRITE, EL0)).toBe(0x1_0000_1020);
    expect([tlb.hits, tlb.walks, tlb.permissions]).toEqual([1, 2, READ | WRITE | EXECUTE | USER]);
  });

  it('FEAT_XNX: one entry serves the fetches of the Exception level stage 2 lets execute and walks for the other', () => {
    const f = fixture();
    const stage2 = new A64Stage2Mmu(f.memory, { ...f.s2regs, xnx: true });
    const mmu = new A64Mmu(f.memory, { ...f.s1regs, stage2 });
    // XN[1:0] = 0b01 on the stage 2 block of IPA 0x8000_0000: executable at EL0 only
    const at = leafAt(f.s2, f.memory, 0x8000_0000n);
    f.memory.writeU64(at, (f.memory.readU64(at) & ~(3n << 53n)) | (1n << 53n));
    // a stage 1 page both Exception levels may execute: PXN (53) and UXN (54) clear, read-only at EL0 (AP[2:1] =
    // 0b11) so not PXN by being EL0-writable
    const s1at = leafAt(f.s1, f.memory, 0x1000n);
    f.memory.writeU64(s1at, (f.memory.readU64(s1at) | (3n << 6n)) & ~(3n << 53n));
    const tlb = new Tlb(mmu, { entries: 16, ways: 4 });
    expect(tlb.translateNumber(0x1010, Access.EXECUTE, EL0)).toBe(0x1_0000_1010);
    expect(tlb.translateNumber(0x1014, Access.EXECUTE, EL0)).toBe(0x1_0000_1014);
    expect(tlb.translateNumber(0x1018, Access.EXECUTE, EL1)).toBe(MmuCode.Permission);
    expect(mmu.faultStage).toBe(2);
    expect([tlb.hits, tlb.walks]).toEqual([1, 2]);
  });

  it('entries are tagged by VMID: another VMID walks; TLBI VMALLS12E1 removes the current VMID\'s entries, TLBI ALLE1 every VMID\'s', () => {
    const f = fixture();
    const { mmu } = mmuOf(f);
    const tlb = new Tlb(mmu, { entries: 16, ways: 4 });
    tlb.vmid = 1;
    tlb.translateNumber(0x1010, Access.READ, EL0);
    tlb.vmid = 2;
    tlb.translateNumber(0x1010, Access.READ, EL0);
    expect([tlb.hits, tlb.misses]).toEqual([0, 2]);
    f.s2.cursor().unmap(0x8000_0000n);
    // VMALLS12E1 in VMID 2: VMID 1 keeps its (now stale) entry
    tlbiVmalls12e1(tlb);
    expect(tlb.translateNumber(0x1010, Access.READ, EL0)).toBe(MmuCode.NotPresent);
    tlb.vmid = 1;
    expect(tlb.translateNumber(0x1010, Access.READ, EL0)).toBe(0x1_0000_1010);
    tlb.vmid = 2;
    tlbiAlle1(tlb);
    tlb.vmid = 1;
    expect(tlb.translateNumber(0x1010, Access.READ, EL0)).toBe(MmuCode.NotPresent);
    expect(() => tlbiIpas2e1(tlb, -1)).toThrow(PagingError);
  });

  it('a Tlb over an A64Stage2Mmu alone holds stage 2 only entries, which TLBI IPAS2E1 removes by IPA', () => {
    const f = fixture();
    const stage2 = new A64Stage2Mmu(f.memory, f.s2regs);
    const tlb = new Tlb(stage2, { entries: 16, ways: 4 });
    expect(tlb.translateNumber(0x8000_1010, Access.WRITE, EL1)).toBe(0x1_0000_1010);
    f.s2.cursor().unmap(0x8000_0000n);
    expect(tlb.translateNumber(0x8000_1020, Access.READ, EL1)).toBe(0x1_0000_1020);
    expect(tlb.permissions).toBe(READ | WRITE | EXECUTE);
    tlbiIpas2e1(tlb, 0x8010_0000n); // another page of the 2M block: the entry covers it
    expect(tlb.translateNumber(0x8000_1020, Access.READ, EL1)).toBe(MmuCode.NotPresent);
  });
});

describe('A64Mmu over a second stage', () => {
  it('translates through both stages: the physical address, the smaller page, the permissions of both (D8.1)', () => {
    const { mmu } = mmuOf(fixture());
    expect(outcome(mmu, 0x1234n, Access.READ, EL0)).toBe('ok 100001234');
    expect(mmu.translate(0x1234n, Access.WRITE, EL0)).toMatchObject({ ok: true, size: PageSize.Size4K, level: 3, permissions: READ | WRITE | EXECUTE | USER });
    // a 2M stage 1 block over a 2M stage 2 block, stage 2 read-only and execute-never
    expect(mmu.translate(0x2f_0008n, Access.READ, EL0)).toMatchObject({ ok: true, paddr: 0x1_002f_0008n, size: PageSize.Size2M, permissions: READ | USER });
    // a 2M stage 1 block over a 4K stage 2 page: the TLB-sized page is the smaller one
    expect(mmu.translate(0x40_0010n, Access.WRITE, EL0)).toMatchObject({ ok: true, paddr: 0x1_0040_0010n, size: PageSize.Size4K });
    expect(mmu.faultStage).toBe(1);
  });

  it('a stage 2 fault on the output address: ESR_EL2 with EC 0x24 / 0x20, WnR, the stage 2 DFSC; FAR_EL2; HPFAR_EL2 (D19.2)', () => {
    const { mmu } = mmuOf(fixture());
    // stage 2 read-only at lookup level 2 (a 2M block): a write is a Permission fault level 2, WnR = 1
    expect(outcome(mmu, 0x20_1008n, Access.WRITE, EL0)).toBe('Permission stage 2 esr 9200004e hpfar 802010');
    // (an EL0 fetch: at EL1 the EL0-writable block is PXN at stage 1 already)
    expect(outcome(mmu, 0x20_1008n, Access.EXECUTE, EL0)).toBe('Permission stage 2 esr 8200000e hpfar 802010');
    expect(outcome(mmu, 0x20_1008n, Access.EXECUTE, EL1)).toBe('Permission esr 8600000e');
    // no stage 2 page at IPA 0x8040_1000: a Translation fault at lookup level 3
    expect(outcome(mmu, 0x40_1000n, Access.READ, EL1)).toBe('NotPresent stage 2 esr 92000007 hpfar 804010');
    const r = mmu.translate(0x20_1008n, Access.WRITE, EL0);
    expect(r.ok === false && r.syndrome).toEqual({ esr: 0x9200_004e, ec: 0x24, fsc: 0xe, wnr: 1, far: 0x20_1008n, s1ptw: 0, hpfar: 0x80_2010n });
    expect(r).toMatchObject({ ok: false, kind: 'Permission', level: 1, stage: 2, onWalk: false, vaddr: 0x20_1008n });
    expect(mmu.faultStage).toBe(2);
    expect(mmu.faultOnWalk).toBe(false);
    expect(mmu.hpfar).toBe(0x80_2010);
  });

  it('a stage 2 fault on a stage 1 table read: S1PTW, WnR of the instruction, HPFAR_EL2 of the table (D8.3, D19.2)', () => {
    for (const at of ['l0', 'l1', 'l2', 'l3'] as const) {
      const f = fixture();
      hide(f, f.tables[at]);
      const { mmu } = mmuOf(f);
      const hpfar = ((f.tables[at] >> 12n) << 4n).toString(16);
      // the stage 2 page of each table is at lookup level 3 of stage 2: a Translation fault level 3 (0b000111)
      // a store: WnR 1 though the walk only reads (the WnR description of ESR_EL2)
      expect(outcome(mmu, 0x1000n, Access.WRITE, EL0), at).toBe(`NotPresent stage 2 walk esr 920000c7 hpfar ${hpfar}`);
      expect(outcome(mmu, 0x1000n, Access.READ, EL0), at).toBe(`NotPresent stage 2 walk esr 92000087 hpfar ${hpfar}`);
      expect(outcome(mmu, 0x1000n, Access.EXECUTE, EL1), at).toBe(`NotPresent stage 2 walk esr 82000087 hpfar ${hpfar}`);
      expect(mmu.translate(0x1000n, Access.READ, EL1)).toMatchObject({ stage: 2, onWalk: true, level: 2, syndrome: { s1ptw: 1, wnr: 0, far: 0x1000n } });
    }
  });

  it('the AF update of a stage 1 descriptor is a write that stage 2 checks: S1PTW, WnR of the load (0), nothing written (D8)', () => {
    const f = fixture();
    f.memory.writeU64(f.page, f.memory.readU64(f.page) & ~AF);
    const before = f.memory.readU64(f.page);
    // the level 3 table read-only at stage 2
    f.s2.cursor().protect(f.tables.l3, READ);
    const { mmu } = mmuOf(f, HA);
    const hpfar = ((f.tables.l3 >> 12n) << 4n).toString(16);
    expect(outcome(mmu, 0x1000n, Access.READ, EL0)).toBe(`Permission stage 2 walk esr 9200008f hpfar ${hpfar}`);
    // an Instruction Abort has no WnR
    expect(outcome(mmu, 0x1000n, Access.EXECUTE, EL0)).toBe(`Permission stage 2 walk esr 8200008f hpfar ${hpfar}`);
    expect(f.memory.readU64(f.page)).toBe(before);
    // without HA the stage 1 Access flag fault comes first, to EL1
    expect(outcome(mmuOf(f).mmu, 0x1000n, Access.READ, EL0)).toBe('AccessFlag esr 9200000b');
    // writable at stage 2: the walk sets AF
    f.s2.cursor().protect(f.tables.l3, READ | WRITE);
    expect(outcome(mmu, 0x1000n, Access.READ, EL0)).toBe('ok 100001000');
    expect(f.memory.readU64(f.page)).toBe(before | AF);
  });

  it('the stage 2 walk of a table read sets stage 2 AF with VTCR_EL2.HA, or faults without it', () => {
    const f = fixture();
    const s2page = (ipa: bigint): bigint => {
      // the stage 2 descriptor of the 4K frame `ipa`, found by walking the stage 2 table by hand
      const next = (at: bigint): bigint => f.memory.readU64(at) & 0x0000_ffff_ffff_f000n;
      const l1 = f.s2.rootPaddr + ((ipa >> 30n) & 0x3ffn) * 8n;
      const l2 = next(l1) + ((ipa >> 21n) & 0x1ffn) * 8n;
      return next(l2) + ((ipa >> 12n) & 0x1ffn) * 8n;
    };
    const desc = s2page(f.tables.l2);
    f.memory.writeU64(desc, f.memory.readU64(desc) & ~AF);
    expect(outcome(mmuOf(f).mmu, 0x1000n, Access.READ, EL1)).toMatch(/^AccessFlag stage 2 walk esr 9200008b /);
    expect(outcome(mmuOf(f, 0n, S2_HA).mmu, 0x1000n, Access.READ, EL1)).toBe('ok 100001000');
    expect(f.memory.readU64(desc) & AF).toBe(AF);
  });

  it('stage 1 faults are reported to EL1 as without a second stage', () => {
    const { mmu } = mmuOf(fixture());
    expect(outcome(mmu, 0x3000n, Access.READ, EL0)).toBe('NotPresent esr 92000007');
    const r = mmu.translate(0x3000n, Access.READ, EL0);
    expect(r.ok === false && r.syndrome).toEqual({ esr: 0x9200_0007, ec: 0x24, fsc: 7, wnr: 0, far: 0x3000n });
    expect(r.ok === false && 'stage' in r).toBe(false);
    expect(mmu.faultStage).toBe(1);
  });

  it('an IPA beyond the stage 2 input size: a stage 2 level 0 Translation fault; SCTLR_EL1.M = 0 sends the VA to stage 2', () => {
    const f = fixture();
    f.s1.cursor().map(0x5000n, 1n << 41n, PageSize.Size4K, READ | USER);
    const { mmu } = mmuOf(f);
    expect(outcome(mmu, 0x5000n, Access.READ, EL0)).toBe('NonCanonical stage 2 esr 92000004 hpfar 200000000');
    const flat = mmuOf(f, 0n, 0n, 0n).mmu;
    expect(outcome(flat, 0x8000_0123n, Access.WRITE, EL1)).toBe('ok 100000123');
    // stage 2 has a level 2 table for 0x8000_0000..0xbfff_ffff and no entry for 0x9000_0000 in it: lookup level 2
    expect(outcome(flat, 0x9000_0000n, Access.READ, EL1)).toBe('NotPresent stage 2 esr 92000006 hpfar 900000');
  });

  it('the number, word and batch forms agree with translate, and name the stage (seeded)', () => {
    const f = fixture();
    hide(f, f.tables.l3);
    const { mmu } = mmuOf(f);
    let seed = 0x7a11_0001;
    const rand = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const vas = Array.from({ length: 300 }, () => (rand() % 0x60_0000) & ~7);
    for (const access of [Access.READ, Access.WRITE, Access.EXECUTE] as const) {
      for (const priv of [EL0, EL1] as const) {
        const out = new Float64Array(vas.length);
        mmu.translateBatch(Float64Array.from(vas), access, priv, out);
        for (const [i, va] of vas.entries()) {
          const n = mmu.translateNumber(va, access, priv);
          const stage = mmu.faultStage;
          const r = mmu.translate(BigInt(va), access, priv);
          expect(n).toBe(out[i]);
          if (r.ok) expect(n).toBe(Number(r.paddr));
          else {
            expect(faultKindOf(n)).toBe(r.kind);
            expect(stage).toBe(r.stage ?? 1);
            expect(mmu.esr).toBe(r.syndrome.esr);
          }
        }
      }
    }
  });

  it('takes any SecondStage: its level gives the DFSC level where it has no lookupLevel', () => {
    const f = fixture();
    // a second stage that maps every IPA below 2^32 to itself + 2^36, and refuses the rest at its level 1
    const shift: SecondStage & { level: number; paLo: number; paHi: number; pageSize: number } = {
      paLo: 0,
      paHi: 0,
      pageSize: 4096,
      level: 0,
      translateWords(ipaLo: number, ipaHi: number): number {
        if (ipaHi !== 0) {
          this.level = 1;
          return MmuCode.NotPresent;
        }
        this.paLo = ipaLo >>> 0;
        this.paHi = 16;
        this.level = 2;
        return 0;
      },
    };
    const mmu = new A64Mmu(f.memory, { ...f.s1regs, stage2: shift });
    // the tables are read at IPA + 2^36, outside the memory: a synchronous external abort on the stage 1 walk
    expect(outcome(mmu, 0x1000n, Access.READ, EL1)).toBe('ExternalAbort esr 96000014');
    const flat = new A64Mmu(f.memory, { ...f.s1regs, sctlr: 0n, stage2: shift });
    expect(outcome(flat, 0x1234n, Access.READ, EL1)).toBe('ok 1000001234');
    expect(outcome(flat, 0x1_0000_1234n, Access.READ, EL1)).toBe('NotPresent stage 2 esr 92000005 hpfar 1000010');
  });
});
