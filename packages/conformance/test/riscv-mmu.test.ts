// RISC-V: QEMU's MMU and RiscvMmu agree access by access (kind x privilege x SUM x MXR), with A / D updated by the
// hardware (Svadu; QEMU 7.2 always) and, where QEMU implements it (Svadu's menvcfg.ADUE, QEMU 8.1 and later),
// with A / D faults instead (Svade).
import { hex } from '@page-table-multiarch/core';
import { expect, it } from 'vitest';
import { checkRiscvMmu, qemuRelease, type RiscvMmuScheme } from '../src/index';
import { expectCaught, onEveryQemu, SEED } from './_support';

onEveryQemu('qemu-system-riscv64', 'riscv64 MMU model', (qemu) => {
  const runs: [RiscvMmuScheme, boolean][] = [
    ['sv39', true],
    ['sv48', true],
    ['sv57', true],
    ['sv39', false],
    ['sv48', false],
  ];
  runs.forEach(([scheme, svadu], i) => {
    const ad = svadu ? 'A / D set by the hart (Svadu)' : 'A / D faults (Svade, menvcfg.ADUE = 0)';
    it(`${scheme}, ${ad}: every access agrees`, async (ctx) => {
      const [major, minor] = qemuRelease(qemu.binary());
      if (!svadu && (major < 8 || (major === 8 && minor < 1))) {
        // QEMU before 8.1 has no Svadu and no menvcfg.ADUE: it always sets A and D (get_physical_address)
        ctx.skip();
      }
      const t0 = Date.now();
      const seed = SEED + 100 + i;
      const { checker, probes, outcomes, adUpdates } = await checkRiscvMmu({ binary: qemu.binary(), scheme, seed, svadu });
      const tally = [...outcomes.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
      const what = `${probes} accesses at ${checker.addresses} addresses, ${checker.comparisons} comparisons (each outcome and the leaf entry after it; ${checker.leaves} rewritten entries and the data region at the end)`;
      const skipped = [...checker.skipped.entries()].map(([k, v]) => `, ${v.count} skipped (${k}; differed ${v.differed})`).join('');
      console.log(`riscv64 MMU ${scheme} ${svadu ? 'Svadu' : 'Svade'}: ${what}, ${checker.mismatches.length} mismatches${skipped} [${tally}; ${adUpdates} A/D updates; seed ${seed}; ${Date.now() - t0} ms]`);
      checker.assertNone(`riscv64 MMU ${scheme} (seed ${seed}; CONFORMANCE_SEED reproduces it)`);
      expect(probes).toBeGreaterThan(2000);
      // the comparison covered every outcome the model can give here
      const kinds = ['ok load', 'ok store', 'ok fetch', 'NotPresent', 'Permission', 'ReservedBit', 'NonCanonical'];
      if (!svadu) kinds.push('AccessFlag', 'Dirty');
      for (const k of kinds) expect(outcomes.get(k) ?? 0, k).toBeGreaterThan(0);
      if (svadu) expect(outcomes.has('AccessFlag') || outcomes.has('Dirty')).toBe(false);
      expect(adUpdates > 0).toBe(svadu);
    }, 60_000);
  });

  // Runs whose seeds once failed, kept as they are whatever CONFORMANCE_SEED says: 2026120969 (sv48 Svade) and 102
  // (sv57 Svadu) drew no dirty outcome and no page that was not present before the layout made them itself; 112
  // (sv48 Svadu) meets a table read outside RAM, where QEMU 7.2 differs (DEFECTS.riscvTableReadFault).
  const regressions: [RiscvMmuScheme, boolean, number][] = [
    ['sv48', false, 2026120969],
    ['sv57', true, 102],
    ['sv48', true, 112],
  ];
  for (const [scheme, svadu, seed] of regressions) {
    it(`${scheme}, ${svadu ? 'Svadu' : 'Svade'}, seed ${seed} (a seed that once failed)`, async (ctx) => {
      const [major, minor] = qemuRelease(qemu.binary());
      if (!svadu && (major < 8 || (major === 8 && minor < 1))) ctx.skip();
      const { checker, outcomes } = await checkRiscvMmu({ binary: qemu.binary(), scheme, seed, svadu });
      checker.assertNone(`riscv64 MMU ${scheme} (seed ${seed})`);
      const kinds = ['ok load', 'ok store', 'ok fetch', 'NotPresent', 'Permission', 'ReservedBit', 'NonCanonical'];
      if (!svadu) kinds.push('AccessFlag', 'Dirty');
      for (const k of kinds) expect(outcomes.get(k) ?? 0, k).toBeGreaterThan(0);
    }, 60_000);
  }

  it('a corrupted entry is caught (negative control)', async () => {
    const result = await checkRiscvMmu({ binary: qemu.binary(), scheme: 'sv39', seed: SEED + 120, svadu: true, tamper: true });
    expectCaught('riscv64 MMU', result);
    expect(result.tampered).not.toBeNull();
    console.log(`tampered page ${hex(result.tampered!.vaddr)}`);
  }, 60_000);
});
