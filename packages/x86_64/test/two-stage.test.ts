// X86Mmu over X86EptMmu: guest paging over EPT, Intel SDM Vol. 3C 29.3 (every guest paging-structure entry and the
// translation go through EPT; 29.3.3.2: reads of guest paging structures are data reads, accessed / dirty updates
// data writes, and with EPTP bit 6 every guest paging-structure access a write; 29.3.5: D in the EPT leaf for those)
// and 28.2.1 Table 28-7 (bits 7-11 of the exit qualification, from the guest walk). Two parts: SDM cases, and a
// seeded random test against a reference that composes the two single-stage models by hand: the guest walk in
// BigInt, each of its reads made through X86EptMmu's `translate`, one address at a time.
import {
  Access,
  type AccessKind,
  MappingFlags,
  MmuCode,
  type MmuResult,
  PageSize,
  PagingError,
  PhysicalMemory,
  Privilege,
  type PrivilegeLevel,
  Tlb,
} from '@page-table-multiarch/core';
import {
  encodeX64Registers,
  encodeX86Eptp,
  X64PageTable,
  X86EptMmu,
  X86EptPageTable,
  X86EptQualification as Q,
  InveptType,
  InvvpidType,
  invept,
  invvpid,
  type X86FaultSyndrome,
  X86Mmu,
} from '@page-table-multiarch/x86_64';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
const { USER: CPL3, SUPERVISOR: CPL0 } = Privilege;
const ADDR = 0x000f_ffff_ffff_f000n;
/** Guest RAM: guest-physical [0, 1 MiB) is host-physical [1 MiB, 2 MiB), in 4 KiB EPT pages. */
const GUEST_RAM = 1 << 20;
const HOST_BASE = 0x10_0000n;
// guest entry bits (Vol. 3A Tables 4-14 to 4-20) and EPT entry bits (Vol. 3C Tables 29-1 to 29-6)
const G_A = 0x20n;
const G_D = 0x40n;
const E_R = 1n;
const E_W = 2n;
const E_X = 4n;
const E_A = 0x100n;
const E_D = 0x200n;
const E_XU = 0x400n;
const WB = 6n << 3n;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

interface Setup {
  accessDirty?: boolean;
  mbec?: boolean;
  /** Guest mappings: [va, gpa, size, flags]. */
  maps?: [bigint, bigint, PageSize, number][];
}

/**
 * A guest with its 4-level tables in guest RAM, over an EPT that maps all of guest RAM R W X (and XU with MBEC).
 * The guest data pages are guest-physical 0x8_0000 up; the guest's table frames come below them.
 */
function guestOverEpt(setup: Setup = {}) {
  const host = new PhysicalMemory({ size: 2 << 20, base: 0 });
  host.reserve(HOST_BASE, GUEST_RAM);
  const ept = new X86EptPageTable(host, { mbec: setup.mbec === true });
  const all = READ | WRITE | EXECUTE | (setup.mbec ? USER : 0);
  ept.cursor().mapRegion(0n, HOST_BASE, BigInt(GUEST_RAM), all, false);
  const guestRam = new PhysicalMemory({ size: GUEST_RAM, base: 0 });
  guestRam.reserve(0x8_0000n, 0x8_0000);
  const guest = new X64PageTable(guestRam);
  const cursor = guest.cursor();
  const maps = setup.maps ?? [
    [0x40_0000n, 0x8_0000n, PageSize.Size4K, READ | WRITE | EXECUTE | USER],
    [0x40_1000n, 0x8_1000n, PageSize.Size4K, READ | EXECUTE],
  ];
  for (const [va, gpa, size, flags] of maps) cursor.map(va, gpa, size, flags);
  cursor.flush();
  host.writeBytes(HOST_BASE, guestRam.bytes());
  const regs = encodeX64Registers(guest);
  const eptMmu = new X86EptMmu(host, { eptp: encodeX86Eptp(ept, { accessDirty: setup.accessDirty === true }), mbec: setup.mbec === true });
  const mmu = new X86Mmu(host, { ...regs, secondStage: eptMmu });
  /** Host address of the EPT leaf that maps `gpa` (4 KiB pages everywhere here). */
  const eptLeaf = (gpa: bigint): bigint => {
    let table = ept.rootPaddr;
    for (const shift of [39n, 30n, 21n]) table = host.readU64(table + ((gpa >> shift) & 511n) * 8n) & ADDR;
    return table + ((gpa >> 12n) & 511n) * 8n;
  };
  /** Guest-physical addresses of the guest entries that translate `va`, root first. */
  const guestEntries = (va: bigint): bigint[] => {
    const out: bigint[] = [];
    let table = BigInt(regs.cr3) & ADDR;
    for (const shift of [39n, 30n, 21n, 12n]) {
      const at = table + ((va >> shift) & 511n) * 8n;
      out.push(at);
      const e = host.readU64(at + HOST_BASE);
      if ((e & 1n) === 0n || (e & 0x80n) !== 0n) break;
      table = e & ADDR;
    }
    return out;
  };
  /** Sets (or clears) bits of the EPT leaf that maps `gpa`. */
  const setEptLow = (gpa: bigint, low: bigint): void => {
    const at = eptLeaf(gpa);
    host.writeU64(at, (host.readU64(at) & ~0xfffn) | low);
  };
  return { host, ept, guest, regs, eptMmu, mmu, eptLeaf, guestEntries, setEptLow };
}

