// RISC-V two-stage translation: QEMU's MMU (VS-stage over G-stage, h=true) and RiscvMmu over a RiscvGStageMmu agree
// access by access: loads, stores and fetches from VS-mode and VU-mode, faults of both stages (on the VS-stage walk
// and on the output) with mcause, mtval, mtval2 and mtinst, and the A / D bits both stages leave.
import { hex } from '@page-table-multiarch/core';
import { expect, it } from 'vitest';
import { checkRiscvTwoStage, qemuRelease, type RiscvTwoStageScheme } from '../src/index';
import { onEveryQemu, SEED } from './_support';

onEveryQemu('qemu-system-riscv64', 'riscv64 two-stage MMU model', (qemu) => {
  // [scheme, Svadu, seed offset]. Sv48: each window of the random table sits under one root entry, which the
  // layout's pointer rewrites may close; this seed leaves most of them open (others leave almost no access through)
  const runs: [RiscvTwoStageScheme, boolean, number][] = [
    ['sv39', true, 200],
    ['sv39', false, 201],
    ['sv48', true, 203],
  ];
  runs.forEach(([scheme, svadu, offset]) => {
    const ad = svadu ? 'A / D set by the hart in both stages (Svadu)' : 'A / D faults (Svade, menvcfg.ADUE = henvcfg.ADUE = 0)';
    it(`${scheme} over ${scheme}x4, ${ad}: every access agrees`, async (ctx) => {
      const [major, minor] = qemuRelease(qemu.binary());
      // QEMU before 8.1 has no menvcfg.ADUE: it always sets A and D
      if (!svadu && (major < 8 || (major === 8 && minor < 1))) ctx.skip();
      const t0 = Date.now();
      const seed = SEED + offset;
      const { checker, probes, outcomes, transformed } = await checkRiscvTwoStage({ binary: qemu.binary(), seed, scheme, svadu });
      const tally = [...outcomes.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
      const skipped = [...checker.skipped.entries()].map(([k, v]) => `${v.count} skipped (${k}; differed ${v.differed})`).join(', ');
      console.log(
        `riscv64 two-stage ${scheme} ${svadu ? 'Svadu' : 'Svade'}: ${probes} accesses at ${checker.addresses} addresses, ${checker.comparisons} comparisons, ${checker.mismatches.length} mismatches [${tally}; ${transformed} mtinst transformed instructions; ${skipped || 'nothing skipped'}; seed ${seed}; ${Date.now() - t0} ms]`,
      );
      checker.assertNone(`riscv64 two-stage (seed ${seed}; CONFORMANCE_SEED reproduces it)`);
      for (const [reason, { differed }] of checker.skipped) expect(differed, reason).toBeGreaterThan(0);
      expect(probes).toBeGreaterThan(1000);
      // the comparison covered faults of both stages, on the walk and on the output
      for (const k of ['ok load', 'ok store', 'ok fetch', 'NotPresent stage 1', 'Permission stage 1', 'NotPresent stage 2 walk', 'Permission stage 2 walk', 'Permission stage 2', 'NonCanonical stage 2']) {
        expect(outcomes.get(k) ?? 0, k).toBeGreaterThan(0);
      }
      if (!svadu) expect((outcomes.get('AccessFlag stage 2 walk') ?? 0) + (outcomes.get('AccessFlag stage 2') ?? 0)).toBeGreaterThan(0);
    }, 120_000);
  });

  it('a corrupted G-stage leaf is caught (negative control)', async () => {
    const result = await checkRiscvTwoStage({ binary: qemu.binary(), seed: SEED + 220, svadu: true, tamper: true });
    expect(result.tampered).not.toBeNull();
    const page = result.tampered!.paddr;
    const mismatches = result.checker.mismatches;
    expect(mismatches.length).toBeGreaterThan(0);
    // every difference is an access that QEMU refused with the corrupted page in mtval2, or its consequence in memory
    const htval = (pa: bigint): string => `htval ${hex(pa >> 2n)}`;
    for (const m of mismatches) {
      const atPage = [...Array(1024).keys()].some((k) => m.qemu.includes(htval(page + BigInt(k * 4))));
      expect(atPage || m.what.startsWith('data at') || m.what.endsWith('entry after'), `${m.what}: ${m.ours} / ${m.qemu}`).toBe(true);
    }
    console.log(`tampered G-stage leaf of ${hex(page)}: ${mismatches.length} mismatches`);
  }, 120_000);
});
