// RiscvMmu as the VS-stage over a RiscvGStageMmu, against the privileged spec, chapter "Hypervisor Extension":
// "Two-Stage Address Translation" (the VS-stage's table reads and A / D writes are G-stage accesses, checked as
// implicit loads and stores, and any exception is reported for the original access type; the HS-level MXR reaches
// both stages, vsstatus.MXR the VS-stage only), "Guest-Page Faults" (stval the guest virtual address, htval the
// guest-physical address >> 2), "Transformed Instruction or Pseudoinstruction for mtinst or htinst" (0x00003000 for
// a 64-bit read of the VS-stage walk, 0x00003020 for its write). Two parts: one case per rule; and a seeded property
// test where the two-stage model agrees with the VS-stage alone over a copy of the guest's memory followed by the
// G-stage alone.
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
  Tlb,
} from '@page-table-multiarch/core';
import {
  encodeRiscvHgatp,
  encodeRiscvSatp,
  hfenceGvma,
  hfenceVvma,
  RiscvGStageMmu,
  RiscvMmu,
  type RiscvMmuOptions,
  Sv39PageTable,
  Sv39x4PageTable,
} from '@page-table-multiarch/riscv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { A, D, R, sameBytes, U, V, W, X } from './_mmu-setup';

const { READ, WRITE, EXECUTE } = MappingFlags;
const { USER: U_MODE, SUPERVISOR: S_MODE } = Privilege;

/** Host RAM: the G-stage tables, and the guest's RAM at GUEST_HPA. */
const HOST = 0x8000_0000n;
const GUEST_HPA = 0x8020_0000n;
/** The guest's RAM as the guest sees it: 1 MiB at guest-physical GUEST_GPA, mapped page by page to GUEST_HPA. */
const GUEST_GPA = 0x4000_0000n;
const GUEST_BYTES = 1 << 20;

/**
 * Host RAM with room kept for the guest's RAM at GUEST_HPA, and an Sv39x4 G-stage table in it that maps the guest's
 * RAM (guest-physical GUEST_GPA) there as 4K pages, RWX. The guest's bytes are not copied yet.
 */
function hostWithGuestRam(): { host: PhysicalMemory; gs: Sv39x4PageTable } {
  const host = new PhysicalMemory({ size: 4 << 20, base: HOST });
  host.reserve(GUEST_HPA, GUEST_BYTES);
  const gs = new Sv39x4PageTable(host);
  const gc = gs.cursor();
  gc.mapRegion(GUEST_GPA, GUEST_HPA, BigInt(GUEST_BYTES), READ | WRITE | EXECUTE, false);
  gc.flush();
  return { host, gs };
}

/**
 * A guest with an Sv39 VS-stage table in its RAM (a 4K page at 0x1000 to guest-physical 0x4008_0000, RWX, and a 2M
 * page at 0x20_0000 to 0x4000_0000, RW; A and D set), and an Sv39x4 G-stage table that maps the guest's RAM as 4K
 * pages, RWX with U, A and D. Returns the host memory, the guest's view (a copy), the register values and where
 * the entries are.
 */
