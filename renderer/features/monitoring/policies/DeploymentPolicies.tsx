/**
 * The retraining part of a deployment's Monitoring card: the policies that retrain its model, each
 * with how its last execution ended, and Add policy… for this deployment.
 */
import { useState } from 'react';
import { api } from '../../../api/hooks.ts';
import { ErrorNotice } from '../../../components/Notice.tsx';
import { AddPolicyDialog } from './AddPolicyDialog.tsx';
import { PolicyList } from './PolicyList.tsx';
import '../monitoring.css';
import './policies.css';

export function DeploymentPolicies(props: { deployment: string; now: number }) {
  const q = api.policies.list.useQuery({});
  const [adding, setAdding] = useState(false);
  const mine = (q.data?.policies ?? []).filter((p) => p.deployment === props.deployment);
  return (
    <div className="policies-part" data-testid="deployment-policies">
      <div className="policies-part-header">
        <h4>Retraining</h4>
        <button type="button" className="btn btn-small" onClick={() => setAdding(true)}>
          Add policy…
        </button>
      </div>
      <ErrorNotice
        error={q.error}
        title="The policies could not be listed."
        onRetry={() => void q.refetch()}
      />
      {q.isSuccess && mine.length === 0 ? (
        <p className="muted card-empty">
          No policy retrains {props.deployment}'s model. Add one to train, check and deploy a new version when
          a monitor alerts or its data gets a new version.
        </p>
      ) : (
        mine.length > 0 && <PolicyList policies={mine} now={props.now} />
      )}
      {adding && <AddPolicyDialog deployment={props.deployment} onClose={() => setAdding(false)} />}
    </div>
  );
}
