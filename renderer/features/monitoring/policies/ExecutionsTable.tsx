/**
 * A policy's executions, newest first: what set each off, when, how long it took, how it ended,
 * the version it made, and its five steps as dots. A row shows that execution's pipeline.
 */
import type { Policy, PolicyExecution } from '../../../../shared/policies.ts';
import { formatAgo, formatDate } from '../../../format.ts';
import { href, navigate } from '../../../router.ts';
import { ExecutionStatusBadge, StepDots } from './ExecutionStatus.tsx';
import { elapsed, formatElapsed } from './policyFormat.ts';
import './policies.css';

const TRIGGER_LABEL: Record<PolicyExecution['trigger']['kind'], string> = {
  manual: 'by hand',
  alert: 'alert',
  'new-data': 'new data',
};

export function ExecutionsTable(props: {
  policy: Policy;
  executions: PolicyExecution[];
  selected: string;
  now: number;
}) {
  const p = props.policy;
  return (
    <div className="table-scroll">
      <table className="grid grid-hover" data-testid="executions-table">
        <thead>
          <tr>
            <th>Started</th>
            <th>Trigger</th>
            <th className="num">Took</th>
            <th>Status</th>
            <th>Version</th>
            <th>Steps</th>
          </tr>
        </thead>
        <tbody>
          {props.executions.map((e, i) => {
            const took = elapsed(e.startedAt, e.endedAt, props.now);
            return (
              <tr
                key={e.id}
                className={e.id === props.selected ? 'clickable selected' : 'clickable'}
                aria-selected={e.id === props.selected}
                data-testid="execution-row"
                onClick={(ev) => {
                  if ((ev.target as HTMLElement).closest('a, button')) return;
                  // The latest is the page's own address; an older one is named in it.
                  navigate(
                    { page: 'policy', name: p.name, ...(i === 0 ? {} : { execution: e.id }) },
                    { replace: true },
                  );
                }}
              >
                <td className="nowrap" title={formatDate(e.startedAt)}>
                  {formatAgo(e.startedAt, props.now)}
                </td>
                <td className="exec-trigger">
                  <span className={`trigger-kind trigger-${e.trigger.kind}`}>
                    {TRIGGER_LABEL[e.trigger.kind]}
                  </span>{' '}
                  {e.trigger.kind !== 'manual' && <span className="muted small">{e.trigger.reason}</span>}
                </td>
                <td className="num">{took !== null ? formatElapsed(took) : '—'}</td>
                <td className="nowrap">
                  <ExecutionStatusBadge execution={e} />
                </td>
                <td className="nowrap">
                  {e.version !== null ? (
                    <a href={href({ page: 'model-version', name: p.model, version: e.version })}>
                      v{e.version}
                    </a>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td>
                  <StepDots steps={e.steps} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