function fixture() {
  const guest = new PhysicalMemory({ size: GUEST_BYTES, base: GUEST_GPA });
  guest.reserve(GUEST_GPA + 0x8_0000n, 0x8_0000); // the data pages, kept away from the tables
  const vs = new Sv39PageTable(guest);
  const vsCursor = vs.cursor();
  vsCursor.map(0x1000n, GUEST_GPA + 0x8_0000n, PageSize.Size4K, READ | WRITE | EXECUTE);
  vsCursor.map(0x20_0000n, GUEST_GPA, PageSize.Size2M, READ | WRITE);
  vsCursor.flush();
  const { host, gs } = hostWithGuestRam();
  host.writeBytes(GUEST_HPA, guest.bytes());
  // a G-stage leaf: the entry for guest-physical gpa (Sv39x4: VPN[2] 40:30, VPN[1] 29:21, VPN[0] 20:12)
  const child = (entry: bigint): bigint => ((host.readU64(entry) >> 10n) & ((1n << 44n) - 1n)) << 12n;
  const gLeaf = (gpa: bigint): bigint => {
    const l1 = child(gs.rootPaddr + ((gpa >> 30n) & 2047n) * 8n);
    const l2 = child(l1 + ((gpa >> 21n) & 511n) * 8n);
    return l2 + ((gpa >> 12n) & 511n) * 8n;
  };
  // a VS-stage entry's guest-physical address, read through the host (Sv39: 38:30, 29:21, 20:12)
  const hostOf = (gpa: bigint): bigint => gpa - GUEST_GPA + GUEST_HPA;
  const vsChild = (entryGpa: bigint): bigint => ((host.readU64(hostOf(entryGpa)) >> 10n) & ((1n << 44n) - 1n)) << 12n;
  const vsRoot = vs.rootPaddr;
  const vsL1 = vsChild(vsRoot);
  const vs4k = vsChild(vsL1) + 1n * 8n; // guest-physical address of the 4K page's leaf
  const vs2m = vsL1 + 1n * 8n;
  return {
    host,
    guest,
    hgatp: encodeRiscvHgatp(gs).hgatp,
    vsatp: encodeRiscvSatp(vs).satp,
    gLeaf,
    hostOf,
    entries: { vsRoot, vsL1, vs4k, vs2m },
    /** Rewrites the low 10 bits (flags) of the entry at host physical address `at`. */
    setLow: (at: bigint, low: bigint): void => host.writeU64(at, (host.readU64(at) & ~0x3ffn) | low),
  };
}

type Fixture = ReturnType<typeof fixture>;

/** The two-stage model over the fixture, with options for each stage. */
function models(f: Fixture, vsOptions: Partial<RiscvMmuOptions> = {}, gOptions: { mxr?: boolean; svadu?: boolean } = {}) {
  const gstage = new RiscvGStageMmu(f.host, { hgatp: f.hgatp, ...gOptions });
  const mmu = new RiscvMmu(f.host, { satp: f.vsatp, ...vsOptions, secondStage: gstage });
  return { gstage, mmu };
}

