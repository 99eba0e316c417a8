// The page: the load panel, what is open, and the panels. All reading of tables happens in the worker
// (src/worker); the page keeps the runs it was sent and draws them. The first sample (x86_64) opens at start: the
// embedded default.
import type { Opened, Reply, Request } from '../shared/protocol';
import { SAMPLES } from '../shared/samples';
import type { ListingFilter, Tri } from './filter';
import { parseAddress, runStart } from './format';
import { Listing } from './listing';
import { AddressMap, PALETTE } from './map';
import { teach } from './teach';
import { showWalk } from './walk';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const status = $<HTMLElement>('status');
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let openStarted = 0;
let opened: Opened | undefined;
let walkId = 0;

const map = new AddressMap($('map'), (place) => walk(`0x${place.vaddr.toString(16)}`));
const listing = new Listing($('listing'), (vaddr) => {
  walk(`0x${vaddr.toString(16)}`);
  map.focus(vaddr, 4096);
});

function filterOf(): ListingFilter {
  const value = (id: string) => $<HTMLInputElement | HTMLSelectElement>(id).value;
  return {
    from: value('f-from'),
    to: value('f-to'),
    write: value('f-write') as Tri,
    exec: value('f-exec') as Tri,
    user: value('f-user') as Tri,
    device: value('f-device') as Tri,
    audit: $<HTMLInputElement>('f-audit').checked,
  };
}

/** Applies the filter fields to the listing. */
function refilter(): void {
  if (!opened) return;
  try {
    listing.show(opened, filterOf());
    $('f-count').textContent = `${$('listing').dataset['rows']} of ${opened.runs.count} runs`;
  } catch (err) {
    $('f-count').textContent = err instanceof Error ? err.message : String(err);
  }
}

function setStatus(text: string, state: 'loading' | 'ready' | 'error'): void {
  status.textContent = text;
  status.dataset['state'] = state;
}

function send(req: Request): void {
  worker.postMessage(req);
}

function open(req: Request): void {
  openStarted = performance.now();
  setStatus('reading the tables...', 'loading');
  send(req);
}

/** Asks the worker to walk `text` (a hex address); the answer replaces the walk panel. */
function walk(text: string): void {
  const va = parseAddress(text);
  if (va === undefined) {
    setStatus(`"${text}" is not a hex address below 2^64`, 'error');
    return;
  }
  $<HTMLInputElement>('walk-va').value = `0x${va.toString(16)}`;
  $('walk').dataset['state'] = 'walking';
  send({ type: 'walk', id: ++walkId, vaddr: `0x${va.toString(16)}` });
  $('walk').dataset['asked'] = String(walkId);
}

function showOpened(o: Opened): void {
  opened = o;
  const t0 = performance.now();
  map.show(o);
  const drawMs = performance.now() - t0;
  refilter();
  const diag = $('diagnostics');
  diag.hidden = o.diagnostics.length === 0;
  diag.textContent = o.diagnostics
    .slice(0, 200)
    .map((d) => `!! ${d.vaddr} ${d.code}: ${d.message}`)
    .join('\n');
  $('teach').replaceChildren(...(o.sample ? teach(o.arch) : []));
  const total = performance.now() - openStarted;
  const about = $('about');
  const tables = o.summary.tables.map((n, l) => `${o.levelNames[l]} ${n}`).join(', ');
  about.textContent = [
    `${o.format} (${o.arch}) in ${o.title}`,
    `registers: ${o.registers}`,
    ...o.notes.map((n) => `note: ${n}`),
    `${o.summary.runs} runs, ${o.summary.pages} pages, ${o.summary.bytes} bytes mapped; tables: ${tables}; ${o.diagnostics.length} diagnostics`,
    `audit: ${o.audit.wx} W+X, ${o.audit.userExecKernel} user-executable kernel, ${o.audit.execDevice} executable device; ${o.audit.line}`,
  ].join('\n');
  status.dataset['readMs'] = o.readMs.toFixed(1);
  status.dataset['fileMs'] = o.fileMs.toFixed(1);
  status.dataset['drawMs'] = drawMs.toFixed(1);
  status.dataset['openMs'] = total.toFixed(1);
  status.dataset['arch'] = o.arch;
  setStatus(`opened in ${total.toFixed(0)} ms (tables read in ${o.readMs.toFixed(0)} ms, ${o.fileMs.toFixed(0)} of them in file reads; map drawn in ${drawMs.toFixed(0)} ms)`, 'ready');
  // a first walk to look at: the last run (on the samples, a kernel mapping, or the top of the user stack)
  $('walk').replaceChildren();
  if (o.runs.count > 0) walk(`0x${runStart(o, o.runs.count - 1).toString(16)}`);
}

