/**
 * Both ways of reading a column's numbers out of DuckDB give the same ascending array, so which
 * one the estimate picks never changes a result; and DuckDB still states its distinct estimates in
 * the form the choice reads.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArrayPool } from './arrayPool.ts';
import { approxDistinctCounts, asList, byDistinctValue, readsByDistinctValue } from './duckdbNumbers.ts';

let instance: DuckDBInstance;
let db: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
  // Repeated decimals with both zeros and the specials; distinct values; integers with NULLs;
  // a column named like the alias the queries use.
  await db.run(`CREATE TABLE t AS SELECT
      CASE k % 9 WHEN 0 THEN '-0.0'::DOUBLE WHEN 1 THEN 'NaN'::DOUBLE WHEN 2 THEN 'inf'::DOUBLE
        WHEN 3 THEN '-inf'::DOUBLE WHEN 4 THEN NULL ELSE round((hash(k) % 2001)::DOUBLE / 100 - 10, 2) END AS repeated,
      (hash(k * 7) % 1000003)::DOUBLE / 997 - 500 AS distinct_values,
      CASE WHEN k % 11 = 0 THEN NULL ELSE (hash(k) % 50)::BIGINT - 25 END AS v
    FROM range(30000) r(k)`);
});

afterAll(() => {
  db.closeSync();
  instance.closeSync();
});

const finite = (column: string) =>
  `SELECT CAST("${column}" AS DOUBLE) AS v FROM t WHERE isfinite(CAST("${column}" AS DOUBLE))`;

describe('reading a column’s numbers out of DuckDB', () => {
  it('gives the same ascending array by distinct value as by list and radix sort', async () => {
    const arrays = new ArrayPool();
    for (const column of ['repeated', 'distinct_values', 'v']) {
      const grouped = Array.from(await byDistinctValue(db, finite(column), arrays));
      const listed = Array.from(await asList(db, finite(column), arrays));
      const expected = (await db.runAndReadAll(`SELECT v FROM (${finite(column)}) ORDER BY v`))
        .getRowsJS()
        .map(([v]) => v as number);
      // ±0 are one value to every statistic, and DuckDB groups them together.
      const unsigned = (xs: number[]) => xs.map((x) => x + 0);
      expect(grouped.length, column).toBe(expected.length);
      expect(unsigned(grouped), column).toEqual(unsigned(expected));
      expect(unsigned(listed), column).toEqual(unsigned(expected));
    }
  });

  it('gives an empty array for a column without a finite value, either way', async () => {
    const none = `SELECT CAST(repeated AS DOUBLE) AS v FROM t WHERE false`;
    expect((await byDistinctValue(db, none, new ArrayPool())).length).toBe(0);
    expect((await asList(db, none, new ArrayPool())).length).toBe(0);
  });

  it('reads DuckDB’s distinct estimates from its table statistics', async () => {
    const [repeated, distinctValues, v] = await approxDistinctCounts(db, 't', [
      'repeated',
      'distinct_values',
      'v',
    ]);
    // Exact: 2001 decimals (and the specials), ~29,500 values, 50 integers. Estimates are rough.
    expect(repeated).toBeGreaterThan(200);
    expect(repeated).toBeLessThan(20_000);
    expect(distinctValues).toBeGreaterThan(10_000);
    expect(v).toBeGreaterThan(5);
    expect(v).toBeLessThan(500);
  });

  it('groups only when values repeat, and without an estimate lists', () => {
    expect(readsByDistinctValue({ sql: '', present: 1_000_000, approxDistinct: 120_000 })).toBe(true);
    expect(readsByDistinctValue({ sql: '', present: 1_000_000, approxDistinct: 900_000 })).toBe(false);
    expect(readsByDistinctValue({ sql: '', present: 1_000_000, approxDistinct: null })).toBe(false);
  });
});
