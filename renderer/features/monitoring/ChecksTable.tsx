/**
 * A monitor's recent checks, newest first: status, traffic, errors, latency, drift share (linked to
 * its stored drift report), realized performance and the rules in a few words. The first rows
 * show; the rest (up to the 200 the API keeps on the page) on demand.
 */
import { useState } from 'react';
import type { MonitorRun } from '../../../shared/monitoring.ts';
import { formatDate } from '../../format.ts';
import { href } from '../../router.ts';
import { MonitorStatusBadge } from './MonitorStatusBadge.tsx';
import { formatMetric, rulesSummary } from './monitorFormat.ts';
import './monitoring.css';

const FIRST = 15;

export function ChecksTable(props: { runs: MonitorRun[] }) {
  const [all, setAll] = useState(false);
  const runs = all ? props.runs : props.runs.slice(0, FIRST);
  // A regressor's monitor shows RMSE where a classifier's shows accuracy.
  const regression = props.runs.some((r) => r.metrics.rmse !== null && r.metrics.rmse !== undefined);
  return (
    <>
      <div className="table-scroll">
        <table className="grid grid-compact" data-testid="checks-table">
          <thead>
            <tr>
              <th>Checked</th>
              <th>Status</th>
              <th className="num">Requests</th>
              <th className="num">Rows</th>
              <th className="num">Error rate</th>
              <th className="num">p95</th>
              <th className="num">Drift share</th>
              <th className="num">{regression ? 'RMSE' : 'Accuracy'}</th>
              <th>Rules</th>
              <th>Note</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => {
              const m = r.metrics;
              return (
                <tr key={r.id} data-testid="check-row" data-status={r.status}>
                  <td className="nowrap">{formatDate(r.at)}</td>
                  <td>
                    <MonitorStatusBadge status={r.status} />
                  </td>
                  <td className="num">{formatMetric('requests', m.requests)}</td>
                  <td className="num">{formatMetric('rows', m.rows)}</td>
                  <td className="num">{formatMetric('error_rate', m.error_rate)}</td>
                  <td className="num">{formatMetric('p95_latency_ms', m.p95_latency_ms)}</td>
                  <td className="num">
                    {r.driftReport ? (
                      <a
                        href={href({ page: 'drift', report: r.driftReport })}
                        title={`The drift report of this window against ${r.reference ?? 'the reference'}`}
                      >
                        {formatMetric('drift_share', m.drift_share)}
                      </a>
                    ) : (
                      formatMetric('drift_share', m.drift_share)
                    )}
                  </td>
                  <td className="num">
                    {regression ? formatMetric('rmse', m.rmse) : formatMetric('accuracy', m.accuracy)}
                  </td>
                  <td className="nowrap small">
                    {r.checks.length === 0 ? (
                      <span className="muted">—</span>
                    ) : (
                      <span
                        title={r.checks
                          .map(
                            (c) =>
                              `${c.rule}: ${c.passed === null ? `not checked (${c.note})` : c.passed ? 'holds' : 'fails'}`,
                          )
                          .join('\n')}
                      >
                        {rulesSummary(r.checks)}
                      </span>
                    )}
                  </td>
                  <td className={r.status === 'failed' ? 'check-note check-note-failed' : 'check-note muted'}>
                    {r.note ?? ''}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {props.runs.length > FIRST && (
        <div className="card-footer">
          <button type="button" className="btn btn-small btn-ghost" onClick={() => setAll(!all)}>
            {all ? `Show the latest ${FIRST}` : `Show all ${props.runs.length} checks`}
          </button>
        </div>
      )}
    </>
  );
}
