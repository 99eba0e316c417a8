// X86EptMmu against Intel SDM Vol. 3C (326019 / 325462): 29.3.2 (the walk), 29.3.3.1 (EPT misconfigurations, one
// case each), 29.3.3.2 (EPT violations: the rights ANDed over the levels, mode-based execute control), 29.3.5 (the
// accessed and dirty flags with EPTP bit 6) and 28.2.1 Table 28-7 (the exit qualification, bits 0-6: the access and
// the ANDed rights). QEMU's TCG has no VMX, so each expected outcome is written from the manual's text and tables.
import { Access, type AccessKind, MappingFlags, MmuCode, PageSize, PagingError, PhysicalMemory, Privilege, RegisterError } from '@page-table-multiarch/core';
import {
  encodeX86Eptp,
  X86Ept5PageTable,
  X86EptMmu,
  type X86EptMmuOptions,
  X86EptPageTable,
  X86EptQualification as Q,
  X86ExitReason,
} from '@page-table-multiarch/x86_64';
import { describe, expect, it } from 'vitest';
import { sameBytes } from './_mmu-setup';

const { READ, WRITE, EXECUTE } = MappingFlags;
const { USER: U_MODE, SUPERVISOR: S_MODE } = Privilege;
// EPT entry bits (Tables 29-1 to 29-6)
const R = 1n;
const W = 2n;
const X = 4n;
const PS = 0x80n;
const A = 0x100n;
const D = 0x200n;
const XU = 0x400n;
const mt = (t: number): bigint => BigInt(t) << 3n;
const ADDR = 0x000f_ffff_ffff_f000n;

/**
 * A 4-level EPT with a 4K page at GPA 0x1000, a 2M page at 0x20_0000 and a 1G page at 0x4000_0000; where their
 * entries are. With `mbec` the table entries carry XU too (the codec's), so that the leaf decides.
 */
function fixture(mbec = false) {
  const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
  const ept = new X86EptPageTable(memory, { mbec });
  const cursor = ept.cursor();
  cursor.map(0x1000n, 0x8000_1000n, PageSize.Size4K, READ | WRITE | EXECUTE);
  cursor.map(0x20_0000n, 0x8020_0000n, PageSize.Size2M, READ | WRITE | EXECUTE);
  cursor.map(0x4000_0000n, 0xc000_0000n, PageSize.Size1G, READ | WRITE | EXECUTE);
  cursor.flush();
  const child = (at: bigint): bigint => memory.readU64(at) & ADDR;
  const pml4e = ept.rootPaddr;
  const pdpte = child(pml4e);
  const pde = child(pdpte);
  const pte = child(pde) + 8n;
  const leaf2m = pde + 8n;
  const leaf1g = pdpte + 8n;
  return { memory, ept, pml4e, pdpte, pde, pte, leaf2m, leaf1g };
}

type Fixture = ReturnType<typeof fixture>;

/** Rewrites the low 12 bits of the entry at `at`, keeping its address. */
function setLow(memory: PhysicalMemory, at: bigint, low: bigint): void {
  memory.writeU64(at, (memory.readU64(at) & ~0xfffn) | low);
}

function mmuFor(f: Fixture, extra: Partial<X86EptMmuOptions> = {}, accessDirty = false): X86EptMmu {
  return new X86EptMmu(f.memory, { eptp: encodeX86Eptp(f.ept, { accessDirty }), ...extra });
}

