/**
 * Runs side by side: params and final metrics in one table (rows that differ are marked), and one
 * metric's series overlaid in a chart. Reached by selecting runs on the Runs page.
 */
import { useCallback, useMemo, useState } from 'react';
import { COMPARE_LIMIT } from '../../../shared/tracking.ts';
import { api } from '../../api/hooks.ts';
import { useLiveMetricRefresh, useMetricSeries } from '../../api/useRunLive.ts';
import { EmptyState, ErrorNotice, Loading } from '../../components/Notice.tsx';
import { formatJsonNumber } from '../../format.ts';
import { href, navigate, type Route } from '../../router.ts';
import { chartSeries, MetricChart, SERIES_COLORS } from './MetricChart.tsx';
import { ParallelCoordinates } from './ParallelCoordinates.tsx';
import { ParamScatter } from './ParamScatter.tsx';
import { RunStatusBadge } from './RunStatusBadge.tsx';
import './RunsComparePage.css';

type CompareRoute = Extract<Route, { page: 'runs-compare' }>;

/**
 * Points per series in the compare chart: about one per pixel of its width, and fewer with many
 * runs, so a chart of a whole sweep stays a few tens of thousands of points to draw.
 */
const CHART_POINTS = 1000;
const CHART_POINT_BUDGET = 40_000;

/** Past this many runs a legend is a wall of names: hovering a line names its run. */
const LEGEND_RUNS = 30;

export function chartPoints(runs: number): number {
  return Math.max(100, Math.min(CHART_POINTS, Math.floor(CHART_POINT_BUDGET / Math.max(1, runs))));
}

