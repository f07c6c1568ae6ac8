/**
 * Alerts as a table: firing ones with how long they have fired, resolved ones with when and after
 * how long. The monitor column links to the monitor's page; on that page it is left out.
 */
import type { Alert } from '../../../shared/monitoring.ts';
import { formatAgo, formatDate } from '../../format.ts';
import { href } from '../../router.ts';
import { formatDuration, formatMetric, ruleMetric } from './monitorFormat.ts';
import './monitoring.css';

export function AlertsTable(props: {
  alerts: Alert[];
  kind: 'firing' | 'resolved';
  /** Leave out the monitor and deployment columns (the page is the monitor's). */
  ofOneMonitor?: boolean;
  now: number;
}) {
  const firing = props.kind === 'firing';
  return (
    <div className="table-scroll">
      <table className="grid" data-testid={firing ? 'alerts-firing' : 'alerts-resolved'}>
        <thead>
          <tr>
            {!props.ofOneMonitor && <th>Monitor</th>}
            <th>Rule</th>
            <th>{firing ? 'Firing since' : 'Fired'}</th>
            {!firing && <th>Resolved</th>}
            <th className="num" title={firing ? 'The value at the latest check' : 'The value when it fired'}>
              Value
            </th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody>
          {props.alerts.map((a) => (
            <tr
              key={a.id}
              data-testid="alert-row"
              data-state={a.state}
              className={firing ? 'alert-firing' : undefined}
            >
              {!props.ofOneMonitor && (
                <td className="strong nowrap">
                  <a href={href({ page: 'monitor', name: a.monitor })}>{a.monitor}</a>
                  <div className="muted small">
                    <a href={href({ page: 'deployment', name: a.deployment })}>{a.deployment}</a>
                  </div>
                </td>
              )}
              <td className="nowrap">
                {firing && <span className="alert-dot" aria-hidden="true" />}
                <span className="mono">{a.rule}</span>
              </td>
              <td className="nowrap" title={formatDate(a.firedAt)}>
                {firing
                  ? `${formatAgo(a.firedAt, props.now)} · ${formatDate(a.firedAt).slice(11)}`
                  : formatDate(a.firedAt)}
              </td>
              {!firing && (
                <td className="nowrap">
                  {a.resolvedAt !== null ? (
                    <>
                      {formatDate(a.resolvedAt)}
                      <div className="muted small">
                        after {formatDuration(Math.max(1, Math.round((a.resolvedAt - a.firedAt) / 1000)))}
                      </div>
                    </>
                  ) : (
                    '—'
                  )}
                </td>
              )}
              <td className="num">{formatMetric(ruleMetric(a.rule) ?? '', a.value)}</td>
              <td className="alert-message">{a.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
