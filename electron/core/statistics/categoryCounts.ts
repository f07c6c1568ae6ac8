/**
 * Counts per distinct value on both sides, in the value order SciPy/pandas would sort them:
 * numbers numerically, false before true, strings by code point (Python's order, not UTF-16's).
 * This order matters: the z-test compares the share of the *smallest* category.
 */

export type CategoryValue = string | number | boolean;

export interface CategoryCounts {
  /** Distinct non-missing values over reference ∪ current, ascending. */
  values: CategoryValue[];
  reference: Float64Array;
  current: Float64Array;
}

export function compareCategoryValues(a: CategoryValue, b: CategoryValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  return typeof a < typeof b ? -1 : typeof a > typeof b ? 1 : 0;
}

function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Surrogates (astral code points) sort after the rest of the BMP in code-point order.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}

/** Merges per-side count maps into one ascending CategoryCounts. */
export function mergeCounts(
  reference: Map<CategoryValue, number>,
  current: Map<CategoryValue, number>,
): CategoryCounts {
  const all = new Set<CategoryValue>([...reference.keys(), ...current.keys()]);
  const values = [...all].sort(compareCategoryValues);
  const r = new Float64Array(values.length);
  const c = new Float64Array(values.length);
  values.forEach((v, k) => {
    r[k] = reference.get(v) ?? 0;
    c[k] = current.get(v) ?? 0;
  });
  return { values, reference: r, current: c };
}

/** Run-length counts of two ascending-sorted numeric samples. */
export function countsFromSorted(reference: Float64Array, current: Float64Array): CategoryCounts {
  const values: number[] = [];
  const r: number[] = [];
  const c: number[] = [];
  let i = 0;
  let j = 0;
  while (i < reference.length || j < current.length) {
    const a = i < reference.length ? reference[i]! : Number.POSITIVE_INFINITY;
    const b = j < current.length ? current[j]! : Number.POSITIVE_INFINITY;
    const x = Math.min(a, b);
    let ri = 0;
    let cj = 0;
    while (i < reference.length && reference[i]! === x) {
      i++;
      ri++;
    }
    while (j < current.length && current[j]! === x) {
      j++;
      cj++;
    }
    values.push(x);
    r.push(ri);
    c.push(cj);
  }
  return { values, reference: Float64Array.from(r), current: Float64Array.from(c) };
}

/** Number of distinct values in an ascending-sorted sample. */
export function distinctSorted(values: Float64Array): number {
  let count = 0;
  for (let k = 0; k < values.length; k++) if (k === 0 || values[k] !== values[k - 1]) count++;
  return count;
}

export function total(counts: Float64Array): number {
  let s = 0;
  for (let k = 0; k < counts.length; k++) s += counts[k]!;
  return s;
}
