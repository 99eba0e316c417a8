// X86Mmu against Intel SDM Vol. 3A (325462): 4.5 (the walk, canonical addresses, reserved bits), 4.6.1 (access
// rights with WP, SMEP, SMAP / AC, XD), 4.6.2 (protection keys), 4.7 (the #PF error code and CR2), 4.8 (A / D).
// Two parts: one case per rule, with the outcome the manual's text gives; and a seeded property test against a
// BigInt transcription of the same sections over tables filled with random entries.
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
  RegisterError,
} from '@page-table-multiarch/core';
import { encodeX64Registers, X64PageTable, X64PageTable5, X86Mmu, type X86MmuOptions, X86PageFaultError, X86Vector } from '@page-table-multiarch/x86_64';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  A,
  bit,
  type CommonModes,
  CR4_PAE,
  CR4_PKE,
  controlRegisters,
  D,
  EFER_LME,
  type Oracle,
  P,
  PS,
  RAM,
  RW,
  type RandomTablesShape,
  randomTables,
  sameBytes,
  US,
  XD,
  xorshift32,
} from './_mmu-setup';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
const { USER: CPL3, SUPERVISOR: CPL0 } = Privilege;
const { P: E_P, W: E_W, U: E_U, RSVD: E_RSVD, ID: E_ID, PK: E_PK } = X86PageFaultError;

/** A 4-level table with a 4K page at 0x1000, a 2M page at 0x20_0000 and a 1G page in the upper half, and where their leaves are. */
function fixture() {
  const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
  const table = new X64PageTable(memory);
  const cursor = table.cursor();
  cursor.map(0x1000n, 0x8004_0000n, PageSize.Size4K, READ | WRITE | EXECUTE | USER);
  cursor.map(0x20_0000n, 0x8020_0000n, PageSize.Size2M, READ | WRITE | EXECUTE | USER);
  cursor.map(0xffff_ffff_c000_0000n, 0x4000_0000n, PageSize.Size1G, READ | WRITE);
  cursor.flush();
  const child = (entry: bigint): bigint => memory.readU64(entry) & 0x000f_ffff_ffff_f000n;
  const pml4e = table.rootPaddr;
  const pdpte = child(pml4e);
  const pde = child(pdpte);
  const leaf4k = child(pde) + 8n;
  const leaf2m = pde + 8n;
  const leaf1g = child(table.rootPaddr + 511n * 8n) + 511n * 8n;
  const regs = encodeX64Registers(table);
  return { memory, table, regs, pml4e, pdpte, pde, leaf4k, leaf2m, leaf1g };
}

/** Rewrites the low 12 bits (and bit 63 when `xd` is given) of an entry, keeping its address. */
function setBits(memory: PhysicalMemory, at: bigint, low: bigint, xd = false): void {
  memory.writeU64(at, (memory.readU64(at) & 0x7fff_ffff_ffff_f000n) | low | (xd ? XD : 0n));
}

interface Modes extends CommonModes {
  pke?: boolean;
  pkru?: number;
}

function mmuFor(f: ReturnType<typeof fixture>, m: Modes = {}, extra: Partial<X86MmuOptions> = {}): X86Mmu {
  const registers = controlRegisters(m, CR4_PAE | (m.pke ? CR4_PKE : 0n), EFER_LME);
  return new X86Mmu(f.memory, { cr3: f.regs.cr3, ...registers, pkru: m.pkru ?? 0, ...extra });
}

