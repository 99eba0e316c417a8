// Opening memory dumps: raw images and ELF cores made from ptdump's samples list exactly what the samples list, read
// through the registers as QEMU prints them; only the tables are read from a large file; malformed headers and
// registers are refused with a message.
import { MappingFlags, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import { X64PageTable5 } from '@page-table-multiarch/x86_64';
import { ARCHES } from '@page-table-multiarch/cli/samples';
import { describe, expect, it } from 'vitest';
import { filterRuns } from '../src/app/filter';
import { approxSize, runLine } from '../src/app/format';
import { MAX_HEIGHT, ROW, rowWindow, spacerHeight } from '../src/app/rows';
import type { Opened } from '../src/shared/protocol';
import { parseRegisters } from '../src/shared/registers';
import { imageSource, readRuns, sampleSource, walkAddress } from '../src/worker/engine';
import { elfLayout } from '../src/worker/image';
import { arraySource, elfCore, qemuRegisters, sampleImage, W9_RUNS, w9Image } from './_dumps';

const lines = (o: Opened) => Array.from({ length: o.runs.count }, (_, i) => runLine(o, i));
const request = (arch: string, registers: string, base = '', format: 'auto' | 'raw' | 'elf' = 'auto') =>
  ({ type: 'open-file', file: undefined as unknown as File, arch, registers, base, format }) as const;

describe('opening dumps', () => {
  for (const spec of ARCHES) {
    it(`${spec.name}: an ELF core and a raw image of the sample list what the sample lists`, () => {
      const { sample, image, base } = sampleImage(spec.name);
      const expected = lines(readRuns(sampleSource(spec.name)));
      const regs = qemuRegisters(sample);
      const elf = readRuns(imageSource(arraySource(elfCore(image, base, spec.name, spec.addrDigits === 8)), 'core.elf', request('auto', regs)));
      expect(elf.arch).toBe(spec.name); // from e_machine
      expect(elf.title).toMatch(/^core\.elf \(ELF(32|64) core, 2 segments, \d+ bytes\)$/);
      expect(lines(elf)).toEqual(expected);
      const raw = readRuns(imageSource(arraySource(image), 'ram.bin', request(spec.name, regs, base.toString(16), 'raw')));
      expect(lines(raw)).toEqual(expected);
      expect(raw.sample).toBe(false);
    });
  }

  it('reads a 5-level dump (CR4.LA57): two halves of 2^56 bytes, an upper-half page walked through five levels', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000 });
    const table = new X64PageTable5(memory);
    const c = table.cursor();
    c.map(0xff00_0000_0000_0000n, 0x20_0000n, 4096, MappingFlags.READ | MappingFlags.WRITE);
    c.map(0x00ff_ffff_ffff_f000n, 0x30_0000n, 4096, MappingFlags.READ | MappingFlags.USER);
    c.flush();
    const regs = `CR3=${table.rootPaddr.toString(16)} CR4=1020 EFER=d01`;
    const src = imageSource(arraySource(memory.bytes()), 'la57.bin', request('x86_64', regs, '100000'));
    const o = readRuns(src);
    expect(o.format).toBe('x86_64 5-level (LA57)');
    expect(o.roots.map((r) => [r.vaStart, r.vaEnd, r.pages])).toEqual([
      ['0x0', '0x100000000000000', 2 ** 44],
      ['0xff00000000000000', '0x10000000000000000', 2 ** 44],
    ]);
    expect(o.runs.count).toBe(2);
    expect(Array.from(o.runs.start)).toEqual([2 ** 44 - 1, 0]);
    const w = walkAddress(src, 1, '0xff00000000000123');
    expect([w.mapped, w.paddr, w.steps.length, w.steps[0]!.levelName, w.steps[0]!.vaBits]).toEqual([true, '0x200123', 5, 'PML5', [56, 48]]);
  });

  it('reports a table pointer that leaves the dump where it is, lists the rest, and walks to it without throwing', () => {
    const { sample, image, base } = sampleImage('x86_64');
    const bad = image.slice();
    const root = Number(sample.registers['cr3']! - base);
    // PML4[3]: present, writable, pointing at 0x7ffff000, outside the 1 MiB image (Intel SDM Vol. 3A Table 4-15)
    new DataView(bad.buffer).setUint32(root + 3 * 8, 0x7fff_f003, true);
    const src = imageSource(arraySource(bad), 'bad.bin', request('x86_64', qemuRegisters(sample), base.toString(16)));
    const o = readRuns(src);
    expect(o.diagnostics.map((d) => [d.code, d.vaddr])).toEqual([['OutsideMemory', '0x18000000000']]);
    expect(o.runs.count).toBe(readRuns(sampleSource('x86_64')).runs.count);
    const w = walkAddress(src, 1, '0x18000001000');
    expect([w.mapped, w.steps.length]).toEqual([false, 1]);
    expect(w.reason).toMatch(/PML4\[3\]: table at 0x7ffff000 .* not inside the memory/);
  });

  it('reads only the tables of a large image', () => {
    const { sample, image, base } = sampleImage('x86_64');
    const big = arraySource(image, 1 << 30); // claims 1 GiB
    const o = readRuns(imageSource(big, 'big.bin', request('x86_64', qemuRegisters(sample), `0x${base.toString(16)}`)));
    expect(o.runs.count).toBe(readRuns(sampleSource('x86_64')).runs.count);
    expect(big.bytesRead).toBeLessThanOrEqual(2 << 20);
  });

  it('lists a W9-like dump (its first 262,144 pages: 16,384 runs), alternating RW NX and ro x, none of them W+X', () => {
    // the whole W9 dump is opened in the browser test; here a sixteenth of it keeps the Node run short
    const runs = W9_RUNS / 16;
    const o = readRuns(imageSource(arraySource(w9Image(runs * 16)), 'w9.bin', request('x86_64', 'CR3=0 CR4=20 EFER=d01')));
    expect(o.runs.count).toBe(runs);
    expect(o.audit.wx).toBe(0);
    expect(runLine(o, 0).split(/\s+/).slice(0, 7)).toEqual(['0x0000000000000000-0x0000000000010000', '64K', '4K', 'RW', 'NX', '->', '0x0000000000000000']);
    expect(runLine(o, 1).split(/\s+/).slice(0, 7)).toEqual(['0x0000000000010000-0x0000000000020000', '64K', '4K', 'ro', 'x', '->', '0x0000000000010000']);
    // the listing's filters over it: writable runs are every other one; a range holds the runs it touches
    const any = { from: '', to: '', write: 'any', exec: 'any', user: 'any', device: 'any', audit: false } as const;
    expect(filterRuns(o, { ...any, write: 'yes' }).length).toBe(runs / 2);
    expect(filterRuns(o, { ...any, write: 'yes', exec: 'yes' }).length).toBe(0);
    expect(Array.from(filterRuns(o, { ...any, from: '0x18000', to: '0x40000' }))).toEqual([1, 2, 3]);
    expect(() => filterRuns(o, { ...any, from: 'start' })).toThrow(RangeError);
  });

  it('refuses malformed ELF headers with what is wrong', () => {
    const { image, base } = sampleImage('riscv64');
    const core = elfCore(image, base, 'riscv64');
    expect(() => elfLayout(arraySource(core.subarray(0, 40)))).toThrow(/cut short/);
    const noLoad = core.slice();
    new DataView(noLoad.buffer).setUint32(64 + 56, 4, true);
    new DataView(noLoad.buffer).setUint32(64 + 112, 4, true);
    expect(() => elfLayout(arraySource(noLoad))).toThrow(/no PT_LOAD/);
    const past = core.slice();
    new DataView(past.buffer).setBigUint64(64 + 56 + 32, 1n << 40n, true); // filesz of segment 1
    new DataView(past.buffer).setBigUint64(64 + 56 + 40, 1n << 40n, true);
    expect(() => elfLayout(arraySource(past))).toThrow(/past the end of the file/);
    const tooMuch = core.slice();
    new DataView(tooMuch.buffer).setBigUint64(64 + 56 + 32, 8192n, true);
    new DataView(tooMuch.buffer).setBigUint64(64 + 56 + 40, 4096n, true);
    expect(() => elfLayout(arraySource(tooMuch))).toThrow(/more file bytes/);
  });

  it('refuses registers that do not describe tables, and a raw base that is not page-aligned', () => {
    const { image, base } = sampleImage('x86_64');
    expect(() => imageSource(arraySource(image), 'a', request('x86_64', 'CR4=20', base.toString(16)))).toThrow(RegisterError);
    expect(() => imageSource(arraySource(image), 'a', request('riscv64', 'satp 0000000000000000', base.toString(16)))).toThrow(/satp|Bare/);
    expect(() => imageSource(arraySource(image), 'a', request('x86_64', 'CR3=100000', '0x100010'))).toThrow(/not a multiple of 4 KiB/);
    expect(() => imageSource(arraySource(image), 'a', request('auto', 'CR3=100000', '0'))).toThrow(/choose the architecture/);
    expect(() => imageSource(arraySource(image), 'a', request('x86_64', 'CR3=100000', 'ram'))).toThrow(RangeError);
    expect(() => imageSource(arraySource(image), 'a', request('x86_64', 'CR3=7000000', base.toString(16)))).toThrow(/CR3 \(lower half\): root table 0x7000000 .* outside the memory/);
  });
});

