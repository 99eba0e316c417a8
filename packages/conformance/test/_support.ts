// What every conformance test file shares: finding QEMU (or saying clearly why the tests skip), the seed,
// and the report of one run.
import { hex } from '@page-table-multiarch/core';
import { describe, expect } from 'vitest';
import { countKinds, currentQemuDir, findCurrentQemu, findKernel, findQemu, kernelDir, kernelVersion, parseInAsm, qemuVersion, type RunResult } from '../src/index';

/** The seed of the random tables: CONFORMANCE_SEED, or a fixed default so that runs are reproducible. */
export const SEED: number = Number(process.env['CONFORMANCE_SEED'] ?? 20_240_601);

/** Addresses translated per table (the issue asks for at least 1,000). */
export const SAMPLES = 1200;

/** Whether this is a CI run (CI=true), where a missing QEMU is a failure, not a skip (.ci/run installs it). */
const IN_CI = process.env['CI'] === 'true' || process.env['CI'] === '1';

/** A QEMU system emulator, or why there is none. */
export interface Emulator {
  /** Skip the tests: QEMU is absent and this is not CI. */
  readonly skip: boolean;
  /** Title of the describe block: the QEMU version, or the reason for skipping (or failing). */
  readonly title: string;
  /** The emulator's path; throws, saying why, when it is absent (under CI=true). */
  readonly binary: () => string;
}

function found(path: string): Emulator {
  return { skip: false, title: qemuVersion(path), binary: () => path };
}

function absent(why: string): Emulator {
  if (!IN_CI) console.warn(`conformance: ${why}`);
  return {
    skip: !IN_CI,
    title: why,
    binary: () => {
      throw new Error(why);
    },
  };
}

/** Looks for `binary` on PATH (the system's QEMU: Debian bookworm's 7.2 in CI). */
export function emulator(binary: string): Emulator {
  const path = findQemu(binary);
  if (path !== null) return found(path);
  return absent(
    IN_CI
      ? `${binary} not found on PATH under CI=true: failing (.ci/run installs QEMU with packages/conformance/install.sh)`
      : `${binary} not found on PATH: skipped (install QEMU, e.g. packages/conformance/install.sh)`,
  );
}

/** Looks for `binary` of the current QEMU (Debian trixie's, installed by packages/conformance/install-current.mjs). */
export function currentEmulator(binary: string): Emulator {
  const path = findCurrentQemu(binary);
  if (path !== null) return found(path);
  const where = `${currentQemuDir()}/bin`;
  return absent(
    IN_CI
      ? `current QEMU: ${binary} not found in ${where} under CI=true: failing (.ci/run installs it with packages/conformance/install.sh)`
      : `current QEMU: ${binary} not found in ${where}: skipped (install it with node packages/conformance/install-current.mjs)`,
  );
}

/** A distribution kernel installed by packages/conformance/install-kernels.mjs, or why there is none. */
export interface TestKernel {
  /** Skip the tests: the kernel is absent and this is not CI. */
  readonly skip: boolean;
  /** The Debian package and version, or the reason for skipping (or failing). */
  readonly title: string;
  /** The kernel image's path; throws, saying why, when it is absent (under CI=true). */
  readonly image: () => string;
}

/** Looks for kernel `name` (a row of KERNELS in install-kernels.mjs) in the cache folder. */
export function testKernel(name: string): TestKernel {
  const path = findKernel(name);
  if (path !== null) return { skip: false, title: kernelVersion(name), image: () => path };
  const why = IN_CI
    ? `kernel ${name} not found in ${kernelDir(name)} under CI=true: failing (.ci/run installs it with packages/conformance/install.sh)`
    : `kernel ${name} not found in ${kernelDir(name)}: skipped (install it with node packages/conformance/install-kernels.mjs)`;
  if (!IN_CI) console.warn(`conformance: ${why}`);
  return {
    skip: !IN_CI,
    title: why,
    image: () => {
      throw new Error(why);
    },
  };
}

