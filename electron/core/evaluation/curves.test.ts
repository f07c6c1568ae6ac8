/** The curve and histogram building blocks, on inputs whose answers are known independently. */
import { describe, expect, it } from 'vitest';
import { binaryCounts, precisionRecallCurve, rocCurve } from './binaryCurve.ts';
import { CompensatedSum } from './compensatedSum.ts';
import { thinCurve } from './curveThinning.ts';
import { histogram } from './regressionMetrics.ts';

/** A deterministic generator (mulberry32), so the cases are the same every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** P(score of a positive > score of a negative) + ½ P(tie), counted pair by pair. */
function pairwiseAuc(positives: number[], negatives: number[]): number {
  let wins = 0;
  for (const p of positives) for (const n of negatives) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (positives.length * negatives.length);
}

describe('rocCurve', () => {
  it('has the area of the pairwise (Mann–Whitney) count, ties counted half', () => {
    const next = random(7);
    // Scores on a coarse grid, so positives and negatives tie often.
    const positives = Array.from({ length: 300 }, () => Math.round(next() * 20 + 4) / 20);
    const negatives = Array.from({ length: 500 }, () => Math.round(next() * 20) / 20);
    const roc = rocCurve(binaryCounts(Float64Array.from(positives), Float64Array.from(negatives)));
    expect(roc.auc).toBeCloseTo(pairwiseAuc(positives, negatives), 12);
    expect(roc.fpr[0]).toBe(0);
    expect(roc.tpr[0]).toBe(0);
    expect(roc.fpr.at(-1)).toBe(1);
    expect(roc.tpr.at(-1)).toBe(1);
    expect(roc.thresholds[0]).toBe(Number.POSITIVE_INFINITY);
  });

  it('drops points collinear with their neighbours', () => {
    // Scores 3, 2, 1, each held by one negative: three points on the line tpr = 0, then (1, 1).
    const roc = rocCurve(binaryCounts(Float64Array.of(0), Float64Array.of(3, 2, 1)));
    expect(Array.from(roc.fpr)).toEqual([0, 1 / 3, 1, 1]);
    expect(Array.from(roc.thresholds)).toEqual([Number.POSITIVE_INFINITY, 3, 1, 0]);
  });

  it('is NaN without positives or without negatives', () => {
    expect(rocCurve(binaryCounts(new Float64Array(0), Float64Array.of(0.2, 0.4))).auc).toBeNaN();
    expect(rocCurve(binaryCounts(Float64Array.of(0.2), new Float64Array(0))).auc).toBeNaN();
  });
});

describe('precisionRecallCurve', () => {
  it('ends at (recall 0, precision 1) and has one threshold fewer than points', () => {
    const pr = precisionRecallCurve(binaryCounts(Float64Array.of(0.9, 0.4), Float64Array.of(0.4, 0.1)));
    expect(Array.from(pr.recall)).toEqual([1, 1, 0.5, 0]);
    expect(Array.from(pr.precision)).toEqual([0.5, 2 / 3, 1, 1]);
    expect(Array.from(pr.thresholds)).toEqual([0.1, 0.4, 0.9]);
  });
});

describe('thinCurve', () => {
  it('keeps at most 500 points, both ends, and the corner of a step', () => {
    const n = 100_000;
    // A step: along x at y = 0 up to the middle, then straight up, then along x at y = 1.
    const xs = Float64Array.from({ length: n }, (_, i) => Math.min(i / (n / 2), 1));
    const ys = Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? 0 : Math.min((i - n / 2) / 1000, 1)));
    const keep = thinCurve(xs, ys);
    expect(keep.length).toBeLessThanOrEqual(500);
    // The curve is 2 long (1 along x, 1 up): points every 2/498 of it, the flat tail adds none.
    expect(keep.length).toBeGreaterThan(240);
    expect(keep[0]).toBe(0);
    expect(keep.at(-1)).toBe(n - 1);
    // Strictly increasing indices, and no gap along the curve much longer than the spacing.
    for (let k = 1; k < keep.length; k++) expect(keep[k]!).toBeGreaterThan(keep[k - 1]!);
    const length = 2;
    for (let k = 1; k < keep.length; k++) {
      const [a, b] = [keep[k - 1]!, keep[k]!];
      const gap = Math.abs(xs[b]! - xs[a]!) + Math.abs(ys[b]! - ys[a]!);
      // The spacing, plus at most one step of the curve (0.001 here) of overshoot.
      expect(gap).toBeLessThanOrEqual(length / 498 + 0.001 + 1e-9);
    }
  });

  it('returns a small curve whole', () => {
    expect(thinCurve([0, 0.5, 1], [0, 1, 1])).toEqual([0, 1, 2]);
  });
});

describe('histogram', () => {
  it('widens a single value to ±0.5 and puts the maximum in the last bin, as numpy', () => {
    expect(histogram(Float64Array.of(2, 2, 2), 4)).toEqual({
      edges: [1.5, 1.75, 2, 2.25, 2.5],
      counts: [0, 0, 3, 0],
    });
    expect(histogram(Float64Array.of(0, 1, 2, 3), 3).counts).toEqual([1, 1, 2]);
  });
});

describe('CompensatedSum', () => {
  it('keeps the small terms a running sum loses', () => {
    const s = new CompensatedSum();
    s.add(1e16);
    for (let i = 0; i < 1000; i++) s.add(1);
    s.add(-1e16);
    expect(s.value).toBe(1000);
  });
});
