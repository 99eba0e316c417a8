// Region names: which part of Linux's virtual memory layout a run lies in, as Linux's own ptdump marks its
// listing (arch/x86/mm/dump_pagetables.c address_markers, arch/arm64/mm/ptdump.c). Only where the architecture's
// layout is documented and fixed enough to name from the address alone; a region that KASLR or a kernel option moves
// is named where it lies by default and marked as a guess.
import type { AttachPlan } from '@page-table-multiarch/core';
import type { ArchSpec } from './_arches';

/** One region of a layout: from `start` up to the next region's start. */
export interface Region {
  /** Where it starts. */
  readonly start: bigint;
  /** Short name: `direct map`, `vmalloc`, ... */
  readonly name: string;
  /** The kernel symbol or detail shown beside the name in listings (`page_offset_base`), or ''. */
  readonly detail: string;
  /** True when the region may lie elsewhere on a given kernel: the name is a guess from the default layout. */
  readonly guess: boolean;
}

/** A layout: its regions in address order, and the note that says where it comes from. */
export interface Layout {
  readonly regions: readonly Region[];
  readonly note: string;
}

const r = (start: bigint, name: string, detail = '', guess = false): Region => Object.freeze({ start, name, detail, guess });

/**
 * The part of the x86_64 layouts that the 4- and 5-level forms share (Documentation/arch/x86/x86_64/mm.rst,
 * "Identical layout to the 56-bit one from here on"). The kernel image is placed by KASLR (CONFIG_RANDOMIZE_BASE)
 * inside the text mapping, which then is 1 GiB (KERNEL_IMAGE_SIZE, arch/x86/include/asm/page_64_types.h), and the
 * modules start after it (MODULES_VADDR = __START_KERNEL_map + KERNEL_IMAGE_SIZE): 0xffffffffc0000000 rather than
 * 0xffffffffa0000000. FIXADDR_START depends on the fixmap's size ("variable size and offset").
 */
const X86_TOP: readonly Region[] = [
  r(0xffff_fc00_0000_0000n, 'unused hole', 'vaddr_end for KASLR'),
  r(0xffff_fe00_0000_0000n, 'cpu_entry_area'),
  r(0xffff_fe80_0000_0000n, 'unused hole'),
  r(0xffff_ff00_0000_0000n, 'espfix', '%esp fixup stacks'),
  r(0xffff_ff80_0000_0000n, 'unused hole'),
  r(0xffff_ffef_0000_0000n, 'EFI', 'EFI runtime services'),
  r(0xffff_ffff_0000_0000n, 'unused hole'),
  r(0xffff_ffff_8000_0000n, 'kernel text', '__START_KERNEL_map'),
  r(0xffff_ffff_a000_0000n, 'modules', 'MODULES_VADDR; 0xffffffffc0000000 with KASLR', true),
  r(0xffff_ffff_ff00_0000n, 'fixmap', 'FIXADDR_START varies', true),
  r(0xffff_ffff_ff60_0000n, 'vsyscall', 'legacy vsyscall page'),
  r(0xffff_ffff_ff60_1000n, 'unused hole'),
];

/**
 * x86_64 with 4-level paging: Documentation/arch/x86/x86_64/mm.rst, "Complete virtual memory map with 4-level page
 * tables". With CONFIG_RANDOMIZE_MEMORY the direct map, vmalloc and vmemmap keep their order but move, anywhere up
 * to vaddr_end (0xfffffc0000000000) when KASAN is off (KASAN disables that randomization): every name from the
 * direct map to the KASAN shadow is a guess.
 */
const X86_4LEVEL: readonly Region[] = [
  r(0n, 'user space'),
  r(0xffff_8000_0000_0000n, 'guard hole', 'reserved for a hypervisor'),
  r(0xffff_8800_0000_0000n, 'LDT remap', 'PTI'),
  r(0xffff_8880_0000_0000n, 'direct map', 'page_offset_base', true),
  r(0xffff_c880_0000_0000n, 'unused hole', '', true),
  r(0xffff_c900_0000_0000n, 'vmalloc', 'vmalloc_base', true),
  r(0xffff_e900_0000_0000n, 'unused hole', '', true),
  r(0xffff_ea00_0000_0000n, 'vmemmap', 'vmemmap_base', true),
  r(0xffff_eb00_0000_0000n, 'unused hole', '', true),
  r(0xffff_ec00_0000_0000n, 'KASAN shadow', '', true),
  ...X86_TOP,
];

/** x86_64 with 5-level paging (LA57): mm.rst, "Complete virtual memory map with 5-level page tables". */
const X86_5LEVEL: readonly Region[] = [
  r(0n, 'user space'),
  r(0xff00_0000_0000_0000n, 'guard hole', 'reserved for a hypervisor'),
  r(0xff10_0000_0000_0000n, 'LDT remap', 'PTI'),
  r(0xff11_0000_0000_0000n, 'direct map', 'page_offset_base', true),
  r(0xff91_0000_0000_0000n, 'unused hole', '', true),
  r(0xffa0_0000_0000_0000n, 'vmalloc', 'vmalloc_base', true),
  r(0xffd2_0000_0000_0000n, 'unused hole', '', true),
  r(0xffd4_0000_0000_0000n, 'vmemmap', 'vmemmap_base', true),
  r(0xffd6_0000_0000_0000n, 'unused hole', '', true),
  r(0xffdf_0000_0000_0000n, 'KASAN shadow', '', true),
  ...X86_TOP,
];

