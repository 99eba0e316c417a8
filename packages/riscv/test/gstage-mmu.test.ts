// RiscvGStageMmu against the privileged spec, chapter "Hypervisor Extension": "Guest Physical Address Translation"
// (the x4 formats: 2 more address bits, a 16 KiB root, bits above the width zero or a guest-page fault; the Sv39
// algorithm with hgatp for satp, U checked as for U-mode, guest-page faults; G ignored), "Two-Stage Address
// Translation" (the HS-level MXR reaches the G-stage), "Guest-Page Faults" and "Trap Cause Codes" (20, 21, 23;
// htval = guest-physical address >> 2), chapter "Svadu" (menvcfg.ADUE for the G-stage). Two parts: one case per
// rule; and a seeded property test: on random tables, the G-stage walk of a guest-physical address is the Sv39 /
// Sv48 walk of a U-mode access (RiscvMmu) from the quarter of the root its two extra bits select, with guest-page
// faults in place of page faults.
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
  RegisterError,
} from '@page-table-multiarch/core';
import {
  encodeRiscvHgatp,
  RiscvGStageMmu,
  type RiscvGStageMmuOptions,
  RiscvMmu,
  Sv32x4PageTable,
  Sv39x4PageTable,
  Sv48x4PageTable,
  Sv57x4PageTable,
} from '@page-table-multiarch/riscv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { A, bit, D, G, R, RAM, randomTables, sameBytes, setLow, threePages, U, V, W, X, xorshift32 } from './_mmu-setup';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
const { USER: U_MODE, SUPERVISOR: S_MODE } = Privilege;
const lo = (a: bigint): number => Number(a & 0xffff_ffffn);
const hi = (a: bigint): number => Number(a >> 32n);

/**
 * An Sv39x4 table with a 4K page at guest-physical 0x1000, a 2M page at 0x20_0000 and a 1G page at the top of the
 * 41-bit space (root entry 2047, reached only through the two extra bits), all RW with A and D; the leaf addresses.
 */
function fixture() {
  // Sv39x4: VPN[2] is bits 40:30, VPN[1] 29:21, VPN[0] 20:12
  const f = threePages((memory) => new Sv39x4PageTable(memory), 0x1ff_c000_0000n, 11);
  return { ...f, hgatp: encodeRiscvHgatp(f.table).hgatp };
}

