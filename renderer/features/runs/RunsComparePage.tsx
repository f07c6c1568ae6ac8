/**
 * Runs side by side: params and final metrics in one table (rows that differ are marked), and one
 * metric's series overlaid in a chart. Reached by selecting runs on the Runs page.
 */
import { useQueries } from '@tanstack/react-query';
import { useCallback, useMemo, useState } from 'react';
import type { ApiError } from '../../api/apiError.ts';
import { useClient } from '../../api/client.ts';
import { queryKey } from '../../api/hooks.ts';
import { useLiveMetricRefresh, useMetricSeries } from '../../api/useRunLive.ts';
import { EmptyState, ErrorNotice, Loading } from '../../components/Notice.tsx';
import { formatJsonNumber } from '../../format.ts';
import { href, navigate, type Route } from '../../router.ts';
import { chartSeries, MetricChart, SERIES_COLORS } from './MetricChart.tsx';
import { RunStatusBadge } from './RunStatusBadge.tsx';
import './RunsComparePage.css';

type CompareRoute = Extract<Route, { page: 'runs-compare' }>;

/** Points per series in the compare chart: about one per pixel of its width. */
const CHART_POINTS = 1000;

export function RunsComparePage(props: { route: CompareRoute }) {
  const { ids } = props.route;
  const client = useClient();
  const results = useQueries({
    queries: ids.map((id) => ({
      queryKey: queryKey('runs.get', { id }),
      queryFn: ({ signal }: { signal: AbortSignal }) => client.call('runs.get', { id }, signal),
    })),
  });
  const stamp = results.map((r) => r.dataUpdatedAt).join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: the stamp changes exactly when a run does.
  const runs = useMemo(() => results.flatMap((r) => (r.data ? [r.data.run] : [])), [stamp]);
  const error = (results.find((r) => r.error)?.error as ApiError | undefined) ?? null;
  const pending = results.some((r) => r.isPending);

  const paramKeys = unionKeys(runs.map((r) => r.params));
  const metricKeys = unionKeys(runs.map((r) => r.metrics));
  const metric =
    props.route.metric && metricKeys.includes(props.route.metric) ? props.route.metric : metricKeys[0];
  const runIds = useMemo(() => runs.map((r) => r.id), [runs]);
  useLiveMetricRefresh(runIds);
  // The steps the chart is zoomed to: read again at full resolution. Another metric starts whole.
  const [zoomed, setZoomed] = useState<{ metric: string; steps: [number, number] } | null>(null);
  const zoom = zoomed && zoomed.metric === metric ? zoomed.steps : null;
  const onZoom = useCallback(
    (steps: [number, number] | null) => setZoomed(steps && metric ? { metric, steps } : null),
    [metric],
  );
  // One read for the chart once every run is known, not one more each time a run arrives.
  const histories = useMetricSeries(pending ? [] : runIds, metric ? [metric] : [], {
    maxPoints: CHART_POINTS,
    ...(zoom && { from: zoom[0], to: zoom[1] }),
  });
  const series = useMemo(
    () => runs.map((r) => chartSeries(r.name, metric ? histories.series.get(r.id)?.get(metric) : undefined)),
    [histories.series, runs, metric],
  );
  const bucketed =
    metric !== undefined && runIds.some((id) => histories.series.get(id)?.get(metric)?.sampled);

  const header = (
    <>
      <nav className="breadcrumb">
        <a href={href({ page: 'runs' })}>Runs</a>
        <span>/</span>
        <span>Compare</span>
      </nav>
      <header className="page-header">
        <div>
          <h1>Compare runs</h1>
          <p className="muted">Params and final metrics side by side; one metric’s series overlaid.</p>
        </div>
      </header>
    </>
  );

  if (ids.length < 2)
    return (
      <div className="page">
        {header}
        <EmptyState title="Choose runs to compare">
          <p>
            On the <a href={href({ page: 'runs' })}>Runs</a> page, tick two or more runs and press Compare.
          </p>
        </EmptyState>
      </div>
    );

  const row = (label: string, values: string[], kind: 'param' | 'metric') => {
    const differs = new Set(values).size > 1;
    return (
      <tr key={`${kind}:${label}`} className={differs ? 'row-differs' : undefined}>
        <td className="mono">{label}</td>
        {values.map((v, i) => (
          <td key={runs[i]!.id} className="mono">
            {v}
          </td>
        ))}
      </tr>
    );
  };

  return (
    <div className="page">
      {header}
      <ErrorNotice error={error} title="A run could not be read." />
      {pending ? (
        <Loading />
      ) : (
        <>
          <div className="card card-flush">
            <div className="table-scroll">
              <table className="grid grid-compact compare-runs" data-testid="compare-table">
                <thead>
                  <tr>
                    <th />
                    {runs.map((r, i) => (
                      <th key={r.id} className="run-head">
                        <span
                          className="series-dot"
                          style={{ background: SERIES_COLORS[i % SERIES_COLORS.length] }}
                        />
                        <a href={href({ page: 'run', id: r.id })}>{r.name}</a>{' '}
                        <RunStatusBadge status={r.status} />
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {paramKeys.length > 0 && (
                    <tr className="section-row">
                      <td colSpan={runs.length + 1}>Params</td>
                    </tr>
                  )}
                  {paramKeys.map((k) =>
                    row(
                      k,
                      runs.map((r) => r.params[k] ?? '—'),
                      'param',
                    ),
                  )}
                  {metricKeys.length > 0 && (
                    <tr className="section-row">
                      <td colSpan={runs.length + 1}>Metrics (final)</td>
                    </tr>
                  )}
                  {metricKeys.map((k) =>
                    row(
                      k,
                      runs.map((r) => (r.metrics[k] === undefined ? '—' : formatJsonNumber(r.metrics[k]))),
                      'metric',
                    ),
                  )}
                </tbody>
              </table>
            </div>
          </div>
          {metric && (
            <div className="card">
              <div className="card-header">
                <h3>Metric</h3>
                <select
                  className="input metric-select"
                  aria-label="Metric to chart"
                  value={metric}
                  onChange={(e) => navigate({ ...props.route, metric: e.target.value }, { replace: true })}
                >
                  {metricKeys.map((k) => (
                    <option key={k}>{k}</option>
                  ))}
                </select>
              </div>
              <ErrorNotice error={histories.error} title="A metric series could not be read." />
              <MetricChart title={metric} series={series} height={360} legend onZoom={onZoom} />
              <p className="muted chart-note" data-testid="chart-note">
                {bucketed
                  ? `Series longer than ${CHART_POINTS.toLocaleString()} points are drawn in buckets of steps: the line through each bucket’s last value, the band from its lowest to its highest. Drag across the chart to zoom; the steps you zoom to are read again, at full resolution where they fit.`
                  : zoom
                    ? `Steps ${zoom[0].toLocaleString()}–${zoom[1].toLocaleString()}, every point.`
                    : 'Drag across the chart to zoom.'}
                {zoom && ' Double-click the chart to see whole runs.'}
              </p>
            </div>
          )}
        </>
      )}
    </div>
  );
}

function unionKeys(records: Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const r of records) for (const k in r) keys.add(k);
  return [...keys].sort((a, b) => a.localeCompare(b));
}
