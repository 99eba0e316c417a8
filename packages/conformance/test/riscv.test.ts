// RISC-V: QEMU's page walker reads the tables Sv39PageTable, Sv48PageTable and Sv57PageTable build.
import { it } from 'vitest';
import { checkRiscv, type RiscvScheme } from '../src/index';
import { expectAgreement, expectCaught, onEveryQemu, SAMPLES, SEED } from './_support';

onEveryQemu('qemu-system-riscv64', 'riscv64', (qemu) => {
  const schemes: [RiscvScheme, string][] = [
    ['sv39', 'Sv39 (4K, 2M, 1G)'],
    ['sv48', 'Sv48 (4K, 2M, 1G, 512G)'],
    ['sv57', 'Sv57 (4K, 2M, 1G, 512G, 256T)'],
  ];
  schemes.forEach(([scheme, title], i) => {
    it(`${title}: translations, leaf rwxu and S/U-mode load permission (SUM, MXR) agree`, async () => {
      const t0 = Date.now();
      const result = await checkRiscv({ binary: qemu.binary(), scheme, seed: SEED + i, samples: SAMPLES });
      expectAgreement(`riscv64 ${scheme}`, SEED + i, result, Date.now() - t0);
    }, 60_000);
  });

  it('Sv39 with Svpbmt (DEVICE as IO, UNCACHED as NC): the same agreement, and with menvcfg.PBMTE = 0 exactly the typed leaves fault', async () => {
    const t0 = Date.now();
    const result = await checkRiscv({ binary: qemu.binary(), scheme: 'sv39', seed: SEED + 4, samples: SAMPLES, svpbmt: true });
    expectAgreement('riscv64 sv39 svpbmt', SEED + 4, result, Date.now() - t0);
  }, 60_000);

  it('Sv39 and Sv48 with Svnapot (64 KiB NAPOT pages from map and mapRegion): the same agreement', async () => {
    for (const [scheme, k] of [
      ['sv39', 5],
      ['sv48', 6],
    ] as const) {
      const t0 = Date.now();
      const result = await checkRiscv({ binary: qemu.binary(), scheme, seed: SEED + k, samples: SAMPLES, svnapot: true });
      expectAgreement(`riscv64 ${scheme} svnapot`, SEED + k, result, Date.now() - t0);
    }
  }, 120_000);

  it('a corrupted entry is caught (negative control)', async () => {
    const result = await checkRiscv({ binary: qemu.binary(), scheme: 'sv39', seed: SEED + 3, samples: SAMPLES, tamper: true });
    expectCaught('riscv64', result);
  }, 60_000);
});
