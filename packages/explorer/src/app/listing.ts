// The listing: ptdump's lines, one per run, filtered by address range and permissions, in a scrolling box that
// holds only the rows in view (and a few around them). A spacer as tall as all the rows gives the scroll bar its
// length (rows.ts: capped, and the position scaled, past 1.6 million rows); 262,144 runs are then a 4.7-million-pixel
// spacer and about 40 row elements, rewritten on each scroll.
import type { Opened } from '../shared/protocol';
import { filterRuns, type ListingFilter } from './filter';
import { runLineAudited, runStart } from './format';
import { rowWindow, spacerHeight } from './rows';

export class Listing {
  private opened: Opened | undefined;
  private rows: Uint32Array = new Uint32Array(0);
  private readonly spacer: HTMLElement;
  private readonly body: HTMLElement;
  private pending = false;

  /**
   * @param box the scrolling element (its height is set by the CSS).
   * @param onPick called with the first address of a run clicked.
   */
  constructor(
    private readonly box: HTMLElement,
    private readonly onPick: (vaddr: bigint) => void,
  ) {
    this.spacer = document.createElement('div');
    this.spacer.className = 'spacer';
    this.body = document.createElement('div');
    this.body.className = 'rows';
    this.spacer.append(this.body);
    box.append(this.spacer);
    box.addEventListener('scroll', () => this.schedule());
    this.body.addEventListener('click', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('[data-run]');
      if (row && this.opened) this.onPick(runStart(this.opened, Number(row.dataset['run'])));
    });
  }

  /** Shows the runs of `o` that pass `f`, from the top. */
  show(o: Opened, f: ListingFilter): void {
    this.opened = o;
    this.rows = filterRuns(o, f);
    this.spacer.style.height = `${spacerHeight(this.rows.length)}px`;
    this.box.dataset['rows'] = String(this.rows.length);
    this.box.scrollTop = 0;
    this.render();
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  /** Writes the rows in view (and a few around them), nothing else. */
  private render(): void {
    const o = this.opened;
    if (!o) return;
    const { first, end, top } = rowWindow(this.rows.length, this.box.scrollTop, this.box.clientHeight);
    this.body.style.transform = `translateY(${top}px)`;
    const lines: HTMLElement[] = [];
    for (let k = first; k < end; k++) {
      const i = this.rows[k]!;
      const line = document.createElement('div');
      line.className = o.runs.audit[i] ? 'row finding' : 'row';
      line.dataset['run'] = String(i);
      line.dataset['row'] = String(k);
      line.textContent = runLineAudited(o, i);
      lines.push(line);
    }
    this.body.replaceChildren(...lines);
    this.box.dataset['first'] = String(first);
    this.box.dataset['rendered'] = String(lines.length);
  }
}
