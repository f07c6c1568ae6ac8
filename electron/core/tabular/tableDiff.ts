/**
 * Row-level and schema diff of two versions of one table, in DuckDB.
 * Rows are compared on the columns both versions have, as text, so a type change alone does not
 * hide row changes. Without a key, rows are a multiset: added = in new and not old (EXCEPT ALL).
 * With a key, a row whose key exists on both sides but whose values differ counts as changed.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TableDiff } from '../../../shared/datasets.ts';
import { type Duck, ident } from './duckdb.ts';
import { explainScanError, scanSql, type TableFormat } from './tableFormat.ts';
import { columnKind } from './tableProfiler.ts';

const SAMPLE_ROWS = 5;

export interface TableSide {
  file: string;
  format: TableFormat;
}

export async function diffTable(
  duck: Duck,
  relPath: string,
  before: TableSide,
  after: TableSide,
  key: string | undefined,
  signal?: AbortSignal,
): Promise<TableDiff> {
  const empty: TableDiff = {
    path: relPath,
    schema: { addedColumns: [], removedColumns: [], typeChanges: [] },
    rows: { added: 0, removed: 0, changed: null, unchanged: null },
  };
  return duck.withConnection(async (c) => {
    for (const [name, side] of [
      ['a', before],
      ['b', after],
    ] as const) {
      try {
        await c.run(`CREATE TEMP TABLE ${name} AS SELECT * FROM ${scanSql(side.file, side.format)}`);
      } catch (err) {
        if (signal?.aborted) throw err;
        const which = name === 'a' ? 'the older version' : 'the newer version';
        return {
          ...empty,
          error: `${await explainScanError(err, side.file, relPath, side.format)} (in ${which})`,
        };
      }
    }
    const colsA = await describeColumns(c, 'a');
    const colsB = await describeColumns(c, 'b');
    const schema = {
      addedColumns: [...colsB.keys()].filter((k) => !colsA.has(k)),
      removedColumns: [...colsA.keys()].filter((k) => !colsB.has(k)),
      typeChanges: [...colsA.entries()]
        .filter(([k, t]) => colsB.has(k) && colsB.get(k) !== t)
        .map(([column, from]) => ({ column, from, to: colsB.get(column)! })),
    };
    const common = [...colsA.keys()].filter((k) => colsB.has(k));
    if (common.length === 0) {
      return { ...empty, schema, error: 'The two versions share no column, so rows cannot be compared.' };
    }
    const proj = common.map((k) => `${ident(k)}::VARCHAR AS ${ident(k)}`).join(', ');
    await c.run(`CREATE TEMP VIEW ca AS SELECT ${proj} FROM a`);
    await c.run(`CREATE TEMP VIEW cb AS SELECT ${proj} FROM b`);

    if (key !== undefined) {
      if (!colsA.has(key) || !colsB.has(key)) {
        return {
          ...empty,
          schema,
          error: `The key column "${key}" is not in both versions of ${relPath}. Pick a column from: ${common.join(', ')}.`,
        };
      }
      return { path: relPath, schema, ...(await keyedCounts(c, common, key)) };
    }
    const added = await count(c, 'SELECT * FROM cb EXCEPT ALL SELECT * FROM ca');
    const removed = await count(c, 'SELECT * FROM ca EXCEPT ALL SELECT * FROM cb');
    return {
      path: relPath,
      schema,
      rows: { added, removed, changed: null, unchanged: null },
      samples: {
        added: await sample(c, 'SELECT * FROM cb EXCEPT ALL SELECT * FROM ca'),
        removed: await sample(c, 'SELECT * FROM ca EXCEPT ALL SELECT * FROM cb'),
      },
    };
  }, signal);
}

async function keyedCounts(c: DuckDBConnection, common: string[], key: string) {
  const k = ident(key);
  const differs = common
    .filter((col) => col !== key)
    .map((col) => `ca.${ident(col)} IS DISTINCT FROM cb.${ident(col)}`)
    .join(' OR ');
  const addedSql = `SELECT cb.* FROM cb WHERE ${k} NOT IN (SELECT ${k} FROM ca WHERE ${k} IS NOT NULL)`;
  const removedSql = `SELECT ca.* FROM ca WHERE ${k} NOT IN (SELECT ${k} FROM cb WHERE ${k} IS NOT NULL)`;
  const row = (
    await c.runAndReadAll(
      `SELECT count(*) FILTER (WHERE ${differs || 'false'}) AS changed,
              count(*) FILTER (WHERE NOT (${differs || 'false'})) AS unchanged
         FROM ca JOIN cb ON ca.${k} = cb.${k}`,
    )
  ).getRowObjectsJS()[0] as { changed: bigint; unchanged: bigint };
  return {
    rows: {
      added: await count(c, addedSql),
      removed: await count(c, removedSql),
      changed: Number(row.changed),
      unchanged: Number(row.unchanged),
    },
    samples: { added: await sample(c, addedSql), removed: await sample(c, removedSql) },
  };
}

async function describeColumns(c: DuckDBConnection, table: string): Promise<Map<string, string>> {
  const rows = (await c.runAndReadAll(`DESCRIBE ${table}`)).getRowObjectsJS() as {
    column_name: string;
    column_type: string;
  }[];
  return new Map(rows.map((r) => [r.column_name, kindName(r.column_type)]));
}

function kindName(duckType: string): string {
  const k = columnKind(duckType);
  return k === 'other' ? duckType.toLowerCase() : k;
}

async function count(c: DuckDBConnection, sql: string): Promise<number> {
  const r = (await c.runAndReadAll(`SELECT count(*) AS n FROM (${sql})`)).getRowObjectsJS()[0] as {
    n: bigint;
  };
  return Number(r.n);
}

async function sample(c: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await c.runAndReadAll(`${sql} LIMIT ${SAMPLE_ROWS}`)).getRowObjectsJson() as Record<
    string,
    unknown
  >[];
}
