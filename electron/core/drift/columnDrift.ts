/**
 * Tests one column: settles its type and method (the defaults of docs/architecture.md §9 unless
 * overridden), asks the source for exactly the data that method needs (counts per value, or sorted
 * numbers), and returns the column's row of the report. Missing values are dropped first; a column
 * with nothing left on a side is reported as skipped with the reason, never as NaN.
 */
import type { ColumnType, DriftColumnResult, DriftMethod } from '../../../shared/drift.ts';
import { toJsonNumber } from '../../../shared/drift.ts';
import { invalidInput } from '../errors.ts';
import { type BinnedShares, categoryShares, equalWidthShares } from '../statistics/binning.ts';
import {
  type CategoryCounts,
  countsFromSorted,
  distinctSorted,
  total,
} from '../statistics/categoryCounts.ts';
import { chiSquareTest } from '../statistics/chiSquareTest.ts';
import {
  categoryDistribution,
  categoryLabel,
  histogramDistribution,
} from '../statistics/columnDistribution.ts';
import { hellingerDistance } from '../statistics/hellinger.ts';
import { jensenShannonDistance } from '../statistics/jensenShannon.ts';
import { klDivergence } from '../statistics/klDivergence.ts';
import { ksTwoSample } from '../statistics/ksTest.ts';
import { populationStabilityIndex } from '../statistics/psi.ts';
import { normalizedWasserstein } from '../statistics/wasserstein.ts';
import { zTest } from '../statistics/zTest.ts';
import type { DriftColumnSource, SideCounts, SortedNumbers } from './columnSource.ts';
import {
  defaultMethod,
  defaultThreshold,
  effectiveKind,
  INTEGER_CATEGORICAL_MAX_DISTINCT,
  inferColumnType,
  isDrift,
  needsNumbers,
  resolveDomain,
} from './columnTypes.ts';

export interface ColumnPlan {
  method?: DriftMethod;
  /** The method was named for this very column (an unusable one is then an error, not a skip). */
  methodForColumn: boolean;
  threshold?: number;
  columnType?: ColumnType;
}

export interface ColumnOutcome {
  result: DriftColumnResult;
  warnings: string[];
}

const MAX_LISTED_NEW_CATEGORIES = 50;
/** Numerical columns use equal-width bins only when the reference has more distinct values. */
const MAX_DISTINCT_FOR_VALUE_BINS = 20;

