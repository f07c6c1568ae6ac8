/** The deployment's answer to a try-it request: status, latency, classes when it gives them, JSON. */
import type { InvokeResult } from '../../../shared/deployments.ts';
import { formatMs } from './deploymentFormat.ts';
import { classAnswers } from './tryItRequest.ts';

export function TryItAnswer(props: { answer: InvokeResult }) {
  const a = props.answer;
  const ok = a.status >= 200 && a.status < 300;
  const classes = ok ? classAnswers(a.body) : null;
  const error = !ok ? (a.body as { error?: unknown } | null)?.error : undefined;
  return (
    <div className="try-answer" data-testid="try-answer">
      <div className="try-answer-head">
        <span className={ok ? 'http-status http-ok' : 'http-status http-bad'} data-testid="try-status">
          {a.status}
        </span>
        <span className="muted small">in {formatMs(a.latencyMs)}</span>
      </div>
      {typeof error === 'string' && (
        <div className="notice notice-error" role="alert">
          <div className="notice-text">{error}</div>
        </div>
      )}
      {classes?.map((c, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: one answer per row sent, in order.
        <div key={i} className="class-answer" data-testid="class-answer">
          <div className="class-label">{c.label}</div>
          {c.probabilities.map(([name, p]) => (
            <div key={name} className="prob-row">
              <span className="prob-name">{name}</span>
              <span className="prob-bar">
                <span className="prob-fill" style={{ width: `${Math.max(0, Math.min(1, p)) * 100}%` }} />
              </span>
              <span className="num small">{(p * 100).toFixed(1)}%</span>
            </div>
          ))}
        </div>
      ))}
      <pre className="log-block try-json" data-testid="try-json">
        {JSON.stringify(a.body, null, 2)}
      </pre>
    </div>
  );
}
