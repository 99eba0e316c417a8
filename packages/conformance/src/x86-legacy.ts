// x86 32-bit paging and PAE paging: QEMU's page walker against X86PageTable32 and X86PaePageTable, in protected
// mode (IA32_EFER.LME = 0) on qemu-system-x86_64. The control registers are written through the gdb stub, as for
// 4-level paging. Translations come from the monitor's `gva2gpa` (QEMU's debug walker); leaf bits from `info tlb`
// (tlb_info_32 and tlb_info_pae32 in target/i386/monitor.c) and effective U/W from `info mem` (mem_info_32 and
// mem_info_pae32, which AND the PDE's R/W and U/S into each PTE's, and read a PDPTE for P only, as Intel SDM Vol.
// 3A 4.6.1 says a PDPTE controls no access right).
import { hex, MappingFlags, type PageTable64, PageSize, PhysicalMemory } from '@page-table-multiarch/core';
import { X86PageTable32, X86PaePageTable } from '@page-table-multiarch/x86_64';
import { type RunResult, showPa } from './_check';
import { type RunOptions, runTarget } from './_driver';
import type { LayoutSpec } from './_layout';
import { findSpan, gva2gpa } from './_qemu';
import { expectedBits, parseMem, parseTlb, permissions, qemuBits, requestedBits } from './x86_64';

const { EXECUTE } = MappingFlags;

// Control-register bits (Intel SDM Vol. 3A 2.5, and 2.2.1 for IA32_EFER).
const CR0_PE = 1n << 0n;
const CR0_ET = 1n << 4n;
const CR0_WP = 1n << 16n;
const CR0_PG = 1n << 31n;
const CR4_PSE = 1n << 4n;
const CR4_PAE = 1n << 5n;
const EFER_LME = 1n << 8n;
const EFER_LMA = 1n << 10n;
const EFER_NXE = 1n << 11n;

/**
 * The address `info tlb` prints for a PAE leaf is the entry masked with ~0xfff (~0xfffff for a 2 MiB page), so it
 * keeps bit 63 (XD) of a non-executable page (tlb_info_pae32; the 4-level walk masks with 0x3fffffffff000): only
 * bits 51:12 are the address (Tables 4-9, 4-11).
 */
const PAE_ADDRESS = 0x000f_ffff_ffff_f000n;

/** Options of one run of a legacy mode. */
export interface X86LegacyOptions extends RunOptions {
  /** 32-bit paging (CR4.PAE = 0) or PAE paging (CR4.PAE = 1, IA32_EFER.LME = 0). */
  readonly mode: '32' | 'pae';
  /** CR4.PSE for 32-bit paging (default true: 4 MiB pages in the layout). */
  readonly pse?: boolean;
  /** IA32_EFER.NXE for PAE paging (default true: XD in the entries). */
  readonly nxe?: boolean;
}

/** The leaf sizes of a layout: every flag set at 4 KiB and at the mode's large page (4 MiB or 2 MiB). */
function sizes(large: PageSize | null): LayoutSpec['sizes'] {
  const small = { size: PageSize.Size4K, regions: 70 };
  return large === null ? [{ ...small, regions: 140 }] : [small, { size: large, regions: 64, maxPages: 4 }];
}

/**
 * Writes a 4 MiB page at physical 0x12_0040_0000 into the highest unused PDE of a 32-bit table (Intel SDM Vol. 3A
 * Table 4-4: bits 31:22 and, with PSE-36, bits 20:13 = physical bits 39:32; P, R/W, PS) and returns its linear
 * address.
 */
function writePse36Page(memory: PhysicalMemory, table: PageTable64): bigint {
  for (let i = 1023; i >= 0; i--) {
    const at = table.rootPaddr + BigInt(i * 4);
    if (memory.readU32(at) !== 0) continue;
    memory.writeU32(at, 0x0040_0000 | (0x12 << 13) | 0x83);
    return BigInt(i) << 22n;
  }
  throw new Error('no unused PDE for the PSE-36 page');
}

