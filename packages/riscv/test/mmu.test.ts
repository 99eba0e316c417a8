// RiscvMmu against the privileged spec (20211203): 4.3.2 "Virtual Address Translation Process" steps 1-8, 4.3.1
// (R/W/X encodings, non-leaf D/A/U reserved), 4.4.1 (canonical addresses, bits 60:54 reserved), 3.1.6.3 (SUM, MXR),
// Table 3.6 (exception codes), the Svpbmt, Svnapot and Svadu chapters. Two parts: one case per rule, with the
// outcome the spec's text gives; and a seeded property test against a BigInt transcription of the algorithm over
// tables filled with random entries (pointers, leaves, every reserved encoding, pointers outside the memory).
import {
  Access,
  type AccessKind,
  faultKindOf,
  MappingFlags,
  MmuCode,
  PageSize,
  PagingError,
  type PagingHandler,
  PhysicalMemory,
  Privilege,
  type PrivilegeLevel,
  RegisterError,
} from '@page-table-multiarch/core';
import { encodeRiscvSatp, RiscvMmu, type RiscvMmuOptions, Sv39PageTable, Sv48PageTable } from '@page-table-multiarch/riscv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { A, bit, childOf, D, R, RAM, randomTables, sameBytes, setLow, threePages, U, V, W, wordsOnly, X, xorshift32 } from './_mmu-setup';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
const { USER: U_MODE, SUPERVISOR: S_MODE } = Privilege;

/** A Sv39 table with one 4K page at 0x1000 and one 2M page at 0x20_0000 (RW, A and D set), and its leaf addresses. */
function fixture() {
  // the 1G page at the top of the upper half: root entry 511 (4.4.1: VPN[2] bits 38:30)
  const f = threePages((memory) => new Sv39PageTable(memory), 0xffff_ffff_c000_0000n, 9);
  return { ...f, satp: encodeRiscvSatp(f.table).satp };
}