export function RunsComparePage(props: { route: CompareRoute }) {
  const { ids } = props.route;
  const asked = ids.slice(0, COMPARE_LIMIT);
  const q = api.runs.getMany.useQuery({ ids: asked }, { enabled: ids.length >= 2 });
  const runs = useMemo(() => q.data?.runs ?? [], [q.data]);
  const missing = q.data?.missing ?? [];
  const error = q.error;
  const pending = ids.length >= 2 && q.isPending;

  // Many runs mostly share their params: the rows that tell them apart can be shown alone.
  const [differOnly, setDifferOnly] = useState(false);
  const paramKeys = useMemo(() => unionKeys(runs.map((r) => r.params)), [runs]);
  const metricKeys = useMemo(() => unionKeys(runs.map((r) => r.metrics)), [runs]);
  const metric =
    props.route.metric && metricKeys.includes(props.route.metric) ? props.route.metric : metricKeys[0];
  // The metrics laid out as axes: a few, the charted one last (the lines are coloured by it).
  const axisMetrics = useMemo(
    () => [...metricKeys.filter((k) => k !== metric).slice(0, 3), ...(metric ? [metric] : [])],
    [metricKeys, metric],
  );
  const runIds = useMemo(() => runs.map((r) => r.id), [runs]);
  useLiveMetricRefresh(runIds);
  // The steps the chart is zoomed to: read again at full resolution. Another metric starts whole.
  // Kept for the metric and runs it was made on: another metric or set of runs starts whole.
  const runsKey = useMemo(() => `${runIds.length}|${hashOf(runIds.join(','))}`, [runIds]);
  const revision = `${metric ?? ''}|${runsKey}`;
  const [zoomed, setZoomed] = useState<{ revision: string; steps: [number, number] } | null>(null);
  const zoom = zoomed && zoomed.revision === revision ? zoomed.steps : null;
  const onZoom = useCallback(
    (steps: [number, number] | null) => setZoomed(steps ? { revision, steps } : null),
    [revision],
  );
  const histories = useMetricSeries(runIds, metric ? [metric] : [], {
    maxPoints: chartPoints(runIds.length),
    ...(zoom && { from: zoom[0], to: zoom[1] }),
  });
  const series = useMemo(
    () =>
      runs.map((r) =>
        chartSeries(r.id, r.name, metric ? histories.series.get(r.id)?.get(metric) : undefined),
      ),
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
          <p className="muted">
            Params and final metrics side by side and across axes; one metric’s series overlaid.
          </p>
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

  const paramValues = (k: string) => runs.map((r) => r.params[k] ?? '—');
  const metricValues = (k: string) =>
    runs.map((r) => (r.metrics[k] === undefined ? '—' : formatJsonNumber(r.metrics[k])));
  const rows = [
    ...paramKeys.map((k) => ({ kind: 'param' as const, label: k, values: paramValues(k) })),
    ...metricKeys.map((k) => ({ kind: 'metric' as const, label: k, values: metricValues(k) })),
  ].map((r) => ({ ...r, differs: new Set(r.values).size > 1 }));
  const differing = rows.filter((r) => r.differs).length;
  const shown = differOnly ? rows.filter((r) => r.differs) : rows;

  const row = (r: (typeof rows)[number]) => (
    <tr key={`${r.kind}:${r.label}`} className={r.differs ? 'row-differs' : undefined}>
      <td className="mono">{r.label}</td>
      {r.values.map((v, i) => (
        <td key={runs[i]!.id} className="mono">
          {v}
        </td>
      ))}
    </tr>
  );

  return (
    <div className="page">
      {header}
      <ErrorNotice error={error} title="The runs could not be read." onRetry={() => void q.refetch()} />
      {(missing.length > 0 || ids.length > COMPARE_LIMIT) && (
        <div className="notice notice-warning" data-testid="compare-missing">
          {missing.length > 0 &&
            `${missing.length === 1 ? 'One run' : `${missing.length} runs`} of this comparison no longer exist${missing.length === 1 ? 's' : ''} (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''})${runs.length ? '; the others are shown' : ''}. `}
          {ids.length > COMPARE_LIMIT &&
            `Only the first ${COMPARE_LIMIT.toLocaleString()} of the ${ids.length.toLocaleString()} runs chosen are compared; filter the Runs page to fewer.`}
        </div>
      )}
      {pending ? (
        <Loading />
      ) : !q.data ? null : runs.length === 0 ? (
        <EmptyState title="None of these runs exist any more">
          <p>
            They were deleted since this comparison was opened. Choose others on the{' '}
            <a href={href({ page: 'runs' })}>Runs</a> page.
          </p>
        </EmptyState>
      ) : (
        <>
          <div className="card card-flush">
            <div className="compare-toolbar">
              <label className="compare-differ">
                <input
                  type="checkbox"
                  checked={differOnly}
                  onChange={(e) => setDifferOnly(e.target.checked)}
                />{' '}
                Only rows that differ ({differing} of {rows.length})
              </label>
              <span className="muted">{runs.length.toLocaleString()} runs</span>
            </div>
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
                  {(['param', 'metric'] as const).map((kind) => {
                    const section = shown.filter((r) => r.kind === kind);
                    if (section.length === 0) return null;
                    return [
                      <tr key={`section:${kind}`} className="section-row">
                        <td colSpan={runs.length + 1}>
                          <span>{kind === 'param' ? 'Params' : 'Metrics (final)'}</span>
                        </td>
                      </tr>,
                      ...section.map(row),
                    ];
                  })}
                  {shown.length === 0 && (
                    <tr>
                      <td colSpan={runs.length + 1} className="muted">
                        {rows.length === 0
                          ? 'These runs have no params or metrics.'
                          : 'Every param and metric is the same in these runs.'}
                      </td>
                    </tr>
                  )}
                </tbody>
              </table>
            </div>
          </div>
          <div className="card">
            <div className="card-header">
              <h3>Params and metrics across runs</h3>
            </div>
            {/* Ranges belong to one comparison: another set of runs starts without them. */}
            <ParallelCoordinates key={runsKey} runs={runs} metrics={axisMetrics} colorBy={metric} />
            <ParamScatter
              runs={runs}
              params={rows.filter((r) => r.kind === 'param' && r.differs).map((r) => r.label)}
              metrics={metricKeys}
              y={metric}
            />
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
              <MetricChart
                title={metric}
                series={series}
                height={360}
                legend={runs.length <= LEGEND_RUNS}
                onZoom={onZoom}
                revision={revision}
              />
              <p
                className="muted chart-note"
                data-testid="chart-note"
                data-from={zoom?.[0]}
                data-to={zoom?.[1]}
              >
                {histories.isPending && zoom
                  ? 'Reading these steps…'
                  : bucketed
                    ? `Series longer than ${chartPoints(runIds.length).toLocaleString()} points are drawn in buckets of steps: the line through each bucket’s last value, the band from its lowest to its highest finite value. Drag across the chart to zoom; the steps you zoom to are read again, at full resolution where they fit.`
                    : zoom
                      ? 'Every point of these steps.'
                      : 'Drag across the chart to zoom.'}
                {zoom &&
                  ` Steps ${zoom[0].toLocaleString()}–${zoom[1].toLocaleString()}; double-click the chart to see whole runs.`}
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

/** A short, stable name for a long string (FNV-1a), so a chart's revision stays small. */
function hashOf(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}