describe('X86Mmu: one case per rule of the manual', () => {
  // [name, leaf low bits, leaf XD, a change above the leaf, access, privilege, modes, want: "ok" or "<kind> <error code>"]
  type Case = [string, bigint, boolean, bigint | null, AccessKind, PrivilegeLevel, Modes, string];
  const all = P | RW | US | A | D;
  const cases: Case[] = [
    ['user read of a user page', all, false, null, Access.READ, CPL3, {}, 'ok'],
    ['P = 0 in the leaf', all & ~P, false, null, Access.READ, CPL3, {}, `NotPresent ${E_U}`],
    ['P = 0 in the PDE: W/R and U/S still say the access', null as never, false, RW | US, Access.WRITE, CPL3, {}, `NotPresent ${E_W | E_U}`],
    ['user read of a supervisor page (4.6.1)', P | RW | A, false, null, Access.READ, CPL3, {}, `Permission ${E_P | E_U}`],
    ['U/S = 0 in the PDE makes the page supervisor (ANDed)', all, false, P | RW | A, Access.READ, CPL3, {}, `Permission ${E_P | E_U}`],
    ['R/W = 0 in the PDE refuses a user write (ANDed)', all, false, P | US | A, Access.WRITE, CPL3, {}, `Permission ${E_P | E_W | E_U}`],
    ['user write to a read-only page', P | US | A | D, false, null, Access.WRITE, CPL3, {}, `Permission ${E_P | E_W | E_U}`],
    ['supervisor write to a read-only page, WP = 1', P | A | D, false, null, Access.WRITE, CPL0, {}, `Permission ${E_P | E_W}`],
    ['supervisor write to a read-only page, WP = 0', P | A | D, false, null, Access.WRITE, CPL0, { wp: false }, 'ok'],
    ['user write to a read-only page, WP = 0: still refused', P | US | A | D, false, null, Access.WRITE, CPL3, { wp: false }, `Permission ${E_P | E_W | E_U}`],
    ['fetch from an XD page, NXE = 1', all, true, null, Access.EXECUTE, CPL3, {}, `Permission ${E_P | E_U | E_ID}`],
    ['XD in the PDE (ORed)', all, false, P | RW | US | A | XD, Access.EXECUTE, CPL0, {}, `Permission ${E_P | E_ID}`],
    ['XD with NXE = 0 is a reserved bit', all, true, null, Access.READ, CPL0, { nxe: false }, `ReservedBit ${E_P | E_RSVD}`],
    ['fetch fault with NXE = 0 and SMEP = 0: no I/D', all & ~P, false, null, Access.EXECUTE, CPL0, { nxe: false }, 'NotPresent 0'],
    ['supervisor fetch from a user page, SMEP = 1', all, false, null, Access.EXECUTE, CPL0, { smep: true }, `Permission ${E_P | E_ID}`],
    ['supervisor fetch from a user page, SMEP = 0', all, false, null, Access.EXECUTE, CPL0, {}, 'ok'],
    ['supervisor read of a user page, SMAP = 1, AC = 0', all, false, null, Access.READ, CPL0, { smap: true }, `Permission ${E_P}`],
    ['supervisor read of a user page, SMAP = 1, AC = 1', all, false, null, Access.READ, CPL0, { smap: true, ac: true }, 'ok'],
    ['supervisor write to a user read-only page, SMAP, AC = 1, WP = 0', P | US | A, false, null, Access.WRITE, CPL0, { smap: true, ac: true, wp: false }, 'ok'],
    ['user read with SMAP = 1, AC = 0: SMAP is for supervisor accesses', all, false, null, Access.READ, CPL3, { smap: true }, 'ok'],
    ['PKRU.AD(0) refuses a user read of key 0 (4.6.2)', all, false, null, Access.READ, CPL3, { pke: true, pkru: 1 }, `Permission ${E_P | E_U | E_PK}`],
    ['PKRU.AD(0) refuses a supervisor read of a user page too', all, false, null, Access.READ, CPL0, { pke: true, pkru: 1 }, `Permission ${E_P | E_PK}`],
    ['PKRU.AD(0) does not refuse a fetch', all, false, null, Access.EXECUTE, CPL3, { pke: true, pkru: 1 }, 'ok'],
    ['PKRU.WD(0) refuses a user write', all, false, null, Access.WRITE, CPL3, { pke: true, pkru: 2 }, `Permission ${E_P | E_W | E_U | E_PK}`],
    ['PKRU.WD(0) with WP = 0 allows a supervisor write', all, false, null, Access.WRITE, CPL0, { pke: true, pkru: 2, wp: false }, 'ok'],
    ['PKRU with PKE = 0 is not read', all, false, null, Access.READ, CPL3, { pkru: 3 }, 'ok'],
    ['PKRU does not apply to supervisor pages', P | RW | A | D, false, null, Access.WRITE, CPL0, { pke: true, pkru: 3 }, 'ok'],
  ];
  for (const [name, low, xd, pde, access, privilege, modes, want] of cases) {
    it(name, () => {
      const f = fixture();
      if (low !== null) setBits(f.memory, f.leaf4k, low, xd);
      if (pde !== null) f.memory.writeU64(f.pde, (f.memory.readU64(f.pde) & 0x000f_ffff_ffff_f000n) | pde);
      const mmu = mmuFor(f, modes);
      const r = mmu.translate(0x1234n, access, privilege);
      expect(r.ok ? 'ok' : `${r.kind} ${r.syndrome.errorCode}`).toBe(want);
      if (r.ok) {
        expect(r.paddr).toBe(0x8004_0234n);
        expect([r.size, r.level]).toEqual([4096, 3]);
        expect(r.permissions & (1 << access)).not.toBe(0);
      } else {
        expect(r.syndrome.vector).toBe(X86Vector.PF);
        expect(r.syndrome.cr2).toBe(0x1234n); // CR2: the faulting linear address (4.7)
        expect(r.level).toBe(pde === null || want === 'ok' || !want.startsWith('NotPresent') ? 3 : 2);
      }
    });
  }

  it('protection keys: the key is bits 62:59 of the leaf, two PKRU bits per key', () => {
    const f = fixture();
    f.memory.writeU64(f.leaf4k, f.memory.readU64(f.leaf4k) | (5n << 59n));
    const key5 = (bits: number): number => bits << 10;
    expect(mmuFor(f, { pke: true, pkru: key5(1) }).translate(0x1000n, Access.READ, CPL3)).toMatchObject({ ok: false, kind: 'Permission' });
    expect(mmuFor(f, { pke: true, pkru: (0xffff_ffff & ~key5(3)) >>> 0 }).translateNumber(0x1000, Access.WRITE, CPL3)).toBe(0x8004_0000);
    const wd = mmuFor(f, { pke: true, pkru: key5(2) });
    expect(wd.translateNumber(0x1000, Access.READ, CPL3)).toBe(0x8004_0000);
    expect(wd.permissions).toBe(READ | EXECUTE | USER);
  });

  it('A is set in every entry walked and in the leaf, D in the leaf on a write (4.8); report-only writes nothing', () => {
    const f = fixture();
    for (const at of [f.pml4e, f.pdpte, f.pde]) f.memory.writeU64(at, f.memory.readU64(at) & ~A);
    setBits(f.memory, f.leaf4k, P | RW | US);
    const before = f.memory.bytes().slice();
    const report = mmuFor(f, {}, { setAccessedDirty: false });
    expect(report.translateNumber(0x1008, Access.WRITE, CPL3)).toBe(0x8004_0008);
    expect(report.updates).toBe(4);
    expect(sameBytes(f.memory.bytes(), before)).toBe(true);
    const mmu = mmuFor(f);
    expect(mmu.translateNumber(0x1008, Access.READ, CPL3)).toBe(0x8004_0008);
    expect(mmu.updates).toBe(4);
    for (const at of [f.pml4e, f.pdpte, f.pde, f.leaf4k]) expect(f.memory.readU64(at) & (A | D), String(at)).toBe(A);
    expect(mmu.translateNumber(0x1008, Access.WRITE, CPL3)).toBe(0x8004_0008);
    expect([mmu.updates, f.memory.readU64(f.leaf4k) & (A | D)]).toEqual([1, A | D]);
  });

  it('a refused access sets A in the entries above the leaf, not in the leaf', () => {
    const f = fixture();
    f.memory.writeU64(f.pde, f.memory.readU64(f.pde) & ~A);
    setBits(f.memory, f.leaf4k, P | US);
    expect(mmuFor(f).translateNumber(0x1000, Access.WRITE, CPL3)).toBe(MmuCode.Permission);
    expect([f.memory.readU64(f.pde) & A, f.memory.readU64(f.leaf4k) & A]).toEqual([A, 0n]);
  });

  it('large pages: the offset from the address; bits 20:13 of a 2M and 29:13 of a 1G leaf are reserved, PAT (12) is not', () => {
    const f = fixture();
    const mmu = mmuFor(f);
    expect(mmu.translateNumber(0x2f_f123, Access.WRITE, CPL3)).toBe(0x802f_f123);
    expect([mmu.pageSize, mmu.level, mmu.permissions]).toEqual([PageSize.Size2M, 2, READ | WRITE | EXECUTE | USER]);
    expect(mmu.translate(0xffff_ffff_c123_4567n, Access.READ, CPL0)).toEqual({ ok: true, paddr: 0x4123_4567n, size: PageSize.Size1G, level: 1, permissions: READ | WRITE });
    f.memory.writeU64(f.leaf2m, f.memory.readU64(f.leaf2m) | bit(12));
    expect(mmu.translateNumber(0x20_0000, Access.READ, CPL3)).toBe(0x8020_0000);
    f.memory.writeU64(f.leaf2m, f.memory.readU64(f.leaf2m) | bit(13));
    expect(mmu.translate(0x20_0000n, Access.READ, CPL3)).toMatchObject({ ok: false, kind: 'ReservedBit', level: 2, syndrome: { errorCode: E_P | E_RSVD | E_U } });
    f.memory.writeU64(f.leaf1g, f.memory.readU64(f.leaf1g) | bit(29));
    expect(mmu.translate(0xffff_ffff_c000_0000n, Access.READ, CPL0)).toMatchObject({ ok: false, kind: 'ReservedBit', level: 1 });
  });

  it('reserved bits: 51:M with MAXPHYADDR < 52, PS in a PML4E; bits 62:52 of a table entry are ignored', () => {
    const f = fixture();
    const m40 = mmuFor(f, {}, { maxPhysAddr: 40 });
    f.memory.writeU64(f.leaf4k, f.memory.readU64(f.leaf4k) | bit(45));
    expect(mmuFor(f).translateNumber(0x1000, Access.READ, CPL3)).toBe(0x2000_8004_0000);
    expect(m40.translate(0x1000n, Access.READ, CPL3)).toMatchObject({ ok: false, kind: 'ReservedBit', level: 3 });
    const g = fixture();
    g.memory.writeU64(g.pml4e, g.memory.readU64(g.pml4e) | bit(55));
    expect(mmuFor(g).translateNumber(0x1000, Access.READ, CPL3)).toBe(0x8004_0000);
    g.memory.writeU64(g.pml4e, g.memory.readU64(g.pml4e) | PS);
    expect(mmuFor(g).translate(0x1000n, Access.EXECUTE, CPL3)).toMatchObject({
      ok: false,
      kind: 'ReservedBit',
      level: 0,
      syndrome: { vector: 14, errorCode: E_P | E_RSVD | E_U | E_ID },
    });
  });

  it('non-canonical addresses raise #GP(0) before any table is read, and leave CR2 alone (4.5.1)', () => {
    const f = fixture();
    for (const a of [f.pml4e, f.pdpte]) f.memory.writeU64(a, f.memory.readU64(a) & ~A);
    const before = f.memory.bytes().slice();
    const mmu = mmuFor(f);
    const va = 0x0000_8000_0000_1000n;
    expect(mmu.translate(va, Access.WRITE, CPL3)).toEqual({ ok: false, kind: 'NonCanonical', level: -1, vaddr: va, syndrome: { vector: 13, errorCode: 0, cr2: null } });
    expect(sameBytes(f.memory.bytes(), before)).toBe(true);
  });

  it('5-level paging: bits 63:56 canonical, PML5 then PML4', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new X64PageTable5(memory);
    const cursor = table.cursor();
    cursor.map(0x00ff_ffff_ffff_f000n, 0x9000n, PageSize.Size4K, READ | USER);
    cursor.map(0xff00_0000_4000_0000n, 0x4000_0000n, PageSize.Size1G, READ | WRITE | EXECUTE);
    cursor.flush();
    const mmu = new X86Mmu(memory, encodeX64Registers(table));
    expect(mmu.levels).toBe(5);
    expect(mmu.translate(0x00ff_ffff_ffff_f008n, Access.READ, CPL3)).toMatchObject({ ok: true, paddr: 0x9008n, level: 4 });
    expect(mmu.translate(0xff00_0000_4000_0010n, Access.EXECUTE, CPL0)).toMatchObject({ ok: true, paddr: 0x4000_0010n, level: 2 });
    expect(mmu.translate(0x0100_0000_0000_0000n, Access.READ, CPL0)).toMatchObject({ ok: false, kind: 'NonCanonical' });
    for (const m of table.mappings()) {
      const privilege = (m.flags & USER) !== 0 ? CPL3 : CPL0;
      expect(mmu.translate(m.vaddr + 8n, Access.READ, privilege)).toMatchObject({ ok: true, paddr: m.paddr + 8n, size: m.size, level: m.level });
    }
  });

  it('a physical address of 52 bits (the most x86 has: below 2^53, so never MmuCode.WIDE) is exact in both forms', () => {
    const f = fixture();
    f.memory.writeU64(f.leaf4k, 0x000f_bcde_f123_4000n | P | US | A);
    const mmu = mmuFor(f);
    expect(mmu.translateNumber(0x1678, Access.READ, CPL3)).toBe(0xf_bcde_f123_4678);
    expect([mmu.paLo, mmu.paHi]).toEqual([0xf123_4678, 0xf_bcde]);
    expect(mmu.translate(0x1678n, Access.READ, CPL3)).toMatchObject({ ok: true, paddr: 0x000f_bcde_f123_4678n });
  });

  it('a table pointer outside the memory: ExternalAbort, no exception vector', () => {
    const f = fixture();
    f.memory.writeU64(f.pdpte, 0x1_0000_0000n | P | RW | US);
    expect(mmuFor(f).translate(0x1000n, Access.READ, CPL3)).toMatchObject({ ok: false, kind: 'ExternalAbort', level: 2, syndrome: { vector: -1 } });
  });

  it('batches: each access as its own call gives, A / D updates included', () => {
    const f = fixture();
    const one = fixture();
    for (const g of [f, one]) setBits(g.memory, g.leaf4k, P | RW | US);
    const vas = [0x1008, 0x20_1234, 0x3000, 0x1ff8, 0x40_0000, 2 ** 47];
    const single = mmuFor(one);
    const want = vas.map((va) => single.translateNumber(va, Access.WRITE, CPL3));
    const out = new Float64Array(vas.length);
    expect(mmuFor(f).translateBatch(Float64Array.from(vas), Access.WRITE, CPL3, out)).toBe(want.filter((r) => r >= 0).length);
    expect([...out]).toEqual(want);
    expect(sameBytes(f.memory.bytes(), one.memory.bytes())).toBe(true);
  });

  it('batches of (low, high) pairs: upper-half addresses as translate gives them', () => {
    const f = fixture();
    const mmu = mmuFor(f);
    const vas = [0xffff_ffff_c123_4568n, 0xffff_ffff_8000_0000n, 0x0000_8000_0000_0000n, 0x1010n];
    const words = new Uint32Array(vas.length * 2);
    vas.forEach((va, i) => {
      words[2 * i] = Number(va & 0xffff_ffffn);
      words[2 * i + 1] = Number(va >> 32n);
    });
    const pas = new Uint32Array(words.length);
    const codes = new Int32Array(vas.length);
    const each = vas.map((va) => mmu.translate(va, Access.READ, CPL0));
    expect(mmu.translateBatchWords(words, Access.READ, CPL0, pas, codes)).toBe(each.filter((r) => r.ok).length);
    each.forEach((r, i) => {
      expect(codes[i]).toBe(r.ok ? 0 : MmuCode[r.kind]);
      if (r.ok) expect(BigInt(pas[2 * i]!) | (BigInt(pas[2 * i + 1]!) << 32n)).toBe(r.paddr);
    });
    expect([...codes]).toEqual([0, MmuCode.NotPresent, MmuCode.NonCanonical, 0]);
  });

  it('bad arguments and registers throw typed errors and leave memory and the model as they were', () => {
    const f = fixture();
    setBits(f.memory, f.leaf4k, P | RW | US);
    const mmu = mmuFor(f);
    const before = f.memory.bytes().slice();
    expect(() => mmu.translate(0x1000n, 3 as AccessKind, CPL0)).toThrow(RangeError);
    expect(() => mmu.translate(0x1000n, Access.READ, 2 as PrivilegeLevel)).toThrow(RangeError);
    expect(() => mmu.translate(-1n, Access.READ, CPL0)).toThrow(PagingError);
    for (const bad of [-1, 0.5, 2 ** 60, Number.NaN]) expect(() => mmu.translateNumber(bad, Access.READ, CPL0)).toThrow(RangeError);
    expect(() => mmu.setRegisters({ cr3: f.regs.cr3, cr4: 0n, efer: EFER_LME })).toThrow(RegisterError); // 32-bit paging
    expect(() => mmu.setRegisters({ cr3: f.regs.cr3, cr4: CR4_PAE, efer: 0n })).toThrow(RegisterError); // PAE paging
    expect(() => mmu.setRegisters({ cr3: f.regs.cr3, cr4: CR4_PAE, cr0: 1n })).toThrow(RegisterError); // PG = 0
    expect(() => mmu.setRegisters({ cr3: 1n << 63n, cr4: CR4_PAE })).toThrow(RegisterError);
    expect(() => mmuFor(f, {}, { maxPhysAddr: 40, cr3: 1n << 45n })).toThrow(/bits 51:40/);
    expect(() => mmuFor(f, {}, { maxPhysAddr: 31 })).toThrow(RangeError);
    expect(() => mmuFor(f, {}, { pkru: -1 })).toThrow(RangeError);
    expect(() => mmu.setRegisters({ cr3: '0x1000' as unknown as bigint, cr4: CR4_PAE })).toThrow(TypeError);
    expect(sameBytes(f.memory.bytes(), before)).toBe(true);
    expect([mmu.levels, mmu.wp, mmu.nxe]).toEqual([4, true, true]);
    expect(mmu.translateNumber(0x1000, Access.READ, CPL3)).toBe(0x8004_0000);
  });
});

