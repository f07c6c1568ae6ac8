/**
 * An execution's status as a coloured pill ("Never run" before the first), and its five steps as
 * small dots in pipeline order, each step's state and message on hover.
 */
import type { PipelineStep, PolicyExecution } from '../../../../shared/policies.ts';
import { type PillTone, StatusPill } from '../../../components/StatusPill.tsx';
import {
  EXECUTION_STATUS_HINT,
  EXECUTION_STATUS_LABEL,
  STEP_LABEL,
  STEP_STATE_LABEL,
} from './policyFormat.ts';
import './policies.css';

const TONE: Record<PolicyExecution['status'] | 'never', PillTone> = {
  deployed: 'ok',
  running: 'busy',
  rejected: 'warn',
  failed: 'bad',
  cancelled: 'idle',
  never: 'idle',
};

export function ExecutionStatusBadge(props: { execution: PolicyExecution | null }) {
  const status = props.execution?.status ?? 'never';
  return (
    <StatusPill
      tone={TONE[status]}
      label={status === 'never' ? 'Never run' : EXECUTION_STATUS_LABEL[status]}
      status={status}
      testId="execution-status"
      title={status === 'never' ? 'Not retrained yet.' : EXECUTION_STATUS_HINT[status]}
    />
  );
}

export function StepDots(props: { steps: PipelineStep[] }) {
  return (
    <span className="step-dots" data-testid="step-dots">
      {props.steps.map((s) => (
        <span
          key={s.name}
          className={`step-dot step-dot-${s.state}`}
          data-state={s.state}
          title={`${STEP_LABEL[s.name]}: ${STEP_STATE_LABEL[s.state]}${s.message ? ` — ${s.message}` : ''}`}
        />
      ))}
    </span>
  );
}
