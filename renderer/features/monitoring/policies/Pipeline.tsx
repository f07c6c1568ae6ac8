/**
 * One execution drawn as a pipeline: train → register → evaluate → promote → deploy, five boxes
 * left to right, each with its state (done, running, failed, skipped, waiting), how long it took,
 * its message, and links to what it made: the training run and the data versions it read, the
 * model version, the evaluation's headline figures, the alias move, the deployment. A step that
 * stopped the execution is explained under the boxes, with the gate's rules when it refused.
 */
import type { PipelineStep, Policy, PolicyExecution } from '../../../../shared/policies.ts';
import { GateRules } from '../../../components/GateRules.tsx';
import { useNow } from '../../../components/useNow.ts';
import { formatAgo, formatDate, plural } from '../../../format.ts';
import { href } from '../../../router.ts';
import { ExecutionStatusBadge } from './ExecutionStatus.tsx';
import {
  elapsed,
  formatElapsed,
  gateOf,
  headlineMetrics,
  parseDatasetRef,
  STEP_LABEL,
  STEP_STATE_LABEL,
  shortId,
  trainedOn,
} from './policyFormat.ts';
import './policies.css';

export function Pipeline(props: { policy: Policy; execution: PolicyExecution; latest: boolean }) {
  const e = props.execution;
  const running = e.status === 'running';
  const now = useNow(running ? 1000 : 30_000);
  const took = elapsed(e.startedAt, e.endedAt, now);
  const stopped = e.steps.find((s) => s.state === 'failed');
  return (
    <section className="card pipeline-card" data-testid="pipeline" data-status={e.status}>
      <div className="card-header pipeline-header">
        <h3>{props.latest ? 'Latest execution' : 'Execution'}</h3>
        <ExecutionStatusBadge execution={e} />
        <span className="muted small pipeline-when">
          <span title={formatDate(e.startedAt)}>started {formatAgo(e.startedAt, now)}</span>
          {took !== null && ` · ${running ? 'running for' : 'took'} ${formatElapsed(took)}`} ·{' '}
          <span data-testid="execution-trigger">{e.trigger.reason}</span>
        </span>
        {!props.latest && (
          <a className="small" href={href({ page: 'policy', name: e.policy })}>
            Show the latest
          </a>
        )}
      </div>
      <ol className="pipeline">
        {e.steps.map((s) => (
          <StepBox key={s.name} step={s} policy={props.policy} execution={e} now={now} />
        ))}
      </ol>
      {stopped && <StepStopped step={stopped} execution={e} />}
    </section>
  );
}

const STEP_ICON: Record<PipelineStep['state'], string> = {
  pending: '',
  running: '',
  done: '✓',
  failed: '✕',
  skipped: '–',
};

function StepBox(props: { step: PipelineStep; policy: Policy; execution: PolicyExecution; now: number }) {
  const s = props.step;
  const took = elapsed(s.startedAt, s.endedAt, props.now);
  // Stopped without an error (the gate refused, the replacement rolled back): the old version
  // serves on, which reads as a refusal, not a breakdown.
  const refused = s.state === 'failed' && props.execution.status === 'rejected';
  return (
    <li
      className={`pipeline-step pipeline-step-${s.state}${refused ? ' pipeline-step-refused' : ''}`}
      data-testid={`step-${s.name}`}
      data-state={s.state}
    >
      <div className="step-head">
        <span className="step-icon" aria-hidden="true">
          {STEP_ICON[s.state]}
        </span>
        <span className="step-name">{STEP_LABEL[s.name]}</span>
        <span className="step-time">{took !== null ? formatElapsed(took) : ''}</span>
      </div>
      <div className="step-state">{refused ? 'refused' : STEP_STATE_LABEL[s.state]}</div>
      {/* A gate's refusal is said in full under the boxes, rule by rule. */}
      {s.state !== 'done' && s.message && !(s.state === 'failed' && gateOf(s.detail)) && (
        <p className="step-message" title={s.message} data-testid="step-message">
          {s.message}
        </p>
      )}
      <StepMade step={s} policy={props.policy} execution={props.execution} />
    </li>
  );
}

