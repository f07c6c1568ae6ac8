/**
 * One run: its status (and why it failed), Cancel, Re-run and Re-run with changes; live metric
 * charts and logs while it runs; params, tags, artifacts and the reproducibility record.
 */
import { useEffect, useMemo, useState } from 'react';
import type { SampledSeries } from '../../../shared/tracking.ts';
import { api } from '../../api/hooks.ts';
import { useLiveMetricRefresh, useMetricSeries, useRunLogs } from '../../api/useRunLive.ts';
import { ErrorNotice, Unread } from '../../components/Notice.tsx';
import { formatAgo, formatDate, formatJsonNumber } from '../../format.ts';
import { href, navigate } from '../../router.ts';
import { RegisterModelDialog } from '../models/RegisterModelDialog.tsx';
import { ArtifactsCard } from './ArtifactsCard.tsx';
import { LogViewer } from './LogViewer.tsx';
import { chartSeries, MetricChart } from './MetricChart.tsx';
import { NewRunDialog } from './NewRunDialog.tsx';
import { ReproRecord } from './ReproRecord.tsx';
import { RunStatusBadge } from './RunStatusBadge.tsx';
import { formatDuration, isActive, runDuration } from './runFormat.ts';
import { TagsEditor } from './TagsEditor.tsx';
import './RunPage.css';

const CHART_H = 150;
/** A tile's chart is a few hundred pixels wide: more points than this would not show. */
const TILE_POINTS = 500;