/**
 * The QEMUs every architecture runs on: the system's and the current one. When both are the same release
 * (a system that already has the current QEMU) the second is left out.
 */
export function emulators(binary: string): Emulator[] {
  const system = emulator(binary);
  const current = currentEmulator(binary);
  return !system.skip && !current.skip && system.title === current.title ? [system] : [system, current];
}

/**
 * One `describe` block per QEMU of {@link emulators} ("<name> on QEMU emulator version ..."), skipped with the
 * reason when that QEMU is absent outside CI.
 */
export function onEveryQemu(binary: string, name: string, body: (qemu: Emulator) => void): void {
  for (const qemu of emulators(binary)) describe.skipIf(qemu.skip)(`${name} on ${qemu.title}`, () => body(qemu));
}

/**
 * Prints what a run checked and fails the test on any mismatch. `flagSets` is how many requested flag sets the run
 * must have covered: all 63 non-empty ones, or fewer for a format that refuses some (31 without USER at AArch64
 * stage 2).
 */
export function expectAgreement(name: string, seed: number, result: RunResult, ms: number, flagSets = 63): void {
  const { checker, samples } = result;
  console.log(`${checker.summary(name)} [${countKinds(samples)}; seed ${seed}; ${ms} ms]`);
  checker.assertNone(`${name} (seed ${seed}; CONFORMANCE_SEED=${seed} reproduces it)`);
  expect(checker.addresses).toBeGreaterThanOrEqual(1000);
  // a skipped QEMU defect that QEMU did not show is a stale entry of src/_defects.ts: the comparison it
  // hides should be made on this release
  for (const [reason, { count, differed }] of checker.skipped) {
    expect(differed, `${name}: skipped ${count} comparisons for "${reason}", but QEMU never differed there`).toBeGreaterThan(0);
  }
  expect(checker.flagSets.size).toBe(flagSets);
}

/**
 * The guest code as QEMU decoded it (its `-d in_asm` log): QEMU fetched exactly the words written, and its
 * disassembly is `expected`, instruction by instruction. `expected` lists every block of `result.code` in
 * order; the last instruction of the main block (`b .`, where the breakpoint stops) never executes and is
 * not logged. The listings were recorded with QEMU 7.2 (capstone 4 for Arm, QEMU's own LoongArch
 * disassembler); another QEMU may spell operands differently, so there only the words are compared.
 */
export function expectListing(result: RunResult, expected: readonly (readonly string[])[], qemuTitle: string): void {
  const logged = parseInAsm(result.log);
  const seen: string[][] = result.code.map((block) =>
    block.words.map((word, i) => {
      const insn = logged.get(block.addr + BigInt(4 * i));
      if (insn === undefined) return '(not executed)';
      return insn.word === word ? insn.text : `(QEMU fetched 0x${insn.word.toString(16)}, not 0x${word.toString(16)})`;
    }),
  );
  if (/version 7\.2\./.test(qemuTitle)) {
    expect(seen).toEqual(expected);
  } else {
    console.log(`guest code as ${qemuTitle} decodes it:\n${seen.map((b) => b.join('\n')).join('\n\n')}`);
    expect(seen.flat().filter((t) => t.startsWith('(QEMU fetched'))).toEqual([]);
    expect(seen.map((b) => b.filter((t) => t === '(not executed)').length)).toEqual(expected.map((b) => b.filter((t) => t === '(not executed)').length));
  }
}

/** The negative control: the corrupted entry is caught, and only at its page. */
export function expectCaught(name: string, result: RunResult): void {
  const { checker, tampered } = result;
  expect(tampered).not.toBeNull();
  const start = tampered!.vaddr;
  const end = start + BigInt(tampered!.size);
  expect(checker.mismatches.length).toBeGreaterThan(0);
  const elsewhere = checker.mismatches.filter((m) => m.va < start || m.va >= end);
  expect(elsewhere, `mismatches outside the corrupted page ${hex(start)}`).toEqual([]);
  console.log(`${name}: the corrupted entry at ${hex(start)} was caught (${checker.mismatches.length} mismatches there)`);
}
