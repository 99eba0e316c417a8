// The MMU models that core's Tlb goes in front of, one row each, for the shared TLB suite (test/tlb-model.test.ts):
// how to build address spaces for the model, switch between them, mark a leaf global, rewrite its accessed / dirty
// state, change the mode bits, and the architecture's invalidation instructions with which entries each removes.
// Each row's instruction semantics cite its manual; the suite checks the Tlb against a fresh walk with them.
// - RISC-V: Privileged spec (20211203) 4.2.1 SFENCE.VMA, 4.3.1 G, 4.1.11 satp.ASID (a satp write flushes nothing).
// - x86 (4-level and 5-level paging with PCIDs, PAE and 32-bit paging): Intel SDM Vol. 3A 4.10.1 (PCIDs, CR3 bit 63
//   "no flush"), 4.10.2.4 (global pages with CR4.PGE), 4.10.4.1 (INVLPG, INVPCID types 0-3, MOV to CR3); 32-bit and
//   PAE paging have no PCID: every MOV to CR3 removes the non-global entries.
// - AArch64: DDI 0487 D8.14 (ASID from TTBR0 / TTBR1 by TCR_EL1.A1, nG), C5.5 TLBI VAE1 / ASIDE1 / VMALLE1 / VAAE1.
// - LoongArch: Reference Manual v1.10 4.2.4.7 INVTLB ops 0-6, 7.5.4 CSR.ASID (a PGDL write flushes nothing).
import { Access, PageSize, PhysicalMemory, Tlb } from '@page-table-multiarch/core';
import { A64Mmu, A64PageTable, encodeA64Registers, tlbiAside1, tlbiVaae1, tlbiVae1, tlbiVmalle1 } from '@page-table-multiarch/aarch64';
import { invtlb, LA64Mmu, LA64PageTable } from '@page-table-multiarch/loongarch64';
import { encodeRiscvSatp, RiscvMmu, Sv39PageTable, sfenceVma, writeSatp } from '@page-table-multiarch/riscv';
import {
  encodeX64Registers,
  encodeX86LegacyRegisters,
  invlpg,
  invpcid,
  movToCr3,
  X64PageTable,
  X64PageTable5,
  X86LegacyMmu,
  X86Mmu,
  X86PageTable32,
  X86PaePageTable,
} from '@page-table-multiarch/x86_64';
import type { Rng } from './rng';
import { A32_MODELS } from './tlb-models-arm';
import { TWO_STAGE_MODELS } from './tlb-models-two-stage';
import { type Form, FLAGS, in_, type Owed, RAM, rw, SMALL, type TlbModelCase, PAGES_2M } from './tlb-world';

export { type Form, leafEntry, type Owed, type Stage2World, type TlbModelCase, type TlbWorld } from './tlb-world';

// ---- RISC-V Sv39 ----

const riscv: TlbModelCase = {
  name: 'RiscvMmu (Sv39)',
  ...PAGES_2M,
  frames: 0x1_0000_0000n,
  flagSets: FLAGS,
  make() {
    const memory = new PhysicalMemory({ size: 8 << 20, base: RAM });
    const asids = [1, 2, 3];
    const tables = asids.map(() => new Sv39PageTable(memory));
    const satps = tables.map((t, i) => encodeRiscvSatp(t, { asid: asids[i]! }).satp);
    const model = new RiscvMmu(memory, { satp: satps[0]!, svadu: true });
    const fresh = new RiscvMmu(memory, { satp: satps[0]!, svadu: true });
    const tlb = new Tlb(model, { entries: 64, ways: 4 });
    tlb.asid = model.asid;
    const entry = rw(memory, 8);
    return {
      memory,
      tables,
      asids,
      tlb,
      model,
      fresh,
      switchTo(k) {
        writeSatp(tlb, satps[k]!);
        fresh.setSatp(satps[k]!);
        return () => false;
      },
      // SFENCE.VMA rs1, rs2 [4.2.1]: rs1 = x0 every address, rs2 = x0 every ASID (global entries too); an ASID spares
      // global entries
      forms(va, asid) {
        const fence = (rs1: bigint | undefined, rs2: number | undefined): Form => ({
          name: `sfence.vma ${rs1 === undefined ? 'x0' : `0x${rs1.toString(16)}`}, ${rs2 === undefined ? 'x0' : `asid ${rs2}`}`,
          run: () => sfenceVma(tlb, rs1, rs2),
          covers: (o) => (rs1 === undefined || in_(o, rs1)) && (rs2 === undefined || (!o.global && o.asid === rs2)),
        });
        return [fence(undefined, undefined), fence(undefined, asid), fence(va, undefined), fence(va, asid)];
      },
      markGlobal: (at) => entry.set(at, entry.get(at) | (1n << 5n)),
      clearAccessedDirty: (at, all) => entry.set(at, entry.get(at) & ~(all ? 0xc0n : 0x80n)),
      changeMode(rng) {
        const v = rng.ratio(1, 2);
        const which = rng.below(3);
        if (which === 0) model.sum = fresh.sum = v;
        else if (which === 1) model.mxr = fresh.mxr = v;
        else model.svadu = fresh.svadu = v;
      },
      syndrome: (m) => [(m as RiscvMmu).cause],
    };
  },
};

