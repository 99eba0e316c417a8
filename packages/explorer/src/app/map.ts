// The address space as a picture: one lane per root (both halves of a sign-extended space, TTBR0 and TTBR1, PGDL
// and PGDH), each the root's whole virtual range drawn to scale on a canvas. Runs are coloured by effective
// permission, huge pages are drawn full height (4 KiB pages two thirds), audit findings get a red mark above.
// A lane zooms (wheel, buttons) from its whole range down to a few pages, and pans (drag). A run narrower than two
// pixels is drawn two pixels wide, so a single 4 KiB page in a 2^47-byte half stays visible.
//
// Positions are doubles counted in 4 KiB pages from the root's first address: below 2^52, so exact, and the
// drawing does no BigInt arithmetic per run (262,144 runs draw in a few milliseconds).
import { MappingFlags } from '@page-table-multiarch/core';
import { AUDIT_WX, type Opened } from '../shared/protocol';
import { addr, approxSize, runLineAudited } from './format';

const { WRITE, EXECUTE, USER, DEVICE, UNCACHED } = MappingFlags;

/** Colours by effective permission: [user][write][execute] for normal memory; device memory on its own. */
export const PALETTE = {
  kernelRo: '#7b8da6',
  kernelRw: '#3b78d8',
  kernelRx: '#2b9a66',
  userRo: '#b49a5a',
  userRw: '#e08a2c',
  userRx: '#8cc540',
  wx: '#d7263d',
  device: '#9b59d0',
} as const;

/** The palette's colours, indexed by {@link toneOf}. */
const TONES: readonly string[] = [PALETTE.kernelRo, PALETTE.kernelRw, PALETTE.kernelRx, PALETTE.userRo, PALETTE.userRw, PALETTE.userRx, PALETTE.wx, PALETTE.device];

/** The colour of a run with effective flags `f`, as an index into TONES (0..7). */
function toneOf(f: number): number {
  if (f & (DEVICE | UNCACHED)) return 7;
  const w = (f & WRITE) !== 0;
  const x = (f & EXECUTE) !== 0;
  if (w && x) return 6;
  return (f & USER ? 3 : 0) + (w ? 1 : x ? 2 : 0);
}

const LANE = 44; // px, the band the runs are drawn in
const LABEL = 26; // px above each band: the label, then room for the audit marks
const GAP = 6; // px below it
/** The narrowest view, in pages: a page is then a sixteenth of the lane. */
const MIN_SPAN = 16;
/** The narrowest run drawn, in pixels. */
const MIN_PX = 2;

interface Lane {
  /** The root's first address and its range in pages. */
  readonly base: bigint;
  readonly pages: number;
  /** Runs of this root: indices [first, end) of the columns. */
  readonly first: number;
  readonly end: number;
  /** The view: first page and pages shown. */
  start: number;
  span: number;
}

/** What the map reports when the pointer is over a place, or a place is clicked. */
export interface MapPlace {
  /** The virtual address under the pointer (the run's first page when the pointer is on a run drawn wider than it is). */
  readonly vaddr: bigint;
  /** The run there, or -1. */
  readonly run: number;
}

export class AddressMap {
  private readonly canvas: HTMLCanvasElement;
  private readonly tip: HTMLElement;
  private opened: Opened | undefined;
  private lanes: Lane[] = [];
  private drag: { lane: number; x: number; start: number } | undefined;

  /**
   * @param root the element that holds the map (a canvas and a tooltip are made inside it).
   * @param onPick called with the place clicked.
   */
  constructor(
    private readonly root: HTMLElement,
    private readonly onPick: (place: MapPlace) => void,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.id = 'map-canvas';
    this.tip = document.createElement('div');
    this.tip.className = 'map-tip';
    this.tip.hidden = true;
    root.append(this.canvas, this.tip);
    this.canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    this.canvas.addEventListener('mousemove', (e) => this.move(e));
    this.canvas.addEventListener('mouseleave', () => {
      this.tip.hidden = true;
      this.drag = undefined;
    });
    this.canvas.addEventListener('mousedown', (e) => {
      const at = this.laneAt(e);
      if (at) this.drag = { lane: at.lane, x: e.offsetX, start: this.lanes[at.lane]!.start };
    });
    this.canvas.addEventListener('mouseup', (e) => {
      const moved = this.drag !== undefined && Math.abs(e.offsetX - this.drag.x) > 3;
      this.drag = undefined;
      if (moved) return;
      const place = this.placeAt(e);
      if (place) this.onPick(place);
    });
    new ResizeObserver(() => this.draw()).observe(root);
  }

