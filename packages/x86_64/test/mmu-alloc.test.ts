// The MMU models' translateNumber allocates nothing per walk (no TLB), for every x86 paging mode: an emulator calls
// it on each access. It holds only while every value that crosses a call V8 does not inline is a small integer:
// a u32 above 2^31 (`x >>> 0`) passed to such a call is a heap number, 12 to 16 bytes. The walks run on the built
// bundles (`pnpm test` builds first), as the bench does: what V8 inlines is decided on them, not on the sources.
// A separate node with a young generation of 256 MiB, so that no collection runs during the measured loop.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = (p: string) => fileURLToPath(new URL(`../../${p}/dist/index.js`, import.meta.url));

/**
 * The script: 4,096 random 4 KiB pages over 4 GiB (32-bit and PAE paging) or 256 GiB (half of them with an address
 * whose low word is above 2^31), mapped to physical addresses whose low word is above 2^31 too (above 4 GiB where the
 * mode reaches them), so that neither the addresses nor the entries' low words are small integers; 1,000,000 reads by
 * the supervisor, warmed up, then the heap's growth over one more run. Prints the bytes per translate and whether the
 * answers' sum is right.
 */
function script(mode: string): string {
  return `
    import { MappingFlags, PageSize, PhysicalMemory } from ${JSON.stringify(DIST('core'))};
    import * as x from ${JSON.stringify(DIST('x86_64'))};
    const mode = ${JSON.stringify(mode)};
    const memory = new PhysicalMemory({ size: 64 * 2 ** 20, base: 0x1000_0000n });
    const wide = mode === '4-level' || mode === '5-level';
    const table = mode === '32-bit' ? new x.X86PageTable32(memory) : mode === 'PAE' ? new x.X86PaePageTable(memory)
      : mode === '4-level' ? new x.X64PageTable(memory) : new x.X64PageTable5(memory);
    const pa0 = mode === '32-bit' ? 0x8000_0000 : 0x1_8000_0000;
    let s = 0x5eed;
    const next = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return s >>> 0; };
    const pages = [];
    const seen = new Set();
    while (pages.length < 4096) {
      const pn = wide ? next() >>> 6 : next() >>> 12;
      if (!seen.has(pn)) { seen.add(pn); pages.push(pn); }
    }
    const c = table.cursor();
    for (let k = 0; k < pages.length; k++) c.map(pages[k] * 4096, pa0 + k * 4096, PageSize.Size4K, MappingFlags.READ | MappingFlags.WRITE);
    c.flush();
    const mmu = wide ? new x.X86Mmu(memory, x.encodeX64Registers(table)) : new x.X86LegacyMmu(memory, x.encodeX86LegacyRegisters(table));
    const n = 1_000_000;
    const va = new Float64Array(n);
    let expected = 0;
    for (let i = 0; i < n; i++) {
      const k = next() % pages.length;
      const off = next() & 0xff8;
      va[i] = pages[k] * 4096 + off;
      expected = (expected + ((pa0 + k * 4096 + off) | 0)) | 0;
    }
    const run = () => { let t = 0; for (let i = 0; i < n; i++) t = (t + (mmu.translateNumber(va[i], 0, 1) | 0)) | 0; return t; };
    for (let r = 0; r < 3; r++) run();
    globalThis.gc({ type: 'minor', execution: 'sync' });
    const h0 = process.memoryUsage().heapUsed;
    const sum = run();
    const bytes = (process.memoryUsage().heapUsed - h0) / n;
    process.stdout.write(JSON.stringify({ bytes, right: sum === expected }));
  `;
}

describe('x86 MMU models: translateNumber allocates nothing per walk', () => {
  it.each(['32-bit', 'PAE', '4-level', '5-level'])('%s paging: under half a byte per translate', (mode) => {
    const flags = ['--expose-gc', '--no-concurrent-recompilation', '--min-semi-space-size=256', '--max-semi-space-size=256'];
    const run = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script(mode)], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as { bytes: number; right: boolean };
    expect(out.right, 'the sum of the physical addresses').toBe(true);
    // a boxed number is 12 to 16 bytes
    expect(out.bytes).toBeLessThan(0.5);
  }, 60_000);
});
