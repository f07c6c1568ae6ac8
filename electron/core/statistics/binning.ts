/**
 * The bins that jensenshannon, psi, kl_div and hellinger compare (docs/architecture.md §9): for a numerical
 * column whose reference has more than 20 distinct values, ceil(log2(n_ref + n_cur) + 1)
 * equal-width bins over min..max of both sides (last bin closed); otherwise one bin per distinct
 * value of reference ∪ current.
 *
 * Bin edges and assignment copy numpy (linspace, then np.histogram's index correction), so a value
 * sitting on an edge lands in the same bin as in the SciPy reference.
 */
import type { CategoryCounts } from './categoryCounts.ts';

export interface BinnedShares {
  reference: Float64Array;
  current: Float64Array;
}

/** Equal-width bin count for the numerical rule. */
export function equalWidthBinCount(nReference: number, nCurrent: number): number {
  return Math.ceil(Math.log2(nReference + nCurrent) + 1);
}

/** numpy.linspace(first, last, bins + 1). */
export function binEdges(first: number, last: number, bins: number): Float64Array {
  const edges = new Float64Array(bins + 1);
  const step = (last - first) / bins;
  for (let k = 0; k <= bins; k++)
    edges[k] = step === 0 ? first + (k / bins) * (last - first) : k * step + first;
  edges[bins] = last;
  return edges;
}

/**
 * numpy.histogram(values, edges) with an explicit edge array, for ascending-sorted values: bin k
 * holds edges[k] ≤ x < edges[k+1], the last bin also x = edges[last]. Counting by binary search
 * on the edges compares against the edge values themselves, exactly as numpy's searchsorted does.
 */
export function histogramCounts(sorted: Float64Array, edges: Float64Array): Float64Array {
  const bins = edges.length - 1;
  const counts = new Float64Array(bins);
  let below = lowerBound(sorted, edges[0]!);
  for (let k = 0; k < bins; k++) {
    const upto = k === bins - 1 ? upperBound(sorted, edges[bins]!) : lowerBound(sorted, edges[k + 1]!);
    counts[k] = Math.max(0, upto - below);
    below = Math.max(below, upto);
  }
  return counts;
}

/** Index of the first element ≥ x. */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element > x. */
function upperBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function toShares(counts: Float64Array, n: number): Float64Array {
  const out = new Float64Array(counts.length);
  for (let k = 0; k < counts.length; k++) out[k] = counts[k]! / n;
  return out;
}

/** Equal-width shares of two ascending-sorted samples. */
export function equalWidthShares(
  reference: Float64Array,
  current: Float64Array,
): BinnedShares & { edges: Float64Array } {
  const lo = Math.min(reference[0]!, current[0]!);
  const hi = Math.max(reference[reference.length - 1]!, current[current.length - 1]!);
  const edges = binEdges(lo, hi, equalWidthBinCount(reference.length, current.length));
  return {
    edges,
    reference: toShares(histogramCounts(reference, edges), reference.length),
    current: toShares(histogramCounts(current, edges), current.length),
  };
}

/** One bin per distinct value. */
export function categoryShares(counts: CategoryCounts, nReference: number, nCurrent: number): BinnedShares {
  return { reference: toShares(counts.reference, nReference), current: toShares(counts.current, nCurrent) };
}

/**
 * The zero replacement of docs/architecture.md §9 for psi and kl_div, per side: zeros become
 * (smallest non-zero share)/10⁶ when that share ≤ 0.0001, else 0.0001.
 */
export function replaceZeroShares(shares: Float64Array): Float64Array {
  let smallest = Number.POSITIVE_INFINITY;
  for (const s of shares) if (s !== 0 && s < smallest) smallest = s;
  const fill = smallest <= 0.0001 ? smallest / 1e6 : 0.0001;
  return shares.map((s) => (s === 0 ? fill : s));
}
