// Which rows of a virtual list are in view, for a scroll position. Below MAX_HEIGHT the spacer is rows x ROW pixels
// and a row sits where its index says. Browsers cap an element's height (Chromium near 33.5 million pixels, 1.86
// million rows of 18 px), so above it the spacer stays MAX_HEIGHT tall and the scroll position is scaled: the top of
// the bar shows the first row, the bottom the last ones, and the rows in view are drawn at the viewport.

/** Pixels per row (the CSS gives rows this height). */
export const ROW = 18;
/** The tallest spacer used, under every browser's cap on an element's height. */
export const MAX_HEIGHT = 30_000_000;
/** Rows drawn above and below the visible ones. */
const OVERSCAN = 8;

/** The spacer's height for `rows` rows. */
export function spacerHeight(rows: number): number {
  return Math.min(rows * ROW, MAX_HEIGHT);
}

/** The rows to draw for a scroll position, and the offset (px, in the spacer) at which the first of them goes. */
export interface RowWindow {
  readonly first: number;
  readonly end: number;
  readonly top: number;
}

/** The rows in view (and OVERSCAN around them) of `rows` rows scrolled to `scrollTop` in a box `view` px high. */
export function rowWindow(rows: number, scrollTop: number, view: number): RowWindow {
  const visible = Math.ceil(view / ROW);
  if (rows * ROW <= MAX_HEIGHT) {
    const first = Math.max(0, Math.floor(scrollTop / ROW) - OVERSCAN);
    return { first, end: Math.min(rows, Math.ceil((scrollTop + view) / ROW) + OVERSCAN), top: first * ROW };
  }
  const range = Math.max(1, MAX_HEIGHT - view);
  const first = Math.min(rows - visible, Math.round((Math.min(scrollTop, range) / range) * (rows - visible)));
  return { first, end: Math.min(rows, first + visible + 1), top: scrollTop };
}
