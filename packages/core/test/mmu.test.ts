// The architecture-neutral MMU vocabulary: the number codes of the fault kinds, and the checks MmuModel makes before
// a model's walk runs (a model that records what reached it shows that bad arguments never do).
import { Access, type AccessKind, faultKindOf, MmuCode, MmuModel, PagingError, Privilege, type PrivilegeLevel } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';

/** A model that maps every address to itself + 0x1000, faults with NotPresent at 0, and records its calls. */
class Recorder extends MmuModel<{ readonly at: number }> {
  calls: [number, number, number, number][] = [];
  translateWords(vaLo: number, vaHi: number, access: AccessKind, privilege: PrivilegeLevel): number {
    this.calls.push([vaLo, vaHi, access, privilege]);
    if (vaLo === 0 && vaHi === 0) return this.fault(MmuCode.NotPresent, 2);
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

  it('bad arguments throw before the walk', () => {
    const m = new Recorder();
    expect(() => m.translate(1n << 64n, Access.READ, Privilege.USER)).toThrow(PagingError);
    expect(() => m.translate(0x1000n, -1 as AccessKind, Privilege.USER)).toThrow(RangeError);
    expect(() => m.translate(0x1000n, Access.READ, 1.5 as PrivilegeLevel)).toThrow(RangeError);
    for (const va of [-8, 2 ** 53, 1.5, Number.POSITIVE_INFINITY]) expect(() => m.translateNumber(va, Access.READ, Privilege.USER)).toThrow(RangeError);
    expect(m.calls).toEqual([]);
  });
});
