// The architectures ptdump knows: their register options, the decoder that turns the values into an attach
// plan, and an embedded sample (tables built with the library in memory, with the register values that point at
// them) for the no-argument run.
import {
  type AttachPlan,
  MappingFlags,
  type PageTable64,
  PhysicalMemory,
  RegisterError,
} from '@page-table-multiarch/core';
import { A64PageTable, decodeA64Registers, decodeA64Stage2Registers } from '@page-table-multiarch/aarch64';
import { A32PageTable, decodeA32Registers } from '@page-table-multiarch/arm';
import { decodeLA64Registers, LA64PageTable, PWCH_VALUE, PWCL_VALUE } from '@page-table-multiarch/loongarch64';
import { decodeRiscvHgatp, decodeRiscvSatp, Sv32PageTable, Sv39PageTable } from '@page-table-multiarch/riscv';
import { decodeX64Registers, decodeX86Eptp, X64PageTable, X86PaePageTable } from '@page-table-multiarch/x86_64';

const { READ: R, WRITE: W, EXECUTE: X, USER: U, DEVICE, UNCACHED } = MappingFlags;

/** One region of a sample: virtual address, physical address, bytes, flags, whether huge pages may be used. */
export type SampleRegion = readonly [va: bigint, pa: bigint, size: bigint, flags: number, huge: boolean];

/** An embedded sample: tables in memory and the register values that point at them. */
export interface Sample {
  /** The physical memory that holds the sample's tables. */
  readonly memory: PhysicalMemory;
  /** The translation registers that point at the tables, by option name (`cr3`, `ttbr0`, `satp`, ...). */
  readonly registers: Readonly<Record<string, bigint>>;
  /** The architecture's boolean options for the sample, by option name (`el2`, ...). */
  readonly switches: Readonly<Record<string, boolean>>;
  /** The tables built, with the regions each holds (for tests). */
  readonly tables: readonly {
    /** One table of the sample. */
    readonly table: PageTable64;
    /** What was mapped into it, in the order it was mapped. */
    readonly regions: readonly SampleRegion[];
  }[];
  /** One line: what the sample stands for. */
  readonly title: string;
}

/** An architecture as the command line sees it. */
export interface ArchSpec {
  /** Canonical name, the value of --arch. */
  readonly name: string;
  /** Other names --arch accepts for it (`amd64`, `arm64`, ...). */
  readonly aliases: readonly string[];
  /** Register options (without --), the required ones first. */
  readonly registers: readonly string[];
  /** Boolean options that belong to the architecture. */
  readonly switches: readonly string[];
  /** Help text for the register options. */
  readonly usage: string;
  /** Turns register values into an attach plan. */
  decode(registers: Readonly<Record<string, bigint>>, switches: Readonly<Record<string, boolean>>): AttachPlan | RegisterError;
  /** The MappingFlags that mean device memory for the audit (x86_64: PCD reads as UNCACHED). */
  readonly deviceFlags: number;
  /** Digits of an address in listings (16, or 8 for 32-bit architectures). */
  readonly addrDigits: number;
  /** Bytes of the largest table (the dump cache's chunk size). */
  readonly chunkBytes: number;
  /** Builds the embedded sample. */
  sample(): Sample;
}

function build<T extends PageTable64>(table: T, regions: readonly SampleRegion[]): { table: T; regions: readonly SampleRegion[] } {
  const c = table.cursor();
  for (const [va, pa, size, flags, huge] of regions) c.mapRegion(va, pa, size, flags, huge);
  c.flush();
  return { table, regions };
}

const KIB4 = 0x1000n;
const MIB1 = 0x10_0000n;
const MIB2 = 0x20_0000n;
const MIB4 = 0x40_0000n;
const GIB1 = 0x4000_0000n;

