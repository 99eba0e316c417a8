// ARMv7: the MMU of QEMU's Cortex-A15 translates through A32PageTable short-descriptor tables in TTBR0 and TTBR1.
import { it } from 'vitest';
import { checkA32 } from '../src/index';
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
