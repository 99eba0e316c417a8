// A real kernel's long-descriptor tables: Debian's armmp-lpae kernel, stopped in QEMU, read by the library.
//
// How the fixture is built (nothing of it is in the repository; it is made again on every run, as the other QEMU
// fixtures are):
// 1. The kernel: `packages/conformance/install-kernels.mjs` (run by install.sh, so by .ci/run) reads Debian
//    bookworm's armhf index from the mirror this machine's apt uses, takes the package that the metapackage
//    linux-image-armmp-lpae depends on (linux-image-6.1.0-NN-armmp-lpae), checks InRelease with gpgv against the
//    archive keyring, the index and the .deb against their SHA256 (debian-archive.mjs, shared with
//    install-current.mjs), and keeps its /boot/vmlinuz-* as kernels/armmp-lpae/vmlinuz in the cache folder of the
//    current QEMU (~/.cache/page-table-multiarch by default).
// 2. The system: `bootArmKernel` (src/arm-kernel.ts) starts qemu-system-arm -M virt -cpu cortex-a15 -m 1024M with
//    -kernel vmlinuz, no initrd and no disk, the command line "console=ttyAMA0", the PL011 console logged to a file,
//    guest RAM in a shared memory-backend-file, and the gdb stub; the kernel runs until its console shows the end
//    of the panic "VFS: Unable to mount root fs", where the stub stops it (the CPU is in SVC mode, inside panic()).
// 3. The state: TTBCR, TTBR0, TTBR1, MAIR0, MAIR1 (and SCTLR, CPSR) are read through the gdb stub; the RAM file is
//    then a raw image of the guest's physical memory from 0x4000_0000.
// Then decodeA32Registers, dumpMappings / translateAddress over a PagedMemory of the image, and the table types
// attached at the TTBRs give the library's view; the monitor's gva2gpa gives QEMU's. ptdump lists the same image.
import { type A32KernelRegisters, type BootedKernel, bootArmKernel, checkArmKernel, type KernelCheck, readA32Registers } from '../src/index';
import { main } from '@page-table-multiarch/cli';
import { afterAll, expect, it } from 'vitest';
import { onEveryQemu, SEED, testKernel } from './_support';

const KERNEL = testKernel('armmp-lpae');

/** Linux's registers with LPAE (arch/arm/mm/proc-v7-3level.S and proc-macros: TTBCR with T1SZ = 2 for the 3G/1G
 * split, Inner Shareable write-back walks; MAIR0/MAIR1 from the L_PTE_MT_* memory types). */
const LINUX = { ttbcr: 0xb502_3500n, mair0: 0xeeaa_4400n, mair1: 0xff00_0004n };

const hx = (v: bigint) => `0x${v.toString(16)}`;

