// Round trip: tables built with the library, written out as a dump (raw image or ELF core), read back by ptdump;
// the listing must be exactly the mappings that were built, for every architecture, huge pages and upper halves
// included.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { A64PageTable, A64Stage2PageTable, A64Stage2PageTable4K40, A64Stage2PageTable16K40, encodeA64Stage2Registers } from '@page-table-multiarch/aarch64';
import { A32LpaePageTable, A32LpaeTtbr1PageTable, A32PageTable } from '@page-table-multiarch/arm';
import { ARCHES, type ArchSpec } from '@page-table-multiarch/cli';
import { MappingFlags, type PageTable64, PhysicalMemory } from '@page-table-multiarch/core';
import { encodeLA64Registers, LA64PageTable } from '@page-table-multiarch/loongarch64';
import { RegisterError } from '@page-table-multiarch/core';
import { PTEFlags, Sv32PageTable, Sv32x4PageTable, Sv39PageTable, Sv39x4PageTable, Sv48x4PageTable, Sv57x4PageTable } from '@page-table-multiarch/riscv';
import { X64PageTable, X86PaePageTable } from '@page-table-multiarch/x86_64';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedRuns, listedRuns, MACHINE, registerArgs, runCli, tempDir, writeElfCore, jsonDump } from './_support';

const tmp = tempDir();
afterAll(() => tmp.remove());
let fileNo = 0;
const file = (ext: string): string => join(tmp.dir, `dump${fileNo++}.${ext}`);