/**
 * AArch64 with 48-bit kernel addresses (TTBR1_EL1 from 0xffff000000000000): Documentation/arch/arm64/memory.rst,
 * "AArch64 Linux memory layout with 4KB pages + 4 levels (48-bit)" (the same with 16 and 64 KiB pages). This is the
 * layout of Linux 6.5 and later; earlier kernels put modules, vmalloc and vmemmap elsewhere, so only the user range
 * and the linear map's start are certain. KASLR moves the kernel image inside vmalloc and the modules with it.
 */
const A64_48BIT: readonly Region[] = [
  r(0n, 'user space'),
  r(0xffff_0000_0000_0000n, 'linear map', 'PAGE_OFFSET'),
  r(0xffff_6000_0000_0000n, 'KASAN shadow', 'with KASAN; else linear map', true),
  r(0xffff_8000_0000_0000n, 'modules', 'MODULES_VADDR', true),
  r(0xffff_8000_8000_0000n, 'vmalloc', 'the kernel image is here', true),
  r(0xffff_fbff_f000_0000n, 'fixmap', '', true),
  r(0xffff_fbff_fe00_0000n, 'guard region', '', true),
  r(0xffff_fbff_fe80_0000n, 'PCI I/O', '', true),
  r(0xffff_fbff_ff80_0000n, 'guard region', '', true),
  r(0xffff_fc00_0000_0000n, 'vmemmap', '', true),
  r(0xffff_fe00_0000_0000n, 'guard region', '', true),
];

const GUESS_NOTE = '~ marks a name KASLR or the kernel\'s configuration may move (named where it lies by default)';

/**
 * Linux's layout for the tables of a plan, or undefined where none is known: x86_64 4- and 5-level paging (not EPT),
 * AArch64 EL1&0 with a TTBR1_EL1 range of 48 bits. RISC-V's layout (Documentation/arch/riscv/vm-layout.rst) moved
 * between releases and differs per Sv39/48/57, the 32-bit architectures' with the kernel's split: none is named.
 */
export function layoutOf(arch: ArchSpec, plan: AttachPlan): Layout | undefined {
  const meta = plan.format.meta.name;
  if (arch.name === 'x86_64' && (meta === 'x86_64' || meta === 'x86_64-la57')) {
    const levels = meta === 'x86_64' ? 4 : 5;
    return {
      regions: levels === 4 ? X86_4LEVEL : X86_5LEVEL,
      note: `regions: Linux's x86_64 ${levels}-level layout (Documentation/arch/x86/x86_64/mm.rst); ${GUESS_NOTE}`,
    };
  }
  const upper = plan.roots.find((root) => BigInt(root.vaStart) === 0xffff_0000_0000_0000n);
  if (arch.name === 'aarch64' && upper !== undefined && plan.roots.every((root) => BigInt(root.vaStart) === 0n || root === upper)) {
    return { regions: A64_48BIT, note: `regions: Linux 6.5+'s arm64 48-bit layout (Documentation/arch/arm64/memory.rst); ${GUESS_NOTE}` };
  }
  return undefined;
}

/** The index of the region that holds `va`: the last whose start is at or below it (regions are few: a scan). */
function indexAt(layout: Layout, va: bigint): number {
  const list = layout.regions;
  let found = 0;
  for (let i = 1; i < list.length && list[i]!.start <= va; i++) found = i;
  return found;
}

/** The region that holds `va`. */
export function regionAt(layout: Layout, va: bigint): Region {
  return layout.regions[indexAt(layout, va)]!;
}

/** A region's header line in the text listing: `---[ ~direct map (page_offset_base) ]---`. */
export function regionHeader(region: Region): string {
  return `---[ ${region.guess ? '~' : ''}${region.name}${region.detail ? ` (${region.detail})` : ''} ]---`;
}

/** One past the last address (2^64), as a double: exact. */
const END = 2 ** 64;

/**
 * The regions of the records of one listing, which come in address order under each root: the last region found
 * is asked first, so that a record costs two comparisons and the scan runs once per region entered. Addresses are
 * compared as doubles: region starts and record addresses are multiples of 4 KiB below 2^64, exact as doubles.
 */
export class RegionMarks {
  private root = -1;
  private index = -1;
  private lo = 0;
  private hi = 0;
  /** The regions' starts as doubles. */
  private readonly starts: readonly number[];
  constructor(readonly layout: Layout) {
    this.starts = layout.regions.map((region) => Number(region.start));
  }

  /** The region that holds `va` (a record's address: a bigint, or a number from a numbered walk). */
  at(va: bigint | number): Region {
    const v = typeof va === 'number' ? va : Number(va);
    if (this.index < 0 || v < this.lo || v >= this.hi) {
      const starts = this.starts;
      let i = 0;
      while (i + 1 < starts.length && starts[i + 1]! <= v) i++;
      this.index = i;
      this.lo = starts[i]!;
      this.hi = i + 1 < starts.length ? starts[i + 1]! : END;
    }
    return this.layout.regions[this.index]!;
  }

  /**
   * The header line to write before a record at `va` under `root`: when it lies in another region than the record
   * before it under the same root (a new root starts afresh), else undefined.
   */
  enter(root: number, va: bigint | number): string | undefined {
    const before = this.index;
    const region = this.at(va);
    if (root === this.root && this.index === before) return undefined;
    this.root = root;
    return regionHeader(region);
  }
}
