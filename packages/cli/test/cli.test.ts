// ptdump as a command: the embedded default, the text format, options, and one-line errors with exit code 2.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { A64PageTable4K52, A64PageTable16K47, encodeA64Registers } from '@page-table-multiarch/aarch64';
import { ARCHES, EXIT_IMPLAUSIBLE, parseValue } from '@page-table-multiarch/cli';
import { MappingFlags, PageSize, PhysicalMemory, translateAddress } from '@page-table-multiarch/core';
import { X64PageTable } from '@page-table-multiarch/x86_64';
import { afterAll, describe, expect, it } from 'vitest';
import { registerArgs, runCli, tempDir } from './_support';

const tmp = tempDir();
afterAll(() => tmp.remove());

function x86Dump(): { path: string; args: string[] } {
  const arch = ARCHES.find((a) => a.name === 'x86_64')!;
  const sample = arch.sample();
  const path = join(tmp.dir, 'x86.bin');
  writeFileSync(path, sample.memory.bytes());
  return { path, args: ['--arch', 'x86_64', '--base', `0x${sample.memory.base.toString(16)}`, ...registerArgs(sample), path] };
}

describe('ptdump with no arguments', () => {
  it('lists the embedded sample of every architecture, each with a summary', () => {
    const r = runCli([]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const a of ARCHES) expect(r.stdout).toContain(`(${a.name}) in embedded sample`);
    expect(r.stdout.match(/^---\[ summary \]---$/gm)).toHaveLength(ARCHES.length);
    // a line in the style of Linux's ptdump: range, size, page size, permissions, physical address
    expect(r.stdout).toMatch(/^0xffff888000000000-0xffff888080000000 {6}2G {3}1G {6}RW NX {5}-> 0x0000000000000000 PDPT /m);
    expect(r.stdout).toMatch(/^0xffffffff81000000-0xffffffff81600000 {6}6M {3}2M {6}ro x {6}-> 0x0000000001000000 PD /m);
    expect(r.stdout).toContain('Checked W+X mappings: FAILED, 1 W+X pages found.');
    expect(r.stdout).toContain('Checked W+X mappings: passed, no W+X pages found.');
  });

  it('--arch selects one sample; --json gives one document with every sample', () => {
    const one = runCli(['--arch', 'arm64']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('---[ TTBR1_EL1: table at ');
    expect(one.stdout).not.toContain('(x86_64)');
    const doc = JSON.parse(runCli(['--json']).stdout);
    expect(doc.samples.map((s: { arch: string }) => s.arch)).toEqual(ARCHES.map((a) => a.name));
    for (const s of doc.samples) expect(s.summary.runs).toBeGreaterThan(4);
  });

  it('--audit lists the findings and exits 1 when there are some', () => {
    const r = runCli(['--arch', 'x86_64', '--audit']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^---\[ audit \]---\nW\+X {12}W\+X mapping 0xffffffffc0000000-0xffffffffc0001000 -> 0x400000/m);
    expect(runCli(['--arch', 'riscv64', '--audit']).code).toBe(0);
  });

  it('translate without a file translates through the samples', () => {
    const r = runCli(['--arch', 'x86_64', 'translate', '0xffff888000123456', '0x1000']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('0xffff888000123456 -> 0x0000000000123456   1G      RW NX');
    expect(r.stdout).toContain('    PML4[273]   @0x100888 = 0x0000000000108007  P RW US\n    PDPT[0]     @0x108000 = 0x8000000000000083  P RW PS XD\n');
    expect(r.stdout).toContain('0x0000000000001000 not mapped: PD[0] is not present');
  });
});

describe('ptdump on a file', () => {
  it('lists a raw image, with notes, root headers and a summary', () => {
    const { args } = x86Dump();
    const r = runCli(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('---[ CR3 (lower half): table at 0x100000, 0x0000000000000000-0x0000800000000000 ]---');
    expect(r.stdout).toContain('---[ CR3 (upper half): table at 0x100000, 0xffff800000000000-0x10000000000000000 ]---');
    expect(r.stdout).toMatch(/^tables: {6}PML4 1, PDPT 4, PD 4, PT 5 \(57344 bytes in 14 frames\)$/m);
    expect(r.stdout).toMatch(/^mappings: {4}8 runs, 16 pages, 2\.0G mapped \(0x8080a000 bytes\)$/m);
  });

  it('--leaves lists every leaf', () => {
    const { args } = x86Dump();
    const runs = JSON.parse(runCli([...args, '--json']).stdout).records.length;
    const leaves = JSON.parse(runCli([...args, '--json', '--leaves']).stdout).records.length;
    expect(runs).toBe(8);
    expect(leaves).toBe(16);
  });

  it('shows effective permissions where a table entry restricts its subtree', () => {
    const arch = ARCHES.find((a) => a.name === 'x86_64')!;
    const sample = arch.sample();
    const root = sample.tables[0]!.table.rootPaddr;
    // PML4[511] (the kernel text's subtree): clear R/W
    const e = root + 511n * 8n;
    sample.memory.writeU64(e, sample.memory.readU64(e) & ~2n);
    const path = join(tmp.dir, 'restricted.bin');
    writeFileSync(path, sample.memory.bytes());
    const r = runCli(['--arch', 'x86_64', '--base', '0x100000', ...registerArgs(sample), path]);
    expect(r.stdout).toMatch(/^0xffffffff81600000-0xffffffff81800000 {6}2M {3}2M {6}ro NX .*\[entry: RW NX\]$/m);
    // the W+X page under it is no longer writable: the audit passes
    expect(r.stdout).toContain('Checked W+X mappings: passed');
  });

  it('--pat: memory types through IA32_PAT; without it, the power-on PAT', () => {
    const arch = ARCHES.find((a) => a.name === 'x86_64')!;
    const sample = arch.sample();
    // the user data page at 0x600000 as Linux maps write-combining memory: PWT alone (PAT index 1)
    const pte = translateAddress(sample.tables[0]!.table, 0x60_0000n).steps.at(-1)!.entryPaddr;
    sample.memory.writeU64(pte, sample.memory.readU64(pte) | 0x8n);
    const path = join(tmp.dir, 'wc.bin');
    writeFileSync(path, sample.memory.bytes());
    const args = ['--arch', 'x86_64', '--base', '0x100000', ...registerArgs(sample), path];
    // Linux's IA32_PAT (arch/x86/mm/pat/memtype.c): PA1 = WC, not cached
    const linux = runCli([...args, '--pat', '0x0407050600070106']);
    expect(linux.code).toBe(0);
    expect(linux.stdout).toContain('registers: CR3=0x100000 CR4=0x6a0 EFER=0xd01 CR0=0x80050033 PAT=0x407050600070106\n');
    expect(linux.stdout).toMatch(/^0x0000000000600000-0x0000000000601000 {6}4K {3}4K {2}USR RW NX UC {2}-> 0x0000000000300000 PT {4}P RW US PWT XD WC$/m);
    // the local APIC page (PCD | PWT) is UC under both
    expect(linux.stdout).toMatch(/^0xffffffffff5fb000-.* RW NX UC .* P RW PWT PCD XD UC$/m);
    // under the power-on PAT, PA1 is WT: cached
    const power = runCli(args);
    expect(power.stdout).toMatch(/^0x0000000000600000-0x0000000000601000 {6}4K {3}4K {2}USR RW NX {5}-> 0x0000000000300000 PT {4}P RW US PWT XD$/m);
    const bad = runCli([...args, '--pat', '0x0407050600070102']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^ptdump: x86_64: IA32_PAT 0x407050600070102: PA0 = 2 is a reserved memory type/);
  });

  it('arm: --prrr / --nmrr read memory types through TEX remap, --dacr the domains', () => {
    const arch = ARCHES.find((a) => a.name === 'arm')!;
    const sample = arch.sample();
    const path = join(tmp.dir, 'arm.bin');
    writeFileSync(path, sample.memory.bytes());
    const args = ['--arch', 'arm', '--base', `0x${sample.memory.base.toString(16)}`, ...registerArgs(sample), path];
    const uart = (out: string) => out.split('\n').find((l) => l.startsWith('0xf8000000-'));
    // without remap, TEX 0 C 0 B 1 is Shareable Device (B3.8.2)
    expect(uart(runCli(args).stdout)).toMatch(/ RW NX DEV -> 0x09000000 L1 {4}SECTION AP=RW TEX0 B XN dom0$/);
    // Linux's PRRR / NMRR (arch/arm/mm/proc-v7-2level.S): n = 1 is Normal Non-cacheable, n = 7 Write-Back
    const linux = runCli([...args, '--prrr', '0xff0a81a8', '--nmrr', '0x40e040e0']);
    expect(linux.code).toBe(0);
    expect(linux.stdout).toContain('note: SCTLR not given: TRE = 1 assumed (PRRR and NMRR were given)');
    expect(uart(linux.stdout)).toMatch(/ RW NX UC {2}-> 0x09000000 L1 {4}SECTION AP=RW TEX0 B XN dom0 MT=NC$/);
    expect(linux.stdout).toMatch(/^0xc0000000-0xc0100000 {6}1M {3}1M {6}ro x {6}-> 0x40000000 L1 {4}SECTION AP=RO TEX1 C B S dom0 MT=WBWA$/m);
    // domain 0 in Manager mode: nothing is checked, every mapping is readable, writable and executable from PL0
    const manager = runCli([...args, '--dacr', '0x3', '--audit']);
    expect(manager.stdout).toMatch(/^0xc0000000-0xc0100000 {6}1M {3}1M {2}USR RW x {6}-> 0x40000000 L1 {4}SECTION AP=RO TEX1 C B S dom0 {2}\[entry: ro x\]$/m);
    expect(manager.code).toBe(1);
    // domain 0 No access: nothing can be reached
    expect(runCli([...args, '--dacr', '0x0']).stdout).toMatch(/^0xc0000000-0xc0100000 {6}1M {3}1M {6}-- NX {5}-> 0x40000000 L1 /m);
  });

  it('a shared table (espfix-like): one line for the entries that reach it again; --expand-shared lists them all', () => {
    const memory = new PhysicalMemory({ size: 64 * 4096, base: 0x10_0000n });
    const table = new X64PageTable(memory);
    const c = table.cursor();
    // one page table of 16 W+X pages, reached from every entry of one page directory
    c.map(0xffff_ff00_0000_0000n, 0x1000_0000n, PageSize.Size4K, MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE);
    for (let i = 1; i < 16; i++) c.map(0xffff_ff00_0000_0000n + BigInt(i) * 0x1000n, 0x1000_0000n + BigInt(i) * 0x1000n, PageSize.Size4K, MappingFlags.READ | MappingFlags.WRITE | MappingFlags.EXECUTE);
    c.flush();
    const pde = translateAddress(table, 0xffff_ff00_0000_0000n).steps[2]!.entryPaddr;
    for (let i = 1; i < 512; i++) memory.writeU64(pde + BigInt(i) * 8n, memory.readU64(pde));
    const path = join(tmp.dir, 'espfix.bin');
    writeFileSync(path, memory.bytes());
    const args = ['--arch', 'x86_64', '--base', '0x100000', '--cr3', `0x${table.rootPaddr.toString(16)}`, '--cr4', '0x6a0', '--efer', '0xd01', path];
    const once = runCli([...args, '--audit']);
    expect(once.code).toBe(1);
    expect(once.stderr).toBe('');
    expect(once.stdout).toMatch(/^\.\.\. 0xffffff0000200000-0xffffff0040000000 PD\[1\.\.511\] -> PT at 0x[0-9a-f]+, listed from 0xffffff0000000000: 511 x 16 pages not listed again \.\.\.$/m);
    expect(once.stdout).toMatch(/^diagnostics: 0$/m);
    expect(once.stdout).toMatch(/^shared: {6}1 record of tables listed once \(8176 pages not listed again\)$/m);
    // the audit checks the table under every entry: 512 x 16 W+X pages, as with --expand-shared
    expect(once.stdout).toContain('Checked W+X mappings: FAILED, 8192 W+X pages found.');
    expect(once.stdout).toMatch(/^W\+X {12}W\+X mappings through the shared table at 0x[0-9a-f]+ \(listed from 0xffffff0000000000\), 0xffffff0000200000-0xffffff0040000000 \(1022M, 8176 pages\)$/m);
    const all = runCli([...args, '--audit', '--expand-shared', '--json']);
    const doc = JSON.parse(all.stdout);
    expect(doc.records.filter((r: { kind: string }) => r.kind === 'mapping')).toHaveLength(512);
    expect(doc.summary).toMatchObject({ pages: 8192, sharedTables: 0, diagnostics: 0 });
    expect(doc.audit.wxPages).toBe(8192);
  });

  it('a progress line goes to stderr only when it is a terminal', () => {
    const { args } = x86Dump();
    expect(runCli(args, false).stderr).toBe('');
    expect(runCli(args, true).stderr).toBe('\r\x1b[K');
    expect(runCli([...args, '--quiet'], true).stderr).toBe('');
  });
});

describe('a root that does not look like a table', () => {
  /** 64 KiB of RAM at 0 with `page` at 0x1000 (the root's candidate). */
  function image(name: string, page: (words: DataView) => void): string {
    const bytes = new Uint8Array(0x1_0000);
    page(new DataView(bytes.buffer, 0x1000, 0x1000));
    const path = join(tmp.dir, name);
    writeFileSync(path, bytes);
    return path;
  }

  it('a root inside RAM that yields nothing but diagnostics: a warning per root and exit status 3', () => {
    // every entry present and pointing far outside the dump, as a page of data read as a PML4 does
    const path = image('data-root.bin', (v) => {
      for (let i = 0; i < 512; i++) v.setUint32(i * 8, 0x7fff_f007 + i * 0x1000, true);
    });
    const r = runCli(['--arch', 'x86_64', '--cr3', '0x1000', path]);
    expect(r.code).toBe(EXIT_IMPLAUSIBLE);
    expect(r.stdout).toMatch(/^diagnostics: 512$/m);
    expect(r.stderr).toBe(
      'ptdump: warning: CR3 (lower half): 256 diagnostics and no mapping: is its register value (and --base) right?\n' +
        'ptdump: warning: CR3 (upper half): 256 diagnostics and no mapping: is its register value (and --base) right?\n',
    );
    // the same with --json: the document is whole, the warning on stderr
    const j = runCli(['--arch', 'x86_64', '--cr3', '0x1000', '--json', path]);
    expect(j.code).toBe(EXIT_IMPLAUSIBLE);
    expect(JSON.parse(j.stdout).summary.diagnostics).toBe(512);
    expect(j.stderr).toContain('ptdump: warning: CR3 (lower half): 256 diagnostics and no mapping');
  });

  it('a root of zeros maps nothing at all: exit status 3', () => {
    const r = runCli(['--arch', 'x86_64', '--cr3', '0x1000', image('zero-root.bin', () => {})]);
    expect(r.code).toBe(EXIT_IMPLAUSIBLE);
    expect(r.stderr).toBe('ptdump: warning: no mapping through any root: are the register values (and --base) right?\n');
  });

  it('more diagnostics than mappings under a root: warned, exit status 0', () => {
    const path = image('mostly-bad.bin', (v) => {
      // PML4[0] -> PDPT at 0x2000 (zeros but for one 1 GiB page), PML4[1..3] outside the dump
      v.setUint32(0, 0x2007, true);
      for (let i = 1; i < 4; i++) v.setUint32(i * 8, 0x7fff_f007, true);
    });
    const bytes = new Uint8Array(readFileSync(path));
    new DataView(bytes.buffer).setUint32(0x2000, 0x83, true);
    writeFileSync(path, bytes);
    const r = runCli(['--arch', 'x86_64', '--cr3', '0x1000', path]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('ptdump: warning: CR3 (lower half): more diagnostics (3) than mappings (1): is its register value (and --base) right?\n');
  });

  it('a healthy dump gives no warning', () => {
    const r = runCli(x86Dump().args);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('errors: one line, exit code 2', () => {
  const fails = (argv: string[], message: RegExp): void => {
    const r = runCli(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  };

  it('a missing file', () => fails(['--arch', 'x86_64', '--cr3', '0x1000', join(tmp.dir, 'nope.bin')], /^ptdump: .*nope\.bin: no such file$/m));
  it('a root outside the dump', () => {
    const { path } = x86Dump();
    fails(['--arch', 'x86_64', '--cr3', '0x7000000', '--base', '0x100000', path], /CR3 \(lower half\): root table 0x7000000 \(4096 bytes\) is outside the memory of .*raw image, 1 MiB at 0x100000/);
  });
  it('an unknown architecture', () => fails(['--arch', 'mips', 'x.bin'], /unknown architecture 'mips' \(expected one of: x86_64, x86, aarch64, arm, riscv64, riscv32, loongarch64\)/));
  it('a raw image without --arch', () => fails([x86Dump().path], /--arch is required for a raw image/));
  it('a register of another architecture', () => fails(['--arch', 'x86_64', '--satp', '0x1', x86Dump().path], /--satp is not a register of x86_64/));
  it('a missing register', () => fails(['--arch', 'riscv64', x86Dump().path], /riscv64: --satp is required/));
  it('an unsupported configuration', () =>
    fails(['--arch', 'aarch64', '--ttbr0', '0x1000', '--tcr', '0x28', x86Dump().path], /TCR_EL1\.T0SZ = 40: TnSZ above 39 \(FEAT_TTST\) is not supported/));
  it('a value that is not a number', () => fails(['--arch', 'x86_64', '--cr3', 'xyz', x86Dump().path], /--cr3: 'xyz' is not a number/));
  it('an unknown option', () => fails(['--frobnicate'], /Unknown option '--frobnicate'/));
  it('registers without a file', () => fails(['--cr3', '0x1000'], /--cr3 needs a DUMP file/));
  it('a second positional argument', () => fails(['a.bin', 'b.bin'], /unexpected argument 'b\.bin'/));
});

describe('values', () => {
  it('parse hex, octal, binary and decimal with separators, up to 2^64 - 1', () => {
    expect(parseValue('0xffff_8000_0000_0000', 'x')).toBe(0xffff_8000_0000_0000n);
    expect(parseValue('0o17', 'x')).toBe(15n);
    expect(parseValue('0b101', 'x')).toBe(5n);
    expect(parseValue('4096', 'x')).toBe(4096n);
    expect(() => parseValue('0x1_0000_0000_0000_0000', 'x')).toThrow(/does not fit in 64 bits/);
    expect(() => parseValue('-1', 'x')).toThrow(/'-1' is negative/);
    expect(() => parseValue('-x', 'x')).toThrow(/not a number/);
  });

  it('refuse what could be read two ways: leading zeros or hex letters without a prefix', () => {
    // QEMU's `info registers` prints CR3=0000000002010000: hex, which BigInt would read as decimal 2010000
    expect(() => parseValue('0000000002010000', '--cr3')).toThrow(
      /^--cr3: '0000000002010000' has a leading zero and no prefix, .* write 0x0000000002010000 for hex/,
    );
    expect(() => parseValue('00ff', 'x')).toThrow(/'00ff' is not a number: hex needs the 0x prefix \(0x00ff\)/);
    expect(() => parseValue('ffff8000', 'x')).toThrow(/hex needs the 0x prefix \(0xffff8000\)/);
    expect(() => parseValue('dead', 'x')).toThrow(/hex needs the 0x prefix/);
    // what stays unambiguous is read as before
    expect(parseValue('0', 'x')).toBe(0n);
    expect(parseValue('0x0000000002010000', 'x')).toBe(0x201_0000n);
    expect(parseValue('2010000', 'x')).toBe(2_010_000n);
    expect(parseValue('0o0017', 'x')).toBe(15n);
  });

  it('a QEMU-style register value is refused with exit 2 before anything is listed', () => {
    const { path } = x86Dump();
    const r = runCli(['--arch', 'x86_64', '--base', '0x100000', '--cr3', '0000000000100000', path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ptdump: --cr3: '0000000000100000' has a leading zero/);
  });

  it('a leading -- (as `pnpm ptdump -- ...` passes it) is ignored', () => {
    expect(runCli(['--', '--arch', 'riscv64']).stdout).toContain('(riscv64) in embedded sample');
  });

  it('--help and --version', () => {
    expect(runCli(['--help']).stdout).toContain('usage: ptdump [options] [DUMP] [translate VA...]');
    expect(runCli(['-V']).stdout).toMatch(/^ptdump \d+\.\d+\.\d+\n$/);
  });
});

describe('ptdump on an AArch64 kernel with its own MAIR and granule', () => {
  // Linux's MAIR_EL1 (arch/arm64/mm/proc.S MAIR_EL1_SET; MT_* indices of arch/arm64/include/asm/memory.h): Attr0
  // and Attr1 Normal (0xff), Attr2 Normal-NC (0x44), Attr3 Device-nGnRnE (0x00), Attr4 Device-nGnRE (0x04)
  const LINUX_MAIR = 0x4_0044_ffffn;
  const { READ: R, WRITE: W, EXECUTE: X, DEVICE } = MappingFlags;
  function linuxDump(): { args: string[]; tcr: bigint } {
    const memory = new PhysicalMemory({ size: 4 << 20, base: 0x4000_0000n });
    // a 16K / 47-bit kernel: its TTBR1 table, built for Linux's MAIR
    const kernel = new A64PageTable16K47(memory, { half: 'upper', mair: LINUX_MAIR });
    const c = kernel.cursor();
    c.mapRegion(0xffff_8000_0000_0000n, 0x4000_0000n, 0x400_0000n, R | W, true); // the linear map, 32M blocks
    c.map(0xffff_8000_8000_0000n, 0x4200_0000n, PageSize.Size32M, R | X); // kernel text
    c.map(0xffff_ffff_fe00_0000n, 0x0900_0000n, PageSize.Size16K, R | W | DEVICE); // the UART
    c.flush();
    const regs = encodeA64Registers({ ttbr1: kernel });
    const path = join(tmp.dir, 'arm64-16k.bin');
    writeFileSync(path, memory.bytes());
    return { args: ['--arch', 'aarch64', '--base', '0x40000000', '--ttbr1', `0x${regs.ttbr1.toString(16)}`, '--tcr', `0x${regs.tcr.toString(16)}`, path], tcr: regs.tcr };
  }

  it("with --mair, the audit finds no executable device memory: text and the linear map are Normal, the UART Device", () => {
    const { args } = linuxDump();
    const r = runCli([...args, '--mair', '0x40044ffff', '--audit']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('16 KiB granule');
    expect(r.stdout).toContain('0 findings (0 W+X, 0 user-executable kernel, 0 executable device)');
    expect(r.stdout).toMatch(/^0xffff800080000000-0xffff800082000000 .* ro x {6}-> 0x0000000042000000 L2 {4}BLOCK Attr0 /m);
    expect(r.stdout).toMatch(/^0xfffffffffe000000-0xfffffffffe004000 .* RW NX DEV -> 0x0000000009000000 L3 {4}PAGE Attr4 /m);
    const runs = JSON.parse(runCli([...args, '--mair', '0x40044ffff', '--json']).stdout).records as { vaddr: string; flags: string }[];
    const dev = runs.filter((x) => /DEVICE/.test(x.flags)).map((x) => x.vaddr);
    expect(dev).toEqual(['0xfffffffffe000000']);
  });

  it('translate honours TCR_EL1.TBI1: a tagged kernel pointer translates when it is set, and is refused with the reason when not', () => {
    const { args, tcr } = linuxDump();
    const withTcr = (value: bigint) => args.map((a) => (a === `0x${tcr.toString(16)}` ? `0x${value.toString(16)}` : a));
    const on = runCli([...withTcr(tcr | (1n << 38n)), 'translate', '0x5aff800080001234']);
    expect(on.code).toBe(0);
    expect(on.stdout).toContain('0x5aff800080001234 -> 0x0000000042001234  32M');
    const off = runCli([...args, 'translate', '0x5aff800080001234']);
    expect(off.stdout).toContain('carries the tag 0x5a in bits 63:56, which TTBR1_EL1 does not ignore for translation');
  });

  it('without it (the crate MAIR_VALUE assumed) AttrIndx 0 reads as Device: the kernel text is reported', () => {
    const { args } = linuxDump();
    const r = runCli([...args, '--audit']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/executable device mapping 0xffff800080000000-0xffff800082000000/);
  });
});

describe('AArch64 with 52-bit addresses', () => {
  it('TCR_EL1.DS = 1: a 4K/52 table is walked from lookup level -1 and its output addresses above 2^48 are listed', () => {
    const memory = new PhysicalMemory({ size: 1 << 20, base: 0x4000_0000n });
    const kernel = new A64PageTable4K52(memory, { half: 'upper' });
    const c = kernel.cursor();
    c.map(0xfff0_0000_0000_0000n, 0x000f_0000_0020_0000n, PageSize.Size2M, MappingFlags.READ | MappingFlags.WRITE);
    c.flush();
    const regs = encodeA64Registers({ ttbr1: kernel });
    const path = join(tmp.dir, 'arm64-4k52.bin');
    writeFileSync(path, memory.bytes());
    const r = runCli(['--arch', 'aarch64', '--base', '0x40000000', '--ttbr1', `0x${regs.ttbr1.toString(16)}`, '--tcr', `0x${regs.tcr.toString(16)}`, path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('52-bit (LPA2, DS = 1)');
    expect(r.stdout).toMatch(/^0xfff0000000000000-0xfff0000000200000 .*-> 0x000f000000200000 L2 {4}BLOCK /m);
  });
});