/** Builds a random 32-bit or PAE table, boots QEMU on it, and compares. Returns the checker (mismatches not thrown). */
export async function checkX86Legacy(options: X86LegacyOptions): Promise<RunResult> {
  const pae = options.mode === 'pae';
  const pse = !pae && options.pse !== false;
  const nxe = pae && options.nxe !== false;
  // RAM of the q35 machine starts at 0; 16 MiB keeps clear of the legacy hole at 0xa0000-0xfffff.
  const memory = new PhysicalMemory({ size: 4 << 20, base: 0x100_0000n });
  const table: PageTable64 = pae ? new X86PaePageTable(memory, { nxe }) : new X86PageTable32(memory, { pse });
  const large = pae ? PageSize.Size2M : pse ? PageSize.Size4M : null;
  let pse36: bigint | null = null;
  return runTarget(options, {
    machine: ['-M', 'q35', '-cpu', 'max', '-m', '64M', '-accel', 'tcg'],
    memory,
    tables: [
      {
        table,
        layout: {
          sizes: sizes(large),
          // the bottom and the top half of the 4 GiB linear space
          windows: [
            { base: 0n, size: 2n << 30n },
            { base: 2n << 30n, size: 2n << 30n },
          ],
          // 32-bit paging: a PTE holds 32 address bits; PAE: QEMU's TCG CPUs have 40 physical address bits
          paLimit: pae ? 1n << 39n : 1n << 32n,
        },
      },
    ],
    space: { valid: (va) => va < 1n << 32n, vaBits: 32 },
    // a frame-address bit of a 4K page: QEMU translates it elsewhere
    tamper: { what: '4K leaf', leaf: (m) => m.size === PageSize.Size4K, bit: 13 },
    prepare() {
      // tables built here hold physical addresses below 4 GiB; a kernel's may not: one 4 MiB page above them
      if (pse) pse36 = writePse36Page(memory, table);
      return [];
    },
    async probe(qemu, { checker, samples, translate, requested }) {
      const gdb = qemu.gdb;
      // protected mode with paging: CR4 (PSE or PAE), IA32_EFER (NXE, never LME), CR3, then CR0.PG
      await gdb.writeRegister('cr4', pae ? CR4_PAE : pse ? CR4_PSE : 0n);
      await gdb.writeRegister('efer', nxe ? EFER_NXE : 0n);
      await gdb.writeRegister('cr3', table.rootPaddr);
      await gdb.writeRegister('cr0', CR0_PG | CR0_WP | CR0_ET | CR0_PE);
      const efer = await gdb.readRegister('efer');
      const cr4 = await gdb.readRegister('cr4');
      if ((efer & (EFER_LMA | EFER_LME)) !== 0n) throw new Error(`QEMU is in long mode (EFER = ${hex(efer)})`);
      if ((cr4 & CR4_PAE) !== (pae ? CR4_PAE : 0n)) throw new Error(`QEMU did not take CR4.PAE = ${pae ? 1 : 0} (CR4 = ${hex(cr4)})`);

      // 1. translations
      for (const s of samples) {
        const theirs = await gva2gpa(gdb, s.va);
        const ours = translate(s.va);
        checker.addresses++;
        checker.check(s.va, 'translation', showPa(ours?.pa ?? null), showPa(theirs));
      }

      // 1b. the PSE-36 page: the physical address bits 39:32 of PDE bits 20:13, which gva2gpa follows
      for (const va of pse36 === null ? [] : [pse36, pse36 + 0x12_3456n, pse36 + 0x3f_ffffn]) {
        checker.addresses++;
        checker.check(va, 'translation (PSE-36)', showPa(translate(va)?.pa ?? null), showPa(await gva2gpa(gdb, va)));
      }

      // 2. every leaf entry, as `info tlb` decodes it
      const tlb = parseTlb(await gdb.monitor('info tlb'));
      const leaves = [...table.mappings()];
      if (tlb.length !== leaves.length) checker.check(0n, 'number of leaf entries', String(leaves.length), String(tlb.length));
      const byVa = new Map(tlb.map((t) => [t.va, t]));
      for (const leaf of leaves) {
        const t = byVa.get(leaf.vaddr);
        const huge = leaf.size !== 0x1000;
        checker.leaves++;
        if (t === undefined) {
          checker.check(leaf.vaddr, 'leaf', `${hex(leaf.paddr)} ${expectedBits(leaf.flags, huge)}`, 'absent');
          continue;
        }
        // `info tlb` prints a 4 MiB PDE masked with ~0x1fffff (tlb_info_32): bits 31:21, without the PSE-36 bits
        const ours = pae ? leaf.paddr : leaf.paddr & 0xffff_ffffn;
        checker.check(leaf.vaddr, 'leaf', `${hex(ours)} ${expectedBits(leaf.flags, huge)}`, `${hex(t.pa & PAE_ADDRESS)} ${qemuBits(t.bits)}`);
        // the hardware meaning of the requested flags: W, U, PCD/PWT as asked, XD only where the mode has it
        const req = requested(leaf.vaddr);
        if (req !== undefined) {
          checker.check(leaf.vaddr, `leaf bits for requested ${req}`, requestedBits(nxe ? req : req | EXECUTE, huge), qemuBits(t.bits));
          checker.flagSets.add(req);
        }
      }

      // 3. the effective U and W at every sampled address
      const ranges = parseMem(await gdb.monitor('info mem'));
      for (const s of samples) {
        const r = findSpan(ranges, s.va, (m) => m.start, (m) => m.end);
        checker.probes++;
        checker.check(s.va, 'effective permissions', permissions(translate(s.va)), r === null ? 'none' : r.prot);
      }
    },
  });
}
