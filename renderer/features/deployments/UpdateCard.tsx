/**
 * Update to another version (or to what an alias names), health-gated by core: progress while the
 * new container starts beside the old one, then "replaced" or the rollback and its reason.
 */
import { useState } from 'react';
import type { Deployment } from '../../../shared/deployments.ts';
import type { useOperation } from '../../api/hooks.ts';
import { api } from '../../api/hooks.ts';
import { OperationProgress } from '../../components/OperationProgress.tsx';
import { ReplacementOutcome } from './ReplacementOutcome.tsx';

export type UpdateOp = ReturnType<typeof useOperation<'deployments.update'>>;

/** What the last update asked for, to say the outcome in versions. */
export interface UpdateAsked {
  from: number;
  to: number;
}

export function UpdateCard(props: {
  deployment: Deployment;
  op: UpdateOp;
  asked: UpdateAsked | null;
  /** Another operation of the deployment is under way: updating waits for it. */
  busy: boolean;
  onStart(target: { version: number } | { alias: string; followAlias: boolean }, to: number): void;
}) {
  const d = props.deployment;
  const model = api.models.get.useQuery({ name: d.model });
  const versions = (model.data?.versions ?? []).map((v) => v.version).sort((a, b) => b - a);
  const aliases = Object.entries(model.data?.model.aliases ?? {});
  const [choice, setChoice] = useState('');
  const [follow, setFollow] = useState(true);
  const alias = choice.startsWith('@') ? choice.slice(1) : null;
  const to = alias !== null ? model.data?.model.aliases[alias] : choice ? Number(choice) : undefined;
  const running = props.op.state.status === 'running' || props.busy;
  const result = props.op.state.status === 'succeeded' ? props.op.state.result : null;
  return (
    <div className="card" data-testid="update-card">
      <div className="card-header">
        <h3>Update to another version</h3>
      </div>
      <p className="muted small">
        The new version starts beside the one serving and takes the traffic only once it is ready; if it does
        not get ready in time, v{d.version} keeps serving and the reason is shown here.
      </p>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (to === undefined) return;
          props.onStart(alias !== null ? { alias, followAlias: follow } : { version: to }, to);
        }}
      >
        <label className="field">
          <span className="form-label">Version</span>
          <select
            className="input"
            aria-label="Update to"
            value={choice}
            disabled={running}
            onChange={(e) => setChoice(e.target.value)}
          >
            <option value="" disabled>
              Choose a version
            </option>
            {aliases.map(([a, v]) => (
              <option key={`@${a}`} value={`@${a}`}>
                {a} (v{v})
              </option>
            ))}
            {versions.map((v) => (
              <option key={v} value={String(v)}>
                v{v}
                {v === d.version ? ' (serving)' : ''}
              </option>
            ))}
          </select>
        </label>
        {alias !== null && (
          <label className="check-label" title="Replace the deployment again whenever the alias moves">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
            Follow {alias}
          </label>
        )}
        <button type="submit" className="btn btn-primary" disabled={running || to === undefined}>
          Update
        </button>
      </form>
      <OperationProgress
        state={props.op.state}
        doing={props.asked ? `Replacing v${props.asked.from} by v${props.asked.to}` : 'Replacing'}
        failed="The update did not run."
        onCancel={props.op.cancel}
      />
      {result && props.asked && (
        <ReplacementOutcome
          replacement={{
            from: props.asked.from,
            to: props.asked.to,
            outcome: result.outcome,
            reason: result.reason,
          }}
        />
      )}
    </div>
  );
}
