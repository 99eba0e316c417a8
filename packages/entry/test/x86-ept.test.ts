// The EPT codec against the manual (Intel SDM Vol. 3C 29.3.2, Tables 29-1 to 29-6): the expected entries are written
// here field by field from those tables (the crate has no EPT, and QEMU's TCG does not implement VMX, so there is no
// other reference to compare with), then what the codec reads back from entries another hypervisor wrote.
import { MappingFlags } from '@page-table-multiarch/core';
import { X86EptFlags, X86EptPTE, x86EptCodec } from '@page-table-multiarch/entry/x86_64';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;

// Tables 29-1 to 29-6, written out here (not taken from the codec) so that a wrong constant there fails here
const R = 1n; // bit 0, read access
const W = 1n << 1n; // bit 1, write access
const X = 1n << 2n; // bit 2, execute access (supervisor-mode linear addresses with MBEC)
const mt = (type: bigint) => type << 3n; // bits 5:3, EPT memory type of a leaf
const UC = 0n;
const WC = 1n;
const WB = 6n;
const IPAT = 1n << 6n; // bit 6, ignore PAT
const PS = 1n << 7n; // bit 7, the PDPTE maps 1 GiB / the PDE maps 2 MiB
const A = 1n << 8n; // bit 8, accessed (with EPTP bit 6)
const D = 1n << 9n; // bit 9, dirty (with EPTP bit 6)
const XU = 1n << 10n; // bit 10, execute access for user-mode linear addresses (with MBEC)
const SVE = 1n << 63n; // bit 63, suppress #VE

const hex = (v: bigint) => `0x${v.toString(16)}`;
const mbec = x86EptCodec({ mbec: true });

