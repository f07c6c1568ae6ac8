/** What happened to a deployment, newest first: deployed, replaced, rolled back, stopped, died… */
import type { DeploymentEvent } from '../../../shared/deployments.ts';
import { formatAgo, formatDate } from '../../format.ts';

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
                <td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
