import { PhysicalMemory } from '@page-table-multiarch/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('PhysicalMemory', () => {
  it('allocates frames at its base, honouring count and alignment', () => {
    const mem = new PhysicalMemory({ size: 64 * 4096, base: 0x8000_0000n });
    expect(mem.allocFrames(1, 4096)).toBe(0x8000_0000n);
    const four = mem.allocFrames(4, 0x4000)!;
    expect(four % 0x4000n).toBe(0n);
    expect(four).toBe(0x8000_4000n);
    expect(mem.framesInUse).toBe(5);
    // the frames skipped to reach the alignment are handed out next
    expect(mem.allocFrames(1, 4096)).toBe(0x8000_1000n);
  });

  it('returns null, not a crash, when no run fits; freed frames are reused', () => {
    const mem = new PhysicalMemory({ size: 4 * 4096 });
    const frames = [0, 1, 2, 3].map(() => mem.allocFrames(1, 4096));
    expect(frames).toEqual([0n, 0x1000n, 0x2000n, 0x3000n]);
    expect(mem.allocFrames(1, 4096)).toBeNull();
    mem.deallocFrames(0x2000n, 1);
    expect(mem.allocFrames(2, 4096)).toBeNull();
    expect(mem.allocFrames(1, 4096)).toBe(0x2000n);
  });

  it('keeps free frames zero: freeing zero-fills', () => {
    const mem = new PhysicalMemory({ size: 8 * 4096 });
    const pa = mem.allocFrames(2, 4096)!;
    mem.writeU64(pa + 0x1ff8n, 0xdead_beef_cafe_f00dn);
    mem.deallocFrames(pa, 2);
    expect(mem.bytes().every((b) => b === 0)).toBe(true);
  });

  it('rejects double frees, foreign addresses and bad sizes with RangeError', () => {
    const mem = new PhysicalMemory({ size: 8 * 4096, base: 0x1_0000_0000n });
    const pa = mem.allocFrames(1, 4096)!;
    mem.deallocFrames(pa, 1);
    expect(() => mem.deallocFrames(pa, 1)).toThrow(RangeError);
    expect(() => mem.deallocFrames(0n, 1)).toThrow(RangeError);
    expect(() => mem.deallocFrames(pa + 8n, 1)).toThrow(RangeError);
    expect(() => new PhysicalMemory({ size: 100 })).toThrow(RangeError);
    expect(() => new PhysicalMemory({ size: 4096, base: 0x10n })).toThrow(RangeError);
    expect(() => mem.allocFrames(1, 3000)).toThrow(RangeError);
  });

  it('reads and writes u32, u64 and bytes above 2^32, little-endian', () => {
    const mem = new PhysicalMemory({ size: 2 * 4096, base: 0x1_2345_6000n });
    mem.writeU64(0x1_2345_6008n, 0x0102_0304_0506_0708n);
    expect(mem.readU32(0x1_2345_6008n)).toBe(0x0506_0708);
    expect(mem.readU32(0x1_2345_600cn)).toBe(0x0102_0304);
    expect([...mem.bytes(0x1_2345_6008n, 8)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    mem.writeBytes(0x1_2345_7000n, new Uint8Array([0xaa, 0xbb]));
    expect(mem.readU32(0x1_2345_7000n)).toBe(0xbbaa);
    expect(() => mem.readU64(0x1_2345_8000n)).toThrow(RangeError);
    expect(() => mem.readU64(0x1_2345_6004n)).toThrow(RangeError);
    expect(() => mem.bytes(0x1_2345_7ff0n, 32)).toThrow(RangeError);
    expect(() => mem.writeU64(0x1_2345_6000n, -1n)).toThrow(RangeError);
  });

  it('wordIndex: the word of any address given as two words, -1 outside; memories across 2^32 and above it', () => {
    // the answer from the address as one BigInt: (address - base) / 4 inside [base, base + size), else -1
    const oracle = (mem: PhysicalMemory, lo: number, hi: number): number => {
      const at = BigInt(hi) * 2n ** 32n + BigInt(lo);
      return at >= mem.base && at < mem.base + BigInt(mem.size) ? Number((at - mem.base) / 4n) : -1;
    };
    const memories = [
      new PhysicalMemory({ size: 4 * 4096, base: 0xffff_e000n }), // across 2^32: two frames below, two above
      new PhysicalMemory({ size: 4 * 4096, base: 0x8000_0000n }),
      new PhysicalMemory({ size: 4 * 4096, base: 0x7_ffff_f000n }), // across 2^35, high words 7 and 8
    ];
    for (const mem of memories) {
      const base = mem.base;
      const probes = [-8n, -4n, 0n, 4n, 0x1ffcn, 0x2000n, 0x3ffcn, 0x4000n, 0x4004n, 2n ** 32n, -(2n ** 32n)];
      for (const d of probes) {
        const at = base + d;
        if (at < 0n) continue;
        const lo = Number(at & 0xffff_ffffn);
        const hi = Number(at >> 32n);
        expect(mem.wordIndex(lo, hi), `${at.toString(16)}`).toBe(oracle(mem, lo, hi));
      }
      // the low word given past 2^32 (the same address by value) or negative: what the value says, as the oracle
      const baseHi = Number(base >> 32n);
      for (const lo of [2 ** 32 + 0x10, -4, 2 ** 33]) expect(mem.wordIndex(lo, baseHi)).toBe(oracle(mem, lo, baseHi));
    }
  });

  it('reserve() keeps frames away from the allocator', () => {
    const mem = new PhysicalMemory({ size: 4 * 4096 });
    mem.reserve(0x1000n, 0x2000);
    expect(mem.framesInUse).toBe(2);
    expect(mem.allocFrames(1, 4096)).toBe(0n);
    expect(mem.allocFrames(1, 4096)).toBe(0x3000n);
    expect(mem.allocFrames(1, 4096)).toBeNull();
    expect(() => mem.reserve(0n, 4096)).toThrow(RangeError);
  });

  it('never hands out a frame twice (random alloc/free against a model)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 4 }), fc.constantFrom(4096, 8192, 16384), fc.nat()), { maxLength: 80 }), (ops) => {
        const mem = new PhysicalMemory({ size: 32 * 4096 });
        const live = new Map<bigint, number>();
        for (const [alloc, count, align, pick] of ops) {
          if (alloc || live.size === 0) {
            const pa = mem.allocFrames(count, align);
            if (pa === null) continue;
            expect(pa % BigInt(align)).toBe(0n);
            for (const [p, n] of live) {
              const overlap = pa < p + BigInt(n * 4096) && p < pa + BigInt(count * 4096);
              expect(overlap).toBe(false);
            }
            live.set(pa, count);
          } else {
            const [p, n] = [...live][pick % live.size]!;
            mem.deallocFrames(p, n);
            live.delete(p);
          }
          expect(mem.framesInUse).toBe([...live.values()].reduce((a, b) => a + b, 0));
        }
      }),
    );
  });
});