describe('RiscvMmu over a RiscvGStageMmu: one case per rule of the spec', () => {
  it('an access translates through both stages: the G-stage output, the VS leaf level, the smaller page', () => {
    const f = fixture();
    const { mmu } = models(f);
    expect(mmu.translate(0x1238n, Access.WRITE, S_MODE)).toEqual({
      ok: true,
      paddr: GUEST_HPA + 0x8_0238n,
      size: PageSize.Size4K,
      level: 2,
      permissions: READ | WRITE | EXECUTE,
    });
    // a 2M VS-stage page over 4K G-stage pages: the page is 4K
    expect(mmu.translate(0x2f_5678n, Access.READ, S_MODE)).toEqual({ ok: true, paddr: GUEST_HPA + 0xf_5678n, size: PageSize.Size4K, level: 1, permissions: READ | WRITE });
    expect(mmu.faultStage).toBe(1);
  });

  it('the permissions are those both stages allow', () => {
    const f = fixture();
    f.setLow(f.gLeaf(GUEST_GPA + 0x8_0000n), V | R | X | U | A | D); // the G-stage makes the data page read-execute
    const { mmu } = models(f);
    expect(mmu.translate(0x1000n, Access.READ, S_MODE)).toMatchObject({ ok: true, permissions: READ | EXECUTE });
  });

  it.each([
    [Access.READ, 21],
    [Access.WRITE, 23],
    [Access.EXECUTE, 20],
  ] as const)('a G-stage fault on a VS-stage table read: reported for the original access (%i: cause %i), htinst 0x3000', (access, cause) => {
    const f = fixture();
    // the G-stage page that holds the VS-stage's second-level table is not valid
    const gpa = f.entries.vsL1;
    f.setLow(f.gLeaf(gpa), R | W | X | U | A | D);
    const { mmu } = models(f);
    expect(mmu.translate(0x1000n, access, S_MODE)).toEqual({
      ok: false,
      kind: 'NotPresent',
      level: 2,
      vaddr: 0x1000n,
      syndrome: { cause, tval: 0x1000n, htval: gpa >> 2n, htinst: 0x3000 },
      stage: 2,
      onWalk: true,
    });
    expect([mmu.faultStage, mmu.faultOnWalk]).toEqual([2, true]);
  });

  it('the VS-stage table read is checked as a load: a G-stage page without R (or without U) refuses it', () => {
    // execute-only, without U, not valid
    for (const low of [V | X | U | A | D, V | R | W | X | A | D, R | W | X | U | A | D]) {
      const f = fixture();
      f.setLow(f.gLeaf(f.entries.vsRoot), low);
      const { mmu } = models(f);
      expect(mmu.translateNumber(0x1000, Access.EXECUTE, U_MODE)).toBeLessThan(0);
      expect([mmu.cause, mmu.faultStage, mmu.faultOnWalk, mmu.htinst]).toEqual([20, 2, true, 0x3000]);
    }
    // read-only is enough for a walk that writes nothing
    const f = fixture();
    f.setLow(f.gLeaf(f.entries.vsRoot), V | R | U | A | D);
    expect(models(f).mmu.translateNumber(0x1000, Access.WRITE, S_MODE)).toBe(Number(GUEST_HPA + 0x8_0000n));
  });

  it('an A / D write of the VS-stage walk is checked as a store: htinst 0x3020, and nothing is written', () => {
    const f = fixture();
    f.setLow(f.hostOf(f.entries.vs4k), V | R | W | X); // A and D clear, for Svadu to set
    f.setLow(f.gLeaf(f.entries.vs4k), V | R | U | A | D); // the G-stage page of that table: read-only
    const { mmu } = models(f, { svadu: true });
    const before = f.host.bytes().slice();
    expect(mmu.translate(0x1000n, Access.READ, S_MODE)).toEqual({
      ok: false,
      kind: 'Permission',
      level: 2,
      vaddr: 0x1000n,
      // a load that faulted on the walk's write: a load guest-page fault
      syndrome: { cause: 21, tval: 0x1000n, htval: f.entries.vs4k >> 2n, htinst: 0x3020 },
      stage: 2,
      onWalk: true,
    });
    expect(sameBytes(f.host.bytes(), before)).toBe(true);
    // with A already set, a load writes nothing and needs no store permission
    f.setLow(f.hostOf(f.entries.vs4k), V | R | W | X | A);
    expect(mmu.translateNumber(0x1000, Access.READ, S_MODE)).toBe(Number(GUEST_HPA + 0x8_0000n));
    // and a store needs D: refused again
    expect(mmu.translateNumber(0x1000, Access.WRITE, S_MODE)).toBe(MmuCode.Permission);
    expect([mmu.cause, mmu.htinst]).toEqual([23, 0x3020]);
  });

  it('with Svade (henvcfg.ADUE = 0) a VS leaf with A = 0 is a VS-stage page fault, before any G-stage write', () => {
    const f = fixture();
    f.setLow(f.hostOf(f.entries.vs4k), V | R | W | X);
    f.setLow(f.gLeaf(f.entries.vs4k), V | R | U | A | D);
    const { mmu } = models(f);
    expect(mmu.translate(0x1000n, Access.READ, S_MODE)).toEqual({
      ok: false,
      kind: 'AccessFlag',
      level: 2,
      vaddr: 0x1000n,
      syndrome: { cause: 13, tval: 0x1000n, htval: 0n, htinst: 0 },
    });
  });

  it('Svadu on both stages: the VS leaf gets A / D, and the G-stage leaves of the table page and the data page too', () => {
    const f = fixture();
    f.setLow(f.hostOf(f.entries.vs4k), V | R | W | X);
    f.setLow(f.gLeaf(f.entries.vs4k), V | R | W | U);
    f.setLow(f.gLeaf(GUEST_GPA + 0x8_0000n), V | R | W | U);
    const { mmu } = models(f, { svadu: true }, { svadu: true });
    expect(mmu.translateNumber(0x1000, Access.WRITE, S_MODE)).toBe(Number(GUEST_HPA + 0x8_0000n));
    expect(f.host.readU64(f.hostOf(f.entries.vs4k)) & 0xffn).toBe(V | R | W | X | A | D);
    // the table's page was read and written (A and D), the data page stored to (A and D)
    expect(f.host.readU64(f.gLeaf(f.entries.vs4k)) & 0xffn).toBe(V | R | W | U | A | D);
    expect(f.host.readU64(f.gLeaf(GUEST_GPA + 0x8_0000n)) & 0xffn).toBe(V | R | W | U | A | D);
  });

  it.each([
    ['a store to a page the G-stage makes read-only', V | R | X | U | A | D, Access.WRITE, 'Permission', 23],
    ['a fetch from a page the G-stage makes not executable', V | R | W | U | A | D, Access.EXECUTE, 'Permission', 20],
    ['a load from a G-stage page without U', V | R | W | X | A | D, Access.READ, 'Permission', 21],
    ['a load from a G-stage page that is not valid', R | W | X | U | A | D, Access.READ, 'NotPresent', 21],
  ] as const)('the output address: %s is a guest-page fault with htval = GPA >> 2 and htinst 0', (_n, low, access, kind, cause) => {
    const f = fixture();
    f.setLow(f.gLeaf(GUEST_GPA + 0x8_0000n), low);
    const { mmu } = models(f);
    expect(mmu.translate(0x1238n, access, S_MODE)).toEqual({
      ok: false,
      kind,
      level: 2,
      vaddr: 0x1238n,
      syndrome: { cause, tval: 0x1238n, htval: (GUEST_GPA + 0x8_0238n) >> 2n, htinst: 0 },
      stage: 2,
      onWalk: false,
    });
  });

  it('MXR: vsstatus.MXR (or the HS-level one) on the VS-stage, only the HS-level one on the G-stage', () => {
    const f = fixture();
    f.setLow(f.hostOf(f.entries.vs4k), V | X | A | D); // execute-only in the VS-stage
    f.setLow(f.gLeaf(GUEST_GPA + 0x8_0000n), V | X | U | A | D); // and in the G-stage
    const load = (vsMxr: boolean, hsMxr: boolean): string => {
      const { mmu } = models(f, { mxr: vsMxr || hsMxr }, { mxr: hsMxr });
      const r = mmu.translateNumber(0x1000, Access.READ, S_MODE);
      return r < 0 ? `${faultKindOf(r)} stage ${mmu.faultStage}` : 'ok';
    };
    expect(load(false, false)).toBe('Permission stage 1');
    expect(load(true, false)).toBe('Permission stage 2');
    expect(load(false, true)).toBe('ok');
  });

  it('a VS-stage fault is stage 1 with htval 0 and htinst 0; vsstatus.SUM lets VS-mode load from VU pages', () => {
    const f = fixture();
    f.setLow(f.hostOf(f.entries.vs4k), V | R | U | A | D);
    const { mmu } = models(f);
    expect(mmu.translate(0x1000n, Access.READ, S_MODE)).toEqual({
      ok: false,
      kind: 'Permission',
      level: 2,
      vaddr: 0x1000n,
      syndrome: { cause: 13, tval: 0x1000n, htval: 0n, htinst: 0 },
    });
    mmu.sum = true;
    expect(mmu.translateNumber(0x1000, Access.READ, S_MODE)).toBe(Number(GUEST_HPA + 0x8_0000n));
    expect(mmu.translate(1n << 40n, Access.READ, S_MODE)).toMatchObject({ kind: 'NonCanonical', syndrome: { cause: 13, htval: 0n, htinst: 0 } });
  });

  it('a G-stage table read outside the memory is an access fault of the original access, htval 0, stage 2', () => {
    const f = fixture();
    const gRoot = (f.hgatp & ((1n << 44n) - 1n)) << 12n;
    const rootEntry = gRoot + ((GUEST_GPA >> 30n) & 2047n) * 8n;
    f.host.writeU64(rootEntry, ((0xa000_0000n >> 12n) << 10n) | V);
    const { mmu } = models(f);
    expect(mmu.translate(0x1000n, Access.WRITE, S_MODE)).toEqual({
      ok: false,
      kind: 'ExternalAbort',
      level: 1,
      vaddr: 0x1000n,
      syndrome: { cause: 7, tval: 0x1000n, htval: 0n, htinst: 0 },
      stage: 2,
      onWalk: true,
    });
  });

  it('vsatp Bare: the guest virtual address is guest-physical, and the G-stage alone translates it', () => {
    const f = fixture();
    const { gstage, mmu } = models(f, { satp: 0n });
    const gpa = GUEST_GPA + 0x1_2345n;
    expect(mmu.translate(gpa, Access.READ, U_MODE)).toEqual({ ok: true, paddr: GUEST_HPA + 0x1_2345n, size: 4096, level: -1, permissions: READ | WRITE | EXECUTE });
    f.setLow(f.gLeaf(gpa), V | R | U | A | D);
    expect(mmu.translate(gpa, Access.WRITE, U_MODE)).toEqual({
      ok: false,
      kind: 'Permission',
      level: 2,
      vaddr: gpa,
      syndrome: { cause: 23, tval: gpa, htval: gpa >> 2n, htinst: 0 },
      stage: 2,
      onWalk: false,
    });
    expect(gstage.translate(gpa, Access.WRITE, U_MODE)).toMatchObject({ ok: false, kind: 'Permission', syndrome: { cause: 23 } });
  });

  it('without a second stage the syndrome has no htval / htinst', () => {
    const f = fixture();
    const mmu = new RiscvMmu(f.guest, { satp: f.vsatp });
    expect(mmu.secondStage).toBeNull();
    expect(mmu.translate(0x5000n, Access.READ, S_MODE)).toEqual({ ok: false, kind: 'NotPresent', level: 2, vaddr: 0x5000n, syndrome: { cause: 13, tval: 0x5000n } });
  });
});

