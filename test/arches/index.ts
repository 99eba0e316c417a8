import type { ArchCase, CodecCase } from '../support/arch-case';

// Every architecture adds one file beside this one; nothing here lists them.
const modules = import.meta.glob<{ cases?: ArchCase[]; codecs?: CodecCase[] }>('./*.ts', { eager: true });

export const ARCHES: ArchCase[] = [];
export const CODECS: CodecCase[] = [];
for (const [path, mod] of Object.entries(modules)) {
  if (path.endsWith('/index.ts')) continue;
  ARCHES.push(...(mod.cases ?? []));
  CODECS.push(...(mod.codecs ?? []));
}
ARCHES.sort((a, b) => a.name.localeCompare(b.name));
