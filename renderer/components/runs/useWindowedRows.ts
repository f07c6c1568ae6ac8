/**
 * Windowing for long lists with a fixed row height: only the rows in view (plus a margin) are
 * rendered, so 10,000 runs or 5,000 log lines cost the same as forty.
 */
import { type RefObject, useCallback, useLayoutEffect, useState } from 'react';

const OVERSCAN = 12;

export interface RowWindow {
  start: number;
  end: number;
  /** Space above and below the rendered rows, in px. */
  before: number;
  after: number;
}

export function useWindowedRows(
  scroller: RefObject<HTMLElement | null>,
  count: number,
  rowHeight: number,
): RowWindow {
  const [view, setView] = useState({ top: 0, height: 600 });
  const measure = useCallback(() => {
    const el = scroller.current;
    if (el) setView({ top: el.scrollTop, height: el.clientHeight });
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
  };
}
