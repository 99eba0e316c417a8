// ARMv7: the MMU of QEMU's Cortex-A15 translates through A32PageTable short-descriptor tables in TTBR0 and TTBR1, and
// through long-descriptor tables (A32LpaePageTable, A32LpaeTtbr1PageTable) with TTBCR.EAE = 1.
import { it } from 'vitest';
import { checkA32, checkA32Lpae } from '../src/index';
import { expectAgreement, expectCaught, expectListing, onEveryQemu, SAMPLES, SEED } from './_support';

// The stub as QEMU decodes it (hand-encoded in src/_a32.ts; also checked once with gdb-multiarch `x/i`).
// QEMU's disassembler names r9 and r10 by their APCS names, sb and sl.
const ats = (opc2: number) => [`mcr p15, #0, r8, c7, c8, #${opc2}`, 'isb sy', 'mrc p15, #0, sb, c7, c4, #0', 'str sb, [r7], #4'];
const STUB = [
  'mcr p15, #0, r0, c3, c0, #0',
  'mcr p15, #0, r1, c2, c0, #2',
  'mcr p15, #0, r2, c2, c0, #0',
  'mcr p15, #0, r3, c2, c0, #1',
  'mcr p15, #0, sl, c12, c0, #0',
  'mcr p15, #0, r0, c8, c7, #0',
  'isb sy',
  'mcr p15, #0, r4, c1, c0, #0',
  'isb sy',
  'ldr r8, [r5], #4',
  ...ats(0),
  ...ats(1),
  ...ats(2),
  ...ats(3),
  'subs r6, r6, #1',
  'bne #0x41700024',
  '(not executed)',
];

onEveryQemu('qemu-system-arm', 'ARMv7', (qemu) => {
  it('Sections and Small pages in TTBR0 and TTBR1: translation and PL1/PL0 read/write permission agree (ATS1CPR/W, ATS1CUR/W)', async () => {
    const t0 = Date.now();
    const result = await checkA32({ binary: qemu.binary(), seed: SEED, samples: SAMPLES });
    expectAgreement('ARMv7', SEED, result, Date.now() - t0);
  }, 60_000);

  it('a corrupted entry is caught, and QEMU decodes the stub as intended (negative control)', async () => {
    const result = await checkA32({ binary: qemu.binary(), seed: SEED + 2, samples: 200, tamper: true, qemuArgs: ['-d', 'in_asm'] });
    expectCaught('ARMv7', result);
    expectListing(result, [STUB], qemu.title);
  }, 60_000);
});

// Long descriptors (TTBCR.EAE = 1), for three TTBCR splits (ARM DDI 0406C.d B3.6.4): Linux's (TTBR0 from a 4-entry
// level 1 table below 0xc000_0000, TTBR1 from a 512-entry level 2 table above), T0SZ = 1 with TTBR1 over the rest
// from a level 1 table (T1SZ = 0), and T0SZ = 1 with T1SZ = 3 (a 256-entry level 2 TTBR1 table and a gap between the
// ranges that must fault). Memory types go through Linux's MAIR pair and are compared as PAR's attribute byte.
// The long-descriptor stub as QEMU decodes it: the 64-bit TTBRs written with MCRR (opc1 0 and 1, c2) from r3/r4 and
// r11/r12 (fp, ip), PAR read with MRRC (c7) into r9/r11 (sb, fp).
const lpaeAts = (opc2: number) => [`mcr p15, #0, r8, c7, c8, #${opc2}`, 'isb sy', 'mrrc p15, #0, sb, fp, c7', 'str sb, [r7], #4', 'str fp, [r7], #4'];
const LPAE_STUB = [
  'mcr p15, #0, r0, c2, c0, #2',
  'mcr p15, #0, r1, c10, c2, #0',
  'mcr p15, #0, r2, c10, c2, #1',
  'mcrr p15, #0, r3, r4, c2',
  'mcrr p15, #1, fp, ip, c2',
  'mcr p15, #0, sl, c12, c0, #0',
  'mcr p15, #0, r0, c8, c7, #0',
  'isb sy',
  'mcr p15, #0, sb, c1, c0, #0',
  'isb sy',
  'ldr r8, [r5], #4',
  ...lpaeAts(0),
  ...lpaeAts(1),
  ...lpaeAts(2),
  ...lpaeAts(3),
  'subs r6, r6, #1',
  'bne #0x41700028',
  '(not executed)',
];

const SPLITS = [
  { t0sz: 0, t1sz: 2 },
  { t0sz: 1, t1sz: 0 },
  { t0sz: 1, t1sz: 3 },
] as const;

onEveryQemu('qemu-system-arm', 'ARMv7 long descriptors', (qemu) => {
  for (const [i, split] of SPLITS.entries()) {
    it(`T0SZ = ${split.t0sz}, T1SZ = ${split.t1sz}: translation, memory attributes and PL1/PL0 read/write permission agree`, async () => {
      const t0 = Date.now();
      const result = await checkA32Lpae({ binary: qemu.binary(), seed: SEED + 10 * i, samples: SAMPLES, ...split });
      expectAgreement(`ARMv7 LPAE T0SZ=${split.t0sz} T1SZ=${split.t1sz}`, SEED + 10 * i, result, Date.now() - t0);
    }, 60_000);
  }

  it('T0SZ = 1, T1SZ = 0, TTBR1 holding two 1 GiB Blocks at level 1: translation, attributes and permissions agree', async () => {
    const t0 = Date.now();
    const result = await checkA32Lpae({ binary: qemu.binary(), seed: SEED + 40, samples: SAMPLES, t0sz: 1, t1sz: 0, gibBlocks: true });
    expectAgreement('ARMv7 LPAE 1G Blocks', SEED + 40, result, Date.now() - t0);
  }, 60_000);

  it('a corrupted entry is caught, and QEMU decodes the stub as intended (negative control)', async () => {
    const result = await checkA32Lpae({ binary: qemu.binary(), seed: SEED + 3, samples: 200, tamper: true, qemuArgs: ['-d', 'in_asm'], t0sz: 0, t1sz: 2 });
    expectCaught('ARMv7 LPAE', result);
    expectListing(result, [LPAE_STUB], qemu.title);
  }, 60_000);
});