describe('RiscvGStageMmu: one case per rule of the spec', () => {
  type Case = [name: string, low: bigint, access: AccessKind, options: Partial<RiscvGStageMmuOptions>, want: string];
  // want: "ok" or "<FaultKind> <cause>"; every case is asked with both privileges, which must not matter
  const cases: Case[] = [
    ['a load from a U page', V | R | U | A, Access.READ, {}, 'ok'],
    ['a store to a U page', V | R | W | U | A | D, Access.WRITE, {}, 'ok'],
    ['a fetch from a U page', V | X | U | A, Access.EXECUTE, {}, 'ok'],
    ['V = 0: load guest-page fault', R | W | U | A | D, Access.READ, {}, 'NotPresent 21'],
    ['V = 0: store guest-page fault', R | W | U | A | D, Access.WRITE, {}, 'NotPresent 23'],
    ['V = 0: instruction guest-page fault', R | W | X | U | A | D, Access.EXECUTE, {}, 'NotPresent 20'],
    ['a load from a page without U (every G-stage access is a U-mode one)', V | R | A, Access.READ, {}, 'Permission 21'],
    ['a store to a page without U', V | R | W | A | D, Access.WRITE, {}, 'Permission 23'],
    ['a fetch from a page without U', V | X | A, Access.EXECUTE, {}, 'Permission 20'],
    ['W without R is reserved', V | W | U | A | D, Access.WRITE, {}, 'ReservedBit 23'],
    ['a store to a read-only page', V | R | U | A | D, Access.WRITE, {}, 'Permission 23'],
    ['a fetch from a page without X', V | R | W | U | A | D, Access.EXECUTE, {}, 'Permission 20'],
    ['a load from an execute-only page, MXR = 0', V | X | U | A, Access.READ, {}, 'Permission 21'],
    ['a load from an execute-only page, HS-level MXR = 1', V | X | U | A, Access.READ, { mxr: true }, 'ok'],
    ['MXR does not make a page without U readable', V | X | A, Access.READ, { mxr: true }, 'Permission 21'],
    ['A = 0, Svade: guest-page fault', V | R | U, Access.READ, {}, 'AccessFlag 21'],
    ['D = 0 on a store, Svade', V | R | W | U | A, Access.WRITE, {}, 'Dirty 23'],
    ['D = 0 on a load is fine', V | R | W | U | A, Access.READ, {}, 'ok'],
    ['A = 0, Svadu (menvcfg.ADUE = 1): set', V | R | U, Access.READ, { svadu: true }, 'ok'],
    ['D = 0 on a store, Svadu: set', V | R | W | U, Access.WRITE, { svadu: true }, 'ok'],
    ['G is ignored in a leaf', V | R | U | G | A, Access.READ, {}, 'ok'],
  ];
  it.each(cases)('%s', (_name, low, access, options, want) => {
    const f = fixture();
    setLow(f.memory, f.leaf4k, low);
    for (const privilege of [U_MODE, S_MODE] as const) {
      const mmu = new RiscvGStageMmu(f.memory, { hgatp: f.hgatp, ...options });
      const r = mmu.translateNumber(0x1238, access, privilege);
      expect(r < 0 ? `${faultKindOf(r)} ${mmu.cause}` : 'ok').toBe(want);
      if (r >= 0) {
        expect(r).toBe(0x8004_0238);
        expect([mmu.pageSize, mmu.level, mmu.cause]).toEqual([4096, 2, -1]);
      } else {
        expect(mmu.level).toBe(2);
        // htval: the guest-physical address >> 2; tval: the address given (the VS-stage is Bare)
        expect([mmu.htvalLo, mmu.htvalHi, mmu.tvalLo, mmu.tvalHi]).toEqual([0x1238 >>> 2, 0, 0x1238, 0]);
      }
    }
  });

  it('A and D are written only where Svadu sets them, and only the bits the access needs', () => {
    const f = fixture();
    setLow(f.memory, f.leaf4k, V | R | W | U);
    const mmu = new RiscvGStageMmu(f.memory, { hgatp: f.hgatp, svadu: true });
    mmu.translateNumber(0x1000, Access.READ, S_MODE);
    expect(f.memory.readU64(f.leaf4k) & 0x3ffn).toBe(V | R | W | U | A);
    mmu.translateNumber(0x1000, Access.WRITE, S_MODE);
    expect(f.memory.readU64(f.leaf4k) & 0x3ffn).toBe(V | R | W | U | A | D);
    // a fault writes nothing
    setLow(f.memory, f.leaf4k, V | R | U);
    const before = f.memory.bytes().slice();
    expect(mmu.translateNumber(0x1000, Access.WRITE, S_MODE)).toBe(MmuCode.Permission);
    expect(sameBytes(f.memory.bytes(), before)).toBe(true);
  });

  it('the two extra bits: the top of the 41-bit space goes through root entry 2047', () => {
    const f = fixture();
    const mmu = new RiscvGStageMmu(f.memory, { hgatp: f.hgatp });
    const gpa = 0x1ff_c123_4568n;
    expect(mmu.translate(gpa, Access.READ, U_MODE)).toEqual({ ok: true, paddr: 0x4123_4568n, size: PageSize.Size1G, level: 0, permissions: READ | WRITE | USER });
    setLow(f.memory, f.leaf1g, 0n);
    expect(mmu.translate(gpa, Access.READ, U_MODE)).toEqual({
      ok: false,
      kind: 'NotPresent',
      level: 0,
      vaddr: gpa,
      syndrome: { cause: 21, tval: gpa, htval: gpa >> 2n, htinst: 0 },
    });
  });

  it.each([
    ['Sv39x4', 41, (m: PhysicalMemory) => new Sv39x4PageTable(m)],
    ['Sv48x4', 50, (m: PhysicalMemory) => new Sv48x4PageTable(m)],
    ['Sv57x4', 59, (m: PhysicalMemory) => new Sv57x4PageTable(m)],
  ] as const)('%s: bits %i and up must be zero (no sign extension), else a guest-page fault of the access', (_n, width, make) => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = make(memory);
    const top = (1n << BigInt(width)) - 0x1000n; // the last page of the space
    using cursor = table.cursor();
    cursor.map(top, 0x8008_0000n, PageSize.Size4K, READ | WRITE | EXECUTE);
    cursor.flush();
    const mmu = new RiscvGStageMmu(memory, { hgatp: encodeRiscvHgatp(table).hgatp });
    expect(mmu.translate(top + 0x10n, Access.EXECUTE, S_MODE)).toMatchObject({ ok: true, paddr: 0x8008_0010n });
    for (const [access, cause] of [
      [Access.READ, 21],
      [Access.WRITE, 23],
      [Access.EXECUTE, 20],
    ] as const) {
      for (const gpa of [top | bit(width), top | bit(63), BigInt.asUintN(64, -0x1000n) /* sign-extended */]) {
        expect(mmu.translate(gpa, access, U_MODE)).toEqual({
          ok: false,
          kind: 'NonCanonical',
          level: -1,
          vaddr: gpa,
          syndrome: { cause, tval: gpa, htval: gpa >> 2n, htinst: 0 },
        });
      }
    }
  });

  it('pointers: D, A, U, PBMT and N reserved, G ignored; a pointer at the last level reserved', () => {
    const f = fixture();
    const mmu = new RiscvGStageMmu(f.memory, { hgatp: f.hgatp, svpbmt: true, svnapot: true });
    const ptr = f.memory.readU64(f.pointer);
    for (const extra of [D, A, U, bit(61), bit(63), bit(54)]) {
      f.memory.writeU64(f.pointer, ptr | extra);
      expect(mmu.translateNumber(0x1000, Access.READ, U_MODE)).toBe(MmuCode.ReservedBit);
      expect([mmu.level, mmu.cause]).toEqual([0, 21]);
    }
    f.memory.writeU64(f.pointer, ptr | G);
    expect(mmu.translateNumber(0x1000, Access.READ, U_MODE)).toBe(0x8004_0000);
    f.memory.writeU64(f.pointer, ptr);
    setLow(f.memory, f.leaf4k, V); // a pointer where the last level must hold a leaf
    expect(mmu.translateNumber(0x1000, Access.READ, U_MODE)).toBe(MmuCode.ReservedBit);
    expect(mmu.level).toBe(2);
  });

  it('leaves: bits 60:54 reserved; PBMT reserved without menvcfg.PBMTE, PBMT 3 always; N without Svnapot', () => {
    const f = fixture();
    const leaf = f.memory.readU64(f.leaf4k) | U | A | D;
    const ask = (bits: bigint, options: Partial<RiscvGStageMmuOptions>): number => {
      f.memory.writeU64(f.leaf4k, bits);
      return new RiscvGStageMmu(f.memory, { hgatp: f.hgatp, ...options }).translateNumber(0x1000, Access.READ, U_MODE);
    };
    expect(ask(leaf | bit(57), {})).toBe(MmuCode.ReservedBit);
    expect(ask(leaf | bit(61), {})).toBe(MmuCode.ReservedBit);
    expect(ask(leaf | bit(61), { svpbmt: true })).toBe(0x8004_0000);
    expect(ask(leaf | bit(62) | bit(61), { svpbmt: true })).toBe(MmuCode.ReservedBit);
    // N with PPN[3:0] = 1000 at the last level: a 64 KiB page with Svnapot, reserved without
    const napot = (leaf & ~(0xfn << 10n)) | (8n << 10n) | bit(63);
    expect(ask(napot, {})).toBe(MmuCode.ReservedBit);
    const mmu = new RiscvGStageMmu(f.memory, { hgatp: f.hgatp, svnapot: true });
    // the 64 KiB page's address is the PPN with bits 3:0 cleared, and the offset bits 15:0 of the address
    expect(mmu.translateNumber(0x1238, Access.READ, U_MODE)).toBe(0x8004_1238);
    expect(mmu.pageSize).toBe(0x1_0000);
  });

  it('a misaligned superpage is reserved (step 6)', () => {
    const f = fixture();
    f.memory.writeU64(f.leaf2m, f.memory.readU64(f.leaf2m) | (1n << 10n) | U);
    const mmu = new RiscvGStageMmu(f.memory, { hgatp: f.hgatp });
    expect(mmu.translateNumber(0x20_0000, Access.READ, U_MODE)).toBe(MmuCode.ReservedBit);
    expect([mmu.level, mmu.cause]).toEqual([1, 21]);
  });

  it('a table read outside the memory is an access fault (1, 5, 7) with htval 0', () => {
    const f = fixture();
    f.memory.writeU64(f.pointer, ((0x9000_0000n >> 12n) << 10n) | V);
    const mmu = new RiscvGStageMmu(f.memory, { hgatp: f.hgatp });
    for (const [access, cause] of [
      [Access.READ, 5],
      [Access.WRITE, 7],
      [Access.EXECUTE, 1],
    ] as const) {
      expect(mmu.translate(0x1000n, access, U_MODE)).toEqual({
        ok: false,
        kind: 'ExternalAbort',
        level: 1,
        vaddr: 0x1000n,
        syndrome: { cause, tval: 0x1000n, htval: 0n, htinst: 0 },
      });
    }
  });

  it('Bare (MODE 0): the guest-physical address is the physical one, nothing checked', () => {
    const mmu = new RiscvGStageMmu(new PhysicalMemory({ size: 4096 }), { hgatp: 3n << 44n });
    expect(mmu.translate(0xffff_ffff_ffff_fff8n, Access.WRITE, U_MODE)).toMatchObject({ ok: true, paddr: 0xffff_ffff_ffff_fff8n });
    expect([mmu.levels, mmu.vmid]).toEqual([0, 3]);
  });

  it('hgatp: VMID kept; a reserved MODE, bits 59:58 or a root not 16 KiB aligned refused, and nothing changes', () => {
    const f = fixture();
    const mmu = new RiscvGStageMmu(f.memory, { hgatp: f.hgatp | (0x155n << 44n) });
    expect([mmu.levels, mmu.vmid]).toEqual([3, 0x155]);
    for (const bad of [(7n << 60n) | (RAM >> 12n), (8n << 60n) | bit(58) | (RAM >> 12n), (8n << 60n) | ((RAM + 0x1000n) >> 12n)]) {
      expect(() => mmu.setHgatp(bad)).toThrow(RegisterError);
      expect(() => new RiscvGStageMmu(f.memory, { hgatp: bad })).toThrow(RegisterError);
    }
    expect(() => mmu.setHgatp(-1n)).toThrow(PagingError);
    expect(() => mmu.setHgatp('8' as unknown as bigint)).toThrow(TypeError);
    expect([mmu.levels, mmu.vmid]).toEqual([3, 0x155]);
    expect(mmu.translateNumber(0x1000, Access.READ, U_MODE)).toBe(0x8004_0000);
  });

  it('bad arguments throw before any memory is read or written', () => {
    const f = fixture();
    setLow(f.memory, f.leaf4k, V | R | W | U);
    const mmu = new RiscvGStageMmu(f.memory, { hgatp: f.hgatp, svadu: true });
    const before = f.memory.bytes().slice();
    expect(() => mmu.translateNumber(-1, Access.READ, U_MODE)).toThrow(RangeError);
    expect(() => mmu.translateNumber(0x1000, 3 as AccessKind, U_MODE)).toThrow(RangeError);
    expect(() => mmu.translate(1n << 64n, Access.WRITE, U_MODE)).toThrow(PagingError);
    expect(sameBytes(f.memory.bytes(), before)).toBe(true);
  });
});

