/**
 * A metric over steps as a line chart (plotly.js, loaded on first use): one series for a run's own
 * chart, several overlaid to compare runs. Redrawn in place with Plotly.react as points arrive.
 */
import { useEffect, useRef } from 'react';
import { useContainerWidth } from '../../components/Plot.tsx';
import { loadPlotly } from '../../components/plotly.ts';
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
  const el = useRef<HTMLDivElement>(null);
  const { series, height, legend } = props;
  const measured = useContainerWidth(el, props.width === undefined);
  const width = props.width ?? measured;

  useEffect(() => {
    const node = el.current;
    if (!node || !width) return;
    let disposed = false;
    void loadPlotly().then((Plotly) => {
      if (disposed) return;
      void Plotly.react(
        node,
        series.map((s, i) => ({
          type: 'scatter',
          mode: s.x.length <= 1 ? 'markers' : 'lines',
          name: s.name,
          x: s.x,
          y: s.y,
          line: { color: SERIES_COLORS[i % SERIES_COLORS.length], width: 1.8 },
          marker: { color: SERIES_COLORS[i % SERIES_COLORS.length], size: 6 },
          hovertemplate: `${s.name}<br>step %{x}: %{y:.4g}<extra></extra>`,
        })),
        {
          width,
          height,
          margin: { l: 48, r: 12, t: 8, b: legend ? 48 : 26 },
          xaxis: {
            title: { text: '' },
            showgrid: false,
            zeroline: false,
            linecolor: '#c9ced6',
            tickfont: { size: 10, color: '#646c78' },
            fixedrange: !legend,
          },
          yaxis: {
            gridcolor: '#eef0f3',
            zeroline: false,
            tickfont: { size: 10, color: '#646c78' },
            fixedrange: !legend,
          },
          showlegend: Boolean(legend),
          legend: { orientation: 'h', y: -0.1, yanchor: 'top', font: { size: 11 } },
          paper_bgcolor: 'rgba(0,0,0,0)',
          plot_bgcolor: 'rgba(0,0,0,0)',
          hoverlabel: { font: { size: 11 } },
        },
        { displayModeBar: false, responsive: false },
      );
    });
    return () => {
      disposed = true;
    };
  }, [series, width, height, legend]);

  useEffect(() => {
    const node = el.current;
    return () => {
      if (node) void loadPlotly().then((Plotly) => Plotly.purge(node));
    };
  }, []);

  return (
    <div
      ref={el}
      className="metric-chart"
      role="img"
      aria-label={`Chart of ${props.title}`}
      data-testid="metric-chart"
      data-points={series.reduce((n, s) => n + s.x.length, 0)}
      style={{ width: props.width ?? '100%', height }}
    />
  );
}
