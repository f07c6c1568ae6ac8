/** A deployment's status as a coloured pill, its `problem` (when there is one) on hover. */
import type { DeploymentStatus } from '../../../shared/deployments.ts';
import { STATUS_LABEL, statusTone } from './deploymentFormat.ts';
import './deployments.css';

export function DeploymentStatusBadge(props: { status: DeploymentStatus; problem?: string | null }) {
  return (
    <span
      className={`dep-status dep-status-${statusTone(props.status)}`}
      data-testid="deployment-status"
      data-status={props.status}
      title={props.problem ?? undefined}
    >
      <span className="dep-status-dot" aria-hidden="true" />
      {STATUS_LABEL[props.status]}
    </span>
  );
}
