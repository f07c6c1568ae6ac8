/**
 * The axes of a parallel-coordinates view of runs, as pure functions: which params and metrics get
 * an axis, where each run's value sits on it (0 at the bottom, 1 at the top), and which runs a set
 * of brushed ranges keeps.
 */
import type { RunSummary } from '../../../shared/tracking.ts';

export interface Axis {
  kind: 'param' | 'metric';
  key: string;
  /**
   * Numbers spread by value (by its logarithm when all are positive and span two decades or more,
   * as learning rates and regularization strengths do); anything else one step per distinct value.
   */
  scale: { type: 'linear'; min: number; max: number; log: boolean } | { type: 'category'; values: string[] };
}

/** Where a run without a value (or a NaN / infinite metric) is drawn: below the axis. */
export const MISSING = -0.08;

/** At most this many params get an axis: those that differ between the runs, in name order. */
export const MAX_PARAM_AXES = 8;

function rawValue(run: RunSummary, axis: Pick<Axis, 'kind' | 'key'>): string | number | undefined {
  return axis.kind === 'param' ? run.params[axis.key] : run.metrics[axis.key];
}

function asNumber(v: string | number | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Params whose values differ between the runs (at most MAX_PARAM_AXES), then the metrics, `last`
 * the rightmost (the one the lines are coloured by).
 */
export function chooseAxes(runs: RunSummary[], metrics: string[], last: string | undefined): Axis[] {
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort((a, b) =>
    a.localeCompare(b),
  );
  const varying = paramKeys.filter((k) => new Set(runs.map((r) => r.params[k] ?? '')).size > 1);
  const metricKeys = last ? [...metrics.filter((m) => m !== last), last] : metrics;
  return [
    ...varying.slice(0, MAX_PARAM_AXES).map((key) => ({ kind: 'param' as const, key })),
    ...metricKeys.map((key) => ({ kind: 'metric' as const, key })),
  ].map((a) => ({ ...a, scale: scaleOf(runs, a) }));
}

function scaleOf(runs: RunSummary[], axis: Pick<Axis, 'kind' | 'key'>): Axis['scale'] {
  const raw = runs.map((r) => rawValue(r, axis)).filter((v) => v !== undefined && v !== '');
  const numbers = raw.map(asNumber);
  // A metric's NaN or infinity is missing, not a category; a param is numeric only when all are.
  const numeric = axis.kind === 'metric' || numbers.every((n) => n !== undefined);
  if (numeric) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const n of numbers) {
      if (n === undefined) continue;
      min = Math.min(min, n);
      max = Math.max(max, n);
    }
    if (min > max) return { type: 'linear', min: 0, max: 1, log: false };
    return { type: 'linear', min, max, log: min > 0 && max / min >= 100 };
  }
  const values = [...new Set(raw.map(String))].sort((a, b) =>
    a.localeCompare(b, undefined, { numeric: true }),
  );
  return { type: 'category', values };
}

/** The run's place on the axis: 0 (bottom) to 1 (top), or MISSING. */
export function position(run: RunSummary, axis: Axis): number {
  const v = rawValue(run, axis);
  if (axis.scale.type === 'category') {
    if (v === undefined || v === '') return MISSING;
    const i = axis.scale.values.indexOf(String(v));
    if (i < 0) return MISSING;
    return axis.scale.values.length === 1 ? 0.5 : i / (axis.scale.values.length - 1);
  }
  const n = asNumber(v);
  if (n === undefined) return MISSING;
  const { min, max, log } = axis.scale;
  if (max === min) return 0.5;
  return log ? Math.log(n / min) / Math.log(max / min) : (n - min) / (max - min);
}

/** The runs whose place on every brushed axis is inside its range (positions, low to high). */
export function keptBy(
  runs: RunSummary[],
  axes: Axis[],
  brushes: Map<number, [number, number]>,
): Set<string> {
  const kept = new Set<string>();
  for (const run of runs) {
    let inside = true;
    for (const [i, [lo, hi]] of brushes) {
      const axis = axes[i];
      if (!axis) continue;
      const p = position(run, axis);
      if (p < lo || p > hi) {
        inside = false;
        break;
      }
    }
    if (inside) kept.add(run.id);
  }
  return kept;
}

/** The value at position p (0 to 1) of a numeric axis. */
export function valueAt(scale: { min: number; max: number; log: boolean }, p: number): number {
  return scale.log ? scale.min * (scale.max / scale.min) ** p : scale.min + p * (scale.max - scale.min);
}

/** A short label for a tick or tooltip. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}
