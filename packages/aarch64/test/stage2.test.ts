// Stage 2: the descriptor codec against entries assembled here from the field positions of the Arm ARM (DDI 0487:
// D8.3.1.2 MemAttr [5:2], S2AP [7:6], SH [9:8], AF [10], XN [54], XN[1:0] [54:53]; D8.6 the stage 2 MemAttr
// encodings), cross-checked with the entry Linux's KVM writes for guest RAM; the geometry of D8.2 (start levels,
// concatenated roots); VTCR_EL2 / VTTBR_EL2 both ways; and dumps of a stage 2 table.
import {
  A64Stage2PageTable,
  A64Stage2PageTable4K40,
  A64Stage2PageTable16K40,
  A64Stage2PageTable64K48,
  a64Stage2Codec,
  a64Stage2Geometry,
  a64Stage2MetaData,
  decodeA64Stage2Registers,
  encodeA64Stage2Registers,
  s2Execute,
  s2MemTypeOf,
} from '@page-table-multiarch/aarch64';
import { dumpMappings, type MappingRun, MappingFlags, PageSize, PagingError, PhysicalMemory, RegisterError } from '@page-table-multiarch/core';
import { describe, expect, it } from 'vitest';

const { READ, WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;

// descriptor fields, from the manual's positions
const VALID = 1n;
const TABLE_OR_PAGE = 2n;
const MEMATTR = (m: number) => BigInt(m) << 2n;
const S2AP_R = 1n << 6n;
const S2AP_W = 1n << 7n;
const SH_INNER = 3n << 8n;
const AF = 1n << 10n;
const XN = 1n << 54n;
const XN0 = 1n << 53n;

describe('stage 2 descriptors', () => {
  const codec = a64Stage2Codec({ granule: 4, startLevel: 1 });

  it('KVM guest RAM: a read-write page is 0x7ff in the low bits with XN (arch/arm64/kvm/hyp/pgtable.c)', () => {
    // KVM_PTE_LEAF_ATTR_LO_S2_MEMATTR(MT_S2_NORMAL = 0xf), S2AP_R, S2AP_W, SH inner, AF, a valid page; XN for no exec
    expect(codec.newPage(0x4000_0000n, READ | WRITE, false)).toBe(0x0040_0000_4000_07ffn);
  });

  it('S2AP and XN follow READ, WRITE and EXECUTE exactly, every combination', () => {
    for (let f = 1; f < 8; f++) {
      const want =
        0x8000_0000n |
        VALID |
        TABLE_OR_PAGE |
        MEMATTR(0b1111) |
        SH_INNER |
        AF |
        (f & READ ? S2AP_R : 0n) |
        (f & WRITE ? S2AP_W : 0n) |
        (f & EXECUTE ? 0n : XN);
      expect(codec.newPage(0x8000_0000n, f, false), `flags ${f}`).toBe(want);
      expect(codec.flags(want, 2)).toBe(f);
    }
  });

  it('memory types: DEVICE Device-nGnRE without SH, UNCACHED Normal Non-cacheable, else Normal Write-Back', () => {
    const base = VALID | AF | S2AP_R | XN;
    expect(codec.newPage(0x1000n, READ | DEVICE, true)).toBe(0x1000n | base | MEMATTR(0b0001));
    expect(codec.newPage(0x1000n, READ | UNCACHED, true)).toBe(0x1000n | base | MEMATTR(0b0101) | SH_INNER);
    // DEVICE wins over UNCACHED
    expect(codec.newPage(0x1000n, READ | DEVICE | UNCACHED, true)).toBe(0x1000n | base | MEMATTR(0b0001));
    // every MemAttr: Device for [3:2] = 0b00, UNCACHED only for 0b0101, nothing for other Normal types
    const types = Array.from({ length: 16 }, (_, m) => s2MemTypeOf(m));
    expect(types).toEqual([DEVICE, DEVICE, DEVICE, DEVICE, 0, UNCACHED, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('USER is not encoded (stage 2 has no privilege levels) and never decoded', () => {
    expect(codec.newPage(0x2000n, READ | WRITE | USER, false)).toBe(codec.newPage(0x2000n, READ | WRITE, false));
    expect(codec.flags(codec.newPage(0x2000n, READ | USER, false), 3) & USER).toBe(0);
  });

  it('a Table descriptor holds the next table address and the type bits only', () => {
    expect(codec.newTable(0x4000_5000n)).toBe(0x4000_5000n | VALID | TABLE_OR_PAGE);
  });

  it('blocks only where the granule has them: from level 1 with 4 KiB, a block at level 3 (codec level 2) is no entry', () => {
    const block = 0x4000_0000n | VALID | MEMATTR(15) | AF | S2AP_R;
    expect(codec.isHuge(block, 0)).toBe(true); // lookup level 1: a 1 GiB block
    expect(codec.isPresent(block, 2)).toBe(false); // lookup level 3: reserved
    const l0 = a64Stage2Codec({ granule: 4, startLevel: 0 });
    expect(l0.isPresent(block, 0)).toBe(false); // no level 0 blocks with 4 KiB
    const k16 = a64Stage2Codec({ granule: 16, startLevel: 1 });
    expect(k16.isPresent(block, 0)).toBe(false); // no level 1 blocks with 16 KiB
    expect(k16.isHuge(block, 1)).toBe(true);
  });

  it('XN[1:0] with FEAT_XNX: EXECUTE only when EL1 and EL0 may both execute', () => {
    const xnx = a64Stage2Codec({ granule: 4, startLevel: 1, xnx: true });
    const page = 0x1000n | VALID | TABLE_OR_PAGE | S2AP_R | AF | MEMATTR(15);
    const cases: [bigint, boolean, boolean][] = [
      [0n, true, true],
      [XN0, false, true],
      [XN, false, false],
      [XN | XN0, true, false],
    ];
    for (const [bitsXn, el1, el0] of cases) {
      expect(s2Execute(page | bitsXn, true)).toEqual({ el1, el0 });
      expect(xnx.flags(page | bitsXn, 2) & EXECUTE).toBe(el1 && el0 ? EXECUTE : 0);
    }
    // without FEAT_XNX bit 53 is RES0 and ignored
    expect(s2Execute(page | XN0, false)).toEqual({ el1: true, el0: true });
    expect(codec.flags(page | XN0, 2) & EXECUTE).toBe(EXECUTE);
  });

  it('the word form agrees with the bigint form', () => {
    for (let f = 1; f < 64; f++) {
      for (const huge of [false, true]) {
        const bits = codec.newPage(0x1234_5678_9000n, f, huge);
        const lo = codec.words.newPageLo(0x5678_9000, 0x1234, f, huge, 1);
        const hi = codec.words.newPageHi(0x5678_9000, 0x1234, f, huge, 1);
        expect((BigInt(hi) << 32n) | BigInt(lo)).toBe(bits);
        expect(codec.words.flags(lo, hi, huge ? 1 : 2)).toBe(codec.flags(bits, huge ? 1 : 2));
      }
    }
  });
});

describe('stage 2 geometry (D8.2)', () => {
  it('start levels and concatenated roots', () => {
    const shape = (g: 4 | 16 | 64, bits: number, sl?: number) => {
      const x = a64Stage2Geometry(g, bits, sl);
      return [x.startLevel, x.sl0, x.indexBits.join(','), x.concatenated];
    };
    expect(shape(4, 40)).toEqual([1, 1, '10,9,9', 2]); // KVM's default
    expect(shape(4, 40, 0)).toEqual([0, 2, '1,9,9,9', 1]);
    expect(shape(4, 48)).toEqual([0, 2, '9,9,9,9', 1]);
    expect(shape(4, 42)).toEqual([1, 1, '12,9,9', 8]);
    expect(shape(4, 43)).toEqual([1, 1, '13,9,9', 16]);
    expect(shape(4, 44)).toEqual([0, 2, '5,9,9,9', 1]); // 17 bits at level 1 would be 32 tables
    expect(shape(4, 33, 2)).toEqual([2, 0, '12,9', 8]);
    expect(shape(16, 40)).toEqual([2, 1, '15,11', 16]);
    expect(shape(16, 47)).toEqual([1, 2, '11,11,11', 1]);
    expect(shape(16, 36)).toEqual([2, 1, '11,11', 1]);
    expect(shape(64, 42)).toEqual([2, 1, '13,13', 1]);
    // 16 concatenated 64 KiB tables: 17 bits at level 2 (as KVM chooses: the latest start level)
    expect(shape(64, 46)).toEqual([2, 1, '17,13', 16]);
    expect(shape(64, 46, 1)).toEqual([1, 2, '4,13,13', 1]);
    expect(shape(64, 45)).toEqual([2, 1, '16,13', 8]);
    expect(shape(64, 48)).toEqual([1, 2, '6,13,13', 1]);
    expect(shape(64, 30)).toEqual([3, 0, '14', 2]);
  });

  it('a start level the granule lacks, or that cannot resolve the width: RangeError', () => {
    expect(() => a64Stage2Geometry(4, 40, 2)).toThrow(/19 bits at its first lookup/); // 64 tables
    expect(() => a64Stage2Geometry(4, 30, 0)).toThrow(RangeError); // nothing left for level 0
    expect(() => a64Stage2Geometry(4, 40, 3)).toThrow(/not one of 0, 1, 2/); // level 3 needs FEAT_TTST
    expect(() => a64Stage2Geometry(16, 40, 0)).toThrow(/not one of 1, 2, 3/); // level 0 needs FEAT_LPA2
    expect(() => a64Stage2Geometry(4, 49)).toThrow(RangeError);
    expect(() => a64Stage2Geometry(4, 24)).toThrow(RangeError);
    expect(() => a64Stage2MetaData(4, 40, undefined, 47)).toThrow(/VTCR_EL2.PS/);
  });
});

describe('stage 2 tables', () => {
  it('a root of 16 concatenated 64 KiB tables (46-bit IPAs from level 2): 2^17 entries, the last one serving the top', () => {
    const memory = new PhysicalMemory({ size: 4 << 20, base: 0x4000_0000n });
    const table = new A64Stage2PageTable(memory, { granule: 64, ipaBits: 46 });
    expect(table.meta.tableBytes[0]).toBe(1 << 20);
    expect(Number(table.rootPaddr) % (1 << 20)).toBe(0);
    const c = table.cursor();
    const top = (1n << 46n) - 0x1_0000n;
    c.map(top, 0x4100_0000n, 0x1_0000, MappingFlags.READ | MappingFlags.WRITE);
    c.map(0x1_0000n, 0x4101_0000n, 0x1_0000, MappingFlags.READ);
    c.flush();
    expect(table.query(top + 0x123n)).toMatchObject({ paddr: 0x4100_0123n, size: 0x1_0000 });
    expect(table.queryNumber(0x1_0010)).toBe(0x4101_0010);
    // the top IPA's entry is the root's last: index 2^17 - 1, at the end of the 1 MiB root
    expect(memory.readU64(table.rootPaddr + (1n << 20n) - 8n) & 3n).toBe(3n);
    expect(() => table.query(1n << 46n)).toThrow(PagingError);
    table.destroy();
    expect(memory.framesInUse).toBe(0);
  });

  it('a concatenated root is several frames, aligned to its size, and its last entry serves the top IPAs', () => {
    const memory = new PhysicalMemory({ size: 2 << 20, base: 0x4000_0000n });
    memory.reserve(0x4000_0000n, 0x1000); // so that the root cannot land at the base by chance
    const table = new A64Stage2PageTable16K40(memory);
    expect(table.meta.tableBytes[0]).toBe(256 << 10);
    expect(table.rootPaddr % (256n << 10n)).toBe(0n);
    expect(memory.framesInUse).toBe(1 + 64);
    const c = table.cursor();
    c.map((1n << 40n) - (32n << 20n), 0x4200_0000n, PageSize.Size32M, READ | WRITE | EXECUTE);
    // the last of 16 x 2048 entries, a 32 MiB block: no table below it
    const last = memory.readU64(table.rootPaddr + (32768n - 1n) * 8n);
    expect(last).toBe(0x4200_0000n | VALID | MEMATTR(15) | SH_INNER | AF | S2AP_R | S2AP_W);
    expect(table.query((1n << 40n) - 1n)).toEqual({ paddr: 0x4200_0000n + (32n << 20n) - 1n, flags: READ | WRITE | EXECUTE, size: PageSize.Size32M });
    table.destroy();
    expect(memory.framesInUse).toBe(1);
  });

  it('write-only and execute-only mappings are kept as such (stage 2 can grant them)', () => {
    const table = new A64Stage2PageTable4K40(new PhysicalMemory({ size: 1 << 20 }));
    const c = table.cursor();
    c.map(0x1000n, 0x2000n, PageSize.Size4K, WRITE);
    c.map(0x2000n, 0x3000n, PageSize.Size4K, EXECUTE);
    expect(table.query(0x1000n).flags).toBe(WRITE);
    expect(table.query(0x2000n).flags).toBe(EXECUTE);
  });

  it('an IPA at or above the input size, a PA above the output size: InvalidAddress', () => {
    const table = new A64Stage2PageTable(new PhysicalMemory({ size: 1 << 20 }), { ipaBits: 36, paBits: 36 });
    const c = table.cursor();
    expect(() => c.map(1n << 36n, 0n, PageSize.Size4K, READ)).toThrow(expect.objectContaining({ code: 'InvalidAddress' }));
    expect(() => c.map(0n, 1n << 36n, PageSize.Size4K, READ)).toThrow(expect.objectContaining({ code: 'InvalidAddress' }));
    c.map((1n << 36n) - 0x1000n, (1n << 36n) - 0x1000n, PageSize.Size4K, READ);
    expect(table.format.geometry.concatenated).toBe(1); // 36 bits: level 1 with 64 entries
  });

  it('USER is refused with InvalidFlags, whatever the path', () => {
    const table = new A64Stage2PageTable64K48(new PhysicalMemory({ size: 4 << 20 }));
    const c = table.cursor();
    c.map(0n, 0n, PageSize.Size64K, READ);
    const user = (fn: () => unknown) => {
      const e = (() => {
        try {
          fn();
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(PagingError);
      expect((e as PagingError).code).toBe('InvalidFlags');
      expect((e as PagingError).message).toMatch(/USER has no meaning at stage 2/);
    };
    user(() => c.map(0x1_0000n, 0x1_0000n, PageSize.Size64K, READ | USER));
    user(() => c.protect(0n, READ | USER));
    expect(table.query(0n).flags).toBe(READ);
    // TypeError for what is not a flag set at all, as every table
    expect(() => c.map(0x1_0000n, 0n, PageSize.Size64K, 64)).toThrow(TypeError);
  });
});

describe('VTCR_EL2 and VTTBR_EL2', () => {
  const T0SZ = (n: number) => BigInt(n); // [5:0]
  const SL0 = (n: number) => BigInt(n) << 6n; // [7:6]
  const TG0_64K = 0b01n << 14n; // [15:14]
  const TG0_16K = 0b10n << 14n;
  const PS = (n: number) => BigInt(n) << 16n; // [18:16]
  const VS = 1n << 19n;

  it('encodes every field where the manual puts it, and decodes back to the same format and root', () => {
    const memory = new PhysicalMemory({ size: 4 << 20, base: 0x4000_0000n });
    for (const table of [
      new A64Stage2PageTable4K40(memory),
      new A64Stage2PageTable16K40(memory),
      new A64Stage2PageTable64K48(memory),
      new A64Stage2PageTable(memory, { granule: 64, ipaBits: 30, paBits: 36 }),
      new A64Stage2PageTable(memory, { granule: 64, ipaBits: 46 }), // 16 concatenated tables: a 1 MiB root
    ]) {
      const g = table.format.geometry;
      const regs = encodeA64Stage2Registers(table, { vmid: 0x1234 });
      const tg = g.granule === 4 ? 0n : g.granule === 16 ? TG0_16K : TG0_64K;
      const ps = BigInt([32, 36, 40, 42, 44, 48].indexOf(table.format.paBits));
      expect(regs.vtcr).toBe(T0SZ(64 - g.ipaBits) | SL0(g.sl0) | (1n << 8n) | (1n << 10n) | (3n << 12n) | tg | PS(Number(ps)) | VS | (1n << 31n));
      expect(regs.vttbr).toBe((0x1234n << 48n) | table.rootPaddr);
      const plan = decodeA64Stage2Registers(regs);
      if (plan instanceof RegisterError) throw plan;
      expect(plan.format.meta).toBe(table.meta);
      expect(plan.roots).toHaveLength(1);
      expect(plan.roots[0]!.root).toBe(table.rootPaddr);
      expect(plan.roots[0]!.vaEnd).toBe(1n << BigInt(g.ipaBits));
      expect(plan.notes).toContain('VTTBR_EL2: VMID 0x1234 (16-bit VMIDs)');
    }
    // an 8-bit VMID leaves VS clear; one that does not fit 8 bits without vmid16 is a RangeError
    const t = new A64Stage2PageTable4K40(memory);
    expect(encodeA64Stage2Registers(t, { vmid: 7 }).vtcr & VS).toBe(0n);
    expect(() => encodeA64Stage2Registers(t, { vmid: 0x100, vmid16: false })).toThrow(RangeError);
  });

  it('refuses what the registers cannot mean, and what is not supported', () => {
    const err = (vtcr: bigint) => decodeA64Stage2Registers({ vtcr, vttbr: 0x4000_0000n }) as RegisterError;
    expect(err(T0SZ(24) | SL0(1) | (3n << 14n)).register).toBe('VTCR_EL2.TG0');
    expect(err(T0SZ(24) | SL0(1) | PS(7)).register).toBe('VTCR_EL2.PS');
    expect(err(T0SZ(24) | SL0(1) | PS(6)).code).toBe('Unsupported');
    expect(err(T0SZ(24) | SL0(0) | PS(5)).register).toBe('VTCR_EL2.SL0'); // level 2 would need 64 tables
    expect(err(T0SZ(24) | SL0(3) | TG0_64K).code).toBe('Invalid');
    expect(err(T0SZ(24) | SL0(3)).code).toBe('Unsupported');
    expect(err(T0SZ(12) | SL0(2)).code).toBe('Unsupported');
    expect(err(T0SZ(24) | SL0(1) | (1n << 32n)).register).toBe('VTCR_EL2.DS');
  });

  it('a stage 2 dump lists S2AP and the stage 2 memory types', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const table = new A64Stage2PageTable4K40(memory);
    const c = table.cursor();
    c.map(0x800_0000n, 0x0900_0000n, PageSize.Size4K, READ | WRITE | DEVICE);
    c.map(0x4000_0000n, 0x4000_0000n, PageSize.Size2M, READ | EXECUTE);
    c.map(0xff_ffe0_0000n, 0x4020_0000n, PageSize.Size4K, WRITE | UNCACHED);
    const plan = decodeA64Stage2Registers(encodeA64Stage2Registers(table));
    if (plan instanceof RegisterError) throw plan;
    const runs = [...dumpMappings({ ...plan.format, handler: memory }, { roots: plan.roots })] as MappingRun[];
    const text = runs.map((r) => [r.vaddr, r.flags, plan.format.inspector!.describe!(Number(r.bits & 0xffff_ffffn), Number(r.bits >> 32n), r.level, true)]);
    expect(text).toEqual([
      [0x800_0000n, READ | WRITE | DEVICE, 'PAGE Dev-nGnRE S2AP=RW NSH AF XN'],
      [0x4000_0000n, READ | EXECUTE, 'BLOCK WB S2AP=RO ISH AF'],
      [0xff_ffe0_0000n, WRITE | UNCACHED, 'PAGE NC S2AP=WO ISH AF XN'],
    ]);
  });
});
