/**
 * A small inline distribution chart for a profile row: the histogram of a numeric column, or bars
 * of the most frequent values of a categorical one (plotly.js, loaded on first use).
 */
import { useEffect, useRef } from 'react';
import type { ColumnProfile } from '../../shared/datasets.ts';
import { formatStat } from '../format.ts';
import { loadPlotly } from './plotly.ts';
import './MiniChart.css';

const WIDTH = 168;
const HEIGHT = 40;
const BAR = '#5b8def';
const TOP_VALUES = 8;

export function MiniChart(props: { column: ColumnProfile }) {
  const el = useRef<HTMLDivElement>(null);
  const spec = chartSpec(props.column);

  useEffect(() => {
    const node = el.current;
    if (!node || !spec) return;
    let disposed = false;
    loadPlotly().then((Plotly) => {
      if (disposed) return;
      void Plotly.react(
        node,
        [
          {
            type: 'bar',
            x: spec.x,
            y: spec.y,
            width: spec.width,
            marker: { color: BAR },
            hovertext: spec.labels,
            hoverinfo: 'text',
          },
        ],
        {
          width: WIDTH,
          height: HEIGHT,
          margin: { l: 1, r: 1, t: 2, b: 1 },
          bargap: spec.width ? 0 : 0.15,
          xaxis: {
            fixedrange: true,
            showticklabels: false,
            showgrid: false,
            zeroline: false,
            showline: true,
            linecolor: '#c9ced6',
            ticks: '',
          },
          yaxis: { visible: false, fixedrange: true },
          paper_bgcolor: 'rgba(0,0,0,0)',
          plot_bgcolor: 'rgba(0,0,0,0)',
          showlegend: false,
          hoverlabel: { font: { size: 11 } },
        },
        { displayModeBar: false, responsive: false },
      );
    });
    return () => {
      disposed = true;
      void loadPlotly().then((Plotly) => Plotly.purge(node));
    };
  }, [spec]);

  if (!spec) return <span className="muted">—</span>;
  return (
    <div
      ref={el}
      className="mini-chart"
      role="img"
      data-testid="mini-chart"
      data-kind={spec.kind}
      style={{ width: WIDTH, height: HEIGHT }}
      aria-label={
        spec.kind === 'histogram' ? `Histogram of ${props.column.name}` : `Top values of ${props.column.name}`
      }
    />
  );
}

interface Spec {
  kind: 'histogram' | 'top';
  x: (number | string)[];
  y: number[];
  width?: number[];
  labels: string[];
}

/** Memoized per column object, so a re-render does not redraw every chart. */
const specs = new WeakMap<ColumnProfile, Spec | null>();

function chartSpec(c: ColumnProfile): Spec | null {
  if (specs.has(c)) return specs.get(c) ?? null;
  let spec: Spec | null = null;
  const h = c.histogram;
  if (h && h.counts.length > 0 && h.edges.length === h.counts.length + 1) {
    spec = {
      kind: 'histogram',
      x: h.counts.map((_, i) => (h.edges[i]! + h.edges[i + 1]!) / 2),
      y: h.counts,
      // A sliver between bins keeps a flat histogram from reading as one block.
      width: h.counts.map((_, i) => (h.edges[i + 1]! - h.edges[i]! || 1) * 0.88),
      labels: h.counts.map(
        (n, i) => `${formatStat(h.edges[i])} – ${formatStat(h.edges[i + 1])}: ${formatStat(n)}`,
      ),
    };
  } else if (c.top.length > 0) {
    const top = c.top.slice(0, TOP_VALUES);
    spec = {
      kind: 'top',
      x: top.map((_, i) => i),
      y: top.map((t) => t.count),
      labels: top.map((t) => `${t.value === null ? '(missing)' : String(t.value)}: ${formatStat(t.count)}`),
    };
  }
  specs.set(c, spec);
  return spec;
}
