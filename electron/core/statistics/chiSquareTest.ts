/**
 * Pearson chi-square goodness of fit of current counts against reference shares (docs/architecture.md §9,
 * `scipy.stats.chisquare(cur, ref·n_cur/n_ref)`), k − 1 degrees of freedom.
 *
 * Two cases SciPy would answer with NaN or a warning are defined instead: a category absent from
 * the reference but present in current gives +∞ and p = 0 (the caller reports it as new), and a
 * single shared category gives 0 and p = 1.
 */
import type { CategoryCounts } from './categoryCounts.ts';
import { total } from './categoryCounts.ts';
import { chi2Sf } from './gammaDist.ts';

export interface TestResult {
  statistic: number;
  pValue: number;
}

export function chiSquareTest(counts: CategoryCounts): TestResult {
  const k = counts.values.length;
  const nRef = total(counts.reference);
  const nCur = total(counts.current);
  if (k <= 1) return { statistic: 0, pValue: 1 };
  let statistic = 0;
  for (let i = 0; i < k; i++) {
    const observed = counts.current[i]!;
    const expected = (counts.reference[i]! * nCur) / nRef;
    if (expected === 0) {
      if (observed > 0) return { statistic: Number.POSITIVE_INFINITY, pValue: 0 };
      continue;
    }
    const diff = observed - expected;
    statistic += (diff * diff) / expected;
  }
  return { statistic, pValue: chi2Sf(statistic, k - 1) };
}
