// What a dump needs to know about ARMv7-A short descriptors beyond the codec.
// Source: ARM DDI 0406C:
// - B3.5.1 "Short-descriptor translation table format descriptors", Figure B3-4: an L1 Page table descriptor
//   holds PXN (bit 2), NS (bit 3) and the domain (8:5) for everything its L2 table maps.
// - B3.7.1 "Access permissions", Table B3-8: AP[2:0] = 0b100 is reserved.
// - B3.7.2 "Execute-never restrictions on instruction fetching": PXN in a Page table descriptor forbids PL1
//   execution from every page of the L2 table.
import { type EntryInspector, MappingFlags, tableLimit } from '@page-table-multiarch/core';

const ALL = 63;
const TYPE = 0b11;
const T_TABLE = 0b01;
const TABLE_PXN = 1 << 2;
const TABLE_NS = 1 << 3;
const S_SUPER = 1 << 18;

/** AP[2:0] of a leaf (Section / Supersection at L1, Small / Large page at L2). */
function apOf(lo: number, level: number): number {
  return level === 0 ? ((lo >>> 13) & 0b100) | ((lo >>> 10) & 0b11) : ((lo >>> 7) & 0b100) | ((lo >>> 4) & 0b11);
}

const AP_NAMES = ['AP=none', 'AP=RW', 'AP=RW/RO', 'AP=RW/RW', 'AP=rsv', 'AP=RO', 'AP=RO/RO', 'AP=RO/RO'];

/**
 * The ARMv7 short-descriptor `EntryInspector`: PXN in an L1 Page table descriptor takes EXECUTE away from
 * the kernel (non-USER) mappings of its L2 table; AP[2:0] = 0b100 in a leaf is a 'Reserved' diagnostic; level
 * names L1 and L2; descriptor fields for listings. Runs break on every non-address bit (the default).
 */
export function a32Inspector(): EntryInspector {
  return Object.freeze({
    levelNames: Object.freeze(['L1', 'L2']),
    tableLimit(lo: number, _hi: number, _level: number): number {
      return (lo & TABLE_PXN) !== 0 ? tableLimit(ALL & ~MappingFlags.EXECUTE, ALL) : tableLimit(ALL, ALL);
    },
    problem(lo: number, _hi: number, level: number, leaf: boolean): string | undefined {
      if (leaf && apOf(lo, level) === 0b100) return 'AP[2:0] = 0b100 is reserved';
      return undefined;
    },
    describe(lo: number, _hi: number, level: number, leaf: boolean): string {
      const out: string[] = [];
      if (!leaf) {
        if (lo & TABLE_PXN) out.push('PXN');
        if (lo & TABLE_NS) out.push('NS');
        out.push(`dom${(lo >>> 5) & 0xf}`);
        return out.join(' ');
      }
      if (level === 0) {
        const sup = (lo & S_SUPER) !== 0;
        out.push(sup ? 'SUPERSECTION' : 'SECTION');
        out.push(AP_NAMES[apOf(lo, 0)]!, `TEX${(lo >>> 12) & 7}`);
        if (lo & 8) out.push('C');
        if (lo & 4) out.push('B');
        if (lo & (1 << 16)) out.push('S');
        if (lo & (1 << 17)) out.push('nG');
        if (lo & (1 << 19)) out.push('NS');
        if (lo & (1 << 4)) out.push('XN');
        if (lo & 1) out.push('PXN');
        if (!sup) out.push(`dom${(lo >>> 5) & 0xf}`);
        return out.join(' ');
      }
      const large = (lo & TYPE) === T_TABLE;
      out.push(large ? 'LARGE' : 'SMALL');
      out.push(AP_NAMES[apOf(lo, 1)]!, `TEX${large ? (lo >>> 12) & 7 : (lo >>> 6) & 7}`);
      if (lo & 8) out.push('C');
      if (lo & 4) out.push('B');
      if (lo & (1 << 10)) out.push('S');
      if (lo & (1 << 11)) out.push('nG');
      if (large ? lo & (1 << 15) : lo & 1) out.push('XN');
      return out.join(' ');
    },
  });
}
