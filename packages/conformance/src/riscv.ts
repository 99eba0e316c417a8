// RISC-V: QEMU's page walker against Sv39PageTable, Sv48PageTable and Sv57PageTable (qemu-system-riscv64), and
// Sv32PageTable (qemu-system-riscv32).
// Translations come from the monitor's `gva2gpa`, which runs QEMU's real walker (target/riscv/cpu_helper.c
// get_physical_address) as a load at the current privilege, with mstatus.SUM and MXR as set: so beyond the
// address it probes read permission (S-mode and U-mode loads, with and without SUM / MXR; QEMU 7.2's debug
// walk takes SUM as 1, see DEFECTS.riscvDebugSum). Leaf permissions (rwxu) come from `info mem`
// (target/riscv/monitor.c).
import { hex, type LeafMapping, MappingFlags, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import type { GdbRemote } from '@page-table-multiarch/cli';
import { Sv32PageTable, Sv39PageTable, Sv48PageTable, Sv57PageTable } from '@page-table-multiarch/riscv';
import { type Checker, type RunResult, showPa } from './_check';
import { affects, DEFECTS } from './_defects';
import { type Run, type RunOptions, runTarget } from './_driver';
import { halfEndWindows } from './_layout';
import { findSpan, gva2gpa, parseListing } from './_qemu';
import { rv32Scheme, rv64Scheme, type RvScheme, setUpPmp, SV48_HUGE, SV57_HUGE, writeTranslationRegister } from './_rv-scheme';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;

// mstatus bits and satp modes (RISC-V privileged spec 1.12, 3.1.6 and 4.1.11).
const MSTATUS_SUM = 1n << 18n;
const MSTATUS_MXR = 1n << 19n;
const PRV_U = 0n;
const PRV_S = 1n;

/** The RISC-V translation schemes checked here. */
export type RiscvScheme = 'sv32' | 'sv39' | 'sv48' | 'sv57';

// Sv48 windows are large enough for 512 GiB terapages, Sv57 ones for 256 TiB petapages too
const SCHEMES: Record<RiscvScheme, RvScheme> = {
  sv32: rv32Scheme('rv32', (m) => new Sv32PageTable(m)),
  sv39: rv64Scheme(8n, 'rv64', halfEndWindows(1n << 38n, 64n << 30n), (m, o) => new Sv39PageTable(m, o), []),
  sv48: rv64Scheme(9n, 'rv64', halfEndWindows(1n << 47n, 8n << 40n), (m, o) => new Sv48PageTable(m, o), SV48_HUGE),
  sv57: rv64Scheme(10n, 'rv64', halfEndWindows(1n << 56n, 2n << 50n), (m, o) => new Sv57PageTable(m, o), SV57_HUGE),
};

/** Options of one RISC-V run. */
export interface RiscvOptions extends RunOptions {
  readonly scheme: RiscvScheme;
  /**
   * Svpbmt (RV64 schemes): the table writes DEVICE / UNCACHED as PBMT = IO / NC, QEMU runs with `svpbmt=true` and
   * menvcfg.PBMTE = 1; after the comparisons PBMTE is cleared, and every leaf with a memory type must then fault
   * (PBMT is reserved without it: privileged spec, "Svpbmt"), every other leaf still translate.
   */
  readonly svpbmt?: boolean;
  /**
   * Svnapot (RV64 schemes): the table reads and writes 64 KiB NAPOT pages (`svnapot: true`), QEMU runs with
   * `svnapot=true`, and the layout adds regions of NAPOT pages, written by `mapRegion` with runs and by `map` with a
   * size of 64 KiB. QEMU has the property in 7.2 and 10.0 (target/riscv/cpu_helper.c get_physical_address: with
   * `ext_svnapot` and N set, ppn[0][3:0] must be 0b1000 in a last-level leaf, else a page fault, and the page is
   * the 64 KiB one the PPN names with those bits cleared).
   */
  readonly svnapot?: boolean;
}

/** The one NAPOT page size Svnapot defines: 64 KiB. */
const NAPOT_BYTES = PageSize.Size64K;

/** Physical addresses have at most 56 bits (a 44-bit PPN). */
const PA56 = (1n << 56n) - 1n;

// menvcfg.PBMTE is bit 62 (privileged spec 1.12, 3.1.18 "Machine Environment Configuration Register (menvcfg)").
const MENVCFG_PBMTE = 1n << 62n;

/** One `info mem` line: a run of leaves with the same attributes, contiguous in both address spaces. */
interface MemLine {
  readonly va: bigint;
  readonly pa: bigint;
  readonly size: bigint;
  readonly attr: string;
}

/**
 * Parses `info mem` ("vaddr paddr size attr", target/riscv/monitor.c): addresses and sizes of 16 hex digits on
 * riscv64; on riscv32 the virtual address and the size have 8 (target_ulong) and the physical address 16 (hwaddr).
 */
function parseMem(text: string): MemLine[] {
  return parseListing(text, /^([0-9a-f]{8}|[0-9a-f]{16}) ([0-9a-f]{16}) ([0-9a-f]{8}|[0-9a-f]{16}) ([-r][-w][-x][-u][-g][-a][-d])$/, (m) => ({
    va: BigInt(`0x${m[1]}`),
    pa: BigInt(`0x${m[2]}`),
    size: BigInt(`0x${m[3]}`),
    attr: m[4]!,
  }));
}

/** rwxu letters of a flag set, as `info mem` shows them. */
function rwxu(flags: number): string {
  return [
    (flags & READ) !== 0 ? 'r' : '-',
    (flags & WRITE) !== 0 ? 'w' : '-',
    (flags & EXECUTE) !== 0 ? 'x' : '-',
    (flags & USER) !== 0 ? 'u' : '-',
  ].join('');
}

/** What the phases of a probe share: the connection, the run's checker and translations, and the mode setter. */
interface RiscvProbe {
  readonly gdb: GdbRemote;
  readonly checker: Checker;
  readonly translate: Run['translate'];
  /** Sets the privilege and mstatus.SUM / MXR (the other mstatus bits as QEMU started). */
  readonly setMode: (priv: bigint, status: bigint) => Promise<void>;
}

/** 1. Translations: S-mode loads with SUM (user pages too) and MXR (execute-only pages too). */
async function compareTranslations(p: RiscvProbe, samples: Run['samples']): Promise<void> {
  const { gdb, checker } = p;
  await p.setMode(PRV_S, MSTATUS_SUM | MSTATUS_MXR);
  for (const s of samples) {
    const theirs = await gva2gpa(gdb, s.va);
    const ours = p.translate(s.va);
    checker.addresses++;
    checker.check(s.va, 'translation', showPa(ours?.pa ?? null), showPa(theirs));
  }
}

/** 2. Every leaf's rwxu as `info mem` decodes it (runs of equal leaves are merged there). */
async function compareLeaves(p: RiscvProbe, leaves: readonly LeafMapping[], requested: Run['requested'], svnapot: boolean): Promise<void> {
  const { gdb, checker } = p;
  const lines = parseMem(await gdb.monitor('info mem'));
  for (const leaf of leaves) {
    checker.leaves++;
    const line = findSpan(lines, leaf.vaddr, (l) => l.va, (l) => l.va + l.size);
    // `info mem` (target/riscv/monitor.c, 7.2 and 10.0.13 alike) prints (pte >> 10) << 12 of the whole entry,
    // so PBMT = NC (bit 61) shows as address bit 63: its address is read to the 56 bits a PPN holds
    const q = line === null ? 'absent' : `${hex((line.pa & PA56) + (leaf.vaddr - line.va))} ${line.attr.slice(0, 4)}`;
    // `info mem` does not read Svnapot's N either (monitor.c, 7.2 and 10.0.13): it prints a NAPOT entry's PPN as
    // it is, ppn[0][3:0] = 0b1000 included, 32 KiB above the page; the translations above, from QEMU's walker,
    // are what check the NAPOT page itself
    const shown = leaf.bits >> 63n === 1n && svnapot ? leaf.paddr + BigInt(NAPOT_BYTES / 2) : leaf.paddr;
    checker.check(leaf.vaddr, 'leaf', `${hex(shown)} ${rwxu(leaf.flags)}`, q);
    // what was asked for: W, X and U exactly; R as asked, or added for WRITE alone or an empty
    // permission set (the codec's documented legalisation: W without R is reserved)
    const req = requested(leaf.vaddr);
    if (req !== undefined && line !== null) {
      const legal = (req & READ) !== 0 || (req & (WRITE | EXECUTE)) === EXECUTE ? req : req | READ;
      checker.check(leaf.vaddr, `leaf rwxu for requested ${req}`, rwxu(legal), line.attr.slice(0, 4));
      checker.flagSets.add(req);
    }
  }
}

/**
 * 3. Read permission by privilege, with QEMU's walker: one load probe per leaf in four modes. An S-mode load from a
 * user page faults unless mstatus.SUM is 1 (privileged spec 1.12, 3.1.6.3); a load from an execute-only page
 * succeeds only with MXR = 1 (3.1.6.3); a U-mode load needs U = 1 (4.3.1, U bit).
 */
async function compareLoadPermissions(p: RiscvProbe, leaves: readonly LeafMapping[], binary: string): Promise<void> {
  const { gdb, checker } = p;
  const sumIgnored = affects(binary, DEFECTS.riscvDebugSum);
  const modes = [
    {
      name: 'S-mode load, SUM=0, MXR=0',
      priv: PRV_S,
      status: 0n,
      allowed: (f: number) => (f & USER) === 0 && (f & READ) !== 0,
      // 7.2's debug walker acts as if SUM were 1: only user pages are affected
      defect: (f: number) => sumIgnored && (f & USER) !== 0,
    },
    { name: 'S-mode load, SUM=1, MXR=0', priv: PRV_S, status: MSTATUS_SUM, allowed: (f: number) => (f & READ) !== 0 },
    { name: 'U-mode load, MXR=0', priv: PRV_U, status: 0n, allowed: (f: number) => (f & USER) !== 0 && (f & READ) !== 0 },
    {
      name: 'U-mode load, MXR=1',
      priv: PRV_U,
      status: MSTATUS_MXR,
      allowed: (f: number) => (f & USER) !== 0 && (f & (READ | EXECUTE)) !== 0,
    },
  ];
  for (const mode of modes) {
    await p.setMode(mode.priv, mode.status);
    for (const leaf of leaves) {
      const va = leaf.vaddr + BigInt(leaf.size) / 2n;
      const theirs = (await gva2gpa(gdb, va)) === null ? 'denied' : 'allowed';
      const want = mode.allowed(leaf.flags) ? 'allowed' : 'denied';
      if (mode.defect?.(leaf.flags) === true) {
        checker.skip(DEFECTS.riscvDebugSum.text, theirs !== want);
        continue;
      }
      checker.probes++;
      checker.check(va, mode.name, want, theirs);
    }
  }
}

/**
 * 4. Svpbmt: QEMU reads PBMT where the table wrote it. With menvcfg.PBMTE = 0 a leaf with PBMT != 0 is reserved (a
 * page fault), and a leaf without one translates as before.
 */
async function comparePbmteOff(p: RiscvProbe, leaves: readonly LeafMapping[], binary: string): Promise<void> {
  const { gdb, checker } = p;
  await p.setMode(PRV_S, MSTATUS_SUM | MSTATUS_MXR);
  await gdb.writeRegister('menvcfg', (await gdb.readRegister('menvcfg')) & ~MENVCFG_PBMTE);
  const pbmteIgnored = affects(binary, DEFECTS.riscvPbmte);
  for (const leaf of leaves) {
    const va = leaf.vaddr + BigInt(leaf.size) / 2n;
    const typed = leaf.bits >> 61n !== 0n;
    const want = typed ? 'not mapped' : showPa(p.translate(va)?.pa ?? null);
    const theirs = showPa(await gva2gpa(gdb, va));
    if (typed && pbmteIgnored) {
      checker.skip(DEFECTS.riscvPbmte.text, want !== theirs);
      continue;
    }
    checker.probes++;
    checker.check(va, 'walk with PBMTE = 0', want, theirs);
  }
}

/** Builds a random table, boots QEMU on it, and compares. */
export async function checkRiscv(options: RiscvOptions): Promise<RunResult> {
  const scheme = SCHEMES[options.scheme];
  // RAM of the virt machine starts at 0x8000_0000 (-bios none: nothing else is loaded there)
  const memory = new PhysicalMemory({ size: 4 << 20, base: 0x8000_0000n });
  const svpbmt = options.svpbmt ?? false;
  if (svpbmt && scheme.vaBits === 32) throw new RangeError('checkRiscv: Sv32 has no Svpbmt');
  const svnapot = options.svnapot ?? false;
  if (svnapot && scheme.vaBits === 32) throw new RangeError('checkRiscv: Sv32 has no Svnapot');
  const table = scheme.make(memory, { ...(svpbmt ? { svpbmt } : {}), ...(svnapot ? { svnapot } : {}) });
  const cpu = [scheme.cpu, ...(svpbmt ? ['svpbmt=true'] : []), ...(svnapot ? ['svnapot=true'] : [])].join(',');
  // NAPOT pages: runs of 16 pages by mapRegion, and 64 KiB pages by map (or by mapRegion as 4 KiB pages)
  const sizes = svnapot ? [...scheme.sizes, { size: PageSize.Size4K, regions: 16, runs: 16 }, { size: NAPOT_BYTES, regions: 16 }] : scheme.sizes;
  return runTarget(options, {
    machine: ['-M', 'virt', '-bios', 'none', '-cpu', cpu, '-m', '128M'],
    memory,
    // the PPN has 44 bits (RV64: 56-bit physical addresses) or 22 (Sv32: 34-bit)
    tables: [{ table, layout: { sizes, windows: scheme.windows, paLimit: 1n << scheme.paBits } }],
    space: { valid: (va) => table.meta.vaddrIsValid(va), vaBits: scheme.vaBits },
    // W of a read-only 4K page: QEMU lets it be written
    tamper: { what: 'read-only 4K leaf', leaf: (m) => m.size === PageSize.Size4K && (m.flags & WRITE) === 0, bit: 2 },
    async probe(qemu, { checker, samples, translate, requested }) {
      const gdb = qemu.gdb;
      await setUpPmp(gdb, scheme.vaBits);
      const mstatus = await gdb.readRegister('mstatus');
      const setMode = async (priv: bigint, status: bigint): Promise<void> => {
        await gdb.writeRegister('mstatus', (mstatus & ~(MSTATUS_SUM | MSTATUS_MXR)) | status);
        await gdb.writeRegister('priv', priv);
      };
      if (svpbmt) await gdb.writeRegister('menvcfg', (await gdb.readRegister('menvcfg')) | MENVCFG_PBMTE);
      await writeTranslationRegister(gdb, 'satp', scheme.rootRegister(table.rootPaddr));
      const p: RiscvProbe = { gdb, checker, translate, setMode };
      await compareTranslations(p, samples);
      const leaves = [...table.mappings()];
      await compareLeaves(p, leaves, requested, svnapot);
      await compareLoadPermissions(p, leaves, options.binary);
      if (svpbmt) await comparePbmteOff(p, leaves, options.binary);
    },
  });
}