const x86_64: ArchSpec = {
  name: 'x86_64',
  aliases: ['x86-64', 'amd64', 'x64', 'intel64'],
  registers: ['cr3', 'cr4', 'efer', 'cr0', 'pat', 'eptp'],
  switches: ['mbec'],
  usage: '--cr3 VALUE [--cr4 VALUE] [--efer VALUE] [--cr0 VALUE] [--pat IA32_PAT] | --eptp VALUE [--mbec]',
  decode: (r, s) => {
    // eptp: a hypervisor's EPT table (guest-physical to host-physical); cr3: the CPU's own paging
    if (r['eptp'] !== undefined) {
      const other = ['cr3', 'cr4', 'efer', 'cr0', 'pat'].find((name) => r[name] !== undefined);
      if (other !== undefined) return new RegisterError('Invalid', 'EPTP', `--eptp and --${other} describe different tables: give --eptp alone`);
      return decodeX86Eptp({ eptp: r['eptp'], mbec: s['mbec'] === true });
    }
    if (s['mbec'] === true) return new RegisterError('Invalid', 'EPTP', '--mbec applies to EPT tables (--eptp)');
    if (r['cr3'] === undefined) return missing('--cr3');
    return decodeX64Registers({
      cr3: r['cr3'],
      ...(r['cr4'] !== undefined ? { cr4: r['cr4'] } : {}),
      ...(r['efer'] !== undefined ? { efer: r['efer'] } : {}),
      ...(r['cr0'] !== undefined ? { cr0: r['cr0'] } : {}),
      ...(r['pat'] !== undefined ? { pat: r['pat'] } : {}),
    });
  },
  deviceFlags: DEVICE | UNCACHED,
  addrDigits: 16,
  chunkBytes: 4096,
  sample() {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000n });
    const t = build(new X64PageTable(memory), [
      [0x40_0000n, 0x20_0000n, 4n * KIB4, R | X | U, false], // user text
      [0x60_0000n, 0x30_0000n, 2n * KIB4, R | W | U, false], // user data
      [0x7fff_ffff_e000n, 0x31_0000n, 2n * KIB4, R | W | U, false], // top of the user stack
      [0xffff_8880_0000_0000n, 0n, 2n * GIB1, R | W, true], // direct map, 1G pages
      [0xffff_ffff_8100_0000n, 0x100_0000n, 3n * MIB2, R | X, true], // kernel text, 2M pages
      [0xffff_ffff_8160_0000n, 0x160_0000n, MIB2, R | W, true], // kernel data
      [0xffff_ffff_c000_0000n, 0x40_0000n, KIB4, R | W | X, false], // a W+X module page (for the audit)
      [0xffff_ffff_ff5f_b000n, 0xfee0_0000n, KIB4, R | W | DEVICE, false], // local APIC (fixmap)
    ]);
    return {
      memory,
      registers: { cr3: t.table.rootPaddr, cr4: 0x6a0n, efer: 0xd01n, cr0: 0x8005_0033n },
      switches: {},
      tables: [t],
      title: 'x86_64 4-level paging: a user process and a kernel half',
    };
  },
};

/**
 * The stage 2 plan of --vtcr and --vttbr (both needed, without the stage 1 options). A root of concatenated tables
 * may be larger than the chunks ptdump reads an AArch64 dump in (up to 16 tables of 64 KiB: 1 MiB): the job then
 * reads in chunks of the root's size (`chunkBytesFor`).
 */
function decodeStage2(r: Readonly<Record<string, bigint>>, s: Readonly<Record<string, boolean>>): AttachPlan | RegisterError {
  const stage1 = ['ttbr0', 'ttbr1', 'tcr', 'mair'].filter((n) => r[n] !== undefined).map((n) => `--${n}`);
  if (s['el2'] === true) stage1.push('--el2');
  if (stage1.length > 0) return new RegisterError('Invalid', 'VTTBR_EL2', `--vtcr / --vttbr (stage 2) and ${stage1.join(', ')} (stage 1) describe different tables: give one of them`);
  if (r['vtcr'] === undefined) return missing('--vtcr');
  if (r['vttbr'] === undefined) return missing('--vttbr');
  const plan = decodeA64Stage2Registers({ vtcr: r['vtcr'], vttbr: r['vttbr'] });
  return plan;
}

/** Bytes ptdump reads an AArch64 dump in: a 64 KiB granule's table. */
const AARCH64_CHUNK = 65536;

