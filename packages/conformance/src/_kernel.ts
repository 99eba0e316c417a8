// Booting a distribution kernel (install-kernels.mjs puts it in the cache folder) in QEMU until its console says
// it reached a known point, and stopping it there: the page tables of a real system, for the tests to read.
// Guest RAM is a file QEMU maps shared (memory-backend-file, share=on), so once the guest is stopped the file is
// an exact raw image of its physical memory: the tables are read from it without a copy, and ptdump lists it.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir, type Qemu, startQemu } from './_qemu';

/** The folder of kernel `name` installed by install-kernels.mjs (`kernels/<name>` in {@link cacheDir}). */
export function kernelDir(name: string): string {
  return join(cacheDir(), 'kernels', name);
}

/** The kernel image of kernel `name`, or null when it is not installed (or its install did not finish). */
export function findKernel(name: string): string | null {
  const dir = kernelDir(name);
  return existsSync(join(dir, '.complete')) && existsSync(join(dir, 'vmlinuz')) ? join(dir, 'vmlinuz') : null;
}

/** The Debian package and version of an installed kernel ("linux-image-6.1.0-50-armmp-lpae 6.1.176-1"). */
export function kernelVersion(name: string): string {
  return readFileSync(join(kernelDir(name), 'version'), 'utf8').split('\n')[0]!.trim();
}

/** What to boot, and until when. */
export interface KernelBootOptions {
  /** Absolute path of the emulator. */
  readonly binary: string;
  /** Machine and CPU arguments (e.g. ['-M', 'virt', '-cpu', 'cortex-a15']); RAM is added. */
  readonly machine: readonly string[];
  /** The kernel image (`-kernel`). */
  readonly kernel: string;
  /** The kernel command line (`-append`). */
  readonly append: string;
  /** Physical address where the machine puts RAM. */
  readonly ramBase: bigint;
  /** MiB of RAM. */
  readonly ramMiB: number;
  /** Text the kernel writes on its console at the point where it is stopped. */
  readonly marker: string;
  /** How long the boot may take to reach the marker. */
  readonly timeoutMs: number;
}

/** A kernel stopped at its marker. */
export interface BootedKernel {
  readonly qemu: Qemu;
  /** Guest RAM as a raw image: the file, and the physical address and size of its bytes. */
  readonly ram: { readonly path: string; readonly base: bigint; readonly size: number };
  /** Milliseconds from starting QEMU to the marker on the console. */
  readonly bootMs: number;
  /** What the kernel wrote on its console. */
  readonly console: () => string;
  /** Stops QEMU and removes the RAM file. Safe to call twice. */
  readonly close: () => Promise<void>;
}

/** A folder for the RAM file: in memory (/dev/shm) where there is one, else the temporary folder. */
function ramFolder(): string {
  const shm = '/dev/shm';
  const parent = existsSync(shm) && statSync(shm).isDirectory() ? shm : tmpdir();
  try {
    return mkdtempSync(join(parent, 'ptm-kernel-'));
  } catch {
    return mkdtempSync(join(tmpdir(), 'ptm-kernel-'));
  }
}

/**
 * Boots the kernel with guest RAM in a file and its first serial port logged to a file, waits until the console
 * shows `marker`, and stops the guest there (through the gdb stub). Throws, with the end of the console log, when
 * the marker does not come within `timeoutMs`.
 */
export async function bootKernel(options: KernelBootOptions): Promise<BootedKernel> {
  const dir = ramFolder();
  const ramPath = join(dir, 'ram');
  const serial = join(dir, 'console.log');
  const size = options.ramMiB * 2 ** 20;
  const readConsole = (): string => (existsSync(serial) ? readFileSync(serial, 'latin1') : '');
  const t0 = Date.now();
  let qemu: Qemu;
  try {
    qemu = await startQemu({
      binary: options.binary,
      machine: [
        ...options.machine,
        '-m',
        `${options.ramMiB}M`,
        '-object',
        `memory-backend-file,id=ram,size=${options.ramMiB}M,mem-path=${ramPath},share=on`,
        '-machine',
        'memory-backend=ram',
        '-kernel',
        options.kernel,
        '-append',
        options.append,
      ],
      images: [],
      serial,
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const close = async (): Promise<void> => {
    await qemu.close();
    rmSync(dir, { recursive: true, force: true });
  };
  // the console is polled: QEMU writes it as the guest sends it
  let timer: ReturnType<typeof setInterval> | undefined;
  let seenAt = 0;
  const seen = new Promise<void>((resolve, reject) => {
    timer = setInterval(() => {
      if (readConsole().includes(options.marker)) {
        seenAt = Date.now();
        resolve();
      } else if (Date.now() - t0 > options.timeoutMs) {
        reject(new Error('timeout'));
      }
    }, 50);
  });
  try {
    await qemu.gdb.contUntil(seen);
  } finally {
    clearInterval(timer);
  }
  if (seenAt === 0) {
    const tail = readConsole().split('\n').slice(-15).join('\n');
    await close();
    throw new Error(`the kernel did not reach "${options.marker}" within ${options.timeoutMs} ms; console ends with:\n${tail}\n${qemu.stderr()}`);
  }
  return { qemu, ram: { path: ramPath, base: options.ramBase, size }, bootMs: seenAt - t0, console: readConsole, close };
}
