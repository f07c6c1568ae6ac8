/**
 * The drift rules (docs/architecture.md §9) that do not depend on any statistic: how a column's
 * values are compared, whether it is numerical or categorical, which method it gets by default, and
 * when a result counts as drift.
 */
import type { ColumnType, DriftMethod, StorageKind } from '../../../shared/drift.ts';
import type { ValueDomain } from './columnSource.ts';

const isNumeric = (k: StorageKind) => k === 'float' || k === 'integer';
const hasValues = (k: StorageKind) => k !== 'empty' && k !== 'absent';

/**
 * A side with no values takes the other side's kind. Numbers against text compare as numbers —
 * that is a numerical column with stray text, and the text is reported as invalid rather than the
 * whole column turning categorical. Booleans only compare as booleans with booleans.
 */
export function resolveDomain(
  reference: StorageKind,
  current: StorageKind,
  override?: ColumnType,
): ValueDomain {
  const kinds = [reference, current].filter(hasValues);
  if (override === 'numerical') return 'numeric';
  if (kinds.length === 0) return 'text';
  if (kinds.some(isNumeric)) return kinds.every((k) => isNumeric(k) || k === 'string') ? 'numeric' : 'text';
  if (kinds.every((k) => k === 'boolean')) return 'boolean';
  return 'text';
}

/** The storage kind that decides the column type: float wins over integer, numbers over text. */
export function effectiveKind(reference: StorageKind, current: StorageKind): StorageKind {
  const kinds = [reference, current].filter(hasValues);
  if (kinds.includes('float')) return 'float';
  if (kinds.includes('integer')) return 'integer';
  return kinds[0] ?? 'empty';
}

/** Integers with at most this many distinct values over both sides are categorical. */
export const INTEGER_CATEGORICAL_MAX_DISTINCT = 10;

/**
 * float → numerical; integer → categorical with ≤ 10 distinct values, else numerical;
 * boolean and string → categorical.
 */
export function inferColumnType(kind: StorageKind, distinctIntegers: number | null): ColumnType {
  if (kind === 'float') return 'numerical';
  if (kind === 'integer') {
    return distinctIntegers !== null && distinctIntegers <= INTEGER_CATEGORICAL_MAX_DISTINCT
      ? 'categorical'
      : 'numerical';
  }
  return 'categorical';
}

/**
 * n = reference non-missing count, u = distinct values over reference ∪ current (Evidently's
 * defaults, docs/architecture.md §9).
 */
export function defaultMethod(type: ColumnType, n: number, u: number): DriftMethod {
  if (type === 'numerical') {
    if (n <= 1000) return u > 5 ? 'ks' : u >= 3 ? 'chisquare' : 'z';
    return u > 5 ? 'wasserstein' : 'jensenshannon';
  }
  if (n <= 1000) return u > 2 ? 'chisquare' : 'z';
  return 'jensenshannon';
}

export function defaultThreshold(method: DriftMethod): number {
  return method === 'ks' || method === 'chisquare' || method === 'z' ? 0.05 : 0.1;
}

/** ks drifts at p ≤ threshold, chisquare and z at p < threshold, distances at ≥ threshold. */
export function isDrift(
  method: DriftMethod,
  statistic: number,
  pValue: number | null,
  threshold: number,
): boolean {
  if (method === 'ks') return pValue !== null && pValue <= threshold;
  if (method === 'chisquare' || method === 'z') return pValue !== null && pValue < threshold;
  return statistic >= threshold;
}

/** Methods that read the values as numbers (the others work on counts per value or per bin). */
export function needsNumbers(method: DriftMethod): boolean {
  return method === 'ks' || method === 'wasserstein';
}