describe('approxSize', () => {
  it('writes exact sizes in their unit and others to one decimal', () => {
    expect([approxSize(1n << 47n), approxSize(3n << 20n), approxSize((1n << 47n) - (1n << 40n) * 3n / 2n), approxSize(100n)]).toEqual(['128T', '3M', '126.5T', '100B']);
  });
});

describe('parseRegisters', () => {
  it("reads QEMU's info registers, gdb's lines and ptdump's options", () => {
    const qemu = 'CR0=80050033 CR2=00007f1234567000 CR3=0000000001a2b000 CR4=003606f0\nEFER=0000000000000d01';
    expect(parseRegisters(qemu, ['cr3', 'cr4', 'efer', 'cr0'], [])).toEqual({
      values: { cr3: 0x1a2b000n, cr4: 0x3606f0n, efer: 0xd01n, cr0: 0x8005_0033n },
      switches: {},
    });
    const gdb = 'TTBR0_EL1      0x1000040200000\t281475513548800\nTTBR1_EL1 0x40207000\nTCR_EL1: 0x5b5103510';
    expect(parseRegisters(gdb, ['ttbr0', 'ttbr1', 'tcr'], ['el2']).values).toEqual({ ttbr0: 0x1000040200000n, ttbr1: 0x40207000n, tcr: 0x5b5103510n });
    expect(parseRegisters('TTBR0_EL2 0x1000 TCR_EL2 0x10', ['ttbr0', 'tcr'], ['el2']).switches).toEqual({ el2: true });
    expect(parseRegisters(' satp     8000000000080201', ['satp'], ['xuantie'])).toEqual({ values: { satp: 0x8000000000080201n }, switches: { xuantie: false } });
    expect(parseRegisters('--satp 0x8000_0000_0008_0201 --xuantie', ['satp'], ['xuantie'])).toEqual({ values: { satp: 0x8000000000080201n }, switches: { xuantie: true } });
    expect(parseRegisters('--ttbr0 0x4020004a --kernel-start 0xbf000000', ['ttbr0', 'kernel-start'], []).values).toEqual({ ttbr0: 0x4020004an, 'kernel-start': 0xbf000000n });
    // XCR3 is not CR3; a name alone is not a value
    expect(parseRegisters('XCR3=5 CR3', ['cr3'], []).values).toEqual({});
  });

  it('refuses a value wider than 64 bits', () => {
    expect(() => parseRegisters('CR3=1_0000_0000_0000_0000', ['cr3'], [])).toThrow(RangeError);
  });
});