// ---- the property test: the manual's sections transcribed with BigInt ----

interface OracleModes extends Required<CommonModes> {
  pke: boolean;
  pkru: number;
  maxPhysAddr: number;
}

function oracle(mem: PhysicalMemory, root: bigint, levels: number, va: bigint, access: number, cpl3: boolean, o: OracleModes): Oracle {
  const errorCode = (base: number): number =>
    base | (access === Access.WRITE ? E_W : 0) | (cpl3 ? E_U : 0) | (access === Access.EXECUTE && (o.nxe || o.smep) ? E_ID : 0);
  const pf = (kind: string, level: number, base: number): Oracle => ({ ok: false, kind, level, vector: 14, errorCode: errorCode(base) });
  const vaBits = levels === 5 ? 57 : 48;
  const top = va >> BigInt(vaBits - 1);
  if (top !== 0n && top !== (1n << BigInt(65 - vaBits)) - 1n) return { ok: false, kind: 'NonCanonical', level: -1, vector: 13, errorCode: 0 };
  const addrMask = ((1n << 52n) - 1n) & ~0xfffn;
  const rsvd = (addrMask & ~((1n << BigInt(o.maxPhysAddr)) - 1n)) | (o.nxe ? 0n : XD);
  let table = root;
  let rw = true;
  let us = true;
  let xd = false;
  const used: bigint[] = [];
  for (let level = 0; level < levels; level++) {
    const shift = BigInt(12 + 9 * (levels - 1 - level));
    const at = table + ((va >> shift) & 511n) * 8n;
    if (at < mem.base || at >= mem.base + BigInt(mem.size)) return settle({ ok: false, kind: 'ExternalAbort', level, vector: -1 });
    const e = mem.readU64(at);
    if ((e & P) === 0n) return settle(pf('NotPresent', level, 0));
    const fromLeaf = levels - 1 - level; // 0: PT, 1: PD, 2: PDPT, 3+: PML4 / PML5
    if ((e & rsvd) !== 0n || ((e & PS) !== 0n && fromLeaf >= 3)) return settle(pf('ReservedBit', level, E_P | E_RSVD));
    rw &&= (e & RW) !== 0n;
    us &&= (e & US) !== 0n;
    xd ||= (e & XD) !== 0n;
    const leaf = fromLeaf === 0 || (e & PS) !== 0n;
    if (!leaf) {
      used.push(at);
      table = e & addrMask;
      continue;
    }
    const size = 1n << shift;
    if (size > 4096n && (e & (size - 1n) & ~0x1fffn) !== 0n) return settle(pf('ReservedBit', level, E_P | E_RSVD));
    if (cpl3 && !us) return settle(pf('Permission', level, E_P));
    const smapBlocks = !cpl3 && us && o.smap && !o.ac;
    let canRead = !smapBlocks;
    let canWrite = !smapBlocks && (rw || (!cpl3 && !o.wp));
    const canExec = !xd && (cpl3 || !(o.smep && us));
    if (o.pke && us) {
      const key = Number((e >> 59n) & 15n);
      const adBit = ((o.pkru >>> (2 * key)) & 1) !== 0;
      const wdBit = ((o.pkru >>> (2 * key + 1)) & 1) !== 0;
      const keyRead = !adBit;
      const keyWrite = !adBit && !(wdBit && (cpl3 || o.wp));
      if ((access === Access.READ && !keyRead) || (access === Access.WRITE && !keyWrite)) return settle(pf('Permission', level, E_P | E_PK));
      canRead &&= keyRead;
      canWrite &&= keyWrite;
    }
    if (![canRead, canWrite, canExec][access]) return settle(pf('Permission', level, E_P));
    mem.writeU64(at, e | A | (access === Access.WRITE ? D : 0n));
    return settle({ ok: true, pa: (e & addrMask & ~(size - 1n)) | (va & (size - 1n)), size: Number(size), level });
  }
  throw new Error('unreachable');

  /** Sets A in the table entries the walk used (they passed their checks), whatever the outcome below them. */
  function settle(r: Oracle): Oracle {
    for (const at of used) mem.writeU64(at, mem.readU64(at) | A);
    return r;
  }
}

