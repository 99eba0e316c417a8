// RISC-V RV32: QEMU's page walker reads the tables Sv32PageTable builds (qemu-system-riscv32).
import { it } from 'vitest';
import { checkRiscv } from '../src/index';
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
