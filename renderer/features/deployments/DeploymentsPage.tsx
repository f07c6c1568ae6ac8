/**
 * Every deployment with its status, URL, served version, uptime and live figures. The list is
 * polled every few seconds, because the engine changes state (a container dies, a replacement
 * ends) without telling the workbench; each serving row polls its own figures.
 */
import { api } from '../../api/hooks.ts';
import { Icon } from '../../components/icons.tsx';
import { EmptyState, ErrorNotice, Loading } from '../../components/Notice.tsx';
import { useNow } from '../../components/useNow.ts';
import { href } from '../../router.ts';
import { DeploymentRow } from './DeploymentRow.tsx';
import { STATUS_POLL_MS } from './useLiveMetrics.ts';
import './deployments.css';

export function DeploymentsPage() {
  const list = api.deployments.list.useQuery({}, { refetchInterval: STATUS_POLL_MS });
  const now = useNow();
  const rows = list.data ?? [];
  return (
    <div className="page deployments-page">
      <header className="page-header">
        <div>
          <h1>Deployments</h1>
          <p className="muted">
            Model versions serving requests from their images, each at its own URL, replaced health-gated by
            another version when you update them.
          </p>
        </div>
      </header>
      <ErrorNotice
        error={list.error}
        title="The deployments could not be listed."
        onRetry={() => void list.refetch()}
      />
      {list.isPending ? (
        <Loading />
      ) : rows.length === 0 && !list.error ? (
        <EmptyState title="Nothing deployed yet" icon={<Icon name="deployments" size={36} />}>
          <p>
            Open a version on the <a href={href({ page: 'models' })}>Models</a> page and press{' '}
            <strong>Deploy</strong>: the workbench packages it into an image, starts it on your engine and
            shows it here with its URL. From a terminal: <code>mlwb deploy NAME@VERSION</code> (or{' '}
            <code>NAME@ALIAS</code> to follow an alias).
          </p>
        </EmptyState>
      ) : (
        <div className="card card-flush">
          <div className="table-scroll">
            <table className="grid grid-hover" data-testid="deployments-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th>URL</th>
                  <th>Model</th>
                  <th>Mode</th>
                  <th className="num">Uptime</th>
                  <th className="num" title="Requests per second, over the last read">
                    Req/s
                  </th>
                  <th className="num">p50</th>
                  <th className="num">p95</th>
                  <th className="num" title="Share of requests answered with a 4xx or 5xx status">
                    Errors
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((d) => (
                  <DeploymentRow key={d.name} deployment={d} now={now} />
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </div>
  );
}