export async function analyzeColumn(
  source: DriftColumnSource,
  plan: ColumnPlan,
  rows: SideCounts,
): Promise<ColumnOutcome> {
  const { name, storage, missing } = source;
  const domain = resolveDomain(storage.reference, storage.current, plan.columnType);
  const kind = effectiveKind(storage.reference, storage.current);
  const warnings: string[] = [];

  let counts: CategoryCounts | null = null;
  let numbers: SortedNumbers | null = null;
  let invalid: SideCounts = { reference: 0, current: 0 };

  let type: ColumnType;
  if (plan.columnType) type = plan.columnType;
  else if (domain !== 'numeric') type = 'categorical';
  else if (kind === 'integer') {
    const small = await source.categoryCounts('numeric', INTEGER_CATEGORICAL_MAX_DISTINCT);
    if (small) {
      counts = small;
      invalid = small.invalid;
    }
    type = inferColumnType(kind, small ? small.values.length : null);
  } else type = 'numerical';

  if (type === 'numerical') {
    numbers = await source.sortedNumbers();
    invalid = numbers.invalid;
  } else if (!counts) {
    const all = (await source.categoryCounts(domain))!;
    counts = all;
    invalid = all.invalid;
  }
  const nRef = numbers ? numbers.reference.length : total(counts!.reference);
  const nCur = numbers ? numbers.current.length : total(counts!.current);
  const distinct = numbers ? distinctUnionSorted(numbers.reference, numbers.current) : counts!.values.length;

  const method = plan.method ?? defaultMethod(type, nRef, distinct);
  const threshold = plan.threshold ?? defaultThreshold(method);
  const base = {
    column: name,
    type,
    method,
    threshold,
    missingShare: rows.current > 0 ? missing.current / rows.current : 0,
    referenceMissingShare: rows.reference > 0 ? missing.reference / rows.reference : 0,
    counts: { reference: nRef, current: nCur },
    invalid,
    distinct,
    storage,
  };
  for (const side of ['reference', 'current'] as const) {
    if (invalid[side] > 0) {
      warnings.push(
        `Column "${name}": ${invalid[side]} ${side} value(s) are not finite numbers (text or ±Infinity) and were left out of the test.`,
      );
    }
  }

  let skipped: string | null = null;
  if (needsNumbers(method) && domain !== 'numeric') {
    const reason = `Column "${name}" holds ${kind === 'boolean' ? 'booleans' : 'text'}, and ${method} needs numbers. Use chisquare, z, jensenshannon, psi, kl_div or hellinger for it.`;
    if (plan.methodForColumn) throw invalidInput(reason);
    skipped = reason;
  } else if (nRef === 0 || nCur === 0) {
    const side = nRef === 0 ? 'reference' : 'current';
    skipped = `Column "${name}" has no usable ${side} values: all ${rows[side]} row(s) are missing${invalid[side] ? ' or not numbers' : ''}.`;
  }

  let statistic: number | null = null;
  let pValue: number | null = null;
  let edges: Float64Array | undefined;
  if (!skipped) {
    switch (method) {
      case 'ks':
      case 'wasserstein': {
        numbers ??= expandCounts(counts!);
        if (method === 'ks') ({ statistic, pValue } = ksTwoSample(numbers.reference, numbers.current));
        else statistic = normalizedWasserstein(numbers.reference, numbers.current);
        break;
      }
      case 'chisquare':
      case 'z': {
        counts ??= countsFromSorted(numbers!.reference, numbers!.current);
        ({ statistic, pValue } = method === 'chisquare' ? chiSquareTest(counts) : zTest(counts));
        break;
      }
      default: {
        let shares: BinnedShares;
        if (
          type === 'numerical' &&
          numbers &&
          distinctSorted(numbers.reference) > MAX_DISTINCT_FOR_VALUE_BINS
        ) {
          const binned = equalWidthShares(numbers.reference, numbers.current);
          edges = binned.edges;
          shares = binned;
        } else {
          counts ??= countsFromSorted(numbers!.reference, numbers!.current);
          shares = categoryShares(counts, nRef, nCur);
        }
        statistic = binnedStatistic(method, shares);
      }
    }
  }

  if (type === 'categorical' && !counts && numbers)
    counts = countsFromSorted(numbers.reference, numbers.current);
  const newCategories = type === 'categorical' && counts ? newCategoryLabels(counts) : [];
  const distribution =
    type === 'numerical' && numbers
      ? histogramDistribution(numbers.reference, numbers.current, edges)
      : counts && counts.values.length > 0
        ? categoryDistribution(counts)
        : null;

  return {
    warnings,
    result: {
      ...base,
      statistic: statistic === null ? null : toJsonNumber(statistic),
      pValue: pValue === null ? null : toJsonNumber(pValue),
      drifted: statistic !== null && isDrift(method, statistic, pValue, threshold),
      newCategories: newCategories.slice(0, MAX_LISTED_NEW_CATEGORIES),
      newCategoryCount: newCategories.length,
      skipped,
      distribution,
    },
  };
}

function binnedStatistic(method: DriftMethod, shares: BinnedShares): number {
  switch (method) {
    case 'jensenshannon':
      return jensenShannonDistance(shares.reference, shares.current);
    case 'psi':
      return populationStabilityIndex(shares.reference, shares.current);
    case 'kl_div':
      return klDivergence(shares.reference, shares.current);
    case 'hellinger':
      return hellingerDistance(shares.reference, shares.current);
    default:
      throw new Error(`${method} is not a binned method`);
  }
}

/** Distinct values over two ascending-sorted samples, without building the merged array. */
function distinctUnionSorted(a: Float64Array, b: Float64Array): number {
  const na = a.length;
  const nb = b.length;
  let i = 0;
  let j = 0;
  let count = 0;
  let last = Number.NaN;
  while (i < na || j < nb) {
    let x: number;
    if (j >= nb || (i < na && a[i]! <= b[j]!)) x = a[i++]!;
    else x = b[j++]!;
    if (x !== last) {
      count++;
      last = x;
    }
  }
  return count;
}

/** Sorted samples rebuilt from counts of numeric values (an integer column judged categorical). */
function expandCounts(counts: CategoryCounts): SortedNumbers {
  const side = (c: Float64Array) => {
    const out = new Float64Array(total(c));
    let k = 0;
    counts.values.forEach((v, idx) => {
      out.fill(v as number, k, k + c[idx]!);
      k += c[idx]!;
    });
    return out;
  };
  return {
    reference: side(counts.reference),
    current: side(counts.current),
    invalid: { reference: 0, current: 0 },
  };
}

function newCategoryLabels(counts: CategoryCounts): string[] {
  const out: string[] = [];
  counts.values.forEach((v, k) => {
    if (counts.reference[k] === 0 && counts.current[k]! > 0) out.push(categoryLabel(v));
  });
  return out;
}