const aarch64: ArchSpec = {
  name: 'aarch64',
  aliases: ['arm64', 'armv8', 'a64'],
  registers: ['ttbr0', 'ttbr1', 'tcr', 'mair', 'vtcr', 'vttbr'],
  switches: ['el2'],
  usage: '[--ttbr0 VALUE] [--ttbr1 VALUE] [--tcr VALUE] [--mair VALUE] [--el2] | --vtcr VALUE --vttbr VALUE',
  decode: (r, s) => {
    // --vtcr / --vttbr: a hypervisor's stage 2 table (IPA to PA); the others: a stage 1 regime
    if (r['vtcr'] !== undefined || r['vttbr'] !== undefined) return decodeStage2(r, s);
    return decodeA64Registers({
      ...(r['ttbr0'] !== undefined ? { ttbr0: r['ttbr0'] } : {}),
      ...(r['ttbr1'] !== undefined ? { ttbr1: r['ttbr1'] } : {}),
      ...(r['tcr'] !== undefined ? { tcr: r['tcr'] } : {}),
      ...(r['mair'] !== undefined ? { mair: r['mair'] } : {}),
      el2: s['el2'] === true,
    });
  },
  deviceFlags: DEVICE,
  addrDigits: 16,
  chunkBytes: AARCH64_CHUNK, // a 64 KiB granule's tables
  sample() {
    // QEMU virt: RAM from 0x40000000, with its DTB in the first MiB
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4020_0000n });
    const user = build(new A64PageTable(memory), [
      [0x40_0000n, 0x4010_0000n, 3n * KIB4, R | X | U, false],
      [0x41_0000n, 0x4020_0000n, KIB4, R | W | U, false],
      [0xffff_ffff_f000n, 0x4030_0000n, KIB4, R | W | U, false],
    ]);
    const kernel = build(new A64PageTable(memory), [
      [0xffff_0000_0000_0000n, 0x4000_0000n, GIB1, R | W, true], // linear map, a 1G block
      [0xffff_8000_8000_0000n, 0x4020_0000n, 2n * MIB2, R | X, true], // kernel text, 2M blocks
      [0xffff_8000_8040_0000n, 0x4060_0000n, MIB2, R | W, true], // kernel data
      [0xffff_ffff_fe00_0000n, 0x0900_0000n, KIB4, R | W | DEVICE, false], // PL011 UART (fixmap)
    ]);
    // TCR_EL1: T0SZ = T1SZ = 16, TG0 = 4KB (0b00), TG1 = 4KB (0b10), IPS = 48-bit, WBWA inner-shareable walks
    const tcr = 16n | (1n << 8n) | (1n << 10n) | (3n << 12n) | (16n << 16n) | (1n << 24n) | (1n << 26n) | (3n << 28n) | (2n << 30n) | (5n << 32n);
    return {
      memory,
      registers: { ttbr0: user.table.rootPaddr | (1n << 48n), ttbr1: kernel.table.rootPaddr, tcr },
      switches: {},
      tables: [user, kernel],
      title: 'AArch64 EL1&0: TTBR0_EL1 (a process, ASID 1) and TTBR1_EL1 (the kernel)',
    };
  },
};

