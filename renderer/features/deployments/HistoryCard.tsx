/** What happened to a deployment, newest first: deployed, replaced, rolled back, stopped, died… */
import type { DeploymentEvent } from '../../../shared/deployments.ts';
import { formatAgo, formatDate } from '../../format.ts';
import { plainLogText, splitFirstLine } from './deploymentFormat.ts';

export function HistoryCard(props: { events: DeploymentEvent[] }) {
  const events = [...props.events].sort((a, b) => b.at - a.at);
  return (
    <div className="card card-flush" data-testid="deployment-history">
      <div className="card-header">
        <h3>History</h3>
      </div>
      {events.length === 0 ? (
        <p className="muted card-empty">Nothing recorded yet.</p>
      ) : (
        <table className="grid grid-compact">
          <tbody>
            {events.map((e, i) => (
              // Two events can share a millisecond; their order in the list is stable.
              // biome-ignore lint/suspicious/noArrayIndexKey: events have no id of their own.
              <tr key={`${e.at}-${i}`} data-testid="deployment-event">
                <td className="nowrap" title={formatDate(e.at)}>
                  {formatAgo(e.at)}
                </td>
                <td>
                  <span className={`event-kind event-${e.kind}`}>{e.kind}</span>
                </td>
                <td className="nowrap">v{e.version}</td>
                <td className="event-message">
                  <EventMessage text={e.message} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The message's first line; the log lines a failure carries after it, folded. */
function EventMessage(props: { text: string }) {
  const { first, rest } = splitFirstLine(props.text);
  if (!rest) return <>{first}</>;
  return (
    <details>
      <summary>{first}</summary>
      <pre className="log-block">{plainLogText(rest)}</pre>
    </details>
  );
}
