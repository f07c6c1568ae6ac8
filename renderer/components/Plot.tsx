/**
 * A plotly.js figure (loaded on first use) as wide as its container, redrawn in place with
 * Plotly.react when its data change. The charts of evaluations draw through it; the run metric
 * charts share its width measurement.
 */
import { useEffect, useRef, useState } from 'react';
import { loadPlotly } from './plotly.ts';

type Figure = Parameters<Awaited<ReturnType<typeof loadPlotly>>['react']>;

/** Axis and paper defaults every chart of the app uses. */
export const AXIS = {
  zeroline: false,
  linecolor: '#c9ced6',
  gridcolor: '#eef0f3',
  tickfont: { size: 10, color: '#646c78' },
};

export function Plot(props: {
  label: string;
  data: Figure[1];
  layout: Figure[2];
  /** Fixed, or the container's width when left out (measured, redrawn on resize). */
  width?: number;
  height: number;
  testId?: string;
  className?: string;
  /** How many points it draws, as `data-points`, for tests to wait on. */
  points?: number;
  /** Plotly's `plotly_relayout` events (a zoom, a reset), once the figure is drawn. */
  onRelayout?: (event: Record<string, unknown>) => void;
}) {
  const el = useRef<HTMLDivElement>(null);
  const onRelayout = useRef(props.onRelayout);
  onRelayout.current = props.onRelayout;
  const listening = useRef(false);
  const measured = useContainerWidth(el, props.width === undefined);
  const width = props.width ?? measured;
  const { data, layout, height } = props;
  useEffect(() => {
    const node = el.current;
    if (!node || !width) return;
    let disposed = false;
    void loadPlotly().then((Plotly) => {
      if (disposed) return;
      void Plotly.react(
        node,
        data,
        {
          width,
          height,
          margin: { l: 56, r: 12, t: 8, b: 44 },
          paper_bgcolor: 'rgba(0,0,0,0)',
          plot_bgcolor: 'rgba(0,0,0,0)',
          hoverlabel: { font: { size: 11 } },
          // Inside the plot, bottom right, where curves of this kind leave room.
          legend: {
            x: 0.98,
            xanchor: 'right',
            y: 0.04,
            yanchor: 'bottom',
            bgcolor: 'rgba(255,255,255,0.8)',
            font: { size: 11 },
          },
          ...layout,
        },
        { displayModeBar: false, responsive: false },
      ).then((figure) => {
        // Once per element: Plotly.react keeps the listeners of the figure it redraws.
        if (listening.current || disposed) return;
        listening.current = true;
        figure.on('plotly_relayout', (event) => onRelayout.current?.(event as Record<string, unknown>));
      });
    });
    return () => {
      disposed = true;
    };
  }, [data, layout, width, height]);
  useEffect(() => {
    const node = el.current;
    return () => {
      listening.current = false;
      if (node) void loadPlotly().then((Plotly) => Plotly.purge(node));
    };
  }, []);
  return (
    <div
      ref={el}
      className={props.className}
      role="img"
      aria-label={props.label}
      data-testid={props.testId}
      data-points={props.points}
      style={{ width: props.width ?? '100%', height }}
    />
  );
}

/** The element's width, measured and kept up to date while `on`. */
export function useContainerWidth(el: React.RefObject<HTMLDivElement | null>, on: boolean): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const node = el.current;
    if (!on || !node) return;
    const observer = new ResizeObserver(() => setWidth(Math.floor(node.clientWidth)));
    observer.observe(node);
    return () => observer.disconnect();
  }, [el, on]);
  return width;
}
