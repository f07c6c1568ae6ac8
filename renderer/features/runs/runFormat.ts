/** How runs read in the UI: durations, metric values, and the search syntax's column names. */
import type { RunStatus, RunSummary } from '../../../shared/tracking.ts';
import { terminalStatuses } from '../../../shared/tracking.ts';

export function isActive(status: RunStatus): boolean {
  return !terminalStatuses.includes(status);
}

/** 850 ms, 12.4 s, 3 min 05 s, 2 h 14 min. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** From start to end, or to now while running; null when the run never started. */
export function runDuration(run: Pick<RunSummary, 'startTime' | 'endTime'>, now = Date.now()): number | null {
  if (run.startTime === null) return null;
  return (run.endTime ?? now) - run.startTime;
}

/** A metric value as a plotted number: NaN and ±Infinity become gaps. */
export function plotValue(v: number | string): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `metrics.acc`, or `metrics.\`val acc\`` when the key needs quoting. */
export function searchKey(entity: 'metrics' | 'params' | 'tags' | 'attributes', key: string): string {
  return PLAIN_KEY.test(key) ? `${entity}.${key}` : `${entity}.\`${key}\``;
}

/** Tags the workbench and MLflow set themselves; shown, but not edited. */
export function isSystemTag(key: string): boolean {
  return key.startsWith('mlflow.') || key.startsWith('mlwb.');
}
