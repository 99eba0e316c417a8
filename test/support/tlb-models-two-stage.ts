// The two-stage rows of the shared TLB suite: a Tlb whose entries combine stage 1 and stage 2, tagged by the VMID,
// over AArch64 stage 1 on stage 2, RISC-V's VS-stage on the G-stage and x86 guest paging on EPT. The suite changes
// the guest's tables (owing the stage 1 invalidations of the single-stage rows) and, here, the second stage's (owing
// the invalidations the architecture requires after a stage 2 change: `Stage2World.forms`).
// - AArch64 (DDI 0487 D8.14, "Invalidation of TLB entries from stage 2 translations"): TLBI IPAS2E1 need not reach a
//   combined entry, so a stage 2 change owes TLBI IPAS2E1 followed by TLBI VMALLE1, or TLBI VMALLS12E1, or TLBI
//   ALLE1; TLBI VMALLE1 removes every entry of the VMID, combined ones too.
// - RISC-V (Privileged spec, Hypervisor Extension, "Hypervisor Memory-Management Fence Instructions"): a G-stage
//   change owes HFENCE.GVMA for its guest-physical address (or every one) in its VMID (or every VMID); a combined
//   entry cannot be found by guest-physical address, so that removes every entry of the VMID. A guest's SFENCE.VMA
//   (HFENCE.VVMA) is not what a G-stage change owes (a hart may cache G-stage translations apart); of its forms,
//   x0, x0 removes every entry of the VMID here, combined ones included.
// - x86 (Intel SDM Vol. 3C 29.4.3.1, 29.4.3.3 "Guidelines for Use of the INVEPT Instruction"): an EPT change owes
//   INVEPT (single-context for its EPTP, or all-context), which removes the combined mappings of every VPID and PCID;
//   INVVPID and the guest's INVLPG / INVPCID / MOV to CR3 act on the mappings of one VPID (`tlb.vmid`).
import { MappingFlags, PageSize, PhysicalMemory, Tlb } from '@page-table-multiarch/core';
import {
  A64Mmu,
  A64PageTable,
  A64Stage2Mmu,
  A64Stage2PageTable4K40,
  encodeA64Registers,
  encodeA64Stage2Registers,
  tlbiAlle1,
  tlbiAside1,
  tlbiIpas2e1,
  tlbiVaae1,
  tlbiVae1,
  tlbiVmalle1,
  tlbiVmalls12e1,
} from '@page-table-multiarch/aarch64';
import {
  encodeRiscvHgatp,
  encodeRiscvSatp,
  hfenceGvma,
  RiscvGStageMmu,
  RiscvMmu,
  Sv39PageTable,
  Sv39x4PageTable,
  sfenceVma,
  writeSatp,
} from '@page-table-multiarch/riscv';
import {
  encodeX64Registers,
  encodeX86Eptp,
  invept,
  invlpg,
  invpcid,
  invvpid,
  movToCr3,
  X64PageTable,
  X86EptMmu,
  X86EptPageTable,
  X86Mmu,
} from '@page-table-multiarch/x86_64';
import type { Rng } from './rng';
import { type AnyTable, FLAGS, type Form, in_, leafEntry, type Owed, RAM, rw, type Stage2World, type TlbModelCase, PAGES_2M } from './tlb-world';

const { READ, WRITE, EXECUTE } = MappingFlags;
/** Where stage 1's frames (intermediate / guest-physical addresses) start; stage 2 maps them to the same addresses. */
const FRAMES = 0x1_0000_0000n;
const TWO_M = 0x20_0000n;
const ONE_G = 0x4000_0000n;
/** The output address a moved stage 2 page gets: its own plus this (bit 36). */
const MOVED = 0x10_0000_0000n;
const VMID = 5;

/**
 * Stage 2 over the memory (identity, for the stage 1 tables) and over FRAMES (identity: 4K pages for the first 2M,
 * 2M blocks up to 1G, 1G blocks for 3G more), and the changes a hypervisor makes to its leaves.
 * `clearDirty(at)` makes the leaf at `at` clean (its dirty state as the architecture holds it).
 */
