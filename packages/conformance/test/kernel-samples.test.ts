// The pure parts of the real-kernel comparison (src/arm-kernel.ts), without QEMU: where addresses are sampled from
// a kernel's runs, and the memory type of a MAIR attribute byte (the oracle the runs' flags are compared with).
import type { DumpRoot, MappingRun } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';
import { kernelSamples, mairMemoryType, Rng } from '../src/index';

const FOUR_G = 0x1_0000_0000n;
const ROOTS: DumpRoot[] = [
  { root: 0x4020_3000n, vaStart: 0n, vaEnd: 0xc000_0000n, label: 'TTBR0' },
  { root: 0x4020_7000n, vaStart: 0xc000_0000n, vaEnd: FOUR_G, label: 'TTBR1' },
];

/** A run of `pages` leaves of `pageSize` bytes from `vaddr` under root 1 (the fields the sampler reads). */
function run(vaddr: bigint, pageSize: number, pages: number): MappingRun {
  const size = BigInt(pageSize * pages);
  return { kind: 'mapping', vaddr, end: vaddr + size, paddr: 0x4000_0000n, size, pageSize, pages, level: 1, flags: 3, effective: 3, bits: 0n, attrs: 0n, kernel: true, root: 1 };
}

describe('kernelSamples', () => {
  // three 2 MiB Blocks, a one-page hole, two 4 KiB Pages, then nothing up to 2^32
  const runs = [run(0xc000_0000n, 0x20_0000, 3), run(0xc060_1000n, 0x1000, 2)];
  const samples = kernelSamples(runs, ROOTS, new Rng(1));
  const at = (kind: string, root: number) => samples.filter((s) => s.kind === kind && s.root === root).map((s) => s.va);

  it("takes each run's first byte, last byte and a byte of its middle page", () => {
    expect(at('first', 1)).toEqual([0xc000_0000n, 0xc060_1000n]);
    expect(at('last', 1)).toEqual([0xc05f_ffffn, 0xc060_2fffn]);
    const [m0, m1] = at('middle', 1);
    expect(m0! >= 0xc020_0000n && m0! < 0xc040_0000n).toBe(true); // the second of three 2 MiB pages
    expect(m1! >= 0xc060_2000n && m1! < 0xc060_3000n).toBe(true); // the second of two 4 KiB pages
  });

  it('probes every hole at both ends and inside: once in a small one, in each eighth of a large one', () => {
    // TTBR0's whole range is a hole: both ends and 8 parts
    const low = at('hole', 0);
    expect(low.length).toBe(10);
    expect(low[0]).toBe(0n);
    expect(low[low.length - 1]).toBe(0xbfff_ffffn);
    for (let i = 0n; i < 8n; i++) expect(low.filter((va) => va >= i * 0x1800_0000n && va < (i + 1n) * 0x1800_0000n).length).toBeGreaterThan(0);
    // the one-page hole between the runs, and the top of the space after the last run
    const high = at('hole', 1);
    expect(high.filter((va) => va >= 0xc060_0000n && va < 0xc060_1000n).length).toBe(3);
    expect(high).toContain(0xc060_3000n);
    expect(high).toContain(FOUR_G - 1n);
    expect(high.filter((va) => va >= 0xc060_3000n).length).toBe(10);
  });

  it('lists each address once, sorted, inside the range of the root it names', () => {
    const vas = samples.map((s) => s.va);
    expect(vas).toEqual([...new Set(vas)].sort((a, b) => (a < b ? -1 : 1)));
    for (const s of samples) expect(s.va >= BigInt(ROOTS[s.root]!.vaStart) && s.va < BigInt(ROOTS[s.root]!.vaEnd)).toBe(true);
  });

  it('is replayable: the same seed gives the same addresses, another seed others', () => {
    expect(kernelSamples(runs, ROOTS, new Rng(1))).toEqual(samples);
    expect(kernelSamples(runs, ROOTS, new Rng(2))).not.toEqual(samples);
  });
});

describe('mairMemoryType', () => {
  // ARM DDI 0406C.d B4.1.104: Attr[7:4] = 0b0000 is Strongly-ordered (Attr[3:0] = 0b0000) or Device (0b0100);
  // otherwise Normal memory, Outer policy Attr[7:4] and Inner policy Attr[3:0], of which 0b0100 is Non-cacheable,
  // 0b10RW Write-Through and 0b11RW Write-Back
  it("reads Linux's eight bytes (MAIR0 0xeeaa4400, MAIR1 0xff000004) as the manual says", () => {
    const linux = [0x00, 0x44, 0xaa, 0xee, 0x04, 0x00, 0x00, 0xff];
    expect(linux.map(mairMemoryType)).toEqual(['device', 'non-cacheable', 'cacheable', 'cacheable', 'device', 'device', 'device', 'cacheable']);
  });

  it('is Non-cacheable only when both the Inner and the Outer policy are', () => {
    expect(mairMemoryType(0x44)).toBe('non-cacheable');
    expect(mairMemoryType(0x4f)).toBe('cacheable');
    expect(mairMemoryType(0xf4)).toBe('cacheable');
    expect(mairMemoryType(0x88)).toBe('cacheable');
  });
});
