/**
 * Kullback–Leibler divergence KL(reference ‖ current) (docs/architecture.md §9): zero replacement
 * per side, both renormalized to sum 1, then Σ r·ln(r/c) — what scipy.stats.entropy(r, c) computes.
 */
import { replaceZeroShares } from './binning.ts';

export function klDivergence(reference: Float64Array, current: Float64Array): number {
  const r = replaceZeroShares(reference);
  const c = replaceZeroShares(current);
  let sr = 0;
  let sc = 0;
  for (let k = 0; k < r.length; k++) {
    sr += r[k]!;
    sc += c[k]!;
  }
  let sum = 0;
  for (let k = 0; k < r.length; k++) {
    const rk = r[k]! / sr;
    const ck = c[k]! / sc;
    sum += rk * Math.log(rk / ck);
  }
  return sum;
}