describe('X86EptMmu: one case per rule of 29.3.3 and Table 28-7', () => {
  // [name, edit of the fixture, GPA, access, linear-address mode, options, want: 'ok' | '<kind> <reason> <qualification> <level>']
  type Case = [string, (f: Fixture) => void, number, AccessKind, 0 | 1, Partial<X86EptMmuOptions>, string];
  const none = () => {};
  const wb = mt(6);
  const V = X86ExitReason.EPT_VIOLATION;
  const M = X86ExitReason.EPT_MISCONFIGURATION;
  const cases: Case[] = [
    ['a read of an R W X page', none, 0x1234, Access.READ, S_MODE, {}, 'ok'],
    // 29.3.3.2: a not-present entry; Table 28-7: bits 5:3 are the AND over the entries used, the not-present one included
    ['bits 2:0 = 0 in the PTE: not present', (f) => setLow(f.memory, f.pte, wb), 0x1234, Access.READ, S_MODE, {}, `NotPresent ${V} ${Q.READ} 3`],
    ['bits 2:0 = 0 in the PDE', (f) => setLow(f.memory, f.pde, 0n), 0x1234, Access.WRITE, S_MODE, {}, `NotPresent ${V} ${Q.WRITE} 2`],
    ['a write to an R page', (f) => setLow(f.memory, f.pte, wb | R), 0x1234, Access.WRITE, S_MODE, {}, `Permission ${V} ${Q.WRITE | Q.READABLE} 3`],
    ['a fetch from an R W page', (f) => setLow(f.memory, f.pte, wb | R | W), 0x1234, Access.EXECUTE, U_MODE, {}, `Permission ${V} ${Q.FETCH | Q.READABLE | Q.WRITABLE} 3`],
    ['a read of an X-only page', (f) => setLow(f.memory, f.pte, wb | X), 0x1234, Access.READ, S_MODE, {}, `Permission ${V} ${Q.READ | Q.EXECUTABLE} 3`],
    ['a fetch from an X-only page (execute-only supported)', (f) => setLow(f.memory, f.pte, wb | X), 0x1234, Access.EXECUTE, S_MODE, {}, 'ok'],
    ['W clear in the PDPTE refuses a write to an R W leaf (ANDed)', (f) => setLow(f.memory, f.pdpte, R | X), 0x1234, Access.WRITE, S_MODE, {}, `Permission ${V} ${Q.WRITE | Q.READABLE | Q.EXECUTABLE} 3`],
    ['R clear in the PML4E refuses a read (ANDed)', (f) => setLow(f.memory, f.pml4e, X), 0x1234, Access.READ, S_MODE, {}, `Permission ${V} ${Q.READ | Q.EXECUTABLE} 3`],
    ['a write to a 2M R page', (f) => setLow(f.memory, f.leaf2m, PS | wb | R), 0x20_1234, Access.WRITE, S_MODE, {}, `Permission ${V} ${Q.WRITE | Q.READABLE} 2`],
    ['a fetch from a 1G R W page', (f) => setLow(f.memory, f.leaf1g, PS | wb | R | W), 0x4000_1234, Access.EXECUTE, S_MODE, {}, `Permission ${V} ${Q.FETCH | Q.READABLE | Q.WRITABLE} 1`],
    // mode-based execute control: bit 2 for supervisor-mode linear addresses, bit 10 for user-mode ones; bit 6 the AND of bit 10
    ['MBEC: a user-mode fetch with X = 1, XU = 0', (f) => setLow(f.memory, f.pte, wb | R | X), 0x1234, Access.EXECUTE, U_MODE, { mbec: true }, `Permission ${V} ${Q.FETCH | Q.READABLE | Q.EXECUTABLE} 3`],
    ['MBEC: a supervisor-mode fetch with X = 1, XU = 0', (f) => setLow(f.memory, f.pte, wb | R | X), 0x1234, Access.EXECUTE, S_MODE, { mbec: true }, 'ok'],
    ['MBEC: a supervisor-mode fetch with X = 0, XU = 1', (f) => setLow(f.memory, f.pte, wb | R | XU), 0x1234, Access.EXECUTE, S_MODE, { mbec: true }, `Permission ${V} ${Q.FETCH | Q.READABLE | Q.USER_EXECUTABLE} 3`],
    ['MBEC: a user-mode fetch with X = 0, XU = 1', (f) => setLow(f.memory, f.pte, wb | R | XU), 0x1234, Access.EXECUTE, U_MODE, { mbec: true }, 'ok'],
    ['MBEC: XU alone makes an entry present', (f) => setLow(f.memory, f.pte, wb | XU), 0x1234, Access.READ, U_MODE, { mbec: true }, `Permission ${V} ${Q.READ | Q.USER_EXECUTABLE} 3`],
    ['MBEC: XU clear in the PDE refuses a user-mode fetch (ANDed)', (f) => {
      setLow(f.memory, f.pde, R | W | X);
      setLow(f.memory, f.pte, wb | R | X | XU);
    }, 0x1234, Access.EXECUTE, U_MODE, { mbec: true }, `Permission ${V} ${Q.FETCH | Q.READABLE | Q.EXECUTABLE} 3`],
    ['MBEC: the table entries of an MBEC table grant XU', (f) => setLow(f.memory, f.pte, wb | R | X | XU), 0x1234, Access.EXECUTE, U_MODE, { mbec: true }, 'ok'],
    ['without MBEC, XU alone is not present', (f) => setLow(f.memory, f.pte, wb | XU), 0x1234, Access.EXECUTE, U_MODE, {}, `NotPresent ${V} ${Q.FETCH} 3`],
    ['without MBEC, a fetch checks bit 2 whatever the mode', (f) => setLow(f.memory, f.pte, wb | R | XU), 0x1234, Access.EXECUTE, U_MODE, {}, `Permission ${V} ${Q.FETCH | Q.READABLE} 3`],
    // 29.3.3.1: misconfigurations (exit reason 49, no exit qualification), whatever the access
    ['W without R in the PTE', (f) => setLow(f.memory, f.pte, wb | W), 0x1234, Access.WRITE, S_MODE, {}, `ReservedBit ${M} 0 3`],
    ['W without R in the PML4E', (f) => setLow(f.memory, f.pml4e, W | X), 0x1234, Access.READ, S_MODE, {}, `ReservedBit ${M} 0 0`],
    ['X without R, no execute-only support', (f) => setLow(f.memory, f.pte, wb | X), 0x1234, Access.EXECUTE, S_MODE, { executeOnly: false }, `ReservedBit ${M} 0 3`],
    ['XU without R, MBEC, no execute-only support', (f) => setLow(f.memory, f.pte, wb | XU), 0x1234, Access.EXECUTE, U_MODE, { mbec: true, executeOnly: false }, `ReservedBit ${M} 0 3`],
    ['memory type 2 in a 4K leaf', (f) => setLow(f.memory, f.pte, mt(2) | R), 0x1234, Access.READ, S_MODE, {}, `ReservedBit ${M} 0 3`],
    ['memory type 3 in a 2M leaf', (f) => setLow(f.memory, f.leaf2m, PS | mt(3) | R), 0x20_0000, Access.READ, S_MODE, {}, `ReservedBit ${M} 0 2`],
    ['memory type 7 in a 1G leaf', (f) => setLow(f.memory, f.leaf1g, PS | mt(7) | R), 0x4000_0000, Access.READ, S_MODE, {}, `ReservedBit ${M} 0 1`],
    ['memory types 0, 1, 4, 5 are not reserved (UC)', (f) => setLow(f.memory, f.pte, mt(0) | R), 0x1234, Access.READ, S_MODE, {}, 'ok'],
    ['memory type 5 (WP)', (f) => setLow(f.memory, f.pte, mt(5) | R), 0x1234, Access.READ, S_MODE, {}, 'ok'],
    ['bit 7 of a PML4E is reserved (Table 29-1)', (f) => setLow(f.memory, f.pml4e, PS | R | W | X), 0x1234, Access.READ, S_MODE, {}, `ReservedBit ${M} 0 0`],
    ['bit 3 of a PML4E is reserved', (f) => setLow(f.memory, f.pml4e, 8n | R | W | X), 0x1234, Access.READ, S_MODE, {}, `ReservedBit ${M} 0 0`],
    ['bit 6 of a PDE that references a table is reserved (Table 29-5)', (f) => setLow(f.memory, f.pde, 0x40n | R | W | X), 0x1234, Access.READ, S_MODE, {}, `ReservedBit ${M} 0 2`],
    ['bits 5:3 of a PDPTE that references a table are reserved (Table 29-3)', (f) => setLow(f.memory, f.pdpte, mt(6) | R | W | X), 0x1234, Access.READ, S_MODE, {}, `ReservedBit ${M} 0 1`],
    ['bit 12 of a 1G leaf is reserved (Table 29-2)', (f) => f.memory.writeU64(f.leaf1g, f.memory.readU64(f.leaf1g) | 0x1000n), 0x4000_0000, Access.READ, S_MODE, {}, `ReservedBit ${M} 0 1`],
    ['bit 20 of a 2M leaf is reserved (Table 29-4)', (f) => f.memory.writeU64(f.leaf2m, f.memory.readU64(f.leaf2m) | (1n << 20n)), 0x20_0000, Access.READ, S_MODE, {}, `ReservedBit ${M} 0 2`],
    ['address bit 40 with MAXPHYADDR 40', (f) => f.memory.writeU64(f.pte, f.memory.readU64(f.pte) | (1n << 40n)), 0x1234, Access.READ, S_MODE, { maxPhysAddr: 40 }, `ReservedBit ${M} 0 3`],
    ['address bit 40 with MAXPHYADDR 41', (f) => f.memory.writeU64(f.pte, f.memory.readU64(f.pte) | (1n << 40n)), 0x1234, Access.READ, S_MODE, { maxPhysAddr: 41 }, 'ok'],
    ['bit 7 of a PTE is ignored (Table 29-6)', (f) => setLow(f.memory, f.pte, PS | wb | R), 0x1234, Access.READ, S_MODE, {}, 'ok'],
    ['a misconfiguration wins over the rights ("translation does not cause an EPT misconfiguration")', (f) => {
      setLow(f.memory, f.pdpte, X);
      setLow(f.memory, f.pte, mt(7) | R);
    }, 0x1234, Access.READ, S_MODE, {}, `ReservedBit ${M} 0 3`],
    ['a guest-physical address at 2^48 with 4-level EPT: beyond every table', none, 2 ** 48, Access.READ, S_MODE, {}, `NotPresent ${V} ${Q.READ} -1`],
  ];

  it.each(cases)('%s', (_name, edit, gpa, access, mode, options, want) => {
    const f = fixture(options.mbec === true);
    edit(f);
    const mmu = mmuFor(f, options);
    const r = mmu.translate(gpa, access, mode);
    if (want === 'ok') {
      expect(r.ok).toBe(true);
      expect(mmu.exitReason).toBe(0);
      return;
    }
    const [kind, reason, qualification, level] = want.split(' ');
    expect(r).toMatchObject({ ok: false, kind, level: Number(level) });
    if (r.ok) return;
    expect(r.syndrome).toEqual({ reason: Number(reason), qualification: Number(qualification), guestPhysical: BigInt(gpa), guestLinear: null });
    // the number form says the same, with the details in the fields
    expect(mmu.translateNumber(gpa, access, mode)).toBe(MmuCode[kind as 'NotPresent']);
    expect([mmu.exitReason, mmu.exitQualification, mmu.level]).toEqual([Number(reason), Number(qualification), Number(level)]);
  });

  it('translates each page size to its host address, size and level, with the permissions the access mode has', () => {
    const f = fixture(true);
    const mmu = mmuFor(f, { mbec: true });
    setLow(f.memory, f.pte, mt(6) | R | X);
    expect(mmu.translate(0x1abc, Access.READ, S_MODE)).toEqual({ ok: true, paddr: 0x8000_1abcn, size: 4096, level: 3, permissions: READ | EXECUTE });
    expect(mmu.translate(0x1abc, Access.READ, U_MODE)).toEqual({ ok: true, paddr: 0x8000_1abcn, size: 4096, level: 3, permissions: READ });
    expect(mmu.translate(0x3f_fffe, Access.WRITE, S_MODE)).toMatchObject({ ok: true, paddr: 0x803f_fffen, size: PageSize.Size2M, level: 2 });
    expect(mmu.translate(0x7fff_0001, Access.EXECUTE, S_MODE)).toMatchObject({ ok: true, paddr: 0xffff_0001n, size: PageSize.Size1G, level: 1 });
  });

  it('walks 5-level EPT: guest-physical bits 56:48 index the PML5', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const ept = new X86Ept5PageTable(memory);
    ept.cursor().map(0x1_0000_0000_0000n, 0x2000_0000n, PageSize.Size2M, READ);
    const mmu = new X86EptMmu(memory, { eptp: encodeX86Eptp(ept) });
    expect(mmu.levels).toBe(5);
    expect(mmu.translate(0x1_0000_0000_1234n, Access.READ, S_MODE)).toMatchObject({ ok: true, paddr: 0x2000_1234n, level: 3 });
    // 2^48 is below 2^57: a walk, which finds bits 2:0 = 0 in the PML4E of index 1 of PML5E 1... here PML5E 0
    expect(mmu.translate(0x1000, Access.READ, S_MODE)).toMatchObject({ ok: false, kind: 'NotPresent', level: 0 });
    expect(mmu.translate(2n ** 57n, Access.READ, S_MODE)).toMatchObject({ ok: false, kind: 'NotPresent', level: -1 });
  });
});

