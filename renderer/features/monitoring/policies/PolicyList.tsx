/**
 * Policies as a short list for a side card (a deployment's Monitoring card, a monitor's page): each
 * with how its last execution ended, when, and what sets it off.
 */
import type { PolicySummary } from '../../../../shared/policies.ts';
import { formatAgo, formatDate } from '../../../format.ts';
import { href } from '../../../router.ts';
import { ExecutionStatusBadge } from './ExecutionStatus.tsx';
import { triggersText } from './policyFormat.ts';
import '../monitoring.css';
import './policies.css';

export function PolicyList(props: { policies: PolicySummary[]; now: number }) {
  return (
    <ul className="mon-list" data-testid="policy-list">
      {props.policies.map((p) => {
        const last = p.lastExecution;
        return (
          <li key={p.name} data-testid="policy-row">
            <div className="mon-list-head">
              <a className="strong" href={href({ page: 'policy', name: p.name })}>
                {p.name}
              </a>
              <ExecutionStatusBadge execution={last} />
              {last && (
                <span className="muted small" title={formatDate(last.startedAt)}>
                  {formatAgo(last.startedAt, props.now)}
                  {last.version !== null && ` · v${last.version}`}
                </span>
              )}
            </div>
            <div className="muted small">
              Retrains {p.model}@{p.alias} on {triggersText(p.triggers)}
            </div>
          </li>
        );
      })}
    </ul>
  );
}
