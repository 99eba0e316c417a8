// The ARMv7-A rows of the shared TLB suite: A32Mmu (short descriptors) and A32LpaeMmu (long descriptors), each
// with three ASIDs. Both tables write leaves with nG = 0 (global); the rows set nG on every page of a process
// (`markPrivate`), as an operating system does, and clear it for the suite's global pages.
// Source: ARM DDI 0406C.d: B3.9.1 (nG: a non-global entry is tagged with the ASID), B3.9.3 and B4.1.36 (CONTEXTIDR.ASID;
// a CONTEXTIDR write flushes nothing), B4.2.2 TLBIALL / TLBIMVA / TLBIASID / TLBIMVAA; short descriptors B3.5.1
// (Section nG bit 17, AP[0] bit 10; Small page nG bit 11, AP[0] bit 4), B3.12.3 (DACR domains: Client, Manager,
// No access), B3.7.1 (SCTLR.AFE: AP[0] is the Access flag); long descriptors B3.6.2 (nG bit 11, AF bit 10 in Block
// and Page descriptors), B4.1.154 (TTBR0.ASID, bits 55:48); B4.1.130 SCTLR.WXN (19), UWXN (20).
import { MappingFlags, PageSize, PhysicalMemory, Tlb } from '@page-table-multiarch/core';
import {
  A32LpaeMmu,
  A32LpaePageTable,
  A32Mmu,
  A32PageTable,
  encodeA32LpaeRegisters,
  encodeA32Registers,
  tlbiall,
  tlbiasid,
  tlbimva,
  tlbimvaa,
} from '@page-table-multiarch/arm';
import type { Rng } from './rng';
import { type Form, in_, RAM, rw, SMALL, type TlbModelCase, PAGES_2M } from './tlb-world';

const { READ, WRITE, EXECUTE } = MappingFlags;
/** No execute-only pages: an ARMv7 page that executes can be read [B3.7]. */
const A32_FLAGS = [READ, READ | WRITE, READ | EXECUTE, READ | WRITE | EXECUTE];
const SCTLR_WXN = 1 << 19;
const SCTLR_UWXN = 1 << 20;
const SCTLR_AFE = 1 << 29;

/** The four CP15 operations with operands `va` and `asid` [B4.2.2], on `tlb`. */
function a32Forms(tlb: Tlb<unknown>, va: bigint, asid: number): Form[] {
  return [
    { name: `tlbimva 0x${va.toString(16)} asid ${asid}`, run: () => tlbimva(tlb, va, asid), covers: (o) => in_(o, va) && (o.global || o.asid === asid) },
    { name: `tlbiasid ${asid}`, run: () => tlbiasid(tlb, asid), covers: (o) => !o.global && o.asid === asid },
    { name: 'tlbiall', run: () => tlbiall(tlb), covers: () => true },
    { name: `tlbimvaa 0x${va.toString(16)}`, run: () => tlbimvaa(tlb, va), covers: (o) => in_(o, va) },
  ];
}

