/**
 * Curves for drawing: a million-row ROC curve can have a million points, which no chart needs.
 * Points are kept evenly spaced along the curve's length (in the unit square both axes share), so
 * corners and steep runs keep their points where a stride over the index would drop them; both
 * ends are always kept. A curve already small enough is returned whole.
 */

export const MAX_CURVE_POINTS = 500;

/** Indices of the points to keep of the curve (xs[i], ys[i]). NaN coordinates count as no length. */
export function thinCurve(xs: ArrayLike<number>, ys: ArrayLike<number>, max = MAX_CURVE_POINTS): number[] {
  const n = xs.length;
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const step = (k: number) => {
    const d = Math.abs(xs[k]! - xs[k - 1]!) + Math.abs(ys[k]! - ys[k - 1]!);
    return Number.isFinite(d) ? d : 0;
  };
  let length = 0;
  for (let k = 1; k < n; k++) length += step(k);
  const keep = [0];
  if (length > 0) {
    // max − 2 gaps between kept points, plus the last point: never more than max in all.
    const spacing = length / (max - 2);
    let along = 0;
    let next = spacing;
    for (let k = 1; k < n - 1; k++) {
      along += step(k);
      if (along >= next) {
        keep.push(k);
        next = along + spacing;
      }
    }
  }
  keep.push(n - 1);
  return keep;
}

/** The kept elements of each array, as plain number arrays. */
export function pick(indices: readonly number[], ...arrays: ArrayLike<number>[]): number[][] {
  return arrays.map((a) => indices.map((i) => a[i]!));
}