const riscv64: ArchSpec = {
  name: 'riscv64',
  aliases: ['riscv', 'rv64', 'riscv64gc'],
  registers: ['satp', 'hgatp'],
  switches: ['xuantie', 'svnapot'],
  usage: '--satp VALUE [--xuantie | --svnapot] | --hgatp VALUE',
  decode: (r, s) => {
    // hgatp: a hypervisor's G-stage table (guest-physical to host-physical); satp: a VS-stage or native one
    if (r['hgatp'] !== undefined) {
      if (r['satp'] !== undefined) return new RegisterError('Invalid', 'hgatp', '--satp and --hgatp point at different tables: give one of them');
      if (s['xuantie'] === true) return new RegisterError('Invalid', 'hgatp', '--xuantie does not apply to G-stage tables (--hgatp)');
      if (s['svnapot'] === true) return new RegisterError('Invalid', 'hgatp', '--svnapot applies to Sv39, Sv48 and Sv57 tables (--satp), not to G-stage ones');
      return decodeRiscvHgatp({ hgatp: r['hgatp'] });
    }
    if (r['satp'] === undefined) return missing('--satp');
    return decodeRiscvSatp({ satp: r['satp'], xuantie: s['xuantie'] === true, svnapot: s['svnapot'] === true });
  },
  deviceFlags: DEVICE,
  addrDigits: 16,
  // the G-stage root (--hgatp) is 16 KiB, aligned to 16 KiB: a chunk must hold it whole
  chunkBytes: 16384,
  sample() {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const t = build(new Sv39PageTable(memory), [
      [0x1_0000n, 0x8010_0000n, 3n * KIB4, R | X | U, false],
      [0x2_0000n, 0x8020_0000n, 2n * KIB4, R | W | U, false],
      [0x3f_ffff_f000n, 0x8030_0000n, KIB4, R | W | U, false], // top of the lower half
      [0xffff_ffd8_0000_0000n, 0x8000_0000n, GIB1, R | W, true], // linear map, a gigapage
      [0xffff_ffff_8000_0000n, 0x8020_0000n, 2n * MIB2, R | X, true], // kernel text, megapages
      [0xffff_ffff_8040_0000n, 0x8060_0000n, MIB2, R | W, true],
      [0xffff_ffff_fef0_0000n, 0x1000_0000n, KIB4, R | W, false], // UART (memory type from the PMAs)
    ]);
    return {
      memory,
      registers: { satp: (8n << 60n) | (t.table.rootPaddr >> 12n) },
      switches: {},
      tables: [t],
      title: 'RISC-V Sv39: a process and the kernel half',
    };
  },
};

const riscv32: ArchSpec = {
  name: 'riscv32',
  aliases: ['rv32', 'riscv32gc'],
  registers: ['satp', 'hgatp'],
  switches: [],
  usage: '--satp VALUE | --hgatp VALUE',
  // RV32 satp (privileged spec 4.1.11, SXLEN = 32): MODE bit 31 (1 = Sv32), ASID 30:22, PPN 21:0; hgatp (Hypervisor
  // Extension, HSXLEN = 32): MODE bit 31 (1 = Sv32x4), VMID 28:22, PPN 21:0
  decode: (r) => {
    if (r['hgatp'] !== undefined) {
      if (r['satp'] !== undefined) return new RegisterError('Invalid', 'hgatp', '--satp and --hgatp point at different tables: give one of them');
      return decodeRiscvHgatp({ hgatp: r['hgatp'], xlen: 32 });
    }
    return r['satp'] === undefined ? missing('--satp') : decodeRiscvSatp({ satp: r['satp'], xlen: 32 });
  },
  deviceFlags: DEVICE,
  // at least 8 digits: Sv32x4 guest-physical addresses above 2^32 take a ninth
  addrDigits: 8,
  // the Sv32x4 root (--hgatp) is 16 KiB, aligned to 16 KiB: a chunk must hold it whole
  chunkBytes: 16384,
  sample() {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
    const t = build(new Sv32PageTable(memory), [
      [0x1_0000n, 0x8010_0000n, 3n * KIB4, R | X | U, false],
      [0x2_0000n, 0x2_0020_0000n, 2n * KIB4, R | W | U, false], // above 4 GiB: Sv32 has 34-bit physical addresses
      [0x3_0000n, 0x8030_0000n, KIB4, R | U, false],
      [0xc000_0000n, 0x8000_0000n, 2n * MIB4, R | W | X, true], // kernel, 4 MiB megapages
      [0xfff0_0000n, 0x1000_0000n, KIB4, R | W, false], // UART (memory type from the PMAs)
    ]);
    return {
      memory,
      registers: { satp: (1n << 31n) | (t.table.rootPaddr >> 12n) },
      switches: {},
      tables: [t],
      title: 'RISC-V Sv32 (RV32): a process and the kernel',
    };
  },
};