function stage2World(table: AnyTable, memory: PhysicalMemory, all: number, flagSets: readonly number[], clearDirty: (at: bigint) => void) {
  const c = table.cursor();
  c.mapRegion(RAM, RAM, BigInt(memory.size), READ | WRITE, true);
  c.mapRegion(FRAMES, FRAMES, TWO_M, all, false);
  c.mapRegion(FRAMES + TWO_M, FRAMES + TWO_M, ONE_G - TWO_M, all, true);
  c.mapRegion(FRAMES + ONE_G, FRAMES + ONE_G, 3n * ONE_G, all, true);
  const world = {
    change(rng: Rng, ipa: bigint): Owed {
      // the stage 2 leaf of ipa: a 4K page, a 2M block or a 1G block by where it is (as mapped above)
      const size = ipa < FRAMES + TWO_M ? PageSize.Size4K : ipa < FRAMES + ONE_G ? PageSize.Size2M : PageSize.Size1G;
      const base = ipa & ~BigInt(size - 1);
      const leaf = leafEntry(table, memory, base);
      const flags = flagSets[rng.below(flagSets.length)]!;
      const cursor = table.cursor();
      const kind = rng.below(4);
      if (leaf === undefined) cursor.map(base, base, size, all);
      else if (kind === 0) cursor.protect(base, flags);
      else if (kind === 1) cursor.remap(base, base + (rng.ratio(1, 2) ? MOVED : 0n), flags);
      else if (kind === 2) cursor.unmap(base);
      // the dirty state of 4K leaves only: a clean block would hold the dirty state of many stage 1 pages, and a store
      // through one of them (by the fresh model) would leave the TLB's entries of the others holding the clean
      // state, as the architecture allows, but with permissions that differ from a fresh walk's (S2AP[1])
      else if (size === PageSize.Size4K) clearDirty(leaf.at);
      else cursor.protect(base, flags);
      return { base, size: BigInt(size), asid: 0, global: true, stage2: true };
    },
    move(ipa: bigint, how: 'remap' | 'unmap'): void {
      if (how === 'remap') table.cursor().remap(ipa, ipa + MOVED, all);
      else table.cursor().unmap(ipa);
    },
  };
  return world;
}

// ---- AArch64 stage 1 over stage 2 ----

