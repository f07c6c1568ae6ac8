/**
 * How a health-gated replacement ended, said prominently: the new version serving, or rolled back
 * with the old one still serving and why the new one failed (its readiness error and last lines).
 */
import type { Replacement } from '../../../shared/deployments.ts';
import { formatAgo, formatDate } from '../../format.ts';
import { plainLogText } from './deploymentFormat.ts';

export function ReplacementOutcome(props: {
  replacement: Pick<Replacement, 'from' | 'to' | 'outcome' | 'reason'> & { at?: number };
  /** "Last replacement" for the stored one; nothing for the answer to an update just made. */
  title?: string;
  /** Whether the old version still answers (a restart of a dead deployment that failed: no). */
  serving?: boolean;
}) {
  const r = props.replacement;
  const when = r.at ? (
    <span className="muted small" title={formatDate(r.at)}>
      {' '}
      {formatAgo(r.at)}
    </span>
  ) : null;
  if (r.outcome === 'replaced')
    return (
      <div className="notice notice-success" role="status" data-testid="replacement" data-outcome="replaced">
        <div className="notice-text">
          {props.title && <strong>{props.title}: </strong>}
          <strong>Replaced</strong>: v{r.to} serves now{r.from !== r.to ? ` (was v${r.from})` : ''}.{when}
        </div>
      </div>
    );
  return (
    <div
      className="notice notice-error rollback"
      role="alert"
      data-testid="replacement"
      data-outcome="rolled-back"
    >
      <div className="notice-text">
        {props.title && <strong>{props.title}: </strong>}
        <strong>Rolled back</strong>: v{r.to} did not become ready
        {props.serving === false ? ', and nothing serves.' : `, so v${r.from} keeps serving.`}
        {when}
        {r.reason && <pre className="log-block rollback-reason">{plainLogText(r.reason)}</pre>}
      </div>
    </div>
  );
}