// ---- x86 ----

const CR4_PGE = 0x80n;
const CR4_PCIDE = 0x2_0000n;
const CR3_NO_FLUSH = 1n << 63n;

/** The x86 forms [SDM 4.10.4.1]: INVLPG (current PCID and global entries of the page), INVPCID 0-3, and (PCIDE) MOV to CR3. */
function x86Forms(tlb: Tlb<unknown>, va: bigint, asid: number, pcids: boolean): Form[] {
  const current = tlb.asid;
  const forms: Form[] = [
    { name: `invlpg 0x${va.toString(16)}`, run: () => invlpg(tlb, va), covers: (o) => in_(o, va) && (o.global || o.asid === current) },
    { name: 'invpcid 2', run: () => invpcid(tlb, 2, 0), covers: () => true },
    { name: 'invpcid 3', run: () => invpcid(tlb, 3, 0), covers: (o) => !o.global },
  ];
  if (pcids) {
    forms.push(
      { name: `invpcid 0 pcid ${asid} 0x${va.toString(16)}`, run: () => invpcid(tlb, 0, asid, va), covers: (o) => !o.global && o.asid === asid && in_(o, va) },
      { name: `invpcid 1 pcid ${asid}`, run: () => invpcid(tlb, 1, asid), covers: (o) => !o.global && o.asid === asid },
    );
  }
  return forms;
}

function x86Modes(model: X86Mmu | X86LegacyMmu, fresh: X86Mmu | X86LegacyMmu, rng: Rng): void {
  const v = rng.ratio(1, 2);
  const which = rng.below(model instanceof X86Mmu ? 6 : 4);
  if (which === 0) model.wp = fresh.wp = v;
  else if (which === 1) model.smep = fresh.smep = v;
  else if (which === 2) model.smap = fresh.smap = v;
  else if (which === 3) model.ac = fresh.ac = v;
  else if (model instanceof X86Mmu && fresh instanceof X86Mmu) {
    // protection keys (4-level paging): ten PKRU values, more than a Tlb's mode key tells apart, so that user pages
    // also go to the walk
    if (which === 4) model.pke = fresh.pke = v;
    else model.pkru = fresh.pkru = (0x5555_5555 ^ (rng.below(10) * 0x0421_1083)) >>> 0;
  }
}

function x64(levels: 4 | 5): TlbModelCase {
  return {
  name: `X86Mmu (${levels}-level, PCIDs, global pages)`,
  ...PAGES_2M,
  frames: 0x1_0000_0000n,
  flagSets: FLAGS,
  make() {
    const memory = new PhysicalMemory({ size: 8 << 20, base: RAM });
    const asids = [1, 2, 3];
    const tables = asids.map(() => (levels === 5 ? new X64PageTable5(memory) : new X64PageTable(memory)));
    const regs = tables.map((t, i) => {
      const r = encodeX64Registers(t);
      return { ...r, cr3: r.cr3 | BigInt(asids[i]!), cr4: r.cr4 | CR4_PGE | CR4_PCIDE };
    });
    const model = new X86Mmu(memory, regs[0]!);
    const fresh = new X86Mmu(memory, regs[0]!);
    const tlb = new Tlb(model, { entries: 64, ways: 4 });
    movToCr3(tlb, regs[0]!.cr3 | CR3_NO_FLUSH, true);
    const entry = rw(memory, 8);
    return {
      memory,
      tables,
      asids,
      tlb,
      model,
      fresh,
      switchTo(k) {
        // MOV to CR3 with bit 63 set: the new PCID, nothing removed [4.10.4.1]
        model.setRegisters(regs[k]!);
        fresh.setRegisters(regs[k]!);
        movToCr3(tlb, regs[k]!.cr3 | CR3_NO_FLUSH, true);
        return () => false;
      },
      forms(va, asid) {
        const current = tlb.asid;
        const k = asids.indexOf(current);
        return [
          ...x86Forms(tlb, va, asid, true),
          // MOV to CR3 (same space) without bit 63: the non-global entries of the current PCID
          { name: 'mov cr3 (pcid kept, flush)', run: () => movToCr3(tlb, regs[k]!.cr3, true), covers: (o) => !o.global && o.asid === current },
        ];
      },
      markGlobal: (at) => entry.set(at, entry.get(at) | (1n << 8n)),
      clearAccessedDirty: (at, all) => entry.set(at, entry.get(at) & ~(all ? 0x60n : 0x40n)),
      changeMode: (rng) => x86Modes(model, fresh, rng),
      syndrome: (m) => [(m as X86Mmu).vector, (m as X86Mmu).errorCode],
    };
  },
  };
}

