/**
 * The table an evaluation reads, through DuckDB: the feature columns cast to DOUBLE and the label
 * as a class index (classification) or a DOUBLE (regression), loaded once into a temporary table —
 * DuckDB parses the file on all its threads, and the row count is then known for progress and for
 * sizing the metric arrays — then streamed back in batches of column arrays, in file order.
 * Rows with a missing label or feature (NULL or NaN) are counted and left out.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBVector } from '@duckdb/node-api';
import { cancelled, invalidInput, notFound } from '../errors.ts';
import { ident, lit, loadDuckDb } from '../tabular/duckdb.ts';
import { explainScanError, scanSql, tableFormatOf } from '../tabular/tableFormat.ts';

/** How label values become what the metrics read. */
export type LabelMapping =
  /** Class index = position in `classes`; text compared as text, numbers as numbers. */
  | { kind: 'classes'; classes: readonly string[] }
  /** The label is already a class index 0..limit−1. */
  | { kind: 'indices'; limit: number }
  /** Regression: the label as a number. */
  | { kind: 'number' };

export type ColumnKind = 'integer' | 'float' | 'boolean' | 'text' | 'other';

export interface Batch {
  rows: number;
  /** One array per feature column, in the order given to load(). */
  features: Float64Array[];
  /** Class indices (Int32Array) or numbers (Float64Array). */
  label: Int32Array | Float64Array;
}

export interface TableOptions {
  /** Where DuckDB may spill; a private folder is made inside it (default: the OS's temp folder). */
  tempDir?: string;
  /** DuckDB's memory cap (default '1GB'). */
  memoryLimit?: string;
  signal?: AbortSignal;
}

export class EvaluationTable {
  private featureCount = 0;
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly spill: string,
    private readonly scan: string,
    private readonly path: string,
    private readonly format: string,
    readonly columns: ReadonlyMap<string, { type: string; kind: ColumnKind }>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  static async open(path: string, options: TableOptions = {}): Promise<EvaluationTable> {
    const format = tableFormatOf(path);
    if (!format) throw invalidInput(`${path} is not a table: use a .csv, .tsv, .parquet or .jsonl file.`);
    const { DuckDBInstance, DuckDBConnection } = await loadDuckDb();
    const spill = await mkdtemp(join(options.tempDir ?? tmpdir(), 'mlwb-eval-'));
    const instance = await DuckDBInstance.create(':memory:', {
      temp_directory: spill,
      memory_limit: options.memoryLimit ?? '1GB',
    });
    const conn = await DuckDBConnection.create(instance);
    const scan = scanSql(path, format);
    try {
      const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${scan}`)).getRowObjectsJS() as {
        column_name: string;
        column_type: string;
      }[];
      const columns = new Map(
        described.map((c) => [c.column_name, { type: c.column_type, kind: kindOf(c.column_type) }]),
      );
      const table = new EvaluationTable(instance, conn, spill, scan, path, format, columns, options.signal);
      options.signal?.addEventListener('abort', table.interrupt);
      return table;
    } catch (err) {
      conn.closeSync();
      instance.closeSync();
      await rm(spill, { recursive: true, force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`Nothing exists at ${path}.`);
      throw invalidInput(await explainScanError(err, path, path, format).catch(() => String(err)));
    }
  }

  private readonly interrupt = () => this.conn.interrupt();

  /** A column's type, or a clear refusal when the table has no such column. */
  column(name: string, role: 'feature' | 'label'): { type: string; kind: ColumnKind } {
    const found = this.columns.get(name);
    if (found) return found;
    const have = [...this.columns.keys()].slice(0, 20).join(', ');
    throw invalidInput(
      role === 'label'
        ? `The label column "${name}" is not in ${this.path} (its columns: ${have}). Pass the column that holds the true values.`
        : `The feature column "${name}" that the model's feature spec names is not in ${this.path} (its columns: ${have}).`,
    );
  }

