// The register encoders of every architecture, over one table of cases (support/boot-cases.ts): the values they
// give decode back (with the architecture's decoder) to the same format and roots, and a table attached at each
// decoded root translates every mapping of the table it was encoded from as that table does. The register fields
// are checked against their positions in the architecture manuals (cited with each case), and bad input is refused
// with the library's errors without touching memory.
import { field, PageSize, PagingError, PhysicalMemory, RegisterError, tableImage } from '@page-table-multiarch/core';
import { A64PageTable, encodeA64El2Registers, encodeA64Registers } from '@page-table-multiarch/aarch64';
import { A32LpaePageTable, A32LpaeTtbr1PageTable, A32PageTable, encodeA32LpaeRegisters, encodeA32Registers } from '@page-table-multiarch/arm';
import { encodeLA64Registers } from '@page-table-multiarch/loongarch64';
import { encodeRiscvHgatp, encodeRiscvSatp, Sv39PageTable, Sv39x4PageTable } from '@page-table-multiarch/riscv';
import {
  encodeX64Registers,
  encodeX86Eptp,
  encodeX86LegacyRegisters,
  X64PageTable,
  X86EptPageTable,
  X86PaePageTable,
} from '@page-table-multiarch/x86_64';
import { describe, expect, it } from 'vitest';
import { expectRefused } from './support/refused';
import { CASES, fill, RW } from './support/boot-cases';

describe.each(CASES.map((c) => [c.name, c] as const))('boot registers: %s', (_name, c) => {
  it('decode back to the format and roots of the tables, which translate every mapping as the tables do', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: c.memBase });
    const { values, plan, tables } = c.run(memory);
    if (plan instanceof RegisterError) throw plan;
    expect(plan.roots.map((r) => BigInt(r.root))).toEqual(tables.map((t) => t.rootPaddr));
    c.decoded?.(plan);
    let checked = 0;
    plan.roots.forEach((root, i) => {
      const original = tables[i]!;
      const attached = c.attach?.(memory, root, values) ?? plan.format.attach(memory, root.root);
      expect(attached.meta).toBe(original.meta);
      // a format that does not sign-extend (AArch64) lists an upper-range mapping in its lower-half form
      const upper = (1n << 64n) - (1n << BigInt(original.meta.vaMaxBits));
      for (const m of original.mappings()) {
        for (const va of [m.vaddr, m.vaddr + upper]) {
          if (va < root.vaStart || va >= root.vaEnd) continue;
          expect(attached.query(va), `${root.label} 0x${va.toString(16)}`).toEqual(original.query(va));
          checked++;
        }
      }
    });
    expect(checked).toBeGreaterThan(0);
  });

  it('as a boot image: the blob loaded at its base into fresh memory holds tables that translate as the originals', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: c.memBase });
    const { values, plan, tables } = c.run(memory);
    if (plan instanceof RegisterError) throw plan;
    const distinct = [...new Set(tables)];
    const image = tableImage(distinct);
    expect(image.roots.map((r) => r.paddr)).toEqual(distinct.map((t) => t.rootPaddr));
    for (const r of image.roots) expect(image.base + BigInt(r.offset)).toBe(r.paddr);
    expect(image.tableCount).toBe(distinct.reduce((n, t) => n + t.tableCount(), 0));
    // only the blob: the frames of the mapped pages and everything else stay zero
    const target = new PhysicalMemory({ size: 1 << 20, base: c.memBase });
    target.writeBytes(image.base, image.bytes);
    expect(Object.keys(values).length).toBeGreaterThan(0);
    plan.roots.forEach((root, i) => {
      const copy = c.attach?.(target, root, values) ?? plan.format.attach(target, root.root);
      expect([...copy.mappings()]).toEqual([...tables[i]!.mappings()]);
    });
  });

  it('put each field where the manual says', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: c.memBase });
    const { values, tables } = c.run(memory);
    c.fields(values, tables);
  });
});

