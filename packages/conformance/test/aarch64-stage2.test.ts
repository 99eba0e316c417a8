// AArch64 stage 2: the MMU of QEMU's `max` CPU at EL2 walks A64Stage2PageTable tables through VTTBR_EL2 (AT S12E1R
// and AT S12E1W with stage 1 off), for each granule with a root of one table and of concatenated tables.
import { it } from 'vitest';
import { checkA64Stage2 } from '../src/index';
import { expectAgreement, expectCaught, onEveryQemu, SEED } from './_support';

onEveryQemu('qemu-system-aarch64', 'aarch64 stage 2', (qemu) => {
  // [granule, IPA bits, start level]: the root's tables in the title (D8.2, concatenated for the first lookup)
  const formats: [4 | 16 | 64, number, number | undefined, string][] = [
    [4, 40, undefined, 'L1, 2 concatenated tables (KVM)'],
    [4, 34, undefined, 'L2, 16 concatenated tables'],
    [4, 48, undefined, 'L0, one table'],
    [4, 40, 0, 'L0, a root of 2 entries'],
    [16, 40, undefined, 'L2, 16 concatenated tables'],
    [16, 47, undefined, 'L1, one table'],
    [16, 29, undefined, 'L3, 16 concatenated tables'],
    [64, 43, undefined, 'L2, 2 concatenated tables'],
    [64, 45, undefined, 'L2, 8 concatenated tables'],
    [64, 46, undefined, 'L2, 16 concatenated tables (a 1 MiB root, 2^17 entries)'],
    [64, 48, undefined, 'L1, one table'],
  ];
  for (const [granule, ipaBits, startLevel, root] of formats) {
    it(`${granule}K granule, ${ipaBits}-bit IPA, ${root}: translation, memory type and EL1 read/write permission agree`, async () => {
      const t0 = Date.now();
      const result = await checkA64Stage2({
        binary: qemu.binary(),
        seed: SEED,
        // (a 29-bit space has fewer distinct boundaries to sample)
        samples: ipaBits < 32 ? 1100 : 800,
        granule,
        ipaBits,
        ...(startLevel === undefined ? {} : { startLevel }),
      });
      // every flag set without USER, which stage 2 refuses
      expectAgreement(`aarch64 stage 2 ${granule}K/${ipaBits} ${root}`, SEED, result, Date.now() - t0, 31);
    }, 60_000);
  }

  it('a corrupted entry is caught (negative control)', async () => {
    const result = await checkA64Stage2({ binary: qemu.binary(), seed: SEED + 2, samples: 200, tamper: true });
    expectCaught('aarch64 stage 2', result);
  }, 60_000);
});
