/**
 * A drift dataset over columns held in memory — `{ column: values[] }` or a Map — for callers that
 * already have the data (a deployment's logged requests, tests). Values may be numbers, strings,
 * booleans, bigints or null/undefined; null, undefined and NaN are missing.
 */
import type { StorageKind } from '../../../shared/drift.ts';
import { invalidInput } from '../errors.ts';
import { type CategoryValue, mergeCounts } from '../statistics/categoryCounts.ts';
import { radixSortFloat64 } from '../statistics/radixSort.ts';
import type {
  DomainCounts,
  DriftColumnSource,
  DriftDataset,
  DriftSide,
  SortedNumbers,
  ValueDomain,
} from './columnSource.ts';

export type ColumnValues = ArrayLike<unknown>;
export type ColumnSet = Map<string, ColumnValues> | Record<string, ColumnValues>;

const isMissing = (v: unknown) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));

/**
 * The kind a column's present values suggest. Numbers mixed with text count as numbers when they
 * are at least half of the values: that is a numerical column with stray text.
 */
export function inferStorageKind(values: ColumnValues): StorageKind {
  let numbers = 0;
  let integers = 0;
  let strings = 0;
  let booleans = 0;
  let others = 0;
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (isMissing(v)) continue;
    if (typeof v === 'number') {
      numbers++;
      if (Number.isInteger(v)) integers++;
    } else if (typeof v === 'bigint') {
      numbers++;
      integers++;
    } else if (typeof v === 'string') strings++;
    else if (typeof v === 'boolean') booleans++;
    else others++;
  }
  const present = numbers + strings + booleans + others;
  if (present === 0) return 'empty';
  if (booleans === present) return 'boolean';
  if (numbers > 0 && numbers >= strings && booleans + others === 0)
    return integers === numbers ? 'integer' : 'float';
  return 'string';
}

/** A value as a finite number, or null when it is not one (text, ±Infinity). */
function asNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function asDomainValue(v: unknown, domain: ValueDomain): CategoryValue | null {
  if (domain === 'numeric') return asNumber(v);
  if (domain === 'boolean' && typeof v === 'boolean') return v;
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

function countSide(
  values: ColumnValues,
  domain: ValueDomain,
): { counts: Map<CategoryValue, number>; invalid: number } {
  const counts = new Map<CategoryValue, number>();
  let invalid = 0;
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (isMissing(v)) continue;
    const key = asDomainValue(v, domain);
    if (key === null) invalid++;
    else counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { counts, invalid };
}

function sortedSide(values: ColumnValues): { sorted: Float64Array; invalid: number } {
  const out = new Float64Array(values.length);
  let n = 0;
  let invalid = 0;
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (isMissing(v)) continue;
    const x = asNumber(v);
    if (x === null) invalid++;
    else out[n++] = x;
  }
  return { sorted: radixSortFloat64(out.slice(0, n)), invalid };
}

function missingCount(values: ColumnValues): number {
  let m = 0;
  for (let k = 0; k < values.length; k++) if (isMissing(values[k])) m++;
  return m;
}

function describeSide(columns: Map<string, ColumnValues>, label: string): DriftSide {
  const lengths = new Set([...columns.values()].map((v) => v.length));
  if (lengths.size > 1) {
    throw invalidInput(
      `The ${label} columns have different lengths (${[...lengths].join(', ')}); every column needs one value per row.`,
    );
  }
  const storage = new Map<string, StorageKind>();
  for (const [name, values] of columns) storage.set(name, inferStorageKind(values));
  return { rows: lengths.size ? [...lengths][0]! : 0, columns: [...columns.keys()], storage };
}

const toMap = (set: ColumnSet) => (set instanceof Map ? set : new Map(Object.entries(set)));

export function memoryDataset(referenceSet: ColumnSet, currentSet: ColumnSet): DriftDataset {
  const ref = toMap(referenceSet);
  const cur = toMap(currentSet);
  const reference = describeSide(ref, 'reference');
  const current = describeSide(cur, 'current');
  return {
    reference,
    current,
    column(name: string): DriftColumnSource {
      const r = ref.get(name);
      const c = cur.get(name);
      if (!r || !c) throw new RangeError(`Column "${name}" is not on both sides.`);
      return {
        name,
        storage: { reference: reference.storage.get(name)!, current: current.storage.get(name)! },
        missing: { reference: missingCount(r), current: missingCount(c) },
        async categoryCounts(domain: ValueDomain, limit?: number): Promise<DomainCounts | null> {
          const a = countSide(r, domain);
          const b = countSide(c, domain);
          const merged = mergeCounts(a.counts, b.counts);
          if (limit !== undefined && merged.values.length > limit) return null;
          return { ...merged, invalid: { reference: a.invalid, current: b.invalid } };
        },
        async sortedNumbers(): Promise<SortedNumbers> {
          const a = sortedSide(r);
          const b = sortedSide(c);
          return {
            reference: a.sorted,
            current: b.sorted,
            invalid: { reference: a.invalid, current: b.invalid },
          };
        },
      };
    },
    async close() {},
  };
}