  /** Shows a newly opened source, every lane at its whole range. */
  show(o: Opened): void {
    this.opened = o;
    const r = o.runs;
    let i = 0;
    this.lanes = o.roots.map((root, k) => {
      const first = i;
      while (i < r.count && r.root[i] === k) i++;
      return { base: BigInt(root.vaStart), pages: root.pages, first, end: i, start: 0, span: root.pages };
    });
    this.root.dataset['runs'] = String(r.count);
    this.root.dataset['lanes'] = String(this.lanes.length);
    this.root.dataset['geometry'] = `${LABEL},${LANE},${GAP}`; // px: label, band, gap of each lane (for tests)
    this.draw();
  }

  /** Zooms lane `k` by `factor` (below 1 zooms in) around the page `at` (default: the middle of the view). */
  zoom(k: number, factor: number, at?: number): void {
    const lane = this.lanes[k];
    if (!lane) return;
    const centre = at ?? lane.start + lane.span / 2;
    const span = Math.min(lane.pages, Math.max(Math.min(MIN_SPAN, lane.pages), lane.span * factor));
    const rel = lane.span > 0 ? (centre - lane.start) / lane.span : 0.5;
    this.setView(k, centre - rel * span, span);
  }

  /** Shows pages [start, start + span) of lane `k` (clamped to the lane). */
  setView(k: number, start: number, span: number): void {
    const lane = this.lanes[k];
    if (!lane) return;
    lane.span = Math.min(lane.pages, Math.max(Math.min(MIN_SPAN, lane.pages), span));
    lane.start = Math.min(Math.max(0, start), lane.pages - lane.span);
    this.draw();
  }

  /** Every lane back to its whole range. */
  reset(): void {
    for (const lane of this.lanes) {
      lane.start = 0;
      lane.span = lane.pages;
    }
    this.draw();
  }

  /** Every lane zoomed to the pages from its first mapping to the end of its last (a lane without any: whole). */
  fit(): void {
    const r = this.opened?.runs;
    if (!r) return;
    this.lanes.forEach((lane, k) => {
      if (lane.first === lane.end) this.setView(k, 0, lane.pages);
      else {
        const from = r.start[lane.first]!;
        const to = r.start[lane.end - 1]! + r.pages[lane.end - 1]!;
        const margin = (to - from) / 50;
        this.setView(k, from - margin, to - from + 2 * margin);
      }
    });
  }

  /** Zooms the lane of `vaddr` in on it: `pages` pages around it. */
  focus(vaddr: bigint, pages: number): void {
    const k = this.lanes.findIndex((l) => vaddr >= l.base && vaddr < l.base + BigInt(l.pages) * 4096n);
    if (k < 0) return;
    const page = Number((vaddr - this.lanes[k]!.base) >> 12n);
    this.setView(k, page - pages / 2, pages);
  }

  /** The lane count, for the zoom buttons. */
  get laneCount(): number {
    return this.lanes.length;
  }

  draw(): void {
    const o = this.opened;
    const cv = this.canvas;
    const width = Math.max(200, this.root.clientWidth);
    const height = this.lanes.length * (LABEL + LANE + GAP);
    const dpr = window.devicePixelRatio || 1;
    cv.style.width = `${width}px`;
    cv.style.height = `${height}px`;
    cv.width = Math.round(width * dpr);
    cv.height = Math.round(height * dpr);
    const g = cv.getContext('2d');
    if (!g || !o) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.font = '12px ui-monospace, monospace';
    let drawn = 0;
    const views: string[] = [];
    this.lanes.forEach((lane, k) => {
      const top = k * (LABEL + LANE + GAP);
      const root = o.roots[k]!;
      const from = lane.base + BigInt(Math.floor(lane.start)) * 4096n;
      const to = lane.base + BigInt(Math.ceil(lane.start + lane.span)) * 4096n;
      g.fillStyle = '#222';
      g.textBaseline = 'top';
      g.fillText(`${root.label}  ${addr(from, o.addrDigits)} - ${addr(to, o.addrDigits)}  (${approxSize(to - from)} shown)`, 0, top + 2);
      g.fillStyle = '#f1f3f6';
      g.fillRect(0, top + LABEL, width, LANE);
      drawn += this.drawRuns(g, lane, top + LABEL, width);
      views.push(`${lane.start}+${lane.span}`);
    });
    this.root.dataset['drawn'] = String(drawn);
    this.root.dataset['view'] = views.join(' ');
  }

