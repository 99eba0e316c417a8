// RISC-V G-stage: QEMU's page walker against Sv39x4PageTable, Sv48x4PageTable and Sv57x4PageTable.
// The hart runs in VS-mode (V = 1) with vsatp = 0 (Bare), so the VS-stage passes every address through and the
// monitor's `gva2gpa` answers with the G-stage alone: its debug walk (target/riscv/cpu_helper.c,
// riscv_cpu_get_phys_page_debug) runs get_physical_address once for the VS-stage and, when V = 1, once more for the
// G-stage with hgatp, as a load made in U-mode. So beyond the address it checks read permission and U: a G-stage
// leaf without U faults (privileged spec 20211203, "Guest Physical Address Translation": every G-stage access is
// checked as a U-mode access), which is what the negative control corrupts.
//
// V = 1 is entered by one guest instruction, `sret` with hstatus.SPV = 1 and sstatus.SPP = 1 (privileged spec,
// Hypervisor Extension, "Hypervisor Status Register (hstatus)": SRET sets V to SPV): the gdb stub has no register
// for V. mstatus.MPV and `mret` would do the same, but QEMU 10.0 drops an MPV written through the gdb stub (and by
// `csrs` in this setup), while hstatus.SPV is kept by QEMU 7.2 and 10.0 alike.
import { Access, MappingFlags, PageSize, PhysicalMemory, Privilege } from '@page-table-multiarch/core';
import { gStageLeafFlags, RiscvGStageMmu, Sv32x4PageTable, Sv39x4PageTable, Sv48x4PageTable, Sv57x4PageTable } from '@page-table-multiarch/riscv';
import { type RunResult, showPa } from './_check';
import { affects, DEFECTS } from './_defects';
import { type RunOptions, runTarget } from './_driver';
import { gva2gpa } from './_qemu';
import { rv32Scheme, rv64Scheme, type RvScheme, setUpPmp, SV48_HUGE, SV57_HUGE, writeTranslationRegister } from './_rv-scheme';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;
/** The permission bits a G-stage leaf holds (DEVICE and UNCACHED are not encoded: memory types come from PMAs). */
const RWXU = READ | WRITE | EXECUTE | USER;

/** The G-stage schemes checked here (sv32x4 on qemu-system-riscv32, the others on qemu-system-riscv64). */
export type RiscvGStageScheme = 'sv32x4' | 'sv39x4' | 'sv48x4' | 'sv57x4';

/** A G-stage format: its hgatp, and the width of its guest-physical addresses. */
interface Scheme extends RvScheme {
  readonly gpaBits: bigint;
}

// RV64 windows lie at both ends of the guest-physical space: the root's first entries and its last ones, which only
// the two extra bits of the x4 formats reach; they are large enough for 512 GiB leaves (Sv48x4) and 256 TiB ones
// (Sv57x4).
const rv64 = (mode: bigint, gpaBits: bigint, win: bigint, make: Scheme['make'], extra: Scheme['sizes']): Scheme => ({
  ...rv64Scheme(mode, 'rv64,h=true', [{ base: 0n, size: win }, { base: (1n << gpaBits) - win, size: win }], make, extra),
  gpaBits,
});
const SCHEMES: Record<RiscvGStageScheme, Scheme> = {
  // RV32: with the VS-stage Bare, a guest-physical address is the guest's 32-bit address, zero-extended: the
  // guest-physical addresses from 2^32 to 2^34 (root entries 1024 to 4095) cannot be asked about this way, only
  // the bottom and top gigabyte of the first 4 GiB
  sv32x4: { ...rv32Scheme('rv32,h=true', (m) => new Sv32x4PageTable(m)), gpaBits: 34n },
  sv39x4: rv64(8n, 41n, 128n << 30n, (m) => new Sv39x4PageTable(m), []),
  sv48x4: rv64(9n, 50n, 8n << 40n, (m) => new Sv48x4PageTable(m), SV48_HUGE),
  sv57x4: rv64(10n, 59n, 2n << 50n, (m) => new Sv57x4PageTable(m), SV57_HUGE),
};

