import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
for (const [label, code, dir] of [
  ['new table', "export { X64PageTable } from '@page-table-multiarch/x86_64';", '/work/main/packages/consumer-test'],
  ['old table', "export { X64PageTable } from '@page-table-multiarch/x86_64';", '/work/wt-base/packages/consumer-test'],
  ['new PM', "export { PhysicalMemory } from '@page-table-multiarch/core';", '/work/main/packages/consumer-test'],
  ['mid table', "export { X64PageTable } from '@page-table-multiarch/x86_64';", '/work/wt-mid/packages/consumer-test'],
  ['old PM', "export { PhysicalMemory } from '@page-table-multiarch/core';", '/work/wt-base/packages/consumer-test'],
]) {
  const r = await build({ stdin: { contents: code, resolveDir: dir }, bundle: true, minify: true, format: 'esm', write: false, platform: 'neutral', mainFields: ['module','main'] });
  const t = r.outputFiles[0].contents;
  console.log(label, t.length, gzipSync(t, { level: 9 }).length);
}