/** 32-bit or PAE paging: no PCID, so every address space is PCID 0 and a switch (MOV to CR3) removes the non-global entries. */
function x86Legacy(pae: boolean): TlbModelCase {
  return {
    name: `X86LegacyMmu (${pae ? 'PAE' : '32-bit'} paging, global pages)`,
    small: SMALL,
    huge: pae ? [0x4000_0000n, 0x4020_0000n, 0x4040_0000n] : [0x4000_0000n, 0x4040_0000n, 0x4080_0000n],
    hugeSize: pae ? PageSize.Size2M : PageSize.Size4M,
    globalPages: [0x7000_0000n, 0x7000_1000n],
    frames: 0x1000_0000n,
    flagSets: FLAGS,
    make() {
      const memory = new PhysicalMemory({ size: 8 << 20, base: RAM });
      const tables = [0, 1, 2].map(() => (pae ? new X86PaePageTable(memory) : new X86PageTable32(memory)));
      const regs = tables.map((t) => {
        const r = encodeX86LegacyRegisters(t);
        return { ...r, cr4: r.cr4 | CR4_PGE };
      });
      const model = new X86LegacyMmu(memory, regs[0]!);
      const fresh = new X86LegacyMmu(memory, regs[0]!);
      const tlb = new Tlb(model, { entries: 64, ways: 4 });
      const entry = rw(memory, pae ? 8 : 4);
      let current = 0;
      return {
        memory,
        tables,
        asids: [0, 0, 0],
        tlb,
        model,
        fresh,
        switchTo(k) {
          // MOV to CR3: the PDPTEs loaded again, and every non-global entry removed
          current = k;
          model.setRegisters(regs[k]!);
          fresh.setRegisters(regs[k]!);
          movToCr3(tlb, regs[k]!.cr3, false);
          return (o) => !o.global;
        },
        forms(va, asid) {
          return [
            ...x86Forms(tlb, va, asid, false),
            {
              name: 'mov cr3 (same root)',
              run: () => {
                model.setRegisters(regs[current]!);
                fresh.setRegisters(regs[current]!);
                movToCr3(tlb, regs[current]!.cr3, false);
              },
              covers: (o) => !o.global,
            },
          ];
        },
        markGlobal: (at) => entry.set(at, entry.get(at) | (1n << 8n)),
        clearAccessedDirty: (at, all) => entry.set(at, entry.get(at) & ~(all ? 0x60n : 0x40n)),
        changeMode: (rng) => x86Modes(model, fresh, rng),
        syndrome: (m) => [(m as X86LegacyMmu).vector, (m as X86LegacyMmu).errorCode],
      };
    },
  };
}

// ---- AArch64 ----