  /** Draws the runs of a lane that its view shows; returns how many. */
  private drawRuns(g: CanvasRenderingContext2D, lane: Lane, top: number, width: number): number {
    const r = this.opened!.runs;
    const scale = width / lane.span;
    const viewEnd = lane.start + lane.span;
    // the first run that ends after the view's start (runs are sorted and do not overlap)
    let lo = lane.first;
    let hi = lane.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r.start[mid]! + r.pages[mid]! <= lane.start) lo = mid + 1;
      else hi = mid;
    }
    let count = 0;
    // many runs in one pixel column (262,144 runs of W9 fall in the first pixel of their lane): each kind of
    // rectangle (colour, height, audit mark) is drawn once per column
    let lastPx = -1;
    let kinds = 0;
    for (let i = lo; i < lane.end && r.start[i]! < viewEnd; i++) {
      count++;
      const x0 = (r.start[i]! - lane.start) * scale;
      const w = Math.max(MIN_PX, r.pages[i]! * scale);
      const tone = toneOf(r.effective[i]!);
      const colour = TONES[tone]!;
      const huge = r.pageShift[i]! > 12;
      const px = Math.floor(x0);
      const marked = r.audit[i] !== 0;
      if (w <= MIN_PX) {
        const kind = 1 << (tone * 4 + (huge ? 2 : 0) + (marked ? 1 : 0));
        if (px !== lastPx) {
          lastPx = px;
          kinds = 0;
        }
        if (kinds & kind) continue;
        kinds |= kind;
      }
      const h = huge ? LANE : Math.round((LANE * 2) / 3);
      g.fillStyle = colour;
      g.fillRect(x0, top + LANE - h, w, h);
      if (huge && w >= 6) {
        g.fillStyle = 'rgba(255,255,255,0.35)';
        g.fillRect(x0, top, w, 4);
      }
      if (marked) {
        const mx = Math.min(Math.max(x0 + w / 2, 5), width - 5); // whole, even at the lane's ends
        g.fillStyle = PALETTE.wx;
        g.beginPath();
        g.moveTo(mx, top - 1);
        g.lineTo(mx - 5, top - 8);
        g.lineTo(mx + 5, top - 8);
        g.fill();
        if (r.audit[i]! & AUDIT_WX || w >= 3) {
          g.strokeStyle = PALETTE.wx;
          g.lineWidth = 1;
          g.strokeRect(x0 + 0.5, top + 0.5, Math.max(1, w - 1), LANE - 1);
        }
      }
    }
    return count;
  }

  private laneAt(e: MouseEvent): { lane: number; y: number } | undefined {
    const k = Math.floor(e.offsetY / (LABEL + LANE + GAP));
    const y = e.offsetY - k * (LABEL + LANE + GAP) - LABEL;
    if (k < 0 || k >= this.lanes.length || y < 0 || y > LANE) return undefined;
    return { lane: k, y };
  }

  /** The place under the pointer: the run drawn there (within 2 px, for runs drawn wider than they are) or the bare page. */
  private placeAt(e: MouseEvent): MapPlace | undefined {
    const at = this.laneAt(e);
    if (!at) return undefined;
    const lane = this.lanes[at.lane]!;
    const r = this.opened!.runs;
    const width = this.canvas.clientWidth;
    const scale = width / lane.span;
    const page = lane.start + e.offsetX / scale;
    const slack = 2 / scale;
    let lo = lane.first;
    let hi = lane.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (r.start[mid]! + Math.max(r.pages[mid]!, MIN_PX / scale) + slack <= page) lo = mid + 1;
      else hi = mid;
    }
    if (lo < lane.end && r.start[lo]! - slack <= page) {
      const inside = page >= r.start[lo]! && page < r.start[lo]! + r.pages[lo]!;
      const p = inside ? Math.floor(page) : r.start[lo]!;
      return { vaddr: lane.base + BigInt(p) * 4096n, run: lo };
    }
    return { vaddr: lane.base + BigInt(Math.min(Math.floor(page), lane.pages - 1)) * 4096n, run: -1 };
  }

  private wheel(e: WheelEvent): void {
    const at = this.laneAt(e);
    if (!at) return;
    e.preventDefault();
    const lane = this.lanes[at.lane]!;
    const page = lane.start + (e.offsetX / this.canvas.clientWidth) * lane.span;
    this.zoom(at.lane, e.deltaY > 0 ? 1.5 : 1 / 1.5, page);
  }

  private move(e: MouseEvent): void {
    if (this.drag) {
      const lane = this.lanes[this.drag.lane]!;
      const dx = e.offsetX - this.drag.x;
      this.setView(this.drag.lane, this.drag.start - (dx / this.canvas.clientWidth) * lane.span, lane.span);
      return;
    }
    const place = this.placeAt(e);
    const o = this.opened;
    if (!place || !o) {
      this.tip.hidden = true;
      return;
    }
    this.tip.textContent = place.run >= 0 ? runLineAudited(o, place.run) : `${addr(place.vaddr, o.addrDigits)}  not mapped`;
    this.tip.dataset['run'] = String(place.run);
    this.tip.hidden = false;
    const box = this.root.clientWidth;
    this.tip.style.left = `${Math.min(e.offsetX + 12, Math.max(0, box - 420))}px`;
    this.tip.style.top = `${e.offsetY + 16}px`;
  }
}
