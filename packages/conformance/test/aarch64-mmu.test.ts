// AArch64: QEMU's MMU and A64Mmu agree access by access (load / store / fetch x EL0 / EL1, with PAN, WXN and the
// hardware Access flag and dirty state updates, TCR_EL1.HA / HD, in random modes), with the 4K granule (48-bit) and
// the 64K granule (48-bit, the walk starting at level 1), and the 52-bit formats. Both QEMUs implement FEAT_HAFDBS
// (7.2 lists it in docs/system/arm/emulation.rst), so every mode runs on both.
import { hex } from '@page-table-multiarch/core';
import { expect, it } from 'vitest';
import { checkA64Mmu } from '../src/index';
import { onEveryQemu, SEED } from './_support';

onEveryQemu('qemu-system-aarch64', 'aarch64 MMU model', (qemu) => {
  // and the 52-bit formats' walks: 4K/52 from lookup level -1 and 16K/52 with TCR_EL1.DS = 1 (FEAT_LPA2), 64K/52
  // (FEAT_LVA, FEAT_LPA descriptors)
  const runs: [4 | 16 | 64, number, 48 | 52][] = [
    [4, 48, 48],
    [64, 48, 48],
    [16, 47, 48],
    [4, 52, 52],
    [16, 52, 52],
    [64, 52, 52],
  ];
  runs.forEach(([granule, vaBits, paBits], i) => {
    it(`${granule}K granule, ${vaBits}-bit${paBits === 52 ? ', 52-bit descriptors' : ''}: every access agrees (ESR, FAR, descriptors after)`, async () => {
      const t0 = Date.now();
      const seed = SEED + 200 + i;
      const { checker, probes, outcomes, updates, dirtied, rootBlocks } = await checkA64Mmu({ binary: qemu.binary(), seed, granule, vaBits, paBits });
      const tally = [...outcomes.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
      const what = `${probes} accesses at ${checker.addresses} addresses, ${checker.comparisons} comparisons (each outcome and the descriptor after it; ${checker.leaves} rewritten descriptors and the data region at the end)`;
      console.log(`aarch64 MMU ${granule}K/${vaBits}: ${what}, ${checker.mismatches.length} mismatches [${tally}; ${updates} descriptors updated by the hardware, ${dirtied} of them made dirty; ${rootBlocks} root Block descriptors${[...checker.skipped.keys()].map((k) => ` (${k})`).join('')}; seed ${seed}; ${Date.now() - t0} ms]`);
      checker.assertNone(`aarch64 MMU ${granule}K/${vaBits} (seed ${seed}; CONFORMANCE_SEED reproduces it)`);
      expect(probes).toBeGreaterThan(2000);
      // the comparison covered every outcome the model gives here
      for (const k of ['ok load', 'ok store', 'ok fetch', 'NotPresent', 'Permission', 'AccessFlag', 'AddressSize', 'NonCanonical']) {
        expect(outcomes.get(k) ?? 0, k).toBeGreaterThan(0);
      }
      expect(dirtied).toBeGreaterThan(0);
      expect(updates).toBeGreaterThan(dirtied);
    }, 90_000);
  });

  it('a corrupted descriptor is caught (negative control)', async () => {
    const result = await checkA64Mmu({ binary: qemu.binary(), seed: SEED + 220, tamper: true });
    const { va, entry } = result.tamperedPage!;
    expect(result.checker.mismatches.length).toBeGreaterThan(0);
    // every disagreement is at the corrupted page (its accesses, tagged or not; its descriptor), or a store that
    // landed in the data region through it
    const untagged = (x: bigint): bigint => x & 0x00ff_ffff_ffff_ffffn;
    for (const m of result.checker.mismatches) {
      const ok = untagged(m.va) === untagged(va) || m.what.startsWith(`descriptor at ${hex(entry)}`) || m.what.startsWith('data at');
      expect(ok, `${hex(m.va)} ${m.what}`).toBe(true);
    }
    console.log(`tampered page ${hex(va)}: ${result.checker.mismatches.length} mismatches`);
  }, 90_000);
});
