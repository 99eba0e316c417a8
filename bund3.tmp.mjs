import { build, transform } from 'esbuild';
async function sizes(dir) {
  const r = await build({ stdin: { contents: "export { X64PageTable } from '@page-table-multiarch/x86_64';", resolveDir: dir }, bundle: true, minify: false, format: 'esm', write: false, platform: 'neutral', mainFields: ['module','main'] });
  const text = r.outputFiles[0].text;
  const lines = text.split('\n');
  const chunks = new Map(); let name = null; let buf = [];
  const flush = async () => { if (name) { const m = await transform(buf.join('\n'), { minify: true, loader: 'js' }).catch(() => ({ code: buf.join('\n') })); chunks.set(name, (chunks.get(name) ?? 0) + m.code.length); } };
  for (const l of lines) {
    const m = /^(?:var|function|class|async function) ([\w$]+)/.exec(l);
    if (m) { await flush(); name = m[1]; buf = [l]; } else buf.push(l);
  }
  await flush();
  return chunks;
}
const a = await sizes('/work/wt-mid/packages/consumer-test');
const b = await sizes('/work/main/packages/consumer-test');
const names = new Set([...a.keys(), ...b.keys()]);
const rows = [...names].map((n) => [n, a.get(n) ?? 0, b.get(n) ?? 0]).sort((x, y) => (y[2] - y[1]) - (x[2] - x[1]));
let ta = 0, tb = 0; for (const [, x, y] of rows) { ta += x; tb += y; }
console.log('total', ta, tb);
for (const r of rows.slice(0, 30)) console.log(r.join('\t'));
console.log('...'); for (const r of rows.slice(-15)) console.log(r.join('\t'));
