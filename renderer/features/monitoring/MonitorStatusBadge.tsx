/** A check's status as a coloured pill (`Not checked` before the first), what it means on hover. */
import type { MonitorRunStatus } from '../../../shared/monitoring.ts';
import { CHECK_STATUS_HINT, CHECK_STATUS_LABEL, type CheckStatus } from './monitorFormat.ts';
import './monitoring.css';

export function MonitorStatusBadge(props: { status: MonitorRunStatus | null }) {
  const status: CheckStatus = props.status ?? 'unchecked';
  return (
    <span
      className={`mon-status mon-status-${status}`}
      data-testid="monitor-status"
      data-status={status}
      title={CHECK_STATUS_HINT[status]}
    >
      <span className="mon-status-dot" aria-hidden="true" />
      {CHECK_STATUS_LABEL[status]}
    </span>
  );
}