describe('rowWindow: the listing rows in view', () => {
  const view = 400; // px, the listing's height
  it('places rows by their index below the height cap, with a few rows around the view', () => {
    expect(spacerHeight(W9_RUNS)).toBe(W9_RUNS * ROW);
    expect(rowWindow(W9_RUNS, 0, view)).toEqual({ first: 0, end: 31, top: 0 });
    const mid = rowWindow(W9_RUNS, 131_072 * ROW, view);
    expect(mid).toEqual({ first: 131_064, end: 131_072 + 23 + 8, top: 131_064 * ROW });
  });

  it('scales the scroll position past the cap: the top shows the first row, the bottom the last', () => {
    const rows = 8_388_608; // 8.4 million runs: 151 million pixels at 18 px a row
    expect(spacerHeight(rows)).toBe(MAX_HEIGHT);
    expect(rowWindow(rows, 0, view)).toEqual({ first: 0, end: 24, top: 0 });
    const bottom = rowWindow(rows, MAX_HEIGHT - view, view);
    expect([bottom.first, bottom.end, bottom.top]).toEqual([rows - 23, rows, MAX_HEIGHT - view]);
    const half = rowWindow(rows, (MAX_HEIGHT - view) / 2, view);
    expect(Math.abs(half.first - rows / 2)).toBeLessThan(16);
    expect(half.end - half.first).toBe(24);
  });
});
