// RISC-V RV32: QEMU's page walker reads the tables Sv32PageTable and Sv32x4PageTable build (qemu-system-riscv32).
import { it } from 'vitest';
import { checkRiscv, checkRiscvGStage } from '../src/index';
import { expectAgreement, expectCaught, onEveryQemu, SAMPLES, SEED } from './_support';

onEveryQemu('qemu-system-riscv32', 'riscv32', (qemu) => {
  it('Sv32 (4K, 4M; 34-bit physical addresses): translations, leaf rwxu and S/U-mode load permission (SUM, MXR) agree', async () => {
    const t0 = Date.now();
    const result = await checkRiscv({ binary: qemu.binary(), scheme: 'sv32', seed: SEED + 50, samples: SAMPLES });
    expectAgreement('riscv32 sv32', SEED + 50, result, Date.now() - t0);
  }, 60_000);

  it('a corrupted entry is caught (negative control)', async () => {
    const result = await checkRiscv({ binary: qemu.binary(), scheme: 'sv32', seed: SEED + 51, samples: SAMPLES, tamper: true });
    expectCaught('riscv32', result);
  }, 60_000);
});

onEveryQemu('qemu-system-riscv32', 'riscv32 G-stage (H extension)', (qemu) => {
  for (const mxr of [false, true]) {
    it(`Sv32x4 (4K, 4M; 16 KiB root), MXR = ${mxr ? 1 : 0}: guest-physical translations below 4 GiB and G-stage load permission agree`, async () => {
      const t0 = Date.now();
      const result = await checkRiscvGStage({ binary: qemu.binary(), scheme: 'sv32x4', seed: SEED + 52, samples: SAMPLES, mxr });
      expectAgreement(`riscv32 sv32x4${mxr ? ' MXR' : ''}`, SEED + 52, result, Date.now() - t0);
    }, 60_000);
  }

  it('a leaf whose U is cleared is caught (negative control)', async () => {
    const result = await checkRiscvGStage({ binary: qemu.binary(), scheme: 'sv32x4', seed: SEED + 53, samples: SAMPLES, tamper: true });
    expectCaught('riscv32 G-stage', result);
  }, 60_000);
});
