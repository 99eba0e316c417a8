// --find-roots on synthetic dumps: an embedded sample's tables at their physical addresses inside a larger raw image,
// among seeded noise: random pages, zero pages, and decoy tables whose few entries point at random frames of the
// dump. The sample's root must rank first, in its own format; noise alone gives no candidate.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archByName } from '@page-table-multiarch/cli';
import { RegisterError } from '@page-table-multiarch/core';
import { afterAll, describe, expect, it } from 'vitest';
import { SCAN_KEEP, scoreOf } from '../src/_root-finder';
import { rng } from './_hostile';
import { jsonDocument, runCli, tempDir } from './_support';

const tmp = tempDir();
afterAll(() => tmp.remove());

/** The seed of the noise (FIND_ROOTS_SEED replays another): the dumps are the same on every run. */
const SEED = Number(process.env['FIND_ROOTS_SEED'] ?? 20_261_206);
/** A generator of numbers in [0, 1) from a seed. */
const uniform = (seed: number): (() => number) => {
  const next = rng(seed);
  return () => next() / 2 ** 32;
};

const PAD = 0x8_0000; // 512 KiB of noise on each side of the sample's memory

/** Which register of the sample holds the kernel's root, and how to get the address out of it. */
const CASES = [
  { arch: 'x86_64', root: (r: Record<string, bigint>) => r['cr3']!, format: 'x86_64 4-level' },
  { arch: 'aarch64', root: (r: Record<string, bigint>) => r['ttbr1']!, format: 'AArch64 EL1&0, 4 KiB granule' },
  { arch: 'riscv64', root: (r: Record<string, bigint>) => (r['satp']! & ((1n << 44n) - 1n)) << 12n, format: 'Sv39' },
];

/**
 * The sample's memory with PAD bytes of noise before and after it: a raw image whose first byte is at
 * sample base - PAD. Noise frames are, in turn, random bytes, decoy tables of the sample's format whose entries
 * point at random or zero frames of the noise before the sample, and zeros.
 */
function noisyDump(arch: string, seed: number, crowd = 0): { path: string; base: bigint; root: bigint } {
  const spec = archByName(arch)!;
  const sample = spec.sample();
  const c = CASES.find((k) => k.arch === arch)!;
  const plan = spec.decode(sample.registers, sample.switches);
  if (plan instanceof RegisterError) throw plan;
  const pte = plan.format.pte;
  const base = sample.memory.base - BigInt(PAD);
  const inner = sample.memory.bytes();
  const bytes = new Uint8Array(PAD + inner.length + PAD + crowd * 4096);
  bytes.set(inner, PAD);
  const view = new DataView(bytes.buffer);
  const random = uniform(seed);
  // the noise frames (the crowd's come after them)
  const frames = (PAD + inner.length + PAD) / 4096;
  for (let f = 0; f < frames; f++) {
    const at = f * 4096;
    if (at >= PAD && at < PAD + inner.length) continue;
    const kind = f % 3;
    if (kind === 0) for (let i = 0; i < 4096; i++) bytes[at + i] = Math.floor(random() * 256);
    else if (kind === 1) {
      // a decoy table: a few entries in both halves, each pointing at a noise frame (random or zero) of the dump
      for (const i of [1, 7, 300, 301, 400, 510]) {
        const noise = Math.floor(random() * Math.floor(PAD / 4096 / 3)) * 3 + (random() < 0.5 ? 0 : 2);
        view.setBigUint64(at + 8 * i, pte.newTable(base + BigInt(noise * 4096), 0), true);
      }
    }
    // kind 2: zeros
  }
  // `crowd` frames after the noise, each with 300 entries that point at random frames of the noise before the
  // sample: more candidates, with more entries, than the scan keeps, that only the level below tells from a root
  const end = PAD + inner.length + PAD;
  for (let k = 0; k < crowd; k++) {
    for (let i = 0; i < 300; i++) {
      const noise = Math.floor(random() * Math.floor(PAD / 4096 / 3)) * 3;
      view.setBigUint64(end + k * 4096 + 8 * i, pte.newTable(base + BigInt(noise * 4096), 0), true);
    }
  }
  const path = join(tmp.dir, `${arch}-${seed}.bin`);
  writeFileSync(path, bytes);
  return { path, base, root: c.root(sample.registers) };
}