describe('X86EptMmu: accessed and dirty flags (29.3.5)', () => {
  const entries = (f: Fixture) => [f.pml4e, f.pdpte, f.pde, f.pte].map((at) => f.memory.readU64(at));

  it('with EPTP bit 6: A in every entry used, D in the leaf on a write', () => {
    const f = fixture();
    const mmu = mmuFor(f, {}, true);
    expect(mmu.guestTableAccess).toBe(Access.WRITE);
    expect(entries(f).every((e) => (e & (A | D)) === 0n)).toBe(true);
    expect(mmu.translate(0x1000, Access.READ, S_MODE).ok).toBe(true);
    expect(entries(f).map((e) => e & (A | D))).toEqual([A, A, A, A]);
    expect(mmu.updates).toBe(4);
    expect(mmu.translate(0x1000, Access.WRITE, S_MODE).ok).toBe(true);
    expect(entries(f).map((e) => e & (A | D))).toEqual([A, A, A, A | D]);
    expect(mmu.updates).toBe(1);
    expect(mmu.translate(0x1000, Access.WRITE, S_MODE).ok).toBe(true);
    expect(mmu.updates).toBe(0);
  });

  it('without EPTP bit 6: bits 8 and 9 are never written, and guest table reads stay reads', () => {
    const f = fixture();
    const mmu = mmuFor(f);
    expect(mmu.guestTableAccess).toBe(Access.READ);
    const before = f.memory.bytes().slice();
    mmu.translate(0x1000, Access.WRITE, S_MODE);
    expect(mmu.updates).toBe(0);
    expect(sameBytes(f.memory.bytes(), before)).toBe(true);
  });

  it('a refused access sets A in the tables it went through, not in the leaf; setAccessedDirty false only counts', () => {
    const f = fixture();
    setLow(f.memory, f.pte, mt(6) | R);
    const mmu = mmuFor(f, {}, true);
    expect(mmu.translate(0x1000, Access.WRITE, S_MODE).ok).toBe(false);
    expect(entries(f).map((e) => e & (A | D))).toEqual([A, A, A, 0n]);
    const g = fixture();
    const counting = mmuFor(g, { setAccessedDirty: false }, true);
    const before = g.memory.bytes().slice();
    expect(counting.translate(0x1000, Access.WRITE, S_MODE).ok).toBe(true);
    expect(counting.updates).toBe(4);
    expect(sameBytes(g.memory.bytes(), before)).toBe(true);
  });
});

