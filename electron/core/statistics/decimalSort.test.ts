import { describe, expect, it } from 'vitest';
import { sortDecimals } from './decimalSort.ts';
import { radixSortFloat64 } from './radixSort.ts';

let seed = 4242;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

/** Same length and same bits, element by element, as the radix sort gives. */
function expectSameAsRadix(values: Float64Array, decimals: number) {
  const expected = radixSortFloat64(values.slice());
  const actual = values.slice();
  expect(sortDecimals(actual, decimals)).toBe(true);
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) expect(`${i}: ${actual[i]}`).toBe(`${i}: ${expected[i]}`);
  }
}

/** Numbers as a CSV reader makes them from text with `decimals` digits after the point. */
const decimalsOf = (n: number, decimals: number, spread: number) =>
  Float64Array.from({ length: n }, () => Number(((random() - 0.5) * spread).toFixed(decimals)));

describe('counting sort of decimals', () => {
  it('gives the radix sort’s array for prices, measurements and integers', () => {
    expectSameAsRadix(decimalsOf(100_000, 2, 2000), 2);
    expectSameAsRadix(decimalsOf(100_000, 4, 10), 4);
    expectSameAsRadix(decimalsOf(100_000, 0, 1e5), 0);
    // Fewer decimals than allowed are decimals too.
    expectSameAsRadix(decimalsOf(100_000, 1, 100), 3);
  });

  it('keeps both zeros, −0 first, as the radix sort does', () => {
    const values = Float64Array.from({ length: 9000 }, (_, k) => [-0, 0, 1.5, -1.5, 0][k % 5]!);
    expectSameAsRadix(values, 1);
    expectSameAsRadix(
      Float64Array.from({ length: 5000 }, () => -0),
      0,
    );
  });

  it('declines, leaving the values as they were, when one has more decimals or the range is too wide', () => {
    const more = decimalsOf(10_000, 2, 100);
    more[777] = 0.125;
    const before = more.slice();
    expect(sortDecimals(more, 2)).toBe(false);
    expect(more).toEqual(before);
    const wide = decimalsOf(10_000, 2, 100);
    wide[3] = 1e9;
    expect(sortDecimals(wide, 2)).toBe(false);
    expect(sortDecimals(Float64Array.from([1, Number.POSITIVE_INFINITY]), 0)).toBe(false);
    expect(sortDecimals(Float64Array.from([0.1, 0.2]), 16)).toBe(false);
  });

  it('sorts nothing and a single value', () => {
    expect(sortDecimals(new Float64Array(0), 2)).toBe(true);
    const one = Float64Array.from([3.25]);
    expect(sortDecimals(one, 2)).toBe(true);
    expect(Array.from(one)).toEqual([3.25]);
  });
});