describe('PhysicalMemory free list', () => {
  it('stays bounded when multi-frame runs are allocated and freed many times', () => {
    const mem = new PhysicalMemory({ size: 8 * 4096 });
    for (let i = 0; i < 1000; i++) {
      const pa = mem.allocFrames(3, 4096)!;
      expect(pa).not.toBeNull();
      mem.deallocFrames(pa, 3);
    }
    const singles = Array.from({ length: 8 }, () => mem.allocFrames(1, 4096));
    expect(new Set(singles).size).toBe(8);
    expect(singles.every((p) => p !== null)).toBe(true);
    expect(mem.allocFrames(1, 4096)).toBeNull();
  });
});

describe('PhysicalMemory runs of frames (16K and 64K tables)', () => {
  // What the allocator promises for a run (count > 1 or an alignment above 4 KiB): the lowest aligned run of free
  // frames (first fit), found without rescanning from frame 0 each time. Before, every run scanned from frame 0:
  // the AArch64 16K-granule random maps of the bench (31,000 tables of 4 frames) took 7 us per map, 15x x86_64.
  const lowestFit = (used: Uint8Array, base: number, count: number, align: number): number => {
    for (let f = 0; f + count <= used.length; f++) {
      if ((base + f * 4096) % align !== 0) continue;
      let ok = true;
      for (let i = f; i < f + count && ok; i++) ok = used[i] === 0;
      if (ok) return f;
    }
    return -1;
  };

  it.each([0, 0x3000, 0x1_0000])('is the lowest aligned fit after any sequence of allocations and frees (base %s)', (base) => {
    // a seeded sequence (xorshift32): runs of 2-16 frames at 4K-64K alignment, single frames, and frees of either
    const frames = 256;
    const mem = new PhysicalMemory({ size: frames * 4096, base: BigInt(base) });
    const used = new Uint8Array(frames);
    const live: Array<[number, number]> = [];
    let s = 0x5eed + base;
    const next = () => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return s >>> 0;
    };
    for (let step = 0; step < 4000; step++) {
      const r = next() % 10;
      if (r < 4 && live.length > 0) {
        const [f, count] = live.splice(next() % live.length, 1)[0]!;
        mem.deallocFrames(BigInt(base + f * 4096), count);
        used.fill(0, f, f + count);
        continue;
      }
      const count = r < 6 ? 1 : [2, 4, 16][next() % 3]!;
      const align = r < 6 ? 4096 : [4096, 16384, 65536][next() % 3]!;
      const pa = mem.allocFrames(count, align);
      if (count > 1 || align > 4096) {
        const want = lowestFit(used, base, count, align);
        expect(pa === null ? -1 : (Number(pa) - base) / 4096).toBe(want);
      }
      if (pa === null) continue;
      const f = (Number(pa) - base) / 4096;
      expect(used.subarray(f, f + count).every((u) => u === 0)).toBe(true);
      used.fill(1, f, f + count);
      live.push([f, count]);
    }
    expect(mem.framesInUse).toBe(used.reduce((a, u) => a + u, 0));
  });

  it('examines a bounded number of places per run while memory fills up, and after frees', () => {
    // 16,384 runs of 4 frames fill 256 MiB; a scan from frame 0 for each would examine 134 million places
    const mem = new PhysicalMemory({ size: 256 << 20 });
    const runs: bigint[] = [];
    for (;;) {
      const pa = mem.allocFrames(4, 16384);
      if (pa === null) break;
      runs.push(pa);
    }
    expect(runs.length).toBe(16384);
    expect(mem._runProbes).toBeLessThanOrEqual(2 * runs.length + 2);
    // every other run freed, then taken again: each allocation finds the next hole where the last one ended
    for (let i = 0; i < runs.length; i += 2) mem.deallocFrames(runs[i]!, 4);
    const before = mem._runProbes;
    for (let i = 0; i < runs.length; i += 2) expect(mem.allocFrames(4, 16384)).toBe(runs[i]);
    expect(mem._runProbes - before).toBeLessThanOrEqual(2 * runs.length + 2);
  });
});