  /** Loads the columns; returns the rows read and the rows kept (no missing value). */
  async load(
    features: readonly string[],
    label: string,
    mapping: LabelMapping,
  ): Promise<{ read: number; kept: number }> {
    for (const f of features) {
      const { kind, type } = this.column(f, 'feature');
      if (kind === 'text' || kind === 'other')
        throw invalidInput(`The feature column "${f}" holds ${type} values; the model needs numbers.`);
    }
    let labelKind = this.column(label, 'label').kind;
    let scan = this.scan;
    if (mapping.kind === 'classes') {
      scan = withTextColumn(this.scan, this.format, label);
      if (scan !== this.scan) labelKind = 'text';
    }
    const labelSql = labelExpression(ident(label), labelKind, mapping);
    const select = features.map((f, i) => `CAST(${ident(f)} AS DOUBLE) AS c${i}`);
    this.featureCount = features.length;
    await this.run(
      `CREATE TEMP TABLE ev AS SELECT ${[...select, `${labelSql} AS y`].join(', ')} FROM ${scan}`,
    );
    const keep = this.keepPredicate(mapping);
    const counts = (
      await this.conn.runAndReadAll(
        `SELECT count(*) AS read, count(*) FILTER (WHERE ${keep}) AS kept${mapping.kind === 'number' ? '' : ', count(*) FILTER (WHERE y = -1) AS unknown'} FROM ev`,
      )
    ).getRowObjectsJS()[0] as { read: bigint; kept: bigint; unknown?: bigint };
    if (counts.unknown) await this.refuseUnknownLabels(scan, label, labelSql, mapping);
    return { read: Number(counts.read), kept: Number(counts.kept) };
  }

  /** Batches of at most `size` kept rows, in file order. */
  async *batches(size: number, mapping: LabelMapping): AsyncGenerator<Batch> {
    const names = Array.from({ length: this.featureCount }, (_, i) => `c${i}`);
    const result = await this.run(
      `SELECT ${[...names, 'y'].join(', ')} FROM ev WHERE ${this.keepPredicate(mapping)}`,
    );
    const integerLabel = mapping.kind !== 'number';
    let batch = newBatch(size, this.featureCount, integerLabel);
    for (;;) {
      if (this.signal?.aborted) throw cancelled('The evaluation was cancelled.');
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      let from = 0;
      while (from < chunk.rowCount) {
        const take = Math.min(chunk.rowCount - from, size - batch.rows);
        for (let j = 0; j < this.featureCount; j++)
          copyVector(chunk.getColumnVector(j), from, take, batch.features[j]!, batch.rows);
        copyVector(chunk.getColumnVector(this.featureCount), from, take, batch.label, batch.rows);
        batch.rows += take;
        from += take;
        if (batch.rows === size) {
          yield batch;
          batch = newBatch(size, this.featureCount, integerLabel);
        }
      }
    }
    if (batch.rows > 0) yield trim(batch);
  }

  async close(): Promise<void> {
    this.signal?.removeEventListener('abort', this.interrupt);
    this.conn.closeSync();
    this.instance.closeSync();
    await rm(this.spill, { recursive: true, force: true });
  }

  private keepPredicate(mapping: LabelMapping): string {
    const parts = Array.from(
      { length: this.featureCount },
      (_, i) => `c${i} IS NOT NULL AND NOT isnan(c${i})`,
    );
    parts.push(mapping.kind === 'number' ? 'y IS NOT NULL AND NOT isnan(y)' : 'y IS NOT NULL');
    return parts.join(' AND ');
  }

  private async run(sql: string) {
    if (this.signal?.aborted) throw cancelled('The evaluation was cancelled.');
    try {
      return await this.conn.run(sql);
    } catch (err) {
      if (this.signal?.aborted) throw cancelled('The evaluation was cancelled.');
      const format = tableFormatOf(this.path)!;
      throw invalidInput(await explainScanError(err, this.path, this.path, format).catch(() => String(err)));
    }
  }

  private async refuseUnknownLabels(
    scan: string,
    label: string,
    labelSql: string,
    mapping: LabelMapping,
  ): Promise<never> {
    const rows = (
      await this.conn.runAndReadAll(
        `SELECT DISTINCT CAST(${ident(label)} AS VARCHAR) AS v FROM ${scan} WHERE ${labelSql} = -1 ORDER BY v LIMIT 5`,
      )
    ).getRowObjectsJS() as { v: string }[];
    const found = rows.map((r) => JSON.stringify(r.v)).join(', ');
    if (mapping.kind === 'classes')
      throw invalidInput(
        `The label column "${label}" holds values that are not among the model's classes (${mapping.classes.join(', ')}): ${found}.`,
      );
    throw invalidInput(
      `The label column "${label}" must hold class indices 0 to ${mapping.kind === 'indices' ? mapping.limit - 1 : '…'} (the model names no classes to match other values): found ${found}.`,
    );
  }
}

