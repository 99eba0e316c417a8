// The cases of the boot-register suite (test/boot.test.ts): for each architecture's register encoder, tables to
// encode, the roots the decoder must give back, and the register fields checked against the manuals (cited with
// each case).
import {
  type AttachPlan,
  type DumpRoot,
  field,
  MappingFlags,
  PageSize,
  type PageTable64,
  type PhysicalMemory,
  type RegisterError,
} from '@page-table-multiarch/core';
import {
  A64PageTable,
  A64PageTable4K52,
  A64PageTable64K52,
  A64PageTableEl2,
  decodeA64Registers,
  encodeA64El2Registers,
  encodeA64Registers,
  MAIR_VALUE,
} from '@page-table-multiarch/aarch64';
import {
  type A32LpaeCodec,
  A32LpaePageTable,
  A32LpaeTtbr1PageTable,
  A32PageTable,
  decodeA32Registers,
  encodeA32LpaeRegisters,
  encodeA32Registers,
  LPAE_MAIR,
} from '@page-table-multiarch/arm';
import { decodeLA64Registers, encodeLA64Registers, LA64PageTable, PWCH_VALUE, PWCL_VALUE } from '@page-table-multiarch/loongarch64';
import {
  decodeRiscvHgatp,
  decodeRiscvSatp,
  encodeRiscvHgatp,
  encodeRiscvSatp,
  Sv32PageTable,
  Sv32x4PageTable,
  Sv39PageTable,
  Sv39x4PageTable,
  Sv39PageTableXuantie,
  Sv48PageTable,
  Sv48x4PageTable,
  Sv57PageTable,
  Sv57x4PageTable,
} from '@page-table-multiarch/riscv';
import {
  decodeX64Registers,
  decodeX86Eptp,
  encodeX64Registers,
  encodeX86Eptp,
  encodeX86LegacyRegisters,
  X64PageTable,
  X64PageTable5,
  X86Ept5PageTable,
  X86EptPageTable,
  X86PageTable32,
  X86PaePageTable,
} from '@page-table-multiarch/x86_64';
import { expect } from 'vitest';

export const RW = MappingFlags.READ | MappingFlags.WRITE;
const RX = MappingFlags.READ | MappingFlags.EXECUTE;

/** One encoding: the tables (each with the roots it must come back as, in the plan's order) and the checks. */
export interface BootCase {
  readonly name: string;
  /** Builds tables in `memory`, encodes them, and returns what the decoder must give back. */
  readonly run: (memory: PhysicalMemory) => {
    readonly values: Readonly<Record<string, bigint>>;
    readonly plan: AttachPlan | RegisterError;
    /** The table each decoded root must translate like, in the plan's root order. */
    readonly tables: readonly PageTable64[];
  };
  readonly memBase: bigint;
  /** Field checks from the manual, on the encoded values. */
  readonly fields: (values: Readonly<Record<string, bigint>>, tables: readonly PageTable64[]) => void;
  /**
   * The table at a decoded root, when the plan's `format.attach` cannot make it (a format whose geometry depends
   * on the registers, such as ARMv7 LPAE's TxSZ); default `plan.format.attach(memory, root.root)`.
   */
  readonly attach?: (memory: PhysicalMemory, root: DumpRoot, values: Readonly<Record<string, bigint>>) => PageTable64;
  /** Checks of the decoded plan beyond its roots (ranges, memory types). */
  readonly decoded?: (plan: AttachPlan) => void;
}

/** Maps a 4 KiB page at each address (read-write and read-execute in turn). */
export function fill(table: PageTable64, vas: readonly bigint[], base: bigint): PageTable64 {
  const c = table.cursor();
  for (const [i, va] of vas.entries()) c.map(va, base + BigInt(i) * 0x1000n, PageSize.Size4K, i % 2 === 0 ? RW : RX);
  c.flush();
  return table;
}

/** Maps a page of the table's smallest size at each address (read-write and read-execute in turn). */
function fillPages(table: PageTable64, vas: readonly bigint[], base: bigint): PageTable64 {
  const page = table.meta.levelSize[table.meta.levels - 1]!;
  const c = table.cursor();
  for (const [i, va] of vas.entries()) c.map(va, base + BigInt(i * page), page, i % 2 === 0 ? RW : RX);
  c.flush();
  return table;
}