/** Options of one G-stage run. */
export interface RiscvGStageOptions extends RunOptions {
  readonly scheme: RiscvGStageScheme;
  /**
   * Set the HS-level sstatus.MXR before entering VS-mode, so that loads may read execute-only G-stage pages
   * (privileged spec, Hypervisor Extension, "Virtual Supervisor Status Register (vsstatus)": the HS-level MXR
   * applies to both stages, vsstatus.MXR to the VS-stage only). Default false: loads need R.
   */
  readonly mxr?: boolean;
}

// CSR bits (privileged spec 20211203): sstatus.SPP is mstatus bit 8 and MXR bit 19 (3.1.6); hstatus.SPV is bit 7
// (Hypervisor Extension, hstatus); hgatp MODE is bits 63:60 (Hypervisor Extension, hgatp).
const MSTATUS_SPP = 1n << 8n;
const MSTATUS_MXR = 1n << 19n;
const HSTATUS_SPV = 1n << 7n;
/** `sret` (privileged spec, "Trap-Return Instructions"): 0x10200073. */
const SRET = 0x1020_0073;
/** Where the one instruction goes: RAM of the virt machine, above the memory that holds the tables. */
const CODE = 0x8400_0000n;

/** Builds a random G-stage table, runs QEMU in VS-mode with vsatp Bare on it, and compares. */
export async function checkRiscvGStage(options: RiscvGStageOptions): Promise<RunResult> {
  const scheme = SCHEMES[options.scheme];
  const memory = new PhysicalMemory({ size: 4 << 20, base: 0x8000_0000n });
  const table = scheme.make(memory);
  const mxr = options.mxr ?? false;
  // what a load may read in a G-stage leaf: R, or X with MXR; and U, which every G-stage access needs
  const loadable = (flags: number): boolean => (flags & USER) !== 0 && ((flags & READ) !== 0 || (mxr && (flags & EXECUTE) !== 0));
  // 7.2's defects (src/_defects.ts): the top guest-physical bit, and MXR taken from vsstatus
  const topBitDefect = affects(options.binary, DEFECTS.riscvGStageTopBit);
  const mxrDefect = mxr && affects(options.binary, DEFECTS.riscvGStageMxr);
  const topBit = 1n << (scheme.gpaBits - 1n);
  return runTarget(options, {
    machine: ['-M', 'virt', '-bios', 'none', '-cpu', scheme.cpu, '-m', '128M'],
    memory,
    tables: [{ table, layout: { sizes: scheme.sizes, windows: scheme.windows, paLimit: 1n << scheme.paBits } }],
    space: { valid: (va) => table.meta.vaddrIsValid(va), vaBits: scheme.vaBits },
    // U of a read-write 4K leaf: with it clear, every G-stage access faults, and QEMU's answer must change
    tamper: { what: 'readable 4K leaf', leaf: (m) => m.size === PageSize.Size4K && (m.flags & READ) !== 0, bit: 4 },
    async probe(qemu, { checker, samples, translate, requested }) {
      const gdb = qemu.gdb;
      // one PMP entry over all of memory, as in the VS-stage runs
      await setUpPmp(gdb, scheme.vaBits);
      const want = scheme.rootRegister(table.rootPaddr);
      await writeTranslationRegister(gdb, 'hgatp', want);
      // the G-stage MMU model over the same tables, asked as QEMU is: a load (a U-mode access, as every G-stage one)
      const model = new RiscvGStageMmu(memory, { hgatp: want, xlen: scheme.vaBits, mxr });
      const modelLoad = (gpa: bigint): bigint | null => {
        const r = model.translate(gpa, Access.READ, Privilege.USER);
        return r.ok ? r.paddr : null;
      };
      await gdb.writeRegister('vsatp', 0n);
      // enter VS-mode: sret with hstatus.SPV = 1 and SPP = S
      const insn = new Uint8Array(4);
      new DataView(insn.buffer).setUint32(0, SRET, true);
      await gdb.writeMemory(CODE, insn);
      await gdb.writeRegister('hstatus', (await gdb.readRegister('hstatus')) | HSTATUS_SPV);
      await gdb.writeRegister('mstatus', (await gdb.readRegister('mstatus')) | MSTATUS_SPP | (mxr ? MSTATUS_MXR : 0n));
      await gdb.writeRegister('sepc', CODE + 0x1000n);
      await gdb.writeRegister('pc', CODE);
      await gdb.step();
      const regs = await gdb.monitor('info registers');
      const virt = regs.split(/\r?\n/).some((line) => /^V\s*=\s*1$/.test(line.trim()));
      // the stub's `priv` holds the privilege level in bits 1:0 (and V in bit 2 in these releases)
      const priv = await gdb.readRegister('priv');
      if (!virt || (priv & 3n) !== 1n) {
        throw new Error(`the hart did not enter VS-mode (priv ${priv}):\n${regs.split('\n').slice(0, 6).join('\n')}`);
      }

      // 1. translations of guest-physical addresses by the G-stage. gva2gpa asks as a load does, so the answer
      // is the library's translation where a load may read the page, and none elsewhere (execute-only pages
      // without MXR: the probes of step 2 check those leaves).
      for (const s of samples) {
        const theirs = await gva2gpa(gdb, s.va);
        const ours = translate(s.va);
        const want = ours !== null && loadable(ours.flags) ? ours.pa : null;
        if (topBitDefect && (s.va & topBit) !== 0n) {
          checker.skip(DEFECTS.riscvGStageTopBit.text, showPa(want) !== showPa(theirs));
          continue;
        }
        if (mxrDefect && ours !== null && (ours.flags & READ) === 0) {
          checker.skip(DEFECTS.riscvGStageMxr.text, showPa(want) !== showPa(theirs));
          continue;
        }
        checker.addresses++;
        checker.check(s.va, 'translation (as a load)', showPa(want), showPa(theirs));
        checker.check(s.va, 'RiscvGStageMmu load', showPa(modelLoad(s.va)), showPa(theirs));
      }

      // 2. a load from the middle of every leaf, by QEMU's G-stage walk (a U-mode access): allowed exactly when
      // the leaf has U, and R (or X with MXR). Every leaf has U (the codec sets it), and its flags are what was
      // asked for made legal: READ added to WRITE alone or to an empty permission set, USER always.
      const probe = `G-stage load (U-mode, MXR = ${mxr ? 1 : 0})`;
      for (const leaf of table.mappings()) {
        checker.leaves++;
        const va = leaf.vaddr + BigInt(leaf.size) / 2n;
        const theirs = (await gva2gpa(gdb, va)) === null ? 'denied' : 'allowed';
        const want = loadable(leaf.flags) ? 'allowed' : 'denied';
        const req = requested(leaf.vaddr);
        if (req !== undefined) {
          checker.check(leaf.vaddr, `leaf flags for requested ${req}`, String(gStageLeafFlags(req) & RWXU), String(leaf.flags));
          checker.flagSets.add(req);
        }
        if (topBitDefect && (va & topBit) !== 0n) {
          checker.skip(DEFECTS.riscvGStageTopBit.text, want !== theirs);
          continue;
        }
        if (mxrDefect && (leaf.flags & READ) === 0) {
          checker.skip(DEFECTS.riscvGStageMxr.text, want !== theirs);
          continue;
        }
        checker.probes++;
        checker.check(va, probe, want, theirs);
        checker.check(va, `RiscvGStageMmu ${probe}`, modelLoad(va) === null ? 'denied' : 'allowed', theirs);
      }
    },
  });
}
