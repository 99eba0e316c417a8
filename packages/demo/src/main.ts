// The main job: build an x86_64 page table in the embedded physical memory with 4K, 2M and 1G pages in
// the lower and the upper half, query it, and list every mapping.
import { formatPageSize, hex, MappingFlags, PageSize, PhysicalMemory, shortFlags } from '@page-table-multiarch/core';
import { X64PageTable } from '@page-table-multiarch/x86_64';

const { READ, WRITE, EXECUTE, USER, DEVICE } = MappingFlags;
const memory = new PhysicalMemory({ size: 4 << 20, base: 0x100_0000n });
const table = new X64PageTable(memory);

const plan: [bigint, bigint, PageSize, number][] = [
  [0x0000_0000_0040_0000n, 0x0020_0000n, PageSize.Size4K, READ | EXECUTE | USER], // user text
  [0x0000_0000_0040_1000n, 0x0020_1000n, PageSize.Size4K, READ | USER], // user rodata
  [0x0000_7fff_ffff_f000n, 0x0030_0000n, PageSize.Size4K, READ | WRITE | USER], // top of user stack
  [0x0000_0000_4000_0000n, 0x4000_0000n, PageSize.Size1G, READ | WRITE | USER], // 1G user heap
  [0xffff_8000_0000_0000n, 0x0000_0000n, PageSize.Size1G, READ | WRITE], // direct map, 1G
  [0xffff_ffff_8000_0000n, 0x0100_0000n, PageSize.Size2M, READ | EXECUTE], // kernel text, 2M
  [0xffff_ffff_8020_0000n, 0x0120_0000n, PageSize.Size2M, READ | WRITE], // kernel data, 2M
  [0xffff_ffff_ffe0_0000n, 0xfee0_0000n, PageSize.Size4K, READ | WRITE | DEVICE], // local APIC
];

{
  using cursor = table.cursor();
  for (const [va, pa, size, flags] of plan) cursor.map(va, pa, size, flags);
  cursor.mapRegion(0xffff_c000_0000_0000n, 0x1_0000_0000n, 0x40_3000n, READ | WRITE, true); // 2M + 4K mix
}

const pad = (s: string, n: number) => s.padEnd(n);
console.log(`x86_64 4-level table, root at ${hex(table.rootPaddr)} in ${memory.size >> 20} MiB of RAM at ${hex(memory.base)}`);
console.log('queries:');
for (const va of [0x40_0123n, 0x4000_0000n + 0x1234_5678n, 0xffff_8000_1234_5678n, 0xffff_ffff_8020_0abcn]) {
  const { paddr, flags, size } = table.query(va);
  console.log(`  ${pad(hex(va), 20)} -> ${pad(hex(paddr), 14)} ${pad(formatPageSize(size), 3)} ${shortFlags(flags)}`);
}
console.log('mappings (start-end physical size flags):');
let count = 0;
for (const m of table.mappings()) {
  const end = m.vaddr + BigInt(m.size);
  console.log(`  ${hex(m.vaddr).padStart(18)}-${hex(end).padStart(18)} ${hex(m.paddr).padStart(14)} ${formatPageSize(m.size).padStart(3)} ${shortFlags(m.flags)}`);
  count++;
}
console.log(`${count} mappings, ${table.tableCount()} tables in ${table.frameCount()} frames (${memory.framesInUse} frames allocated)`);
table.destroy();
