/**
 * Population Stability Index (docs/architecture.md §9): Σ (r − c)·ln(r/c) over binned shares after the
 * per-side zero replacement, so a bin empty on one side contributes a large but finite term.
 */
import { replaceZeroShares } from './binning.ts';

export function populationStabilityIndex(reference: Float64Array, current: Float64Array): number {
  const r = replaceZeroShares(reference);
  const c = replaceZeroShares(current);
  let sum = 0;
  for (let k = 0; k < r.length; k++) sum += (r[k]! - c[k]!) * Math.log(r[k]! / c[k]!);
  return sum;
}
