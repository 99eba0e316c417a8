// RISC-V G-stage: QEMU's two-stage walk (VS-stage Bare, so the G-stage alone) reads the tables Sv39x4PageTable,
// Sv48x4PageTable and Sv57x4PageTable build.
import { it } from 'vitest';
import { checkRiscvGStage, type RiscvGStageScheme } from '../src/index';
import { expectAgreement, expectCaught, onEveryQemu, SAMPLES, SEED } from './_support';

// QEMU 7.2 cannot be asked about the upper half of the guest-physical space (DEFECTS.riscvGStageTopBit): twice the
// samples keep at least SAMPLES compared there too
const GSTAGE_SAMPLES = 2 * SAMPLES;

onEveryQemu('qemu-system-riscv64', 'riscv64 G-stage (H extension)', (qemu) => {
  const schemes: [RiscvGStageScheme, string][] = [
    ['sv39x4', 'Sv39x4 (4K, 2M, 1G; 16 KiB root)'],
    ['sv48x4', 'Sv48x4 (4K, 2M, 1G, 512G; 16 KiB root)'],
    ['sv57x4', 'Sv57x4 (4K, 2M, 1G, 512G, 256T; 16 KiB root)'],
  ];
  schemes.forEach(([scheme, title], i) => {
    for (const mxr of [false, true]) {
      it(`${title}, MXR = ${mxr ? 1 : 0}: guest-physical translations and G-stage load permission agree`, async () => {
        const t0 = Date.now();
        const seed = SEED + 40 + i;
        const result = await checkRiscvGStage({ binary: qemu.binary(), scheme, seed, samples: GSTAGE_SAMPLES, mxr });
        expectAgreement(`riscv64 ${scheme}${mxr ? ' MXR' : ''}`, seed, result, Date.now() - t0);
      }, 60_000);
    }
  });

  it('a leaf whose U is cleared is caught (negative control: G-stage accesses are U-mode accesses)', async () => {
    const result = await checkRiscvGStage({ binary: qemu.binary(), scheme: 'sv39x4', seed: SEED + 43, samples: SAMPLES, tamper: true });
    expectCaught('riscv64 G-stage', result);
  }, 60_000);
});
