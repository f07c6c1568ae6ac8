/**
 * Hellinger distance between binned shares (docs/architecture.md §9): sqrt(1 − Σ sqrt(r·c)). The
 * Bhattacharyya sum can round to just above 1 for identical shares; the distance is then 0, never
 * NaN.
 */
export function hellingerDistance(reference: Float64Array, current: Float64Array): number {
  let bc = 0;
  for (let k = 0; k < reference.length; k++) bc += Math.sqrt(reference[k]! * current[k]!);
  return Math.sqrt(Math.max(0, 1 - bc));
}
