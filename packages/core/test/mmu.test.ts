// The architecture-neutral MMU vocabulary: the number codes of the fault kinds, and the checks MmuModel makes before
// a model's walk runs (a model that records what reached it shows that bad arguments never do).
import {
  Access,
  type AccessKind,
  combineTlbChecks,
  faultKindOf,
  MappingFlags,
  MmuCode,
  MmuModel,
  PagingError,
  Privilege,
  type PrivilegeLevel,
  secondStageTlbWalker,
} from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';

/** A model that maps every address to itself + 0x1000, faults with NotPresent at 0, and records its calls. */
class Recorder extends MmuModel<{ readonly at: number }> {
  calls: [number, number, number, number][] = [];
  translateWords(vaLo: number, vaHi: number, access: AccessKind, privilege: PrivilegeLevel): number {
    this.calls.push([vaLo, vaHi, access, privilege]);
    if (vaLo === 0 && vaHi === 0) return this.fault(MmuCode.NotPresent, 2);
    // a stand-in for a second stage's refusals: 0x10 on a table read, 0x20 on the output address
    if (vaLo === 0x10 || vaLo === 0x20) return this.stage2Fault(MmuCode.Permission, 1, vaLo === 0x10);
    return this.found((vaLo + 0x1000) >>> 0, vaHi, 4096, 3, 1 << access);
  }
  protected syndrome(): { readonly at: number } {
    return { at: this.calls.length };
  }
}

describe('MMU vocabulary', () => {
  it('every fault kind has its own negative code, and faultKindOf inverts it', () => {
    const kinds = Object.entries(MmuCode).filter(([k]) => k !== 'WIDE');
    expect(new Set(kinds.map(([, v]) => v)).size).toBe(kinds.length);
    for (const [kind, code] of kinds) expect(faultKindOf(code)).toBe(kind);
    for (const other of [0, 0x1000, MmuCode.WIDE, -0.5, -100]) expect(faultKindOf(other)).toBeUndefined();
    expect([Access.READ, Access.WRITE, Access.EXECUTE, Privilege.USER, Privilege.SUPERVISOR]).toEqual([0, 1, 2, 0, 1]);
  });

  it('translate: bigint and number addresses in, the result object out; the number form splits the address', () => {
    const m = new Recorder();
    expect(m.translate(0xffff_ffff_8000_0000n, Access.EXECUTE, Privilege.SUPERVISOR)).toEqual({
      ok: true,
      paddr: 0xffff_ffff_8000_1000n,
      size: 4096,
      level: 3,
      permissions: 4,
    });
    expect(m.translate(0, Access.READ, Privilege.USER)).toEqual({ ok: false, kind: 'NotPresent', level: 2, vaddr: 0n, syndrome: { at: 2 } });
    expect(m.translateNumber(2 ** 40 + 8, Access.WRITE, Privilege.USER)).toBe(2 ** 40 + 0x1008);
    expect(m.calls.at(-1)).toEqual([8, 256, 1, 0]);
  });

  it('a fault of the second stage says so, on a table read or on the output address; a later stage-1 fault does not', () => {
    const m = new Recorder();
    expect(m.translate(0x10, Access.READ, Privilege.USER)).toEqual({
      ok: false,
      kind: 'Permission',
      level: 1,
      vaddr: 0x10n,
      syndrome: { at: 1 },
      stage: 2,
      onWalk: true,
    });
    expect(m.translateNumber(0x20, Access.WRITE, Privilege.USER)).toBe(MmuCode.Permission);
    expect([m.faultStage, m.faultOnWalk]).toEqual([2, false]);
    expect(m.translate(0, Access.READ, Privilege.USER)).toEqual({ ok: false, kind: 'NotPresent', level: 2, vaddr: 0n, syndrome: { at: 3 } });
    expect([m.faultStage, m.faultOnWalk]).toEqual([1, false]);
  });

  it('bad arguments throw before the walk', () => {
    const m = new Recorder();
    expect(() => m.translate(1n << 64n, Access.READ, Privilege.USER)).toThrow(PagingError);
    expect(() => m.translate(0x1000n, -1 as AccessKind, Privilege.USER)).toThrow(RangeError);
    expect(() => m.translate(0x1000n, Access.READ, 1.5 as PrivilegeLevel)).toThrow(RangeError);
    for (const va of [-8, 2 ** 53, 1.5, Number.POSITIVE_INFINITY]) expect(() => m.translateNumber(va, Access.READ, Privilege.USER)).toThrow(RangeError);
    // an access kind or privilege that is no integer must not read as the integer it truncates to (0.5 >>> 0 is READ)
    for (const [access, privilege] of [
      [0.5, 0],
      [1.5, 1],
      [Number.NaN, 0],
      [undefined, 0],
      ['1', 0],
      [0, 0.5],
      [1, Number.NaN],
      [2, undefined],
    ] as const) {
      const call = () => m.translateNumber(0x1000, access as AccessKind, privilege as PrivilegeLevel);
      expect(call, `access ${String(access)} privilege ${String(privilege)}`).toThrow(RangeError);
    }
    expect(m.calls).toEqual([]);
  });

  it('translateBatch: per address what translateNumber gives, in place too; every argument checked before a walk', () => {
    const m = new Recorder();
    const vas = Float64Array.of(0x2000, 0, 2 ** 40 + 8);
    const out = new Float64Array(3);
    expect(m.translateBatch(vas, Access.READ, Privilege.USER, out)).toBe(2);
    expect([...out]).toEqual([0x3000, MmuCode.NotPresent, 2 ** 40 + 0x1008]);
    expect(m.translateBatch(vas, Access.READ, Privilege.USER, vas)).toBe(2); // in place
    expect([...vas]).toEqual([...out]);
    const calls = m.calls.length;
    const untouched = Float64Array.of(7, 7, 7);
    for (const bad of [Float64Array.of(0x1000, -1, 0x2000), Float64Array.of(0x1000, 2 ** 53), Float64Array.of(0.5)]) {
      expect(() => m.translateBatch(bad, Access.READ, Privilege.USER, untouched)).toThrow(/vaddrs\[\d\]/);
    }
    expect(() => m.translateBatch(Float64Array.of(1, 2), Access.READ, Privilege.USER, new Float64Array(1))).toThrow(RangeError);
    expect(() => m.translateBatch([1] as unknown as Float64Array, Access.READ, Privilege.USER, untouched)).toThrow(RangeError);
    expect(() => m.translateBatch(Float64Array.of(1), 3 as AccessKind, Privilege.USER, untouched)).toThrow(RangeError);
    expect(m.calls.length).toBe(calls);
    expect([...untouched]).toEqual([7, 7, 7]);
  });

  it('translateBatchWords: (low, high) pairs in and out, a code per access, faults leave their pair', () => {
    const m = new Recorder();
    const vas = Uint32Array.of(0x8000_0000, 0xffff_ffff, 0, 0, 0xffff_f000, 0x1);
    const pas = new Uint32Array(6).fill(0xdead);
    const codes = new Int32Array(3);
    expect(m.translateBatchWords(vas, Access.WRITE, Privilege.SUPERVISOR, pas, codes)).toBe(2);
    expect([...codes]).toEqual([0, MmuCode.NotPresent, 0]);
    expect([...pas]).toEqual([0x8000_1000, 0xffff_ffff, 0xdead, 0xdead, 0x0000_0000, 0x1]);
    expect(m.calls.map((c) => [c[0] >>> 0, c[1] >>> 0])).toEqual([
      [0x8000_0000, 0xffff_ffff],
      [0, 0],
      [0xffff_f000, 1],
    ]);
    const n = m.calls.length;
    expect(() => m.translateBatchWords(Uint32Array.of(1, 2, 3), Access.READ, Privilege.USER, new Uint32Array(4), codes)).toThrow(/pairs/);
    expect(() => m.translateBatchWords(vas, Access.READ, Privilege.USER, new Uint32Array(4), codes)).toThrow(RangeError);
    expect(() => m.translateBatchWords(vas, Access.READ, Privilege.USER, pas, new Int32Array(2))).toThrow(/codes/);
    expect(() => m.translateBatchWords(vas, Access.READ, 2 as PrivilegeLevel, pas, codes)).toThrow(RangeError);
    expect(m.calls.length).toBe(n);
  });
});

