/**
 * Two-sample Kolmogorov–Smirnov test with `scipy.stats.ks_2samp` semantics (two-sided,
 * method='auto'): the exact p-value when max(n₁, n₂) ≤ 10000, otherwise
 * kstwo.sf(D, round(n₁n₂/(n₁+n₂))).
 *
 * Inputs are sorted samples (Float64Array, ascending, no NaN), so D is found in one merge pass.
 * D is tracked as the exact integer numerator i·n₂ − j·n₁ over n₁·n₂, which gives SciPy's lattice
 * height h = round(D·lcm) without rounding doubt.
 */
import { kstwoSf } from './kolmogorovDist.ts';

const MAX_EXACT_N = 10000;

export interface KsResult {
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
}

/** ks_2samp(reference, current) for ascending-sorted, non-empty samples. */
export function ksTwoSample(reference: Float64Array, current: Float64Array): KsResult {
  const n1 = reference.length;
  const n2 = current.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('ks_2samp needs two non-empty samples');

  // Walk the merged order; after consuming every copy of a value, the ECDF difference is
  // (i/n1 − j/n2) = (i·n2 − j·n1) / (n1·n2).
  let i = 0;
  let j = 0;
  let maxNum = 0;
  let maxAt = [0, 0];
  let minNum = 0;
  let minAt = [0, 0];
  while (i < n1 || j < n2) {
    const a = i < n1 ? reference[i]! : Number.POSITIVE_INFINITY;
    const b = j < n2 ? current[j]! : Number.POSITIVE_INFINITY;
    const x = Math.min(a, b);
    while (i < n1 && reference[i]! === x) i++;
    while (j < n2 && current[j]! === x) j++;
    const num = i * n2 - j * n1;
    if (num > maxNum) {
      maxNum = num;
      maxAt = [i, j];
    } else if (num < minNum) {
      minNum = num;
      minAt = [i, j];
    }
    if (a === Number.POSITIVE_INFINITY && b === Number.POSITIVE_INFINITY) break;
  }
  const maxS = maxAt[0]! / n1 - maxAt[1]! / n2;
  const minS = Math.min(1, Math.max(0, -(minAt[0]! / n1 - minAt[1]! / n2)));
  const useMin = minS > maxS;
  const d = useMin ? minS : maxS;
  const num = useMin ? -minNum : maxNum;

  if (Math.max(n1, n2) <= MAX_EXACT_N) {
    const exact = exactTwoSided(n1, n2, num);
    if (exact) return { statistic: exact.d, pValue: exact.p, method: 'exact' };
  }
  const [big, small] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (big * small) / (big + small);
  return {
    statistic: d,
    pValue: Math.min(1, Math.max(0, kstwoSf(d, roundHalfEven(en)))),
    method: 'asymptotic',
  };
}

/** numpy.round: ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return x;
}

/**
 * SciPy's `_attempt_exact_2kssamp` for the two-sided alternative. Returns null when the exact
 * computation leaves [0, 1], where SciPy also falls back to the asymptotic distribution.
 */
function exactTwoSided(n1: number, n2: number, numerator: number): { d: number; p: number } | null {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = numerator / g; // exact: D·lcm = (i·n2 − j·n1)/g
  const d = h / lcm;
  if (h === 0) return { d, p: 1 };
  const p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  if (!(p >= 0 && p <= 1)) return null;
  return { d, p };
}

/**
 * P(D_{n,n} ≥ h/n) = 2·Σ (−1)^(k−1) C(2n, n−kh)/C(2n, n), evaluated as SciPy does, Horner-like,
 * with each ratio built from h simple factors to avoid cancellation.
 */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * Proportion of lattice paths from (0,0) to (m,n) that leave the band |x/m − y/n| < h/lcm(m,n):
 * SciPy's `_compute_outer_prob_inside_method` (Hodges' inside method rewritten by Viehmann to
 * carry 1 − p directly, so tiny p-values keep their precision).
 */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(Math.max(lenA, 1)).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}