describe('RiscvMmu over a RiscvGStageMmu behind a Tlb: guest virtual to physical entries ([H] fences)', () => {
  it('caches the translation of both stages; a G-stage change is seen after HFENCE.GVMA (any address: the VMID\'s entries go), not after HFENCE.VVMA', () => {
    const f = fixture();
    const { mmu } = models(f);
    const tlb = new Tlb(mmu, { entries: 16, ways: 4 });
    tlb.vmid = 3;
    expect(tlb.translateNumber(0x1008, Access.WRITE, S_MODE)).toBe(Number(GUEST_HPA + 0x8_0008n));
    // the hypervisor makes the guest page read-only in the G-stage: the cached entry still serves stores
    f.setLow(f.gLeaf(GUEST_GPA + 0x8_0000n), V | R | X | U | A | D);
    expect(tlb.translateNumber(0x1010, Access.WRITE, S_MODE)).toBe(Number(GUEST_HPA + 0x8_0010n));
    // HFENCE.VVMA of another guest page, HFENCE.GVMA of another VMID: the entry stays
    hfenceVvma(tlb, 0x5000n);
    hfenceGvma(tlb, (GUEST_GPA + 0x8_0000n) >> 2n, 4);
    expect(tlb.translateNumber(0x1018, Access.WRITE, S_MODE)).toBe(Number(GUEST_HPA + 0x8_0018n));
    // HFENCE.GVMA of an unrelated guest-physical page in this VMID: the entry cannot be found by address, so the
    // VMID's entries all go
    hfenceGvma(tlb, (GUEST_GPA + 0x1_0000n) >> 2n, 3);
    expect(tlb.translateNumber(0x1020, Access.WRITE, S_MODE)).toBe(MmuCode.Permission);
    expect([mmu.faultStage, mmu.cause]).toEqual([2, 23]);
    expect(tlb.translateNumber(0x1028, Access.READ, S_MODE)).toBe(Number(GUEST_HPA + 0x8_0028n));
    expect([tlb.hits, tlb.walks]).toEqual([2, 3]);
  });

  it('HFENCE.VVMA acts in the current VMID: another VMID\'s entries of the same guest page stay', () => {
    const f = fixture();
    const { mmu } = models(f);
    const tlb = new Tlb(mmu, { entries: 16, ways: 4 });
    for (const vmid of [1, 2]) {
      tlb.vmid = vmid;
      tlb.translateNumber(0x1008, Access.READ, S_MODE);
    }
    f.setLow(f.hostOf(f.entries.vs4k), 0n); // the guest unmaps its page
    hfenceVvma(tlb, 0x1000n);
    expect(tlb.translateNumber(0x1008, Access.READ, S_MODE)).toBe(MmuCode.NotPresent);
    tlb.vmid = 1;
    expect(tlb.translateNumber(0x1008, Access.READ, S_MODE)).toBe(Number(GUEST_HPA + 0x8_0008n));
    hfenceGvma(tlb);
    expect(tlb.translateNumber(0x1008, Access.READ, S_MODE)).toBe(MmuCode.NotPresent);
  });

  it('a store to a page whose G-stage D is clear walks (Svadu sets it; Svade faults), and the HS-level MXR applies to a cached G-stage leaf', () => {
    const f = fixture();
    f.setLow(f.gLeaf(GUEST_GPA + 0x8_0000n), V | R | W | X | U | A);
    const { mmu, gstage } = models(f, {}, { svadu: false });
    const tlb = new Tlb(mmu, { entries: 16, ways: 4 });
    expect(tlb.translateNumber(0x1008, Access.READ, S_MODE)).toBe(Number(GUEST_HPA + 0x8_0008n));
    expect(tlb.permissions).toBe(READ | WRITE | EXECUTE);
    expect(tlb.translateNumber(0x1010, Access.WRITE, S_MODE)).toBe(MmuCode.Dirty);
    expect([mmu.faultStage, mmu.cause]).toEqual([2, 23]);
    gstage.svadu = true;
    expect(tlb.translateNumber(0x1018, Access.WRITE, S_MODE)).toBe(Number(GUEST_HPA + 0x8_0018n));
    expect(f.host.readU64(f.gLeaf(GUEST_GPA + 0x8_0000n)) & D).toBe(D);
    expect(tlb.translateNumber(0x1020, Access.WRITE, S_MODE)).toBe(Number(GUEST_HPA + 0x8_0020n));
    expect([tlb.hits, tlb.walks]).toEqual([1, 3]);
    // an execute-only G-stage page, cached by a fetch: a load is served only under the HS-level MXR
    f.setLow(f.gLeaf(GUEST_GPA + 0x8_0000n), V | X | U | A | D);
    hfenceGvma(tlb);
    expect(tlb.translateNumber(0x1000, Access.EXECUTE, S_MODE)).toBe(Number(GUEST_HPA + 0x8_0000n));
    expect(tlb.translateNumber(0x1008, Access.READ, S_MODE)).toBe(MmuCode.Permission);
    gstage.mxr = true;
    mmu.mxr = true;
    expect(tlb.translateNumber(0x1008, Access.READ, S_MODE)).toBe(Number(GUEST_HPA + 0x8_0008n));
    expect(tlb.translateNumber(0x1010, Access.READ, S_MODE)).toBe(Number(GUEST_HPA + 0x8_0010n));
    expect(tlb.hits).toBe(3);
  });

  it('a Tlb over a RiscvGStageMmu alone: HFENCE.GVMA with an address removes that guest-physical page only', () => {
    const f = fixture();
    const gstage = new RiscvGStageMmu(f.host, { hgatp: f.hgatp });
    const tlb = new Tlb(gstage, { entries: 16, ways: 4 });
    for (const gpa of [GUEST_GPA + 0x8_0008n, GUEST_GPA + 0x9_0008n]) tlb.translateNumber(Number(gpa), Access.READ, U_MODE);
    hfenceGvma(tlb, (GUEST_GPA + 0x8_0000n) >> 2n, 0);
    tlb.resetCounters();
    for (const gpa of [GUEST_GPA + 0x8_0008n, GUEST_GPA + 0x9_0008n]) tlb.translateNumber(Number(gpa), Access.READ, U_MODE);
    expect([tlb.hits, tlb.misses]).toEqual([1, 1]);
    const before = tlb._data.slice();
    expect(() => hfenceGvma(tlb, -4)).toThrow(PagingError);
    expect(tlb._data).toEqual(before);
  });
});

