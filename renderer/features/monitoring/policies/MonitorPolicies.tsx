/**
 * A monitor page's Retraining card: the policies its alerts set off, and Add policy… with this
 * monitor's deployment and alerts filled in.
 */
import { useState } from 'react';
import type { Monitor } from '../../../../shared/monitoring.ts';
import { api } from '../../../api/hooks.ts';
import { ErrorNotice } from '../../../components/Notice.tsx';
import { AddPolicyDialog } from './AddPolicyDialog.tsx';
import { PolicyList } from './PolicyList.tsx';
import '../monitoring.css';
import './policies.css';

export function MonitorPolicies(props: { monitor: Monitor; now: number }) {
  const m = props.monitor;
  const q = api.policies.list.useQuery({});
  const [adding, setAdding] = useState(false);
  const mine = (q.data?.policies ?? []).filter((p) => p.triggers.monitor === m.name);
  return (
    <section className="card card-flush" data-testid="monitor-policies">
      <div className="card-header">
        <h3>Retraining on its alerts</h3>
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
          No policy acts on its alerts. Add one to retrain {m.deployment}'s model when they fire: train on the
          newest data, check the new version against the alias's gate, and deploy it.
        </p>
      ) : (
        mine.length > 0 && <PolicyList policies={mine} now={props.now} />
      )}
      {adding && (
        <AddPolicyDialog deployment={m.deployment} monitor={m.name} onClose={() => setAdding(false)} />
      )}
    </section>
  );
}
