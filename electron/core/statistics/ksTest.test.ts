import { describe, expect, it } from 'vitest';
import { expectClose, type FixtureNumber, readFixture, sortedSample } from './fixtures/fixtureFiles.ts';
import { ksTwoSample, roundHalfEven } from './ksTest.ts';

type Case = {
  label: string;
  reference: number[];
  current: number[];
  statistic: FixtureNumber;
  pValue: FixtureNumber;
};

describe('ks_2samp agrees with SciPy', () => {
  const cases = readFixture<Case>('ks2samp.jsonl');
  it.each(cases.map((c) => [c.label, c] as const))('%s', (_label, c) => {
    const res = ksTwoSample(sortedSample(c.reference), sortedSample(c.current));
    expectClose(res.statistic, c.statistic, 1e-6, 'statistic');
    expectClose(res.pValue, c.pValue, 1e-4, 'p-value');
    expect(res.method).toBe(Math.max(c.reference.length, c.current.length) <= 10000 ? 'exact' : 'asymptotic');
  });

  it('is symmetric in its samples', () => {
    const c = cases.find((x) => x.label.startsWith('exact 50 vs 80'))!;
    const a = ksTwoSample(sortedSample(c.reference), sortedSample(c.current));
    const b = ksTwoSample(sortedSample(c.current), sortedSample(c.reference));
    expect(b.statistic).toBeCloseTo(a.statistic, 12);
    expect(b.pValue).toBeCloseTo(a.pValue, 12);
  });

  it('refuses an empty sample instead of inventing a p-value', () => {
    expect(() => ksTwoSample(new Float64Array(), Float64Array.of(1))).toThrow(RangeError);
  });
});

describe('numpy rounding for the effective sample size', () => {
  it('rounds halves to even', () => {
    expect([0.5, 1.5, 2.5, 3.49, 3.51].map(roundHalfEven)).toEqual([0, 2, 2, 3, 4]);
  });
});
