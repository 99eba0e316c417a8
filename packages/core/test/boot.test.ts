// Boot files: register values written out as JSON, a C header and an assembly include, read back by a parser of
// each form here (so the files say what was given, bit for bit, above 2^53 too), and refused bad input.
import { formatRegisters, registerField } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';

const VALUES = { satp: 0x8000_0000_0008_0201n, tcr: 0x5_b510_3510n, zero: 0n, top: 0xffff_ffff_ffff_ffffn } as const;

describe('formatRegisters', () => {
  it('JSON: each value a hex string, so that no bit is lost', () => {
    const parsed = JSON.parse(formatRegisters(VALUES, 'json')) as Record<string, string>;
    expect(Object.keys(parsed)).toEqual(Object.keys(VALUES));
    for (const [name, value] of Object.entries(VALUES)) expect(BigInt(parsed[name]!)).toBe(value);
  });

  it('C: an include guard and one #define NAME 0x...ULL per value, upper-cased with the prefix', () => {
    const text = formatRegisters(VALUES, 'c', { prefix: 'BOOT_', title: 'tables for */ the kernel' });
    const lines = text.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual(['/* tables for * / the kernel */', '#ifndef BOOT_REGISTERS_H', '#define BOOT_REGISTERS_H']);
    expect(lines.at(-1)).toBe('#endif');
    const defined = new Map([...text.matchAll(/^#define (\w+) (0x[0-9a-f]+)ULL$/gm)].map((m) => [m[1]!, BigInt(m[2]!)]));
    expect(defined).toEqual(new Map(Object.entries(VALUES).map(([n, v]) => [`BOOT_${n.toUpperCase()}`, v])));
  });

  it('assembly: one .set NAME, 0x... per value (default prefix PT_)', () => {
    const text = formatRegisters(VALUES, 'asm');
    const set = [...text.matchAll(/^\.set (\w+), (0x[0-9a-f]+)$/gm)].map((m) => [m[1], BigInt(m[2]!)]);
    expect(set).toEqual(Object.entries(VALUES).map(([n, v]) => [`PT_${n.toUpperCase()}`, v]));
    expect(text.trimEnd().split('\n')).toHaveLength(set.length);
  });

  it('refuses what would make a broken file: names and prefixes that are not identifiers, values that are not u64', () => {
    expect(() => formatRegisters({ 'a-b': 1n }, 'c')).toThrow(TypeError);
    expect(() => formatRegisters({ a: 1n }, 'c', { prefix: 'X Y' })).toThrow(/^formatRegisters: "prefix"/);
    expect(() => formatRegisters({ a: 1 as never }, 'json')).toThrow(TypeError);
    expect(() => formatRegisters({ a: -1n }, 'asm')).toThrow(RangeError);
    expect(() => formatRegisters({ a: 1n << 64n }, 'asm')).toThrow(RangeError);
    expect(() => formatRegisters({ a: 1n }, 'yaml' as never)).toThrow(/^formatRegisters: "style"/);
  });
});

describe('registerField', () => {
  it('takes an integer that fits the field, and refuses others with the caller named', () => {
    expect(registerField(0xfff, 12, 'f', 'pcid')).toBe(0xfffn);
    expect(() => registerField(0x1000, 12, 'f', 'pcid')).toThrow(new RangeError('f: "pcid" 4096 does not fit in 12 bits (0..4095)'));
    expect(() => registerField(-1, 12, 'f', 'pcid')).toThrow(RangeError);
    expect(() => registerField(0.5, 12, 'f', 'pcid')).toThrow(TypeError);
    expect(() => registerField(1n as never, 12, 'f', 'pcid')).toThrow(TypeError);
  });
});
