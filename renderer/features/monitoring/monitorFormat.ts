/**
 * How monitors, their checks and alerts read on every page: statuses and their tones, windows and
 * schedules in words, each metric in its unit, a check's rules in a few words, and the time axis
 * of the charts.
 */
import {
  DRIFT_RULE,
  type MonitorMetric,
  type MonitorRunStatus,
  parseMonitorRule,
  type RuleCheck,
} from '../../../shared/monitoring.ts';
import { formatCount, formatShare, formatStat } from '../../format.ts';

/** A check's status, or `unchecked` for a monitor that has had none. */
export type CheckStatus = MonitorRunStatus | 'unchecked';

export const CHECK_STATUS_LABEL: Record<CheckStatus, string> = {
  ok: 'OK',
  alerting: 'Alerting',
  'no-data': 'No data',
  failed: 'Check failed',
  unchecked: 'Not checked',
};

export const CHECK_STATUS_HINT: Record<CheckStatus, string> = {
  ok: 'Every rule held and the features did not drift.',
  alerting: 'A rule failed or the features drifted: an alert fires.',
  'no-data': 'Too few rows to test drift, and no rule could be checked.',
  failed: 'The check could not be made; its note says why.',
  unchecked: 'Not checked yet.',
};

/** Seconds in words: `90 s`, `15 min`, `1 h`, `1 h 30 min`, `7 d`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) {
    const m = Math.floor(seconds / 60);
    const s = seconds % 60;
    return s ? `${m} min ${s} s` : `${m} min`;
  }
  if (seconds < 86400) {
    const h = Math.floor(seconds / 3600);
    const m = Math.round((seconds % 3600) / 60);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const d = Math.floor(seconds / 86400);
  const h = Math.round((seconds % 86400) / 3600);
  return h ? `${d} d ${h} h` : `${d} d`;
}

/** How often the app checks a monitor on its own. */
export function formatEvery(everySeconds: number): string {
  return everySeconds === 0 ? 'only when asked' : `every ${formatDuration(everySeconds)}`;
}

const SHARES = new Set<string>(['error_rate', 'drift_share', 'accuracy']);
const LATENCIES = new Set<string>(['p50_latency_ms', 'p95_latency_ms']);

/** A metric's value in its unit: shares as percentages, latencies in ms, counts as counts. */
export function formatMetric(metric: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (SHARES.has(metric)) return formatShare(value);
  if (LATENCIES.has(metric)) return `${formatStat(Number(value.toPrecision(3)))} ms`;
  if (Number.isInteger(value)) return formatCount(value);
  return formatStat(value);
}

/** The metric an alert's rule is about: `drift_share` for dataset drift, else the rule's own. */
export function ruleMetric(rule: string): MonitorMetric | null {
  if (rule === DRIFT_RULE) return 'drift_share';
  const r = parseMonitorRule(rule);
  return typeof r === 'string' ? null : r.metric;
}

/** A check's rule results in a few words: `2 hold · 1 fails · 1 not checked`. */
export function rulesSummary(checks: RuleCheck[]): string {
  if (checks.length === 0) return 'no rules';
  const held = checks.filter((c) => c.passed === true).length;
  const failed = checks.filter((c) => c.passed === false).length;
  const skipped = checks.filter((c) => c.passed === null).length;
  return [
    held ? `${held} ${held === 1 ? 'holds' : 'hold'}` : '',
    failed ? `${failed} ${failed === 1 ? 'fails' : 'fail'}` : '',
    skipped ? `${skipped} not checked` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * A time as plotly's date axis reads it, in this machine's time zone: plotly takes epoch
 * milliseconds as UTC, which would put every check hours off the clock the page shows elsewhere.
 */
export function plotTime(ms: number): string {
  const d = new Date(ms);
  const pad = (x: number, n = 2) => String(x).padStart(n, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
