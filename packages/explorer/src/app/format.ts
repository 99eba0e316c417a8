// How the page writes addresses, sizes, permissions and runs: the same columns as ptdump's listing, so that what the
// page shows can be compared with `pnpm ptdump` line for line.
import { addr, permText, sizeText } from '@page-table-multiarch/cli/listing';
import { formatFlags } from '@page-table-multiarch/core';
import { AUDIT_EXEC_DEVICE, AUDIT_USER_EXEC_KERNEL, AUDIT_WX, type Opened } from '../shared/protocol';

export { addr, approxSize, permText, sizeText } from '@page-table-multiarch/cli/listing';

const ALL = 63; // every MappingFlags bit (READ..UNCACHED)

/** The audit findings of a run, named as core's audit names them. */
export function auditText(bits: number): string {
  const out: string[] = [];
  if (bits & AUDIT_WX) out.push('W+X');
  if (bits & AUDIT_USER_EXEC_KERNEL) out.push('UserExecKernel');
  if (bits & AUDIT_EXEC_DEVICE) out.push('ExecDevice');
  return out.join(' ');
}

/** First virtual address of run `i`. */
export function runStart(o: Opened, i: number): bigint {
  return BigInt(o.roots[o.runs.root[i]!]!.vaStart) + BigInt(o.runs.start[i]!) * 4096n;
}

/** One line of run `i`, as ptdump writes it: range, size, page size, permissions, physical address, level, bits. */
export function runLine(o: Opened, i: number): string {
  const r = o.runs;
  const start = runStart(o, i);
  const size = BigInt(r.pages[i]!) * 4096n;
  const d = o.addrDigits;
  const range = `${addr(start, d)}-${addr(start + size, d)}`;
  const page = sizeText(1n << BigInt(r.pageShift[i]!)).padStart(4);
  const level = (o.levelNames[r.level[i]!] ?? `L${r.level[i]}`).padEnd(5);
  const own = r.flags[i]!;
  const eff = r.effective[i]!;
  const entry = own !== eff ? `  [entry: ${permText(own).trim().replace(/\s+/g, ' ')}]` : '';
  return `${range} ${sizeText(size).padStart(7)} ${page}  ${permText(eff)} -> ${addr(BigInt(r.paddr[i]!), d)} ${level} ${r.attrNames[r.attrs[i]!] ?? ''}${entry}`.trimEnd();
}

/** Run `i`'s line with its audit findings after it (`  !! W+X`), as the listing and the map's tooltip show it. */
export function runLineAudited(o: Opened, i: number): string {
  const audit = o.runs.audit[i]!;
  return audit ? `${runLine(o, i)}  !! ${auditText(audit)}` : runLine(o, i);
}

/** A hex address as typed: with or without 0x, with `_` separators; undefined when it is not one below 2^64. */
export function parseAddress(text: string): bigint | undefined {
  const t = text.trim().replace(/_/g, '').toLowerCase();
  if (!/^(0x)?[0-9a-f]{1,16}$/.test(t)) return undefined;
  return BigInt(t.startsWith('0x') ? t : `0x${t}`);
}

/** What a table entry's limit takes away, in words: `kernel: WRITE; user: WRITE | EXECUTE`, or ''. */
export function limitText(limit: number): string {
  if (limit < 0) return '';
  const kernel = ALL & ~(limit & ALL);
  const user = ALL & ~((limit >>> 8) & ALL);
  if (kernel === 0 && user === 0) return 'takes nothing away from the levels below';
  const part = (who: string, f: number) => (f === 0 ? '' : `${who} mappings lose ${formatFlags(f)}`);
  return `below this entry: ${[part('kernel', kernel), part('user', user)].filter(Boolean).join('; ')}`;
}
