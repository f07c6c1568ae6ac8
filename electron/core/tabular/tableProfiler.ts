/**
 * Per-file table profile: schema, row count and per-column statistics (type, missing, distinct,
 * min, max, mean, std, quantiles, histogram, top values), computed by DuckDB in a handful of
 * set-based queries. A file that cannot be parsed yields a profile with `error` set, never a throw:
 * the version that holds it is still valid.
 */
import fs from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnProfile, TableProfile } from '../../../shared/datasets.ts';
import { type Duck, ident } from './duckdb.ts';
import { explainScanError, scanSql, type TableFormat } from './tableFormat.ts';

const HISTOGRAM_BINS = 20;
const TOP_VALUES = 5;

export type ColumnKind = 'integer' | 'float' | 'boolean' | 'string' | 'date' | 'timestamp' | 'time' | 'other';

export function columnKind(duckType: string): ColumnKind {
  const t = duckType.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(t))
    return 'integer';
  if (/^(FLOAT|DOUBLE|REAL)$/.test(t) || t.startsWith('DECIMAL')) return 'float';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'VARCHAR' || t === 'UUID') return 'string';
  if (t === 'DATE') return 'date';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  if (t.startsWith('TIME')) return 'time';
  return 'other';
}

const isNumeric = (k: ColumnKind) => k === 'integer' || k === 'float';

export async function profileTable(
  duck: Duck,
  file: string,
  relPath: string,
  format: TableFormat,
  signal?: AbortSignal,
): Promise<TableProfile> {
  const warnings: string[] = [];
  if ((await fs.stat(file)).size === 0) {
    return {
      path: relPath,
      format,
      rows: null,
      columns: [],
      error: `${relPath} is empty: there is no header and no rows.`,
      warnings,
    };
  }
  if (format !== 'parquet' && (await startsWithBom(file))) {
    warnings.push('The file starts with a UTF-8 byte order mark; it was ignored.');
  }
  try {
    return await duck.withConnection(async (c) => {
      await c.run(`CREATE TEMP TABLE t AS SELECT * FROM ${scanSql(file, format)}`);
      return { path: relPath, format, ...(await profileLoaded(c)), warnings };
    }, signal);
  } catch (err) {
    if (signal?.aborted) throw err;
    return {
      path: relPath,
      format,
      rows: null,
      columns: [],
      error: await explainScanError(err, file, relPath, format),
      warnings,
    };
  }
}

async function startsWithBom(file: string): Promise<boolean> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(3);
    const { bytesRead } = await fh.read(buf, 0, 3, 0);
    return bytesRead === 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  } finally {
    await fh.close();
  }
}

/** Profiles the temp table `t` on this connection. */
export async function profileLoaded(
  c: DuckDBConnection,
): Promise<{ rows: number; columns: ColumnProfile[] }> {
  const schema = (await c.runAndReadAll('DESCRIBE t')).getRowObjectsJS() as {
    column_name: string;
    column_type: string;
  }[];
  const cols = schema.map((s) => ({
    name: s.column_name,
    duckType: s.column_type,
    kind: columnKind(s.column_type),
  }));
  if (cols.length === 0) return { rows: 0, columns: [] };

  const parts = ['count(*) AS "rows"'];
  cols.forEach((col, i) => {
    const q = ident(col.name);
    parts.push(`count(${q}) AS nn${i}`, `count(DISTINCT ${q}) AS d${i}`);
    if (isNumeric(col.kind)) {
      const x = `${q}::DOUBLE`;
      parts.push(
        `min(${x}) AS mn${i}`,
        `max(${x}) AS mx${i}`,
        `avg(${x}) AS av${i}`,
        `stddev_samp(${x}) AS sd${i}`,
        // t-digest quantiles: within a fraction of a percent, and half the cost of an exact sort.
        `approx_quantile(${x}, [0.05, 0.25, 0.5, 0.75, 0.95]) AS qs${i}`,
      );
    } else if (col.kind !== 'other') {
      parts.push(`min(${q})::VARCHAR AS mn${i}`, `max(${q})::VARCHAR AS mx${i}`);
    }
  });
  const agg = (await c.runAndReadAll(`SELECT ${parts.join(', ')} FROM t`)).getRowObjectsJS()[0] as Record<
    string,
    unknown
  >;
  const rows = Number(agg.rows);
  const columns: ColumnProfile[] = [];
  const histogramSpecs: { index: number; spec: BinSpec }[] = [];
  for (const [i, col] of cols.entries()) {
    const nonMissing = Number(agg[`nn${i}`]);
    const distinct = Number(agg[`d${i}`]);
    const numeric = isNumeric(col.kind) && nonMissing > 0;
    const mn = agg[`mn${i}`];
    const mx = agg[`mx${i}`];
    const qs = agg[`qs${i}`] as number[] | null | undefined;
    columns.push({
      name: col.name,
      type: col.kind === 'other' ? col.duckType.toLowerCase() : col.kind,
      missing: rows - nonMissing,
      distinct,
      min: toScalar(mn),
      max: toScalar(mx),
      mean: numeric ? finiteOrNull(agg[`av${i}`]) : null,
      std: numeric ? finiteOrNull(agg[`sd${i}`]) : null,
      quantiles:
        numeric && qs && qs.length === 5
          ? { p05: qs[0]!, p25: qs[1]!, p50: qs[2]!, p75: qs[3]!, p95: qs[4]! }
          : null,
      histogram: null,
      top: [],
    });
    if (
      numeric &&
      typeof mn === 'number' &&
      typeof mx === 'number' &&
      Number.isFinite(mn) &&
      Number.isFinite(mx)
    ) {
      histogramSpecs.push({ index: i, spec: binSpec(mn, mx, col.kind === 'integer') });
    }
  }
  await fillHistograms(c, cols, columns, histogramSpecs);
  for (const [i, col] of cols.entries()) {
    const p = columns[i]!;
    const nonMissing = rows - p.missing;
    // Top values say something only when values repeat; a float column of mostly unique values
    // would cost a large GROUP BY to show counts of 1 or 2.
    const repeats = p.distinct < nonMissing && (col.kind !== 'float' || p.distinct <= 1000);
    if (nonMissing > 0 && repeats && col.kind !== 'other') p.top = await topValues(c, col.name);
  }
  return { rows, columns };
}

