/** MLflow's key and value rules, as MLflow states them, at and just past each limit. */
import { describe, expect, it } from 'vitest';
import { checkBatchSize, checkParamValue, checkTagValue, keyProblem } from './trackingLimits.ts';

describe('tracking limits', () => {
  it('accepts the characters MLflow accepts, up to 250 of them', () => {
    for (const key of ['loss', 'val/acc', 'a b', 'x:y', 'top-5.acc', 'überkey', 'k'.repeat(250)]) {
      expect(keyProblem('metric', key)).toBeUndefined();
    }
  });

  it('refuses empty, over-long, odd-character and path-escaping keys with a reason', () => {
    expect(keyProblem('param', 'k'.repeat(251))).toMatch(/length 251.*limit of 250/);
    expect(keyProblem('tag', '')).toMatch(/empty/);
    for (const key of ['a*b', 'a\nb', '/abs', 'a/../b', 'trailing/', 'a//b', '..']) {
      expect(keyProblem('metric', key)).toEqual(expect.any(String));
    }
  });

  it('limits param values to 6000 characters and tag values to 8000', () => {
    expect(() => checkParamValue('p', 'v'.repeat(6000))).not.toThrow();
    expect(() => checkParamValue('p', 'v'.repeat(6001))).toThrow(/6001.*6000/);
    expect(() => checkTagValue('t', 'v'.repeat(8000))).not.toThrow();
    expect(() => checkTagValue('t', 'v'.repeat(8001))).toThrow(/8001.*8000/);
  });

  it('limits a batch to 1000 metrics, 100 params, 100 tags and 1000 items in all', () => {
    expect(() => checkBatchSize({ metrics: 1000, params: 0, tags: 0 })).not.toThrow();
    expect(() => checkBatchSize({ metrics: 900, params: 50, tags: 50 })).not.toThrow();
    expect(() => checkBatchSize({ metrics: 1001, params: 0, tags: 0 })).toThrow(/at most 1000 metrics/);
    expect(() => checkBatchSize({ metrics: 0, params: 101, tags: 0 })).toThrow(/at most 100 params/);
    expect(() => checkBatchSize({ metrics: 0, params: 0, tags: 101 })).toThrow(/at most 100 tags/);
    expect(() => checkBatchSize({ metrics: 901, params: 50, tags: 50 })).toThrow(/1000 total/);
  });
});
