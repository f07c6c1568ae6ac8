/**
 * Which charts a monitor's page draws over its checks, and their series: time on x, oldest check
 * first. Drift share (with the monitor's dataset-drift line) when it tests drift, error rate,
 * latency, realized performance once labeled rows exist, and the traffic of each window. A check
 * where a metric does not apply (no traffic, drift not tested) is a gap, not a zero.
 */
import type { Monitor, MonitorMetric, MonitorRun, MonitorRunStatus } from '../../../shared/monitoring.ts';
import { plotTime } from './monitorFormat.ts';

export type ChartUnit = 'share' | 'ms' | 'count' | 'number';

export interface ChartSpec {
  key: string;
  title: string;
  unit: ChartUnit;
  kind: 'line' | 'bar';
  metrics: { metric: MonitorMetric; name: string }[];
  /** A horizontal line: the drift share at which the features count as drifted. */
  threshold?: { value: number; name: string };
}

export interface CheckSeries {
  /** Check times as plotly's date axis reads them, oldest first. */
  x: string[];
  status: MonitorRunStatus[];
  values(metric: MonitorMetric): (number | null)[];
  /**
   * The x axis's range: the checks with some room either side. Left to plotly, one check (or a
   * few seconds apart) gets an axis of milliseconds.
   */
  range: [string, string];
  /** A bar's width in ms: narrower than the closest two checks, and visible when far apart. */
  barWidth: number;
}

/** The least room either side of the checks on the time axis. */
const MIN_PAD_MS = 5 * 60_000;

/** The checks oldest first (the API lists them newest first). */
export function checkSeries(runs: MonitorRun[]): CheckSeries {
  const chronological = [...runs].sort((a, b) => a.at - b.at);
  const times = chronological.map((r) => r.at);
  const first = times[0] ?? 0;
  const last = times[times.length - 1] ?? 0;
  const pad = Math.max((last - first) * 0.04, MIN_PAD_MS);
  const span = last - first + 2 * pad;
  let closest = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i++) closest = Math.min(closest, times[i]! - times[i - 1]!);
  return {
    x: times.map(plotTime),
    status: chronological.map((r) => r.status),
    values: (metric) => chronological.map((r) => r.metrics[metric] ?? null),
    range: [plotTime(first - pad), plotTime(last + pad)],
    barWidth: Math.max(Math.min(closest * 0.7, span * 0.04), span * 0.004),
  };
}

const hasAny = (runs: MonitorRun[], metric: MonitorMetric) =>
  runs.some((r) => r.metrics[metric] !== null && r.metrics[metric] !== undefined);

export function chartsFor(monitor: Pick<Monitor, 'drift' | 'driftShare'>, runs: MonitorRun[]): ChartSpec[] {
  const charts: ChartSpec[] = [];
  if (monitor.drift || hasAny(runs, 'drift_share'))
    charts.push({
      key: 'drift',
      title: 'Drift share',
      unit: 'share',
      kind: 'line',
      metrics: [{ metric: 'drift_share', name: 'drifted features' }],
      ...(monitor.drift && { threshold: { value: monitor.driftShare, name: 'dataset drift' } }),
    });
  charts.push(
    {
      key: 'errors',
      title: 'Error rate',
      unit: 'share',
      kind: 'line',
      metrics: [{ metric: 'error_rate', name: 'error rate' }],
    },
    {
      key: 'latency',
      title: 'Latency',
      unit: 'ms',
      kind: 'line',
      metrics: [
        { metric: 'p95_latency_ms', name: 'p95' },
        { metric: 'p50_latency_ms', name: 'p50' },
      ],
    },
  );
  if (hasAny(runs, 'accuracy'))
    charts.push({
      key: 'accuracy',
      title: 'Accuracy (labeled rows)',
      unit: 'share',
      kind: 'line',
      metrics: [{ metric: 'accuracy', name: 'accuracy' }],
    });
  if (hasAny(runs, 'rmse'))
    charts.push({
      key: 'error',
      title: 'RMSE and MAE (labeled rows)',
      unit: 'number',
      kind: 'line',
      metrics: [
        { metric: 'rmse', name: 'rmse' },
        { metric: 'mae', name: 'mae' },
      ],
    });
  charts.push({
    key: 'traffic',
    title: 'Requests per window',
    unit: 'count',
    kind: 'bar',
    metrics: [{ metric: 'requests', name: 'requests' }],
  });
  return charts;
}
