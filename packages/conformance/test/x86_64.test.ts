// x86_64: QEMU's page walker reads the tables X64PageTable and X64PageTable5 build.
import { it } from 'vitest';
import { checkX86 } from '../src/index';
import { expectAgreement, expectCaught, onEveryQemu, SAMPLES, SEED } from './_support';

onEveryQemu('qemu-system-x86_64', 'x86_64', (qemu) => {
  it('4-level paging: translations, leaf entries (P, W, U, NX, PCD, PWT, PS) and effective U/W agree', async () => {
    const t0 = Date.now();
    const result = await checkX86({ binary: qemu.binary(), seed: SEED, samples: SAMPLES });
    expectAgreement('x86_64 4-level', SEED, result, Date.now() - t0);
  }, 60_000);

  it('5-level paging (LA57): translations, leaf entries and the leaf U/W at every address (info tlb) agree', async () => {
    const t0 = Date.now();
    const result = await checkX86({ binary: qemu.binary(), seed: SEED + 1, samples: SAMPLES, la57: true });
    expectAgreement('x86_64 LA57', SEED + 1, result, Date.now() - t0);
  }, 60_000);

  it('a corrupted entry is caught (negative control)', async () => {
    const result = await checkX86({ binary: qemu.binary(), seed: SEED + 2, samples: SAMPLES, tamper: true });
    expectCaught('x86_64', result);
  }, 60_000);
});
