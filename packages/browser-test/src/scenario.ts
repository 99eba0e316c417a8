// What the page does, kept free of DOM and Node APIs so that the test can run the very same code in Node
// and compare: an Sv39 and an x86_64 table built in the embedded physical memory, mapped, queried, listed,
// changed and destroyed. Each line of the result is `<table> <what>: <value>`.
import {
  formatFlags,
  formatPageSize,
  hex,
  MappingFlags,
  PageSize,
  PagingError,
  PhysicalMemory,
} from '@page-table-multiarch/core';
import { Sv39PageTable } from '@page-table-multiarch/riscv';
import { X64PageTable } from '@page-table-multiarch/x86_64';

const { READ, WRITE, EXECUTE, USER } = MappingFlags;

/** The lines the page prints. */
export function scenario(): string[] {
  const out: string[] = [];

  // RISC-V Sv39: RAM at 0x8000_0000 as on QEMU virt, a kernel gigapage in the upper half, a user 4K page.
  const ram = new PhysicalMemory({ size: 1 << 20, base: 0x8000_0000n });
  const sv39 = new Sv39PageTable(ram);
  const c1 = sv39.cursor();
  c1.map(0xffff_ffc0_0000_0000n, 0x8000_0000n, PageSize.Size1G, READ | EXECUTE);
  c1.map(0x1000n, 0x8020_0000n, PageSize.Size4K, READ | WRITE | USER);
  c1.flush();
  const k = sv39.query(0xffff_ffc0_0012_3456n);
  out.push(`sv39 query kernel: ${hex(k.paddr)} ${formatFlags(k.flags)} ${formatPageSize(k.size)}`);
  const u = sv39.query(0x1abcn);
  out.push(`sv39 query user: ${hex(u.paddr)} ${formatFlags(u.flags)} ${formatPageSize(u.size)}`);
  out.push(`sv39 satp ppn: ${hex(sv39.rootPaddr >> 12n)}`);
  out.push(`sv39 frames: ${ram.framesInUse}`);

  // x86_64 4-level: 4K pages in the lower half, a 2M page in the upper half, then unmap and protect.
  const flushed: string[] = [];
  const x64 = new X64PageTable(undefined, { flushTlb: (va) => flushed.push(va === undefined ? 'all' : hex(va)) });
  const c2 = x64.cursor();
  c2.map(0xdead_beef_000n, 0x2000n, PageSize.Size4K, READ | WRITE);
  c2.map(0xffff_8000_0020_0000n, 0x40_0000n, PageSize.Size2M, READ | EXECUTE);
  c2.mapRegion(0x40_0000n, 0x10_0000n, 0x4000n, READ, false);
  c2.flush();
  const a = x64.query(0xdead_beef_123n);
  out.push(`x64 query 4K: ${hex(a.paddr)} ${formatFlags(a.flags)} ${formatPageSize(a.size)}`);
  const b = x64.query(0xffff_8000_002f_ffffn);
  out.push(`x64 query 2M: ${hex(b.paddr)} ${formatFlags(b.flags)} ${formatPageSize(b.size)}`);
  out.push(`x64 mappings: ${[...x64.mappings()].map((m) => `${hex(m.vaddr)}->${hex(m.paddr)}/${formatPageSize(m.size)}`).join(' ')}`);
  c2.protect(0xdead_beef_000n, READ);
  c2.unmap(0x40_1000n);
  c2.flush();
  out.push(`x64 after protect: ${formatFlags(x64.query(0xdead_beef_000n).flags)}`);
  try {
    x64.query(0x40_1000n);
    out.push('x64 after unmap: still mapped');
  } catch (err) {
    out.push(`x64 after unmap: ${err instanceof PagingError ? err.code : String(err)}`);
  }
  out.push(`x64 tlb flushes: ${flushed.join(' ')}`);
  out.push(`x64 root bytes: ${x64.handler instanceof PhysicalMemory ? x64.handler.bytes(x64.rootPaddr, 4096).length : -1}`);
  x64.destroy();
  sv39.destroy();
  out.push(`frames after destroy: ${ram.framesInUse}`);
  return out;
}