const shortDescriptors: TlbModelCase = {
  name: 'A32Mmu (short descriptors, sections, ASIDs, nG)',
  small: SMALL,
  huge: [0x4000_0000n, 0x4010_0000n, 0x4020_0000n],
  hugeSize: PageSize.Size1M,
  globalPages: [0x7000_0000n, 0x7000_1000n],
  frames: 0x1000_0000n,
  flagSets: A32_FLAGS,
  make() {
    const memory = new PhysicalMemory({ size: 8 << 20, base: RAM });
    const asids = [1, 2, 3];
    const tables = asids.map(() => new A32PageTable(memory));
    const regs = tables.map((t, i) => ({ ...encodeA32Registers(t), contextidr: asids[i]! }));
    const model = new A32Mmu(memory, regs[0]!);
    const fresh = new A32Mmu(memory, regs[0]!);
    const tlb = new Tlb(model, { entries: 64, ways: 4 });
    tlb.asid = model.asid;
    const entry = rw(memory, 4);
    // nG: bit 17 of a Section (level 0), bit 11 of a Small page (level 1) [B3.5.1]
    const ng = (level: number): bigint => (level === 0 ? 1n << 17n : 1n << 11n);
    return {
      memory,
      tables,
      asids,
      tlb,
      model,
      fresh,
      switchTo(k) {
        // TTBR0 and CONTEXTIDR written (the mode registers kept): nothing removed [B3.9.3]
        for (const m of [model, fresh]) m.setRegisters({ ...regs[k]!, dacr: m.dacr, sctlr: m.sctlr });
        tlb.asid = model.asid;
        return () => false;
      },
      forms: (va, asid) => a32Forms(tlb, va, asid),
      markGlobal: (at, level) => entry.set(at, entry.get(at) & ~ng(level)),
      markPrivate: (at, level) => entry.set(at, entry.get(at) | ng(level)),
      // AP[0]: bit 10 of a Section, bit 4 of a Small page; the Access flag under SCTLR.AFE [B3.7.1]
      clearAccessedDirty: (at, _all, level) => entry.set(at, entry.get(at) & ~(level === 0 ? 1n << 10n : 1n << 4n)),
      changeMode(rng: Rng) {
        if (rng.ratio(1, 2)) {
          // domain 0 (every entry's): mostly Client, at times Manager (no permission checks) or No access
          const dacr = rng.ratio(3, 4) ? 1 : rng.ratio(1, 2) ? 3 : 0;
          model.dacr = fresh.dacr = dacr;
        } else {
          const bit = [SCTLR_AFE, SCTLR_WXN, SCTLR_UWXN][rng.below(3)]!;
          model.sctlr = fresh.sctlr = (model.sctlr ^ bit) >>> 0;
        }
      },
      syndrome: (m) => [(m as A32Mmu).fsr, (m as A32Mmu).domain],
    };
  },
};

const longDescriptors: TlbModelCase = {
  name: 'A32LpaeMmu (long descriptors, 2M blocks, ASIDs, nG)',
  ...PAGES_2M,
  frames: 0x1_0000_0000n,
  flagSets: A32_FLAGS,
  make() {
    const memory = new PhysicalMemory({ size: 8 << 20, base: RAM });
    const asids = [1, 2, 3];
    const tables = asids.map(() => new A32LpaePageTable(memory));
    const regs = tables.map((t, i) => encodeA32LpaeRegisters({ ttbr0: t, asid: asids[i]! }));
    const model = new A32LpaeMmu(memory, regs[0]!);
    const fresh = new A32LpaeMmu(memory, regs[0]!);
    const tlb = new Tlb(model, { entries: 64, ways: 4 });
    tlb.asid = model.asid;
    const entry = rw(memory, 8);
    const NG = 1n << 11n;
    return {
      memory,
      tables,
      asids,
      tlb,
      model,
      fresh,
      switchTo(k) {
        // TTBR0 with its ASID written: nothing removed [B3.9.3]
        for (const m of [model, fresh]) m.setRegisters({ ...regs[k]!, sctlr: m.sctlr });
        tlb.asid = model.asid;
        return () => false;
      },
      forms: (va, asid) => a32Forms(tlb, va, asid),
      markGlobal: (at) => entry.set(at, entry.get(at) & ~NG),
      markPrivate: (at) => entry.set(at, entry.get(at) | NG),
      // AF (bit 10): ARMv7 has no hardware update, so the page faults until the kernel sets AF again (a protect)
      clearAccessedDirty: (at) => entry.set(at, entry.get(at) & ~(1n << 10n)),
      changeMode(rng: Rng) {
        const bit = rng.ratio(1, 2) ? SCTLR_WXN : SCTLR_UWXN;
        model.sctlr = fresh.sctlr = (model.sctlr ^ bit) >>> 0;
      },
      syndrome: (m) => [(m as A32LpaeMmu).fsr],
    };
  },
};

/** The ARMv7 rows. */
export const A32_MODELS: readonly TlbModelCase[] = [shortDescriptors, longDescriptors];
