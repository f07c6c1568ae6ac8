/**
 * The Monitoring page's Retraining card: every continuous-training policy with the deployment it
 * retrains for, the alias it promotes through, what sets it off, and how its last execution ended.
 * A row opens the policy's page. Empty, it says what a policy does and offers to add one.
 */
import { useState } from 'react';
import type { PolicySummary } from '../../../../shared/policies.ts';
import { api } from '../../../api/hooks.ts';
import { ErrorNotice } from '../../../components/Notice.tsx';
import { formatAgo, formatDate } from '../../../format.ts';
import { href, navigate } from '../../../router.ts';
import { AddPolicyDialog } from './AddPolicyDialog.tsx';
import { ExecutionStatusBadge } from './ExecutionStatus.tsx';
import { triggersText } from './policyFormat.ts';
import './policies.css';

export function PoliciesCard(props: { now: number; nothingDeployed: boolean }) {
  const q = api.policies.list.useQuery({});
  const [adding, setAdding] = useState(false);
  const list = q.data?.policies ?? [];
  return (
    <section className="card card-flush" data-testid="policies-card">
      <div className="card-header">
        <h3>Retraining</h3>
        <span className="muted small">{q.isSuccess ? list.length : ''}</span>
        <button
          type="button"
          className="btn btn-small"
          disabled={props.nothingDeployed}
          title={props.nothingDeployed ? 'Deploy a model version first' : undefined}
          onClick={() => setAdding(true)}
        >
          Add policy…
        </button>
      </div>
      <ErrorNotice
        error={q.error}
        title="The policies could not be listed."
        onRetry={() => void q.refetch()}
      />
      {q.isSuccess && list.length === 0 ? (
        <div className="card-empty policies-empty" data-testid="policies-empty">
          <p>
            A retraining policy keeps a deployment's model fresh: when a monitor's alert fires, or its
            training data gets a new version, it trains the recipe again on the newest data, registers the new
            version, evaluates it, moves the alias through its gate and replaces the deployment, health-gated.
            The version serving now keeps serving when the gate refuses the new one.
          </p>
          <p className="muted small">
            {props.nothingDeployed ? (
              'Nothing is deployed yet: deploy a model version first, then add a policy for it.'
            ) : (
              <>
                Add one here or from a deployment's or a monitor's page. From a terminal:{' '}
                <code>mlwb policies add DEPLOYMENT --new-data</code>.
              </>
            )}
          </p>
        </div>
      ) : (
        list.length > 0 && <PoliciesTable policies={list} now={props.now} />
      )}
      {adding && <AddPolicyDialog onClose={() => setAdding(false)} />}
    </section>
  );
}

function PoliciesTable(props: { policies: PolicySummary[]; now: number }) {
  return (
    <div className="table-scroll">
      <table className="grid grid-hover" data-testid="policies-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Deployment</th>
            <th>Promotes</th>
            <th>Retrains on</th>
            <th>Last execution</th>
          </tr>
        </thead>
        <tbody>
          {props.policies.map((p) => {
            const last = p.lastExecution;
            return (
              <tr
                key={p.name}
                className="clickable"
                data-testid="policy-row"
                onClick={(e) => {
                  if ((e.target as HTMLElement).closest('a, button')) return;
                  navigate({ page: 'policy', name: p.name });
                }}
              >
                <td className="strong nowrap">
                  <a href={href({ page: 'policy', name: p.name })}>{p.name}</a>
                  {!p.enabled && <span className="muted small"> (paused)</span>}
                </td>
                <td className="nowrap">
                  <a href={href({ page: 'deployment', name: p.deployment })}>{p.deployment}</a>
                </td>
                <td className="nowrap mono">
                  {p.model}@{p.alias}
                </td>
                <td className="policy-triggers">{triggersText(p.triggers)}</td>
                <td className="nowrap">
                  <ExecutionStatusBadge execution={last} />
                  {last && (
                    <span className="muted small exec-when" title={formatDate(last.startedAt)}>
                      {formatAgo(last.startedAt, props.now)}
                      {last.version !== null && ` · v${last.version}`}
                    </span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
