/**
 * Jensen–Shannon distance with the natural log, `scipy.spatial.distance.jensenshannon(p, q)`:
 * both sides normalized to sum 1, m = (p + q)/2, sqrt((KL(p‖m) + KL(q‖m)) / 2).
 */
export function jensenShannonDistance(p: Float64Array, q: Float64Array): number {
  let sp = 0;
  let sq = 0;
  for (let k = 0; k < p.length; k++) {
    sp += p[k]!;
    sq += q[k]!;
  }
  let left = 0;
  let right = 0;
  for (let k = 0; k < p.length; k++) {
    const pk = p[k]! / sp;
    const qk = q[k]! / sq;
    const m = (pk + qk) / 2;
    left += relEntr(pk, m);
    right += relEntr(qk, m);
  }
  // Rounding can leave the divergence a hair below 0 for identical inputs; sqrt must not see it.
  return Math.sqrt(Math.max(0, (left + right) / 2));
}

/** scipy.special.rel_entr: x·log(x/y), 0 when x = 0. */
function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Number.POSITIVE_INFINITY;
}
