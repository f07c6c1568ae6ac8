/**
 * A monitor's last check: when, which window and versions, its figures, and each rule's result
 * with its value, dataset drift first (with its report). A check that failed says why first and
 * loudly; a note short of failure (drift not tested: too few rows) is a warning.
 */
import { DRIFT_RULE, type Monitor, type MonitorRun, type RuleCheck } from '../../../shared/monitoring.ts';
import { formatAgo, formatDate, formatTimeOfDay } from '../../format.ts';
import { href } from '../../router.ts';
import { MonitorStatusBadge } from './MonitorStatusBadge.tsx';
import { formatMetric } from './monitorFormat.ts';
import './monitoring.css';

const FIGURES: [metric: string, label: string][] = [
  ['requests', 'Requests'],
  ['rows', 'Rows'],
  ['error_rate', 'Error rate'],
  ['p50_latency_ms', 'p50'],
  ['p95_latency_ms', 'p95'],
  ['drift_share', 'Drift share'],
  ['labeled_rows', 'Labeled rows'],
  ['accuracy', 'Accuracy'],
  ['rmse', 'RMSE'],
  ['mae', 'MAE'],
];
/** Shown even without a value, so the card keeps its shape from check to check. */
const ALWAYS = new Set(['requests', 'rows', 'error_rate', 'p95_latency_ms']);

export function LastCheck(props: { monitor: Monitor; run: MonitorRun; now: number }) {
  const { monitor, run } = props;
  const m = run.metrics;
  return (
    <section className="card" data-testid="last-check">
      <div className="card-header">
        <h3>Last check</h3>
        <MonitorStatusBadge status={run.status} />
        <span className="muted small" title={formatDate(run.at)}>
          {formatAgo(run.at, props.now)} · window {windowText(run.from, run.to)}
          {run.versions.length > 0 && ` · ${run.versions.map((v) => `v${v}`).join(', ')} answered`}
        </span>
      </div>
      {run.note && (
        <div
          className={run.status === 'failed' ? 'notice notice-error' : 'notice notice-warning'}
          role={run.status === 'failed' ? 'alert' : 'status'}
          data-testid="check-note"
        >
          <div className="notice-text">
            {run.status === 'failed' && <strong>The check failed. </strong>}
            {run.note}
          </div>
        </div>
      )}
      <div className="mon-figures">
        {FIGURES.filter(([k]) => ALWAYS.has(k) || (m[k] !== null && m[k] !== undefined)).map(([k, label]) => (
          <div key={k} className="mon-figure" data-testid={`figure-${k}`}>
            <span className="stat-label">{label}</span>
            <span className="mon-figure-value">{formatMetric(k, m[k])}</span>
          </div>
        ))}
      </div>
      <RuleResults monitor={monitor} run={run} />
    </section>
  );
}

function RuleResults(props: { monitor: Monitor; run: MonitorRun }) {
  const { monitor, run } = props;
  const m = run.metrics;
  const tested = run.datasetDrift !== null;
  const drift: RuleCheck | null = monitor.drift
    ? {
        rule: DRIFT_RULE,
        metric: 'drift_share',
        value: tested ? m.drift_share! : null,
        passed: tested ? !run.datasetDrift : null,
        note: tested
          ? null
          : run.status === 'failed'
            ? 'the check failed'
            : 'not tested (see the note above)',
      }
    : null;
  const rows = drift ? [drift, ...run.checks] : run.checks;
  if (rows.length === 0) return null;
  return (
    <div className="table-scroll">
      <table className="grid grid-compact rule-results" data-testid="rule-results">
        <thead>
          <tr>
            <th>Rule</th>
            <th className="num">Value</th>
            <th>Result</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c) => (
            <tr key={c.rule} data-testid="rule-result" data-passed={String(c.passed)}>
              <td className="mono nowrap">{c.rule}</td>
              <td className="num">{formatMetric(c.metric, c.value)}</td>
              <td>
                <RuleVerdict check={c} />
              </td>
              <td className="muted small">
                {c.rule === DRIFT_RULE && tested ? (
                  <>
                    {m.drifted_columns} feature{m.drifted_columns === 1 ? '' : 's'} drifted; dataset drift at{' '}
                    {formatMetric('drift_share', monitor.driftShare)} against{' '}
                    <span className="mono">{run.reference}</span>
                    {run.driftReport && (
                      <>
                        {' · '}
                        <a
                          href={href({ page: 'drift', report: run.driftReport })}
                          data-testid="drift-report-link"
                        >
                          drift report
                        </a>
                      </>
                    )}
                  </>
                ) : c.note ? (
                  `not checked: ${c.note}`
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function RuleVerdict(props: { check: Pick<RuleCheck, 'passed' | 'rule'> }) {
  const p = props.check.passed;
  const drift = props.check.rule === DRIFT_RULE;
  if (p === null) return <span className="rule-verdict rule-verdict-skip">not checked</span>;
  if (p) return <span className="rule-verdict rule-verdict-pass">{drift ? 'no drift' : 'holds'}</span>;
  return <span className="rule-verdict rule-verdict-fail">{drift ? 'drifted' : 'fails'}</span>;
}

/** A window's ends: times of day, with the date when it spans a day or more. */
function windowText(from: number, to: number): string {
  const long = to - from >= 86_400_000;
  const end = (ms: number) => (long ? formatDate(ms) : formatTimeOfDay(ms));
  return `${end(from)} → ${end(to)}`;
}