const loongarch64: ArchSpec = {
  name: 'loongarch64',
  aliases: ['loongarch', 'la64'],
  registers: ['pgdl', 'pgdh', 'pwcl', 'pwch'],
  switches: [],
  usage: '[--pgdl VALUE] [--pgdh VALUE] [--pwcl VALUE] [--pwch VALUE]',
  decode: (r) =>
    decodeLA64Registers({
      ...(r['pgdl'] !== undefined ? { pgdl: r['pgdl'] } : {}),
      ...(r['pgdh'] !== undefined ? { pgdh: r['pgdh'] } : {}),
      ...(r['pwcl'] !== undefined ? { pwcl: r['pwcl'] } : {}),
      ...(r['pwch'] !== undefined ? { pwch: r['pwch'] } : {}),
    }),
  deviceFlags: DEVICE,
  addrDigits: 16,
  // a table is one page: up to 64 KiB with 64 KiB pages (PWCL.PTbase = 16); a chunk must hold it whole
  chunkBytes: 65536,
  sample() {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x20_0000n });
    const t = build(new LA64PageTable(memory), [
      [0x1_2000_0000n, 0x30_0000n, 3n * KIB4, R | X | U, false],
      [0x1_2001_0000n, 0x31_0000n, 2n * KIB4, R | W | U, false],
      [0x7fff_ffff_f000n, 0x32_0000n, KIB4, R | W | U, false],
      [0xffff_8000_0000_0000n, 0x4000_0000n, GIB1, R | W, true], // a 1G huge page
      [0xffff_8000_4000_0000n, 0x20_0000n, 2n * MIB2, R | X, true], // 2M huge pages
      [0xffff_8000_4040_0000n, 0x1fe0_0000n, KIB4, R | W | DEVICE, false], // UART (strongly-ordered uncached)
    ]);
    const root = t.table.rootPaddr;
    return {
      memory,
      registers: { pgdl: root, pgdh: root, pwcl: BigInt(PWCL_VALUE), pwch: BigInt(PWCH_VALUE) },
      switches: {},
      tables: [t],
      title: 'LoongArch64 4-level: one root for both halves (PGDL = PGDH)',
    };
  },
};

/** The arm register options and the decodeA32Registers fields they give. */
const ARM_FIELDS: readonly (readonly [string, string])[] = [
  ['ttbr0', 'ttbr0'],
  ['ttbr1', 'ttbr1'],
  ['ttbcr', 'ttbcr'],
  ['kernel-start', 'kernelStart'],
  ['sctlr', 'sctlr'],
  ['prrr', 'prrr'],
  ['nmrr', 'nmrr'],
  ['dacr', 'dacr'],
  ['mair0', 'mair0'],
  ['mair1', 'mair1'],
];

const arm: ArchSpec = {
  name: 'arm',
  aliases: ['armv7', 'armv7a', 'arm32', 'a32'],
  registers: ['ttbr0', 'ttbr1', 'ttbcr', 'kernel-start', 'sctlr', 'prrr', 'nmrr', 'dacr', 'mair0', 'mair1'],
  switches: [],
  usage:
    '--ttbr0 VALUE [--ttbr1 VALUE] [--ttbcr VALUE] [--kernel-start VALUE] [--sctlr VALUE] [--prrr VALUE --nmrr VALUE] [--dacr VALUE] [--mair0 VALUE --mair1 VALUE (TTBCR.EAE = 1)]',
  decode: (r) => {
    const given: Record<string, bigint> = {};
    // option name -> decoder field
    for (const [option, key] of ARM_FIELDS) if (r[option] !== undefined) given[key] = r[option]!;
    return decodeA32Registers(given);
  },
  deviceFlags: DEVICE,
  addrDigits: 8,
  chunkBytes: 16384,
  sample() {
    // QEMU virt: RAM from 0x40000000, with its DTB in the first MiB
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4020_0000n });
    const t = build(new A32PageTable(memory), [
      [0x1_0000n, 0x4010_0000n, 3n * KIB4, R | X | U, false],
      [0x2_0000n, 0x4020_0000n, 2n * KIB4, R | W | U, false],
      [0xbeff_f000n, 0x4030_0000n, KIB4, R | W | U, false], // top of the user stack
      [0xbf00_0000n, 0x4040_0000n, KIB4, R | W | X, false], // a W+X module page (for the audit)
      [0xc000_0000n, 0x4000_0000n, MIB1, R | X, true], // kernel text, a section
      [0xc010_0000n, 0x4010_0000n, 3n * MIB1, R | W, true], // lowmem, sections
      [0xf800_0000n, 0x0900_0000n, MIB1, R | W | DEVICE, true], // UART, a device section
    ]);
    return {
      memory,
      // TTBR0 with S, RGN = 0b01 (write-back write-allocate) and IRGN[0]: attribute bits the decoder drops
      registers: { ttbr0: t.table.rootPaddr | 0x4an, ttbcr: 0n, 'kernel-start': 0xbf00_0000n },
      switches: {},
      tables: [t],
      title: 'ARMv7 short descriptors: TTBR0 with TTBCR.N = 0, the kernel from 0xbf000000',
    };
  },
};

