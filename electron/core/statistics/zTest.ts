/**
 * Pooled two-proportion z-test on the share of the smallest category (docs/architecture.md §9,
 * Evidently's `z` test). The p-value is 2·(1 − Φ(|z|)) computed as 2·sf(|z|), which is the same
 * number but does not round to 0 once |z| passes ~8.
 */

import type { CategoryCounts } from './categoryCounts.ts';
import { total } from './categoryCounts.ts';
import type { TestResult } from './chiSquareTest.ts';
import { normalSf } from './gammaDist.ts';

export function zTest(counts: CategoryCounts): TestResult {
  const n1 = total(counts.reference);
  const n2 = total(counts.current);
  // counts.values is ascending, so index 0 is the smallest category.
  const p1 = (counts.reference[0] ?? 0) / n1;
  const p2 = (counts.current[0] ?? 0) / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  if (!(pooled > 0 && pooled < 1)) return { statistic: 0, pValue: 1 };
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  return { statistic: z, pValue: Math.min(1, 2 * normalSf(Math.abs(z))) };
}
