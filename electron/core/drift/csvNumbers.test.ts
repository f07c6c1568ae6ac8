/**
 * A number column read by csvScan.ts gives the radix sort's array bit for bit, whether it stayed
 * counted (decimals growing, range widening across buffers) or had to be held part-way.
 */
import { describe, expect, it } from 'vitest';
import { expandDecimalCounts } from '../statistics/decimalSort.ts';
import { radixSortFloat64 } from '../statistics/radixSort.ts';
import { NumberColumn } from './csvNumbers.ts';

let seed = 777;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

/** Hands each text to the column as csvScan.ts does: digits and decimals, or a value for Number(). */
function expectRadixArray(texts: string[], expectCounted: boolean) {
  const column = new NumberColumn(texts.length);
  for (const t of texts) {
    const plain = /^(-?)(\d+)(?:\.(\d+))?$/.exec(t);
    if (!plain || plain[2]!.length + (plain[3]?.length ?? 0) > 15) {
      column.addValue(Number(t));
      continue;
    }
    const m = Number(plain[2]! + (plain[3] ?? ''));
    column.add(plain[1] ? -m : m, plain[3]?.length ?? 0);
  }
  const numbers = column.finish();
  expect(numbers instanceof Float64Array).toBe(!expectCounted);
  const actual =
    numbers instanceof Float64Array ? numbers : expandDecimalCounts(numbers, new Float64Array(numbers.total));
  const expected = radixSortFloat64(Float64Array.from(texts, Number));
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) expect(`${i}: ${actual[i]}`).toBe(`${i}: ${expected[i]}`);
  }
}

const decimalTexts = (n: number, decimals: number, spread: number, offset = 0) =>
  Array.from({ length: n }, () => ((random() - 0.5) * spread + offset).toFixed(decimals));

describe('a number column read from CSV', () => {
  it('stays counted as its decimals grow and its range widens, buffer after buffer', () => {
    expectRadixArray(
      [...decimalTexts(100_000, 2, 10), ...decimalTexts(100_000, 3, 10), ...decimalTexts(50_000, 1, 40, 20)],
      true,
    );
  });

  it('keeps −0 apart from 0 and integers exact', () => {
    expectRadixArray(
      Array.from({ length: 150_000 }, (_, k) => ['-0.0', '0.0', '-0', '0', '3', '-7.25'][k % 6]!),
      true,
    );
    expectRadixArray(
      Array.from({ length: 100_000 }, (_, k) => String(k % 2 ? 987654321012345 - k : -k)),
      false,
    );
    expectRadixArray(decimalTexts(120_000, 0, 100_000), true);
  });

  it('is held from the value it cannot count on: one only Number() reads, or one far out', () => {
    const exponent = decimalTexts(150_000, 3, 100);
    exponent[140_000] = '1.5e-7';
    expectRadixArray(exponent, false);
    const far = decimalTexts(150_000, 3, 100);
    far[70_000] = '123456789.125';
    expectRadixArray(far, false);
  });

  it('counts nothing when there is nothing', () => {
    const numbers = new NumberColumn(10).finish();
    expect(numbers).toMatchObject({ total: 0 });
  });
});
