/**
 * First Wasserstein distance between two samples (`scipy.stats.wasserstein_distance`), and the
 * drift statistic docs/architecture.md §9 builds from it: W₁ / max(population std of reference, 0.001).
 *
 * Inputs are ascending-sorted samples, so ∫|F − G| is one merge pass; the sum is compensated
 * (Neumaier) because a million small products otherwise lose digits SciPy's pairwise sum keeps.
 */

/**
 * W₁(u, v) for ascending-sorted, non-empty samples. Walks the merged order one value at a time;
 * between consecutive values x ≤ x′ it adds |F(x) − G(x)|·(x′ − x). Ties contribute zero-width
 * intervals, so they need no grouping — the same sum SciPy forms from np.diff of the merged values.
 */
export function wassersteinDistance(u: Float64Array, v: Float64Array): number {
  const nu = u.length;
  const nv = v.length;
  if (nu === 0 || nv === 0) throw new RangeError('wasserstein_distance needs two non-empty samples');
  let i = 0;
  let j = 0;
  let prev = Math.min(u[0]!, v[0]!);
  let sum = 0;
  let compensation = 0;
  const total = nu + nv;
  for (let k = 0; k < total; k++) {
    const fromU = j >= nv || (i < nu && u[i]! <= v[j]!);
    const x = fromU ? u[i]! : v[j]!;
    const term = Math.abs(i / nu - j / nv) * (x - prev);
    const t = sum + term;
    compensation += sum >= term ? sum - t + term : term - t + sum;
    sum = t;
    if (fromU) i++;
    else j++;
    prev = x;
  }
  return sum + compensation;
}

/** Population standard deviation (numpy.std with ddof=0), two-pass for accuracy. */
export function populationStd(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  let mean = 0;
  for (let k = 0; k < n; k++) mean += values[k]!;
  mean /= n;
  let ss = 0;
  let correction = 0;
  for (let k = 0; k < n; k++) {
    const d = values[k]! - mean;
    ss += d * d;
    correction += d;
  }
  return Math.sqrt(Math.max(0, (ss - (correction * correction) / n) / n));
}

/** `wasserstein` (docs/architecture.md §9): W₁ normalized by the reference's spread (floor 0.001). */
export function normalizedWasserstein(reference: Float64Array, current: Float64Array): number {
  return wassersteinDistance(reference, current) / Math.max(populationStd(reference), 0.001);
}