describe('RiscvGStageMmu: the walk of a U-mode access from a quarter of the root, on random tables (seeded)', () => {
  // 4 frames of root (16 KiB, aligned) and 4 tables below it, filled with random entries
  const FRAMES = 8;
  const seed = Number(process.env['PT_MODEL_SEED'] ?? 20_261_206);
  /** Guest-page fault codes for the page fault codes of the same access (Table "Trap Cause Codes"). */
  const GUEST: Record<number, number> = { 12: 20, 13: 21, 15: 23, 1: 1, 5: 5, 7: 7 };

  /** Pointers name only the tables below the root and may carry G (ignored); leaves get U more often than not. */
  const SHAPE = { frames: FRAMES, firstPointed: 4, extraChance: 0.15, pointerExtras: [D, A, U, G, bit(55), bit(61), bit(63)], userChance: 0.6 };

  it('the same address, size and level, or the same fault and level with the guest-page fault code, and the same A / D', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom(8, 9),
        fc.record({ mxr: fc.boolean(), svadu: fc.boolean(), svpbmt: fc.boolean(), svnapot: fc.boolean() }),
        (s, mode, modes) => {
          const rand = xorshift32(s >>> 0 || 1);
          const levels = mode === 8 ? 3 : 4;
          const ours = randomTables(rand, levels, SHAPE);
          const theirs = new PhysicalMemory({ size: FRAMES * 4096, base: RAM });
          theirs.writeBytes(RAM, ours.bytes());
          const gstage = new RiscvGStageMmu(ours, { hgatp: (BigInt(mode) << 60n) | (RAM >> 12n), ...modes });
          const vaBits = 12 + 9 * levels;
          for (let k = 0; k < 40; k++) {
            const raw = BigInt(Math.floor(rand() * 2 ** 32)) | (BigInt(Math.floor(rand() * 2 ** 32)) << 32n);
            // mostly addresses inside the width (41 or 50 bits), some with a bit above it
            const gpa = rand() < 0.9 ? raw & ((1n << BigInt(vaBits + 2)) - 1n) : raw;
            const access = Math.floor(rand() * 3) as AccessKind;
            const r = gstage.translateWords(lo(gpa), hi(gpa), access, S_MODE);
            if (gpa >> BigInt(vaBits + 2) !== 0n) {
              expect([faultKindOf(r), gstage.level, gstage.cause]).toEqual(['NonCanonical', -1, [21, 23, 20][access]]);
              continue;
            }
            // the quarter of the root the two extra bits select, as the root of an Sv39 / Sv48 walk of the
            // canonical address with the same low bits
            const quarter = gpa >> BigInt(vaBits);
            const va = BigInt.asUintN(64, BigInt.asIntN(vaBits, gpa));
            const satp = (BigInt(mode) << 60n) | ((RAM >> 12n) + quarter);
            const plain = new RiscvMmu(theirs, { satp, ...modes, sum: false });
            const want = plain.translateWords(lo(va), hi(va), access, U_MODE);
            if (want === 0) {
              expect(r).toBe(0);
              expect([gstage.paLo, gstage.paHi, gstage.pageSize, gstage.level]).toEqual([plain.paLo, plain.paHi, plain.pageSize, plain.level]);
              expect(gstage.permissions).toBe(plain.permissions);
            } else {
              expect([faultKindOf(r), gstage.level, gstage.cause]).toEqual([faultKindOf(want), plain.level, GUEST[plain.cause]]);
              const htval = gstage.cause >= 20 ? gpa >> 2n : 0n;
              expect(BigInt(gstage.htvalHi) * 2n ** 32n + BigInt(gstage.htvalLo)).toBe(htval);
            }
            expect(sameBytes(ours.bytes(), theirs.bytes())).toBe(true);
          }
        },
      ),
      { seed, numRuns: 120 },
    );
  }, 60_000);
});