const aarch64TwoStage: TlbModelCase = {
  name: 'A64Mmu over A64Stage2Mmu (combined entries, VMID)',
  ...PAGES_2M,
  frames: FRAMES,
  flagSets: FLAGS,
  make() {
    const memory = new PhysicalMemory({ size: 8 << 20, base: RAM });
    const s2table = new A64Stage2PageTable4K40(memory);
    const entry = rw(memory, 8);
    // a clean writable stage 2 leaf: DBM (51) set, S2AP[1] (7) clear; with VTCR_EL2.HD a store sets S2AP[1] again
    const stage2 = stage2World(s2table, memory, READ | WRITE | EXECUTE, [READ, READ | WRITE, READ | EXECUTE, READ | WRITE | EXECUTE], (at) => {
      const e = entry.get(at);
      if ((e & (1n << 7n)) !== 0n) entry.set(at, (e | (1n << 51n)) & ~(1n << 7n));
    });
    const s2regs = encodeA64Stage2Registers(s2table, { vmid: VMID });
    // VTCR_EL2.HA (21) and HD (22)
    const s2options = { ...s2regs, vtcr: s2regs.vtcr | (3n << 21n) };
    const asids = [1, 2, 3];
    const tables = asids.map(() => new A64PageTable(memory, { nonGlobal: 'all' }));
    const regs = tables.map((t, i) => {
      const r = encodeA64Registers({ ttbr0: t });
      return { ...r, tcr: r.tcr | (1n << 39n), ttbr0: r.ttbr0 | (BigInt(asids[i]!) << 48n) };
    });
    const model = new A64Mmu(memory, { ...regs[0]!, stage2: new A64Stage2Mmu(memory, s2options) });
    const fresh = new A64Mmu(memory, { ...regs[0]!, stage2: new A64Stage2Mmu(memory, s2options) });
    const tlb = new Tlb(model, { entries: 64, ways: 4 });
    tlb.asid = model.asid;
    tlb.vmid = (model.stage2 as A64Stage2Mmu).vmid;
    const s2: Stage2World = {
      ...stage2,
      forms(ipa, vmid) {
        const at = `0x${ipa.toString(16)}`;
        return [
          {
            name: `tlbi ipas2e1 ${at}; tlbi vmalle1`,
            run: () => {
              tlbiIpas2e1(tlb, ipa);
              tlbiVmalle1(tlb);
            },
            covers: () => true,
          },
          { name: 'tlbi vmalls12e1', run: () => tlbiVmalls12e1(tlb), covers: () => true },
          { name: 'tlbi alle1', run: () => tlbiAlle1(tlb), covers: () => true },
          // alone, it need not reach a combined entry (and here does not)
          { name: `tlbi ipas2e1 ${at}`, run: () => tlbiIpas2e1(tlb, ipa), covers: () => false },
          // VMALLS12E1 from another VMID
          { name: `tlbi vmalls12e1 (vmid ${vmid + 1})`, run: () => inVmid(tlb, vmid + 1, () => tlbiVmalls12e1(tlb)), covers: () => false },
        ];
      },
    };
    return {
      memory,
      tables,
      asids,
      tlb,
      model,
      fresh,
      stage2: s2,
      switchTo(k) {
        model.setRegisters(regs[k]!);
        fresh.setRegisters(regs[k]!);
        tlb.asid = model.asid;
        return () => false;
      },
      forms(va, asid) {
        // stage 1 forms; of them only VMALLE1 removes what a stage 2 change leaves (every entry of the VMID)
        const s1 = (o: Owed, covers: boolean): boolean => o.stage2 !== true && covers;
        return [
          { name: `tlbi vae1 0x${va.toString(16)} asid ${asid}`, run: () => tlbiVae1(tlb, va, asid), covers: (o) => s1(o, in_(o, va) && (o.global || o.asid === asid)) },
          { name: `tlbi aside1 asid ${asid}`, run: () => tlbiAside1(tlb, asid), covers: (o) => s1(o, !o.global && o.asid === asid) },
          { name: 'tlbi vmalle1', run: () => tlbiVmalle1(tlb), covers: () => true },
          { name: `tlbi vaae1 0x${va.toString(16)}`, run: () => tlbiVaae1(tlb, va), covers: (o) => s1(o, in_(o, va)) },
        ];
      },
      markGlobal: (at) => entry.set(at, entry.get(at) & ~(1n << 11n)),
      clearAccessedDirty: (at) => entry.set(at, entry.get(at) & ~(1n << 10n)),
      changeMode(rng) {
        const v = rng.ratio(1, 2);
        const which = rng.below(4);
        if (which === 0) model.pan = fresh.pan = v;
        else if (which === 1) model.wxn = fresh.wxn = v;
        else if (which === 2) model.hd = fresh.hd = v;
        // VTCR_EL2.HD: without it a store to a clean stage 2 leaf is a stage 2 Permission fault
        else (model.stage2 as A64Stage2Mmu).hd = (fresh.stage2 as A64Stage2Mmu).hd = v;
      },
      // HPFAR_EL2 is written by stage 2 faults only
      syndrome: (m) => [(m as A64Mmu).esr, m.faultStage === 2 ? (m as A64Mmu).hpfar : -1],
    };
  },
};

/** Runs `op` with the TLB in another VMID, then back. */
function inVmid(tlb: Tlb<unknown>, vmid: number, op: () => void): void {
  const keep = tlb.vmid;
  tlb.vmid = vmid;
  op();
  tlb.vmid = keep;
}

// ---- RISC-V VS-stage over G-stage ----

