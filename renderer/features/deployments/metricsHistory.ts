/**
 * The last minutes of a deployment's live figures, kept in the page (core keeps none), and the
 * sparkline path drawn from them. Samples are keyed by their read time, so a re-render that sees
 * the same read twice adds nothing.
 */
import type { DeploymentMetrics } from '../../../shared/deployments.ts';

export interface Sample {
  at: number;
  requestsPerSecond: number;
  p95Ms: number | null;
}

/** Five minutes at one read every two seconds: 150 points, cheap to keep and draw. */
export const HISTORY_MS = 5 * 60_000;

export function addSample(history: readonly Sample[], m: DeploymentMetrics, keepMs = HISTORY_MS): Sample[] {
  const last = history.at(-1);
  if (last && m.at <= last.at) return history as Sample[];
  const next = [...history, { at: m.at, requestsPerSecond: m.requestsPerSecond, p95Ms: m.p95Ms }];
  const from = m.at - keepMs;
  const first = next.findIndex((s) => s.at >= from);
  return first > 0 ? next.slice(first) : next;
}

/**
 * An SVG path through `values` spread over `width`, scaled so the largest fills `height` (zero at
 * the bottom); a null value breaks the line, as a gap in the data should.
 */
export function sparklinePath(values: readonly (number | null)[], width: number, height: number): string {
  if (values.length === 0) return '';
  const max = Math.max(0, ...values.filter((v): v is number => v !== null));
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const y = (v: number) => (max > 0 ? height - (v / max) * height : height);
  let path = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    path += `${pen ? 'L' : 'M'}${(i * step).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  });
  return path;
}
