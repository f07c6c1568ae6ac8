/**
 * The table an evaluation reads, through DuckDB: the feature columns cast to DOUBLE and the label
 * as a class index (classification) or a DOUBLE (regression), in one query whose result DuckDB
 * materializes on all its threads (measured here on 1M × 20: a temporary table costs ~2× that in
 * compression, a streaming result runs on one thread), so the row count is known up front for
 * progress and for sizing the metric arrays; then handed out in batches of column arrays, in file
 * order. Rows with a missing label or feature (NULL or NaN) are counted and left out. Memory: the
 * result holds 8 bytes per feature and row (DuckDB spills it past its memory limit).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  DuckDBConnection,
  DuckDBInstance,
  DuckDBMaterializedResult,
  DuckDBVector,
} from '@duckdb/node-api';
import { cancelled, invalidInput, notFound } from '../errors.ts';
import { ident, lit, loadDuckDb } from '../tabular/duckdb.ts';
import { explainScanError, scanSql, type TableFormat, tableFormatOf } from '../tabular/tableFormat.ts';

/** How label values become what the metrics read. */
export type LabelMapping =
  /** Class index = position in `classes`; text compared as text, numbers as numbers. */
  | { kind: 'classes'; classes: readonly string[] }
  /** The label is already a class index 0..limit−1. */
  | { kind: 'indices'; limit: number }
  /** Regression: the label as a number. */
  | { kind: 'number' };

export type ColumnKind = 'integer' | 'float' | 'boolean' | 'text' | 'other';

/** FLOAT when every model input is float32: half the bytes to hand over, and no rounding lost. */
export type FeatureType = 'FLOAT' | 'DOUBLE';

