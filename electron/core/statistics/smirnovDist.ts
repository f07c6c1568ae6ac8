/**
 * Survival function of the one-sided Kolmogorov–Smirnov statistic D⁺ₙ, `scipy.special.smirnov`.
 * The two-sided distribution (kolmogorovDist.ts) uses 2·smirnov(n, x) in its upper tail, which is
 * where two-sample KS p-values below ~0.02 come from.
 *
 * SciPy sums the Birnbaum–Tingey series in double-double arithmetic. Here each term is formed in
 * log space from exactly-split bases, (⌊nx⌋ + v + α)/n and (n − v − ⌊nx⌋ − α)/n with α the exact
 * fractional part of nx, which keeps the terms to ~1e-11 relative even for n near 10⁶ — far inside
 * the 1e-4 agreement we promise. The same special cases and early stop as SciPy are kept.
 */

const SMIRNOV_MAX_COMPUTE_N = 1_000_000;
// log of the smallest normal double: exp() below this underflows.
const MINLOG = -708.3964185322641;

/** Splits n·x into floor and exact fractional part (Dekker two-product), as SciPy's modNX does. */
function splitNX(n: number, x: number): { floor: number; alpha: number } {
  const hi = n * x;
  const lo = twoProductError(n, x, hi);
  let floor = Math.floor(hi);
  let alpha = hi - floor + lo;
  if (alpha < 0) {
    floor -= 1;
    alpha += 1;
  }
  if (alpha >= 1) {
    floor += 1;
    alpha -= 1;
  }
  return { floor, alpha };
}

const SPLITTER = 134217729; // 2^27 + 1

/** The rounding error of a·b, so that a·b = p + error exactly. */
function twoProductError(a: number, b: number, p: number): number {
  const ca = SPLITTER * a;
  const aHi = ca - (ca - a);
  const aLo = a - aHi;
  const cb = SPLITTER * b;
  const bHi = cb - (cb - b);
  const bLo = b - bHi;
  return aLo * bLo - (p - aHi * bHi - aHi * bLo - aLo * bHi);
}

/** P(D⁺ₙ ≥ x). */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1) || !Number.isInteger(n)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;

  const { floor: nxfl, alpha } = splitNX(n, x);
  // Terms v = 0 … ⌊n(1 − x)⌋, excluding the last one when n·x is an integer (it is 0^0).
  let lastV = n - nxfl - (alpha === 0 ? 0 : 1);
  if (alpha === 0) lastV -= 1;

  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    // x ≤ 1/n: closed form cdf = x (1 + x)^(n−1).
    return Math.min(1, Math.max(0, 1 - x * Math.exp((n - 1) * Math.log1p(x))));
  }
  if (-2 * n * x * x < MINLOG) return 0;
  if (nxfl >= n - 1) return Math.exp(n * Math.log1p(-x)); // x ≥ 1 − 1/n: (1 − x)^n
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    // Too many terms: SciPy's approximation p ≈ exp(−(6nx + 1)² / 18n).
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    return logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp);
  }

  const nTerms = lastV + 1;
  // A_0 = (1 − x)^n / x; later terms C(n, v) (x + v/n)^(v−1) (1 − x − v/n)^(n−v).
  let sum = Math.exp(n * Math.log1p(-x)) / x;
  let logBinomial = Math.log(n); // log C(n, 1)
  const vmid = Math.floor(n / 2);
  for (let v = 1; v < nTerms; v++) {
    const up = (nxfl + v + alpha) / n;
    const down = (n - v - nxfl - alpha) / n;
    const logTerm = logBinomial + (v - 1) * Math.log(up) + (n - v) * Math.log(down);
    const term = logTerm < MINLOG - 40 ? 0 : Math.exp(logTerm);
    sum += term;
    if (term !== 0) {
      if (4 * (nTerms - v) * term < Number.EPSILON * sum && v !== nTerms - 1) break;
    } else if (v > vmid) {
      break;
    }
    logBinomial += Math.log((n - v) / (v + 1));
  }
  return Math.min(1, Math.max(0, x * sum));
}
