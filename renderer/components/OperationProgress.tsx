/**
 * A long operation while it runs (its phase and a bar, and Cancel) or after it failed (the
 * backend's message, and a build log or readiness failure when it sent one): deployments' deploy,
 * update, restart, stop and remove, a monitor's check, and a policy's retraining.
 */
import type { ApiError } from '../api/apiError.ts';
import type { OpProgress } from '../api/operations.ts';
import { ErrorNotice, ProgressBar } from './Notice.tsx';
import './OperationProgress.css';

type State =
  | { status: 'idle' }
  | { status: 'running'; progress: OpProgress | null }
  | { status: 'succeeded' }
  | { status: 'failed'; error: ApiError };

export function OperationProgress(props: {
  state: State;
  /** What is under way: "Deploying", "Stopping". */
  doing: string;
  failed: string;
  onCancel(): void;
  /** Cancelling is not offered (the operation is past the point of no return). */
  noCancel?: boolean;
}) {
  const s = props.state;
  if (s.status === 'running') {
    const p = s.progress;
    const detail = p ? [p.phase, p.message].filter(Boolean).join(': ') : 'starting';
    return (
      <div className="op-progress" role="status" data-testid="op-progress">
        <div className="op-progress-text">
          <strong>{props.doing}…</strong> <span className="muted">{detail}</span>
          {p?.total ? (
            <span className="muted small">
              {' '}
              ({p.done} of {p.total})
            </span>
          ) : null}
        </div>
        <ProgressBar done={p?.done ?? 0} total={p?.total ?? null} label={props.doing} />
        {!props.noCancel && (
          <button type="button" className="btn btn-small" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    );
  }
  if (s.status === 'failed' && s.error.code !== 'CANCELLED')
    return (
      <>
        <ErrorNotice error={s.error} title={props.failed} />
        <FailureLog details={s.error.details} />
      </>
    );
  if (s.status === 'failed') return <p className="muted small">Cancelled.</p>;
  return null;
}

/** A log the backend attached to a refusal (an image build, a container that never got ready). */
function FailureLog(props: { details: unknown }) {
  const d = props.details as { log?: unknown; lines?: unknown } | string | undefined;
  const raw = typeof d === 'string' ? d : (d?.log ?? d?.lines);
  const text = Array.isArray(raw) ? raw.map(String).join('\n') : typeof raw === 'string' ? raw : null;
  if (!text) return null;
  return (
    <details className="failure-log" open>
      <summary>Log</summary>
      <pre className="log-block">{text}</pre>
    </details>
  );
}