describe('X86Mmu over X86EptMmu behind a Tlb: combined mappings (Vol. 3C 29.4)', () => {
  it('caches a combined mapping: an EPT change is seen after INVEPT (single- or all-context), not after a guest INVLPG', () => {
    for (const type of [InveptType.SINGLE_CONTEXT, InveptType.ALL_CONTEXT] as const) {
      const s = guestOverEpt();
      const tlb = new Tlb(s.mmu, { entries: 16, ways: 4 });
      // the guest leaf is R/W with A and D set by a first write, which EPT allows
      expect(tlb.translateNumber(0x40_0010, Access.WRITE, CPL3)).toBe(Number(HOST_BASE) + 0x8_0010);
      // the hypervisor write-protects the page in EPT: the combined mapping still allows the store
      s.setEptLow(0x8_0000n, WB | E_R);
      expect(tlb.translateNumber(0x40_0020, Access.WRITE, CPL3)).toBe(Number(HOST_BASE) + 0x8_0020);
      // an INVVPID of another VPID leaves them [29.4.3.1]
      invvpid(tlb, InvvpidType.SINGLE_CONTEXT, 7);
      expect(tlb.translateNumber(0x40_0028, Access.WRITE, CPL3)).toBe(Number(HOST_BASE) + 0x8_0028);
      invept(tlb, type, type === 1 ? encodeX86Eptp(s.ept) : undefined);
      expect(tlb.translateNumber(0x40_0030, Access.WRITE, CPL3)).toBe(MmuCode.Permission);
      expect([tlb.model.faultStage, s.mmu.exitReason]).toEqual([2, 48]);
      expect(tlb.translateNumber(0x40_0038, Access.READ, CPL3)).toBe(Number(HOST_BASE) + 0x8_0038);
      expect([tlb.hits, tlb.walks]).toEqual([2, 3]);
    }
  });

  it('a store to a page whose EPT D is clear (EPTP bit 6) walks and sets it; then stores hit', () => {
    const s = guestOverEpt({ accessDirty: true });
    const tlb = new Tlb(s.mmu, { entries: 16, ways: 4 });
    const leaf = s.eptLeaf(0x8_0000n);
    // a read first: guest A set; EPT A set, D clear
    expect(tlb.translateNumber(0x40_0010, Access.READ, CPL3)).toBe(Number(HOST_BASE) + 0x8_0010);
    expect(s.host.readU64(leaf) & (E_A | E_D)).toBe(E_A);
    // the guest D is clear too: set it behind the walk so that only EPT's D is clean
    const g = s.guestEntries(0x40_0000n).at(-1)! + HOST_BASE;
    s.host.writeU64(g, s.host.readU64(g) | G_A | G_D);
    expect(tlb.translateNumber(0x40_0018, Access.READ, CPL3)).toBe(Number(HOST_BASE) + 0x8_0018);
    expect(tlb.permissions).toBe(READ | WRITE | EXECUTE | USER);
    expect(tlb.translateNumber(0x40_0020, Access.WRITE, CPL3)).toBe(Number(HOST_BASE) + 0x8_0020);
    expect(s.host.readU64(leaf) & (E_A | E_D)).toBe(E_A | E_D);
    expect(tlb.translateNumber(0x40_0028, Access.WRITE, CPL3)).toBe(Number(HOST_BASE) + 0x8_0028);
    expect([tlb.hits, tlb.walks]).toEqual([2, 2]);
  });

  it('mode-based execute control: the EPT X right of a combined mapping is the one of its guest U/S', () => {
    const s = guestOverEpt({ mbec: true });
    const tlb = new Tlb(s.mmu, { entries: 16, ways: 4 });
    // EPT lets user-mode linear addresses read and execute (XU), supervisor-mode ones not execute
    s.setEptLow(0x8_0000n, WB | E_R | E_W | E_XU);
    s.setEptLow(0x8_1000n, WB | E_R | E_W | E_XU);
    expect(tlb.translateNumber(0x40_0010, Access.EXECUTE, CPL3)).toBe(Number(HOST_BASE) + 0x8_0010);
    expect(tlb.translateNumber(0x40_0014, Access.EXECUTE, CPL3)).toBe(Number(HOST_BASE) + 0x8_0014);
    // 0x40_1000 is a supervisor page: its fetch is refused by EPT (X clear), from a walk
    expect(tlb.translateNumber(0x40_1010, Access.READ, CPL0)).toBe(Number(HOST_BASE) + 0x8_1010);
    expect(tlb.translateNumber(0x40_1014, Access.EXECUTE, CPL0)).toBe(MmuCode.Permission);
    expect(tlb.model.faultStage).toBe(2);
    expect([tlb.hits, tlb.walks]).toEqual([1, 3]);
  });

  it('INVVPID types act on the VPID (tlb.vmid) given; all-context spares VPID 0; bad operands are typed errors', () => {
    const s = guestOverEpt();
    const tlb = new Tlb(s.mmu, { entries: 16, ways: 4 });
    const fill = (vpid: number): void => {
      tlb.vmid = vpid;
      tlb.translateNumber(0x40_0010, Access.READ, CPL3);
    };
    const cached = (vpid: number): boolean => {
      tlb.vmid = vpid;
      const before = tlb.hits;
      tlb.translateNumber(0x40_0010, Access.READ, CPL3);
      return tlb.hits > before;
    };
    for (const v of [0, 1, 2]) fill(v);
    invvpid(tlb, InvvpidType.INDIVIDUAL_ADDRESS, 1, 0x40_0fffn);
    expect([cached(0), cached(1), cached(2)]).toEqual([true, false, true]);
    invvpid(tlb, InvvpidType.SINGLE_CONTEXT, 2);
    expect([cached(0), cached(1), cached(2)]).toEqual([true, true, false]);
    invvpid(tlb, InvvpidType.ALL_CONTEXT, 0);
    expect([cached(0), cached(1), cached(2)]).toEqual([true, false, false]);
    const before = tlb._data.slice();
    expect(() => invvpid(tlb, InvvpidType.SINGLE_CONTEXT, 0)).toThrow(RangeError);
    expect(() => invvpid(tlb, InvvpidType.INDIVIDUAL_ADDRESS, 1, 0x8000_0000_0000n)).toThrow(RangeError);
    expect(() => invvpid(tlb, 4 as 0, 1)).toThrow(RangeError);
    expect(() => invept(tlb, 1)).toThrow(RangeError);
    expect(() => invept(tlb, 3 as 1)).toThrow(RangeError);
    expect(tlb._data).toEqual(before);
  });

  it('a Tlb over an X86Mmu without EPT keeps its linear mappings through INVEPT', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0 });
    const table = new X64PageTable(memory);
    table.cursor().map(0x40_0000n, 0x8_0000n, PageSize.Size4K, READ | USER);
    const tlb = new Tlb(new X86Mmu(memory, encodeX64Registers(table)), { entries: 16, ways: 4 });
    expect(tlb.translateNumber(0x40_0010, Access.READ, CPL3)).toBe(0x8_0010);
    invept(tlb, InveptType.ALL_CONTEXT);
    expect(tlb.translateNumber(0x40_0010, Access.READ, CPL3)).toBe(0x8_0010);
    expect(tlb.hits).toBe(1);
  });
});

