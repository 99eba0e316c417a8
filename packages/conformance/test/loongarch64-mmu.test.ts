// LoongArch64: QEMU's MMU and LA64Mmu agree access by access (load / store / fetch x PLV0 / PLV3), over random
// tables with every flag set, RPLV, PLV 1 and 2, V = 0 leaves, holes and addresses that are not sign-extended.
import { hex } from '@page-table-multiarch/core';
import { expect, it } from 'vitest';
import { checkLa64Mmu } from '../src/index';
import { expectCaught, onEveryQemu, SEED } from './_support';

onEveryQemu('qemu-system-loongarch64', 'loongarch64 MMU model', (qemu) => {
  it('every access agrees: the value a load reads, or Ecode, EsubCode and BADV', async () => {
    const t0 = Date.now();
    const seed = SEED + 200;
    const { checker, probes, outcomes } = await checkLa64Mmu({ binary: qemu.binary(), seed });
    const tally = [...outcomes.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
    const defects = [...checker.skipped.entries()].map(([t, e]) => `${t}: ${e.count} accesses, outcome changed in ${e.differed}`).join('; ');
    console.log(`loongarch64 MMU: ${probes} accesses at ${checker.addresses} addresses, ${checker.mismatches.length} mismatches [${tally}; ${defects || 'no defect applies'}; seed ${seed}; ${Date.now() - t0} ms]`);
    checker.assertNone(`loongarch64 MMU (seed ${seed}; CONFORMANCE_SEED reproduces it)`);
    expect(probes).toBeGreaterThan(600);
    // every outcome the model can give here occurred: PIL/PIS/PIF, PME, PNR, PNX, PPI, ADE, and each access let through
    for (const k of ['ok load', 'ok store', 'ok fetch', 'NotPresent 1', 'NotPresent 2', 'NotPresent 3', 'Dirty 4', 'Permission 7', 'NonCanonical 8']) {
      expect(outcomes.get(k) ?? 0, k).toBeGreaterThan(0);
    }
  }, 90_000);

  it('a corrupted entry is caught (negative control)', async () => {
    const result = await checkLa64Mmu({ binary: qemu.binary(), seed: SEED + 201, leaves: 40, tamper: true });
    expectCaught('loongarch64 MMU', result);
    console.log(`tampered page ${hex(result.tampered!.vaddr)}`);
  }, 90_000);
});
