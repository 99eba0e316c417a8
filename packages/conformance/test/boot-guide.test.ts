// docs/boot-images.md, run as written: each ```ts example builds its tables and writes tables.bin and
// registers.json into a fresh folder (and prints what its `// comment` says), then QEMU boots a stub that loads
// those registers, turns the MMU on and writes a message through the mapped addresses (src/boot.ts). The message
// on the serial port is the proof that the CPU walked the generated tables; the same boot with every table zeroed
// (a negative control) must print only the marker the stub writes before it turns the MMU on.
import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { format, inspect } from 'node:util';
import * as aarch64 from '@page-table-multiarch/aarch64';
import * as arm from '@page-table-multiarch/arm';
import * as core from '@page-table-multiarch/core';
import * as riscv from '@page-table-multiarch/riscv';
import * as x86_64 from '@page-table-multiarch/x86_64';
import { afterAll, describe, expect, it } from 'vitest';
import { BOOT_MARKER, type BootArch, bootQemu, bootStub } from '../src/index';
import { onEveryQemu } from './_support';

const GUIDE = new URL('../../../docs/boot-images.md', import.meta.url);
const MODULES: Record<string, unknown> = {
  'node:fs': fs,
  'node:path': path,
  '@page-table-multiarch/core': core,
  '@page-table-multiarch/riscv': riscv,
  '@page-table-multiarch/aarch64': aarch64,
  '@page-table-multiarch/arm': arm,
  '@page-table-multiarch/x86_64': x86_64,
};

/** The guide's examples, by the architecture their heading names. */
function examples(): Map<BootArch, string> {
  const text = readFileSync(GUIDE, 'utf8');
  const found = new Map<BootArch, string>();
  const arches: Record<string, BootArch> = { 'RISC-V': 'riscv64', AArch64: 'aarch64', ARMv7: 'arm', x86_64: 'x86_64' };
  for (const m of text.matchAll(/^## (RISC-V|AArch64|ARMv7|x86_64) [^\n]*\n[\s\S]*?```ts\n([\s\S]*?)```/gm)) {
    found.set(arches[m[1]!]!, m[2]!);
  }
  return found;
}

/** Runs an example with its imports bound to the modules and OUT_DIR set; checks its `// value` comments. */
function runExample(code: string, out: string): void {
  const names: string[] = [];
  const values: unknown[] = [];
  for (const m of code.matchAll(/^import \{([^}]*)\} from '([^']+)';$/gm)) {
    const mod = MODULES[m[2]!] as Record<string, unknown> | undefined;
    expect(mod, `the guide imports ${m[2]}`).toBeDefined();
    for (const name of m[1]!.split(',').map((n) => n.trim()).filter((n) => n !== '')) {
      expect(mod![name], `${m[2]} exports ${name}`).toBeDefined();
      names.push(name);
      values.push(mod![name]);
    }
  }
  const printed: string[] = [];
  const body = code.replace(/^import .*$/gm, '');
  new Function(...names, 'process', 'console', body)(...values, { env: { OUT_DIR: out } }, { log: (...a: unknown[]) => printed.push(format(...a)) });
  const said = [...code.matchAll(/^\s*console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((m) => {
    try {
      return inspect(new Function(`return (${m[1]!.trim()});`)());
    } catch {
      return m[1]!.trim(); // not a JavaScript value: the printed words themselves
    }
  });
  expect(printed).toEqual(said);
}

/** The register values of registers.json. */
function readRegisters(out: string): Record<string, bigint> {
  const json = JSON.parse(readFileSync(path.join(out, 'registers.json'), 'utf8')) as Record<string, string>;
  return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, BigInt(v)]));
}

const MESSAGE = 'page tables work\n';
const work = mkdtempSync(path.join(tmpdir(), 'ptm-boot-guide-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('docs/boot-images.md', () => {
  it('has an example for riscv64, aarch64, arm (LPAE) and x86_64', () => {
    expect([...examples().keys()].sort()).toEqual(['aarch64', 'arm', 'riscv64', 'x86_64']);
  });
});

const QEMU: Record<BootArch, string> = {
  riscv64: 'qemu-system-riscv64',
  aarch64: 'qemu-system-aarch64',
  arm: 'qemu-system-arm',
  x86_64: 'qemu-system-x86_64',
};

for (const [arch, code] of examples()) {
  onEveryQemu(QEMU[arch], `boot-images guide: ${arch}`, (qemu) => {
    it('the example writes the files; the stub boots on its tables and prints through the mapped addresses', async () => {
      const out = fs.mkdtempSync(path.join(work, `${arch}-`));
      runExample(code, out);
      const registers = readRegisters(out);
      const tables = { bytes: new Uint8Array(readFileSync(path.join(out, 'tables.bin'))), base: registers['tables_base']! };
      expect(tables.bytes.length).toBeGreaterThan(0);
      const stub = bootStub(arch, registers, MESSAGE);
      const run = await bootQemu(qemu.binary(), arch, stub, tables, MESSAGE);
      expect(run.printed, `serial: ${JSON.stringify(run.serial)} stderr: ${run.stderr}`).toBe(true);
      expect(run.serial).toBe(`${BOOT_MARKER}${MESSAGE}`);
      // negative control: the same stub on zeroed tables runs (its marker comes) and faults once the MMU is on
      const zeroed = await bootQemu(qemu.binary(), arch, stub, { ...tables, bytes: new Uint8Array(tables.bytes.length) }, MESSAGE);
      expect(zeroed.serial, `stderr: ${zeroed.stderr}`).toBe(BOOT_MARKER);
      expect(zeroed.printed).toBe(false);
    }, 60_000);
  });
}