/** An ARMv7 long-descriptor (LPAE) encoding: the TTBCR split, the tables given, and what decoding must give. */
interface LpaeRow {
  readonly name: string;
  readonly t0sz: number;
  readonly t1sz: number;
  /** Pages for the TTBR0 table, or no such table. */
  readonly user?: readonly bigint[];
  /** Pages for the TTBR1 table, or no such table. */
  readonly kernel?: readonly bigint[];
  readonly asid?: number;
  readonly mair?: { readonly mair0: number; readonly mair1: number };
  /** The decoded roots: label, first address, end, vaBits, startLevel (B3.6.4, B3.6.5). */
  readonly roots: readonly (readonly [string, bigint, bigint, number, number])[];
}

const G = 0x4000_0000n;
const LPAE_ROWS: LpaeRow[] = [
  { name: 'TTBR0 alone, T0SZ = T1SZ = 0', t0sz: 0, t1sz: 0, user: [0x40_0000n, 0xc000_0000n], asid: 0x5a, roots: [['TTBR0', 0n, 4n * G, 32, 0]] },
  {
    name: "Linux's split (T1SZ = 2), both tables, Linux's MAIR pair",
    t0sz: 0,
    t1sz: 2,
    user: [0x1000n, 0xbfff_f000n],
    kernel: [0xc000_0000n, 0xffff_f000n],
    asid: 0xff,
    mair: { mair0: 0xeeaa_4400, mair1: 0xff00_0004 },
    roots: [['TTBR0', 0n, 3n * G, 32, 0], ['TTBR1', 3n * G, 4n * G, 30, 1]],
  },
  {
    name: 'T0SZ = 1, T1SZ = 0: 2 GiB each, both roots at level 1',
    t0sz: 1,
    t1sz: 0,
    user: [0x40_0000n, 0x7fff_f000n],
    kernel: [0x8000_0000n, 0xffff_f000n],
    roots: [['TTBR0', 0n, 2n * G, 31, 0], ['TTBR1', 2n * G, 4n * G, 32, 0]],
  },
  {
    name: 'T0SZ = 2, T1SZ = 1: a hole between the ranges',
    t0sz: 2,
    t1sz: 1,
    user: [0x3fff_f000n],
    kernel: [0x8000_0000n],
    roots: [['TTBR0', 0n, G, 30, 1], ['TTBR1', 2n * G, 4n * G, 31, 0]],
  },
  { name: 'TTBR1 alone, T1SZ = 7', t0sz: 0, t1sz: 7, kernel: [0xfe00_0000n, 0xffff_f000n], roots: [['TTBR1', 0xfe00_0000n, 4n * G, 25, 1]] },
  { name: 'TTBR0 alone, T0SZ = 7, T1SZ = 3', t0sz: 7, t1sz: 3, user: [0x1ff_f000n], asid: 1, roots: [['TTBR0', 0n, 0x200_0000n, 25, 1]] },
];

