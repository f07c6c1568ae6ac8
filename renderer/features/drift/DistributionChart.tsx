/**
 * Reference and current distributions of one column, overlaid: a numerical column as two
 * histograms over the same bin edges, a categorical one as grouped bars per category. Bars are
 * shares of each side's tested values, so sides of different sizes compare; hovering shows counts.
 */
import { useEffect, useRef } from 'react';
import type { ColumnDistribution } from '../../../shared/drift.ts';
import { loadPlotly } from '../../components/plotly.ts';
import { formatCount, formatShare, formatStat } from '../../format.ts';
import './ReportView.css';

const REFERENCE = '#98a2b3';
const CURRENT = '#2f6fde';
const WIDTH = 620;
const HEIGHT = 260;

interface Trace {
  name: string;
  x: (number | string)[];
  y: number[];
  width?: number[];
  hovertext: string[];
  color: string;
}

export function DistributionChart(props: { column: string; distribution: ColumnDistribution }) {
  const el = useRef<HTMLDivElement>(null);
  const { distribution: d } = props;

  useEffect(() => {
    const node = el.current;
    if (!node) return;
    let disposed = false;
    const traces = tracesOf(d);
    loadPlotly().then((Plotly) => {
      if (disposed) return;
      void Plotly.react(
        node,
        traces.map((t) => ({
          type: 'bar',
          name: t.name,
          x: t.x,
          y: t.y,
          width: t.width,
          hovertext: t.hovertext,
          hoverinfo: 'text',
          marker: { color: t.color, opacity: d.kind === 'histogram' ? 0.6 : 0.9 },
        })),
        {
          width: WIDTH,
          height: HEIGHT,
          margin: { l: 48, r: 12, t: 8, b: 36 },
          barmode: d.kind === 'histogram' ? 'overlay' : 'group',
          bargap: d.kind === 'histogram' ? 0 : 0.2,
          xaxis: {
            type: d.kind === 'histogram' ? 'linear' : 'category',
            showgrid: false,
            zeroline: false,
            linecolor: '#c9ced6',
            tickfont: { size: 11, color: '#646c78' },
            automargin: true,
          },
          yaxis: {
            ticksuffix: '%',
            gridcolor: '#eef0f3',
            zeroline: false,
            tickfont: { size: 11, color: '#646c78' },
            fixedrange: true,
          },
          legend: {
            orientation: 'h',
            x: 1,
            xanchor: 'right',
            y: 1.02,
            yanchor: 'bottom',
            font: { size: 12 },
          },
          paper_bgcolor: 'rgba(0,0,0,0)',
          plot_bgcolor: 'rgba(0,0,0,0)',
          hoverlabel: { font: { size: 12 } },
          font: { family: 'system-ui, sans-serif' },
        },
        { displayModeBar: false, responsive: false },
      );
    });
    return () => {
      disposed = true;
      void loadPlotly().then((Plotly) => Plotly.purge(node));
    };
  }, [d]);

  return (
    <div
      ref={el}
      className="distribution-chart"
      role="img"
      data-testid="distribution-chart"
      data-kind={d.kind}
      style={{ width: WIDTH, height: HEIGHT }}
      aria-label={`Reference and current distributions of ${props.column}`}
    />
  );
}

function share(n: number, total: number): number {
  return total > 0 ? (n / total) * 100 : 0;
}

function tracesOf(d: ColumnDistribution): Trace[] {
  if (d.kind === 'histogram') {
    const totals = { reference: sum(d.reference), current: sum(d.current) };
    const centers = d.reference.map((_, i) => (d.edges[i]! + d.edges[i + 1]!) / 2);
    const widths = d.reference.map((_, i) => d.edges[i + 1]! - d.edges[i]! || 1);
    const side = (key: 'reference' | 'current', name: string, color: string): Trace => ({
      name,
      x: centers,
      y: d[key].map((n) => share(n, totals[key])),
      width: widths,
      color,
      hovertext: d[key].map(
        (n, i) =>
          `${name}<br>${formatStat(d.edges[i])} – ${formatStat(d.edges[i + 1])}<br>` +
          `${formatShare(n / (totals[key] || 1))} (${formatCount(n)})`,
      ),
    });
    return [side('reference', 'Reference', REFERENCE), side('current', 'Current', CURRENT)];
  }
  const rows = [...d.categories];
  if (d.other.categories > 0)
    rows.push({
      value: `${formatCount(d.other.categories)} more`,
      reference: d.other.reference,
      current: d.other.current,
    });
  const totals = {
    reference: sum(rows.map((r) => r.reference)),
    current: sum(rows.map((r) => r.current)),
  };
  const side = (key: 'reference' | 'current', name: string, color: string): Trace => ({
    name,
    x: rows.map((r) => r.value),
    y: rows.map((r) => share(r[key], totals[key])),
    color,
    hovertext: rows.map(
      (r) => `${name}<br>${r.value}<br>${formatShare(r[key] / (totals[key] || 1))} (${formatCount(r[key])})`,
    ),
  });
  return [side('reference', 'Reference', REFERENCE), side('current', 'Current', CURRENT)];
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
