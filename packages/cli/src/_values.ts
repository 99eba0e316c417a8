// Numbers on the command line: register values, addresses and counts, read one way only.
import { CliError } from './_errors';

/**
 * Parses a register value or address: 0x / 0o / 0b / decimal, `_` allowed, in [0, 2^64). A value that could be
 * read two ways is refused rather than guessed: QEMU's `info registers` prints hex without `0x`
 * (`CR3=0000000002010000`), so digits with a leading zero, or with the letters a-f, and no prefix are an error
 * that says how to write them.
 */
export function parseValue(text: string, what: string): bigint {
  const s = text.trim().replace(/_/g, '').toLowerCase();
  if (/^-(0x[0-9a-f]+|0o[0-7]+|0b[01]+|[0-9]+)$/.test(s)) throw new CliError(`${what}: '${text}' is negative (values are unsigned, below 2^64)`);
  const prefixed = /^(0x[0-9a-f]+|0o[0-7]+|0b[01]+)$/.test(s);
  if (!prefixed && /^0[0-9]+$/.test(s)) {
    throw new CliError(
      `${what}: '${text}' has a leading zero and no prefix, so it could be hex (as QEMU's 'info registers' prints it) or decimal: write 0x${s} for hex, or the decimal number without its leading zeros`,
    );
  }
  if (!prefixed && /^[0-9a-f]*[a-f][0-9a-f]*$/.test(s)) throw new CliError(`${what}: '${text}' is not a number: hex needs the 0x prefix (0x${s})`);
  if (!/^(0x[0-9a-f]+|0o[0-7]+|0b[01]+|[0-9]+)$/.test(s)) throw new CliError(`${what}: '${text}' is not a number`);
  const v = BigInt(s);
  if (v >= 1n << 64n) throw new CliError(`${what}: ${text} does not fit in 64 bits`);
  return v;
}
