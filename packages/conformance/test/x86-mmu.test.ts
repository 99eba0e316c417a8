// x86: QEMU's MMU and X86Mmu agree access by access (load / store / fetch x CPL 0 / 3, with CR0.WP, CR4.SMEP,
// CR4.SMAP with EFLAGS.AC, IA32_EFER.NXE and CR4.PKE with PKRU at random per access), 4-level and 5-level paging.
import { hex } from '@page-table-multiarch/core';
import { expect, it } from 'vitest';
import { checkX86Mmu } from '../src/index';
import { expectCaught, onEveryQemu, SEED } from './_support';

onEveryQemu('qemu-system-x86_64', 'x86 MMU model', (qemu) => {
  const runs: [string, boolean][] = [
    ['4-level', false],
    ['5-level (LA57)', true],
  ];
  runs.forEach(([name, la57], i) => {
    it(`${name}: every access agrees (outcome, #PF error code and CR2, A / D)`, async () => {
      const t0 = Date.now();
      const seed = SEED + 200 + i;
      const { checker, probes, outcomes, adUpdates } = await checkX86Mmu({ binary: qemu.binary(), seed, la57 });
      const tally = [...outcomes.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
      const skipped = [...checker.skipped.entries()].map(([k, v]) => `${v.count} skipped: ${k} (differed in ${v.differed})`).join('; ');
      const what = `${probes} accesses at ${checker.addresses} addresses, ${checker.comparisons} comparisons (each outcome and the leaf entry after it; ${checker.leaves} rewritten entries and the data region at the end)`;
      console.log(`x86 MMU ${name}: ${what}, ${checker.mismatches.length} mismatches [${tally}; ${adUpdates} A/D updates; ${skipped}; seed ${seed}; ${Date.now() - t0} ms]`);
      checker.assertNone(`x86 MMU ${name} (seed ${seed}; CONFORMANCE_SEED reproduces it)`);
      expect(probes).toBeGreaterThan(2000);
      // the comparison covered every outcome the model gives here: translations of each kind, not-present,
      // protection (P), protection-key (P | PK) and reserved-bit (P | RSVD) page faults, #GP
      for (const k of ['ok load', 'ok store', 'ok fetch', '#PF 0x0', '#PF 0x1', '#PF 0x21', '#PF 0x9', '#GP 0x0']) expect(outcomes.get(k) ?? 0, k).toBeGreaterThan(0);
      expect(adUpdates).toBeGreaterThan(0);
      // a skipped comparison is one where QEMU did differ: a QEMU without the defect shows up here
      for (const [k, v] of checker.skipped) expect(v.differed, k).toBe(v.count);
    }, 60_000);
  });

  it('a corrupted entry is caught (negative control)', async () => {
    const result = await checkX86Mmu({ binary: qemu.binary(), seed: SEED + 220, la57: false, tamper: true });
    expectCaught('x86 MMU', result);
    expect(result.tampered).not.toBeNull();
    console.log(`tampered page ${hex(result.tampered!.vaddr)}`);
  }, 60_000);
});