describe('X86Mmu over X86EptMmu: SDM cases', () => {
  it('translates through both stages: the host address, the smaller page, the rights both stages allow', () => {
    const s = guestOverEpt();
    expect(s.mmu.translate(0x40_0123n, Access.WRITE, CPL3)).toEqual({
      ok: true,
      paddr: HOST_BASE + 0x8_0123n,
      size: 4096,
      level: 3,
      permissions: READ | WRITE | EXECUTE | USER,
    });
    s.setEptLow(0x8_0000n, WB | E_R);
    expect(s.mmu.translate(0x40_0123n, Access.READ, CPL3)).toMatchObject({ ok: true, permissions: READ | USER });
  });

  it('a guest fault stays a #PF of stage 1, with its error code and CR2', () => {
    const s = guestOverEpt();
    const r = s.mmu.translate(0x50_0000n, Access.WRITE, CPL3);
    expect(r).toMatchObject({ ok: false, kind: 'NotPresent', syndrome: { vector: 14, errorCode: 6, cr2: 0x50_0000n } });
    expect(r).not.toHaveProperty('stage');
    expect(s.mmu.faultStage).toBe(1);
  });

  it('an EPT violation on a guest table read: stage 2, on the walk, bit 8 clear, the entry guest-physical address', () => {
    const s = guestOverEpt();
    const [, pdpte] = s.guestEntries(0x40_0000n);
    s.setEptLow(pdpte! & ~0xfffn, 0n); // the guest PDPT page is not present in EPT
    const r = s.mmu.translate(0x40_0000n, Access.READ, CPL3);
    const vmExit = { reason: 48, qualification: Q.READ | Q.LINEAR_VALID, guestPhysical: pdpte, guestLinear: 0x40_0000n };
    expect(r).toEqual({ ok: false, kind: 'NotPresent', level: 3, vaddr: 0x40_0000n, stage: 2, onWalk: true, syndrome: { vector: -1, errorCode: 0, cr2: null, vmExit } });
    // the number form: the same in the fields
    expect(s.mmu.translateNumber(0x40_0000, Access.READ, CPL3)).toBe(-1);
    expect([s.mmu.faultStage, s.mmu.faultOnWalk, s.mmu.exitReason, s.mmu.exitQualification, s.mmu.gpaLo]).toEqual([2, true, 48, Q.READ | Q.LINEAR_VALID, Number(pdpte)]);
  });

  it('without EPTP bit 6, a guest table read needs R, and setting its A flag is a write (bits 1, 3 and 5; bit 8 clear)', () => {
    const s = guestOverEpt();
    const [pml4e] = s.guestEntries(0x40_0000n);
    s.setEptLow(pml4e! & ~0xfffn, WB | E_R | E_X); // the guest PML4 page is read-only in EPT; its entries have A = 0
    expect(s.host.readU64(pml4e! + HOST_BASE) & G_A).toBe(0n);
    const r = s.mmu.translate(0x40_0000n, Access.READ, CPL3) as Extract<MmuResult<X86FaultSyndrome>, { ok: false }>;
    expect(r).toMatchObject({ ok: false, kind: 'Permission', stage: 2, onWalk: true });
    expect(r.syndrome.vmExit).toEqual({ reason: 48, qualification: Q.WRITE | Q.READABLE | Q.EXECUTABLE | Q.LINEAR_VALID, guestPhysical: pml4e, guestLinear: 0x40_0000n });
    // with A already set in every guest entry, the walk only reads: a read-only EPT page is enough
    for (const at of s.guestEntries(0x40_0000n)) s.host.writeU64(at + HOST_BASE, s.host.readU64(at + HOST_BASE) | G_A | G_D);
    expect(s.mmu.translate(0x40_0000n, Access.READ, CPL3).ok).toBe(true);
  });

  it('with EPTP bit 6, every guest table access is a write: bits 0 and 1, and D in the EPT leaf of the guest table', () => {
    const s = guestOverEpt({ accessDirty: true });
    const entries = s.guestEntries(0x40_0000n);
    for (const at of entries) s.host.writeU64(at + HOST_BASE, s.host.readU64(at + HOST_BASE) | G_A | G_D);
    expect(s.mmu.translate(0x40_0000n, Access.READ, CPL3).ok).toBe(true);
    // 29.3.5: A and D in the EPT leaves of the guest table pages; A alone in the leaf of the data page read
    for (const at of entries) expect(s.host.readU64(s.eptLeaf(at & ~0xfffn)) & (E_A | E_D)).toBe(E_A | E_D);
    expect(s.host.readU64(s.eptLeaf(0x8_0000n)) & (E_A | E_D)).toBe(E_A);
    s.setEptLow(entries[2]! & ~0xfffn, WB | E_R | E_X); // the guest PD page: read-only in EPT
    const r = s.mmu.translate(0x40_0000n, Access.READ, CPL3);
    expect(r).toMatchObject({ ok: false, stage: 2, onWalk: true, syndrome: { vmExit: { qualification: Q.READ | Q.WRITE | Q.READABLE | Q.EXECUTABLE | Q.LINEAR_VALID, guestPhysical: entries[2] } } });
  });

  it('an EPT violation on the translation: bit 8 set, bits 9-11 from the guest rights, the guest A / D already written', () => {
    const s = guestOverEpt();
    s.setEptLow(0x8_0000n, WB | E_R); // user page R W X in the guest, R in EPT
    const r = s.mmu.translate(0x40_0010n, Access.WRITE, CPL3);
    const q = Q.WRITE | Q.READABLE | Q.LINEAR_VALID | Q.TRANSLATED | Q.USER_LINEAR | Q.WRITABLE_LINEAR;
    expect(r).toMatchObject({ ok: false, kind: 'Permission', level: 3, stage: 2, onWalk: false, syndrome: { vector: -1, cr2: null, vmExit: { reason: 48, qualification: q, guestPhysical: 0x8_0010n, guestLinear: 0x40_0010n } } });
    const leaf = s.guestEntries(0x40_0010n)[3]!;
    expect(s.host.readU64(leaf + HOST_BASE) & (G_A | G_D)).toBe(G_A | G_D);
  });

  it('bits 9-11 for a supervisor, read-only, execute-disable page', () => {
    const s = guestOverEpt({ maps: [[0xffff_8000_0000_0000n, 0x8_2000n, PageSize.Size4K, READ]] });
    s.setEptLow(0x8_2000n, WB | E_W | E_R);
    s.setEptLow(0x8_2000n, WB | E_X); // execute-only in EPT
    const r = s.mmu.translate(0xffff_8000_0000_0008n, Access.READ, CPL0);
    expect(r).toMatchObject({ ok: false, stage: 2, syndrome: { vmExit: { qualification: Q.READ | Q.EXECUTABLE | Q.LINEAR_VALID | Q.TRANSLATED | Q.XD_LINEAR } } });
  });

  it('MBEC: the guest page U/S (not the CPL) picks bit 10 or bit 2 of EPT for a fetch', () => {
    const s = guestOverEpt({
      mbec: true,
      maps: [
        [0x40_0000n, 0x8_0000n, PageSize.Size4K, READ | EXECUTE | USER],
        [0xffff_8000_0000_0000n, 0x8_0000n, PageSize.Size4K, READ | EXECUTE],
      ],
    });
    s.setEptLow(0x8_0000n, WB | E_R | E_X); // X for supervisor-mode linear addresses only
    const user = s.mmu.translate(0x40_0000n, Access.EXECUTE, CPL3);
    const q = Q.FETCH | Q.READABLE | Q.EXECUTABLE | Q.LINEAR_VALID | Q.TRANSLATED | Q.USER_LINEAR;
    expect(user).toMatchObject({ ok: false, stage: 2, syndrome: { vmExit: { qualification: q } } });
    // a supervisor fetch (SMEP off) from the user page is still a user-mode linear address
    expect(s.mmu.translate(0x40_0000n, Access.EXECUTE, CPL0)).toMatchObject({ ok: false, stage: 2 });
    expect(s.mmu.translate(0xffff_8000_0000_0000n, Access.EXECUTE, CPL0)).toMatchObject({ ok: true, permissions: READ | EXECUTE });
    s.setEptLow(0x8_0000n, WB | E_R | E_XU);
    expect(s.mmu.translate(0x40_0000n, Access.EXECUTE, CPL3)).toMatchObject({ ok: true, permissions: READ | EXECUTE | USER });
    expect(s.mmu.translate(0xffff_8000_0000_0000n, Access.EXECUTE, CPL0)).toMatchObject({ ok: false, syndrome: { vmExit: { qualification: Q.FETCH | Q.READABLE | Q.USER_EXECUTABLE | Q.LINEAR_VALID | Q.TRANSLATED } } });
  });

  it('an EPT misconfiguration: exit reason 49, no qualification, no guest linear address', () => {
    const s = guestOverEpt();
    s.setEptLow(0x8_0000n, (7n << 3n) | E_R | E_W); // memory type 7
    expect(s.mmu.translate(0x40_0000n, Access.READ, CPL3)).toMatchObject({
      ok: false,
      kind: 'ReservedBit',
      stage: 2,
      onWalk: false,
      syndrome: { vmExit: { reason: 49, qualification: 0, guestPhysical: 0x8_0000n, guestLinear: null } },
    });
  });

  it('the page size is the smaller of the two stages', () => {
    const s = guestOverEpt({ maps: [[0x60_0000n, 0n, PageSize.Size2M, READ]] });
    expect(s.mmu.translate(0x60_7ff0n, Access.READ, CPL0)).toMatchObject({ ok: true, paddr: HOST_BASE + 0x7ff0n, size: 4096, level: 2 });
  });

  it('refuses a second stage without translateWords, and bad addresses, with nothing written', () => {
    const s = guestOverEpt({ accessDirty: true });
    expect(() => new X86Mmu(s.host, { ...s.regs, secondStage: {} as never })).toThrow(TypeError);
    const before = s.host.bytes().slice();
    expect(() => s.mmu.translate(-1n, Access.READ, CPL3)).toThrow(PagingError);
    expect(() => s.mmu.translate(0x40_0000n, 5 as AccessKind, CPL3)).toThrow(RangeError);
    expect(() => s.mmu.translateNumber(0.5, Access.READ, CPL3)).toThrow(RangeError);
    expect(sameBytes(s.host.bytes(), before)).toBe(true);
  });
});