/** The boot case of an LPAE row. */
function lpaeCase(row: LpaeRow): BootCase {
  const mair = row.mair ?? LPAE_MAIR;
  const options = { t0sz: row.t0sz, t1sz: row.t1sz, ...mair };
  return {
    // ARM DDI 0406C.d B4.1.153 TTBCR (EAE = 1): T0SZ [2:0], EPD0 [7], IRGN0 [9:8], ORGN0 [11:10], SH0 [13:12],
    // T1SZ [18:16], A1 [22], EPD1 [23], IRGN1 [25:24], ORGN1 [27:26], SH1 [29:28], EAE [31]; B4.1.154 / B4.1.155
    // 64-bit TTBR0 / TTBR1: BADDR [39:x], ASID [55:48]; B4.1.104 MAIR0 / MAIR1
    name: `ARMv7 LPAE, ${row.name}`,
    memBase: 0x4000_0000n,
    run: (memory) => {
      const user = row.user === undefined ? undefined : new A32LpaePageTable(memory, options);
      const kernel = row.kernel === undefined ? undefined : new A32LpaeTtbr1PageTable(memory, options);
      if (user) fill(user, row.user!, 0x4010_0000n);
      if (kernel) fill(kernel, row.kernel!, 0x4020_0000n);
      const values = encodeA32LpaeRegisters({
        ...(user ? { ttbr0: user } : {}),
        ...(kernel ? { ttbr1: kernel } : {}),
        ...(row.asid === undefined ? {} : { asid: row.asid }),
      });
      return { values: { ...values }, plan: decodeA32Registers(values), tables: [user, kernel].filter((t) => t !== undefined) };
    },
    attach: (memory, root, v) => {
      const split = { t0sz: field(v['ttbcr']!, 2, 0), t1sz: field(v['ttbcr']!, 18, 16) };
      const opts = { ...split, root: root.root, mair0: Number(v['mair0']!), mair1: Number(v['mair1']!) };
      return root.label === 'TTBR1' ? new A32LpaeTtbr1PageTable(memory, opts) : new A32LpaePageTable(memory, opts);
    },
    decoded: (plan) => {
      expect(plan.roots.map((r) => [r.label, r.vaStart, r.vaEnd, r.vaBits, r.startLevel])).toEqual(row.roots);
      const codec = plan.format.pte as A32LpaeCodec;
      expect([codec.mair0, codec.mair1]).toEqual([mair.mair0, mair.mair1]);
    },
    fields: (v, tables) => {
      const user = row.user === undefined ? undefined : tables[0]!;
      const kernel = row.kernel === undefined ? undefined : tables[tables.length - 1]!;
      const ttbcr = v['ttbcr']!;
      expect([field(ttbcr, 31, 31), field(ttbcr, 2, 0), field(ttbcr, 18, 16), field(ttbcr, 22, 22)]).toEqual([1, row.t0sz, row.t1sz, 0]);
      expect([field(ttbcr, 7, 7), field(ttbcr, 23, 23)]).toEqual([user ? 0 : 1, kernel ? 0 : 1]);
      expect([field(ttbcr, 9, 8), field(ttbcr, 11, 10), field(ttbcr, 13, 12)]).toEqual(user ? [1, 1, 3] : [0, 0, 0]);
      expect([field(ttbcr, 25, 24), field(ttbcr, 27, 26), field(ttbcr, 29, 28)]).toEqual(kernel ? [1, 1, 3] : [0, 0, 0]);
      // UNK/SBZP: 6:3, 15:14, 21:19; IMP 30
      expect([field(ttbcr, 6, 3), field(ttbcr, 15, 14), field(ttbcr, 21, 19), field(ttbcr, 30, 30)]).toEqual([0, 0, 0, 0]);
      expect(field(v['ttbr0']!, 55, 48)).toBe(row.asid ?? 0);
      expect(v['ttbr0']! & 0xff_ffff_ffffn).toBe(user?.rootPaddr ?? 0n);
      expect(v['ttbr1']).toBe(kernel?.rootPaddr ?? 0n);
      expect([v['mair0'], v['mair1']]).toEqual([BigInt(mair.mair0), BigInt(mair.mair1)]);
    },
  };
}

