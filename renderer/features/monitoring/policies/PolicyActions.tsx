/**
 * Retrain now (a long operation: the step under way, a bar and Cancel, or why it could not start;
 * it runs on when the page is left, see useRetrain.ts), Edit (its settings in place), Pause or
 * Resume (its triggers), and Remove, which asks first. Removing takes the policy's executions with
 * it, then opens Monitoring; the runs, versions and deployment they made stay.
 */
import type { UseMutationResult } from '@tanstack/react-query';
import { useState } from 'react';
import type { Policy } from '../../../../shared/policies.ts';
import type { ApiError } from '../../../api/apiError.ts';
import { api } from '../../../api/hooks.ts';
import { ConfirmRemove } from '../../../components/ConfirmRemove.tsx';
import { ErrorNotice } from '../../../components/Notice.tsx';
import { OperationProgress } from '../../../components/OperationProgress.tsx';
import { plural } from '../../../format.ts';
import { PauseButton } from '../PauseButton.tsx';
import { EditPolicyDialog } from './EditPolicyDialog.tsx';
import type { Retrain } from './useRetrain.ts';
import '../monitoring.css';

export type RemovePolicy = UseMutationResult<{ removed: boolean }, ApiError, { name: string }>;
export type CancelOp = UseMutationResult<{ cancelled: boolean }, ApiError, { op: string }>;

export function PolicyActions(props: {
  policy: Policy;
  executions: number;
  /** An execution is under way, started here, by the app's schedule or from a terminal. */
  busy: boolean;
  retrain: Retrain;
  onRetrain(): void;
  remove: RemovePolicy;
  /** The operation running the execution under way (started by the schedule, or before). */
  runningOp: string | null;
  cancelOther: CancelOp;
}) {
  const p = props.policy;
  const update = api.policies.update.useMutation();
  const [confirming, setConfirming] = useState(false);
  const [editing, setEditing] = useState(false);
  const retraining = props.retrain.state.status === 'running';
  const removing = props.remove.isPending || props.remove.isSuccess;
  // What was asked of the execution under way now (not of one before it).
  const asked = props.runningOp !== null && props.cancelOther.variables?.op === props.runningOp;
  return (
    <div className="mon-actions">
      <div className="button-row">
        <button
          type="button"
          className="btn btn-primary"
          disabled={retraining || props.busy || removing}
          title={
            props.busy && !retraining
              ? 'An execution is under way; one runs at a time.'
              : 'Trains, registers, evaluates, promotes and deploys a new version now'
          }
          onClick={props.onRetrain}
        >
          {retraining || props.busy ? 'Retraining…' : 'Retrain now'}
        </button>
        <button type="button" className="btn" disabled={removing} onClick={() => setEditing(true)}>
          Edit…
        </button>
        <PauseButton
          enabled={p.enabled}
          disabled={removing || update.isPending}
          pauseTitle="Alerts and new data no longer retrain; Retrain now still works"
          resumeTitle="Alerts and new data retrain again"
          onToggle={(enabled) => update.mutate({ name: p.name, enabled })}
        />
        <button
          type="button"
          className="btn btn-danger"
          disabled={retraining || props.busy || removing}
          onClick={() => setConfirming(true)}
        >
          Remove…
        </button>
      </div>
      {props.busy && !retraining && props.runningOp && (
        <div className="notice notice-info">
          An execution is under way (see the pipeline below).{' '}
          {!asked && (
            <button
              type="button"
              className="btn btn-small"
              disabled={props.cancelOther.isPending}
              onClick={() => props.cancelOther.mutate({ op: props.runningOp! })}
            >
              Cancel it
            </button>
          )}
          {asked &&
            props.cancelOther.data?.cancelled === false &&
            " It runs in another process (a terminal's mlwb policies run): stop it there with Ctrl+C."}
          {asked && props.cancelOther.data?.cancelled && ' Cancelling…'}
        </div>
      )}
      {asked && <ErrorNotice error={props.cancelOther.error} title="Not cancelled." />}
      <OperationProgress
        state={props.retrain.state}
        doing="Retraining"
        failed="Not retrained."
        onCancel={props.retrain.cancel}
      />
      <ErrorNotice error={props.remove.error} title="Not removed." />
      <ErrorNotice error={update.error} title={p.enabled ? 'Not paused.' : 'Not resumed.'} />
      {editing && <EditPolicyDialog policy={p} busy={props.busy} onClose={() => setEditing(false)} />}
      {confirming && (
        <ConfirmRemove
          title={`Remove ${p.name}?`}
          onClose={() => setConfirming(false)}
          onRemove={() => props.remove.mutate({ name: p.name })}
        >
          <p>
            Its history of {plural(props.executions, 'execution')} goes with it, and {p.deployment} is no
            longer retrained. The runs, model versions and aliases its executions made stay, and{' '}
            {p.deployment} keeps serving what it serves.
          </p>
        </ConfirmRemove>
      )}
    </div>
  );
}
