/**
 * One retraining policy: what it retrains and promotes, Retrain now and Remove, what it trains
 * (recipe, data, params), what sets it off, the latest execution (or the one picked in the
 * history) drawn as a pipeline, and every execution below. Kept current by `changed` events:
 * core announces the policy as each step starts and ends, whoever started the execution.
 */
import type { Policy, PolicySummary } from '../../../../shared/policies.ts';
import { api } from '../../../api/hooks.ts';
import { EmptyState, ErrorNotice, Unread } from '../../../components/Notice.tsx';
import { StatusPill } from '../../../components/StatusPill.tsx';
import { useLeaveWhenRemoved } from '../../../components/useLeaveWhenRemoved.ts';
import { useNow } from '../../../components/useNow.ts';
import { formatDate, plural } from '../../../format.ts';
import { href, navigate } from '../../../router.ts';
import { ExecutionStatusBadge } from './ExecutionStatus.tsx';
import { ExecutionsTable } from './ExecutionsTable.tsx';
import { Pipeline } from './Pipeline.tsx';
import { PolicyActions } from './PolicyActions.tsx';
import { cooldownText, triggersText } from './policyFormat.ts';
import { useRetrain } from './useRetrain.ts';
import '../monitoring.css';
import './policies.css';

export function PolicyPage(props: { name: string; execution?: string }) {
  const remove = api.policies.remove.useMutation();
  const cancelOther = api.ops.cancel.useMutation();
  const retrain = useRetrain();
  const removing = remove.isPending || remove.isSuccess;
  // Not read while it is removed: it would answer "not found" before the page moves on.
  const q = api.policies.get.useQuery({ name: props.name }, { enabled: !removing });
  const now = useNow(30_000);
  useLeaveWhenRemoved<{ policies: PolicySummary[] }>(
    remove.isSuccess,
    {
      key: api.policies.list.key({}),
      without: (old) => ({ policies: old.policies.filter((p) => p.name !== props.name) }),
    },
    { page: 'monitors' },
  );

  if (!q.data)
    return (
      <Unread
        query={q}
        title="This policy could not be read."
        breadcrumb={<Breadcrumb name={props.name} />}
      />
    );
  const { policy: p, executions } = q.data;
  const latest = executions[0] ?? null;
  const picked = props.execution ? executions.find((e) => e.id === props.execution) : undefined;
  const shown = picked ?? latest;
  const startRetrain = () => {
    // The new execution is the latest: show it, not the one picked before.
    if (props.execution) navigate({ page: 'policy', name: p.name }, { replace: true });
    void retrain.start(p.name);
  };
  return (
    <div className="page policy-page">
      <Breadcrumb name={p.name} />
      <header className="page-header">
        <div>
          <h1>
            {p.name} <ExecutionStatusBadge execution={latest} />{' '}
            {!p.enabled && (
              <StatusPill
                tone="idle"
                label="Paused"
                status="paused"
                testId="paused"
                title="Alerts and new data do not retrain it; Retrain now still works"
              />
            )}
          </h1>
          <p className="muted">
            Retrains {p.model} for{' '}
            <a href={href({ page: 'deployment', name: p.deployment })}>{p.deployment}</a>, promoting each new
            version to <span className="mono">{p.alias}</span> through its gate. Added{' '}
            {formatDate(p.createdAt)}.
          </p>
        </div>
        <PolicyActions
          policy={p}
          executions={executions.length}
          busy={latest?.status === 'running'}
          runningOp={latest?.status === 'running' ? latest.op : null}
          cancelOther={cancelOther}
          retrain={retrain}
          onRetrain={startRetrain}
          remove={remove}
        />
      </header>
      <ErrorNotice
        error={q.error}
        title="This policy could not be read again."
        onRetry={() => void q.refetch()}
      />
      <Settings policy={p} />
      {props.execution && !picked && (
        <p className="muted small" role="status">
          That execution is not among the last {executions.length} of this policy; the latest is shown.
        </p>
      )}
      {shown ? (
        <>
          <Pipeline key={shown.id} policy={p} execution={shown} latest={shown === latest} />
          <section className="card card-flush">
            <div className="card-header">
              <h3>Executions</h3>
              <span className="muted small">{plural(executions.length, 'execution')}</span>
            </div>
            <ExecutionsTable policy={p} executions={executions} selected={shown.id} now={now} />
          </section>
        </>
      ) : (
        <EmptyState
          title="Never run"
          actions={
            <button
              type="button"
              className="btn btn-primary"
              disabled={retrain.state.status === 'running'}
              onClick={startRetrain}
            >
              Retrain now
            </button>
          }
        >
          <p>
            {p.triggers.monitor || p.triggers.newData
              ? `While the app runs it looks every 15 seconds for ${triggersText(p.triggers)}, and retrains when one comes. `
              : 'It has no trigger: it retrains only when asked. '}
            Press Retrain now to go through the pipeline once now, or run{' '}
            <code>mlwb policies run {p.name}</code>.
          </p>
        </EmptyState>
      )}
    </div>
  );
}

/** What it trains and when, as `mlwb policies show` says it. */
function Settings(props: { policy: Policy }) {
  const p = props.policy;
  const params = Object.entries(p.params);
  return (
    <dl className="facts policy-settings" data-testid="policy-settings">
      <div>
        <dt>Retrains on</dt>
        <dd data-testid="policy-triggers-text">{triggersText(p.triggers)}</dd>
      </div>
      <div>
        <dt>Cooldown</dt>
        <dd>{cooldownText(p.cooldownSeconds)}</dd>
      </div>
      <div>
        <dt>Promotes</dt>
        <dd>
          <a className="mono" href={href({ page: 'model', name: p.model })}>
            {p.model}@{p.alias}
          </a>
        </dd>
      </div>
      <div>
        <dt>Evaluated on</dt>
        <dd>
          {p.evaluation ? (
            <span className="mono">
              {p.evaluation.dataset}
              {p.evaluation.path ? `:${p.evaluation.path}` : ''}
              {p.evaluation.label ? ` (label ${p.evaluation.label})` : ''}
            </span>
          ) : (
            <span className="muted">the gate's data of {p.alias}, if it has a gate</span>
          )}
        </dd>
      </div>
      <div>
        <dt>Recipe</dt>
        <dd className="mono" title={p.recipe}>
          {p.recipe}
        </dd>
      </div>
      <div>
        <dt>Data (newest versions)</dt>
        <dd>
          {p.datasets.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            p.datasets.map((d) => (
              <a key={d.channel} className="rule-chip" href={href({ page: 'dataset', name: d.dataset })}>
                <code>
                  {d.channel}={d.dataset}
                </code>
              </a>
            ))
          )}
        </dd>
      </div>
      <div>
        <dt>Params</dt>
        <dd>
          {params.length === 0 ? (
            <span className="muted">the recipe's defaults</span>
          ) : (
            params.map(([k, v]) => (
              <code key={k} className="rule-chip">
                {k}={String(v)}
              </code>
            ))
          )}
          {p.seed !== null && (
            <span
              className="muted small"
              title="Each run starts with the seed of the run behind the served version"
            >
              {' '}
              run seed {p.seed}
            </span>
          )}
        </dd>
      </div>
    </dl>
  );
}

function Breadcrumb(props: { name: string }) {
  return (
    <nav className="breadcrumb">
      <a href={href({ page: 'monitors' })}>Monitoring</a>
      <span>/</span>
      <span>{props.name}</span>
    </nav>
  );
}