// ---- the reference: the guest walk of Vol. 3A 4.5-4.8 (WP = 1, NXE = 1, no SMEP / SMAP / PKE) in BigInt, each
// guest-physical access made through X86EptMmu.translate, one address at a time ----

type Outcome = { ok: true; paddr: bigint; size: number; level: number; permissions: number } | { ok: false; text: string };

function reference(host: PhysicalMemory, ept: X86EptMmu, cr3: bigint, va: bigint, access: AccessKind, cpl: PrivilegeLevel): Outcome {
  const tableAccess = ept.guestTableAccess;
  /** A guest-physical access through EPT: the host address, or the stage-2 outcome as text. */
  const viaEpt = (gpa: bigint, kind: AccessKind, mode: PrivilegeLevel, onWalk: boolean, extra: number): bigint | string => {
    const r = ept.translate(gpa, kind, mode);
    if (r.ok) return r.paddr;
    let q = r.syndrome.qualification;
    if (r.syndrome.reason === 48) q |= onWalk ? 0x80 | (kind === 1 && tableAccess === 1 ? 1 : 0) : 0x180 | extra;
    return `stage2 ${r.kind} ${r.level} ${onWalk} ${r.syndrome.reason} ${q} ${gpa}`;
  };
  const user = cpl === 0;
  const ext = va >> 47n;
  if (ext !== 0n && ext !== 0x1ffffn) return { ok: false, text: 'NonCanonical' };
  let table = cr3 & ADDR;
  let rw = 2n;
  let us = 4n;
  let xd = 0n;
  const used: [bigint, bigint][] = [];
  for (let level = 0; level < 4; level++) {
    const shift = 39n - 9n * BigInt(level);
    const gpa = table + ((va >> shift) & 511n) * 8n;
    const hpa = viaEpt(gpa, tableAccess, 1, true, 0);
    if (typeof hpa === 'string') return { ok: false, text: hpa };
    const e = host.readU64(hpa);
    const ec = (access === 1 ? 2 : 0) | (user ? 4 : 0) | (access === 2 ? 16 : 0);
    if ((e & 1n) === 0n) return { ok: false, text: `pf NotPresent ${level} ${ec}` };
    const ps = (e & 0x80n) !== 0n;
    if (ps && level === 0) return { ok: false, text: `pf ReservedBit ${level} ${ec | 9}` };
    rw &= e;
    us &= e;
    xd |= e >> 63n;
    const leaf = level === 3 || (ps && level >= 1);
    if (!leaf) {
      used.push([gpa, hpa]);
      if ((e & G_A) === 0n) {
        if (tableAccess !== 1) {
          const w = viaEpt(gpa, 1, 1, true, 0);
          if (typeof w === 'string') return { ok: false, text: w };
        }
        host.writeU64(hpa, e | G_A);
      }
      table = e & ADDR;
      continue;
    }
    const pageShift = 12n + 9n * BigInt(3 - level);
    if (pageShift > 12n && (e & ((1n << pageShift) - 1n) & ~0x1fffn) !== 0n) return { ok: false, text: `pf ReservedBit ${level} ${ec | 9}` };
    if (user && us === 0n) return { ok: false, text: `pf Permission ${level} ${ec | 1}` };
    if (access === 1 && rw === 0n) return { ok: false, text: `pf Permission ${level} ${ec | 1}` };
    if (access === 2 && xd !== 0n) return { ok: false, text: `pf Permission ${level} ${ec | 1}` };
    const need = access === 1 ? G_A | G_D : G_A;
    if ((e & need) !== need) {
      if (tableAccess !== 1) {
        const w = viaEpt(gpa, 1, 1, true, 0);
        if (typeof w === 'string') return { ok: false, text: w };
      }
      host.writeU64(hpa, e | need);
    }
    const mask = (1n << pageShift) - 1n;
    const out = ((e & ADDR) & ~mask) | (va & mask);
    const userPage = us !== 0n;
    const extra = (userPage ? 0x200 : 0) | (rw !== 0n ? 0x400 : 0) | (xd !== 0n ? 0x800 : 0);
    const r = ept.translate(out, access, userPage ? 0 : 1);
    if (!r.ok) {
      const hpaOrText = viaEpt(out, access, userPage ? 0 : 1, false, extra);
      return { ok: false, text: hpaOrText as string };
    }
    let perms = 1 | (rw !== 0n ? 2 : 0) | (xd === 0n ? 4 : 0);
    perms &= r.permissions;
    if (userPage) perms |= 8;
    return { ok: true, paddr: r.paddr, size: Math.min(Number(1n << pageShift), r.size), level, permissions: perms };
  }
  throw new Error('unreachable');
}

