// X86LegacyMmu against Intel SDM Vol. 3A (325462): 4.3 (32-bit paging: 4 MiB pages with CR4.PSE, PSE-36, no XD),
// 4.4 (PAE paging: the PDPTEs loaded with CR3 and a #GP for a reserved bit in one, XD with NXE, bits 62:M reserved,
// 2 MiB pages), 4.6.1 (access rights with WP, SMEP, SMAP / AC), 4.7 (the #PF error code and CR2, I/D only with SMEP
// or PAE and NXE), 4.8 (A / D). Two parts: one case per rule, with the outcome the manual's text gives; and a
// seeded property test against a BigInt transcription of the same sections over tables of random entries.
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
import {
  encodeX86LegacyRegisters,
  X86LegacyMmu,
  type X86LegacyMmuOptions,
  X86PageFaultError,
  X86PageTable32,
  X86PaePageTable,
} from '@page-table-multiarch/x86_64';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  A,
  bit,
  type CommonModes,
  CR4_PAE,
  CR4_PSE,
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
const { P: E_P, W: E_W, U: E_U, RSVD: E_RSVD, ID: E_ID } = X86PageFaultError;

type Mode = '32' | 'pae';

/**
 * A table of the mode with a 4K user page at 0x1000 and a large page (4M at 0xc040_0000, or 2M at 0xc020_0000),
 * and where their entries are: `pde` and `leaf4k` of 0x1000, `large` the large page's PDE, `pdpte` (PAE) of 0x1000.
 */
function fixture(mode: Mode) {
  const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
  const pae = mode === 'pae';
  const table = pae ? new X86PaePageTable(memory) : new X86PageTable32(memory);
  const cursor = table.cursor();
  cursor.map(0x1000n, pae ? 0x2_8004_0000n : 0x8004_0000n, PageSize.Size4K, READ | WRITE | EXECUTE | USER);
  const largeVa = pae ? 0xc020_0000n : 0xc040_0000n;
  cursor.map(largeVa, pae ? 0x4_0000_0000n : 0x80_0000n, pae ? PageSize.Size2M : PageSize.Size4M, READ | WRITE | EXECUTE);
  cursor.flush();
  const root = table.rootPaddr;
  const read = (at: bigint): bigint => (pae ? memory.readU64(at) : BigInt(memory.readU32(at)));
  const write = (at: bigint, v: bigint): void => (pae ? memory.writeU64(at, v) : memory.writeU32(at, Number(v)));
  const addr = (e: bigint): bigint => e & (pae ? 0x000f_ffff_ffff_f000n : 0xffff_f000n);
  let pdpte = root;
  let pde: bigint;
  let large: bigint;
  if (pae) {
    pde = addr(read(root)) + 0n;
    large = addr(read(root + 3n * 8n)) + 1n * 8n;
  } else {
    pde = root;
    large = root + 0x301n * 4n;
    pdpte = -1n;
  }
  const leaf4k = addr(read(pde)) + (pae ? 8n : 4n);
  const regs = encodeX86LegacyRegisters(table);
  return { memory, table, regs, pae, read, write, pdpte, pde, large, largeVa, leaf4k };
}

type Fixture = ReturnType<typeof fixture>;

interface Modes extends CommonModes {
  pse?: boolean;
}

function mmuFor(f: Fixture, m: Modes = {}, extra: Partial<X86LegacyMmuOptions> = {}): X86LegacyMmu {
  const registers = controlRegisters(m, f.pae ? CR4_PAE : m.pse === false ? 0n : CR4_PSE, 0n);
  return new X86LegacyMmu(f.memory, { cr3: f.regs.cr3, ...registers, ...extra });
}

/** Rewrites the low 12 bits of an entry (and sets the bits of `high`), keeping its address. */
function setLow(f: Fixture, at: bigint, low: bigint, high = 0n): void {
  f.write(at, (f.read(at) & ~0xfffn) | low | high);
}