describe('two-stage TLB entries', () => {
  const { READ, WRITE, EXECUTE, USER } = MappingFlags;
  it('combineTlbChecks: a kind is served only when both stages serve it; the permissions both give, USER from stage 1', () => {
    // stage 1: RWX for user, a store not served (its D is clear); stage 2: RW, both served
    const first = ((READ | WRITE | EXECUTE | USER) << 3) | 0b101;
    const second = ((READ | WRITE) << 3) | 0b011;
    expect(combineTlbChecks(first, second)).toBe(((READ | WRITE | USER) << 3) | 0b001);
    // USER reported by a second stage (a G-stage leaf is a U-mode one) gives no USER to a supervisor page
    expect(combineTlbChecks((READ << 3) | 1, ((READ | USER) << 3) | 1)).toBe((READ << 3) | 1);
    // nothing served by stage 2: nothing served at all
    expect(combineTlbChecks(first, 0)).toBe(USER << 3);
  });

  it('secondStageTlbWalker: a second stage that is a TlbWalker whose bits fit beside stage 1\'s, else null', () => {
    const walker = Object.assign(new Recorder(), {
      leafAttributes: 0,
      leafGlobal: true,
      tlbAttributeBits: 4,
      tlbModeBits: 1,
      tlbModeKey: () => 0,
      tlbCheck: () => 0,
    });
    expect(secondStageTlbWalker(walker, 8, 2)).toBe(walker);
    expect(secondStageTlbWalker(walker, 9, 2)).toBeNull(); // 13 attribute bits
    expect(secondStageTlbWalker(walker, 4, 8)).toBeNull(); // 9 mode bits
    expect(secondStageTlbWalker(new Recorder(), 4, 2)).toBeNull(); // no tlbCheck
    expect(secondStageTlbWalker(null, 4, 2)).toBeNull();
  });
});
