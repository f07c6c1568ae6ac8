/**
 * Regression metrics equal to scikit-learn 1.2's on the same predictions: root of
 * mean_squared_error, mean_absolute_error, r2_score (default force_finite: a constant label gives
 * 1.0 for perfect predictions and 0.0 otherwise, not NaN or −Infinity), plus the residual
 * histogram (numpy.histogram(actual − predicted, bins=30)) and a predicted-vs-actual sample.
 * Predictions and labels are kept in two Float64Arrays sized to the table (16 bytes a row): r2
 * needs the label mean before its second sum, and the histogram the residuals' range.
 */
import { toJsonNumber } from '../../../shared/drift.ts';
import type { RegressionEvaluation } from '../../../shared/evaluation.ts';
import { sumOf } from './compensatedSum.ts';

export const RESIDUAL_BINS = 30;
export const MAX_SAMPLE_POINTS = 2000;

export type RegressionResult = Pick<
  RegressionEvaluation,
  'metrics' | 'residualHistogram' | 'predictedVsActual'
>;

export class RegressionAccumulator {
  private count = 0;
  private readonly actual: Float64Array;
  private readonly predicted: Float64Array;

  constructor(rows: number) {
    this.actual = new Float64Array(rows);
    this.predicted = new Float64Array(rows);
  }

  add(actual: Float64Array, predicted: ArrayLike<number>): void {
    this.actual.set(actual, this.count);
    for (let r = 0; r < actual.length; r++) this.predicted[this.count + r] = predicted[r]!;
    this.count += actual.length;
  }

  finish(): RegressionResult {
    const n = this.count;
    const actual = this.actual.subarray(0, n);
    const predicted = this.predicted.subarray(0, n);
    const residuals = new Float64Array(n);
    let lowest = Number.POSITIVE_INFINITY;
    let highest = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      residuals[i] = actual[i]! - predicted[i]!;
      lowest = Math.min(lowest, actual[i]!);
      highest = Math.max(highest, actual[i]!);
    }
    const squared = sumOf(residuals, (d) => d * d);
    const mean = sumOf(actual) / n;
    // A constant label has no spread: exactly 0, where the mean's rounding could leave a speck.
    const spread = lowest === highest ? 0 : sumOf(actual, (y) => (y - mean) * (y - mean));
    let r2 = 1;
    if (squared !== 0) r2 = spread !== 0 ? 1 - squared / spread : 0;
    return {
      metrics: {
        rmse: toJsonNumber(Math.sqrt(squared / n)),
        mae: toJsonNumber(sumOf(residuals, Math.abs) / n),
        r2: toJsonNumber(r2),
        example_count: n,
      },
      residualHistogram: histogram(residuals, RESIDUAL_BINS),
      predictedVsActual: sample(predicted, actual),
    };
  }
}

/** numpy.histogram(values, bins): equal-width bins over min..max, the last bin closed. */
export function histogram(values: Float64Array, bins: number): RegressionResult['residualHistogram'] {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    first = Math.min(first, v);
    last = Math.max(last, v);
  }
  if (first > last) return { edges: [], counts: [] };
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  // np.linspace: start + i * step, with the last edge set to stop exactly.
  const width = (last - first) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? last : i * width + first));
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    if (!(v >= first && v <= last)) continue;
    let bin = Math.floor(((v - first) / (last - first)) * bins);
    if (bin === bins) bin--;
    // numpy corrects the computed bin against the edges themselves, so a value on an edge goes
    // where the edges say, whatever the rounding of (v − first) · norm.
    if (v < edges[bin]!) bin--;
    else if (bin !== bins - 1 && v >= edges[bin + 1]!) bin++;
    counts[bin]!++;
  }
  return { edges: edges.map(toJsonNumber), counts };
}

/** At most MAX_SAMPLE_POINTS rows, evenly spaced through the table (so the same every time). */
function sample(predicted: Float64Array, actual: Float64Array): RegressionResult['predictedVsActual'] {
  const n = predicted.length;
  const m = Math.min(n, MAX_SAMPLE_POINTS);
  const rows = Array.from({ length: m }, (_, i) => Math.floor((i * n) / m));
  return {
    predicted: rows.map((i) => toJsonNumber(predicted[i]!)),
    actual: rows.map((i) => toJsonNumber(actual[i]!)),
  };
}
