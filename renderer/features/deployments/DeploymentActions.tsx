/**
 * Restart, Stop and Remove, each a long operation with its progress, Cancel and failure shown
 * under the buttons. Remove asks first: it stops the containers and forgets the deployment.
 */
import { useState } from 'react';
import type { Deployment } from '../../../shared/deployments.ts';
import { api } from '../../api/hooks.ts';
import { ConfirmRemove } from '../../components/ConfirmRemove.tsx';
import { OperationProgress } from '../../components/OperationProgress.tsx';
import { useLeaveWhenRemoved } from '../../components/useLeaveWhenRemoved.ts';
import { isServing } from './deploymentFormat.ts';
import { ReplacementOutcome } from './ReplacementOutcome.tsx';
import type { DeploymentOps } from './useDeploymentOps.ts';

export function DeploymentActions(props: { deployment: Deployment; ops: DeploymentOps }) {
  const d = props.deployment;
  const { restart, stop, remove, running } = props.ops;
  const [confirming, setConfirming] = useState(false);
  const removed = remove.state.status === 'succeeded';
  useLeaveWhenRemoved<Deployment[]>(
    removed,
    { key: api.deployments.list.key({}), without: (old) => old.filter((x) => x.name !== d.name) },
    { page: 'deployments' },
  );
  const restarted = restart.state.status === 'succeeded' ? restart.state.result : null;
  return (
    <div className="dep-actions">
      <div className="button-row">
        <button
          type="button"
          className="btn"
          disabled={running}
          title={
            isServing(d.status)
              ? 'Replaces the container by a fresh one of the same version, health-gated'
              : 'Starts the deployment again'
          }
          onClick={() => {
            stop.reset();
            void restart.start({ name: d.name });
          }}
        >
          {isServing(d.status) ? 'Restart' : 'Start'}
        </button>
        <button
          type="button"
          className="btn"
          disabled={running || d.status === 'stopped' || d.status === 'missing'}
          title="Stops serving; requests in flight finish. The deployment stays, to be started again."
          onClick={() => {
            restart.reset();
            void stop.start({ name: d.name });
          }}
        >
          Stop
        </button>
        <button
          type="button"
          className="btn btn-danger"
          disabled={running}
          onClick={() => setConfirming(true)}
        >
          Remove…
        </button>
      </div>
      <OperationProgress
        state={restart.state}
        doing="Restarting"
        failed="Not restarted."
        onCancel={restart.cancel}
      />
      <OperationProgress state={stop.state} doing="Stopping" failed="Not stopped." onCancel={stop.cancel} />
      <OperationProgress
        state={remove.state}
        doing="Removing"
        failed="Not removed."
        onCancel={remove.cancel}
      />
      {remove.state.status === 'failed' && remove.state.error.code === 'ENGINE_UNAVAILABLE' && (
        <div className="button-row">
          <button
            type="button"
            className="btn btn-danger"
            onClick={() => void remove.start({ name: d.name, force: true })}
          >
            Forget it
          </button>
          <span className="muted small">
            The workbench forgets {d.name}; whatever it left on that engine stays there.
          </span>
        </div>
      )}
      {restarted && restarted.outcome === 'rolled-back' && (
        <ReplacementOutcome
          replacement={{ from: d.version, to: d.version, outcome: 'rolled-back', reason: restarted.reason }}
          serving={restarted.deployment.status === 'running'}
        />
      )}
      {confirming && (
        <ConfirmRemove
          title={`Remove ${d.name}?`}
          onClose={() => setConfirming(false)}
          onRemove={() => void remove.start({ name: d.name })}
        >
          <p>
            Its containers are stopped and removed, and the workbench forgets it. The requests it logged stay
            on disk. {d.model}@v{d.version} stays registered and can be deployed again.
          </p>
        </ConfirmRemove>
      )}
    </div>
  );
}
