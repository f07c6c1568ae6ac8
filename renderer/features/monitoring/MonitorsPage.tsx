/**
 * Monitoring: the alerts firing now first (what to look at), then every monitor with its last
 * check, the resolved alerts' history folded away, and the retraining policies that act on alerts
 * and new data. Monitors and policies are added here (any deployment) or from a deployment's page.
 * Kept current by `changed` events: the app's own scheduled checks and retrainings announce what
 * they changed.
 */
import { useState } from 'react';
import { api } from '../../api/hooks.ts';
import { Icon } from '../../components/icons.tsx';
import { EmptyState, ErrorNotice, Loading } from '../../components/Notice.tsx';
import { useNow } from '../../components/useNow.ts';
import { href } from '../../router.ts';
import { AddMonitorDialog } from './AddMonitorDialog.tsx';
import { AlertsTable } from './AlertsTable.tsx';
import { MonitorsTable } from './MonitorsTable.tsx';
import { PoliciesCard } from './policies/PoliciesCard.tsx';
import './monitoring.css';

export function MonitorsPage() {
  const monitors = api.monitors.list.useQuery({});
  const alerts = api.alerts.list.useQuery({});
  const deployments = api.deployments.list.useQuery({});
  const [adding, setAdding] = useState(false);
  const now = useNow(30_000);
  const list = monitors.data?.monitors ?? [];
  const firing = (alerts.data?.alerts ?? []).filter((a) => a.state === 'firing');
  const resolved = (alerts.data?.alerts ?? []).filter((a) => a.state === 'resolved');
  const nothingDeployed = deployments.isSuccess && deployments.data.length === 0;
  return (
    <div className="page monitors-page">
      <header className="page-header">
        <div>
          <h1>Monitoring</h1>
          <p className="muted">
            Monitors watch what deployments answer: each check reads a window of their logged requests, tests
            its features for drift against the model's training data, and checks rules on traffic, errors,
            latency and accuracy. A rule that stops holding fires an alert; it resolves once it holds again.
          </p>
        </div>
        {list.length > 0 && (
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
            Add monitor…
          </button>
        )}
      </header>
      <ErrorNotice
        error={monitors.error}
        title="The monitors could not be listed."
        onRetry={() => void monitors.refetch()}
      />
      <ErrorNotice
        error={alerts.error}
        title="The alerts could not be listed."
        onRetry={() => void alerts.refetch()}
      />
      {monitors.isPending ? (
        <Loading />
      ) : list.length === 0 && !monitors.error ? (
        <EmptyState
          title="No monitors yet"
          icon={<Icon name="monitors" size={36} />}
          actions={
            nothingDeployed ? (
              <a className="btn" href={href({ page: 'models' })}>
                Open Models
              </a>
            ) : (
              <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
                Add monitor…
              </button>
            )
          }
        >
          {nothingDeployed ? (
            <p>
              Monitors watch deployments, and nothing is deployed yet. Deploy a model version first: open it
              on the <a href={href({ page: 'models' })}>Models</a> page and press <strong>Deploy</strong>.
              Then add a monitor here or from the deployment's page.
            </p>
          ) : (
            <p>
              Add a monitor to a deployment to check its traffic on a schedule: drift of its features against
              the training data, and rules such as <code>error_rate &lt; 0.05</code> or{' '}
              <code>p95_latency_ms &lt; 250</code>. From a terminal: <code>mlwb monitors add DEPLOYMENT</code>
              .
            </p>
          )}
        </EmptyState>
      ) : (
        <>
          {firing.length > 0 ? (
            <section className="card card-flush alerts-card" data-testid="firing-alerts">
              <div className="card-header">
                <h3>
                  <span className="alert-dot" aria-hidden="true" />
                  Firing alerts
                </h3>
                <span className="firing-count">{firing.length}</span>
              </div>
              <AlertsTable alerts={firing} kind="firing" now={now} />
            </section>
          ) : (
            alerts.isSuccess && (
              <p className="all-quiet" data-testid="no-firing">
                <span className="dot dot-ok" aria-hidden="true" /> No alert is firing.
              </p>
            )
          )}
          <section className="card card-flush">
            <div className="card-header">
              <h3>Monitors</h3>
              <span className="muted small">{list.length}</span>
            </div>
            <MonitorsTable monitors={list} now={now} />
          </section>
          {resolved.length > 0 && (
            <details className="card card-flush resolved-alerts" data-testid="resolved-alerts">
              <summary className="card-header">
                <h3>Resolved alerts</h3>
                <span className="muted small">{resolved.length}</span>
              </summary>
              <AlertsTable alerts={resolved} kind="resolved" now={now} />
            </details>
          )}
        </>
      )}
      {!monitors.isPending && <PoliciesCard now={now} nothingDeployed={nothingDeployed} />}
      {adding && <AddMonitorDialog onClose={() => setAdding(false)} />}
    </div>
  );
}