describe('RiscvMmu over a RiscvGStageMmu: the VS-stage over the guest view, then the G-stage (seeded)', () => {
  // The fixed seeds always run (777001 once left a store's G-stage permission fault out of its 40 runs, which the
  // check of the outcomes below then reported): the outcomes are counted over all of them, so a PT_MODEL_SEED that
  // explores further adds its runs without having to reach every outcome alone.
  const FIXED_SEEDS = [20_261_207, 777_001];
  const given = process.env['PT_MODEL_SEED'];
  const seeds = given === undefined || given === '' ? FIXED_SEEDS : [...FIXED_SEEDS, Number(given)];
  const { READ: RD, WRITE: WR, EXECUTE: EX } = Access;

  it('where the G-stage lets every table read and write through, the two stages compose', () => {
    const seen = new Set<string>();
    for (const seed of seeds) {
      fc.assert(
        fc.property(
          // pages: (virtual page, VS-stage leaf flags, G-stage leaf flags of the data page it maps to); most with V, A,
          // D (and R in the VS-stage, U in the G-stage) so that more accesses reach the later checks
          fc.array(
            fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), fc.boolean()).map(
              ([page, vsFlags, gFlags, vsUsual, gUsual]) => [page, vsUsual ? vsFlags | 0xc3 : vsFlags, gUsual ? gFlags | 0xd1 : gFlags] as const,
            ),
            { minLength: 1, maxLength: 12 },
          ),
          fc.record({ sum: fc.boolean(), mxr: fc.boolean(), svadu: fc.boolean(), gSvadu: fc.boolean(), gMxr: fc.boolean() }),
          // accesses: (which page, or any address when past the pages; offset), kind, privilege
          fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 0x7f_ffff }), fc.constantFrom(RD, WR, EX), fc.constantFrom(U_MODE, S_MODE)), {
            minLength: 10,
            maxLength: 40,
          }),
          (pages, o, accesses) => {
            // a VS-stage table of 4K pages in 0..8M to the guest's data pages (guest-physical 0x4008_0000 up), with
            // random flags; the G-stage leaves of those data pages with random flags too (the table pages keep RWX U
            // A D: the walk's reads and writes always get through)
            const guest = new PhysicalMemory({ size: GUEST_BYTES, base: GUEST_GPA });
            guest.reserve(GUEST_GPA + 0x8_0000n, 0x8_0000);
            const vs = new Sv39PageTable(guest);
            const c = vs.cursor();
            const mapped = new Set<number>();
            for (const [page, flags] of pages) {
              if (mapped.has(page)) continue;
              mapped.add(page);
              c.map(BigInt(page) << 15n, GUEST_GPA + 0x8_0000n + BigInt((page & 127) << 12), PageSize.Size4K, READ);
              c.flush();
              const at = leafOf(guest, vs.rootPaddr, BigInt(page) << 15n);
              guest.writeU64(at, (guest.readU64(at) & ~0xffn) | BigInt(flags));
            }
            const { host, gs } = hostWithGuestRam();
            for (const [page, , flags] of pages) {
              const at = gLeafOf(host, gs.rootPaddr, GUEST_GPA + 0x8_0000n + BigInt((page & 127) << 12));
              host.writeU64(at, (host.readU64(at) & ~0xffn) | BigInt(flags));
            }
            host.writeBytes(GUEST_HPA, guest.bytes());
            const gOptions = { hgatp: encodeRiscvHgatp(gs).hgatp, svadu: o.gSvadu, mxr: o.gMxr };
            const vsOptions = { satp: encodeRiscvSatp(vs).satp, sum: o.sum, mxr: o.mxr, svadu: o.svadu };
            const two = new RiscvMmu(host, { ...vsOptions, secondStage: new RiscvGStageMmu(host, gOptions) });
            // the oracle: the VS-stage alone over the guest's view, then the G-stage alone over a copy of the host
            const hostCopy = new PhysicalMemory({ size: 4 << 20, base: HOST });
            hostCopy.writeBytes(HOST, host.bytes());
            const vsAlone = new RiscvMmu(guest, vsOptions);
            const gAlone = new RiscvGStageMmu(hostCopy, gOptions);
            for (const [k, offset, access, privilege] of accesses) {
              const va = k < pages.length ? (pages[k]![0] << 15) + (offset & 0xff8) : offset;
              const r = two.translateNumber(va, access, privilege);
              const want = compose(vsAlone, gAlone, va, access, privilege);
              seen.add(want.replace(/ htval.*| \d+ \d+$/, ''));
              expect(r < 0 ? `${faultKindOf(r)} ${two.cause} stage ${two.faultStage} htval ${two.htvalLo}` : `ok ${r} ${two.pageSize}`).toBe(want);
              // the VS-stage's A / D, in the host's copy of the guest's RAM and in the guest's view
              expect(sameBytes(host.bytes(GUEST_HPA, GUEST_BYTES), guest.bytes())).toBe(true);
            }
            // the G-stage's A / D: in the tables below the guest's RAM
            expect(sameBytes(host.bytes(HOST, Number(GUEST_HPA - HOST)), hostCopy.bytes(HOST, Number(GUEST_HPA - HOST)))).toBe(true);
          },
        ),
        { seed, numRuns: 40 },
      );
    }
    // every outcome occurred, over the seeds' runs together: translations, faults of each stage
    for (const want of ['ok', 'Permission 13 stage 1', 'Permission 15 stage 1', 'Permission 21 stage 2', 'Permission 23 stage 2', 'Permission 20 stage 2']) {
      expect([...seen], want).toContain(want);
    }
  }, 60_000);

  /** What the two stages should say: the VS-stage fault, or the G-stage's answer for the VS-stage's output. */
  function compose(vsAlone: RiscvMmu, gAlone: RiscvGStageMmu, va: number, access: AccessKind, privilege: PrivilegeLevel): string {
    const gpa = vsAlone.translateNumber(va, access, privilege);
    if (gpa < 0) return `${faultKindOf(gpa)} ${vsAlone.cause} stage 1 htval 0`;
    const pa = gAlone.translateNumber(gpa, access, privilege);
    if (pa < 0) return `${faultKindOf(pa)} ${gAlone.cause} stage 2 htval ${gAlone.htvalLo}`;
    return `ok ${pa} ${Math.min(vsAlone.pageSize, gAlone.pageSize)}`;
  }
});

/** The guest-physical address of the Sv39 leaf of a 4K page `va` (the tables are in `guest`). */
function leafOf(guest: PhysicalMemory, root: bigint, va: bigint): bigint {
  let table = root;
  for (const shift of [30n, 21n]) table = ((guest.readU64(table + ((va >> shift) & 511n) * 8n) >> 10n) & ((1n << 44n) - 1n)) << 12n;
  return table + ((va >> 12n) & 511n) * 8n;
}

/** The host physical address of the Sv39x4 leaf of a 4K guest-physical page. */
function gLeafOf(host: PhysicalMemory, root: bigint, gpa: bigint): bigint {
  let table = root + ((gpa >> 30n) & 2047n) * 8n;
  table = ((host.readU64(table) >> 10n) & ((1n << 44n) - 1n)) << 12n;
  table = ((host.readU64(table + ((gpa >> 21n) & 511n) * 8n) >> 10n) & ((1n << 44n) - 1n)) << 12n;
  return table + ((gpa >> 12n) & 511n) * 8n;
}
