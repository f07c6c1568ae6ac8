/** One deployment in the list, with its live figures polled while it serves. */
import type { Deployment } from '../../../shared/deployments.ts';
import { href, navigate } from '../../router.ts';
import { CopyButton } from './CopyButton.tsx';
import { DeploymentStatusBadge } from './DeploymentStatusBadge.tsx';
import {
  formatErrorRate,
  formatMode,
  formatMs,
  formatRate,
  formatUptime,
  isServing,
} from './deploymentFormat.ts';
import { ServedVersion } from './ServedVersion.tsx';
import { useLiveMetrics } from './useLiveMetrics.ts';

export function DeploymentRow(props: { deployment: Deployment; now: number }) {
  const d = props.deployment;
  const serving = isServing(d.status);
  const { metrics } = useLiveMetrics(d.name, serving);
  return (
    <tr
      className="clickable"
      data-testid="deployment-row"
      onClick={(e) => {
        // Links and buttons in the row do their own thing.
        if ((e.target as HTMLElement).closest('a, button')) return;
        navigate({ page: 'deployment', name: d.name });
      }}
    >
      <td className="strong">
        <a href={href({ page: 'deployment', name: d.name })}>{d.name}</a>
      </td>
      <td>
        <DeploymentStatusBadge status={d.status} problem={d.problem} />
        {d.problem && <div className="muted small dep-problem">{d.problem}</div>}
      </td>
      <td className="nowrap">
        <a className="mono small" href={d.url} target="_blank" rel="noreferrer" data-testid="deployment-url">
          {d.url}
        </a>
        <CopyButton text={d.url} what="the URL" />
      </td>
      <td>
        <ServedVersion deployment={d} linkToPage />
      </td>
      <td className="nowrap">{formatMode(d)}</td>
      <td className="num nowrap">{serving ? formatUptime(d.startedAt, props.now) : '—'}</td>
      <td className="num">{serving ? formatRate(metrics?.requestsPerSecond) : '—'}</td>
      <td className="num nowrap">{serving ? formatMs(metrics?.p50Ms) : '—'}</td>
      <td className="num nowrap">{serving ? formatMs(metrics?.p95Ms) : '—'}</td>
      <td className="num">{serving ? formatErrorRate(metrics?.errorRate) : '—'}</td>
    </tr>
  );
}