describe('RiscvMmu: one case per rule of the spec', () => {
  type Case = [name: string, low: bigint, access: AccessKind, privilege: PrivilegeLevel, options: Partial<RiscvMmuOptions>, want: string];
  // want: "ok" or "<FaultKind> <cause>"
  const cases: Case[] = [
    ['S load from an S page', V | R | A, Access.READ, S_MODE, {}, 'ok'],
    ['V = 0 (step 3)', R | W | A | D, Access.READ, S_MODE, {}, 'NotPresent 13'],
    ['W without R (step 3, Table 4.5)', V | W | A | D, Access.WRITE, S_MODE, {}, 'ReservedBit 15'],
    ['W and X without R (step 3)', V | W | X | A | D, Access.EXECUTE, S_MODE, {}, 'ReservedBit 12'],
    ['U load from an S page (3.1.6.3)', V | R | A, Access.READ, U_MODE, {}, 'Permission 13'],
    ['S load from a U page, SUM = 0', V | R | U | A, Access.READ, S_MODE, {}, 'Permission 13'],
    ['S load from a U page, SUM = 1', V | R | U | A, Access.READ, S_MODE, { sum: true }, 'ok'],
    ['S store to a U page, SUM = 1', V | R | W | U | A | D, Access.WRITE, S_MODE, { sum: true }, 'ok'],
    ['S fetch from a U page, SUM = 1: never', V | X | U | A, Access.EXECUTE, S_MODE, { sum: true }, 'Permission 12'],
    ['U fetch from a U page', V | X | U | A, Access.EXECUTE, U_MODE, {}, 'ok'],
    ['load from an execute-only page, MXR = 0', V | X | A, Access.READ, S_MODE, {}, 'Permission 13'],
    ['load from an execute-only page, MXR = 1', V | X | A, Access.READ, S_MODE, { mxr: true }, 'ok'],
    ['store to a read-only page', V | R | A | D, Access.WRITE, S_MODE, {}, 'Permission 15'],
    ['fetch from a non-executable page', V | R | W | A | D, Access.EXECUTE, S_MODE, {}, 'Permission 12'],
    ['A = 0, Svade (step 7)', V | R, Access.READ, S_MODE, {}, 'AccessFlag 13'],
    ['A = 0, Svadu', V | R, Access.READ, S_MODE, { svadu: true }, 'ok'],
    ['D = 0 on a store, Svade', V | R | W | A, Access.WRITE, S_MODE, {}, 'Dirty 15'],
    ['D = 0 on a load, Svade: no fault', V | R | W | A, Access.READ, S_MODE, {}, 'ok'],
    ['A = 0 on a store that is not allowed: the permission fault comes first (step 5)', V | R, Access.WRITE, S_MODE, {}, 'Permission 15'],
    ['a pointer at the last level (step 4)', V, Access.READ, S_MODE, {}, 'ReservedBit 13'],
  ];
  for (const [name, low, access, privilege, options, want] of cases) {
    it(name, () => {
      const f = fixture();
      setLow(f.memory, f.leaf4k, low);
      const mmu = new RiscvMmu(f.memory, { satp: f.satp, ...options });
      const r = mmu.translate(0x1234n, access, privilege);
      expect(r.ok ? 'ok' : `${r.kind} ${r.syndrome.cause}`).toBe(want);
      if (r.ok) {
        expect(r.paddr).toBe(0x8004_0234n);
        expect([r.size, r.level]).toEqual([4096, 2]);
        expect(r.permissions & (1 << access)).not.toBe(0);
      } else {
        expect(r.syndrome.tval).toBe(0x1234n); // stval: the faulting virtual address (4.1.9)
        expect(r.level).toBe(2);
      }
    });
  }

  it('Svadu sets A on an access and D on a store, in the leaf; Svade changes nothing', () => {
    const f = fixture();
    setLow(f.memory, f.leaf4k, V | R | W);
    const svade = new RiscvMmu(f.memory, { satp: f.satp });
    const before = f.memory.bytes().slice();
    expect(svade.translateNumber(0x1008, Access.WRITE, S_MODE)).toBe(MmuCode.AccessFlag);
    expect(sameBytes(f.memory.bytes(), before)).toBe(true);
    const svadu = new RiscvMmu(f.memory, { satp: f.satp, svadu: true });
    expect(svadu.translateNumber(0x1008, Access.READ, S_MODE)).toBe(0x8004_0008);
    expect(f.memory.readU64(f.leaf4k) & (A | D)).toBe(A);
    expect(svadu.translateNumber(0x1008, Access.WRITE, S_MODE)).toBe(0x8004_0008);
    expect(f.memory.readU64(f.leaf4k) & (A | D)).toBe(A | D);
  });

  it('superpages: the offset below the leaf comes from the address (step 8); a misaligned one faults (step 6)', () => {
    const f = fixture();
    const mmu = new RiscvMmu(f.memory, { satp: f.satp });
    expect(mmu.translateNumber(0x2f_f123, Access.READ, S_MODE)).toBe(0x802f_f123);
    expect([mmu.pageSize, mmu.level, mmu.permissions]).toEqual([PageSize.Size2M, 1, READ | WRITE]);
    // the upper half: bits 63:39 equal to bit 38 (4.4.1)
    expect(mmu.translate(0xffff_ffff_c123_4567n, Access.WRITE, S_MODE)).toEqual({
      ok: true,
      paddr: 0x4123_4567n,
      size: PageSize.Size1G,
      level: 0,
      permissions: READ | WRITE,
    });
    f.memory.writeU64(f.leaf2m, f.memory.readU64(f.leaf2m) + (1n << 10n)); // PPN + 1: 4K-aligned only
    expect(mmu.translate(0x20_0000n, Access.READ, S_MODE)).toMatchObject({ ok: false, kind: 'ReservedBit', level: 1 });
  });

  it('reserved bits and encodings: 60:54, PBMT and N without their extensions, D / A / U in a pointer', () => {
    const rows: [string, (f: ReturnType<typeof fixture>) => void, Partial<RiscvMmuOptions>, string][] = [
      ['bit 54', (f) => f.memory.writeU64(f.leaf4k, f.memory.readU64(f.leaf4k) | bit(54)), {}, 'ReservedBit'],
      ['bit 60', (f) => f.memory.writeU64(f.leaf4k, f.memory.readU64(f.leaf4k) | bit(60)), {}, 'ReservedBit'],
      ['PBMT 1 without Svpbmt', (f) => f.memory.writeU64(f.leaf4k, f.memory.readU64(f.leaf4k) | bit(61)), {}, 'ReservedBit'],
      ['PBMT 1 with Svpbmt', (f) => f.memory.writeU64(f.leaf4k, f.memory.readU64(f.leaf4k) | bit(61)), { svpbmt: true }, 'ok'],
      ['PBMT 3 with Svpbmt', (f) => f.memory.writeU64(f.leaf4k, f.memory.readU64(f.leaf4k) | bit(61) | bit(62)), { svpbmt: true }, 'ReservedBit'],
      ['PBMT in a pointer', (f) => f.memory.writeU64(f.pointer, f.memory.readU64(f.pointer) | bit(62)), { svpbmt: true }, 'ReservedBit'],
      ['N without Svnapot', (f) => f.memory.writeU64(f.leaf4k, f.memory.readU64(f.leaf4k) | bit(63)), {}, 'ReservedBit'],
      ['N with Svnapot, PPN[3:0] = 0', (f) => f.memory.writeU64(f.leaf4k, f.memory.readU64(f.leaf4k) | bit(63)), { svnapot: true }, 'ReservedBit'],
      ['A in a pointer (4.3.1)', (f) => f.memory.writeU64(f.pointer, f.memory.readU64(f.pointer) | A), {}, 'ReservedBit'],
      ['U in a pointer', (f) => f.memory.writeU64(f.pointer, f.memory.readU64(f.pointer) | U), {}, 'ReservedBit'],
      ['D in a pointer', (f) => f.memory.writeU64(f.pointer, f.memory.readU64(f.pointer) | D), {}, 'ReservedBit'],
      ['a pointer outside the memory (step 2: access fault)', (f) => f.memory.writeU64(f.pointer, V | (0x1_0000_0000n >> 2n)), {}, 'ExternalAbort'],
    ];
    for (const [name, change, options, want] of rows) {
      const f = fixture();
      change(f);
      const r = new RiscvMmu(f.memory, { satp: f.satp, ...options }).translate(0x1000n, Access.READ, S_MODE);
      expect(r.ok ? 'ok' : r.kind, name).toBe(want);
      if (!r.ok) expect(r.syndrome.cause, name).toBe(want === 'ExternalAbort' ? 5 : 13);
    }
  });

  it('Svnapot: N with PPN[3:0] = 1000 maps the 64 KiB around it, the address bits 15:12 from the VA', () => {
    const f = fixture();
    const napot = (0x8004_8000n >> 12n) << 10n; // PPN[3:0] = 1000
    f.memory.writeU64(f.leaf4k, bit(63) | napot | V | R | A);
    const mmu = new RiscvMmu(f.memory, { satp: f.satp, svnapot: true });
    expect(mmu.translateNumber(0x1abc, Access.READ, S_MODE)).toBe(0x8004_1abc);
    expect(mmu.pageSize).toBe(0x1_0000);
  });

  it('non-canonical addresses fault before any table is read (4.4.1); Bare translates nothing', () => {
    const f = fixture();
    const mmu = new RiscvMmu(f.memory, { satp: f.satp });
    const va = 1n << 38n; // bit 38 set, bits 63:39 clear
    expect(mmu.translate(va, Access.EXECUTE, U_MODE)).toEqual({
      ok: false,
      kind: 'NonCanonical',
      level: -1,
      vaddr: va,
      syndrome: { cause: 12, tval: va },
    });
    const bare = new RiscvMmu(f.memory, { satp: 0n });
    expect(bare.translate(0xdead_beefn, Access.WRITE, U_MODE)).toMatchObject({ ok: true, paddr: 0xdead_beefn });
  });

  it('a physical address of 2^53 or more: MmuCode.WIDE in the number form, the exact bigint from translate', () => {
    const f = fixture();
    f.memory.writeU64(f.leaf4k, ((0xab_cdef_1234_5000n >> 12n) << 10n) | V | R | A);
    const mmu = new RiscvMmu(f.memory, { satp: f.satp });
    expect(mmu.translateNumber(0x1678, Access.READ, S_MODE)).toBe(MmuCode.WIDE);
    expect([mmu.paLo, mmu.paHi]).toEqual([0x1234_5678, 0xab_cdef]);
    expect(mmu.translate(0x1678n, Access.READ, S_MODE)).toMatchObject({ ok: true, paddr: 0xab_cdef_1234_5678n });
  });

  it('batches: each access as its own call gives, upper-half addresses through the word form', () => {
    const f = fixture();
    setLow(f.memory, f.leaf4k, V | R | W); // A = 0: Svade faults, Svadu sets A
    const vas = [0x1008, 0x20_1234, 0x3000, 0x1ff8, 0x40_0000, 2 ** 39];
    const upper = [0xffff_ffff_c000_0010n, 0xffff_ffff_8000_0000n, 0x0000_0040_0000_0000n];
    for (const svadu of [false, true]) {
      const one = fixture();
      setLow(one.memory, one.leaf4k, V | R | W);
      const single = new RiscvMmu(one.memory, { satp: one.satp, svadu });
      const batch = new RiscvMmu(f.memory, { satp: f.satp, svadu });
      const want = vas.map((va) => single.translateNumber(va, Access.WRITE, S_MODE));
      const out = new Float64Array(vas.length);
      expect(batch.translateBatch(Float64Array.from(vas), Access.WRITE, S_MODE, out)).toBe(want.filter((r) => r >= 0).length);
      expect([...out]).toEqual(want);
      expect(sameBytes(f.memory.bytes(), one.memory.bytes())).toBe(true); // the same A / D updates
      const words = new Uint32Array(upper.length * 2);
      upper.forEach((va, i) => {
        words[2 * i] = Number(va & 0xffff_ffffn);
        words[2 * i + 1] = Number(va >> 32n);
      });
      const pas = new Uint32Array(words.length);
      const codes = new Int32Array(upper.length);
      const ok = batch.translateBatchWords(words, Access.READ, S_MODE, pas, codes);
      const each = upper.map((va) => single.translate(va, Access.READ, S_MODE));
      expect(ok).toBe(each.filter((r) => r.ok).length);
      each.forEach((r, i) => {
        if (r.ok) expect(BigInt(pas[2 * i]!) | (BigInt(pas[2 * i + 1]!) << 32n)).toBe(r.paddr);
        expect(codes[i]).toBe(r.ok ? 0 : MmuCode[r.kind]);
      });
    }
  });

  it('a batch with a bad address changes no A / D flag and no result', () => {
    const f = fixture();
    setLow(f.memory, f.leaf4k, V | R | W);
    const mmu = new RiscvMmu(f.memory, { satp: f.satp, svadu: true });
    const before = f.memory.bytes().slice();
    const out = new Float64Array(3).fill(-99);
    expect(() => mmu.translateBatch(Float64Array.of(0x1008, 0x1010, -4096), Access.WRITE, S_MODE, out)).toThrow(/vaddrs\[2\]/);
    expect(sameBytes(f.memory.bytes(), before)).toBe(true);
    expect([...out]).toEqual([-99, -99, -99]);
  });

  it('a memory across a multiple of 2^44 bytes (frame numbers past 2^32): tables on both sides, the root in its last frame', () => {
    // Frames are numbered from the memory's first (the walk's integer path keeps their numbers' low words): the
    // frames above 2^44 have another high word, and the last frame ends the memory. Root (last frame, above), L1
    // (first frame, below), L2 (second frame, below 2^44 too), the 4K page's frame at 2^44 + 0x1000.
    const base = 2n ** 44n - 0x2000n;
    const memory = new PhysicalMemory({ size: 4 * 4096, base });
    const root = base + 0x3000n;
    const l1 = base;
    const l2 = base + 0x1000n;
    const pte = (pa: bigint, low: bigint): bigint => ((pa >> 12n) << 10n) | low;
    memory.writeU64(root + 5n * 8n, pte(l1, V)); // VPN[2] = 5
    memory.writeU64(l1 + 7n * 8n, pte(l2, V)); // VPN[1] = 7
    memory.writeU64(l2 + 9n * 8n, pte(2n ** 44n + 0x1000n, V | R | W | A)); // VPN[0] = 9
    memory.writeU64(l1 + 8n * 8n, pte(base + 0x2000n, V)); // VPN[1] = 8: an L2 table above 2^44, empty
    // VPN[1] = 10: a table 2^44 bytes above the L2 one (its frame number's low word is the L2 table's): outside
    memory.writeU64(l1 + 10n * 8n, pte(l2 + 2n ** 44n, V));
    const va = (5n << 30n) | (7n << 21n) | (9n << 12n) | 0x123n;
    expect(childOf(memory, root + 5n * 8n)).toBe(l1);
    for (const handler of [memory, wordsOnly(memory)]) {
      const mmu = new RiscvMmu(handler, { satp: (8n << 60n) | (root >> 12n), svadu: true });
      const r = mmu.translate(va, Access.WRITE, S_MODE);
      expect(r.ok && r.paddr).toBe(2n ** 44n + 0x1123n);
      // the store set D in the leaf, below 2^44
      expect(memory.readU64(l2 + 9n * 8n) & D).toBe(D);
      const empty = mmu.translate((5n << 30n) | (8n << 21n), Access.READ, S_MODE);
      expect(!empty.ok && [empty.kind, empty.level]).toEqual(['NotPresent', 2]);
      const outside = mmu.translate((5n << 30n) | (10n << 21n) | (9n << 12n), Access.READ, S_MODE);
      expect(!outside.ok && [outside.kind, outside.level]).toEqual(['ExternalAbort', 2]);
      memory.writeU64(l2 + 9n * 8n, pte(2n ** 44n + 0x1000n, V | R | W | A));
    }
    // a root whose frame is past the memory's end: an access fault at level 0, as through wordIndex
    for (const handler of [memory, wordsOnly(memory)]) {
      const mmu = new RiscvMmu(handler, { satp: (8n << 60n) | ((base + 0x4000n) >> 12n) });
      const r = mmu.translate(va, Access.READ, S_MODE);
      expect(!r.ok && [r.kind, r.level]).toEqual(['ExternalAbort', 0]);
    }
  });

  it('bad arguments throw typed errors and leave memory and the model as they were', () => {
    const f = fixture();
    setLow(f.memory, f.leaf4k, V | R | W);
    const mmu = new RiscvMmu(f.memory, { satp: f.satp, svadu: true });
    const before = f.memory.bytes().slice();
    expect(() => mmu.translate(0x1000n, 3 as AccessKind, S_MODE)).toThrow(RangeError);
    expect(() => mmu.translate(0x1000n, Access.READ, 2 as PrivilegeLevel)).toThrow(RangeError);
    expect(() => mmu.translate(-1n, Access.READ, S_MODE)).toThrow(PagingError);
    expect(() => mmu.translate('0x1000' as unknown as bigint, Access.READ, S_MODE)).toThrow(TypeError);
    for (const bad of [-1, 0.5, 2 ** 60, Number.NaN]) expect(() => mmu.translateNumber(bad, Access.READ, S_MODE)).toThrow(RangeError);
    expect(() => mmu.translateNumber(0x1000, 7 as AccessKind, S_MODE)).toThrow(RangeError);
    expect(() => mmu.setSatp(5n << 60n)).toThrow(RegisterError); // MODE 5: reserved
    expect(() => new RiscvMmu(f.memory, { satp: 11n << 60n })).toThrow(RegisterError); // Sv64: not defined
    expect(sameBytes(f.memory.bytes(), before)).toBe(true);
    expect(mmu.levels).toBe(3);
    expect(mmu.translateNumber(0x1000, Access.READ, S_MODE)).toBe(0x8004_0000);
  });
});