describe.each(CASES)('--find-roots: $arch', ({ arch, format }) => {
  it('ranks the sample\'s root first among noise, decoy tables and the sample\'s own lower tables', () => {
    const { path, base, root } = noisyDump(arch, SEED);
    const r = runCli(['--arch', arch, '--base', `0x${base.toString(16)}`, '--find-roots', '--json', path]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = jsonDocument(r.stdout);
    const [best, ...rest] = doc.candidates;
    expect(best.root, `seed ${SEED}`).toBe(`0x${root.toString(16)}`);
    expect(best.format).toBe(format);
    expect(best.badTables).toBe(0);
    expect(best.score).toBe(scoreOf(best));
    for (const c of rest) expect(c.score).toBeLessThanOrEqual(best.score);
    // the options it prints list the same mappings as the sample's own registers
    const options = Object.entries(best.registers as Record<string, string>).flatMap(([k, v]) => [`--${k}`, v]);
    const listed = runCli(['--arch', arch, '--base', `0x${base.toString(16)}`, ...options, path]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('diagnostics: 0');
  });

  it(`keeps the root among more than ${SCAN_KEEP} fuller candidates whose entries point at data`, () => {
    const { path, base, root } = noisyDump(arch, SEED + 3, SCAN_KEEP + 200);
    const r = runCli(['--arch', arch, '--base', `0x${base.toString(16)}`, '--find-roots', '--json', path]);
    expect(r.code).toBe(0);
    expect(jsonDocument(r.stdout).candidates[0].root).toBe(`0x${root.toString(16)}`);
  }, 20_000);

  it('prints the ranking as text, with the options that select each candidate', () => {
    const { path, base, root } = noisyDump(arch, SEED + 1);
    const r = runCli(['--arch', arch, '--base', `0x${base.toString(16)}`, '--find-roots', path]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^ptdump: candidate roots \\(${arch}\\) in .*raw image`));
    expect(lines[1]).toMatch(/^rank score +root +format/);
    expect(lines[2]).toMatch(new RegExp(`^ +1 +\\d+ +0x${root.toString(16)} +${format.replace(/[()]/g, '\\$&')} .* --`));
  });

  it('finds nothing in noise alone: exit status 3 and a warning', () => {
    const random = uniform(SEED + 2);
    const bytes = new Uint8Array(1 << 20);
    for (let i = 0; i < bytes.length; i += 2) bytes[i] = Math.floor(random() * 256);
    const path = join(tmp.dir, `noise-${arch}.bin`);
    writeFileSync(path, bytes);
    const r = runCli(['--arch', arch, '--find-roots', path]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/warning: no candidate root/);
  });
});

describe('--find-roots refuses what it cannot use', () => {
  it('needs a dump, takes no registers or translate, and knows its architectures', () => {
    expect(runCli(['--find-roots']).stderr).toMatch(/--find-roots needs a DUMP file/);
    const path = join(tmp.dir, 'small.bin');
    writeFileSync(path, new Uint8Array(8192));
    expect(runCli(['--arch', 'x86_64', '--cr3', '0x1000', '--find-roots', path]).stderr).toMatch(/--cr3 cannot be given with it/);
    expect(runCli(['--arch', 'x86_64', '--find-roots', path, 'translate', '0x1000']).stderr).toMatch(/translate cannot be given with it/);
    expect(runCli(['--arch', 'arm', '--find-roots', path]).stderr).toMatch(/no root formats known for arm/);
    expect(runCli(['--find-roots', path]).stderr).toMatch(/--arch is required for a raw image/);
  });
});