function listJson(args: string[]) {
  const r = runCli([...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return jsonDump(r.stdout);
}

/** How to build random tables for an architecture, and the registers that point at them. */
interface RandomSetup {
  readonly base: bigint;
  readonly tables: (m: PhysicalMemory) => PageTable64[];
  /** Virtual windows (aligned to the largest huge page) and which table each belongs to. */
  readonly windows: readonly { readonly base: bigint; readonly size: bigint; readonly table: number }[];
  readonly huge: readonly bigint[];
  /** The smallest page (default 4 KiB). */
  readonly page?: bigint;
  /** The flag sets regions take (default FLAG_SETS). */
  readonly flagSets?: readonly number[];
  readonly paLimit: bigint;
  readonly registers: (t: PageTable64[]) => Record<string, bigint>;
}

const G = 1n << 30n;
const M2 = 2n << 20n;
const TCR = 16n | (16n << 16n) | (2n << 30n) | (5n << 32n);
const SETUP: Record<string, RandomSetup> = {
  x86_64: {
    base: 0x10_0000n,
    tables: (m) => [new X64PageTable(m)],
    windows: [
      { base: 0n, size: 8n * G, table: 0 },
      { base: 0x7ffe_0000_0000n, size: 8n * G, table: 0 },
      { base: 0xffff_8000_0000_0000n, size: 8n * G, table: 0 },
      { base: 0xffff_fffe_0000_0000n, size: 8n * G, table: 0 },
    ],
    huge: [M2, G],
    paLimit: 1n << 40n,
    registers: ([t]) => ({ cr3: t!.rootPaddr, cr4: 0x20n, efer: 0xd01n }),
  },
  x86: {
    base: 0x10_0000n,
    tables: (m) => [new X86PaePageTable(m)],
    windows: [
      { base: 0n, size: G, table: 0 },
      { base: 3n * G, size: G, table: 0 },
    ],
    huge: [M2],
    paLimit: 1n << 40n,
    registers: ([t]) => ({ cr3: t!.rootPaddr, cr4: 0x20n, efer: 0x800n }),
  },
  aarch64: {
    base: 0x4020_0000n,
    tables: (m) => [new A64PageTable(m), new A64PageTable(m)],
    windows: [
      { base: 0n, size: 8n * G, table: 0 },
      { base: 0xfffe_0000_0000n, size: 8n * G, table: 0 },
      { base: 0xffff_0000_0000_0000n, size: 8n * G, table: 1 },
      { base: 0xffff_fffe_0000_0000n, size: 8n * G, table: 1 },
    ],
    huge: [M2, G],
    paLimit: 1n << 40n,
    registers: ([u, k]) => ({ ttbr0: u!.rootPaddr, ttbr1: k!.rootPaddr, tcr: TCR }),
  },
  arm: {
    base: 0x4020_0000n,
    tables: (m) => [new A32PageTable(m)],
    windows: [
      { base: 0n, size: G, table: 0 },
      { base: 0xc000_0000n, size: G, table: 0 },
    ],
    huge: [1n << 20n],
    paLimit: 1n << 32n,
    registers: ([t]) => ({ ttbr0: t!.rootPaddr, ttbcr: 0n }),
  },
  riscv64: {
    base: 0x8000_0000n,
    tables: (m) => [new Sv39PageTable(m)],
    windows: [
      { base: 0n, size: 4n * G, table: 0 },
      { base: 0x3f_0000_0000n, size: 4n * G, table: 0 },
      { base: 0xffff_ffc0_0000_0000n, size: 4n * G, table: 0 },
      { base: 0xffff_ffff_0000_0000n, size: 4n * G, table: 0 },
    ],
    huge: [M2, G],
    paLimit: 1n << 40n,
    registers: ([t]) => ({ satp: (8n << 60n) | (t!.rootPaddr >> 12n) }),
  },
  riscv32: {
    base: 0x8000_0000n,
    tables: (m) => [new Sv32PageTable(m)],
    windows: [
      { base: 0n, size: G, table: 0 },
      { base: 0xc000_0000n, size: G, table: 0 },
    ],
    huge: [2n * M2],
    // Sv32 has 34-bit physical addresses
    paLimit: 1n << 34n,
    registers: ([t]) => ({ satp: (1n << 31n) | (t!.rootPaddr >> 12n) }),
  },
  loongarch64: {
    base: 0x20_0000n,
    tables: (m) => [new LA64PageTable(m)],
    windows: [
      { base: 0n, size: 8n * G, table: 0 },
      { base: 0x7ffe_0000_0000n, size: 8n * G, table: 0 },
      { base: 0xffff_8000_0000_0000n, size: 8n * G, table: 0 },
      { base: 0xffff_fffe_0000_0000n, size: 8n * G, table: 0 },
    ],
    huge: [M2, G],
    paLimit: 1n << 40n,
    registers: ([t]) => ({ pgdl: t!.rootPaddr, pgdh: t!.rootPaddr }),
  },
};

/** mulberry32: a small deterministic generator driven by a fast-check seed. */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const big = (r: (n: number) => number, limit: bigint): bigint => (BigInt(r(2 ** 26)) * BigInt(2 ** 26) + BigInt(r(2 ** 26))) % limit;

const FLAG_SETS = [
  MappingFlags.READ,
  MappingFlags.READ | MappingFlags.WRITE,
  MappingFlags.READ | MappingFlags.EXECUTE,
  MappingFlags.READ | MappingFlags.WRITE | MappingFlags.USER,
  MappingFlags.READ | MappingFlags.EXECUTE | MappingFlags.USER,
  MappingFlags.READ | MappingFlags.WRITE | MappingFlags.DEVICE,
  MappingFlags.READ | MappingFlags.UNCACHED,
  MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE,
];

/** Random regions mapped with mapRegion (huge pages where allowed); overlapping ones are skipped. */
function randomTables(setup: RandomSetup, seed: number): { memory: PhysicalMemory; tables: PageTable64[] } {
  const r = rng(seed);
  const memory = new PhysicalMemory({ size: 4 << 20, base: setup.base });
  const tables = setup.tables(memory);
  const cursors = tables.map((t) => t.cursor());
  const n = 1 + r(12);
  for (let k = 0; k < n; k++) {
    const w = setup.windows[r(setup.windows.length)]!;
    const huge = r(3) === 0;
    const gran = huge ? setup.huge[r(setup.huge.length)]! : (setup.page ?? 0x1000n);
    const count = BigInt(1 + r(huge ? 3 : 24));
    const size = gran * count;
    const slots = (w.size - size) / gran;
    const va = w.base + big(r, slots + 1n) * gran;
    const pa = big(r, setup.paLimit / gran - count) * gran;
    try {
      const sets = setup.flagSets ?? FLAG_SETS;
      cursors[w.table]!.mapRegion(va, pa, size, sets[r(sets.length)]!, huge);
    } catch {
      // overlaps an earlier region: skipped (mapRegion changes nothing when it fails)
    }
  }
  for (const c of cursors) c.flush();
  return { memory, tables };
}

describe.each(ARCHES.map((a) => [a.name, a] as [string, ArchSpec]))('%s', (_name, arch) => {
  it('raw image: the listing is the sample that was built, upper half and huge pages included', () => {
    const sample = arch.sample();
    const path = file('bin');
    writeFileSync(path, sample.memory.bytes());
    const doc = listJson(['--arch', arch.name, '--base', `0x${sample.memory.base.toString(16)}`, ...registerArgs(sample), path]);
    const expected = expectedRuns(arch, sample.tables.map((t) => t.table), sample.registers, sample.switches);
    expect(listedRuns(doc)).toEqual(expected);
    expect(expected.some((r) => r.vaddr.startsWith('0xf'))).toBe(true); // an upper-half (kernel) address
    expect(expected.some((r) => r.pageSize > 0x1000)).toBe(true); // a huge page
    expect(doc.summary.diagnostics).toBe(0);
    expect(doc.arch).toBe(arch.name);
  });

  it('ELF core (split segments, a zero tail, another range): the same listing, the architecture from e_machine', () => {
    const sample = arch.sample();
    const bytes = sample.memory.bytes();
    const half = bytes.length / 2;
    const path = file('elf');
    writeElfCore(
      path,
      [
        { paddr: sample.memory.base + BigInt(half), bytes: bytes.subarray(half) },
        { paddr: sample.memory.base, bytes: bytes.subarray(0, half) },
        { paddr: 0x1_0000_0000n, bytes: new Uint8Array(4096).fill(0xff), memsz: 0x10_0000n },
      ].filter((s) => arch.addrDigits === 16 || s.paddr < 1n << 32n),
      { bits: arch.addrDigits === 16 ? 64 : 32, machine: MACHINE[arch.name]! },
    );
    const doc = listJson([...registerArgs(sample), path]);
    expect(doc.arch).toBe(arch.name);
    expect(listedRuns(doc)).toEqual(expectedRuns(arch, sample.tables.map((t) => t.table), sample.registers, sample.switches));
  });

  it('random tables round trip through a raw image', () => {
    const setup = SETUP[arch.name]!;
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { memory, tables } = randomTables(setup, seed);
        const regs = setup.registers(tables);
        const path = file('bin');
        writeFileSync(path, memory.bytes());
        const doc = listJson(['--arch', arch.name, '--base', String(memory.base), ...registerArgs({ registers: regs, switches: {} }), path, '--quiet']);
        expect(listedRuns(doc)).toEqual(expectedRuns(arch, tables, regs));
        expect(doc.summary.diagnostics).toBe(0);
        expect(doc.summary.tables.reduce((a: number, b: number) => a + b, 0)).toBe(tables.reduce((a, t) => a + t.tableCount(), 0));
      }),
      { numRuns: 12 },
    );
  });

  it('translate: every run start, inside a run, and a hole', () => {
    const sample = arch.sample();
    const path = file('bin');
    writeFileSync(path, sample.memory.bytes());
    const base = ['--arch', arch.name, '--base', `0x${sample.memory.base.toString(16)}`, ...registerArgs(sample), path];
    const runs = listedRuns(listJson(base));
    const vas = runs.flatMap((r) => [BigInt(r.vaddr), BigInt(r.vaddr) + 0x123n]);
    const doc = listJson([...base, 'translate', ...vas.map((v) => `0x${v.toString(16)}`), '0x5000']);
    const got = doc.translations as { vaddr: string; mapped: boolean; paddr?: string; pageSize?: string }[];
    for (let i = 0; i < vas.length; i++) {
      const run = runs[i >> 1]!;
      const off = vas[i]! - BigInt(run.vaddr);
      expect(got[i]).toMatchObject({ mapped: true, paddr: `0x${(BigInt(run.paddr) + off).toString(16)}`, pageSize: `0x${run.pageSize.toString(16)}` });
    }
    expect(got[vas.length]).toMatchObject({ vaddr: '0x5000', mapped: false });
    // text form: one result line per address, then the entries read
    const text = runCli([...base, 'translate', runs[0]!.vaddr]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${runs[0]!.vaddr.replace('0x', '')} -> `);
  });
});

describe('loongarch64 with 16 KiB and 64 KiB pages: the geometry read from PWCL / PWCH', () => {
  const la64 = ARCHES.find((a) => a.name === 'loongarch64')!;
  const TOP = 1n << 64n;
  /** A table per half (fewer than 48 bits), or one for both, with windows at both ends of each half. */
  const setup = (pageKiB: 16 | 64, levels: number, bits: bigint): RandomSetup => {
    const split = bits < 48n;
    const half = split ? bits : 47n;
    const huge = 1n << (BigInt(Math.log2(pageKiB * 1024)) * 2n - 3n);
    const size = 4n * huge;
    return {
      base: 0x20_0000n,
      tables: (m) =>
        split
          ? [new LA64PageTable(m, { pageKiB, levels }), new LA64PageTable(m, { pageKiB, levels, half: 'upper' })]
          : [new LA64PageTable(m, { pageKiB, levels })],
      windows: [
        { base: 0n, size, table: 0 },
        { base: (1n << half) - size, size, table: 0 },
        { base: TOP - (1n << half), size, table: split ? 1 : 0 },
        { base: TOP - size, size, table: split ? 1 : 0 },
      ],
      huge: [huge],
      page: BigInt(pageKiB * 1024),
      paLimit: 1n << 40n,
      registers: (t) => {
        const csr = encodeLA64Registers(t[0] as LA64PageTable, (t[1] ?? t[0]) as LA64PageTable);
        return { pgdl: csr.pgdl, pgdh: csr.pgdh, pwcl: csr.pwcl, pwch: csr.pwch };
      },
    };
  };
  const setups: [string, RandomSetup, string][] = [
    ['16 KiB, 3 levels', setup(16, 3, 47n), 'LoongArch64 3-level, 16 KiB pages'],
    ['64 KiB, 2 levels', setup(64, 2, 42n), 'LoongArch64 2-level, 64 KiB pages'],
    ['64 KiB, 3 levels', setup(64, 3, 55n), 'LoongArch64 3-level, 64 KiB pages'],
  ];

  it.each(setups)('%s: random tables round trip through a raw image', (_name, s, format) => {
    let listed = 0;
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { memory, tables } = randomTables(s, seed);
        const regs = s.registers(tables);
        const path = file('bin');
        writeFileSync(path, memory.bytes());
        const doc = listJson(['--arch', 'loongarch64', '--base', String(memory.base), ...registerArgs({ registers: regs, switches: {} }), path, '--quiet']);
        expect(doc.format).toBe(format);
        expect(listedRuns(doc)).toEqual(expectedRuns(la64, tables, regs));
        listed += listedRuns(doc).length;
        expect(doc.summary.diagnostics).toBe(0);
        expect(doc.summary.tables.reduce((a: number, b: number) => a + b, 0)).toBe(tables.reduce((a, t) => a + t.tableCount(), 0));
      }),
      { numRuns: 6 },
    );
    expect(listed).toBeGreaterThan(6);
  });
});

describe('arm with long descriptors (TTBCR.EAE = 1): Linux\'s split and MAIR pair', () => {
  const arm = ARCHES.find((a) => a.name === 'arm')!;
  const split = { t0sz: 0, t1sz: 2, mair0: 0xeeaa_4400, mair1: 0xff00_0004 };
  const setup: RandomSetup = {
    base: 0x4020_0000n,
    tables: (m) => [new A32LpaePageTable(m, split), new A32LpaeTtbr1PageTable(m, split)],
    windows: [
      { base: 0n, size: G, table: 0 },
      { base: 0x8000_0000n, size: G, table: 0 },
      { base: 0xc000_0000n, size: G, table: 1 },
    ],
    // 2 MiB Blocks (runs of up to three 1 GiB Blocks do not fit these 1 GiB windows; a level 1 Block is dumped
    // through the plan in packages/arm/test/registers.test.ts)
    huge: [M2],
    paLimit: 1n << 40n,
    registers: ([u, k]) => ({ ttbr0: u!.rootPaddr, ttbr1: k!.rootPaddr, ttbcr: 0xb502_3500n, mair0: 0xeeaa_4400n, mair1: 0xff00_0004n }),
  };

  it('random tables round trip through a raw image: TTBR0 from level 1, TTBR1 from level 2, 40-bit addresses', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { memory, tables } = randomTables(setup, seed);
        const regs = setup.registers(tables);
        const path = file('bin');
        writeFileSync(path, memory.bytes());
        const doc = listJson(['--arch', 'arm', '--base', String(memory.base), ...registerArgs({ registers: regs, switches: {} }), path, '--quiet']);
        expect(doc.format).toMatch(/long-descriptor/);
        expect(listedRuns(doc)).toEqual(expectedRuns(arm, tables, regs));
        expect(doc.summary.diagnostics).toBe(0);
        expect(doc.summary.tables.reduce((a: number, b: number) => a + b, 0)).toBe(tables.reduce((a, t) => a + t.tableCount(), 0));
      }),
      { numRuns: 8 },
    );
  });
});

describe('riscv64 G-stage tables (--hgatp): guest-physical addresses to host-physical', () => {
  const riscv = ARCHES.find((a) => a.name === 'riscv64')!;
  const gstage = (make: (m: PhysicalMemory) => PageTable64, mode: bigint, bits: bigint, huge: bigint[]): RandomSetup => ({
    base: 0x8000_0000n,
    tables: (m) => [make(m)],
    // both ends of the guest-physical space: the root's first and last entries (index 2047 needs the two extra bits)
    windows: [
      { base: 0n, size: 4n * G, table: 0 },
      { base: (1n << bits) - 4n * G, size: 4n * G, table: 0 },
    ],
    huge,
    paLimit: 1n << 40n,
    registers: ([t]) => ({ hgatp: (mode << 60n) | (t!.rootPaddr >> 12n) }),
  });
  const setups: [string, RandomSetup][] = [
    ['Sv39x4', gstage((m) => new Sv39x4PageTable(m), 8n, 41n, [M2, G])],
    ['Sv48x4', gstage((m) => new Sv48x4PageTable(m), 9n, 50n, [M2, G])],
    ['Sv57x4', gstage((m) => new Sv57x4PageTable(m), 10n, 59n, [M2, G])],
  ];

  it.each(setups)('%s: random tables round trip through a raw image', (name, setup) => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { memory, tables } = randomTables(setup, seed);
        const regs = setup.registers(tables);
        const path = file('bin');
        writeFileSync(path, memory.bytes());
        const doc = listJson(['--arch', 'riscv64', '--base', String(memory.base), ...registerArgs({ registers: regs, switches: {} }), path, '--quiet']);
        expect(doc.format).toBe(name);
        expect(listedRuns(doc)).toEqual(expectedRuns(riscv, tables, regs));
        expect(doc.summary.diagnostics).toBe(0);
      }),
      { numRuns: 6 },
    );
  });

  it('translates a guest-physical address in the root\'s last entry, and reports a leaf without U', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const table = new Sv39x4PageTable(memory);
    const cursor = table.cursor();
    cursor.map(0x1ff_c020_0000n, 0x8040_0000n, 0x20_0000, MappingFlags.READ | MappingFlags.WRITE);
    cursor.map(0x1000n, 0x8010_0000n, 0x1000, MappingFlags.READ);
    cursor.flush();
    const regs = ['--hgatp', `0x${((8n << 60n) | (table.rootPaddr >> 12n)).toString(16)}`];
    const write = (): string => {
      const path = file('bin');
      writeFileSync(path, memory.bytes());
      return path;
    };
    const clean = ['--arch', 'riscv64', '--base', '0x80000000', ...regs, write()];
    const doc = listJson([...clean, 'translate', '0x1ffc0234567']);
    expect(doc.translations[0]).toMatchObject({ mapped: true, paddr: '0x80434567', pageSize: '0x200000' });
    expect(listJson(clean).summary.diagnostics).toBe(0);
    // clear U in the 4K leaf behind the table's back: no guest access can use it, and ptdump says so
    let leaf = -1n;
    table.walk(3, (level, _index, va, bits) => {
      if (level === 2 && va === 0x1000n) leaf = bits;
    });
    const words = new BigUint64Array(memory.bytes().slice().buffer);
    const at = words.indexOf(leaf);
    expect(at).toBeGreaterThanOrEqual(0);
    memory.writeU64(memory.base + BigInt(at * 8), leaf & ~PTEFlags.U);
    const corrupt = listJson(['--arch', 'riscv64', '--base', '0x80000000', ...regs, write()]);
    expect(corrupt.summary.diagnostics).toBe(1);
  });

  it('Sv32x4 (--arch riscv32 --hgatp): random tables round trip, guest-physical addresses above 4 GiB included', () => {
    const riscv32 = ARCHES.find((a) => a.name === 'riscv32')!;
    const setup: RandomSetup = {
      base: 0x8000_0000n,
      tables: (m) => [new Sv32x4PageTable(m)],
      windows: [
        { base: 0n, size: G, table: 0 },
        { base: (1n << 34n) - G, size: G, table: 0 },
      ],
      huge: [2n * M2],
      paLimit: 1n << 34n,
      registers: ([t]) => ({ hgatp: (1n << 31n) | (t!.rootPaddr >> 12n) }),
    };
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { memory, tables } = randomTables(setup, seed);
        const regs = setup.registers(tables);
        const path = file('bin');
        writeFileSync(path, memory.bytes());
        const doc = listJson(['--arch', 'riscv32', '--base', String(memory.base), ...registerArgs({ registers: regs, switches: {} }), path, '--quiet']);
        expect(doc.format).toBe('Sv32x4');
        expect(listedRuns(doc)).toEqual(expectedRuns(riscv32, tables, regs));
        expect(doc.summary.diagnostics).toBe(0);
      }),
      { numRuns: 6 },
    );
  });

  it('--svnapot reads NAPOT pages: the Svnapot form of the satp format, refused with --hgatp and with --xuantie', () => {
    const riscv = ARCHES.find((a) => a.name === 'riscv64')!;
    const plan = riscv.decode({ satp: (8n << 60n) | 0x80201n }, { svnapot: true });
    expect(plan).not.toBeInstanceOf(RegisterError);
    expect((plan as Exclude<typeof plan, RegisterError>).format.name).toBe('Sv39 (Svnapot)');
    expect((plan as Exclude<typeof plan, RegisterError>).format.meta.runBits).toEqual([0, 0, 4]);
    expect(riscv.decode({ hgatp: 8n << 60n }, { svnapot: true })).toBeInstanceOf(RegisterError);
    expect(riscv.decode({ satp: 8n << 60n }, { svnapot: true, xuantie: true })).toBeInstanceOf(RegisterError);
  });

  it('refuses --satp with --hgatp, --xuantie with --hgatp, and a root that is not 16 KiB aligned', () => {
    expect(riscv.decode({ satp: 8n << 60n, hgatp: 8n << 60n }, {})).toBeInstanceOf(RegisterError);
    expect(riscv.decode({ hgatp: 8n << 60n }, { xuantie: true })).toBeInstanceOf(RegisterError);
    const r = runCli(['--arch', 'riscv64', '--hgatp', '0x8000000000080201', '--base', '0x80000000', file('bin')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not 16 KiB aligned/);
  });
});

describe('aarch64 stage 2 tables (--vtcr, --vttbr): IPAs to physical addresses', () => {
  const aarch64 = ARCHES.find((a) => a.name === 'aarch64')!;
  const stage2 = (make: (m: PhysicalMemory) => A64Stage2PageTable, ipaBits: bigint, huge: bigint[], page = 0x1000n): RandomSetup => ({
    base: 0x4000_0000n,
    page,
    // stage 2 refuses USER
    flagSets: FLAG_SETS.filter((f) => (f & MappingFlags.USER) === 0),
    tables: (m) => [make(m)],
    // both ends of the IPA space: the first and the last entries of a concatenated root
    windows: [
      { base: 0n, size: 4n * G, table: 0 },
      { base: (1n << ipaBits) - 4n * G, size: 4n * G, table: 0 },
    ],
    huge,
    paLimit: 1n << 40n,
    registers: ([t]) => {
      const r = encodeA64Stage2Registers(t as A64Stage2PageTable, { vmid: 3 });
      return { vtcr: r.vtcr, vttbr: r.vttbr };
    },
  });
  const setups: [string, RandomSetup][] = [
    ['4K/40, level 1, 2 concatenated tables', stage2((m) => new A64Stage2PageTable4K40(m), 40n, [M2, G])],
    ['16K/38, level 2, 4 concatenated tables', stage2((m) => new A64Stage2PageTable(m, { granule: 16, ipaBits: 38 }), 38n, [32n << 20n], 0x4000n)],
    ['64K/42, level 2, one table', stage2((m) => new A64Stage2PageTable(m, { granule: 64, ipaBits: 42 }), 42n, [512n << 20n], 0x1_0000n)],
  ];

  it.each(setups)('%s: random tables round trip through a raw image', (_name, setup) => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { memory, tables } = randomTables(setup, seed);
        const regs = setup.registers(tables);
        const path = file('bin');
        writeFileSync(path, memory.bytes());
        const doc = listJson(['--arch', 'aarch64', '--base', String(memory.base), ...registerArgs({ registers: regs, switches: {} }), path, '--quiet']);
        expect(doc.format).toMatch(/^AArch64 stage 2/);
        expect(listedRuns(doc)).toEqual(expectedRuns(aarch64, tables, regs));
        expect(doc.summary.diagnostics).toBe(0);
      }),
      { numRuns: 6 },
    );
  });

  it('lists S2AP and the stage 2 memory type, and translates an IPA in the root\'s last entry', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const table = new A64Stage2PageTable4K40(memory);
    const cursor = table.cursor();
    cursor.map(0xff_c000_0000n, 0x8000_0000n, 0x4000_0000, MappingFlags.READ | MappingFlags.WRITE);
    cursor.map(0x0900_0000n, 0x0900_0000n, 0x1000, MappingFlags.WRITE | MappingFlags.DEVICE);
    cursor.flush();
    const regs = encodeA64Stage2Registers(table);
    const path = file('bin');
    writeFileSync(path, memory.bytes());
    const args = ['--arch', 'aarch64', '--base', '0x40000000', '--vtcr', `0x${regs.vtcr.toString(16)}`, '--vttbr', `0x${regs.vttbr.toString(16)}`, path];
    const doc = listJson(args);
    const runs = doc.records.filter((e: { kind: string }) => e.kind === 'mapping');
    expect(runs.map((r: { attrs: string }) => r.attrs)).toEqual(['PAGE Dev-nGnRE S2AP=WO NSH AF XN', 'BLOCK WB S2AP=RW ISH AF XN']);
    expect(listJson([...args, 'translate', '0xffc0123456']).translations[0]).toMatchObject({ mapped: true, paddr: '0x80123456', pageSize: '0x40000000' });
  });

  it('refuses a stage 2 option beside a stage 1 one, and one without the other', () => {
    expect(aarch64.decode({ vtcr: 0x8005_3558n, vttbr: 0x4000_0000n, ttbr0: 0x4000_0000n }, {})).toBeInstanceOf(RegisterError);
    expect(aarch64.decode({ vtcr: 0x8005_3558n, vttbr: 0x4000_0000n }, { el2: true })).toBeInstanceOf(RegisterError);
    expect((aarch64.decode({ vtcr: 0x8005_3558n }, {}) as RegisterError).code).toBe('Missing');
  });

  it('a root larger than the chunks it reads (16 concatenated 16 KiB or 64 KiB tables: 256 KiB, 1 MiB) is read whole', () => {
    for (const [make, page] of [
      [(m: PhysicalMemory) => new A64Stage2PageTable16K40(m), 0x4000],
      [(m: PhysicalMemory) => new A64Stage2PageTable(m, { granule: 64, ipaBits: 46 }), 0x1_0000],
    ] as const) {
      const memory = new PhysicalMemory({ size: 4 << 20, base: 0x4000_0000n });
      const table = make(memory);
      const { ipaBits } = table.format.geometry;
      const cursor = table.cursor();
      // the root's first and last entries, each in another chunk of the root
      cursor.map(0n, 0x8000_0000n, page, MappingFlags.READ);
      cursor.map((1n << BigInt(ipaBits)) - BigInt(page), 0x9000_0000n, page, MappingFlags.READ | MappingFlags.WRITE);
      cursor.flush();
      const regs = encodeA64Stage2Registers(table);
      const path = file('bin');
      writeFileSync(path, memory.bytes());
      const args = ['--arch', 'aarch64', '--base', '0x40000000', '--vtcr', `0x${regs.vtcr.toString(16)}`, '--vttbr', `0x${regs.vttbr.toString(16)}`, path];
      const doc = listJson(args);
      expect(doc.summary.diagnostics).toBe(0);
      const runs = doc.records.filter((e: { kind: string }) => e.kind === 'mapping');
      expect(runs.map((r: { paddr: string }) => r.paddr)).toEqual(['0x80000000', '0x90000000']);
      expect(listJson([...args, 'translate', `0x${((1n << BigInt(ipaBits)) - 16n).toString(16)}`]).translations[0]).toMatchObject({ mapped: true, paddr: `0x${(0x9000_0000 + page - 16).toString(16)}` });
    }
  });
});
