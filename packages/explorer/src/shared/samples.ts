// The embedded samples as the load panel lists them. The page does not import the samples themselves (they bring
// every architecture's tables; the worker builds them), only their names: a test keeps this list equal to ptdump's.

/** The samples the worker can build (ptdump's ARCHES, in its order; a test keeps the two lists equal), labelled. */
export const SAMPLES: readonly (readonly [arch: string, label: string])[] = [
  ['x86_64', 'x86_64: 4-level paging, a process and the kernel half'],
  ['x86', 'x86: PAE paging, a 32-bit process and the kernel'],
  ['aarch64', 'AArch64: TTBR0_EL1 and TTBR1_EL1, 4 KiB granule'],
  ['arm', 'ARMv7: short descriptors, sections and small pages'],
  ['riscv64', 'RISC-V: Sv39'],
  ['riscv32', 'RISC-V: Sv32 (RV32)'],
  ['loongarch64', 'LoongArch64: 4-level, PGDL = PGDH'],
];
