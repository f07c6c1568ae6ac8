/** A run's state as a coloured pill; running and queued runs pulse gently. */
import type { RunStatus } from '../../../shared/tracking.ts';
import './runs.css';

const LABEL: Record<RunStatus, string> = {
  QUEUED: 'Queued',
  RUNNING: 'Running',
  FINISHED: 'Finished',
  FAILED: 'Failed',
  KILLED: 'Killed',
  LOST: 'Lost',
};

export function RunStatusBadge(props: { status: RunStatus; title?: string }) {
  return (
    <span
      className={`run-status run-status-${props.status.toLowerCase()}`}
      data-testid="run-status"
      data-status={props.status}
      title={props.title}
    >
      <span className="run-status-dot" aria-hidden="true" />
      {LABEL[props.status]}
    </span>
  );
}
