// Register values as people have them at hand: pasted from QEMU's monitor (`info registers`: `CR3=0000000001a2b000`,
// ` satp     8000000000080201`), from gdb (`TTBR1_EL1      0x41a2b000`), or typed as ptdump options
// (`--cr3 0x100000`). Values are hexadecimal, with or without 0x, as QEMU and gdb print them.

/** The values found, by ptdump's option name, and the switches. */
export interface ParsedRegisters {
  readonly values: Readonly<Record<string, bigint>>;
  readonly switches: Readonly<Record<string, boolean>>;
}

function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Finds each register of `names` (ptdump's option names: `cr3`, `ttbr1`, `kernel-start`...) in `text`, in any case,
 * optionally with an `_EL1` / `_EL2` suffix (AArch64's system-register names), followed by `=`, `:` or spaces and a
 * hex value. A switch (`el2`, `xuantie`) is on when its name is a word of the text; `el2` is also on when a register
 * is written with `_EL2`. The first occurrence of a register wins.
 * @throws RangeError when a value does not fit 64 bits.
 */
export function parseRegisters(text: string, names: readonly string[], switches: readonly string[]): ParsedRegisters {
  const values: Record<string, bigint> = {};
  let el2 = false;
  for (const name of names) {
    const spelled = literal(name).replace(/-/g, '[-_]');
    const re = new RegExp(`(?:^|[^A-Za-z0-9_])(${spelled})(_EL[12])?\\s*[=:]?\\s*(?:0x)?([0-9a-f][0-9a-f_]*)(?![0-9a-z_])`, 'i');
    const m = re.exec(text);
    if (!m) continue;
    const value = BigInt(`0x${m[3]!.replace(/_/g, '')}`);
    if (value >= 1n << 64n) throw new RangeError(`${name}: 0x${value.toString(16)} does not fit 64 bits`);
    values[name] = value;
    if (m[2]?.toUpperCase() === '_EL2') el2 = true;
  }
  const on: Record<string, boolean> = {};
  for (const s of switches) {
    const word = new RegExp(`(?:^|[^A-Za-z0-9_])${literal(s)}(?![A-Za-z0-9_])`, 'i');
    on[s] = word.test(text) || (s === 'el2' && el2);
  }
  return { values, switches: on };
}

/** The values as `NAME=0x...`, in the order of `names`, for the page's header. */
export function formatRegisters(values: Readonly<Record<string, bigint>>, names: readonly string[]): string {
  return names
    .filter((n) => values[n] !== undefined)
    .map((n) => `${n.toUpperCase()}=0x${values[n]!.toString(16)}`)
    .join(' ');
}