const aarch64: TlbModelCase = {
  name: 'A64Mmu (4K granule, ASIDs, nG)',
  ...PAGES_2M,
  frames: 0x1_0000_0000n,
  flagSets: FLAGS,
  make() {
    const memory = new PhysicalMemory({ size: 8 << 20, base: RAM });
    const asids = [1, 2, 3];
    // every leaf nG (an ASID's own); the suite clears nG to make one global
    const tables = asids.map(() => new A64PageTable(memory, { nonGlobal: 'all' }));
    const regs = tables.map((t, i) => {
      const r = encodeA64Registers({ ttbr0: t });
      // TCR_EL1.HA [39] so that AF = 0 leaves are set by the walk; TTBR0_EL1.ASID [63:48]
      return { ...r, tcr: r.tcr | (1n << 39n), ttbr0: r.ttbr0 | (BigInt(asids[i]!) << 48n) };
    });
    const model = new A64Mmu(memory, regs[0]!);
    const fresh = new A64Mmu(memory, regs[0]!);
    const tlb = new Tlb(model, { entries: 64, ways: 4 });
    tlb.asid = model.asid;
    const entry = rw(memory, 8);
    return {
      memory,
      tables,
      asids,
      tlb,
      model,
      fresh,
      switchTo(k) {
        // an MSR to TTBR0_EL1: the new ASID, nothing removed (D8.14); both models load the same registers
        model.setRegisters(regs[k]!);
        fresh.setRegisters(regs[k]!);
        tlb.asid = model.asid;
        return () => false;
      },
      forms(va, asid) {
        return [
          { name: `tlbi vae1 0x${va.toString(16)} asid ${asid}`, run: () => tlbiVae1(tlb, va, asid), covers: (o) => in_(o, va) && (o.global || o.asid === asid) },
          { name: `tlbi aside1 asid ${asid}`, run: () => tlbiAside1(tlb, asid), covers: (o) => !o.global && o.asid === asid },
          { name: 'tlbi vmalle1', run: () => tlbiVmalle1(tlb), covers: () => true },
          { name: `tlbi vaae1 0x${va.toString(16)}`, run: () => tlbiVaae1(tlb, va), covers: (o) => in_(o, va) },
        ];
      },
      markGlobal: (at) => entry.set(at, entry.get(at) & ~(1n << 11n)),
      // AF (bit 10): with TCR_EL1.HA the walk sets it again
      clearAccessedDirty: (at) => entry.set(at, entry.get(at) & ~(1n << 10n)),
      changeMode(rng) {
        const v = rng.ratio(1, 2);
        const which = rng.below(4);
        if (which === 0) model.pan = fresh.pan = v;
        else if (which === 1) model.wxn = fresh.wxn = v;
        else if (which === 2) model.ha = fresh.ha = v;
        else model.hd = fresh.hd = v;
      },
      syndrome: (m) => [(m as A64Mmu).esr],
    };
  },
};

// ---- LoongArch64 ----

const loongarch: TlbModelCase = {
  name: 'LA64Mmu (4K pages, ASIDs, G)',
  ...PAGES_2M,
  frames: 0x1_0000_0000n,
  flagSets: FLAGS,
  make() {
    const memory = new PhysicalMemory({ size: 8 << 20, base: RAM });
    const asids = [1, 2, 3];
    const tables = asids.map(() => new LA64PageTable(memory));
    const model = new LA64Mmu(memory, { pgdl: tables[0]!.rootPaddr });
    const fresh = new LA64Mmu(memory, { pgdl: tables[0]!.rootPaddr });
    const tlb = new Tlb(model, { entries: 64, ways: 4 });
    tlb.asid = asids[0]!;
    const entry = rw(memory, 8);
    return {
      memory,
      tables,
      asids,
      tlb,
      model,
      fresh,
      switchTo(k) {
        // CSRWR to PGDL and ASID: nothing removed
        model.setPgd(tables[k]!.rootPaddr);
        fresh.setPgd(tables[k]!.rootPaddr);
        tlb.asid = asids[k]!;
        return () => false;
      },
      forms(va, asid) {
        const op = (n: number, name: string, covers: (o: Owed) => boolean): Form => ({ name: `invtlb ${n}${name}`, run: () => invtlb(tlb, n, asid, va), covers });
        return [
          op(0, '', () => true),
          op(2, '', (o) => o.global),
          op(3, '', (o) => !o.global),
          op(4, ` asid ${asid}`, (o) => !o.global && o.asid === asid),
          op(5, ` asid ${asid} 0x${va.toString(16)}`, (o) => !o.global && o.asid === asid && in_(o, va)),
          op(6, ` asid ${asid} 0x${va.toString(16)}`, (o) => (o.global || o.asid === asid) && in_(o, va)),
        ];
      },
      // G: bit 6 of a page entry, bit 12 of a huge-page entry (LA 5.4.5)
      markGlobal: (at, level) => entry.set(at, entry.get(at) | (level < 3 ? 1n << 12n : 1n << 6n)),
      // no accessed flag: D (bit 1), which the OS sets on a PME
      clearAccessedDirty: (at) => entry.set(at, entry.get(at) & ~2n),
      changeMode(rng) {
        model.userPlv = fresh.userPlv = 1 + rng.below(3);
      },
      syndrome: (m) => [(m as LA64Mmu).ecode, (m as LA64Mmu).esubcode],
    };
  },
};

/** Every model the suite runs over: the single-stage rows here, ARMv7's and the two-stage ones. */
export const TLB_MODELS: readonly TlbModelCase[] = [
  riscv,
  loongarch,
  x64(4),
  x64(5),
  x86Legacy(true),
  x86Legacy(false),
  aarch64,
  ...A32_MODELS,
  ...TWO_STAGE_MODELS,
];

/** An access kind used by the suite (re-exported so that the suite imports one module). */
export const ACCESSES = [Access.READ, Access.WRITE, Access.EXECUTE] as const;
