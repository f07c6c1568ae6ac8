/**
 * The axes of a parallel-coordinates view of runs, as pure functions: which params and metrics get
 * an axis, where each run's value sits on it (0 at the bottom, 1 at the top), and which runs a set
 * of brushed ranges keeps. A range is kept in values (numbers, or the categories it covers), not in
 * positions, so it selects the same runs when live runs move an axis's ends.
 */
import type { RunSummary } from '../../../shared/tracking.ts';

export interface Axis {
  /** `param:KEY` or `metric:KEY`. */
  id: string;
  kind: 'param' | 'metric';
  key: string;
  /**
   * Numbers spread by value (a param's by its logarithm when all are positive and span two decades
   * or more, as learning rates and regularization strengths do); anything else one step per
   * distinct value.
   */
  scale: LinearScale | CategoryScale;
}

export interface LinearScale {
  type: 'linear';
  min: number;
  max: number;
  log: boolean;
}

export interface CategoryScale {
  type: 'category';
  values: string[];
  /** Each value's place in `values`. */
  index: Map<string, number>;
}

/** A range dragged on an axis: the numbers between two values, or the categories it covered. */
export type Brush = { type: 'linear'; lo: number; hi: number } | { type: 'category'; values: Set<string> };

/** Where a run without a value (or a NaN / infinite metric) is drawn: below the axis. */
export const MISSING = -0.08;

/** At most this many params get an axis: those that differ between the runs. */
export const MAX_PARAM_AXES = 8;

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function rawValue(run: RunSummary, axis: Pick<Axis, 'kind' | 'key'>): string | number | undefined {
  return axis.kind === 'param' ? run.params[axis.key] : run.metrics[axis.key];
}

/** A finite number, from a metric or from a param written as a decimal number; else undefined. */
function asNumber(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') {
    const t = v.trim();
    if (!NUMBER.test(t)) return undefined;
    v = Number(t);
  }
  return Number.isFinite(v) ? v : undefined;
}

/**
 * Params whose values differ between the runs, at most MAX_PARAM_AXES (those with the fewest
 * distinct values first, then by name: a per-run value such as an output folder tells nothing),
 * then the metrics, `last` the rightmost (the one the lines are coloured by).
 */
export function chooseAxes(runs: RunSummary[], metrics: string[], last: string | undefined): Axis[] {
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))];
  const distinct = new Map(paramKeys.map((k) => [k, new Set(runs.map((r) => r.params[k] ?? '')).size]));
  const varying = paramKeys
    .filter((k) => distinct.get(k)! > 1)
    .sort((a, b) => distinct.get(a)! - distinct.get(b)! || a.localeCompare(b))
    .slice(0, MAX_PARAM_AXES)
    .sort((a, b) => a.localeCompare(b));
  const metricKeys = last ? [...metrics.filter((m) => m !== last), last] : metrics;
  return [
    ...varying.map((key) => ({ kind: 'param' as const, key })),
    ...metricKeys.map((key) => ({ kind: 'metric' as const, key })),
  ].map((a) => ({ ...a, id: `${a.kind}:${a.key}`, scale: scaleOf(runs, a) }));
}

/** The axis of one param or metric over these runs, whether or not chooseAxes would pick it. */
export function axisOf(runs: RunSummary[], kind: Axis['kind'], key: string): Axis {
  return { id: `${kind}:${key}`, kind, key, scale: scaleOf(runs, { kind, key }) };
}

/** The run's value on the axis as a chart plots it: a number, a category, or undefined. */
export function plotted(run: RunSummary, axis: Axis): number | string | undefined {
  const v = rawValue(run, axis);
  if (axis.scale.type === 'category') return v === undefined || v === '' ? undefined : String(v);
  return asNumber(v);
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
    // Params such as a learning rate are chosen on a log scale; metrics read as they are.
    return { type: 'linear', min, max, log: axis.kind === 'param' && min > 0 && max / min >= 100 };
  }
  const values = [...new Set(raw.map(String))].sort((a, b) =>
    a.localeCompare(b, undefined, { numeric: true }),
  );
  return { type: 'category', values, index: new Map(values.map((v, i) => [v, i])) };
}

/** Where a number sits on a numeric axis (outside 0..1 when outside its ends). */
export function positionOf(scale: LinearScale, n: number): number {
  if (scale.max === scale.min) return 0.5;
  return scale.log
    ? Math.log(n / scale.min) / Math.log(scale.max / scale.min)
    : (n - scale.min) / (scale.max - scale.min);
}

