// LoongArch64: QEMU's LoongArch CPU walks LA64PageTable tables with LDDIR / LDPTE (a TLB-refill handler), with 4 KiB
// pages (4 levels), 16 KiB (3 levels, a table per half) and 64 KiB (2 levels, a table per half; 3 levels, one table).
import { it } from 'vitest';
import { checkLa64 } from '../src/index';
import { expectAgreement, expectCaught, expectListing, onEveryQemu, SAMPLES, SEED } from './_support';

// The program as QEMU decodes it (hand-encoded in src/_la64.ts; gdb has no LoongArch disassembler).
const MAIN = [
  'csrwr r4, 28 # PWCL',
  'csrwr r5, 29 # PWCH',
  'csrwr r6, 25 # PGDL',
  'csrwr r16, 26 # PGDH',
  'csrwr r7, 136 # TLBRENTRY',
  'csrwr r8, 12 # EENTRY',
  'csrwr r9, 384 # DMW(0)',
  'csrwr r10, 30 # STLBPS',
  'csrwr r11, 142 # TLBREHI',
  'csrwr r15, 0 # CRMD',
  'ibar 0',
  'ld_d r17, r12, 0',
  'invtlb 0, r0, r0',
  'or r20, r0, r0',
  'ld_d r18, r17, 0',
  'srli_d r19, r17, 13',
  'slli_d r19, r19, 13',
  'csrwr r19, 17 # TLBEHI',
  'tlbsrch',
  'csrrd r21, 16 # TLBIDX',
  'tlbrd',
  'csrrd r22, 16 # TLBIDX',
  'csrrd r23, 17 # TLBEHI',
  'csrrd r24, 18 # TLBELO0',
  'csrrd r25, 19 # TLBELO1',
  'st_d r20, r14, 0',
  'st_d r21, r14, 8',
  'st_d r22, r14, 16',
  'st_d r23, r14, 24',
  'st_d r24, r14, 32',
  'st_d r25, r14, 40',
  'addi_d r14, r14, 48',
  'addi_d r12, r12, 8',
  'addi_d r13, r13, -1',
  'bne r13, r0, -92 # 0x900000000170002c',
  '(not executed)',
];
const REFILL = [
  'csrwr r30, 139 # TLBRSAVE',
  'csrrd r30, 27 # PGD',
  'lddir r30, r30, 3',
  'lddir r30, r30, 2',
  'lddir r30, r30, 1',
  'ldpte r30, 0',
  'ldpte r30, 1',
  'tlbfill',
  'csrrd r30, 139 # TLBRSAVE',
  'ertn',
];
const HANDLER = ['csrrd r20, 5 # ESTAT', 'csrrd r26, 6 # ERA', 'addi_d r26, r26, 4', 'csrwr r26, 6 # ERA', 'ertn'];

onEveryQemu('qemu-system-loongarch64', 'loongarch64', (qemu) => {
  it('4K, 2M and 1G pages: the TLB entries LDDIR/LDPTE fill (address, D, PLV, MAT, NR/NX/RPLV, page size) and each load agree', async () => {
    const t0 = Date.now();
    const result = await checkLa64({ binary: qemu.binary(), seed: SEED, samples: SAMPLES });
    expectAgreement('loongarch64', SEED, result, Date.now() - t0);
  }, 60_000);

  it.each([
    { pageKiB: 16, levels: 3, what: '16K pages and 32M huge pages, PGDL and PGDH tables of 47 bits' },
    { pageKiB: 64, levels: 2, what: '64K pages and 512M huge pages in the root, PGDL and PGDH tables of 42 bits' },
    { pageKiB: 64, levels: 3, what: '64K pages and 512M huge pages, one 55-bit table for both halves' },
  ] as const)('$what: the TLB entries and each load agree', async ({ pageKiB, levels }) => {
    const t0 = Date.now();
    const result = await checkLa64({ binary: qemu.binary(), seed: SEED, samples: SAMPLES, pageKiB, levels });
    expectAgreement(`loongarch64 ${pageKiB}K/${levels}`, SEED, result, Date.now() - t0);
  }, 60_000);

  it('a corrupted 16K entry is caught, and the refill handler of a 3-level table is LDDIR 3, LDDIR 1', async () => {
    const result = await checkLa64({ binary: qemu.binary(), seed: SEED + 2, samples: 200, tamper: true, pageKiB: 16, levels: 3, qemuArgs: ['-d', 'in_asm'] });
    expectCaught('loongarch64 16K/3', result);
    // (the program sits at the end of a larger memory than with 4 KiB tables: the loop's address differs)
    const main = MAIN.map((line) => line.replace('0x900000000170002c', '0x9000000002f0002c'));
    expectListing(result, [main, REFILL.filter((line) => line !== 'lddir r30, r30, 2'), HANDLER], qemu.title);
  }, 60_000);

  it('a corrupted entry is caught, and QEMU decodes the program as intended (negative control)', async () => {
    const result = await checkLa64({ binary: qemu.binary(), seed: SEED + 2, samples: 200, tamper: true, qemuArgs: ['-d', 'in_asm'] });
    expectCaught('loongarch64', result);
    expectListing(result, [MAIN, REFILL, HANDLER], qemu.title);
  }, 60_000);
});
