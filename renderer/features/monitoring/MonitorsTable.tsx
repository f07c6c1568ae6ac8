/**
 * Monitors as a table: what each watches, its window and schedule, its last check (status and
 * when) and how many of its alerts fire. A row opens the monitor's page.
 */
import type { MonitorSummary } from '../../../shared/monitoring.ts';
import { formatAgo, formatDate } from '../../format.ts';
import { href, navigate } from '../../router.ts';
import { MonitorStatusBadge } from './MonitorStatusBadge.tsx';
import { formatDuration, formatEvery } from './monitorFormat.ts';
import './monitoring.css';

export function MonitorsTable(props: { monitors: MonitorSummary[]; now: number }) {
  return (
    <div className="table-scroll">
      <table className="grid grid-hover" data-testid="monitors-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Deployment</th>
            <th>Window</th>
            <th>Checked</th>
            <th>Last check</th>
            <th className="num">Firing</th>
          </tr>
        </thead>
        <tbody>
          {props.monitors.map((m) => (
            <tr
              key={m.name}
              className="clickable"
              data-testid="monitor-row"
              onClick={(e) => {
                if ((e.target as HTMLElement).closest('a, button')) return;
                navigate({ page: 'monitor', name: m.name });
              }}
            >
              <td className="strong nowrap">
                <a href={href({ page: 'monitor', name: m.name })}>{m.name}</a>
                {!m.enabled && <span className="muted small"> (paused)</span>}
              </td>
              <td className="nowrap">
                <a href={href({ page: 'deployment', name: m.deployment })}>{m.deployment}</a>
              </td>
              <td className="nowrap">last {formatDuration(m.windowSeconds)}</td>
              <td className="nowrap">{formatEvery(m.everySeconds)}</td>
              <td className="nowrap">
                <MonitorStatusBadge status={m.lastRun?.status ?? null} />
                {m.lastRun && (
                  <span className="muted small mon-when" title={formatDate(m.lastRun.at)}>
                    {formatAgo(m.lastRun.at, props.now)}
                  </span>
                )}
              </td>
              <td className="num">
                {m.firing > 0 ? (
                  <span className="firing-count" data-testid="firing-count">
                    {m.firing}
                  </span>
                ) : (
                  <span className="muted">0</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