/** What a step made, linked: read from its `detail`, so it shows as soon as it is known. */
function StepMade(props: { step: PipelineStep; policy: Policy; execution: PolicyExecution }) {
  const { step: s, policy: p } = props;
  const d = s.detail;
  const version = props.execution.version;
  switch (s.name) {
    case 'train': {
      if (typeof d.run !== 'string') return null;
      const data = trainedOn(d.datasets);
      return (
        <div className="step-made" data-testid="step-made">
          <span>
            Run{' '}
            <a className="mono" href={href({ page: 'run', id: d.run })} title={d.run} data-testid="step-run">
              {shortId(d.run)}
            </a>
          </span>
          {data.length > 0 && (
            <span>
              on{' '}
              {data.map((x, i) => (
                <span key={x.dataset}>
                  {i > 0 && ', '}
                  <a href={href({ page: 'version', name: x.dataset, version: x.version })}>
                    {x.dataset} v{x.version}
                  </a>
                </span>
              ))}
            </span>
          )}
        </div>
      );
    }
    case 'register':
      if (typeof d.version !== 'number') return null;
      return (
        <div className="step-made" data-testid="step-made">
          <a href={href({ page: 'model-version', name: p.model, version: d.version })}>
            {p.model} v{d.version}
          </a>
          <span className="muted">registered</span>
        </div>
      );
    case 'evaluate': {
      const figures = headlineMetrics(d.metrics);
      const on = parseDatasetRef(d.dataset);
      if (figures.length === 0 && !on) return null;
      return (
        <div className="step-made" data-testid="step-made">
          {figures.map(([k, v]) => (
            <span key={k} className="step-figure">
              <span className="muted">{k}</span> <strong>{v}</strong>
            </span>
          ))}
          {on && (
            <span>
              on{' '}
              <a href={href({ page: 'version', name: on.dataset, version: on.version })}>
                {on.dataset} v{on.version}
              </a>
              {on.path && <span className="muted"> {on.path}</span>}
            </span>
          )}
        </div>
      );
    }
    case 'promote': {
      if (s.state !== 'done' && s.state !== 'failed') return null;
      const gate = gateOf(d);
      return (
        <div className="step-made" data-testid="step-made">
          {s.state === 'done' && <span>{s.message}</span>}
          <span className={gate && !gate.passed ? 'tone-change' : 'muted'}>
            {gate
              ? gate.passed
                ? 'the gate passed'
                : `the gate of ${gate.alias} refused v${gate.candidate}: ${gate.rules.filter((r) => !r.passed).length} of ${plural(gate.rules.length, 'rule')} failed`
              : 'no gate'}
          </span>
          <a href={href({ page: 'model', name: p.model })}>{p.model}'s aliases</a>
        </div>
      );
    }
    case 'deploy':
      if (s.state === 'done')
        return (
          <div className="step-made" data-testid="step-made">
            <span>
              <a href={href({ page: 'deployment', name: p.deployment })}>{p.deployment}</a> serves v{version}
            </span>
          </div>
        );
      if (typeof d.outcome !== 'string') return null;
      return (
        <div className="step-made" data-testid="step-made">
          <span>
            <a href={href({ page: 'deployment', name: p.deployment })}>{p.deployment}</a>: {d.outcome}
          </span>
        </div>
      );
  }
}

/** Why the execution stopped at this step, in full; the gate's rule outcomes when it refused. */
function StepStopped(props: { step: PipelineStep; execution: PolicyExecution }) {
  const s = props.step;
  const status = props.execution.status;
  const gate = s.name === 'promote' ? gateOf(s.detail) : null;
  const tone =
    status === 'failed' ? 'notice-error' : status === 'rejected' ? 'notice-warning' : 'notice-info';
  return (
    <div className={`notice ${tone} step-stopped`} role="status" data-testid="step-stopped">
      <div className="notice-text">
        <strong>
          {STEP_LABEL[s.name]}{' '}
          {status === 'rejected'
            ? 'refused: the version before keeps serving.'
            : status === 'cancelled'
              ? 'cancelled.'
              : 'failed.'}{' '}
        </strong>
        {s.message}
        {gate && <GateRules gate={gate} />}
      </div>
    </div>
  );
}
