/**
 * A metric over steps as a line chart (plotly.js, loaded on first use): one series for a run's own
 * chart, several overlaid to compare runs. Redrawn in place with Plotly.react as points arrive.
 *
 * A series longer than the chart asked for arrives as buckets (runs.metricSeries): the line goes
 * through each bucket's last point and a shaded band spans its min and max, so a spike inside a
 * bucket still shows. A zoomable chart reports the steps it was zoomed to (`onZoom`), for the
 * caller to read them again at full resolution, and `null` when the zoom is reset.
 */
import { useCallback, useMemo } from 'react';
import type { SampledSeries } from '../../../shared/tracking.ts';
import { AXIS, Plot } from '../../components/Plot.tsx';
import { plotValue } from './runFormat.ts';
import './RunPage.css';

export interface ChartSeries {
  /** Stable across redraws (a run id): Plotly keeps each trace's state (hidden, say) by it. */
  id: string;
  name: string;
  x: number[];
  /** null draws a gap: NaN and ±Infinity cannot be plotted. */
  y: (number | null)[];
  /** Each point's min and max where the points are buckets: drawn as a shaded band. */
  band?: { lo: (number | null)[]; hi: (number | null)[] };
}

export const SERIES_COLORS = [
  '#2f6fde',
  '#d9822b',
  '#2da160',
  '#b4322c',
  '#7b52c7',
  '#0f8f9c',
  '#c2417e',
  '#6b7280',
  '#8c6d1f',
  '#1f5f8b',
  '#5f8b1f',
  '#8b1f5f',
];

/** A series as the store sent it, as a chart draws it: its buckets' extremes as a band. */
export function chartSeries(id: string, name: string, s: SampledSeries | undefined): ChartSeries {
  const points = s?.points ?? [];
  return {
    id,
    name,
    x: points.map((p) => p.step),
    y: points.map((p) => plotValue(p.value)),
    ...(s?.sampled && {
      band: {
        lo: points.map((p) => (p.min === null ? null : plotValue(p.min))),
        hi: points.map((p) => (p.max === null ? null : plotValue(p.max))),
      },
    }),
  };
}

/** The steps of a `plotly_relayout` event's x-axis zoom; null for a reset; undefined for neither. */
export function zoomOf(event: Record<string, unknown>): [number, number] | null | undefined {
  if (event['xaxis.autorange'] === true) return null;
  const range = event['xaxis.range'];
  const a = Array.isArray(range) ? range[0] : event['xaxis.range[0]'];
  const b = Array.isArray(range) ? range[1] : event['xaxis.range[1]'];
  if (typeof a !== 'number' || typeof b !== 'number') return undefined;
  return [Math.floor(Math.min(a, b)), Math.ceil(Math.max(a, b))];
}

/** Plotly puts a trace's uid into CSS class names: letters, digits, '-' and '_' only. */
function uidOf(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}

function fade(hex: string): string {
  return `${hex}2e`;
}

export function MetricChart(props: {
  title: string;
  series: ChartSeries[];
  /** Fixed, or the container's width when left out (measured, redrawn on resize). */
  width?: number;
  height: number;
  legend?: boolean;
  /** Makes the chart zoomable on x (drag; double-click resets) and reports each zoom. */
  onZoom?: (steps: [number, number] | null) => void;
  /**
   * What the chart shows (a metric and its runs, say): a zoom is kept while it stays the same and
   * dropped when it changes (Plotly's uirevision).
   */
  revision?: string;
}) {
  const { series, legend, onZoom } = props;
  const zoomable = onZoom !== undefined;
  const data = useMemo(
    () =>
      series.flatMap((s, i) => {
        const color = SERIES_COLORS[i % SERIES_COLORS.length]!;
        const line = {
          type: 'scatter' as const,
          mode: s.x.length <= 1 ? ('markers' as const) : ('lines' as const),
          name: s.name,
          uid: `${uidOf(s.id)}-line`,
          legendgroup: s.id,
          x: s.x,
          y: s.y,
          line: { color, width: 1.8 },
          marker: { color, size: 6 },
          hovertemplate: `${s.name}<br>step %{x}: %{y:.4g}<extra></extra>`,
        };
        if (!s.band) return [line];
        const edge = {
          type: 'scatter' as const,
          mode: 'lines' as const,
          x: s.x,
          legendgroup: s.id,
          showlegend: false,
          hoverinfo: 'skip' as const,
          line: { width: 0, color },
        };
        return [
          { ...edge, uid: `${uidOf(s.id)}-min`, name: `${s.name} min`, y: s.band.lo },
          {
            ...edge,
            uid: `${uidOf(s.id)}-max`,
            name: `${s.name} max`,
            y: s.band.hi,
            fill: 'tonexty' as const,
            fillcolor: fade(color),
          },
          line,
        ];
      }),
    [series],
  );
  const layout = useMemo(
    () => ({
      margin: { l: 48, r: 12, t: 8, b: legend ? 48 : 26 },
      xaxis: { ...AXIS, title: { text: '' }, showgrid: false, fixedrange: !zoomable },
      yaxis: { ...AXIS, fixedrange: !zoomable },
      showlegend: Boolean(legend),
      legend: { orientation: 'h' as const, y: -0.1, yanchor: 'top' as const, font: { size: 11 } },
      // Keeps the reader's zoom while the points of that zoom arrive and the chart is redrawn.
      uirevision: props.revision ?? 'chart',
      dragmode: zoomable ? ('zoom' as const) : (false as const),
    }),
    [legend, zoomable, props.revision],
  );
  const onRelayout = useCallback(
    (event: Record<string, unknown>) => {
      const steps = zoomOf(event);
      if (steps !== undefined) onZoom?.(steps);
    },
    [onZoom],
  );
  return (
    <Plot
      label={`Chart of ${props.title}`}
      className="metric-chart"
      testId="metric-chart"
      points={series.reduce((n, s) => n + s.x.length, 0)}
      data={data}
      layout={layout}
      width={props.width}
      height={props.height}
      onRelayout={zoomable ? onRelayout : undefined}
    />
  );
}
