import { describe, expect, it } from 'vitest';
import { likeMatcher } from './likePattern.ts';

const like = (p: string, t: string, ci = false) => likeMatcher(p, ci)(t);

describe('likeMatcher', () => {
  it('matches as SQL LIKE does', () => {
    expect(like('fraud-%', 'fraud-2024')).toBe(true);
    expect(like('fraud-%', 'Fraud-2024')).toBe(false);
    expect(like('fraud-%', 'Fraud-2024', true)).toBe(true);
    expect(like('%', '')).toBe(true);
    expect(like('_', '')).toBe(false);
    expect(like('a_c', 'abc')).toBe(true);
    expect(like('a_c', 'abbc')).toBe(false);
    expect(like('%b%', 'abc')).toBe(true);
    expect(like('%b', 'abc')).toBe(false);
    expect(like('a%c%e', 'abcde')).toBe(true);
    expect(like('a%c%e', 'abcdf')).toBe(false);
    expect(like('%%x', 'yyx')).toBe(true);
    expect(like('_', '😀')).toBe(true);
    expect(like('a.b', 'axb')).toBe(false); // no regular-expression meaning
  });

  it('stays fast on patterns that make a regular expression backtrack exponentially', () => {
    const pattern = `${'%a'.repeat(30)}%ab`;
    const text = 'a'.repeat(5000);
    const started = performance.now();
    expect(like(pattern, text)).toBe(false);
    // A backtracking regex takes seconds at 12 repetitions; this is a few milliseconds.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
