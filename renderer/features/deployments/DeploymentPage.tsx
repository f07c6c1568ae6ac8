/**
 * One deployment: its status, URL and served version; its live figures; its actions (update to
 * another version, restart, stop, remove); its last replacement; the try-it form; the monitors
 * that watch it; its history, its recent requests and its logs. A dead deployment shows its last log lines first. Re-read every few seconds, since the
 * engine changes state without telling the workbench.
 */
import { useState } from 'react';
import { api } from '../../api/hooks.ts';
import { ErrorNotice, Unread } from '../../components/Notice.tsx';
import { useNow } from '../../components/useNow.ts';
import { formatDate } from '../../format.ts';
import { href } from '../../router.ts';
import { DeploymentMonitoring } from '../monitoring/DeploymentMonitoring.tsx';
import { CopyButton } from './CopyButton.tsx';
import { DeploymentActions } from './DeploymentActions.tsx';
import { DeploymentLogs } from './DeploymentLogs.tsx';
import { DeploymentStatusBadge } from './DeploymentStatusBadge.tsx';
import { formatMode, formatUptime, isServing, plainLogText } from './deploymentFormat.ts';
import { HistoryCard } from './HistoryCard.tsx';
import { LiveFigures } from './LiveFigures.tsx';
import { RecentRequests } from './RecentRequests.tsx';
import { ReplacementOutcome } from './ReplacementOutcome.tsx';
import { ServedVersion } from './ServedVersion.tsx';
import { TryItCard } from './TryItCard.tsx';
import { type UpdateAsked, UpdateCard } from './UpdateCard.tsx';
import { useDeploymentOps } from './useDeploymentOps.ts';
import { STATUS_POLL_MS } from './useLiveMetrics.ts';
import './deployments.css';

export function DeploymentPage(props: { name: string }) {
  const ops = useDeploymentOps();
  const q = api.deployments.get.useQuery(
    { name: props.name },
    { enabled: !ops.removing, refetchInterval: STATUS_POLL_MS },
  );
  const { update } = ops;
  const [asked, setAsked] = useState<UpdateAsked | null>(null);
  const now = useNow();
  if (!q.data)
    return (
      <Unread
        query={q}
        title="This deployment could not be read."
        breadcrumb={<Breadcrumb name={props.name} />}
      />
    );
  const d = q.data;
  const serving = isServing(d.status);
  const startUpdate = (target: { version: number } | { alias: string; followAlias: boolean }, to: number) => {
    setAsked({ from: d.version, to });
    void update.start({ name: d.name, ...target });
  };
  return (
    <div className="page deployment-page">
      <Breadcrumb name={d.name} />
      <header className="page-header">
        <div>
          <h1>
            {d.name} <DeploymentStatusBadge status={d.status} problem={d.problem} />
          </h1>
          <p className="dep-url">
            <a className="mono" href={d.url} target="_blank" rel="noreferrer" data-testid="deployment-url">
              {d.url}
            </a>
            <CopyButton text={d.url} what="the URL" />
          </p>
          <p className="muted">
            <ServedVersion
              deployment={d}
              onUpdateToAlias={
                d.alias && d.aliasVersion !== null && !ops.running
                  ? () => startUpdate({ alias: d.alias!, followAlias: d.followAlias }, d.aliasVersion!)
                  : undefined
              }
            />{' '}
            · {formatMode(d)} · {d.engine ?? 'default engine'} · up{' '}
            <span data-testid="uptime">{serving ? formatUptime(d.startedAt, now) : '—'}</span> · deployed{' '}
            {formatDate(d.createdAt)}
          </p>
        </div>
        <DeploymentActions deployment={d} ops={ops} />
      </header>
      <ErrorNotice
        error={q.error}
        title="This deployment could not be read again."
        onRetry={() => void q.refetch()}
      />
      {(d.problem || (d.status !== 'running' && d.lastLogLines.length > 0)) && (
        <div className={d.status === 'dead' ? 'notice notice-error' : 'notice notice-warning'} role="status">
          <div className="notice-text" data-testid="deployment-problem">
            <strong>{d.status === 'dead' ? 'The container died: ' : 'Note: '}</strong>
            {d.problem ?? `the deployment is ${d.status}.`}
            {d.lastLogLines.length > 0 && (
              <pre className="log-block" data-testid="last-log-lines">
                {plainLogText(d.lastLogLines.join('\n'))}
              </pre>
            )}
          </div>
        </div>
      )}
      {/* After an update made here, its outcome shows in the update card instead. */}
      {d.lastReplacement && update.state.status !== 'succeeded' && (
        <ReplacementOutcome replacement={d.lastReplacement} title="Last replacement" />
      )}

      <div className="dep-columns">
        <div className="dep-stack">
          <LiveFigures name={d.name} serving={serving && !ops.stopping} />
          <TryItCard deployment={d} />
        </div>
        <div className="dep-stack">
          <UpdateCard deployment={d} op={update} asked={asked} busy={ops.running} onStart={startUpdate} />
          <DeploymentMonitoring deployment={d.name} />
          <HistoryCard events={d.history} />
        </div>
      </div>
      <RecentRequests deployment={d.name} />
      <DeploymentLogs name={d.name} container={d.container} />
    </div>
  );
}

function Breadcrumb(props: { name: string }) {
  return (
    <nav className="breadcrumb">
      <a href={href({ page: 'deployments' })}>Deployments</a>
      <span>/</span>
      <span>{props.name}</span>
    </nav>
  );
}
