/**
 * Numbers read from text with at most `decimals` digits after the point (prices, measurements,
 * integers) held as counts per integer k = x·10^decimals, when their range is small: a million of
 * them sort in a few milliseconds by counting, against ~40 for radixSortFloat64, and a reader can
 * count them as it goes instead of holding every value.
 *
 * Expanded, the counts give the array radixSortFloat64 gives, bit for bit (−0 before +0 included):
 * each value is exactly k / 10^decimals, one division of two exact numbers, which rounds correctly,
 * so it is the value that was read.
 */

export interface DecimalCounts {
  /** The k of counts[0]. */
  low: number;
  /** Digits after the point: the values are (low + i) / 10^decimals. */
  decimals: number;
  counts: Int32Array;
  /** How many of the zeros are −0. */
  negativeZeros: number;
  /** Sum of counts. */
  total: number;
}

/** Counters allowed per value (and at most MAX_BUCKETS): beyond, radix sorting is cheaper. */
export const BUCKETS_PER_VALUE = 2;
export const MAX_BUCKETS = 1 << 22;

/** The value of bucket i. */
export const decimalValue = (c: DecimalCounts, i: number): number => (c.low + i) / 10 ** c.decimals;

/**
 * `values` as counts, or null when one of them has more decimals (or is not finite) or their
 * range needs too many counters.
 */
export function countDecimals(values: Float64Array, decimals: number): DecimalCounts | null {
  const n = values.length;
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 15) return null;
  const scale = 10 ** decimals;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) return { low: 0, decimals, counts: new Int32Array(0), negativeZeros: 0, total: 0 };
  const low = Math.round(min * scale);
  const high = Math.round(max * scale);
  if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) return null;
  const buckets = high - low + 1;
  if (buckets > Math.min(MAX_BUCKETS, BUCKETS_PER_VALUE * n + 1024)) return null;
  const counts = new Int32Array(buckets);
  let negativeZeros = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const k = Math.round(v * scale);
    if (k / scale !== v) return null; // more decimals (or NaN)
    if (v === 0 && 1 / v < 0) negativeZeros++;
    counts[k - low]!++;
  }
  return { low, decimals, counts, negativeZeros, total: n };
}

/** Writes the counted values into `out` (at least `total` long) in ascending order. */
export function expandDecimalCounts(c: DecimalCounts, out: Float64Array): Float64Array {
  const scale = 10 ** c.decimals;
  let at = 0;
  for (let b = 0; b < c.counts.length; b++) {
    const n = c.counts[b]!;
    if (n === 0) continue;
    const k = c.low + b;
    if (k === 0 && c.negativeZeros > 0) {
      out.fill(-0, at, at + c.negativeZeros);
      out.fill(0, at + c.negativeZeros, at + n);
    } else {
      out.fill(k / scale, at, at + n);
    }
    at += n;
  }
  return out;
}

/** Sorts `values` in place by counting and answers true, or answers false and leaves them be. */
export function sortDecimals(values: Float64Array, decimals: number): boolean {
  const counts = countDecimals(values, decimals);
  if (!counts) return false;
  expandDecimalCounts(counts, values);
  return true;
}
