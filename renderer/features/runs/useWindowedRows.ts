/**
 * Windowing for long lists with a fixed row height: only the rows in view (plus a margin) are
 * rendered, so 10,000 runs or 5,000 log lines cost the same as forty. Wide tables window their
 * columns too (`columnWindow`): a cell costs layout, style and paint whether it is on screen or
 * not, and a row of 20 params and 10 metrics is mostly off screen.
 */
import { type RefObject, useCallback, useLayoutEffect, useState } from 'react';

const OVERSCAN = 6;
/** Columns this far (px) left and right of the view are rendered too. */
const COLUMN_OVERSCAN_PX = 480;

export interface RowWindow {
  start: number;
  end: number;
  /** Space above and below the rendered rows, in px. */
  before: number;
  after: number;
  /** The horizontal view, in px, for `columnWindow`. */
  left: number;
  width: number;
}

export function useWindowedRows(
  scroller: RefObject<HTMLElement | null>,
  count: number,
  rowHeight: number,
): RowWindow {
  // Until measured, assume a large view: too many rows or columns for one frame, never too few.
  const [view, setView] = useState({ top: 0, height: 600, left: 0, width: 2000 });
  const measure = useCallback(() => {
    const el = scroller.current;
    if (el)
      setView({ top: el.scrollTop, height: el.clientHeight, left: el.scrollLeft, width: el.clientWidth });
  }, [scroller]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    measure();
    el.addEventListener('scroll', measure, { passive: true });
    const resize = new ResizeObserver(measure);
    resize.observe(el);
    return () => {
      el.removeEventListener('scroll', measure);
      resize.disconnect();
    };
  }, [scroller, measure]);

  const start = Math.max(0, Math.floor(view.top / rowHeight) - OVERSCAN);
  const end = Math.min(count, Math.ceil((view.top + view.height) / rowHeight) + OVERSCAN);
  return {
    start,
    end: Math.max(start, end),
    before: start * rowHeight,
    after: Math.max(0, (count - Math.max(start, end)) * rowHeight),
    left: view.left,
    width: view.width,
  };
}

/**
 * The columns `[start, end)` of `widths` that overlap the horizontal view (with a margin), for a
 * table whose windowed columns begin `offset` px from its left edge.
 */
export function columnWindow(
  widths: readonly number[],
  offset: number,
  view: { left: number; width: number },
): { start: number; end: number } {
  const from = view.left - COLUMN_OVERSCAN_PX - offset;
  const to = view.left + view.width + COLUMN_OVERSCAN_PX - offset;
  let x = 0;
  let start = widths.length;
  let end = widths.length;
  for (let i = 0; i < widths.length; i++) {
    const right = x + widths[i]!;
    if (start === widths.length && right > from) start = i;
    if (x >= to) {
      end = i;
      break;
    }
    x = right;
  }
  return { start: Math.min(start, end), end };
}
