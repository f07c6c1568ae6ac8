import { describe, expect, it } from 'vitest';
import { radixSortFloat64 } from './radixSort.ts';

function expectSameAsBuiltIn(values: Float64Array) {
  const expected = values.slice().sort();
  const actual = radixSortFloat64(values.slice());
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) expect(`${i}: ${actual[i]}`).toBe(`${i}: ${expected[i]}`);
  }
}

describe('radix sort of doubles', () => {
  // A deterministic generator so a failure reproduces.
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };

  it('orders mixed signs, zeros of both signs, infinities, subnormals and huge magnitudes', () => {
    const special = [0, -0, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, Infinity, -Infinity, 1, -1];
    const values = Float64Array.from({ length: 20000 }, (_, k) =>
      k % 10 === 0
        ? special[(k / 10) % special.length]!
        : (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20),
    );
    expectSameAsBuiltIn(values);
  });

  it('orders heavily tied values (few distinct) and already sorted or reversed input', () => {
    expectSameAsBuiltIn(Float64Array.from({ length: 50000 }, () => Math.floor(random() * 5)));
    expectSameAsBuiltIn(Float64Array.from({ length: 50000 }, (_, k) => k / 7));
    expectSameAsBuiltIn(Float64Array.from({ length: 50000 }, (_, k) => -k / 7));
  });

  it('leaves a large constant array intact (every pass skipped), negative or not', () => {
    expectSameAsBuiltIn(new Float64Array(10000).fill(-2.5));
    expectSameAsBuiltIn(new Float64Array(10000).fill(3));
  });

  it('handles small and empty arrays', () => {
    expectSameAsBuiltIn(new Float64Array(0));
    expectSameAsBuiltIn(Float64Array.of(3, -1, 2));
  });

  it('sorts a view into a larger buffer without touching its neighbours', () => {
    const buffer = Float64Array.from({ length: 10002 }, () => random());
    const before = [buffer[0], buffer[10001]];
    const view = buffer.subarray(1, 10001);
    const expected = view.slice().sort();
    radixSortFloat64(view);
    expect(Array.from(view)).toEqual(Array.from(expected));
    expect([buffer[0], buffer[10001]]).toEqual(before);
  });
});