/** What the model under test said, in the reference's terms. */
function outcomeOf(r: MmuResult<X86FaultSyndrome>, mmu: X86Mmu): Outcome {
  if (r.ok) return { ok: true, paddr: r.paddr, size: r.size, level: r.level, permissions: r.permissions };
  if (r.kind === 'NonCanonical') return { ok: false, text: 'NonCanonical' };
  if (r.stage === 2) {
    const v = r.syndrome.vmExit!;
    return { ok: false, text: `stage2 ${r.kind} ${r.level} ${r.onWalk} ${v.reason} ${v.qualification} ${v.guestPhysical}` };
  }
  expect(mmu.vector).toBe(14);
  return { ok: false, text: `pf ${r.kind} ${r.level} ${r.syndrome.errorCode}` };
}

/** xorshift32, seeded. */
function rng(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

describe('X86Mmu over X86EptMmu: agrees with the two single-stage models composed by hand (seeded)', () => {
  // 4242: a seed that once faulted every access (kept as a fixed case)
  const seeds = process.env.TWO_STAGE_SEED ? [Number(process.env.TWO_STAGE_SEED)] : [1, 2, 3, 4, 5, 6, 7, 8, 4242];
  it.each(seeds)('seed %i (replay: TWO_STAGE_SEED=<seed>)', (seed) => {
    const rand = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[rand() % xs.length]!;
    const accessDirty = rand() % 2 === 0;
    const mbec = rand() % 2 === 0;
    const executeOnly = rand() % 4 !== 0;
    const vas: bigint[] = [];
    const maps: [bigint, bigint, PageSize, number][] = [];
    for (let i = 0; i < 24; i++) {
      const huge = rand() % 6 === 0;
      const va = huge ? BigInt(0x4000_0000 + i * 0x20_0000) : BigInt(0x10_0000 + (rand() % 4096) * 0x1000) + (rand() % 2 === 0 ? 0n : 0xffff_8000_0000_0000n);
      if (maps.some(([v]) => v === va)) continue;
      const gpa = huge ? 0n : 0x8_0000n + BigInt(rand() % 128) * 0x1000n;
      maps.push([va, gpa, huge ? PageSize.Size2M : PageSize.Size4K, pick([READ, READ | WRITE, READ | EXECUTE, READ | WRITE | EXECUTE]) | (rand() % 2 === 0 ? USER : 0)]);
      vas.push(va + BigInt(rand() % 4096));
    }
    const s = guestOverEpt({ accessDirty, mbec, maps });
    // random guest bits (P, R/W, U/S, A, D, PS in the PML4E, XD), each entry once: a leaf one time in 4, an entry
    // above it (shared by many walks) one time in 12
    const seen = new Set<bigint>();
    // the walks of the first four addresses stay clean (their guest entries, their guest table pages and data pages
    // in EPT), so that every seed translates some accesses: seed 4242 corrupted what every walk shares and faulted all
    const cleanPages = new Set<number>();
    vas.slice(0, 4).forEach((va, k) => {
      for (const at of s.guestEntries(va)) {
        seen.add(at);
        cleanPages.add(Number(at >> 12n));
      }
      if (maps[k]![2] === PageSize.Size4K) cleanPages.add(Number(maps[k]![1] >> 12n));
    });
    for (const va of vas) {
      const entries = s.guestEntries(va);
      entries.forEach((at, i) => {
        if (seen.has(at)) return;
        seen.add(at);
        if (rand() % (i === entries.length - 1 ? 4 : 12) !== 0) return;
        const flip = pick([1n, 2n, 4n, G_A, G_D, 0x80n, 1n << 63n]);
        s.host.writeU64(at + HOST_BASE, s.host.readU64(at + HOST_BASE) ^ flip);
      });
    }
    // random EPT leaves (rights, XU, memory type, A): a data page one time in 4, a guest table page one time in 12
    for (let page = 0; page < GUEST_RAM / 4096; page++) {
      if (rand() % (page >= 0x80 ? 4 : 12) !== 0 || cleanPages.has(page)) continue;
      const low = pick([E_R, E_R | E_W, E_R | E_X, E_X, E_W, E_R | E_W | E_X, E_XU, E_R | E_XU, 0n]) | (BigInt(pick([0, 1, 2, 4, 6, 7])) << 3n) | (rand() % 2 === 0 ? E_A : 0n);
      s.setEptLow(BigInt(page) * 4096n, low);
    }
    const eptOptions = { eptp: encodeX86Eptp(s.ept, { accessDirty }), mbec, executeOnly };
    const twin = new PhysicalMemory({ size: 2 << 20, base: 0 });
    const mmu = new X86Mmu(s.host, { ...s.regs, secondStage: new X86EptMmu(s.host, eptOptions) });
    const refEpt = new X86EptMmu(twin, eptOptions);
    let faults = 0;
    let stage2 = 0;
    // the twin starts as a copy, and stays one while every access writes the same bytes in both (checked each time)
    twin.writeBytes(0, s.host.bytes());
    for (let i = 0; i < 300; i++) {
      const va = pick(vas) + BigInt(rand() % 2 === 0 ? 0 : 0x1000);
      const access = pick([Access.READ, Access.WRITE, Access.EXECUTE] as const);
      const cpl = pick([CPL3, CPL0] as const);
      const want = reference(twin, refEpt, BigInt(s.regs.cr3), va, access, cpl);
      const got = outcomeOf(mmu.translate(va, access, cpl), mmu);
      const where = `seed ${seed}, access ${i}: va ${va.toString(16)}, kind ${access}, cpl ${cpl === 0 ? 3 : 0}`;
      expect(got, where).toEqual(want);
      expect(sameBytes(s.host.bytes(), twin.bytes()), `${where}: memory`).toBe(true);
      if (!got.ok) faults++;
      if (!got.ok && got.text.startsWith('stage2')) stage2++;
    }
    // every seed reaches translations, guest faults and stage-2 faults
    expect(faults).toBeGreaterThan(20);
    expect(stage2).toBeGreaterThan(0);
    expect(faults).toBeLessThan(300);
  }, 60_000);
});
