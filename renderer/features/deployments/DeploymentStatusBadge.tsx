/** A deployment's status as a coloured pill, its `problem` (when there is one) on hover. */
import type { DeploymentStatus } from '../../../shared/deployments.ts';
import { StatusPill } from '../../components/StatusPill.tsx';
import { STATUS_LABEL, statusTone } from './deploymentFormat.ts';

export function DeploymentStatusBadge(props: { status: DeploymentStatus; problem?: string | null }) {
  return (
    <StatusPill
      tone={statusTone(props.status)}
      label={STATUS_LABEL[props.status]}
      status={props.status}
      testId="deployment-status"
      title={props.problem ?? undefined}
    />
  );
}