export function RunPage(props: { id: string }) {
  const { id } = props;
  const q = api.runs.get.useQuery({ id });
  useLiveMetricRefresh([id]);
  const run = q.data?.run;
  const detail = q.data?.detail;
  const active = run ? isActive(run.status) : false;
  const logs = useRunLogs(id, active);
  const cancel = api.runs.cancel.useMutation();
  const rerun = api.runs.rerun.useMutation();
  const [changing, setChanging] = useState(false);
  const [registering, setRegistering] = useState(false);
  useTick(active);

  const keys = useMemo(() => Object.keys(run?.metrics ?? {}).sort(), [run?.metrics]);
  const histories = useMetricSeries([id], keys, { maxPoints: TILE_POINTS });

  if (!run || !detail)
    return <Unread query={q} title="This run could not be read." breadcrumb={<Breadcrumb name={id} />} />;

  const duration = runDuration(run);
  const rerunOf = run.tags['mlwb.rerun_of'];
  const series = histories.series.get(id);
  const failed = run.status === 'FAILED' || run.status === 'LOST';
  const onnxFiles = detail.artifacts.map((a) => a.path).filter((p) => p.endsWith('.onnx'));

  return (
    <div className="page run-page">
      <Breadcrumb name={run.name} />
      <header className="page-header">
        <div>
          <div className="run-title">
            <h1>{run.name}</h1>
            <RunStatusBadge status={run.status} />
          </div>
          <p className="muted">
            {detail.spec ? `${detail.spec.recipe.name} · ` : ''}created{' '}
            <span title={formatDate(run.createdAt)}>{formatAgo(run.createdAt)}</span>
            {duration !== null && ` · ${active ? 'running for' : 'ran for'} ${formatDuration(duration)}`}
            {rerunOf && (
              <>
                {' '}
                · re-run of <a href={href({ page: 'run', id: rerunOf })}>{rerunOf.slice(-6).toLowerCase()}</a>
              </>
            )}
          </p>
        </div>
        <div className="button-row">
          {active && (
            <button
              type="button"
              className="btn"
              disabled={cancel.isPending}
              onClick={() => cancel.mutate({ id })}
            >
              {cancel.isPending ? 'Cancelling…' : 'Cancel run'}
            </button>
          )}
          <button
            type="button"
            className="btn"
            disabled={!detail.spec || rerun.isPending}
            title={detail.spec ? 'The same recipe snapshot, data, params, seed and resources' : undefined}
            onClick={() => rerun.mutate({ id }, { onSuccess: (r) => navigate({ page: 'run', id: r.run }) })}
          >
            Re-run
          </button>
          <button type="button" className="btn" disabled={!detail.spec} onClick={() => setChanging(true)}>
            Re-run with changes…
          </button>
          {run.status === 'FINISHED' && onnxFiles.length > 0 && (
            <button type="button" className="btn btn-primary" onClick={() => setRegistering(true)}>
              Register model…
            </button>
          )}
        </div>
      </header>
      <ErrorNotice error={cancel.error ?? rerun.error} />
      {detail.failureReason && (
        <div
          className={failed ? 'notice notice-error' : 'notice notice-info'}
          role={failed ? 'alert' : undefined}
          data-testid="failure-reason"
        >
          <div className="notice-text">
            <strong>{failed ? 'Why it failed: ' : ''}</strong>
            {detail.failureReason}
          </div>
        </div>
      )}

      <div className="card" data-testid="metrics-card">
        <div className="card-header">
          <h3>Metrics</h3>
          {active && keys.length > 0 && <span className="muted small">updating live</span>}
        </div>
        <ErrorNotice error={histories.error} title="A metric series could not be read." />
        {keys.length === 0 ? (
          <p className="muted">
            {active
              ? 'Charts appear as the run logs metrics (metrics.jsonl, the recipe’s regexes, or the MLflow API).'
              : 'This run logged no metrics.'}
          </p>
        ) : (
          <div className="metric-grid">
            {keys.map((k) => {
              const sampled = series?.get(k);
              return (
                <div key={k} className="metric-tile" data-testid="metric-tile" data-key={k}>
                  <div className="metric-head">
                    <span className="mono">{k}</span>
                    <span className="metric-latest">{formatJsonNumber(run.metrics[k])}</span>
                  </div>
                  <ChartOf id={id} title={k} series={sampled} pending={histories.isPending} />
                </div>
              );
            })}
          </div>
        )}
      </div>

      <LogViewer runId={id} logs={logs} active={active} />

      <div className="run-columns">
        <div className="card card-flush" data-testid="params-card">
          <div className="card-header">
            <h3>Params</h3>
          </div>
          {Object.keys(run.params).length === 0 ? (
            <p className="muted card-empty">No params.</p>
          ) : (
            <table className="grid grid-compact kv-table">
              <tbody>
                {Object.entries(run.params)
                  .sort(([a], [b]) => a.localeCompare(b))
                  .map(([k, v]) => (
                    <tr key={k}>
                      <td className="mono">{k}</td>
                      <td className="mono param-value" title={v}>
                        {v}
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          )}
        </div>
        <div className="run-side">
          <TagsEditor runId={id} tags={run.tags} />
          <ArtifactsCard runId={id} artifacts={detail.artifacts} active={active} />
        </div>
      </div>
      <ReproRecord run={run} detail={detail} />

      {registering && (
        <RegisterModelDialog
          runId={id}
          models={onnxFiles}
          suggestedName={detail.spec?.recipe.name ?? 'model'}
          onClose={() => setRegistering(false)}
        />
      )}
      {changing && detail.spec && (
        <NewRunDialog
          onClose={() => setChanging(false)}
          preset={{ recipePath: detail.spec.recipe.path, spec: detail.spec }}
        />
      )}
    </div>
  );
}

function ChartOf(props: { id: string; title: string; series: SampledSeries | undefined; pending: boolean }) {
  const { id, title, series: sampled } = props;
  const series = useMemo(() => [chartSeries(id, title, sampled)], [id, title, sampled]);
  if (!sampled?.points.length)
    return (
      <div className="chart-placeholder muted" style={{ height: CHART_H }}>
        {props.pending ? 'Loading…' : 'No points to draw.'}
      </div>
    );
  return <MetricChart title={title} series={series} height={CHART_H} />;
}

function Breadcrumb(props: { name: string }) {
  return (
    <nav className="breadcrumb">
      <a href={href({ page: 'runs' })}>Runs</a>
      <span>/</span>
      <span>{props.name}</span>
    </nav>
  );
}

/** Re-renders every second while `on`, so a running run's duration counts up. */
function useTick(on: boolean): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [on]);
}