export interface Batch {
  rows: number;
  /** One array per feature column, in the order given to load(). */
  features: (Float32Array | Float64Array)[];
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
  private featureType: FeatureType = 'DOUBLE';
  private droppedRows = 0;
  private result: DuckDBMaterializedResult | undefined;
  private unknownLabels: () => Promise<never> = () => Promise.reject(new Error('no labels loaded'));
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly spill: string,
    private readonly scan: string,
    /** The file DuckDB reads. */
    private readonly file: string,
    /** The table's name in messages (a dataset path; the file may be a blob without one). */
    private readonly path: string,
    private readonly format: TableFormat,
    readonly columns: ReadonlyMap<string, { type: string; kind: ColumnKind }>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  static async open(
    table: { path: string; format?: TableFormat; name?: string },
    options: TableOptions = {},
  ): Promise<EvaluationTable> {
    const file = table.path;
    const path = table.name ?? file;
    const format = table.format ?? tableFormatOf(path);
    if (!format) throw invalidInput(`${path} is not a table: use a .csv, .tsv, .parquet or .jsonl file.`);
    const { DuckDBInstance, DuckDBConnection } = await loadDuckDb();
    const spill = await mkdtemp(join(options.tempDir ?? tmpdir(), 'mlwb-eval-'));
    const instance = await DuckDBInstance.create(':memory:', {
      temp_directory: spill,
      memory_limit: options.memoryLimit ?? '1GB',
    });
    const conn = await DuckDBConnection.create(instance);
    const scan = scanSql(file, format);
    try {
      const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${scan}`)).getRowObjectsJS() as {
        column_name: string;
        column_type: string;
      }[];
      const columns = new Map(
        described.map((c) => [c.column_name, { type: c.column_type, kind: kindOf(c.column_type) }]),
      );
      const table = new EvaluationTable(
        instance,
        conn,
        spill,
        scan,
        file,
        path,
        format,
        columns,
        options.signal,
      );
      options.signal?.addEventListener('abort', table.interrupt);
      return table;
    } catch (err) {
      conn.closeSync();
      instance.closeSync();
      await rm(spill, { recursive: true, force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`Nothing exists at ${path}.`);
      throw invalidInput(await explainScanError(err, file, path, format).catch(() => String(err)));
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

  /**
   * Runs the query that reads the columns (DuckDB parses the file on all its threads into a
   * materialized result); returns the rows read. The label's SQL is kept to name unknown values.
   */
  async load(
    features: readonly string[],
    label: string,
    mapping: LabelMapping,
    featureType: FeatureType = 'DOUBLE',
  ): Promise<{ read: number }> {
    for (const f of features) {
      const { kind, type } = this.column(f, 'feature');
      if (kind === 'text' || kind === 'other')
        throw invalidInput(`The feature column "${f}" holds ${type} values; the model needs numbers.`);
    }
    let labelKind = this.column(label, 'label').kind;
    // Class names are matched against the file's text: DuckDB's sniffing would turn yes/no
    // labels into booleans (and print them back as true/false).
    const asText = mapping.kind === 'classes' && (this.format === 'csv' || this.format === 'tsv');
    if (asText) labelKind = 'text';
    const scan = typedScan(this.file, this.format, this.columns, asText ? label : undefined) ?? this.scan;
    const labelSql = labelExpression(ident(label), labelKind, mapping);
    const names = features.map((_, i) => `c${i}`);
    const missing = names.map((c) => `${c} IS NULL OR isnan(${c})`);
    missing.push(mapping.kind === 'number' ? 'y IS NULL OR isnan(y)' : 'y IS NULL');
    const unknown = mapping.kind === 'number' ? '' : ' WHEN y = -1 THEN 2';
    // status: 0 kept, 1 dropped (a missing value), 2 a label that is no class. A NULL or NaN
    // anywhere makes the row's sum NULL or NaN: one sum per row, and the column-by-column test
    // only for the rows it flags (which also catches +∞ + −∞, a NaN sum of present values).
    const sum = `(${[...names, 'y'].join(' + ')})`;
    const status = `CASE WHEN ${sum} IS NULL OR isnan(${sum}) THEN (CASE WHEN ${missing.join(' OR ')} THEN 1${unknown} ELSE 0 END)${unknown} ELSE 0 END`;
    const casts = features.map((f, i) => `CAST(${ident(f)} AS ${featureType}) AS c${i}`);
    this.featureType = featureType;
    this.featureCount = features.length;
    this.unknownLabels = () => this.refuseUnknownLabels(scan, label, labelSql, mapping);
    this.result = await this.run(
      `SELECT ${[...names, 'y', `${status} AS status`].join(', ')} FROM (SELECT ${[...casts, `${labelSql} AS y`].join(', ')} FROM ${scan})`,
    );
    return { read: this.result.rowCount };
  }

  /**
   * Batches of at most `size` kept rows, in file order; `dropped` counts the rows left out so far.
   * Chunks are taken synchronously from the materialized result: an await per 2,048-row chunk
   * costs more than the copying. One batch's arrays are reused for the next, so a batch must be
   * used before the next is asked for (fresh arrays per batch cost page faults: measured ~2× here).
   */
  async *batches(size: number, mapping: LabelMapping): AsyncGenerator<Batch> {
    const result = this.result;
    if (!result) throw new Error('EvaluationTable.batches() before load()');
    const f = this.featureCount;
    const integerLabel = mapping.kind !== 'number';
    const buffers = newBatch(size, f, integerLabel, this.featureType);
    let batch = buffers;
    const status = new Int32Array(2048);
    for (let c = 0; c < result.chunkCount; c++) {
      if (this.signal?.aborted) throw cancelled('The evaluation was cancelled.');
      const chunk = result.getChunk(c);
      const rows = chunk.rowCount;
      const vectors = Array.from({ length: f + 1 }, (_, j) => chunk.getColumnVector(j));
      const statusVector = status.length >= rows ? status.subarray(0, rows) : new Int32Array(rows);
      copyVector(chunk.getColumnVector(f + 1), 0, rows, statusVector, 0);
      let from = 0;
      while (from < rows) {
        // The next run of kept rows, copied a column at a time.
        while (from < rows && statusVector[from] !== 0) {
          if (statusVector[from] === 2) await this.unknownLabels();
          this.droppedRows++;
          from++;
        }
        let to = from;
        while (to < rows && statusVector[to] === 0 && to - from < size - batch.rows) to++;
        const take = to - from;
        if (take === 0) continue;
        for (let j = 0; j <= f; j++) {
          const out = j < f ? batch.features[j]! : batch.label;
          copyVector(vectors[j]!, from, take, out, batch.rows);
        }
        batch.rows += take;
        from = to;
        if (batch.rows === size) {
          yield batch;
          batch = buffers;
          batch.rows = 0;
        }
      }
    }
    if (batch.rows > 0) yield trim(batch);
  }

  /** Rows left out so far for a missing label or feature. */
  get dropped(): number {
    return this.droppedRows;
  }

  async close(): Promise<void> {
    this.signal?.removeEventListener('abort', this.interrupt);
    this.result = undefined;
    this.conn.closeSync();
    this.instance.closeSync();
    await rm(this.spill, { recursive: true, force: true });
  }

  private async run(sql: string) {
    if (this.signal?.aborted) throw cancelled('The evaluation was cancelled.');
    try {
      return await this.conn.run(sql);
    } catch (err) {
      if (this.signal?.aborted) throw cancelled('The evaluation was cancelled.');
      throw invalidInput(
        await explainScanError(err, this.file, this.path, this.format).catch(() => String(err)),
      );
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
 * A CSV or TSV scan with the column types already found by DESCRIBE (the dialect of
 * tabular/tableFormat.ts), so the full read does not sniff again (measured ~20% less CPU on
 * 1M × 20), with `textColumn` read as VARCHAR. Undefined for the other formats.
 */
function typedScan(
  path: string,
  format: string,
  columns: ReadonlyMap<string, { type: string }>,
  textColumn: string | undefined,
): string | undefined {
  if (format !== 'csv' && format !== 'tsv') return undefined;
  const types = [...columns].map(
    ([name, { type }]) => `${lit(name)}: ${lit(name === textColumn ? 'VARCHAR' : type)}`,
  );
  const dialect = format === 'csv' ? `delim = ',', quote = '"', escape = '"'` : `delim = '\t', quote = ''`;
  return `read_csv(${lit(path)}, header = true, ${dialect}, skip = 0, strict_mode = true, auto_detect = false, columns = {${types.join(', ')}})`;
}

function newBatch(size: number, features: number, integerLabel: boolean, type: FeatureType): Batch {
  return {
    rows: 0,
    features: Array.from({ length: features }, () =>
      type === 'FLOAT' ? new Float32Array(size) : new Float64Array(size),
    ),
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
 * Rows [from, from + count) of a DOUBLE, FLOAT or INTEGER vector into `out` at `at`. The vectors keep
 * their values in a typed array over DuckDB's memory; copying a slice of it is much faster than
 * getItem() per row. It is not public API, hence the checked fallback.
 */
function copyVector(
  vector: DuckDBVector,
  from: number,
  count: number,
  out: Float32Array | Float64Array | Int32Array,
  at: number,
): void {
  const items = (vector as unknown as { items?: unknown }).items;
  const typed = items instanceof Float64Array || items instanceof Float32Array || items instanceof Int32Array;
  if (typed && items.length >= from + count) {
    out.set(items.subarray(from, from + count), at);
    return;
  }
  for (let i = 0; i < count; i++) out[at + i] = Number(vector.getItem(from + i));
}
