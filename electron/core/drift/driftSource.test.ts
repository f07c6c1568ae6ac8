/**
 * Files through DuckDB: every format gives the same report as the same data in memory, schema
 * oddities of real files (stray text, empty columns) are reported, and unreadable inputs fail
 * with a coded error that says what to do.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../../shared/drift.ts';
import { expectErrorCode } from '../testing/errorCodes.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { driftCheck, driftCheckFiles } from './driftCheck.ts';
import { formatOf } from './driftSource.ts';

const dirs = tempDirs();
let dir: string;
beforeAll(() => {
  dir = dirs.make();
});

// Deterministic data with every kind of column the engine distinguishes.
function table(rows: number, shift: number) {
  let seed = 7 + shift * 1000;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const cols = {
    price: [] as (number | null)[],
    score: [] as number[],
    count: [] as number[],
    rating: [] as number[],
    segment: [] as (string | null)[],
    flag: [] as boolean[],
  };
  for (let k = 0; k < rows; k++) {
    cols.price.push(random() < 0.05 ? null : Math.round((10 + 5 * random() + shift) * 100) / 100);
    cols.score.push(Math.round((random() * 2 - 1 + shift / 4) * 1000) / 1000);
    cols.count.push(Math.floor(random() * 40 + shift * 3));
    cols.rating.push(1 + Math.floor(random() * 5));
    cols.segment.push(
      random() < 0.02 ? null : ['red', 'green', 'blue', 'violet'][Math.floor(random() * (3 + shift))]!,
    );
    cols.flag.push(random() < 0.3 + shift * 0.1);
  }
  return cols;
}

type Cols = Record<string, unknown[]>;
const csvCell = (v: unknown) => (v === null || v === undefined ? '' : String(v));

async function writeDelimited(path: string, cols: Cols, delim: string) {
  const names = Object.keys(cols);
  const n = cols[names[0]!]!.length;
  const lines = [names.join(delim)];
  for (let k = 0; k < n; k++) lines.push(names.map((c) => csvCell(cols[c]![k])).join(delim));
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

async function writeJsonl(path: string, cols: Cols) {
  const names = Object.keys(cols);
  const n = cols[names[0]!]!.length;
  const lines: string[] = [];
  for (let k = 0; k < n; k++)
    lines.push(JSON.stringify(Object.fromEntries(names.map((c) => [c, cols[c]![k]]))));
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

async function csvToParquet(csv: string, parquet: string) {
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  await db.run(`COPY (SELECT * FROM read_csv('${csv}')) TO '${parquet}' (FORMAT parquet)`);
  db.closeSync();
  instance.closeSync();
  return parquet;
}

function comparable(report: DriftReport) {
  return report.columns.map((c) => ({
    column: c.column,
    type: c.type,
    method: c.method,
    statistic: c.statistic,
    pValue: c.pValue,
    drifted: c.drifted,
    missingShare: c.missingShare,
    counts: c.counts,
  }));
}

describe('drift from files', () => {
  const reference = table(1500, 0);
  const current = table(1200, 1);

  it('gives the in-memory report for CSV, TSV, JSON Lines and Parquet alike', async () => {
    const expected = comparable(await driftCheck(reference, current));
    const csv = {
      reference: await writeDelimited(join(dir, 'ref.csv'), reference, ','),
      current: await writeDelimited(join(dir, 'cur.csv'), current, ','),
    };
    const variants = {
      csv,
      tsv: {
        reference: await writeDelimited(join(dir, 'ref.tsv'), reference, '\t'),
        current: await writeDelimited(join(dir, 'cur.tsv'), current, '\t'),
      },
      jsonl: {
        reference: await writeJsonl(join(dir, 'ref.jsonl'), reference),
        current: await writeJsonl(join(dir, 'cur.jsonl'), current),
      },
      parquet: {
        reference: await csvToParquet(csv.reference, join(dir, 'ref.parquet')),
        current: await csvToParquet(csv.current, join(dir, 'cur.parquet')),
      },
    };
    for (const [format, files] of Object.entries(variants)) {
      const report = await driftCheckFiles(files.reference, files.current);
      expect(comparable(report), format).toEqual(expected);
      expect(report.reference.rows).toBe(1500);
      expect(report.current.rows).toBe(1200);
    }
    expect(expected.map((c) => `${c.column}:${c.type}:${c.method}`)).toEqual([
      'price:numerical:wasserstein',
      'score:numerical:wasserstein',
      'count:numerical:wasserstein',
      'rating:categorical:jensenshannon',
      'segment:categorical:jensenshannon',
      'flag:categorical:jensenshannon',
    ]);
  });

  it('keeps a numerical CSV column numerical when current has stray text, and reports the type change', async () => {
    const cur = { ...current, score: current.score.map((v, k) => (k === 3 ? 'not a number' : v)) };
    const report = await driftCheckFiles(
      await writeDelimited(join(dir, 'text-ref.csv'), reference, ','),
      await writeDelimited(join(dir, 'text-cur.csv'), cur, ','),
    );
    const score = report.columns.find((c) => c.column === 'score')!;
    expect(score).toMatchObject({
      type: 'numerical',
      method: 'wasserstein',
      invalid: { reference: 0, current: 1 },
    });
    expect(score.counts.current).toBe(1199);
    expect(report.schema.typeChanges).toContainEqual({ column: 'score', from: 'float', to: 'string' });
  });

  it('drops NaN as missing and counts ±Infinity as invalid in a float column, as in memory', async () => {
    const special = (k: number) =>
      k % 97 === 0
        ? Number.POSITIVE_INFINITY
        : k % 89 === 0
          ? Number.NEGATIVE_INFINITY
          : k % 83 === 0
            ? Number.NaN
            : null;
    const withSpecials = (cols: ReturnType<typeof table>) => ({
      price: cols.price.map((v, k) => special(k) ?? v),
      count: cols.count,
    });
    const ref = withSpecials(reference);
    const cur = withSpecials(current);
    // DuckDB writes the specials as DOUBLE, which CSV cannot carry; Parquet can.
    const parquet = async (name: string, cols: ReturnType<typeof withSpecials>) => {
      const instance = await DuckDBInstance.create(':memory:');
      const db = await instance.connect();
      const rows = cols.price
        .map((v, k) => `(${v === null ? 'NULL' : `'${v}'::DOUBLE`}, ${cols.count[k]})`)
        .join(', ');
      const file = join(dir, name);
      await db.run(`COPY (SELECT * FROM (VALUES ${rows}) t(price, count)) TO '${file}' (FORMAT parquet)`);
      db.closeSync();
      instance.closeSync();
      return file;
    };
    const report = await driftCheckFiles(
      await parquet('inf-ref.parquet', ref),
      await parquet('inf-cur.parquet', cur),
    );
    const price = report.columns.find((c) => c.column === 'price')!;
    expect(price.invalid).toEqual({
      reference: ref.price.filter((v) => v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY)
        .length,
      current: cur.price.filter((v) => v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY)
        .length,
    });
    expect(price.invalid.reference).toBeGreaterThan(0);
    expect(comparable(report)).toEqual(comparable(await driftCheck(ref, cur)));
  });

  it('skips a column that is empty in the current file instead of failing', async () => {
    const cur = { ...current, price: current.price.map(() => null) };
    const report = await driftCheckFiles(
      await writeDelimited(join(dir, 'empty-ref.csv'), reference, ','),
      await writeDelimited(join(dir, 'empty-cur.csv'), cur, ','),
    );
    const price = report.columns.find((c) => c.column === 'price')!;
    expect(price).toMatchObject({ statistic: null, drifted: false, missingShare: 1 });
    expect(price.storage.current).toBe('empty');
    expect(report.schema.typeChanges.find((t) => t.column === 'price')).toBeUndefined();
  });

  it('copes with column names that collide with SQL aliases or need quoting', async () => {
    const ref = {
      v: [1, 2, 3, 2, 1, 2],
      n: ['a', 'b', 'a', 'b', 'a', 'b'],
      'we"ird col': [0.5, 1.5, 2.5, 3.5, 4.5, 5.5],
    };
    const cur = {
      v: [2, 2, 3, 3, 1, 2],
      n: ['a', 'a', 'a', 'b', 'a', 'b'],
      'we"ird col': [1.5, 1.5, 2.5, 3.5, 4.5, 9.5],
    };
    const toCsv = (cols: Cols) => {
      const names = Object.keys(cols);
      const quoted = names.map((c) => `"${c.replaceAll('"', '""')}"`).join(',');
      return `${quoted}\n${cols.v!.map((_, k) => names.map((c) => csvCell(cols[c]![k])).join(',')).join('\n')}\n`;
    };
    await writeFile(join(dir, 'alias-ref.csv'), toCsv(ref));
    await writeFile(join(dir, 'alias-cur.csv'), toCsv(cur));
    const fromFiles = await driftCheckFiles(join(dir, 'alias-ref.csv'), join(dir, 'alias-cur.csv'));
    expect(comparable(fromFiles)).toEqual(comparable(await driftCheck(ref, cur)));
    expect(fromFiles.columns.map((c) => c.column)).toEqual(['v', 'n', 'we"ird col']);
  });

  it('reads a CSV line of nearly 2 MiB, as DuckDB does by default (its reader buffers are set smaller)', async () => {
    const long = (label: string) =>
      `${['text', 'x'].join(',')}\n${Array.from({ length: 12 }, (_, k) => `${k % 4 ? label : 'y'.repeat(2_000_000)},${k % 5}`).join('\n')}\n`;
    await writeFile(join(dir, 'long-ref.csv'), long('a'));
    await writeFile(join(dir, 'long-cur.csv'), long('b'));
    // DuckDB's reader (the JavaScript one reads these lines too).
    const report = await driftCheckFiles(
      join(dir, 'long-ref.csv'),
      join(dir, 'long-cur.csv'),
      {},
      { scanCsv: false },
    );
    expect(report).toEqual(await driftCheckFiles(join(dir, 'long-ref.csv'), join(dir, 'long-cur.csv')));
    expect(report.reference.rows).toBe(12);
    expect(report.columns.map((c) => c.counts)).toEqual([
      { reference: 12, current: 12 },
      { reference: 12, current: 12 },
    ]);
  });

  it('says there is no such file (NOT_FOUND)', async () => {
    await expectErrorCode(
      driftCheckFiles(join(dir, 'missing.csv'), join(dir, 'missing.csv')),
      'NOT_FOUND',
      /no reference file at .*missing\.csv/,
    );
  });

  it('refuses a folder, an unknown extension, a corrupt Parquet file and a header-only CSV (INVALID_INPUT)', async () => {
    const ok = await writeDelimited(join(dir, 'ok.csv'), reference, ',');
    await mkdir(join(dir, 'folder.csv'), { recursive: true });
    await expectErrorCode(
      driftCheckFiles(ok, join(dir, 'folder.csv')),
      'INVALID_INPUT',
      /current data at .* is not a file/,
    );
    await writeFile(join(dir, 'data.xlsx'), 'x');
    await expectErrorCode(
      driftCheckFiles(ok, join(dir, 'data.xlsx')),
      'INVALID_INPUT',
      /Cannot tell the format.*\.csv, \.tsv, \.parquet or \.jsonl/,
    );
    await writeFile(join(dir, 'broken.parquet'), 'this is not parquet at all');
    await expectErrorCode(
      driftCheckFiles(ok, join(dir, 'broken.parquet')),
      'INVALID_INPUT',
      /Could not read the current file .* as PARQUET/,
    );
    await writeFile(join(dir, 'header.csv'), 'price,score\n');
    await expectErrorCode(
      driftCheckFiles(ok, join(dir, 'header.csv')),
      'INVALID_INPUT',
      /current data has no rows/,
    );
  });

  it('tells formats apart by extension, compressed or not', () => {
    expect(['a.csv', 'a.CSV.gz', 'a.tsv', 'a.parquet', 'a.jsonl', 'a.ndjson', 'a.txt'].map(formatOf)).toEqual(
      ['csv', 'csv', 'tsv', 'parquet', 'jsonl', 'jsonl', null],
    );
  });
});