onEveryQemu('qemu-system-arm', `Debian armmp-lpae kernel (${KERNEL.title})`, (qemu) => {
  let booting: Promise<{ kernel: BootedKernel; regs: A32KernelRegisters }> | undefined;
  const boot = () => {
    booting ??= (async () => {
      const kernel = await bootArmKernel({ binary: qemu.binary(), kernel: KERNEL.image() });
      try {
        return { kernel, regs: await readA32Registers(kernel.qemu.gdb) };
      } catch (e) {
        await kernel.close();
        throw e;
      }
    })();
    return booting;
  };
  afterAll(async () => {
    const booted = await booting?.catch(() => undefined);
    await booted?.kernel.close();
  });
  let checked: KernelCheck | undefined;

  it.skipIf(KERNEL.skip)("boots to the panic and runs with Linux's LPAE registers (TTBCR 0xb5023500, MAIR0 0xeeaa4400, MAIR1 0xff000004)", async () => {
    const t0 = Date.now();
    const { kernel, regs } = await boot();
    console.log(
      `armmp-lpae on ${qemu.title}: panic after ${kernel.bootMs} ms (${Date.now() - t0} ms with the register reads); ` +
        `TTBCR ${hx(regs.ttbcr)} TTBR0 ${hx(regs.ttbr0)} TTBR1 ${hx(regs.ttbr1)} MAIR0 ${hx(regs.mair0)} MAIR1 ${hx(regs.mair1)} SCTLR ${hx(regs.sctlr)} CPSR ${hx(regs.cpsr)}`,
    );
    expect(kernel.console()).toContain('VFS: Unable to mount root fs');
    expect({ ttbcr: regs.ttbcr, mair0: regs.mair0, mair1: regs.mair1 }).toEqual(LINUX);
    // SCTLR.M (B4.1.130): the MMU is on; CPSR.M (B1.3.1, table B1-1) is a PL1 mode, so gva2gpa walks as PL1: SVC
    // while the panic loops, or IRQ (0b10010) when the stop lands in a timer interrupt taken meanwhile (seen on
    // QEMU 10); FIQ, ABT, UND and SYS are PL1 too. Not USR (PL0), HYP (PL2) or MON (Secure).
    expect(regs.sctlr & 1n).toBe(1n);
    expect([0x11n, 0x12n, 0x13n, 0x17n, 0x1bn, 0x1fn]).toContain(regs.cpsr & 0x1fn);
    // both tables lie in the guest's RAM (B4.1.154: BADDR is bits 39:5 with T0SZ = 0, 39:12 with T1SZ = 2)
    for (const ttbr of [regs.ttbr0, regs.ttbr1]) {
      const base = ttbr & 0xff_ffff_ffe0n;
      expect(base >= kernel.ram.base && base < kernel.ram.base + BigInt(kernel.ram.size)).toBe(true);
    }
  }, 120_000);

  it.skipIf(KERNEL.skip)('every sampled address of TTBR0 and TTBR1 translates as gva2gpa says, and each run has the memory type its MAIR byte gives', async () => {
    const { kernel, regs } = await boot();
    const t0 = Date.now();
    checked = await checkArmKernel(kernel, regs, { seed: SEED });
    console.log(`armmp-lpae on ${qemu.title}: ${checked.line} [seed ${SEED}; ${Date.now() - t0} ms]`);
    checked.checker.assertNone(`armmp-lpae on ${qemu.title} (seed ${SEED})`);
    // a few hundred addresses, mapped and not, in both ranges
    expect(checked.samples.length).toBeGreaterThanOrEqual(200);
    for (const root of [0, 1]) expect(checked.samples.filter((s) => s.root === root).length).toBeGreaterThan(0);
    expect(checked.samples.filter((s) => s.kind === 'hole').length).toBeGreaterThan(0);
    // the kernel's own mappings: the linear map of lowmem at 0xc000_0000 and the Device mappings of ioremap
    expect(checked.runs.some((r) => r.vaddr === 0xc000_0000n)).toBe(true);
    expect([...checked.memoryTypes.keys()].some((k) => k.endsWith('device)'))).toBe(true);
  }, 120_000);

  it.skipIf(KERNEL.skip)("a leaf read with a flipped output-address bit is caught, and only at its page (negative control)", async () => {
    const { kernel, regs } = await boot();
    // the first 2 MiB Block of the linear map of lowmem (the kernel's own text)
    const check = await checkArmKernel(kernel, regs, { seed: SEED + 1, tamper: 0xc000_0000n });
    const { vaddr, size } = check.tampered!;
    expect(size).toBe(0x20_0000);
    const mismatches = check.checker.mismatches;
    expect(mismatches.length).toBeGreaterThan(0);
    expect(mismatches.filter((m) => m.va < vaddr || m.va >= vaddr + BigInt(size))).toEqual([]);
    console.log(`armmp-lpae on ${qemu.title}: the corrupted Block at ${hx(vaddr)} was caught (${mismatches.length} mismatches there)`);
  }, 120_000);

  it.skipIf(KERNEL.skip)('ptdump lists the RAM image with those registers: exit 0, no diagnostics, the same runs', async () => {
    const { kernel, regs } = await boot();
    const args = ['--arch', 'arm', '--ttbcr', hx(regs.ttbcr), '--ttbr0', hx(regs.ttbr0), '--ttbr1', hx(regs.ttbr1)];
    args.push('--mair0', hx(regs.mair0), '--mair1', hx(regs.mair1), '--base', hx(kernel.ram.base), kernel.ram.path);
    const run = (extra: string[]) => {
      let stdout = '';
      let stderr = '';
      const io = {
        stdout: (s: string) => {
          stdout += s;
        },
        stderr: (s: string) => {
          stderr += s;
        },
        stderrIsTTY: false,
      };
      const code = main([...args, ...extra], io);
      return { code, stdout, stderr };
    };
    const t0 = Date.now();
    const json = run(['--json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    // ptdump's JSON (schema 1): the one dump of the document
    type Dump = { summary: { diagnostics: number; runs: number }; records: Record<string, unknown>[] };
    const doc = (JSON.parse(json.stdout) as { dumps: Dump[] }).dumps[0]!;
    expect(doc.summary.diagnostics).toBe(0);
    const text = run([]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('---[ summary ]---');
    console.log(`armmp-lpae on ${qemu.title}: ptdump listed ${doc.summary.runs} runs, 0 diagnostics [${Date.now() - t0} ms for both listings]`);
    if (checked !== undefined) {
      const listed = doc.records.filter((r) => r['kind'] === 'mapping').map((r) => `${r['vaddr']}-${r['end']} ${r['paddr']}`);
      expect(listed).toEqual(checked.runs.map((r) => `${hx(r.vaddr)}-${hx(r.end)} ${hx(r.paddr)}`));
    }
  }, 120_000);
});