describe('tableImage', () => {
  it('a base below the tables: the blob starts there, zeros first, the roots further in', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8020_0000n });
    memory.reserve(0x8020_0000n, 0x4000); // the tables start 16 KiB into the memory
    const table = fill(new Sv39PageTable(memory), [0x40_0000n, 0x8000_0000n], 0x8040_0000n);
    const image = tableImage(table, { base: 0x8020_0000n });
    expect(image.base).toBe(0x8020_0000n);
    expect(image.roots[0]!.offset).toBe(Number(table.rootPaddr - 0x8020_0000n));
    expect(image.roots[0]!.offset).toBeGreaterThanOrEqual(0x4000);
    expect(image.bytes.subarray(0, 0x4000).every((b) => b === 0)).toBe(true);
    expect(image.bytes.subarray(image.roots[0]!.offset, image.roots[0]!.offset + 4096)).toEqual(memory.bytes(table.rootPaddr, 4096));
  });

  it('ARMv7: 1 KiB second-level tables are copied as 1 KiB, not as the frame they share', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const table = fill(new A32PageTable(memory), [0x10_0000n, 0x20_0000n], 0x4010_0000n);
    const l2: bigint[] = [];
    table.walk(Number.POSITIVE_INFINITY, (level, _index, _va, bits) => {
      if (level === 0) l2.push(table.pte.paddr(bits, 0));
    });
    expect(l2).toHaveLength(2);
    expect(l2[1]! - l2[0]!).toBe(0x400n); // two tables in one frame
    const image = tableImage(table);
    expect(image.tableCount).toBe(3);
    const end = (l2[1]! > table.rootPaddr ? l2[1]! + 0x400n : table.rootPaddr + 0x4000n) - image.base;
    expect(image.bytes.length).toBe(Number(end));
    for (const pa of [table.rootPaddr, ...l2]) {
      const size = pa === table.rootPaddr ? 0x4000 : 0x400;
      const at = Number(pa - image.base);
      expect(image.bytes.subarray(at, at + size)).toEqual(memory.bytes(pa, size));
    }
  });

  it('refuses no table, tables in different memories, a base above a table, and a destroyed table', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x8020_0000n });
    const table = new Sv39PageTable(memory);
    expectRefused(memory, () => tableImage([]), TypeError);
    expectRefused(memory, () => tableImage([table, new Sv39PageTable()]), TypeError);
    expectRefused(memory, () => tableImage(table, { base: table.rootPaddr + 0x1000n }), RangeError);
    table.destroy();
    expectRefused(memory, () => tableImage(table), PagingError, 'Destroyed');
  });
});

