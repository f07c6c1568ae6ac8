/**
 * One monitor: what it watches and how (its settings), Check now, Edit, Pause and Remove, its last check with
 * each rule's result, charts of its checks over time, the recent checks, its alerts, firing and
 * resolved, and the retraining policies they set off. Kept current by `changed` events, from
 * checks made here, by the app's schedule or by the CLI.
 */
import type { Monitor, MonitorSummary } from '../../../shared/monitoring.ts';
import { api } from '../../api/hooks.ts';
import { EmptyState, ErrorNotice, Unread } from '../../components/Notice.tsx';
import { StatusPill } from '../../components/StatusPill.tsx';
import { useLeaveWhenRemoved } from '../../components/useLeaveWhenRemoved.ts';
import { useNow } from '../../components/useNow.ts';
import { formatDate, plural } from '../../format.ts';
import { href } from '../../router.ts';
import { AlertsTable } from './AlertsTable.tsx';
import { ChecksTable } from './ChecksTable.tsx';
import { LastCheck } from './LastCheck.tsx';
import { MonitorActions } from './MonitorActions.tsx';
import { MonitorCharts } from './MonitorCharts.tsx';
import { MonitorStatusBadge } from './MonitorStatusBadge.tsx';
import { formatDuration, formatEvery, formatMetric } from './monitorFormat.ts';
import { MonitorPolicies } from './policies/MonitorPolicies.tsx';
import './monitoring.css';

export function MonitorPage(props: { name: string }) {
  const remove = api.monitors.remove.useMutation();
  const removing = remove.isPending || remove.isSuccess;
  // Not read while it is removed: it would answer "not found" before the page moves on.
  const q = api.monitors.get.useQuery({ name: props.name }, { enabled: !removing });
  const now = useNow(30_000);
  useLeaveWhenRemoved<{ monitors: MonitorSummary[] }>(
    remove.isSuccess,
    {
      key: api.monitors.list.key({}),
      without: (old) => ({ monitors: old.monitors.filter((m) => m.name !== props.name) }),
    },
    { page: 'monitors' },
  );

  if (!q.data)
    return (
      <Unread
        query={q}
        title="This monitor could not be read."
        breadcrumb={<Breadcrumb name={props.name} />}
      />
    );
  const { monitor: m, runs, alerts } = q.data;
  const last = runs[0] ?? null;
  const firing = alerts.filter((a) => a.state === 'firing');
  const resolved = alerts.filter((a) => a.state === 'resolved');
  return (
    <div className="page monitor-page">
      <Breadcrumb name={m.name} />
      <header className="page-header">
        <div>
          <h1>
            {m.name} <MonitorStatusBadge status={last?.status ?? null} />{' '}
            {!m.enabled && (
              <StatusPill
                tone="idle"
                label="Paused"
                status="paused"
                testId="paused"
                title="The app does not check it on its own; Check now still works"
              />
            )}
          </h1>
          <p className="muted">
            Watches <a href={href({ page: 'deployment', name: m.deployment })}>{m.deployment}</a>: the last{' '}
            {formatDuration(m.windowSeconds)} of its traffic, checked {formatEvery(m.everySeconds)}. Added{' '}
            {formatDate(m.createdAt)}.
          </p>
        </div>
        <MonitorActions monitor={m} checks={runs.length} remove={remove} />
      </header>
      <ErrorNotice
        error={q.error}
        title="This monitor could not be read again."
        onRetry={() => void q.refetch()}
      />
      <Settings monitor={m} />
      {firing.length > 0 && (
        <section className="card card-flush alerts-card" data-testid="monitor-firing">
          <div className="card-header">
            <h3>
              <span className="alert-dot" aria-hidden="true" />
              Firing
            </h3>
            <span className="firing-count">{firing.length}</span>
          </div>
          <AlertsTable alerts={firing} kind="firing" ofOneMonitor now={now} />
        </section>
      )}
      {last ? (
        <>
          <LastCheck monitor={m} run={last} now={now} />
          <section className="card">
            <div className="card-header">
              <h3>Over time</h3>
              <span className="muted small">{plural(runs.length, 'check')}</span>
            </div>
            <MonitorCharts monitor={m} runs={runs} />
          </section>
          <section className="card card-flush">
            <div className="card-header">
              <h3>Recent checks</h3>
            </div>
            <ChecksTable runs={runs} />
          </section>
        </>
      ) : (
        <EmptyState title="Not checked yet">
          <p>
            {m.everySeconds > 0
              ? `The app checks it ${formatEvery(m.everySeconds)} while it runs; press Check now to see the last ${formatDuration(m.windowSeconds)} at once.`
              : `It is checked only when asked: press Check now, or run mlwb monitors run ${m.name}.`}
          </p>
        </EmptyState>
      )}
      {resolved.length > 0 && (
        <details className="card card-flush resolved-alerts" data-testid="monitor-resolved">
          <summary className="card-header">
            <h3>Resolved alerts</h3>
            <span className="muted small">{resolved.length}</span>
          </summary>
          <AlertsTable alerts={resolved} kind="resolved" ofOneMonitor now={now} />
        </details>
      )}
      <MonitorPolicies monitor={m} now={now} />
    </div>
  );
}

function Settings(props: { monitor: Monitor }) {
  const m = props.monitor;
  return (
    <dl className="facts mon-settings" data-testid="monitor-settings">
      <div>
        <dt>Window</dt>
        <dd>last {formatDuration(m.windowSeconds)}</dd>
      </div>
      <div>
        <dt>Checked</dt>
        <dd>
          {formatEvery(m.everySeconds)}
          {!m.enabled && <span className="muted"> (paused: Check now still works)</span>}
        </dd>
      </div>
      <div>
        <dt>Drift</dt>
        <dd>
          {m.drift
            ? `dataset drift at ${formatMetric('drift_share', m.driftShare)} of the features, from ${m.minRows} rows`
            : 'not tested'}
        </dd>
      </div>
      {m.drift && (
        <div>
          <dt>Reference</dt>
          <dd className={m.reference ? 'mono' : undefined}>
            {m.reference ?? "the model's training data (lineage)"}
          </dd>
        </div>
      )}
      <div>
        <dt>Rules</dt>
        <dd>
          {m.rules.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            m.rules.map((r) => (
              <code key={r.text} className="rule-chip">
                {r.text}
              </code>
            ))
          )}
        </dd>
      </div>
    </dl>
  );
}

function Breadcrumb(props: { name: string }) {
  return (
    <nav className="breadcrumb">
      <a href={href({ page: 'monitors' })}>Monitoring</a>
      <span>/</span>
      <span>{props.name}</span>
    </nav>
  );
}