describe('X86EptPTE encodings (SDM Vol. 3C 29.3.2)', () => {
  it('the exported fields sit where Tables 29-1 to 29-6 put them', () => {
    expect(X86EptFlags.READ).toBe(R);
    expect(X86EptFlags.WRITE).toBe(W);
    expect(X86EptFlags.EXECUTE).toBe(X);
    expect(X86EptFlags.MEMORY_TYPE).toBe(0x38n);
    expect(X86EptFlags.IGNORE_PAT).toBe(IPAT);
    expect(X86EptFlags.HUGE_PAGE).toBe(PS);
    expect(X86EptFlags.ACCESSED).toBe(A);
    expect(X86EptFlags.DIRTY).toBe(D);
    expect(X86EptFlags.USER_EXECUTE).toBe(XU);
    expect(X86EptFlags.SUPPRESS_VE).toBe(SVE);
  });

  it('writes leaves and table entries field by field', () => {
    const rows: [string, bigint, bigint][] = [
      // Table 29-6: a 4 KiB page of guest RAM, WB (29.3.7.1: memory type 6)
      ['4K RWX, WB (29-6)', X86EptPTE.newPage(0x1234_5000n, READ | WRITE | EXECUTE, false, 3), 0x1234_5000n | mt(WB) | X | W | R],
      // Table 29-4: a 2 MiB page, bit 7 set, address bits 51:21
      ['2M RW, WB (29-4)', X86EptPTE.newPage(0x8020_0000n, READ | WRITE, true, 2), 0x8020_0000n | PS | mt(WB) | W | R],
      // Table 29-2: a 1 GiB page above 4 GiB, read-only
      ['1G R, WB (29-2)', X86EptPTE.newPage(0xf_c000_0000n, READ, true, 1), 0xf_c000_0000n | PS | mt(WB) | R],
      // Table 29-6: MMIO, memory type UC (0)
      ['4K device, UC (29-6)', X86EptPTE.newPage(0xfee0_0000n, READ | WRITE | DEVICE, false, 3), 0xfee0_0000n | mt(UC) | W | R],
      // Table 29-6: a framebuffer, memory type WC (1)
      ['4K uncached, WC (29-6)', X86EptPTE.newPage(0xe000_0000n, READ | WRITE | UNCACHED, false, 3), 0xe000_0000n | mt(WC) | W | R],
      // DEVICE wins over UNCACHED: UC
      ['DEVICE | UNCACHED: UC', X86EptPTE.newPage(0x1000n, READ | DEVICE | UNCACHED, false, 3), 0x1000n | mt(UC) | R],
      // WRITE alone also writes R: W without R is a misconfiguration (29.3.3.1)
      ['W implies R (29.3.3.1)', X86EptPTE.newPage(0x2000n, WRITE, false, 3), 0x2000n | mt(WB) | W | R],
      // EXECUTE alone: an execute-only page (X without R; IA32_VMX_EPT_VPID_CAP bit 0)
      ['execute-only (29-6)', X86EptPTE.newPage(0x3000n, EXECUTE, false, 3), 0x3000n | mt(WB) | X],
      // flags without R, W or X still make a present entry (R)
      ['USER alone: R', X86EptPTE.newPage(0x4000n, USER, false, 3), 0x4000n | mt(WB) | R],
      // without MBEC, USER is not written (bit 10 is ignored, Table 29-6)
      ['no MBEC: USER not written', X86EptPTE.newPage(0x5000n, READ | EXECUTE | USER, false, 3), 0x5000n | mt(WB) | X | R],
      // with MBEC: EXECUTE is bit 2 (supervisor), EXECUTE | USER bits 2 and 10
      ['MBEC: X supervisor', mbec.newPage(0x6000n, READ | EXECUTE, false, 3), 0x6000n | mt(WB) | X | R],
      ['MBEC: X and XU', mbec.newPage(0x7000n, READ | EXECUTE | USER, false, 3), 0x7000n | XU | mt(WB) | X | R],
      ['MBEC: USER without EXECUTE', mbec.newPage(0x8000n, READ | WRITE | USER, false, 3), 0x8000n | mt(WB) | W | R],
      // Tables 29-1, 29-3, 29-5: a table entry grants R, W, X (and XU with MBEC) so that the leaf decides; bits 7:3 are 0
      ['table entry (29-1, 29-3, 29-5)', X86EptPTE.newTable(0x10_3000n, 0), 0x10_3000n | X | W | R],
      ['MBEC table entry', mbec.newTable(0x10_3000n, 1), 0x10_3000n | XU | X | W | R],
      // the options: ignore PAT (bit 6), suppress #VE (bit 63), no execute-only pages
      [
        'ignore PAT and suppress #VE (29-6)',
        x86EptCodec({ ignorePat: true, suppressVe: true }).newPage(0x9000n, READ, false, 3),
        SVE | 0x9000n | IPAT | mt(WB) | R,
      ],
      ['no execute-only: X writes R too', x86EptCodec({ executeOnly: false }).newPage(0xa000n, EXECUTE, false, 3), 0xa000n | mt(WB) | X | R],
      // address bits above 51 and below 12 are not address bits (Tables 29-1 to 29-6)
      ['address bits 51:12 only', X86EptPTE.newPage(0xfff0_0000_0000_1fffn, READ, false, 3), 0x1000n | mt(WB) | R],
    ];
    for (const [name, got, want] of rows) expect(`${name}: ${hex(got)}`).toBe(`${name}: ${hex(want)}`);
  });

  it('reads back what another hypervisor wrote: A, D and ignored bits do not change the flags', () => {
    // a 2 MiB WB page the CPU has accessed and dirtied (29.3.5), with bits 11 and 62:52 (ignored) set
    const e = (0x7ffn << 52n) | 0x4020_0000n | (1n << 11n) | D | A | PS | mt(WB) | W | R;
    expect(X86EptPTE.isPresent(e, 2)).toBe(true);
    expect(X86EptPTE.isHuge(e, 2)).toBe(true);
    expect(hex(X86EptPTE.paddr(e, 2))).toBe(hex(0x4020_0000n));
    expect(X86EptPTE.flags(e, 2)).toBe(READ | WRITE);
    // setFlags keeps the address and drops the CPU's A and D, as X64PTE does
    expect(hex(X86EptPTE.setFlags(e, READ, true, 2))).toBe(hex(0x4020_0000n | PS | mt(WB) | R));
    // WT (4) and WP (5) are cached types: neither DEVICE nor UNCACHED
    expect(X86EptPTE.flags(0x1000n | mt(4n) | R, 3)).toBe(READ);
    expect(X86EptPTE.flags(0x1000n | mt(5n) | R, 3)).toBe(READ);
    expect(X86EptPTE.flags(0x1000n | mt(UC) | R, 3)).toBe(READ | DEVICE);
    expect(X86EptPTE.flags(0x1000n | mt(WC) | R, 3)).toBe(READ | UNCACHED);
  });

  it('an entry is present when any of bits 2:0 is set, or bit 10 with MBEC (29.3.2)', () => {
    for (const bitsSet of [R, W, X, R | X]) expect(X86EptPTE.isPresent(0x1000n | bitsSet, 3)).toBe(true);
    // A, D, memory type and bit 7 alone are not presence
    expect(X86EptPTE.isPresent(0x1000n | A | D | mt(WB) | PS, 3)).toBe(false);
    expect(X86EptPTE.flags(0x1000n | A | D | mt(WB) | PS, 3)).toBe(0);
    // bit 10 alone: ignored without MBEC, a user-executable page with it
    expect(X86EptPTE.isPresent(0x1000n | XU, 3)).toBe(false);
    expect(mbec.isPresent(0x1000n | XU, 3)).toBe(true);
    expect(mbec.flags(0x1000n | XU | mt(WB), 3)).toBe(EXECUTE | USER);
    expect(mbec.words.isPresent(0x1000 | 0x400, 0, 3)).toBe(true);
    expect(X86EptPTE.words.isPresent(0x1000 | 0x400, 0, 3)).toBe(false);
  });

  it('states the walk layout of Tables 29-1 to 29-6: present by any of bits 2:0 (and 10 with MBEC), bit 7 a page above the last level, the address in bits 51:12', () => {
    const plain = { present: 0x7, block: 0x80, addrLo: 0xffff_f000, addrHi: 0xf_ffff, addrShift: 0 };
    expect(X86EptPTE.words.layout).toEqual(plain);
    expect(mbec.words.layout).toEqual({ ...plain, present: 0x407 });
    // no `leaf`: a last-level entry with X alone is a page, as with all three
    expect(X86EptPTE.words.layout?.leaf).toBeUndefined();
    expect(x86EptCodec({ executeOnly: false, ignorePat: true, suppressVe: true }).words.layout).toEqual(plain);
  });

  it('gives the same codec object for the same options (a table keeps its fast walks per codec layout)', () => {
    expect(x86EptCodec()).toBe(X86EptPTE);
    expect(x86EptCodec({ mbec: true })).toBe(mbec);
    const a = x86EptCodec({ ignorePat: true });
    expect(x86EptCodec({ ignorePat: true, mbec: false })).toBe(a);
    expect(x86EptCodec({ ignorePat: true, suppressVe: true })).not.toBe(a);
    expect(x86EptCodec({ ignorePat: true, suppressVe: true })).toBe(x86EptCodec({ suppressVe: true, ignorePat: true }));
  });
});