/** IA32_EFER.NXE, bit 11 (Intel SDM Vol. 3A 2.2.1): what `--arch x86` assumes without `--efer` (LME = 0). */
const EFER_NXE = 0x800n;

// The legacy modes of the same CPU: the registers are x86_64's, but CR4 is required (CR4.PAE tells 32-bit paging
// from PAE paging) and a missing IA32_EFER means protected mode (LME = 0) rather than long mode.
const x86: ArchSpec = {
  name: 'x86',
  aliases: ['i386', 'i686', 'ia32', 'x86-32', 'x86-pae'],
  registers: ['cr3', 'cr4', 'efer', 'cr0', 'pat'],
  switches: [],
  usage: '--cr3 VALUE --cr4 VALUE [--efer VALUE] [--cr0 VALUE] [--pat IA32_PAT]',
  decode: (r) => {
    if (r['cr3'] === undefined) return missing('--cr3');
    if (r['cr4'] === undefined) return missing('--cr4');
    const plan = decodeX64Registers({
      cr3: r['cr3'],
      cr4: r['cr4'],
      efer: r['efer'] ?? EFER_NXE,
      ...(r['cr0'] !== undefined ? { cr0: r['cr0'] } : {}),
      ...(r['pat'] !== undefined ? { pat: r['pat'] } : {}),
    });
    if (plan instanceof RegisterError || r['efer'] !== undefined || plan.format.meta.levels === 2) return plan;
    return { ...plan, notes: ['IA32_EFER not given: LME = 0 and NXE = 1 assumed', ...plan.notes] };
  },
  deviceFlags: DEVICE | UNCACHED,
  addrDigits: 8,
  chunkBytes: 4096,
  sample() {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x10_0000n });
    const t = build(new X86PaePageTable(memory), [
      [0x0804_8000n, 0x20_0000n, 3n * KIB4, R | X | U, false], // user text
      [0x0805_0000n, 0x30_0000n, 2n * KIB4, R | W | U, false], // user data
      [0xbfff_e000n, 0x31_0000n, 2n * KIB4, R | W | U, false], // top of the user stack
      [0xc000_0000n, 0n, 4n * MIB2, R | W, true], // lowmem, 2M pages
      [0xc100_0000n, 0x100_0000n, MIB2, R | X, true], // kernel text
      [0xf800_0000n, 0x40_0000n, KIB4, R | W | X, false], // a W+X module page (for the audit)
      [0xffff_b000n, 0xfee0_0000n, KIB4, R | W | DEVICE, false], // local APIC (fixmap)
    ]);
    return {
      memory,
      registers: { cr3: t.table.rootPaddr, cr4: 0x6b0n, efer: EFER_NXE, cr0: 0x8005_0033n },
      switches: {},
      tables: [t],
      title: 'x86 PAE paging: a 32-bit process and the kernel above 0xc0000000',
    };
  },
};

/** A 'Missing' RegisterError for a required register option (the decoders' own error type). */
function missing(option: string): RegisterError {
  return new RegisterError('Missing', option.replace(/^--/, '').toUpperCase(), `${option} is required`);
}

/** Every architecture, in the order the embedded default lists them. */
export const ARCHES: readonly ArchSpec[] = Object.freeze([x86_64, x86, aarch64, arm, riscv64, riscv32, loongarch64]);

/** The architecture called `name` (or one of its aliases), or undefined. */
export function archByName(name: string): ArchSpec | undefined {
  const n = name.toLowerCase();
  return ARCHES.find((a) => a.name === n || a.aliases.includes(n));
}

/** Every register option of every architecture. */
export const ALL_REGISTERS: readonly string[] = [...new Set(ARCHES.flatMap((a) => a.registers))];
/** Every architecture switch. */
export const ALL_SWITCHES: readonly string[] = [...new Set(ARCHES.flatMap((a) => a.switches))];