const riscvTwoStage: TlbModelCase = {
  name: 'RiscvMmu over RiscvGStageMmu (combined entries, VMID)',
  ...PAGES_2M,
  frames: FRAMES,
  flagSets: FLAGS,
  make() {
    const memory = new PhysicalMemory({ size: 8 << 20, base: RAM });
    const gtable = new Sv39x4PageTable(memory);
    const entry = rw(memory, 8);
    // a clean G-stage leaf: D (7) clear; with Svadu the walk of a store sets it again
    const stage2 = stage2World(gtable, memory, READ | WRITE | EXECUTE, FLAGS, (at) => entry.set(at, entry.get(at) & ~0x80n));
    const hgatp = encodeRiscvHgatp(gtable, { vmid: VMID }).hgatp;
    const asids = [1, 2, 3];
    const tables = asids.map(() => new Sv39PageTable(memory));
    const satps = tables.map((t, i) => encodeRiscvSatp(t, { asid: asids[i]! }).satp);
    const gstage = new RiscvGStageMmu(memory, { hgatp, svadu: true });
    const freshG = new RiscvGStageMmu(memory, { hgatp, svadu: true });
    const model = new RiscvMmu(memory, { satp: satps[0]!, svadu: true, secondStage: gstage });
    const fresh = new RiscvMmu(memory, { satp: satps[0]!, svadu: true, secondStage: freshG });
    const tlb = new Tlb(model, { entries: 64, ways: 4 });
    tlb.asid = model.asid;
    tlb.vmid = gstage.vmid;
    const s2: Stage2World = {
      ...stage2,
      forms(gpa, vmid) {
        const rs1 = gpa >> 2n;
        return [
          { name: 'hfence.gvma x0, x0', run: () => hfenceGvma(tlb), covers: () => true },
          { name: `hfence.gvma 0x${rs1.toString(16)}, vmid ${vmid}`, run: () => hfenceGvma(tlb, rs1, vmid), covers: () => true },
          { name: `hfence.gvma x0, vmid ${vmid}`, run: () => hfenceGvma(tlb, undefined, vmid), covers: () => true },
          { name: `hfence.gvma 0x${rs1.toString(16)}, vmid ${vmid + 1}`, run: () => hfenceGvma(tlb, rs1, vmid + 1), covers: () => false },
        ];
      },
    };
    return {
      memory,
      tables,
      asids,
      tlb,
      model,
      fresh,
      stage2: s2,
      switchTo(k) {
        writeSatp(tlb, satps[k]!);
        fresh.setSatp(satps[k]!);
        return () => false;
      },
      // the guest's SFENCE.VMA (HFENCE.VVMA from the hypervisor): only x0, x0 removes every entry of the VMID
      forms(va, asid) {
        const fence = (rs1: bigint | undefined, rs2: number | undefined): Form => ({
          name: `sfence.vma ${rs1 === undefined ? 'x0' : `0x${rs1.toString(16)}`}, ${rs2 === undefined ? 'x0' : `asid ${rs2}`}`,
          run: () => sfenceVma(tlb, rs1, rs2),
          covers: (o) =>
            o.stage2 === true ? rs1 === undefined && rs2 === undefined : (rs1 === undefined || in_(o, rs1)) && (rs2 === undefined || (!o.global && o.asid === rs2)),
        });
        return [fence(undefined, undefined), fence(undefined, asid), fence(va, undefined), fence(va, asid)];
      },
      markGlobal: (at) => entry.set(at, entry.get(at) | (1n << 5n)),
      clearAccessedDirty: (at, all) => entry.set(at, entry.get(at) & ~(all ? 0xc0n : 0x80n)),
      changeMode(rng) {
        const v = rng.ratio(1, 2);
        const which = rng.below(4);
        if (which === 0) model.sum = fresh.sum = v;
        else if (which === 1) model.mxr = fresh.mxr = v;
        else if (which === 2) gstage.mxr = freshG.mxr = v; // the HS-level MXR, which the G-stage reads
        // menvcfg.ADUE: without Svadu a store to a G-stage leaf with D clear is a guest-page fault
        else gstage.svadu = freshG.svadu = v;
      },
      syndrome: (m) => [(m as RiscvMmu).cause, (m as RiscvMmu).htvalLo, (m as RiscvMmu).htinst],
    };
  },
};

// ---- x86 guest paging over EPT ----

