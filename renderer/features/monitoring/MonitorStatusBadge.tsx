/** A check's status as a coloured pill (`Not checked` before the first), what it means on hover. */
import type { MonitorRunStatus } from '../../../shared/monitoring.ts';
import { type PillTone, StatusPill } from '../../components/StatusPill.tsx';
import { CHECK_STATUS_HINT, CHECK_STATUS_LABEL, type CheckStatus } from './monitorFormat.ts';

const TONE: Record<CheckStatus, PillTone> = {
  ok: 'ok',
  alerting: 'bad',
  failed: 'warn',
  'no-data': 'idle',
  unchecked: 'idle',
};

export function MonitorStatusBadge(props: { status: MonitorRunStatus | null }) {
  const status: CheckStatus = props.status ?? 'unchecked';
  return (
    <StatusPill
      tone={TONE[status]}
      label={CHECK_STATUS_LABEL[status]}
      status={status}
      testId="monitor-status"
      title={CHECK_STATUS_HINT[status]}
    />
  );
}