// ---- the property test: the algorithm transcribed with BigInt, one step per line of 4.3.2 ----

interface Oracle {
  readonly ok: boolean;
  readonly pa?: bigint;
  readonly size?: number;
  readonly level: number;
  readonly kind?: string;
  readonly cause?: number;
}

function oracle(mem: PhysicalMemory, root: bigint, levels: number, va: bigint, access: number, priv: number, o: RiscvMmuOptions): Oracle {
  const fault = (kind: string, level: number): Oracle => ({ ok: false, kind, level, cause: (kind === 'ExternalAbort' ? [5, 7, 1] : [13, 15, 12])[access]! });
  const vaBits = 12 + 9 * levels;
  const top = va >> BigInt(vaBits - 1);
  if (top !== 0n && top !== (1n << BigInt(65 - vaBits)) - 1n) return fault('NonCanonical', -1);
  let a = root;
  for (let i = levels - 1; i >= 0; i--) {
    const level = levels - 1 - i;
    const at = a + ((va >> BigInt(12 + 9 * i)) & 511n) * 8n;
    if (at < mem.base || at >= mem.base + BigInt(mem.size)) return fault('ExternalAbort', level);
    const pte = mem.readU64(at);
    const has = (b: bigint): boolean => (pte & b) !== 0n;
    const ppn = (pte >> 10n) & ((1n << 44n) - 1n);
    const pbmt = (pte >> 61n) & 3n;
    if (!has(V)) return fault('NotPresent', level);
    if (!has(R) && has(W)) return fault('ReservedBit', level);
    if (((pte >> 54n) & 0x7fn) !== 0n) return fault('ReservedBit', level);
    if (!has(R) && !has(X)) {
      if (has(D) || has(A) || has(U) || pbmt !== 0n || has(bit(63)) || i === 0) return fault('ReservedBit', level);
      a = ppn << 12n;
      continue;
    }
    if (pbmt !== 0n && (!o.svpbmt || pbmt === 3n)) return fault('ReservedBit', level);
    if (has(bit(63)) && (!o.svnapot || i !== 0 || (ppn & 15n) !== 8n)) return fault('ReservedBit', level);
    let canRead = has(R) || (o.mxr === true && has(X));
    let canWrite = has(W);
    let canExec = has(X);
    if (has(U) && priv === S_MODE) {
      canExec = false;
      if (o.sum !== true) canRead = canWrite = false;
    } else if (!has(U) && priv === U_MODE) {
      canRead = canWrite = canExec = false;
    }
    if (![canRead, canWrite, canExec][access]) return fault('Permission', level);
    if (i > 0 && (ppn & ((1n << BigInt(9 * i)) - 1n)) !== 0n) return fault('ReservedBit', level);
    const store = access === Access.WRITE;
    if (!has(A) || (store && !has(D))) {
      if (o.svadu !== true) return fault(has(A) ? 'Dirty' : 'AccessFlag', level);
      mem.writeU64(at, pte | A | (store ? D : 0n));
    }
    const pageBits = has(bit(63)) ? 16n : BigInt(12 + 9 * i);
    const mask = (1n << pageBits) - 1n;
    return { ok: true, pa: ((ppn << 12n) & ~mask) | (va & mask), size: Number(1n << pageBits), level };
  }
  throw new Error('unreachable');
}