worker.onmessage = (event: MessageEvent<Reply>) => {
  const reply = event.data;
  if (reply.type === 'opened') showOpened(reply);
  else if (reply.type === 'walked') {
    if (reply.id !== walkId || !opened) return; // an answer to a walk asked before the last one
    showWalk($('walk'), opened, reply);
    $('walk').dataset['state'] = 'done';
    $('walk').dataset['answered'] = String(reply.id);
  }
  else if (reply.type === 'failed') {
    if (reply.request === 'walk') $('walk').dataset['state'] = 'error';
    setStatus(`${reply.request === 'open' ? 'could not open' : 'could not walk'}: ${reply.message}`, 'error');
  }
};
worker.onerror = (e) => setStatus(`the worker failed: ${e.message}`, 'error');

// the load panel
const sample = $<HTMLSelectElement>('sample');
const fileArch = $<HTMLSelectElement>('file-arch');
for (const [arch, label] of SAMPLES) {
  sample.add(new Option(label, arch));
  fileArch.add(new Option(arch, arch));
}
sample.addEventListener('change', () => open({ type: 'open-sample', arch: sample.value }));
$('open-file').addEventListener('click', () => {
  const file = $<HTMLInputElement>('file').files?.[0];
  if (!file) {
    setStatus('choose a file first', 'error');
    return;
  }
  open({
    type: 'open-file',
    file,
    arch: fileArch.value,
    registers: $<HTMLTextAreaElement>('registers').value,
    base: $<HTMLInputElement>('file-base').value,
    format: $<HTMLSelectElement>('file-format').value as 'auto' | 'raw' | 'elf',
  });
});

$('filter').addEventListener('input', refilter);
$('filter').addEventListener('submit', (e) => e.preventDefault());
$('walk-form').addEventListener('submit', (e) => {
  e.preventDefault();
  walk($<HTMLInputElement>('walk-va').value);
});

// the map's tools
const lane = () => Math.max(0, map.laneCount - 1);
$('zoom-in').addEventListener('click', () => {
  for (let k = 0; k <= lane(); k++) map.zoom(k, 1 / 4);
});
$('zoom-out').addEventListener('click', () => {
  for (let k = 0; k <= lane(); k++) map.zoom(k, 4);
});
$('zoom-reset').addEventListener('click', () => map.reset());
$('zoom-fit').addEventListener('click', () => map.fit());
const legend: readonly (readonly [string, string])[] = [
  [PALETTE.kernelRo, 'kernel ro'],
  [PALETTE.kernelRw, 'kernel RW'],
  [PALETTE.kernelRx, 'kernel RX'],
  [PALETTE.userRo, 'user ro'],
  [PALETTE.userRw, 'user RW'],
  [PALETTE.userRx, 'user RX'],
  [PALETTE.wx, 'W+X (audit)'],
  [PALETTE.device, 'device / uncached'],
];
$('legend').innerHTML = `${legend.map(([c, t]) => `<span><i style="background:${c}"></i>${t}</span>`).join('')}<span>full height: huge page, two thirds: 4 KiB page; red mark: audit finding</span>`;

open({ type: 'open-sample', arch: SAMPLES[0]![0] });
