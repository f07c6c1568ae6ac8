/**
 * A metric over steps as a line chart (plotly.js, loaded on first use): one series for a run's own
 * chart, several overlaid to compare runs. Redrawn in place with Plotly.react as points arrive.
 */
import { useMemo } from 'react';
import { AXIS, Plot } from '../../components/Plot.tsx';
import './RunPage.css';

export interface ChartSeries {
  name: string;
  x: number[];
  /** null draws a gap: NaN and ±Infinity cannot be plotted. */
  y: (number | null)[];
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
];

export function MetricChart(props: {
  title: string;
  series: ChartSeries[];
  /** Fixed, or the container's width when left out (measured, redrawn on resize). */
  width?: number;
  height: number;
  legend?: boolean;
}) {
  const { series, legend } = props;
  const data = useMemo(
    () =>
      series.map((s, i) => ({
        type: 'scatter' as const,
        mode: s.x.length <= 1 ? ('markers' as const) : ('lines' as const),
        name: s.name,
        x: s.x,
        y: s.y,
        line: { color: SERIES_COLORS[i % SERIES_COLORS.length], width: 1.8 },
        marker: { color: SERIES_COLORS[i % SERIES_COLORS.length], size: 6 },
        hovertemplate: `${s.name}<br>step %{x}: %{y:.4g}<extra></extra>`,
      })),
    [series],
  );
  const layout = useMemo(
    () => ({
      margin: { l: 48, r: 12, t: 8, b: legend ? 48 : 26 },
      xaxis: { ...AXIS, title: { text: '' }, showgrid: false, fixedrange: !legend },
      yaxis: { ...AXIS, fixedrange: !legend },
      showlegend: Boolean(legend),
      legend: { orientation: 'h' as const, y: -0.1, yanchor: 'top' as const, font: { size: 11 } },
    }),
    [legend],
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
    />
  );
}