describe('RiscvGStageMmu: Sv32x4 (RV32: 4-byte entries, 34-bit guest-physical addresses)', () => {
  /** An Sv32x4 table with a 4K page above 4 GiB (root entries 1024 up: the two extra bits) and a 4M page. */
  function sv32x4() {
    const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new Sv32x4PageTable(memory);
    using cursor = table.cursor();
    cursor.map(0x3_0000_1000n, 0x8004_0000n, PageSize.Size4K, READ | WRITE);
    cursor.map(0x0040_0000n, 0x8040_0000n, PageSize.Size4M, READ | EXECUTE);
    cursor.flush();
    // Sv32: VPN[1] (here 33:22) indexes the root, VPN[0] 21:12 the table below; PPN is entry bits 31:10
    const root = table.rootPaddr;
    const child = (entry: bigint): bigint => (BigInt(memory.readU32(entry)) >> 10n) << 12n;
    const leaf4k = child(root + (0x3_0000_1000n >> 22n) * 4n) + 1n * 4n;
    const leaf4m = root + 1n * 4n;
    return { memory, table, hgatp: encodeRiscvHgatp(table).hgatp, leaf4k, leaf4m };
  }
  const setLow32 = (memory: PhysicalMemory, at: bigint, low: number): void => memory.writeU32(at, ((memory.readU32(at) & ~0x3ff) | low) >>> 0);

  it('translates through the extra bits and through a 4M page; the table and the model agree', () => {
    const f = sv32x4();
    const mmu = new RiscvGStageMmu(f.memory, { hgatp: f.hgatp, xlen: 32 });
    expect([mmu.levels, mmu.xlen]).toEqual([2, 32]);
    expect(mmu.translate(0x3_0000_1238n, Access.WRITE, S_MODE)).toEqual({ ok: true, paddr: 0x8004_0238n, size: 4096, level: 1, permissions: READ | WRITE | USER });
    expect(mmu.translate(0x0052_3456n, Access.EXECUTE, U_MODE)).toEqual({ ok: true, paddr: 0x8052_3456n, size: PageSize.Size4M, level: 0, permissions: READ | EXECUTE | USER });
    for (const m of f.table.mappings()) expect(mmu.translate(m.vaddr + 8n, Access.READ, U_MODE)).toMatchObject({ ok: true, paddr: m.paddr + 8n });
  });

  it('guest-page faults: bits above 33, V = 0, no U, a pointer with A, a misaligned 4M page, A = 0 with Svade', () => {
    const f = sv32x4();
    const mmu = new RiscvGStageMmu(f.memory, { hgatp: f.hgatp, xlen: 32 });
    expect(mmu.translate(0x4_0000_1000n, Access.READ, U_MODE)).toMatchObject({ ok: false, kind: 'NonCanonical', level: -1, syndrome: { cause: 21, htval: 0x1_0000_0400n } });
    const leaf = f.memory.readU32(f.leaf4k);
    for (const [low, kind] of [
      [0b1101_0110, 'NotPresent'], // D A U W R, V clear
      [0b1100_0111, 'Permission'], // no U
      [0b1001_0111, 'AccessFlag'], // A clear
    ] as const) {
      setLow32(f.memory, f.leaf4k, low);
      expect(mmu.translate(0x3_0000_1000n, Access.WRITE, S_MODE)).toMatchObject({ ok: false, kind, level: 1, syndrome: { cause: 23, htval: 0x3_0000_1000n >> 2n } });
    }
    f.memory.writeU32(f.leaf4k, leaf);
    const pointer = f.table.rootPaddr + (0x3_0000_1000n >> 22n) * 4n;
    f.memory.writeU32(pointer, f.memory.readU32(pointer) | 0x40);
    expect(mmu.translate(0x3_0000_1000n, Access.READ, U_MODE)).toMatchObject({ ok: false, kind: 'ReservedBit', level: 0 });
    f.memory.writeU32(f.leaf4m, f.memory.readU32(f.leaf4m) + (1 << 10)); // PPN[0] no longer zero
    expect(mmu.translate(0x0040_0000n, Access.EXECUTE, U_MODE)).toMatchObject({ ok: false, kind: 'ReservedBit', level: 0, syndrome: { cause: 20 } });
  });

  it('Svadu sets A and D in the 4-byte entry and nothing beside it', () => {
    const f = sv32x4();
    setLow32(f.memory, f.leaf4k, 0b0001_0111); // U W R V
    const before = f.memory.bytes().slice();
    const mmu = new RiscvGStageMmu(f.memory, { hgatp: f.hgatp, xlen: 32, svadu: true });
    expect(mmu.translateNumber(0x3_0000_1000, Access.WRITE, U_MODE)).toBe(0x8004_0000);
    expect(f.memory.readU32(f.leaf4k) & 0xff).toBe(0b1101_0111);
    const after = f.memory.bytes();
    const at = Number(f.leaf4k - RAM);
    const expected = before.slice();
    expected.set(after.subarray(at, at + 4), at);
    expect(sameBytes(after, expected)).toBe(true);
  });

  it('an RV32 hgatp: Bare below bit 31; bits above 31 or a misaligned root refused; xlen 32 or 64 only', () => {
    const f = sv32x4();
    const bare = new RiscvGStageMmu(f.memory, { hgatp: 0x7f << 22, xlen: 32 });
    expect([bare.levels, bare.vmid]).toEqual([0, 0x7f]);
    expect(() => new RiscvGStageMmu(f.memory, { hgatp: f.hgatp | (1n << 32n), xlen: 32 })).toThrow(RegisterError);
    expect(() => new RiscvGStageMmu(f.memory, { hgatp: f.hgatp + 1n, xlen: 32 })).toThrow(RegisterError);
    expect(() => new RiscvGStageMmu(f.memory, { hgatp: f.hgatp, xlen: 16 as 32 })).toThrow(RangeError);
  });
});
