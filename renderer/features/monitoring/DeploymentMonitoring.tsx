/**
 * A deployment page's Monitoring card: the monitors that watch it, each with its last check and
 * its firing alerts (a list, narrow enough for the page's side column), then the policies that
 * retrain its model, each with how its last execution ended; and a way to add either for it.
 */
import { useState } from 'react';
import { api } from '../../api/hooks.ts';
import { ErrorNotice } from '../../components/Notice.tsx';
import { useNow } from '../../components/useNow.ts';
import { formatAgo, formatDate } from '../../format.ts';
import { href } from '../../router.ts';
import { AddMonitorDialog } from './AddMonitorDialog.tsx';
import { MonitorStatusBadge } from './MonitorStatusBadge.tsx';
import { formatDuration, formatEvery } from './monitorFormat.ts';
import { DeploymentPolicies } from './policies/DeploymentPolicies.tsx';
import './monitoring.css';

export function DeploymentMonitoring(props: { deployment: string }) {
  const q = api.monitors.list.useQuery({});
  const [adding, setAdding] = useState(false);
  const now = useNow(30_000);
  const mine = (q.data?.monitors ?? []).filter((m) => m.deployment === props.deployment);
  return (
    <section className="card card-flush mon-card" data-testid="deployment-monitoring">
      <div className="card-header">
        <h3>Monitoring</h3>
        <a className="muted small" href={href({ page: 'monitors' })}>
          All monitors
        </a>
        <button type="button" className="btn btn-small" onClick={() => setAdding(true)}>
          Add monitor…
        </button>
      </div>
      <ErrorNotice
        error={q.error}
        title="The monitors could not be listed."
        onRetry={() => void q.refetch()}
      />
      {q.isSuccess && mine.length === 0 ? (
        <p className="muted card-empty">
          No monitor watches {props.deployment} yet. Add one to check its traffic on a schedule: drift of its
          features against the training data, and rules on errors, latency and accuracy.
        </p>
      ) : (
        mine.length > 0 && (
          <ul className="mon-list">
            {mine.map((m) => (
              <li key={m.name} data-testid="monitor-row">
                <div className="mon-list-head">
                  <a className="strong" href={href({ page: 'monitor', name: m.name })}>
                    {m.name}
                  </a>
                  <MonitorStatusBadge status={m.lastRun?.status ?? null} />
                  {m.firing > 0 && (
                    <span className="firing-count" data-testid="firing-count" title="Alerts firing">
                      {m.firing}
                    </span>
                  )}
                </div>
                <div className="muted small">
                  last {formatDuration(m.windowSeconds)} of traffic, checked {formatEvery(m.everySeconds)}
                  {m.lastRun && (
                    <span title={formatDate(m.lastRun.at)}> · last check {formatAgo(m.lastRun.at, now)}</span>
                  )}
                </div>
              </li>
            ))}
          </ul>
        )
      )}
      <DeploymentPolicies deployment={props.deployment} now={now} />
      {adding && <AddMonitorDialog deployment={props.deployment} onClose={() => setAdding(false)} />}
    </section>
  );
}
