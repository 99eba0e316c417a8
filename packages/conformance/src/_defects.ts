// The QEMU defects the conformance runs know of, and in which releases they are. A run asks `affects(binary,
// defect)`: where the QEMU under test has the defect, the comparison it spoils is counted as skipped (with how
// often QEMU's answer actually differed, so that a release without the defect shows up as "differed in 0");
// where it does not, the comparison is made and a difference fails the test.
//
// Each defect was read in the QEMU sources of both releases the suite runs on (Debian bookworm's 7.2 and
// trixie's 10.0.13) and seen in a run; `in` says which releases have it. Releases in between were not checked:
// they are treated as the nearest one below that was.
import { execFileSync } from 'node:child_process';

/** A QEMU release: major, minor, micro. */
export type QemuRelease = readonly [number, number, number];

/** One known QEMU defect. */
export interface Defect {
  /** What goes wrong, short enough for the summary line of a test. */
  readonly text: string;
  /** Whether `release` has it. */
  readonly in: (release: QemuRelease) => boolean;
}

const before = (r: QemuRelease, major: number): boolean => r[0] < major;

/** The defects, by the architecture whose comparison they spoil. */
export const DEFECTS = {
  /**
   * RISC-V: the debug walker behind `gva2gpa` takes mstatus.SUM as 1 (7.2 get_physical_address: `sum = ... ||
   * is_debug`), so an S-mode load from a user page looks allowed with SUM = 0. 10.0 derives the MMU index, and
   * so SUM, from mstatus for the debug walker as for a real access.
   */
  riscvDebugSum: { text: 'QEMU 7.2 gva2gpa ignores SUM = 0', in: (r) => before(r, 10) },
  /**
   * RISC-V G-stage: 7.2 get_physical_address applies the VS-stage rule (bits 63 down to the top translated bit
   * all equal) to guest-physical addresses too, with the width of the x4 format: an address with its top bit
   * (40, 49 or 58) set faults, and one with every bit from there up set is walked. The privileged spec wants bits
   * 63 down to the width zero and nothing else ("Guest Physical Address Translation"); 10.0 tests
   * `addr >> va_bits != 0` for the G-stage.
   */
  /**
   * RISC-V Svpbmt: 7.2 get_physical_address tests the CPU's `svpbmt` property, not menvcfg.PBMTE (`if
   * (!cpu->cfg.ext_svpbmt && (pte & PTE_PBMT))`), so with PBMTE = 0 a leaf with PBMT != 0 still translates. The
   * privileged spec (Svpbmt; menvcfg) makes PBMT reserved, and the leaf a page fault, unless PBMTE = 1; 10.0
   * tests `env->menvcfg & MENVCFG_PBMTE`.
   */
  riscvPbmte: { text: 'QEMU 7.2 ignores menvcfg.PBMTE', in: (r) => before(r, 10) },
  riscvGStageTopBit: { text: 'QEMU 7.2 sign-extends guest-physical addresses', in: (r) => before(r, 10) },
  /**
   * RISC-V two stages: a G-stage fault on a VS-stage table read is reported as a load guest-page fault (21) whatever
   * the access (7.2 riscv_cpu_tlb_fill: `if (ret == TRANSLATE_G_STAGE_FAIL) { ... access_type = MMU_DATA_LOAD; }`),
   * so a store or a fetch there gets cause 21 instead of 23 or 20. The privileged spec (Hypervisor Extension, "Guest
   * Physical Address Translation": "any exception is always reported for the original access type") and 10.0,
   * which no longer changes the access type, agree with the library.
   */
  riscvWalkFaultAsLoad: { text: 'QEMU 7.2 reports a G-stage fault on the VS-stage walk as a load', in: (r) => before(r, 10) },
  /**
   * RISC-V: a table entry read where there is no memory (a pointer whose PPN is outside RAM) is a page fault (12,
   * 13, 15) in 7.2, whose get_physical_address returns TRANSLATE_FAIL when the entry's load does not succeed. The
   * privileged spec (4.3.2 step 2: "If accessing pte violates a PMA or PMP check, raise an access-fault exception
   * corresponding to the original access type") and 10.0 give an access fault (1, 5, 7), as the library does.
   * Seen with CONFORMANCE_SEED=11 (sv48 Svadu: a pointer rewritten with a reserved bit set, whose PPN then lies
   * past RAM).
   */
  riscvTableReadFault: { text: 'QEMU 7.2 reports a table read outside RAM as a page fault', in: (r) => before(r, 10) },
  /**
   * RISC-V two stages: with A / D updates on, get_physical_address writes A / D into a VS-stage entry through the
   * host physical address its G-stage read gave, without checking that read's `vbase_prot` for a write (7.2 and
   * 10.0.13 alike), so a G-stage page of a VS-stage table that is read-only (or has D = 0) takes the write. The
   * privileged spec (Hypervisor Extension, "Guest Physical Address Translation") checks such an access "as though
   * for an implicit load or store" (a store here: a guest-page fault, htinst 0x00003020).
   */
  riscvVsAdWrite: { text: 'QEMU writes VS-stage A / D without a G-stage store check', in: () => true },
  /**
   * RISC-V G-stage: 7.2 takes the MXR of the G-stage from vsstatus, so the HS-level sstatus.MXR does not make an
   * execute-only G-stage page readable (and vsstatus.MXR does). The privileged spec (Hypervisor Extension,
   * vsstatus) gives vsstatus.MXR to the VS-stage only and the HS-level MXR to both stages; 10.0 does so.
   */
  riscvGStageMxr: { text: 'QEMU 7.2 G-stage MXR comes from vsstatus', in: (r) => before(r, 10) },
  /**
   * LoongArch: LDPTE masks the page entry it loads to the physical-address width (7.2 helper_ldpte: `ldq_phys(...)
   * & TARGET_PHYS_MASK`), dropping NR (61), NX (62) and RPLV (63) of the pages of the PT level (4K, 16K or 64K:
   * seen with each page size). 10.0 keeps every architectural
   * bit (loongarch_sanitize_hw_pte with hw_pte_mask).
   */
  laLdpteHighBits: { text: 'QEMU 7.2 LDPTE drops NR/NX/RPLV of PT-level pages', in: (r) => before(r, 10) },
  /**
   * LoongArch: LDDIR masks the directory entry it loads to the physical-address width (helper_lddir: `ldq_phys(...)
   * & TARGET_PHYS_MASK`, in 7.2 and 10.0.13 alike). A huge-page entry is a directory entry, so NR, NX and RPLV of
   * 2M and 1G pages never reach LDPTE; loads through no-READ huge pages then succeed. The manual keeps them
   * there (5.4.5: a huge-page entry has the bits of a page entry, NR / NX / RPLV in 63:61; 4.2.5.2: LDPTE fills
   * TLBRELO from it, whose bits 63:61 are NR / NX / RPLV, 7.5.3).
   */
  laLddirHighBits: { text: 'LDDIR drops NR/NX/RPLV of huge pages', in: () => true },
  /**
   * LoongArch: LDPTE gives every huge page PS = PTbase + PTwidth - 1 (7.2 helper_ldpte), so a 1 GiB page is
   * filled as a 2 MiB pair and translates as its first 2 MiB, repeated. 10.0 takes the size from the level LDDIR
   * recorded in the entry (bits 14:13).
   */
  laHugePs: { text: 'QEMU 7.2 LDPTE maps 1G pages as 2M pairs', in: (r) => before(r, 10) },
  /**
   * LoongArch: get_physical_address tests only VA bits 63:48 (7.2: `sextract64(address, 48, 16)`), so an
   * address whose bit 47 differs from bits 63:48 is walked instead of raising ADE. The manual (2.1.5: VALEN =
   * 48, addresses sign-extended from bit 47) and 10.0 (which shifts by VALEN - 1) agree with the library.
   */
  laVaBits: { text: 'QEMU 7.2 checks VA bits 63:48, not 63:47', in: (r) => before(r, 10) },
  /**
   * LoongArch: an instruction fetch that raises PPI or PNX hangs QEMU. loongarch_cpu_do_interrupt (target/loongarch
   * cpu.c in 7.2, tcg/tcg_cpu.c in 10.0) clears update_badinstr for PIF and ADEF only, so for these two it reads
   * BADI with cpu_ldl_code at the faulting PC, whose fetch faults again inside the delivery of the first exception;
   * the vCPU never comes back, and the gdb stub no longer answers. The manual (7.4.9 BADI: the instruction of a
   * synchronous exception "other than ... the instruction fetch" ones) has nothing to read there.
   */
  laFetchFault: { text: 'a fetch raising PPI or PNX hangs QEMU (BADI read at the faulting PC)', in: () => true },
  /**
   * LoongArch: QEMU 7.2 builds the LoongArch target with 16 KiB target pages (TARGET_PAGE_BITS 14), and
   * loongarch_cpu_tlb_fill enters each translation into its own TLB as one target page (`tlb_set_page(...,
   * TARGET_PAGE_SIZE)`): an access through a 4K page reaches the 16 KiB-aligned frame of its physical address plus
   * bits 13:0 of the virtual one. 10.0 uses 4 KiB target pages and reaches the page the entry names.
   */
  la16kTargetPage: { text: 'QEMU 7.2 maps 4K pages as 16K target pages', in: (r) => before(r, 10) },
  /**
   * AArch64: a Block descriptor at a level where the granule has no blocks (level 0 with 4KB, level 1 with 16KB
   * or 64KB, without DS / FEAT_LPA) is walked as a block by 7.2 get_phys_addr_lpae, which rejects bits[1:0] = 0b01
   * at level 3 only. The Arm ARM (D8.3, AArch64.BlockDescSupported()) makes it a Translation fault, as 10.0 does
   * (lpae_block_desc_valid). On 7.2 such a block would send accesses to arbitrary physical addresses, so the run
   * does not make one there.
   */
  a64BlockLevel: { text: 'QEMU 7.2 uses Block descriptors at levels without blocks', in: (r) => before(r, 10) },
  /**
   * AArch64 two stages: a stage 2 fault on a stage 1 table access (S1PTW) is reported with the lookup level of the
   * stage 1 descriptor being read, not that of the stage 2 descriptor that faulted (7.2 get_phys_addr_lpae: `do_fault:
   * fi->level = level` after S1_ptw_translate has filled in the stage 2 fault). The DFSC of ESR_EL2 is the stage 2
   * fault's, with its level (Arm ARM DDI 0487, D19.2 ESR_EL2, ISS encoding for a Data or Instruction Abort); 10.0
   * keeps the stage 2 level (its do_fault leaves fi->level alone when fi->s1ptw is set).
   */
  a64S1ptwLevel: { text: 'QEMU 7.2 gives an S1PTW fault the stage 1 level', in: (r) => before(r, 10) },
  /**
   * x86: a page fault for a reserved bit has P = 0 in its error code (mmu_translate, 7.2 and 10.0.13: `do_fault_rsvd:
   * error_code = PG_ERROR_RSVD_MASK`, without PG_ERROR_P_MASK). Intel SDM Vol. 3A 4.7 says that reserved bits are
   * checked only in present entries, so "bit 3 of the error code can be set only if bit 0 is also set".
   */
  x86RsvdWithoutP: { text: 'QEMU reports a reserved-bit #PF with P = 0', in: () => true },
  /**
   * x86: the walk sets A in a PDPTE before it looks at PS (mmu_translate, 7.2 and 10.0.13: `ptw_setl(...,
   * PG_ACCESSED_MASK)` at level 3, then `if (pte & PG_PSE_MASK)` for a 1 GiB page), so a 1 GiB leaf gets A = 1 even
   * when its reserved bits 29:13 or the access rights then fault; a 2 MiB or 4 KiB leaf gets A only from an access
   * that goes through, as Intel SDM Vol. 3A 4.8 has the leaf's flags set by the access that uses it.
   */
  x86Accessed1gOnFault: { text: 'QEMU sets A in a 1 GiB leaf whose access faults', in: () => true },
  /**
   * x86 PAE paging: the walk reads the PDPTE from memory and sets A (bit 5) in it (mmu_translate, 7.2 and 10.0.13:
   * `ptw_setl(..., PG_ACCESSED_MASK)` in the PAE branch of level 3). Intel SDM Vol. 3A 4.4.1 has the PDPTEs loaded
   * into registers when CR3 is written, and Table 4-8 makes bit 5 of a PDPTE reserved: the processor never sets it.
   */
  x86PaePdpteAccessed: { text: 'QEMU sets A (bit 5, reserved) in a PAE PDPTE', in: () => true },
  /**
   * ARMv7 short descriptors: get_phys_addr_v6 (7.2 and 10.0.13) checks the domain right after the first-level
   * descriptor, before it reads the second-level one and before the Access flag, and skips the Access flag check
   * in a Manager domain (`if (domain_prot == 3) { prot = RWX } else { AFE ... }`). So in a No access domain an
   * invalid second-level descriptor, or AP[0] = 0 under SCTLR.AFE = 1, gives a Domain fault, and in a Manager domain
   * AP[0] = 0 translates. The manual checks for a Translation fault at both levels, then the Access flag, then the
   * domain (DDI 0406C.d B3.12.3; the AArch32 short-descriptor walk of DDI 0487 raises the Access flag fault inside
   * the walk, before AArch32.CheckDomain).
   */
  a32DomainFirst: { text: 'QEMU checks ARMv7 domains before the second level and the Access flag', in: () => true },
  /**
   * ARMv7 short descriptors: 7.2 get_phys_addr_v6 ignores SCTLR.WXN and UWXN (its execute permission is "readable
   * and not XN", PXN at PL1); DDI 0406C.d B3.7.2 applies both to the short-descriptor format on an implementation
   * with the Virtualization Extensions, as the Cortex-A15 has. 10.0 computes the permissions with get_S1prot, which
   * applies them.
   */
  a32ShortWxn: { text: 'QEMU 7.2 ignores WXN / UWXN with ARMv7 short descriptors', in: (r) => before(r, 10) },
  /**
   * ARMv7 short descriptors: 7.2 get_phys_addr_v6 raises the Permission fault of a fetch from an XN page (or a
   * PXN one at PL1) before it looks at the Access flag, so a fetch there with AP[0] = 0 under SCTLR.AFE = 1 reports
   * FS 0b01101 / 0b01111 where the manual has the Access flag fault first (DDI 0406C.d B3.12.3). 10.0 checks the
   * Access flag first.
   */
  a32XnBeforeAccessFlag: { text: 'QEMU 7.2 checks XN before the ARMv7 Access flag', in: (r) => before(r, 10) },
} as const satisfies Record<string, Defect>;

/** The release in a `--version` line ("QEMU emulator version 10.0.13 (Debian ...)"). */
export function parseRelease(versionLine: string): QemuRelease {
  const m = /version (\d+)\.(\d+)(?:\.(\d+))?/.exec(versionLine);
  if (m === null) throw new Error(`not a QEMU version line: "${versionLine}"`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

const releases = new Map<string, QemuRelease>();

/** The release of a QEMU binary (asked once per binary). */
export function qemuRelease(binary: string): QemuRelease {
  let r = releases.get(binary);
  if (r === undefined) {
    r = parseRelease(execFileSync(binary, ['--version'], { encoding: 'utf8' }));
    releases.set(binary, r);
  }
  return r;
}

/** Whether the QEMU at `binary` has `defect`. */
export function affects(binary: string, defect: Defect): boolean {
  return defect.in(qemuRelease(binary));
}