/** The run's place on the axis: 0 (bottom) to 1 (top), or MISSING. */
export function position(run: RunSummary, axis: Axis): number {
  const v = rawValue(run, axis);
  if (axis.scale.type === 'category') {
    if (v === undefined || v === '') return MISSING;
    const i = axis.scale.index.get(String(v));
    if (i === undefined) return MISSING;
    return axis.scale.values.length === 1 ? 0.5 : i / (axis.scale.values.length - 1);
  }
  const n = asNumber(v);
  return n === undefined ? MISSING : positionOf(axis.scale, n);
}

/** The value at position p (0 to 1) of a numeric axis. */
export function valueAt(scale: LinearScale, p: number): number {
  return scale.log ? scale.min * (scale.max / scale.min) ** p : scale.min + p * (scale.max - scale.min);
}

/** The range a drag between positions a and b covers on the axis, in its values. */
export function brushOf(axis: Axis, a: number, b: number): Brush {
  const lo = Math.max(0, Math.min(a, b));
  const hi = Math.min(1, Math.max(a, b));
  const scale = axis.scale;
  if (scale.type === 'linear') {
    // The ends exactly, not as computed back: a run at an axis's end stays inside a range to it.
    const at = (p: number) => (p <= 0 ? scale.min : p >= 1 ? scale.max : valueAt(scale, p));
    return { type: 'linear', lo: at(lo), hi: at(hi) };
  }
  // Each category owns the band half a step either side of its tick: a drag anywhere over a
  // band takes it, so a drag between two ticks is never empty.
  const half = scale.values.length > 1 ? 0.5 / (scale.values.length - 1) : 0.5;
  return {
    type: 'category',
    values: new Set(
      scale.values.filter((_, i) => {
        const p = categoryAt(scale, i);
        return p + half >= lo && p - half <= hi;
      }),
    ),
  };
}

function categoryAt(scale: CategoryScale, i: number): number {
  return scale.values.length === 1 ? 0.5 : i / (scale.values.length - 1);
}

/** The positions a range spans on the axis as it is drawn now (clamped to the axis). */
export function brushSpan(axis: Axis, brush: Brush): [number, number] | undefined {
  const scale = axis.scale;
  if (brush.type === 'linear' && scale.type === 'linear') {
    const clamp = (p: number) => Math.min(1, Math.max(0, p));
    return [clamp(positionOf(scale, brush.lo)), clamp(positionOf(scale, brush.hi))];
  }
  if (brush.type === 'category' && scale.type === 'category') {
    const at = [...brush.values]
      .map((v) => scale.index.get(v))
      .filter((i): i is number => i !== undefined)
      .map((i) => categoryAt(scale, i));
    if (!at.length) return undefined;
    // The categories' bands, not their bare ticks: one category is a visible range, too.
    const half = scale.values.length > 1 ? 0.25 / (scale.values.length - 1) : 0.25;
    return [Math.max(0, Math.min(...at) - half), Math.min(1, Math.max(...at) + half)];
  }
  return undefined;
}

/** The ranges that apply: on an axis shown, of the axis's kind (numbers or categories). */
export function activeBrushes(axes: Axis[], brushes: Map<string, Brush>): { axis: Axis; brush: Brush }[] {
  return axes.flatMap((axis) => {
    const brush = brushes.get(axis.id);
    return brush && brush.type === axis.scale.type ? [{ axis, brush }] : [];
  });
}

/**
 * The runs whose value on every brushed axis is inside its range; a run with no value there is
 * not. Ranges on axes not shown (gone, or of another kind now) keep every run.
 */
export function keptBy(runs: RunSummary[], axes: Axis[], brushes: Map<string, Brush>): Set<string> {
  const active = activeBrushes(axes, brushes);
  const kept = new Set<string>();
  for (const run of runs) {
    const inside = active.every(({ axis, brush }) => {
      const v = rawValue(run, axis);
      if (brush.type === 'category') return v !== undefined && brush.values.has(String(v));
      const n = asNumber(v);
      return n !== undefined && n >= brush.lo && n <= brush.hi;
    });
    if (inside) kept.add(run.id);
  }
  return kept;
}

/** A short label for a tick or tooltip. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}