function kindOf(type: string): ColumnKind {
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(type))
    return 'integer';
  if (/^(FLOAT|DOUBLE|DECIMAL)/.test(type)) return 'float';
  if (type === 'BOOLEAN') return 'boolean';
  if (type === 'VARCHAR') return 'text';
  return 'other';
}

/**
 * The label as SQL: NULL when missing, else the class index, or −1 for a value that is no class
 * (refused afterwards with the values named).
 */
function labelExpression(column: string, kind: ColumnKind, mapping: LabelMapping): string {
  const numeric = kind === 'integer' || kind === 'float' || kind === 'boolean';
  const asNumber = numeric ? `CAST(${column} AS DOUBLE)` : `TRY_CAST(${column} AS DOUBLE)`;
  const missing = `${column} IS NULL OR coalesce(isnan(${asNumber}), false)`;
  if (mapping.kind === 'number') {
    if (!numeric) throw invalidInput(`The label column holds ${kind} values; a regression needs numbers.`);
    return asNumber;
  }
  if (mapping.kind === 'indices') {
    if (!numeric)
      throw invalidInput(
        'The label column holds text, and the model names no classes to match it to (a signature.json "classes" list). Give the classes, or a label of class indices 0, 1, ….',
      );
    return `CASE WHEN ${missing} THEN NULL WHEN ${asNumber} >= 0 AND ${asNumber} < ${mapping.limit} AND ${asNumber} = floor(${asNumber}) THEN CAST(${asNumber} AS INTEGER) ELSE -1 END`;
  }
  // The text as written first; then by value ("1.0" is class "1"); then ignoring case ("True" is
  // class "true"). CASE takes the first match, so an exact match always wins.
  const text = `CAST(${column} AS VARCHAR)`;
  const exact = mapping.classes.map((name, index) => `WHEN ${text} = ${lit(name)} THEN ${index}`);
  const byValue = mapping.classes.flatMap((name, index) => {
    const value = Number(name);
    return name.trim() !== '' && Number.isFinite(value) ? [`WHEN ${asNumber} = ${value} THEN ${index}`] : [];
  });
  const byCase = mapping.classes.map(
    (name, index) => `WHEN lower(${text}) = ${lit(name.toLowerCase())} THEN ${index}`,
  );
  return `CASE WHEN ${missing} THEN NULL ${[...exact, ...byValue, ...byCase].join(' ')} ELSE -1 END`;
}

/**
 * The scan with the label column read as text: DuckDB's sniffing would turn yes/no labels into
 * booleans (and print them back as true/false), so matching class names needs the file's text.
 */
function withTextColumn(scan: string, format: string, column: string): string {
  if (format !== 'csv' && format !== 'tsv') return scan;
  return `${scan.slice(0, -1)}, types = {${lit(column)}: 'VARCHAR'})`;
}

function newBatch(size: number, features: number, integerLabel: boolean): Batch {
  return {
    rows: 0,
    features: Array.from({ length: features }, () => new Float64Array(size)),
    label: integerLabel ? new Int32Array(size) : new Float64Array(size),
  };
}

function trim(batch: Batch): Batch {
  return {
    rows: batch.rows,
    features: batch.features.map((f) => f.subarray(0, batch.rows)),
    label: batch.label.subarray(0, batch.rows),
  };
}

/**
 * Rows [from, from + count) of a DOUBLE or INTEGER vector into `out` at `at`. The vectors keep
 * their values in a typed array over DuckDB's memory; copying a slice of it is much faster than
 * getItem() per row. It is not public API, hence the checked fallback.
 */
function copyVector(
  vector: DuckDBVector,
  from: number,
  count: number,
  out: Float64Array | Int32Array,
  at: number,
): void {
  const items = (vector as unknown as { items?: unknown }).items;
  if ((items instanceof Float64Array || items instanceof Int32Array) && items.length >= from + count) {
    out.set(items.subarray(from, from + count), at);
    return;
  }
  for (let i = 0; i < count; i++) out[at + i] = Number(vector.getItem(from + i));
}