describe('RiscvMmu: agrees with the algorithm transcribed in BigInt, on random tables (seeded)', () => {
  const FRAMES = 6;
  const seed = Number(process.env['PT_MODEL_SEED'] ?? 20_240_617);

  /** FRAMES tables of random entries: any frame may be pointed to, a pointer's extra bit is always reserved. */
  const SHAPE = { frames: FRAMES, firstPointed: 0, extraChance: 0.1, pointerExtras: [D, A, U, bit(55), bit(61), bit(63)] };

  // Two ways to the same words: a PhysicalMemory, whose tables the walk finds by frame number in integers, and a
  // handler that is not one, through which every table read goes by wordIndex (a dump's memory, say).
  it.each([
    ['a PhysicalMemory', (m: PhysicalMemory): PagingHandler => m],
    ['another PagingHandler over its words', (m: PhysicalMemory): PagingHandler => wordsOnly(m)],
  ])('every access: the same address, size and level or the same fault, cause and level, and the same A / D (%s)', (_, handler) => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom(8, 9),
        fc.record({ sum: fc.boolean(), mxr: fc.boolean(), svadu: fc.boolean(), svpbmt: fc.boolean(), svnapot: fc.boolean() }),
        (s, mode, modes) => {
          const rand = xorshift32(s >>> 0);
          const levels = mode === 8 ? 3 : 4;
          const ours = randomTables(rand, levels, SHAPE);
          const theirs = new PhysicalMemory({ size: FRAMES * 4096, base: RAM });
          theirs.writeBytes(RAM, ours.bytes());
          const options: RiscvMmuOptions = { satp: (BigInt(mode) << 60n) | (RAM >> 12n), ...modes };
          const mmu = new RiscvMmu(handler(ours), options);
          for (let k = 0; k < 40; k++) {
            const raw = BigInt(Math.floor(rand() * 2 ** 32)) | (BigInt(Math.floor(rand() * 2 ** 32)) << 32n);
            const vaBits = 12 + 9 * levels;
            // mostly canonical addresses (sign-extended from their top translated bit), some not
            const va = rand() < 0.9 ? BigInt.asUintN(64, BigInt.asIntN(vaBits, raw)) : raw;
            const access = Math.floor(rand() * 3) as AccessKind;
            const privilege = Math.floor(rand() * 2) as PrivilegeLevel;
            const want = oracle(theirs, RAM, levels, va, access, privilege, options);
            const r = mmu.translateWords(Number(va & 0xffff_ffffn), Number(va >> 32n), access, privilege);
            if (want.ok) {
              expect(r).toBe(0);
              expect(BigInt(mmu.paHi) * 2n ** 32n + BigInt(mmu.paLo)).toBe(want.pa);
              expect([mmu.pageSize, mmu.level]).toEqual([want.size, want.level]);
              expect(mmu.permissions & (1 << access)).not.toBe(0);
            } else {
              expect([faultKindOf(r), mmu.cause, mmu.level]).toEqual([want.kind, want.cause, want.level]);
            }
            expect(sameBytes(ours.bytes(), theirs.bytes())).toBe(true);
          }
        },
      ),
      { seed, numRuns: 150 },
    );
    // 150 runs over 1 MiB memories take 4 s alone and 9 s on a loaded 2-core machine: more than vitest's default
  }, 60_000);

  it('translate (bigint in, object out) says what the number form says', () => {
    const f = fixture();
    setLow(f.memory, f.leaf4k, V | R | X | U | A);
    const mmu = new RiscvMmu(f.memory, { satp: f.satp });
    for (const va of [0x1000n, 0x1ff8n, 0x2000n, 0x20_0008n, 1n << 38n, 0xffff_ffff_ffff_f000n]) {
      for (const access of [Access.READ, Access.WRITE, Access.EXECUTE] as const) {
        for (const privilege of [U_MODE, S_MODE] as const) {
          const n = mmu.translateWords(Number(va & 0xffff_ffffn), Number(va >> 32n), access, privilege);
          const fields = [mmu.level, mmu.pageSize, mmu.permissions, mmu.cause];
          const r = mmu.translate(va, access, privilege);
          const paddr = (BigInt(mmu.paHi) << 32n) | BigInt(mmu.paLo);
          if (n === 0) expect(r).toEqual({ ok: true, paddr, size: fields[1], level: fields[0], permissions: fields[2] });
          else expect(r).toEqual({ ok: false, kind: faultKindOf(n), level: fields[0], vaddr: va, syndrome: { cause: fields[3], tval: va } });
        }
      }
    }
  });

  it('Sv48: the same table type and the model agree on every mapping the table reports', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: RAM });
    const table = new Sv48PageTable(memory);
    const cursor = table.cursor();
    cursor.map(0x7fff_ffff_f000n, 0x9000n, PageSize.Size4K, READ | USER);
    cursor.map(0xffff_8000_4000_0000n, 0x4000_0000n, PageSize.Size1G, READ | WRITE | EXECUTE);
    cursor.flush();
    const mmu = new RiscvMmu(memory, { satp: encodeRiscvSatp(table).satp });
    for (const m of table.mappings()) {
      const privilege = (m.flags & USER) !== 0 ? U_MODE : S_MODE;
      expect(mmu.translate(m.vaddr + 8n, Access.READ, privilege)).toMatchObject({ ok: true, paddr: m.paddr + 8n, size: m.size, level: m.level });
    }
  });
});