describe('X86Mmu: agrees with the manual transcribed in BigInt, on random tables (seeded)', () => {
  const FRAMES = 6;
  const seed = Number(process.env['PT_MODEL_SEED'] ?? 20_240_620);

  /** FRAMES tables of random 8-byte entries: pointers to the tables (a few outside), leaves, reserved and high bits. */
  const SHAPE: RandomTablesShape = {
    frames: FRAMES,
    entryBytes: 8,
    xdInPointers: true,
    leaf: (rand, pick) => {
      const align = [12n, 21n, 30n][Number(pick(3))]!;
      let e = (((pick(2 ** 30) << 22n) | (pick(2 ** 22) << 12n)) & ((1n << 52n) - 1n)) >> align << align;
      if (rand() < 0.2) e |= bit(12 + Number(pick(20))); // sometimes misaligned (or PAT)
      e |= pick(1 << 12) | (rand() < 0.9 ? P : 0n);
      if (rand() < 0.3) e |= pick(16) << 59n; // a protection key
      if (rand() < 0.3) e |= XD;
      if (rand() < 0.1) e |= bit(52 + Number(pick(7))); // ignored bits
      return e;
    },
  };

  it('every access: the same address, size and level or the same fault and error code, and the same A / D', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom(4, 5),
        fc.record({
          wp: fc.boolean(),
          smep: fc.boolean(),
          smap: fc.boolean(),
          ac: fc.boolean(),
          nxe: fc.boolean(),
          pke: fc.boolean(),
          pkru: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
          maxPhysAddr: fc.constantFrom(36, 40, 46, 52),
        }),
        (s, levels, modes) => {
          const rand = xorshift32(s >>> 0 || 1);
          const ours = randomTables(rand, SHAPE);
          const theirs = new PhysicalMemory({ size: FRAMES * 4096, base: RAM });
          theirs.writeBytes(RAM, ours.bytes());
          // CR4.LA57 (bit 12) for 5 levels
          const registers = controlRegisters(modes, CR4_PAE | (levels === 5 ? bit(12) : 0n) | (modes.pke ? CR4_PKE : 0n), EFER_LME);
          const mmu = new X86Mmu(ours, { cr3: RAM, ...registers, pkru: modes.pkru, maxPhysAddr: modes.maxPhysAddr });
          // a third copy, never written: the report-only model walks it
          const frozen = new PhysicalMemory({ size: FRAMES * 4096, base: RAM });
          frozen.writeBytes(RAM, ours.bytes());
          const frozenCopy = frozen.bytes().slice();
          const report = new X86Mmu(frozen, { cr3: RAM, ...registers, pkru: modes.pkru, maxPhysAddr: modes.maxPhysAddr, setAccessedDirty: false });
          const vaBits = levels === 5 ? 57 : 48;
          for (let k = 0; k < 40; k++) {
            const raw = BigInt(Math.floor(rand() * 2 ** 32)) | (BigInt(Math.floor(rand() * 2 ** 32)) << 32n);
            const va = rand() < 0.9 ? BigInt.asUintN(64, BigInt.asIntN(vaBits, raw)) : raw;
            const access = Math.floor(rand() * 3) as AccessKind;
            const privilege = Math.floor(rand() * 2) as PrivilegeLevel;
            const want = oracle(theirs, RAM, levels, va, access, privilege === CPL3, modes);
            const r = mmu.translateWords(Number(va & 0xffff_ffffn), Number(va >> 32n), access, privilege);
            if (want.ok) {
              expect(r).toBe(0);
              expect(BigInt(mmu.paHi) * 2n ** 32n + BigInt(mmu.paLo)).toBe(want.pa);
              expect([mmu.pageSize, mmu.level]).toEqual([want.size, want.level]);
              expect(mmu.permissions & (1 << access)).not.toBe(0);
            } else {
              expect([faultKindOf(r), mmu.vector, mmu.level]).toEqual([want.kind, want.vector, want.level]);
              if (want.vector !== -1) expect(mmu.errorCode).toBe(want.errorCode);
            }
            expect(sameBytes(ours.bytes(), theirs.bytes())).toBe(true);
            // report only: the same outcome, and not a byte written
            const r2 = report.translateWords(Number(va & 0xffff_ffffn), Number(va >> 32n), access, privilege);
            expect([r2, report.errorCode, report.paLo, report.paHi]).toEqual([r, mmu.errorCode, mmu.paLo, mmu.paHi]);
            expect(sameBytes(frozen.bytes(), frozenCopy)).toBe(true);
          }
        },
      ),
      { seed, numRuns: 150 },
    );
  }, 30_000); // about 2 s alone; more on a loaded machine
});