describe('boot registers: bad input', () => {
  const memory = (): PhysicalMemory => new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });

  it('a table of another format or type: TypeError, memory untouched', () => {
    const mem = memory();
    const sv39 = new Sv39PageTable(mem);
    const a64 = new A64PageTable(mem);
    expectRefused(mem, () => encodeX64Registers(sv39 as never), TypeError);
    expectRefused(mem, () => encodeA64Registers({ ttbr0: sv39 as never }), TypeError);
    expectRefused(mem, () => encodeA64Registers({}), TypeError);
    expectRefused(mem, () => encodeA64El2Registers(a64 as never), TypeError);
    expectRefused(mem, () => encodeRiscvSatp(a64 as never), TypeError);
    expectRefused(mem, () => encodeRiscvHgatp(sv39 as never), TypeError);
    const gstage = new Sv39x4PageTable(mem);
    expectRefused(mem, () => encodeRiscvSatp(gstage as never), TypeError);
    expectRefused(mem, () => encodeLA64Registers(sv39 as never), TypeError);
    expectRefused(mem, () => encodeA32Registers(sv39 as never), TypeError);
    expectRefused(mem, () => encodeX86LegacyRegisters(sv39 as never), TypeError);
    const x64 = new X64PageTable(mem);
    const ept = new X86EptPageTable(mem);
    expectRefused(mem, () => encodeX86Eptp(x64 as never), TypeError);
    expectRefused(mem, () => encodeX86Eptp(ept, { memoryType: 'WT' as never }), RangeError);
  });

  it('x86 PAE: a PDPT at or above 4 GiB cannot be loaded (CR3 bits 31:5): PagingError InvalidAddress', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x1_0000_0000n });
    const table = new X86PaePageTable(mem);
    expectRefused(mem, () => encodeX86LegacyRegisters(table), PagingError, 'InvalidAddress');
  });

  it('an identifier that does not fit its field: RangeError; not an integer: TypeError', () => {
    const mem = memory();
    const x64 = new X64PageTable(mem);
    const sv39 = new Sv39PageTable(mem);
    const a64 = new A64PageTable(mem);
    expectRefused(mem, () => encodeX64Registers(x64, { pcid: 4096 }), RangeError);
    expectRefused(mem, () => encodeX64Registers(x64, { pcid: -1 }), RangeError);
    expectRefused(mem, () => encodeX64Registers(x64, { pcid: 1.5 }), TypeError);
    expectRefused(mem, () => encodeRiscvSatp(sv39, { asid: 0x1_0000 }), RangeError);
    expectRefused(mem, () => encodeRiscvSatp(sv39, { asid: '1' as never }), TypeError);
    const g = new Sv39x4PageTable(mem);
    expectRefused(mem, () => encodeRiscvHgatp(g, { vmid: 0x4000 }), RangeError);
    expectRefused(mem, () => encodeRiscvHgatp(g, { vmid: 1.5 }), TypeError);
    expectRefused(mem, () => encodeA64Registers({ ttbr0: a64, asid: 0x1_0000 }), RangeError);
  });

  it('ARMv7: N without TTBR1, TTBR1 without N, and a mapping the other TTBR translates: RangeError', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const user = new A32PageTable(mem);
    const kernel = new A32PageTable(mem);
    expectRefused(mem, () => encodeA32Registers(user, { n: 2 }), RangeError);
    expectRefused(mem, () => encodeA32Registers(user, { ttbr1: kernel }), RangeError);
    expectRefused(mem, () => encodeA32Registers(user, { ttbr1: kernel, n: 8 }), RangeError);
    user.cursor().map(0x4000_0000n, 0x4000_0000n, PageSize.Size1M, RW);
    expectRefused(mem, () => encodeA32Registers(user, { ttbr1: kernel, n: 2 }), RangeError);
    expect(() => encodeA32Registers(user, { ttbr1: kernel, n: 1 })).not.toThrow();
    kernel.cursor().map(0x7ff0_0000n, 0x4000_0000n, PageSize.Size1M, RW);
    expectRefused(mem, () => encodeA32Registers(user, { ttbr1: kernel, n: 1 }), RangeError);
  });

  it('ARMv7 LPAE: tables of the wrong type or none, an ASID outside 8 bits, MAIR pairs and splits that disagree', () => {
    const mem = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const user = new A32LpaePageTable(mem); // T0SZ = T1SZ = 0: every address
    const kernel = new A32LpaeTtbr1PageTable(mem); // T1SZ = 2: the top GiB
    expectRefused(mem, () => encodeA32LpaeRegisters({}), TypeError);
    expectRefused(mem, () => encodeA32LpaeRegisters({ ttbr0: kernel as never }), TypeError);
    expectRefused(mem, () => encodeA32LpaeRegisters({ ttbr1: user as never }), TypeError);
    const short = new A32PageTable(mem);
    expectRefused(mem, () => encodeA32LpaeRegisters({ ttbr0: short as never }), TypeError);
    expectRefused(mem, () => encodeA32LpaeRegisters({ ttbr0: user, asid: 1.5 }), TypeError);
    expectRefused(mem, () => encodeA32LpaeRegisters({ ttbr0: user, asid: 0x100 }), RangeError);
    const linuxMair = new A32LpaeTtbr1PageTable(mem, { mair0: 0xeeaa_4400, mair1: 0xff00_0004 });
    expectRefused(mem, () => encodeA32LpaeRegisters({ ttbr0: user, ttbr1: linuxMair }), RangeError);
    // TTBR1's table for T1SZ = 0 beside a TTBR0 table for T0SZ = 0: TTBR1 would translate nothing
    const whole = new A32LpaeTtbr1PageTable(mem, { t0sz: 1, t1sz: 0 });
    expectRefused(mem, () => encodeA32LpaeRegisters({ ttbr0: user, ttbr1: whole }), RangeError);
    // the default pair works (T0SZ from TTBR0's table, T1SZ from TTBR1's) until TTBR0's table maps the top GiB
    expect(field(encodeA32LpaeRegisters({ ttbr0: user, ttbr1: kernel }).ttbcr, 18, 16)).toBe(2);
    user.cursor().map(0xc000_0000n, 0x4000_0000n, PageSize.Size2M, RW);
    expectRefused(mem, () => encodeA32LpaeRegisters({ ttbr0: user, ttbr1: kernel }), RangeError);
    expect(() => encodeA32LpaeRegisters({ ttbr0: user })).not.toThrow();
    kernel.destroy();
    expectRefused(mem, () => encodeA32LpaeRegisters({ ttbr1: kernel }), PagingError, 'Destroyed');
  });

  it('a destroyed table: PagingError Destroyed', () => {
    const mem = memory();
    const t = new Sv39PageTable(mem);
    t.destroy();
    expectRefused(mem, () => encodeRiscvSatp(t), PagingError, 'Destroyed');
    const x = new X64PageTable(mem);
    x.destroy();
    expectRefused(mem, () => encodeX64Registers(x), PagingError, 'Destroyed');
  });
});
