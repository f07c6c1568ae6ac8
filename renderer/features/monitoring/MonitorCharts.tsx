/**
 * A monitor's checks over time, one small chart per concern (see checkCharts.ts): drift share
 * against the dataset-drift line (checks at or over it marked red), error rate, p50/p95 latency,
 * accuracy or RMSE once labels exist, and requests per window.
 */
import { useMemo } from 'react';
import type { Monitor, MonitorRun } from '../../../shared/monitoring.ts';
import { AXIS, Plot } from '../../components/Plot.tsx';
import { type ChartSpec, type ChartUnit, type CheckSeries, chartsFor, checkSeries } from './checkCharts.ts';
import './monitoring.css';

const HEIGHT = 190;
const COLORS = ['#2f6fde', '#8aa9e0'];
const ALERT = '#b4322c';
const THRESHOLD = '#d0453e';

const Y_AXIS: Record<ChartUnit, object> = {
  share: { tickformat: '.0%', rangemode: 'tozero' },
  ms: { ticksuffix: ' ms', rangemode: 'tozero' },
  count: { rangemode: 'tozero' },
  number: { rangemode: 'tozero' },
};

const HOVER: Record<ChartUnit, string> = {
  share: '%{y:.1%}',
  ms: '%{y:.3g} ms',
  count: '%{y:,}',
  number: '%{y:.4g}',
};

export function MonitorCharts(props: { monitor: Monitor; runs: MonitorRun[] }) {
  const { monitor, runs } = props;
  const series = useMemo(() => checkSeries(runs), [runs]);
  const charts = useMemo(() => chartsFor(monitor, runs), [monitor, runs]);
  return (
    <div className="mon-charts" data-testid="monitor-charts">
      {charts.map((c) => (
        <div key={c.key} className="mon-chart" data-chart={c.key}>
          <h3>{c.title}</h3>
          <CheckChart spec={c} series={series} />
        </div>
      ))}
    </div>
  );
}

function CheckChart(props: { spec: ChartSpec; series: CheckSeries }) {
  const { spec, series } = props;
  const figure = useMemo(() => {
    const single = series.x.length <= 1;
    const data: object[] = spec.metrics.map((m, i) => {
      const y = series.values(m.metric);
      const color = COLORS[i % COLORS.length]!;
      if (spec.kind === 'bar')
        return {
          type: 'bar',
          name: m.name,
          x: series.x,
          y,
          width: series.x.map(() => series.barWidth),
          marker: { color },
          hovertemplate: `%{x|%H:%M:%S}: ${HOVER[spec.unit]} ${m.name}<extra></extra>`,
        };
      const over = spec.threshold;
      return {
        type: 'scatter',
        mode: single ? 'markers' : 'lines+markers',
        name: m.name,
        x: series.x,
        y,
        connectgaps: false,
        line: { color, width: 1.8 },
        marker: {
          size: 6,
          color: over ? y.map((v) => (v !== null && v >= over.value ? ALERT : color)) : color,
        },
        hovertemplate: `%{x|%H:%M:%S}: ${HOVER[spec.unit]}<extra>${m.name}</extra>`,
      };
    });
    if (spec.threshold)
      data.push({
        type: 'scatter',
        mode: 'lines',
        name: `${spec.threshold.name} (${Math.round(spec.threshold.value * 100)}%)`,
        // Across the whole axis, however few checks there are.
        x: [0, 1],
        y: [spec.threshold.value, spec.threshold.value],
        xaxis: 'x2',
        line: { color: THRESHOLD, dash: 'dash', width: 1.2 },
        hoverinfo: 'skip',
      });
    const yAxis: Record<string, unknown> = { ...AXIS, ...Y_AXIS[spec.unit] };
    if (spec.key === 'drift') yAxis.range = [0, 1.05];
    const legend = spec.metrics.length > 1 || spec.threshold !== undefined;
    return {
      data,
      layout: {
        margin: { l: 52, r: 12, t: legend ? 24 : 8, b: 30 },
        xaxis: { ...AXIS, type: 'date' as const, range: series.range },
        xaxis2: { overlaying: 'x' as const, range: [0, 1], visible: false, fixedrange: true },
        yaxis: yAxis,
        showlegend: legend,
        legend: {
          x: 0,
          xanchor: 'left' as const,
          y: 1.02,
          yanchor: 'bottom' as const,
          orientation: 'h' as const,
        },
        bargap: 0.35,
      },
    };
  }, [spec, series]);
  const points = series.values(spec.metrics[0]!.metric).filter((v) => v !== null).length;
  return (
    <Plot
      label={`${spec.title} over the monitor's checks`}
      data={figure.data as never}
      layout={figure.layout as never}
      height={HEIGHT}
      testId="monitor-chart"
      className={`mon-chart-plot mon-chart-${spec.key}`}
      points={points}
    />
  );
}
