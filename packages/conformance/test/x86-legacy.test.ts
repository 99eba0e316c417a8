// x86 32-bit paging and PAE paging: QEMU's page walker reads the tables X86PageTable32 and X86PaePageTable build,
// in protected mode.
import { it } from 'vitest';
import { checkX86Legacy } from '../src/index';
import { expectAgreement, expectCaught, onEveryQemu, SAMPLES, SEED } from './_support';

onEveryQemu('qemu-system-x86_64', 'x86 32-bit and PAE', (qemu) => {
  it('32-bit paging with CR4.PSE: translations, leaf entries (P, W, U, PCD, PWT, PS) and effective U/W agree', async () => {
    const t0 = Date.now();
    const result = await checkX86Legacy({ binary: qemu.binary(), seed: SEED + 10, samples: SAMPLES, mode: '32' });
    expectAgreement('x86 32-bit', SEED + 10, result, Date.now() - t0);
  }, 60_000);

  it('32-bit paging without CR4.PSE: 4 KiB pages only', async () => {
    const t0 = Date.now();
    const result = await checkX86Legacy({ binary: qemu.binary(), seed: SEED + 11, samples: SAMPLES, mode: '32', pse: false });
    expectAgreement('x86 32-bit (no PSE)', SEED + 11, result, Date.now() - t0);
  }, 60_000);

  it('PAE paging with IA32_EFER.NXE: translations, leaf entries (P, W, U, XD, PCD, PWT, PS) and effective U/W agree', async () => {
    const t0 = Date.now();
    const result = await checkX86Legacy({ binary: qemu.binary(), seed: SEED + 12, samples: SAMPLES, mode: 'pae' });
    expectAgreement('x86 PAE', SEED + 12, result, Date.now() - t0);
  }, 60_000);

  it('PAE paging without NXE: bit 63 never written, every page executable', async () => {
    const t0 = Date.now();
    const result = await checkX86Legacy({ binary: qemu.binary(), seed: SEED + 13, samples: SAMPLES, mode: 'pae', nxe: false });
    expectAgreement('x86 PAE (no NXE)', SEED + 13, result, Date.now() - t0);
  }, 60_000);

  it('a corrupted entry is caught in each mode (negative control)', async () => {
    for (const mode of ['32', 'pae'] as const) {
      const result = await checkX86Legacy({ binary: qemu.binary(), seed: SEED + 14, samples: SAMPLES, mode, tamper: true });
      expectCaught(`x86 ${mode === '32' ? '32-bit' : 'PAE'}`, result);
    }
  }, 120_000);
});