describe('X86LegacyMmu: one case per rule of the manual', () => {
  // [name, mode, change (entry, low bits, high bits), address, access, privilege, modes, want: "ok" or "<kind> <error code> @<level>"]
  type Where = 'leaf4k' | 'pde' | 'large';
  type Case = [string, Mode, [Where, bigint, bigint?][], bigint, AccessKind, PrivilegeLevel, Modes, string];
  const all = P | RW | US | A | D;
  const cases: Case[] = [
    ['32-bit: user read of a user 4K page', '32', [], 0x1234n, Access.READ, CPL3, {}, 'ok'],
    ['32-bit: P = 0 in the PTE', '32', [['leaf4k', all & ~P]], 0x1234n, Access.READ, CPL3, {}, `NotPresent ${E_U} @1`],
    ['32-bit: P = 0 in the PDE', '32', [['pde', RW | US]], 0x1234n, Access.WRITE, CPL3, {}, `NotPresent ${E_W | E_U} @0`],
    ['32-bit: U/S = 0 in the PDE makes the page supervisor (ANDed, 4.6.1)', '32', [['pde', P | RW | A]], 0x1234n, Access.READ, CPL3, {}, `Permission ${E_P | E_U} @1`],
    ['32-bit: R/W = 0 in the PDE refuses a user write (ANDed)', '32', [['pde', P | US | A]], 0x1234n, Access.WRITE, CPL3, {}, `Permission ${E_P | E_W | E_U} @1`],
    ['32-bit: supervisor write to a read-only page, WP = 0', '32', [['leaf4k', P | US | A | D]], 0x1234n, Access.WRITE, CPL0, { wp: false }, 'ok'],
    ['32-bit: supervisor write to a read-only page, WP = 1', '32', [['leaf4k', P | A | D]], 0x1234n, Access.WRITE, CPL0, {}, `Permission ${E_P | E_W} @1`],
    ['32-bit: no execute-disable bit, a fetch goes through with NXE = 1', '32', [], 0x1234n, Access.EXECUTE, CPL3, { nxe: true }, 'ok'],
    ['32-bit: a fetch fault has no I/D with NXE = 1 and SMEP = 0 (4.7)', '32', [['leaf4k', 0n]], 0x1234n, Access.EXECUTE, CPL3, { nxe: true }, `NotPresent ${E_U} @1`],
    ['32-bit: a fetch fault has I/D with SMEP = 1', '32', [['leaf4k', 0n]], 0x1234n, Access.EXECUTE, CPL3, { smep: true }, `NotPresent ${E_U | E_ID} @1`],
    ['32-bit: supervisor fetch from a user page, SMEP = 1', '32', [], 0x1234n, Access.EXECUTE, CPL0, { smep: true }, `Permission ${E_P | E_ID} @1`],
    ['32-bit: supervisor read of a user page, SMAP = 1, AC = 0', '32', [], 0x1234n, Access.READ, CPL0, { smap: true }, `Permission ${E_P} @1`],
    ['32-bit: supervisor read of a user page, SMAP = 1, AC = 1', '32', [], 0x1234n, Access.READ, CPL0, { smap: true, ac: true }, 'ok'],
    ['32-bit: a 4 MiB page with PSE', '32', [], 0xc041_2345n, Access.WRITE, CPL0, {}, 'ok'],
    ['32-bit: bit 21 of a 4 MiB PDE is reserved (Table 4-4)', '32', [['large', P | RW | PS | A, bit(21)]], 0xc041_2345n, Access.READ, CPL0, {}, `ReservedBit ${E_P | E_RSVD} @0`],
    ['32-bit: bit 17 of a 4 MiB PDE is reserved with MAXPHYADDR 36', '32', [['large', P | RW | PS | A, bit(17)]], 0xc041_2345n, Access.READ, CPL0, {}, `ReservedBit ${E_P | E_RSVD} @0 M36`],
    ['32-bit: bit 12 of a 4 MiB PDE is PAT, not reserved', '32', [['large', P | RW | PS | A, bit(12)]], 0xc041_2345n, Access.READ, CPL0, {}, 'ok'],
    ['PAE: user read of a user 4K page', 'pae', [], 0x1234n, Access.READ, CPL3, {}, 'ok'],
    ['PAE: fetch from an XD page, NXE = 1', 'pae', [['leaf4k', all, XD]], 0x1234n, Access.EXECUTE, CPL3, {}, `Permission ${E_P | E_U | E_ID} @2`],
    ['PAE: XD in the PDE (ORed)', 'pae', [['pde', P | RW | US | A, XD]], 0x1234n, Access.EXECUTE, CPL0, {}, `Permission ${E_P | E_ID} @2`],
    ['PAE: XD with NXE = 0 is a reserved bit', 'pae', [['leaf4k', all, XD]], 0x1234n, Access.READ, CPL0, { nxe: false }, `ReservedBit ${E_P | E_RSVD} @2`],
    ['PAE: a fetch fault has no I/D with NXE = 0 and SMEP = 0', 'pae', [['leaf4k', 0n]], 0x1234n, Access.EXECUTE, CPL0, { nxe: false }, 'NotPresent 0 @2'],
    ['PAE: bits 62:52 of a PTE are reserved (Table 4-11; ignored in 4-level paging)', 'pae', [['leaf4k', all, bit(55)]], 0x1234n, Access.READ, CPL3, {}, `ReservedBit ${E_P | E_U | E_RSVD} @2`],
    ['PAE: bits 62:M of a PDE are reserved (M = 40)', 'pae', [['pde', P | RW | US | A, bit(40)]], 0x1234n, Access.READ, CPL3, {}, `ReservedBit ${E_P | E_U | E_RSVD} @1 M40`],
    ['PAE: U/S = 0 in the PDE (ANDed)', 'pae', [['pde', P | RW | A]], 0x1234n, Access.READ, CPL3, {}, `Permission ${E_P | E_U} @2`],
    ['PAE: a 2 MiB page', 'pae', [], 0xc021_2345n, Access.EXECUTE, CPL0, {}, 'ok'],
    ['PAE: bit 13 of a 2 MiB PDE is reserved (Table 4-9)', 'pae', [['large', P | RW | PS | A, bit(13)]], 0xc021_2345n, Access.READ, CPL0, {}, `ReservedBit ${E_P | E_RSVD} @1`],
    ['PAE: bit 12 of a 2 MiB PDE is PAT, not reserved', 'pae', [['large', P | RW | PS | A, bit(12)]], 0xc021_2345n, Access.READ, CPL0, {}, 'ok'],
  ];
  for (const [name, mode, changes, va, access, privilege, modes, want] of cases) {
    it(name, () => {
      const f = fixture(mode);
      for (const [where, low, high] of changes) setLow(f, f[where], low, high);
      const m = / M(\d+)$/.exec(want);
      const mmu = mmuFor(f, modes, m === null ? {} : { maxPhysAddr: Number(m[1]) });
      const r = mmu.translate(va, access, privilege);
      expect(r.ok ? 'ok' : `${r.kind} ${r.syndrome.errorCode} @${r.level}`).toBe(want.replace(/ M\d+$/, ''));
      if (r.ok) {
        expect(r.permissions & (1 << access)).not.toBe(0);
      } else {
        expect(r.syndrome).toEqual({ vector: 14, errorCode: r.syndrome.errorCode, cr2: va }); // CR2: the linear address (4.7)
      }
    });
  }

  it('translations: the frame from the leaf, the offset from the address, the size of the leaf', () => {
    const f32 = fixture('32');
    const m32 = mmuFor(f32);
    expect(m32.translate(0x1234n, Access.READ, CPL3)).toEqual({ ok: true, paddr: 0x8004_0234n, size: 4096, level: 1, permissions: READ | WRITE | EXECUTE | USER });
    expect(m32.translate(0xc041_2345n, Access.READ, CPL0)).toEqual({ ok: true, paddr: 0x81_2345n, size: 4 << 20, level: 0, permissions: READ | WRITE | EXECUTE });
    const fp = fixture('pae');
    const mp = mmuFor(fp);
    expect(mp.translate(0x1234n, Access.WRITE, CPL3)).toMatchObject({ ok: true, paddr: 0x2_8004_0234n, size: 4096, level: 2 });
    expect(mp.translate(0xc021_2345n, Access.READ, CPL0)).toMatchObject({ ok: true, paddr: 0x4_0001_2345n, size: 2 << 20, level: 1 });
    // the number form gives the same
    expect(mp.translateNumber(0xc021_2345, Access.READ, CPL0)).toBe(0x4_0001_2345);
  });

  it('PSE-36: PDE bits 20:13 are physical bits 39:32 of a 4 MiB page; without CR4.PSE the PDE points to a page table', () => {
    const f = fixture('32');
    // bits 39:32 = 0x12 (PDE bits 20:13), bits 31:22 = 0x80_0000
    f.write(f.large, 0x0080_0000n | (0x12n << 13n) | P | RW | PS | A);
    expect(mmuFor(f).translate(0xc041_2345n, Access.READ, CPL0)).toMatchObject({ ok: true, paddr: 0x12_0081_2345n, size: 4 << 20 });
    // PSE = 0: bit 7 is ignored and 0x80_0000 + 0x12 << 13 is read as a page table (outside the memory here)
    const noPse = mmuFor(f, { pse: false });
    expect(noPse.translate(0xc041_2345n, Access.READ, CPL0)).toMatchObject({ ok: false, kind: 'ExternalAbort', level: 1, syndrome: { vector: -1, cr2: null } });
    // a PDE of the 4K page: the same entry under PSE = 0 walks as before
    expect(noPse.translateNumber(0x1234, Access.READ, CPL3)).toBe(0x8004_0234);
  });

  it('PAE: the PDPTEs are loaded with CR3 (4.4.1): a later change in memory is seen only after setRegisters', () => {
    const f = fixture('pae');
    const mmu = mmuFor(f);
    expect(mmu.translateNumber(0x1234, Access.READ, CPL3)).toBe(0x2_8004_0234);
    const saved = f.read(f.pdpte);
    f.write(f.pdpte, 0n);
    expect(mmu.translateNumber(0x1234, Access.READ, CPL3)).toBe(0x2_8004_0234); // the loaded PDPTE
    mmu.setRegisters(f.regs);
    expect(mmu.translate(0x1234n, Access.READ, CPL3)).toMatchObject({ ok: false, kind: 'NotPresent', level: 0, syndrome: { errorCode: E_U } });
    f.write(f.pdpte, saved);
    mmu.setRegisters(f.regs);
    expect(mmu.translateNumber(0x1234, Access.READ, CPL3)).toBe(0x2_8004_0234);
    // a PDPTE has no A: the walk never writes it (bit 5 is reserved there)
    expect(f.read(f.pdpte)).toBe(saved);
  });

  it('PAE: a reserved bit in a present PDPTE is the #GP(0) of the load: setRegisters throws and keeps what it had', () => {
    const f = fixture('pae');
    const mmu = mmuFor(f);
    const saved = f.read(f.pdpte + 16n);
    for (const [bits, what] of [
      [P | RW, 'bit 1'],
      [P | bit(5), 'bit 5 (A in other entries)'],
      [P | bit(8), 'bit 8'],
      [P | bit(63), 'bit 63'],
      [P | bit(52), 'bit 52'],
    ] as const) {
      f.write(f.pdpte + 16n, saved | bits);
      const before = f.memory.bytes().slice();
      let err: unknown;
      try {
        mmu.setRegisters(f.regs);
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(RegisterError);
      expect([(err as RegisterError).code, (err as RegisterError).register], what).toEqual(['Invalid', 'PDPTE2']);
      expect(() => mmuFor(f), what).toThrow(/PDPTE 2 .* #GP\(0\)/);
      expect(sameBytes(f.memory.bytes(), before), what).toBe(true);
      expect(mmu.translateNumber(0x1234, Access.READ, CPL3), what).toBe(0x2_8004_0234);
    }
    // MAXPHYADDR 40: bit 40 is reserved too; a PDPTE with P = 0 is not checked
    f.write(f.pdpte + 16n, saved | P | bit(40));
    expect(() => mmuFor(f, {}, { maxPhysAddr: 40 })).toThrow(RegisterError);
    f.write(f.pdpte + 16n, (saved | bit(63) | RW) & ~P);
    expect(mmuFor(f).translate(0x8000_0000n, Access.READ, CPL0)).toMatchObject({ ok: false, kind: 'NotPresent', level: 0 });
  });

  it('A is set in the PDE of a page table and in the leaf, D in the leaf on a write (4.8); report-only writes nothing', () => {
    for (const mode of ['32', 'pae'] as const) {
      const f = fixture(mode);
      setLow(f, f.pde, P | RW | US);
      setLow(f, f.leaf4k, P | RW | US);
      const report = mmuFor(f, {}, { setAccessedDirty: false });
      const before = f.memory.bytes().slice();
      expect(report.translateNumber(0x1234, Access.WRITE, CPL3)).toBeGreaterThan(0);
      expect([report.updates, sameBytes(f.memory.bytes(), before)]).toEqual([2, true]);
      const mmu = mmuFor(f);
      expect(mmu.translateNumber(0x1234, Access.READ, CPL3)).toBeGreaterThan(0);
      expect([f.read(f.pde) & (A | D), f.read(f.leaf4k) & (A | D), mmu.updates]).toEqual([A, A, 2]);
      expect(mmu.translateNumber(0x1234, Access.WRITE, CPL3)).toBeGreaterThan(0);
      expect([f.read(f.leaf4k) & (A | D), mmu.updates]).toEqual([A | D, 1]);
      // a refused access: A in the PDE (it passed its checks), nothing in the leaf
      setLow(f, f.pde, P | RW | US);
      setLow(f, f.leaf4k, P | US);
      expect(mmu.translateNumber(0x1234, Access.WRITE, CPL3)).toBe(MmuCode.Permission);
      expect([f.read(f.pde) & A, f.read(f.leaf4k) & A], mode).toEqual([A, 0n]);
    }
  });

  it('an address of 4 GiB or more is no 32-bit linear address: NonCanonical, no exception, no table read', () => {
    const f = fixture('pae');
    const mmu = mmuFor(f);
    expect(mmu.translate(0x1_0000_1234n, Access.READ, CPL0)).toEqual({ ok: false, kind: 'NonCanonical', level: -1, vaddr: 0x1_0000_1234n, syndrome: { vector: -1, errorCode: 0, cr2: null } });
    expect(mmu.translateNumber(2 ** 40, Access.READ, CPL0)).toBe(MmuCode.NonCanonical);
  });

  it('batches: each access as its own call gives', () => {
    const f = fixture('32');
    const mmu = mmuFor(f);
    const vas = Float64Array.of(0x1000, 0xc040_0008, 0x5000, 0x1ff8);
    const out = new Float64Array(4);
    expect(mmu.translateBatch(vas, Access.READ, CPL0, out)).toBe(3);
    expect([...out]).toEqual([0x8004_0000, 0x80_0008, MmuCode.NotPresent, 0x8004_0ff8]);
  });

  it('bad arguments and registers throw typed errors and leave memory and the model as they were', () => {
    const f = fixture('32');
    const mmu = mmuFor(f);
    const before = f.memory.bytes().slice();
    expect(() => mmu.translate(0x1000n, 3 as AccessKind, CPL0)).toThrow(RangeError);
    expect(() => mmu.translate(-1n, Access.READ, CPL0)).toThrow(PagingError);
    expect(() => mmu.translateNumber(-1, Access.READ, CPL0)).toThrow(RangeError);
    const bad: [Partial<X86LegacyMmuOptions>, string, string][] = [
      [{ cr0: 1n }, 'Unsupported', 'CR0.PG'],
      [{ cr4: CR4_PAE, efer: EFER_LME }, 'Unsupported', 'IA32_EFER.LME'], // 4-level paging
      [{ cr4: 0n, efer: EFER_LME }, 'Invalid', 'IA32_EFER.LME'],
      [{ cr3: 1n << 32n }, 'Invalid', 'CR3'],
      [{ cr3: 0xffff_f000n, cr4: CR4_PAE }, 'Invalid', 'CR3'], // a PDPT outside the memory
    ];
    for (const [regs, code, register] of bad) {
      let err: unknown;
      try {
        mmu.setRegisters({ cr3: f.regs.cr3, cr4: CR4_PSE, ...regs });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RegisterError);
      expect([(err as RegisterError).code, (err as RegisterError).register]).toEqual([code, register]);
    }
    expect(() => mmuFor(f, {}, { maxPhysAddr: 31 })).toThrow(RangeError);
    expect(() => mmuFor(f, {}, { maxPhysAddr: 53 })).toThrow(RangeError);
    expect(() => mmu.setRegisters({ cr3: '0x1000' as unknown as bigint, cr4: CR4_PSE })).toThrow(TypeError);
    expect(sameBytes(f.memory.bytes(), before)).toBe(true);
    expect([mmu.pae, mmu.pse, mmu.wp]).toEqual([false, true, true]);
    expect(mmu.translateNumber(0x1000, Access.READ, CPL3)).toBe(0x8004_0000);
  });
});

// ---- the property test: the manual's sections transcribed with BigInt ----

interface OracleModes extends Required<CommonModes> {
  pae: boolean;
  pse: boolean;
  maxPhysAddr: number;
}

/** [SDM 4.3, 4.4, 4.6.1, 4.7, 4.8] for one access; `pdptes` as loaded (PAE). Sets A / D in `mem` as the walk does. */
function oracle(mem: PhysicalMemory, root: bigint, pdptes: readonly bigint[], va: bigint, access: number, cpl3: boolean, o: OracleModes): Oracle {
  const errorCode = (base: number): number =>
    base | (access === Access.WRITE ? E_W : 0) | (cpl3 ? E_U : 0) | (access === Access.EXECUTE && (o.smep || (o.pae && o.nxe)) ? E_ID : 0);
  const pf = (kind: string, level: number, base: number): Oracle => ({ ok: false, kind, level, errorCode: errorCode(base) });
  const inside = (at: bigint): boolean => at >= mem.base && at < mem.base + BigInt(mem.size);
  const width = o.pae ? 8n : 4n;
  const read = (at: bigint): bigint => (o.pae ? mem.readU64(at) : BigInt(mem.readU32(at)));
  const write = (at: bigint, v: bigint): void => (o.pae ? mem.writeU64(at, v) : mem.writeU32(at, Number(v)));
  const used: bigint[] = [];
  const settle = (r: Oracle): Oracle => {
    for (const at of used) write(at, read(at) | A);
    return r;
  };
  // the entries of the walk, from the top: [level, shift, address of the table]
  let table: bigint;
  let level: number;
  let shift: bigint;
  if (o.pae) {
    const pdpte = pdptes[Number(va >> 30n)]!;
    if ((pdpte & P) === 0n) return pf('NotPresent', 0, 0);
    table = pdpte & 0x000f_ffff_ffff_f000n;
    level = 1;
    shift = 21n;
  } else {
    table = root;
    level = 0;
    shift = 22n;
  }
  let rw = true;
  let us = true;
  let xd = false;
  const addrBits = o.pae ? 0x000f_ffff_ffff_f000n & ((1n << BigInt(o.maxPhysAddr)) - 1n) : 0xffff_f000n;
  for (;;) {
    const at = table + ((va >> shift) & (o.pae ? 511n : 1023n)) * width;
    if (!inside(at)) return settle({ ok: false, kind: 'ExternalAbort', level });
    const e = read(at);
    if ((e & P) === 0n) return settle(pf('NotPresent', level, 0));
    // PAE: bits 62:M reserved, XD without NXE (Tables 4-9 to 4-11)
    const rsvdPae = ((bit(63) - 1n) & ~((1n << BigInt(o.maxPhysAddr)) - 1n)) | (o.nxe ? 0n : XD);
    if (o.pae && (e & rsvdPae) !== 0n) return settle(pf('ReservedBit', level, E_P | E_RSVD));
    rw &&= (e & RW) !== 0n;
    us &&= (e & US) !== 0n;
    xd ||= o.pae && (e & XD) !== 0n;
    const last = shift === 12n;
    const large = !last && (e & PS) !== 0n && (o.pae || o.pse);
    if (!last && !large) {
      used.push(at);
      table = e & addrBits;
      shift = 12n;
      level++;
      continue;
    }
    let pa: bigint;
    const size = 1n << shift;
    if (large && !o.pae) {
      // Table 4-4: bits 21:(M-19) reserved, M = min(MAXPHYADDR, 40); bits 20:13 are physical bits 39:32
      const m = BigInt(Math.min(o.maxPhysAddr, 40));
      if ((e & (bit(22) - 1n) & ~((1n << (m - 19n)) - 1n)) !== 0n) return settle(pf('ReservedBit', level, E_P | E_RSVD));
      pa = (e & 0xffc0_0000n) | (((e >> 13n) & 0xffn) << 32n);
    } else if (large) {
      if ((e & 0x1f_e000n) !== 0n) return settle(pf('ReservedBit', level, E_P | E_RSVD)); // Table 4-9
      pa = e & addrBits & ~(size - 1n);
    } else {
      pa = e & addrBits;
    }
    if (cpl3 && !us) return settle(pf('Permission', level, E_P));
    const smapBlocks = !cpl3 && us && o.smap && !o.ac;
    const canRead = !smapBlocks;
    const canWrite = !smapBlocks && (rw || (!cpl3 && !o.wp));
    const canExec = !xd && (cpl3 || !(o.smep && us));
    if (![canRead, canWrite, canExec][access]) return settle(pf('Permission', level, E_P));
    write(at, e | A | (access === Access.WRITE ? D : 0n));
    return settle({ ok: true, pa: pa | (va & (size - 1n)), size: Number(size), level });
  }
}

describe('X86LegacyMmu: agrees with the manual transcribed in BigInt, on random tables (seeded)', () => {
  const FRAMES = 6;
  const seed = Number(process.env['PT_MODEL_SEED'] ?? 20_261_206);

  /** FRAMES tables of random entries (4 or 8 bytes): pointers to the tables (a few outside), leaves, reserved bits. */
  const shape = (pae: boolean): RandomTablesShape => ({
    frames: FRAMES,
    entryBytes: pae ? 8 : 4,
    xdInPointers: pae,
    leaf: (rand, pick) => {
      if (!pae) return (pick(2 ** 20) << 12n) | pick(1 << 12) | (rand() < 0.9 ? P : 0n);
      const align = rand() < 0.5 ? 12n : 21n;
      let e = ((pick(2 ** 28) << 12n) >> align) << align;
      if (rand() < 0.2) e |= bit(12 + Number(pick(9))); // sometimes misaligned (or PAT)
      e |= pick(1 << 12) | (rand() < 0.9 ? P : 0n);
      if (rand() < 0.3) e |= XD;
      if (rand() < 0.1) e |= bit(36 + Number(pick(27))); // reserved, above some MAXPHYADDR
      return e;
    },
  });

  it('every access: the same address, size and level or the same fault and error code, and the same A / D', () => {
    let loadsRefused = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.record({
          pae: fc.boolean(),
          pse: fc.boolean(),
          wp: fc.boolean(),
          smep: fc.boolean(),
          smap: fc.boolean(),
          ac: fc.boolean(),
          nxe: fc.boolean(),
          maxPhysAddr: fc.constantFrom(32, 36, 40, 46, 52),
        }),
        (s, modes) => {
          const rand = xorshift32(s >>> 0 || 1);
          const ours = randomTables(rand, shape(modes.pae));
          const theirs = new PhysicalMemory({ size: FRAMES * 4096, base: RAM });
          theirs.writeBytes(RAM, ours.bytes());
          const regs = { cr3: RAM, ...controlRegisters(modes, (modes.pae ? CR4_PAE : 0n) | (modes.pse ? CR4_PSE : 0n), 0n), maxPhysAddr: modes.maxPhysAddr };
          // the PDPTEs at load: a present one with a reserved bit (2:1, 8:5, 63:M) refuses the load (Table 4-8);
          // most runs clear them first, so that they walk
          const rsvdPdpte = 0x1e6n | (((1n << 64n) - 1n) & ~((1n << BigInt(modes.maxPhysAddr)) - 1n));
          if (modes.pae && rand() < 0.8) {
            for (let i = 0n; i < 4n; i++) {
              const e = theirs.readU64(RAM + i * 8n) & ~rsvdPdpte;
              theirs.writeU64(RAM + i * 8n, e);
              ours.writeU64(RAM + i * 8n, e);
            }
          }
          const pdptes = [0n, 1n, 2n, 3n].map((i) => theirs.readU64(RAM + i * 8n));
          const refused = modes.pae && pdptes.findIndex((e) => (e & P) !== 0n && (e & rsvdPdpte) !== 0n);
          if (modes.pae && refused !== -1) {
            expect(() => new X86LegacyMmu(ours, regs)).toThrow(new RegExp(`PDPTE ${refused} `));
            loadsRefused++;
            return;
          }
          const mmu = new X86LegacyMmu(ours, regs);
          for (let k = 0; k < 40; k++) {
            const va = BigInt(Math.floor(rand() * 2 ** 32));
            const access = Math.floor(rand() * 3) as AccessKind;
            const privilege = Math.floor(rand() * 2) as PrivilegeLevel;
            const want = oracle(theirs, RAM, pdptes, va, access, privilege === CPL3, modes);
            const r = mmu.translateWords(Number(va), 0, access, privilege);
            const where = `${JSON.stringify(modes)} va 0x${va.toString(16)} access ${access} privilege ${privilege}`;
            if (want.ok) {
              expect(r, where).toBe(0);
              expect(BigInt(mmu.paHi) * 2n ** 32n + BigInt(mmu.paLo), where).toBe(want.pa);
              expect([mmu.pageSize, mmu.level], where).toEqual([want.size, want.level]);
            } else {
              expect([faultKindOf(r), mmu.level], where).toEqual([want.kind, want.level]);
              if (want.kind !== 'ExternalAbort') expect([mmu.vector, mmu.errorCode], where).toEqual([14, want.errorCode]);
            }
            expect(sameBytes(ours.bytes(), theirs.bytes()), where).toBe(true);
          }
        },
      ),
      { seed, numRuns: 120 },
    );
    // random PDPTs hold reserved bits often: some runs checked the refused load, most walked
    expect(loadsRefused).toBeGreaterThan(0);
  }, 30_000);
});
