// Beside the walk, for the embedded samples: a short text per architecture on what the root register is and why the
// index bits are where they are, each term linked to the manual that defines it (the section named in the link).

/** A paragraph: text, with [term](manual key|section) links. */
type Paragraph = string;

/** The manuals, where their publishers keep them. */
const MANUALS: Readonly<Record<string, readonly [title: string, url: string]>> = {
  sdm: ['Intel SDM Vol. 3A', 'https://www.intel.com/content/www/us/en/developer/articles/technical/intel-sdm.html'],
  armv8: ['Arm ARM DDI 0487', 'https://developer.arm.com/documentation/ddi0487/latest'],
  armv7: ['ARM DDI 0406C', 'https://developer.arm.com/documentation/ddi0406/latest'],
  riscv: ['RISC-V Privileged Architecture', 'https://github.com/riscv/riscv-isa-manual/releases'],
  loongarch: ['LoongArch Reference Manual Vol. 1', 'https://loongson.github.io/LoongArch-Documentation/LoongArch-Vol1-EN.html'],
};

const TEXTS: Readonly<Record<string, readonly Paragraph[]>> = {
  x86_64: [
    '[CR3](sdm|2.5, 4.5) holds the physical address of the top table, the PML4 (bits 51:12; the low bits are flags or a PCID). Every process has its own CR3; loading it switches address spaces.',
    'A table is one 4 KiB page of 512 eight-byte entries, so each level takes 9 bits of the address: PML4 bits 47:39, PDPT 38:30, PD 29:21, PT 20:12, and the last 12 bits are the offset in the page. That is why 4-level paging translates 48 bits ([4-level paging](sdm|4.5)).',
    'Bits 63:48 must repeat bit 47 ([canonical addresses](sdm|Vol. 1 3.3.7.1)): the space splits into a lower half (processes) and an upper half (the kernel), the two lanes of the map; the same CR3 translates both.',
    'A PDPT or PD entry with [PS](sdm|Tables 4-17, 4-18) set is itself the page: 1 GiB or 2 MiB. Permissions combine on the way down: a page is writable only if R/W is set at every level, user-accessible only if U/S is, and XD at any level forbids execution ([access rights](sdm|4.6)).',
  ],
  x86: [
    'In PAE paging (CR4.PAE = 1 without long mode) [CR3](sdm|4.4.1) holds the physical address of a page-directory-pointer table of only four entries, 32 bytes aligned to 32 bytes, below 4 GiB.',
    'Each PDPT entry covers 1 GiB (address bits 31:30) and holds just P, PWT, PCD and the address of a page directory; R/W, U/S and XD are reserved there. Below it, page directories and page tables of 512 eight-byte entries take 9 bits each: bits 29:21 and 20:12 ([PAE paging](sdm|4.4)).',
    'A PDE with PS set maps a 2 MiB page; XD (bit 63) forbids execution when IA32_EFER.NXE = 1. Without PAE, [32-bit paging](sdm|4.3) has two levels of 1024 four-byte entries (bits 31:22 and 21:12), 4 MiB pages with CR4.PSE, and no XD: every page is executable.',
  ],
  aarch64: [
    'Two registers hold two roots: [TTBR0_EL1](armv8|D8.2) translates the low addresses (a process, tagged with an ASID in bits 63:48), [TTBR1_EL1](armv8|D8.2) the high ones (the kernel). TCR_EL1.T0SZ and T1SZ give each range its size; here both are 2^48 bytes.',
    'With the 4 KiB granule a table is 512 eight-byte descriptors, so each level takes 9 bits: level 0 bits 47:39, level 1 38:30, level 2 29:21, level 3 20:12 ([descriptor formats](armv8|D8.3)).',
    'Bits 1:0 say what a descriptor is: 0b11 a table (or a page at level 3), 0b01 a block, a 1 GiB or 2 MiB mapping at level 1 or 2. A table descriptor can take rights away from everything below it: APTable, UXNTable, PXNTable ([permissions](armv8|D8.4)).',
    'AttrIndx picks one byte of MAIR_EL1 as the memory type (Device or Normal, cacheable or not) ([memory attributes](armv8|D8.6)).',
  ],
  arm: [
    '[TTBR0](armv7|B4.1.154) points at the first-level table; with [TTBCR.N](armv7|B4.1.153) = 0 it translates the whole 32-bit space, and the kernel simply lives at the top of it (here from 0xbf000000).',
    'The first-level table has 4096 four-byte entries, indexed by address bits 31:20: each entry covers 1 MiB, and can map it whole as a Section. A Page table entry points at a second-level table of 256 entries, indexed by bits 19:12, that map 4 KiB Small pages ([short descriptors](armv7|B3.5)).',
    'Access permissions are AP[2:0], with XN and PXN forbidding execution and TEX, C and B giving the memory type ([access permissions](armv7|B3.7), [memory attributes](armv7|B3.8.2)).',
  ],
  riscv64: [
    '[satp](riscv|4.1.11) holds the mode (8 = Sv39) and the physical page number of the root table; writing it switches address spaces.',
    'A table is one 4 KiB page of 512 eight-byte PTEs, so each level takes 9 bits: VPN[2] is bits 38:30, VPN[1] 29:21, VPN[0] 20:12 ([Sv39](riscv|4.4)). Bits 63:39 must repeat bit 38, hence the two halves.',
    'A PTE with R, W and X all clear points at the next table; any other valid PTE is a leaf, at any level: a 1 GiB gigapage at the root, a 2 MiB megapage below it. Permissions are the leaf\'s alone: there are no hierarchical limits ([PTE format](riscv|4.3.1)).',
  ],
  riscv32: [
    'An RV32 hart translates with Sv32: [satp](riscv|4.1.11) holds the mode in bit 31 (1 = Sv32), a 9-bit ASID and the 22-bit physical page number of the root table.',
    'A table is one 4 KiB page of 1024 four-byte PTEs, so each level takes 10 bits: VPN[1] is bits 31:22, VPN[0] 21:12 ([Sv32](riscv|4.3)). Every 32-bit address is valid; the kernel simply lives at the top.',
    'The PTE has the bits of the 64-bit formats in its low 10 bits, and a 22-bit PPN above them, so physical addresses have 34 bits: a leaf in the root is a 4 MiB megapage, and a page may lie above 4 GiB ([PTE format](riscv|4.3.1)).',
  ],
  loongarch64: [
    '[PGDL and PGDH](loongarch|7.5.5, 7.5.6) hold the roots of the low and high halves of the address space (the highest address bit picks one); in this sample both point at the same table.',
    'PWCL and PWCH describe the walk: the page size and, for each directory level, where its index starts and how wide it is ([page walk controller](loongarch|7.5.8, 7.5.9)). With 4 KiB pages and 4 levels each index is 9 bits, as on x86_64.',
    'A directory entry is the address of the next table, unless bit 6 marks it as a huge page. A page entry has V, D (writable), PLV (privilege level), MAT (memory type), NR/NX and the page walker\'s P and W bits ([page table formats](loongarch|5.4.5)).',
  ],
};

/** The teaching text for `arch` as HTML-free nodes (empty for an architecture without one). */
export function teach(arch: string): HTMLElement[] {
  return (TEXTS[arch] ?? []).map((para) => {
    const p = document.createElement('p');
    let at = 0;
    for (const m of para.matchAll(/\[([^\]]+)\]\((\w+)\|([^)]+)\)/g)) {
      p.append(para.slice(at, m.index));
      const [title, url] = MANUALS[m[2]!]!;
      const link = document.createElement('a');
      link.href = url;
      link.target = '_blank';
      link.rel = 'noopener';
      link.textContent = m[1]!;
      link.title = `${title}, ${m[3]}`;
      p.append(link, ` (${title} ${m[3]})`);
      at = m.index + m[0].length;
    }
    p.append(para.slice(at));
    return p;
  });
}