export const CASES: BootCase[] = [
  {
    // Intel SDM Vol. 3A 2.5 Figure 2-7 (CR0.PE 0, WP 16, PG 31; CR4.PAE 5, LA57 12, PCIDE 17), 2.2.1 (EFER.LME 8,
    // NXE 11), 4.5.2 Table 4-13 (CR3 bits 11:0 the PCID when CR4.PCIDE = 1)
    name: 'x86_64 4-level with a PCID',
    memBase: 0x10_0000n,
    run: (memory) => {
      const t = fill(new X64PageTable(memory), [0x40_0000n, 0xffff_8000_0000_1000n], 0x20_0000n);
      const values = encodeX64Registers(t as X64PageTable, { pcid: 0x5a });
      return { values: { ...values }, plan: decodeX64Registers(values), tables: [t, t] };
    },
    fields: (v, [t]) => {
      expect(v['cr3']! & ~0xfffn).toBe(t!.rootPaddr);
      expect(field(v['cr3']!, 11, 0)).toBe(0x5a);
      expect([field(v['cr4']!, 5, 5), field(v['cr4']!, 12, 12), field(v['cr4']!, 17, 17)]).toEqual([1, 0, 1]);
      expect([field(v['efer']!, 8, 8), field(v['efer']!, 11, 11)]).toEqual([1, 1]);
      expect([field(v['cr0']!, 0, 0), field(v['cr0']!, 16, 16), field(v['cr0']!, 31, 31)]).toEqual([1, 1, 1]);
    },
  },
  {
    name: 'x86_64 5-level (LA57), no PCID',
    memBase: 0x10_0000n,
    run: (memory) => {
      const t = fill(new X64PageTable5(memory), [0x40_0000n, 0xff00_0000_0000_0000n], 0x20_0000n);
      const values = encodeX64Registers(t as X64PageTable5);
      return { values: { ...values }, plan: decodeX64Registers(values), tables: [t, t] };
    },
    fields: (v, [t]) => {
      expect(v['cr3']).toBe(t!.rootPaddr);
      expect([field(v['cr4']!, 5, 5), field(v['cr4']!, 12, 12), field(v['cr4']!, 17, 17)]).toEqual([1, 1, 0]);
    },
  },
  {
    // Intel SDM Vol. 3A 4.3 Table 4-3 (CR3 bits 31:12 the page directory), 2.5 Figure 2-7 (CR4.PSE 4, PAE 5), 4.1.1
    // Table 4-1 (32-bit paging: CR0.PG = 1, CR4.PAE = 0)
    name: 'x86 32-bit paging with PSE',
    memBase: 0x10_0000n,
    run: (memory) => {
      const t = fill(new X86PageTable32(memory), [0x40_0000n, 0xc000_1000n], 0x20_0000n);
      t.cursor().map(0xc040_0000n, 0x40_0000n, PageSize.Size4M, RW);
      const values = encodeX86LegacyRegisters(t as X86PageTable32);
      return { values: { ...values }, plan: decodeX64Registers(values), tables: [t] };
    },
    fields: (v, [t]) => {
      expect(v['cr3']).toBe(t!.rootPaddr);
      expect([field(v['cr4']!, 4, 4), field(v['cr4']!, 5, 5)]).toEqual([1, 0]);
      expect([field(v['efer']!, 8, 8), field(v['efer']!, 11, 11)]).toEqual([0, 0]);
      expect([field(v['cr0']!, 0, 0), field(v['cr0']!, 16, 16), field(v['cr0']!, 31, 31)]).toEqual([1, 1, 1]);
    },
  },
  {
    // Intel SDM Vol. 3A 4.4.1 Table 4-7 (CR3 bits 31:5 the 32-byte PDPT), 2.2.1 (EFER.LME 8 clear, NXE 11), 4.1.1
    // Table 4-1 (PAE paging: CR4.PAE = 1, IA32_EFER.LME = 0)
    name: 'x86 PAE paging with NXE',
    memBase: 0x10_0000n,
    run: (memory) => {
      const t = fill(new X86PaePageTable(memory), [0x40_0000n, 0xc000_1000n], 0x20_0000n);
      const values = encodeX86LegacyRegisters(t as X86PaePageTable);
      return { values: { ...values }, plan: decodeX64Registers(values), tables: [t] };
    },
    fields: (v, [t]) => {
      expect(v['cr3']).toBe(t!.rootPaddr);
      expect(v['cr3']! % 32n).toBe(0n);
      expect([field(v['cr4']!, 4, 4), field(v['cr4']!, 5, 5)]).toEqual([0, 1]);
      expect([field(v['efer']!, 8, 8), field(v['efer']!, 11, 11)]).toEqual([0, 1]);
    },
  },
  {
    // DDI 0487 TCR_EL1: T0SZ [5:0], EPD0 [7], IRGN0 [9:8], ORGN0 [11:10], SH0 [13:12], TG0 [15:14], T1SZ [21:16],
    // EPD1 [23], TG1 [31:30], IPS [34:32], AS [36]; TTBR0_EL1.ASID [63:48]
    name: 'AArch64 EL1&0, two tables, a 16-bit ASID',
    memBase: 0x4008_0000n,
    run: (memory) => {
      const user = fill(new A64PageTable(memory), [0x40_0000n, 0x7f_0000_0000n], 0x4020_0000n);
      const kernel = fill(new A64PageTable(memory), [0xffff_0000_0000_0000n, 0xffff_ff80_0000_0000n], 0x4030_0000n);
      const values = encodeA64Registers({ ttbr0: user as A64PageTable, ttbr1: kernel as A64PageTable, asid: 0x1234 });
      return { values: { ...values }, plan: decodeA64Registers(values), tables: [user, kernel] };
    },
    fields: (v, [user, kernel]) => {
      const tcr = v['tcr']!;
      expect([field(tcr, 5, 0), field(tcr, 21, 16)]).toEqual([16, 16]);
      expect([field(tcr, 15, 14), field(tcr, 31, 30)]).toEqual([0b00, 0b10]);
      expect([field(tcr, 7, 7), field(tcr, 23, 23)]).toEqual([0, 0]);
      expect([field(tcr, 9, 8), field(tcr, 11, 10), field(tcr, 13, 12)]).toEqual([1, 1, 3]);
      expect([field(tcr, 34, 32), field(tcr, 36, 36)]).toEqual([0b101, 1]);
      expect(field(v['ttbr0']!, 63, 48)).toBe(0x1234);
      expect(v['ttbr0']! & 0xffff_ffff_ffffn).toBe(user!.rootPaddr);
      expect(v['ttbr1']).toBe(kernel!.rootPaddr);
      expect(v['mair']).toBe(MAIR_VALUE);
    },
  },
  {
    name: 'AArch64 EL1&0, the upper table only',
    memBase: 0x4008_0000n,
    run: (memory) => {
      const kernel = fill(new A64PageTable(memory), [0xffff_0000_4000_0000n], 0x4030_0000n);
      const values = encodeA64Registers({ ttbr1: kernel as A64PageTable });
      return { values: { ...values }, plan: decodeA64Registers(values), tables: [kernel] };
    },
    fields: (v) => {
      expect([field(v['tcr']!, 7, 7), field(v['tcr']!, 23, 23), field(v['tcr']!, 36, 36)]).toEqual([1, 0, 0]);
      expect(v['ttbr0']).toBe(0n);
    },
  },
  ...(
    [
      // DDI 0487 TCR_EL1: DS [59] (FEAT_LPA2, 4KB and 16KB), IPS [34:32] = 0b110 (52 bits), TnSZ down to 12 [5:0],
      // [21:16]; TTBRn_EL1 BADDR[51:48] in bits 5:2 with a 52-bit output size. The tables live above 2^48.
      ['AArch64 EL1&0, 4K/52 with LPA2 (DS = 1), tables above 2^48', 1, (m: PhysicalMemory) => new A64PageTable4K52(m)],
      ['AArch64 EL1&0, 64K/52 with LPA (IPS 52 bits), tables above 2^48', 0, (m: PhysicalMemory) => new A64PageTable64K52(m)],
    ] as const
  ).map(([name, ds, make]): BootCase => ({
    name,
    memBase: 0x000a_0000_4000_0000n,
    run: (memory) => {
      const user = fillPages(make(memory), [0x40_0000n, 0x000f_0000_0000_0000n], 0x000f_0000_0020_0000n);
      const kernel = fillPages(make(memory), [0xfff0_0000_0000_0000n, 0xffff_ffff_fff0_0000n], 0x0008_0000_0030_0000n);
      const values = encodeA64Registers({ ttbr0: user as A64PageTable, ttbr1: kernel as A64PageTable });
      return { values: { ...values }, plan: decodeA64Registers(values), tables: [user, kernel] };
    },
    fields: (v, [user, kernel]) => {
      const tcr = v['tcr']!;
      expect([field(tcr, 5, 0), field(tcr, 21, 16), field(tcr, 34, 32), field(tcr, 59, 59)]).toEqual([12, 12, 0b110, ds]);
      for (const [ttbr, t] of [
        [v['ttbr0']!, user!],
        [v['ttbr1']!, kernel!],
      ] as const) {
        expect(field(ttbr, 5, 2)).toBe(0xa);
        expect(ttbr & 0x0000_ffff_ffff_ffc0n).toBe(t.rootPaddr & 0x0000_ffff_ffff_ffc0n);
      }
    },
  })),
  {
    // DDI 0487 TCR_EL2 (E2H = 0): T0SZ [5:0], TG0 [15:14], PS [18:16], RES1 bits 23 and 31
    name: 'AArch64 EL2',
    memBase: 0x4008_0000n,
    run: (memory) => {
      const t = fill(new A64PageTableEl2(memory), [0x40_0000n, 0x8000_0000n], 0x4020_0000n);
      const values = encodeA64El2Registers(t as A64PageTableEl2);
      return { values: { ...values }, plan: decodeA64Registers({ ttbr0: values.ttbr0, tcr: values.tcr, el2: true }), tables: [t] };
    },
    fields: (v, [t]) => {
      const tcr = v['tcr']!;
      expect([field(tcr, 5, 0), field(tcr, 15, 14), field(tcr, 18, 16), field(tcr, 23, 23), field(tcr, 31, 31)]).toEqual([16, 0, 0b101, 1, 1]);
      expect(v['ttbr0']).toBe(t!.rootPaddr);
    },
  },
  ...(
    [
      ['Sv39', 8, (m: PhysicalMemory) => new Sv39PageTable(m), [0x40_0000n, 0xffff_ffc0_0000_0000n]],
      ['Sv48', 9, (m: PhysicalMemory) => new Sv48PageTable(m), [0x40_0000n, 0xffff_8000_0000_0000n]],
      ['Sv57', 10, (m: PhysicalMemory) => new Sv57PageTable(m), [0x40_0000n, 0xff00_0000_0000_0000n]],
    ] as const
  ).map(
    ([name, mode, create, vas]): BootCase => ({
      // RISC-V Privileged 20211203, 4.1.11: satp MODE [63:60] (Table 4.4), ASID [59:44], PPN [43:0]
      name: `RISC-V ${name} with an ASID`,
      memBase: 0x8020_0000n,
      run: (memory) => {
        const t = fill(create(memory), vas, 0x8040_0000n);
        const values = encodeRiscvSatp(t as Sv39PageTable, { asid: 0xbeef });
        return { values: { ...values }, plan: decodeRiscvSatp(values), tables: [t, t] };
      },
      fields: (v, [t]) => {
        expect([field(v['satp']!, 63, 60), field(v['satp']!, 59, 44)]).toEqual([mode, 0xbeef]);
        expect(v['satp']! & ((1n << 44n) - 1n)).toBe(t!.rootPaddr >> 12n);
      },
    }),
  ),
  ...(
    [
      ['Sv39x4', 8, (m: PhysicalMemory) => new Sv39x4PageTable(m), [0x40_0000n, (1n << 41n) - 0x1000n]],
      ['Sv48x4', 9, (m: PhysicalMemory) => new Sv48x4PageTable(m), [0x40_0000n, (1n << 50n) - 0x1000n]],
      ['Sv57x4', 10, (m: PhysicalMemory) => new Sv57x4PageTable(m), [0x40_0000n, (1n << 59n) - 0x1000n]],
    ] as const
  ).map(
    ([name, mode, create, vas]): BootCase => ({
      // RISC-V Privileged 20211203, Hypervisor Extension, hgatp: MODE [63:60], VMID [57:44], PPN [43:0]; the
      // G-stage root is 16 KiB aligned (PPN bits 1:0 zero)
      name: `RISC-V ${name} (hgatp) with a VMID`,
      memBase: 0x8020_0000n,
      run: (memory) => {
        const t = fill(create(memory), vas, 0x8040_0000n);
        const values = encodeRiscvHgatp(t as Sv39x4PageTable, { vmid: 0x3ffe });
        return { values: { ...values }, plan: decodeRiscvHgatp(values), tables: [t] };
      },
      fields: (v, [t]) => {
        expect([field(v['hgatp']!, 63, 60), field(v['hgatp']!, 59, 58), field(v['hgatp']!, 57, 44)]).toEqual([mode, 0, 0x3ffe]);
        expect(v['hgatp']! & ((1n << 44n) - 1n)).toBe(t!.rootPaddr >> 12n);
        expect(t!.rootPaddr % 0x4000n).toBe(0n);
      },
    }),
  ),
  {
    // RISC-V Privileged 20211203, 4.1.11, SXLEN = 32: satp MODE [31] (1 = Sv32), ASID [30:22], PPN [21:0]
    name: 'RISC-V Sv32 (RV32) with an ASID',
    memBase: 0x8020_0000n,
    run: (memory) => {
      const t = fill(new Sv32PageTable(memory), [0x40_0000n, 0xffff_f000n], 0x8040_0000n);
      const values = encodeRiscvSatp(t as Sv32PageTable, { asid: 0x1a5 });
      return { values: { ...values }, plan: decodeRiscvSatp({ ...values, xlen: 32 }), tables: [t] };
    },
    fields: (v, [t]) => {
      expect([field(v['satp']!, 31, 31), field(v['satp']!, 30, 22)]).toEqual([1, 0x1a5]);
      expect(v['satp']! & 0x3f_ffffn).toBe(t!.rootPaddr >> 12n);
      expect(v['satp']! >> 32n).toBe(0n);
    },
  },
  {
    // RISC-V Privileged 20211203, Hypervisor Extension, hgatp for HSXLEN = 32: MODE [31] (1 = Sv32x4), VMID [28:22],
    // PPN [21:0]
    name: 'RISC-V Sv32x4 (hgatp, RV32) with a VMID',
    memBase: 0x8020_0000n,
    run: (memory) => {
      const t = fill(new Sv32x4PageTable(memory), [0x40_0000n, (1n << 34n) - 0x1000n], 0x8040_0000n);
      const values = encodeRiscvHgatp(t as Sv32x4PageTable, { vmid: 0x55 });
      return { values: { ...values }, plan: decodeRiscvHgatp({ ...values, xlen: 32 }), tables: [t] };
    },
    fields: (v, [t]) => {
      expect([field(v['hgatp']!, 31, 31), field(v['hgatp']!, 30, 29), field(v['hgatp']!, 28, 22)]).toEqual([1, 0, 0x55]);
      expect(v['hgatp']! & 0x3f_ffffn).toBe(t!.rootPaddr >> 12n);
      expect(t!.rootPaddr % 0x4000n).toBe(0n);
    },
  },
  ...(
    [
      ['4-level', 3, (m: PhysicalMemory) => new X86EptPageTable(m), [0x40_0000n, (1n << 48n) - 0x1000n]],
      ['5-level', 4, (m: PhysicalMemory) => new X86Ept5PageTable(m), [0x40_0000n, (1n << 57n) - 0x1000n]],
    ] as const
  ).map(
    ([name, walk, create, vas]): BootCase => ({
      // Intel SDM Vol. 3C 25.6.11, format of the EPTP: memory type [2:0] (6 = WB), page-walk length - 1 [5:3],
      // A/D enable [6], reserved [11:8], root [51:12], reserved [63:52]
      name: `x86 EPT ${name} (EPTP) with A/D flags`,
      memBase: 0x10_0000n,
      run: (memory) => {
        const t = fill(create(memory), vas, 0x20_0000n);
        const eptp = encodeX86Eptp(t as X86EptPageTable, { accessDirty: true });
        return { values: { eptp }, plan: decodeX86Eptp({ eptp }), tables: [t] };
      },
      fields: (v, [t]) => {
        const eptp = v['eptp']!;
        expect([field(eptp, 2, 0), field(eptp, 5, 3), field(eptp, 6, 6), field(eptp, 11, 7), field(eptp, 63, 52)]).toEqual([6, walk, 1, 0, 0]);
        expect(eptp & 0x000f_ffff_ffff_f000n).toBe(t!.rootPaddr);
      },
    }),
  ),
  {
    name: 'RISC-V Sv39, XuanTie attributes',
    memBase: 0x8020_0000n,
    run: (memory) => {
      const t = fill(new Sv39PageTableXuantie(memory), [0x40_0000n], 0x8040_0000n);
      const values = encodeRiscvSatp(t as Sv39PageTableXuantie);
      return { values: { ...values }, plan: decodeRiscvSatp({ ...values, xuantie: true }), tables: [t, t] };
    },
    fields: (v) => expect(field(v['satp']!, 63, 60)).toBe(8),
  },
  {
    // LoongArch Vol. 1 v1.10, 7.5.5/7.5.6 PGDL/PGDH Base [63:12], 7.5.8/7.5.9 PWCL/PWCH
    name: 'LoongArch64, a table per half',
    memBase: 0x20_0000n,
    run: (memory) => {
      const user = fill(new LA64PageTable(memory), [0x40_0000n], 0x40_0000n);
      const kernel = fill(new LA64PageTable(memory), [0xffff_8000_0000_0000n, 0xffff_ffff_ffff_f000n], 0x50_0000n);
      const values = encodeLA64Registers(user as LA64PageTable, kernel as LA64PageTable);
      return { values: { ...values }, plan: decodeLA64Registers(values), tables: [user, kernel] };
    },
    fields: (v, [user, kernel]) => {
      expect([v['pgdl'], v['pgdh']]).toEqual([user!.rootPaddr, kernel!.rootPaddr]);
      expect([v['pwcl'], v['pwch']]).toEqual([BigInt(PWCL_VALUE), BigInt(PWCH_VALUE)]);
    },
  },
  ...(
    [
      [16, 3, 0x4000_0000n],
      [64, 2, 0x40_0000_0000n],
    ] as const
  ).map(
    ([pageKiB, levels, top]): BootCase => ({
      // LoongArch Vol. 1 v1.10, 7.5.8 PWCL (PTbase [4:0] the page shift), 7.5.9 PWCH; a table per half
      name: `LoongArch64 ${pageKiB} KiB pages, ${levels} levels, a table per half`,
      memBase: 0x20_0000n,
      run: (memory) => {
        const user = fillPages(new LA64PageTable(memory, { pageKiB, levels }), [0x40_0000n, top - 0x1_0000n], 0x40_0000n);
        const kernel = fillPages(new LA64PageTable(memory, { pageKiB, levels, half: 'upper' }), [(1n << 64n) - top, (1n << 64n) - 0x1_0000n], 0x50_0000n);
        const values = encodeLA64Registers(user as LA64PageTable, kernel as LA64PageTable);
        return { values: { ...values }, plan: decodeLA64Registers(values), tables: [user, kernel] };
      },
      // the format attaches the lower half's table; PGDH's is the upper one
      attach: (memory, root) => new LA64PageTable(memory, { root: root.root, pageKiB, levels, half: root.label === 'PGDH' ? 'upper' : 'lower' }),
      fields: (v, [user, kernel]) => {
        expect([v['pgdl'], v['pgdh']]).toEqual([user!.rootPaddr, kernel!.rootPaddr]);
        expect(field(v['pwcl']!, 4, 0)).toBe(Math.log2(pageKiB * 1024));
        expect(field(v['pwcl']!, 9, 5)).toBe(Math.log2(pageKiB * 1024) - 3);
        expect(field(v['pwcl']!, 31, 30), 'PTEWidth: 64-bit entries').toBe(0);
      },
    }),
  ),
  {
    // LoongArch Vol. 1 v1.10, 7.5.8 PWCL, 7.5.9 PWCH: 64 KiB pages, three levels indexing 55 bits, one root
    name: 'LoongArch64 64 KiB pages, 3 levels, one table for both halves',
    memBase: 0x20_0000n,
    run: (memory) => {
      const t = fillPages(new LA64PageTable(memory, { pageKiB: 64, levels: 3 }), [0x40_0000n, 0xffff_ffff_fff0_0000n], 0x40_0000n);
      const values = encodeLA64Registers(t as LA64PageTable);
      return { values: { ...values }, plan: decodeLA64Registers(values), tables: [t, t] };
    },
    fields: (v, [t]) => {
      expect([v['pgdl'], v['pgdh']]).toEqual([t!.rootPaddr, t!.rootPaddr]);
      // Dir1 [14:10]/[19:15] = 29/13, Dir3 [5:0]/[11:6] = 42/13: 16 + 3 x 13 = 55 bits
      expect([field(v['pwcl']!, 14, 10), field(v['pwcl']!, 19, 15), field(v['pwch']!, 5, 0), field(v['pwch']!, 11, 6)]).toEqual([29, 13, 42, 13]);
    },
  },
  {
    // ARM DDI 0406C B4.1.153 TTBCR (N [2:0], EAE [31]), B4.1.154 TTBR0 (IRGN[0] 6, NOS 5, RGN 4:3, S 1,
    // IRGN[1] 0), B4.1.43 DACR (domain 0 in bits 1:0, 0b01 Client)
    name: 'ARMv7, TTBR0 alone (N = 0)',
    memBase: 0x4000_0000n,
    run: (memory) => {
      const t = fill(new A32PageTable(memory), [0x40_0000n, 0xc000_0000n], 0x4010_0000n);
      const values = encodeA32Registers(t as A32PageTable);
      return { values: { ...values }, plan: decodeA32Registers(values), tables: [t, t] };
    },
    fields: (v, [t]) => {
      expect(v['ttbr0']! & ~0x3fffn).toBe(t!.rootPaddr);
      expect([field(v['ttbr0']!, 6, 6), field(v['ttbr0']!, 5, 5), field(v['ttbr0']!, 4, 3), field(v['ttbr0']!, 1, 1), field(v['ttbr0']!, 0, 0)]).toEqual([1, 1, 1, 1, 0]);
      expect([field(v['ttbcr']!, 2, 0), field(v['ttbcr']!, 31, 31)]).toEqual([0, 0]);
      expect(field(v['dacr']!, 1, 0)).toBe(0b01);
    },
  },
  {
    name: 'ARMv7, TTBR0 and TTBR1 split at 1 GiB (N = 2)',
    memBase: 0x4000_0000n,
    run: (memory) => {
      const user = fill(new A32PageTable(memory), [0x40_0000n, 0x3fff_f000n], 0x4010_0000n);
      const kernel = fill(new A32PageTable(memory), [0x4000_0000n, 0xc000_0000n], 0x4020_0000n);
      const values = encodeA32Registers(user as A32PageTable, { ttbr1: kernel as A32PageTable, n: 2 });
      return { values: { ...values }, plan: decodeA32Registers(values), tables: [user, kernel] };
    },
    fields: (v, [, kernel]) => {
      expect(field(v['ttbcr']!, 2, 0)).toBe(2);
      expect(v['ttbr1']! & ~0x3fffn).toBe(kernel!.rootPaddr);
    },
  },
  ...LPAE_ROWS.map(lpaeCase),
];
