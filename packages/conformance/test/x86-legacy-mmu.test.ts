// x86 32-bit and PAE paging: QEMU's MMU and X86LegacyMmu agree access by access (load / store / fetch x CPL 0 / 3,
// with CR0.WP, CR4.PSE, CR4.SMEP, CR4.SMAP with EFLAGS.AC and IA32_EFER.NXE at random per access), in a 32-bit
// protected-mode guest.
import { hex } from '@page-table-multiarch/core';
import { expect, it } from 'vitest';
import { checkX86LegacyMmu } from '../src/index';
import { expectCaught, onEveryQemu, SEED } from './_support';

onEveryQemu('qemu-system-x86_64', 'x86 32-bit and PAE MMU model', (qemu) => {
  const runs: [string, boolean, string[]][] = [
    // the outcomes each mode must have shown: translations of each kind, not-present, protection (P) and
    // reserved-bit (P | RSVD) page faults
    ['32-bit paging', false, ['ok load', 'ok store', 'ok fetch', '#PF 0x0', '#PF 0x1', '#PF 0x9']],
    ['PAE paging', true, ['ok load', 'ok store', 'ok fetch', '#PF 0x0', '#PF 0x1', '#PF 0x9']],
  ];
  runs.forEach(([name, pae, kinds], i) => {
    it(`${name}: every access agrees (outcome, #PF error code and CR2, A / D)`, async () => {
      const t0 = Date.now();
      const seed = SEED + 230 + i;
      const { checker, probes, outcomes, adUpdates } = await checkX86LegacyMmu({ binary: qemu.binary(), seed, pae });
      const tally = [...outcomes.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
      const skipped = [...checker.skipped.entries()].map(([k, v]) => `${v.count} skipped: ${k} (differed in ${v.differed})`).join('; ');
      const what = `${probes} accesses at ${checker.addresses} addresses, ${checker.comparisons} comparisons (each outcome and the leaf entry after it; ${checker.leaves} rewritten entries and the data region at the end)`;
      console.log(`x86 MMU ${name}: ${what}, ${checker.mismatches.length} mismatches [${tally}; ${adUpdates} A/D updates; ${skipped}; seed ${seed}; ${Date.now() - t0} ms]`);
      checker.assertNone(`x86 MMU ${name} (seed ${seed}; CONFORMANCE_SEED reproduces it)`);
      expect(probes).toBeGreaterThan(1500);
      for (const k of kinds) expect(outcomes.get(k) ?? 0, k).toBeGreaterThan(0);
      expect(adUpdates).toBeGreaterThan(0);
      // a skipped comparison is one where QEMU did differ: a QEMU without the defect shows up here
      for (const [k, v] of checker.skipped) expect(v.differed, k).toBe(v.count);
    }, 60_000);
  });

  it('a corrupted entry is caught in each mode (negative control)', async () => {
    for (const pae of [false, true]) {
      const result = await checkX86LegacyMmu({ binary: qemu.binary(), seed: SEED + 240, pae, tamper: true });
      expectCaught(`x86 ${pae ? 'PAE' : '32-bit'} MMU`, result);
      expect(result.tampered).not.toBeNull();
      console.log(`tampered page ${hex(result.tampered!.vaddr)}`);
    }
  }, 120_000);
});