describe('X86EptMmu: bad input', () => {
  it('refuses what the VM-entry checks refuse, and a bad MAXPHYADDR, with typed errors', () => {
    const f = fixture();
    const eptp = encodeX86Eptp(f.ept);
    expect(() => new X86EptMmu(f.memory, { eptp: eptp | 0x100n })).toThrow(RegisterError); // bits 11:8 reserved
    expect(() => new X86EptMmu(f.memory, { eptp: (eptp & ~7n) | 2n })).toThrow(RegisterError); // memory type 2
    expect(() => new X86EptMmu(f.memory, { eptp: (eptp & ~0x38n) | 0x10n })).toThrow(RegisterError); // page-walk length 3
    expect(() => new X86EptMmu(f.memory, { eptp: eptp | (1n << 40n), maxPhysAddr: 40 })).toThrow(RegisterError);
    expect(() => new X86EptMmu(f.memory, { eptp, maxPhysAddr: 35 })).toThrow(RangeError);
    expect(() => new X86EptMmu(f.memory, { eptp: -1n })).toThrow(PagingError);
    const mmu = new X86EptMmu(f.memory, { eptp });
    expect(() => mmu.setEptp(eptp | 0x800n)).toThrow(RegisterError);
    expect(mmu.translate(0x1000, Access.READ, S_MODE).ok).toBe(true); // the old EPTP still holds
  });

  it('refuses a bad address, access or mode before reading a table: memory unchanged', () => {
    const f = fixture();
    const mmu = mmuFor(f, {}, true);
    const before = f.memory.bytes().slice();
    expect(() => mmu.translate(-1n, Access.READ, S_MODE)).toThrow(PagingError);
    expect(() => mmu.translate(2n ** 64n, Access.READ, S_MODE)).toThrow(PagingError);
    expect(() => mmu.translate(0x1000, 3 as AccessKind, S_MODE)).toThrow(RangeError);
    expect(() => mmu.translate(0x1000, Access.READ, 2 as 0)).toThrow(RangeError);
    expect(() => mmu.translateNumber(-4096, Access.READ, S_MODE)).toThrow(RangeError);
    expect(() => mmu.translateNumber(0x1000, Access.READ, 7 as 0)).toThrow(RangeError);
    expect(sameBytes(f.memory.bytes(), before)).toBe(true);
  });

  it('reports an EPT table outside the memory as ExternalAbort, with no exit reason', () => {
    const f = fixture();
    f.memory.writeU64(f.pde, 0x7000_0000n | R | W | X); // the page table would be at 0x7000_0000: no memory there
    const mmu = mmuFor(f);
    expect(mmu.translate(0x1000, Access.READ, S_MODE)).toMatchObject({ ok: false, kind: 'ExternalAbort', level: 3, syndrome: { reason: -1 } });
  });
});
