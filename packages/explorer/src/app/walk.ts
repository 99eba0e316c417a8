// A walk, level by level: for each entry read, its table and index (and which address bits chose it), its address and
// raw bits, every field named and highlighted on a strip of the entry's bits, what a table entry takes away from the
// levels below it, then the result: the physical address, or where the walk stopped and why.
import type { FieldInfo, Opened, Walked, WalkStep } from '../shared/protocol';
import { addr, limitText, permText, sizeText } from './format';

/** Hues for the fields of an entry, in turn; address fields are always the first. */
const HUES = ['#d9e8fb', '#fde2c8', '#d6f0dc', '#f3d9f5', '#fff1b8', '#d8f1f1', '#f8d7da', '#e6e0f8'];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...kids);
  return node;
}

/** The entry's bits, highest first, each cell coloured by the field it belongs to. */
function bitStrip(step: WalkStep): HTMLElement {
  const width = step.entryBytes * 8;
  const owner = new Array<number>(width).fill(-1);
  step.fields.forEach((fd, k) => {
    for (const p of fd.positions) if (p < width) owner[p] = k;
  });
  const strip = el('div', { className: 'bits' });
  let hue = 0;
  const hueOf = new Map<number, string>();
  for (let i = width - 1; i >= 0; i--) {
    const set = i >= 32 ? (step.hi >>> (i - 32)) & 1 : (step.lo >>> i) & 1;
    const k = owner[i]!;
    const cell = el('span', { textContent: String(set), title: k >= 0 ? `bit ${i}: ${step.fields[k]!.name}` : `bit ${i}` });
    if (k >= 0) {
      let c = hueOf.get(k);
      if (c === undefined) {
        c = step.fields[k]!.address ? '#cfe0ff' : HUES[1 + (hue++ % (HUES.length - 1))]!;
        hueOf.set(k, c);
      }
      cell.style.background = c;
    }
    if (set) cell.className = 'on';
    if (i % 4 === 0 && i > 0) cell.classList.add('nibble');
    strip.append(cell);
  }
  return strip;
}

function fieldRow(fd: FieldInfo): HTMLTableRowElement {
  const bits = fd.positions.length === fd.msb - fd.lsb + 1 ? (fd.msb === fd.lsb ? `${fd.msb}` : `${fd.msb}:${fd.lsb}`) : fd.positions.join(',');
  const row = el('tr', { className: fd.set ? 'set' : '' }, el('td', { textContent: fd.name }), el('td', { textContent: bits }), el('td', { textContent: fd.value }), el('td', { textContent: fd.meaning }), el('td', { className: 'cite', textContent: fd.section }));
  row.dataset['field'] = fd.name;
  return row;
}

function stepView(step: WalkStep, k: number, last: boolean): HTMLElement {
  const hex = step.entryBytes === 8 ? `0x${(step.hi >>> 0).toString(16).padStart(8, '0')}${(step.lo >>> 0).toString(16).padStart(8, '0')}` : `0x${(step.lo >>> 0).toString(16).padStart(8, '0')}`;
  const [msb, lsb] = step.vaBits;
  const kind = !step.present ? 'not present' : step.leaf ? 'maps memory (leaf)' : 'points at the next table';
  const box = el(
    'div',
    { className: `step ${step.present ? (step.leaf ? 'leaf' : 'table') : 'absent'}` },
    el('div', { className: 'step-head' }, el('b', { textContent: `${k + 1}. ${step.levelName}[${step.index}]` }), ` table at ${step.tableBase}; index = VA[${msb}:${lsb}] = ${step.index}; entry at ${step.entryPaddr} = `, el('b', { textContent: hex }), ` ${kind}`),
  );
  box.dataset['level'] = String(step.level);
  box.dataset['index'] = String(step.index);
  box.dataset['entry'] = hex;
  box.dataset['entryPaddr'] = step.entryPaddr;
  box.append(bitStrip(step));
  const table = el('table', { className: 'fields' }, el('tr', {}, el('th', { textContent: 'field' }), el('th', { textContent: 'bits' }), el('th', { textContent: 'value' }), el('th', { textContent: 'meaning' }), el('th', { textContent: 'manual' })));
  for (const fd of step.fields) table.append(fieldRow(fd));
  // every field of the last entry read is shown; those of the tables above it on request
  const details = el('details', { open: last }, el('summary', { textContent: `fields${step.describe ? ` (set: ${step.describe})` : ''}` }), table);
  box.append(details);
  const lim = limitText(step.limit);
  if (lim) box.append(el('div', { className: 'limit', textContent: lim }));
  return box;
}

/** The result line: where the address goes, or where and why the walk stopped. */
function resultView(o: Opened, w: Walked): HTMLElement {
  const root = w.root >= 0 ? o.roots[w.root]! : undefined;
  const via = root ? ` through ${root.label} (table at ${root.table})` : '';
  let text: string;
  if (w.mapped) {
    const own = w.flags ?? 0;
    const eff = w.effective ?? 0;
    const entry = own !== eff ? ` (the leaf alone: ${permText(own).trim().replace(/\s+/g, ' ')})` : '';
    text = `${addr(BigInt(w.vaddr), o.addrDigits)} -> ${addr(BigInt(w.paddr!), o.addrDigits)}: a ${sizeText(BigInt(w.pageSize!))} page at ${o.levelNames[w.level!]}${via}; effective ${permText(eff).trim().replace(/\s+/g, ' ')}${entry}`;
  } else {
    text = `${addr(BigInt(w.vaddr), o.addrDigits)} faults${via}: ${w.reason ?? 'not mapped'}`;
  }
  const out = el('div', { className: w.mapped ? 'result mapped' : 'result fault', textContent: text });
  out.id = 'walk-result';
  out.dataset['mapped'] = String(w.mapped);
  out.dataset['steps'] = String(w.steps.length);
  if (w.paddr !== undefined) out.dataset['paddr'] = w.paddr;
  return out;
}

/** Renders a walk into `root` (replacing what was there). */
export function showWalk(root: HTMLElement, o: Opened, w: Walked): void {
  root.replaceChildren(resultView(o, w), ...w.steps.map((s, k) => stepView(s, k, k === w.steps.length - 1)));
  root.dataset['vaddr'] = w.vaddr;
}