const x86TwoStage: TlbModelCase = {
  name: 'X86Mmu over X86EptMmu (combined mappings, PCIDs, VPID)',
  ...PAGES_2M,
  frames: FRAMES,
  flagSets: FLAGS,
  make() {
    const memory = new PhysicalMemory({ size: 8 << 20, base: RAM });
    const ept = new X86EptPageTable(memory);
    const entry = rw(memory, 8);
    // a clean EPT leaf: D (bit 9) clear, which a store sets again with EPTP bit 6 [29.3.5]
    const stage2 = stage2World(ept, memory, READ | WRITE | EXECUTE, [READ, READ | WRITE, READ | EXECUTE, READ | WRITE | EXECUTE], (at) =>
      entry.set(at, entry.get(at) & ~(1n << 9n)),
    );
    const eptp = encodeX86Eptp(ept, { accessDirty: true });
    const asids = [1, 2, 3];
    const tables = asids.map(() => new X64PageTable(memory));
    const regs = tables.map((t, i) => {
      const r = encodeX64Registers(t);
      // CR3 bits 11:0 the PCID; CR4.PGE (bit 7), CR4.PCIDE (bit 17)
      return { ...r, cr3: r.cr3 | BigInt(asids[i]!), cr4: r.cr4 | 0x80n | 0x2_0000n };
    });
    const model = new X86Mmu(memory, { ...regs[0]!, secondStage: new X86EptMmu(memory, { eptp }) });
    const fresh = new X86Mmu(memory, { ...regs[0]!, secondStage: new X86EptMmu(memory, { eptp }) });
    const tlb = new Tlb(model, { entries: 64, ways: 4 });
    tlb.vmid = 1; // the VPID
    const NO_FLUSH = 1n << 63n;
    movToCr3(tlb, regs[0]!.cr3 | NO_FLUSH, true);
    const s2: Stage2World = {
      ...stage2,
      forms: () => [
        { name: 'invept 1 (single-context)', run: () => invept(tlb, 1, eptp), covers: () => true },
        { name: 'invept 2 (all-context)', run: () => invept(tlb, 2), covers: () => true },
      ],
    };
    return {
      memory,
      tables,
      asids,
      tlb,
      model,
      fresh,
      stage2: s2,
      switchTo(k) {
        // MOV to CR3 with bit 63 set: the new PCID, nothing removed (Vol. 3A 4.10.4.1)
        model.setRegisters(regs[k]!);
        fresh.setRegisters(regs[k]!);
        movToCr3(tlb, regs[k]!.cr3 | NO_FLUSH, true);
        return () => false;
      },
      forms(va, asid) {
        const at = `0x${va.toString(16)}`;
        const current = tlb.asid;
        const vpid = tlb.vmid;
        // stage 1 forms; of them those that empty the VPID remove what an EPT change leaves
        const s1 = (o: Owed, covers: boolean): boolean => o.stage2 !== true && covers;
        return [
          { name: `invlpg ${at}`, run: () => invlpg(tlb, va), covers: (o) => s1(o, in_(o, va) && (o.global || o.asid === current)) },
          { name: `invpcid 0 pcid ${asid} ${at}`, run: () => invpcid(tlb, 0, asid, va), covers: (o) => s1(o, !o.global && o.asid === asid && in_(o, va)) },
          { name: `invpcid 1 pcid ${asid}`, run: () => invpcid(tlb, 1, asid), covers: (o) => s1(o, !o.global && o.asid === asid) },
          { name: 'invpcid 2', run: () => invpcid(tlb, 2, 0), covers: () => true },
          { name: 'invpcid 3', run: () => invpcid(tlb, 3, 0), covers: (o) => s1(o, !o.global) },
          { name: `invvpid 0 vpid ${vpid} ${at}`, run: () => invvpid(tlb, 0, vpid, va), covers: (o) => s1(o, in_(o, va)) },
          { name: `invvpid 1 vpid ${vpid}`, run: () => invvpid(tlb, 1, vpid), covers: () => true },
          { name: `invvpid 3 vpid ${vpid}`, run: () => invvpid(tlb, 3, vpid), covers: (o) => s1(o, !o.global) },
          { name: `invvpid 1 vpid ${vpid + 1}`, run: () => invvpid(tlb, 1, vpid + 1), covers: () => false },
        ];
      },
      markGlobal: (at) => entry.set(at, entry.get(at) | (1n << 8n)),
      clearAccessedDirty: (at, all) => entry.set(at, entry.get(at) & ~(all ? 0x60n : 0x40n)),
      changeMode(rng) {
        const v = rng.ratio(1, 2);
        const which = rng.below(4);
        if (which === 0) model.wp = fresh.wp = v;
        else if (which === 1) model.smep = fresh.smep = v;
        else if (which === 2) model.smap = fresh.smap = v;
        else model.ac = fresh.ac = v;
      },
      // the VM exit's reason and qualification are written by EPT faults only
      syndrome: (m) => {
        const x = m as X86Mmu;
        return [x.vector, x.errorCode, m.faultStage === 2 ? x.exitReason : -1, m.faultStage === 2 ? x.exitQualification : -1];
      },
    };
  },
};

/** The two-stage rows. */
export const TWO_STAGE_MODELS: readonly TlbModelCase[] = [aarch64TwoStage, riscvTwoStage, x86TwoStage];
