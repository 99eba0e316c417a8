// ARMv7: QEMU's MMU and A32Mmu agree access by access (load / store / fetch x PL0 / PL1, with random DACR domains
// and SCTLR.AFE / WXN / UWXN), with TTBR0 alone (TTBCR.N = 0) and with TTBR0 / TTBR1 (N = 1), on the Cortex-A15
// (PXN in short descriptors, the Virtualization Extensions' WXN / UWXN); and QEMU's MMU and A32LpaeMmu with long
// descriptors (TTBCR.EAE = 1, T0SZ = T1SZ = 1).
import { hex } from '@page-table-multiarch/core';
import { expect, it } from 'vitest';
import { checkA32Mmu } from '../src/index';
import { onEveryQemu, SEED } from './_support';

onEveryQemu('qemu-system-arm', 'arm MMU model', (qemu) => {
  ([1, 0] as const).forEach((n, i) => {
    it(`TTBCR.N = ${n}: every access agrees (DFSR / IFSR, DFAR / IFAR, the word loaded; descriptors and data at the end)`, async () => {
      const t0 = Date.now();
      const seed = SEED + 300 + i;
      const { checker, probes, outcomes } = await checkA32Mmu({ binary: qemu.binary(), seed, n });
      const tally = [...outcomes.entries()].map(([k, v]) => `${v} ${k}`).join(', ');
      const skipped = [...checker.skipped.entries()].map(([k, v]) => ` (${v.count} skipped: ${k}; QEMU differed in ${v.differed})`).join('');
      console.log(`arm MMU N=${n}: ${probes} accesses at ${checker.addresses} addresses, ${checker.comparisons} comparisons, ${checker.mismatches.length} mismatches [${tally}${skipped}; seed ${seed}; ${Date.now() - t0} ms]`);
      checker.assertNone(`arm MMU N=${n} (seed ${seed}; CONFORMANCE_SEED reproduces it)`);
      expect(probes).toBeGreaterThan(2000);
      // a skip stands for a defect QEMU showed in this run
      for (const [k, v] of checker.skipped) expect(v.differed, k).toBeGreaterThan(0);
      for (const k of ['ok load', 'ok store', 'ok fetch', 'NotPresent', 'Permission', 'AccessFlag', 'Domain']) {
        expect(outcomes.get(k) ?? 0, k).toBeGreaterThan(0);
      }
    }, 120_000);
  });

  it('long descriptors (TTBCR.EAE = 1): every access agrees (long-format DFSR / IFSR; descriptors and data at the end)', async () => {
    const t0 = Date.now();
    const seed = SEED + 310;
    const { checker, probes, outcomes } = await checkA32Mmu({ binary: qemu.binary(), seed, format: 'long' });
    const tally = [...outcomes.entries()].map(([k, v]) => `${v} ${k}`).join(', ');
    console.log(`arm MMU long descriptors: ${probes} accesses at ${checker.addresses} addresses, ${checker.comparisons} comparisons, ${checker.mismatches.length} mismatches [${tally}; seed ${seed}; ${Date.now() - t0} ms]`);
    checker.assertNone(`arm MMU long descriptors (seed ${seed}; CONFORMANCE_SEED reproduces it)`);
    expect(probes).toBeGreaterThan(2000);
    expect(checker.skipped.size).toBe(0);
    for (const k of ['ok load', 'ok store', 'ok fetch', 'NotPresent', 'Permission', 'AccessFlag']) {
      expect(outcomes.get(k) ?? 0, k).toBeGreaterThan(0);
    }
  }, 120_000);

  (['short', 'long'] as const).forEach((format, k) => {
    it(`a corrupted ${format} descriptor is caught (negative control)`, async () => {
      const result = await checkA32Mmu({ binary: qemu.binary(), seed: SEED + 320 + k, format, tamper: true });
      const { va, entry } = result.tamperedPage!;
      expect(result.checker.mismatches.length).toBeGreaterThan(0);
      // every disagreement is an access to the corrupted page, its descriptor, or a store that landed in the data
      // region through it
      for (const m of result.checker.mismatches) {
        const ok = m.va === BigInt(va) || m.what.startsWith(`descriptor at ${hex(entry)}`) || m.what.startsWith('data at');
        expect(ok, `${hex(m.va)} ${m.what}`).toBe(true);
      }
      console.log(`${format} descriptors, tampered page ${hex(BigInt(va))}: ${result.checker.mismatches.length} mismatches`);
    }, 120_000);
  });
});
