// AArch64: the MMU of QEMU's `max` CPU translates through A64PageTable tables in TTBR0_EL1 and TTBR1_EL1.
import { it } from 'vitest';
import { checkA64 } from '../src/index';
import { expectAgreement, expectCaught, expectListing, onEveryQemu, SAMPLES, SEED } from './_support';

// The stub as QEMU decodes it (hand-encoded in src/_a64.ts; also checked once with gdb-multiarch `x/i`).
const at = (op: string) => [`at ${op}, x8`, 'isb', 'mrs x9, par_el1', 'str x9, [x7], #8'];
const STUB = [
  'msr mair_el1, x0',
  'msr tcr_el1, x1',
  'msr ttbr0_el1, x2',
  'msr ttbr1_el1, x3',
  'msr vbar_el1, x10',
  'isb',
  'msr sctlr_el1, x4',
  'isb',
  'ldr x8, [x5], #8',
  ...at('s1e1r'),
  ...at('s1e1w'),
  ...at('s1e0r'),
  ...at('s1e0w'),
  'subs x6, x6, #1',
  'b.ne #0x42e00020',
  '(not executed)',
];

onEveryQemu('qemu-system-aarch64', 'aarch64', (qemu) => {
  it('TTBR0 and TTBR1: translation, MAIR attribute and EL1/EL0 read/write permission agree (AT S1E1R/W, S1E0R/W)', async () => {
    const t0 = Date.now();
    const result = await checkA64({ binary: qemu.binary(), seed: SEED, samples: SAMPLES });
    expectAgreement('aarch64', SEED, result, Date.now() - t0);
  }, 60_000);

  // every granule at three VA sizes (D8.2 start levels 0..2), the two ranges in tables of their own, memory types
  // for Linux's MAIR_EL1 (arch/arm64/mm/proc.S MAIR_EL1_SET) in the 16 KiB runs
  const LINUX_MAIR = 0x4_0044_ffffn;
  const formats: [4 | 16 | 64, number][] = [
    [4, 39],
    [4, 42],
    [4, 48],
    [16, 39],
    [16, 42],
    [16, 47],
    [16, 48],
    [64, 39],
    [64, 42],
    [64, 48],
  ];
  for (const [granule, vaBits] of formats) {
    it(`${granule}K granule, ${vaBits}-bit, TTBR0 and TTBR1 tables of their own range: translation, attributes and permissions agree`, async () => {
      const t0 = Date.now();
      const mair = granule === 16 ? LINUX_MAIR : undefined;
      const result = await checkA64({ binary: qemu.binary(), seed: SEED, samples: 600, granule, vaBits, halves: true, ...(mair === undefined ? {} : { mair }) });
      expectAgreement(`aarch64 ${granule}K/${vaBits}`, SEED, result, Date.now() - t0);
    }, 60_000);
  }

  // 52-bit: FEAT_LPA2 with TCR_EL1.DS = 1 (4K from lookup level -1, 16K from a 32-entry level 0) and FEAT_LPA with
  // FEAT_LVA (64K, a 1024-entry level 1), IPS = 0b110, leaves anywhere below 2^52 with the extra block level (512 GiB,
  // 64 GiB, 4 TiB); also 48-bit ranges with 52-bit output addresses. QEMU's max CPU has all three (target/arm/cpu64.c:
  // ID_AA64MMFR0.PARANGE 52 bits, TGRAN4 / TGRAN16 with LPA2; ID_AA64MMFR2.VARANGE 52 bits).
  const wide: [4 | 16 | 64, number][] = [
    [4, 52],
    [16, 52],
    [64, 52],
    [4, 48],
    [64, 42],
  ];
  for (const [granule, vaBits] of wide) {
    it(`${granule}K granule, ${vaBits}-bit with 52-bit output addresses (${granule === 64 ? 'FEAT_LPA' : 'FEAT_LPA2, DS = 1'}): translation, attributes and permissions agree`, async () => {
      const t0 = Date.now();
      const result = await checkA64({ binary: qemu.binary(), seed: SEED, samples: 600, granule, vaBits, halves: true, paBits: 52 });
      expectAgreement(`aarch64 ${granule}K/${vaBits} PA52`, SEED, result, Date.now() - t0);
    }, 60_000);
  }

  for (const granule of [4, 64] as const) {
    it(`${granule}K, 52-bit: a corrupted OA[51] (descriptor bit ${granule === 64 ? 15 : 9}) is caught (negative control)`, async () => {
      const result = await checkA64({ binary: qemu.binary(), seed: SEED + 3, samples: 200, granule, vaBits: 52, halves: true, paBits: 52, tamper: true });
      expectCaught(`aarch64 ${granule}K/52`, result);
    }, 60_000);
  }

  it('a corrupted entry is caught, and QEMU decodes the stub as intended (negative control)', async () => {
    const result = await checkA64({ binary: qemu.binary(), seed: SEED + 2, samples: 200, tamper: true, qemuArgs: ['-d', 'in_asm'] });
    expectCaught('aarch64', result);
    expectListing(result, [STUB], qemu.title);
  }, 60_000);
});