interface BinSpec {
  lo: number;
  width: number;
  bins: number;
}

function binSpec(min: number, max: number, integer: boolean): BinSpec {
  // Few integer values: one bar per integer reads better than 20 equal-width slices.
  if (integer && max - min + 1 <= HISTOGRAM_BINS) return { lo: min - 0.5, width: 1, bins: max - min + 1 };
  return {
    lo: min,
    width: max > min ? (max - min) / HISTOGRAM_BINS : 1,
    bins: max > min ? HISTOGRAM_BINS : 1,
  };
}

/** All columns' histograms in one scan: each column's bin index counted by DuckDB's histogram(). */
async function fillHistograms(
  c: DuckDBConnection,
  cols: { name: string }[],
  columns: ColumnProfile[],
  specs: { index: number; spec: BinSpec }[],
): Promise<void> {
  if (specs.length === 0) return;
  const parts = specs.map(({ index, spec }) => {
    const x = `${ident(cols[index]!.name)}::DOUBLE`;
    return `histogram(least(floor((${x} - ${spec.lo}) / ${spec.width})::BIGINT, ${spec.bins - 1})) FILTER (WHERE isfinite(${x})) AS h${index}`;
  });
  const row = (await c.runAndReadAll(`SELECT ${parts.join(', ')} FROM t`)).getRowObjectsJS()[0] as Record<
    string,
    { key: bigint; value: bigint }[] | null
  >;
  for (const { index, spec } of specs) {
    const counts = new Array<number>(spec.bins).fill(0);
    for (const { key, value } of row[`h${index}`] ?? []) {
      const b = Math.min(spec.bins - 1, Math.max(0, Number(key)));
      counts[b]! += Number(value);
    }
    const edges = Array.from({ length: spec.bins + 1 }, (_, k) => spec.lo + k * spec.width);
    columns[index]!.histogram = { edges, counts };
  }
}

async function topValues(c: DuckDBConnection, name: string): Promise<ColumnProfile['top']> {
  const q = ident(name);
  const rows = (
    await c.runAndReadAll(
      `SELECT ${q} AS v, count(*) AS n FROM t WHERE ${q} IS NOT NULL GROUP BY ${q} ORDER BY n DESC, v LIMIT ${TOP_VALUES}`,
    )
  ).getRowObjectsJS() as { v: unknown; n: bigint }[];
  return rows.map((r) => ({ value: toTopValue(r.v), count: Number(r.n) }));
}

function finiteOrNull(v: unknown): number | null {
  const n = typeof v === 'bigint' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

function toScalar(v: unknown): number | string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return Number(v);
  return String(v);
}

function toTopValue(v: unknown): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number(v);
  return String(v);
}
